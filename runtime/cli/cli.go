// Package cli is the command line of a streamgen app, Faust's app.main():
// an app's main function is
//
//	func main() { os.Exit(cli.Main(app)) }
//
// and the binary gets these subcommands (`help` lists each one's flags,
// `<command> -h` one command's flags and examples):
//
//	worker      run a worker (--brokers or STREAMGEN_BROKERS; none: an embedded broker)
//	send        encode values (arguments, or JSON lines from a file or stdin) with a topic's codec and produce them
//	tail        print a topic's records: keys, values decoded (tables' changelogs too), optionally partitions, offsets, timestamps, headers, or JSON lines
//	reset       move the app's committed input offsets (earliest, latest, a time, an offset) and wipe local table state; a dry run unless --execute
//	demo        start an embedded broker and a worker, send values, print outputs
//	tables      list the app's tables; get a key or scan a prefix through any worker's HTTP table queries
//	agents      print each agent's input, outputs, tables, concurrency and policies
//	lag         print the group's committed offset, end offset and lag per partition, from the brokers
//	topology    print the app's topology as Graphviz DOT, Mermaid or SVG
//	completion  print a shell completion script: bash, zsh, fish or powershell
//
// worker, send, tail and reset take librdkafka settings (SASL, TLS, ...) as
// repeated -X key=value and from a properties file (--kafka-config or
// STREAMGEN_KAFKA_CONFIG); -X wins over the file.
//
// The command tree is a github.com/spf13/cobra tree. Add your own
// subcommands to the app's binary with WithCommand (they get the same
// help, exit codes and completion):
//
//	greet := &cobra.Command{Use: "greet", RunE: func(cmd *cobra.Command, args []string) error { ... }}
//	os.Exit(cli.Main(app, cli.WithCommand(greet)))
//
// or take the tree with Root, change it as cobra allows, and execute it
// yourself (root.ExecuteContext(ctx)).
//
// reset is what an operator runs to reprocess or skip: it moves the
// committed offsets of the consumer group (the app id) on the agents'
// input topics, moves those on their repartition topics to the end
// (records moved there from the input before are dropped: read again from
// the input, or skipped with it), never touches changelogs, and can wipe
// the worker's local table stores, which the worker then restores from
// their changelogs (the changelogs are not reset: tables keep their
// contents). Without --execute it only prints the plan: each partition's
// current and new offset, and the directories it would remove.
//
// tail stops at the end of the topic as it was when tail started, unless
// --follow (keep reading until interrupted), -n (wait for that many
// records) or --timeout (stop once quiet that long) is given; before
// reset and --follow it never stopped on its own.
//
// Exit codes (Main and Run): 0, 1 when the command failed, 2 for a usage
// error (an unknown command or flag, a bad flag value). Flags may be
// written -flag as well as --flag, as before the move to cobra.
//
// The files:
//
//	cli.go          Main, Run, Root, WithCommand, the table of subcommands
//	tables.go       tables (list, get, scan through a worker's HTTP), agents, lag
//	usage.go        the help text: every command's flags, in one format
//	worker.go       the worker subcommand
//	send.go         the send subcommand and Encode
//	sendfile.go     send's JSON lines from a file or standard input
//	tail.go         the tail subcommand and Format: how keys, values and changelog records print
//	reset.go        the reset subcommand: group offsets and local state
//	demo.go         the demo subcommand
//	topology.go     the topology subcommand (package topology draws it)
//	kafkaconfig.go  -X, --kafka-config and STREAMGEN_KAFKA_CONFIG, and their mapping onto franz-go
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/topology"
	"github.com/streamgen/streamgen/runtime/worker"
)

// Main runs the subcommand named in os.Args and returns the exit code.
func Main(app *runtime.App, opts ...Option) int {
	return Run(context.Background(), app, os.Args[1:], os.Stdout, os.Stderr, opts...)
}

// Option configures Main, Run and Root.
type Option interface{ apply(*config) }

type config struct {
	commands []*cobra.Command
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithCommand adds cmds as subcommands of the app's binary, beside worker,
// send, tail and the others. Their errors exit with 1 and print as
// "error: ...", as the built-in commands' do. Default: none.
func WithCommand(cmds ...*cobra.Command) Option {
	return optionFunc(func(c *config) { c.commands = append(c.commands, cmds...) })
}

// runFunc runs a subcommand once its flags are parsed, with the
// arguments left after them.
type runFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// command is a built-in subcommand. define declares its flags on fs and
// returns the function that runs it.
type command struct {
	name    string
	args    string // positional arguments, for the synopsis
	summary string
	example string // lines of examples, the binary's name written as "app"
	define  func(fs *pflag.FlagSet, app *runtime.App) runFunc
}

var commands = []command{
	{"worker", "", "run a worker of the app; with no brokers (flag, " + worker.EnvBrokers + " or bootstrap.servers)\n" +
		"it starts an embedded broker in-process. More workers with the same brokers\nshare the partitions.",
		"app worker\napp worker --brokers localhost:9092 --data-dir /var/lib/app\n" + worker.EnvBrokers + "=kafka-1:9092 app worker -X security.protocol=SASL_SSL --kafka-config secrets.properties",
		defineWorker},
	{"send", "[value...]", "encode each value with the topic's codec (text for raw topics, JSON for\n" +
		"protobuf and JSON topics) and produce it. With no values, or with --file,\n" +
		"it reads one value per line (standard input, or the file; - is standard\n" +
		"input): every line is sent or reported with its number, and the counts\n" +
		"print at the end. A line's key is the topic's key field, --key-field's, or\n" +
		"with --keyed the text before a tab.",
		"app send --brokers localhost:9092 --topic orders '{\"accountId\":\"a\",\"amountCents\":\"250\"}'\n" +
			"app send --brokers localhost:9092 --topic orders --file orders.jsonl\n" +
			"printf 'a\\t{\"amountCents\":\"1\"}\\n' | app send --brokers localhost:9092 --topic orders --keyed",
		defineSend},
	{"tail", "", "print the topic's records from the start, one per line: the key, a tab, the\n" +
		"value decoded (text or JSON). A table's changelog prints its values as\n" +
		"JSON, a windowed key as key@window-start, deletes as <tombstone>, and the\n" +
		"runtime's own records (closed windows, stream time) by name. --format wide\n" +
		"adds partition/offset, timestamp and headers; --format json prints JSON\n" +
		"lines. It stops at the end of the topic unless --follow, -n or --timeout\n" +
		"says how long to wait.",
		"app tail --brokers localhost:9092 --topic orders\n" +
			"app tail --brokers localhost:9092 --topic wordcount-counts-changelog --format json --follow\n" +
			"app tail --brokers localhost:9092 --topic orders -n 10 --timeout 30s --format wide",
		defineTail},
	{"reset", "", "move the committed offsets of the app's consumer group (the app id) on its\n" +
		"agents' input topics (--agent: one agent's) to the earliest or latest\n" +
		"offset, a time or an offset (their repartition topics' to the end: what is\n" +
		"still unread there came from input records before), and/or wipe the\n" +
		"worker's local table stores\n" +
		"(--wipe-state). It refuses while members of the group are alive, unless\n" +
		"--force, which removes them from the group first. A dry run printing what\n" +
		"would change, unless --execute.",
		"app reset --brokers localhost:9092 --to-earliest\n" +
			"app reset --brokers localhost:9092 --agent count --to-datetime 2026-11-30T12:00:00Z --execute\n" +
			"app reset --brokers localhost:9092 --to-offset 0 --wipe-state --data-dir /var/lib/app --execute",
		defineReset},
	{"demo", "value...", "start an embedded broker and a worker, send the values to the first\n" +
		"agent's input topic, and print what the app emitted on the topics no agent\n" +
		"reads; fails, saying why, when nothing arrives.",
		"app demo hello world\napp demo --wait 70s '{\"accountId\":\"a\",\"amountCents\":\"1\"}'",
		defineDemo},
	{"tables", "list | get KEY | scan", "list the app's tables, or read them through a worker's HTTP table queries\n" +
		"(any worker answers; one that does not own the key's partition forwards\n" +
		"to the one that does): get prints the key's value as JSON, scan every key\n" +
		"with --prefix, a tab and its value. The worker is --url, else one found\n" +
		"in the group with --brokers, else " + DefaultHTTPAddr + ".",
		"app tables list\napp tables get --table counts streams\napp tables scan --table counts --prefix st --brokers localhost:9092",
		defineTables},
	{"agents", "", "print each agent: its input topic, outputs, tables, concurrency, error\n" +
		"policy, dead-letter and repartition topics.",
		"app agents",
		defineAgents},
	{"lag", "", "print the app's consumer group's committed offset, end offset and lag per\n" +
		"partition, and its owner, from the brokers.",
		"app lag --brokers localhost:9092",
		defineLag},
	{"topology", "", "print the app's topology (topics, agents, tables, internal topics) as\n" +
		"Graphviz DOT, Mermaid or SVG; `streamgen topology` draws the same from\nthe .proto files.",
		"app topology | dot -Tpng > topology.png\napp topology --format mermaid",
		defineTopology},
}

// Root returns the app's command tree: worker, send, tail, reset, demo,
// topology, help and completion, and the commands of WithCommand. Add
// commands to it and execute it (cmd.ExecuteContext) when Main's handling
// of errors and exit codes is not what you want; errors then print as
// cobra prints them ("Error: ..."), and -flag is not rewritten to --flag.
func Root(app *runtime.App, opts ...Option) *cobra.Command {
	var cfg config
	for _, o := range opts {
		o.apply(&cfg)
	}
	root := &cobra.Command{
		Use:     filepath.Base(os.Args[0]),
		Short:   fmt.Sprintf("the command line of streamgen app %q", app.ID()),
		Example: "app worker --brokers localhost:9092\napp tail -h\napp help reset",
		// Errors print once, as "error: ..." (Run), and a failed command
		// does not repeat its usage: only usage errors do.
		SilenceUsage: true,
	}
	for _, c := range commands {
		root.AddCommand(c.cobra(app))
	}
	root.AddCommand(cfg.commands...)
	root.SetHelpFunc(func(c *cobra.Command, _ []string) {
		w := c.OutOrStdout()
		if c != c.Root() && helpFlagSet(c) {
			w = c.ErrOrStderr() // `worker -h` prints to stderr, as the flag package did
		}
		if c == c.Root() {
			writeUsage(w, app, c)
			return
		}
		writeCommandUsage(w, c)
	})
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{cmd: c, err: err} })
	ownCompletion := slices.ContainsFunc(cfg.commands, func(c *cobra.Command) bool { return c.Name() == "completion" })
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	if !ownCompletion {
		completionToOut(root)
	}
	exampleDefaults(root, !ownCompletion)
	return root
}

// completionToOut makes cobra's completion commands write their scripts
// to the command's output when they run (cmd.OutOrStdout: Run's stdout,
// or what the caller of Root set). cobra's own write to the output the
// root had when they were made, before anyone could set it: os.Stdout.
func completionToOut(root *cobra.Command) {
	gen := map[string]func(root *cobra.Command, w io.Writer, desc bool) error{
		"bash": func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenBashCompletionV2(w, desc) },
		"zsh": func(root *cobra.Command, w io.Writer, desc bool) error {
			if desc {
				return root.GenZshCompletion(w)
			}
			return root.GenZshCompletionNoDesc(w)
		},
		"fish": func(root *cobra.Command, w io.Writer, desc bool) error { return root.GenFishCompletion(w, desc) },
		"powershell": func(root *cobra.Command, w io.Writer, desc bool) error {
			if desc {
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return root.GenPowerShellCompletion(w)
		},
	}
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		for _, shell := range c.Commands() {
			g, ok := gen[shell.Name()]
			if !ok {
				continue
			}
			shell.RunE = func(cmd *cobra.Command, _ []string) error {
				noDesc := cmd.Root().CompletionOptions.DisableDescriptions
				if f := cmd.Flags().Lookup("no-descriptions"); f != nil && f.Changed {
					noDesc, _ = cmd.Flags().GetBool("no-descriptions")
				}
				return g(cmd.Root(), cmd.OutOrStdout(), !noDesc)
			}
		}
	}
}

// exampleDefaults gives cobra's help command, and with completion its
// completion commands, examples, as the built-in commands have. The
// completion examples name the binary as it is named now, as cobra's help
// text for them does.
func exampleDefaults(root *cobra.Command, completion bool) {
	name := root.Name()
	examples := map[string]string{"help": "app help\napp help tail"}
	if completion {
		maps.Copy(examples, map[string]string{
			"completion": "source <(" + name + " completion bash)\n" +
				name + " completion zsh > \"${fpath[1]}/_" + name + "\"",
			"completion bash": "source <(" + name + " completion bash)\n" +
				name + " completion bash > /etc/bash_completion.d/" + name,
			"completion zsh": "source <(" + name + " completion zsh)\n" +
				name + " completion zsh > \"${fpath[1]}/_" + name + "\"",
			"completion fish": name + " completion fish | source\n" +
				name + " completion fish > ~/.config/fish/completions/" + name + ".fish",
			"completion powershell": name + " completion powershell | Out-String | Invoke-Expression",
		})
	}
	var walk func(c *cobra.Command, path string)
	walk = func(c *cobra.Command, path string) {
		for _, sub := range c.Commands() {
			p := strings.TrimSpace(path + " " + sub.Name())
			if ex, ok := examples[p]; ok && sub.Example == "" {
				sub.Example = ex
			}
			walk(sub, p)
		}
	}
	walk(root, "")
}

// cobra returns c as a cobra command.
func (c command) cobra(app *runtime.App) *cobra.Command {
	cmd := &cobra.Command{
		Use:     strings.TrimSpace(c.name + " [flags] " + c.args),
		Short:   strings.SplitN(c.summary, "\n", 2)[0],
		Long:    c.summary,
		Example: c.example,
	}
	run := c.define(cmd.Flags(), app)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if c.args == "" && len(args) > 0 {
			return &usageError{cmd: cmd, err: fmt.Errorf("%s takes no arguments, got %q", c.name, args)}
		}
		ctx := context.WithValue(cmd.Context(), stdinKey{}, cmd.InOrStdin())
		return run(ctx, args, cmd.OutOrStdout(), cmd.ErrOrStderr())
	}
	completeFlags(cmd, app)
	return cmd
}

// completeFlags registers shell completions for the flags naming a topic,
// an agent (one with an input topic: reset's), a format or the app.
func completeFlags(cmd *cobra.Command, app *runtime.App) {
	values := map[string][]string{
		"guarantee": {"at-least-once", "exactly-once"},
		"log-level": {"debug", "info", "warn", "error"},
	}
	for _, t := range app.Topics() {
		values["topic"] = append(values["topic"], t.Name)
	}
	for _, ag := range app.Agents() {
		if ag.Desc.Input != nil { // reset's --agent: it has offsets to reset
			values["agent"] = append(values["agent"], ag.Name())
		}
	}
	switch cmd.Name() {
	case "tail":
		values["format"] = tailFormats
	case "topology":
		for _, f := range topology.Formats {
			values["format"] = append(values["format"], string(f))
		}
		values["app"] = []string{app.ID()}
	}
	for name, vs := range values {
		if cmd.Flags().Lookup(name) != nil {
			_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions(vs, cobra.ShellCompDirectiveNoFileComp))
		}
	}
}

// stdinKey is the context key of the command's standard input (cobra's
// InOrStdin: os.Stdin unless the tree's SetIn says otherwise).
type stdinKey struct{}

func stdinOf(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// runError is a command's failure: exit code 1.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// Run runs one subcommand with args and returns the exit code: 0, 1 when
// the command failed, 2 for a usage error.
func Run(ctx context.Context, app *runtime.App, args []string, stdout, stderr io.Writer, opts ...Option) int {
	root := Root(app, opts...)
	root.SilenceErrors = true
	root.SetOut(stdout)
	root.SetErr(stderr)
	if len(args) == 0 {
		writeUsage(stderr, app, root)
		return 2
	}
	markRunErrors(root)
	root.SetArgs(singleDashLongFlags(root, args))
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var re *runError
	if errors.As(err, &re) {
		fmt.Fprintln(stderr, "error:", re.err)
		return 1
	}
	// A usage error: an unknown command or flag, a bad flag value.
	fmt.Fprintln(stderr, "error:", err)
	var ue *usageError
	if errors.As(err, &ue) && ue.cmd != root {
		writeCommandUsage(stderr, ue.cmd)
	} else if cmd, _, ferr := root.Find(args); ferr == nil && cmd != root {
		writeCommandUsage(stderr, cmd)
	} else {
		writeUsage(stderr, app, root)
	}
	return 2
}

// markRunErrors makes the errors of every command's RunE (the built-in
// commands' and WithCommand's) runErrors, unless they are usageErrors:
// cobra returns both kinds alike.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			err := run(cmd, args)
			var ue *usageError
			if err == nil || errors.As(err, &ue) {
				return err
			}
			return &runError{err: err}
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

// singleDashLongFlags rewrites -name and -name=value to --name... for
// the long flags of the command args name: the flag package, which the
// command line used before cobra, accepted both.
func singleDashLongFlags(root *cobra.Command, args []string) []string {
	if strings.HasPrefix(args[0], "__complete") {
		return args
	}
	cmd, _, err := root.Find(args)
	if err != nil {
		return args
	}
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && (cmd.Flags().Lookup(name) != nil || cmd.InheritedFlags().Lookup(name) != nil) {
			out[i] = "-" + a
		}
	}
	return out
}

func logger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func topicOf(app *runtime.App, name string) (*runtime.TopicDesc, error) {
	var names []string
	for _, t := range app.Topics() {
		if t.Name == name {
			return t, nil
		}
		names = append(names, t.Name)
	}
	if name == "" {
		return nil, fmt.Errorf("name a topic with --topic; app %q's topics: %s", app.ID(), strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("app %q has no topic %q; its topics: %s", app.ID(), name, strings.Join(names, ", "))
}
