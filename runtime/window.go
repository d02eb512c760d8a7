package runtime

import (
	"time"

	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// WindowKey is the store and changelog key of key's window starting at
// start: the key, then the start in milliseconds, big-endian.
func WindowKey(key []byte, start time.Time) []byte { return windows.Key(key, start) }

// SplitWindowKey undoes WindowKey; ok is false for keys shorter than 8
// bytes.
func SplitWindowKey(k []byte) (key []byte, start time.Time, ok bool) { return windows.SplitKey(k) }

// ClosedMarkerKey is the store and changelog key that records that the
// window stored under windowKey was closed and its final value delivered.
func ClosedMarkerKey(windowKey []byte) []byte { return windows.ClosedMarker(windowKey) }

// SplitClosedMarker returns the window key of a closed marker key, and
// false for any other key.
func SplitClosedMarker(k []byte) ([]byte, bool) { return windows.SplitClosedMarker(k) }

// spec returns the window definition in the form package windows computes
// with (milliseconds).
func (w *WindowSpec) spec() windows.Spec {
	return windows.NewSpec(w.Size, w.Step, w.Grace, w.Expires, w.Gap, w.Sliding)
}

// ReadStart returns the start of the window a read at t returns: the
// newest window containing t, or for sliding windows the one ending first
// after t. Session windows have no fixed starts: t itself.
func (w *WindowSpec) ReadStart(t time.Time) time.Time {
	if w.Session() {
		return t
	}
	return windows.Time(w.spec().ReadStart(t.UnixMilli()))
}

// Starts returns the starts of the windows that contain t, newest first;
// none for session windows, whose starts depend on the events.
func (w *WindowSpec) Starts(t time.Time) []time.Time {
	if w.Session() {
		return nil
	}
	ms := w.spec().Starts(t.UnixMilli())
	out := make([]time.Time, len(ms))
	for i, s := range ms {
		out[i] = windows.Time(s)
	}
	return out
}
