package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/worker"
)

func defineDemo(fs *pflag.FlagSet, app *runtime.App) runFunc {
	level := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	wait := fs.Duration("wait", 5*time.Second, "stop once nothing has arrived for this long (a one-agent app stops as soon as each value has its output)")
	return func(ctx context.Context, values []string, stdout, stderr io.Writer) error {
		if len(values) == 0 {
			return errors.New("demo needs values to send, e.g. demo hello world")
		}
		log, err := logger(stderr, *level)
		if err != nil {
			return err
		}
		// Everything that can be checked is checked before the broker
		// and the worker start, so a mistake prints its error alone.
		p, err := planDemo(app, values)
		if err != nil {
			return err
		}
		return p.run(ctx, log, *wait, stdout)
	}
}

// demoPlan is what demo sends and what it prints.
type demoPlan struct {
	app      *runtime.App
	in       *runtime.TopicDesc
	values   []string
	recs     []*runtime.Record
	outs     []*runtime.TopicDesc // the outputs no agent reads
	emitters []*runtime.Agent     // the agents that emit to outs
}

// planDemo encodes values for the first agent with an input topic, and
// finds the topics to print.
func planDemo(app *runtime.App, values []string) (*demoPlan, error) {
	p := &demoPlan{app: app, values: values}
	for _, ag := range app.Agents() {
		if ag.Desc.Input != nil {
			p.in = ag.Desc.Input
			break
		}
	}
	if p.in == nil {
		return nil, fmt.Errorf("app %q has no agent with an input topic to send the values to", app.ID())
	}
	var err error
	if p.recs, err = encodeAll(p.in, values, nil); err != nil {
		return nil, err
	}
	p.outs, p.emitters = sinks(app)
	if len(p.outs) == 0 {
		return nil, fmt.Errorf("no agent of app %q emits to a topic: demo has nothing to show; run `worker` and `tail --topic` a table's changelog instead", app.ID())
	}
	return p, nil
}

// sinks returns the output topics that no agent reads (all outputs when
// every one is read), and the agents that emit to them. Timer and cron
// agents' outputs are left out: they come on time, not from the values
// sent, and never let the outputs go quiet.
func sinks(app *runtime.App) ([]*runtime.TopicDesc, []*runtime.Agent) {
	read := map[string]bool{}
	for _, ag := range app.Agents() {
		if ag.Desc.Input != nil {
			read[ag.Desc.Input.Name] = true
		}
	}
	var outs, all []*runtime.TopicDesc
	var emitters, allEmitters []*runtime.Agent
	seen := map[string]bool{}
	for _, ag := range app.Agents() {
		if ag.Desc.Timer != nil {
			continue
		}
		for _, t := range ag.Desc.Outputs {
			all, allEmitters = append(all, t), append(allEmitters, ag)
			if !read[t.Name] && !seen[t.Name] {
				seen[t.Name] = true
				outs, emitters = append(outs, t), append(emitters, ag)
			}
		}
	}
	if len(outs) == 0 {
		return all, allEmitters
	}
	return outs, emitters
}

// run starts an embedded broker and a worker, sends the values and prints
// what arrives on p.outs.
func (p *demoPlan) run(ctx context.Context, log *slog.Logger, wait time.Duration, stdout io.Writer) error {
	e, err := startDemo(ctx, p.app, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "embedded broker on %s\n", e.addr)
	err = p.exchange(e.ctx, e.addr, wait, stdout)
	if werr := e.stop(); werr != nil {
		return werr // the worker's error explains the rest
	}
	return err
}

// exchange sends the values and prints what arrives.
func (p *demoPlan) exchange(ctx context.Context, brokers string, wait time.Duration, stdout io.Writer) error {
	for _, v := range p.values {
		fmt.Fprintf(stdout, "sent to %s: %s\n", p.in.Name, v)
	}
	if err := send(ctx, p.app, brokers, nil, p.in, p.recs); err != nil {
		return err
	}
	formats := map[string]recordFormat{}
	var names []string
	for _, t := range p.outs {
		formats[t.Name] = formatOf(p.app, t, false)
		names = append(names, t.Name)
	}
	// A one-agent app emits one record per value; a pipeline may emit any
	// number: read until the outputs have been quiet for wait.
	n := 0
	if len(p.app.Agents()) == 1 && len(p.outs) == 1 {
		n = len(p.values)
	}
	got, err := tail(ctx, tailSpec{brokers: brokers, topics: names, n: n, idle: wait}, func(r *kgo.Record) {
		fmt.Fprintf(stdout, "read from %s: %s\n", r.Topic, formats[r.Topic].line(r.Key, r.Value))
	})
	if got == 0 && ctx.Err() == nil {
		return p.silence(names, wait)
	}
	return err
}

// silence explains why nothing arrived within wait.
func (p *demoPlan) silence(names []string, wait time.Duration) error {
	msg := fmt.Sprintf("nothing arrived on %s within %v", strings.Join(names, ", "), wait)
	for _, ag := range p.emitters {
		if tb := ag.Desc.WindowClose; tb != nil && tb.Window != nil {
			w := tb.Window
			return fmt.Errorf("%s: agent %s emits only when a window of table %q closes (%v windows, %v grace), once stream time "+
				"(the latest event time, or the wall clock on a quiet partition) passes the window's end plus grace; "+
				"send a value with a later event time, or wait up to a window's size plus grace: --wait %v",
				msg, ag.Name(), tb.Name, w.Size, w.Grace, w.Size+w.Grace+2*time.Second)
		}
	}
	return fmt.Errorf("%s: the agents emitted nothing for these values; see the worker's log with --log-level info, or wait longer with --wait", msg)
}

// demoEnv is a running embedded broker and worker.
type demoEnv struct {
	ctx    context.Context // ends when the worker stops
	cancel context.CancelFunc
	addr   string
	done   chan error
	b      *broker.Broker
	dir    string
}

// startDemo starts an embedded broker and a worker of app on it, and
// waits until the worker is ready.
func startDemo(ctx context.Context, app *runtime.App, log *slog.Logger) (*demoEnv, error) {
	dir, err := os.MkdirTemp("", "streamgen-demo-")
	if err != nil {
		return nil, err
	}
	b, err := broker.Start(broker.WithLogger(log))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	e := &demoEnv{addr: b.Addr(), done: make(chan error, 1), b: b, dir: dir}
	e.ctx, e.cancel = context.WithCancel(ctx)
	ready := make(chan struct{})
	go func() {
		e.done <- worker.Run(e.ctx, app, worker.WithBrokers(e.addr), worker.WithLogger(log), worker.WithDataDir(dir),
			worker.WithReady(func(string) { close(ready) }))
		e.cancel() // a failed worker ends the exchange at once
	}()
	select {
	case <-ready:
		return e, nil
	case <-e.ctx.Done():
		if err := e.stop(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("the worker stopped before it was ready: %w", context.Cause(e.ctx))
	}
}

// stop stops the worker, then the broker (in that order, so the worker
// does not log a broker gone), removes the data directory and returns
// the worker's error.
func (e *demoEnv) stop() error {
	e.cancel()
	err := <-e.done
	e.b.Close()
	os.RemoveAll(e.dir)
	return err
}
