package runtime

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Topic is a typed handle on a topic, for sending and decoding outside an
// agent (Faust's topic.send). Generated code declares one per topic.
type Topic[T proto.Message] struct {
	desc *TopicDesc
}

// NewTopic returns a typed handle on the topic desc describes. Generated
// code calls it.
func NewTopic[T proto.Message](desc *TopicDesc) Topic[T] { return Topic[T]{desc: desc} }

// Desc returns the topic's descriptor.
func (t Topic[T]) Desc() *TopicDesc { return t.desc }

// Name returns the topic's name.
func (t Topic[T]) Name() string { return t.desc.Name }

// Record encodes m as a record of the topic, keyed by its key field.
func (t Topic[T]) Record(m T) (*Record, error) {
	v, err := t.desc.Encode(m)
	if err != nil {
		return nil, err
	}
	rec := &Record{Topic: t.desc.Name, Partition: -1, Value: v}
	if t.desc.Key != nil {
		rec.Key = t.desc.Key(m)
	}
	return rec, nil
}

// Send encodes m and produces it to the topic through s, waiting for the
// broker's acknowledgement.
func (t Topic[T]) Send(ctx context.Context, s Sender, m T) error {
	rec, err := t.Record(m)
	if err != nil {
		return fmt.Errorf("streamgen: send to %q: %w", t.desc.Name, err)
	}
	return s.Send(ctx, rec)
}

// Decode decodes a record value of the topic.
func (t Topic[T]) Decode(value []byte) (T, error) {
	m, err := t.desc.Decode(value)
	if err != nil {
		var zero T
		return zero, err
	}
	return m.(T), nil
}
