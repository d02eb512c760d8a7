package runtime

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// Emitter is what a handler works through for one input record: it
// collects the records the handler emits and its table writes (produced
// and applied only if the handler returns nil), and reads its tables and
// windows. The generated typed emitters wrap it; the engine reads what it
// collected through the Processor.
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
	clamped    bool          // the event time was from the future and is the record timestamp
	window     *ClosedWindow // the window an on_window_close handler is called for
	unmatched  bool          // an inner join found no value: the handler was not called
	impl       any           // the app's implementation: session tables' Merge
	joinErr    error         // a feeder's table-table join that could not be kept (Result.JoinErr)
}

// ClosedWindow returns the window an on_window_close handler is called for
// (its table, key, start and end), and false in any other handler.
// Generated emitters of such agents expose it as Window().
func (e *Emitter) ClosedWindow() (ClosedWindow, bool) {
	if e.window == nil {
		return ClosedWindow{}, false
	}
	return *e.window, true
}

// EventTime returns the event time of the record being handled: its
// event_time field, else its timestamp.
func (e *Emitter) EventTime() time.Time { return e.eventTime }

func (e *Emitter) reset(d *AgentDesc, in *Record) {
	e.desc, e.in, e.msg = d, in, nil
	clear(e.recs)
	e.recs = e.recs[:0]
	clear(e.writes)
	e.writes = e.writes[:0]
	e.late = 0
	e.clamped = false
	e.unmatched = false
	e.joinErr = nil
	e.window = nil
}

// result returns what the emitter collected for the last record.
func (e *Emitter) result() Result {
	return Result{Records: e.recs, Writes: e.writes, EventTime: e.eventTime, Late: e.late, Clamped: e.clamped, Unmatched: e.unmatched,
		JoinErr: e.joinErr}
}

func (e *Emitter) tableKey(i int) ([]byte, *TableDesc, error) {
	if e.desc == nil || i < 0 || i >= len(e.desc.Tables) {
		return nil, nil, fmt.Errorf("streamgen: no table %d", i)
	}
	t := e.desc.Tables[i]
	if e.desc.GroupBy != nil && e.msg != nil {
		return e.desc.GroupBy(e.msg), t, nil
	}
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
	m, _, err := e.TableFind(ctx, i)
	return m, err
}

// Unmatched records that an inner join found no value for the current
// record's key, so its handler is not called (generated handlers call it):
// the record goes on with no outputs, counted as unmatched. It returns
// nil.
func (e *Emitter) Unmatched() error {
	e.unmatched = true
	return nil
}

// TableFind returns the value of the current record's key in table i, or
// the table's default, and whether the key has a value (a table fed from
// a topic). Writes of this record are seen.
func (e *Emitter) TableFind(ctx context.Context, i int) (proto.Message, bool, error) {
	key, t, err := e.tableKey(i)
	if err != nil {
		return nil, false, err
	}
	return e.getRaw(i, t, key)
}

// TableLookup returns the value of key in table i, or the table's
// default, and whether the key has a value: a global table, or a table of
// the partition a tick runs for (RUN_ON_PARTITIONS). Writes of this call
// of the handler are seen.
func (e *Emitter) TableLookup(ctx context.Context, i int, key []byte) (proto.Message, bool, error) {
	t, err := e.table(i)
	if err != nil {
		return nil, false, err
	}
	return e.getRaw(i, t, key)
}

// TablePutKey sets the value of key in table i of the partition a tick
// runs for (RUN_ON_PARTITIONS). The write takes effect (store and
// changelog) only if the handler returns nil.
func (e *Emitter) TablePutKey(ctx context.Context, i int, key []byte, m proto.Message) error {
	t, err := e.keyed(i)
	if err != nil {
		return err
	}
	return e.put(i, t, key, m)
}

// TableDeleteKey removes key from table i of the partition a tick runs
// for (RUN_ON_PARTITIONS), if the handler returns nil.
func (e *Emitter) TableDeleteKey(ctx context.Context, i int, key []byte) error {
	if _, err := e.keyed(i); err != nil {
		return err
	}
	e.writes = append(e.writes, TableWrite{Table: i, Key: key})
	return nil
}

// TableScan calls fn with each key of table i of the partition a tick
// runs for (RUN_ON_PARTITIONS) that begins with prefix, and its value, in
// key order; writes of this call of the handler are seen (and a write
// made from fn is not seen by the scan under way). An error from fn ends
// the scan and is returned.
func (e *Emitter) TableScan(ctx context.Context, i int, prefix []byte, fn func(key []byte, m proto.Message) error) error {
	t, err := e.keyed(i)
	if err != nil {
		return err
	}
	if e.state == nil {
		return fmt.Errorf("streamgen: table %q has no state in this context", t.Name)
	}
	var over []state.KV
	for _, w := range e.writes {
		if w.Table == i && bytes.HasPrefix(w.Key, prefix) {
			over = append(over, state.KV{Key: w.Key, Value: w.Value, Delete: w.Value == nil})
		}
	}
	return state.Overlay(func(fn func(k, v []byte) error) error { return e.state.Scan(i, prefix, fn) }, over, func(k, v []byte) error {
		m := t.New()
		if err := proto.Unmarshal(v, m); err != nil {
			return fmt.Errorf("streamgen: table %q: decoding the value of key %q: %w", t.Name, k, err)
		}
		return fn(bytes.Clone(k), m)
	})
}

// table returns the agent's table i.
func (e *Emitter) table(i int) (*TableDesc, error) {
	if e.desc == nil || i < 0 || i >= len(e.desc.Tables) {
		return nil, fmt.Errorf("streamgen: no table %d", i)
	}
	return e.desc.Tables[i], nil
}

// keyed returns table i of a tick's partition: written by key, not by the
// current record's.
func (e *Emitter) keyed(i int) (*TableDesc, error) {
	t, err := e.table(i)
	switch {
	case err != nil:
		return nil, err
	case t.Global || t.Window != nil || e.desc.Timer == nil || !e.desc.Timer.OnPartitions():
		return nil, fmt.Errorf("streamgen: table %q is read and written by key only in a tick of an agent that runs on each partition of it (run_on: RUN_ON_PARTITIONS); elsewhere use the accessor of the current record's key", t.Name)
	}
	return t, nil
}

// put encodes m as the value of key in table i.
func (e *Emitter) put(i int, t *TableDesc, key []byte, m proto.Message) error {
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

// TablePut sets the value of the current record's key in table i. The
// write takes effect (store and changelog) only if the handler returns nil.
func (e *Emitter) TablePut(ctx context.Context, i int, m proto.Message) error {
	key, t, err := e.tableKey(i)
	if err != nil {
		return err
	}
	return e.put(i, t, key, m)
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
	case e.desc.GroupBy != nil && e.msg != nil:
		key = e.desc.GroupBy(e.msg) // the agent's records are keyed by their group
	case e.in != nil:
		// A topic without a key field keeps the input record's key, so
		// keyed data stays keyed (and co-partitioned) through agents.
		key = e.in.Key
	}
	e.recs = append(e.recs, Record{Topic: t.Name, Partition: -1, Key: key, Value: v})
	return nil
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

// lookup reads the stored bytes of key k of table i: this record's own
// writes first, then the state.
func (e *Emitter) lookup(i int, t *TableDesc, k []byte) ([]byte, bool, error) {
	for j := len(e.writes) - 1; j >= 0; j-- {
		if w := e.writes[j]; w.Table == i && string(w.Key) == string(k) {
			return w.Value, w.Value != nil, nil
		}
	}
	if e.state == nil {
		return nil, false, fmt.Errorf("streamgen: table %q has no state in this context", t.Name)
	}
	raw, found, err := e.state.Get(i, k)
	if err != nil {
		return nil, false, fmt.Errorf("streamgen: table %q: %w", t.Name, err)
	}
	return raw, found, nil
}

// getRaw reads key k of table i (lookup); a key without a value reads as
// the table's default.
func (e *Emitter) getRaw(i int, t *TableDesc, k []byte) (proto.Message, bool, error) {
	raw, found, err := e.lookup(i, t, k)
	if err != nil {
		return nil, false, err
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
	if t.Window.Session() {
		return e.sessionUpdate(ctx, i, t, key, fn)
	}
	now := e.now()
	for _, start := range t.Window.Starts(e.eventTime) {
		if t.Window.spec().Closed(start.UnixMilli(), now.UnixMilli()) {
			e.late++
			continue
		}
		k := windows.Key(key, start)
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
	if t.Window.Session() {
		return e.sessionAt(i, t, key, at)
	}
	m, _, err := e.getRaw(i, t, windows.Key(key, t.Window.ReadStart(at)))
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
	if t.Window.Session() {
		return e.sessionRange(i, t, key, from, to)
	}
	spec := t.Window.spec()
	var out []WindowValue
	for s := spec.FirstStartAtOrAfter(from.UnixMilli()); s < to.UnixMilli(); s += spec.Step {
		start := time.UnixMilli(s).UTC()
		m, found, err := e.getRaw(i, t, windows.Key(key, start))
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, WindowValue{Start: start, End: start.Add(t.Window.Size), Value: m})
		}
	}
	return out, nil
}
