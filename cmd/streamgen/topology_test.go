package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
)

// topologyCases are the schemas whose pictures runtime/topology's tests
// draw from the registered apps (testdata/<name>.dot, .mmd there), and
// 01-uppercase, a nested module whose picture only this test draws.
var topologyCases = []struct {
	name, include, file string
	ownGolden           bool // written by this test's -update
}{
	{"uppercase", "../../examples/01-uppercase/proto", "../../examples/01-uppercase/proto/uppercase/v1/uppercase.proto", true},
	{"wordcount", "../../examples/02-wordcount/proto", "../../examples/02-wordcount/proto/wordcount/v1/wordcount.proto", false},
	{"pageviews", "../../examples/03-pageviews/proto", "../../examples/03-pageviews/proto/pageviews/v1/pageviews.proto", false},
	{"withdrawals", "../../examples/04-withdrawals/proto", "../../examples/04-withdrawals/proto/withdrawals/v1/withdrawals.proto", false},
	{"accounts", "../../examples/05-accounts/proto", "../../examples/05-accounts/proto/accounts/v1/accounts.proto", false},
	{"activity", "../../examples/06-activity/proto", "../../examples/06-activity/proto/activity/v1/activity.proto", false},
	{"revenue", "../../examples/07-revenue/proto", "../../examples/07-revenue/proto/revenue/v1/revenue.proto", false},
	{"orders", "../../examples/08-orders/proto", "../../examples/08-orders/proto/orders/v1/orders.proto", false},
	{"attribution", "../../examples/09-attribution/proto", "../../examples/09-attribution/proto/attribution/v1/attribution.proto", false},
	{"pricing", "../../examples/10-pricing/proto", "../../examples/10-pricing/proto/pricing/v1/pricing.proto", false},
	{"testapp", "../../runtime/internal/testapp", "../../runtime/internal/testapp/testapp.proto", false},
}

// TestTopologyOneRule: `streamgen topology` prints, from the .proto
// files, the DOT and Mermaid that runtime/topology's golden test has the
// registered apps print: one rule for the generator and the app binary.
func TestTopologyOneRule(t *testing.T) {
	for _, c := range topologyCases {
		t.Run(c.name, func(t *testing.T) {
			for format, ext := range map[string]string{"dot": ".dot", "mermaid": ".mmd"} {
				var out, errOut bytes.Buffer
				if code := cli.Main([]string{"topology", "-format", format, "-I", c.include, c.file}, &out, &errOut); code != 0 {
					t.Fatalf("exit %d: %s", code, errOut.String())
				}
				path := filepath.Join("..", "..", "runtime", "topology", "testdata", c.name+ext)
				if c.ownGolden && *update {
					if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), out.String()); diff != "" {
					t.Errorf("streamgen topology -format %s differs from %s (-want +got):\n%s", format, path, diff)
				}
			}
		})
	}
}

// TestTopologyApp: -app picks one app of a file declaring several, by id
// or service name, and an unknown name is an error naming the apps.
func TestTopologyApp(t *testing.T) {
	file := "../../runtime/internal/testapp/testapp.proto"
	var byID, byService, errOut bytes.Buffer
	if code := cli.Main([]string{"topology", "-app", "ledger", "-I", "../../runtime/internal/testapp", file}, &byID, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if code := cli.Main([]string{"topology", "-app", "streamgen.testapp.v1.Ledger", "-I", "../../runtime/internal/testapp", file}, &byService, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if byID.String() != byService.String() || !bytes.Contains(byID.Bytes(), []byte(`"cluster_ledger"`)) || bytes.Contains(byID.Bytes(), []byte(`"cluster_shop"`)) {
		t.Errorf("-app ledger drew:\n%s", byID.String())
	}
	errOut.Reset()
	if code := cli.Main([]string{"topology", "-app", "nope", "-I", "../../runtime/internal/testapp", file}, &byID, &errOut); code != 1 || !bytes.Contains(errOut.Bytes(), []byte("checkout (service streamgen.testapp.v1.Checkout)")) {
		t.Errorf("-app nope: exit %d, %s", code, errOut.String())
	}
}
