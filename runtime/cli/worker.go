package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/worker"
)

func defineWorker(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers; none: an embedded broker)")
	session := fs.Duration("session-timeout", 10*time.Second, "how long the group waits for a silent worker")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	dataDir := fs.String("data-dir", os.Getenv("STREAMGEN_DATA_DIR"), "directory of the table stores (default $STREAMGEN_DATA_DIR, else $TMPDIR/streamgen/<app id>)")
	instance := fs.String("instance-id", os.Getenv(worker.EnvInstanceID), "this worker's stable name among the app's workers; exactly-once transactional ids derive from it (default $"+worker.EnvInstanceID+", else host and pid)")
	guarantee := fs.String("guarantee", "", "override the schema's processing guarantee: at-least-once or exactly-once")
	static := fs.Bool("static-membership", false, "join the group as a static member (group.instance.id from --instance-id): a restart within the session timeout keeps its partitions without a rebalance")
	httpAddr := fs.String("http-addr", os.Getenv(worker.EnvHTTPAddr), "serve /healthz, /readyz, /metrics and table queries on host:port; off: none (default $"+worker.EnvHTTPAddr+", else "+DefaultHTTPAddr+", or a free port when that one is taken)")
	return func(ctx context.Context, _ []string, _, stderr io.Writer) error {
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		opts := []worker.Option{worker.WithSessionTimeout(*session), worker.WithDataDir(*dataDir),
			worker.WithInstanceID(*instance), worker.WithStaticMembership(*static), worker.WithKafkaConfig(props)}
		switch *guarantee {
		case "":
		case "at-least-once":
			opts = append(opts, worker.WithExactlyOnce(false))
		case "exactly-once":
			opts = append(opts, worker.WithExactlyOnce(true))
		default:
			return fmt.Errorf("--guarantee %q: use at-least-once or exactly-once", *guarantee)
		}
		log, err := logger(stderr, *level)
		if err != nil {
			return err
		}
		slog.SetDefault(log)
		if *httpAddr != "" {
			opts = append(opts, worker.WithHTTPAddr(*httpAddr))
		} else {
			opts = append(opts, worker.WithDefaultHTTPAddr(DefaultHTTPAddr))
		}
		return runWorker(ctx, app, brokers, log, opts)
	}
}

// DefaultHTTPAddr is where a worker started from the command line serves
// HTTP (worker.WithHTTPAddr) unless --http-addr or STREAMGEN_HTTP_ADDR
// says otherwise: loopback only, on Faust's web port. When another
// process (often another worker on the machine) has it, the worker serves
// on a free loopback port instead (worker.WithDefaultHTTPAddr); an address
// given explicitly fails the worker when taken.
const DefaultHTTPAddr = "127.0.0.1:6066"

// runWorker runs a worker until SIGINT or SIGTERM, on an embedded broker
// when brokers is empty.
func runWorker(ctx context.Context, app *runtime.App, brokers string, log *slog.Logger, opts []worker.Option) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if brokers == "" {
		// The embedded broker is the command line's choice: the worker
		// package never starts (or links) one on its own.
		b, err := broker.Start(broker.WithLogger(log))
		if err != nil {
			return err
		}
		defer b.Close()
		log.Info("no brokers configured: started an embedded broker in-process (set --brokers or "+worker.EnvBrokers+" for a real cluster)", "addr", b.Addr())
		brokers = b.Addr()
	}
	return worker.Run(ctx, app, append(opts, worker.WithBrokers(brokers), worker.WithLogger(log))...)
}
