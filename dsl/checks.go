package dsl

import (
	"fmt"
	"slices"
	"strings"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
	"github.com/streamgen/streamgen/runtime"
)

// The checks below read a built model and report the problems they find;
// they never change the model.

// checkTables checks app's tables against their writers: every table has
// one (a global table, a reader), a windowed table has only one, and the
// writers of a table consume topics with one partition count. A table
// whose only writers were left out of the model for their own mistakes is
// not reported unused.
func (b *builder) checkTables(app *App) {
	for _, t := range app.Tables {
		if t.Window.Session() {
			b.checkMergeName(app, t)
		}
		if t.Global && len(t.Writers) > 0 {
			continue // read anywhere: no co-partitioning
		}
		if t.FromTopic && len(t.Writers) > 0 {
			b.checkTopicTableReaders(app, t)
			continue
		}
		if len(t.Writers) == 0 && len(t.Timers) > 0 {
			tm := t.Timers[0]
			b.errorf(tm.Method, inAgent(agentField.tables), agentTablesPath(app, tm),
				"table %q is written by no agent that consumes a topic, and %s runs on the partitions of its tables, which are those of their writers' input topic; list the table in an agent that consumes a topic too",
				t.Name, tm.Name)
			continue
		}
		if len(t.Writers) == 0 && t.listed {
			continue // every agent that lists it has a reported mistake
		}
		if len(t.Writers) == 0 && joined(app, t) {
			continue // a join's, kept by the feeders of its sides
		}
		if len(t.Writers) == 0 {
			b.errorf(app.Service, inApp(appField.tables, int32(t.optIndex)),
				fmt.Sprintf("service %s > option app.tables[%d]", app.Service.Name(), t.optIndex),
				"no agent uses table %q; list it in an agent's tables option, or remove it", t.Name)
			continue
		}
		first := t.Writers[0]
		if t.Window != nil && len(t.Writers) > 1 {
			// A window's closing and expiry are driven by the lanes of the
			// agent that writes it; two writers would each close it.
			w := t.Writers[1]
			b.errorf(w.Method, inAgent(agentField.tables), agentTablesPath(app, w),
				"windowed table %q is written by %s and by %s: a windowed table has one writer agent (it closes and expires the windows); have the other agents emit to a topic that agent consumes, or give each its own table",
				t.Name, first.Name, w.Name)
		}
		for _, w := range t.Writers[1:] {
			if t.Join == nil && groupField(w) != groupField(first) { // a join's sides are checked alike (checkTableJoins)
				b.errorf(w.Method, inAgent(agentField.tables), agentTablesPath(app, w),
					"table %q is written by %s, whose records are keyed by %s, and by %s, whose records are keyed by %s: one table has one key; group both by the same field (group_by), or give each its own table",
					t.Name, first.Name, keyedBy(first), w.Name, keyedBy(w))
			}
			if w.Input.Partitions != first.Input.Partitions {
				b.errorf(w.Method, inAgent(agentField.tables), agentTablesPath(app, w),
					"table %q is written by %s, whose input %q has %d partitions, and by %s, whose input %q has %d: a table's writers must consume topics with the same partition count (co-partitioning), or one key's state would be split",
					t.Name, first.Name, first.Input.Name, first.Input.Partitions, w.Name, w.Input.Name, w.Input.Partitions)
			}
		}
	}
}

// checkPartitionTimers checks that each table of a timer that runs on
// each partition of its tables is written from the topic whose partitions
// it runs in (Timer.Topic): partition p of every table is then at hand
// when the tick for partition p runs.
func (b *builder) checkPartitionTimers(app *App) {
	for _, ag := range app.Agents {
		tm := ag.Timer
		if tm == nil || tm.Topic == nil {
			continue
		}
		for _, t := range ag.Tables {
			if t.Global || len(t.Writers) == 0 {
				continue
			}
			if !slices.ContainsFunc(t.Writers, func(w *Agent) bool { return w.Input == tm.Topic }) {
				b.errorf(ag.Method, inAgent(agentField.tables), agentTablesPath(app, ag),
					"%s runs on the partitions of topic %q (the input of %s, which writes its first table), and table %q is not written from that topic; a timer's tables are written from one topic: list it in an agent that consumes %q, or give the timer tables of one topic",
					ag.Name, tm.Topic.Name, timerWriter(ag).Name, t.Name, tm.Topic.Name)
			}
		}
	}
}

// checkTopicTableReaders checks that the agents that read table t, fed
// from topic t.Source, consume topics with its partition count: a key's
// records and its value then meet in one partition (both are placed by the
// key's murmur2 hash, and a reader's misplaced keys are caught at run
// time).
func (b *builder) checkTopicTableReaders(app *App, t *Table) {
	for _, r := range t.Writers {
		if r.Input.Partitions != t.Source.Partitions {
			b.errorf(r.Method, inAgent(agentField.tables), agentTablesPath(app, r),
				"table %q is fed from topic %q, which has %d partitions, and %s reads it for records of topic %q, which has %d: a key's records and its value must meet in one partition (co-partitioning); give both topics the same partition count",
				t.Name, t.Source.Name, t.Source.Partitions, r.Name, r.Input.Name, r.Input.Partitions)
		}
	}
}

// groupField is ag's group_by field name, "" without one.
func groupField(ag *Agent) string {
	if ag.GroupBy == nil {
		return ""
	}
	return string(ag.GroupBy.Name())
}

// keyedBy describes what ag keys its records by, for errors.
func keyedBy(ag *Agent) string {
	if ag.GroupBy != nil {
		return "group_by field " + string(ag.GroupBy.Name())
	}
	return "its topic's key (" + keyName(ag.Input) + ")"
}

// agentTablesPath is the element path of agent ag's tables option.
func agentTablesPath(app *App, ag *Agent) string {
	return "service " + string(app.Service.Name()) + " > rpc " + ag.Name + " > option agent.tables"
}

// checkInternalTopics checks, across apps, that every dead-letter and
// changelog topic is its owner's own: not a declared topic, and not used
// by another agent or table.
func (b *builder) checkInternalTopics() {
	owner := map[string]string{} // topic name -> who uses it, for errors
	for _, app := range b.model.Apps {
		for _, ag := range app.Agents {
			b.checkDeadLetter(app, ag, owner)
			owner[ag.DeadLetter.Name] = string(app.Service.FullName()) + "." + ag.Name
			if ag.Repartition != nil {
				b.checkRepartition(app, ag, owner)
				owner[ag.Repartition.Name] = string(app.Service.FullName()) + "." + ag.Name + "'s repartition"
			}
		}
		for _, t := range app.Tables {
			switch {
			case t.FromTopic:
				b.checkTableDeadLetter(app, t, owner)
				owner[t.DeadLetter.Name] = "table " + t.Name + "'s dead letters"
			case !t.Global:
				b.checkChangelog(app, t, owner)
				owner[t.Changelog.Name] = "table " + t.Name
			}
		}
		b.checkLeaderTopic(app, owner)
	}
}

// checkLeaderTopic checks that the leader topic of an app with timer or
// cron agents ("<app id>-leader") is neither a declared topic nor in
// owner, and is a valid topic name.
func (b *builder) checkLeaderTopic(app *App, owner map[string]string) {
	var timer *Agent
	for _, ag := range app.Agents {
		if ag.Timer != nil && ag.Timer.RunOn != streamgenv1.RunOn_RUN_ON_PARTITIONS {
			timer = ag
			break
		}
	}
	if timer == nil {
		return
	}
	at := inApp(appField.id)
	path := fmt.Sprintf("service %s > option app.id", app.Service.Name())
	name := runtime.LeaderTopicName(app.ID)
	if why := ValidTopicName(name); why != "" {
		b.errorf(app.Service, at, path, "leader topic %q (of the timer and cron agents) %s; shorten the app id", name, why)
	}
	if d := b.model.Topics[name]; d != nil {
		b.errorf(app.Service, at, path, "leader topic %q (of the timer and cron agents) is also the topic of %s; rename that topic", name, d.Message.FullName())
	}
	if prev, dup := owner[name]; dup {
		b.errorf(app.Service, at, path, "leader topic %q (of the timer and cron agents) is also used by %s", name, prev)
	}
	owner[name] = "app " + app.ID + "'s leader topic"
}

// checkDeadLetter checks that ag's dead-letter topic is neither a declared
// topic nor in owner.
func (b *builder) checkDeadLetter(app *App, ag *Agent, owner map[string]string) {
	at := inAgent(agentField.deadLetterTopic)
	path := "service " + string(app.Service.Name()) + " > rpc " + ag.Name + " > option agent.dead_letter_topic"
	name := ag.DeadLetter.Name
	if t := b.model.Topics[name]; t != nil {
		b.errorf(ag.Method, at, path,
			"dead-letter topic %q is also the topic of %s; dead letters are copies of any input record, so the topic must be the agent's own: choose another dead_letter_topic",
			name, t.Message.FullName())
	}
	if prev, dup := owner[name]; dup {
		b.errorf(ag.Method, at, path, "dead-letter topic %q is also used by %s; give each agent its own", name, prev)
	}
}

// checkRepartition checks that ag's repartition topic is neither a
// declared topic nor in owner: the agent consumes it as its own.
func (b *builder) checkRepartition(app *App, ag *Agent, owner map[string]string) {
	at := inAgent(agentField.repartitionTopic)
	path := "service " + string(app.Service.Name()) + " > rpc " + ag.Name + " > option agent.repartition_topic"
	name := ag.Repartition.Name
	if t := b.model.Topics[name]; t != nil {
		b.errorf(ag.Method, at, path, "repartition topic %q is also the topic of %s; the agent consumes it as its own: choose another repartition_topic",
			name, t.Message.FullName())
	}
	if prev, dup := owner[name]; dup {
		b.errorf(ag.Method, at, path, "repartition topic %q is also used by %s; give each agent its own", name, prev)
	}
}

// checkChangelog checks that table t's changelog topic is neither a
// declared topic nor in owner.
func (b *builder) checkChangelog(app *App, t *Table, owner map[string]string) {
	at := inApp(appField.tables, int32(t.optIndex), tableField.name)
	path := fmt.Sprintf("service %s > option app.tables[%d].name", app.Service.Name(), t.optIndex)
	name := t.Changelog.Name
	if d := b.model.Topics[name]; d != nil {
		b.errorf(app.Service, at, path,
			"changelog topic %q of table %q is also the topic of %s; rename the table or the topic", name, t.Name, d.Message.FullName())
	}
	if prev, dup := owner[name]; dup {
		b.errorf(app.Service, at, path, "changelog topic %q of table %q is also used by %s", name, t.Name, prev)
	}
}

// checkTableDeadLetter checks that the dead-letter topic of table t, fed
// from a topic, is neither a declared topic nor in owner.
func (b *builder) checkTableDeadLetter(app *App, t *Table, owner map[string]string) {
	at := inApp(appField.tables, int32(t.optIndex), tableField.name)
	path := fmt.Sprintf("service %s > option app.tables[%d].name", app.Service.Name(), t.optIndex)
	name := t.DeadLetter.Name
	if d := b.model.Topics[name]; d != nil {
		b.errorf(app.Service, at, path,
			"dead-letter topic %q of table %q is also the topic of %s; rename the table or the topic", name, t.Name, d.Message.FullName())
	}
	if prev, dup := owner[name]; dup {
		b.errorf(app.Service, at, path, "dead-letter topic %q of table %q is also used by %s; rename the table", name, t.Name, prev)
	}
}

// checkMergeName reports an agent whose method has the name the agents
// interface gives session table t's merge method (Merge<Table>).
func (b *builder) checkMergeName(app *App, t *Table) {
	b.checkMethodName(app, t, "Merge", "session table %q's merge method")
}

// checkMethodName reports an rpc whose Go name is the method the
// generated agents interface has for table t (prefix + its Go name).
func (b *builder) checkMethodName(app *App, t *Table, prefix, what string) {
	method := prefix + TableGoName(t.Name)
	for _, ag := range app.Agents {
		// protoc-gen-go camel-cases rpc names (merge_visits is
		// MergeVisits): compare without underscores and case.
		if strings.EqualFold(strings.ReplaceAll(ag.Name, "_", ""), method) {
			b.errorf(ag.Method, inAgent(), fmt.Sprintf("service %s > rpc %s", app.Service.Name(), ag.Name),
				"rpc %s has the name of "+what+" in the generated agents interface; rename the rpc", ag.Name, t.Name)
		}
	}
}
