// Command bootstrap regenerates gen/ from proto/: the Go types of the
// streamgen DSL's own options. It needs nothing from gen/, so it works even
// when gen/ is stale. Run it with `make generate` from the repository root.
package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
)

func main() {
	req, err := compile.Request(context.Background(), []string{"proto"},
		[]string{"proto/streamgen/v1/streamgen.proto"}, "module=github.com/streamgen/streamgen")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	resp := compile.Run(req, protogen.Options{}, func(gen *protogen.Plugin) error {
		gen.SupportedFeatures = internal_gengo.SupportedFeatures
		for _, f := range gen.Files {
			if f.Generate {
				internal_gengo.GenerateFile(gen, f)
			}
		}
		return nil
	})
	if _, err := compile.WriteFiles(resp, "."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
