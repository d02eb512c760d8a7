package streamtest_test

import (
	"fmt"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// TestGroupByCountry (operators part 2, repartitioning, in the driver):
// orders keyed by account are summed per country: each order whose
// country belongs to another partition than its account goes through the
// agent's repartition topic to the country's partition, where the
// country's one total is kept; totals are exact and keyed by country.
func TestGroupByCountry(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterRevenueAgents(app, testapp.Revenue{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	want := map[string]int64{}
	countries := []string{"de", "fr", "it", "es", "nl", "pl", "se"}
	for i := range 70 {
		c := countries[i%len(countries)]
		o := &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i%9), AmountCents: int64(i), Country: c}
		want[c] += int64(i)
		if err := streamtest.Send(d, testapp.OrderTopic, o); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range countries {
		v, ok, err := streamtest.TableValue[*testapp.CountryTotal](d, testapp.RevenueByCountryTableName, c)
		if err != nil || !ok || v.GetAmountCents() != want[c] || v.GetOrders() != 10 {
			t.Errorf("%s: %v, found %v, %v; want %d cents over 10 orders", c, v, ok, err, want[c])
		}
	}
	moved := d.Records(testapp.RevenueSumRepartitionTopicName)
	if len(moved) == 0 || len(moved) == 70 {
		t.Errorf("%d of 70 orders moved through the repartition topic; want some, not all", len(moved))
	}
	for _, r := range moved {
		if want := runtime.Partition(r.Key, testapp.OrderTopic.Desc().Partitions); r.Partition != want {
			t.Errorf("a moved order keyed %q in partition %d, want %d", r.Key, r.Partition, want)
		}
	}
	for _, r := range d.Records(testapp.CountryTotalTopicName) {
		m, err := testapp.CountryTotalTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(r.Key) != m.GetCountry() {
			t.Errorf("a total keyed %q for country %q", r.Key, m.GetCountry())
		}
	}
}
