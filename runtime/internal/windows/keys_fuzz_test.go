package windows_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// FuzzWindowKey: every encoding of keys.go round trips. A window key (the
// table key and 8 bytes of start, escaped with a leading 0xff when it
// would start with 0xff) splits back into its table key and start (to the
// millisecond, for any int64 start), a closed marker into its window key,
// a stream time into its milliseconds; no encoder's result aliases its
// input.
func FuzzWindowKey(f *testing.F) {
	f.Add([]byte("a1"), int64(1_700_000_000_000))
	f.Add([]byte{}, int64(0))
	f.Add([]byte("word"), int64(-1))
	f.Add([]byte{0xff, 's'}, int64(60_000))
	f.Add([]byte{0xff, 0xff}, int64(1))
	f.Add([]byte{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, int64(-9_223_372_036_854_775_808))
	f.Add([]byte("account-42"), int64(9_223_372_036_854_775_807))
	f.Fuzz(func(t *testing.T, key []byte, ms int64) {
		orig := bytes.Clone(key)
		k := windows.Key(key, time.UnixMilli(ms))
		// A window key that would start with 0xff, the first byte of the
		// reserved keys, is escaped with one more.
		want := len(key) + 8
		if len(k) > 0 && k[0] == 0xff {
			want++
		}
		if len(k) != want || (len(k) > 8 && k[0] == 0xff && k[1] != 0xff) {
			t.Fatalf("Key(%q, %d) = %q, want %d bytes, escaped if it starts with 0xff", key, ms, k, want)
		}
		gotKey, start, ok := windows.SplitKey(k)
		if !ok || !bytes.Equal(gotKey, key) || start.UnixMilli() != ms || start.Location() != time.UTC {
			t.Fatalf("SplitKey(Key(%q, %d)) = %q, %v (%d ms), %v", key, ms, gotKey, start, start.UnixMilli(), ok)
		}

		m := windows.ClosedMarker(k)
		wk, ok := windows.SplitClosedMarker(m)
		if !ok || !bytes.Equal(wk, k) {
			t.Fatalf("SplitClosedMarker(ClosedMarker(%q)) = %q, %v", k, wk, ok)
		}
		if bytes.Equal(m, windows.StreamTimeKey) || bytes.Equal(k, windows.StreamTimeKey) {
			t.Fatalf("window key %q or its marker %q is the stream-time key", k, m)
		}
		// Encoders copy: changing a result leaves the input as it was.
		for i := range m {
			m[i] ^= 0xff
		}
		for i := range k {
			k[i] ^= 0xff
		}
		if !bytes.Equal(key, orig) {
			t.Fatalf("key changed to %q after its window key and marker were written to", key)
		}

		v := windows.EncodeStreamTime(ms)
		if got, ok := windows.DecodeStreamTime(v); !ok || got != ms || len(v) != 8 {
			t.Fatalf("DecodeStreamTime(EncodeStreamTime(%d)) = %d, %v (%d bytes)", ms, got, ok, len(v))
		}
	})
}

// FuzzSplitKeys: the parsers of keys.go take any bytes without panicking,
// and whatever they accept is exactly what the matching encoder writes,
// so a parsed key never stands for two different stored keys; SplitKey
// refuses only short keys and reserved ones (0xff then another byte).
func FuzzSplitKeys(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte{0xff, 'c'})
	f.Add([]byte{0xff, 's'})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(windows.EncodeStreamTime(1_700_000_000_000))
	f.Add(windows.Key([]byte("a1"), time.UnixMilli(1_700_000_000_000)))
	f.Add(windows.ClosedMarker(windows.Key([]byte("a1"), time.UnixMilli(60_000))))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		if key, start, ok := windows.SplitKey(b); ok {
			if again := windows.Key(key, start); !bytes.Equal(again, orig) {
				t.Fatalf("SplitKey(%q) = %q, %v; Key of those = %q", orig, key, start, again)
			}
		} else if reserved := len(b) > 0 && b[0] == 0xff && (len(b) < 2 || b[1] != 0xff); !reserved && len(b) >= 8 && !(b[0] == 0xff && len(b) < 9) {
			t.Fatalf("SplitKey(%q) refused a key of %d bytes that is not reserved", b, len(b))
		}
		if wk, ok := windows.SplitClosedMarker(b); ok {
			if again := windows.ClosedMarker(wk); !bytes.Equal(again, orig) {
				t.Fatalf("SplitClosedMarker(%q) = %q; ClosedMarker of it = %q", orig, wk, again)
			}
		}
		if ms, ok := windows.DecodeStreamTime(b); ok {
			if again := windows.EncodeStreamTime(ms); !bytes.Equal(again, orig) {
				t.Fatalf("DecodeStreamTime(%q) = %d; EncodeStreamTime of it = %q", orig, ms, again)
			}
		} else if len(b) == 8 {
			t.Fatalf("DecodeStreamTime(%q) refused 8 bytes", b)
		}
		if !bytes.Equal(b, orig) {
			t.Fatalf("a parser changed its input %q to %q", orig, b)
		}
	})
}

// FuzzReservedKeysDisjoint: keys.go promises that the reserved keys
// "never collide" with a windowed table's own keys. A window key of any
// table key (a table keyed by the record key or by a bytes field takes any
// bytes) must not parse as a closed marker nor equal the stream-time key,
// and a store holding one window, as Index.Load scans it after a restart,
// must yield that window.
func FuzzReservedKeysDisjoint(f *testing.F) {
	f.Add([]byte("a1"), int64(1_700_000_000_000))
	f.Add([]byte{}, int64(0))
	f.Add([]byte{0xff}, int64(60_000))
	f.Add([]byte{0xff, 's'}, int64(60_000))
	f.Add([]byte{'c', 0xff}, int64(-60_000))
	spec := windows.NewSpec(time.Minute, time.Minute, 0, time.Hour, 0, false)
	f.Fuzz(func(t *testing.T, key []byte, ms int64) {
		k := windows.Key(key, time.UnixMilli(ms))
		if wk, ok := windows.SplitClosedMarker(k); ok {
			t.Errorf("window key %q (table key %q, start %d ms) parses as the closed marker of window %q", k, key, ms, wk)
		}
		if bytes.Equal(k, windows.StreamTimeKey) {
			t.Errorf("window key %q is the stream-time key", k)
		}
		if sk, ok := windows.SplitSessionsKey(k); ok {
			t.Errorf("window key %q parses as the session list of key %q", k, sk)
		}
		ix := windows.NewIndex(spec)
		scan := func(fn func(k, v []byte) error) error {
			if err := fn(windows.StreamTimeKey, windows.EncodeStreamTime(ms)); err != nil {
				return err
			}
			return fn(k, []byte{1})
		}
		if err := ix.Load(scan, func([]byte) bool { return true }); err != nil {
			t.Fatal(err)
		}
		if ix.Len() != 1 {
			t.Errorf("Index.Load of a store holding window key %q and the stream time loaded %d windows, want 1", k, ix.Len())
		}
	})
}
