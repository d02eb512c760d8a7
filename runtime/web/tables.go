package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/tableclient"
)

// Table queries: every table of an app, read by key over plain HTTP/JSON
// from any worker. The wire protocol and its JSON bodies are package
// tableclient's (the generated typed clients use it); the routes encode
// the same types. A request for a key whose partition
// another worker owns is forwarded to that worker once (header
// ForwardedHeader); during a rebalance or restore the answer is a 503
// with Retry-After and "retryable": true, never a value from a store that
// is not the partition's (a standby answers only when the request says
// standby=true, and then it says how far behind it is).

// ForwardedHeader marks a table request forwarded by another worker: it
// is answered from local stores or refused as retryable, never forwarded
// again (so ownership that moves mid-request cannot loop).
const ForwardedHeader = "X-Streamgen-Forwarded"

// MaxWindows is the most windows a range read returns; a wider range is
// answered 400.
const MaxWindows = 1000

// ErrNotHere is what Tables returns for a partition this worker does not
// serve (not owned, or still restoring).
var ErrNotHere = errors.New("streamgen web: the partition is not served by this worker")

// Tables is what a worker gives the table routes: reads of the table
// partitions it serves and where the others are. Every method may be
// called from many goroutines at once.
type Tables interface {
	// Table returns the app's table called name.
	Table(name string) (*runtime.TableDesc, bool)
	// Get reads key of partition of table: from the partition's active
	// store, or, when standby is set and this worker keeps a standby of it,
	// from the standby; global tables from the local copy. ErrNotHere when
	// neither is here.
	Get(t *runtime.TableDesc, partition int32, key []byte, standby bool) (TableValue, error)
	// Scan returns up to limit keys of partition of table that start with
	// prefix and sort after after (all when after is nil), in key order,
	// with their values; more says whether keys are left. ErrNotHere as
	// for Get.
	Scan(t *runtime.TableDesc, partition int32, prefix, after []byte, limit int, standby bool) (entries []TableEntry, more bool, err error)
	// Windows returns the windows of key in partition of a windowed table
	// starting in [from, to), oldest first; it may stop after
	// MaxWindows+1 of them. ErrNotHere as for Get.
	Windows(t *runtime.TableDesc, partition int32, key []byte, from, to time.Time, standby bool) ([]TableWindow, TableValue, error)
	// Owner returns the HTTP base URL ("http://host:port") of the worker
	// that owns partition of table, "" when no worker does right now
	// (rebalancing).
	Owner(ctx context.Context, t *runtime.TableDesc, partition int32) (string, error)
}

// TableValue is how a read was answered: Source is "active", "standby" or
// "global"; LagRecords is, for a standby, how many changelog records it
// has not applied yet (-1 unknown).
type TableValue struct {
	Found      bool
	Value      []byte
	Source     string
	LagRecords int64
}

// TableEntry is one key of a scan and its value (the protobuf encoding of
// the table's value message).
type TableEntry struct {
	Key, Value []byte
}

// TableWindow is one window of a key and its value.
type TableWindow struct {
	Start time.Time
	// End is a session's last event; zero for other windows, whose end is
	// Start plus their size.
	End   time.Time
	Value []byte
}

// HandleTables mounts the table routes on the server:
//
//	GET /tables/{table}/keys/{key}[?standby=true]
//	GET /tables/{table}/keys?prefix=&limit=&page_token=[&standby=true]
//	GET /tables/{table}/keys/{key}/windows?at=|from=&to=
//	GET /tables/{table}/partitions/{partition}/keys?prefix=&after=&limit=   (one partition; workers use it to scan each other's)
func (s *Server) HandleTables(t Tables) {
	q := &tableRoutes{t: t, client: &http.Client{Timeout: 10 * time.Second}}
	s.Handle("GET /tables/{table}/keys/{key}", http.HandlerFunc(q.get))
	s.Handle("GET /tables/{table}/keys", http.HandlerFunc(q.scan))
	s.Handle("GET /tables/{table}/keys/{key}/windows", http.HandlerFunc(q.windows))
	s.Handle("GET /tables/{table}/partitions/{partition}/keys", http.HandlerFunc(q.partitionScan))
}

type tableRoutes struct {
	t      Tables
	client *http.Client // forwards to owners
}

func tableFail(w http.ResponseWriter, status int, retryable bool, format string, args ...any) {
	if retryable {
		w.Header().Set("Retry-After", "1")
	}
	tableJSON(w, status, tableclient.ErrorResponse{Error: fmt.Sprintf(format, args...), Retryable: retryable})
}

func tableJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// table resolves the request's table, or answers 404.
func (q *tableRoutes) table(w http.ResponseWriter, r *http.Request) (*runtime.TableDesc, bool) {
	name := r.PathValue("table")
	td, ok := q.t.Table(name)
	if !ok {
		tableFail(w, http.StatusNotFound, false, "no table %q in this app", name)
	}
	return td, ok
}

// scannable resolves the request's table for a scan: windowed tables are
// read per key (their store keys are window keys), answered 400.
func (q *tableRoutes) scannable(w http.ResponseWriter, r *http.Request) (*runtime.TableDesc, bool) {
	td, ok := q.table(w, r)
	if ok && td.Window != nil {
		tableFail(w, http.StatusBadRequest, false, "table %q is windowed: read a key's windows with GET /tables/%s/keys/{key}/windows?from=&to=", td.Name, td.Name)
		return nil, false
	}
	return td, ok
}

// partitions is how many partitions td has: its changelog's, or, for a
// global table (every worker holds all of them), its source topic's.
func partitions(td *runtime.TableDesc) int32 {
	switch {
	case td.Changelog != nil:
		return td.Changelog.Partitions
	case td.Source != nil:
		return td.Source.Partitions
	}
	return 1
}

// partitionOf is the partition of key in td.
func partitionOf(td *runtime.TableDesc, key []byte) int32 {
	return runtime.Partition(key, partitions(td))
}

// value renders a stored value as protojson of the table's message.
func value(td *runtime.TableDesc, raw []byte) (json.RawMessage, error) {
	m := td.New()
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("stored value does not decode as %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
	}
	b, err := protojson.Marshal(m)
	return b, err
}

// notHere answers a request for a partition not served here: forwarded
// once to its owner, or refused as retryable.
func (q *tableRoutes) notHere(w http.ResponseWriter, r *http.Request, td *runtime.TableDesc, partition int32) {
	if r.Header.Get(ForwardedHeader) != "" {
		tableFail(w, http.StatusServiceUnavailable, true, "partition %d of table %q moved from this worker (rebalance); retry", partition, td.Name)
		return
	}
	owner, err := q.t.Owner(r.Context(), td, partition)
	if err != nil || owner == "" {
		tableFail(w, http.StatusServiceUnavailable, true, "partition %d of table %q has no owner right now (rebalance or restore); retry", partition, td.Name)
		return
	}
	q.forward(w, r, owner)
}

// forward sends the request to base and copies the answer back.
func (q *tableRoutes) forward(w http.ResponseWriter, r *http.Request, base string) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, base+r.URL.RequestURI(), nil)
	if err != nil {
		tableFail(w, http.StatusBadGateway, true, "forwarding to %s: %v", base, err)
		return
	}
	req.Header.Set(ForwardedHeader, "1")
	resp, err := q.client.Do(req)
	if err != nil {
		tableFail(w, http.StatusServiceUnavailable, true, "the partition's owner %s is unreachable: %v; retry", base, err)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, 64<<20))
}

// key returns the request's key, or answers 400: keys are strings in the
// schema (a key field, or the record key as text), so valid UTF-8.
func requestKey(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	k := r.PathValue("key")
	if !utf8.ValidString(k) {
		tableFail(w, http.StatusBadRequest, false, "key %q is not valid UTF-8: table keys are strings; escape the key's UTF-8 bytes with percent-encoding", k)
		return nil, false
	}
	return []byte(k), true
}

func (q *tableRoutes) get(w http.ResponseWriter, r *http.Request) {
	td, ok := q.table(w, r)
	if !ok {
		return
	}
	key, ok := requestKey(w, r)
	if !ok {
		return
	}
	p := partitionOf(td, key)
	standby := r.URL.Query().Get("standby") == "true"
	v, err := q.t.Get(td, p, key, standby)
	switch {
	case errors.Is(err, ErrNotHere):
		q.notHere(w, r, td, p)
		return
	case err != nil:
		tableFail(w, http.StatusInternalServerError, false, "reading table %q: %v", td.Name, err)
		return
	}
	a := tableclient.KeyResponse{Table: td.Name, Key: string(key), Partition: p, Found: v.Found, Source: tableclient.Source(v.Source), LagRecords: v.LagRecords}
	if v.Found {
		if a.Value, err = value(td, v.Value); err != nil {
			tableFail(w, http.StatusInternalServerError, false, "table %q key %q: %v", td.Name, key, err)
			return
		}
	}
	tableJSON(w, http.StatusOK, a)
}

// partitionAnswer is the body of the one-partition scan route: a scan's
// page, and whether the partition has keys left.
type partitionAnswer struct {
	tableclient.ScanResponse
	More bool `json:"more,omitempty"`
}

// pageToken is where the next page of a scan starts: a partition and the
// last key returned in it (H: there is one; it may be the empty key), for
// the prefix the scan was made with.
type pageToken struct {
	P      int32  `json:"p"`
	After  []byte `json:"a,omitempty"`
	H      bool   `json:"h,omitempty"`
	Prefix string `json:"x,omitempty"`
}

func scanLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, fmt.Errorf("limit %q: use 1 to 1000", s)
	}
	return n, nil
}

// scan pages through every partition of a table in partition order,
// reading each partition here or from its owner.
func (q *tableRoutes) scan(w http.ResponseWriter, r *http.Request) {
	td, ok := q.scannable(w, r)
	if !ok {
		return
	}
	limit, err := scanLimit(r)
	if err != nil {
		tableFail(w, http.StatusBadRequest, false, "%v", err)
		return
	}
	prefix := []byte(r.URL.Query().Get("prefix"))
	standby := r.URL.Query().Get("standby") == "true"
	parts := partitions(td)
	var tok pageToken
	if s := r.URL.Query().Get("page_token"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err == nil {
			err = json.Unmarshal(b, &tok)
		}
		if err == nil && (tok.P < 0 || tok.P >= parts || tok.Prefix != string(prefix)) {
			err = errors.New("out of range")
		}
		if err != nil {
			tableFail(w, http.StatusBadRequest, false, "page_token %q is not one this API returned for this table and prefix", s)
			return
		}
	}
	out := tableclient.ScanResponse{Entries: []tableclient.ScanEntry{}}
	for p := tok.P; p < parts && len(out.Entries) < limit; p++ {
		var after []byte
		if p == tok.P && tok.H {
			after = append([]byte{}, tok.After...) // non-nil, even for the empty key
		}
		entries, more, status, err := q.scanPartition(r, td, p, prefix, after, limit-len(out.Entries), standby)
		if err != nil {
			tableFail(w, status, status == http.StatusServiceUnavailable, "%v", err)
			return
		}
		out.Entries = append(out.Entries, entries...)
		if more || (len(out.Entries) == limit && p+1 < parts) {
			next := pageToken{P: p, Prefix: string(prefix)}
			switch {
			case !more:
				next.P = p + 1
			case len(entries) > 0:
				next.After, next.H = []byte(entries[len(entries)-1].Key), true
			default:
				next.After, next.H = after, after != nil
			}
			b, _ := json.Marshal(next)
			out.NextPageToken = base64.RawURLEncoding.EncodeToString(b)
			break
		}
	}
	tableJSON(w, http.StatusOK, out)
}

// scanPartition reads one partition's page: here, or from its owner's
// one-partition route. On failure it returns the status to answer.
func (q *tableRoutes) scanPartition(r *http.Request, td *runtime.TableDesc, p int32, prefix, after []byte, limit int, standby bool) ([]tableclient.ScanEntry, bool, int, error) {
	entries, more, err := q.t.Scan(td, p, prefix, after, limit, standby)
	if err == nil {
		out := make([]tableclient.ScanEntry, 0, len(entries))
		for _, e := range entries {
			v, err := value(td, e.Value)
			if err != nil {
				return nil, false, http.StatusInternalServerError, fmt.Errorf("table %q key %q: %w", td.Name, e.Key, err)
			}
			out = append(out, tableclient.ScanEntry{Key: string(e.Key), Partition: p, Value: v})
		}
		return out, more, 0, nil
	}
	if !errors.Is(err, ErrNotHere) {
		return nil, false, http.StatusInternalServerError, fmt.Errorf("scanning table %q: %w", td.Name, err)
	}
	if r.Header.Get(ForwardedHeader) != "" {
		return nil, false, http.StatusServiceUnavailable, fmt.Errorf("partition %d of table %q moved from this worker (rebalance); retry", p, td.Name)
	}
	owner, err := q.t.Owner(r.Context(), td, p)
	if err != nil || owner == "" {
		return nil, false, http.StatusServiceUnavailable, fmt.Errorf("partition %d of table %q has no owner right now (rebalance or restore); retry", p, td.Name)
	}
	v := url.Values{"prefix": {string(prefix)}, "limit": {strconv.Itoa(limit)}}
	if after != nil {
		v.Set("after", string(after))
	}
	if standby {
		v.Set("standby", "true")
	}
	u := fmt.Sprintf("%s/tables/%s/partitions/%d/keys?%s", owner, url.PathEscape(td.Name), p, v.Encode())
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return nil, false, http.StatusBadGateway, err
	}
	req.Header.Set(ForwardedHeader, "1")
	resp, err := q.client.Do(req)
	if err != nil {
		return nil, false, http.StatusServiceUnavailable, fmt.Errorf("the owner %s of partition %d is unreachable: %v; retry", owner, p, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var te tableclient.ErrorResponse
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&te)
		return nil, false, resp.StatusCode, fmt.Errorf("partition %d from %s: %s", p, owner, te.Error)
	}
	var a partitionAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&a); err != nil {
		return nil, false, http.StatusBadGateway, fmt.Errorf("partition %d from %s: %v", p, owner, err)
	}
	return a.Entries, a.More, 0, nil
}

// partitionScan answers one partition's page from local stores only.
func (q *tableRoutes) partitionScan(w http.ResponseWriter, r *http.Request) {
	td, ok := q.scannable(w, r)
	if !ok {
		return
	}
	p64, err := strconv.ParseInt(r.PathValue("partition"), 10, 32)
	if err != nil || p64 < 0 {
		tableFail(w, http.StatusBadRequest, false, "partition %q is not a partition number", r.PathValue("partition"))
		return
	}
	limit, err := scanLimit(r)
	if err != nil {
		tableFail(w, http.StatusBadRequest, false, "%v", err)
		return
	}
	qv := r.URL.Query()
	var after []byte
	if qv.Has("after") {
		after = []byte(qv.Get("after")) // possibly the empty key
	}
	entries, more, err := q.t.Scan(td, int32(p64), []byte(qv.Get("prefix")), after, limit, qv.Get("standby") == "true")
	if errors.Is(err, ErrNotHere) {
		tableFail(w, http.StatusServiceUnavailable, true, "partition %d of table %q is not served by this worker (rebalance); retry", p64, td.Name)
		return
	}
	if err != nil {
		tableFail(w, http.StatusInternalServerError, false, "scanning table %q: %v", td.Name, err)
		return
	}
	out := partitionAnswer{ScanResponse: tableclient.ScanResponse{Entries: make([]tableclient.ScanEntry, 0, len(entries))}, More: more}
	for _, e := range entries {
		v, err := value(td, e.Value)
		if err != nil {
			tableFail(w, http.StatusInternalServerError, false, "table %q key %q: %v", td.Name, e.Key, err)
			return
		}
		out.Entries = append(out.Entries, tableclient.ScanEntry{Key: string(e.Key), Partition: int32(p64), Value: v})
	}
	tableJSON(w, http.StatusOK, out)
}

func (q *tableRoutes) windows(w http.ResponseWriter, r *http.Request) {
	td, ok := q.table(w, r)
	if !ok {
		return
	}
	if td.Window == nil {
		tableFail(w, http.StatusBadRequest, false, "table %q is not windowed: read it with GET /tables/%s/keys/{key}", td.Name, td.Name)
		return
	}
	key, ok := requestKey(w, r)
	if !ok {
		return
	}
	p := partitionOf(td, key)
	qv := r.URL.Query()
	parse := func(name string) (time.Time, bool) {
		t, err := time.Parse(time.RFC3339Nano, qv.Get(name))
		if err != nil {
			tableFail(w, http.StatusBadRequest, false, "%s=%q: use an RFC 3339 time, e.g. 2026-11-30T12:00:00Z", name, qv.Get(name))
			return time.Time{}, false
		}
		return t, true
	}
	spec := td.Window
	var from, to, at time.Time
	if qv.Has("at") {
		if at, ok = parse("at"); !ok {
			return
		}
		// The window a handler's read at `at` returns (runtime.WindowSpec
		// ReadStart: the newest window containing it; for sliding
		// windows the one that ends first after it), stored or not. For
		// session windows, the session containing at.
		from = at
		if !spec.Session() {
			from = spec.ReadStart(at)
		}
		to = from.Add(time.Millisecond)
	} else {
		if from, ok = parse("from"); !ok {
			return
		}
		if to, ok = parse("to"); !ok {
			return
		}
		if !from.Before(to) {
			tableFail(w, http.StatusBadRequest, false, "from %s is not before to %s", from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
			return
		}
	}
	ws, _, err := q.t.Windows(td, p, key, from, to, qv.Get("standby") == "true")
	if errors.Is(err, ErrNotHere) {
		q.notHere(w, r, td, p)
		return
	}
	if err != nil {
		tableFail(w, http.StatusInternalServerError, false, "reading windows of table %q: %v", td.Name, err)
		return
	}
	if !qv.Has("at") {
		if len(ws) > MaxWindows {
			tableFail(w, http.StatusBadRequest, false, "%d windows of key %q start in [%s, %s); ask for at most %d at a time (a shorter range)",
				len(ws), key, from.Format(time.RFC3339), to.Format(time.RFC3339), MaxWindows)
			return
		}
		out := tableclient.WindowsResponse{Windows: []tableclient.WindowEntry{}}
		for _, win := range ws {
			v, err := value(td, win.Value)
			if err != nil {
				tableFail(w, http.StatusInternalServerError, false, "%v", err)
				return
			}
			out.Windows = append(out.Windows, tableclient.WindowEntry{Start: win.Start, End: windowEnd(spec, win), Value: v})
		}
		tableJSON(w, http.StatusOK, out)
		return
	}
	a := tableclient.WindowResponse{Table: td.Name, Key: string(key), Partition: p, Start: from, End: from.Add(spec.Size)}
	if len(ws) > 0 {
		v, err := value(td, ws[0].Value)
		if err != nil {
			tableFail(w, http.StatusInternalServerError, false, "%v", err)
			return
		}
		a.Found, a.Value = true, v
		a.Start, a.End = ws[0].Start, windowEnd(spec, ws[0])
	}
	tableJSON(w, http.StatusOK, a)
}

// windowEnd returns when win ends: a session's last event, or its start
// plus the windows' size.
func windowEnd(spec *runtime.WindowSpec, win TableWindow) time.Time {
	if !win.End.IsZero() {
		return win.End
	}
	return win.Start.Add(spec.Size)
}
