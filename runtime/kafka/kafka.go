// Package kafka is streamgen's Kafka I/O, and the only package of the
// runtime that uses cgo: a batched Kafka client written against
// librdkafka's C API. The rest of the runtime sees batches of
// runtime.Record and never librdkafka's types.
//
// A Consumer is a group member that hands over records in batches: one C
// call (rd_kafka_consume_batch_queue) fetches up to a batch and describes
// it in a C array that Go reads without further calls, copying every key
// and value of the batch into one allocation. librdkafka's rebalance
// callback calls back into Go, so a RebalanceHandler runs inside
// Consumer.Poll before the assignment changes.
//
// A Producer queues a batch of records in one C call (rd_kafka_produce in a
// C loop; librdkafka copies the bytes). Its delivery-report callback is C:
// it appends (id, error, offset) to a C array that a goroutine of the
// producer swaps out after each rd_kafka_poll. Tokens never cross into C:
// C carries small integer ids of a Go table. A transactional Producer wraps
// librdkafka's transactional API (EOS v2, KIP-447) and reports its errors
// as *TxnError, classified as librdkafka classifies them.
//
// ReadPartitions and FollowPartitions read partitions from given offsets
// with a consumer outside any group: tables restore and follow their
// topics with them.
//
// librdkafka's log callback also calls back into Go: its logs become slog
// records (component=librdkafka) at the level logLevel maps them to.
//
// The C side is linked against the static librdkafka that
// confluent-kafka-go bundles, so a binary holds one copy of the library.
// Every C client (NewConsumer, NewProducer, ReadPartitions,
// FollowPartitions) checks before it starts that the linked librdkafka is
// 2.x, the ABI rdk.h declares. confluent-kafka-go itself is used only by
// EnsureTopics: its admin client (derived from one of its producers, whose
// log channel feeds slog) creates topics and checks their partition
// counts.
//
// Files:
//   - kafka.go: this comment; TopicPartition, Offset, Config; the
//     syslog-to-slog level mapping.
//   - cgo.go: what every C client shares: the version check, the malloc
//     arena cap, creation and closing, the callbacks C calls into Go (logs,
//     rebalances), C arrays of strings and partitions, the token table.
//   - consumer.go: Consumer: subscription, rebalances, Poll, pause and
//     resume, offset store and commit.
//   - producer.go: Producer: batched and single produce, delivery reports,
//     Send, Flush, Close.
//   - txn.go: transactions: TxnError, init/begin/commit/abort, SendOffsets,
//     Consumer.Rewind.
//   - reader.go: ReadPartitions and FollowPartitions.
//   - admin.go: EnsureTopics, through confluent-kafka-go's admin client.
//   - rdk.h: the part of librdkafka's C API the client calls.
//   - batch.h, batch.c: the C side of the client (sg_* functions).
package kafka

import (
	"fmt"
	"log/slog"
)

// TopicPartition names a partition.
type TopicPartition struct {
	// Topic is the topic name.
	Topic string
	// Partition is the partition number, from 0.
	Partition int32
}

// String returns "topic/partition".
func (tp TopicPartition) String() string { return fmt.Sprintf("%s/%d", tp.Topic, tp.Partition) }

// Offset is the next offset to read of a partition: what a commit stores.
type Offset struct {
	TopicPartition
	// Offset is the offset of the first record not yet processed.
	Offset int64
	// Metadata is the commit's metadata string (Kafka's OffsetCommit
	// metadata); "" for none. Only SendOffsets, CommitOffsetsAsync and
	// Committed carry it.
	Metadata string
}

// Config is what a client needs to reach the cluster.
type Config struct {
	// Brokers is the bootstrap list, host:port[,host:port].
	Brokers string
	// ClientID names the client in broker logs.
	ClientID string
	// Logger receives librdkafka's logs.
	Logger *slog.Logger
	// Extra sets further librdkafka properties (CONFIGURATION.md of
	// librdkafka), overriding streamgen's.
	Extra map[string]string
}

// props returns the librdkafka properties of a Config: its own, then
// defaults, then Extra, each overriding the one before.
func (c Config) props(defaults map[string]string) map[string]string {
	m := map[string]string{
		"bootstrap.servers":    c.Brokers,
		"client.id":            c.ClientID,
		"enable.metrics.push":  "false",
		"log.connection.close": "false",
	}
	for k, v := range defaults {
		m[k] = v
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return m
}

// logLevel maps a librdkafka log level (syslog's: 0-3 emergency to error,
// 4 warning, 5-6 notice and info, 7 debug) to a slog level.
func logLevel(syslog int) slog.Level {
	switch {
	case syslog <= 3:
		return slog.LevelError
	case syslog == 4:
		return slog.LevelWarn
	case syslog <= 6:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}
