package worker

import (
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/observe"
)

// The hook interfaces and their events are package observe's, shared with
// the adapters that implement them (package web's Prometheus metrics and
// probes); these aliases keep the worker's own names.
type (
	// Hook is an observability hook given to WithHooks: a value
	// implementing one or more of observe's hook interfaces, which the
	// worker calls (an alias of any, so a []any of hooks can be passed as
	// is). An adapter plugs in without the worker importing it, as
	// franz-go's kgo.Hook.
	Hook = observe.Hook
	// RestoreHook is observe.RestoreHook: restore progress.
	RestoreHook = observe.RestoreHook
	// CommitHook is observe.CommitHook: commits and aborted transactions.
	CommitHook = observe.CommitHook
	// RestoreProgress is observe.RestoreProgress.
	RestoreProgress = observe.RestoreProgress
	// Commit is observe.Commit.
	Commit = observe.Commit
)

// checkHooks returns an error naming each hook that implements no hook
// interface: a typo in a method name would otherwise be silently ignored.
func checkHooks(hs []Hook) error {
	if err := observe.Check(hs); err != nil {
		return fmt.Errorf("streamgen worker: WithHooks: %w", err)
	}
	return nil
}

// hooks calls the registered hooks. Each kind is sorted out once, so the
// record path pays for the hooks it has only.
type hooks struct {
	restore   []observe.RestoreHook
	commit    []observe.CommitHook
	process   []observe.ProcessHook
	done      []observe.DoneHook
	rebalance []observe.RebalanceHook
	state     []observe.StateHook
	lag       []observe.LagHook
	tables    []observe.TableHook
	dead      []observe.DeadLetterHook
}

func newHooks(hs []Hook) *hooks {
	return &hooks{
		restore:   ofKind[observe.RestoreHook](hs),
		commit:    ofKind[observe.CommitHook](hs),
		process:   ofKind[observe.ProcessHook](hs),
		done:      ofKind[observe.DoneHook](hs),
		rebalance: ofKind[observe.RebalanceHook](hs),
		state:     ofKind[observe.StateHook](hs),
		lag:       ofKind[observe.LagHook](hs),
		tables:    ofKind[observe.TableHook](hs),
		dead:      ofKind[observe.DeadLetterHook](hs),
	}
}

// ofKind returns the hooks of hs that implement T, in order.
func ofKind[T any](hs []Hook) []T {
	var out []T
	for _, h := range hs {
		if v, ok := h.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (hs *hooks) onRestore(p RestoreProgress) {
	for _, h := range hs.restore {
		h.OnRestore(p)
	}
}

func (hs *hooks) onCommit(c Commit) {
	for _, h := range hs.commit {
		h.OnCommit(c)
	}
}

// processFunc returns the lanes' OnProcess, nil without ProcessHooks.
func (hs *hooks) processFunc() func(observe.Processed) {
	if len(hs.process) == 0 {
		return nil
	}
	return func(p observe.Processed) {
		for _, h := range hs.process {
			h.OnProcess(p)
		}
	}
}

// deadLetterFunc returns the lanes' OnDeadLetter, nil without
// DeadLetterHooks.
func (hs *hooks) deadLetterFunc() func(observe.DeadLetter) {
	if len(hs.dead) == 0 {
		return nil
	}
	return func(d observe.DeadLetter) {
		for _, h := range hs.dead {
			h.OnDeadLetter(d)
		}
	}
}

// doneFunc returns the inputs' OnDone, nil without DoneHooks.
func (hs *hooks) doneFunc() func(*lane.Input) {
	if len(hs.done) == 0 {
		return nil
	}
	return func(f *lane.Input) {
		d := observe.Done{Topic: f.Topic, Partition: f.Partition, Latency: time.Since(f.Timestamp)}
		for _, h := range hs.done {
			h.OnDone(d)
		}
	}
}

func (hs *hooks) onRebalance(r observe.Rebalance) {
	for _, h := range hs.rebalance {
		h.OnRebalance(r)
	}
}

func (hs *hooks) onState(s observe.State) {
	for _, h := range hs.state {
		h.OnState(s)
	}
}

func (hs *hooks) onLag(thread int, lags []observe.Lag) {
	for _, h := range hs.lag {
		h.OnLag(thread, lags)
	}
}

func (hs *hooks) onTables(thread int, ts []observe.TableStats) {
	for _, h := range hs.tables {
		h.OnTables(thread, ts)
	}
}

// partitions converts topic partitions to observe's.
func partitions(tps []kafka.TopicPartition) []observe.Partition {
	out := make([]observe.Partition, len(tps))
	for i, tp := range tps {
		out[i] = observe.Partition{Topic: tp.Topic, Partition: tp.Partition}
	}
	return out
}
