package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/streamgen/streamgen/runtime"
)

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
	// Default 5 ms. It applies only above 10,000 records/s: a quiet
	// producer sends at once (see quietRate).
	Linger time.Duration
}

// Producer produces records and reports each one's acknowledgement.
// Produce, ProduceBatch and Send may be called from many goroutines.
type Producer struct {
	b      *base
	onAck  func(token any, offset int64, err error)
	tokens tokenTable
	done   chan struct{} // closed when reports returns
	stop   atomic.Bool   // reports returns once nothing is queued
	force  atomic.Bool   // reports returns now
	once   sync.Once

	// The produce rate, counted over windows of quietWindow (countQuiet),
	// and whether reports is to flush instead of polling (see quietRate).
	started  time.Time
	winStart atomic.Int64 // nanoseconds after started
	winCount atomic.Int64 // records produced since winStart
	quiet    atomic.Bool  // below quietRate over the last window
	kick     atomic.Bool  // reports flushes next (linger ignored)
	// transactional producers never flush between commits: their records
	// become visible at the commit, which flushes them anyway, and an
	// rd_kafka_flush running beside commit_transaction or
	// abort_transaction is not a use librdkafka documents. (A chaos run of
	// the exactly-once example while it was on ended with 1,406 outputs of
	// committed inputs missing in one partition; the cause is not proven.)
	transactional bool

	topicMu sync.Mutex
	rkts    map[string]*C.rd_kafka_topic_t
}

// syncToken is Send's token: its acknowledgement goes to ch, not onAck.
type syncToken struct{ ch chan error }

// NewProducer returns a producer that calls onAck, from one goroutine of
// its own, once per record produced with a non-nil token: with the
// record's offset when the broker acknowledged it, or with the error after
// librdkafka gave up. Its error is librdkafka's (a bad property in Extra)
// or the version check's (librdkafka not 2.x).
//
// Defaults: acks=all with idempotence, so retries never duplicate or
// reorder; murmur2_random partitioning, the Java client's, so streamgen,
// Java clients and others using murmur2 agree on the partition of a key;
// at most 32 MiB of records queued (queue.buffering.max.kbytes; Produce
// waits for room beyond it); batch.num.messages=10000.
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
	kp := &Producer{b: b, onAck: onAck, done: make(chan struct{}), rkts: map[string]*C.rd_kafka_topic_t{}, started: time.Now(),
		transactional: cfg.TransactionalID != ""}
	kp.quiet.Store(true)
	go kp.reports()
	return kp, nil
}

// reports serves librdkafka's queue (rd_kafka_poll, every 100 ms at most;
// rd_kafka_flush when kicked, see quietRate) and hands each batch of
// delivery reports C collected to its tokens: a syncToken's channel, or
// onAck. It returns when force is set, or stop is and nothing is queued.
func (kp *Producer) reports() {
	defer close(kp.done)
	var tokens []any
	var errs []error
	var offsets []int64
	for {
		var n int
		if kp.kick.Swap(false) {
			n = int(C.sg_flush_acks(kp.b.c, C.int(flushFor/time.Millisecond)))
			// Still quiet but not done (records wait for the producer id,
			// metadata or a slow broker, and would linger once it is
			// there): keep flushing.
			if kp.quiet.Load() && C.rd_kafka_outq_len(kp.b.c.rk) > 0 {
				kp.kick.Store(true)
			}
		} else {
			n = int(C.sg_poll_acks(kp.b.c, 100))
		}
		if n > 0 {
			acks := unsafe.Slice(kp.b.c.out, n)
			tokens, errs, offsets = tokens[:0], errs[:0], offsets[:0]
			kp.tokens.mu.Lock()
			for _, a := range acks {
				tokens = append(tokens, kp.tokens.takeLocked(uint64(a.id)))
				var err error
				if a.err != 0 {
					err = &DeliveryError{Code: int(a.err), Msg: errString(a.err)}
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

// rkt returns librdkafka's handle of topic, created on first use and
// destroyed by Close or Abandon.
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
// When librdkafka's queue is full, Produce waits for room. The error is
// librdkafka's refusal to queue (then no callback comes).
func (kp *Producer) Produce(rec *runtime.Record, token any) error {
	return kp.ProduceBatch([]runtime.Record{*rec}, []any{token})
}

// ProduceBatch queues recs in one call into librdkafka; onAck is called
// with tokens[i] (len(tokens) == len(recs); nil: no callback) when recs[i]
// is acknowledged. A negative Partition lets the partitioner choose; a nil
// Value is a tombstone. Records with headers or a timestamp take a slower
// path, one call each, ahead of the batch. When librdkafka's queue is
// full, it waits for room (RD_KAFKA_MSG_F_BLOCK). The error is the first
// refusal to queue; records not queued then get no callback.
func (kp *Producer) ProduceBatch(recs []runtime.Record, tokens []any) error {
	if len(recs) == 0 {
		return nil
	}
	if !kp.transactional && kp.countQuiet(len(recs)) {
		defer kp.kickNow()
	}
	sc := produceScratch.Get().(*scratch)
	defer sc.put()
	ids := slices.Grow(sc.ids[:0], len(recs))[:len(recs)]
	kp.tokens.mu.Lock()
	for i := range recs {
		ids[i] = C.uint64_t(kp.tokens.putLocked(tokens[i]))
	}
	kp.tokens.mu.Unlock()
	buf := slices.Grow(sc.buf[:0], batchSize(recs)+1)
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
		buf, offs = pack(buf, offs, r.Key, lenOrNone(r.Key))
		buf, offs = pack(buf, offs, r.Value, lenOrNone(r.Value)) // no value: a tombstone
		rkts = append(rkts, kp.rkt(r.Topic))
		parts = append(parts, partition(r.Partition))
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
		return fmt.Errorf("produce: %w", &DeliveryError{Code: int(code), Msg: errString(code)})
	}
	return nil
}

// countQuiet counts n records produced and reports whether the producer
// is quiet (see quietRate): fewer than quietRate records per quietWindow
// over the last window that ended (at least quietWindow long; true until
// the first one ends).
func (kp *Producer) countQuiet(n int) bool {
	c := kp.winCount.Add(int64(n))
	now := int64(time.Since(kp.started))
	if start := kp.winStart.Load(); now-start >= int64(quietWindow) && kp.winStart.CompareAndSwap(start, now) {
		kp.winCount.Add(-c)
		// The rate over the window that ends, however long it was.
		kp.quiet.Store(c*int64(quietWindow) < quietRate*(now-start))
	}
	return kp.quiet.Load()
}

// kickNow makes the reports goroutine serve the queue with rd_kafka_flush
// (see quietRate), waking it from rd_kafka_poll: what is queued leaves
// without waiting for linger.ms.
func (kp *Producer) kickNow() {
	if !kp.kick.Swap(true) {
		C.sg_wake(kp.b.c)
	}
}

// A quiet producer does not linger. linger.ms (5 ms by default) fills
// batches at high rates, but a record of a quiet stream just waits it out:
// at 1,000 records/s over 8 partitions each partition gets a record every
// 8 ms, so every record waited the whole linger, which was most of the
// worker's p99 of 14 ms over the probe's floor (BENCHMARKS.md, Latency).
// librdkafka cannot change linger.ms on a live producer, but while
// rd_kafka_flush runs, its broker threads treat the linger as elapsed
// (rk_flushing). So while fewer than quietRate records were produced per
// quietWindow, each produce call makes the reports goroutine serve the
// queue with rd_kafka_flush (for up to flushFor at a time, again while
// records are outstanding) instead of rd_kafka_poll; above that rate the
// linger batches as before.
//
// Measured with the latency probe on 2 cores shared with other work (p99
// at 1,000 records/s over the floor's; p99 at 5,000 and 50,000
// records/s), runs of one session: linger alone +13.8 ms, 17 ms, 30 ms
// (other runs +8 to +23 ms); flushing below 10,000 records/s +6.1 ms,
// 12 ms, 31 ms. Flushing costs CPU (a request per record or so, and a
// wake-up per acknowledgement): below 80,000 records/s it gave +5.1 ms at
// 1,000/s but 43 ms at 50,000/s with 0.13 more cores for the worker and
// 0.09 for the broker. Flushing whenever fewer than 64 records were
// outstanding kept flushing at the peak (without the linger fewer are
// outstanding): 20% more CPU per record. linger.ms=0 for good: +5 to +14
// ms, and 109–233 ms p99 at 50,000/s (many small requests).
const (
	quietWindow = 20 * time.Millisecond
	quietRate   = 200 // records per quietWindow: 10,000 records/s
	flushFor    = 5 * time.Millisecond
)

// DeliveryError is a record librdkafka or the broker refused: in a
// delivery report, or from the produce call itself. Code is librdkafka's
// rd_kafka_resp_err_t (negative: local errors, e.g. -192
// _MSG_TIMED_OUT; positive: the broker's error codes).
type DeliveryError struct {
	// Code is the rd_kafka_resp_err_t.
	Code int
	// Msg is librdkafka's description (rd_kafka_err2str).
	Msg string
}

// Error returns librdkafka's description.
func (e *DeliveryError) Error() string { return e.Msg }

// librdkafka error codes (rdkafka.h, rd_kafka_resp_err_t) that
// DeliveryError's classification uses.
const (
	errMsgTimedOut = -192 // RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
	errTransport   = -195 // RD_KAFKA_RESP_ERR__TRANSPORT
)

// Transient reports whether the record failed because the cluster could
// not be reached in time (message.timeout.ms passed, the connection
// broke): producing it again later may succeed.
func (e *DeliveryError) Transient() bool { return e.Code == errMsgTimedOut || e.Code == errTransport }

// batchSize is the size of every key, value and header of recs.
func batchSize(recs []runtime.Record) int {
	size := 0
	for i := range recs {
		size += len(recs[i].Key) + len(recs[i].Value)
		for _, h := range recs[i].Headers {
			size += len(h.Key) + len(h.Value)
		}
	}
	return size
}

// pack appends b to buf, and its start in buf and length n to offs: the
// (start, length) pairs sg_produce_batch and sg_produce_headers read, where
// length -1 stands for NULL.
func pack[B string | []byte](buf []byte, offs []C.int64_t, b B, n int64) ([]byte, []C.int64_t) {
	offs = append(offs, C.int64_t(len(buf)), C.int64_t(n))
	return append(buf, b...), offs
}

// lenOrNone is len(b), or -1 for nil (no key; no value).
func lenOrNone(b []byte) int64 {
	if b == nil {
		return -1
	}
	return int64(len(b))
}

// partition is p for librdkafka: RD_KAFKA_PARTITION_UA (the partitioner
// chooses) when negative.
func partition(p int32) C.int32_t {
	if p < 0 {
		return C.SG_RD_KAFKA_PARTITION_UA
	}
	return C.int32_t(p)
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

// put returns sc to produceScratch unless its buffer is too large.
func (sc *scratch) put() {
	if cap(sc.buf) > maxScratch {
		return
	}
	produceScratch.Put(sc)
}

var produceScratch = sync.Pool{New: func() any { return new(scratch) }}

// release drops the tokens of records that were not queued.
func (kp *Producer) release(ids []C.uint64_t) {
	kp.tokens.mu.Lock()
	defer kp.tokens.mu.Unlock()
	for _, id := range ids {
		kp.tokens.takeLocked(uint64(id))
	}
}

// produceOne queues a record with headers or a timestamp
// (rd_kafka_producev). Unlike ProduceBatch, it sends a nil Value as an
// empty value.
func (kp *Producer) produceOne(r *runtime.Record, id C.uint64_t) error {
	var buf []byte
	offs := make([]C.int64_t, 0, 4+4*len(r.Headers))
	buf, offs = pack(buf, offs, r.Key, lenOrNone(r.Key))
	buf, offs = pack(buf, offs, r.Value, int64(len(r.Value)))
	for _, h := range r.Headers {
		buf, offs = pack(buf, offs, h.Key, int64(len(h.Key)))
		buf, offs = pack(buf, offs, h.Value, int64(len(h.Value)))
	}
	buf = append(buf, 0) // never empty
	ts := int64(-1)
	if !r.Timestamp.IsZero() {
		ts = r.Timestamp.UnixMilli()
	}
	code := C.sg_produce_headers(kp.b.c, kp.rkt(r.Topic), partition(r.Partition), id,
		(*C.char)(unsafe.Pointer(unsafe.SliceData(buf))), &offs[0], C.int(len(r.Headers)), C.int64_t(ts))
	if code != 0 {
		return fmt.Errorf("produce: %s", errString(code))
	}
	return nil
}

// Send produces rec and waits for its acknowledgement, or for ctx to end:
// it implements runtime.Sender, for typed topic handles. The error is
// Produce's, the delivery error, or ctx's.
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

// Pending returns how many records and requests wait in librdkafka's
// queues (rd_kafka_outq_len), mostly records not yet acknowledged.
func (kp *Producer) Pending() int { return int(C.rd_kafka_outq_len(kp.b.c.rk)) }

// Flush waits until Pending is zero, checking every millisecond, or ctx
// ends; then the error wraps ctx's and gives the count still pending.
func (kp *Producer) Flush(ctx context.Context) error {
	for kp.Pending() > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("flushing %d records: %w", kp.Pending(), ctx.Err())
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// Close waits for outstanding acknowledgements (up to 10 s to flush, then
// up to 10 s for the reports goroutine) and releases the producer. Tokens
// still unacknowledged after that get no callback. Later calls, and Close
// after Abandon, do nothing.
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
		kp.destroy()
	})
}

// Abandon releases the producer without waiting for outstanding
// records: for a producer that failed fatally, whose records will never be
// acknowledged. Their tokens get no callback.
func (kp *Producer) Abandon() {
	kp.once.Do(func() {
		kp.force.Store(true)
		<-kp.done
		kp.destroy()
	})
}

// destroy releases the topic handles and the client, once reports has
// returned.
func (kp *Producer) destroy() {
	kp.topicMu.Lock()
	for _, t := range kp.rkts {
		C.rd_kafka_topic_destroy(t)
	}
	kp.topicMu.Unlock()
	kp.b.close()
}
