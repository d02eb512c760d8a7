package worker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/mock/gomock"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/internal/testapp/testappmock"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/streamtest"
	"github.com/streamgen/streamgen/runtime/worker"
)

type checkout struct {
	testapp.UnimplementedCheckoutAgents
}

func (checkout) Check(ctx context.Context, in *testapp.Order, out testapp.CheckoutCheckEmitter) error {
	switch in.GetNote() {
	case "fail":
		return errors.New("order refused by the test handler")
	case "panic":
		panic("test handler panic")
	}
	if in.GetAmountCents() > 1000 {
		if err := out.EmitAlert(ctx, &testapp.Alert{AccountId: in.GetAccountId(), Reason: "large"}); err != nil {
			return err
		}
	}
	return out.EmitReceipt(ctx, &testapp.Receipt{AccountId: in.GetAccountId(), AmountCents: in.GetAmountCents()})
}

type audit struct {
	testapp.UnimplementedAuditAgents
	lenient bool
	mu      sync.Mutex
	seen    []string
}

func (a *audit) Seen() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return strings.Join(a.seen, ",")
}

func (a *audit) Record(ctx context.Context, in *testapp.Alert, _ testapp.AuditRecordEmitter) error {
	if in.GetReason() == "fail" && !a.lenient {
		return errors.New("audit cannot record this alert")
	}
	a.mu.Lock()
	a.seen = append(a.seen, in.GetAccountId())
	a.mu.Unlock()
	return nil
}

func testLogger(t *testing.T) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("STREAMGEN_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: level}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startBroker(t *testing.T) string {
	t.Helper()
	return startKfake(t).Addr()
}

// startKfake starts an embedded broker for the test, whose kfake cluster
// tests can control (ControlKey).
func startKfake(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.WithLogger(testLogger(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

type running struct {
	cancel context.CancelFunc
	done   chan error
}

func runApp(t *testing.T, addr string, app *runtime.App) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- worker.Run(ctx, app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)),
			worker.WithSessionTimeout(3*time.Second), worker.WithReady(func(string) { close(ready) }))
	}()
	select {
	case <-ready:
	case err := <-r.done:
		t.Fatalf("worker stopped before it was ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("worker not ready after 60s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(60 * time.Second):
			t.Error("worker did not stop within 60s of its context ending")
		}
	})
	return r
}

func client(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produce(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// consume reads n records of topic from the start with franz-go.
func consume(t *testing.T, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("topic %s: read %d of %d records before the deadline", topic, len(out), n)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	return out
}

func order(t *testing.T, o *testapp.Order) *kgo.Record {
	t.Helper()
	v, err := proto.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte(o.GetAccountId()), Value: v}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// TestDeadLettersAndOutputs runs the checkout app on the broker: good
// orders become receipts (JSON, keyed, partitioned by murmur2 like the
// Java client) and alerts; undecodable bytes, a failing handler and a
// panicking handler each end in the dead-letter topic with headers naming
// the source, and processing continues past them.
func TestDeadLettersAndOutputs(t *testing.T) {
	addr := startBroker(t)
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	runApp(t, addr, app)
	cl := client(t, addr)
	var recs []*kgo.Record
	for i := 0; i < 20; i++ {
		recs = append(recs, order(t, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i), AmountCents: int64(i * 100)}))
	}
	bad := &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte("acct-bad"), Value: []byte{0xff, 0xff, 0xff}}
	recs = append(recs, bad,
		order(t, &testapp.Order{AccountId: "acct-fail", Note: "fail"}),
		order(t, &testapp.Order{AccountId: "acct-panic", Note: "panic"}),
		order(t, &testapp.Order{AccountId: "acct-last", AmountCents: 5}))
	produce(t, cl, recs...)

	receipts := consume(t, addr, testapp.ReceiptTopicName, 21)
	got := map[string]int64{}
	for _, r := range receipts {
		m, err := testapp.ReceiptTopic.Decode(r.Value)
		if err != nil {
			t.Fatalf("receipt %q: %v", r.Value, err)
		}
		if string(r.Key) != m.GetAccountId() {
			t.Errorf("receipt key %q, want the account id %q", r.Key, m.GetAccountId())
		}
		if want := runtime.Partition(r.Key, 4); r.Partition != want {
			t.Errorf("receipt for %s on partition %d, want %d (murmur2)", r.Key, r.Partition, want)
		}
		got[m.GetAccountId()] = m.GetAmountCents()
	}
	if len(got) != 21 || got["acct-last"] != 5 || got["acct-19"] != 1900 {
		t.Errorf("receipts: %v", got)
	}
	if _, ok := got["acct-fail"]; ok {
		t.Error("a failed order produced a receipt")
	}
	alerts := consume(t, addr, testapp.AlertTopicName, 9) // amounts 1100..1900
	if len(alerts) != 9 {
		t.Errorf("%d alerts, want 9", len(alerts))
	}

	dead := consume(t, addr, testapp.CheckoutCheckDeadLetterTopicName, 3)
	byKey := map[string]*kgo.Record{}
	for _, r := range dead {
		byKey[string(r.Key)] = r
		if header(r, runtime.HeaderSourceTopic) != testapp.OrderTopicName {
			t.Errorf("dead letter %s: source topic header %q", r.Key, header(r, runtime.HeaderSourceTopic))
		}
		if header(r, runtime.HeaderAgent) != "checkout/Check" {
			t.Errorf("dead letter %s: agent header %q", r.Key, header(r, runtime.HeaderAgent))
		}
	}
	for key, wantErr := range map[string]string{"acct-bad": "decoding", "acct-fail": "refused", "acct-panic": "panicked"} {
		r := byKey[key]
		if r == nil {
			t.Errorf("no dead letter for %s", key)
			continue
		}
		if !strings.Contains(header(r, runtime.HeaderError), wantErr) {
			t.Errorf("dead letter %s: error header %q, want it to mention %q", key, header(r, runtime.HeaderError), wantErr)
		}
		// The headers locate the source record exactly.
		part, _ := strconv.Atoi(header(r, runtime.HeaderSourcePartition))
		off, _ := strconv.ParseInt(header(r, runtime.HeaderSourceOffset), 10, 64)
		src := fetchAt(t, addr, testapp.OrderTopicName, int32(part), off)
		if string(src.Value) != string(r.Value) || string(src.Key) != key {
			t.Errorf("dead letter %s: headers point at %s/%d@%d holding key %q", key, testapp.OrderTopicName, part, off, src.Key)
		}
	}
}

func fetchAt(t *testing.T, addr, topic string, part int32, off int64) *kgo.Record {
	t.Helper()
	cl := client(t, addr, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {part: kgo.NewOffset().At(off)}}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("no record at %s/%d@%d", topic, part, off)
		}
		var rec *kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			if rec == nil && r.Offset == off {
				rec = r
			}
		})
		if rec != nil {
			return rec
		}
	}
}

// TestStopPolicyCommitsNothingPast: an agent with ON_ERROR_STOP stops the
// worker with an error naming the record, and the group's committed offset
// stays at that record, so a restarted worker meets it again.
func TestStopPolicyCommitsNothingPast(t *testing.T) {
	addr := startBroker(t)
	a := &audit{}
	app := runtime.NewApp()
	if err := testapp.RegisterAuditAgents(app, a); err != nil {
		t.Fatal(err)
	}
	if err := kafka.EnsureTopics(context.Background(), kafka.Config{Brokers: addr, Logger: testLogger(t)}, app.Topics()); err != nil {
		t.Fatal(err)
	}
	alert := func(acct, reason string) *kgo.Record {
		v, _ := proto.Marshal(&testapp.Alert{AccountId: acct, Reason: reason})
		return &kgo.Record{Topic: testapp.AlertTopicName, Partition: 0, Key: []byte(acct), Value: v}
	}
	produce(t, client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner())),
		alert("a1", "ok"), alert("a2", "ok"), alert("a3", "fail"), alert("a4", "ok"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := worker.Run(ctx, app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)), worker.WithSessionTimeout(3*time.Second))
	var pe *runtime.ProcessError
	if !errors.As(err, &pe) {
		t.Fatalf("Run returned %v, want a *runtime.ProcessError", err)
	}
	if pe.Topic != testapp.AlertTopicName || pe.Partition != 0 || pe.Offset != 2 {
		t.Errorf("error names %s/%d@%d, want alerts/0@2", pe.Topic, pe.Partition, pe.Offset)
	}
	if a.Seen() != "a1,a2" {
		t.Errorf("audit saw %v, want a1,a2 and nothing past the failing record", a.Seen())
	}
	// The committed offset is the failing record's: a restarted worker
	// (whose handler now accepts it) starts there, not before, not after.
	a2 := &audit{lenient: true}
	app2 := runtime.NewApp()
	if err := testapp.RegisterAuditAgents(app2, a2); err != nil {
		t.Fatal(err)
	}
	runApp(t, addr, app2)
	deadline := time.Now().Add(60 * time.Second)
	for a2.Seen() != "a3,a4" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a2.Seen() != "a3,a4" {
		t.Errorf("restarted audit saw %q, want a3,a4", a2.Seen())
	}
}

// TestPartitionMismatchIsAStartupError: a topic that exists with another
// partition count than the schema's stops the worker before it consumes.
func TestPartitionMismatchIsAStartupError(t *testing.T) {
	addr := startBroker(t)
	pre := *testapp.OrderTopic.Desc()
	pre.Partitions = 3
	if err := kafka.EnsureTopics(context.Background(), kafka.Config{Brokers: addr, Logger: testLogger(t)}, []*runtime.TopicDesc{&pre}); err != nil {
		t.Fatal(err)
	}
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := worker.Run(ctx, app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)))
	if !errors.Is(err, kafka.ErrPartitionMismatch) {
		t.Fatalf("Run returned %v, want ErrPartitionMismatch", err)
	}
	if !strings.Contains(err.Error(), `"orders" has 3 partitions but the schema declares 4`) {
		t.Errorf("error does not say what differs: %v", err)
	}
}

// TestDriverMatchesWorker: the test driver gives the same outputs and
// dead letters for the same inputs as the worker above.
func TestDriverMatchesWorker(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, checkout{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for _, o := range []*testapp.Order{{AccountId: "x", AmountCents: 2000}, {AccountId: "y", Note: "panic"}} {
		if err := streamtest.Send(d, testapp.OrderTopic, o); err != nil {
			t.Fatal(err)
		}
	}
	receipts, err := streamtest.Output(d, testapp.ReceiptTopic)
	if err != nil || len(receipts) != 1 || receipts[0].GetAmountCents() != 2000 {
		t.Errorf("receipts %v, %v", receipts, err)
	}
	alerts, _ := streamtest.Output(d, testapp.AlertTopic)
	if len(alerts) != 1 {
		t.Errorf("alerts %v", alerts)
	}
	dead := d.DeadLetters(testapp.CheckoutCheckDeadLetterTopicName)
	if len(dead) != 1 || !strings.Contains(streamtest.Header(dead[0], runtime.HeaderError), "panicked") {
		t.Errorf("dead letters %v", dead)
	}
}

// TestHandlerWithGeneratedMock drives a handler with the generated
// github.com/golang/mock emitter mock (the default; the 01-uppercase
// example is generated with -mock uber and uses go.uber.org/mock).
func TestHandlerWithGeneratedMock(t *testing.T) {
	ctrl := gomock.NewController(t)
	emit := testappmock.NewMockCheckoutCheckEmitter(ctrl)
	ctx := context.Background()
	gomock.InOrder(
		emit.EXPECT().EmitAlert(ctx, gomock.Any()).Return(nil),
		emit.EXPECT().EmitReceipt(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, r *testapp.Receipt) error {
			if r.GetAmountCents() != 5000 {
				t.Errorf("receipt amount %d", r.GetAmountCents())
			}
			return nil
		}),
	)
	if err := (checkout{}).Check(ctx, &testapp.Order{AccountId: "a", AmountCents: 5000}, emit); err != nil {
		t.Fatal(err)
	}
}

type orderly struct {
	testapp.UnimplementedCheckoutAgents
	mu      sync.Mutex
	last    map[string]int64
	running int
	maxRun  int
	bad     []string
	count   int
}

func (o *orderly) Check(ctx context.Context, in *testapp.Order, out testapp.CheckoutCheckEmitter) error {
	o.mu.Lock()
	if prev, ok := o.last[in.GetAccountId()]; ok && in.GetAmountCents() <= prev {
		o.bad = append(o.bad, fmt.Sprintf("%s: %d after %d", in.GetAccountId(), in.GetAmountCents(), prev))
	}
	o.last[in.GetAccountId()] = in.GetAmountCents()
	o.running++
	o.maxRun = max(o.maxRun, o.running)
	o.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // long enough for lanes to overlap
	o.mu.Lock()
	o.running--
	o.count++
	o.mu.Unlock()
	return out.EmitReceipt(ctx, &testapp.Receipt{AccountId: in.GetAccountId(), AmountCents: in.GetAmountCents()})
}

// TestConcurrencyKeepsPerKeyOrder: the Check agent declares concurrency 4.
// Records of one partition with different keys run in parallel; records
// with the same key run one after another, in offset order.
func TestConcurrencyKeepsPerKeyOrder(t *testing.T) {
	addr := startBroker(t)
	o := &orderly{last: map[string]int64{}}
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, o); err != nil {
		t.Fatal(err)
	}
	runApp(t, addr, app)
	var recs []*kgo.Record
	for i := 0; i < 400; i++ {
		r := order(t, &testapp.Order{AccountId: fmt.Sprintf("k%d", i%8), AmountCents: int64(i)})
		r.Partition = 0 // one partition: only lanes can make it parallel
		recs = append(recs, r)
	}
	produce(t, client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner())), recs...)
	consume(t, addr, testapp.ReceiptTopicName, 400)
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.bad) > 0 {
		t.Errorf("per-key order broken: %v", o.bad[:min(5, len(o.bad))])
	}
	if o.count != 400 {
		t.Errorf("handled %d records, want 400", o.count)
	}
	if o.maxRun < 2 {
		t.Errorf("at most %d handlers ran at once; concurrency 4 should overlap different keys", o.maxRun)
	}
	if o.maxRun > 4 {
		t.Errorf("%d handlers ran at once; concurrency is 4", o.maxRun)
	}
}

// TestTypedTopicSend sends through a generated typed topic handle with the
// runtime's producer, as code outside an agent would (Faust's topic.send).
func TestTypedTopicSend(t *testing.T) {
	addr := startBroker(t)
	if err := kafka.EnsureTopics(context.Background(), kafka.Config{Brokers: addr, Logger: testLogger(t)},
		[]*runtime.TopicDesc{testapp.OrderTopic.Desc()}); err != nil {
		t.Fatal(err)
	}
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{Brokers: addr, Logger: testLogger(t)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := testapp.OrderTopic.Send(ctx, p, &testapp.Order{AccountId: "acct-7", AmountCents: 42}); err != nil {
		t.Fatal(err)
	}
	got := consume(t, addr, testapp.OrderTopicName, 1)[0]
	m, err := testapp.OrderTopic.Decode(got.Value)
	if err != nil || m.GetAmountCents() != 42 || string(got.Key) != "acct-7" || got.Partition != runtime.Partition([]byte("acct-7"), 4) {
		t.Errorf("read %v key %q partition %d: %v", m, got.Key, got.Partition, err)
	}
}
