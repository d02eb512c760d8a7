package worker_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// fkJoinsMatch reads each foreign-key join's changelog (read_committed)
// and reports the line keys whose value is not the model's.
func fkJoinsMatch(t *testing.T, addr string, m *testapp.CatalogModel, lines int) []string {
	t.Helper()
	var wrong []string
	for _, table := range testapp.CatalogJoins {
		last := map[string][]byte{}
		for _, r := range readCommitted(t, addr, "catalog-"+table+"-changelog", 0, 500*time.Millisecond) {
			last[string(r.Key)] = r.Value
		}
		w, err := m.Diff(table, last, lines)
		if err != nil {
			t.Fatal(err)
		}
		wrong = append(wrong, w...)
	}
	return wrong
}

// TestForeignKeyJoinsOnTheBroker (operators part 2, foreign-key joins):
// random writes and tombstones of order lines (each naming a product,
// another one, or none) and of products (another partition count) go to
// the Catalog app while its worker stops, a new one starts on an empty
// data directory (the sides restored from their topics, the joins and
// their subscriptions from their changelogs), and a second worker joins.
// Each join's changelog ends with the model's value of every line, at
// least once and exactly once.
func TestForeignKeyJoinsOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			register := func(app *runtime.App) error { return testapp.RegisterCatalogAgents(app, testapp.Catalog{}) }
			run := func(id string) *ledgerRun {
				return runStateful(t, addr, t.TempDir(), register, worker.WithExactlyOnce(eos), worker.WithInstanceID(id))
			}
			m := testapp.NewCatalogModel()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
			const lines, products = 40, 10
			ops := func(n int) {
				t.Helper()
				var recs []*kgo.Record
				for range n {
					rec, err := m.Op(r, lines, products)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value})
				}
				produce(t, cl, recs...)
			}
			settled := func() {
				t.Helper()
				var wrong []string
				for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
					if wrong = fkJoinsMatch(t, addr, m, lines); len(wrong) == 0 || time.Now().After(deadline) {
						break
					}
				}
				for i, w := range wrong {
					if i < 5 {
						t.Error(w)
					}
				}
				if len(wrong) > 0 {
					t.Fatalf("%d join values differ from the model", len(wrong))
				}
			}
			a := run("a")
			ops(200)
			settled()
			a.stop(t)
			ops(200)
			run("a")
			ops(100)
			run("b")
			time.Sleep(3 * time.Second) // the rebalance
			ops(100)
			settled()
		})
	}
}
