package main

import (
	"testing"
	"time"

	accountsv1 "github.com/streamgen/streamgen/examples/05-accounts/gen/accounts/v1"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestDeclaredGuarantee: the schema's guarantee and commit interval reach
// the registered app.
func TestDeclaredGuarantee(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	if !app.ExactlyOnce() || app.CommitInterval() != 100*time.Millisecond {
		t.Errorf("exactly once %v, commit interval %v; the schema declares exactly once, 100ms", app.ExactlyOnce(), app.CommitInterval())
	}
}

// TestBalances runs deposits through the test driver.
func TestBalances(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, amount := range []int64{10, 5, 7} {
		if err := streamtest.Send(d, accountsv1.DepositTopic, &accountsv1.Deposit{AccountId: "a", Seq: int64(i + 1), Amount: amount, AtMs: at + int64(i)*1000}); err != nil {
			t.Fatal(err)
		}
	}
	outs, err := streamtest.Output(d, accountsv1.BalanceTopic)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, b := range outs {
		got = append(got, b.GetBalance(), b.GetMinuteDeposits())
	}
	want := []int64{10, 1, 15, 2, 22, 3}
	if len(got) != len(want) {
		t.Fatalf("outputs %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outputs (balance, minute count)... %v, want %v", got, want)
		}
	}
}
