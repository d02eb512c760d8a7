package testapp

import (
	"context"
	"fmt"
	"math/rand/v2"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
)

// Catalog is the runtime tests' implementation of the Catalog app
// (foreign-key joins of lines with products).
type Catalog struct {
	UnimplementedCatalogAgents
}

func priced(line *Line, product *Product) *PricedLine {
	return &PricedLine{ProductId: line.GetProductId(), Product: product.GetName(),
		TotalCents: line.GetQty() * product.GetPriceCents(), HasProduct: product != nil}
}

// JoinPriced prices a line with its product.
func (Catalog) JoinPriced(ctx context.Context, line *Line, product *Product) (*PricedLine, error) {
	return priced(line, product), nil
}

// JoinPricedLeft prices a line with its product, if any.
func (Catalog) JoinPricedLeft(ctx context.Context, line *Line, product *Product) (*PricedLine, error) {
	return priced(line, product), nil
}

// CatalogModel is what the Catalog app's joins must hold after the
// changes Op made.
type CatalogModel struct {
	lines    map[string]*Line
	products map[string]*Product
}

// NewCatalogModel returns an empty model.
func NewCatalogModel() *CatalogModel {
	return &CatalogModel{lines: map[string]*Line{}, products: map[string]*Product{}}
}

// CatalogJoins are the Catalog app's join tables.
var CatalogJoins = []string{CatalogPricedTableName, CatalogPricedLeftTableName}

// Op makes one random change, applies it to the model and returns its
// record, placed in its key's partition: a line written (naming one of
// products products, or none) or deleted, a product written or deleted.
func (m *CatalogModel) Op(r *rand.Rand, lines, products int) (*runtime.Record, error) {
	var rec *runtime.Record
	var err error
	tomb := func(topic, key string, partitions int32) *runtime.Record {
		return &runtime.Record{Topic: topic, Key: []byte(key), Partition: runtime.Partition([]byte(key), partitions)}
	}
	switch n := r.IntN(10); {
	case n < 4:
		l := &Line{Id: fmt.Sprintf("l%d", r.IntN(lines)), Qty: 1 + r.Int64N(5)}
		if r.IntN(8) > 0 {
			l.ProductId = fmt.Sprintf("p%d", r.IntN(products))
		}
		rec, err = LineTopic.Record(l)
		m.lines[l.Id] = l
	case n < 5:
		k := fmt.Sprintf("l%d", r.IntN(lines))
		delete(m.lines, k)
		return tomb(LineTopicName, k, 4), nil
	case n < 9:
		p := &Product{Id: fmt.Sprintf("p%d", r.IntN(products)), Name: fmt.Sprintf("name-%d", r.IntN(100)), PriceCents: 1 + r.Int64N(1000)}
		rec, err = ProductTopic.Record(p)
		m.products[p.Id] = p
	default:
		k := fmt.Sprintf("p%d", r.IntN(products))
		delete(m.products, k)
		return tomb(ProductTopicName, k, 3), nil
	}
	if err != nil {
		return nil, err
	}
	rec.Partition = runtime.Partition(rec.Key, map[string]int32{LineTopicName: 4, ProductTopicName: 3}[rec.Topic])
	return rec, nil
}

// Reprice writes every product p<0..products-1> again with a new price,
// applied to the model, and returns the records: every line naming one
// is joined again with it, through the subscriptions the workers hold.
func (m *CatalogModel) Reprice(products int) ([]*runtime.Record, error) {
	var recs []*runtime.Record
	for i := range products {
		p := &Product{Id: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("repriced-%d", i), PriceCents: int64(1000 + i)}
		rec, err := ProductTopic.Record(p)
		if err != nil {
			return nil, err
		}
		rec.Partition = runtime.Partition(rec.Key, 3)
		m.products[p.Id] = p
		recs = append(recs, rec)
	}
	return recs, nil
}

// Want returns the value line key must have in join table, nil when it
// must have none.
func (m *CatalogModel) Want(table, key string) *PricedLine {
	l, ok := m.lines[key]
	if !ok {
		return nil
	}
	p := m.products[l.GetProductId()]
	if l.GetProductId() == "" {
		p = nil
	}
	if p == nil && table == CatalogPricedTableName {
		return nil
	}
	return priced(l, p)
}

// Diff compares the join table's values (the last record of each key of
// its changelog: nil is a tombstone) with the model's for line keys
// l<0..lines-1>, and describes each that differs.
func (m *CatalogModel) Diff(table string, last map[string][]byte, lines int) ([]string, error) {
	var wrong []string
	for i := range lines {
		key := fmt.Sprintf("l%d", i)
		want := m.Want(table, key)
		v, ok := last[key]
		ok = ok && v != nil
		got := &PricedLine{}
		if ok {
			if err := proto.Unmarshal(v, got); err != nil {
				return nil, err
			}
		}
		if ok != (want != nil) || (ok && !proto.Equal(got, want)) {
			wrong = append(wrong, fmt.Sprintf("%s[%s] = %v (found %v), want %v", table, key, got, ok, want))
		}
	}
	return wrong, nil
}
