package streamtest_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestForeignKeyJoinsMatchTheModel (operators part 2, foreign-key joins,
// in the driver): random writes and tombstones of order lines (each
// naming a product, another one, or none) and of products (a table with
// another partition count) keep the Catalog app's inner and left
// foreign-key joins equal to the model after every change, for every
// line: a line whose product changes joins the new one (the old one no
// longer counts), a product's change reaches every line naming it.
func TestForeignKeyJoinsMatchTheModel(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			app := runtime.NewApp()
			if err := testapp.RegisterCatalogAgents(app, testapp.Catalog{}); err != nil {
				t.Fatal(err)
			}
			d := streamtest.New(app)
			m := testapp.NewCatalogModel()
			r := rand.New(rand.NewPCG(seed, 17))
			const lines, products = 15, 6
			for step := range 500 {
				rec, err := m.Op(r, lines, products)
				if err != nil {
					t.Fatal(err)
				}
				if err := d.SendRecord(rec); err != nil {
					t.Fatal(err)
				}
				for i := range lines {
					key := fmt.Sprintf("l%d", i)
					for _, table := range testapp.CatalogJoins {
						got, ok, err := streamtest.TableValue[*testapp.PricedLine](d, table, key)
						if err != nil {
							t.Fatal(err)
						}
						want := m.Want(table, key)
						if ok != (want != nil) || (ok && !proto.Equal(got, want)) {
							t.Fatalf("step %d (%s %s): %s[%s] = %v (found %v), want %v", step, rec.Topic, rec.Key, table, key, got, ok, want)
						}
					}
				}
			}
		})
	}
}
