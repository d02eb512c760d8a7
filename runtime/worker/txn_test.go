package worker_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// readCommitted reads n records of topic with isolation.level
// read_committed, then keeps reading for settle to catch any extra record.
func readCommitted(t *testing.T, addr, topic string, n int, settle time.Duration) []*kgo.Record {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic %s: read %d of %d committed records before the deadline", topic, len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	sctx, scancel := context.WithTimeout(context.Background(), settle)
	defer scancel()
	for sctx.Err() == nil {
		cl.PollFetches(sctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

// exactTallies checks that the tallies are each account's counts 1..want
// exactly once.
func exactTallies(t *testing.T, recs []*kgo.Record, want map[string]int64) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range recs {
		m, err := testapp.TallyTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		seen[fmt.Sprintf("%s#%d", m.GetAccountId(), m.GetCount())]++
	}
	total := 0
	for acct, n := range want {
		for i := int64(1); i <= n; i++ {
			k := fmt.Sprintf("%s#%d", acct, i)
			switch seen[k] {
			case 1:
			case 0:
				t.Errorf("%s: missing", k)
			default:
				t.Errorf("%s: seen %d times", k, seen[k])
			}
		}
		total += int(n)
	}
	if len(recs) != total {
		t.Errorf("read %d committed tallies, want exactly %d", len(recs), total)
	}
}

type commits struct {
	mu     sync.Mutex
	n      int
	failed []error
}

func (c *commits) OnCommit(cm worker.Commit) {
	c.mu.Lock()
	if cm.Err != nil {
		c.failed = append(c.failed, cm.Err)
	} else {
		c.n++
	}
	c.mu.Unlock()
}

func (c *commits) failures() []error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]error(nil), c.failed...)
}

func (c *commits) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestExactlyOnceRebalance: under exactly-once, a second worker joins
// mid-stream and the first leaves; every tally is read (read_committed)
// exactly once and every count is exact.
func TestExactlyOnceRebalance(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	hooks := &commits{}
	a := runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithHooks(hooks))
	recs, want := orders(t, 0, 2000, 50)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 500, 0)
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("b"))
	recs, more := orders(t, 2000, 2000, 50)
	add(want, more)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 4000, 0)
	a.stop(t)
	recs, more = orders(t, 4000, 2000, 50)
	add(want, more)
	produce(t, cl, recs...)
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, 6000, 2*time.Second), want)
	if hooks.count() == 0 {
		t.Error("worker A reported no transaction commit")
	}
}

// TestExactlyOnceAbortReplays: the broker refuses one transaction's
// offsets (ILLEGAL_GENERATION, as for a zombie); the worker aborts the
// transaction, rewinds to the committed offsets and processes the records
// again from its stores' committed state. Readers see every tally exactly
// once with exact counts: the aborted transaction's outputs and table
// writes never show.
func TestExactlyOnceAbortReplays(t *testing.T) {
	b, err := broker.Start(broker.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	addr := b.Addr()
	cl := client(t, addr)
	hooks := &commits{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithHooks(hooks), worker.WithKafkaConfig(dbg()))
	recs, want := orders(t, 0, 1000, 20)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 1000, 0)
	var injected sync.Once
	fired := make(chan struct{})
	b.Cluster().ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.TxnOffsetCommitRequest)
		resp := r.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
		for _, rt := range r.Topics {
			st := kmsg.NewTxnOffsetCommitResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.IllegalGeneration.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		injected.Do(func() { close(fired) })
		return resp, nil, true
	})
	recs, more := orders(t, 1000, 2000, 20)
	add(want, more)
	produce(t, cl, recs...)
	select {
	case <-fired:
	case <-time.After(30 * time.Second):
		t.Fatal("no transactional offset commit reached the broker")
	}
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, 3000, 2*time.Second), want)
	if f := hooks.failures(); len(f) == 0 {
		t.Error("no transaction failed: the injected error did not reach the worker")
	} else {
		t.Logf("aborted: %v", f[0])
	}
}

func dbg() map[string]string {
	if os.Getenv("RDK_DEBUG") != "" {
		return map[string]string{"debug": os.Getenv("RDK_DEBUG")}
	}
	return nil
}
