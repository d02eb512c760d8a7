package worker_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
	"github.com/streamgen/streamgen/runtime/worker"
)

func runShop(t *testing.T, addr, dir string, opts ...worker.Option) *ledgerRun {
	t.Helper()
	return runStateful(t, addr, dir, func(app *runtime.App) error { return testapp.RegisterShopAgents(app, testapp.Shop{}) }, opts...)
}

// shopRecords interleaves n orders of 3 cents and n refunds of 1 cent over
// accounts, and adds what each account's tally must end at to count and
// sum.
func shopRecords(t *testing.T, from, n, accounts int, count, sum map[string]int64) []*kgo.Record {
	t.Helper()
	var recs []*kgo.Record
	for i := from; i < from+n; i++ {
		acct := fmt.Sprintf("acct-%d", i%accounts)
		recs = append(recs, order(t, &testapp.Order{AccountId: acct, AmountCents: 3}))
		v, err := proto.Marshal(&testapp.Refund{AccountId: acct, AmountCents: 1})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: testapp.RefundTopicName, Key: []byte(acct), Value: v})
		count[acct] += 2
		sum[acct] += 2
	}
	return recs
}

// coAssigned checks, with franz-go's admin client, that every member of
// the group owns the same partition numbers of orders and refunds, and
// returns how many members own partitions.
func coAssigned(t *testing.T, cl *kgo.Client, group string) int {
	t.Helper()
	described, err := kadm.NewClient(cl).DescribeGroups(context.Background(), group)
	if err != nil {
		t.Fatal(err)
	}
	g := described[group]
	owners := 0
	for _, m := range g.Members {
		c, ok := m.Assigned.AsConsumer()
		if !ok {
			t.Fatalf("member %s: no consumer assignment", m.MemberID)
		}
		parts := map[string][]int32{}
		for _, tp := range c.Topics {
			parts[tp.Topic] = append(parts[tp.Topic], tp.Partitions...)
		}
		o, r := parts[testapp.OrderTopicName], parts[testapp.RefundTopicName]
		slices.Sort(o)
		slices.Sort(r)
		if !slices.Equal(o, r) {
			t.Errorf("member %s owns orders %v but refunds %v: partition p of both must go to one worker", m.ClientID, o, r)
		}
		if len(o) > 0 {
			owners++
		}
	}
	return owners
}

// testTableFromTwoTopics: one table written from two co-partitioned
// topics, by three lanes per partition, while a second worker joins (the
// partitions of both topics move together) and the first one leaves: every
// account ends at its exact count and sum, no update lost or doubled.
func testTableFromTwoTopics(t *testing.T, opts ...func(id string) []worker.Option) {
	addr := startBroker(t)
	cl := client(t, addr)
	optsOf := func(id string) []worker.Option {
		var out []worker.Option
		for _, o := range opts {
			out = append(out, o(id)...)
		}
		return out
	}
	count, sum := map[string]int64{}, map[string]int64{}
	a := runShop(t, addr, t.TempDir(), optsOf("a")...)
	produce(t, cl, shopRecords(t, 0, 1500, 20, count, sum)...)
	consume(t, addr, testapp.TallyTopicName, 1000)
	runShop(t, addr, t.TempDir(), optsOf("b")...)
	produce(t, cl, shopRecords(t, 1500, 1500, 20, count, sum)...)
	waitUntil(t, func() bool { return coAssigned(t, cl, "shop") == 2 })
	consume(t, addr, testapp.TallyTopicName, 4000)
	a.stop(t) // graceful: its partitions of both topics, and their tables, move to b
	produce(t, cl, shopRecords(t, 3000, 1000, 20, count, sum)...)
	total := 0
	for _, n := range count {
		total += int(n)
	}
	final := map[string]*testapp.Tally{}
	for _, r := range consume(t, addr, testapp.TallyTopicName, total) {
		m, err := testapp.TallyTopic.Decode(r.Value)
		if err != nil {
			t.Fatal(err)
		}
		if cur := final[m.GetAccountId()]; cur == nil || m.GetCount() > cur.GetCount() {
			final[m.GetAccountId()] = m
		}
	}
	for acct, n := range count {
		got := final[acct]
		if got.GetCount() != n || got.GetSumCents() != sum[acct] {
			t.Errorf("%s: count %d sum %d, want count %d sum %d", acct, got.GetCount(), got.GetSumCents(), n, sum[acct])
		}
	}
}

func TestTableFromTwoTopics(t *testing.T) { testTableFromTwoTopics(t) }

func TestTableFromTwoTopicsExactlyOnce(t *testing.T) {
	testTableFromTwoTopics(t, func(id string) []worker.Option {
		return []worker.Option{worker.WithExactlyOnce(true), worker.WithInstanceID(id)}
	})
}

// Another assignor cannot keep co-partitioned partitions together: the
// worker refuses to start and says what to set.
func TestCoPartitionedTablesNeedTheRangeAssignor(t *testing.T) {
	addr := startBroker(t)
	app := runtime.NewApp()
	if err := testapp.RegisterShopAgents(app, testapp.Shop{}); err != nil {
		t.Fatal(err)
	}
	err := worker.Run(context.Background(), app, worker.WithBrokers(addr), worker.WithLogger(testLogger(t)),
		worker.WithDataDir(t.TempDir()), worker.WithKafkaConfig(map[string]string{"partition.assignment.strategy": "cooperative-sticky"}))
	for _, want := range []string{"partition p of each of these topics must go to the same worker, which needs partition.assignment.strategy=range",
		`table "balances" is written from topics orders, refunds`, "shop-buy-repartition feeds topic orders's partitions", "MISPLACED_KEY_DEAD_LETTER"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want an error containing %q", err, want)
		}
	}
}

// The test driver runs the same two-topic table: orders and refunds of an
// account land on one partition of the table, whichever topic they come
// from.
func TestDriverTableFromTwoTopics(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterShopAgents(app, testapp.Shop{}); err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for i := 0; i < 30; i++ {
		acct := fmt.Sprintf("acct-%d", i%3)
		if err := streamtest.Send(d, testapp.OrderTopic, &testapp.Order{AccountId: acct, AmountCents: 3}); err != nil {
			t.Fatal(err)
		}
		if err := streamtest.Send(d, testapp.RefundTopic, &testapp.Refund{AccountId: acct, AmountCents: 1}); err != nil {
			t.Fatal(err)
		}
	}
	tallies, err := streamtest.Output(d, testapp.TallyTopic)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]*testapp.Tally{}
	for _, tl := range tallies {
		last[tl.GetAccountId()] = tl
	}
	for i := 0; i < 3; i++ {
		acct := fmt.Sprintf("acct-%d", i)
		if got := last[acct]; got.GetCount() != 20 || got.GetSumCents() != 20 {
			t.Errorf("%s: count %d sum %d, want 20 and 20", acct, got.GetCount(), got.GetSumCents())
		}
	}
}
