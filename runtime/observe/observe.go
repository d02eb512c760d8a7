// Package observe holds what a running worker reports about itself: the
// hook interfaces and the events they receive. The worker (package
// worker) calls the hooks; adapters implement them: package web's
// Prometheus metrics, health and readiness probes, or a user's own
// (OpenTelemetry, logs, tests). A hook is any value implementing one or
// more of the interfaces, checked when the worker starts (as franz-go's
// kgo.Hook). This package imports nothing of streamgen's, so adapters
// and the worker depend on it and not on each other.
//
// Every hook may be called from several goroutines at once (the worker's
// stream threads, lanes, restores and producer delivery goroutines) and
// must be safe for that, and quick: hooks run on the record path.
package observe

import (
	"fmt"
	"time"
)

// Hook is an observability hook: a value implementing one or more of the
// hook interfaces of this package (an alias of any, so a []any of hooks
// can be passed as is).
type Hook = any

// Partition names a topic partition.
type Partition struct {
	// Topic is the topic's name.
	Topic string
	// Partition is the partition number, from 0.
	Partition int32
}

// String returns "topic/partition".
func (p Partition) String() string { return fmt.Sprintf("%s/%d", p.Topic, p.Partition) }

// RestoreHook is implemented by hooks that want restore progress, e.g. to
// export it as a metric. It is called from the goroutine that restores,
// at least once per restored batch and once when done.
type RestoreHook interface {
	OnRestore(RestoreProgress)
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
	// Done is set on the last report of a restore that finished.
	Done bool
	// Canceled is set on the last report of a restore that stopped
	// because its partition left the worker (a revocation); Done is not.
	Canceled bool
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

// Remaining returns how many changelog offsets are left to read (at least
// 0).
func (p RestoreProgress) Remaining() int64 { return max(p.End-p.From-p.Records, 0) }

// CommitHook is implemented by hooks that want to observe commits, e.g.
// to export commit latency as a metric. It is called from the poll
// goroutine. Under exactly-once: after each transaction commit, after each
// transaction that failed to commit (Commit.Err: it was aborted), and when
// aborting one failed too (Commit.Err, then the producer is replaced).
// Under at-least-once the worker stores offsets every commit interval and
// commits them asynchronously at most every second: the hook sees each
// such commit once it finished (Took from its start to its result, which
// the poll loop reads after each poll), a commit that could not start,
// and the synchronous commit when a thread stops; the consumer's
// synchronous commit at each revocation is not reported.
type CommitHook interface {
	OnCommit(Commit)
}

// Commit describes one commit.
type Commit struct {
	// Thread is the stream thread that committed.
	Thread int
	// Took is how long the commit took (exactly once: sending the offsets
	// and committing the transaction, after the lanes stopped).
	Took time.Duration
	// Partitions is how many input partitions' offsets moved.
	Partitions int
	// Err is set when the commit failed.
	Err error
	// Aborted is set (exactly once) when the failed commit's transaction
	// was aborted: its records are processed again. A report with Err and
	// without Aborted is an abort that failed in turn (the producer is
	// then replaced), or an at-least-once commit that failed.
	Aborted bool
}

// Outcome is what became of an input record.
type Outcome int

// The outcomes of a processed record.
const (
	// OutcomeOK: the handler returned nil; its outputs and writes are
	// being produced.
	OutcomeOK Outcome = iota
	// OutcomeDeadLetter: the record went to the agent's dead-letter topic
	// (Processed.Reason says why).
	OutcomeDeadLetter
	// OutcomeRepartitioned: the record's key belongs to another partition;
	// it went to the agent's repartition topic.
	OutcomeRepartitioned
	// OutcomeStopped: the record stopped the agent (ON_ERROR_STOP,
	// MISPLACED_KEY_STOP).
	OutcomeStopped
)

// String returns the outcome's metric label: "ok", "dead_letter",
// "repartitioned" or "stopped".
func (o Outcome) String() string {
	switch o {
	case OutcomeOK:
		return "ok"
	case OutcomeDeadLetter:
		return "dead_letter"
	case OutcomeRepartitioned:
		return "repartitioned"
	case OutcomeStopped:
		return "stopped"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// The reasons of a failed record (Processed.Reason).
const (
	ReasonDecode      = "decode"        // the value did not decode with the topic's codec
	ReasonHandler     = "handler"       // the handler returned an error
	ReasonPanic       = "panic"         // the handler panicked
	ReasonFutureEvent = "future_event"  // event time too far ahead (max_event_time_ahead)
	ReasonTooLarge    = "too_large"     // an output or table value larger than its topic takes
	ReasonMisplaced   = "misplaced_key" // the key belongs to another partition
)

// ProcessHook is implemented by hooks that want every processed input
// record, e.g. to count records and time handlers. It is called from the
// lane that processed the record, once per agent of the record's topic.
type ProcessHook interface {
	OnProcess(Processed)
}

// Processed is one input record handled by one agent.
type Processed struct {
	// Agent names the agent as "app-id/Agent".
	Agent string
	// Topic and Partition locate the record.
	Topic     string
	Partition int32
	// Took is how long the handler ran (decoding included).
	Took time.Duration
	// Outputs is how many records the handler emitted.
	Outputs int
	// LateWrites is how many of its window writes were skipped because
	// their window (or session) was closed already: a late record.
	LateWrites int
	// Unmatched is set when the agent's inner join found no table value
	// for the record's key, so its handler was not called.
	Unmatched bool
	// Outcome is what became of the record; Reason says why it failed
	// (one of the Reason constants), "" for OutcomeOK.
	Outcome Outcome
	Reason  string
}

// DeadLetterHook is implemented by hooks that want each record sent to a
// dead-letter topic, e.g. to show the last ones. It is called from the
// lane that failed the record, before the dead letter is produced.
type DeadLetterHook interface {
	OnDeadLetter(DeadLetter)
}

// DeadLetter is a record sent to an agent's dead-letter topic. Key and
// Value are copies the hook may keep.
type DeadLetter struct {
	// Agent names the agent as "app-id/Agent"; Topic is its dead-letter
	// topic.
	Agent, Topic string
	// Source locates the failed record (an on_window_close agent's: the
	// window's changelog record, offset -1).
	Source Partition
	Offset int64
	// Key and Value are the failed record's bytes.
	Key, Value []byte
	// Timestamp is the failed record's timestamp.
	Timestamp time.Time
	// Error says why it failed; Reason classifies it (the Reason
	// constants).
	Error, Reason string
}

// DoneHook is implemented by hooks that want each input record once every
// output, dead letter and table write of it is acknowledged by the
// broker, e.g. to measure end-to-end latency. It is called from the
// producer's delivery goroutine.
type DoneHook interface {
	OnDone(Done)
}

// Done is an input record whose work is all acknowledged.
type Done struct {
	// Topic and Partition locate the record.
	Topic     string
	Partition int32
	// Latency is the time from the record's timestamp to the last
	// acknowledgement: end-to-end latency when producers stamp records
	// with their send time (Kafka's default, CreateTime).
	Latency time.Duration
}

// RebalanceHook is implemented by hooks that want the group's
// assignments and revocations of a stream thread's partitions. It is
// called from the thread's poll goroutine, inside the rebalance.
type RebalanceHook interface {
	OnRebalance(Rebalance)
}

// Rebalance is one assignment or revocation.
type Rebalance struct {
	// Thread is the stream thread (consumer group member).
	Thread int
	// Assigned and Revoked list the partitions given and taken.
	Assigned, Revoked []Partition
	// Lost is set when the revoked partitions were lost (the thread left
	// the group without handing them back: nothing of them was committed).
	Lost bool
}

// StateHook is implemented by hooks that want each stream thread's state,
// e.g. for a readiness probe. It is called from the thread's poll
// goroutine whenever the state changes.
type StateHook interface {
	OnState(State)
}

// State is a stream thread's state.
type State struct {
	// Thread is the stream thread; Threads is how many the worker runs.
	Thread, Threads int
	// Joined is set once the thread has its first assignment from the
	// group (possibly empty), and cleared when it leaves or loses it.
	Joined bool
	// Owned lists the input partitions the thread owns (running or
	// restoring); Restoring those of them whose tables are being restored
	// (not yet processing).
	Owned, Restoring []Partition
}

// LagHook is implemented by hooks that want consumer lag, e.g. to export
// it as a metric. It is called from each stream thread's poll goroutine
// about every second, with the thread's running partitions, from what the
// consumer already knows (no request to the broker per call).
type LagHook interface {
	OnLag(thread int, lags []Lag)
}

// Lag is a partition's consumer lag.
type Lag struct {
	Partition
	// Position is the offset of the next record to process.
	Position int64
	// HighWatermark is the offset after the partition's last record, as
	// last fetched; -1 when not known yet.
	HighWatermark int64
}

// Records returns the lag in records: HighWatermark - Position, at least
// 0; 0 when the high watermark is not known.
func (l Lag) Records() int64 {
	if l.HighWatermark < 0 || l.Position < 0 {
		return 0
	}
	return max(l.HighWatermark-l.Position, 0)
}

// TableHook is implemented by hooks that want the size of the table
// partitions a stream thread holds and how far its standby replicas are
// behind. It is called from each thread's poll goroutine about every 10
// seconds, with every store the thread holds (active and standby).
type TableHook interface {
	OnTables(thread int, tables []TableStats)
}

// TableStats describes one table partition's store on a worker.
type TableStats struct {
	// Table and Partition name the table partition.
	Table     string
	Partition int32
	// Standby is set for a standby replica (a warm copy of a partition
	// another worker owns).
	Standby bool
	// Keys estimates the keys in the store (Badger: the keys of its
	// on-disk tables, which count a key's older versions until compaction
	// and not the newest writes in memory); -1 when the store cannot say.
	Keys int64
	// LagRecords is, for a standby, how many changelog records it has not
	// applied yet (-1 unknown); 0 for an active store.
	LagRecords int64
}

// Check returns an error naming each hook that implements none of the
// hook interfaces: a typo in a method name would otherwise be silently
// ignored.
func Check(hs []Hook) error {
	for i, h := range hs {
		switch h.(type) {
		case RestoreHook, CommitHook, ProcessHook, DoneHook, RebalanceHook, StateHook, LagHook, TableHook, DeadLetterHook:
		default:
			return fmt.Errorf("hook %d (%T) implements none of RestoreHook (OnRestore), CommitHook (OnCommit), ProcessHook (OnProcess), "+
				"DoneHook (OnDone), RebalanceHook (OnRebalance), StateHook (OnState), LagHook (OnLag), TableHook (OnTables), DeadLetterHook (OnDeadLetter)", i, h)
		}
	}
	return nil
}
