package worker

import (
	"fmt"
	"time"
)

// Hook is an observability hook given to WithHooks: a value implementing
// one or more of the hook interfaces below, which the worker calls (an
// alias of any, so a []any of hooks can be passed as is). An
// adapter (Prometheus, OpenTelemetry) plugs in without the worker
// importing it, as franz-go's kgo.Hook.
type Hook = any

// RestoreHook is implemented by hooks that want restore progress, e.g. to
// export it as a metric. It is called from the goroutine that restores,
// at least once per restored batch and once when done.
type RestoreHook interface {
	OnRestore(RestoreProgress)
}

// CommitHook is implemented by hooks that want to observe exactly-once
// commits, e.g. to export commit latency as a metric. It is called from
// the poll goroutine after each commit, after each transaction that failed
// to commit (Commit.Err), and when aborting one failed too (Commit.Err,
// then the producer is replaced).
type CommitHook interface {
	OnCommit(Commit)
}

// RestoreProgress reports a table partition's restore from its changelog.
type RestoreProgress struct {
	// Table names the table.
	Table string
	// Partition is the changelog partition.
	Partition int32
	// From is the changelog offset the store reflected before the restore.
	From int64
	// Records is how many changelog records were read so far.
	Records int64
	// End is the changelog offset the restore reads up to.
	End int64
	// Done is set on the last report of a restore.
	Done bool
	// Elapsed is the time since the restore started.
	Elapsed time.Duration
	// Rebuilt, when not empty, says why the store was discarded and is
	// rebuilt from the whole changelog (its checkpoint lay outside the
	// changelog's live range, or it was offline for longer than the
	// changelog's delete.retention.ms).
	Rebuilt string
	// Err is set on the report of an attempt that failed (often: the
	// cluster is unreachable); the restore is tried again, from the
	// store's checkpoint, after a pause that grows with the attempts.
	Err error
	// Attempt counts the failed attempts before this report's.
	Attempt int
}

// Percent returns how much of the changelog range [From, End) has been
// read, by offset, from 0 to 100.
func (p RestoreProgress) Percent() float64 {
	if p.End <= p.From {
		return 100
	}
	return 100 * float64(min(p.Records, p.End-p.From)) / float64(p.End-p.From)
}

// Rate returns records per second so far.
func (p RestoreProgress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

// Commit describes one committed transaction (exactly-once), for
// CommitHooks.
type Commit struct {
	// Took is how long sending the offsets and committing took, after the
	// lanes stopped.
	Took time.Duration
	// Partitions is how many input partitions' offsets moved.
	Partitions int
	// Err is set when the transaction could not commit: it was aborted and
	// its records are processed again.
	Err error
}

// checkHooks returns an error naming each hook that implements no hook
// interface: a typo in a method name would otherwise be silently ignored.
func checkHooks(hs []Hook) error {
	for i, h := range hs {
		switch h.(type) {
		case RestoreHook, CommitHook:
		default:
			return fmt.Errorf("streamgen worker: WithHooks: hook %d (%T) implements none of RestoreHook (OnRestore), CommitHook (OnCommit)", i, h)
		}
	}
	return nil
}

// hooks calls the registered hooks.
type hooks []Hook

func (hs hooks) onRestore(p RestoreProgress) {
	for _, h := range hs {
		if rh, ok := h.(RestoreHook); ok {
			rh.OnRestore(p)
		}
	}
}

func (hs hooks) onCommit(c Commit) {
	for _, h := range hs {
		if ch, ok := h.(CommitHook); ok {
			ch.OnCommit(c)
		}
	}
}
