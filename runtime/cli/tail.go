package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/worker"
)

func defineTail(fs *flag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	topic := fs.String("topic", "", "topic to print: any topic of the app, a table's changelog included")
	n := fs.Int("n", 0, "stop after this many records (0: until interrupted or --timeout)")
	timeout := fs.Duration("timeout", 0, "stop after this long without a new record (0: never)")
	keys := fs.Bool("keys", true, "print each record's key, then a tab, before its value (--keys=false: values only)")
	return func(ctx context.Context, _ []string, stdout, stderr io.Writer) error {
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		if brokers == "" {
			return errors.New("tail needs --brokers or " + worker.EnvBrokers)
		}
		t, err := topicOf(app, *topic)
		if err != nil {
			return err
		}
		opts, ignored, err := kgoOptions(props)
		if err != nil {
			return err
		}
		if len(ignored) > 0 {
			fmt.Fprintf(stderr, "tail: ignoring librdkafka properties its client (franz-go) has no use for: %s\n", strings.Join(ignored, ", "))
		}
		f := formatOf(app, t, *keys)
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		_, err = tail(ctx, tailSpec{brokers: brokers, opts: opts, topics: []string{t.Name}, n: *n, idle: *timeout},
			func(r *kgo.Record) { fmt.Fprintln(stdout, f.line(r.Key, r.Value)) })
		return err
	}
}

// tailSpec is what tail reads.
type tailSpec struct {
	brokers string
	opts    []kgo.Opt // further client options: security, client id
	topics  []string
	n       int           // stop after n records; 0: no limit
	idle    time.Duration // stop after this long without a record; 0: never
}

// tail reads s.topics from the start with an independent client
// (franz-go) and calls fn for each record, until s.n records, ctx's end,
// or s.idle without a record. It returns how many records it read; it
// fails when it stops idle short of s.n records.
func tail(ctx context.Context, s tailSpec, fn func(*kgo.Record)) (int, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(s.brokers, ",")...), kgo.ConsumeTopics(s.topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, s.opts...)...)
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	// A wrong password or TLS setting would otherwise look like an empty
	// topic: franz-go retries a failed connection quietly.
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	err = cl.Ping(pctx)
	cancel()
	if err != nil && ctx.Err() == nil {
		return 0, fmt.Errorf("tail: reaching brokers %s: %w (check --brokers, and -X / --kafka-config for the cluster's security settings)", s.brokers, err)
	}
	seen := 0
	for s.n == 0 || seen < s.n {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if s.idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, s.idle)
		}
		fetches := cl.PollFetches(pctx)
		idleOut := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return seen, nil
		}
		if idleOut {
			if s.n > 0 {
				return seen, fmt.Errorf("tail %s: read %d of %d records before %v passed without one", strings.Join(s.topics, ", "), seen, s.n, s.idle)
			}
			return seen, nil
		}
		for _, fe := range fetches.Errors() {
			return seen, fmt.Errorf("tail %s: %w (check --brokers, and -X / --kafka-config for the cluster's security settings)", strings.Join(s.topics, ", "), fe.Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if s.n == 0 || seen < s.n {
				fn(r)
				seen++
			}
		})
	}
	return seen, nil
}

// Format renders a record value of t as text (raw topics), JSON (protobuf
// and JSON topics), or, for topics of bytes (dead letters), the bytes as
// text when they are UTF-8 and quoted otherwise.
func Format(t *runtime.TopicDesc, value []byte) string {
	if t.New == nil {
		if utf8.Valid(value) {
			return string(value)
		}
		return strconv.Quote(string(value))
	}
	m, err := t.Decode(value)
	if err != nil {
		return fmt.Sprintf("<undecodable: %v> %q", err, value)
	}
	if t.Codec == runtime.CodecRaw {
		return string(t.RawGet(m))
	}
	return marshalJSON(m)
}

func marshalJSON(m proto.Message) string {
	b, err := protojson.MarshalOptions{}.Marshal(m)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return string(b)
}

// recordFormat renders the records of one topic as lines.
type recordFormat struct {
	topic *runtime.TopicDesc
	table *runtime.TableDesc // set when topic is the table's changelog
	keys  bool
}

// formatOf returns the format of t's records: a table's when t is the
// changelog of one of app's tables.
func formatOf(app *runtime.App, t *runtime.TopicDesc, keys bool) recordFormat {
	f := recordFormat{topic: t, keys: keys}
	for _, ag := range app.Agents() {
		for _, tb := range append([]*runtime.TableDesc{ag.Desc.WindowClose}, ag.Desc.Tables...) {
			if tb != nil && tb.Changelog != nil && tb.Changelog.Name == t.Name {
				f.table = tb
			}
		}
	}
	return f
}

// line renders one record: its key (when f.keys), a tab, its value.
func (f recordFormat) line(key, value []byte) string {
	var k, v string
	switch {
	case f.table != nil:
		k, v = f.changelog(key, value)
	case value == nil:
		k, v = formatKey(key), "<tombstone>"
	default:
		k, v = formatKey(key), Format(f.topic, value)
	}
	if !f.keys {
		return v
	}
	return k + "\t" + v
}

// changelog renders a changelog record: a table value as JSON, a delete as
// <tombstone>, the runtime's reserved keys (0xff ...) by what they mean.
func (f recordFormat) changelog(key, value []byte) (k, v string) {
	if wk, ok := runtime.SplitClosedMarker(key); ok {
		if value == nil {
			return f.tableKey(wk), "<closed marker deleted>"
		}
		return f.tableKey(wk), "<window closed>"
	}
	if bytes.Equal(key, windows.StreamTimeKey) {
		if ms, ok := windows.DecodeStreamTime(value); ok {
			return "<stream time>", windows.Time(ms).Format(time.RFC3339Nano)
		}
		return "<stream time>", fmt.Sprintf("<undecodable: %q>", value)
	}
	if value == nil {
		return f.tableKey(key), "<tombstone>"
	}
	m := f.table.New()
	if err := proto.Unmarshal(value, m); err != nil {
		return f.tableKey(key), fmt.Sprintf("<undecodable as %s: %v> %q", m.ProtoReflect().Descriptor().FullName(), err, value)
	}
	return f.tableKey(key), marshalJSON(m)
}

// tableKey renders a table key; a windowed table's as key@window-start.
func (f recordFormat) tableKey(key []byte) string {
	if f.table.Window == nil {
		return formatKey(key)
	}
	k, start, ok := runtime.SplitWindowKey(key)
	if !ok {
		return formatKey(key) + "@<no window start>"
	}
	return formatKey(k) + "@" + start.Format(time.RFC3339Nano)
}

// formatKey renders a key as it is when it is printable text, and quoted
// (Go syntax) when it is not, is empty, or starts with " or <; a record
// without a key as <no key>.
func formatKey(key []byte) string {
	if key == nil {
		return "<no key>"
	}
	plain := len(key) > 0 && key[0] != '"' && key[0] != '<' && utf8.Valid(key)
	for _, r := range string(key) {
		plain = plain && unicode.IsPrint(r)
	}
	if plain {
		return string(key)
	}
	return strconv.Quote(string(key))
}
