// Command streamgen generates typed Go stream processors from .proto files
// annotated with streamgen's options, and runs a development broker.
//
// # Generating code
//
// In a service repository, pin the generator with go.mod's tool directive
// (`go get -tool github.com/streamgen/streamgen/cmd/streamgen`) and put a
// go:generate line next to your schemas:
//
//	//go:generate go tool streamgen -I proto proto/shop/v1/shop.proto
//
// streamgen compiles the files in-process (nothing else to install; the
// DSL's own streamgen/v1/streamgen.proto and the well-known types resolve
// without being on the import path) and writes, for each file, next to
// where protoc-gen-go would put it:
//
//   - x.pb.go: the messages, byte for byte as protoc-gen-go writes them;
//   - x_streamgen.pb.go: topic handles and names, and per app service the
//     agents interface, typed emitters, Unimplemented struct and Register
//     function;
//   - <pkg>mock/x_streamgen_mock.pb.go: gomock mocks of the interfaces.
//
// Flags:
//
//	-I dir       import path (repeatable; default ".")
//	-out dir     output root (default ".")
//	-paths mode  source_relative (default: output beside the .proto, under
//	             -out) or import (output under the Go import path)
//	-module m    with -paths=import, strip module path m from output paths
//	-mock lib    golang (github.com/golang/mock, default), uber
//	             (go.uber.org/mock) or none
//
// A schema that breaks a rule is reported with every problem at once, each
// as file:line:col, the element, and what to do; nothing is written then.
//
// # As a protoc or buf plugin
//
// The same generator runs as protoc-gen-streamgen (the command of that
// name, or this binary invoked under that name) with byte-identical
// output. buf.gen.yaml:
//
//	version: v2
//	plugins:
//	  - local: protoc-gen-go
//	    out: .
//	    opt: paths=source_relative
//	  - local: protoc-gen-streamgen
//	    out: .
//	    opt: paths=source_relative,mock=golang
//
// Add pbgo=true to have the plugin write the .pb.go files too, in place of
// protoc-gen-go.
//
// # Topology
//
//	streamgen topology [-I dir]... [-format dot|mermaid|svg] [-app id] file.proto...
//
// compiles the files as generation does and prints their apps' topology
// (topics with partitions, key and codec; agents with concurrency and
// guarantee; tables, windows, changelogs, dead-letter and repartition
// topics; global tables and their sources) to stdout as Graphviz DOT (the
// default), Mermaid, or SVG laid out without Graphviz. -app draws one app
// (its id or service name); by default every app the files declare is
// drawn, in one picture. An app binary's `topology` command prints the
// same picture from the registered app.
//
// # Development broker
//
//	streamgen dev-broker [-port 9092] [-data-dir dir] [-addr-file f]
//
// runs an embedded Kafka-compatible broker (franz-go's kfake) until
// interrupted, printing its bootstrap address. Workers started with
// --brokers <addr> (or STREAMGEN_BROKERS) share it.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
)

func main() {
	if strings.HasPrefix(filepath.Base(os.Args[0]), "protoc-gen-streamgen") {
		os.Exit(cli.Plugin(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
