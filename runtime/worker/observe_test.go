package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/worker"
)

// recorder is a hook implementing the observe interfaces of the record
// path, the group, the lag and the commits (not RestoreHook, TableHook:
// other tests cover those); it keeps what it is told.
type recorder struct {
	mu         sync.Mutex
	processed  map[string]int // outcome/reason -> count
	outputs    int
	done       int
	latencyMax time.Duration
	assigned   int
	state      observe.State
	lags       map[observe.Partition]observe.Lag
	heartbeats int
	dead       []observe.DeadLetter
	commits    []observe.Commit
}

func (r *recorder) OnCommit(c observe.Commit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.commits = append(r.commits, c)
}

func (r *recorder) OnDeadLetter(d observe.DeadLetter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead = append(r.dead, d)
}

func newRecorder() *recorder {
	return &recorder{processed: map[string]int{}, lags: map[observe.Partition]observe.Lag{}}
}

func (r *recorder) OnProcess(p observe.Processed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.processed[p.Outcome.String()+"/"+p.Reason]++
	r.outputs += p.Outputs
}

func (r *recorder) OnDone(d observe.Done) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	r.latencyMax = max(r.latencyMax, d.Latency)
}

func (r *recorder) OnRebalance(rb observe.Rebalance) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.assigned += len(rb.Assigned)
}

func (r *recorder) OnState(s observe.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state = s
}

func (r *recorder) OnLag(_ int, lags []observe.Lag) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.heartbeats++
	clear(r.lags)
	for _, l := range lags {
		r.lags[l.Partition] = l
	}
}

func (r *recorder) get(f func(r *recorder) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r)
}

// TestHooksSeeTheWorker: a worker with a hook of every kind reports each
// processed record with its outcome (ok, or a dead letter with its
// reason), each record done (outputs acknowledged), its assignment and
// state, each partition's lag, which reaches 0 once the records are
// processed and is measured against a high watermark the consumer knows,
// and, at least once, its offset commits while it runs, with their
// latency, as the group's committed offsets reach the records.
func TestHooksSeeTheWorker(t *testing.T) {
	addr := startBroker(t)
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- worker.Run(ctx, app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)),
			worker.WithSessionTimeout(3*time.Second), worker.WithHooks(rec), worker.WithReady(func(string) { close(ready) }))
	}()
	<-ready
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker stopped with %v", err)
		}
	})
	waitUntil(t, func() bool {
		return rec.get(func(r *recorder) bool { return r.state.Joined && len(r.state.Owned) == 4 })
	})

	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, order(t, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i), AmountCents: 5}))
	}
	recs = append(recs, &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte("acct-bad"), Value: []byte{0xff, 0xff}},
		order(t, &testapp.Order{AccountId: "acct-fail", Note: "fail"}))
	produce(t, client(t, addr), recs...)
	waitUntil(t, func() bool { return rec.get(func(r *recorder) bool { return r.done == 32 }) })
	waitUntil(t, func() bool {
		return rec.get(func(r *recorder) bool {
			var lag, hw int64
			for p, l := range r.lags {
				if p.Topic == testapp.OrderTopicName {
					lag += l.Records()
					hw += l.HighWatermark
				}
			}
			return len(r.lags) == 4 && lag == 0 && hw == 32
		})
	})
	adm := kadm.NewClient(client(t, addr))
	waitUntil(t, func() bool {
		offs, err := adm.FetchOffsetsForTopics(context.Background(), app.ID(), testapp.OrderTopicName)
		var sum int64
		offs.Each(func(o kadm.OffsetResponse) { sum += max(o.At, 0) })
		return err == nil && sum == 32
	})
	waitUntil(t, func() bool {
		return rec.get(func(r *recorder) bool {
			for _, c := range r.commits {
				if c.Err == nil && c.Took > 0 && c.Partitions > 0 {
					return true
				}
			}
			return false
		})
	})
	rec.get(func(r *recorder) bool {
		want := map[string]int{"ok/": 30, "dead_letter/decode": 1, "dead_letter/handler": 1}
		for k, n := range want {
			if r.processed[k] != n {
				t.Errorf("processed %s: %d, want %d (all: %v)", k, r.processed[k], n, r.processed)
			}
		}
		reasons := map[string]string{}
		for _, d := range r.dead {
			reasons[string(d.Key)] = d.Reason
			if d.Topic != testapp.CheckoutCheckDeadLetterTopicName || d.Source.Topic != testapp.OrderTopicName || d.Error == "" {
				t.Errorf("dead letter %+v: want the agent's dead-letter topic, the source and the error", d)
			}
		}
		if reasons["acct-bad"] != observe.ReasonDecode || reasons["acct-fail"] != observe.ReasonHandler {
			t.Errorf("dead letters by key: %v, want acct-bad decode, acct-fail handler", reasons)
		}
		if r.outputs != 30 {
			t.Errorf("%d outputs reported, want 30 receipts", r.outputs)
		}
		if r.latencyMax <= 0 || r.latencyMax > time.Minute {
			t.Errorf("largest end-to-end latency %v, want a positive duration under a minute", r.latencyMax)
		}
		if r.assigned != 4 || r.heartbeats == 0 || len(r.state.Restoring) != 0 || r.state.Threads != 1 {
			t.Errorf("assigned %d partitions (want 4), %d heartbeats, state %+v", r.assigned, r.heartbeats, r.state)
		}
		return true
	})
}
