package lane

import "github.com/streamgen/streamgen/runtime/state"

// FlushTables flushes every table's pending writes (see flushTable) and
// produces what is gathered.
func (l *Lane) FlushTables() {
	if l.view == nil || l.view.npend == 0 {
		return
	}
	for t, c := range l.view.caches {
		l.flushTable(t, c)
	}
	l.view.npend = 0
	l.Produce()
}

// flushTable hands table t's pending writes to the Guarantee (which
// writes them to the store now or after the commit), then produces their
// changelog records, in chunks, so the lane's output buffer stays small
// however many keys a flush carries. A shared cache is held for the whole
// flush and its records are produced before it is let go, so the
// changelog holds the writers' flushes in the order the store got them.
func (l *Lane) flushTable(t int, c *Cache) {
	c.lock()
	defer c.unlock()
	pending := c.pending
	if len(pending) == 0 {
		return
	}
	tb := l.tables[t]
	batch := make([]state.KV, 0, len(pending))
	for _, e := range pending {
		batch = append(batch, state.KV{Key: e.key, Value: e.v, Delete: e.v == nil})
	}
	l.cfg.Guarantee.Flushed(l, t, c, batch)
	if tb.Desc.FromTopic {
		fed(tb, pending)
	}
	for _, e := range pending {
		if !tb.Desc.FromTopic {
			l.Emit(tb.Changelog(e.key, e.v), &changelogToken{inputs: e.inputs, table: tb})
		}
		e.pending, e.inputs = false, nil
		if len(l.out) >= MaxProduceBatch {
			l.Produce()
		}
	}
	clear(pending)
	c.pending = pending[:0]
	if c.shared {
		l.Produce()
	}
}

// fed finishes the flushed writes of a table fed from a topic, which has
// no changelog of its own: the topic is one. Its inputs are done once the
// Guarantee has the batch (at least once the store holds it; exactly once
// the commit that writes it commits their offsets), and the store then
// reflects the topic up to the last of them: the checkpoint's offset
// (AckedNext, as an acknowledged changelog write's is).
func fed(tb *Table, pending []*entry) {
	next := tb.AckedNext.Load()
	for _, e := range pending {
		for _, in := range e.inputs {
			next = max(next, in.Offset+1)
			in.release()
		}
	}
	tb.AckedNext.Store(next)
}
