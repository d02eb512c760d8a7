// Package kafka is streamgen's Kafka I/O on librdkafka (confluent-kafka-go,
// cgo): a consumer that hands over records in batches and reports
// rebalances to a handler, a producer that reports each record's
// acknowledgement against a token, topic creation and checks, and the
// routing of librdkafka's logs into slog. It is the only package of the
// runtime that uses cgo; the rest of the runtime sees batches of
// runtime.Record and never librdkafka's types, so another client (say, a
// batched C path) can replace this package's internals alone.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/streamgen/streamgen/runtime"
)

// TopicPartition names a partition.
type TopicPartition struct {
	// Topic is the topic name.
	Topic string
	// Partition is the partition number.
	Partition int32
}

// String returns "topic/partition".
func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// Offset is the next offset to read of a partition: what a commit stores.
type Offset struct {
	TopicPartition
	// Offset is the offset of the first record not yet processed.
	Offset int64
}

// Config is what a client needs to reach the cluster.
type Config struct {
	// Brokers is the bootstrap list, host:port[,host:port].
	Brokers string
	// ClientID names the client in broker logs.
	ClientID string
	// Logger receives librdkafka's logs.
	Logger *slog.Logger
	// Extra sets further librdkafka properties, overriding streamgen's.
	Extra map[string]string
}

func (c Config) base() ck.ConfigMap {
	m := ck.ConfigMap{
		"bootstrap.servers":      c.Brokers,
		"client.id":              c.ClientID,
		"enable.metrics.push":    false,
		"go.logs.channel.enable": true,
		"log.connection.close":   false,
	}
	return m
}

func (c Config) apply(m ck.ConfigMap) error {
	for k, v := range c.Extra {
		if err := m.SetKey(k, v); err != nil {
			return err
		}
	}
	return nil
}

// routeLogs forwards librdkafka's log events into slog until ch closes.
func routeLogs(l *slog.Logger, ch chan ck.LogEvent) {
	for ev := range ch {
		// syslog levels: 0-3 error, 4 warning, 5-6 info/notice, 7 debug.
		lvl := slog.LevelDebug
		switch {
		case ev.Level <= 3:
			lvl = slog.LevelError
		case ev.Level == 4:
			lvl = slog.LevelWarn
		case ev.Level <= 6:
			lvl = slog.LevelInfo
		}
		l.Log(context.Background(), lvl, ev.Message, "component", "librdkafka", "client", ev.Name, "tag", ev.Tag)
	}
}

// ErrPartitionMismatch is wrapped by EnsureTopics' error when an existing
// topic's partition count differs from the schema's.
var ErrPartitionMismatch = errors.New("partition count differs from the schema")

// EnsureTopics creates the topics that do not exist, with their declared
// partitions, replication factor and config, and checks that those that
// exist have the declared partition count.
func EnsureTopics(ctx context.Context, cfg Config, topics []*runtime.TopicDesc) error {
	m := cfg.base()
	if err := cfg.apply(m); err != nil {
		return err
	}
	// The admin client is derived from a producer because only producers
	// and consumers can route librdkafka's logs into a Go channel.
	logs := make(chan ck.LogEvent, 64)
	_ = m.SetKey("go.logs.channel", logs)
	p, err := ck.NewProducer(&m)
	if err != nil {
		return fmt.Errorf("kafka admin client: %w", err)
	}
	go routeLogs(cfg.Logger, logs)
	admin, err := ck.NewAdminClientFromProducer(p)
	if err != nil {
		p.Close()
		close(logs)
		return fmt.Errorf("kafka admin client: %w", err)
	}
	defer func() {
		admin.Close()
		p.Close()
		close(logs)
	}()
	specs := make([]ck.TopicSpecification, 0, len(topics))
	byName := map[string]*runtime.TopicDesc{}
	for _, t := range topics {
		rf := int(t.ReplicationFactor)
		if rf <= 0 {
			rf = -1
		}
		byName[t.Name] = t
		specs = append(specs, ck.TopicSpecification{
			Topic: t.Name, NumPartitions: int(t.Partitions), ReplicationFactor: rf, Config: t.Config,
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := admin.CreateTopics(cctx, specs, ck.SetAdminOperationTimeout(10*time.Second))
		cancel()
		if err != nil {
			if ctx.Err() == nil && time.Now().Before(deadline) {
				cfg.Logger.Warn("creating topics failed; retrying", "error", err, "brokers", cfg.Brokers)
				time.Sleep(time.Second)
				continue
			}
			return fmt.Errorf("creating topics on %s: %w", cfg.Brokers, err)
		}
		var created []string
		for _, r := range res {
			switch r.Error.Code() {
			case ck.ErrNoError:
				created = append(created, r.Topic)
			case ck.ErrTopicAlreadyExists:
			default:
				return fmt.Errorf("creating topic %q: %w", r.Topic, r.Error)
			}
		}
		if len(created) > 0 {
			sort.Strings(created)
			cfg.Logger.Info("created topics", "topics", strings.Join(created, ","))
		}
		break
	}
	// Check partition counts: a mismatch means keys land on other
	// partitions than existing data and tables expect.
	names := make([]string, 0, len(topics))
	for _, t := range topics {
		names = append(names, t.Name)
	}
	sort.Strings(names)
	for attempt := 0; ; attempt++ {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		desc, err := admin.DescribeTopics(dctx, ck.NewTopicCollectionOfTopicNames(names))
		cancel()
		if err != nil {
			if attempt < 5 && ctx.Err() == nil {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			return fmt.Errorf("describing topics: %w", err)
		}
		var errs []error
		retry := false
		for _, d := range desc.TopicDescriptions {
			t := byName[d.Name]
			if d.Error.Code() != ck.ErrNoError {
				retry = true
				continue
			}
			if t != nil && len(d.Partitions) != int(t.Partitions) {
				errs = append(errs, fmt.Errorf("topic %q has %d partitions but the schema declares %d (%s): %w; "+
					"either change partitions in the schema to %d, or recreate the topic (its data and any state keyed by it must then be migrated)",
					d.Name, len(d.Partitions), t.Partitions, t.MessageName, ErrPartitionMismatch, len(d.Partitions)))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		if retry && attempt < 5 {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		return nil
	}
}
