package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/streamgen/streamgen/runtime"
)

// The batched client calls librdkafka's C API directly: one C call
// consumes up to a batch of records, one produces a batch, one collects a
// batch of delivery reports. It links against the librdkafka that
// confluent-kafka-go bundles (imported here for the admin client), so the
// binary holds one copy of the library.
var _ = ck.LibraryVersion

// limitArenas caps glibc's malloc arenas at two before the first client
// starts librdkafka's threads, unless MALLOC_ARENA_MAX is set: otherwise
// each of librdkafka's threads gets an arena of its own, and the arenas'
// free space stays resident. Measured (BENCHMARKS.md): a worker counting
// 1,000,000 keys peaked ~10 MiB lower, at the same rate.
var limitArenas = sync.OnceFunc(func() {
	if os.Getenv("MALLOC_ARENA_MAX") == "" {
		C.sg_limit_arenas(2)
	}
})

func checkVersion() error {
	v := int(C.rd_kafka_version())
	if v>>24 != 2 {
		return fmt.Errorf("streamgen kafka: linked librdkafka is version %d.%d.%d; streamgen's batched client needs 2.x",
			v>>24, (v>>16)&0xff, (v>>8)&0xff)
	}
	return nil
}

// clients maps the id a C client carries to its Go side, for callbacks.
var (
	clients  sync.Map // uint64 → *base
	clientID atomic.Uint64
)

type base struct {
	c      *C.sg_client
	id     uint64
	logger *slog.Logger
	rebal  func(err int, parts *C.rd_kafka_topic_partition_list_t)
}

//export sgGoLog
func sgGoLog(id C.uint64_t, level C.int, fac, buf *C.char) {
	v, ok := clients.Load(uint64(id))
	if !ok {
		return
	}
	b := v.(*base)
	// syslog levels: 0-3 error, 4 warning, 5-6 notice/info, 7 debug.
	lvl := slog.LevelDebug
	switch {
	case level <= 3:
		lvl = slog.LevelError
	case level == 4:
		lvl = slog.LevelWarn
	case level <= 6:
		lvl = slog.LevelInfo
	}
	if !b.logger.Enabled(context.Background(), lvl) {
		return
	}
	b.logger.Log(context.Background(), lvl, C.GoString(buf), "component", "librdkafka", "facility", C.GoString(fac))
}

//export sgGoRebalance
func sgGoRebalance(id C.uint64_t, err C.int, parts *C.rd_kafka_topic_partition_list_t) {
	v, ok := clients.Load(uint64(id))
	if !ok {
		return
	}
	v.(*base).rebal(int(err), parts)
}

func newBase(typ C.int, props map[string]string, batch int, logger *slog.Logger) (*base, error) {
	if err := checkVersion(); err != nil {
		return nil, err
	}
	limitArenas() // before librdkafka starts its threads
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, len(keys))
	for i, k := range keys {
		vals[i] = props[k]
	}
	ck, freeKeys := cStrings(keys)
	defer freeKeys()
	cv, freeVals := cStrings(vals)
	defer freeVals()
	b := &base{id: clientID.Add(1), logger: logger}
	clients.Store(b.id, b)
	errstr := (*C.char)(C.malloc(512))
	defer C.free(unsafe.Pointer(errstr))
	b.c = C.sg_new(typ, C.uint64_t(b.id), ck, cv, C.int(len(keys)), C.size_t(batch), errstr, 512)
	if b.c == nil {
		clients.Delete(b.id)
		return nil, errors.New(C.GoString(errstr))
	}
	return b, nil
}

// cStrings copies ss into a C array of C strings; free releases it all.
func cStrings(ss []string) (arr **C.char, free func()) {
	n := max(len(ss), 1)
	arr = (**C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	cs := unsafe.Slice(arr, len(ss))
	for i, s := range ss {
		cs[i] = C.CString(s)
	}
	return arr, func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
		C.free(unsafe.Pointer(arr))
	}
}

func (b *base) fatal() error {
	errstr := (*C.char)(C.malloc(512))
	defer C.free(unsafe.Pointer(errstr))
	if C.sg_fatal(b.c, errstr, 512) != 0 {
		return errors.New(C.GoString(errstr))
	}
	return nil
}

func errString(code C.int) string { return C.GoString(C.rd_kafka_err2str(C.rd_kafka_resp_err_t(code))) }

// props returns the librdkafka properties of a Config (without the
// confluent-kafka-go Go-only ones) plus overrides.
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
	// Batch is the most records one Poll returns. Default 1000.
	Batch int
	// Transactional disables auto-commit: offsets are committed only
	// through a transactional producer's SendOffsets (exactly-once).
	Transactional bool
	// InstanceID, if set, makes the consumer a static member
	// (group.instance.id).
	InstanceID string
	// Assignor is partition.assignment.strategy; default
	// cooperative-sticky. "range" gives every member the same partition
	// numbers of topics with equal partition counts (co-assignment).
	Assignor string
}

// Consumer is a group member that hands over records in batches. It stores
// offsets only when told to (StoreOffsets) and commits the stored offsets
// in the background and on Commit, so nothing is committed before the
// worker says its work is done.
type Consumer struct {
	b       *base
	handler RebalanceHandler
	err     error
	topics  map[string]string // interned topic names
	closed  bool

	transactional bool // offsets go through a transactional producer only
}

// NewConsumer joins the group and subscribes to the topics.
//
// Defaults chosen for throughput and safety (each may be overridden in
// Config.Extra): cooperative-sticky assignment, so a rebalance moves only
// the partitions that change owner; enable.auto.offset.store=false, so
// only offsets of finished work are committed; auto-commit of stored
// offsets every second; fetch.queue.backoff.ms=10 instead of librdkafka's
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
	session := cfg.SessionTimeout
	if session <= 0 {
		session = 10 * time.Second
	}
	batch := cfg.Batch
	if batch <= 0 {
		batch = 1000
	}
	autoCommit := "true"
	if cfg.Transactional {
		autoCommit = "false"
	}
	assignor := cfg.Assignor
	if assignor == "" {
		assignor = "cooperative-sticky"
	}
	props := cfg.props(map[string]string{
		"group.id":                      cfg.Group,
		"partition.assignment.strategy": assignor,
		"isolation.level":               "read_committed",
		"enable.auto.commit":            autoCommit,
		"auto.commit.interval.ms":       "1000",
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
	kc := &Consumer{handler: h, topics: map[string]string{}, transactional: cfg.Transactional}
	b, err := newBase(C.SG_RD_KAFKA_CONSUMER, props, batch, cfg.Logger)
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
	return kc, nil
}

func listParts(l *C.rd_kafka_topic_partition_list_t) []TopicPartition {
	elems := unsafe.Slice(l.elems, int(l.cnt))
	out := make([]TopicPartition, len(elems))
	for i, e := range elems {
		out[i] = TopicPartition{Topic: C.GoString(e.topic), Partition: int32(e.partition)}
	}
	return out
}

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

func (kc *Consumer) topic(p *C.char, n C.int) string {
	b := unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
	if s, ok := kc.topics[string(b)]; ok {
		return s
	}
	s := string(b)
	kc.topics[s] = s
	return s
}

// Poll waits up to timeout for records and returns at most max of them
// (and at most the configured batch), appended to into. Rebalances are
// handled inside Poll, through the RebalanceHandler. A fatal client error
// is returned as an error. Keys and values of one batch share one
// allocation.
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
	size := 0
	for i := range recs {
		if recs[i].key_len > 0 {
			size += int(recs[i].key_len)
		}
		if recs[i].val_len > 0 {
			size += int(recs[i].val_len)
		}
	}
	buf := make([]byte, size)
	out := make([]runtime.Record, 0, n)
	for i := range recs {
		r := &recs[i]
		if r.err != 0 {
			if err := kc.b.fatal(); err != nil {
				return into, fmt.Errorf("kafka consumer: fatal: %w", err)
			}
			if r.err != C.SG_ERR_PARTITION_EOF {
				kc.b.logger.Warn("kafka consumer error; librdkafka retries", "error", errString(r.err),
					"topic", kc.topic(r.topic, r.topic_len), "partition", int32(r.partition))
			}
			continue
		}
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
		out = append(out, rec)
	}
	for i := range out {
		into = append(into, &out[i])
	}
	return into, nil
}

// Pause stops fetching partitions until Resume.
func (kc *Consumer) Pause(tps []TopicPartition) error { return kc.pause(tps, true) }

// Resume starts fetching partitions paused at their assignment.
func (kc *Consumer) Resume(tps []TopicPartition) error { return kc.pause(tps, false) }

func (kc *Consumer) pause(tps []TopicPartition, pause bool) error {
	if len(tps) == 0 {
		return nil
	}
	n := len(tps)
	names := make([]string, n)
	parts := make([]C.int32_t, n)
	for i, tp := range tps {
		names[i] = tp.Topic
		parts[i] = C.int32_t(tp.Partition)
	}
	flag := C.int(0)
	if pause {
		flag = 1
	}
	topics, free := cStrings(names)
	defer free()
	code := C.sg_pause(kc.b.c, topics, &parts[0], C.int(n), flag)
	if code != 0 {
		return fmt.Errorf("pausing or resuming %v: %s", tps, errString(code))
	}
	return nil
}

// StoreOffsets records offsets to commit: the next offset to read of each
// partition. Offsets of partitions no longer assigned are ignored.
func (kc *Consumer) StoreOffsets(offs []Offset) error {
	if len(offs) == 0 {
		return nil
	}
	n := len(offs)
	names := make([]string, n)
	parts := make([]C.int32_t, n)
	vals := make([]C.int64_t, n)
	for i, o := range offs {
		names[i] = o.Topic
		parts[i] = C.int32_t(o.Partition)
		vals[i] = C.int64_t(o.Offset)
	}
	topics, free := cStrings(names)
	defer free()
	code := C.sg_store(kc.b.c, topics, &parts[0], &vals[0], C.int(n))
	if code != 0 && code != C.SG_ERR_STATE {
		return fmt.Errorf("storing offsets: %s", errString(code))
	}
	return nil
}

// Commit commits the stored offsets now and waits for the result.
func (kc *Consumer) Commit() error {
	if code := C.sg_commit(kc.b.c); code != 0 && code != C.SG_ERR_NO_OFFSET {
		return fmt.Errorf("commit: %s", errString(code))
	}
	return nil
}

// Close leaves the group, which revokes every partition through the
// RebalanceHandler first, and releases the client.
func (kc *Consumer) Close() error {
	if kc.closed {
		return nil
	}
	kc.closed = true
	C.sg_close(kc.b.c)
	clients.Delete(kc.b.id)
	return nil
}

// ProducerConfig configures a Producer.
type ProducerConfig struct {
	Config
	// TransactionalID makes the producer transactional (transactional.id);
	// call InitTransactions before producing. transaction.timeout.ms
	// defaults to 10 s, as in Kafka Streams under exactly-once: an open
	// transaction of a crashed producer blocks read_committed readers of
	// its partitions until then, unless a producer with the same id starts.
	TransactionalID string
	// Linger is librdkafka's linger.ms: how long to wait to fill a batch.
	Linger time.Duration
}

// Producer produces records and reports each one's acknowledgement.
type Producer struct {
	b      *base
	onAck  func(token any, offset int64, err error)
	tokens tokenTable
	done   chan struct{}
	stop   atomic.Bool
	force  atomic.Bool
	once   sync.Once

	topicMu sync.Mutex
	rkts    map[string]*C.rd_kafka_topic_t
}

type syncToken struct{ ch chan error }

// NewProducer returns a producer that calls onAck, from one goroutine of
// its own, once per record produced with a non-nil token: with the
// record's offset when the broker acknowledged it, or with the error after
// librdkafka gave up.
//
// Defaults: acks=all with idempotence, so retries never duplicate or
// reorder; murmur2_random partitioning, the Java client's, so streamgen,
// Java clients and others using murmur2 agree on the partition of a key;
// at most 32 MiB of records queued (queue.buffering.max.kbytes; Produce
// waits for room beyond it).
func NewProducer(cfg ProducerConfig, onAck func(token any, offset int64, err error)) (*Producer, error) {
	linger := cfg.Linger
	if linger <= 0 {
		linger = 5 * time.Millisecond
	}
	props := cfg.props(map[string]string{
		"acks":                       "all",
		"enable.idempotence":         "true",
		"partitioner":                "murmur2_random",
		"linger.ms":                  strconv.Itoa(int(linger / time.Millisecond)),
		"batch.num.messages":         "10000",
		"queue.buffering.max.kbytes": "32768",
	})
	if cfg.TransactionalID != "" {
		props["transactional.id"] = cfg.TransactionalID
		if _, ok := cfg.Extra["transaction.timeout.ms"]; !ok {
			props["transaction.timeout.ms"] = "10000"
		}
	}
	b, err := newBase(C.SG_RD_KAFKA_PRODUCER, props, 0, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	kp := &Producer{b: b, onAck: onAck, done: make(chan struct{}), rkts: map[string]*C.rd_kafka_topic_t{}}
	go kp.reports()
	return kp, nil
}

func (kp *Producer) reports() {
	defer close(kp.done)
	var tokens []any
	var errs []error
	var offsets []int64
	for {
		n := int(C.sg_poll_acks(kp.b.c, 100))
		if n > 0 {
			acks := unsafe.Slice(kp.b.c.out, n)
			tokens, errs, offsets = tokens[:0], errs[:0], offsets[:0]
			kp.tokens.mu.Lock()
			for _, a := range acks {
				tokens = append(tokens, kp.tokens.takeLocked(uint64(a.id)))
				var err error
				if a.err != 0 {
					err = errors.New(errString(a.err))
				}
				errs = append(errs, err)
				offsets = append(offsets, int64(a.offset))
			}
			kp.tokens.mu.Unlock()
			for i, t := range tokens {
				switch t := t.(type) {
				case nil:
				case *syncToken:
					t.ch <- errs[i]
				default:
					if kp.onAck != nil {
						kp.onAck(t, offsets[i], errs[i])
					}
				}
			}
			clear(tokens)
		}
		if kp.force.Load() || (kp.stop.Load() && C.rd_kafka_outq_len(kp.b.c.rk) == 0) {
			return
		}
	}
}

func (kp *Producer) rkt(topic string) *C.rd_kafka_topic_t {
	kp.topicMu.Lock()
	defer kp.topicMu.Unlock()
	if t, ok := kp.rkts[topic]; ok {
		return t
	}
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	t := C.rd_kafka_topic_new(kp.b.c.rk, ct, nil)
	kp.rkts[topic] = t
	return t
}

// Produce queues rec; onAck is called with token when it is acknowledged.
// When librdkafka's queue is full, Produce waits for room.
func (kp *Producer) Produce(rec *runtime.Record, token any) error {
	return kp.ProduceBatch([]runtime.Record{*rec}, []any{token})
}

// ProduceBatch queues recs in one call into librdkafka; onAck is called
// with tokens[i] when recs[i] is acknowledged. Records with headers or a
// timestamp take a slower path, one call each.
func (kp *Producer) ProduceBatch(recs []runtime.Record, tokens []any) error {
	if len(recs) == 0 {
		return nil
	}
	sc := produceScratch.Get().(*scratch)
	defer sc.put()
	ids := slices.Grow(sc.ids[:0], len(recs))[:len(recs)]
	kp.tokens.mu.Lock()
	for i := range recs {
		ids[i] = C.uint64_t(kp.tokens.putLocked(tokens[i]))
	}
	kp.tokens.mu.Unlock()
	size := 0
	for i := range recs {
		size += len(recs[i].Key) + len(recs[i].Value)
		for _, h := range recs[i].Headers {
			size += len(h.Key) + len(h.Value)
		}
	}
	buf := slices.Grow(sc.buf[:0], size+1)
	offs := sc.offs[:0]
	rkts := sc.rkts[:0]
	parts := sc.parts[:0]
	plain := sc.plain[:0]
	// The slices go back to the pool grown, whatever path returns.
	defer func() { sc.ids, sc.buf, sc.offs, sc.rkts, sc.parts, sc.plain = ids, buf, offs, rkts, parts, plain }()
	for i := range recs {
		r := &recs[i]
		if len(r.Headers) > 0 || !r.Timestamp.IsZero() {
			if err := kp.produceOne(r, ids[i]); err != nil {
				kp.release(ids[i:])
				return err
			}
			continue
		}
		keyLen := int64(len(r.Key))
		if r.Key == nil {
			keyLen = -1
		}
		valLen := int64(len(r.Value))
		if r.Value == nil {
			valLen = -1 // a tombstone
		}
		offs = append(offs, C.int64_t(len(buf)), C.int64_t(keyLen))
		buf = append(buf, r.Key...)
		offs = append(offs, C.int64_t(len(buf)), C.int64_t(valLen))
		buf = append(buf, r.Value...)
		rkts = append(rkts, kp.rkt(r.Topic))
		part := r.Partition
		if part < 0 {
			part = C.SG_RD_KAFKA_PARTITION_UA
		}
		parts = append(parts, C.int32_t(part))
		plain = append(plain, ids[i])
	}
	if len(plain) == 0 {
		return nil
	}
	if len(buf) == 0 {
		buf = append(buf, 0) // a valid pointer for C even when every key and value is empty
	}
	var done C.int
	code := C.sg_produce_batch(kp.b.c, &rkts[0], &parts[0], &plain[0], (*C.char)(unsafe.Pointer(unsafe.SliceData(buf))),
		&offs[0], C.int(len(plain)), &done)
	if code != 0 {
		kp.release(plain[int(done):])
		return fmt.Errorf("produce: %s", errString(code))
	}
	return nil
}

// scratch is ProduceBatch's working memory, reused through
// produceScratch: librdkafka copies keys and values (RD_KAFKA_MSG_F_COPY),
// so nothing of it is referenced once the call returns.
type scratch struct {
	ids   []C.uint64_t
	buf   []byte
	offs  []C.int64_t
	rkts  []*C.rd_kafka_topic_t
	parts []C.int32_t
	plain []C.uint64_t
}

// maxScratch is the largest buffer kept for reuse; a larger one (a batch of
// big records) is left to the garbage collector.
const maxScratch = 4 << 20

func (sc *scratch) put() {
	if cap(sc.buf) > maxScratch {
		return
	}
	produceScratch.Put(sc)
}

var produceScratch = sync.Pool{New: func() any { return new(scratch) }}

func (kp *Producer) release(ids []C.uint64_t) {
	kp.tokens.mu.Lock()
	defer kp.tokens.mu.Unlock()
	for _, id := range ids {
		kp.tokens.takeLocked(uint64(id))
	}
}

func (kp *Producer) produceOne(r *runtime.Record, id C.uint64_t) error {
	var buf []byte
	offs := make([]C.int64_t, 0, 4+4*len(r.Headers))
	keyLen := int64(len(r.Key))
	if r.Key == nil {
		keyLen = -1
	}
	offs = append(offs, C.int64_t(len(buf)), C.int64_t(keyLen))
	buf = append(buf, r.Key...)
	offs = append(offs, C.int64_t(len(buf)), C.int64_t(len(r.Value)))
	buf = append(buf, r.Value...)
	for _, h := range r.Headers {
		offs = append(offs, C.int64_t(len(buf)), C.int64_t(len(h.Key)))
		buf = append(buf, h.Key...)
		offs = append(offs, C.int64_t(len(buf)), C.int64_t(len(h.Value)))
		buf = append(buf, h.Value...)
	}
	buf = append(buf, 0) // never empty
	part := r.Partition
	if part < 0 {
		part = C.SG_RD_KAFKA_PARTITION_UA
	}
	ts := int64(-1)
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp.UnixMilli()
	}
	code := C.sg_produce_headers(kp.b.c, kp.rkt(r.Topic), C.int32_t(part), id,
		(*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), &offs[0], C.int(len(r.Headers)), C.int64_t(ts))
	if code != 0 {
		return fmt.Errorf("produce: %s", errString(code))
	}
	return nil
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
func (kp *Producer) Pending() int { return int(C.rd_kafka_outq_len(kp.b.c.rk)) }

// Flush waits until every queued record is acknowledged or ctx ends.
func (kp *Producer) Flush(ctx context.Context) error {
	for kp.Pending() > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("flushing %d records: %w", kp.Pending(), ctx.Err())
		}
		time.Sleep(time.Millisecond)
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
		kp.stop.Store(true)
		select {
		case <-kp.done:
		case <-time.After(10 * time.Second):
			kp.b.logger.Warn("producer closed with unacknowledged records", "pending", kp.Pending())
			kp.force.Store(true)
			<-kp.done
		}
		kp.topicMu.Lock()
		for _, t := range kp.rkts {
			C.rd_kafka_topic_destroy(t)
		}
		kp.topicMu.Unlock()
		C.sg_close(kp.b.c)
		clients.Delete(kp.b.id)
	})
}

// Abandon releases the producer without waiting for outstanding
// records: for a producer that failed fatally, whose records will never be
// acknowledged. Their tokens get no callback.
func (kp *Producer) Abandon() {
	kp.once.Do(func() {
		kp.force.Store(true)
		<-kp.done
		kp.topicMu.Lock()
		for _, t := range kp.rkts {
			C.rd_kafka_topic_destroy(t)
		}
		kp.topicMu.Unlock()
		C.sg_close(kp.b.c)
		clients.Delete(kp.b.id)
	})
}

// tokenTable hands out small integer ids for tokens, so C memory never
// holds Go pointers.
// ErrPastEnd is returned by ReadPartition when asked to start past the
// partition's end.
var ErrPastEnd = errors.New("offset past the end of the partition")

type tokenTable struct {
	mu    sync.Mutex
	slots []any
	free  []uint64
}

func (t *tokenTable) putLocked(v any) uint64 {
	if v == nil {
		return 0
	}
	if n := len(t.free); n > 0 {
		id := t.free[n-1]
		t.free = t.free[:n-1]
		t.slots[id-1] = v
		return id
	}
	t.slots = append(t.slots, v)
	return uint64(len(t.slots))
}

func (t *tokenTable) takeLocked(id uint64) any {
	if id == 0 || id > uint64(len(t.slots)) {
		return nil
	}
	v := t.slots[id-1]
	t.slots[id-1] = nil
	t.free = append(t.free, id)
	return v
}

// PartitionStart names a partition to read and the offset to start at.
type PartitionStart struct {
	TopicPartition
	// From is the first offset to read.
	From int64
}

// readBatch is the most records a restore or follower poll hands over.
const readBatch = 4000

// ReadPartitions reads each partition from its start offset up to its end
// as of the call (the high watermark), with one consumer of its own outside
// any group, reading committed records only, and calls fn with each batch
// of records (all of one partition). It returns how many records it read
// per partition. If a start is past its partition's end, it returns
// ErrPastEnd naming the partition, before reading anything. Tables
// restore their stores with it.
//
// end, if not nil, is told each partition's end offset before any record
// is handed over.
func ReadPartitions(ctx context.Context, cfg Config, parts []PartitionStart, end func(TopicPartition, int64),
	fn func(TopicPartition, []*runtime.Record) error) (map[TopicPartition]int64, error) {
	return readPartitions(ctx, cfg, parts, end, fn, false)
}

// FollowPartitions is ReadPartitions that does not stop at the end: with
// one consumer, it hands over records as they arrive until ctx ends (then
// it returns ctx's error) or reading fails. Global tables follow their
// topics with it.
func FollowPartitions(ctx context.Context, cfg Config, parts []PartitionStart, fn func(TopicPartition, []*runtime.Record) error) error {
	_, err := readPartitions(ctx, cfg, parts, nil, fn, true)
	return err
}

func readPartitions(ctx context.Context, cfg Config, parts []PartitionStart, end func(TopicPartition, int64),
	fn func(TopicPartition, []*runtime.Record) error, follow bool) (map[TopicPartition]int64, error) {
	read := map[TopicPartition]int64{}
	if len(parts) == 0 {
		return read, nil
	}
	props := cfg.props(map[string]string{
		"group.id":                   "streamgen-restore",
		"enable.auto.commit":         "false",
		"fetch.queue.backoff.ms":     "10",
		"enable.partition.eof":       "false",
		"fetch.max.bytes":            "1048576",
		"max.partition.fetch.bytes":  "262144",
		"queued.min.messages":        "10000",
		"queued.max.messages.kbytes": "1024",
	})
	kc := &Consumer{topics: map[string]string{}}
	b, err := newBase(C.SG_RD_KAFKA_CONSUMER, props, readBatch, cfg.Logger)
	if err != nil {
		return nil, fmt.Errorf("restore consumer: %w", err)
	}
	b.rebal = func(int, *C.rd_kafka_topic_partition_list_t) {}
	kc.b = b
	defer kc.Close()
	ends := map[TopicPartition]int64{}
	var todo []PartitionStart
	for _, p := range parts {
		ct := C.CString(p.Topic)
		var lo, hi C.int64_t
		var code C.int
		for attempt := 0; ; attempt++ {
			code = C.sg_watermarks(b.c, ct, C.int32_t(p.Partition), &lo, &hi, 5000)
			if code == 0 || attempt == 10 || ctx.Err() != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		C.free(unsafe.Pointer(ct))
		if code != 0 {
			return nil, fmt.Errorf("watermarks of %s: %s", p.TopicPartition, errString(code))
		}
		from := max(p.From, int64(lo))
		if p.From > int64(hi) {
			return nil, fmt.Errorf("%s ends at %d, before offset %d: %w", p.TopicPartition, int64(hi), p.From, &PastEndError{Partition: p.TopicPartition})
		}
		read[p.TopicPartition] = 0
		if end != nil {
			end(p.TopicPartition, int64(hi))
		}
		if from < int64(hi) || follow {
			ends[p.TopicPartition] = int64(hi)
			todo = append(todo, PartitionStart{TopicPartition: p.TopicPartition, From: from})
		}
	}
	if len(todo) == 0 {
		return read, nil
	}
	n := len(todo)
	names := make([]string, n)
	ps := make([]C.int32_t, n)
	os := make([]C.int64_t, n)
	for i, p := range todo {
		names[i] = p.Topic
		ps[i] = C.int32_t(p.Partition)
		os[i] = C.int64_t(p.From)
	}
	topics, free := cStrings(names)
	code := C.sg_assign_many(b.c, topics, &ps[0], &os[0], C.int(n))
	free()
	if code != 0 {
		return nil, fmt.Errorf("assigning restore partitions: %s", errString(code))
	}
	var batch []*runtime.Record
	idle := 0
	for follow || len(ends) > 0 {
		if err := ctx.Err(); err != nil {
			return read, err
		}
		batch, err = kc.Poll(100*time.Millisecond, readBatch, batch[:0])
		if err != nil {
			return read, err
		}
		// Hand over runs of one partition.
		for start := 0; start < len(batch); {
			if err := ctx.Err(); err != nil {
				return read, err
			}
			tp := TopicPartition{Topic: batch[start].Topic, Partition: batch[start].Partition}
			end := start
			for end < len(batch) && batch[end].Partition == tp.Partition && batch[end].Topic == tp.Topic {
				end++
			}
			run := batch[start:end]
			read[tp] += int64(len(run))
			if err := fn(tp, run); err != nil {
				return read, err
			}
			if hi, ok := ends[tp]; ok && run[len(run)-1].Offset >= hi-1 {
				delete(ends, tp)
			}
			start = end
		}
		if len(batch) == 0 {
			idle++
		} else {
			idle = 0
		}
		// Transaction markers and compacted-away records leave gaps: a
		// partition whose consumer position passed its end is done too.
		if idle > 0 {
			for tp, hi := range ends {
				if kc.position(tp.Topic, tp.Partition) >= hi {
					delete(ends, tp)
				}
			}
		}
	}
	return read, nil
}

// PastEndError is returned by ReadPartitions when a start offset is past
// its partition's end; it wraps ErrPastEnd.
type PastEndError struct {
	// Partition is the partition.
	Partition TopicPartition
}

// Error names the partition and says its start is past its end.
func (e *PastEndError) Error() string { return e.Partition.String() + ": " + ErrPastEnd.Error() }

// Unwrap returns ErrPastEnd.
func (e *PastEndError) Unwrap() error { return ErrPastEnd }

func (kc *Consumer) position(topic string, partition int32) int64 {
	ct := C.CString(topic)
	defer C.free(unsafe.Pointer(ct))
	return int64(C.sg_position(kc.b.c, ct, C.int32_t(partition)))
}
