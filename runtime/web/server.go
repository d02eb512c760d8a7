package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults of ServerConfig.
const (
	// DefaultStuckAfter is the default of ServerConfig.StuckAfter.
	DefaultStuckAfter = 10 * time.Second
	// DefaultShutdownTimeout is the default of ServerConfig.ShutdownTimeout.
	DefaultShutdownTimeout = 5 * time.Second
	// DefaultMaxBodyBytes is the default of ServerConfig.MaxBodyBytes.
	DefaultMaxBodyBytes = 1 << 20
)

// The limits of the http.Server.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
)

// ServerConfig configures NewServer.
type ServerConfig struct {
	// Addr is the TCP address to listen on, host:port, e.g.
	// "127.0.0.1:6066"; port 0 picks a free port (see Server.Addr).
	// Required: there is no default, the caller chooses.
	Addr string
	// Metrics is the hook whose reports the server serves: /metrics
	// exposes its registry, /healthz and /readyz its threads' heartbeats
	// and states. Required. Its MetricsConfig.Now is the server's clock.
	Metrics *Metrics
	// Logger logs listening, shutdown, and panics of handlers. Default:
	// slog.Default().
	Logger *slog.Logger
	// Threads is how many stream threads the worker runs, numbered 0 to
	// Threads-1: /readyz waits for each to join, and /healthz for each to
	// report. Default (0): as many as have reported (State.Threads, or the
	// highest thread number + 1).
	Threads int
	// StuckAfter is how long a stream thread's poll loop may go without
	// reporting its lag (observe.LagHook, about every second) before
	// /healthz fails; a thread that has not reported yet counts from
	// Listen (from NewServer when Handler is served without Listen). Keep
	// it above the longest pause of a poll loop, e.g. a rebalance
	// callback. Default: DefaultStuckAfter, 10 s.
	StuckAfter time.Duration
	// ShutdownTimeout bounds the graceful shutdown when Serve's context
	// ends: requests still running after it are cut. Default:
	// DefaultShutdownTimeout, 5 s.
	ShutdownTimeout time.Duration
	// MaxBodyBytes bounds request bodies: a larger Content-Length is
	// answered 413, and reading past it fails. Default:
	// DefaultMaxBodyBytes, 1 MiB.
	MaxBodyBytes int64
}

// Server serves a worker's operational endpoints: /healthz, /readyz and
// /metrics (see the package doc), and the routes added with Handle. Its
// methods are safe for concurrent use.
type Server struct {
	cfg     ServerConfig
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	srv     *http.Server

	mu    sync.Mutex
	ln    net.Listener
	start time.Time
}

// NewServer returns a server of c; it listens once Listen or Serve is
// called.
func NewServer(c ServerConfig) *Server {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.StuckAfter <= 0 {
		c.StuckAfter = DefaultStuckAfter
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{cfg: c, log: c.Logger, mux: http.NewServeMux()}
	if c.Metrics != nil {
		s.start = c.Metrics.now()
		s.mux.HandleFunc("GET /healthz", s.healthz)
		s.mux.HandleFunc("GET /readyz", s.readyz)
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(c.Metrics.reg, promhttp.HandlerOpts{
			ErrorLog:            slog.NewLogLogger(s.log.Handler(), slog.LevelError),
			ErrorHandling:       promhttp.ContinueOnError,
			MaxRequestsInFlight: 4,
		}))
	}
	s.handler = s.guard(s.mux)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s
}

// Handler returns the server's handler: its routes behind the body limit
// and the panic recovery. Tests serve it with httptest; it is the handler
// Serve serves.
func (s *Server) Handler() http.Handler { return s.handler }

// Handle adds a route, as http.ServeMux.Handle does (a pattern like
// "GET /tables/{table}"), behind the body limit and the panic recovery.
// Like ServeMux.Handle it panics when the pattern is invalid or conflicts
// with another route's: a programming error.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Listen binds ServerConfig.Addr. It fails when the configuration lacks
// Addr or Metrics, when the server already listens, or when the address
// cannot be bound; when another process holds it, the error (which wraps
// syscall.EADDRINUSE) says so.
func (s *Server) Listen() error {
	if s.cfg.Addr == "" {
		return errors.New("web: ServerConfig.Addr is empty: give host:port, e.g. 127.0.0.1:6066")
	}
	if s.cfg.Metrics == nil {
		return errors.New("web: ServerConfig.Metrics is nil: create one with NewMetrics and register it as a hook of the worker")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return fmt.Errorf("web: already listening on %s", s.ln.Addr())
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("web: listen on %s: %w: another process (perhaps another worker) serves there; stop it, "+
			"or give this worker another address (port 0 picks a free one)", s.cfg.Addr, err)
	}
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.start = s.cfg.Metrics.now()
	return nil
}

// Addr returns the address the server listens on (with the port chosen
// when ServerConfig.Addr's port is 0), or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve serves until ctx ends, calling Listen first if it was not, then
// shuts down gracefully: it stops accepting, waits for the requests in
// flight for at most ServerConfig.ShutdownTimeout, then closes the
// connections left. It returns nil after a graceful shutdown, Listen's
// error, the error that stopped serving, or the shutdown's error when
// requests outlived the timeout.
func (s *Server) Serve(ctx context.Context) error {
	if s.Addr() == nil {
		if err := s.Listen(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	s.log.Info("web: serving health, readiness and metrics", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()
	select {
	case err := <-served:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("web: serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		_ = s.srv.Close()
		<-served
		s.log.Warn("web: requests outlived the shutdown timeout and were cut", "timeout", s.cfg.ShutdownTimeout, "err", err)
		return fmt.Errorf("web: shutting down within %s: %w", s.cfg.ShutdownTimeout, err)
	}
	<-served
	s.log.Info("web: stopped", "addr", ln.Addr().String())
	return nil
}

// guard limits request bodies and turns a handler's panic into a 500.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v) // net/http's way to abort a response: let it
			}
			s.log.Error("web: handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			http.Error(w, fmt.Sprintf("request body too large (at most %d bytes)", s.cfg.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}
