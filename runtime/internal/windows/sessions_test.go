package windows_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// TestFit: where an event falls among a key's sessions (gap 10, grace 5).
func TestFit(t *testing.T) {
	spec := windows.NewSpec(0, 0, 5*time.Millisecond, 15*time.Millisecond, 10*time.Millisecond, false)
	ss := []windows.Session{{Start: 0, End: 20}, {Start: 35, End: 40}}
	for _, c := range []struct {
		t, now int64
		want   string
	}{
		{t: 50, now: 50, want: "merged [{35 40}] rest [{0 20}] result {35 50} late false"},
		{t: 28, now: 34, want: "merged [{0 20} {35 40}] rest [] result {0 40} late false"},
		{t: 75, now: 75, want: "merged [] rest [{0 20} {35 40}] result {75 75} late false"},
		// {0 20} closed at 35 and is never reopened: an event at 25
		// joins {35 40} (which closes at 55); one at 22 would be alone,
		// closing at 37: late at 40.
		{t: 25, now: 40, want: "merged [{35 40}] rest [{0 20}] result {25 40} late false"},
		{t: 22, now: 40, want: "merged [] rest [{0 20} {35 40}] result {22 22} late true"},
	} {
		merged, rest, result, late := spec.Fit(ss, c.t, c.now)
		if got := fmt.Sprintf("merged %v rest %v result %v late %v", spans(merged), spans(rest), spans([]windows.Session{result})[0], late); got != c.want {
			t.Errorf("Fit(t=%d, now=%d) = %s, want %s", c.t, c.now, got, c.want)
		}
	}
}

// spans renders sessions' spans.
func spans(ss []windows.Session) []string {
	out := []string{}
	for _, s := range ss {
		out = append(out, fmt.Sprintf("{%d %d}", s.Start, s.End))
	}
	return out
}

// TestSessionIndex: the index follows a key's session lists (a merge
// drops the merged-away session) and closes and expires sessions by their
// end plus gap plus grace, and end plus expires.
func TestSessionIndex(t *testing.T) {
	spec := windows.NewSpec(0, 0, 5*time.Millisecond, 30*time.Millisecond, 10*time.Millisecond, false)
	ix := windows.NewIndex(spec)
	key := []byte("k")
	ix.Write(windows.SessionsKey(key), windows.EncodeSessions([]windows.Session{{Start: 0, End: 20}, {Start: 35, End: 40}}))
	ix.Write(windows.SessionsKey(key), windows.EncodeSessions([]windows.Session{{Start: 0, End: 40}}))
	if ix.Len() != 1 {
		t.Fatalf("%d sessions indexed after a merge, want 1", ix.Len())
	}
	if due := ix.Close(54); len(due) != 0 {
		t.Errorf("closed at 54: %q; a session ending at 40 closes at 55", due)
	}
	due := ix.Close(55)
	if end, _ := ix.End(string(windows.Key(key, windows.Time(0)))); len(due) != 1 || end != 40 {
		t.Errorf("closed at 55: %q (end %d), want the session [0, 40]", due, end)
	}
	if dead := ix.Expire(69, nil); len(dead) != 0 {
		t.Errorf("expired at 69: %v; it expires at 70", dead)
	}
	if dead := ix.Expire(70, nil); len(dead) != 1 || !dead[0].Closed {
		t.Errorf("expired at 70: %+v, want the closed session", dead)
	}
	ix.Write(windows.SessionsKey(key), nil)
	if ix.Len() != 0 {
		t.Errorf("%d sessions indexed after the list's tombstone", ix.Len())
	}
}

// TestEncodeSessions round-trips a session list; none is a tombstone.
func TestEncodeSessions(t *testing.T) {
	ss := []windows.Session{{Start: -5, End: 7, Value: []byte("ab")}, {Start: 1 << 40, End: 1<<40 + 3, Value: []byte{}},
		{Start: 1<<40 + 9, End: 1<<40 + 9, Value: make([]byte, 300)}}
	got, err := windows.DecodeSessions(windows.EncodeSessions(ss))
	if err != nil || fmt.Sprint(got) != fmt.Sprint(ss) {
		t.Errorf("round trip: %v, %v; want %v", got, err, ss)
	}
	enc := windows.EncodeSessions(ss)
	if windows.EncodeSessions(nil) != nil {
		t.Error("no sessions encode as a value, want nil (a tombstone)")
	}
	for _, n := range []int{3, 17, len(enc) - 1} {
		if _, err := windows.DecodeSessions(enc[:n]); err == nil {
			t.Errorf("the first %d bytes of a session list decoded", n)
		}
	}
}
