package web

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/streamgen/streamgen/runtime/observe"
)

// What the page keeps beyond the Prometheus series, each bounded: a few
// seconds of position samples per input partition (throughput), the last
// store reports per thread (standbys), a few minutes of commits in
// buckets, the last dead letters per agent, and a few seconds of the
// agents' counters (their rates).
const (
	// rateWindow is how far back rates look.
	rateWindow = 10 * time.Second
	// commitBucketWidth and commitBuckets: the commit history covers the
	// last 5 minutes in 10-second buckets.
	commitBucketWidth = 10 * time.Second
	commitBuckets     = 30
	// deadLettersPerAgent is how many dead letters are kept per agent.
	deadLettersPerAgent = 10
)

// live is the page's state. It has its own lock, taken after Metrics.mu
// when both are held (OnLag and OnTables hold Metrics.mu).
type live struct {
	mu      sync.Mutex
	lags    map[observe.Partition]*lagTrack
	tables  map[int][]observe.TableStats // by thread: its last OnTables
	commits [commitBuckets]commitBucket
	dead    map[string]*deadRing // by agent
	counts  []agentSample        // oldest first, within rateWindow
}

func newLive() *live {
	return &live{lags: map[observe.Partition]*lagTrack{}, tables: map[int][]observe.TableStats{}, dead: map[string]*deadRing{}}
}

// lagTrack is an input partition's last lag report and its recent
// positions.
type lagTrack struct {
	thread  int
	last    observe.Lag
	at      time.Time
	samples []posSample // oldest first, within rateWindow
}

type posSample struct {
	at       time.Time
	position int64
}

// lag records a thread's lag report.
func (l *live) lag(thread int, lags []observe.Lag, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range lags {
		t := l.lags[x.Partition]
		if t == nil {
			t = &lagTrack{}
			l.lags[x.Partition] = t
		}
		if t.thread != thread || (len(t.samples) > 0 && x.Position < t.samples[len(t.samples)-1].position) {
			t.samples = t.samples[:0] // moved, or rewound: start over
		}
		t.thread, t.last, t.at = thread, x, now
		t.samples = append(dropBefore(t.samples, now.Add(-rateWindow), func(s posSample) time.Time { return s.at }),
			posSample{now, x.Position})
	}
}

// rate returns the records per second between the oldest and newest
// samples, false with fewer than two.
func (t *lagTrack) rate() (float64, bool) {
	if len(t.samples) < 2 {
		return 0, false
	}
	a, b := t.samples[0], t.samples[len(t.samples)-1]
	d := b.at.Sub(a.at).Seconds()
	if d <= 0 {
		return 0, false
	}
	return float64(b.position-a.position) / d, true
}

// dropBefore removes the leading elements older than t, keeping the
// newest one.
func dropBefore[S any](s []S, t time.Time, at func(S) time.Time) []S {
	i := 0
	for i < len(s)-1 && at(s[i]).Before(t) {
		i++
	}
	return s[i:]
}

// setTables records a thread's store report, copying it.
func (l *live) setTables(thread int, ts []observe.TableStats) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tables[thread] = slices.Clone(ts)
}

// commitBucket sums the commits of one bucket of the history.
type commitBucket struct {
	start                   time.Time
	commits, errors, aborts int
	took, max               time.Duration
}

// commit adds c to the bucket of now.
func (l *live) commit(c observe.Commit, now time.Time) {
	start := now.Truncate(commitBucketWidth)
	l.mu.Lock()
	defer l.mu.Unlock()
	b := &l.commits[int(start.Unix()/int64(commitBucketWidth/time.Second))%commitBuckets]
	if !b.start.Equal(start) {
		*b = commitBucket{start: start}
	}
	b.commits++
	b.took += c.Took
	b.max = max(b.max, c.Took)
	if c.Err != nil {
		b.errors++
		if c.Aborted {
			b.aborts++
		}
	}
}

// commitHistory returns the buckets of the last commitBuckets widths up
// to now, oldest first, empty ones included.
func (l *live) commitHistory(now time.Time) CommitHistory {
	h := CommitHistory{BucketSeconds: int(commitBucketWidth / time.Second), Buckets: make([]CommitBucket, 0, commitBuckets)}
	last := now.Truncate(commitBucketWidth)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := commitBuckets - 1; i >= 0; i-- {
		start := last.Add(-time.Duration(i) * commitBucketWidth)
		out := CommitBucket{Start: start}
		b := l.commits[int(start.Unix()/int64(commitBucketWidth/time.Second))%commitBuckets]
		if b.start.Equal(start) && b.commits > 0 {
			out.Commits, out.Errors, out.Aborts = b.commits, b.errors, b.aborts
			out.AvgMillis = millis(b.took) / float64(b.commits)
			out.MaxMillis = millis(b.max)
		}
		h.Buckets = append(h.Buckets, out)
	}
	return h
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// deadRing holds an agent's last dead letters and counts them all.
type deadRing struct {
	last  []observe.DeadLetter // oldest first, at most deadLettersPerAgent
	total int64
}

// OnDeadLetter implements observe.DeadLetterHook: it keeps the agent's
// last dead letters (their key and value are the hook's copies) for the
// page.
func (m *Metrics) OnDeadLetter(d observe.DeadLetter) {
	l := m.live
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.dead[d.Agent]
	if r == nil {
		r = &deadRing{}
		l.dead[d.Agent] = r
	}
	if len(r.last) == deadLettersPerAgent {
		r.last = append(r.last[:0], r.last[1:]...)
	}
	r.last = append(r.last, d)
	r.total++
}

// agentSample is the agents' counters at a time.
type agentSample struct {
	at     time.Time
	counts map[string]agentCounts
}

// agentCounts are an agent's counters: input records processed (every
// outcome, every topic), records emitted, dead letters.
type agentCounts struct{ in, out, dead float64 }

// agentCounts reads every agent's counters from the Prometheus series.
func (m *Metrics) agentCounts() map[string]agentCounts {
	out := map[string]agentCounts{}
	emitted := map[string]prometheus.Counter{} // per agent, shared by its topics
	m.agents.Range(func(k, v any) bool {
		key, s := k.(procKey), v.(*procSeries)
		c := out[key.agent]
		for o, x := range s.outcomes {
			n := counterValue(x)
			c.in += n
			if observe.Outcome(o) == observe.OutcomeDeadLetter {
				c.dead += n
			}
		}
		out[key.agent] = c
		emitted[key.agent] = s.emitted
		return true
	})
	for agent, e := range emitted {
		c := out[agent]
		c.out = counterValue(e)
		out[agent] = c
	}
	return out
}

func counterValue(c prometheus.Counter) float64 {
	var d dto.Metric
	if err := c.Write(&d); err != nil {
		return 0
	}
	return d.GetCounter().GetValue()
}

// agentRates samples the agents' counters and returns them with their
// rates since the oldest sample of the last rateWindow (nil rates when
// there is none at least a second old: the first request).
func (m *Metrics) agentRates(now time.Time) []AgentStatus {
	cur := m.agentCounts()
	l := m.live
	l.mu.Lock()
	l.counts = dropBefore(l.counts, now.Add(-rateWindow), func(s agentSample) time.Time { return s.at })
	var ref *agentSample
	if len(l.counts) > 0 && now.Sub(l.counts[0].at) >= time.Second && now.Sub(l.counts[0].at) <= 2*rateWindow {
		ref = &l.counts[0]
	}
	if len(l.counts) == 0 || now.Sub(l.counts[len(l.counts)-1].at) >= time.Second {
		l.counts = append(l.counts, agentSample{at: now, counts: cur})
	}
	out := []AgentStatus{}
	for agent, c := range cur {
		a := AgentStatus{Agent: agent, Processed: int64(c.in), Emitted: int64(c.out), DeadLetters: int64(c.dead)}
		if ref != nil {
			d := now.Sub(ref.at).Seconds()
			r := ref.counts[agent]
			in, out := (c.in-r.in)/d, (c.out-r.out)/d
			a.InPerSec, a.OutPerSec = &in, &out
		}
		out = append(out, a)
	}
	l.mu.Unlock()
	slices.SortFunc(out, func(a, b AgentStatus) int { return cmp.Compare(a.Agent, b.Agent) })
	return out
}
