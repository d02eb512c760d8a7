package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// restoreJob readies newly assigned partitions while they are paused, in
// a goroutine of its own, so the poll loop goes on serving the other
// partitions and the group: it reads their committed offsets, then
// restores their stores (if any) from the changelogs.
//
// In that order: the committed offsets are read stable (kafka.StableCommitted),
// so a transaction of the partitions' previous owner that committed their
// offsets has ended before the restore reads the changelogs' ends (high
// watermarks, which then lie past its records), and the restore, read
// committed, waits for its markers and includes its changelog records. Read the other way round, a
// previous owner that had committed the offsets (its generation was still
// current, KIP-447) but whose changelog records reached the broker after
// the restore read the ends left a store behind its offsets: the crash
// harness saw balances short of earlier deposits after a broker outage.
// The partitions are then sought to those offsets before they start
// (finishRestores), and records polled before them are dropped:
// librdkafka was seen to start a partition assigned paused at its end
// (skipping records whose offsets were then committed), and once to fetch
// one from its beginning (records processed again on a store that holds
// their writes count them twice).
type restoreJob struct {
	ps        []*partition
	stores    []*lane.Table
	cancel    context.CancelFunc
	done      chan error
	attempt   int                             // failed attempts before this one
	committed map[kafka.TopicPartition]int64  // the sources' committed offsets, once done
	metadata  map[kafka.TopicPartition]string // and their metadata (the last ticks done: ticks.go)
	// ends are the high watermarks of stream joins' sources, asked of
	// their leaders once done: librdkafka's cached ones may be from before
	// the partition last moved (partition.joinEnds).
	ends    map[kafka.TopicPartition]int64
	ready   bool      // done without error, waiting to seek (done was received)
	readyAt time.Time // when it became ready
	warned  bool      // the clients' replacement was asked for
}

func (t *thread) startRestore(ps []*partition, stores []*lane.Table) { t.restoreAttempt(ps, stores, 0) }

// restoreAttempt starts attempt number attempt (0: the first) of a
// restore, after a pause that grows with the attempts.
func (t *thread) restoreAttempt(ps []*partition, stores []*lane.Table, attempt int) {
	ctx, cancel := context.WithCancel(t.w.procCtx)
	j := &restoreJob{ps: ps, stores: stores, cancel: cancel, done: make(chan error, 1), attempt: attempt}
	for _, p := range ps {
		t.restoring[p.tp] = j
	}
	r := &restorer{w: t.w, log: t.log, kcfg: t.kcfg}
	pause := min(time.Duration(attempt)*time.Second, 30*time.Second)
	go func() {
		select {
		case <-ctx.Done():
			j.done <- ctx.Err()
			return
		case <-time.After(pause):
		}
		committed, metadata, err := r.committed(ctx, ps)
		if err == nil {
			err = ctx.Err() // cancelled meanwhile: leave the stores alone
		}
		if err == nil {
			j.committed, j.metadata = committed, metadata
			r.offsets = committed
			j.ends, err = t.joinSourceEnds(ctx, ps)
		}
		if err == nil {
			err = r.restoreStores(ctx, stores)
		}
		j.done <- err
	}()
}

// joinSourceEnds asks the leaders of the stream joins' sources of ps for
// their high watermarks (a goroutine of the job: librdkafka's handle is
// safe for it).
func (t *thread) joinSourceEnds(ctx context.Context, ps []*partition) (map[kafka.TopicPartition]int64, error) {
	ends := map[kafka.TopicPartition]int64{}
	for _, p := range ps {
		for i, jc := range p.joins {
			if jc == nil {
				continue
			}
			for _, s := range []*source{p.srcs[0], p.source(p.agents[i].Desc.StreamJoin.Stream.Name)} {
				_, hi, err := t.consumer.Watermarks(ctx, s.tp)
				if err != nil {
					return nil, fmt.Errorf("the high watermark of %s: %w", s.tp, err)
				}
				ends[s.tp] = hi
			}
		}
	}
	return ends, nil
}

// committed returns the stable committed offsets of the partitions'
// sources (absent: the group has none), and their metadata.
func (r *restorer) committed(ctx context.Context, ps []*partition) (map[kafka.TopicPartition]int64, map[kafka.TopicPartition]string, error) {
	tps := sourcesOf(ps)
	offs, err := kafka.StableCommitted(ctx, r.kcfg, r.w.app.ID(), tps)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the committed offsets: %w", err)
	}
	out, md := make(map[kafka.TopicPartition]int64, len(tps)), make(map[kafka.TopicPartition]string, len(tps))
	for i, tp := range tps {
		if offs[i].Offset >= 0 {
			out[tp] = offs[i].Offset
		}
		md[tp] = offs[i].Metadata
	}
	return out, md, nil
}

// finishRestores starts the partitions whose job is done: it seeks them
// to their committed offsets, then starts them and resumes their
// fetching. It runs in the poll goroutine, after each poll.
func (t *thread) finishRestores() {
	seen := map[*restoreJob]bool{}
	for _, j := range t.restoring {
		if seen[j] {
			continue
		}
		seen[j] = true
		if !j.ready {
			select {
			case err := <-j.done:
				if err != nil {
					t.restored(j, err)
					continue
				}
				j.ready, j.readyAt = true, time.Now()
			default:
				continue
			}
		}
		err := t.seekCommitted(j)
		if !errors.Is(err, kafka.ErrSeekLater) {
			t.restored(j, err)
			continue
		}
		// librdkafka still resolves where the partitions start: after the
		// next poll. A start librdkafka lost (its issue #2190, the other
		// way round) never comes: rejoin with new clients.
		if time.Since(j.readyAt) > seekPatience && !j.warned {
			j.warned = true
			t.log.Warn("librdkafka has not started fetching assigned partitions; replacing the Kafka clients",
				"partitions", fmt.Sprint(j.tps()), "waited", time.Since(j.readyAt).Round(time.Second))
			t.requestReplace(fmt.Errorf("partitions %v never started fetching", j.tps()))
		}
	}
}

// seekPatience is how long a job's partitions may wait for librdkafka to
// start fetching them before the thread rejoins with new clients (it
// starts them within milliseconds, or up to a transaction's end while
// another one holds offsets of the group).
const seekPatience = 30 * time.Second

// tps returns the job's topic-partitions.
func (j *restoreJob) tps() []kafka.TopicPartition { return sourcesOf(j.ps) }

// sourcesOf returns the topic-partitions of ps' sources.
func sourcesOf(ps []*partition) []kafka.TopicPartition {
	var tps []kafka.TopicPartition
	for _, p := range ps {
		tps = append(tps, p.tps()...)
	}
	return tps
}

// seekCommitted seeks the job's partitions to their committed offsets
// (sources the group has none for: to their beginning, when
// auto.offset.reset says so or a table is fed from them), while they are
// still paused. librdkafka's
// own start of a partition paused right after its assignment can be lost
// (see kafka.Consumer.Seek): a seek makes it start exactly where the
// job's offsets, and so its stores, say.
func (t *thread) seekCommitted(j *restoreJob) error {
	var offs []kafka.Offset
	for _, p := range j.ps {
		for _, s := range p.srcs {
			if off, ok := j.committed[s.tp]; ok {
				offs = append(offs, kafka.Offset{TopicPartition: s.tp, Offset: off})
			} else if t.ccfg.ResetsToBeginning() || t.w.topo.fed[s.tp.Topic] {
				offs = append(offs, kafka.Offset{TopicPartition: s.tp, Offset: kafka.OffsetBeginning})
			}
		}
	}
	return t.consumer.Seek(offs, 5*time.Second)
}

func (t *thread) restored(j *restoreJob, err error) {
	j.cancel()
	tps := j.tps()
	for _, p := range j.ps {
		delete(t.restoring, p.tp)
	}
	if err != nil {
		// Most often the cluster is unreachable: a transient outage never
		// ends a worker. The partitions stay assigned, paused, and their
		// restore starts again from the stores' checkpoints.
		t.log.Warn("readying assigned partitions failed (their committed offsets, or their tables' restore); trying again",
			"partitions", fmt.Sprint(tps), "attempt", j.attempt+1, "error", err)
		for _, ts := range j.stores {
			ts.From = checkpointOf(ts)
			t.w.hooks.onRestore(RestoreProgress{Table: ts.Desc.Name, Partition: ts.Partition, From: ts.From,
				Err: err, Attempt: j.attempt})
		}
		t.restoreAttempt(j.ps, j.stores, j.attempt+1)
		return
	}
	for _, p := range j.ps {
		for _, s := range p.srcs {
			if off, ok := j.committed[s.tp]; ok {
				s.next = off
			}
			if end, ok := j.ends[s.tp]; ok {
				s.startEnd = end
			}
		}
		if k := p.ticks; k != nil {
			off, ok := j.committed[p.tp]
			if !ok {
				off = -1
			}
			k.load(j.metadata[p.tp], off, time.Now())
		}
		t.start(p)
	}
	if err := t.consumer.Resume(tps); err != nil {
		t.fail(fmt.Errorf("streamgen worker: %w", err))
	}
	t.reportState()
}

// checkpointOf returns a store's checkpoint, where a new restore starts:
// what an interrupted one wrote before it is in the store (the changelog
// is a log of puts, so reading part of it again is harmless).
func checkpointOf(ts *lane.Table) int64 {
	if cp, ok, err := ts.Store.Checkpoint(); err == nil && ok {
		return cp
	}
	return ts.From
}

// restoringPartitions returns the partitions being restored.
func (t *thread) restoringPartitions() []kafka.TopicPartition {
	var tps []kafka.TopicPartition
	for tp := range t.restoring {
		tps = append(tps, tp)
	}
	return tps
}

// stopRestores cancels the restores of tps (whole jobs: the job's other
// partitions restart in a job of their own) and closes their stores.
func (t *thread) stopRestores(tps []kafka.TopicPartition) {
	gone := map[kafka.TopicPartition]bool{}
	jobs := map[*restoreJob]bool{}
	for _, tp := range tps {
		if j := t.restoring[tp]; j != nil {
			jobs[j] = true
			gone[tp] = true
		}
	}
	for j := range jobs {
		j.cancel()
		if !j.ready {
			<-j.done
		}
		var keep []*partition
		var keepStores []*lane.Table
		for _, p := range j.ps {
			delete(t.restoring, p.tp)
			if gone[p.tp] {
				for _, ts := range p.stores {
					t.w.hooks.onRestore(RestoreProgress{Table: ts.Desc.Name, Partition: ts.Partition, From: ts.From, Canceled: true})
				}
				t.closeTables(p, false)
				continue
			}
			keep = append(keep, p)
			for _, ts := range p.stores {
				if !slices.Contains(keepStores, ts) { // co-partitioned partitions share stores
					keepStores = append(keepStores, ts)
				}
			}
		}
		if len(keep) > 0 {
			t.startRestore(keep, keepStores)
		}
	}
}

// restorer brings stores up to date from their changelogs.
type restorer struct {
	w       *worker
	log     *slog.Logger
	kcfg    kafka.Config
	rebuilt map[*lane.Table]string // stores discarded and rebuilt, and why
	// offsets are the group's committed offsets of the partitions being
	// readied: a table fed from a topic is restored up to the topic's (its
	// feeder goes on from there; none: the feeder reads it all).
	offsets map[kafka.TopicPartition]int64
}

// restoreStores restores stores from their changelogs, all partitions with
// one reader. A store that cannot be trusted is discarded and rebuilt from
// the changelog: its checkpoint lies outside the changelog's live range
// (past its end: another cluster's store, or a recreated changelog; before
// its start: records it never saw were deleted), or it was offline for
// longer than the changelog's delete.retention.ms (compaction may have
// dropped tombstones it never saw, so deleted keys would come back). On
// error the caller closes the stores.
func (r *restorer) restoreStores(ctx context.Context, all []*lane.Table) error {
	r.rebuilt = map[*lane.Table]string{}
	for _, ts := range all {
		if why := staleness(ts); why != "" {
			if err := r.discard(ts, why); err != nil {
				return err
			}
		}
	}
	for range len(all) + 1 {
		err := r.restore(ctx, all)
		var oe *kafka.OutOfRangeError
		if !errors.As(err, &oe) {
			return err
		}
		for _, ts := range all {
			if ts.Desc.Changelog.Name == oe.Partition.Topic && ts.Partition == oe.Partition.Partition {
				why := fmt.Sprintf("its checkpoint (changelog offset %d) lies outside the changelog's live range [%d, %d]", oe.Offset, oe.Start, oe.End)
				if err := r.discard(ts, why); err != nil {
					return err
				}
			}
		}
	}
	return errors.New("restoring tables: the changelogs' live ranges kept moving; try again")
}

// staleness says why a store's contents cannot be trusted for its age, or
// "" if they can.
func staleness(ts *lane.Table) string {
	if ts.Desc.FromTopic && !strings.Contains(ts.Desc.Source.Config["cleanup.policy"], "compact") {
		// A topic that is not compacted keeps its tombstones as long as
		// its other records: an old store misses none.
		return ""
	}
	at, ok, err := ts.Store.Meta(state.SyncedAtMeta)
	if err != nil || !ok || ts.From == 0 {
		return ""
	}
	retention := deleteRetention(ts.Desc.Changelog)
	if offline := time.Since(time.UnixMilli(at)); offline > retention {
		return fmt.Sprintf("it was last in sync %v ago, longer than the changelog's delete.retention.ms (%v): tombstones it never saw may be gone",
			offline.Round(time.Second), retention)
	}
	return ""
}

// deleteRetention is how long a compacted topic keeps tombstones: its
// declared delete.retention.ms, else Kafka's default, one day.
func deleteRetention(t *runtime.TopicDesc) time.Duration {
	if v, err := strconv.ParseInt(t.Config["delete.retention.ms"], 10, 64); err == nil && v >= 0 {
		return time.Duration(v) * time.Millisecond
	}
	return 24 * time.Hour
}

// discard empties a store that cannot be trusted, saying why.
func (r *restorer) discard(ts *lane.Table, why string) error {
	r.log.Warn("discarding a table store and rebuilding it from its changelog", "table", ts.Desc.Name,
		"partition", ts.Partition, "dir", ts.Dir, "reason", why)
	ts.Store.Close()
	if err := os.RemoveAll(ts.Dir); err != nil {
		return err
	}
	st, err := r.w.cfg.storage(ts.Dir, r.w.log)
	if err != nil {
		return err
	}
	ts.Store, ts.From = st, 0
	r.rebuilt[ts] = why
	return nil
}

// restoreState is one store's restore: where it reads to, how far it got.
type restoreState struct {
	ts   *lane.Table
	next int64 // restore position
	end  int64 // restore end
	// until is, for a table fed from a topic, the group's committed offset
	// of the topic, where its restore stops; -1 for other tables.
	until    int64
	restored int64 // records read
	writes   chan []state.KV
}

// restore reads every store's changelog partition from its checkpoint to
// the end. Within each fetched batch only the last write of a key reaches
// the store (the changelog is a log of puts: the last one wins). Each
// store gets a writer goroutine, so Badger writes of different partitions
// run in parallel with each other and with the fetching.
func (r *restorer) restore(ctx context.Context, stores []*lane.Table) error {
	if len(stores) == 0 {
		return nil
	}
	start := time.Now()
	byTP := map[kafka.TopicPartition]*restoreState{}
	var starts []kafka.PartitionStart
	var wg sync.WaitGroup
	var werr errOnce
	for _, ts := range stores {
		tp := kafka.TopicPartition{Topic: ts.Desc.Changelog.Name, Partition: ts.Partition}
		// One batch waiting per store: each pins its poll batch, and a
		// restore of 1,000,000 keys held ~40 MiB more with four.
		rs := &restoreState{ts: ts, next: ts.From, until: -1, writes: make(chan []state.KV, 1)}
		byTP[tp] = rs
		start := kafka.PartitionStart{TopicPartition: tp, From: ts.From, Exact: true}
		if ts.Desc.FromTopic {
			rs.until = max(r.offsets[tp], 0)
			start.Bounded, start.Until = true, rs.until
		}
		starts = append(starts, start)
		wg.Go(func() {
			for batch := range rs.writes {
				werr.set(ts.Store.Write(batch))
			}
		})
	}
	read, err := kafka.ReadPartitions(ctx, r.kcfg, starts, func(tp kafka.TopicPartition, end int64) {
		byTP[tp].end = end
	}, r.reading(byTP, start))
	for _, rs := range byTP {
		close(rs.writes)
	}
	wg.Wait()
	if err == nil {
		err = werr.get()
	}
	if err != nil {
		return fmt.Errorf("restoring tables from their changelogs: %w", err)
	}
	for tp, rs := range byTP {
		if err := r.finish(rs, read[tp], start); err != nil {
			return err
		}
	}
	return nil
}

// reading returns the batch callback of a restore: the batch, coalesced,
// goes to its store's writer; progress goes to the hooks, and every 5 s to
// the log.
func (r *restorer) reading(byTP map[kafka.TopicPartition]*restoreState, start time.Time) func(kafka.TopicPartition, []*runtime.Record) error {
	var last map[string]int
	lastLog := time.Now()
	return func(tp kafka.TopicPartition, recs []*runtime.Record) error {
		rs := byTP[tp]
		var batch []state.KV
		batch, rs.next, last = coalesce(rs.ts.Desc, recs, last, nil)
		rs.writes <- batch
		rs.restored += int64(len(recs))
		p := RestoreProgress{Table: rs.ts.Desc.Name, Partition: rs.ts.Partition, From: rs.ts.From, End: rs.end,
			Records: rs.restored, Elapsed: time.Since(start)}
		r.w.hooks.onRestore(p)
		if time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			r.log.Info("restoring table partition", "table", p.Table, "partition", p.Partition, "records", p.Records,
				"percent", int(p.Percent()), "records_per_s", int(p.Rate()))
		}
		return nil
	}
}

// errOnce keeps the first error set from several goroutines (nil is
// ignored).
type errOnce struct {
	mu  sync.Mutex
	err error
}

func (e *errOnce) set(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil && err != nil {
		e.err = err
	}
}

func (e *errOnce) get() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// take returns the error kept and forgets it.
func (e *errOnce) take() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.err
	e.err = nil
	return err
}

// finish records a restored store's checkpoint and reports it done.
func (r *restorer) finish(rs *restoreState, n int64, start time.Time) error {
	ts := rs.ts
	if rs.until >= 0 && rs.next > rs.until {
		// A table fed from a topic whose store is ahead of the group's
		// committed offset (a standby follows the topic to its end; at
		// least once the checkpoint may pass the commit): its feeder replays
		// the topic from the committed offset, writing older values back
		// for a while, so the store claims only that offset. Claiming more
		// would let a store closed mid-replay keep the older values.
		rs.next = rs.until
		n = max(n, 1) // write the lower checkpoint
	}
	if n > 0 {
		if err := ts.Store.SetCheckpoint(rs.next); err != nil {
			return err
		}
	}
	ts.AckedNext.Store(rs.next)
	ts.CommittedNext.Store(rs.next)
	p := RestoreProgress{Table: ts.Desc.Name, Partition: ts.Partition, From: ts.From, End: max(rs.end, rs.next),
		Records: n, Done: true, Elapsed: time.Since(start), Rebuilt: r.rebuilt[ts]}
	r.w.hooks.onRestore(p)
	r.log.Info("table partition restored", "table", ts.Desc.Name, "partition", ts.Partition, "from_offset", ts.From,
		"to_offset", rs.next, "records", n, "records_per_s", int(p.Rate()), "took", p.Elapsed.Round(time.Millisecond))
	return nil
}

// coalesce turns a batch of changelog records into store writes, keeping
// only the last write of each key (a changelog is a log of puts: the last
// one wins), appended to into. last is scratch space (nil: made here),
// returned for the next call. It also returns the offset after the batch.
// The values of a table fed from a topic (td.Source) are stored as
// protobuf (TableDesc.StoreValue); its records that are no values are
// left out.
func coalesce(td *runtime.TableDesc, recs []*runtime.Record, last map[string]int, into []state.KV) ([]state.KV, int64, map[string]int) {
	if last == nil {
		last = map[string]int{}
	}
	clear(last)
	var next int64
	for _, rec := range recs {
		next = rec.Offset + 1
		kv := state.KV{Key: rec.Key, Value: rec.Value, Delete: rec.Value == nil}
		if td.Source != nil && rec.Value != nil {
			// Fed from a topic: stored as protobuf. A record of a table fed
			// partition by partition that is not a value went to its
			// dead-letter topic when it was consumed; a global table keeps
			// it as it is, and the records that read it fail on it (dead
			// letters of their agent, with the decoding error).
			v, err := td.StoreValue(rec.Value)
			switch {
			case rec.Key == nil || (err != nil && td.FromTopic):
				continue
			case err == nil:
				kv.Value = v
			}
		}
		if i, ok := last[string(rec.Key)]; ok {
			into[i] = kv
		} else {
			last[string(rec.Key)] = len(into)
			into = append(into, kv)
		}
	}
	return into, next, last
}

// follower applies a followed topic's batches to stores (standby replicas,
// global tables): the last write of each key, then the store's
// checkpoint, so a follower that stops resumes where it was.
type follower struct {
	byTP  map[kafka.TopicPartition]*lane.Table
	last  map[string]int
	batch []state.KV
}

func newFollower() *follower { return &follower{byTP: map[kafka.TopicPartition]*lane.Table{}} }

// add makes ts follow tp from its checkpoint and returns where it starts.
func (f *follower) add(tp kafka.TopicPartition, ts *lane.Table) kafka.PartitionStart {
	f.byTP[tp] = ts
	return kafka.PartitionStart{TopicPartition: tp, From: ts.From}
}

// apply is the batch callback of kafka.ReadPartitions/FollowPartitions.
func (f *follower) apply(tp kafka.TopicPartition, recs []*runtime.Record) error {
	ts := f.byTP[tp]
	var next int64
	f.batch, next, f.last = coalesce(ts.Desc, recs, f.last, f.batch[:0])
	if err := ts.Store.Write(f.batch); err != nil {
		return err
	}
	ts.From = next
	ts.AckedNext.Store(next) // read by other goroutines (standby lag)
	return ts.Store.SetCheckpoint(next)
}
