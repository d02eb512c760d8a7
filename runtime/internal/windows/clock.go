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
