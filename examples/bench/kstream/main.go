// Command kstream is the bench harness's exactly-once count in
// github.com/gmbyapa/kstream v2.0.4, a Kafka Streams port on librdkafka
// 1.9 (confluent-kafka-go v1). It lives in a module of its own: its
// bundled librdkafka cannot be linked beside confluent-kafka-go v2's.
// The harness (../main.go) runs it as contender "kstream-count".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gmbyapa/kstream/v2/kafka"
	"github.com/gmbyapa/kstream/v2/streams"
	"github.com/gmbyapa/kstream/v2/streams/encoding"
)

var firstOnce sync.Once

func main() {
	brokers := flag.String("brokers", "", "bootstrap brokers")
	dataDir := flag.String("data-dir", "", "state store directory (default: a temporary one)")
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "kstream-count" { // the harness names the contender first
		args = args[1:]
	}
	_ = flag.CommandLine.Parse(args)
	if err := run(*brokers, *dataDir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(brokers, dataDir string) error {
	config := streams.NewStreamBuilderConfig()
	config.BootstrapServers = strings.Split(brokers, ",")
	config.ApplicationId = "bench-kstream-count"
	config.Consumer.Offsets.Initial = kafka.OffsetEarliest
	config.Processing.Guarantee = streams.ExactlyOnce
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "kstream-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}
	config.Store.StateDir = dataDir // kstream's default is ./storage, in the working tree
	builder := streams.NewStreamBuilder(config)
	builder.KStream("bench-in", encoding.StringEncoder{}, encoding.ByteEncoder{}).
		Each(func(ctx context.Context, key, value interface{}) {
			firstOnce.Do(func() { fmt.Printf("FIRST %d\n", time.Now().UnixNano()) })
		}).
		Aggregate("counts", func(ctx context.Context, key, value, previous interface{}) (interface{}, error) {
			n := 0
			if previous != nil {
				n = previous.(int)
			}
			return n + 1, nil
		}, streams.AggregateWithValEncoder(encoding.IntEncoder{})).
		ToStream().To("bench-out-kstream-count")
	topology, err := builder.Build()
	if err != nil {
		return err
	}
	runner := builder.NewRunner()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		_ = runner.Stop()
	}()
	return runner.Run(topology)
}
