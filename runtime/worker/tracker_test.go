package worker

import (
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/lane"
	"github.com/streamgen/streamgen/runtime/internal/windows"
	"github.com/streamgen/streamgen/runtime/state"
)

// TestAdvanceNeverPassesUnfinishedWork: records finish out of order
// (concurrency > 1, outputs acknowledged in any order); the committable
// offset only ever moves past a contiguous run of finished records.
func TestAdvanceNeverPassesUnfinishedWork(t *testing.T) {
	k := newTracker()
	var fs []*lane.Input
	for off := int64(10); off < 15; off++ {
		f := lane.NewInput(&runtime.Record{Offset: off}, 1)
		f.Pending.Store(2) // the handler and one output
		fs = append(fs, f)
		k.push(f)
	}
	if _, moved := k.advance(); moved {
		t.Fatal("advanced with nothing finished")
	}
	// Records 11 and 12 finish first: nothing is committable, 10 is not done.
	fs[1].Pending.Store(0)
	fs[2].Pending.Store(0)
	if _, moved := k.advance(); moved {
		t.Fatal("advanced past offset 10, which is still in flight")
	}
	// Record 10's handler is done but its output is not acknowledged.
	fs[0].Pending.Store(1)
	if _, moved := k.advance(); moved {
		t.Fatal("advanced past offset 10, whose output is unacknowledged")
	}
	fs[0].Pending.Store(0)
	next, moved := k.advance()
	if !moved || next != 13 {
		t.Fatalf("advance = %d, %v; want 13 (after 10, 11, 12)", next, moved)
	}
	if _, moved := k.advance(); moved {
		t.Fatal("advanced again with nothing new finished")
	}
	fs[4].Pending.Store(0)
	if next, _ := k.advance(); next != 13 {
		t.Fatalf("advanced to %d past unfinished 13", next)
	}
	fs[3].Pending.Store(0)
	if next, moved := k.advance(); !moved || next != 15 {
		t.Fatalf("advance = %d, %v; want 15", next, moved)
	}
}

func TestSlotKeepsKeysTogether(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 100; i++ {
		k := []byte{byte(i)}
		a := lane.Slot(&runtime.Record{Key: k, Offset: int64(i)}, 4)
		b := lane.Slot(&runtime.Record{Key: k, Offset: int64(i + 1000)}, 4)
		if a != b {
			t.Fatalf("key %v on lanes %d and %d", k, a, b)
		}
		seen[a] = true
	}
	if len(seen) != 4 {
		t.Errorf("100 keys used %d of 4 lanes", len(seen))
	}
}

// TestStreamTimeResumesFromStores: a partition reopened from intact stores
// resumes the stream time they recorded, and the idle timer moves it on
// from there (so windows close without a new event after a restart).
func TestStreamTimeResumesFromStores(t *testing.T) {
	st := state.NewMemory()
	if err := st.SetMeta(windows.StreamTimeMeta, 1_000_000); err != nil {
		t.Fatal(err)
	}
	p := &partition{stores: []*lane.Table{{Store: st}}}
	resumeStreamTime(p)
	if got := p.clock.Now(); got != 1_000_000 {
		t.Fatalf("stream time %d after resume, want 1000000", got)
	}
	// A store restored from the changelog alone has no meta entry, but the
	// stream time record a windowed table's changelog carries.
	restored := state.NewMemory()
	if err := restored.Write([]state.KV{{Key: windows.StreamTimeKey, Value: windows.EncodeStreamTime(2_000_000)}}); err != nil {
		t.Fatal(err)
	}
	q := &partition{stores: []*lane.Table{{Store: restored, Desc: &runtime.TableDesc{Window: &runtime.WindowSpec{Size: time.Minute}}}}}
	resumeStreamTime(q)
	if got := q.clock.Now(); got != 2_000_000 {
		t.Errorf("stream time %d after resuming from a restored store, want 2000000", got)
	}
	p.clock.IdleAdvance(time.Now().Add(3 * time.Second).UnixMilli()) // idle for 3 s
	if got := p.clock.Now(); got < 1_002_900 || got > 1_004_000 {
		t.Errorf("stream time %d after 3 s idle, want about 1003000", got)
	}
}

// An input record is let go once every agent of its partition has
// processed it (its poll batch is then free while outputs wait for
// acknowledgements); its offset stays for the commit.
func TestInputDropsRecordAfterEveryAgent(t *testing.T) {
	f := lane.NewInput(&runtime.Record{Offset: 7}, 2)
	f.Processed()
	if f.Rec == nil {
		t.Fatal("record dropped while an agent has yet to process it")
	}
	f.Processed()
	if f.Rec != nil {
		t.Fatal("record still held after both agents processed it")
	}
	f.Pending.Store(0)
	k := newTracker()
	k.push(f)
	if next, moved := k.advance(); !moved || next != 8 {
		t.Fatalf("advance = %d, %v; want 8, true", next, moved)
	}
}
