package testapp

import "context"

// Shop is the runtime tests' implementation of the Shop app (written by
// hand): its agents update one table of balances from two topics: Buy (two
// lanes per partition) adds orders, Return subtracts refunds. Each update
// also counts, so a lost update shows as a count short of the records.
type Shop struct {
	UnimplementedShopAgents
}

// Buy adds an order to its account's balance and emits the new tally.
func (Shop) Buy(ctx context.Context, in *Order, out ShopBuyEmitter) error {
	var t *Tally
	if err := out.Balances().Update(ctx, func(v *Tally) error {
		v.AccountId = in.GetAccountId()
		v.Count++
		v.SumCents += in.GetAmountCents()
		t = v
		return nil
	}); err != nil {
		return err
	}
	return out.EmitTally(ctx, t)
}

// Return subtracts a refund from its account's balance and emits the new
// tally.
func (Shop) Return(ctx context.Context, in *Refund, out ShopReturnEmitter) error {
	var t *Tally
	if err := out.Balances().Update(ctx, func(v *Tally) error {
		v.AccountId = in.GetAccountId()
		v.Count++
		v.SumCents -= in.GetAmountCents()
		t = v
		return nil
	}); err != nil {
		return err
	}
	return out.EmitTally(ctx, t)
}
