package cli_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime/cli"
)

// TestEveryCommandHelp: `-h` of every command of the tree (the binary
// itself, the built-in commands, cobra's help and completion commands
// and completion's subcommands) prints its usage line, each of its flags
// and its examples, at least one of which runs that command.
func TestEveryCommandHelp(t *testing.T) {
	app := ledgerApp(t)
	root := cli.Root(app)
	name := root.Name()
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		cmds = append(cmds, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(cmds) < 15 {
		t.Fatalf("the tree has %d visible commands; want the binary, 9 built-in ones, help, completion and its 4 shells", len(cmds))
	}
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:] // without the binary
		code, out, errOut := run(t, app, append(path, "-h")...)
		help := out + errOut
		if code != 0 {
			t.Errorf("%s -h: exit %d\n%s", c.CommandPath(), code, help)
			continue
		}
		usage := "usage: " + name + " <command> [flags]"
		if c != root {
			usage = "usage of " + c.CommandPath() + ":\n  " + strings.Join(path, " ")
		}
		if !strings.Contains(help, usage) {
			t.Errorf("%s -h lacks its usage line %q:\n%s", c.CommandPath(), usage, help)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			flag := "--" + f.Name
			if len(f.Name) == 1 {
				flag = "-" + f.Name
			}
			if !strings.Contains(help, "\n    "+flag) && !strings.Contains(help, ", "+flag) {
				t.Errorf("%s -h lacks its flag %s:\n%s", c.CommandPath(), flag, help)
			}
		})
		examples := examplesOf(help)
		if len(examples) == 0 {
			t.Errorf("%s -h has no examples:\n%s", c.CommandPath(), help)
			continue
		}
		runs := false
		for _, ex := range examples {
			runs = runs || strings.Contains(ex, c.CommandPath())
		}
		if !runs {
			t.Errorf("no example of %s -h runs %q: %q", c.CommandPath(), c.CommandPath(), examples)
		}
	}
}

// examplesOf returns the lines of help's examples section: the lines
// after "examples:", indented deeper.
func examplesOf(help string) []string {
	lines := strings.Split(help, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "examples:" {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))] + "  "
		var out []string
		for _, ex := range lines[i+1:] {
			if !strings.HasPrefix(ex, indent) || strings.TrimSpace(ex) == "" {
				break
			}
			out = append(out, strings.TrimSpace(ex))
		}
		return out
	}
	return nil
}
