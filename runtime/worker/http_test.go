package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/tableclient"
	"github.com/streamgen/streamgen/runtime/worker"
)

// getJSON GETs u and decodes the body into v; it returns the status.
func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %d %q: %v", u, resp.StatusCode, b, err)
		}
	}
	return resp.StatusCode
}

// runLedgerHTTP runs a ledger worker serving HTTP on a free port and
// returns its base URL.
func runLedgerHTTP(t *testing.T, addr string, opts ...worker.Option) (*ledgerRun, string) {
	t.Helper()
	urls := make(chan string, 1)
	r := runLedgerWith(t, addr, t.TempDir(), append([]worker.Option{worker.WithHTTPAddr("127.0.0.1:0"),
		worker.WithHTTPReady(func(u string) { urls <- u })}, opts...)...)
	return r, <-urls
}

// TestTablesOverHTTP (operate part 1, on the broker): two ledger workers
// serve HTTP. Once both are ready (/readyz), every account's tally read
// through either worker is the model's count (the worker not owning the
// key's partition forwards to the one that does); a scan through one
// worker pages over every partition of both and returns every account
// once; a key's minute window reads back (all through the generated
// typed client); /metrics counts the records. Worker A's metrics are in
// a registry of the user's (WithMetricsRegistry), beside a collector of
// theirs, and its /metrics serves that registry.
func TestTablesOverHTTP(t *testing.T) {
	addr := startBroker(t)
	reg := prometheus.NewRegistry()
	mine := prometheus.NewCounter(prometheus.CounterOpts{Name: "user_counter_total", Help: "the user's own"})
	reg.MustRegister(mine)
	mine.Inc()
	_, urlA := runLedgerHTTP(t, addr, worker.WithMetricsRegistry(reg))
	_, urlB := runLedgerHTTP(t, addr)
	cl := client(t, addr)
	for _, u := range []string{urlA, urlB} {
		waitUntil(t, func() bool { return getJSON(t, u+"/readyz", nil) == http.StatusOK })
	}
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	recs, want := orders(t, 0, 400, 25)
	for i, r := range recs {
		r.Timestamp = base.Add(time.Duration(i) * 10 * time.Millisecond)
	}
	produce(t, cl, recs...)
	consume(t, addr, testapp.TallyTopicName, 400)

	// Read through the generated typed client, from both workers: the
	// one not owning a key's partition forwards to the one that does.
	partitions := map[int32]bool{}
	for acct, n := range want {
		for _, u := range []string{urlA, urlB} {
			c := testapp.NewLedgerTablesClient(u)
			var info tableclient.Info
			var tally *testapp.Tally
			waitUntil(t, func() bool { // the lanes flush to the store every 100 ms
				v, found, err := c.GetTallies(context.Background(), acct, tableclient.WithInfo(&info))
				tally = v
				return err == nil && found && v.GetCount() == n
			})
			if tally.GetAccountId() != acct || info.Source != tableclient.SourceActive {
				t.Errorf("%s via %s: %v from %q, want count %d from the active store", acct, u, tally, info.Source, n)
			}
			partitions[info.Partition] = true
		}
	}
	if len(partitions) < 2 {
		t.Errorf("accounts in %d partitions; the test needs keys on both workers", len(partitions))
	}
	c := testapp.NewLedgerTablesClient(urlB)
	if _, found, err := c.GetTallies(context.Background(), "nobody"); err != nil || found {
		t.Errorf("unknown key: found %v, %v; want not found", found, err)
	}

	// A scan through one worker pages over every partition of both.
	seen := map[string]int{}
	token, pages := "", 0
	for {
		entries, next, err := testapp.NewLedgerTablesClient(urlA).ScanTallies(context.Background(), "acct-", token, 7)
		if err != nil {
			t.Fatalf("scan page %d: %v", pages, err)
		}
		for _, e := range entries {
			seen[e.Key]++
		}
		pages++
		if token = next; token == "" || pages > 20 {
			break
		}
	}
	if len(seen) != len(want) || pages < 4 {
		t.Errorf("scan returned %d accounts in %d pages, want %d accounts in at least 4 pages of 7", len(seen), pages, len(want))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("scan returned %s %d times", k, n)
		}
	}

	// A global table is answered by any worker from its own copy.
	var lims []*kgo.Record
	for i := range 12 {
		lims = append(lims, limit(t, fmt.Sprintf("acct-%d", i), int64(100+i)))
	}
	produce(t, cl, lims...)
	for i := range 12 {
		var lim *testapp.Limit
		var info tableclient.Info
		waitUntil(t, func() bool {
			v, found, err := c.GetLimits(context.Background(), fmt.Sprintf("acct-%d", i), tableclient.WithInfo(&info))
			lim = v
			return err == nil && found
		})
		if lim.GetMaxCents() != int64(100+i) || info.Source != tableclient.SourceGlobal {
			t.Errorf("limit of acct-%d: %v from %q, want %d from the global copy", i, lim, info.Source, 100+i)
		}
	}

	w, found, err := c.MinuteSumsAt(context.Background(), "acct-3", base.Add(30*time.Second))
	if err != nil || !found || !w.Start.Equal(base) || !w.End.Equal(base.Add(time.Minute)) || w.Value.GetSumCents() == 0 {
		t.Errorf("acct-3's window at %v: %+v found %v, %v; want the minute from %v", base.Add(30*time.Second), w, found, err, base)
	}
	later := base.Add(2*time.Hour + 10*time.Second)
	if w, found, err := c.MinuteSumsAt(context.Background(), "acct-3", later); err != nil || found || !w.Start.Equal(later.Truncate(time.Minute)) {
		t.Errorf("acct-3's window at %v: %+v found %v, %v; want none, the window [%v, +1m) named", later, w, found, err, later.Truncate(time.Minute))
	}
	ws, err := c.MinuteSumsRange(context.Background(), "acct-3", base, base.Add(time.Hour))
	if err != nil || len(ws) == 0 || !ws[0].Start.Equal(base) || ws[0].Value.GetSumCents() == 0 {
		t.Errorf("windows of acct-3: %v, %v; want the minute from %v with its sum", ws, err, base)
	}
	var bad struct {
		Error     string `json:"error"`
		Retryable bool   `json:"retryable"`
	}
	if st := getJSON(t, urlA+"/tables/no-such-table/keys/x", &bad); st != http.StatusNotFound || bad.Error == "" {
		t.Errorf("unknown table: %d %+v, want 404 with an error", st, bad)
	}

	resp, err := http.Get(urlB + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "streamgen_records_processed_total") || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics lacks streamgen's or the Go collector's metrics:\n%.2000s", body)
	}

	// Worker A counted the records it processed in the user's registry.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	processed := 0.0
	for _, f := range families {
		if f.GetName() == "streamgen_records_processed_total" {
			for _, m := range f.GetMetric() {
				processed += m.GetCounter().GetValue()
			}
		}
	}
	if processed == 0 {
		t.Errorf("the registry of WithMetricsRegistry has no records processed by worker A; its families: %d", len(families))
	}
	resp, err = http.Get(urlA + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "user_counter_total 1") || !strings.Contains(string(body), "streamgen_records_processed_total") {
		t.Errorf("worker A's /metrics does not serve the registry of WithMetricsRegistry:\n%.2000s", body)
	}
}

// TestStandbyAnswersWhenAsked: with standby replicas, a query that
// accepts a standby's value is answered by a worker's standby store for a
// partition the other worker owns, with the standby's value (it catches
// up with the changelog) and how many changelog records it is behind;
// without standby=true the same query is forwarded to the owner.
func TestStandbyAnswersWhenAsked(t *testing.T) {
	addr := startBroker(t)
	_, urlA := runLedgerHTTP(t, addr, worker.WithStandbyReplicas(1))
	_, urlB := runLedgerHTTP(t, addr, worker.WithStandbyReplicas(1))
	for _, u := range []string{urlA, urlB} {
		waitUntil(t, func() bool { return getJSON(t, u+"/readyz", nil) == http.StatusOK })
	}
	recs, want := orders(t, 0, 200, 16)
	produce(t, client(t, addr), recs...)
	consume(t, addr, testapp.TallyTopicName, 200)

	standbys := 0
	for acct, n := range want {
		c := testapp.NewLedgerTablesClient(urlB)
		var info tableclient.Info
		waitUntil(t, func() bool {
			v, found, err := c.GetTallies(context.Background(), acct, tableclient.WithStandby(), tableclient.WithInfo(&info))
			return err == nil && found && v.GetCount() == n
		})
		if info.Source == tableclient.SourceStandby {
			standbys++
			if info.LagRecords < 0 {
				t.Errorf("%s from a standby with lag %d, want a known lag", acct, info.LagRecords)
			}
			var active tableclient.Info
			if _, _, err := c.GetTallies(context.Background(), acct, tableclient.WithInfo(&active)); err != nil || active.Source != tableclient.SourceActive {
				t.Errorf("%s without standby: %v from %q, want the owner's active store", acct, err, active.Source)
			}
		}
	}
	if standbys == 0 {
		t.Error("no answer came from a standby store")
	}
}

// TestDefaultHTTPAddrFallsBack: a default address that another process
// holds falls back to a free port (three workers started at once from the
// command line all asked for 127.0.0.1:6066); an address asked for
// explicitly fails the worker with an error saying so.
func TestDefaultHTTPAddrFallsBack(t *testing.T) {
	addr := startBroker(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	urls := make(chan string, 1)
	runLedgerWith(t, addr, t.TempDir(), worker.WithDefaultHTTPAddr(taken.Addr().String()),
		worker.WithHTTPReady(func(u string) { urls <- u }))
	if u := <-urls; u == "http://"+taken.Addr().String() || !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Errorf("fell back to %s, want another port of 127.0.0.1", u)
	}
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	err = worker.Run(context.Background(), app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)), worker.WithDataDir(t.TempDir()),
		worker.WithDefaultHTTPAddr("127.0.0.1:1"), worker.WithHTTPAddr(taken.Addr().String()))
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("explicit taken address: %v, want an error saying it is in use", err)
	}
}
