package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// fkJoinsMatch reads each foreign-key join's changelog (read_committed)
// and reports the line keys whose value is not the model's.
func fkJoinsMatch(t *testing.T, addr string, m *testapp.CatalogModel, lines int) []string {
	t.Helper()
	var wrong []string
	for _, table := range testapp.CatalogJoins {
		last := map[string][]byte{}
		for _, r := range readCommitted(t, addr, "catalog-"+table+"-changelog", 0, 500*time.Millisecond) {
			last[string(r.Key)] = r.Value
		}
		w, err := m.Diff(table, last, lines)
		if err != nil {
			t.Fatal(err)
		}
		wrong = append(wrong, w...)
	}
	return wrong
}

// TestForeignKeyJoinsOnTheBroker (operators part 2, foreign-key joins):
// random writes and tombstones of order lines (each naming a product,
// another one, or none) and of products (another partition count) go to
// the Catalog app while its worker stops, a new one starts on an empty
// data directory (the sides restored from their topics, the joins and
// their subscriptions from their changelogs), and a second worker joins.
// Each join's changelog ends with the model's value of every line, at
// least once and exactly once.
func TestForeignKeyJoinsOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			cl := client(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
			register := func(app *runtime.App) error { return testapp.RegisterCatalogAgents(app, testapp.Catalog{}) }
			run := func(id string) *ledgerRun {
				return runStateful(t, addr, t.TempDir(), register, worker.WithExactlyOnce(eos), worker.WithInstanceID(id))
			}
			m := testapp.NewCatalogModel()
			r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 13))
			const lines, products = 40, 10
			ops := func(n int) {
				t.Helper()
				var recs []*kgo.Record
				for range n {
					rec, err := m.Op(r, lines, products)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value})
				}
				produce(t, cl, recs...)
			}
			settled := func() {
				t.Helper()
				var wrong []string
				for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
					if wrong = fkJoinsMatch(t, addr, m, lines); len(wrong) == 0 || time.Now().After(deadline) {
						break
					}
				}
				for i, w := range wrong {
					if i < 5 {
						t.Error(w)
					}
				}
				if len(wrong) > 0 {
					t.Fatalf("%d join values differ from the model", len(wrong))
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

// TestForeignKeyJoinsSurviveSIGKILL (operators part 2, foreign-key joins
// under exactly once): two worker processes of the Catalog test app
// (runtime/internal/testapp/cmd/catalog); 1,500 random writes and
// tombstones of order lines and products stream in while one worker is
// killed (SIGKILL) and started again: its partitions move, with the
// sides, the joins and their subscriptions. Once the joins are right the
// other worker is killed and started again too, and every product is
// repriced, so every line is joined again through the subscriptions the
// workers restored. read_committed, each join's changelog ends with the
// model's value of every line.
func TestForeignKeyJoinsSurviveSIGKILL(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "catalog")
	if out, err := exec.Command("go", "build", "-o", bin, "../internal/testapp/cmd/catalog").CombinedOutput(); err != nil {
		t.Fatalf("building the catalog binary: %v\n%s", err, out)
	}
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
	m := testapp.NewCatalogModel()
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	const lines, products = 120, 30
	records := func(rs []*runtime.Record) []*kgo.Record {
		var out []*kgo.Record
		for _, rec := range rs {
			out = append(out, &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: rec.Key, Value: rec.Value})
		}
		return out
	}
	sent := make(chan error, 1)
	go func() {
		for range 30 {
			var rs []*runtime.Record
			for range 50 {
				rec, err := m.Op(r, lines, products)
				if err != nil {
					sent <- err
					return
				}
				rs = append(rs, rec)
			}
			if err := cl.ProduceSync(context.Background(), records(rs)...).FirstErr(); err != nil {
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
	// Once the joins are right, worker b, which kept its partitions
	// through the first kill, is killed too: its subscriptions move, to
	// be restored from their changelogs. Then every product is repriced.
	for deadline := time.Now().Add(90 * time.Second); len(fkJoinsMatch(t, addr, m, lines)) > 0 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
	}
	if err := ws["b"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ws["b"].cmd.Wait()
	time.Sleep(2 * time.Second)
	ws["b"] = worker("b")
	repriced, err := m.Reprice(products)
	if err != nil {
		t.Fatal(err)
	}
	produce(t, cl, records(repriced)...)
	var wrong []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(time.Second) {
		if wrong = fkJoinsMatch(t, addr, m, lines); len(wrong) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for i, w := range wrong {
		if i < 5 {
			t.Error(w)
		}
	}
	t.Logf("%d lines in %d joins: %d values wrong", lines, len(testapp.CatalogJoins), len(wrong))
	if len(wrong) > 0 {
		t.Errorf("%d join values differ from the model", len(wrong))
	}
}
