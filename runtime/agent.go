package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// Agent is a registered agent.
type Agent struct {
	// Desc is the agent's descriptor.
	Desc *AgentDesc
	app  *App
}

// ProcessError is a record that failed: it did not decode, or its handler
// returned an error or panicked.
type ProcessError struct {
	// Agent names the agent as "app-id/Agent".
	Agent string
	// Topic, Partition and Offset locate the record.
	Topic string
	// Partition is the record's partition.
	Partition int32
	// Offset is the record's offset.
	Offset int64
	// Err is the decode error (a *DecodeError), the handler's error, or a
	// *PanicError.
	Err error
}

// Error names the agent and the record, and the cause.
func (e *ProcessError) Error() string {
	return fmt.Sprintf("agent %s: record %s/%d@%d: %v", e.Agent, e.Topic, e.Partition, e.Offset, e.Err)
}

// Unwrap returns the cause.
func (e *ProcessError) Unwrap() error { return e.Err }

// PanicError is a handler's panic, turned into an error.
type PanicError struct {
	// Value is what the handler panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error describes the panic.
func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.Value) }

// Sources returns the topics an engine consumes for ag alone, partition
// p of each running with partition p of ag's Input (the same lanes,
// stores and stream time): its repartition topic when it moves misplaced
// records through it (MisplacedKeyRepartition), and the stream it joins
// (StreamJoin).
func (ag *Agent) Sources() []*TopicDesc {
	var out []*TopicDesc
	if ag.Desc.Repartition != nil && ag.Desc.OnMisplacedKey == MisplacedKeyRepartition {
		out = append(out, ag.Desc.Repartition)
	}
	if j := ag.Desc.StreamJoin; j != nil {
		out = append(out, j.Stream)
	}
	return out
}

// Name returns "app-id/Agent".
func (ag *Agent) Name() string { return ag.app.id + "/" + ag.Desc.Name }

// Processor runs one agent's handler on records for the engine hosting
// it: a worker's lane, or the test driver. Handlers never see it; they get
// the generated typed emitter, which wraps the processor's Emitter. A
// Processor is used by one goroutine.
type Processor struct {
	ag        *Agent
	em        Emitter
	joinClock *windows.JoinClock // a stream join's (SetJoinClock)
	// tjoins are the table-table joins the agent keeps, by the index of
	// the side a write changes (tablejoin.go).
	tjoins map[int][]tableJoinRef
}

// NewProcessor returns a processor of ag whose handlers read the agent's
// tables through st (nil for an agent without tables) and stream time
// from streamTime (the partition's; the zero time before any event).
func (ag *Agent) NewProcessor(st State, streamTime func() time.Time) *Processor {
	var impl any
	if ag.app != nil {
		impl = ag.app.impl
	}
	var fkIndexes map[*TableDesc]*TableDesc
	if ag.app != nil {
		fkIndexes = ag.app.fkIndexes
	}
	return &Processor{ag: ag, em: Emitter{state: st, streamTime: streamTime, impl: impl}, tjoins: tableJoins(ag.Desc, fkIndexes)}
}

// Result is what one handler call produced. Its slices are valid until
// the processor's next call.
type Result struct {
	// Records are the records to produce, in emit order.
	Records []Record
	// Writes are the table writes, in order.
	Writes []TableWrite
	// EventTime is the record's event time: its event_time field, else
	// its timestamp (a closed window's end for ProcessClosed).
	EventTime time.Time
	// Late is how many window writes were skipped because their window
	// had closed (past its end plus grace).
	Late int
	// Clamped is set when the record was from the future and its record
	// timestamp became its event time (FutureEventClamp).
	Clamped bool
	// Unmatched is set when an inner join found no value for the record's
	// key: the handler was not called.
	Unmatched bool
	// Failed are the records of a closed stream-join window whose handler
	// call failed (ProcessClosed): each goes to the error policy on its
	// own, the others' outputs stand.
	Failed []Failure
	// JoinErr is, for a feeder (its write stands: the table mirrors its
	// topic), the failure of a table-table join it keeps: the join lost
	// the key's value. The engine logs it.
	JoinErr error
}

// Failure is a record that failed inside a call that went on without it
// (Result.Failed): the engine applies the agent's error policy to it.
type Failure struct {
	// Record is the record, as it was read from its topic.
	Record *Record
	// Err is its *ProcessError.
	Err error
}

// State is what the engine gives a Processor to read an agent's tables
// in the input record's partition.
type State interface {
	// Get returns the stored value of key in the agent's table number
	// table, as of the writes applied before this record.
	Get(table int, key []byte) ([]byte, bool, error)
	// Scan calls fn with each key of the agent's table number table that
	// begins with prefix and its stored value, in key order, as of the
	// writes applied before this call, until fn returns an error
	// (returned, unless it is state.ErrStop).
	Scan(table int, prefix []byte, fn func(key, value []byte) error) error
}

// TableWrite is a table write a handler made: Value nil deletes the key.
type TableWrite struct {
	// Table is the index into the agent's tables.
	Table int
	// Key is the table key.
	Key []byte
	// Value is the encoded value, nil for a delete.
	Value []byte
}

// Process runs the agent on one input record: decode with the topic's
// codec, call the handler, recover a panic. On failure it returns a
// *ProcessError and an empty Result; the caller applies the error policy,
// for dead letters with Agent.DeadLetter.
func (p *Processor) Process(ctx context.Context, rec *Record) (res Result, err error) {
	if p.ag.Desc.Feeds != nil {
		return p.feed(rec)
	}
	if p.ag.Desc.StreamJoin != nil {
		return p.processJoin(ctx, rec)
	}
	if jt := p.ag.Desc.FKSubscribe; jt != nil {
		p.em.reset(p.ag.Desc, rec)
		r, ferr := p.fkSubscribe(rec, jt)
		if ferr != nil {
			return p.fkFailed(rec, jt, -1, ferr)
		}
		return r, nil
	}
	if jt := p.ag.Desc.FKRespond; jt != nil {
		p.em.reset(p.ag.Desc, rec)
		r, ferr := p.fkRespond(context.WithValue(ctx, recordKey{}, rec), rec, jt)
		if ferr != nil {
			return p.fkFailed(rec, jt, 1, ferr)
		}
		return r, nil
	}
	ag, out := p.ag, &p.em
	out.reset(ag.Desc, rec)
	in, err := ag.Desc.Input.Decode(rec.Value)
	if err != nil {
		return Result{}, ag.fail(rec, err)
	}
	defer func() {
		if r := recover(); r != nil {
			out.reset(ag.Desc, rec)
			res, err = Result{}, ag.fail(rec, &PanicError{Value: r, Stack: debug.Stack()})
		}
	}()
	if err := p.admit(ag.Desc.Input, rec, in); err != nil {
		return Result{}, ag.fail(rec, err)
	}
	if err := ag.Desc.Handler(context.WithValue(ctx, recordKey{}, rec), ag.app.impl, in, out); err != nil {
		out.reset(ag.Desc, rec)
		return Result{}, ag.fail(rec, err)
	}
	if err := p.keepJoins(ctx); err != nil {
		out.reset(ag.Desc, rec)
		return Result{}, ag.fail(rec, err)
	}
	return out.result(), nil
}

// ProcessBatch runs a batch agent on recs, in order: each record is
// decoded, then the handler is called once with those that decoded. errs
// is nil when the handler returned nil; otherwise errs[i] is the
// *ProcessError of recs[i] (a record that did not decode gets its decode
// error, whether or not the handler then succeeded; when the handler
// failed or panicked, every other record gets that failure, and res is
// empty). The batch's outputs carry no input record's key (a topic
// without a key field gets records without one); their event time is
// the last record's.
func (p *Processor) ProcessBatch(ctx context.Context, recs []*Record) (res Result, errs []error) {
	ag, out := p.ag, &p.em
	out.reset(ag.Desc, nil)
	msgs := make([]proto.Message, 0, len(recs))
	var decoded []*Record
	for i, rec := range recs {
		m, err := ag.Desc.Input.Decode(rec.Value)
		if err != nil {
			if errs == nil {
				errs = make([]error, len(recs))
			}
			errs[i] = ag.fail(rec, err)
			continue
		}
		msgs, decoded = append(msgs, m), append(decoded, rec)
	}
	if len(msgs) == 0 {
		return Result{}, errs
	}
	last := decoded[len(decoded)-1]
	out.eventTime = last.Timestamp
	if err := p.callBatch(ctx, msgs); err != nil {
		out.reset(ag.Desc, nil)
		if errs == nil {
			errs = make([]error, len(recs))
		}
		for i, rec := range recs {
			if errs[i] == nil {
				errs[i] = ag.fail(rec, err)
			}
		}
		return Result{}, errs
	}
	return out.result(), errs
}

// callBatch calls the batch handler, turning a panic into a *PanicError.
func (p *Processor) callBatch(ctx context.Context, msgs []proto.Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return p.ag.Desc.BatchHandler(ctx, p.ag.app.impl, msgs, &p.em)
}

// admit makes m, decoded from rec of topic (the agent's input, or a
// joined stream), the record being handled: its event time is the topic's
// event_time field, else the record timestamp; then the placement and
// future-event checks apply.
func (p *Processor) admit(topic *TopicDesc, rec *Record, m proto.Message) error {
	out := &p.em
	out.msg, out.eventTime = m, rec.Timestamp
	if f := topic.EventTime; f != nil {
		if t := f(m); !t.IsZero() {
			out.eventTime = t
		}
	}
	if err := p.checkPlacementOf(topic, rec, m); err != nil {
		return err
	}
	return p.checkFuture(rec)
}

// checkPlacementOf returns a *MisplacedKeyError when the agent checks key
// placement (OnMisplacedKey) and the key of rec, a record of topic (its
// Input, or a joined Stream) decoded as in, belongs to another partition: a producer with another partitioner than murmur2
// (kcat's default, librdkafka's consistent_random), or a record key that
// is not the key field's encoding. Handled there, its writes would split
// the key's state from its other records'. A record without a key has no
// partition of its own and is not checked.
func (p *Processor) checkPlacementOf(topic *TopicDesc, rec *Record, in proto.Message) error {
	d := p.ag.Desc
	if d.OnMisplacedKey == 0 || topic.Partitions <= 1 {
		return nil
	}
	key := rec.Key
	switch {
	case d.GroupBy != nil:
		// Every group has its partition, the empty one too.
		key = d.GroupBy(in)
		if want := Partition(key, topic.Partitions); want != rec.Partition {
			return &MisplacedKeyError{Key: key, Partition: rec.Partition, Want: want, Policy: d.OnMisplacedKey}
		}
		return nil
	case topic.Key != nil:
		key = topic.Key(in)
	}
	if len(key) == 0 {
		return nil
	}
	if want := Partition(key, topic.Partitions); want != rec.Partition {
		return &MisplacedKeyError{Key: key, Partition: rec.Partition, Want: want, Policy: d.OnMisplacedKey}
	}
	return nil
}

// MisplacedKeyError is an input record of an agent with tables whose key
// belongs to another partition (AgentDesc.OnMisplacedKey says what
// happens to it).
type MisplacedKeyError struct {
	// Key is the record's key: its key field's encoding when the topic
	// declares one, else the record key.
	Key []byte
	// Partition is the record's partition; Want is the one its key
	// belongs to (Partition of Key).
	Partition, Want int32
	// Policy is the agent's on_misplaced_key.
	Policy MisplacedKeyPolicy
}

// Error says where the key belongs, why it matters, and how producers
// place keys right.
func (e *MisplacedKeyError) Error() string {
	return fmt.Sprintf("key %q belongs to partition %d (murmur2), not %d: the agent keeps its state there (on_misplaced_key: %v); "+
		"produce with a murmur2 partitioner (kcat -X partitioner=murmur2_random, the Java client's default) and key records by the key field",
		e.Key, e.Want, e.Partition, e.Policy)
}

// DefaultMaxEventTimeAhead is the bound on event time running ahead that
// an AgentDesc without one (MaxEventTimeAhead 0) gets; the schema's
// default (agent option max_event_time_ahead) is the same.
const DefaultMaxEventTimeAhead = time.Hour

// checkFuture applies the agent's bound on event time running ahead (the
// kind of fault of Kafka's KIP-1334: one event far in the future would
// move stream time past every open window of its partition, closing them
// all and making every later event late). A record whose event time is
// more than MaxEventTimeAhead past the later of the partition's stream
// time and the wall clock is from the future: FutureEventClamp handles it
// with its record timestamp as event time (or, if that is from the future
// too, the later of stream time and the wall clock); FutureEventDeadLetter
// (the default) returns a *FutureEventError, which goes to the dead-letter
// topic whatever the agent's error policy.
func (p *Processor) checkFuture(rec *Record) error {
	d, out := p.ag.Desc, &p.em
	bound := d.MaxEventTimeAhead
	if bound <= 0 {
		bound = DefaultMaxEventTimeAhead
	}
	var st time.Time
	if out.streamTime != nil {
		st = out.streamTime()
	}
	if !st.IsZero() && !out.eventTime.After(st.Add(bound)) {
		return nil // within the bound of stream time: no wall clock needed (the usual case, per record)
	}
	ref := time.Now()
	if st.After(ref) {
		ref = st
	}
	if !out.eventTime.After(ref.Add(bound)) {
		return nil
	}
	if d.OnFutureEvent == FutureEventClamp {
		// The record timestamp, unless it is from the future too.
		t := rec.Timestamp
		if t.After(ref.Add(bound)) {
			t = ref
		}
		out.eventTime, out.clamped = t, true
		return nil
	}
	return &FutureEventError{EventTime: out.eventTime, Reference: ref, Bound: bound}
}

// FutureEventError is a record whose event time runs further ahead of the
// partition's stream time and the wall clock than its agent allows
// (AgentDesc.MaxEventTimeAhead).
type FutureEventError struct {
	// EventTime is the record's event time.
	EventTime time.Time
	// Reference is the later of the stream time and the wall clock when
	// the record was handled.
	Reference time.Time
	// Bound is the agent's MaxEventTimeAhead.
	Bound time.Duration
}

// Error says how far ahead the event time is, and how to allow it.
func (e *FutureEventError) Error() string {
	return fmt.Sprintf("event time %s is %v ahead of stream time and the wall clock (%s); the agent allows %v "+
		"(raise max_event_time_ahead, or set on_future_event: FUTURE_EVENT_CLAMP to use the record timestamp)",
		e.EventTime.Format(time.RFC3339Nano), e.EventTime.Sub(e.Reference).Round(time.Millisecond), e.Reference.Format(time.RFC3339Nano), e.Bound)
}

func (ag *Agent) fail(rec *Record, err error) error {
	return &ProcessError{Agent: ag.Name(), Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Err: err}
}

// DeadLetter returns the dead-letter record for a failed input record: the
// same key, value and headers, plus headers naming the source and error.
func (ag *Agent) DeadLetter(rec *Record, err error) *Record {
	var cause error = err
	var pe *ProcessError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	headers := make([]Header, 0, len(rec.Headers)+5)
	headers = append(headers, rec.Headers...)
	headers = append(headers,
		Header{Key: HeaderSourceTopic, Value: []byte(rec.Topic)},
		Header{Key: HeaderSourcePartition, Value: strconv.AppendInt(nil, int64(rec.Partition), 10)},
		Header{Key: HeaderSourceOffset, Value: strconv.AppendInt(nil, rec.Offset, 10)},
		Header{Key: HeaderError, Value: []byte(cause.Error())},
		Header{Key: HeaderAgent, Value: []byte(ag.Name())},
	)
	return &Record{
		Topic:     ag.Desc.DeadLetter.Name,
		Partition: rec.Partition,
		Key:       rec.Key,
		Value:     rec.Value,
		Headers:   headers,
		Timestamp: rec.Timestamp,
	}
}

// ClosedWindow identifies a window an on_window_close agent is called for.
type ClosedWindow struct {
	// Table is the windowed table.
	Table string
	// Key is the table key.
	Key []byte
	// Start and End bound the window: [Start, End).
	Start, End time.Time
}

type closedKey struct{}

// WithClosedWindow returns ctx carrying w, as an on_window_close handler's
// context does: for unit tests of such handlers that read
// ClosedWindowFrom.
func WithClosedWindow(ctx context.Context, w ClosedWindow) context.Context {
	return context.WithValue(ctx, closedKey{}, w)
}

// ClosedWindowFrom returns the window an on_window_close agent's handler
// was called for. The generated emitter's Window method returns the same,
// and is what a unit test mocks; WithClosedWindow makes such a context.
func ClosedWindowFrom(ctx context.Context) (ClosedWindow, bool) {
	w, ok := ctx.Value(closedKey{}).(ClosedWindow)
	return w, ok
}

// ProcessClosed runs an on_window_close agent on a window's final value
// (its table's encoding, nil for the default). The record the error policy
// sees is the window's changelog record: topic, partition, table key,
// value, and the window's end as timestamp.
func (p *Processor) ProcessClosed(ctx context.Context, w ClosedWindow, partition int32, value []byte) (res Result, err error) {
	if p.ag.Desc.StreamJoin != nil {
		return p.joinClosed(ctx, w, partition, value)
	}
	ag, out := p.ag, &p.em
	t := ag.Desc.WindowClose
	rec := &Record{Topic: t.Changelog.Name, Partition: partition, Offset: -1, Key: w.Key, Value: value, Timestamp: w.End}
	out.reset(ag.Desc, rec)
	m := t.New()
	raw := value
	if raw == nil {
		raw = t.Default
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return Result{}, ag.fail(rec, &DecodeError{Topic: t.Changelog.Name, Codec: CodecProto, Err: err})
	}
	defer func() {
		if r := recover(); r != nil {
			out.reset(ag.Desc, rec)
			res, err = Result{}, ag.fail(rec, &PanicError{Value: r, Stack: debug.Stack()})
		}
	}()
	out.msg = m
	out.eventTime = w.End
	out.window = &w
	cctx := WithClosedWindow(context.WithValue(ctx, recordKey{}, rec), w)
	if err := ag.Desc.Handler(cctx, ag.app.impl, m, out); err != nil {
		out.reset(ag.Desc, rec)
		return Result{}, ag.fail(rec, err)
	}
	return out.result(), nil
}
