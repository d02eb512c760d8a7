package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// thread is one stream thread (Kafka Streams' StreamThread): a consumer
// (a group member) and a producer of its own, the partitions the group
// gave that consumer, and its committer. Its poll goroutine polls, hands
// records to the partitions' lanes, runs rebalance callbacks (inside
// Poll), starts restored partitions and commits.
type thread struct {
	w        *worker
	id       int
	log      *slog.Logger
	kcfg     kafka.Config // the thread's client id
	consumer *kafka.Consumer
	producer *kafka.Producer // replaced by the exactly-once committer after a fatal error
	commit   committer

	parts     map[kafka.TopicPartition]*partition  // running; touched only by the poll goroutine
	restoring map[kafka.TopicPartition]*restoreJob // assigned, paused, restoring
	stores    *storeSet
	standby   *standbys // nil without standby replicas
	// tickCommits counts the consumer's explicit commits of the last
	// ticks in flight (at least once, ticks.go): their results come in
	// order on the consumer's queue; tickDirty are the tickers of the
	// last one, dirty again if it fails.
	tickCommits    int
	tickDirty      []*ticker
	lastTickCommit time.Time // when the last explicit tick commit started

	stopping   atomic.Bool // the thread stops: lanes skip queued records
	inCallback bool        // in Poll, where rebalance callbacks run
	joined     bool        // the group gave the thread an assignment (observe.State)
	reporting  atomic.Bool // a reportTables goroutine runs
	loopDone   <-chan struct{}

	ccfg        kafka.ConsumerConfig // to create the consumer again (clients.go)
	replaceWhy  errOnce              // set when the clients must be replaced
	lastReplace time.Time            // when they were last replaced
}

func newThread(w *worker, id int) (*thread, error) {
	t := &thread{w: w, id: id, log: w.log.With("thread", id), kcfg: w.kcfg,
		parts: map[kafka.TopicPartition]*partition{}, restoring: map[kafka.TopicPartition]*restoreJob{}}
	t.kcfg.ClientID = fmt.Sprintf("%s-%d", w.kcfg.ClientID, id)
	t.stores = newStoreSet(w, t.log)
	if w.exactlyOnce {
		t.commit = newExactlyOnce(t)
	} else {
		t.commit = newAtLeastOnce(t)
	}
	var err error
	if t.producer, err = t.commit.newProducer(); err != nil {
		return nil, err
	}
	ccfg := kafka.ConsumerConfig{Config: t.kcfg, Group: w.app.ID(), Topics: w.topo.inputs,
		SessionTimeout: w.cfg.sessionTimeout, Transactional: w.exactlyOnce, Assignor: w.topo.assignor()}
	if w.cfg.static {
		ccfg.InstanceID = fmt.Sprintf("%s-%d", w.cfg.instanceID, id)
	}
	if w.httpURL != "" {
		// Advertised to the group: table queries find a partition's owner
		// by its consumer's client id (query.go).
		ccfg.ClientID += clientIDSep + w.httpURL
	}
	t.ccfg = ccfg
	if t.consumer, err = kafka.NewConsumer(ccfg, t); err != nil {
		t.producer.Close()
		return nil, err
	}
	if w.cfg.standbys > 0 {
		t.standby = newStandbys(t, w.cfg.standbys)
	}
	return t, nil
}

// close leaves the group and releases the clients the thread has.
func (t *thread) close() {
	if t.consumer != nil {
		if err := t.consumer.Close(); err != nil {
			t.log.Warn("leaving the group failed", "error", err)
		}
	}
	if t.producer != nil {
		t.producer.Close()
	}
}

// run starts the thread's goroutines in wg: the poll loop, then the stop
// (lanes skip what is still queued, what was done is committed, the
// thread leaves the group), and the standby follower.
func (t *thread) run(ctx context.Context, wg *sync.WaitGroup) {
	t.loopDone = ctx.Done()
	if t.standby != nil {
		wg.Go(func() { t.standby.run(ctx, 500*time.Millisecond) })
	}
	wg.Go(func() {
		if err := t.loop(ctx); err != nil {
			t.fail(err)
		}
		t.stopping.Store(true)
		t.stopRestores(t.restoringPartitions())
		if t.consumer == nil || t.producer == nil {
			// A client could not be created again after a fatal error: its
			// partitions were handed back as lost already.
			t.close()
			return
		}
		t.commit.stop()
		t.close()
		t.joined = false
		t.reportState()
	})
}

func (t *thread) failure() error { return t.w.failure() }

// stopped reports whether the thread stops: its poll loop's context ended
// or the worker failed.
func (t *thread) stopped() bool {
	if t.failure() != nil || t.w.ctx.Err() != nil {
		return true
	}
	select {
	case <-t.loopDone:
		return true
	default:
		return false
	}
}
func (t *thread) fail(err error) { t.w.fail(err) }

// loop polls until ctx ends: each batch is dispatched to the lanes; every
// commit interval the committer commits, every second the stores record
// their checkpoints.
func (t *thread) loop(ctx context.Context) error {
	var batch []*runtime.Record
	lastCommit, lastCheckpoint, lastStats := time.Now(), time.Now(), time.Time{}
	for ctx.Err() == nil {
		if err := t.failure(); err != nil {
			return err
		}
		if why := t.replaceRequested(); why != nil {
			if err := t.replaceClients(why, true); err != nil {
				return err
			}
		}
		var err error
		t.inCallback = true // rebalance callbacks run inside Poll
		batch, err = t.consumer.Poll(100*time.Millisecond, t.w.cfg.maxBatch, batch[:0])
		t.inCallback = false
		if errors.Is(err, kafka.ErrFatal) {
			err = t.replaceClients(err, false)
			batch = batch[:0]
		}
		if err != nil {
			return err
		}
		batch = t.commit.afterPoll(batch)
		for _, rec := range batch {
			t.dispatch(rec)
		}
		for _, p := range t.parts {
			t.joinEnds(p)
		}
		t.finishRestores()
		t.runTicks()
		clear(batch)
		if time.Since(lastCommit) >= t.w.cfg.commitInterval {
			t.commit.commit()
			lastCommit = time.Now()
		}
		if time.Since(lastCheckpoint) >= time.Second {
			t.checkpointTables()
			t.reportLag()
			lastCheckpoint = time.Now()
		}
		if time.Since(lastStats) >= tableStatsEvery {
			t.reportTables()
			lastStats = time.Now()
		}
	}
	return nil
}

// dispatch hands rec to one lane of each agent of its partition: lane
// lane.Slot(rec), so one key is always on one lane, in order. A record of
// a repartition topic goes to its agent's lane only.
func (t *thread) dispatch(rec *runtime.Record) {
	p := t.parts[kafka.TopicPartition{Topic: t.w.topo.inputOf(rec.Topic), Partition: rec.Partition}]
	if p == nil || rec.Topic == t.w.topo.leader {
		// Polled before its partition was revoked: the new owner reads it
		// again from the committed offset, which is before it. (The leader
		// topic holds no records of ours: ticks are made, not read,
		// leader.go; anyone else's are ignored.)
		return
	}
	src := p.source(rec.Topic)
	if rec.Offset < src.next {
		return // already handed over, or before the committed offset after a rewind
	}
	src.next = rec.Offset + 1
	lanes := p.lanes[:p.inputs] // not the timer agents'
	if src.agent >= 0 {
		lanes = p.lanes[src.agent : src.agent+1]
	}
	in := lane.NewInput(rec, len(lanes))
	in.OnDone = t.w.onDone
	t.commit.dispatched(p, in)
	for _, ls := range lanes {
		l := ls[lane.Slot(rec, len(ls))]
		select {
		case l.ch <- laneMsg{in: in}:
		case <-t.loopDone:
			// Stopping while a slow lane is full: the record is left to
			// the next owner, never committed.
			in.Skipped.Store(true)
			p.skipped.Store(true)
		}
	}
}
