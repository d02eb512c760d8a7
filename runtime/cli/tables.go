package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/tableclient"
	"github.com/streamgen/streamgen/runtime/worker"
)

// The operator's read-only commands: tables (list, get, scan through a
// worker's HTTP table queries), agents (what each agent reads and
// writes), lag (the group's lag per partition, from the brokers).

// defineTables is `tables list | get KEY | scan`.
func defineTables(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "brokers, to find a worker's HTTP address from the group when --url is not given (default $"+worker.EnvBrokers+")")
	table := fs.String("table", "", "the table (get, scan)")
	prefix := fs.String("prefix", "", "scan only keys starting with this")
	limit := fs.Int("limit", 0, "scan at most this many keys (0: all)")
	url := fs.String("url", "", "a worker's HTTP base URL, e.g. http://127.0.0.1:6066 (any worker: it forwards to the owner); default: found from the group with --brokers, else "+DefaultHTTPAddr)
	standby := fs.Bool("standby", false, "accept a standby replica's value (it says how far behind it is)")
	return func(ctx context.Context, args []string, stdout, _ io.Writer) error {
		if len(args) == 0 {
			return &usageError{err: errors.New("tables needs an action: list, get KEY or scan")}
		}
		if args[0] == "list" {
			return listTables(app, stdout)
		}
		td := tableByName(app, *table)
		if td == nil {
			return fmt.Errorf("--table %q: the app's tables are %s", *table, strings.Join(tableNames(app), ", "))
		}
		base, err := workerURL(ctx, app, &k, *url)
		if err != nil {
			return err
		}
		c := tableclient.New(base)
		var opts []tableclient.Option
		if *standby {
			opts = append(opts, tableclient.WithStandby())
		}
		newValue := func() proto.Message { return td.New() }
		switch {
		case args[0] == "get" && len(args) == 2:
			v, found, err := tableclient.Get(ctx, c, td.Name, args[1], newValue, opts...)
			if err != nil {
				return err
			}
			if !found {
				return fmt.Errorf("table %q has no key %q", td.Name, args[1])
			}
			return printValue(stdout, args[1], v)
		case args[0] == "scan" && len(args) == 1:
			n := 0
			for e, err := range tableclient.All(ctx, c, td.Name, *prefix, newValue, opts...) {
				if err != nil {
					return err
				}
				if err := printValue(stdout, e.Key, e.Value); err != nil {
					return err
				}
				if n++; *limit > 0 && n >= *limit {
					break
				}
			}
			return nil
		}
		return &usageError{err: fmt.Errorf("tables %s: use tables list, tables get --table NAME KEY, or tables scan --table NAME [--prefix P]", strings.Join(args, " "))}
	}
}

// printValue prints key, a tab and the value as one line of JSON.
func printValue(w io.Writer, key string, v proto.Message) error {
	b, err := protojson.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\t%s\n", key, b)
	return err
}

// tables returns the app's tables, each once, sorted by name.
func tables(app *runtime.App) []*runtime.TableDesc {
	seen := map[string]*runtime.TableDesc{}
	for _, ag := range app.Agents() {
		for _, td := range ag.Desc.Tables {
			seen[td.Name] = td
		}
	}
	out := make([]*runtime.TableDesc, 0, len(seen))
	for _, td := range seen {
		out = append(out, td)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func tableByName(app *runtime.App, name string) *runtime.TableDesc {
	for _, td := range tables(app) {
		if td.Name == name {
			return td
		}
	}
	return nil
}

func tableNames(app *runtime.App) []string {
	var out []string
	for _, td := range tables(app) {
		out = append(out, td.Name)
	}
	return out
}

// listTables prints each table: its kind, value type, partitions and
// changelog (or source topic).
func listTables(app *runtime.App, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tKIND\tVALUE\tPARTITIONS\tTOPIC")
	for _, td := range tables(app) {
		kind, topic := "key-value", ""
		switch {
		case td.Global:
			kind, topic = "global", td.Source.Name
		case td.Window != nil:
			kind = fmt.Sprintf("windowed (size %v, step %v, grace %v)", td.Window.Size, td.Window.Step, td.Window.Grace)
			if td.Window.Session() {
				kind = fmt.Sprintf("session windows (gap %v, grace %v)", td.Window.Gap, td.Window.Grace)
			}
		}
		var parts int32
		if td.Changelog != nil {
			topic, parts = td.Changelog.Name, td.Changelog.Partitions
		} else if td.Source != nil {
			parts = td.Source.Partitions
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", td.Name, kind, td.New().ProtoReflect().Descriptor().FullName(), parts, topic)
	}
	return tw.Flush()
}

// workerURL returns the HTTP base URL to query: given, else any group
// member's advertised one (its consumers' client ids end with
// "@<URL>"), else the command line's default address.
func workerURL(ctx context.Context, app *runtime.App, k *kafkaFlags, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	brokers, props, err := k.resolve()
	if err != nil || brokers == "" {
		return "http://" + DefaultHTTPAddr, err
	}
	g := kafka.NewGroups(kafka.Config{Brokers: brokers, ClientID: app.ID() + "-cli", Extra: props, Logger: slog.New(slog.DiscardHandler)})
	defer g.Close()
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	members, err := g.Describe(dctx, app.ID())
	if err != nil {
		return "", fmt.Errorf("finding a worker of group %q on %s: %w (or give --url)", app.ID(), brokers, err)
	}
	for _, m := range members {
		if u, ok := worker.MemberURL(m.ClientID); ok {
			return u, nil
		}
	}
	return "", fmt.Errorf("no worker of group %q serves HTTP (%d members): start workers with --http-addr, or give --url", app.ID(), len(members))
}

// defineAgents is `agents`: each agent's input, outputs, tables,
// concurrency and policies.
func defineAgents(_ *pflag.FlagSet, app *runtime.App) runFunc {
	return func(_ context.Context, _ []string, stdout, _ io.Writer) error {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "AGENT\tINPUT\tOUTPUTS\tTABLES\tCONCURRENCY\tBATCH\tON ERROR\tDEAD LETTERS\tREPARTITION")
		for _, ag := range app.Agents() {
			d := ag.Desc
			in := "-"
			switch {
			case d.Input != nil && d.StreamJoin != nil:
				j := d.StreamJoin
				in = fmt.Sprintf("%s (%d) %s %s within -%v/+%v, grace %v", d.Input.Name, d.Input.Partitions,
					strings.ToLower(strings.TrimPrefix(j.Kind.String(), "JOIN_KIND_")), j.Stream.Name, j.Before, j.After, j.Grace)
			case d.Input != nil:
				in = fmt.Sprintf("%s (%d)", d.Input.Name, d.Input.Partitions)
			case d.WindowClose != nil:
				in = "closed windows of " + d.WindowClose.Name
			case d.Timer != nil:
				in = d.Timer.String()
			}
			var outs, tbls []string
			for _, t := range d.Outputs {
				outs = append(outs, t.Name)
			}
			for _, t := range d.Tables {
				tbls = append(tbls, t.Name)
			}
			rep := "-"
			if d.Repartition != nil {
				rep = d.Repartition.Name + " (" + d.OnMisplacedKey.String() + ")"
			}
			batch := "-"
			if d.Batch != nil {
				batch = fmt.Sprintf("%d / %v", d.Batch.MaxRecords, d.Batch.MaxWait)
			}
			onErr := "dead letter"
			if d.OnError == runtime.OnErrorStop {
				onErr = "stop"
			}
			dlq := "-" // a foreign-key join's own agents stop on an error
			if d.DeadLetter != nil {
				dlq = d.DeadLetter.Name
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", ag.Name(), in, dash(outs), dash(tbls), max(d.Concurrency, 1), batch, onErr, dlq, rep)
		}
		return tw.Flush()
	}
}

func dash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// defineLag is `lag`: the app's consumer group's committed offset, end
// offset and lag per partition, from the brokers.
func defineLag(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	return func(ctx context.Context, _ []string, stdout, _ io.Writer) error {
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		if brokers == "" {
			return errors.New("lag needs --brokers or " + worker.EnvBrokers + ": the brokers holding the app's consumer group")
		}
		opts, _, err := kgoOptionsFor("lag", props)
		if err != nil {
			return err
		}
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, opts...)...)
		if err != nil {
			return err
		}
		defer cl.Close()
		lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		lags, err := kadm.NewClient(cl).Lag(lctx, app.ID())
		if err != nil {
			return fmt.Errorf("lag of group %q: %w", app.ID(), err)
		}
		gl, ok := lags[app.ID()]
		if !ok {
			return fmt.Errorf("group %q: not found on %s", app.ID(), brokers)
		}
		if err := gl.Error(); err != nil {
			return fmt.Errorf("lag of group %q: %w", app.ID(), err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "TOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tMEMBER\n")
		var total int64
		for _, l := range gl.Lag.Sorted() {
			member := "-"
			if l.Member != nil {
				member = l.Member.ClientID
			}
			committed := "-"
			if l.Commit.At >= 0 {
				committed = fmt.Sprint(l.Commit.At)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\n", l.Topic, l.Partition, committed, l.End.Offset, l.Lag, member)
			total += l.Lag
		}
		fmt.Fprintf(tw, "total\t\t\t\t%d\t(state %s, %d members)\n", total, gl.State, len(gl.Members))
		return tw.Flush()
	}
}
