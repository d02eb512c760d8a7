package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/cli"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// tailJSON reads topic with `tail --format json` to its end and returns
// the records.
func tailJSON(t *testing.T, addr, topic string) []map[string]any {
	t.Helper()
	code, out, errOut := run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", topic, "--format", "json")
	if code != 0 {
		t.Fatalf("tail --format json: exit %d: %s", code, errOut)
	}
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("tail --format json printed %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

// TestSendLines: send reads JSON lines from a file or standard input,
// keys them (the topic's key, --key-field, --keyed), names each bad line
// by its number, sends the others and counts them.
func TestSendLines(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	produce(t, addr, []*kgo.Record{{Topic: testapp.OrderTopicName, Key: []byte("seed"), Value: mustMarshal(t, &testapp.Order{AccountId: "seed"})}})

	file := filepath.Join(t.TempDir(), "orders.jsonl")
	lines := `{"accountId":"a1","amountCents":"100"}` + "\n\n" + "not json\n" + `{"account_id":"a2","note":"n2"}` + "\r\n" + `{"accountId":"a3","bogus":1}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, ledgerApp(t), "send", "--brokers", addr, "--topic", testapp.OrderTopicName, "--file", file)
	if code != 1 || !strings.Contains(errOut, file+":3: topic \"orders\" holds streamgen.testapp.v1.Order: \"not json\" is not its JSON form") ||
		!strings.Contains(errOut, file+":5: ") || strings.Contains(errOut, file+":1:") || strings.Contains(errOut, file+":4:") ||
		!strings.Contains(errOut, "send: 5 lines from "+file+": 2 sent to orders, 2 invalid, 0 not delivered, 1 blank skipped") ||
		!strings.Contains(errOut, "error: 2 of 4 lines not sent") {
		t.Errorf("send --file: exit %d, stderr:\n%s", code, errOut)
	}

	// Standard input, through Root: key<TAB>value lines with --keyed.
	root := cli.Root(ledgerApp(t))
	var stdout, stderr bytes.Buffer
	root.SetIn(strings.NewReader("k1\t{\"note\":\"keyed\"}\nno tab here\n"))
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"send", "--brokers", addr, "--topic", testapp.OrderTopicName, "--keyed"})
	if err := root.Execute(); err == nil || !strings.Contains(stderr.String(), "stdin:2: --keyed: no tab between the key and the value") ||
		!strings.Contains(stderr.String(), "send: 2 lines from stdin: 1 sent to orders, 1 invalid") {
		t.Errorf("send --keyed from stdin: %v, stderr:\n%s", err, stderr.String())
	}

	// --key-field takes the key from another field.
	code, _, errOut = run(t, ledgerApp(t), "send", "--brokers", addr, "--topic", testapp.OrderTopicName, "--key-field", "note", `{"accountId":"a4","note":"by-note"}`)
	if code != 0 {
		t.Errorf("send --key-field note: exit %d, %s", code, errOut)
	}
	if code, _, errOut := run(t, ledgerApp(t), "send", "--brokers", addr, "--topic", testapp.OrderTopicName, "--key-field", "nope", "{}"); code != 1 ||
		!strings.Contains(errOut, `--key-field "nope": streamgen.testapp.v1.Order has no such field; its fields: account_id`) {
		t.Errorf("send --key-field nope: exit %d, %s", code, errOut)
	}

	got := map[string]string{} // key: note or account id
	for _, r := range tailJSON(t, addr, testapp.OrderTopicName) {
		v, _ := r["value"].(map[string]any)
		got[r["key"].(string)] = strings.TrimSpace(func() string { s, _ := v["accountId"].(string); n, _ := v["note"].(string); return s + " " + n }())
	}
	want := map[string]string{"seed": "seed", "a1": "a1", "a2": "a2 n2", "k1": "keyed", "by-note": "a4 by-note"}
	if len(got) != len(want) {
		t.Errorf("orders holds %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("orders[%q] = %q; want %q (all: %v)", k, got[k], v, got)
		}
	}
}

// TestTailFormatsAndFollow: --format wide and json show partitions,
// offsets, timestamps and headers; without --follow tail stops at the
// end, with it it prints records produced later, until interrupted.
func TestTailFormatsAndFollow(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	ts := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	produce(t, addr, []*kgo.Record{
		{Topic: testapp.OrderTopicName, Key: []byte("acct-1"), Timestamp: ts, Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t-1")}},
			Value: mustMarshal(t, &testapp.Order{AccountId: "acct-1", AmountCents: 250})},
		{Topic: testapp.OrderTopicName, Key: []byte("acct-2"), Timestamp: ts.Add(time.Second), Value: nil},
	})
	code, out, errOut := run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "--format", "wide")
	want := "0/0\t2026-11-30T12:00:00Z\tacct-1\t{\"accountId\":\"acct-1\",\"amountCents\":\"250\"}\ttrace=t-1\n" +
		"0/1\t2026-11-30T12:00:01Z\tacct-2\t<tombstone>\t\n"
	if out = strings.ReplaceAll(out, " ", ""); code != 0 || out != want {
		t.Errorf("tail --format wide: exit %d\n got %q\nwant %q\n%s", code, out, want, errOut)
	}
	recs := tailJSON(t, addr, testapp.OrderTopicName)
	if len(recs) != 2 {
		t.Fatalf("tail --format json: %d records, want 2: %v", len(recs), recs)
	}
	r := recs[0]
	v, _ := r["value"].(map[string]any)
	hs, _ := r["headers"].([]any)
	if r["topic"] != "orders" || r["partition"] != 0.0 || r["offset"] != 0.0 || r["timestamp"] != "2026-11-30T12:00:00Z" || r["key"] != "acct-1" ||
		v["amountCents"] != "250" || len(hs) != 1 || hs[0].(map[string]any)["key"] != "trace" || hs[0].(map[string]any)["value"] != "t-1" {
		t.Errorf("tail --format json record 0: %v", r)
	}
	if recs[1]["value"] != nil || recs[1]["offset"] != 1.0 {
		t.Errorf("tail --format json record 1 (a tombstone): %v", recs[1])
	}
	if code, _, errOut := run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "--format", "xml"); code != 1 ||
		!strings.Contains(errOut, `--format "xml": use text, wide or json`) {
		t.Errorf("--format xml: exit %d, %s", code, errOut)
	}

	// --follow: a record produced after tail reached the end is printed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- cli.Run(ctx, ledgerApp(t), []string{"tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "--follow"}, &stdout, &stderr)
	}()
	waitFor(t, func() bool { return strings.Count(stdout.String(), "\n") == 2 }, func() string { return "tail --follow to print the 2 records: " + stdout.String() })
	time.Sleep(4 * time.Second) // longer than tail waits at the end when not following
	select {
	case code := <-exit:
		t.Fatalf("tail --follow stopped at the end: exit %d: %s", code, stderr.String())
	default:
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte("late"), Value: mustMarshal(t, &testapp.Order{Note: "late"})}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(stdout.String(), "late\t{") }, func() string { return "tail --follow to print the late record: " + stdout.String() })
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("tail --follow interrupted: exit %d, %s", code, stderr.String())
	}
}

func waitFor(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
