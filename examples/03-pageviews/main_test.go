package main

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pageviewsv1 "github.com/streamgen/streamgen/examples/03-pageviews/gen/pageviews/v1"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func view(t *testing.T, d *streamtest.Driver, page string, at time.Duration) {
	t.Helper()
	if err := streamtest.Send(d, pageviewsv1.PageViewTopic, &pageviewsv1.PageView{Page: page, At: timestamppb.New(t0.Add(at))}); err != nil {
		t.Fatal(err)
	}
}

// TestFinalCountsWhenWindowsClose: each window's final count is emitted
// once, when stream time passes its end plus grace; the virtual clock
// closes windows with no further events and no sleeps.
func TestFinalCountsWhenWindowsClose(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	view(t, d, "/home", 5*time.Second)
	view(t, d, "/home", 30*time.Second)
	view(t, d, "/about", 59*time.Second)
	view(t, d, "/home", 65*time.Second) // next window; the first is still in its grace
	if got, _ := streamtest.Output(d, pageviewsv1.PageViewWindowTopic); len(got) != 0 {
		t.Fatalf("windows emitted before they closed: %v", got)
	}
	// Stream time is per partition (pages are keys of different
	// partitions): at 70 s = end of [0,60) + 10 s grace, each page's first
	// window closes.
	view(t, d, "/home", 70*time.Second)
	view(t, d, "/about", 70*time.Second)
	got, _ := streamtest.Output(d, pageviewsv1.PageViewWindowTopic)
	counts := map[string]int64{}
	for _, w := range got {
		if !w.GetStart().AsTime().Equal(t0) || !w.GetEnd().AsTime().Equal(t0.Add(time.Minute)) {
			t.Errorf("window %v..%v", w.GetStart().AsTime(), w.GetEnd().AsTime())
		}
		counts[w.GetPage()] = w.GetViews()
	}
	if len(got) != 2 || counts["/home"] != 2 || counts["/about"] != 1 {
		t.Errorf("first windows: %v", got)
	}
	// A view late beyond grace does not reopen or change the window.
	view(t, d, "/home", 10*time.Second)
	if got, _ := streamtest.Output(d, pageviewsv1.PageViewWindowTopic); len(got) != 0 {
		t.Errorf("late view emitted again: %v", got)
	}
	// No more events: advancing the clock closes [60s,120s) at 130 s.
	if err := d.Advance(t0.Add(129 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := streamtest.Output(d, pageviewsv1.PageViewWindowTopic); len(got) != 0 {
		t.Errorf("closed before end plus grace: %v", got)
	}
	if err := d.Advance(t0.Add(130 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ = streamtest.Output(d, pageviewsv1.PageViewWindowTopic)
	counts = map[string]int64{}
	for _, w := range got {
		counts[w.GetPage()] = w.GetViews()
	}
	if len(got) != 2 || counts["/home"] != 2 || counts["/about"] != 1 {
		t.Errorf("second windows [60s,120s): %v; want /home 2 (65 s, 70 s) and /about 1", got)
	}
	// Closing twice never happens.
	if err := d.Advance(t0.Add(200 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got, _ := streamtest.Output(d, pageviewsv1.PageViewWindowTopic); len(got) != 0 {
		t.Errorf("windows emitted twice: %v", got)
	}
}
