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
// consume which topic, and which tables are written by several agents or
// from several topics.
type topology struct {
	byTopic map[string][]*runtime.Agent // input topic → its agents, in registration order
	inputs  []string                    // the input topics, in registration order
	writers map[string]int              // per (non-global) table: how many agents write it
	// coAssign describes the tables written from more than one topic,
	// whose partitions must be co-assigned.
	coAssign []string
}

func newTopology(app *runtime.App) *topology {
	t := &topology{byTopic: map[string][]*runtime.Agent{}, writers: lane.Writers(app)}
	topics := map[string][]string{}
	var names []string
	for _, ag := range app.Agents() {
		if ag.Desc.Input == nil {
			continue // on_window_close agents consume no topic
		}
		in := ag.Desc.Input.Name
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
	return t
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
// configuration asks for another assignor. Partition p of a table written
// from several topics is partition p of each: one worker thread must own
// all of them. librdkafka's range assignor gives each member the same
// partition numbers of every topic with the same partition count (all
// members subscribe to the same topics); cooperative-sticky does not.
func (t *topology) checkAssignor(props map[string]string, log *slog.Logger) error {
	if len(t.coAssign) == 0 {
		return nil
	}
	if s, ok := props["partition.assignment.strategy"]; ok && s != "range" {
		return fmt.Errorf("streamgen worker: %s: partition p of each of these topics must go to the same worker, which needs partition.assignment.strategy=range, not %q", strings.Join(t.coAssign, "; "), s)
	}
	log.Info("co-partitioned inputs: partitions are assigned with the range assignor (eager rebalances)", "tables", strings.Join(t.coAssign, "; "))
	return nil
}
