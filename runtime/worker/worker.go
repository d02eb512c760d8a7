// Package worker runs a registered streamgen App on Kafka: it joins the
// app's consumer group, creates and checks the app's topics, runs each
// owned partition's records through the agents, produces their outputs,
// and commits input offsets at least once with no gaps: an offset is
// committed only when every output (and dead letter) of every record
// before it is acknowledged by the broker.
//
// With no brokers configured (neither WithBrokers nor STREAMGEN_BROKERS),
// Run starts an embedded broker in-process and says so in its log.
package worker

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// EnvBrokers is the environment variable read for the bootstrap brokers
// when WithBrokers is not given.
const EnvBrokers = "STREAMGEN_BROKERS"

// Option configures a worker.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	brokers         string
	sessionTimeout  time.Duration
	storeInterval   time.Duration
	shutdownTimeout time.Duration
	kafkaConfig     map[string]string
	clientID        string
	ready           func(brokers string)
	maxBatch        int
	threads         int
	dataDir         string
	hooks           []any
	standbys        int
	logger          *slog.Logger
	instanceID      string
	static          bool
	eos             *bool
}

// EnvInstanceID is the environment variable read for the worker's
// instance id when WithInstanceID is not given.
const EnvInstanceID = "STREAMGEN_INSTANCE_ID"

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

// WithLogger sets the worker's logger, which also receives librdkafka's
// and the embedded broker's logs. Default: the App's logger.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithBrokers sets the bootstrap brokers, "host:port[,host:port]".
// Default: the STREAMGEN_BROKERS environment variable, else an embedded
// broker started in-process.
func WithBrokers(brokers string) Option {
	return optionFunc(func(c *config) { c.brokers = brokers })
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
	return optionFunc(func(c *config) { c.eos = &on })
}

// WithReady calls fn with the bootstrap brokers once the worker has
// created its topics and joined its group. Default: none.
func WithReady(fn func(brokers string)) Option {
	return optionFunc(func(c *config) { c.ready = fn })
}

// Run runs app until ctx ends or a record stops it (OnErrorStop, or a
// record whose output the broker refused), then stops polling, finishes
// the work in flight, flushes outputs, commits and leaves the group. It
// returns nil after a clean stop on ctx's end.
func Run(ctx context.Context, app *runtime.App, opts ...Option) error {
	cfg := config{
		brokers:         os.Getenv(EnvBrokers),
		instanceID:      os.Getenv(EnvInstanceID),
		sessionTimeout:  10 * time.Second,
		storeInterval:   app.CommitInterval(),
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
	log := cfg.logger.With("app", app.ID())
	if app.ID() == "" || len(app.Agents()) == 0 {
		return errors.New("streamgen worker: the app has no agents; call the generated Register function first")
	}
	if cfg.brokers == "" {
		b, err := broker.Start(broker.WithLogger(log))
		if err != nil {
			return err
		}
		defer b.Close()
		cfg.brokers = b.Addr()
		log.Info("no brokers configured: started an embedded broker in-process (set --brokers or "+EnvBrokers+" for a real cluster)", "addr", cfg.brokers)
	}
	if cfg.dataDir == "" {
		cfg.dataDir = filepath.Join(os.TempDir(), "streamgen", app.ID())
	}
	host, _ := os.Hostname()
	if cfg.clientID == "" {
		cfg.clientID = fmt.Sprintf("%s-%s-%d", app.ID(), host, os.Getpid())
	}
	if cfg.static && cfg.instanceID == "" {
		return errors.New("streamgen worker: static membership needs an instance id (WithInstanceID, --instance-id or " + EnvInstanceID + ")")
	}
	if cfg.instanceID == "" {
		cfg.instanceID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	kcfg := kafka.Config{Brokers: cfg.brokers, ClientID: cfg.clientID, Logger: log, Extra: cfg.kafkaConfig}
	if err := kafka.EnsureTopics(ctx, kcfg, app.Topics()); err != nil {
		return fmt.Errorf("streamgen worker: %w", err)
	}
	byTopic := map[string][]*runtime.Agent{}
	var inputs []string
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil {
			continue // on_window_close agents consume no topic
		}
		t := ag.Desc.Input.Name
		if byTopic[t] == nil {
			inputs = append(inputs, t)
		}
		byTopic[t] = append(byTopic[t], ag)
	}
	writers, coAssign := tableWriters(app)
	if len(coAssign) > 0 {
		// Partition p of a table written from several topics is partition
		// p of each: one worker thread must own all of them. librdkafka's
		// range assignor gives each member the same partition numbers of
		// every topic with the same partition count (all members subscribe
		// to the same topics); cooperative-sticky does not.
		if s, ok := cfg.kafkaConfig["partition.assignment.strategy"]; ok && s != "range" {
			return fmt.Errorf("streamgen worker: %s: partition p of each of these topics must go to the same worker, which needs partition.assignment.strategy=range, not %q", strings.Join(coAssign, "; "), s)
		}
		log.Info("co-partitioned inputs: partitions are assigned with the range assignor (eager rebalances)", "tables", strings.Join(coAssign, "; "))
	}
	eos := app.ExactlyOnce()
	if cfg.eos != nil {
		eos = *cfg.eos
	}
	threads := cfg.threads
	if threads <= 0 {
		threads = 1
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	rs := &runState{stop: stopLoops}
	procCtx, procCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer procCancel()
	// Global tables load before anything is consumed.
	gs, err := openGlobals(&worker{app: app, cfg: cfg, log: log, procCtx: procCtx, kcfg: kcfg})
	if err != nil {
		return fmt.Errorf("streamgen worker: %w", err)
	}
	defer gs.close()
	ws := make([]*worker, threads)
	for i := range ws {
		tcfg := kcfg
		tcfg.ClientID = fmt.Sprintf("%s-%d", kcfg.ClientID, i)
		w := &worker{app: app, cfg: cfg, log: log.With("thread", i), parts: map[kafka.TopicPartition]*partition{},
			restoring: map[kafka.TopicPartition]*restoreJob{}, writers: writers, open: map[storeKey]*tableStore{},
			byTopic: byTopic, procCtx: procCtx, run: rs, kcfg: tcfg, globals: gs, eos: eos}
		if w.eos {
			w.txnID = fmt.Sprintf("%s-%s-%d", app.ID(), cfg.instanceID, i)
		}
		var err error
		if w.producer, err = w.newProducer(); err != nil {
			closeAll(ws[:i])
			return err
		}
		ccfg := kafka.ConsumerConfig{
			Config: tcfg, Group: app.ID(), Topics: inputs, SessionTimeout: cfg.sessionTimeout, Transactional: w.eos,
		}
		if len(coAssign) > 0 {
			ccfg.Assignor = "range"
		}
		if cfg.static {
			ccfg.InstanceID = fmt.Sprintf("%s-%d", cfg.instanceID, i)
		}
		if w.consumer, err = kafka.NewConsumer(ccfg, w); err != nil {
			w.producer.Close()
			closeAll(ws[:i])
			return err
		}
		if cfg.standbys > 0 {
			w.standby = newStandbys(w, cfg.standbys)
		}
		ws[i] = w
	}
	guarantee := "at-least-once"
	if eos {
		guarantee = "exactly-once"
	}
	log.Info("worker started", "brokers", cfg.brokers, "group", app.ID(), "topics", inputs, "threads", threads,
		"guarantee", guarantee, "commit_interval", cfg.storeInterval, "instance", cfg.instanceID)
	if cfg.ready != nil {
		cfg.ready(cfg.brokers)
	}
	var wg sync.WaitGroup
	if len(gs.tables) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gs.follow(loopCtx)
		}()
	}
	for _, w := range ws {
		w.loopDone = loopCtx.Done()
		if w.standby != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.standby.run(loopCtx, 500*time.Millisecond)
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.loop(loopCtx); err != nil {
				rs.fail(err)
			}
			// Stop: lanes skip the records still queued (bounded shutdown:
			// one record's handling at most), what was done is committed,
			// then the worker leaves the group.
			w.stopping.Store(true)
			w.revokeAll()
			if !w.eos {
				if err := w.consumer.Commit(); err != nil {
					w.log.Warn("final commit failed", "error", err)
				}
			}
			if err := w.consumer.Close(); err != nil {
				w.log.Warn("leaving the group failed", "error", err)
			}
			w.producer.Close()
		}()
	}
	wg.Wait()
	runErr := rs.failure()
	log.Info("worker stopped", "error", runErr)
	return runErr
}

func closeAll(ws []*worker) {
	for _, w := range ws {
		_ = w.consumer.Close()
		w.producer.Close()
	}
}

// runState is shared by a worker's threads: the first fatal error stops
// them all.
type runState struct {
	stop  context.CancelFunc
	errMu sync.Mutex
	err   error
}

func (r *runState) failure() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

func (r *runState) fail(err error) bool {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if r.err != nil {
		return false
	}
	r.err = err
	r.stop()
	return true
}

// worker is one stream thread: a consumer (a group member) and a producer
// of its own, the partitions the group gave that consumer, and their lanes.
type worker struct {
	app      *runtime.App
	cfg      config
	log      *slog.Logger
	consumer *kafka.Consumer
	producer *kafka.Producer
	byTopic  map[string][]*runtime.Agent
	procCtx  context.Context
	run      *runState
	kcfg     kafka.Config

	parts     map[kafka.TopicPartition]*partition  // touched only by the poll goroutine
	restoring map[kafka.TopicPartition]*restoreJob // assigned, paused, restoring
	writers   map[string]int                       // per table: how many agents write it
	openMu    sync.Mutex                           // guards open
	open      map[storeKey]*tableStore             // open stores, shared by co-partitioned partitions
	standby   *standbys                            // nil without standby replicas
	globals   *globals                             // shared by the worker's threads

	// Exactly-once (see txn.go).
	eos        bool
	txnID      string
	dirty      atomic.Bool  // something was produced in the open transaction
	produceMu  sync.Mutex   // guards produceErr
	produceErr error        // a produce call refused in the open transaction
	fatalAt    time.Time    // when the producer was last replaced
	stopping   atomic.Bool  // the worker stops: lanes skip queued records
	inCallback bool         // in Poll, where rebalance callbacks run
	rewinds    []*partition // stopped after an abort, to rewind and start after Poll
	loopDone   <-chan struct{}
}

func (w *worker) failure() error { return w.run.failure() }

// fail records the first fatal error; every thread's poll loop stops.
func (w *worker) fail(err error) {
	if w.run.fail(err) {
		w.log.Error("worker stopping", "error", err)
	}
}

func (w *worker) loop(ctx context.Context) error {
	var batch []*runtime.Record
	lastStore, lastCheckpoint := time.Now(), time.Now()
	for ctx.Err() == nil {
		if err := w.failure(); err != nil {
			return err
		}
		var err error
		w.inCallback = true // rebalance callbacks run inside Poll
		batch, err = w.consumer.Poll(100*time.Millisecond, w.cfg.maxBatch, batch[:0])
		w.inCallback = false
		if err != nil {
			w.fail(err)
			return err
		}
		if len(w.rewinds) > 0 {
			w.finishRewinds()
		}
		for _, rec := range batch {
			w.dispatch(rec)
		}
		w.finishRestores()
		clear(batch)
		if time.Since(lastStore) >= w.cfg.storeInterval {
			if w.eos {
				w.commitTxn(nil, nil)
			} else {
				w.storeOffsets()
			}
			lastStore = time.Now()
		}
		if time.Since(lastCheckpoint) >= time.Second {
			w.checkpointTables()
			lastCheckpoint = time.Now()
		}
	}
	return nil
}

// inflight is one input record on its way: pending counts the agents
// still running it plus its outputs not yet acknowledged.
type inflight struct {
	// rec is the record until every agent has processed it; then it is
	// dropped, so the poll batch it lives in is not held while its
	// outputs and table writes wait for acknowledgements.
	rec     *runtime.Record
	off     int64      // rec.Offset
	part    *partition // rec's partition
	left    atomic.Int32
	pending atomic.Int32
	bar     *barrier    // set on a lane's commit barrier instead of a record
	skipped atomic.Bool // a lane skipped it while stopping: it is never committed
}

// processed is called by each agent's lane once it is done with f.rec.
func (f *inflight) processed() {
	if f.left.Add(-1) == 0 {
		f.rec = nil
	}
}

type lane struct {
	ch chan *inflight
}

type partition struct {
	tp     kafka.TopicPartition
	agents []*runtime.Agent
	lanes  [][]lane // per agent, per concurrency slot
	wg     sync.WaitGroup

	tables   [][]*tableStore // per agent, per agent table
	stores   []*tableStore   // each once
	streamMs atomic.Int64    // highest event time seen, in ms; 0: none yet
	lastWall atomic.Int64    // wall clock (ms) when an event last advanced streamMs
	lastSeen atomic.Int64    // the event time (ms) it advanced to

	mu     sync.Mutex
	queue  []*inflight // in offset order; queue[head:] not yet committable
	head   int
	stored int64 // next offset last stored, -1 before any

	// Exactly-once: the offset after the last record dispatched and the
	// last one committed (-1: none), and whether the partition's lanes
	// must stop without producing anything more (aborted or moved).
	next            int64
	committed       int64
	discard         atomic.Bool
	committedStream atomic.Int64 // stream time at the last commit
	publishedStream int64        // stream time last written to the changelogs (poll goroutine)
	skipped         atomic.Bool  // a lane skipped a record while stopping
}

func (w *worker) Assigned(tps []kafka.TopicPartition) (pause []kafka.TopicPartition) {
	if w.standby != nil {
		w.standby.assigned(tps)
	}
	var ps []*partition
	for _, tp := range tps {
		if w.parts[tp] != nil || w.restoring[tp] != nil {
			continue
		}
		ps = append(ps, &partition{tp: tp, agents: w.byTopic[tp.Topic], stored: -1, next: -1, committed: -1})
	}
	if len(tps) > 0 {
		w.log.Info("partitions assigned", "partitions", fmt.Sprint(tps))
	}
	stores, err := w.openTables(ps)
	if err != nil {
		w.fail(fmt.Errorf("streamgen worker: partitions %v: %w", tps, err))
		return nil
	}
	var stateful []*partition
	for _, p := range ps {
		if len(p.stores) == 0 {
			w.start(p)
		} else {
			stateful = append(stateful, p)
			pause = append(pause, p.tp)
		}
	}
	if len(stateful) > 0 {
		w.startRestore(stateful, stores)
	}
	return pause
}

// restoreJob restores the stores of newly assigned partitions while they
// are paused.
type restoreJob struct {
	ps     []*partition
	stores []*tableStore
	cancel context.CancelFunc
	done   chan error
}

func (w *worker) startRestore(ps []*partition, stores []*tableStore) {
	ctx, cancel := context.WithCancel(w.procCtx)
	j := &restoreJob{ps: ps, stores: stores, cancel: cancel, done: make(chan error, 1)}
	for _, p := range ps {
		w.restoring[p.tp] = j
	}
	go func() { j.done <- w.restoreStores(ctx, stores) }()
}

// finishRestores starts the partitions whose restore is done and resumes
// their fetching. It runs in the poll goroutine, after each poll.
func (w *worker) finishRestores() {
	seen := map[*restoreJob]bool{}
	for _, j := range w.restoring {
		if seen[j] {
			continue
		}
		seen[j] = true
		select {
		case err := <-j.done:
			j.cancel()
			var tps []kafka.TopicPartition
			for _, p := range j.ps {
				delete(w.restoring, p.tp)
				tps = append(tps, p.tp)
			}
			if err != nil {
				w.closeStores(j.stores)
				w.fail(fmt.Errorf("streamgen worker: partitions %v: %w", tps, err))
				continue
			}
			for _, p := range j.ps {
				w.start(p)
			}
			if err := w.consumer.Resume(tps); err != nil {
				w.fail(fmt.Errorf("streamgen worker: %w", err))
			}
		default:
		}
	}
}

// stopRestores cancels the restores of tps (whole jobs: the job's other
// partitions restart in a job of their own) and closes their stores.
func (w *worker) stopRestores(tps []kafka.TopicPartition) {
	gone := map[kafka.TopicPartition]bool{}
	jobs := map[*restoreJob]bool{}
	for _, tp := range tps {
		if j := w.restoring[tp]; j != nil {
			jobs[j] = true
			gone[tp] = true
		}
	}
	for j := range jobs {
		j.cancel()
		<-j.done
		var keep []*partition
		var keepStores []*tableStore
		for _, p := range j.ps {
			delete(w.restoring, p.tp)
			if gone[p.tp] {
				w.closeTables(p, false)
				continue
			}
			keep = append(keep, p)
			for _, ts := range p.stores {
				if !slices.Contains(keepStores, ts) { // co-partitioned partitions share stores
					keepStores = append(keepStores, ts)
				}
			}
		}
		if len(keep) > 0 {
			w.startRestore(keep, keepStores)
		}
	}
}

// start runs a partition: its stream time, its lanes.
func (w *worker) start(p *partition) {
	p.resumeStreamTime()
	p.lanes = make([][]lane, len(p.agents))
	for i, ag := range p.agents {
		n := ag.Desc.Concurrency
		if n < 1 {
			n = 1
		}
		p.lanes[i] = make([]lane, n)
		for j := range p.lanes[i] {
			l := lane{ch: make(chan *inflight, 256)}
			p.lanes[i][j] = l
			p.wg.Add(1)
			go w.runLane(p, i, j, ag, l)
		}
	}
	w.parts[p.tp] = p
}

func (w *worker) Revoked(tps []kafka.TopicPartition, lost bool) {
	if len(tps) > 0 {
		w.log.Info("partitions revoked", "partitions", fmt.Sprint(tps), "lost", lost)
	}
	w.stopRestores(tps)
	w.dropRewinds(tps)
	if w.eos {
		w.revokedTxn(tps, lost)
	} else {
		w.drain(tps, !lost)
	}
	if w.standby != nil {
		w.standby.revoked(tps)
	}
}

func (w *worker) revokeAll() {
	var restoring []kafka.TopicPartition
	for tp := range w.restoring {
		restoring = append(restoring, tp)
	}
	w.stopRestores(restoring)
	w.dropRewinds(nil)
	tps := make([]kafka.TopicPartition, 0, len(w.parts))
	for tp := range w.parts {
		tps = append(tps, tp)
	}
	if w.eos {
		w.revokedTxn(tps, w.failure() != nil)
		return
	}
	w.drain(tps, true)
}

// drain stops the partitions' lanes after the records already handed to
// them, waits until their outputs are acknowledged (bounded by the
// shutdown timeout), and stores their final offsets when store is set.
func (w *worker) drain(tps []kafka.TopicPartition, store bool) {
	var ps []*partition
	for _, tp := range tps {
		if p := w.parts[tp]; p != nil {
			ps = append(ps, p)
			delete(w.parts, tp)
		}
	}
	deadline := time.Now().Add(w.cfg.shutdownTimeout)
	stopLanes(ps)
	for _, p := range ps {
		for w.failure() == nil && p.busy() && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		if p.busy() && w.failure() == nil {
			w.log.Warn("partition still has unacknowledged work after the shutdown timeout; its offset stays before it", "partition", p.tp.String())
		}
	}
	for _, p := range ps {
		w.closeTables(p, w.failure() == nil && !p.busy())
	}
	if !store {
		return
	}
	var offs []kafka.Offset
	for _, p := range ps {
		if next, ok := p.advance(); ok {
			offs = append(offs, kafka.Offset{TopicPartition: p.tp, Offset: next})
		}
	}
	if err := w.consumer.StoreOffsets(offs); err != nil {
		w.log.Warn("storing offsets of revoked partitions failed", "error", err)
	}
}

// stopLanes closes the partitions' lanes and waits until each has
// finished (or skipped) what it was handed.
func stopLanes(ps []*partition) {
	for _, p := range ps {
		for _, ls := range p.lanes {
			for _, l := range ls {
				close(l.ch)
			}
		}
	}
	for _, p := range ps {
		p.wg.Wait()
	}
}

func (p *partition) busy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.queue[p.head:] {
		if f.skipped.Load() {
			return false // nothing from here on is committed anyway
		}
		if f.pending.Load() != 0 {
			return true
		}
	}
	return false
}

// advance pops the finished records at the head of the queue and returns
// the next offset to commit, and whether it moved since the last call.
func (p *partition) advance() (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	next := p.stored
	for p.head < len(p.queue) && p.queue[p.head].pending.Load() == 0 {
		next = p.queue[p.head].off + 1
		p.queue[p.head] = nil
		p.head++
	}
	if p.head > 1024 && p.head*2 > len(p.queue) {
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue = p.queue[:n]
		p.head = 0
	}
	if next == p.stored {
		return next, false
	}
	p.stored = next
	return next, true
}

func (w *worker) storeOffsets() {
	var offs []kafka.Offset
	for _, p := range w.parts {
		if next, ok := p.advance(); ok {
			offs = append(offs, kafka.Offset{TopicPartition: p.tp, Offset: next})
		}
	}
	if err := w.consumer.StoreOffsets(offs); err != nil {
		w.log.Warn("storing offsets failed", "error", err)
	}
}

func (w *worker) dispatch(rec *runtime.Record) {
	p := w.parts[kafka.TopicPartition{Topic: rec.Topic, Partition: rec.Partition}]
	if p == nil {
		// Polled before its partition was revoked: the new owner reads it
		// again from the committed offset, which is before it.
		return
	}
	if rec.Offset < p.next {
		return // already handed over, or before the committed offset after a rewind
	}
	p.next = rec.Offset + 1
	f := &inflight{rec: rec, off: rec.Offset, part: p}
	f.left.Store(int32(len(p.agents)))
	f.pending.Store(int32(len(p.agents)))
	if !w.eos { // exactly-once commits what was handed out, at barriers
		p.mu.Lock()
		p.queue = append(p.queue, f)
		p.mu.Unlock()
	}
	for _, ls := range p.lanes {
		l := ls[0]
		if len(ls) > 1 {
			l = ls[laneOf(rec, len(ls))]
		}
		select {
		case l.ch <- f:
		case <-w.loopDone:
			// Stopping while a slow lane is full: the record is left to
			// the next owner, never committed.
			f.skipped.Store(true)
			p.skipped.Store(true)
		}
	}
}

// laneOf keeps records with the same key on one lane, in order.
func laneOf(rec *runtime.Record, n int) int {
	if rec.Key == nil {
		return int(rec.Offset % int64(n))
	}
	h := fnv.New32a()
	_, _ = h.Write(rec.Key)
	return int(h.Sum32() % uint32(n))
}

func (w *worker) runLane(p *partition, agentIdx, laneIdx int, ag *runtime.Agent, l lane) {
	defer p.wg.Done()
	var em runtime.Emitter
	em.SetStreamTime(func() time.Time {
		if ms := p.streamMs.Load(); ms != 0 {
			return time.UnixMilli(ms).UTC()
		}
		return time.Time{}
	})
	tables := p.tables[agentIdx]
	nlanes := len(p.lanes[agentIdx])
	windows := w.windowIndex(tables, laneIdx, nlanes)
	var ls *laneState
	if len(tables) > 0 {
		ls = newLaneState(tables)
		defer ls.close() // after the last flush (deferred below)
		em.SetState(ls)
	}
	// Outputs are produced in batches: whenever the lane has nothing more
	// waiting, or the batch is full. Table writes are gathered per key and
	// flushed every changelogInterval (or when many are waiting): only the
	// last value of a key in a flush goes to the store and the changelog,
	// as in Kafka Streams' record cache. Every output and every table write
	// is counted in its input's pending count before the lane lets go of
	// the input, and a changelog record's acknowledgement releases every
	// input whose write it carries, so an input is never committed before
	// its outputs and its table writes are in Kafka.
	var out []runtime.Record
	var toks []any
	var deferred []storeWrite              // exactly-once: store writes waiting for the commit
	unflushed := make([]bool, len(tables)) // exactly-once: tables with cached writes not yet in the store
	produce := func() {
		if len(out) == 0 {
			return
		}
		if err := w.producer.ProduceBatch(out, toks); err != nil {
			if w.eos {
				w.txnProduceFailed(err) // the commit aborts and replays
			} else {
				w.fail(fmt.Errorf("streamgen worker: producing outputs: %w", err))
			}
		} else if w.eos {
			w.dirty.Store(true)
		}
		clear(out)
		clear(toks)
		out, toks = out[:0], toks[:0]
	}
	// flushTable sends table i's pending writes to the store (at least
	// once) or to the commit (exactly once), and to the changelog.
	flushTable := func(i int, c *tableCache) {
		c.lock()
		defer c.unlock()
		pws := c.pending
		if len(pws) == 0 {
			return
		}
		ts := tables[i]
		batch := make([]state.KV, 0, len(pws))
		for _, pw := range pws {
			batch = append(batch, state.KV{Key: pw.key, Value: pw.v, Delete: pw.v == nil})
		}
		switch {
		case w.eos && c.shared:
			// Exactly-once, several writers: the store gets the batches
			// after the commit, in the order they were flushed (by any
			// writer's lane); until then the shared cache serves every
			// writer.
			c.deferred = append(c.deferred, batch)
		case w.eos:
			// Exactly-once: the store gets the batch only after the
			// transaction carrying its changelog records commits; until
			// then the lane's cache serves the lane's reads.
			deferred = append(deferred, storeWrite{ts: ts, batch: batch})
			unflushed[i] = true
		default:
			// The store first: a changelog offset is acknowledged only
			// after the store holds its write, which checkpoints rely on.
			if err := ts.store.Write(batch); err != nil {
				w.fail(fmt.Errorf("streamgen worker: writing table %q: %w", ts.desc.Name, err))
			}
			ls.flushed(i)
		}
		// Then the changelog, in chunks, so the lane's output buffer stays
		// small however many keys a flush carries.
		for _, pw := range pws {
			out = append(out, runtime.Record{Topic: ts.desc.Changelog.Name, Partition: ts.partition, Key: pw.key, Value: pw.v})
			toks = append(toks, &changelogToken{fs: pw.fs, ts: ts})
			pw.pending, pw.fs = false, nil
			if len(out) >= maxProduceBatch {
				produce()
			}
		}
		clear(pws)
		c.pending = pws[:0]
		if c.shared {
			// Produced before the lock goes, so the changelog holds the
			// writers' flushes in the order the store got them.
			produce()
		}
	}
	flushTables := func() {
		if ls == nil || ls.npend == 0 {
			return
		}
		for i, c := range ls.caches {
			flushTable(i, c)
		}
		ls.npend = 0
		produce()
	}
	defer func() {
		if p.discard.Load() {
			return // aborted or moved under exactly-once: nothing more goes out
		}
		flushTables()
		produce()
	}()
	var tick <-chan time.Time
	if len(tables) > 0 {
		t := time.NewTicker(changelogInterval)
		defer t.Stop()
		tick = t.C
	}
	expire := func() {
		now := p.streamMs.Load()
		for i, idx := range windows {
			if idx == nil {
				continue
			}
			exp := tables[i].desc.Window.Expires.Milliseconds()
			for k, e := range idx {
				if e.end+exp > now {
					continue
				}
				delete(idx, k)
				ls.write(i, []byte(k), nil)
				ls.write(i, runtime.ClosedMarkerKey([]byte(k)), nil)
			}
		}
	}
	closers := make([][]*runtime.Agent, len(tables))
	for i, ts := range tables {
		if ts.desc.Window != nil {
			closers[i] = w.app.ClosersOf(ts.desc.Name)
		}
	}
	var cem runtime.Emitter
	// closeWindows hands the final value of every window past its end
	// plus grace to the table's closers, once.
	closeWindows := func() {
		now := p.streamMs.Load()
		if now == 0 {
			return
		}
		for i, idx := range windows {
			if idx == nil || len(closers[i]) == 0 {
				continue
			}
			ts := tables[i]
			grace := ts.desc.Window.Grace.Milliseconds()
			var due []string
			for k, e := range idx {
				if !e.closed && e.end+grace <= now {
					due = append(due, k)
				}
			}
			sort.Slice(due, func(a, b int) bool {
				return idx[due[a]].end < idx[due[b]].end || (idx[due[a]].end == idx[due[b]].end && due[a] < due[b])
			})
			for _, k := range due {
				idx[k].closed = true
				value, found, err := ls.Get(i, []byte(k))
				if err != nil {
					w.fail(fmt.Errorf("streamgen worker: reading window of table %q: %w", ts.desc.Name, err))
					return
				}
				if !found {
					continue
				}
				key, start, _ := runtime.SplitWindowKey([]byte(k))
				cw := runtime.ClosedWindow{Table: ts.desc.Name, Key: key, Start: start, End: start.Add(ts.desc.Window.Size)}
				g := &closeGroup{ts: ts, marker: runtime.ClosedMarkerKey([]byte(k))}
				var recs []runtime.Record
				for _, c := range closers[i] {
					if err := c.ProcessClosed(w.procCtx, cw, ts.partition, value, &cem); err != nil {
						if c.Desc.OnError == runtime.OnErrorStop {
							w.fail(fmt.Errorf("streamgen worker: %w (on_error: ON_ERROR_STOP)", err))
							return
						}
						dl := c.DeadLetter(&runtime.Record{Topic: ts.desc.Changelog.Name, Partition: ts.partition, Offset: -1, Key: key, Value: value, Timestamp: cw.End}, err)
						w.log.Warn("closed window sent to dead-letter topic", "error", err, "dead_letter_topic", dl.Topic)
						recs = append(recs, *dl)
						continue
					}
					recs = append(recs, cem.Records()...)
				}
				if w.eos {
					// Exactly-once: the outputs and the closed marker go in
					// the open transaction; the marker reaches the store, as
					// any table write, only when it commits.
					for _, r := range recs {
						out = append(out, r)
						toks = append(toks, nil)
					}
					ls.write(i, g.marker, []byte{1})
					continue
				}
				g.remaining.Store(int32(len(recs) + 1))
				for _, r := range recs {
					out = append(out, r)
					toks = append(toks, &closeToken{g: g})
				}
				out = append(out, runtime.Record{Topic: ts.desc.Changelog.Name, Partition: ts.partition, Key: g.marker, Value: []byte{1}})
				toks = append(toks, &closeToken{g: g, changelog: true})
			}
		}
		produce()
	}
	for {
		var f *inflight
		select {
		case <-tick:
			if p.discard.Load() {
				continue
			}
			p.idleAdvance()
			closeWindows() // before expiry, which deletes the values
			expire()
			flushTables()
			continue
		case rec, ok := <-l.ch:
			if !ok {
				return
			}
			f = rec
		}
		if f.bar != nil {
			// Exactly-once commit barrier: everything handed to the lane
			// before it is processed; send what is gathered, give the
			// coordinator the store writes to apply after the commit, and
			// wait for the commit's outcome.
			if !p.discard.Load() {
				flushTables()
				produce()
			}
			f.bar.add(deferred)
			deferred = nil
			f.bar.ready.Done()
			<-f.bar.release
			if f.bar.ok {
				for i, u := range unflushed {
					if u {
						ls.flushed(i)
						unflushed[i] = false
					}
				}
			}
			continue
		}
		if w.stopping.Load() {
			// Stopping: the record stays uncommitted (at least once: its
			// pending count never reaches 0; exactly once: the skipped
			// flag aborts the last transaction) and the next owner reads it.
			p.skipped.Store(true)
			f.skipped.Store(true)
			continue
		}
		if w.failure() != nil || p.discard.Load() {
			continue // stopping: leave the record uncommitted
		}
		// A table with several writer agents: their lanes take turns, a
		// record at a time (its reads and its writes), on one cache.
		ls.lockShared()
		err := ag.Process(w.procCtx, f.rec, &em)
		if err != nil {
			ls.unlockShared()
			if ag.Desc.OnError == runtime.OnErrorStop {
				w.fail(fmt.Errorf("streamgen worker: %w (on_error: ON_ERROR_STOP; nothing from this record on is committed)", err))
				continue
			}
			dl := ag.DeadLetter(f.rec, err)
			f.processed()
			w.log.Warn("record sent to dead-letter topic", "error", err, "dead_letter_topic", dl.Topic)
			f.pending.Add(1)
			out = append(out, *dl)
			toks = append(toks, f)
		} else {
			recs := em.Records()
			writes := em.Writes()
			late, rec := em.Late(), f.rec
			f.processed()
			f.pending.Add(int32(len(recs) + len(writes)))
			for range recs {
				toks = append(toks, f)
			}
			out = append(out, recs...)
			p.observe(em.EventTime().UnixMilli())
			if late > 0 {
				w.log.Warn("late record: window writes skipped, their windows closed (past end plus grace)",
					"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "windows", late,
					"event_time", em.EventTime(), "stream_time", time.UnixMilli(p.streamMs.Load()).UTC())
			}
			for _, wr := range writes {
				if idx := windows[wr.Table]; idx != nil && idx[string(wr.Key)] == nil {
					if _, start, ok := runtime.SplitWindowKey(wr.Key); ok {
						idx[string(wr.Key)] = &winEntry{end: start.Add(tables[wr.Table].desc.Window.Size).UnixMilli()}
					}
				}
				pw := ls.write(wr.Table, wr.Key, wr.Value)
				pw.fs = append(pw.fs, f)
			}
			ls.unlockShared()
		}
		f.pending.Add(-1)
		if ls != nil && ls.npend >= maxPendingKeys {
			flushTables()
		}
		if len(l.ch) == 0 || len(out) >= maxProduceBatch {
			produce()
		}
	}
}

// changelogInterval is how often a lane flushes its table writes to the
// store and the changelog; maxPendingKeys distinct keys waiting flush them
// sooner (it bounds the lane's memory when most keys are new: each pending
// key holds its value and inputs until the flush, while repeated writes of
// a key cost nothing more); a lane hands librdkafka at most
// maxProduceBatch records per call.
const (
	changelogInterval = 100 * time.Millisecond
	maxPendingKeys    = 2000
	maxProduceBatch   = 1024
)

// observe moves stream time to an event time, if later.
func (p *partition) observe(ms int64) {
	for cur := p.streamMs.Load(); ms > cur; cur = p.streamMs.Load() {
		if p.streamMs.CompareAndSwap(cur, ms) {
			p.lastSeen.Store(ms)
			p.lastWall.Store(time.Now().UnixMilli())
			return
		}
	}
}

// idleAfter is how long a partition goes without a later event before its
// stream time follows the wall clock.
const idleAfter = time.Second

// idleAdvance moves an idle partition's stream time with the wall clock
// (from the last event's time), so windows close without a next event.
func (p *partition) idleAdvance() {
	last := p.lastWall.Load()
	if last == 0 {
		return
	}
	idle := time.Now().UnixMilli() - last
	if idle < idleAfter.Milliseconds() {
		return
	}
	target := p.lastSeen.Load() + idle
	for cur := p.streamMs.Load(); target > cur; cur = p.streamMs.Load() {
		if p.streamMs.CompareAndSwap(cur, target) {
			return
		}
	}
}

// ack is the producer's delivery callback.
func (w *worker) ack(token any, offset int64, err error) {
	if w.eos && err != nil {
		// Exactly-once: a refused record fails the transaction's commit,
		// which aborts it and processes its inputs again.
		w.txnProduceFailed(err)
		return
	}
	var f *inflight
	switch t := token.(type) {
	case *inflight:
		f = t
	case *closeToken:
		if err != nil {
			w.fail(fmt.Errorf("streamgen worker: the broker refused the final value or closed marker of a window of table %q: %w; it will be delivered again", t.g.ts.desc.Name, err))
			return
		}
		if t.changelog {
			t.g.ts.ackedNext.Store(offset + 1)
		}
		if t.g.remaining.Add(-1) == 0 {
			if err := t.g.ts.store.Write([]state.KV{{Key: t.g.marker, Value: []byte{1}}}); err != nil {
				w.log.Warn("recording a closed window failed; it may be delivered again", "table", t.g.ts.desc.Name, "error", err)
			}
		}
		return
	case *changelogToken:
		if err != nil && len(t.fs) == 0 {
			w.fail(fmt.Errorf("streamgen worker: the broker refused a changelog tombstone of table %q: %w", t.ts.desc.Name, err))
			return
		}
		if err != nil {
			f = t.fs[0]
			break
		}
		// Acknowledgements of one partition arrive in offset order.
		t.ts.ackedNext.Store(offset + 1)
		for _, g := range t.fs {
			g.pending.Add(-1)
		}
		return
	}
	if err != nil {
		w.fail(fmt.Errorf("streamgen worker: the broker refused an output of %s/%d@%d: %w; the input is not committed and will be processed again",
			f.part.tp.Topic, f.part.tp.Partition, f.off, err))
		return
	}
	f.pending.Add(-1)
}
