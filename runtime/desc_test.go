package runtime_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// TestDecodeJSONSkipsUnknownFields: a CodecJSON topic decodes a record
// holding a field its message does not declare, as protobuf binary does,
// so a producer may add a field before its readers know it; a topic with
// StrictJSON rejects it with a *DecodeError naming the field.
func TestDecodeJSONSkipsUnknownFields(t *testing.T) {
	value := []byte(`{"accountId": "a1", "amountCents": "5", "tip": 3}`)
	lenient := *testapp.ReceiptTopic.Desc()
	if lenient.StrictJSON {
		t.Fatal("receipts topic declares strict_json; the test needs the default")
	}
	m, err := lenient.Decode(value)
	if err != nil {
		t.Fatalf("Decode with an unknown field: %v", err)
	}
	if r := m.(*testapp.Receipt); r.GetAccountId() != "a1" || r.GetAmountCents() != 5 {
		t.Errorf("Decode = %v, want account a1, 5 cents", r)
	}

	strict := lenient
	strict.StrictJSON = true
	_, err = strict.Decode(value)
	var de *runtime.DecodeError
	if !errors.As(err, &de) || de.Topic != "receipts" || de.Codec != runtime.CodecJSON || !strings.Contains(err.Error(), `unknown field "tip"`) {
		t.Errorf("strict Decode with an unknown field: %v, want a *DecodeError naming \"tip\"", err)
	}
	if _, err := strict.Decode([]byte(`{"accountId": "a1"}`)); err != nil {
		t.Errorf("strict Decode of known fields: %v", err)
	}
}

// TestFutureEventPolicy pins the policies' values, which generated code
// and the schema's FutureEvent enum share, and their schema names.
func TestFutureEventPolicy(t *testing.T) {
	for _, c := range []struct {
		p    runtime.FutureEventPolicy
		n    int
		name string
	}{
		{runtime.FutureEventDeadLetter, 1, "FUTURE_EVENT_DEAD_LETTER"},
		{runtime.FutureEventClamp, 2, "FUTURE_EVENT_CLAMP"},
		{runtime.FutureEventPolicy(0), 0, "FutureEventPolicy(0)"},
	} {
		if int(c.p) != c.n || c.p.String() != c.name {
			t.Errorf("policy %d: value %d, String %q; want %d, %q", c.n, int(c.p), c.p.String(), c.n, c.name)
		}
	}
}
