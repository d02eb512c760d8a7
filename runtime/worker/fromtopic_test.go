package worker_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// runEnrich runs a worker of the Enrich app (purchases with their
// customer, from table "customers" fed from topic "customers") with its
// stores in dir until the test ends.
func runEnrich(t *testing.T, addr, dir string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, dir, func(app *runtime.App) error {
		return testapp.RegisterEnrichAgents(app, testapp.Enrich{})
	}, opts...)
}

// customer and purchase are records of the Enrich app's topics.
func customer(t *testing.T, id, name string) *kgo.Record {
	t.Helper()
	rec, err := testapp.CustomerTopic.Record(&testapp.Customer{Id: id, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: rec.Topic, Partition: runtime.Partition(rec.Key, 4), Key: rec.Key, Value: rec.Value}
}

func purchase(t *testing.T, id string, seq int64) *kgo.Record {
	t.Helper()
	rec, err := testapp.PurchaseTopic.Record(&testapp.Purchase{CustomerId: id, Seq: seq, AmountCents: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: rec.Topic, Partition: runtime.Partition(rec.Key, 4), Key: rec.Key, Value: rec.Value}
}

// enriched reads the enriched purchases (read_committed) until it has
// every seq of want (each worker commits its partitions' outputs in its
// own transactions, so a round's come at different times), and returns
// the customer name each seq went out with (the last one seen, under at
// least once).
func enriched(t *testing.T, addr string, want map[int64]int) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	all := func() bool {
		for s := range want {
			if _, ok := out[s]; !ok {
				return false
			}
		}
		return true
	}
	recs := readCommitted(t, addr, testapp.EnrichedPurchaseTopicName, 1, 0)
	for deadline := time.Now().Add(60 * time.Second); ; {
		for _, r := range recs {
			p, err := testapp.EnrichedPurchaseTopic.Decode(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			out[p.GetSeq()] = p.GetName()
		}
		if all() || time.Now().After(deadline) {
			return out
		}
		recs = readCommitted(t, addr, testapp.EnrichedPurchaseTopicName, len(recs)+1, 0)
	}
}

// TestTableFedFromATopicOnTheBroker (operators part 2, tables from topics):
// a worker reads table "customers" from topic "customers" and enriches
// purchases with it. The worker stops, half the customers change their
// profile, and a new one starts on an empty data directory: the profiles
// that did not change can only come from restoring the table from the
// topic itself (up to the group's committed offset: no changelog of its
// own), the changed ones from reading on. Then a second worker joins, and
// the partitions it takes are restored there from the topic. At least
// once and exactly once. (A purchase may be handled before its
// partition of the table caught up: a stream-table join reads the table as
// far as it is read, so each phase waits until a round is right.)
func TestTableFedFromATopicOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			const customers = 40
			id := func(i int) string { return fmt.Sprintf("c%d", i) }
			name := func(i int, changed bool) string {
				if changed && i%2 == 0 {
					return id(i) + "-v2"
				}
				return id(i) + "-v1"
			}
			seq := int64(0)
			// round sends a purchase of every customer and reports whether
			// each went out with the customer's expected profile.
			round := func(changed bool) bool {
				t.Helper()
				want := map[int64]int{}
				for i := range customers {
					seq++
					produce(t, cl, purchase(t, id(i), seq))
					want[seq] = i
				}
				got := enriched(t, addr, want)
				ok := true
				for s, i := range want {
					if got[s] != name(i, changed) {
						t.Logf("purchase %d of %s went out with %q, want %q", s, id(i), got[s], name(i, changed))
						ok = false
					}
				}
				return ok
			}
			a := runEnrich(t, addr, t.TempDir(), worker.WithExactlyOnce(eos), worker.WithInstanceID("a")) // creates the topics
			for i := range customers {
				produce(t, cl, customer(t, id(i), name(i, false)))
			}
			waitUntil(t, func() bool { return round(false) })
			a.stop(t)
			for i := 0; i < customers; i += 2 {
				produce(t, cl, customer(t, id(i), name(i, true)))
			}
			runEnrich(t, addr, t.TempDir(), worker.WithExactlyOnce(eos), worker.WithInstanceID("a"))
			waitUntil(t, func() bool { return round(true) })
			runEnrich(t, addr, t.TempDir(), worker.WithExactlyOnce(eos), worker.WithInstanceID("b"))
			time.Sleep(3 * time.Second) // the rebalance
			waitUntil(t, func() bool { return round(true) })
			if !round(true) {
				t.Error("a round after the rebalance settled went out with wrong profiles")
			}
		})
	}
}
