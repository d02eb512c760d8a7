package windows

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Session windows (Kafka Streams' session windows): a key's events closer
// than the gap share a session, from its first event (Start) to its last
// (End). A key's sessions, each with its span and value, are one table
// value under one reserved key, SessionsKey(key): an event reads one key
// and writes one, as a tumbling window's does (storing each session's
// value under its own window key cost a second read and write per event
// and ran at 0.33x of tumbling windows, BENCHMARKS.md). Every change is a
// plain table write, so caches, transactions, changelogs, restores and
// standbys treat sessions as they treat any table. Window keys
// (Key(key, Start)) still name sessions: closed markers, the index.

// Session is one session of a key: its first and last event times (ms)
// and its value (the table value's protobuf encoding).
type Session struct {
	Start, End int64
	Value      []byte
}

// SessionsKey returns the reserved key under which key's sessions are
// kept: 0xff 'S', then the key (window keys of keys that begin with 0xff
// are escaped, so none collides).
func SessionsKey(key []byte) []byte { return append([]byte{0xff, 'S'}, key...) }

// SplitSessionsKey returns the key of a SessionsKey, and false for any
// other key.
func SplitSessionsKey(k []byte) ([]byte, bool) {
	if len(k) < 2 || k[0] != 0xff || k[1] != 'S' {
		return nil, false
	}
	return k[2:], true
}

// EncodeSessions encodes a key's sessions, sorted by start: each is its
// start and end (big-endian milliseconds, 8 bytes each), its value's
// length (uvarint) and its value. No sessions encode as nil (a
// tombstone).
func EncodeSessions(ss []Session) []byte {
	if len(ss) == 0 {
		return nil
	}
	n := 0
	for _, s := range ss {
		n += 16 + binary.MaxVarintLen64 + len(s.Value)
	}
	out := make([]byte, 0, n)
	for _, s := range ss {
		out = binary.BigEndian.AppendUint64(out, uint64(s.Start))
		out = binary.BigEndian.AppendUint64(out, uint64(s.End))
		out = binary.AppendUvarint(out, uint64(len(s.Value)))
		out = append(out, s.Value...)
	}
	return out
}

// DecodeSessions undoes EncodeSessions. The values alias v.
func DecodeSessions(v []byte) ([]Session, error) {
	var out []Session
	for len(v) > 0 {
		if len(v) < 17 {
			return nil, fmt.Errorf("a session list ends %d bytes into a session", len(v))
		}
		s := Session{Start: int64(binary.BigEndian.Uint64(v)), End: int64(binary.BigEndian.Uint64(v[8:]))}
		n, w := binary.Uvarint(v[16:])
		if w <= 0 || uint64(len(v)-16-w) < n {
			return nil, errors.New("a session list's value is cut short")
		}
		v = v[16+w:]
		s.Value, v = v[:n:n], v[n:]
		out = append(out, s)
	}
	return out, nil
}

// Fit places an event at t (ms) among a key's sessions (sorted by start)
// at stream time now. The event joins every open session it is within gap
// of (the sessions it merges, oldest first) and the result spans them and
// t. A closed session is never reopened, whether it is still kept or
// deleted (so the result does not depend on expires): its final value is
// out, and an event within its gap joins the open sessions near it or
// starts its own. late is true when the result is closed already (its end
// plus gap plus grace is at or before now): the event is too late to
// count. rest are the sessions it does not touch.
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
	return merged, rest, result, s.ClosedEnd(result.End, now) // ss is sorted: so is merged
}

// StartingAt returns the session of ss that starts at start (ms), and
// whether there is one.
func StartingAt(ss []Session, start int64) (Session, bool) {
	for _, x := range ss {
		if x.Start == start {
			return x, true
		}
	}
	return Session{}, false
}

// Overlaps reports whether session x overlaps [from, to) (ms): one rule
// for handlers' and queries' session ranges.
func Overlaps(x Session, from, to int64) bool { return x.End >= from && x.Start < to }

// Insert returns ss (sorted by start) with x added, sorted by start, in a
// new slice.
func Insert(ss []Session, x Session) []Session {
	i, _ := slices.BinarySearchFunc(ss, x, byStart)
	out := make([]Session, 0, len(ss)+1)
	out = append(append(append(out, ss[:i]...), x), ss[i:]...)
	return out
}

func byStart(a, b Session) int { return cmp.Compare(a.Start, b.Start) }
