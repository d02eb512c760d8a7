package topology

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Mermaid writes g as a Mermaid flowchart, flowing left to right: each
// app's agents, tables and internal topics in a subgraph titled with its
// id and guarantee, the declared topics outside. Node ids are n1, n2, ...
// in the graph's node order; topics are rounded boxes (dashed when
// derived), agents boxes, tables cylinders.
func Mermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	ids := map[string]string{}
	for i, n := range g.Nodes {
		ids[n.ID] = fmt.Sprintf("n%d", i+1)
	}
	p("flowchart LR\n")
	for _, n := range g.Nodes {
		if n.App == "" {
			p("  %s\n", mermaidNode(ids[n.ID], n))
		}
	}
	for i, app := range g.Apps {
		p("  subgraph app%d[\"%s\"]\n", i+1, mermaidEscape("app "+app.ID+" ("+app.Guarantee+")"))
		for _, n := range g.Nodes {
			if n.App == app.ID {
				p("    %s\n", mermaidNode(ids[n.ID], n))
			}
		}
		p("  end\n")
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Unused {
			arrow = "-.->"
		}
		if e.Label != "" {
			arrow += "|" + mermaidEscape(e.Label) + "|"
		}
		p("  %s %s %s\n", ids[e.From], arrow, ids[e.To])
	}
	for _, k := range []Kind{KindTopic, KindChangelog, KindDeadLetter, KindRepartition, KindAgent, KindTable, KindGlobalTable} {
		s := styles[k]
		dash := ""
		if s.dashed {
			dash = ",stroke-dasharray:4 3"
		}
		p("  classDef %s fill:%s,stroke:%s%s\n", mermaidClass(k), s.fill, s.stroke, dash)
	}
	for _, n := range g.Nodes {
		p("  class %s %s\n", ids[n.ID], mermaidClass(n.Kind))
	}
	return bw.Flush()
}

func mermaidNode(id string, n *Node) string {
	label := `"` + strings.Join(escapeAll(n.Label(), mermaidEscape), "<br/>") + `"`
	switch n.Kind {
	case KindAgent:
		return id + "[" + label + "]"
	case KindTable, KindGlobalTable:
		return id + "[(" + label + ")]"
	}
	return id + "(" + label + ")"
}

// mermaidClass is the class name of kind k: its name without spaces and
// dashes.
func mermaidClass(k Kind) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(k.String())
}

// mermaidEscape escapes what Mermaid's quoted labels do not take as is.
func mermaidEscape(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;").Replace(s)
}
