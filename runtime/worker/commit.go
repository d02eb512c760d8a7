package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// committer is how a stream thread commits under its processing
// guarantee: atLeastOnce (this file) or exactlyOnce (txn.go). Nothing
// outside the two asks which guarantee runs. The poll goroutine calls
// every method but ack and the lane.Guarantee ones, which lanes and the
// producer's delivery goroutine call.
type committer interface {
	lane.Guarantee
	// newProducer returns the thread's producer, delivering to ack.
	newProducer() (*kafka.Producer, error)
	// ack is the producer's delivery callback.
	ack(token any, offset int64, err error)
	// produceAside produces records that no input waits for (stream-time
	// records), in the open transaction under exactly-once.
	produceAside(recs []runtime.Record) error
	// dispatched is told of each record handed to a partition's lanes.
	dispatched(p *partition, in *lane.Input)
	// afterPoll runs after each poll, outside rebalance callbacks, on the
	// poll's records before they are dispatched; it returns those to
	// dispatch.
	afterPoll(batch []*runtime.Record) []*runtime.Record
	// commit runs every commit interval.
	commit()
	// revoke hands partitions back (lost: the group moved on, nothing may
	// be committed): their lanes stop and their stores close.
	revoke(tps []kafka.TopicPartition, lost bool)
	// stop hands every partition back when the thread stops.
	stop()
	// dropAll closes what the committer holds beyond the running
	// partitions (exactly once: partitions waiting for a rewind), when the
	// thread's clients are replaced.
	dropAll()
	// checkpoint returns the changelog offset below which ts's store holds
	// every write, and no write that may not commit.
	checkpoint(ts *lane.Table) int64
	// streamTime returns p's stream time to record with a checkpoint.
	streamTime(p *partition) int64
}

// atLeastOnce commits input offsets that every output and table write
// before them reached the broker: outputs are produced as lanes go, table
// writes reach the store before their changelog records are produced
// (lane.StoreNow), and each partition's tracker stores the offset after
// its finished prefix every commit interval. The stored offsets are
// committed asynchronously at most every commitEvery, one commit at a
// time (its result is read after each poll and reported to the commit
// hooks with its latency), and synchronously on revocation (the
// consumer's) and when the thread stops.
type atLeastOnce struct {
	lane.StoreNow
	t        *thread
	trackers map[kafka.TopicPartition]*tracker

	moved      map[kafka.TopicPartition]bool // offsets stored since the last commit started
	committing time.Time                     // when the commit in flight started; zero: none
	inFlight   []kafka.TopicPartition        // its partitions (moved again when it fails)
	lastCommit time.Time                     // when the last commit started
}

// commitEvery is how often at most the stored offsets are committed:
// librdkafka's auto-commit interval (auto.commit.interval.ms) as the
// worker had it, so the group coordinator sees the same load; the commit
// interval only sets how often offsets are stored.
const commitEvery = time.Second

func newAtLeastOnce(t *thread) *atLeastOnce {
	return &atLeastOnce{StoreNow: lane.StoreNow{Fail: t.fail}, t: t, trackers: map[kafka.TopicPartition]*tracker{},
		moved: map[kafka.TopicPartition]bool{}}
}

func (c *atLeastOnce) newProducer() (*kafka.Producer, error) {
	return kafka.NewProducer(kafka.ProducerConfig{Config: c.t.kcfg}, c.ack)
}

// Produce hands records to the producer; a refusal stops the worker.
func (c *atLeastOnce) Produce(recs []runtime.Record, toks []any) {
	if err := c.t.producer.ProduceBatch(recs, toks); err != nil {
		c.t.fail(fmt.Errorf("streamgen worker: producing outputs: %w", err))
	}
}

func (c *atLeastOnce) produceAside(recs []runtime.Record) error {
	return c.t.producer.ProduceBatch(recs, make([]any, len(recs)))
}

// ack applies an acknowledgement. A record that failed because the
// producer failed fatally, or because the cluster was unreachable for
// message.timeout.ms, makes the thread replace its clients (its input is
// processed again); a record the broker refused stops the worker, and its
// input is never committed.
func (c *atLeastOnce) ack(token any, offset int64, err error) {
	if err != nil {
		var de *kafka.DeliveryError
		if c.t.producer.FatalError() != nil || (errors.As(err, &de) && de.Transient()) {
			c.t.requestReplace(fmt.Errorf("a record was not delivered: %w", err))
			return
		}
		c.t.fail(lane.Refused(token, err))
		return
	}
	if err := lane.Ack(token, offset); err != nil {
		c.t.log.Warn("acknowledgement", "error", err)
	}
}

// dispatched keeps in in the tracker of its topic-partition: the
// partition's input, or a repartition topic's partition it runs.
func (c *atLeastOnce) dispatched(_ *partition, in *lane.Input) {
	tp := kafka.TopicPartition{Topic: in.Topic, Partition: in.Partition}
	k := c.trackers[tp]
	if k == nil {
		k = newTracker()
		c.trackers[tp] = k
	}
	k.push(in)
}

// afterPoll reports the commit in flight once it finished.
func (c *atLeastOnce) afterPoll(batch []*runtime.Record) []*runtime.Record {
	if c.committing.IsZero() {
		return batch
	}
	done, err := c.t.consumer.CommitDone()
	if !done {
		return batch
	}
	if !errors.Is(err, kafka.ErrNoOffset) {
		if err != nil {
			// The offsets stay stored: the next commit carries them, on a
			// quiet stream too.
			c.t.log.Warn("committing offsets failed; the next commit retries", "error", err)
			for _, tp := range c.inFlight {
				c.moved[tp] = true
			}
		}
		c.t.w.hooks.onCommit(Commit{Thread: c.t.id, Took: time.Since(c.committing), Partitions: len(c.inFlight), Err: err})
	}
	c.committing = time.Time{}
	return batch
}

// dropAll forgets the commit in flight: its consumer was closed.
func (c *atLeastOnce) dropAll() { c.committing = time.Time{} }

// commit stores the offsets after the finished prefix of each running
// partition's sources, and starts committing the stored offsets when
// commitEvery has passed and no commit is in flight.
func (c *atLeastOnce) commit() {
	var offs []kafka.Offset
	for _, p := range c.t.parts {
		offs = c.advance(p, offs)
	}
	if err := c.t.consumer.StoreOffsets(offs); err != nil {
		c.t.log.Warn("storing offsets failed", "error", err)
		for _, p := range c.t.parts {
			if p.ticks != nil {
				p.ticks.dirty = true // their ticks rode on the offsets: commit them on their own
			}
		}
	}
	for _, o := range offs {
		c.moved[o.TopicPartition] = true
	}
	c.t.commitTicks()
	if len(c.moved) == 0 || !c.committing.IsZero() || time.Since(c.lastCommit) < commitEvery {
		return
	}
	c.lastCommit = time.Now()
	if err := c.t.consumer.CommitAsync(); err != nil {
		c.t.log.Warn("committing offsets failed; the next commit retries", "error", err)
		c.t.w.hooks.onCommit(Commit{Thread: c.t.id, Err: err})
		return
	}
	c.committing, c.inFlight = c.lastCommit, c.inFlight[:0]
	for tp := range c.moved {
		c.inFlight = append(c.inFlight, tp)
	}
	clear(c.moved)
}

func (c *atLeastOnce) revoke(tps []kafka.TopicPartition, lost bool) { c.drain(tps, !lost) }

// stop drains every partition and commits what is done, then the thread
// leaves the group.
func (c *atLeastOnce) stop() {
	leaving := c.t.leavingTickers(c.t.running())
	c.drain(c.t.running(), true)
	start := time.Now()
	err := c.t.consumer.Commit()
	if err != nil {
		c.t.log.Warn("final commit failed", "error", err)
	}
	c.t.w.hooks.onCommit(Commit{Thread: c.t.id, Took: time.Since(start), Err: err})
	c.t.handOver(leaving)
}

func (c *atLeastOnce) checkpoint(ts *lane.Table) int64 { return ts.AckedNext.Load() }
func (c *atLeastOnce) streamTime(p *partition) int64   { return p.clock.Now() }

// drain stops the partitions' lanes after the records already handed to
// them, waits until their outputs are acknowledged (bounded by the
// shutdown timeout), closes their stores, and stores their final offsets
// when store is set.
func (c *atLeastOnce) drain(tps []kafka.TopicPartition, store bool) {
	t := c.t
	ps := t.takeParts(tps)
	deadline := time.Now().Add(t.w.cfg.shutdownTimeout)
	if !store {
		// Lost: nothing of them is committed, so their lanes skip what is
		// still queued (it would only go to a producer that may be failing,
		// and be done again by the next owner).
		for _, p := range ps {
			p.discard.Store(true)
		}
	}
	stopLanes(ps)
	busy := func(p *partition) bool {
		for _, s := range p.srcs {
			if k := c.trackers[s.tp]; k != nil && k.busy() {
				return true
			}
		}
		return t.ticksRunning(p)
	}
	for _, p := range ps {
		// Lost partitions store nothing: waiting for their acknowledgements
		// would only hold the rebalance (or a client replacement while the
		// cluster is unreachable).
		for store && t.failure() == nil && busy(p) && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		if store && busy(p) && t.failure() == nil {
			t.log.Warn("partition still has unacknowledged work after the shutdown timeout; its offset stays before it", "partition", p.tp.String())
		}
	}
	var offs []kafka.Offset
	for _, p := range ps {
		t.closeTables(p, t.failure() == nil && !busy(p))
		if store {
			offs = c.advance(p, offs)
		}
		for _, s := range p.srcs {
			delete(c.trackers, s.tp)
		}
	}
	if !store {
		return
	}
	if err := t.consumer.StoreOffsets(offs); err != nil {
		t.log.Warn("storing offsets of revoked partitions failed", "error", err)
	}
}

// advance appends to offs the offset after the finished prefix of each of
// p's sources that moved since it was last stored.
func (c *atLeastOnce) advance(p *partition, offs []kafka.Offset) []kafka.Offset {
	for _, s := range p.srcs {
		if k := c.trackers[s.tp]; k != nil {
			if next, ok := k.advance(); ok {
				// A partition with timer agents: the offset carries the
				// last ticks done (ticks.go).
				offs = append(offs, kafka.Offset{TopicPartition: s.tp, Offset: next, Metadata: c.t.storedTicks(p, s.tp)})
				if p.ticks != nil && p.ticks.tp == s.tp {
					p.ticks.base = next
				}
			}
		}
	}
	return offs
}
