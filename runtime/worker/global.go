package worker

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
)

// globalTable is a table every worker holds whole: one store per
// partition of its source topic, loaded at start and then followed.
type globalTable struct {
	desc   *runtime.TableDesc
	stores []*tableStore
}

func (g *globalTable) get(key []byte) ([]byte, bool, error) {
	p := runtime.Partition(key, int32(len(g.stores)))
	return g.stores[p].store.Get(key)
}

// globals are the app's global tables, shared by a worker's threads.
type globals struct {
	w      *worker // for options, logger and Kafka config
	tables map[string]*globalTable
}

// openGlobals opens and loads every global table of the app before the
// worker consumes anything, so agents never read a half-loaded table.
func openGlobals(w *worker) (*globals, error) {
	gs := &globals{w: w, tables: map[string]*globalTable{}}
	for _, ag := range w.app.Agents() {
		for _, td := range ag.Desc.Tables {
			if !td.Global || gs.tables[td.Name] != nil {
				continue
			}
			g := &globalTable{desc: td}
			for p := int32(0); p < td.Source.Partitions; p++ {
				dir := filepath.Join(w.cfg.dataDir, "global", td.Name, strconv.Itoa(int(p)))
				st, err := state.OpenBadger(dir, w.log, 30*time.Second)
				if err != nil {
					gs.close()
					return nil, fmt.Errorf("global table %q: %w", td.Name, err)
				}
				from, _, err := st.Checkpoint()
				if err != nil {
					st.Close()
					gs.close()
					return nil, err
				}
				g.stores = append(g.stores, &tableStore{desc: td, partition: p, store: st, dir: dir, from: from})
			}
			gs.tables[td.Name] = g
		}
	}
	start := time.Now()
	n, err := gs.catchUp(w.procCtx, false)
	if err != nil {
		gs.close()
		return nil, err
	}
	if len(gs.tables) > 0 {
		w.log.Info("global tables loaded", "tables", len(gs.tables), "records", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return gs, nil
}

// catchUp reads every global table's topic from its stores' checkpoints
// to the current end; with follow, it goes on reading as records arrive,
// with the same consumer, until ctx ends.
func (gs *globals) catchUp(ctx context.Context, follow bool) (int64, error) {
	var starts []kafka.PartitionStart
	byTP := map[kafka.TopicPartition]*tableStore{}
	for _, g := range gs.tables {
		for _, ts := range g.stores {
			tp := kafka.TopicPartition{Topic: g.desc.Source.Name, Partition: ts.partition}
			byTP[tp] = ts
			starts = append(starts, kafka.PartitionStart{TopicPartition: tp, From: ts.from})
		}
	}
	if len(starts) == 0 {
		return 0, nil
	}
	last := map[string]int{}
	var batch []state.KV
	apply := func(tp kafka.TopicPartition, recs []*runtime.Record) error {
		ts := byTP[tp]
		var next int64
		batch, next = coalesce(recs, last, batch[:0])
		if err := ts.store.Write(batch); err != nil {
			return err
		}
		ts.from = next
		return ts.store.SetCheckpoint(next)
	}
	if follow {
		return 0, kafka.FollowPartitions(ctx, gs.w.kcfg, starts, apply)
	}
	read, err := kafka.ReadPartitions(ctx, gs.w.kcfg, starts, nil, apply)
	var n int64
	for _, c := range read {
		n += c
	}
	return n, err
}

// follow keeps the global tables up to date until ctx ends, with one
// long-lived consumer; after a failure it starts again from the stores'
// checkpoints a second later.
func (gs *globals) follow(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := gs.catchUp(ctx, true); err != nil && ctx.Err() == nil {
			gs.w.log.Warn("following global tables failed; retrying", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (gs *globals) close() {
	for _, g := range gs.tables {
		for _, ts := range g.stores {
			_ = ts.store.Close()
		}
	}
}
