package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/streamgen/streamgen/runtime"
)

// RebalanceHandler is told of partition moves, in the goroutine that
// calls Consumer.Poll, before the consumer's assignment changes: when
// Revoked returns, the partitions are gone, so it must finish their work
// and store their offsets first.
type RebalanceHandler interface {
	// Assigned is called with partitions the consumer now owns.
	Assigned(parts []TopicPartition)
	// Revoked is called with partitions the consumer gives up. lost is
	// true when the group already gave them to another member (a session
	// time-out): their offsets must not be committed then.
	Revoked(parts []TopicPartition, lost bool)
}

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	Config
	// Group is the consumer group id.
	Group string
	// Topics are the topics to subscribe to.
	Topics []string
	// SessionTimeout is librdkafka's session.timeout.ms: how long a
	// silent member keeps its partitions.
	SessionTimeout time.Duration
}

// Consumer is a group member that hands over records in batches. It stores
// offsets only when told to (StoreOffsets) and commits the stored offsets
// in the background and on Commit, so nothing is committed before the
// worker says its work is done.
type Consumer struct {
	c       *ck.Consumer
	logs    chan ck.LogEvent
	handler RebalanceHandler
	logger  *slog.Logger
	err     error
}

// NewConsumer joins the group and subscribes to the topics.
//
// Defaults chosen for throughput and safety (each may be overridden in
// Config.Extra): cooperative-sticky assignment, so a rebalance moves only
// the partitions that change owner; enable.auto.offset.store=false, so
// only offsets of finished work are committed; auto-commit of stored
// offsets every second; fetch.queue.backoff.ms=10 instead of librdkafka's
// 1000, which alone caps a consumer near 118k records/s; reading from the
// earliest offset when the group has none.
func NewConsumer(cfg ConsumerConfig, h RebalanceHandler) (*Consumer, error) {
	m := cfg.base()
	session := cfg.SessionTimeout
	if session <= 0 {
		session = 10 * time.Second
	}
	for k, v := range map[string]any{
		"group.id":                        cfg.Group,
		"partition.assignment.strategy":   "cooperative-sticky",
		"enable.auto.commit":              true,
		"auto.commit.interval.ms":         1000,
		"enable.auto.offset.store":        false,
		"auto.offset.reset":               "earliest",
		"fetch.queue.backoff.ms":          10,
		"session.timeout.ms":              int(session / time.Millisecond),
		"heartbeat.interval.ms":           int(session / time.Millisecond / 4),
		"enable.partition.eof":            false,
		"go.application.rebalance.enable": true,
	} {
		_ = m.SetKey(k, v)
	}
	if err := cfg.apply(m); err != nil {
		return nil, err
	}
	logs := make(chan ck.LogEvent, 256)
	_ = m.SetKey("go.logs.channel", logs)
	c, err := ck.NewConsumer(&m)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	go routeLogs(cfg.Logger, logs)
	kc := &Consumer{c: c, logs: logs, handler: h, logger: cfg.Logger}
	if err := c.SubscribeTopics(cfg.Topics, kc.rebalance); err != nil {
		c.Close()
		close(logs)
		return nil, fmt.Errorf("subscribing to %v: %w", cfg.Topics, err)
	}
	return kc, nil
}

func parts(tps []ck.TopicPartition) []TopicPartition {
	out := make([]TopicPartition, len(tps))
	for i, tp := range tps {
		out[i] = TopicPartition{Topic: *tp.Topic, Partition: tp.Partition}
	}
	return out
}

func (kc *Consumer) rebalance(c *ck.Consumer, ev ck.Event) error {
	switch e := ev.(type) {
	case ck.AssignedPartitions:
		kc.handler.Assigned(parts(e.Partitions))
		if c.GetRebalanceProtocol() == "COOPERATIVE" {
			return c.IncrementalAssign(e.Partitions)
		}
		return c.Assign(e.Partitions)
	case ck.RevokedPartitions:
		lost := c.AssignmentLost()
		kc.handler.Revoked(parts(e.Partitions), lost)
		if !lost {
			// Commit what the handler stored before the partitions go.
			if _, err := c.Commit(); err != nil && !isNoOffset(err) {
				kc.err = fmt.Errorf("committing revoked partitions: %w", err)
			}
		}
		if c.GetRebalanceProtocol() == "COOPERATIVE" {
			return c.IncrementalUnassign(e.Partitions)
		}
		return c.Unassign()
	}
	return nil
}

func isNoOffset(err error) bool {
	var ke ck.Error
	return errors.As(err, &ke) && ke.Code() == ck.ErrNoOffset
}

// Poll waits up to timeout for records and returns at most max of them,
// appended to into. Rebalances are handled inside Poll, through the
// RebalanceHandler. A fatal client error is returned as an error.
func (kc *Consumer) Poll(timeout time.Duration, max int, into []*runtime.Record) ([]*runtime.Record, error) {
	ms := int(timeout / time.Millisecond)
	for len(into) < max {
		ev := kc.c.Poll(ms)
		if kc.err != nil {
			err := kc.err
			kc.err = nil
			return into, err
		}
		if ev == nil {
			break
		}
		ms = 0
		switch e := ev.(type) {
		case *ck.Message:
			if e.TopicPartition.Error != nil {
				return into, fmt.Errorf("consuming %s: %w", e.TopicPartition, e.TopicPartition.Error)
			}
			into = append(into, toRecord(e))
		case ck.Error:
			if e.IsFatal() {
				return into, fmt.Errorf("kafka consumer: %w", e)
			}
			// Transient errors (a broker down, a timeout) are retried by
			// librdkafka itself; they are logged for the operator.
			kc.logger.Warn("kafka consumer error; librdkafka retries", "error", e)
		}
	}
	return into, nil
}

// StoreOffsets records offsets to commit: the next offset to read of each
// partition. Offsets of partitions no longer assigned are ignored.
func (kc *Consumer) StoreOffsets(offs []Offset) error {
	if len(offs) == 0 {
		return nil
	}
	tps := make([]ck.TopicPartition, len(offs))
	for i, o := range offs {
		topic := o.Topic
		tps[i] = ck.TopicPartition{Topic: &topic, Partition: o.Partition, Offset: ck.Offset(o.Offset)}
	}
	_, err := kc.c.StoreOffsets(tps)
	var ke ck.Error
	if errors.As(err, &ke) && ke.Code() == ck.ErrState {
		return nil // a partition was revoked meanwhile
	}
	return err
}

// Commit commits the stored offsets now and waits for the result.
func (kc *Consumer) Commit() error {
	if _, err := kc.c.Commit(); err != nil && !isNoOffset(err) {
		return err
	}
	return nil
}

// Close leaves the group, which revokes every partition through the
// RebalanceHandler first, and releases the client.
func (kc *Consumer) Close() error {
	err := kc.c.Close()
	close(kc.logs)
	return err
}

// ProducerConfig configures a Producer.
type ProducerConfig struct {
	Config
	// Linger is librdkafka's linger.ms: how long to wait to fill a batch.
	Linger time.Duration
}

// Producer produces records and reports each one's acknowledgement.
type Producer struct {
	p     *ck.Producer
	logs  chan ck.LogEvent
	onAck func(token any, err error)
	done  chan struct{}
	once  sync.Once
}

type syncToken struct{ ch chan error }

// NewProducer returns a producer that calls onAck, from one goroutine of
// its own, once per record produced with a non-nil token: with nil when the
// broker acknowledged it, or with the error after librdkafka gave up.
//
// Defaults: acks=all with idempotence, so retries never duplicate or
// reorder; murmur2_random partitioning, the Java client's, so streamgen,
// Java and kcat -p agree on the partition of a key; delivery reports
// without copies of key and value.
func NewProducer(cfg ProducerConfig, onAck func(token any, err error)) (*Producer, error) {
	m := cfg.base()
	linger := cfg.Linger
	if linger <= 0 {
		linger = 5 * time.Millisecond
	}
	for k, v := range map[string]any{
		"acks":                       "all",
		"enable.idempotence":         true,
		"partitioner":                "murmur2_random",
		"linger.ms":                  int(linger / time.Millisecond),
		"go.delivery.report.fields":  "none",
		"batch.num.messages":         10000,
		"queue.buffering.max.kbytes": 262144,
	} {
		_ = m.SetKey(k, v)
	}
	if err := cfg.apply(m); err != nil {
		return nil, err
	}
	logs := make(chan ck.LogEvent, 256)
	_ = m.SetKey("go.logs.channel", logs)
	p, err := ck.NewProducer(&m)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	go routeLogs(cfg.Logger, logs)
	kp := &Producer{p: p, logs: logs, onAck: onAck, done: make(chan struct{})}
	go kp.reports(cfg)
	return kp, nil
}

func (kp *Producer) reports(cfg ProducerConfig) {
	defer close(kp.done)
	for ev := range kp.p.Events() {
		switch e := ev.(type) {
		case *ck.Message:
			switch t := e.Opaque.(type) {
			case nil:
			case *syncToken:
				t.ch <- e.TopicPartition.Error
			default:
				if kp.onAck != nil {
					kp.onAck(t, e.TopicPartition.Error)
				}
			}
		case ck.Error:
			lvl := "warn"
			if e.IsFatal() {
				lvl = "error"
			}
			cfg.Logger.Warn("kafka producer error", "error", e, "severity", lvl)
		}
	}
}

// Produce queues rec; onAck is called with token when it is acknowledged.
// When librdkafka's queue is full, Produce waits for room.
func (kp *Producer) Produce(rec *runtime.Record, token any) error {
	msg := toMessage(rec, token)
	for {
		err := kp.p.Produce(msg, nil)
		var ke ck.Error
		if errors.As(err, &ke) && ke.Code() == ck.ErrQueueFull {
			kp.p.Flush(10)
			continue
		}
		return err
	}
}

// Send produces rec and waits for its acknowledgement: it implements
// runtime.Sender, for typed topic handles.
func (kp *Producer) Send(ctx context.Context, rec *runtime.Record) error {
	t := &syncToken{ch: make(chan error, 1)}
	if err := kp.Produce(rec, t); err != nil {
		return err
	}
	select {
	case err := <-t.ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pending returns how many records wait for acknowledgement.
func (kp *Producer) Pending() int { return kp.p.Len() }

// Flush waits until every queued record is acknowledged or ctx ends.
func (kp *Producer) Flush(ctx context.Context) error {
	for kp.p.Len() > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("flushing %d records: %w", kp.p.Len(), ctx.Err())
		}
		kp.p.Flush(50)
	}
	return nil
}

// Close waits for outstanding acknowledgements (up to 10 s) and releases
// the producer.
func (kp *Producer) Close() {
	kp.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = kp.Flush(ctx)
		cancel()
		kp.p.Close()
		<-kp.done
		close(kp.logs)
	})
}
