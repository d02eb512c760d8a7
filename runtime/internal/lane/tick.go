package lane

import (
	"time"

	"github.com/streamgen/streamgen/runtime"
)

// NewTick returns a timer or cron agent's tick on its way to the agent's
// lane: an Input whose record is the tick's (runtime.TickRecord, what a
// dead letter of it holds).
func NewTick(appID, agent string, tick runtime.Tick) *Input {
	f := NewInput(runtime.TickRecord(appID, agent, tick), 1)
	f.Tick = &tick
	return f
}

// processTick runs a timer or cron agent on the tick f carries: its
// outputs are gathered, counted in f's Pending; on failure the error
// policy applies to the tick's record (a dead letter, or Fail with
// ON_ERROR_STOP). Then f's own count is released.
func (l *Lane) processTick(f *Input) {
	var start time.Time
	if l.cfg.OnProcess != nil {
		start = time.Now()
	}
	rec := f.Rec
	res, err := l.proc.ProcessTick(l.cfg.Ctx, *f.Tick)
	if err == nil {
		err = l.checkSizes(rec, res)
	}
	switch {
	case err == nil:
		f.Processed()
		f.Pending.Add(int32(len(res.Records)))
		for _, r := range res.Records {
			l.Emit(r, f)
		}
	case !l.deadLetter(f, err):
		l.observe(rec, start, 0, err, false)
		return
	}
	l.observe(rec, start, len(res.Records), err, true)
	f.release()
	l.Produce()
}
