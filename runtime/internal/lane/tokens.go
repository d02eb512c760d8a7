package lane

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// Input is one input record on its way through the agents of its
// partition, and the producer token of its outputs and dead letters.
// Pending counts the agents still running it plus its outputs and table
// writes not yet acknowledged: at 0 its offset may be committed.
type Input struct {
	// Rec is the record until every agent has processed it; then it is
	// dropped, so the poll batch it lives in is not held while its
	// outputs and table writes wait for acknowledgements.
	Rec *runtime.Record
	// Topic, Partition and Offset locate the record (they outlive Rec).
	Topic     string
	Partition int32
	Offset    int64
	// Pending counts what is left to do before the record is done.
	Pending atomic.Int32
	// Skipped is set when a stopping lane skipped the record: it is never
	// committed.
	Skipped atomic.Bool
	// Timestamp is the record's timestamp (it outlives Rec).
	Timestamp time.Time
	// Tick is set for a timer or cron agent's tick, whose Rec is the
	// tick's record (runtime.TickRecord, for dead letters).
	Tick *runtime.Tick
	// OnDone, if set before the input is handed to a lane, is called once
	// when Pending reaches 0: every output, dead letter and table write of
	// the record is acknowledged (from the goroutine that released the
	// last one: a lane, or the producer's delivery goroutine).
	OnDone func(*Input)
	left   atomic.Int32
}

// NewInput returns rec on its way through agents agents.
func NewInput(rec *runtime.Record, agents int) *Input {
	f := &Input{Rec: rec, Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset, Timestamp: rec.Timestamp}
	f.left.Store(int32(agents))
	f.Pending.Store(int32(agents))
	return f
}

// release drops Pending by one and calls OnDone when it reaches 0.
func (f *Input) release() {
	if f.Pending.Add(-1) == 0 && f.OnDone != nil {
		f.OnDone(f)
	}
}

// Processed is called by each agent's lane once it is done with Rec.
func (f *Input) Processed() {
	if f.left.Add(-1) == 0 {
		f.Rec = nil
	}
}

// changelogToken is the producer token of a changelog write: its
// acknowledgement releases every input whose write it carries.
type changelogToken struct {
	inputs []*Input
	table  *Table
}

// closeGroup is one closed window's work at least once: the closers'
// outputs and the closed marker's changelog record. When all are
// acknowledged, the marker goes into the store, so a worker that restarts
// from this store does not deliver the window again; if it stops before,
// the window is delivered again.
type closeGroup struct {
	table     *Table
	marker    []byte
	remaining atomic.Int32
	written   atomic.Bool // the marker is in the store
}

// closeToken is the producer token of a record of a closeGroup.
type closeToken struct {
	g         *closeGroup
	changelog bool
}

// Ack applies the broker's acknowledgement of a record a lane produced
// with token, at offset: inputs' pending counts drop, a table's
// acknowledged changelog offset moves, a closed window's marker reaches
// its store once the window's records are all acknowledged. The error is
// a failure to write that marker (the window may be delivered again).
func Ack(token any, offset int64) error {
	switch t := token.(type) {
	case *Input:
		t.release()
	case *changelogToken:
		// Acknowledgements of one partition arrive in offset order.
		t.table.AckedNext.Store(offset + 1)
		for _, f := range t.inputs {
			f.release()
		}
	case *closeToken:
		if t.changelog {
			t.g.table.AckedNext.Store(offset + 1)
		}
		if t.g.remaining.Add(-1) == 0 {
			kv := state.KV{Key: t.g.marker, Value: windows.ClosedValue}
			if err := t.g.table.Store.Write([]state.KV{kv}); err != nil {
				return fmt.Errorf("recording a closed window of table %q failed; it may be delivered again: %w", t.g.table.Desc.Name, err)
			}
			t.g.written.Store(true)
		}
	}
	return nil
}

// Refused describes the broker's refusal of a record a lane produced with
// token, for a worker that stops on it (at least once: the inputs
// involved are not committed and are processed again).
func Refused(token any, err error) error {
	switch t := token.(type) {
	case *closeToken:
		return fmt.Errorf("streamgen worker: the broker refused the final value or closed marker of a window of table %q: %w; it will be delivered again", t.g.table.Desc.Name, err)
	case *changelogToken:
		if len(t.inputs) == 0 {
			return fmt.Errorf("streamgen worker: the broker refused a changelog tombstone of table %q: %w", t.table.Desc.Name, err)
		}
		token = t.inputs[0]
	}
	if f, ok := token.(*Input); ok {
		return fmt.Errorf("streamgen worker: the broker refused an output of %s/%d@%d: %w; the input is not committed and will be processed again",
			f.Topic, f.Partition, f.Offset, err)
	}
	return fmt.Errorf("streamgen worker: the broker refused a record: %w", err)
}
