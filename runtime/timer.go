package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // cron time zones, whatever the machine has

	"github.com/robfig/cron/v3"
)

// Tick is what a timer or cron agent's handler gets: the scheduled time
// it runs for.
type Tick struct {
	// Time is the tick's scheduled time (not when it runs: a tick runs at
	// most a poll later, or later still after a missed stretch).
	Time time.Time
	// Missed is how many earlier ticks this one stands for: ticks that
	// passed while no worker ran them (MISSED_TICKS_RUN_ONCE runs only the
	// latest due one).
	Missed int
	// Partition is the partition the tick runs for, for an agent that
	// runs on each partition of its tables (RUN_ON_PARTITIONS); 0 on the
	// leader.
	Partition int32
}

// TickHandlerFunc calls a timer or cron agent's typed method on impl.
// Generated code provides one per such agent.
type TickHandlerFunc func(ctx context.Context, impl any, tick Tick, out *Emitter) error

// TimerDesc is a timer or cron agent's schedule (the schema's agent
// options timer, cron, run_on and on_missed_ticks). Its ticks run on the
// group's leader (LeaderTopic), or on each partition of its tables
// (Topic, TimerTopic).
type TimerDesc struct {
	// Every is a timer's interval: ticks come at every multiple of it
	// since the Unix epoch. 0 for a cron.
	Every time.Duration
	// Cron is a cron's schedule (five fields, or @hourly and the like,
	// robfig/cron's standard parser), read in TimeZone.
	Cron string
	// TimeZone is the IANA time zone of Cron; "" means UTC.
	TimeZone string
	// SkipMissed skips ticks that are not on time (MISSED_TICKS_SKIP)
	// instead of running the latest due one (MISSED_TICKS_RUN_ONCE).
	SkipMissed bool
	// Topic, when set, makes the ticks run once per partition of the
	// agent's tables (RUN_ON_PARTITIONS), in the partition's work, instead
	// of once per app on the leader: it is the topic whose partitions they
	// run in, the input topic of the agents that write the timer's tables
	// (the schema's first writer of its first table that is not global).
	Topic *TopicDesc

	// The parsed cron, once (TimerDescs of generated code are shared by
	// every App that registers them).
	once   sync.Once
	parsed *parsedCron
	err    error
}

// parsedCron is a cron schedule ready to use.
type parsedCron struct {
	sched      cron.Schedule
	plain      cron.Schedule // the schedule read in each time's own location
	loc        *time.Location
	fixedHours bool // the hour field names hours (not "*", "*/n", @hourly)
}

// OnPartitions reports whether the ticks run once per partition of the
// agent's tables (Topic is set), not on the leader.
func (d *TimerDesc) OnPartitions() bool { return d.Topic != nil }

// String describes the schedule: "every 30s on the leader", or "cron
// 0 * * * * (Europe/Berlin) on each partition".
func (d *TimerDesc) String() string {
	s := "every " + d.Every.String()
	if d.Cron != "" {
		tz := d.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		s = "cron " + d.Cron + " (" + tz + ")"
	}
	if d.OnPartitions() {
		s += " on each partition"
	} else {
		s += " on the leader"
	}
	if d.SkipMissed {
		s += ", missed ticks skipped"
	}
	return s
}

// MissedAfter is how late a tick may run and still be on time under
// MISSED_TICKS_SKIP (unless the next tick is due sooner).
const MissedAfter = time.Minute

// parse checks the schedule; Next uses what it parsed.
func (d *TimerDesc) parse() error {
	if d.Cron == "" {
		if d.Every <= 0 || d.Every%time.Millisecond != 0 {
			// Ticks are recorded in milliseconds (TickMetadata).
			return fmt.Errorf("a timer needs a positive interval of whole milliseconds (not %v), or a cron schedule", d.Every)
		}
		return nil
	}
	d.once.Do(func() { d.parsed, d.err = parseCron(d.Cron, d.TimeZone) })
	return d.err
}

// CronError is a cron's schedule or time zone that does not parse.
type CronError struct {
	// Field is what is wrong: "schedule" or "time_zone" (the schema's
	// names, so the schema check points at it).
	Field string
	// Err says why.
	Err error
}

// Error names the field and why.
func (e *CronError) Error() string { return "cron " + e.Field + ": " + e.Err.Error() }

// Unwrap returns why.
func (e *CronError) Unwrap() error { return e.Err }

// Check reports whether the schedule runs: a positive interval of whole
// milliseconds, or a cron schedule and time zone that parse (a
// *CronError). The schema's check and Register both use it.
func (d *TimerDesc) Check() error { return d.parse() }

// parseCron parses schedule in time zone tz ("" is UTC): robfig/cron's
// standard parser, the zone an IANA name (not the machine's Local).
func parseCron(schedule, tz string) (*parsedCron, error) {
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || strings.HasPrefix(tz, "Local") {
		return nil, &CronError{Field: "time_zone", Err: fmt.Errorf("unknown time zone %q", tz)}
	}
	s := strings.TrimSpace(schedule)
	if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") {
		return nil, &CronError{Field: "schedule", Err: errors.New("give the time zone in time_zone, not in the schedule")}
	}
	sched, err := cron.ParseStandard("CRON_TZ=" + tz + " " + s)
	if err != nil {
		return nil, &CronError{Field: "schedule", Err: err}
	}
	plain, err := cron.ParseStandard(s)
	if err != nil {
		return nil, &CronError{Field: "schedule", Err: err}
	}
	p := &parsedCron{sched: sched, plain: plain, loc: loc}
	switch f := strings.Fields(s); {
	case strings.HasPrefix(f[0], "@"):
		p.fixedHours = f[0] != "@hourly" && f[0] != "@every"
	case len(f) >= 2:
		p.fixedHours = !strings.HasPrefix(f[1], "*")
	}
	return p, nil
}

// Next returns the first tick strictly after t.
func (d *TimerDesc) Next(t time.Time) time.Time {
	if d.Cron == "" {
		n, e := t.UnixNano(), d.Every.Nanoseconds()
		q := n / e
		if n < 0 && n%e != 0 {
			q-- // floor for times before 1970
		}
		return time.Unix(0, (q+1)*e).UTC()
	}
	if err := d.parse(); err != nil {
		return time.Time{}
	}
	return d.parsed.next(t)
}

// next is a cron's next tick after t across daylight saving time, as
// Vixie cron runs jobs: a schedule that names its hours runs once at a
// local time the clocks pass twice (the first time), and at the end of a
// gap when the clocks skip the local time it names (02:30 on a night
// that goes from 02:00 to 03:00 runs at 03:00); one whose hours are "*"
// or "*/n" (or @hourly) runs every real hour it matches, both times
// included, none made up.
func (d *parsedCron) next(t time.Time) time.Time {
	n := d.sched.Next(t)
	if !d.fixedHours || n.IsZero() {
		return n
	}
	// The clocks fell back between t and n: a local time not after t's
	// came already (once for each of the schedule's minutes in the hour
	// that repeats).
	for i := 0; i < 1000 && !n.IsZero() && !wall(n.In(d.loc)).After(wall(t.In(d.loc))); i++ {
		n = d.sched.Next(n)
	}
	// The clocks spring forward between t and n: does the schedule name a
	// local time the gap swallowed?
	_, end := t.In(d.loc).ZoneBounds()
	if end.IsZero() || !end.After(t) || !end.Before(n) {
		return n
	}
	_, before := t.In(d.loc).Zone()
	_, after := end.In(d.loc).Zone()
	if after <= before {
		return n
	}
	// The same schedule on a clock that kept t's offset (robfig/cron reads
	// a schedule without a time zone in the time's own location): if it
	// matches inside the gap, the tick runs when the gap ends.
	m := d.plain.Next(t.In(time.FixedZone("", before)))
	if !m.Before(end) && m.Before(end.Add(time.Duration(after-before)*time.Second)) {
		return end
	}
	return n
}

// wall is a local time's wall clock (date, hour, minute, second) as a UTC
// time: comparable across the offsets of one location.
func wall(t time.Time) time.Time {
	y, mo, d := t.Date()
	return time.Date(y, mo, d, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// Due returns the tick to run at now when last was the last tick done
// (the zero time when none was), and whether one is due: the latest
// scheduled tick in (last, now], with how many earlier ones it stands
// for; under SkipMissed only if it is on time (at most MissedAfter late,
// and the only one due), else skipped reports how many were passed over
// and tick.Time is the latest of them (to record as done).
// With last zero nothing is due: a leader that finds no tick recorded
// takes now as its last (its first tick is the next one after now).
func (d *TimerDesc) Due(last, now time.Time) (tick Tick, ok bool, skipped int) {
	if last.IsZero() {
		return Tick{}, false, 0
	}
	next := d.Next(last)
	if next.IsZero() || next.After(now) {
		return Tick{}, false, 0
	}
	n := 0
	t := next
	for {
		after := d.Next(t)
		if after.IsZero() || after.After(now) || n >= maxMissedCount {
			break
		}
		t = after
		n++
	}
	if d.SkipMissed && (n > 0 || now.Sub(t) > MissedAfter) {
		return Tick{Time: t}, false, n + 1
	}
	return Tick{Time: t, Missed: n}, true, 0
}

// maxMissedCount bounds the walk over missed ticks (a 100 ms timer down
// for a day passes 864,000): past it, Missed stops counting and the tick
// runs for the latest time walked, not now's. Long stretches are rare and
// the handler learns at least this many were missed.
const maxMissedCount = 100_000

// TickRecord is the record a failed tick goes to the dead-letter topic
// as: on the agent's timer topic (App.TimerTopic: the leader topic, or
// the topic whose partitions it runs on) and the tick's partition, no
// offset, its value the tick time (RFC 3339), its timestamp the tick
// time, its key the agent's name.
func TickRecord(topic, agent string, tick Tick) *Record {
	return &Record{Topic: topic, Partition: tick.Partition, Offset: -1, Key: []byte(agent),
		Value: []byte(tick.Time.UTC().Format(time.RFC3339Nano)), Timestamp: tick.Time}
}

// LeaderTopicName is the app's leader topic: one partition, consumed by
// the whole group; its owner is the group's leader.
func LeaderTopicName(appID string) string { return appID + "-leader" }

// LeaderTopic returns the app's leader topic, nil when no agent runs on
// the leader. Its committed offset's metadata records the last tick each
// timer agent has done (TickMetadata).
func (a *App) LeaderTopic() *TopicDesc {
	for _, ag := range a.agents {
		if ag.Desc.Timer != nil && !ag.Desc.Timer.OnPartitions() {
			return &TopicDesc{Name: LeaderTopicName(a.id), Partitions: 1, ReplicationFactor: -1, Codec: CodecBytes,
				Config: map[string]string{"cleanup.policy": "compact"}}
		}
	}
	return nil
}

// TimerTopic returns the topic whose partitions a timer or cron agent's
// ticks run in: the leader topic, or for an agent that runs on each
// partition of its tables, its TimerDesc.Topic (the input topic of its
// tables' writers: partition p of it runs the tick for partition p of the
// tables). Its committed offset's metadata records the last tick done
// (TickMetadata). Nil for other agents.
func (a *App) TimerTopic(timer *Agent) *TopicDesc {
	switch d := timer.Desc.Timer; {
	case d == nil:
		return nil
	case d.OnPartitions():
		return d.Topic
	default:
		return a.LeaderTopic()
	}
}

// TickMetadata encodes the last tick done of each timer agent (by agent
// name) as offset commit metadata: "name=unixmilli;..." in agent order.
func TickMetadata(last map[string]time.Time, agents []*Agent) string {
	var b strings.Builder
	for _, ag := range agents {
		t, ok := last[ag.Desc.Name]
		if !ok || t.IsZero() {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(ag.Desc.Name + "=" + strconv.FormatInt(t.UnixMilli(), 10))
	}
	return b.String()
}

// MaxTickMetadata is the most offset commit metadata TickMetadata may
// take: the brokers' default offset.metadata.max.bytes (4096); a commit
// with more is refused (OFFSET_METADATA_TOO_LARGE).
const MaxTickMetadata = 4096

// tickMetadataSize bounds TickMetadata's size for desc's timer agents:
// name, '=', 13 digits of milliseconds, ';'.
func tickMetadataSize(desc *AppDesc) int {
	n := 0
	for _, d := range desc.Agents {
		if d.Timer != nil {
			n += len(d.Name) + 1 + 13 + 1
		}
	}
	return n
}

// ParseTickMetadata decodes TickMetadata; entries it cannot read are left
// out (a leader then starts that agent afresh).
func ParseTickMetadata(md string) map[string]time.Time {
	out := map[string]time.Time{}
	for _, kv := range strings.Split(md, ";") {
		name, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		out[name] = time.UnixMilli(ms).UTC()
	}
	return out
}

// ProcessTick runs a timer or cron agent on tick: call the handler,
// recover a panic. On failure it returns a *ProcessError of the tick's
// record (TickRecord) and an empty Result; the caller applies the error
// policy, for dead letters with Agent.DeadLetter of that record.
func (p *Processor) ProcessTick(ctx context.Context, tick Tick) (res Result, err error) {
	ag, out := p.ag, &p.em
	out.reset(ag.Desc, nil)
	out.eventTime = tick.Time
	rec := TickRecord(ag.app.TimerTopic(ag).Name, ag.Desc.Name, tick)
	defer func() {
		if r := recover(); r != nil {
			out.reset(ag.Desc, nil)
			res, err = Result{}, ag.fail(rec, &PanicError{Value: r, Stack: debug.Stack()})
		}
	}()
	if err := ag.Desc.TickHandler(ctx, ag.app.impl, tick, out); err != nil {
		out.reset(ag.Desc, nil)
		return Result{}, ag.fail(rec, err)
	}
	if err := p.keepJoins(ctx); err != nil {
		out.reset(ag.Desc, nil)
		return Result{}, ag.fail(rec, err)
	}
	return out.result(), nil
}
