// Package broker runs an embedded Kafka-compatible broker: franz-go's kfake,
// a cluster in pure Go that speaks the real wire protocol (produce, fetch,
// consumer groups, admin, transactions, compaction). A worker with no
// brokers configured starts one in-process; `streamgen dev-broker` runs one
// as a process that several workers share. It is for development and
// tests; point production workers at a real cluster with --brokers.
package broker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Option configures a Broker.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	port    int
	dataDir string
	logger  *slog.Logger
}

// WithPort sets the TCP port on 127.0.0.1. Default: 0, a random free port.
func WithPort(port int) Option { return optionFunc(func(c *config) { c.port = port }) }

// WithDataDir keeps topics, records and group offsets in dir, so they
// survive a restart of the broker. Default: "", in memory only.
func WithDataDir(dir string) Option { return optionFunc(func(c *config) { c.dataDir = dir }) }

// WithLogger routes the broker's warnings and errors to l. Default:
// slog.Default().
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.logger = l }) }

// Broker is a running embedded broker.
type Broker struct {
	c    *kfake.Cluster
	addr string
}

// Start starts a broker listening on 127.0.0.1.
func Start(opts ...Option) (*Broker, error) {
	cfg := config{logger: slog.Default()}
	for _, o := range opts {
		o.apply(&cfg)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(cfg.port),
		kfake.WithLogger(slogLogger{cfg.logger}),
		// Let tests and demos use short session timeouts (librdkafka's
		// session.timeout.ms), so a killed worker's partitions move quickly.
		kfake.GroupMinSessionTimeout(time.Second),
	}
	if cfg.dataDir != "" {
		if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("broker: data directory: %w", err)
		}
		kopts = append(kopts, kfake.DataDir(cfg.dataDir))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("broker: starting embedded broker on port %d: %w", cfg.port, err)
	}
	return &Broker{c: c, addr: strings.Join(c.ListenAddrs(), ",")}, nil
}

// Addr returns the bootstrap address, host:port.
func (b *Broker) Addr() string { return b.addr }

// Cluster returns the kfake cluster behind the broker, for tests that
// inject faults (kfake's ControlKey) or compact topics.
func (b *Broker) Cluster() *kfake.Cluster { return b.c }

// Close stops the broker; with a data directory, its data is kept there.
func (b *Broker) Close() { b.c.Close() }

// Run starts a broker and blocks until ctx ends, then closes it. ready, if
// not nil, is called with the bootstrap address once the broker listens.
func Run(ctx context.Context, ready func(addr string), opts ...Option) error {
	b, err := Start(opts...)
	if err != nil {
		return err
	}
	defer b.Close()
	if ready != nil {
		ready(b.Addr())
	}
	<-ctx.Done()
	return nil
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	var lvl slog.Level
	switch level {
	case kfake.LogLevelError:
		lvl = slog.LevelError
	case kfake.LogLevelWarn:
		lvl = slog.LevelWarn
	case kfake.LogLevelInfo:
		lvl = slog.LevelDebug // kfake's info is per-request chatter
	default:
		lvl = slog.LevelDebug - 4
	}
	if !s.l.Enabled(context.Background(), lvl) {
		return
	}
	s.l.Log(context.Background(), lvl, fmt.Sprintf(msg, args...), "component", "kfake")
}
