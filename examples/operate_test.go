package examples_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	"github.com/streamgen/streamgen/runtime/tableclient"
	"github.com/streamgen/streamgen/runtime/web"
)

// httpURL waits for a worker process's "serving HTTP" log line and
// returns its URL.
func httpURL(t *testing.T, p *proc) string {
	t.Helper()
	var u string
	waitFor(t, 60*time.Second, "the worker serves HTTP", func() bool {
		for _, l := range strings.Split(p.Log(), "\n") {
			if strings.Contains(l, `msg="serving HTTP"`) {
				if j := strings.Index(l, "url="); j >= 0 {
					u = strings.Fields(l[j+4:])[0]
					return true
				}
			}
		}
		return false
	})
	return u
}

// scrape reads a worker's /metrics with Prometheus's own text parser and
// sums each metric's samples whose labels include every pair of match.
func scrape(t *testing.T, base string) func(name string, match ...string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s/metrics does not parse: %v", base, err)
	}
	return func(name string, match ...string) float64 {
		var sum float64
		f := families[name]
		if f == nil {
			return 0
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(match); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || l.GetName() == match[i] && l.GetValue() == match[i+1]
				}
				if !found {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			}
		}
		return sum
	}
}

// TestTablesAcrossWorkerProcesses (operate part 1, with workers as
// processes): two wordcount workers on a dev-broker process; every word's
// count, read through either worker with the generated client, is the
// model's; their /metrics, parsed with Prometheus's parser, count the
// sentences and words exactly and show no lag; bad requests get clear
// 4xx answers; after SIGKILL of one worker, the other answers every word
// right, and while the group moves the partitions a read is either right
// or a retryable error, never a wrong count.
func TestTablesAcrossWorkerProcesses(t *testing.T) {
	addr := devBroker(t)
	start := func() *proc {
		return start(t, "wordcount", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	}
	a, b := start(), start()
	ua, ub := httpURL(t, a), httpURL(t, b)
	waitFor(t, 60*time.Second, "the group is split over both workers", func() bool {
		return strings.Contains(a.Log(), "partitions revoked") || strings.Contains(b.Log(), "partitions revoked")
	})

	vocabulary := strings.Fields("kafka stream table window agent topic partition offset commit record key value")
	var sentences []string
	want := map[string]int64{}
	for i := range 300 {
		var ws []string
		for j := range 1 + i%5 {
			w := vocabulary[(i*7+j*3)%len(vocabulary)]
			ws = append(ws, strings.ToUpper(w[:1])+w[1:])
			want[w]++
		}
		sentences = append(sentences, strings.Join(ws, " "))
	}
	words := 0
	for _, n := range want {
		words += int(n)
	}
	kcatProduce(t, addr, "sentences", sentences)

	ctx := context.Background()
	right := func(base, w string) bool {
		v, found, err := wordcountv1.NewWordCounterTablesClient(base).GetCounts(ctx, w)
		return err == nil && found && v.GetCount() == want[w]
	}
	for _, u := range []string{ua, ub} {
		for w := range want {
			waitFor(t, 60*time.Second, fmt.Sprintf("%s's count of %q via %s", w, w, u), func() bool { return right(u, w) })
		}
	}
	waitFor(t, 30*time.Second, "the metrics count every sentence and word, with no lag", func() bool {
		ma, mb := scrape(t, ua), scrape(t, ub)
		split := ma("streamgen_records_processed_total", "agent", "wordcount/Split", "outcome", "ok") +
			mb("streamgen_records_processed_total", "agent", "wordcount/Split", "outcome", "ok")
		emitted := ma("streamgen_records_emitted_total", "agent", "wordcount/Split") + mb("streamgen_records_emitted_total", "agent", "wordcount/Split")
		counted := ma("streamgen_records_processed_total", "agent", "wordcount/Count", "outcome", "ok") +
			mb("streamgen_records_processed_total", "agent", "wordcount/Count", "outcome", "ok")
		lag := ma("streamgen_consumer_lag_records") + mb("streamgen_consumer_lag_records")
		return split == float64(len(sentences)) && emitted == float64(words) && counted == float64(words) && lag == 0
	})
	// At least once, the workers commit their offsets themselves while
	// they run, and the metrics (and the page's commit chart) see it.
	waitFor(t, 30*time.Second, "the metrics count offset commits", func() bool {
		return scrape(t, ua)("streamgen_commits_total", "result", "ok")+scrape(t, ub)("streamgen_commits_total", "result", "ok") > 0
	})

	// The command line reads the same, through either way of finding a
	// worker, and shows the agents and the group's lag.
	run := func(args ...string) string {
		out, err := exec.Command(filepath.Join(bin, "wordcount"), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("wordcount %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	if got := run("tables", "get", "--table", "counts", "--url", ub, "kafka"); !strings.Contains(got, fmt.Sprintf(`"count":"%d"`, want["kafka"])) {
		t.Errorf("tables get kafka: %q, want count %d", got, want["kafka"])
	}
	if got := strings.Split(strings.TrimSpace(run("tables", "scan", "--table", "counts", "--brokers", addr)), "\n"); len(got) != len(want) {
		t.Errorf("tables scan: %d lines, want %d words:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	if got := run("tables", "list"); !strings.Contains(got, "counts") || !strings.Contains(got, "wordcount-counts-changelog") {
		t.Errorf("tables list:\n%s", got)
	}
	if got := run("agents"); !strings.Contains(got, "wordcount/Count") || !strings.Contains(got, "wordcount-count-repartition") {
		t.Errorf("agents:\n%s", got)
	}
	lag := ""
	waitFor(t, 30*time.Second, "lag shows every offset committed (committed within a second)", func() bool {
		lag = run("lag", "--brokers", addr)
		return regexp.MustCompile(`total\s+0\s`).MatchString(lag)
	})
	if !strings.Contains(lag, "sentences") || !strings.Contains(lag, "@http://") {
		t.Errorf("lag lacks the input topics or the members:\n%s", lag)
	}

	for _, c := range []struct {
		path   string
		header string
		want   int
	}{
		{"/tables/no-such-table/keys/x", "", http.StatusNotFound},
		{"/tables/counts/keys/%ff%fe", "", http.StatusBadRequest},
		{"/tables/counts/keys?limit=-3", "", http.StatusBadRequest},
		{"/tables/counts/keys/kafka", strings.Repeat("x", 64<<10), http.StatusRequestHeaderFieldsTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodGet, ua+c.path, nil)
		if c.header != "" {
			req.Header.Set("X-Big", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}

	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	// While the group moves A's partitions to B: right, or retryable.
	one := wordcountv1.NewWordCounterTablesClient(ub, tableclient.WithRetry(1, 0))
	wrong := 0
	waitFor(t, 90*time.Second, "B answers every word after A's death", func() bool {
		all := true
		for w := range want {
			v, found, err := one.GetCounts(ctx, w)
			var te *tableclient.Error
			switch {
			case err == nil && found && v.GetCount() == want[w]:
			case errors.As(err, &te) && te.Retryable:
				all = false
			default:
				wrong++
				all = false
				t.Errorf("%q during the takeover: %v found %v, %v; want %d or a retryable error", w, v, found, err, want[w])
			}
		}
		return all || wrong > 0
	})
	if wrong == 0 {
		for w := range want {
			if !right(ub, w) {
				t.Errorf("%q not answered right by B after the takeover", w)
			}
		}
	}
}

// TestRestoringWorkerIsNotReady (operate part 1, with workers as
// processes): a wordcount worker counts 200,000 distinct words and stops;
// a second worker with an empty data directory restores the table from
// its changelog. Its /readyz answers 503 until the restore is done, with
// a body naming the partitions restoring and their progress, then 200;
// and once ready, it answers the counts right.
func TestRestoringWorkerIsNotReady(t *testing.T) {
	addr := devBroker(t)
	worker := func() *proc {
		return start(t, "wordcount", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
	}
	a := worker()
	ua := httpURL(t, a)
	const sentences, perSentence = 2000, 100
	lines := make([]string, sentences)
	for i := range lines {
		ws := make([]string, perSentence)
		for j := range ws {
			ws[j] = fmt.Sprintf("w%06d", i*perSentence+j)
		}
		lines[i] = strings.Join(ws, " ")
	}
	kcatProduce(t, addr, "sentences", lines)
	waitFor(t, 120*time.Second, "the first worker counts every word", func() bool {
		m := scrape(t, ua)
		return m("streamgen_records_processed_total", "agent", "wordcount/Count", "outcome", "ok") == sentences*perSentence
	})
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Wait(); err != nil {
		t.Fatalf("the first worker exited with %v after SIGTERM", err)
	}

	b := worker()
	ub := httpURL(t, b)
	var restoring []web.Readiness // 503 answers naming restores
	for deadline := time.Now().Add(120 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 120 s; %d answers named restores", len(restoring))
		}
		code, r := readiness(t, ub)
		if code == http.StatusOK {
			if !r.Ready || len(r.Restoring) > 0 {
				t.Fatalf("200 with a body that is not ready: %+v", r)
			}
			break
		}
		if code != http.StatusServiceUnavailable || r.Ready || len(r.Waiting) == 0 {
			t.Fatalf("/readyz answered %d with %+v; want 503, not ready, saying what it waits for", code, r)
		}
		if len(r.Restoring) > 0 {
			restoring = append(restoring, r)
		}
	}
	if len(restoring) == 0 {
		t.Fatal("no 503 answer named a restoring partition: the worker was ready before its table was restored")
	}
	// The first answers may name partitions whose restore has not
	// reported progress yet; some must show it.
	var r web.Readiness
	for _, a := range restoring {
		if len(a.Restores) > 0 {
			r = a
		}
	}
	if len(r.Restores) == 0 || r.Restores[0].Table == "" || r.Restores[0].End <= 0 {
		t.Errorf("no restoring answer showed the restores' progress; the last: %+v", restoring[len(restoring)-1])
	}
	t.Logf("%d answers named restores; one: waiting %q, restoring %v, progress %+v", len(restoring), r.Waiting, r.Restoring, r.Restores)
	m := scrape(t, ub)
	if got := m("streamgen_restore_records_total"); got < sentences*perSentence {
		t.Errorf("restored %v changelog records, want at least %d", got, sentences*perSentence)
	}
	cl := wordcountv1.NewWordCounterTablesClient(ub)
	for _, i := range []int{0, 1, 99_999, 199_999} {
		w := fmt.Sprintf("w%06d", i)
		v, found, err := cl.GetCounts(context.Background(), w)
		if err != nil || !found || v.GetCount() != 1 {
			t.Errorf("%s after the restore: %v, found %v, %v; want 1", w, v, found, err)
		}
	}
}

// readiness reads a worker's /readyz: its status code and body.
func readiness(t *testing.T, base string) (int, web.Readiness) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r web.Readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz body: %v", err)
	}
	return resp.StatusCode, r
}
