package worker_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// runClock runs a worker of the Clock app (a beat every second on the
// group's leader) until the test ends.
func runClock(t *testing.T, addr string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
		return testapp.RegisterClockAgents(app, testapp.Clock{})
	}, opts...)
}

// secondBeats reads the 1 s timer's beats (read_committed) and returns
// their tick times in order, with each one's missed count.
func secondBeats(t *testing.T, recs []*kgo.Record) (ticks []time.Time, missed []int) {
	t.Helper()
	type beat struct {
		at     time.Time
		missed int
	}
	var bs []beat
	for _, r := range recs {
		b, err := testapp.BeatTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if b.GetAgent() == "Second" {
			bs = append(bs, beat{time.UnixMilli(b.GetTickMs()), int(b.GetMissed())})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].at.Before(bs[j].at) })
	for _, b := range bs {
		ticks, missed = append(ticks, b.at), append(missed, b.missed)
	}
	return ticks, missed
}

// checkBeats checks that every second from the first beat to the last is
// accounted for once: beaten, or stood for by a later beat's missed count;
// it returns how many were missed.
func checkBeats(t *testing.T, ticks []time.Time, missed []int) int {
	t.Helper()
	total := 0
	for i := 1; i < len(ticks); i++ {
		gap := ticks[i].Sub(ticks[i-1])
		if gap != time.Duration(missed[i]+1)*time.Second {
			t.Errorf("beat %v follows %v, missed %d: a tick %s", ticks[i], ticks[i-1], missed[i],
				map[bool]string{true: "repeated", false: "lost"}[gap < time.Second])
		}
		total += missed[i]
	}
	return total
}

// TestLeaderTimerOnTheBroker (operators part 1, timers): a 1 s timer runs
// on one worker of the group, the leader; a second worker joins and the
// first leaves (the leadership moves), and every second from the first
// beat to the last is beaten once (or stood for by the next beat's missed
// count, while the leadership moved), at least once and exactly once.
func TestLeaderTimerOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			a := runClock(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("a"))
			readCommitted(t, addr, testapp.BeatTopicName, 3, 0)
			runClock(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("b"))
			time.Sleep(3 * time.Second)
			a.stop(t)
			before := len(readCommitted(t, addr, testapp.BeatTopicName, 1, time.Second))
			recs := readCommitted(t, addr, testapp.BeatTopicName, before+4, time.Second)
			ticks, missed := secondBeats(t, recs)
			lost := checkBeats(t, ticks, missed)
			t.Logf("%d beats from %v to %v, %d ticks stood for by a later one", len(ticks), ticks[0].Format("15:04:05"), ticks[len(ticks)-1].Format("15:04:05"), lost)
			if lost > 5 {
				t.Errorf("%d ticks missed while the leadership moved; want a few at most", lost)
			}
		})
	}
}

// TestLeaderTimerWithALongCommitInterval: exactly once with transactions
// every 3 s, a 1 s timer still beats every second (ticks handed to the
// lane do not wait for the transaction that commits them), each once.
func TestLeaderTimerWithALongCommitInterval(t *testing.T) {
	addr := startBroker(t)
	runClock(t, addr, worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithCommitInterval(3*time.Second))
	first := readCommitted(t, addr, testapp.BeatTopicName, 1, 0)
	recs := readCommitted(t, addr, testapp.BeatTopicName, len(first)+6, time.Second)
	ticks, missed := secondBeats(t, recs)
	if lost := checkBeats(t, ticks, missed); lost > 0 {
		t.Errorf("%d ticks stood for by a later one while the worker ran: ticks waited for the transaction", lost)
	}
}
