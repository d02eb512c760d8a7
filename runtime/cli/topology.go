package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/topology"
)

// defineTopology is the topology subcommand: the registered app's
// topology, drawn by package topology as `streamgen topology` draws it
// from the schema.
func defineTopology(fs *pflag.FlagSet, app *runtime.App) runFunc {
	format := fs.String("format", string(topology.FormatDOT), "output format: dot (Graphviz), mermaid or svg (laid out without Graphviz)")
	appID := fs.String("app", "", "the app to draw; a binary holds one, so only its id is accepted")
	return func(_ context.Context, _ []string, stdout, _ io.Writer) error {
		f, err := topology.ParseFormat(*format)
		if err != nil {
			return fmt.Errorf("--format: %w", err)
		}
		if *appID != "" && *appID != app.ID() {
			return fmt.Errorf("--app %q: this binary runs app %q only", *appID, app.ID())
		}
		return topology.Render(stdout, topology.Build(topology.FromApp(app)), f)
	}
}
