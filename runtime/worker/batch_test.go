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

// runSink runs a worker of the Sink app (batches of at most 10 orders, due
// 200 ms after their first, two lanes per partition) until the test ends.
func runSink(t *testing.T, addr string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
		return testapp.RegisterSinkAgents(app, testapp.Sink{})
	}, opts...)
}

// checkShipments checks the shipments against the orders sent (amount i
// for the i-th order of account i%accounts): each holds at most 10 orders,
// each account's orders in it come in the order sent (shipments have no
// key, so they spread over the topic's partitions and their order is not
// kept: the driver's test checks order across batches), none is missing,
// and none is shipped twice when exact.
func checkShipments(t *testing.T, recs []*kgo.Record, n, accounts int, exact bool) {
	t.Helper()
	seen := map[int64]int{}
	for _, r := range recs {
		last := map[string]int64{}
		s, err := testapp.ShipmentTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.GetOrders()) == 0 || len(s.GetOrders()) > 10 {
			t.Errorf("a shipment of %d orders, want 1 to 10", len(s.GetOrders()))
		}
		for _, o := range s.GetOrders() {
			seen[o.GetAmountCents()]++
			if prev, ok := last[o.GetAccountId()]; ok && o.GetAmountCents() <= prev {
				t.Errorf("%s: order %d shipped after %d", o.GetAccountId(), o.GetAmountCents(), prev)
			}
			last[o.GetAccountId()] = o.GetAmountCents()
		}
	}
	for i := range int64(n) {
		switch c := seen[i]; {
		case c == 0:
			t.Errorf("order %d never shipped", i)
		case c > 1 && exact:
			t.Errorf("order %d shipped %d times", i, c)
		}
	}
}

// batchOrders returns n orders over accounts accounts, the i-th with
// amount i.
func batchOrders(t *testing.T, n, accounts int) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, order(t, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i%accounts), AmountCents: int64(i)}))
	}
	return recs
}

// TestBatchAgentOnTheBroker (operators part 1, batching): a batch agent
// ships every order, at most 10 per batch, each account's in order; at
// least once and exactly once (read_committed: each order shipped once,
// also when a second worker joins and the partitions move).
func TestBatchAgentOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr)
			runSink(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("a"))
			recs := batchOrders(t, 2000, 37)
			produce(t, cl, recs[:1000]...)
			readCommitted(t, addr, testapp.ShipmentTopicName, 1, 0)
			runSink(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("b"))
			produce(t, cl, recs[1000:]...)
			var ships []*kgo.Record
			deadline := time.Now().Add(90 * time.Second)
			for ; time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
				ships = readCommitted(t, addr, testapp.ShipmentTopicName, 1, time.Second)
				total := 0
				for _, r := range ships {
					s, _ := testapp.ShipmentTopic.Decode(r.Value)
					total += len(s.GetOrders())
				}
				if total >= 2000 {
					break
				}
			}
			checkShipments(t, ships, 2000, 37, eos)
		})
	}
}
