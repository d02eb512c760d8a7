package lane

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// recorder is a Guarantee that records what a lane hands it, in order.
type recorder struct {
	StoreNow
	events []string
	recs   []runtime.Record
	toks   []any
}

func (r *recorder) Produce(recs []runtime.Record, toks []any) {
	for i := range recs {
		r.events = append(r.events, "produce "+recs[i].Topic)
		r.recs = append(r.recs, recs[i])
		r.toks = append(r.toks, toks[i])
	}
}

func (r *recorder) Flushed(l *Lane, t int, c *Cache, batch []state.KV) {
	r.events = append(r.events, "flushed "+l.tables[t].Desc.Name)
	r.StoreNow.Flushed(l, t, c, batch)
}

// ackAll acknowledges every record produced so far, as the broker would.
func (r *recorder) ackAll(t *testing.T) {
	t.Helper()
	for i, tok := range r.toks {
		if err := Ack(tok, int64(i)); err != nil {
			t.Fatal(err)
		}
	}
	r.toks, r.recs = nil, nil
}

type checkout struct {
	testapp.UnimplementedCheckoutAgents
}

func (checkout) Check(ctx context.Context, in *testapp.Order, out testapp.CheckoutCheckEmitter) error {
	if in.GetNote() == "fail" {
		return errors.New("refused")
	}
	if err := out.EmitAlert(ctx, &testapp.Alert{AccountId: in.GetAccountId()}); err != nil {
		return err
	}
	return out.EmitReceipt(ctx, &testapp.Receipt{AccountId: in.GetAccountId()})
}

type audit struct {
	testapp.UnimplementedAuditAgents
}

func (audit) Record(context.Context, *testapp.Alert, testapp.AuditRecordEmitter) error {
	return errors.New("cannot record")
}

func newLane(t *testing.T, app *runtime.App, g Guarantee, fail func(error), tables ...*Table) *Lane {
	t.Helper()
	l := New(Config{Ctx: context.Background(), App: app, Agent: app.Agents()[0], Tables: tables, Slots: 1,
		Clock: &windows.Clock{}, Guarantee: g, Fail: fail, Log: slog.New(slog.DiscardHandler)})
	l.Start()
	return l
}

func input(t *testing.T, topic string, m proto.Message, key string, agents int) *Input {
	t.Helper()
	v, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return NewInput(&runtime.Record{Topic: topic, Key: []byte(key), Value: v, Timestamp: time.UnixMilli(1000)}, agents)
}

// An input's pending count covers its outputs until each is acknowledged;
// a failing input goes to the dead-letter topic, counted the same way.
func TestPendingCoversOutputsAndDeadLetters(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	g := &recorder{}
	l := newLane(t, app, g, func(err error) { t.Fatal(err) })
	ok := input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a"}, "a", 1)
	l.Process(ok)
	l.Produce()
	if got := ok.Pending.Load(); got != 2 {
		t.Fatalf("pending %d after processing, want 2 (alert and receipt unacknowledged)", got)
	}
	if ok.Rec != nil {
		t.Error("the record is still held after its only agent processed it")
	}
	g.ackAll(t)
	if got := ok.Pending.Load(); got != 0 {
		t.Fatalf("pending %d after both outputs were acknowledged, want 0", got)
	}
	bad := input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "b", Note: "fail"}, "b", 1)
	l.Process(bad)
	l.Produce()
	if len(g.recs) != 1 || g.recs[0].Topic != testapp.CheckoutCheckDeadLetterTopicName || g.toks[0] != any(bad) {
		t.Fatalf("produced %v with tokens %v, want one dead letter carrying the input", g.recs, g.toks)
	}
	if got := bad.Pending.Load(); got != 1 {
		t.Fatalf("pending %d with the dead letter unacknowledged, want 1", got)
	}
}

// ON_ERROR_STOP: the lane stops the host with a *StopError and never
// releases the input, so nothing from it on is committed.
func TestStopPolicyKeepsTheInputPending(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterAuditAgents(app, audit{}); err != nil {
		t.Fatal(err)
	}
	var failed error
	g := &recorder{}
	l := newLane(t, app, g, func(err error) { failed = err })
	in := input(t, testapp.AlertTopicName, &testapp.Alert{AccountId: "a"}, "a", 1)
	l.Process(in)
	l.Produce()
	var se *StopError
	if !errors.As(failed, &se) {
		t.Fatalf("Fail got %v, want a *StopError", failed)
	}
	var pe *runtime.ProcessError
	if !errors.As(se.Err, &pe) || pe.Agent != "audit/Record" {
		t.Errorf("stop error wraps %v, want the record's *runtime.ProcessError", se.Err)
	}
	if got := in.Pending.Load(); got != 1 || len(g.recs) != 0 {
		t.Errorf("pending %d and %d records produced after a stop, want 1 and none", got, len(g.recs))
	}
}

type ledger struct {
	testapp.UnimplementedLedgerAgents
}

func (ledger) Add(ctx context.Context, in *testapp.Order, out testapp.LedgerAddEmitter) error {
	return out.Tallies().Update(ctx, func(v *testapp.Tally) error {
		v.Count++
		return nil
	})
}

type noLimits struct{}

func (noLimits) Get([]byte) ([]byte, bool, error) { return nil, false, nil }

// A flush hands the last value of each key to the Guarantee before it
// produces their changelog records, one per key, whose acknowledgement
// releases every input that wrote the key.
func TestFlushStoresThenProducesTheLastValuePerKey(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, ledger{}); err != nil {
		t.Fatal(err)
	}
	var add *runtime.Agent
	for _, ag := range app.Agents() {
		if ag.Desc.Name == "Add" {
			add = ag
		}
	}
	var tables []*Table
	for _, td := range add.Desc.Tables {
		tb := &Table{Desc: td, Store: state.NewMemory()}
		if td.Global {
			tb = &Table{Desc: td, Global: noLimits{}}
		}
		tables = append(tables, tb)
	}
	g := &recorder{}
	l := New(Config{Ctx: context.Background(), App: app, Agent: add, Tables: tables, Slots: 1, Clock: &windows.Clock{},
		Guarantee: g, Fail: func(err error) { t.Fatal(err) }, Log: slog.New(slog.DiscardHandler)})
	l.Start()
	var ins []*Input
	for range 3 {
		in := input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a"}, "a", 1)
		l.Process(in)
		ins = append(ins, in)
	}
	l.FlushTables()
	if len(g.events) != 2 || g.events[0] != "flushed tallies" || g.events[1] != "produce "+testapp.LedgerTalliesChangelogTopicName {
		t.Fatalf("events %v, want the store write, then one changelog record", g.events)
	}
	v, ok, err := tables[0].Store.Get([]byte("a"))
	tally := &testapp.Tally{}
	if err != nil || !ok || proto.Unmarshal(v, tally) != nil || tally.GetCount() != 3 {
		t.Fatalf("store holds %v (%v, %v), want count 3", tally, ok, err)
	}
	for _, in := range ins {
		if in.Pending.Load() != 1 {
			t.Fatalf("input pending %d before the changelog acknowledgement, want 1", in.Pending.Load())
		}
	}
	g.ackAll(t)
	for _, in := range ins {
		if in.Pending.Load() != 0 {
			t.Fatalf("input pending %d after the changelog acknowledgement, want 0", in.Pending.Load())
		}
	}
	if got := tables[0].AckedNext.Load(); got != 1 {
		t.Errorf("acknowledged changelog offset %d, want 1 (after the record at 0)", got)
	}
}
