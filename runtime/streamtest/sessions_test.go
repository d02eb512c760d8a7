package streamtest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// visitsDriver returns a driver of the Visits app (sessions with a 5
// minute gap and 1 minute grace).
func visitsDriver(t *testing.T) *streamtest.Driver {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterVisitsAgents(app, testapp.Visits{}); err != nil {
		t.Fatal(err)
	}
	return streamtest.New(app)
}

// sendAt sends an order of acct for cents with event time at.
func sendAt(t *testing.T, d *streamtest.Driver, acct string, cents int64, at time.Time) {
	t.Helper()
	rec, err := testapp.OrderTopic.Record(&testapp.Order{AccountId: acct, AmountCents: cents})
	if err != nil {
		t.Fatal(err)
	}
	rec.Timestamp = at
	if err := d.SendRecord(rec); err != nil {
		t.Fatal(err)
	}
}

// finals returns the closed sessions' summaries the driver emitted, as
// "account orders cents start+ end+" (offsets from base).
func finals(t *testing.T, d *streamtest.Driver, base time.Time) []string {
	t.Helper()
	var out []string
	for _, r := range d.Records(testapp.VisitTopicName) {
		v, err := testapp.VisitTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if v.GetFinal() {
			out = append(out, fmt.Sprintf("%s %d %d %v %v", v.GetAccountId(), v.GetOrders(), v.GetAmountCents(),
				time.UnixMilli(v.GetStartMs()).Sub(base), time.UnixMilli(v.GetEndMs()).Sub(base)))
		}
	}
	return out
}

// TestSessionsGrowMergeAndCloseOnce: orders closer than the gap share a
// session; a late order (within grace) that fills the gap between two
// sessions merges them through MergeSessions; each session's summary is
// emitted once when stream time passes its end plus gap plus grace; an
// order later than that is skipped; closed sessions are deleted.
func TestSessionsGrowMergeAndCloseOnce(t *testing.T) {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	min := func(m float64) time.Time { return base.Add(time.Duration(m * float64(time.Minute))) }
	d := visitsDriver(t)
	sendAt(t, d, "a", 1, min(0))   // session A [0, 0]
	sendAt(t, d, "a", 2, min(4))   // joins A: [0, 4m]
	sendAt(t, d, "a", 4, min(9.5)) // 5m30s after A's end: session B [9m30s]
	sendAt(t, d, "b", 8, min(9.5)) // another key
	if got := finals(t, d, base); len(got) != 0 {
		t.Fatalf("sessions closed before stream time reached end+gap+grace: %v", got)
	}
	// Late (stream time is 9m30s) but A is open until 4m+5m+1m: an order
	// at 7m is within the gap of A's end and of B's start: A and B merge
	// into [0, 9m30s].
	sendAt(t, d, "a", 16, min(7))
	recs := d.Records(testapp.VisitTopicName)
	if last, err := testapp.VisitTopic.Decode(recs[len(recs)-1].Value); err != nil || last.GetOrders() != 4 || last.GetAmountCents() != 23 {
		t.Fatalf("the merging order's session: %v, %v; want 4 orders, 23 cents (A's 1+2, B's 4, its 16)", last, err)
	}
	if v, ok, err := streamtest.WindowValue[*testapp.Visit](d, testapp.VisitsSessionsTableName, "a", min(0)); err != nil || !ok || v.GetOrders() != 4 {
		t.Errorf("a's session from 0: %v, %v, %v; want 4 orders", v, ok, err)
	}
	if _, ok, err := streamtest.WindowValue[*testapp.Visit](d, testapp.VisitsSessionsTableName, "a", min(9.5)); err != nil || ok {
		t.Errorf("a's session from 9m30s is still there (%v, %v); it was merged away", ok, err)
	}
	// Stream time 15m30s closes a's session and b's first (both end at
	// 9m30s; 9m30s+5m+1m).
	sendAt(t, d, "b", 32, min(15.5))
	want := []string{"a 4 23 0s 9m30s", "b 1 8 9m30s 9m30s"}
	got := finals(t, d, base)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("closed sessions %v, want %v", got, want)
	}
	// An order at 9m is too late: its session would close at 15m.
	sendAt(t, d, "a", 64, min(9))
	if err := d.Advance(base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got = finals(t, d, base)
	slices.Sort(got)
	want = []string{"a 4 23 0s 9m30s", "b 1 32 15m30s 15m30s", "b 1 8 9m30s 9m30s"}
	if !slices.Equal(got, want) {
		t.Errorf("closed sessions %v, want %v (each once; the late order skipped)", got, want)
	}
	// Every session, its closed marker and the keys' session lists are
	// deleted once closed: the changelog ends with a tombstone per key.
	last := map[string][]byte{}
	for _, r := range d.Records(testapp.VisitsSessionsChangelogTopicName) {
		last[string(r.Key)] = r.Value
	}
	if len(last) == 0 {
		t.Fatal("no changelog records")
	}
	for k, v := range last {
		if v != nil && k != "\xffs" { // the stream time record stays
			t.Errorf("changelog key %q ends with a value, want a tombstone", k)
		}
	}
	running := 0
	for _, r := range d.Records(testapp.VisitTopicName) {
		if v, _ := testapp.VisitTopic.Decode(r.Value); !v.GetFinal() {
			running++
		}
	}
	if running != 6 {
		t.Errorf("%d running session updates emitted, want 6 (the late order's none)", running)
	}
}

// noMerge is Visits without its merge method.
type noMerge struct {
	testapp.UnimplementedVisitsAgents
}

func (noMerge) Count(ctx context.Context, in *testapp.Order, out testapp.VisitsCountEmitter) error {
	return testapp.Visits{}.Count(ctx, in, out)
}

// TestSessionsWithoutAMergeMethod: an implementation that leaves the
// merge method to the embedded Unimplemented struct works until an event
// bridges two sessions; that event goes to the dead-letter topic with an
// error naming the method to implement.
func TestSessionsWithoutAMergeMethod(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterVisitsAgents(app, noMerge{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	sendAt(t, d, "a", 1, base)
	sendAt(t, d, "a", 2, base.Add(5*time.Minute+30*time.Second)) // another session
	if dl := d.DeadLetters(testapp.VisitsCountDeadLetterTopicName); len(dl) != 0 {
		t.Fatalf("%d dead letters before any merge", len(dl))
	}
	sendAt(t, d, "a", 4, base.Add(2*time.Minute+30*time.Second)) // bridges both (the first closes at 6m)
	dl := d.DeadLetters(testapp.VisitsCountDeadLetterTopicName)
	if len(dl) != 1 {
		t.Fatalf("%d dead letters, want the bridging order's", len(dl))
	}
	var cause string
	for _, h := range dl[0].Headers {
		if h.Key == runtime.HeaderError {
			cause = string(h.Value)
		}
	}
	if !strings.Contains(cause, "VisitsAgents.MergeSessions") {
		t.Errorf("dead letter error %q does not name the method to implement", cause)
	}
}
