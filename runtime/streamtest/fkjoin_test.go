package streamtest_test

import (
	"context"
	"errors"
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

// refusingCatalog is the Catalog app whose inner join refuses product
// "bad".
type refusingCatalog struct{ testapp.Catalog }

func (c refusingCatalog) JoinPriced(ctx context.Context, line *testapp.Line, product *testapp.Product) (*testapp.PricedLine, error) {
	if product.GetName() == "bad" {
		return nil, errors.New("refused")
	}
	return c.Catalog.JoinPriced(ctx, line, product)
}

// TestForeignKeyJoinFailure: a joiner that fails on an answer does not
// stop the join (its record would stay at the head of the responses
// topic for good): the line loses its value in that join, the other join
// and later answers go on.
func TestForeignKeyJoinFailure(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCatalogAgents(app, refusingCatalog{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	send := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	send(streamtest.Send(d, testapp.ProductTopic, &testapp.Product{Id: "p1", Name: "ok", PriceCents: 10}))
	send(streamtest.Send(d, testapp.LineTopic, &testapp.Line{Id: "l1", ProductId: "p1", Qty: 2}))
	if v, ok, err := streamtest.TableValue[*testapp.PricedLine](d, testapp.CatalogPricedTableName, "l1"); err != nil || !ok || v.GetTotalCents() != 20 {
		t.Fatalf("priced[l1] = %v, %v, %v; want 20", v, ok, err)
	}
	send(streamtest.Send(d, testapp.ProductTopic, &testapp.Product{Id: "p1", Name: "bad", PriceCents: 30}))
	if v, ok, err := streamtest.TableValue[*testapp.PricedLine](d, testapp.CatalogPricedTableName, "l1"); err != nil || ok {
		t.Errorf("priced[l1] after a refused answer = %v, %v, %v; want none", v, ok, err)
	}
	if v, ok, err := streamtest.TableValue[*testapp.PricedLine](d, testapp.CatalogPricedLeftTableName, "l1"); err != nil || !ok || v.GetTotalCents() != 60 {
		t.Errorf("priced-left[l1] = %v, %v, %v; want 60", v, ok, err)
	}
	send(streamtest.Send(d, testapp.ProductTopic, &testapp.Product{Id: "p1", Name: "ok again", PriceCents: 40}))
	if v, ok, err := streamtest.TableValue[*testapp.PricedLine](d, testapp.CatalogPricedTableName, "l1"); err != nil || !ok || v.GetTotalCents() != 80 {
		t.Errorf("priced[l1] after a later answer = %v, %v, %v; want 80", v, ok, err)
	}
}
