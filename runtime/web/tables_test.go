package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/tableclient"
	"github.com/streamgen/streamgen/runtime/web"
)

// memTables serves the partitions it holds; owner is the base URL it
// names for the others ("" for none).
type memTables struct {
	table *runtime.TableDesc
	held  map[int32]map[string][]byte
	mu    sync.Mutex // guards owner and asked
	owner string
	asked int
}

func (m *memTables) Table(name string) (*runtime.TableDesc, bool) {
	return m.table, name == m.table.Name
}

func (m *memTables) Get(t *runtime.TableDesc, p int32, key []byte, standby bool) (web.TableValue, error) {
	kv, ok := m.held[p]
	if !ok {
		return web.TableValue{}, web.ErrNotHere
	}
	v, found := kv[string(key)]
	return web.TableValue{Found: found, Value: v, Source: "active"}, nil
}

func (m *memTables) Scan(t *runtime.TableDesc, p int32, prefix, after []byte, limit int, standby bool) ([]web.TableEntry, bool, error) {
	kv, ok := m.held[p]
	if !ok {
		return nil, false, web.ErrNotHere
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		if strings.HasPrefix(k, string(prefix)) && (after == nil || k > string(after)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []web.TableEntry
	for i, k := range keys {
		if i == limit {
			return out, true, nil
		}
		out = append(out, web.TableEntry{Key: []byte(k), Value: kv[k]})
	}
	return out, false, nil
}

func (m *memTables) Windows(t *runtime.TableDesc, p int32, key []byte, from, to time.Time, standby bool) ([]web.TableWindow, web.TableValue, error) {
	return nil, web.TableValue{}, web.ErrNotHere
}

func (m *memTables) Owner(ctx context.Context, t *runtime.TableDesc, p int32) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.asked++
	return m.owner, nil
}

func tablesServer(t *testing.T, tables web.Tables) *httptest.Server {
	t.Helper()
	s := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger()})
	s.HandleTables(tables)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs
}

// TestTableRoutes: a worker that does not hold the key's
// partition forwards the request to the owner once; the owner's answer
// (protojson of the value) comes back. A request already forwarded is
// never forwarded again: it gets a retryable 503 with Retry-After, as does
// a partition without an owner.
func TestTableRoutes(t *testing.T) {
	var td *runtime.TableDesc
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	for _, ag := range app.Agents() {
		for _, x := range ag.Desc.Tables {
			if x.Name == testapp.LedgerTalliesTableName {
				td = x
			}
		}
	}
	key := "acct-1"
	p := runtime.Partition([]byte(key), td.Changelog.Partitions)
	v, _ := proto.Marshal(&testapp.Tally{AccountId: key, Count: 7})
	owner := &memTables{table: td, held: map[int32]map[string][]byte{p: {key: v}}}
	ownerSrv := tablesServer(t, owner)
	other := &memTables{table: td, held: map[int32]map[string][]byte{}, owner: ownerSrv.URL}
	otherSrv := tablesServer(t, other)

	get := func(u string, hdr map[string]string) (int, http.Header, string) {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	path := "/tables/" + td.Name + "/keys/" + key

	st, _, body := get(otherSrv.URL+path, nil)
	var a struct {
		Found bool `json:"found"`
		Value struct {
			Count string `json:"count"`
		} `json:"value"`
		Partition int32 `json:"partition"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil || st != http.StatusOK || !a.Found || a.Value.Count != "7" || a.Partition != p {
		t.Errorf("forwarded get: %d %s (%v); want 200 found count 7 partition %d", st, body, err, p)
	}
	other.mu.Lock()
	asked := other.asked
	other.mu.Unlock()
	if asked != 1 {
		t.Errorf("the non-owner looked up the owner %d times, want 1", asked)
	}

	st, hdr, body := get(otherSrv.URL+path, map[string]string{web.ForwardedHeader: "1"})
	if st != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, `"retryable":true`) {
		t.Errorf("already forwarded: %d %v %s; want a retryable 503 with Retry-After", st, hdr, body)
	}
	other.mu.Lock()
	other.owner = ""
	other.mu.Unlock()
	if st, _, body := get(otherSrv.URL+path, nil); st != http.StatusServiceUnavailable || !strings.Contains(body, "no owner") {
		t.Errorf("no owner: %d %s; want a retryable 503", st, body)
	}
	if st, _, _ := get(ownerSrv.URL+"/tables/"+td.Name+"/keys?page_token=not-a-token", nil); st != http.StatusBadRequest {
		t.Errorf("bad page token: %d, want 400", st)
	}
	if st, _, _ := get(ownerSrv.URL+"/tables/"+td.Name+"/keys?limit=5000", nil); st != http.StatusBadRequest {
		t.Errorf("limit 5000: %d, want 400", st)
	}
	if st, _, _ := get(ownerSrv.URL+"/tables/nope/keys/x", nil); st != http.StatusNotFound {
		t.Errorf("unknown table: %d, want 404", st)
	}
	if st, _, body := get(ownerSrv.URL+"/tables/"+td.Name+"/keys/"+key+"/windows?at=2026-01-01T00:00:00Z", nil); st != http.StatusBadRequest || !strings.Contains(body, "not windowed") {
		t.Errorf("windows of a key-value table: %d %s, want 400", st, body)
	}
}

// TestTableScanPages: a scan pages through every partition in order and
// returns every key with the prefix once, whatever the page size: pages
// that end exactly at a partition's last key, empty partitions, the empty
// key; a token used with another prefix, or naming a partition the table
// does not have, is refused.
func TestTableScanPages(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	var td *runtime.TableDesc
	for _, ag := range app.Agents() {
		for _, x := range ag.Desc.Tables {
			if x.Name == testapp.LedgerTalliesTableName {
				td = x
			}
		}
	}
	held := map[int32]map[string][]byte{}
	for p := range td.Changelog.Partitions {
		held[p] = map[string][]byte{}
	}
	want := map[string]bool{}
	for _, k := range []string{"", "a", "a1", "a2", "a3", "ab", "b", "a/x", "a.b", "añ"} {
		v, _ := proto.Marshal(&testapp.Tally{AccountId: k})
		held[runtime.Partition([]byte(k), td.Changelog.Partitions)][k] = v
		if strings.HasPrefix(k, "a") {
			want[k] = true
		}
	}
	srv := tablesServer(t, &memTables{table: td, held: held})
	for limit := 1; limit <= 11; limit++ {
		got := map[string]int{}
		token := ""
		for pages := 0; ; pages++ {
			var page tableclient.ScanResponse
			u := srv.URL + "/tables/" + td.Name + "/keys?prefix=a&limit=" + strconv.Itoa(limit) + "&page_token=" + url.QueryEscape(token)
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("limit %d page %d: %d %v", limit, pages, resp.StatusCode, err)
			}
			if len(page.Entries) > limit {
				t.Errorf("limit %d: a page of %d", limit, len(page.Entries))
			}
			for _, e := range page.Entries {
				got[e.Key]++
			}
			if token = page.NextPageToken; token == "" || pages > 40 {
				break
			}
		}
		for k := range want {
			if got[k] != 1 {
				t.Errorf("limit %d: key %q returned %d times", limit, k, got[k])
			}
		}
		if len(got) != len(want) {
			t.Errorf("limit %d: %d keys, want %d: %v", limit, len(got), len(want), got)
		}
	}
	// A token for prefix a, used with prefix b; a partition out of range.
	var first tableclient.ScanResponse
	resp, _ := http.Get(srv.URL + "/tables/" + td.Name + "/keys?prefix=a&limit=1")
	_ = json.NewDecoder(resp.Body).Decode(&first)
	resp.Body.Close()
	for _, u := range []string{
		"/tables/" + td.Name + "/keys?prefix=b&page_token=" + url.QueryEscape(first.NextPageToken),
		"/tables/" + td.Name + "/keys?page_token=" + base64.RawURLEncoding.EncodeToString([]byte(`{"p":-1}`)),
		"/tables/" + td.Name + "/keys?page_token=" + base64.RawURLEncoding.EncodeToString([]byte(`{"p":99}`)),
	} {
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", u, resp.StatusCode)
		}
	}
}
