//go:build !sgworker

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	benchv1 "github.com/streamgen/streamgen/examples/bench/gen/bench/v1"
)

// The latency probe: end-to-end latency of a streamgen contender at fixed
// input rates, from outside, as a user sees it. -agent picks it: the
// stateless uppercase agent (default) at least once or exactly once, the
// counting agent (a table and its changelog, at least once), or the
// counting agent exactly once.
//
//	cd examples/bench && go run . latency -rates 1000,5000,50000,150000 -peak-records 1000000
//	cd examples/bench && go run . latency -agent count-eos -rates 1000 -peak-records 1000000
//
// It starts the broker process as the harness does and the streamgen
// contender (the harness's `-tags sgworker` build, or -worker: another
// commit's build) at least once. For each rate, a franz-go producer writes
// records to the input topic at that fixed rate, each value starting with
// its send time (UnixNano, in digits: they survive the uppercase); a
// franz-go consumer of the output topic computes read time minus send
// time (the counting agents' outputs carry a count, not the value: the
// probe gives each phase keys of its own and matches the output with
// key k and count n to the n-th record it sent with key k). Outputs are
// read with isolation.level read_committed: under exactly-once a record
// counts when a reader can see it. The first -warmup of each rate is not
// counted. Right after each
// rate, the probe measures its own floor at the same rate: the same
// producer writing to a topic laid out as the input (8 partitions) and a
// consumer reading it back directly, no worker in between (the worker
// runs, idle), so floor and worker see the same moment of a shared,
// noisy machine. Both clients are set not to add latency of their own:
// no linger, and fetches answered as soon as a record arrives (kfake
// holds a fetch only until data comes; at most 10 ms otherwise).
//
// With -peak (records/s) or -peak-records (measure it first: the
// harness's streamgen contender on that many pre-written records,
// -peak-runs rounds, median, on a broker of its own), the probe adds half
// of the peak to the rates. It prints p50, p90, p99 and max per rate and
// the CPU each process used, then a table of medians over -repeat passes
// and the targets of hardening fault 7: at least once, p99 at most 10 ms
// above the floor's at the lowest rate, and p99 ≤ 20 ms at half of peak.
// $BENCH_CPUPROFILE profiles the probe's own process.
func init() {
	commands["latency"] = latency
}

// probeAgent is a contender the probe can measure.
type probeAgent struct {
	contender string // the harness's contender name
	out       string // its output topic
	counts    bool   // its outputs are counts per key (benchv1.Tally), not the value
}

// probeAgents are the contenders of -agent.
var probeAgents = map[string]probeAgent{
	"uppercase":     {contender: "streamgen", out: benchv1.UpperTopicName},
	"uppercase-eos": {contender: "streamgen-eos", out: benchv1.UpperEosTopicName},
	"count":         {contender: "streamgen-count", out: benchv1.TallyTopicName, counts: true},
	"count-eos":     {contender: "streamgen-count-eos", out: benchv1.TallyEosTopicName, counts: true},
}

const (
	// probeFloorTopic is the topic of the floor's phases: laid out as the
	// input topic (8 partitions), written by the same producer and read
	// back directly, while the worker, idle, waits on its input.
	probeFloorTopic = "bench-latency-floor"
	// probeStamp is the length of a probe value's prefix: 19 digits of
	// send time, a space, 6 digits of phase, a space.
	probeStamp = 19 + 1 + 6 + 1
)

// latencyResult is one rate's measurement.
type latencyResult struct {
	what     string  // "streamgen" or "floor"
	rate     int     // records/s asked
	achieved float64 // records/s sent in the measured window
	sent     int     // records sent in the measured window
	got      int     // of them, read back (duplicates not counted twice)
	p50, p90 time.Duration
	p99, max time.Duration
	cpu      []string // per process: "worker 0.41" (cores, over the measured window)
}

func (r latencyResult) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%8.2f", float64(d)/1e6) }
	return fmt.Sprintf("%-9s %8d/s (sent %8.0f/s)  p50 %s ms  p90 %s ms  p99 %s ms  max %s ms  (%d of %d read; CPU cores: %s)",
		r.what, r.rate, r.achieved, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), r.got, r.sent, strings.Join(r.cpu, ", "))
}

func latency(args []string) int {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	ratesFlag := fs.String("rates", "1000,5000,50000,150000", "input rates to probe, records/s, comma-separated")
	duration := fs.Duration("duration", 10*time.Second, "measured time per rate")
	warmup := fs.Duration("warmup", 2*time.Second, "time per rate before measuring, not counted")
	size := fs.Int("size", 100, "value bytes per record (at least 27: the send time and phase)")
	workerBin := fs.String("worker", "", "streamgen contender binary (a `go build -tags sgworker` of this package); default: build it from this directory")
	peak := fs.Float64("peak", 0, "peak throughput, records/s: if set, half of it is probed too")
	peakRecords := fs.Int("peak-records", 0, "if set and -peak is not, measure the peak first: the streamgen contender on this many records")
	peakRuns := fs.Int("peak-runs", 3, "rounds of the peak measurement (median)")
	floor := fs.Bool("floor", true, "also measure the probe's floor after each rate: records read back from the topic they were written to, no worker in between")
	repeat := fs.Int("repeat", 1, "passes over the rates; the summary reports the median of each percentile")
	agentName := fs.String("agent", "uppercase", "the contender: uppercase (stateless), uppercase-eos (stateless, exactly once), count (a table, at least once) or count-eos (a table, exactly once)")
	_ = fs.Parse(args)
	agent, ok := probeAgents[*agentName]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown -agent %q: uppercase, uppercase-eos, count or count-eos\n", *agentName)
		return 2
	}

	var rates []int
	for _, s := range strings.Split(*ratesFlag, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		r, err := strconv.Atoi(s)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "bad rate %q\n", s)
			return 2
		}
		rates = append(rates, r)
	}
	if len(rates) == 0 {
		fmt.Fprintln(os.Stderr, "no rates")
		return 2
	}
	*size = max(*size, probeStamp)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if *workerBin != "" {
		useWorkerBinary(*workerBin)
	}
	bin, err := binaryFor(self, "streamgen")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	defer profile()()

	if *peak == 0 && *peakRecords > 0 {
		*peak, err = measurePeak(ctx, self, agent, *peakRecords, *peakRuns)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peak:", err)
			return 1
		}
	}
	half := 0
	if *peak > 0 {
		half = int(*peak / 2)
		rates = append(rates, half)
		fmt.Printf("peak %.0f records/s: half of peak %d records/s\n", *peak, half)
	}

	b, err := startBroker(self)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.stop()
	p, err := newProbe(ctx, b.addr, *size, agent)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer p.close()
	fmt.Printf("broker %s (kfake, its own process); worker %s %s; %d B values over 8 partitions, %v per rate after %v warm-up\n",
		b.addr, bin, agent.contender, *size, *duration, *warmup)

	w, err := startProbeWorker(bin, agent.contender, b.addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer w.stop()
	if err := p.ready(ctx, time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	p.pids = map[string]int{"worker": w.pid, "broker": b.pid}
	var results []latencyResult
	for pass := 0; pass < max(*repeat, 1); pass++ {
		for _, r := range rates {
			res, err := p.run(ctx, "streamgen", inTopic, agent.out, r, *warmup, *duration)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Println(res)
			results = append(results, res)
			if !*floor {
				continue
			}
			res, err = p.run(ctx, "floor", probeFloorTopic, probeFloorTopic, r, *warmup, *duration)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fmt.Println(res)
			results = append(results, res)
		}
	}
	printLatencyTargets(results, rates, half, agent == probeAgents["uppercase"])
	return 0
}

// printLatencyTargets prints the medians of the results per rate, as a
// Markdown table, and the fault's targets: p99 at most 10 ms above the
// floor's at the lowest rate, and p99 ≤ 20 ms at half of peak (targets,
// when set: they are the uppercase agent's).
func printLatencyTargets(results []latencyResult, rates []int, half int, targets bool) {
	med := func(what string, rate int) (latencyResult, bool) {
		var rs []latencyResult
		for _, r := range results {
			if r.what == what && r.rate == rate {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			return latencyResult{}, false
		}
		m := func(f func(latencyResult) time.Duration) time.Duration {
			vs := make([]time.Duration, len(rs))
			for i, r := range rs {
				vs[i] = f(r)
			}
			sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
			return vs[len(vs)/2] // the upper median of an even count
		}
		return latencyResult{what: what, rate: rate,
			p50: m(func(r latencyResult) time.Duration { return r.p50 }),
			p90: m(func(r latencyResult) time.Duration { return r.p90 }),
			p99: m(func(r latencyResult) time.Duration { return r.p99 }),
			max: m(func(r latencyResult) time.Duration { return r.max })}, true
	}
	cell := func(r latencyResult, ok bool) string {
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f / %.1f / %.1f / %.1f", float64(r.p50)/1e6, float64(r.p90)/1e6, float64(r.p99)/1e6, float64(r.max)/1e6)
	}
	fmt.Println("\n| rate (records/s) | streamgen p50 / p90 / p99 / max (ms) | floor p50 / p90 / p99 / max (ms) |")
	fmt.Println("|---:|---|---|")
	seen := map[int]bool{}
	for _, rate := range rates {
		if seen[rate] {
			continue
		}
		seen[rate] = true
		s, sok := med("streamgen", rate)
		f, fok := med("floor", rate)
		label := strconv.Itoa(rate)
		if rate == half {
			label += " (half of peak)"
		}
		fmt.Printf("| %s | %s | %s |\n", label, cell(s, sok), cell(f, fok))
	}
	if !targets {
		return
	}
	met := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	low := slices.Min(rates)
	if s, ok := med("streamgen", low); ok {
		if f, ok := med("floor", low); ok {
			d := s.p99 - f.p99
			fmt.Printf("target: p99 at %d records/s ≤ floor + 10 ms: %.1f ms, floor %.1f ms (%+.1f ms): %s\n",
				low, float64(s.p99)/1e6, float64(f.p99)/1e6, float64(d)/1e6, met(d <= 10*time.Millisecond))
		}
	}
	if s, ok := med("streamgen", half); ok && half > 0 {
		fmt.Printf("target: p99 at half of peak (%d records/s) ≤ 20 ms: %.1f ms: %s\n",
			half, float64(s.p99)/1e6, met(s.p99 <= 20*time.Millisecond))
	}
}

// useWorkerBinary makes binaryFor return path for streamgen's contenders
// instead of building one: to probe another build (another commit's
// runtime, from a git worktree).
func useWorkerBinary(path string) {
	sgworkerOnce.Do(func() { sgworkerBin = path })
}

// probeWorker is the streamgen uppercase contender, running.
type probeWorker struct {
	pid  int
	stop func() // stops it and waits for it to exit
}

// startProbeWorker starts a streamgen contender.
func startProbeWorker(bin, contender, addr string) (*probeWorker, error) {
	dir, err := os.MkdirTemp("", "streamgen-bench-latency-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, contender, "-brokers", addr, "-data-dir", dir)
	cmd.Stderr = os.Stderr // stdout (its FIRST line) is discarded
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	var once sync.Once
	return &probeWorker{pid: cmd.Process.Pid, stop: func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			os.RemoveAll(dir)
		})
	}}, nil
}

// measurePeak runs the agent's contender on records input records, runs
// rounds, on a broker of its own, and returns the median rate.
func measurePeak(ctx context.Context, self string, agent probeAgent, records, runs int) (float64, error) {
	b, err := startBroker(self)
	if err != nil {
		return 0, err
	}
	defer b.stop()
	addr := b.addr
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(100000))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopics(ctx, 8, 1, nil, inTopic, agent.out); err != nil {
		return 0, err
	}
	fmt.Printf("peak: writing %d records of 100 bytes over 8 partitions, 10000 keys\n", records)
	if err := fill(ctx, cl, records, 100, 10000); err != nil {
		return 0, err
	}
	var rates []result
	for round := 1; round <= max(runs, 1); round++ {
		if round > 1 {
			if err := reset(ctx, adm, []string{agent.contender}, 8); err != nil {
				return 0, err
			}
		}
		r, err := runOne(ctx, self, addr, adm, agent.contender, int64(records), "")
		if err != nil {
			return 0, err
		}
		fmt.Printf("peak round %d  %s %9.0f records/s  (%v)\n", round, agent.contender, r.rate, r.elapsed.Round(time.Millisecond))
		rates = append(rates, r)
	}
	return median(rates, func(r result) float64 { return r.rate }), nil
}

// probe is the latency probe's producer, on one broker.
type probe struct {
	addr  string
	size  int
	agent probeAgent
	prod  *kgo.Client
	adm   *kadm.Client
	phase int            // the current phase's number, written in each value
	pids  map[string]int // processes whose CPU time each phase reports, by name

	// sends holds, per key of the current phase, the send time (UnixNano)
	// of each record sent with it, in order: the n-th is the one a
	// counting agent answers with count n.
	sendsMu sync.Mutex
	sends   map[string][]int64
}

func newProbe(ctx context.Context, addr string, size int, agent probeAgent) (*probe, error) {
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ProducerLinger(0), // franz-go's default lingers 10 ms
		kgo.MaxBufferedRecords(1<<20))
	if err != nil {
		return nil, err
	}
	adm := kadm.NewClient(prod)
	// Small segments, so that trim can free what each phase wrote.
	segment := strconv.Itoa(1 << 20)
	res, err := adm.CreateTopics(ctx, 8, 1, map[string]*string{"segment.bytes": &segment}, inTopic, agent.out, probeFloorTopic)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		prod.Close()
		return nil, fmt.Errorf("create topics: %w", err)
	}
	return &probe{addr: addr, size: size, agent: agent, prod: prod, adm: adm}, nil
}

// newPhase starts the next phase: its number, and keys of its own.
func (p *probe) newPhase() {
	p.phase++
	p.sendsMu.Lock()
	p.sends = map[string][]int64{}
	p.sendsMu.Unlock()
}

// send writes the i-th record of the phase to topic, sent at t.
func (p *probe) send(ctx context.Context, topic string, i int, t time.Time, onAck func(*kgo.Record, error)) {
	key := fmt.Sprintf("p%06d-key-%05d", p.phase, i%10000)
	p.sendsMu.Lock()
	p.sends[key] = append(p.sends[key], t.UnixNano())
	p.sendsMu.Unlock()
	p.prod.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(key), Value: p.value(t)}, onAck)
}

// sentAt returns the send time of the record an output answers: the
// value's stamp, or for a count the n-th record sent with its key.
func (p *probe) sentAt(rec *kgo.Record, counts bool) (int64, bool) {
	if !counts {
		sent, ph, ok := parseValue(rec.Value)
		return sent, ok && ph == p.phase
	}
	var t benchv1.Tally
	if proto.Unmarshal(rec.Value, &t) != nil || t.GetCount() < 1 {
		return 0, false
	}
	p.sendsMu.Lock()
	defer p.sendsMu.Unlock()
	ts := p.sends[string(rec.Key)]
	if int(t.GetCount()) > len(ts) {
		return 0, false
	}
	return ts[t.GetCount()-1], true
}

func (p *probe) close() { p.prod.Close() }

// value returns a probe value: send time and phase in digits, then
// lowercase letters up to p.size bytes.
func (p *probe) value(sent time.Time) []byte {
	v := make([]byte, 0, p.size)
	v = fmt.Appendf(v, "%019d %06d ", sent.UnixNano(), p.phase)
	for len(v) < p.size {
		v = append(v, byte('a'+len(v)%26))
	}
	return v
}

// parseValue returns a probe value's send time and phase.
func parseValue(v []byte) (sent int64, phase int, ok bool) {
	if len(v) < probeStamp || v[19] != ' ' || v[26] != ' ' {
		return 0, 0, false
	}
	sent, err := strconv.ParseInt(string(v[:19]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	ph, err := strconv.Atoi(string(v[20:26]))
	if err != nil {
		return 0, 0, false
	}
	return sent, ph, true
}

// reader consumes topic from its end and keeps the latency of each
// record of phase sent at or after from: read time (when the poll
// returned) minus send time.
type reader struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[int64]bool // send times read, to drop at-least-once duplicates
	lat  []time.Duration
	n    atomic.Int64 // len(lat)
}

func (p *probe) newReader(topic string, from time.Time) (*reader, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.addr),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(10*time.Millisecond))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{cl: cl, cancel: cancel, done: make(chan struct{}), seen: map[int64]bool{}}
	fromNs := from.UnixNano()
	counts := p.agent.counts && topic == p.agent.out
	go func() {
		defer close(r.done)
		for {
			fetches := cl.PollFetches(ctx)
			now := time.Now().UnixNano()
			if ctx.Err() != nil {
				return
			}
			r.mu.Lock()
			fetches.EachRecord(func(rec *kgo.Record) {
				sent, ok := p.sentAt(rec, counts)
				if !ok || sent < fromNs || r.seen[sent] {
					return
				}
				r.seen[sent] = true
				r.lat = append(r.lat, time.Duration(now-sent))
			})
			r.n.Store(int64(len(r.lat)))
			r.mu.Unlock()
		}
	}()
	return r, nil
}

func (r *reader) stop() []time.Duration {
	r.cancel()
	<-r.done
	r.cl.Close()
	return r.lat
}

// ready writes a record every 100 ms until one comes back on the output
// topic: the worker has joined its group and processes.
func (p *probe) ready(ctx context.Context, timeout time.Duration) error {
	p.newPhase()
	r, err := p.newReader(p.agent.out, time.Time{})
	if err != nil {
		return err
	}
	defer r.stop()
	deadline := time.Now().Add(timeout)
	for r.n.Load() == 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing on %s within %v", p.agent.out, timeout)
		}
		p.send(ctx, inTopic, 0, time.Now(), nil)
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// run writes to topic in at rate records/s for warmup+measure and reads
// topic out; it returns the latencies of the records sent after the
// warm-up, and the CPU time each process took meanwhile.
func (p *probe) run(ctx context.Context, what, in, out string, rate int, warmup, measure time.Duration) (latencyResult, error) {
	p.newPhase()
	start := time.Now()
	from := start.Add(warmup)
	end := from.Add(measure)
	r, err := p.newReader(out, from)
	if err != nil {
		return latencyResult{}, err
	}
	var failed atomic.Value
	onAck := func(_ *kgo.Record, err error) {
		if err != nil {
			failed.Store(err)
		}
	}
	sent, counted := 0, 0
	var cpu0 map[string]time.Duration
	var firstCounted, lastCounted time.Time
	for {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		due := int(float64(rate) * now.Sub(start).Seconds())
		for ; sent < due; sent++ {
			t := time.Now()
			if !t.Before(from) {
				if counted == 0 {
					firstCounted = t
					cpu0 = p.cpuTimes()
				}
				counted++
				lastCounted = t
			}
			p.send(ctx, in, sent, t, onAck)
		}
		// Until the next record is due, but at least 500 µs: waking
		// every 200 µs took a fifth of a core at 1,000 records/s.
		time.Sleep(max(time.Until(start.Add(time.Duration(float64(sent+1)/float64(rate)*1e9))), 500*time.Microsecond))
	}
	cpu1 := p.cpuTimes()
	if err := p.prod.Flush(ctx); err != nil {
		r.stop()
		return latencyResult{}, err
	}
	if err, ok := failed.Load().(error); ok {
		r.stop()
		return latencyResult{}, fmt.Errorf("produce: %w", err)
	}
	// Wait for what was sent to come back; give up after 10 s without
	// progress (a lost record would hold the wait forever).
	last, lastAt := int64(-1), time.Now()
	for r.n.Load() < int64(counted) {
		if n := r.n.Load(); n != last {
			last, lastAt = n, time.Now()
		} else if time.Since(lastAt) > 10*time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	lat := r.stop()
	if err := p.trim(ctx); err != nil {
		return latencyResult{}, err
	}
	if len(lat) == 0 {
		return latencyResult{}, errors.New(what + ": no record read back")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	achieved := 0.0
	if d := lastCounted.Sub(firstCounted).Seconds(); d > 0 {
		achieved = float64(counted-1) / d
	}
	var cpu []string
	for _, name := range []string{"probe", "broker", "worker"} {
		if c1, ok := cpu1[name]; ok && cpu0 != nil {
			cpu = append(cpu, fmt.Sprintf("%s %.2f", name, float64(c1-cpu0[name])/float64(lastCounted.Sub(firstCounted))))
		}
	}
	return latencyResult{what: what, rate: rate, achieved: achieved, sent: counted, got: len(lat),
		p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat[len(lat)-1], cpu: cpu}, nil
}

// trim deletes every record of the probe's topics read so far: the broker
// holds records in its memory, and the gigabytes of a run of rates made
// its garbage collection a source of latency for the later rates (p99 of
// the floor at 1,000 records/s went from 2 ms in the first pass to 40 ms
// in the next ones).
func (p *probe) trim(ctx context.Context) error {
	ends, err := p.adm.ListEndOffsets(ctx, inTopic, p.agent.out, probeFloorTopic)
	if err != nil {
		return err
	}
	var o kadm.Offsets
	ends.Each(func(l kadm.ListedOffset) {
		if l.Err == nil {
			o.AddOffset(l.Topic, l.Partition, l.Offset, -1)
		}
	})
	res, err := p.adm.DeleteRecords(ctx, o)
	if err != nil {
		return err
	}
	return res.Error()
}

// cpuTimes returns the user + system CPU time so far of the probe's own
// process and of each of p.pids (Linux /proc; absent where unreadable).
func (p *probe) cpuTimes() map[string]time.Duration {
	m := map[string]time.Duration{}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		m["probe"] = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for name, pid := range p.pids {
		if d, err := procCPU(pid); err == nil {
			m[name] = d
		}
	}
	return m
}

// procCPU reads a process's user + system time from /proc/<pid>/stat
// (clock ticks of 10 ms, USER_HZ on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14, utime
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15, stime
	if err1 != nil || err2 != nil {
		return 0, errors.New("bad /proc stat")
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}
