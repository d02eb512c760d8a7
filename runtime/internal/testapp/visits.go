package testapp

import (
	"context"

	"google.golang.org/protobuf/proto"
)

// Visits counts each account's orders per session (see testapp.proto).
type Visits struct {
	UnimplementedVisitsAgents
}

// Count adds the order to its account's session and emits the session so
// far; a late order (its session closed) emits nothing.
func (Visits) Count(ctx context.Context, in *Order, out VisitsCountEmitter) error {
	var so *Visit
	if err := out.Sessions().Update(ctx, func(v *Visit) error {
		v.AccountId = in.GetAccountId()
		v.Orders++
		v.AmountCents += in.GetAmountCents()
		so = proto.Clone(v).(*Visit)
		return nil
	}); err != nil || so == nil {
		return err
	}
	return out.EmitVisit(ctx, so)
}

// MergeSessions adds two sessions' counts.
func (Visits) MergeSessions(ctx context.Context, a, b *Visit) (*Visit, error) {
	return &Visit{AccountId: a.GetAccountId(), Orders: a.GetOrders() + b.GetOrders(),
		AmountCents: a.GetAmountCents() + b.GetAmountCents()}, nil
}

// Closed emits a closed session's summary, with its start and end.
func (Visits) Closed(ctx context.Context, in *Visit, out VisitsClosedEmitter) error {
	w := out.Window()
	v := proto.Clone(in).(*Visit)
	v.Final, v.StartMs, v.EndMs = true, w.Start.UnixMilli(), w.End.UnixMilli()
	return out.EmitVisit(ctx, v)
}
