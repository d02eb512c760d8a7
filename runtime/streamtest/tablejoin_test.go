package streamtest_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestTableJoinsMatchTheModel (operators part 2, table-table joins, in the
// driver): random writes and tombstones of people and addresses (both
// tables fed from topics) and counted events (a table an agent writes)
// keep the Profiles app's four joins (inner, left and outer of people and
// addresses; left of people and visit counts) equal to the model after
// every change, for every key; and an agent reading a join gets its
// value.
func TestTableJoinsMatchTheModel(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterProfilesAgents(app, testapp.Profiles{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	m := testapp.NewProfilesModel()
	const keys = 12
	r := rand.New(rand.NewPCG(3, 9))
	send := func(rec *runtime.Record) {
		t.Helper()
		if err := d.SendRecord(rec); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step int) {
		t.Helper()
		for i := range keys {
			key := fmt.Sprintf("p%d", i)
			for _, table := range testapp.ProfilesJoins {
				got, ok, err := streamtest.TableValue[*testapp.Label](d, table, key)
				if err != nil {
					t.Fatal(err)
				}
				want := m.Want(table, key)
				if ok != (want != nil) || (ok && !proto.Equal(got, want)) {
					t.Fatalf("step %d: %s[%s] = %v (found %v), want %v", step, table, key, got, ok, want)
				}
			}
		}
	}
	for step := range 400 {
		rec, err := m.Op(r, keys)
		if err != nil {
			t.Fatal(err)
		}
		send(rec)
		check(step)
	}
	for i := range keys {
		key := fmt.Sprintf("p%d", i)
		if err := streamtest.Send(d, testapp.GreetingTopic, &testapp.Greeting{PersonId: key, Seq: int64(i)}); err != nil {
			t.Fatal(err)
		}
		out, err := streamtest.Output(d, testapp.GreetedTopic)
		if err != nil {
			t.Fatal(err)
		}
		g := out[len(out)-1]
		want := m.Want(testapp.ProfilesLabelsLeftTableName, key)
		if g.GetFound() != (want != nil) || (want != nil && !proto.Equal(g.GetLabel(), want)) {
			t.Errorf("greeting of %s: %v, want label %v", key, g, want)
		}
	}
}
