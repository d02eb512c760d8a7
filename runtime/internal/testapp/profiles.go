package testapp

import "context"

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
