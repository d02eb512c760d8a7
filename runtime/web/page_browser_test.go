package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/observe"
	"github.com/streamgen/streamgen/runtime/web"
)

// TestPageManyPartitions (headless Chromium): with a thousand partitions
// the page shows each topic as one collapsed summary line; opened, a topic
// shows a page of 50 partitions and pages on; a restoring partition shows
// its progress bar.
func TestPageManyPartitions(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("this test drives Debian's chromium, which is not on PATH (%v): run .ci/deps, or apt-get install -y chromium", err)
	}
	// A clock that stands still: the lag reports stay fresh.
	m := newMetrics(t, web.MetricsConfig{Now: newClock().Now})
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	srv := web.NewServer(web.ServerConfig{Addr: "127.0.0.1:0", Metrics: m, Threads: 1, Logger: quietLogger()})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	srv.HandlePage(web.PageConfig{App: app, URL: ts.URL})

	var owned, lags []observe.Partition
	for i := range int32(1000) {
		owned = append(owned, observe.Partition{Topic: "big", Partition: i})
	}
	lags = owned[1:]
	m.OnState(observe.State{Thread: 0, Threads: 1, Joined: true, Owned: owned, Restoring: owned[:1]})
	m.OnRestore(observe.RestoreProgress{Table: "tallies", Partition: 0, Records: 30, End: 100, Elapsed: time.Second})
	var ls []observe.Lag
	for _, p := range lags {
		ls = append(ls, observe.Lag{Partition: p, Position: 5, HighWatermark: 7})
	}
	m.OnLag(0, ls)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/")); err != nil {
		t.Fatal(err)
	}
	wait := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[any](expr, chromedp.WithPollingTimeout(time.Minute))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('partitions').innerText`))
			t.Fatalf("the page never showed %s: %v\npartitions:\n%s", what, err, body)
		}
	}
	wait("the topic collapsed, with its summary", `(() => {
		const d = document.querySelector('#partitions details[data-topic="big"]');
		return d && !d.open && d.querySelectorAll('tr').length === 0 &&
			d.querySelector('summary').textContent.includes('1000 partitions · lag 1,998');
	})()`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#partitions details[data-topic="big"] summary`))); err != nil {
		t.Fatal(err)
	}
	wait("the first page, with partition 0 restoring", `(() => {
		const rows = document.querySelectorAll('#partitions details[data-topic="big"] tbody tr');
		return rows.length === 50 && rows[0].querySelector('progress')?.value === 30 &&
			document.querySelector('#partitions .pager').textContent.includes('page 1 of 20');
	})()`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#partitions .pager button:last-child`))); err != nil {
		t.Fatal(err)
	}
	wait("the second page", fmt.Sprintf(`(() => {
		const rows = document.querySelectorAll('#partitions details[data-topic="big"] tbody tr');
		return rows.length === 50 && rows[0].cells[0].textContent === '%d' &&
			document.querySelector('#partitions .pager').textContent.includes('page 2 of 20');
	})()`, 50))
}
