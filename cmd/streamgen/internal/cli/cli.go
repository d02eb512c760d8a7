// Package cli is the streamgen command line: flag parsing and dispatch to
// the generator (standalone and protoc plugin modes) and the dev broker.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
	"github.com/streamgen/streamgen/cmd/streamgen/internal/generate"
	"github.com/streamgen/streamgen/runtime/broker"
)

const usage = `usage:
  streamgen [generate] [-I dir]... [-out dir] [-paths source_relative|import] [-module m] [-mock golang|uber|none] file.proto...
  streamgen topology [-I dir]... [-format dot|mermaid|svg] [-app id] file.proto...
  streamgen dev-broker [-port n] [-data-dir dir] [-addr-file f]
  streamgen plugin      (protoc plugin mode: request on stdin, response on stdout)
`

// Main runs the command with args (without the program name) and returns
// the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "generate":
			return Generate(args[1:], stdout, stderr)
		case "dev-broker":
			return DevBroker(args[1:], stdout, stderr)
		case "topology":
			return Topology(args[1:], stdout, stderr)
		case "plugin":
			return Plugin(os.Stdin, stdout, stderr)
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	return Generate(args, stdout, stderr)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// Generate compiles the .proto files named in args and writes the
// generated Go files.
func Generate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var includes multiFlag
	fs.Var(&includes, "I", "import path (repeatable; default \".\")")
	out := fs.String("out", ".", "output root directory")
	paths := fs.String("paths", "source_relative", "output layout: source_relative or import")
	module := fs.String("module", "", "with -paths=import, strip this module path from output paths")
	mock := fs.String("mock", generate.MockGolang, "gomock library: golang, uber or none")
	pbgo := fs.Bool("pbgo", true, "also write the .pb.go message code")
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "streamgen: no .proto files given")
		fmt.Fprint(stderr, usage)
		return 2
	}
	param := []string{"paths=" + *paths, "mock=" + *mock, fmt.Sprintf("pbgo=%t", *pbgo)}
	if *module != "" {
		param = append(param, "module="+*module)
	}
	req, err := compile.Request(context.Background(), includes, fs.Args(), strings.Join(param, ","))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	resp := Respond(req)
	if _, err := compile.WriteFiles(resp, *out); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// Respond runs the generator on a plugin request: the one code path of
// both modes.
func Respond(req *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse {
	var p generate.Params
	return compile.Run(req, protogen.Options{ParamFunc: p.Set}, func(gen *protogen.Plugin) error {
		return generate.Run(gen, p)
	})
}

// Plugin runs protoc plugin mode: a request on stdin, a response on stdout.
func Plugin(stdin io.Reader, stdout, stderr io.Writer) int {
	req, err := compile.ReadRequest(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "protoc-gen-streamgen:", err)
		return 1
	}
	if err := compile.WriteResponse(stdout, Respond(req)); err != nil {
		fmt.Fprintln(stderr, "protoc-gen-streamgen:", err)
		return 1
	}
	return 0
}

// DevBroker runs an embedded broker until SIGINT or SIGTERM.
func DevBroker(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamgen dev-broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 0, "TCP port on 127.0.0.1 (0: a random free port)")
	dataDir := fs.String("data-dir", "", "keep topics, records and offsets in this directory across restarts")
	addrFile := fs.String("addr-file", "", "write the bootstrap address to this file once listening")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := broker.Run(ctx, func(addr string) {
		fmt.Fprintf(stdout, "streamgen dev-broker listening on %s\n", addr)
		if *dataDir != "" {
			fmt.Fprintf(stdout, "data directory: %s\n", *dataDir)
		}
		if *addrFile != "" {
			tmp := *addrFile + ".tmp"
			err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644)
			if err == nil {
				err = os.Rename(tmp, *addrFile)
			}
			if err != nil {
				fmt.Fprintf(stderr, "streamgen dev-broker: writing -addr-file: %v\n", err)
			}
		}
	}, broker.WithPort(*port), broker.WithDataDir(*dataDir), broker.WithLogger(logger))
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "streamgen dev-broker:", err)
		return 1
	}
	return 0
}
