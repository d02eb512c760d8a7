package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/topology"
)

// The page: a worker's live view of its app, at GET /. It is one
// server-rendered HTML document (the app's topology picture inlined, the
// table list) and one small script that polls GET /api/group every two
// seconds and redraws the rest. Its assets are embedded: nothing is
// loaded from elsewhere, so it works offline and needs no build step.

//go:embed assets
var assets embed.FS

// pageTemplate renders assets/page.html.
var pageTemplate = template.Must(template.ParseFS(assets, "assets/page.html"))

// DefaultMemberTimeout is the default of PageConfig.MemberTimeout.
const DefaultMemberTimeout = 2 * time.Second

// PageConfig configures HandlePage.
type PageConfig struct {
	// App is the app the worker runs: the page draws its topology, lists
	// its tables and decodes dead letters with its topics' codecs.
	// Required.
	App *runtime.App
	// URL is this worker's HTTP base URL ("http://host:port"), as it
	// advertises it to the group.
	URL string
	// Members describes the app's consumer group. Default (nil): the page
	// shows this worker only.
	Members func(ctx context.Context) ([]Member, error)
	// MemberTimeout bounds the request for another worker's status.
	// Default: DefaultMemberTimeout, 2 s.
	MemberTimeout time.Duration
}

// HandlePage mounts the page and the JSON it reads:
//
//	GET /            the page (HTML)
//	GET /assets/...  its script and stylesheet
//	GET /status      this worker's Status (JSON)
//	GET /api/group   the group's workers and each one's status: Group (JSON)
//	GET /api/topology.svg  the app's topology picture
//
// It panics when c.App is nil, as Handle does for a bad pattern: a
// programming error.
func (s *Server) HandlePage(c PageConfig) {
	if c.App == nil {
		panic("web: HandlePage: PageConfig.App is nil")
	}
	if c.MemberTimeout <= 0 {
		c.MemberTimeout = DefaultMemberTimeout
	}
	p := &page{s: s, cfg: c, client: &http.Client{Timeout: c.MemberTimeout}}
	var svg bytes.Buffer
	if err := topology.SVG(&svg, topology.Build(topology.FromApp(c.App))); err != nil {
		s.log.Warn("web: drawing the topology", "err", err)
	}
	// The inlined picture drops the XML declaration (not allowed inside
	// HTML).
	p.svg = svg.Bytes()
	if i := bytes.Index(p.svg, []byte("<svg")); i > 0 {
		p.svg = p.svg[i:]
	}
	p.html = p.render()
	static, _ := fs.Sub(assets, "assets")
	s.Handle("GET /{$}", http.HandlerFunc(p.index))
	s.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	s.Handle("GET /status", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, s.workerStatus(c.App, c.URL))
	}))
	s.Handle("GET /api/group", http.HandlerFunc(p.group))
	s.Handle("GET /api/topology.svg", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write(svg.Bytes())
	}))
}

// page serves the page and its JSON.
type page struct {
	s      *Server
	cfg    PageConfig
	client *http.Client // reads the other workers' status
	svg    []byte       // the topology, without the XML declaration
	html   []byte       // the rendered page

	// mu guards the last description of the group.
	mu          sync.Mutex
	described   []Member
	describeErr error
	describedAt time.Time
}

// pageTable is a table as the page's table browser lists it.
type pageTable struct {
	Name       string
	Kind       string // "table", "windowed table", "session table", "global table"
	Partitions int32
	Windowed   bool
}

// render renders the page once: nothing in it changes while the worker
// runs (the script fetches the rest).
func (p *page) render() []byte {
	app := p.cfg.App
	data := struct {
		App, URL, Guarantee string
		Agents              int
		Topology            template.HTML
		Tables              []pageTable
	}{App: app.ID(), URL: p.cfg.URL, Guarantee: "at least once", Agents: len(app.Agents()), Topology: template.HTML(p.svg)}
	if app.ExactlyOnce() {
		data.Guarantee = "exactly once"
	}
	seen := map[string]bool{}
	for _, ag := range app.Agents() {
		for _, td := range ag.Desc.Tables {
			if seen[td.Name] {
				continue
			}
			seen[td.Name] = true
			t := pageTable{Name: td.Name, Kind: "table", Partitions: partitions(td), Windowed: td.Window != nil}
			switch {
			case td.Global:
				t.Kind = "global table"
			case td.Window.Session():
				t.Kind = "session table"
			case td.Window != nil:
				t.Kind = "windowed table"
			}
			data.Tables = append(data.Tables, t)
		}
	}
	slices.SortFunc(data.Tables, func(a, b pageTable) int { return strings.Compare(a.Name, b.Name) })
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		// The template and its data are ours: a failure is a bug; say so on the page.
		return fmt.Appendf(nil, "page template: %v", err)
	}
	return b.Bytes()
}

// index serves the page.
func (p *page) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Scripts and styles from this server only; the picture is inline SVG.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
	_, _ = w.Write(p.html)
}
