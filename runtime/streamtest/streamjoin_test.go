package streamtest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// adEvent is one click or view a join test sends, in arrival order.
type adEvent struct {
	view bool
	user string
	seq  int64
	at   int64 // event time, ms
}

// pairsWindow is the Pairs app's join: a view joins a click when its
// event time is at most 10 s before and 5 s after the click's; records
// more than 2 s behind their partition's stream time are late.
const (
	pairsBefore = 10_000
	pairsAfter  = 5_000
	pairsGrace  = 2_000
)

// modelPairs returns what the Pairs app's outer join (outer false: the
// InnerPairs app's inner join) must emit for events arriving in order,
// once every window has closed: each pair of a click and a view of one
// user within the window, then (outer) each click and each view that
// found no partner (the other seq 0), as "click/view" strings, sorted. A record more than grace behind its partition's
// stream time (the largest event time its partition had seen) is late:
// it joins nothing and comes out nowhere.
func modelPairs(events []adEvent, outer bool) []string {
	stream := map[int32]int64{}
	var kept []adEvent
	for _, e := range events {
		p := runtime.Partition([]byte(e.user), 4)
		if s, ok := stream[p]; ok && e.at+pairsGrace < s {
			continue // late
		}
		stream[p] = max(stream[p], e.at)
		kept = append(kept, e)
	}
	var out []string
	paired := map[int64]bool{} // by seq (unique across both sides)
	for _, c := range kept {
		for _, v := range kept {
			if c.view || !v.view || c.user != v.user {
				continue
			}
			if v.at >= c.at-pairsBefore && v.at <= c.at+pairsAfter {
				out = append(out, fmt.Sprintf("%d/%d", c.seq, v.seq))
				paired[c.seq], paired[v.seq] = true, true
			}
		}
	}
	for _, e := range kept {
		switch {
		case paired[e.seq] || !outer:
		case e.view:
			out = append(out, fmt.Sprintf("0/%d", e.seq))
		default:
			out = append(out, fmt.Sprintf("%d/0", e.seq))
		}
	}
	slices.Sort(out)
	return out
}

// randomAdEvents returns n clicks and views of a few users, their event
// times mostly rising with arrival but up to 4 s out of order (so some
// are late, past the 2 s grace).
func randomAdEvents(r *rand.Rand, n int, base time.Time) []adEvent {
	out := make([]adEvent, n)
	for i := range out {
		out[i] = adEvent{view: r.IntN(2) == 0, user: fmt.Sprintf("u%d", r.IntN(5)), seq: int64(i + 1),
			at: base.UnixMilli() + int64(i)*300 + r.Int64N(5_000) - 4_000}
	}
	return out
}

// pairStrings renders the pairs as modelPairs does, sorted.
func pairStrings(ps []*testapp.AdPair) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = fmt.Sprintf("%d/%d", p.GetClickSeq(), p.GetViewSeq())
	}
	slices.Sort(out)
	return out
}

// TestStreamJoinMatchesTheModel (operators part 2, windowed stream-stream
// join, in the driver): random clicks and views, some out of order and
// some late, go through the Pairs app's outer join, or the InnerPairs
// app's inner one; once the clock has closed every window, the outputs
// are exactly the model's (every pair within the window once, for the
// outer join every record without a partner once, late ones nowhere), and
// the buffer tables are empty again.
func TestStreamJoinMatchesTheModel(t *testing.T) {
	for seed := range uint64(6) {
		outer := seed%2 == 0
		t.Run(fmt.Sprintf("seed=%d/outer=%v", seed, outer), func(t *testing.T) {
			app := runtime.NewApp()
			register := func() error { return testapp.RegisterInnerPairsAgents(app, testapp.InnerPairs{}) }
			table := func(side string) string { return "pair-join-" + side }
			if outer {
				register = func() error { return testapp.RegisterPairsAgents(app, testapp.Pairs{}) }
			}
			if err := register(); err != nil {
				t.Fatal(err)
			}
			d := streamtest.New(app)
			base := time.Now().Truncate(time.Second)
			events := randomAdEvents(rand.New(rand.NewPCG(seed, 7)), 400, base)
			for _, e := range events {
				var err error
				if e.view {
					err = streamtest.Send(d, testapp.AdViewTopic, &testapp.AdView{User: e.user, Seq: e.seq, AtMs: e.at})
				} else {
					err = streamtest.Send(d, testapp.AdClickTopic, &testapp.AdClick{User: e.user, Seq: e.seq, AtMs: e.at})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			last := events[len(events)-1].at
			if err := d.Advance(time.UnixMilli(last + pairsBefore + pairsAfter + pairsGrace + 1_000)); err != nil {
				t.Fatal(err)
			}
			out, err := streamtest.Output(d, testapp.AdPairTopic)
			if err != nil {
				t.Fatal(err)
			}
			got, want := pairStrings(out), modelPairs(events, outer)
			if !slices.Equal(got, want) {
				t.Fatalf("%d outputs, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
			}
			t.Logf("%d events, %d outputs", len(events), len(want))
			for _, e := range events {
				tb := table("input")
				if e.view {
					tb = table("stream")
				}
				if _, ok, err := streamtest.WindowValue[*streamgenv1.JoinBuffer](d, tb, e.user, time.UnixMilli(e.at)); err != nil || ok {
					t.Fatalf("event %d is still buffered in %s after every window closed (%v)", e.seq, tb, err)
				}
			}
		})
	}
}

// TestStreamJoinRecordWithoutKey: a record without a key would pair with
// every other one without a key; it goes to the agent's dead-letter topic
// instead, and joins nothing.
func TestStreamJoinRecordWithoutKey(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterPairsAgents(app, testapp.Pairs{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	at := time.Now().UnixMilli()
	if err := streamtest.Send(d, testapp.AdClickTopic, &testapp.AdClick{Seq: 1, AtMs: at}); err != nil {
		t.Fatal(err)
	}
	if err := streamtest.Send(d, testapp.AdViewTopic, &testapp.AdView{Seq: 2, AtMs: at}); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(time.UnixMilli(at + 60_000)); err != nil {
		t.Fatal(err)
	}
	dead := d.DeadLetters(testapp.PairsPairDeadLetterTopicName)
	out, err := streamtest.Output(d, testapp.AdPairTopic)
	if err != nil || len(out) != 0 || len(dead) != 2 {
		t.Fatalf("outputs %v (%v), %d dead letters; want none and 2", out, err, len(dead))
	}
	if e := streamtest.Header(dead[1], runtime.HeaderError); !strings.Contains(e, "without a key") {
		t.Errorf("dead letter's error %q", e)
	}
}

// failingPairs is the Pairs app whose handler fails for click 1 without
// a view.
type failingPairs struct{ testapp.Pairs }

func (p failingPairs) Pair(ctx context.Context, in *testapp.AdClick, view *testapp.AdView, out testapp.PairsPairEmitter) error {
	if in.GetSeq() == 1 && view == nil {
		return errors.New("no view for click 1")
	}
	return p.Pairs.Pair(ctx, in, view, out)
}

// TestStreamJoinUnmatchedFailure: when a window closes, a record without
// a partner whose handler call fails goes to the dead-letter topic on its
// own, as the record it was; the window's other unmatched records still
// come out.
func TestStreamJoinUnmatchedFailure(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterPairsAgents(app, failingPairs{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	at := time.Now().UnixMilli()
	for seq := int64(1); seq <= 2; seq++ { // one key, one millisecond: one window
		if err := streamtest.Send(d, testapp.AdClickTopic, &testapp.AdClick{User: "u1", Seq: seq, AtMs: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Advance(time.UnixMilli(at + 60_000)); err != nil {
		t.Fatal(err)
	}
	out, err := streamtest.Output(d, testapp.AdPairTopic)
	if err != nil || len(out) != 1 || out[0].GetClickSeq() != 2 {
		t.Fatalf("outputs %v (%v); want click 2 unmatched", out, err)
	}
	dead := d.DeadLetters(testapp.PairsPairDeadLetterTopicName)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	c, err := testapp.AdClickTopic.Decode(dead[0].Value)
	if err != nil || c.GetSeq() != 1 || streamtest.Header(dead[0], runtime.HeaderSourceTopic) != testapp.AdClickTopicName {
		t.Errorf("dead letter %v (%v) from %q; want click 1 as it was, from %s", c, err, streamtest.Header(dead[0], runtime.HeaderSourceTopic), testapp.AdClickTopicName)
	}
}
