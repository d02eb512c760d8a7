package worker_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// histEvent is a click or view the join test sends.
type histEvent struct {
	view bool
	user string
	seq  int64
	at   int64 // event time, ms
}

// record returns e as a record of its topic, in its key's partition.
func (e histEvent) record(t *testing.T) *kgo.Record {
	t.Helper()
	var rec *runtime.Record
	var err error
	if e.view {
		rec, err = testapp.HistViewTopic.Record(&testapp.HistView{User: e.user, Seq: e.seq, AtMs: e.at})
	} else {
		rec, err = testapp.HistClickTopic.Record(&testapp.HistClick{User: e.user, Seq: e.seq, AtMs: e.at})
	}
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: rec.Topic, Partition: runtime.Partition(rec.Key, 4), Key: rec.Key, Value: rec.Value}
}

// modelHistPairs is what the HistPairs app's left join emits for events
// (none late: its grace is a day) once every window has closed: each
// click and view of one user with the view from 10 ms before to 5 ms
// after the click, then each click without a view ("click/0"), sorted.
func modelHistPairs(events []histEvent) []string {
	var out []string
	paired := map[int64]bool{}
	for _, c := range events {
		for _, v := range events {
			if !c.view && v.view && c.user == v.user && v.at >= c.at-10 && v.at <= c.at+5 {
				out = append(out, fmt.Sprintf("%d/%d", c.seq, v.seq))
				paired[c.seq] = true
			}
		}
	}
	for _, c := range events {
		if !c.view && !paired[c.seq] {
			out = append(out, fmt.Sprintf("%d/0", c.seq))
		}
	}
	slices.Sort(out)
	return out
}

// TestStreamJoinOnTheBroker (operators part 2, windowed stream-stream
// join): random clicks and views of a few users (event times two days
// old, 2 ms apart, out of order by up to 20 ms) go through the HistPairs app's left
// join while its worker stops and a new one restores the join buffers
// from their changelogs on an empty data directory, then a second worker
// joins and takes partitions over. A click per partition at the wall
// clock's time then closes every window. The pairs read back
// (read_committed) are the model's: exactly, each once, under exactly
// once; the same set under at least once.
func TestStreamJoinOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
			base := time.Now().Add(-48 * time.Hour).UnixMilli()
			var events []histEvent
			send := func(n int) {
				t.Helper()
				recs := make([]*kgo.Record, 0, n)
				for range n {
					i := len(events)
					e := histEvent{view: r.IntN(2) == 0, user: fmt.Sprintf("u%d", r.IntN(3)), seq: int64(i + 1),
						at: base + int64(i)*2 + r.Int64N(20)}
					events = append(events, e)
					recs = append(recs, e.record(t))
				}
				produce(t, cl, recs...)
			}
			opts := func(id string) []worker.Option {
				return []worker.Option{worker.WithExactlyOnce(eos), worker.WithInstanceID(id)}
			}
			a := runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
				return testapp.RegisterHistPairsAgents(app, testapp.HistPairs{})
			}, opts("a")...)
			send(300)
			time.Sleep(2 * time.Second) // some of it handled
			a.stop(t)
			send(300)
			run := func(id string) {
				runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
					return testapp.RegisterHistPairsAgents(app, testapp.HistPairs{})
				}, opts(id)...)
			}
			run("a") // restores the buffers from their changelogs
			send(300)
			run("b")
			time.Sleep(3 * time.Second) // the rebalance
			send(300)
			want := modelHistPairs(events)
			// Close every window: a click at the wall clock's time in each
			// partition, of a user of its own (it stays buffered).
			now := time.Now().UnixMilli()
			for p := range int32(4) {
				for i := 0; ; i++ {
					u := fmt.Sprintf("flush-%d", i)
					if runtime.Partition([]byte(u), 4) == p {
						produce(t, cl, histEvent{user: u, seq: int64(1_000_000 + p), at: now}.record(t))
						break
					}
				}
			}
			recs := readCommitted(t, addr, testapp.AdPairTopicName, len(want), 3*time.Second)
			got := make([]string, 0, len(recs))
			for _, rec := range recs {
				p, err := testapp.AdPairTopic.Decode(rec.Value)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d/%d", p.GetClickSeq(), p.GetViewSeq()))
			}
			slices.Sort(got)
			t.Logf("%d events, %d pairs and unmatched clicks expected, %d read", len(events), len(want), len(got))
			if !eos {
				got = slices.Compact(got) // at least once: a restart may repeat some
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("outputs differ from the model (-want +got):\n%s", d)
			}
		})
	}
}

// TestStreamJoinAfterABacklog (operators part 2, windowed stream-stream
// join): 300 clicks, then 300 views with the same users and event times,
// are written while no worker runs, a minute of event time in all, so
// the worker reads the two topics in whatever order it fetches them: one
// side's records can run far ahead of the other's. The Pairs app's
// outer join (2 s of grace) still pairs every click with its view, and
// no record comes out unmatched or is skipped as late: the join's time
// waits for the side that is still coming (windows.JoinClock).
func TestStreamJoinAfterABacklog(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	register := func(app *runtime.App) error { return testapp.RegisterPairsAgents(app, testapp.Pairs{}) }
	a := runStateful(t, addr, t.TempDir(), register, worker.WithInstanceID("a")) // creates the topics
	a.stop(t)
	base := time.Now().Add(-time.Hour).UnixMilli()
	rec := func(view bool, user string, seq, at int64) *kgo.Record {
		var r *runtime.Record
		var err error
		if view {
			r, err = testapp.AdViewTopic.Record(&testapp.AdView{User: user, Seq: seq, AtMs: at})
		} else {
			r, err = testapp.AdClickTopic.Record(&testapp.AdClick{User: user, Seq: seq, AtMs: at})
		}
		if err != nil {
			t.Fatal(err)
		}
		return &kgo.Record{Topic: r.Topic, Partition: runtime.Partition(r.Key, 4), Key: r.Key, Value: r.Value}
	}
	const n = 300
	var clicks, views []*kgo.Record
	for i := range int64(n) {
		user := fmt.Sprintf("u%d", i) // one click and one view each
		clicks = append(clicks, rec(false, user, i+1, base+i*200))
		views = append(views, rec(true, user, 1000+i+1, base+i*200))
	}
	produce(t, cl, clicks...)
	produce(t, cl, views...)
	runStateful(t, addr, t.TempDir(), register, worker.WithInstanceID("a"))
	// Then a click and a view per partition a minute later close every
	// window (they pair with each other).
	later := base + n*200 + 60_000
	for p := range int32(4) {
		for i := 0; ; i++ {
			u := fmt.Sprintf("flush-%d", i)
			if runtime.Partition([]byte(u), 4) == p {
				produce(t, cl, rec(false, u, 5000+int64(p), later), rec(true, u, 6000+int64(p), later))
				break
			}
		}
	}
	recs := readCommitted(t, addr, testapp.AdPairTopicName, n+4, 3*time.Second)
	pairs, wrong := 0, 0
	for _, r := range recs {
		p, err := testapp.AdPairTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		switch c, v := p.GetClickSeq(), p.GetViewSeq(); {
		case c >= 5000:
		case c > 0 && v == 1000+c:
			pairs++
		default:
			wrong++
			if wrong <= 5 {
				t.Errorf("output %d/%d: want each click with its view", c, v)
			}
		}
	}
	t.Logf("%d outputs: %d pairs, %d wrong", len(recs), pairs, wrong)
	if pairs != n || wrong > 0 {
		t.Errorf("%d pairs and %d wrong outputs, want %d pairs and none wrong", pairs, wrong, n)
	}
}
