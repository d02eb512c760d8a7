package web_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/web"
)

// clock is a virtual clock for MetricsConfig.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newMetrics(t testing.TB, c web.MetricsConfig) *web.Metrics {
	t.Helper()
	m, err := web.NewMetrics(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// scrape gathers reg into a map from `name{label="value",...}` (labels
// sorted, as the registry sorts them) to the value; a histogram gives
// name_count and name_sum.
func scrape(t testing.TB, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := func(suffix string) string { return mf.GetName() + suffix + "{" + strings.Join(ls, ",") + "}" }
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// want checks that got has each of the series of want with its value.
func want(t testing.TB, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("no series %s; have:\n%s", k, keys(got, strings.SplitN(k, "{", 2)[0]))
			continue
		}
		if g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

// keys lists the series of got whose name starts with prefix.
func keys(got map[string]float64, prefix string) string {
	var ks []string
	for k := range got {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, "\t"+k)
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, "\n")
}

// absent checks that got has none of the series.
func absent(t testing.TB, got map[string]float64, series ...string) {
	t.Helper()
	for _, k := range series {
		if v, ok := got[k]; ok {
			t.Errorf("series %s = %v is still there", k, v)
		}
	}
}

func TestProcess(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{App: "shop"})
	for range 3 {
		m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "orders", Took: 2 * time.Millisecond, Outputs: 2})
	}
	m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "refunds", Took: time.Millisecond, Outputs: 1, LateWrites: 2})
	m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "orders", Took: time.Millisecond,
		Outcome: observe.OutcomeDeadLetter, Reason: observe.ReasonDecode})
	m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "orders", Outcome: observe.OutcomeDeadLetter, Reason: observe.ReasonPanic})
	m.OnProcess(observe.Processed{Agent: "shop/Total", Topic: "orders", Outcome: observe.OutcomeDeadLetter, Reason: observe.ReasonPanic})
	m.OnProcess(observe.Processed{Agent: "shop/Audit", Topic: "orders", Outcome: observe.OutcomeRepartitioned, Reason: observe.ReasonMisplaced})
	m.OnProcess(observe.Processed{Agent: "shop/Audit", Topic: "orders", Outcome: observe.Outcome(9)})

	got := scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_records_processed_total{agent="shop/Total",app="shop",outcome="ok",topic="orders"}`:            3,
		`streamgen_records_processed_total{agent="shop/Total",app="shop",outcome="ok",topic="refunds"}`:           1,
		`streamgen_records_processed_total{agent="shop/Total",app="shop",outcome="dead_letter",topic="orders"}`:   3,
		`streamgen_records_processed_total{agent="shop/Total",app="shop",outcome="stopped",topic="orders"}`:       0,
		`streamgen_records_processed_total{agent="shop/Audit",app="shop",outcome="repartitioned",topic="orders"}`: 1,
		`streamgen_records_processed_total{agent="shop/Audit",app="shop",outcome="Outcome(9)",topic="orders"}`:    1,
		`streamgen_records_emitted_total{agent="shop/Total",app="shop"}`:                                          7,
		`streamgen_records_emitted_total{agent="shop/Audit",app="shop"}`:                                          0,
		`streamgen_dead_letters_total{agent="shop/Total",app="shop",reason="decode"}`:                             1,
		`streamgen_dead_letters_total{agent="shop/Total",app="shop",reason="panic"}`:                              2,
		`streamgen_repartitioned_records_total{agent="shop/Audit",app="shop"}`:                                    1,
		`streamgen_repartitioned_records_total{agent="shop/Total",app="shop"}`:                                    0,
		`streamgen_late_window_writes_total{agent="shop/Total",app="shop"}`:                                       2,
		`streamgen_late_window_writes_total{agent="shop/Audit",app="shop"}`:                                       0,
		`streamgen_handler_duration_seconds_count{agent="shop/Total",app="shop"}`:                                 7,
		`streamgen_handler_duration_seconds_sum{agent="shop/Total",app="shop"}`:                                   0.008,
		`streamgen_handler_duration_seconds_count{agent="shop/Audit",app="shop"}`:                                 2,
	})
	absent(t, got, `streamgen_dead_letters_total{agent="shop/Audit",app="shop",reason="misplaced_key"}`)
}

func TestDoneLatency(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	m.OnDone(observe.Done{Topic: "orders", Latency: 20 * time.Millisecond})
	m.OnDone(observe.Done{Topic: "orders", Latency: 3 * time.Second})
	m.OnDone(observe.Done{Topic: "orders", Latency: -time.Second}) // a producer's clock ahead of ours
	m.OnDone(observe.Done{Topic: "refunds", Latency: 90 * time.Second})
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_end_to_end_latency_seconds_count{topic="orders"}`:  3,
		`streamgen_end_to_end_latency_seconds_sum{topic="orders"}`:    3.02,
		`streamgen_end_to_end_latency_seconds_count{topic="refunds"}`: 1,
	})
	// The buckets reach from 1 ms to beyond a minute.
	const exp = `
# HELP streamgen_end_to_end_latency_seconds Time from an input record's timestamp to the acknowledgement of all its outputs and table writes.
# TYPE streamgen_end_to_end_latency_seconds histogram
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.001"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.0025"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.005"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.01"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.025"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.05"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.1"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.25"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="0.5"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="1"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="2.5"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="5"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="10"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="30"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="60"} 0
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="120"} 1
streamgen_end_to_end_latency_seconds_bucket{topic="refunds",le="+Inf"} 1
streamgen_end_to_end_latency_seconds_sum{topic="refunds"} 90
streamgen_end_to_end_latency_seconds_count{topic="refunds"} 1
`
	m2 := newMetrics(t, web.MetricsConfig{})
	m2.OnDone(observe.Done{Topic: "refunds", Latency: 90 * time.Second})
	if err := testutil.GatherAndCompare(m2.Registry(), strings.NewReader(exp), "streamgen_end_to_end_latency_seconds"); err != nil {
		t.Error(err)
	}
}

func TestLagSeriesFollowThePartitions(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	p := func(n int32) observe.Partition { return observe.Partition{Topic: "orders", Partition: n} }
	m.OnLag(0, []observe.Lag{
		{Partition: p(0), Position: 10, HighWatermark: 15},
		{Partition: p(1), Position: 7, HighWatermark: -1},
	})
	m.OnLag(1, []observe.Lag{{Partition: p(2), Position: 3, HighWatermark: 3}})
	got := scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_consumer_lag_records{partition="0",topic="orders"}`: 5,
		`streamgen_consumer_lag_records{partition="1",topic="orders"}`: 0, // high watermark not known yet
		`streamgen_consumer_lag_records{partition="2",topic="orders"}`: 0,
		`streamgen_consumer_position{partition="0",topic="orders"}`:    10,
		`streamgen_consumer_position{partition="1",topic="orders"}`:    7,
	})

	// Thread 0 no longer reports partition 1: revoked, its series go.
	m.OnLag(0, []observe.Lag{{Partition: p(0), Position: 12, HighWatermark: 20}})
	got = scrape(t, m.Registry())
	want(t, got, map[string]float64{`streamgen_consumer_lag_records{partition="0",topic="orders"}`: 8})
	absent(t, got, `streamgen_consumer_lag_records{partition="1",topic="orders"}`, `streamgen_consumer_position{partition="1",topic="orders"}`)

	// Partition 0 moves to thread 1: thread 0's next report, without it,
	// leaves thread 1's series alone.
	m.OnLag(1, []observe.Lag{{Partition: p(0), Position: 12, HighWatermark: 21}, {Partition: p(2), Position: 3, HighWatermark: 4}})
	m.OnLag(0, nil)
	got = scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_consumer_lag_records{partition="0",topic="orders"}`: 9,
		`streamgen_consumer_lag_records{partition="2",topic="orders"}`: 1,
	})

	// A revocation drops the thread's series at once.
	m.OnRebalance(observe.Rebalance{Thread: 1, Revoked: []observe.Partition{p(2)}})
	got = scrape(t, m.Registry())
	absent(t, got, `streamgen_consumer_lag_records{partition="2",topic="orders"}`)
	want(t, got, map[string]float64{`streamgen_consumer_lag_records{partition="0",topic="orders"}`: 9})
	// and a revocation by another thread does not.
	m.OnRebalance(observe.Rebalance{Thread: 0, Revoked: []observe.Partition{p(0)}, Lost: true})
	want(t, scrape(t, m.Registry()), map[string]float64{`streamgen_consumer_lag_records{partition="0",topic="orders"}`: 9})
	if n := testutil.CollectAndCount(m.Registry(), "streamgen_consumer_lag_records"); n != 1 {
		t.Errorf("%d lag series, want 1", n)
	}
}

func TestCommits(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{App: "shop"})
	m.OnCommit(observe.Commit{Thread: 0, Took: 10 * time.Millisecond, Partitions: 3})
	m.OnCommit(observe.Commit{Thread: 1, Took: 30 * time.Millisecond, Partitions: 1})
	m.OnCommit(observe.Commit{Thread: 1, Took: 2 * time.Second, Err: errors.New("fenced"), Aborted: true})
	// The abort of that transaction failed in turn: a failed commit, not
	// a second abort.
	m.OnCommit(observe.Commit{Thread: 1, Err: errors.New("abort failed")})
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_commits_total{app="shop",result="ok"}`:     2,
		`streamgen_commits_total{app="shop",result="error"}`:  2,
		`streamgen_transaction_aborts_total{app="shop"}`:      1,
		`streamgen_commit_duration_seconds_count{app="shop"}`: 4,
		`streamgen_commit_duration_seconds_sum{app="shop"}`:   2.04,
	})
}

func TestRebalanceAndState(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	o := func(n int32) observe.Partition { return observe.Partition{Topic: "orders", Partition: n} }
	r := func(n int32) observe.Partition { return observe.Partition{Topic: "refunds", Partition: n} }
	m.OnRebalance(observe.Rebalance{Thread: 0, Assigned: []observe.Partition{o(0), o(1), r(0)}})
	m.OnRebalance(observe.Rebalance{Thread: 1, Assigned: []observe.Partition{o(2)}})
	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(0), o(1), r(0)}, Restoring: []observe.Partition{o(1)}})
	m.OnState(observe.State{Thread: 1, Threads: 2, Joined: true, Owned: []observe.Partition{o(2)}, Restoring: []observe.Partition{o(2)}})
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_rebalances_total{}`:                         2,
		`streamgen_partitions_assigned_total{topic="orders"}`:  3,
		`streamgen_partitions_assigned_total{topic="refunds"}`: 1,
		`streamgen_partitions_owned{topic="orders"}`:           3,
		`streamgen_partitions_owned{topic="refunds"}`:          1,
		`streamgen_partitions_restoring{}`:                     2,
	})

	m.OnRebalance(observe.Rebalance{Thread: 0, Revoked: []observe.Partition{o(0), r(0)}})
	m.OnRebalance(observe.Rebalance{Thread: 1, Revoked: []observe.Partition{o(2)}, Lost: true})
	m.OnState(observe.State{Thread: 0, Threads: 2, Joined: true, Owned: []observe.Partition{o(1)}})
	m.OnState(observe.State{Thread: 1, Threads: 2})
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_rebalances_total{}`:                                     4,
		`streamgen_partitions_revoked_total{lost="false",topic="orders"}`:  1,
		`streamgen_partitions_revoked_total{lost="false",topic="refunds"}`: 1,
		`streamgen_partitions_revoked_total{lost="true",topic="orders"}`:   1,
		`streamgen_partitions_owned{topic="orders"}`:                       1,
		`streamgen_partitions_owned{topic="refunds"}`:                      0,
		`streamgen_partitions_restoring{}`:                                 0,
	})
}

func TestRestore(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	p := observe.RestoreProgress{Table: "totals", Partition: 3, From: 100, End: 1100, Elapsed: 2 * time.Second}
	report := func(records int64, f func(*observe.RestoreProgress)) {
		q := p
		q.Records = records
		if f != nil {
			f(&q)
		}
		m.OnRestore(q)
	}
	report(0, nil)
	report(400, nil)
	got := scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_restore_records_total{partition="3",table="totals"}`:      400,
		`streamgen_restore_remaining_records{partition="3",table="totals"}`:  600,
		`streamgen_restore_records_per_second{partition="3",table="totals"}`: 200,
	})

	// The attempt fails; the next starts over from the checkpoint, and
	// its records count again.
	report(500, func(q *observe.RestoreProgress) { q.Err = errors.New("broker down") })
	report(0, func(q *observe.RestoreProgress) { q.From, q.Attempt = 300, 1 })
	report(300, func(q *observe.RestoreProgress) { q.From, q.Attempt = 300, 1 })
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_restore_records_total{partition="3",table="totals"}`:     800,
		`streamgen_restore_remaining_records{partition="3",table="totals"}`: 500,
		`streamgen_restores_total{result="error"}`:                          1,
		`streamgen_restores_total{result="ok"}`:                             0,
	})

	report(800, func(q *observe.RestoreProgress) { q.From, q.Attempt, q.Done = 300, 1, true })
	got = scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_restore_records_total{partition="3",table="totals"}`: 1300,
		`streamgen_restores_total{result="ok"}`:                         1,
	})
	absent(t, got, `streamgen_restore_remaining_records{partition="3",table="totals"}`,
		`streamgen_restore_records_per_second{partition="3",table="totals"}`)

	// A later restore of the same table partition counts from 0.
	report(50, func(q *observe.RestoreProgress) { q.Done = true })
	want(t, scrape(t, m.Registry()), map[string]float64{
		`streamgen_restore_records_total{partition="3",table="totals"}`: 1350,
		`streamgen_restores_total{result="ok"}`:                         2,
	})
}

func TestRegistry(t *testing.T) {
	// A new registry has the Go and process collectors.
	m := newMetrics(t, web.MetricsConfig{})
	got := scrape(t, m.Registry())
	if _, ok := got["go_goroutines{}"]; !ok {
		t.Errorf("no go_goroutines in the default registry: %s", keys(got, "go_"))
	}
	if keys(got, "process_") == "" {
		t.Errorf("no process_ metrics in the default registry")
	}

	// A given registry gets streamgen's metrics only, and a second Metrics
	// of the same app in it fails.
	reg := prometheus.NewRegistry()
	m = newMetrics(t, web.MetricsConfig{App: "shop", Registry: reg})
	if m.Registry() != reg {
		t.Fatal("Registry() is not MetricsConfig.Registry")
	}
	got = scrape(t, reg)
	if k := keys(got, "go_"); k != "" {
		t.Errorf("Go collector registered in the user's registry:\n%s", k)
	}
	if _, err := web.NewMetrics(web.MetricsConfig{App: "shop", Registry: reg}); err == nil || !strings.Contains(err.Error(), "same App") {
		t.Errorf("second Metrics of app shop in one registry: err = %v, want an error naming the App", err)
	}
	newMetrics(t, web.MetricsConfig{App: "audit", Registry: reg})
}

func TestConcurrentHooks(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				m.OnProcess(observe.Processed{Agent: fmt.Sprintf("a/A%d", i%3), Topic: "orders", Took: time.Microsecond})
				m.OnDone(observe.Done{Topic: "orders", Latency: time.Millisecond})
				if i%100 == 0 {
					m.OnLag(g, []observe.Lag{{Partition: observe.Partition{Topic: "orders", Partition: int32(i % 7)}, Position: 1, HighWatermark: 2}})
					m.OnState(observe.State{Thread: g, Threads: 4, Joined: true})
				}
			}
		})
	}
	wg.Wait()
	got := scrape(t, m.Registry())
	var n float64
	for a := range 3 {
		n += got[fmt.Sprintf(`streamgen_records_processed_total{agent="a/A%d",outcome="ok",topic="orders"}`, a)]
	}
	if n != 4000 {
		t.Errorf("%v records processed, want 4000", n)
	}
	want(t, got, map[string]float64{`streamgen_end_to_end_latency_seconds_count{topic="orders"}`: 4000})
}

func BenchmarkOnProcess(b *testing.B) {
	m := newMetrics(b, web.MetricsConfig{App: "shop"})
	agents := []string{"shop/Total", "shop/Audit", "shop/Fraud", "shop/Ship"}
	ps := make([]observe.Processed, len(agents))
	for i, a := range agents {
		ps[i] = observe.Processed{Agent: a, Topic: "orders", Partition: int32(i), Took: 150 * time.Microsecond, Outputs: 1}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.OnProcess(ps[i%len(ps)])
			i++
		}
	})
}

func BenchmarkOnDone(b *testing.B) {
	m := newMetrics(b, web.MetricsConfig{})
	d := observe.Done{Topic: "orders", Latency: 40 * time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		m.OnDone(d)
	}
}

// TestRestoreCanceled: a restore cancelled because its partition left
// counts as canceled, not as a failure, and leaves no gauges behind.
func TestRestoreCanceled(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	m.OnRestore(observe.RestoreProgress{Table: "t", Partition: 1, End: 100, Records: 10, Elapsed: time.Second})
	m.OnRestore(observe.RestoreProgress{Table: "t", Partition: 1, End: 100, Canceled: true})
	got := scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_restores_total{result="canceled"}`: 1,
		`streamgen_restores_total{result="error"}`:    0,
	})
	absent(t, got, `streamgen_restore_remaining_records{partition="1",table="t"}`)
}

// TestTables: store sizes by replica and standby lag, and the series of
// a store the thread no longer reports disappear.
func TestTables(t *testing.T) {
	m := newMetrics(t, web.MetricsConfig{})
	m.OnTables(0, []observe.TableStats{
		{Table: "counts", Partition: 0, Keys: 120},
		{Table: "counts", Partition: 3, Standby: true, Keys: 80, LagRecords: 7},
	})
	got := scrape(t, m.Registry())
	want(t, got, map[string]float64{
		`streamgen_table_keys{partition="0",replica="active",table="counts"}`:  120,
		`streamgen_table_keys{partition="3",replica="standby",table="counts"}`: 80,
		`streamgen_standby_lag_records{partition="3",table="counts"}`:          7,
	})
	m.OnTables(0, []observe.TableStats{{Table: "counts", Partition: 0, Keys: 130}})
	got = scrape(t, m.Registry())
	want(t, got, map[string]float64{`streamgen_table_keys{partition="0",replica="active",table="counts"}`: 130})
	absent(t, got, `streamgen_table_keys{partition="3",replica="standby",table="counts"}`, `streamgen_standby_lag_records{partition="3",table="counts"}`)
}
