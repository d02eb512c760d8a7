package runtime

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// Session windows through the Emitter: a handler's Update adds the
// record's event to its key's sessions (internal/windows/sessions.go);
// its reads find the session containing a time. Everything is written as
// plain table writes of this record: the session's value, tombstones of
// the sessions it merged, and the key's session list.

// sessions returns the sessions of key in table i, oldest first.
func (e *Emitter) sessions(i int, t *TableDesc, key []byte) ([]windows.Session, error) {
	raw, _, err := e.lookup(i, t, windows.SessionsKey(key))
	if err != nil {
		return nil, err
	}
	ss, err := windows.DecodeSessions(raw)
	if err != nil {
		return nil, fmt.Errorf("streamgen: table %q: the sessions of key %q: %w", t.Name, key, err)
	}
	return ss, nil
}

// sessionUpdate adds the record's event time to key's sessions of table
// i: it joins (and merges, through the table's Merge) the open sessions
// within the gap of it, or starts one; fn then updates the session's
// value. An event whose session would be closed already is late: it is
// skipped and counted in Late.
func (e *Emitter) sessionUpdate(ctx context.Context, i int, t *TableDesc, key []byte, fn func(proto.Message) error) error {
	ss, err := e.sessions(i, t, key)
	if err != nil {
		return err
	}
	merged, rest, result, late := t.Window.spec().Fit(ss, e.eventTime.UnixMilli(), e.now().UnixMilli())
	if late {
		e.late++
		return nil
	}
	m, err := e.mergeSessions(ctx, i, t, key, merged)
	if err != nil {
		return err
	}
	if err := fn(m); err != nil {
		return err
	}
	v, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("streamgen: table %q: %w", t.Name, err)
	}
	if v == nil {
		v = []byte{}
	}
	for _, x := range merged {
		if x.Start != result.Start {
			e.writes = append(e.writes, TableWrite{Table: i, Key: windows.Key(key, windows.Time(x.Start))})
		}
	}
	e.writes = append(e.writes,
		TableWrite{Table: i, Key: windows.Key(key, windows.Time(result.Start)), Value: v},
		TableWrite{Table: i, Key: windows.SessionsKey(key), Value: windows.EncodeSessions(windows.Insert(rest, result))})
	return nil
}

// mergeSessions returns the value of the sessions merged (oldest first)
// combined by the table's Merge, or the table's default when there are
// none.
func (e *Emitter) mergeSessions(ctx context.Context, i int, t *TableDesc, key []byte, merged []windows.Session) (proto.Message, error) {
	if len(merged) == 0 {
		m, _, err := e.getRaw(i, t, windows.Key(key, windows.Time(e.eventTime.UnixMilli())))
		return m, err
	}
	var acc proto.Message
	for j, x := range merged {
		m, _, err := e.getRaw(i, t, windows.Key(key, windows.Time(x.Start)))
		if err != nil {
			return nil, err
		}
		if j == 0 {
			acc = m
			continue
		}
		if t.Merge == nil {
			return nil, fmt.Errorf("streamgen: table %q has session windows but no Merge function", t.Name)
		}
		if acc, err = t.Merge(ctx, e.impl, acc, m); err != nil {
			return nil, fmt.Errorf("streamgen: table %q: merging sessions of key %q: %w", t.Name, key, err)
		}
		if acc == nil {
			return nil, fmt.Errorf("streamgen: table %q: Merge returned nil for key %q; return the combined value", t.Name, key)
		}
	}
	return acc, nil
}

// sessionAt returns the value of key's session containing at (from its
// first to its last event), or the table's default.
func (e *Emitter) sessionAt(i int, t *TableDesc, key []byte, at time.Time) (proto.Message, error) {
	ss, err := e.sessions(i, t, key)
	if err != nil {
		return nil, err
	}
	ms := at.UnixMilli()
	start := ms // no session: a key without a value, which reads as the default
	for _, x := range ss {
		if x.Start <= ms && ms <= x.End {
			start = x.Start
			break
		}
	}
	m, _, err := e.getRaw(i, t, windows.Key(key, windows.Time(start)))
	return m, err
}

// sessionRange returns key's sessions that overlap [from, to), oldest
// first; End is each session's last event.
func (e *Emitter) sessionRange(i int, t *TableDesc, key []byte, from, to time.Time) ([]WindowValue, error) {
	ss, err := e.sessions(i, t, key)
	if err != nil {
		return nil, err
	}
	var out []WindowValue
	for _, x := range ss {
		if !windows.Overlaps(x, from.UnixMilli(), to.UnixMilli()) {
			continue
		}
		m, _, err := e.getRaw(i, t, windows.Key(key, windows.Time(x.Start)))
		if err != nil {
			return nil, err
		}
		out = append(out, WindowValue{Start: windows.Time(x.Start), End: windows.Time(x.End), Value: m})
	}
	return out, nil
}
