package main

import (
	"testing"

	pricingv1 "github.com/streamgen/streamgen/examples/10-pricing/gen/pricing/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestPricing: a line is priced with the product it names, once the
// catalog has it; a new price reaches every line naming the product; a
// line that names another product is priced with that one (the old one
// no longer counts); a deleted product leaves its lines unknown; and a
// quote request gets the line's price as it is.
func TestPricing(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	send := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	priced := func(line string) *pricingv1.PricedLine {
		t.Helper()
		v, ok, err := streamtest.TableValue[*pricingv1.PricedLine](d, pricingv1.PricingPricedLinesTableName, line)
		if err != nil || !ok {
			t.Fatalf("priced-lines[%s]: %v, %v, %v", line, v, ok, err)
		}
		return v
	}
	send(streamtest.Send(d, pricingv1.OrderLineTopic, &pricingv1.OrderLine{LineId: "o1-1", ProductId: "p1", Qty: 2}))
	if p := priced("o1-1"); p.GetKnown() {
		t.Errorf("o1-1 before p1 is in the catalog: %v, want unknown", p)
	}
	send(streamtest.Send(d, pricingv1.ProductTopic, &pricingv1.Product{ProductId: "p1", Name: "Kettle", PriceCents: 2500}))
	send(streamtest.Send(d, pricingv1.ProductTopic, &pricingv1.Product{ProductId: "p2", Name: "Mug", PriceCents: 800}))
	send(streamtest.Send(d, pricingv1.OrderLineTopic, &pricingv1.OrderLine{LineId: "o2-1", ProductId: "p1", Qty: 1}))
	if p := priced("o1-1"); !p.GetKnown() || p.GetTotalCents() != 5000 {
		t.Errorf("o1-1: %v, want 2 kettles, 5000", p)
	}
	send(streamtest.Send(d, pricingv1.ProductTopic, &pricingv1.Product{ProductId: "p1", Name: "Kettle", PriceCents: 2000}))
	if a, b := priced("o1-1"), priced("o2-1"); a.GetTotalCents() != 4000 || b.GetTotalCents() != 2000 {
		t.Errorf("after p1's new price: o1-1 %v, o2-1 %v; want 4000 and 2000", a, b)
	}
	send(streamtest.Send(d, pricingv1.OrderLineTopic, &pricingv1.OrderLine{LineId: "o1-1", ProductId: "p2", Qty: 2}))
	send(streamtest.Send(d, pricingv1.ProductTopic, &pricingv1.Product{ProductId: "p1", Name: "Kettle", PriceCents: 9999}))
	if p := priced("o1-1"); p.GetProduct() != "Mug" || p.GetTotalCents() != 1600 {
		t.Errorf("o1-1 moved to p2, p1 repriced since: %v, want 2 mugs, 1600", p)
	}
	// A tombstone deletes p2 from the catalog.
	send(d.SendRecord(&runtime.Record{Topic: pricingv1.ProductTopicName, Partition: runtime.Partition([]byte("p2"), 2), Key: []byte("p2")}))
	if p := priced("o1-1"); p.GetKnown() {
		t.Errorf("o1-1 after p2's tombstone: %v, want unknown", p)
	}
	send(streamtest.Send(d, pricingv1.QuoteRequestTopic, &pricingv1.QuoteRequest{LineId: "o2-1"}))
	quotes, err := streamtest.Output(d, pricingv1.QuoteTopic)
	if err != nil || len(quotes) != 1 || !quotes[0].GetFound() || quotes[0].GetLine().GetTotalCents() != 9999 {
		t.Errorf("quotes %v (%v); want o2-1 at 9999", quotes, err)
	}
}
