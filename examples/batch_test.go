package examples_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// archive reads the activity example's archive directory: how many times
// each page was archived, and the size of the largest file.
func archive(t *testing.T, dir string) (pages map[string]int, largest int) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	pages = map[string]int{}
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var c struct{ Page string }
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			pages[c.Page]++
			n++
		}
		f.Close()
		largest = max(largest, n)
	}
	return pages, largest
}

// TestBatchesSurviveSIGKILL (operators part 1, batching, at least once):
// the activity example's worker process archives clicks in batches of up
// to 500; it is killed with SIGKILL while it works through them and
// started again: every click is in the archive (some twice: at least
// once), and no archive file holds more than 500.
func TestBatchesSurviveSIGKILL(t *testing.T) {
	addr := devBroker(t)
	dir := t.TempDir()
	env := []string{"ARCHIVE_DIR=" + dir}
	worker := func() *proc {
		return startEnv(t, env, "activity", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off", "--data-dir", t.TempDir())
	}
	// Clicks keyed by user, in their user's partition (the app's Track
	// agent keeps sessions per user: unkeyed clicks would each go through
	// its repartition topic first).
	clicks := func(from, n int) {
		var keys, lines []string
		for i := from; i < from+n; i++ {
			keys = append(keys, fmt.Sprintf("u%d", i%97))
			lines = append(lines, fmt.Sprintf(`{"userId":"u%d","page":"/p/%d","at":"%d"}`, i%97, i, time.Now().UnixMilli()))
		}
		kcatProduceByKey(t, addr, "clicks", keys, lines)
	}
	w := worker()
	waitFor(t, 60*time.Second, "the worker joins", func() bool { return strings.Contains(w.Log(), "partitions assigned") })
	clicks(0, 10000)
	waitFor(t, 60*time.Second, "the first batches are archived", func() bool {
		pages, _ := archive(t, dir)
		return len(pages) > 0
	})
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = w.cmd.Wait()
	before, _ := archive(t, dir)
	clicks(10000, 10000)
	worker()
	waitFor(t, 120*time.Second, "every click is archived", func() bool {
		pages, _ := archive(t, dir)
		return len(pages) == 20000
	})
	pages, largest := archive(t, dir)
	twice := 0
	for _, n := range pages {
		if n > 1 {
			twice++
		}
	}
	if largest > 500 {
		t.Errorf("an archive file holds %d clicks, want at most 500", largest)
	}
	t.Logf("archived before the kill: %d clicks; after: all 20000, %d of them twice (at least once)", len(before), twice)
	if len(before) >= 10000 {
		t.Logf("the kill came after the first half was archived: the test did not kill mid-stream this time")
	}
}

// TestActivityDemo: the example's demo (embedded broker and worker) shows
// the batch of the click it sent and stops, though its heartbeat timer
// emits a pulse every second (demo reads only what the values cause).
func TestActivityDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "activity"), "demo", `{"userId":"u1","page":"/home","at":"1767261600000"}`)
	cmd.Env = append(os.Environ(), "ARCHIVE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `read from archived-batches: {"file":`) {
		t.Fatalf("activity demo: %v\n%s", err, out)
	}
}
