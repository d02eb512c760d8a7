package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/streamgen/streamgen/cmd/streamgen/internal/compile"
	"github.com/streamgen/streamgen/dsl"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/topology"
)

// Topology compiles the .proto files named in args, as Generate does, and
// prints the topology of their apps (or of the one -app names) in the
// -format asked for. It draws the same picture as an app binary's
// topology command: both go through package topology.
func Topology(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("streamgen topology", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var includes multiFlag
	fs.Var(&includes, "I", "import path (repeatable; default \".\")")
	format := fs.String("format", string(topology.FormatDOT), "output format: dot, mermaid or svg")
	appName := fs.String("app", "", "draw only this app: its id, or its service's name or full name (default: every app of the files)")
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f, err := topology.ParseFormat(*format)
	if err != nil {
		fmt.Fprintln(stderr, "streamgen topology: -format:", err)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "streamgen topology: no .proto files given")
		fmt.Fprint(stderr, usage)
		return 2
	}
	apps, err := schemaApps(includes, fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	apps, err = pickApp(apps, *appName)
	if err != nil {
		fmt.Fprintln(stderr, "streamgen topology:", err)
		return 1
	}
	descs := make([]*runtime.AppDesc, len(apps))
	for i, a := range apps {
		descs[i] = topology.FromModel(a)
	}
	if err := topology.Render(stdout, topology.Build(descs...), f); err != nil {
		fmt.Fprintln(stderr, "streamgen topology:", err)
		return 1
	}
	return 0
}

// schemaApps compiles files and returns the checked apps they declare (not
// those of their imports), sorted by service full name.
func schemaApps(includes, files []string) ([]*dsl.App, error) {
	req, err := compile.Request(context.Background(), includes, files, "")
	if err != nil {
		return nil, err
	}
	reg, err := protodesc.NewFiles(&descriptorpb.FileDescriptorSet{File: req.GetProtoFile()})
	if err != nil {
		return nil, fmt.Errorf("streamgen topology: %w", err)
	}
	named := map[string]bool{}
	var fds []protoreflect.FileDescriptor
	for _, name := range req.GetFileToGenerate() {
		fd, err := reg.FindFileByPath(name)
		if err != nil {
			return nil, fmt.Errorf("streamgen topology: %w", err)
		}
		named[name] = true
		fds = append(fds, fd)
	}
	model, err := dsl.Build(fds)
	if err != nil {
		return nil, err
	}
	var apps []*dsl.App
	for _, a := range model.Apps {
		if named[a.Service.ParentFile().Path()] {
			apps = append(apps, a)
		}
	}
	if len(apps) == 0 {
		return nil, fmt.Errorf("streamgen topology: %s declare no app (a service with option (streamgen.v1.app))", strings.Join(files, ", "))
	}
	return apps, nil
}

// pickApp returns the app of apps called name (its id, or its service's
// name or full name), or all of them when name is "".
func pickApp(apps []*dsl.App, name string) ([]*dsl.App, error) {
	if name == "" {
		return apps, nil
	}
	var ids []string
	for _, a := range apps {
		if a.ID == name || string(a.Service.Name()) == name || string(a.Service.FullName()) == name {
			return []*dsl.App{a}, nil
		}
		ids = append(ids, fmt.Sprintf("%s (service %s)", a.ID, a.Service.FullName()))
	}
	sort.Strings(ids)
	return nil, fmt.Errorf("-app %q: no such app; the files declare %s", name, strings.Join(ids, ", "))
}
