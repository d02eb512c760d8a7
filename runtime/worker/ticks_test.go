package worker_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// runTallies runs a worker of the Tallies app (hits counted per key, each
// partition's tallies drained every second by a timer that runs on each
// partition) until the test ends.
func runTallies(t *testing.T, addr string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
		return testapp.RegisterTalliesAgents(app, testapp.Tallies{})
	}, opts...)
}

// hits returns n hits of keys k0..k<keys-1>, each in the partition its
// key belongs to.
func hits(t *testing.T, n, keys int) []*kgo.Record {
	t.Helper()
	var out []*kgo.Record
	for i := range n {
		rec, err := testapp.HitTopic.Record(&testapp.Hit{Key: fmt.Sprintf("k%d", i%keys)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &kgo.Record{Topic: rec.Topic, Partition: runtime.Partition(rec.Key, 4), Key: rec.Key, Value: rec.Value})
	}
	return out
}

// drainedUntil reads the committed drains (read_committed) until they
// report want hits in all, then for settle more; it fails the test after
// 90 s.
func drainedUntil(t *testing.T, addr string, want int64, settle time.Duration) []*testapp.Drained {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(testapp.DrainedTopicName), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	var out []*testapp.Drained
	var sum int64
	read := func(ctx context.Context) {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			d, err := testapp.DrainedTopic.Decode(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
			sum += d.GetHits()
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for sum < want && ctx.Err() == nil {
		read(ctx)
	}
	if sum < want {
		t.Fatalf("the drains reported %d hits within 90 s, want %d", sum, want)
	}
	sctx, scancel := context.WithTimeout(context.Background(), settle)
	defer scancel()
	for sctx.Err() == nil {
		read(sctx)
	}
	return out
}

// checkDrains checks the drains of each partition: every second from a
// partition's first drain to its last is drained once, or stood for by
// the next drain's missed count; none twice. It returns the hits reported
// in all and how many ticks were stood for.
func checkDrains(t *testing.T, ds []*testapp.Drained) (hits int64, missed int) {
	t.Helper()
	byPart := map[int32][]*testapp.Drained{}
	for _, d := range ds {
		byPart[d.GetPartition()] = append(byPart[d.GetPartition()], d)
		hits += d.GetHits()
	}
	for p, ds := range byPart {
		sort.SliceStable(ds, func(i, j int) bool { return ds[i].GetTickMs() < ds[j].GetTickMs() })
		for i := 1; i < len(ds); i++ {
			gap := time.Duration(ds[i].GetTickMs()-ds[i-1].GetTickMs()) * time.Millisecond
			if gap != time.Duration(ds[i].GetMissed()+1)*time.Second {
				t.Errorf("partition %d: the drain of %v follows %v, missed %d: a tick %s", p,
					time.UnixMilli(ds[i].GetTickMs()).Format("15:04:05.000"), time.UnixMilli(ds[i-1].GetTickMs()).Format("15:04:05.000"),
					ds[i].GetMissed(), map[bool]string{true: "repeated", false: "lost"}[gap < time.Second])
			}
			missed += int(ds[i].GetMissed())
		}
	}
	if len(byPart) != 4 {
		t.Errorf("drains of %d partitions, want 4", len(byPart))
	}
	return hits, missed
}

// TestPartitionTimerOnTheBroker (operators part 1, timers on each
// partition): a timer drains each partition's tallies every second, in
// the partition's work. A second worker joins (partitions and their ticks
// move to it), then the first one leaves; hits keep coming. Every hit is
// reported once, and every second of every partition is drained once (or
// stood for by the next drain while the partition moved), at least once
// and exactly once: the ticks done move with the partition's committed
// offset.
func TestPartitionTimerOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			a := runTallies(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("a"))
			produce(t, cl, hits(t, 300, 40)...)
			drainedUntil(t, addr, 300, 0)
			runTallies(t, addr, worker.WithExactlyOnce(eos), worker.WithInstanceID("b"))
			produce(t, cl, hits(t, 300, 40)...)
			time.Sleep(2 * time.Second)
			a.stop(t)
			produce(t, cl, hits(t, 300, 40)...)
			ds := drainedUntil(t, addr, 900, 3*time.Second)
			sum, missed := checkDrains(t, ds)
			t.Logf("%d drains, %d hits reported, %d ticks stood for by a later one", len(ds), sum, missed)
			if sum != 900 {
				t.Errorf("the drains reported %d hits, want 900: hits counted twice", sum)
			}
			if missed > 4*5 {
				t.Errorf("%d ticks stood for while partitions moved; want a few per partition at most", missed)
			}
		})
	}
}

// TestPartitionTimerAfterAnAbort: the broker refuses one transaction's
// offsets (as for a zombie); the worker aborts it and rewinds. The
// partitions' ticks go on from the last commit's: every hit is drained
// once, and every second of every partition once (the aborted
// transaction's ticks run again), none lost.
func TestPartitionTimerAfterAnAbort(t *testing.T) {
	b := startKfake(t)
	addr := b.Addr()
	cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	hooks := &commits{}
	runTallies(t, addr, worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithHooks(hooks))
	produce(t, cl, hits(t, 200, 40)...)
	drainedUntil(t, addr, 200, 0)
	var injected sync.Once
	fired := make(chan struct{})
	b.Cluster().ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		injected.Do(func() { close(fired) })
		return illegalGeneration(req.(*kmsg.TxnOffsetCommitRequest)), nil, true
	})
	select {
	case <-fired:
	case <-time.After(30 * time.Second):
		t.Fatal("no transactional offset commit reached the broker")
	}
	produce(t, cl, hits(t, 200, 40)...)
	ds := drainedUntil(t, addr, 400, 3*time.Second)
	sum, missed := checkDrains(t, ds)
	if sum != 400 {
		t.Errorf("the drains reported %d hits, want 400", sum)
	}
	if f := hooks.failures(); len(f) == 0 {
		t.Error("no transaction failed: the injected error did not reach the worker")
	}
	t.Logf("%d drains, %d ticks stood for by a later one", len(ds), missed)
}
