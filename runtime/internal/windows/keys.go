package windows

import (
	"encoding/binary"
	"time"
)

// Every key a table store or changelog holds besides the tables' own keys
// is defined here. A windowed table's own keys are window keys (Key);
// reserved keys start with 0xff followed by a letter, and a window key
// that would start with 0xff (a table key starting with it, or an empty
// table key and a negative start) is escaped with one more 0xff in front,
// so the two never collide (FuzzReservedKeysDisjoint):
//
//	[0xff] key + 8-byte big-endian window start (ms)  a window's value
//	0xff 'c' + window key                             the window was closed and its final value delivered
//	0xff 's'                                          the partition's stream time (8 bytes, ms)
//
// Store metadata (checkpoint, StreamTimeMeta) lives outside the data key
// space of package state.

// Key is the store and changelog key of key's window starting at start:
// the key, then the start in milliseconds, big-endian; escaped with a
// leading 0xff when it would start with 0xff.
func Key(key []byte, start time.Time) []byte {
	out := make([]byte, 1, len(key)+9)
	out[0] = escape
	out = append(out, key...)
	out = binary.BigEndian.AppendUint64(out, uint64(start.UnixMilli()))
	if out[1] != escape {
		out = out[1:]
	}
	return out
}

// escape is the first byte of reserved keys, and of an escaped window key
// (twice).
const escape = 0xff

// SplitKey undoes Key; ok is false for a key that is not a window key (a
// reserved key, or one shorter than 8 bytes).
func SplitKey(k []byte) (key []byte, start time.Time, ok bool) {
	if len(k) > 0 && k[0] == escape {
		if len(k) < 2 || k[1] != escape {
			return nil, time.Time{}, false // reserved
		}
		k = k[1:]
	}
	if len(k) < 8 {
		return nil, time.Time{}, false
	}
	n := len(k) - 8
	return k[:n], time.UnixMilli(int64(binary.BigEndian.Uint64(k[n:]))).UTC(), true
}

// ClosedMarker is the store and changelog key recording that the window
// stored under windowKey was closed and its final value delivered.
func ClosedMarker(windowKey []byte) []byte {
	return append([]byte{0xff, 'c'}, windowKey...)
}

// SplitClosedMarker returns the window key of a closed marker key, and
// false for any other key.
func SplitClosedMarker(k []byte) ([]byte, bool) {
	if len(k) < 2 || k[0] != 0xff || k[1] != 'c' {
		return nil, false
	}
	return k[2:], true
}

// ClosedValue is the value stored under a closed marker.
var ClosedValue = []byte{1}

// StreamTimeKey is the changelog (and store) key of a windowed table
// partition's stream time, so that a worker restoring the partition from
// the changelog alone resumes it. Its value is EncodeStreamTime's.
var StreamTimeKey = []byte{0xff, 's'}

// StreamTimeMeta is the store meta entry holding the partition's stream
// time (ms), written with each checkpoint, so that after a restart with
// the data directory intact windows close on the timer even if the
// partition gets no new event.
const StreamTimeMeta = "stream-time"

// EncodeStreamTime is the value of StreamTimeKey: ms, 8 bytes big-endian.
func EncodeStreamTime(ms int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(ms))
}

// DecodeStreamTime undoes EncodeStreamTime; ok is false for a value of
// another length.
func DecodeStreamTime(v []byte) (ms int64, ok bool) {
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}
