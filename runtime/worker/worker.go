// Package worker runs a registered streamgen App on Kafka: it joins the
// app's consumer group, creates and checks the app's topics, runs each
// owned partition's records through the agents, produces their outputs,
// keeps the agents' tables, and commits input offsets at least once with
// no gaps (an offset is committed only when every output, dead letter and
// table write of every record before it is acknowledged by the broker) or
// exactly once (outputs, changelog records and offsets in one Kafka
// transaction per commit interval).
//
// Where things live (DESIGN.md has the whole picture):
//
//   - worker.go: Run, which only wires the parts together; the worker
//     state every stream thread shares;
//   - options.go: every option and its default; hooks.go: the hook
//     interfaces and their check;
//   - topology.go: what Run derives from the app once (agents by topic,
//     tables' writers, co-assignment);
//   - thread.go: a stream thread, its poll loop and dispatch; clients.go:
//     replacing its Kafka clients after a fatal error;
//   - partition.go: a partition's lanes, start and stop; lane.go: the
//     goroutine feeding a lane (the lane's own code is in
//     runtime/internal/lane, shared with the test driver);
//   - rebalance.go: assignment and revocation;
//   - commit.go: the committer interface and at-least-once; tracker.go: its
//     offset tracker; txn.go, txn_commit.go, txn_recover.go, barrier.go:
//     the exactly-once committer (commit, abort and rewind, the barrier);
//   - stores.go: opening, sharing, checkpointing and closing table stores;
//     restore.go: restoring them from changelogs; standby.go: standby
//     replicas; global.go: global tables;
//   - observe.go: the thread's state and lag reports to the hooks of
//     package observe; http.go: the HTTP server (package web) when
//     WithHTTPAddr is given; query.go: table queries from its routes.
//
// Run needs brokers (WithBrokers or STREAMGEN_BROKERS); the app's command
// line (package cli) starts an embedded broker when none is given.
package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
)

// Run runs app until ctx ends or a record stops it (OnErrorStop, or a
// record whose output the broker refused), then stops polling, finishes
// the work in flight, flushes outputs, commits and leaves the group. It
// returns nil after a clean stop on ctx's end, and an error without
// running when the options, the hooks or the topics are wrong.
func Run(ctx context.Context, app *runtime.App, opts ...Option) error {
	cfg, err := newConfig(app, opts)
	if err != nil {
		return err
	}
	log := cfg.logger.With("app", app.ID())
	kcfg := kafka.Config{Brokers: cfg.brokers, ClientID: cfg.clientID, Logger: log, Extra: cfg.kafkaConfig}
	if err := kafka.EnsureTopics(ctx, kcfg, app.Topics()); err != nil {
		return fmt.Errorf("streamgen worker: %w", err)
	}
	topo := newTopology(app)
	if err := topo.checkAssignor(cfg.kafkaConfig, log); err != nil {
		return err
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	// Handlers and restores get a context that outlives ctx: stopping
	// finishes the records in hand.
	procCtx, procCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer procCancel()
	srv, err := listenHTTP(&cfg, app, log)
	if err != nil {
		return err
	}
	w := &worker{app: app, cfg: cfg, log: log, kcfg: kcfg, ctx: loopCtx, procCtx: procCtx, topo: topo,
		hooks: newHooks(cfg.hooks), exactlyOnce: cfg.exactlyOnce(app), stop: stopLoops,
		recordLimit: lane.RecordLimits(app, cfg.maxRecordBytes())}
	w.onProcess, w.onDone, w.onDead = w.hooks.processFunc(), w.hooks.doneFunc(), w.hooks.deadLetterFunc()
	w.groups = kafka.NewGroups(kcfg)
	defer w.groups.Close()
	// Global tables load before anything is consumed.
	if w.globals, err = openGlobals(w); err != nil {
		return fmt.Errorf("streamgen worker: %w", err)
	}
	defer w.globals.close()
	if srv != nil {
		w.httpURL = advertisedURL(cfg.httpAdvertise, srv.Addr())
	}
	threads, err := w.newThreads()
	if err != nil {
		return err
	}
	if srv != nil {
		stopHTTP := w.serveHTTP(srv, threads)
		defer stopHTTP()
	}
	w.logStart()
	if cfg.ready != nil {
		cfg.ready(cfg.brokers)
	}
	var wg sync.WaitGroup
	if len(w.globals.tables) > 0 {
		wg.Go(func() { w.globals.follow(loopCtx) })
	}
	for _, t := range threads {
		t.run(loopCtx, &wg)
	}
	wg.Wait()
	runErr := w.failure()
	log.Info("worker stopped", "error", runErr)
	return runErr
}

// worker is what a worker's stream threads share: the app, the options,
// the first fatal error (which stops every thread), the global tables.
type worker struct {
	app         *runtime.App
	cfg         config
	log         *slog.Logger
	kcfg        kafka.Config
	ctx         context.Context // Run's: ends when the worker stops or fails
	procCtx     context.Context // handlers and restores: outlives Run's ctx
	topo        *topology
	hooks       *hooks
	globals     *globals
	exactlyOnce bool
	recordLimit func(topic string) int   // the largest record each topic takes
	onProcess   func(observe.Processed)  // the lanes' ProcessHooks; nil without
	onDone      func(*lane.Input)        // the inputs' DoneHooks; nil without
	onDead      func(observe.DeadLetter) // the lanes' DeadLetterHooks; nil without
	httpURL     string                   // the HTTP server's base URL; "" without one
	groups      *kafka.Groups            // group descriptions and watermark queries (lazy)
	group       groupCache               // the group, described at most once a second (query.go)

	stop  context.CancelFunc // ends every thread's poll loop
	errMu sync.Mutex
	err   error
}

// newThreads creates the stream threads, each a consumer group member with
// a producer of its own.
func (w *worker) newThreads() ([]*thread, error) {
	ts := make([]*thread, w.cfg.threads)
	for i := range ts {
		t, err := newThread(w, i)
		if err != nil {
			for _, t := range ts[:i] {
				t.close()
			}
			return nil, err
		}
		ts[i] = t
	}
	return ts, nil
}

func (w *worker) logStart() {
	guarantee := "at-least-once"
	if w.exactlyOnce {
		guarantee = "exactly-once"
	}
	w.log.Info("worker started", "brokers", w.cfg.brokers, "group", w.app.ID(), "topics", w.topo.inputs,
		"threads", w.cfg.threads, "guarantee", guarantee, "commit_interval", w.cfg.commitInterval, "instance", w.cfg.instanceID)
}

func (w *worker) failure() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.err
}

// fail records the first fatal error; every thread's poll loop stops.
func (w *worker) fail(err error) {
	w.errMu.Lock()
	first := w.err == nil
	if first {
		w.err = err
	}
	w.errMu.Unlock()
	if first {
		w.stop()
		w.log.Error("worker stopping", "error", err)
	}
}
