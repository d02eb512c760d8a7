package generate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrap(t *testing.T) {
	got := wrap("aa bb  cc\ndd eeeeeeeeee f", 8)
	want := []string{"aa bb cc", "dd", "eeeeeeeeee", "f"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wrap (-want +got):\n%s", diff)
	}
}

func TestProtoCommentBlocks(t *testing.T) {
	width := 20
	in := []string{
		" short line",
		" stays as written",
		"",
		" this paragraph has one line far too long",
		" and a second",
		"",
		"     code block lines are never wrapped, however long",
		" - a list item stays its own paragraph",
		" - short item",
	}
	var got []string
	for _, b := range proseBlocks(in) {
		got = append(got, rewrapBlock(b, width)...)
	}
	want := []string{
		" short line",
		" stays as written",
		"",
		" this paragraph has",
		" one line far too",
		" long and a second",
		"",
		"     code block lines are never wrapped, however long",
		" - a list item stays",
		" its own paragraph",
		" - short item",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("proto comment (-want +got):\n%s", diff)
	}
	for _, l := range got {
		if len(l) > width && !strings.HasPrefix(l, "  ") {
			t.Errorf("prose line over %d: %q", width, l)
		}
	}
}
