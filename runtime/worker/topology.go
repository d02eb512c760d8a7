package worker

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
)

// topology is what the worker derives from the app once: which agents
// consume which topic, which tables are written by several agents or
// from several topics, and which repartition topics feed which input's
// partitions.
type topology struct {
	byTopic map[string][]*runtime.Agent // input topic → its agents, in registration order
	inputs  []string                    // the topics consumed: inputs in registration order, then the agents' own sources
	// sources maps each topic consumed for one agent (Agent.Sources: a
	// repartition topic, a joined stream) to the agent's input topic:
	// partition p of it runs in input partition p.
	sources map[string]string
	// repartitions is set when an agent consumes its repartition topic.
	repartitions bool
	writers      map[string]int // per (non-global) table: how many agents write it
	// leader is the app's leader topic, "" when no agent runs on the
	// leader: consumed (it holds no records) so that the group elects its
	// owner (leader.go); byTopic lists the timer and cron agents under it,
	// and those that run on each partition under their TimerTopic, after
	// the topic's own agents.
	leader string
	// coAssign describes the tables written from more than one topic,
	// whose partitions must be co-assigned.
	coAssign []string
	// fed are the topics tables are fed from (TableDesc.FromTopic): read
	// from their beginning when the group has no offset, whatever
	// auto.offset.reset says, or the table would miss keys.
	fed map[string]bool
}

func newTopology(app *runtime.App) *topology {
	t := &topology{byTopic: map[string][]*runtime.Agent{}, writers: lane.Writers(app), sources: map[string]string{}, fed: map[string]bool{}}
	topics := map[string][]string{}
	var names []string
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil {
			continue // on_window_close agents consume no topic
		}
		in := ag.Desc.Input.Name
		if ag.Desc.Feeds != nil {
			t.fed[in] = true
		}
		if t.byTopic[in] == nil {
			t.inputs = append(t.inputs, in)
		}
		t.byTopic[in] = append(t.byTopic[in], ag)
		for _, td := range ag.Desc.Tables {
			if td.Global {
				continue
			}
			if topics[td.Name] == nil {
				names = append(names, td.Name)
			}
			if !slices.Contains(topics[td.Name], in) {
				topics[td.Name] = append(topics[td.Name], in)
			}
		}
	}
	for _, n := range names {
		if len(topics[n]) > 1 {
			t.coAssign = append(t.coAssign, fmt.Sprintf("table %q is written from topics %s", n, strings.Join(topics[n], ", ")))
		}
	}
	if lt := app.LeaderTopic(); lt != nil {
		t.leader = lt.Name
		t.inputs = append(t.inputs, lt.Name)
	}
	// Timer and cron agents come after a topic's agents: the leader's
	// under the leader topic, those that run on each partition of their
	// tables under the topic whose partitions they run in (ticks.go).
	for _, ag := range app.Agents() {
		if tt := app.TimerTopic(ag); tt != nil {
			t.byTopic[tt.Name] = append(t.byTopic[tt.Name], ag)
		}
	}
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil {
			continue
		}
		for _, src := range ag.Sources() {
			t.sources[src.Name] = ag.Desc.Input.Name
			t.inputs = append(t.inputs, src.Name)
			why := "repartition topic"
			if src == ag.Desc.Repartition {
				t.repartitions = true
			} else {
				why = "joined stream"
			}
			t.coAssign = append(t.coAssign, fmt.Sprintf("agent %s's %s %s feeds topic %s's partitions", ag.Desc.Name, why, src.Name, ag.Desc.Input.Name))
		}
	}
	return t
}

// inputOf returns the input topic whose partitions run topic's records:
// the agent's input for one of its own sources, else topic itself.
func (t *topology) inputOf(topic string) string {
	if in, ok := t.sources[topic]; ok {
		return in
	}
	return topic
}

// assignor returns the partition assignment strategy the consumers need,
// "" for librdkafka's default (cooperative-sticky, package kafka).
func (t *topology) assignor() string {
	if len(t.coAssign) > 0 {
		return "range"
	}
	return ""
}

// checkAssignor fails when the app needs co-assigned partitions and the
// configuration asks for another assignor (an app may opt out of its
// repartition topics with on_misplaced_key: MISPLACED_KEY_DEAD_LETTER or
// MISPLACED_KEY_STOP). Partition p of a table written
// from several topics is partition p of each: one worker thread must own
// all of them. librdkafka's range assignor gives each member the same
// partition numbers of every topic with the same partition count (all
// members subscribe to the same topics); cooperative-sticky does not.
func (t *topology) checkAssignor(props map[string]string, log *slog.Logger) error {
	if len(t.coAssign) == 0 {
		return nil
	}
	if s, ok := props["partition.assignment.strategy"]; ok && s != "range" {
		hint := ""
		if t.repartitions {
			hint = " (an agent's repartition topic is there only for misplaced records: on_misplaced_key: MISPLACED_KEY_DEAD_LETTER or MISPLACED_KEY_STOP in the schema drops it)"
		}
		return fmt.Errorf("streamgen worker: partition p of each of these topics must go to the same worker, which needs partition.assignment.strategy=range, not %q%s: %s",
			s, hint, strings.Join(t.coAssign, "; "))
	}
	log.Info("co-partitioned inputs: partitions are assigned with the range assignor (eager rebalances)", "why", strings.Join(t.coAssign, "; "))
	return nil
}
