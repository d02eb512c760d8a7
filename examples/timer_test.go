package examples_test

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
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
