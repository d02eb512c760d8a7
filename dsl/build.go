// Package dsl reads streamgen's schema options into a checked topology
// model: topics, apps and agents. The generator and the runtime's tooling
// share it, so a schema is validated by one set of rules. Build collects
// every problem at once, each with its file:line:col, a path to the
// offending element, and what to do about it.
//
// The files:
//
//   - build.go: Build, the builder, and the Error type.
//   - positions.go: where an error points: the options' field numbers,
//     read from the descriptors of descriptor.proto and streamgen.proto,
//     and the search of a file's source info.
//   - resolve.go: TopicOf, AppOf, AgentOf and FieldOf, which read an option
//     whatever form it arrived in.
//   - topics.go: a message's topic option and event_time field into a Topic.
//   - apps.go: a service's app option into an App: id, guarantee, commit
//     interval, tables and windows; then the partition counts the app's
//     internal topics derive from their writers.
//   - agents.go: an rpc and its agent option into an Agent.
//   - checks.go: the rules over a built model (co-partitioning, one writer
//     per windowed table, unused tables, internal topic names that
//     collide). Checks only read the model.
//   - model.go: the model's types and the naming rules of topics.
package dsl

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
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

// sort orders the problems by file, line and column; problems at one
// position keep the order they were found in.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, c := es[i], es[j]
		if a.File != c.File {
			return a.File < c.File
		}
		if a.Line != c.Line {
			return a.Line < c.Line
		}
		return a.Col < c.Col
	})
}

// builder reads options into a model and collects the problems it finds.
//
// Each mistake is reported once, where it is made. An element left out of
// the model for a reported mistake is remembered (unbound, badKey, and
// App.unusable), so that what refers to it is not reported again as a
// second mistake: an agent consuming a message whose topic option is
// broken is not told the message has no topic.
type builder struct {
	errs     Errors
	model    *Model
	messages map[protoreflect.FullName]protoreflect.MessageDescriptor
	// unbound holds the messages whose topic option has a reported
	// mistake that kept the topic out of the model.
	unbound map[protoreflect.FullName]bool
	// badKey holds the topics whose key option has a reported mistake.
	badKey map[*Topic]bool
}

// Build reads the streamgen options of files and of every message they can
// see, and checks them. It returns the model, or Errors holding every
// problem found. Files' imports are searched for topics too, so a topic may
// be declared in one file and consumed by an app in another.
//
// Each app is built (its options read, its derived values filled in) and
// then checked, before the next app is built; the rules that span apps are
// checked last.
func Build(files []protoreflect.FileDescriptor) (*Model, error) {
	b := &builder{
		model:    &Model{Topics: map[string]*Topic{}, ByMessage: map[protoreflect.FullName]*Topic{}},
		messages: map[protoreflect.FullName]protoreflect.MessageDescriptor{},
		unbound:  map[protoreflect.FullName]bool{},
		badKey:   map[*Topic]bool{},
	}
	all := closure(files)
	for _, f := range all {
		b.topicsIn(f.Messages())
	}
	for _, f := range all {
		svcs := f.Services()
		for i := 0; i < svcs.Len(); i++ {
			if app := b.app(svcs.Get(i)); app != nil {
				b.checkTables(app)
				b.checkPartitionTimers(app)
				b.checkJoinedStreams(app)
				b.checkTableJoins(app)
				b.model.Apps = append(b.model.Apps, app)
			}
		}
	}
	sort.Slice(b.model.Apps, func(i, j int) bool {
		return b.model.Apps[i].Service.FullName() < b.model.Apps[j].Service.FullName()
	})
	b.checkInternalTopics()
	if len(b.errs) > 0 {
		b.errs.sort()
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
