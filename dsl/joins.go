package dsl

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// streamJoin reads an agent's windowed stream-stream join (join.stream):
// the joined topic, co-partitioned with the input and keyed alike, its
// window, its kind, and its two buffer tables, which become the agent's
// tables and the app's.
func (a *agentBuilder) streamJoin(j *streamgenv1.Join, path string) {
	ag := a.ag
	at := func(f int32) optionAt { return inAgent(agentField.join, f) }
	ok := true
	if j.GetTable() != "" {
		a.fail(at(joinField.table), path+".table", "a join names a table or a stream, not both; remove table or stream")
		ok = false
	}
	if len(a.opt.GetTables()) > 0 {
		a.fail(inAgent(agentField.tables), a.where+" > option agent.tables",
			"an agent with a stream join keeps its two join buffers and no tables of its own; emit to a topic and keep the table in an agent that consumes it, or remove tables")
		ok = false
	}
	if ag.Concurrency > 1 {
		a.fail(inAgent(agentField.concurrency), a.where+" > option agent.concurrency",
			"an agent with a stream join runs one record of a partition at a time: a key's records of both topics must meet in one lane, and lanes are chosen by record key, which a producer may set apart from the key field; remove concurrency")
		ok = false
	}
	if a.opt.GetGroupBy() != "" {
		a.fail(inAgent(agentField.groupBy), a.where+" > option agent.group_by",
			"a stream join pairs records by their topics' keys; remove group_by (re-key the records in an agent that emits to a topic keyed as you need)")
		ok = false
	}
	before, okB := a.joinDuration(j.GetBefore(), at(joinField.before), path+".before")
	after, okA := a.joinDuration(j.GetAfter(), at(joinField.after), path+".after")
	grace, okG := a.joinDuration(j.GetGrace(), at(joinField.grace), path+".grace")
	left, outer := false, false
	switch j.GetKind() {
	case streamgenv1.JoinKind_JOIN_KIND_UNSPECIFIED, streamgenv1.JoinKind_JOIN_KIND_INNER:
	case streamgenv1.JoinKind_JOIN_KIND_LEFT:
		left = true
	case streamgenv1.JoinKind_JOIN_KIND_OUTER:
		left, outer = true, true
	default:
		a.fail(at(joinField.kind), path+".kind", "unknown join kind %d; use JOIN_KIND_INNER, JOIN_KIND_LEFT or JOIN_KIND_OUTER", j.GetKind())
		ok = false
	}
	stream := a.joinedTopic(j.GetStream(), at(joinField.stream), path+".stream")
	if !ok || !okB || !okA || !okG || stream == nil || ag.Input == nil {
		a.drop()
		return
	}
	buffers := [2]*Table{}
	for i, side := range []string{"input", "stream"} {
		name := BufferTable(ag.Name, side)
		changelog := ChangelogTopic(a.app.ID, name)
		if why := ValidTopicName(changelog); why != "" {
			a.fail(at(joinField.stream), path+".stream", "changelog topic %q of the join buffer %s; shorten the app id or the agent's name", changelog, why)
			a.drop()
			return
		}
		// A buffered record can be joined until stream time passes its
		// time plus the other side's reach plus grace; then its window
		// closes (a left or outer join hands it over if it found no
		// partner) and is deleted.
		reach := after
		if side == "stream" {
			reach = before
		}
		keyField := ""
		if ag.Input.Key != nil {
			keyField = string(ag.Input.Key.Name())
		}
		buffers[i] = &Table{Name: name, Value: (&streamgenv1.JoinBuffer{}).ProtoReflect().Descriptor(), Buffer: true, KeyField: keyField,
			Changelog: &Topic{Name: changelog, Partitions: 1, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED,
				Config: map[string]string{"cleanup.policy": "compact"}},
			Window:   &Window{Size: time.Millisecond, Step: time.Millisecond, Grace: reach + grace, Expires: reach + grace},
			optIndex: -1, listed: true}
	}
	ag.Tables = buffers[:] // the app's tables once every agent is read (addBuffers)
	ag.Join = &Join{Stream: stream, Before: before, After: after, Grace: grace, Left: left, Outer: outer, Buffers: buffers}
}

// addBuffers adds the buffer tables of app's stream joins to its tables,
// once every agent is read: no agent can list one, whatever the order of
// the rpcs. A buffer named like a declared table or another join's
// buffer is reported, and its agent left out.
func (b *builder) addBuffers(app *App) {
	kept := app.Agents[:0]
	for _, ag := range app.Agents {
		j := ag.Join
		if j == nil || j.Stream == nil {
			kept = append(kept, ag)
			continue
		}
		ok := true
		for _, buf := range j.Buffers {
			if t := app.table(buf.Name); t != nil || app.unusable[buf.Name] {
				what := "table " + strconv.Quote(buf.Name) + " of the app"
				if t != nil && t.Buffer {
					what = "another stream join's buffer (agent " + t.Writers[0].Name + ")"
				}
				b.errorf(ag.Method, inAgent(agentField.join, joinField.stream),
					"service "+string(app.Service.Name())+" > rpc "+ag.Name+" > option agent.join.stream",
					"agent %s's join buffer is named %q, and so is %s; rename the table or the agent", ag.Name, buf.Name, what)
				ok = false
				break
			}
		}
		if !ok {
			for _, buf := range j.Buffers { // not the agent's tables any more
				buf.Writers = nil
			}
			continue
		}
		app.Tables = append(app.Tables, j.Buffers[:]...)
		kept = append(kept, ag)
	}
	app.Agents = kept
}

// joinDuration reads one of a stream join's durations: unset is 0, and
// it may not be negative.
func (a *agentBuilder) joinDuration(d *durationpb.Duration, at optionAt, path string) (time.Duration, bool) {
	if d == nil {
		return 0, true
	}
	name := path[strings.LastIndex(path, ".")+1:]
	if err := d.CheckValid(); err != nil || d.AsDuration() < 0 {
		a.fail(at, path, "a join's %s is a duration of 0 or more (e.g. {seconds: 60}), not %v", name, d.AsDuration())
		return 0, false
	}
	if d.AsDuration()%time.Millisecond != 0 {
		a.fail(at, path, "a join's %s is in whole milliseconds, as record timestamps are, not %v", name, d.AsDuration())
		return 0, false
	}
	return d.AsDuration(), true
}

// joinedTopic returns the topic of message name that a stream join
// joins, checked against the agent's input: another topic, with as many
// partitions, keyed alike. It returns nil after reporting a mistake.
func (a *agentBuilder) joinedTopic(name string, at optionAt, path string) *Topic {
	full := protoreflect.FullName(strings.TrimPrefix(name, "."))
	md := a.b.messages[full]
	in := a.ag.Input
	switch {
	case md == nil:
		a.fail(at, path, "stream %q is not a known message; give the full name (package.Message) of a message in this file or its imports that is bound to a topic", name)
		return nil
	case a.b.unbound[full]:
		return nil // its topic option's mistake is reported
	case a.b.model.ByMessage[full] == nil:
		a.fail(at, path, "stream %s has no topic option; bind it to the topic to join (option (streamgen.v1.topic) = { name: \"...\" })", full)
		return nil
	case in == nil:
		return nil // its input's mistake is reported
	}
	t := a.b.model.ByMessage[full]
	switch {
	case t == in:
		a.fail(at, path, "stream %s is the agent's own input (topic %q); join another topic, or keep the records you need in a table", full, t.Name)
		return nil
	case t.Partitions != in.Partitions:
		a.fail(at, path,
			"topic %q of stream %s has %d partitions and input topic %q has %d: a key's records of both must meet in one partition; give both the same partition count",
			t.Name, full, t.Partitions, in.Name, in.Partitions)
		return nil
	case t.Key != nil && in.Key != nil && t.Key.Kind() != in.Key.Kind():
		a.fail(at, path,
			"topic %q is keyed by %s (%s) and input topic %q by %s (%s): equal keys of two kinds are encoded apart and land in different partitions; key both by fields of one kind",
			t.Name, t.Key.Name(), t.Key.Kind(), in.Name, in.Key.Name(), in.Key.Kind())
		return nil
	}
	return t
}

// streamJoinPlacement sets a stream-joining agent's misplaced-key
// policy: MISPLACED_KEY_DEAD_LETTER by default, or STOP. Its records are
// not moved through a repartition topic: that would take one for each
// side.
func (a *agentBuilder) streamJoinPlacement(policy streamgenv1.MisplacedKey, name string) {
	if name != "" {
		a.fail(inAgent(agentField.repartitionTopic), a.where+" > option agent.repartition_topic",
			"a stream join moves no records through a repartition topic; remove repartition_topic")
	}
	switch policy {
	case streamgenv1.MisplacedKey_MISPLACED_KEY_UNSPECIFIED:
		a.ag.OnMisplacedKey = streamgenv1.MisplacedKey_MISPLACED_KEY_DEAD_LETTER
	case streamgenv1.MisplacedKey_MISPLACED_KEY_DEAD_LETTER, streamgenv1.MisplacedKey_MISPLACED_KEY_STOP:
		a.ag.OnMisplacedKey = policy
	default:
		a.fail(inAgent(agentField.onMisplacedKey), a.where+" > option agent.on_misplaced_key",
			"a stream join sends a record whose key belongs to another partition to its dead-letter topic or stops; use MISPLACED_KEY_DEAD_LETTER (the default) or MISPLACED_KEY_STOP, and produce both topics with a murmur2 partitioner")
	}
}

// checkJoinedStreams checks that the topic each stream join joins is read
// by that join only: no agent of the app consumes it, no other join joins
// it, and no table is fed from it (the worker runs its partitions in the
// joining agent's input partitions).
func (b *builder) checkJoinedStreams(app *App) {
	readers := map[*Topic]string{}
	for _, ag := range app.Agents {
		if ag.Input != nil {
			readers[ag.Input] = "agent " + ag.Name
		}
	}
	for _, t := range app.Tables {
		if t.FromTopic {
			readers[t.Source] = "table " + t.Name
		}
	}
	for _, ag := range app.Agents {
		j := ag.Join
		if j == nil || j.Stream == nil {
			continue
		}
		path := "service " + string(app.Service.Name()) + " > rpc " + ag.Name + " > option agent.join.stream"
		if r, ok := readers[j.Stream]; ok {
			b.errorf(ag.Method, inAgent(agentField.join, joinField.stream), path,
				"topic %q is read by %s too, and a joined stream is read by its join only; join a topic of its own",
				j.Stream.Name, r)
			continue
		}
		readers[j.Stream] = fmt.Sprintf("agent %s's join", ag.Name)
	}
}
