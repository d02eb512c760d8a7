package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// Foreign-key joins (TableJoinDesc.ForeignKey; Kafka Streams' KIP-213).
//
// The join J is keyed like Left; a Left value names a Right key k2 in its
// foreign-key field, and Right may be partitioned apart, so the sides
// meet through two internal topics:
//
//   - a step that writes Left key k1 (its keeper: an agent, or a feeder)
//     sends a subscription (k1) keyed by the k2 it now names to the
//     subscriptions topic, partitioned like Right, and an unsubscription
//     to the k2 it named before; it deletes J[k1] itself when k1 goes, or
//     sets it when k1 names no Right key (a left join);
//   - the subscriber (an agent of the join's, in Right's partitions)
//     records each subscription in the join's Index (k2, k1) and answers
//     it with Right's value of k2 on the responses topic, keyed by k1,
//     partitioned like Left;
//   - a step that writes Right key k2 answers every subscription of k2
//     the same way;
//   - the responder (an agent of the join's, in Left's partitions) joins
//     each answer with Left's value of k1, unless that value names
//     another key by now (the answer is stale), and writes J[k1].
//
// Every one of these writes and records is an output or table write of
// its step: committed with it, at least once or exactly once.

// FKSubscriptionTopic returns the descriptor of a foreign-key join's
// subscriptions topic called name, partitioned like right (the topic
// Right's partitions follow). Generated code calls it.
func FKSubscriptionTopic(name string, right *TopicDesc) *TopicDesc {
	return fkTopic(name, right, func() proto.Message { return &streamgenv1.FKSubscription{} })
}

// FKResponseTopic returns the descriptor of a foreign-key join's responses
// topic called name, partitioned like left. Generated code calls it.
func FKResponseTopic(name string, left *TopicDesc) *TopicDesc {
	return fkTopic(name, left, func() proto.Message { return &streamgenv1.FKResponse{} })
}

func fkTopic(name string, like *TopicDesc, m func() proto.Message) *TopicDesc {
	return &TopicDesc{Name: name, Partitions: like.Partitions, ReplicationFactor: like.ReplicationFactor,
		Config: map[string]string{"cleanup.policy": "delete"}, Codec: CodecProto,
		MessageName: string(m().ProtoReflect().Descriptor().FullName()), New: m, PartitionsFrom: like}
}

// fkAgents returns the two agents of foreign-key join jt.
func fkAgents(jt *TableDesc) []*AgentDesc {
	j := jt.Join
	return []*AgentDesc{
		{Name: "fk-subscribe-" + jt.Name, Input: j.Subscriptions, Concurrency: 1, OnError: OnErrorStop,
			Tables: []*TableDesc{j.Index, j.Right}, FKSubscribe: jt},
		{Name: "fk-respond-" + jt.Name, Input: j.Responses, Concurrency: 1, OnError: OnErrorStop,
			Tables: []*TableDesc{j.Left, jt}, FKRespond: jt},
	}
}

// indexKey is the Index key of right key k2's subscription by left key
// k1: k2's length (uvarint), k2, k1; indexPrefix(k2) starts every
// subscription of k2 and no other.
func indexKey(k2, k1 []byte) []byte { return append(indexPrefix(k2), k1...) }

func indexPrefix(k2 []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(len(k2))), k2...)
}

// fkLeftWritten is the step of a Left keeper for its write w of Left key
// k1 (ref.left, ref.join): subscriptions to the keys named now and before.
func (p *Processor) fkLeftWritten(ctx context.Context, ref tableJoinRef, pos int) error {
	e, descs := &p.em, p.ag.Desc.Tables
	w := e.writes[pos]
	jt := descs[ref.join]
	j := jt.Join
	var before, now []byte
	// The value w replaces: the step's own earlier write of the key, if
	// any (its subscription is the one to take back), else the value as
	// the step found it.
	old, found, err := p.valueBefore(ref.left, w.Key, pos)
	if err != nil {
		return err
	}
	if found {
		if before, err = p.foreignKey(j, old); err != nil {
			return err
		}
	}
	if w.Value != nil {
		if now, err = p.foreignKey(j, w.Value); err != nil {
			return err
		}
	}
	if len(before) > 0 && !bytes.Equal(before, now) {
		if err := p.fkSend(j.Subscriptions, before, &streamgenv1.FKSubscription{Key: w.Key, Remove: true}); err != nil {
			return err
		}
	}
	switch {
	case w.Value == nil:
		return p.setJoin(ref.join, jt, w.Key, nil)
	case len(now) == 0 && j.Kind == JoinLeft:
		l := jt.Join.Left.New()
		if err := proto.Unmarshal(w.Value, l); err != nil {
			return err
		}
		v, err := p.callJoiner(ctx, jt, l, nil)
		if err != nil {
			return err
		}
		return p.setJoin(ref.join, jt, w.Key, v)
	case len(now) == 0:
		return p.setJoin(ref.join, jt, w.Key, nil)
	}
	// Every write, the same key too: the answer brings Right's value to
	// join with this one.
	return p.fkSend(j.Subscriptions, now, &streamgenv1.FKSubscription{Key: w.Key})
}

// valueBefore returns the value of key in table i before the step's
// write at pos: the step's last earlier write of it, else the state's.
func (p *Processor) valueBefore(i int, key []byte, pos int) ([]byte, bool, error) {
	e := &p.em
	for k := pos - 1; k >= 0; k-- {
		if w := e.writes[k]; w.Table == i && bytes.Equal(w.Key, key) {
			return w.Value, w.Value != nil, nil
		}
	}
	if e.state == nil {
		return nil, false, nil
	}
	return e.state.Get(i, key)
}

// fkRightWritten is the step of a Right keeper for its write w of Right
// key k2: an answer to each subscription of k2 in the Index (ref.right).
func (p *Processor) fkRightWritten(ref tableJoinRef, jt *TableDesc, w TableWrite) error {
	e := &p.em
	if e.state == nil {
		return fmt.Errorf("streamgen: agent %s has no state in this context", p.ag.Name())
	}
	prefix := indexPrefix(w.Key)
	var subs [][]byte
	if err := e.state.Scan(ref.right, prefix, func(k, _ []byte) error {
		subs = append(subs, bytes.Clone(k[len(prefix):]))
		return nil
	}); err != nil {
		return err
	}
	for _, k1 := range subs {
		if err := p.fkSend(jt.Join.Responses, k1, &streamgenv1.FKResponse{ForeignKey: w.Key, Value: w.Value, Found: w.Value != nil}); err != nil {
			return err
		}
	}
	return nil
}

// fkSubscribe runs the subscriber of foreign-key join jt on a
// subscription: it records (or forgets) it, and answers a new one with
// Right's value of its key.
func (p *Processor) fkSubscribe(rec *Record, jt *TableDesc) (Result, error) {
	e := &p.em
	var s streamgenv1.FKSubscription
	if err := proto.Unmarshal(rec.Value, &s); err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	const index, right = 0, 1 // the subscriber's tables
	k := indexKey(rec.Key, s.GetKey())
	if s.GetRemove() {
		e.writes = append(e.writes, TableWrite{Table: index, Key: k})
		return e.result(), nil
	}
	e.writes = append(e.writes, TableWrite{Table: index, Key: k, Value: []byte{}})
	v, found, err := e.lookup(right, p.ag.Desc.Tables[right], rec.Key)
	if err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	if err := p.fkSend(jt.Join.Responses, s.GetKey(), &streamgenv1.FKResponse{ForeignKey: rec.Key, Value: v, Found: found}); err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	return e.result(), nil
}

// fkRespond runs the responder of foreign-key join jt on an answer: Left's
// value of its key joined with the Right value it brings, unless that
// Left value names another key by now.
func (p *Processor) fkRespond(ctx context.Context, rec *Record, jt *TableDesc) (Result, error) {
	e := &p.em
	var r streamgenv1.FKResponse
	if err := proto.Unmarshal(rec.Value, &r); err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	const left, join = 0, 1 // the responder's tables
	raw, found, err := e.lookup(left, jt.Join.Left, rec.Key)
	if err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	if !found {
		return e.result(), nil // the left key is gone: its join was deleted with it
	}
	fk, err := p.foreignKey(jt.Join, raw)
	if err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	if !bytes.Equal(fk, r.GetForeignKey()) {
		return e.result(), nil // stale: the left value names another key now
	}
	var v proto.Message
	if r.GetFound() || jt.Join.Kind == JoinLeft {
		l := jt.Join.Left.New()
		if err := proto.Unmarshal(raw, l); err != nil {
			return Result{}, p.ag.fail(rec, err)
		}
		var rv proto.Message
		if r.GetFound() {
			rv = jt.Join.Right.New()
			if err := proto.Unmarshal(r.GetValue(), rv); err != nil {
				return Result{}, p.ag.fail(rec, err)
			}
		}
		if v, err = p.callJoiner(ctx, jt, l, rv); err != nil {
			return Result{}, p.ag.fail(rec, err)
		}
	}
	if err := p.setJoin(join, jt, rec.Key, v); err != nil {
		return Result{}, p.ag.fail(rec, err)
	}
	return e.result(), nil
}

// foreignKey returns the Right key a stored Left value names.
func (p *Processor) foreignKey(j *TableJoinDesc, value []byte) ([]byte, error) {
	l := j.Left.New()
	if err := proto.Unmarshal(value, l); err != nil {
		return nil, fmt.Errorf("streamgen: table %q: decoding a value: %w", j.Left.Name, err)
	}
	return j.ForeignKey(l), nil
}

// fkSend adds an internal record of the join to the step's outputs.
func (p *Processor) fkSend(t *TopicDesc, key []byte, m proto.Message) error {
	v, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	if v == nil {
		v = []byte{}
	}
	p.em.recs = append(p.em.recs, Record{Topic: t.Name, Partition: -1, Key: bytes.Clone(key), Value: v})
	return nil
}

// fkFailed is the step of a foreign-key join's own agent whose record
// failed (a joiner's error or panic, a record that does not decode): the
// record is done, the join loses the key's value when the record was an
// answer (join is the join's index among the agent's tables; -1 for a
// subscription), and the failure goes to the log (Result.JoinErr). The
// agents never stop: a record of theirs stuck at a partition's head
// would stop the join for good.
func (p *Processor) fkFailed(rec *Record, jt *TableDesc, join int, err error) (Result, error) {
	e := &p.em
	e.reset(p.ag.Desc, rec)
	if join >= 0 {
		if derr := p.setJoin(join, jt, rec.Key, nil); derr != nil {
			return Result{}, p.ag.fail(rec, derr)
		}
	}
	res := e.result()
	res.JoinErr = err
	return res, nil
}
