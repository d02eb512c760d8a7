// Package cli is the command line of a streamgen app, Faust's app.main():
// an app's main function is
//
//	func main() { os.Exit(cli.Main(app)) }
//
// and the binary gets these subcommands:
//
//	worker  run a worker (--brokers or STREAMGEN_BROKERS; none: an embedded broker)
//	send    encode values with a topic's codec and produce them
//	tail    print a topic's records, decoded
//	demo    start an embedded broker and a worker, send values, print outputs
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/worker"
)

// Main runs the subcommand named in os.Args and returns the exit code.
func Main(app *runtime.App) int {
	return Run(context.Background(), app, os.Args[1:], os.Stdout, os.Stderr)
}

func usage(w io.Writer, app *runtime.App) {
	fmt.Fprintf(w, `usage: %s <command> [flags]

commands:
  worker [--brokers host:port] [--session-timeout 10s] [--data-dir dir] [--log-level info]
      run a worker of app %q; with no brokers (flag or %s) it starts an
      embedded broker in-process. More workers with the same brokers share
      the partitions.
  send --topic name [--brokers host:port] value...
      encode each value with the topic's codec (text for raw topics, JSON
      for protobuf and JSON topics) and produce it.
  tail --topic name [--brokers host:port] [-n count] [--timeout 10s]
      print the topic's records from the start, decoded (text or JSON).
  demo [value...]
      start an embedded broker and a worker, send the values to the first
      agent's input topic, and print what the agent emitted.
`, os.Args[0], app.ID(), worker.EnvBrokers)
}

// Run runs one subcommand with args and returns the exit code.
func Run(ctx context.Context, app *runtime.App, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr, app)
		return 2
	}
	var err error
	switch args[0] {
	case "worker":
		err = runWorker(ctx, app, args[1:], stderr)
	case "send":
		err = runSend(ctx, app, args[1:], stderr)
	case "tail":
		err = runTail(ctx, app, args[1:], stdout, stderr)
	case "demo":
		err = runDemo(ctx, app, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout, app)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown command %q\n", args[0])
		usage(stderr, app)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runWorker(ctx context.Context, app *runtime.App, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", os.Getenv(worker.EnvBrokers), "bootstrap brokers (default $"+worker.EnvBrokers+"; empty: embedded broker)")
	session := fs.Duration("session-timeout", 10*time.Second, "how long the group waits for a silent worker")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	dataDir := fs.String("data-dir", os.Getenv("STREAMGEN_DATA_DIR"), "directory of the table stores (default $STREAMGEN_DATA_DIR, else $TMPDIR/streamgen/<app id>)")
	instance := fs.String("instance-id", os.Getenv(worker.EnvInstanceID), "this worker's stable name among the app's workers; exactly-once transactional ids derive from it (default $"+worker.EnvInstanceID+", else host and pid)")
	guarantee := fs.String("guarantee", "", "override the schema's processing guarantee: at-least-once or exactly-once")
	static := fs.Bool("static-membership", false, "join the group as a static member (group.instance.id from --instance-id): a restart within the session timeout keeps its partitions without a rebalance")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []worker.Option{worker.WithBrokers(*brokers), worker.WithSessionTimeout(*session), worker.WithDataDir(*dataDir),
		worker.WithInstanceID(*instance), worker.WithStaticMembership(*static)}
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
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *brokers == "" {
		// The embedded broker is the command line's choice: the worker
		// package never starts (or links) one on its own.
		b, err := broker.Start(broker.WithLogger(log))
		if err != nil {
			return err
		}
		defer b.Close()
		log.Info("no brokers configured: started an embedded broker in-process (set --brokers or "+worker.EnvBrokers+" for a real cluster)", "addr", b.Addr())
		opts = append(opts, worker.WithBrokers(b.Addr()))
	}
	return worker.Run(ctx, app, append(opts, worker.WithLogger(log))...)
}

func topicOf(app *runtime.App, name string) (*runtime.TopicDesc, error) {
	var names []string
	for _, t := range app.Topics() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	return nil, fmt.Errorf("app %q has no topic %q; its topics: %s", app.ID(), name, strings.Join(names, ", "))
}

// Encode turns a command-line value into a record value: text for raw
// topics, JSON (protojson) for protobuf and JSON topics.
func Encode(t *runtime.TopicDesc, value string) (*runtime.Record, error) {
	rec := &runtime.Record{Topic: t.Name, Partition: -1}
	if t.New == nil {
		rec.Value = []byte(value)
		return rec, nil
	}
	m := t.New()
	if t.Codec == runtime.CodecRaw {
		t.RawSet(m, []byte(value))
	} else if err := protojson.Unmarshal([]byte(value), m); err != nil {
		return nil, fmt.Errorf("topic %q holds %s: %q is not its JSON form: %w", t.Name, t.MessageName, value, err)
	}
	v, err := t.Encode(m)
	if err != nil {
		return nil, err
	}
	rec.Value = v
	if t.Key != nil {
		rec.Key = t.Key(m)
	}
	return rec, nil
}

// Format renders a record value of t as text (raw topics) or JSON.
func Format(t *runtime.TopicDesc, value []byte) string {
	if t.New == nil {
		return string(value)
	}
	m, err := t.Decode(value)
	if err != nil {
		return fmt.Sprintf("<undecodable: %v> %q", err, value)
	}
	if t.Codec == runtime.CodecRaw {
		return string(t.RawGet(m))
	}
	b, err := protojson.MarshalOptions{}.Marshal(m)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

func runSend(ctx context.Context, app *runtime.App, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", os.Getenv(worker.EnvBrokers), "bootstrap brokers (default $"+worker.EnvBrokers+")")
	topic := fs.String("topic", "", "topic to send to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *brokers == "" {
		return errors.New("send needs --brokers or " + worker.EnvBrokers + ": an embedded broker lives inside one process; run `streamgen dev-broker` to share one")
	}
	t, err := topicOf(app, *topic)
	if err != nil {
		return err
	}
	return send(ctx, app, *brokers, t, fs.Args())
}

func send(ctx context.Context, app *runtime.App, brokers string, t *runtime.TopicDesc, values []string) error {
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{Brokers: brokers, ClientID: app.ID() + "-send", Logger: app.Logger()}}, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	for _, v := range values {
		rec, err := Encode(t, v)
		if err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = p.Send(sctx, rec)
		cancel()
		if err != nil {
			return fmt.Errorf("sending to %q: %w", t.Name, err)
		}
	}
	return nil
}

func runTail(ctx context.Context, app *runtime.App, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", os.Getenv(worker.EnvBrokers), "bootstrap brokers (default $"+worker.EnvBrokers+")")
	topic := fs.String("topic", "", "topic to print")
	n := fs.Int("n", 0, "stop after this many records (0: until interrupted or --timeout)")
	timeout := fs.Duration("timeout", 0, "stop after this long without a new record (0: never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *brokers == "" {
		return errors.New("tail needs --brokers or " + worker.EnvBrokers)
	}
	t, err := topicOf(app, *topic)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return tail(ctx, *brokers, t, *n, *timeout, func(s string) { fmt.Fprintln(stdout, s) })
}

// tail reads t from the start with an independent client (franz-go) and
// calls print for each record, until n records, ctx's end, or idle
// without records.
func tail(ctx context.Context, brokers string, t *runtime.TopicDesc, n int, idle time.Duration, print func(string)) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics(t.Name),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	seen := 0
	for n == 0 || seen < n {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
		}
		fetches := cl.PollFetches(pctx)
		idleOut := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if idleOut {
			if n > 0 {
				return fmt.Errorf("tail %q: read %d of %d records before %v passed without one", t.Name, seen, n, idle)
			}
			return nil
		}
		for _, fe := range fetches.Errors() {
			return fmt.Errorf("tail %q: %w", t.Name, fe.Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if n == 0 || seen < n {
				print(Format(t, r.Value))
				seen++
			}
		})
	}
	return nil
}

func runDemo(ctx context.Context, app *runtime.App, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	values := fs.Args()
	if len(values) == 0 {
		return errors.New("demo needs values to send, e.g. demo hello world")
	}
	log, err := logger(stderr, *level)
	if err != nil {
		return err
	}
	ag := app.Agents()[0]
	last := app.Agents()[len(app.Agents())-1]
	if len(last.Desc.Outputs) == 0 {
		return fmt.Errorf("agent %s emits nothing to show", last.Name())
	}
	dataDir, err := os.MkdirTemp("", "streamgen-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	b, err := broker.Start(broker.WithLogger(log))
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintf(stdout, "embedded broker on %s\n", b.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(ctx, app, worker.WithBrokers(b.Addr()), worker.WithLogger(log), worker.WithDataDir(dataDir),
			worker.WithReady(func(string) { close(ready) }))
	}()
	select {
	case <-ready:
	case err := <-done:
		return err
	}
	in, out := ag.Desc.Input, last.Desc.Outputs[0]
	for _, v := range values {
		fmt.Fprintf(stdout, "sent to %s: %s\n", in.Name, v)
	}
	if err := send(ctx, app, b.Addr(), in, values); err != nil {
		return err
	}
	// A one-agent app emits one record per value; a longer pipeline may
	// emit any number: read until the output has been quiet for a while.
	n, idle := len(values), 30*time.Second
	if len(app.Agents()) > 1 {
		n, idle = 0, 3*time.Second
	}
	err = tail(ctx, b.Addr(), out, n, idle, func(s string) {
		fmt.Fprintf(stdout, "read from %s: %s\n", out.Name, s)
	})
	cancel()
	if werr := <-done; werr != nil && err == nil {
		err = werr
	}
	return err
}
