package cli_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/cli"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/worker"
)

// ledger implements the test app's Ledger agents: Add writes its tables
// and emits nothing; MinuteClosed emits each closed window's total.
type ledger struct {
	testapp.UnimplementedLedgerAgents
}

func (ledger) Add(ctx context.Context, in *testapp.Order, out testapp.LedgerAddEmitter) error {
	return out.MinuteSums().Update(ctx, func(v *testapp.Tally) error { v.SumCents += in.GetAmountCents(); return nil })
}

func (ledger) MinuteClosed(ctx context.Context, in *testapp.Tally, out testapp.LedgerMinuteClosedEmitter) error {
	return out.EmitMinuteTotal(ctx, &testapp.MinuteTotal{AccountId: in.GetAccountId(), SumCents: in.GetSumCents()})
}

func ledgerApp(t *testing.T) *runtime.App {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, ledger{}); err != nil {
		t.Fatal(err)
	}
	return app
}

// run runs the command line of app with args; it returns the exit code,
// stdout and stderr.
func run(t *testing.T, app *runtime.App, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("STREAMGEN_BROKERS", "")
	t.Setenv(cli.EnvKafkaConfig, "")
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), app, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelpListsEveryFlag(t *testing.T) {
	code, out, _ := run(t, ledgerApp(t), "help")
	if code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	for _, f := range []string{
		"--brokers", "--session-timeout", "--log-level", "--data-dir", "--instance-id", "--guarantee",
		"--static-membership", "-X key=value", "--kafka-config", "--topic", "-n int", "--timeout", "--keys", "--wait",
	} {
		if !strings.Contains(out, "    "+f) {
			t.Errorf("help does not list %s:\n%s", f, out)
		}
	}
	code, _, errOut := run(t, ledgerApp(t), "worker", "--help")
	if code != 0 || !strings.Contains(errOut, "--static-membership") || strings.Contains(errOut, "--wait") {
		t.Errorf("worker --help: exit %d, printed:\n%s", code, errOut)
	}
}

// produce creates topics on addr and writes recs with a franz-go client
// made with opts.
func produce(t *testing.T, addr string, recs []*kgo.Record, opts ...kgo.Opt) {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics := map[string]bool{}
	for _, r := range recs {
		topics[r.Topic] = true
	}
	for topic := range topics {
		if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTailPrintsKeysAndDecodedChangelogs(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	wk := runtime.WindowKey([]byte("acct-1"), start)
	const sums = testapp.LedgerMinuteSumsChangelogTopicName
	produce(t, b.Addr(), []*kgo.Record{
		{Topic: testapp.OrderTopicName, Key: []byte("acct-1"), Value: mustMarshal(t, &testapp.Order{AccountId: "acct-1", AmountCents: 250})},
		{Topic: testapp.LedgerTalliesChangelogTopicName, Key: []byte("acct-1"), Value: mustMarshal(t, &testapp.Tally{Count: 2})},
		{Topic: testapp.LedgerTalliesChangelogTopicName, Key: []byte("acct 2\t"), Value: nil},
		{Topic: sums, Key: wk, Value: mustMarshal(t, &testapp.Tally{SumCents: 250})},
		{Topic: sums, Key: runtime.ClosedMarkerKey(wk), Value: windows.ClosedValue},
		{Topic: sums, Key: windows.StreamTimeKey, Value: windows.EncodeStreamTime(start.Add(75 * time.Second).UnixMilli())},
		{Topic: sums, Key: wk, Value: nil},
	})
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--topic", testapp.OrderTopicName, "-n", "1"}, "acct-1\t{\"accountId\":\"acct-1\",\"amountCents\":\"250\"}\n"},
		{[]string{"--topic", testapp.LedgerTalliesChangelogTopicName, "-n", "2"}, "acct-1\t{\"count\":\"2\"}\n\"acct 2\\t\"\t<tombstone>\n"},
		{[]string{"--topic", sums, "-n", "4"}, "acct-1@2026-01-01T00:00:00Z\t{\"sumCents\":\"250\"}\n" +
			"acct-1@2026-01-01T00:00:00Z\t<window closed>\n<stream time>\t2026-01-01T00:01:15Z\nacct-1@2026-01-01T00:00:00Z\t<tombstone>\n"},
		{[]string{"--topic", testapp.LedgerTalliesChangelogTopicName, "-n", "1", "--keys=false"}, "{\"count\":\"2\"}\n"},
	} {
		code, out, errOut := run(t, ledgerApp(t), append([]string{"tail", "--brokers", b.Addr(), "--timeout", "20s"}, c.args...)...)
		// protojson adds random spaces to discourage byte comparisons.
		if out = strings.ReplaceAll(out, " ", ""); code != 0 || out != strings.ReplaceAll(c.want, " ", "") {
			t.Errorf("tail %v: exit %d\n got %q\nwant %q\nstderr: %s", c.args, code, out, c.want, errOut)
		}
	}
}

// TestTailWithSASL: -X and --kafka-config reach tail's client, -X winning.
func TestTailWithSASL(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "admin", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	produce(t, addr, []*kgo.Record{{Topic: testapp.OrderTopicName, Key: []byte("k"), Value: mustMarshal(t, &testapp.Order{Note: "hi"})}},
		kgo.SASL(plain.Auth{User: "admin", Pass: "secret"}.AsMechanism()))
	file := filepath.Join(t.TempDir(), "kafka.properties")
	props := "# the cluster\nsecurity.protocol = SASL_PLAINTEXT\nsasl.mechanisms=PLAIN\nsasl.username=admin\nsasl.password=stale\nlinger.ms=5\n"
	if err := os.WriteFile(file, []byte(props), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "-n", "1", "--timeout", "20s",
		"--kafka-config", file, "-X", "sasl.password=secret")
	if code != 0 || strings.ReplaceAll(out, " ", "") != "k\t{\"note\":\"hi\"}\n" {
		t.Errorf("tail over SASL: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(errOut, "ignoring librdkafka properties its client (franz-go) has no use for: linger.ms") {
		t.Errorf("tail did not name the ignored property: %q", errOut)
	}
	code, _, errOut = run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "-n", "1", "--timeout", "5s",
		"--kafka-config", file)
	if code != 1 || !strings.Contains(errOut, "error: tail: reaching brokers "+addr) {
		t.Errorf("tail with a wrong password: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, ledgerApp(t), "tail", "--brokers", addr, "--topic", testapp.OrderTopicName, "--kafka-config", file,
		"-X", "sasl.kerberos.keytab=/etc/k", "-X", "ssl.key.password=x")
	if code != 1 || !strings.Contains(errOut, "no equivalent of librdkafka's sasl.kerberos.keytab, ssl.key.password;") {
		t.Errorf("tail with unmappable properties: exit %d, stderr %q", code, errOut)
	}
}

// TestKafkaConfigReachesLibrdkafka: worker and send hand -X and the
// properties file of STREAMGEN_KAFKA_CONFIG to librdkafka as they are.
func TestKafkaConfigReachesLibrdkafka(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kafka.properties")
	if err := os.WriteFile(file, []byte("no.such.file.property=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"worker", "--brokers", "127.0.0.1:1", "--data-dir", t.TempDir(), "-X", "no.such.flag.property=1"},
		{"send", "--brokers", "127.0.0.1:1", "--topic", testapp.OrderTopicName, "-X", "no.such.flag.property=1", "{}"},
	} {
		code, _, errOut := run(t, ledgerApp(t), args...)
		if code != 1 || !strings.Contains(errOut, "no.such.flag.property") {
			t.Errorf("%v: exit %d, stderr %q; want librdkafka to reject no.such.flag.property", args, code, errOut)
		}
	}
	t.Setenv(cli.EnvKafkaConfig, file)
	var stderr bytes.Buffer
	code := cli.Run(context.Background(), ledgerApp(t), []string{"send", "--brokers", "127.0.0.1:1", "--topic", testapp.OrderTopicName, "{}"}, &bytes.Buffer{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no.such.file.property") {
		t.Errorf("send with %s set: exit %d, stderr %q; want librdkafka to reject no.such.file.property", cli.EnvKafkaConfig, code, stderr.String())
	}
}

// TestWorkerHTTPAddrFromEnv: the worker serves HTTP on
// STREAMGEN_HTTP_ADDR as an address asked for (taken, it fails the worker
// naming it, where the default falls back to a free port); --http-addr
// wins over it.
func TestWorkerHTTPAddrFromEnv(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var taken [2]string
	for i := range taken {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		taken[i] = l.Addr().String()
	}
	t.Setenv(worker.EnvHTTPAddr, taken[0])
	t.Setenv(worker.EnvBrokers, "")
	t.Setenv(cli.EnvKafkaConfig, "")
	for _, c := range []struct {
		args []string
		addr string
	}{
		{nil, taken[0]},
		{[]string{"--http-addr", taken[1]}, taken[1]},
	} {
		args := append([]string{"worker", "--brokers", b.Addr(), "--data-dir", t.TempDir(), "--log-level", "error"}, c.args...)
		// A worker that took another address would run: stop it.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		code, _, errOut := runCtx(ctx, ledgerApp(t), args...)
		cancel()
		if code != 1 || !strings.Contains(errOut, c.addr) || !strings.Contains(errOut, "address already in use") {
			t.Errorf("%s=%s, worker %v: exit %d, stderr %q; want it to fail on %s, in use", worker.EnvHTTPAddr, taken[0], c.args, code, errOut, c.addr)
		}
	}
}

// TestDemoChecksValuesFirst: a value that does not encode fails with one
// line, before any broker or worker starts.
func TestDemoChecksValuesFirst(t *testing.T) {
	code, out, errOut := run(t, ledgerApp(t), "demo", `{"account_id":"a"}`, "not json")
	if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `"not json" is not its JSON form`) {
		t.Errorf("demo with a bad value: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestDemoExplainsSilence: an app whose output comes only from closed
// windows says so, and fails, when none closed.
func TestDemoExplainsSilence(t *testing.T) {
	code, out, errOut := run(t, ledgerApp(t), "demo", "--wait", "1s", `{"account_id":"a","amount_cents":1}`)
	if code != 1 || !strings.Contains(out, "sent to orders") ||
		!strings.Contains(errOut, `nothing arrived on minute-totals, tallies within 1s: agent ledger/MinuteClosed emits only when a window of table "minute-sums" closes`) {
		t.Errorf("demo: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
