package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
	"github.com/streamgen/streamgen/dsl"
)

// fuzzFile is where each fuzzed schema is compiled from, under a fresh
// import root; fuzzParam maps it to a Go package, so schemas without a
// go_package (as dsl/testdata's) reach the generator too.
const (
	fuzzFile  = "fuzz/v1/fuzz.proto"
	fuzzParam = "paths=source_relative,pbgo=true,M" + fuzzFile + "=example.com/fuzz/gen/fuzz/v1;fuzzv1"
)

// fuzzSeeds are the repository's real schemas.
var fuzzSeeds = []string{
	"../../examples/*/proto/*/*/*.proto",
	"../../runtime/internal/testapp/*.proto",
	"testdata/*/*/*.proto",
	"../../dsl/testdata/*.proto",
}

// FuzzSchema compiles arbitrary .proto text (seeded with every schema of
// the repository) through the generator's own path: compile.Request (the
// embedded streamgen.proto resolves), dsl.Build, then cli.Respond, the
// plugin function both modes run. A bad schema must be an error, never a
// panic or a hang; every error points at a position; the checker and the
// generator agree; and the same input gives the same answer twice.
func FuzzSchema(f *testing.F) {
	n := 0
	for _, pattern := range fuzzSeeds {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
			n++
		}
	}
	if n < 10 {
		f.Fatalf("found %d seed schemas, want the repository's (examples, testapp, testdata)", n)
	}
	f.Add(``)
	f.Add(`syntax = "proto3"; import "streamgen/v1/streamgen.proto";`)
	f.Add("syntax = \"proto3\";\npackage fuzz.v1;\nimport \"streamgen/v1/streamgen.proto\";\n" +
		"message A { option (streamgen.v1.topic) = {name: \"a\" key: \"id\"}; string id = 1; }\n" +
		"service S { option (streamgen.v1.app) = {id: \"s\"}; rpc R(A) returns (A); }\n")
	f.Fuzz(func(t *testing.T, schema string) {
		root := t.TempDir()
		path := filepath.Join(root, filepath.FromSlash(fuzzFile))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(schema), 0o644); err != nil {
			t.Fatal(err)
		}
		var a, b schemaAnswer
		done := make(chan struct{})
		go func() {
			defer close(done)
			a = answer(t, root, path)
			b = answer(t, root, path)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("no answer within 20 s for schema:\n%s", schema)
		}
		if t.Failed() {
			return
		}
		// Requests are compared as bytes: each compile has its own
		// dynamic extension types, which proto.Equal tells apart.
		if a.compileErr != b.compileErr || a.buildErr != b.buildErr || marshal(t, a.req) != marshal(t, b.req) || !proto.Equal(a.resp, b.resp) {
			t.Fatalf("two runs on the same schema differ:\ncompile %q / %q\nbuild %q / %q\nresponses equal: %v", a.compileErr, b.compileErr, a.buildErr, b.buildErr, proto.Equal(a.resp, b.resp))
		}
	})
}

func marshal(t *testing.T, m proto.Message) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("marshalling %T: %v", m, err)
	}
	return string(b)
}

// schemaAnswer is what the generator's path makes of one schema.
type schemaAnswer struct {
	compileErr string
	req        *pluginpb.CodeGeneratorRequest
	buildErr   string
	resp       *pluginpb.CodeGeneratorResponse
}

// answer runs the schema at path through compile, dsl.Build and the
// generator, and checks what each says.
func answer(t *testing.T, root, path string) (out schemaAnswer) {
	req, err := compile.Request(context.Background(), []string{root}, []string{path}, fuzzParam)
	if err != nil {
		out.compileErr = err.Error()
		for _, line := range strings.Split(out.compileErr, "\n") {
			if !strings.HasPrefix(line, fuzzFile+":") {
				t.Errorf("compile error without the file's position: %q", line)
			}
		}
		return out
	}
	out.req = req
	files, err := protodesc.NewFiles(&descriptorpb.FileDescriptorSet{File: req.GetProtoFile()})
	if err != nil {
		t.Errorf("the compiled request does not link: %v", err)
		return out
	}
	fd, err := files.FindFileByPath(fuzzFile)
	if err != nil {
		t.Errorf("the compiled request lacks %s: %v", fuzzFile, err)
		return out
	}
	if _, err := dsl.Build([]protoreflect.FileDescriptor{fd}); err != nil {
		out.buildErr = err.Error()
		var es dsl.Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Errorf("dsl.Build error %v (%T), want dsl.Errors", err, err)
		}
		for _, e := range es {
			if e.File != fuzzFile || e.Line <= 0 || e.Col <= 0 || e.Path == "" || e.Msg == "" {
				t.Errorf("dsl error without a position in %s, a path or a message: %q", fuzzFile, e.Error())
			}
		}
	}
	out.resp = cli.Respond(req)
	switch msg := out.resp.GetError(); {
	case out.buildErr != "" && msg == "":
		t.Errorf("dsl.Build refused the schema (%s), the generator did not", out.buildErr)
	case strings.Contains(msg, "unparsable Go source"):
		t.Errorf("the generator wrote Go that does not parse: %s", msg)
	case msg == "":
		if len(out.resp.GetFile()) == 0 {
			t.Errorf("the generator succeeded with no files")
		}
		for _, gf := range out.resp.GetFile() {
			if strings.Contains(gf.GetName(), "_streamgen") && !strings.HasPrefix(gf.GetContent(), "// Code generated by streamgen. DO NOT EDIT.") {
				t.Errorf("%s lacks the generated-code header", gf.GetName())
			}
		}
	}
	return out
}
