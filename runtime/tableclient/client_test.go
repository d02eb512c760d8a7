package tableclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/tableclient"
)

// fake is a server of the wire protocol over one table of tallies,
// "balances", and one windowed table of tallies, "sums".
type fake struct {
	mu       sync.Mutex
	balances map[string]*testapp.Tally // by key
	windows  map[string][]window       // "sums", by key, oldest first
	queries  []string                  // the raw query of each request
	paths    []string                  // the escaped path of each request
	fail     int                       // how many requests answer 503 before the others
	failWith string                    // the Retry-After of those 503s
}

type window struct {
	start, end time.Time
	v          *testapp.Tally
}

// defaultLimit is the fake's page length when the request has no limit:
// small, to test pagination.
const defaultLimit = 2

func newFake(t *testing.T) (*fake, *httptest.Server) {
	f := &fake{balances: map[string]*testapp.Tally{}, windows: map[string][]window{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tables/{table}/keys/{key}", f.get)
	mux.HandleFunc("GET /tables/{table}/keys", f.scan)
	mux.HandleFunc("GET /tables/{table}/keys/{key}/windows", f.windowsOf)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.queries = append(f.queries, r.URL.RawQuery)
		f.paths = append(f.paths, r.URL.EscapedPath())
		failing := f.fail > 0
		f.fail--
		f.mu.Unlock()
		if failing {
			if f.failWith != "" {
				w.Header().Set("Retry-After", f.failWith)
			}
			writeError(w, http.StatusServiceUnavailable, "partition 3 is moving", true)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

// partition is the fake's partition of a key: its length, mod 4.
func partition(key string) int32 { return int32(len(key) % 4) }

func value(t *testapp.Tally) json.RawMessage {
	b, err := protojson.Marshal(t)
	if err != nil {
		panic(err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string, retryable bool) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(tableclient.ErrorResponse{Error: msg, Retryable: retryable})
}

func (f *fake) get(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("table") != testapp.ShopBalancesTableName {
		writeError(w, http.StatusNotFound, "unknown table "+strconv.Quote(r.PathValue("table")), false)
		return
	}
	key := r.PathValue("key")
	resp := tableclient.KeyResponse{Table: r.PathValue("table"), Key: key, Partition: partition(key), Source: tableclient.SourceActive}
	if r.URL.Query().Get("standby") == "true" {
		resp.Source, resp.LagRecords = tableclient.SourceStandby, 7
	}
	f.mu.Lock()
	v, ok := f.balances[key]
	f.mu.Unlock()
	if ok {
		resp.Found, resp.Value = true, value(v)
	}
	writeJSON(w, resp)
}

func (f *fake) scan(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeError(w, http.StatusBadRequest, "bad limit "+strconv.Quote(s), false)
			return
		}
		limit = n
	}
	from := 0
	if s := q.Get("page_token"); s != "" {
		from, _ = strconv.Atoi(strings.TrimPrefix(s, "after-"))
	}
	f.mu.Lock()
	var keys []string
	for k := range f.balances {
		if strings.HasPrefix(k, q.Get("prefix")) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := partition(a) - partition(b); c != 0 {
			return int(c)
		}
		return strings.Compare(a, b)
	})
	var resp tableclient.ScanResponse
	for i := from; i < len(keys) && i < from+limit; i++ {
		resp.Entries = append(resp.Entries, tableclient.ScanEntry{Key: keys[i], Partition: partition(keys[i]), Value: value(f.balances[keys[i]])})
	}
	f.mu.Unlock()
	if from+limit < len(keys) {
		resp.NextPageToken = "after-" + strconv.Itoa(from+limit)
	}
	writeJSON(w, resp)
}

func (f *fake) windowsOf(w http.ResponseWriter, r *http.Request) {
	key, q := r.PathValue("key"), r.URL.Query()
	f.mu.Lock()
	ws := f.windows[key]
	f.mu.Unlock()
	if at := q.Get("at"); at != "" {
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), false)
			return
		}
		start := t.Truncate(time.Minute)
		resp := tableclient.WindowResponse{Table: r.PathValue("table"), Key: key, Partition: partition(key),
			Start: start, End: start.Add(time.Minute)}
		for _, win := range ws {
			if win.start.Equal(start) {
				resp.Found, resp.Value = true, value(win.v)
			}
		}
		writeJSON(w, resp)
		return
	}
	from, err1 := time.Parse(time.RFC3339Nano, q.Get("from"))
	to, err2 := time.Parse(time.RFC3339Nano, q.Get("to"))
	if err := errors.Join(err1, err2); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), false)
		return
	}
	resp := tableclient.WindowsResponse{Windows: []tableclient.WindowEntry{}}
	for _, win := range ws {
		if !win.start.Before(from) && win.start.Before(to) {
			resp.Windows = append(resp.Windows, tableclient.WindowEntry{Start: win.start, End: win.end, Value: value(win.v)})
		}
	}
	writeJSON(w, resp)
}

func newTally() *testapp.Tally { return new(testapp.Tally) }

func TestGet(t *testing.T) {
	f, srv := newFake(t)
	f.balances["a1"] = &testapp.Tally{AccountId: "a1", SumCents: 42}
	c := tableclient.New(srv.URL)
	ctx := context.Background()

	var info tableclient.Info
	v, found, err := tableclient.Get(ctx, c, "balances", "a1", newTally, tableclient.WithInfo(&info))
	if err != nil || !found || v.GetSumCents() != 42 {
		t.Fatalf("Get(a1) = %v, %v, %v; want sum 42, found", v, found, err)
	}
	if info != (tableclient.Info{Partition: 2, Source: tableclient.SourceActive}) {
		t.Errorf("info %+v", info)
	}
	v, found, err = tableclient.Get(ctx, c, "balances", "nobody", newTally)
	if err != nil || found || v == nil || v.GetSumCents() != 0 {
		t.Errorf("Get(nobody) = %v, %v, %v; want an empty value, not found", v, found, err)
	}
	if f.queries[1] != "" {
		t.Errorf("query %q without standby", f.queries[1])
	}

	// Standby, per call or per client.
	standby := tableclient.New(srv.URL, tableclient.WithStandby())
	for _, call := range []struct {
		c    *tableclient.Client
		opts []tableclient.Option
	}{
		{c, []tableclient.Option{tableclient.WithStandby(), tableclient.WithInfo(&info)}},
		{standby, []tableclient.Option{tableclient.WithInfo(&info)}},
	} {
		if _, _, err := tableclient.Get(ctx, call.c, "balances", "a1", newTally, call.opts...); err != nil {
			t.Fatal(err)
		}
		if info.Source != tableclient.SourceStandby || info.LagRecords != 7 || f.queries[len(f.queries)-1] != "standby=true" {
			t.Errorf("standby read: info %+v, query %q", info, f.queries[len(f.queries)-1])
		}
	}

	if _, _, err := tableclient.Get(ctx, c, "balances", "", newTally); !errors.Is(err, tableclient.ErrEmptyKey) {
		t.Errorf("Get of the empty key: %v", err)
	}
}

func TestScanPages(t *testing.T) {
	f, srv := newFake(t)
	for _, k := range []string{"a1", "a22", "a333", "b1"} { // partitions 2, 3, 0, 2
		f.balances[k] = &testapp.Tally{AccountId: k, Count: int64(len(k))}
	}
	c := tableclient.New(srv.URL)
	ctx := context.Background()

	page1, next, err := tableclient.Scan(ctx, c, "balances", "a", "", 0, newTally)
	if err != nil || next == "" || len(page1) != 2 {
		t.Fatalf("first page: %v, %q, %v", page1, next, err)
	}
	page2, next2, err := tableclient.Scan(ctx, c, "balances", "a", next, 0, newTally)
	if err != nil || next2 != "" || len(page2) != 1 {
		t.Fatalf("second page: %v, %q, %v", page2, next2, err)
	}
	var got []string
	for _, e := range append(page1, page2...) {
		got = append(got, fmt.Sprintf("%d:%s:%d", e.Partition, e.Key, e.Value.GetCount()))
	}
	if want := []string{"0:a333:4", "2:a1:2", "3:a22:3"}; !slices.Equal(got, want) {
		t.Errorf("scan = %v, want %v", got, want)
	}
	if q := f.queries[1]; q != "page_token=after-2&prefix=a" {
		t.Errorf("second page's query %q", q)
	}

	// All reads every page.
	got = nil
	for e, err := range tableclient.All(ctx, c, "balances", "", newTally) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Key)
	}
	if want := []string{"a333", "a1", "b1", "a22"}; !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}

	// A limit over the maximum is sent as the maximum.
	if _, _, err := tableclient.Scan(ctx, c, "balances", "", "", 5000, newTally); err != nil {
		t.Fatal(err)
	}
	if q := f.queries[len(f.queries)-1]; q != "limit=1000" {
		t.Errorf("query %q", q)
	}
}

func TestWindows(t *testing.T) {
	f, srv := newFake(t)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		start := t0.Add(time.Duration(i) * time.Minute)
		f.windows["a1"] = append(f.windows["a1"], window{start, start.Add(time.Minute), &testapp.Tally{MinuteCents: int64(i + 1)}})
	}
	c := tableclient.New(srv.URL)
	ctx := context.Background()

	at := t0.Add(90*time.Second + 123*time.Nanosecond)
	w, found, err := tableclient.WindowAt(ctx, c, "sums", "a1", at, newTally)
	if err != nil || !found || w.Value.GetMinuteCents() != 2 || !w.Start.Equal(t0.Add(time.Minute)) || !w.End.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("WindowAt = %+v, %v, %v", w, found, err)
	}
	if q := f.queries[0]; q != "at=2026-11-30T12%3A01%3A30.000000123Z" {
		t.Errorf("query %q", q)
	}
	w, found, err = tableclient.WindowAt(ctx, c, "sums", "a1", t0.Add(time.Hour), newTally)
	if err != nil || found || w.Value == nil || !w.Start.Equal(t0.Add(time.Hour)) {
		t.Errorf("WindowAt an empty window = %+v, %v, %v", w, found, err)
	}

	ws, err := tableclient.WindowRange(ctx, c, "sums", "a1", t0.Add(time.Minute), t0.Add(3*time.Minute), newTally)
	if err != nil || len(ws) != 2 || ws[0].Value.GetMinuteCents() != 2 || ws[1].Value.GetMinuteCents() != 3 ||
		!ws[1].Start.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("WindowRange = %v, %v", ws, err)
	}
	ws, err = tableclient.WindowRange(ctx, c, "sums", "nobody", t0, t0.Add(time.Hour), newTally)
	if err != nil || len(ws) != 0 {
		t.Errorf("WindowRange of a key without windows = %v, %v", ws, err)
	}
}

func TestErrors(t *testing.T) {
	_, srv := newFake(t)
	c := tableclient.New(srv.URL)
	ctx := context.Background()

	_, _, err := tableclient.Get(ctx, c, "nope", "a1", newTally)
	var e *tableclient.Error
	if !errors.As(err, &e) || e.Status != http.StatusNotFound || e.Message != `unknown table "nope"` || e.Retryable {
		t.Errorf("unknown table: %#v", err)
	}
	_, _, err = tableclient.Scan(ctx, c, "balances", "", "", 0, newTally, tableclient.WithHTTPClient(&http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			rec := httptest.NewRecorder()
			http.Error(rec, "upstream reset", http.StatusBadGateway) // not the protocol's JSON
			return rec.Result(), nil
		}),
	}))
	if !errors.As(err, &e) || e.Status != http.StatusBadGateway || e.Message != "upstream reset" || e.Retryable {
		t.Errorf("plain-text 502: %#v", err)
	}
	if !strings.Contains(err.Error(), "502 Bad Gateway: upstream reset") {
		t.Errorf("message %q", err)
	}
	// A body that is not JSON, with status 200.
	_, _, err = tableclient.Get(ctx, tableclient.New(srv.URL+"/nothing"), "balances", "a1", newTally)
	if !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("unknown path: %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetry(t *testing.T) {
	f, srv := newFake(t)
	f.balances["a1"] = &testapp.Tally{SumCents: 1}
	ctx := context.Background()

	// Retry-After: 1 (second) is cut to the maximum delay.
	f.fail, f.failWith = 2, "1"
	c := tableclient.New(srv.URL, tableclient.WithRetry(3, time.Millisecond))
	v, found, err := tableclient.Get(ctx, c, "balances", "a1", newTally)
	if err != nil || !found || v.GetSumCents() != 1 || len(f.queries) != 3 {
		t.Fatalf("after two 503s: %v, %v, %v; %d requests", v, found, err, len(f.queries))
	}

	// Without Retry-After, too; and the last error is returned when the
	// attempts run out.
	f.fail, f.failWith, f.queries = 5, "", nil
	_, _, err = tableclient.Scan(ctx, c, "balances", "", "", 0, newTally)
	var e *tableclient.Error
	if !errors.As(err, &e) || e.Status != http.StatusServiceUnavailable || !e.Retryable || len(f.queries) != 3 {
		t.Errorf("after 3 503s: %v; %d requests", err, len(f.queries))
	}

	// A per-call option turns retries off.
	f.fail, f.failWith, f.queries = 5, "1", nil
	_, _, err = tableclient.Get(ctx, c, "balances", "a1", newTally, tableclient.WithRetry(1, 0))
	if !errors.As(err, &e) || e.RetryAfter != time.Second || len(f.queries) != 1 {
		t.Errorf("without retries: %v; %d requests", err, len(f.queries))
	}
	f.fail = 0
}

func TestContextCancel(t *testing.T) {
	f, srv := newFake(t)
	f.fail, f.failWith = 100, "3600"
	ctx, cancel := context.WithCancel(context.Background())
	c := tableclient.New(srv.URL, tableclient.WithRetry(10, time.Hour), tableclient.WithHTTPClient(&http.Client{
		Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
			resp, err := http.DefaultTransport.RoundTrip(r)
			cancel() // while the client waits to retry
			return resp, err
		}),
	}))
	_, _, err := tableclient.Get(ctx, c, "balances", "a1", newTally)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}

	// A context canceled before the call.
	_, _, err = tableclient.Scan(ctx, tableclient.New(srv.URL), "balances", "", "", 0, newTally)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestKeyEscaping(t *testing.T) {
	f, srv := newFake(t)
	keys := []string{"a/b", "a b", "ключ", "ü/ 😀?#%+&=", "..", "windows"}
	for _, k := range keys {
		f.balances[k] = &testapp.Tally{AccountId: k}
	}
	c := tableclient.New(srv.URL + "/") // a trailing slash is fine
	for i, k := range keys {
		v, found, err := tableclient.Get(context.Background(), c, "balances", k, newTally)
		if err != nil || !found || v.GetAccountId() != k {
			t.Errorf("Get(%q) = %v, %v, %v", k, v, found, err)
		}
		want := "/tables/balances/keys/" + url(k)
		if k == ".." {
			want = "/tables/balances/keys/%2E%2E"
		}
		if f.paths[i] != want {
			t.Errorf("path %q, want %q", f.paths[i], want)
		}
	}
}

// url is url.PathEscape, spelled out for the test's keys.
func url(key string) string {
	var b strings.Builder
	for _, c := range []byte(key) {
		if c >= 'a' && c <= 'z' || c == '.' || c == '+' || c == '&' || c == '=' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://10.0.0.7:6066/": "http://10.0.0.7:6066",
		"10.0.0.7:6066":         "http://10.0.0.7:6066",
		":6066":                 "http://localhost:6066",
		"https://x.example/app": "https://x.example/app",
	} {
		if got := tableclient.New(in).BaseURL(); got != want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", in, got, want)
		}
	}
}
