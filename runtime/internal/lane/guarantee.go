package lane

import (
	"fmt"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// Guarantee is how what a lane produces leaves it under the running
// processing guarantee. The worker's at-least-once and exactly-once
// committers implement it (so nothing else asks which guarantee runs);
// the test driver implements it with StoreNow.
type Guarantee interface {
	// Produce hands records and their tokens (nil: no acknowledgement
	// wanted) to the producer. The slices are reused after it returns.
	Produce(recs []runtime.Record, toks []any)
	// Flushed is given the batch of table t's writes (the last value of
	// each key) that lane l flushes from cache c, before their changelog
	// records are produced. It decides when the batch reaches the store.
	Flushed(l *Lane, t int, c *Cache, batch []state.KV)
	// WindowClosed is given a closed window's outputs (the closers'
	// records and dead letters) and its closed marker key, of table t. It
	// produces them and records the marker.
	WindowClosed(l *Lane, t int, marker []byte, recs []runtime.Record)
}

// StoreNow is the table path of at-least-once processing: a flushed
// batch reaches its store at once, before its changelog records are
// produced (so a changelog offset is acknowledged only after the store
// holds its write, which checkpoints rely on); a closed window's marker
// reaches the store once its outputs and its changelog record are all
// acknowledged (Ack). Fail receives a store's write error.
type StoreNow struct {
	Fail func(error)
}

// Flushed writes batch to the store of table t, then marks the lane's
// cache flushed.
func (s StoreNow) Flushed(l *Lane, t int, _ *Cache, batch []state.KV) {
	tb := l.tables[t]
	if err := tb.Store.Write(batch); err != nil {
		s.Fail(fmt.Errorf("streamgen: writing table %q: %w", tb.Desc.Name, err))
	}
	l.view.flushed(t)
}

// WindowClosed emits the window's records and its marker's changelog
// record with tokens of one closeGroup.
func (StoreNow) WindowClosed(l *Lane, t int, marker []byte, recs []runtime.Record) {
	tb := l.tables[t]
	g := &closeGroup{table: tb, marker: marker}
	g.remaining.Store(int32(len(recs) + 1))
	if wk, ok := windows.SplitClosedMarker(marker); ok {
		l.closing[string(wk)] = g
	}
	for _, r := range recs {
		l.Emit(r, &closeToken{g: g})
	}
	l.Emit(tb.Changelog(marker, windows.ClosedValue), &closeToken{g: g, changelog: true})
}
