package main

import (
	"fmt"
	"testing"

	revenuev1 "github.com/streamgen/streamgen/examples/07-revenue/gen/revenue/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestRevenuePerCountry: orders keyed by order id sum up per country in
// one total each; the orders whose country lives in another partition
// went through the repartition topic.
func TestRevenuePerCountry(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	want := map[string]int64{}
	for i := range 40 {
		c := []string{"de", "fr", "it", "es"}[i%4]
		o := &revenuev1.Order{OrderId: fmt.Sprintf("o%d", i), Country: c, AmountCents: int64(100 + i)}
		want[c] += o.GetAmountCents()
		if err := streamtest.Send(d, revenuev1.OrderTopic, o); err != nil {
			t.Fatal(err)
		}
	}
	for c, cents := range want {
		r, ok, err := streamtest.TableValue[*revenuev1.CountryRevenue](d, revenuev1.RevenueByCountryTableName, c)
		if err != nil || !ok || r.GetAmountCents() != cents || r.GetOrders() != 10 {
			t.Errorf("%s: %v, %v, %v; want %d cents over 10 orders", c, r, ok, err, cents)
		}
	}
	moved := d.Records(revenuev1.RevenueSumRepartitionTopicName)
	for _, r := range moved {
		if r.Partition != runtime.Partition(r.Key, revenuev1.OrderTopic.Desc().Partitions) {
			t.Errorf("order moved to partition %d with key %q", r.Partition, r.Key)
		}
	}
	if len(moved) == 0 {
		t.Error("no order moved: the test's orders should include some whose country is in another partition")
	}
}
