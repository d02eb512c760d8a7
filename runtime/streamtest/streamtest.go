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
//	totals, err := streamtest.Output(d, shopv1.AccountTotalTopic)
//
// The driver runs the worker's own lane code (runtime/internal/lane: the
// error policies, dead letters, table caches and flushes, window closing
// and expiry, on the same window clock) with in-memory stores, one lane
// per agent and input partition (stream time is per input partition, as
// in the worker), acknowledging every record at once, with at-least-once's
// table path. What it does not show is Kafka itself: commits, rebalances,
// partition moves, concurrency within a partition, and the idle wall
// clock are the worker's, and tested against a broker. Its virtual clock
// (Advance) moves stream time with no sleeps. It logs nothing.
//
// Example and ExampleDriver_SendRecord (example_test.go) run as tests.
//
// Files: streamtest.go (the Driver, sending, the clock), records.go (the
// topic logs and reading them back), tables.go (stores and table reads).
package streamtest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sort"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// Driver runs an app's agents on records in memory.
type Driver struct {
	app     *runtime.App
	log     *slog.Logger
	stores  map[storeKey]*lane.Table // table partitions
	tables  map[string]*runtime.TableDesc
	writers map[string]int // per table: how many agents write it
	parts   map[partKey]*part
	topics  map[string]*runtime.TopicDesc
	logs    map[string][]*runtime.Record // every record per topic
	read    map[string]int               // per topic, how many Output has returned
	offsets map[partKey]int64            // next offset per topic partition
	clock   time.Time
	limit   func(topic string) int // the largest record each topic takes, as the worker's default
	queue   []*runtime.Record      // produced, to be processed by the agents consuming their topic
	err     error                  // the error that stopped an agent (ON_ERROR_STOP)
	timers  leaderTimers           // the timer and cron agents (ticks.go)
}

type storeKey struct {
	table     string
	partition int32
}

type partKey struct {
	topic     string
	partition int32
}

// part is one input partition: its stream time and one lane per agent
// (the topic's agents, then the timer and cron agents that run on its
// partitions).
type part struct {
	clock  windows.Clock
	joins  []*windows.JoinClock // per lane, a stream join's (nil for the others)
	lanes  []*lane.Lane
	agents []*runtime.Agent // lanes[i] runs agents[i]
	inputs int              // how many of agents consume the topic
}

// New returns a driver for app, whose agents must be registered.
func New(app *runtime.App) *Driver {
	d := &Driver{app: app, log: slog.New(slog.DiscardHandler), topics: map[string]*runtime.TopicDesc{}, logs: map[string][]*runtime.Record{},
		read: map[string]int{}, offsets: map[partKey]int64{}, stores: map[storeKey]*lane.Table{},
		tables: map[string]*runtime.TableDesc{}, writers: lane.Writers(app), parts: map[partKey]*part{},
		limit: lane.RecordLimits(app, lane.DefaultRecordLimit)}
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
// test the error policy. A record without a timestamp gets the driver's
// clock, or the wall clock before Advance was called, as a producer would
// stamp it.
func (d *Driver) SendRecord(rec *runtime.Record) error {
	d.queue = append(d.queue, d.append(rec))
	err := d.run()
	if err == nil {
		err = d.settle()
	}
	return d.done(err)
}

// done ends a Send or an Advance: an agent that stopped (ON_ERROR_STOP)
// returns its record's *runtime.ProcessError, and what was still queued
// is dropped, as a stopped worker leaves it uncommitted; the next Send
// starts afresh.
func (d *Driver) done(err error) error {
	d.err, d.queue = nil, nil
	var se *lane.StopError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

// Now returns the driver's clock: the time Advance set, or the zero time.
func (d *Driver) Now() time.Time { return d.clock }

// Advance moves the driver's virtual clock to t (never backwards). Stream
// time of every partition is at least the clock, so advancing it closes
// windows past their end plus grace (their final values go to the table's
// on_window_close agents) and expires windows past their end plus expiry,
// and a batch agent's open batches whose max_wait has passed since their
// first record go to its handler, with no sleeps in tests. (A batch that
// reaches max_records goes at once, in Send.) The driver is the group's
// leader: the first Advance starts the timer and cron agents, and each
// later one runs every tick the clock passes, in order (see ticks.go).
func (d *Driver) Advance(t time.Time) error {
	before := d.clock
	if t.After(d.clock) {
		d.clock = t.UTC()
	}
	for _, p := range d.parts {
		p.clock.AdvanceTo(d.clock.UnixMilli())
		for _, jc := range p.joins {
			if jc != nil {
				jc.AdvanceTo(d.clock.UnixMilli())
			}
		}
	}
	if err := d.runTicks(before); err != nil {
		return d.done(err)
	}
	return d.done(d.settle())
}

// run processes the queued records and everything they cause, in order.
func (d *Driver) run() error {
	for len(d.queue) > 0 && d.err == nil {
		in := d.queue[0]
		d.queue = d.queue[1:]
		if err := d.feedGlobals(in); err != nil {
			return err
		}
		lanes := d.lanes(in.Topic, in.Partition)
		if len(lanes) == 0 {
			continue
		}
		f := lane.NewInput(in, len(lanes))
		for _, l := range lanes {
			l.Process(f)
			if d.err != nil {
				break
			}
			l.FlushTables()
			l.Produce()
		}
	}
	return d.err
}

// settle runs every lane's timer work as the worker does on its tick,
// without the idle clock: windows past their end plus grace close, old
// windows expire, writes flush; then what the closers emitted is
// processed.
func (d *Driver) settle() error {
	for again := true; again && d.err == nil; {
		for _, k := range d.partKeys() {
			for _, l := range d.parts[k].lanes {
				l.FlushDueBatch()
				l.Windows()
				l.FlushTables()
				l.Produce()
			}
		}
		again = len(d.queue) > 0
		if err := d.run(); err != nil {
			return err
		}
	}
	return d.err
}

func (d *Driver) partKeys() []partKey {
	keys := make([]partKey, 0, len(d.parts))
	for k := range d.parts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].topic < keys[j].topic || (keys[i].topic == keys[j].topic && keys[i].partition < keys[j].partition)
	})
	return keys
}

// lanes returns the lanes that run a record of topic's partition: every
// agent's of an input partition, or, for a topic consumed for one agent
// (Agent.Sources: a repartition topic, a joined stream), its agent's lane
// of the input partition with the same number (as the worker runs it).
func (d *Driver) lanes(topic string, partition int32) []*lane.Lane {
	for _, ag := range d.app.Agents() {
		if ownSource(ag, topic) {
			p := d.part(ag.Desc.Input.Name, partition)
			for i, a := range p.agents {
				if a == ag {
					return p.lanes[i : i+1]
				}
			}
		}
	}
	if p := d.part(topic, partition); p != nil {
		return p.lanes[:p.inputs]
	}
	return nil
}

// part returns the input partition of topic, with a lane per agent
// consuming it (created at its first record), or nil if no agent
// consumes the topic.
func (d *Driver) part(topic string, partition int32) *part {
	k := partKey{topic, partition}
	if p := d.parts[k]; p != nil {
		return p
	}
	var agents []*runtime.Agent
	for _, ag := range d.app.Agents() {
		if ag.Desc.Input != nil && ag.Desc.Input.Name == topic {
			agents = append(agents, ag)
		}
	}
	if len(agents) == 0 {
		return nil
	}
	p := &part{inputs: len(agents)}
	for _, ag := range d.app.Agents() {
		if tm := ag.Desc.Timer; tm != nil && tm.OnPartitions() && tm.Topic.Name == topic {
			agents = append(agents, ag)
		}
	}
	p.clock.AdvanceTo(d.clock.UnixMilli())
	for _, ag := range agents {
		var jc *windows.JoinClock
		if ag.Desc.StreamJoin != nil {
			// Records come as they are sent: no side is still coming.
			jc = windows.NewJoinClock(false)
			jc.AdvanceTo(d.clock.UnixMilli())
		}
		l := lane.New(lane.Config{Ctx: context.Background(), App: d.app, Agent: ag,
			Tables: d.agentTables(ag, partition), Slot: 0, Slots: 1, Clock: &p.clock,
			Guarantee: guarantee{d: d, StoreNow: lane.StoreNow{Fail: d.fail}}, Fail: d.fail, Log: d.log,
			RecordLimit: d.limit, Now: d.Now, JoinClock: jc})
		p.joins = append(p.joins, jc)
		l.Start()
		p.lanes = append(p.lanes, l)
		p.agents = append(p.agents, ag)
	}
	d.parts[k] = p
	return p
}

func (d *Driver) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// guarantee is the driver's lane.Guarantee: at-least-once's table path
// (lane.StoreNow), with every produced record appended to its topic's log
// and acknowledged at once.
type guarantee struct {
	lane.StoreNow
	d *Driver
}

func (g guarantee) Produce(recs []runtime.Record, toks []any) {
	for i := range recs {
		r := g.d.append(&recs[i])
		if g.d.consumed(r.Topic) {
			g.d.queue = append(g.d.queue, r)
		}
		if err := lane.Ack(toks[i], r.Offset); err != nil {
			g.d.fail(err)
		}
	}
}

// consumed reports whether an agent of the app consumes topic (its input
// or one of its Sources), or a global table is fed from it.
func (d *Driver) consumed(topic string) bool {
	for _, ag := range d.app.Agents() {
		if ag.Desc.Input != nil && ag.Desc.Input.Name == topic {
			return true
		}
		if ownSource(ag, topic) {
			return true
		}
	}
	for _, t := range d.tables {
		if t.Global && t.Source.Name == topic {
			return true
		}
	}
	return false
}

// ownSource reports whether topic is one of ag's Sources.
func ownSource(ag *runtime.Agent, topic string) bool {
	return slices.ContainsFunc(ag.Sources(), func(t *runtime.TopicDesc) bool { return t.Name == topic })
}
