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

// profilesModel is what the Profiles app's sides hold.
type profilesModel struct {
	people, cities map[string]string
	visits         map[string]int64
}

// want returns the value the model gives key in join table, nil when the
// key is not in it.
func (m profilesModel) want(table, key string) *testapp.Label {
	name, person := m.people[key]
	city, address := m.cities[key]
	visits, counted := m.visits[key]
	switch table {
	case testapp.ProfilesLabelsInnerTableName:
		if !person || !address {
			return nil
		}
	case testapp.ProfilesLabelsLeftTableName, testapp.ProfilesActivityTableName:
		if !person {
			return nil
		}
	case testapp.ProfilesLabelsOuterTableName:
		if !person && !address {
			return nil
		}
	}
	if table == testapp.ProfilesActivityTableName {
		return &testapp.Label{Name: name, Visits: visits, HasPerson: true, HasOther: counted}
	}
	return &testapp.Label{Name: name, City: city, HasPerson: person, HasOther: address}
}

// profilesOp applies one random change to the Profiles app (through
// send) and the model: a person or an address written or deleted (a
// tombstone), or a person's event counted.
func profilesOp(t *testing.T, r *rand.Rand, send func(*runtime.Record), m profilesModel, keys int) {
	t.Helper()
	key := fmt.Sprintf("p%d", r.IntN(keys))
	placed := func(rec *runtime.Record, err error) *runtime.Record {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		rec.Partition = runtime.Partition(rec.Key, 4)
		return rec
	}
	tomb := func(topic string) *runtime.Record {
		return &runtime.Record{Topic: topic, Partition: runtime.Partition([]byte(key), 4), Key: []byte(key)}
	}
	switch n := r.IntN(10); {
	case n < 3:
		name := fmt.Sprintf("name-%d", r.IntN(1000))
		send(placed(testapp.PersonTopic.Record(&testapp.Person{Id: key, Name: name})))
		m.people[key] = name
	case n < 4:
		send(tomb(testapp.PersonTopicName))
		delete(m.people, key)
	case n < 7:
		city := fmt.Sprintf("city-%d", r.IntN(1000))
		send(placed(testapp.AddressTopic.Record(&testapp.Address{PersonId: key, City: city})))
		m.cities[key] = city
	case n < 8:
		send(tomb(testapp.AddressTopicName))
		delete(m.cities, key)
	default:
		send(placed(testapp.PersonEventTopic.Record(&testapp.PersonEvent{PersonId: key})))
		m.visits[key]++
	}
}

// profileJoins are the Profiles app's join tables.
var profileJoins = []string{testapp.ProfilesLabelsInnerTableName, testapp.ProfilesLabelsLeftTableName,
	testapp.ProfilesLabelsOuterTableName, testapp.ProfilesActivityTableName}

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
	m := profilesModel{people: map[string]string{}, cities: map[string]string{}, visits: map[string]int64{}}
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
			for _, table := range profileJoins {
				got, ok, err := streamtest.TableValue[*testapp.Label](d, table, key)
				if err != nil {
					t.Fatal(err)
				}
				want := m.want(table, key)
				if ok != (want != nil) || (ok && !proto.Equal(got, want)) {
					t.Fatalf("step %d: %s[%s] = %v (found %v), want %v", step, table, key, got, ok, want)
				}
			}
		}
	}
	for step := range 400 {
		profilesOp(t, r, send, m, keys)
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
		want := m.want(testapp.ProfilesLabelsLeftTableName, key)
		if g.GetFound() != (want != nil) || (want != nil && !proto.Equal(g.GetLabel(), want)) {
			t.Errorf("greeting of %s: %v, want label %v", key, g, want)
		}
	}
}
