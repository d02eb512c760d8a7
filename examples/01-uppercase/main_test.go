package main

import (
	"context"
	"testing"

	"github.com/streamgen/streamgen/runtime/streamtest"
	"go.uber.org/mock/gomock"

	uppercasev1 "example.com/uppercase/gen/uppercase/v1"
	"example.com/uppercase/gen/uppercase/v1/uppercasev1mock"
)

// TestUppercaseWithDriver runs the app in the in-process test driver: no
// broker.
func TestUppercaseWithDriver(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for _, s := range []string{"hello", "Straße"} {
		if err := streamtest.Send(d, uppercasev1.EventTopic, &uppercasev1.Event{Text: s}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := streamtest.Output(d, uppercasev1.ProcessedTopic)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].GetText() != "HELLO" || got[1].GetText() != "STRAßE" {
		t.Errorf("outputs %v", got)
	}
	if dl := d.DeadLetters(uppercasev1.UppercaseUppercaseDeadLetterTopicName); len(dl) != 0 {
		t.Errorf("unexpected dead letters: %v", dl)
	}
}

// TestUppercaseWithMock drives the agent with the generated gomock
// emitter (generated with -mock uber: go.uber.org/mock).
func TestUppercaseWithMock(t *testing.T) {
	ctrl := gomock.NewController(t)
	out := uppercasev1mock.NewMockUppercaseUppercaseEmitter(ctrl)
	ctx := context.Background()
	out.EXPECT().EmitProcessed(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, p *uppercasev1.Processed) error {
		if p.GetText() != "ABC" {
			t.Errorf("emitted %q", p.GetText())
		}
		return nil
	})
	if err := (Agents{}).Uppercase(ctx, &uppercasev1.Event{Text: "abc"}, out); err != nil {
		t.Fatal(err)
	}
}
