package worker_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/tableclient"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "TestWebPage writes its screenshot to docs/web-page.png (the README's)")

// pageWait bounds each wait for the page to show something: generous, as
// the test waits for conditions, never for a time.
const pageWait = 2 * time.Minute

// TestWebPage (operate part 2, on the broker, in headless Chromium): two
// ledger workers serve the page. After orders and one record that cannot
// decode, the page of worker A shows what a person would look for: every
// agent of the app in the topology picture with its rates, both workers
// answering, the group's lag reaching 0 with every record processed, a
// table lookup through the browser returning the count the model
// computes, and the dead letter with its key, reason and source.
func TestWebPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("TestWebPage drives Debian's chromium, which is not on PATH (%v): run .ci/deps, or apt-get install -y chromium", err)
	}
	addr := startBroker(t)
	_, urlA := runLedgerHTTP(t, addr)
	_, urlB := runLedgerHTTP(t, addr)
	for _, u := range []string{urlA, urlB} {
		waitUntil(t, func() bool { return getJSON(t, u+"/readyz", nil) == http.StatusOK })
	}
	recs, want := orders(t, 0, 200, 10)
	bad := &kgo.Record{Topic: testapp.OrderTopicName, Key: []byte("bad-key"), Value: []byte("\xff\xff\xffx not an order")}
	produce(t, client(t, addr), append(recs, bad)...)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	defer cancel()
	// The first call starts the browser: no timeout on it (it would stop
	// the browser), each wait after has its own.
	if err := chromedp.Do(ctx, chromedp.Navigate(urlA+"/")); err != nil {
		t.Fatalf("opening %s in chromium: %v", urlA, err)
	}
	wait := func(what, expr string) string {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, pageWait)
		defer cancel()
		v, err := chromedp.Run(wctx, chromedp.Poll[any](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(pageWait)))
		if err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("the page never showed %s: %v\npage text:\n%s", what, err, body)
		}
		return fmt.Sprint(v)
	}

	// Every agent of the app is in the picture, with its rates.
	app := runtime.NewApp()
	if err := testapp.RegisterLedgerAgents(app, testapp.Ledger{}); err != nil {
		t.Fatal(err)
	}
	for _, ag := range app.Agents() {
		wait("agent "+ag.Desc.Name+" in the topology", fmt.Sprintf(
			`document.querySelector('#topology svg g[data-agent=%q] text.rate')?.textContent`, ag.Desc.Name))
	}

	// Both workers answer.
	wait("both workers answering", `document.querySelectorAll('#members tr.member').length === 2 &&
		document.querySelectorAll('#members tr.member.down').length === 0`)

	// The group's lag reaches 0, with every record processed (the dead
	// letter's included).
	processed := wait("lag 0 with every record processed", fmt.Sprintf(`(() => {
		const lag = document.getElementById('total-lag').textContent;
		const n = Number(document.getElementById('total-processed').textContent.replaceAll(',', ''));
		return lag === '0' && n >= %d && n;
	})()`, len(recs)+1))
	t.Logf("the page shows lag 0 and %s records processed", processed)

	// A table lookup through the browser shows the model's count (the
	// lanes flush to the store every 100 ms: look again until it does).
	acct := "acct-3"
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("table-select"), testapp.LedgerTalliesTableName),
		chromedp.SendKeys(chromedp.ID("table-key"), acct)); err != nil {
		t.Fatal(err)
	}
	var got tableclient.KeyResponse
	var tally testapp.Tally
	for seq := 1; ; seq++ {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("table-get"))); err != nil {
			t.Fatal(err)
		}
		text := wait("the lookup's result", fmt.Sprintf(`(() => {
			const r = document.getElementById('table-result');
			return Number(r.dataset.seq || 0) >= %d && r.textContent;
		})()`, seq))
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			t.Fatalf("lookup result %q: %v", text, err)
		}
		if got.Found {
			if err := protojson.Unmarshal(got.Value, &tally); err != nil {
				t.Fatalf("lookup value %s: %v", got.Value, err)
			}
		}
		if tally.GetCount() == want[acct] {
			break
		}
		if seq > 200 {
			t.Fatalf("the page's lookup of %s shows %s, want count %d", acct, text, want[acct])
		}
	}
	if tally.GetAccountId() != acct || got.Table != testapp.LedgerTalliesTableName {
		t.Errorf("lookup of %s: %+v %v", acct, got, &tally)
	}

	// The dead letter, with its key, reason and source.
	dead := wait("the dead letter", `(() => {
		const d = document.querySelector('#dead-letters .dead[data-agent="ledger/Add"]');
		const s = d && d.textContent;
		return s && s.includes('bad-key') && s.includes('decode') && s.includes('orders/') && s;
	})()`)
	if !strings.Contains(dead, `\xff\xff\xffx not an order`) {
		t.Errorf("the dead letter's value is not shown Go-escaped: %s", dead)
	}

	// More orders, for the screenshot to show the rates (known from the
	// page's second poll on: the counters are sampled when read).
	more, _ := orders(t, 200, 200, 10)
	produce(t, client(t, addr), more...)
	wait("an input rate", `Number(document.getElementById('total-rate').textContent.replaceAll(',', '')) > 0`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.ArtifactDir(), "web-page.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%s bytes; go test -artifacts keeps it)", path, strconv.Itoa(len(shot)))
	if *updateScreenshot {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "web-page.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/web-page.png")
	}
}
