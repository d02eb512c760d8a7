// Package streamtest is an in-process test driver for streamgen apps: no
// broker, no cgo. Feed typed records to a registered app's input topics,
// then read the typed records its agents emitted and the records they sent
// to dead-letter topics. Records an agent emits to a topic that another
// agent of the app consumes are processed in turn, as on Kafka.
//
//	app := runtime.NewApp()
//	shopv1.RegisterShopAgents(app, &myAgents{})
//	d := streamtest.New(app)
//	err := streamtest.Send(d, shopv1.OrderTopic, &shopv1.Order{AccountId: "a"})
//	totals := streamtest.Output(d, shopv1.AccountTotalTopic)
//
// The driver runs the same code path as the worker (runtime.Agent.Process,
// the error policies, dead-letter headers); what it does not show is Kafka
// itself: commits, rebalances and partition moves are the worker's, and
// tested against a broker.
package streamtest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/state"
)

// Driver runs an app's agents on records in memory.
type Driver struct {
	app     *runtime.App
	stores  map[string]*state.Memory // "<table>/<partition>"
	tables  map[string]*runtime.TableDesc
	stream  map[int32]time.Time // per partition: highest event time seen
	topics  map[string]*runtime.TopicDesc
	logs    map[string][]*runtime.Record // every record per topic
	read    map[string]int               // per topic, how many Output has returned
	offsets map[string]int64             // next offset per topic/partition
	clock   time.Time
}

// New returns a driver for app, whose agents must be registered.
func New(app *runtime.App) *Driver {
	d := &Driver{app: app, topics: map[string]*runtime.TopicDesc{}, logs: map[string][]*runtime.Record{},
		read: map[string]int{}, offsets: map[string]int64{},
		stores: map[string]*state.Memory{}, tables: map[string]*runtime.TableDesc{}, stream: map[int32]time.Time{}}
	for _, ag := range app.Agents() {
		for _, t := range ag.Desc.Tables {
			d.tables[t.Name] = t
		}
	}
	for _, t := range app.Topics() {
		d.topics[t.Name] = t
	}
	return d
}

// Send encodes m with the topic's codec and key, and runs every agent that
// consumes the topic on it, then every agent consuming what they emitted.
// It returns the error that stopped an agent with ON_ERROR_STOP; failures
// under ON_ERROR_DEAD_LETTER end in the dead-letter topic instead.
func Send[T proto.Message](d *Driver, topic runtime.Topic[T], m T) error {
	rec, err := topic.Record(m)
	if err != nil {
		return err
	}
	return d.SendRecord(rec)
}

// SendRecord feeds a record as bytes, e.g. a value that does not decode, to
// test the error policy.
func (d *Driver) SendRecord(rec *runtime.Record) error {
	if err := d.run([]*runtime.Record{d.append(rec)}); err != nil {
		return err
	}
	return d.settle()
}

// run processes queued records and everything they cause.
func (d *Driver) run(queue []*runtime.Record) error {
	var em runtime.Emitter
	for len(queue) > 0 {
		in := queue[0]
		queue = queue[1:]
		for _, t := range d.tables {
			if t.Global && t.Source.Name == in.Topic {
				kv := state.KV{Key: in.Key, Value: in.Value, Delete: in.Value == nil}
				if err := d.store(t.Name, in.Partition).Write([]state.KV{kv}); err != nil {
					return err
				}
			}
		}
		for _, ag := range d.app.Agents() {
			if ag.Desc.Input == nil || ag.Desc.Input.Name != in.Topic {
				continue
			}
			em.SetState(driverState{d: d, ag: ag, partition: in.Partition})
			part := in.Partition
			em.SetStreamTime(func() time.Time { return d.streamTime(part) })
			if err := ag.Process(context.Background(), in, &em); err != nil {
				if ag.Desc.OnError == runtime.OnErrorStop {
					return err
				}
				d.append(ag.DeadLetter(in, err))
				continue
			}
			if et := em.EventTime(); et.After(d.stream[in.Partition]) {
				d.stream[in.Partition] = et
			}
			for _, w := range em.Writes() {
				t := ag.Desc.Tables[w.Table]
				kv := state.KV{Key: w.Key, Value: w.Value, Delete: w.Value == nil}
				if err := d.store(t.Name, in.Partition).Write([]state.KV{kv}); err != nil {
					return err
				}
				d.append(&runtime.Record{Topic: t.Changelog.Name, Partition: in.Partition, Key: w.Key, Value: w.Value})
			}
			for _, out := range em.Records() {
				out := out
				queue = append(queue, d.append(&out))
			}
		}
	}
	return nil
}

// settle closes the windows stream time has passed (end plus grace),
// handing their final values to the closers, then expires old windows.
func (d *Driver) settle() error {
	if err := d.closeWindows(); err != nil {
		return err
	}
	return d.expire()
}

func (d *Driver) closeWindows() error {
	keys := make([]string, 0, len(d.stores))
	for k := range d.stores {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var em runtime.Emitter
	for _, sk := range keys {
		st := d.stores[sk]
		name, pstr, _ := strings.Cut(sk, "/")
		t := d.tables[name]
		if t == nil || t.Window == nil {
			continue
		}
		closers := d.app.ClosersOf(name)
		if len(closers) == 0 {
			continue
		}
		p64, _ := strconv.ParseInt(pstr, 10, 32)
		part := int32(p64)
		now := d.streamTime(part)
		type due struct {
			key, value []byte
			start      time.Time
		}
		var ds []due
		closed := map[string]bool{}
		_ = st.Scan(func(k, v []byte) error {
			if wk, ok := runtime.SplitClosedMarker(k); ok {
				closed[string(wk)] = true
				return nil
			}
			if _, start, ok := runtime.SplitWindowKey(k); ok && !start.Add(t.Window.Size+t.Window.Grace).After(now) {
				ds = append(ds, due{append([]byte(nil), k...), append([]byte(nil), v...), start})
			}
			return nil
		})
		sort.Slice(ds, func(i, j int) bool {
			if !ds[i].start.Equal(ds[j].start) {
				return ds[i].start.Before(ds[j].start)
			}
			return string(ds[i].key) < string(ds[j].key)
		})
		for _, w := range ds {
			if closed[string(w.key)] {
				continue
			}
			key, start, _ := runtime.SplitWindowKey(w.key)
			cw := runtime.ClosedWindow{Table: name, Key: key, Start: start, End: start.Add(t.Window.Size)}
			var queue []*runtime.Record
			for _, c := range closers {
				if err := c.ProcessClosed(context.Background(), cw, part, w.value, &em); err != nil {
					if c.Desc.OnError == runtime.OnErrorStop {
						return err
					}
					d.append(c.DeadLetter(&runtime.Record{Topic: t.Changelog.Name, Partition: part, Offset: -1, Key: key, Value: w.value, Timestamp: cw.End}, err))
					continue
				}
				for _, out := range em.Records() {
					out := out
					queue = append(queue, d.append(&out))
				}
			}
			marker := runtime.ClosedMarkerKey(w.key)
			if err := st.Write([]state.KV{{Key: marker, Value: []byte{1}}}); err != nil {
				return err
			}
			d.append(&runtime.Record{Topic: t.Changelog.Name, Partition: part, Key: marker, Value: []byte{1}})
			if err := d.run(queue); err != nil {
				return err
			}
		}
	}
	return nil
}

// Now returns the driver's clock: the time Advance set, or the zero time.
func (d *Driver) Now() time.Time { return d.clock }

// Advance moves the driver's virtual clock to t (never backwards). Stream
// time of every partition is at least the clock, so advancing it closes
// windows past their end plus grace (their final values go to the table's
// on_window_close agents) and expires windows past their end plus expiry,
// with no sleeps in tests. Records
// sent without a timestamp get the clock's time.
func (d *Driver) Advance(t time.Time) error {
	if t.After(d.clock) {
		d.clock = t.UTC()
	}
	return d.settle()
}

func (d *Driver) streamTime(partition int32) time.Time {
	if t := d.stream[partition]; t.After(d.clock) {
		return t
	}
	return d.clock
}

// expire deletes windows whose end plus expiry is at or before stream time,
// and writes their tombstones to the changelog, as the worker does.
func (d *Driver) expire() error {
	for k, st := range d.stores {
		name, pstr, _ := strings.Cut(k, "/")
		t := d.tables[name]
		if t == nil || t.Window == nil {
			continue
		}
		p64, _ := strconv.ParseInt(pstr, 10, 32)
		now := d.streamTime(int32(p64))
		var dead [][]byte
		_ = st.Scan(func(key, _ []byte) error {
			wk := key
			if m, ok := runtime.SplitClosedMarker(key); ok {
				wk = m
			}
			if _, start, ok := runtime.SplitWindowKey(wk); ok && !start.Add(t.Window.Size+t.Window.Expires).After(now) {
				dead = append(dead, append([]byte(nil), key...))
			}
			return nil
		})
		sort.Slice(dead, func(i, j int) bool { return string(dead[i]) < string(dead[j]) })
		for _, key := range dead {
			if err := st.Write([]state.KV{{Key: key, Delete: true}}); err != nil {
				return err
			}
			d.append(&runtime.Record{Topic: t.Changelog.Name, Partition: int32(p64), Key: key})
		}
	}
	return nil
}

// WindowValue returns the value of key's window of windowed table that
// starts at start, and whether it exists (not expired).
func WindowValue[T proto.Message](d *Driver, table, key string, start time.Time) (T, bool, error) {
	return TableValue[T](d, table, string(runtime.WindowKey([]byte(key), start)))
}

func (d *Driver) append(rec *runtime.Record) *runtime.Record {
	r := *rec
	if t := d.topics[r.Topic]; t != nil && r.Partition < 0 {
		if r.Key != nil {
			r.Partition = runtime.Partition(r.Key, t.Partitions)
		} else {
			r.Partition = 0
		}
	}
	if r.Partition < 0 {
		r.Partition = 0
	}
	k := fmt.Sprintf("%s/%d", r.Topic, r.Partition)
	r.Offset = d.offsets[k]
	d.offsets[k]++
	if r.Timestamp.IsZero() && !d.clock.IsZero() {
		r.Timestamp = d.clock
	}
	d.logs[r.Topic] = append(d.logs[r.Topic], &r)
	return &r
}

// Records returns every record written to topic so far, in order:
// inputs, outputs and dead letters alike.
func (d *Driver) Records(topic string) []*runtime.Record { return d.logs[topic] }

// Output decodes the records emitted to topic since the last call of
// Output for that topic.
func Output[T proto.Message](d *Driver, topic runtime.Topic[T]) ([]T, error) {
	recs := d.logs[topic.Name()][d.read[topic.Name()]:]
	d.read[topic.Name()] += len(recs)
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		m, err := topic.Decode(r.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// DeadLetters returns the records written to an agent's dead-letter topic
// (the generated <App><Agent>DeadLetterTopicName constant).
func (d *Driver) DeadLetters(topic string) []*runtime.Record { return d.logs[topic] }

func (d *Driver) store(table string, partition int32) *state.Memory {
	k := fmt.Sprintf("%s/%d", table, partition)
	s := d.stores[k]
	if s == nil {
		s = state.NewMemory()
		d.stores[k] = s
	}
	return s
}

type driverState struct {
	d         *Driver
	ag        *runtime.Agent
	partition int32
}

func (s driverState) Get(i int, key []byte) ([]byte, bool, error) {
	t := s.ag.Desc.Tables[i]
	if t.Global {
		return s.d.store(t.Name, runtime.Partition(key, t.Source.Partitions)).Get(key)
	}
	return s.d.store(t.Name, s.partition).Get(key)
}

// TableValue returns the value of key in table, as the worker would store
// it (the partition is the key's murmur2 partition among the table's
// changelog partitions), and whether the key has a value.
func TableValue[T proto.Message](d *Driver, table, key string) (T, bool, error) {
	var zero T
	t := d.tables[table]
	if t == nil {
		return zero, false, fmt.Errorf("streamtest: the app has no table %q", table)
	}
	n := int32(1)
	if t.Global {
		n = t.Source.Partitions
	} else {
		n = t.Changelog.Partitions
	}
	pk := []byte(key)
	if t.Window != nil {
		pk, _, _ = runtime.SplitWindowKey(pk)
	}
	p := runtime.Partition(pk, n)
	raw, ok, err := d.store(table, p).Get([]byte(key))
	if err != nil || !ok {
		return zero, ok, err
	}
	m := t.New()
	if err := proto.Unmarshal(raw, m); err != nil {
		return zero, false, err
	}
	v, isT := m.(T)
	if !isT {
		return zero, false, fmt.Errorf("streamtest: table %q holds %T, not %T", table, m, zero)
	}
	return v, true, nil
}

// Header returns the value of the last header named key, or "".
func Header(rec *runtime.Record, key string) string {
	for i := len(rec.Headers) - 1; i >= 0; i-- {
		if rec.Headers[i].Key == key {
			return string(rec.Headers[i].Value)
		}
	}
	return ""
}
