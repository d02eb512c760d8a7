package worker_test

import (
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/state"
	"github.com/streamgen/streamgen/runtime/worker"
)

// flakyStores is a state.Builder (worker.WithStorage) whose stores refuse
// their first batch write: the first restore of each fails.
type flakyStores struct{ refused atomic.Int32 }

type flakyStore struct {
	state.Store
	b      *flakyStores
	failed bool
}

func (f *flakyStore) Write(batch []state.KV) error {
	if !f.failed {
		f.failed = true
		f.b.refused.Add(1)
		return errors.New("injected: the disk said no")
	}
	return f.Store.Write(batch)
}

func (b *flakyStores) build(dir string, log *slog.Logger) (state.Store, error) {
	st, err := state.BadgerBuilder(nil)(dir, log)
	if err != nil {
		return nil, err
	}
	return &flakyStore{Store: st, b: b}, nil
}

// attempts records failed restore attempts and finished restores.
type attempts struct {
	mu     sync.Mutex
	failed int
	done   int
	read   int64
}

func (a *attempts) OnRestore(p worker.RestoreProgress) {
	if p.Table != testapp.LedgerTalliesTableName {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case p.Err != nil:
		a.failed++
	case p.Done:
		a.done++
		a.read += p.Records
	}
}

func (a *attempts) get() (failed, done int, read int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.failed, a.done, a.read
}

// TestFailedRestoreIsTriedAgain: a restore that fails does not end the
// worker (before, any restore error did): it is reported to the restore
// hooks and tried again from the stores' checkpoints, and the counts come
// out exact. The failure is injected through worker.WithStorage.
func TestFailedRestoreIsTriedAgain(t *testing.T) {
	addr := startBroker(t)
	cl := client(t, addr)
	a := runLedger(t, addr, t.TempDir())
	recs, want := orders(t, 0, 400, 8)
	produce(t, cl, recs...)
	consume(t, addr, testapp.TallyTopicName, 400)
	a.stop(t)

	h := &attempts{}
	b := &flakyStores{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithHooks(h), worker.WithStorage(b.build))
	waitUntil(t, func() bool { _, done, _ := h.get(); return done >= 4 })
	failed, _, _ := h.get()
	if b.refused.Load() == 0 || failed == 0 {
		t.Fatalf("%d writes refused, %d failed attempts reported; want both above 0", b.refused.Load(), failed)
	}
	recs, more := orders(t, 400, 8, 8)
	add(want, more)
	produce(t, cl, recs...)
	got := latestTallies(t, addr, 408)
	for acct, n := range want {
		if got[acct] != n {
			t.Errorf("%s: count %d after a retried restore, want %d", acct, got[acct], n)
		}
	}
}
