package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
)

// enrichedOrder is an output of the orders example, as JSON.
type enrichedOrder struct {
	OrderID       string `json:"orderId"`
	Known         bool   `json:"known"`
	Tier          string `json:"tier"`
	DiscountCents int64  `json:"discountCents,string"`
}

// TestOrdersJoinWithKcat (operators part 2, a stream-table join, as a
// user runs it): a worker process of the orders example; customer
// profiles and orders written with kcat, keyed by customer id (murmur2);
// the enriched orders read back with kcat. Orders get their customer's
// tier and discount once the profile is read, and a tombstone (kcat -Z: an
// empty value is a null one) makes the customer unknown again.
func TestOrdersJoinWithKcat(t *testing.T) {
	addr := devBroker(t)
	p := start(t, "orders", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off", "--data-dir", t.TempDir())
	waitFor(t, 60*time.Second, "the worker has partitions", func() bool { return strings.Contains(p.Log(), "partitions assigned") })
	kcatProduceByKey(t, addr, "customers", []string{"c1", "c2", "c3"}, []string{
		`{"id":"c1","name":"Ada","tier":"gold"}`, `{"id":"c2","name":"Grace","tier":"silver"}`, `{"id":"c3","name":"Edsger"}`})
	sent := 0
	// round sends one order of each customer and returns what they went
	// out as, by customer.
	round := func() map[string]enrichedOrder {
		t.Helper()
		var keys, lines []string
		for _, c := range []string{"c1", "c2", "c3"} {
			sent++
			keys = append(keys, c)
			lines = append(lines, fmt.Sprintf(`{"orderId":"o%d","customerId":"%s","amountCents":"1000"}`, sent, c))
		}
		kcatProduceByKey(t, addr, "orders", keys, lines)
		// kcat reads the partitions one after another: the round's orders
		// are anywhere among all of them.
		out := map[string]enrichedOrder{}
		for _, l := range kcatConsume(t, addr, "enriched-orders", sent) {
			var o enrichedOrder
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("enriched order %s: %v", l, err)
			}
			out[o.OrderID] = o
		}
		byCustomer := map[string]enrichedOrder{}
		for i, c := range []string{"c1", "c2", "c3"} {
			byCustomer[c] = out[fmt.Sprintf("o%d", sent-2+i)]
		}
		return byCustomer
	}
	var got map[string]enrichedOrder
	waitFor(t, 60*time.Second, "orders go out with their customers' profiles", func() bool {
		got = round()
		return got["c1"].Known && got["c2"].Known && got["c3"].Known
	})
	if got["c1"].DiscountCents != 100 || got["c2"].DiscountCents != 50 || got["c3"].DiscountCents != 0 || got["c1"].Tier != "gold" {
		t.Errorf("discounts %+v, want gold 100, silver 50, none 0", got)
	}
	tomb := exec.Command("kcat", "-b", addr, "-t", "customers", "-P", "-K", "\t", "-Z", "-X", "topic.partitioner=murmur2_random")
	tomb.Stdin = strings.NewReader("c2\t\n")
	if out, err := tomb.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P -Z: %v\n%s", err, out)
	}
	waitFor(t, 60*time.Second, "c2's orders go out unknown after its tombstone", func() bool {
		got = round()
		return !got["c2"].Known
	})
	if !got["c1"].Known || !got["c3"].Known {
		t.Errorf("after c2's tombstone: %+v, want c1 and c3 still known", got)
	}
}

// TestOrdersJoinSurvivesSIGKILL (operators part 2, a stream-table join,
// exactly once): two worker processes of the orders example. Profiles are
// written first (and read: a probe round comes out right), then orders
// stream in while one worker is killed (SIGKILL) and started again: its
// partitions move, and the table goes with them, restored from the
// profiles' topic. read_committed sees every order once, each with its
// customer's tier and discount.
func TestOrdersJoinSurvivesSIGKILL(t *testing.T) {
	addr := devBroker(t)
	worker := func(id string) *proc {
		return start(t, "orders", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off",
			"--data-dir", t.TempDir(), "--guarantee", "exactly-once", "--instance-id", id)
	}
	ws := map[string]*proc{"a": worker("a"), "b": worker("b")}
	waitFor(t, 60*time.Second, "both workers have partitions", func() bool {
		return strings.Contains(ws["a"].Log(), "partitions assigned") && strings.Contains(ws["b"].Log(), "partitions assigned")
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	const customers = 50
	tiers := []string{"", "silver", "gold"}
	discount := map[string]int64{"": 0, "silver": 50, "gold": 100}
	send := func(topic, key, value string) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: runtime.Partition([]byte(key), 4), Key: []byte(key), Value: []byte(value)}
	}
	var profiles []*kgo.Record
	for i := range customers {
		c := fmt.Sprintf("c%d", i)
		profiles = append(profiles, send("customers", c, fmt.Sprintf(`{"id":"%s","name":"n%d","tier":"%s"}`, c, i, tiers[i%3])))
	}
	if err := cl.ProduceSync(context.Background(), profiles...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	seq := 0
	orders := func(n int) {
		t.Helper()
		var recs []*kgo.Record
		for range n {
			c := fmt.Sprintf("c%d", seq%customers)
			recs = append(recs, send("orders", c, fmt.Sprintf(`{"orderId":"o%d","customerId":"%s","amountCents":"1000"}`, seq, c)))
			seq++
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	// read returns every committed enriched order so far, by order id,
	// counting repeats.
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("enriched-orders"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	seen := map[string]int{}
	got := map[string]enrichedOrder{}
	readUntil := func(n int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		for len(seen) < n && ctx.Err() == nil {
			rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				var o enrichedOrder
				if err := json.Unmarshal(r.Value, &o); err != nil {
					t.Fatalf("enriched order %s: %v", r.Value, err)
				}
				seen[o.OrderID]++
				got[o.OrderID] = o
			})
		}
		if len(seen) < n {
			t.Fatalf("%d of %d orders came out within 90 s", len(seen), n)
		}
	}
	// The probe: until a round of orders all find their profile, the
	// profiles are not all read yet.
	waitFor(t, 60*time.Second, "the profiles are read", func() bool {
		from := seq
		orders(customers)
		readUntil(seq)
		for i := from; i < seq; i++ {
			if !got[fmt.Sprintf("o%d", i)].Known {
				return false
			}
		}
		return true
	})
	probed := seq
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 30 {
			orders(100)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)
	if err := ws["a"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ws["a"].cmd.Wait()
	time.Sleep(2 * time.Second)
	ws["a"] = worker("a")
	<-done
	readUntil(seq)
	time.Sleep(2 * time.Second)
	readUntil(seq)
	wrong, twice := 0, 0
	for i := probed; i < seq; i++ {
		id := fmt.Sprintf("o%d", i)
		o := got[id]
		c := i % customers
		if seen[id] > 1 {
			twice++
		}
		if !o.Known || o.Tier != tiers[c%3] || o.DiscountCents != discount[tiers[c%3]] {
			wrong++
			if wrong <= 5 {
				t.Errorf("order %s of c%d: %+v, want tier %q", id, c, o, tiers[c%3])
			}
		}
	}
	t.Logf("%d orders after the probe, %d wrong, %d committed twice", seq-probed, wrong, twice)
	if wrong > 0 || twice > 0 {
		t.Errorf("%d orders wrong and %d committed twice, want none", wrong, twice)
	}
}

// attributionModel is what the attribution example's left join emits for
// clicks and impressions (none late) once every click's window closed:
// "click>impression" for each impression of the click's user at most an
// hour before it (and not after it), and "click>" for a click with none.
func attributionModel(clicks, impressions []adEvent) map[string]int {
	want := map[string]int{}
	for _, c := range clicks {
		n := 0
		for _, i := range impressions {
			if i.user == c.user && !i.at.After(c.at) && c.at.Sub(i.at) <= time.Hour {
				want[c.id+">"+i.id]++
				n++
			}
		}
		if n == 0 {
			want[c.id+">"]++
		}
	}
	return want
}

// adEvent is a click or an impression the attribution test sends.
type adEvent struct {
	id, user string
	at       time.Time
}

// attribution is an output of the attribution example, as JSON.
type attribution struct {
	ClickID      string `json:"clickId"`
	ImpressionID string `json:"impressionId"`
}

// TestAttributionSurvivesSIGKILL (operators part 2, a windowed
// stream-stream join under exactly once): two worker processes of the
// attribution example; 2,000 clicks and impressions of 50 users stream in
// (event times 20 ms apart, so none is late) while one worker is killed
// (SIGKILL) and started again: its partitions move, and the join buffers
// go with them, restored from their changelogs. An impression per
// partition two minutes later then closes every click's window.
// read_committed sees exactly the model's attributions, each once: every
// click with each impression of its user from the hour before it, and
// every click without one unattributed.
func TestAttributionSurvivesSIGKILL(t *testing.T) {
	addr := devBroker(t)
	worker := func(id string) *proc {
		return start(t, "attribution", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off",
			"--data-dir", t.TempDir(), "--guarantee", "exactly-once", "--instance-id", id)
	}
	ws := map[string]*proc{"a": worker("a"), "b": worker("b")}
	waitFor(t, 60*time.Second, "both workers have partitions", func() bool {
		return strings.Contains(ws["a"].Log(), "partitions assigned") && strings.Contains(ws["b"].Log(), "partitions assigned")
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	record := func(topic string, e adEvent) *kgo.Record {
		v := fmt.Sprintf(`{"clickId":%q,"userId":%q,"at":%q}`, e.id, e.user, e.at.Format(time.RFC3339Nano))
		if topic == "impressions" {
			v = fmt.Sprintf(`{"impressionId":%q,"userId":%q,"campaign":"c","at":%q}`, e.id, e.user, e.at.Format(time.RFC3339Nano))
		}
		return &kgo.Record{Topic: topic, Partition: runtime.Partition([]byte(e.user), 4), Key: []byte(e.user), Value: []byte(v)}
	}
	t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	var clicks, impressions []adEvent
	n := 0
	send := func(k int) {
		t.Helper()
		var recs []*kgo.Record
		for range k {
			e := adEvent{user: fmt.Sprintf("u%d", (n*7)%50), at: t0.Add(time.Duration(n) * 20 * time.Millisecond)}
			if (n*13)%3 == 0 {
				e.id = fmt.Sprintf("k%d", n)
				clicks = append(clicks, e)
				recs = append(recs, record("clicks", e))
			} else {
				e.id = fmt.Sprintf("i%d", n)
				impressions = append(impressions, e)
				recs = append(recs, record("impressions", e))
			}
			n++
		}
		if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			send(100)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	time.Sleep(time.Second)
	if err := ws["a"].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = ws["a"].cmd.Wait()
	time.Sleep(2 * time.Second)
	ws["a"] = worker("a")
	<-done
	// Close every click's window: stream time two minutes past the last
	// click in each partition (these impressions stay buffered).
	late := t0.Add(time.Duration(n)*20*time.Millisecond + 2*time.Minute)
	for p := range int32(4) {
		for i := 0; ; i++ {
			u := fmt.Sprintf("flush-%d", i)
			if runtime.Partition([]byte(u), 4) == p {
				if err := cl.ProduceSync(context.Background(), record("impressions", adEvent{id: u, user: u, at: late})).FirstErr(); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
	}
	want := attributionModel(clicks, impressions)
	total := 0
	for _, c := range want {
		total += c
	}
	rd, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("attributions"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	got := map[string]int{}
	read := 0
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	for read < total && ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var a attribution
			if err := json.Unmarshal(r.Value, &a); err != nil {
				t.Fatalf("attribution %s: %v", r.Value, err)
			}
			got[a.ClickID+">"+a.ImpressionID]++
			read++
		})
	}
	settle, scancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer scancel()
	for settle.Err() == nil {
		rd.PollFetches(settle).EachRecord(func(r *kgo.Record) {
			var a attribution
			_ = json.Unmarshal(r.Value, &a)
			got[a.ClickID+">"+a.ImpressionID]++
			read++
		})
	}
	missing, extra := 0, 0
	for k, c := range want {
		if got[k] < c {
			missing++
			if missing <= 5 {
				t.Errorf("attribution %s: %d, want %d", k, got[k], c)
			}
		}
	}
	for k, c := range got {
		if c > want[k] {
			extra++
			if extra <= 5 {
				t.Errorf("attribution %s: %d, want %d", k, c, want[k])
			}
		}
	}
	t.Logf("%d clicks, %d impressions: %d attributions expected, %d read; %d missing, %d extra", len(clicks), len(impressions), total, read, missing, extra)
	if missing > 0 || extra > 0 {
		t.Errorf("%d attributions missing and %d extra (committed twice or wrong), want none", missing, extra)
	}
}

// quote is an output of the pricing example, as JSON.
type quote struct {
	LineID string `json:"lineId"`
	Found  bool   `json:"found"`
	Line   struct {
		Product    string `json:"product"`
		TotalCents int64  `json:"totalCents,string"`
		Known      bool   `json:"known"`
	} `json:"line"`
}

// TestPricingWithKcat (operators part 2, a foreign-key join, as a user
// runs it): a worker process of the pricing example; products (2
// partitions) and order lines (4 partitions, naming products) written
// with kcat (murmur2), then quote requests, and the quotes read back with
// kcat: each line priced with the product it names, through the join's
// internal topics; a new price reaches the line.
func TestPricingWithKcat(t *testing.T) {
	addr := devBroker(t)
	p := start(t, "pricing", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off", "--data-dir", t.TempDir())
	waitFor(t, 60*time.Second, "the worker has partitions", func() bool { return strings.Contains(p.Log(), "partitions assigned") })
	kcatProduceByKey(t, addr, "products", []string{"p1", "p2"}, []string{
		`{"productId":"p1","name":"Kettle","priceCents":"2500"}`, `{"productId":"p2","name":"Mug","priceCents":"800"}`})
	kcatProduceByKey(t, addr, "order-lines", []string{"o1-1", "o1-2"}, []string{
		`{"lineId":"o1-1","productId":"p1","qty":"2"}`, `{"lineId":"o1-2","productId":"p2","qty":"3"}`})
	asked := 0
	// ask sends a quote request of each line and reports whether some
	// quote so far prices each line at want (kcat reads partition by
	// partition: a round's quotes are anywhere among them).
	ask := func(want map[string]int64) bool {
		t.Helper()
		kcatProduceByKey(t, addr, "quote-requests", []string{"o1-1", "o1-2"}, []string{`{"lineId":"o1-1"}`, `{"lineId":"o1-2"}`})
		asked += 2
		seen := map[string]bool{}
		for _, l := range kcatConsume(t, addr, "quotes", asked) {
			var q quote
			if err := json.Unmarshal([]byte(l), &q); err != nil {
				t.Fatalf("quote %s: %v", l, err)
			}
			if q.Found && q.Line.Known && q.Line.TotalCents == want[q.LineID] {
				seen[q.LineID] = true
			}
		}
		return len(seen) == len(want)
	}
	waitFor(t, 60*time.Second, "both lines are priced", func() bool { return ask(map[string]int64{"o1-1": 5000, "o1-2": 2400}) })
	kcatProduceByKey(t, addr, "products", []string{"p1"}, []string{`{"productId":"p1","name":"Kettle","priceCents":"3000"}`})
	waitFor(t, 60*time.Second, "the new price reaches o1-1", func() bool { return ask(map[string]int64{"o1-1": 6000}) })
}
