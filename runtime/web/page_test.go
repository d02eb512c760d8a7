package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/web"
)

// TestPageJSON: what the hooks report reaches GET /status (lag,
// throughput, restores, standbys, agents' rates, commits, decoded dead
// letters), and GET /api/group merges the group's members by URL and
// reads each one's status, marking the one that does not answer.
func TestPageJSON(t *testing.T) {
	clk := newClock()
	m := newMetrics(t, web.MetricsConfig{Now: clk.Now})
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	o := func(n int32) observe.Partition { return observe.Partition{Topic: testapp.OrderTopicName, Partition: n} }

	// Another worker answering, and one that does not.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(web.Status{App: "ledger", URL: "other", Ready: true,
			Partitions: []web.PartitionStatus{{Topic: testapp.OrderTopicName, Partition: 3, Lag: 0}}})
	}))
	defer other.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String()
	ln.Close()

	self := "http://self.example"
	members := func(context.Context) ([]web.Member, error) {
		return []web.Member{
			{ClientID: "ledger-0@" + self, URL: self, Partitions: []observe.Partition{o(1)}},
			{ClientID: "ledger-1@" + self, URL: self, Partitions: []observe.Partition{o(0)}},
			{ClientID: "ledger-0@" + other.URL, URL: other.URL, Partitions: []observe.Partition{o(3)}},
			{ClientID: "ledger-0@" + gone, URL: gone, Partitions: []observe.Partition{o(2)}},
		}, nil
	}
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Threads: 2, Logger: quietLogger()})
	srv.HandlePage(web.PageConfig{App: app, URL: self, Members: members, MemberTimeout: 5 * time.Second})
	h := srv.Handler()

	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(0)}})
	m.OnState(observe.State{Thread: 1, Threads: 2, Joined: true, Owned: []observe.Partition{o(1)}, Restoring: []observe.Partition{o(1)}})
	m.OnRestore(observe.RestoreProgress{Table: testapp.LedgerTalliesTableName, Partition: 1, From: 0, Records: 50, End: 100, Elapsed: time.Second})
	m.OnTables(1, []observe.TableStats{{Table: testapp.LedgerTalliesTableName, Partition: 2, Standby: true, Keys: 7, LagRecords: 3}})
	m.OnLag(0, []observe.Lag{{Partition: o(0), Position: 10, HighWatermark: 15}})
	for range 3 {
		m.OnProcess(observe.Processed{Agent: "ledger/Add", Topic: testapp.OrderTopicName, Outputs: 1})
	}
	m.OnDeadLetter(observe.DeadLetter{Agent: "ledger/Add", Topic: "ledger-add-dlq", Source: o(0), Offset: 9,
		Key: []byte("k"), Value: []byte("\xff\xff not an order"), Error: "cannot decode", Reason: observe.ReasonDecode})
	order, _ := testapp.OrderTopic.Desc().Encode(&testapp.Order{AccountId: "a", AmountCents: 5})
	m.OnDeadLetter(observe.DeadLetter{Agent: "ledger/Add", Topic: "ledger-add-dlq", Source: o(0), Offset: 10,
		Key: []byte("a"), Value: order, Error: "handler failed", Reason: observe.ReasonHandler})
	m.OnCommit(observe.Commit{Took: 20 * time.Millisecond})
	m.OnCommit(observe.Commit{Took: 40 * time.Millisecond, Err: errors.New("fenced"), Aborted: true})

	status := func() web.Status {
		t.Helper()
		code, body := get(t, h, "GET", "/status", nil)
		var st web.Status
		if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
			t.Fatalf("/status: %d %s: %v", code, body, err)
		}
		return st
	}
	st := status()
	if len(st.Agents) != 1 || st.Agents[0].Processed != 3 || st.Agents[0].InPerSec != nil {
		t.Errorf("agents on the first read: %+v, want ledger/Add with 3 processed and no rate yet", st.Agents)
	}
	clk.Advance(2 * time.Second)
	m.OnLag(0, []observe.Lag{{Partition: o(0), Position: 30, HighWatermark: 30}})
	for range 4 {
		m.OnProcess(observe.Processed{Agent: "ledger/Add", Topic: testapp.OrderTopicName, Outputs: 1})
	}
	st = status()
	if a := st.Agents[0]; a.Processed != 7 || a.Emitted != 7 || a.InPerSec == nil || *a.InPerSec != 2 || *a.OutPerSec != 2 {
		t.Errorf("agent after 2 s: %+v, want 7 processed and emitted, 2/s each", a)
	}
	if len(st.Partitions) != 2 {
		t.Fatalf("partitions: %+v, want orders 0 and 1", st.Partitions)
	}
	if p := st.Partitions[0]; p.Lag != 0 || p.Position != 30 || p.PerSec == nil || *p.PerSec != 10 || p.Restoring {
		t.Errorf("partition 0: %+v, want lag 0 at 30, 10 records/s", p)
	}
	if p := st.Partitions[1]; !p.Restoring || p.Lag != -1 || p.Thread != 1 {
		t.Errorf("partition 1: %+v, want restoring on thread 1, lag unknown", p)
	}
	if len(st.Restores) != 1 || st.Restores[0].Percent != 50 {
		t.Errorf("restores: %+v, want tallies/1 at 50%%", st.Restores)
	}
	if len(st.Stores) != 1 || !st.Stores[0].Standby || st.Stores[0].LagRecords != 3 {
		t.Errorf("stores: %+v, want the standby of tallies/2, 3 behind", st.Stores)
	}
	var commits, aborts int
	for _, b := range st.Commits.Buckets {
		commits, aborts = commits+b.Commits, aborts+b.Aborts
	}
	if commits != 2 || aborts != 1 || len(st.Commits.Buckets) != 30 || st.Commits.BucketSeconds != 10 {
		t.Errorf("commits: %d, %d aborted, in %d buckets of %d s; want 2, 1, 30 of 10", commits, aborts, len(st.Commits.Buckets), st.Commits.BucketSeconds)
	}
	if len(st.DeadLetters) != 2 {
		t.Fatalf("dead letters: %+v", st.DeadLetters)
	}
	if d := st.DeadLetters[1]; d.ValueFormat != "text" || d.Value != `\xff\xff not an order` || d.SourceOffset != 9 || d.Reason != "decode" {
		t.Errorf("undecodable dead letter: %+v, want its value Go-escaped", d)
	}
	if d := st.DeadLetters[0]; d.ValueFormat != "protojson" || !strings.Contains(d.Value, `"accountId":"a"`) {
		t.Errorf("decodable dead letter: %+v, want its value as protojson", d)
	}

	code, body := get(t, h, "GET", "/api/group", nil)
	var g web.Group
	if err := json.Unmarshal([]byte(body), &g); code != 200 || err != nil {
		t.Fatalf("/api/group: %d %s: %v", code, body, err)
	}
	if len(g.Members) != 3 {
		t.Fatalf("members: %+v, want 3 workers", g.Members)
	}
	me := g.Members[0]
	if !me.Self || !me.Reachable || me.Status == nil || len(me.ClientIDs) != 2 || strings.Join(me.Assigned, " ") != "orders/0 orders/1" {
		t.Errorf("this worker: %+v", me)
	}
	for _, gm := range g.Members[1:] {
		switch gm.URL {
		case other.URL:
			if !gm.Reachable || gm.Status == nil || gm.Status.URL != "other" {
				t.Errorf("the answering worker: %+v", gm)
			}
		case gone:
			if gm.Reachable || gm.Error == "" || strings.Join(gm.Assigned, " ") != "orders/2" {
				t.Errorf("the worker not answering: %+v, want an error and its assignment", gm)
			}
		default:
			t.Errorf("unexpected member %+v", gm)
		}
	}

	code, body = get(t, h, "GET", "/", nil)
	for _, want := range []string{"<svg", "<title>agent Add</title>", "<title>agent MinuteClosed</title>", `value="tallies"`, "/assets/app.js"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET / = %d, lacks %q", code, want)
		}
	}
	for _, p := range []string{"/assets/app.js", "/assets/style.css", "/api/topology.svg"} {
		if code, _ := get(t, h, "GET", p, nil); code != 200 {
			t.Errorf("GET %s = %d", p, code)
		}
	}
	if code, _ := get(t, h, "GET", "/nothing-here", nil); code != 404 {
		t.Errorf("GET /nothing-here = %d, want 404", code)
	}
}
