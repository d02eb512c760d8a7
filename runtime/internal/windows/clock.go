package windows

import (
	"math"
	"sync/atomic"
)

// IdleAfter is how long (ms) a partition goes without a later event before
// its stream time follows the wall clock.
const IdleAfter = 1000

// Clock is one partition's stream time: the highest event time seen, and,
// once the partition has had no later event for IdleAfter, that event time
// plus the wall-clock time since (so windows close on a quiet partition
// without waiting for the next event). The test driver moves it with its
// virtual clock instead (AdvanceTo). Its methods are safe for concurrent
// use: every lane of a partition observes into one Clock.
type Clock struct {
	now      atomic.Int64 // ms; 0: no event yet
	lastWall atomic.Int64 // wall clock (ms) when an event last advanced now
	lastSeen atomic.Int64 // the event time (ms) it advanced to
}

// Now returns the stream time in ms, 0 before any event.
func (c *Clock) Now() int64 { return c.now.Load() }

// Observe moves stream time to event time ms, if later; wall is the wall
// clock (ms) it was seen at, from which an idle partition's time goes on.
func (c *Clock) Observe(ms, wall int64) {
	if c.raise(ms) {
		c.lastSeen.Store(ms)
		c.lastWall.Store(wall)
	}
}

// AdvanceTo raises stream time to ms, if later, without an event (the
// idle timer does not move on from it): the test driver's virtual clock.
func (c *Clock) AdvanceTo(ms int64) { c.raise(ms) }

// IdleAdvance moves an idle partition's stream time with the wall clock
// (ms): to the last event's time plus the time since it was seen, once
// that is IdleAfter or more.
func (c *Clock) IdleAdvance(wall int64) {
	last := c.lastWall.Load()
	if last == 0 {
		return
	}
	idle := wall - last
	if idle < IdleAfter {
		return
	}
	c.raise(c.lastSeen.Load() + idle)
}

func (c *Clock) raise(ms int64) bool {
	for cur := c.now.Load(); ms > cur; cur = c.now.Load() {
		if c.now.CompareAndSwap(cur, ms) {
			return true
		}
	}
	return false
}

// JoinClock is a stream join's time in one partition, driven by the
// event times of its two sides (0: the input's, 1: the joined stream's)
// alone, never by the wall clock: a partner that comes after a quiet spell
// is not late for the quiet alone. Each side's records come in offset
// order, but the two sides come as the consumer fetches them: after a
// backlog, one side's records can run minutes ahead of the other's. So
// the join's time is the highest event time seen, but no more than the
// highest seen on a side that is behind: one whose processed records end
// more than one offset (a transaction's commit marker) before its
// partition's end as the engine last saw it (SetEnd). A side caught up
// does not hold it back, so a quiet side does not stop the other's
// windows from closing. (Kafka Streams picks the record with the lowest
// timestamp across a task's partitions, and waits for a partition that
// has none buffered only while it has lag.) It never goes back. Its
// methods are safe for concurrent use.
type JoinClock struct {
	seen [2]atomic.Int64 // per side, the highest event time seen (ms); 0: none
	next [2]atomic.Int64 // per side, the offset after the last record processed; -1: none
	end  [2]atomic.Int64 // per side, the partition's end offset (SetEnd)
	now  atomic.Int64
}

// NewJoinClock returns a clock whose sides are behind until SetEnd says
// otherwise (waiting is true: the engine's), or never behind (false: the
// test driver, which hands records over as they are sent).
func NewJoinClock(waiting bool) *JoinClock {
	c := &JoinClock{}
	end := int64(math.MinInt64)
	if waiting {
		end = math.MaxInt64
	}
	for s := range c.end {
		c.next[s].Store(-1)
		c.end[s].Store(end)
	}
	return c
}

// Processed records that side's record at offset was handled (joined,
// late, or failed).
func (c *JoinClock) Processed(side int, offset int64) { raise(&c.next[side], offset+1) }

// SetNext sets the offset side's records start from (its committed
// offset), before any is processed.
func (c *JoinClock) SetNext(side int, next int64) { raise(&c.next[side], next) }

// SetEnd sets the end offset of side's partition (its high watermark):
// math.MaxInt64 when it is not known yet, math.MinInt64 for a side never
// to wait for.
func (c *JoinClock) SetEnd(side int, end int64) { c.end[side].Store(end) }

// Next returns the offset after side's last record processed, -1 before
// any (and before SetNext).
func (c *JoinClock) Next(side int) int64 { return c.next[side].Load() }

// Observe records an event of side at ms.
func (c *JoinClock) Observe(side int, ms int64) { raise(&c.seen[side], ms) }

// AdvanceTo raises the join's time to ms, if later: the test driver's
// virtual clock.
func (c *JoinClock) AdvanceTo(ms int64) { raise(&c.now, ms) }

// Now returns the join's time in ms, 0 before it has one.
func (c *JoinClock) Now() int64 {
	t := max(c.seen[0].Load(), c.seen[1].Load())
	for s := range c.seen {
		if end := c.end[s].Load(); end != math.MinInt64 && c.next[s].Load() < end-1 {
			t = min(t, c.seen[s].Load())
		}
	}
	raise(&c.now, t)
	return c.now.Load()
}

// raise sets v to ms, if later.
func raise(v *atomic.Int64, ms int64) {
	for cur := v.Load(); ms > cur; cur = v.Load() {
		if v.CompareAndSwap(cur, ms) {
			return
		}
	}
}
