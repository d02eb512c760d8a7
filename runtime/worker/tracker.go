package worker

import "github.com/streamgen/streamgen/runtime/internal/lane"

// tracker is a partition's offset tracker under at-least-once: the inputs
// handed out, in offset order, and the next offset last stored. It is used
// by the poll goroutine only (dispatch, commit, revocation).
type tracker struct {
	queue  []*lane.Input // queue[head:] not yet committable
	head   int
	stored int64 // next offset last stored, -1 before any
}

func newTracker() *tracker { return &tracker{stored: -1} }

func (k *tracker) push(in *lane.Input) { k.queue = append(k.queue, in) }

// busy reports whether an input not yet done blocks the queue (inputs a
// stopping lane skipped end it: nothing from them on is committed anyway).
func (k *tracker) busy() bool {
	for _, in := range k.queue[k.head:] {
		if in.Skipped.Load() {
			return false
		}
		if in.Pending.Load() != 0 {
			return true
		}
	}
	return false
}

// advance pops the finished inputs at the head of the queue and returns
// the next offset to commit, and whether it moved since the last call. An
// input still pending blocks everything after it, even inputs already
// done (concurrency > 1 finishes out of order), so an offset is committed
// only when every output of every input before it is acknowledged.
func (k *tracker) advance() (int64, bool) {
	next := k.stored
	for k.head < len(k.queue) && k.queue[k.head].Pending.Load() == 0 {
		next = k.queue[k.head].Offset + 1
		k.queue[k.head] = nil
		k.head++
	}
	if k.head > 1024 && k.head*2 > len(k.queue) {
		n := copy(k.queue, k.queue[k.head:])
		clear(k.queue[n:])
		k.queue = k.queue[:n]
		k.head = 0
	}
	if next == k.stored {
		return next, false
	}
	k.stored = next
	return next, true
}
