package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/web"
)

// listenHTTP starts listening on the configured HTTP address (WithHTTPAddr)
// before anything else, so a taken address fails Run at once, and adds
// the server's Prometheus metrics to the hooks. Nil without an address.
func listenHTTP(cfg *config, app *runtime.App, log *slog.Logger) (*web.Server, error) {
	if cfg.httpAddr == "" {
		return nil, nil
	}
	m, err := web.NewMetrics(web.MetricsConfig{App: app.ID(), Registry: cfg.registry})
	if err != nil {
		return nil, fmt.Errorf("streamgen worker: metrics: %w", err)
	}
	cfg.hooks = append(cfg.hooks, m)
	listen := func(addr string) (*web.Server, error) {
		// A poll loop pauses while a rebalance drains partitions, up to
		// the shutdown timeout: /healthz allows that and more before it
		// fails.
		srv := web.NewServer(web.ServerConfig{Addr: addr, Metrics: m, Logger: log, Threads: cfg.threads,
			StuckAfter: cfg.shutdownTimeout + 15*time.Second})
		return srv, srv.Listen()
	}
	srv, err := listen(cfg.httpAddr)
	if err != nil && cfg.httpFallback && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(cfg.httpAddr)
		log.Warn("the default HTTP address is taken; serving on a free port instead (see the serving HTTP line)", "default", cfg.httpAddr)
		srv, err = listen(net.JoinHostPort(host, "0"))
	}
	if err != nil {
		return nil, fmt.Errorf("streamgen worker: %w", err)
	}
	return srv, nil
}

// advertisedURL is the base URL other workers reach this one at: the one
// given (WithHTTPAdvertise), else the listening address, with the host's
// name for an unspecified host (it listens on every interface).
func advertisedURL(given string, addr net.Addr) string {
	if given != "" {
		return strings.TrimSuffix(given, "/")
	}
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return "http://" + addr.String()
	}
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port))
}

// serveHTTP mounts the table queries and the page, and serves until the
// returned function is called (when Run returns: the probes answer while
// the worker drains).
func (w *worker) serveHTTP(srv *web.Server, threads []*thread) (stop func()) {
	q := newTableQueries(w, threads)
	srv.HandleTables(q)
	srv.HandlePage(web.PageConfig{App: w.app, URL: w.httpURL, Members: w.groupMembers})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx); err != nil {
			w.log.Warn("HTTP server stopped", "error", err)
		}
	}()
	w.log.Info("serving HTTP", "url", w.httpURL)
	if w.cfg.httpReady != nil {
		w.cfg.httpReady(w.httpURL)
	}
	return func() {
		cancel()
		<-done
	}
}

// groupMembers describes the app's consumer group for the page: every
// stream thread of every worker, with the HTTP base URL its client id
// advertises (see query.go).
func (w *worker) groupMembers(ctx context.Context) ([]web.Member, error) {
	ms, err := w.describeGroup(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]web.Member, 0, len(ms))
	for _, m := range ms {
		wm := web.Member{ClientID: m.ClientID, Partitions: partitions(m.Partitions)}
		wm.URL, _ = MemberURL(m.ClientID)
		out = append(out, wm)
	}
	return out, nil
}
