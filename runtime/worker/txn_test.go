package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/kafka"
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
	b := startKfake(t)
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
		injected.Do(func() { close(fired) })
		return illegalGeneration(req.(*kmsg.TxnOffsetCommitRequest)), nil, true
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

func runCheckout(t *testing.T, addr string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	r := &ledgerRun{cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- worker.Run(ctx, app, append([]worker.Option{worker.WithBrokers(addr), worker.WithLogger(testLogger(t)),
			worker.WithSessionTimeout(3 * time.Second), worker.WithReady(func(string) { close(ready) })}, opts...)...)
	}()
	select {
	case <-ready:
	case err := <-r.done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// TestExactlyOncePoisonRecords: under exactly-once, an undecodable record,
// a handler error and a handler panic each end in the dead-letter topic
// once, committed with the offsets that pass them; the worker keeps going.
// A second worker started after the first stopped reprocesses nothing.
func TestExactlyOncePoisonRecords(t *testing.T) {
	addr := startBroker(t)
	a := runCheckout(t, addr, worker.WithExactlyOnce(true))
	cl := client(t, addr)
	var recs []*kgo.Record
	for i := 0; i < 30; i++ {
		recs = append(recs, order(t, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i), AmountCents: 10}))
		switch i {
		case 5:
			recs = append(recs, &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte("acct-bad"), Value: []byte{0xff, 0xff, 0xff}})
		case 15:
			recs = append(recs, order(t, &testapp.Order{AccountId: "acct-fail", Note: "fail"}))
		case 25:
			recs = append(recs, order(t, &testapp.Order{AccountId: "acct-panic", Note: "panic"}))
		}
	}
	produce(t, cl, recs...)
	receipts := readCommitted(t, addr, testapp.ReceiptTopicName, 30, 2*time.Second)
	if len(receipts) != 30 {
		t.Errorf("%d committed receipts, want exactly 30", len(receipts))
	}
	dead := readCommitted(t, addr, testapp.CheckoutCheckDeadLetterTopicName, 3, 2*time.Second)
	keys := map[string]int{}
	for _, r := range dead {
		keys[string(r.Key)]++
	}
	for _, k := range []string{"acct-bad", "acct-fail", "acct-panic"} {
		if keys[k] != 1 {
			t.Errorf("dead letter %s: %d committed copies, want 1", k, keys[k])
		}
	}
	if len(dead) != 3 {
		t.Errorf("%d committed dead letters, want 3", len(dead))
	}
	a.stop(t)
	// The offsets passing the poison records were committed with them: a
	// new worker has nothing to redo.
	runCheckout(t, addr, worker.WithExactlyOnce(true))
	produce(t, cl, order(t, &testapp.Order{AccountId: "acct-after", AmountCents: 1}))
	if n := len(readCommitted(t, addr, testapp.ReceiptTopicName, 31, 2*time.Second)); n != 31 {
		t.Errorf("%d committed receipts after a restart, want 31: records were processed again", n)
	}
	if n := len(readCommitted(t, addr, testapp.CheckoutCheckDeadLetterTopicName, 3, time.Second)); n != 3 {
		t.Errorf("%d committed dead letters after a restart, want 3", n)
	}
}

// slowCheckout takes 100 ms per order.
type slowCheckout struct{ checkout }

func (s slowCheckout) Check(ctx context.Context, in *testapp.Order, out testapp.CheckoutCheckEmitter) error {
	time.Sleep(100 * time.Millisecond)
	return s.checkout.Check(ctx, in, out)
}

// revocations counts the worker's "partitions revoked" log lines.
type revocations struct {
	slog.Handler
	n *atomic.Int32
}

func (r revocations) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "partitions revoked" {
		r.n.Add(1)
	}
	return r.Handler.Handle(ctx, rec)
}

func (r revocations) WithAttrs(as []slog.Attr) slog.Handler {
	return revocations{r.Handler.WithAttrs(as), r.n}
}

// TestSlowHandler: a handler that takes 100 ms per record, exactly once,
// with a 3 s session timeout: the member keeps its partitions while the
// work is in flight (no rebalance), every receipt is committed once;
// stopping in the middle of a backlog returns within a bounded time (the
// queued records are left to the next owner, which completes them exactly
// once).
func TestSlowHandler(t *testing.T) {
	addr := startBroker(t)
	var revoked atomic.Int32
	log := slog.New(revocations{testLogger(t).Handler(), &revoked})
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, slowCheckout{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- worker.Run(ctx, app, worker.WithBrokers(addr), worker.WithLogger(log), worker.WithExactlyOnce(true),
			worker.WithSessionTimeout(3*time.Second), worker.WithShutdownTimeout(5*time.Second),
			worker.WithReady(func(string) { close(ready) }))
	}()
	<-ready
	cl := client(t, addr)
	var recs []*kgo.Record
	for i := 0; i < 80; i++ { // 8 s of work on one partition
		recs = append(recs, order(t, &testapp.Order{AccountId: "acct-slow", AmountCents: int64(i)}))
	}
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.ReceiptTopicName, 80, 0)
	if n := revoked.Load(); n != 0 {
		t.Errorf("%d revocations while a slow handler worked: the member lost its partitions", n)
	}
	recs = recs[:0]
	for i := 80; i < 380; i++ { // 30 s of work queued
		recs = append(recs, order(t, &testapp.Order{AccountId: "acct-slow", AmountCents: int64(i)}))
	}
	produce(t, cl, recs...)
	time.Sleep(time.Second)
	stopAt := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("worker stopped with %v", err)
		}
		t.Logf("stopped %v after the cancel with a backlog of slow records", time.Since(stopAt).Round(time.Millisecond))
	case <-time.After(15 * time.Second):
		t.Fatal("the worker did not stop within 15 s with a backlog of slow records")
	}
	// A fast worker finishes the backlog: every receipt exactly once.
	runCheckout(t, addr, worker.WithExactlyOnce(true))
	got := readCommitted(t, addr, testapp.ReceiptTopicName, 380, 2*time.Second)
	seen := map[int64]int{}
	for _, r := range got {
		m, err := testapp.ReceiptTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		seen[m.GetAmountCents()]++
	}
	for i := int64(0); i < 380; i++ {
		if seen[i] != 1 {
			t.Errorf("receipt %d committed %d times, want once", i, seen[i])
		}
	}
}

// TestExactlyOnceFencedProducerIsReplaced: another producer takes the
// worker's transactional id (as a zombie's successor would), fencing the
// worker's producer; the worker replaces it (librdkafka: fatal error, a
// new producer is needed), replays from the committed offsets, and every
// tally is still read exactly once.
func TestExactlyOnceFencedProducerIsReplaced(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	hooks := &commits{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithHooks(hooks))
	recs, want := orders(t, 0, 1000, 20)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 1000, 0)
	intruder, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{Brokers: addr, ClientID: "intruder", Logger: testLogger(t)},
		TransactionalID: testapp.LedgerAppID + "-a-0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := intruder.InitTransactions(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	intruder.Close()
	recs, more := orders(t, 1000, 2000, 20)
	add(want, more)
	produce(t, cl, recs...)
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, 3000, 2*time.Second), want)
	fatal := false
	for _, err := range hooks.failures() {
		var te *kafka.TxnError
		if errors.As(err, &te) && te.Fatal {
			fatal = true
		}
	}
	if !fatal {
		t.Errorf("no fatal transactional error was reported (failures: %v): the fencing did not reach the worker", hooks.failures())
	}
}

// TestExactlyOnceWindowClose: under exactly-once, a window's final value
// is delivered when a later event closes it, once, in a committed
// transaction with its closed marker.
func TestExactlyOnceWindowClose(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true))
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	for i := 0; i < 10; i++ {
		r := order(t, &testapp.Order{AccountId: "acct-w", AmountCents: 3})
		r.Timestamp = base.Add(time.Duration(i) * time.Second)
		recs = append(recs, r)
	}
	later := order(t, &testapp.Order{AccountId: "acct-w", AmountCents: 4})
	later.Timestamp = base.Add(5 * time.Minute)
	produce(t, cl, append(recs, later)...)
	got := readCommitted(t, addr, testapp.MinuteTotalTopicName, 1, 2*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d committed closed windows, want 1", len(got))
	}
	m, _ := testapp.MinuteTotalTopic.Decode(got[0].Value)
	if m.GetAccountId() != "acct-w" || m.GetSumCents() != 30 || m.GetStartMs() != base.UnixMilli() {
		t.Errorf("closed window %v, want acct-w 30 cents from %v", m, base)
	}
	marker := false
	for _, r := range readCommitted(t, addr, testapp.LedgerMinuteSumsChangelogTopicName, 1, 2*time.Second) {
		if _, ok := runtime.SplitClosedMarker(r.Key); ok {
			marker = true
		}
	}
	if !marker {
		t.Error("no committed closed marker in the windowed table's changelog")
	}
}

// TestExactlyOnceFailedRewindLosesNothing: after an aborted transaction
// the worker rewinds its consumer to the committed offsets. When fetching
// them fails (here the broker refuses OffsetFetch for 3 s), the rewind is
// tried again after later polls while the consumer keeps fetching; the
// records it fetched meanwhile lie past the committed offset and must not
// be taken as the next ones after the rewind (they were, once in the
// crash harness: a gap of records whose offsets were committed with no
// output). Every count is exact.
func TestExactlyOnceFailedRewindLosesNothing(t *testing.T) {
	if failed := testFailedRewind(t, refusedOffsetFetch); failed == 0 {
		t.Error("no rewind failed: the refused OffsetFetch did not reach the worker")
	}
}

// TestExactlyOnceUnstableOffsetsRewindLosesNothing: while another
// transaction holds offsets of the group, a broker answers OffsetFetch
// (require_stable, KIP-447) with UNSTABLE_OFFSET_COMMIT per partition.
// librdkafka 2.11 retries that until the call's timeout (then
// _TIMED_OUT), so the rewind waits; should a partition's error ever come
// back with no offset, the rewind fails and is tried again (sg_rewind)
// instead of seeking to the beginning, which would process every record
// again on stores that already hold their writes. Every count is exact.
func TestExactlyOnceUnstableOffsetsRewindLosesNothing(t *testing.T) {
	testFailedRewind(t, unstableOffsetFetch)
}

// testFailedRewind aborts a transaction while OffsetFetch is answered by
// refuse for 3 s, with records flowing, and checks every count. It
// returns how many rewinds failed.
func testFailedRewind(t *testing.T, refuse func(*kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse) int32 {
	b := startKfake(t)
	addr := b.Addr()
	cl := client(t, addr)
	rewinds := &atomic.Int32{}
	log := slog.New(messageCounter{testLogger(t).Handler(), "rewinding to the committed offsets failed; retrying", rewinds})
	hooks := &commits{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("a"), worker.WithHooks(hooks), worker.WithLogger(log))
	recs, want := orders(t, 0, 1000, 20)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 1000, 0)

	var refuseUntil atomic.Int64 // unix ms
	var refused atomic.Int32
	b.Cluster().ControlKey(int16(kmsg.OffsetFetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		b.Cluster().KeepControl()
		if time.Now().UnixMilli() >= refuseUntil.Load() {
			return nil, nil, false
		}
		refused.Add(1)
		return refuse(req.(*kmsg.OffsetFetchRequest)), nil, true
	})
	fired := make(chan struct{})
	b.Cluster().ControlKey(int16(kmsg.TxnOffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		refuseUntil.Store(time.Now().Add(3 * time.Second).UnixMilli())
		close(fired)
		return illegalGeneration(req.(*kmsg.TxnOffsetCommitRequest)), nil, true
	})
	// Records keep coming while the rewind waits.
	total := 1000
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		recs, more := orders(t, total, 100, 20)
		add(want, more)
		produce(t, cl, recs...)
		total += 100
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case <-fired:
	default:
		t.Fatal("no transactional offset commit reached the broker")
	}
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, total, 2*time.Second), want)
	if refused.Load() == 0 {
		t.Error("no OffsetFetch was answered by the test")
	}
	return rewinds.Load()
}

// illegalGeneration answers every partition of r with ILLEGAL_GENERATION.
func illegalGeneration(r *kmsg.TxnOffsetCommitRequest) *kmsg.TxnOffsetCommitResponse {
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
	return resp
}

// refusedOffsetFetch answers r with GROUP_AUTHORIZATION_FAILED, which
// librdkafka does not retry.
func refusedOffsetFetch(r *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
	resp.ErrorCode = kerr.GroupAuthorizationFailed.Code
	for _, g := range r.Groups {
		rg := kmsg.NewOffsetFetchResponseGroup()
		rg.Group = g.Group
		rg.ErrorCode = kerr.GroupAuthorizationFailed.Code
		resp.Groups = append(resp.Groups, rg)
	}
	return resp
}

// unstableOffsetFetch answers every partition of r with
// UNSTABLE_OFFSET_COMMIT and no offset, as a broker does while a
// transaction holds offsets of the group (KIP-447's require_stable).
func unstableOffsetFetch(r *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := r.ResponseKind().(*kmsg.OffsetFetchResponse)
	for _, g := range r.Groups { // v8+
		rg := kmsg.NewOffsetFetchResponseGroup()
		rg.Group = g.Group
		for _, rt := range g.Topics {
			st := kmsg.NewOffsetFetchResponseGroupTopic()
			st.Topic = rt.Topic
			for _, p := range rt.Partitions {
				sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
				sp.Partition, sp.Offset, sp.LeaderEpoch = p, -1, -1
				sp.ErrorCode = kerr.UnstableOffsetCommit.Code
				st.Partitions = append(st.Partitions, sp)
			}
			rg.Topics = append(rg.Topics, st)
		}
		resp.Groups = append(resp.Groups, rg)
	}
	for _, rt := range r.Topics { // before v8
		st := kmsg.NewOffsetFetchResponseTopic()
		st.Topic = rt.Topic
		for _, p := range rt.Partitions {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			sp.Partition, sp.Offset, sp.LeaderEpoch = p, -1, -1
			sp.ErrorCode = kerr.UnstableOffsetCommit.Code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

// messageCounter counts log records with one message.
type messageCounter struct {
	slog.Handler
	msg string
	n   *atomic.Int32
}

func (m messageCounter) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == m.msg {
		m.n.Add(1)
	}
	return m.Handler.Handle(ctx, rec)
}

func (m messageCounter) WithAttrs(as []slog.Attr) slog.Handler {
	return messageCounter{m.Handler.WithAttrs(as), m.msg, m.n}
}
