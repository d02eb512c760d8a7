package worker

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// Exactly-once processing (GUARANTEE_EXACTLY_ONCE), in Kafka's EOS v2
// model: each stream thread has one transactional producer. Every commit
// interval the poll goroutine
//
//  1. stops handing out records and puts a barrier into every lane: each
//     lane finishes the records before it, sends its gathered outputs and
//     changelog records, hands over its deferred store writes and waits;
//  2. sends the offsets after the last record of each partition to the
//     transaction, with the consumer's group metadata, and commits it:
//     outputs, dead letters, changelog records and input offsets of the
//     interval become visible to read_committed readers together, or not
//     at all;
//  3. on success, writes the interval's table writes into the stores, moves
//     the stores' checkpoints, begins the next transaction and releases the
//     lanes.
//
// So a store never holds a write of a transaction that did not commit:
// writes wait in the lanes' caches (which serve the lanes' reads) until
// the commit, and a store's checkpoint is a changelog offset below which
// every record is committed and in the store. After a crash the store is
// at most missing the last committed writes, which the restore reads from
// the changelog (read_committed: aborted records are never read back).
//
// On failure (librdkafka's transactional error rules, see kafka.TxnError):
// a retriable error repeats the call; an error that requires abort aborts
// the transaction, drops the partitions' in-memory state (lanes, caches,
// window indexes), rewinds the consumer to the committed offsets and
// starts the partitions again on the same stores, which hold exactly the
// committed state; a fatal error (e.g. the producer was fenced) does the
// same with a new producer under the same transactional id.

type exactlyOnce struct {
	t     *thread
	txnID string      // "<app id>-<instance id>-<thread>"
	dirty atomic.Bool // something was produced in the open transaction

	produceMu  sync.Mutex // guards produceErr
	produceErr error      // a record of the open transaction was refused

	fatalAt  time.Time    // when the producer was last replaced
	rewinds  []*partition // stopped after an abort, to rewind and start after Poll
	rewindAt time.Time    // not before: the last rewind failed
	// committed is, per running partition, the offset last committed
	// (absent: -1) and the stream time at that commit.
	committed       map[kafka.TopicPartition]int64
	committedStream map[kafka.TopicPartition]int64
}

func newExactlyOnce(t *thread) *exactlyOnce {
	return &exactlyOnce{t: t, txnID: fmt.Sprintf("%s-%s-%d", t.w.app.ID(), t.w.cfg.instanceID, t.id),
		committed: map[kafka.TopicPartition]int64{}, committedStream: map[kafka.TopicPartition]int64{}}
}

// txnTimeout bounds each transactional call.
const txnTimeout = 30 * time.Second

// newProducer returns a transactional producer with an open transaction.
// init_transactions: retriable errors may be retried (librdkafka: "the
// application may retry"): they are, every second, for as long as the
// thread runs (an unreachable cluster is transient); anything else is an
// error that ends the worker.
func (c *exactlyOnce) newProducer() (*kafka.Producer, error) {
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: c.t.kcfg, TransactionalID: c.txnID}, c.ack)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		err = p.InitTransactions(txnTimeout)
		var te *kafka.TxnError
		if err == nil || !errors.As(err, &te) || !te.Retriable || c.t.stopped() {
			break
		}
		c.t.log.Warn("initialising transactions failed; retrying", "error", err, "attempt", attempt+1)
		time.Sleep(time.Second)
	}
	if err == nil {
		err = p.BeginTransaction()
	}
	if err != nil {
		p.Abandon()
		return nil, fmt.Errorf("streamgen worker: transactional producer %q: %w", c.txnID, err)
	}
	return p, nil
}

// Produce hands records to the producer in the open transaction; a
// refusal makes the transaction abort at its commit.
func (c *exactlyOnce) Produce(recs []runtime.Record, toks []any) {
	if err := c.t.producer.ProduceBatch(recs, toks); err != nil {
		c.produceFailed(err)
		return
	}
	c.dirty.Store(true)
}

func (c *exactlyOnce) produceAside(recs []runtime.Record) error {
	err := c.t.producer.ProduceBatch(recs, make([]any, len(recs)))
	if err == nil {
		c.dirty.Store(true)
	}
	return err
}

// Flushed keeps a flushed batch until the transaction carrying its
// changelog records commits: in the lane (its own cache serves its reads
// meanwhile), or, for a table of several writers, in the shared cache in
// flush order (which serves every writer).
func (c *exactlyOnce) Flushed(l *lane.Lane, t int, cache *lane.Cache, batch []state.KV) {
	if cache.IsShared() {
		cache.Defer(batch)
		return
	}
	l.Defer(t, batch)
}

// WindowClosed produces the window's records in the open transaction and
// writes its closed marker as a table write: it reaches the store, as any
// table write, only when the transaction commits.
func (c *exactlyOnce) WindowClosed(l *lane.Lane, t int, marker []byte, recs []runtime.Record) {
	for _, r := range recs {
		l.Emit(r, nil)
	}
	l.Write(t, marker, windows.ClosedValue)
}

// ack applies an acknowledgement; a refused record fails the
// transaction's commit, which aborts it and processes its inputs again.
func (c *exactlyOnce) ack(token any, offset int64, err error) {
	if err != nil {
		c.produceFailed(err)
		return
	}
	if err := lane.Ack(token, offset); err != nil {
		c.t.log.Warn("applying an acknowledgement failed", "error", err)
	}
}

// produceFailed records that a record of the open transaction was
// refused (a produce call or its delivery report): it must not commit.
func (c *exactlyOnce) produceFailed(err error) {
	c.produceMu.Lock()
	if c.produceErr == nil {
		c.produceErr = err
	}
	c.produceMu.Unlock()
}

func (c *exactlyOnce) dispatched(*partition, *lane.Input) {}

func (c *exactlyOnce) dropAll() { c.dropRewinds(nil) }

// afterPoll rewinds the partitions an abort stopped inside a rebalance
// callback, or whose last rewind failed, and drops their records from
// the poll's batch: the consumer fetched those before the seek, past the
// committed offset (taken as the next records they would leave a gap of
// records never processed whose offsets commit; seen once in the crash
// harness, TestExactlyOnceFailedRewindLosesNothing). Later polls return
// only records fetched after the seek (librdkafka drops outdated fetches
// by the seek's op version).
func (c *exactlyOnce) afterPoll(batch []*runtime.Record) []*runtime.Record {
	rewound := c.finishRewinds()
	if len(rewound) == 0 {
		return batch
	}
	return slices.DeleteFunc(batch, func(r *runtime.Record) bool {
		return rewound[kafka.TopicPartition{Topic: r.Topic, Partition: r.Partition}]
	})
}

func (c *exactlyOnce) commit() { _ = c.commitTxn(nil, nil) }

func (c *exactlyOnce) revoke(tps []kafka.TopicPartition, lost bool) {
	c.dropRewinds(tps)
	c.revokedTxn(tps, lost)
}

// stop commits what every partition has done (or aborts, when the worker
// failed) and hands them back.
func (c *exactlyOnce) stop() {
	c.dropRewinds(nil)
	c.revokedTxn(c.t.running(), c.t.failure() != nil)
}

func (c *exactlyOnce) checkpoint(ts *lane.Table) int64 { return ts.CommittedNext.Load() }

// streamTime is the stream time of p's last commit.
func (c *exactlyOnce) streamTime(p *partition) int64 { return c.committedStream[p.tp] }

func (c *exactlyOnce) committedOf(tp kafka.TopicPartition) int64 {
	if off, ok := c.committed[tp]; ok {
		return off
	}
	return -1
}

// forget drops what the committer knows of a partition that closed.
func (c *exactlyOnce) forget(p *partition) {
	for _, s := range p.srcs {
		delete(c.committed, s.tp)
	}
	delete(c.committedStream, p.tp)
}

func (c *exactlyOnce) commitHooks(cm Commit) {
	cm.Thread = c.t.id
	c.t.w.hooks.onCommit(cm)
}
