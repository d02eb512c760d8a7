package state_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/state"
)

// storeOp is one step of a fuzzed store history.
type storeOp struct {
	kind  byte // 'w' write batch, 'c' checkpoint, 'm' meta
	batch []state.KV
	name  string
	n     int64
}

// decodeOps turns fuzz bytes into a store history: batches of puts and
// deletes whose keys and values are taken from the input (so keys repeat
// within and across batches, and may spell reserved names), checkpoints,
// and meta numbers under names taken from the input.
func decodeOps(b []byte) []storeOp {
	take := func(n int) []byte {
		if n > len(b) {
			n = len(b)
		}
		out := b[:n]
		b = b[n:]
		return out
	}
	next := func() int {
		if len(b) == 0 {
			return 0
		}
		v := b[0]
		b = b[1:]
		return int(v)
	}
	var ops []storeOp
	for len(b) > 0 && len(ops) < 64 {
		switch c := next(); c % 4 {
		case 0, 1:
			op := storeOp{kind: 'w'}
			for n := next()%8 + 1; n > 0 && len(b) > 0; n-- {
				kv := state.KV{Key: bytes.Clone(take(next() % 24))}
				if flag := next(); flag%5 == 0 {
					kv.Delete = true
				} else {
					kv.Value = bytes.Clone(take(next() % 40))
				}
				op.batch = append(op.batch, kv)
			}
			ops = append(ops, op)
		case 2:
			ops = append(ops, storeOp{kind: 'c', n: int64(next()<<8|next()) - 1000})
		case 3:
			ops = append(ops, storeOp{kind: 'm', name: string(take(next() % 20)), n: int64(next()) - 128})
		}
	}
	return ops
}

// encodeOps is the inverse of decodeOps, for seeds: each key, value and
// name under 24, 40 and 20 bytes, at most 8 writes per batch, checkpoints
// in [-1000, 64535], meta numbers in [-128, 127].
func encodeOps(ops []storeOp) []byte {
	var b []byte
	for _, op := range ops {
		switch op.kind {
		case 'w':
			b = append(b, 0, byte(len(op.batch)-1))
			for _, kv := range op.batch {
				b = append(b, byte(len(kv.Key)))
				b = append(b, kv.Key...)
				if kv.Delete {
					b = append(b, 0)
				} else {
					b = append(b, 1, byte(len(kv.Value)))
					b = append(b, kv.Value...)
				}
			}
		case 'c':
			n := op.n + 1000
			b = append(b, 2, byte(n>>8), byte(n))
		case 'm':
			b = append(b, 3, byte(len(op.name)))
			b = append(b, op.name...)
			b = append(b, byte(op.n+128))
		}
	}
	return b
}

// model is what a store must hold after a history.
type model struct {
	data       map[string][]byte
	checkpoint int64
	hasCP      bool
	meta       map[string]int64
	synced     bool // the last write of meta SyncedAtMeta was a checkpoint's (a wall-clock time)
}

func (m *model) apply(op storeOp) {
	switch op.kind {
	case 'w':
		for _, kv := range op.batch {
			if kv.Delete {
				delete(m.data, string(kv.Key))
			} else {
				m.data[string(kv.Key)] = kv.Value
			}
		}
	case 'c':
		m.checkpoint, m.hasCP = op.n, true
		delete(m.meta, state.SyncedAtMeta)
		m.synced = true
	case 'm':
		m.meta[op.name] = op.n
		if op.name == state.SyncedAtMeta {
			m.synced = false
		}
	}
}

func applyOp(s state.Store, op storeOp) error {
	switch op.kind {
	case 'w':
		return s.Write(op.batch)
	case 'c':
		return s.SetCheckpoint(op.n)
	default:
		return s.SetMeta(op.name, op.n)
	}
}

// checkpointName is the name under which Badger keeps the checkpoint
// among its meta entries.
const checkpointName = "changelog-next"

// reserved are names the stores use for their own entries, read back as
// data keys and as meta names to catch a shared key space.
var reserved = []string{"", "d", "m", "m:", "m:changelog-next", "changelog-next", "m:stream-time", "stream-time", state.SyncedAtMeta,
	"n:" + state.SyncedAtMeta, "\xff", "\xffs", "\xffc"}

// checkStore compares a store with the model: every key written, every
// reserved name and every meta name reads as the model says, a scan
// yields exactly the model's data (in key order for Badger), and the
// checkpoint and meta numbers are the model's.
func checkStore(t *testing.T, name string, s state.Store, m *model, ordered bool) {
	t.Helper()
	probe := map[string]bool{}
	for k := range m.data {
		probe[k] = true
	}
	for k := range m.meta {
		probe[k], probe["m:"+k], probe["d"+k] = true, true, true
	}
	for _, k := range reserved {
		probe[k] = true
	}
	for k := range probe {
		want, wantOK := m.data[k]
		got, ok, err := s.Get([]byte(k))
		if err != nil || ok != wantOK || !bytes.Equal(got, want) {
			t.Fatalf("%s: Get(%q) = %q, %v, %v; want %q, %v", name, k, got, ok, err, want, wantOK)
		}
	}
	var keys []string
	seen := map[string][]byte{}
	err := s.Scan(func(k, v []byte) error {
		if _, dup := seen[string(k)]; dup {
			return fmt.Errorf("key %q scanned twice", k)
		}
		seen[string(k)] = bytes.Clone(v)
		keys = append(keys, string(k))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: Scan: %v", name, err)
	}
	if len(seen) != len(m.data) {
		t.Fatalf("%s: Scan saw %d keys, want %d: %q", name, len(seen), len(m.data), keys)
	}
	for k, v := range m.data {
		if got, ok := seen[k]; !ok || !bytes.Equal(got, v) {
			t.Fatalf("%s: Scan gave %q for key %q (present %v), want %q", name, got, k, ok, v)
		}
	}
	if ordered && !sort.StringsAreSorted(keys) {
		t.Fatalf("%s: Scan not in key order: %q", name, keys)
	}
	cp, ok, err := s.Checkpoint()
	if err != nil || ok != m.hasCP || (ok && cp != m.checkpoint) {
		t.Fatalf("%s: Checkpoint = %d, %v, %v; want %d, %v", name, cp, ok, err, m.checkpoint, m.hasCP)
	}
	for _, k := range append(reserved, keysOf(m.meta, m.data)...) {
		if k == checkpointName {
			continue // meta against the checkpoint: FuzzMetaNames
		}
		if k == state.SyncedAtMeta && m.synced {
			if got, ok, err := s.Meta(k); err != nil || !ok || got <= 0 {
				t.Fatalf("%s: Meta(%q) = %d, %v, %v after a checkpoint; want the time it was taken", name, k, got, ok, err)
			}
			continue
		}
		want, wantOK := m.meta[k]
		got, ok, err := s.Meta(k)
		if err != nil || ok != wantOK || got != want {
			t.Fatalf("%s: Meta(%q) = %d, %v, %v; want %d, %v", name, k, got, ok, err, want, wantOK)
		}
	}
}

func keysOf(maps ...any) []string {
	var out []string
	for _, m := range maps {
		switch m := m.(type) {
		case map[string]int64:
			for k := range m {
				out = append(out, k)
			}
		case map[string][]byte:
			for k := range m {
				out = append(out, k)
			}
		}
	}
	return out
}

// FuzzStores applies one arbitrary history of write batches (puts and
// deletes, repeated keys, keys spelling the stores' reserved names),
// checkpoints and meta numbers to a Memory store and to an in-memory
// Badger store, and checks both against a map after every step: Get
// returns what was written last, Scan returns exactly the live keys, and
// the checkpoint and meta entries never collide with data keys nor with
// each other.
func FuzzStores(f *testing.F) {
	put := func(k, v string) state.KV { return state.KV{Key: []byte(k), Value: []byte(v)} }
	del := func(k string) state.KV { return state.KV{Key: []byte(k), Delete: true} }
	for _, ops := range [][]storeOp{
		{{kind: 'w', batch: []state.KV{put("k1", "v1"), put("k2", "v2")}}, {kind: 'c', n: 16}, {kind: 'm', name: "stream-time", n: 16}},
		// One key put, deleted and put again in one batch, then deleted.
		{{kind: 'w', batch: []state.KV{put("d", "a"), del("d"), put("d", "b")}}, {kind: 'w', batch: []state.KV{del("d"), del("never")}}},
		// The empty key and the empty value.
		{{kind: 'w', batch: []state.KV{put("", ""), put("e", "")}}},
		// Data keys spelling the stores' own entries, next to those entries.
		{{kind: 'c', n: 7}, {kind: 'm', name: "stream-time", n: -3}, {kind: 'm', name: "", n: 1},
			{kind: 'w', batch: []state.KV{put("m:changelog-next", "x"), put("changelog-next", "y"), put("m:stream-time", "z"), put("m:", "")}},
			{kind: 'c', n: 8}},
		// Window-store keys: the stream-time record and a closed marker.
		{{kind: 'w', batch: []state.KV{put("\xffs", "\x00\x00\x00\x00\x00\x00\x00\x01"), put("\xffcabc\x00\x00\x00\x00\x00\x00\xea\x60", "\x01")}}},
	} {
		f.Add(encodeOps(ops))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ops := decodeOps(b)
		for _, op := range ops {
			if op.kind == 'm' && op.name == checkpointName {
				t.Skip("meta named as the checkpoint: FuzzMetaNames")
			}
		}
		bs, err := state.OpenBadgerInMemory(slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer bs.Close()
		stores := []struct {
			name    string
			s       state.Store
			ordered bool
		}{{"Memory", state.NewMemory(), false}, {"Badger", bs, true}}
		m := &model{data: map[string][]byte{}, meta: map[string]int64{}}
		for i, op := range ops {
			m.apply(op)
			for _, st := range stores {
				if err := applyOp(st.s, op); err != nil {
					t.Fatalf("%s: step %d (%c): %v", st.name, i, op.kind, err)
				}
			}
			if i == len(ops)-1 || i%8 == 7 {
				for _, st := range stores {
					checkStore(t, fmt.Sprintf("%s after step %d of %s", st.name, i, describe(ops)), st.s, m, st.ordered)
				}
			}
		}
		if len(ops) == 0 {
			for _, st := range stores {
				checkStore(t, st.name, st.s, m, st.ordered)
			}
		}
	})
}

func describe(ops []storeOp) string {
	var sb strings.Builder
	for _, op := range ops {
		switch op.kind {
		case 'w':
			sb.WriteString("write[")
			for _, kv := range op.batch {
				if kv.Delete {
					fmt.Fprintf(&sb, " del %q", kv.Key)
				} else {
					fmt.Fprintf(&sb, " %q=%q", kv.Key, kv.Value)
				}
			}
			sb.WriteString(" ] ")
		case 'c':
			fmt.Fprintf(&sb, "checkpoint(%d) ", op.n)
		case 'm':
			fmt.Fprintf(&sb, "meta(%q, %d) ", op.name, op.n)
		}
	}
	return sb.String()
}

// FuzzMetaNames: a meta number, whatever its name, is kept beside the
// checkpoint and the other meta numbers, never in their place: after
// SetCheckpoint(cp), SetMeta(name, v) and SetMeta(other, w), both stores
// read back cp, v and w (or w twice when the names are equal).
func FuzzMetaNames(f *testing.F) {
	f.Add("stream-time", int64(1_700_000_000_000), "", int64(-1), int64(42))
	f.Add("", int64(0), "m:", int64(1), int64(0))
	f.Add("m:stream-time", int64(-5), "stream-time", int64(5), int64(9_223_372_036_854_775_807))
	f.Fuzz(func(t *testing.T, name string, v int64, other string, w, cp int64) {
		bs, err := state.OpenBadgerInMemory(slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer bs.Close()
		wantV := v
		if name == other {
			wantV = w
		}
		for _, st := range []struct {
			name string
			s    state.Store
		}{{"Memory", state.NewMemory()}, {"Badger", bs}} {
			if err := st.s.SetCheckpoint(cp); err != nil {
				t.Fatal(err)
			}
			if err := st.s.SetMeta(name, v); err != nil {
				t.Fatal(err)
			}
			if err := st.s.SetMeta(other, w); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := st.s.Checkpoint(); err != nil || !ok || got != cp {
				t.Errorf("%s: SetCheckpoint(%d), SetMeta(%q, %d), SetMeta(%q, %d); Checkpoint() = %d, %v, %v", st.name, cp, name, v, other, w, got, ok, err)
			}
			if got, ok, err := st.s.Meta(name); err != nil || !ok || got != wantV {
				t.Errorf("%s: Meta(%q) = %d, %v, %v; want %d", st.name, name, got, ok, err, wantV)
			}
			if got, ok, err := st.s.Meta(other); err != nil || !ok || got != w {
				t.Errorf("%s: Meta(%q) = %d, %v, %v; want %d", st.name, other, got, ok, err, w)
			}
			if _, ok, _ := st.s.Get([]byte(name)); ok {
				t.Errorf("%s: meta %q reads as a data key", st.name, name)
			}
		}
	})
}
