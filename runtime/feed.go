package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Tables fed from a topic (TableDesc.FromTopic).
//
// Such a table has an agent of its own, added by App.Register: it consumes
// the topic the table is fed from, in the app's consumer group, and makes
// each record the value of its key in partition p of the table (a
// tombstone deletes the key), so the table's partitions move with the
// topic's. Its writes go to the store and to no changelog: the topic is
// the table's changelog, and the store's checkpoint is an offset of it.

// FeederName is the name of the agent that feeds table: "feed-<table>"
// (no rpc can be named so, so it never meets an agent of the schema).
func FeederName(table string) string { return "feed-" + table }

// feeder returns the agent that feeds table td of app, fed from a topic:
// it keeps the table-table joins td is a side of, so it lists them and
// their other sides after td.
func feeder(app *AppDesc, td *TableDesc) *AgentDesc {
	tables := []*TableDesc{td}
	for _, t := range app.Tables {
		j := t.Join
		switch {
		case j == nil:
		case j.ForeignKey != nil && j.Left == td:
			tables = appendNew(tables, t) // it subscribes, and deletes
		case j.ForeignKey != nil && j.Right == td:
			tables = appendNew(tables, j.Index) // it answers the subscribers
		case j.Left == td:
			tables = appendNew(tables, t, j.Right)
		case j.Right == td:
			tables = appendNew(tables, t, j.Left)
		}
	}
	return &AgentDesc{Name: FeederName(td.Name), Input: td.Source, Concurrency: 1, OnError: OnErrorDeadLetter,
		DeadLetter: td.DeadLetter, Tables: tables, Feeds: td}
}

// appendNew appends each of ts that tables does not hold yet.
func appendNew(tables []*TableDesc, ts ...*TableDesc) []*TableDesc {
	for _, t := range ts {
		if !slices.Contains(tables, t) {
			tables = append(tables, t)
		}
	}
	return tables
}

// errNoKey is a fed record's error when it has no key.
var errNoKey = errors.New("a record without a key has no place in a table; give the topic's records keys")

// feed turns a record of a table's topic into the table's write: its
// value, as stored (TableDesc.StoreValue), for its key; a tombstone
// deletes the key. A record without a key, in a partition its key does
// not belong to, or whose value is not the table's value type, fails (its
// dead letter goes to the table's dead-letter topic).
func (p *Processor) feed(rec *Record) (Result, error) {
	ag, out, td := p.ag, &p.em, p.ag.Desc.Feeds
	out.reset(ag.Desc, rec)
	if rec.Key == nil {
		return Result{}, ag.fail(rec, errNoKey)
	}
	if want := Partition(rec.Key, td.Source.Partitions); want != rec.Partition && td.Source.Partitions > 0 {
		// Readers look the key up in partition p (its murmur2 hash, as
		// the Java client and franz-go place keys): stored here, it would
		// never be found.
		return Result{}, ag.fail(rec, fmt.Errorf("table %q: key %q belongs to partition %d of topic %q, not %d: produce the topic's records with the murmur2 partitioner (librdkafka: partitioner=murmur2_random)",
			td.Name, rec.Key, want, td.Source.Name, rec.Partition))
	}
	w := TableWrite{Table: 0, Key: rec.Key}
	if rec.Value != nil {
		v, err := td.StoreValue(rec.Value)
		if err != nil {
			return Result{}, ag.fail(rec, err)
		}
		w.Value = v
	}
	out.writes = append(out.writes, w)
	// The table mirrors its topic whatever its joins make of the value (a
	// restore reads the topic, not the joins): a join whose value of the
	// key cannot be computed loses it, and the failure is reported.
	out.joinErr = p.keepJoins(context.WithValue(context.Background(), recordKey{}, rec))
	// No event time: the table's records do not move the stream time
	// that the partitions it shares stores with close their windows by.
	return out.result(), nil
}
