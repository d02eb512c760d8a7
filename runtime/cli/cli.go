// Package cli is the command line of a streamgen app, Faust's app.main():
// an app's main function is
//
//	func main() { os.Exit(cli.Main(app)) }
//
// and the binary gets these subcommands (`help` lists each one's flags):
//
//	worker  run a worker (--brokers or STREAMGEN_BROKERS; none: an embedded broker)
//	send    encode values with a topic's codec and produce them
//	tail    print a topic's records, keys and values decoded (tables' changelogs too)
//	demo    start an embedded broker and a worker, send values, print outputs
//	topology  print the app's topology as Graphviz DOT, Mermaid or SVG
//
// worker, send and tail take librdkafka settings (SASL, TLS, ...) as
// repeated -X key=value and from a properties file (--kafka-config or
// STREAMGEN_KAFKA_CONFIG); -X wins over the file.
//
// The files:
//
//	cli.go          Main, Run, the table of subcommands and the usage generated from their flag sets
//	worker.go       the worker subcommand
//	send.go         the send subcommand and Encode
//	tail.go         the tail subcommand and Format: how keys, values and changelog records print
//	demo.go         the demo subcommand
//	topology.go     the topology subcommand (package topology draws it)
//	kafkaconfig.go  -X, --kafka-config and STREAMGEN_KAFKA_CONFIG, and their mapping onto tail's client
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/worker"
)

// Main runs the subcommand named in os.Args and returns the exit code.
func Main(app *runtime.App) int {
	return Run(context.Background(), app, os.Args[1:], os.Stdout, os.Stderr)
}

// runFunc runs a subcommand once its flags are parsed, with the
// arguments left after them.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// command is a subcommand. define declares its flags on fs and returns the
// function that runs it: Run and the usage text both call define, so the
// usage lists exactly the flags a command parses.
type command struct {
	name    string
	args    string // positional arguments, for the synopsis
	summary string
	define  func(fs *flag.FlagSet, app *runtime.App) runFunc
}

var commands = []command{
	{"worker", "", "run a worker of the app; with no brokers (flag, " + worker.EnvBrokers + " or bootstrap.servers)\n" +
		"it starts an embedded broker in-process. More workers with the same brokers\nshare the partitions.", defineWorker},
	{"send", "value...", "encode each value with the topic's codec (text for raw topics, JSON for\n" +
		"protobuf and JSON topics) and produce it.", defineSend},
	{"tail", "", "print the topic's records from the start, one per line: the key, a tab, the\n" +
		"value decoded (text or JSON). A table's changelog prints its values as\n" +
		"JSON, a windowed key as key@window-start, deletes as <tombstone>, and the\n" +
		"runtime's own records (closed windows, stream time) by name.", defineTail},
	{"demo", "value...", "start an embedded broker and a worker, send the values to the first\n" +
		"agent's input topic, and print what the app emitted on the topics no agent\n" +
		"reads; fails, saying why, when nothing arrives.", defineDemo},
	{"topology", "", "print the app's topology (topics, agents, tables, internal topics) as\n" +
		"Graphviz DOT, Mermaid or SVG; `streamgen topology` draws the same from\nthe .proto files.", defineTopology},
}

// usage writes the usage of every command, flags included.
func usage(w io.Writer, app *runtime.App) {
	fmt.Fprintf(w, "usage: %s <command> [flags]    (app %q)\n\ncommands:\n", filepath.Base(os.Args[0]), app.ID())
	for _, c := range commands {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.define(fs, app)
		c.usage(w, fs)
	}
	fmt.Fprintf(w, "  help\n      print this text.\n")
}

// usage writes the synopsis, summary and flags of c, whose flags fs holds.
func (c command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, strings.TrimRight("  "+c.name+" [flags] "+c.args, " "))
	for _, l := range strings.Split(c.summary, "\n") {
		fmt.Fprintf(w, "      %s\n", l)
	}
	fs.VisitAll(func(f *flag.Flag) {
		typ, help := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(w, "    %s%s %s\n", dash, f.Name, typ)
		fmt.Fprintf(w, "        %s", help)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" && f.DefValue != "false" && f.DefValue != "[]" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// Run runs one subcommand with args and returns the exit code: 0, 1 when
// the command failed, 2 for a usage error.
func Run(ctx context.Context, app *runtime.App, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr, app)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(stdout, app)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			return runCommand(ctx, app, c, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "unknown command %q\n", args[0])
	usage(stderr, app)
	return 2
}

func runCommand(ctx context.Context, app *runtime.App, c command, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	run := c.define(fs, app)
	fs.Usage = func() { c.usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package has printed the error and the usage
	}
	if err := run(ctx, fs.Args(), stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

func logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func topicOf(app *runtime.App, name string) (*runtime.TopicDesc, error) {
	var names []string
	for _, t := range app.Topics() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	if name == "" {
		return nil, fmt.Errorf("name a topic with --topic; app %q's topics: %s", app.ID(), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("app %q has no topic %q; its topics: %s", app.ID(), name, strings.Join(names, ", "))
}
