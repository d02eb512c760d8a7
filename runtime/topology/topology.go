// Package topology draws an app's topology: its topics, agents, tables and
// the internal topics the runtime derives (changelogs, dead-letter and
// repartition topics), as Graphviz DOT, Mermaid or SVG.
//
// One rule serves both sides. The generator (`streamgen topology`) turns
// its checked model into runtime descriptors with FromModel; an app binary
// (its `topology` command) reads its registered app with FromApp. Build
// makes the one neutral Graph of either, and each format has one
// renderer. Everything is sorted, so output is byte-for-byte stable.
//
// No cgo, and nothing of package worker or kafka: the generator and small
// tools link it.
//
// The files:
//
//	topology.go  Graph, Node, Edge, their kinds, and Build: the graph's semantics
//	source.go    FromApp and FromModel: runtime descriptors from a registered app or from the dsl model
//	render.go    Format, ParseFormat and Render: the one entry point of the renderers
//	dot.go       the Graphviz DOT renderer
//	mermaid.go   the Mermaid renderer
//	layout.go    a layered layout (longest-path layers, barycenter ordering) for SVG
//	svg.go       the SVG renderer, drawing the layout
package topology

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/streamgen/streamgen/dsl"
	"github.com/streamgen/streamgen/runtime"
)

// Kind is what a node stands for.
type Kind int

// The node kinds.
const (
	// KindTopic is a topic the schema declares.
	KindTopic Kind = iota + 1
	// KindChangelog is a table's changelog topic.
	KindChangelog
	// KindDeadLetter is an agent's dead-letter topic.
	KindDeadLetter
	// KindRepartition is an agent's repartition topic.
	KindRepartition
	// KindAgent is an agent.
	KindAgent
	// KindTable is a table, plain or windowed.
	KindTable
	// KindGlobalTable is a global table.
	KindGlobalTable
)

// String returns the kind's name, as the renderers write it.
func (k Kind) String() string {
	switch k {
	case KindTopic:
		return "topic"
	case KindChangelog:
		return "changelog"
	case KindDeadLetter:
		return "dead-letter topic"
	case KindRepartition:
		return "repartition topic"
	case KindAgent:
		return "agent"
	case KindTable:
		return "table"
	case KindGlobalTable:
		return "global table"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// IsTopic reports whether k is a kind of topic.
func (k Kind) IsTopic() bool { return k >= KindTopic && k <= KindRepartition }

// Attr is one line of a node's label after its name.
type Attr struct {
	// Key is the attribute's name, e.g. "partitions".
	Key string
	// Value is its value, e.g. "4".
	Value string
}

// Node is a topic, agent or table.
type Node struct {
	// ID is unique in the graph: "topic:<name>" for topics,
	// "agent:<app id>/<rpc>" and "table:<app id>/<name>" for the others.
	ID string
	// Kind is what the node stands for.
	Kind Kind
	// Name is the topic, rpc or table name.
	Name string
	// App is the id of the app the node belongs to; "" for the topics
	// the schema declares, which apps share.
	App string
	// Attrs are the label's further lines, in a fixed order per kind.
	Attrs []Attr
}

// Label returns the node's label lines: its name, then "key: value" per
// attribute.
func (n *Node) Label() []string {
	out := []string{n.Name}
	for _, a := range n.Attrs {
		out = append(out, a.Key+": "+a.Value)
	}
	return out
}

// Edge is a flow of records (or of table reads) from one node to another.
type Edge struct {
	// From and To are node IDs.
	From, To string
	// Label says what flows when it is not an agent's input or output:
	// "writes", "changelog", "feeds", "reads", "dead letters",
	// "misplaced keys", "closed windows"; "" otherwise.
	Label string
	// Unused marks an edge the schema declares but a policy leaves
	// unused: a repartition topic whose agent's on_misplaced_key is not
	// MISPLACED_KEY_REPARTITION. Renderers draw it dashed.
	Unused bool
}

// App is an app's entry in a Graph.
type App struct {
	// ID is the app id.
	ID string
	// Guarantee is "at least once" or "exactly once".
	Guarantee string
}

// Graph is the topology of one or more apps: nodes sorted by ID, edges by
// From, To and Label.
type Graph struct {
	// Apps are the apps drawn, sorted by id.
	Apps []App
	// Nodes are sorted by ID.
	Nodes []*Node
	// Edges are sorted by From, To, Label.
	Edges []*Edge
}

// Node returns the node with id, or nil.
func (g *Graph) Node(id string) *Node {
	i := sort.Search(len(g.Nodes), func(i int) bool { return g.Nodes[i].ID >= id })
	if i < len(g.Nodes) && g.Nodes[i].ID == id {
		return g.Nodes[i]
	}
	return nil
}

// builder collects nodes and edges, each once.
type builder struct {
	nodes map[string]*Node
	edges map[Edge]*Edge
}

func (b *builder) node(n *Node) string {
	if _, ok := b.nodes[n.ID]; !ok {
		b.nodes[n.ID] = n
	}
	return n.ID
}

func (b *builder) edge(from, to, label string, unused bool) {
	e := Edge{From: from, To: to, Label: label, Unused: unused}
	if _, ok := b.edges[e]; !ok {
		b.edges[e] = &e
	}
}

// Build returns the graph of apps. A topic several apps use is one node.
func Build(apps ...*runtime.AppDesc) *Graph {
	b := &builder{nodes: map[string]*Node{}, edges: map[Edge]*Edge{}}
	g := &Graph{}
	for _, app := range apps {
		g.Apps = append(g.Apps, App{ID: app.ID, Guarantee: guarantee(app)})
		b.app(app)
	}
	sort.Slice(g.Apps, func(i, j int) bool { return g.Apps[i].ID < g.Apps[j].ID })
	for _, n := range b.nodes {
		g.Nodes = append(g.Nodes, n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].ID < g.Nodes[j].ID })
	for _, e := range b.edges {
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		a, c := g.Edges[i], g.Edges[j]
		if a.From != c.From {
			return a.From < c.From
		}
		if a.To != c.To {
			return a.To < c.To
		}
		if a.Label != c.Label {
			return a.Label < c.Label
		}
		return !a.Unused && c.Unused
	})
	return g
}

func guarantee(app *runtime.AppDesc) string {
	if app.ExactlyOnce {
		return "exactly once"
	}
	return "at least once"
}

// app adds the nodes and edges of one app.
func (b *builder) app(app *runtime.AppDesc) {
	tables := map[string]string{} // table name → node id
	var all []*runtime.TableDesc
	all = append(all, app.Tables...)
	for _, ag := range app.Agents {
		all = append(all, ag.Tables...)
		if ag.WindowClose != nil {
			all = append(all, ag.WindowClose)
		}
	}
	for _, t := range all {
		if _, ok := tables[t.Name]; !ok {
			tables[t.Name] = b.table(app, t)
		}
	}
	for _, t := range all {
		if j := t.Join; j != nil && tables[j.Left.Name] != "" && tables[j.Right.Name] != "" {
			kind := strings.ToLower(strings.TrimPrefix(j.Kind.String(), "JOIN_KIND_")) + " join"
			if j.Subscriptions != nil {
				kind += " by foreign key"
			}
			b.edge(tables[j.Left.Name], tables[t.Name], "left of "+kind, false)
			b.edge(tables[j.Right.Name], tables[t.Name], "right of "+kind, false)
		}
	}
	for _, ag := range app.Agents {
		id := b.node(&Node{ID: "agent:" + app.ID + "/" + ag.Name, Kind: KindAgent, Name: ag.Name, App: app.ID,
			Attrs: agentAttrs(app, ag)})
		if ag.Input != nil {
			b.edge(b.topic(app.ID, KindTopic, ag.Input), id, "", false)
		}
		if j := ag.StreamJoin; j != nil {
			b.edge(b.topic(app.ID, KindTopic, j.Stream), id, "joins", false)
			for side, t := range ag.Tables {
				if j.EmitsUnmatched(side) {
					b.edge(tables[t.Name], id, "unmatched", false)
				}
			}
		}
		for _, out := range ag.Outputs {
			b.edge(id, b.topic(app.ID, KindTopic, out), "", false)
		}
		for _, t := range ag.Tables {
			if t.Global || t.FromTopic || (t.Join != nil && !slices.Contains(ag.Tables, t.Join.Left) && !slices.Contains(ag.Tables, t.Join.Right)) {
				b.edge(tables[t.Name], id, "reads", false) // a join it does not keep
			} else {
				b.edge(id, tables[t.Name], "writes", false)
			}
		}
		if ag.WindowClose != nil {
			b.edge(tables[ag.WindowClose.Name], id, "closed windows", false)
		}
		if ag.DeadLetter != nil {
			b.edge(id, b.topic(app.ID, KindDeadLetter, ag.DeadLetter), "dead letters", false)
		}
		if ag.Repartition != nil {
			rep := b.topic(app.ID, KindRepartition, ag.Repartition)
			if ag.GroupByField != "" {
				b.rekey(rep, ag.GroupByField) // its records are keyed by their group
			}
			used := ag.OnMisplacedKey == runtime.MisplacedKeyRepartition
			b.edge(id, rep, "misplaced keys", !used)
			if used {
				b.edge(rep, id, "", false)
			}
		}
	}
}

// isJoinBuffer reports whether t is a stream join's buffer table
// (runtime.StreamJoinDesc).
func isJoinBuffer(t *runtime.TableDesc) bool {
	return t.New != nil && t.New().ProtoReflect().Descriptor().FullName() == "streamgen.v1.JoinBuffer"
}

// table adds a table, its changelog or its source, and returns its id.
func (b *builder) table(app *runtime.AppDesc, t *runtime.TableDesc) string {
	appID := app.ID
	n := &Node{ID: "table:" + appID + "/" + t.Name, Kind: KindTable, Name: t.Name, App: appID}
	if t.Global {
		n.Kind = KindGlobalTable
	}
	if !t.Global {
		key := "record key"
		if t.KeyFromField || groupedBy(app, t) != "" {
			key = tableKeyField(app, t)
		}
		n.Attrs = append(n.Attrs, Attr{"key", key})
	}
	if t.New != nil {
		n.Attrs = append(n.Attrs, Attr{"value", string(t.New().ProtoReflect().Descriptor().FullName())})
	}
	if w := t.Window; isJoinBuffer(t) {
		n.Attrs = append(n.Attrs, Attr{"window", "join buffer, kept " + dur(w.Grace)})
	} else if w.Session() {
		n.Attrs = append(n.Attrs, Attr{"window", fmt.Sprintf("session, gap %s, grace %s", dur(w.Gap), dur(w.Grace))})
	} else if w != nil {
		kind := "tumbling"
		switch {
		case w.Sliding:
			kind = "sliding"
		case w.Step != w.Size:
			kind = "hopping"
		}
		n.Attrs = append(n.Attrs, Attr{"window", fmt.Sprintf("%s, size %s, step %s, grace %s", kind, dur(w.Size), dur(w.Step), dur(w.Grace))})
	}
	id := b.node(n)
	switch {
	case (t.Global || t.FromTopic) && t.Source != nil:
		b.edge(b.topic(appID, KindTopic, t.Source), id, "feeds", false)
		if t.DeadLetter != nil {
			b.edge(id, b.topic(appID, KindDeadLetter, t.DeadLetter), "dead letters", false)
		}
	case t.Changelog != nil:
		b.edge(id, b.topic(appID, KindChangelog, t.Changelog), "changelog", false)
	}
	return id
}

// topic adds a topic of kind and returns its id. Declared topics belong to
// no app; internal ones to appID.
func (b *builder) topic(appID string, kind Kind, t *runtime.TopicDesc) string {
	n := &Node{ID: "topic:" + t.Name, Kind: kind, Name: t.Name}
	if kind != KindTopic {
		n.App = appID
	}
	n.Attrs = append(n.Attrs, Attr{"partitions", fmt.Sprint(t.Partitions)})
	if kind == KindTopic || kind == KindRepartition {
		n.Attrs = append(n.Attrs, Attr{"key", keyOf(t)})
	}
	n.Attrs = append(n.Attrs, Attr{"codec", codecName(t.Codec)})
	return b.node(n)
}

// tableKeyField names the key field of a table keyed by field: its
// writers' group_by field, else their input topic's key field (the schema
// checks they agree).
func tableKeyField(app *runtime.AppDesc, t *runtime.TableDesc) string {
	if f := groupedBy(app, t); f != "" {
		return f
	}
	for _, ag := range app.Agents {
		for _, at := range ag.Tables {
			if at.Name == t.Name && ag.Input != nil {
				return keyOf(ag.Input)
			}
		}
	}
	return "key field"
}

// groupedBy returns the group_by field of table t's writers, "" if they
// have none.
func groupedBy(app *runtime.AppDesc, t *runtime.TableDesc) string {
	for _, ag := range app.Agents {
		for _, at := range ag.Tables {
			if at.Name == t.Name && ag.GroupByField != "" {
				return ag.GroupByField
			}
		}
	}
	return ""
}

// rekey sets the key shown for topic node id.
func (b *builder) rekey(id, key string) {
	if n := b.nodes[id]; n != nil {
		for i := range n.Attrs {
			if n.Attrs[i].Key == "key" {
				n.Attrs[i].Value = key
			}
		}
	}
}

func agentAttrs(app *runtime.AppDesc, ag *runtime.AgentDesc) []Attr {
	attrs := []Attr{
		{"concurrency", fmt.Sprint(max(ag.Concurrency, 1))},
		{"guarantee", guarantee(app)},
	}
	if ag.Batch != nil {
		attrs = append(attrs, Attr{"batch", fmt.Sprintf("%d records / %v", ag.Batch.MaxRecords, ag.Batch.MaxWait)})
	}
	if t := ag.Timer; t != nil {
		attrs = append(attrs, Attr{"runs", t.String()})
	}
	if ag.GroupByField != "" {
		attrs = append(attrs, Attr{"group by", ag.GroupByField})
	}
	if ag.OnError == runtime.OnErrorStop {
		attrs = append(attrs, Attr{"on error", "stop"})
	}
	if ag.OnMisplacedKey == runtime.MisplacedKeyDeadLetter || ag.OnMisplacedKey == runtime.MisplacedKeyStop {
		attrs = append(attrs, Attr{"misplaced keys", strings.ToLower(strings.TrimPrefix(ag.OnMisplacedKey.String(), "MISPLACED_KEY_"))})
	}
	return attrs
}

// keyOf names a topic's key: the key field its topic option declares, or
// "record key". It reads the option from the message's descriptor, so
// generated messages and the generator's dynamic ones answer alike.
func keyOf(t *runtime.TopicDesc) string {
	if t.New == nil {
		return "record key"
	}
	opt, ok, err := dsl.TopicOf(t.New().ProtoReflect().Descriptor())
	if err != nil || !ok || opt.GetKey() == "" {
		return "record key"
	}
	return opt.GetKey()
}

func codecName(c runtime.Codec) string {
	switch c {
	case runtime.CodecProto:
		return "proto"
	case runtime.CodecJSON:
		return "json"
	case runtime.CodecRaw:
		return "raw"
	case runtime.CodecBytes:
		return "bytes"
	}
	return c.String()
}

// dur writes a duration without zero units: 1m, 1h30m, 10s, 0s.
func dur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
