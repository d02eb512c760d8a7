package worker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// RestoreProgress reports a table partition's restore from its changelog.
type RestoreProgress struct {
	// Table and Partition name the table partition.
	Table string
	// Partition is the changelog partition.
	Partition int32
	// From is the changelog offset the store reflected before the restore.
	From int64
	// Records is how many changelog records were read so far.
	Records int64
	// End is the changelog offset the restore reads up to.
	End int64
	// Done is set on the last report of a restore.
	Done bool
	// Elapsed is the time since the restore started.
	Elapsed time.Duration
}

// Percent returns how much of the changelog range [From, End) has been
// read, by offset, from 0 to 100.
func (p RestoreProgress) Percent() float64 {
	if p.End <= p.From {
		return 100
	}
	return 100 * float64(min(p.Records, p.End-p.From)) / float64(p.End-p.From)
}

// Rate returns records per second so far.
func (p RestoreProgress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

// RestoreHook is implemented by hooks (WithHooks) that want restore
// progress, e.g. to export it as a metric. It is called from the goroutine
// that restores, at least once per restored batch and once when done.
type RestoreHook interface {
	OnRestore(RestoreProgress)
}

// WithHooks adds observability hooks; each is type-asserted against the
// hook interfaces of this package (RestoreHook, CommitHook). Default:
// none.
func WithHooks(hooks ...any) Option {
	return optionFunc(func(c *config) { c.hooks = append(c.hooks, hooks...) })
}

// WithDataDir sets the directory under which the worker keeps one Badger
// store per table partition, at <dir>/<table>/<partition>. A worker
// restarted with the same directory restores only the changelog records
// its stores have not seen. Default: $TMPDIR/streamgen/<app id>.
func WithDataDir(dir string) Option {
	return optionFunc(func(c *config) { c.dataDir = dir })
}

// tableStore is one table partition's store, shared by the lanes of the
// partition that write it.
type tableStore struct {
	desc      *runtime.TableDesc
	partition int32
	store     state.Store
	dir       string
	from      int64        // checkpoint at open
	next      int64        // restore position
	end       int64        // restore end
	restored  int64        // records read by the restore
	ackedNext atomic.Int64 // changelog offset after the last acknowledged write
	// committedNext is, under exactly-once, a changelog offset below which
	// every write is in a committed transaction and in the store: the
	// checkpoint. (At least once, every acknowledged write is in the store
	// and ackedNext is the checkpoint.)
	committedNext atomic.Int64
	global        *globalTable // set for a global table: reads go there
	// users counts the partitions using the store: co-partitioned inputs
	// (partition p of each topic whose agents write the table) share it.
	users atomic.Int32
	// shared is the cache of every lane writing the table, when more than
	// one agent writes it; nil otherwise.
	shared *tableCache
}

// storeKey names a table partition's store.
type storeKey struct {
	table     string
	partition int32
}

// tableWriters counts the agents writing each (non-global) table, and
// describes the tables written from more than one topic, whose partitions
// must be co-assigned.
func tableWriters(app *runtime.App) (map[string]int, []string) {
	writers := map[string]int{}
	topics := map[string][]string{}
	var names []string
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil {
			continue
		}
		for _, td := range ag.Desc.Tables {
			if td.Global {
				continue
			}
			if writers[td.Name] == 0 {
				names = append(names, td.Name)
			}
			writers[td.Name]++
			if !slices.Contains(topics[td.Name], ag.Desc.Input.Name) {
				topics[td.Name] = append(topics[td.Name], ag.Desc.Input.Name)
			}
		}
	}
	var co []string
	for _, n := range names {
		if len(topics[n]) > 1 {
			co = append(co, fmt.Sprintf("table %q is written from topics %s", n, strings.Join(topics[n], ", ")))
		}
	}
	return writers, co
}

// changelogToken is the producer token of a changelog write.
type changelogToken struct {
	fs []*inflight // every input whose write this record carries
	ts *tableStore
}

// openTables opens the stores of the tables the partitions' agents use and
// returns them (each once). It runs in the poll goroutine, inside the
// assignment; restoreStores brings them up to date afterwards.
func (w *worker) openTables(ps []*partition) ([]*tableStore, error) {
	var all, reused []*tableStore
	fail := func(err error) ([]*tableStore, error) {
		for _, ts := range reused {
			w.releaseStore(ts, false, 0)
		}
		for _, ts := range all {
			w.dropStore(ts)
		}
		return nil, err
	}
	for _, p := range ps {
		byName := map[string]*tableStore{}
		p.tables = make([][]*tableStore, len(p.agents))
		for i, ag := range p.agents {
			for _, td := range ag.Desc.Tables {
				if td.Global {
					p.tables[i] = append(p.tables[i], &tableStore{desc: td, global: w.globals.tables[td.Name]})
					continue
				}
				ts := byName[td.Name]
				if ts == nil {
					key := storeKey{td.Name, p.tp.Partition}
					w.openMu.Lock()
					ts = w.open[key]
					w.openMu.Unlock()
					if ts != nil {
						// Partition p of another input topic opened it (in
						// this call: it is restored once, for both).
						ts.users.Add(1)
						if !slices.Contains(all, ts) {
							reused = append(reused, ts)
						}
					} else {
						var err error
						if ts, err = w.openStore(td, p.tp.Partition); err != nil {
							return fail(err)
						}
						ts.users.Store(1)
						if w.writers[td.Name] > 1 {
							ts.shared = newTableCache(true)
						}
						w.openMu.Lock()
						w.open[key] = ts
						w.openMu.Unlock()
						all = append(all, ts)
					}
					byName[td.Name] = ts
					p.stores = append(p.stores, ts)
				}
				p.tables[i] = append(p.tables[i], ts)
			}
		}
	}
	return all, nil
}

// releaseStore is called when a partition using ts stops: the last user
// records the checkpoint (if asked) and stream time, and closes the store.
func (w *worker) releaseStore(ts *tableStore, checkpoint bool, streamMs int64) {
	if ts.users.Add(-1) > 0 {
		return // a co-partitioned partition still uses it
	}
	if checkpoint {
		if err := ts.store.SetCheckpoint(w.checkpointOf(ts)); err != nil {
			w.log.Warn("writing table checkpoint failed", "table", ts.desc.Name, "partition", ts.partition, "error", err)
		}
	}
	if streamMs != 0 {
		_ = ts.store.SetMeta(streamTimeMeta, streamMs)
	}
	w.dropStore(ts)
}

// dropStore closes ts and forgets it.
func (w *worker) dropStore(ts *tableStore) {
	w.openMu.Lock()
	if w.open[storeKey{ts.desc.Name, ts.partition}] == ts {
		delete(w.open, storeKey{ts.desc.Name, ts.partition})
	}
	w.openMu.Unlock()
	if err := ts.store.Close(); err != nil {
		w.log.Warn("closing table store failed", "table", ts.desc.Name, "partition", ts.partition, "error", err)
	}
}

// restoreStores restores stores from their changelogs, all partitions with
// one reader. It runs in a goroutine of its own while the partitions are
// paused, so the poll loop goes on serving the other partitions and the
// group. On error the caller closes the stores.
func (w *worker) restoreStores(ctx context.Context, all []*tableStore) error {
	err := w.restore(ctx, all)
	var pe *kafka.PastEndError
	if errors.As(err, &pe) {
		// A store has seen more of its changelog than the changelog holds:
		// it belongs to another cluster, or the changelog was recreated. It
		// cannot be trusted: rebuild it from the changelog.
		for _, ts := range all {
			if ts.desc.Changelog.Name == pe.Partition.Topic && ts.partition == pe.Partition.Partition {
				w.log.Warn("table store is ahead of its changelog; discarding it and restoring from the changelog",
					"table", ts.desc.Name, "partition", ts.partition, "dir", ts.dir)
				ts.store.Close()
				if err := os.RemoveAll(ts.dir); err != nil {
					return err
				}
				st, err := state.OpenBadger(ts.dir, w.log, 30*time.Second)
				if err != nil {
					return err
				}
				ts.store, ts.from = st, 0
			}
		}
		err = w.restore(ctx, all)
	}
	return err
}

// closeStores closes stores after a failure, whoever uses them.
func (w *worker) closeStores(ts []*tableStore) {
	for _, t := range ts {
		w.dropStore(t)
	}
}

func (w *worker) openStore(td *runtime.TableDesc, partition int32) (*tableStore, error) {
	dir := filepath.Join(w.cfg.dataDir, td.Name, strconv.Itoa(int(partition)))
	st, err := state.OpenBadger(dir, w.log, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("table %q partition %d: %w", td.Name, partition, err)
	}
	from, _, err := st.Checkpoint()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("table %q partition %d: reading checkpoint: %w", td.Name, partition, err)
	}
	return &tableStore{desc: td, partition: partition, store: st, dir: dir, from: from}, nil
}

// restore reads every store's changelog partition from its checkpoint to
// the end. Within each fetched batch only the last write of a key reaches
// the store (the changelog is a log of puts: the last one wins).
func (w *worker) restore(ctx context.Context, stores []*tableStore) error {
	if len(stores) == 0 {
		return nil
	}
	start := time.Now()
	byTP := map[kafka.TopicPartition]*tableStore{}
	var starts []kafka.PartitionStart
	for _, ts := range stores {
		tp := kafka.TopicPartition{Topic: ts.desc.Changelog.Name, Partition: ts.partition}
		byTP[tp] = ts
		starts = append(starts, kafka.PartitionStart{TopicPartition: tp, From: ts.from})
		ts.next = ts.from
		ts.restored = 0
	}
	// Each store gets a writer goroutine, so Badger writes of different
	// partitions run in parallel with each other and with the fetching.
	type job struct {
		ts    *tableStore
		batch []state.KV
	}
	writers := map[*tableStore]chan job{}
	var wg sync.WaitGroup
	var werrMu sync.Mutex
	var werr error
	for _, ts := range stores {
		// One batch waiting per store: each pins its poll batch, and a
		// restore of 1,000,000 keys held ~40 MiB more with four.
		ch := make(chan job, 1)
		writers[ts] = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				if err := j.ts.store.Write(j.batch); err != nil {
					werrMu.Lock()
					werr = err
					werrMu.Unlock()
				}
			}
		}()
	}
	last := map[string]int{}
	lastLog := time.Now()
	read, err := kafka.ReadPartitions(ctx, w.kcfg, starts, func(tp kafka.TopicPartition, end int64) {
		byTP[tp].end = end
	}, func(tp kafka.TopicPartition, recs []*runtime.Record) error {
		ts := byTP[tp]
		var batch []state.KV
		batch, ts.next = coalesce(recs, last, nil)
		writers[ts] <- job{ts, batch}
		ts.restored += int64(len(recs))
		p := RestoreProgress{Table: ts.desc.Name, Partition: ts.partition, From: ts.from, End: ts.end,
			Records: ts.restored, Elapsed: time.Since(start)}
		w.restoreProgress(p)
		if time.Since(lastLog) >= 5*time.Second {
			lastLog = time.Now()
			w.log.Info("restoring table partition", "table", p.Table, "partition", p.Partition, "records", p.Records,
				"percent", int(p.Percent()), "records_per_s", int(p.Rate()))
		}
		return nil
	})
	for _, ch := range writers {
		close(ch)
	}
	wg.Wait()
	if err == nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("restoring tables from their changelogs: %w", err)
	}
	for _, ts := range stores {
		tp := kafka.TopicPartition{Topic: ts.desc.Changelog.Name, Partition: ts.partition}
		n := read[tp]
		if n > 0 {
			if err := ts.store.SetCheckpoint(ts.next); err != nil {
				return err
			}
		}
		ts.ackedNext.Store(ts.next)
		ts.committedNext.Store(ts.next)
		p := RestoreProgress{Table: ts.desc.Name, Partition: ts.partition, From: ts.from, End: max(ts.end, ts.next),
			Records: n, Done: true, Elapsed: time.Since(start)}
		w.restoreProgress(p)
		w.log.Info("table partition restored", "table", ts.desc.Name, "partition", ts.partition, "from_offset", ts.from,
			"to_offset", ts.next, "records", n, "records_per_s", int(p.Rate()), "took", p.Elapsed.Round(time.Millisecond))
	}
	return nil
}

func (w *worker) restoreProgress(p RestoreProgress) {
	for _, h := range w.cfg.hooks {
		if rh, ok := h.(RestoreHook); ok {
			rh.OnRestore(p)
		}
	}
}

// closeTables releases the partition's stores: the last partition using
// a store records its checkpoint (every write before it is acknowledged,
// since the partition was drained) and closes it.
func (w *worker) closeTables(p *partition, checkpoint bool) {
	ms := w.streamTimeOf(p)
	for _, ts := range p.stores {
		w.releaseStore(ts, checkpoint, ms)
	}
}

// streamTimeOf returns the stream time to record with a checkpoint: under
// exactly-once, the one of the last commit.
func (w *worker) streamTimeOf(p *partition) int64 {
	if w.eos {
		return p.committedStream.Load()
	}
	return p.streamMs.Load()
}

// checkpointOf returns the changelog offset up to which ts's store holds
// every write, and no write of a transaction that did not commit.
func (w *worker) checkpointOf(ts *tableStore) int64 {
	if w.eos {
		return ts.committedNext.Load()
	}
	return ts.ackedNext.Load()
}

// checkpointTables records the acknowledged changelog offsets of every
// open store; the stores hold every write up to them.
func (w *worker) checkpointTables() {
	var recs []runtime.Record
	for _, p := range w.parts {
		ms := w.streamTimeOf(p)
		for _, ts := range p.stores {
			if err := ts.store.SetCheckpoint(w.checkpointOf(ts)); err != nil {
				w.log.Warn("writing table checkpoint failed", "table", ts.desc.Name, "error", err)
			}
			if ms != 0 {
				_ = ts.store.SetMeta(streamTimeMeta, ms)
			}
			if ms != 0 && ms != p.publishedStream && ts.desc.Window != nil {
				// The changelog carries the stream time too, so a worker
				// that restores the partition from the changelog alone
				// closes its windows on the timer without a new event.
				v := make([]byte, 8)
				binary.BigEndian.PutUint64(v, uint64(ms))
				recs = append(recs, runtime.Record{Topic: ts.desc.Changelog.Name, Partition: ts.partition, Key: streamTimeKey, Value: v})
			}
		}
		if ms != 0 {
			p.publishedStream = ms
		}
	}
	if len(recs) > 0 {
		if err := w.producer.ProduceBatch(recs, make([]any, len(recs))); err != nil {
			w.log.Warn("recording stream time in the changelog failed", "error", err)
		} else if w.eos {
			w.dirty.Store(true)
		}
	}
}

// streamTimeKey is the changelog (and store) key of a windowed table
// partition's stream time: 8 bytes, big-endian ms. Like closed-window
// markers it starts with 0xff, and it is shorter than any window key.
var streamTimeKey = []byte{0xff, 's'}

// streamTimeMeta is the store meta entry holding the partition's stream
// time, so that after a restart with the data directory intact, windows
// close on the timer even if the partition gets no new event.
const streamTimeMeta = "stream-time"

// resumeStreamTime sets a partition's stream time from its stores.
func (p *partition) resumeStreamTime() {
	for _, ts := range p.stores {
		if ms, ok, err := ts.store.Meta(streamTimeMeta); err == nil && ok {
			p.observe(ms)
		}
		if ts.desc != nil && ts.desc.Window != nil {
			if v, ok, err := ts.store.Get(streamTimeKey); err == nil && ok && len(v) == 8 {
				p.observe(int64(binary.BigEndian.Uint64(v)))
			}
		}
	}
}

// laneState is what a lane's records read their tables through: a cache
// of the lane's keys (its writes not yet flushed to the store, and values
// read before), then the store. A key is always handled by one lane, so
// while one agent writes a table, a lane's cache is never stale. A table
// written by several agents (of one topic, or of co-partitioned topics)
// has one cache for all their lanes, in its tableStore, and a lane holds
// its lock while it processes a record (see lockShared): every writer
// sees every other writer's writes at once, and one key's updates never
// interleave. The writes since the last flush are the cache entries
// marked pending, listed in first-write order.
type laneState struct {
	tables []*tableStore
	caches []*tableCache // per agent table: the lane's own, or the table's shared one
	locks  []*tableCache // the shared caches, in a fixed order (table name)
	npend  int           // entries this lane made pending since its last flush
	// snaps are read views of the stores of the lane's own caches, taken
	// at the first read after a flush and dropped at the next: between
	// flushes only the lane writes such a store.
	snaps []state.Snapshot
}

// tableCache is the cache of one table partition: a lane's own, or, for a
// table with several writer agents, the one all their lanes share.
type tableCache struct {
	shared  bool
	mu      sync.Mutex // shared caches: held by a lane while it uses the cache
	entries map[string]*cached
	pending []*cached // entries written since the last flush, in first-write order
	// deferred are, under exactly-once, a shared cache's flushed batches
	// waiting for the commit, in flush order.
	deferred [][]state.KV
}

func newTableCache(shared bool) *tableCache {
	return &tableCache{shared: shared, entries: map[string]*cached{}}
}

// lock takes a shared cache's lock; a lane's own cache needs none.
func (c *tableCache) lock() {
	if c.shared {
		c.mu.Lock()
	}
}

func (c *tableCache) unlock() {
	if c.shared {
		c.mu.Unlock()
	}
}

// reset drops every entry (the lanes are stopped): after an aborted
// transaction, or once the store holds every write.
func (c *tableCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	clear(c.pending)
	c.pending = c.pending[:0]
	c.deferred = nil
}

// cached is a key's value as a lane knows it: read from the store, or
// written by the lane (then pending until the next flush, with the inputs
// whose writes it carries: their commit waits for its changelog record).
type cached struct {
	key     []byte // set once written
	v       []byte
	ok      bool
	pending bool
	fs      []*inflight
}

// laneCacheKeys bounds each lane's cache per table; past it the cache is
// emptied at the next flush. 2,048 keys per lane keep every key of a
// skewed or modest key space cached (the count benchmark's 10,000 keys
// over 8 lanes) while a lane seeing mostly new keys holds a few hundred
// KiB, not a copy of the table.
const laneCacheKeys = 2 << 10

func newLaneState(tables []*tableStore) *laneState {
	s := &laneState{tables: tables, caches: make([]*tableCache, len(tables)), snaps: make([]state.Snapshot, len(tables))}
	var shared []*tableStore
	for i, ts := range tables {
		if ts.shared != nil {
			s.caches[i] = ts.shared
			shared = append(shared, ts)
			continue
		}
		s.caches[i] = newTableCache(false)
	}
	sort.Slice(shared, func(a, b int) bool { return shared[a].desc.Name < shared[b].desc.Name })
	for _, ts := range shared {
		s.locks = append(s.locks, ts.shared)
	}
	return s
}

// lockShared takes the locks of the lane's shared caches (in table name
// order, so lanes of agents sharing several tables never deadlock), for
// the processing of one record; unlockShared releases them.
func (s *laneState) lockShared() {
	if s == nil {
		return
	}
	for _, c := range s.locks {
		c.mu.Lock()
	}
}

func (s *laneState) unlockShared() {
	if s == nil {
		return
	}
	for _, c := range s.locks {
		c.mu.Unlock()
	}
}

// Get implements runtime.State. For a shared table the caller holds its
// lock.
func (s *laneState) Get(i int, key []byte) ([]byte, bool, error) {
	if g := s.tables[i].global; g != nil {
		return g.get(key)
	}
	c := s.caches[i]
	if e, ok := c.entries[string(key)]; ok {
		return e.v, e.ok, nil
	}
	var v []byte
	var ok bool
	var err error
	if s.snaps[i] == nil && !c.shared {
		if sn, can := s.tables[i].store.(state.Snapshotter); can {
			s.snaps[i] = sn.Snapshot()
		}
	}
	if s.snaps[i] != nil {
		v, ok, err = s.snaps[i].Get(key)
	} else {
		// A shared table's store is written by other lanes' flushes too:
		// read it as it is now.
		v, ok, err = s.tables[i].store.Get(key)
	}
	if err == nil {
		c.entries[string(key)] = &cached{v: v, ok: ok}
	}
	return v, ok, err
}

// write records a write of key (a nil value deletes it) and returns its
// entry, pending until the next flush. For a shared table the caller holds
// its lock.
func (s *laneState) write(i int, key, value []byte) *cached {
	c := s.caches[i]
	e := c.entries[string(key)]
	if e == nil {
		e = &cached{}
		c.entries[string(key)] = e
	}
	if e.key == nil {
		// A copy: the key may point into the input's poll batch, which the
		// entry would otherwise hold in memory for as long as it is cached.
		e.key = bytes.Clone(key)
	}
	e.v, e.ok = value, value != nil
	if !e.pending {
		e.pending = true
		c.pending = append(c.pending, e)
		s.npend++
	}
	return e
}

// flushed is called once the lane's writes of table i are in its store:
// at least once right after the flush (under a shared table's lock),
// exactly once after the commit (for the lane's own caches only: the
// coordinator resets shared ones while every lane is stopped).
func (s *laneState) flushed(i int) {
	c := s.caches[i]
	if c.shared {
		clear(c.entries) // every entry is in the store now
		return
	}
	if len(c.entries) > laneCacheKeys {
		clear(c.entries)
	}
	if s.snaps[i] != nil {
		s.snaps[i].Close()
		s.snaps[i] = nil
	}
}

// close releases the lane's snapshots.
func (s *laneState) close() {
	for i, sn := range s.snaps {
		if sn != nil {
			sn.Close()
			s.snaps[i] = nil
		}
	}
}

// winEntry is a window a lane is responsible for: its end, and whether
// its final value was handed to the table's closers.
type winEntry struct {
	end    int64 // ms
	closed bool
}

// windowIndex returns, per agent table, the windows of a windowed table
// the lane is responsible for closing and expiring, keyed by window key:
// those in the store whose key hashes to this lane (rebuilt on every
// assignment, with their closed markers), and those the lane writes from
// then on. Nil for tables that are not windowed.
func (w *worker) windowIndex(tables []*tableStore, lane, lanes int) []map[string]*winEntry {
	out := make([]map[string]*winEntry, len(tables))
	for i, ts := range tables {
		if ts.desc.Window == nil || ts.store == nil {
			continue
		}
		idx := map[string]*winEntry{}
		closed := map[string]bool{}
		size := ts.desc.Window.Size
		err := ts.store.Scan(func(k, _ []byte) error {
			if wk, ok := runtime.SplitClosedMarker(k); ok {
				closed[string(wk)] = true
				return nil
			}
			key, start, ok := runtime.SplitWindowKey(k)
			if ok && (lanes == 1 || laneOf(&runtime.Record{Key: key}, lanes) == lane) {
				idx[string(k)] = &winEntry{end: start.Add(size).UnixMilli()}
			}
			return nil
		})
		if err != nil {
			w.log.Warn("scanning windowed table failed", "table", ts.desc.Name, "partition", ts.partition, "error", err)
		}
		for k := range closed {
			if e := idx[k]; e != nil {
				e.closed = true
			}
		}
		out[i] = idx
	}
	return out
}

// closeGroup is one closed window's work: the closers' outputs and the
// closed marker's changelog record. When all are acknowledged, the marker
// goes into the store, so a worker that restarts from this store does not
// deliver the window again; if it stops before, the window is delivered
// again (at least once).
type closeGroup struct {
	ts        *tableStore
	marker    []byte
	remaining atomic.Int32
}

// closeToken is the producer token of a record of a closeGroup.
type closeToken struct {
	g         *closeGroup
	changelog bool
}

// coalesce turns a batch of changelog records into store writes, keeping
// only the last write of each key (a changelog is a log of puts: the last
// one wins), appended to into; last is scratch space, cleared first. It
// also returns the offset after the batch.
func coalesce(recs []*runtime.Record, last map[string]int, into []state.KV) ([]state.KV, int64) {
	clear(last)
	var next int64
	for _, r := range recs {
		kv := state.KV{Key: r.Key, Value: r.Value, Delete: r.Value == nil}
		if i, ok := last[string(r.Key)]; ok {
			into[i] = kv
		} else {
			last[string(r.Key)] = len(into)
			into = append(into, kv)
		}
		next = r.Offset + 1
	}
	return into, next
}
