package windows

import (
	"math"
	"testing"
)

// TestJoinClock: a join's time is the highest event time seen, held back
// to a side's highest while that side is behind (its processed records
// end more than one offset before its partition's end, or the end is not
// known yet); a side caught up does not hold it; it never goes back; a
// clock that never waits (the driver's) is the highest event time seen.
func TestJoinClock(t *testing.T) {
	c := NewJoinClock(true)
	c.Processed(0, 9)
	c.Observe(0, 100_000)
	if got := c.Now(); got != 0 {
		t.Errorf("side 1's end not known yet: %d, want 0", got)
	}
	c.SetEnd(0, 10)
	c.SetEnd(1, 0) // an empty partition: nothing to wait for
	if got := c.Now(); got != 100_000 {
		t.Errorf("both caught up: %d, want 100000", got)
	}
	c.SetEnd(1, 50) // side 1 has 50 records coming
	c.Processed(1, 4)
	c.Observe(1, 40_000)
	c.Observe(0, 120_000)
	c.Processed(0, 10)
	c.SetEnd(0, 11)
	if got := c.Now(); got != 100_000 {
		t.Errorf("never back: %d, want 100000", got)
	}
	c.Processed(1, 47)
	c.Observe(1, 110_000)
	if got := c.Now(); got != 110_000 {
		t.Errorf("side 1 behind at 48 of 50: %d, want its 110000", got)
	}
	c.Processed(1, 48) // 49 of 50: a commit marker may be the last offset
	if got := c.Now(); got != 120_000 {
		t.Errorf("side 1 caught up but for a marker: %d, want 120000", got)
	}
	c.SetEnd(1, math.MaxInt64) // not known
	c.Observe(0, 130_000)
	if got := c.Now(); got != 120_000 {
		t.Errorf("side 1's end unknown: %d, want 120000", got)
	}
	d := NewJoinClock(false)
	d.Observe(0, 50)
	if got := d.Now(); got != 50 {
		t.Errorf("never waiting: %d, want 50", got)
	}
	d.AdvanceTo(70)
	if got := d.Now(); got != 70 {
		t.Errorf("AdvanceTo: %d, want 70", got)
	}
}
