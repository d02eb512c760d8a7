package lane

import (
	"context"
	"log/slog"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/state"
)

// TestExpiryWaitsForTheClosedMarker (at least once): a session is due to
// close and to expire at once (the default expires, gap plus grace). Its
// expiry waits until its closed marker's acknowledgements wrote the marker
// into the store: expired first, the marker would be written after its
// tombstone and stay in the store for good.
func TestExpiryWaitsForTheClosedMarker(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterVisitsAgents(app, testapp.Visits{}); err != nil {
		t.Fatal(err)
	}
	var count *runtime.Agent
	for _, ag := range app.Agents() {
		if ag.Desc.Name == "Count" {
			count = ag
		}
	}
	tb := &Table{Desc: count.Desc.Tables[0], Store: state.NewMemory()}
	g := &recorder{}
	clock := &windows.Clock{}
	var late []int
	l := New(Config{Ctx: context.Background(), App: app, Agent: count, Tables: []*Table{tb}, Slots: 1, Clock: clock,
		Guarantee: g, Fail: func(err error) { t.Fatal(err) }, Log: slog.New(slog.DiscardHandler),
		OnProcess: func(p observe.Processed) { late = append(late, p.LateWrites) }})
	l.Start()
	l.Process(input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a", AmountCents: 1}, "a", 1)) // at 1 s
	l.FlushTables()
	g.ackAll(t)

	clock.AdvanceTo(1000 + (5*60+60)*1000) // its end plus gap plus grace
	l.Windows()
	l.FlushTables()
	marker := windows.ClosedMarker(windows.Key([]byte("a"), windows.Time(1000)))
	if _, ok, _ := tb.Store.Get(windows.SessionsKey([]byte("a"))); !ok {
		t.Fatal("the session was deleted before its closed marker reached the store")
	}
	g.ackAll(t) // the final value and the marker: the marker goes into the store
	if _, ok, _ := tb.Store.Get(marker); !ok {
		t.Fatal("no closed marker in the store after its acknowledgements")
	}
	l.Windows() // now it expires
	l.FlushTables()
	g.ackAll(t)
	for _, k := range [][]byte{marker, windows.SessionsKey([]byte("a"))} {
		if _, ok, _ := tb.Store.Get(k); ok {
			t.Errorf("key %q left in the store after expiry", k)
		}
	}
	// An order at 1 s again is late: its session would close at once.
	l.Process(input(t, testapp.OrderTopicName, &testapp.Order{AccountId: "a", AmountCents: 1}, "a", 1))
	if len(late) != 2 || late[0] != 0 || late[1] != 1 {
		t.Errorf("late window writes reported %v, want [0 1]", late)
	}
	finals := 0
	for _, e := range g.events {
		if e == "produce "+testapp.VisitTopicName {
			finals++
		}
	}
	if finals != 2 { // the running value, then the final one
		t.Errorf("%d records to %s, want 2 (the final value once)", finals, testapp.VisitTopicName)
	}
}
