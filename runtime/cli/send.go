package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/worker"
)

func defineSend(fs *flag.FlagSet, app *runtime.App) runFunc {
	var k kafkaFlags
	k.define(fs, "bootstrap brokers, host:port[,host:port] (default $"+worker.EnvBrokers+", else bootstrap.servers)")
	topic := fs.String("topic", "", "topic to send to")
	return func(ctx context.Context, values []string, _, _ io.Writer) error {
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
		recs, err := encodeAll(t, values)
		if err != nil {
			return err
		}
		return send(ctx, app, brokers, props, t, recs)
	}
}

// encodeAll encodes every value, or returns the first error.
func encodeAll(t *runtime.TopicDesc, values []string) ([]*runtime.Record, error) {
	recs := make([]*runtime.Record, len(values))
	for i, v := range values {
		rec, err := Encode(t, v)
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
	if t.Key != nil {
		rec.Key = t.Key(m)
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
