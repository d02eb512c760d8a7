// Package runtime is the streamgen runtime's core, free of cgo: the
// descriptors generated code hands over (AppDesc, AgentDesc, TopicDesc),
// the App that agents are registered on, the Emitter handlers emit
// through, codecs, error policies and typed topic handles. Running an app
// on Kafka is package worker's job; testing one without a broker is
// package streamtest's.
package runtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"
)

// Option configures an App.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	logger *slog.Logger
}

// WithLogger sets the logger of the app and everything that runs it,
// including librdkafka's and the embedded broker's logs. Default:
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// App is a set of registered agents sharing one app id: one consumer group.
// Register agents with the generated Register function, then run the app
// with package worker, or test it with package streamtest.
type App struct {
	cfg     config
	id      string
	service string
	impl    any
	agents  []*Agent

	exactlyOnce    bool
	commitInterval time.Duration
}

// NewApp returns an App with no agents.
func NewApp(opts ...Option) *App {
	a := &App{cfg: config{logger: slog.Default()}}
	for _, o := range opts {
		o.apply(&a.cfg)
	}
	return a
}

// Register adds the agents of desc, implemented by impl. Generated
// Register functions call it. An App holds one app: registering a second
// service is an error, because one consumer group would then serve two
// apps' topics.
func (a *App) Register(desc *AppDesc, impl any) error {
	if desc == nil {
		return errors.New("streamgen: Register: nil AppDesc")
	}
	if impl == nil {
		return fmt.Errorf("streamgen: Register %s: the implementation is nil", desc.ServiceName)
	}
	if desc.Check != nil && !desc.Check(impl) {
		return fmt.Errorf("streamgen: Register %s: %T does not implement the generated interface", desc.ServiceName, impl)
	}
	if a.id != "" {
		return fmt.Errorf("streamgen: Register %s: app %q (%s) is already registered; run each app on its own App", desc.ServiceName, a.id, a.service)
	}
	a.id, a.service, a.impl = desc.ID, desc.ServiceName, impl
	a.exactlyOnce, a.commitInterval = desc.ExactlyOnce, desc.CommitInterval
	for _, d := range desc.Agents {
		a.agents = append(a.agents, &Agent{Desc: d, app: a})
	}
	return nil
}

// ExactlyOnce reports whether the registered app declares
// GUARANTEE_EXACTLY_ONCE.
func (a *App) ExactlyOnce() bool { return a.exactlyOnce }

// CommitInterval returns the registered app's commit interval: the
// declared one, else 100 ms.
func (a *App) CommitInterval() time.Duration {
	if a.commitInterval > 0 {
		return a.commitInterval
	}
	return 100 * time.Millisecond
}

// ID returns the app id, or "" before Register.
func (a *App) ID() string { return a.id }

// Logger returns the app's logger.
func (a *App) Logger() *slog.Logger { return a.cfg.logger }

// Agents returns the registered agents.
func (a *App) Agents() []*Agent { return a.agents }

// Topics returns every topic the app reads or writes, dead-letter topics
// included, sorted by name.
func (a *App) Topics() []*TopicDesc {
	seen := map[string]*TopicDesc{}
	for _, ag := range a.agents {
		for _, t := range append([]*TopicDesc{ag.Desc.Input, ag.Desc.DeadLetter}, ag.Desc.Outputs...) {
			if t != nil {
				seen[t.Name] = t
			}
		}
		for _, t := range ag.Desc.Tables {
			if t.Global {
				seen[t.Source.Name] = t.Source
			} else {
				seen[t.Changelog.Name] = t.Changelog
			}
		}
	}
	out := make([]*TopicDesc, 0, len(seen))
	for _, t := range seen {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

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

// Name returns "app-id/Agent".
func (ag *Agent) Name() string { return ag.app.id + "/" + ag.Desc.Name }

// Process runs the agent on one input record. On success the records to
// produce are in out (which Process resets first). On failure it returns
// a *ProcessError and out is empty; the caller applies the error policy,
// for dead letters with DeadLetter. The worker and the test driver both
// run records through Process.
func (ag *Agent) Process(ctx context.Context, rec *Record, out *Emitter) (err error) {
	out.reset(ag.Desc, rec)
	in, err := ag.Desc.Input.Decode(rec.Value)
	if err != nil {
		return ag.fail(rec, err)
	}
	defer func() {
		if p := recover(); p != nil {
			out.reset(ag.Desc, rec)
			err = ag.fail(rec, &PanicError{Value: p, Stack: debug.Stack()})
		}
	}()
	out.msg = in
	out.eventTime = rec.Timestamp
	if f := ag.Desc.Input.EventTime; f != nil {
		if t := f(in); !t.IsZero() {
			out.eventTime = t
		}
	}
	if err := ag.Desc.Handler(context.WithValue(ctx, recordKey{}, rec), ag.app.impl, in, out); err != nil {
		out.reset(ag.Desc, rec)
		return ag.fail(rec, err)
	}
	return nil
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

// Emitter collects the records a handler emits for one input record. The
// generated typed emitters wrap it; handlers never see it directly.
type Emitter struct {
	desc       *AgentDesc
	in         *Record
	msg        proto.Message
	recs       []Record
	writes     []TableWrite
	state      State
	eventTime  time.Time
	streamTime func() time.Time
	late       int
}

// SetStreamTime sets where windowed tables read the partition's stream
// time from (the highest event time seen, or the test driver's clock).
func (e *Emitter) SetStreamTime(f func() time.Time) { e.streamTime = f }

// EventTime returns the event time of the record being handled: its
// event_time field, else its timestamp.
func (e *Emitter) EventTime() time.Time { return e.eventTime }

// Late returns how many window writes of the last record were skipped
// because their window had closed (past its end plus grace).
func (e *Emitter) Late() int { return e.late }

// State is what the worker or the test driver gives Process to read an
// agent's tables in the input record's partition.
type State interface {
	// Get returns the stored value of key in the agent's table number
	// table, as of the writes applied before this record.
	Get(table int, key []byte) ([]byte, bool, error)
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

// SetState sets the state Process reads the agent's tables from; call it
// before Process for agents with tables.
func (e *Emitter) SetState(s State) { e.state = s }

func (e *Emitter) reset(d *AgentDesc, in *Record) {
	e.desc, e.in, e.msg = d, in, nil
	clear(e.recs)
	e.recs = e.recs[:0]
	clear(e.writes)
	e.writes = e.writes[:0]
	e.late = 0
}

// Writes returns the table writes of the last successful Process, in
// order. They are valid until the emitter is used for the next record.
func (e *Emitter) Writes() []TableWrite { return e.writes }

func (e *Emitter) tableKey(i int) ([]byte, *TableDesc, error) {
	if e.desc == nil || i < 0 || i >= len(e.desc.Tables) {
		return nil, nil, fmt.Errorf("streamgen: no table %d", i)
	}
	t := e.desc.Tables[i]
	if t.KeyFromField && e.desc.Input.Key != nil && e.msg != nil {
		return e.desc.Input.Key(e.msg), t, nil
	}
	if e.in == nil {
		return nil, t, fmt.Errorf("streamgen: table %q used outside a handler", t.Name)
	}
	return e.in.Key, t, nil
}

// TableGet returns the value of the current record's key in the agent's
// table number i, or the table's default. Writes of this record are seen.
func (e *Emitter) TableGet(ctx context.Context, i int) (proto.Message, error) {
	key, t, err := e.tableKey(i)
	if err != nil {
		return nil, err
	}
	m, _, err := e.getRaw(i, t, key)
	return m, err
}

// TableLookup returns the value of key in global table i, or the table's
// default, and whether the key has a value.
func (e *Emitter) TableLookup(ctx context.Context, i int, key []byte) (proto.Message, bool, error) {
	if e.desc == nil || i < 0 || i >= len(e.desc.Tables) {
		return nil, false, fmt.Errorf("streamgen: no table %d", i)
	}
	return e.getRaw(i, e.desc.Tables[i], key)
}

// TablePut sets the value of the current record's key in table i. The
// write takes effect (store and changelog) only if the handler returns nil.
func (e *Emitter) TablePut(ctx context.Context, i int, m proto.Message) error {
	key, t, err := e.tableKey(i)
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("streamgen: table %q: Put of a nil value; use Delete", t.Name)
	}
	v, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("streamgen: table %q: %w", t.Name, err)
	}
	if v == nil {
		v = []byte{}
	}
	e.writes = append(e.writes, TableWrite{Table: i, Key: key, Value: v})
	return nil
}

// TableDelete removes the current record's key from table i.
func (e *Emitter) TableDelete(ctx context.Context, i int) error {
	key, _, err := e.tableKey(i)
	if err != nil {
		return err
	}
	e.writes = append(e.writes, TableWrite{Table: i, Key: key})
	return nil
}

// Emit encodes m for the agent's output number i and adds it to the
// records to produce. Records are produced only after the handler returns
// nil; if it fails, nothing it emitted is produced.
func (e *Emitter) Emit(ctx context.Context, i int, m proto.Message) error {
	if e.desc == nil || i < 0 || i >= len(e.desc.Outputs) {
		return fmt.Errorf("streamgen: Emit: no output %d", i)
	}
	t := e.desc.Outputs[i]
	if m == nil {
		return fmt.Errorf("streamgen: Emit to %q: nil message", t.Name)
	}
	v, err := t.Encode(m)
	if err != nil {
		return fmt.Errorf("streamgen: Emit to %q: %w", t.Name, err)
	}
	if v == nil {
		v = []byte{} // an empty message, not a tombstone
	}
	var key []byte
	switch {
	case t.Key != nil:
		key = t.Key(m)
	case e.in != nil:
		// A topic without a key field keeps the input record's key, so
		// keyed data stays keyed (and co-partitioned) through agents.
		key = e.in.Key
	}
	e.recs = append(e.recs, Record{Topic: t.Name, Partition: -1, Key: key, Value: v})
	return nil
}

// Records returns the records emitted so far. They are valid until the
// emitter is used for the next input record.
func (e *Emitter) Records() []Record { return e.recs }

// WindowKey is the store and changelog key of key's window starting at
// start: the key, then the start in milliseconds, big-endian.
func WindowKey(key []byte, start time.Time) []byte {
	out := make([]byte, len(key)+8)
	copy(out, key)
	binary.BigEndian.PutUint64(out[len(key):], uint64(start.UnixMilli()))
	return out
}

// SplitWindowKey undoes WindowKey.
func SplitWindowKey(k []byte) (key []byte, start time.Time, ok bool) {
	if len(k) < 8 {
		return nil, time.Time{}, false
	}
	n := len(k) - 8
	return k[:n], time.UnixMilli(int64(binary.BigEndian.Uint64(k[n:]))).UTC(), true
}

// Window is one window's value of a windowed table.
type Window[T proto.Message] struct {
	// Start and End bound the window: [Start, End).
	Start, End time.Time
	// Value is the window's value.
	Value T
}

// WindowValue is Window with an untyped value, as the Emitter returns it.
type WindowValue struct {
	// Start and End bound the window: [Start, End).
	Start, End time.Time
	// Value is the window's value.
	Value proto.Message
}

func (e *Emitter) now() time.Time {
	if e.streamTime != nil {
		if t := e.streamTime(); !t.IsZero() {
			return t
		}
	}
	return e.eventTime
}

func (e *Emitter) windowed(i int) ([]byte, *TableDesc, error) {
	key, t, err := e.tableKey(i)
	if err == nil && t.Window == nil {
		err = fmt.Errorf("streamgen: table %q is not windowed", t.Name)
	}
	return key, t, err
}

// getRaw reads key k of table i: this record's own writes first, then the
// state; a key without a value reads as the table's default.
func (e *Emitter) getRaw(i int, t *TableDesc, k []byte) (proto.Message, bool, error) {
	var raw []byte
	found := false
	fromWrites := false
	for j := len(e.writes) - 1; j >= 0; j-- {
		if w := e.writes[j]; w.Table == i && string(w.Key) == string(k) {
			raw, found, fromWrites = w.Value, w.Value != nil, true
			break
		}
	}
	if !fromWrites {
		if e.state == nil {
			return nil, false, fmt.Errorf("streamgen: table %q has no state in this context", t.Name)
		}
		var err error
		if raw, found, err = e.state.Get(i, k); err != nil {
			return nil, false, fmt.Errorf("streamgen: table %q: %w", t.Name, err)
		}
	}
	m := t.New()
	if !found {
		raw = t.Default
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, false, fmt.Errorf("streamgen: table %q: decoding the value of key %q: %w", t.Name, k, err)
	}
	return m, found, nil
}

// TableWindowUpdate applies fn to the value of every open window of
// windowed table i that contains the current record's event time, for the
// current record's key. A window past its end plus grace (by stream time)
// is closed: it is skipped and counted in Late.
func (e *Emitter) TableWindowUpdate(ctx context.Context, i int, fn func(proto.Message) error) error {
	key, t, err := e.windowed(i)
	if err != nil {
		return err
	}
	now := e.now()
	for _, start := range t.Window.Starts(e.eventTime) {
		if !start.Add(t.Window.Size + t.Window.Grace).After(now) {
			e.late++
			continue
		}
		k := WindowKey(key, start)
		m, _, err := e.getRaw(i, t, k)
		if err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		v, err := proto.Marshal(m)
		if err != nil {
			return err
		}
		if v == nil {
			v = []byte{}
		}
		e.writes = append(e.writes, TableWrite{Table: i, Key: k, Value: v})
	}
	return nil
}

// TableWindowAt returns the value of the newest window of table i that
// contains t, for the current record's key.
func (e *Emitter) TableWindowAt(ctx context.Context, i int, at time.Time) (proto.Message, error) {
	key, t, err := e.windowed(i)
	if err != nil {
		return nil, err
	}
	m, _, err := e.getRaw(i, t, WindowKey(key, t.Window.ReadStart(at)))
	return m, err
}

// TableWindowCurrent is TableWindowAt the current record's event time.
func (e *Emitter) TableWindowCurrent(ctx context.Context, i int) (proto.Message, error) {
	return e.TableWindowAt(ctx, i, e.eventTime)
}

// TableWindowNow is TableWindowAt the partition's stream time.
func (e *Emitter) TableWindowNow(ctx context.Context, i int) (proto.Message, error) {
	return e.TableWindowAt(ctx, i, e.now())
}

// TableWindowRange returns the windows of table i, for the current
// record's key, that start in [from, to) and hold a value, oldest first.
func (e *Emitter) TableWindowRange(ctx context.Context, i int, from, to time.Time) ([]WindowValue, error) {
	key, t, err := e.windowed(i)
	if err != nil {
		return nil, err
	}
	step := t.Window.Step.Milliseconds()
	var out []WindowValue
	for s := -floorDiv(-from.UnixMilli(), step) * step; s < to.UnixMilli(); s += step {
		start := time.UnixMilli(s).UTC()
		m, found, err := e.getRaw(i, t, WindowKey(key, start))
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, WindowValue{Start: start, End: start.Add(t.Window.Size), Value: m})
		}
	}
	return out, nil
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

// ClosedWindowFrom returns the window an on_window_close agent's handler
// was called for.
func ClosedWindowFrom(ctx context.Context) (ClosedWindow, bool) {
	w, ok := ctx.Value(closedKey{}).(ClosedWindow)
	return w, ok
}

// ClosedMarkerKey is the store and changelog key that records that the
// window stored under windowKey was closed and its final value delivered.
func ClosedMarkerKey(windowKey []byte) []byte {
	return append([]byte{0xff, 'c'}, windowKey...)
}

// SplitClosedMarker returns the window key of a closed marker key.
func SplitClosedMarker(k []byte) ([]byte, bool) {
	if len(k) < 2 || k[0] != 0xff || k[1] != 'c' {
		return nil, false
	}
	return k[2:], true
}

// ProcessClosed runs an on_window_close agent on a window's final value
// (its table's encoding, nil for the default). The record the error policy
// sees is the window's changelog record: topic, partition, table key,
// value, and the window's end as timestamp.
func (ag *Agent) ProcessClosed(ctx context.Context, w ClosedWindow, partition int32, value []byte, out *Emitter) (err error) {
	t := ag.Desc.WindowClose
	rec := &Record{Topic: t.Changelog.Name, Partition: partition, Offset: -1, Key: w.Key, Value: value, Timestamp: w.End}
	out.reset(ag.Desc, rec)
	m := t.New()
	raw := value
	if raw == nil {
		raw = t.Default
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return ag.fail(rec, &DecodeError{Topic: t.Changelog.Name, Codec: CodecProto, Err: err})
	}
	defer func() {
		if p := recover(); p != nil {
			out.reset(ag.Desc, rec)
			err = ag.fail(rec, &PanicError{Value: p, Stack: debug.Stack()})
		}
	}()
	out.msg = m
	out.eventTime = w.End
	cctx := context.WithValue(context.WithValue(ctx, recordKey{}, rec), closedKey{}, w)
	if err := ag.Desc.Handler(cctx, ag.app.impl, m, out); err != nil {
		out.reset(ag.Desc, rec)
		return ag.fail(rec, err)
	}
	return nil
}

// ClosersOf returns the app's on_window_close agents of table name.
func (a *App) ClosersOf(name string) []*Agent {
	var out []*Agent
	for _, ag := range a.agents {
		if ag.Desc.WindowClose != nil && ag.Desc.WindowClose.Name == name {
			out = append(out, ag)
		}
	}
	return out
}
