package generate

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamgen/streamgen/dsl"
	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// generateTopicConstants writes the name constants of the file's topics.
func (r *renderer) generateTopicConstants(g *protogen.GeneratedFile, topics []*dsl.Topic) {
	comment(g, 0, "Names of the topics bound to this file's messages.")
	g.P("const (")
	for _, t := range topics {
		n := r.topic(t)
		comment(g, 1, n.Const, " is the topic of ", n.Message.GoName, " messages.")
		g.P(n.Const, " = ", strconv.Quote(t.Name))
	}
	g.P(")")
	g.P()
}

// generateTopic writes the functions a topic's descriptor needs, the
// descriptor, and the typed handle.
func (r *renderer) generateTopic(g *protogen.GeneratedFile, t *dsl.Topic) {
	n := r.topic(t)
	if t.Key != nil {
		r.generateKeyFunc(g, t, n)
	}
	if t.RawField != nil {
		r.generateRawFuncs(g, t, n)
	}
	if t.EventTime != nil {
		r.generateEventTimeFunc(g, t, n)
	}
	generateTopicDesc(g, t, n)
	comment(g, 0, n.Handle.GoName, " is a typed handle on topic ", strconv.Quote(t.Name), ", which holds ",
		n.Message.GoName, " messages (", codecName(t.Codec), " codec, ", t.Partitions, " partitions",
		keyDoc(t), "). Send to it from outside an agent with its Send method.")
	g.P("var ", n.Handle.GoName, " = ", runtimePkg.Ident("NewTopic"), "[*", n.Message, "](&", n.Desc, ")")
	g.P()
}

// generateKeyFunc writes the function that encodes a record's key field.
func (r *renderer) generateKeyFunc(g *protogen.GeneratedFile, t *dsl.Topic, n topicNames) {
	r.generateFieldKey(g, n.KeyFunc, n.Message, t.Message, t.Key)
}

// generateFieldKey writes function name, which encodes field fd of a
// message (Go type msg, descriptor md) as a record key.
func (r *renderer) generateFieldKey(g *protogen.GeneratedFile, name string, msg protogen.GoIdent, md protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor) {
	get := "m.(*" + g.QualifiedGoIdent(msg) + ").Get" + r.field(md, fd).GoName + "()"
	g.P("func ", name, "(m ", protoPkg.Ident("Message"), ") []byte {")
	switch fd.Kind() {
	case protoreflect.StringKind:
		g.P("return []byte(", get, ")")
	case protoreflect.BytesKind:
		// Unset bytes are nil: a record without a key. The empty key is a
		// key like any other (compacted topics refuse records without one).
		g.P("if b := ", get, "; b != nil {")
		g.P("return b")
		g.P("}")
		g.P("return []byte{}")
	case protoreflect.BoolKind:
		g.P("return ", strconvPkg.Ident("AppendBool"), "(nil, ", get, ")")
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		g.P("return ", strconvPkg.Ident("AppendUint"), "(nil, uint64(", get, "), 10)")
	default:
		g.P("return ", strconvPkg.Ident("AppendInt"), "(nil, int64(", get, "), 10)")
	}
	g.P("}")
	g.P()
}

// generateRawFuncs writes the functions that read and write the single
// field of a CODEC_RAW message.
func (r *renderer) generateRawFuncs(g *protogen.GeneratedFile, t *dsl.Topic, n topicNames) {
	field := r.field(t.Message, t.RawField).GoName
	typ := g.QualifiedGoIdent(n.Message)
	g.P("func ", n.RawGet, "(m ", protoPkg.Ident("Message"), ") []byte {")
	if t.RawField.Kind() == protoreflect.StringKind {
		g.P("return []byte(m.(*", typ, ").Get", field, "())")
	} else {
		g.P("return m.(*", typ, ").Get", field, "()")
	}
	g.P("}")
	g.P()
	g.P("func ", n.RawSet, "(m ", protoPkg.Ident("Message"), ", b []byte) {")
	switch {
	case t.RawField.Kind() == protoreflect.StringKind && t.RawField.HasPresence():
		g.P("s := string(b)")
		g.P("m.(*", typ, ").", field, " = &s")
	case t.RawField.Kind() == protoreflect.StringKind:
		g.P("m.(*", typ, ").", field, " = string(b)")
	default:
		g.P("m.(*", typ, ").", field, " = append([]byte{}, b...)")
	}
	g.P("}")
	g.P()
}

// generateEventTimeFunc writes the function that reads a record's event
// time field (int64 milliseconds or a Timestamp).
func (r *renderer) generateEventTimeFunc(g *protogen.GeneratedFile, t *dsl.Topic, n topicNames) {
	field := r.field(t.Message, t.EventTime).GoName
	g.P("func ", n.EventTime, "(m ", protoPkg.Ident("Message"), ") ", timePkg.Ident("Time"), " {")
	if t.EventTime.Kind() == protoreflect.Int64Kind {
		g.P("if ms := m.(*", n.Message, ").Get", field, "(); ms != 0 {")
		g.P("return ", timePkg.Ident("UnixMilli"), "(ms).UTC()")
	} else {
		g.P("if ts := m.(*", n.Message, ").Get", field, "(); ts != nil {")
		g.P("return ts.AsTime()")
	}
	g.P("}")
	g.P("return ", timePkg.Ident("Time"), "{}")
	g.P("}")
	g.P()
}

// generateTopicDesc writes the runtime.TopicDesc of a topic.
func generateTopicDesc(g *protogen.GeneratedFile, t *dsl.Topic, n topicNames) {
	g.P("var ", n.Desc, " = ", runtimePkg.Ident("TopicDesc"), "{")
	g.P("Name: ", n.Const, ",")
	g.P("Partitions: ", t.Partitions, ",")
	g.P("ReplicationFactor: ", t.ReplicationFactor, ",")
	if len(t.Config) > 0 {
		g.P("Config: map[string]string{")
		for _, k := range t.ConfigKeys() {
			g.P(strconv.Quote(k), ": ", strconv.Quote(t.Config[k]), ",")
		}
		g.P("},")
	}
	g.P("Codec: ", codecIdent(t.Codec), ",")
	if t.StrictJSON {
		g.P("StrictJSON: true,")
	}
	g.P("MessageName: ", strconv.Quote(string(t.Message.FullName())), ",")
	g.P("New: func() ", protoPkg.Ident("Message"), " { return new(", n.Message, ") },")
	if t.Key != nil {
		g.P("Key: ", n.KeyFunc, ",")
	}
	if t.RawField != nil {
		g.P("RawGet: ", n.RawGet, ",")
		g.P("RawSet: ", n.RawSet, ",")
	}
	if t.EventTime != nil {
		g.P("EventTime: ", n.EventTime, ",")
	}
	g.P("}")
	g.P()
}

// topicRef returns an expression for the *runtime.TopicDesc of t, which
// may be declared in another package.
func (r *renderer) topicRef(g *protogen.GeneratedFile, t *dsl.Topic) string {
	return g.QualifiedGoIdent(r.topic(t).Handle) + ".Desc()"
}

func codecIdent(c streamgenv1.Codec) protogen.GoIdent {
	switch c {
	case streamgenv1.Codec_CODEC_JSON:
		return runtimePkg.Ident("CodecJSON")
	case streamgenv1.Codec_CODEC_RAW:
		return runtimePkg.Ident("CodecRaw")
	case streamgenv1.Codec_CODEC_PROTO:
		return runtimePkg.Ident("CodecProto")
	}
	return runtimePkg.Ident("CodecBytes")
}

// codecName is the codec in prose: "proto", "json", "raw" or "bytes".
func codecName(c streamgenv1.Codec) string {
	return strings.ToLower(strings.TrimPrefix(codecIdent(c).GoName, "Codec"))
}

// keyDoc describes the key of the records of t, for doc comments.
func keyDoc(t *dsl.Topic) string {
	if t.Key == nil {
		return ", keeping the input record's key"
	}
	return ", keyed by " + string(t.Key.Name())
}
