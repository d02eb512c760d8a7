// Command pricing prices order lines with the products they name (Kafka
// Streams' foreign-key join, KIP-213): table "priced-lines" holds each
// line of topic "order-lines" joined with the product of topic "products"
// its product_id names, kept right when a line changes product (the old
// one no longer counts) or a product changes price. The two topics are
// partitioned apart (by line and by product); streamgen routes the join
// through two internal topics named from the schema.
//
//	go run ./examples/10-pricing worker --brokers host:9092
//	kcat -P -b host:9092 -t products -K: -X partitioner=murmur2_random <<< 'p1:{"productId":"p1","name":"Kettle","priceCents":"2500"}'
//	kcat -P -b host:9092 -t order-lines -K: -X partitioner=murmur2_random <<< 'o1-1:{"lineId":"o1-1","productId":"p1","qty":"2"}'
//	go run ./examples/10-pricing tables get --table priced-lines o1-1
//	kcat -P -b host:9092 -t quote-requests -K: -X partitioner=murmur2_random <<< 'o1-1:{"lineId":"o1-1"}'
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/10-pricing proto/pricing/v1/pricing.proto

import (
	"context"
	"fmt"
	"os"

	pricingv1 "github.com/streamgen/streamgen/examples/10-pricing/gen/pricing/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements pricingv1.PricingAgents.
type Agents struct {
	pricingv1.UnimplementedPricingAgents
}

// JoinPricedLines prices a line with the product it names; product is nil
// while the catalog has no such product (a left join).
func (Agents) JoinPricedLines(ctx context.Context, line *pricingv1.OrderLine, product *pricingv1.Product) (*pricingv1.PricedLine, error) {
	p := &pricingv1.PricedLine{ProductId: line.GetProductId(), Qty: line.GetQty()}
	if product != nil {
		p.Product, p.TotalCents, p.Known = product.GetName(), line.GetQty()*product.GetPriceCents(), true
	}
	return p, nil
}

// Answer emits the line's current price.
func (Agents) Answer(ctx context.Context, in *pricingv1.QuoteRequest, out pricingv1.PricingAnswerEmitter) error {
	line, found, err := out.PricedLines().Get(ctx)
	if err != nil {
		return err
	}
	return out.EmitQuote(ctx, &pricingv1.Quote{LineId: in.GetLineId(), Line: line, Found: found})
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := pricingv1.RegisterPricingAgents(app, Agents{}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	app, err := NewApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
