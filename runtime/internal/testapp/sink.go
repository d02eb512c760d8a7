package testapp

import (
	"context"
	"errors"
)

// Sink is the runtime tests' implementation of the Sink app (written by
// hand): Ship emits one shipment per batch of orders.
type Sink struct {
	UnimplementedSinkAgents
}

// Ship emits the batch as one shipment; an order noted "fail" fails the
// batch, one noted "panic" panics.
func (Sink) Ship(ctx context.Context, in []*Order, out SinkShipEmitter) error {
	for _, o := range in {
		switch o.GetNote() {
		case "fail":
			return errors.New("a failing order in the batch")
		case "panic":
			panic("a panicking order in the batch")
		}
	}
	return out.EmitShipment(ctx, &Shipment{Orders: in})
}
