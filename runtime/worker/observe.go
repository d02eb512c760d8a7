package worker

import (
	"slices"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/state"
)

// What a stream thread reports to the hooks of package observe beyond the
// record path: its state (joined, partitions owned and restoring) when it
// changes, its partitions' lag about every second, and its stores' sizes
// and standby lag about every 10 seconds.

// reportState tells the StateHooks the thread's state. Poll goroutine
// only.
func (t *thread) reportState() {
	if len(t.w.hooks.state) == 0 {
		return
	}
	owned := append(t.running(), t.restoringPartitions()...)
	slices.SortFunc(owned, compareTP)
	restoring := t.restoringPartitions()
	slices.SortFunc(restoring, compareTP)
	t.w.hooks.onState(observe.State{Thread: t.id, Threads: t.w.cfg.threads, Joined: t.joined,
		Owned: partitions(owned), Restoring: partitions(restoring)})
}

// reportLag tells the LagHooks each running partition source's position
// (the next offset to hand to the lanes) and high watermark, as the
// consumer last fetched it. It also serves as the thread's heartbeat, so
// it is called with no partitions too. Poll goroutine only.
func (t *thread) reportLag() {
	if len(t.w.hooks.lag) == 0 || t.consumer == nil {
		return
	}
	var lags []observe.Lag
	for _, p := range t.parts {
		for _, s := range p.srcs {
			hw := t.consumer.HighWatermark(s.tp)
			pos := s.next
			if pos < 0 {
				pos = hw // nothing handed out yet: at the end, or not fetched (hw -1)
			}
			lags = append(lags, observe.Lag{Partition: observe.Partition{Topic: s.tp.Topic, Partition: s.tp.Partition},
				Position: pos, HighWatermark: hw})
		}
	}
	t.w.hooks.onLag(t.id, lags)
}

// tableStatsEvery is how often reportTables runs: each standby store
// costs one watermark request to its changelog's leader.
const tableStatsEvery = 10 * time.Second

// reportTables tells the TableHooks the size of every store the thread
// holds and how far its standby stores are behind their changelogs, in a
// goroutine of its own (one request per standby store: the poll loop
// must not wait for them); a report still running skips the next.
func (t *thread) reportTables() {
	if len(t.w.hooks.tables) == 0 || !t.reporting.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer t.reporting.Store(false)
		t.w.hooks.onTables(t.id, t.tableStats())
	}()
}

// tableStats gathers what reportTables reports.
func (t *thread) tableStats() []observe.TableStats {
	var stats []observe.TableStats
	for _, ts := range t.stores.all() {
		stats = append(stats, observe.TableStats{Table: ts.Desc.Name, Partition: ts.Partition, Keys: estimateKeys(ts)})
	}
	if t.standby != nil {
		for _, ts := range t.standby.all() {
			stats = append(stats, observe.TableStats{Table: ts.Desc.Name, Partition: ts.Partition, Standby: true,
				Keys: estimateKeys(ts), LagRecords: standbyLag(t.w.groups, ts)})
		}
	}
	return stats
}

// estimateKeys asks a store for its key count, -1 if it cannot say.
func estimateKeys(ts *lane.Table) int64 {
	n := int64(-1)
	_, _ = ts.Read(func(st state.Store) error {
		if e, ok := st.(state.KeyEstimator); ok {
			n = e.EstimateKeys()
		}
		return nil
	})
	return n
}

func compareTP(a, b kafka.TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition - b.Partition)
}
