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

// ErrPartitionMismatch is wrapped by EnsureTopics' error when an existing
// topic's partition count differs from the schema's.
var ErrPartitionMismatch = errors.New("partition count differs from the schema")

// EnsureTopics creates the topics that do not exist, with their declared
// partitions, replication factor (the broker's default when 0 or less) and
// config, and checks that those that exist have the declared partition
// count. It uses confluent-kafka-go's admin client. Creation is retried
// for up to 30 s while it fails as a whole (say, the broker is still
// starting); a topic's own creation error is returned at once. A partition
// count mismatch gives an error wrapping ErrPartitionMismatch per topic.
func EnsureTopics(ctx context.Context, cfg Config, topics []*runtime.TopicDesc) error {
	admin, closeAdmin, err := newAdmin(cfg)
	if err != nil {
		return err
	}
	defer closeAdmin()
	if err := createTopics(ctx, cfg, admin, topics); err != nil {
		return err
	}
	return checkPartitions(ctx, admin, topics)
}

// adminConfig returns cfg as confluent-kafka-go configuration: its
// librdkafka properties, Extra, and confluent-kafka-go's log channel on.
func (c Config) adminConfig() (ck.ConfigMap, error) {
	m := ck.ConfigMap{
		"bootstrap.servers":      c.Brokers,
		"client.id":              c.ClientID,
		"enable.metrics.push":    false,
		"go.logs.channel.enable": true,
		"log.connection.close":   false,
	}
	for k, v := range c.Extra {
		if err := m.SetKey(k, v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// newAdmin returns a confluent-kafka-go admin client whose logs go to
// cfg.Logger, and the function that closes it.
func newAdmin(cfg Config) (*ck.AdminClient, func(), error) {
	m, err := cfg.adminConfig()
	if err != nil {
		return nil, nil, err
	}
	// The admin client is derived from a producer because only producers
	// and consumers can route librdkafka's logs into a Go channel.
	logs := make(chan ck.LogEvent, 64)
	_ = m.SetKey("go.logs.channel", logs)
	p, err := ck.NewProducer(&m)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka admin client: %w", err)
	}
	go routeLogs(cfg.Logger, logs)
	admin, err := ck.NewAdminClientFromProducer(p)
	if err != nil {
		p.Close()
		close(logs)
		return nil, nil, fmt.Errorf("kafka admin client: %w", err)
	}
	return admin, func() {
		admin.Close()
		p.Close()
		close(logs)
	}, nil
}

// mismatch describes an existing topic whose partition count (have)
// differs from t's and says what to change: the topic's own declaration,
// or, for a changelog or dead-letter topic, which follows the partitions
// of an input topic (TopicDesc.PartitionsFrom), that input's.
func mismatch(t *runtime.TopicDesc, have int) error {
	if in := t.PartitionsFrom; in != nil {
		return fmt.Errorf("topic %q has %d partitions but follows topic %q (%s), which the schema declares with %d: %w; "+
			"either change partitions of %s in the schema to %d, or recreate topic %q with %d partitions (migrating the table state or dead letters it holds)",
			t.Name, have, in.Name, in.MessageName, in.Partitions, ErrPartitionMismatch, in.MessageName, have, t.Name, in.Partitions)
	}
	return fmt.Errorf("topic %q has %d partitions but the schema declares %d (%s): %w; "+
		"either change partitions in the schema to %d, or recreate the topic (its data and any state keyed by it must then be migrated)",
		t.Name, have, t.Partitions, t.MessageName, ErrPartitionMismatch, have)
}

// routeLogs forwards confluent-kafka-go's log events into slog until ch
// closes.
func routeLogs(l *slog.Logger, ch chan ck.LogEvent) {
	for ev := range ch {
		l.Log(context.Background(), logLevel(ev.Level), ev.Message, "component", "librdkafka", "client", ev.Name, "tag", ev.Tag)
	}
}

// createTopics creates topics, ignoring those that exist, and logs the
// names of those it created. A failed request is retried every second for
// up to 30 s while ctx lasts.
func createTopics(ctx context.Context, cfg Config, admin *ck.AdminClient, topics []*runtime.TopicDesc) error {
	specs := make([]ck.TopicSpecification, 0, len(topics))
	for _, t := range topics {
		rf := int(t.ReplicationFactor)
		if rf <= 0 {
			rf = -1
		}
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
		return nil
	}
}

// checkPartitions checks that every topic has its declared partition
// count: a mismatch means keys land on other partitions than existing data
// and tables expect. A failed description, or a topic not yet described
// (just created), is tried again up to 5 times, 500 ms apart.
func checkPartitions(ctx context.Context, admin *ck.AdminClient, topics []*runtime.TopicDesc) error {
	byName := map[string]*runtime.TopicDesc{}
	names := make([]string, 0, len(topics))
	for _, t := range topics {
		byName[t.Name] = t
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
				errs = append(errs, mismatch(t, len(d.Partitions)))
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
