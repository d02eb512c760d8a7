package lane

import (
	"fmt"
	"slices"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// Windows closes the lane's due windows, then expires old ones, both at
// one reading of stream time: a window whose close and expiry fall due
// together (a session's, by default) is closed before it is deleted, even
// while other lanes of the partition move stream time on.
func (l *Lane) Windows() {
	now := l.cfg.Clock.Now()
	if l.cfg.JoinClock != nil {
		now = l.cfg.JoinClock.Now() // a stream join's buffers
	}
	l.closeWindows(now)
	l.expire(now)
}

// closeWindows hands the final value of every window of the lane past its
// end plus grace at stream time now, oldest first, to the table's
// on_window_close agents, once; the Guarantee produces their outputs and
// records the window's closed marker.
func (l *Lane) closeWindows(now int64) {
	if now == 0 {
		return
	}
	for t, ix := range l.indexes {
		if ix == nil || len(l.closers[t]) == 0 {
			continue
		}
		for _, k := range ix.Close(now) {
			end, _ := ix.End(k)
			if !l.closeWindow(t, []byte(k), end) {
				return
			}
		}
	}
	l.Produce()
}

// closeWindow runs the closers of table t on window key wk, ending at
// end (ms); false means the lane failed.
func (l *Lane) closeWindow(t int, wk []byte, end int64) bool {
	tb := l.tables[t]
	value, found, err := l.windowValue(t, wk)
	if err != nil {
		l.fail(fmt.Errorf("streamgen: reading a window of table %q: %w", tb.Desc.Name, err))
		return false
	}
	if !found {
		return true
	}
	key, start, _ := windows.SplitKey(wk)
	cw := runtime.ClosedWindow{Table: tb.Desc.Name, Key: key, Start: start, End: windows.Time(end)}
	var recs []runtime.Record
	for _, c := range l.closers[t] {
		res, err := c.proc.ProcessClosed(l.cfg.Ctx, cw, tb.Partition, value)
		if err == nil {
			recs = append(recs, res.Records...)
			for _, f := range res.Failed { // a stream join's records, each on its own
				dl := l.policy(c.ag, f.Record, f.Err)
				if dl == nil {
					return false
				}
				recs = append(recs, *dl)
			}
			continue
		}
		// The error policy sees the window's changelog record.
		src := &runtime.Record{Topic: tb.Desc.Changelog.Name, Partition: tb.Partition, Offset: -1, Key: key, Value: value, Timestamp: cw.End}
		dl := l.policy(c.ag, src, err)
		if dl == nil {
			return false
		}
		recs = append(recs, *dl)
	}
	l.cfg.Guarantee.WindowClosed(l, t, windows.ClosedMarker(wk), recs)
	return true
}

// windowValue reads the value of the window stored under window key wk
// of table t: a session's from its key's session list.
func (l *Lane) windowValue(t int, wk []byte) ([]byte, bool, error) {
	if !l.tables[t].Desc.Window.Session() {
		return l.view.Get(t, wk)
	}
	key, start, _ := windows.SplitKey(wk)
	ss, err := l.sessions(t, key)
	if err != nil {
		return nil, false, err
	}
	x, ok := windows.StartingAt(ss, start.UnixMilli())
	return x.Value, ok, nil
}

// sessions reads key's sessions in table t.
func (l *Lane) sessions(t int, key []byte) ([]windows.Session, error) {
	v, _, err := l.view.Get(t, windows.SessionsKey(key))
	if err != nil {
		return nil, err
	}
	return windows.DecodeSessions(v)
}

// expire deletes the lane's windows past their end plus expires at stream
// time now, and the closed markers of those that were closed: tombstones
// in the store and the changelog at the next flush. A window closed at
// least once whose marker has not reached the store yet (its
// acknowledgements are on their way) waits: deleted first, its marker
// would be written after its tombstone and stay in the store for good.
func (l *Lane) expire(now int64) {
	waiting := func(wk string) bool {
		g := l.closing[wk]
		return g != nil && !g.written.Load()
	}
	for t, ix := range l.indexes {
		if ix == nil {
			continue
		}
		session := l.tables[t].Desc.Window.Session()
		for _, e := range ix.Expire(now, waiting) {
			delete(l.closing, e.Key)
			if e.Closed {
				l.view.write(t, windows.ClosedMarker([]byte(e.Key)), nil)
			}
			if !session {
				l.view.write(t, []byte(e.Key), nil)
			} else if !l.unlistSession(t, []byte(e.Key)) {
				return
			}
		}
	}
}

// unlistSession removes the session stored under window key wk from its
// key's session list in table t; false means the lane failed.
func (l *Lane) unlistSession(t int, wk []byte) bool {
	key, start, _ := windows.SplitKey(wk)
	ss, err := l.sessions(t, key)
	if err != nil {
		l.fail(fmt.Errorf("streamgen: reading the sessions of a key of table %q: %w", l.tables[t].Desc.Name, err))
		return false
	}
	ss = slices.DeleteFunc(ss, func(s windows.Session) bool { return s.Start == start.UnixMilli() })
	l.view.write(t, windows.SessionsKey(key), windows.EncodeSessions(ss))
	return true
}
