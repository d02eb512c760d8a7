// Package windows is the one home of streamgen's window rules, shared by
// the worker's lanes and the test driver so both run the same code:
//
//   - keys.go: the reserved store and changelog keys (window keys, closed
//     markers, the stream-time record);
//   - assign.go: which windows an event time falls in (tumbling, hopping,
//     sliding reads);
//   - clock.go: a partition's stream time (highest event time seen, moved
//     on by the wall clock, or the driver's virtual clock, when idle);
//   - index.go: the windows a lane is responsible for, which of them are
//     due to close (end plus grace passed) and to expire (end plus
//     expires passed);
//   - sessions.go: session windows, a key's sessions listed under one
//     reserved key, and where an event falls among them (Spec.Fit).
//
// Times are Unix milliseconds (int64) throughout, as stored in keys.
package windows
