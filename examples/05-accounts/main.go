// Command accounts keeps running balances per account, exactly once: the
// app of the crash harness (./chaos), declared with
// guarantee: GUARANTEE_EXACTLY_ONCE in its schema.
//
//	go run ./examples/05-accounts worker --brokers host:9092 --instance-id w1
//
// Each deposit adds to table "balances" and to a per-minute count in the
// windowed table "minute-deposits", and emits the new balance to topic
// "balances". Each worker thread commits, every 100 ms, one Kafka
// transaction with the interval's balances, changelog writes and input
// offsets: a reader with isolation.level=read_committed sees each
// deposit's balance exactly once, whatever crashes.
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/05-accounts proto/accounts/v1/accounts.proto

import (
	"context"
	"os"

	accountsv1 "github.com/streamgen/streamgen/examples/05-accounts/gen/accounts/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements accountsv1.AccountsAgents.
type Agents struct {
	accountsv1.UnimplementedAccountsAgents
}

// Apply adds the deposit to the balance and to the minute's count.
func (Agents) Apply(ctx context.Context, in *accountsv1.Deposit, out accountsv1.AccountsApplyEmitter) error {
	var b *accountsv1.Balance
	if err := out.Balances().Update(ctx, func(v *accountsv1.Balance) error {
		v.AccountId = in.GetAccountId()
		v.Seq = in.GetSeq()
		v.Balance += in.GetAmount()
		b = v
		return nil
	}); err != nil {
		return err
	}
	var n int64
	if err := out.MinuteDeposits().Update(ctx, func(c *accountsv1.Count) error {
		c.N++
		n = c.N
		return nil
	}); err != nil {
		return err
	}
	return out.EmitBalance(ctx, &accountsv1.Balance{AccountId: b.GetAccountId(), Seq: b.GetSeq(), Balance: b.GetBalance(), MinuteDeposits: n})
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := accountsv1.RegisterAccountsAgents(app, Agents{}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	app, err := NewApp()
	if err != nil {
		panic(err)
	}
	os.Exit(cli.Main(app))
}
