package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/state"
)

// Every option of Run, with its default, is in this file.

// EnvBrokers is the environment variable read for the bootstrap brokers
// when WithBrokers is not given.
const EnvBrokers = "STREAMGEN_BROKERS"

// EnvInstanceID is the environment variable read for the worker's
// instance id when WithInstanceID is not given.
const EnvInstanceID = "STREAMGEN_INSTANCE_ID"

// EnvHTTPAddr is the environment variable read for the worker's HTTP
// address when WithHTTPAddr is not given ("off" or empty: none).
const EnvHTTPAddr = "STREAMGEN_HTTP_ADDR"

// EnvHTTPAdvertise is the environment variable read for the URL other
// workers reach this one at when WithHTTPAdvertise is not given.
const EnvHTTPAdvertise = "STREAMGEN_HTTP_ADVERTISE"

// Option configures a worker.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	brokers         string
	sessionTimeout  time.Duration
	commitInterval  time.Duration
	shutdownTimeout time.Duration
	kafkaConfig     map[string]string
	clientID        string
	ready           func(brokers string)
	maxBatch        int
	threads         int
	dataDir         string
	storage         state.Builder
	hooks           []Hook
	standbys        int
	logger          *slog.Logger
	instanceID      string
	static          bool
	exactly         *bool // WithExactlyOnce; nil: as the app declares
	httpAddr        string
	httpFallback    bool // httpAddr is a default: a taken port falls back to a free one
	httpAdvertise   string
	httpReady       func(baseURL string)
	registry        *prometheus.Registry
}

// WithBrokers sets the bootstrap brokers, "host:port[,host:port]".
// Default: the STREAMGEN_BROKERS environment variable; Run fails without
// either. (The command line of package cli starts an embedded broker when
// none is given; a worker never starts one on its own.)
func WithBrokers(brokers string) Option {
	return optionFunc(func(c *config) { c.brokers = brokers })
}

// WithLogger sets the worker's logger, which also receives librdkafka's
// and Badger's logs. Default: the App's logger.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithInstanceID names this worker among the app's workers, e.g. "w1" or a
// pod name of a StatefulSet. Under exactly-once it makes the transactional
// ids ("<app id>-<instance id>-<thread>"): a restarted worker fences its
// predecessor and aborts the transaction it left open at once; with a new
// id, readers of that transaction's partitions wait for the transaction
// timeout (10 s). Two live workers must never share an id. Default:
// STREAMGEN_INSTANCE_ID, else "<host>-<pid>".
func WithInstanceID(id string) Option {
	return optionFunc(func(c *config) { c.instanceID = id })
}

// WithStaticMembership makes the worker a static group member (KIP-345,
// group.instance.id "<instance id>-<thread>"; it needs WithInstanceID): a
// worker restarted within the session timeout gets its partitions back
// without a rebalance, and a killed one is replaced by its restart at once
// instead of after the session timeout. The other side: a static member
// that stops for good keeps its partitions until its session times out.
// Default: off.
func WithStaticMembership(on bool) Option {
	return optionFunc(func(c *config) { c.static = on })
}

// WithSessionTimeout sets how long the group waits for a silent worker
// before giving its partitions to others (librdkafka's session.timeout.ms).
// Default: 10 s.
func WithSessionTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.sessionTimeout = d })
}

// WithShutdownTimeout bounds how long a stopping worker waits for work in
// flight to finish and be acknowledged. Default: 30 s.
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.shutdownTimeout = d })
}

// WithKafkaConfig sets librdkafka properties on every client, overriding
// streamgen's defaults (see package kafka). Default: none.
func WithKafkaConfig(props map[string]string) Option {
	return optionFunc(func(c *config) { c.kafkaConfig = props })
}

// WithThreads sets how many stream threads the worker runs: each is a
// consumer group member with its own consumer and producer, like Kafka
// Streams' num.stream.threads, so one worker process uses several cores
// for Kafka I/O. The group spreads partitions over all threads of all
// workers. Default: 1; on the 2-core development machine more threads
// measured slower (see BENCHMARKS.md).
func WithThreads(n int) Option {
	return optionFunc(func(c *config) { c.threads = n })
}

// WithExactlyOnce overrides the app's declared processing guarantee:
// true runs it exactly once, false at least once. Default: as declared in
// the schema (GUARANTEE_AT_LEAST_ONCE unless it says otherwise).
func WithExactlyOnce(on bool) Option {
	return optionFunc(func(c *config) { c.exactly = &on })
}

// WithCommitInterval overrides the app's declared commit interval (the
// schema's commit_interval, default 100 ms): exactly once, how often each
// thread commits its transaction; at least once, how often finished
// offsets are stored (they are committed at most every second). Must be
// positive.
func WithCommitInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.commitInterval = d })
}

// WithReady calls fn with the bootstrap brokers once the worker has
// created its topics and joined its group. Default: none.
func WithReady(fn func(brokers string)) Option {
	return optionFunc(func(c *config) { c.ready = fn })
}

// WithDataDir sets the directory under which the worker keeps one store
// per table partition, at <dir>/<table>/<partition> (global tables at
// <dir>/global/<table>/<partition>). A worker restarted with the same
// directory restores only the changelog records its stores have not seen.
// Default: $TMPDIR/streamgen/<app id>.
func WithDataDir(dir string) Option {
	return optionFunc(func(c *config) { c.dataDir = dir })
}

// WithStorage sets how the worker opens each table partition's store, as
// goka's storage.Builder: to tune Badger (state.BadgerBuilder with your
// options) or to plug in another state.Store. The store must keep its
// checkpoint and meta entries beside its data. Default:
// state.BadgerBuilder(nil), Badger with state.BadgerOptions.
func WithStorage(b state.Builder) Option {
	return optionFunc(func(c *config) { c.storage = b })
}

// WithStandbyReplicas makes each stream thread keep warm copies of up to n
// partitions per table that it does not own: it follows their changelogs
// into stores under the data directory, so that when the group gives it
// one of them (a failover), it restores only the tail written since its
// last catch-up instead of the whole changelog. It picks, for each
// partition it owns, the partitions that follow it in ring order (with 8
// partitions, owning 0 and 1 and n = 2, it follows 2 and 3). Default: 0.
func WithStandbyReplicas(n int) Option {
	return optionFunc(func(c *config) { c.standbys = n })
}

// WithHTTPAddr makes the worker serve HTTP on addr ("host:port"; port 0
// picks a free one) while it runs (package web): GET /healthz (the poll
// loops turn), /readyz (in the group, every store restored; 503 with what
// it waits for otherwise), /metrics (Prometheus), and table queries under
// /tables/ (any worker answers: a key another worker owns is forwarded
// to it). The worker advertises the address to the group in its
// consumers' client ids, for that forwarding. "off" or "": no server.
// Default: the STREAMGEN_HTTP_ADDR environment variable, else none (the
// app's command line serves 127.0.0.1:6066 unless --http-addr says
// otherwise). Bind to all interfaces (":6066") only where the network is
// trusted: the endpoints have no authentication.
func WithHTTPAddr(addr string) Option {
	return optionFunc(func(c *config) { c.httpAddr, c.httpFallback = addr, false })
}

// WithDefaultHTTPAddr is WithHTTPAddr for an address the user did not
// choose (the command line's 127.0.0.1:6066): when another process (often
// another worker on the machine) has the port, the worker serves on a free
// port of the same host instead of failing, and logs it. An explicit
// WithHTTPAddr or STREAMGEN_HTTP_ADDR overrides it.
func WithDefaultHTTPAddr(addr string) Option {
	return optionFunc(func(c *config) {
		if c.httpAddr == "" {
			c.httpAddr, c.httpFallback = addr, true
		}
	})
}

// WithHTTPAdvertise sets the base URL other workers forward table queries
// to, e.g. "http://10.0.3.7:6066" or a pod's DNS name: it must reach this
// worker's HTTP server from the other workers' hosts. Default:
// STREAMGEN_HTTP_ADVERTISE, else the listening address, with the host's
// name (os.Hostname) in place of an unspecified host (":6066",
// "0.0.0.0:6066"). A loopback listening address (the command line's
// default) is reachable from the same host only: set this, or listen on a
// routable address, when workers run on several hosts.
func WithHTTPAdvertise(baseURL string) Option {
	return optionFunc(func(c *config) { c.httpAdvertise = baseURL })
}

// WithHTTPReady calls fn with the HTTP server's base URL
// ("http://127.0.0.1:6066") once it listens (WithHTTPAddr). Default: none.
func WithHTTPReady(fn func(baseURL string)) Option {
	return optionFunc(func(c *config) { c.httpReady = fn })
}

// WithMetricsRegistry registers the worker's Prometheus metrics on reg,
// where the user's own collectors can live too; /metrics serves reg.
// Default: a registry of the worker's own, with the Go runtime and
// process collectors. The metrics come with the HTTP server: a worker
// serving no HTTP (no address from WithHTTPAddr, WithDefaultHTTPAddr or
// STREAMGEN_HTTP_ADDR, or "off") registers none on reg.
func WithMetricsRegistry(reg *prometheus.Registry) Option {
	return optionFunc(func(c *config) { c.registry = reg })
}

// WithHooks adds observability hooks. Each must implement at least one
// of the hook interfaces of package observe (RestoreHook, CommitHook,
// ProcessHook, DoneHook, DeadLetterHook, RebalanceHook, StateHook,
// LagHook, TableHook); Run checks
// them before it starts anything and returns an error naming any that
// implements none. Default: none.
func WithHooks(hooks ...Hook) Option {
	return optionFunc(func(c *config) { c.hooks = append(c.hooks, hooks...) })
}

// newConfig applies opts over the defaults and the environment, and checks
// the result.
func newConfig(app *runtime.App, opts []Option) (config, error) {
	cfg := config{
		brokers:         os.Getenv(EnvBrokers),
		instanceID:      os.Getenv(EnvInstanceID),
		httpAddr:        os.Getenv(EnvHTTPAddr),
		httpAdvertise:   os.Getenv(EnvHTTPAdvertise),
		sessionTimeout:  10 * time.Second,
		commitInterval:  app.CommitInterval(),
		shutdownTimeout: 30 * time.Second,
		maxBatch:        1000,
		threads:         1,
	}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = app.Logger()
	}
	if app.ID() == "" || len(app.Agents()) == 0 {
		return cfg, errors.New("streamgen worker: the app has no agents; call the generated Register function first")
	}
	if cfg.brokers == "" {
		return cfg, errors.New("streamgen worker: no brokers: set WithBrokers or " + EnvBrokers +
			" (the app's command line, package cli, starts an embedded broker when --brokers is not given)")
	}
	if err := checkHooks(cfg.hooks); err != nil {
		return cfg, err
	}
	if cfg.commitInterval <= 0 {
		return cfg, fmt.Errorf("streamgen worker: commit interval %v: give a positive duration", cfg.commitInterval)
	}
	if cfg.static && cfg.instanceID == "" {
		return cfg, errors.New("streamgen worker: static membership needs an instance id (WithInstanceID, --instance-id or " + EnvInstanceID + ")")
	}
	host, _ := os.Hostname()
	if cfg.instanceID == "" {
		cfg.instanceID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if cfg.clientID == "" {
		cfg.clientID = fmt.Sprintf("%s-%s-%d", app.ID(), host, os.Getpid())
	}
	if cfg.dataDir == "" {
		cfg.dataDir = filepath.Join(os.TempDir(), "streamgen", app.ID())
	}
	if cfg.storage == nil {
		cfg.storage = state.BadgerBuilder(nil)
	}
	if cfg.threads <= 0 {
		cfg.threads = 1
	}
	if cfg.httpAddr == "off" {
		cfg.httpAddr = ""
	}
	return cfg, nil
}

// exactlyOnce returns the guarantee the worker runs: the app's, unless
// WithExactlyOnce overrides it.
func (c *config) exactlyOnce(app *runtime.App) bool {
	if c.exactly != nil {
		return *c.exactly
	}
	return app.ExactlyOnce()
}

// maxRecordBytes is the producer's message.max.bytes: set with
// WithKafkaConfig, else librdkafka's default.
func (c *config) maxRecordBytes() int {
	if v, err := strconv.Atoi(c.kafkaConfig["message.max.bytes"]); err == nil && v > 0 {
		return v
	}
	return lane.DefaultRecordLimit
}
