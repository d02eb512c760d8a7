package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	activityv1 "github.com/streamgen/streamgen/examples/06-activity/gen/activity/v1"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// archived reads every click of the archive in dir, by archive file.
func archived(t *testing.T, dir string) map[string][]*activityv1.Click {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*activityv1.Click{}
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var c activityv1.Click
			if err := protojson.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[filepath.Base(name)] = append(out[filepath.Base(name)], &c)
		}
		f.Close()
	}
	return out
}

// TestArchiveInBatches: 501 clicks of one user (one partition) make one
// archive file of 500 at once, and the last one's file 2 s after it came,
// on the driver's clock; each batch is announced on archived-batches.
func TestArchiveInBatches(t *testing.T) {
	dir := t.TempDir()
	app, err := NewApp(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	for i := range 501 {
		c := &activityv1.Click{UserId: "u1", Page: fmt.Sprintf("/p/%d", i), At: start.UnixMilli()}
		if err := streamtest.Send(d, activityv1.ClickTopic, c); err != nil {
			t.Fatal(err)
		}
	}
	files := archived(t, dir)
	if len(files) != 1 {
		t.Fatalf("after 501 clicks: %d archive files, want 1 (of 500)", len(files))
	}
	for _, cs := range files {
		if len(cs) != 500 || cs[0].GetPage() != "/p/0" || cs[499].GetPage() != "/p/499" {
			t.Errorf("the first file holds %d clicks, want /p/0 to /p/499 in order", len(cs))
		}
	}
	if err := d.Advance(start.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	files = archived(t, dir)
	var sizes []int
	for _, cs := range files {
		sizes = append(sizes, len(cs))
	}
	sort.Ints(sizes)
	if fmt.Sprint(sizes) != "[1 500]" {
		t.Errorf("after max_wait: files of %v clicks, want [1 500]", sizes)
	}
	news, err := streamtest.Output(d, activityv1.ArchivedTopic)
	if err != nil || len(news) != 2 || news[0].GetClicks() != 500 || news[1].GetClicks() != 1 {
		t.Errorf("archived-batches: %v, %v; want 500, then 1", news, err)
	}
}

// TestHeartbeat: the driver is the leader; a pulse per second its clock
// passes, none at its first Advance.
func TestHeartbeat(t *testing.T) {
	app, err := NewApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	start := time.Date(2026, 1, 1, 10, 0, 0, 500_000_000, time.UTC)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(start.Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	pulses, err := streamtest.Output(d, activityv1.PulseTopic)
	if err != nil || len(pulses) != 3 || pulses[0].GetAt() != start.Add(500*time.Millisecond).UnixMilli() {
		t.Errorf("pulses %v, %v; want 3, the first at 10:00:01", pulses, err)
	}
}
