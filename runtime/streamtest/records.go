package streamtest

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
)

// append adds rec to its topic's log, as the broker would: a partition
// from its key (murmur2, as the worker's producer), the next offset, a
// timestamp if it has none.
func (d *Driver) append(rec *runtime.Record) *runtime.Record {
	r := *rec
	if t := d.topics[r.Topic]; t != nil && r.Partition < 0 {
		if r.Key != nil {
			r.Partition = runtime.Partition(r.Key, t.Partitions)
		} else {
			r.Partition = 0
		}
	}
	if r.Partition < 0 {
		r.Partition = 0
	}
	k := partKey{r.Topic, r.Partition}
	r.Offset = d.offsets[k]
	d.offsets[k]++
	if r.Timestamp.IsZero() {
		r.Timestamp = d.clock
		if r.Timestamp.IsZero() {
			r.Timestamp = time.Now().UTC()
		}
	}
	d.logs[r.Topic] = append(d.logs[r.Topic], &r)
	return &r
}

// Records returns every record written to topic so far, in order:
// inputs, outputs, dead letters and changelog records alike.
func (d *Driver) Records(topic string) []*runtime.Record { return d.logs[topic] }

// Output decodes the records emitted to topic since the last call of
// Output for that topic.
func Output[T proto.Message](d *Driver, topic runtime.Topic[T]) ([]T, error) {
	recs := d.logs[topic.Name()][d.read[topic.Name()]:]
	d.read[topic.Name()] += len(recs)
	out := make([]T, 0, len(recs))
	for _, r := range recs {
		m, err := topic.Decode(r.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// DeadLetters returns the records written to an agent's dead-letter topic
// (the generated <App><Agent>DeadLetterTopicName constant).
func (d *Driver) DeadLetters(topic string) []*runtime.Record { return d.logs[topic] }

// Header returns the value of the last header named key, or "".
func Header(rec *runtime.Record, key string) string {
	for i := len(rec.Headers) - 1; i >= 0; i-- {
		if rec.Headers[i].Key == key {
			return string(rec.Headers[i].Value)
		}
	}
	return ""
}
