package streamtest_test

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// tallies returns a driver of the Tallies app implemented by impl.
func tallies(t *testing.T, impl testapp.Tallies) *streamtest.Driver {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterTalliesAgents(app, impl); err != nil {
		t.Fatal(err)
	}
	return streamtest.New(app)
}

// drained returns the drains emitted since the last call, as
// "p<partition>@<second>:<hits>/<keys>", sorted.
func drained(t *testing.T, d *streamtest.Driver, start time.Time) []string {
	t.Helper()
	ds, err := streamtest.Output(d, testapp.DrainedTopic)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, x := range ds {
		out = append(out, fmt.Sprintf("p%d@%d:%d/%d", x.GetPartition(), time.UnixMilli(x.GetTickMs()).Sub(start)/time.Second, x.GetHits(), x.GetKeys()))
	}
	sort.Strings(out)
	return out
}

// TestPartitionTimerDrainsEachPartition (operators part 1, in the
// driver): a timer that runs on each partition of its table runs each
// tick once per partition, in that partition's lane: it scans the
// partition's tallies (and only those), reports them and deletes them,
// so the next tick finds the keys written since.
func TestPartitionTimerDrainsEachPartition(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	d := tallies(t, testapp.Tallies{})
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	model := map[int32]map[string]int64{} // partition → key → hits since the last drain
	hit := func(key string) {
		t.Helper()
		if err := streamtest.Send(d, testapp.HitTopic, &testapp.Hit{Key: key}); err != nil {
			t.Fatal(err)
		}
		p := runtime.Partition([]byte(key), 4)
		if model[p] == nil {
			model[p] = map[string]int64{}
		}
		model[p][key]++
	}
	want := func(second int) []string {
		var out []string
		for p := range int32(4) {
			var hits int64
			for _, n := range model[p] {
				hits += n
			}
			out = append(out, fmt.Sprintf("p%d@%d:%d/%d", p, second, hits, len(model[p])))
		}
		clear(model)
		sort.Strings(out)
		return out
	}
	for i := range 40 {
		hit(fmt.Sprintf("k%d", i%13))
	}
	wantFirst := want(1)
	if err := d.Advance(start.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := drained(t, d, start); fmt.Sprint(got) != fmt.Sprint(wantFirst) {
		t.Fatalf("first tick drained %v, want %v", got, wantFirst)
	}
	if v, ok, err := streamtest.TableValue[*testapp.HitCount](d, testapp.TalliesTalliesTableName, "k0"); err != nil || ok {
		t.Fatalf("k0 after the drain: %v %v %v, want deleted", v, ok, err)
	}
	for i := range 7 {
		hit(fmt.Sprintf("k%d", i))
	}
	wantSecond := want(2)
	if err := d.Advance(start.Add(2500 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if got := drained(t, d, start); fmt.Sprint(got) != fmt.Sprint(wantSecond) {
		t.Fatalf("second tick drained %v, want %v", got, wantSecond)
	}
}

// TestFailedPartitionTickIsADeadLetter: a partition's tick whose handler
// fails goes to the agent's dead-letter topic, in that partition, and
// writes nothing: the next tick drains what it left.
func TestFailedPartitionTickIsADeadLetter(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	d := tallies(t, testapp.Tallies{Fail: func(tick runtime.Tick) error {
		if tick.Partition == 2 && tick.Time.Equal(start.Add(time.Second)) {
			return errors.New("no drain of partition 2 at :01")
		}
		return nil
	}})
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	key := ""
	for i := 0; key == ""; i++ {
		if k := fmt.Sprintf("k%d", i); runtime.Partition([]byte(k), 4) == 2 {
			key = k
		}
	}
	if err := streamtest.Send(d, testapp.HitTopic, &testapp.Hit{Key: key}); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(start.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	dead := d.DeadLetters(testapp.TalliesDrainDeadLetterTopicName)
	if len(dead) != 1 || dead[0].Partition != 2 || string(dead[0].Value) != "2026-01-01T10:00:01Z" || string(dead[0].Key) != "Drain" {
		t.Fatalf("dead letters %v, want partition 2's :01 tick", dead)
	}
	got := drained(t, d, start)
	if fmt.Sprint(got) != "[p0@1:0/0 p0@2:0/0 p1@1:0/0 p1@2:0/0 p2@2:1/1 p3@1:0/0 p3@2:0/0]" {
		t.Fatalf("drained %v: want partition 2's hit in its :02 drain", got)
	}
}
