// Package lane is the code path every record of a table-using or plain
// agent takes, shared by the worker's lanes and the test driver so that
// both run the same rules:
//
//   - table.go: Table, one table partition's store handle; Writers;
//   - cache.go: a lane's view of its tables (Cache, the cache of one table
//     partition, and the read path through it to the store);
//   - lane.go: Lane, one agent's records of one partition slot, its
//     configuration and batching limits; process.go: process a record
//     (error policy, dead letters, outputs, table writes); flush.go: flush
//     table writes to stores and changelogs; windows.go: close and expire
//     windows;
//   - tokens.go: the producer tokens a lane attaches to what it produces
//     (Input, changelog and closed-window tokens) and Ack, which applies an
//     acknowledgement to them;
//   - guarantee.go: Guarantee, how a lane's produced records and flushed
//     writes leave it, which the worker's committers implement (and
//     StoreNow, the at-least-once table path the driver shares).
//
// The goroutine that feeds a lane, its commit barrier and the offset
// bookkeeping are the worker's.
package lane

import (
	"sync"
	"sync/atomic"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/state"
)

// Table is one table partition's store, shared by the lanes of the
// partition (or partitions, for co-partitioned inputs) that use it.
type Table struct {
	// Desc describes the table.
	Desc *runtime.TableDesc
	// Partition is the table (changelog) partition.
	Partition int32
	// Store holds the partition's state; nil for a global table.
	Store state.Store
	// Dir is the store's directory, "" for stores not on disk.
	Dir string
	// From is the changelog offset the store reflected when opened (its
	// checkpoint); restores and followers start there.
	From int64
	// AckedNext is the changelog offset after the last acknowledged write.
	AckedNext atomic.Int64
	// CommittedNext is, under exactly-once, a changelog offset below which
	// every write is in a committed transaction and in the store: the
	// checkpoint. (At least once, every acknowledged write is in the store
	// and AckedNext is the checkpoint.)
	CommittedNext atomic.Int64
	// Global serves reads of a global table; nil otherwise.
	Global Reader
	// Users counts the partitions using the store: co-partitioned inputs
	// (partition p of each topic whose agents write the table) share it.
	Users atomic.Int32
	// Shared is the cache of every lane writing the table when more than
	// one agent writes it; nil otherwise.
	Shared *Cache

	// serveMu guards reads from outside the lanes (table queries) against
	// the store closing: serving is set while they may read.
	serveMu sync.RWMutex
	serving bool
}

// Serve lets reads through Read in (on) or out: set it once the store is
// restored and its partition runs (or, for a standby, once it follows),
// and clear it before the store closes; clearing waits for reads under
// way.
func (t *Table) Serve(on bool) {
	t.serveMu.Lock()
	t.serving = on
	t.serveMu.Unlock()
}

// Read runs fn on the store while it serves (Serve) and reports whether
// it did; the store stays open until fn returns. fn must not keep the
// store.
func (t *Table) Read(fn func(state.Store) error) (bool, error) {
	t.serveMu.RLock()
	defer t.serveMu.RUnlock()
	if !t.serving || t.Store == nil {
		return false, nil
	}
	return true, fn(t.Store)
}

// Reader reads a table that is not the lane's own: a global table.
type Reader interface {
	// Get returns the value of key and whether it exists.
	Get(key []byte) ([]byte, bool, error)
}

// Writers counts the agents that write each (non-global) table of app,
// timers that run on each partition of their tables included: a table
// with more than one has one Cache all their lanes share.
func Writers(app *runtime.App) map[string]int {
	n := map[string]int{}
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil && (ag.Desc.Timer == nil || !ag.Desc.Timer.OnPartitions()) {
			continue
		}
		for _, td := range ag.Desc.Tables {
			if !td.Global {
				n[td.Name]++
			}
		}
	}
	return n
}

// Changelog returns the table's changelog record of a write (nil value: a
// tombstone).
func (t *Table) Changelog(key, value []byte) runtime.Record {
	return runtime.Record{Topic: t.Desc.Changelog.Name, Partition: t.Partition, Key: key, Value: value}
}
