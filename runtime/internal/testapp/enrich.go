package testapp

import "context"

// Enrich is the runtime tests' implementation of the Enrich app (written
// by hand): each purchase goes out with its customer's profile, read from
// table "customers", fed from topic "customers".
type Enrich struct {
	UnimplementedEnrichAgents
}

// Add emits the purchase with its customer, found or not.
func (Enrich) Add(ctx context.Context, in *Purchase, out EnrichAddEmitter) error {
	c, found, err := out.Customers().Get(ctx)
	if err != nil {
		return err
	}
	return out.EmitEnrichedPurchase(ctx, &EnrichedPurchase{CustomerId: in.GetCustomerId(), AmountCents: in.GetAmountCents(),
		Seq: in.GetSeq(), Name: c.GetName(), Country: c.GetCountry(), Found: found})
}
