package windows

import "testing"

// TestJoinClock: a join's time is the highest event time seen, held back
// to a side's highest while that side had a record within Idle (or, with
// none yet, within Idle of the clock's creation); a side quiet for longer
// stops holding it; it never goes back; with Idle 0 nothing holds it.
func TestJoinClock(t *testing.T) {
	c := NewJoinClock(5_000, 1_000)
	c.Observe(0, 100_000, 1_000)
	if got := c.Now(2_000); got != 0 {
		t.Errorf("side 1 has no record yet, 1 s after creation: %d, want 0", got)
	}
	if got := c.Now(6_000); got != 100_000 {
		t.Errorf("side 1 quiet since creation 5 s ago: %d, want 100000", got)
	}
	c.Observe(1, 40_000, 6_500) // side 1 comes, far behind
	c.Observe(0, 120_000, 6_500)
	if got := c.Now(7_000); got != 100_000 {
		t.Errorf("never back: %d, want 100000", got)
	}
	c.Observe(1, 110_000, 8_000)
	if got := c.Now(8_000); got != 110_000 {
		t.Errorf("both coming: %d, want side 1's 110000", got)
	}
	if got := c.Now(13_500); got != 120_000 {
		t.Errorf("side 1 quiet for 5.5 s: %d, want 120000", got)
	}
	d := NewJoinClock(0, 0)
	d.Observe(0, 50, 1)
	if got := d.Now(1); got != 50 {
		t.Errorf("idle 0: %d, want 50", got)
	}
	d.AdvanceTo(70)
	if got := d.Now(1); got != 70 {
		t.Errorf("AdvanceTo: %d, want 70", got)
	}
}
