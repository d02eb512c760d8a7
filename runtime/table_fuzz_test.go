package runtime_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// fuzzLedger reads and writes every table of app "ledger": the plain
// table, the global one and the windowed one (update, current, range).

// rawState answers every read of every table with the same bytes: a
// changelog or store value nobody checked.
type rawState []byte

func (s rawState) Get(int, []byte) ([]byte, bool, error) { return s, true, nil }

func (s rawState) Scan(_ int, prefix []byte, fn func(k, v []byte) error) error { return fn(prefix, s) }

// within fails the test if fn does not return within d: a decoder or a
// window loop that hangs on some input is a finding, not a stuck fuzzer.
func within(t *testing.T, d time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("no answer within %v", d)
	}
}

func noPanic(t *testing.T, err error) {
	t.Helper()
	var pe *runtime.PanicError
	if errors.As(err, &pe) {
		t.Fatalf("the runtime panicked: %v\n%s", pe.Value, pe.Stack)
	}
}

// FuzzTableValue feeds arbitrary bytes as the stored value of every
// table an agent reads (a table value is protobuf binary of the table's
// value message, as in its changelog), and as a closed window's final
// value, through runtime.Processor. A value that does not decode as the
// table's message fails the record with an error naming the table, never
// a panic, and nothing the handler did is kept; one that decodes is used
// as read (the tally's count goes up by one from it).
func FuzzTableValue(f *testing.F) {
	for _, m := range []proto.Message{
		&testapp.Tally{AccountId: "a1", Count: 3, SumCents: 12},
		&testapp.Limit{MaxCents: 100},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, int64(1_700_000_000_000))
	}
	f.Add([]byte{}, int64(0))
	f.Add([]byte{0xff, 0xff}, int64(-1))
	f.Add([]byte{0x0a, 0x02, 0xc3, 0x28}, int64(60_000)) // account_id: invalid UTF-8
	f.Add([]byte{0x08, 0x80, 0x80, 0x80}, int64(1))      // truncated varint
	f.Add([]byte{0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, int64(9_223_372_036_854_775_807))
	f.Add([]byte{0x08, 0x01}, int64(-9_223_372_036_854_775_808)) // a Limit and a Tally
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		f.Fatal(err)
	}
	var closer, adder *runtime.Agent
	for _, ag := range app.Agents() {
		switch ag.Desc.Name {
		case "MinuteClosed":
			closer = ag
		case "Add":
			adder = ag
		}
	}
	order, err := proto.Marshal(&testapp.Order{AccountId: "a1", AmountCents: 5})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value []byte, ms int64) {
		stored := &testapp.Tally{}
		tallyOK := proto.Unmarshal(value, stored) == nil
		limitOK := proto.Unmarshal(value, &testapp.Limit{}) == nil

		rec := &runtime.Record{Topic: testapp.OrderTopicName, Partition: runtime.Partition([]byte("a1"), adder.Desc.Input.Partitions),
			Key: []byte("a1"), Value: order, Timestamp: time.UnixMilli(ms)}
		var res runtime.Result
		var err error
		within(t, 5*time.Second, func() {
			res, err = adder.NewProcessor(rawState(value), nil).Process(context.Background(), rec)
		})
		noPanic(t, err)
		var future *runtime.FutureEventError
		if errors.As(err, &future) {
			// A record stamped too far ahead is refused before its
			// handler runs: no table was read.
			if len(res.Records) != 0 || len(res.Writes) != 0 {
				t.Fatalf("refused record kept %d records and %d writes", len(res.Records), len(res.Writes))
			}
		} else if ok := tallyOK && limitOK; (err == nil) != ok {
			t.Fatalf("Process with stored value %q: %v; the value decodes as a Tally: %v, as a Limit: %v", value, err, tallyOK, limitOK)
		}
		switch {
		case future != nil:
			// Refused before the handler: checked above.
		case err != nil:
			var pe *runtime.ProcessError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "decoding the value") {
				t.Fatalf("Process with stored value %q: %v, want a *ProcessError about decoding the value", value, err)
			}
			if len(res.Records) != 0 || len(res.Writes) != 0 {
				t.Fatalf("failed Process kept %d records and %d writes", len(res.Records), len(res.Writes))
			}
		default:
			if len(res.Records) != 1 || len(res.Writes) == 0 || res.Writes[0].Table != 0 {
				t.Fatalf("Process with stored value %q: %d records, writes %v", value, len(res.Records), res.Writes)
			}
			got := &testapp.Tally{}
			if err := proto.Unmarshal(res.Writes[0].Value, got); err != nil {
				t.Fatalf("written tally %q does not decode: %v", res.Writes[0].Value, err)
			}
			if got.GetCount() != stored.GetCount()+1 || got.GetSumCents() != stored.GetSumCents()+5 {
				t.Fatalf("stored %v, written %v: want count +1 and sum +5", stored, got)
			}
		}

		w := runtime.ClosedWindow{Table: testapp.LedgerMinuteSumsTableName, Key: []byte("a1"), Start: time.UnixMilli(ms), End: time.UnixMilli(ms).Add(time.Minute)}
		within(t, 5*time.Second, func() {
			res, err = closer.NewProcessor(nil, nil).ProcessClosed(context.Background(), w, 0, value)
		})
		noPanic(t, err)
		if (err == nil) != tallyOK {
			t.Fatalf("ProcessClosed with final value %q: %v; the value decodes as a Tally: %v", value, err, tallyOK)
		}
		var de *runtime.DecodeError
		if err != nil && (!errors.As(err, &de) || de.Codec != runtime.CodecProto || de.Topic != testapp.LedgerMinuteSumsChangelogTopicName) {
			t.Fatalf("ProcessClosed with final value %q: %v, want a *DecodeError of the changelog", value, err)
		}
		if err == nil && len(res.Records) != 1 {
			t.Fatalf("ProcessClosed emitted %d records, want 1", len(res.Records))
		}
	})
}

// FuzzDriverGlobalTableValue sends arbitrary bytes to the source topic of
// global table "limits" through the test driver, then an order that reads
// it: the order ends in the dead-letter topic with an error about
// decoding when the bytes are no Limit, and yields its tally when they
// are; the driver itself never fails.
func FuzzDriverGlobalTableValue(f *testing.F) {
	b, err := proto.Marshal(&testapp.Limit{MaxCents: 3})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0xff})
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0x12, 0x05, 'x'}) // unknown field 2, truncated
	f.Fuzz(func(t *testing.T, value []byte) {
		app := runtime.NewApp(runtime.WithLogger(slog.New(slog.DiscardHandler)))
		if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
			t.Fatal(err)
		}
		d := streamtest.New(app)
		limit := &testapp.Limit{}
		limitOK := proto.Unmarshal(value, limit) == nil
		within(t, 5*time.Second, func() {
			if err := d.SendRecord(&runtime.Record{Topic: testapp.LimitTopicName, Partition: runtime.Partition([]byte("a1"), 3), Key: []byte("a1"), Value: value}); err != nil {
				t.Errorf("SendRecord(limits, %q): %v", value, err)
			}
			if err := streamtest.Send(d, testapp.OrderTopic, &testapp.Order{AccountId: "a1", AmountCents: 5}); err != nil {
				t.Errorf("Send(order) after limit %q: %v", value, err)
			}
		})
		if t.Failed() {
			return
		}
		out, err := streamtest.Output(d, testapp.TallyTopic)
		if err != nil {
			t.Fatal(err)
		}
		dead := d.DeadLetters(testapp.LedgerAddDeadLetterTopicName)
		if limitOK {
			if len(out) != 1 || len(dead) != 0 {
				t.Fatalf("limit %q (%v): %d tallies, %d dead letters; want 1, 0", value, limit, len(out), len(dead))
			}
			if want := int64(5) > limit.GetMaxCents(); out[0].GetOverLimit() != want {
				t.Fatalf("limit %v: tally %v, want over_limit %v", limit, out[0], want)
			}
			return
		}
		if len(out) != 0 || len(dead) != 1 {
			t.Fatalf("undecodable limit %q: %d tallies, %d dead letters; want 0, 1", value, len(out), len(dead))
		}
		if msg := streamtest.Header(dead[0], runtime.HeaderError); !strings.Contains(msg, "decoding the value") || strings.Contains(msg, "panic") {
			t.Fatalf("dead letter error %q, want a decoding error", msg)
		}
	})
}
