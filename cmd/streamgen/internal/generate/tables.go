package generate

import (
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/streamgen/streamgen/dsl"
	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// generateTables writes an app's table constants, then, per table, its
// runtime.TableDesc and its typed accessor: plain, windowed or global.
func (r *renderer) generateTables(g *protogen.GeneratedFile, a fileApp) {
	if len(a.Tables) == 0 {
		return
	}
	generateTableConstants(g, a)
	for _, t := range a.Tables {
		n := a.names.table(t)
		switch {
		case t.Buffer, t.Internal:
			r.generateTableDesc(g, a, t, n) // no accessor: the join reads and writes it
		case t.Global:
			r.generateGlobalTableDesc(g, t, n)
			r.generateGlobalTable(g, t, n)
		case t.FromTopic:
			r.generateTopicTableDesc(g, t, n)
			r.generateTopicTable(g, t, n)
		case t.Join != nil:
			if fk := t.Join.ForeignKey; fk != nil {
				r.generateFieldKey(g, n.ForeignKey, r.message(t.Join.Left.Value), t.Join.Left.Value, fk)
			}
			r.generateTableDesc(g, a, t, n)
			r.generateReadOnlyTable(g, t, n, ", the join of tables "+strconv.Quote(t.Join.Left.Name)+" and "+strconv.Quote(t.Join.Right.Name)+
				", for the key of the record being handled, as far as this worker has written them. The writers of either table keep it.")
		case t.Window.Session():
			r.generateTableDesc(g, a, t, n)
			r.generateSessionTable(g, t, n)
		case t.Window != nil:
			r.generateTableDesc(g, a, t, n)
			r.generateWindowedTable(g, t, n)
		default:
			r.generateTableDesc(g, a, t, n)
			r.generateTable(g, t, n)
			if len(t.Timers) > 0 {
				r.generateTableByKey(g, t, n)
			}
		}
	}
}

// generateTableByKey writes the typed accessor of a plain table in the
// ticks of a timer that runs on each partition of it: keys as strings
// (the bytes of the key, as the tables client takes them).
func (r *renderer) generateTableByKey(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	ctx := g.QualifiedGoIdent(contextPkg.Ident("Context"))
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	comment(g, 0, n.ByKey, " is typed access to table ", strconv.Quote(t.Name), " in a tick of a timer or cron agent that ",
		"runs on each of its partitions: the keys of the tick's partition, read and written by key, and scanned. ",
		"Keys are the table's key bytes as a string (a number's decimal digits, as the tables client takes them). ",
		"Writes take effect, in the store and the changelog, only if the handler returns nil.")
	g.P("type ", n.ByKey, " interface {")
	comment(g, 1, "Get returns the value of key, or the table's default, and whether the key has a value.")
	g.P("Get(ctx ", ctx, ", key string) (", v, ", bool, error)")
	comment(g, 1, "Put sets the value of key.")
	g.P("Put(ctx ", ctx, ", key string, v ", v, ") error")
	comment(g, 1, "Delete removes key.")
	g.P("Delete(ctx ", ctx, ", key string) error")
	comment(g, 1, "Scan calls fn with each key of the partition that begins with prefix (\"\" for all) and its value, ",
		"in key order; this call's own writes are seen, and writes made from fn are not seen by the scan under way. ",
		"An error from fn ends the scan and is returned.")
	g.P("Scan(ctx ", ctx, ", prefix string, fn func(key string, v ", v, ") error) error")
	g.P("}")
	g.P()
	g.P("type ", n.ByKeyImpl, " struct {")
	g.P("e *", runtimePkg.Ident("Emitter"))
	g.P("i int")
	g.P("}")
	g.P()
	generateKeyGet(g, n.ByKeyImpl, v)
	g.P("func (x ", n.ByKeyImpl, ") Put(ctx ", ctx, ", key string, v ", v, ") error {")
	g.P("return x.e.TablePutKey(ctx, x.i, []byte(key), v)")
	g.P("}")
	g.P()
	g.P("func (x ", n.ByKeyImpl, ") Delete(ctx ", ctx, ", key string) error {")
	g.P("return x.e.TableDeleteKey(ctx, x.i, []byte(key))")
	g.P("}")
	g.P()
	g.P("func (x ", n.ByKeyImpl, ") Scan(ctx ", ctx, ", prefix string, fn func(key string, v ", v, ") error) error {")
	g.P("return x.e.TableScan(ctx, x.i, []byte(prefix), func(k []byte, m ", protoPkg.Ident("Message"), ") error {")
	g.P("return fn(string(k), m.(", v, "))")
	g.P("})")
	g.P("}")
	g.P()
}

// generateTableConstants writes the names of an app's tables and of their
// changelog topics.
func generateTableConstants(g *protogen.GeneratedFile, a fileApp) {
	comment(g, 0, "Tables of the ", a.names.Base, " app, and their changelog topics.")
	g.P("const (")
	for _, t := range a.Tables {
		n := a.names.table(t)
		comment(g, 1, n.Const, " is the name of table ", strconv.Quote(t.Name), ".")
		g.P(n.Const, " = ", strconv.Quote(t.Name))
		if t.FromTopic {
			comment(g, 1, n.DeadLetter, " is the dead-letter topic of table ", strconv.Quote(t.Name),
				": the records of topic ", strconv.Quote(t.Source.Name), " that cannot be its values.")
			g.P(n.DeadLetter, " = ", strconv.Quote(t.DeadLetter.Name))
		}
		if t.Global || t.FromTopic {
			continue
		}
		comment(g, 1, n.Changelog, " is the compacted changelog topic of table ", strconv.Quote(t.Name), ".")
		g.P(n.Changelog, " = ", strconv.Quote(t.Changelog.Name))
	}
	g.P(")")
	g.P()
}

// generateTableDesc writes the runtime.TableDesc of a table kept in a
// changelog topic.
func (r *renderer) generateTableDesc(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, n tableNames) {
	g.P("var ", n.Desc, " = ", runtimePkg.Ident("TableDesc"), "{")
	g.P("Name: ", n.Const, ",")
	g.P("Changelog: &", runtimePkg.Ident("TopicDesc"), "{")
	g.P("Name: ", n.Changelog, ",")
	g.P("Partitions: ", t.Changelog.Partitions, ",")
	g.P("ReplicationFactor: ", t.Changelog.ReplicationFactor, ",")
	g.P("Config: map[string]string{\"cleanup.policy\": \"compact\"},")
	g.P("Codec: ", runtimePkg.Ident("CodecBytes"), ",")
	if from := t.Changelog.PartitionsFrom; from != nil {
		g.P("PartitionsFrom: ", r.topicRef(g, from), ",")
	}
	g.P("},")
	r.generateTableValue(g, t)
	if t.KeyField != "" {
		g.P("KeyFromField: true,")
	}
	if w := t.Window; w.Session() {
		v := "*" + g.QualifiedGoIdent(r.message(t.Value))
		g.P("Window: &", runtimePkg.Ident("WindowSpec"), "{")
		g.P("Gap: ", int64(w.Gap), ", // ", w.Gap.String())
		g.P("Grace: ", int64(w.Grace), ", // ", w.Grace.String())
		g.P("Expires: ", int64(w.Expires), ", // ", w.Expires.String())
		g.P("},")
		g.P("Merge: func(ctx ", contextPkg.Ident("Context"), ", impl any, a, b ", protoPkg.Ident("Message"), ") (",
			protoPkg.Ident("Message"), ", error) {")
		g.P("m, err := impl.(", a.names.Agents, ").", n.Merge, "(ctx, a.(", v, "), b.(", v, "))")
		g.P("if m == nil {")
		g.P("return nil, err // a nil ", v, " is not a nil proto.Message")
		g.P("}")
		g.P("return m, err")
		g.P("},")
		g.P("MergeMethod: ", strconv.Quote(a.names.Agents+"."+n.Merge), ",")
	} else if j := t.Join; j != nil {
		r.generateTableJoinDesc(g, a, t, n)
	} else if w != nil {
		g.P("Window: &", runtimePkg.Ident("WindowSpec"), "{")
		g.P("Size: ", int64(w.Size), ", // ", w.Size.String())
		g.P("Step: ", int64(w.Step), ", // ", w.Step.String())
		g.P("Expires: ", int64(w.Expires), ", // ", w.Expires.String())
		g.P("Grace: ", int64(w.Grace), ", // ", w.Grace.String())
		if w.Sliding {
			g.P("Sliding: true,")
		}
		g.P("},")
	}
	g.P("}")
	g.P()
}

// generateGlobalTableDesc writes the runtime.TableDesc of a global table.
func (r *renderer) generateGlobalTableDesc(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	g.P("var ", n.Desc, " = ", runtimePkg.Ident("TableDesc"), "{")
	g.P("Name: ", n.Const, ",")
	g.P("Global: true,")
	g.P("Source: ", r.topicRef(g, t.Source), ",")
	r.generateTableValue(g, t)
	g.P("}")
	g.P()
}

// generateTopicTableDesc writes the runtime.TableDesc of a table fed from
// a topic: the topic is its changelog too.
func (r *renderer) generateTopicTableDesc(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	g.P("var ", n.Desc, " = ", runtimePkg.Ident("TableDesc"), "{")
	g.P("Name: ", n.Const, ",")
	g.P("FromTopic: true,")
	g.P("Source: ", r.topicRef(g, t.Source), ",")
	g.P("Changelog: ", r.topicRef(g, t.Source), ",")
	g.P("DeadLetter: &", runtimePkg.Ident("TopicDesc"), "{")
	g.P("Name: ", n.DeadLetter, ",")
	g.P("Partitions: ", t.DeadLetter.Partitions, ",")
	g.P("ReplicationFactor: ", t.DeadLetter.ReplicationFactor, ",")
	g.P("Codec: ", runtimePkg.Ident("CodecBytes"), ",")
	g.P("PartitionsFrom: ", r.topicRef(g, t.Source), ",")
	g.P("},")
	r.generateTableValue(g, t)
	g.P("}")
	g.P()
}

// generateTopicTable writes the typed accessor of a table fed from a
// topic: the current record's key's value, read only.
func (r *renderer) generateTopicTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	r.generateReadOnlyTable(g, t, n, ", fed from topic "+strconv.Quote(t.Source.Name)+
		", for the key of the record being handled: the latest value of the key in the topic, as far as this worker "+
		"has read its partition. Write it by producing to the topic.")
}

// generateReadOnlyTable writes the typed accessor of a table agents only
// read (fed from a topic, or a join), its doc saying what after "reads
// table <name>".
func (r *renderer) generateReadOnlyTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames, doc string) {
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	comment(g, 0, n.Iface, " reads table ", strconv.Quote(t.Name), doc)
	g.P("type ", n.Iface, " interface {")
	comment(g, 1, "Get returns the key's value, or the table's default, and whether the key has a value.")
	g.P("Get(ctx ", contextPkg.Ident("Context"), ") (", v, ", bool, error)")
	g.P("}")
	g.P()
	generateTableImpl(g, n)
	g.P("func (x ", n.Impl, ") Get(ctx ", contextPkg.Ident("Context"), ") (", v, ", bool, error) {")
	g.P("m, ok, err := x.e.TableFind(ctx, x.i)")
	g.P("if err != nil {")
	g.P("return nil, false, err")
	g.P("}")
	g.P("return m.(", v, "), ok, nil")
	g.P("}")
	g.P()
}

// generateTableValue writes the New and Default fields of a TableDesc.
func (r *renderer) generateTableValue(g *protogen.GeneratedFile, t *dsl.Table) {
	g.P("New: func() ", protoPkg.Ident("Message"), " { return new(", r.message(t.Value), ") },")
	if def := defaultBytes(t); len(def) > 0 {
		g.P("Default: []byte(", strconv.Quote(string(def)), "),")
	}
}

// generateTable writes the typed accessor of a plain table.
func (r *renderer) generateTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	ctx := g.QualifiedGoIdent(contextPkg.Ident("Context"))
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	comment(g, 0, n.Iface, " is typed access to table ", strconv.Quote(t.Name), " for the key of the ",
		"record being handled. Writes take effect, in the store and the changelog, only if the handler ",
		"returns nil.")
	g.P("type ", n.Iface, " interface {")
	comment(g, 1, "Get returns the key's value, or the table's default if it has none.")
	g.P("Get(ctx ", ctx, ") (", v, ", error)")
	comment(g, 1, "Put sets the key's value.")
	g.P("Put(ctx ", ctx, ", v ", v, ") error")
	comment(g, 1, "Delete removes the key.")
	g.P("Delete(ctx ", ctx, ") error")
	comment(g, 1, "Update gets the key's value, lets fn change it, and puts it back.")
	g.P("Update(ctx ", ctx, ", fn func(v ", v, ") error) error")
	g.P("}")
	g.P()
	generateTableImpl(g, n)
	generateTableRead(g, n, "Get", "", "TableGet(ctx, x.i)", v)
	g.P("func (x ", n.Impl, ") Put(ctx ", ctx, ", v ", v, ") error {")
	g.P("return x.e.TablePut(ctx, x.i, v)")
	g.P("}")
	g.P()
	g.P("func (x ", n.Impl, ") Delete(ctx ", ctx, ") error {")
	g.P("return x.e.TableDelete(ctx, x.i)")
	g.P("}")
	g.P()
	g.P("func (x ", n.Impl, ") Update(ctx ", ctx, ", fn func(v ", v, ") error) error {")
	g.P("v, err := x.Get(ctx)")
	g.P("if err != nil {")
	g.P("return err")
	g.P("}")
	g.P("if err := fn(v); err != nil {")
	g.P("return err")
	g.P("}")
	g.P("return x.Put(ctx, v)")
	g.P("}")
	g.P()
}

// generateTableImpl writes the struct that implements a table accessor:
// the emitter, and the table's index in the agent's tables.
func generateTableImpl(g *protogen.GeneratedFile, n tableNames) {
	g.P("type ", n.Impl, " struct {")
	g.P("e *", runtimePkg.Ident("Emitter"))
	g.P("i int")
	g.P("}")
	g.P()
}

// generateTableRead writes an accessor method that returns one value of
// type v, read by the Emitter method call.
func generateTableRead(g *protogen.GeneratedFile, n tableNames, name, params, call, v string) {
	g.P("func (x ", n.Impl, ") ", name, "(ctx ", contextPkg.Ident("Context"), params, ") (", v, ", error) {")
	g.P("m, err := x.e.", call)
	g.P("if err != nil {")
	g.P("return nil, err")
	g.P("}")
	g.P("return m.(", v, "), nil")
	g.P("}")
	g.P()
}

// generateWindowedTable writes the typed accessor of a windowed table.
func (r *renderer) generateWindowedTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
	dur := g.QualifiedGoIdent(timePkg.Ident("Duration"))
	generateWindowedTableInterface(g, t, n, v)
	generateTableImpl(g, n)
	g.P("func (x ", n.Impl, ") Update(ctx ", contextPkg.Ident("Context"), ", fn func(v ", v, ") error) error {")
	g.P("return x.e.TableWindowUpdate(ctx, x.i, func(m ", protoPkg.Ident("Message"), ") error { return fn(m.(", v, ")) })")
	g.P("}")
	g.P()
	generateTableRead(g, n, "Current", "", "TableWindowCurrent(ctx, x.i)", v)
	generateTableRead(g, n, "Now", "", "TableWindowNow(ctx, x.i)", v)
	generateTableRead(g, n, "At", ", t "+tm, "TableWindowAt(ctx, x.i, t)", v)
	generateTableRead(g, n, "Delta", ", d "+dur, "TableWindowAt(ctx, x.i, x.e.EventTime().Add(-d))", v)
	generateWindowRange(g, n, v)
}

// generateSessionTable writes the typed accessor of a session-windowed
// table.
func (r *renderer) generateSessionTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	ctx := g.QualifiedGoIdent(contextPkg.Ident("Context"))
	tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
	window := g.QualifiedGoIdent(runtimePkg.Ident("Window")) + "[" + v + "]"
	comment(g, 0, n.Iface, " is typed access to table ", strconv.Quote(t.Name), " (", windowDoc(t.Window),
		") for the key of the record being handled: a key's events closer than the gap share a session, ",
		"from its first event to its last. Writes take effect, in the store and the changelog, only if the ",
		"handler returns nil.")
	g.P("type ", n.Iface, " interface {")
	comment(g, 1, "Update adds the record's event to its session (the open sessions within the gap of it, ",
		"merged by ", n.Merge, " when it joins several, or a new one with the table's default value), lets fn ",
		"change the session's value and stores it. An event whose session would be closed already (its end ",
		"plus gap plus grace passed) is skipped and logged.")
	g.P("Update(ctx ", ctx, ", fn func(v ", v, ") error) error")
	comment(g, 1, "Current returns the value of the session containing the record's event time (after ",
		"Update: the session the event joined), or the table's default.")
	g.P("Current(ctx ", ctx, ") (", v, ", error)")
	comment(g, 1, "At returns the value of the session containing t, or the table's default.")
	g.P("At(ctx ", ctx, ", t ", tm, ") (", v, ", error)")
	comment(g, 1, "Range returns the sessions that overlap [from, to), oldest first; End is each ",
		"session's last event.")
	g.P("Range(ctx ", ctx, ", from, to ", tm, ") ([]", window, ", error)")
	g.P("}")
	g.P()
	generateTableImpl(g, n)
	g.P("func (x ", n.Impl, ") Update(ctx ", ctx, ", fn func(v ", v, ") error) error {")
	g.P("return x.e.TableWindowUpdate(ctx, x.i, func(m ", protoPkg.Ident("Message"), ") error { return fn(m.(", v, ")) })")
	g.P("}")
	g.P()
	generateTableRead(g, n, "Current", "", "TableWindowCurrent(ctx, x.i)", v)
	generateTableRead(g, n, "At", ", t "+tm, "TableWindowAt(ctx, x.i, t)", v)
	generateWindowRange(g, n, v)
}

// generateWindowRange writes a windowed table accessor's Range method.
func generateWindowRange(g *protogen.GeneratedFile, n tableNames, v string) {
	tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
	window := g.QualifiedGoIdent(runtimePkg.Ident("Window")) + "[" + v + "]"
	g.P("func (x ", n.Impl, ") Range(ctx ", contextPkg.Ident("Context"), ", from, to ", tm, ") ([]", window, ", error) {")
	g.P("ws, err := x.e.TableWindowRange(ctx, x.i, from, to)")
	g.P("if err != nil {")
	g.P("return nil, err")
	g.P("}")
	g.P("out := make([]", window, ", len(ws))")
	g.P("for i, w := range ws {")
	g.P("out[i] = ", window, "{Start: w.Start, End: w.End, Value: w.Value.(", v, ")}")
	g.P("}")
	g.P("return out, nil")
	g.P("}")
	g.P()
}

// generateWindowedTableInterface writes the interface of a windowed table's
// accessor; v is the value type.
func generateWindowedTableInterface(g *protogen.GeneratedFile, t *dsl.Table, n tableNames, v string) {
	ctx := g.QualifiedGoIdent(contextPkg.Ident("Context"))
	tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
	comment(g, 0, n.Iface, " is typed access to windowed table ", strconv.Quote(t.Name), " (", windowDoc(t.Window),
		") for the key of the record being handled. Writes take ",
		"effect, in the store and the changelog, only if the handler returns nil.")
	g.P("type ", n.Iface, " interface {")
	comment(g, 1, "Update applies fn to the value of every open window that contains the record's ",
		"event time, and stores the results.")
	g.P("Update(ctx ", ctx, ", fn func(v ", v, ") error) error")
	comment(g, 1, "Current returns the value of the window a read at the record's event time returns: ",
		"the newest containing it (sliding windows: the one ending first after it, covering the last ",
		"window size).")
	g.P("Current(ctx ", ctx, ") (", v, ", error)")
	comment(g, 1, "Now is Current at the partition's stream time.")
	g.P("Now(ctx ", ctx, ") (", v, ", error)")
	comment(g, 1, "At is Current at time t.")
	g.P("At(ctx ", ctx, ", t ", tm, ") (", v, ", error)")
	comment(g, 1, "Delta is Current at the record's event time minus d: compare the two for the change.")
	g.P("Delta(ctx ", ctx, ", d ", g.QualifiedGoIdent(timePkg.Ident("Duration")), ") (", v, ", error)")
	comment(g, 1, "Range returns the windows that start in [from, to) and hold a value, oldest first.")
	g.P("Range(ctx ", ctx, ", from, to ", tm, ") ([]", runtimePkg.Ident("Window"), "[", v, "], error)")
	g.P("}")
	g.P()
}

// windowDoc describes a table's windows for doc comments: "tumbling
// windows of 1m0s", "session windows with a 30m0s gap".
func windowDoc(w *dsl.Window) string {
	if w.Session() {
		return "session windows with a " + w.Gap.String() + " gap"
	}
	return windowKind(w) + " windows of " + w.Size.String()
}

// windowKind names a table's windows: tumbling, hopping, sliding or
// session.
func windowKind(w *dsl.Window) string {
	switch {
	case w.Session():
		return "session"
	case w.Sliding:
		return "sliding"
	case w.Step != w.Size:
		return "hopping"
	}
	return "tumbling"
}

// generateGlobalTable writes the typed accessor of a global table.
func (r *renderer) generateGlobalTable(g *protogen.GeneratedFile, t *dsl.Table, n tableNames) {
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	comment(g, 0, n.Iface, " reads global table ", strconv.Quote(t.Name), ", fed from topic ",
		strconv.Quote(t.Source.Name), ": every worker holds all of it. Reads are eventually consistent.")
	g.P("type ", n.Iface, " interface {")
	comment(g, 1, "Get returns the value of key, or the table's default, and whether the key has a value.")
	g.P("Get(ctx ", contextPkg.Ident("Context"), ", key string) (", v, ", bool, error)")
	g.P("}")
	g.P()
	generateTableImpl(g, n)
	generateKeyGet(g, n.Impl, v)
}

// generateKeyGet writes the Get(ctx, key) method of accessor impl, which
// reads values of type v by key (a global table, or a tick's partition).
func generateKeyGet(g *protogen.GeneratedFile, impl, v string) {
	g.P("func (x ", impl, ") Get(ctx ", contextPkg.Ident("Context"), ", key string) (", v, ", bool, error) {")
	g.P("m, ok, err := x.e.TableLookup(ctx, x.i, []byte(key))")
	g.P("if err != nil {")
	g.P("return nil, false, err")
	g.P("}")
	g.P("return m.(", v, "), ok, nil")
	g.P("}")
	g.P()
}

// defaultBytes encodes a table's default_json deterministically.
func defaultBytes(t *dsl.Table) []byte {
	if t.DefaultJSON == "" {
		return nil
	}
	m := dynamicpb.NewMessage(t.Value)
	if err := protojson.Unmarshal([]byte(t.DefaultJSON), m); err != nil {
		panic("streamgen: default_json checked by dsl.Build: " + err.Error())
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// generateTableJoinDesc writes the Join field of a table-table join's
// TableDesc: its sides, kind, and the agents interface's Join method.
func (r *renderer) generateTableJoinDesc(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, n tableNames) {
	j := t.Join
	lv, rv := "*"+g.QualifiedGoIdent(r.message(j.Left.Value)), "*"+g.QualifiedGoIdent(r.message(j.Right.Value))
	g.P("Join: &", runtimePkg.Ident("TableJoinDesc"), "{")
	g.P("Left: &", a.names.table(j.Left).Desc, ",")
	g.P("Right: &", a.names.table(j.Right).Desc, ",")
	g.P("Kind: ", runtimePkg.Ident(joinKindIdent(j.Kind)), ",")
	g.P("Joiner: func(ctx ", contextPkg.Ident("Context"), ", impl any, left, right ", protoPkg.Ident("Message"), ") (",
		protoPkg.Ident("Message"), ", error) {")
	g.P("var l ", lv)
	g.P("if left != nil {")
	g.P("l = left.(", lv, ")")
	g.P("}")
	g.P("var r ", rv)
	g.P("if right != nil {")
	g.P("r = right.(", rv, ")")
	g.P("}")
	g.P("m, err := impl.(", a.names.Agents, ").", n.Join, "(ctx, l, r)")
	g.P("if m == nil {")
	g.P("return nil, err // a nil *", r.message(t.Value).GoName, " is not a nil proto.Message")
	g.P("}")
	g.P("return m, err")
	g.P("},")
	g.P("Method: ", strconv.Quote(a.names.Agents+"."+n.Join), ",")
	if j.ForeignKey != nil {
		g.P("ForeignKey: ", n.ForeignKey, ",")
		g.P("Subscriptions: ", runtimePkg.Ident("FKSubscriptionTopic"), "(", strconv.Quote(j.Subscriptions.Name), ", ",
			r.topicRef(g, j.Subscriptions.PartitionsFrom), "),")
		g.P("Responses: ", runtimePkg.Ident("FKResponseTopic"), "(", strconv.Quote(j.Responses.Name), ", ",
			r.topicRef(g, j.Responses.PartitionsFrom), "),")
		g.P("Index: &", a.names.table(j.Index).Desc, ",")
	}
	g.P("},")
}

// joinKindIdent is the runtime constant of a join kind.
func joinKindIdent(k streamgenv1.JoinKind) string {
	switch k {
	case streamgenv1.JoinKind_JOIN_KIND_LEFT:
		return "JoinLeft"
	case streamgenv1.JoinKind_JOIN_KIND_OUTER:
		return "JoinOuter"
	}
	return "JoinInner"
}

// joinTables returns an app's table-table joins.
func joinTables(a fileApp) []*dsl.Table {
	var out []*dsl.Table
	for _, t := range a.Tables {
		if t.Join != nil {
			out = append(out, t)
		}
	}
	return out
}

// joinParams names the parameters of a table-table join's method: each
// side's value message's Go name, lower-cased first (customer for a
// Customer), or left and right when those are alike or taken.
func joinParams(j *dsl.TableJoin) (string, string) {
	name := func(t *dsl.Table) string {
		s := string(t.Value.Name())
		return strings.ToLower(s[:1]) + s[1:]
	}
	l, r := name(j.Left), name(j.Right)
	bad := func(s string) bool { return token.IsKeyword(s) || types.Universe.Lookup(s) != nil || reservedParams[s] }
	if l == r || bad(l) || bad(r) {
		return "left", "right"
	}
	return l, r
}
