package worker

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// partition is one owned input partition (Kafka Streams' task, goka's
// PartitionProcessor): its agents' lanes, its tables' stores and its
// stream time. Its lanes also run partition p of the topics its agents
// consume alone (Agent.Sources: repartition topics, where misplaced
// records move to the partition their key belongs to, and joined
// streams): every record of a key meets the same stores, window index and
// stream time. What a commit needs of it is the committer's
// (commit.go, txn.go).
type partition struct {
	tp     kafka.TopicPartition // the input partition
	srcs   []*source            // tp first, then the agents' own sources (Agent.Sources)
	agents []*runtime.Agent     // the topic's agents, then timer and cron agents (ticks.go)
	inputs int                  // how many of agents consume the partition's records
	ticks  *ticker              // the timer and cron agents' ticks; nil without such agents
	lanes  [][]*laneRunner      // per agent, per concurrency slot
	wg     sync.WaitGroup       // the running lanes

	tables [][]*lane.Table // per agent, per agent table
	stores []*lane.Table   // each once
	clock  windows.Clock
	// joins are, per agent, a stream-joining agent's join clock (nil for
	// the others), whose sides' ends the poll loop keeps (joinEnds).
	joins []*windows.JoinClock

	// discard makes the lanes stop without letting anything more out: the
	// partition was aborted or moved under exactly-once.
	discard atomic.Bool
	// skipped is set when a stopping lane skipped a record.
	skipped atomic.Bool
	// publishedStream is the stream time last written to the changelogs.
	publishedStream int64
}

// source is a topic-partition whose records a partition's lanes run.
type source struct {
	tp kafka.TopicPartition
	// agent is the index of the agent this source is consumed for
	// (Agent.Sources); -1 for the input partition, whose records go to
	// every agent.
	agent int
	// startEnd is, for a stream join's source, its high watermark when the
	// partition started (asked of its leader; -1 if not asked).
	startEnd int64
	// next is the offset after the last record handed to the lanes;
	// records before it are dropped (polled twice, or before the committed
	// offset after a rewind). Poll goroutine only.
	next int64
}

// newPartition returns input partition tp of agents with its sources: tp,
// and partition tp.Partition of each agent's own sources.
func newPartition(tp kafka.TopicPartition, agents []*runtime.Agent) *partition {
	p := &partition{tp: tp, agents: agents, srcs: []*source{{tp: tp, agent: -1, next: -1, startEnd: -1}}, ticks: newTicker(tp, agents)}
	for _, ag := range agents {
		if ag.Desc.Timer == nil {
			p.inputs++
		}
	}
	p.joins = make([]*windows.JoinClock, len(agents))
	for i, ag := range agents {
		if ag.Desc.StreamJoin != nil {
			p.joins[i] = windows.NewJoinClock(true)
		}
		for _, t := range ag.Sources() {
			p.srcs = append(p.srcs, &source{tp: kafka.TopicPartition{Topic: t.Name, Partition: tp.Partition}, agent: i, next: -1, startEnd: -1})
		}
	}
	return p
}

// source returns p's source of topic, nil if none.
func (p *partition) source(topic string) *source {
	for _, s := range p.srcs {
		if s.tp.Topic == topic {
			return s
		}
	}
	return nil
}

// tps returns the topic-partitions of p's sources.
func (p *partition) tps() []kafka.TopicPartition {
	tps := make([]kafka.TopicPartition, len(p.srcs))
	for i, s := range p.srcs {
		tps[i] = s.tp
	}
	return tps
}

// start runs a partition: its stream time from its stores, its lanes.
func (t *thread) start(p *partition) {
	resumeStreamTime(p)
	for _, ts := range p.stores {
		ts.Serve(true) // restored: table queries may read it
	}
	for i, jc := range p.joins {
		if jc != nil {
			// Where each side starts: its committed offset, if any.
			jc.SetNext(0, p.srcs[0].next)
			jc.SetNext(1, p.source(p.agents[i].Desc.StreamJoin.Stream.Name).next)
		}
	}
	p.lanes = make([][]*laneRunner, len(p.agents))
	for i, ag := range p.agents {
		n := max(ag.Desc.Concurrency, 1)
		p.lanes[i] = make([]*laneRunner, n)
		for j := range n {
			l := lane.New(lane.Config{Ctx: t.w.procCtx, App: t.w.app, Agent: ag, Tables: p.tables[i],
				Slot: j, Slots: n, Clock: &p.clock, Guarantee: t.commit, Fail: t.fail, Log: t.log, RecordLimit: t.w.recordLimit,
				OnProcess: t.w.onProcess, OnDeadLetter: t.w.onDead, JoinClock: p.joins[i]})
			r := &laneRunner{Lane: l, ch: make(chan laneMsg, laneQueue), ticks: len(p.tables[i]) > 0, batches: ag.Desc.Batch != nil}
			p.lanes[i][j] = r
			p.wg.Add(1)
			go t.runLane(p, r)
		}
	}
	t.parts[p.tp] = p
}

// joinEnds tells p's join clocks where their sides' partitions end: the
// high watermark librdkafka has from its last fetch (no request), or the
// one asked of the leader when the partition started if that is higher
// (the cached one may be from before the partition last moved here: a
// side would look caught up while its backlog waits, and its records go
// late). A side that has processed nothing and has no
// committed offset starts at its beginning (auto.offset.reset earliest,
// the default: it waits for the records there) or at its end (latest:
// nothing old to wait for).
func (t *thread) joinEnds(p *partition) {
	fromEnd := !t.ccfg.ResetsToBeginning()
	for i, jc := range p.joins {
		if jc == nil {
			continue
		}
		for side, s := range []*source{p.srcs[0], p.source(p.agents[i].Desc.StreamJoin.Stream.Name)} {
			end := max(t.consumer.HighWatermark(s.tp), s.startEnd)
			switch {
			case jc.Next(side) < 0 && fromEnd:
				end = math.MinInt64
			case end < 0:
				end = math.MaxInt64
			}
			jc.SetEnd(side, end)
		}
	}
}

// laneQueue is how many messages a lane's channel holds: how far the poll
// loop may run ahead of a slow handler before it waits.
const laneQueue = 256

// stopLanes closes the partitions' lanes and waits until each has
// finished (or skipped) what it was handed.
func stopLanes(ps []*partition) {
	for _, p := range ps {
		for _, ls := range p.lanes {
			for _, l := range ls {
				close(l.ch)
			}
		}
	}
	for _, p := range ps {
		p.wg.Wait()
	}
}

// resumeStreamTime sets a partition's stream time from its stores: the
// meta entry written with each checkpoint, and the stream-time record a
// windowed table's changelog carries (a store restored from the changelog
// alone has only that).
//
// The resumed time counts as seen now, so the idle timer moves it on and
// windows close without a new event.
func resumeStreamTime(p *partition) {
	now := time.Now().UnixMilli()
	for _, ts := range p.stores {
		if ts.Desc != nil && ts.Desc.FromTopic {
			continue // it keeps no stream time (stores.go)
		}
		if ms, ok, err := ts.Store.Meta(windows.StreamTimeMeta); err == nil && ok {
			p.clock.Observe(ms, now)
		}
		if ts.Desc != nil && ts.Desc.Window != nil {
			if v, ok, err := ts.Store.Get(windows.StreamTimeKey); err == nil && ok {
				if ms, ok := windows.DecodeStreamTime(v); ok {
					p.clock.Observe(ms, now)
				}
			}
		}
	}
}

// closeTables releases the partition's stores: the last partition using
// a store records its checkpoint (when checkpoint is set: every write
// before it is acknowledged, since the partition was drained) and its
// stream time, and closes it.
func (t *thread) closeTables(p *partition, checkpoint bool) {
	ms := t.commit.streamTime(p)
	for _, ts := range p.stores {
		cp := int64(-1)
		if checkpoint {
			cp = t.commit.checkpoint(ts)
		}
		t.stores.release(ts, cp, ms)
	}
}
