package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// testLog sends the harness's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p[:len(p)-1]))
	return len(p), nil
}

var bin string // built once for all runs

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "streamgen-chaos-bin-")
	if err != nil {
		panic(err)
	}
	if err := buildBinaries(dir); err != nil {
		panic(err)
	}
	bin = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runHarness(t *testing.T, cfg config) report {
	t.Helper()
	cfg.bin, cfg.dir = bin, t.TempDir()
	if cfg.timeout == 0 {
		cfg.timeout = 8 * time.Minute
	}
	r, err := run(context.Background(), cfg, testLog{t})
	t.Log(r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seen == 0 || r.Expected != cfg.events {
		t.Fatalf("the run saw nothing: %v", r)
	}
	return r
}

// TestChaosExactlyOnce is the CI-sized crash run: 50,000 deposits, three
// workers, a SIGKILL every 2 s while deposits flow; every balance exactly
// once and every table value right.
func TestChaosExactlyOnce(t *testing.T) {
	r := runHarness(t, config{events: 50000, accounts: 500, rate: 5000, workers: 3, killEvery: 2 * time.Second, guarantee: "exactly-once"})
	if err := r.failed("exactly-once"); err != nil {
		t.Error(err)
	}
	if r.Kills < 3 {
		t.Errorf("only %d kills: the run ended before the faults", r.Kills)
	}
}

// TestChaosAtLeastOnce runs the same harness with the workers at least
// once: nothing may be lost; duplicates are reported.
func TestChaosAtLeastOnce(t *testing.T) {
	r := runHarness(t, config{events: 30000, accounts: 500, rate: 5000, workers: 3, killEvery: 2 * time.Second, guarantee: "at-least-once"})
	if err := r.failed("at-least-once"); err != nil {
		t.Error(err)
	}
	t.Logf("at least once: %d duplicated, %d wrong outputs, %d wrong table values (replays after kills)", r.Duplicated, r.Wrong, r.TableWrong)
}

// TestChaosBrokerOutage stops the broker process for 15 s while the
// exactly-once workers (static members) run (deposits flow for 20 s, so the
// supervisor counts any worker that exits), then restarts it on the same
// port and data directory: longer than the workers' session timeout (3 s)
// and transaction timeout (10 s). The workers wait, replace clients the
// outage made unusable (a static member fenced after its session
// expired), rejoin and resume: none exits, nothing is lost or duplicated.
func TestChaosBrokerOutage(t *testing.T) {
	r := runHarness(t, config{events: 30000, accounts: 500, rate: 1500, workers: 3, brokerOutage: 15 * time.Second, guarantee: "exactly-once"})
	if err := r.failed("exactly-once"); err != nil {
		t.Error(err)
	}
	if r.Exits != 0 {
		t.Errorf("%d workers exited on their own during a broker outage", r.Exits)
	}
}

// TestChaosShortBrokerOutage: an outage shorter than the session timeout
// (2 s against 3 s), exactly once: no worker exits, all exact.
func TestChaosShortBrokerOutage(t *testing.T) {
	r := runHarness(t, config{events: 10000, accounts: 500, rate: 1000, workers: 3, brokerOutage: 2 * time.Second, guarantee: "exactly-once"})
	if err := r.failed("exactly-once"); err != nil {
		t.Error(err)
	}
	if r.Exits != 0 {
		t.Errorf("%d workers exited on their own during a broker outage", r.Exits)
	}
}

// TestChaosBrokerOutageAtLeastOnce: the 15 s outage with at-least-once
// workers that are dynamic group members: none exits, nothing is lost.
func TestChaosBrokerOutageAtLeastOnce(t *testing.T) {
	r := runHarness(t, config{events: 30000, accounts: 500, rate: 1500, workers: 3, brokerOutage: 15 * time.Second,
		guarantee: "at-least-once", dynamic: true})
	if err := r.failed("at-least-once"); err != nil {
		t.Error(err)
	}
	if r.Exits != 0 {
		t.Errorf("%d workers exited on their own during a broker outage", r.Exits)
	}
}

// TestChaosRebalanceStorm starts and gracefully stops extra workers in a
// loop under load, with SIGKILLs besides: the group settles and every
// check still holds.
func TestChaosRebalanceStorm(t *testing.T) {
	r := runHarness(t, config{events: 40000, accounts: 500, rate: 2500, workers: 3, storm: true, killEvery: 5 * time.Second, guarantee: "exactly-once"})
	if err := r.failed("exactly-once"); err != nil {
		t.Error(err)
	}
	if r.Storms < 3 {
		t.Errorf("only %d storm cycles", r.Storms)
	}
}
