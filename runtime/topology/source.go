package topology

import (
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/streamgen/streamgen/dsl"
	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	"github.com/streamgen/streamgen/runtime"
)

// FromApp returns the descriptor of the app registered on app, as Build
// reads it: its id, guarantee and agents. Its tables are the ones its
// agents list, and those its tables' feeders keep (a table fed from a
// topic, and the joins of it).
func FromApp(app *runtime.App) *runtime.AppDesc {
	d := &runtime.AppDesc{ID: app.ID(), ExactlyOnce: app.ExactlyOnce()}
	for _, ag := range app.Agents() {
		if ag.Desc.Feeds == nil && ag.Desc.FKSubscribe == nil && ag.Desc.FKRespond == nil {
			// A table's feeder is the table's "feeds" edge; a foreign-key
			// join's own agents are its "joins" edges.
			d.Agents = append(d.Agents, ag.Desc)
			continue
		}
		for _, t := range ag.Desc.Tables { // its tables, and the joins it keeps
			if !slices.Contains(d.Tables, t) {
				d.Tables = append(d.Tables, t)
			}
		}
	}
	return d
}

// FromModel returns the runtime descriptor of a checked dsl app, as far as
// Build reads it: names, partitions, codecs, policies, windows, and
// message types as dynamicpb, so topic keys are read from the same topic
// options as in an app binary. It holds no handlers, key or codec
// functions: it is for drawing, not for running.
func FromModel(app *dsl.App) *runtime.AppDesc {
	c := converter{topics: map[*dsl.Topic]*runtime.TopicDesc{}, tables: map[*dsl.Table]*runtime.TableDesc{}}
	d := &runtime.AppDesc{ID: app.ID, ServiceName: string(app.Service.FullName()), ExactlyOnce: app.ExactlyOnce,
		CommitInterval: app.CommitInterval}
	for _, t := range app.Tables {
		d.Tables = append(d.Tables, c.table(t))
	}
	for _, ag := range app.Agents {
		a := &runtime.AgentDesc{
			Name:              ag.Name,
			Input:             c.topic(ag.Input),
			Concurrency:       int(ag.Concurrency),
			OnError:           runtime.OnErrorDeadLetter,
			DeadLetter:        c.topic(ag.DeadLetter),
			WindowClose:       c.table(ag.WindowClose),
			MaxEventTimeAhead: ag.MaxEventTimeAhead,
			OnFutureEvent:     runtime.FutureEventPolicy(ag.OnFutureEvent),
			OnMisplacedKey:    runtime.MisplacedKeyPolicy(ag.OnMisplacedKey),
			Repartition:       c.topic(ag.Repartition),
		}
		if ag.OnError == streamgenv1.OnError_ON_ERROR_STOP {
			a.OnError = runtime.OnErrorStop
		}
		if ag.Batch != nil {
			a.Batch = &runtime.BatchDesc{MaxRecords: int(ag.Batch.MaxRecords), MaxWait: ag.Batch.MaxWait}
		}
		if ag.GroupBy != nil {
			a.GroupByField = string(ag.GroupBy.Name())
		}
		if j := ag.Join; j != nil && j.Stream != nil {
			kind := runtime.JoinInner
			switch {
			case j.Outer:
				kind = runtime.JoinOuter
			case j.Left:
				kind = runtime.JoinLeft
			}
			a.StreamJoin = &runtime.StreamJoinDesc{Stream: c.topic(j.Stream), Before: j.Before, After: j.After, Grace: j.Grace, Kind: kind}
		}
		if t := ag.Timer; t != nil {
			a.Timer = &runtime.TimerDesc{Every: t.Every, Cron: t.Cron, TimeZone: t.TimeZone,
				SkipMissed: t.OnMissedTicks == streamgenv1.MissedTicks_MISSED_TICKS_SKIP,
				Topic:      c.topic(t.Topic)}
		}
		for _, o := range ag.Outputs {
			a.Outputs = append(a.Outputs, c.topic(o))
		}
		for _, t := range append(slices.Clone(ag.Tables), ag.JoinTables...) {
			a.Tables = append(a.Tables, c.table(t))
		}
		d.Agents = append(d.Agents, a)
	}
	return d
}

// converter converts each dsl topic and table once.
type converter struct {
	topics map[*dsl.Topic]*runtime.TopicDesc
	tables map[*dsl.Table]*runtime.TableDesc
}

func (c converter) topic(t *dsl.Topic) *runtime.TopicDesc {
	if t == nil {
		return nil
	}
	if d, ok := c.topics[t]; ok {
		return d
	}
	d := &runtime.TopicDesc{Name: t.Name, Partitions: t.Partitions, ReplicationFactor: t.ReplicationFactor,
		Config: t.Config, StrictJSON: t.StrictJSON, PartitionsFrom: c.topic(t.PartitionsFrom)}
	switch t.Codec {
	case streamgenv1.Codec_CODEC_PROTO:
		d.Codec = runtime.CodecProto
	case streamgenv1.Codec_CODEC_JSON:
		d.Codec = runtime.CodecJSON
	case streamgenv1.Codec_CODEC_RAW:
		d.Codec = runtime.CodecRaw
	default:
		d.Codec = runtime.CodecBytes // changelogs and dead-letter topics
	}
	if t.Message != nil {
		d.MessageName = string(t.Message.FullName())
		d.New = newMessage(t.Message)
	}
	c.topics[t] = d
	return d
}

func (c converter) table(t *dsl.Table) *runtime.TableDesc {
	if t == nil {
		return nil
	}
	if d, ok := c.tables[t]; ok {
		return d
	}
	d := &runtime.TableDesc{Name: t.Name, Changelog: c.topic(t.Changelog), New: newMessage(t.Value),
		KeyFromField: t.KeyField != "", Global: t.Global, Source: c.topic(t.Source),
		FromTopic: t.FromTopic, DeadLetter: c.topic(t.DeadLetter)}
	if t.FromTopic {
		d.Changelog = d.Source
	}
	if w := t.Window; w != nil {
		d.Window = &runtime.WindowSpec{Size: w.Size, Step: w.Step, Expires: w.Expires, Grace: w.Grace, Sliding: w.Sliding, Gap: w.Gap}
	}
	c.tables[t] = d
	if j := t.Join; j != nil {
		kind := runtime.JoinInner
		switch j.Kind {
		case streamgenv1.JoinKind_JOIN_KIND_LEFT:
			kind = runtime.JoinLeft
		case streamgenv1.JoinKind_JOIN_KIND_OUTER:
			kind = runtime.JoinOuter
		}
		d.Join = &runtime.TableJoinDesc{Left: c.table(j.Left), Right: c.table(j.Right), Kind: kind,
			Subscriptions: c.topic(j.Subscriptions), Responses: c.topic(j.Responses), Index: c.table(j.Index)}
	}
	return d
}

func newMessage(md protoreflect.MessageDescriptor) func() proto.Message {
	if md == nil {
		return nil
	}
	typ := dynamicpb.NewMessageType(md)
	return func() proto.Message { return typ.New().Interface() }
}
