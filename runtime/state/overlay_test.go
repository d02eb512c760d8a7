package state

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOverlayMergesWritesIntoAPrefixScanInKeyOrder(t *testing.T) {
	st := NewMemory()
	for _, k := range []string{"a1", "a3", "a5", "b1"} {
		if err := st.Write([]KV{{Key: []byte(k), Value: []byte("store-" + k)}}); err != nil {
			t.Fatal(err)
		}
	}
	over := []KV{
		{Key: []byte("a4"), Value: []byte("new-a4")},
		{Key: []byte("a3"), Delete: true},
		{Key: []byte("a5"), Value: []byte("first")},
		{Key: []byte("a5"), Value: []byte("new-a5")}, // the last write of a key wins
		{Key: []byte("a9"), Value: []byte("new-a9")}, // past the store's last key
		{Key: []byte("a0"), Value: []byte("new-a0")}, // before its first
	}
	var got []string
	err := Overlay(func(fn func(k, v []byte) error) error { return ScanPrefix(st, []byte("a"), fn) }, over,
		func(k, v []byte) error { got = append(got, fmt.Sprintf("%s=%s", k, v)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := "a0=new-a0 a1=store-a1 a4=new-a4 a5=new-a5 a9=new-a9"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("scan = %s, want %s", s, want)
	}
	// An error from fn ends the scan and comes back; ErrStop ends it quietly.
	boom := errors.New("boom")
	n := 0
	err = Overlay(func(fn func(k, v []byte) error) error { return ScanPrefix(st, []byte("a"), fn) }, over,
		func(k, v []byte) error { n++; return boom })
	if !errors.Is(err, boom) || n != 1 {
		t.Fatalf("err = %v after %d keys, want boom after 1", err, n)
	}
	// ErrStop ends it quietly, wherever it comes from: an overlay key
	// before the store's, the store's, or an overlay key after them.
	for _, c := range []struct {
		over []KV
		want string
	}{
		{[]KV{{Key: []byte("a0"), Value: []byte("x")}, {Key: []byte("a9"), Value: []byte("y")}}, "a0"},
		{[]KV{{Key: []byte("a9"), Value: []byte("y")}}, "a1"},
		{[]KV{{Key: []byte("a1"), Delete: true}, {Key: []byte("a3"), Delete: true}, {Key: []byte("a5"), Delete: true}, {Key: []byte("a9"), Value: []byte("y")}}, "a9"},
	} {
		var calls []string
		err = Overlay(func(fn func(k, v []byte) error) error { return ScanPrefix(st, []byte("a"), fn) }, c.over,
			func(k, v []byte) error { calls = append(calls, string(k)); return ErrStop })
		if err != nil || strings.Join(calls, " ") != c.want {
			t.Errorf("ErrStop with over %v: calls %v, err %v; want only %s, no error", c.over, calls, err, c.want)
		}
	}
}
