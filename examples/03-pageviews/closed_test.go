package main

import (
	"context"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	pageviewsv1 "github.com/streamgen/streamgen/examples/03-pageviews/gen/pageviews/v1"
	"github.com/streamgen/streamgen/examples/03-pageviews/gen/pageviews/v1/pageviewsv1mock"
	"github.com/streamgen/streamgen/runtime"
)

// TestClosedWithMockEmitter unit-tests the on_window_close handler with
// the generated mock: the window it is called for comes from the
// emitter's Window method, so the test sets it like any other call.
func TestClosedWithMockEmitter(t *testing.T) {
	ctrl := gomock.NewController(t)
	out := pageviewsv1mock.NewMockPageViewsClosedEmitter(ctrl)
	ctx := context.Background()
	w := runtime.ClosedWindow{Table: "views", Key: []byte("/home"), Start: t0, End: t0.Add(time.Minute)}
	out.EXPECT().Window().Return(w)
	out.EXPECT().EmitPageViewWindow(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, m *pageviewsv1.PageViewWindow) error {
		if m.GetPage() != "/home" || !m.GetStart().AsTime().Equal(t0) || m.GetViews() != 7 {
			t.Errorf("emitted %v, want /home from %v with 7 views", m, t0)
		}
		return nil
	})
	if err := (Agents{}).Closed(ctx, &pageviewsv1.ViewCount{Views: 7}, out); err != nil {
		t.Fatal(err)
	}
}
