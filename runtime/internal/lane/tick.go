package lane

import (
	"time"

	"github.com/streamgen/streamgen/runtime"
)

// NewTick returns a timer or cron agent's tick on its way to the agent's
// lane: an Input whose record is the tick's (runtime.TickRecord on topic,
// the agent's App.TimerTopic: what a dead letter of it holds).
func NewTick(topic, agent string, tick runtime.Tick) *Input {
	f := NewInput(runtime.TickRecord(topic, agent, tick), 1)
	f.Tick = &tick
	return f
}

// processTick runs a timer or cron agent on the tick f carries: its
// outputs are gathered and its table writes (a tick on each partition)
// cached, each counted in f's Pending; on failure the error policy
// applies to the tick's record (a dead letter, or Fail with
// ON_ERROR_STOP). Then f's own count is released. A tick does not move
// the partition's stream time: that follows the records' event times.
func (l *Lane) processTick(f *Input) {
	var start time.Time
	if l.cfg.OnProcess != nil {
		start = time.Now()
	}
	if l.view != nil {
		l.view.lockShared() // the tables' writer agents wait for the tick
	}
	rec := f.Rec
	res, err := l.proc.ProcessTick(l.cfg.Ctx, *f.Tick)
	if err == nil {
		err = l.checkSizes(rec, res)
	}
	if err == nil {
		l.gather(f, res) // not accept: a tick moves no stream time
	}
	if l.view != nil {
		l.view.unlockShared()
	}
	if err != nil && !l.deadLetter(f, err) {
		l.observe(rec, start, 0, err, false)
		return
	}
	l.observe(rec, start, len(res.Records), err, true)
	f.release()
	if l.view != nil && l.view.npend >= MaxPendingKeys {
		l.FlushTables()
	}
	l.Produce()
}
