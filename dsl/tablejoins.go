package dsl

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	streamgenv1 "github.com/streamgen/streamgen/gen/streamgen/v1"
)

// joinTable reads the app option's i-th table, a table-table join (its
// sides are resolved once every table is read: tableJoins). It returns nil
// when it is unusable.
func (b *builder) joinTable(app *App, i int, path string, spec *streamgenv1.Table, value protoreflect.MessageDescriptor, win *Window) *Table {
	sd := app.Service
	why, f := "", int32(0)
	switch {
	case spec.GetGlobal():
		why, f = "global", tableField.global
	case spec.GetFromTopic():
		why, f = "from_topic", tableField.fromTopic
	case win != nil:
		why, f = "window", tableField.window
	case spec.GetKey() != "":
		why, f = "key", tableField.key
	}
	if why != "" {
		b.errorf(sd, inApp(appField.tables, int32(i), f), path+"."+why,
			"table %q is a join of two tables, keyed like them and kept by their writers; remove %s", spec.GetName(), why)
		return nil
	}
	return &Table{Name: spec.GetName(), Value: value, DefaultJSON: spec.GetDefaultJson(),
		Changelog: &Topic{Name: ChangelogTopic(app.ID, spec.GetName()), Partitions: 1, ReplicationFactor: -1,
			Codec: streamgenv1.Codec_CODEC_UNSPECIFIED, Config: map[string]string{"cleanup.policy": "compact"}},
		joinSpec: spec.GetJoin(), optIndex: i}
}

// tableJoins resolves the sides of app's table-table joins: two other
// tables of the app, neither windowed, global nor a join. A join whose
// side has a mistake of its own is left out quietly.
func (b *builder) tableJoins(app *App) {
	var kept, indexes []*Table
	for _, t := range app.Tables {
		if t.joinSpec == nil || b.tableJoin(app, t) {
			kept = append(kept, t)
		} else {
			app.unusable[t.Name] = true
		}
		if t.Join != nil && t.Join.Index != nil {
			indexes = append(indexes, t.Join.Index)
		}
	}
	app.Tables = append(kept, indexes...)
}

// tableJoin resolves t's join; false means t is unusable.
func (b *builder) tableJoin(app *App, t *Table) (ok bool) {
	spec, sd := t.joinSpec, app.Service
	defer func() {
		if ok {
			return
		}
		for _, n := range []string{spec.GetLeft(), spec.GetRight()} {
			if s := app.table(n); s != nil {
				s.listed = true // used, by a join with a mistake of its own
			}
		}
	}()
	path := fmt.Sprintf("service %s > option app.tables[%d].join", sd.Name(), t.optIndex)
	at := func(f int32) optionAt { return inApp(appField.tables, int32(t.optIndex), tableField.join, f) }
	j := &TableJoin{Kind: spec.GetKind()}
	switch j.Kind {
	case streamgenv1.JoinKind_JOIN_KIND_UNSPECIFIED:
		j.Kind = streamgenv1.JoinKind_JOIN_KIND_INNER
	case streamgenv1.JoinKind_JOIN_KIND_INNER, streamgenv1.JoinKind_JOIN_KIND_LEFT, streamgenv1.JoinKind_JOIN_KIND_OUTER:
	default:
		b.errorf(sd, at(tableJoinField.kind), path+".kind", "unknown join kind %d; use JOIN_KIND_INNER, JOIN_KIND_LEFT or JOIN_KIND_OUTER", spec.GetKind())
		return false
	}
	side := func(name string, f int32, what string) (*Table, bool) {
		s := app.table(name)
		switch {
		case name == "":
			b.errorf(sd, at(f), path+"."+what, "table %q joins no %s table; name it (%s: \"...\")", t.Name, what, what)
		case app.unusable[name]:
			return nil, false // its mistake is reported
		case s == nil:
			b.errorf(sd, at(f), path+"."+what, "table %q is not declared; declare it in the app's tables", name)
		case s == t:
			b.errorf(sd, at(f), path+"."+what, "table %q joins itself; join two other tables", name)
		case s.Window != nil || s.Global || s.joinSpec != nil:
			kind := "a join"
			if s.Window != nil {
				kind = "windowed"
			} else if s.Global {
				kind = "global"
			}
			b.errorf(sd, at(f), path+"."+what, "table %q is %s; a join's sides are tables with one value per key, read in their partitions: not windowed, not global, not joins",
				name, kind)
		default:
			return s, true
		}
		return nil, false
	}
	l, okL := side(spec.GetLeft(), tableJoinField.left, "left")
	r, okR := side(spec.GetRight(), tableJoinField.right, "right")
	if !okL || !okR {
		return false
	}
	if l == r {
		b.errorf(sd, at(tableJoinField.right), path+".right", "table %q is both sides of the join; join two tables", r.Name)
		return false
	}
	j.Left, j.Right = l, r
	if fk := spec.GetForeignKey(); fk != "" {
		if !b.foreignKey(app, t, j, fk, at(tableJoinField.foreignKey), path+".foreign_key") {
			return false
		}
	}
	t.Join = j
	return true
}

// foreignKey reads a foreign-key join's field (of the left value) and
// derives its internal topics and its table of subscriptions (partitioned
// once the sides' partitions are known: partitionInternalTopics).
func (b *builder) foreignKey(app *App, t *Table, j *TableJoin, name string, at optionAt, path string) bool {
	sd := app.Service
	fd := j.Left.Value.Fields().ByName(protoreflect.Name(name))
	switch {
	case j.Kind == streamgenv1.JoinKind_JOIN_KIND_OUTER:
		b.errorf(sd, at, path, "a foreign-key join is inner or left: a right value names no left key; use JOIN_KIND_INNER or JOIN_KIND_LEFT")
		return false
	case fd == nil:
		b.errorf(sd, at, path, "foreign_key %q is not a field of %s (table %q's value); name one of its fields (%s)", name, j.Left.Value.FullName(), j.Left.Name, fieldNames(j.Left.Value))
		return false
	case fd.IsList() || fd.IsMap():
		b.errorf(sd, at, path, "foreign_key %q is repeated or a map; a key is a single string, bytes, integer or bool field", name)
		return false
	case !keyKind(fd.Kind()):
		b.errorf(sd, at, path, "foreign_key %q is a %s field; a key is a single string, bytes, integer or bool field", name, fd.Kind())
		return false
	case j.Right.FromTopic && j.Right.Source.Key != nil && j.Right.Source.Key.Kind() != fd.Kind():
		rk := j.Right.Source.Key
		b.errorf(sd, at, path, "foreign_key %q is a %s field and table %q is keyed by %s (%s): keys of two kinds are encoded apart and never meet; name a field of the same kind",
			name, fd.Kind(), j.Right.Name, rk.Name(), rk.Kind())
		return false
	}
	topic := func(suffix string, m proto.Message) *Topic {
		return &Topic{Name: app.ID + "-" + t.Name + "-fk-" + suffix, Partitions: 1, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_PROTO,
			Message: m.ProtoReflect().Descriptor(), Config: map[string]string{"cleanup.policy": "delete"}}
	}
	j.ForeignKey = fd
	j.Subscriptions = topic("subscriptions", &streamgenv1.FKSubscription{})
	j.Responses = topic("responses", &streamgenv1.FKResponse{})
	name = t.Name + "-fk-index"
	j.Index = &Table{Name: name, Value: (&streamgenv1.FKIndexEntry{}).ProtoReflect().Descriptor(), Internal: true,
		Changelog: &Topic{Name: ChangelogTopic(app.ID, name), Partitions: 1, ReplicationFactor: -1, Codec: streamgenv1.Codec_CODEC_UNSPECIFIED,
			Config: map[string]string{"cleanup.policy": "compact"}},
		optIndex: -1, listed: true}
	for _, x := range []string{j.Subscriptions.Name, j.Responses.Name, j.Index.Changelog.Name} {
		if why := ValidTopicName(x); why != "" {
			b.errorf(sd, at, path, "internal topic %q %s; shorten the app id or the table's name", x, why)
			return false
		}
	}
	if app.table(name) != nil {
		b.errorf(sd, at, path, "table %q of the app is the name of join %q's table of subscriptions; rename the table", name, t.Name)
		return false
	}
	return true // tableJoins adds the index to the app's tables
}

// keepJoins makes the agents that write a side of a table-table join keep
// the join: they get it and its other side in their JoinTables, and count
// among the join's writers (its changelog is partitioned like their
// inputs, checked alike). A side fed from a topic is kept by its feeder,
// which the runtime adds.
func keepJoins(app *App) {
	for _, t := range app.Tables {
		if t.Join == nil {
			continue
		}
		if t.Join.ForeignKey != nil {
			keepForeignKeyJoin(t)
			continue
		}
		for _, sides := range [][2]*Table{{t.Join.Left, t.Join.Right}, {t.Join.Right, t.Join.Left}} {
			s, other := sides[0], sides[1]
			if s.FromTopic {
				continue
			}
			// The ticks that write s by key (RUN_ON_PARTITIONS) keep it
			// too; they run in the writers' partitions.
			for _, w := range slices.Concat(s.Writers, s.Timers) {
				for _, x := range []*Table{t, other} {
					if !slices.Contains(w.Tables, x) && !slices.Contains(w.JoinTables, x) {
						w.JoinTables = append(w.JoinTables, x)
					}
				}
				if w.Timer == nil && !slices.Contains(t.Writers, w) {
					t.Writers = append(t.Writers, w)
				}
			}
		}
	}
}

// keepForeignKeyJoin makes the writers of a foreign-key join's sides keep
// it: left's list the join (they subscribe and delete), right's the table
// of subscriptions (they answer the subscribers). The feeders of sides
// fed from topics, and the join's own two agents, are the runtime's.
func keepForeignKeyJoin(t *Table) {
	j := t.Join
	add := func(s, x *Table) {
		if s.FromTopic {
			return
		}
		for _, w := range slices.Concat(s.Writers, s.Timers) {
			if !slices.Contains(w.Tables, x) && !slices.Contains(w.JoinTables, x) {
				w.JoinTables = append(w.JoinTables, x)
			}
			if w.Timer == nil && !slices.Contains(x.Writers, w) {
				x.Writers = append(x.Writers, w)
			}
		}
	}
	add(j.Left, t)
	add(j.Right, j.Index)
}

// joined reports whether t is a table-table join or one of its sides:
// used, even when no agent lists it.
func joined(app *App, t *Table) bool {
	if t.Join != nil || t.Internal {
		return true
	}
	for _, o := range app.Tables {
		if o.Join != nil && (o.Join.Left == t || o.Join.Right == t) {
			return true
		}
	}
	return false
}

// partitionsOf returns the topic a side of a join is partitioned like:
// its source, or its changelog; nil when that is not known (a table no
// agent writes).
func partitionsOf(t *Table) *Topic {
	switch {
	case t.FromTopic:
		return t.Source
	case len(t.Writers) > 0:
		return t.Changelog
	}
	return nil
}

// checkTableJoins checks each table-table join: each side is written by
// something (a topic it is fed from, an agent), its sides are
// partitioned alike, so a key's values of both meet in one partition, and
// so are the inputs of the agents that read it; no rpc takes the name of
// its Join method.
func (b *builder) checkTableJoins(app *App) {
	for _, t := range app.Tables {
		if t.Join == nil {
			continue
		}
		b.checkMethodName(app, t, "Join", "table-table join %q's method")
		at := func(f int32, what string) (optionAt, string) {
			return inApp(appField.tables, int32(t.optIndex), tableField.join, f),
				fmt.Sprintf("service %s > option app.tables[%d].join.%s", app.Service.Name(), t.optIndex, what)
		}
		l, r := partitionsOf(t.Join.Left), partitionsOf(t.Join.Right)
		for i, s := range []*Table{t.Join.Left, t.Join.Right} {
			if partitionsOf(s) == nil && !s.listed {
				pos, path := at(tableJoinField.left, "left")
				if i == 1 {
					pos, path = at(tableJoinField.right, "right")
				}
				b.errorf(app.Service, pos, path, "table %q joins table %q, which nothing writes; list it in an agent that writes it, or feed it from a topic (from_topic)",
					t.Name, s.Name)
			}
		}
		if t.Join.ForeignKey != nil {
			r = nil // a foreign key's right may be partitioned apart: readers go by left
		}
		if l != nil && r != nil && l.Partitions != r.Partitions {
			pos, path := at(tableJoinField.right, "right")
			b.errorf(app.Service, pos, path,
				"table %q has %d partitions and table %q %d: a key's values of both must meet in one partition; give their topics the same partition count",
				t.Join.Right.Name, r.Partitions, t.Join.Left.Name, l.Partitions)
			continue
		}
		sides := l
		if sides == nil {
			sides = r
		}
		for _, w := range t.Writers {
			if sides != nil && w.Input != nil && w.Input.Partitions != sides.Partitions {
				b.errorf(w.Method, inAgent(agentField.tables), agentTablesPath(app, w),
					"table %q joins tables of %d partitions and topic %q has %d: the agent would look for a key's value in another partition; give the topic %d partitions",
					t.Name, sides.Partitions, w.Input.Name, w.Input.Partitions, sides.Partitions)
			}
		}
	}
}
