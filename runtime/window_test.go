package runtime_test

import (
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
)

func TestWindowStarts(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	tumbling := &runtime.WindowSpec{Size: time.Minute, Step: time.Minute}
	if got := tumbling.Starts(ms(90_000)); len(got) != 1 || !got[0].Equal(ms(60_000)) {
		t.Errorf("tumbling at 90s: %v", got)
	}
	if got := tumbling.Starts(ms(-1)); len(got) != 1 || !got[0].Equal(ms(-60_000)) {
		t.Errorf("tumbling before the epoch: %v", got)
	}
	hopping := &runtime.WindowSpec{Size: 10 * time.Second, Step: 5 * time.Second}
	got := hopping.Starts(ms(6_000))
	if len(got) != 2 || !got[0].Equal(ms(5_000)) || !got[1].Equal(ms(0)) {
		t.Errorf("hopping at 6s: %v, want [5s 0s]", got)
	}
	if r := hopping.ReadStart(ms(6_000)); !r.Equal(ms(5_000)) {
		t.Errorf("hopping read at 6s starts at %v, want the newest window (5s)", r)
	}
	sliding := &runtime.WindowSpec{Size: 60 * time.Second, Step: 10 * time.Second, Sliding: true}
	if got := sliding.Starts(ms(65_000)); len(got) != 6 {
		t.Errorf("sliding 60s/10s: %d windows per event, want 6", len(got))
	}
	if r := sliding.ReadStart(ms(65_000)); !r.Equal(ms(10_000)) {
		t.Errorf("sliding read at 65s starts at %v, want 10s (the last minute up to 65s at 10s resolution)", r)
	}
}

func TestWindowKeyRoundTrip(t *testing.T) {
	start := time.UnixMilli(1_700_000_000_123).UTC()
	k := runtime.WindowKey([]byte("acct"), start)
	key, got, ok := runtime.SplitWindowKey(k)
	if !ok || string(key) != "acct" || !got.Equal(start) {
		t.Errorf("SplitWindowKey = %q, %v, %v", key, got, ok)
	}
	m := runtime.ClosedMarkerKey(k)
	if wk, ok := runtime.SplitClosedMarker(m); !ok || string(wk) != string(k) {
		t.Error("closed marker does not round-trip")
	}
	if _, ok := runtime.SplitClosedMarker(k); ok {
		t.Error("a window key read as a closed marker")
	}
}
