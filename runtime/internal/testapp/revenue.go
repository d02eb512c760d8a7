package testapp

import "context"

// Revenue is the runtime tests' implementation of the Revenue app (written
// by hand): Sum adds each order to its country's total and emits it.
type Revenue struct {
	UnimplementedRevenueAgents
}

// Sum adds the order to its country's total and emits the total.
func (Revenue) Sum(ctx context.Context, in *Order, out RevenueSumEmitter) error {
	var total *CountryTotal
	if err := out.ByCountry().Update(ctx, func(t *CountryTotal) error {
		t.Country = in.GetCountry()
		t.AmountCents += in.GetAmountCents()
		t.Orders++
		total = t
		return nil
	}); err != nil {
		return err
	}
	return out.EmitCountryTotal(ctx, total)
}
