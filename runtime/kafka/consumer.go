package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/streamgen/streamgen/runtime"
)

// RebalanceHandler is told of partition moves, in the goroutine that
// calls Consumer.Poll, before the consumer's assignment changes: when
// Revoked returns, the partitions are gone, so it must finish their work
// and store their offsets first.
type RebalanceHandler interface {
	// Assigned is called with partitions the consumer now owns. It returns
	// those to pause right after the assignment (say, until their state is
	// restored); Resume starts them.
	Assigned(parts []TopicPartition) (pause []TopicPartition)
	// Revoked is called with partitions the consumer gives up. lost is
	// true when the group already gave them to another member (a session
	// time-out; librdkafka's rd_kafka_assignment_lost): their offsets must
	// not be committed then.
	Revoked(parts []TopicPartition, lost bool)
}

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	Config
	// Group is the consumer group id (group.id).
	Group string
	// Topics are the topics to subscribe to.
	Topics []string
	// SessionTimeout is librdkafka's session.timeout.ms: how long a
	// silent member keeps its partitions. Default 10 s; the heartbeat
	// interval is a quarter of it.
	SessionTimeout time.Duration
	// Batch is the most records one Poll returns. Default 1000.
	Batch int
	// Transactional marks a consumer whose offsets are committed only
	// through a transactional producer's SendOffsets (exactly-once).
	// Either way librdkafka never commits by itself
	// (enable.auto.commit=false): the caller commits (Commit, CommitAsync).
	Transactional bool
	// InstanceID, if set, makes the consumer a static member
	// (group.instance.id), unless Extra sets group.instance.id.
	InstanceID string
	// Assignor is partition.assignment.strategy; default
	// cooperative-sticky. "range" gives every member the same partition
	// numbers of topics with equal partition counts (co-assignment).
	Assignor string
}

// Consumer is a group member that hands over records in batches. It stores
// offsets only when told to (StoreOffsets) and commits the stored offsets
// in the background and on Commit, so nothing is committed before the
// worker says its work is done. Poll is not safe for concurrent use.
type Consumer struct {
	b       *base
	handler RebalanceHandler
	err     error             // a rebalance's failure, returned by the next Poll
	topics  map[string]string // interned topic names
	closed  bool
	// subscribed is set for a group member (NewConsumer), which leaves
	// the group before it closes; readers (newReader) assign partitions
	// themselves.
	subscribed bool

	transactional bool // offsets go through a transactional producer only
}

// NewConsumer joins the group and subscribes to the topics. Its error is
// librdkafka's (a bad property in Extra, a failed subscription) or the
// version check's (librdkafka not 2.x).
//
// Defaults chosen for throughput and safety (each may be overridden in
// Config.Extra): cooperative-sticky assignment, so a rebalance moves only
// the partitions that change owner; enable.auto.offset.store=false, so
// only offsets of finished work are committed; no auto-commit: the owner
// commits (Commit, CommitAsync), so it knows each commit's latency and
// result; fetch.queue.backoff.ms=10 instead of librdkafka's
// 1000, which alone caps a consumer near 118k records/s; reading from the
// earliest offset when the group has none; a small prefetch
// (queued.min.messages=2000, queued.max.messages.kbytes=2048,
// fetch.max.bytes=2 MiB, max.partition.fetch.bytes=256 KiB), because
// librdkafka's defaults (100,000 messages, 64 MiB, 50 MiB, 1 MiB) held
// ~300 MiB of a worker's memory in prefetched data with no gain in
// throughput here (BENCHMARKS.md) — on a high-latency link to a real
// cluster, raise them with worker.WithKafkaConfig; isolation.level
// read_committed; max.poll.interval.ms=30000 instead of 300000: it is
// also the rebalance timeout a member sends, and the group waited that
// long for a member killed in the middle of a rebalance (seen with the
// embedded broker).
func NewConsumer(cfg ConsumerConfig, h RebalanceHandler) (*Consumer, error) {
	batch := cfg.Batch
	if batch <= 0 {
		batch = 1000
	}
	kc := &Consumer{handler: h, topics: map[string]string{}, transactional: cfg.Transactional}
	b, err := newBase(C.SG_RD_KAFKA_CONSUMER, cfg.librdkafka(), batch, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("kafka consumer: %w", err)
	}
	b.rebal = kc.rebalance
	kc.b = b
	arr, free := cStrings(cfg.Topics)
	code := C.sg_subscribe(b.c, arr, C.int(len(cfg.Topics)))
	free()
	if code != 0 {
		kc.Close()
		return nil, fmt.Errorf("subscribing to %v: %s", cfg.Topics, errString(code))
	}
	kc.subscribed = true
	return kc, nil
}

// ResetsToBeginning reports whether a partition the group has no
// committed offset for starts at its beginning: auto.offset.reset as
// Extra sets it, else NewConsumer's default, earliest.
func (cfg ConsumerConfig) ResetsToBeginning() bool {
	switch cfg.librdkafka()["auto.offset.reset"] {
	case "earliest", "smallest", "beginning":
		return true
	}
	return false
}

// librdkafka returns the consumer's librdkafka properties: NewConsumer's
// defaults, then Extra.
func (cfg ConsumerConfig) librdkafka() map[string]string {
	session := cfg.SessionTimeout
	if session <= 0 {
		session = 10 * time.Second
	}
	assignor := cfg.Assignor
	if assignor == "" {
		assignor = "cooperative-sticky"
	}
	props := cfg.props(map[string]string{
		"group.id":                      cfg.Group,
		"partition.assignment.strategy": assignor,
		"isolation.level":               "read_committed",
		"enable.auto.commit":            "false",
		"enable.auto.offset.store":      "false",
		"auto.offset.reset":             "earliest",
		"fetch.queue.backoff.ms":        "10",
		"session.timeout.ms":            strconv.Itoa(int(session / time.Millisecond)),
		"max.poll.interval.ms":          "30000",
		"heartbeat.interval.ms":         strconv.Itoa(int(session / time.Millisecond / 4)),
		"enable.partition.eof":          "false",
		"queued.min.messages":           "2000",
		"queued.max.messages.kbytes":    "2048",
		"fetch.max.bytes":               "2097152",
		"max.partition.fetch.bytes":     "262144",
	})
	if cfg.InstanceID != "" {
		if _, ok := cfg.Extra["group.instance.id"]; !ok {
			props["group.instance.id"] = cfg.InstanceID
		}
	}
	return props
}

// rebalance is the consumer's rebalance callback, run inside Poll. As
// librdkafka's rebalance_cb docs require, it applies every change itself
// (incrementally under the cooperative protocol, sg_rebalance_apply):
// after the handler's Assigned, before pausing what it returned; after the
// handler's Revoked and, unless the partitions were lost or offsets go
// through transactions, a commit of what the handler stored.
func (kc *Consumer) rebalance(code int, l *C.rd_kafka_topic_partition_list_t) {
	parts := listParts(l)
	switch code {
	case C.SG_ERR_ASSIGN_PARTITIONS:
		pause := kc.handler.Assigned(parts)
		if msg := C.sg_rebalance_apply(kc.b.c, l, 1); msg != nil {
			kc.err = fmt.Errorf("assigning %v: %s", parts, C.GoString(msg))
		}
		if err := kc.pause(pause, true); err != nil {
			kc.err = err
		}
	case C.SG_ERR_REVOKE_PARTITIONS:
		lost := C.rd_kafka_assignment_lost(kc.b.c.rk) != 0
		kc.handler.Revoked(parts, lost)
		if !lost && !kc.transactional {
			// Commit what the handler stored before the partitions go.
			if err := kc.Commit(); err != nil {
				kc.b.logger.Warn("committing revoked partitions failed", "error", err)
			}
		}
		if msg := C.sg_rebalance_apply(kc.b.c, l, 0); msg != nil {
			kc.err = fmt.Errorf("unassigning %v: %s", parts, C.GoString(msg))
		}
	default:
		kc.b.logger.Error("rebalance error", "error", errString(C.int(code)))
		C.sg_rebalance_apply(kc.b.c, l, 0)
	}
}

// topic returns the topic name of n bytes at p, interned.
func (kc *Consumer) topic(p *C.char, n C.int) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
	if s, ok := kc.topics[string(b)]; ok {
		return s
	}
	s := string(b)
	kc.topics[s] = s
	return s
}

// Poll waits up to timeout (millisecond resolution) for records and
// appends them to into. ConsumerConfig.Batch bounds how many one Poll
// returns; max is not applied beyond that (the worker passes the same
// bound). Rebalances are handled inside Poll, through the
// RebalanceHandler; a failure to apply one is returned by this Poll or the
// next. A fatal client error (rd_kafka_fatal_error) is returned as an
// error; other per-partition errors are logged, as librdkafka retries
// them. Keys and values of one batch share one allocation.
func (kc *Consumer) Poll(timeout time.Duration, max int, into []*runtime.Record) ([]*runtime.Record, error) {
	n := int(C.sg_consume(kc.b.c, C.int(timeout/time.Millisecond)))
	if kc.err != nil {
		err := kc.err
		kc.err = nil
		return into, err
	}
	if n <= 0 {
		return into, nil
	}
	recs := unsafe.Slice(kc.b.c.recs, n)
	buf := make([]byte, batchBytes(recs))
	out := make([]runtime.Record, 0, n)
	for i := range recs {
		r := &recs[i]
		if r.err != 0 {
			if err := kc.b.fatal(); err != nil {
				return into, fmt.Errorf("kafka consumer: %w", err)
			}
			if r.err != C.SG_ERR_PARTITION_EOF {
				kc.b.logger.Warn("kafka consumer error; librdkafka retries", "error", errString(r.err),
					"topic", kc.topic(r.topic, r.topic_len), "partition", int32(r.partition))
			}
			continue
		}
		var rec runtime.Record
		rec, buf = kc.record(i, r, buf)
		out = append(out, rec)
	}
	for i := range out {
		into = append(into, &out[i])
	}
	return into, nil
}

// batchBytes is the size of every key and value of a batch.
func batchBytes(recs []C.sg_rec) int {
	size := 0
	for i := range recs {
		if recs[i].key_len > 0 {
			size += int(recs[i].key_len)
		}
		if recs[i].val_len > 0 {
			size += int(recs[i].val_len)
		}
	}
	return size
}

// record copies the batch's record i, r, into Go: its key and value into
// the front of buf, whose rest it returns.
func (kc *Consumer) record(i int, r *C.sg_rec, buf []byte) (runtime.Record, []byte) {
	rec := runtime.Record{
		Topic:     kc.topic(r.topic, r.topic_len),
		Partition: int32(r.partition),
		Offset:    int64(r.offset),
	}
	if r.key_len >= 0 {
		k := int(r.key_len)
		rec.Key = buf[:k:k]
		copy(rec.Key, unsafe.Slice((*byte)(r.key), k))
		buf = buf[k:]
	}
	if r.val_len >= 0 {
		v := int(r.val_len)
		rec.Value = buf[:v:v]
		copy(rec.Value, unsafe.Slice((*byte)(r.val), v))
		buf = buf[v:]
	}
	if r.ts_ms >= 0 {
		rec.Timestamp = time.UnixMilli(int64(r.ts_ms))
	}
	for h := 0; h < int(r.hdr_cnt); h++ {
		var name *C.char
		var val unsafe.Pointer
		var sz C.size_t
		if C.sg_header(kc.b.c, C.size_t(i), C.size_t(h), &name, &val, &sz) != 0 {
			break
		}
		hv := []byte(nil)
		if val != nil {
			hv = C.GoBytes(val, C.int(sz))
		}
		rec.Headers = append(rec.Headers, runtime.Header{Key: C.GoString(name), Value: hv})
	}
	return rec, buf
}

// Resume starts fetching partitions paused at their assignment (those
// RebalanceHandler.Assigned returned). The error is librdkafka's
// (rd_kafka_resume_partitions).
func (kc *Consumer) Resume(tps []TopicPartition) error { return kc.pause(tps, false) }

// pause pauses (pause true) or resumes fetching tps.
func (kc *Consumer) pause(tps []TopicPartition, pause bool) error {
	if len(tps) == 0 {
		return nil
	}
	flag := C.int(0)
	if pause {
		flag = 1
	}
	a := partitionArrays(tps)
	defer a.free()
	code := C.sg_pause(kc.b.c, a.topics, &a.parts[0], C.int(len(tps)), flag)
	if code != 0 {
		return fmt.Errorf("pausing or resuming %v: %s", tps, errString(code))
	}
	return nil
}

// StoreOffsets records offsets to commit: the next offset to read of each
// partition, with its metadata (rd_kafka_offsets_store; librdkafka
// commits a stored offset, metadata and all, only when it moved past the
// committed one). Offsets of partitions no longer assigned are ignored
// (librdkafka's _STATE); other errors are returned.
func (kc *Consumer) StoreOffsets(offs []Offset) error {
	if len(offs) == 0 {
		return nil
	}
	a := offsetArrays(offs)
	defer a.free()
	code := C.sg_store(kc.b.c, a.topics, &a.parts[0], &a.offs[0], a.metas, C.int(len(offs)))
	if code != 0 && code != C.SG_ERR_STATE {
		return fmt.Errorf("storing offsets: %s", errString(code))
	}
	return nil
}

// Commit commits the stored offsets now and waits for the result
// (synchronous rd_kafka_commit). Nothing stored to commit (_NO_OFFSET) is
// not an error.
func (kc *Consumer) Commit() error {
	if code := C.sg_commit(kc.b.c); code != 0 && code != C.SG_ERR_NO_OFFSET {
		return fmt.Errorf("commit: %s", errString(code))
	}
	return nil
}

// CommitAsync starts committing the stored offsets without waiting; the
// result comes from CommitDone, in the order commits were started.
// Nothing stored to commit (_NO_OFFSET) is not an error. An error is
// returned only when the commit cannot start.
func (kc *Consumer) CommitAsync() error {
	if code := C.sg_commit_async(kc.b.c); code != 0 && code != C.SG_ERR_NO_OFFSET {
		return fmt.Errorf("commit: %s", errString(code))
	}
	return nil
}

// CommitDone reports an asynchronous commit that finished since the last
// call (done), with its error; _NO_OFFSET (nothing was stored) reports
// done with ErrNoOffset. It never waits.
func (kc *Consumer) CommitDone() (done bool, err error) {
	var code C.int
	if C.sg_commit_done(kc.b.c, &code) == 0 {
		return false, nil
	}
	switch code {
	case 0:
		return true, nil
	case C.SG_ERR_NO_OFFSET:
		return true, ErrNoOffset
	}
	return true, fmt.Errorf("commit: %s", errString(code))
}

// CommitOffsetsAsync starts committing offs as given, with their
// metadata, without waiting (and apart from the stored offsets, which
// CommitAsync commits only when they moved past the committed ones):
// their results come from CommitOffsetsDone. An error is returned only
// when the commit cannot start.
func (kc *Consumer) CommitOffsetsAsync(offs []Offset) error {
	if len(offs) == 0 {
		return nil
	}
	a := offsetArrays(offs)
	defer a.free()
	if code := C.sg_commit_offsets_async(kc.b.c, a.topics, &a.parts[0], &a.offs[0], a.metas, C.int(len(offs))); code != 0 {
		return fmt.Errorf("commit: %s", errString(code))
	}
	return nil
}

// CommitOffsetsDone reports a CommitOffsetsAsync that finished since the
// last call (done), with its error. It never waits.
func (kc *Consumer) CommitOffsetsDone() (done bool, err error) {
	var code C.int
	if C.sg_commit_offsets_done(kc.b.c, &code) == 0 {
		return false, nil
	}
	if code != 0 {
		return true, fmt.Errorf("commit: %s", errString(code))
	}
	return true, nil
}

// Committed returns the group's committed offsets of tps, in their order,
// with their metadata (rd_kafka_committed; a broker round trip, bounded
// by timeout). An offset is -1001 (librdkafka's OFFSET_INVALID) when the
// group has none. It cannot run inside a rebalance callback: the group is
// rebalancing there, and the fetch waits until it times out.
func (kc *Consumer) Committed(tps []TopicPartition, timeout time.Duration) ([]Offset, error) {
	if len(tps) == 0 {
		return nil, nil
	}
	a := partitionArrays(tps)
	defer a.free()
	metas := make([]*C.char, len(tps))
	if code := C.sg_committed(kc.b.c, a.topics, &a.parts[0], &a.offs[0], &metas[0], C.int(len(tps)), C.int(timeout/time.Millisecond)); code != 0 {
		return nil, fmt.Errorf("fetching committed offsets: %s", errString(code))
	}
	out := make([]Offset, len(tps))
	for i, tp := range tps {
		out[i] = Offset{TopicPartition: tp, Offset: int64(a.offs[i])}
		if metas[i] != nil {
			out[i].Metadata = C.GoString(metas[i])
			C.free(unsafe.Pointer(metas[i]))
		}
	}
	return out, nil
}

// ErrNoOffset is CommitDone's error when there was nothing to commit
// (librdkafka's _NO_OFFSET).
var ErrNoOffset = errors.New("kafka: no offsets stored to commit")

// Close leaves the group (a NewConsumer's), which revokes every
// partition through the RebalanceHandler first (in a Poll of its own, for
// up to 10 s: see leave), and releases the client. A second Close does nothing. It always
// returns nil.
func (kc *Consumer) Close() error {
	if kc.closed {
		return nil
	}
	kc.closed = true
	if kc.subscribed {
		kc.leave(10 * time.Second)
	}
	kc.b.close()
	return nil
}

// position returns the consumer's fetch position of a partition (the
// offset of the next record it will fetch), or -1 if it has none.
func (kc *Consumer) position(topic string, partition int32) int64 {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	return int64(C.sg_position(kc.b.c, ct, C.int32_t(partition)))
}
