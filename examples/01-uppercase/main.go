// Command uppercase is the seed example, Faust's first agent in streamgen:
// lines of text on my-topic are uppercased onto processed-topic.
//
//	go run . demo hello world          # embedded broker, send, print outputs
//	go run . worker --brokers host:9092 # a worker; run several to share partitions
//	go run . send --topic my-topic --brokers host:9092 hello
//
// It is laid out as a team's service repository: its own go.mod, the
// generator pinned with the tool directive, and generated code checked in
// under gen/.
package main

//go:generate go tool streamgen -I proto -paths import -module example.com/uppercase -mock uber proto/uppercase/v1/uppercase.proto

import (
	"context"
	"fmt"
	"os"
	"strings"

	uppercasev1 "example.com/uppercase/gen/uppercase/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements the generated uppercasev1.UppercaseAgents interface.
type Agents struct {
	uppercasev1.UnimplementedUppercaseAgents
}

// Uppercase emits the event's text in upper case.
func (Agents) Uppercase(ctx context.Context, in *uppercasev1.Event, out uppercasev1.UppercaseUppercaseEmitter) error {
	return out.EmitProcessed(ctx, &uppercasev1.Processed{Text: strings.ToUpper(in.GetText())})
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := uppercasev1.RegisterUppercaseAgents(app, Agents{}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	app, err := NewApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
