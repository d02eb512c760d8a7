package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
)

var (
	tp0 = kafka.TopicPartition{Topic: "in", Partition: 0}
	tp1 = kafka.TopicPartition{Topic: "in", Partition: 1}
)

// TestRoundTrip runs the client against an in-process kfake broker:
// topics are created and checked; a batch (plain records, a tombstone, a
// record with headers and a timestamp, a nil token) is produced and read
// back with ReadPartitions and with group consumers (one transactional,
// one starting paused that stores and commits its own offsets); a
// transaction commits a record with offsets.
func TestRoundTrip(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.GroupMinSessionTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := kafka.Config{Brokers: c.ListenAddrs()[0], ClientID: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ensureTopics(ctx, t, cfg)
	produce(ctx, t, cfg)
	readBack(ctx, t, cfg)
	transaction(ctx, t, cfg)
	pausedConsumer(ctx, t, cfg)
}

func ensureTopics(ctx context.Context, t *testing.T, cfg kafka.Config) {
	topics := []*runtime.TopicDesc{{Name: "in", Partitions: 2}, {Name: "out", Partitions: 1}}
	if err := kafka.EnsureTopics(ctx, cfg, topics); err != nil {
		t.Fatal(err)
	}
	if err := kafka.EnsureTopics(ctx, cfg, topics); err != nil {
		t.Fatalf("second EnsureTopics: %v", err)
	}
	err := kafka.EnsureTopics(ctx, cfg, []*runtime.TopicDesc{{Name: "in", Partitions: 3}})
	if !errors.Is(err, kafka.ErrPartitionMismatch) {
		t.Fatalf("EnsureTopics with 3 partitions: %v, want ErrPartitionMismatch", err)
	}
}

type acks struct {
	mu   sync.Mutex
	offs map[any]int64
	errs []error
}

func (a *acks) onAck(token any, offset int64, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.errs = append(a.errs, err)
	}
	a.offs[token] = offset
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.offs)
}

// produce writes in/0: k0=v0, k1 (tombstone), k2 with a header and a
// timestamp; in/1: no key, empty key and value (nil token), then k5=v5.
func produce(ctx context.Context, t *testing.T, cfg kafka.Config) {
	a := &acks{offs: map[any]int64{}}
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: cfg}, a.onAck)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := []runtime.Record{
		{Topic: "in", Partition: 0, Key: []byte("k0"), Value: []byte("v0")},
		{Topic: "in", Partition: 0, Key: []byte("k1"), Value: nil},
		{Topic: "in", Partition: 0, Key: []byte("k2"), Value: []byte("v2"), Timestamp: time.UnixMilli(1_700_000_000_000),
			Headers: []runtime.Header{{Key: "h", Value: []byte("hv")}}},
		{Topic: "in", Partition: 1, Key: nil, Value: []byte("v3")},
		{Topic: "in", Partition: 1, Key: []byte{}, Value: []byte{}},
	}
	if err := p.ProduceBatch(recs, []any{"t0", "t1", "t2", "t3", nil}); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, &runtime.Record{Topic: "in", Partition: 1, Key: []byte("k5"), Value: []byte("v5")}); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for a.count() < 4 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// The record with headers is queued ahead of the batch's plain records
	// (ProduceBatch's slower path), so only the set of offsets is fixed.
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.errs) > 0 || a.offs["t0"]+a.offs["t1"]+a.offs["t2"] != 3 || a.offs["t0"] == a.offs["t1"] || a.offs["t3"] != 0 {
		t.Errorf("acks %v, errors %v", a.offs, a.errs)
	}
}

func readBack(ctx context.Context, t *testing.T, cfg kafka.Config) {
	got := map[kafka.TopicPartition][]string{}
	ends := map[kafka.TopicPartition]int64{}
	read, err := kafka.ReadPartitions(ctx, cfg, []kafka.PartitionStart{{TopicPartition: tp0}, {TopicPartition: tp1, From: 1}},
		func(tp kafka.TopicPartition, end int64) { ends[tp] = end },
		func(tp kafka.TopicPartition, rs []*runtime.Record) error {
			for _, r := range rs {
				if want := int64(len(got[tp])) + int64(tp.Partition); r.Offset != want {
					t.Errorf("%s: offset %d, want %d", tp, r.Offset, want)
				}
				got[tp] = append(got[tp], describe(r))
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got[tp0])
	want0 := []string{"k0=v0", "k1=<nil>", "k2=v2 h=hv @1700000000000"}
	want1 := []string{"=", "k5=v5"}
	if fmt.Sprint(got[tp0]) != fmt.Sprint(want0) || fmt.Sprint(got[tp1]) != fmt.Sprint(want1) {
		t.Errorf("read %v, want %v and %v", got, want0, want1)
	}
	if read[tp0] != 3 || read[tp1] != 2 || ends[tp0] != 3 || ends[tp1] != 3 {
		t.Errorf("read %v, ends %v", read, ends)
	}
	_, err = kafka.ReadPartitions(ctx, cfg, []kafka.PartitionStart{{TopicPartition: tp0, From: 4}}, nil,
		func(kafka.TopicPartition, []*runtime.Record) error { return nil })
	var pe *kafka.OutOfRangeError
	if !errors.As(err, &pe) || !errors.Is(err, kafka.ErrOutOfRange) || pe.Partition != tp0 {
		t.Errorf("reading past the end: %v", err)
	}
}

func describe(r *runtime.Record) string {
	v := "<nil>"
	if r.Value != nil {
		v = string(r.Value)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s=%s", r.Key, v)
	for _, h := range r.Headers {
		fmt.Fprintf(&b, " %s=%s", h.Key, h.Value)
	}
	if len(r.Headers) > 0 {
		fmt.Fprintf(&b, " @%d", r.Timestamp.UnixMilli())
	}
	return b.String()
}

type handler struct {
	assigned []kafka.TopicPartition
	pause    bool
}

func (h *handler) Assigned(parts []kafka.TopicPartition) []kafka.TopicPartition {
	h.assigned = append(h.assigned, parts...)
	if h.pause {
		return parts
	}
	return nil
}

func (h *handler) Revoked([]kafka.TopicPartition, bool) {}

// poll polls c until done(batch) or ctx ends.
func poll(ctx context.Context, t *testing.T, c *kafka.Consumer, batch []*runtime.Record, done func([]*runtime.Record) bool) []*runtime.Record {
	t.Helper()
	var err error
	for !done(batch) && ctx.Err() == nil {
		if batch, err = c.Poll(100*time.Millisecond, 1000, batch); err != nil {
			t.Fatal(err)
		}
	}
	return batch
}

func has(n int) func([]*runtime.Record) bool {
	return func(b []*runtime.Record) bool { return len(b) >= n }
}

// transaction consumes everything with a transactional consumer, then
// commits a record to out with the consumer's offsets.
func transaction(ctx context.Context, t *testing.T, cfg kafka.Config) {
	h := &handler{}
	c, err := kafka.NewConsumer(kafka.ConsumerConfig{Config: cfg, Group: "g", Topics: []string{"in"},
		SessionTimeout: time.Second, Transactional: true}, h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if batch := poll(ctx, t, c, nil, has(6)); len(batch) != 6 || len(h.assigned) != 2 {
		t.Fatalf("consumed %d records, assigned %v", len(batch), h.assigned)
	}
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: cfg, TransactionalID: "tx"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.InitTransactions(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceBatch([]runtime.Record{{Topic: "out", Partition: 0, Key: []byte("x"), Value: []byte("y")}}, []any{nil}); err != nil {
		t.Fatal(err)
	}
	if err := p.SendOffsets([]kafka.Offset{{TopicPartition: tp0, Offset: 3, Metadata: "tick=1"}, {TopicPartition: tp1, Offset: 2}}, c, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.CommitTransaction(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.FatalError(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Committed([]kafka.TopicPartition{tp1, tp0}, 10*time.Second); err != nil || len(got) != 2 ||
		got[0].Offset != 2 || got[0].Metadata != "" || got[1].Offset != 3 || got[1].Metadata != "tick=1" {
		t.Errorf("Committed: %+v, %v; want 2 without metadata, 3 with tick=1", got, err)
	}
	// An explicit commit moves no offset but carries new metadata.
	if err := c.CommitOffsetsAsync([]kafka.Offset{{TopicPartition: tp0, Offset: 3, Metadata: "tick=2"}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if done, err := c.CommitOffsetsDone(); done {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("CommitOffsetsAsync did not finish")
		}
	}
	if got, err := c.Committed([]kafka.TopicPartition{tp0}, 10*time.Second); err != nil || got[0].Offset != 3 || got[0].Metadata != "tick=2" {
		t.Errorf("Committed after CommitOffsetsAsync: %+v, %v; want 3 with tick=2", got, err)
	}
	if pos, err := c.Rewind([]kafka.TopicPartition{tp1, tp0}, 10*time.Second); err != nil || fmt.Sprint(pos) != "[2 3]" {
		t.Errorf("Rewind: %v, %v; want [2 3]", pos, err)
	}
	var te *kafka.TxnError
	if err := p.CommitTransaction(time.Second); !errors.As(err, &te) || te.Op != "commit" {
		t.Errorf("committing with no open transaction: %v, want a *TxnError for commit", err)
	}
	n, err := kafka.ReadPartitions(ctx, cfg, []kafka.PartitionStart{{TopicPartition: kafka.TopicPartition{Topic: "out"}}}, nil,
		func(kafka.TopicPartition, []*runtime.Record) error { return nil })
	if err != nil || n[kafka.TopicPartition{Topic: "out"}] != 1 {
		t.Errorf("out holds %v (%v), want 1 committed record", n, err)
	}
}

// pausedConsumer: partitions paused at their assignment deliver nothing
// until Resume; stored and committed offsets are what Rewind returns.
func pausedConsumer(ctx context.Context, t *testing.T, cfg kafka.Config) {
	h := &handler{pause: true}
	c, err := kafka.NewConsumer(kafka.ConsumerConfig{Config: cfg, Group: "g2", Topics: []string{"in"},
		SessionTimeout: time.Second, Assignor: "range"}, h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	batch := poll(ctx, t, c, nil, func([]*runtime.Record) bool { return len(h.assigned) >= 2 })
	for range 5 {
		if batch, err = c.Poll(100*time.Millisecond, 1000, batch); err != nil {
			t.Fatal(err)
		}
	}
	if len(batch) != 0 {
		t.Fatalf("paused consumer read %d records", len(batch))
	}
	if err := c.Resume(h.assigned); err != nil {
		t.Fatal(err)
	}
	if batch = poll(ctx, t, c, batch, has(6)); len(batch) != 6 {
		t.Fatalf("resumed consumer read %d records", len(batch))
	}
	if err := c.StoreOffsets([]kafka.Offset{{TopicPartition: tp0, Offset: 2}, {TopicPartition: tp1, Offset: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(); err != nil {
		t.Fatal(err)
	}
	if pos, err := c.Rewind([]kafka.TopicPartition{tp0, tp1}, 10*time.Second); err != nil || fmt.Sprint(pos) != "[2 1]" {
		t.Errorf("Rewind after Commit: %v, %v; want [2 1]", pos, err)
	}
}
