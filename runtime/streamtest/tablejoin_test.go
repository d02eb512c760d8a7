package streamtest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

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
// every change, for every key, and after a cron tick on each partition
// deletes the counts; an agent reading a join gets its value.
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
	// The cron Reset, a tick on each partition, deletes the visit counts:
	// the activity join follows.
	now := time.Now()
	if err := d.Advance(now); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(time.Date(now.Year()+1, 1, 1, 0, 0, 1, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	m.ResetVisits()
	check(400)
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

// panickyProfiles is the Profiles app whose inner join panics for a
// person named "boom".
type panickyProfiles struct{ testapp.Profiles }

func (p panickyProfiles) JoinLabelsInner(ctx context.Context, person *testapp.Person, address *testapp.Address) (*testapp.Label, error) {
	if person.GetName() == "boom" {
		panic("boom")
	}
	return p.Profiles.JoinLabelsInner(ctx, person, address)
}

// TestTableJoinFailureInAFeeder: a joiner that panics while a feeder
// writes a side does not stop anything: the fed table still holds the
// record (it mirrors its topic), the join loses the key's value, the
// other joins are kept, and nothing is a dead letter.
func TestTableJoinFailureInAFeeder(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterProfilesAgents(app, panickyProfiles{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for _, send := range []func() error{
		func() error {
			return streamtest.Send(d, testapp.AddressTopic, &testapp.Address{PersonId: "p1", City: "Oslo"})
		},
		func() error { return streamtest.Send(d, testapp.PersonTopic, &testapp.Person{Id: "p1", Name: "Ada"}) },
		func() error { return streamtest.Send(d, testapp.PersonTopic, &testapp.Person{Id: "p1", Name: "boom"}) },
	} {
		if err := send(); err != nil {
			t.Fatal(err)
		}
	}
	if p, ok, err := streamtest.TableValue[*testapp.Person](d, testapp.ProfilesPeopleTableName, "p1"); err != nil || !ok || p.GetName() != "boom" {
		t.Errorf("people[p1] = %v, %v, %v; want boom", p, ok, err)
	}
	if l, ok, err := streamtest.TableValue[*testapp.Label](d, testapp.ProfilesLabelsInnerTableName, "p1"); err != nil || ok {
		t.Errorf("labels-inner[p1] = %v, %v, %v; want none (its joiner panicked)", l, ok, err)
	}
	if l, ok, err := streamtest.TableValue[*testapp.Label](d, testapp.ProfilesLabelsLeftTableName, "p1"); err != nil || !ok || l.GetName() != "boom" {
		t.Errorf("labels-left[p1] = %v, %v, %v; want boom's", l, ok, err)
	}
	if dead := d.DeadLetters(testapp.ProfilesPeopleTableDeadLetterTopicName); len(dead) != 0 {
		t.Errorf("%d dead letters, want none", len(dead))
	}
}
