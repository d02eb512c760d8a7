package lane

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/observe"
)

// Process runs the lane's agent on input f (a batch agent's lane adds it
// to its open batch: see FlushBatch): on failure the error policy
// applies (a dead letter, or Fail with ON_ERROR_STOP, which leaves f
// pending forever: nothing from it on is committed); on success its
// outputs are gathered and its table writes cached, each counted in f's
// Pending. Then f's own count is released.
func (l *Lane) Process(f *Input) {
	if l.batch != nil {
		l.addToBatch(f) // the batch goes to the handler when full or due
		return
	}
	if f.Tick != nil {
		l.processTick(f)
		return
	}
	if l.view != nil {
		// A table with several writer agents: their lanes take turns, a
		// record at a time (its reads and its writes), on one cache.
		l.view.lockShared()
	}
	var start time.Time
	if l.cfg.OnProcess != nil {
		start = time.Now()
	}
	rec := f.Rec
	res, err := l.proc.Process(l.cfg.Ctx, rec)
	if err == nil {
		err = l.checkSizes(rec, res)
	}
	if err == nil {
		l.accept(f, res)
	}
	if l.view != nil {
		l.view.unlockShared()
	}
	var me *runtime.MisplacedKeyError
	switch {
	case err == nil:
	case errors.As(err, &me) && me.Policy == runtime.MisplacedKeyRepartition:
		l.repartition(f, me)
	case !l.deadLetter(f, err):
		l.observe(rec, start, len(res.Records), err, false)
		return
	}
	l.observeResult(rec, start, res, err)
	f.release()
	if l.view != nil && l.view.npend >= MaxPendingKeys {
		l.FlushTables()
	}
	if len(l.out) >= MaxProduceBatch {
		l.Produce()
	}
}

// observe tells Config.OnProcess how rec went (went on: the agent did not
// stop), timed from start.
func (l *Lane) observe(rec *runtime.Record, start time.Time, outputs int, err error, wentOn bool) {
	l.report(rec, start, outputs, 0, false, err, wentOn)
}

// observeResult reports a record the agent went on from, with its window
// writes skipped as late, and whether its inner join found no value.
func (l *Lane) observeResult(rec *runtime.Record, start time.Time, res runtime.Result, err error) {
	if err != nil {
		res = runtime.Result{}
	}
	l.report(rec, start, len(res.Records), res.Late, res.Unmatched, err, true)
}

func (l *Lane) report(rec *runtime.Record, start time.Time, outputs, late int, unmatched bool, err error, wentOn bool) {
	if l.cfg.OnProcess == nil {
		return
	}
	p := observe.Processed{Agent: l.cfg.Agent.Name(), Topic: rec.Topic, Partition: rec.Partition, Took: time.Since(start),
		Outputs: outputs, LateWrites: late, Unmatched: unmatched}
	if err != nil {
		p.Reason = Reason(err)
		switch {
		case !wentOn:
			p.Outcome = observe.OutcomeStopped
		case misplacedPolicy(err) == runtime.MisplacedKeyRepartition:
			p.Outcome = observe.OutcomeRepartitioned
		default:
			p.Outcome = observe.OutcomeDeadLetter
		}
	}
	l.cfg.OnProcess(p)
}

func misplacedPolicy(err error) runtime.MisplacedKeyPolicy {
	var me *runtime.MisplacedKeyError
	if errors.As(err, &me) {
		return me.Policy
	}
	return 0
}

// Reason classifies a failed record's error for metrics: one of the
// observe.Reason constants.
func Reason(err error) string {
	var (
		de *runtime.DecodeError
		pe *runtime.PanicError
		fe *runtime.FutureEventError
		te *TooLargeError
		me *runtime.MisplacedKeyError
	)
	switch {
	case errors.As(err, &me):
		return observe.ReasonMisplaced
	case errors.As(err, &fe):
		return observe.ReasonFutureEvent
	case errors.As(err, &te):
		return observe.ReasonTooLarge
	case errors.As(err, &de):
		return observe.ReasonDecode
	case errors.As(err, &pe):
		return observe.ReasonPanic
	}
	return observe.ReasonHandler
}

// deadLetter applies the agent's error policy to a failed input; false
// means the agent stops (ON_ERROR_STOP).
func (l *Lane) deadLetter(f *Input, err error) bool {
	dl := l.policy(l.cfg.Agent, f.Rec, err)
	if dl == nil {
		return false
	}
	f.Processed()
	f.Pending.Add(1)
	l.Emit(*dl, f)
	return true
}

// repartition produces a misplaced input, keyed by its key, to the
// agent's repartition topic in the partition the key belongs to, as the
// input's one output; the agent handles it there (the worker consumes
// that topic with the input's partitions).
func (l *Lane) repartition(f *Input, me *runtime.MisplacedKeyError) {
	rec := f.Rec
	if l.cfg.Agent.Desc.GroupBy == nil { // grouping moves records by design: not worth a warning each
		l.cfg.Log.Warn("record in the wrong partition for its key: repartitioned", "topic", rec.Topic, "partition", rec.Partition,
			"offset", rec.Offset, "to_partition", me.Want, "repartition_topic", l.cfg.Agent.Desc.Repartition.Name)
	}
	f.Processed()
	f.Pending.Add(1)
	l.Emit(runtime.Record{Topic: l.cfg.Agent.Desc.Repartition.Name, Partition: me.Want, Key: me.Key, Value: rec.Value,
		Headers: rec.Headers, Timestamp: rec.Timestamp}, f)
}

// policy applies ag's error policy to a failure of the record src: the
// dead letter to produce, or nil when the agent stops (Fail is told,
// with a *StopError). A record from the future, or one whose key is in
// the wrong partition, follows its own policy instead.
func (l *Lane) policy(ag *runtime.Agent, src *runtime.Record, err error) *runtime.Record {
	stop := ag.Desc.OnError == runtime.OnErrorStop
	var fe *runtime.FutureEventError
	var me *runtime.MisplacedKeyError
	switch {
	case errors.As(err, &fe):
		stop = false // a record from the future goes to the dead letters anyway
	case errors.As(err, &me):
		stop = me.Policy == runtime.MisplacedKeyStop
	}
	if stop {
		l.fail(&StopError{Err: err})
		return nil
	}
	dl := ag.DeadLetter(src, err)
	l.cfg.Log.Warn("record sent to dead-letter topic", "error", err, "dead_letter_topic", dl.Topic)
	if l.cfg.OnDeadLetter != nil {
		l.cfg.OnDeadLetter(observe.DeadLetter{Agent: ag.Name(), Topic: dl.Topic,
			Source: observe.Partition{Topic: src.Topic, Partition: src.Partition}, Offset: src.Offset,
			Key: bytes.Clone(src.Key), Value: bytes.Clone(src.Value), Timestamp: src.Timestamp, Error: err.Error(), Reason: Reason(err)})
	}
	return dl
}

// StopError is what a lane's Fail gets when a record stops its agent
// (ON_ERROR_STOP): Err is the *runtime.ProcessError.
type StopError struct {
	Err error
}

// Error says that the agent stopped and that nothing from the record on
// is committed.
func (e *StopError) Error() string {
	why := "on_error: ON_ERROR_STOP"
	var me *runtime.MisplacedKeyError
	if errors.As(e.Err, &me) {
		why = "on_misplaced_key: MISPLACED_KEY_STOP"
	}
	return fmt.Sprintf("streamgen: %v (%s; nothing from this record on is committed)", e.Err, why)
}

// Unwrap returns the record's error.
func (e *StopError) Unwrap() error { return e.Err }

// accept gathers a handled input's outputs and caches its table writes.
func (l *Lane) accept(f *Input, res runtime.Result) {
	rec := f.Rec
	l.gather(f, res)
	if ms := res.EventTime.UnixMilli(); ms > l.cfg.Clock.Now() && l.cfg.JoinClock == nil {
		l.cfg.Clock.Observe(ms, time.Now().UnixMilli()) // the wall clock only when stream time moves
	}
	if res.JoinErr != nil {
		l.cfg.Log.Warn("a table-table join could not be kept: the key's value is deleted from the join (the fed table holds the record)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "key", rec.Key, "error", res.JoinErr)
	}
	if res.Clamped {
		l.cfg.Log.Warn("record from the future: its record timestamp is its event time (on_future_event: FUTURE_EVENT_CLAMP)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "event_time", res.EventTime)
	}
	if res.Late > 0 && l.cfg.JoinClock != nil {
		l.cfg.Log.Warn("late record: skipped by the stream join, more than its grace behind the join's time (its partners may be gone)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "event_time", res.EventTime,
			"join_time", windows.Time(l.cfg.JoinClock.Now()))
	} else if res.Late > 0 {
		l.cfg.Log.Warn("late record: window writes skipped, their windows closed (past end plus grace; a session: past its end plus gap plus grace)",
			"topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset, "windows", res.Late,
			"event_time", res.EventTime, "stream_time", l.streamTime())
	}
}

// gather takes f's outputs and table writes (its windows' too), each
// counted in f's Pending until acknowledged, and lets go of f's record.
func (l *Lane) gather(f *Input, res runtime.Result) {
	f.Processed()
	f.Pending.Add(int32(len(res.Records) + len(res.Writes)))
	for _, r := range res.Records {
		l.Emit(r, f)
	}
	for _, wr := range res.Writes {
		if ix := l.indexes[wr.Table]; ix != nil {
			ix.Write(wr.Key, wr.Value)
		}
		e := l.view.write(wr.Table, wr.Key, wr.Value)
		e.inputs = append(e.inputs, f)
	}
}

// DefaultRecordLimit is librdkafka's default message.max.bytes: the
// producer refuses a record whose key and value together are larger.
const DefaultRecordLimit = 1_000_000

// RecordLimits returns the largest record (key plus value, in bytes) each
// of app's topics takes: the producer's message.max.bytes (clientMax;
// librdkafka refuses larger records before sending them, "Message size too
// large") or, when smaller, the topic's declared max.message.bytes (the
// broker's limit).
func RecordLimits(app *runtime.App, clientMax int) func(topic string) int {
	limits := map[string]int{}
	for _, t := range app.Topics() {
		limits[t.Name] = clientMax
		if v, err := strconv.Atoi(t.Config["max.message.bytes"]); err == nil && v > 0 && v < clientMax {
			limits[t.Name] = v
		}
	}
	return func(topic string) int {
		if n, ok := limits[topic]; ok {
			return n
		}
		return clientMax
	}
}

// TooLargeError is a handler's output or table write too large for its
// topic (RecordLimits): producing it would fail, and again after every
// restart, so the input goes to the error policy instead.
type TooLargeError struct {
	// Topic is the output topic or the table's changelog.
	Topic string
	// Size is the record's size on the wire: key, value, headers and
	// their framing, in bytes.
	Size int
	// Limit is the most the topic takes.
	Limit int
}

// Error says which topic and how large, and what to do.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("a record of %d bytes for topic %q is larger than the %d it takes (librdkafka's message.max.bytes, "+
		"or the topic's max.message.bytes): keep values smaller, or raise both limits", e.Size, e.Topic, e.Limit)
}

// checkSizes fails a handled record whose outputs or table writes are too
// large to produce, as the record's own failure: nothing of it is
// produced or written, and the error policy applies (a dead letter, in
// the same transaction as its offset under exactly-once).
func (l *Lane) checkSizes(rec *runtime.Record, res runtime.Result) error {
	if l.cfg.RecordLimit == nil {
		return nil
	}
	check := func(topic string, size int) error {
		if limit := l.cfg.RecordLimit(topic); size > limit {
			ag := l.cfg.Agent
			return &runtime.ProcessError{Agent: ag.Name(), Topic: rec.Topic, Partition: rec.Partition, Offset: rec.Offset,
				Err: &TooLargeError{Topic: topic, Size: size, Limit: limit}}
		}
		return nil
	}
	for i := range res.Records {
		if err := check(res.Records[i].Topic, recordSize(&res.Records[i])); err != nil {
			return err
		}
	}
	for _, w := range res.Writes {
		if tb := l.tables[w.Table]; tb.Desc.Changelog != nil {
			if err := check(tb.Desc.Changelog.Name, recordOverhead+len(w.Key)+len(w.Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordOverhead bounds what a record costs on the wire beyond its key,
// value and headers (a v2 record's length, attributes, timestamp and
// offset deltas and varint lengths), which librdkafka counts against
// message.max.bytes too (rd_kafka_msg_max_wire_size).
const recordOverhead = 64

// recordSize is a record's size as the producer's limit sees it.
func recordSize(r *runtime.Record) int {
	n := recordOverhead + len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 10
	}
	return n
}
