// # streamgen DSL, version 1: the user guide
//
// streamgen turns annotated .proto files into typed Go stream processors
// that run on Kafka. This file declares the annotations (custom options).
// Import it from your schema; the streamgen generator embeds it, so there
// is nothing to copy into your repository:
//
//     import "streamgen/v1/streamgen.proto";
//
// ## Topics: bind a message to a topic
//
// A message with the `topic` option lives on that Kafka topic. Every record
// on the topic is one encoded message:
//
//     message Order {
//       option (streamgen.v1.topic) = {
//         name: "orders"        // required: the Kafka topic name
//         partitions: 8         // default 1
//         key: "account_id"     // a field of this message; records are keyed
//                               // and partitioned by it (Java-compatible murmur2)
//       };
//       string account_id = 1;
//       int64 amount_cents = 2;
//     }
//
// The codec says how the value bytes are encoded: CODEC_PROTO (the default,
// protobuf binary), CODEC_JSON (protojson), or CODEC_RAW for a message that
// has exactly one field of type string or bytes: the value is that field's
// bytes, as written by any producer (kcat, a shell script, another language).
//
// Readers skip fields they do not know, with either codec, so a producer
// may add a field before its readers are upgraded: `{"amount_cents": 5,
// "tip": 3}` decodes as an Order with the tip ignored. A CODEC_JSON topic
// that must reject such records declares `strict_json: true`; a record with
// an unknown field then fails to decode and goes to the agent's error
// policy (see Errors).
//
// A topic name is written once, in the schema. It never depends on Go package
// paths or code order, so renaming or moving code never orphans a topic.
// streamgen creates declared topics at start-up with the declared partition
// count and config; an existing topic with another partition count is a
// start-up error, not a surprise in production.
//
// ## Apps and agents: a service is an app, an rpc is an agent
//
//     service Shop {
//       option (streamgen.v1.app) = { id: "shop" };
//       // Total keeps a running total per account.
//       rpc Total(Order) returns (AccountTotal);
//     }
//
// The app id is the Kafka consumer group and the prefix of the app's own
// topics (dead-letter topics). Each rpc is an agent: it consumes the topic
// of its request message and may emit records to the topic of its response
// message. An agent that emits nothing returns google.protobuf.Empty. Further
// outputs are listed by message name in the agent option:
//
//     rpc Check(Order) returns (google.protobuf.Empty) {
//       option (streamgen.v1.agent) = {
//         outputs: ["shop.v1.Alert", "shop.v1.Audit"]
//         concurrency: 4           // keys processed in parallel, per-key order kept
//         on_error: ON_ERROR_DEAD_LETTER
//       };
//     }
//
// The generator writes, per app: an interface with one method per agent,
// whose emitter argument has one typed Emit method per output; an
// Unimplemented struct to embed; a Register function; typed topic handles
// for sending from outside an agent; name constants; and gomock mocks.
//
// ## Tables
//
// An app declares keyed state; agents list the tables they use:
//
//     service WordCount {
//       option (streamgen.v1.app) = {
//         id: "wordcount"
//         tables: [{ name: "counts" value: "wc.v1.Count" key: "word" }]
//       };
//       rpc Count(Word) returns (Count) {
//         option (streamgen.v1.agent) = { tables: ["counts"] };
//       }
//     }
//
// The handler reads and writes the value of the current record's key
// through a typed accessor (`out.Counts().Update(ctx, func(c *Count) error
// {...})`), named after the table: each '-'-separated word of the name
// with its first letter upper-cased, joined. A table named "counts" gets
// `Counts()`, "page-views" `PageViews()`, and "per-10s" `Per10s()`; the
// generated interface, descriptor and constants of table "per-10s" of
// service Pages are PagesPer10sTable, _Pages_Per10s_TableDesc,
// PagesPer10sTableName and PagesPer10sChangelogTopicName. So a table name
// starts with a letter, and two tables whose names differ only by '-'
// ("per-10s" and "per10s") are an error. Messages, services and rpcs keep
// the Go names protoc-gen-go gives them: message Order's topic handle is
// OrderTopic, rpc Total of service Shop is method Total of ShopAgents, and
// its emitter is ShopTotalEmitter, with one EmitX method per output message
// X. Each partition's values live in a Badger store on the worker's
// disk, and every write also goes to the table's compacted changelog topic,
// "<app id>-<table name>-changelog", partitioned like the input. An input
// offset is committed only after its table writes are in the changelog. A
// worker that gets a partition restores its store from the changelog,
// reading only what its store has not seen.
//
// A table can be global (every worker holds all of it, fed from the topic
// of its value message; agents read any key) or windowed:
//
//     tables: [{ name: "views" value: "pv.v1.ViewCount" key: "page"
//                window: { size: {seconds: 60} grace: {seconds: 10} } }]
//
//     rpc Count(PageView) returns (google.protobuf.Empty) {
//       option (streamgen.v1.agent) = { tables: ["views"] };
//     }
//     // Called once with each window's final value when it closes.
//     rpc Closed(ViewCount) returns (PageViewWindow) {
//       option (streamgen.v1.agent) = { on_window_close: "views" };
//     }
//
// The closing agent's emitter has a Window() method returning the window
// the call is for (runtime.ClosedWindow: table, key, start, end); unit
// tests set it on the generated mock (out.EXPECT().Window().Return(w)).
//
// Windows use the record's event time: a field marked
// `[(streamgen.v1.field).event_time = true]`, else the record timestamp.
//
// Session windows group a key's events that come closer than a gap:
//
//     window: { session: { gap: {seconds: 1800} grace: {seconds: 300} } }
//
// The table's Update adds the event to its session, or starts one; a late
// event within the gap of two open sessions merges them, through a method
// the agents interface gets per session table:
//
//     MergeSessions(ctx context.Context, a, b *UserSession) (*UserSession, error)
//
// A session closes when stream time reaches its last event plus gap plus
// grace; on_window_close agents get its final value once, Window() its
// first and last event.
//
// ## Events from the future
//
// Stream time, per partition, is the highest event time seen, and a window
// closes when stream time passes its end plus grace. One event stamped far
// in the future (a producer's clock set to the wrong year, a field in
// microseconds read as milliseconds) would close every open window of its
// partition at once, and every event after it would be dropped as late.
// So an agent bounds how far ahead event time may run:
//
//     rpc Count(PageView) returns (google.protobuf.Empty) {
//       option (streamgen.v1.agent) = {
//         tables: ["views"]
//         max_event_time_ahead { seconds: 600 }  // default 1 hour
//         on_future_event: FUTURE_EVENT_CLAMP    // default FUTURE_EVENT_DEAD_LETTER
//       };
//     }
//
// An input record whose event time is more than max_event_time_ahead past
// the later of its partition's stream time and the wall clock is "from the
// future". With FUTURE_EVENT_DEAD_LETTER it goes to the agent's dead-letter
// topic (see Errors), counted and logged, and moves nothing. With
// FUTURE_EVENT_CLAMP it is handled with its record timestamp as its event
// time. Every agent that consumes a topic has the bound, whether or not it
// uses windows; an on_window_close agent consumes none and takes neither
// option.
//
// ## Keys in the wrong partition
//
// A table or window keeps a key's state in the partition the key belongs
// to: murmur2 of the record key (of the key field, when the topic declares
// one), modulo the partition count, as Kafka's Java client and streamgen's
// own producers place records. A producer with another partitioner (kcat's
// default, librdkafka's default consistent_random) can put a key's record
// in another partition; there its state would split from the key's other
// records. So an agent with tables checks each input record's placement,
// and a misplaced record follows on_misplaced_key:
//
//     rpc Count(PageView) returns (google.protobuf.Empty) {
//       option (streamgen.v1.agent) = {
//         tables: ["views"]
//         on_misplaced_key: MISPLACED_KEY_DEAD_LETTER  // default MISPLACED_KEY_REPARTITION
//       };
//     }
//
// MISPLACED_KEY_REPARTITION (the default) writes the record to the agent's
// repartition topic, "<app id>-<agent name in kebab case>-repartition"
// unless `repartition_topic` names another, in the partition its key
// belongs to; the agent consumes that topic too, and handles the record
// in the right partition, with the same stores, windows and stream time
// as the key's other records (the worker assigns partition p of both
// topics together). The hop is an output of the record: committed with it
// under exactly-once, before its offset under at-least-once.
// MISPLACED_KEY_DEAD_LETTER writes it to the dead-letter topic, and
// MISPLACED_KEY_STOP stops the worker, whatever on_error says. Each
// misplaced record is logged. Agents without tables keep no state per key
// and do not check.
//
// ## Grouping by another key
//
// An agent whose tables are keyed by another field than its input topic's
// key (revenue per country from orders keyed by order id: Faust's
// group_by, Kafka Streams' groupBy) names that field:
//
//     rpc Revenue(Order) returns (CountryRevenue) {
//       option (streamgen.v1.agent) = { group_by: "country" tables: ["revenue"] };
//     }
//
// Its records are then keyed by the field: each one whose key belongs to
// another partition goes through the agent's repartition topic (see "Keys
// in the wrong partition", the same mechanism) to the partition that owns
// it, where its tables, windows and outputs to topics without a key field
// see the field as the key. A key's records from one input partition keep
// their order (such an agent runs one record of a partition at a time: no
// concurrency). A moved record arrives after its group's records that
// were in place already: give windows the grace the hop takes. Its tables
// are keyed by the field (or by no field), and every writer of a table
// groups by the same field; the field is a string, bytes, integer or bool
// field, as a topic's key.
//
// ## Tables fed from topics, and stream-table joins
//
// A table can hold the latest value of each key of a topic (Kafka
// Streams' KTable): from_topic: true on a table whose value message is
// bound to a topic, ideally compacted (see Table.from_topic). An agent
// joins its records with a table's value for the same key (Kafka Streams'
// stream-table join) by naming it:
//
//     option (streamgen.v1.app) = {
//       id: "shop"
//       tables: [{name: "customers" value: "shop.v1.Customer" from_topic: true}]
//     };
//     rpc Enrich(Order) returns (EnrichedOrder) {
//       option (streamgen.v1.agent) = { join: { table: "customers" kind: JOIN_KIND_LEFT } };
//     }
//
//     Enrich(ctx context.Context, in *Order, customer *Customer, out ShopEnrichEmitter) error
//
// The handler gets the record and the table's value of its key, as far as
// the worker has read the table: with JOIN_KIND_INNER (the default) only
// records whose key has a value reach it (the others are counted in
// streamgen_join_misses_total and go on); with JOIN_KIND_LEFT every record
// does, with a nil value when the key has none. The table is any table
// without windows: fed from a topic, written by agents of the app, or
// global; the join lists it among the agent's tables. The record's topic
// and the table are co-partitioned (checked when code is generated), so a
// key's records and its value meet in one worker; a record is not held
// back for a value that has not arrived yet (the table is read as it is).
//
// ## Table-table joins
//
// A table can be the join of two others (Kafka Streams' KTable-KTable
// join), for the same key, computed again whenever either side changes:
//
//     tables: [
//       {name: "customers" value: "shop.v1.Customer" from_topic: true},
//       {name: "addresses" value: "shop.v1.Address" from_topic: true},
//       {name: "labels" value: "shop.v1.Label" join: {left: "customers" right: "addresses" kind: JOIN_KIND_LEFT}}
//     ]
//
//     JoinLabels(ctx context.Context, customer *Customer, address *Address) (*Label, error)
//
// The method gets both values of the key (nil for a side without one:
// right under JOIN_KIND_LEFT, either under JOIN_KIND_OUTER) and returns
// the joined value, or nil to delete the key. The agents that write
// either side (the feeders of tables fed from topics included) keep it,
// in the same step as their write, so it is restored, moved and committed
// with them. Agents list it to read it (Get(ctx)); none writes it.
//
// ## Windowed stream-stream joins
//
// An agent joins its records with the records of another topic whose
// event times are close (Kafka Streams' KStream-KStream join) by naming
// the other topic's message:
//
//     rpc Attribute(Click) returns (Attribution) {
//       option (streamgen.v1.agent) = { join: {
//         stream: "ads.v1.Impression" before: {seconds: 3600} grace: {seconds: 60}
//         kind: JOIN_KIND_LEFT } };
//     }
//
//     Attribute(ctx context.Context, in *Click, impression *Impression, out AdsAttributeEmitter) error
//
// A click at time t joins each impression of its key with an event time
// in [t - before, t + after], whichever arrives first; the handler is
// called once per pair. With JOIN_KIND_LEFT a click that found no
// impression by the time its window closed (the join's time past t +
// after + grace) reaches the handler once with a nil impression;
// JOIN_KIND_OUTER also hands over impressions that found no click (with a
// nil click). The join's time is the latest event time of its two topics'
// records in the partition, but it waits for a topic the worker has not
// read up to its end (so after a backlog neither topic's records are late
// for the other's head start); the wall clock does not move it. Records
// more than grace behind it are skipped and counted
// (streamgen_late_window_writes_total). Both sides
// wait in buffer tables ("<agent>-join-input", "<agent>-join-stream",
// windowed, with changelogs), so a pair is found however the worker
// restarts or the partition moves. The two topics are co-partitioned
// (checked when code is generated), and the other topic is read by this
// join only.
//
// ## Batches
//
// An agent that writes to a sink (a database, a search index, an HTTP API)
// is faster handling records in groups. The batch option makes its
// handler receive a typed slice of input records instead of one record:
//
//     rpc Store(Click) returns (google.protobuf.Empty) {
//       option (streamgen.v1.agent) = {
//         batch: { max_records: 500 max_wait { seconds: 1 } }
//       };
//     }
//
//     Store(ctx context.Context, in []*Click, out ShopStoreEmitter) error
//
// A batch holds records of one partition (with concurrency > 1, of one of
// its lanes: a key's records stay in one lane), in offset order, so per-key
// order holds. The handler gets a batch when it holds max_records records,
// or max_wait after its first record, whichever comes first; and whenever
// the worker hands the partition back or stops, and, exactly once, at
// each commit (a transaction never commits half a batch). Its outputs are
// emitted once for the batch: an output topic without a key field gets
// records without a key. At least once, no offset is committed past a
// batch until every output of it is acknowledged. A record that does not
// decode goes to the error policy alone, and the batch goes on without it;
// a handler that returns an error (or panics) sends every record of the
// batch to the dead-letter topic, one by one, or stops the worker
// (ON_ERROR_STOP). A batch agent uses no tables.
//
// ## Timers and crons
//
// An agent can run on time instead of records: every interval, or on a
// cron schedule in a time zone (Faust's @app.timer and @app.crontab):
//
//     rpc Heartbeat(google.protobuf.Empty) returns (Status) {
//       option (streamgen.v1.agent) = { timer: { every { seconds: 30 } } };
//     }
//     rpc HourlyReport(google.protobuf.Empty) returns (Report) {
//       option (streamgen.v1.agent) = {
//         cron: { schedule: "0 * * * *" time_zone: "Europe/Berlin" }
//         on_missed_ticks: MISSED_TICKS_SKIP
//       };
//     }
//
//     HourlyReport(ctx context.Context, tick runtime.Tick, out ShopHourlyReportEmitter) error
//
// Its request type is google.protobuf.Empty; its handler gets the tick:
// the scheduled time it is for, and how many earlier ticks it stands for.
// It runs on the group's leader (RUN_ON_LEADER, the default): the member
// that owns partition 0 of the app's leader topic, "<app id>-leader", a
// topic of one partition that every worker subscribes to, so Kafka's
// group protocol elects the leader, and moves it to another worker within
// the session timeout when it dies. Each tick runs once per app. The
// last tick done is committed with the leader topic's offset (its
// metadata): exactly once, in the transaction that holds the tick's
// outputs, and fenced by the group generation (KIP-447), so a worker that
// lost the leadership cannot commit a tick's outputs; at least once, right
// after the tick's outputs are acknowledged, so a tick may run again when
// the leader dies in between. A leader's tick reads global tables only.
//
// With run_on: RUN_ON_PARTITIONS it runs once per partition of the tables
// it lists instead (Kafka Streams' punctuators), on the worker that owns
// the partition, as part of the partition's work:
//
//     rpc Expire(google.protobuf.Empty) returns (Expired) {
//       option (streamgen.v1.agent) = {
//         cron: { schedule: "*/5 * * * *" }
//         run_on: RUN_ON_PARTITIONS
//         tables: ["carts"]
//       };
//     }
//
//     out.Carts().Scan(ctx, "", func(key string, c *Cart) error { ... out.Carts().Delete(ctx, key) ... })
//
// Its tables are key-value tables (not windowed) written by agents of one
// input topic; tick.Partition says which partition the tick is for, and
// the handler reads, writes and scans that partition's keys
// (<App><Table>TableByKey: Get, Put, Delete, Scan). A tick and the
// partition's records take turns on those tables, never interleaved: each
// sees the other's writes whole (a record that came before a tick may be
// handled after it: the agents' lanes run side by side), and a writer
// agent with concurrency handles their records one at a time. The last
// tick done is committed with the partition's offset (its metadata): in
// the transaction that holds the tick's outputs and table writes under
// exactly once, so a tick shows once per partition, moved with the
// partition when it moves; under at least once, with the partition's next
// offset stored after the tick's outputs and writes are acknowledged (or
// committed on its own when no record came), so a tick may run again when
// the worker dies in between.
//
// Ticks that passed while no worker ran them follow on_missed_ticks. A
// handler that returns an error follows
// on_error: the tick goes to the dead-letter topic as a record (its value
// the tick time, RFC 3339), or the worker stops. Ticks come from the wall
// clock, checked after each poll (at least every 100 ms); in the test
// driver, from its virtual clock (Driver.Advance).
//
// ## Errors
//
// A record the agent cannot decode, or for which the handler returns an
// error (or panics), is never dropped silently. With ON_ERROR_DEAD_LETTER
// (the default) it is written unchanged to the agent's dead-letter topic,
// "<app id>-<agent name in kebab case>-dlq" unless `dead_letter_topic` names
// another, with headers naming the source topic, partition, offset and the
// error; processing continues. With ON_ERROR_STOP the worker stops with an
// error naming the record, and nothing past it is committed.
//
// ## Processing guarantee
//
//     option (streamgen.v1.app) = {
//       id: "shop"
//       guarantee: GUARANTEE_EXACTLY_ONCE   // default GUARANTEE_AT_LEAST_ONCE
//       commit_interval { nanos: 100000000 } // default 100 ms
//     };
//
// At least once, an input offset is committed only after everything the
// records before it produced (outputs, dead letters, table writes) is
// acknowledged: a crash replays, never loses. Exactly once, each worker
// thread commits one Kafka transaction per commit interval holding the
// outputs, changelog writes, dead letters and input offsets of the records
// it handled: downstream readers with isolation.level=read_committed see
// each output once, and table stores never hold writes of a transaction
// that did not commit. Give each worker a stable instance id
// (STREAMGEN_INSTANCE_ID, or --instance-id) so that a restarted worker
// aborts its predecessor's open transaction at once instead of waiting
// for the transaction timeout.

// Code generated by protoc-gen-go. DO NOT EDIT.
// versions:
// 	protoc-gen-go v1.36.12
// 	protoc        (unknown)
// source: streamgen/v1/streamgen.proto

package streamgenv1

import (
	protoreflect "google.golang.org/protobuf/reflect/protoreflect"
	protoimpl "google.golang.org/protobuf/runtime/protoimpl"
	descriptorpb "google.golang.org/protobuf/types/descriptorpb"
	durationpb "google.golang.org/protobuf/types/known/durationpb"
	reflect "reflect"
	sync "sync"
	unsafe "unsafe"
)

const (
	// Verify that this generated code is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(20 - protoimpl.MinVersion)
	// Verify that runtime/protoimpl is sufficiently up-to-date.
	_ = protoimpl.EnforceVersion(protoimpl.MaxVersion - 20)
)

// Codec says how a topic's record values are encoded.
type Codec int32

const (
	// CODEC_UNSPECIFIED means CODEC_PROTO.
	Codec_CODEC_UNSPECIFIED Codec = 0
	// CODEC_PROTO is protobuf binary encoding.
	Codec_CODEC_PROTO Codec = 1
	// CODEC_JSON is protobuf's canonical JSON encoding (protojson).
	Codec_CODEC_JSON Codec = 2
	// CODEC_RAW is the bytes of the message's only field, which must be of type
	// string or bytes. It reads and writes topics of plain text or bytes.
	Codec_CODEC_RAW Codec = 3
)

// Enum value maps for Codec.
var (
	Codec_name = map[int32]string{
		0: "CODEC_UNSPECIFIED",
		1: "CODEC_PROTO",
		2: "CODEC_JSON",
		3: "CODEC_RAW",
	}
	Codec_value = map[string]int32{
		"CODEC_UNSPECIFIED": 0,
		"CODEC_PROTO":       1,
		"CODEC_JSON":        2,
		"CODEC_RAW":         3,
	}
)

func (x Codec) Enum() *Codec {
	p := new(Codec)
	*p = x
	return p
}

func (x Codec) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Codec) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[0].Descriptor()
}

func (Codec) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[0]
}

func (x Codec) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Codec.Descriptor instead.
func (Codec) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{0}
}

// Guarantee is an app's processing guarantee.
type Guarantee int32

const (
	// GUARANTEE_UNSPECIFIED means GUARANTEE_AT_LEAST_ONCE.
	Guarantee_GUARANTEE_UNSPECIFIED Guarantee = 0
	// GUARANTEE_AT_LEAST_ONCE commits an input offset only after every output
	// and table write of the records before it is acknowledged by the broker.
	// After a crash, records since the last commit are processed again: their
	// outputs may appear twice, nothing is lost.
	Guarantee_GUARANTEE_AT_LEAST_ONCE Guarantee = 1
	// GUARANTEE_EXACTLY_ONCE makes each worker thread's outputs, changelog
	// writes, dead letters and input offsets of one commit interval one Kafka
	// transaction (EOS v2): all of them commit, or none. Readers using
	// isolation.level=read_committed see every output exactly once, and table
	// state never holds a write of a transaction that did not commit.
	Guarantee_GUARANTEE_EXACTLY_ONCE Guarantee = 2
)

// Enum value maps for Guarantee.
var (
	Guarantee_name = map[int32]string{
		0: "GUARANTEE_UNSPECIFIED",
		1: "GUARANTEE_AT_LEAST_ONCE",
		2: "GUARANTEE_EXACTLY_ONCE",
	}
	Guarantee_value = map[string]int32{
		"GUARANTEE_UNSPECIFIED":   0,
		"GUARANTEE_AT_LEAST_ONCE": 1,
		"GUARANTEE_EXACTLY_ONCE":  2,
	}
)

func (x Guarantee) Enum() *Guarantee {
	p := new(Guarantee)
	*p = x
	return p
}

func (x Guarantee) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (Guarantee) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[1].Descriptor()
}

func (Guarantee) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[1]
}

func (x Guarantee) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use Guarantee.Descriptor instead.
func (Guarantee) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{1}
}

// OnError says what happens to a record that cannot be decoded or whose
// handler fails.
type OnError int32

const (
	// ON_ERROR_UNSPECIFIED means ON_ERROR_DEAD_LETTER.
	OnError_ON_ERROR_UNSPECIFIED OnError = 0
	// ON_ERROR_DEAD_LETTER writes the record unchanged to the dead-letter topic
	// with headers naming its source and the error, and continues.
	OnError_ON_ERROR_DEAD_LETTER OnError = 1
	// ON_ERROR_STOP stops the worker with an error naming the record. Nothing
	// past the record is committed.
	OnError_ON_ERROR_STOP OnError = 2
)

// Enum value maps for OnError.
var (
	OnError_name = map[int32]string{
		0: "ON_ERROR_UNSPECIFIED",
		1: "ON_ERROR_DEAD_LETTER",
		2: "ON_ERROR_STOP",
	}
	OnError_value = map[string]int32{
		"ON_ERROR_UNSPECIFIED": 0,
		"ON_ERROR_DEAD_LETTER": 1,
		"ON_ERROR_STOP":        2,
	}
)

func (x OnError) Enum() *OnError {
	p := new(OnError)
	*p = x
	return p
}

func (x OnError) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (OnError) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[2].Descriptor()
}

func (OnError) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[2]
}

func (x OnError) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use OnError.Descriptor instead.
func (OnError) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{2}
}

// JoinKind is a join's kind.
type JoinKind int32

const (
	// JOIN_KIND_UNSPECIFIED means JOIN_KIND_INNER.
	JoinKind_JOIN_KIND_UNSPECIFIED JoinKind = 0
	// JOIN_KIND_INNER hands the handler only records whose key has a value.
	JoinKind_JOIN_KIND_INNER JoinKind = 1
	// JOIN_KIND_LEFT hands the handler every record, with a nil value when
	// its key has none (a stream join: an input record that found no
	// partner by the time its window closed, once).
	JoinKind_JOIN_KIND_LEFT JoinKind = 2
	// JOIN_KIND_OUTER (stream joins only) is JOIN_KIND_LEFT both ways: a
	// joined record that found no partner by the time its window closed
	// reaches the handler too, with a nil input.
	JoinKind_JOIN_KIND_OUTER JoinKind = 3
)

// Enum value maps for JoinKind.
var (
	JoinKind_name = map[int32]string{
		0: "JOIN_KIND_UNSPECIFIED",
		1: "JOIN_KIND_INNER",
		2: "JOIN_KIND_LEFT",
		3: "JOIN_KIND_OUTER",
	}
	JoinKind_value = map[string]int32{
		"JOIN_KIND_UNSPECIFIED": 0,
		"JOIN_KIND_INNER":       1,
		"JOIN_KIND_LEFT":        2,
		"JOIN_KIND_OUTER":       3,
	}
)

func (x JoinKind) Enum() *JoinKind {
	p := new(JoinKind)
	*p = x
	return p
}

func (x JoinKind) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (JoinKind) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[3].Descriptor()
}

func (JoinKind) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[3]
}

func (x JoinKind) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use JoinKind.Descriptor instead.
func (JoinKind) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{3}
}

// RunOn says where a timer or cron agent runs.
type RunOn int32

const (
	// RUN_ON_UNSPECIFIED means RUN_ON_LEADER.
	RunOn_RUN_ON_UNSPECIFIED RunOn = 0
	// RUN_ON_LEADER runs each tick once per app, on the group's leader.
	RunOn_RUN_ON_LEADER RunOn = 1
	// RUN_ON_PARTITIONS runs each tick once per partition of the agent's
	// tables, on the worker that owns the partition, where the handler reads
	// and writes that partition's tables by key (and scans them): see
	// "Timers and crons".
	RunOn_RUN_ON_PARTITIONS RunOn = 2
)

// Enum value maps for RunOn.
var (
	RunOn_name = map[int32]string{
		0: "RUN_ON_UNSPECIFIED",
		1: "RUN_ON_LEADER",
		2: "RUN_ON_PARTITIONS",
	}
	RunOn_value = map[string]int32{
		"RUN_ON_UNSPECIFIED": 0,
		"RUN_ON_LEADER":      1,
		"RUN_ON_PARTITIONS":  2,
	}
)

func (x RunOn) Enum() *RunOn {
	p := new(RunOn)
	*p = x
	return p
}

func (x RunOn) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (RunOn) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[4].Descriptor()
}

func (RunOn) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[4]
}

func (x RunOn) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use RunOn.Descriptor instead.
func (RunOn) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{4}
}

// MissedTicks says what happens to ticks that passed while no worker ran
// them (every worker was down, or paused, or the leader was moving).
type MissedTicks int32

const (
	// MISSED_TICKS_UNSPECIFIED means MISSED_TICKS_RUN_ONCE.
	MissedTicks_MISSED_TICKS_UNSPECIFIED MissedTicks = 0
	// MISSED_TICKS_RUN_ONCE runs the latest tick that is due, once, with
	// the count of the earlier ones it stands for (runtime.Tick.Missed).
	MissedTicks_MISSED_TICKS_RUN_ONCE MissedTicks = 1
	// MISSED_TICKS_SKIP runs a tick only when it is on time (at most a
	// minute late, and before the next one is due); others are skipped,
	// logged and counted.
	MissedTicks_MISSED_TICKS_SKIP MissedTicks = 2
)

// Enum value maps for MissedTicks.
var (
	MissedTicks_name = map[int32]string{
		0: "MISSED_TICKS_UNSPECIFIED",
		1: "MISSED_TICKS_RUN_ONCE",
		2: "MISSED_TICKS_SKIP",
	}
	MissedTicks_value = map[string]int32{
		"MISSED_TICKS_UNSPECIFIED": 0,
		"MISSED_TICKS_RUN_ONCE":    1,
		"MISSED_TICKS_SKIP":        2,
	}
)

func (x MissedTicks) Enum() *MissedTicks {
	p := new(MissedTicks)
	*p = x
	return p
}

func (x MissedTicks) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (MissedTicks) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[5].Descriptor()
}

func (MissedTicks) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[5]
}

func (x MissedTicks) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use MissedTicks.Descriptor instead.
func (MissedTicks) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{5}
}

// MisplacedKey says what happens to an input record of an agent with
// tables whose key belongs to another partition: murmur2 of its key (the
// key field's, when the topic declares one) modulo the topic's partition
// count is not the record's partition.
type MisplacedKey int32

const (
	// MISPLACED_KEY_UNSPECIFIED means MISPLACED_KEY_REPARTITION.
	MisplacedKey_MISPLACED_KEY_UNSPECIFIED MisplacedKey = 0
	// MISPLACED_KEY_REPARTITION writes the record, keyed by its key, to the
	// agent's repartition topic in the partition its key belongs to; the
	// agent handles it there, with the key's state.
	MisplacedKey_MISPLACED_KEY_REPARTITION MisplacedKey = 1
	// MISPLACED_KEY_DEAD_LETTER writes the record unchanged to the agent's
	// dead-letter topic, whatever on_error says, and continues.
	MisplacedKey_MISPLACED_KEY_DEAD_LETTER MisplacedKey = 2
	// MISPLACED_KEY_STOP stops the worker with an error naming the record.
	MisplacedKey_MISPLACED_KEY_STOP MisplacedKey = 3
)

// Enum value maps for MisplacedKey.
var (
	MisplacedKey_name = map[int32]string{
		0: "MISPLACED_KEY_UNSPECIFIED",
		1: "MISPLACED_KEY_REPARTITION",
		2: "MISPLACED_KEY_DEAD_LETTER",
		3: "MISPLACED_KEY_STOP",
	}
	MisplacedKey_value = map[string]int32{
		"MISPLACED_KEY_UNSPECIFIED": 0,
		"MISPLACED_KEY_REPARTITION": 1,
		"MISPLACED_KEY_DEAD_LETTER": 2,
		"MISPLACED_KEY_STOP":        3,
	}
)

func (x MisplacedKey) Enum() *MisplacedKey {
	p := new(MisplacedKey)
	*p = x
	return p
}

func (x MisplacedKey) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (MisplacedKey) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[6].Descriptor()
}

func (MisplacedKey) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[6]
}

func (x MisplacedKey) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use MisplacedKey.Descriptor instead.
func (MisplacedKey) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{6}
}

// FutureEvent says what happens to an input record whose event time is
// more than the agent's max_event_time_ahead past the later of its
// partition's stream time and the wall clock.
type FutureEvent int32

const (
	// FUTURE_EVENT_UNSPECIFIED means FUTURE_EVENT_DEAD_LETTER.
	FutureEvent_FUTURE_EVENT_UNSPECIFIED FutureEvent = 0
	// FUTURE_EVENT_DEAD_LETTER writes the record unchanged to the agent's
	// dead-letter topic, as ON_ERROR_DEAD_LETTER does a failed record, and
	// continues, whatever on_error says; the record moves neither stream time
	// nor any window.
	FutureEvent_FUTURE_EVENT_DEAD_LETTER FutureEvent = 1
	// FUTURE_EVENT_CLAMP handles the record with its record timestamp as its
	// event time.
	FutureEvent_FUTURE_EVENT_CLAMP FutureEvent = 2
)

// Enum value maps for FutureEvent.
var (
	FutureEvent_name = map[int32]string{
		0: "FUTURE_EVENT_UNSPECIFIED",
		1: "FUTURE_EVENT_DEAD_LETTER",
		2: "FUTURE_EVENT_CLAMP",
	}
	FutureEvent_value = map[string]int32{
		"FUTURE_EVENT_UNSPECIFIED": 0,
		"FUTURE_EVENT_DEAD_LETTER": 1,
		"FUTURE_EVENT_CLAMP":       2,
	}
)

func (x FutureEvent) Enum() *FutureEvent {
	p := new(FutureEvent)
	*p = x
	return p
}

func (x FutureEvent) String() string {
	return protoimpl.X.EnumStringOf(x.Descriptor(), protoreflect.EnumNumber(x))
}

func (FutureEvent) Descriptor() protoreflect.EnumDescriptor {
	return file_streamgen_v1_streamgen_proto_enumTypes[7].Descriptor()
}

func (FutureEvent) Type() protoreflect.EnumType {
	return &file_streamgen_v1_streamgen_proto_enumTypes[7]
}

func (x FutureEvent) Number() protoreflect.EnumNumber {
	return protoreflect.EnumNumber(x)
}

// Deprecated: Use FutureEvent.Descriptor instead.
func (FutureEvent) EnumDescriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{7}
}

// Topic describes the Kafka topic a message lives on.
type Topic struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// name is the Kafka topic name: 1 to 249 characters of [a-zA-Z0-9._-],
	// not "." or "..". Required.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// partitions is the number of partitions. Default 1.
	Partitions int32 `protobuf:"varint,2,opt,name=partitions,proto3" json:"partitions,omitempty"`
	// replication_factor is the topic's replication factor. Default: the
	// broker's default.
	ReplicationFactor int32 `protobuf:"varint,3,opt,name=replication_factor,json=replicationFactor,proto3" json:"replication_factor,omitempty"`
	// key is the name of a field of this message whose value is the record
	// key. It must be a string, bytes, integer or bool field. Integers and
	// bools are keyed by their decimal text. Empty: records an agent emits
	// keep the key of the input record they were emitted for; records sent
	// from outside an agent have no key and are spread over partitions.
	Key string `protobuf:"bytes,4,opt,name=key,proto3" json:"key,omitempty"`
	// codec is the value encoding. Default CODEC_PROTO.
	Codec Codec `protobuf:"varint,5,opt,name=codec,proto3,enum=streamgen.v1.Codec" json:"codec,omitempty"`
	// compacted sets cleanup.policy=compact.
	Compacted bool `protobuf:"varint,6,opt,name=compacted,proto3" json:"compacted,omitempty"`
	// retention_ms sets retention.ms; 0 keeps the broker's default, -1 keeps
	// records forever.
	RetentionMs int64 `protobuf:"varint,7,opt,name=retention_ms,json=retentionMs,proto3" json:"retention_ms,omitempty"`
	// config holds further topic configs, e.g. {key: "segment.bytes" value: "1048576"}.
	// It may not repeat cleanup.policy or retention.ms.
	Config map[string]string `protobuf:"bytes,8,rep,name=config,proto3" json:"config,omitempty" protobuf_key:"bytes,1,opt,name=key" protobuf_val:"bytes,2,opt,name=value"`
	// strict_json makes a CODEC_JSON topic reject a record holding a field
	// its message does not declare: the record fails to decode and goes to
	// the agent's error policy. Default false: unknown fields are skipped,
	// as protobuf binary skips them, so a producer may add a field before
	// its readers know it. Only valid with CODEC_JSON.
	StrictJson    bool `protobuf:"varint,9,opt,name=strict_json,json=strictJson,proto3" json:"strict_json,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Topic) Reset() {
	*x = Topic{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[0]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Topic) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Topic) ProtoMessage() {}

func (x *Topic) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[0]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Topic.ProtoReflect.Descriptor instead.
func (*Topic) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{0}
}

func (x *Topic) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Topic) GetPartitions() int32 {
	if x != nil {
		return x.Partitions
	}
	return 0
}

func (x *Topic) GetReplicationFactor() int32 {
	if x != nil {
		return x.ReplicationFactor
	}
	return 0
}

func (x *Topic) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *Topic) GetCodec() Codec {
	if x != nil {
		return x.Codec
	}
	return Codec_CODEC_UNSPECIFIED
}

func (x *Topic) GetCompacted() bool {
	if x != nil {
		return x.Compacted
	}
	return false
}

func (x *Topic) GetRetentionMs() int64 {
	if x != nil {
		return x.RetentionMs
	}
	return 0
}

func (x *Topic) GetConfig() map[string]string {
	if x != nil {
		return x.Config
	}
	return nil
}

func (x *Topic) GetStrictJson() bool {
	if x != nil {
		return x.StrictJson
	}
	return false
}

// App declares a service to be a streamgen app.
type App struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// id is the app id: the Kafka consumer group and the prefix of the app's
	// own topics. Required; same character rules as a topic name.
	Id string `protobuf:"bytes,1,opt,name=id,proto3" json:"id,omitempty"`
	// tables are the app's keyed state, each kept in one store per partition
	// and backed by a compacted changelog topic.
	Tables []*Table `protobuf:"bytes,2,rep,name=tables,proto3" json:"tables,omitempty"`
	// guarantee is the app's processing guarantee. Default: at least once.
	Guarantee Guarantee `protobuf:"varint,3,opt,name=guarantee,proto3,enum=streamgen.v1.Guarantee" json:"guarantee,omitempty"`
	// commit_interval is how often a worker commits its input offsets (and,
	// under exactly-once, its transaction): a shorter interval means less
	// replayed after a crash and, under exactly-once, lower latency for
	// read_committed readers, at the cost of more commits. Default: 100 ms.
	CommitInterval *durationpb.Duration `protobuf:"bytes,4,opt,name=commit_interval,json=commitInterval,proto3" json:"commit_interval,omitempty"`
	unknownFields  protoimpl.UnknownFields
	sizeCache      protoimpl.SizeCache
}

func (x *App) Reset() {
	*x = App{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[1]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *App) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*App) ProtoMessage() {}

func (x *App) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[1]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use App.ProtoReflect.Descriptor instead.
func (*App) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{1}
}

func (x *App) GetId() string {
	if x != nil {
		return x.Id
	}
	return ""
}

func (x *App) GetTables() []*Table {
	if x != nil {
		return x.Tables
	}
	return nil
}

func (x *App) GetGuarantee() Guarantee {
	if x != nil {
		return x.Guarantee
	}
	return Guarantee_GUARANTEE_UNSPECIFIED
}

func (x *App) GetCommitInterval() *durationpb.Duration {
	if x != nil {
		return x.CommitInterval
	}
	return nil
}

// Table declares keyed state of an app. Agents that list the table in
// their `tables` option read and write it for the key of the record they
// handle; the generated emitter gets a typed accessor for it.
type Table struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// name is the table's stable name: lower-case letters, digits and '-',
	// starting with a letter. Generated Go names the table after it (see the
	// guide: "per-10s" gets the accessor Per10s()). Its changelog topic is "<app id>-<name>-changelog", derived from the
	// schema only, so renaming Go code never orphans state. Required.
	Name string `protobuf:"bytes,1,opt,name=name,proto3" json:"name,omitempty"`
	// value is the full name of the message type of the table's values, e.g.
	// "shop.v1.AccountTotal". Required.
	Value string `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	// key is the field of each writing agent's input that keys the table.
	// It must be the field the input topic is keyed by, so that one key's
	// state lives in one partition. Empty: the input record's key.
	Key string `protobuf:"bytes,3,opt,name=key,proto3" json:"key,omitempty"`
	// default_json is the value, in protojson, of a key never written.
	// Default: the empty message.
	DefaultJson string `protobuf:"bytes,4,opt,name=default_json,json=defaultJson,proto3" json:"default_json,omitempty"`
	// global makes the table a global table: every worker holds all of it,
	// fed from the topic of its value message (which must be bound to a
	// topic), keyed by the record key. Agents that list it read any key
	// (Get(ctx, key)) and cannot write it; write it by producing to that
	// topic. key must be empty. Reads are eventually consistent: a worker
	// follows the topic continuously after loading it at start.
	Global bool `protobuf:"varint,5,opt,name=global,proto3" json:"global,omitempty"`
	// window makes the table windowed: each key has one value per time
	// window, chosen by the event time of the record being handled.
	Window *Window `protobuf:"bytes,6,opt,name=window,proto3" json:"window,omitempty"`
	// from_topic makes the table a table fed from a topic (Kafka Streams'
	// KTable): its values are the records of the topic of its value message
	// (which must be bound to a topic), keyed by the record key; a record
	// without a value (a tombstone) deletes its key. It is partitioned like
	// that topic, and restored from the topic itself: it has no changelog
	// of its own (the topic should be compacted). Agents that list it read
	// the value of the current record's key (Get(ctx)) and cannot write it;
	// they must consume topics with its partition count, keyed like it, so
	// that a key's records and its value meet in one partition (checked at
	// generate time). Write it by producing to the topic, keys placed by
	// their murmur2 hash (Kafka's default partitioner; librdkafka's
	// partitioner=murmur2_random). A record of the topic that does not
	// decode, has no key, or sits in a partition its key does not belong to
	// goes to the table's dead-letter topic, "<app id>-<name>-table-dlq".
	// When the group has no offset for a partition of the topic, the
	// partition is read from its beginning (for every agent of the app that
	// consumes the topic), whatever auto.offset.reset says. key must be
	// empty; not with global or window.
	FromTopic bool `protobuf:"varint,7,opt,name=from_topic,json=fromTopic,proto3" json:"from_topic,omitempty"`
	// join makes the table the join of two other tables of the app, for
	// the same key (Kafka Streams' KTable-KTable join): kept up to date by
	// whatever writes either of them; see "Table-table joins".
	Join          *TableJoin `protobuf:"bytes,8,opt,name=join,proto3" json:"join,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Table) Reset() {
	*x = Table{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[2]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Table) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Table) ProtoMessage() {}

func (x *Table) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[2]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Table.ProtoReflect.Descriptor instead.
func (*Table) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{2}
}

func (x *Table) GetName() string {
	if x != nil {
		return x.Name
	}
	return ""
}

func (x *Table) GetValue() string {
	if x != nil {
		return x.Value
	}
	return ""
}

func (x *Table) GetKey() string {
	if x != nil {
		return x.Key
	}
	return ""
}

func (x *Table) GetDefaultJson() string {
	if x != nil {
		return x.DefaultJson
	}
	return ""
}

func (x *Table) GetGlobal() bool {
	if x != nil {
		return x.Global
	}
	return false
}

func (x *Table) GetWindow() *Window {
	if x != nil {
		return x.Window
	}
	return nil
}

func (x *Table) GetFromTopic() bool {
	if x != nil {
		return x.FromTopic
	}
	return false
}

func (x *Table) GetJoin() *TableJoin {
	if x != nil {
		return x.Join
	}
	return nil
}

// TableJoin is a table-table join: the joined table's value of a key is
// what the agents interface's Join<Table> method makes of the two tables'
// values of that key, computed again each time either changes.
type TableJoin struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// left and right name the joined tables: not windowed, not global,
	// not joins themselves, partitioned alike. Required.
	Left  string `protobuf:"bytes,1,opt,name=left,proto3" json:"left,omitempty"`
	Right string `protobuf:"bytes,2,opt,name=right,proto3" json:"right,omitempty"`
	// kind says which keys the table holds: JOIN_KIND_INNER (the default)
	// those both tables have, JOIN_KIND_LEFT those left has (right's value
	// nil when it has none), JOIN_KIND_OUTER those either has. A key that
	// leaves the join is deleted.
	Kind JoinKind `protobuf:"varint,3,opt,name=kind,proto3,enum=streamgen.v1.JoinKind" json:"kind,omitempty"`
	// foreign_key makes the join a foreign-key join (Kafka Streams'
	// KIP-213): the field of left's value message that holds the key of
	// right (a string, bytes, integer or bool field, encoded as topic keys
	// are), so a left key joins the right value its field names, and the
	// tables need not be co-partitioned. The join is keyed like left and
	// kept right when either side changes, the foreign key too: the old
	// right key's value no longer counts. It runs through two internal
	// topics, "<app id>-<table>-fk-subscriptions" (partitioned like right:
	// which left keys name each right key) and
	// "<app id>-<table>-fk-responses" (partitioned like left: right values
	// sent to the left keys naming them), and a table of the subscriptions,
	// "<table>-fk-index". JOIN_KIND_INNER or JOIN_KIND_LEFT.
	ForeignKey    string `protobuf:"bytes,4,opt,name=foreign_key,json=foreignKey,proto3" json:"foreign_key,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *TableJoin) Reset() {
	*x = TableJoin{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[3]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *TableJoin) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*TableJoin) ProtoMessage() {}

func (x *TableJoin) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[3]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use TableJoin.ProtoReflect.Descriptor instead.
func (*TableJoin) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{3}
}

func (x *TableJoin) GetLeft() string {
	if x != nil {
		return x.Left
	}
	return ""
}

func (x *TableJoin) GetRight() string {
	if x != nil {
		return x.Right
	}
	return ""
}

func (x *TableJoin) GetKind() JoinKind {
	if x != nil {
		return x.Kind
	}
	return JoinKind_JOIN_KIND_UNSPECIFIED
}

func (x *TableJoin) GetForeignKey() string {
	if x != nil {
		return x.ForeignKey
	}
	return ""
}

// FKSubscription is a record of a foreign-key join's subscription topic,
// keyed by a right key: the left key that now names it, or no longer.
type FKSubscription struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Key           []byte                 `protobuf:"bytes,1,opt,name=key,proto3" json:"key,omitempty"`
	Remove        bool                   `protobuf:"varint,2,opt,name=remove,proto3" json:"remove,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *FKSubscription) Reset() {
	*x = FKSubscription{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[4]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *FKSubscription) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*FKSubscription) ProtoMessage() {}

func (x *FKSubscription) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[4]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use FKSubscription.ProtoReflect.Descriptor instead.
func (*FKSubscription) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{4}
}

func (x *FKSubscription) GetKey() []byte {
	if x != nil {
		return x.Key
	}
	return nil
}

func (x *FKSubscription) GetRemove() bool {
	if x != nil {
		return x.Remove
	}
	return false
}

// FKResponse is a record of a foreign-key join's response topic, keyed by
// a left key: the right value of the key it named.
type FKResponse struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	ForeignKey    []byte                 `protobuf:"bytes,1,opt,name=foreign_key,json=foreignKey,proto3" json:"foreign_key,omitempty"`
	Value         []byte                 `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	Found         bool                   `protobuf:"varint,3,opt,name=found,proto3" json:"found,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *FKResponse) Reset() {
	*x = FKResponse{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[5]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *FKResponse) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*FKResponse) ProtoMessage() {}

func (x *FKResponse) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[5]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use FKResponse.ProtoReflect.Descriptor instead.
func (*FKResponse) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{5}
}

func (x *FKResponse) GetForeignKey() []byte {
	if x != nil {
		return x.ForeignKey
	}
	return nil
}

func (x *FKResponse) GetValue() []byte {
	if x != nil {
		return x.Value
	}
	return nil
}

func (x *FKResponse) GetFound() bool {
	if x != nil {
		return x.Found
	}
	return false
}

// FKIndexEntry is the (empty) value of a foreign-key join's subscription
// table, keyed by the right key and the left key.
type FKIndexEntry struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *FKIndexEntry) Reset() {
	*x = FKIndexEntry{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[6]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *FKIndexEntry) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*FKIndexEntry) ProtoMessage() {}

func (x *FKIndexEntry) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[6]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use FKIndexEntry.ProtoReflect.Descriptor instead.
func (*FKIndexEntry) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{6}
}

// Window is a windowed table's time windows. Event time is the record's
// event_time field (see Field) if its message has one, else the record
// timestamp. Stream time, per partition, is the highest event time seen.
type Window struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// size is the window length. Required, except for session windows.
	Size *durationpb.Duration `protobuf:"bytes,1,opt,name=size,proto3" json:"size,omitempty"`
	// step makes the windows hopping: a window starts every step, so an event
	// falls in size/step windows. Empty or equal to size: tumbling windows.
	// size must be a multiple of step.
	Step *durationpb.Duration `protobuf:"bytes,2,opt,name=step,proto3" json:"step,omitempty"`
	// expires is how long after a window ends it is kept; then it is deleted
	// from the store and tombstoned in the changelog. Default: size.
	Expires *durationpb.Duration `protobuf:"bytes,3,opt,name=expires,proto3" json:"expires,omitempty"`
	// grace is how long after a window ends it still accepts late events.
	// Writes to a window later than that are skipped and logged. Default: 0.
	// Must not exceed expires.
	Grace *durationpb.Duration `protobuf:"bytes,4,opt,name=grace,proto3" json:"grace,omitempty"`
	// sliding makes the windows sliding: the value at time t covers the
	// events of the last size up to t, at the resolution of step (required,
	// and size/step at most 1000: each event updates size/step windows).
	// Stored as hopping windows; reads at t (Current, Now, At, Delta) return
	// the window that ends first after t instead of the newest.
	Sliding bool `protobuf:"varint,5,opt,name=sliding,proto3" json:"sliding,omitempty"`
	// session makes the windows session windows (Kafka Streams' session
	// windows): per key, events closer than gap fall into one session,
	// which grows with each event. An event that fills the gap between two
	// sessions merges them; their values are combined by the Merge method
	// the generated agents interface asks for. A session ends at its last
	// event; it closes when stream time reaches its end plus gap plus the
	// session's grace, and is deleted then (expires, if set, keeps it that
	// long after its end instead). A closed session is never reopened: a
	// later event within its gap joins the open sessions near it or starts
	// its own (skipped as late if that would be closed already). size, step, grace and sliding must be
	// empty. A key's kept sessions are one value, rewritten on each of its
	// events: a long expires makes it larger (and each write costlier).
	Session       *SessionWindow `protobuf:"bytes,6,opt,name=session,proto3" json:"session,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Window) Reset() {
	*x = Window{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[7]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Window) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Window) ProtoMessage() {}

func (x *Window) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[7]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Window.ProtoReflect.Descriptor instead.
func (*Window) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{7}
}

func (x *Window) GetSize() *durationpb.Duration {
	if x != nil {
		return x.Size
	}
	return nil
}

func (x *Window) GetStep() *durationpb.Duration {
	if x != nil {
		return x.Step
	}
	return nil
}

func (x *Window) GetExpires() *durationpb.Duration {
	if x != nil {
		return x.Expires
	}
	return nil
}

func (x *Window) GetGrace() *durationpb.Duration {
	if x != nil {
		return x.Grace
	}
	return nil
}

func (x *Window) GetSliding() bool {
	if x != nil {
		return x.Sliding
	}
	return false
}

func (x *Window) GetSession() *SessionWindow {
	if x != nil {
		return x.Session
	}
	return nil
}

// SessionWindow is the shape of session windows.
type SessionWindow struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// gap is the inactivity gap: an event later than a session's end plus
	// gap (or earlier than its start minus gap) starts another session.
	// Required, whole milliseconds.
	Gap *durationpb.Duration `protobuf:"bytes,1,opt,name=gap,proto3" json:"gap,omitempty"`
	// grace is how long after a session could last be extended in order
	// (its end plus gap) it still accepts late events, which extend or
	// merge it. Default: 0.
	Grace         *durationpb.Duration `protobuf:"bytes,2,opt,name=grace,proto3" json:"grace,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *SessionWindow) Reset() {
	*x = SessionWindow{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[8]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *SessionWindow) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*SessionWindow) ProtoMessage() {}

func (x *SessionWindow) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[8]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use SessionWindow.ProtoReflect.Descriptor instead.
func (*SessionWindow) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{8}
}

func (x *SessionWindow) GetGap() *durationpb.Duration {
	if x != nil {
		return x.Gap
	}
	return nil
}

func (x *SessionWindow) GetGrace() *durationpb.Duration {
	if x != nil {
		return x.Grace
	}
	return nil
}

// Field marks a field of a topic message.
type Field struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// event_time marks the field that holds the record's event time: a
	// google.protobuf.Timestamp, or an int64 of milliseconds since the epoch.
	// At most one per message.
	EventTime     bool `protobuf:"varint,1,opt,name=event_time,json=eventTime,proto3" json:"event_time,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Field) Reset() {
	*x = Field{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[9]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Field) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Field) ProtoMessage() {}

func (x *Field) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[9]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Field.ProtoReflect.Descriptor instead.
func (*Field) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{9}
}

func (x *Field) GetEventTime() bool {
	if x != nil {
		return x.EventTime
	}
	return false
}

// Agent configures an agent.
type Agent struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// outputs lists further message types, by full name (e.g. "shop.v1.Alert"),
	// that the agent may emit besides its response type. Each must be bound
	// to a topic.
	Outputs []string `protobuf:"bytes,1,rep,name=outputs,proto3" json:"outputs,omitempty"`
	// concurrency is how many records of one partition are processed at once.
	// Records with the same key are always processed in order. Default 1.
	Concurrency int32 `protobuf:"varint,2,opt,name=concurrency,proto3" json:"concurrency,omitempty"`
	// on_error says what happens to records that cannot be decoded or whose
	// handler fails. Default ON_ERROR_DEAD_LETTER.
	OnError OnError `protobuf:"varint,3,opt,name=on_error,json=onError,proto3,enum=streamgen.v1.OnError" json:"on_error,omitempty"`
	// dead_letter_topic overrides the dead-letter topic name. Default
	// "<app id>-<agent name in kebab case>-dlq".
	DeadLetterTopic string `protobuf:"bytes,4,opt,name=dead_letter_topic,json=deadLetterTopic,proto3" json:"dead_letter_topic,omitempty"`
	// tables lists, by name, the app's tables the agent reads and writes.
	// Every topic an agent with tables consumes must have the same number of
	// partitions as the table's other writers' topics (co-partitioning).
	// Several agents, of one topic or of several, may write a table: they
	// take turns per record, so none loses another's update, and when their
	// topics differ the worker assigns partition p of each to the same
	// worker (librdkafka's range assignor). A windowed table has one writer.
	Tables []string `protobuf:"bytes,5,rep,name=tables,proto3" json:"tables,omitempty"`
	// on_window_close names a windowed table of the app: the agent is then
	// called once with the final value of each of the table's windows when
	// the window closes (stream time passes its end plus grace), instead of
	// consuming a topic. Its request type must be the table's value type;
	// its emitter's Window() says which window (key, start, end).
	// Stream time also moves with the wall clock while a partition is idle,
	// so windows close without waiting for the next event.
	OnWindowClose string `protobuf:"bytes,6,opt,name=on_window_close,json=onWindowClose,proto3" json:"on_window_close,omitempty"`
	// max_event_time_ahead bounds how far an input record's event time may
	// be past the later of its partition's stream time and the wall clock:
	// a record further ahead is from the future, and on_future_event says
	// what happens to it. Must be positive. Default: 1 hour.
	MaxEventTimeAhead *durationpb.Duration `protobuf:"bytes,7,opt,name=max_event_time_ahead,json=maxEventTimeAhead,proto3" json:"max_event_time_ahead,omitempty"`
	// on_future_event says what happens to an input record from the future
	// (see max_event_time_ahead). Default FUTURE_EVENT_DEAD_LETTER.
	OnFutureEvent FutureEvent `protobuf:"varint,8,opt,name=on_future_event,json=onFutureEvent,proto3,enum=streamgen.v1.FutureEvent" json:"on_future_event,omitempty"`
	// on_misplaced_key says what happens to an input record of an agent with
	// tables whose key belongs to another partition than the record's (see
	// "Keys in the wrong partition"). Default MISPLACED_KEY_REPARTITION.
	OnMisplacedKey MisplacedKey `protobuf:"varint,9,opt,name=on_misplaced_key,json=onMisplacedKey,proto3,enum=streamgen.v1.MisplacedKey" json:"on_misplaced_key,omitempty"`
	// repartition_topic overrides the name of the topic that carries an
	// agent's misplaced records to their partitions. Default
	// "<app id>-<agent name in kebab case>-repartition". Only agents with
	// tables have one.
	RepartitionTopic string `protobuf:"bytes,10,opt,name=repartition_topic,json=repartitionTopic,proto3" json:"repartition_topic,omitempty"`
	// batch makes the handler receive the input records of one partition in
	// batches (a typed slice) instead of one at a time: see "Batches".
	Batch *Batch `protobuf:"bytes,11,opt,name=batch,proto3" json:"batch,omitempty"`
	// timer makes the agent run every interval instead of consuming a topic:
	// see "Timers and crons". Its request type is google.protobuf.Empty.
	Timer *Timer `protobuf:"bytes,12,opt,name=timer,proto3" json:"timer,omitempty"`
	// cron makes the agent run on a cron schedule instead of consuming a
	// topic: see "Timers and crons". Its request type is
	// google.protobuf.Empty.
	Cron *Cron `protobuf:"bytes,13,opt,name=cron,proto3" json:"cron,omitempty"`
	// run_on says where a timer or cron agent runs. Default RUN_ON_LEADER.
	RunOn RunOn `protobuf:"varint,14,opt,name=run_on,json=runOn,proto3,enum=streamgen.v1.RunOn" json:"run_on,omitempty"`
	// on_missed_ticks says what happens to a timer's or cron's ticks that
	// passed while no worker ran them. Default MISSED_TICKS_RUN_ONCE.
	OnMissedTicks MissedTicks `protobuf:"varint,15,opt,name=on_missed_ticks,json=onMissedTicks,proto3,enum=streamgen.v1.MissedTicks" json:"on_missed_ticks,omitempty"`
	// group_by names a field of the input message that an agent with tables
	// keys its records by instead of the topic's key: see "Grouping by
	// another key".
	GroupBy string `protobuf:"bytes,16,opt,name=group_by,json=groupBy,proto3" json:"group_by,omitempty"`
	// join joins each input record with a table's value for the record's
	// key, handed to the handler beside the record: see "Tables fed from
	// topics, and stream-table joins".
	Join          *Join `protobuf:"bytes,17,opt,name=join,proto3" json:"join,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Agent) Reset() {
	*x = Agent{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[10]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Agent) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Agent) ProtoMessage() {}

func (x *Agent) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[10]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Agent.ProtoReflect.Descriptor instead.
func (*Agent) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{10}
}

func (x *Agent) GetOutputs() []string {
	if x != nil {
		return x.Outputs
	}
	return nil
}

func (x *Agent) GetConcurrency() int32 {
	if x != nil {
		return x.Concurrency
	}
	return 0
}

func (x *Agent) GetOnError() OnError {
	if x != nil {
		return x.OnError
	}
	return OnError_ON_ERROR_UNSPECIFIED
}

func (x *Agent) GetDeadLetterTopic() string {
	if x != nil {
		return x.DeadLetterTopic
	}
	return ""
}

func (x *Agent) GetTables() []string {
	if x != nil {
		return x.Tables
	}
	return nil
}

func (x *Agent) GetOnWindowClose() string {
	if x != nil {
		return x.OnWindowClose
	}
	return ""
}

func (x *Agent) GetMaxEventTimeAhead() *durationpb.Duration {
	if x != nil {
		return x.MaxEventTimeAhead
	}
	return nil
}

func (x *Agent) GetOnFutureEvent() FutureEvent {
	if x != nil {
		return x.OnFutureEvent
	}
	return FutureEvent_FUTURE_EVENT_UNSPECIFIED
}

func (x *Agent) GetOnMisplacedKey() MisplacedKey {
	if x != nil {
		return x.OnMisplacedKey
	}
	return MisplacedKey_MISPLACED_KEY_UNSPECIFIED
}

func (x *Agent) GetRepartitionTopic() string {
	if x != nil {
		return x.RepartitionTopic
	}
	return ""
}

func (x *Agent) GetBatch() *Batch {
	if x != nil {
		return x.Batch
	}
	return nil
}

func (x *Agent) GetTimer() *Timer {
	if x != nil {
		return x.Timer
	}
	return nil
}

func (x *Agent) GetCron() *Cron {
	if x != nil {
		return x.Cron
	}
	return nil
}

func (x *Agent) GetRunOn() RunOn {
	if x != nil {
		return x.RunOn
	}
	return RunOn_RUN_ON_UNSPECIFIED
}

func (x *Agent) GetOnMissedTicks() MissedTicks {
	if x != nil {
		return x.OnMissedTicks
	}
	return MissedTicks_MISSED_TICKS_UNSPECIFIED
}

func (x *Agent) GetGroupBy() string {
	if x != nil {
		return x.GroupBy
	}
	return ""
}

func (x *Agent) GetJoin() *Join {
	if x != nil {
		return x.Join
	}
	return nil
}

// Join is an agent's join: with a table (stream-table) or with the
// records of another topic (a windowed stream-stream join). Exactly one
// of table and stream is set.
type Join struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// table names the app's table joined: not windowed.
	Table string `protobuf:"bytes,1,opt,name=table,proto3" json:"table,omitempty"`
	// kind is inner (records whose key has no value skip the handler) or
	// left (they reach it with a nil value); a stream join may be outer
	// too. Default JOIN_KIND_INNER.
	Kind JoinKind `protobuf:"varint,2,opt,name=kind,proto3,enum=streamgen.v1.JoinKind" json:"kind,omitempty"`
	// stream names the message, bound to a topic co-partitioned with the
	// input, whose records are joined with the input's records of the same
	// key when their event times are close enough (before, after): see
	// "Windowed stream-stream joins".
	Stream string `protobuf:"bytes,3,opt,name=stream,proto3" json:"stream,omitempty"`
	// before is how much earlier than an input record a joined record's
	// event time may be (Kafka Streams' JoinWindows before). Default 0.
	Before *durationpb.Duration `protobuf:"bytes,4,opt,name=before,proto3" json:"before,omitempty"`
	// after is how much later than an input record a joined record's event
	// time may be (JoinWindows after). Default 0.
	After *durationpb.Duration `protobuf:"bytes,5,opt,name=after,proto3" json:"after,omitempty"`
	// grace is how far behind the join's time (see "Windowed stream-stream
	// joins") a record of either side may arrive and still be joined; a
	// record later than that is skipped and counted as late. Default 0.
	Grace         *durationpb.Duration `protobuf:"bytes,6,opt,name=grace,proto3" json:"grace,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Join) Reset() {
	*x = Join{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[11]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Join) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Join) ProtoMessage() {}

func (x *Join) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[11]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Join.ProtoReflect.Descriptor instead.
func (*Join) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{11}
}

func (x *Join) GetTable() string {
	if x != nil {
		return x.Table
	}
	return ""
}

func (x *Join) GetKind() JoinKind {
	if x != nil {
		return x.Kind
	}
	return JoinKind_JOIN_KIND_UNSPECIFIED
}

func (x *Join) GetStream() string {
	if x != nil {
		return x.Stream
	}
	return ""
}

func (x *Join) GetBefore() *durationpb.Duration {
	if x != nil {
		return x.Before
	}
	return nil
}

func (x *Join) GetAfter() *durationpb.Duration {
	if x != nil {
		return x.After
	}
	return nil
}

func (x *Join) GetGrace() *durationpb.Duration {
	if x != nil {
		return x.Grace
	}
	return nil
}

// JoinBuffer is the value of a window of a stream-stream join's buffer
// table: the records of one side of the join with one key and one event
// time (ms), kept until no record of the other side can join them.
type JoinBuffer struct {
	state         protoimpl.MessageState `protogen:"open.v1"`
	Entries       []*JoinBufferEntry     `protobuf:"bytes,1,rep,name=entries,proto3" json:"entries,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *JoinBuffer) Reset() {
	*x = JoinBuffer{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[12]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *JoinBuffer) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*JoinBuffer) ProtoMessage() {}

func (x *JoinBuffer) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[12]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use JoinBuffer.ProtoReflect.Descriptor instead.
func (*JoinBuffer) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{12}
}

func (x *JoinBuffer) GetEntries() []*JoinBufferEntry {
	if x != nil {
		return x.Entries
	}
	return nil
}

// JoinBufferEntry is one buffered record.
type JoinBufferEntry struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// offset is the record's offset in its topic's partition: a record
	// read again (at least once, after a restart) is buffered once.
	Offset int64 `protobuf:"varint,1,opt,name=offset,proto3" json:"offset,omitempty"`
	// value is the record's value, in its topic's codec.
	Value []byte `protobuf:"bytes,2,opt,name=value,proto3" json:"value,omitempty"`
	// matched is set once the record was joined with a partner.
	Matched       bool `protobuf:"varint,3,opt,name=matched,proto3" json:"matched,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *JoinBufferEntry) Reset() {
	*x = JoinBufferEntry{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[13]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *JoinBufferEntry) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*JoinBufferEntry) ProtoMessage() {}

func (x *JoinBufferEntry) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[13]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use JoinBufferEntry.ProtoReflect.Descriptor instead.
func (*JoinBufferEntry) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{13}
}

func (x *JoinBufferEntry) GetOffset() int64 {
	if x != nil {
		return x.Offset
	}
	return 0
}

func (x *JoinBufferEntry) GetValue() []byte {
	if x != nil {
		return x.Value
	}
	return nil
}

func (x *JoinBufferEntry) GetMatched() bool {
	if x != nil {
		return x.Matched
	}
	return false
}

// Timer is an agent's interval.
type Timer struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// every is the interval: ticks come at every multiple of it since the
	// Unix epoch (so every worker agrees on them). Required, at least 100 ms.
	Every         *durationpb.Duration `protobuf:"bytes,1,opt,name=every,proto3" json:"every,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Timer) Reset() {
	*x = Timer{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[14]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Timer) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Timer) ProtoMessage() {}

func (x *Timer) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[14]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Timer.ProtoReflect.Descriptor instead.
func (*Timer) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{14}
}

func (x *Timer) GetEvery() *durationpb.Duration {
	if x != nil {
		return x.Every
	}
	return nil
}

// Cron is an agent's cron schedule.
type Cron struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// schedule is a cron expression with five fields (minute, hour, day of
	// month, month, day of week: "0 * * * *" is every hour on the hour), or
	// a descriptor (@hourly, @daily, @weekly, @monthly, @yearly). Required.
	Schedule string `protobuf:"bytes,1,opt,name=schedule,proto3" json:"schedule,omitempty"`
	// time_zone is the IANA time zone the schedule is read in, e.g.
	// "Europe/Berlin" (daylight saving time follows it). Default "UTC".
	TimeZone      string `protobuf:"bytes,2,opt,name=time_zone,json=timeZone,proto3" json:"time_zone,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Cron) Reset() {
	*x = Cron{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[15]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Cron) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Cron) ProtoMessage() {}

func (x *Cron) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[15]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Cron.ProtoReflect.Descriptor instead.
func (*Cron) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{15}
}

func (x *Cron) GetSchedule() string {
	if x != nil {
		return x.Schedule
	}
	return ""
}

func (x *Cron) GetTimeZone() string {
	if x != nil {
		return x.TimeZone
	}
	return ""
}

// Batch configures a batch agent (Faust's stream.take(max, within)).
type Batch struct {
	state protoimpl.MessageState `protogen:"open.v1"`
	// max_records is the most records a batch holds. Required: 1 to 100000.
	MaxRecords int32 `protobuf:"varint,1,opt,name=max_records,json=maxRecords,proto3" json:"max_records,omitempty"`
	// max_wait is the longest a batch waits after its first record before
	// the handler gets it, full or not. Required, positive.
	MaxWait       *durationpb.Duration `protobuf:"bytes,2,opt,name=max_wait,json=maxWait,proto3" json:"max_wait,omitempty"`
	unknownFields protoimpl.UnknownFields
	sizeCache     protoimpl.SizeCache
}

func (x *Batch) Reset() {
	*x = Batch{}
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[16]
	ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
	ms.StoreMessageInfo(mi)
}

func (x *Batch) String() string {
	return protoimpl.X.MessageStringOf(x)
}

func (*Batch) ProtoMessage() {}

func (x *Batch) ProtoReflect() protoreflect.Message {
	mi := &file_streamgen_v1_streamgen_proto_msgTypes[16]
	if x != nil {
		ms := protoimpl.X.MessageStateOf(protoimpl.Pointer(x))
		if ms.LoadMessageInfo() == nil {
			ms.StoreMessageInfo(mi)
		}
		return ms
	}
	return mi.MessageOf(x)
}

// Deprecated: Use Batch.ProtoReflect.Descriptor instead.
func (*Batch) Descriptor() ([]byte, []int) {
	return file_streamgen_v1_streamgen_proto_rawDescGZIP(), []int{16}
}

func (x *Batch) GetMaxRecords() int32 {
	if x != nil {
		return x.MaxRecords
	}
	return 0
}

func (x *Batch) GetMaxWait() *durationpb.Duration {
	if x != nil {
		return x.MaxWait
	}
	return nil
}

var file_streamgen_v1_streamgen_proto_extTypes = []protoimpl.ExtensionInfo{
	{
		ExtendedType:  (*descriptorpb.MessageOptions)(nil),
		ExtensionType: (*Topic)(nil),
		Field:         51750,
		Name:          "streamgen.v1.topic",
		Tag:           "bytes,51750,opt,name=topic",
		Filename:      "streamgen/v1/streamgen.proto",
	},
	{
		ExtendedType:  (*descriptorpb.ServiceOptions)(nil),
		ExtensionType: (*App)(nil),
		Field:         51750,
		Name:          "streamgen.v1.app",
		Tag:           "bytes,51750,opt,name=app",
		Filename:      "streamgen/v1/streamgen.proto",
	},
	{
		ExtendedType:  (*descriptorpb.FieldOptions)(nil),
		ExtensionType: (*Field)(nil),
		Field:         51750,
		Name:          "streamgen.v1.field",
		Tag:           "bytes,51750,opt,name=field",
		Filename:      "streamgen/v1/streamgen.proto",
	},
	{
		ExtendedType:  (*descriptorpb.MethodOptions)(nil),
		ExtensionType: (*Agent)(nil),
		Field:         51750,
		Name:          "streamgen.v1.agent",
		Tag:           "bytes,51750,opt,name=agent",
		Filename:      "streamgen/v1/streamgen.proto",
	},
}

// Extension fields to descriptorpb.MessageOptions.
var (
	// topic binds a message to a Kafka topic.
	//
	// optional streamgen.v1.Topic topic = 51750;
	E_Topic = &file_streamgen_v1_streamgen_proto_extTypes[0]
)

// Extension fields to descriptorpb.ServiceOptions.
var (
	// app declares that a service is a streamgen app.
	//
	// optional streamgen.v1.App app = 51750;
	E_App = &file_streamgen_v1_streamgen_proto_extTypes[1]
)

// Extension fields to descriptorpb.FieldOptions.
var (
	// field marks special fields of topic messages.
	//
	// optional streamgen.v1.Field field = 51750;
	E_Field = &file_streamgen_v1_streamgen_proto_extTypes[2]
)

// Extension fields to descriptorpb.MethodOptions.
var (
	// agent configures an agent (an rpc of an app service).
	//
	// optional streamgen.v1.Agent agent = 51750;
	E_Agent = &file_streamgen_v1_streamgen_proto_extTypes[3]
)

var File_streamgen_v1_streamgen_proto protoreflect.FileDescriptor

const file_streamgen_v1_streamgen_proto_rawDesc = "" +
	"\n" +
	"\x1cstreamgen/v1/streamgen.proto\x12\fstreamgen.v1\x1a google/protobuf/descriptor.proto\x1a\x1egoogle/protobuf/duration.proto\"\xfd\x02\n" +
	"\x05Topic\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x1e\n" +
	"\n" +
	"partitions\x18\x02 \x01(\x05R\n" +
	"partitions\x12-\n" +
	"\x12replication_factor\x18\x03 \x01(\x05R\x11replicationFactor\x12\x10\n" +
	"\x03key\x18\x04 \x01(\tR\x03key\x12)\n" +
	"\x05codec\x18\x05 \x01(\x0e2\x13.streamgen.v1.CodecR\x05codec\x12\x1c\n" +
	"\tcompacted\x18\x06 \x01(\bR\tcompacted\x12!\n" +
	"\fretention_ms\x18\a \x01(\x03R\vretentionMs\x127\n" +
	"\x06config\x18\b \x03(\v2\x1f.streamgen.v1.Topic.ConfigEntryR\x06config\x12\x1f\n" +
	"\vstrict_json\x18\t \x01(\bR\n" +
	"strictJson\x1a9\n" +
	"\vConfigEntry\x12\x10\n" +
	"\x03key\x18\x01 \x01(\tR\x03key\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value:\x028\x01\"\xbd\x01\n" +
	"\x03App\x12\x0e\n" +
	"\x02id\x18\x01 \x01(\tR\x02id\x12+\n" +
	"\x06tables\x18\x02 \x03(\v2\x13.streamgen.v1.TableR\x06tables\x125\n" +
	"\tguarantee\x18\x03 \x01(\x0e2\x17.streamgen.v1.GuaranteeR\tguarantee\x12B\n" +
	"\x0fcommit_interval\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x0ecommitInterval\"\xf8\x01\n" +
	"\x05Table\x12\x12\n" +
	"\x04name\x18\x01 \x01(\tR\x04name\x12\x14\n" +
	"\x05value\x18\x02 \x01(\tR\x05value\x12\x10\n" +
	"\x03key\x18\x03 \x01(\tR\x03key\x12!\n" +
	"\fdefault_json\x18\x04 \x01(\tR\vdefaultJson\x12\x16\n" +
	"\x06global\x18\x05 \x01(\bR\x06global\x12,\n" +
	"\x06window\x18\x06 \x01(\v2\x14.streamgen.v1.WindowR\x06window\x12\x1d\n" +
	"\n" +
	"from_topic\x18\a \x01(\bR\tfromTopic\x12+\n" +
	"\x04join\x18\b \x01(\v2\x17.streamgen.v1.TableJoinR\x04join\"\x82\x01\n" +
	"\tTableJoin\x12\x12\n" +
	"\x04left\x18\x01 \x01(\tR\x04left\x12\x14\n" +
	"\x05right\x18\x02 \x01(\tR\x05right\x12*\n" +
	"\x04kind\x18\x03 \x01(\x0e2\x16.streamgen.v1.JoinKindR\x04kind\x12\x1f\n" +
	"\vforeign_key\x18\x04 \x01(\tR\n" +
	"foreignKey\":\n" +
	"\x0eFKSubscription\x12\x10\n" +
	"\x03key\x18\x01 \x01(\fR\x03key\x12\x16\n" +
	"\x06remove\x18\x02 \x01(\bR\x06remove\"Y\n" +
	"\n" +
	"FKResponse\x12\x1f\n" +
	"\vforeign_key\x18\x01 \x01(\fR\n" +
	"foreignKey\x12\x14\n" +
	"\x05value\x18\x02 \x01(\fR\x05value\x12\x14\n" +
	"\x05found\x18\x03 \x01(\bR\x05found\"\x0e\n" +
	"\fFKIndexEntry\"\x9d\x02\n" +
	"\x06Window\x12-\n" +
	"\x04size\x18\x01 \x01(\v2\x19.google.protobuf.DurationR\x04size\x12-\n" +
	"\x04step\x18\x02 \x01(\v2\x19.google.protobuf.DurationR\x04step\x123\n" +
	"\aexpires\x18\x03 \x01(\v2\x19.google.protobuf.DurationR\aexpires\x12/\n" +
	"\x05grace\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x05grace\x12\x18\n" +
	"\asliding\x18\x05 \x01(\bR\asliding\x125\n" +
	"\asession\x18\x06 \x01(\v2\x1b.streamgen.v1.SessionWindowR\asession\"m\n" +
	"\rSessionWindow\x12+\n" +
	"\x03gap\x18\x01 \x01(\v2\x19.google.protobuf.DurationR\x03gap\x12/\n" +
	"\x05grace\x18\x02 \x01(\v2\x19.google.protobuf.DurationR\x05grace\"&\n" +
	"\x05Field\x12\x1d\n" +
	"\n" +
	"event_time\x18\x01 \x01(\bR\teventTime\"\x93\x06\n" +
	"\x05Agent\x12\x18\n" +
	"\aoutputs\x18\x01 \x03(\tR\aoutputs\x12 \n" +
	"\vconcurrency\x18\x02 \x01(\x05R\vconcurrency\x120\n" +
	"\bon_error\x18\x03 \x01(\x0e2\x15.streamgen.v1.OnErrorR\aonError\x12*\n" +
	"\x11dead_letter_topic\x18\x04 \x01(\tR\x0fdeadLetterTopic\x12\x16\n" +
	"\x06tables\x18\x05 \x03(\tR\x06tables\x12&\n" +
	"\x0fon_window_close\x18\x06 \x01(\tR\ronWindowClose\x12J\n" +
	"\x14max_event_time_ahead\x18\a \x01(\v2\x19.google.protobuf.DurationR\x11maxEventTimeAhead\x12A\n" +
	"\x0fon_future_event\x18\b \x01(\x0e2\x19.streamgen.v1.FutureEventR\ronFutureEvent\x12D\n" +
	"\x10on_misplaced_key\x18\t \x01(\x0e2\x1a.streamgen.v1.MisplacedKeyR\x0eonMisplacedKey\x12+\n" +
	"\x11repartition_topic\x18\n" +
	" \x01(\tR\x10repartitionTopic\x12)\n" +
	"\x05batch\x18\v \x01(\v2\x13.streamgen.v1.BatchR\x05batch\x12)\n" +
	"\x05timer\x18\f \x01(\v2\x13.streamgen.v1.TimerR\x05timer\x12&\n" +
	"\x04cron\x18\r \x01(\v2\x12.streamgen.v1.CronR\x04cron\x12*\n" +
	"\x06run_on\x18\x0e \x01(\x0e2\x13.streamgen.v1.RunOnR\x05runOn\x12A\n" +
	"\x0fon_missed_ticks\x18\x0f \x01(\x0e2\x19.streamgen.v1.MissedTicksR\ronMissedTicks\x12\x19\n" +
	"\bgroup_by\x18\x10 \x01(\tR\agroupBy\x12&\n" +
	"\x04join\x18\x11 \x01(\v2\x12.streamgen.v1.JoinR\x04join\"\xf5\x01\n" +
	"\x04Join\x12\x14\n" +
	"\x05table\x18\x01 \x01(\tR\x05table\x12*\n" +
	"\x04kind\x18\x02 \x01(\x0e2\x16.streamgen.v1.JoinKindR\x04kind\x12\x16\n" +
	"\x06stream\x18\x03 \x01(\tR\x06stream\x121\n" +
	"\x06before\x18\x04 \x01(\v2\x19.google.protobuf.DurationR\x06before\x12/\n" +
	"\x05after\x18\x05 \x01(\v2\x19.google.protobuf.DurationR\x05after\x12/\n" +
	"\x05grace\x18\x06 \x01(\v2\x19.google.protobuf.DurationR\x05grace\"E\n" +
	"\n" +
	"JoinBuffer\x127\n" +
	"\aentries\x18\x01 \x03(\v2\x1d.streamgen.v1.JoinBufferEntryR\aentries\"Y\n" +
	"\x0fJoinBufferEntry\x12\x16\n" +
	"\x06offset\x18\x01 \x01(\x03R\x06offset\x12\x14\n" +
	"\x05value\x18\x02 \x01(\fR\x05value\x12\x18\n" +
	"\amatched\x18\x03 \x01(\bR\amatched\"8\n" +
	"\x05Timer\x12/\n" +
	"\x05every\x18\x01 \x01(\v2\x19.google.protobuf.DurationR\x05every\"?\n" +
	"\x04Cron\x12\x1a\n" +
	"\bschedule\x18\x01 \x01(\tR\bschedule\x12\x1b\n" +
	"\ttime_zone\x18\x02 \x01(\tR\btimeZone\"^\n" +
	"\x05Batch\x12\x1f\n" +
	"\vmax_records\x18\x01 \x01(\x05R\n" +
	"maxRecords\x124\n" +
	"\bmax_wait\x18\x02 \x01(\v2\x19.google.protobuf.DurationR\amaxWait*N\n" +
	"\x05Codec\x12\x15\n" +
	"\x11CODEC_UNSPECIFIED\x10\x00\x12\x0f\n" +
	"\vCODEC_PROTO\x10\x01\x12\x0e\n" +
	"\n" +
	"CODEC_JSON\x10\x02\x12\r\n" +
	"\tCODEC_RAW\x10\x03*_\n" +
	"\tGuarantee\x12\x19\n" +
	"\x15GUARANTEE_UNSPECIFIED\x10\x00\x12\x1b\n" +
	"\x17GUARANTEE_AT_LEAST_ONCE\x10\x01\x12\x1a\n" +
	"\x16GUARANTEE_EXACTLY_ONCE\x10\x02*P\n" +
	"\aOnError\x12\x18\n" +
	"\x14ON_ERROR_UNSPECIFIED\x10\x00\x12\x18\n" +
	"\x14ON_ERROR_DEAD_LETTER\x10\x01\x12\x11\n" +
	"\rON_ERROR_STOP\x10\x02*c\n" +
	"\bJoinKind\x12\x19\n" +
	"\x15JOIN_KIND_UNSPECIFIED\x10\x00\x12\x13\n" +
	"\x0fJOIN_KIND_INNER\x10\x01\x12\x12\n" +
	"\x0eJOIN_KIND_LEFT\x10\x02\x12\x13\n" +
	"\x0fJOIN_KIND_OUTER\x10\x03*I\n" +
	"\x05RunOn\x12\x16\n" +
	"\x12RUN_ON_UNSPECIFIED\x10\x00\x12\x11\n" +
	"\rRUN_ON_LEADER\x10\x01\x12\x15\n" +
	"\x11RUN_ON_PARTITIONS\x10\x02*]\n" +
	"\vMissedTicks\x12\x1c\n" +
	"\x18MISSED_TICKS_UNSPECIFIED\x10\x00\x12\x19\n" +
	"\x15MISSED_TICKS_RUN_ONCE\x10\x01\x12\x15\n" +
	"\x11MISSED_TICKS_SKIP\x10\x02*\x83\x01\n" +
	"\fMisplacedKey\x12\x1d\n" +
	"\x19MISPLACED_KEY_UNSPECIFIED\x10\x00\x12\x1d\n" +
	"\x19MISPLACED_KEY_REPARTITION\x10\x01\x12\x1d\n" +
	"\x19MISPLACED_KEY_DEAD_LETTER\x10\x02\x12\x16\n" +
	"\x12MISPLACED_KEY_STOP\x10\x03*a\n" +
	"\vFutureEvent\x12\x1c\n" +
	"\x18FUTURE_EVENT_UNSPECIFIED\x10\x00\x12\x1c\n" +
	"\x18FUTURE_EVENT_DEAD_LETTER\x10\x01\x12\x16\n" +
	"\x12FUTURE_EVENT_CLAMP\x10\x02:L\n" +
	"\x05topic\x12\x1f.google.protobuf.MessageOptions\x18\xa6\x94\x03 \x01(\v2\x13.streamgen.v1.TopicR\x05topic:F\n" +
	"\x03app\x12\x1f.google.protobuf.ServiceOptions\x18\xa6\x94\x03 \x01(\v2\x11.streamgen.v1.AppR\x03app:J\n" +
	"\x05field\x12\x1d.google.protobuf.FieldOptions\x18\xa6\x94\x03 \x01(\v2\x13.streamgen.v1.FieldR\x05field:K\n" +
	"\x05agent\x12\x1e.google.protobuf.MethodOptions\x18\xa6\x94\x03 \x01(\v2\x13.streamgen.v1.AgentR\x05agentB=Z;github.com/streamgen/streamgen/gen/streamgen/v1;streamgenv1b\x06proto3"

var (
	file_streamgen_v1_streamgen_proto_rawDescOnce sync.Once
	file_streamgen_v1_streamgen_proto_rawDescData []byte
)

func file_streamgen_v1_streamgen_proto_rawDescGZIP() []byte {
	file_streamgen_v1_streamgen_proto_rawDescOnce.Do(func() {
		file_streamgen_v1_streamgen_proto_rawDescData = protoimpl.X.CompressGZIP(unsafe.Slice(unsafe.StringData(file_streamgen_v1_streamgen_proto_rawDesc), len(file_streamgen_v1_streamgen_proto_rawDesc)))
	})
	return file_streamgen_v1_streamgen_proto_rawDescData
}

var file_streamgen_v1_streamgen_proto_enumTypes = make([]protoimpl.EnumInfo, 8)
var file_streamgen_v1_streamgen_proto_msgTypes = make([]protoimpl.MessageInfo, 18)
var file_streamgen_v1_streamgen_proto_goTypes = []any{
	(Codec)(0),                          // 0: streamgen.v1.Codec
	(Guarantee)(0),                      // 1: streamgen.v1.Guarantee
	(OnError)(0),                        // 2: streamgen.v1.OnError
	(JoinKind)(0),                       // 3: streamgen.v1.JoinKind
	(RunOn)(0),                          // 4: streamgen.v1.RunOn
	(MissedTicks)(0),                    // 5: streamgen.v1.MissedTicks
	(MisplacedKey)(0),                   // 6: streamgen.v1.MisplacedKey
	(FutureEvent)(0),                    // 7: streamgen.v1.FutureEvent
	(*Topic)(nil),                       // 8: streamgen.v1.Topic
	(*App)(nil),                         // 9: streamgen.v1.App
	(*Table)(nil),                       // 10: streamgen.v1.Table
	(*TableJoin)(nil),                   // 11: streamgen.v1.TableJoin
	(*FKSubscription)(nil),              // 12: streamgen.v1.FKSubscription
	(*FKResponse)(nil),                  // 13: streamgen.v1.FKResponse
	(*FKIndexEntry)(nil),                // 14: streamgen.v1.FKIndexEntry
	(*Window)(nil),                      // 15: streamgen.v1.Window
	(*SessionWindow)(nil),               // 16: streamgen.v1.SessionWindow
	(*Field)(nil),                       // 17: streamgen.v1.Field
	(*Agent)(nil),                       // 18: streamgen.v1.Agent
	(*Join)(nil),                        // 19: streamgen.v1.Join
	(*JoinBuffer)(nil),                  // 20: streamgen.v1.JoinBuffer
	(*JoinBufferEntry)(nil),             // 21: streamgen.v1.JoinBufferEntry
	(*Timer)(nil),                       // 22: streamgen.v1.Timer
	(*Cron)(nil),                        // 23: streamgen.v1.Cron
	(*Batch)(nil),                       // 24: streamgen.v1.Batch
	nil,                                 // 25: streamgen.v1.Topic.ConfigEntry
	(*durationpb.Duration)(nil),         // 26: google.protobuf.Duration
	(*descriptorpb.MessageOptions)(nil), // 27: google.protobuf.MessageOptions
	(*descriptorpb.ServiceOptions)(nil), // 28: google.protobuf.ServiceOptions
	(*descriptorpb.FieldOptions)(nil),   // 29: google.protobuf.FieldOptions
	(*descriptorpb.MethodOptions)(nil),  // 30: google.protobuf.MethodOptions
}
var file_streamgen_v1_streamgen_proto_depIdxs = []int32{
	0,  // 0: streamgen.v1.Topic.codec:type_name -> streamgen.v1.Codec
	25, // 1: streamgen.v1.Topic.config:type_name -> streamgen.v1.Topic.ConfigEntry
	10, // 2: streamgen.v1.App.tables:type_name -> streamgen.v1.Table
	1,  // 3: streamgen.v1.App.guarantee:type_name -> streamgen.v1.Guarantee
	26, // 4: streamgen.v1.App.commit_interval:type_name -> google.protobuf.Duration
	15, // 5: streamgen.v1.Table.window:type_name -> streamgen.v1.Window
	11, // 6: streamgen.v1.Table.join:type_name -> streamgen.v1.TableJoin
	3,  // 7: streamgen.v1.TableJoin.kind:type_name -> streamgen.v1.JoinKind
	26, // 8: streamgen.v1.Window.size:type_name -> google.protobuf.Duration
	26, // 9: streamgen.v1.Window.step:type_name -> google.protobuf.Duration
	26, // 10: streamgen.v1.Window.expires:type_name -> google.protobuf.Duration
	26, // 11: streamgen.v1.Window.grace:type_name -> google.protobuf.Duration
	16, // 12: streamgen.v1.Window.session:type_name -> streamgen.v1.SessionWindow
	26, // 13: streamgen.v1.SessionWindow.gap:type_name -> google.protobuf.Duration
	26, // 14: streamgen.v1.SessionWindow.grace:type_name -> google.protobuf.Duration
	2,  // 15: streamgen.v1.Agent.on_error:type_name -> streamgen.v1.OnError
	26, // 16: streamgen.v1.Agent.max_event_time_ahead:type_name -> google.protobuf.Duration
	7,  // 17: streamgen.v1.Agent.on_future_event:type_name -> streamgen.v1.FutureEvent
	6,  // 18: streamgen.v1.Agent.on_misplaced_key:type_name -> streamgen.v1.MisplacedKey
	24, // 19: streamgen.v1.Agent.batch:type_name -> streamgen.v1.Batch
	22, // 20: streamgen.v1.Agent.timer:type_name -> streamgen.v1.Timer
	23, // 21: streamgen.v1.Agent.cron:type_name -> streamgen.v1.Cron
	4,  // 22: streamgen.v1.Agent.run_on:type_name -> streamgen.v1.RunOn
	5,  // 23: streamgen.v1.Agent.on_missed_ticks:type_name -> streamgen.v1.MissedTicks
	19, // 24: streamgen.v1.Agent.join:type_name -> streamgen.v1.Join
	3,  // 25: streamgen.v1.Join.kind:type_name -> streamgen.v1.JoinKind
	26, // 26: streamgen.v1.Join.before:type_name -> google.protobuf.Duration
	26, // 27: streamgen.v1.Join.after:type_name -> google.protobuf.Duration
	26, // 28: streamgen.v1.Join.grace:type_name -> google.protobuf.Duration
	21, // 29: streamgen.v1.JoinBuffer.entries:type_name -> streamgen.v1.JoinBufferEntry
	26, // 30: streamgen.v1.Timer.every:type_name -> google.protobuf.Duration
	26, // 31: streamgen.v1.Batch.max_wait:type_name -> google.protobuf.Duration
	27, // 32: streamgen.v1.topic:extendee -> google.protobuf.MessageOptions
	28, // 33: streamgen.v1.app:extendee -> google.protobuf.ServiceOptions
	29, // 34: streamgen.v1.field:extendee -> google.protobuf.FieldOptions
	30, // 35: streamgen.v1.agent:extendee -> google.protobuf.MethodOptions
	8,  // 36: streamgen.v1.topic:type_name -> streamgen.v1.Topic
	9,  // 37: streamgen.v1.app:type_name -> streamgen.v1.App
	17, // 38: streamgen.v1.field:type_name -> streamgen.v1.Field
	18, // 39: streamgen.v1.agent:type_name -> streamgen.v1.Agent
	40, // [40:40] is the sub-list for method output_type
	40, // [40:40] is the sub-list for method input_type
	36, // [36:40] is the sub-list for extension type_name
	32, // [32:36] is the sub-list for extension extendee
	0,  // [0:32] is the sub-list for field type_name
}

func init() { file_streamgen_v1_streamgen_proto_init() }
func file_streamgen_v1_streamgen_proto_init() {
	if File_streamgen_v1_streamgen_proto != nil {
		return
	}
	type x struct{}
	out := protoimpl.TypeBuilder{
		File: protoimpl.DescBuilder{
			GoPackagePath: reflect.TypeOf(x{}).PkgPath(),
			RawDescriptor: unsafe.Slice(unsafe.StringData(file_streamgen_v1_streamgen_proto_rawDesc), len(file_streamgen_v1_streamgen_proto_rawDesc)),
			NumEnums:      8,
			NumMessages:   18,
			NumExtensions: 4,
			NumServices:   0,
		},
		GoTypes:           file_streamgen_v1_streamgen_proto_goTypes,
		DependencyIndexes: file_streamgen_v1_streamgen_proto_depIdxs,
		EnumInfos:         file_streamgen_v1_streamgen_proto_enumTypes,
		MessageInfos:      file_streamgen_v1_streamgen_proto_msgTypes,
		ExtensionInfos:    file_streamgen_v1_streamgen_proto_extTypes,
	}.Build()
	File_streamgen_v1_streamgen_proto = out.File
	file_streamgen_v1_streamgen_proto_goTypes = nil
	file_streamgen_v1_streamgen_proto_depIdxs = nil
}
