package worker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

func entry(t *testing.T, acct, text string) *kgo.Record {
	t.Helper()
	v, err := proto.Marshal(&testapp.Entry{AccountId: acct, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: testapp.EntryTopicName, Key: []byte(acct), Value: v}
}

// testTooLarge is hardening fault 5: a journal (a table value and the
// agent's output) grows past the largest record the producer takes with
// two 600 KB appends. The second append's input goes to the dead-letter
// topic with the error, its writes and outputs are dropped, and the worker
// goes on (before the fix it stopped with "Message size too large", and
// again after each restart). A worker started afterwards redoes nothing.
func testTooLarge(t *testing.T, exactlyOnce bool) {
	addr := startBroker(t)
	cl := client(t, addr, kgo.ProducerBatchMaxBytes(2<<20))
	read := func(topic string, n int) []*kgo.Record { return consume(t, addr, topic, n) }
	if exactlyOnce {
		read = func(topic string, n int) []*kgo.Record { return readCommitted(t, addr, topic, n, time.Second) }
	}
	register := func(app *runtime.App) error { return testapp.RegisterNotesAgents(app, testapp.Notes{}) }
	opts := []worker.Option{worker.WithExactlyOnce(exactlyOnce), worker.WithInstanceID("n1")}
	w := runStateful(t, addr, t.TempDir(), register, opts...)
	big := strings.Repeat("x", 600<<10)
	produce(t, cl, entry(t, "big", big), entry(t, "big", big), entry(t, "small", "hi"), entry(t, "big", "!"))
	journals := read(testapp.JournalTopicName, 3)
	dead := read(testapp.NotesAppendDeadLetterTopicName, 1)
	if len(dead) != 1 || !strings.Contains(header(dead[0], runtime.HeaderError), "larger than") {
		t.Fatalf("dead letters %v, want the second append with an error saying it is too large", dead)
	}
	if header(dead[0], runtime.HeaderSourceOffset) != "1" {
		t.Errorf("dead letter from offset %s, want the second append (1)", header(dead[0], runtime.HeaderSourceOffset))
	}
	lens := map[string][]int{}
	for _, r := range journals {
		j, err := testapp.JournalTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		lens[j.GetAccountId()] = append(lens[j.GetAccountId()], len(j.GetText()))
	}
	if got := lens["big"]; len(got) != 2 || got[0] != len(big) || got[1] != len(big)+1 {
		t.Errorf("journal of big grew %v, want %d then %d (the too-large append left out)", got, len(big), len(big)+1)
	}
	if got := lens["small"]; len(got) != 1 || got[0] != 2 {
		t.Errorf("journal of small %v, want one of 2 bytes", got)
	}
	w.stop(t)
	// A second worker meets nothing left to do: the offsets passed the
	// dead-lettered record.
	runStateful(t, addr, t.TempDir(), register, opts...)
	produce(t, cl, entry(t, "after", "ok"))
	if all := read(testapp.JournalTopicName, 4); len(all) != 4 {
		t.Errorf("%d journals after a restart and one more entry, want 4 (nothing redone)", len(all))
	}
	if all := read(testapp.NotesAppendDeadLetterTopicName, 1); len(all) != 1 {
		t.Errorf("%d dead letters after a restart, want still 1", len(all))
	}
}

func TestTooLargeGoesToDeadLetters(t *testing.T) { testTooLarge(t, false) }

func TestTooLargeGoesToDeadLettersExactlyOnce(t *testing.T) { testTooLarge(t, true) }
