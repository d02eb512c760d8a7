package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/streamgen/streamgen/runtime"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kafka.properties")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolveKafkaConfig(t *testing.T) {
	path := writeFile(t, "# comment\n\n  sasl.username = alice \nsasl.password=a=b\nbootstrap.servers=file:9092\n")
	t.Setenv(EnvKafkaConfig, path)
	t.Setenv("STREAMGEN_BROKERS", "")
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	var k kafkaFlags
	k.define(fs, "")
	if err := fs.Parse([]string{"-X", "sasl.username=bob", "-X", "client.id=me"}); err != nil {
		t.Fatal(err)
	}
	brokers, props, err := k.resolve()
	want := map[string]string{"sasl.username": "bob", "sasl.password": "a=b", "client.id": "me"}
	if err != nil || brokers != "file:9092" || !reflect.DeepEqual(props, want) {
		t.Errorf("resolve = %q, %v, %v; want file:9092, %v", brokers, props, err, want)
	}
	k.brokers = "flag:9092"
	if brokers, props, _ := k.resolve(); brokers != "flag:9092" || props["bootstrap.servers"] != "" {
		t.Errorf("--brokers does not win over bootstrap.servers: %q, %v", brokers, props)
	}
	if err := fs.Parse([]string{"-X", "novalue"}); err == nil || !strings.Contains(err.Error(), "want key=value") {
		t.Errorf("-X novalue: %v", err)
	}
}

func TestReadKafkaConfigNamesTheLine(t *testing.T) {
	path := writeFile(t, "a=1\n# b\nsasl.password secret\n")
	_, err := readKafkaConfig(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":3: not a key=value line") || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v; want %s:3 named, the line's text not", err, path)
	}
}

func TestKgoOptions(t *testing.T) {
	for _, c := range []struct {
		props   map[string]string
		err     string // "" for none
		ignored []string
	}{
		{map[string]string{"linger.ms": "5", "client.id": "x", "isolation.level": "read_committed"}, "", []string{"linger.ms"}},
		{map[string]string{"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "u", "sasl.password": "p"}, "", nil},
		{map[string]string{"security.protocol": "SSL", "enable.ssl.certificate.verification": "false"}, "", nil},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT"}, `sasl.mechanism "": tail supports PLAIN`, nil},
		{map[string]string{"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "GSSAPI"}, `sasl.mechanism "GSSAPI"`, nil},
		{map[string]string{"sasl.username": "u"}, "sasl.username is set but security.protocol is PLAINTEXT (the default)", nil},
		{map[string]string{"security.protocol": "TLS"}, `security.protocol "TLS": use PLAINTEXT, SSL`, nil},
		{map[string]string{"ssl.keystore.location": "k", "sasl.oauthbearer.config": "c"}, "no equivalent of librdkafka's sasl.oauthbearer.config, ssl.keystore.location;", nil},
		{map[string]string{"security.protocol": "SSL", "ssl.ca.location": "/nonexistent"}, "ssl.ca.location: open /nonexistent", nil},
		{map[string]string{"security.protocol": "SSL", "ssl.key.location": "k"}, "set both ssl.certificate.location and ssl.key.location", nil},
	} {
		_, ignored, err := kgoOptions(c.props)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("kgoOptions(%v) error = %v; want %q", c.props, err, c.err)
		}
		if !reflect.DeepEqual(ignored, c.ignored) {
			t.Errorf("kgoOptions(%v) ignored %v; want %v", c.props, ignored, c.ignored)
		}
	}
}

func TestFormatKey(t *testing.T) {
	for key, want := range map[string]string{"acct-1": "acct-1", "a b": "a b", "": `""`, "a\tb": `"a\tb"`, "\xff\x01": `"\xff\x01"`, "<x>": `"<x>"`} {
		if got := formatKey([]byte(key)); got != want {
			t.Errorf("formatKey(%q) = %s; want %s", key, got, want)
		}
	}
	if got := formatKey(nil); got != "<no key>" {
		t.Errorf("formatKey(nil) = %s", got)
	}
}

// TestUsageIsEveryFlagSet: the usage text names every flag each command
// parses, in that command's section.
func TestUsageIsEveryFlagSet(t *testing.T) {
	var b strings.Builder
	root := Root(runtime.NewApp())
	writeUsage(&b, runtime.NewApp(), root)
	text := b.String()
	for i, c := range commands {
		section := text[strings.Index(text, "\n  "+c.name+" "):]
		if i+1 < len(commands) {
			section = section[:strings.Index(section, "\n  "+commands[i+1].name+" ")]
		}
		fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
		c.define(fs, runtime.NewApp())
		fs.VisitAll(func(f *pflag.Flag) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			if !strings.Contains(section, dash+f.Name+" ") && !strings.Contains(section, dash+f.Name+"\n") {
				t.Errorf("usage of %s lacks %s%s:\n%s", c.name, dash, f.Name, section)
			}
		})
	}
}

// TestSingleDashLongFlags: -name, as the flag package accepted, is
// rewritten to --name for the command's long flags only.
func TestSingleDashLongFlags(t *testing.T) {
	root := Root(runtime.NewApp())
	got := singleDashLongFlags(root, []string{"tail", "-brokers", "b:9092", "-n", "5", "-X", "a=b", "-keys=false", "-f", "-nope", "--", "-topic"})
	want := []string{"tail", "--brokers", "b:9092", "-n", "5", "-X", "a=b", "--keys=false", "-f", "-nope", "--", "-topic"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
