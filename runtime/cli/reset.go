package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/worker"
)

// ErrGroupAlive is reset's error when members of the app's consumer group
// are alive and --force is not given.
var ErrGroupAlive = errors.New("members of the group are alive")

// resetTarget is where reset moves the offsets.
type resetTarget struct {
	earliest, latest bool
	at               time.Time // --to-datetime
	offset           int64     // --to-offset
	hasOffset        bool
}

func (t resetTarget) set() bool {
	return t.earliest || t.latest || !t.at.IsZero() || t.hasOffset
}

func defineReset(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	agent := fs.String("agent", "", "reset this agent's input topic only, by rpc name (default: every agent's input topic)")
	earliest := fs.Bool("to-earliest", false, "move the offsets to the earliest offset of each partition")
	latest := fs.Bool("to-latest", false, "move the offsets to the end of each partition (skip what is there)")
	datetime := fs.String("to-datetime", "", "move the offsets to the first record at or after this time, RFC 3339 (2026-11-30T12:00:00Z)")
	offset := fs.Int64("to-offset", 0, "move each partition's offset to this offset (clamped to the partition's earliest and end offsets)")
	wipe := fs.Bool("wipe-state", false, "also remove the worker's local table stores (the selected agents' tables) from --data-dir: the worker restores them from their changelogs")
	dataDir := fs.String("data-dir", os.Getenv("STREAMGEN_DATA_DIR"), "the worker's data directory, for --wipe-state (default $STREAMGEN_DATA_DIR, else $TMPDIR/streamgen/<app id>)")
	execute := fs.Bool("execute", false, "apply the changes; without it, reset only prints what it would change")
	force := fs.Bool("force", false, "reset although members of the group are alive: they are removed from the group first (they rejoin, from the new offsets)")
	return func(ctx context.Context, _ []string, stdout, stderr io.Writer) error {
		var target resetTarget
		target.earliest, target.latest = *earliest, *latest
		target.offset, target.hasOffset = *offset, fs.Changed("to-offset")
		n := 0
		for _, b := range []bool{target.earliest, target.latest, *datetime != "", target.hasOffset} {
			if b {
				n++
			}
		}
		if n > 1 {
			return errors.New("give one of --to-earliest, --to-latest, --to-datetime and --to-offset")
		}
		if *datetime != "" {
			at, err := time.Parse(time.RFC3339Nano, *datetime)
			if err != nil {
				return fmt.Errorf("--to-datetime %q: want RFC 3339, e.g. 2026-11-30T12:00:00Z: %w", *datetime, err)
			}
			target.at = at
		}
		if !target.set() && !*wipe {
			return errors.New("say what to reset: --to-earliest, --to-latest, --to-datetime, --to-offset, and/or --wipe-state")
		}
		agents, err := selectAgents(app, *agent)
		if err != nil {
			return err
		}
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		if brokers == "" {
			return errors.New("reset needs --brokers or " + worker.EnvBrokers + ": the brokers holding the app's consumer group")
		}
		opts, _, err := kgoOptionsFor("reset", props)
		if err != nil {
			return err
		}
		r := &resetter{app: app, agents: agents, target: target, execute: *execute, force: *force, stdout: stdout, stderr: stderr}
		if *wipe {
			r.dataDir = *dataDir
			if r.dataDir == "" {
				r.dataDir = filepath.Join(os.TempDir(), "streamgen", app.ID())
			}
		}
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(brokers, ",")...)}, opts...)...)
		if err != nil {
			return err
		}
		defer cl.Close()
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		err = cl.Ping(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("reset: reaching brokers %s: %w (check --brokers, and -X / --kafka-config for the cluster's security settings)", brokers, err)
		}
		r.cl, r.adm = cl, kadm.NewClient(cl)
		return r.run(ctx)
	}
}

// selectAgents returns the agent named name (by rpc name, or app/rpc),
// or every agent with an input topic when name is empty.
func selectAgents(app *runtime.App, name string) ([]*runtime.Agent, error) {
	var all, names []string
	var out []*runtime.Agent
	for _, ag := range app.Agents() {
		all = append(all, ag.Desc.Name)
		if name != "" && !strings.EqualFold(name, ag.Desc.Name) && name != ag.Name() {
			continue
		}
		if name != "" && ag.Desc.Input == nil {
			why := "it runs on closed windows"
			if ag.Desc.Timer != nil {
				why = "it runs on time: its last ticks are kept in the metadata of the committed offsets of the leader topic, or of its tables' topic (a reset of that topic's offsets forgets them, and its ticks start afresh)"
			}
			return nil, fmt.Errorf("--agent %s consumes no topic (%s): it has no offsets to reset", name, why)
		}
		if ag.Desc.Input != nil {
			out = append(out, ag)
			names = append(names, ag.Desc.Name)
		}
	}
	if len(out) == 0 {
		if name != "" {
			return nil, fmt.Errorf("app %q has no agent %q; its agents: %s", app.ID(), name, strings.Join(all, ", "))
		}
		return nil, fmt.Errorf("app %q has no agent with an input topic", app.ID())
	}
	return out, nil
}

// resetter plans a reset, prints the plan and, with execute, applies it.
type resetter struct {
	app            *runtime.App
	agents         []*runtime.Agent
	target         resetTarget
	dataDir        string // "" without --wipe-state
	execute, force bool
	cl             *kgo.Client
	adm            *kadm.Client
	stdout, stderr io.Writer
}

// resetRow is one partition's move.
type resetRow struct {
	topic     string
	partition int32
	current   int64 // -1: none committed
	next      int64
	// note says why next is not the target asked for: "earliest" or "end"
	// when --to-offset was out of range; "end: repartition topic".
	note string
}

func (r *resetter) run(ctx context.Context) error {
	group := r.app.ID()
	live, err := r.liveMembers(ctx, group)
	if err != nil {
		return err
	}
	if len(live) > 0 && !r.force {
		return fmt.Errorf("%w: group %q has %d (%s); stop the app's workers first, or give --force to remove them from the group",
			ErrGroupAlive, group, len(live), describeMembers(live))
	}
	var rows []resetRow
	if r.target.set() {
		if rows, err = r.plan(ctx, group); err != nil {
			return err
		}
	}
	var wipes []string
	if r.dataDir != "" {
		if wipes, err = r.planWipe(); err != nil {
			return err
		}
	}
	r.print(group, live, rows, wipes)
	if !r.execute {
		fmt.Fprintln(r.stdout, "dry run: nothing changed; run again with --execute to apply")
		return nil
	}
	if len(live) > 0 {
		if err := r.removeMembers(ctx, group, live); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		if err := r.commit(ctx, group, rows); err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "committed %d offsets of group %s\n", len(rows), group)
	}
	for _, dir := range wipes {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("wiping %s: %w", dir, err)
		}
		fmt.Fprintf(r.stdout, "removed %s\n", dir)
	}
	return nil
}

// liveMembers returns the group's members, none when it is empty or dead.
func (r *resetter) liveMembers(ctx context.Context, group string) ([]kadm.DescribedGroupMember, error) {
	groups, err := r.adm.DescribeGroups(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("describing group %q: %w", group, err)
	}
	g, ok := groups[group]
	if !ok {
		return nil, nil
	}
	if g.Err != nil {
		return nil, fmt.Errorf("describing group %q: %w", group, g.Err)
	}
	if g.State == "Empty" || g.State == "Dead" {
		return nil, nil
	}
	return g.Members, nil
}

func describeMembers(ms []kadm.DescribedGroupMember) string {
	var s []string
	for _, m := range ms {
		d := m.ClientID + "@" + m.ClientHost
		if m.InstanceID != nil {
			d = *m.InstanceID + " " + d
		}
		s = append(s, d)
	}
	if len(s) == 1 {
		return "1 member: " + s[0]
	}
	return "members: " + strings.Join(s, ", ")
}

// topics returns the selected agents' input topics and the streams they
// join (moved alike), each once, then the repartition topics they consume
// (misplaced records moved to their key's partition).
func (r *resetter) topics() []string {
	var ts []string
	for _, ag := range r.agents {
		if !slices.Contains(ts, ag.Desc.Input.Name) {
			ts = append(ts, ag.Desc.Input.Name)
		}
		if j := ag.Desc.StreamJoin; j != nil && !slices.Contains(ts, j.Stream.Name) {
			ts = append(ts, j.Stream.Name)
		}
	}
	for _, ag := range r.agents {
		if t := repartitionTopic(ag); t != "" && !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	return ts
}

// repartitionTopic returns the repartition topic ag consumes, "" if none.
func repartitionTopic(ag *runtime.Agent) string {
	if ag.Desc.Repartition == nil || ag.Desc.OnMisplacedKey != runtime.MisplacedKeyRepartition {
		return ""
	}
	return ag.Desc.Repartition.Name
}

// isRepartition reports whether topic is a selected agent's repartition
// topic.
func (r *resetter) isRepartition(topic string) bool {
	for _, ag := range r.agents {
		if repartitionTopic(ag) == topic {
			return true
		}
	}
	return false
}

// plan returns the move of every partition of the topics.
func (r *resetter) plan(ctx context.Context, group string) ([]resetRow, error) {
	topics := r.topics()
	listed := func(what string, l kadm.ListedOffsets, err error) (kadm.ListedOffsets, error) {
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("listing the %s offsets of %s: %w (has a worker created the topics?)", what, strings.Join(topics, ", "), err)
		}
		return l, nil
	}
	starts, err := r.adm.ListStartOffsets(ctx, topics...)
	if starts, err = listed("start", starts, err); err != nil {
		return nil, err
	}
	ends, err := r.adm.ListEndOffsets(ctx, topics...)
	if ends, err = listed("end", ends, err); err != nil {
		return nil, err
	}
	var at kadm.ListedOffsets
	if !r.target.at.IsZero() {
		at, err = r.adm.ListOffsetsAfterMilli(ctx, r.target.at.UnixMilli(), topics...)
		if at, err = listed("--to-datetime", at, err); err != nil {
			return nil, err
		}
	}
	committed, err := r.adm.FetchOffsetsForTopics(ctx, group, topics...)
	if err == nil {
		err = committed.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("fetching group %q's offsets: %w", group, err)
	}
	var rows []resetRow
	for _, topic := range topics {
		for _, end := range ends[topic] {
			start, _ := starts.Lookup(topic, end.Partition)
			row := resetRow{topic: topic, partition: end.Partition, current: -1}
			if c, ok := committed.Lookup(topic, end.Partition); ok && c.At >= 0 {
				row.current = c.At
			}
			switch {
			case r.isRepartition(topic):
				// Its records were moved there from input records before
				// the input's committed offsets. Wherever the input moves,
				// what is still unread there is dropped: moving back, the
				// input's records are read and moved again; moving
				// forward skips them (Kafka Streams' reset tool deletes
				// its internal topics alike).
				row.next, row.note = end.Offset, "end: repartition topic"
			case r.target.earliest:
				row.next = start.Offset
			case r.target.latest:
				row.next = end.Offset
			case !r.target.at.IsZero():
				o, _ := at.Lookup(topic, end.Partition)
				row.next = o.Offset
			case r.target.hasOffset:
				row.next = r.target.offset
				if row.next < start.Offset {
					row.next, row.note = start.Offset, "earliest"
				} else if row.next > end.Offset {
					row.next, row.note = end.Offset, "end"
				}
			}
			rows = append(rows, row)
		}
	}
	slices.SortFunc(rows, func(a, b resetRow) int {
		if c := strings.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return int(a.partition - b.partition)
	})
	return rows, nil
}

// planWipe returns the table store directories to remove: the selected
// agents' tables under r.dataDir, which must look like a worker's data
// directory (only table directories of the app, and global/, holding
// partition directories).
func (r *resetter) planWipe() ([]string, error) {
	tables := map[string]bool{}
	global := map[string]bool{}
	var mine []string
	for _, ag := range r.app.Agents() {
		for _, td := range ag.Desc.Tables {
			if td.Global {
				global[td.Name] = true
			} else {
				tables[td.Name] = true
			}
		}
	}
	for _, ag := range r.agents {
		for _, td := range ag.Desc.Tables {
			dir := filepath.Join(r.dataDir, td.Name)
			if td.Global {
				dir = filepath.Join(r.dataDir, "global", td.Name)
			}
			if !slices.Contains(mine, dir) {
				mine = append(mine, dir)
			}
		}
	}
	entries, err := os.ReadDir(r.dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // nothing to wipe
	}
	if err != nil {
		return nil, err
	}
	refuse := func(what string) error {
		return fmt.Errorf("--wipe-state: %s does not look like a streamgen data directory of app %q (%s); name the worker's --data-dir", r.dataDir, r.app.ID(), what)
	}
	for _, e := range entries {
		switch {
		case !e.IsDir():
			return nil, refuse("it holds the file " + e.Name())
		case e.Name() == "global":
			sub, err := os.ReadDir(filepath.Join(r.dataDir, "global"))
			if err != nil {
				return nil, err
			}
			for _, g := range sub {
				if !global[g.Name()] {
					return nil, refuse("global/" + g.Name() + " is no global table of the app")
				}
				if err := partitionDirs(filepath.Join(r.dataDir, "global", g.Name())); err != nil {
					return nil, refuse(err.Error())
				}
			}
		case !tables[e.Name()]:
			return nil, refuse(e.Name() + " is no table of the app")
		default:
			if err := partitionDirs(filepath.Join(r.dataDir, e.Name())); err != nil {
				return nil, refuse(err.Error())
			}
		}
	}
	var out []string
	for _, dir := range mine {
		if _, err := os.Stat(dir); err == nil {
			out = append(out, dir)
		}
	}
	return out, nil
}

// partitionDirs checks that dir holds only partition directories (named
// by number).
func partitionDirs(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := strconv.ParseUint(e.Name(), 10, 31); err != nil || !e.IsDir() {
			return fmt.Errorf("%s holds %s, not a partition's store", filepath.Base(dir), e.Name())
		}
	}
	return nil
}

// print writes the plan as a table.
func (r *resetter) print(group string, live []kadm.DescribedGroupMember, rows []resetRow, wipes []string) {
	verb := "would"
	if r.execute {
		verb = "will"
	}
	if len(live) > 0 {
		fmt.Fprintf(r.stdout, "--force: %s remove %s from group %s\n", verb, describeMembers(live), group)
	}
	if len(rows) > 0 {
		tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tCURRENT\tNEW")
		for _, row := range rows {
			cur := "-"
			if row.current >= 0 {
				cur = strconv.FormatInt(row.current, 10)
			}
			next := strconv.FormatInt(row.next, 10)
			if row.note != "" {
				next += " (" + row.note + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", group, row.topic, row.partition, cur, next)
		}
		tw.Flush()
	}
	if r.dataDir != "" {
		if len(wipes) == 0 {
			fmt.Fprintf(r.stdout, "state: no table stores of the selected agents under %s\n", r.dataDir)
		}
		for _, dir := range wipes {
			parts, _ := os.ReadDir(dir)
			fmt.Fprintf(r.stdout, "state: %s remove %s (%d partition stores)\n", verb, dir, len(parts))
		}
	}
}

// removeMembers removes the live members from the group (LeaveGroup on
// their behalf), so that offsets can be committed: a broker refuses a
// commit from outside a group that has members.
func (r *resetter) removeMembers(ctx context.Context, group string, live []kadm.DescribedGroupMember) error {
	req := kmsg.NewPtrLeaveGroupRequest()
	req.Group = group
	for _, m := range live {
		lm := kmsg.NewLeaveGroupRequestMember()
		lm.MemberID = m.MemberID
		lm.InstanceID = m.InstanceID
		reason := "streamgen reset --force"
		lm.Reason = &reason
		req.Members = append(req.Members, lm)
	}
	resp, err := req.RequestWith(ctx, r.cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
		for _, m := range resp.Members {
			if err == nil {
				err = kerr.ErrorForCode(m.ErrorCode)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("removing the members of group %q: %w", group, err)
	}
	fmt.Fprintf(r.stdout, "removed %s from group %s\n", describeMembers(live), group)
	return nil
}

// commit commits the new offsets, retrying while removed members leave
// the group (the broker refuses a commit while the group has members).
func (r *resetter) commit(ctx context.Context, group string, rows []resetRow) error {
	var offsets kadm.Offsets
	for _, row := range rows {
		offsets.Add(kadm.Offset{Topic: row.topic, Partition: row.partition, At: row.next, LeaderEpoch: -1})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := r.adm.CommitOffsets(ctx, group, offsets)
		if err == nil {
			err = resp.Error()
		}
		if err == nil {
			return nil
		}
		if !r.force || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("committing group %q's offsets: %w (a member of the group alive again refuses an outside commit: stop the workers and run reset again)", group, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
