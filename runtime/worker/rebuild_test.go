package worker_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/worker"
)

// rebuilds records, per tallies partition, the last restore's record
// count and why its store was rebuilt.
type rebuilds struct {
	mu      sync.Mutex
	records map[int32]int64
	why     map[int32]string
	done    int
}

func (r *rebuilds) OnRestore(p worker.RestoreProgress) {
	if !p.Done || p.Table != testapp.LedgerTalliesTableName {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records[p.Partition] = p.Records
	r.why[p.Partition] = p.Rebuilt
	r.done++
}

func (r *rebuilds) finished() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.done
}

// lastCounts reads n tallies and returns each account's last count (an
// account's tallies are in one partition, in the order they were made).
func lastCounts(t *testing.T, addr string, n int) map[string]int64 {
	t.Helper()
	got := map[string]int64{}
	for _, r := range consume(t, addr, testapp.TallyTopicName, n) {
		m, err := testapp.TallyTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		got[m.GetAccountId()] = m.GetCount()
	}
	return got
}

// TestStoreBeforeTheChangelogStartIsRebuilt is hardening fault 2: worker A
// counts 8 accounts to 10 and stops, worker B counts them on to 20 and
// stops, every record of the changelog is deleted (DeleteRecords); A
// restarts on its data directory. Its stores' checkpoints now lie before
// the changelog's start: they are discarded and rebuilt (from nothing), so
// one more order per account counts 1, as an empty data directory would;
// before the fix A restored nothing and answered 11.
func TestStoreBeforeTheChangelogStartIsRebuilt(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	dirA := t.TempDir()
	a := runLedger(t, addr, dirA)
	recs, _ := orders(t, 0, 80, 8)
	produce(t, cl, recs...)
	consume(t, addr, testapp.TallyTopicName, 80)
	a.stop(t)
	b := runLedger(t, addr, t.TempDir())
	recs, _ = orders(t, 80, 80, 8)
	produce(t, cl, recs...)
	consume(t, addr, testapp.TallyTopicName, 160)
	b.stop(t)

	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, testapp.LedgerTalliesChangelogTopicName)
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := adm.DeleteRecords(ctx, ends.Offsets())
	if err != nil || deleted.Error() != nil {
		t.Fatalf("DeleteRecords: %v, %v", err, deleted.Error())
	}

	h := &rebuilds{records: map[int32]int64{}, why: map[int32]string{}}
	runLedger(t, addr, dirA, h)
	waitUntil(t, func() bool { return h.finished() == 4 })
	for p, why := range h.why {
		if !strings.Contains(why, "outside the changelog's live range") {
			t.Errorf("partition %d: rebuilt %q, want a rebuild because its checkpoint lies before the changelog's start", p, why)
		}
	}
	recs, _ = orders(t, 160, 8, 8)
	produce(t, cl, recs...)
	for acct, n := range lastCounts(t, addr, 168) {
		if n != 1 {
			t.Errorf("%s: count %d after the changelog was emptied, want 1 (what the changelog says)", acct, n)
		}
	}
}

// TestStoreOfflineLongerThanTombstonesLastIsRebuilt: a store whose last
// sync is older than its changelog's delete.retention.ms (compaction may
// have dropped tombstones it never saw) is rebuilt from the whole
// changelog, and said so in the restore hook; the counts stay exact.
func TestStoreOfflineLongerThanTombstonesLastIsRebuilt(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	dirA := t.TempDir()
	a := runLedger(t, addr, dirA)
	recs, _ := orders(t, 0, 80, 8)
	produce(t, cl, recs...)
	consume(t, addr, testapp.TallyTopicName, 80)
	a.stop(t)
	// A's stores were last in sync two days ago (the default
	// delete.retention.ms is one day).
	for p := range 4 {
		st, err := state.OpenBadger(filepath.Join(dirA, testapp.LedgerTalliesTableName, strconv.Itoa(p)), testLogger(t), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMeta(state.SyncedAtMeta, time.Now().Add(-48*time.Hour).UnixMilli()); err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
	endBefore := changelogEnd(t, cl)
	h := &rebuilds{records: map[int32]int64{}, why: map[int32]string{}}
	runLedger(t, addr, dirA, h)
	waitUntil(t, func() bool { return h.finished() == 4 })
	var read int64
	for p, why := range h.why {
		read += h.records[p]
		if h.records[p] > 0 && !strings.Contains(why, "delete.retention.ms") {
			t.Errorf("partition %d: rebuilt %q, want a rebuild for being offline past delete.retention.ms", p, why)
		}
	}
	if read != endBefore {
		t.Errorf("the restart read %d changelog records, want all %d (a rebuild)", read, endBefore)
	}
	recs, _ = orders(t, 80, 8, 8)
	produce(t, cl, recs...)
	for acct, n := range lastCounts(t, addr, 88) {
		if n != 11 {
			t.Errorf("%s: count %d, want 11", acct, n)
		}
	}
}
