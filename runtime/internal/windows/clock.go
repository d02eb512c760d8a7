package windows

import "sync/atomic"

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
// highest seen on a side that is still coming: one that has had a record
// within the last Idle (wall clock; a side with none yet counts from the
// clock's creation). A side quiet for longer stops holding it back, so
// that the other side's windows still close. (Kafka Streams picks the
// record with the lowest timestamp across a task's partitions, and idles
// up to max.task.idle.ms for an empty one.) It never goes back. Its
// methods are safe for concurrent use.
type JoinClock struct {
	idle    int64           // ms; 0: sides never hold back (the test driver)
	created int64           // wall clock (ms)
	seen    [2]atomic.Int64 // per side, the highest event time seen (ms); 0: none
	last    [2]atomic.Int64 // per side, the wall clock (ms) of its last record; 0: none
	now     atomic.Int64
}

// NewJoinClock returns a clock whose sides hold its time back for idle
// (ms) after their last record, made at wall clock created (ms).
func NewJoinClock(idle, created int64) *JoinClock { return &JoinClock{idle: idle, created: created} }

// Observe records an event of side at ms, seen at wall clock wall (ms).
func (c *JoinClock) Observe(side int, ms, wall int64) {
	c.last[side].Store(wall)
	raise(&c.seen[side], ms)
}

// AdvanceTo raises the join's time to ms, if later: the test driver's
// virtual clock.
func (c *JoinClock) AdvanceTo(ms int64) { raise(&c.now, ms) }

// Now returns the join's time in ms at wall clock wall (ms), 0 before it
// has one.
func (c *JoinClock) Now(wall int64) int64 {
	t := max(c.seen[0].Load(), c.seen[1].Load())
	for s := range c.seen {
		last := c.last[s].Load()
		if last == 0 {
			last = c.created
		}
		if c.idle > 0 && wall-last < c.idle {
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
