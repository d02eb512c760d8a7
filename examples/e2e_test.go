// Package examples_test runs the examples as a team would: built as
// binaries, as processes, against `streamgen dev-broker`, fed and read by
// clients we did not write (kcat, franz-go).
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/kafka"
)

var bin string // directory of the built binaries

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "streamgen-e2e-")
	if err != nil {
		panic(err)
	}
	bin = dir
	code := func() int {
		defer os.RemoveAll(dir)
		build := func(wd, out, pkg string) error {
			cmd := exec.Command("go", "build", "-o", filepath.Join(dir, out), pkg)
			cmd.Dir = wd
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
			}
			return nil
		}
		if err := build("..", "streamgen", "./cmd/streamgen"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// The service-repo test works offline (GOPROXY=off): fetch the
		// example's modules (its mocks' gomock too) while the proxy is
		// allowed.
		dl := exec.Command("go", "mod", "download")
		dl.Dir = "01-uppercase"
		if b, err := dl.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go mod download in 01-uppercase: %v\n%s", err, b)
			return 1
		}
		if err := build("..", "wordcount", "./examples/02-wordcount"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("..", "accounts", "./examples/05-accounts"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("..", "pricing", "./examples/10-pricing"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("..", "attribution", "./examples/09-attribution"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("..", "orders", "./examples/08-orders"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("..", "activity", "./examples/06-activity"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// The runtime tests' Tallies app (a timer on each partition), for
		// the tests that kill its workers.
		if err := build("..", "tallies", "./runtime/internal/testapp/cmd/tallies"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := build("01-uppercase", "uppercase", "."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// proc is a child process whose stderr is kept for the test log.
type proc struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	log bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

func (p *proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func start(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, name, args...)
}

// startEnv starts a built binary with env added to the environment.
func startEnv(t *testing.T, env []string, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(filepath.Join(bin, name), args...)}
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout = p
	p.cmd.Stderr = p
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = p.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				_ = p.cmd.Process.Kill()
				<-done
				t.Errorf("%s did not stop within 30s of SIGTERM", name)
			}
		}
		if t.Failed() {
			t.Logf("%s %v output:\n%s", name, args, p.Log())
		}
	})
	return p
}

func devBroker(t *testing.T, args ...string) string {
	t.Helper()
	_, addr := devBrokerProc(t, args...)
	return addr
}

func devBrokerProc(t *testing.T, args ...string) (*proc, string) {
	t.Helper()
	addrFile := filepath.Join(t.TempDir(), "addr")
	p := start(t, "streamgen", append([]string{"dev-broker", "-addr-file", addrFile}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(addrFile); err == nil {
			return p, strings.TrimSpace(string(b))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("dev-broker wrote no address within 30s")
	return nil, ""
}

// TestDevBrokerDataDirSurvivesRestart: a dev-broker restarted on the same
// port and data directory still has its topics and records.
func TestDevBrokerDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	p, addr := devBrokerProc(t, "-data-dir", dir)
	// The dev broker, like a careful production cluster, does not create
	// topics on first use: workers create theirs at start-up.
	if err := kafka.EnsureTopics(context.Background(), kafka.Config{Brokers: addr, Logger: slog.Default()},
		[]*runtime.TopicDesc{{Name: "kept", Partitions: 1, ReplicationFactor: -1}}); err != nil {
		t.Fatal(err)
	}
	kcatProduce(t, addr, "kept", []string{"one", "two", "three"})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("dev-broker exited with %v after SIGTERM", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	_, addr2 := devBrokerProc(t, "-data-dir", dir, "-port", port)
	if addr2 != addr {
		t.Fatalf("restarted on %s, want %s", addr2, addr)
	}
	got := kcatConsume(t, addr2, "kept", 3)
	if strings.Join(got, ",") != "one,two,three" {
		t.Errorf("after restart read %v", got)
	}
}

func worker(t *testing.T, addr string) *proc {
	t.Helper()
	p := start(t, "uppercase", "worker", "--brokers", addr, "--session-timeout", "3s")
	waitFor(t, 60*time.Second, "worker joins and gets partitions", func() bool {
		return strings.Contains(p.Log(), "partitions assigned")
	})
	return p
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func kcatProduce(t *testing.T, addr, topic string, lines []string) {
	t.Helper()
	cmd := exec.Command("kcat", "-b", addr, "-t", topic, "-P")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
}

// kcatProduceKeyed produces each line with itself as key (kcat -K).
func kcatProduceKeyed(t *testing.T, addr, topic string, lines []string) {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\t" + l + "\n")
	}
	cmd := exec.Command("kcat", "-b", addr, "-t", topic, "-P", "-K", "\t")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P -K: %v\n%s", err, out)
	}
}

// kcatProduceByKey produces line i with key keys[i], in the partition
// Kafka's default partitioner (murmur2) gives the key, as the worker
// expects a topic keyed by a field to be partitioned.
func kcatProduceByKey(t *testing.T, addr, topic string, keys, lines []string) {
	t.Helper()
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(keys[i] + "\t" + l + "\n")
	}
	cmd := exec.Command("kcat", "-b", addr, "-t", topic, "-P", "-K", "\t", "-X", "topic.partitioner=murmur2_random")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P -K: %v\n%s", err, out)
	}
}

func kcatConsume(t *testing.T, addr, topic string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kcat", "-b", addr, "-t", topic, "-C", "-o", "beginning",
		"-c", fmt.Sprint(n), "-q", "-f", "%s\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat -C %s: %v (read %q)", topic, err, out)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// TestUppercaseWithKcat: the seed's story. A worker process runs on a
// dev-broker process; kcat writes lines to my-topic and reads them back
// uppercased from processed-topic.
func TestUppercaseWithKcat(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Fatal("kcat is not installed: `apt-get install -y kcat` (.ci/run does it)")
	}
	addr := devBroker(t)
	worker(t, addr)
	lines := []string{"hello", "streamgen", "schema-first streams", "ünïcode ok"}
	kcatProduce(t, addr, "my-topic", lines)
	got := kcatConsume(t, addr, "processed-topic", len(lines))
	want := make([]string, len(lines))
	for i, l := range lines {
		want[i] = strings.ToUpper(l)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("kcat read %q, want %q", got, want)
	}
}

// TestTakeoverAfterSIGKILL: two worker processes share my-topic's 4
// partitions; one is killed with SIGKILL mid-stream; the other takes its
// partitions over and every input line comes out uppercased at least once.
func TestTakeoverAfterSIGKILL(t *testing.T) {
	addr := devBroker(t)
	a := worker(t, addr)
	b := worker(t, addr)
	// Both members hold partitions before the kill.
	waitFor(t, 30*time.Second, "the group is split over both workers", func() bool {
		return strings.Contains(a.Log(), "partitions revoked") && strings.Contains(b.Log(), "partitions assigned")
	})
	const n = 40000
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf("line-%06d", i)
	}
	kcatProduce(t, addr, "my-topic", lines[:n/2])
	seen := map[string]bool{}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("processed-topic"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	read := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { seen[string(r.Value)] = true })
	}
	for len(seen) == 0 {
		read(time.Second)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	t.Logf("killed worker A after %d outputs were visible", len(seen))
	// Keyed, so the second half spreads over every partition, A's too
	// (unkeyed, librdkafka's sticky partitioning may put a whole burst on
	// B's partitions, and nothing would need taking over).
	kcatProduceKeyed(t, addr, "my-topic", lines[n/2:])
	deadline := time.Now().Add(90 * time.Second)
	for len(seen) < n && time.Now().Before(deadline) {
		read(time.Second)
	}
	var lost []string
	for _, l := range lines {
		if !seen[strings.ToUpper(l)] {
			lost = append(lost, l)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d lines never came out (first: %v)", len(lost), n, lost[:min(5, len(lost))])
	}
	if !strings.Contains(b.Log(), "partitions assigned") || strings.Count(b.Log(), "partitions assigned") < 2 {
		t.Errorf("worker B never took over partitions:\n%s", b.Log())
	}
}

// TestServiceRepoLayout: 01-uppercase is laid out as a team's repository.
// Copied elsewhere, `go generate` and `go build` work and regenerate the
// checked-in code byte for byte.
func TestServiceRepoLayout(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "uppercase")
	if err := copyTree("01-uppercase", dst); err != nil {
		t.Fatal(err)
	}
	gomod := filepath.Join(dst, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("tool github.com/streamgen/streamgen/cmd/streamgen")) {
		t.Error("go.mod does not pin the generator with a tool directive")
	}
	b = bytes.ReplaceAll(b, []byte("=> ../.."), []byte("=> "+root))
	if err := os.WriteFile(gomod, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Remove the generated code, so go generate must write it again.
	if err := os.RemoveAll(filepath.Join(dst, "gen")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"generate", "./..."}, {"build", "./..."}, {"vet", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = dst
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	err = filepath.Walk(filepath.Join("01-uppercase", "gen"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("01-uppercase", path)
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join(dst, rel))
		if err != nil {
			t.Errorf("%s: not regenerated: %v", rel, err)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: stale generated file: regenerated content differs; run `make generate`", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyTree(src, dst string) error {
	return filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, bufio.NewReader(in)); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// TestGracefulStopCommits: SIGTERM makes a worker finish its work, commit
// and leave; a worker started after it goes on from the committed
// offsets, so no input is processed twice.
func TestGracefulStopCommits(t *testing.T) {
	addr := devBroker(t)
	a := worker(t, addr)
	var first []string
	for i := 0; i < 2000; i++ {
		first = append(first, fmt.Sprintf("first-%04d", i))
	}
	kcatProduce(t, addr, "my-topic", first)
	kcatConsume(t, addr, "processed-topic", len(first))
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("worker did not exit within 30s of SIGTERM")
	}
	if !strings.Contains(a.Log(), "worker stopped") {
		t.Errorf("no clean stop in the log:\n%s", a.Log())
	}
	worker(t, addr)
	// One new line per partition: once all four are out, anything the new
	// worker re-read from before them (per-partition order) is out too.
	for p := 0; p < 4; p++ {
		cmd := exec.Command("kcat", "-b", addr, "-t", "my-topic", "-P", "-p", fmt.Sprint(p))
		cmd.Stdin = strings.NewReader(fmt.Sprintf("second-%d\n", p))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat: %v %s", err, out)
		}
	}
	out := kcatConsume(t, addr, "processed-topic", len(first)+4)
	// Read a little longer: duplicates would show up as extra records.
	time.Sleep(2 * time.Second)
	all := kcatConsumeAll(t, addr, "processed-topic")
	if len(all) != len(first)+4 {
		t.Errorf("processed-topic holds %d records, want %d: inputs were processed again after a graceful stop", len(all), len(first)+4)
	}
	_ = out
}

// kcatConsumeAll reads every record of topic that exists now.
func kcatConsumeAll(t *testing.T, addr, topic string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "kcat", "-b", addr, "-t", topic, "-C", "-o", "beginning", "-e", "-q", "-f", "%s\n").Output()
	if err != nil {
		t.Fatalf("kcat -C -e %s: %v", topic, err)
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// TestWordCountSurvivesSIGKILL: two wordcount workers share the app; one
// is killed with SIGKILL mid-stream; the survivor restores the dead one's
// table partitions from the changelog and goes on. No increment is lost:
// every word's final count is at least its number of occurrences (at
// least once: a record in flight at the kill may be counted twice).
func TestWordCountSurvivesSIGKILL(t *testing.T) {
	addr := devBroker(t)
	startWC := func() *proc {
		p := start(t, "wordcount", "worker", "--brokers", addr, "--session-timeout", "3s",
			"--data-dir", t.TempDir())
		waitFor(t, 60*time.Second, "worker ready", func() bool { return strings.Contains(p.Log(), "worker started") })
		return p
	}
	a := startWC()
	b := startWC()
	waitFor(t, 30*time.Second, "both workers hold partitions", func() bool {
		return strings.Contains(a.Log(), "partitions assigned") && strings.Contains(b.Log(), "partitions assigned")
	})
	words := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}
	var lines []string
	want := map[string]int64{}
	for i := 0; i < 6000; i++ {
		w1, w2 := words[i%len(words)], words[(i/3)%len(words)]
		lines = append(lines, w1+" "+w2)
		want[w1]++
		want[w2]++
	}
	kcatProduce(t, addr, "sentences", lines[:3000])
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("word-counts"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]int64{}
	seen := 0
	read := func(d time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			var wc struct {
				Word  string `json:"word"`
				Count string `json:"count"`
			}
			if err := json.Unmarshal(r.Value, &wc); err != nil {
				t.Errorf("word-counts record %q: %v", r.Value, err)
				return
			}
			n, _ := strconv.ParseInt(wc.Count, 10, 64)
			got[wc.Word] = max(got[wc.Word], n)
			seen++
		})
	}
	for seen == 0 {
		read(time.Second)
	}
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	t.Logf("killed worker A after %d counts were visible", seen)
	kcatProduce(t, addr, "sentences", lines[3000:])
	complete := func() bool {
		for w, n := range want {
			if got[w] < n {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(90 * time.Second)
	for !complete() && time.Now().Before(deadline) {
		read(time.Second)
	}
	for w, n := range want {
		if got[w] < n {
			t.Errorf("%s: final count %d < %d occurrences: increments were lost", w, got[w], n)
		}
	}
	if !strings.Contains(b.Log(), "table partition restored") {
		t.Errorf("worker B restored no table partition after the kill:\n%s", b.Log())
	}
}

// TestMisplacedKeyWithKcat (hardening fault 3, as a user meets it): kcat's
// default partitioner (consistent_random: CRC32 of the key) puts two
// records of a word in another partition than the worker's murmur2 does;
// a third is written with -X partitioner=murmur2_random. The wordcount
// worker moves the two through its repartition topic to the word's
// partition, and the word's count reaches 3 (before: 2 in one partition's
// store, 1 in another's).
func TestMisplacedKeyWithKcat(t *testing.T) {
	addr := devBroker(t)
	p := start(t, "wordcount", "worker", "--brokers", addr, "--session-timeout", "3s")
	waitFor(t, 60*time.Second, "worker joins and gets partitions", func() bool {
		return strings.Contains(p.Log(), "partitions assigned")
	})
	const parts = 4 // words' partitions (wordcount.proto)
	word := ""
	for _, w := range []string{"cat", "dog", "owl", "elk", "emu", "yak", "bee", "ant", "fox", "gnu"} {
		if int32(crc32.ChecksumIEEE([]byte(w))%parts) != runtime.Partition([]byte(w), parts) {
			word = w
			break
		}
	}
	if word == "" {
		t.Fatal("no candidate word is placed differently by CRC32 and murmur2")
	}
	// A Word message {word: w}: field 1's tag (0x0a, a newline byte, so
	// records are delimited by "|"), the length, the bytes.
	line := word + "\t" + string(append([]byte{0x0a, byte(len(word))}, word...)) + "|"
	for _, args := range [][]string{nil, nil, {"-X", "partitioner=murmur2_random"}} {
		cmd := exec.Command("kcat", append([]string{"-b", addr, "-t", "words", "-P", "-K", "\t", "-D", "|"}, args...)...)
		cmd.Stdin = strings.NewReader(line)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat -P: %v\n%s", err, out)
		}
	}
	got := kcatConsume(t, addr, "word-counts", 3)
	counts := map[int64]bool{}
	for _, l := range got {
		var c struct {
			Word  string `json:"word"`
			Count string `json:"count"`
		}
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("count %q: %v", l, err)
		}
		n, _ := strconv.ParseInt(c.Count, 10, 64)
		counts[n] = true
	}
	if !counts[1] || !counts[2] || !counts[3] {
		t.Errorf("counts of %q: %q; want 1, 2 and 3 (one running count across partitions)", word, got)
	}
	if !strings.Contains(p.Log(), "repartitioned") {
		t.Error("the worker did not log the misplaced records")
	}
}

// TestWorkersServeHTTP: worker processes started from the command line
// serve HTTP by default on 127.0.0.1:6066, or on a free port when that is
// taken (a second worker on the machine); each answers /healthz, turns
// ready, and serves Prometheus metrics; --http-addr off serves nothing.
func TestWorkersServeHTTP(t *testing.T) {
	addr := devBroker(t)
	urlOf := func(p *proc) string {
		var u string
		waitFor(t, 60*time.Second, "the worker serves HTTP", func() bool {
			for _, l := range strings.Split(p.Log(), "\n") {
				if i := strings.Index(l, `msg="serving HTTP"`); i >= 0 {
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
	a, b := worker(t, addr), worker(t, addr)
	ua, ub := urlOf(a), urlOf(b)
	if ua == ub {
		t.Fatalf("both workers serve %s", ua)
	}
	status := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, u := range []string{ua, ub} {
		if st, body := status(u + "/healthz"); st != http.StatusOK {
			t.Errorf("%s/healthz: %d %s", u, st, body)
		}
		waitFor(t, 60*time.Second, "the worker is ready", func() bool { st, _ := status(u + "/readyz"); return st == http.StatusOK })
		if st, body := status(u + "/metrics"); st != http.StatusOK || !strings.Contains(body, "streamgen_partitions_owned") {
			t.Errorf("%s/metrics: %d, no streamgen_partitions_owned", u, st)
		}
	}
	off := start(t, "uppercase", "worker", "--brokers", addr, "--session-timeout", "3s", "--http-addr", "off")
	waitFor(t, 60*time.Second, "the third worker joins", func() bool { return strings.Contains(off.Log(), "worker started") })
	if strings.Contains(off.Log(), "serving HTTP") {
		t.Error("--http-addr off served HTTP")
	}
}
