package kafka

import (
	"log/slog"
	"testing"
)

// TestLogLevel: librdkafka's syslog levels map to slog levels as both log
// routes (the C clients' callback and the admin client's channel) use them.
func TestLogLevel(t *testing.T) {
	want := []slog.Level{
		0: slog.LevelError, // emergency
		1: slog.LevelError, // alert
		2: slog.LevelError, // critical
		3: slog.LevelError, // error
		4: slog.LevelWarn,  // warning
		5: slog.LevelInfo,  // notice
		6: slog.LevelInfo,  // info
		7: slog.LevelDebug, // debug
	}
	for syslog, w := range want {
		if got := logLevel(syslog); got != w {
			t.Errorf("logLevel(%d) = %v, want %v", syslog, got, w)
		}
	}
}

// TestTxnOpNames: the transactional calls keep the names TxnError.Op has
// always carried, and the C enum's values.
func TestTxnOpNames(t *testing.T) {
	for _, c := range []struct {
		op   txnOp
		code int
		name string
	}{
		{txnInit, 0, "init"},
		{txnBegin, 1, "begin"},
		{txnCommit, 2, "commit"},
		{txnAbort, 3, "abort"},
	} {
		if int(c.op) != c.code || c.op.String() != c.name {
			t.Errorf("txnOp %d %q, want %d %q", int(c.op), c.op.String(), c.code, c.name)
		}
	}
}
