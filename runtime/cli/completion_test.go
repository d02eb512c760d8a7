package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/streamgen/streamgen/runtime/cli"
	"github.com/streamgen/streamgen/runtime/topology"
)

// TestCompletionScripts: `completion <shell>` prints a script for each
// shell that asks the binary itself for candidates (cobra's __complete);
// bash's parses.
func TestCompletionScripts(t *testing.T) {
	app := ledgerApp(t)
	name := cli.Root(app).Name()
	code, out, errOut := run(t, app, "completion", "bash")
	if code != 0 || !strings.HasPrefix(out, "# bash completion V2 for "+name+" ") {
		t.Fatalf("completion bash: exit %d, stderr %q, script begins %q", code, errOut, out[:min(len(out), 80)])
	}
	for _, want := range []string{"__complete", "__start_" + name + "()", "complete -o default -F __start_" + name + " " + name} {
		if !strings.Contains(out, want) {
			t.Errorf("the bash script lacks %q", want)
		}
	}
	if bash, err := exec.LookPath("bash"); err == nil {
		script := filepath.Join(t.TempDir(), "completion.bash")
		if err := os.WriteFile(script, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n on the script: %v\n%s", err, msg)
		}
	}
	for _, shell := range []string{"zsh", "fish", "powershell"} {
		code, out, errOut := run(t, app, "completion", shell)
		if code != 0 || !strings.Contains(out, "__complete") || !strings.Contains(out, name) {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes of script", shell, code, errOut, len(out))
		}
	}
}

// TestCompletionCandidates: cobra's hidden __complete, which the scripts
// call, offers the app's topics, its agents with an input topic, and the
// values of the format, guarantee and log-level flags, with no file
// names; and the commands.
func TestCompletionCandidates(t *testing.T) {
	app := ledgerApp(t)
	var topics []string
	for _, tp := range app.Topics() {
		topics = append(topics, tp.Name)
	}
	var topoFormats []string
	for _, f := range topology.Formats {
		topoFormats = append(topoFormats, string(f))
	}
	noFiles := ":" + strconv.Itoa(int(cobra.ShellCompDirectiveNoFileComp))
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"tail", "--format", ""}, []string{"text", "wide", "json"}},
		{[]string{"tail", "--brokers", "b:9092", "--format="}, []string{"text", "wide", "json"}},
		{[]string{"topology", "--format", ""}, topoFormats},
		{[]string{"topology", "--app", ""}, []string{"ledger"}},
		{[]string{"tail", "--topic", ""}, topics},
		{[]string{"send", "--topic", ""}, topics},
		// MinuteClosed runs on closed windows: reset refuses it.
		{[]string{"reset", "--agent", ""}, []string{"ledger/Add"}},
		{[]string{"worker", "--guarantee", ""}, []string{"at-least-once", "exactly-once"}},
		{[]string{"worker", "--log-level", ""}, []string{"debug", "info", "warn", "error"}},
	} {
		code, out, errOut := run(t, app, append([]string{"__complete"}, c.args...)...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) == 0 || lines[len(lines)-1] != noFiles {
			t.Errorf("__complete %q: exit %d, stderr %q, printed:\n%s\nwant the candidates, then %s", c.args, code, errOut, out, noFiles)
			continue
		}
		got := lines[:len(lines)-1]
		if !slices.Equal(sorted(got), sorted(c.want)) {
			t.Errorf("__complete %q offers %q; want %q", c.args, got, c.want)
		}
	}
	// The commands, each with its summary after a tab.
	code, out, _ := run(t, app, "__complete", "")
	var cmds []string
	for _, l := range strings.Split(out, "\n") {
		if n, _, ok := strings.Cut(l, "\t"); ok {
			cmds = append(cmds, n)
		}
	}
	for _, want := range []string{"worker", "send", "tail", "reset", "demo", "tables", "agents", "lag", "topology", "completion", "help"} {
		if code != 0 || !slices.Contains(cmds, want) {
			t.Errorf("__complete \"\": exit %d, offers %q; want %s among them", code, cmds, want)
		}
	}
}

func sorted(xs []string) []string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs
}
