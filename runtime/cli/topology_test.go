package cli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/topology"
)

// TestTopology: the topology command prints what package topology draws
// of the registered app, in each format; a bad format or another app's id
// is an error.
func TestTopology(t *testing.T) {
	app := ledgerApp(t)
	for _, f := range topology.Formats {
		code, out, errOut := run(t, app, "topology", "--format", string(f))
		if code != 0 {
			t.Fatalf("topology --format %s: exit %d: %s", f, code, errOut)
		}
		var want bytes.Buffer
		if err := topology.Render(&want, topology.Build(topology.FromApp(app)), f); err != nil {
			t.Fatal(err)
		}
		if out != want.String() {
			t.Errorf("topology --format %s printed:\n%s\nwant:\n%s", f, out, want.String())
		}
	}
	code, out, _ := run(t, app, "topology", "--app", "ledger")
	if code != 0 || !strings.HasPrefix(out, "digraph topology {") || !strings.Contains(out, `"table:ledger/minute-sums"`) {
		t.Errorf("topology --app ledger: exit %d, printed:\n%s", code, out)
	}
	if code, _, errOut := run(t, app, "topology", "--format", "png"); code != 1 || !strings.Contains(errOut, "use dot, mermaid or svg") {
		t.Errorf("--format png: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, app, "topology", "--app", "shop"); code != 1 || !strings.Contains(errOut, `runs app "ledger"`) {
		t.Errorf("--app shop: exit %d, %s", code, errOut)
	}
}
