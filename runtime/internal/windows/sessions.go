package windows

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// Session windows (Kafka Streams' session windows): a key's events closer
// than the gap share a session, from its first event (Start) to its last
// (End). A session's value is stored under its window key, Key(key,
// Start), like any window's; the key's sessions, with their ends, are
// listed under one reserved key, SessionsKey(key). Every change goes
// through plain table writes (the value, tombstones of sessions merged
// away, the list), so caches, transactions, changelogs, restores and
// standbys treat sessions as they treat any table.

// Session is one session of a key: its first and last event times (ms).
type Session struct{ Start, End int64 }

// SessionsKey returns the reserved key under which key's sessions are
// listed: 0xff 'S', then the key (window keys of keys that begin with
// 0xff are escaped, so none collides).
func SessionsKey(key []byte) []byte { return append([]byte{0xff, 'S'}, key...) }

// SplitSessionsKey returns the key of a SessionsKey, and false for any
// other key.
func SplitSessionsKey(k []byte) ([]byte, bool) {
	if len(k) < 2 || k[0] != 0xff || k[1] != 'S' {
		return nil, false
	}
	return k[2:], true
}

// EncodeSessions encodes a key's sessions, sorted by start: 16 bytes each,
// start then end, big-endian milliseconds. No sessions encode as nil (a
// tombstone).
func EncodeSessions(ss []Session) []byte {
	if len(ss) == 0 {
		return nil
	}
	out := make([]byte, 0, 16*len(ss))
	for _, s := range ss {
		out = binary.BigEndian.AppendUint64(out, uint64(s.Start))
		out = binary.BigEndian.AppendUint64(out, uint64(s.End))
	}
	return out
}

// DecodeSessions undoes EncodeSessions.
func DecodeSessions(v []byte) ([]Session, error) {
	if len(v)%16 != 0 {
		return nil, fmt.Errorf("a session list is a multiple of 16 bytes, not %d", len(v))
	}
	out := make([]Session, 0, len(v)/16)
	for i := 0; i < len(v); i += 16 {
		out = append(out, Session{Start: int64(binary.BigEndian.Uint64(v[i:])), End: int64(binary.BigEndian.Uint64(v[i+8:]))})
	}
	return out, nil
}

// Fit places an event at t (ms) among a key's sessions at stream time
// now. The event joins every session it is within gap of that is not
// closed (the sessions it merges, oldest first) and the result spans them
// and t. late is true when that result is closed already (its end plus
// gap plus grace is at or before now): the event is too late to count.
// rest are the sessions it does not touch.
func (s Spec) Fit(ss []Session, t, now int64) (merged, rest []Session, result Session, late bool) {
	result = Session{Start: t, End: t}
	for _, x := range ss {
		if x.Start-s.Gap <= t && t <= x.End+s.Gap && !s.ClosedEnd(x.End, now) {
			merged = append(merged, x)
			result.Start, result.End = min(result.Start, x.Start), max(result.End, x.End)
			continue
		}
		rest = append(rest, x)
	}
	slices.SortFunc(merged, byStart)
	return merged, rest, result, s.ClosedEnd(result.End, now)
}

// Overlaps reports whether session x overlaps [from, to) (ms): one rule
// for handlers' and queries' session ranges.
func Overlaps(x Session, from, to int64) bool { return x.End >= from && x.Start < to }

// Insert returns ss with x added, sorted by start.
func Insert(ss []Session, x Session) []Session {
	out := append(slices.Clone(ss), x)
	slices.SortFunc(out, byStart)
	return out
}

func byStart(a, b Session) int { return cmp.Compare(a.Start, b.Start) }
