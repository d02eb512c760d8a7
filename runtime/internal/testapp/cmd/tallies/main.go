// Command tallies is the Tallies test app (package testapp: hits counted
// per key, each partition's tallies drained every second by a timer that
// runs on each partition) as an app binary, for end-to-end tests that
// kill worker processes (examples/timer_test.go). Its topics are JSON:
//
//	hits:    {"key":"k1"}
//	drained: {"partition":2,"tickMs":"1767261600000","hits":"7","keys":3,"missed":0}
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
	if err := testapp.RegisterTalliesAgents(app, testapp.Tallies{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
