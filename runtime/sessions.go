package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// Session windows through the Emitter: a handler's Update adds the
// record's event to its key's sessions (internal/windows/sessions.go);
// its reads find the session containing a time. A key's sessions, spans
// and values, are one table value: Update reads it and writes it back, as
// one plain table write of this record.

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

// sessionValue decodes a session's value; a session without one (none
// stored yet) reads as the table's default.
func sessionValue(t *TableDesc, raw []byte, key []byte) (proto.Message, error) {
	m := t.New()
	if raw == nil {
		raw = t.Default
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("streamgen: table %q: decoding a session of key %q: %w", t.Name, key, err)
	}
	return m, nil
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
	m, err := e.mergeSessions(ctx, t, key, merged)
	if err != nil {
		return err
	}
	if err := fn(m); err != nil {
		return err
	}
	if result.Value, err = proto.Marshal(m); err != nil {
		return fmt.Errorf("streamgen: table %q: %w", t.Name, err)
	}
	e.writes = append(e.writes, TableWrite{Table: i, Key: windows.SessionsKey(key),
		Value: windows.EncodeSessions(windows.Insert(rest, result))})
	return nil
}

// mergeSessions returns the value of the sessions merged (oldest first)
// combined by the table's Merge, or the table's default when there are
// none.
func (e *Emitter) mergeSessions(ctx context.Context, t *TableDesc, key []byte, merged []windows.Session) (proto.Message, error) {
	if len(merged) == 0 {
		return sessionValue(t, nil, key)
	}
	acc, err := sessionValue(t, merged[0].Value, key)
	if err != nil {
		return nil, err
	}
	for _, x := range merged[1:] {
		m, err := sessionValue(t, x.Value, key)
		if err != nil {
			return nil, err
		}
		if t.Merge == nil {
			return nil, fmt.Errorf("streamgen: table %q has session windows but no Merge function", t.Name)
		}
		acc, err = t.Merge(ctx, e.impl, acc, m)
		if errors.Is(err, ErrUnimplemented) {
			return nil, fmt.Errorf("streamgen: table %q: an event of key %q bridges two sessions, and the agents implementation does not implement %s (the embedded Unimplemented struct's returns %w); implement it to merge them",
				t.Name, key, t.MergeMethod, err)
		}
		if err != nil {
			return nil, fmt.Errorf("streamgen: table %q: merging sessions of key %q: %w", t.Name, key, err)
		}
		if acc == nil {
			return nil, fmt.Errorf("streamgen: table %q: the merge method returned nil for key %q; return the combined value", t.Name, key)
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
	for _, x := range ss {
		if x.Start <= ms && ms <= x.End {
			return sessionValue(t, x.Value, key)
		}
	}
	return sessionValue(t, nil, key)
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
		m, err := sessionValue(t, x.Value, key)
		if err != nil {
			return nil, err
		}
		out = append(out, WindowValue{Start: windows.Time(x.Start), End: windows.Time(x.End), Value: m})
	}
	return out, nil
}
