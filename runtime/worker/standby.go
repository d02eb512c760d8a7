package worker

import (
	"context"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// WithStandbyReplicas makes each stream thread keep warm copies of up to n
// partitions per table that it does not own: it follows their changelogs
// into stores under the data directory, so that when the group gives it
// one of them (a failover), it restores only the tail written since its
// last catch-up instead of the whole changelog. It picks, for each
// partition it owns, the partitions that follow it in ring order (with 8
// partitions, owning 0 and 1 and n = 2, it follows 2 and 3). Default: 0.
func WithStandbyReplicas(n int) Option {
	return optionFunc(func(c *config) { c.standbys = n })
}

type standbyKey struct {
	table     string
	partition int32
}

// standbys follows changelogs of partitions the thread does not own.
type standbys struct {
	w      *worker
	n      int
	tables []*runtime.TableDesc

	mu     sync.Mutex // held during catch-ups; Assigned waits for it
	owned  map[int32]int
	stores map[standbyKey]*tableStore
}

func newStandbys(w *worker, n int) *standbys {
	seen := map[string]bool{}
	var tables []*runtime.TableDesc
	for _, ag := range w.app.Agents() {
		for _, t := range ag.Desc.Tables {
			if !seen[t.Name] && !t.Global {
				seen[t.Name] = true
				tables = append(tables, t)
			}
		}
	}
	return &standbys{w: w, n: n, tables: tables, owned: map[int32]int{}, stores: map[standbyKey]*tableStore{}}
}

// assigned marks partitions owned and closes their standby stores, so the
// owner can open them.
func (s *standbys) assigned(tps []kafka.TopicPartition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tp := range tps {
		s.owned[tp.Partition]++
		for k, ts := range s.stores {
			if k.partition == tp.Partition {
				if err := ts.store.Close(); err != nil {
					s.w.log.Warn("closing standby store failed", "table", k.table, "partition", k.partition, "error", err)
				}
				delete(s.stores, k)
			}
		}
	}
}

func (s *standbys) revoked(tps []kafka.TopicPartition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tp := range tps {
		if s.owned[tp.Partition]--; s.owned[tp.Partition] <= 0 {
			delete(s.owned, tp.Partition)
		}
	}
}

// run catches the standby stores up every interval until ctx ends.
func (s *standbys) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	defer s.close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.catchUp(ctx)
		}
	}
}

func (s *standbys) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, ts := range s.stores {
		_ = ts.store.Close()
		delete(s.stores, k)
	}
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

func (s *standbys) catchUp(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keep := map[standbyKey]bool{}
	for _, t := range s.tables {
		for p := range s.desired(t) {
			keep[standbyKey{t.Name, p}] = true
			if s.stores[standbyKey{t.Name, p}] == nil {
				ts, err := s.w.openStore(t, p)
				if err != nil {
					s.w.log.Warn("opening standby store failed", "table", t.Name, "partition", p, "error", err)
					continue
				}
				s.stores[standbyKey{t.Name, p}] = ts
			}
		}
	}
	var starts []kafka.PartitionStart
	byTP := map[kafka.TopicPartition]*tableStore{}
	for k, ts := range s.stores {
		if !keep[k] {
			_ = ts.store.Close()
			delete(s.stores, k)
			continue
		}
		if cp, ok, err := ts.store.Checkpoint(); err == nil && ok {
			ts.from = cp
		}
		tp := kafka.TopicPartition{Topic: ts.desc.Changelog.Name, Partition: ts.partition}
		byTP[tp] = ts
		starts = append(starts, kafka.PartitionStart{TopicPartition: tp, From: ts.from})
	}
	if len(starts) == 0 {
		return
	}
	// Bound each catch-up, so an assignment waiting for the lock is not
	// held up long; progress is checkpointed batch by batch.
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	last := map[string]int{}
	var batch []state.KV
	_, err := kafka.ReadPartitions(cctx, s.w.kcfg, starts, nil, func(tp kafka.TopicPartition, recs []*runtime.Record) error {
		ts := byTP[tp]
		var next int64
		batch, next = coalesce(recs, last, batch[:0])
		if err := ts.store.Write(batch); err != nil {
			return err
		}
		ts.from = next
		return ts.store.SetCheckpoint(next)
	})
	if err != nil && cctx.Err() == nil && ctx.Err() == nil {
		s.w.log.Warn("standby catch-up failed", "error", err)
	}
}
