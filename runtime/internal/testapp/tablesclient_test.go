package testapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/tableclient"
)

// TestGeneratedTablesClient reads every kind of table through the
// generated clients, from a server of the wire protocol that holds fixed
// values.
func TestGeneratedTablesClient(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	raw := func(m proto.Message) json.RawMessage {
		b, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		// A field the client does not know is skipped.
		return append(json.RawMessage(`{"fieldFromTheFuture":1,`), b[1:]...)
	}
	mux := http.NewServeMux()
	serve := func(pattern string, body any) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := json.NewEncoder(w).Encode(body); err != nil {
				t.Error(err)
			}
		})
	}
	serve("GET /tables/tallies/keys/a%2F1", tableclient.KeyResponse{Table: "tallies", Key: "a/1", Partition: 1, Found: true,
		Value: raw(&testapp.Tally{AccountId: "a/1", Count: 2}), Source: tableclient.SourceActive})
	serve("GET /tables/tallies/keys", tableclient.ScanResponse{Entries: []tableclient.ScanEntry{
		{Key: "a/1", Partition: 1, Value: raw(&testapp.Tally{Count: 2})},
		{Key: "b", Partition: 3, Value: raw(&testapp.Tally{Count: 5})},
	}})
	serve("GET /tables/limits/keys/a1", tableclient.KeyResponse{Table: "limits", Key: "a1", Found: true,
		Value: raw(&testapp.Limit{MaxCents: 100}), Source: tableclient.SourceGlobal})
	serve("GET /tables/balances/keys/a1", tableclient.KeyResponse{Table: "balances", Key: "a1", Partition: 2, Source: tableclient.SourceActive})
	mux.HandleFunc("GET /tables/minute-sums/keys/a1/windows", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("at") {
			_ = json.NewEncoder(w).Encode(tableclient.WindowResponse{Table: "minute-sums", Key: "a1", Found: true,
				Start: t0, End: t0.Add(time.Minute), Value: raw(&testapp.Tally{MinuteCents: 7})})
			return
		}
		_ = json.NewEncoder(w).Encode(tableclient.WindowsResponse{Windows: []tableclient.WindowEntry{
			{Start: t0, End: t0.Add(time.Minute), Value: raw(&testapp.Tally{MinuteCents: 7})},
			{Start: t0.Add(time.Minute), End: t0.Add(2 * time.Minute), Value: raw(&testapp.Tally{MinuteCents: 8})},
		}})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	ledger := testapp.NewLedgerTablesClient(srv.URL)
	tally, found, err := ledger.GetTallies(ctx, "a/1")
	if err != nil || !found || tally.GetCount() != 2 || tally.GetAccountId() != "a/1" {
		t.Errorf("GetTallies = %v, %v, %v", tally, found, err)
	}
	entries, next, err := ledger.ScanTallies(ctx, "", "", 0)
	if err != nil || next != "" || len(entries) != 2 || entries[1].Key != "b" || entries[1].Value.GetCount() != 5 {
		t.Errorf("ScanTallies = %v, %q, %v", entries, next, err)
	}
	var sum int64
	for e, err := range ledger.AllTallies(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		sum += e.Value.GetCount()
	}
	if sum != 7 {
		t.Errorf("AllTallies sum %d, want 7", sum)
	}
	var info tableclient.Info
	limit, found, err := ledger.GetLimits(ctx, "a1", tableclient.WithInfo(&info))
	if err != nil || !found || limit.GetMaxCents() != 100 || info.Source != tableclient.SourceGlobal {
		t.Errorf("GetLimits = %v, %v, %v, %+v", limit, found, err, info)
	}
	w, found, err := ledger.MinuteSumsAt(ctx, "a1", t0.Add(30*time.Second))
	if err != nil || !found || w.Value.GetMinuteCents() != 7 || !w.Start.Equal(t0) || !w.End.Equal(t0.Add(time.Minute)) {
		t.Errorf("MinuteSumsAt = %+v, %v, %v", w, found, err)
	}
	ws, err := ledger.MinuteSumsRange(ctx, "a1", t0, t0.Add(time.Hour))
	if err != nil || len(ws) != 2 || ws[1].Value.GetMinuteCents() != 8 {
		t.Errorf("MinuteSumsRange = %v, %v", ws, err)
	}

	shop := testapp.NewShopTablesClient(srv.URL)
	balance, found, err := shop.GetBalances(ctx, "a1")
	if err != nil || found || balance == nil || proto.Size(balance) != 0 {
		t.Errorf("GetBalances of a key without a value = %v, %v, %v", balance, found, err)
	}
	_, _, err = testapp.NewNotesTablesClient(srv.URL).GetJournals(ctx, "a1")
	var e *tableclient.Error
	if !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("GetJournals from a server without the table: %v", err)
	}
}
