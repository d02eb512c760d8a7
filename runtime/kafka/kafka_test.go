package kafka_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/kafka"
)

type capture struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) librdkafka() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.recs {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "component" && a.Value.String() == "librdkafka" {
				n++
			}
			return true
		})
	}
	return n
}

// TestLogsGoThroughSlog: librdkafka's own log lines (here, failing to
// connect to a closed port) arrive as slog records, not on stderr.
func TestLogsGoThroughSlog(t *testing.T) {
	c := &capture{}
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{
		Brokers: "127.0.0.1:1", Logger: slog.New(c),
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for c.librdkafka() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	p.Close()
	if c.librdkafka() == 0 {
		t.Fatal("no librdkafka log record reached slog")
	}
}

func TestBadConfigIsAnError(t *testing.T) {
	_, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{
		Brokers: "127.0.0.1:1", Logger: slog.Default(), Extra: map[string]string{"no.such.property": "1"},
	}}, nil)
	if err == nil || !strings.Contains(err.Error(), "no.such.property") {
		t.Errorf("got %v, want an error naming the property", err)
	}
}
