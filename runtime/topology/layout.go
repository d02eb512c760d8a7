package topology

import (
	"sort"
	"strings"
)

// The layout's measures, in SVG user units (pixels).
const (
	fontSize       = 12.0 // attribute lines
	nameSize       = 13.0 // the node's name, bold
	lineHeight     = 17.0
	charWidth      = 0.62 // of the font size: generous for sans-serif, so text stays inside its box
	padX, padY     = 10.0, 8.0
	layerGap       = 90.0 // between columns: room for edge labels
	nodeGap        = 24.0 // between boxes of a column
	margin         = 20.0
	titleHeight    = 28.0
	titleSize      = 14.0
	orderPasses    = 8 // barycenter sweeps, down and up
	placePasses    = 6 // sweeps placing boxes vertically
	dummyHeight    = 8.0
	labelPadding   = 4.0
	reversedOffset = 9.0 // how far an edge drawn against the flow runs beside the others
)

// point is a position.
type point struct{ x, y float64 }

// box is a laid-out node, or a dummy (node nil) where a long edge passes
// a layer.
type box struct {
	node       *Node
	layer      int
	order      float64 // position in its layer while ordering
	x, y, w, h float64 // top left corner, size
}

func (b *box) center() point { return point{b.x + b.w/2, b.y + b.h/2} }

// route is a laid-out edge: a polyline from its source's box to its
// target's.
type route struct {
	edge   *Edge
	points []point
}

// layout is a laid-out graph.
type layout struct {
	title         string // the apps and their guarantees, above the boxes
	boxes         []*box // the nodes' boxes, in the graph's node order
	routes        []route
	width, height float64
}

// textWidth estimates the width of s at size.
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * size * charWidth
}

// layOut places g's nodes in layers from left to right: a node's layer is
// the longest path to it from a node without inputs (edges that close a
// cycle, such as a repartition topic's way back to its agent, are turned
// for this); edges longer than one layer pass dummy boxes; a few
// barycenter sweeps order each layer to reduce crossings; columns are
// centred vertically.
func layOut(g *Graph) *layout {
	n := len(g.Nodes)
	index := map[string]int{}
	l := &layout{}
	for i, nd := range g.Nodes {
		index[nd.ID] = i
		lines := nd.Label()
		w := textWidth(lines[0], nameSize)
		for _, s := range lines[1:] {
			w = max(w, textWidth(s, fontSize))
		}
		l.boxes = append(l.boxes, &box{node: nd, w: w + 2*padX, h: float64(len(lines))*lineHeight + 2*padY})
	}
	// Orient the edges into a DAG: a depth-first search from the nodes
	// without inputs (then any left) turns the edges that point back into
	// its stack.
	type arc struct{ from, to int }
	out := make([][]int, n)
	indeg := make([]int, n)
	for _, e := range g.Edges {
		f, t := index[e.From], index[e.To]
		out[f] = append(out[f], t)
		indeg[t]++
	}
	state := make([]int, n) // 0 new, 1 on stack, 2 done
	back := map[arc]bool{}
	var dfs func(v int)
	dfs = func(v int) {
		state[v] = 1
		for _, w := range out[v] {
			switch state[w] {
			case 0:
				dfs(w)
			case 1:
				back[arc{v, w}] = true
			}
		}
		state[v] = 2
	}
	for v := range n {
		if indeg[v] == 0 && state[v] == 0 {
			dfs(v)
		}
	}
	for v := range n {
		if state[v] == 0 {
			dfs(v)
		}
	}
	type dagEdge struct {
		from, to int
		reversed bool
		edge     *Edge
	}
	var dag []dagEdge
	succ := make([][]int, n)
	for _, e := range g.Edges {
		f, t := index[e.From], index[e.To]
		if f == t {
			continue
		}
		d := dagEdge{from: f, to: t, edge: e}
		if back[arc{f, t}] {
			d = dagEdge{from: t, to: f, reversed: true, edge: e}
		}
		dag = append(dag, d)
		succ[d.from] = append(succ[d.from], d.to)
	}
	// Longest-path layers, in topological order.
	in := make([]int, n)
	for _, d := range dag {
		in[d.to]++
	}
	var queue []int
	for v := range n {
		if in[v] == 0 {
			queue = append(queue, v)
		}
	}
	layer := make([]int, n)
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range succ[v] {
			layer[w] = max(layer[w], layer[v]+1)
			if in[w]--; in[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	// Dummy boxes along long edges; chains hold each edge's boxes from
	// its DAG source to its DAG target.
	all := append([]*box(nil), l.boxes...)
	for v, b := range l.boxes {
		b.layer = layer[v]
	}
	type chain struct {
		d     dagEdge
		boxes []*box
	}
	var chains []chain
	for _, d := range dag {
		c := chain{d: d, boxes: []*box{l.boxes[d.from]}}
		for ly := layer[d.from] + 1; ly < layer[d.to]; ly++ {
			dummy := &box{layer: ly, w: 2, h: dummyHeight}
			all = append(all, dummy)
			c.boxes = append(c.boxes, dummy)
		}
		c.boxes = append(c.boxes, l.boxes[d.to])
		chains = append(chains, c)
	}
	// Layers, first in node order, then by barycenters.
	nlayers := 0
	for _, b := range all {
		nlayers = max(nlayers, b.layer+1)
	}
	layers := make([][]*box, nlayers)
	for _, b := range all {
		b.order = float64(len(layers[b.layer]))
		layers[b.layer] = append(layers[b.layer], b)
	}
	preds, succs := map[*box][]*box{}, map[*box][]*box{}
	for _, c := range chains {
		for i := 1; i < len(c.boxes); i++ {
			succs[c.boxes[i-1]] = append(succs[c.boxes[i-1]], c.boxes[i])
			preds[c.boxes[i]] = append(preds[c.boxes[i]], c.boxes[i-1])
		}
	}
	reorder := func(ly []*box, nb map[*box][]*box) {
		bary := map[*box]float64{}
		for _, b := range ly {
			bary[b] = b.order
			if ns := nb[b]; len(ns) > 0 {
				sum := 0.0
				for _, o := range ns {
					sum += o.order
				}
				bary[b] = sum / float64(len(ns))
			}
		}
		sort.SliceStable(ly, func(i, j int) bool { return bary[ly[i]] < bary[ly[j]] })
		for i, b := range ly {
			b.order = float64(i)
		}
	}
	for pass := range orderPasses {
		if pass%2 == 0 {
			for i := 1; i < nlayers; i++ {
				reorder(layers[i], preds)
			}
		} else {
			for i := nlayers - 2; i >= 0; i-- {
				reorder(layers[i], succs)
			}
		}
	}
	// Columns left to right, boxes left-aligned in them, so that edges
	// leave and enter each column at one x and cross only the gaps.
	x := margin
	colLeft, colRight := make([]float64, nlayers), make([]float64, nlayers)
	for i, ly := range layers {
		w := 0.0
		for _, b := range ly {
			w = max(w, b.w)
		}
		colLeft[i], colRight[i] = x, x+w
		for _, b := range ly {
			b.x = x
		}
		x += w + layerGap
	}
	place(layers, preds, succs)
	top := margin
	if len(g.Apps) > 0 {
		top += titleHeight
	}
	minY, maxY := 0.0, 0.0
	for i, b := range all {
		if i == 0 || b.y < minY {
			minY = b.y
		}
		maxY = max(maxY, b.y+b.h)
	}
	for _, b := range all {
		b.y += top - minY
	}
	var titles []string
	for _, a := range g.Apps {
		titles = append(titles, "app "+a.ID+" ("+a.Guarantee+")")
	}
	l.title = strings.Join(titles, ", ")
	l.width = max(x-layerGap+margin, 2*margin+textWidth(l.title, titleSize))
	l.height = top + maxY - minY + margin
	// Routes: from the right side of the DAG source to its column's
	// right edge, through the dummies' columns, to the left side of the
	// DAG target; reversed for the edges turned above.
	for _, c := range chains {
		first, last := c.boxes[0], c.boxes[len(c.boxes)-1]
		pts := []point{{first.x + first.w, first.center().y}}
		if r := colRight[first.layer]; r > first.x+first.w {
			pts = append(pts, point{r, first.center().y})
		}
		for _, d := range c.boxes[1 : len(c.boxes)-1] {
			pts = append(pts, point{colLeft[d.layer], d.center().y}, point{colRight[d.layer], d.center().y})
		}
		pts = append(pts, point{last.x, last.center().y})
		if c.d.reversed {
			// Beside the edge it runs against (an agent's way to its
			// repartition topic), not on it.
			for i := range pts {
				pts[i].y += reversedOffset
			}
			for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
				pts[i], pts[j] = pts[j], pts[i]
			}
		}
		l.routes = append(l.routes, route{edge: c.d.edge, points: pts})
	}
	return l
}

// place sets the boxes' y, keeping each layer's order: boxes are first
// stacked, then a few sweeps move each box towards the mean centre of its
// neighbours in the layer before (down) or after (up), keeping nodeGap
// between boxes, and shift each layer so that on average it sits where
// its neighbours want it.
func place(layers [][]*box, preds, succs map[*box][]*box) {
	for _, ly := range layers {
		y := 0.0
		for _, b := range ly {
			b.y = y
			y += b.h + nodeGap
		}
	}
	sweep := func(ly []*box, nb map[*box][]*box) {
		want := make([]float64, len(ly))
		for i, b := range ly {
			want[i] = b.y
			if ns := nb[b]; len(ns) > 0 {
				sum := 0.0
				for _, o := range ns {
					sum += o.center().y
				}
				want[i] = sum/float64(len(ns)) - b.h/2
			}
		}
		shift := 0.0
		for i, b := range ly {
			b.y = want[i]
			if i > 0 {
				b.y = max(b.y, ly[i-1].y+ly[i-1].h+nodeGap)
			}
			shift += b.y - want[i]
		}
		shift /= float64(len(ly))
		for _, b := range ly {
			b.y -= shift
		}
	}
	for pass := range placePasses {
		if pass%2 == 0 {
			for i := 1; i < len(layers); i++ {
				sweep(layers[i], preds)
			}
		} else {
			for i := len(layers) - 2; i >= 0; i-- {
				sweep(layers[i], succs)
			}
		}
	}
}
