package main

import (
	"testing"

	ordersv1 "github.com/streamgen/streamgen/examples/08-orders/gen/orders/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestEnrich: orders go out with their customer's latest profile and the
// tier's discount; an order of a customer not known (yet, or deleted by a
// tombstone) goes out marked unknown.
func TestEnrich(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	order := func(id, customer string) *ordersv1.EnrichedOrder {
		t.Helper()
		if err := streamtest.Send(d, ordersv1.OrderTopic, &ordersv1.Order{OrderId: id, CustomerId: customer, AmountCents: 1000}); err != nil {
			t.Fatal(err)
		}
		out, err := streamtest.Output(d, ordersv1.EnrichedOrderTopic)
		if err != nil || len(out) != 1 {
			t.Fatalf("order %s: %v, %v; want one enriched order", id, out, err)
		}
		return out[0]
	}
	profile := func(c *ordersv1.Customer) {
		t.Helper()
		if err := streamtest.Send(d, ordersv1.CustomerTopic, c); err != nil {
			t.Fatal(err)
		}
	}
	if o := order("o1", "c1"); o.GetKnown() || o.GetDiscountCents() != 0 {
		t.Errorf("o1 before c1's profile: %v, want unknown", o)
	}
	profile(&ordersv1.Customer{Id: "c1", Name: "Ada", Tier: "silver"})
	if o := order("o2", "c1"); !o.GetKnown() || o.GetCustomerName() != "Ada" || o.GetDiscountCents() != 50 {
		t.Errorf("o2: %v, want Ada, silver, 50 cents off", o)
	}
	profile(&ordersv1.Customer{Id: "c1", Name: "Ada", Tier: "gold"})
	if o := order("o3", "c1"); o.GetTier() != "gold" || o.GetDiscountCents() != 100 {
		t.Errorf("o3: %v, want gold, 100 cents off", o)
	}
	// A tombstone deletes the customer.
	if err := d.SendRecord(&runtime.Record{Topic: ordersv1.CustomerTopicName, Partition: runtime.Partition([]byte("c1"), 4), Key: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	if o := order("o4", "c1"); o.GetKnown() {
		t.Errorf("o4 after c1's tombstone: %v, want unknown", o)
	}
}
