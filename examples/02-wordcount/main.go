// Command wordcount counts words with a table: Faust's word count.
//
//	go run ./examples/02-wordcount demo "the cat" "the dog"
//	go run ./examples/02-wordcount worker --brokers host:9092
//
// The counts live in table "counts": one Badger store per partition on the
// worker's disk, backed by the compacted changelog topic
// "wordcount-counts-changelog".
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/02-wordcount proto/wordcount/v1/wordcount.proto

import (
	"context"
	"fmt"
	"os"
	"strings"

	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements wordcountv1.WordCounterAgents.
type Agents struct {
	wordcountv1.UnimplementedWordCounterAgents
}

// Split emits each word of the sentence.
func (Agents) Split(ctx context.Context, in *wordcountv1.Sentence, out wordcountv1.WordCounterSplitEmitter) error {
	for _, w := range strings.Fields(strings.ToLower(in.GetText())) {
		if err := out.EmitWord(ctx, &wordcountv1.Word{Word: w}); err != nil {
			return err
		}
	}
	return nil
}

// Count adds one to the word's count and emits it.
func (Agents) Count(ctx context.Context, in *wordcountv1.Word, out wordcountv1.WordCounterCountEmitter) error {
	var total *wordcountv1.WordCount
	err := out.Counts().Update(ctx, func(c *wordcountv1.WordCount) error {
		c.Word = in.GetWord()
		c.Count++
		total = c
		return nil
	})
	if err != nil {
		return err
	}
	return out.EmitWordCount(ctx, total)
}

// NewApp returns the app with its agents registered.
func NewApp() (*runtime.App, error) {
	app := runtime.NewApp()
	if err := wordcountv1.RegisterWordCounterAgents(app, Agents{}); err != nil {
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
