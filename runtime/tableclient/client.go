package tableclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// MaxLimit is the most keys one Scan page holds; a larger limit is sent as
// MaxLimit.
const MaxLimit = 1000

// Client reads the tables of the workers at one base URL. It is safe for
// concurrent use. Read with the generic functions Get, Scan, All, WindowAt
// and WindowRange, or with a generated typed client that wraps one.
type Client struct {
	base string
	cfg  config
}

// New returns a client of the worker at baseURL: its HTTP address, with or
// without a scheme ("10.0.0.7:6066" is http://10.0.0.7:6066, ":6066" is
// http://localhost:6066), and possibly a path prefix.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{base: normalize(baseURL), cfg: defaultConfig()}
	for _, o := range opts {
		o.apply(&c.cfg)
	}
	return c
}

// BaseURL returns the base URL requests go to.
func (c *Client) BaseURL() string { return c.base }

func normalize(base string) string {
	if !strings.Contains(base, "://") {
		if strings.HasPrefix(base, ":") {
			base = "localhost" + base
		}
		base = "http://" + base
	}
	return strings.TrimRight(base, "/")
}

// Info is where the answer of a read came from; WithInfo stores it.
type Info struct {
	// Partition is the key's partition.
	Partition int32
	// Source is the replica that answered (Get only).
	Source Source
	// LagRecords is how many changelog records a standby that answered is
	// behind (Get only).
	LagRecords int64
}

// Entry is one key of a table and its value, from a scan.
type Entry[V proto.Message] struct {
	// Key is the table key.
	Key string
	// Partition is the key's partition.
	Partition int32
	// Value is the key's value.
	Value V
}

// Window is one window of a key of a windowed table.
type Window[V proto.Message] struct {
	// Start is when the window starts (inclusive).
	Start time.Time
	// End is when the window ends (exclusive).
	End time.Time
	// Value is the window's value.
	Value V
}

// Get reads key of table into a new value from newValue. found is false
// when the key has no value; value is then newValue() as it is.
func Get[V proto.Message](ctx context.Context, c *Client, table, key string, newValue func() V, opts ...Option) (value V, found bool, err error) {
	var zero V
	if key == "" {
		return zero, false, ErrEmptyKey
	}
	cfg := c.config(opts)
	q := url.Values{}
	if cfg.standby {
		q.Set("standby", "true")
	}
	var r KeyResponse
	if err := c.get(ctx, &cfg, keyPath(table, key), q, &r); err != nil {
		return zero, false, err
	}
	if cfg.info != nil {
		*cfg.info = Info{Partition: r.Partition, Source: r.Source, LagRecords: r.LagRecords}
	}
	v := newValue()
	if r.Found {
		if err := decodeValue(r.Value, v); err != nil {
			return zero, false, fmt.Errorf("tableclient: table %q key %q: %w", table, key, err)
		}
	}
	return v, r.Found, nil
}

// Scan reads one page of the keys of table that start with prefix (every
// key for ""), across all partitions in partition order, keys in byte
// order within a partition. pageToken is "" for the first page, then the
// next of the previous page; next is "" after the last page. limit caps
// the page's length: 0 for the server's default (100), at most MaxLimit.
func Scan[V proto.Message](ctx context.Context, c *Client, table, prefix, pageToken string, limit int, newValue func() V, opts ...Option) (entries []Entry[V], next string, err error) {
	cfg := c.config(opts)
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(min(limit, MaxLimit)))
	}
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	if cfg.standby {
		q.Set("standby", "true")
	}
	var r ScanResponse
	if err := c.get(ctx, &cfg, tablePath(table)+"/keys", q, &r); err != nil {
		return nil, "", err
	}
	entries = make([]Entry[V], len(r.Entries))
	for i, e := range r.Entries {
		v := newValue()
		if err := decodeValue(e.Value, v); err != nil {
			return nil, "", fmt.Errorf("tableclient: table %q key %q: %w", table, e.Key, err)
		}
		entries[i] = Entry[V]{Key: e.Key, Partition: e.Partition, Value: v}
	}
	return entries, r.NextPageToken, nil
}

// All iterates over the keys of table that start with prefix, as Scan
// returns them, page after page. An error ends the iteration: it is
// yielded with a zero Entry.
func All[V proto.Message](ctx context.Context, c *Client, table, prefix string, newValue func() V, opts ...Option) iter.Seq2[Entry[V], error] {
	return func(yield func(Entry[V], error) bool) {
		token := ""
		for {
			entries, next, err := Scan(ctx, c, table, prefix, token, 0, newValue, opts...)
			if err == nil && next != "" && next == token {
				err = fmt.Errorf("tableclient: table %q: the server returned the same page token twice", table)
			}
			if err != nil {
				yield(Entry[V]{}, err)
				return
			}
			for _, e := range entries {
				if !yield(e, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			token = next
		}
	}
}

// WindowAt reads the window of key of windowed table that a read at time
// at returns: the newest containing at, or for sliding windows the one
// that ends first after it. found is false when the window holds no value;
// Start and End are still set if the server knows them, and Value is
// newValue() as it is.
func WindowAt[V proto.Message](ctx context.Context, c *Client, table, key string, at time.Time, newValue func() V, opts ...Option) (w Window[V], found bool, err error) {
	if key == "" {
		return w, false, ErrEmptyKey
	}
	cfg := c.config(opts)
	q := url.Values{"at": {formatTime(at)}}
	var r WindowResponse
	if err := c.get(ctx, &cfg, keyPath(table, key)+"/windows", q, &r); err != nil {
		return w, false, err
	}
	if cfg.info != nil {
		*cfg.info = Info{Partition: r.Partition}
	}
	v := newValue()
	if r.Found {
		if err := decodeValue(r.Value, v); err != nil {
			return w, false, fmt.Errorf("tableclient: table %q key %q window at %v: %w", table, key, at, err)
		}
	}
	return Window[V]{Start: r.Start, End: r.End, Value: v}, r.Found, nil
}

// WindowRange reads the windows of key of windowed table that start in
// [from, to) and hold a value, oldest first.
func WindowRange[V proto.Message](ctx context.Context, c *Client, table, key string, from, to time.Time, newValue func() V, opts ...Option) ([]Window[V], error) {
	if key == "" {
		return nil, ErrEmptyKey
	}
	cfg := c.config(opts)
	q := url.Values{"from": {formatTime(from)}, "to": {formatTime(to)}}
	var r WindowsResponse
	if err := c.get(ctx, &cfg, keyPath(table, key)+"/windows", q, &r); err != nil {
		return nil, err
	}
	out := make([]Window[V], len(r.Windows))
	for i, e := range r.Windows {
		v := newValue()
		if err := decodeValue(e.Value, v); err != nil {
			return nil, fmt.Errorf("tableclient: table %q key %q window at %v: %w", table, key, e.Start, err)
		}
		out[i] = Window[V]{Start: e.Start, End: e.End, Value: v}
	}
	return out, nil
}

// config returns the client's configuration with a call's options applied.
func (c *Client) config(opts []Option) config {
	cfg := c.cfg
	cfg.info = nil
	for _, o := range opts {
		o.apply(&cfg)
	}
	return cfg
}

func tablePath(table string) string { return "/tables/" + url.PathEscape(table) }

func keyPath(table, key string) string { return tablePath(table) + "/keys/" + escapeKey(key) }

// escapeKey escapes key as one path segment: url.PathEscape, and the dots
// of "." and "..", which would otherwise be resolved as dot segments.
func escapeKey(key string) string {
	if key == "." || key == ".." {
		return strings.Repeat("%2E", len(key))
	}
	return url.PathEscape(key)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// decodeValue decodes a protojson value into v, skipping fields v does not
// know. An absent value is the empty message.
func decodeValue(raw json.RawMessage, v proto.Message) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(raw, v)
}

// get sends GET path?q and decodes the JSON body into into, retrying
// retryable errors as cfg says.
func (c *Client) get(ctx context.Context, cfg *config, path string, q url.Values, into any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, cfg, u, into)
		var e *Error
		if err == nil || !errors.As(err, &e) || !e.Retryable || attempt >= cfg.attempts {
			return err
		}
		t := time.NewTimer(cfg.delay(attempt, e.RetryAfter))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("tableclient: %w while waiting to retry after: %v", ctx.Err(), e)
		case <-t.C:
		}
	}
}

// once sends one GET of u.
func (c *Client) once(ctx context.Context, cfg *config, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("tableclient: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := cfg.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("tableclient: %w", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		_ = resp.Body.Close()
	}()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return readError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("tableclient: decoding the response of GET %s: %w", req.URL.Path, err)
	}
	return nil
}
