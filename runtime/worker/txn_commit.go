package worker

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// commitTxn commits the open transaction with the input offsets of every
// record handed out so far, then begins the next one. beforeRelease, if
// set, runs after a successful commit while the lanes are still stopped.
// On failure the transaction is aborted and the partitions replay from
// their committed offsets (those in gone close instead); commitTxn then
// returns the error.
func (c *exactlyOnce) commitTxn(beforeRelease func(), gone map[kafka.TopicPartition]bool) error {
	t := c.t
	if err := t.failure(); err != nil {
		return err
	}
	b := c.barrier()
	offs := c.offsets()
	err := c.uncommittable()
	if len(offs) == 0 && !c.dirty.Load() && len(b.writes) == 0 && err == nil {
		c.release(b, beforeRelease)
		return nil
	}
	// Every changelog record acknowledged so far belongs to this
	// transaction or an earlier one: once it commits, these offsets are
	// safe checkpoints (acknowledgements still on their way only make the
	// checkpoint lag, never lead).
	acked := map[*lane.Table]int64{}
	for _, p := range t.parts {
		for _, ts := range p.stores {
			acked[ts] = ts.AckedNext.Load()
		}
	}
	start := time.Now()
	if err == nil {
		err = c.retry(func() error { return t.producer.SendOffsets(offs, t.consumer, txnTimeout) })
	}
	if err == nil {
		err = c.retry(func() error { return t.producer.CommitTransaction(txnTimeout) })
	}
	if err != nil {
		c.commitHooks(Commit{Took: time.Since(start), Partitions: len(offs), Err: err, Aborted: true})
		c.recoverTxn(b, err, gone)
		return err
	}
	c.committedWrites(b, acked)
	c.commitHooks(Commit{Took: time.Since(start), Partitions: len(offs)})
	if err := t.producer.BeginTransaction(); err != nil {
		t.fail(fmt.Errorf("streamgen worker: %w", err))
	}
	c.release(b, beforeRelease)
	return nil
}

// offsets returns the offset after the last record handed out of every
// running partition's source that moved since its last commit, and of
// partitions whose ticks moved (tickOffset).
func (c *exactlyOnce) offsets() []kafka.Offset {
	var offs []kafka.Offset
	for _, p := range c.t.parts {
		for _, s := range p.srcs {
			if off, ok := tickOffset(p, s.tp, s.next, c.committedOf(s.tp)); ok {
				offs = append(offs, off)
			}
		}
	}
	return offs
}

// uncommittable returns why the open transaction may not commit: a
// refused record, or records a stopping lane skipped; nil if it may.
func (c *exactlyOnce) uncommittable() error {
	c.produceMu.Lock()
	perr := c.produceErr
	c.produceMu.Unlock()
	if perr != nil {
		if ferr := c.t.producer.FatalError(); ferr != nil {
			return ferr // the refusal came from a fatal state: a new producer is needed
		}
		return fmt.Errorf("a record of the transaction was refused: %w", perr)
	}
	for _, p := range c.t.parts {
		if p.skipped.Load() {
			// A stopping lane left records of the interval unprocessed
			// (with concurrency > 1, records after them may be done): the
			// interval cannot commit; its records are processed again.
			return fmt.Errorf("stopping: partition %s has records not processed; the next owner processes the interval again", p.tp)
		}
	}
	return nil
}

// committedWrites applies a committed transaction's table writes to the
// stores (the lanes' deferred batches, then each shared cache's, in flush
// order), moves the stores' checkpoints to the changelog offsets
// acknowledged before the barrier, and records each partition's committed
// offset and stream time.
func (c *exactlyOnce) committedWrites(b *barrier, acked map[*lane.Table]int64) {
	t := c.t
	write := func(ts *lane.Table, batch []state.KV) {
		if err := ts.Store.Write(batch); err != nil {
			t.fail(fmt.Errorf("streamgen worker: writing table %q: %w", ts.Desc.Name, err))
		}
	}
	for _, sw := range b.writes {
		write(sw.Table, sw.Batch)
	}
	for _, ts := range c.sharedStores() {
		// Every lane is stopped at the barrier, nothing is pending: the
		// store holds everything and the shared cache starts over.
		for _, batch := range ts.Shared.Deferred() {
			write(ts, batch)
		}
		ts.Shared.Reset()
	}
	for ts, next := range acked {
		if next > ts.CommittedNext.Load() {
			ts.CommittedNext.Store(next)
		}
	}
	for _, p := range t.parts {
		for _, s := range p.srcs {
			c.committed[s.tp] = s.next
		}
		c.committedStream[p.tp] = p.clock.Now()
	}
	for _, k := range t.tickers() {
		k.ticksCommitted()
	}
	c.dirty.Store(false)
}

// release lets the lanes go on after a successful commit (or one with
// nothing to commit).
func (c *exactlyOnce) release(b *barrier, beforeRelease func()) {
	if beforeRelease != nil {
		beforeRelease()
	}
	b.ok = true
	close(b.release)
}

// sharedStores returns the open stores of the running partitions that
// several agents write, each once.
func (c *exactlyOnce) sharedStores() []*lane.Table {
	var out []*lane.Table
	for _, p := range c.t.parts {
		for _, ts := range p.stores {
			if ts.Shared != nil && !slices.Contains(out, ts) {
				out = append(out, ts)
			}
		}
	}
	return out
}

// retry runs a transactional call again while librdkafka says the error
// is retriable (rd_kafka_error_is_retriable: "the operation may be
// retried"), a few times.
func (c *exactlyOnce) retry(call func() error) error {
	for attempt := 0; ; attempt++ {
		err := call()
		var te *kafka.TxnError
		if err == nil || !errors.As(err, &te) || !te.Retriable || attempt == 10 || c.t.w.procCtx.Err() != nil {
			return err
		}
		c.t.log.Warn("transactional call failed; retrying", "error", err)
		time.Sleep(100 * time.Millisecond)
	}
}

// revokedTxn hands partitions back under exactly-once: the open
// transaction commits first (so the next owner starts exactly after it),
// then the partitions' lanes stop and their stores close. Lost partitions
// (the group moved on without us) cannot commit: the transaction aborts
// and the partitions this thread keeps replay from their committed offsets.
func (c *exactlyOnce) revokedTxn(tps []kafka.TopicPartition, lost bool) {
	gone := map[kafka.TopicPartition]bool{}
	for _, tp := range tps {
		gone[tp] = true
	}
	if lost {
		c.recoverTxn(c.barrier(), errors.New("partitions lost"), gone)
		return
	}
	var ps []*partition
	err := c.commitTxn(func() {
		ps = c.t.takeParts(tps)
		for _, p := range ps {
			p.discard.Store(true)
		}
	}, gone)
	if err != nil {
		return // recoverTxn dropped them
	}
	stopLanes(ps)
	for _, p := range ps {
		c.close(p)
	}
}

// close closes a stopped partition's stores at the committed checkpoint.
func (c *exactlyOnce) close(p *partition) {
	c.t.closeTables(p, true)
	c.forget(p)
}
