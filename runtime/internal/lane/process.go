package lane

import (
	"errors"
	"fmt"
	"time"

	"github.com/streamgen/streamgen/runtime"
)

// Process runs the lane's agent on input f: on failure the error policy
// applies (a dead letter, or Fail with ON_ERROR_STOP, which leaves f
// pending forever: nothing from it on is committed); on success its
// outputs are gathered and its table writes cached, each counted in f's
// Pending. Then f's own count is released.
func (l *Lane) Process(f *Input) {
	if l.view != nil {
		// A table with several writer agents: their lanes take turns, a
		// record at a time (its reads and its writes), on one cache.
		l.view.lockShared()
	}
	res, err := l.proc.Process(l.cfg.Ctx, f.Rec)
	if err == nil {
		l.accept(f, res)
	}
	if l.view != nil {
		l.view.unlockShared()
	}
	if err != nil && !l.deadLetter(f, err) {
		return
	}
	f.Pending.Add(-1)
	if l.view != nil && l.view.npend >= MaxPendingKeys {
		l.FlushTables()
	}
	if len(l.out) >= MaxProduceBatch {
		l.Produce()
	}
}

// deadLetter applies the agent's error policy to a failed input; false
// means the agent stops (ON_ERROR_STOP).
func (l *Lane) deadLetter(f *Input, err error) bool {
	dl := l.policy(l.cfg.Agent, f.Rec, err)
	if dl == nil {
		return false
	}
	f.Processed()
	f.Pending.Add(1)
	l.Emit(*dl, f)
	return true
}

// policy applies ag's error policy to a failure of the record src: the
// dead letter to produce, or nil when the agent stops (Fail is told,
// with a *StopError).
func (l *Lane) policy(ag *runtime.Agent, src *runtime.Record, err error) *runtime.Record {
	var fe *runtime.FutureEventError
	if ag.Desc.OnError == runtime.OnErrorStop && !errors.As(err, &fe) { // a record from the future goes to the dead letters anyway
		l.fail(&StopError{Err: err})
		return nil
	}
	dl := ag.DeadLetter(src, err)
	l.cfg.Log.Warn("record sent to dead-letter topic", "error", err, "dead_letter_topic", dl.Topic)
	return dl
}

// StopError is what a lane's Fail gets when a record stops its agent
// (ON_ERROR_STOP): Err is the *runtime.ProcessError.
type StopError struct {
	Err error
}

// Error says that the agent stopped and that nothing from the record on
// is committed.
func (e *StopError) Error() string {
	return fmt.Sprintf("streamgen: %v (on_error: ON_ERROR_STOP; nothing from this record on is committed)", e.Err)
}

// Unwrap returns the record's error.
func (e *StopError) Unwrap() error { return e.Err }

// accept gathers a handled input's outputs and caches its table writes.
func (l *Lane) accept(f *Input, res runtime.Result) {
	rec := f.Rec
	f.Processed()
	f.Pending.Add(int32(len(res.Records) + len(res.Writes)))
	for _, r := range res.Records {
		l.Emit(r, f)
	}
	if ms := res.EventTime.UnixMilli(); ms > l.cfg.Clock.Now() {
		l.cfg.Clock.Observe(ms, time.Now().UnixMilli()) // the wall clock only when stream time moves
	}
	if res.Clamped {
		l.cfg.Log.Warn("record from the future: its record timestamp is its event time (on_future_event: FUTURE_EVENT_CLAMP)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "event_time", res.EventTime)
	}
	if res.Late > 0 {
		l.cfg.Log.Warn("late record: window writes skipped, their windows closed (past end plus grace)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "windows", res.Late,
			"event_time", res.EventTime, "stream_time", l.streamTime())
	}
	for _, wr := range res.Writes {
		if ix := l.indexes[wr.Table]; ix != nil {
			ix.Add(wr.Key)
		}
		e := l.view.write(wr.Table, wr.Key, wr.Value)
		e.inputs = append(e.inputs, f)
	}
}
