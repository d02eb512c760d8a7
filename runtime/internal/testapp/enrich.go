package testapp

import "context"

// Enrich is the runtime tests' implementation of the Enrich app (written
// by hand): each purchase goes out with its customer's profile, read from
// table "customers", fed from topic "customers" (a left join), and known
// customers' purchases are summed in table "spent" (an inner join).
type Enrich struct {
	UnimplementedEnrichAgents
}

// Add emits the purchase with its customer, found or not.
func (Enrich) Add(ctx context.Context, in *Purchase, customer *Customer, out EnrichAddEmitter) error {
	return out.EmitEnrichedPurchase(ctx, &EnrichedPurchase{CustomerId: in.GetCustomerId(), AmountCents: in.GetAmountCents(),
		Seq: in.GetSeq(), Name: customer.GetName(), Country: customer.GetCountry(), Found: customer != nil})
}

// Sum adds the purchase to what its customer, who is known, spent.
func (Enrich) Sum(ctx context.Context, in *Purchase, customer *Customer, out EnrichSumEmitter) error {
	return out.Spent().Update(ctx, func(s *Spent) error {
		s.AmountCents += in.GetAmountCents()
		s.Purchases++
		return nil
	})
}
