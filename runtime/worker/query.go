package worker

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/kafka"
	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/web"
)

// Table queries (web.Tables): reads of the stores this worker serves,
// and the owners of the other partitions. A store serves reads once its
// partition is restored and running, until it closes (lane.Table.Serve):
// during a rebalance or a restore a partition is served by no one and the
// routes answer "retry". Reads see what the store holds: at least once,
// writes flushed by the lanes (every 100 ms); exactly once, committed
// transactions.
//
// Owners are found from the group itself: each stream thread's consumer
// has the client id "<client id>-<thread>@<http base URL>" when the worker
// serves HTTP, and librdkafka's DescribeConsumerGroups gives every
// member's client id and assignment (librdkafka has no custom assignor in
// which to put the address, as Kafka Streams' application.server does).

// clientIDSep separates a consumer's client id from the HTTP base URL it
// advertises.
const clientIDSep = "@"

// MemberURL returns the HTTP base URL a group member's client id
// advertises ("<client id>-<thread>@<URL>", set when the worker serves
// HTTP), and whether it advertises one.
func MemberURL(clientID string) (string, bool) {
	i := strings.LastIndex(clientID, clientIDSep)
	if i < 0 {
		return "", false
	}
	return clientID[i+len(clientIDSep):], true
}

// groupCache holds the app's group, described at most once a second:
// table queries' owner lookups and the page's /api/group share it.
type groupCache struct {
	mu      sync.Mutex // guards members and at
	members []kafka.GroupMember
	at      time.Time
}

// describeGroup returns the app's group members and assignments, read
// at most once a second (outside the lock: concurrent misses may each
// describe it).
func (w *worker) describeGroup(ctx context.Context) ([]kafka.GroupMember, error) {
	c := &w.group
	c.mu.Lock()
	members, fresh := c.members, time.Since(c.at) <= time.Second
	c.mu.Unlock()
	if fresh {
		return members, nil
	}
	members, err := w.groups.Describe(ctx, w.app.ID())
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.members, c.at = members, time.Now()
	c.mu.Unlock()
	return members, nil
}

// tableQueries is the worker's web.Tables.
type tableQueries struct {
	w       *worker
	threads []*thread
	groups  *kafka.Groups // the worker's
}

func newTableQueries(w *worker, threads []*thread) *tableQueries {
	return &tableQueries{w: w, threads: threads, groups: w.groups}
}

// Table returns the app's table called name.
func (q *tableQueries) Table(name string) (*runtime.TableDesc, bool) {
	for _, ag := range q.w.app.Agents() {
		for _, td := range ag.Desc.Tables {
			if td.Name == name {
				return td, true
			}
		}
	}
	return nil, false
}

// read runs fn on the store of a table partition this worker serves: a
// global table's local copy, the owned partition's store, or, when
// standby is set, a standby's (then lag is its changelog lag).
func (q *tableQueries) read(td *runtime.TableDesc, partition int32, standby bool, fn func(state.Store) error) (source string, lag int64, err error) {
	if td.Global {
		g := q.w.globals.tables[td.Name]
		if g == nil || partition < 0 || int(partition) >= len(g.stores) {
			return "", 0, web.ErrNotHere
		}
		if ok, err := g.stores[partition].Read(fn); ok {
			return "global", 0, err
		}
		return "", 0, web.ErrNotHere
	}
	for _, t := range q.threads {
		if ts := t.stores.lookup(td.Name, partition); ts != nil {
			if ok, err := ts.Read(fn); ok {
				return "active", 0, err
			}
		}
	}
	if standby {
		for _, t := range q.threads {
			if t.standby == nil {
				continue
			}
			if ts := t.standby.lookup(td.Name, partition); ts != nil {
				if ok, err := ts.Read(fn); ok {
					return "standby", standbyLag(q.groups, ts), err
				}
			}
		}
	}
	return "", 0, web.ErrNotHere
}

// standbyLag is how many changelog records a standby store has not
// applied (one request to the partition's leader), -1 if unknown. Under
// exactly-once each transaction's commit marker takes an offset of the
// changelog, so a standby that is caught up may show 1.
func standbyLag(g *kafka.Groups, ts *lane.Table) int64 {
	hw, err := g.HighWatermark(kafka.TopicPartition{Topic: ts.Desc.Changelog.Name, Partition: ts.Partition}, 2*time.Second)
	if err != nil {
		return -1
	}
	return max(hw-ts.AckedNext.Load(), 0)
}

// Get reads key from the partition's store (web.Tables).
func (q *tableQueries) Get(td *runtime.TableDesc, partition int32, key []byte, standby bool) (web.TableValue, error) {
	var v web.TableValue
	source, lag, err := q.read(td, partition, standby, func(st state.Store) error {
		var err error
		v.Value, v.Found, err = st.Get(key)
		return err
	})
	v.Source, v.LagRecords = source, lag
	return v, err
}

// Scan reads a page of a partition's keys (web.Tables). A key-value
// table's store holds its keys only; a windowed table's holds window keys
// and markers, and is read per key with Windows (the routes refuse to
// scan it).
func (q *tableQueries) Scan(td *runtime.TableDesc, partition int32, prefix, after []byte, limit int, standby bool) ([]web.TableEntry, bool, error) {
	var out []web.TableEntry
	more := false
	start := prefix
	if after != nil && bytes.Compare(after, prefix) >= 0 {
		start = append(append([]byte{}, after...), 0) // the first key after it
	}
	_, _, err := q.read(td, partition, standby, func(st state.Store) error {
		return state.ScanFrom(st, start, func(k, v []byte) error {
			if !bytes.HasPrefix(k, prefix) {
				return state.ErrStop
			}
			if len(out) == limit {
				more = true
				return state.ErrStop
			}
			out = append(out, web.TableEntry{Key: k, Value: v})
			return nil
		})
	})
	return out, more, err
}

// Windows reads key's windows starting in [from, to) (web.Tables), at
// most web.MaxWindows+1 of them.
func (q *tableQueries) Windows(td *runtime.TableDesc, partition int32, key []byte, from, to time.Time, standby bool) ([]web.TableWindow, web.TableValue, error) {
	var out []web.TableWindow
	if td.Window.Session() {
		source, lag, err := q.read(td, partition, standby, func(st state.Store) error {
			var err error
			out, err = sessionsIn(st, key, from, to)
			return err
		})
		return out, web.TableValue{Source: source, LagRecords: lag}, err
	}
	begin, end := windows.Key(key, from), windows.Key(key, to)
	source, lag, err := q.read(td, partition, standby, func(st state.Store) error {
		return state.ScanFrom(st, begin, func(k, v []byte) error {
			if bytes.Compare(k, end) >= 0 {
				return state.ErrStop
			}
			wk, start, ok := windows.SplitKey(k)
			if ok && bytes.Equal(wk, key) && !start.Before(from) {
				out = append(out, web.TableWindow{Start: start, Value: v})
				if len(out) > web.MaxWindows {
					return state.ErrStop // too many: the route refuses the range
				}
			}
			return nil
		})
	})
	return out, web.TableValue{Source: source, LagRecords: lag}, err
}

// sessionsIn reads key's sessions that overlap [from, to) from a session
// table's store (its session list), oldest first, at most
// web.MaxWindows+1 of them.
func sessionsIn(st state.Store, key []byte, from, to time.Time) ([]web.TableWindow, error) {
	raw, _, err := st.Get(windows.SessionsKey(key))
	if err != nil {
		return nil, err
	}
	ss, err := windows.DecodeSessions(raw)
	if err != nil {
		return nil, err
	}
	var out []web.TableWindow
	for _, x := range ss {
		if !windows.Overlaps(x, from.UnixMilli(), to.UnixMilli()) {
			continue
		}
		out = append(out, web.TableWindow{Start: windows.Time(x.Start), End: windows.Time(x.End), Value: x.Value})
		if len(out) > web.MaxWindows {
			break
		}
	}
	return out, nil
}

// Owner returns the HTTP base URL of the worker owning partition of td:
// the group member assigned partition p of a topic whose agents write
// the table. The group's assignment is read at most once a second.
func (q *tableQueries) Owner(ctx context.Context, td *runtime.TableDesc, partition int32) (string, error) {
	var topics []string
	for _, ag := range q.w.app.Agents() {
		for _, t := range ag.Desc.Tables {
			if t == td && ag.Desc.Input != nil {
				topics = append(topics, ag.Desc.Input.Name)
			}
		}
	}
	owners, err := q.ownersNow(ctx)
	if err != nil {
		return "", err
	}
	for _, topic := range topics {
		if u := owners[kafka.TopicPartition{Topic: topic, Partition: partition}]; u != "" {
			if u == q.w.httpURL {
				return "", nil // this worker: not served yet (restoring), or just moved here
			}
			return u, nil
		}
	}
	return "", nil
}

// ownersNow returns the group's input partitions and their owners' HTTP
// base URLs.
func (q *tableQueries) ownersNow(ctx context.Context) (map[kafka.TopicPartition]string, error) {
	members, err := q.w.describeGroup(ctx)
	if err != nil {
		q.w.log.Warn("table query: describing the group to find a partition's owner failed", "error", err)
		return nil, err
	}
	owners := map[kafka.TopicPartition]string{}
	for _, m := range members {
		if u, ok := MemberURL(m.ClientID); ok {
			for _, tp := range m.Partitions {
				owners[tp] = u
			}
		}
	}
	return owners, nil
}
