package runtime

import (
	"context"
	"time"
)

// Header is a record header.
type Header struct {
	// Key is the header name.
	Key string
	// Value is the header value.
	Value []byte
}

// Record is a Kafka record as the runtime sees it: consumed from an input
// topic, or to be produced to an output topic.
type Record struct {
	// Topic is the record's topic.
	Topic string
	// Partition is the record's partition; for records to produce, -1 lets
	// the partitioner choose from the key.
	Partition int32
	// Offset is the record's offset; unused for records to produce.
	Offset int64
	// Key is the record key.
	Key []byte
	// Value is the record value.
	Value []byte
	// Headers are the record headers.
	Headers []Header
	// Timestamp is the record timestamp.
	Timestamp time.Time
}

// Sender produces records, waiting for the broker's acknowledgement. The
// worker's client implements it; typed topic handles send through it.
type Sender interface {
	// Send produces rec and returns when the broker has acknowledged it.
	Send(ctx context.Context, rec *Record) error
}

type recordKey struct{}

// RecordFrom returns the input record an agent's handler was called for,
// or nil outside a handler. The record and its byte slices must not be
// modified or kept after the handler returns.
func RecordFrom(ctx context.Context) *Record {
	r, _ := ctx.Value(recordKey{}).(*Record)
	return r
}

// Dead-letter headers: every record on a dead-letter topic carries these.
const (
	// HeaderSourceTopic names the topic the failed record came from.
	HeaderSourceTopic = "streamgen.source.topic"
	// HeaderSourcePartition is its partition, in decimal.
	HeaderSourcePartition = "streamgen.source.partition"
	// HeaderSourceOffset is its offset, in decimal.
	HeaderSourceOffset = "streamgen.source.offset"
	// HeaderError is the error text.
	HeaderError = "streamgen.error"
	// HeaderAgent names the agent, as "app-id/Agent".
	HeaderAgent = "streamgen.agent"
)
