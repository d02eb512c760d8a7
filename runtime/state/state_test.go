package state_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime/state"
)

func exercise(t *testing.T, s state.Store) {
	t.Helper()
	if _, ok, err := s.Checkpoint(); ok || err != nil {
		t.Fatalf("new store has a checkpoint (%v, %v)", ok, err)
	}
	var batch []state.KV
	for i := 0; i < 1000; i++ {
		batch = append(batch, state.KV{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))})
	}
	batch = append(batch, state.KV{Key: []byte("k7"), Delete: true})
	if err := s.Write(batch); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Get([]byte("k42")); err != nil || !ok || string(v) != "v42" {
		t.Errorf("Get(k42) = %q, %v, %v", v, ok, err)
	}
	if _, ok, _ := s.Get([]byte("k7")); ok {
		t.Error("deleted key k7 still present")
	}
	if _, ok, _ := s.Get([]byte("nope")); ok {
		t.Error("missing key reported present")
	}
	if err := s.SetCheckpoint(1234); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := s.Checkpoint(); n != 1234 || !ok || err != nil {
		t.Errorf("Checkpoint = %d, %v, %v", n, ok, err)
	}
	if _, ok, _ := s.Meta("stream-time"); ok {
		t.Error("unset meta reported set")
	}
	if err := s.SetMeta("stream-time", 99); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.Meta("stream-time"); v != 99 || !ok || err != nil {
		t.Errorf("Meta = %d, %v, %v", v, ok, err)
	}
}

func TestBadgerStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := state.OpenBadger(dir, slog.Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s)
	big := make([]byte, 100<<10) // above the value threshold: in the value log
	if err := s.Write([]state.KV{{Key: []byte("big"), Value: big}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = state.OpenBadger(dir, slog.Default(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, err := s.Get([]byte("k999")); err != nil || !ok || string(v) != "v999" {
		t.Errorf("after reopen Get(k999) = %q, %v, %v", v, ok, err)
	}
	if v, ok, _ := s.Get([]byte("big")); !ok || len(v) != len(big) {
		t.Errorf("after reopen the large value has %d bytes", len(v))
	}
	if n, ok, _ := s.Checkpoint(); n != 1234 || !ok {
		t.Errorf("after reopen Checkpoint = %d, %v", n, ok)
	}
	if n, err := s.Len(); err != nil || n != 1000 {
		t.Errorf("Len = %d, %v; want 1000 (999 keys and big)", n, err)
	}
}

func TestMemoryStore(t *testing.T) { exercise(t, state.NewMemory()) }

func TestBadgerInMemory(t *testing.T) {
	s, err := state.OpenBadgerInMemory(slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exercise(t, s)
}

// A snapshot reads the store as it was when taken: later writes and
// deletes show only in a new snapshot.
func TestBadgerSnapshot(t *testing.T) {
	s, err := state.OpenBadger(t.TempDir(), slog.New(slog.DiscardHandler), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write([]state.KV{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	var st state.Store = s
	sn, ok := st.(state.Snapshotter)
	if !ok {
		t.Fatal("Badger is not a Snapshotter")
	}
	old := sn.Snapshot()
	defer old.Close()
	if err := s.Write([]state.KV{{Key: []byte("a"), Value: []byte("10")}, {Key: []byte("b"), Delete: true}, {Key: []byte("c"), Value: []byte("3")}}); err != nil {
		t.Fatal(err)
	}
	check := func(name string, snap state.Snapshot, key, want string, wantOK bool) {
		t.Helper()
		v, ok, err := snap.Get([]byte(key))
		if err != nil || ok != wantOK || string(v) != want {
			t.Errorf("%s snapshot Get(%s) = %q, %v, %v; want %q, %v", name, key, v, ok, err, want, wantOK)
		}
	}
	check("old", old, "a", "1", true)
	check("old", old, "b", "2", true)
	check("old", old, "c", "", false)
	cur := sn.Snapshot()
	defer cur.Close()
	check("new", cur, "a", "10", true)
	check("new", cur, "b", "", false)
	check("new", cur, "c", "3", true)
}

// TestScanFrom: both stores scan from a key on, in key order, and stop
// without an error on ErrStop.
func TestScanFrom(t *testing.T) {
	b, err := state.OpenBadgerInMemory(slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, st := range []state.Store{b, state.NewMemory()} {
		var batch []state.KV
		for _, k := range []string{"d", "a", "c", "b", "e"} {
			batch = append(batch, state.KV{Key: []byte(k), Value: []byte("v" + k)})
		}
		if err := st.Write(batch); err != nil {
			t.Fatal(err)
		}
		var got []string
		err := state.ScanFrom(st, []byte("b"), func(k, v []byte) error {
			got = append(got, string(k)+"="+string(v))
			if len(got) == 3 {
				return state.ErrStop
			}
			return nil
		})
		if err != nil || strings.Join(got, ",") != "b=vb,c=vc,d=vd" {
			t.Errorf("%T: ScanFrom(b) = %q, %v; want b, c, d then stop", st, got, err)
		}
	}
}
