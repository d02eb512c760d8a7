package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/web"
)

// get serves a request on h and returns the status and body.
func get(t *testing.T, h http.Handler, method, path string, body io.Reader) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, body))
	return w.Code, w.Body.String()
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestReadyz(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	h := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Threads: 2, Logger: quietLogger()}).Handler()
	readyz := func(wantCode int) web.Readiness {
		t.Helper()
		code, body := get(t, h, "GET", "/readyz", nil)
		if code != wantCode {
			t.Fatalf("/readyz = %d %s, want %d", code, body, wantCode)
		}
		var r web.Readiness
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatalf("/readyz body %q: %v", body, err)
		}
		return r
	}
	o := func(n int32) observe.Partition { return observe.Partition{Topic: "orders", Partition: n} }

	// Nothing reported yet: both threads are waited for.
	r := readyz(503)
	if diff := cmp.Diff(web.Readiness{Threads: 2, NotJoined: []int{0, 1},
		Waiting: []string{"2 stream threads have not joined the consumer group yet"}}, r); diff != "" {
		t.Errorf("readiness before any state (-want +got):\n%s", diff)
	}

	// Thread 0 joins and restores; thread 1 has not joined.
	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(1), o(0)}, Restoring: []observe.Partition{o(1), o(0)}})
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 1, From: 0, End: 1000, Records: 250, Elapsed: time.Second,
		Attempt: 2, Err: errors.New("broker down")})
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 0, From: 0, End: 10, Records: 0, Rebuilt: "checkpoint outside the changelog"})
	r = readyz(503)
	want := web.Readiness{
		Threads: 2, Partitions: 2, NotJoined: []int{1}, Restoring: []string{"orders/0", "orders/1"},
		Waiting: []string{"1 stream thread has not joined the consumer group yet", "2 partitions wait for their tables to be restored"},
		Restores: []web.RestoreStatus{
			{Table: "totals", Partition: 0, End: 10, Remaining: 10, Rebuilt: "checkpoint outside the changelog"},
			{Table: "totals", Partition: 1, Records: 250, End: 1000, Remaining: 750, Percent: 25, Rate: 250, ElapsedSeconds: 1,
				Attempt: 2, Error: "broker down"},
		},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("readiness while restoring (-want +got):\n%s", diff)
	}

	// Thread 1 joins with nothing; partition 0's restore ends.
	m.OnState(observe.State{Thread: 1, Threads: 2, Joined: true})
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 0, From: 0, End: 10, Records: 10, Done: true})
	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(1), o(0)}, Restoring: []observe.Partition{o(1)}})
	r = readyz(503)
	if diff := cmp.Diff([]string{"orders/1"}, r.Restoring); diff != "" || len(r.NotJoined) != 0 || len(r.Restores) != 1 {
		t.Errorf("readiness with one restore left: %+v (restoring -want +got:\n%s)", r, diff)
	}

	// The last restore ends: ready.
	m.OnRestore(observe.RestoreProgress{Table: "totals", Partition: 1, From: 0, End: 1000, Records: 1000, Done: true})
	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(1), o(0)}})
	if diff := cmp.Diff(web.Readiness{Ready: true, Threads: 2, Partitions: 2}, readyz(200)); diff != "" {
		t.Errorf("readiness when ready (-want +got):\n%s", diff)
	}
	if _, body := get(t, h, "GET", "/readyz", nil); body != `{"ready":true,"threads":2,"partitions":2}`+"\n" {
		t.Errorf("ready body = %q", body)
	}

	// A thread that loses its assignment is waited for again.
	m.OnState(observe.State{Thread: 1, Threads: 2})
	if r := readyz(503); !cmp.Equal(r.NotJoined, []int{1}) {
		t.Errorf("not joined = %v after thread 1 left, want [1]", r.NotJoined)
	}
}

func TestReadyzThreadsFromStates(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	h := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Logger: quietLogger()}).Handler()
	if code, body := get(t, h, "GET", "/readyz", nil); code != 503 || !strings.Contains(body, "no stream thread has reported") {
		t.Errorf("/readyz with no thread = %d %s", code, body)
	}
	m.OnState(observe.State{Thread: 0, Threads: 3, Joined: true})
	if code, body := get(t, h, "GET", "/readyz", nil); code != 503 || !strings.Contains(body, `"not_joined":[1,2]`) {
		t.Errorf("/readyz with 1 of 3 joined = %d %s", code, body)
	}
}

func TestHealthz(t *testing.T) {
	clk := newClock()
	m := newMetrics(t, web.MetricsConfig{Now: clk.Now})
	h := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Threads: 2, StuckAfter: 10 * time.Second, Logger: quietLogger()}).Handler()
	healthz := func(wantCode int, wantBody ...string) {
		t.Helper()
		code, body := get(t, h, "GET", "/healthz", nil)
		if code != wantCode {
			t.Errorf("/healthz = %d %q, want %d", code, body, wantCode)
		}
		for _, s := range wantBody {
			if !strings.Contains(body, s) {
				t.Errorf("/healthz body %q lacks %q", body, s)
			}
		}
	}
	// Before the first heartbeat, the threads have the bound from the
	// server's start.
	healthz(200, "ok")
	clk.Advance(9 * time.Second)
	m.OnLag(0, nil)
	healthz(200, "ok")
	clk.Advance(2 * time.Second)
	healthz(503, "stream thread 1 is stuck: its poll loop has not reported since the server started 11s ago")
	if _, body := get(t, h, "GET", "/healthz", nil); strings.Contains(body, "thread 0") {
		t.Errorf("/healthz names thread 0, which reported 2 s ago: %q", body)
	}

	// Both poll loops turn.
	m.OnLag(1, []observe.Lag{{Partition: observe.Partition{Topic: "orders"}, Position: 1, HighWatermark: 1}})
	for range 20 {
		clk.Advance(time.Second)
		m.OnLag(0, nil)
		m.OnLag(1, nil)
		healthz(200, "ok")
	}

	// Thread 0's stops.
	for range 10 {
		clk.Advance(time.Second)
		m.OnLag(1, nil)
	}
	healthz(200)
	clk.Advance(time.Second)
	m.OnLag(1, nil)
	healthz(503, "stream thread 0 is stuck: its poll loop last reported 11s ago (bound 10s)")
	// and turns again.
	m.OnLag(0, nil)
	healthz(200, "ok")
}

func TestRoutes(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{App: "shop"})
	m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "orders", Took: time.Millisecond, Outputs: 1})
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Logger: quietLogger(), MaxBodyBytes: 100})
	srv.Handle("GET /tables/{table}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "table %s", r.PathValue("table"))
	}))
	srv.Handle("POST /echo", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		_, _ = w.Write(b)
	}))
	srv.Handle("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	h := srv.Handler()

	code, body := get(t, h, "GET", "/metrics", nil)
	if code != 200 || !strings.Contains(body, `streamgen_records_processed_total{agent="shop/Total",app="shop",outcome="ok",topic="orders"} 1`) ||
		!strings.Contains(body, "# TYPE streamgen_handler_duration_seconds histogram") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d:\n%s", code, body)
	}
	for _, c := range []struct {
		method, path string
		body         io.Reader
		code         int
		want         string
	}{
		{"GET", "/nope", nil, 404, "404 page not found"},
		{"GET", "/", nil, 404, "not found"},
		{"POST", "/healthz", nil, 405, "Method Not Allowed"},
		{"DELETE", "/metrics", nil, 405, "Method Not Allowed"},
		{"HEAD", "/healthz", nil, 200, ""},
		{"GET", "/tables/totals", nil, 200, "table totals"},
		{"POST", "/echo", strings.NewReader("hello"), 200, "hello"},
		{"POST", "/echo", strings.NewReader(strings.Repeat("x", 101)), 413, "request body too large"},
		{"POST", "/echo", io.MultiReader(strings.NewReader(strings.Repeat("x", 101))), 413, "request body too large"}, // no Content-Length
		{"GET", "/boom", nil, 500, "internal server error"},
	} {
		if code, body := get(t, h, c.method, c.path, c.body); code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s %s = %d %q, want %d %q", c.method, c.path, code, body, c.code, c.want)
		}
	}
}

func TestListenTakenAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := web.NewServer(web.ServerConfig{Addr: ln.Addr().String(), Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger()})
	err = srv.Listen()
	if err == nil {
		t.Fatalf("Listen on %s, which is taken, succeeded", ln.Addr())
	}
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), ln.Addr().String()) ||
		!strings.Contains(err.Error(), "another process") || !strings.Contains(err.Error(), "another address") {
		t.Errorf("Listen error %q does not name the address, the cause and what to do", err)
	}
	if srv.Addr() != nil {
		t.Errorf("Addr() = %v after a failed Listen", srv.Addr())
	}
	if err := srv.Serve(t.Context()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Serve on a taken address: %v", err)
	}
}

func TestListenConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  web.ServerConfig
		want string
	}{
		{web.ServerConfig{Metrics: newMetrics(t, web.MetricsConfig{})}, "Addr is empty"},
		{web.ServerConfig{Addr: "127.0.0.1:0"}, "Metrics is nil"},
		{web.ServerConfig{Addr: "127.0.0.1:99999", Metrics: newMetrics(t, web.MetricsConfig{})}, "127.0.0.1:99999"},
	} {
		if err := web.NewServer(c.cfg).Listen(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Listen(%+v) = %v, want an error with %q", c.cfg, err, c.want)
		}
	}
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger()})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("second Listen = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := srv.Serve(ctx); err != nil {
		t.Errorf("Serve with an ended context = %v", err)
	}
}

func TestServeAndShutdown(t *testing.T) {
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger()})
	entered, release := make(chan struct{}), make(chan struct{})
	srv.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = w.Write([]byte("done"))
	}))
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr() = %s, want the bound port", addr)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "ok\n" {
		t.Errorf("/healthz = %d %q", resp.StatusCode, b)
	}

	// A request in flight when the context ends is answered; Serve waits
	// for it.
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-entered
	cancel()
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) with a request in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Errorf("the request in flight got %q", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v after a graceful shutdown", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Errorf("%s still accepts connections after Serve returned", addr)
	}
}

func TestShutdownTimeout(t *testing.T) {
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger(),
		ShutdownTimeout: 20 * time.Millisecond})
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	srv.Handle("GET /stuck", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		close(entered)
		<-release
	}))
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	go func() {
		if resp, err := http.Get("http://" + srv.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	if err := <-served; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v with a request outliving the shutdown timeout, want a deadline error", err)
	}
}

func TestOversizedHeader(t *testing.T) {
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: newMetrics(t, web.MetricsConfig{}), Logger: quietLogger()})
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = srv.Serve(ctx) }()
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("x", 64<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 64 KiB header got %d, want 431", resp.StatusCode)
	}
}
