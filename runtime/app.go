// Package runtime is the streamgen runtime's core, free of cgo. Its API is
// split by who calls it:
//
//   - generated code and handlers: the descriptors generated code hands
//     over (desc.go: AppDesc, AgentDesc, TopicDesc, TableDesc), the
//     Emitter handlers emit and use tables through (emitter.go), typed
//     topic handles (topic.go), RecordFrom and ClosedWindowFrom;
//   - the engine (package worker, package streamtest): the App agents are
//     registered on (app.go), and the Processor that runs an agent's
//     handler on a record and returns what it produced (agent.go);
//   - both: records, codecs, error policies, the partitioner.
//
// Running an app on Kafka is package worker's job; testing one without a
// broker is package streamtest's.
package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"
)

// Option configures an App.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	logger *slog.Logger
}

// WithLogger sets the logger of the app and everything that runs it,
// including librdkafka's and the embedded broker's logs. Default:
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// App is a set of registered agents sharing one app id: one consumer group.
// Register agents with the generated Register function, then run the app
// with package worker, or test it with package streamtest.
type App struct {
	cfg     config
	id      string
	service string
	impl    any
	agents  []*Agent

	exactlyOnce    bool
	commitInterval time.Duration
	// fkIndexes maps the Index of each foreign-key join to its join.
	fkIndexes map[*TableDesc]*TableDesc
}

// NewApp returns an App with no agents.
func NewApp(opts ...Option) *App {
	a := &App{cfg: config{logger: slog.Default()}}
	for _, o := range opts {
		o.apply(&a.cfg)
	}
	return a
}

// Register adds the agents of desc, implemented by impl. Generated
// Register functions call it. An App holds one app: registering a second
// service is an error, because one consumer group would then serve two
// apps' topics.
func (a *App) Register(desc *AppDesc, impl any) error {
	if desc == nil {
		return errors.New("streamgen: Register: nil AppDesc")
	}
	if impl == nil {
		return fmt.Errorf("streamgen: Register %s: the implementation is nil", desc.ServiceName)
	}
	if desc.Check != nil && !desc.Check(impl) {
		return fmt.Errorf("streamgen: Register %s: %T does not implement the generated interface", desc.ServiceName, impl)
	}
	if a.id != "" {
		return fmt.Errorf("streamgen: Register %s: app %q (%s) is already registered; run each app on its own App", desc.ServiceName, a.id, a.service)
	}
	for _, d := range desc.Agents {
		if (d.Batch != nil) != (d.BatchHandler != nil) || (d.Batch != nil && (d.Batch.MaxRecords < 1 || d.Batch.MaxWait <= 0)) {
			return fmt.Errorf("streamgen: Register %s: agent %s: a batch agent needs both Batch (at least 1 record, a positive wait) and BatchHandler; regenerate the code", desc.ServiceName, d.Name)
		}
		if (d.Timer != nil) != (d.TickHandler != nil) {
			return fmt.Errorf("streamgen: Register %s: agent %s: a timer or cron agent needs both Timer and TickHandler; regenerate the code", desc.ServiceName, d.Name)
		}
		if j := d.StreamJoin; j != nil && (j.Stream == nil || j.Handler == nil || len(d.Tables) != 2 || d.Tables[0].Window == nil || d.Tables[1].Window == nil) {
			return fmt.Errorf("streamgen: Register %s: agent %s: a stream join needs its Stream, its Handler and its two windowed buffer tables; regenerate the code", desc.ServiceName, d.Name)
		}
		if d.Timer != nil {
			if err := d.Timer.parse(); err != nil {
				return fmt.Errorf("streamgen: Register %s: agent %s: %w", desc.ServiceName, d.Name, err)
			}
		}
	}
	if n := tickMetadataSize(desc); n > MaxTickMetadata {
		return fmt.Errorf("streamgen: Register %s: the last ticks of its timer and cron agents take up to %d bytes of offset commit metadata, more than the %d a broker keeps by default (offset.metadata.max.bytes): shorten the agents' names or use fewer", desc.ServiceName, n, MaxTickMetadata)
	}
	for _, td := range desc.Tables {
		if j := td.Join; j != nil && (j.Left == nil || j.Right == nil || j.Joiner == nil ||
			j.ForeignKey != nil && (j.Subscriptions == nil || j.Responses == nil || j.Index == nil)) {
			return fmt.Errorf("streamgen: Register %s: table %s is a join and needs its Left, Right and Joiner (a foreign-key join its topics and Index too); regenerate the code", desc.ServiceName, td.Name)
		}
		if td.FromTopic && (td.Source == nil || td.DeadLetter == nil || td.Changelog != td.Source) {
			return fmt.Errorf("streamgen: Register %s: table %s is fed from a topic and needs its Source (also its Changelog) and DeadLetter; regenerate the code", desc.ServiceName, td.Name)
		}
	}
	for _, d := range desc.Agents {
		if t := d.Timer; t != nil && t.OnPartitions() && !consumes(desc, t.Topic) {
			return fmt.Errorf("streamgen: Register %s: agent %s runs on each partition of its tables, and no agent consumes its Timer.Topic; regenerate the code", desc.ServiceName, d.Name)
		}
	}
	for _, d := range desc.Agents {
		a.agents = append(a.agents, &Agent{Desc: d, app: a})
	}
	a.fkIndexes = map[*TableDesc]*TableDesc{}
	for _, td := range desc.Tables {
		if td.FromTopic {
			a.agents = append(a.agents, &Agent{Desc: feeder(desc, td), app: a})
		}
		if j := td.Join; j != nil && j.ForeignKey != nil {
			a.fkIndexes[j.Index] = td
			for _, d := range fkAgents(td) {
				a.agents = append(a.agents, &Agent{Desc: d, app: a})
			}
		}
	}
	a.id, a.service, a.impl = desc.ID, desc.ServiceName, impl
	a.exactlyOnce, a.commitInterval = desc.ExactlyOnce, desc.CommitInterval
	return nil
}

// consumes reports whether an agent of desc consumes topic t.
func consumes(desc *AppDesc, t *TopicDesc) bool {
	for _, d := range desc.Agents {
		if t != nil && d.Input != nil && d.Input.Name == t.Name {
			return true
		}
	}
	return false
}

// ExactlyOnce reports whether the registered app declares
// GUARANTEE_EXACTLY_ONCE.
func (a *App) ExactlyOnce() bool { return a.exactlyOnce }

// CommitInterval returns the registered app's commit interval: the
// declared one, else 100 ms.
func (a *App) CommitInterval() time.Duration {
	if a.commitInterval > 0 {
		return a.commitInterval
	}
	return 100 * time.Millisecond
}

// ID returns the app id, or "" before Register.
func (a *App) ID() string { return a.id }

// Logger returns the app's logger.
func (a *App) Logger() *slog.Logger { return a.cfg.logger }

// Agents returns the registered agents.
func (a *App) Agents() []*Agent { return a.agents }

// Topics returns every topic the app reads or writes, dead-letter topics,
// joined streams and the repartition topics in use
// (MisplacedKeyRepartition) included,
// sorted by name.
func (a *App) Topics() []*TopicDesc {
	seen := map[string]*TopicDesc{}
	for _, ag := range a.agents {
		var repartition, joined *TopicDesc
		if ag.Desc.OnMisplacedKey == MisplacedKeyRepartition {
			repartition = ag.Desc.Repartition
		}
		if ag.Desc.StreamJoin != nil {
			joined = ag.Desc.StreamJoin.Stream
		}
		for _, t := range append([]*TopicDesc{ag.Desc.Input, ag.Desc.DeadLetter, repartition, joined}, ag.Desc.Outputs...) {
			if t != nil {
				seen[t.Name] = t
			}
		}
		for _, t := range ag.Desc.Tables {
			if t.Global {
				seen[t.Source.Name] = t.Source
			} else {
				seen[t.Changelog.Name] = t.Changelog
			}
		}
	}
	if t := a.LeaderTopic(); t != nil {
		seen[t.Name] = t
	}
	out := make([]*TopicDesc, 0, len(seen))
	for _, t := range seen {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ClosersOf returns the agents called with the closed windows of table
// name: its on_window_close agents, and a stream join of its buffer.
func (a *App) ClosersOf(name string) []*Agent {
	var out []*Agent
	for _, ag := range a.agents {
		if ag.Desc.WindowClose != nil && ag.Desc.WindowClose.Name == name {
			out = append(out, ag)
		}
		// A stream join hands over its records that found no partner
		// when their buffer window closes.
		if j := ag.Desc.StreamJoin; j != nil {
			for side, t := range ag.Desc.Tables {
				if t.Name == name && j.EmitsUnmatched(side) {
					out = append(out, ag)
				}
			}
		}
	}
	return out
}
