package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/web"
)

// memTables serves the partitions it holds; owner is the base URL it
// names for the others ("" for none).
type memTables struct {
	table *runtime.TableDesc
	held  map[int32]map[string][]byte
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
	return nil, false, web.ErrNotHere
}

func (m *memTables) Windows(t *runtime.TableDesc, p int32, key []byte, from, to time.Time, standby bool) ([]web.TableWindow, web.TableValue, error) {
	return nil, web.TableValue{}, web.ErrNotHere
}

func (m *memTables) Owner(ctx context.Context, t *runtime.TableDesc, p int32) (string, error) {
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
	if other.asked != 1 {
		t.Errorf("the non-owner looked up the owner %d times, want 1", other.asked)
	}

	st, hdr, body := get(otherSrv.URL+path, map[string]string{web.ForwardedHeader: "1"})
	if st != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, `"retryable":true`) {
		t.Errorf("already forwarded: %d %v %s; want a retryable 503 with Retry-After", st, hdr, body)
	}
	other.owner = ""
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
