package testapp

import (
	"context"
	"fmt"
	"math/rand/v2"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
)

// Profiles is the runtime tests' implementation of the Profiles app
// (table-table joins): each join's label says what its sides hold.
type Profiles struct {
	UnimplementedProfilesAgents
}

// Count adds the event to its person's count.
func (Profiles) Count(ctx context.Context, in *PersonEvent, out ProfilesCountEmitter) error {
	return out.VisitCounts().Update(ctx, func(v *VisitCount) error { v.Count++; return nil })
}

// Greet emits the greeting with the person's label, if any.
func (Profiles) Greet(ctx context.Context, in *Greeting, out ProfilesGreetEmitter) error {
	l, ok, err := out.LabelsLeft().Get(ctx)
	if err != nil {
		return err
	}
	return out.EmitGreeted(ctx, &Greeted{PersonId: in.GetPersonId(), Seq: in.GetSeq(), Label: l, Found: ok})
}

// Reset deletes every visit count of the tick's partition.
func (Profiles) Reset(ctx context.Context, tick runtime.Tick, out ProfilesResetEmitter) error {
	counts := out.VisitCounts()
	var keys []string
	if err := counts.Scan(ctx, "", func(k string, _ *VisitCount) error { keys = append(keys, k); return nil }); err != nil {
		return err
	}
	for _, k := range keys {
		if err := counts.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// label is what a person and the other side hold.
func label(p *Person, city string, visits int64, other bool) *Label {
	return &Label{Name: p.GetName(), City: city, Visits: visits, HasPerson: p != nil, HasOther: other}
}

// JoinLabelsInner labels a person with an address.
func (Profiles) JoinLabelsInner(ctx context.Context, person *Person, address *Address) (*Label, error) {
	return label(person, address.GetCity(), 0, address != nil), nil
}

// JoinLabelsLeft labels a person, with an address or not.
func (Profiles) JoinLabelsLeft(ctx context.Context, person *Person, address *Address) (*Label, error) {
	return label(person, address.GetCity(), 0, address != nil), nil
}

// JoinLabelsOuter labels a person, an address, or both.
func (Profiles) JoinLabelsOuter(ctx context.Context, person *Person, address *Address) (*Label, error) {
	return label(person, address.GetCity(), 0, address != nil), nil
}

// JoinActivity labels a person with a visit count or not.
func (Profiles) JoinActivity(ctx context.Context, person *Person, visitCount *VisitCount) (*Label, error) {
	return label(person, "", visitCount.GetCount(), visitCount != nil), nil
}

// ProfilesModel is what the Profiles app's tables must hold after the
// changes Op made: the tests' model of its joins.
type ProfilesModel struct {
	people, cities map[string]string
	visits         map[string]int64
}

// NewProfilesModel returns an empty model.
func NewProfilesModel() *ProfilesModel {
	return &ProfilesModel{people: map[string]string{}, cities: map[string]string{}, visits: map[string]int64{}}
}

// ProfilesJoins are the Profiles app's join tables.
var ProfilesJoins = []string{ProfilesLabelsInnerTableName, ProfilesLabelsLeftTableName,
	ProfilesLabelsOuterTableName, ProfilesActivityTableName}

// Op makes one random change of the key p<0..keys-1>, applies it to the
// model and returns its record, placed in its key's partition: a person or
// an address written or deleted (a tombstone), or a person's event.
func (m *ProfilesModel) Op(r *rand.Rand, keys int) (*runtime.Record, error) {
	key := fmt.Sprintf("p%d", r.IntN(keys))
	tomb := func(topic string) (*runtime.Record, error) {
		return &runtime.Record{Topic: topic, Key: []byte(key)}, nil
	}
	var rec *runtime.Record
	var err error
	switch n := r.IntN(10); {
	case n < 3:
		name := fmt.Sprintf("name-%d", r.IntN(1000))
		rec, err = PersonTopic.Record(&Person{Id: key, Name: name})
		m.people[key] = name
	case n < 4:
		rec, err = tomb(PersonTopicName)
		delete(m.people, key)
	case n < 7:
		city := fmt.Sprintf("city-%d", r.IntN(1000))
		rec, err = AddressTopic.Record(&Address{PersonId: key, City: city})
		m.cities[key] = city
	case n < 8:
		rec, err = tomb(AddressTopicName)
		delete(m.cities, key)
	default:
		rec, err = PersonEventTopic.Record(&PersonEvent{PersonId: key})
		m.visits[key]++
	}
	if err != nil {
		return nil, err
	}
	rec.Partition = runtime.Partition(rec.Key, 4)
	return rec, nil
}

// Renames writes a new name for every person p<0..keys-1>, applied to
// the model, and returns the records: every join's value of every key is
// computed again, from both sides as a worker holds them.
func (m *ProfilesModel) Renames(keys int) ([]*runtime.Record, error) {
	var recs []*runtime.Record
	for i := range keys {
		key := fmt.Sprintf("p%d", i)
		name := "renamed-" + key
		rec, err := PersonTopic.Record(&Person{Id: key, Name: name})
		if err != nil {
			return nil, err
		}
		rec.Partition = runtime.Partition(rec.Key, 4)
		m.people[key] = name
		recs = append(recs, rec)
	}
	return recs, nil
}

// ResetVisits empties the visit counts, as the cron Reset does.
func (m *ProfilesModel) ResetVisits() { clear(m.visits) }

// Want returns the value key must have in join table, nil when it must
// have none.
func (m *ProfilesModel) Want(table, key string) *Label {
	name, person := m.people[key]
	city, address := m.cities[key]
	visits, counted := m.visits[key]
	switch table {
	case ProfilesLabelsInnerTableName:
		if !person || !address {
			return nil
		}
	case ProfilesLabelsLeftTableName, ProfilesActivityTableName:
		if !person {
			return nil
		}
	case ProfilesLabelsOuterTableName:
		if !person && !address {
			return nil
		}
	}
	if table == ProfilesActivityTableName {
		return &Label{Name: name, Visits: visits, HasPerson: true, HasOther: counted}
	}
	return &Label{Name: name, City: city, HasPerson: person, HasOther: address}
}

// Diff compares the join table's values (the last record of each key of
// its changelog: nil is a tombstone) with the model's for keys
// p<0..keys-1>, and describes each that differs.
func (m *ProfilesModel) Diff(table string, last map[string][]byte, keys int) ([]string, error) {
	var wrong []string
	for i := range keys {
		key := fmt.Sprintf("p%d", i)
		want := m.Want(table, key)
		v, ok := last[key]
		ok = ok && v != nil
		got := &Label{}
		if ok {
			if err := proto.Unmarshal(v, got); err != nil {
				return nil, err
			}
		}
		if ok != (want != nil) || (ok && !proto.Equal(got, want)) {
			wrong = append(wrong, fmt.Sprintf("%s[%s] = %v (found %v), want %v", table, key, got, ok, want))
		}
	}
	return wrong, nil
}
