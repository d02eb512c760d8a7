package generate

import (
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/dsl"
)

// mocked is an interface to mock: its names and methods.
type mocked struct {
	names   mockNames
	ident   protogen.GoIdent // the interface, in the parent package
	methods []mockMethod
}

// mockMethod is a method of a mocked interface.
type mockMethod struct {
	name    string
	params  []mockParam
	results []string
}

// mockParam is a parameter of a mocked method, with its qualified type.
type mockParam struct {
	name string
	typ  string
}

// generateMockFile writes xmock/x_streamgen_mock.pb.go: a gomock mock of
// every interface generated for the file's apps, sorted by name.
func (r *renderer) generateMockFile(gen *protogen.Plugin, lib string) {
	if len(r.apps) == 0 {
		return
	}
	f, n := r.file, newFileNames(r.file)
	g := gen.NewGeneratedFile(n.Mock, n.MockImportPath)
	gomock := protogen.GoImportPath("github.com/golang/mock/gomock")
	if lib == MockUber {
		gomock = "go.uber.org/mock/gomock"
	}
	generateHeader(g, f)
	comment(g, 0, "Package ", n.MockPackage, " holds gomock mocks of the interfaces streamgen generated in ",
		"package ", f.GoPackageName, " (", f.GoImportPath, ").")
	g.P("package ", n.MockPackage)
	g.P()
	var all []mocked
	for _, a := range r.apps {
		all = append(all, r.mocksOf(g, a)...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].names.Iface < all[j].names.Iface })
	for _, mk := range all {
		generateMock(g, gomock, mk)
		for _, mm := range mk.methods {
			generateMockMethod(g, gomock, mk, mm)
		}
	}
}

// mocksOf lists the interfaces generated for an app: the agents
// interface, the emitters and the table accessors.
func (r *renderer) mocksOf(g *protogen.GeneratedFile, a fileApp) []mocked {
	pkg := r.file.GoImportPath
	ctx := mockParam{"ctx", g.QualifiedGoIdent(contextPkg.Ident("Context"))}
	agents := mocked{names: a.names.Mock, ident: pkg.Ident(a.names.Agents)}
	for _, ag := range a.Agents {
		an := a.names.agent(ag)
		// QualifiedGoIdent imports the type's package: only for a type used.
		var in mockParam
		switch {
		case ag.Timer != nil:
			in = mockParam{"tick", g.QualifiedGoIdent(runtimePkg.Ident("Tick"))}
		case ag.Batch != nil:
			in = mockParam{"in", "[]*" + g.QualifiedGoIdent(methodOf(a.svc, ag).Input.GoIdent)}
		default:
			in = mockParam{"in", "*" + g.QualifiedGoIdent(methodOf(a.svc, ag).Input.GoIdent)}
		}
		params := []mockParam{ctx, in}
		if j := ag.Join; j != nil {
			params = append(params, mockParam{joinParam(ag), "*" + g.QualifiedGoIdent(r.message(j.Value()))})
		}
		params = append(params, mockParam{"out", g.QualifiedGoIdent(pkg.Ident(an.Emitter))})
		agents.methods = append(agents.methods, mockMethod{name: an.Method, params: params, results: []string{"error"}})
	}
	for _, t := range joinTables(a) {
		lp, rp := joinParams(t.Join)
		agents.methods = append(agents.methods, mockMethod{name: a.names.table(t).Join,
			params:  []mockParam{ctx, {lp, "*" + g.QualifiedGoIdent(r.message(t.Join.Left.Value))}, {rp, "*" + g.QualifiedGoIdent(r.message(t.Join.Right.Value))}},
			results: []string{"*" + g.QualifiedGoIdent(r.message(t.Value)), "error"}})
	}
	for _, t := range sessionTables(a) {
		v := "*" + g.QualifiedGoIdent(r.message(t.Value))
		agents.methods = append(agents.methods, mockMethod{name: a.names.table(t).Merge,
			params: []mockParam{ctx, {"a", v}, {"b", v}}, results: []string{v, "error"}})
	}
	all := []mocked{agents}
	for _, ag := range a.Agents {
		all = append(all, r.emitterMock(g, a, ag, ctx))
	}
	for _, t := range accessible(a.Tables) {
		all = append(all, r.tableMock(g, a, t, ctx))
		if len(t.Timers) > 0 && !t.Global && t.Window == nil {
			all = append(all, r.tableByKeyMock(g, a, t, ctx))
		}
	}
	return all
}

// tableByKeyMock describes the by-key accessor interface of a plain table
// in the ticks of a timer that runs on each of its partitions.
func (r *renderer) tableByKeyMock(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, ctx mockParam) mocked {
	tn := a.names.table(t)
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	key := mockParam{"key", "string"}
	return mocked{names: tn.ByKeyMock, ident: r.file.GoImportPath.Ident(tn.ByKey), methods: []mockMethod{
		{name: "Get", params: []mockParam{ctx, key}, results: []string{v, "bool", "error"}},
		{name: "Put", params: []mockParam{ctx, key, {"v", v}}, results: []string{"error"}},
		{name: "Delete", params: []mockParam{ctx, key}, results: []string{"error"}},
		{name: "Scan", params: []mockParam{ctx, {"prefix", "string"}, {"fn", "func(string, " + v + ") error"}}, results: []string{"error"}},
	}}
}

// emitterMock describes the emitter interface of an agent.
func (r *renderer) emitterMock(g *protogen.GeneratedFile, a fileApp, ag *dsl.Agent, ctx mockParam) mocked {
	pkg := r.file.GoImportPath
	an := a.names.agent(ag)
	em := mocked{names: an.Mock, ident: pkg.Ident(an.Emitter)}
	for _, t := range ag.Outputs {
		tn := r.topic(t)
		em.methods = append(em.methods, mockMethod{name: tn.Emit,
			params: []mockParam{ctx, {"msg", "*" + g.QualifiedGoIdent(tn.Message)}}, results: []string{"error"}})
	}
	for _, t := range accessible(ag.Tables) {
		tn := a.names.table(t)
		em.methods = append(em.methods, mockMethod{name: tn.Accessor,
			results: []string{g.QualifiedGoIdent(pkg.Ident(tableIface(ag, t, tn)))}})
	}
	if ag.WindowClose != nil {
		em.methods = append(em.methods, mockMethod{name: windowMethod,
			results: []string{g.QualifiedGoIdent(runtimePkg.Ident("ClosedWindow"))}})
	}
	return em
}

// tableMock describes the accessor interface of a table.
func (r *renderer) tableMock(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, ctx mockParam) mocked {
	tn := a.names.table(t)
	mk := mocked{names: tn.Mock, ident: r.file.GoImportPath.Ident(tn.Iface)}
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	update := mockMethod{name: "Update", params: []mockParam{ctx, {"fn", "func(" + v + ") error"}}, results: []string{"error"}}
	switch {
	case t.Global:
		mk.methods = []mockMethod{
			{name: "Get", params: []mockParam{ctx, {"key", "string"}}, results: []string{v, "bool", "error"}},
		}
	case t.FromTopic || t.Join != nil:
		mk.methods = []mockMethod{
			{name: "Get", params: []mockParam{ctx}, results: []string{v, "bool", "error"}},
		}
	case t.Window.Session():
		tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
		mk.methods = []mockMethod{
			update,
			{name: "Current", params: []mockParam{ctx}, results: []string{v, "error"}},
			{name: "At", params: []mockParam{ctx, {"t", tm}}, results: []string{v, "error"}},
			{name: "Range", params: []mockParam{ctx, {"from", tm}, {"to", tm}},
				results: []string{"[]" + g.QualifiedGoIdent(runtimePkg.Ident("Window")) + "[" + v + "]", "error"}},
		}
	case t.Window != nil:
		tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
		mk.methods = []mockMethod{
			update,
			{name: "Current", params: []mockParam{ctx}, results: []string{v, "error"}},
			{name: "Now", params: []mockParam{ctx}, results: []string{v, "error"}},
			{name: "At", params: []mockParam{ctx, {"t", tm}}, results: []string{v, "error"}},
			{name: "Delta", params: []mockParam{ctx, {"d", g.QualifiedGoIdent(timePkg.Ident("Duration"))}}, results: []string{v, "error"}},
			{name: "Range", params: []mockParam{ctx, {"from", tm}, {"to", tm}},
				results: []string{"[]" + g.QualifiedGoIdent(runtimePkg.Ident("Window")) + "[" + v + "]", "error"}},
		}
	default:
		mk.methods = []mockMethod{
			{name: "Get", params: []mockParam{ctx}, results: []string{v, "error"}},
			{name: "Put", params: []mockParam{ctx, {"v", v}}, results: []string{"error"}},
			{name: "Delete", params: []mockParam{ctx}, results: []string{"error"}},
			update,
		}
	}
	return mk
}

// generateMock writes a mock type, its recorder, constructor and EXPECT.
func generateMock(g *protogen.GeneratedFile, gomock protogen.GoImportPath, mk mocked) {
	n := mk.names
	comment(g, 0, n.Type, " is a mock of ", mk.ident, ".")
	g.P("type ", n.Type, " struct {")
	g.P("ctrl *", gomock.Ident("Controller"))
	g.P("recorder *", n.Recorder)
	g.P("}")
	g.P()
	comment(g, 0, n.Recorder, " records expected calls on a ", n.Type, ".")
	g.P("type ", n.Recorder, " struct {")
	g.P("mock *", n.Type)
	g.P("}")
	g.P()
	comment(g, 0, n.New, " returns a new mock of ", n.Iface, ".")
	g.P("func ", n.New, "(ctrl *", gomock.Ident("Controller"), ") *", n.Type, " {")
	g.P("mock := &", n.Type, "{ctrl: ctrl}")
	g.P("mock.recorder = &", n.Recorder, "{mock}")
	g.P("return mock")
	g.P("}")
	g.P()
	comment(g, 0, "EXPECT returns the recorder, to declare expected calls.")
	g.P("func (m *", n.Type, ") EXPECT() *", n.Recorder, " {")
	g.P("return m.recorder")
	g.P("}")
	g.P()
	g.P("var _ ", mk.ident, " = (*", n.Type, ")(nil)")
	g.P()
}

// generateMockMethod writes a mocked method and its recorder method.
func generateMockMethod(g *protogen.GeneratedFile, gomock protogen.GoImportPath, mk mocked, mm mockMethod) {
	n := mk.names
	var params, args, rets []string
	for _, p := range mm.params {
		params = append(params, p.name+" "+p.typ)
		args = append(args, p.name)
	}
	res := strings.Join(mm.results, ", ")
	if len(mm.results) > 1 {
		res = "(" + res + ")"
	}
	callArgs := ""
	if len(args) > 0 {
		callArgs = ", " + strings.Join(args, ", ")
	}
	comment(g, 0, mm.name, " mocks the method of the same name.")
	g.P("func (m *", n.Type, ") ", mm.name, "(", strings.Join(params, ", "), ") ", res, " {")
	g.P("m.ctrl.T.Helper()")
	g.P("ret := m.ctrl.Call(m, ", strconv.Quote(mm.name), callArgs, ")")
	for i, r := range mm.results {
		g.P("ret", i, ", _ := ret[", i, "].(", r, ")")
		rets = append(rets, "ret"+strconv.Itoa(i))
	}
	g.P("return ", strings.Join(rets, ", "))
	g.P("}")
	g.P()
	comment(g, 0, mm.name, " declares an expected call of ", mm.name, ".")
	recParams := ""
	if len(args) > 0 {
		recParams = strings.Join(args, ", ") + " any"
	}
	g.P("func (mr *", n.Recorder, ") ", mm.name, "(", recParams, ") *", gomock.Ident("Call"), " {")
	g.P("mr.mock.ctrl.T.Helper()")
	g.P("return mr.mock.ctrl.RecordCallWithMethodType(mr.mock, ", strconv.Quote(mm.name), ", ",
		reflectPkg.Ident("TypeOf"), "((*", n.Type, ")(nil).", mm.name, ")", callArgs, ")")
	g.P("}")
	g.P()
}
