package topology_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamgen/streamgen/dsl"
	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	pageviewsv1 "github.com/streamgen/streamgen/examples/03-pageviews/gen/pageviews/v1"
	withdrawalsv1 "github.com/streamgen/streamgen/examples/04-withdrawals/gen/withdrawals/v1"
	accountsv1 "github.com/streamgen/streamgen/examples/05-accounts/gen/accounts/v1"
	activityv1 "github.com/streamgen/streamgen/examples/06-activity/gen/activity/v1"
	revenuev1 "github.com/streamgen/streamgen/examples/07-revenue/gen/revenue/v1"
	ordersv1 "github.com/streamgen/streamgen/examples/08-orders/gen/orders/v1"
	attributionv1 "github.com/streamgen/streamgen/examples/09-attribution/gen/attribution/v1"
	pricingv1 "github.com/streamgen/streamgen/examples/10-pricing/gen/pricing/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/topology"
)

var update = flag.Bool("update", false, "rewrite testdata/*.dot, testdata/*.mmd and docs/topology-wordcount.svg")

// example is an app (or, for the test app, several) as an app binary
// registers it, and the generated file it comes from.
type example struct {
	name     string // testdata/<name>.dot, .mmd
	file     protoreflect.FileDescriptor
	register []func(*runtime.App) error
}

var examples = []example{
	{"wordcount", wordcountv1.File_wordcount_v1_wordcount_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return wordcountv1.RegisterWordCounterAgents(a, wordcountv1.UnimplementedWordCounterAgents{})
		},
	}},
	{"pageviews", pageviewsv1.File_pageviews_v1_pageviews_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return pageviewsv1.RegisterPageViewsAgents(a, pageviewsv1.UnimplementedPageViewsAgents{})
		},
	}},
	{"withdrawals", withdrawalsv1.File_withdrawals_v1_withdrawals_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return withdrawalsv1.RegisterWithdrawalsAgents(a, withdrawalsv1.UnimplementedWithdrawalsAgents{})
		},
	}},
	{"accounts", accountsv1.File_accounts_v1_accounts_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return accountsv1.RegisterAccountsAgents(a, accountsv1.UnimplementedAccountsAgents{})
		},
	}},
	{"activity", activityv1.File_activity_v1_activity_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return activityv1.RegisterActivityAgents(a, activityv1.UnimplementedActivityAgents{})
		},
	}},
	{"orders", ordersv1.File_orders_v1_orders_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return ordersv1.RegisterOrdersAgents(a, ordersv1.UnimplementedOrdersAgents{})
		},
	}},
	{"attribution", attributionv1.File_attribution_v1_attribution_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return attributionv1.RegisterAdsAgents(a, attributionv1.UnimplementedAdsAgents{})
		},
	}},
	{"pricing", pricingv1.File_pricing_v1_pricing_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return pricingv1.RegisterPricingAgents(a, pricingv1.UnimplementedPricingAgents{})
		},
	}},
	{"revenue", revenuev1.File_revenue_v1_revenue_proto, []func(*runtime.App) error{
		func(a *runtime.App) error {
			return revenuev1.RegisterRevenueAgents(a, revenuev1.UnimplementedRevenueAgents{})
		},
	}},
	{"testapp", testapp.File_testapp_proto, []func(*runtime.App) error{
		func(a *runtime.App) error { return testapp.RegisterAuditAgents(a, testapp.UnimplementedAuditAgents{}) },
		func(a *runtime.App) error {
			return testapp.RegisterCheckoutAgents(a, testapp.UnimplementedCheckoutAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterLedgerAgents(a, testapp.UnimplementedLedgerAgents{})
		},
		func(a *runtime.App) error { return testapp.RegisterNotesAgents(a, testapp.UnimplementedNotesAgents{}) },
		func(a *runtime.App) error { return testapp.RegisterShopAgents(a, testapp.UnimplementedShopAgents{}) },
		func(a *runtime.App) error { return testapp.RegisterSinkAgents(a, testapp.UnimplementedSinkAgents{}) },
		func(a *runtime.App) error { return testapp.RegisterClockAgents(a, testapp.UnimplementedClockAgents{}) },
		func(a *runtime.App) error {
			return testapp.RegisterRevenueAgents(a, testapp.UnimplementedRevenueAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterVisitsAgents(a, testapp.UnimplementedVisitsAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterTalliesAgents(a, testapp.UnimplementedTalliesAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterEnrichAgents(a, testapp.UnimplementedEnrichAgents{})
		},
		func(a *runtime.App) error { return testapp.RegisterPairsAgents(a, testapp.UnimplementedPairsAgents{}) },
		func(a *runtime.App) error {
			return testapp.RegisterInnerPairsAgents(a, testapp.UnimplementedInnerPairsAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterProfilesAgents(a, testapp.UnimplementedProfilesAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterCatalogAgents(a, testapp.UnimplementedCatalogAgents{})
		},
		func(a *runtime.App) error {
			return testapp.RegisterHistPairsAgents(a, testapp.UnimplementedHistPairsAgents{})
		},
	}},
}

// fromRuntime is the graph of ex as its app binaries see it: each app
// registered on its own runtime.App.
func fromRuntime(t *testing.T, ex example) *topology.Graph {
	t.Helper()
	var descs []*runtime.AppDesc
	for _, reg := range ex.register {
		app := runtime.NewApp()
		if err := reg(app); err != nil {
			t.Fatal(err)
		}
		descs = append(descs, topology.FromApp(app))
	}
	return topology.Build(descs...)
}

// fromModel is the graph of ex as the generator sees it: the dsl model of
// its schema.
func fromModel(t *testing.T, ex example) *topology.Graph {
	t.Helper()
	model, err := dsl.Build([]protoreflect.FileDescriptor{ex.file})
	if err != nil {
		t.Fatal(err)
	}
	var descs []*runtime.AppDesc
	for _, app := range model.Apps {
		descs = append(descs, topology.FromModel(app))
	}
	return topology.Build(descs...)
}

func render(t *testing.T, g *topology.Graph, f topology.Format) string {
	t.Helper()
	var b bytes.Buffer
	if err := topology.Render(&b, g, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// golden compares got with the file at path; -update rewrites it.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); run `go test ./runtime/topology -update` if the change is intended:\n%s", path, diff)
	}
}

// TestGolden compares the DOT and Mermaid of every example app, as its
// app binary registers it, with testdata.
func TestGolden(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			g := fromRuntime(t, ex)
			golden(t, filepath.Join("testdata", ex.name+".dot"), render(t, g, topology.FormatDOT))
			golden(t, filepath.Join("testdata", ex.name+".mmd"), render(t, g, topology.FormatMermaid))
		})
	}
}

// TestOneRule: the generator's model and the registered app give the same
// graph, so both commands print the same picture.
func TestOneRule(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			for _, f := range topology.Formats {
				if diff := cmp.Diff(render(t, fromRuntime(t, ex), f), render(t, fromModel(t, ex), f)); diff != "" {
					t.Errorf("%s: the registered app and the dsl model differ (-runtime +model):\n%s", f, diff)
				}
			}
		})
	}
}

// TestDeterministic: two builds give the same bytes.
func TestDeterministic(t *testing.T) {
	for _, ex := range examples {
		for _, f := range topology.Formats {
			if render(t, fromRuntime(t, ex), f) != render(t, fromRuntime(t, ex), f) {
				t.Errorf("%s %s: two runs differ", ex.name, f)
			}
		}
	}
}

// TestGraph checks the semantics on the test app, which has every kind of
// node and edge.
func TestGraph(t *testing.T) {
	g := fromRuntime(t, examples[len(examples)-1])
	kinds := map[topology.Kind]bool{}
	for _, n := range g.Nodes {
		kinds[n.Kind] = true
	}
	for _, k := range []topology.Kind{topology.KindTopic, topology.KindChangelog, topology.KindDeadLetter,
		topology.KindRepartition, topology.KindAgent, topology.KindTable, topology.KindGlobalTable} {
		if !kinds[k] {
			t.Errorf("no %s node", k)
		}
	}
	labels := map[string]bool{}
	for _, e := range g.Edges {
		if g.Node(e.From) == nil || g.Node(e.To) == nil {
			t.Errorf("edge %s -> %s: a node is missing", e.From, e.To)
		}
		labels[e.Label] = true
	}
	for _, l := range []string{"", "writes", "changelog", "feeds", "reads", "dead letters", "misplaced keys", "closed windows"} {
		if !labels[l] {
			t.Errorf("no edge labelled %q", l)
		}
	}
}

// TestSVG: the SVG of every example parses as XML, shows every label
// line, and its viewBox holds every box. The wordcount picture is
// docs/topology-wordcount.svg.
func TestSVG(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			g := fromRuntime(t, ex)
			svg := render(t, g, topology.FormatSVG)
			if ex.name == "wordcount" {
				golden(t, filepath.Join("..", "..", "docs", "topology-wordcount.svg"), svg)
			}
			checkSVG(t, g, svg)
		})
	}
}

func checkSVG(t *testing.T, g *topology.Graph, svg string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var w, h float64
	texts := map[string]bool{}
	var inText bool
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attr := map[string]float64{}
			for _, a := range tok.Attr {
				if a.Name.Local == "viewBox" && tok.Name.Local == "svg" {
					f := strings.Fields(a.Value)
					w, _ = strconv.ParseFloat(f[2], 64)
					h, _ = strconv.ParseFloat(f[3], 64)
				}
				if v, err := strconv.ParseFloat(a.Value, 64); err == nil {
					attr[a.Name.Local] = v
				}
			}
			switch tok.Name.Local {
			case "script", "image", "style", "foreignObject":
				t.Errorf("<%s> in the SVG", tok.Name.Local)
			case "rect":
				if attr["x"] < 0 || attr["y"] < 0 || attr["x"]+attr["width"] > w || attr["y"]+attr["height"] > h {
					t.Errorf("rect %v outside the viewBox 0 0 %v %v", attr, w, h)
				}
			case "text":
				inText = true
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts[string(tok)] = true
			}
		}
	}
	if w == 0 || h == 0 {
		t.Fatal("no viewBox")
	}
	for _, n := range g.Nodes {
		for _, line := range n.Label() {
			if !texts[line] {
				t.Errorf("label line %q of %s is not in the SVG", line, n.ID)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range topology.Formats {
		if got, err := topology.ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := topology.ParseFormat("png"); err == nil {
		t.Error("ParseFormat(png) = nil error")
	}
}
