package worker

import (
	"slices"

	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
)

// What a stream thread reports to the hooks of package observe beyond the
// record path: its state (joined, partitions owned and restoring) when it
// changes, and its partitions' lag about every second.

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

func compareTP(a, b kafka.TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition - b.Partition)
}
