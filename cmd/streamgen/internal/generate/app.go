package generate

import (
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/dsl"
	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// generateApp writes everything of one app service: its constants, tables,
// the typed client of its table queries, the agents interface with its Unimplemented struct, one emitter per
// agent, the AppDesc and the Register function.
func (r *renderer) generateApp(g *protogen.GeneratedFile, a fileApp) {
	generateAppConstants(g, a)
	r.generateTables(g, a)
	r.generateTablesClient(g, a)
	r.generateAgentsInterface(g, a)
	r.generateUnimplemented(g, a)
	for _, ag := range a.Agents {
		r.generateEmitter(g, a, ag)
		r.generateHandler(g, a, ag)
		if ag.GroupBy != nil {
			an := a.names.agent(ag)
			comment(g, 0, an.GroupBy, " encodes the group_by field of agent ", an.Method, "'s input as the key it groups by.")
			r.generateFieldKey(g, an.GroupBy, r.topic(ag.Input).Message, ag.Input.Message, ag.GroupBy)
		}
	}
	r.generateAppDesc(g, a)
	generateRegister(g, a)
}

// generateAppConstants writes the app id, the dead-letter topic names and
// the repartition topic names.
func generateAppConstants(g *protogen.GeneratedFile, a fileApp) {
	n := a.names
	comment(g, 0, n.AppID, " is the app id of service ", a.svc.Desc.FullName(), ": its consumer group.")
	g.P("const ", n.AppID, " = ", strconv.Quote(a.ID))
	g.P()
	comment(g, 0, "Dead-letter topics of the ", n.Base, " app's agents.")
	g.P("const (")
	for _, ag := range a.Agents {
		an := n.agent(ag)
		comment(g, 1, an.DeadLetter, " is where agent ", an.Method, " writes records it cannot process.")
		g.P(an.DeadLetter, " = ", strconv.Quote(ag.DeadLetter.Name))
	}
	g.P(")")
	g.P()
	var repartitioned []*dsl.Agent
	for _, ag := range a.Agents {
		if ag.Repartition != nil {
			repartitioned = append(repartitioned, ag)
		}
	}
	if len(repartitioned) == 0 {
		return
	}
	comment(g, 0, "Repartition topics of the ", n.Base, " app's agents with tables.")
	g.P("const (")
	for _, ag := range repartitioned {
		an := n.agent(ag)
		comment(g, 1, an.Repartition, " carries agent ", an.Method, "'s input records whose key is in the wrong partition to the partition it belongs to.")
		g.P(an.Repartition, " = ", strconv.Quote(ag.Repartition.Name))
	}
	g.P(")")
	g.P()
}

// generateAgentsInterface writes the interface users implement, one method
// per agent. The service's and the rpcs' comments become its docs.
func (r *renderer) generateAgentsInterface(g *protogen.GeneratedFile, a fileApp) {
	n := a.names
	implemented := []any{n.Agents, " is implemented by the agents of app ", strconv.Quote(a.ID), "."}
	leadingComment(g, 0, a.svc.Comments.Leading, implemented...)
	if hasText(a.svc.Comments.Leading) {
		g.P("//")
		comment(g, 0, implemented...)
	}
	comment(g, 0, "Embed ", n.Unimplemented, " in implementations for forward compatibility.")
	g.P("type ", n.Agents, " interface {")
	for _, ag := range a.Agents {
		m, an := methodOf(a.svc, ag), n.agent(ag)
		switch {
		case ag.Timer != nil:
			where := ", once per app, on the group's leader."
			if ag.Timer.Topic != nil {
				where = ", once per partition of its tables (those of topic " + strconv.Quote(ag.Timer.Topic.Name) +
					"), on the worker that owns it; tick.Partition says which."
			}
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called on each tick of its ", scheduleDoc(ag.Timer), where)
			g.P(an.Method, "(ctx ", contextPkg.Ident("Context"), ", tick ", runtimePkg.Ident("Tick"), ", out ", an.Emitter, ") error")
			continue
		case ag.WindowClose != nil:
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called once with the final value ",
				"of each closed window of table ", strconv.Quote(ag.WindowClose.Name), ".")
		case ag.Batch != nil:
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called with batches of records of topic ",
				strconv.Quote(ag.Input.Name), ": up to ", ag.Batch.MaxRecords, " records of one partition, in offset order, ",
				"at most ", ag.Batch.MaxWait.String(), " after the first of them.")
		case ag.Join != nil && ag.Join.Stream != nil:
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called once per pair of records of topics ",
				strconv.Quote(ag.Input.Name), " and ", strconv.Quote(ag.Join.Stream.Name), " with one key ",
				"whose event times are close enough (", streamJoinDoc(ag.Join), ").")
			g.P(an.Method, "(ctx ", contextPkg.Ident("Context"), ", in *", m.Input.GoIdent, ", ", joinParam(ag), " *",
				r.message(ag.Join.Value()), ", out ", an.Emitter, ") error")
			continue
		case ag.Join != nil:
			kind := "only records whose key has a value (an inner join)"
			if ag.Join.Left {
				kind = "every record, with nil when its key has none (a left join)"
			}
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called once per record of topic ",
				strconv.Quote(ag.Input.Name), " with the value of its key in table ", strconv.Quote(ag.Join.Table.Name), ": ", kind, ".")
			g.P(an.Method, "(ctx ", contextPkg.Ident("Context"), ", in *", m.Input.GoIdent, ", ", joinParam(ag), " *",
				r.message(ag.Join.Table.Value), ", out ", an.Emitter, ") error")
			continue
		default:
			leadingComment(g, 1, m.Comments.Leading, an.Method, " is called once per record of topic ",
				strconv.Quote(ag.Input.Name), ".")
		}
		g.P(an.Method, "(ctx ", contextPkg.Ident("Context"), ", in ", inputType(ag), m.Input.GoIdent, ", out ", an.Emitter, ") error")
	}
	for _, t := range joinTables(a) {
		tn, j := n.table(t), t.Join
		lp, rp := joinParams(j)
		kind := map[streamgenv1.JoinKind]string{
			streamgenv1.JoinKind_JOIN_KIND_INNER: "keys both tables have",
			streamgenv1.JoinKind_JOIN_KIND_LEFT:  "keys table " + strconv.Quote(j.Left.Name) + " has (" + rp + " nil when the other has none)",
			streamgenv1.JoinKind_JOIN_KIND_OUTER: "keys either table has (nil for the one without)",
		}[j.Kind]
		comment(g, 1, tn.Join, " makes the value of a key of table ", strconv.Quote(t.Name), " from its values in tables ",
			strconv.Quote(j.Left.Name), " and ", strconv.Quote(j.Right.Name), ", for ", kind, ", each time either changes; ",
			"a nil result deletes the key. It must not keep its arguments. Left to the embedded ", n.Unimplemented,
			", a write of either table goes to its writer's on_error policy.")
		g.P(tn.Join, "(ctx ", contextPkg.Ident("Context"), ", ", lp, " *", g.QualifiedGoIdent(r.message(j.Left.Value)), ", ", rp, " *",
			g.QualifiedGoIdent(r.message(j.Right.Value)), ") (*", g.QualifiedGoIdent(r.message(t.Value)), ", error)")
	}
	for _, t := range sessionTables(a) {
		tn, v := n.table(t), g.QualifiedGoIdent(r.message(t.Value))
		comment(g, 1, tn.Merge, " combines the values of two sessions of table ", strconv.Quote(t.Name),
			" that a late event bridges into one (a began first); the event's update is applied to the result. ",
			"It may return a changed a, and must not keep a or b. Left to the embedded ", n.Unimplemented,
			", such an event goes to its agent's on_error policy.")
		g.P(tn.Merge, "(ctx ", contextPkg.Ident("Context"), ", a, b *", v, ") (*", v, ", error)")
	}
	g.P("}")
	g.P()
}

// sessionTables returns an app's session-windowed tables.
func sessionTables(a fileApp) []*dsl.Table {
	var out []*dsl.Table
	for _, t := range a.Tables {
		if t.Window.Session() {
			out = append(out, t)
		}
	}
	return out
}

// generateUnimplemented writes the struct to embed for forward
// compatibility.
func (r *renderer) generateUnimplemented(g *protogen.GeneratedFile, a fileApp) {
	n := a.names
	comment(g, 0, n.Unimplemented, " can be embedded to have forward compatible implementations: ",
		"its methods return runtime.ErrUnimplemented, so a record that reaches an agent not ",
		"implemented yet goes to the agent's error policy.")
	g.P("type ", n.Unimplemented, " struct{}")
	g.P()
	for _, ag := range a.Agents {
		m, an := methodOf(a.svc, ag), n.agent(ag)
		comment(g, 0, an.Method, " returns runtime.ErrUnimplemented.")
		switch {
		case ag.Timer != nil:
			g.P("func (", n.Unimplemented, ") ", an.Method, "(", contextPkg.Ident("Context"), ", ", runtimePkg.Ident("Tick"),
				", ", an.Emitter, ") error {")
		case ag.Join != nil:
			g.P("func (", n.Unimplemented, ") ", an.Method, "(", contextPkg.Ident("Context"), ", *", m.Input.GoIdent,
				", *", r.message(ag.Join.Value()), ", ", an.Emitter, ") error {")
		default:
			g.P("func (", n.Unimplemented, ") ", an.Method, "(", contextPkg.Ident("Context"), ", ", inputType(ag), m.Input.GoIdent,
				", ", an.Emitter, ") error {")
		}
		g.P("return ", runtimePkg.Ident("ErrUnimplemented"))
		g.P("}")
		g.P()
	}
	for _, t := range joinTables(a) {
		tn := n.table(t)
		comment(g, 0, tn.Join, " returns runtime.ErrUnimplemented.")
		g.P("func (", n.Unimplemented, ") ", tn.Join, "(", contextPkg.Ident("Context"), ", *", r.message(t.Join.Left.Value), ", *",
			r.message(t.Join.Right.Value), ") (*", r.message(t.Value), ", error) {")
		g.P("return nil, ", runtimePkg.Ident("ErrUnimplemented"))
		g.P("}")
		g.P()
	}
	for _, t := range sessionTables(a) {
		tn, v := n.table(t), g.QualifiedGoIdent(r.message(t.Value))
		comment(g, 0, tn.Merge, " returns runtime.ErrUnimplemented.")
		g.P("func (", n.Unimplemented, ") ", tn.Merge, "(", contextPkg.Ident("Context"), ", *", v, ", *", v, ") (*", v, ", error) {")
		g.P("return nil, ", runtimePkg.Ident("ErrUnimplemented"))
		g.P("}")
		g.P()
	}
}

// generateEmitter writes the typed emitter of an agent: the interface, and
// its implementation over *runtime.Emitter.
func (r *renderer) generateEmitter(g *protogen.GeneratedFile, a fileApp, ag *dsl.Agent) {
	an := a.names.agent(ag)
	comment(g, 0, an.Emitter, " emits the records of agent ", an.Method, ". Emitted records are ",
		"produced after the handler returns nil; when it returns an error, they are dropped and ",
		"the input record goes to the error policy.")
	g.P("type ", an.Emitter, " interface {")
	for _, t := range ag.Outputs {
		tn := r.topic(t)
		comment(g, 1, tn.Emit, " emits to topic ", strconv.Quote(t.Name), keyDoc(t), ".")
		g.P(tn.Emit, "(ctx ", contextPkg.Ident("Context"), ", m *", tn.Message, ") error")
	}
	for _, t := range accessible(ag.Tables) {
		tn := a.names.table(t)
		switch {
		case t.Global:
			comment(g, 1, tn.Accessor, " reads global table ", strconv.Quote(t.Name), ".")
		case t.FromTopic:
			comment(g, 1, tn.Accessor, " reads table ", strconv.Quote(t.Name), ", fed from topic ",
				strconv.Quote(t.Source.Name), ", for the current record's key.")
		case t.Join != nil:
			comment(g, 1, tn.Accessor, " reads table ", strconv.Quote(t.Name), ", the join of tables ",
				strconv.Quote(t.Join.Left.Name), " and ", strconv.Quote(t.Join.Right.Name), ", for the current record's key.")
		case byKey(ag, t):
			comment(g, 1, tn.Accessor, " reads, writes and scans table ", strconv.Quote(t.Name),
				" in the tick's partition, by key.")
		default:
			comment(g, 1, tn.Accessor, " reads and writes table ", strconv.Quote(t.Name),
				" for the current record's key.")
		}
		g.P(tn.Accessor, "() ", tableIface(ag, t, tn))
	}
	if ag.WindowClose != nil {
		comment(g, 1, windowMethod, " returns the closed window of table ", strconv.Quote(ag.WindowClose.Name),
			" this call is for: its key, start and end.")
		g.P(windowMethod, "() ", runtimePkg.Ident("ClosedWindow"))
	}
	g.P("}")
	g.P()
	g.P("type ", an.EmitterImpl, " struct{ e *", runtimePkg.Ident("Emitter"), " }")
	g.P()
	if ag.WindowClose != nil {
		g.P("func (x ", an.EmitterImpl, ") ", windowMethod, "() ", runtimePkg.Ident("ClosedWindow"), " {")
		g.P("w, _ := x.e.ClosedWindow()")
		g.P("return w")
		g.P("}")
		g.P()
	}
	for i, t := range ag.Tables {
		if t.Buffer {
			continue
		}
		tn := a.names.table(t)
		impl := tn.Impl
		if byKey(ag, t) {
			impl = tn.ByKeyImpl
		}
		g.P("func (x ", an.EmitterImpl, ") ", tn.Accessor, "() ", tableIface(ag, t, tn), " {")
		g.P("return ", impl, "{x.e, ", i, "}")
		g.P("}")
		g.P()
	}
	for i, t := range ag.Outputs {
		tn := r.topic(t)
		g.P("func (x ", an.EmitterImpl, ") ", tn.Emit, "(ctx ", contextPkg.Ident("Context"), ", m *", tn.Message, ") error {")
		g.P("return x.e.Emit(ctx, ", i, ", m)")
		g.P("}")
		g.P()
	}
}

// accessible returns the tables handlers reach through accessors: all
// but a stream join's buffers.
func accessible(tables []*dsl.Table) []*dsl.Table {
	var out []*dsl.Table
	for _, t := range tables {
		if !t.Buffer && !t.Internal {
			out = append(out, t)
		}
	}
	return out
}

// streamJoinDoc describes a stream join's window and kind for doc
// comments.
func streamJoinDoc(j *dsl.Join) string {
	kind := "an inner join: pairs only"
	switch {
	case j.Outer:
		kind = "an outer join: a record of either topic that found no partner when its window closed comes once, with nil for the other"
	case j.Left:
		kind = "a left join: an input record that found no partner when its window closed comes once, with nil"
	}
	return "a joined record's event time at most " + j.Before.String() + " before and " + j.After.String() +
		" after the input record's, records at most " + j.Grace.String() + " late; " + kind
}

// byKey reports whether agent ag reads and writes its table t by key: a
// plain table in the ticks of a timer that runs on each partition.
func byKey(ag *dsl.Agent, t *dsl.Table) bool {
	return ag.Timer != nil && ag.Timer.Topic != nil && !t.Global
}

// tableIface is the accessor interface of table t in agent ag's emitter.
func tableIface(ag *dsl.Agent, t *dsl.Table, tn tableNames) string {
	if byKey(ag, t) {
		return tn.ByKey
	}
	return tn.Iface
}

// inputType is what precedes the input message's Go type in an agent's
// method: "[]*" for a batch agent, "*" for the others.
func inputType(ag *dsl.Agent) string {
	if ag.Batch != nil {
		return "[]*"
	}
	return "*"
}

// generateHandler writes the function the runtime calls with each record
// of an agent (with each batch of a batch agent).
func (r *renderer) generateHandler(g *protogen.GeneratedFile, a fileApp, ag *dsl.Agent) {
	an := a.names.agent(ag)
	m := methodOf(a.svc, ag)
	if ag.Timer != nil {
		g.P("func ", an.Handler, "(ctx ", contextPkg.Ident("Context"), ", impl any, tick ", runtimePkg.Ident("Tick"),
			", out *", runtimePkg.Ident("Emitter"), ") error {")
		g.P("return impl.(", a.names.Agents, ").", an.Method, "(ctx, tick, ", an.EmitterImpl, "{out})")
		g.P("}")
		g.P()
		return
	}
	if ag.Batch != nil {
		g.P("func ", an.Handler, "(ctx ", contextPkg.Ident("Context"), ", impl any, in []", protoPkg.Ident("Message"),
			", out *", runtimePkg.Ident("Emitter"), ") error {")
		// Local names no Go package is called (imports keep their names).
		g.P("typedIn := make([]*", m.Input.GoIdent, ", len(in))")
		g.P("for i := range in {")
		g.P("typedIn[i] = in[i].(*", m.Input.GoIdent, ")")
		g.P("}")
		g.P("return impl.(", a.names.Agents, ").", an.Method, "(ctx, typedIn, ", an.EmitterImpl, "{out})")
		g.P("}")
		g.P()
		return
	}
	if j := ag.Join; j != nil && j.Stream != nil {
		v := g.QualifiedGoIdent(r.message(j.Value()))
		g.P("func ", an.Handler, "(ctx ", contextPkg.Ident("Context"), ", impl any, in, joined ", protoPkg.Ident("Message"),
			", out *", runtimePkg.Ident("Emitter"), ") error {")
		g.P("var typedIn *", m.Input.GoIdent)
		g.P("if in != nil {")
		g.P("typedIn = in.(*", m.Input.GoIdent, ")")
		g.P("}")
		g.P("var typedJoined *", v)
		g.P("if joined != nil {")
		g.P("typedJoined = joined.(*", v, ")")
		g.P("}")
		g.P("return impl.(", a.names.Agents, ").", an.Method, "(ctx, typedIn, typedJoined, ", an.EmitterImpl, "{out})")
		g.P("}")
		g.P()
		return
	}
	g.P("func ", an.Handler, "(ctx ", contextPkg.Ident("Context"), ", impl any, in ", protoPkg.Ident("Message"),
		", out *", runtimePkg.Ident("Emitter"), ") error {")
	if j := ag.Join; j != nil {
		v := g.QualifiedGoIdent(r.message(j.Table.Value))
		g.P("m, ok, err := out.TableFind(ctx, ", j.Index, ")")
		g.P("if err != nil {")
		g.P("return err")
		g.P("}")
		if j.Left {
			g.P("var joined *", v)
			g.P("if ok {")
			g.P("joined = m.(*", v, ")")
			g.P("}")
		} else {
			g.P("if !ok {")
			g.P("return out.Unmatched() // an inner join: the record goes on without the handler")
			g.P("}")
			g.P("joined := m.(*", v, ")")
		}
		g.P("return impl.(", a.names.Agents, ").", an.Method, "(ctx, in.(*", m.Input.GoIdent, "), joined, ", an.EmitterImpl, "{out})")
		g.P("}")
		g.P()
		return
	}
	g.P("return impl.(", a.names.Agents, ").", an.Method, "(ctx, in.(*", m.Input.GoIdent, "), ", an.EmitterImpl, "{out})")
	g.P("}")
	g.P()
}

// joinParam is the name of the joined value's parameter of a joining
// agent's method: the value message's Go name, lower-cased first
// (customer for a Customer), with "Value" added when that is a Go keyword,
// a predeclared identifier, or a name the method or its mock uses itself.
func joinParam(ag *dsl.Agent) string {
	name := string(ag.Join.Value().Name())
	name = strings.ToLower(name[:1]) + name[1:]
	if token.IsKeyword(name) || types.Universe.Lookup(name) != nil || reservedParams[name] {
		return name + "Value"
	}
	return name
}

// reservedParams are the names a joining agent's method and its generated
// mock use besides the joined value.
var reservedParams = map[string]bool{"ctx": true, "in": true, "out": true, "m": true, "mr": true, "ret": true,
	"ret0": true, "ok": true, "err": true, "joined": true, "impl": true, "varargs": true,
	"reflect": true, "gomock": true, "typedIn": true, "typedJoined": true, "ret1": true, "ret2": true, "left": true, "right": true,
	"l": true, "r": true} // packages and locals of the handlers, joiners and mocks

// generateAppDesc writes the runtime.AppDesc handed to App.Register.
func (r *renderer) generateAppDesc(g *protogen.GeneratedFile, a fileApp) {
	n := a.names
	g.P("var ", n.Desc, " = ", runtimePkg.Ident("AppDesc"), "{")
	g.P("ID: ", n.AppID, ",")
	g.P("ServiceName: ", strconv.Quote(string(a.svc.Desc.FullName())), ",")
	g.P("Check: func(impl any) bool { _, ok := impl.(", n.Agents, "); return ok },")
	g.P("Agents: []*", runtimePkg.Ident("AgentDesc"), "{")
	for _, ag := range a.Agents {
		r.generateAgentDesc(g, a, ag)
	}
	g.P("},")
	generateTableDescRefs(g, a, a.Tables)
	if a.ExactlyOnce {
		g.P("ExactlyOnce: true,")
	}
	if a.CommitInterval > 0 {
		g.P("CommitInterval: ", int64(a.CommitInterval), ", // ", a.CommitInterval.String())
	}
	g.P("}")
	g.P()
}

// generateAgentDesc writes one runtime.AgentDesc of an AppDesc.
func (r *renderer) generateAgentDesc(g *protogen.GeneratedFile, a fileApp, ag *dsl.Agent) {
	an := a.names.agent(ag)
	g.P("{")
	g.P("Name: ", strconv.Quote(ag.Name), ",")
	switch {
	case ag.WindowClose != nil:
		g.P("WindowClose: &", a.names.table(ag.WindowClose).Desc, ",")
	case ag.Input != nil:
		g.P("Input: ", r.topicRef(g, ag.Input), ",")
	}
	if len(ag.Outputs) > 0 {
		g.P("Outputs: []*", runtimePkg.Ident("TopicDesc"), "{")
		for _, t := range ag.Outputs {
			g.P(r.topicRef(g, t), ",")
		}
		g.P("},")
	}
	g.P("Concurrency: ", ag.Concurrency, ",")
	g.P("OnError: ", policyIdent(ag.OnError), ",")
	g.P("MaxEventTimeAhead: ", int64(ag.MaxEventTimeAhead), ", // ", ag.MaxEventTimeAhead.String())
	g.P("OnFutureEvent: ", futureEventIdent(ag.OnFutureEvent), ",")
	g.P("DeadLetter: &", runtimePkg.Ident("TopicDesc"), "{")
	g.P("Name: ", an.DeadLetter, ",")
	g.P("Partitions: ", ag.DeadLetter.Partitions, ",")
	g.P("ReplicationFactor: ", ag.DeadLetter.ReplicationFactor, ",")
	g.P("Codec: ", runtimePkg.Ident("CodecBytes"), ",")
	if from := ag.DeadLetter.PartitionsFrom; from != nil {
		g.P("PartitionsFrom: ", r.topicRef(g, from), ",")
	}
	g.P("},")
	if ag.GroupBy != nil {
		g.P("GroupBy: ", an.GroupBy, ",")
		g.P("GroupByField: ", strconv.Quote(string(ag.GroupBy.Name())), ",")
	}
	if ag.OnMisplacedKey != streamgenv1.MisplacedKey_MISPLACED_KEY_UNSPECIFIED {
		g.P("OnMisplacedKey: ", misplacedKeyIdent(ag.OnMisplacedKey), ",")
	}
	if ag.Repartition != nil {
		g.P("Repartition: ", runtimePkg.Ident("RepartitionTopic"), "(", r.topicRef(g, ag.Input), ", ", an.Repartition, "),")
	}
	switch {
	case ag.Timer != nil:
		r.generateTimerDesc(g, ag.Timer)
		g.P("TickHandler: ", an.Handler, ",")
	case ag.Join != nil && ag.Join.Stream != nil:
		r.generateStreamJoinDesc(g, ag.Join, an.Handler)
	case ag.Batch != nil:
		g.P("Batch: &", runtimePkg.Ident("BatchDesc"), "{MaxRecords: ", ag.Batch.MaxRecords, ", MaxWait: ", int64(ag.Batch.MaxWait), "}, // ", ag.Batch.MaxWait.String())
		g.P("BatchHandler: ", an.Handler, ",")
	default:
		g.P("Handler: ", an.Handler, ",")
	}
	generateTableDescRefs(g, a, append(slices.Clone(ag.Tables), ag.JoinTables...))
	g.P("},")
}

// generateStreamJoinDesc writes an agent's runtime.StreamJoinDesc.
func (r *renderer) generateStreamJoinDesc(g *protogen.GeneratedFile, j *dsl.Join, handler string) {
	kind := "JoinInner"
	switch {
	case j.Outer:
		kind = "JoinOuter"
	case j.Left:
		kind = "JoinLeft"
	}
	g.P("StreamJoin: &", runtimePkg.Ident("StreamJoinDesc"), "{")
	g.P("Stream: ", r.topicRef(g, j.Stream), ",")
	g.P("Before: ", int64(j.Before), ", // ", j.Before.String())
	g.P("After: ", int64(j.After), ", // ", j.After.String())
	g.P("Grace: ", int64(j.Grace), ", // ", j.Grace.String())
	g.P("Kind: ", runtimePkg.Ident(kind), ",")
	g.P("Handler: ", handler, ",")
	g.P("},")
}

// generateTableDescRefs writes a Tables field listing tables, if any.
func generateTableDescRefs(g *protogen.GeneratedFile, a fileApp, tables []*dsl.Table) {
	if len(tables) == 0 {
		return
	}
	g.P("Tables: []*", runtimePkg.Ident("TableDesc"), "{")
	for _, t := range tables {
		g.P("&", a.names.table(t).Desc, ",")
	}
	g.P("},")
}

// generateRegister writes the function that registers an implementation.
func generateRegister(g *protogen.GeneratedFile, a fileApp) {
	n := a.names
	comment(g, 0, n.Register, " registers the agents of app ", strconv.Quote(a.ID), ", implemented by ",
		"impl, on app. Run the app with package worker, or test it with package streamtest.")
	g.P("func ", n.Register, "(app *", runtimePkg.Ident("App"), ", impl ", n.Agents, ") error {")
	g.P("return app.Register(&", n.Desc, ", impl)")
	g.P("}")
	g.P()
}

// futureEventIdent is the runtime constant of a future-event policy.
func futureEventIdent(p streamgenv1.FutureEvent) protogen.GoIdent {
	if p == streamgenv1.FutureEvent_FUTURE_EVENT_CLAMP {
		return runtimePkg.Ident("FutureEventClamp")
	}
	return runtimePkg.Ident("FutureEventDeadLetter")
}

// misplacedKeyIdent is the runtime constant of a misplaced-key policy.
func misplacedKeyIdent(p streamgenv1.MisplacedKey) protogen.GoIdent {
	switch p {
	case streamgenv1.MisplacedKey_MISPLACED_KEY_DEAD_LETTER:
		return runtimePkg.Ident("MisplacedKeyDeadLetter")
	case streamgenv1.MisplacedKey_MISPLACED_KEY_STOP:
		return runtimePkg.Ident("MisplacedKeyStop")
	}
	return runtimePkg.Ident("MisplacedKeyRepartition")
}

// policyIdent is the runtime constant of an error policy.
func policyIdent(p streamgenv1.OnError) protogen.GoIdent {
	if p == streamgenv1.OnError_ON_ERROR_STOP {
		return runtimePkg.Ident("OnErrorStop")
	}
	return runtimePkg.Ident("OnErrorDeadLetter")
}

// generateTimerDesc writes a timer or cron agent's runtime.TimerDesc.
func (r *renderer) generateTimerDesc(g *protogen.GeneratedFile, t *dsl.Timer) {
	g.P("Timer: &", runtimePkg.Ident("TimerDesc"), "{")
	if t.Cron != "" {
		g.P("Cron: ", strconv.Quote(t.Cron), ",")
		g.P("TimeZone: ", strconv.Quote(t.TimeZone), ",")
	} else {
		g.P("Every: ", int64(t.Every), ", // ", t.Every.String())
	}
	if t.OnMissedTicks == streamgenv1.MissedTicks_MISSED_TICKS_SKIP {
		g.P("SkipMissed: true,")
	}
	if t.Topic != nil {
		g.P("Topic: ", r.topicRef(g, t.Topic), ",")
	}
	g.P("},")
}

// scheduleDoc describes a timer's schedule for doc comments.
func scheduleDoc(t *dsl.Timer) string {
	if t.Cron != "" {
		return "cron schedule " + strconv.Quote(t.Cron) + " (" + t.TimeZone + ")"
	}
	return "timer (every " + t.Every.String() + ")"
}
