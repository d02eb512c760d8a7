package lane

import (
	"errors"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// sinkApp returns the test app's batch agent (batches of 10 orders),
// with onError as its error policy.
func sinkApp(t *testing.T, onError runtime.OnError) *runtime.App {
	t.Helper()
	base := runtime.NewApp()
	if err := testapp.RegisterSinkAgents(base, testapp.Sink{}); err != nil {
		t.Fatal(err)
	}
	d := *base.Agents()[0].Desc
	d.OnError = onError
	app := runtime.NewApp()
	if err := app.Register(&runtime.AppDesc{ID: "sink", ServiceName: "test.Sink", Agents: []*runtime.AgentDesc{&d}}, testapp.Sink{}); err != nil {
		t.Fatal(err)
	}
	return app
}

// The commit rule per batch: every input of a handled batch is released
// but its first, whose pending count holds the batch's outputs until they
// are acknowledged, so no offset from the batch's first record on is
// committed before. An input in an open batch stays pending.
func TestBatchOutputsHoldItsFirstInput(t *testing.T) {
	g := &recorder{}
	now := time.Unix(100, 0)
	l := newLane(t, sinkApp(t, runtime.OnErrorDeadLetter), g, func(err error) { t.Fatal(err) })
	l.cfg.Now = func() time.Time { return now }
	var ins []*Input
	for range 3 {
		in := input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a"}, "a", 1)
		ins = append(ins, in)
		l.Process(in)
	}
	if g.recs != nil || ins[0].Pending.Load() != 1 || ins[2].Pending.Load() != 1 {
		t.Fatalf("an open batch: produced %v, pending %d/%d; want nothing, each input pending", g.recs, ins[0].Pending.Load(), ins[2].Pending.Load())
	}
	if _, ok := l.BatchDue(); !ok {
		t.Fatal("no open batch")
	}
	now = now.Add(200 * time.Millisecond)
	l.FlushDueBatch()
	l.Produce()
	if len(g.recs) != 1 || g.recs[0].Topic != testapp.ShipmentTopicName || g.toks[0] != any(ins[0]) {
		t.Fatalf("produced %v with tokens %v, want one shipment held by the first input", g.recs, g.toks)
	}
	if ins[0].Pending.Load() != 1 || ins[1].Pending.Load() != 0 || ins[2].Pending.Load() != 0 {
		t.Fatalf("pending %d/%d/%d, want 1/0/0", ins[0].Pending.Load(), ins[1].Pending.Load(), ins[2].Pending.Load())
	}
	g.ackAll(t)
	if ins[0].Pending.Load() != 0 {
		t.Fatalf("the first input still pending after the shipment was acknowledged")
	}
}

// ON_ERROR_STOP: a failed batch stops the host with the batch's first
// record and releases none of its inputs.
func TestBatchStopPolicyReleasesNothing(t *testing.T) {
	var failed error
	g := &recorder{}
	l := newLane(t, sinkApp(t, runtime.OnErrorStop), g, func(err error) { failed = err })
	var ins []*Input
	for i, note := range []string{"", "fail", ""} {
		in := input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a", AmountCents: int64(i), Note: note}, "a", 1)
		ins = append(ins, in)
		l.Process(in)
	}
	l.FlushBatch()
	l.Produce()
	var se *StopError
	if !errors.As(failed, &se) {
		t.Fatalf("Fail got %v, want a *StopError", failed)
	}
	for i, in := range ins {
		if in.Pending.Load() != 1 {
			t.Errorf("input %d: pending %d, want 1 (never released)", i, in.Pending.Load())
		}
	}
	if len(g.recs) != 0 {
		t.Errorf("produced %v, want nothing", g.recs)
	}
}
