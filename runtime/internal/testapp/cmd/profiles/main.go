// Command profiles is the Profiles test app (package testapp: table-table
// joins of people, addresses and visit counts) as an app binary, for
// end-to-end tests that kill worker processes (examples/tablejoin_test.go).
package main

import (
	"fmt"
	"os"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

func main() {
	app := runtime.NewApp()
	if err := testapp.RegisterProfilesAgents(app, testapp.Profiles{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
