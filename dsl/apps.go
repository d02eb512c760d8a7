package dsl

import (
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// app reads the app option of sd, its tables and its agents into an App,
// and fills in the partition counts its internal topics derive from their
// writers. It returns nil for a service that is not an app, or whose id is
// unusable.
func (b *builder) app(sd protoreflect.ServiceDescriptor) *App {
	where := "service " + string(sd.Name())
	opt, ok, err := AppOf(sd)
	if err != nil {
		b.errorf(sd, inApp(), where, "%v", err)
		return nil
	}
	if !ok {
		b.agentsWithoutApp(sd, where)
		return nil
	}
	app := &App{ID: opt.GetId(), Service: sd, unusable: map[string]bool{}}
	if !b.appID(app, where) {
		return nil
	}
	app.ExactlyOnce = opt.GetGuarantee() == streamgenv1.Guarantee_GUARANTEE_EXACTLY_ONCE
	app.CommitInterval = b.commitInterval(sd, where, opt)
	b.tables(app, opt)
	methods := sd.Methods()
	for i := 0; i < methods.Len(); i++ {
		if ag := b.agent(app, methods.Get(i)); ag != nil {
			app.Agents = append(app.Agents, ag)
		}
	}
	b.addBuffers(app)
	keepJoins(app)
	partitionInternalTopics(app)
	return app
}

// agentsWithoutApp reports the agent options of a service without the app
// option. Such a service is not ours (it may be gRPC), unless one of its
// rpcs carries an agent option.
func (b *builder) agentsWithoutApp(sd protoreflect.ServiceDescriptor, where string) {
	methods := sd.Methods()
	for i := 0; i < methods.Len(); i++ {
		if _, has, _ := AgentOf(methods.Get(i)); has {
			b.errorf(methods.Get(i), inAgent(), where+" > rpc "+string(methods.Get(i).Name()),
				"rpc has an agent option but service %s has no app option; add option (streamgen.v1.app) = { id: \"...\" } to the service", sd.Name())
		}
	}
}

// appID reports whether app's id is a valid topic name that no app built
// before uses.
func (b *builder) appID(app *App, where string) bool {
	at, path := inApp(appField.id), where+" > option app.id"
	if why := ValidTopicName(app.ID); why != "" {
		b.errorf(app.Service, at, path,
			"app id %q %s; the id is the consumer group and the prefix of internal topic names, so it follows topic name rules", app.ID, why)
		return false
	}
	for _, other := range b.model.Apps {
		if other.ID == app.ID {
			b.errorf(app.Service, at, path,
				"app id %q is already used by service %s; two apps in one consumer group would steal each other's records: choose another id", app.ID, other.Service.FullName())
			return false
		}
	}
	return true
}

// commitInterval returns the declared commit interval, or 0 when it is
// unset or out of range.
func (b *builder) commitInterval(sd protoreflect.ServiceDescriptor, where string, opt *streamgenv1.App) time.Duration {
	ci := opt.GetCommitInterval()
	if ci == nil {
		return 0
	}
	d := ci.AsDuration()
	if !ci.IsValid() || d < time.Millisecond || d > time.Minute {
		b.errorf(sd, inApp(appField.commitInterval), where+" > option app.commit_interval",
			"commit_interval %v is out of range: use 1 ms to 1 min (default 100 ms); under exactly-once it is how long a transaction stays open", d)
		return 0
	}
	return d
}

// tables reads the app option's tables into app.Tables, skipping the
// unusable ones, whose names it keeps in app.unusable: their mistake is
// reported, and agents that name them are not told they are undeclared.
func (b *builder) tables(app *App, opt *streamgenv1.App) {
	seen := map[string]bool{}
	for i, spec := range opt.GetTables() {
		if t := b.table(app, i, spec, seen); t != nil {
			app.Tables = append(app.Tables, t)
		} else {
			app.unusable[spec.GetName()] = true
		}
	}
	b.tableJoins(app)
}

// table reads the app option's i-th table into a Table, or returns nil
// when it is unusable. seen holds the names of the tables before it.
func (b *builder) table(app *App, i int, spec *streamgenv1.Table, seen map[string]bool) *Table {
	sd := app.Service
	p := fmt.Sprintf("service %s > option app.tables[%d]", sd.Name(), i)
	at := func(f int32) optionAt { return inApp(appField.tables, int32(i), f) }
	name := spec.GetName()
	changelog := ChangelogTopic(app.ID, name)
	switch {
	case !tableNameRE.MatchString(name):
		b.errorf(sd, at(tableField.name), p+".name",
			"table name %q must be lower-case letters, digits and '-', starting with a letter (its Go accessor is named after it)", name)
		return nil
	case seen[name]:
		b.errorf(sd, at(tableField.name), p+".name", "table %q is declared twice; give each table its own name", name)
		return nil
	}
	seen[name] = true
	for _, other := range app.Tables {
		if TableGoName(other.Name) == TableGoName(name) {
			b.errorf(sd, at(tableField.name), p+".name",
				"tables %q and %q both get the Go name %s (the accessor %s() of the generated emitter): '-' is dropped and the letter after it upper-cased; rename one",
				other.Name, name, TableGoName(name), TableGoName(name))
			return nil
		}
	}
	if why := ValidTopicName(changelog); why != "" {
		b.errorf(sd, at(tableField.name), p+".name", "changelog topic %q %s; shorten the app id or table name", changelog, why)
		return nil
	}
	value := b.messages[protoreflect.FullName(strings.TrimPrefix(spec.GetValue(), "."))]
	if value == nil {
		b.errorf(sd, at(tableField.value), p+".value",
			"value %q is not a known message; give the full name (package.Message) of a message in this file or its imports", spec.GetValue())
		return nil
	}
	if d := spec.GetDefaultJson(); d != "" {
		if err := protojson.Unmarshal([]byte(d), dynamicpb.NewMessage(value)); err != nil {
			b.errorf(sd, at(tableField.defaultJSON), p+".default_json",
				"default_json is not a %s in protojson: %v", value.FullName(), err)
			return nil
		}
	}
	win, ok := b.window(sd, at(tableField.window), p+".window", spec)
	if !ok {
		return nil
	}
	if spec.GetGlobal() && spec.GetFromTopic() {
		b.errorf(sd, at(tableField.fromTopic), p+".from_topic",
			"table %q is global (every worker holds all of it) or fed from a topic partition by partition, not both; remove global or from_topic", name)
		return nil
	}
	if spec.GetJoin() != nil {
		return b.joinTable(app, i, p, spec, value, win)
	}
	if spec.GetGlobal() {
		return b.globalTable(sd, i, p, spec, value)
	}
	if spec.GetFromTopic() {
		return b.topicTable(app, i, p, spec, value)
	}
	return &Table{
		Name: name, Value: value, KeyField: spec.GetKey(), DefaultJSON: spec.GetDefaultJson(),
		Changelog: &Topic{Name: changelog, Partitions: 1, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED,
			Config: map[string]string{"cleanup.policy": "compact"}},
		Window:   win,
		optIndex: i,
	}
}

// window reads spec's window, if any, with its step and expiry defaulted
// to its size. It reports false when the window is unusable.
func (b *builder) window(sd protoreflect.ServiceDescriptor, at optionAt, path string, spec *streamgenv1.Table) (*Window, bool) {
	w := spec.GetWindow()
	if w == nil {
		return nil, true
	}
	if spec.GetGlobal() {
		b.errorf(sd, at, path, "a global table cannot be windowed; remove window or global")
		return nil, false
	}
	if spec.GetFromTopic() {
		b.errorf(sd, at, path, "a table fed from a topic holds the topic's latest value per key, not windows; remove window or from_topic")
		return nil, false
	}
	if w.GetSession() != nil {
		return b.sessionWindow(sd, at, path, w)
	}
	win := &Window{Size: w.GetSize().AsDuration(), Step: w.GetStep().AsDuration(), Expires: w.GetExpires().AsDuration(),
		Grace: w.GetGrace().AsDuration(), Sliding: w.GetSliding()}
	if win.Sliding && (win.Step == 0 || win.Step == win.Size) {
		b.errorf(sd, at, path, "a sliding window needs a step smaller than size: its resolution, e.g. size: {seconds: 60} step: {seconds: 1}")
		return nil, false
	}
	if win.Sliding && win.Step > 0 && win.Size/win.Step > 1000 {
		b.errorf(sd, at, path, "sliding window size/step is %d; at most 1000 windows per event: raise step", win.Size/win.Step)
		return nil, false
	}
	if win.Step == 0 {
		win.Step = win.Size
	}
	if win.Expires == 0 {
		win.Expires = win.Size
	}
	if bad := windowProblem(win); bad != "" {
		b.errorf(sd, at, path, "%s", bad)
		return nil, false
	}
	return win, true
}

// sessionWindow reads session windows: a gap, a grace, and an expiry
// defaulted to gap plus grace.
func (b *builder) sessionWindow(sd protoreflect.ServiceDescriptor, at optionAt, path string, w *streamgenv1.Window) (*Window, bool) {
	s := w.GetSession()
	win := &Window{Gap: s.GetGap().AsDuration(), Grace: s.GetGrace().AsDuration(), Expires: w.GetExpires().AsDuration()}
	if win.Expires == 0 && win.Gap <= maxWindowDuration && win.Grace <= maxWindowDuration {
		win.Expires = win.Gap + win.Grace
	}
	bad := ""
	switch {
	case w.GetSize() != nil || w.GetStep() != nil || w.GetSliding():
		bad = "session windows have no size, step or sliding: a session lasts as long as its events come closer than gap; remove them"
	case w.GetGrace() != nil:
		bad = "a session window's grace goes inside session: session: {gap: {seconds: 1800} grace: {seconds: 60}}"
	case win.Gap > maxWindowDuration || win.Grace > maxWindowDuration || win.Expires > maxWindowDuration:
		bad = "session gap, grace and window.expires must each be at most 100 years"
	case !s.GetGap().IsValid() || win.Gap <= 0 || win.Gap%time.Millisecond != 0:
		bad = fmt.Sprintf("session.gap is %v; give the inactivity gap that ends a session, whole milliseconds, e.g. gap: {seconds: 1800}", win.Gap)
	case win.Grace < 0 || win.Grace%time.Millisecond != 0 || win.Expires%time.Millisecond != 0:
		bad = "session.grace and window.expires must be whole milliseconds, not negative"
	case win.Expires < win.Gap+win.Grace:
		bad = fmt.Sprintf("window.expires %v is shorter than session gap plus grace %v: sessions would be deleted before they close; raise expires or leave it empty", win.Expires, win.Gap+win.Grace)
	}
	if bad != "" {
		b.errorf(sd, at, path, "%s", bad)
		return nil, false
	}
	return win, true
}

// maxWindowDuration bounds a session window's durations, so that their
// sums (in nanoseconds, as time.Duration) cannot overflow: about 100
// years.
const maxWindowDuration = 100 * 365 * 24 * time.Hour

// windowProblem says what is wrong with a window's durations, or "".
func windowProblem(win *Window) string {
	switch {
	case win.Size < time.Millisecond:
		return "window.size must be at least 1ms; e.g. size: {seconds: 60}"
	case win.Size%time.Millisecond != 0 || win.Step%time.Millisecond != 0:
		return "window size and step must be whole milliseconds"
	case win.Step <= 0 || win.Step > win.Size || win.Size%win.Step != 0:
		return fmt.Sprintf("window.step %v must be positive and divide size %v", win.Step, win.Size)
	case win.Grace < 0 || win.Expires < 0:
		return "window.grace and window.expires must not be negative"
	case win.Grace > win.Expires:
		return fmt.Sprintf("window.grace %v exceeds window.expires %v: late events would land in deleted windows; raise expires", win.Grace, win.Expires)
	}
	return ""
}

// topicTable reads the app option's i-th table, one fed from the topic of
// its value message (from_topic), with its dead-letter topic. It returns
// nil when it is unusable.
func (b *builder) topicTable(app *App, i int, path string, spec *streamgenv1.Table, value protoreflect.MessageDescriptor) *Table {
	sd := app.Service
	src := b.model.ByMessage[value.FullName()]
	at := func(f int32) optionAt { return inApp(appField.tables, int32(i), f) }
	dlq := DefaultTableDeadLetterTopic(app.ID, spec.GetName())
	switch {
	case src == nil && b.unbound[value.FullName()]:
		return nil // its topic option's mistake is reported
	case src == nil:
		b.errorf(sd, at(tableField.fromTopic), path+".from_topic",
			"table %q is fed from the topic of its value %s, which has no topic option; bind %s to a topic", spec.GetName(), value.FullName(), value.Name())
		return nil
	case spec.GetKey() != "":
		b.errorf(sd, at(tableField.key), path+".key",
			"table %q is keyed by the record key of topic %q, which it is fed from; remove key", spec.GetName(), src.Name)
		return nil
	case ValidTopicName(dlq) != "":
		b.errorf(sd, at(tableField.name), path+".name", "dead-letter topic %q %s; shorten the app id or table name", dlq, ValidTopicName(dlq))
		return nil
	}
	return &Table{Name: spec.GetName(), Value: value, DefaultJSON: spec.GetDefaultJson(), FromTopic: true, Source: src, optIndex: i,
		DeadLetter: &Topic{Name: dlq, Partitions: src.Partitions, ReplicationFactor: src.ReplicationFactor,
			Codec: streamgenv1.Codec_CODEC_UNSPECIFIED, PartitionsFrom: src, Config: map[string]string{}}}
}

// globalTable reads the app option's i-th table, a global one, fed from
// the topic of its value message. It returns nil when it is unusable.
func (b *builder) globalTable(sd protoreflect.ServiceDescriptor, i int, path string, spec *streamgenv1.Table, value protoreflect.MessageDescriptor) *Table {
	src := b.model.ByMessage[value.FullName()]
	switch {
	case src == nil && b.unbound[value.FullName()]:
		return nil // its topic option's mistake is reported
	case src == nil:
		b.errorf(sd, inApp(appField.tables, int32(i), tableField.global), path+".global",
			"global table %q is fed from the topic of its value %s, which has no topic option; bind %s to a topic", spec.GetName(), value.FullName(), value.Name())
		return nil
	case spec.GetKey() != "":
		b.errorf(sd, inApp(appField.tables, int32(i), tableField.key), path+".key",
			"global table %q is keyed by the record key of topic %q; remove key", spec.GetName(), src.Name)
		return nil
	}
	return &Table{Name: spec.GetName(), Value: value, DefaultJSON: spec.GetDefaultJson(), Global: true, Source: src, optIndex: i}
}

// partitionInternalTopics fills in the partition counts of app's internal
// topics, which follow from the tables' writers: a table's changelog is
// partitioned and replicated like its first writer's input, and a
// window-closing agent's dead-letter topic is partitioned like the
// changelog of the table it closes. checkTables reports the tables whose
// writers disagree, or that have none.
func partitionInternalTopics(app *App) {
	for _, t := range app.Tables {
		if t.Global || t.FromTopic || t.Join != nil || t.Internal || len(t.Writers) == 0 {
			continue
		}
		in := t.Writers[0].Input
		t.Changelog.Partitions = in.Partitions
		t.Changelog.ReplicationFactor = in.ReplicationFactor
		t.Changelog.PartitionsFrom = in
	}
	for _, t := range app.Tables {
		if t.Join != nil {
			// Partitioned like its sides (checkTableJoins checks the
			// agents that read it against them).
			from := partitionsOf(t.Join.Left)
			if from == nil {
				from = partitionsOf(t.Join.Right)
			}
			follow(t.Changelog, from)
			if j := t.Join; j.ForeignKey != nil {
				right := partitionsOf(j.Right)
				follow(j.Subscriptions, right)
				follow(j.Index.Changelog, right)
				follow(j.Responses, from)
			}
		}
	}
	for _, ag := range app.Agents {
		if tm := ag.Timer; tm != nil && tm.RunOn == streamgenv1.RunOn_RUN_ON_PARTITIONS {
			if w := timerWriter(ag); w != nil {
				tm.Topic = w.Input
				ag.DeadLetter.Partitions = tm.Topic.Partitions
				ag.DeadLetter.ReplicationFactor = tm.Topic.ReplicationFactor
				ag.DeadLetter.PartitionsFrom = tm.Topic
			}
		}
		if ag.WindowClose != nil && ag.WindowClose.Changelog != nil {
			ag.DeadLetter.Partitions = ag.WindowClose.Changelog.Partitions
			ag.DeadLetter.PartitionsFrom = ag.WindowClose.Changelog.PartitionsFrom
		}
	}
}

// follow partitions internal topic t like from (nil: not known yet, t
// keeps its 1 partition and an error says why elsewhere).
func follow(t, from *Topic) {
	if from == nil {
		return
	}
	t.Partitions, t.ReplicationFactor, t.PartitionsFrom = from.Partitions, from.ReplicationFactor, from
	if from.PartitionsFrom != nil {
		t.PartitionsFrom = from.PartitionsFrom
	}
}

// timerWriter is the agent whose input a timer that runs on each
// partition of its tables runs in the partitions of: the first writer of
// its first table that is not global; nil when that table has no writer
// (checkTables reports it).
func timerWriter(ag *Agent) *Agent {
	for _, t := range ag.Tables {
		if t.Global {
			continue
		}
		if len(t.Writers) == 0 {
			return nil
		}
		return t.Writers[0]
	}
	return nil
}
