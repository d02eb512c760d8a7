package kafka

// #include <stdlib.h>
// #include "batch.h"
import "C"

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
	"unsafe"

	"github.com/streamgen/streamgen/runtime"
)

// PartitionStart names a partition to read and the offset to start at.
type PartitionStart struct {
	TopicPartition
	// From is the first offset to read; an offset before the partition's
	// start (its low watermark, moved by retention or DeleteRecords) reads
	// from the start, unless Exact is set.
	From int64
	// Exact says the reader must start at From: a From above 0 and before
	// the partition's start is an *OutOfRangeError (the records in between
	// are gone, so a store that reflects the partition up to From cannot
	// be brought up to date). Table restores set it.
	Exact bool
	// Bounded makes the reader stop at Until (exclusive) instead of the
	// partition's end, when that is sooner; records from Until on are not
	// handed over. A table fed from a topic is restored up to the group's
	// committed offset of the topic (its feeder goes on from there).
	Bounded bool
	Until   int64
}

// ErrOutOfRange is wrapped by ReadPartitions' and FollowPartitions' error
// when a start offset lies outside its partition's live range: past its
// end, or (PartitionStart.Exact) before its start.
var ErrOutOfRange = errors.New("offset outside the partition's live range")

// OutOfRangeError is returned, wrapped, by ReadPartitions and
// FollowPartitions, before anything is read, when a start offset lies
// outside its partition's live range [Start, End]; it wraps ErrOutOfRange.
type OutOfRangeError struct {
	// Partition is the partition.
	Partition TopicPartition
	// Offset is the start offset asked for.
	Offset int64
	// Start and End are the partition's low and high watermarks: the
	// offset of its first record and the one its next record will get.
	Start, End int64
}

// Error names the partition, the offset and the live range.
func (e *OutOfRangeError) Error() string {
	return fmt.Sprintf("%s: offset %d: %v [%d, %d]", e.Partition, e.Offset, ErrOutOfRange, e.Start, e.End)
}

// Unwrap returns ErrOutOfRange.
func (e *OutOfRangeError) Unwrap() error { return ErrOutOfRange }

// readBatch is the most records a restore or follower poll hands over.
const readBatch = 4000

// ReadPartitions reads each partition from its start offset up to its end
// as of the call (the high watermark), with one consumer of its own outside
// any group, reading committed records only, and calls fn with each batch
// of records (all of one partition, in offset order). It returns how many
// records it read per partition; an error once reading started (fn's,
// ctx's, the client's) comes with the counts so far, one before (creating
// the client, watermarks, assignment) with nil. If a start is outside its
// partition's live range (past its end; before its start with Exact), the
// error wraps *OutOfRangeError (and ErrOutOfRange) naming the partition,
// before anything is read. Tables restore their stores with it.
//
// end, if not nil, is told each partition's end offset (the offset the
// next record written will get) before any record is handed over.
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

// readPartitions is ReadPartitions, or FollowPartitions if follow.
func readPartitions(ctx context.Context, cfg Config, parts []PartitionStart, end func(TopicPartition, int64),
	fn func(TopicPartition, []*runtime.Record) error, follow bool) (map[TopicPartition]int64, error) {
	read := map[TopicPartition]int64{}
	if len(parts) == 0 {
		return read, nil
	}
	kc, err := newReader(cfg)
	if err != nil {
		return nil, fmt.Errorf("restore consumer: %w", err)
	}
	defer kc.Close()
	// The ends are the high watermarks, read uncommitted: under
	// read_committed, ListOffsets answers the last stable offset, which an
	// open transaction holds back while committed records follow it (a
	// killed or cut-off worker's transaction, until it is aborted). A
	// store's checkpoint past it is not out of range, and a restore that
	// stopped there missed committed writes: the crash harness saw stores
	// rebuilt short of their offsets after a broker outage. The reader,
	// read_committed, waits at an open transaction until it ends.
	wm, err := newReaderIn(cfg, "streamgen-restore", map[string]string{"isolation.level": "read_uncommitted"})
	if err != nil {
		return nil, fmt.Errorf("restore consumer: %w", err)
	}
	defer wm.Close()
	ends := map[TopicPartition]int64{}   // partitions to read up to their end
	limits := map[TopicPartition]int64{} // bounded partitions: the offset where records stop
	var todo []Offset
	for _, p := range parts {
		lo, hi, err := wm.watermarks(ctx, p.TopicPartition)
		if err != nil {
			return nil, err
		}
		from := max(p.From, lo)
		if p.From > hi || (p.Exact && p.From > 0 && p.From < lo) {
			return nil, &OutOfRangeError{Partition: p.TopicPartition, Offset: p.From, Start: lo, End: hi}
		}
		read[p.TopicPartition] = 0
		if p.Bounded {
			hi = max(min(hi, p.Until), from)
			limits[p.TopicPartition] = hi
		}
		if end != nil {
			end(p.TopicPartition, hi)
		}
		if from < hi || follow {
			ends[p.TopicPartition] = hi
			todo = append(todo, Offset{TopicPartition: p.TopicPartition, Offset: from})
		}
	}
	if len(todo) == 0 {
		return read, nil
	}
	a := offsetArrays(todo)
	code := C.sg_assign_many(kc.b.c, a.topics, &a.parts[0], &a.offs[0], C.int(len(todo)))
	a.free()
	if code != 0 {
		return nil, fmt.Errorf("assigning restore partitions: %s", errString(code))
	}
	return read, kc.read(ctx, ends, limits, follow, read, fn)
}

// StableCommitted returns group's committed offsets of tps, in their
// order, with their metadata (offset -1001, librdkafka's OFFSET_INVALID:
// the group has none), read by
// a client of its own outside the group. The offsets are stable: no
// transaction still holds offsets of the group. librdkafka asks for
// stable offsets under read_committed (OffsetFetch's require_stable,
// KIP-447) and retries while the broker answers UNSTABLE_OFFSET_COMMIT, so
// a transaction that added offsets of the group before this call has
// ended (committed or aborted) when it returns. (That its records' markers
// are in every partition is not promised: a reader of them that is
// read_committed waits for those, as restores do.) Each try waits up to a
// second; tries repeat until ctx ends (its error) or 30 s pass (the last
// try's error: librdkafka's, or a partition's). A transaction left open by
// a dead producer holds it until transaction.timeout.ms aborts it.
func StableCommitted(ctx context.Context, cfg Config, group string, tps []TopicPartition) ([]Offset, error) {
	if len(tps) == 0 {
		return nil, nil
	}
	kc, err := newReaderIn(cfg, group, readCommitted)
	if err != nil {
		return nil, fmt.Errorf("offsets client: %w", err)
	}
	defer kc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := kc.Committed(tps, time.Second)
		if err == nil {
			return offs, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, err
		}
	}
}

// newReader returns a consumer outside any group (nothing subscribes it,
// so its group.id never joins) that reads from explicitly assigned
// offsets and commits nothing.
func newReader(cfg Config) (*Consumer, error) {
	return newReaderIn(cfg, "streamgen-restore", readCommitted)
}

// readCommitted is forced on readers of state and of committed offsets,
// whatever the user's configuration says: a restore must skip aborted
// records, and only a read_committed client asks for stable offsets.
var readCommitted = map[string]string{"isolation.level": "read_committed"}

// newReaderIn is newReader with group.id group (its committed offsets
// are the ones Committed reads) and the properties in force, which
// override everything else.
func newReaderIn(cfg Config, group string, force map[string]string) (*Consumer, error) {
	props := cfg.props(map[string]string{
		"group.id":                   group,
		"enable.auto.commit":         "false",
		"fetch.queue.backoff.ms":     "10",
		"enable.partition.eof":       "false",
		"fetch.max.bytes":            "1048576",
		"max.partition.fetch.bytes":  "262144",
		"queued.min.messages":        "10000",
		"queued.max.messages.kbytes": "1024",
	})
	maps.Copy(props, force)
	b, err := newBase(C.SG_RD_KAFKA_CONSUMER, props, readBatch, cfg.Logger)
	if err != nil {
		return nil, err
	}
	b.rebal = func(int, *C.rd_kafka_topic_partition_list_t) {}
	return &Consumer{b: b, topics: map[string]string{}}, nil
}

// watermarks returns a partition's low and high watermarks
// (rd_kafka_query_watermark_offsets, 5 s each try), trying up to 11 times,
// 200 ms apart, while ctx lasts.
func (kc *Consumer) watermarks(ctx context.Context, tp TopicPartition) (lo, hi int64, err error) {
	ct := C.CString(tp.Topic)
	defer C.free(unsafe.Pointer(ct))
	var clo, chi C.int64_t
	var code C.int
	for attempt := 0; ; attempt++ {
		code = C.sg_watermarks(kc.b.c, ct, C.int32_t(tp.Partition), &clo, &chi, 5000)
		if code == 0 || attempt == 10 || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code != 0 {
		return 0, 0, fmt.Errorf("watermarks of %s: %s", tp, errString(code))
	}
	return int64(clo), int64(chi), nil
}

// read polls the assigned partitions and hands their records to fn until
// every partition in ends has reached its end (forever if follow), adding
// the counts to read.
func (kc *Consumer) read(ctx context.Context, ends, limits map[TopicPartition]int64, follow bool, read map[TopicPartition]int64,
	fn func(TopicPartition, []*runtime.Record) error) error {
	var batch []*runtime.Record
	var err error
	idle := 0
	for follow || len(ends) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch, err = kc.Poll(100*time.Millisecond, readBatch, batch[:0])
		if err != nil {
			return err
		}
		if err := handOver(ctx, batch, ends, limits, read, fn); err != nil {
			return err
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
	return nil
}

// handOver calls fn with each run of one partition's records in batch,
// counts them in read, and drops from ends the partitions whose end it
// reached.
func handOver(ctx context.Context, batch []*runtime.Record, ends, limits, read map[TopicPartition]int64,
	fn func(TopicPartition, []*runtime.Record) error) error {
	for start := 0; start < len(batch); {
		if err := ctx.Err(); err != nil {
			return err
		}
		tp := TopicPartition{Topic: batch[start].Topic, Partition: batch[start].Partition}
		end := start
		for end < len(batch) && batch[end].Partition == tp.Partition && batch[end].Topic == tp.Topic {
			end++
		}
		run := batch[start:end]
		start = end
		if limit, ok := limits[tp]; ok {
			n := 0
			for n < len(run) && run[n].Offset < limit {
				n++
			}
			if n == 0 {
				delete(ends, tp)
				continue
			}
			run = run[:n]
		}
		read[tp] += int64(len(run))
		if err := fn(tp, run); err != nil {
			return err
		}
		if hi, ok := ends[tp]; ok && run[len(run)-1].Offset >= hi-1 {
			delete(ends, tp)
		}
	}
	return nil
}
