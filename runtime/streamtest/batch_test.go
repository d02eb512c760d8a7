package streamtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// sink returns a driver of the Sink app (batches of at most 10 orders, due
// 200 ms after their first) with its clock at start.
func sink(t *testing.T, start time.Time) *streamtest.Driver {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterSinkAgents(app, testapp.Sink{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	return d
}

// shipped returns the orders of the shipments emitted since the last call,
// as "account/amount", per shipment.
func shipped(t *testing.T, d *streamtest.Driver) [][]string {
	t.Helper()
	ships, err := streamtest.Output(d, testapp.ShipmentTopic)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, s := range ships {
		var os []string
		for _, o := range s.GetOrders() {
			os = append(os, fmt.Sprintf("%s/%d", o.GetAccountId(), o.GetAmountCents()))
		}
		out = append(out, os)
	}
	return out
}

// TestBatchesBySizeAndTime (operators part 1, batching, in the driver):
// a batch goes to the handler when it holds max_records orders, in order,
// and otherwise once max_wait has passed on the virtual clock after its
// first order, not before.
func TestBatchesBySizeAndTime(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	d := sink(t, start)
	for i := range 13 {
		if err := streamtest.Send(d, testapp.OrderTopic, &testapp.Order{AccountId: "a1", AmountCents: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got := shipped(t, d)
	if len(got) != 1 || len(got[0]) != 10 || got[0][0] != "a1/0" || got[0][9] != "a1/9" {
		t.Fatalf("after 13 orders: shipments %v, want one of a1/0..a1/9", got)
	}
	if err := d.Advance(start.Add(199 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := shipped(t, d); len(got) != 0 {
		t.Fatalf("before max_wait: shipments %v, want none more", got)
	}
	if err := d.Advance(start.Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	got = shipped(t, d)
	if len(got) != 1 || fmt.Sprint(got[0]) != "[a1/10 a1/11 a1/12]" {
		t.Fatalf("at max_wait: shipments %v, want a second of a1/10..a1/12", got)
	}
}

// TestBatchFailures: a record that does not decode goes to the dead-letter
// topic alone and its batch goes on; a batch whose handler fails, or
// panics, goes to the dead-letter topic record by record, in order.
func TestBatchFailures(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	d := sink(t, start)
	p := runtime.Partition([]byte("a1"), testapp.OrderTopic.Desc().Partitions)
	send := func(o *testapp.Order) {
		if err := streamtest.Send(d, testapp.OrderTopic, o); err != nil {
			t.Fatal(err)
		}
	}
	send(&testapp.Order{AccountId: "a1", AmountCents: 1})
	if err := d.SendRecord(&runtime.Record{Topic: testapp.OrderTopicName, Partition: p, Key: []byte("a1"), Value: []byte{0xff, 0xff}}); err != nil {
		t.Fatal(err)
	}
	send(&testapp.Order{AccountId: "a1", AmountCents: 2})
	if err := d.Advance(start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := shipped(t, d); fmt.Sprint(got) != "[[a1/1 a1/2]]" {
		t.Errorf("a batch with an undecodable record: shipments %v, want [[a1/1 a1/2]]", got)
	}
	dead := d.DeadLetters(testapp.SinkShipDeadLetterTopicName)
	if len(dead) != 1 || string(dead[0].Value) != "\xff\xff" {
		t.Fatalf("dead letters %v, want the undecodable record", dead)
	}

	for i, note := range []string{"", "fail", ""} {
		send(&testapp.Order{AccountId: "a1", AmountCents: int64(10 + i), Note: note})
	}
	if err := d.Advance(start.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for i, note := range []string{"", "panic"} {
		send(&testapp.Order{AccountId: "a1", AmountCents: int64(20 + i), Note: note})
	}
	if err := d.Advance(start.Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := shipped(t, d); len(got) != 0 {
		t.Errorf("failed batches shipped: %v", got)
	}
	dead = d.DeadLetters(testapp.SinkShipDeadLetterTopicName)
	var amounts []int64
	for _, r := range dead[1:] {
		m, err := testapp.OrderTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		amounts = append(amounts, m.GetAmountCents())
	}
	if fmt.Sprint(amounts) != "[10 11 12 20 21]" {
		t.Errorf("dead letters of the failed batches: amounts %v, want [10 11 12 20 21]", amounts)
	}
	if e := streamtest.Header(dead[len(dead)-1], runtime.HeaderError); !strings.Contains(e, "panicked") {
		t.Errorf("the panicking batch's dead letter says %q, want the panic", e)
	}
}
