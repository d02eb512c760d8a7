// Command catalog is the Catalog test app (package testapp: foreign-key
// joins of order lines with products) as an app binary, for tests that
// kill worker processes (runtime/worker/fkjoin_test.go).
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
	if err := testapp.RegisterCatalogAgents(app, testapp.Catalog{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
