package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
)

// pulse is a pulse of the activity example's heartbeat, as JSON.
type pulse struct {
	At     int64 `json:"at,string"`
	Missed int   `json:"missed"`
}

// committedPulses reads every committed pulse (read_committed) until one
// ticked at or after until, and returns them in tick order.
func committedPulses(t *testing.T, addr string, until time.Time) []pulse {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("activity-pulses"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var ps []pulse
	for last := int64(0); last < until.UnixMilli(); {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("no committed pulse at or after %v within 90 s (last %v)", until, time.UnixMilli(last))
		}
		fs.EachRecord(func(r *kgo.Record) {
			var p pulse
			if err := json.Unmarshal(r.Value, &p); err != nil {
				t.Fatalf("pulse %s: %v", r.Value, err)
			}
			ps = append(ps, p)
			last = max(last, p.At)
		})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].At < ps[j].At })
	return ps
}

// leading reports whether a worker's log says it is the group's leader
// now: its last word on it.
func leading(log string) bool {
	return strings.LastIndex(log, "this worker is the group's leader") > strings.LastIndex(log, "this worker is no longer the group's leader")
}

// TestLeaderTimerSurvivesSIGKILL (operators part 1, timers, exactly once):
// two worker processes of the activity example; its 1 s heartbeat runs on
// the group's leader. SIGKILL the leader: the other worker becomes leader
// within the session timeout (and the rebalance), and the ticks go on
// there; the killed one restarts. Then SIGSTOP the new leader until the
// group moves the leadership, and SIGCONT it (a zombie leader). Through
// both, read_committed sees each second once: beaten, or stood for by the
// next pulse's missed count; none twice.
func TestLeaderTimerSurvivesSIGKILL(t *testing.T) {
	addr := devBroker(t)
	dir := t.TempDir()
	worker := func(id string) *proc {
		return startEnv(t, []string{"ARCHIVE_DIR=" + dir}, "activity", "worker", "--brokers", addr, "--session-timeout", "3s",
			"--http-addr", "off", "--data-dir", t.TempDir(), "--guarantee", "exactly-once", "--instance-id", id)
	}
	ws := map[string]*proc{"a": worker("a"), "b": worker("b")}
	waitFor(t, 60*time.Second, "both workers have partitions", func() bool {
		return strings.Contains(ws["a"].Log(), "partitions assigned") && strings.Contains(ws["b"].Log(), "partitions assigned")
	})
	committedPulses(t, addr, time.Now().Add(2*time.Second))
	var leader, other string
	waitFor(t, 30*time.Second, "one worker leads", func() bool {
		for id, p := range ws {
			if leading(p.Log()) {
				leader = id
			}
		}
		return leader != ""
	})
	other = map[string]string{"a": "b", "b": "a"}[leader]
	if err := ws[leader].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	_ = ws[leader].cmd.Wait()
	waitFor(t, 60*time.Second, "the other worker leads", func() bool { return leading(ws[other].Log()) })
	took := time.Since(killed)
	ws[leader] = worker(leader) // as a restarted process would: it aborts its predecessor's open transaction
	waitFor(t, 60*time.Second, "the restarted worker has partitions", func() bool {
		return strings.Contains(ws[leader].Log(), "partitions assigned")
	})
	committedPulses(t, addr, time.Now().Add(2*time.Second)) // the group settled
	// A zombie: SIGSTOP the leader past the session timeout; the group
	// moves the leadership; SIGCONT it: it still runs its ticks until it
	// learns it lost the leader topic, and their transactions are fenced
	// (KIP-447): none of its ticks may show twice.
	zombie, heir := leader, other
	if leading(ws[other].Log()) {
		zombie, heir = other, leader
	}
	mark := len(ws[zombie].Log())
	if err := ws[zombie].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the other worker leads while the leader is stopped", func() bool { return leading(ws[heir].Log()) })
	time.Sleep(2 * time.Second) // ticks come due on the stopped one
	if err := ws[zombie].cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	ps := committedPulses(t, addr, time.Now().Add(4*time.Second))
	// Whether the zombie ran a tick before it learnt it was out depends on
	// timing; when it did, its transaction was refused (logged here).
	for _, l := range strings.Split(ws[zombie].Log()[mark:], "\n") {
		if strings.Contains(l, "transaction aborted") {
			t.Logf("zombie %s after SIGCONT: %.240s", zombie, l)
		}
	}
	seen := map[int64]int{}
	var after *pulse
	for i, p := range ps {
		seen[p.At]++
		if seen[p.At] > 1 {
			t.Errorf("tick %v committed %d times", time.UnixMilli(p.At), seen[p.At])
		}
		if i > 0 && p.At != ps[i-1].At {
			if gap := time.Duration(p.At-ps[i-1].At) * time.Millisecond; gap != time.Duration(p.Missed+1)*time.Second {
				t.Errorf("pulse %v follows %v with %d missed: a second unaccounted for", time.UnixMilli(p.At), time.UnixMilli(ps[i-1].At), p.Missed)
			}
		}
		if after == nil && p.At > killed.UnixMilli()+1000 {
			after = &ps[i]
		}
	}
	if after == nil {
		t.Fatal("no pulse after the kill")
	}
	resumed := time.UnixMilli(after.At).Sub(killed)
	t.Logf("%d pulses; leader %s killed; %s led %v later; the first pulse after the kill ticked %v after it, standing for %d",
		len(ps), leader, other, took.Round(time.Millisecond), resumed.Round(time.Millisecond), after.Missed)
	// Session timeout 3 s, then the rebalance and the next poll.
	if resumed > 3*time.Second+5*time.Second {
		t.Errorf("the ticks resumed %v after the kill; want within the 3 s session timeout and a rebalance", resumed)
	}
}

// drain is a drain of the Tallies test app (cmd tallies), as JSON: what
// one tick of its timer took out of one partition of its table.
type drain struct {
	Partition int32 `json:"partition"`
	TickMs    int64 `json:"tickMs,string"`
	Hits      int64 `json:"hits,string"`
	Missed    int   `json:"missed"`
}

// committedDrains reads the committed drains (read_committed) until they
// report want hits in all, then for settle more.
func committedDrains(t *testing.T, addr string, want int64, settle time.Duration) []drain {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("drained"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var ds []drain
	var sum int64
	read := func(ctx context.Context) {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var d drain
			if err := json.Unmarshal(r.Value, &d); err != nil {
				t.Fatalf("drain %s: %v", r.Value, err)
			}
			ds = append(ds, d)
			sum += d.Hits
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for sum < want && ctx.Err() == nil {
		read(ctx)
	}
	if sum < want {
		t.Fatalf("the committed drains reported %d hits within 90 s, want %d", sum, want)
	}
	sctx, scancel := context.WithTimeout(context.Background(), settle)
	defer scancel()
	for sctx.Err() == nil {
		read(sctx)
	}
	return ds
}

// TestPartitionTimerSurvivesSIGKILL (operators part 1, a timer on each
// partition, exactly once): two worker processes of the Tallies test app,
// whose timer drains each partition's tallies every second in the
// partition's transaction. Hits keep coming while one worker is killed
// with SIGKILL (its partitions, their ticks included, move to the other
// within the session timeout) and restarted. read_committed sees every
// hit reported once, and every second of every partition drained once,
// or stood for by the next drain's missed count; none twice.
func TestPartitionTimerSurvivesSIGKILL(t *testing.T) {
	addr := devBroker(t)
	worker := func(id string) *proc {
		return start(t, "tallies", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off",
			"--data-dir", t.TempDir(), "--guarantee", "exactly-once", "--instance-id", id)
	}
	ws := map[string]*proc{"a": worker("a"), "b": worker("b")}
	waitFor(t, 60*time.Second, "both workers have partitions", func() bool {
		return strings.Contains(ws["a"].Log(), "partitions assigned") && strings.Contains(ws["b"].Log(), "partitions assigned")
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const perSecond, seconds = 300, 12
	sent := make(chan error, 1)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < perSecond*seconds; i += perSecond / 10 {
			<-tick.C
			var recs []*kgo.Record
			for j := i; j < i+perSecond/10; j++ {
				key := fmt.Sprintf("k%d", j%50)
				recs = append(recs, &kgo.Record{Topic: "hits", Partition: runtime.Partition([]byte(key), 4), Key: []byte(key),
					Value: []byte(`{"key":"` + key + `"}`)})
			}
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	time.Sleep(4 * time.Second)
	if err := ws["a"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ws["a"].cmd.Wait()
	time.Sleep(3 * time.Second)
	ws["a"] = worker("a") // a restarted process aborts its predecessor's open transaction
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	ds := committedDrains(t, addr, perSecond*seconds, 3*time.Second)
	byPart := map[int32][]drain{}
	var sum int64
	seen := map[[2]int64]int{}
	for _, d := range ds {
		sum += d.Hits
		byPart[d.Partition] = append(byPart[d.Partition], d)
		if seen[[2]int64{int64(d.Partition), d.TickMs}]++; seen[[2]int64{int64(d.Partition), d.TickMs}] > 1 {
			t.Errorf("partition %d: tick %v committed twice", d.Partition, time.UnixMilli(d.TickMs))
		}
	}
	missed := 0
	for p, ds := range byPart {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].TickMs < ds[j].TickMs })
		for i := 1; i < len(ds); i++ {
			if gap := time.Duration(ds[i].TickMs-ds[i-1].TickMs) * time.Millisecond; gap != time.Duration(ds[i].Missed+1)*time.Second {
				t.Errorf("partition %d: the drain of %v follows %v with %d missed: a second unaccounted for", p,
					time.UnixMilli(ds[i].TickMs), time.UnixMilli(ds[i-1].TickMs), ds[i].Missed)
			}
			missed += ds[i].Missed
		}
	}
	t.Logf("%d drains of %d partitions, %d hits reported of %d sent, %d ticks stood for by a later one", len(ds), len(byPart), sum, perSecond*seconds, missed)
	if sum != perSecond*seconds {
		t.Errorf("the drains reported %d hits, want %d exactly", sum, perSecond*seconds)
	}
	if len(byPart) != 4 {
		t.Errorf("drains of %d partitions, want 4", len(byPart))
	}
}
