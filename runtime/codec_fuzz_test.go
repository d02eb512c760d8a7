package runtime_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
)

// decodeOrFail decodes value with desc and checks the error contract: an
// error is a *runtime.DecodeError naming the topic and its codec, with no
// message; a success is a message of the topic's type.
func decodeOrFail(t *testing.T, desc *runtime.TopicDesc, value []byte) (proto.Message, bool) {
	t.Helper()
	m, err := desc.Decode(value)
	if err != nil {
		var de *runtime.DecodeError
		if !errors.As(err, &de) || de.Topic != desc.Name || de.Codec != desc.Codec || de.Err == nil {
			t.Fatalf("Decode(%q) on %s: %v (%T), want a *runtime.DecodeError naming the topic and %v", value, desc.Name, err, err, desc.Codec)
		}
		if m != nil {
			t.Fatalf("Decode(%q) on %s returned %v with its error", value, desc.Name, m)
		}
		return nil, false
	}
	if m == nil || string(m.ProtoReflect().Descriptor().FullName()) != desc.MessageName {
		t.Fatalf("Decode(%q) on %s = %v, want a %s", value, desc.Name, m, desc.MessageName)
	}
	return m, true
}

// roundTrip checks that a decoded message encodes, that the encoding
// decodes to an equal message, and that encoding is a fixed point from
// there: the same bytes again.
func roundTrip(t *testing.T, desc *runtime.TopicDesc, value []byte, m proto.Message) {
	t.Helper()
	enc, err := desc.Encode(m)
	if err != nil {
		t.Fatalf("Encode of %v, decoded from %q on %s: %v", m, value, desc.Name, err)
	}
	m2, err := desc.Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Encode(Decode(%q))) = %v on %s; encoded %q", value, err, desc.Name, enc)
	}
	if !proto.Equal(m, m2) {
		t.Fatalf("%s: %q decodes to %v, which encodes to %q, which decodes to %v", desc.Name, value, m, enc, m2)
	}
	enc2, err := desc.Encode(m2)
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("%s: encoding is not stable: %q then %q (%v)", desc.Name, enc, enc2, err)
	}
}

// FuzzDecodeProto feeds arbitrary record bytes to CODEC_PROTO topics:
// Decode fails exactly when protobuf binary does, with a *DecodeError,
// and a decoded message round trips (unknown fields included) and yields
// its key field as the record key.
func FuzzDecodeProto(f *testing.F) {
	for _, m := range []proto.Message{
		&testapp.Order{AccountId: "a1", AmountCents: 7, Note: "panic"},
		&testapp.Order{AmountCents: -1},
		&testapp.Alert{AccountId: "ü", Reason: "large"},
	} {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff})
	f.Add([]byte{0x0a, 0x02, 0xc3, 0x28})             // account_id: invalid UTF-8
	f.Add([]byte{0x10, 0x80, 0x80, 0x80, 0x80, 0x80}) // amount_cents: truncated varint
	f.Add([]byte{0x22, 0x03, 'x', 'y', 'z'})          // field 4: unknown
	f.Fuzz(func(t *testing.T, value []byte) {
		for _, desc := range []*runtime.TopicDesc{testapp.OrderTopic.Desc(), testapp.AlertTopic.Desc()} {
			m, ok := decodeOrFail(t, desc, value)
			if want := proto.Unmarshal(value, desc.New()) == nil; ok != want {
				t.Fatalf("Decode(%q) on %s succeeded: %v; proto.Unmarshal: %v", value, desc.Name, ok, want)
			}
			if !ok {
				continue
			}
			roundTrip(t, desc, value, m)
		}
		if o, err := testapp.OrderTopic.Decode(value); err == nil {
			rec, err := testapp.OrderTopic.Record(o)
			if err != nil || string(rec.Key) != o.GetAccountId() || rec.Topic != testapp.OrderTopicName {
				t.Fatalf("Record(%v) = %+v, %v; want key %q", o, rec, err, o.GetAccountId())
			}
		}
	})
}

// FuzzDecodeJSON feeds arbitrary record bytes to CODEC_JSON topics:
// Decode never panics, fails with a *DecodeError, and a decoded message
// encodes (as JSON and as protobuf binary) and decodes back equal.
func FuzzDecodeJSON(f *testing.F) {
	for _, rec := range []func() (*runtime.Record, error){
		func() (*runtime.Record, error) {
			return testapp.ReceiptTopic.Record(&testapp.Receipt{AccountId: "a1", AmountCents: 9})
		},
		func() (*runtime.Record, error) {
			return testapp.TallyTopic.Record(&testapp.Tally{AccountId: "a1", Count: 3, SumCents: -12, OverLimit: true, MinuteCents: 1})
		},
	} {
		r, err := rec()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(r.Value)
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{not json`,
		`{"accountId": "a1", "amountCents": "5"}`,
		`{"account_id": "a1", "amount_cents": 5}`,
		`{"accountId": "a1", "account_id": "a2"}`,
		`{"count": "9223372036854775808"}`,
		`{"count": 1e3, "overLimit": "true"}`,
		`{"accountId": "\ud800"}`,
		`{"tip": {"nested": [1, 2, {"x": null}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		for _, desc := range []*runtime.TopicDesc{testapp.ReceiptTopic.Desc(), testapp.TallyTopic.Desc(), wordcountv1.WordCountTopic.Desc()} {
			m, ok := decodeOrFail(t, desc, value)
			if !ok {
				continue
			}
			roundTrip(t, desc, value, m)
			// What a JSON topic accepts is a valid message for every codec.
			b, err := proto.Marshal(m)
			if err != nil {
				t.Fatalf("%s: %q decodes to %v, which protobuf binary refuses: %v", desc.Name, value, m, err)
			}
			m2 := desc.New()
			if err := proto.Unmarshal(b, m2); err != nil || !proto.Equal(m, m2) {
				t.Fatalf("%s: %v through protobuf binary gives %v, %v", desc.Name, m, m2, err)
			}
		}
	})
}

// FuzzDecodeRaw feeds arbitrary record bytes to a CODEC_RAW topic: every
// value decodes, and encodes back to exactly the same bytes.
func FuzzDecodeRaw(f *testing.F) {
	f.Add([]byte("Hello streamgen"))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xfe, 0x00})
	f.Add([]byte("\xc3\x28 invalid UTF-8"))
	f.Fuzz(func(t *testing.T, value []byte) {
		desc := wordcountv1.SentenceTopic.Desc()
		m, ok := decodeOrFail(t, desc, value)
		if !ok {
			t.Fatalf("Decode(%q) on raw topic %s failed", value, desc.Name)
		}
		enc, err := desc.Encode(m)
		if err != nil || !bytes.Equal(enc, value) {
			t.Fatalf("raw %s: Encode(Decode(%q)) = %q, %v", desc.Name, value, enc, err)
		}
		s, err := wordcountv1.SentenceTopic.Decode(value)
		if err != nil || s.GetText() != string(value) {
			t.Fatalf("raw %s: typed Decode(%q) = %v, %v", desc.Name, value, s, err)
		}
		rec, err := wordcountv1.SentenceTopic.Record(s)
		if err != nil || !bytes.Equal(rec.Value, value) || rec.Key != nil {
			t.Fatalf("raw %s: Record(%v) = %+v, %v", desc.Name, s, rec, err)
		}
	})
}
