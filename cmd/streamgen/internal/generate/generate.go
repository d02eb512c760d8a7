// Package generate renders streamgen's Go code from a checked topology model.
// It runs as a protogen plugin, so the standalone generator and protoc/buf go
// through the same code and produce the same bytes.
//
// Per .proto file it writes x_streamgen.pb.go and, unless mocks are off,
// xmock/x_streamgen_mock.pb.go. The files of the package:
//
//   - generate.go: Params and Run, the plugin entry point; the per-file
//     pass (header, runtime version handshake) and lookups into protogen.
//   - names.go: every Go identifier the output declares, computed once per
//     topic, app, agent and table (as connect-go's newNames).
//   - comments.go: doc comments, generated or from the .proto, wrapped to
//     100 columns.
//   - topics.go: topic name constants, key/raw/event-time functions,
//     TopicDescs and typed topic handles.
//   - app.go: per app service, the agents interface, Unimplemented struct,
//     typed emitters, handlers, the AppDesc and the Register function.
//   - tables.go: table constants, TableDescs and typed table accessors
//     (plain, windowed, global).
//   - tablesclient.go: per app with tables, the typed client of its table
//     queries over HTTP (package runtime/tableclient).
//   - mocks.go: the gomock mocks of the generated interfaces.
package generate

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/streamgen/streamgen/dsl"
)

// Mock libraries the generated mocks can import.
const (
	MockGolang = "golang" // github.com/golang/mock/gomock (default)
	MockUber   = "uber"   // go.uber.org/mock/gomock
	MockNone   = "none"   // no mocks
)

// Params are the plugin parameters streamgen adds to protogen's own
// (paths, module, M...).
type Params struct {
	// Mock selects the gomock import: MockGolang, MockUber or MockNone.
	Mock string
	// PBGo also writes the .pb.go message code (protoc-gen-go's output), so
	// no separate protoc-gen-go run is needed.
	PBGo bool
}

// Set parses one plugin parameter; use it as protogen.Options.ParamFunc.
func (p *Params) Set(name, value string) error {
	switch name {
	case "mock":
		switch value {
		case MockGolang, MockUber, MockNone:
			p.Mock = value
			return nil
		}
		return fmt.Errorf("streamgen: mock=%q: use mock=golang, mock=uber or mock=none", value)
	case "pbgo":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("streamgen: pbgo=%q: use pbgo=true or pbgo=false", value)
		}
		p.PBGo = b
		return nil
	}
	return fmt.Errorf("streamgen: unknown parameter %q; known: mock, pbgo, paths, module, M", name)
}

const (
	runtimePkg = protogen.GoImportPath("github.com/streamgen/streamgen/runtime")
	contextPkg = protogen.GoImportPath("context")
	protoPkg   = protogen.GoImportPath("google.golang.org/protobuf/proto")
	strconvPkg = protogen.GoImportPath("strconv")
	reflectPkg = protogen.GoImportPath("reflect")
	timePkg    = protogen.GoImportPath("time")
)

// Run generates every file of gen marked for generation. Schema errors are
// returned together, as dsl.Errors.
func Run(gen *protogen.Plugin, p Params) error {
	if p.Mock == "" {
		p.Mock = MockGolang
	}
	gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL) | internal_gengo.SupportedFeatures
	var files []protoreflect.FileDescriptor
	for _, f := range gen.Files {
		if f.Generate {
			files = append(files, f.Desc)
		}
	}
	model, err := dsl.Build(files)
	if err != nil {
		return err
	}
	msgs := map[protoreflect.FullName]*protogen.Message{}
	for _, f := range gen.Files {
		indexMessages(msgs, f.Messages)
	}
	topics := map[protoreflect.FullName]topicNames{}
	for name := range model.ByMessage {
		if m := msgs[name]; m != nil {
			topics[name] = newTopicNames(m)
		}
	}
	for _, f := range gen.Files {
		if !f.Generate {
			continue
		}
		if p.PBGo {
			internal_gengo.GenerateFile(gen, f)
		}
		r := newRenderer(model, msgs, topics, f)
		r.generateFile(gen)
		if p.Mock != MockNone {
			r.generateMockFile(gen, p.Mock)
		}
	}
	return nil
}

func indexMessages(into map[protoreflect.FullName]*protogen.Message, ms []*protogen.Message) {
	for _, m := range ms {
		into[m.Desc.FullName()] = m
		indexMessages(into, m.Messages)
	}
}

// renderer renders the output of one .proto file.
type renderer struct {
	model  *dsl.Model
	msgs   map[protoreflect.FullName]*protogen.Message
	topics map[protoreflect.FullName]topicNames // by message
	file   *protogen.File
	apps   []fileApp
}

// fileApp is an app declared in the file, with its service and names.
type fileApp struct {
	*dsl.App
	svc   *protogen.Service
	names appNames
}

func newRenderer(model *dsl.Model, msgs map[protoreflect.FullName]*protogen.Message,
	topics map[protoreflect.FullName]topicNames, f *protogen.File) *renderer {
	r := &renderer{model: model, msgs: msgs, topics: topics, file: f}
	for _, s := range f.Services {
		if a := model.AppFor(s.Desc); a != nil {
			r.apps = append(r.apps, fileApp{App: a, svc: s, names: newAppNames(s, a)})
		}
	}
	return r
}

// topicsOf returns the topics bound to messages declared in the file, in
// declaration order.
func (r *renderer) topicsOf() []*dsl.Topic {
	var out []*dsl.Topic
	var walk func(ms []*protogen.Message)
	walk = func(ms []*protogen.Message) {
		for _, m := range ms {
			if t := r.model.ByMessage[m.Desc.FullName()]; t != nil {
				out = append(out, t)
			}
			walk(m.Messages)
		}
	}
	walk(r.file.Messages)
	return out
}

// topic returns the names of topic t.
func (r *renderer) topic(t *dsl.Topic) topicNames { return r.topics[t.Message.FullName()] }

// message returns the Go type of message md.
func (r *renderer) message(md protoreflect.MessageDescriptor) protogen.GoIdent {
	return r.msgs[md.FullName()].GoIdent
}

// field returns the protogen field of message m that fd describes.
func (r *renderer) field(m protoreflect.MessageDescriptor, fd protoreflect.FieldDescriptor) *protogen.Field {
	for _, f := range r.msgs[m.FullName()].Fields {
		if f.Desc.FullName() == fd.FullName() {
			return f
		}
	}
	panic("streamgen: field " + string(fd.FullName()) + " not found") // the model was built from the same descriptors
}

// methodOf returns the rpc of service s that declares agent ag.
func methodOf(s *protogen.Service, ag *dsl.Agent) *protogen.Method {
	for _, m := range s.Methods {
		if m.Desc.FullName() == ag.Method.FullName() {
			return m
		}
	}
	panic("streamgen: method not in service")
}

// generateFile writes x_streamgen.pb.go: topics, then apps. A file that
// binds no topic and declares no app gets none.
func (r *renderer) generateFile(gen *protogen.Plugin) {
	topics := r.topicsOf()
	if len(topics) == 0 && len(r.apps) == 0 {
		return
	}
	f := r.file
	g := gen.NewGeneratedFile(newFileNames(f).Streamgen, f.GoImportPath)
	generateHeader(g, f)
	g.P("package ", f.GoPackageName)
	g.P()
	generateHandshake(g)
	if len(topics) > 0 {
		r.generateTopicConstants(g, topics)
		for _, t := range topics {
			r.generateTopic(g, t)
		}
	}
	for _, a := range r.apps {
		r.generateApp(g, a)
	}
}

func generateHeader(g *protogen.GeneratedFile, f *protogen.File) {
	g.P("// Code generated by streamgen. DO NOT EDIT.")
	g.P("// source: ", f.Desc.Path())
	g.P()
}

// generateHandshake makes a generated file and a runtime that do not fit
// fail to build with a clear name.
func generateHandshake(g *protogen.GeneratedFile) {
	comment(g, 0, "This is a compile-time assertion that this generated file and the ",
		"streamgen runtime it is built with fit together. If it fails, upgrade ",
		"github.com/streamgen/streamgen or regenerate with the matching version.")
	g.P("const _ = ", runtimePkg.Ident("SupportPackageIsVersion1"))
	g.P()
}
