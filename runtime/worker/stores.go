package worker

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// storeSet is a stream thread's open table stores (goka's PartitionTable
// set): one per table partition, shared by partition p of every topic
// whose agents write the table (co-partitioned inputs), opened by the
// first such partition assigned and closed by the last one revoked.
type storeSet struct {
	w    *worker
	log  *slog.Logger
	mu   sync.Mutex // guards open
	open map[storeKey]*lane.Table
}

// storeKey names a table partition's store.
type storeKey struct {
	table     string
	partition int32
}

func newStoreSet(w *worker, log *slog.Logger) *storeSet {
	return &storeSet{w: w, log: log, open: map[storeKey]*lane.Table{}}
}

// openStore opens the store in dir with the worker's storage builder
// (state.BadgerBuilder unless WithStorage says otherwise) and reads its
// checkpoint. Every store of the worker is opened here: owned partitions,
// standby replicas, global tables.
func openStore(w *worker, log *slog.Logger, td *runtime.TableDesc, partition int32, dir string) (*lane.Table, error) {
	st, err := w.cfg.storage(dir, log)
	if err != nil {
		return nil, fmt.Errorf("table %q partition %d: %w", td.Name, partition, err)
	}
	from, _, err := st.Checkpoint()
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("table %q partition %d: reading checkpoint: %w", td.Name, partition, err)
	}
	return &lane.Table{Desc: td, Partition: partition, Store: st, Dir: dir, From: from}, nil
}

// tableDir is where a table partition's store lives.
func (w *worker) tableDir(table string, partition int32) string {
	return filepath.Join(w.cfg.dataDir, table, strconv.Itoa(int(partition)))
}

// openTables opens the stores of the tables the partitions' agents use and
// returns them (each once). It runs in the poll goroutine, inside the
// assignment; the restore brings them up to date afterwards.
func (s *storeSet) openTables(ps []*partition) ([]*lane.Table, error) {
	var opened, reused []*lane.Table
	for _, p := range ps {
		byName := map[string]*lane.Table{}
		p.tables = make([][]*lane.Table, len(p.agents))
		for i, ag := range p.agents {
			for _, td := range ag.Desc.Tables {
				if td.Global {
					p.tables[i] = append(p.tables[i], &lane.Table{Desc: td, Global: s.w.globals.tables[td.Name]})
					continue
				}
				ts := byName[td.Name]
				if ts == nil {
					var isNew bool
					var err error
					if ts, isNew, err = s.acquire(td, p.tp.Partition); err != nil {
						s.undo(opened, reused)
						return nil, err
					}
					if isNew {
						opened = append(opened, ts)
					} else if !slices.Contains(opened, ts) {
						reused = append(reused, ts)
					}
					byName[td.Name] = ts
					p.stores = append(p.stores, ts)
				}
				p.tables[i] = append(p.tables[i], ts)
			}
		}
	}
	return opened, nil
}

// acquire returns the open store of a table partition (another input
// topic's partition p opened it; in the same call, it is restored once for
// both), or opens it; isNew says which.
func (s *storeSet) acquire(td *runtime.TableDesc, partition int32) (ts *lane.Table, isNew bool, err error) {
	key := storeKey{td.Name, partition}
	s.mu.Lock()
	ts = s.open[key]
	s.mu.Unlock()
	if ts != nil {
		ts.Users.Add(1)
		return ts, false, nil
	}
	if ts, err = openStore(s.w, s.log, td, partition, s.w.tableDir(td.Name, partition)); err != nil {
		return nil, false, err
	}
	ts.Users.Store(1)
	if s.w.topo.writers[td.Name] > 1 {
		ts.Shared = lane.NewCache(true)
	}
	s.mu.Lock()
	s.open[key] = ts
	s.mu.Unlock()
	return ts, true, nil
}

// lookup returns the open store of a table partition, or nil.
func (s *storeSet) lookup(table string, partition int32) *lane.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[storeKey{table, partition}]
}

// all returns the open stores.
func (s *storeSet) all() []*lane.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*lane.Table, 0, len(s.open))
	for _, ts := range s.open {
		out = append(out, ts)
	}
	return out
}

// undo releases what a failed openTables acquired.
func (s *storeSet) undo(opened, reused []*lane.Table) {
	for _, ts := range reused {
		s.release(ts, -1, 0)
	}
	for _, ts := range opened {
		s.drop(ts)
	}
}

// release is called when a partition using ts stops: the last user
// records the checkpoint (unless it is -1) and stream time (unless 0),
// and closes the store.
func (s *storeSet) release(ts *lane.Table, checkpoint, streamMs int64) {
	if ts.Users.Add(-1) > 0 {
		return // a co-partitioned partition still uses it
	}
	if checkpoint >= 0 {
		if err := ts.Store.SetCheckpoint(checkpoint); err != nil {
			s.log.Warn("writing table checkpoint failed", "table", ts.Desc.Name, "partition", ts.Partition, "error", err)
		}
	}
	if streamMs != 0 && !ts.Desc.FromTopic {
		_ = ts.Store.SetMeta(windows.StreamTimeMeta, streamMs)
	}
	s.drop(ts)
}

// drop closes ts and forgets it, whoever uses it (after a failure).
func (s *storeSet) drop(ts *lane.Table) {
	ts.Serve(false)
	key := storeKey{ts.Desc.Name, ts.Partition}
	s.mu.Lock()
	if s.open[key] == ts {
		delete(s.open, key)
	}
	s.mu.Unlock()
	if err := ts.Store.Close(); err != nil {
		s.log.Warn("closing table store failed", "table", ts.Desc.Name, "partition", ts.Partition, "error", err)
	}
}

// checkpointTables records, every second, each running partition's
// stores' checkpoints and stream time; windowed tables also get the
// stream time in their changelog, so a worker that restores the partition
// from the changelog alone closes its windows on the timer without a new
// event.
func (t *thread) checkpointTables() {
	if t.failure() != nil {
		return // the thread stops; its clients may be gone
	}
	var recs []runtime.Record
	for _, p := range t.parts {
		ms := t.commit.streamTime(p)
		for _, ts := range p.stores {
			if err := ts.Store.SetCheckpoint(t.commit.checkpoint(ts)); err != nil {
				t.log.Warn("writing table checkpoint failed", "table", ts.Desc.Name, "error", err)
			}
			if ms == 0 || ts.Desc.FromTopic {
				// A table fed from a topic is shared by partitions of
				// other topics, whose stream times are their own.
				continue
			}
			_ = ts.Store.SetMeta(windows.StreamTimeMeta, ms)
			if ms != p.publishedStream && ts.Desc.Window != nil {
				recs = append(recs, ts.Changelog(windows.StreamTimeKey, windows.EncodeStreamTime(ms)))
			}
		}
		if ms != 0 {
			p.publishedStream = ms
		}
	}
	if len(recs) > 0 {
		if err := t.commit.produceAside(recs); err != nil {
			t.log.Warn("recording stream time in the changelog failed", "error", err)
		}
	}
}
