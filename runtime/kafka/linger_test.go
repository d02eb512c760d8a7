package kafka_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// TestQuietProducerDoesNotLinger: a producer with nothing outstanding
// sends a record at once instead of waiting linger.ms for a batch to
// fill. With a 15-minute linger, each Send below is acknowledged only
// because the producer flushes when it is quiet; records with headers
// (ProduceBatch's slower path) too.
func TestQuietProducerDoesNotLinger(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "quiet"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cfg := kafka.Config{Brokers: c.ListenAddrs()[0], ClientID: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Extra: map[string]string{"message.timeout.ms": "1000000"}} // must exceed linger.ms
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: cfg, Linger: 15 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Well below the linger: failing here means the record lingered.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, rec := range []runtime.Record{
		{Topic: "quiet", Partition: 0, Key: []byte("a"), Value: []byte("1")},
		{Topic: "quiet", Partition: 1, Key: []byte("b"), Value: []byte("2")},
		{Topic: "quiet", Partition: -1, Key: []byte("c"), Value: []byte("3"), Headers: []runtime.Header{{Key: "h", Value: []byte("v")}}},
		{Topic: "quiet", Partition: 0, Key: []byte("d"), Value: []byte("4")},
	} {
		if err := p.Send(ctx, &rec); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}
