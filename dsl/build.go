package dsl

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// Error is one problem in a schema.
type Error struct {
	// File is the .proto file's path as compiled, e.g. "shop/v1/shop.proto".
	File string
	// Line and Col are 1-based; 0 when the file has no source info.
	Line, Col int
	// Path names the element, e.g. "service Shop > rpc Total > option agent.outputs[0]".
	Path string
	// Msg says what is wrong and what to do.
	Msg string
}

// Error formats the problem as "file:line:col: path: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Path, e.Msg)
}

// Errors is every problem found in a schema, in file and position order.
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Option field numbers used to point errors at the option that holds them.
const (
	extNumber            = 51750
	messageOptionsNumber = 7
	serviceOptionsNumber = 3
	methodOptionsNumber  = 4
)

type builder struct {
	errs     Errors
	model    *Model
	messages map[protoreflect.FullName]protoreflect.MessageDescriptor
}

// Build reads the streamgen options of files and of every message they can
// see, and checks them. It returns the model, or Errors holding every
// problem found. Files' imports are searched for topics too, so a topic may
// be declared in one file and consumed by an app in another.
func Build(files []protoreflect.FileDescriptor) (*Model, error) {
	b := &builder{model: &Model{Topics: map[string]*Topic{}, ByMessage: map[protoreflect.FullName]*Topic{}},
		messages: map[protoreflect.FullName]protoreflect.MessageDescriptor{}}
	all := closure(files)
	for _, f := range all {
		b.topicsIn(f, f.Messages())
	}
	for _, f := range all {
		svcs := f.Services()
		for i := 0; i < svcs.Len(); i++ {
			b.app(svcs.Get(i))
		}
	}
	sort.Slice(b.model.Apps, func(i, j int) bool {
		return b.model.Apps[i].Service.FullName() < b.model.Apps[j].Service.FullName()
	})
	b.crossChecks()
	if len(b.errs) > 0 {
		sort.SliceStable(b.errs, func(i, j int) bool {
			a, c := b.errs[i], b.errs[j]
			if a.File != c.File {
				return a.File < c.File
			}
			if a.Line != c.Line {
				return a.Line < c.Line
			}
			return a.Col < c.Col
		})
		return nil, b.errs
	}
	return b.model, nil
}

// closure returns files and everything they import, each once, in
// dependency order.
func closure(files []protoreflect.FileDescriptor) []protoreflect.FileDescriptor {
	seen := map[string]bool{}
	var out []protoreflect.FileDescriptor
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		imps := f.Imports()
		for i := 0; i < imps.Len(); i++ {
			add(imps.Get(i).FileDescriptor)
		}
		out = append(out, f)
	}
	for _, f := range files {
		add(f)
	}
	return out
}

// errorf records a problem at descriptor d, preferring the position of the
// option field given by optPath (field numbers inside the streamgen option
// message) when the source info has it.
func (b *builder) errorf(d protoreflect.Descriptor, optKind int32, optPath []int32, path, format string, args ...any) {
	f := d.ParentFile()
	e := &Error{File: f.Path(), Path: path, Msg: fmt.Sprintf(format, args...)}
	locs := f.SourceLocations()
	loc := locs.ByDescriptor(d)
	found := false
	if optKind != 0 && len(loc.Path) > 0 {
		// Try the most precise option path first, then shorter ones.
		base := append(append(protoreflect.SourcePath{}, loc.Path...), optKind, extNumber)
		for n := len(optPath); n >= 0 && !found; n-- {
			p := append(append(protoreflect.SourcePath{}, base...), optPath[:n]...)
			if l := locs.ByPath(p); l.Path != nil {
				e.Line, e.Col = l.StartLine+1, l.StartColumn+1
				found = true
			}
		}
	}
	if !found && loc.Path != nil {
		e.Line, e.Col = loc.StartLine+1, loc.StartColumn+1
	}
	b.errs = append(b.errs, e)
}

func (b *builder) topicsIn(f protoreflect.FileDescriptor, msgs protoreflect.MessageDescriptors) {
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		b.messages[md.FullName()] = md
		b.topic(md)
		b.topicsIn(f, md.Messages())
	}
}

func (b *builder) topic(md protoreflect.MessageDescriptor) {
	opt, ok, err := TopicOf(md)
	where := "message " + string(md.Name())
	if err != nil {
		b.errorf(md, messageOptionsNumber, nil, where, "%v", err)
		return
	}
	if !ok {
		return
	}
	const (
		fName, fPartitions, fReplication, fKey, fCodec, fCompacted, fRetention, fConfig = 1, 2, 3, 4, 5, 6, 7, 8
	)
	t := &Topic{
		Name:              opt.GetName(),
		Partitions:        opt.GetPartitions(),
		ReplicationFactor: opt.GetReplicationFactor(),
		Codec:             opt.GetCodec(),
		Message:           md,
		Config:            map[string]string{},
	}
	valid := true
	if why := ValidTopicName(t.Name); why != "" {
		b.errorf(md, messageOptionsNumber, []int32{fName}, where+" > option topic.name",
			"topic name %q %s; set name to a valid Kafka topic name", t.Name, why)
		valid = false
	}
	switch {
	case t.Partitions < 0:
		b.errorf(md, messageOptionsNumber, []int32{fPartitions}, where+" > option topic.partitions",
			"partitions is %d; use a positive count, or leave it out for 1", t.Partitions)
	case t.Partitions == 0:
		t.Partitions = 1
	}
	switch {
	case t.ReplicationFactor < 0:
		b.errorf(md, messageOptionsNumber, []int32{fReplication}, where+" > option topic.replication_factor",
			"replication_factor is %d; use a positive factor, or leave it out for the broker's default", t.ReplicationFactor)
	case t.ReplicationFactor == 0:
		t.ReplicationFactor = -1
	}
	if k := opt.GetKey(); k != "" {
		fd := md.Fields().ByName(protoreflect.Name(k))
		switch {
		case fd == nil:
			b.errorf(md, messageOptionsNumber, []int32{fKey}, where+" > option topic.key",
				"key field %q does not exist in %s; name one of its fields (%s)", k, md.FullName(), fieldNames(md))
		case fd.IsList() || fd.IsMap():
			b.errorf(md, messageOptionsNumber, []int32{fKey}, where+" > option topic.key",
				"key field %q is repeated; a key must be a single string, bytes, integer or bool field", k)
		case !keyKind(fd.Kind()):
			b.errorf(md, messageOptionsNumber, []int32{fKey}, where+" > option topic.key",
				"key field %q is of type %s; a key must be a string, bytes, integer or bool field", k, fd.Kind())
		default:
			t.Key = fd
		}
	}
	switch t.Codec {
	case streamgenv1.Codec_CODEC_UNSPECIFIED:
		t.Codec = streamgenv1.Codec_CODEC_PROTO
	case streamgenv1.Codec_CODEC_PROTO, streamgenv1.Codec_CODEC_JSON:
	case streamgenv1.Codec_CODEC_RAW:
		fields := md.Fields()
		if fields.Len() != 1 || fields.Get(0).IsList() || fields.Get(0).IsMap() ||
			(fields.Get(0).Kind() != protoreflect.StringKind && fields.Get(0).Kind() != protoreflect.BytesKind) {
			b.errorf(md, messageOptionsNumber, []int32{fCodec}, where+" > option topic.codec",
				"CODEC_RAW needs a message with exactly one field, of type string or bytes; %s has %s. Use CODEC_PROTO or CODEC_JSON, or reduce the message to one field",
				md.FullName(), fieldNames(md))
		} else {
			t.RawField = fields.Get(0)
		}
	default:
		b.errorf(md, messageOptionsNumber, []int32{fCodec}, where+" > option topic.codec",
			"unknown codec %d; use CODEC_PROTO, CODEC_JSON or CODEC_RAW", t.Codec)
	}
	for _, k := range sortedKeys(opt.GetConfig()) {
		v := opt.GetConfig()[k]
		switch {
		case k == "":
			b.errorf(md, messageOptionsNumber, []int32{fConfig}, where+" > option topic.config",
				"config has an empty key; remove the entry")
		case k == "cleanup.policy" && opt.GetCompacted():
			b.errorf(md, messageOptionsNumber, []int32{fConfig}, where+" > option topic.config",
				"config sets cleanup.policy and compacted is true; keep only one")
		case k == "retention.ms" && opt.GetRetentionMs() != 0:
			b.errorf(md, messageOptionsNumber, []int32{fConfig}, where+" > option topic.config",
				"config sets retention.ms and retention_ms is set too; keep only one")
		}
		t.Config[k] = v
	}
	if opt.GetCompacted() {
		t.Config["cleanup.policy"] = "compact"
	}
	switch r := opt.GetRetentionMs(); {
	case r < -1:
		b.errorf(md, messageOptionsNumber, []int32{fRetention}, where+" > option topic.retention_ms",
			"retention_ms is %d; use a positive duration in milliseconds, -1 for forever, or leave it out", r)
	case r != 0:
		t.Config["retention.ms"] = fmt.Sprint(r)
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		fo, has, err := FieldOf(fd)
		if err != nil || !has || !fo.GetEventTime() {
			continue
		}
		fwhere := where + " > field " + string(fd.Name())
		switch {
		case t.EventTime != nil:
			b.errorf(fd, 0, nil, fwhere, "a message has at most one event_time field; %s already is", t.EventTime.Name())
		case fd.IsList() || fd.IsMap():
			b.errorf(fd, 0, nil, fwhere, "event_time field %s is repeated; use a single google.protobuf.Timestamp or int64", fd.Name())
		case fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() == "google.protobuf.Timestamp",
			fd.Kind() == protoreflect.Int64Kind:
			t.EventTime = fd
		default:
			b.errorf(fd, 0, nil, fwhere, "event_time field %s is of type %s; use google.protobuf.Timestamp or int64 (milliseconds since the epoch)", fd.Name(), fd.Kind())
		}
	}
	if !valid {
		return
	}
	if prev, dup := b.model.Topics[t.Name]; dup {
		b.errorf(md, messageOptionsNumber, []int32{fName}, where+" > option topic.name",
			"topic %q is already bound to %s (%s); a topic holds one message type: rename one of the topics",
			t.Name, prev.Message.FullName(), prev.Message.ParentFile().Path())
		return
	}
	b.model.Topics[t.Name] = t
	b.model.ByMessage[md.FullName()] = t
}

func keyKind(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.BoolKind,
		protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return true
	}
	return false
}

func fieldNames(md protoreflect.MessageDescriptor) string {
	fs := md.Fields()
	if fs.Len() == 0 {
		return "no fields"
	}
	names := make([]string, fs.Len())
	for i := range names {
		names[i] = fmt.Sprintf("%s %s", fs.Get(i).Kind(), fs.Get(i).Name())
	}
	return strings.Join(names, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

const emptyName = "google.protobuf.Empty"

func (b *builder) app(sd protoreflect.ServiceDescriptor) {
	where := "service " + string(sd.Name())
	opt, ok, err := AppOf(sd)
	if err != nil {
		b.errorf(sd, serviceOptionsNumber, nil, where, "%v", err)
		return
	}
	methods := sd.Methods()
	if !ok {
		// A service without the app option is not ours (it may be gRPC),
		// unless one of its rpcs carries an agent option.
		for i := 0; i < methods.Len(); i++ {
			if _, has, _ := AgentOf(methods.Get(i)); has {
				b.errorf(methods.Get(i), methodOptionsNumber, nil, where+" > rpc "+string(methods.Get(i).Name()),
					"rpc has an agent option but service %s has no app option; add option (streamgen.v1.app) = { id: \"...\" } to the service", sd.Name())
			}
		}
		return
	}
	app := &App{ID: opt.GetId(), Service: sd}
	if why := ValidTopicName(app.ID); why != "" {
		b.errorf(sd, serviceOptionsNumber, []int32{1}, where+" > option app.id",
			"app id %q %s; the id is the consumer group and the prefix of internal topic names, so it follows topic name rules", app.ID, why)
		return
	}
	for _, other := range b.model.Apps {
		if other.ID == app.ID {
			b.errorf(sd, serviceOptionsNumber, []int32{1}, where+" > option app.id",
				"app id %q is already used by service %s; two apps in one consumer group would steal each other's records: choose another id", app.ID, other.Service.FullName())
			return
		}
	}
	app.ExactlyOnce = opt.GetGuarantee() == streamgenv1.Guarantee_GUARANTEE_EXACTLY_ONCE
	if ci := opt.GetCommitInterval(); ci != nil {
		const fCommitInterval = 4
		d := ci.AsDuration()
		if !ci.IsValid() || d < time.Millisecond || d > time.Minute {
			b.errorf(sd, serviceOptionsNumber, []int32{fCommitInterval}, where+" > option app.commit_interval",
				"commit_interval %v is out of range: use 1 ms to 1 min (default 100 ms); under exactly-once it is how long a transaction stays open", d)
		} else {
			app.CommitInterval = d
		}
	}
	b.tables(app, opt)
	for i := 0; i < methods.Len(); i++ {
		if ag := b.agent(app, methods.Get(i)); ag != nil {
			app.Agents = append(app.Agents, ag)
		}
	}
	b.coPartition(app)
	b.model.Apps = append(b.model.Apps, app)
}

func (b *builder) tables(app *App, opt *streamgenv1.App) {
	sd := app.Service
	where := "service " + string(sd.Name())
	const fTables = 2
	const fName, fValue, fKey, fDefault = 1, 2, 3, 4
	seen := map[string]bool{}
	for i, t := range opt.GetTables() {
		p := fmt.Sprintf("%s > option app.tables[%d]", where, i)
		pos := func(f int32) []int32 { return []int32{fTables, int32(i), f} }
		if !tableNameRE.MatchString(t.GetName()) {
			b.errorf(sd, serviceOptionsNumber, pos(fName), p+".name",
				"table name %q must be lower-case letters, digits and '-', starting with a letter or digit", t.GetName())
			continue
		}
		if seen[t.GetName()] {
			b.errorf(sd, serviceOptionsNumber, pos(fName), p+".name", "table %q is declared twice; give each table its own name", t.GetName())
			continue
		}
		seen[t.GetName()] = true
		changelog := ChangelogTopic(app.ID, t.GetName())
		if why := ValidTopicName(changelog); why != "" {
			b.errorf(sd, serviceOptionsNumber, pos(fName), p+".name", "changelog topic %q %s; shorten the app id or table name", changelog, why)
			continue
		}
		value := b.messages[protoreflect.FullName(strings.TrimPrefix(t.GetValue(), "."))]
		if value == nil {
			b.errorf(sd, serviceOptionsNumber, pos(fValue), p+".value",
				"value %q is not a known message; give the full name (package.Message) of a message in this file or its imports", t.GetValue())
			continue
		}
		if d := t.GetDefaultJson(); d != "" {
			if err := protojson.Unmarshal([]byte(d), dynamicpb.NewMessage(value)); err != nil {
				b.errorf(sd, serviceOptionsNumber, pos(fDefault), p+".default_json",
					"default_json is not a %s in protojson: %v", value.FullName(), err)
				continue
			}
		}
		var win *Window
		if w := t.GetWindow(); w != nil {
			if t.GetGlobal() {
				b.errorf(sd, serviceOptionsNumber, pos(6), p+".window", "a global table cannot be windowed; remove window or global")
				continue
			}
			win = &Window{Size: w.GetSize().AsDuration(), Step: w.GetStep().AsDuration(), Expires: w.GetExpires().AsDuration(),
				Grace: w.GetGrace().AsDuration(), Sliding: w.GetSliding()}
			if win.Sliding && (win.Step == 0 || win.Step == win.Size) {
				b.errorf(sd, serviceOptionsNumber, pos(6), p+".window", "a sliding window needs a step smaller than size: its resolution, e.g. size: {seconds: 60} step: {seconds: 1}")
				continue
			}
			if win.Sliding && win.Step > 0 && win.Size/win.Step > 1000 {
				b.errorf(sd, serviceOptionsNumber, pos(6), p+".window", "sliding window size/step is %d; at most 1000 windows per event: raise step", win.Size/win.Step)
				continue
			}
			if win.Step == 0 {
				win.Step = win.Size
			}
			if win.Expires == 0 {
				win.Expires = win.Size
			}
			bad := ""
			switch {
			case win.Size < time.Millisecond:
				bad = "window.size must be at least 1ms; e.g. size: {seconds: 60}"
			case win.Size%time.Millisecond != 0 || win.Step%time.Millisecond != 0:
				bad = "window size and step must be whole milliseconds"
			case win.Step <= 0 || win.Step > win.Size || win.Size%win.Step != 0:
				bad = fmt.Sprintf("window.step %v must be positive and divide size %v", win.Step, win.Size)
			case win.Grace < 0 || win.Expires < 0:
				bad = "window.grace and window.expires must not be negative"
			case win.Grace > win.Expires:
				bad = fmt.Sprintf("window.grace %v exceeds window.expires %v: late events would land in deleted windows; raise expires", win.Grace, win.Expires)
			}
			if bad != "" {
				b.errorf(sd, serviceOptionsNumber, pos(6), p+".window", "%s", bad)
				continue
			}
		}
		if t.GetGlobal() {
			src := b.model.ByMessage[value.FullName()]
			switch {
			case src == nil:
				b.errorf(sd, serviceOptionsNumber, pos(5), p+".global",
					"global table %q is fed from the topic of its value %s, which has no topic option; bind %s to a topic", t.GetName(), value.FullName(), value.Name())
				continue
			case t.GetKey() != "":
				b.errorf(sd, serviceOptionsNumber, pos(fKey), p+".key",
					"global table %q is keyed by the record key of topic %q; remove key", t.GetName(), src.Name)
				continue
			}
			app.Tables = append(app.Tables, &Table{Name: t.GetName(), Value: value, DefaultJSON: t.GetDefaultJson(), Global: true, Source: src, optIndex: i})
			continue
		}
		app.Tables = append(app.Tables, &Table{
			Name: t.GetName(), Value: value, KeyField: t.GetKey(), DefaultJSON: t.GetDefaultJson(),
			Changelog: &Topic{Name: changelog, Partitions: 1, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED,
				Config: map[string]string{"cleanup.policy": "compact"}},
			Window:   win,
			optIndex: i,
		})
	}
}

// coPartition checks that every table's writers consume topics with one
// partition count, and sets the changelog's partitions to it.
func (b *builder) coPartition(app *App) {
	defer func() {
		for _, ag := range app.Agents {
			if ag.WindowClose != nil && ag.WindowClose.Changelog != nil {
				ag.DeadLetter.Partitions = ag.WindowClose.Changelog.Partitions
			}
		}
	}()
	for _, t := range app.Tables {
		if t.Global && len(t.Writers) > 0 {
			continue // read anywhere: no co-partitioning
		}
		if len(t.Writers) == 0 {
			idx := t.optIndex
			b.errorf(app.Service, serviceOptionsNumber, []int32{2, int32(idx)},
				fmt.Sprintf("service %s > option app.tables[%d]", app.Service.Name(), idx),
				"no agent uses table %q; list it in an agent's tables option, or remove it", t.Name)
			continue
		}
		first := t.Writers[0]
		if t.Window != nil && len(t.Writers) > 1 {
			// A window's closing and expiry are driven by the lanes of the
			// agent that writes it; two writers would each close it.
			w := t.Writers[1]
			b.errorf(w.Method, methodOptionsNumber, []int32{5}, "service "+string(app.Service.Name())+" > rpc "+w.Name+" > option agent.tables",
				"windowed table %q is written by %s and by %s: a windowed table has one writer agent (it closes and expires the windows); have the other agents emit to a topic that agent consumes, or give each its own table",
				t.Name, first.Name, w.Name)
		}
		t.Changelog.Partitions = first.Input.Partitions
		t.Changelog.ReplicationFactor = first.Input.ReplicationFactor
		for _, w := range t.Writers[1:] {
			if w.Input.Partitions != first.Input.Partitions {
				b.errorf(w.Method, methodOptionsNumber, []int32{5}, "service "+string(app.Service.Name())+" > rpc "+w.Name+" > option agent.tables",
					"table %q is written by %s, whose input %q has %d partitions, and by %s, whose input %q has %d: a table's writers must consume topics with the same partition count (co-partitioning), or one key's state would be split",
					t.Name, first.Name, first.Input.Name, first.Input.Partitions, w.Name, w.Input.Name, w.Input.Partitions)
			}
		}
	}
}

func (b *builder) agent(app *App, m protoreflect.MethodDescriptor) *Agent {
	where := "service " + string(app.Service.Name()) + " > rpc " + string(m.Name())
	opt, _, err := AgentOf(m)
	if err != nil {
		b.errorf(m, methodOptionsNumber, nil, where, "%v", err)
		return nil
	}
	const fOutputs, fConcurrency, fOnError, fDeadLetter = 1, 2, 3, 4
	ag := &Agent{Name: string(m.Name()), Method: m, Concurrency: opt.GetConcurrency(), OnError: opt.GetOnError()}
	ok := true
	if m.IsStreamingClient() || m.IsStreamingServer() {
		b.errorf(m, 0, nil, where, "agents are declared as unary rpcs: remove \"stream\"; an agent is called once per record and emits any number of records")
		ok = false
	}
	in := m.Input()
	if name := opt.GetOnWindowClose(); name != "" {
		t := app.table(name)
		switch {
		case t == nil:
			b.errorf(m, methodOptionsNumber, []int32{6}, where+" > option agent.on_window_close",
				"table %q is not declared in the app option", name)
			ok = false
		case t.Window == nil:
			b.errorf(m, methodOptionsNumber, []int32{6}, where+" > option agent.on_window_close",
				"table %q is not windowed: only windows close; add a window to it", name)
			ok = false
		case t.Value.FullName() != in.FullName():
			b.errorf(m, methodOptionsNumber, []int32{6}, where+" > option agent.on_window_close",
				"the agent receives the final values of table %q, of type %s, but takes %s; make its request type %s",
				name, t.Value.FullName(), in.FullName(), t.Value.Name())
			ok = false
		case len(opt.GetTables()) > 0:
			b.errorf(m, methodOptionsNumber, []int32{5}, where+" > option agent.tables",
				"an on_window_close agent cannot use tables; it receives the window's final value")
			ok = false
		default:
			ag.WindowClose = t
		}
	} else if t := b.model.ByMessage[in.FullName()]; t != nil {
		ag.Input = t
	} else {
		b.errorf(m, 0, nil, where,
			"input %s is not bound to a topic, so the agent has nothing to consume; add option (streamgen.v1.topic) = { name: \"...\" } to message %s",
			in.FullName(), in.Name())
		ok = false
	}
	out := m.Output()
	seen := map[protoreflect.FullName]bool{}
	if out.FullName() != emptyName {
		if t := b.model.ByMessage[out.FullName()]; t != nil {
			ag.Outputs = append(ag.Outputs, t)
			seen[out.FullName()] = true
		} else {
			b.errorf(m, 0, nil, where,
				"output %s is not bound to a topic; add a topic option to it, or return google.protobuf.Empty for an agent that emits nothing (or only further outputs)",
				out.FullName())
			ok = false
		}
	}
	for i, name := range opt.GetOutputs() {
		p := fmt.Sprintf("%s > option agent.outputs[%d]", where, i)
		full := protoreflect.FullName(strings.TrimPrefix(name, "."))
		switch {
		case seen[full]:
			b.errorf(m, methodOptionsNumber, []int32{fOutputs, int32(i)}, p, "output %s is listed twice (or is also the response type); list it once", name)
			ok = false
		case b.model.ByMessage[full] != nil:
			ag.Outputs = append(ag.Outputs, b.model.ByMessage[full])
			seen[full] = true
		default:
			b.errorf(m, methodOptionsNumber, []int32{fOutputs, int32(i)}, p,
				"output %q is not a message bound to a topic; give the full name (package.Message) of a message with a topic option", name)
			ok = false
		}
	}
	names := map[protoreflect.Name]protoreflect.FullName{}
	for _, t := range ag.Outputs {
		if prev, dup := names[t.Message.Name()]; dup {
			b.errorf(m, methodOptionsNumber, []int32{fOutputs}, where+" > option agent.outputs",
				"outputs %s and %s share the name %s, so their Emit methods would collide; rename one message", prev, t.Message.FullName(), t.Message.Name())
			ok = false
		}
		names[t.Message.Name()] = t.Message.FullName()
		if ag.Input != nil && t == ag.Input {
			b.errorf(m, 0, nil, where,
				"agent emits to its own input topic %q, which would feed its outputs back to itself without end; emit to another topic", t.Name)
			ok = false
		}
	}
	switch {
	case ag.Concurrency < 0:
		b.errorf(m, methodOptionsNumber, []int32{fConcurrency}, where+" > option agent.concurrency",
			"concurrency is %d; use a positive number, or leave it out for 1", ag.Concurrency)
		ok = false
	case ag.Concurrency == 0:
		ag.Concurrency = 1
	case ag.Concurrency > 1024:
		b.errorf(m, methodOptionsNumber, []int32{fConcurrency}, where+" > option agent.concurrency",
			"concurrency is %d; at most 1024 records of a partition may run at once", ag.Concurrency)
		ok = false
	}
	switch ag.OnError {
	case streamgenv1.OnError_ON_ERROR_UNSPECIFIED:
		ag.OnError = streamgenv1.OnError_ON_ERROR_DEAD_LETTER
	case streamgenv1.OnError_ON_ERROR_DEAD_LETTER, streamgenv1.OnError_ON_ERROR_STOP:
	default:
		b.errorf(m, methodOptionsNumber, []int32{fOnError}, where+" > option agent.on_error",
			"unknown on_error %d; use ON_ERROR_DEAD_LETTER or ON_ERROR_STOP", ag.OnError)
		ok = false
	}
	dlq := opt.GetDeadLetterTopic()
	if dlq == "" {
		dlq = DefaultDeadLetterTopic(app.ID, ag.Name)
	}
	if why := ValidTopicName(dlq); why != "" {
		b.errorf(m, methodOptionsNumber, []int32{fDeadLetter}, where+" > option agent.dead_letter_topic",
			"dead-letter topic %q %s", dlq, why)
		ok = false
	}
	for i, name := range opt.GetTables() {
		p := fmt.Sprintf("%s > option agent.tables[%d]", where, i)
		t := app.table(name)
		switch {
		case t == nil:
			b.errorf(m, methodOptionsNumber, []int32{5, int32(i)}, p,
				"table %q is not declared; declare it in the service's app option (tables: [{ name: %q value: \"...\" }])", name, name)
			ok = false
			continue
		case ag.Input == nil:
			continue
		}
		for _, u := range ag.Tables {
			if u == t {
				b.errorf(m, methodOptionsNumber, []int32{5, int32(i)}, p, "table %q is listed twice", name)
				ok = false
			}
		}
		if t.KeyField != "" && !t.Global {
			fd := ag.Input.Message.Fields().ByName(protoreflect.Name(t.KeyField))
			switch {
			case fd == nil:
				b.errorf(m, methodOptionsNumber, []int32{5, int32(i)}, p,
					"table %q is keyed by field %q, which input %s does not have", name, t.KeyField, ag.Input.Message.FullName())
				ok = false
			case ag.Input.Key == nil || ag.Input.Key.Name() != fd.Name():
				b.errorf(m, methodOptionsNumber, []int32{5, int32(i)}, p,
					"table %q is keyed by %q but topic %q is not (its key is %s): records with one %s would land on several partitions and split its state; key the topic by %q",
					name, t.KeyField, ag.Input.Name, keyName(ag.Input), t.KeyField, t.KeyField)
				ok = false
			}
		}
		ag.Tables = append(ag.Tables, t)
	}
	partitions := int32(1)
	if ag.Input != nil {
		partitions = ag.Input.Partitions
	}
	if ag.WindowClose != nil && len(ag.WindowClose.Writers) > 0 {
		partitions = ag.WindowClose.Writers[0].Input.Partitions
	}
	ag.DeadLetter = &Topic{Name: dlq, Partitions: partitions, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED, Config: map[string]string{}}
	if ag.Input != nil {
		ag.DeadLetter.ReplicationFactor = ag.Input.ReplicationFactor
	}
	if !ok {
		return nil
	}
	for _, t := range ag.Tables {
		t.Writers = append(t.Writers, ag)
	}
	return ag
}

func keyName(t *Topic) string {
	if t.Key == nil {
		return "the record key, no field"
	}
	return "field " + string(t.Key.Name())
}

// crossChecks finds problems that span apps: a dead-letter topic that is
// also a declared topic, or shared by two agents.
func (b *builder) crossChecks() {
	owner := map[string]string{}
	for _, app := range b.model.Apps {
		for _, ag := range app.Agents {
			where := "service " + string(app.Service.Name()) + " > rpc " + ag.Name
			name := ag.DeadLetter.Name
			if t := b.model.Topics[name]; t != nil {
				b.errorf(ag.Method, methodOptionsNumber, []int32{4}, where+" > option agent.dead_letter_topic",
					"dead-letter topic %q is also the topic of %s; dead letters are copies of any input record, so the topic must be the agent's own: choose another dead_letter_topic",
					name, t.Message.FullName())
			}
			if prev, dup := owner[name]; dup {
				b.errorf(ag.Method, methodOptionsNumber, []int32{4}, where+" > option agent.dead_letter_topic",
					"dead-letter topic %q is also used by %s; give each agent its own", name, prev)
			}
			owner[name] = string(app.Service.FullName()) + "." + ag.Name
		}
		for _, t := range app.Tables {
			i := t.optIndex
			if t.Global {
				continue
			}
			if d := b.model.Topics[t.Changelog.Name]; d != nil {
				b.errorf(app.Service, serviceOptionsNumber, []int32{2, int32(i), 1},
					fmt.Sprintf("service %s > option app.tables[%d].name", app.Service.Name(), i),
					"changelog topic %q of table %q is also the topic of %s; rename the table or the topic", t.Changelog.Name, t.Name, d.Message.FullName())
			}
			if prev, dup := owner[t.Changelog.Name]; dup {
				b.errorf(app.Service, serviceOptionsNumber, []int32{2, int32(i), 1},
					fmt.Sprintf("service %s > option app.tables[%d].name", app.Service.Name(), i),
					"changelog topic %q of table %q is also used by %s", t.Changelog.Name, t.Name, prev)
			}
			owner[t.Changelog.Name] = "table " + t.Name
		}
	}
}
