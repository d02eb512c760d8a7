package topology

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// DOT writes g as a Graphviz digraph, flowing left to right: each app's
// agents, tables and internal topics in a cluster labelled with its id and
// guarantee, the declared topics outside, shared by the apps.
func DOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("digraph topology {\n")
	p("  rankdir=LR;\n")
	p("  node [fontname=\"Helvetica\", fontsize=11];\n")
	p("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	for _, n := range g.Nodes {
		if n.App == "" {
			p("  %s;\n", dotNode(n))
		}
	}
	for _, app := range g.Apps {
		p("  subgraph %s {\n", dotID("cluster_"+app.ID))
		p("    label=%s;\n", dotID("app "+app.ID+" ("+app.Guarantee+")"))
		p("    style=rounded;\n")
		for _, n := range g.Nodes {
			if n.App == app.ID {
				p("    %s;\n", dotNode(n))
			}
		}
		p("  }\n")
	}
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotID(e.Label))
		}
		if e.Unused {
			attrs = append(attrs, "style=dashed")
		}
		a := ""
		if len(attrs) > 0 {
			a = " [" + strings.Join(attrs, ", ") + "]"
		}
		p("  %s -> %s%s;\n", dotID(e.From), dotID(e.To), a)
	}
	p("}\n")
	return bw.Flush()
}

func dotNode(n *Node) string {
	s := styles[n.Kind]
	label := strings.Join(escapeAll(n.Label(), dotEscape), `\n`)
	return fmt.Sprintf("%s [label=\"%s\", shape=%s, style=%s, fillcolor=%s, tooltip=%s]",
		dotID(n.ID), label, s.dotShape, dotID(s.dotStyle), dotID(s.fill), dotID(n.Kind.String()))
}

// dotID quotes s as a DOT ID.
func dotID(s string) string { return `"` + dotEscape(s) + `"` }

func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func escapeAll(ss []string, esc func(string) string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = esc(s)
	}
	return out
}
