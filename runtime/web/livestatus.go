package web

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/observe"
)

// Status is the JSON body of GET /status: what this worker runs right
// now, from its hooks' reports. The page reads every member's.
type Status struct {
	// App is the app id; URL this worker's HTTP base URL.
	App string `json:"app"`
	URL string `json:"url"`
	// Time is when the status was taken.
	Time time.Time `json:"time"`
	// Ready and Waiting are /readyz's.
	Ready   bool     `json:"ready"`
	Waiting []string `json:"waiting,omitempty"`
	// Threads are the stream threads, by number.
	Threads []ThreadStatus `json:"threads"`
	// Agents are the agents' counters and rates on this worker, by name.
	Agents []AgentStatus `json:"agents"`
	// Partitions are the input partitions the threads own, by topic and
	// partition.
	Partitions []PartitionStatus `json:"partitions"`
	// Stores are the table partitions' stores the threads hold, active
	// and standby, by table, partition and replica (reported every ~10 s).
	Stores []StoreStatus `json:"stores"`
	// Restores are the table restores in flight, standby restores
	// included.
	Restores []RestoreStatus `json:"restores"`
	// Commits is the commit history of the last minutes.
	Commits CommitHistory `json:"commits"`
	// DeadLetters are the last dead letters of each agent, newest first.
	DeadLetters []DeadLetterStatus `json:"dead_letters"`
}

// ThreadStatus is a stream thread as /status shows it.
type ThreadStatus struct {
	// Thread is the thread's number, from 0.
	Thread int `json:"thread"`
	// Joined is set once the thread has its assignment from the group.
	Joined bool `json:"joined"`
	// Owned and Restoring count its input partitions, and those of them
	// whose tables are being restored.
	Owned     int `json:"owned"`
	Restoring int `json:"restoring"`
}

// AgentStatus is an agent's work on this worker.
type AgentStatus struct {
	// Agent names the agent as "app-id/Agent".
	Agent string `json:"agent"`
	// Processed counts the input records it handled (every outcome),
	// Emitted the records it emitted, DeadLetters the records it sent to
	// its dead-letter topic, since the worker started.
	Processed   int64 `json:"processed"`
	Emitted     int64 `json:"emitted"`
	DeadLetters int64 `json:"dead_letters"`
	// InPerSec and OutPerSec are the input and output records per second
	// over the last seconds; null on the first request (the counters are
	// sampled when /status is read).
	InPerSec  *float64 `json:"in_per_sec"`
	OutPerSec *float64 `json:"out_per_sec"`
}

// PartitionStatus is an owned input partition.
type PartitionStatus struct {
	// Topic and Partition name the partition.
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Thread is the stream thread owning it.
	Thread int `json:"thread"`
	// Restoring is set while its tables are restored (it processes
	// nothing yet).
	Restoring bool `json:"restoring"`
	// Position is the offset of the next record to process, HighWatermark
	// the offset after the partition's last record, Lag the records
	// between them; each -1 when not known (restoring, or not reported
	// in the last seconds).
	Position      int64 `json:"position"`
	HighWatermark int64 `json:"high_watermark"`
	Lag           int64 `json:"lag"`
	// PerSec is the records processed per second over the last seconds;
	// null when not known.
	PerSec *float64 `json:"per_sec"`
}

// StoreStatus is a table partition's store on this worker.
type StoreStatus struct {
	// Table and Partition name the table partition; Thread is the stream
	// thread holding its store.
	Table     string `json:"table"`
	Partition int32  `json:"partition"`
	Thread    int    `json:"thread"`
	// Standby is set for a standby replica.
	Standby bool `json:"standby"`
	// Keys estimates its keys (-1 unknown); LagRecords is, for a standby,
	// the changelog records it has not applied (-1 unknown).
	Keys       int64 `json:"keys"`
	LagRecords int64 `json:"lag_records"`
}

// CommitHistory is the commits of the last minutes in time buckets,
// oldest first, empty buckets included.
type CommitHistory struct {
	// BucketSeconds is the width of a bucket (10 s; 30 buckets).
	BucketSeconds int            `json:"bucket_seconds"`
	Buckets       []CommitBucket `json:"buckets"`
}

// CommitBucket sums the commits that ended in [Start, Start+BucketSeconds).
type CommitBucket struct {
	// Start is the bucket's start.
	Start time.Time `json:"start"`
	// Commits counts the commits, failed ones included; Errors the failed
	// ones; Aborts the exactly-once transactions aborted.
	Commits int `json:"commits"`
	Errors  int `json:"errors"`
	Aborts  int `json:"aborts"`
	// AvgMillis and MaxMillis are the commits' mean and longest time.
	AvgMillis float64 `json:"avg_ms"`
	MaxMillis float64 `json:"max_ms"`
}

// DeadLetterStatus is one of an agent's last dead letters.
type DeadLetterStatus struct {
	// Agent names the agent ("app-id/Agent"); Topic is its dead-letter
	// topic.
	Agent string `json:"agent"`
	Topic string `json:"topic"`
	// SourceTopic, SourcePartition and SourceOffset locate the failed
	// record.
	SourceTopic     string    `json:"source_topic"`
	SourcePartition int32     `json:"source_partition"`
	SourceOffset    int64     `json:"source_offset"`
	Timestamp       time.Time `json:"timestamp"`
	// Key and Value are the failed record's, as text: KeyFormat and
	// ValueFormat say how they were rendered: "protojson" (decoded with
	// the source topic's message type), "json" (the bytes are JSON),
	// "text" (mostly printable: Go-escaped), "hex".
	Key         string `json:"key"`
	KeyFormat   string `json:"key_format"`
	Value       string `json:"value"`
	ValueFormat string `json:"value_format"`
	// Error says why it failed; Reason classifies it (observe's Reason
	// constants).
	Error  string `json:"error"`
	Reason string `json:"reason"`
}

// workerStatus takes this worker's Status.
func (s *Server) workerStatus(app *runtime.App, url string) Status {
	m := s.cfg.Metrics
	now := m.now()
	// Empty lists are [] in the JSON, never null.
	st := Status{URL: url, Time: now, Threads: []ThreadStatus{}, Partitions: []PartitionStatus{}, Stores: []StoreStatus{},
		Restores: []RestoreStatus{}, DeadLetters: []DeadLetterStatus{}}
	if app != nil {
		st.App = app.ID()
	}
	st.Agents = m.agentRates(now)

	m.mu.Lock()
	r := m.status.readiness(s.cfg.Threads)
	st.Ready, st.Waiting = r.Ready, r.Waiting
	type owner struct {
		thread    int
		restoring bool
	}
	owned := map[observe.Partition]owner{}
	for n, t := range m.status.threads {
		ts := ThreadStatus{Thread: n, Joined: t.joined, Owned: len(t.owned), Restoring: len(t.restoring)}
		st.Threads = append(st.Threads, ts)
		for _, p := range t.owned {
			owned[p] = owner{thread: n}
		}
		for _, p := range t.restoring {
			owned[p] = owner{thread: n, restoring: true}
		}
	}
	for _, x := range m.status.restores {
		st.Restores = append(st.Restores, restoreStatus(x.progress))
	}
	m.mu.Unlock()

	l := m.live
	l.mu.Lock()
	for p, o := range owned {
		ps := PartitionStatus{Topic: p.Topic, Partition: p.Partition, Thread: o.thread, Restoring: o.restoring,
			Position: -1, HighWatermark: -1, Lag: -1}
		// A report older than a few seconds is from before the partition
		// last moved: not shown.
		if t := l.lags[p]; t != nil && !o.restoring && now.Sub(t.at) <= 5*time.Second {
			ps.Position, ps.HighWatermark = t.last.Position, t.last.HighWatermark
			if t.last.HighWatermark >= 0 && t.last.Position >= 0 {
				ps.Lag = t.last.Records()
			}
			if r, ok := t.rate(); ok {
				ps.PerSec = &r
			}
		}
		st.Partitions = append(st.Partitions, ps)
	}
	for thread, ts := range l.tables {
		for _, x := range ts {
			st.Stores = append(st.Stores, StoreStatus{Table: x.Table, Partition: x.Partition, Thread: thread,
				Standby: x.Standby, Keys: x.Keys, LagRecords: x.LagRecords})
		}
	}
	var dead []observe.DeadLetter
	for _, r := range l.dead {
		dead = append(dead, r.last...)
	}
	l.mu.Unlock()
	st.Commits = l.commitHistory(now)

	slices.SortFunc(st.Threads, func(a, b ThreadStatus) int { return cmp.Compare(a.Thread, b.Thread) })
	slices.SortFunc(st.Partitions, func(a, b PartitionStatus) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	slices.SortFunc(st.Stores, func(a, b StoreStatus) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Partition, b.Partition), boolCompare(a.Standby, b.Standby))
	})
	slices.SortFunc(st.Restores, func(a, b RestoreStatus) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Partition, b.Partition))
	})
	slices.SortFunc(dead, func(a, b observe.DeadLetter) int {
		return cmp.Or(cmp.Compare(a.Agent, b.Agent), b.Timestamp.Compare(a.Timestamp), cmp.Compare(b.Offset, a.Offset))
	})
	topics := map[string]*runtime.TopicDesc{}
	if app != nil {
		for _, t := range app.Topics() {
			topics[t.Name] = t
		}
	}
	for _, d := range dead {
		st.DeadLetters = append(st.DeadLetters, deadLetterStatus(d, topics[d.Source.Topic]))
	}
	return st
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// restoreStatus renders a restore's progress.
func restoreStatus(p observe.RestoreProgress) RestoreStatus {
	rs := RestoreStatus{
		Table: p.Table, Partition: p.Partition, Records: p.Records, End: p.End, Remaining: p.Remaining(),
		Percent: p.Percent(), Rate: p.Rate(), ElapsedSeconds: p.Elapsed.Seconds(), Attempt: p.Attempt, Rebuilt: p.Rebuilt,
	}
	if p.Err != nil {
		rs.Error = p.Err.Error()
	}
	return rs
}

// deadLetterStatus renders a dead letter, its value decoded with the
// source topic's codec where it can be.
func deadLetterStatus(d observe.DeadLetter, src *runtime.TopicDesc) DeadLetterStatus {
	out := DeadLetterStatus{Agent: d.Agent, Topic: d.Topic, SourceTopic: d.Source.Topic, SourcePartition: d.Source.Partition,
		SourceOffset: d.Offset, Timestamp: d.Timestamp, Error: d.Error, Reason: d.Reason}
	out.Key, out.KeyFormat = renderBytes(d.Key)
	out.Value, out.ValueFormat = renderBytes(d.Value)
	if src != nil && src.New != nil {
		if m, err := src.Decode(d.Value); err == nil {
			if b, err := protojson.Marshal(m); err == nil {
				out.Value, out.ValueFormat = string(b), "protojson"
			}
		}
	}
	return out
}

// renderBytes renders bytes that are not a known message: JSON as it is,
// mostly printable text Go-escaped, anything else as hex.
func renderBytes(b []byte) (text, format string) {
	if len(b) > 0 && json.Valid(b) {
		return string(b), "json"
	}
	// Text when at least three quarters of it is printable (invalid
	// UTF-8 bytes are not): strconv.Quote escapes the rest.
	printable, n := 0, 0
	for _, r := range string(b) {
		n++
		if r != utf8.RuneError && (unicode.IsPrint(r) || r == '\n' || r == '\t') {
			printable++
		}
	}
	if printable*4 >= n*3 {
		q := strconv.Quote(string(b))
		return q[1 : len(q)-1], "text"
	}
	return hex.EncodeToString(b), "hex"
}
