package windows

import "sort"

// Index is the set of windows of one windowed table partition that one
// lane is responsible for closing and expiring, keyed by window key: those
// loaded from the store (with their closed markers) and those the lane
// writes from then on. It is used by one goroutine.
type Index struct {
	spec    Spec
	entries map[string]*entry
}

type entry struct {
	start  int64
	closed bool // its final value was handed to the closers
}

// NewIndex returns an empty index of windows of spec.
func NewIndex(spec Spec) *Index {
	return &Index{spec: spec, entries: map[string]*entry{}}
}

// Load adds the windows a store holds, as scan lists its keys and values,
// whose table key owns accepts, and marks closed those with a closed
// marker.
func (ix *Index) Load(scan func(fn func(k, v []byte) error) error, owns func(key []byte) bool) error {
	closed := map[string]bool{}
	err := scan(func(k, _ []byte) error {
		if wk, ok := SplitClosedMarker(k); ok {
			closed[string(wk)] = true
			return nil
		}
		if key, start, ok := SplitKey(k); ok && owns(key) {
			ix.entries[string(k)] = &entry{start: start.UnixMilli()}
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

// Add records a window key the lane wrote, if new.
func (ix *Index) Add(windowKey []byte) {
	if ix.entries[string(windowKey)] != nil {
		return
	}
	if _, start, ok := SplitKey(windowKey); ok {
		ix.entries[string(windowKey)] = &entry{start: start.UnixMilli()}
	}
}

// Close returns the window keys that are due at stream time now (not yet
// closed, end plus grace at or before now), oldest end first, then by key,
// and marks them closed.
func (ix *Index) Close(now int64) []string {
	var due []string
	for k, e := range ix.entries {
		if !e.closed && ix.spec.Closed(e.start, now) {
			due = append(due, k)
		}
	}
	sort.Slice(due, func(a, b int) bool {
		ea, eb := ix.entries[due[a]].start, ix.entries[due[b]].start
		return ea < eb || (ea == eb && due[a] < due[b])
	})
	for _, k := range due {
		ix.entries[k].closed = true
	}
	return due
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
// stream time now, sorted by key.
func (ix *Index) Expire(now int64) []Expired {
	var dead []Expired
	for k, e := range ix.entries {
		if ix.spec.Expired(e.start, now) {
			dead = append(dead, Expired{Key: k, Closed: e.closed})
			delete(ix.entries, k)
		}
	}
	sort.Slice(dead, func(a, b int) bool { return dead[a].Key < dead[b].Key })
	return dead
}

// Len returns how many windows the index holds.
func (ix *Index) Len() int { return len(ix.entries) }
