package main

import (
	"context"
	"testing"

	"github.com/golang/mock/gomock"

	wordcountv1 "github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1"
	"github.com/streamgen/streamgen/examples/02-wordcount/gen/wordcount/v1/wordcountv1mock"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

func TestWordCountWithDriver(t *testing.T) {
	app, err := NewApp()
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	for _, s := range []string{"the cat", "The dog", "the end"} {
		if err := streamtest.Send(d, wordcountv1.SentenceTopic, &wordcountv1.Sentence{Text: s}); err != nil {
			t.Fatal(err)
		}
	}
	the, ok, err := streamtest.TableValue[*wordcountv1.WordCount](d, wordcountv1.WordCounterCountsTableName, "the")
	if err != nil || !ok || the.GetCount() != 3 {
		t.Errorf("counts[the] = %v, %v, %v; want 3", the, ok, err)
	}
	counts, err := streamtest.Output(d, wordcountv1.WordCountTopic)
	if err != nil || len(counts) != 6 {
		t.Fatalf("outputs %v, %v", counts, err)
	}
	if last := counts[len(counts)-1]; last.GetWord() != "end" || last.GetCount() != 1 {
		t.Errorf("last output %v", last)
	}
	// Every table write is in the changelog, keyed by the word.
	cl := d.Records(wordcountv1.WordCounterCountsChangelogTopicName)
	if len(cl) != 6 || string(cl[len(cl)-1].Key) != "end" {
		t.Errorf("changelog has %d records", len(cl))
	}
}

// TestCountWithMockTable drives Count with generated mocks of the emitter
// and of the typed table.
func TestCountWithMockTable(t *testing.T) {
	ctrl := gomock.NewController(t)
	out := wordcountv1mock.NewMockWordCounterCountEmitter(ctrl)
	table := wordcountv1mock.NewMockWordCounterCountsTable(ctrl)
	ctx := context.Background()
	out.EXPECT().Counts().Return(table)
	table.EXPECT().Update(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, fn func(*wordcountv1.WordCount) error) error {
		return fn(&wordcountv1.WordCount{Word: "go", Count: 41})
	})
	out.EXPECT().EmitWordCount(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, c *wordcountv1.WordCount) error {
		if c.GetCount() != 42 {
			t.Errorf("emitted count %d, want 42", c.GetCount())
		}
		return nil
	})
	if err := (Agents{}).Count(ctx, &wordcountv1.Word{Word: "go"}, out); err != nil {
		t.Fatal(err)
	}
}
