package generate

import (
	"strconv"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/dsl"
)

const (
	tableclientPkg = protogen.GoImportPath("github.com/streamgen/streamgen/runtime/tableclient")
	iterPkg        = protogen.GoImportPath("iter")
)

// generateTablesClient writes the typed client of an app's table queries:
// a struct over *tableclient.Client, its constructor, and per table the
// methods its kind has. Apps without tables get none.
func (r *renderer) generateTablesClient(g *protogen.GeneratedFile, a fileApp) {
	tables := accessible(a.Tables) // a stream join's buffers are its own
	if len(tables) == 0 {
		return
	}
	n := a.names
	comment(g, 0, n.TablesClient, " reads the tables of app ", strconv.Quote(a.ID), " over HTTP, from ",
		"outside the app: one method per table and read. It calls package tableclient, which links ",
		"neither librdkafka nor Prometheus.")
	g.P("//")
	comment(g, 0, "Its base URL is the HTTP address of any worker of the app, the one the worker ",
		"serves on (its --http-addr), e.g. http://10.0.0.7:6066; the worker forwards reads of keys ",
		"it does not own. It is safe for concurrent use.")
	g.P("type ", n.TablesClient, " struct {")
	g.P("c *", tableclientPkg.Ident("Client"))
	g.P("}")
	g.P()
	comment(g, 0, n.NewClient, " returns a client of the tables of app ", strconv.Quote(a.ID),
		" served by the worker at baseURL. The options (tableclient.WithStandby, WithRetry, ",
		"WithHTTPClient) apply to every call; each method takes more.")
	g.P("func ", n.NewClient, "(baseURL string, opts ...", tableclientPkg.Ident("Option"), ") *", n.TablesClient, " {")
	g.P("return &", n.TablesClient, "{c: ", tableclientPkg.Ident("New"), "(baseURL, opts...)}")
	g.P("}")
	g.P()
	for _, t := range tables {
		tn := a.names.table(t)
		switch {
		case t.Global:
			r.generateClientGet(g, a, t, tn)
		case t.Window != nil:
			r.generateClientAt(g, a, t, tn)
			r.generateClientRange(g, a, t, tn)
		default:
			r.generateClientGet(g, a, t, tn)
			r.generateClientScan(g, a, t, tn)
			r.generateClientAll(g, a, t, tn)
		}
	}
}

// newValueFunc returns the func literal that returns a new value of table t.
func (r *renderer) newValueFunc(g *protogen.GeneratedFile, t *dsl.Table) string {
	v := g.QualifiedGoIdent(r.message(t.Value))
	return "func() *" + v + " { return new(" + v + ") }"
}

// clientMethod writes the start of a method of the tables client, up to
// its opening brace; params follow ctx, and opts follow them.
func clientMethod(g *protogen.GeneratedFile, a fileApp, name, params, results string) {
	g.P("func (x *", a.names.TablesClient, ") ", name, "(ctx ", contextPkg.Ident("Context"), ", ", params,
		", opts ...", tableclientPkg.Ident("Option"), ") ", results, " {")
}

// generateClientGet writes the Get method of a plain or global table. A
// key without a value reads as the table's default.
func (r *renderer) generateClientGet(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, tn tableNames) {
	v := "*" + g.QualifiedGoIdent(r.message(t.Value))
	if t.Global {
		comment(g, 0, tn.Client.Get, " reads key in global table ", strconv.Quote(t.Name), ", fed from ",
			"topic ", strconv.Quote(t.Source.Name), " and held whole by every worker: its value, or the ",
			"table's default when it has none, and whether it has one.")
	} else {
		comment(g, 0, tn.Client.Get, " reads key in table ", strconv.Quote(t.Name), " from its ",
			"partition's owner (or a standby, with tableclient.WithStandby): its value, or the ",
			"table's default when it has none, and whether it has one.")
	}
	clientMethod(g, a, tn.Client.Get, "key string", "("+v+", bool, error)")
	call := []any{tableclientPkg.Ident("Get"), "(ctx, x.c, ", tn.Const, ", key, ", r.newValueFunc(g, t), ", opts...)"}
	if len(defaultBytes(t)) == 0 {
		g.P(append([]any{"return "}, call...)...)
	} else {
		g.P(append([]any{"v, found, err := "}, call...)...)
		g.P("if err != nil || found {")
		g.P("return v, found, err")
		g.P("}")
		g.P("return v, false, ", protoPkg.Ident("Unmarshal"), "(", tn.Desc, ".Default, v)")
	}
	g.P("}")
	g.P()
}

// generateClientScan writes the Scan method of a plain table.
func (r *renderer) generateClientScan(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, tn tableNames) {
	entries := "[]" + g.QualifiedGoIdent(tableclientPkg.Ident("Entry")) + "[*" + g.QualifiedGoIdent(r.message(t.Value)) + "]"
	comment(g, 0, tn.Client.Scan, " reads one page of the keys of table ", strconv.Quote(t.Name), " that start ",
		"with prefix (all keys for \"\"), in partition order, keys in byte order within a partition. ",
		"pageToken is \"\" for the first page, then the previous page's next; next is \"\" after the last ",
		"page. limit caps the page: 0 for the server's default (100), at most 1000.")
	clientMethod(g, a, tn.Client.Scan, "prefix, pageToken string, limit int", "(entries "+entries+", next string, err error)")
	g.P("return ", tableclientPkg.Ident("Scan"), "(ctx, x.c, ", tn.Const, ", prefix, pageToken, limit, ",
		r.newValueFunc(g, t), ", opts...)")
	g.P("}")
	g.P()
}

// generateClientAll writes the iterator over a plain table's keys.
func (r *renderer) generateClientAll(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, tn tableNames) {
	seq := g.QualifiedGoIdent(iterPkg.Ident("Seq2")) + "[" + g.QualifiedGoIdent(tableclientPkg.Ident("Entry")) +
		"[*" + g.QualifiedGoIdent(r.message(t.Value)) + "], error]"
	comment(g, 0, tn.Client.All, " iterates over the keys of table ", strconv.Quote(t.Name), " that start with ",
		"prefix, as ", tn.Client.Scan, " reads them, page after page. An error ends the iteration.")
	clientMethod(g, a, tn.Client.All, "prefix string", seq)
	g.P("return ", tableclientPkg.Ident("All"), "(ctx, x.c, ", tn.Const, ", prefix, ", r.newValueFunc(g, t), ", opts...)")
	g.P("}")
	g.P()
}

// generateClientAt writes the method that reads a windowed table at a time.
// A window without a value reads as the table's default.
func (r *renderer) generateClientAt(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, tn tableNames) {
	window := g.QualifiedGoIdent(tableclientPkg.Ident("Window")) + "[*" + g.QualifiedGoIdent(r.message(t.Value)) + "]"
	if t.Window.Session() {
		comment(g, 0, tn.Client.At, " reads the session of key in table ", strconv.Quote(t.Name), " (",
			windowDoc(t.Window), ") that contains time at. found is false when there is none; its Value is ",
			"then the table's default.")
	} else {
		comment(g, 0, tn.Client.At, " reads the window of key in windowed table ", strconv.Quote(t.Name), " (",
			windowDoc(t.Window), ") that a read at time at returns: ",
			"the newest containing at (sliding windows: the one ending first after it). found is false when ",
			"the window holds no value; its Value is then the table's default.")
	}
	clientMethod(g, a, tn.Client.At, "key string, at "+g.QualifiedGoIdent(timePkg.Ident("Time")),
		"(w "+window+", found bool, err error)")
	call := []any{tableclientPkg.Ident("WindowAt"), "(ctx, x.c, ", tn.Const, ", key, at, ", r.newValueFunc(g, t), ", opts...)"}
	if len(defaultBytes(t)) == 0 {
		g.P(append([]any{"return "}, call...)...)
	} else {
		g.P(append([]any{"w, found, err = "}, call...)...)
		g.P("if err != nil || found {")
		g.P("return w, found, err")
		g.P("}")
		g.P("return w, false, ", protoPkg.Ident("Unmarshal"), "(", tn.Desc, ".Default, w.Value)")
	}
	g.P("}")
	g.P()
}

// generateClientRange writes the method that reads a windowed table's
// windows over a time range.
func (r *renderer) generateClientRange(g *protogen.GeneratedFile, a fileApp, t *dsl.Table, tn tableNames) {
	window := g.QualifiedGoIdent(tableclientPkg.Ident("Window")) + "[*" + g.QualifiedGoIdent(r.message(t.Value)) + "]"
	if t.Window.Session() {
		comment(g, 0, tn.Client.Range, " reads the sessions of key in table ", strconv.Quote(t.Name),
			" that overlap [from, to), oldest first; End is each session's last event.")
	} else {
		comment(g, 0, tn.Client.Range, " reads the windows of key in windowed table ", strconv.Quote(t.Name),
			" that start in [from, to) and hold a value, oldest first.")
	}
	tm := g.QualifiedGoIdent(timePkg.Ident("Time"))
	clientMethod(g, a, tn.Client.Range, "key string, from, to "+tm, "([]"+window+", error)")
	g.P("return ", tableclientPkg.Ident("WindowRange"), "(ctx, x.c, ", tn.Const, ", key, from, to, ",
		r.newValueFunc(g, t), ", opts...)")
	g.P("}")
	g.P()
}
