// Command activity handles user activity: its Archive agent writes clicks
// to an archive in batches (Faust's stream.take(500, within=2)), its Track
// agent keeps each user's sessions (Kafka Streams' session windows: 30
// minutes without a click end one) and Summarize emits each closed
// session once, its Report cron emits an hourly report of each
// partition's users from a table and empties it (Faust's @app.crontab;
// Kafka Streams' punctuator), and its Heartbeat timer emits a pulse a
// second from the group's leader (Faust's @app.timer(1.0, on_leader=True)).
//
//	go run ./examples/06-activity demo '{"userId":"u1","page":"/home","at":"1767261600000"}'
//	ARCHIVE_DIR=/var/lib/activity go run ./examples/06-activity worker --brokers host:9092
//
// The archive is a directory ($ARCHIVE_DIR, default $TMPDIR/activity-archive)
// of JSON-lines files, one per batch, standing in for a database or an
// object store: a sink that is cheaper written in bulk. Under at least once
// a batch may be written again after a crash (its clicks then appear in
// two files); a sink that must not see a record twice keys its writes by
// the record (an upsert by user and time, say).
package main

//go:generate go run github.com/streamgen/streamgen/cmd/streamgen -I proto -paths import -module github.com/streamgen/streamgen/examples/06-activity proto/activity/v1/activity.proto

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	activityv1 "github.com/streamgen/streamgen/examples/06-activity/gen/activity/v1"
	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/cli"
)

// Agents implements activityv1.ActivityAgents.
type Agents struct {
	activityv1.UnimplementedActivityAgents
	// Dir is the archive directory.
	Dir string
}

// files numbers the archive files this process writes.
var files atomic.Int64

// Archive writes the batch to a new file of the archive, one click per
// line, and says so. The file appears whole or not at all (written
// aside, then renamed), so a crash never leaves half a batch.
func (a Agents) Archive(ctx context.Context, in []*activityv1.Click, out activityv1.ActivityArchiveEmitter) error {
	var b []byte
	for _, c := range in {
		line, err := protojson.Marshal(c)
		if err != nil {
			return err
		}
		b = append(append(b, line...), '\n')
	}
	name := fmt.Sprintf("%d-%d-%d.jsonl", time.Now().UnixNano(), os.Getpid(), files.Add(1))
	tmp := filepath.Join(a.Dir, "."+name+".tmp") // not *.jsonl until whole
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(a.Dir, name)); err != nil {
		return err
	}
	return out.EmitArchived(ctx, &activityv1.Archived{File: name, Clicks: int32(len(in))})
}

// Track adds the click to its user's session, and to the user's clicks
// of the hour.
func (Agents) Track(ctx context.Context, in *activityv1.Click, out activityv1.ActivityTrackEmitter) error {
	err := out.HourClicks().Update(ctx, func(h *activityv1.HourClicks) error {
		h.UserId = in.GetUserId()
		h.Clicks++
		return nil
	})
	if err != nil {
		return err
	}
	return out.Sessions().Update(ctx, func(s *activityv1.UserSession) error {
		s.UserId = in.GetUserId()
		s.Clicks++
		if s.Clicks == 1 || in.GetAt() < s.GetFirstAt() {
			s.FirstPage, s.FirstAt = in.GetPage(), in.GetAt()
		}
		if s.Clicks == 1 || in.GetAt() >= s.GetLastAt() {
			s.LastPage, s.LastAt = in.GetPage(), in.GetAt()
		}
		return nil
	})
}

// MergeSessions joins two of a user's sessions that a late click
// bridges: a began first.
func (Agents) MergeSessions(ctx context.Context, a, b *activityv1.UserSession) (*activityv1.UserSession, error) {
	return &activityv1.UserSession{UserId: a.GetUserId(), Clicks: a.GetClicks() + b.GetClicks(),
		FirstPage: a.GetFirstPage(), FirstAt: a.GetFirstAt(), LastPage: b.GetLastPage(), LastAt: b.GetLastAt()}, nil
}

// Summarize emits a closed session's summary.
func (Agents) Summarize(ctx context.Context, in *activityv1.UserSession, out activityv1.ActivitySummarizeEmitter) error {
	w := out.Window()
	return out.EmitSessionSummary(ctx, &activityv1.SessionSummary{UserId: in.GetUserId(), Clicks: in.GetClicks(),
		FirstPage: in.GetFirstPage(), LastPage: in.GetLastPage(), Start: w.Start.UnixMilli(), End: w.End.UnixMilli()})
}

// Report emits the partition's hourly report (its users' clicks since
// the last one) and deletes what it reported: the next report counts
// afresh. Under exactly once the report and the deletes commit together,
// with the tick.
func (Agents) Report(ctx context.Context, tick runtime.Tick, out activityv1.ActivityReportEmitter) error {
	r := &activityv1.HourlyReport{Hour: tick.Time.UnixMilli(), Partition: tick.Partition, Missed: int32(tick.Missed)}
	err := out.HourClicks().Scan(ctx, "", func(user string, h *activityv1.HourClicks) error {
		r.Users++
		r.Clicks += int64(h.GetClicks())
		if h.GetClicks() > r.TopClicks || (h.GetClicks() == r.TopClicks && user < r.TopUser) {
			r.TopUser, r.TopClicks = user, h.GetClicks()
		}
		return out.HourClicks().Delete(ctx, user)
	})
	if err != nil {
		return err
	}
	return out.EmitHourlyReport(ctx, r)
}

// Heartbeat emits the tick as a pulse.
func (Agents) Heartbeat(ctx context.Context, tick runtime.Tick, out activityv1.ActivityHeartbeatEmitter) error {
	return out.EmitPulse(ctx, &activityv1.Pulse{At: tick.Time.UnixMilli(), Missed: int32(tick.Missed)})
}

// NewApp returns the app with its agents registered, archiving to dir
// (created if missing).
func NewApp(dir string) (*runtime.App, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("archive directory: %w", err)
	}
	app := runtime.NewApp()
	if err := activityv1.RegisterActivityAgents(app, Agents{Dir: dir}); err != nil {
		return nil, err
	}
	return app, nil
}

func main() {
	dir := os.Getenv("ARCHIVE_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "activity-archive")
	}
	app, err := NewApp(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(cli.Main(app))
}
