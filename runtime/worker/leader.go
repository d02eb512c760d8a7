package worker

import (
	"slices"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// Leader election and the timer and cron agents' ticks.
//
// An app with agents that run on the leader has a leader topic,
// "<app id>-leader", of one partition and no records, which every thread
// subscribes to: the group protocol gives its partition to one member,
// the leader, and gives it to another one within the session timeout when
// that member dies (Faust elects its leader the same way). The thread that
// owns it runs it as a partition whose lanes are the timer agents'; after
// each poll it looks for due ticks and hands each to its agent's lane as
// an input of its own (lane.NewTick), one tick per agent at a time.
//
// The last tick done of each agent is the leader topic's committed
// offset's metadata (runtime.TickMetadata), so a new leader knows where
// the old one stopped:
//   - exactly once, the transaction that holds a tick's outputs also sends
//     the leader topic's offset with the new metadata (SendOffsets): a
//     leader that lost its partition is fenced by the group generation
//     (KIP-447) and its tick never shows; an aborted transaction leaves
//     the old metadata, and the tick runs again;
//   - at least once, the metadata is committed once the tick's outputs are
//     acknowledged (an explicit commit, CommitOffsetsAsync); a leader that
//     dies in between leaves its tick to run again.

// leadership is a thread's part as the group's leader.
type leadership struct {
	tp      kafka.TopicPartition
	offset  int64                   // the leader topic's committed offset, committed again with each tick
	last    map[string]time.Time    // per agent: the last tick done; nil until loaded from the group
	loadAt  time.Time               // when to try loading again after a failure
	running map[string]runtime.Tick // per agent: the tick handed to its lane, not known done
	dirty   bool                    // at least once: last moved since it was last committed

	mu   sync.Mutex
	done []doneTick // at least once: ticks whose outputs were acknowledged (delivery goroutine)
}

type doneTick struct {
	agent string
	tick  runtime.Tick
}

// lead makes the thread the group's leader: it owns the leader topic's
// partition tp, whose lanes run the timer agents.
func (t *thread) lead(tp kafka.TopicPartition) {
	t.leader = &leadership{tp: tp, running: map[string]runtime.Tick{}}
	t.log.Info("this worker is the group's leader: it runs the timer and cron agents", "leader_topic", tp.Topic)
}

// unlead ends the leadership when tps holds the leader topic's partition.
func (t *thread) unlead(tps []kafka.TopicPartition) {
	if t.leader != nil && slices.Contains(tps, t.leader.tp) {
		t.leader = nil
		t.log.Info("this worker is no longer the group's leader")
	}
}

// runTicks hands each timer agent its due tick, once the last ticks done
// are known (load); it runs in the poll loop, outside rebalance
// callbacks.
func (t *thread) runTicks() {
	l := t.leader
	if l == nil {
		return
	}
	p := t.parts[l.tp]
	if p == nil {
		return // stopped for a rewind (exactly once)
	}
	now := time.Now()
	if l.last == nil && !t.loadTicks(l, now) {
		return
	}
	t.ticksDone(l)
	for i, ag := range p.agents {
		name := ag.Desc.Name
		// A tick handed to the lane counts as done for what is due next:
		// the lane runs ticks in order, and exactly once they commit
		// together (ticksCommitted) or run again together (ticksAborted).
		after := l.last[name]
		if r, ok := l.running[name]; ok && r.Time.After(after) {
			after = r.Time
		}
		tick, ok, skipped := ag.Desc.Timer.Due(after, now)
		if skipped > 0 {
			t.log.Warn("ticks skipped: not on time (on_missed_ticks: MISSED_TICKS_SKIP)", "agent", ag.Name(), "skipped", skipped, "latest", tick.Time)
			if _, busy := l.running[name]; !busy {
				l.last[name] = tick.Time
				l.dirty = true
			}
			continue
		}
		if !ok {
			continue
		}
		if tick.Missed > 0 {
			t.log.Warn("ticks missed: the latest one runs once for them (on_missed_ticks: MISSED_TICKS_RUN_ONCE)", "agent", ag.Name(), "missed", tick.Missed, "tick", tick.Time)
		}
		f := lane.NewTick(t.w.app.ID(), name, tick)
		if !t.w.exactlyOnce {
			f.OnDone = func(*lane.Input) { l.finished(name, tick) }
		}
		select {
		case p.lanes[i][0].ch <- laneMsg{in: f}:
			l.running[name] = tick
		case <-t.loopDone:
			return // stopping: the tick is not handed over, nor recorded
		}
	}
}

// loadTicks reads the last ticks done from the leader topic's committed
// offset (a broker round trip); an agent without one starts at now (its
// first tick is the next one). A failure is tried again a second later.
func (t *thread) loadTicks(l *leadership, now time.Time) bool {
	if now.Before(l.loadAt) {
		return false
	}
	offs, err := t.consumer.Committed([]kafka.TopicPartition{l.tp}, 10*time.Second)
	if err != nil {
		l.loadAt = now.Add(time.Second)
		t.log.Warn("reading the last ticks done failed; retrying", "error", err)
		return false
	}
	l.offset = max(offs[0].Offset, 0)
	l.last = runtime.ParseTickMetadata(offs[0].Metadata)
	for _, ag := range t.w.topo.byTopic[l.tp.Topic] {
		if _, ok := l.last[ag.Desc.Name]; !ok {
			l.last[ag.Desc.Name] = now
		}
	}
	t.log.Info("leader: last ticks done", "ticks", offs[0].Metadata)
	return true
}

// finished records, from the delivery goroutine, that a tick's outputs
// were acknowledged (at least once).
func (l *leadership) finished(agent string, tick runtime.Tick) {
	l.mu.Lock()
	l.done = append(l.done, doneTick{agent, tick})
	l.mu.Unlock()
}

// ticksDone moves the acknowledged ticks into last (at least once).
func (t *thread) ticksDone(l *leadership) {
	l.mu.Lock()
	done := l.done
	l.done = nil
	l.mu.Unlock()
	for _, d := range done {
		if d.tick.Time.After(l.last[d.agent]) {
			l.last[d.agent] = d.tick.Time
		}
		if r, ok := l.running[d.agent]; ok && !r.Time.After(d.tick.Time) {
			delete(l.running, d.agent) // no later tick of the agent is running
		}
		l.dirty = true
	}
}

// tickOffset returns the leader topic's offset to commit with the ticks
// done and, with pending, the ticks running too (exactly once: the
// transaction commits their outputs).
func (l *leadership) tickOffset(agents []*runtime.Agent, pending bool) kafka.Offset {
	last := l.last
	if pending && len(l.running) > 0 {
		last = make(map[string]time.Time, len(l.last))
		for k, v := range l.last {
			last[k] = v
		}
		for k, tick := range l.running {
			last[k] = tick.Time
		}
	}
	return kafka.Offset{TopicPartition: l.tp, Offset: l.offset, Metadata: runtime.TickMetadata(last, agents)}
}

// commitTicks commits the ticks done (at least once), one commit at a
// time, after the commit interval; their results are read after polls.
func (t *thread) commitTicks() {
	l := t.leader
	if l == nil {
		return
	}
	t.tickResults()
	if !l.dirty || l.last == nil || t.tickCommits > 0 {
		return
	}
	if err := t.consumer.CommitOffsetsAsync([]kafka.Offset{l.tickOffset(t.w.topo.byTopic[l.tp.Topic], false)}); err != nil {
		t.log.Warn("committing the last ticks done failed; the next commit retries", "error", err)
		return
	}
	t.tickCommits++
	l.dirty = false
}

// tickResults reads the results of the explicit tick commits that
// finished; a failed one makes the ticks dirty again.
func (t *thread) tickResults() {
	for t.tickCommits > 0 {
		done, err := t.consumer.CommitOffsetsDone()
		if !done {
			return
		}
		t.tickCommits--
		if err != nil {
			t.log.Warn("committing the last ticks done failed; the next commit retries", "error", err)
			if t.leader != nil {
				t.leader.dirty = true
			}
		}
	}
}

// ticksCommitted records, exactly once, that the transaction holding the
// running ticks committed.
func (l *leadership) ticksCommitted() {
	for k, tick := range l.running {
		l.last[k] = tick.Time
	}
	clear(l.running)
	l.dirty = false
}

// handOver commits, at least once, the ticks done before the leader
// topic's partition leaves gracefully: it waits (up to the shutdown
// timeout) for the running ticks' outputs, then commits and waits for the
// result, so the next leader does not run them again.
func (t *thread) handOver(tps []kafka.TopicPartition) {
	l := t.leader
	if l == nil || !slices.Contains(tps, l.tp) || l.last == nil || t.w.exactlyOnce {
		return
	}
	deadline := time.Now().Add(t.w.cfg.shutdownTimeout)
	waitFor := func(busy func() bool) {
		for busy() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	waitFor(func() bool { t.ticksDone(l); return len(l.running) > 0 }) // their outputs acknowledged
	waitFor(func() bool { t.tickResults(); return t.tickCommits > 0 }) // the commit in flight, if any
	t.commitTicks()
	waitFor(func() bool { t.tickResults(); return t.tickCommits > 0 })
	if l.dirty || t.tickCommits > 0 {
		t.log.Warn("the last ticks done were not committed before handing the leadership over; the next leader may run them again")
	}
}

// ticksAborted forgets, exactly once, the running ticks of an aborted
// transaction, and what was loaded: after the rewind the last ticks are
// read again from the group, and the ticks run again.
func (l *leadership) ticksAborted() {
	clear(l.running)
	l.last = nil
}

// leaderOffsets returns, exactly once, the leader topic's offset to send
// with the transaction, or none when no tick ran since the last commit.
func (t *thread) leaderOffsets() []kafka.Offset {
	l := t.leader
	if l == nil || l.last == nil || (len(l.running) == 0 && !l.dirty) {
		return nil
	}
	return []kafka.Offset{l.tickOffset(t.w.topo.byTopic[l.tp.Topic], true)}
}
