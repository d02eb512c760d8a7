package dsl

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// The field numbers below locate an option in a file's source info. They
// are read once from the descriptors of descriptor.proto and of
// gen/streamgen/v1, by field name, so the numbers live in one place: the
// .proto files.
var (
	// The options field of each descriptor proto that carries a streamgen
	// option (DescriptorProto.options, ServiceDescriptorProto.options,
	// MethodDescriptorProto.options).
	messageOptionsField = fieldNumber(&descriptorpb.DescriptorProto{}, "options")
	serviceOptionsField = fieldNumber(&descriptorpb.ServiceDescriptorProto{}, "options")
	methodOptionsField  = fieldNumber(&descriptorpb.MethodDescriptorProto{}, "options")

	// streamgen's extensions of those options messages.
	topicExtension = int32(streamgenv1.E_Topic.TypeDescriptor().Number())
	appExtension   = int32(streamgenv1.E_App.TypeDescriptor().Number())
	agentExtension = int32(streamgenv1.E_Agent.TypeDescriptor().Number())
)

// topicField holds the field numbers of streamgen.v1.Topic that errors
// point at.
var topicField = struct {
	name, partitions, replicationFactor, key, codec, retentionMs, config, strictJSON int32
}{
	name:              fieldNumber(&streamgenv1.Topic{}, "name"),
	partitions:        fieldNumber(&streamgenv1.Topic{}, "partitions"),
	replicationFactor: fieldNumber(&streamgenv1.Topic{}, "replication_factor"),
	key:               fieldNumber(&streamgenv1.Topic{}, "key"),
	codec:             fieldNumber(&streamgenv1.Topic{}, "codec"),
	retentionMs:       fieldNumber(&streamgenv1.Topic{}, "retention_ms"),
	config:            fieldNumber(&streamgenv1.Topic{}, "config"),
	strictJSON:        fieldNumber(&streamgenv1.Topic{}, "strict_json"),
}

// appField holds the field numbers of streamgen.v1.App that errors point
// at.
var appField = struct{ id, tables, commitInterval int32 }{
	id:             fieldNumber(&streamgenv1.App{}, "id"),
	tables:         fieldNumber(&streamgenv1.App{}, "tables"),
	commitInterval: fieldNumber(&streamgenv1.App{}, "commit_interval"),
}

// tableField holds the field numbers of streamgen.v1.Table that errors
// point at.
var tableField = struct{ name, value, key, defaultJSON, global, window, fromTopic, join int32 }{
	join:        fieldNumber(&streamgenv1.Table{}, "join"),
	fromTopic:   fieldNumber(&streamgenv1.Table{}, "from_topic"),
	name:        fieldNumber(&streamgenv1.Table{}, "name"),
	value:       fieldNumber(&streamgenv1.Table{}, "value"),
	key:         fieldNumber(&streamgenv1.Table{}, "key"),
	defaultJSON: fieldNumber(&streamgenv1.Table{}, "default_json"),
	global:      fieldNumber(&streamgenv1.Table{}, "global"),
	window:      fieldNumber(&streamgenv1.Table{}, "window"),
}

// agentField holds the field numbers of streamgen.v1.Agent that errors
// point at.
var agentField = struct {
	outputs, concurrency, onError, deadLetterTopic, tables, onWindowClose, maxEventTimeAhead, onFutureEvent,
	onMisplacedKey, repartitionTopic, batch, timer, cron, runOn, onMissedTicks, groupBy, join int32
}{
	join:              fieldNumber(&streamgenv1.Agent{}, "join"),
	outputs:           fieldNumber(&streamgenv1.Agent{}, "outputs"),
	concurrency:       fieldNumber(&streamgenv1.Agent{}, "concurrency"),
	onError:           fieldNumber(&streamgenv1.Agent{}, "on_error"),
	deadLetterTopic:   fieldNumber(&streamgenv1.Agent{}, "dead_letter_topic"),
	tables:            fieldNumber(&streamgenv1.Agent{}, "tables"),
	onWindowClose:     fieldNumber(&streamgenv1.Agent{}, "on_window_close"),
	maxEventTimeAhead: fieldNumber(&streamgenv1.Agent{}, "max_event_time_ahead"),
	onFutureEvent:     fieldNumber(&streamgenv1.Agent{}, "on_future_event"),
	onMisplacedKey:    fieldNumber(&streamgenv1.Agent{}, "on_misplaced_key"),
	repartitionTopic:  fieldNumber(&streamgenv1.Agent{}, "repartition_topic"),
	batch:             fieldNumber(&streamgenv1.Agent{}, "batch"),
	timer:             fieldNumber(&streamgenv1.Agent{}, "timer"),
	cron:              fieldNumber(&streamgenv1.Agent{}, "cron"),
	runOn:             fieldNumber(&streamgenv1.Agent{}, "run_on"),
	onMissedTicks:     fieldNumber(&streamgenv1.Agent{}, "on_missed_ticks"),
	groupBy:           fieldNumber(&streamgenv1.Agent{}, "group_by"),
}

// timerField holds the field numbers of streamgen.v1.Timer.
var timerField = struct{ every int32 }{every: fieldNumber(&streamgenv1.Timer{}, "every")}

// cronField holds the field numbers of streamgen.v1.Cron.
var cronField = struct{ schedule, timeZone int32 }{
	schedule: fieldNumber(&streamgenv1.Cron{}, "schedule"),
	timeZone: fieldNumber(&streamgenv1.Cron{}, "time_zone"),
}

// joinField holds the field numbers of streamgen.v1.Join.
var joinField = struct{ table, kind, stream, before, after, grace int32 }{
	table:  fieldNumber(&streamgenv1.Join{}, "table"),
	kind:   fieldNumber(&streamgenv1.Join{}, "kind"),
	stream: fieldNumber(&streamgenv1.Join{}, "stream"),
	before: fieldNumber(&streamgenv1.Join{}, "before"),
	after:  fieldNumber(&streamgenv1.Join{}, "after"),
	grace:  fieldNumber(&streamgenv1.Join{}, "grace"),
}

// tableJoinField holds the field numbers of streamgen.v1.TableJoin.
var tableJoinField = struct{ left, right, kind, foreignKey int32 }{
	foreignKey: fieldNumber(&streamgenv1.TableJoin{}, "foreign_key"),
	left:       fieldNumber(&streamgenv1.TableJoin{}, "left"),
	right:      fieldNumber(&streamgenv1.TableJoin{}, "right"),
	kind:       fieldNumber(&streamgenv1.TableJoin{}, "kind"),
}

// batchField holds the field numbers of streamgen.v1.Batch.
var batchField = struct{ maxRecords, maxWait int32 }{
	maxRecords: fieldNumber(&streamgenv1.Batch{}, "max_records"),
	maxWait:    fieldNumber(&streamgenv1.Batch{}, "max_wait"),
}

// fieldNumber returns the number of m's field called name. A name that is
// not there is a mistake in this package, found when it is initialised.
func fieldNumber(m proto.Message, name protoreflect.Name) int32 {
	md := m.ProtoReflect().Descriptor()
	fd := md.Fields().ByName(name)
	if fd == nil {
		panic(fmt.Sprintf("dsl: %s has no field %s", md.FullName(), name))
	}
	return int32(fd.Number())
}

// optionAt is what an error points at: a field inside the streamgen option
// of a descriptor. The zero optionAt, onElement, points at the descriptor
// itself.
type optionAt struct {
	options   int32   // the options field of the descriptor's proto; 0: none
	extension int32   // streamgen's extension inside the options message
	path      []int32 // field numbers and list indexes inside the option
}

// onElement points an error at the descriptor itself.
var onElement = optionAt{}

// inTopic points at path inside a message's topic option.
func inTopic(path ...int32) optionAt {
	return optionAt{options: messageOptionsField, extension: topicExtension, path: path}
}

// inApp points at path inside a service's app option.
func inApp(path ...int32) optionAt {
	return optionAt{options: serviceOptionsField, extension: appExtension, path: path}
}

// inAgent points at path inside a method's agent option.
func inAgent(path ...int32) optionAt {
	return optionAt{options: methodOptionsField, extension: agentExtension, path: path}
}

// errorf records a problem at descriptor d, at the position of the option
// field at points to when the source info has it.
func (b *builder) errorf(d protoreflect.Descriptor, at optionAt, path, format string, args ...any) {
	f := d.ParentFile()
	e := &Error{File: f.Path(), Path: path, Msg: fmt.Sprintf(format, args...)}
	e.Line, e.Col = position(f.SourceLocations(), d, at)
	b.errs = append(b.errs, e)
}

// position returns the 1-based line and column of the most precise prefix
// of at that locs has, else of d itself, else 0, 0.
func position(locs protoreflect.SourceLocations, d protoreflect.Descriptor, at optionAt) (line, col int) {
	loc := locs.ByDescriptor(d)
	if at.options != 0 && len(loc.Path) > 0 {
		base := append(append(protoreflect.SourcePath{}, loc.Path...), at.options, at.extension)
		for n := len(at.path); n >= 0; n-- {
			p := append(append(protoreflect.SourcePath{}, base...), at.path[:n]...)
			if l := locs.ByPath(p); l.Path != nil {
				return l.StartLine + 1, l.StartColumn + 1
			}
		}
	}
	if loc.Path != nil {
		return loc.StartLine + 1, loc.StartColumn + 1
	}
	return 0, 0
}
