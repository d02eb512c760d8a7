package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/kafka"
)

// recoverTxn handles a transaction that cannot commit: it aborts it (or,
// when the producer failed fatally, replaces the producer, whose
// initialisation aborts it), drops the in-memory state of every running
// partition (lanes, their caches and window indexes), starts the
// partitions again on their stores, which hold exactly the committed
// state, and rewinds the consumer to the committed offsets — except
// partitions in gone, which are leaving: their stores close.
func (c *exactlyOnce) recoverTxn(b *barrier, cause error, gone map[kafka.TopicPartition]bool) {
	t := c.t
	t.log.Warn("exactly-once: transaction aborted; replaying from the committed offsets", "error", cause)
	var te *kafka.TxnError
	fatal := errors.As(cause, &te) && te.Fatal
	if !fatal {
		// abort_transaction: retriable errors may be retried; a fatal
		// error means a new producer.
		if err := c.retry(func() error { return t.producer.AbortTransaction(txnTimeout) }); err != nil {
			t.log.Warn("aborting the transaction failed; replacing the producer", "error", err)
			c.commitHooks(Commit{Err: err})
			fatal = true
		}
	}
	// Stop every running partition without letting anything more out.
	shared := c.sharedStores()
	old := t.takeParts(t.running())
	for _, p := range old {
		p.discard.Store(true)
	}
	if b != nil {
		close(b.release)
	}
	stopLanes(old)
	for _, ts := range shared {
		ts.Shared.Reset() // uncommitted: the replay writes it again
	}
	c.produceMu.Lock()
	c.produceErr = nil
	c.produceMu.Unlock()
	c.dirty.Store(false)
	for _, p := range old {
		if p.ticks != nil {
			p.ticks.ticksAborted()
		}
		for _, ts := range p.stores {
			if ts.Desc.FromTopic {
				// Its writes since the last commit are gone with the
				// transaction, and its feeder replays them: its checkpoint
				// must not claim them (its AckedNext is no acknowledgement).
				ts.AckedNext.Store(ts.CommittedNext.Load())
			}
		}
	}
	c.restartProducer(fatal, cause)
	for _, p := range old {
		if gone[p.tp] || t.failure() != nil {
			c.close(p)
			continue
		}
		c.rewinds = append(c.rewinds, p)
	}
	if !t.inCallback {
		c.finishRewinds() // the poll's records are all dispatched already
	}
	// Inside a rebalance callback the committed offsets cannot be fetched
	// (the group is rebalancing; the fetch waited until it timed out): the
	// poll loop rewinds right after Poll returns (afterPoll).
}

// restartProducer begins the next transaction after an abort, on a new
// producer with the same transactional id when the old one failed
// fatally. Twice within 30 s stops the worker: two live workers share an
// instance id.
func (c *exactlyOnce) restartProducer(fatal bool, cause error) {
	t := c.t
	if !fatal {
		if err := t.producer.BeginTransaction(); err != nil {
			t.fail(fmt.Errorf("streamgen worker: %w", err))
		}
		return
	}
	if !c.fatalAt.IsZero() && time.Since(c.fatalAt) < 30*time.Second {
		t.fail(fmt.Errorf("streamgen worker: the transactional producer failed fatally twice within 30 s (is another live worker using instance id %q?): %w", t.w.cfg.instanceID, cause))
		return
	}
	c.fatalAt = time.Now()
	t.producer.Abandon()
	t.producer = nil // never used again if the new one cannot be created (run checks)
	p, err := c.newProducer()
	if err != nil {
		t.fail(err)
		return
	}
	t.producer = p
}

// finishRewinds rewinds the consumer to the committed offsets of the
// partitions stopped by an abort and starts them again on their stores.
// A rewind that fails (the cluster is unreachable) is tried again after
// the next polls, every rewindRetry, while the poll loop keeps the thread
// in its group; the partitions stay stopped meanwhile (their records are
// dropped at dispatch and read again after the rewind). It returns the
// topic-partitions it rewound.
func (c *exactlyOnce) finishRewinds() map[kafka.TopicPartition]bool {
	t := c.t
	ps := c.rewinds
	if len(ps) == 0 || time.Now().Before(c.rewindAt) {
		return nil
	}
	tps := sourcesOf(ps)
	// librdkafka's transactional example rewinds the same way: committed
	// offsets, then seek; records fetched before the seek are dropped.
	offs, err := t.consumer.Rewind(tps, 10*time.Second)
	if err == nil && offs == nil {
		err = errors.New("no committed offsets returned")
	}
	if err != nil {
		c.rewindAt = time.Now().Add(rewindRetry)
		t.log.Warn("rewinding to the committed offsets failed; retrying", "partitions", fmt.Sprint(tps), "error", err)
		return nil
	}
	c.rewinds = nil
	t.log.Info("exactly-once: rewound to the committed offsets", "partitions", fmt.Sprint(tps), "offsets", fmt.Sprint(offs))
	now := time.Now().UnixMilli()
	rewound := make(map[kafka.TopicPartition]bool, len(tps))
	i := 0
	for _, p := range ps {
		// next guards the committed offset: librdkafka was seen to fetch
		// a partition from its beginning after the seek (an offset query
		// for BEGINNING armed at its assignment fired later); records
		// before the committed offset are done and are dropped.
		np := newPartition(p.tp, p.agents)
		np.tables, np.stores = p.tables, p.stores
		np.ticks = p.ticks // back at the last commit's ticks (ticksAborted)
		for _, s := range np.srcs {
			s.next = max(offs[i], -1)
			c.committed[s.tp] = s.next
			rewound[s.tp] = true
			i++
		}
		np.clock.Observe(c.committedStream[p.tp], now)
		t.start(np)
	}
	return rewound
}

// rewindRetry is how soon a failed rewind is tried again.
const rewindRetry = time.Second

// dropRewinds closes the stores of partitions waiting for a rewind that
// are revoked (all of them when tps is nil).
func (c *exactlyOnce) dropRewinds(tps []kafka.TopicPartition) {
	if len(c.rewinds) == 0 {
		return
	}
	gone := map[kafka.TopicPartition]bool{}
	for _, tp := range tps {
		gone[tp] = true
	}
	keep := c.rewinds[:0]
	for _, p := range c.rewinds {
		if tps == nil || gone[p.tp] {
			c.close(p)
			continue
		}
		keep = append(keep, p)
	}
	c.rewinds = keep
}
