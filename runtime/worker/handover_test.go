package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// TestExactlyOnceRestoreWaitsForTheLastOwnersCommit: the partitions'
// previous owner has committed their offsets into its transaction (its
// generation was still current, so KIP-447 let it) when the new owner is
// assigned them, and its changelog records reach the broker only after
// the new owner began restoring. The new owner must start from those
// offsets with those records in its stores. A franz-go transactional
// client plays the previous owner: it "processed" 40 orders, so it
// commits their offsets and writes the tallies and changelog records
// they make. Every count then goes on from the transaction's: none is
// repeated or skipped. (Restoring before reading the committed offsets
// left the stores behind them: counts repeated, as the crash harness saw
// after a broker outage.)
func TestExactlyOnceRestoreWaitsForTheLastOwnersCommit(t *testing.T) {
	addr, cl, a, want := eosLedgerAt400(t)
	a.stop(t)

	// The orders the previous owner processed, and where it left off.
	recs, more := orders(t, 400, 40, accounts)
	add(want, more)
	produce(t, cl, recs...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, testapp.OrderTopicName)
	if err != nil {
		t.Fatal(err)
	}
	last := changelogTallies(t, addr)

	z := client(t, addr, kgo.TransactionalID("previous-owner"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	pid, epoch, err := z.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := z.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	topics, err := kadm.NewClient(cl).ListTopics(ctx, testapp.OrderTopicName)
	if err != nil {
		t.Fatal(err)
	}
	commitOffsetsInTxn(ctx, t, z, pid, epoch, topics[testapp.OrderTopicName].ID, ends)

	restored := &restores{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("b"), worker.WithHooks(restored))
	// The new owner has its partitions. Give a restore that does not wait
	// for the transaction time to read the changelogs' ends (it takes
	// milliseconds); one that waits finishes only after the commit.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, done := restored.get(); done > 0 {
			break
		}
	}

	// The previous owner's outputs and changelog records, then its commit.
	var out []*kgo.Record
	for acct, n := range more {
		tl := last[acct]
		for i := int64(1); i <= n; i++ {
			v := &testapp.Tally{AccountId: acct, Count: tl.value.GetCount() + i, SumCents: tl.value.GetSumCents() + i}
			r, err := testapp.TallyTopic.Record(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value})
		}
		v := &testapp.Tally{AccountId: acct, Count: tl.value.GetCount() + n, SumCents: tl.value.GetSumCents() + n}
		out = append(out, changelogRecord(t, tl.partition, v))
	}
	if err := z.ProduceSync(ctx, out...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if err := z.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}

	recs, more = orders(t, 440, 400, accounts)
	add(want, more)
	produce(t, cl, recs...)
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, 840, 2*time.Second), want)
}

// accounts is how many accounts the handover tests' orders go to.
const accounts = 8

// eosLedgerAt400 starts a broker and an exactly-once ledger worker "a",
// which counts 400 orders of 8 accounts; it returns the broker's address,
// a client, the worker and the counts.
func eosLedgerAt400(t *testing.T) (string, *kgo.Client, *ledgerRun, map[string]int64) {
	t.Helper()
	addr := startKfake(t).Addr()
	cl := client(t, addr)
	a := runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("a"))
	recs, want := orders(t, 0, 400, accounts)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 400, 0)
	return addr, cl, a, want
}

// partitionTally is a table value and the partition it lives in.
type partitionTally struct {
	partition int32
	value     *testapp.Tally
}

// changelogTallies reads the tallies table's changelog, committed records
// only, and returns each account's last value.
func changelogTallies(t *testing.T, addr string) map[string]partitionTally {
	t.Helper()
	cl := client(t, addr, kgo.ConsumeTopics(testapp.LedgerTalliesChangelogTopicName),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := map[string]partitionTally{}
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			v := new(testapp.Tally)
			if err := proto.Unmarshal(r.Value, v); err != nil {
				t.Errorf("changelog value: %v", err)
				return
			}
			out[string(r.Key)] = partitionTally{r.Partition, v}
		})
	}
	if len(out) == 0 {
		t.Fatal("no changelog records read")
	}
	return out
}

// changelogRecord is the tallies table's changelog record of v, to
// partition p.
func changelogRecord(t *testing.T, p int32, v *testapp.Tally) *kgo.Record {
	t.Helper()
	b, err := proto.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &kgo.Record{Topic: testapp.LedgerTalliesChangelogTopicName, Partition: p, Key: []byte(v.GetAccountId()), Value: b}
}

// commitOffsetsInTxn adds the ledger group's offsets ends to z's open
// transaction (AddOffsetsToTxn, TxnOffsetCommit), as a member of no
// generation would.
func commitOffsetsInTxn(ctx context.Context, t *testing.T, z *kgo.Client, pid int64, epoch int16, topicID kadm.TopicID, ends kadm.ListedOffsets) {
	t.Helper()
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "previous-owner", pid, epoch, testapp.LedgerAppID
	addResp, err := add.RequestWith(ctx, z)
	if err == nil {
		err = kerr.ErrorForCode(addResp.ErrorCode)
	}
	if err != nil {
		t.Fatalf("AddOffsetsToTxn: %v", err)
	}
	commit := kmsg.NewPtrTxnOffsetCommitRequest()
	commit.TransactionalID, commit.Group, commit.ProducerID, commit.ProducerEpoch = "previous-owner", testapp.LedgerAppID, pid, epoch
	commit.Generation = -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic, rt.TopicID = testapp.OrderTopicName, topicID
	ends.Each(func(o kadm.ListedOffset) {
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition, rp.Offset, rp.LeaderEpoch = o.Partition, o.Offset, -1
		rt.Partitions = append(rt.Partitions, rp)
	})
	commit.Topics = append(commit.Topics, rt)
	resp, err := commit.RequestWith(ctx, z)
	if err != nil {
		t.Fatalf("TxnOffsetCommit: %v", err)
	}
	for _, st := range resp.Topics {
		for _, sp := range st.Partitions {
			if err := kerr.ErrorForCode(sp.ErrorCode); err != nil {
				t.Fatalf("TxnOffsetCommit %s/%d: %v", st.Topic, sp.Partition, err)
			}
		}
	}
}

// TestExactlyOnceRestoreReadsPastAnOpenTransaction: a transaction left
// open on the changelogs (a killed worker's, until it is aborted) holds
// back their last stable offset while the owner's committed records
// follow it. A worker restoring the tables then must read those too,
// waiting for the open transaction to end, not stop at the last stable
// offset (or take its own store's checkpoint past it for one out of
// range and rebuild it short): every count goes on exactly.
func TestExactlyOnceRestoreReadsPastAnOpenTransaction(t *testing.T) {
	addr, cl, a, want := eosLedgerAt400(t)

	// An open transaction with a record in every changelog partition.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	z := client(t, addr, kgo.TransactionalID("killed-worker"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := z.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	var open []*kgo.Record
	for p := range int32(4) {
		open = append(open, &kgo.Record{Topic: testapp.LedgerTalliesChangelogTopicName, Partition: p, Key: []byte("x"), Value: []byte("x")})
	}
	if err := z.ProduceSync(ctx, open...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	// The owner's committed writes after it.
	recs, more := orders(t, 400, 400, accounts)
	add(want, more)
	produce(t, cl, recs...)
	readCommitted(t, addr, testapp.TallyTopicName, 800, 0)
	a.stop(t)

	restored := &restores{}
	runLedgerWith(t, addr, t.TempDir(), worker.WithExactlyOnce(true), worker.WithInstanceID("b"), worker.WithHooks(restored))
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, done := restored.get(); done == 4 {
			break
		}
	}
	if err := z.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}

	recs, more = orders(t, 800, 400, accounts)
	add(want, more)
	produce(t, cl, recs...)
	exactTallies(t, readCommitted(t, addr, testapp.TallyTopicName, 1200, 2*time.Second), want)
}
