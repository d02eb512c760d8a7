package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// SupportPackageIsVersion1 is referenced by generated code. A generated file
// that needs a newer runtime fails to build with this name in the error:
// upgrade github.com/streamgen/streamgen to fix it.
const SupportPackageIsVersion1 = true

// Codec is how a topic's record values are encoded.
type Codec int

// The codecs, as declared in the schema's topic option.
const (
	// CodecProto is protobuf binary encoding.
	CodecProto Codec = iota + 1
	// CodecJSON is protobuf's canonical JSON encoding.
	CodecJSON
	// CodecRaw is the bytes of the message's only string or bytes field.
	CodecRaw
	// CodecBytes is the record's bytes as they are; dead-letter topics use it.
	CodecBytes
)

// String returns the codec's schema name.
func (c Codec) String() string {
	switch c {
	case CodecProto:
		return "CODEC_PROTO"
	case CodecJSON:
		return "CODEC_JSON"
	case CodecRaw:
		return "CODEC_RAW"
	case CodecBytes:
		return "bytes"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// TopicDesc describes a topic: generated code fills it in from the schema.
type TopicDesc struct {
	// Name is the Kafka topic name.
	Name string
	// Partitions is the declared partition count.
	Partitions int32
	// ReplicationFactor is the declared replication factor, -1 for the
	// broker's default.
	ReplicationFactor int32
	// Config is the topic config to create the topic with.
	Config map[string]string
	// Codec is the value encoding.
	Codec Codec
	// StrictJSON makes Decode of a CodecJSON topic fail on a field the
	// message does not declare. By default such fields are skipped, as
	// protobuf binary skips them, so producers may add fields before their
	// readers know them. The schema sets it with the topic's strict_json.
	StrictJSON bool
	// MessageName is the full name of the message type, empty for
	// dead-letter topics.
	MessageName string
	// New returns a new, empty message of the topic's type; nil for
	// dead-letter topics.
	New func() proto.Message
	// Key returns the record key of a message, or nil when the topic has
	// no key field.
	Key func(proto.Message) []byte
	// RawGet and RawSet read and write the single field of a CodecRaw
	// message.
	RawGet func(proto.Message) []byte
	// RawSet sets the single field of a CodecRaw message.
	RawSet func(proto.Message, []byte)
	// EventTime returns a message's event time from its event_time field,
	// or nil when the record timestamp is the event time.
	EventTime func(proto.Message) time.Time
	// PartitionsFrom is, for a changelog or dead-letter topic, the
	// declared topic whose partition count (and replication factor) it
	// follows; nil for a declared topic. The schema declares no partitions
	// for an internal topic: an error about its partition count names this
	// topic, whose partitions the schema does declare.
	PartitionsFrom *TopicDesc
}

// Encode encodes m as a record value of the topic.
func (t *TopicDesc) Encode(m proto.Message) ([]byte, error) {
	switch t.Codec {
	case CodecProto:
		return proto.Marshal(m)
	case CodecJSON:
		return protojson.Marshal(m)
	case CodecRaw:
		return t.RawGet(m), nil
	}
	return nil, fmt.Errorf("topic %q: cannot encode a message with codec %v", t.Name, t.Codec)
}

// Decode decodes a record value of the topic into a new message. Fields
// the message does not declare are skipped, unless the topic is a
// CodecJSON topic with StrictJSON set. A value that does not decode is a
// *DecodeError.
func (t *TopicDesc) Decode(value []byte) (proto.Message, error) {
	if t.New == nil {
		return nil, fmt.Errorf("topic %q holds no message type", t.Name)
	}
	m := t.New()
	var err error
	switch t.Codec {
	case CodecProto:
		err = proto.Unmarshal(value, m)
	case CodecJSON:
		err = protojson.UnmarshalOptions{DiscardUnknown: !t.StrictJSON}.Unmarshal(value, m)
	case CodecRaw:
		t.RawSet(m, value)
	default:
		err = fmt.Errorf("cannot decode codec %v", t.Codec)
	}
	if err != nil {
		return nil, &DecodeError{Topic: t.Name, Codec: t.Codec, Err: err}
	}
	return m, nil
}

// DecodeError is returned when a record value does not decode as its
// topic's message type.
type DecodeError struct {
	// Topic is the topic the record came from.
	Topic string
	// Codec is the topic's codec.
	Codec Codec
	// Err is the codec's error.
	Err error
}

// Error says which topic and codec failed, and why.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("decoding a record of topic %q with %v: %v", e.Topic, e.Codec, e.Err)
}

// Unwrap returns the codec's error.
func (e *DecodeError) Unwrap() error { return e.Err }

// OnError is an agent's error policy.
type OnError int

// The error policies, as declared in the schema's agent option.
const (
	// OnErrorDeadLetter writes a failed record to the dead-letter topic and
	// continues.
	OnErrorDeadLetter OnError = iota + 1
	// OnErrorStop stops the worker with the error; nothing past the record
	// is committed.
	OnErrorStop
)

// FutureEventPolicy says what happens to an input record from the future:
// one whose event time is more than its agent's MaxEventTimeAhead past the
// later of its partition's stream time and the wall clock.
type FutureEventPolicy int

// The future-event policies, as declared in the schema's agent option
// on_future_event.
const (
	// FutureEventDeadLetter writes a record from the future to the agent's
	// dead-letter topic, counts and logs it, and continues; the record
	// moves neither stream time nor any window.
	FutureEventDeadLetter FutureEventPolicy = 1
	// FutureEventClamp handles a record from the future with its record
	// timestamp as its event time.
	FutureEventClamp FutureEventPolicy = 2
)

// String returns the policy's schema name.
func (p FutureEventPolicy) String() string {
	switch p {
	case FutureEventDeadLetter:
		return "FUTURE_EVENT_DEAD_LETTER"
	case FutureEventClamp:
		return "FUTURE_EVENT_CLAMP"
	}
	return fmt.Sprintf("FutureEventPolicy(%d)", int(p))
}

// MisplacedKeyPolicy says what happens to an input record of an agent
// with tables whose key belongs to another partition than the record's:
// Partition of its key (its topic's Key, when the topic has a key field)
// among the topic's partitions is not the record's partition.
type MisplacedKeyPolicy int

// The misplaced-key policies, as declared in the schema's agent option
// on_misplaced_key. The zero value checks nothing: agents without tables.
const (
	// MisplacedKeyRepartition writes the record, keyed by its key, to the
	// agent's Repartition topic in the partition the key belongs to, as an
	// output of the record; the agent consumes that topic too.
	MisplacedKeyRepartition MisplacedKeyPolicy = 1
	// MisplacedKeyDeadLetter writes the record to the dead-letter topic,
	// whatever the error policy, and continues.
	MisplacedKeyDeadLetter MisplacedKeyPolicy = 2
	// MisplacedKeyStop stops the worker, whatever the error policy.
	MisplacedKeyStop MisplacedKeyPolicy = 3
)

// String returns the policy's schema name.
func (p MisplacedKeyPolicy) String() string {
	switch p {
	case MisplacedKeyRepartition:
		return "MISPLACED_KEY_REPARTITION"
	case MisplacedKeyDeadLetter:
		return "MISPLACED_KEY_DEAD_LETTER"
	case MisplacedKeyStop:
		return "MISPLACED_KEY_STOP"
	}
	return fmt.Sprintf("MisplacedKeyPolicy(%d)", int(p))
}

// RepartitionTopic returns the descriptor of an agent's repartition topic
// called name: the records of input, moved to the partitions their keys
// belong to, so decoded like input and partitioned like it (an internal
// topic: PartitionsFrom is input), with the delete cleanup policy.
// Generated code calls it.
func RepartitionTopic(input *TopicDesc, name string) *TopicDesc {
	t := *input
	t.Name = name
	t.Config = map[string]string{"cleanup.policy": "delete"}
	t.PartitionsFrom = input
	return &t
}

// HandlerFunc calls an agent's typed method on impl. Generated code
// provides one per agent.
type HandlerFunc func(ctx context.Context, impl any, in proto.Message, out *Emitter) error

// BatchHandlerFunc calls a batch agent's typed method on impl with a
// batch of decoded input records, in offset order. Generated code provides
// one per batch agent.
type BatchHandlerFunc func(ctx context.Context, impl any, in []proto.Message, out *Emitter) error

// BatchDesc is a batch agent's batching (the schema's agent option
// batch): the handler receives at most MaxRecords records at once, at
// most MaxWait after the first of them arrived.
type BatchDesc struct {
	// MaxRecords is the most records in a batch, at least 1.
	MaxRecords int
	// MaxWait is the longest a batch waits after its first record.
	MaxWait time.Duration
}

// AgentDesc describes an agent: generated code fills it in from the schema.
type AgentDesc struct {
	// Name is the rpc name.
	Name string
	// Input is the topic the agent consumes.
	Input *TopicDesc
	// Outputs are the topics the agent may emit to, in the order the
	// generated emitter refers to them by index.
	Outputs []*TopicDesc
	// Concurrency is how many records of a partition may run at once.
	Concurrency int
	// OnError is the error policy.
	OnError OnError
	// DeadLetter is the dead-letter topic.
	DeadLetter *TopicDesc
	// Handler calls the agent's method; nil for a batch agent.
	Handler HandlerFunc
	// Batch, for a batch agent, is its batching; BatchHandler then calls
	// its method, with a batch of records.
	Batch *BatchDesc
	// BatchHandler calls a batch agent's method.
	BatchHandler BatchHandlerFunc
	// Timer, for a timer or cron agent, is its schedule; TickHandler then
	// calls its method, Input is nil, and the agent runs on the group's
	// leader.
	Timer *TimerDesc
	// TickHandler calls a timer or cron agent's method.
	TickHandler TickHandlerFunc
	// GroupBy, for an agent with group_by, returns the key an input
	// message is grouped by (its group_by field, encoded as a topic key):
	// its tables, its placement check and its outputs to topics without a
	// key field use it instead of the record's key. GroupByField names the
	// field.
	GroupBy      func(proto.Message) []byte
	GroupByField string
	// Tables are the tables the agent reads and writes, in the order the
	// generated accessors refer to them by index.
	Tables []*TableDesc
	// Feeds is set on the agent App.Register adds for a table fed from a
	// topic (FromTopic): each record of Input becomes the value of its key
	// in Feeds (Tables[0]), a tombstone deletes it.
	Feeds *TableDesc
	// WindowClose is the windowed table whose closed windows the agent
	// receives, one call per window with its final value; Input is nil then.
	WindowClose *TableDesc
	// MaxEventTimeAhead is how far an input record's event time may be
	// past the later of its partition's stream time and the wall clock
	// before the record is from the future. Generated code sets the
	// schema's max_event_time_ahead, or its default of one hour.
	MaxEventTimeAhead time.Duration
	// OnFutureEvent is what happens to an input record from the future.
	// Generated code sets the schema's on_future_event, or its default,
	// FutureEventDeadLetter.
	OnFutureEvent FutureEventPolicy
	// OnMisplacedKey is what happens to an input record whose key belongs
	// to another partition. Generated code sets the schema's
	// on_misplaced_key, or its default, MisplacedKeyRepartition, for an
	// agent with tables; 0 (nothing checked) for the others.
	OnMisplacedKey MisplacedKeyPolicy
	// StreamJoin, for an agent with a windowed stream-stream join, is
	// the join: its Handler is called instead of Handler, and Tables are
	// exactly its two buffer tables.
	StreamJoin *StreamJoinDesc
	// FKSubscribe and FKRespond are set on the agents App.Register adds
	// for a foreign-key join (the join's table): the one that consumes its
	// subscriptions, and the one that consumes its responses (fkjoin.go).
	FKSubscribe, FKRespond *TableDesc
	// Repartition is the topic that carries the agent's misplaced records
	// to their partitions (RepartitionTopic of Input); the worker consumes
	// it for the agent, co-assigned with Input. Nil for agents without
	// tables.
	Repartition *TopicDesc
}

// TableDesc describes a table: generated code fills it in from the schema.
type TableDesc struct {
	// Name is the table's stable name.
	Name string
	// Changelog is the compacted changelog topic.
	Changelog *TopicDesc
	// New returns a new, empty value message.
	New func() proto.Message
	// Default is the protobuf encoding of the value of a key never
	// written, or nil for the empty message.
	Default []byte
	// KeyFromField says the table is keyed by the input's key field (the
	// input topic's Key function) rather than the raw record key.
	KeyFromField bool
	// Global is set for a global table: fed from Source, held whole by
	// every worker, read-only in agents. Changelog is nil then.
	Global bool
	// Source is the topic a global table is fed from.
	Source *TopicDesc
	// Window is set for a windowed table.
	Window *WindowSpec
	// Merge combines the values of two sessions of a session-windowed
	// table that an event joins (a is the older): generated code calls the
	// agents interface's Merge<Table> method on impl.
	Merge func(ctx context.Context, impl any, a, b proto.Message) (proto.Message, error)
	// MergeMethod names that method ("ShopAgents.MergeVisits") in errors.
	MergeMethod string
	// FromTopic is set for a table fed from a topic (the schema's
	// from_topic; Kafka Streams' KTable): its values are the records of
	// Source, keyed by the record key, partition p of the table holding
	// partition p of Source. Changelog is Source too: the table is
	// restored from it and has no changelog of its own. App.Register adds
	// the agent that feeds it (FeederName); agents that list it only read
	// it. DeadLetter receives Source's records that cannot be values.
	FromTopic  bool
	DeadLetter *TopicDesc
	// Join is set for a table-table join (the schema's join; Kafka
	// Streams' KTable-KTable join): its value of a key is what
	// Join.Joiner makes of its sides' values of the key, written by every
	// agent that writes a side (their descriptors list the join and its
	// other side after their own tables; App.Register adds them to the
	// feeders), in the step that writes the side.
	Join *TableJoinDesc
}

// TableJoinDesc is a table-table join: Left's and Right's values of a key
// make the joined table's value of it.
type TableJoinDesc struct {
	// Left and Right are the joined tables: not windowed, not global.
	Left, Right *TableDesc
	// Kind says which keys the join holds: JoinInner those both sides
	// have, JoinLeft those Left has (Right's value nil when it has none),
	// JoinOuter those either has. A key that leaves the join is deleted.
	Kind JoinKind
	// Joiner calls the agents interface's Join<Table> method on impl with
	// the two values (nil for a side without one); a nil result deletes
	// the key. Method names it ("ShopAgents.JoinLabels") in errors.
	Joiner func(ctx context.Context, impl any, left, right proto.Message) (proto.Message, error)
	Method string
	// ForeignKey, for a foreign-key join (KIP-213), returns the key of
	// Right a Left value names (its foreign_key field, encoded as topic
	// keys are; empty: none). Subscriptions and Responses are its
	// internal topics (FKSubscriptionTopic, FKResponseTopic) and Index its
	// table of subscriptions (fkjoin.go); App.Register adds the two agents
	// that consume the topics.
	ForeignKey               func(proto.Message) []byte
	Subscriptions, Responses *TopicDesc
	Index                    *TableDesc
}

// StoreValue returns the stored form of a record value of the topic a
// table is fed from (a global table's, or one FromTopic): the protobuf
// encoding of the value decoded with the topic's codec (a protobuf topic's
// bytes as they are, once they decode). It returns the decode error of a
// value that is not the table's value type: the feeder, restores and
// followers all leave such a value out by this one rule.
func (t *TableDesc) StoreValue(v []byte) ([]byte, error) {
	if t.Source == nil {
		return v, nil
	}
	m, err := t.Source.Decode(v)
	if err != nil {
		return nil, err
	}
	if t.Source.Codec == CodecProto {
		return v, nil
	}
	b, err := proto.Marshal(m)
	if err == nil && b == nil {
		b = []byte{}
	}
	return b, err
}

// WindowSpec is a windowed table's windows.
type WindowSpec struct {
	// Size is the window length.
	Size time.Duration
	// Step is the hop between window starts (Size for tumbling windows).
	Step time.Duration
	// Expires is how long a window is kept after it ends.
	Expires time.Duration
	// Grace is how long a window accepts late events after it ends.
	Grace time.Duration
	// Sliding makes reads at a time return the window that ends first
	// after it (the last Size up to it) instead of the newest.
	Sliding bool
	// Gap, when positive, makes the windows session windows: a key's
	// events closer than Gap share a session, from its first event to its
	// last. Size and Step are 0; a session closes when stream time reaches
	// its end plus Gap plus Grace; Expires counts from its end.
	Gap time.Duration
}

// Session reports whether the windows are session windows.
func (w *WindowSpec) Session() bool { return w != nil && w.Gap > 0 }

// AppDesc describes an app: generated code fills it in from the schema and
// passes it to App.Register.
type AppDesc struct {
	// ID is the app id: the consumer group.
	ID string
	// ServiceName is the full name of the schema's service.
	ServiceName string
	// Check reports whether impl implements the generated agents interface.
	Check func(impl any) bool
	// Agents are the app's agents.
	Agents []*AgentDesc
	// Tables are the app's tables.
	Tables []*TableDesc
	// ExactlyOnce is set when the schema declares GUARANTEE_EXACTLY_ONCE:
	// the worker commits each interval's outputs, table writes and input
	// offsets in one Kafka transaction.
	ExactlyOnce bool
	// CommitInterval is how often input offsets (and, exactly once, the
	// transaction) are committed; 0 means 100 ms.
	CommitInterval time.Duration
}

// ErrUnimplemented is returned by the methods of generated Unimplemented
// structs. A record that reaches one goes to the error policy.
var ErrUnimplemented = errors.New("streamgen: agent not implemented")
