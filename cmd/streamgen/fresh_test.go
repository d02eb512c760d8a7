package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/cmd/protoc-gen-go/internal_gengo"
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
)

// TestCheckedInCodeIsFresh regenerates, in memory, every generated file
// checked into the repository and fails with "stale generated files" when
// one differs: run `make generate` and commit.
func TestCheckedInCodeIsFresh(t *testing.T) {
	root := filepath.Join("..", "..")
	cases := []struct {
		name     string
		includes []string
		file     string
		param    string
		outRoot  string
		pbgoOnly bool
	}{
		{"gen (DSL options)", []string{"proto"}, "proto/streamgen/v1/streamgen.proto", "module=github.com/streamgen/streamgen", ".", true},
		{"runtime test app", []string{"runtime/internal/testapp"}, "runtime/internal/testapp/testapp.proto", "paths=source_relative,mock=golang,pbgo=true", "runtime/internal/testapp", false},
		{"01-uppercase", []string{"examples/01-uppercase/proto"}, "examples/01-uppercase/proto/uppercase/v1/uppercase.proto",
			"paths=import,module=example.com/uppercase,mock=uber,pbgo=true", "examples/01-uppercase", false},
		{"02-wordcount", []string{"examples/02-wordcount/proto"}, "examples/02-wordcount/proto/wordcount/v1/wordcount.proto",
			"paths=import,module=github.com/streamgen/streamgen/examples/02-wordcount,mock=golang,pbgo=true", "examples/02-wordcount", false},
		{"03-pageviews", []string{"examples/03-pageviews/proto"}, "examples/03-pageviews/proto/pageviews/v1/pageviews.proto",
			"paths=import,module=github.com/streamgen/streamgen/examples/03-pageviews,mock=golang,pbgo=true", "examples/03-pageviews", false},
		{"04-withdrawals", []string{"examples/04-withdrawals/proto"}, "examples/04-withdrawals/proto/withdrawals/v1/withdrawals.proto",
			"paths=import,module=github.com/streamgen/streamgen/examples/04-withdrawals,mock=golang,pbgo=true", "examples/04-withdrawals", false},
		{"05-accounts", []string{"examples/05-accounts/proto"}, "examples/05-accounts/proto/accounts/v1/accounts.proto",
			"paths=import,module=github.com/streamgen/streamgen/examples/05-accounts,mock=golang,pbgo=true", "examples/05-accounts", false},
		{"bench", []string{"examples/bench/proto"}, "examples/bench/proto/bench/v1/bench.proto",
			"paths=import,module=github.com/streamgen/streamgen/examples/bench,mock=none,pbgo=true", "examples/bench", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var includes []string
			for _, i := range c.includes {
				includes = append(includes, filepath.Join(root, i))
			}
			req, err := compile.Request(context.Background(), includes, []string{filepath.Join(root, c.file)}, c.param)
			if err != nil {
				t.Fatal(err)
			}
			resp := cli.Respond(req)
			if c.pbgoOnly {
				resp = compile.Run(req, protogen.Options{}, func(gen *protogen.Plugin) error {
					for _, f := range gen.Files {
						if f.Generate {
							internal_gengo.GenerateFile(gen, f)
						}
					}
					return nil
				})
			}
			if resp.Error != nil {
				t.Fatal(resp.GetError())
			}
			for _, f := range resp.File {
				path := filepath.Join(root, c.outRoot, f.GetName())
				got, err := os.ReadFile(path)
				if err != nil {
					t.Errorf("stale generated files: %s is missing (%v); run make generate", path, err)
					continue
				}
				if string(got) != f.GetContent() {
					t.Errorf("stale generated files: %s differs from what the generator writes now; run make generate", path)
				}
			}
		})
	}
}
