package examples_test

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
	"google.golang.org/protobuf/proto"

	accountsv1 "github.com/streamgen/streamgen/examples/05-accounts/gen/accounts/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/tableclient"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "TestWebPage writes its screenshot to docs/web-page.png (the README's)")

// pageWait bounds each wait for the page to show something: generous, as
// the test waits for conditions, never for a time.
const pageWait = 2 * time.Minute

// accountsApp is the accounts example's app as registered, for its agent
// names (the binary runs the agents).
func accountsApp() (*runtime.App, error) {
	app := runtime.NewApp()
	return app, accountsv1.RegisterAccountsAgents(app, accountsv1.UnimplementedAccountsAgents{})
}

// TestWebPage (operate part 2, in headless Chromium): two worker
// processes of the accounts example (tables, windows, exactly once) on a
// dev-broker process serve the page. After deposits and one record that
// cannot decode, the page of worker A shows what a person would look for:
// every agent of the app in the topology picture with its rates, both
// workers answering, the group's lag reaching 0 with every record
// processed, a table lookup through the browser returning the balance a
// model computes, and the dead letter with its key, reason and source.
func TestWebPage(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("TestWebPage drives Debian's chromium, which is not on PATH (%v): run .ci/deps, or apt-get install -y chromium", err)
	}
	addr := devBroker(t)
	a := start(t, "accounts", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	b := start(t, "accounts", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	ua, ub := httpURL(t, a), httpURL(t, b)
	for _, u := range []string{ua, ub} {
		waitFor(t, 60*time.Second, u+" is ready", func() bool {
			resp, err := http.Get(u + "/readyz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	want := map[string]int64{}
	var recs []*kgo.Record
	base := time.Now().Add(-time.Minute)
	for i := range 200 {
		acct := fmt.Sprintf("acct-%d", i%10)
		amount := int64(1 + i%7)
		want[acct] += amount
		v, err := proto.Marshal(&accountsv1.Deposit{AccountId: acct, Seq: int64(i), Amount: amount, AtMs: base.Add(time.Duration(i) * time.Millisecond).UnixMilli()})
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: accountsv1.DepositTopicName, Key: []byte(acct), Value: v})
	}
	recs = append(recs, &kgo.Record{Topic: accountsv1.DepositTopicName, Key: []byte("bad-key"), Value: []byte("\xff\xff\xffx not a deposit")})
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000),
		chromedp.Flag("disable-dev-shm-usage", true))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc, chromedp.WithLogf(t.Logf))
	defer cancel()
	// The first call starts the browser: no timeout on it (it would stop
	// the browser), each wait after has its own.
	if err := chromedp.Do(ctx, chromedp.Navigate(ua+"/")); err != nil {
		t.Fatalf("opening %s in chromium: %v", ua, err)
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
	app, err := accountsApp()
	if err != nil {
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
	})()`, len(recs)))
	t.Logf("the page shows lag 0 and %s records processed", processed)

	// A table lookup through the browser shows the model's count (the
	// lanes flush to the store every 100 ms: look again until it does).
	acct := "acct-3"
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID("table-select"), "balances"),
		chromedp.SendKeys(chromedp.ID("table-key"), acct)); err != nil {
		t.Fatal(err)
	}
	var got tableclient.KeyResponse
	var balance accountsv1.Balance
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
			if err := protojson.Unmarshal(got.Value, &balance); err != nil {
				t.Fatalf("lookup value %s: %v", got.Value, err)
			}
		}
		if balance.GetBalance() == want[acct] {
			break
		}
		if seq > 200 {
			t.Fatalf("the page's lookup of %s shows %s, want balance %d", acct, text, want[acct])
		}
	}
	if balance.GetAccountId() != acct || got.Table != "balances" {
		t.Errorf("lookup of %s: %+v %v", acct, got, &balance)
	}

	// The dead letter, with its key, reason and source.
	dead := wait("the dead letter", `(() => {
		const d = document.querySelector('#dead-letters .dead[data-agent="accounts/Apply"]');
		const s = d && d.textContent;
		return s && s.includes('bad-key') && s.includes('decode') && s.includes('deposits/') && s;
	})()`)
	if !strings.Contains(dead, `\xff\xff\xffx not a deposit`) {
		t.Errorf("the dead letter's value is not shown Go-escaped: %s", dead)
	}

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
		if err := os.WriteFile(filepath.Join("..", "docs", "web-page.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/web-page.png")
	}
}
