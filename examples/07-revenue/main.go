// Command revenue sums orders per country (Faust's group_by, Kafka
// Streams' groupBy then aggregate): orders are keyed by order id, and the
// revenue table by country.
//
//	go run ./examples/07-revenue demo '{"orderId":"o1","country":"de","amountCents":"1250"}'
//	go run ./examples/07-revenue worker --brokers host:9092
//
// The agent declares group_by: "country": an order whose country belongs
// to another partition than its order id goes through the topic
// "revenue-sum-repartition" to the country's partition, where the
// country's one total is kept.
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/07-revenue proto/revenue/v1/revenue.proto

import (
	"context"
	"fmt"
	"os"

	revenuev1 "github.com/streamgen/streamgen/examples/07-revenue/gen/revenue/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements revenuev1.RevenueAgents.
type Agents struct {
	revenuev1.UnimplementedRevenueAgents
}

// Sum adds the order to its country's revenue and emits the new total.
func (Agents) Sum(ctx context.Context, in *revenuev1.Order, out revenuev1.RevenueSumEmitter) error {
	var total *revenuev1.CountryRevenue
	if err := out.ByCountry().Update(ctx, func(r *revenuev1.CountryRevenue) error {
		r.Country = in.GetCountry()
		r.AmountCents += in.GetAmountCents()
		r.Orders++
		total = r
		return nil
	}); err != nil {
		return err
	}
	return out.EmitCountryRevenue(ctx, total)
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := revenuev1.RegisterRevenueAgents(app, Agents{}); err != nil {
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
