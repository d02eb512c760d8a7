package worker

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// globalTable is a table every worker holds whole: one store per
// partition of its source topic, loaded at start and then followed.
type globalTable struct {
	desc   *runtime.TableDesc
	stores []*lane.Table
}

// Get reads key from the store of its partition (the producer's
// partitioner, runtime.Partition).
func (g *globalTable) Get(key []byte) ([]byte, bool, error) {
	p := runtime.Partition(key, int32(len(g.stores)))
	return g.stores[p].Store.Get(key)
}

// globals are the app's global tables, shared by a worker's threads.
type globals struct {
	w      *worker
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
			gs.tables[td.Name] = g
			for p := int32(0); p < td.Source.Partitions; p++ {
				dir := filepath.Join(w.cfg.dataDir, "global", td.Name, strconv.Itoa(int(p)))
				ts, err := openStore(w, w.log, td, p, dir)
				if err != nil {
					gs.close()
					return nil, fmt.Errorf("global table %q: %w", td.Name, err)
				}
				g.stores = append(g.stores, ts)
			}
		}
	}
	start := time.Now()
	n, err := gs.catchUp(w.procCtx, false)
	if err != nil {
		gs.close()
		return nil, err
	}
	for _, g := range gs.tables {
		for _, ts := range g.stores {
			ts.Serve(true) // loaded: table queries may read it
		}
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
	f := newFollower()
	var starts []kafka.PartitionStart
	for _, g := range gs.tables {
		for _, ts := range g.stores {
			starts = append(starts, f.add(kafka.TopicPartition{Topic: g.desc.Source.Name, Partition: ts.Partition}, ts))
		}
	}
	if len(starts) == 0 {
		return 0, nil
	}
	if follow {
		return 0, kafka.FollowPartitions(ctx, gs.w.kcfg, starts, f.apply)
	}
	read, err := kafka.ReadPartitions(ctx, gs.w.kcfg, starts, nil, f.apply)
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
			ts.Serve(false) // waits for table queries reading it
			_ = ts.Store.Close()
		}
	}
}
