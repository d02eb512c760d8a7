package worker

import (
	"sync"

	"github.com/streamgen/streamgen/runtime/internal/lane"
)

// barrier is one exactly-once commit's stop of every lane of a stream
// thread: each lane, reaching it after the records before it, sends what
// it gathered, hands over its deferred store writes and waits for the
// commit's outcome.
type barrier struct {
	ready   sync.WaitGroup
	release chan struct{}
	ok      bool // the commit succeeded; set before release is closed

	mu     sync.Mutex
	writes []lane.StoreWrite
}

func newBarrier() *barrier { return &barrier{release: make(chan struct{})} }

// answer is a lane's side of the barrier; discard is set when the
// partition is aborted or moved (nothing more may leave it).
func (b *barrier) answer(l *lane.Lane, discard bool) {
	if !discard {
		l.FlushBatch() // a transaction never commits half a batch
		l.FlushTables()
		l.Produce()
	}
	if ws := l.TakeDeferred(); len(ws) > 0 {
		b.mu.Lock()
		b.writes = append(b.writes, ws...)
		b.mu.Unlock()
	}
	b.ready.Done()
	<-b.release
	if b.ok {
		l.Committed()
	}
}

// barrier puts a barrier into every running lane and waits until all
// have reached it. A lane working through a backlog of slow records holds
// the barrier (and the poll loop) until it is done with them — unless the
// worker stops meanwhile: then stopping is set, the lanes skip what they
// still hold (which marks their partitions skipped, so the interval
// aborts) and the barrier waits for one record's handling at most.
func (c *exactlyOnce) barrier() *barrier {
	t := c.t
	b := newBarrier()
	for _, p := range t.parts {
		for _, ls := range p.lanes {
			for _, l := range ls {
				b.ready.Add(1)
				select {
				case l.ch <- laneMsg{bar: b}:
				case <-t.loopDone:
					t.stopping.Store(true)
					l.ch <- laneMsg{bar: b}
				}
			}
		}
	}
	ready := make(chan struct{})
	go func() { b.ready.Wait(); close(ready) }()
	select {
	case <-ready:
	case <-t.loopDone:
		t.stopping.Store(true)
		<-ready
	}
	return b
}
