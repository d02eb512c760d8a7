package worker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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
	// Done is set on the last report of a restore.
	Done bool
	// Elapsed is the time since the restore started.
	Elapsed time.Duration
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
// hook interfaces of this package (RestoreHook). Default: none.
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
	ackedNext atomic.Int64 // changelog offset after the last acknowledged write
}

// changelogToken is the producer token of a changelog write.
type changelogToken struct {
	f  *inflight
	ts *tableStore
}

// openTables opens and restores the stores of the tables the partition's
// agents use. It runs in the poll goroutine, inside the assignment.
func (w *worker) openTables(p *partition) error {
	byName := map[string]*tableStore{}
	p.tables = make([][]*tableStore, len(p.agents))
	for i, ag := range p.agents {
		for _, td := range ag.Desc.Tables {
			ts := byName[td.Name]
			if ts == nil {
				var err error
				ts, err = w.openTable(td, p.tp.Partition)
				if err != nil {
					return err
				}
				byName[td.Name] = ts
				p.stores = append(p.stores, ts)
			}
			p.tables[i] = append(p.tables[i], ts)
		}
	}
	return nil
}

func (w *worker) openTable(td *runtime.TableDesc, partition int32) (*tableStore, error) {
	dir := filepath.Join(w.cfg.dataDir, td.Name, strconv.Itoa(int(partition)))
	ts, err := w.restoreTable(td, partition, dir)
	if errors.Is(err, kafka.ErrPastEnd) {
		// The store has seen more of the changelog than the changelog
		// holds: it belongs to another cluster, or the changelog was
		// recreated. It cannot be trusted: rebuild it from the changelog.
		w.log.Warn("table store is ahead of its changelog; discarding it and restoring from the changelog",
			"table", td.Name, "partition", partition, "dir", dir, "reason", err)
		if err := os.RemoveAll(dir); err != nil {
			return nil, err
		}
		ts, err = w.restoreTable(td, partition, dir)
	}
	return ts, err
}

func (w *worker) restoreTable(td *runtime.TableDesc, partition int32, dir string) (*tableStore, error) {
	st, err := state.OpenBadger(dir, w.log, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("table %q partition %d: %w", td.Name, partition, err)
	}
	ts := &tableStore{desc: td, partition: partition, store: st}
	from, _, err := st.Checkpoint()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("table %q partition %d: reading checkpoint: %w", td.Name, partition, err)
	}
	start := time.Now()
	progress := RestoreProgress{Table: td.Name, Partition: partition, From: from}
	next := from
	read, err := kafka.ReadPartition(w.procCtx, w.kcfg, td.Changelog.Name, partition, from, func(recs []*runtime.Record) error {
		batch := make([]state.KV, len(recs))
		for i, r := range recs {
			batch[i] = state.KV{Key: r.Key, Value: r.Value, Delete: r.Value == nil}
			next = r.Offset + 1
		}
		if err := st.Write(batch); err != nil {
			return err
		}
		progress.Records += int64(len(recs))
		progress.Elapsed = time.Since(start)
		w.restoreProgress(progress)
		return nil
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("table %q partition %d: restoring from changelog %q: %w", td.Name, partition, td.Changelog.Name, err)
	}
	if read > 0 {
		if err := st.SetCheckpoint(next); err != nil {
			st.Close()
			return nil, err
		}
	}
	progress.Records, progress.Elapsed, progress.Done = read, time.Since(start), true
	w.restoreProgress(progress)
	w.log.Info("table partition restored", "table", td.Name, "partition", partition, "from_offset", from,
		"records", read, "records_per_s", int(progress.Rate()), "took", progress.Elapsed.Round(time.Millisecond))
	ts.ackedNext.Store(next)
	return ts, nil
}

func (w *worker) restoreProgress(p RestoreProgress) {
	for _, h := range w.cfg.hooks {
		if rh, ok := h.(RestoreHook); ok {
			rh.OnRestore(p)
		}
	}
}

// closeTables records each store's checkpoint (every write before it is
// acknowledged, since the partition was drained) and closes it.
func (w *worker) closeTables(p *partition, checkpoint bool) {
	for _, ts := range p.stores {
		if checkpoint {
			if err := ts.store.SetCheckpoint(ts.ackedNext.Load()); err != nil {
				w.log.Warn("writing table checkpoint failed", "table", ts.desc.Name, "partition", ts.partition, "error", err)
			}
		}
		if err := ts.store.Close(); err != nil {
			w.log.Warn("closing table store failed", "table", ts.desc.Name, "partition", ts.partition, "error", err)
		}
	}
}

// checkpointTables records the acknowledged changelog offsets of every
// open store; the stores hold every write up to them.
func (w *worker) checkpointTables() {
	for _, p := range w.parts {
		for _, ts := range p.stores {
			if err := ts.store.SetCheckpoint(ts.ackedNext.Load()); err != nil {
				w.log.Warn("writing table checkpoint failed", "table", ts.desc.Name, "error", err)
			}
		}
	}
}

// laneState is what a lane's records read their tables through: the
// lane's writes not yet flushed to the store, then the store. A key is
// always handled by one lane, so lanes never see each other's keys.
type laneState struct {
	tables  []*tableStore
	overlay []map[string][]byte // per agent table; nil value: deleted
	mu      sync.Mutex
}

func newLaneState(tables []*tableStore) *laneState {
	s := &laneState{tables: tables, overlay: make([]map[string][]byte, len(tables))}
	for i := range s.overlay {
		s.overlay[i] = map[string][]byte{}
	}
	return s
}

// Get implements runtime.State.
func (s *laneState) Get(i int, key []byte) ([]byte, bool, error) {
	if v, ok := s.overlay[i][string(key)]; ok {
		return v, v != nil, nil
	}
	return s.tables[i].store.Get(key)
}
