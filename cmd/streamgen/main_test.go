package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/cli"
	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func standalone(t *testing.T, param string) *pluginpb.CodeGeneratorResponse {
	t.Helper()
	req, err := compile.Request(context.Background(), []string{"testdata"}, []string{"testdata/shop/v1/shop.proto"}, param)
	if err != nil {
		t.Fatal(err)
	}
	resp := cli.Respond(req)
	if resp.Error != nil {
		t.Fatal(resp.GetError())
	}
	return resp
}

func files(resp *pluginpb.CodeGeneratorResponse) map[string]string {
	out := map[string]string{}
	for _, f := range resp.File {
		out[f.GetName()] = f.GetContent()
	}
	return out
}

// TestGolden compares the generator's output for testdata/shop with the
// checked-in expected files; -update (or `make generate`) rewrites them.
func TestGolden(t *testing.T) {
	got := files(standalone(t, "paths=source_relative,pbgo=true"))
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for name, content := range got {
			path := filepath.Join(dir, name+".golden")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]string{}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		want[strings.TrimSuffix(filepath.ToSlash(rel), ".golden")] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated files differ from testdata/golden (-want +got); run `go test ./cmd/streamgen -run Golden -update` if the change is intended:\n%s", diff)
	}
	wantNames := []string{"shop/v1/shop.pb.go", "shop/v1/shop_streamgen.pb.go", "shop/v1/shopv1mock/shop_streamgen_mock.pb.go"}
	if strings.Join(names, ",") != strings.Join(wantNames, ",") {
		t.Errorf("generated %v, want %v", names, wantNames)
	}
}

// TestDeterministic: two runs give the same bytes.
func TestDeterministic(t *testing.T) {
	a := standalone(t, "paths=source_relative,pbgo=true")
	b := standalone(t, "paths=source_relative,pbgo=true")
	if !proto.Equal(a, b) {
		t.Error("two runs on the same input differ")
	}
}

// TestPluginModeIsIdentical: the protoc plugin entry point, given the
// request the standalone mode builds, answers with the same files.
func TestPluginModeIsIdentical(t *testing.T) {
	req, err := compile.Request(context.Background(), []string{"testdata"}, []string{"testdata/shop/v1/shop.proto"}, "paths=source_relative,pbgo=true")
	if err != nil {
		t.Fatal(err)
	}
	in, _ := proto.Marshal(req)
	var out, errOut bytes.Buffer
	if code := cli.Plugin(bytes.NewReader(in), &out, &errOut); code != 0 {
		t.Fatalf("plugin exit %d: %s", code, errOut.String())
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	if err := proto.Unmarshal(out.Bytes(), resp); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files(standalone(t, "paths=source_relative,pbgo=true")), files(resp)); diff != "" {
		t.Errorf("plugin mode differs from standalone (-standalone +plugin):\n%s", diff)
	}
}

// TestUnderProtoc runs the generator as a real protoc plugin (Debian's
// protoc; .ci/run installs it) and compares with the standalone output.
// The only line allowed to differ is the .pb.go header naming protoc's
// version, which protoc-gen-go itself writes.
func TestUnderProtoc(t *testing.T) {
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatal("protoc is not installed: `apt-get install -y protobuf-compiler` (.ci/run does it)")
	}
	tmp := t.TempDir()
	plugin := filepath.Join(tmp, "protoc-gen-streamgen")
	if out, err := exec.Command("go", "build", "-o", plugin, "./protoc-gen-streamgen").CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	outDir := filepath.Join(tmp, "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(protoc, "--plugin=protoc-gen-streamgen="+plugin, "-I", "testdata", "-I", "../../proto",
		"--streamgen_out=paths=source_relative,pbgo=true:"+outDir, "testdata/shop/v1/shop.proto")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, out)
	}
	for name, want := range files(standalone(t, "paths=source_relative,pbgo=true")) {
		got, err := os.ReadFile(filepath.Join(outDir, name))
		if err != nil {
			t.Errorf("%s: not written under protoc: %v", name, err)
			continue
		}
		if diff := cmp.Diff(dropProtocVersion(want), dropProtocVersion(string(got))); diff != "" {
			t.Errorf("%s differs under protoc (-standalone +protoc):\n%s", name, diff)
		}
	}
}

func dropProtocVersion(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "// \tprotoc ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestSchemaErrorsArePositioned: a broken schema gets every error with
// file:line:col, and nothing is written.
func TestSchemaErrorsArePositioned(t *testing.T) {
	dir := t.TempDir()
	src := `syntax = "proto3";
package x.v1;
import "streamgen/v1/streamgen.proto";
option go_package = "example.com/x";
message A {
  option (streamgen.v1.topic) = { name: "a" key: "nope" };
  string id = 1;
}
message B { string id = 1; }
service S {
  option (streamgen.v1.app) = { id: "s" };
  rpc Go(B) returns (A);
}
`
	if err := os.WriteFile(filepath.Join(dir, "x.proto"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"-I", dir, "-out", dir, filepath.Join(dir, "x.proto")}, &stdout, &stderr)
	if code == 0 {
		t.Fatal("streamgen succeeded on a broken schema")
	}
	for _, want := range []string{
		`x.proto:6:45: message A > option topic.key: key field "nope" does not exist`,
		`x.proto:12:3: service S > rpc Go: input x.v1.B is not bound to a topic`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(matches) > 0 {
		t.Errorf("files written despite errors: %v", matches)
	}
	// A syntax error is positioned too.
	if err := os.WriteFile(filepath.Join(dir, "x.proto"), []byte("syntax = \"proto3\";\nmessage {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if cli.Main([]string{"-I", dir, filepath.Join(dir, "x.proto")}, &stdout, &stderr) == 0 || !strings.Contains(stderr.String(), "x.proto:2:9: syntax error") {
		t.Errorf("syntax error not positioned: %s", stderr.String())
	}
}
