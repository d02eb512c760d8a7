package web

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/streamgen/streamgen/runtime/observe"
)

// status is what the probes need of the hooks' reports: each stream
// thread's heartbeat and state, and the restores in flight. Metrics.mu
// guards it.
type status struct {
	threads  map[int]*threadStatus
	restores map[restoreKey]*restore
	// maxThreads is the largest thread count reported (State.Threads, or
	// a thread number + 1).
	maxThreads int
}

// threadStatus is one stream thread's last reports.
type threadStatus struct {
	// heartbeat is the time of the last OnLag; zero before the first.
	heartbeat time.Time
	// joined, owned and restoring are the last State's.
	joined           bool
	owned, restoring []observe.Partition
	// lagged maps the partitions of the thread's lag reports to the
	// number (lagSeq) of the report that last named them.
	lagged map[observe.Partition]uint64
	lagSeq uint64
}

type restoreKey struct {
	table     string
	partition int32
}

// restore is a restore in flight: its last report, and the records of
// that report (to count the records of the next one).
type restore struct {
	progress    observe.RestoreProgress
	lastRecords int64
}

func (s *status) init() {
	s.threads = map[int]*threadStatus{}
	s.restores = map[restoreKey]*restore{}
}

// thread returns the status of thread n, creating it on first use.
func (s *status) thread(n int) *threadStatus {
	t := s.threads[n]
	if t == nil {
		t = &threadStatus{lagged: map[observe.Partition]uint64{}}
		s.threads[n] = t
		s.maxThreads = max(s.maxThreads, n+1)
	}
	return t
}

// setState records a thread's state, copying its slices (the caller may
// reuse them).
func (s *status) setState(st observe.State) {
	t := s.thread(st.Thread)
	t.joined = st.Joined
	t.owned = append(t.owned[:0], st.Owned...)
	t.restoring = append(t.restoring[:0], st.Restoring...)
	s.maxThreads = max(s.maxThreads, st.Threads)
}

// stuckThread is a thread whose poll loop has not reported for too long.
type stuckThread struct {
	thread int
	// silent is how long it has not reported; never is set when it has
	// not reported since the server started.
	silent time.Duration
	never  bool
}

// stuck returns the threads, of threads (or of those reported, if more),
// whose last heartbeat, or start when they have none, is more than bound
// before now.
func (s *status) stuck(now, start time.Time, bound time.Duration, threads int) []stuckThread {
	var out []stuckThread
	for n := range max(threads, s.maxThreads) {
		last, never := start, true
		if t := s.threads[n]; t != nil && !t.heartbeat.IsZero() {
			last, never = t.heartbeat, false
		}
		if d := now.Sub(last); d > bound {
			out = append(out, stuckThread{thread: n, silent: d, never: never})
		}
	}
	return out
}

// Readiness is the JSON body of /readyz.
type Readiness struct {
	// Ready is set when every stream thread joined the group and no
	// owned partition is restoring its tables.
	Ready bool `json:"ready"`
	// Threads is how many stream threads are expected (ServerConfig.Threads,
	// or as many as reported).
	Threads int `json:"threads"`
	// Partitions is how many input partitions the threads own.
	Partitions int `json:"partitions"`
	// Waiting says, in words, what readiness waits for; empty when ready.
	Waiting []string `json:"waiting,omitempty"`
	// NotJoined lists the threads that have not joined the group yet.
	NotJoined []int `json:"not_joined,omitempty"`
	// Restoring lists the owned input partitions ("topic/partition")
	// whose tables are being restored.
	Restoring []string `json:"restoring,omitempty"`
	// Restores is the progress of each table partition's restore in
	// flight (standby restores included), sorted by table and partition;
	// only when not ready.
	Restores []RestoreStatus `json:"restores,omitempty"`
}

// RestoreStatus is a table partition's restore progress, as /readyz
// shows it.
type RestoreStatus struct {
	// Table and Partition name the table partition (the changelog
	// partition).
	Table     string `json:"table"`
	Partition int32  `json:"partition"`
	// Records is how many changelog records were read so far, End the
	// changelog offset the restore reads up to, Remaining how many
	// offsets are left.
	Records   int64 `json:"records"`
	End       int64 `json:"end"`
	Remaining int64 `json:"remaining"`
	// Percent is how much of the range is read, 0 to 100.
	Percent float64 `json:"percent"`
	// Rate is in records per second since the restore started.
	Rate float64 `json:"rate"`
	// ElapsedSeconds is the time since the restore started.
	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// Attempt counts the failed attempts before the last report; Error is
	// the last failed attempt's error, if the last report was one.
	Attempt int    `json:"attempt"`
	Error   string `json:"error,omitempty"`
	// Rebuilt, when not empty, says why the store is rebuilt from the
	// whole changelog.
	Rebuilt string `json:"rebuilt,omitempty"`
}

// readiness returns the readiness of threads stream threads (0: as many
// as reported).
func (s *status) readiness(threads int) Readiness {
	if threads <= 0 {
		threads = s.maxThreads
	}
	r := Readiness{Threads: threads}
	if threads == 0 {
		r.Waiting = append(r.Waiting, "no stream thread has reported its state yet")
	}
	for n := range threads {
		if t := s.threads[n]; t == nil || !t.joined {
			r.NotJoined = append(r.NotJoined, n)
		}
	}
	if len(r.NotJoined) > 0 {
		r.Waiting = append(r.Waiting, plural(len(r.NotJoined), "stream thread has", "stream threads have")+" not joined the consumer group yet")
	}
	var restoring []observe.Partition
	for _, t := range s.threads {
		r.Partitions += len(t.owned)
		restoring = append(restoring, t.restoring...)
	}
	slices.SortFunc(restoring, func(a, b observe.Partition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	for _, p := range restoring {
		r.Restoring = append(r.Restoring, p.String())
	}
	if len(restoring) > 0 {
		r.Waiting = append(r.Waiting, plural(len(restoring), "partition waits for its tables to be restored", "partitions wait for their tables to be restored"))
	}
	r.Ready = len(r.Waiting) == 0
	if r.Ready {
		return r
	}
	for _, x := range s.restores {
		r.Restores = append(r.Restores, restoreStatus(x.progress))
	}
	slices.SortFunc(r.Restores, func(a, b RestoreStatus) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Partition, b.Partition))
	})
	return r
}

// plural returns "1 one" or "n many".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
