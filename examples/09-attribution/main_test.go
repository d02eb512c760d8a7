package main

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	attributionv1 "github.com/streamgen/streamgen/examples/09-attribution/gen/attribution/v1"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestAttribute: a click is credited to each impression of its user from
// the hour before it, whichever of the two arrives first; an impression
// after the click, more than an hour before it, or of another user does
// not count; a click with none goes out unattributed once a minute of
// event time has passed it, and a click more than a minute late is
// skipped.
func TestAttribute(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	t0 := time.Now().Truncate(time.Hour).Add(-3 * time.Hour)
	at := func(min int) *timestamppb.Timestamp { return timestamppb.New(t0.Add(time.Duration(min) * time.Minute)) }
	impression := func(id, user string, min int) {
		t.Helper()
		if err := streamtest.Send(d, attributionv1.ImpressionTopic, &attributionv1.Impression{ImpressionId: id, UserId: user, Campaign: "c-" + id, At: at(min)}); err != nil {
			t.Fatal(err)
		}
	}
	click := func(id, user string, min int) {
		t.Helper()
		if err := streamtest.Send(d, attributionv1.ClickTopic, &attributionv1.Click{ClickId: id, UserId: user, At: at(min)}); err != nil {
			t.Fatal(err)
		}
	}
	impression("i1", "u1", 0)
	impression("i2", "u2", 5)                                    // another user
	click("k1", "u1", 20)                                        // i1, 20 minutes after it
	impression("i3", "u1", 19)                                   // arrives after k1, but was before it: k1 again
	impression("i4", "u1", 21)                                   // after k1: not k1's
	click("k2", "u1", 90)                                        // i1 is 90 minutes before it, i3 71, i4 69: none
	click("k3", "u3", 95)                                        // no impressions at all
	click("late", "u4", 20)                                      // stream time is at 95: more than a minute late
	if err := d.Advance(t0.Add(100 * time.Minute)); err != nil { // every click's window closed
		t.Fatal(err)
	}
	out, err := streamtest.Output(d, attributionv1.AttributionTopic)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range out {
		got = append(got, a.GetClickId()+">"+a.GetImpressionId()+"@"+time.Duration(a.GetDelayMs()*int64(time.Millisecond)).String())
	}
	slices.Sort(got)
	want := []string{"k1>i1@20m0s", "k1>i3@1m0s", "k2>@0s", "k3>@0s"}
	if !slices.Equal(got, want) {
		t.Errorf("attributions %v, want %v", got, want)
	}
}
