package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/worker"
)

// orderCheck is the Revenue app checking that each account's orders (all
// from one input partition, amounts increasing) reach the handler in the
// order they were produced, whatever partition their country moves them
// to.
type orderCheck struct {
	testapp.Revenue
	mu   sync.Mutex
	last map[string]int64 // account/country -> last amount handled
	err  error
}

func (o *orderCheck) Sum(ctx context.Context, in *testapp.Order, out testapp.RevenueSumEmitter) error {
	o.mu.Lock()
	k := in.GetAccountId() + "/" + in.GetCountry()
	if prev, ok := o.last[k]; ok && in.GetAmountCents() <= prev && o.err == nil {
		o.err = fmt.Errorf("%s: order %d handled after %d", k, in.GetAmountCents(), prev)
	}
	o.last[k] = in.GetAmountCents()
	o.mu.Unlock()
	return o.Revenue.Sum(ctx, in, out)
}

func (o *orderCheck) failure() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// TestGroupByOnTheBroker (operators part 2, repartitioning): orders keyed
// by account, summed per country by an agent with group_by, at least
// once and exactly once: each country's totals come out as 1, 2, ... n
// orders, in order (a key's records keep their order through the
// repartition topic), and the last is exact.
func TestGroupByOnTheBroker(t *testing.T) {
	for _, eos := range []bool{false, true} {
		t.Run(fmt.Sprintf("exactly-once=%v", eos), func(t *testing.T) {
			addr := startBroker(t)
			seen := &orderCheck{last: map[string]int64{}}
			runStateful(t, addr, t.TempDir(), func(app *runtime.App) error {
				return testapp.RegisterRevenueAgents(app, seen)
			}, worker.WithExactlyOnce(eos), worker.WithInstanceID("a"))
			countries := []string{"de", "fr", "it", "es", "nl", "pl", "se"}
			want := map[string]int64{}
			n := map[string]int64{}
			var recs []*kgo.Record
			for i := range 1400 {
				c := countries[i%len(countries)]
				recs = append(recs, order(t, &testapp.Order{AccountId: fmt.Sprintf("acct-%d", i%50), AmountCents: int64(i), Country: c}))
				want[c] += int64(i)
				n[c]++
			}
			produce(t, client(t, addr), recs...)
			got := readCommitted(t, addr, testapp.CountryTotalTopicName, 1400, time.Second)
			next := map[string]int64{}
			for _, r := range got {
				m, err := testapp.CountryTotalTopic.Decode(r.Value)
				if err != nil {
					t.Fatal(err)
				}
				c := m.GetCountry()
				next[c]++
				if m.GetOrders() != next[c] {
					t.Fatalf("%s: total of %d orders after %d: out of order or twice", c, m.GetOrders(), next[c]-1)
				}
				if m.GetOrders() == n[c] && m.GetAmountCents() != want[c] {
					t.Errorf("%s: %d cents, want %d", c, m.GetAmountCents(), want[c])
				}
			}
			if len(got) != 1400 {
				t.Errorf("%d totals, want 1400", len(got))
			}
			if err := seen.failure(); err != nil {
				t.Error(err)
			}
		})
	}
}
