package worker

import (
	"context"
	"fmt"
	"log/slog"
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
	// A poll loop pauses while a rebalance drains partitions, up to the
	// shutdown timeout: /healthz allows that and more before it fails.
	srv := web.NewServer(web.ServerConfig{Addr: cfg.httpAddr, Metrics: m, Logger: log, Threads: cfg.threads,
		StuckAfter: cfg.shutdownTimeout + 15*time.Second})
	if err := srv.Listen(); err != nil {
		return nil, fmt.Errorf("streamgen worker: %w", err)
	}
	return srv, nil
}

// serveHTTP mounts the table queries and serves until the returned
// function is called (when Run returns: the probes answer while the
// worker drains).
func (w *worker) serveHTTP(srv *web.Server, threads []*thread) (stop func()) {
	q := newTableQueries(w, threads)
	srv.HandleTables(q)
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
