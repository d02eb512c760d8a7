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
	"github.com/streamgen/streamgen/runtime"
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

// TestSessions: a user's clicks less than 30 minutes apart are one
// session, summarised once when it closes (30 minutes plus 5 of grace
// after its last click); a click 45 minutes later starts another; a late
// click that bridges two open sessions merges them (its page is neither
// the first nor the last: it happened in between).
func TestSessions(t *testing.T) {
	app, err := NewApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	at := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	click := func(user, page string, min int) {
		t.Helper()
		c := &activityv1.Click{UserId: user, Page: page, At: at.Add(time.Duration(min) * time.Minute).UnixMilli()}
		if err := streamtest.Send(d, activityv1.ClickTopic, c); err != nil {
			t.Fatal(err)
		}
	}
	click("u1", "/home", 0)
	click("u1", "/search", 10)
	click("u1", "/item", 25) // one session, 0 to 25m
	click("u2", "/home", 20)
	click("u2", "/cart", 52)   // 32m after u2's last: another session
	click("u2", "/search", 38) // late, but within the gap of both: merges them
	click("u1", "/home", 70)   // closes u1's first (25m + 35m = 60m), starts another
	if err := d.Advance(at.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	sums, err := streamtest.Output(d, activityv1.SessionSummaryTopic)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range sums {
		got = append(got, fmt.Sprintf("%s %d %s..%s %v-%v", s.GetUserId(), s.GetClicks(), s.GetFirstPage(), s.GetLastPage(),
			time.UnixMilli(s.GetStart()).Sub(at), time.UnixMilli(s.GetEnd()).Sub(at)))
	}
	sort.Strings(got)
	want := []string{"u1 1 /home../home 1h10m0s-1h10m0s", "u1 3 /home../item 0s-25m0s", "u2 3 /home../cart 20m0s-52m0s"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("session summaries:\n%v\nwant\n%v", got, want)
	}
}

// TestHourlyReport: at the top of each hour every partition reports its
// users' clicks since its last report (the most active user first among
// equals by name), and starts afresh: an hour without clicks reports
// nobody.
func TestHourlyReport(t *testing.T) {
	app, err := NewApp(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := streamtest.New(app)
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	type part struct {
		users, clicks, top int
		topUser            string
	}
	send := func(n int, at time.Time) map[int32]part {
		t.Helper()
		per := map[int32]map[string]int{}
		for i := range n {
			user := fmt.Sprintf("u%d", i%17)
			c := &activityv1.Click{UserId: user, Page: "/", At: at.UnixMilli()}
			if err := streamtest.Send(d, activityv1.ClickTopic, c); err != nil {
				t.Fatal(err)
			}
			p := runtime.Partition([]byte(user), 4)
			if per[p] == nil {
				per[p] = map[string]int{}
			}
			per[p][user]++
		}
		want := map[int32]part{}
		for p, users := range per {
			w := part{users: len(users)}
			for u, c := range users {
				w.clicks += c
				if c > w.top || (c == w.top && u < w.topUser) {
					w.top, w.topUser = c, u
				}
			}
			want[p] = w
		}
		return want
	}
	reports := func(hour time.Time, want map[int32]part) {
		t.Helper()
		rs, err := streamtest.Output(d, activityv1.HourlyReportTopic)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int32]part{}
		for _, r := range rs {
			if r.GetHour() != hour.UnixMilli() {
				continue
			}
			if _, dup := got[r.GetPartition()]; dup {
				t.Errorf("partition %d reported twice for %v", r.GetPartition(), hour)
			}
			got[r.GetPartition()] = part{users: int(r.GetUsers()), clicks: int(r.GetClicks()), top: int(r.GetTopClicks()), topUser: r.GetTopUser()}
		}
		for p := range int32(4) {
			if got[p] != want[p] {
				t.Errorf("report of partition %d at %v: %+v, want %+v", p, hour.Format("15:04"), got[p], want[p])
			}
		}
	}
	want := send(100, start.Add(5*time.Minute))
	if err := d.Advance(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	reports(start.Add(time.Hour), want)
	want = send(23, start.Add(70*time.Minute))
	if err := d.Advance(start.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	reports(start.Add(2*time.Hour), want)
	reports(start.Add(3*time.Hour), map[int32]part{})
}
