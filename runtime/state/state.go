// Package state holds the stores behind streamgen's tables: one store per
// table and partition, on disk with Badger (the worker's default) or in
// memory (for the test driver and unit tests). A store keeps the changelog
// offset it reflects, its checkpoint, next to the data, so a worker that
// reopens it restores only the changelog tail it has not seen. A Builder
// opens a partition's store (BadgerBuilder by default; worker.WithStorage
// tunes Badger or plugs in another Store).
package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// KV is one write: Value nil with Delete set removes the key.
type KV struct {
	// Key is the table key.
	Key []byte
	// Value is the encoded value.
	Value []byte
	// Delete removes the key instead.
	Delete bool
}

// Store is the state of one table partition.
type Store interface {
	// Get returns the value of key and whether it exists.
	Get(key []byte) ([]byte, bool, error)
	// Write applies a batch of writes.
	Write(batch []KV) error
	// SetCheckpoint records that the store reflects the changelog up to
	// (not including) offset next, and, as the meta value SyncedAtMeta,
	// the wall-clock time (Unix ms) it did so.
	SetCheckpoint(next int64) error
	// Checkpoint returns the recorded offset, or false if none.
	Checkpoint() (int64, bool, error)
	// SetMeta records a named number beside the data (e.g. stream time).
	SetMeta(name string, v int64) error
	// Meta returns a number SetMeta recorded, or false if none.
	Meta(name string) (int64, bool, error)
	// Scan calls fn with every key and value, in key order for Badger.
	Scan(fn func(key, value []byte) error) error
	// Close releases the store; its data stays on disk.
	Close() error
}

// Seeker is implemented by stores that can scan from a key on (Badger and
// Memory do): table queries page through a partition with it. ScanFrom
// calls fn with every key at or after start and its value, in key order,
// until fn returns an error (returned, unless it is ErrStop).
type Seeker interface {
	ScanFrom(start []byte, fn func(key, value []byte) error) error
}

// PrefixScanner is implemented by stores with a cheaper scan of the keys
// that begin with a prefix than ScanFrom (Badger: its iterator skips the
// tables without the prefix and reads values only for the keys it
// gives). ScanPrefix uses it.
type PrefixScanner interface {
	ScanPrefix(prefix []byte, fn func(key, value []byte) error) error
}

// KeyEstimator is implemented by stores that can estimate their key
// count cheaply (Badger and Memory do), for metrics.
type KeyEstimator interface {
	// EstimateKeys returns about how many keys the store holds.
	EstimateKeys() int64
}

// ErrStop, returned by a Scan or ScanFrom callback, ends the scan without
// an error.
var ErrStop = errors.New("state: stop the scan")

// ScanFrom scans st from start in key order: with st's ScanFrom when it is
// a Seeker, else with Scan, skipping the keys before start (stores whose
// Scan is not in key order give their keys in their own order).
func ScanFrom(st Store, start []byte, fn func(key, value []byte) error) error {
	var err error
	if sk, ok := st.(Seeker); ok {
		err = sk.ScanFrom(start, fn)
	} else {
		err = st.Scan(func(k, v []byte) error {
			if bytes.Compare(k, start) < 0 {
				return nil
			}
			return fn(k, v)
		})
	}
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

var (
	dataPrefix = []byte{'d'}
	checkpoint = []byte("m:changelog-next")
)

func dataKey(k []byte) []byte { return append(append(make([]byte, 0, len(k)+1), dataPrefix...), k...) }

// Badger is a Store in a Badger database of its own.
type Badger struct {
	db *badger.DB
}

// BadgerOptions returns the options streamgen opens a partition store
// with: small memtables, tables, caches and value-log files, because a
// worker holds one store per partition and their memory adds up (Badger's
// defaults reserve a sparse 2 GiB value log, 64 MiB memtables and 2 MiB
// tables per store, whose builders take twice the table size each). Here:
// 512 KiB memtables and 256 KiB tables (a worker holding 1,000,000 keys in
// 8 stores peaked near 145 MiB with these, ~350 MiB with 4 MiB memtables
// and 2 MiB tables; BENCHMARKS.md), 16 MiB value-log files, no
// compression and so no block cache, no index cache (table indexes are
// read from the memory-mapped files); no fsync per write, because the
// changelog is the durable copy; Badger's logs routed to logger.
func BadgerOptions(dir string, logger *slog.Logger) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(badgerLogger{logger}).
		WithMemTableSize(512 << 10).
		WithValueThreshold(32 << 10).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithValueLogFileSize(16 << 20).
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithBaseTableSize(256 << 10).
		WithNumCompactors(2).
		WithSyncWrites(false).
		WithDetectConflicts(false)
}

// OpenBadger opens (or creates) the store in dir with BadgerOptions. If
// another process holds the directory (a worker on the same host that
// still owns the partition), it retries for up to wait.
func OpenBadger(dir string, logger *slog.Logger, wait time.Duration) (*Badger, error) {
	return openBadger(BadgerOptions(dir, logger), wait)
}

func openBadger(opts badger.Options, wait time.Duration) (*Badger, error) {
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		db, err := badger.Open(opts)
		if err == nil {
			return &Badger{db: db}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("opening store %s: %w", opts.Dir, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Builder opens the store of one table partition in dir, a directory of
// its own under the worker's data directory (created if missing), with
// logger receiving the store's logs. It is how a worker opens every store
// (owned partitions, standby replicas, global tables), as goka's
// storage.Builder; worker.WithStorage sets it.
type Builder func(dir string, logger *slog.Logger) (Store, error)

// LockWait is how long BadgerBuilder's stores wait for a directory that
// another process still holds (a worker on the same host that has not yet
// let go of the partition) before failing.
const LockWait = 30 * time.Second

// BadgerBuilder returns the default Builder: Badger with BadgerOptions,
// passed through tune first when it is not nil (e.g. to raise the
// memtable size for a few large partitions), waiting up to LockWait for a
// held directory.
func BadgerBuilder(tune func(badger.Options) badger.Options) Builder {
	return func(dir string, logger *slog.Logger) (Store, error) {
		opts := BadgerOptions(dir, logger)
		if tune != nil {
			opts = tune(opts)
		}
		return openBadger(opts, LockWait)
	}
}

// OpenBadgerInMemory opens a Badger store that lives in memory: for tests.
func OpenBadgerInMemory(logger *slog.Logger) (*Badger, error) {
	db, err := badger.Open(BadgerOptions("", logger).WithInMemory(true))
	if err != nil {
		return nil, err
	}
	return &Badger{db: db}, nil
}

// Get returns the value of key, in a read transaction of its own.
func (b *Badger) Get(key []byte) ([]byte, bool, error) {
	s := b.Snapshot()
	defer s.Close()
	return s.Get(key)
}

// Snapshot is a read view of a store for many reads in a row: it sees the
// store as it was when taken, and costs less per read than Store.Get.
// It is not safe for concurrent use; Close releases it.
type Snapshot interface {
	// Get returns the value of key as of the snapshot.
	Get(key []byte) ([]byte, bool, error)
	// Close releases the snapshot.
	Close()
}

// Snapshotter is a Store that hands out Snapshots.
type Snapshotter interface {
	// Snapshot returns a read view of the store as it is now.
	Snapshot() Snapshot
}

// Snapshot returns a read view backed by one read-only Badger transaction
// (Get opens one per read).
func (b *Badger) Snapshot() Snapshot { return &badgerSnapshot{txn: b.db.NewTransaction(false)} }

type badgerSnapshot struct {
	txn *badger.Txn
	key []byte // scratch for the prefixed key
}

func (s *badgerSnapshot) Get(key []byte) ([]byte, bool, error) {
	s.key = append(append(s.key[:0], dataPrefix...), key...)
	it, err := s.txn.Get(s.key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v, err := it.ValueCopy(nil)
	return v, err == nil, err
}

func (s *badgerSnapshot) Close() { s.txn.Discard() }

// Write applies batch with one WriteBatch.
func (b *Badger) Write(batch []KV) error {
	if len(batch) == 0 {
		return nil
	}
	wb := b.db.NewWriteBatch()
	defer wb.Cancel()
	for _, kv := range batch {
		var err error
		if kv.Delete {
			err = wb.Delete(dataKey(kv.Key))
		} else {
			err = wb.Set(dataKey(kv.Key), kv.Value)
		}
		if err != nil {
			return err
		}
	}
	return wb.Flush()
}

// SetCheckpoint records the changelog offset the store reflects.
func (b *Badger) SetCheckpoint(next int64) error {
	return b.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set(checkpoint, fmt.Appendf(nil, "%d", next)); err != nil {
			return err
		}
		return txn.Set(metaKey(SyncedAtMeta), fmt.Appendf(nil, "%d", time.Now().UnixMilli()))
	})
}

// Checkpoint returns the recorded changelog offset.
func (b *Badger) Checkpoint() (int64, bool, error) { return b.meta(checkpoint) }

// SetMeta records a named number beside the data.
func (b *Badger) SetMeta(name string, v int64) error { return b.setMeta(metaKey(name), v) }

// Meta returns a number SetMeta recorded.
func (b *Badger) Meta(name string) (int64, bool, error) {
	v, ok, err := b.meta(metaKey(name))
	if err == nil && !ok && !bytes.Equal(legacyMetaKey(name), checkpoint) {
		return b.meta(legacyMetaKey(name)) // a store written before meta values had their own prefix
	}
	return v, ok, err
}

// legacyMetaKey is where stores written before metaKey kept meta values.
func legacyMetaKey(name string) []byte { return []byte("m:" + name) }

// SyncedAtMeta is the meta value SetCheckpoint records: the wall-clock
// time (Unix ms) of the store's last checkpoint. A store offline for
// longer than its changelog's delete.retention.ms may have missed
// tombstones that compaction has since dropped: the worker rebuilds it.
const SyncedAtMeta = "synced-at"

// metaKey is where a named meta value lives: apart from the data keys
// ('d' prefix) and from the checkpoint ("m:changelog-next"), whatever the
// name (a meta value named "changelog-next" once overwrote the checkpoint;
// FuzzMetaNames).
func metaKey(name string) []byte { return []byte("n:" + name) }

func (b *Badger) setMeta(key []byte, v int64) error {
	return b.db.Update(func(txn *badger.Txn) error {
		return txn.Set(key, fmt.Appendf(nil, "%d", v))
	})
}

func (b *Badger) meta(key []byte) (int64, bool, error) {
	var next int64
	err := b.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key)
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error {
			_, err := fmt.Sscanf(string(v), "%d", &next)
			return err
		})
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	}
	return next, err == nil, err
}

// Close closes the database.
func (b *Badger) Close() error { return b.db.Close() }

// Scan calls fn with every key and value in key order.
func (b *Badger) Scan(fn func(key, value []byte) error) error { return b.ScanFrom(nil, fn) }

// ScanFrom calls fn with every key at or after start and its value, in
// key order (Seeker).
func (b *Badger) ScanFrom(start []byte, fn func(key, value []byte) error) error {
	return b.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.Prefix = dataPrefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(dataKey(start)); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := fn(item.KeyCopy(nil)[len(dataPrefix):], v); err != nil {
				return err
			}
		}
		return nil
	})
}

// ScanPrefix calls fn with every key that begins with prefix and its
// value, in key order (PrefixScanner). Unlike ScanFrom it prefetches no
// values: a prefix scan per record (a stream join's lookups) reads a few
// keys, and Badger's prefetch started a goroutine per value, which
// measured 45% of a join's CPU (BENCHMARKS.md).
func (b *Badger) ScanPrefix(prefix []byte, fn func(key, value []byte) error) error {
	return b.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = dataKey(prefix)
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Seek(opts.Prefix); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := fn(item.KeyCopy(nil)[len(dataPrefix):], v); err != nil {
				return err
			}
		}
		return nil
	})
}

// EstimateKeys returns the keys of Badger's on-disk tables (KeyEstimator):
// no scan, but a key's older versions count until compaction drops them,
// and the newest writes, still in memory, do not count yet.
func (b *Badger) EstimateKeys() int64 {
	var n int64
	for _, t := range b.db.Tables() {
		n += int64(t.KeyCount)
	}
	return n
}

// Len counts the keys in the store (a full scan: for tests and tools).
func (b *Badger) Len() (int, error) {
	n := 0
	err := b.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = dataPrefix
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}

// Memory is a Store in a Go map: for the test driver.
type Memory struct {
	mu   sync.Mutex
	data map[string][]byte
	next int64
	has  bool
	meta map[string]int64
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{data: map[string][]byte{}} }

// Get returns the value of key.
func (m *Memory) Get(key []byte) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.data[string(key)]
	return v, ok, nil
}

// Write applies batch.
func (m *Memory) Write(batch []KV) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, kv := range batch {
		if kv.Delete {
			delete(m.data, string(kv.Key))
		} else {
			m.data[string(kv.Key)] = append([]byte(nil), kv.Value...)
		}
	}
	return nil
}

// SetCheckpoint records the changelog offset.
func (m *Memory) SetCheckpoint(next int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next, m.has = next, true
	if m.meta == nil {
		m.meta = map[string]int64{}
	}
	m.meta[SyncedAtMeta] = time.Now().UnixMilli()
	return nil
}

// Checkpoint returns the recorded changelog offset.
func (m *Memory) Checkpoint() (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next, m.has, nil
}

// SetMeta records a named number.
func (m *Memory) SetMeta(name string, v int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.meta == nil {
		m.meta = map[string]int64{}
	}
	m.meta[name] = v
	return nil
}

// Meta returns a number SetMeta recorded.
func (m *Memory) Meta(name string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.meta[name]
	return v, ok, nil
}

// Close does nothing.
func (m *Memory) Close() error { return nil }

// Scan calls fn with every key and value, in no particular order.
func (m *Memory) Scan(fn func(key, value []byte) error) error {
	m.mu.Lock()
	keys := make([]string, 0, len(m.data))
	for k := range m.data {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		v, ok, _ := m.Get([]byte(k))
		if !ok {
			continue
		}
		if err := fn([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// ScanFrom calls fn with every key at or after start and its value, in
// key order (Seeker).
func (m *Memory) ScanFrom(start []byte, fn func(key, value []byte) error) error {
	m.mu.Lock()
	keys := make([]string, 0, len(m.data))
	for k := range m.data {
		if k >= string(start) {
			keys = append(keys, k)
		}
	}
	m.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		v, ok, _ := m.Get([]byte(k))
		if !ok {
			continue
		}
		if err := fn([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// EstimateKeys returns the number of keys (KeyEstimator).
func (m *Memory) EstimateKeys() int64 { return int64(m.Keys()) }

// Keys returns the number of keys.
func (m *Memory) Keys() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.data)
}

// badgerLogger routes Badger's logs into slog; Badger's INFO chatter
// (compactions, value-log GC) goes to debug.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) log(lvl slog.Level, f string, args ...any) {
	if b.l.Enabled(context.Background(), lvl) {
		b.l.Log(context.Background(), lvl, fmt.Sprintf(f, args...), "component", "badger")
	}
}

func (b badgerLogger) Errorf(f string, args ...any)   { b.log(slog.LevelError, f, args...) }
func (b badgerLogger) Warningf(f string, args ...any) { b.log(slog.LevelWarn, f, args...) }
func (b badgerLogger) Infof(f string, args ...any)    { b.log(slog.LevelDebug, f, args...) }
func (b badgerLogger) Debugf(f string, args ...any)   { b.log(slog.LevelDebug-4, f, args...) }
