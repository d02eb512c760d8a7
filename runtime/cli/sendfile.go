package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
)

// keyOf returns the key of send's records: nil for the topic's own key
// (or the text before the tab, with keyed), or the value of the field
// named field.
func keyOf(t *runtime.TopicDesc, field string, keyed bool) (keyFunc, error) {
	if field == "" {
		return nil, nil
	}
	if keyed {
		return nil, errors.New("--key-field and --keyed both name the key: use one")
	}
	if t.New == nil {
		return nil, fmt.Errorf("--key-field %q: topic %q holds bytes, not a message with fields", field, t.Name)
	}
	fields := t.New().ProtoReflect().Descriptor().Fields()
	var names []string
	for i := range fields.Len() {
		fd := fields.Get(i)
		if string(fd.Name()) != field && fd.JSONName() != field {
			names = append(names, string(fd.Name()))
			continue
		}
		if fd.IsList() || fd.IsMap() || fd.Message() != nil {
			return nil, fmt.Errorf("--key-field %q: a key is a scalar field, %s is not", field, fd.FullName())
		}
		return func(m proto.Message) []byte { return keyBytes(fd, m.ProtoReflect().Get(fd)) }, nil
	}
	return nil, fmt.Errorf("--key-field %q: %s has no such field; its fields: %s", field, t.MessageName, strings.Join(names, ", "))
}

// keyBytes is a key field's value as a record key: strings and bytes as
// they are, other scalars as text (numbers in decimal, enums by name).
func keyBytes(fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return []byte(v.String())
	case protoreflect.BytesKind:
		return v.Bytes()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return []byte(ev.Name())
		}
	}
	return []byte(fmt.Sprint(v.Interface()))
}

// lineSource is where send reads lines from and how it keys them.
type lineSource struct {
	path  string // "" or "-": standard input
	keyed bool   // key, tab, value
	key   keyFunc
	stdin io.Reader // standard input; nil: os.Stdin
}

// sendStats counts what send did with the lines it read.
type sendStats struct {
	mu            sync.Mutex
	lines, blank  int
	sent, invalid int
	failed        int // not delivered
}

// sendLines produces one record per line of src, each line's problem
// reported on stderr with its number: a line is sent, or named there,
// never dropped silently. Blank lines are skipped and counted. It fails
// when a line was not sent.
func sendLines(ctx context.Context, app *runtime.App, brokers string, props map[string]string, t *runtime.TopicDesc, src lineSource, stderr io.Writer) error {
	name, r := "stdin", src.stdin
	if r == nil {
		r = os.Stdin
	}
	if src.path != "" && src.path != "-" {
		f, err := os.Open(src.path)
		if err != nil {
			return err
		}
		defer f.Close()
		name, r = src.path, f
	}
	var st sendStats
	var mu sync.Mutex // stderr
	report := func(n int, format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, "%s:%d: %s\n", name, n, fmt.Sprintf(format, args...))
	}
	var acks sync.WaitGroup
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{Brokers: brokers, ClientID: app.ID() + "-send",
		Logger: app.Logger(), Extra: props}}, func(token any, _ int64, err error) {
		defer acks.Done()
		st.mu.Lock()
		if err != nil {
			st.failed++
		} else {
			st.sent++
		}
		st.mu.Unlock()
		if err != nil {
			report(token.(int), "not delivered to %s: %v", t.Name, err)
		}
	})
	if err != nil {
		return err
	}
	defer p.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	n := 0
	for sc.Scan() && ctx.Err() == nil {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			st.blank++
			continue
		}
		rec, err := encodeLine(t, line, src)
		if err != nil {
			st.invalid++
			report(n, "%v", err)
			continue
		}
		acks.Add(1)
		if err := p.Produce(rec, n); err != nil {
			acks.Done()
			st.mu.Lock()
			st.failed++
			st.mu.Unlock()
			report(n, "not sent to %s: %v", t.Name, err)
		}
	}
	st.lines = n
	if err := sc.Err(); err != nil {
		report(n+1, "reading stopped: %v", err)
	}
	if err := waitAcks(ctx, &acks, 60*time.Second); err != nil {
		report(n, "%v", err)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	fmt.Fprintf(stderr, "send: %d lines from %s: %d sent to %s, %d invalid, %d not delivered, %d blank skipped\n",
		st.lines, name, st.sent, t.Name, st.invalid, st.failed, st.blank)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted after line %d", n)
	case sc.Err() != nil:
		return fmt.Errorf("reading %s: %w", name, sc.Err())
	case st.invalid+st.failed > 0:
		return fmt.Errorf("%d of %d lines not sent (each named above with its line number)", st.invalid+st.failed, st.lines-st.blank)
	case st.sent != st.lines-st.blank:
		return fmt.Errorf("%d of %d lines unacknowledged", st.lines-st.blank-st.sent, st.lines-st.blank)
	}
	return nil
}

// encodeLine encodes one line: the value, or with src.keyed the key, a
// tab and the value.
func encodeLine(t *runtime.TopicDesc, line string, src lineSource) (*runtime.Record, error) {
	if !src.keyed {
		return encode(t, line, src.key)
	}
	k, v, ok := strings.Cut(line, "\t")
	if !ok {
		return nil, errors.New("--keyed: no tab between the key and the value")
	}
	rec, err := encode(t, v, src.key)
	if err != nil {
		return nil, err
	}
	rec.Key = []byte(k)
	return rec, nil
}

// waitAcks waits until wg is done, ctx ends or timeout passes.
func waitAcks(ctx context.Context, wg *sync.WaitGroup, timeout time.Duration) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(timeout):
		return fmt.Errorf("acknowledgements still missing after %v", timeout)
	}
}
