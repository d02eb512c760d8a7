package dsl_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bufbuild/protocompile"
	"github.com/google/go-cmp/cmp"

	"github.com/streamgen/streamgen/dsl"
)

var update = flag.Bool("update", false, "rewrite testdata/*.errors")

// TestErrorsGolden pins the whole error list of every broken testdata
// schema: text, position, element path and order, with source info and
// without it (where every error of a file is at 0:0 and only the order in
// which they are found tells them apart). -update rewrites the files.
func TestErrorsGolden(t *testing.T) {
	protos, err := filepath.Glob("testdata/*.proto")
	if err != nil {
		t.Fatal(err)
	}
	modes := []struct {
		name string
		mode protocompile.SourceInfoMode
	}{
		{"with source info", protocompile.SourceInfoStandard | protocompile.SourceInfoExtraOptionLocations},
		{"without source info", protocompile.SourceInfoNone},
	}
	for _, path := range protos {
		var got strings.Builder
		for _, m := range modes {
			_, err := dsl.Build(compileWith(t, m.mode, filepath.Base(path)))
			if err == nil {
				continue
			}
			// protobuf-go randomly writes a space or a no-break space
			// after "proto:" in its errors, so that nobody relies on
			// their text; default_json errors quote one.
			fmt.Fprintf(&got, "# %s\n%s\n", m.name, strings.ReplaceAll(err.Error(), "\u00a0", " "))
		}
		if got.Len() == 0 {
			continue
		}
		golden := strings.TrimSuffix(path, ".proto") + ".errors"
		if *update {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./dsl -update)", err)
		}
		if d := cmp.Diff(string(want), got.String()); d != "" {
			t.Errorf("%s: errors differ (-want +got):\n%s", golden, d)
		}
	}
}

// TestDerivedPartitions: a changelog is partitioned and replicated like
// its writer's input, and a window-closing agent's dead-letter topic like
// the changelog of the table it closes, even when that agent is declared
// before the table's writer.
func TestDerivedPartitions(t *testing.T) {
	m, err := dsl.Build(compile(t, "winclose.proto"))
	if err != nil {
		t.Fatal(err)
	}
	app := m.Apps[1]
	if app.ID != "stats" {
		t.Fatalf("apps[1] is %q, want stats", app.ID)
	}
	for _, tbl := range app.Tables[:2] {
		if cl := tbl.Changelog; cl.Partitions != 6 || cl.ReplicationFactor != 3 {
			t.Errorf("table %s: changelog %d partitions, replication %d; want 6, 3", tbl.Name, cl.Partitions, cl.ReplicationFactor)
		}
	}
	for _, ag := range app.Agents {
		if dl := ag.DeadLetter; dl.Partitions != 6 {
			t.Errorf("agent %s: dead-letter topic %s has %d partitions, want 6", ag.Name, dl.Name, dl.Partitions)
		}
	}
	if dl := app.Agents[0].DeadLetter; app.Agents[0].Name != "Closed" || dl.ReplicationFactor != -1 {
		t.Errorf("agent %s: dead-letter replication %d, want -1", app.Agents[0].Name, dl.ReplicationFactor)
	}
}

// TestPartitionsFrom: a changelog and a dead-letter topic name the
// declared topic whose partition count they follow (the input of the
// table's writer, of the agent, or of the writer of the table a
// window-closing agent closes), so an error about their partitions can say
// which topic to change in the schema; a declared topic names none.
func TestPartitionsFrom(t *testing.T) {
	m, err := dsl.Build(compile(t, "winclose.proto"))
	if err != nil {
		t.Fatal(err)
	}
	clicks := m.Topics["clicks"]
	app := m.Apps[1]
	for _, tbl := range app.Tables[:2] {
		if tbl.Changelog.PartitionsFrom != clicks {
			t.Errorf("table %s: changelog partitions from %v, want clicks", tbl.Name, tbl.Changelog.PartitionsFrom)
		}
	}
	for _, ag := range app.Agents {
		if ag.DeadLetter.PartitionsFrom != clicks {
			t.Errorf("agent %s: dead-letter partitions from %v, want clicks", ag.Name, ag.DeadLetter.PartitionsFrom)
		}
	}
	for name, topic := range m.Topics {
		if topic.PartitionsFrom != nil {
			t.Errorf("declared topic %s: partitions from %s, want nil", name, topic.PartitionsFrom.Name)
		}
	}
}

// TestChecksOnlyRead runs the checks again over built models: they find
// nothing new and leave the model as it was.
func TestChecksOnlyRead(t *testing.T) {
	for _, file := range []string{"good.proto", "winclose.proto"} {
		m, err := dsl.Build(compile(t, file))
		if err != nil {
			t.Fatal(err)
		}
		before := describe(m)
		for i := 0; i < 2; i++ {
			if errs := dsl.Checks(m); len(errs) > 0 {
				t.Errorf("%s: checks report %v on a model Build accepted", file, errs)
			}
		}
		if d := cmp.Diff(before, describe(m)); d != "" {
			t.Errorf("%s: the checks changed the model (-before +after):\n%s", file, d)
		}
	}
}

// describe prints what the build derives for a model's topics, tables and
// agents.
func describe(m *dsl.Model) []string {
	topic := func(t *dsl.Topic) string {
		if t == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%s p=%d rf=%d codec=%v config=%v", t.Name, t.Partitions, t.ReplicationFactor, t.Codec, t.Config)
	}
	var out []string
	for _, name := range sortedNames(m.Topics) {
		out = append(out, "topic "+topic(m.Topics[name]))
	}
	for _, a := range m.Apps {
		out = append(out, fmt.Sprintf("app %s eo=%v ci=%v", a.ID, a.ExactlyOnce, a.CommitInterval))
		for _, t := range a.Tables {
			out = append(out, fmt.Sprintf("table %s writers=%d changelog=%s window=%+v", t.Name, len(t.Writers), topic(t.Changelog), t.Window))
		}
		for _, ag := range a.Agents {
			out = append(out, fmt.Sprintf("agent %s in=%s outputs=%d tables=%d c=%d %v dlq=%s",
				ag.Name, topic(ag.Input), len(ag.Outputs), len(ag.Tables), ag.Concurrency, ag.OnError, topic(ag.DeadLetter)))
		}
	}
	return out
}

func sortedNames(m map[string]*dsl.Topic) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
