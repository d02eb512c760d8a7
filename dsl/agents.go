package dsl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	"github.com/streamgen/streamgen/runtime"
)

const emptyName = "google.protobuf.Empty"

// agentBuilder reads one rpc of an app and its agent option into an Agent.
// Every problem it finds makes the rpc unusable: ok turns false.
type agentBuilder struct {
	b     *builder
	app   *App
	m     protoreflect.MethodDescriptor
	opt   *streamgenv1.Agent
	ag    *Agent
	where string // "service S > rpc M"
	ok    bool
}

// fail records a problem at the rpc's option field at and marks the agent
// unusable.
func (a *agentBuilder) fail(at optionAt, path, format string, args ...any) {
	a.b.errorf(a.m, at, path, format, args...)
	a.ok = false
}

// drop marks the agent unusable without a problem of its own: it refers
// to an element whose mistake is already reported there.
func (a *agentBuilder) drop() { a.ok = false }

// agent reads rpc m of app into an Agent with its defaults filled in, and
// adds it to the writers of its tables. It returns nil when the rpc is
// unusable.
func (b *builder) agent(app *App, m protoreflect.MethodDescriptor) *Agent {
	where := "service " + string(app.Service.Name()) + " > rpc " + string(m.Name())
	opt, _, err := AgentOf(m)
	if err != nil {
		b.errorf(m, inAgent(), where, "%v", err)
		return nil
	}
	a := &agentBuilder{b: b, app: app, m: m, opt: opt, where: where, ok: true,
		ag: &Agent{Name: string(m.Name()), Method: m, Concurrency: opt.GetConcurrency(), OnError: opt.GetOnError()}}
	if m.IsStreamingClient() || m.IsStreamingServer() {
		a.fail(onElement, where, "agents are declared as unary rpcs: remove \"stream\"; an agent is called once per record and emits any number of records")
	}
	a.input()
	a.timer()
	a.outputs()
	a.distinctOutputs()
	a.concurrency()
	a.onError()
	a.futureEvents()
	dlq := a.deadLetterName()
	a.tables()
	a.join()
	a.groupBy()
	a.repartition()
	a.batch()
	ag := a.ag
	// A window-closing agent has no input: partitionInternalTopics sets its
	// dead-letter topic's partitions once the table's writers are known.
	partitions := int32(1)
	if ag.Input != nil {
		partitions = ag.Input.Partitions
	}
	ag.DeadLetter = &Topic{Name: dlq, Partitions: partitions, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED, Config: map[string]string{}}
	if ag.Input != nil {
		ag.DeadLetter.ReplicationFactor = ag.Input.ReplicationFactor
		ag.DeadLetter.PartitionsFrom = ag.Input
	}
	if !a.ok {
		return nil
	}
	for _, t := range ag.Tables {
		if ag.Timer != nil && ag.Timer.RunOn == streamgenv1.RunOn_RUN_ON_PARTITIONS && !t.Global {
			t.Timers = append(t.Timers, ag)
		} else {
			t.Writers = append(t.Writers, ag)
		}
	}
	return ag
}

// input resolves what the agent consumes: the windowed table named by
// on_window_close, or else the topic of the request message.
func (a *agentBuilder) input() {
	in := a.m.Input()
	name := a.opt.GetOnWindowClose()
	if a.opt.GetTimer() != nil || a.opt.GetCron() != nil {
		if name != "" {
			a.fail(inAgent(agentField.onWindowClose), a.where+" > option agent.on_window_close",
				"an agent runs on time or on closed windows, not both; remove on_window_close, or the timer/cron")
		}
		if in.FullName() != emptyName {
			a.fail(onElement, a.where, "a timer or cron agent consumes no topic: its request type is google.protobuf.Empty, not %s", in.FullName())
		}
		return // timer reads the schedule
	}
	if name == "" {
		if t := a.b.model.ByMessage[in.FullName()]; t != nil {
			a.ag.Input = t
			return
		}
		if a.b.unbound[in.FullName()] {
			a.drop()
			return
		}
		a.fail(onElement, a.where,
			"input %s is not bound to a topic, so the agent has nothing to consume; add option (streamgen.v1.topic) = { name: \"...\" } to message %s",
			in.FullName(), in.Name())
		return
	}
	at, path := inAgent(agentField.onWindowClose), a.where+" > option agent.on_window_close"
	t := a.app.table(name)
	switch {
	case t == nil && a.app.unusable[name]:
		a.drop()
	case t == nil:
		a.fail(at, path, "table %q is not declared in the app option", name)
	case t.Window == nil:
		a.fail(at, path, "table %q is not windowed: only windows close; add a window to it", name)
	case t.Value.FullName() != in.FullName():
		a.fail(at, path, "the agent receives the final values of table %q, of type %s, but takes %s; make its request type %s",
			name, t.Value.FullName(), in.FullName(), t.Value.Name())
	case len(a.opt.GetTables()) > 0:
		a.fail(inAgent(agentField.tables), a.where+" > option agent.tables",
			"an on_window_close agent cannot use tables; it receives the window's final value")
	default:
		a.ag.WindowClose = t
	}
}

// outputs resolves the topics the agent emits to: the response message's,
// unless it is google.protobuf.Empty, then the declared further outputs.
func (a *agentBuilder) outputs() {
	out := a.m.Output()
	seen := map[protoreflect.FullName]bool{}
	if out.FullName() != emptyName {
		if t := a.b.model.ByMessage[out.FullName()]; t != nil {
			a.ag.Outputs = append(a.ag.Outputs, t)
			seen[out.FullName()] = true
		} else if a.b.unbound[out.FullName()] {
			a.drop()
		} else {
			a.fail(onElement, a.where,
				"output %s is not bound to a topic; add a topic option to it, or return google.protobuf.Empty for an agent that emits nothing (or only further outputs)",
				out.FullName())
		}
	}
	for i, name := range a.opt.GetOutputs() {
		at, path := inAgent(agentField.outputs, int32(i)), fmt.Sprintf("%s > option agent.outputs[%d]", a.where, i)
		full := protoreflect.FullName(strings.TrimPrefix(name, "."))
		switch {
		case seen[full]:
			a.fail(at, path, "output %s is listed twice (or is also the response type); list it once", name)
		case a.b.model.ByMessage[full] != nil:
			a.ag.Outputs = append(a.ag.Outputs, a.b.model.ByMessage[full])
			seen[full] = true
		case a.b.unbound[full]:
			a.drop()
		default:
			a.fail(at, path,
				"output %q is not a message bound to a topic; give the full name (package.Message) of a message with a topic option", name)
		}
	}
}

// distinctOutputs rejects outputs whose messages share a name (their Emit
// methods would collide) and an output that is the agent's own input.
func (a *agentBuilder) distinctOutputs() {
	names := map[protoreflect.Name]protoreflect.FullName{}
	for _, t := range a.ag.Outputs {
		if prev, dup := names[t.Message.Name()]; dup {
			a.fail(inAgent(agentField.outputs), a.where+" > option agent.outputs",
				"outputs %s and %s share the name %s, so their Emit methods would collide; rename one message", prev, t.Message.FullName(), t.Message.Name())
		}
		names[t.Message.Name()] = t.Message.FullName()
		if a.ag.Input != nil && t == a.ag.Input {
			a.fail(onElement, a.where,
				"agent emits to its own input topic %q, which would feed its outputs back to itself without end; emit to another topic", t.Name)
		}
	}
}

// concurrency checks the concurrency and defaults it to 1.
func (a *agentBuilder) concurrency() {
	at, path := inAgent(agentField.concurrency), a.where+" > option agent.concurrency"
	switch c := a.ag.Concurrency; {
	case c < 0:
		a.fail(at, path, "concurrency is %d; use a positive number, or leave it out for 1", c)
	case c == 0:
		a.ag.Concurrency = 1
	case c > 1024:
		a.fail(at, path, "concurrency is %d; at most 1024 records of a partition may run at once", c)
	}
}

// onError checks the error policy and defaults it to ON_ERROR_DEAD_LETTER.
func (a *agentBuilder) onError() {
	switch a.ag.OnError {
	case streamgenv1.OnError_ON_ERROR_UNSPECIFIED:
		a.ag.OnError = streamgenv1.OnError_ON_ERROR_DEAD_LETTER
	case streamgenv1.OnError_ON_ERROR_DEAD_LETTER, streamgenv1.OnError_ON_ERROR_STOP:
	default:
		a.fail(inAgent(agentField.onError), a.where+" > option agent.on_error",
			"unknown on_error %d; use ON_ERROR_DEAD_LETTER or ON_ERROR_STOP", a.ag.OnError)
	}
}

// futureEvents checks the bound on event time running ahead and its
// policy, and fills in their defaults: one hour, FUTURE_EVENT_DEAD_LETTER.
// An on_window_close agent consumes no records, so it declares neither;
// nor does a timer or cron agent.
func (a *agentBuilder) futureEvents() {
	ahead, policy := a.opt.GetMaxEventTimeAhead(), a.opt.GetOnFutureEvent()
	aheadAt, aheadPath := inAgent(agentField.maxEventTimeAhead), a.where+" > option agent.max_event_time_ahead"
	policyAt, policyPath := inAgent(agentField.onFutureEvent), a.where+" > option agent.on_future_event"
	if a.opt.GetTimer() != nil || a.opt.GetCron() != nil {
		if ahead != nil {
			a.fail(aheadAt, aheadPath, "a timer or cron agent consumes no topic, so no event of its own runs ahead; remove max_event_time_ahead")
		}
		if policy != streamgenv1.FutureEvent_FUTURE_EVENT_UNSPECIFIED {
			a.fail(policyAt, policyPath, "a timer or cron agent consumes no topic, so no event of its own runs ahead; remove on_future_event")
		}
	} else if a.opt.GetOnWindowClose() != "" {
		if ahead != nil {
			a.fail(aheadAt, aheadPath, "an on_window_close agent consumes no topic, so no event of its own runs ahead; remove max_event_time_ahead (the table's writer agent bounds its input)")
		}
		if policy != streamgenv1.FutureEvent_FUTURE_EVENT_UNSPECIFIED {
			a.fail(policyAt, policyPath, "an on_window_close agent consumes no topic, so no event of its own runs ahead; remove on_future_event (the table's writer agent sets it for its input)")
		}
	}
	a.ag.MaxEventTimeAhead = DefaultMaxEventTimeAhead
	if ahead != nil {
		d := ahead.AsDuration()
		if !ahead.IsValid() || d <= 0 {
			a.fail(aheadAt, aheadPath,
				"max_event_time_ahead is %v; use a positive duration, e.g. {seconds: 600}, or leave it out for 1 hour", d)
		} else {
			a.ag.MaxEventTimeAhead = d
		}
	}
	switch policy {
	case streamgenv1.FutureEvent_FUTURE_EVENT_UNSPECIFIED:
		a.ag.OnFutureEvent = streamgenv1.FutureEvent_FUTURE_EVENT_DEAD_LETTER
	case streamgenv1.FutureEvent_FUTURE_EVENT_DEAD_LETTER, streamgenv1.FutureEvent_FUTURE_EVENT_CLAMP:
		a.ag.OnFutureEvent = policy
	default:
		a.fail(policyAt, policyPath, "unknown on_future_event %d; use FUTURE_EVENT_DEAD_LETTER or FUTURE_EVENT_CLAMP", policy)
	}
}

// deadLetterName returns the declared dead-letter topic, or the default
// one, and checks that it is a valid topic name.
func (a *agentBuilder) deadLetterName() string {
	dlq := a.opt.GetDeadLetterTopic()
	if dlq == "" {
		dlq = DefaultDeadLetterTopic(a.app.ID, a.ag.Name)
	}
	if why := ValidTopicName(dlq); why != "" {
		a.fail(inAgent(agentField.deadLetterTopic), a.where+" > option agent.dead_letter_topic",
			"dead-letter topic %q %s", dlq, why)
	}
	return dlq
}

// tables resolves the tables the agent lists. A table keyed by a field
// must be keyed like the agent's input topic, or one key's state would be
// split across partitions. Each table listed is marked listed, even when
// the agent turns out unusable, so that it is not also reported unused.
func (a *agentBuilder) tables() {
	ag := a.ag
	listed := map[string]bool{}
	type listing struct {
		name string
		at   optionAt
		path string
	}
	var all []listing
	for i, name := range a.opt.GetTables() {
		all = append(all, listing{name, inAgent(agentField.tables, int32(i)), fmt.Sprintf("%s > option agent.tables[%d]", a.where, i)})
	}
	// A join's table is one of the agent's tables, listed or not (an agent
	// that cannot join gets join's own error instead).
	o := a.opt
	canJoin := o.GetTimer() == nil && o.GetCron() == nil && o.GetOnWindowClose() == "" && o.GetBatch() == nil
	if j := o.GetJoin(); canJoin && j != nil && j.GetTable() != "" && !slices.Contains(o.GetTables(), j.GetTable()) {
		all = append(all, listing{j.GetTable(), inAgent(agentField.join, joinField.table), a.where + " > option agent.join.table"})
	}
	for _, l := range all {
		name, at, p := l.name, l.at, l.path
		t := a.app.table(name)
		switch {
		case t == nil && a.app.unusable[name]:
			a.drop()
			continue
		case t == nil:
			a.fail(at, p, "table %q is not declared; declare it in the service's app option (tables: [{ name: %q value: \"...\" }])", name, name)
			continue
		case listed[name]:
			a.fail(at, p, "table %q is listed twice", name)
			continue
		}
		listed[name] = true
		t.listed = true
		if t.FromTopic && (a.opt.GetTimer() != nil || a.opt.GetCron() != nil) {
			a.fail(at, p, "table %q is fed from topic %q and read for the current record's key, and a tick has none; a timer lists tables that agents write", name, t.Source.Name)
			continue
		}
		if t.Join != nil && (a.opt.GetTimer() != nil || a.opt.GetCron() != nil) {
			a.fail(at, p, "table %q is a join, read for the current record's key, and a tick has none; a timer lists tables that agents write", name)
			continue
		}
		if a.opt.GetTimer() != nil || a.opt.GetCron() != nil {
			switch {
			case t.Global:
			case a.opt.GetRunOn() != streamgenv1.RunOn_RUN_ON_PARTITIONS:
				a.fail(at, p, "a leader's tick belongs to no partition, so it reads global tables only, and table %q is not global; run the agent on each partition of its tables (run_on: RUN_ON_PARTITIONS), or list global tables only", name)
				continue
			case t.Window != nil:
				a.fail(at, p, "a tick on each partition reads and writes key-value tables by key, and table %q is windowed; list tables without windows", name)
				continue
			}
		}
		if ag.Input == nil {
			if a.opt.GetTimer() != nil || a.opt.GetCron() != nil {
				ag.Tables = append(ag.Tables, t)
			}
			continue
		}
		if g := a.opt.GetGroupBy(); g != "" && !t.Global {
			if t.KeyField != "" && t.KeyField != g {
				a.fail(at, p, "table %q is keyed by %q but the agent groups its records by %q; key the table by %q (or by no field)", name, t.KeyField, g, g)
				continue
			}
		} else if t.KeyField != "" && !t.Global && !a.b.badKey[ag.Input] {
			fd := ag.Input.Message.Fields().ByName(protoreflect.Name(t.KeyField))
			switch {
			case fd == nil:
				a.fail(at, p, "table %q is keyed by field %q, which input %s does not have", name, t.KeyField, ag.Input.Message.FullName())
			case ag.Input.Key == nil || ag.Input.Key.Name() != fd.Name():
				a.fail(at, p,
					"table %q is keyed by %q but topic %q is not (its key is %s): records with one %s would land on several partitions and split its state; key the topic by %q",
					name, t.KeyField, ag.Input.Name, keyName(ag.Input), t.KeyField, t.KeyField)
			}
		}
		ag.Tables = append(ag.Tables, t)
	}
}

// join reads the agent's stream-table join: a table without windows
// (tables added it to the agent's tables), for an agent that handles one
// record at a time.
func (a *agentBuilder) join() {
	j := a.opt.GetJoin()
	if j == nil {
		return
	}
	at, path := inAgent(agentField.join), a.where+" > option agent.join"
	switch {
	case a.opt.GetTimer() != nil || a.opt.GetCron() != nil:
		a.fail(at, path, "a timer or cron agent has no record to join; remove join")
		return
	case a.opt.GetOnWindowClose() != "":
		a.fail(at, path, "an on_window_close agent receives closed windows, not records to join; remove join")
		return
	case a.opt.GetBatch() != nil:
		a.fail(at, path, "a batch agent receives records in batches, and a join hands the handler one record and its partner; remove join or batch")
		return
	}
	if j.GetStream() != "" {
		a.streamJoin(j, path)
		return
	}
	left := false
	switch j.GetKind() {
	case streamgenv1.JoinKind_JOIN_KIND_UNSPECIFIED, streamgenv1.JoinKind_JOIN_KIND_INNER:
	case streamgenv1.JoinKind_JOIN_KIND_LEFT:
		left = true
	case streamgenv1.JoinKind_JOIN_KIND_OUTER:
		a.fail(inAgent(agentField.join, joinField.kind), path+".kind",
			"a table join is inner or left: an outer join would call the handler for table values without a record; use JOIN_KIND_INNER or JOIN_KIND_LEFT")
	default:
		a.fail(inAgent(agentField.join, joinField.kind), path+".kind", "unknown join kind %d; use JOIN_KIND_INNER or JOIN_KIND_LEFT", j.GetKind())
	}
	if j.GetTable() != "" && (j.GetBefore() != nil || j.GetAfter() != nil || j.GetGrace() != nil) {
		a.fail(inAgent(agentField.join, joinField.before), path, "before, after and grace are a stream join's window, and this join names a table, read as it is; remove them")
	}
	if j.GetTable() == "" {
		a.fail(inAgent(agentField.join, joinField.table), path+".table", "join names no table or stream; give the table (table: \"...\") or the message of the topic (stream: \"package.Message\") to join")
		return
	}
	t := a.app.table(j.GetTable())
	switch {
	case t == nil || a.ag.Input == nil:
		return // tables reported it, or its input's mistake is reported
	case t.Window != nil:
		a.fail(inAgent(agentField.join, joinField.table), path+".table",
			"table %q is windowed, and a join reads one value per key; join a table without windows", t.Name)
		return
	}
	for i, at := range a.ag.Tables {
		if at == t {
			a.ag.Join = &Join{Table: t, Index: i, Left: left}
		}
	}
}

// repartition gives an agent with a table that is not global its
// repartition topic and its misplaced-key policy (default
// MISPLACED_KEY_REPARTITION); other agents keep no state per key, do not
// check where keys are, and declare neither.
func (a *agentBuilder) repartition() {
	ag := a.ag
	policy, name := a.opt.GetOnMisplacedKey(), a.opt.GetRepartitionTopic()
	if ag.Join != nil && ag.Join.Stream != nil {
		a.streamJoinPlacement(policy, name)
		return
	}
	if ag.GroupBy != nil && policy != streamgenv1.MisplacedKey_MISPLACED_KEY_UNSPECIFIED && policy != streamgenv1.MisplacedKey_MISPLACED_KEY_REPARTITION {
		a.fail(inAgent(agentField.onMisplacedKey), a.where+" > option agent.on_misplaced_key",
			"an agent with group_by moves every record to the partition of its group through the repartition topic; remove on_misplaced_key")
		return
	}
	policyAt, policyPath := inAgent(agentField.onMisplacedKey), a.where+" > option agent.on_misplaced_key"
	nameAt, namePath := inAgent(agentField.repartitionTopic), a.where+" > option agent.repartition_topic"
	stateful := false
	for _, t := range ag.Tables {
		stateful = stateful || !t.Global
	}
	if ag.Input == nil || !stateful {
		why := "the agent writes no table, so it keeps no state per key and does not check where keys are"
		switch {
		case a.opt.GetOnWindowClose() != "":
			why = "an on_window_close agent consumes no topic"
		case a.opt.GetTimer() != nil || a.opt.GetCron() != nil:
			why = "a timer or cron agent consumes no topic"
		}
		if policy != streamgenv1.MisplacedKey_MISPLACED_KEY_UNSPECIFIED {
			a.fail(policyAt, policyPath, "%s; remove on_misplaced_key", why)
		}
		if name != "" {
			a.fail(nameAt, namePath, "%s; remove repartition_topic", why)
		}
		return
	}
	switch policy {
	case streamgenv1.MisplacedKey_MISPLACED_KEY_UNSPECIFIED:
		ag.OnMisplacedKey = streamgenv1.MisplacedKey_MISPLACED_KEY_REPARTITION
	case streamgenv1.MisplacedKey_MISPLACED_KEY_REPARTITION, streamgenv1.MisplacedKey_MISPLACED_KEY_DEAD_LETTER,
		streamgenv1.MisplacedKey_MISPLACED_KEY_STOP:
		ag.OnMisplacedKey = policy
	default:
		a.fail(policyAt, policyPath, "unknown on_misplaced_key %d; use MISPLACED_KEY_REPARTITION, MISPLACED_KEY_DEAD_LETTER or MISPLACED_KEY_STOP", policy)
	}
	if name == "" {
		name = DefaultRepartitionTopic(a.app.ID, ag.Name)
	}
	if why := ValidTopicName(name); why != "" {
		a.fail(nameAt, namePath, "repartition topic %q %s", name, why)
	}
	in := ag.Input
	ag.Repartition = &Topic{Name: name, Partitions: in.Partitions, ReplicationFactor: in.ReplicationFactor,
		Key: in.Key, Codec: in.Codec, StrictJSON: in.StrictJSON, RawField: in.RawField, Message: in.Message,
		EventTime: in.EventTime, PartitionsFrom: in, Config: map[string]string{"cleanup.policy": "delete"}}
}

// keyName describes a topic's key for error messages.
func keyName(t *Topic) string {
	if t.Key == nil {
		return "the record key, no field"
	}
	return "field " + string(t.Key.Name())
}

// batch checks a batch agent's batching: both limits are required; an
// on_window_close agent receives one window at a time, and a batch agent
// uses no tables (a table is read and written for one record's key).
func (a *agentBuilder) batch() {
	b := a.opt.GetBatch()
	if b == nil {
		return
	}
	at, path := inAgent(agentField.batch), a.where+" > option agent.batch"
	if a.opt.GetTimer() != nil || a.opt.GetCron() != nil {
		a.fail(at, path, "a timer or cron agent gets one tick per call; remove batch")
		return
	}
	if a.opt.GetOnWindowClose() != "" {
		a.fail(at, path, "an on_window_close agent receives one closed window per call; remove batch")
		return
	}
	if len(a.opt.GetTables()) > 0 {
		a.fail(at, path, "a batch agent cannot use tables: a table is read and written for one record's key; "+
			"remove batch, or the tables (a batch agent writes to a sink or emits records)")
		return
	}
	if a.opt.GetMaxEventTimeAhead() != nil {
		a.fail(inAgent(agentField.maxEventTimeAhead), a.where+" > option agent.max_event_time_ahead",
			"a batch agent keeps no windows, so event time running ahead does not matter to it; remove max_event_time_ahead")
	}
	if a.opt.GetOnFutureEvent() != streamgenv1.FutureEvent_FUTURE_EVENT_UNSPECIFIED {
		a.fail(inAgent(agentField.onFutureEvent), a.where+" > option agent.on_future_event",
			"a batch agent keeps no windows, so event time running ahead does not matter to it; remove on_future_event")
	}
	ok := true
	n := b.GetMaxRecords()
	if n < 1 || n > MaxBatchRecords {
		a.fail(inAgent(agentField.batch, batchField.maxRecords), path+".max_records",
			"max_records is %d; give the most records a batch holds, 1 to %d (e.g. max_records: 500)", n, MaxBatchRecords)
		ok = false
	}
	w := b.GetMaxWait()
	if w == nil || !w.IsValid() || w.AsDuration() <= 0 {
		a.fail(inAgent(agentField.batch, batchField.maxWait), path+".max_wait",
			"max_wait is %v; give the longest a batch waits after its first record, a positive duration (e.g. max_wait { seconds: 1 })", w.AsDuration())
		ok = false
	}
	if ok {
		a.ag.Batch = &Batch{MaxRecords: n, MaxWait: w.AsDuration()}
	}
}

// timer reads a timer's or cron's schedule and its options (run_on,
// on_missed_ticks, which only they take), with their defaults: the
// leader, MISSED_TICKS_RUN_ONCE. A leader's tick belongs to no partition,
// so it reads global tables only, and it runs one tick at a time.
func (a *agentBuilder) timer() {
	tm, cr := a.opt.GetTimer(), a.opt.GetCron()
	runOn, missed := a.opt.GetRunOn(), a.opt.GetOnMissedTicks()
	runAt, runPath := inAgent(agentField.runOn), a.where+" > option agent.run_on"
	missAt, missPath := inAgent(agentField.onMissedTicks), a.where+" > option agent.on_missed_ticks"
	if tm == nil && cr == nil {
		if runOn != streamgenv1.RunOn_RUN_ON_UNSPECIFIED {
			a.fail(runAt, runPath, "only a timer or cron agent runs on time; remove run_on, or add timer or cron")
		}
		if missed != streamgenv1.MissedTicks_MISSED_TICKS_UNSPECIFIED {
			a.fail(missAt, missPath, "only a timer or cron agent has ticks; remove on_missed_ticks, or add timer or cron")
		}
		return
	}
	t := &Timer{TimeZone: "UTC"}
	switch {
	case tm != nil && cr != nil:
		a.fail(inAgent(agentField.cron), a.where+" > option agent.cron", "an agent has a timer or a cron, not both; remove one")
	case tm != nil:
		d := tm.GetEvery().AsDuration()
		if !tm.GetEvery().IsValid() || d < MinTimerEvery || d%time.Millisecond != 0 {
			a.fail(inAgent(agentField.timer, timerField.every), a.where+" > option agent.timer.every",
				"every is %v; give the interval in whole milliseconds, at least %v (e.g. every { seconds: 60 })", d, MinTimerEvery)
		}
		t.Every = d
	default:
		t.Cron = cr.GetSchedule()
		if cr.GetTimeZone() != "" {
			t.TimeZone = cr.GetTimeZone()
		}
		// The runtime's own rule (TimerDesc.Check), pointed at its field.
		var ce *runtime.CronError
		if err := (&runtime.TimerDesc{Cron: t.Cron, TimeZone: t.TimeZone}).Check(); errors.As(err, &ce) && ce.Field == "time_zone" {
			a.fail(inAgent(agentField.cron, cronField.timeZone), a.where+" > option agent.cron.time_zone",
				"unknown time zone %q; give an IANA name such as \"Europe/Berlin\" or \"UTC\"", t.TimeZone)
		} else if err != nil {
			a.fail(inAgent(agentField.cron, cronField.schedule), a.where+" > option agent.cron.schedule",
				"schedule %q: %v; give five fields (minute hour day-of-month month day-of-week, e.g. \"0 * * * *\") or @hourly, @daily, @weekly, @monthly", t.Cron, errors.Unwrap(err))
		}
	}
	switch runOn {
	case streamgenv1.RunOn_RUN_ON_UNSPECIFIED, streamgenv1.RunOn_RUN_ON_LEADER:
		t.RunOn = streamgenv1.RunOn_RUN_ON_LEADER
	case streamgenv1.RunOn_RUN_ON_PARTITIONS:
		t.RunOn = runOn
		if !a.listsPartitionedTable() {
			a.fail(runAt, runPath, "an agent that runs on each partition runs on the partitions of its tables, and it lists no table that is not global; list one (tables: [\"...\"]), or run it on the leader")
		}
	default:
		a.fail(runAt, runPath, "unknown run_on %d; use RUN_ON_LEADER or RUN_ON_PARTITIONS", runOn)
	}
	switch missed {
	case streamgenv1.MissedTicks_MISSED_TICKS_UNSPECIFIED:
		t.OnMissedTicks = streamgenv1.MissedTicks_MISSED_TICKS_RUN_ONCE
	case streamgenv1.MissedTicks_MISSED_TICKS_RUN_ONCE, streamgenv1.MissedTicks_MISSED_TICKS_SKIP:
		t.OnMissedTicks = missed
	default:
		a.fail(missAt, missPath, "unknown on_missed_ticks %d; use MISSED_TICKS_RUN_ONCE or MISSED_TICKS_SKIP", missed)
	}
	if c := a.opt.GetConcurrency(); c > 1 {
		a.fail(inAgent(agentField.concurrency), a.where+" > option agent.concurrency",
			"a timer or cron agent runs one tick at a time; remove concurrency")
	}
	a.ag.Timer = t
}

// listsPartitionedTable reports whether the agent lists a declared table
// that is not global.
func (a *agentBuilder) listsPartitionedTable() bool {
	for _, name := range a.opt.GetTables() {
		if t := a.app.table(name); t != nil && !t.Global {
			return true
		}
		if a.app.unusable[name] {
			return true // its mistake is reported there
		}
	}
	return false
}

// groupBy reads the field an agent with tables keys its records by
// (group_by): a field of its input message of a key's kind, for an agent
// that consumes a topic and writes tables that are not global.
func (a *agentBuilder) groupBy() {
	name := a.opt.GetGroupBy()
	if name == "" || a.opt.GetJoin().GetStream() != "" {
		return // a stream join reports its group_by
	}
	ag := a.ag
	at, path := inAgent(agentField.groupBy), a.where+" > option agent.group_by"
	switch {
	case ag.Input == nil && (a.opt.GetTimer() != nil || a.opt.GetCron() != nil || a.opt.GetOnWindowClose() != ""):
		a.fail(at, path, "group_by re-keys an agent's input records, and this agent consumes no topic; remove group_by")
		return
	case ag.Input == nil:
		a.drop() // its input's mistake is reported there
		return
	case ag.Concurrency > 1:
		// Lanes are chosen by the record key: a group's records would be
		// split over lanes, each with a cache of its own.
		a.fail(inAgent(agentField.concurrency), a.where+" > option agent.concurrency",
			"an agent with group_by runs one record of a partition at a time; remove concurrency")
		return
	case a.opt.GetBatch() != nil:
		a.fail(at, path, "a batch agent keeps no state per key, so it has nothing to group; remove group_by")
		return
	}
	stateful := false
	for _, n := range a.opt.GetTables() { // listed: a table with a mistake of its own still counts
		if t := a.app.table(n); t != nil && !t.Global || a.app.unusable[n] {
			stateful = true
		}
	}
	if !stateful {
		a.fail(at, path, "group_by keys the records of an agent's tables, and this agent writes none; list its tables, or remove group_by")
		return
	}
	fd := ag.Input.Message.Fields().ByName(protoreflect.Name(name))
	switch {
	case fd == nil:
		a.fail(at, path, "group_by field %q does not exist in %s; name one of its fields (%s)", name, ag.Input.Message.FullName(), fieldNames(ag.Input.Message))
	case fd.IsList() || fd.IsMap():
		a.fail(at, path, "group_by field %q is repeated or a map; a key must be a single string, bytes, integer or bool field", name)
	case !keyKind(fd.Kind()):
		a.fail(at, path, "group_by field %q is of type %s; a key must be a string, bytes, integer or bool field", name, fd.Kind())
	default:
		ag.GroupBy = fd
	}
}
