package streamtest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// store returns a table partition's store, in memory, opened at first use
// (with one shared cache when several agents write the table, as the
// worker opens it).
func (d *Driver) store(td *runtime.TableDesc, partition int32) *lane.Table {
	k := storeKey{td.Name, partition}
	ts := d.stores[k]
	if ts == nil {
		ts = &lane.Table{Desc: td, Partition: partition, Store: state.NewMemory()}
		if d.writers[td.Name] > 1 {
			ts.Shared = lane.NewCache(true)
		}
		d.stores[k] = ts
	}
	return ts
}

// agentTables returns an agent's tables in partition, in the agent's
// order.
func (d *Driver) agentTables(ag *runtime.Agent, partition int32) []*lane.Table {
	var out []*lane.Table
	for _, td := range ag.Desc.Tables {
		if td.Global {
			out = append(out, &lane.Table{Desc: td, Global: globalReader{d: d, td: td}})
			continue
		}
		out = append(out, d.store(td, partition))
	}
	return out
}

// globalReader reads a global table from the store of the key's
// partition.
type globalReader struct {
	d  *Driver
	td *runtime.TableDesc
}

func (g globalReader) Get(key []byte) ([]byte, bool, error) {
	return g.d.store(g.td, runtime.Partition(key, g.td.Source.Partitions)).Store.Get(key)
}

// feedGlobals writes a record of a global table's source topic into the
// table.
func (d *Driver) feedGlobals(in *runtime.Record) error {
	for _, t := range d.tables {
		if t.Global && t.Source.Name == in.Topic {
			kv := state.KV{Key: in.Key, Value: in.Value, Delete: in.Value == nil}
			if in.Value != nil {
				if v, err := t.StoreValue(in.Value); err == nil {
					kv.Value = v
				} // else kept as it is, as the worker's follower does: its readers fail on it
			}
			if err := d.store(t, in.Partition).Store.Write([]state.KV{kv}); err != nil {
				return err
			}
		}
	}
	return nil
}

// TableValue returns the value of key in table, as the worker would store
// it (the partition is the key's murmur2 partition among the table's
// changelog partitions), and whether the key has a value.
func TableValue[T proto.Message](d *Driver, table, key string) (T, bool, error) {
	var zero T
	t := d.tables[table]
	if t == nil {
		return zero, false, fmt.Errorf("streamtest: the app has no table %q", table)
	}
	n := int32(1)
	if t.Global {
		n = t.Source.Partitions
	} else {
		n = t.Changelog.Partitions
	}
	pk := []byte(key)
	if t.Window != nil {
		pk, _, _ = runtime.SplitWindowKey(pk)
	}
	raw, ok, err := d.store(t, runtime.Partition(pk, n)).Store.Get([]byte(key))
	if err != nil || !ok {
		return zero, ok, err
	}
	v, err := decodeAs[T](t, raw)
	return v, err == nil, err
}

// decodeAs decodes a value of table t as a T.
func decodeAs[T proto.Message](t *runtime.TableDesc, raw []byte) (T, error) {
	var zero T
	m := t.New()
	if err := proto.Unmarshal(raw, m); err != nil {
		return zero, err
	}
	v, isT := m.(T)
	if !isT {
		return zero, fmt.Errorf("streamtest: table %q holds %T, not %T", t.Name, m, zero)
	}
	return v, nil
}

// WindowValue returns the value of key's window of windowed table that
// starts at start (of a session table: key's session that begins at
// start, its first event), and whether it exists (not expired).
func WindowValue[T proto.Message](d *Driver, table, key string, start time.Time) (T, bool, error) {
	if t := d.tables[table]; t != nil && t.Window.Session() {
		return sessionValue[T](d, t, key, start)
	}
	return TableValue[T](d, table, string(runtime.WindowKey([]byte(key), start)))
}

// sessionValue returns key's session of session table t that begins at
// start, from the key's session list.
func sessionValue[T proto.Message](d *Driver, t *runtime.TableDesc, key string, start time.Time) (T, bool, error) {
	var zero T
	raw, ok, err := d.store(t, runtime.Partition([]byte(key), t.Changelog.Partitions)).Store.Get(windows.SessionsKey([]byte(key)))
	if err != nil || !ok {
		return zero, false, err
	}
	ss, err := windows.DecodeSessions(raw)
	if err != nil {
		return zero, false, err
	}
	x, ok := windows.StartingAt(ss, start.UnixMilli())
	if !ok {
		return zero, false, nil
	}
	v, err := decodeAs[T](t, x.Value)
	return v, err == nil, err
}
