package lane

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/streamgen/streamgen/runtime/state"
)

// Cache is the cache of one table partition: a lane's own, or, for a
// table with several writer agents, the one all their lanes share. A key
// is always handled by one lane, so while one agent writes a table, a
// lane's own cache is never stale. A shared cache is used by one lane at a
// time (see view.lockShared): every writer sees the others' writes at
// once, and one key's updates never interleave. The writes since the last
// flush are the entries marked pending, in first-write order.
type Cache struct {
	shared  bool
	mu      sync.Mutex // shared caches: held by a lane while it uses the cache
	entries map[string]*entry
	pending []*entry // entries written since the last flush, in first-write order
	// deferred are a shared cache's flushed batches waiting for a commit,
	// in flush order (Defer).
	deferred [][]state.KV
}

// NewCache returns an empty cache; shared is set for the one cache of a
// table with several writer agents.
func NewCache(shared bool) *Cache {
	return &Cache{shared: shared, entries: map[string]*entry{}}
}

// IsShared reports whether the cache is a table's shared one.
func (c *Cache) IsShared() bool { return c.shared }

// lock takes a shared cache's lock; a lane's own cache needs none.
func (c *Cache) lock() {
	if c.shared {
		c.mu.Lock()
	}
}

func (c *Cache) unlock() {
	if c.shared {
		c.mu.Unlock()
	}
}

// Reset drops every entry while no lane uses the cache: after an aborted
// transaction, or once the store holds every write.
func (c *Cache) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	clear(c.pending)
	c.pending = c.pending[:0]
	c.deferred = nil
}

// Defer keeps a batch flushed from a shared cache until a commit; the
// flushing lane holds the cache's lock (Guarantee.Flushed runs under it).
func (c *Cache) Defer(batch []state.KV) { c.deferred = append(c.deferred, batch) }

// Deferred returns the batches Defer kept, in flush order, while no lane
// uses the cache (at a commit barrier); Reset drops them.
func (c *Cache) Deferred() [][]state.KV { return c.deferred }

// entry is a key's value as a lane knows it: read from the store, or
// written by the lane (then pending until the next flush, with the inputs
// whose writes it carries: their commit waits for its changelog record).
type entry struct {
	key     []byte // set once written
	v       []byte
	ok      bool
	pending bool
	inputs  []*Input
}

// cacheKeys bounds each lane's cache per table; past it the cache is
// emptied at the next flush. 2,048 keys per lane keep every key of a
// skewed or modest key space cached (the count benchmark's 10,000 keys
// over 8 lanes) while a lane seeing mostly new keys holds a few hundred
// KiB, not a copy of the table.
const cacheKeys = 2 << 10

// view is what a lane's records read their tables through: per table the
// lane's cache, then the store.
type view struct {
	tables []*Table
	caches []*Cache // per agent table: the lane's own, or the table's shared one
	locks  []*Cache // the shared caches, in a fixed order (table name)
	npend  int      // entries this lane made pending since its last flush
	// snaps are read views of the stores of the lane's own caches, taken
	// at the first read after a flush and dropped at the next: between
	// flushes only the lane writes such a store.
	snaps []state.Snapshot
}

func newView(tables []*Table) *view {
	v := &view{tables: tables, caches: make([]*Cache, len(tables)), snaps: make([]state.Snapshot, len(tables))}
	var shared []*Table
	for i, t := range tables {
		if t.Shared != nil {
			v.caches[i] = t.Shared
			shared = append(shared, t)
			continue
		}
		v.caches[i] = NewCache(false)
	}
	sort.Slice(shared, func(a, b int) bool { return shared[a].Desc.Name < shared[b].Desc.Name })
	for _, t := range shared {
		v.locks = append(v.locks, t.Shared)
	}
	return v
}

// lockShared takes the locks of the lane's shared caches (in table name
// order, so lanes of agents sharing several tables never deadlock), for
// the processing of one record; unlockShared releases them.
func (v *view) lockShared() {
	for _, c := range v.locks {
		c.mu.Lock()
	}
}

func (v *view) unlockShared() {
	for _, c := range v.locks {
		c.mu.Unlock()
	}
}

// Get implements runtime.State. For a shared table the caller holds its
// lock.
func (v *view) Get(i int, key []byte) ([]byte, bool, error) {
	if g := v.tables[i].Global; g != nil {
		return g.Get(key)
	}
	c := v.caches[i]
	if e, ok := c.entries[string(key)]; ok {
		return e.v, e.ok, nil
	}
	if v.snaps[i] == nil && !c.shared {
		if sn, can := v.tables[i].Store.(state.Snapshotter); can {
			v.snaps[i] = sn.Snapshot()
		}
	}
	var val []byte
	var ok bool
	var err error
	if v.snaps[i] != nil {
		val, ok, err = v.snaps[i].Get(key)
	} else {
		// A shared table's store is written by other lanes' flushes too:
		// read it as it is now.
		val, ok, err = v.tables[i].Store.Get(key)
	}
	if err == nil {
		c.entries[string(key)] = &entry{v: val, ok: ok}
	}
	return val, ok, err
}

// Scan implements runtime.State: the store's keys with prefix, in key
// order, with the cache's entries laid over them (every entry is the
// table's value as the lane sees it: read from the store, or written and
// not yet in the store). For a shared table the caller holds its lock.
// A global table is not scanned (handlers read it by key).
func (v *view) Scan(i int, prefix []byte, fn func(key, value []byte) error) error {
	t := v.tables[i]
	if t.Global != nil || t.Store == nil {
		return fmt.Errorf("table %q is not scanned here: read it by key", t.Desc.Name)
	}
	var over []state.KV
	for k, e := range v.caches[i].entries {
		if strings.HasPrefix(k, string(prefix)) {
			over = append(over, state.KV{Key: []byte(k), Value: e.v, Delete: !e.ok})
		}
	}
	return state.Overlay(func(fn func(k, v []byte) error) error { return state.ScanPrefix(t.Store, prefix, fn) }, over, fn)
}

// write records a write of key (a nil value deletes it) and returns its
// entry, pending until the next flush. For a shared table the caller holds
// its lock.
func (v *view) write(i int, key, value []byte) *entry {
	c := v.caches[i]
	e := c.entries[string(key)]
	if e == nil {
		e = &entry{}
		c.entries[string(key)] = e
	}
	if e.key == nil {
		// A copy: the key may point into the input's poll batch, which the
		// entry would otherwise hold in memory for as long as it is cached.
		e.key = bytes.Clone(key)
	}
	e.v, e.ok = value, value != nil
	if !e.pending {
		e.pending = true
		c.pending = append(c.pending, e)
		v.npend++
	}
	return e
}

// flushed is called once the lane's writes of table i are in its store:
// at least once right after the flush (under a shared table's lock),
// exactly once after the commit (for the lane's own caches only: the
// committer resets shared ones while every lane is stopped).
func (v *view) flushed(i int) {
	c := v.caches[i]
	if c.shared {
		clear(c.entries) // every entry is in the store now
		return
	}
	if len(c.entries) > cacheKeys {
		clear(c.entries)
	}
	if v.snaps[i] != nil {
		v.snaps[i].Close()
		v.snaps[i] = nil
	}
}

// close releases the lane's snapshots.
func (v *view) close() {
	for i, sn := range v.snaps {
		if sn != nil {
			sn.Close()
			v.snaps[i] = nil
		}
	}
}
