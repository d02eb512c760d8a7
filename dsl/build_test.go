package dsl_test

import (
	"context"
	"errors"
	"io"

	"strings"
	"testing"
	"time"

	"github.com/bufbuild/protocompile"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamgen/streamgen/dsl"
	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	streamgenproto "github.com/streamgen/streamgen/proto"
)

// compile compiles testdata files as the generator does, with source info.
func compile(t *testing.T, files ...string) []protoreflect.FileDescriptor {
	t.Helper()
	return compileWith(t, protocompile.SourceInfoStandard|protocompile.SourceInfoExtraOptionLocations, files...)
}

// compileWith compiles testdata files with the given source info.
func compileWith(t *testing.T, mode protocompile.SourceInfoMode, files ...string) []protoreflect.FileDescriptor {
	t.Helper()
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.CompositeResolver{
			&protocompile.SourceResolver{ImportPaths: []string{"testdata"}},
			protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
				f, err := streamgenproto.Files.Open(path)
				if err != nil {
					return protocompile.SearchResult{}, err
				}
				return protocompile.SearchResult{Source: f.(io.Reader)}, nil
			}),
		}),
		SourceInfoMode: mode,
	}
	res, err := c.Compile(context.Background(), files...)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]protoreflect.FileDescriptor, len(res))
	for i, f := range res {
		out[i] = f
	}
	return out
}

// TestBuildReportsEveryErrorWithPosition checks that one pass reports
// every broken rule at once, each at the line and column of the option or
// element that breaks it, with what to do.
func TestBuildReportsEveryErrorWithPosition(t *testing.T) {
	_, err := dsl.Build(compile(t, "bad.proto"))
	var errs dsl.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Build returned %v, want dsl.Errors", err)
	}
	want := []struct{ pos, text string }{
		{"bad.proto:11:5", `key field "acount_id" does not exist in bad.v1.Order; name one of its fields (string account_id)`},
		{"bad.proto:17:34", `topic "orders" is already bound to bad.v1.Order`},
		{"bad.proto:23:5", `topic name "bad topic!" may only hold the characters`},
		{"bad.proto:24:5", `CODEC_RAW needs a message with exactly one field, of type string or bytes`},
		{"bad.proto:37:5", `key field "ids" is repeated`},
		{"bad.proto:38:5", `partitions is -2`},
		{"bad.proto:46:3", `input bad.v1.Loose is not bound to a topic`},
		{"bad.proto:48:3", `agent emits to its own input topic "repeated"`},
		{"bad.proto:52:17", `output "bad.v1.Nope" is not a message bound to a topic`},
		{"bad.proto:52:32", `output "bad.v1.Loose" is not a message bound to a topic`},
		{"bad.proto:53:7", `concurrency is -1`},
		{"bad.proto:61:5", `rpc has an agent option but service NotAnApp has no app option`},
	}
	got := strings.Split(errs.Error(), "\n")
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w.pos+": ") && strings.Contains(g, w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing error at %s containing %q", w.pos, w.text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(got), len(want), errs.Error())
	}
}

func TestBuildModel(t *testing.T) {
	m, err := dsl.Build(compile(t, "good.proto"))
	if err != nil {
		t.Fatal(err)
	}
	orders := m.Topics["orders"]
	if orders == nil || orders.Partitions != 8 || orders.Key.Name() != "account_id" || orders.Codec != streamgenv1.Codec_CODEC_PROTO {
		t.Fatalf("orders topic: %+v", orders)
	}
	totals := m.Topics["account-totals"]
	if totals.Config["cleanup.policy"] != "compact" || totals.Config["retention.ms"] != "-1" || totals.ReplicationFactor != -1 {
		t.Errorf("account-totals config: %v rf %d", totals.Config, totals.ReplicationFactor)
	}
	if len(m.Apps) != 1 || m.Apps[0].ID != "shop" {
		t.Fatalf("apps: %+v", m.Apps)
	}
	ag := m.Apps[0].Agents[0]
	if ag.Name != "TotalByAccount" || ag.Input != orders || len(ag.Outputs) != 2 || ag.Outputs[0] != totals ||
		ag.Concurrency != 1 || ag.OnError != streamgenv1.OnError_ON_ERROR_DEAD_LETTER ||
		ag.DeadLetter.Name != "shop-total-by-account-dlq" || ag.DeadLetter.Partitions != 8 {
		t.Errorf("agent: %+v", ag)
	}
}

func TestResolversAcceptDynamicOptions(t *testing.T) {
	// protocompile hands options over as dynamic messages or unknown
	// fields, not as the generated types: the resolvers must read both.
	files := compile(t, "good.proto")
	md := files[0].Messages().ByName("Order")
	topic, ok, err := dsl.TopicOf(md)
	if err != nil || !ok || topic.GetName() != "orders" || topic.GetPartitions() != 8 {
		t.Fatalf("TopicOf = %v, %v, %v", topic, ok, err)
	}
	if _, ok, _ := dsl.TopicOf(files[0].Messages().ByName("Note")); ok {
		t.Error("TopicOf reports a topic on a message without the option")
	}
}

func TestKebabAndTopicNames(t *testing.T) {
	for in, want := range map[string]string{"Total": "total", "TotalByAccount": "total-by-account", "HTTPRequests": "http-requests", "a_b": "a-b"} {
		if got := dsl.Kebab(in); got != want {
			t.Errorf("Kebab(%q) = %q, want %q", in, got, want)
		}
	}
	for name, ok := range map[string]bool{"orders": true, "a.b_c-D9": true, "": false, ".": false, "..": false, "a b": false, strings.Repeat("x", 250): false} {
		if got := dsl.ValidTopicName(name) == ""; got != ok {
			t.Errorf("ValidTopicName(%q) valid = %v, want %v", name, got, ok)
		}
	}
}

// TestStrictJSON: strict_json reaches the model of a CODEC_JSON topic,
// is off by default, and is an error on a topic of another codec.
func TestStrictJSON(t *testing.T) {
	m, err := dsl.Build(compile(t, "good.proto"))
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Topics["alerts"]; a.Codec != streamgenv1.Codec_CODEC_JSON || !a.StrictJSON {
		t.Errorf("alerts: codec %v, strict %v; want CODEC_JSON, strict", a.Codec, a.StrictJSON)
	}
	if m.Topics["orders"].StrictJSON {
		t.Error("orders is strict without declaring strict_json")
	}
	_, err = dsl.Build(compile(t, "rules.proto"))
	want := `rules.proto:30:68: message D > option topic.strict_json: strict_json is set but the topic's codec is CODEC_PROTO; strict_json only applies to CODEC_JSON: remove it, or set codec: CODEC_JSON`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant an error containing %s", err, want)
	}
}

func TestDeadLetterTopicMustBeOwn(t *testing.T) {
	_, err := dsl.Build(compile(t, "dlq.proto"))
	if err == nil || !strings.Contains(err.Error(), `dlq.proto:23:7: service Shop > rpc Check > option agent.dead_letter_topic: dead-letter topic "receipts" is also the topic of dlq.v1.Receipt`) {
		t.Errorf("got %v", err)
	}
}

func TestTableRules(t *testing.T) {
	_, err := dsl.Build(compile(t, "tables.proto"))
	if err == nil {
		t.Fatal("no errors")
	}
	for _, want := range []string{
		`option app.tables[2].name: table name "Bad_Name" must be lower-case`,
		`option app.tables[3].value: value "tables.v1.Nope" is not a known message`,
		`option app.tables[6].global: global table "no-topic" is fed from the topic of its value tables.v1.Total, which has no topic option`,
		`option app.tables[7].default_json: default_json is not a tables.v1.Total in protojson`,
		`option app.tables[4]: no agent uses table "unused"`,
		`option agent.tables[1]: table "by-region" is keyed by "region" but topic "orders" is not (its key is field account)`,
		`option agent.tables[3]: table "missing" is not declared`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing error containing %q", want)
		}
	}
	// Add is rejected for its bad tables, so the co-partitioning error
	// needs a schema where both writers are valid: see TestCoPartitioning.
}

func TestCoPartitioning(t *testing.T) {
	_, err := dsl.Build(compile(t, "copart.proto"))
	if err == nil || !strings.Contains(err.Error(), `table "totals" is written by Add, whose input "orders" has 4 partitions, and by Return, whose input "refunds" has 2`) {
		t.Errorf("got %v", err)
	}
}

// A windowed table has one writer agent: its lanes close and expire the
// windows, and a second writer would close each window again.
func TestWindowedTableHasOneWriter(t *testing.T) {
	_, err := dsl.Build(compile(t, "windowwriters.proto"))
	want := `windowwriters.proto:38:5: service Pages > rpc Viewed > option agent.tables: windowed table "per-minute" is written by Clicked and by Viewed: a windowed table has one writer agent`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant it to contain %s", err, want)
	}
}

func TestWindowRules(t *testing.T) {
	_, err := dsl.Build(compile(t, "windows.proto"))
	if err == nil {
		t.Fatal("no errors")
	}
	for _, want := range []string{
		`field also: a message has at most one event_time field; at already is`,
		`field when: event_time field when is of type string; use google.protobuf.Timestamp or int64`,
		`option app.tables[1].window: window.step 25s must be positive and divide size 1m0s`,
		`option app.tables[2].window: window.size must be at least 1ms`,
		`option app.tables[3].window: window.grace 1m30s exceeds window.expires 1m0s`,
		`rpc Closed > option agent.on_window_close: table "plain" is not windowed`,
		`rpc WrongType > option agent.on_window_close: the agent receives the final values of table "ok", of type windows.v1.Count, but takes windows.v1.View`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing error containing %q\n%s", want, err)
		}
	}
}

func TestGuarantee(t *testing.T) {
	files := compile(t, "guarantee.proto")
	_, err := dsl.Build(files)
	want := `guarantee.proto:30:5: service TooSlow > option app.commit_interval: commit_interval 2m0s is out of range: use 1 ms to 1 min`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

// TestFutureEvents: an agent's bound on event time running ahead and its
// policy reach the model, default to one hour and dead-lettering, and are
// checked: the bound is positive, the policy known, and an on_window_close
// agent, which consumes no records, declares neither.
func TestFutureEvents(t *testing.T) {
	m, err := dsl.Build(compile(t, "future.proto"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ag := range m.Apps[0].Agents {
		ahead, policy := dsl.DefaultMaxEventTimeAhead, streamgenv1.FutureEvent_FUTURE_EVENT_DEAD_LETTER
		if ag.Name == "Tally" {
			ahead, policy = 10*time.Minute, streamgenv1.FutureEvent_FUTURE_EVENT_CLAMP
		}
		if ag.MaxEventTimeAhead != ahead || ag.OnFutureEvent != policy {
			t.Errorf("%s: max_event_time_ahead %v, on_future_event %v; want %v, %v", ag.Name, ag.MaxEventTimeAhead, ag.OnFutureEvent, ahead, policy)
		}
	}
	if dsl.DefaultMaxEventTimeAhead != time.Hour {
		t.Errorf("DefaultMaxEventTimeAhead is %v, want the documented 1h", dsl.DefaultMaxEventTimeAhead)
	}

	_, err = dsl.Build(compile(t, "futurebad.proto"))
	var errs dsl.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Build returned %v, want dsl.Errors", err)
	}
	want := []string{
		`futurebad.proto:31:59: service Bad > rpc Zero > option agent.max_event_time_ahead: max_event_time_ahead is 0s; use a positive duration, e.g. {seconds: 600}, or leave it out for 1 hour`,
		`futurebad.proto:35:36: service Bad > rpc Negative > option agent.max_event_time_ahead: max_event_time_ahead is -5s; use a positive duration, e.g. {seconds: 600}, or leave it out for 1 hour`,
		`futurebad.proto:35:72: service Bad > rpc Negative > option agent.on_future_event: unknown on_future_event 9; use FUTURE_EVENT_DEAD_LETTER or FUTURE_EVENT_CLAMP`,
		`futurebad.proto:39:66: service Bad > rpc Closed > option agent.max_event_time_ahead: an on_window_close agent consumes no topic, so no event of its own runs ahead; remove max_event_time_ahead (the table's writer agent bounds its input)`,
		`futurebad.proto:39:101: service Bad > rpc Closed > option agent.on_future_event: an on_window_close agent consumes no topic, so no event of its own runs ahead; remove on_future_event (the table's writer agent sets it for its input)`,
	}
	if d := cmp.Diff(want, strings.Split(errs.Error(), "\n")); d != "" {
		t.Errorf("errors differ (-want +got):\n%s", d)
	}
}

// TestMisplacedKeys: an agent with tables gets a repartition topic,
// partitioned like its input and named by default from the app and the
// rpc, and MISPLACED_KEY_REPARTITION unless it declares another policy
// (the mistakes are in testdata/misplaced.errors).
func TestMisplacedKeys(t *testing.T) {
	m, err := dsl.Build(compile(t, "misplacedok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		topic      string
		partitions int32
		policy     streamgenv1.MisplacedKey
	}{
		"Clicks": {"site-clicks-repartition", 6, streamgenv1.MisplacedKey_MISPLACED_KEY_REPARTITION},
		"Views":  {"site-views-moved", 1, streamgenv1.MisplacedKey_MISPLACED_KEY_STOP},
	}
	for _, ag := range m.Apps[0].Agents {
		w := want[ag.Name]
		if ag.Repartition == nil {
			t.Fatalf("%s has no repartition topic", ag.Name)
		}
		if ag.Repartition.Name != w.topic || ag.Repartition.Partitions != w.partitions || ag.OnMisplacedKey != w.policy || ag.Repartition.PartitionsFrom != ag.Input {
			t.Errorf("%s: repartition %q (%d partitions, from %v), %v; want %q (%d, from its input), %v", ag.Name, ag.Repartition.Name,
				ag.Repartition.Partitions, ag.Repartition.PartitionsFrom, ag.OnMisplacedKey, w.topic, w.partitions, w.policy)
		}
	}
}

// TestStreamJoin: a stream join reads its stream's topic, window and
// kind, gets two windowed buffer tables named after the agent (kept for
// the other side's reach plus grace), changelogs partitioned like its
// input, and MISPLACED_KEY_DEAD_LETTER with no repartition topic (the
// mistakes are in testdata/streamjoin.errors).
func TestStreamJoin(t *testing.T) {
	m, err := dsl.Build(compile(t, "streamjoinok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	app := m.Apps[0]
	ag := app.Agents[0]
	j := ag.Join
	if j == nil || j.Stream == nil || j.Stream.Name != "views" || j.Before != time.Hour || j.After != 0 || j.Grace != time.Minute || !j.Left || j.Outer {
		t.Fatalf("join %+v; want stream views, before 1h, after 0, grace 1m, left", j)
	}
	if ag.Repartition != nil || ag.OnMisplacedKey != streamgenv1.MisplacedKey_MISPLACED_KEY_DEAD_LETTER {
		t.Errorf("repartition %v, policy %v; want none, MISPLACED_KEY_DEAD_LETTER", ag.Repartition, ag.OnMisplacedKey)
	}
	want := []struct {
		name, changelog string
		kept            time.Duration
	}{{"attribute-join-input", "ads-attribute-join-input-changelog", time.Minute}, {"attribute-join-stream", "ads-attribute-join-stream-changelog", time.Hour + time.Minute}}
	if len(ag.Tables) != 2 || len(app.Tables) != 2 {
		t.Fatalf("agent tables %d, app tables %d; want the two buffers", len(ag.Tables), len(app.Tables))
	}
	for i, w := range want {
		b := ag.Tables[i]
		if b != j.Buffers[i] || b != app.Tables[i] || !b.Buffer || b.Name != w.name || b.Changelog.Name != w.changelog ||
			b.Changelog.Partitions != 4 || b.Changelog.PartitionsFrom != ag.Input || b.KeyField != "user" ||
			b.Window == nil || b.Window.Size != time.Millisecond || b.Window.Grace != w.kept || b.Window.Expires != w.kept {
			t.Errorf("buffer %d: %+v (changelog %+v, window %+v); want %+v", i, b, b.Changelog, b.Window, w)
		}
	}
}

// TestTableJoin: a table-table join resolves its sides (declared after
// it, too) and kind; the agent writing a side keeps it (JoinTables: the
// join and its other side, after its own tables) and counts among its
// writers; its changelog is partitioned like its sides (the mistakes are
// in testdata/tablejoin.errors).
func TestTableJoin(t *testing.T) {
	m, err := dsl.Build(compile(t, "tablejoinok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	app := m.Apps[0]
	join, people, counts := app.Tables[0], app.Tables[1], app.Tables[2]
	j := join.Join
	if j == nil || j.Left != people || j.Right != counts || j.Kind != streamgenv1.JoinKind_JOIN_KIND_LEFT {
		t.Fatalf("join %+v; want people left-joined with counts", j)
	}
	tally := app.Agents[0]
	if len(tally.Tables) != 1 || tally.Tables[0] != counts || len(tally.JoinTables) != 2 || tally.JoinTables[0] != join || tally.JoinTables[1] != people {
		t.Errorf("Tally's tables %v, join tables %v; want [counts], [activity people]", tally.Tables, tally.JoinTables)
	}
	if len(join.Writers) != 1 || join.Writers[0] != tally || join.Changelog.Partitions != 6 || join.Changelog.PartitionsFrom != people.Source {
		t.Errorf("join writers %v, changelog %+v; want Tally, 6 partitions from people (its left side)", join.Writers, join.Changelog)
	}
}

// TestOneErrorPerMistake: each mistake is reported once, where it is made.
// An element left out of the model for its mistake still counts where it
// is referred to: a topic with a broken name or key, a table with a broken
// name, a table listed only by agents with mistakes of their own.
func TestOneErrorPerMistake(t *testing.T) {
	_, err := dsl.Build(compile(t, "onemistake.proto"))
	var errs dsl.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Build returned %v, want dsl.Errors", err)
	}
	want := []string{
		`onemistake.proto:13:63: message Order > option topic.key: key field "acount_id" does not exist in onemistake.v1.Order; name one of its fields (string account_id)`,
		`onemistake.proto:20:34: message Rate > option topic.name: topic name "bad rates" may only hold the characters a-z, A-Z, 0-9, '.', '_' and '-'; set name to a valid Kafka topic name`,
		`onemistake.proto:39:8: service Shop > option app.tables[2].name: table name "Per_Min" must be lower-case letters, digits and '-', starting with a letter (its Go accessor is named after it)`,
		`onemistake.proto:50:45: service Shop > rpc Pay > option agent.tables[0]: table "totals" is keyed by field "acount_id", which input onemistake.v1.Payment does not have`,
	}
	if d := cmp.Diff(want, strings.Split(errs.Error(), "\n")); d != "" {
		t.Errorf("errors differ (-want +got):\n%s", d)
	}
}

// TestTableGoNames: a table's Go name follows the rule the guide states,
// and the names that would make no Go identifier, or the same one twice,
// are errors.
func TestTableGoNames(t *testing.T) {
	for name, want := range map[string]string{"per-10s": "Per10s", "page-views": "PageViews", "counts": "Counts", "a-b-c": "ABC"} {
		if got := dsl.TableGoName(name); got != want {
			t.Errorf("TableGoName(%q) = %q, want %q", name, got, want)
		}
	}
	_, err := dsl.Build(compile(t, "tablenames.proto"))
	var errs dsl.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Build returned %v, want dsl.Errors", err)
	}
	want := []string{
		`tablenames.proto:24:8: service Pages > option app.tables[1].name: tables "per-10s" and "per10s" both get the Go name Per10s (the accessor Per10s() of the generated emitter): '-' is dropped and the letter after it upper-cased; rename one`,
		`tablenames.proto:25:8: service Pages > option app.tables[2].name: table name "10s" must be lower-case letters, digits and '-', starting with a letter (its Go accessor is named after it)`,
	}
	if d := cmp.Diff(want, strings.Split(errs.Error(), "\n")); d != "" {
		t.Errorf("errors differ (-want +got):\n%s", d)
	}
}

// TestBatches: a batch agent's limits reach the model; an agent without
// the option is not a batch agent (the mistakes are in
// testdata/batch.errors).
func TestBatches(t *testing.T) {
	m, err := dsl.Build(compile(t, "batchok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ag := range m.Apps[0].Agents {
		switch ag.Name {
		case "Store":
			if ag.Batch == nil || ag.Batch.MaxRecords != 500 || ag.Batch.MaxWait != 1500*time.Millisecond || ag.Concurrency != 2 {
				t.Errorf("Store: batch %+v, concurrency %d; want 500 records, 1.5s, concurrency 2", ag.Batch, ag.Concurrency)
			}
		case "Each":
			if ag.Batch != nil {
				t.Errorf("Each: batch %+v, want none", ag.Batch)
			}
		}
	}
}

// TestTimers: a timer's interval and a cron's schedule and time zone
// reach the model, on the leader, with the missed-ticks policy (the
// mistakes are in testdata/timers.errors).
func TestTimers(t *testing.T) {
	m, err := dsl.Build(compile(t, "timersok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ag := range m.Apps[0].Agents {
		if ag.Input != nil || ag.Timer == nil || ag.Timer.RunOn != streamgenv1.RunOn_RUN_ON_LEADER {
			t.Fatalf("%s: input %v, timer %+v; want no input, a timer on the leader", ag.Name, ag.Input, ag.Timer)
		}
		switch ag.Name {
		case "Heartbeat":
			if ag.Timer.Every != 30*time.Second || ag.Timer.OnMissedTicks != streamgenv1.MissedTicks_MISSED_TICKS_RUN_ONCE {
				t.Errorf("Heartbeat: %+v", ag.Timer)
			}
		case "Hourly":
			if ag.Timer.Cron != "0 * * * *" || ag.Timer.TimeZone != "Europe/Berlin" || ag.Timer.OnMissedTicks != streamgenv1.MissedTicks_MISSED_TICKS_SKIP {
				t.Errorf("Hourly: %+v", ag.Timer)
			}
		}
		if ag.DeadLetter == nil || ag.DeadLetter.Partitions != 1 {
			t.Errorf("%s: dead-letter topic %+v, want one of 1 partition", ag.Name, ag.DeadLetter)
		}
	}
}

// TestSessionWindows: session windows reach the model with their gap and
// grace and an expiry defaulted to gap plus grace (the mistakes are in
// testdata/sessions.errors).
func TestSessionWindows(t *testing.T) {
	m, err := dsl.Build(compile(t, "sessionsok.proto"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dsl.Window{
		"visits": {Gap: 30 * time.Minute, Grace: time.Minute, Expires: 31 * time.Minute},
		"kept":   {Gap: 10 * time.Minute, Expires: 24 * time.Hour},
	}
	for _, tb := range m.Apps[0].Tables {
		if !tb.Window.Session() || *tb.Window != want[tb.Name] {
			t.Errorf("%s: window %+v, want %+v", tb.Name, tb.Window, want[tb.Name])
		}
	}
}
