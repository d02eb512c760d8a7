package lane

import (
	"context"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/state"
)

// The lane's batching limits. FlushInterval is how often a lane flushes
// its table writes to the store and the changelog (the worker's tick);
// MaxPendingKeys distinct keys waiting flush them sooner (it bounds the
// lane's memory when most keys are new: each pending key holds its value
// and inputs until the flush, while repeated writes of a key cost nothing
// more); a lane hands the producer at most MaxProduceBatch records per
// call.
const (
	FlushInterval   = 100 * time.Millisecond
	MaxPendingKeys  = 2000
	MaxProduceBatch = 1024
)

// Config is what a Lane runs on.
type Config struct {
	// Ctx is the context handlers get.
	Ctx context.Context
	// App is the registered app (for the closers of windowed tables).
	App *runtime.App
	// Agent is the agent whose records the lane runs.
	Agent *runtime.Agent
	// Tables are the agent's tables in this partition, in the agent's
	// order.
	Tables []*Table
	// Slot and Slots are this lane's number among the agent's lanes of
	// the partition and their count: the lane closes and expires the
	// windows of the keys that Slot sends to it.
	Slot, Slots int
	// Clock is the partition's stream time.
	Clock *windows.Clock
	// Guarantee takes what the lane produces and flushes.
	Guarantee Guarantee
	// Fail stops the worker (or the driver's Send) with an error.
	Fail func(error)
	// Log receives warnings (dead letters, late records).
	Log *slog.Logger
	// RecordLimit returns the largest record (key plus value, in bytes) a
	// topic takes (RecordLimits); nil: no limit.
	RecordLimit func(topic string) int
	// OnProcess, if set, is told of every input record the lane handled
	// (observe.ProcessHook).
	OnProcess func(observe.Processed)
	// OnDeadLetter, if set, is told of every dead letter the lane
	// produces (observe.DeadLetterHook).
	OnDeadLetter func(observe.DeadLetter)
	// Now is the clock of a batch agent's batch deadlines; nil: the wall
	// clock (the test driver passes its virtual clock).
	Now func() time.Time
	// JoinClock is, for a stream-joining agent, its partition's join
	// clock: its records are late by it and its buffers' windows close by
	// it, and they do not move Clock (the joined stream's event times are
	// not the input topic's other agents' business).
	JoinClock *windows.JoinClock
}

// Lane runs one agent's records of one partition slot, in order: a key is
// always on one lane. Outputs are gathered and produced in batches; table
// writes are gathered per key and flushed every FlushInterval (or when
// MaxPendingKeys are waiting): only the last value of a key in a flush
// goes to the store and the changelog, as in Kafka Streams' record cache.
// Every output and every table write is counted in its input's Pending
// before the lane lets go of the input, and a changelog record's
// acknowledgement releases every input whose write it carries, so an input
// is never committed before its outputs and table writes are in Kafka. A
// Lane is used by one goroutine.
type Lane struct {
	cfg     Config
	proc    *runtime.Processor
	tables  []*Table
	view    *view            // nil for an agent without tables
	indexes []*windows.Index // per table: the windows this lane closes; nil if not windowed
	closers [][]*closer      // per table: its on_window_close agents
	out     []runtime.Record // gathered, not yet produced
	toks    []any            // their tokens
	defers  []StoreWrite     // flushed writes waiting for a commit (Defer)
	unflush []bool           // per table: Defer was called since the last Committed
	batch   *batch           // a batch agent's open batch; nil for other agents
	// closing are the windows closed at least once whose closed marker
	// waits for acknowledgements before it reaches the store, by window
	// key (StoreNow.WindowClosed).
	closing map[string]*closeGroup
}

type closer struct {
	ag   *runtime.Agent
	proc *runtime.Processor
}

// StoreWrite is a batch of table writes flushed by a lane that waits for
// a commit before it reaches the store.
type StoreWrite struct {
	// Table is where the batch goes.
	Table *Table
	// Batch is the writes, the last value of each key.
	Batch []state.KV
}

// New returns a lane of cfg; Start loads its window indexes.
func New(cfg Config) *Lane {
	l := &Lane{cfg: cfg, tables: cfg.Tables, closing: map[string]*closeGroup{}}
	if len(cfg.Tables) > 0 {
		l.view = newView(cfg.Tables)
	}
	var st runtime.State
	if l.view != nil {
		st = l.view
	}
	l.proc = cfg.Agent.NewProcessor(st, l.streamTime)
	if cfg.JoinClock != nil {
		l.proc.SetJoinClock(cfg.JoinClock)
	}
	if d := cfg.Agent.Desc.Batch; d != nil {
		l.batch = &batch{desc: d}
	}
	l.indexes = make([]*windows.Index, len(cfg.Tables))
	l.closers = make([][]*closer, len(cfg.Tables))
	l.unflush = make([]bool, len(cfg.Tables))
	for i, t := range cfg.Tables {
		if t.Desc.Window == nil || t.Store == nil {
			continue
		}
		for _, ag := range cfg.App.ClosersOf(t.Desc.Name) {
			l.closers[i] = append(l.closers[i], &closer{ag: ag, proc: ag.NewProcessor(nil, l.streamTime)})
		}
	}
	return l
}

// Start loads the window index of the lane's windowed tables from their
// stores (a scan of each), with their closed markers; call it before the
// first record, in the goroutine that runs the lane (so lanes scan in
// parallel and not in the worker's poll loop).
func (l *Lane) Start() {
	for i, t := range l.tables {
		if t.Desc.Window != nil && t.Store != nil {
			l.indexes[i] = l.loadIndex(t)
		}
	}
}

func (l *Lane) streamTime() time.Time {
	if ms := l.cfg.Clock.Now(); ms != 0 {
		return windows.Time(ms)
	}
	return time.Time{}
}

// loadIndex rebuilds the windows of t this lane is responsible for from
// the store, with their closed markers.
func (l *Lane) loadIndex(t *Table) *windows.Index {
	w := t.Desc.Window
	ix := windows.NewIndex(windows.NewSpec(w.Size, w.Step, w.Grace, w.Expires, w.Gap, w.Sliding))
	owns := func(key []byte) bool {
		return l.cfg.Slots <= 1 || Slot(&runtime.Record{Key: key}, l.cfg.Slots) == l.cfg.Slot
	}
	if err := ix.Load(t.Store.Scan, owns); err != nil {
		l.cfg.Log.Warn("scanning windowed table failed", "table", t.Desc.Name, "partition", t.Partition, "error", err)
	}
	return ix
}

// Slot returns the lane among n of an agent that rec goes to: records
// with the same key always go to one lane, in order.
func Slot(rec *runtime.Record, n int) int {
	if n <= 1 {
		return 0
	}
	if rec.Key == nil {
		return int(rec.Offset % int64(n))
	}
	h := fnv.New32a()
	_, _ = h.Write(rec.Key)
	return int(h.Sum32() % uint32(n))
}

// Emit gathers a record to produce with its token.
func (l *Lane) Emit(r runtime.Record, tok any) {
	l.out = append(l.out, r)
	l.toks = append(l.toks, tok)
}

// Produce hands the gathered records to the Guarantee.
func (l *Lane) Produce() {
	if len(l.out) == 0 {
		return
	}
	l.cfg.Guarantee.Produce(l.out, l.toks)
	clear(l.out)
	clear(l.toks)
	l.out, l.toks = l.out[:0], l.toks[:0]
}

// Write records a table write of key in table t (a nil value deletes it),
// pending until the next flush, without an input waiting for it (expiry,
// closed markers).
func (l *Lane) Write(t int, key, value []byte) { l.view.write(t, key, value) }

// Defer keeps a flushed batch of table t for the commit (Guarantees that
// write stores after a commit).
func (l *Lane) Defer(t int, batch []state.KV) {
	l.defers = append(l.defers, StoreWrite{Table: l.tables[t], Batch: batch})
	l.unflush[t] = true
}

// TakeDeferred returns the batches Defer kept since the last call.
func (l *Lane) TakeDeferred() []StoreWrite {
	d := l.defers
	l.defers = nil
	return d
}

// Committed tells the lane that its deferred batches are in the stores:
// its caches of those tables may let go of what they held for them.
func (l *Lane) Committed() {
	for t, u := range l.unflush {
		if u {
			l.view.flushed(t)
			l.unflush[t] = false
		}
	}
}

// Close hands the open batch to the handler and flushes what the lane
// gathered (unless flush is false: the partition was aborted or moved and
// nothing more may leave) and releases its store snapshots.
func (l *Lane) Close(flush bool) {
	if flush {
		l.FlushBatch()
		l.FlushTables()
		l.Produce()
	}
	if l.view != nil {
		l.view.close()
	}
}

// Tick is the lane's timer (every FlushInterval): stream time follows the
// wall clock on an idle partition, due windows close, old ones expire,
// table writes flush.
func (l *Lane) Tick() {
	l.cfg.Clock.IdleAdvance(time.Now().UnixMilli())
	l.Windows()
	l.FlushTables()
}

func (l *Lane) fail(err error) { l.cfg.Fail(err) }
