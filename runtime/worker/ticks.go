package worker

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// Timer and cron agents' ticks, and leader election.
//
// A tick runs in a partition, as an input of its own handed to its agent's
// lane (lane.NewTick), one tick per agent at a time:
//   - on the leader (RUN_ON_LEADER): an app with such agents has a leader
//     topic, "<app id>-leader", of one partition and no records, which
//     every thread subscribes to: the group protocol gives its partition
//     to one member, the leader, and gives it to another one within the
//     session timeout when that member dies (Faust elects its leader the
//     same way). The thread that owns it runs it as a partition whose
//     lanes are the timer agents';
//   - on each partition of the agent's tables (RUN_ON_PARTITIONS): input
//     partition p of the topic its tables are written from
//     (runtime.App.TimerTopic) has a lane of the timer agent too, after the
//     topic's agents, on the same stores: a tick reads and writes table
//     partition p.
//
// After each poll the thread looks for due ticks in each running
// partition with timer agents (its ticker). The last tick done of each
// agent is the partition's committed offset's metadata
// (runtime.TickMetadata), so a new owner knows where the old one stopped:
//   - exactly once, the transaction that holds a tick's outputs and table
//     writes also sends the partition's offset with the new metadata
//     (SendOffsets): an owner that lost the partition is fenced by the
//     group generation (KIP-447) and its tick never shows; an aborted
//     transaction leaves the old metadata, and the tick runs again;
//   - at least once, the metadata goes with the partition's offset once
//     the tick's outputs and table writes are acknowledged: stored with the
//     next offset stored, or committed explicitly (CommitOffsetsAsync) when
//     no record moved the offset. An owner that dies in between leaves its
//     tick to run again.
// Every offset committed for such a partition carries the metadata (a
// commit without it would erase it), so the ticks are known before the
// partition runs: an input partition's from its restore job's committed
// offsets, the leader topic's from the group after it is assigned (it
// commits nothing before).

// ticker is the part of a running partition that runs timer and cron
// agents: the leader topic's partition, or an input partition whose
// tables such agents run on.
type ticker struct {
	tp     kafka.TopicPartition
	agents []int            // the timer agents' indexes in the partition's agents
	descs  []*runtime.Agent // the same agents, in order (TickMetadata)
	// base is the offset to commit the ticks with when no record moved the
	// partition's offset: the last one committed or stored, else (exactly
	// once) where the partition starts (startOffset); negative until known.
	base      int64
	last      map[string]time.Time // per agent: the last tick done; nil until loaded
	committed map[string]time.Time // exactly once: last as of the last commit
	loadAt    time.Time            // the leader: when to try loading again after a failure
	running   map[string]running   // per agent: the tick handed to its lane, not known done
	dirty     bool                 // at least once: last moved since it was last stored or committed

	mu   sync.Mutex
	done []doneTick // at least once: ticks whose work was acknowledged (delivery goroutine)
}

type doneTick struct {
	agent string
	tick  runtime.Tick
}

// running is a tick handed to its agent's lane.
type running struct {
	tick runtime.Tick
	in   *lane.Input // set Skipped when a stopping lane skipped it
}

// newTicker returns the ticker of partition tp whose agents are agents,
// nil when none is a timer or cron agent.
func newTicker(tp kafka.TopicPartition, agents []*runtime.Agent) *ticker {
	k := &ticker{tp: tp, base: -1, running: map[string]running{}}
	for i, ag := range agents {
		if ag.Desc.Timer != nil {
			k.agents = append(k.agents, i)
			k.descs = append(k.descs, ag)
		}
	}
	if len(k.agents) == 0 {
		return nil
	}
	return k
}

// load sets the last ticks done from the partition's committed offset
// (off, negative: none) and its metadata; an agent without one starts at
// now (its first tick is the next one).
func (k *ticker) load(metadata string, off int64, now time.Time) {
	k.last = runtime.ParseTickMetadata(metadata)
	for _, ag := range k.descs {
		if _, ok := k.last[ag.Desc.Name]; !ok {
			k.last[ag.Desc.Name] = now
		}
	}
	k.committed = maps.Clone(k.last)
	if off >= 0 {
		k.base = off
	}
}

// lead and unlead log the thread's leadership: owning the leader topic's
// partition, whose ticker runs the leader's timer and cron agents.
func (t *thread) lead(tp kafka.TopicPartition) {
	t.log.Info("this worker is the group's leader: it runs the timer and cron agents that run on the leader", "leader_topic", tp.Topic)
}

func (t *thread) unlead(tps []kafka.TopicPartition) {
	if t.w.topo.leader != "" && slices.Contains(tps, kafka.TopicPartition{Topic: t.w.topo.leader}) {
		t.log.Info("this worker is no longer the group's leader")
	}
}

// runTicks hands each running partition's timer agents their due ticks,
// once the partition's last ticks are known; it runs in the poll loop,
// outside rebalance callbacks.
func (t *thread) runTicks() {
	now := time.Now()
	t.loadLeaderTicks(now)
	for _, p := range t.parts {
		if k := p.ticks; k != nil && k.last != nil {
			t.runPartitionTicks(p, k, now)
		}
	}
}

// runPartitionTicks hands p's timer agents their due ticks.
func (t *thread) runPartitionTicks(p *partition, k *ticker, now time.Time) {
	if k.base < 0 && t.w.exactlyOnce && !t.startOffset(k, now) {
		return
	}
	t.ticksDone(k)
	for j, i := range k.agents {
		ag := k.descs[j]
		name := ag.Desc.Name
		// A tick handed to the lane counts as done for what is due next:
		// the lane runs ticks in order, and exactly once they commit
		// together (ticksCommitted) or run again together (ticksAborted).
		after := k.last[name]
		r, busy := k.running[name]
		if busy && !t.w.exactlyOnce {
			// At least once a tick is done when acknowledged, and
			// acknowledgements may come out of order: one tick at a time,
			// so the last tick done never passes one that is not (the ticks
			// due meanwhile are the next one's Missed).
			continue
		}
		if busy && r.tick.Time.After(after) {
			after = r.tick.Time
		}
		tick, ok, skipped := ag.Desc.Timer.Due(after, now)
		tick.Partition = k.tp.Partition
		if skipped > 0 {
			t.log.Warn("ticks skipped: not on time (on_missed_ticks: MISSED_TICKS_SKIP)", "agent", ag.Name(), "partition", k.tp.String(), "skipped", skipped, "latest", tick.Time)
			if _, busy := k.running[name]; !busy {
				k.last[name] = tick.Time
				k.dirty = true
			}
			continue
		}
		if !ok {
			continue
		}
		if tick.Missed > 0 {
			t.log.Warn("ticks missed: the latest one runs once for them (on_missed_ticks: MISSED_TICKS_RUN_ONCE)", "agent", ag.Name(), "partition", k.tp.String(), "missed", tick.Missed, "tick", tick.Time)
		}
		f := lane.NewTick(k.tp.Topic, name, tick)
		if !t.w.exactlyOnce {
			f.OnDone = func(*lane.Input) { k.finished(name, tick) }
		}
		select {
		case p.lanes[i][0].ch <- laneMsg{in: f}:
			k.running[name] = running{tick, f}
		case <-t.loopDone:
			return // stopping: the tick is not handed over, nor recorded
		}
	}
}

// startOffset sets, exactly once, the offset to commit the ticks of a
// partition the group has no offset for: where the partition starts, by
// auto.offset.reset (the low watermark, or the high one), asked of the
// broker once; no record before it was handed out. A failure is tried
// again a second later. It reports whether the offset is known.
func (t *thread) startOffset(k *ticker, now time.Time) bool {
	if now.Before(k.loadAt) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	lo, hi, err := t.consumer.Watermarks(ctx, k.tp)
	if err != nil {
		k.loadAt = now.Add(time.Second)
		t.log.Warn("reading where a partition starts, for its ticks, failed; retrying", "partition", k.tp.String(), "error", err)
		return false
	}
	k.base = hi
	if t.ccfg.ResetsToBeginning() || t.w.topo.fed[k.tp.Topic] {
		k.base = lo
	}
	return true
}

// loadLeaderTicks reads the leader's last ticks done from the leader
// topic's committed offset (a broker round trip) once it is assigned. A
// failure is tried again a second later.
func (t *thread) loadLeaderTicks(now time.Time) {
	p := t.parts[kafka.TopicPartition{Topic: t.w.topo.leader}]
	if p == nil || p.ticks == nil || p.ticks.last != nil || now.Before(p.ticks.loadAt) {
		return
	}
	k := p.ticks
	offs, err := t.consumer.Committed([]kafka.TopicPartition{k.tp}, 10*time.Second)
	if err != nil {
		k.loadAt = now.Add(time.Second)
		t.log.Warn("reading the last ticks done failed; retrying", "error", err)
		return
	}
	k.load(offs[0].Metadata, max(offs[0].Offset, 0), now) // the leader topic holds no records: offset 0 will do
	t.log.Info("leader: last ticks done", "ticks", offs[0].Metadata)
}

// finished records, from the delivery goroutine, that a tick's outputs
// and table writes were acknowledged (at least once).
func (k *ticker) finished(agent string, tick runtime.Tick) {
	k.mu.Lock()
	k.done = append(k.done, doneTick{agent, tick})
	k.mu.Unlock()
}

// ticksDone moves the acknowledged ticks into last (at least once), and
// forgets running ticks a stopping lane skipped (never run: the next
// owner runs them).
func (t *thread) ticksDone(k *ticker) {
	k.mu.Lock()
	done := k.done
	k.done = nil
	k.mu.Unlock()
	for _, d := range done {
		if d.tick.Time.After(k.last[d.agent]) {
			k.last[d.agent] = d.tick.Time
		}
		if r, ok := k.running[d.agent]; ok && !r.tick.Time.After(d.tick.Time) {
			delete(k.running, d.agent) // no later tick of the agent is running
		}
		k.dirty = true
	}
	for a, r := range k.running {
		if r.in.Skipped.Load() {
			delete(k.running, a)
		}
	}
}

// metadata returns the offset commit metadata of the ticks done and, with
// pending, the ticks running too (exactly once: the transaction commits
// their outputs).
func (k *ticker) metadata(pending bool) string {
	last := k.last
	if pending && len(k.running) > 0 {
		last = maps.Clone(k.last)
		for a, r := range k.running {
			last[a] = r.tick.Time
		}
	}
	return runtime.TickMetadata(last, k.descs)
}

// tickers returns the running partitions' tickers whose ticks are known.
func (t *thread) tickers() []*ticker {
	var ks []*ticker
	for _, p := range t.parts {
		if p.ticks != nil && p.ticks.last != nil {
			ks = append(ks, p.ticks)
		}
	}
	return ks
}

// commitTicks commits, at least once, the ticks done of partitions whose
// offset no record moved since (their stored offsets carry the others),
// one commit at a time, after the commit interval; the results are read
// after polls.
func (t *thread) commitTicks() {
	t.tickResults()
	if t.tickCommits > 0 || time.Since(t.lastTickCommit) < commitEvery {
		return
	}
	offs, ks := t.dirtyOffsets(t.tickers())
	if len(offs) == 0 {
		return
	}
	if err := t.commitTickOffsets(offs); err != nil {
		t.log.Warn("committing the last ticks done failed; the next commit retries", "error", err)
		return
	}
	t.lastTickCommit = time.Now()
	for _, k := range ks {
		k.dirty = false
	}
	t.tickDirty = ks
}

// dirtyOffsets returns, at least once, the offsets that commit the ticks
// done of those of ks whose ticks moved since they were last stored or
// committed and that have an offset to commit them at, and those tickers.
func (t *thread) dirtyOffsets(ks []*ticker) ([]kafka.Offset, []*ticker) {
	var offs []kafka.Offset
	var dirty []*ticker
	for _, k := range ks {
		t.ticksDone(k)
		if k.dirty && k.base >= 0 {
			offs = append(offs, kafka.Offset{TopicPartition: k.tp, Offset: k.base, Metadata: k.metadata(false)})
			dirty = append(dirty, k)
		}
	}
	return offs, dirty
}

// commitTickOffsets stores offs (so a commit of the stored offsets, which
// librdkafka may send after this one, carries the same metadata, not an
// older one) and starts committing them explicitly (the stored offsets are
// committed only when they moved past the committed ones).
func (t *thread) commitTickOffsets(offs []kafka.Offset) error {
	if err := t.consumer.StoreOffsets(offs); err != nil {
		return err
	}
	if err := t.consumer.CommitOffsetsAsync(offs); err != nil {
		return err
	}
	t.tickCommits++
	return nil
}

// tickResults reads the results of the explicit tick commits that
// finished; a failed one makes its ticks dirty again.
func (t *thread) tickResults() {
	for t.tickCommits > 0 {
		done, err := t.consumer.CommitOffsetsDone()
		if !done {
			return
		}
		t.tickCommits--
		if err != nil {
			t.log.Warn("committing the last ticks done failed; the next commit retries", "error", err)
			for _, k := range t.tickDirty {
				k.dirty = true
			}
		}
		t.tickDirty = nil
	}
}

// storedTicks returns the metadata to store with partition p's offset at
// least once: the ticks done, which the stored offset then carries ("" if
// p runs no timer agent, or its ticks are not known yet). The ticks are
// clean once stored (unstored: the caller makes them dirty again).
func (t *thread) storedTicks(p *partition, tp kafka.TopicPartition) string {
	k := p.ticks
	if k == nil || k.tp != tp || k.last == nil {
		return ""
	}
	t.ticksDone(k)
	k.dirty = false
	return k.metadata(false)
}

// ticksRunning reports whether p has ticks handed to its lanes whose work
// is not acknowledged (at least once).
func (t *thread) ticksRunning(p *partition) bool {
	if p.ticks == nil {
		return false
	}
	t.ticksDone(p.ticks)
	return len(p.ticks.running) > 0
}

// ticksCommitted records, exactly once, that the transaction holding the
// running ticks committed.
func (k *ticker) ticksCommitted() {
	for a, r := range k.running {
		k.last[a] = r.tick.Time
	}
	clear(k.running)
	k.dirty = false
	k.committed = maps.Clone(k.last)
}

// ticksAborted forgets, exactly once, the running ticks of an aborted
// transaction: the last ticks are those committed, and the ticks run
// again.
func (k *ticker) ticksAborted() {
	clear(k.running)
	if k.committed != nil {
		k.last = maps.Clone(k.committed)
	}
	k.dirty = false
}

// handOver commits, at least once, the ticks done of partitions that
// leave gracefully: it waits (up to the shutdown timeout) for the running
// ticks' outputs, then commits and waits for the result, so the next
// owner does not run them again. ks are the tickers of the partitions
// leaving, taken before they stopped.
func (t *thread) handOver(ks []*ticker) {
	if len(ks) == 0 || t.w.exactlyOnce {
		return
	}
	deadline := time.Now().Add(t.w.cfg.shutdownTimeout)
	waitFor := func(busy func() bool) {
		for busy() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
	}
	running := func() bool {
		for _, k := range ks {
			if t.ticksDone(k); len(k.running) > 0 {
				return true
			}
		}
		return false
	}
	waitFor(running)                                                   // their outputs acknowledged
	waitFor(func() bool { t.tickResults(); return t.tickCommits > 0 }) // the commit in flight, if any
	if offs, _ := t.dirtyOffsets(ks); len(offs) > 0 {
		if err := t.commitTickOffsets(offs); err == nil {
			t.tickDirty = nil
		}
		waitFor(func() bool { t.tickResults(); return t.tickCommits > 0 })
	}
	if running() || t.tickCommits > 0 {
		t.log.Warn("the last ticks done were not committed before handing the partitions over; their next owner may run them again")
	}
}

// leavingTickers returns the tickers of the running partitions of tps
// whose ticks are known.
func (t *thread) leavingTickers(tps []kafka.TopicPartition) []*ticker {
	var ks []*ticker
	for _, tp := range tps {
		if p := t.parts[tp]; p != nil && p.ticks != nil && p.ticks.last != nil {
			ks = append(ks, p.ticks)
		}
	}
	return ks
}

// tickOffset returns, exactly once, the offset to send with the
// transaction for p's source tp: the offset after its last record handed
// out (next), with the ticks' metadata when p runs timer agents; for such
// a partition also when only ticks moved since the last commit (at its
// committed offset). ok is false when nothing is to be sent.
func tickOffset(p *partition, tp kafka.TopicPartition, next, committed int64) (off kafka.Offset, ok bool) {
	k := p.ticks
	if k == nil || k.tp != tp || k.last == nil {
		return kafka.Offset{TopicPartition: tp, Offset: next}, next > committed
	}
	md := k.metadata(true)
	switch {
	case next > committed:
		return kafka.Offset{TopicPartition: tp, Offset: next, Metadata: md}, true
	case len(k.running) == 0 && !k.dirty:
		return kafka.Offset{}, false
	case committed >= 0:
		return kafka.Offset{TopicPartition: tp, Offset: committed, Metadata: md}, true
	case k.base >= 0:
		return kafka.Offset{TopicPartition: tp, Offset: k.base, Metadata: md}, true
	}
	return kafka.Offset{}, false
}
