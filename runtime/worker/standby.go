package worker

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

type standbyKey struct {
	table     string
	partition int32
}

// standbys follows changelogs of partitions the thread does not own, with
// one long-lived consumer (kafka.FollowPartitions) for the whole set; the
// follower is replaced only when the set changes (an assignment or a
// revocation) or after it failed.
type standbys struct {
	t      *thread
	n      int
	tables []*runtime.TableDesc

	mu      sync.Mutex // guards what follows; Assigned waits for it
	owned   map[int32]int
	stores  map[standbyKey]*lane.Table
	cancel  context.CancelFunc // the running follower, or nil
	done    chan struct{}      // closed when the follower returns
	failed  atomic.Bool        // the follower returned on its own
	changed chan struct{}      // the owned set changed
}

func newStandbys(t *thread, n int) *standbys {
	seen := map[string]bool{}
	var tables []*runtime.TableDesc
	for _, ag := range t.w.app.Agents() {
		for _, t := range ag.Desc.Tables {
			if !seen[t.Name] && !t.Global {
				seen[t.Name] = true
				tables = append(tables, t)
			}
		}
	}
	return &standbys{t: t, n: n, tables: tables, owned: map[int32]int{}, stores: map[standbyKey]*lane.Table{},
		changed: make(chan struct{}, 1)}
}

func (s *standbys) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// stopLocked stops the follower and waits for it, so nothing writes the
// standby stores any more.
func (s *standbys) stopLocked() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
		s.cancel = nil
	}
}

// assigned marks partitions owned and closes their standby stores, so the
// owner can open them.
func (s *standbys) assigned(tps []kafka.TopicPartition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	for _, tp := range tps {
		s.owned[tp.Partition]++
		for k, ts := range s.stores {
			if k.partition == tp.Partition {
				ts.Serve(false)
				if err := ts.Store.Close(); err != nil {
					s.t.log.Warn("closing standby store failed", "table", k.table, "partition", k.partition, "error", err)
				}
				delete(s.stores, k)
			}
		}
	}
	s.signal()
}

func (s *standbys) revoked(tps []kafka.TopicPartition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tp := range tps {
		if s.owned[tp.Partition]--; s.owned[tp.Partition] <= 0 {
			delete(s.owned, tp.Partition)
		}
	}
	s.signal()
}

// run keeps the follower following the desired partitions until ctx
// ends; interval is how soon a failed follower is replaced.
func (s *standbys) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	defer s.close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.changed:
		}
		s.refresh(ctx)
	}
}

func (s *standbys) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	for k, ts := range s.stores {
		ts.Serve(false)
		_ = ts.Store.Close()
		delete(s.stores, k)
	}
}

// all returns the standby stores.
func (s *standbys) all() []*lane.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*lane.Table, 0, len(s.stores))
	for _, ts := range s.stores {
		out = append(out, ts)
	}
	return out
}

// lookup returns the standby store of a table partition, or nil.
func (s *standbys) lookup(table string, partition int32) *lane.Table {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stores[standbyKey{table, partition}]
}

func (s *standbys) desired(t *runtime.TableDesc) map[int32]bool {
	want := map[int32]bool{}
	n := t.Changelog.Partitions
	for p := range s.owned {
		for i, k := int32(1), 0; i < n && k < s.n; i++ {
			q := (p + i) % n
			if _, own := s.owned[q]; own {
				continue
			}
			want[q] = true
			k++
		}
	}
	return want
}

// refresh makes the followed set the desired one: when it differs (or the
// follower failed), it stops the follower, opens and closes stores, and
// starts a new follower from each store's checkpoint.
func (s *standbys) refresh(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := s.wanted()
	same := s.cancel != nil && !s.failed.Load() && len(keep) == len(s.stores)
	for k := range keep {
		same = same && s.stores[k] != nil
	}
	if same {
		return
	}
	s.stopLocked()
	s.failed.Store(false)
	s.openWanted(keep)
	var starts []kafka.PartitionStart
	f := newFollower()
	for k, ts := range s.stores {
		if !keep[k] {
			ts.Serve(false)
			_ = ts.Store.Close()
			delete(s.stores, k)
			continue
		}
		if cp, ok, err := ts.Store.Checkpoint(); err == nil && ok {
			ts.From = cp
		}
		starts = append(starts, f.add(kafka.TopicPartition{Topic: ts.Desc.Changelog.Name, Partition: ts.Partition}, ts))
	}
	if len(starts) > 0 {
		s.follow(ctx, starts, f)
	}
}

// wanted returns the standby stores the owned partitions call for.
func (s *standbys) wanted() map[standbyKey]bool {
	keep := map[standbyKey]bool{}
	for _, t := range s.tables {
		for p := range s.desired(t) {
			keep[standbyKey{t.Name, p}] = true
		}
	}
	return keep
}

// openWanted opens the wanted stores not open yet; one that fails to open
// is logged and left out until the next refresh.
func (s *standbys) openWanted(keep map[standbyKey]bool) {
	for k := range keep {
		if s.stores[k] != nil {
			continue
		}
		i := slices.IndexFunc(s.tables, func(t *runtime.TableDesc) bool { return t.Name == k.table })
		td := s.tables[i]
		ts, err := openStore(s.t.w, s.t.log, td, k.partition, s.t.w.tableDir(td.Name, k.partition))
		if err != nil {
			s.t.log.Warn("opening standby store failed", "table", k.table, "partition", k.partition, "error", err)
			continue
		}
		ts.Serve(true) // table queries that accept a standby may read it
		s.stores[k] = ts
	}
}

// follow starts the follower of starts; it runs until its context is
// cancelled (stopLocked) or it fails (then the next refresh replaces it).
func (s *standbys) follow(ctx context.Context, starts []kafka.PartitionStart, f *follower) {
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.cancel, s.done = cancel, done
	go func() {
		defer close(done)
		err := kafka.FollowPartitions(fctx, s.t.kcfg, starts, f.apply)
		if fctx.Err() == nil {
			s.t.log.Warn("standby follower stopped; restarting it", "error", err)
			s.failed.Store(true) // not the mutex: stopLocked may hold it, waiting for done
		}
	}()
}
