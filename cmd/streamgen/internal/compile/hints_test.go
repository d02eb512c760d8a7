package compile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
)

// TestErrorHints: a compiler error whose cause is known keeps its
// file:line:col and message and ends with what to do; one whose cause is
// not known keeps its bare message.
func TestErrorHints(t *testing.T) {
	const head = "syntax = \"proto3\";\npackage x.v1;\nimport \"streamgen/v1/streamgen.proto\";\n"
	for _, c := range []struct {
		name, src, want string
	}{{
		name: "misspelled option field",
		src:  head + "message A {\n  option (streamgen.v1.topic) = { name: \"a\" partition: 4 };\n  string id = 1;\n}\n",
		want: `x.proto:5:45: message x.v1.A: option (streamgen.v1.topic): field partition not found; did you mean partitions?`,
	}, {
		name: "misspelled field of a message nested in an option",
		src:  head + "message A { string id = 1; }\nservice S {\n  option (streamgen.v1.app) = { id: \"s\" tables: [{name: \"t\" valeu: \"x.v1.A\"}] };\n}\n",
		want: `x.proto:6:61: service x.v1.S: option (streamgen.v1.app): field valeu not found; did you mean value?`,
	}, {
		name: "option field too far from any",
		src:  head + "message A {\n  option (streamgen.v1.topic) = { name: \"a\" colour: 4 };\n  string id = 1;\n}\n",
		want: `x.proto:5:45: message x.v1.A: option (streamgen.v1.topic): field colour not found`,
	}, {
		name: "enum value without its prefix",
		src:  head + "message A {\n  option (streamgen.v1.topic) = { name: \"a\" codec: JSON };\n  string id = 1;\n}\n",
		want: `x.proto:5:52: message x.v1.A: option (streamgen.v1.topic): enum streamgen.v1.Codec has no value named JSON; did you mean CODEC_JSON?`,
	}, {
		name: "option without its package",
		src:  head + "message A {\n  option (topic) = { name: \"a\" };\n  string id = 1;\n}\n",
		want: `x.proto:5:10: message x.v1.A: unknown extension topic; write (streamgen.v1.topic); the file must import "streamgen/v1/streamgen.proto"`,
	}, {
		name: "misspelled option",
		src:  head + "message A {\n  option (streamgen.v1.topc) = { name: \"a\" };\n  string id = 1;\n}\n",
		want: `x.proto:5:10: message x.v1.A: unknown extension streamgen.v1.topc; did you mean (streamgen.v1.topic)?`,
	}, {
		name: "google.protobuf.Empty not imported",
		src:  head + "message A {\n  option (streamgen.v1.topic) = { name: \"a\" };\n  string id = 1;\n}\nservice S {\n  option (streamgen.v1.app) = { id: \"s\" };\n  rpc Go(A) returns (google.protobuf.Empty);\n}\n",
		want: `x.proto:10:22: method x.v1.S.Go: unknown response type google.protobuf.Empty; import "google/protobuf/empty.proto", which declares it`,
	}, {
		name: "Empty without its package",
		src:  head + "import \"google/protobuf/empty.proto\";\nmessage A { string id = 1; }\nservice S {\n  rpc Go(A) returns (Empty);\n}\n",
		want: `x.proto:7:22: method x.v1.S.Go: unknown response type Empty; write google.protobuf.Empty; the file must import "google/protobuf/empty.proto"`,
	}, {
		name: "misspelled well-known type",
		src:  head + "import \"google/protobuf/timestamp.proto\";\nmessage A { google.protobuf.Timestmp at = 1; }\n",
		want: `x.proto:5:13: field x.v1.A.at: unknown type google.protobuf.Timestmp; did you mean google.protobuf.Timestamp (import "google/protobuf/timestamp.proto")?`,
	}, {
		name: "missing ';'",
		src:  head + "message A {\n  string id = 1\n  string b = 2;\n}\n",
		want: `x.proto:6:3: syntax error: expecting ';'; the statement before this point needs a ';' at its end`,
	}, {
		name: "unclosed block",
		src:  head + "message A {\n  string id = 1;\n",
		want: `x.proto:6:1: syntax error: unexpected $end; the file ends inside a { } block: add the missing '}'`,
	}, {
		name: "'=' inside an option",
		src:  head + "message A {\n  option (streamgen.v1.topic) = { name = \"a\" };\n  string id = 1;\n}\n",
		want: `x.proto:5:40: syntax error: unexpected '=', expecting ':' or '{' or '<' or '['; inside an option's { }, a field is set with ':', e.g. { name: "orders" partitions: 4 }`,
	}, {
		name: "option without '='",
		src:  head + "message A {\n  option (streamgen.v1.topic) { name: \"a\" };\n  string id = 1;\n}\n",
		want: `x.proto:5:31: syntax error: unexpected '{', expecting '='; an option is set with '=', e.g. option (streamgen.v1.topic) = { name: "orders" };`,
	}, {
		name: "cause not known",
		src:  head + "message A {\n  string id;\n}\n",
		want: `x.proto:5:3: field x.v1.A.id: missing field tag number`,
	}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "x.proto")
			if err := os.WriteFile(path, []byte(c.src), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := compile.Request(context.Background(), []string{dir}, []string{path}, "")
			if err == nil {
				t.Fatal("compiled a broken file")
			}
			if got := strings.Split(err.Error(), "\n")[0]; got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// A .proto file that is not valid UTF-8 is an error at its first bad byte,
// not Go source that does not compile (FuzzSchema's finding).
func TestInvalidUTF8IsAPositionedError(t *testing.T) {
	dir := t.TempDir()
	src := "syntax = \"proto3\";\npackage x.v1;\n// caf\xfe\nmessage M {}\n"
	if err := os.WriteFile(filepath.Join(dir, "x.proto"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := compile.Request(context.Background(), []string{dir}, []string{filepath.Join(dir, "x.proto")}, "")
	if err == nil || !strings.Contains(err.Error(), "x.proto:3:7: byte 0xfe is not valid UTF-8") {
		t.Fatalf("Request = %v, want an error at x.proto:3:7 naming byte 0xfe", err)
	}
}
