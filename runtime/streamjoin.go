package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"google.golang.org/protobuf/proto"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// JoinKind is a stream-stream join's kind (the schema's join.kind).
type JoinKind int

// The join kinds.
const (
	// JoinInner hands the handler pairs only.
	JoinInner JoinKind = iota + 1
	// JoinLeft also hands it each input record that found no partner by
	// the time its window closed, with a nil joined record.
	JoinLeft
	// JoinOuter is JoinLeft both ways: each joined record without a
	// partner reaches the handler too, with a nil input record.
	JoinOuter
)

// String returns the kind's schema name.
func (k JoinKind) String() string {
	switch k {
	case JoinInner:
		return "JOIN_KIND_INNER"
	case JoinLeft:
		return "JOIN_KIND_LEFT"
	case JoinOuter:
		return "JOIN_KIND_OUTER"
	}
	return fmt.Sprintf("JoinKind(%d)", int(k))
}

// JoinHandlerFunc calls a stream-joining agent's typed method on impl with
// a pair: in is a record of the agent's Input, joined one of the join's
// Stream; either is nil for a record that found no partner (JoinLeft,
// JoinOuter). Generated code provides one per such agent.
type JoinHandlerFunc func(ctx context.Context, impl any, in, joined proto.Message, out *Emitter) error

// StreamJoinDesc is an agent's windowed stream-stream join (the schema's
// join.stream; Kafka Streams' KStream-KStream join with JoinWindows): a
// record of the agent's Input at event time t joins each record of Stream
// with the same key and an event time in [t-Before, t+After], whichever
// of the two arrives first. Records of either side wait in the agent's two
// tables, its buffers: Tables[0] holds the Input's records, Tables[1]
// Stream's, each a windowed table of 1 ms windows whose values are
// streamgenv1.JoinBuffer, closed when no record of the other side can
// join them any more (stream time past t+After+Grace for the Input's,
// t+Before+Grace for Stream's) and then deleted. A record more than Grace
// behind its partition's stream time is late: skipped and counted.
type StreamJoinDesc struct {
	// Stream is the topic joined: co-partitioned with Input, consumed by
	// the worker for this agent only (partition p of it runs in Input's
	// partition p).
	Stream *TopicDesc
	// Before, After and Grace are the join window and its grace.
	Before, After, Grace time.Duration
	// Kind is inner, left or outer.
	Kind JoinKind
	// Handler calls the agent's method with a pair.
	Handler JoinHandlerFunc
}

// EmitsUnmatched reports whether the records of side (0: the Input's, 1:
// Stream's) that found no partner reach the handler when their window
// closes.
func (j *StreamJoinDesc) EmitsUnmatched(side int) bool {
	return (side == 0 && j.Kind >= JoinLeft) || j.Kind == JoinOuter
}

// errNoJoinKey is the error of a joined record without a key.
var errNoJoinKey = errors.New("a record without a key joins nothing (it would pair with every other record without one); give the topic's records keys")

// SetJoinClock gives a stream-joining agent's processor its partition's
// join clock (the engine's, per partition): the time its records are late
// by, which it moves with their event times. Without one, the join goes
// by the partition's stream time.
func (p *Processor) SetJoinClock(c *windows.JoinClock) { p.joinClock = c }

// joinNow is the join's time (ms) a record is late by.
func (p *Processor) joinNow() int64 {
	if p.joinClock != nil {
		return p.joinClock.Now()
	}
	return p.em.now().UnixMilli()
}

// joinSide returns the side of the join rec belongs to and its topic.
func (p *Processor) joinSide(rec *Record) (int, *TopicDesc) {
	if j := p.ag.Desc.StreamJoin; rec.Topic == j.Stream.Name {
		return 1, j.Stream
	}
	return 0, p.ag.Desc.Input
}

// processJoin runs a stream-joining agent on one record of either side:
// the record joins its buffer, and the handler is called once per partner
// the other buffer holds for it.
func (p *Processor) processJoin(ctx context.Context, rec *Record) (res Result, err error) {
	ag, out, j := p.ag, &p.em, p.ag.Desc.StreamJoin
	side, topic := p.joinSide(rec)
	if p.joinClock != nil {
		defer p.joinClock.Processed(side, rec.Offset) // joined, late or failed
	}
	out.reset(ag.Desc, rec)
	m, err := topic.Decode(rec.Value)
	if err != nil {
		return Result{}, ag.fail(rec, err)
	}
	defer func() {
		if r := recover(); r != nil {
			out.reset(ag.Desc, rec)
			res, err = Result{}, ag.fail(rec, &PanicError{Value: r, Stack: debug.Stack()})
		}
	}()
	if err := p.admit(topic, rec, m); err != nil {
		return Result{}, ag.fail(rec, err)
	}
	t := out.eventTime.UnixMilli()
	if t+j.Grace.Milliseconds() < p.joinNow() {
		out.late++ // its partners may be gone already
		return out.result(), nil
	}
	key := rec.Key
	if topic.Key != nil {
		key = topic.Key(m)
	}
	if len(key) == 0 {
		return Result{}, ag.fail(rec, errNoJoinKey)
	}
	if p.joinClock != nil {
		defer p.joinClock.Observe(side, t)
	}
	if err := p.join(context.WithValue(ctx, recordKey{}, rec), side, key, t, rec.Offset, rec.Value, m); err != nil {
		out.reset(ag.Desc, rec)
		return Result{}, ag.fail(rec, err)
	}
	return out.result(), nil
}

// join adds the record (side, key, event time t in ms, offset, value,
// decoded as m) to its buffer and calls the handler with each partner the
// other buffer holds, marking those partners matched.
func (p *Processor) join(ctx context.Context, side int, key []byte, t, offset int64, value []byte, m proto.Message) error {
	out, j := &p.em, p.ag.Desc.StreamJoin
	other := 1 - side
	wk := windows.Key(key, windows.Time(t))
	own, err := p.buffer(side, wk)
	if err != nil {
		return err
	}
	entry := own.find(offset)
	if entry == nil { // else read again (at least once): buffered once, joined again
		entry = &streamgenv1.JoinBufferEntry{Offset: offset, Value: value}
		own.Entries = append(own.Entries, entry)
	}
	// The partners' event times: [t-Before, t+After] for an input record,
	// [t-After, t+Before] for a joined one.
	from, to := t-j.Before.Milliseconds(), t+j.After.Milliseconds()
	if side == 1 {
		from, to = t-j.After.Milliseconds(), t+j.Before.Milliseconds()
	}
	partners, err := p.partners(other, wk[:len(wk)-8], key, from, to)
	if err != nil {
		return err
	}
	otherTopic := j.Stream
	if other == 0 {
		otherTopic = p.ag.Desc.Input
	}
	for _, pw := range partners {
		changed := false
		for _, e := range pw.buf.Entries {
			pm, err := otherTopic.Decode(e.Value)
			if err != nil {
				return err
			}
			in, joined := m, pm
			if side == 1 {
				in, joined = pm, m
			}
			if err := j.Handler(ctx, p.ag.app.impl, in, joined, out); err != nil {
				return err
			}
			entry.Matched = true
			if !e.Matched && j.EmitsUnmatched(other) {
				e.Matched, changed = true, true
			}
		}
		if changed {
			if err := p.putBuffer(other, pw.key, pw.buf); err != nil {
				return err
			}
		}
	}
	return p.putBuffer(side, wk, own)
}

// pointLookups is the widest join window (in ms) whose partners are read
// with a Get per millisecond instead of a scan of the key's windows: a
// Get is a cache or store lookup, a scan walks the lane's cache and
// opens a store iterator (about 50 µs per record in the 1 ms benchmark,
// BENCHMARKS.md).
const pointLookups = 32

// joinBuffer is a window of a buffer table and its value.
type joinBuffer struct {
	key []byte
	buf *buffer
}

// buffer is a decoded buffer value.
type buffer struct{ *streamgenv1.JoinBuffer }

func (b buffer) find(offset int64) *streamgenv1.JoinBufferEntry {
	for _, e := range b.Entries {
		if e.Offset == offset {
			return e
		}
	}
	return nil
}

// buffer reads window key wk of buffer table side.
func (p *Processor) buffer(side int, wk []byte) (*buffer, error) {
	raw, _, err := p.em.lookup(side, p.ag.Desc.Tables[side], wk)
	if err != nil {
		return nil, err
	}
	return decodeBuffer(p.ag.Desc.Tables[side], wk, raw)
}

func decodeBuffer(t *TableDesc, wk, raw []byte) (*buffer, error) {
	b := &streamgenv1.JoinBuffer{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("streamgen: table %q: decoding the value of key %q: %w", t.Name, wk, err)
	}
	return &buffer{b}, nil
}

// putBuffer writes window key wk of buffer table side.
func (p *Processor) putBuffer(side int, wk []byte, b *buffer) error {
	v, err := proto.Marshal(b.JoinBuffer)
	if err != nil {
		return err
	}
	p.em.writes = append(p.em.writes, TableWrite{Table: side, Key: wk, Value: v})
	return nil
}

// partners returns the windows of buffer table side that hold key's
// records with an event time in [from, to] (ms), oldest first. prefix is
// the key's window keys' prefix.
func (p *Processor) partners(side int, prefix, key []byte, from, to int64) ([]joinBuffer, error) {
	if p.em.state == nil {
		return nil, fmt.Errorf("streamgen: agent %s has no state in this context", p.ag.Name())
	}
	var out []joinBuffer
	if to-from < pointLookups {
		for ms := from; ms <= to; ms++ {
			wk := windows.Key(key, windows.Time(ms))
			v, ok, err := p.em.state.Get(side, wk)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			b, err := decodeBuffer(p.ag.Desc.Tables[side], wk, v)
			if err != nil {
				return nil, err
			}
			out = append(out, joinBuffer{key: wk, buf: b})
		}
		return out, nil
	}
	err := p.em.state.Scan(side, prefix, func(k, v []byte) error {
		k2, start, ok := windows.SplitKey(k)
		if !ok || !bytes.Equal(k2, key) {
			return nil // a longer key with the same prefix, or a reserved key
		}
		if ms := start.UnixMilli(); ms < from || ms > to {
			return nil
		}
		b, err := decodeBuffer(p.ag.Desc.Tables[side], k, v)
		if err != nil {
			return err
		}
		out = append(out, joinBuffer{key: bytes.Clone(k), buf: b})
		return nil
	})
	return out, err
}

// joinClosed hands the handler each record of a closed buffer window that
// found no partner (JoinLeft, JoinOuter): the window's value is the
// buffer value, w its key and event time. A record whose handler call
// fails (or panics) is left out of the result with its outputs, and goes
// to the error policy on its own (Result.Failed), as the record it was.
func (p *Processor) joinClosed(ctx context.Context, w ClosedWindow, partition int32, value []byte) (Result, error) {
	ag, out, j := p.ag, &p.em, p.ag.Desc.StreamJoin
	side, topic := 0, ag.Desc.Input
	if w.Table == ag.Desc.Tables[1].Name {
		side, topic = 1, j.Stream
	}
	t := ag.Desc.Tables[side]
	rec := &Record{Topic: t.Changelog.Name, Partition: partition, Offset: -1, Key: w.Key, Value: value, Timestamp: w.Start}
	out.reset(ag.Desc, rec)
	b, err := decodeBuffer(t, w.Key, value)
	if err != nil {
		return Result{}, ag.fail(rec, &DecodeError{Topic: t.Changelog.Name, Codec: CodecProto, Err: err})
	}
	out.eventTime = w.Start
	var failed []Failure
	for _, e := range b.Entries {
		if e.Matched {
			continue
		}
		orig := &Record{Topic: topic.Name, Partition: partition, Offset: e.Offset, Key: w.Key, Value: e.Value, Timestamp: w.Start}
		n := len(out.recs)
		if err := p.unmatched(context.WithValue(ctx, recordKey{}, orig), side, topic, e.Value); err != nil {
			clear(out.recs[n:])
			out.recs = out.recs[:n] // its outputs go with it
			failed = append(failed, Failure{Record: orig, Err: ag.fail(orig, err)})
		}
	}
	res := out.result()
	res.Failed = failed
	return res, nil
}

// unmatched calls the handler with a record of side that found no
// partner (value, in topic's codec), nil for the other side; a panic is
// a *PanicError.
func (p *Processor) unmatched(ctx context.Context, side int, topic *TopicDesc, value []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	m, err := topic.Decode(value)
	if err != nil {
		return err
	}
	p.em.msg = m
	in, joined := m, proto.Message(nil)
	if side == 1 {
		in, joined = nil, m
	}
	return p.ag.Desc.StreamJoin.Handler(ctx, p.ag.app.impl, in, joined, &p.em)
}
