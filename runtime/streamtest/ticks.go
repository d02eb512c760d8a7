package streamtest

import (
	"context"
	"slices"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
)

// The driver is the group's leader and owns every partition: its timer
// and cron agents run on its virtual clock. They start at the driver's
// first Advance (no tick before it); each later Advance runs every tick
// the clock passes, in order, one call each, as a live leader does (a
// leader that is down or paused misses ticks; the driver never is). An
// agent that runs on each partition of its tables runs each tick once per
// partition of its TimerTopic, in partition order, in that partition's
// lane, on its tables.

// leaderTimers is the driver's timer and cron agents: one lane each, and
// the last tick each ran.
type leaderTimers struct {
	lanes map[*runtime.Agent]*lane.Lane
	last  map[*runtime.Agent]time.Time
}

// maxTicksPerAdvance bounds one Advance's ticks per agent: a 100 ms timer
// advanced by a day runs 864,000.
const maxTicksPerAdvance = 1_000_000

// runTicks runs, after the clock moved from before, every tick of every
// timer and cron agent in (before, clock], in time order per agent, and
// what their outputs cause.
func (d *Driver) runTicks(before time.Time) error {
	for _, ag := range d.app.Agents() {
		if ag.Desc.Timer == nil {
			continue
		}
		if d.timers.lanes == nil {
			d.timers = leaderTimers{lanes: map[*runtime.Agent]*lane.Lane{}, last: map[*runtime.Agent]time.Time{}}
		}
		if before.IsZero() {
			d.timers.last[ag] = d.clock // the first Advance starts the timers
			continue
		}
		for n := 0; n < maxTicksPerAdvance; n++ {
			next := ag.Desc.Timer.Next(d.timers.last[ag])
			if next.IsZero() || next.After(d.clock) {
				break
			}
			d.timers.last[ag] = next
			if err := d.tick(ag, next); err != nil {
				return err
			}
		}
	}
	return d.err
}

// tick runs ag's tick at time at (once per partition of its TimerTopic for
// an agent that runs on each partition) and what its outputs cause.
func (d *Driver) tick(ag *runtime.Agent, at time.Time) error {
	topic := d.app.TimerTopic(ag)
	if !ag.Desc.Timer.OnPartitions() {
		l := d.timerLane(ag)
		l.Process(lane.NewTick(topic.Name, ag.Desc.Name, runtime.Tick{Time: at}))
		l.Produce()
		return d.run()
	}
	for i := range d.topics[topic.Name].Partitions {
		p := d.part(topic.Name, i)
		l := p.lanes[slices.Index(p.agents, ag)]
		l.Process(lane.NewTick(topic.Name, ag.Desc.Name, runtime.Tick{Time: at, Partition: i}))
		l.FlushTables()
		l.Produce()
		if err := d.run(); err != nil {
			return err
		}
	}
	return nil
}

// timerLane returns ag's lane, created at its first tick.
func (d *Driver) timerLane(ag *runtime.Agent) *lane.Lane {
	if l := d.timers.lanes[ag]; l != nil {
		return l
	}
	l := lane.New(lane.Config{Ctx: context.Background(), App: d.app, Agent: ag,
		Tables: d.agentTables(ag, 0), Slot: 0, Slots: 1, Clock: &windows.Clock{},
		Guarantee: guarantee{d: d, StoreNow: lane.StoreNow{Fail: d.fail}}, Fail: d.fail, Log: d.log,
		RecordLimit: d.limit, Now: d.Now})
	l.Start()
	d.timers.lanes[ag] = l
	return l
}
