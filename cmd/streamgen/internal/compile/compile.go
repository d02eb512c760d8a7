// Package compile turns .proto source files into a protoc plugin request,
// in-process, with bufbuild/protocompile. The streamgen DSL's own .proto and
// the well-known types resolve without being on the import path. It also
// runs a protogen plugin on a request and writes the response's files, so
// the standalone generator and the protoc plugin share one code path.
package compile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/pluginpb"

	streamgenproto "github.com/streamgen/streamgen/proto"
)

// Request compiles files, each named as a path on disk, and returns the
// request a protoc plugin would receive for them with parameter. A file's
// name in the request is its path relative to the first import path that
// holds it. Every syntax or link error is returned, each as
// "file:line:col: message", joined; a message whose cause is known ends
// with what to do (see hints.go).
func Request(ctx context.Context, importPaths, files []string, parameter string) (*pluginpb.CodeGeneratorRequest, error) {
	if len(importPaths) == 0 {
		importPaths = []string{"."}
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		name, err := relativeName(importPaths, f)
		if err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	var errs []error
	rep := reporter.NewReporter(func(err reporter.ErrorWithPos) error {
		errs = append(errs, withHint(err))
		return nil // keep going: report every error at once
	}, nil)
	src := &protocompile.SourceResolver{ImportPaths: importPaths}
	embedded := protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		f, err := streamgenproto.Files.Open(path)
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		return protocompile.SearchResult{Source: f}, nil
	})
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.CompositeResolver{
			protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
				// The DSL file always comes from the embedded copy, so users
				// get the version their generator was built with.
				if strings.HasPrefix(path, "streamgen/v1/") {
					return embedded(path)
				}
				return protocompile.SearchResult{}, os.ErrNotExist
			}),
			src,
		}),
		SourceInfoMode: protocompile.SourceInfoStandard | protocompile.SourceInfoExtraOptionLocations,
		Reporter:       rep,
	}
	compiled, err := c.Compile(ctx, names...)
	if uerr := checkUTF8(files, names); uerr != nil {
		errs = append(errs, uerr) // with the compiler's errors: every mistake at once
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: names}
	if parameter != "" {
		req.Parameter = proto.String(parameter)
	}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		req.ProtoFile = append(req.ProtoFile, protodesc.ToFileDescriptorProto(fd))
	}
	for _, f := range compiled {
		add(f)
	}
	return req, nil
}

// checkUTF8 fails for each file (on disk at files[i], named names[i])
// that is not valid UTF-8, at the position of its first bad byte:
// protocompile takes such bytes in comments and strings, and they would
// reach the generated Go, which then does not compile ("illegal UTF-8
// encoding"; found by FuzzSchema).
func checkUTF8(files, names []string) error {
	var errs []error
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the compiler reports it
		}
		if line, col, bad := firstInvalidUTF8(b); bad >= 0 {
			errs = append(errs, fmt.Errorf("%s:%d:%d: byte 0x%02x is not valid UTF-8: .proto files must be UTF-8 (save the file as UTF-8)",
				names[i], line, col, bad))
		}
	}
	return errors.Join(errs...)
}

// firstInvalidUTF8 returns the line and column (1-based, in bytes) of the
// first byte of b that is not valid UTF-8 and that byte, or bad = -1.
func firstInvalidUTF8(b []byte) (line, col, bad int) {
	line, start := 1, 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return line, i - start + 1, int(b[i])
		}
		if b[i] == '\n' {
			line, start = line+1, i+1
		}
		i += size
	}
	return 0, 0, -1
}

func relativeName(importPaths []string, file string) (string, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	for _, ip := range importPaths {
		ipAbs, err := filepath.Abs(ip)
		if err != nil {
			return "", err
		}
		rel, err := filepath.Rel(ipAbs, abs)
		if err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel), nil
		}
	}
	return "", fmt.Errorf("%s: not under any import path (%s); add its root with -I", file, strings.Join(importPaths, ", "))
}

// Run runs the protogen plugin fn on req and returns its response. An error
// from fn is returned in the response's Error field, as protoc expects.
func Run(req *pluginpb.CodeGeneratorRequest, opts protogen.Options, fn func(*protogen.Plugin) error) *pluginpb.CodeGeneratorResponse {
	gen, err := opts.New(req)
	if err != nil {
		return &pluginpb.CodeGeneratorResponse{Error: proto.String(err.Error())}
	}
	if err := fn(gen); err != nil {
		gen.Error(err)
	}
	return gen.Response()
}

// WriteFiles writes the response's files under dir, creating directories,
// and returns their paths in sorted order. It fails on a response error.
func WriteFiles(resp *pluginpb.CodeGeneratorResponse, dir string) ([]string, error) {
	if resp.Error != nil {
		return nil, errors.New(resp.GetError())
	}
	var written []string
	for _, f := range resp.File {
		if f.GetInsertionPoint() != "" {
			return nil, fmt.Errorf("%s: insertion points are not supported", f.GetName())
		}
		path := filepath.Join(dir, filepath.FromSlash(f.GetName()))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(f.GetContent()), 0o644); err != nil {
			return nil, err
		}
		written = append(written, path)
	}
	sort.Strings(written)
	return written, nil
}

// ReadRequest reads a plugin request from r, as protoc sends it on stdin.
func ReadRequest(r io.Reader) (*pluginpb.CodeGeneratorRequest, error) {
	in, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(in, req); err != nil {
		return nil, fmt.Errorf("reading plugin request: %w", err)
	}
	return req, nil
}

// WriteResponse writes resp to w, as protoc expects it on stdout.
func WriteResponse(w io.Writer, resp *pluginpb.CodeGeneratorResponse) error {
	out, err := proto.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}
