package worker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// catalogWrong is joinsWrong of the Catalog app against model m.
func catalogWrong(t *testing.T, addr string, m *testapp.CatalogModel, lines int) []string {
	return joinsWrong(t, addr, "catalog", testapp.CatalogJoins, func(table string, last map[string][]byte) ([]string, error) {
		return m.Diff(table, last, lines)
	})
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
				var recs []*runtime.Record
				for range n {
					rec, err := m.Op(r, lines, products)
					if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, rec)
				}
				produce(t, cl, kgoRecords(recs)...)
			}
			settled := func() {
				t.Helper()
				wrong := awaitJoins(60*time.Second, func() []string { return catalogWrong(t, addr, m, lines) })
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
	bin := buildTestApp(t, "catalog")
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
			if err := cl.ProduceSync(context.Background(), kgoRecords(rs)...).FirstErr(); err != nil {
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
	awaitJoins(90*time.Second, func() []string { return catalogWrong(t, addr, m, lines) })
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
	produce(t, cl, kgoRecords(repriced)...)
	wrong := awaitJoins(90*time.Second, func() []string { return catalogWrong(t, addr, m, lines) })
	t.Logf("%d lines in %d joins: %d values wrong", lines, len(testapp.CatalogJoins), len(wrong))
	reportWrong(t, wrong)
}
