package streamtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// misplaced returns a record of msg on topic, keyed by key, in a partition
// other than the one key belongs to (as kcat's default partitioner may
// put it).
func misplaced(t *testing.T, topic *runtime.TopicDesc, key string, msg proto.Message) *runtime.Record {
	t.Helper()
	v, err := proto.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	right := runtime.Partition([]byte(key), topic.Partitions)
	return &runtime.Record{Topic: topic.Name, Partition: (right + 1) % topic.Partitions, Key: []byte(key), Value: v}
}

// TestMisplacedKeyIsRepartitioned (hardening fault 3, in the driver): an
// order in the wrong partition for its account goes through the agent's
// repartition topic to the account's partition, where it meets the
// account's tally and minute window: the tally counts 2 orders, the
// window sums both, and the window closes once.
func TestMisplacedKeyIsRepartitioned(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	if err := streamtest.Send(d, testapp.OrderTopic, &testapp.Order{AccountId: "a1", AmountCents: 5}); err != nil {
		t.Fatal(err)
	}
	rec := misplaced(t, testapp.OrderTopic.Desc(), "a1", &testapp.Order{AccountId: "a1", AmountCents: 7})
	if err := d.SendRecord(rec); err != nil {
		t.Fatal(err)
	}
	moved := d.Records(testapp.LedgerAddRepartitionTopicName)
	if len(moved) != 1 {
		t.Fatalf("repartition topic has %d records, want the misplaced one", len(moved))
	}
	if want := runtime.Partition([]byte("a1"), testapp.OrderTopic.Desc().Partitions); moved[0].Partition != want || string(moved[0].Key) != "a1" {
		t.Errorf("repartitioned record in partition %d with key %q, want partition %d, key a1", moved[0].Partition, moved[0].Key, want)
	}
	tally, ok, err := streamtest.TableValue[*testapp.Tally](d, testapp.LedgerTalliesTableName, "a1")
	if err != nil || !ok {
		t.Fatalf("tally of a1: %v, found %v", err, ok)
	}
	if tally.GetCount() != 2 || tally.GetSumCents() != 12 {
		t.Errorf("tally of a1 = %d orders, %d cents; want 2 orders, 12 cents", tally.GetCount(), tally.GetSumCents())
	}
	if dead := d.DeadLetters(testapp.LedgerAddDeadLetterTopicName); len(dead) != 0 {
		t.Errorf("%d dead letters, want none", len(dead))
	}
	if err := d.Advance(start.Add(3 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	closed, err := streamtest.Output(d, testapp.MinuteTotalTopic)
	if err != nil {
		t.Fatal(err)
	}
	if len(closed) != 1 || closed[0].GetSumCents() != 12 {
		t.Errorf("closed windows %v; want one of 12 cents", closed)
	}
}

// TestMisplacedKeyDeadLetterPolicy: with MISPLACED_KEY_DEAD_LETTER a
// misplaced entry goes to the dead-letter topic with an error that says
// where its key belongs, and touches no journal.
func TestMisplacedKeyDeadLetterPolicy(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterNotesAgents(app, testapp.Notes{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	rec := misplaced(t, testapp.EntryTopic.Desc(), "a1", &testapp.Entry{AccountId: "a1", Text: "x"})
	if err := d.SendRecord(rec); err != nil {
		t.Fatal(err)
	}
	dead := d.DeadLetters(testapp.NotesAppendDeadLetterTopicName)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	if e := streamtest.Header(dead[0], runtime.HeaderError); !strings.Contains(e, "belongs to partition") {
		t.Errorf("dead letter's error %q does not say where the key belongs", e)
	}
	if _, ok, err := streamtest.TableValue[*testapp.Journal](d, testapp.NotesJournalsTableName, "a1"); err != nil || ok {
		t.Errorf("journal of a1 exists (%v, %v); the misplaced entry must not be applied", ok, err)
	}
	if n := len(d.Records(testapp.NotesAppendRepartitionTopicName)); n != 0 {
		t.Errorf("%d records repartitioned under the dead-letter policy", n)
	}
}

// TestMisplacedKeyStopPolicy: with MISPLACED_KEY_STOP a misplaced refund
// stops the agent with a *runtime.MisplacedKeyError.
func TestMisplacedKeyStopPolicy(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterShopAgents(app, testapp.Shop{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	rec := misplaced(t, testapp.RefundTopic.Desc(), "a1", &testapp.Refund{AccountId: "a1", AmountCents: 1})
	err := d.SendRecord(rec)
	var me *runtime.MisplacedKeyError
	if !errors.As(err, &me) {
		t.Fatalf("SendRecord = %v, want a *runtime.MisplacedKeyError", err)
	}
	if me.Partition != rec.Partition || me.Want == rec.Partition {
		t.Errorf("error names partitions %d (want %d): %v", me.Partition, me.Want, err)
	}
	// A refund in its own partition is applied.
	if err := streamtest.Send(d, testapp.RefundTopic, &testapp.Refund{AccountId: "a1", AmountCents: 1}); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := streamtest.TableValue[*testapp.Tally](d, testapp.ShopBalancesTableName, "a1"); b.GetCount() != 1 {
		t.Errorf("balance of a1 counts %d refunds, want 1", b.GetCount())
	}
}
