//go:build !sgworker

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/IBM/sarama"
	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/proto"

	benchv1 "github.com/streamgen/streamgen/examples/bench/gen/bench/v1"
	"github.com/streamgen/streamgen/runtime/broker"
)

// The peers' contenders, the harness and the broker: left out of the
// sgworker build.
func init() {
	contenders["handwritten"] = func(ctx context.Context, brokers, _ string) error { return handwritten(ctx, brokers) }
	contenders["franz-go"] = func(ctx context.Context, brokers, _ string) error { return franzLoop(ctx, brokers) }
	contenders["goka"] = func(ctx context.Context, brokers, _ string) error { return gokaProcessor(ctx, brokers) }
	contenders["goka-count"] = func(ctx context.Context, brokers, _ string) error { return gokaCount(ctx, brokers) }
	contenders["plain-consume"] = func(ctx context.Context, brokers, _ string) error { return plainConsume(ctx, brokers) }
	commands["broker"] = runBroker
	commands["harness"] = harness
}

func runBroker(args []string) int {
	fs := flag.NewFlagSet("broker", flag.ExitOnError)
	addrFile := fs.String("addr-file", "", "write the address here")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := broker.Run(ctx, func(addr string) {
		_ = os.WriteFile(*addrFile+".tmp", []byte(addr), 0o644)
		_ = os.Rename(*addrFile+".tmp", *addrFile)
	}, broker.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// ---- contenders ----

// tunedConsumer is a confluent-kafka-go consumer reading from the earliest
// offset, committing only when told, with the fetch backoff streamgen uses.
func tunedConsumer(brokers, group string) (*ck.Consumer, error) {
	return ck.NewConsumer(&ck.ConfigMap{
		"bootstrap.servers":      brokers,
		"group.id":               group,
		"auto.offset.reset":      "earliest",
		"enable.auto.commit":     false,
		"fetch.queue.backoff.ms": 10,
		"enable.metrics.push":    false,
	})
}

// handwritten is the loop a team writes by hand on confluent-kafka-go, with
// the same tuned consumer settings streamgen uses, at least once: it
// flushes its outputs before each commit.
func handwritten(ctx context.Context, brokers string) error {
	c, err := tunedConsumer(brokers, "bench-handwritten")
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := ck.NewProducer(&ck.ConfigMap{
		"bootstrap.servers":         brokers,
		"linger.ms":                 5,
		"enable.idempotence":        true,
		"go.delivery.report.fields": "none",
		"enable.metrics.push":       false,
	})
	if err != nil {
		return err
	}
	defer p.Close()
	go func() {
		for ev := range p.Events() {
			if m, ok := ev.(*ck.Message); ok && m.TopicPartition.Error != nil {
				fmt.Fprintln(os.Stderr, "delivery failed:", m.TopicPartition.Error)
				os.Exit(1)
			}
		}
	}()
	if err := c.Subscribe(inTopic, nil); err != nil {
		return err
	}
	out := "bench-out-handwritten"
	n := 0
	commit := func() error {
		for p.Len() > 0 {
			p.Flush(10)
		}
		if _, err := c.Commit(); err != nil {
			var ke ck.Error
			if !errors.As(err, &ke) || ke.Code() != ck.ErrNoOffset {
				return err
			}
		}
		return nil
	}
	last := time.Now()
	for ctx.Err() == nil {
		ev := c.Poll(100)
		switch m := ev.(type) {
		case *ck.Message:
			first()
			for {
				err := p.Produce(&ck.Message{
					TopicPartition: ck.TopicPartition{Topic: &out, Partition: ck.PartitionAny},
					Key:            m.Key,
					Value:          bytes.ToUpper(m.Value),
				}, nil)
				var ke ck.Error
				if errors.As(err, &ke) && ke.Code() == ck.ErrQueueFull {
					p.Flush(10)
					continue
				}
				if err != nil {
					return err
				}
				break
			}
			n++
		}
		if n >= 10000 || time.Since(last) > 100*time.Millisecond {
			if err := commit(); err != nil {
				return err
			}
			n, last = 0, time.Now()
		}
	}
	return commit()
}

// franzLoop is the same uppercase loop written on franz-go (pure Go, no
// librdkafka), at least once: each polled batch is produced, flushed, then
// its offsets are committed. It shows this machine's practical limit for
// the work with a Go client.
func franzLoop(ctx context.Context, brokers string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumerGroup("bench-franz-go"), kgo.ConsumeTopics(inTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.ProducerLinger(5*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	var recs []*kgo.Record
	for ctx.Err() == nil {
		fs := cl.PollRecords(ctx, 10000)
		if fs.IsClientClosed() || ctx.Err() != nil {
			break
		}
		recs = recs[:0]
		fs.EachRecord(func(r *kgo.Record) {
			first()
			recs = append(recs, &kgo.Record{Topic: "bench-out-franz-go", Key: r.Key, Value: bytes.ToUpper(r.Value)})
		})
		if len(recs) == 0 {
			continue
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return err
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			return err
		}
	}
	return nil
}

// runGoka runs a Goka processor of g from the oldest offset: the input is
// written before the processor starts (Goka's default is the newest).
func runGoka(ctx context.Context, brokers string, g *goka.GroupGraph) error {
	cfg := goka.DefaultConfig()
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	goka.ReplaceGlobalConfig(cfg)
	p, err := goka.NewProcessor(strings.Split(brokers, ","), g)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

func gokaProcessor(ctx context.Context, brokers string) error {
	out := goka.Stream("bench-out-goka")
	g := goka.DefineGroup("bench-goka",
		goka.Input(goka.Stream(inTopic), new(codec.Bytes), func(gctx goka.Context, msg any) {
			first()
			gctx.Emit(out, gctx.Key(), bytes.ToUpper(msg.([]byte)))
		}),
		goka.Output(out, new(codec.Bytes)),
	)
	return runGoka(ctx, brokers, g)
}

// gokaCount counts per key with Goka's default storage (LevelDB) and
// emits each new count.
func gokaCount(ctx context.Context, brokers string) error {
	out := goka.Stream("bench-out-goka-count")
	g := goka.DefineGroup("bench-goka-count",
		goka.Input(goka.Stream(inTopic), new(codec.Bytes), func(gctx goka.Context, msg any) {
			first()
			var n int64
			if v := gctx.Value(); v != nil {
				n = v.(int64)
			}
			n++
			gctx.SetValue(n)
			gctx.Emit(out, gctx.Key(), n)
		}),
		goka.Output(out, new(codec.Int64)),
		goka.Persist(new(codec.Int64)),
	)
	return runGoka(ctx, brokers, g)
}

// plainConsume reads the count table's changelog with a plain
// confluent-kafka-go consumer (tuned fetch.queue.backoff.ms) and reports
// the rate, for comparison with the restore.
func plainConsume(ctx context.Context, brokers string) error {
	c, err := tunedConsumer(brokers, "bench-plain-consume")
	if err != nil {
		return err
	}
	defer c.Close()
	topic := benchv1.BenchCountCountsChangelogTopicName
	var total int64
	for p := int32(0); p < 8; p++ {
		_, hi, err := c.QueryWatermarkOffsets(topic, p, 5000)
		if err != nil {
			return err
		}
		total += hi
	}
	var tps []ck.TopicPartition
	for p := int32(0); p < 8; p++ {
		tps = append(tps, ck.TopicPartition{Topic: &topic, Partition: p, Offset: ck.OffsetBeginning})
	}
	if err := c.Assign(tps); err != nil {
		return err
	}
	var n int64
	var start time.Time
	for n < total && ctx.Err() == nil {
		if m, ok := c.Poll(100).(*ck.Message); ok && m.TopicPartition.Error == nil {
			if n == 0 {
				start = time.Now()
			}
			n++
		}
	}
	fmt.Printf("RESTORED %d %d\n", n, time.Since(start).Nanoseconds())
	<-ctx.Done()
	return nil
}

// ---- harness ----

type result struct {
	name    string
	rate    float64 // records/s
	cpuPer  time.Duration
	rssMiB  float64
	elapsed time.Duration
}

func harness(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	records := fs.Int("records", 1000000, "input records")
	size := fs.Int("size", 100, "value bytes per record")
	partitions := fs.Int("partitions", 8, "input partitions")
	keys := fs.Int("keys", 10000, "distinct keys")
	which := fs.String("contenders", "handwritten,goka,streamgen", "contenders to run, in order")
	runs := fs.Int("runs", 3, "rounds; each contender runs once per round, and medians are reported")
	memLimit := fs.String("memlimit", "", "if set, GOMEMLIMIT for the streamgen contenders' processes only (e.g. 80MiB)")
	_ = fs.Parse(args)

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, err := startBroker(self)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer b.stop()
	addr := b.addr
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(100000))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx := context.Background()
	names := strings.Split(*which, ",")
	topics := []string{inTopic}
	for _, n := range names {
		topics = append(topics, "bench-out-"+n)
	}
	if _, err := adm.CreateTopics(ctx, int32(*partitions), 1, nil, topics...); err != nil {
		fmt.Fprintln(os.Stderr, "create topics:", err)
		return 1
	}
	if err := createStateTopics(ctx, adm, names, int32(*partitions)); err != nil {
		fmt.Fprintln(os.Stderr, "create state topics:", err)
		return 1
	}
	fmt.Printf("broker %s (kfake, its own process); writing %d records of %d bytes over %d partitions, %d keys\n",
		addr, *records, *size, *partitions, *keys)
	if err := fill(ctx, cl, *records, *size, *keys); err != nil {
		fmt.Fprintln(os.Stderr, "produce input:", err)
		return 1
	}
	if slices.Contains(names, "streamgen-stream-join") {
		if err := fillJoin(ctx, adm, cl, *records, *size, *keys, int32(*partitions)); err != nil {
			fmt.Fprintln(os.Stderr, "produce the stream join's inputs:", err)
			return 1
		}
	}
	if slices.Contains(names, "streamgen-join") {
		if err := fillProfiles(ctx, adm, cl, *keys, int32(*partitions)); err != nil {
			fmt.Fprintln(os.Stderr, "produce profiles:", err)
			return 1
		}
	}
	all := map[string][]result{}
	for round := 1; round <= *runs; round++ {
		if round > 1 {
			if err := reset(ctx, adm, names, int32(*partitions)); err != nil {
				fmt.Fprintln(os.Stderr, "reset between rounds:", err)
				return 1
			}
		}
		for _, n := range names {
			r, err := runOne(ctx, self, addr, adm, n, int64(*records), *memLimit)
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", n, err)
				return 1
			}
			fmt.Printf("round %d  %-12s %9.0f records/s  %6.2f µs CPU/record  peak RSS %6.1f MiB  (%v)\n",
				round, r.name, r.rate, float64(r.cpuPer.Nanoseconds())/1000, r.rssMiB, r.elapsed.Round(time.Millisecond))
			all[n] = append(all[n], r)
		}
	}
	med := map[string]result{}
	fmt.Printf("\nmedians of %d rounds:\n", *runs)
	for _, n := range names {
		rs := all[n]
		m := result{name: n, rate: median(rs, func(r result) float64 { return r.rate }),
			cpuPer: time.Duration(median(rs, func(r result) float64 { return float64(r.cpuPer) })),
			rssMiB: median(rs, func(r result) float64 { return r.rssMiB })}
		med[n] = m
		fmt.Printf("%-12s %9.0f records/s  %6.2f µs CPU/record  peak RSS %6.1f MiB\n",
			n, m.rate, float64(m.cpuPer.Nanoseconds())/1000, m.rssMiB)
	}
	if e, ok := med["streamgen-count-eos"]; ok {
		if k, ok := med["kstream-count"]; ok {
			fmt.Printf("streamgen-count-eos / kstream-count (both exactly once) rate %.2fx\n", e.rate/k.rate)
		}
		if c, ok := med["streamgen-count"]; ok {
			fmt.Printf("streamgen-count-eos / streamgen-count (exactly once vs at least once) rate %.2fx\n", e.rate/c.rate)
			var ratios []string
			for i := range all["streamgen-count-eos"] {
				ratios = append(ratios, fmt.Sprintf("%.2fx", all["streamgen-count-eos"][i].rate/all["streamgen-count"][i].rate))
			}
			fmt.Printf("streamgen-count-eos / streamgen-count rate per round: %s\n", strings.Join(ratios, " "))
		}
	}
	pairRatio(med, all, "streamgen-session-count", "streamgen-window-count", "session vs tumbling windows")
	pairRatio(med, all, "streamgen-join", "streamgen-count", "a stream-table join vs the stateful count")
	pairRatio(med, all, "streamgen-batch", "streamgen", "batch agent vs per-record agent")
	if c, ok := med["streamgen-count"]; ok {
		if sg, ok := med["streamgen"]; ok {
			fmt.Printf("streamgen-count / streamgen (stateful vs stateless) rate %.2fx\n", c.rate/sg.rate)
		}
		if g, ok := med["goka-count"]; ok {
			fmt.Printf("streamgen-count / goka-count rate %.2fx\n", c.rate/g.rate)
		}
		// The last round's changelog is in place: restore it, and read it
		// plainly, alternating.
		var rr, pr []float64
		var recs int64
		for i := 0; i < *runs; i++ {
			r, n, rss, err := runRestore(self, addr, "streamgen-restore")
			if err != nil {
				fmt.Fprintln(os.Stderr, "restore:", err)
				return 1
			}
			p, _, _, err := runRestore(self, addr, "plain-consume")
			if err != nil {
				fmt.Fprintln(os.Stderr, "plain consume:", err)
				return 1
			}
			fmt.Printf("restore %d  streamgen restore %9.0f records/s   plain consume %9.0f records/s  (%d changelog records; restoring worker's peak RSS %.1f MiB)\n", i+1, r, p, n, rss)
			rr, pr, recs = append(rr, r), append(pr, p), n
		}
		sort.Float64s(rr)
		sort.Float64s(pr)
		fmt.Printf("restore / plain consume of the changelog (%d records, medians): %.2fx\n", recs, rr[len(rr)/2]/pr[len(pr)/2])
	}
	if sg, ok := med["streamgen"]; ok {
		for _, n := range names {
			if n == "streamgen" {
				continue
			}
			r := med[n]
			fmt.Printf("streamgen / %-12s rate %.2fx  CPU per record %.2fx\n", n, sg.rate/r.rate, float64(sg.cpuPer)/float64(r.cpuPer))
		}
		// Ratios within each round, where noise hits both alike.
		for _, n := range names {
			if n == "streamgen" {
				continue
			}
			var ratios []string
			for i := range all[n] {
				ratios = append(ratios, fmt.Sprintf("%.2fx", all["streamgen"][i].rate/all[n][i].rate))
			}
			fmt.Printf("streamgen / %-12s rate per round: %s\n", n, strings.Join(ratios, " "))
		}
	}
	return 0
}

// brokerProcess is the broker command of the harness's binary, running.
type brokerProcess struct {
	addr string // its listener's address
	pid  int
	stop func() // stops it and waits for it to exit
}

// startBroker starts the broker command of self (kfake, as `streamgen
// dev-broker` runs it) in a process of its own.
func startBroker(self string) (*brokerProcess, error) {
	dir, err := os.MkdirTemp("", "streamgen-bench-")
	if err != nil {
		return nil, err
	}
	addrFile := filepath.Join(dir, "addr")
	cmd := exec.Command(self, "broker", "-addr-file", addrFile)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	b := &brokerProcess{pid: cmd.Process.Pid, stop: func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}}
	for i := 0; i < 300 && b.addr == ""; i++ {
		if data, err := os.ReadFile(addrFile); err == nil {
			b.addr = string(data)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.addr == "" {
		b.stop()
		return nil, errors.New("broker did not start")
	}
	return b, nil
}

// stateTopics are the state topics of the stateful contenders, deleted
// between rounds.
var stateTopics = []string{"bench-goka-count-table", benchv1.BenchCountCountsChangelogTopicName, benchv1.BenchCountEosCountsChangelogTopicName,
	"bench-kstream-count-counts-changelog", benchv1.BenchWindowCountCountsChangelogTopicName, benchv1.BenchSessionCountCountsChangelogTopicName,
	benchv1.BenchStreamJoinPairJoinInputChangelogTopicName, benchv1.BenchStreamJoinPairJoinStreamChangelogTopicName}

// createStateTopics creates Goka's group table topic (Goka would ask for
// replication 2, which one broker cannot give); streamgen creates its
// changelog itself.
func createStateTopics(ctx context.Context, adm *kadm.Client, names []string, partitions int32) error {
	for _, n := range names {
		if n != "goka-count" {
			continue
		}
		compact := "compact"
		for attempt := 0; ; attempt++ {
			res, err := adm.CreateTopics(ctx, partitions, 1, map[string]*string{"cleanup.policy": &compact}, "bench-goka-count-table")
			if err == nil && res.Error() == nil {
				break
			}
			if attempt == 50 {
				if err == nil {
					err = res.Error()
				}
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// runRestore starts a contender that prints "RESTORED <records> <ns>" and
// returns its rate.
func runRestore(self, addr, name string) (float64, int64, float64, error) {
	dir, err := os.MkdirTemp("", "streamgen-bench-restore-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	bin, err := binaryFor(self, name)
	if err != nil {
		return 0, 0, 0, err
	}
	cmd := exec.Command(bin, name, "-brokers", addr, "-data-dir", dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	peak := watchHWM(cmd.Process.Pid)
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	buf := make([]byte, 64<<10)
	var acc []byte
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		k, err := stdout.Read(buf)
		acc = append(acc, buf[:k]...)
		if i := bytes.Index(acc, []byte("RESTORED ")); i >= 0 {
			if j := bytes.IndexByte(acc[i:], '\n'); j > 0 {
				var recs, ns int64
				if _, err := fmt.Sscanf(string(acc[i:i+j]), "RESTORED %d %d", &recs, &ns); err != nil {
					return 0, 0, 0, err
				}
				return float64(recs) / (float64(ns) / 1e9), recs, peak(), nil
			}
		}
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s ended without reporting: %v", name, err)
		}
	}
	return 0, 0, 0, errors.New("no report within 5 minutes")
}

func median(rs []result, f func(result) float64) float64 {
	vs := make([]float64, len(rs))
	for i, r := range rs {
		vs[i] = f(r)
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

// reset forgets every contender's progress: their groups' offsets and
// their outputs, so the next round processes the same input from the start.
func reset(ctx context.Context, adm *kadm.Client, names []string, partitions int32) error {
	var groups, outs []string
	for _, n := range names {
		groups = append(groups, "bench-"+n)
		outs = append(outs, "bench-out-"+n)
	}
	if _, err := adm.DeleteGroups(ctx, groups...); err != nil {
		return err
	}
	if _, err := adm.DeleteTopics(ctx, append(outs, stateTopics...)...); err != nil {
		return err
	}
	if err := createStateTopics(ctx, adm, names, partitions); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		res, err := adm.CreateTopics(ctx, partitions, 1, nil, outs...)
		if err == nil && res.Error() == nil {
			return nil
		}
		if attempt == 50 {
			if err == nil {
				err = res.Error()
			}
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fillProfiles writes the join contender's profiles: one per key of the
// input, on the compacted topic its table is fed from.
func fillProfiles(ctx context.Context, adm *kadm.Client, cl *kgo.Client, keys int, partitions int32) error {
	compact := "compact"
	if _, err := adm.CreateTopics(ctx, partitions, 1, map[string]*string{"cleanup.policy": &compact}, "bench-profiles"); err != nil {
		return err
	}
	var recs []*kgo.Record
	for i := range keys {
		v, err := proto.Marshal(&benchv1.Profile{Name: fmt.Sprintf("profile %d", i), Tier: int64(i % 3)})
		if err != nil {
			return err
		}
		recs = append(recs, &kgo.Record{Topic: "bench-profiles", Key: []byte(fmt.Sprintf("key-%05d", i)), Value: v})
	}
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// fillJoin writes the stream join contender's two inputs: n records of
// size bytes on each side, record i of both with key i mod keys and
// timestamp base+i ms, so that each left record pairs with its right
// twin only.
func fillJoin(ctx context.Context, adm *kadm.Client, cl *kgo.Client, n, size, keys int, partitions int32) error {
	if _, err := adm.CreateTopics(ctx, partitions, 1, nil, "bench-join-left", "bench-join-right"); err != nil {
		return err
	}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	rng := rand.New(rand.NewPCG(3, 4))
	var failed atomic.Value
	var wg sync.WaitGroup
	for i := range n {
		for _, topic := range []string{"bench-join-left", "bench-join-right"} {
			value := make([]byte, size)
			for j := range value {
				value[j] = byte('a' + rng.IntN(26))
			}
			wg.Add(1)
			cl.Produce(ctx, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("key-%05d", i%keys)), Value: value,
				Timestamp: base.Add(time.Duration(i) * time.Millisecond)},
				func(_ *kgo.Record, err error) {
					if err != nil {
						failed.Store(err)
					}
					wg.Done()
				})
		}
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return nil
}

// pairRatio prints contender a's rate and CPU per record over b's (the
// medians), with a's rate over b's in each round, when both ran.
func pairRatio(med map[string]result, all map[string][]result, a, b, what string) {
	ma, okA := med[a]
	mb, okB := med[b]
	if !okA || !okB {
		return
	}
	var ratios []string
	for i := range all[a] {
		ratios = append(ratios, fmt.Sprintf("%.2fx", all[a][i].rate/all[b][i].rate))
	}
	fmt.Printf("%s / %s (%s) rate %.2fx, CPU per record %.2fx; rate per round: %s\n",
		a, b, what, ma.rate/mb.rate, float64(ma.cpuPer)/float64(mb.cpuPer), strings.Join(ratios, " "))
}

func fill(ctx context.Context, cl *kgo.Client, n, size, keys int) error {
	// Each record gets its own random letters: with one value shared by all
	// records (as before 2026-11-25), each compressed input batch held up
	// to ~100,000 records, which every librdkafka consumer decompresses at
	// once (~55 MiB of its memory per batch), far from real data.
	rng := rand.New(rand.NewPCG(1, 2))
	var failed atomic.Value
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		value := make([]byte, size)
		for j := range value {
			value[j] = byte('a' + rng.IntN(26))
		}
		wg.Add(1)
		cl.Produce(ctx, &kgo.Record{Topic: inTopic, Key: []byte(fmt.Sprintf("key-%05d", i%keys)), Value: value},
			func(_ *kgo.Record, err error) {
				if err != nil {
					failed.Store(err)
				}
				wg.Done()
			})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return nil
}

// watchHWM polls pid's peak resident set (VmHWM) every 20 ms; the
// function it returns stops polling and returns the peak seen, in MiB (0
// without /proc).
func watchHWM(pid int) func() float64 {
	var hwm atomic.Int64 // KiB
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			if kb, err := procStatus(pid, "VmHWM:"); err == nil && kb > hwm.Load() {
				hwm.Store(kb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() float64 {
		close(stop)
		<-done
		return float64(hwm.Load()) / 1024
	}
}

// procStatus reads a field in kB of /proc/<pid>/status (Linux).
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// binaryFor returns the program that runs contender name: for streamgen's,
// this package built with -tags sgworker (once per run), which links
// streamgen alone, as a team's worker would; for the others, the harness's
// own binary.
func binaryFor(self, name string) (string, error) {
	if !strings.HasPrefix(name, "streamgen") {
		return self, nil
	}
	sgworkerOnce.Do(func() {
		sgworkerBin = filepath.Join(os.TempDir(), "streamgen-bench-sgworker")
		build := exec.Command("go", "build", "-tags", "sgworker", "-o", sgworkerBin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			sgworkerErr = fmt.Errorf("building the streamgen contender binary: %v\n%s", err, out)
		}
	})
	return sgworkerBin, sgworkerErr
}

var (
	sgworkerOnce sync.Once
	sgworkerBin  string
	sgworkerErr  error
)

func runOne(ctx context.Context, self, addr string, adm *kadm.Client, name string, n int64, memLimit string) (result, error) {
	args := []string{name, "-brokers", addr}
	if strings.HasPrefix(name, "streamgen") || name == "kstream-count" {
		dir, err := os.MkdirTemp("", "streamgen-bench-data-")
		if err != nil {
			return result{}, err
		}
		defer os.RemoveAll(dir)
		args = append(args, "-data-dir", dir)
	}
	if name == "goka-count" {
		_ = os.RemoveAll(goka.DefaultProcessorStoragePath("bench-goka-count"))
	}
	bin, err := binaryFor(self, name)
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(bin, args...)
	if name == "kstream-count" {
		// A module of its own (its librdkafka cannot be linked with ours).
		bin := filepath.Join(os.TempDir(), "streamgen-bench-kstream")
		build := exec.Command("go", "build", "-o", bin, ".")
		build.Dir = "kstream"
		if out, err := build.CombinedOutput(); err != nil {
			return result{}, fmt.Errorf("building the kstream contender: %v\n%s", err, out)
		}
		cmd = exec.Command(bin, args...)
	}
	if memLimit != "" && strings.HasPrefix(name, "streamgen") {
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+memLimit)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return result{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	firstCh := make(chan time.Time, 1)
	go func() {
		buf := make([]byte, 4096)
		var acc []byte
		for {
			k, err := stdout.Read(buf)
			acc = append(acc, buf[:k]...)
			if i := bytes.Index(acc, []byte("FIRST ")); i >= 0 {
				if j := bytes.IndexByte(acc[i:], '\n'); j > 0 {
					ns, _ := strconv.ParseInt(string(acc[i+6:i+j]), 10, 64)
					firstCh <- time.Unix(0, ns)
					_, _ = io.Copy(io.Discard, stdout)
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The peak RSS is the process's VmHWM, read until it exits. (Not
	// getrusage's ru_maxrss: Linux carries it over exec from the forked
	// harness, so it is never below the harness's own RSS — it reported
	// 97.4 MiB for every small contender of one run.)
	peak := watchHWM(cmd.Process.Pid)
	topic := "bench-out-" + name
	var start time.Time
	deadline := time.Now().Add(10 * time.Minute)
	for {
		select {
		case err := <-exited:
			return result{}, fmt.Errorf("exited early: %v", err)
		case start = <-firstCh:
		default:
		}
		ends, err := adm.ListEndOffsets(ctx, topic)
		if err == nil {
			var total int64
			ends.Each(func(o kadm.ListedOffset) { total += o.Offset })
			if total >= n && !start.IsZero() {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return result{}, errors.New("did not finish within 10 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	rss := peak()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	elapsed := done.Sub(start)
	if rss == 0 {
		rss = float64(ru.Maxrss) / 1024 // no /proc
	}
	return result{
		name:    name,
		rate:    float64(n) / elapsed.Seconds(),
		cpuPer:  cpu / time.Duration(n),
		rssMiB:  rss,
		elapsed: elapsed,
	}, nil
}
