// Command chaos is streamgen's crash harness. It runs the accounts app
// (examples/05-accounts, exactly-once) as worker processes on a
// `streamgen dev-broker`, produces deposits whose correct outputs and
// final table values a sequential model computes, SIGKILLs a random worker
// every few seconds and starts it again, and at the end reads every output
// and both changelogs with isolation.level=read_committed and compares:
// every expected balance exactly once, no other output, every table value
// equal to the model. It prints the counts and exits 1 on any difference.
//
//	go run ./examples/05-accounts/chaos -events 1000000 -kill-every 3s
//
// With -guarantee at-least-once the workers run at least once: the
// harness then fails only on lost outputs and reports duplicates and
// wrong values (a replay after a crash may apply a deposit twice).
//
// Further faults: -broker-outage 30s stops the broker process once,
// mid-run, and restarts it on the same port and data directory;
// -storm starts and gracefully stops extra workers in a loop (a rebalance
// storm); -slow delays every record's handling.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	accountsv1 "github.com/streamgen/streamgen/examples/05-accounts/gen/accounts/v1"
	"github.com/streamgen/streamgen/runtime"
)

// config is one harness run.
type config struct {
	events       int
	accounts     int
	rate         int // events per second
	workers      int
	killEvery    time.Duration
	guarantee    string // "exactly-once" or "at-least-once"
	brokerOutage time.Duration
	dynamic      bool // the workers are dynamic group members (default: static)
	storm        bool
	timeout      time.Duration
	dir          string // work directory; empty: a temporary one
	bin          string // directory holding built streamgen and accounts binaries; empty: build them
}

// report is what a run saw.
type report struct {
	Expected, Seen, Lost, Duplicated, Wrong int
	TableKeys, TableWrong                   int
	Kills, Storms, Exits                    int
	Took                                    time.Duration
}

func (r report) String() string {
	return fmt.Sprintf("expected %d, seen %d, lost %d, duplicated %d, wrong %d; table values %d, wrong %d; kills %d, storm cycles %d, workers that exited on their own %d; took %v",
		r.Expected, r.Seen, r.Lost, r.Duplicated, r.Wrong, r.TableKeys, r.TableWrong, r.Kills, r.Storms, r.Exits, r.Took.Round(time.Second))
}

// failed says what makes the run a failure under its guarantee.
func (r report) failed(guarantee string) error {
	if r.Lost > 0 {
		return fmt.Errorf("%d outputs lost", r.Lost)
	}
	if guarantee == "at-least-once" {
		return nil
	}
	if r.Duplicated > 0 || r.Wrong > 0 || r.TableWrong > 0 {
		return fmt.Errorf("exactly-once violated: %d duplicated, %d wrong outputs, %d wrong table values", r.Duplicated, r.Wrong, r.TableWrong)
	}
	return nil
}

func main() {
	var cfg config
	flag.IntVar(&cfg.events, "events", 50000, "deposits to produce")
	flag.IntVar(&cfg.accounts, "accounts", 1000, "accounts")
	flag.IntVar(&cfg.rate, "rate", 10000, "deposits per second")
	flag.IntVar(&cfg.workers, "workers", 3, "worker processes")
	flag.DurationVar(&cfg.killEvery, "kill-every", 3*time.Second, "SIGKILL a random worker this often while deposits flow (0: never)")
	flag.StringVar(&cfg.guarantee, "guarantee", "exactly-once", "exactly-once or at-least-once")
	flag.DurationVar(&cfg.brokerOutage, "broker-outage", 0, "stop the broker once for this long, mid-run (0: never)")
	flag.BoolVar(&cfg.dynamic, "dynamic", false, "run the workers as dynamic group members (default: static, with their instance ids)")
	flag.BoolVar(&cfg.storm, "storm", false, "start and stop extra workers in a loop (a rebalance storm)")
	flag.DurationVar(&cfg.timeout, "timeout", 20*time.Minute, "give up after this long")
	flag.StringVar(&cfg.dir, "dir", "", "work directory (default: a temporary one, removed afterwards)")
	flag.Parse()
	r, err := run(context.Background(), cfg, os.Stderr)
	fmt.Println(r)
	if err == nil {
		err = r.failed(cfg.guarantee)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("PASS")
}

// deposit returns the i-th deposit: accounts take turns, each numbering
// its deposits from 1; event time advances 20 ms per deposit from a fixed
// start, so the run spans many one-minute windows.
func deposit(i, accounts int) *accountsv1.Deposit {
	acct := i % accounts
	return &accountsv1.Deposit{
		AccountId: fmt.Sprintf("acct-%04d", acct),
		Seq:       int64(i/accounts) + 1,
		Amount:    int64((i*7919)%1000 + 1),
		AtMs:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli() + int64(i)*20,
	}
}

// model is the sequential truth.
type model struct {
	out     map[string]*accountsv1.Balance // by "acct#seq"
	balance map[string]int64
	minute  map[string]int64 // by "acct@startms"
}

func newModel(cfg config) *model {
	m := &model{out: map[string]*accountsv1.Balance{}, balance: map[string]int64{}, minute: map[string]int64{}}
	for i := 0; i < cfg.events; i++ {
		d := deposit(i, cfg.accounts)
		m.balance[d.AccountId] += d.Amount
		mk := fmt.Sprintf("%s@%d", d.AccountId, d.AtMs-d.AtMs%60000)
		m.minute[mk]++
		m.out[fmt.Sprintf("%s#%d", d.AccountId, d.Seq)] = &accountsv1.Balance{AccountId: d.AccountId, Seq: d.Seq,
			Balance: m.balance[d.AccountId], MinuteDeposits: m.minute[mk]}
	}
	return m
}

// proc is a child process with its output appended to a log file.
type proc struct {
	name string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() error {
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.name, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return err
	}
	p.done = make(chan struct{})
	go func() { _ = p.cmd.Wait(); f.Close(); close(p.done) }()
	return nil
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits (SIGKILL after d).
func (p *proc) stop(d time.Duration) bool {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		p.kill()
		return false
	}
}

func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func buildBinaries(dir string) error {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	for out, pkg := range map[string]string{"streamgen": "./cmd/streamgen", "accounts": "./examples/05-accounts"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
		}
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitFor(ctx context.Context, what string, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("waited %v for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// run runs the harness and reports what it saw. logw gets progress lines.
func run(ctx context.Context, cfg config, logw io.Writer) (rep report, err error) {
	start := time.Now()
	defer func() { rep.Took = time.Since(start) }()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "chaos %6.1fs: %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	if cfg.guarantee == "" {
		cfg.guarantee = "exactly-once"
	}
	dir := cfg.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "streamgen-chaos-"); err != nil {
			return rep, err
		}
		defer os.RemoveAll(dir)
	}
	bin := cfg.bin
	if bin == "" {
		bin = dir
		logf("building the workers and the dev broker")
		if err := buildBinaries(bin); err != nil {
			return rep, err
		}
	}
	m := newModel(cfg)
	rep.Expected = len(m.out)

	port, err := freePort()
	if err != nil {
		return rep, err
	}
	addrFile := filepath.Join(dir, "broker.addr")
	brk := &proc{name: filepath.Join(bin, "streamgen"), log: filepath.Join(dir, "broker.log"),
		args: []string{"dev-broker", "-port", fmt.Sprint(port), "-data-dir", filepath.Join(dir, "broker"), "-addr-file", addrFile}}
	if err := brk.start(); err != nil {
		return rep, err
	}
	defer func() { brk.stop(10 * time.Second) }()
	if err := waitFor(ctx, "the dev broker", 30*time.Second, func() bool { _, err := os.Stat(addrFile); return err == nil }); err != nil {
		return rep, err
	}
	b, _ := os.ReadFile(addrFile)
	addr := strings.TrimSpace(string(b))
	logf("dev broker at %s; %d workers, %s, %d deposits at %d/s", addr, cfg.workers, cfg.guarantee, cfg.events, cfg.rate)

	var mu sync.Mutex // guards workers
	// The workers are static members (they come back under the same
	// instance id after a kill: without that, the embedded broker held the
	// group for the 30 s rebalance timeout when a member died in the middle
	// of a rebalance); the storm's extra workers, which come and go for
	// good, are dynamic.
	newWorker := func(id string, static bool) *proc {
		return &proc{name: filepath.Join(bin, "accounts"), log: filepath.Join(dir, id+".log"),
			args: []string{"worker", "--brokers", addr, "--instance-id", id, "--data-dir", filepath.Join(dir, id),
				"--session-timeout", "3s", "--guarantee", cfg.guarantee, "--log-level", "info",
				fmt.Sprintf("--static-membership=%v", static)}}
	}
	workers := make([]*proc, cfg.workers)
	for i := range workers {
		workers[i] = newWorker(fmt.Sprintf("w%d", i+1), !cfg.dynamic)
		if err := workers[i].start(); err != nil {
			return rep, err
		}
	}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range workers {
			select {
			case <-w.done:
			default:
				w.stop(30 * time.Second)
			}
		}
		if err != nil || rep.failed(cfg.guarantee) != nil {
			for _, w := range workers {
				logf("log of %s (tail):\n%s", w.args[4], tail(w.logText(), 40))
			}
		}
	}()
	if err := waitFor(ctx, "a worker to start", 60*time.Second, func() bool {
		return strings.Contains(workers[0].logText(), "worker started")
	}); err != nil {
		return rep, fmt.Errorf("%w:\n%s", err, workers[0].logText())
	}

	// Produce at the configured rate, with franz-go (a client we did not
	// write), idempotent and in order per partition.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(accountsv1.DepositTopicName),
		kgo.RecordRetries(1<<30), kgo.ProduceRequestTimeout(10*time.Second))
	if err != nil {
		return rep, err
	}
	defer cl.Close()
	produced := make(chan error, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		per := max(cfg.rate/100, 1)
		var perr error
		var pmu sync.Mutex
		for i := 0; i < cfg.events && ctx.Err() == nil; {
			<-tick.C
			for j := 0; j < per && i < cfg.events; j, i = j+1, i+1 {
				d := deposit(i, cfg.accounts)
				v, _ := proto.Marshal(d)
				cl.Produce(ctx, &kgo.Record{Key: []byte(d.AccountId), Value: v}, func(_ *kgo.Record, err error) {
					if err != nil {
						pmu.Lock()
						perr = err
						pmu.Unlock()
					}
				})
			}
		}
		err := cl.Flush(ctx)
		pmu.Lock()
		if perr != nil {
			err = perr
		}
		pmu.Unlock()
		produced <- err
	}()

	// Faults while deposits flow.
	faultsDone := make(chan struct{})
	stopFaults := make(chan struct{})
	go func() {
		defer close(faultsDone)
		var wg sync.WaitGroup
		if cfg.killEvery > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
				t := time.NewTicker(cfg.killEvery)
				defer t.Stop()
				for {
					select {
					case <-stopFaults:
						return
					case <-t.C:
					}
					mu.Lock()
					i := rng.IntN(len(workers))
					workers[i].kill()
					rep.Kills++
					logf("SIGKILL %s; starting it again", workers[i].args[4])
					if err := workers[i].start(); err != nil {
						logf("restarting %s: %v", workers[i].args[4], err)
					}
					mu.Unlock()
				}
			}()
		}
		if cfg.storm {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					extra := newWorker(fmt.Sprintf("storm%d", n%2), false)
					if err := extra.start(); err != nil {
						logf("storm worker: %v", err)
						return
					}
					select {
					case <-stopFaults:
						extra.stop(30 * time.Second)
						return
					case <-time.After(2 * time.Second):
					}
					if !extra.stop(30 * time.Second) {
						logf("storm worker did not stop within 30 s of SIGTERM")
					}
					rep.Storms++
				}
			}()
		}
		// A supervisor, as systemd or Kubernetes would be: a worker that
		// exits on its own (it stops on errors it cannot handle) starts
		// again.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stopFaults:
					return
				case <-time.After(500 * time.Millisecond):
				}
				mu.Lock()
				for _, w := range workers {
					select {
					case <-w.done:
						rep.Exits++
						logf("%s exited on its own; starting it again. Its last lines:\n%s", w.args[4], tail(w.logText(), 3))
						if err := w.start(); err != nil {
							logf("restarting %s: %v", w.args[4], err)
						}
					default:
					}
				}
				mu.Unlock()
			}
		}()
		if cfg.brokerOutage > 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case <-stopFaults:
					return
				case <-time.After(3 * time.Second):
				}
				logf("stopping the broker for %v", cfg.brokerOutage)
				brk.stop(10 * time.Second)
				time.Sleep(cfg.brokerOutage)
				_ = os.Remove(addrFile)
				if err := brk.start(); err != nil {
					logf("restarting the broker: %v", err)
					return
				}
				logf("broker restarted on the same port and data directory")
			}()
		}
		wg.Wait()
	}()

	// Read the outputs, committed only, until every expected one is seen.
	seen := map[string]int{}
	wrong := 0
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(accountsv1.BalanceTopicName),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return rep, err
	}
	defer rd.Close()
	readFor := func(d time.Duration) {
		pctx, pcancel := context.WithTimeout(ctx, d)
		defer pcancel()
		rd.PollFetches(pctx).EachRecord(func(r *kgo.Record) {
			rep.Seen++
			var b accountsv1.Balance
			if err := proto.Unmarshal(r.Value, &b); err != nil {
				wrong++
				return
			}
			k := fmt.Sprintf("%s#%d", b.AccountId, b.Seq)
			seen[k]++
			if want := m.out[k]; want == nil || !proto.Equal(want, &b) {
				wrong++
				if wrong <= 5 {
					logf("wrong output %s: got %v, want %v", k, &b, want)
				}
			}
		})
	}
	var prodErr error
	prodDone := false
	lastLog := time.Now()
	for ctx.Err() == nil {
		readFor(500 * time.Millisecond)
		if !prodDone {
			select {
			case prodErr = <-produced:
				prodDone = true
				close(stopFaults)
				logf("all %d deposits produced (err %v); faults stop", cfg.events, prodErr)
			default:
			}
		}
		if time.Since(lastLog) > 5*time.Second {
			lastLog = time.Now()
			logf("%d distinct outputs of %d seen", len(seen), rep.Expected)
		}
		if prodDone && len(seen) >= rep.Expected {
			break
		}
	}
	if !prodDone {
		close(stopFaults)
	}
	<-faultsDone
	if prodErr != nil {
		return rep, fmt.Errorf("producing deposits: %w", prodErr)
	}
	// Settle: anything extra (a duplicate) shows now or never.
	readFor(3 * time.Second)
	logf("stopping the workers")
	mu.Lock()
	for _, w := range workers {
		if !w.stop(60 * time.Second) {
			logf("%s did not stop within 60 s of SIGTERM", w.args[4])
		}
	}
	mu.Unlock()
	readFor(time.Second)
	for k := range m.out {
		switch n := seen[k]; {
		case n == 0:
			rep.Lost++
			if rep.Lost <= 5 {
				logf("lost: %s", k)
			}
		case n > 1:
			rep.Duplicated += n - 1
		}
	}
	rep.Wrong = wrong

	// Table values: the changelogs, read committed, last value per key.
	balances, err := readChangelog(ctx, addr, accountsv1.AccountsBalancesChangelogTopicName)
	if err != nil {
		return rep, err
	}
	for acct, want := range m.balance {
		rep.TableKeys++
		var b accountsv1.Balance
		v, ok := balances[acct]
		if !ok || proto.Unmarshal(v, &b) != nil || b.Balance != want {
			rep.TableWrong++
			if rep.TableWrong <= 5 {
				logf("table balances[%s] = %v, want %d", acct, b.Balance, want)
			}
		}
	}
	rep.TableWrong += max(len(balances)-len(m.balance), 0)
	minutes, err := readChangelog(ctx, addr, accountsv1.AccountsMinuteDepositsChangelogTopicName)
	if err != nil {
		return rep, err
	}
	got := map[string]int64{}
	for k, v := range minutes {
		if len(k) > 0 && k[0] == 0xff {
			continue // closed-window markers
		}
		key, startAt, ok := runtime.SplitWindowKey([]byte(k))
		var c accountsv1.Count
		if !ok || proto.Unmarshal(v, &c) != nil {
			rep.TableWrong++
			continue
		}
		got[fmt.Sprintf("%s@%d", key, startAt.UnixMilli())] = c.N
	}
	for k, want := range m.minute {
		rep.TableKeys++
		if got[k] != want {
			rep.TableWrong++
			if rep.TableWrong <= 5 {
				logf("table minute-deposits[%s] = %d, want %d", k, got[k], want)
			}
		}
	}
	rep.TableWrong += max(len(got)-len(m.minute), 0)
	return rep, nil
}

// readChangelog reads a changelog to its end, committed records only, and
// returns the last value of each key (tombstones delete).
func readChangelog(ctx context.Context, addr, topic string) (map[string][]byte, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := map[string][]byte{}
	idle := 0
	for idle < 3 {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if r.Value == nil {
				delete(out, string(r.Key))
				return
			}
			out[string(r.Key)] = bytes.Clone(r.Value)
		})
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("reading %s: %w", topic, fe.Err)
			}
		}
		if n == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return out, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
