package worker_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// joinsMatch reads each join table's changelog (read_committed: the last
// record of each key is its value) and reports the keys whose value is
// not the model's.
func joinsMatch(t *testing.T, addr string, m *testapp.ProfilesModel, keys int) []string {
	t.Helper()
	var wrong []string
	for _, table := range testapp.ProfilesJoins {
		last := map[string][]byte{}
		for _, r := range readCommitted(t, addr, "profiles-"+table+"-changelog", 0, 500*time.Millisecond) {
			last[string(r.Key)] = r.Value
		}
		for i := range keys {
			key := fmt.Sprintf("p%d", i)
			want := m.Want(table, key)
			v, ok := last[key]
			ok = ok && v != nil
			var got testapp.Label
			if ok {
				if err := proto.Unmarshal(v, &got); err != nil {
					t.Fatal(err)
				}
			}
			if ok != (want != nil) || (ok && !proto.Equal(&got, want)) {
				wrong = append(wrong, fmt.Sprintf("%s[%s] = %v (found %v), want %v", table, key, &got, ok, want))
			}
		}
	}
	return wrong
}

// TestTableJoinsOnTheBroker (operators part 2, table-table joins): random
// writes and tombstones of people and addresses (tables fed from topics)
// and counted events (a table agent Count writes) go to the Profiles app
// while its worker stops, a new one starts on an empty data directory
// (the sides restored from their topics and changelog, the joins from
// theirs), and a second worker joins. Each join's changelog ends up
// holding the model's value of every key (and tombstones for the others),
// at least once and exactly once.
func TestTableJoinsOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			register := func(app *runtime.App) error { return testapp.RegisterProfilesAgents(app, testapp.Profiles{}) }
			run := func(id string) *ledgerRun {
				return runStateful(t, addr, t.TempDir(), register, worker.WithExactlyOnce(eos), worker.WithInstanceID(id))
			}
			m := testapp.NewProfilesModel()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
			const keys = 30
			ops := func(n int) {
				t.Helper()
				var recs []*kgo.Record
				for range n {
					rec, err := m.Op(r, keys)
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
				deadline := time.Now().Add(60 * time.Second)
				for wrong = joinsMatch(t, addr, m, keys); len(wrong) > 0 && time.Now().Before(deadline); wrong = joinsMatch(t, addr, m, keys) {
					time.Sleep(500 * time.Millisecond)
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
