package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/worker"
)

func defineSend(fs *pflag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	topic := fs.String("topic", "", "topic to send to")
	file := fs.String("file", "", "read one value per line from this file (-: standard input, also read when no values are given)")
	keyField := fs.String("key-field", "", "take each record's key from this field of the message (its proto or JSON name) instead of the topic's key field")
	keyed := fs.Bool("keyed", false, "lines are key, a tab, the value: the key is the text before the first tab")
	return func(ctx context.Context, values []string, _, stderr io.Writer) error {
		brokers, props, err := k.resolve()
		if err != nil {
			return err
		}
		if brokers == "" {
			return errors.New("send needs --brokers or " + worker.EnvBrokers + ": an embedded broker lives inside one process; run `streamgen dev-broker` to share one")
		}
		t, err := topicOf(app, *topic)
		if err != nil {
			return err
		}
		key, err := keyOf(t, *keyField, *keyed)
		if err != nil {
			return err
		}
		if len(values) > 0 && *file != "" {
			return errors.New("send takes values or --file, not both")
		}
		if len(values) == 0 {
			return sendLines(ctx, app, brokers, props, t, lineSource{path: *file, keyed: *keyed, key: key, stdin: stdinOf(ctx)}, stderr)
		}
		recs, err := encodeAll(t, values, key)
		if err != nil {
			return err
		}
		return send(ctx, app, brokers, props, t, recs)
	}
}

// encodeAll encodes every value, or returns the first error.
func encodeAll(t *runtime.TopicDesc, values []string, key keyFunc) ([]*runtime.Record, error) {
	recs := make([]*runtime.Record, len(values))
	for i, v := range values {
		rec, err := encode(t, v, key)
		if err != nil {
			return nil, err
		}
		recs[i] = rec
	}
	return recs, nil
}

// Encode turns a command-line value into a record value: text for raw
// topics, JSON (protojson) for protobuf and JSON topics.
func Encode(t *runtime.TopicDesc, value string) (*runtime.Record, error) {
	return encode(t, value, nil)
}

// keyFunc returns a message's record key.
type keyFunc func(proto.Message) []byte

// encode is Encode with the key from key; nil: the topic's key.
func encode(t *runtime.TopicDesc, value string, key keyFunc) (*runtime.Record, error) {
	rec := &runtime.Record{Topic: t.Name, Partition: -1}
	if t.New == nil {
		rec.Value = []byte(value)
		return rec, nil
	}
	m := t.New()
	if t.Codec == runtime.CodecRaw {
		t.RawSet(m, []byte(value))
	} else if err := protojson.Unmarshal([]byte(value), m); err != nil {
		shape, _ := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(t.New())
		return nil, fmt.Errorf("topic %q holds %s: %q is not its JSON form: %w; write it as JSON, e.g. '%s'",
			t.Name, t.MessageName, value, err, compactJSON(shape))
	}
	v, err := t.Encode(m)
	if err != nil {
		return nil, err
	}
	rec.Value = v
	if key == nil {
		key = t.Key
	}
	if key != nil {
		rec.Key = key(m)
	}
	return rec, nil
}

// send produces recs with librdkafka, props (-X, --kafka-config) applied
// as they are.
func send(ctx context.Context, app *runtime.App, brokers string, props map[string]string, t *runtime.TopicDesc, recs []*runtime.Record) error {
	p, err := kafka.NewProducer(kafka.ProducerConfig{Config: kafka.Config{Brokers: brokers, ClientID: app.ID() + "-send",
		Logger: app.Logger(), Extra: props}}, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	for _, rec := range recs {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = p.Send(sctx, rec)
		cancel()
		if err != nil {
			return fmt.Errorf("sending to %q: %w", t.Name, err)
		}
	}
	return nil
}

// compactJSON removes the whitespace protojson puts in (deliberately
// varying from run to run) from a JSON text without strings holding
// spaces: an example shape for an error message.
func compactJSON(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
