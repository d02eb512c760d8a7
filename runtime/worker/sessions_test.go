package worker_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// runVisits runs a worker of the Visits app (session windows, gap 5m,
// grace 1m) under exactly once, its tables in an empty directory.
func runVisits(t *testing.T, addr, id string) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
		return testapp.RegisterVisitsAgents(app, testapp.Visits{})
	}, worker.WithExactlyOnce(true), worker.WithInstanceID(id))
}

// visitOrder is an order of account a for cents at base plus m minutes.
func visitOrder(t *testing.T, base time.Time, m float64, cents int64) *kgo.Record {
	r := order(t, &testapp.Order{AccountId: "a", AmountCents: cents})
	r.Timestamp = base.Add(time.Duration(m * float64(time.Minute)))
	return r
}

// visits reads n committed Visit records and renders them: running ones
// as "orders cents", final ones as "final orders cents start+ end+".
func visits(t *testing.T, addr string, n int, base time.Time) []string {
	t.Helper()
	var out []string
	for _, r := range readCommitted(t, addr, testapp.VisitTopicName, n, time.Second) {
		v, err := testapp.VisitTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%d %d", v.GetOrders(), v.GetAmountCents())
		if v.GetFinal() {
			s = fmt.Sprintf("final %s %v %v", s, time.UnixMilli(v.GetStartMs()).Sub(base), time.UnixMilli(v.GetEndMs()).Sub(base))
		}
		out = append(out, s)
	}
	return out
}

// TestSessionsSurviveARestore (session windows on the broker, exactly
// once): a key's two sessions are restored from the changelog by a new
// worker with an empty data directory, where a late order merges them;
// the merged session's final value is emitted once when stream time
// passes its end plus gap plus grace; a third worker, restored again,
// closes the last session once. Every output is exact.
func TestSessionsSurviveARestore(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	a := runVisits(t, addr, "a")
	produce(t, cl, visitOrder(t, base, 0, 1), visitOrder(t, base, 4, 2), visitOrder(t, base, 9.5, 4))
	visits(t, addr, 3, base)
	a.stop(t)

	b := runVisits(t, addr, "b")
	// Within grace (stream time 9m30s), 7m is within the gap of both
	// sessions, [0, 4m] and [9m30s]: they merge. 15m30s then closes the
	// merged session (9m30s + 5m + 1m) and starts another.
	produce(t, cl, visitOrder(t, base, 7, 16))
	produce(t, cl, visitOrder(t, base, 15.5, 32))
	visits(t, addr, 6, base)
	b.stop(t)

	runVisits(t, addr, "c")
	produce(t, cl, visitOrder(t, base, 30, 64))
	got := visits(t, addr, 8, base)
	want := []string{
		"1 1", "2 3", "1 4", // A: [0, 4m], then [9m30s]
		"4 23",                        // B: the late order merges both
		"final 4 23 0s 9m30s", "1 32", // B: 15m30s closes the merge, starts [15m30s]
		"final 1 32 15m30s 15m30s", "1 64", // C: 30m closes it
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("outputs %v\nwant %v", got, want)
	}
}
