package dsl

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// Topic is a Kafka topic bound to a message type.
type Topic struct {
	// Name is the Kafka topic name.
	Name string
	// Partitions is the partition count, at least 1.
	Partitions int32
	// ReplicationFactor is the replication factor, or -1 for the broker's
	// default.
	ReplicationFactor int32
	// Key is the key field, or nil when records have no key.
	Key protoreflect.FieldDescriptor
	// Codec is the value encoding, never CODEC_UNSPECIFIED.
	Codec streamgenv1.Codec
	// StrictJSON makes a CODEC_JSON topic reject records holding fields
	// its message does not declare; by default they are skipped.
	StrictJSON bool
	// RawField is the single string or bytes field of a CODEC_RAW message.
	RawField protoreflect.FieldDescriptor
	// Config is the topic config to create the topic with, including
	// cleanup.policy and retention.ms when declared.
	Config map[string]string
	// Message is the message type bound to the topic; nil for dead-letter
	// topics, whose records are copies of other topics' records.
	Message protoreflect.MessageDescriptor
	// EventTime is the field holding the event time (a Timestamp or int64
	// milliseconds), or nil: the record timestamp is the event time.
	EventTime protoreflect.FieldDescriptor
	// PartitionsFrom is, for a changelog or dead-letter topic, the declared
	// topic whose partition count it follows (an input of its agent or of
	// its table's first writer); nil for a declared topic. A change to the
	// partition count of an internal topic is made there.
	PartitionsFrom *Topic
}

// ConfigKeys returns the topic's config keys in sorted order.
func (t *Topic) ConfigKeys() []string {
	keys := make([]string, 0, len(t.Config))
	for k := range t.Config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Agent is an rpc of an app service: it consumes Input and may emit to
// Outputs.
type Agent struct {
	// Name is the rpc name, e.g. "Total".
	Name string
	// Method is the rpc's descriptor.
	Method protoreflect.MethodDescriptor
	// Input is the topic of the request message.
	Input *Topic
	// Outputs are the topics the agent may emit to: the response's topic
	// first (unless the response is google.protobuf.Empty), then the
	// declared further outputs in declaration order.
	Outputs []*Topic
	// Concurrency is how many records of a partition run at once, at least 1.
	Concurrency int32
	// OnError is the error policy, never ON_ERROR_UNSPECIFIED.
	OnError streamgenv1.OnError
	// DeadLetter is the dead-letter topic; set whatever OnError says, so a
	// policy change never renames it.
	DeadLetter *Topic
	// Tables are the tables the agent reads and writes, in declaration order.
	Tables []*Table
	// WindowClose is the windowed table whose closed windows the agent
	// receives; Input is nil then.
	WindowClose *Table
	// MaxEventTimeAhead is how far an input record's event time may be
	// past the later of its partition's stream time and the wall clock;
	// DefaultMaxEventTimeAhead unless declared (always, for an agent with
	// WindowClose, which consumes no records).
	MaxEventTimeAhead time.Duration
	// OnFutureEvent is what happens to a record further ahead, never
	// FUTURE_EVENT_UNSPECIFIED.
	OnFutureEvent streamgenv1.FutureEvent
	// OnMisplacedKey is what happens to an input record whose key belongs
	// to another partition, never MISPLACED_KEY_UNSPECIFIED for an agent
	// with Repartition; UNSPECIFIED for the others (they do not check).
	OnMisplacedKey streamgenv1.MisplacedKey
	// Repartition is the topic carrying misplaced input records to the
	// partition their key belongs to: partitioned like Input, and consumed
	// by this agent too. Set for every agent with a table that is not
	// global, whatever OnMisplacedKey says (so a policy change never
	// renames it); nil for the others.
	Repartition *Topic
	// Batch, if set, makes the agent a batch agent: its handler receives
	// the input records in batches.
	Batch *Batch
	// Timer, if set, makes the agent run on time (an interval or a cron
	// schedule) instead of consuming a topic; Input is nil then.
	Timer *Timer
	// Join, if set, is the agent's stream-table join: its handler gets
	// the record and the joined table's value of its key.
	Join *Join
	// JoinTables are the table-table joins the agent keeps, as a writer of
	// one of their sides, with their other sides (to read): listed after
	// Tables in its descriptor, with no accessors.
	JoinTables []*Table
	// GroupBy, if set, is the field of the input message the agent keys
	// its records by (its tables, windows and placement) instead of the
	// topic's key; such an agent has a Repartition topic.
	GroupBy protoreflect.FieldDescriptor
}

// Join is an agent's join: with a table (Table set) or, windowed, with
// the records of another topic (Stream set).
type Join struct {
	// Table is the joined table, one of the agent's Tables (its Index).
	Table *Table
	Index int
	// Left hands the handler records whose key has no value too (with a
	// nil value); else only those whose key has one (inner). For a stream
	// join: input records that found no partner, once their window closed.
	Left bool
	// Stream is the topic a windowed stream-stream join joins the input
	// with: co-partitioned with it, read by this join only. The agent's
	// Tables are then exactly Buffers.
	Stream *Topic
	// Before, After and Grace are a stream join's window (a partner's
	// event time in [t-Before, t+After] of an input record's t) and grace.
	Before, After, Grace time.Duration
	// Outer is set for JOIN_KIND_OUTER stream joins: Left, and joined
	// records without a partner reach the handler too.
	Outer bool
	// Buffers are a stream join's buffer tables, the input's records then
	// Stream's, named BufferTable(agent, "input"|"stream"); they are
	// tables of the app too (Table.Buffer).
	Buffers [2]*Table
}

// Value returns the message the handler receives beside the record: the
// table's value, or the joined stream's message.
func (j *Join) Value() protoreflect.MessageDescriptor {
	if j.Stream != nil {
		return j.Stream.Message
	}
	return j.Table.Value
}

// BufferTable is the name of a stream join's buffer table of side
// ("input" or "stream") of agent: "<agent in kebab case>-join-<side>".
func BufferTable(agent, side string) string {
	return Kebab(agent) + "-join-" + side
}

// Timer is a timer or cron agent's schedule: Every, or Cron in TimeZone.
type Timer struct {
	// Every is the interval of a timer, at least MinTimerEvery; 0 for a
	// cron.
	Every time.Duration
	// Cron is a cron's schedule, as declared; "" for a timer.
	Cron string
	// TimeZone is the IANA time zone of Cron, "UTC" unless declared.
	TimeZone string
	// RunOn is where ticks run, never RUN_ON_UNSPECIFIED.
	RunOn streamgenv1.RunOn
	// OnMissedTicks is what happens to ticks no worker ran, never
	// MISSED_TICKS_UNSPECIFIED.
	OnMissedTicks streamgenv1.MissedTicks
	// Topic is, for RUN_ON_PARTITIONS, the topic whose partitions the
	// ticks run in: the input of the first writer (in declaration order) of
	// the agent's first table that is not global; nil on the leader.
	Topic *Topic
}

// MinTimerEvery is the shortest timer interval: the worker looks for due
// ticks after each poll, which waits up to 100 ms.
const MinTimerEvery = 100 * time.Millisecond

// Batch is a batch agent's batching: at most MaxRecords records, handed
// over at most MaxWait after the first.
type Batch struct {
	// MaxRecords is the most records in a batch, 1 to MaxBatchRecords.
	MaxRecords int32
	// MaxWait is the longest a batch waits after its first record,
	// positive.
	MaxWait time.Duration
}

// MaxBatchRecords bounds a batch's max_records: a batch's records are held
// in the worker's memory until its handler returns.
const MaxBatchRecords = 100_000

// DefaultMaxEventTimeAhead is an agent's max_event_time_ahead when its
// schema declares none.
const DefaultMaxEventTimeAhead = time.Hour

// Table is keyed state of an app, backed by a changelog topic.
type Table struct {
	// Name is the table's stable name.
	Name string
	// Value is the message type of the values.
	Value protoreflect.MessageDescriptor
	// KeyField is the declared key field of the writers' inputs, or "" for
	// the record key.
	KeyField string
	// DefaultJSON is the protojson value of a key never written, or "".
	DefaultJSON string
	// Changelog is the compacted changelog topic, partitioned like the
	// writers' input topics.
	Changelog *Topic
	// Timers are the timer and cron agents that run on each partition of
	// the table (RUN_ON_PARTITIONS) and list it; they are not Writers.
	Timers []*Agent
	// Writers are the agents that consume a topic and list the table
	// (readers, for a global table; a leader's timer may read one too).
	Writers []*Agent
	// Global is set for a global table; Source is then the topic that
	// feeds it (its value message's topic) and Changelog is nil.
	Global bool
	// Source is a global table's topic.
	Source *Topic
	// Window is set for a windowed table.
	Window *Window
	// FromTopic is set for a table fed from a topic (Kafka Streams'
	// KTable): Source is that topic (its value message's), the table is
	// partitioned like it and restored from it, and Changelog is nil;
	// Writers are the agents that read it; DeadLetter receives the topic's
	// records that cannot be table values.
	FromTopic  bool
	DeadLetter *Topic
	// Buffer is set for a stream join's buffer table (Join.Buffers): not
	// declared, with no accessor; its values are streamgen.v1.JoinBuffer,
	// in windows of 1 ms.
	Buffer bool
	// Internal is set for a foreign-key join's table of subscriptions
	// (TableJoin.Index): not declared, with no accessor.
	Internal bool
	// Join is set for a table-table join (the schema's join): its value of
	// a key is made from its sides' values of that key by the agents
	// interface's Join<Table> method, kept by whatever writes a side (the
	// agents listing it, Agent.JoinTables, or the feeder of a table fed
	// from a topic). Agents only read it.
	Join     *TableJoin
	joinSpec *streamgenv1.TableJoin // until resolved (tableJoins)

	optIndex int  // position in the app option's tables, for errors
	listed   bool // listed in some agent's tables, even one with a mistake
}

// TableJoin is a table-table join's sides and kind.
type TableJoin struct {
	// Left and Right are the joined tables: not windowed, not global, not
	// joins; partitioned alike, unless the join is a foreign-key join.
	Left, Right *Table
	// Kind is JOIN_KIND_INNER, JOIN_KIND_LEFT or JOIN_KIND_OUTER (not for
	// a foreign-key join).
	Kind streamgenv1.JoinKind
	// ForeignKey, for a foreign-key join, is the field of Left's value
	// holding Right's key; Subscriptions (partitioned like Right) and
	// Responses (like Left) are its internal topics, Index its table of
	// subscriptions (Table.Internal, partitioned like Right).
	ForeignKey               protoreflect.FieldDescriptor
	Subscriptions, Responses *Topic
	Index                    *Table
}

// Window is a windowed table's windows.
type Window struct {
	// Size is the window length.
	Size time.Duration
	// Step is the hop between window starts; equal to Size for tumbling
	// windows.
	Step time.Duration
	// Expires is how long a window is kept after it ends.
	Expires time.Duration
	// Grace is how long a window accepts late events after it ends.
	Grace time.Duration
	// Sliding makes reads at a time return the window ending first after
	// it: the last Size up to that time, at Step's resolution.
	Sliding bool
	// Gap, when positive, makes the windows session windows: a key's
	// events closer than Gap share a session. Size and Step are then 0;
	// Grace is the session's grace; Expires is counted from a session's
	// end (default Gap+Grace, when it closes).
	Gap time.Duration
}

// Session reports whether the windows are session windows.
func (w *Window) Session() bool { return w != nil && w.Gap > 0 }

// TableGoName is the Go name generated code gives table name: each
// '-'-separated word with its first letter upper-cased, joined, so
// "page-views" is PageViews and "per-10s" is Per10s. The table's accessor
// on the emitter is that name (out.PageViews()), and its interface,
// descriptor and constants start with the service's Go name followed by
// it (ShopPageViewsTable, ShopPageViewsTableName).
func TableGoName(name string) string {
	b := make([]rune, 0, len(name))
	up := true
	for _, c := range name {
		if c == '-' || c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b = append(b, c)
	}
	return string(b)
}

// ChangelogTopic is the changelog topic of table name of app appID:
// "<app id>-<table name>-changelog".
func ChangelogTopic(appID, table string) string {
	return appID + "-" + table + "-changelog"
}

// App is a service with the app option.
type App struct {
	// ID is the app id: consumer group and prefix of internal topics.
	ID string
	// Service is the service's descriptor.
	Service protoreflect.ServiceDescriptor
	// Agents are the app's agents in declaration order.
	Agents []*Agent
	// Tables are the app's tables in declaration order.
	Tables []*Table
	// ExactlyOnce is set when the app declares GUARANTEE_EXACTLY_ONCE.
	ExactlyOnce bool
	// CommitInterval is the declared commit interval; 0: the default.
	CommitInterval time.Duration

	// unusable holds the names of the tables the app option declares that
	// are not in Tables for a reported mistake; agents may still name them.
	unusable map[string]bool
}

// table returns the app's table called name, or nil.
func (a *App) table(name string) *Table {
	for _, t := range a.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Model is the checked topology of a set of files.
type Model struct {
	// Topics holds every topic bound to a message, by topic name.
	Topics map[string]*Topic
	// ByMessage holds every topic by its message's full name.
	ByMessage map[protoreflect.FullName]*Topic
	// Apps holds every app, sorted by service full name.
	Apps []*App
}

// AppFor returns the app declared by a service, or nil.
func (m *Model) AppFor(sd protoreflect.ServiceDescriptor) *App {
	for _, a := range m.Apps {
		if a.Service.FullName() == sd.FullName() {
			return a
		}
	}
	return nil
}

var (
	topicNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	tableNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// ValidTopicName reports why name is not a valid Kafka topic name, or "".
func ValidTopicName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case name == "." || name == "..":
		return "may not be \".\" or \"..\""
	case len(name) > 249:
		return fmt.Sprintf("is %d characters long; Kafka allows at most 249", len(name))
	case !topicNameRE.MatchString(name):
		return "may only hold the characters a-z, A-Z, 0-9, '.', '_' and '-'"
	}
	return ""
}

// Kebab turns an rpc name such as "TotalByAccount" into "total-by-account".
func Kebab(name string) string {
	var b strings.Builder
	rs := []rune(name)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			if i > 0 && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]))) && rs[i-1] != '_' {
				b.WriteByte('-')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		if r == '_' {
			r = '-'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// DefaultRepartitionTopic is the repartition topic of an agent that names
// none: "<app id>-<agent in kebab case>-repartition".
func DefaultRepartitionTopic(appID, agent string) string {
	return appID + "-" + Kebab(agent) + "-repartition"
}

// DefaultTableDeadLetterTopic is the dead-letter topic of a table fed
// from a topic (from_topic): "<app id>-<table>-table-dlq".
func DefaultTableDeadLetterTopic(appID, table string) string {
	return appID + "-" + table + "-table-dlq"
}

// DefaultDeadLetterTopic is the dead-letter topic of an agent that names
// none: "<app id>-<agent in kebab case>-dlq".
func DefaultDeadLetterTopic(appID, agent string) string {
	return appID + "-" + Kebab(agent) + "-dlq"
}
