package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/broker"
	"github.com/streamgen/streamgen/runtime/cli"
)

// wordCounter is examples/02-wordcount's agents: Split emits the words
// of a sentence, Count counts them in table counts.
type wordCounter struct {
	wordcountv1.UnimplementedWordCounterAgents
}

func (wordCounter) Split(ctx context.Context, in *wordcountv1.Sentence, out wordcountv1.WordCounterSplitEmitter) error {
	for _, w := range strings.Fields(in.GetText()) {
		if err := out.EmitWord(ctx, &wordcountv1.Word{Word: w}); err != nil {
			return err
		}
	}
	return nil
}

func (wordCounter) Count(ctx context.Context, in *wordcountv1.Word, out wordcountv1.WordCounterCountEmitter) error {
	return out.Counts().Update(ctx, func(c *wordcountv1.WordCount) error { c.Word = in.GetWord(); c.Count++; return nil })
}

func wordcountApp(t *testing.T) *runtime.App {
	t.Helper()
	app := runtime.NewApp()
	if err := wordcountv1.RegisterWordCounterAgents(app, wordCounter{}); err != nil {
		t.Fatal(err)
	}
	return app
}

// admin returns a kadm client of the broker at addr.
func admin(t *testing.T, addr string, opts ...kgo.Opt) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// committed returns the group's committed offset of each partition of
// topic (-1: none).
func committed(t *testing.T, adm *kadm.Client, group, topic string, partitions int) []int64 {
	t.Helper()
	resps, err := adm.FetchOffsetsForTopics(context.Background(), group, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, partitions)
	for p := range out {
		out[p] = -1
		if o, ok := resps.Lookup(topic, int32(p)); ok && o.Err == nil {
			out[p] = o.At
		}
	}
	return out
}

func endOffsets(t *testing.T, adm *kadm.Client, topic string, partitions int) []int64 {
	t.Helper()
	ends, err := adm.ListEndOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int64, partitions)
	for p := range out {
		o, _ := ends.Lookup(topic, int32(p))
		out[p] = o.Offset
	}
	return out
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

// runCtx is run with ctx, for commands that run until it ends; the
// caller has cleared the environment (run does it).
func runCtx(ctx context.Context, app *runtime.App, args ...string) (int, string, string) {
	var stdout, stderr syncBuffer
	code := cli.Run(ctx, app, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// syncBuffer is a bytes.Buffer safe to write and read at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// runWorkerUntil runs the command line's worker of app on addr until done
// reports true (checked every 100 ms, for up to a minute), then stops it.
func runWorkerUntil(t *testing.T, app *runtime.App, addr, dataDir string, done func() bool) {
	t.Helper()
	t.Setenv("STREAMGEN_BROKERS", "")
	t.Setenv(cli.EnvKafkaConfig, "")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	var out syncBuffer
	go func() {
		code, _, errOut := runCtx(ctx, app, "worker", "--brokers", addr, "--data-dir", dataDir, "--http-addr", "off", "--log-level", "warn")
		_, _ = out.Write([]byte(errOut))
		exit <- code
	}()
	deadline := time.Now().Add(time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			cancel()
			<-exit
			t.Fatalf("the worker did not get there in a minute; its log:\n%s", out.String())
		}
		select {
		case code := <-exit:
			t.Fatalf("the worker stopped early: exit %d\n%s", code, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("worker: exit %d\n%s", code, out.String())
	}
}

// TestReset: a worker of the word count example processes sentences and
// stops; reset moves the group's offsets (a dry run moves nothing), wipes
// the table stores, refuses while a member of the group is alive, and
// with --force removes it and resets.
func TestReset(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	adm := admin(t, addr)
	app := wordcountApp(t)
	const sentences, words, group = wordcountv1.SentenceTopicName, wordcountv1.WordTopicName, "wordcount"
	parts := int(wordcountv1.SentenceTopic.Desc().Partitions)
	dataDir := t.TempDir()

	var produced bool
	runWorkerUntil(t, app, addr, dataDir, func() bool {
		if !produced {
			if topics, err := adm.ListTopics(context.Background(), sentences); err != nil || !topics.Has(sentences) {
				return false
			}
			var recs []*kgo.Record
			for i, s := range []string{"the cat", "the dog", "a cat", "one two three", "four", "five six"} {
				recs = append(recs, &kgo.Record{Topic: sentences, Key: []byte{byte('a' + i)}, Value: mustMarshal(t, &wordcountv1.Sentence{Text: s})})
			}
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			produced = true
		}
		return sum(committed(t, adm, group, sentences, parts)) == 6 && sum(committed(t, adm, group, words, parts)) == 12
	})
	sentEnds, wordEnds := endOffsets(t, adm, sentences, parts), endOffsets(t, adm, words, parts)
	if !slices.Equal(committed(t, adm, group, sentences, parts), sentEnds) {
		t.Fatalf("after the worker: committed %v, ends %v", committed(t, adm, group, sentences, parts), sentEnds)
	}
	if _, err := os.Stat(filepath.Join(dataDir, wordcountv1.WordCounterCountsTableName)); err != nil {
		t.Fatalf("the worker left no table store: %v", err)
	}

	// A record moved to the count's repartition topic and not read yet
	// (the worker stopped): reset moves that topic's offsets to its end.
	const repart = wordcountv1.WordCounterCountRepartitionTopicName
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: repart, Partition: 0, Key: []byte("cat"),
		Value: mustMarshal(t, &wordcountv1.Word{Word: "cat"})}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	repartEnds := endOffsets(t, adm, repart, parts)
	if sum(repartEnds) == 0 || slices.Equal(committed(t, adm, group, repart, parts), repartEnds) {
		t.Fatalf("the repartition topic: ends %v, committed %v; want a record not read", repartEnds, committed(t, adm, group, repart, parts))
	}

	// A dry run prints the plan and changes nothing.
	code, out, errOut := run(t, app, "reset", "--brokers", addr, "--to-earliest", "--wipe-state", "--data-dir", dataDir)
	t.Logf("reset --to-earliest --wipe-state (a dry run):\n%s", out)
	if code != 0 || !strings.Contains(out, "dry run: nothing changed") || !strings.Contains(out, "GROUP") ||
		!strings.Contains(out, "state: would remove "+filepath.Join(dataDir, "counts")) {
		t.Errorf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(strings.Join(strings.Fields(out), " "), repart+" 0 - "+strconv.FormatInt(repartEnds[0], 10)+" (end: repartition topic)") {
		t.Errorf("dry run does not move %s's partition 0 to its end:\n%s", repart, out)
	}
	for p := range parts {
		row := strings.Join([]string{group, sentences, strconv.Itoa(p), strconv.FormatInt(sentEnds[p], 10), "0"}, " ")
		if !strings.Contains(strings.Join(strings.Fields(out), " "), row) {
			t.Errorf("dry run does not show %q:\n%s", row, out)
		}
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, sentEnds) {
		t.Errorf("the dry run moved the offsets: %v, want %v", got, sentEnds)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "counts")); err != nil {
		t.Errorf("the dry run wiped the state: %v", err)
	}

	// One agent's input, to an offset: clamped to each partition's end.
	code, out, errOut = run(t, app, "reset", "--brokers", addr, "--agent", "Split", "--to-offset", "1", "--execute")
	if code != 0 || !strings.Contains(out, "committed 4 offsets") {
		t.Fatalf("reset --to-offset 1: exit %d\n%s%s", code, out, errOut)
	}
	for p, end := range sentEnds {
		if want := min(end, 1); committed(t, adm, group, sentences, parts)[p] != want {
			t.Errorf("partition %d: committed %d, want %d", p, committed(t, adm, group, sentences, parts)[p], want)
		}
	}
	if got := committed(t, adm, group, words, parts); !slices.Equal(got, wordEnds) {
		t.Errorf("--agent Split moved %s: %v, want %v", words, got, wordEnds)
	}

	// Every input to the earliest, and the state wiped.
	code, out, errOut = run(t, app, "reset", "--brokers", addr, "--to-earliest", "--execute", "--wipe-state", "--data-dir", dataDir)
	if code != 0 {
		t.Fatalf("reset --to-earliest: exit %d\n%s%s", code, out, errOut)
	}
	for _, topic := range []string{sentences, words} {
		if got := committed(t, adm, group, topic, parts); sum(got) != 0 {
			t.Errorf("%s after --to-earliest: %v", topic, got)
		}
	}
	if got := committed(t, adm, group, repart, parts); !slices.Equal(got, repartEnds) {
		t.Errorf("%s after --to-earliest: %v, want its ends %v", repart, got, repartEnds)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "counts")); !os.IsNotExist(err) {
		t.Errorf("--wipe-state left the table store: %v", err)
	}

	// A directory that is not a data dir is refused.
	notData := t.TempDir()
	if err := os.WriteFile(filepath.Join(notData, "notes.txt"), []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run(t, app, "reset", "--brokers", addr, "--wipe-state", "--data-dir", notData, "--execute")
	if code != 1 || !strings.Contains(errOut, "does not look like a streamgen data directory") {
		t.Errorf("--wipe-state of a foreign directory: exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(notData, "notes.txt")); err != nil {
		t.Errorf("the foreign directory lost its file: %v", err)
	}

	// A live member of the group: refused, then --force.
	member, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(sentences), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		groups, err := adm.DescribeGroups(context.Background(), group)
		if err == nil && groups[group].State == "Stable" && len(groups[group].Members) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member did not join: %v %v", groups, err)
		}
		pctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		member.PollFetches(pctx)
		cancel()
	}
	code, _, errOut = run(t, app, "reset", "--brokers", addr, "--to-latest", "--execute")
	if code != 1 || !strings.Contains(errOut, "members of the group are alive: group \"wordcount\" has 1") {
		t.Errorf("reset with a live member: exit %d, %s", code, errOut)
	}
	if got := committed(t, adm, group, sentences, parts); sum(got) != 0 {
		t.Errorf("the refused reset moved the offsets: %v", got)
	}
	code, out, errOut = run(t, app, "reset", "--brokers", addr, "--to-latest", "--execute", "--force")
	t.Logf("reset --to-latest --execute --force:\n%s", out)
	if code != 0 || !strings.Contains(out, "removed 1 member: kgo@") {
		t.Fatalf("reset --force: exit %d\n%s%s", code, out, errOut)
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, sentEnds) {
		t.Errorf("after --force --to-latest: %v, want %v", got, sentEnds)
	}
}

// TestResetToDatetime: reset --to-datetime moves each partition's offset
// to its first record at or after the time, or to its end when it has
// none; its dry run prints that plan and moves nothing.
func TestResetToDatetime(t *testing.T) {
	b, err := broker.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addr()
	adm := admin(t, addr)
	app := wordcountApp(t)
	const sentences, group = wordcountv1.SentenceTopicName, "wordcount"
	parts := int(wordcountv1.SentenceTopic.Desc().Partitions)
	if parts < 3 {
		t.Fatalf("%s has %d partitions; the test needs 3", sentences, parts)
	}
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, int32(parts), 1, nil, sentences); err != nil {
		t.Fatal(err)
	}
	// Partition 0 has a record each minute from t0; partition 1 two, both
	// before the time reset moves to; partition 2 none.
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var recs []*kgo.Record
	for p, n := range map[int32]int{0: 4, 1: 2} {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: sentences, Partition: p, Timestamp: t0.Add(time.Duration(i) * time.Minute),
				Value: mustMarshal(t, &wordcountv1.Sentence{Text: "s" + strconv.Itoa(i)})})
		}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	ends := endOffsets(t, adm, sentences, parts)
	if ends[0] != 4 || ends[1] != 2 || ends[2] != 0 {
		t.Fatalf("end offsets %v; want 4, 2, 0 on partitions 0-2", ends)
	}
	// As a worker that read everything leaves them.
	var done kadm.Offsets
	for p, end := range ends {
		done.Add(kadm.Offset{Topic: sentences, Partition: int32(p), At: end, LeaderEpoch: -1})
	}
	if resp, err := adm.CommitOffsets(ctx, group, done); err != nil || resp.Error() != nil {
		t.Fatalf("committing the ends: %v %v", err, resp.Error())
	}

	// Between the second and the third record of partition 0.
	at := t0.Add(90 * time.Second).Format(time.RFC3339)
	want := slices.Clone(ends)
	want[0] = 2
	code, out, errOut := run(t, app, "reset", "--brokers", addr, "--agent", "Split", "--to-datetime", at)
	t.Logf("reset --to-datetime %s (a dry run):\n%s", at, out)
	if code != 0 || !strings.Contains(out, "dry run: nothing changed") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	for p := range parts {
		row := strings.Join([]string{group, sentences, strconv.Itoa(p), strconv.FormatInt(ends[p], 10), strconv.FormatInt(want[p], 10)}, " ")
		if !strings.Contains(strings.Join(strings.Fields(out), " "), row) {
			t.Errorf("dry run does not show %q:\n%s", row, out)
		}
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, ends) {
		t.Errorf("the dry run moved the offsets: %v, want %v", got, ends)
	}

	code, out, errOut = run(t, app, "reset", "--brokers", addr, "--agent", "Split", "--to-datetime", at, "--execute")
	if code != 0 || !strings.Contains(out, "committed "+strconv.Itoa(parts)+" offsets") {
		t.Fatalf("reset --to-datetime %s --execute: exit %d\n%s%s", at, code, out, errOut)
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, want) {
		t.Errorf("after --to-datetime %s: committed %v, want %v", at, got, want)
	}

	// Exactly a record's time, in another zone: that record is the
	// first at or after it, on partitions 0 and 1.
	at = t0.Add(time.Minute).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
	want[0], want[1] = 1, 1
	code, out, errOut = run(t, app, "reset", "--brokers", addr, "--agent", "Split", "--to-datetime", at, "--execute")
	if code != 0 {
		t.Fatalf("reset --to-datetime %s --execute: exit %d\n%s%s", at, code, out, errOut)
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, want) {
		t.Errorf("after --to-datetime %s: committed %v, want %v", at, got, want)
	}

	// Not RFC 3339: refused, nothing moved.
	code, _, errOut = run(t, app, "reset", "--brokers", addr, "--to-datetime", "2026-11-30 12:00", "--execute")
	if code == 0 || !strings.Contains(errOut, "want RFC 3339") {
		t.Errorf("reset --to-datetime with a bad time: exit %d, %s", code, errOut)
	}
	if got := committed(t, adm, group, sentences, parts); !slices.Equal(got, want) {
		t.Errorf("the refused reset moved the offsets: %v, want %v", got, want)
	}
}
