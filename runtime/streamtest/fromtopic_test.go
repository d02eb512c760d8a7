package streamtest_test

import (
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// enrich returns a driver of the Enrich app: purchases with their
// customer, from table "customers", fed from topic "customers".
func enrich(t *testing.T) *streamtest.Driver {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterEnrichAgents(app, testapp.Enrich{}); err != nil {
		t.Fatal(err)
	}
	return streamtest.New(app)
}

// TestTableFedFromATopic (operators part 2, in the driver): a table fed
// from a topic holds the latest value of each key of the topic (JSON, so
// stored as protobuf), a tombstone deletes it, and agents join their
// records with the value of the record's key: a left join gets every
// record (nil when the key has no value), an inner join only those whose
// key has one. A record of the topic that is no value goes to the table's
// dead-letter topic.
func TestTableFedFromATopic(t *testing.T) {
	d := enrich(t)
	purchase := func(seq int64, customer string) *testapp.EnrichedPurchase {
		t.Helper()
		if err := streamtest.Send(d, testapp.PurchaseTopic, &testapp.Purchase{CustomerId: customer, AmountCents: 100, Seq: seq}); err != nil {
			t.Fatal(err)
		}
		out, err := streamtest.Output(d, testapp.EnrichedPurchaseTopic)
		if err != nil || len(out) != 1 {
			t.Fatalf("purchase %d: %v, %v; want one enriched purchase", seq, out, err)
		}
		return out[0]
	}
	if p := purchase(1, "c1"); p.GetFound() || p.GetName() != "" {
		t.Fatalf("before c1 is known: %v", p)
	}
	for _, c := range []*testapp.Customer{{Id: "c1", Name: "Ada", Country: "UK"}, {Id: "c2", Name: "Grace", Country: "US"}, {Id: "c1", Name: "Ada L.", Country: "UK"}} {
		if err := streamtest.Send(d, testapp.CustomerTopic, c); err != nil {
			t.Fatal(err)
		}
	}
	if p := purchase(2, "c1"); !p.GetFound() || p.GetName() != "Ada L." {
		t.Fatalf("c1's purchase: %v, want the latest profile (Ada L.)", p)
	}
	if p := purchase(3, "c2"); !p.GetFound() || p.GetCountry() != "US" {
		t.Fatalf("c2's purchase: %v", p)
	}
	v, ok, err := streamtest.TableValue[*testapp.Customer](d, testapp.EnrichCustomersTableName, "c2")
	if err != nil || !ok || v.GetName() != "Grace" {
		t.Fatalf("table value of c2: %v %v %v", v, ok, err)
	}
	// A tombstone deletes c2.
	if err := d.SendRecord(&runtime.Record{Topic: testapp.CustomerTopicName, Partition: runtime.Partition([]byte("c2"), 4), Key: []byte("c2")}); err != nil {
		t.Fatal(err)
	}
	if p := purchase(4, "c2"); p.GetFound() {
		t.Fatalf("c2 after its tombstone: %v, want not found", p)
	}
	// A record that is no customer is a dead letter of the table.
	if err := d.SendRecord(&runtime.Record{Topic: testapp.CustomerTopicName, Partition: runtime.Partition([]byte("c3"), 4), Key: []byte("c3"), Value: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	if dead := d.DeadLetters(testapp.EnrichCustomersTableDeadLetterTopicName); len(dead) != 1 || string(dead[0].Key) != "c3" {
		t.Fatalf("table dead letters %v, want c3's record", dead)
	}
	// So is a profile in a partition its key does not belong to: readers
	// would look for it in the key's partition.
	wrong := (runtime.Partition([]byte("c4"), 4) + 1) % 4
	if err := d.SendRecord(&runtime.Record{Topic: testapp.CustomerTopicName, Partition: wrong, Key: []byte("c4"), Value: []byte(`{"id":"c4","name":"Misplaced"}`)}); err != nil {
		t.Fatal(err)
	}
	if dead := d.DeadLetters(testapp.EnrichCustomersTableDeadLetterTopicName); len(dead) != 2 || string(dead[1].Key) != "c4" ||
		!strings.Contains(streamtest.Header(dead[1], runtime.HeaderError), "murmur2") {
		t.Fatalf("table dead letters %v, want c4's misplaced record with what to do", dead)
	}
	if p := purchase(6, "c4"); p.GetFound() {
		t.Fatalf("c4's purchase found the misplaced profile: %v", p)
	}
	if p := purchase(5, "c1"); p.GetName() != "Ada L." {
		t.Fatalf("c1 after the dead letter: %v", p)
	}
	// Sum's inner join: only the purchases of known customers reach it:
	// c1's 2 and 5 (not 1, before c1 was known); c2's 3 (not 4, after its
	// tombstone).
	for key, want := range map[string]int64{"c1": 2, "c2": 1, "c3": 0} {
		s, ok, err := streamtest.TableValue[*testapp.Spent](d, testapp.EnrichSpentTableName, key)
		if err != nil || s.GetPurchases() != want || ok != (want > 0) {
			t.Errorf("%s spent %v (%v, %v), want %d purchases", key, s, ok, err, want)
		}
	}
}
