package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/worker"
)

// tailFormats are the values of tail's --format.
var tailFormats = []string{"text", "wide", "json"}

func defineTail(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	topic := fs.String("topic", "", "topic to print: any topic of the app, a table's changelog included")
	n := fs.IntP("n", "n", 0, "stop after this many records (0: no limit), waiting for them")
	timeout := fs.Duration("timeout", 0, "stop after this long without a new record (0: never)")
	keys := fs.Bool("keys", true, "print each record's key, then a tab, before its value (--keys=false: values only; text format)")
	follow := fs.BoolP("follow", "f", false, "keep reading new records until interrupted (or -n, --timeout); without it, -n or --timeout, tail stops at the topic's end")
	format := fs.String("format", "text", "text: key, tab, value; wide: partition/offset, timestamp, key, value, headers, tab-separated; json: one JSON object per record")
	return func(ctx context.Context, _ []string, stdout, stderr io.Writer) error {
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		if brokers == "" {
			return errors.New("tail needs --brokers or " + worker.EnvBrokers)
		}
		if !slices.Contains(tailFormats, *format) {
			return fmt.Errorf("--format %q: use text, wide or json", *format)
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
		print := func(r *kgo.Record) { fmt.Fprintln(stdout, f.line(r.Key, r.Value)) }
		switch *format {
		case "wide":
			print = func(r *kgo.Record) { fmt.Fprintln(stdout, f.wide(r)) }
		case "json":
			print = func(r *kgo.Record) { fmt.Fprintln(stdout, f.json(r)) }
		}
		toEnd := !*follow && *n == 0 && *timeout == 0
		_, err = tail(ctx, tailSpec{brokers: brokers, opts: opts, topics: []string{t.Name}, n: *n, idle: *timeout, toEnd: toEnd}, print)
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
	toEnd   bool          // stop at the end offsets listed when tail starts
}

// endQuiet is how long tail, reading to the end, waits for a partition
// whose end it has not reached yet: its last offsets may be transaction
// markers, which are never read as records.
const endQuiet = 3 * time.Second

// tail reads s.topics from the start with an independent client
// (franz-go) and calls fn for each record, until s.n records, ctx's end,
// s.idle without a record, or, with s.toEnd, the end offsets of when it
// started. It returns how many records it read; it fails when it stops
// idle short of s.n records.
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
	var left map[topicPartition]int64 // with toEnd: the end offset of each partition not read to its end
	idle := s.idle
	if s.toEnd {
		if left, err = endOffsets(ctx, cl, s.topics); err != nil {
			return 0, err
		}
		idle = endQuiet
	}
	seen := 0
	for (s.n == 0 || seen < s.n) && (!s.toEnd || len(left) > 0) {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
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
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				continue
			}
			return seen, fmt.Errorf("tail %s: %w (check --brokers, and -X / --kafka-config for the cluster's security settings)", strings.Join(s.topics, ", "), fe.Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			tp := topicPartition{r.Topic, r.Partition}
			end, counted := left[tp]
			if s.toEnd && !counted {
				return // past the end tail started at
			}
			if s.n == 0 || seen < s.n {
				fn(r)
				seen++
			}
			if counted && r.Offset+1 >= end {
				delete(left, tp)
			}
		})
	}
	return seen, nil
}

type topicPartition struct {
	topic     string
	partition int32
}

// endOffsets returns the end offset of each partition of topics that
// holds records (its start offset is below its end).
func endOffsets(ctx context.Context, cl *kgo.Client, topics []string) (map[topicPartition]int64, error) {
	adm := kadm.NewClient(cl)
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("tail: listing the start offsets of %s: %w", strings.Join(topics, ", "), err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("tail: listing the end offsets of %s: %w", strings.Join(topics, ", "), err)
	}
	left := map[topicPartition]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if st, ok := starts.Lookup(o.Topic, o.Partition); ok && st.Offset < o.Offset {
			left[topicPartition{o.Topic, o.Partition}] = o.Offset
		}
	})
	return left, nil
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
			// A table fed from a topic has that topic as its changelog, in
			// the topic's own codec: shown as the topic.
			if tb != nil && !tb.FromTopic && tb.Changelog != nil && tb.Changelog.Name == t.Name {
				f.table = tb
			}
		}
	}
	return f
}

// line renders one record: its key (when f.keys), a tab, its value.
func (f recordFormat) line(key, value []byte) string {
	k, v, _ := f.render(key, value)
	if !f.keys {
		return v
	}
	return k + "\t" + v
}

// render returns a record's key and value as text, and whether the value
// is JSON (a message; not text, bytes, a tombstone or a marker).
func (f recordFormat) render(key, value []byte) (k, v string, isJSON bool) {
	switch {
	case f.table != nil:
		k, v = f.changelog(key, value)
		return k, v, value != nil && json.Valid([]byte(v)) && strings.HasPrefix(v, "{")
	case value == nil:
		return formatKey(key), "<tombstone>", false
	default:
		v = Format(f.topic, value)
		return formatKey(key), v, f.topic.New != nil && f.topic.Codec != runtime.CodecRaw && json.Valid([]byte(v))
	}
}

// wide renders a record as partition/offset, timestamp, key, value and
// headers (name=value, comma-separated), tab-separated.
func (f recordFormat) wide(r *kgo.Record) string {
	k, v, _ := f.render(r.Key, r.Value)
	hs := make([]string, len(r.Headers))
	for i, h := range r.Headers {
		hs[i] = formatKey([]byte(h.Key)) + "=" + formatKey(h.Value)
	}
	return fmt.Sprintf("%d/%d\t%s\t%s\t%s\t%s", r.Partition, r.Offset, r.Timestamp.UTC().Format(time.RFC3339Nano), k, v, strings.Join(hs, ","))
}

// jsonRecord is a record as tail --format json prints it.
type jsonRecord struct {
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Timestamp string          `json:"timestamp"`
	Key       *string         `json:"key"`   // as the text format prints it; null: no key
	Value     json.RawMessage `json:"value"` // the message as JSON, text as a JSON string; null: a tombstone
	Headers   []jsonHeader    `json:"headers,omitempty"`
}

type jsonHeader struct {
	Key   string `json:"key"`
	Value string `json:"value"` // as the text format prints a key
}

// json renders a record as one line of JSON.
func (f recordFormat) json(r *kgo.Record) string {
	k, v, isJSON := f.render(r.Key, r.Value)
	jr := jsonRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp.UTC().Format(time.RFC3339Nano)}
	if r.Key != nil || f.table != nil {
		jr.Key = &k
	}
	switch {
	case r.Value == nil && f.table == nil || v == "<tombstone>":
		jr.Value = json.RawMessage("null")
	case isJSON:
		jr.Value = json.RawMessage(compactJSON([]byte(v)))
	default:
		b, _ := json.Marshal(v)
		jr.Value = b
	}
	for _, h := range r.Headers {
		jr.Headers = append(jr.Headers, jsonHeader{Key: h.Key, Value: formatKey(h.Value)})
	}
	b, err := json.Marshal(jr)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
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
	if k, ok := windows.SplitSessionsKey(key); ok {
		ss, err := windows.DecodeSessions(value)
		if err != nil {
			return formatKey(k) + "@<sessions>", fmt.Sprintf("<undecodable: %q>", value)
		}
		spans := make([]string, len(ss))
		for i, x := range ss {
			spans[i] = windows.Time(x.Start).Format(time.RFC3339Nano) + "/" + windows.Time(x.End).Format(time.RFC3339Nano) + " " + f.tableValue(x.Value)
		}
		return formatKey(k) + "@<sessions>", "[" + strings.Join(spans, ", ") + "]"
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
	return f.tableKey(key), f.tableValue(value)
}

// tableValue renders a table value as JSON.
func (f recordFormat) tableValue(value []byte) string {
	m := f.table.New()
	if err := proto.Unmarshal(value, m); err != nil {
		return fmt.Sprintf("<undecodable as %s: %v> %q", m.ProtoReflect().Descriptor().FullName(), err, value)
	}
	return marshalJSON(m)
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
