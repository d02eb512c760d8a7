// Command pageviews counts page views per page in one-minute tumbling
// windows and emits each window's final count once, when it closes (stream
// time past its end plus 10 s of grace, or the wall clock when the
// partition is idle):
//
//	go run ./examples/03-pageviews demo \
//	    '{"page":"/home","at":"2026-01-01T00:00:01Z"}' \
//	    '{"page":"/home","at":"2026-01-01T00:00:30Z"}' \
//	    '{"page":"/home","at":"2026-01-01T00:01:15Z"}'
//
// prints the final count of [00:00, 01:00), 2 views, once the third view
// moves stream time past the window's end plus grace.
//
//	go run ./examples/03-pageviews worker --brokers host:9092
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/03-pageviews proto/pageviews/v1/pageviews.proto

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/protobuf/types/known/timestamppb"

	pageviewsv1 "github.com/streamgen/streamgen/examples/03-pageviews/gen/pageviews/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements pageviewsv1.PageViewsAgents.
type Agents struct {
	pageviewsv1.UnimplementedPageViewsAgents
}

// Count adds one to the page's current window.
func (Agents) Count(ctx context.Context, in *pageviewsv1.PageView, out pageviewsv1.PageViewsCountEmitter) error {
	return out.Views().Update(ctx, func(c *pageviewsv1.ViewCount) error {
		c.Views++
		return nil
	})
}

// Closed emits a closed window's final count; out.Window() says which
// window (its key is the page).
func (Agents) Closed(ctx context.Context, in *pageviewsv1.ViewCount, out pageviewsv1.PageViewsClosedEmitter) error {
	w := out.Window()
	return out.EmitPageViewWindow(ctx, &pageviewsv1.PageViewWindow{
		Page:  string(w.Key),
		Start: timestamppb.New(w.Start),
		End:   timestamppb.New(w.End),
		Views: in.GetViews(),
	})
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := pageviewsv1.RegisterPageViewsAgents(app, Agents{}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	app, err := NewApp()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
