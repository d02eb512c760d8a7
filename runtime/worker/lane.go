package worker

import (
	"time"

	"github.com/streamgen/streamgen/runtime/internal/lane"
)

// laneMsg is one message to a lane: a record to process, or (exactly
// once) a commit barrier to answer. Exactly one field is set.
type laneMsg struct {
	in  *lane.Input
	bar *barrier
}

// laneRunner is a lane with the channel that feeds it.
type laneRunner struct {
	*lane.Lane
	ch      chan laneMsg
	ticks   bool // the agent has tables: flush, close and expire on a timer
	batches bool // a batch agent: its open batch is due on a timer
}

// runLane is a lane's goroutine: it processes what the channel brings,
// in order, and runs the lane's timer; when the channel closes it
// flushes (unless the partition was discarded) and returns.
func (t *thread) runLane(p *partition, r *laneRunner) {
	defer p.wg.Done()
	defer func() { r.Close(!p.discard.Load()) }()
	r.Start()
	var tick <-chan time.Time
	if r.ticks {
		tk := time.NewTicker(lane.FlushInterval)
		defer tk.Stop()
		tick = tk.C
	}
	bt := batchTimer{r: r}
	defer bt.stop()
	for {
		select {
		case <-tick:
			if !p.discard.Load() {
				r.Tick()
			}
		case <-bt.c:
			bt.c = nil
			if !p.discard.Load() {
				r.FlushDueBatch()
				r.Produce()
			}
		case m, ok := <-r.ch:
			if !ok {
				return
			}
			if m.bar != nil {
				m.bar.answer(r.Lane, p.discard.Load())
			} else {
				t.process(p, r, m.in)
			}
		}
		bt.arm()
	}
}

// batchTimer fires when a batch agent's lane's open batch is due.
type batchTimer struct {
	r     *laneRunner
	timer *time.Timer
	c     <-chan time.Time // nil while not armed
}

// arm starts the timer for the open batch's deadline, unless it runs.
func (bt *batchTimer) arm() {
	if !bt.r.batches || bt.c != nil {
		return
	}
	due, ok := bt.r.BatchDue()
	if !ok {
		return
	}
	if bt.timer == nil {
		bt.timer = time.NewTimer(time.Until(due))
	} else {
		bt.timer.Reset(time.Until(due))
	}
	bt.c = bt.timer.C
}

func (bt *batchTimer) stop() {
	if bt.timer != nil {
		bt.timer.Stop()
	}
}

// process runs one record on the lane, unless the thread stops (the
// record stays uncommitted: at least once its pending count never reaches
// 0; exactly once the skipped flag aborts the last transaction; the next
// owner reads it) or the partition is being dropped.
func (t *thread) process(p *partition, r *laneRunner, in *lane.Input) {
	if t.stopping.Load() {
		p.skipped.Store(true)
		in.Skipped.Store(true)
		return
	}
	if t.failure() != nil || p.discard.Load() {
		return
	}
	r.Process(in)
	// Produce whenever the lane has nothing more waiting, so nothing waits
	// unproduced while the lane waits.
	if len(r.ch) == 0 {
		r.Produce()
	}
}
