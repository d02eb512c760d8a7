package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// TestPartitionMatchesJavaClient checks murmur2 against the Java client's
// published test vectors and against franz-go's Java-compatible
// partitioner.
func TestPartitionMatchesJavaClient(t *testing.T) {
	vectors := map[string]int32{
		"21":                         -973932308,
		"foobar":                     -790332482,
		"a-little-bit-long-string":   -985981536,
		"a-little-bit-longer-string": -1486304829,
		"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
		"abc": 479470107,
	}
	for key, hash := range vectors {
		want := int32(uint32(hash)&0x7fffffff) % 1000
		if got := runtime.Partition([]byte(key), 1000); got != want {
			t.Errorf("Partition(%q, 1000) = %d, want %d", key, got, want)
		}
	}
	part := kgo.StickyKeyPartitioner(nil).ForTopic("t")
	for i := 0; i < 1000; i++ {
		key := []byte(fmt.Sprintf("key-%d", i))
		for _, n := range []int32{1, 3, 8, 12} {
			want := int32(part.Partition(&kgo.Record{Key: key}, int(n)))
			if got := runtime.Partition(key, n); got != want {
				t.Fatalf("Partition(%q, %d) = %d, franz-go says %d", key, n, got, want)
			}
		}
	}
}

func TestCodecsRoundTrip(t *testing.T) {
	// Protobuf binary, keyed.
	rec, err := testapp.OrderTopic.Record(&testapp.Order{AccountId: "a1", AmountCents: 7})
	if err != nil || string(rec.Key) != "a1" {
		t.Fatalf("Record: %v %v", rec, err)
	}
	o, err := testapp.OrderTopic.Decode(rec.Value)
	if err != nil || o.GetAmountCents() != 7 {
		t.Errorf("Decode: %v %v", o, err)
	}
	// JSON.
	rec, _ = testapp.ReceiptTopic.Record(&testapp.Receipt{AccountId: "a1", AmountCents: 9})
	if !strings.Contains(string(rec.Value), `"amountCents":"9"`) {
		t.Errorf("JSON value %s", rec.Value)
	}
	// A value that does not decode names topic and codec.
	_, err = testapp.OrderTopic.Decode([]byte{0xff, 0xff})
	var de *runtime.DecodeError
	if !errors.As(err, &de) || de.Topic != "orders" || de.Codec != runtime.CodecProto {
		t.Errorf("Decode garbage: %v", err)
	}
	if _, err := testapp.ReceiptTopic.Decode([]byte("{not json")); !errors.As(err, &de) || de.Codec != runtime.CodecJSON {
		t.Errorf("Decode bad JSON: %v", err)
	}
}

type both struct {
	testapp.UnimplementedCheckoutAgents
}

func TestRegisterRejectsSecondApp(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, both{}); err != nil {
		t.Fatal(err)
	}
	err := testapp.RegisterAuditAgents(app, testapp.UnimplementedAuditAgents{})
	if err == nil || !strings.Contains(err.Error(), `app "checkout"`) {
		t.Errorf("second Register: %v", err)
	}
	if got := len(app.Topics()); got != 4 { // orders, receipts, alerts, dead letters
		t.Errorf("Topics() has %d topics, want 4", got)
	}
}

// TestUnimplementedGoesToErrorPolicy: a record reaching an agent that is
// not implemented is an error for the policy, not a crash.
func TestUnimplementedGoesToErrorPolicy(t *testing.T) {
	app := runtime.NewApp()
	if err := testapp.RegisterCheckoutAgents(app, both{}); err != nil {
		t.Fatal(err)
	}
	rec, _ := testapp.OrderTopic.Record(&testapp.Order{AccountId: "x"})
	rec.Topic = "orders"
	_, err := app.Agents()[0].NewProcessor(nil, nil).Process(context.Background(), rec)
	if !errors.Is(err, runtime.ErrUnimplemented) {
		t.Errorf("Process = %v, want ErrUnimplemented", err)
	}
}
