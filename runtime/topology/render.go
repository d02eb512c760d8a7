package topology

import (
	"fmt"
	"io"
)

// Format is an output format.
type Format string

// The formats.
const (
	// FormatDOT is Graphviz DOT: `dot -Tsvg` draws it.
	FormatDOT Format = "dot"
	// FormatMermaid is a Mermaid flowchart: GitHub and many wikis draw it.
	FormatMermaid Format = "mermaid"
	// FormatSVG is an SVG image laid out by this package, needing no
	// Graphviz.
	FormatSVG Format = "svg"
)

// Formats lists the formats, the default first.
var Formats = []Format{FormatDOT, FormatMermaid, FormatSVG}

// ParseFormat returns the format named s, or an error listing the formats.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q: use dot, mermaid or svg", s)
}

// Render writes g to w in format f.
func Render(w io.Writer, g *Graph, f Format) error {
	switch f {
	case FormatDOT:
		return DOT(w, g)
	case FormatMermaid:
		return Mermaid(w, g)
	case FormatSVG:
		return SVG(w, g)
	}
	_, err := ParseFormat(string(f))
	return err
}

// style is how the renderers tell the node kinds apart.
type style struct {
	dotShape string // Graphviz shape
	dotStyle string // Graphviz style
	fill     string // fill colour (DOT, SVG)
	stroke   string // border colour (SVG)
	dashed   bool   // dashed border: topics the runtime derives
}

var styles = map[Kind]style{
	KindTopic:       {"box", "rounded,filled", "#dbeafe", "#1e40af", false},
	KindChangelog:   {"box", "rounded,filled,dashed", "#f1f5f9", "#475569", true},
	KindDeadLetter:  {"box", "rounded,filled,dashed", "#fee2e2", "#991b1b", true},
	KindRepartition: {"box", "rounded,filled,dashed", "#f3e8ff", "#6b21a8", true},
	KindAgent:       {"box", "filled,bold", "#fef3c7", "#92400e", false},
	KindTable:       {"cylinder", "filled", "#dcfce7", "#166534", false},
	KindGlobalTable: {"cylinder", "filled,bold", "#ccfbf1", "#115e59", false},
}
