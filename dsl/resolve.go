package dsl

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// TopicOf returns the topic option of a message and whether it is set. It
// works whatever form the options arrived in: typed, dynamicpb, or unknown
// fields.
func TopicOf(md protoreflect.MessageDescriptor) (*streamgenv1.Topic, bool, error) {
	opts := &descriptorpb.MessageOptions{}
	if err := retype(md.Options(), opts); err != nil {
		return nil, false, fmt.Errorf("%s: reading options: %w", md.FullName(), err)
	}
	if !proto.HasExtension(opts, streamgenv1.E_Topic) {
		return nil, false, nil
	}
	return proto.GetExtension(opts, streamgenv1.E_Topic).(*streamgenv1.Topic), true, nil
}

// AppOf returns the app option of a service and whether it is set.
func AppOf(sd protoreflect.ServiceDescriptor) (*streamgenv1.App, bool, error) {
	opts := &descriptorpb.ServiceOptions{}
	if err := retype(sd.Options(), opts); err != nil {
		return nil, false, fmt.Errorf("%s: reading options: %w", sd.FullName(), err)
	}
	if !proto.HasExtension(opts, streamgenv1.E_App) {
		return nil, false, nil
	}
	return proto.GetExtension(opts, streamgenv1.E_App).(*streamgenv1.App), true, nil
}

// AgentOf returns the agent option of a method and whether it is set. A
// method of an app service without the option is still an agent, with
// default settings.
func AgentOf(md protoreflect.MethodDescriptor) (*streamgenv1.Agent, bool, error) {
	opts := &descriptorpb.MethodOptions{}
	if err := retype(md.Options(), opts); err != nil {
		return nil, false, fmt.Errorf("%s: reading options: %w", md.FullName(), err)
	}
	if !proto.HasExtension(opts, streamgenv1.E_Agent) {
		return nil, false, nil
	}
	return proto.GetExtension(opts, streamgenv1.E_Agent).(*streamgenv1.Agent), true, nil
}

// retype copies an options message of any form (generated, dynamicpb, with
// extensions as unknown fields) into dst, resolving streamgen's extensions
// to their generated types.
func retype(src proto.Message, dst proto.Message) error {
	if src == nil {
		return nil
	}
	rv := src.ProtoReflect()
	if !rv.IsValid() {
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(src)
	if err != nil {
		return err
	}
	return proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}.Unmarshal(b, dst)
}

// FieldOf returns the field option of a field and whether it is set.
func FieldOf(fd protoreflect.FieldDescriptor) (*streamgenv1.Field, bool, error) {
	opts := &descriptorpb.FieldOptions{}
	if err := retype(fd.Options(), opts); err != nil {
		return nil, false, fmt.Errorf("%s: reading options: %w", fd.FullName(), err)
	}
	if !proto.HasExtension(opts, streamgenv1.E_Field) {
		return nil, false, nil
	}
	return proto.GetExtension(opts, streamgenv1.E_Field).(*streamgenv1.Field), true, nil
}
