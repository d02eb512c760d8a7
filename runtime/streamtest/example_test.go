package streamtest_test

import (
	"context"
	"fmt"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// checkout is a handler under test: a receipt per order, an alert for
// large ones.
type checkout struct {
	testapp.UnimplementedCheckoutAgents
}

func (checkout) Check(ctx context.Context, in *testapp.Order, out testapp.CheckoutCheckEmitter) error {
	if in.GetAmountCents() > 1000 {
		if err := out.EmitAlert(ctx, &testapp.Alert{AccountId: in.GetAccountId(), Reason: "large"}); err != nil {
			return err
		}
	}
	return out.EmitReceipt(ctx, &testapp.Receipt{AccountId: in.GetAccountId(), AmountCents: in.GetAmountCents()})
}

// Send a typed record to an app's input topic, then read the typed
// records its agent emitted.
func Example() {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		panic(err)
	}
	d := streamtest.New(app)
	for _, cents := range []int64{500, 2000} {
		if err := streamtest.Send(d, testapp.OrderTopic, &testapp.Order{AccountId: "acct-1", AmountCents: cents}); err != nil {
			panic(err)
		}
	}
	receipts, err := streamtest.Output(d, testapp.ReceiptTopic)
	if err != nil {
		panic(err)
	}
	alerts, err := streamtest.Output(d, testapp.AlertTopic)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(receipts), "receipts,", len(alerts), "alert for", alerts[0].GetAccountId())
	// Output: 2 receipts, 1 alert for acct-1
}

// A record whose value does not decode goes to the agent's dead-letter
// topic, with headers naming its source and the error.
func ExampleDriver_SendRecord() {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		panic(err)
	}
	d := streamtest.New(app)
	err := d.SendRecord(&runtime.Record{Topic: testapp.OrderTopicName, Partition: -1, Key: []byte("a"), Value: []byte{0xff}})
	fmt.Println("error:", err)
	dead := d.DeadLetters(testapp.CheckoutCheckDeadLetterTopicName)
	fmt.Println(len(dead), "dead letter from topic", streamtest.Header(dead[0], runtime.HeaderSourceTopic))
	// Output:
	// error: <nil>
	// 1 dead letter from topic orders
}
