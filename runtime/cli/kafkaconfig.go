package cli

import (
	"bufio"
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/streamgen/streamgen/runtime/worker"
)

// EnvKafkaConfig is the environment variable holding the path of a
// librdkafka properties file (key=value lines, # comments), read by
// worker, send, tail and reset when --kafka-config is not given.
const EnvKafkaConfig = "STREAMGEN_KAFKA_CONFIG"

// kafkaFlags are the connection flags of worker, send, tail and reset.
type kafkaFlags struct {
	brokers string
	file    string
	x       propList
}

// define declares --brokers, --kafka-config and -X on fs.
func (k *kafkaFlags) define(fs *pflag.FlagSet, brokersHelp string) {
	fs.StringVar(&k.brokers, "brokers", os.Getenv(worker.EnvBrokers), brokersHelp)
	fs.StringVar(&k.file, "kafka-config", os.Getenv(EnvKafkaConfig),
		"librdkafka properties file: key=value lines, # comments (default $"+EnvKafkaConfig+")")
	fs.VarP(&k.x, "X", "X", "a librdkafka property, `key=value` (repeat it: -X security.protocol=SASL_SSL -X sasl.mechanism=PLAIN); wins over --kafka-config")
}

// resolve returns the bootstrap brokers and the librdkafka properties:
// the file's, then -X's over them. bootstrap.servers (or
// metadata.broker.list) among them gives the brokers when --brokers and
// STREAMGEN_BROKERS are empty; it is taken out of the returned properties,
// so --brokers wins over it.
func (k *kafkaFlags) resolve() (brokers string, props map[string]string, err error) {
	props = map[string]string{}
	if k.file != "" {
		if props, err = readKafkaConfig(k.file); err != nil {
			return "", nil, err
		}
	}
	for _, p := range k.x {
		props[p.key] = p.value
	}
	brokers = k.brokers
	for _, key := range []string{"metadata.broker.list", "bootstrap.servers"} {
		if v, ok := props[key]; ok {
			if brokers == "" {
				brokers = v
			}
			delete(props, key)
		}
	}
	return brokers, props, nil
}

type prop struct{ key, value string }

// propList is the value of the repeated -X flag.
type propList []prop

func (l *propList) String() string {
	if l == nil || len(*l) == 0 {
		return "[]"
	}
	keys := make([]string, len(*l))
	for i, p := range *l {
		keys[i] = p.key + "=..." // values may be secrets
	}
	return strings.Join(keys, " ")
}

// Type is the value's name in pflag's messages.
func (l *propList) Type() string { return "key=value" }

func (l *propList) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if k = strings.TrimSpace(k); !ok || k == "" {
		return errors.New("want key=value, e.g. -X security.protocol=SASL_SSL")
	}
	*l = append(*l, prop{k, v})
	return nil
}

// readKafkaConfig reads a properties file: key=value lines, blank lines
// and lines starting with # ignored, spaces around key and value trimmed.
// Errors name the file and line, not the line's text (it may hold a
// password).
func readKafkaConfig(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kafka config: %w (set --kafka-config or %s to a file of key=value lines)", err, EnvKafkaConfig)
	}
	defer f.Close()
	props := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if k = strings.TrimSpace(k); !ok || k == "" {
			return nil, fmt.Errorf("%s:%d: not a key=value line: write e.g. security.protocol=SASL_SSL, or start a comment with #", path, n)
		}
		props[k] = strings.TrimSpace(v)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kafka config %s: %w", path, err)
	}
	return props, nil
}

// tail reads with franz-go, not librdkafka: kgoOptions maps these
// librdkafka properties onto it. Any other security.*, sasl.* or ssl.*
// property is an error naming it (tail would not connect the way the
// worker does); the remaining properties tune librdkafka alone and are
// returned as ignored.
var kgoMapped = map[string]bool{
	"client.id": true, "isolation.level": true, "security.protocol": true,
	"sasl.mechanism": true, "sasl.mechanisms": true, "sasl.username": true, "sasl.password": true,
	"ssl.ca.location": true, "ssl.certificate.location": true, "ssl.key.location": true,
	"enable.ssl.certificate.verification": true, "ssl.endpoint.identification.algorithm": true,
}

func isSecurityKey(k string) bool {
	for _, p := range []string{"security.", "sasl.", "ssl.", "enable.ssl."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// kgoOptions maps librdkafka properties onto franz-go options, and
// returns the properties it ignores, sorted.
func kgoOptions(props map[string]string) (opts []kgo.Opt, ignored []string, err error) {
	return kgoOptionsFor("tail", props)
}

// kgoOptionsFor is kgoOptions for the command named cmd (tail, reset),
// which its errors name.
func kgoOptionsFor(cmd string, props map[string]string) (opts []kgo.Opt, ignored []string, err error) {
	var unsupported []string
	for k := range props {
		switch {
		case kgoMapped[k]:
		case isSecurityKey(k):
			unsupported = append(unsupported, k)
		default:
			ignored = append(ignored, k)
		}
	}
	sort.Strings(unsupported)
	sort.Strings(ignored)
	if len(unsupported) > 0 {
		return nil, nil, fmt.Errorf("%s talks to Kafka with franz-go, which has no equivalent of librdkafka's %s; it maps security.protocol, sasl.mechanism, sasl.username, sasl.password (PLAIN, SCRAM-SHA-256/512), ssl.ca.location, ssl.certificate.location, ssl.key.location (unencrypted), enable.ssl.certificate.verification, ssl.endpoint.identification.algorithm, client.id and isolation.level",
			cmd, strings.Join(unsupported, ", "))
	}
	if v := props["client.id"]; v != "" {
		opts = append(opts, kgo.ClientID(v))
	}
	switch v := props["isolation.level"]; v {
	case "", "read_uncommitted":
	case "read_committed":
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	default:
		return nil, nil, fmt.Errorf("isolation.level %q: use read_committed or read_uncommitted", v)
	}
	sec, err := securityOptions(cmd, props)
	return append(opts, sec...), ignored, err
}

// securityOptions maps security.protocol and the sasl.* and ssl.*
// properties.
func securityOptions(cmd string, props map[string]string) ([]kgo.Opt, error) {
	protocol := strings.ToUpper(props["security.protocol"])
	useTLS := protocol == "SSL" || protocol == "SASL_SSL"
	useSASL := protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL"
	if !useTLS && !useSASL && protocol != "" && protocol != "PLAINTEXT" {
		return nil, fmt.Errorf("security.protocol %q: use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL", props["security.protocol"])
	}
	for k := range props {
		if !useSASL && strings.HasPrefix(k, "sasl.") || !useTLS && (strings.HasPrefix(k, "ssl.") || strings.HasPrefix(k, "enable.ssl.")) {
			return nil, fmt.Errorf("%s is set but security.protocol is %s: set security.protocol to SSL, SASL_PLAINTEXT or SASL_SSL", k, cmp.Or(protocol, "PLAINTEXT (the default)"))
		}
	}
	var opts []kgo.Opt
	if useTLS {
		cfg, err := tlsConfig(props)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if useSASL {
		user, pass := props["sasl.username"], props["sasl.password"]
		switch mech := strings.ToUpper(cmp.Or(props["sasl.mechanism"], props["sasl.mechanisms"])); mech {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("sasl.mechanism %q: %s supports PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (set one with -X sasl.mechanism=...)", mech, cmd)
		}
	}
	return opts, nil
}

// tlsConfig maps the ssl.* properties onto a tls.Config.
func tlsConfig(props map[string]string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := props["ssl.ca.location"]; ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("ssl.ca.location: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ssl.ca.location %s: no PEM certificate in it", ca)
		}
	}
	cert, key := props["ssl.certificate.location"], props["ssl.key.location"]
	if (cert == "") != (key == "") {
		return nil, errors.New("set both ssl.certificate.location and ssl.key.location, or neither")
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("ssl.certificate.location / ssl.key.location: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	switch v := props["enable.ssl.certificate.verification"]; v {
	case "", "true":
	case "false":
		cfg.InsecureSkipVerify = true
		return cfg, nil
	default:
		return nil, fmt.Errorf("enable.ssl.certificate.verification %q: use true or false", v)
	}
	switch v := props["ssl.endpoint.identification.algorithm"]; v {
	case "", "https":
	case "none":
		// Verify the chain but not the host name, as librdkafka does.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: cfg.RootCAs, Intermediates: inter})
			return err
		}
	default:
		return nil, fmt.Errorf("ssl.endpoint.identification.algorithm %q: use https or none", v)
	}
	return cfg, nil
}
