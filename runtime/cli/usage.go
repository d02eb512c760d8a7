package cli

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime"
)

// writeUsage writes the usage of every command of root, flags included.
func writeUsage(w io.Writer, app *runtime.App, root *cobra.Command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]    (app %q)\n\ncommands:\n", filepath.Base(root.Name()), app.ID())
	for _, c := range ordered(root) {
		writeSection(w, c, false)
	}
	fmt.Fprintf(w, "  help [command]\n      print this text, or one command's.\n")
	if root.Example != "" {
		fmt.Fprintln(w)
		writeExamples(w, root, "")
	}
	fmt.Fprintf(w, "\n`%s <command> -h` adds the command's examples.\n", root.Name())
}

// writeCommandUsage writes c's synopsis, summary, flags and examples.
func writeCommandUsage(w io.Writer, c *cobra.Command) {
	fmt.Fprintf(w, "usage of %s:\n", c.CommandPath())
	writeSection(w, c, true)
}

// writeSection writes the synopsis, summary and flags of c; with
// examples, its examples and subcommands too.
func writeSection(w io.Writer, c *cobra.Command, examples bool) {
	fmt.Fprintln(w, "  "+synopsis(c))
	for _, l := range strings.Split(strings.TrimSpace(cmp.Or(c.Long, c.Short)), "\n") {
		fmt.Fprintf(w, "      %s\n", l)
	}
	c.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden || f.Name == "help" {
			return
		}
		writeFlag(w, f)
	})
	if subs := visible(c.Commands()); len(subs) > 0 {
		names := make([]string, len(subs))
		for i, s := range subs {
			names[i] = s.Name()
		}
		fmt.Fprintf(w, "    subcommands: %s\n", strings.Join(names, ", "))
	}
	if examples {
		writeExamples(w, c, "  ")
	}
}

// writeExamples writes c's examples, if any, under "examples:" after
// indent.
func writeExamples(w io.Writer, c *cobra.Command, indent string) {
	if c.Example == "" {
		return
	}
	fmt.Fprintln(w, indent+"examples:")
	name := c.Root().Name()
	for _, l := range strings.Split(c.Example, "\n") {
		l = strings.TrimSpace(l)
		// Examples write the binary as "app"; print its real name.
		l = strings.Replace(" "+l, " app ", " "+name+" ", 1)[1:]
		fmt.Fprintf(w, "%s  %s\n", indent, l)
	}
}

// ordered returns root's visible commands, the built-in ones in the
// order of the table commands (cobra sorts them by name), then the others.
func ordered(root *cobra.Command) []*cobra.Command {
	cs := visible(root.Commands())
	rank := func(c *cobra.Command) int {
		for i, b := range commands {
			if b.name == c.Name() {
				return i
			}
		}
		return len(commands)
	}
	slices.SortStableFunc(cs, func(a, b *cobra.Command) int { return rank(a) - rank(b) })
	return cs
}

func visible(cs []*cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range cs {
		if !c.Hidden && c.Name() != "help" {
			out = append(out, c)
		}
	}
	return out
}

// synopsis is c's use line after its parents: "send [flags] [value...]".
func synopsis(c *cobra.Command) string {
	path := c.CommandPath()
	if i := strings.Index(path, " "); i >= 0 {
		path = path[i+1:] // without the binary
	}
	use := c.Use
	if i := strings.Index(use, " "); i >= 0 {
		return path + use[i:]
	}
	if c.HasAvailableLocalFlags() {
		return path + " [flags]"
	}
	return path
}

// writeFlag writes one flag as the command line wrote them before cobra:
// "    --name type" then its help, indented, with its default.
func writeFlag(w io.Writer, f *pflag.Flag) {
	typ, help := pflag.UnquoteUsage(f)
	switch typ {
	case "stringArray", "stringSlice", "strings":
		typ = "string"
	}
	if f.Value.Type() == "bool" {
		typ = ""
	}
	dash := "--"
	if len(f.Name) == 1 {
		dash = "-"
	}
	name := dash + f.Name
	if f.Shorthand != "" && f.Shorthand != f.Name {
		name = "-" + f.Shorthand + ", " + name
	}
	fmt.Fprintln(w, strings.TrimRight("    "+name+" "+typ, " "))
	fmt.Fprintf(w, "        %s", help)
	switch f.DefValue {
	case "", "0", "0s", "false", "[]":
	default:
		fmt.Fprintf(w, " (default %s)", f.DefValue)
	}
	fmt.Fprintln(w)
}

// helpFlagSet reports whether c was asked for help with -h or --help.
func helpFlagSet(c *cobra.Command) bool {
	f := c.Flags().Lookup("help")
	return f != nil && f.Changed
}
