// Command orders enriches orders with their customer's profile (Kafka
// Streams' stream-table join): table "customers" holds the latest profile
// of each customer, fed from the compacted topic "customers" (a KTable:
// restored from that topic, no changelog of its own), and each order of
// topic "orders" goes out with its customer's name and loyalty discount.
//
//	go run ./examples/08-orders worker --brokers host:9092
//	kcat -P -b host:9092 -t customers -K: -X partitioner=murmur2_random <<< 'c1:{"id":"c1","name":"Ada","tier":"gold"}'
//	kcat -P -b host:9092 -t orders -K: -X partitioner=murmur2_random <<< 'c1:{"orderId":"o1","customerId":"c1","amountCents":"1000"}'
//
// Both topics are keyed by customer id with the same partition count, so
// an order and its customer's profile meet in one worker (streamgen checks
// it when it generates the code).
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/08-orders proto/orders/v1/orders.proto

import (
	"context"
	"fmt"
	"os"

	ordersv1 "github.com/streamgen/streamgen/examples/08-orders/gen/orders/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements ordersv1.OrdersAgents.
type Agents struct {
	ordersv1.UnimplementedOrdersAgents
}

// discounts are the tiers' discounts, in percent.
var discounts = map[string]int64{"gold": 10, "silver": 5}

// Enrich emits the order with its customer's name, tier and discount;
// customer is nil when the table has no profile for the order's customer.
func (Agents) Enrich(ctx context.Context, in *ordersv1.Order, customer *ordersv1.Customer, out ordersv1.OrdersEnrichEmitter) error {
	e := &ordersv1.EnrichedOrder{OrderId: in.GetOrderId(), CustomerId: in.GetCustomerId(), AmountCents: in.GetAmountCents()}
	if customer != nil {
		e.CustomerName, e.Tier, e.Known = customer.GetName(), customer.GetTier(), true
		e.DiscountCents = in.GetAmountCents() * discounts[customer.GetTier()] / 100
	}
	return out.EmitEnrichedOrder(ctx, e)
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := ordersv1.RegisterOrdersAgents(app, Agents{}); err != nil {
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
