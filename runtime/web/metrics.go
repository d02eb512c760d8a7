package web

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/streamgen/streamgen/runtime/observe"
)

// MetricsConfig configures NewMetrics.
type MetricsConfig struct {
	// App, when not empty, is set as the constant label app="App" on every
	// metric of package web, so workers of several apps can share a
	// Prometheus. Default: no app label.
	App string
	// Registry is where the metrics are registered. Default (nil): a new
	// prometheus.Registry with the Go runtime and process collectors.
	// A registry given here gets only streamgen's metrics: add the Go and
	// process collectors to it yourself if you want them.
	Registry *prometheus.Registry
	// Now returns the current time; it stamps the threads' heartbeats
	// (see ServerConfig.StuckAfter). Default: time.Now. Tests set it to a
	// virtual clock.
	Now func() time.Time
}

// Buckets of the histograms, in seconds.
var (
	// HandlerBuckets are the buckets of streamgen_handler_duration_seconds:
	// 10 µs to 10 s.
	HandlerBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	// LatencyBuckets are the buckets of
	// streamgen_end_to_end_latency_seconds: 1 ms to 2 min.
	LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}
	// CommitBuckets are the buckets of streamgen_commit_duration_seconds:
	// 1 ms to 30 s.
	CommitBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
)

// Metrics exports what a worker reports through the hooks of package
// observe as Prometheus metrics, and keeps the threads' heartbeats and
// states and the restores in flight for a Server's /healthz and /readyz.
// It implements every hook interface of package observe; its methods are
// safe for concurrent use, and OnProcess and OnDone, which run per record,
// do not allocate once an agent's or topic's series exist.
//
// The metrics, each with the constant label app when MetricsConfig.App is
// set:
//
//	streamgen_records_processed_total{agent,topic,outcome}  counter: input records handled, per agent (outcome: ok, dead_letter, repartitioned, stopped)
//	streamgen_records_emitted_total{agent}                  counter: records the handlers emitted
//	streamgen_handler_duration_seconds{agent}               histogram: handler time per record, decoding included
//	streamgen_dead_letters_total{agent,reason}              counter: records sent to the dead-letter topic (reason: the observe.Reason constants)
//	streamgen_repartitioned_records_total{agent}            counter: records sent to the repartition topic (key in the wrong partition)
//	streamgen_late_window_writes_total{agent}               counter: window writes skipped because their window or session had closed (late records)
//	streamgen_end_to_end_latency_seconds{topic}             histogram: record timestamp to the acknowledgement of all its work
//	streamgen_consumer_lag_records{topic,partition}         gauge: high watermark - position, for the running partitions
//	streamgen_consumer_position{topic,partition}            gauge: offset of the next record to process
//	streamgen_commits_total{result}                         counter: commits (result: ok, error)
//	streamgen_commit_duration_seconds                       histogram: commit time, failed commits included
//	streamgen_transaction_aborts_total                      counter: exactly-once transactions aborted because they could not commit (observe.Commit.Aborted)
//	streamgen_rebalances_total                              counter: rebalance callbacks (assignments and revocations) over all threads
//	streamgen_partitions_assigned_total{topic}              counter: partitions assigned to the threads
//	streamgen_partitions_revoked_total{topic,lost}          counter: partitions revoked (lost: true when lost without a hand-over)
//	streamgen_partitions_owned{topic}                       gauge: input partitions owned by all threads, running or restoring
//	streamgen_partitions_restoring                          gauge: owned input partitions whose tables are being restored
//	streamgen_restore_records_total{table,partition}        counter: changelog records read by restores
//	streamgen_restore_remaining_records{table,partition}    gauge: changelog offsets left to read, while the restore runs
//	streamgen_restore_records_per_second{table,partition}   gauge: the restore's rate so far, while it runs
//	streamgen_restores_total{result}                        counter: restores done (ok), restore attempts failed (error), restores cancelled by a revocation (canceled)
//	streamgen_table_keys{table,partition,replica}           gauge: estimated keys of a store (replica: active, standby), every ~10 s
//	streamgen_standby_lag_records{table,partition}          gauge: changelog records a standby has not applied, every ~10 s
//
// An agent's series for a topic, every outcome's included, exist (at 0)
// from its first record of the topic on, so rates and ratios have both
// sides. Series of a partition whose lag its thread no longer reports
// (revoked or lost) are removed, and so are a restore's gauges once it is
// done.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	processed     *prometheus.CounterVec
	emitted       *prometheus.CounterVec
	handlerTime   *prometheus.HistogramVec
	deadLetters   *prometheus.CounterVec
	repartitioned *prometheus.CounterVec
	lateWrites    *prometheus.CounterVec
	joinMisses    *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	lag           *prometheus.GaugeVec
	position      *prometheus.GaugeVec
	commits       *prometheus.CounterVec
	commitTime    prometheus.Histogram
	aborts        prometheus.Counter
	rebalances    prometheus.Counter
	assigned      *prometheus.CounterVec
	revoked       *prometheus.CounterVec
	owned         *prometheus.GaugeVec
	restoring     prometheus.Gauge
	restoreRecs   *prometheus.CounterVec
	restoreLeft   *prometheus.GaugeVec
	restoreRate   *prometheus.GaugeVec
	restores      *prometheus.CounterVec
	tableKeys     *prometheus.GaugeVec
	standbyLag    *prometheus.GaugeVec

	commitsOK, commitsErr prometheus.Counter
	restoresOK            prometheus.Counter
	restoresErr           prometheus.Counter
	restoresCanceled      prometheus.Counter

	// agents caches the series of an agent and topic (procKey to
	// *procSeries); topics those of a topic's latency (string to
	// prometheus.Observer). Both are read on the record path.
	agents sync.Map
	topics sync.Map

	// mu guards status and the lag series.
	mu     sync.Mutex
	status status
	// lagSeries maps a partition to its lag and position gauges, and
	// lagOwner to the thread that last reported it: only that thread's
	// reports remove its series, so a partition moving between threads of
	// this worker keeps its series.
	lagSeries map[observe.Partition]lagSeries
	lagOwner  map[observe.Partition]int
	// tableSeen is, per thread, the table series its last OnTables set.
	tableSeen map[int]map[tableSeries]bool
	// ownedTopics are the topics streamgen_partitions_owned has a series
	// for.
	ownedTopics map[string]bool

	// live is what the page shows beyond the series (live.go).
	live *live
}

// The hook interfaces Metrics implements.
var (
	_ observe.RestoreHook    = (*Metrics)(nil)
	_ observe.CommitHook     = (*Metrics)(nil)
	_ observe.ProcessHook    = (*Metrics)(nil)
	_ observe.DoneHook       = (*Metrics)(nil)
	_ observe.RebalanceHook  = (*Metrics)(nil)
	_ observe.StateHook      = (*Metrics)(nil)
	_ observe.LagHook        = (*Metrics)(nil)
	_ observe.TableHook      = (*Metrics)(nil)
	_ observe.DeadLetterHook = (*Metrics)(nil)
)

type procKey struct{ agent, topic string }

// procSeries are the series OnProcess updates for one agent and topic.
type procSeries struct {
	outcomes      [4]prometheus.Counter // by observe.Outcome
	emitted       prometheus.Counter
	took          prometheus.Observer
	repartitioned prometheus.Counter
	lateWrites    prometheus.Counter
	joinMisses    prometheus.Counter
}

type lagSeries struct{ lag, position prometheus.Gauge }

// NewMetrics creates the metrics and registers them in c.Registry (or a
// new registry). It fails only when c.Registry already holds a metric of
// the same name and labels, e.g. from another Metrics with the same App.
func NewMetrics(c MetricsConfig) (*Metrics, error) {
	reg := c.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	var cl prometheus.Labels
	if c.App != "" {
		cl = prometheus.Labels{"app": c.App}
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: cl}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: cl}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets, ConstLabels: cl}, labels)
	}
	m := &Metrics{
		reg: reg,
		now: now,

		processed:     counter("streamgen_records_processed_total", "Input records handled, per agent, by outcome (ok, dead_letter, repartitioned, stopped).", "agent", "topic", "outcome"),
		emitted:       counter("streamgen_records_emitted_total", "Records emitted by the agent's handler.", "agent"),
		handlerTime:   histogram("streamgen_handler_duration_seconds", "Time the agent's handler took per record, decoding included.", HandlerBuckets, "agent"),
		deadLetters:   counter("streamgen_dead_letters_total", "Input records sent to the agent's dead-letter topic, by reason.", "agent", "reason"),
		repartitioned: counter("streamgen_repartitioned_records_total", "Input records sent to the agent's repartition topic (their key belongs to another partition).", "agent"),
		joinMisses:    counter("streamgen_join_misses_total", "Input records of an inner join whose key had no value in the joined table: the handler was not called.", "agent"),
		lateWrites:    counter("streamgen_late_window_writes_total", "Window writes skipped because their window or session had closed (past its end plus grace; a session's end plus gap plus grace): late records.", "agent"),
		latency:       histogram("streamgen_end_to_end_latency_seconds", "Time from an input record's timestamp to the acknowledgement of all its outputs and table writes.", LatencyBuckets, "topic"),
		lag:           gauge("streamgen_consumer_lag_records", "Records between the position and the high watermark of a running input partition.", "topic", "partition"),
		position:      gauge("streamgen_consumer_position", "Offset of the next record to process in a running input partition.", "topic", "partition"),
		commits:       counter("streamgen_commits_total", "Commits (exactly-once: transactions; at-least-once: offset commits), by result (ok, error).", "result"),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "streamgen_commit_duration_seconds",
			Help: "Time a commit took, failed commits included.", Buckets: CommitBuckets, ConstLabels: cl}),
		aborts: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgen_transaction_aborts_total",
			Help: "Exactly-once transactions aborted because they could not commit; their records are processed again.", ConstLabels: cl}),
		rebalances: prometheus.NewCounter(prometheus.CounterOpts{Name: "streamgen_rebalances_total",
			Help: "Rebalance callbacks (assignments and revocations) seen by the stream threads.", ConstLabels: cl}),
		assigned: counter("streamgen_partitions_assigned_total", "Input partitions assigned to the stream threads.", "topic"),
		revoked:  counter("streamgen_partitions_revoked_total", "Input partitions revoked from the stream threads (lost: revoked without a hand-over).", "topic", "lost"),
		owned:    gauge("streamgen_partitions_owned", "Input partitions owned by the stream threads, running or restoring.", "topic"),
		restoring: prometheus.NewGauge(prometheus.GaugeOpts{Name: "streamgen_partitions_restoring",
			Help: "Owned input partitions whose tables are being restored.", ConstLabels: cl}),
		restoreRecs: counter("streamgen_restore_records_total", "Changelog records read by table restores.", "table", "partition"),
		restoreLeft: gauge("streamgen_restore_remaining_records", "Changelog offsets a running table restore has left to read.", "table", "partition"),
		restoreRate: gauge("streamgen_restore_records_per_second", "Records per second read by a running table restore, since it started.", "table", "partition"),
		restores:    counter("streamgen_restores_total", "Table restores done (result ok), restore attempts that failed (result error), restores cancelled because their partition left (result canceled).", "result"),
		tableKeys:   gauge("streamgen_table_keys", "Estimated keys in a table partition's store (Badger: keys of its on-disk tables), by replica (active, standby).", "table", "partition", "replica"),
		standbyLag:  gauge("streamgen_standby_lag_records", "Changelog records a standby replica has not applied yet.", "table", "partition"),

		tableSeen:   map[int]map[tableSeries]bool{},
		lagSeries:   map[observe.Partition]lagSeries{},
		lagOwner:    map[observe.Partition]int{},
		ownedTopics: map[string]bool{},
		live:        newLive(),
	}
	m.status.init()
	for _, c := range []prometheus.Collector{
		m.processed, m.emitted, m.handlerTime, m.deadLetters, m.repartitioned, m.lateWrites, m.joinMisses, m.latency, m.lag, m.position,
		m.commits, m.commitTime, m.aborts, m.rebalances, m.assigned, m.revoked, m.owned, m.restoring,
		m.restoreRecs, m.restoreLeft, m.restoreRate, m.restores, m.tableKeys, m.standbyLag,
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("web: registering metrics: %w (is another web.Metrics with the same App registered in this registry?)", err)
		}
	}
	m.commitsOK, m.commitsErr = m.commits.WithLabelValues("ok"), m.commits.WithLabelValues("error")
	m.restoresOK, m.restoresErr = m.restores.WithLabelValues("ok"), m.restores.WithLabelValues("error")
	m.restoresCanceled = m.restores.WithLabelValues("canceled")
	return m, nil
}

// Registry returns the registry the metrics are registered in (the one of
// MetricsConfig.Registry, or the one NewMetrics created); register your
// own collectors in it to serve them on /metrics too.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// OnProcess implements observe.ProcessHook: it counts the record by
// outcome, its outputs, its dead letter or repartitioning, and times the
// handler.
func (m *Metrics) OnProcess(p observe.Processed) {
	s := m.procSeries(p.Agent, p.Topic)
	if o := p.Outcome; o >= 0 && int(o) < len(s.outcomes) {
		s.outcomes[o].Inc()
	} else {
		m.processed.WithLabelValues(p.Agent, p.Topic, o.String()).Inc()
	}
	if p.Outputs > 0 {
		s.emitted.Add(float64(p.Outputs))
	}
	if p.LateWrites > 0 {
		s.lateWrites.Add(float64(p.LateWrites))
	}
	if p.Unmatched {
		s.joinMisses.Inc()
	}
	s.took.Observe(p.Took.Seconds())
	switch p.Outcome {
	case observe.OutcomeDeadLetter:
		m.deadLetters.WithLabelValues(p.Agent, p.Reason).Inc()
	case observe.OutcomeRepartitioned:
		s.repartitioned.Inc()
	}
}

// procSeries returns the series of agent and topic, creating them on
// first use.
func (m *Metrics) procSeries(agent, topic string) *procSeries {
	k := procKey{agent, topic}
	if v, ok := m.agents.Load(k); ok {
		return v.(*procSeries)
	}
	s := &procSeries{
		emitted:       m.emitted.WithLabelValues(agent),
		took:          m.handlerTime.WithLabelValues(agent),
		repartitioned: m.repartitioned.WithLabelValues(agent),
		lateWrites:    m.lateWrites.WithLabelValues(agent),
		joinMisses:    m.joinMisses.WithLabelValues(agent),
	}
	for o := range s.outcomes {
		s.outcomes[o] = m.processed.WithLabelValues(agent, topic, observe.Outcome(o).String())
	}
	v, _ := m.agents.LoadOrStore(k, s)
	return v.(*procSeries)
}

// OnDone implements observe.DoneHook: it observes the record's end-to-end
// latency (a negative latency, from a producer's clock ahead of ours,
// counts as 0).
func (m *Metrics) OnDone(d observe.Done) {
	var o prometheus.Observer
	if v, ok := m.topics.Load(d.Topic); ok {
		o = v.(prometheus.Observer)
	} else {
		v, _ := m.topics.LoadOrStore(d.Topic, m.latency.WithLabelValues(d.Topic))
		o = v.(prometheus.Observer)
	}
	o.Observe(max(d.Latency, 0).Seconds())
}

// OnCommit implements observe.CommitHook: it counts the commit by result,
// times it, counts a failed one as an aborted transaction, and adds it to
// the page's commit history.
func (m *Metrics) OnCommit(c observe.Commit) {
	m.commitTime.Observe(c.Took.Seconds())
	m.live.commit(c, m.now())
	if c.Err != nil {
		m.commitsErr.Inc()
		if c.Aborted {
			m.aborts.Inc()
		}
		return
	}
	m.commitsOK.Inc()
}

// OnRebalance implements observe.RebalanceHook: it counts the rebalance
// and the partitions assigned and revoked, and removes the lag series of
// the revoked partitions the thread reported.
func (m *Metrics) OnRebalance(r observe.Rebalance) {
	m.rebalances.Inc()
	for _, p := range r.Assigned {
		m.assigned.WithLabelValues(p.Topic).Inc()
	}
	lost := strconv.FormatBool(r.Lost)
	for _, p := range r.Revoked {
		m.revoked.WithLabelValues(p.Topic, lost).Inc()
	}
	if len(r.Revoked) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range r.Revoked {
		m.dropLagLocked(r.Thread, p)
	}
}

// OnState implements observe.StateHook: it records the thread's state for
// /readyz and updates the owned and restoring partition gauges.
func (m *Metrics) OnState(s observe.State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status.setState(s)
	owned := map[string]int{}
	restoring := 0
	for _, t := range m.status.threads {
		for _, p := range t.owned {
			owned[p.Topic]++
		}
		restoring += len(t.restoring)
	}
	for topic := range m.ownedTopics {
		if owned[topic] == 0 {
			m.owned.WithLabelValues(topic).Set(0)
		}
	}
	for topic, n := range owned {
		m.ownedTopics[topic] = true
		m.owned.WithLabelValues(topic).Set(float64(n))
	}
	m.restoring.Set(float64(restoring))
}

// OnLag implements observe.LagHook: it sets the lag and position gauges of
// the thread's running partitions, removes those of the partitions it
// reported last time but not now, stamps the thread's heartbeat for
// /healthz, and keeps the positions for the page's throughput.
func (m *Metrics) OnLag(thread int, lags []observe.Lag) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.status.thread(thread)
	t.heartbeat = now
	seq := t.lagSeq + 1
	t.lagSeq = seq
	for _, l := range lags {
		s, ok := m.lagSeries[l.Partition]
		if !ok {
			part := strconv.Itoa(int(l.Partition.Partition))
			s = lagSeries{m.lag.WithLabelValues(l.Topic, part), m.position.WithLabelValues(l.Topic, part)}
			m.lagSeries[l.Partition] = s
		}
		s.lag.Set(float64(l.Records()))
		s.position.Set(float64(l.Position))
		m.lagOwner[l.Partition] = thread
		t.lagged[l.Partition] = seq
	}
	for p, n := range t.lagged {
		if n != seq {
			m.dropLagLocked(thread, p)
		}
	}
	m.live.lag(thread, lags, now)
}

// dropLagLocked removes p's lag series if thread reported them last.
func (m *Metrics) dropLagLocked(thread int, p observe.Partition) {
	delete(m.status.thread(thread).lagged, p)
	if owner, ok := m.lagOwner[p]; !ok || owner != thread {
		return
	}
	delete(m.lagOwner, p)
	delete(m.lagSeries, p)
	part := strconv.Itoa(int(p.Partition))
	m.lag.DeleteLabelValues(p.Topic, part)
	m.position.DeleteLabelValues(p.Topic, part)
}

// OnRestore implements observe.RestoreHook: it counts the records read
// since the restore's last report, sets its remaining and rate gauges
// (removed when it is done), counts it when done or failed, and keeps its
// progress for /readyz.
func (m *Metrics) OnRestore(p observe.RestoreProgress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := restoreKey{p.Table, p.Partition}
	r := m.status.restores[k]
	if r == nil {
		r = &restore{}
		m.status.restores[k] = r
	}
	part := strconv.Itoa(int(p.Partition))
	// Records counts from 0 again when an attempt starts over.
	if p.Records < r.lastRecords {
		r.lastRecords = 0
	}
	if d := p.Records - r.lastRecords; d > 0 {
		m.restoreRecs.WithLabelValues(p.Table, part).Add(float64(d))
	}
	r.lastRecords = p.Records
	r.progress = p
	if p.Err != nil {
		m.restoresErr.Inc()
	}
	if p.Done || p.Canceled {
		if p.Done {
			m.restoresOK.Inc()
		} else {
			m.restoresCanceled.Inc()
		}
		delete(m.status.restores, k)
		m.restoreLeft.DeleteLabelValues(p.Table, part)
		m.restoreRate.DeleteLabelValues(p.Table, part)
		return
	}
	m.restoreLeft.WithLabelValues(p.Table, part).Set(float64(p.Remaining()))
	m.restoreRate.WithLabelValues(p.Table, part).Set(p.Rate())
}
