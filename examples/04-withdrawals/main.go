// Command withdrawals is Faust's withdrawals example: per-user totals in
// hopping windows of 10 s every 5 s, by each withdrawal's own time.
//
//	go run ./examples/04-withdrawals demo '{"user":"ann","amount":10,"date":"2026-01-01T00:00:01Z"}'
//	go run ./examples/04-withdrawals worker --brokers host:9092
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/04-withdrawals proto/withdrawals/v1/withdrawals.proto

import (
	"context"
	"fmt"
	"os"
	"time"

	withdrawalsv1 "github.com/streamgen/streamgen/examples/04-withdrawals/gen/withdrawals/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements withdrawalsv1.WithdrawalsAgents.
type Agents struct {
	withdrawalsv1.UnimplementedWithdrawalsAgents
}

// Track adds the withdrawal to every window of its user that contains its
// date, then emits the newest window's total and the previous one's.
func (Agents) Track(ctx context.Context, in *withdrawalsv1.Withdrawal, out withdrawalsv1.WithdrawalsTrackEmitter) error {
	totals := out.UserTotals()
	if err := totals.Update(ctx, func(t *withdrawalsv1.UserTotal) error {
		t.User = in.GetUser()
		t.Total += in.GetAmount()
		return nil
	}); err != nil {
		return err
	}
	cur, err := totals.Current(ctx)
	if err != nil {
		return err
	}
	prev, err := totals.Delta(ctx, 5*time.Second)
	if err != nil {
		return err
	}
	lastMinute := out.LastMinute()
	if err := lastMinute.Update(ctx, func(t *withdrawalsv1.UserTotal) error {
		t.Total += in.GetAmount()
		return nil
	}); err != nil {
		return err
	}
	recent, err := lastMinute.Current(ctx)
	if err != nil {
		return err
	}
	return out.EmitUserTotal(ctx, &withdrawalsv1.UserTotal{User: in.GetUser(), Total: cur.GetTotal(), Previous: prev.GetTotal(),
		LastMinute: recent.GetTotal()})
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := withdrawalsv1.RegisterWithdrawalsAgents(app, Agents{}); err != nil {
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
