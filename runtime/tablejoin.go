package runtime

import (
	"context"
	"fmt"
	"runtime/debug"

	"google.golang.org/protobuf/proto"
)

// Table-table joins (TableDesc.Join).
//
// A join is kept by whatever writes one of its sides, in the same step: a
// processor whose agent lists a join and a side of it computes the join's
// value of every key the step wrote to that side again, from both sides'
// values as the step leaves them, and writes it (or deletes the key). So
// the join's writes are cached, flushed, changelogged, committed and
// restored with the side's.

// tableJoinRef is a join an agent keeps, by the indexes of its tables:
// the join and its two sides; for a foreign-key join (role set), the join
// and Left (a Left keeper), or the Index as right (a Right keeper, which
// does not list the join: joinDesc is it).
type tableJoinRef struct {
	join, left, right int
	role              fkRole
	joinDesc          *TableDesc
}

// fkRole is what an agent does for a foreign-key join it keeps.
type fkRole int

const (
	notFK   fkRole = iota
	fkLeft         // it writes Left: it subscribes
	fkRight        // it writes Right: it answers the subscribers
)

// tableJoins returns, per index of d's tables, the joins a write of that
// table changes; nil when d keeps none. fkIndexes maps the Index of each
// foreign-key join of the app to its join.
func tableJoins(d *AgentDesc, fkIndexes map[*TableDesc]*TableDesc) map[int][]tableJoinRef {
	index := func(t *TableDesc) int {
		for i, x := range d.Tables {
			if x == t {
				return i
			}
		}
		return -1
	}
	if d.FKSubscribe != nil || d.FKRespond != nil {
		return nil // a foreign-key join's own agents: fkjoin.go
	}
	out := map[int][]tableJoinRef{}
	for i, t := range d.Tables {
		if jt := fkIndexes[t]; jt != nil {
			if r := index(jt.Join.Right); r >= 0 {
				out[r] = append(out[r], tableJoinRef{join: -1, left: -1, right: i, role: fkRight, joinDesc: jt})
			}
			continue
		}
		j := t.Join
		if j == nil {
			continue
		}
		if j.ForeignKey != nil {
			if l := index(j.Left); l >= 0 {
				out[l] = append(out[l], tableJoinRef{join: i, left: l, right: -1, role: fkLeft, joinDesc: t})
			}
			continue
		}
		l, r := index(j.Left), index(j.Right)
		if l < 0 || r < 0 {
			continue // a reader of the join
		}
		out[l] = append(out[l], tableJoinRef{join: i, left: l, right: r, joinDesc: t})
		out[r] = append(out[r], tableJoinRef{join: i, left: l, right: r, joinDesc: t})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// keepJoins writes, for each write of this step to a side of a join the
// agent keeps, the join's value of its key. A joiner that fails or panics
// fails the step; when the step must stand (a feeder's: its table mirrors
// its topic), the caller keeps the error, and the keys whose value could
// not be computed are deleted from their joins.
func (p *Processor) keepJoins(ctx context.Context) error {
	if p.tjoins == nil {
		return nil
	}
	e := &p.em
	var first error
	for pos, w := range e.writes[:len(e.writes)] { // the joins' writes, appended, change no join
		for _, ref := range p.tjoins[w.Table] {
			var err error
			switch ref.role {
			case fkLeft:
				err = p.fkLeftWritten(ctx, ref, pos)
			case fkRight:
				err = p.fkRightWritten(ref, ref.joinDesc, w)
			default:
				err = p.keepJoin(ctx, ref, w.Key)
			}
			if err != nil {
				if ref.join >= 0 {
					e.writes = append(e.writes, TableWrite{Table: ref.join, Key: w.Key})
				}
				if first == nil {
					first = err
				}
			}
		}
	}
	return first
}

// keepJoin computes the value of key in the join ref names again.
func (p *Processor) keepJoin(ctx context.Context, ref tableJoinRef, key []byte) (err error) {
	jt := p.ag.Desc.Tables[ref.join]
	l, err := p.sideValue(ref.left, key)
	if err != nil {
		return err
	}
	r, err := p.sideValue(ref.right, key)
	if err != nil {
		return err
	}
	var v proto.Message
	switch k := jt.Join.Kind; {
	case l != nil && r != nil, k == JoinLeft && l != nil, k == JoinOuter && (l != nil || r != nil):
		if v, err = p.callJoiner(ctx, jt, l, r); err != nil {
			return err
		}
	}
	return p.setJoin(ref.join, jt, key, v)
}

// setJoin writes v as the value of key in join table i (jt); nil deletes
// it, without a tombstone for a key the join does not hold.
func (p *Processor) setJoin(i int, jt *TableDesc, key []byte, v proto.Message) error {
	e := &p.em
	if v != nil {
		return e.put(i, jt, key, v)
	}
	if _, found, err := e.lookup(i, jt, key); err != nil || !found {
		return err
	}
	e.writes = append(e.writes, TableWrite{Table: i, Key: key})
	return nil
}

// callJoiner calls jt's joiner, turning a panic into a *PanicError.
func (p *Processor) callJoiner(ctx context.Context, jt *TableDesc, l, r proto.Message) (v proto.Message, err error) {
	defer func() {
		if x := recover(); x != nil {
			v, err = nil, fmt.Errorf("%s: %w", jt.Join.Method, &PanicError{Value: x, Stack: debug.Stack()})
		}
	}()
	if v, err = jt.Join.Joiner(ctx, p.ag.app.impl, l, r); err != nil {
		return nil, fmt.Errorf("%s: %w", jt.Join.Method, err)
	}
	return v, nil
}

// sideValue returns the value of key in the agent's table i, nil when it
// has none (a join's side: writes of this step are seen).
func (p *Processor) sideValue(i int, key []byte) (proto.Message, error) {
	t := p.ag.Desc.Tables[i]
	raw, found, err := p.em.lookup(i, t, key)
	if err != nil || !found {
		return nil, err
	}
	m := t.New()
	if err := proto.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("streamgen: table %q: decoding the value of key %q: %w", t.Name, key, err)
	}
	return m, nil
}
