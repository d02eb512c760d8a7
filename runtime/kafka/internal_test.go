package kafka

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime"
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

// A changelog's partition mismatch names the input topic to change, not
// the changelog (which the schema does not declare).
func TestMismatchNamesTheInputTopic(t *testing.T) {
	in := &runtime.TopicDesc{Name: "orders", Partitions: 4, MessageName: "shop.v1.Order"}
	cl := &runtime.TopicDesc{Name: "shop-totals-changelog", Partitions: 4, PartitionsFrom: in}
	msg := mismatch(cl, 6).Error()
	for _, want := range []string{`topic "shop-totals-changelog" has 6 partitions`, `follows topic "orders" (shop.v1.Order)`,
		"change partitions of shop.v1.Order in the schema to 6"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "()") {
		t.Errorf("message %q has empty parentheses", msg)
	}
	if !errors.Is(mismatch(cl, 6), ErrPartitionMismatch) || !errors.Is(mismatch(in, 6), ErrPartitionMismatch) {
		t.Error("mismatch errors do not wrap ErrPartitionMismatch")
	}
}
