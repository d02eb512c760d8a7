package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	withdrawalsv1 "github.com/streamgen/streamgen/examples/04-withdrawals/gen/withdrawals/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// samePartitionAs returns a user whose withdrawals go to the partition
// of user's.
func samePartitionAs(t *testing.T, user string) string {
	t.Helper()
	n := withdrawalsv1.WithdrawalTopic.Desc().Partitions
	for i := range 1000 {
		other := fmt.Sprintf("user-%d", i)
		if runtime.Partition([]byte(other), n) == runtime.Partition([]byte(user), n) {
			return other
		}
	}
	t.Fatal("no user in the same partition")
	return ""
}

// sendAt sends a withdrawal dated at (its event time) in a record
// timestamped ts.
func sendAt(t *testing.T, d *streamtest.Driver, user string, date, ts time.Time) {
	t.Helper()
	rec, err := withdrawalsv1.WithdrawalTopic.Record(&withdrawalsv1.Withdrawal{User: user, Amount: 1, Date: timestamppb.New(date)})
	if err != nil {
		t.Fatal(err)
	}
	rec.Timestamp = ts
	if err := d.SendRecord(rec); err != nil {
		t.Fatal(err)
	}
}

// futureRun is hardening fault 4 (the kind of Kafka's KIP-1334): ann at
// 1000 s and 1003 s, another user of her partition at a date in 2099,
// then ann at 1005 s and 1006 s. It returns ann's window [1000 s, 1010 s)
// and the driver.
func futureRun(t *testing.T, policy runtime.FutureEventPolicy) (*withdrawalsv1.UserTotal, *streamtest.Driver) {
	t.Helper()
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	track := app.Agents()[0].Desc // the generated descriptor: put it back after the test
	old := track.OnFutureEvent
	track.OnFutureEvent = policy
	t.Cleanup(func() { track.OnFutureEvent = old })
	d := streamtest.New(app)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	sendAt(t, d, "ann", at(1000), at(1000))
	sendAt(t, d, "ann", at(1003), at(1003))
	sendAt(t, d, samePartitionAs(t, "ann"), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), at(1004))
	sendAt(t, d, "ann", at(1005), at(1005))
	sendAt(t, d, "ann", at(1006), at(1006))
	w, ok, err := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, withdrawalsv1.WithdrawalsUserTotalsTableName, "ann", at(1000))
	if err != nil || !ok {
		t.Fatalf("ann's window [1000s,1010s): %v, %v", ok, err)
	}
	return w, d
}

// TestEventFromTheFutureGoesToDeadLetters: by default (on_future_event
// DEAD_LETTER, max_event_time_ahead 1 h) the record from 2099 goes to the
// dead-letter topic, stream time does not jump, and ann's window keeps all
// four withdrawals (before the fix it closed with two and the last two
// were dropped as late).
func TestEventFromTheFutureGoesToDeadLetters(t *testing.T) {
	w, d := futureRun(t, runtime.FutureEventDeadLetter)
	if w.GetTotal() != 4 {
		t.Errorf("ann's window [1000s,1010s) total %v, want 4", w.GetTotal())
	}
	dead := d.DeadLetters(withdrawalsv1.WithdrawalsTrackDeadLetterTopicName)
	if len(dead) != 1 || !strings.Contains(streamtest.Header(dead[0], runtime.HeaderError), "max_event_time_ahead") {
		t.Fatalf("dead letters %v, want the record from 2099 with an error naming the bound", dead)
	}
}

// TestEventFromTheFutureClamped: with on_future_event CLAMP the record from
// 2099 counts at its record timestamp (1004 s), in its own user's windows.
func TestEventFromTheFutureClamped(t *testing.T) {
	w, d := futureRun(t, runtime.FutureEventClamp)
	if w.GetTotal() != 4 {
		t.Errorf("ann's window [1000s,1010s) total %v, want 4", w.GetTotal())
	}
	if dead := d.DeadLetters(withdrawalsv1.WithdrawalsTrackDeadLetterTopicName); len(dead) != 0 {
		t.Errorf("dead letters %v, want none", dead)
	}
	other, ok, err := streamtest.WindowValue[*withdrawalsv1.UserTotal](d, withdrawalsv1.WithdrawalsUserTotalsTableName,
		samePartitionAs(t, "ann"), t0.Add(1000*time.Second))
	if err != nil || !ok || other.GetTotal() != 1 {
		t.Errorf("the clamped withdrawal's window [1000s,1010s): %v, %v, %v; want total 1", other, ok, err)
	}
}
