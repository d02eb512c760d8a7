package worker_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
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

type tallyAnswer struct {
	Found     bool   `json:"found"`
	Partition int32  `json:"partition"`
	Source    string `json:"source"`
	Value     struct {
		AccountID string `json:"accountId"`
		Count     string `json:"count"`
	} `json:"value"`
}

// TestTablesOverHTTP (operate part 1, on the broker): two ledger workers
// serve HTTP. Once both are ready (/readyz), every account's tally read
// through either worker is the model's count (the worker not owning the
// key's partition forwards to the one that does); a scan through one
// worker pages over every partition of both and returns every account
// once; a key's minute window reads back; /metrics counts the records.
func TestTablesOverHTTP(t *testing.T) {
	addr := startBroker(t)
	_, urlA := runLedgerHTTP(t, addr)
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

	partitions := map[string]bool{}
	for acct, n := range want {
		for _, u := range []string{urlA, urlB} {
			var a tallyAnswer
			ok := false
			waitUntil(t, func() bool { // the lanes flush to the store every 100 ms
				st := getJSON(t, u+"/tables/"+testapp.LedgerTalliesTableName+"/keys/"+url.PathEscape(acct), &a)
				ok = st == http.StatusOK && a.Found && a.Value.Count == fmt.Sprint(n)
				return ok || st != http.StatusOK && st != http.StatusServiceUnavailable
			})
			if !ok || a.Source != "active" || a.Value.AccountID != acct {
				t.Errorf("%s via %s: %+v, want count %d from the active store", acct, u, a, n)
			}
			partitions[fmt.Sprint(a.Partition)] = true
		}
	}
	if len(partitions) < 2 {
		t.Errorf("accounts in %d partitions; the test needs keys on both workers", len(partitions))
	}
	var none tallyAnswer
	if st := getJSON(t, urlB+"/tables/"+testapp.LedgerTalliesTableName+"/keys/nobody", &none); st != http.StatusOK || none.Found {
		t.Errorf("unknown key: %d %+v, want 200 found=false", st, none)
	}

	seen := map[string]int{}
	token, pages := "", 0
	for {
		var page struct {
			Entries []struct {
				Key string `json:"key"`
			} `json:"entries"`
			Next string `json:"next_page_token"`
		}
		u := urlA + "/tables/" + testapp.LedgerTalliesTableName + "/keys?limit=7&prefix=acct-&page_token=" + url.QueryEscape(token)
		if st := getJSON(t, u, &page); st != http.StatusOK {
			t.Fatalf("scan page %d: status %d", pages, st)
		}
		for _, e := range page.Entries {
			seen[e.Key]++
		}
		pages++
		if token = page.Next; token == "" || pages > 20 {
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

	var win struct {
		Windows []struct {
			Start time.Time       `json:"start"`
			Value json.RawMessage `json:"value"`
		} `json:"windows"`
	}
	q := url.Values{"from": {base.Format(time.RFC3339)}, "to": {base.Add(time.Hour).Format(time.RFC3339)}}
	if st := getJSON(t, urlB+"/tables/"+testapp.LedgerMinuteSumsTableName+"/keys/acct-3/windows?"+q.Encode(), &win); st != http.StatusOK || len(win.Windows) == 0 || !win.Windows[0].Start.Equal(base) {
		t.Errorf("windows of acct-3: %d %+v, want the minute from %v", st, win, base)
	}
	var bad struct {
		Error     string `json:"error"`
		Retryable bool   `json:"retryable"`
	}
	if st := getJSON(t, urlA+"/tables/no-such-table/keys/x", &bad); st != http.StatusNotFound || bad.Error == "" {
		t.Errorf("unknown table: %d %+v, want 404 with an error", st, bad)
	}

	resp, err := http.Get(urlA + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "streamgen_records_processed_total") || !strings.Contains(string(body), "go_goroutines") {
		t.Errorf("/metrics lacks streamgen's or the Go collector's metrics:\n%.2000s", body)
	}
}
