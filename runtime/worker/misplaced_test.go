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

// TestMisplacedKeysAreRepartitioned (hardening fault 3, on the broker): a
// third of the orders are written to a partition their account does not
// belong to (as kcat's default partitioner does). The ledger (a tally
// table, one-minute windows, two lanes per partition) moves each through
// its repartition topic to the account's partition: every account's tally
// counts all its orders, each minute window closes once with every order
// of the minute, and the repartition topic holds exactly the misplaced
// orders. At least once and exactly once.
func TestMisplacedKeysAreRepartitioned(t *testing.T) {
	for _, exactly := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", exactly), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(exactly))
			parts := testapp.OrderTopic.Desc().Partitions
			base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			const accounts, n = 20, 300
			want := map[string]int64{}
			var recs []*kgo.Record
			misplaced := 0
			for i := range n {
				acct := fmt.Sprintf("acct-%d", i%accounts)
				r := order(t, &testapp.Order{AccountId: acct, AmountCents: 1})
				r.Timestamp = base.Add(time.Duration(i) * 100 * time.Millisecond)
				r.Partition = runtime.Partition([]byte(acct), parts)
				if i%3 == 0 {
					r.Partition = (r.Partition + 1) % parts
					misplaced++
				}
				want[acct]++
				recs = append(recs, r)
			}
			produce(t, cl, recs...)
			tallies := readCommitted(t, addr, testapp.TallyTopicName, n, 2*time.Second)
			exactTallies(t, tallies, want)
			moved := readCommitted(t, addr, testapp.LedgerAddRepartitionTopicName, misplaced, time.Second)
			if len(moved) != misplaced {
				t.Errorf("repartition topic holds %d records, want the %d misplaced", len(moved), misplaced)
			}
			for _, r := range moved {
				if p := runtime.Partition(r.Key, parts); r.Partition != p {
					t.Errorf("repartitioned %q is in partition %d, want %d", r.Key, r.Partition, p)
				}
			}
			// Every order is counted: a later order per account closes the
			// first minute's windows, each once, with all its orders.
			var later []*kgo.Record
			for a := range accounts {
				acct := fmt.Sprintf("acct-%d", a)
				r := order(t, &testapp.Order{AccountId: acct, AmountCents: 1})
				r.Timestamp = base.Add(5 * time.Minute)
				r.Partition = runtime.Partition([]byte(acct), parts)
				later = append(later, r)
			}
			produce(t, cl, later...)
			closed := readCommitted(t, addr, testapp.MinuteTotalTopicName, accounts, 2*time.Second)
			sums := map[string]int64{}
			for _, r := range closed {
				m, err := testapp.MinuteTotalTopic.Decode(r.Value)
				if err != nil {
					t.Fatal(err)
				}
				if sums[m.GetAccountId()] != 0 {
					t.Errorf("%s: window closed twice", m.GetAccountId())
				}
				sums[m.GetAccountId()] = m.GetSumCents()
			}
			for acct, n := range want {
				if sums[acct] != n {
					t.Errorf("%s: closed window sums %d cents, want %d", acct, sums[acct], n)
				}
			}
		})
	}
}
