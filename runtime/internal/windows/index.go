package windows

import (
	"container/heap"
	"slices"
	"sort"
)

// Index is the set of windows of one windowed table partition that one
// lane is responsible for closing and expiring, keyed by window key: those
// loaded from the store (with their closed markers) and those the lane
// writes from then on. It is used by one goroutine.
type Index struct {
	spec    Spec
	entries map[string]*entry
	// keys are, for session windows, each record key's window keys.
	keys map[string][]string
	// closing and expiring hold each entry by its end, soonest first, so
	// that Close and Expire look at due windows only: a lane calls them
	// every 100 ms, and a stream join's buffers hold a window per buffered
	// record (a pass over all of them per call measured 8% of a join's
	// CPU). An entry whose end grew (a session) is found by its old end
	// and pushed again with its new one.
	closing, expiring dueHeap
}

// due is an entry in a dueHeap: a window key and its end (ms).
type due struct {
	end int64
	key string
}

// dueHeap is a min-heap of windows by end, then key (container/heap).
type dueHeap []due

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	return h[i].end < h[j].end || (h[i].end == h[j].end && h[i].key < h[j].key)
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// track adds a new entry's window key to both heaps.
func (ix *Index) track(wk string, end int64) {
	heap.Push(&ix.closing, due{end, wk})
	heap.Push(&ix.expiring, due{end, wk})
}

type entry struct {
	start, end int64
	closed     bool // its final value was handed to the closers
}

// NewIndex returns an empty index of windows of spec.
func NewIndex(spec Spec) *Index {
	return &Index{spec: spec, entries: map[string]*entry{}, keys: map[string][]string{}}
}

// Load adds the windows a store holds, as scan lists its keys and values,
// whose table key owns accepts, and marks closed those with a closed
// marker.
func (ix *Index) Load(scan func(fn func(k, v []byte) error) error, owns func(key []byte) bool) error {
	closed := map[string]bool{}
	err := scan(func(k, v []byte) error {
		if wk, ok := SplitClosedMarker(k); ok {
			closed[string(wk)] = true
			return nil
		}
		if ix.spec.Session() {
			if key, ok := SplitSessionsKey(k); ok && owns(key) {
				ix.setSessions(key, v)
			}
			return nil
		}
		if key, _, ok := SplitKey(k); ok && owns(key) {
			ix.Add(k)
		}
		return nil
	})
	for k := range closed {
		if e := ix.entries[k]; e != nil {
			e.closed = true
		}
	}
	return err
}

// Add records a window key the lane wrote, if new (not session windows:
// see Write).
func (ix *Index) Add(windowKey []byte) {
	if ix.entries[string(windowKey)] != nil {
		return
	}
	if _, start, ok := SplitKey(windowKey); ok {
		ms := start.UnixMilli()
		ix.entries[string(windowKey)] = &entry{start: ms, end: ms + ix.spec.Size}
		ix.track(string(windowKey), ms+ix.spec.Size)
	}
}

// Write records a write of the table: a window key (Add), or for session
// windows a key's session list, which says which of its sessions exist
// and where each ends.
func (ix *Index) Write(k, v []byte) {
	if !ix.spec.Session() {
		ix.Add(k)
		return
	}
	if key, ok := SplitSessionsKey(k); ok {
		ix.setSessions(key, v)
	}
}

// setSessions makes key's entries the sessions listed in v (encoded by
// EncodeSessions; nil: none), keeping the closed state of those kept.
func (ix *Index) setSessions(key, v []byte) {
	ss, err := DecodeSessions(v)
	if err != nil {
		return // not a session list: nothing to close
	}
	old := ix.keys[string(key)]
	if len(ss) == 1 && len(old) == 1 {
		// The common write: the key's one session grew.
		if e := ix.entries[old[0]]; e != nil && e.start == ss[0].Start {
			e.end = ss[0].End
			return
		}
	}
	wks := make([]string, len(ss))
	for i, s := range ss {
		wk := string(Key(key, Time(s.Start)))
		wks[i] = wk
		if e := ix.entries[wk]; e != nil {
			e.end = s.End
			continue
		}
		ix.entries[wk] = &entry{start: s.Start, end: s.End}
		ix.track(wk, s.End)
	}
	for _, wk := range old {
		if !slices.Contains(wks, wk) {
			delete(ix.entries, wk) // merged into another, or deleted
		}
	}
	if len(wks) == 0 {
		delete(ix.keys, string(key))
		return
	}
	ix.keys[string(key)] = wks
}

// End returns the end (ms) of the window stored under windowKey, and
// false if the index does not hold it.
func (ix *Index) End(windowKey string) (int64, bool) {
	if e := ix.entries[windowKey]; e != nil {
		return e.end, true
	}
	return 0, false
}

// Close returns the window keys that are due at stream time now (not yet
// closed, end plus grace at or before now), oldest end first, then by key,
// and marks them closed.
func (ix *Index) Close(now int64) []string {
	var out []string
	for ix.closing.Len() > 0 && ix.spec.ClosedEnd(ix.closing[0].end, now) {
		d := heap.Pop(&ix.closing).(due)
		e := ix.entries[d.key]
		switch {
		case e == nil || e.closed:
			continue
		case e.end != d.end:
			heap.Push(&ix.closing, due{e.end, d.key}) // it grew: due later, or again in this loop
			continue
		}
		e.closed = true
		out = append(out, d.key)
	}
	return out
}

// Expired is a window past its end plus expires.
type Expired struct {
	// Key is the window key.
	Key string
	// Closed is set when the window was closed (it may have a closed
	// marker to delete too).
	Closed bool
}

// Expire removes and returns the windows past their end plus expires at
// stream time now, sorted by key, except those wait (if not nil) holds
// back for now.
func (ix *Index) Expire(now int64, wait func(windowKey string) bool) []Expired {
	var dead []Expired
	var held []due
	for ix.expiring.Len() > 0 && ix.spec.ExpiredEnd(ix.expiring[0].end, now) {
		d := heap.Pop(&ix.expiring).(due)
		e := ix.entries[d.key]
		switch {
		case e == nil:
			continue
		case e.end != d.end:
			heap.Push(&ix.expiring, due{e.end, d.key})
			continue
		case wait != nil && wait(d.key):
			held = append(held, d)
			continue
		}
		k := d.key
		dead = append(dead, Expired{Key: k, Closed: e.closed})
		delete(ix.entries, k)
		if key, _, ok := SplitKey([]byte(k)); ok && ix.keys[string(key)] != nil {
			wks := slices.DeleteFunc(ix.keys[string(key)], func(wk string) bool { return wk == k })
			if len(wks) == 0 {
				delete(ix.keys, string(key))
			} else {
				ix.keys[string(key)] = wks
			}
		}
	}
	for _, d := range held {
		heap.Push(&ix.expiring, d)
	}
	sort.Slice(dead, func(a, b int) bool { return dead[a].Key < dead[b].Key })
	return dead
}

// Len returns how many windows the index holds.
func (ix *Index) Len() int { return len(ix.entries) }
