package worker_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// ledgerInput is the input of TestDriverMatchesWorkerWindows: five
// accounts, nine orders each 20 s apart over three minutes, then one order
// each at 10 minutes (which closes the first three windows) and one at 20
// minutes (which closes the fourth).
func ledgerInput() []*testapp.Order {
	var out []*testapp.Order
	for i := 0; i < 11; i++ {
		for a := 0; a < 5; a++ {
			out = append(out, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", a), AmountCents: int64(i + 1 + 10*a)})
		}
	}
	return out
}

// ledgerTime is the timestamp of order i of ledgerInput.
func ledgerTime(base time.Time, i int) time.Time {
	switch step := i / 5; step {
	case 9:
		return base.Add(10 * time.Minute)
	case 10:
		return base.Add(20 * time.Minute)
	default:
		return base.Add(time.Duration(step) * 20 * time.Second)
	}
}

// closedWindows renders MinuteTotal records as sorted "account start sum".
func closedWindows(t *testing.T, values [][]byte) []string {
	t.Helper()
	var out []string
	for _, v := range values {
		m, err := testapp.MinuteTotalTopic.Decode(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %d", m.GetAccountId(), m.GetStartMs(), m.GetSumCents()))
	}
	sort.Strings(out)
	return out
}

// TestDriverMatchesWorkerWindows feeds one input to the test driver and to
// a worker on the broker: both close the same windows with the same final
// values, and end with the same table values: the driver runs the
// worker's lane code and window clock.
func TestDriverMatchesWorkerWindows(t *testing.T) {
	base := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	input := ledgerInput()

	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for i, o := range input {
		rec, err := testapp.OrderTopic.Record(o)
		if err != nil {
			t.Fatal(err)
		}
		rec.Timestamp = ledgerTime(base, i)
		if err := d.SendRecord(rec); err != nil {
			t.Fatal(err)
		}
	}
	var driverValues [][]byte
	for _, r := range d.Records(testapp.MinuteTotalTopicName) {
		driverValues = append(driverValues, r.Value)
	}
	want := closedWindows(t, driverValues)
	if len(want) != 20 {
		t.Fatalf("driver closed %d windows, want 20 (4 per account): %v", len(want), want)
	}

	addr := startBroker(t)
	cl := client(t, addr)
	runLedger(t, addr, t.TempDir())
	var recs []*kgo.Record
	for i, o := range input {
		r := order(t, o)
		r.Timestamp = ledgerTime(base, i)
		recs = append(recs, r)
	}
	// The lanes of a partition (concurrency 2) share its stream time: each
	// time step goes in once the one before is processed, or a lane of
	// another key could run ahead and make its records late (the driver
	// runs one record at a time).
	for step := 0; step < len(recs); step += 5 {
		produce(t, cl, recs[step:step+5]...)
		consume(t, addr, testapp.TallyTopicName, step+5)
	}
	var brokerValues [][]byte
	for _, r := range consume(t, addr, testapp.MinuteTotalTopicName, len(want)) {
		brokerValues = append(brokerValues, r.Value)
	}
	if got := closedWindows(t, brokerValues); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("closed windows differ\nworker: %v\ndriver: %v", got, want)
	}
	tallies := lastTallies(t, addr, 5, 11)
	for a := 0; a < 5; a++ {
		key := fmt.Sprintf("acct-%d", a)
		dv, ok, err := streamtest.TableValue[*testapp.Tally](d, testapp.LedgerTalliesTableName, key)
		if err != nil || !ok {
			t.Fatalf("driver tally of %s: %v, %v", key, ok, err)
		}
		if wv := tallies[key]; wv.GetCount() != dv.GetCount() || wv.GetSumCents() != dv.GetSumCents() {
			t.Errorf("tally of %s: worker %v, driver %v", key, wv, dv)
		}
	}
}

// lastTallies reads the tallies changelog until each of n accounts has a
// value with count, and returns the last value of each.
func lastTallies(t *testing.T, addr string, n int, count int64) map[string]*testapp.Tally {
	t.Helper()
	c := client(t, addr, kgo.ConsumeTopics(testapp.LedgerTalliesChangelogTopicName), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := map[string]*testapp.Tally{}
	done := func() bool {
		full := 0
		for _, v := range out {
			if v.GetCount() == count {
				full++
			}
		}
		return full == n
	}
	for !done() {
		fs := c.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("tallies changelog: %d of %d accounts complete before the deadline: %v", len(out), n, out)
		}
		fs.EachRecord(func(r *kgo.Record) {
			v := &testapp.Tally{} // table values are protobuf binary, whatever the topic's codec
			if err := proto.Unmarshal(r.Value, v); err != nil {
				t.Errorf("tallies changelog: %v", err)
				return
			}
			out[string(r.Key)] = v
		})
	}
	return out
}
