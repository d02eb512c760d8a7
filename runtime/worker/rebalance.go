package worker

import (
	"fmt"

	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
)

// Assigned implements kafka.RebalanceHandler: it runs inside Poll. The new
// partitions' stores are opened (their checkpoints read) here; partitions
// without tables start at once under at least once; the others are
// returned to be assigned paused, and start once a job in the background
// has read their committed offsets and restored their stores (restoreJob).
func (t *thread) Assigned(tps []kafka.TopicPartition) (pause []kafka.TopicPartition) {
	if t.standby != nil {
		t.standby.assigned(tps)
	}
	t.joined = true
	t.w.hooks.onRebalance(observe.Rebalance{Thread: t.id, Assigned: partitions(tps)})
	defer t.reportState()
	var ps []*partition
	for _, tp := range tps {
		if t.parts[tp] != nil || t.restoring[tp] != nil {
			continue
		}
		if t.w.topo.inputOf(tp.Topic) != tp.Topic {
			// A repartition topic's partition p runs in input partition p,
			// assigned with it (range assignor).
			continue
		}
		ps = append(ps, newPartition(tp, t.w.topo.byTopic[tp.Topic]))
	}
	if len(tps) > 0 {
		t.log.Info("partitions assigned", "partitions", fmt.Sprint(tps))
	}
	stores, err := t.stores.openTables(ps)
	if err != nil {
		t.fail(fmt.Errorf("streamgen worker: partitions %v: %w", tps, err))
		return nil
	}
	var waiting []*partition
	for _, p := range ps {
		// The leader topic's partition runs no agent: it starts at once.
		if len(p.stores) == 0 && (!t.w.exactlyOnce || p.tp.Topic == t.w.topo.leader) {
			t.start(p)
		} else {
			waiting = append(waiting, p)
			pause = append(pause, p.tps()...)
		}
	}
	if len(waiting) > 0 {
		t.startRestore(waiting, stores)
	}
	for _, p := range ps {
		if p.tp.Topic == t.w.topo.leader {
			t.lead(p.tp)
		}
	}
	return pause
}

// Revoked implements kafka.RebalanceHandler: it runs inside Poll. Restores
// of the partitions stop; the committer hands running partitions back
// (lost: without committing); standby replicas follow the new ownership.
func (t *thread) Revoked(tps []kafka.TopicPartition, lost bool) {
	if len(tps) > 0 {
		t.log.Info("partitions revoked", "partitions", fmt.Sprint(tps), "lost", lost)
	}
	t.stopRestores(tps)
	leaving := t.leavingTickers(tps)
	t.commit.revoke(tps, lost)
	if !lost {
		t.handOver(leaving)
	}
	t.unlead(tps)
	if t.standby != nil {
		t.standby.revoked(tps)
	}
	if lost {
		t.joined = false // until the group gives the thread an assignment again
	}
	t.w.hooks.onRebalance(observe.Rebalance{Thread: t.id, Revoked: partitions(tps), Lost: lost})
	t.reportState()
}

// takeParts removes the running partitions of tps from the thread and
// returns them.
func (t *thread) takeParts(tps []kafka.TopicPartition) []*partition {
	var ps []*partition
	for _, tp := range tps {
		if p := t.parts[tp]; p != nil {
			ps = append(ps, p)
			delete(t.parts, tp)
		}
	}
	return ps
}

// running returns the running partitions' names.
func (t *thread) running() []kafka.TopicPartition {
	tps := make([]kafka.TopicPartition, 0, len(t.parts))
	for tp := range t.parts {
		tps = append(tps, tp)
	}
	return tps
}
