package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// joinDiff compares a join table's changelog contents (the last record
// of each key: nil is a tombstone) with a model, and describes each value
// that differs.
type joinDiff func(table string, last map[string][]byte) ([]string, error)

// joinsWrong reads each join table's changelog of app (read_committed)
// and returns what diff finds wrong.
func joinsWrong(t *testing.T, addr, app string, tables []string, diff joinDiff) []string {
	t.Helper()
	var wrong []string
	for _, table := range tables {
		last := map[string][]byte{}
		for _, r := range readCommitted(t, addr, app+"-"+table+"-changelog", 0, 500*time.Millisecond) {
			last[string(r.Key)] = r.Value
		}
		w, err := diff(table, last)
		if err != nil {
			t.Fatal(err)
		}
		wrong = append(wrong, w...)
	}
	return wrong
}

// awaitJoins calls wrong until it finds nothing or wait has passed (each
// worker commits its partitions' writes in its own transactions, so the
// joins settle at different times), and returns what it found last.
func awaitJoins(wait time.Duration, wrong func() []string) []string {
	deadline := time.Now().Add(wait)
	for {
		w := wrong()
		if len(w) == 0 || time.Now().After(deadline) {
			return w
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// reportWrong fails the test with up to five of wrong, and their count.
func reportWrong(t *testing.T, wrong []string) {
	t.Helper()
	for i, w := range wrong {
		if i < 5 {
			t.Error(w)
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d join values differ from the model", len(wrong))
	}
}

// kgoRecords returns records as franz-go records, in their partitions.
func kgoRecords(recs []*runtime.Record) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, rec := range recs {
		out[i] = &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value}
	}
	return out
}

// buildTestApp builds the test app binary of runtime/internal/testapp/cmd
// called name into a temporary directory and returns its path.
func buildTestApp(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("go", "build", "-o", bin, "../internal/testapp/cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("building the %s binary: %v\n%s", name, err, out)
	}
	return bin
}

// profilesWrong is joinsWrong of the Profiles app against model m.
func profilesWrong(t *testing.T, addr string, m *testapp.ProfilesModel, keys int) []string {
	return joinsWrong(t, addr, "profiles", testapp.ProfilesJoins, func(table string, last map[string][]byte) ([]string, error) {
		return m.Diff(table, last, keys)
	})
}

// TestTableJoinsOnTheBroker (operators part 2, table-table joins): random
// writes and tombstones of people and addresses (tables fed from topics)
// and counted events (a table agent Count writes) go to the Profiles app
// while its worker stops, a new one starts on an empty data directory
// (the sides restored from their topics and changelog, the joins from
// theirs), and a second worker joins. Each join's changelog ends up
// holding the model's value of every key (and tombstones for the others),
// at least once and exactly once.
func TestTableJoinsOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			register := func(app *runtime.App) error { return testapp.RegisterProfilesAgents(app, testapp.Profiles{}) }
			run := func(id string) *ledgerRun {
				return runStateful(t, addr, t.TempDir(), register, worker.WithExactlyOnce(eos), worker.WithInstanceID(id))
			}
			m := testapp.NewProfilesModel()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
			const keys = 30
			ops := func(n int) {
				t.Helper()
				var recs []*runtime.Record
				for range n {
					rec, err := m.Op(r, keys)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, rec)
				}
				produce(t, cl, kgoRecords(recs)...)
			}
			settled := func() {
				t.Helper()
				wrong := awaitJoins(60*time.Second, func() []string { return profilesWrong(t, addr, m, keys) })
				reportWrong(t, wrong)
				if len(wrong) > 0 {
					t.FailNow()
				}
			}
			a := run("a")
			ops(200)
			settled()
			a.stop(t)
			ops(200)
			run("a")
			ops(100)
			run("b")
			time.Sleep(3 * time.Second) // the rebalance
			ops(100)
			settled()
		})
	}
}

// workerProcess is a worker of an app binary running as a process of its
// own, its log kept.
type workerProcess struct {
	cmd *exec.Cmd
	log *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for a process's writes and a test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProcess starts binary's worker command with args; it is killed
// when the test ends.
func startProcess(t *testing.T, binary string, args ...string) *workerProcess {
	t.Helper()
	p := &workerProcess{cmd: exec.Command(binary, append([]string{"worker"}, args...)...), log: &syncBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		_ = p.cmd.Wait()
		if t.Failed() {
			t.Logf("worker %v log:\n%s", args, p.log)
		}
	})
	return p
}

// TestTableJoinsSurviveSIGKILL (operators part 2, table-table joins under
// exactly once): two worker processes of the Profiles test app
// (runtime/internal/testapp/cmd/profiles); 1,500 random writes and
// tombstones of people and addresses (tables fed from topics) and counted
// events (a table an agent writes) of 150 keys stream in while one worker is killed
// (SIGKILL) and started again: its partitions move, the sides restored
// from their topics and changelog, the joins from theirs. Then every
// person is renamed, so every join is computed again from both sides as
// the workers hold them. read_committed, each join's changelog ends with
// the model's value of every key.
func TestTableJoinsSurviveSIGKILL(t *testing.T) {
	bin := buildTestApp(t, "profiles")
	addr := startBroker(t)
	worker := func(id string) *workerProcess {
		return startProcess(t, bin, "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off",
			"--data-dir", t.TempDir(), "--guarantee", "exactly-once", "--instance-id", id)
	}
	ws := map[string]*workerProcess{"a": worker("a"), "b": worker("b")}
	waitUntil(t, func() bool {
		return strings.Contains(ws["a"].log.String(), "partitions assigned") && strings.Contains(ws["b"].log.String(), "partitions assigned")
	})
	cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	m := testapp.NewProfilesModel()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	const keys = 150
	sent := make(chan error, 1)
	go func() {
		for range 30 {
			var recs []*runtime.Record
			for range 50 {
				rec, err := m.Op(r, keys)
				if err != nil {
					sent <- err
					return
				}
				recs = append(recs, rec)
			}
			if err := cl.ProduceSync(context.Background(), kgoRecords(recs)...).FirstErr(); err != nil {
				sent <- err
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		sent <- nil
	}()
	time.Sleep(time.Second)
	if err := ws["a"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ws["a"].cmd.Wait()
	time.Sleep(2 * time.Second)
	ws["a"] = worker("a") // a restarted process aborts its predecessor's open transaction
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	// Every person renamed: every join computed again from both sides as
	// the workers now hold them, restored or read on.
	renames, err := m.Renames(keys)
	if err != nil {
		t.Fatal(err)
	}
	produce(t, cl, kgoRecords(renames)...)
	wrong := awaitJoins(90*time.Second, func() []string { return profilesWrong(t, addr, m, keys) })
	t.Logf("%d keys in %d joins: %d values wrong", keys, len(testapp.ProfilesJoins), len(wrong))
	reportWrong(t, wrong)
}
