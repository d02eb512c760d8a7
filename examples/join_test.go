package examples_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// enrichedOrder is an output of the orders example, as JSON.
type enrichedOrder struct {
	OrderID       string `json:"orderId"`
	Known         bool   `json:"known"`
	Tier          string `json:"tier"`
	DiscountCents int64  `json:"discountCents,string"`
}

// TestOrdersJoinWithKcat (operators part 2, a stream-table join, as a
// user runs it): a worker process of the orders example; customer
// profiles and orders written with kcat, keyed by customer id (murmur2);
// the enriched orders read back with kcat. Orders get their customer's
// tier and discount once the profile is read, and a tombstone (kcat -Z: an
// empty value is a null one) makes the customer unknown again.
func TestOrdersJoinWithKcat(t *testing.T) {
	addr := devBroker(t)
	p := start(t, "orders", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off", "--data-dir", t.TempDir())
	waitFor(t, 60*time.Second, "the worker has partitions", func() bool { return strings.Contains(p.Log(), "partitions assigned") })
	kcatProduceByKey(t, addr, "customers", []string{"c1", "c2", "c3"}, []string{
		`{"id":"c1","name":"Ada","tier":"gold"}`, `{"id":"c2","name":"Grace","tier":"silver"}`, `{"id":"c3","name":"Edsger"}`})
	sent := 0
	// round sends one order of each customer and returns what they went
	// out as, by customer.
	round := func() map[string]enrichedOrder {
		t.Helper()
		var keys, lines []string
		for _, c := range []string{"c1", "c2", "c3"} {
			sent++
			keys = append(keys, c)
			lines = append(lines, fmt.Sprintf(`{"orderId":"o%d","customerId":"%s","amountCents":"1000"}`, sent, c))
		}
		kcatProduceByKey(t, addr, "orders", keys, lines)
		// kcat reads the partitions one after another: the round's orders
		// are anywhere among all of them.
		out := map[string]enrichedOrder{}
		for _, l := range kcatConsume(t, addr, "enriched-orders", sent) {
			var o enrichedOrder
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("enriched order %s: %v", l, err)
			}
			out[o.OrderID] = o
		}
		byCustomer := map[string]enrichedOrder{}
		for i, c := range []string{"c1", "c2", "c3"} {
			byCustomer[c] = out[fmt.Sprintf("o%d", sent-2+i)]
		}
		return byCustomer
	}
	var got map[string]enrichedOrder
	waitFor(t, 60*time.Second, "orders go out with their customers' profiles", func() bool {
		got = round()
		return got["c1"].Known && got["c2"].Known && got["c3"].Known
	})
	if got["c1"].DiscountCents != 100 || got["c2"].DiscountCents != 50 || got["c3"].DiscountCents != 0 || got["c1"].Tier != "gold" {
		t.Errorf("discounts %+v, want gold 100, silver 50, none 0", got)
	}
	tomb := exec.Command("kcat", "-b", addr, "-t", "customers", "-P", "-K", "\t", "-Z", "-X", "topic.partitioner=murmur2_random")
	tomb.Stdin = strings.NewReader("c2\t\n")
	if out, err := tomb.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P -Z: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "c2's orders go out unknown after its tombstone", func() bool {
		got = round()
		return !got["c2"].Known
	})
	if !got["c1"].Known || !got["c3"].Known {
		t.Errorf("after c2's tombstone: %+v, want c1 and c3 still known", got)
	}
}
