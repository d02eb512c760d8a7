// Command bench measures streamgen against its peers on one broker, in one
// run: the same uppercase work, at least once, by three programs each in
// its own process:
//
//   - handwritten: a confluent-kafka-go consume → uppercase → produce loop
//     that flushes its outputs before each commit;
//   - franz-go: the same loop on franz-go (pure Go): this machine's
//     practical limit for the work with a Go client;
//   - goka: a Goka v1.1.17 processor (Sarama);
//   - streamgen: the streamgen agent of proto/bench/v1/bench.proto;
//     streamgen-observed the same with the worker's HTTP server and
//     Prometheus metrics on, as the command line runs it;
//     streamgen-batch the same work by a batch agent (500 at a time).
//
// and counts per key in a table (streamgen-count and its peers), or joins
// each record with its key's profile from a table fed from a topic
// (streamgen-join: a stream-table join, against the count's table work),
// or joins two streams of the same length (streamgen-stream-join: a
// windowed stream-stream join, each left record with the one right record
// of its key and timestamp).
//
// It starts a broker process (the embedded kfake broker, as `streamgen
// dev-broker` runs it), writes the input once, runs each contender on it
// with its own consumer group and output topic, and prints each one's
// rate, CPU time per record and peak RSS, and streamgen's ratios:
//
//	cd examples/bench && go run . -records 1000000
//
// (`make bench` from the repository root). The rate is records over the
// time from the contender's first input record to the moment the broker
// holds all of its outputs, so process start-up and group join are not
// counted for anyone; the peak RSS is the process's VmHWM. This file holds
// streamgen's contenders; peers.go the others, the harness and the broker,
// all left out of the `-tags sgworker` build the harness runs streamgen's
// contenders with (so that binary links streamgen alone, as a team's
// worker would).
package main

//go:generate go tool streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/bench -mock none proto/bench/v1/bench.proto

import (
	"bytes"

	"context"
	"errors"
	"flag"
	"fmt"
	badger "github.com/dgraph-io/badger/v4"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	benchv1 "github.com/streamgen/streamgen/examples/bench/gen/bench/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/worker"
)

const inTopic = "bench-in"

// contender runs one contender until ctx ends.
type contender func(ctx context.Context, brokers, dataDir string) error

// contenders are the programs the harness runs, by name: streamgen's here,
// the peers' in peers.go. Built with -tags sgworker, the binary holds
// streamgen's alone: the harness runs that build for them, so their RSS is
// that of a streamgen worker, not of a binary that also links Goka and
// Sarama.
var contenders = map[string]contender{
	"streamgen":           func(ctx context.Context, brokers, _ string) error { return streamgenWorker(ctx, brokers, false) },
	"streamgen-observed":  func(ctx context.Context, brokers, _ string) error { return streamgenWorker(ctx, brokers, true) },
	"streamgen-eos":       streamgenEOS,
	"streamgen-batch":     streamgenBatch,
	"streamgen-count":     streamgenCount,
	"streamgen-count-eos": streamgenCountEOS,
	"streamgen-restore":   streamgenRestore,
	"streamgen-window-count": func(ctx context.Context, brokers, dataDir string) error {
		return runCountApp(ctx, brokers, dataDir, func(app *runtime.App) error {
			return benchv1.RegisterBenchWindowCountAgents(app, windowCountAgents{})
		})
	},
	"streamgen-session-count": func(ctx context.Context, brokers, dataDir string) error {
		return runCountApp(ctx, brokers, dataDir, func(app *runtime.App) error {
			return benchv1.RegisterBenchSessionCountAgents(app, sessionCountAgents{})
		})
	},
	"streamgen-join": func(ctx context.Context, brokers, dataDir string) error {
		return runCountApp(ctx, brokers, dataDir, func(app *runtime.App) error {
			return benchv1.RegisterBenchJoinAgents(app, joinAgents{})
		})
	},
	"streamgen-stream-join": func(ctx context.Context, brokers, dataDir string) error {
		return runCountApp(ctx, brokers, dataDir, func(app *runtime.App) error {
			return benchv1.RegisterBenchStreamJoinAgents(app, streamJoinAgents{})
		})
	},
}

// streamJoinAgents emits the left record of each pair of a windowed
// stream-stream join (the harness writes each side's record i with one
// key and timestamp: one pair per left record).
type streamJoinAgents struct {
	benchv1.UnimplementedBenchStreamJoinAgents
}

func (streamJoinAgents) Pair(ctx context.Context, in *benchv1.JoinLeft, _ *benchv1.JoinRight, out benchv1.BenchStreamJoinPairEmitter) error {
	first()
	return out.EmitPaired(ctx, &benchv1.Paired{Data: in.GetData()})
}

// joinAgents joins each record with its key's profile, from the table
// fed from topic bench-profiles (the harness writes one per key first).
type joinAgents struct {
	benchv1.UnimplementedBenchJoinAgents
}

func (joinAgents) Join(ctx context.Context, in *benchv1.Line, p *benchv1.Profile, out benchv1.BenchJoinJoinEmitter) error {
	first()
	return out.EmitJoined(ctx, &benchv1.Joined{Tier: p.GetTier()})
}

// commands are the harness and the broker (peers.go), absent from the
// sgworker build.
var commands = map[string]func(args []string) int{}

func main() {
	if len(os.Args) > 1 {
		if c := contenders[os.Args[1]]; c != nil {
			os.Exit(runContender(os.Args[1], c, os.Args[2:]))
		}
		if cmd := commands[os.Args[1]]; cmd != nil {
			os.Exit(cmd(os.Args[2:]))
		}
	}
	if h := commands["harness"]; h != nil {
		os.Exit(h(os.Args[1:]))
	}
	fmt.Fprintln(os.Stderr, "usage: bench <streamgen contender> -brokers addr [-data-dir dir] (this build runs streamgen's contenders only)")
	os.Exit(2)
}

// ---- contenders ----

var firstOnce sync.Once

// first reports the arrival of the first input record to the harness.
func first() {
	firstOnce.Do(func() { fmt.Printf("FIRST %d\n", time.Now().UnixNano()) })
}

func runContender(name string, c contender, args []string) int {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	brokers := fs.String("brokers", "", "bootstrap brokers")
	dataDir := fs.String("data-dir", "", "table store directory")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := c(ctx, *brokers, *dataDir)
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}

type benchAgents struct {
	benchv1.UnimplementedBenchAgents
}

func (benchAgents) Uppercase(ctx context.Context, in *benchv1.Line, out benchv1.BenchUppercaseEmitter) error {
	first()
	return out.EmitUpper(ctx, &benchv1.Upper{Data: bytes.ToUpper(in.GetData())})
}

// observedAgents is benchAgents' work in the app whose worker serves HTTP
// with Prometheus metrics.
type observedAgents struct{}

func (observedAgents) Uppercase(ctx context.Context, in *benchv1.Line, out benchv1.BenchObservedUppercaseEmitter) error {
	first()
	return out.EmitUpperObserved(ctx, &benchv1.UpperObserved{Data: bytes.ToUpper(in.GetData())})
}

// batchAgents is benchAgents' work by a batch agent.
type batchAgents struct{}

func (batchAgents) Uppercase(ctx context.Context, in []*benchv1.Line, out benchv1.BenchBatchUppercaseEmitter) error {
	first()
	for _, l := range in {
		if err := out.EmitUpperBatch(ctx, &benchv1.UpperBatch{Data: bytes.ToUpper(l.GetData())}); err != nil {
			return err
		}
	}
	return nil
}

// streamgenBatch runs the uppercase work as a batch agent (batches of up
// to 500), to compare with the per-record agent on the same work.
func streamgenBatch(ctx context.Context, brokers, _ string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	if err := benchv1.RegisterBenchBatchAgents(app, batchAgents{}); err != nil {
		return err
	}
	defer profile()()
	defer memstats()
	return worker.Run(ctx, app, append([]worker.Option{worker.WithBrokers(brokers)}, benchKafka()...)...)
}

// eosAgents is benchAgents' work exactly once.
type eosAgents struct{}

func (eosAgents) Uppercase(ctx context.Context, in *benchv1.Line, out benchv1.BenchEosUppercaseEmitter) error {
	first()
	return out.EmitUpperEos(ctx, &benchv1.UpperEos{Data: bytes.ToUpper(in.GetData())})
}

// streamgenEOS runs the uppercase agent exactly once (the latency probe's
// -agent uppercase-eos).
func streamgenEOS(ctx context.Context, brokers, dataDir string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	if err := benchv1.RegisterBenchEosAgents(app, eosAgents{}); err != nil {
		return err
	}
	defer profile()()
	lat := &commitLatency{name: "streamgen-eos"}
	defer lat.print()
	return worker.Run(ctx, app, worker.WithBrokers(brokers), worker.WithDataDir(dataDir), worker.WithHooks(lat))
}

func streamgenWorker(ctx context.Context, brokers string, observed bool) error {
	defer memstats()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	var err error
	if observed {
		err = benchv1.RegisterBenchObservedAgents(app, observedAgents{})
	} else {
		err = benchv1.RegisterBenchAgents(app, benchAgents{})
	}
	if err != nil {
		return err
	}
	if path := os.Getenv("BENCH_HEAPPROFILE"); path != "" {
		go func() {
			time.Sleep(time.Second)
			f, err := os.Create(path)
			if err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
			var m goruntime.MemStats
			goruntime.ReadMemStats(&m)
			fmt.Fprintf(os.Stderr, "at 1s: go heap sys %d MiB, inuse %d MiB, total sys %d MiB\n", m.HeapSys>>20, m.HeapInuse>>20, m.Sys>>20)
		}()
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	opts := []worker.Option{worker.WithBrokers(brokers)}
	if observed {
		// As the command line runs a worker: HTTP with Prometheus metrics
		// fed by the hooks on the record path.
		opts = append(opts, worker.WithHTTPAddr("127.0.0.1:0"))
	}
	if v := os.Getenv("BENCH_THREADS"); v != "" {
		n, _ := strconv.Atoi(v)
		opts = append(opts, worker.WithThreads(n))
	}
	return worker.Run(ctx, app, append(opts, benchKafka()...)...)
}

type countAgents struct {
	benchv1.UnimplementedBenchCountAgents
}

func (countAgents) Count(ctx context.Context, in *benchv1.Line, out benchv1.BenchCountCountEmitter) error {
	first()
	var n int64
	if err := out.Counts().Update(ctx, func(t *benchv1.Tally) error {
		t.Count++
		n = t.Count
		return nil
	}); err != nil {
		return err
	}
	return out.EmitTally(ctx, &benchv1.Tally{Count: n})
}

type countEOSAgents struct {
	benchv1.UnimplementedBenchCountEosAgents
}

func (countEOSAgents) Count(ctx context.Context, in *benchv1.Line, out benchv1.BenchCountEosCountEmitter) error {
	first()
	var n int64
	if err := out.Counts().Update(ctx, func(t *benchv1.TallyEos) error {
		t.Count++
		n = t.Count
		return nil
	}); err != nil {
		return err
	}
	return out.EmitTallyEos(ctx, &benchv1.TallyEos{Count: n})
}

// commitLatency collects exactly-once commit times and prints their
// percentiles at exit.
type commitLatency struct {
	name string // the contender's
	mu   sync.Mutex
	took []time.Duration
	fail int
}

func (c *commitLatency) OnCommit(cm worker.Commit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cm.Err != nil {
		c.fail++
		return
	}
	c.took = append(c.took, cm.Took)
}

func (c *commitLatency) print() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.took) == 0 {
		return
	}
	sort.Slice(c.took, func(i, j int) bool { return c.took[i] < c.took[j] })
	q := func(f float64) time.Duration { return c.took[int(f*float64(len(c.took)-1))] }
	fmt.Fprintf(os.Stderr, "%s commits: %d (failed %d), latency p50 %v, p99 %v, max %v\n",
		c.name, len(c.took), c.fail, q(0.5).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), c.took[len(c.took)-1].Round(10*time.Microsecond))
}

// windowCountAgents counts per key in one-minute tumbling windows.
type windowCountAgents struct {
	benchv1.UnimplementedBenchWindowCountAgents
}

func (windowCountAgents) Count(ctx context.Context, in *benchv1.Line, out benchv1.BenchWindowCountCountEmitter) error {
	first()
	var n int64
	if err := out.Counts().Update(ctx, func(t *benchv1.WindowTally) error {
		t.Count++
		n = t.Count
		return nil
	}); err != nil {
		return err
	}
	return out.EmitWindowTally(ctx, &benchv1.WindowTally{Count: n})
}

// sessionCountAgents counts per key in sessions with a one-minute gap.
type sessionCountAgents struct {
	benchv1.UnimplementedBenchSessionCountAgents
}

func (sessionCountAgents) Count(ctx context.Context, in *benchv1.Line, out benchv1.BenchSessionCountCountEmitter) error {
	first()
	var n int64
	if err := out.Counts().Update(ctx, func(t *benchv1.SessionTally) error {
		t.Count++
		n = t.Count
		return nil
	}); err != nil {
		return err
	}
	return out.EmitSessionTally(ctx, &benchv1.SessionTally{Count: n})
}

func (sessionCountAgents) MergeCounts(ctx context.Context, a, b *benchv1.SessionTally) (*benchv1.SessionTally, error) {
	return &benchv1.SessionTally{Count: a.GetCount() + b.GetCount()}, nil
}

// runCountApp runs the app register builds as streamgenCount runs its.
func runCountApp(ctx context.Context, brokers, dataDir string, register func(*runtime.App) error) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	if err := register(app); err != nil {
		return err
	}
	defer profile()()
	opts := []worker.Option{worker.WithBrokers(brokers), worker.WithDataDir(dataDir)}
	return worker.Run(ctx, app, append(opts, benchKafka()...)...)
}

// streamgenCountEOS is the count, exactly once.
func streamgenCountEOS(ctx context.Context, brokers, dataDir string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	if err := benchv1.RegisterBenchCountEosAgents(app, countEOSAgents{}); err != nil {
		return err
	}
	defer profile()()
	lat := &commitLatency{name: "streamgen-count-eos"}
	defer lat.print()
	return worker.Run(ctx, app, worker.WithBrokers(brokers), worker.WithDataDir(dataDir), worker.WithHooks(lat))
}

func countApp() (*runtime.App, error) {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := runtime.NewApp(runtime.WithLogger(log))
	return app, benchv1.RegisterBenchCountAgents(app, countAgents{})
}

// profile writes a CPU profile to $BENCH_CPUPROFILE while the contender
// runs, if set.
func profile() func() {
	path := os.Getenv("BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// memstats prints the Go heap's peak-ish figures at exit if
// $BENCH_MEMSTATS is set, to tell Go memory from librdkafka's.
func memstats() {
	if os.Getenv("BENCH_MEMSTATS") == "" {
		return
	}
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	fmt.Fprintf(os.Stderr, "go heap: sys %d MiB, inuse %d MiB, total sys %d MiB\n", m.HeapSys>>20, m.HeapInuse>>20, m.Sys>>20)
}

// benchKafka returns the librdkafka properties of $BENCH_KAFKA
// (k=v,k=v), as a worker option, for investigations.
func benchKafka() []worker.Option {
	var opts []worker.Option
	if kib, err := strconv.Atoi(os.Getenv("BENCH_MEMTABLE_KIB")); err == nil && kib > 0 {
		// Tried on the stream join: larger Badger memtables for its
		// write-heavy buffers (BENCHMARKS.md).
		opts = append(opts, worker.WithStorage(state.BadgerBuilder(func(o badger.Options) badger.Options {
			return o.WithMemTableSize(int64(kib) << 10)
		})))
	}
	v := os.Getenv("BENCH_KAFKA")
	if v == "" {
		return opts
	}
	props := map[string]string{}
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		props[k] = val
	}
	return append(opts, worker.WithKafkaConfig(props))
}

// heapProfileLater writes a heap profile to path (if set) after
// $BENCH_HEAPPROFILE_AT (default 4 s).
func heapProfileLater(path string) {
	if path == "" {
		return
	}
	go func() {
		at := 4 * time.Second
		if d, err := time.ParseDuration(os.Getenv("BENCH_HEAPPROFILE_AT")); err == nil {
			at = d
		}
		time.Sleep(at)
		goruntime.GC() // the profile shows the live heap as of the last GC
		if f, err := os.Create(path); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}()
}

func streamgenCount(ctx context.Context, brokers, dataDir string) error {
	app, err := countApp()
	if err != nil {
		return err
	}
	defer profile()()
	defer memstats()
	heapProfileLater(os.Getenv("BENCH_HEAPPROFILE"))
	opts := []worker.Option{worker.WithBrokers(brokers), worker.WithDataDir(dataDir)}
	return worker.Run(ctx, app, append(opts, benchKafka()...)...)
}

// restoreReport prints the total restore once every partition is done.
type restoreReport struct {
	mu      sync.Mutex
	parts   int
	records int64
	took    time.Duration
}

func (r *restoreReport) OnRestore(p worker.RestoreProgress) {
	if !p.Done {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.parts++
	r.records += p.Records
	r.took = max(r.took, p.Elapsed)
	if r.parts == 8 {
		fmt.Printf("RESTORED %d %d\n", r.records, r.took.Nanoseconds())
	}
}

// streamgenRestore starts a count worker on an empty data directory, so it
// restores every table partition from the changelog.
func streamgenRestore(ctx context.Context, brokers, dataDir string) error {
	app, err := countApp()
	if err != nil {
		return err
	}
	defer profile()()
	heapProfileLater(os.Getenv("BENCH_RESTORE_HEAPPROFILE"))
	return worker.Run(ctx, app, worker.WithBrokers(brokers), worker.WithDataDir(dataDir), worker.WithHooks(&restoreReport{}))
}
