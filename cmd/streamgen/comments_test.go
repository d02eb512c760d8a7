package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// maxCommentWidth is the widest a generated comment line may be, in
// columns, indentation included, a tab counting as tabWidth columns.
const (
	maxCommentWidth = 100
	tabWidth        = 4
)

// TestCommentWidth: no comment line streamgen writes is wider than 100
// columns, in the golden output (from testdata/shop, whose .proto holds a
// comment too long on purpose) and in every generated file checked into
// the repository. Exempt are code blocks inside comments (lines indented
// after the "//"), which are kept as written, and a single word too long
// for any line. The .pb.go files are protoc-gen-go's and are not checked.
func TestCommentWidth(t *testing.T) {
	for name, content := range files(standalone(t, "paths=source_relative,pbgo=true")) {
		if strings.Contains(name, "_streamgen") {
			checkCommentWidth(t, "golden "+name, content)
		}
	}
	root := filepath.Join("..", "..")
	n := 0
	for _, dir := range []string{"examples", filepath.Join("runtime", "internal", "testapp")} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".pb.go") || !strings.Contains(path, "_streamgen") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			n++
			checkCommentWidth(t, path, string(b))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Error("found no checked-in *_streamgen*.pb.go file to check")
	}
}

func checkCommentWidth(t *testing.T, name, content string) {
	t.Helper()
	for i, line := range strings.Split(content, "\n") {
		text := strings.TrimLeft(line, "\t ")
		if !strings.HasPrefix(text, "//") {
			continue
		}
		width := utf8.RuneCountInString(strings.ReplaceAll(line, "\t", strings.Repeat(" ", tabWidth)))
		if width <= maxCommentWidth {
			continue
		}
		body := strings.TrimPrefix(text, "//")
		code := strings.HasPrefix(body, "\t") || strings.HasPrefix(body, "  ")
		oneWord := len(strings.Fields(body)) == 1
		if !code && !oneWord {
			t.Errorf("%s:%d: comment line is %d columns wide, over %d:\n%s", name, i+1, width, maxCommentWidth, line)
		}
	}
}
