package cli_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// An app's binary with a subcommand of its own beside worker, send, tail
// and the others. In main: os.Exit(cli.Main(app, cli.WithCommand(greet))).
func ExampleWithCommand() {
	app := runtime.NewApp() // the app, its agents registered
	greet := &cobra.Command{
		Use:     "greet [name...]",
		Short:   "print a greeting",
		Example: "app greet operator",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("greet whom?")
			}
			fmt.Fprintln(cmd.OutOrStdout(), "hello,", strings.Join(args, " "))
			return nil
		},
	}
	ctx := context.Background()
	fmt.Println("exit", cli.Run(ctx, app, []string{"greet", "operator"}, os.Stdout, os.Stdout, cli.WithCommand(greet)))
	fmt.Println("exit", cli.Run(ctx, app, []string{"greet"}, os.Stdout, os.Stdout, cli.WithCommand(greet)))
	// Output:
	// hello, operator
	// exit 0
	// error: greet whom?
	// exit 1
}

// The command tree itself, to change as cobra allows and execute.
func ExampleRoot() {
	app := runtime.NewApp()
	root := cli.Root(app)
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "print the binary's version",
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), "v1.2.3") },
	})
	root.SetArgs([]string{"version"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// v1.2.3
}
