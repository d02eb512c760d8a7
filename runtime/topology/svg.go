package topology

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// SVG writes g as a standalone SVG image laid out by this package (see
// layout.go): plain SVG 1.1 with no scripts, no external fonts or
// stylesheets. Boxes are coloured by kind (dashed borders for the topics
// the runtime derives, rounder corners for tables), edges are polylines
// with arrowheads, labelled as in the DOT output.
func SVG(w io.Writer, g *Graph) error {
	l := layOut(g)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	p(`<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="%s" height="%s" viewBox="0 0 %s %s" font-family="Helvetica, Arial, sans-serif">`+"\n",
		num(l.width), num(l.height), num(l.width), num(l.height))
	p(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#334155"/></marker></defs>` + "\n")
	p(`<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(l.width), num(l.height))
	if l.title != "" {
		p(`<text x="%s" y="%s" font-size="%s" font-weight="bold" fill="#0f172a">%s</text>`+"\n",
			num(margin), num(margin+titleSize), num(titleSize), xmlEscape(l.title))
	}
	for _, r := range l.routes {
		var pts []string
		for _, pt := range r.points {
			pts = append(pts, num(pt.x)+","+num(pt.y))
		}
		dash := ""
		if r.edge.Unused {
			dash = ` stroke-dasharray="5 4"`
		}
		p(`<polyline points="%s" fill="none" stroke="#334155" stroke-width="1.3"%s marker-end="url(#arrow)"><title>%s</title></polyline>`+"\n",
			strings.Join(pts, " "), dash, xmlEscape(r.edge.From+" → "+r.edge.To))
	}
	for _, r := range l.routes {
		if r.edge.Label == "" {
			continue
		}
		// On the middle of the route's middle segment.
		i := (len(r.points) - 1) / 2
		a, b := r.points[i], r.points[i+1]
		x, y := (a.x+b.x)/2, (a.y+b.y)/2
		tw := textWidth(r.edge.Label, 10)
		p(`<rect x="%s" y="%s" width="%s" height="%s" fill="#ffffff" fill-opacity="0.85"/>`+"\n",
			num(x-tw/2-labelPadding), num(y-9), num(tw+2*labelPadding), num(13))
		p(`<text x="%s" y="%s" font-size="10" text-anchor="middle" fill="#334155">%s</text>`+"\n",
			num(x), num(y+1), xmlEscape(r.edge.Label))
	}
	for _, b := range l.boxes {
		n, s := b.node, styles[b.node.Kind]
		rx := 6.0
		switch n.Kind {
		case KindAgent:
			rx = 0
		case KindTable, KindGlobalTable:
			rx = 14
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="4 3"`
		}
		width := 1.2
		if n.Kind == KindAgent || n.Kind == KindGlobalTable {
			width = 2
		}
		p(`<g><title>%s</title>`+"\n", xmlEscape(n.Kind.String()+" "+n.Name))
		p(`<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="%s"%s/>`+"\n",
			num(b.x), num(b.y), num(b.w), num(b.h), num(rx), s.fill, s.stroke, num(width), dash)
		for i, line := range n.Label() {
			y := b.y + padY + float64(i+1)*lineHeight - 4
			if i == 0 {
				p(`<text x="%s" y="%s" font-size="%s" font-weight="bold" fill="#0f172a">%s</text>`+"\n",
					num(b.x+padX), num(y), num(nameSize), xmlEscape(line))
				continue
			}
			p(`<text x="%s" y="%s" font-size="%s" fill="#334155">%s</text>`+"\n",
				num(b.x+padX), num(y), num(fontSize), xmlEscape(line))
		}
		p("</g>\n")
	}
	p("</svg>\n")
	return bw.Flush()
}

// num writes a coordinate with at most one decimal.
func num(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
