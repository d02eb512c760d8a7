package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	withdrawalsv1 "github.com/streamgen/streamgen/examples/04-withdrawals/gen/withdrawals/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func withdraw(t *testing.T, d *streamtest.Driver, user string, amount float64, at time.Duration) *withdrawalsv1.UserTotal {
	t.Helper()
	w := &withdrawalsv1.Withdrawal{User: user, Amount: amount, Date: timestamppb.New(t0.Add(at))}
	if err := streamtest.Send(d, withdrawalsv1.WithdrawalTopic, w); err != nil {
		t.Fatal(err)
	}
	out, err := streamtest.Output(d, withdrawalsv1.UserTotalTopic)
	if err != nil || len(out) != 1 {
		t.Fatalf("outputs %v, %v", out, err)
	}
	return out[0]
}

// TestHoppingWindows: windows of 10 s every 5 s, by event time (the
// withdrawal's date, not when it is processed).
func TestHoppingWindows(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	// At 1 s: windows [-5s,5s) and [0s,10s).
	if got := withdraw(t, d, "ann", 10, 1*time.Second); got.GetTotal() != 10 || got.GetPrevious() != 10 {
		t.Errorf("after 1st: %v", got)
	}
	// At 6 s: windows [0,10) (now 30) and [5,15) (20); previous is [0,10) seen from 1 s earlier step.
	got := withdraw(t, d, "ann", 20, 6*time.Second)
	if got.GetTotal() != 20 || got.GetPrevious() != 30 {
		t.Errorf("after 2nd: total %v previous %v; want newest window [5s,15s) = 20 and the one a step before [0s,10s) = 30", got.GetTotal(), got.GetPrevious())
	}
	// Another user's windows are separate.
	if got := withdraw(t, d, "bob", 5, 6*time.Second); got.GetTotal() != 5 {
		t.Errorf("bob: %v", got)
	}
	for start, want := range map[time.Duration]float64{-5 * time.Second: 10, 0: 30, 5 * time.Second: 20} {
		v, ok, err := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, withdrawalsv1.WithdrawalsUserTotalsTableName, "ann", t0.Add(start))
		if err != nil || !ok || v.GetTotal() != want {
			t.Errorf("window at %v: %v, %v, %v; want %v", start, v, ok, err, want)
		}
	}
	// A late withdrawal beyond grace (5 s after a window's end) skips the
	// closed windows: stream time is 6 s, so [-5s,5s) closed at 10 s? No:
	// advance stream time to 30 s first.
	if err := d.Advance(t0.Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got = withdraw(t, d, "ann", 100, 2*time.Second) // windows end at 5 s and 10 s: both past grace
	if got.GetTotal() != 30 {
		t.Errorf("late withdrawal changed a closed window: %v", got)
	}
	v, _, _ := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, withdrawalsv1.WithdrawalsUserTotalsTableName, "ann", t0)
	if v.GetTotal() != 30 {
		t.Errorf("closed window [0s,10s) = %v after a late write, want 30", v.GetTotal())
	}
}

// TestWindowsExpire: advancing the virtual clock past a window's end plus
// expiry (60 s) deletes it and tombstones it in the changelog; no sleeps.
func TestWindowsExpire(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	withdraw(t, d, "ann", 10, 1*time.Second)
	table := withdrawalsv1.WithdrawalsUserTotalsTableName
	if _, ok, _ := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, table, "ann", t0); !ok {
		t.Fatal("window [0s,10s) missing")
	}
	if err := d.Advance(t0.Add(69 * time.Second)); err != nil { // [0s,10s) ends at 10 s, expires at 70 s
		t.Fatal(err)
	}
	if _, ok, _ := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, table, "ann", t0); !ok {
		t.Error("window [0s,10s) expired before 70 s")
	}
	if _, ok, _ := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, table, "ann", t0.Add(-5*time.Second)); ok {
		t.Error("window [-5s,5s) still there after 65 s")
	}
	if err := d.Advance(t0.Add(70 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, table, "ann", t0); ok {
		t.Error("window [0s,10s) still there at 70 s")
	}
	var tombstones int
	for _, r := range d.Records(withdrawalsv1.WithdrawalsUserTotalsChangelogTopicName) {
		if r.Value == nil {
			tombstones++
			if key, _, _ := runtime.SplitWindowKey(r.Key); string(key) != "ann" {
				t.Errorf("tombstone for key %q", key)
			}
		}
	}
	if tombstones != 2 {
		t.Errorf("%d tombstones in the changelog, want 2", tombstones)
	}
}

// TestSlidingWindow: the last-minute total covers the withdrawals of the
// minute up to each one (at 10 s resolution), not the newest window's.
func TestSlidingWindow(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	withdraw(t, d, "ann", 10, 5*time.Second)
	withdraw(t, d, "ann", 20, 30*time.Second)
	got := withdraw(t, d, "ann", 5, 65*time.Second)
	// The read at 65 s is the window [10s,70s): 20 + 5; the 10 at 5 s is
	// more than a minute (at 10 s resolution) before.
	if got.GetLastMinute() != 25 {
		t.Errorf("last minute at 65 s = %v, want 25", got.GetLastMinute())
	}
	if got.GetTotal() != 5 {
		t.Errorf("newest hopping window at 65 s = %v, want 5", got.GetTotal())
	}
}
