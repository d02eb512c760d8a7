package testapp

import (
	"context"
	"errors"
	"time"

	"github.com/streamgen/streamgen/runtime"
)

// Ledger is the runtime tests' implementation of the Ledger app (written
// by hand; the rest of this package is generated): Add counts and sums an
// account's orders in table tallies (flagging sums over the account's
// global limit) and in the one-minute windows of minute-sums, reads the
// windows around the order, and emits the tally; MinuteClosed emits each
// closed window's sum.
type Ledger struct {
	UnimplementedLedgerAgents
}

// Add updates the account's tally and minute window and emits the tally.
func (Ledger) Add(ctx context.Context, in *Order, out LedgerAddEmitter) error {
	limit, limited, err := out.Limits().Get(ctx, in.GetAccountId())
	if err != nil {
		return err
	}
	var tally *Tally
	if err := out.Tallies().Update(ctx, func(v *Tally) error {
		v.AccountId = in.GetAccountId()
		v.Count++
		v.SumCents += in.GetAmountCents()
		v.OverLimit = limited && v.SumCents > limit.GetMaxCents()
		tally = v
		return nil
	}); err != nil {
		return err
	}
	if err := out.MinuteSums().Update(ctx, func(v *Tally) error {
		v.SumCents += in.GetAmountCents()
		return nil
	}); err != nil {
		return err
	}
	minute, err := out.MinuteSums().Current(ctx)
	if err != nil {
		return err
	}
	at := runtime.RecordFrom(ctx).Timestamp
	if _, err := out.MinuteSums().Range(ctx, at.Add(-3*time.Minute), at.Add(time.Minute)); err != nil {
		return err
	}
	tally.MinuteCents = minute.GetSumCents()
	return out.EmitTally(ctx, tally)
}

// MinuteClosed emits a closed window's sum, keyed by its account.
func (Ledger) MinuteClosed(ctx context.Context, in *Tally, out LedgerMinuteClosedEmitter) error {
	w, ok := runtime.ClosedWindowFrom(ctx)
	if !ok {
		return errors.New("no closed window in the context")
	}
	return out.EmitMinuteTotal(ctx, &MinuteTotal{AccountId: string(w.Key), SumCents: in.GetSumCents(), StartMs: w.Start.UnixMilli()})
}
