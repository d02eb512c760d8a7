package windows

import "time"

// Spec is a window definition in milliseconds.
type Spec struct {
	// Size is the window length.
	Size int64
	// Step is the hop between window starts (Size for tumbling windows).
	Step int64
	// Grace is how long after its end a window accepts late events.
	Grace int64
	// Expires is how long after its end a window is kept.
	Expires int64
	// Sliding makes reads at a time return the window that ends first
	// after it (the last Size up to it) instead of the newest.
	Sliding bool
	// Gap, when positive, makes the windows session windows (sessions.go):
	// Size and Step are 0, a window's end is its last event.
	Gap int64
}

// NewSpec returns the Spec of windows of size, step, grace and expires
// (durations are truncated to milliseconds); a positive gap makes them
// session windows, without size or step (expires then counts from a
// session's end).
func NewSpec(size, step, grace, expires, gap time.Duration, sliding bool) Spec {
	if gap > 0 {
		return Spec{Gap: gap.Milliseconds(), Grace: grace.Milliseconds(), Expires: expires.Milliseconds()}
	}
	return Spec{Size: size.Milliseconds(), Step: step.Milliseconds(), Grace: grace.Milliseconds(),
		Expires: expires.Milliseconds(), Sliding: sliding}
}

// Session reports whether s is a session window spec.
func (s Spec) Session() bool { return s.Gap > 0 }

// Starts returns the starts (ms) of the windows that contain t (ms),
// newest first.
func (s Spec) Starts(t int64) []int64 {
	newest := floorDiv(t, s.Step) * s.Step
	var out []int64
	for st := newest; st > t-s.Size; st -= s.Step {
		out = append(out, st)
	}
	return out
}

// ReadStart returns the start of the window a read at t returns: the
// newest window containing t, or for sliding windows the one ending first
// after t.
func (s Spec) ReadStart(t int64) int64 {
	starts := s.Starts(t)
	if s.Sliding {
		return starts[len(starts)-1]
	}
	return starts[0]
}

// FirstStartAtOrAfter returns the first window start at or after t.
func (s Spec) FirstStartAtOrAfter(t int64) int64 {
	return -floorDiv(-t, s.Step) * s.Step
}

// Closed reports whether the window starting at start is closed at stream
// time now: its end plus grace is at or before now.
func (s Spec) Closed(start, now int64) bool { return s.ClosedEnd(start+s.Size, now) }

// ClosedEnd reports whether a window ending at end is closed at stream
// time now: end plus gap (sessions; 0 otherwise) plus grace is at or
// before now.
func (s Spec) ClosedEnd(end, now int64) bool { return end+s.Gap+s.Grace <= now }

// ExpiredEnd reports whether a window ending at end is past its end plus
// expires at stream time now.
func (s Spec) ExpiredEnd(end, now int64) bool { return end+s.Expires <= now }

// Time returns the UTC time of Unix milliseconds ms.
func Time(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
