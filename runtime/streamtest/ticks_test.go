package streamtest_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/streamgen/streamgen/runtime"
	"github.com/streamgen/streamgen/runtime/internal/testapp"
	"github.com/streamgen/streamgen/runtime/streamtest"
)

// clock returns a driver of the Clock app (a beat every second, and one
// at minute 0 of every hour in Berlin) implemented by impl.
func clock(t *testing.T, impl testapp.Clock) *streamtest.Driver {
	t.Helper()
	app := runtime.NewApp()
	if err := testapp.RegisterClockAgents(app, impl); err != nil {
		t.Fatal(err)
	}
	return streamtest.New(app)
}

// beats returns the beats emitted since the last call, as
// "agent@time(Berlin)".
func beats(t *testing.T, d *streamtest.Driver) []string {
	t.Helper()
	bs, err := streamtest.Output(d, testapp.BeatTopic)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	var out []string
	for _, b := range bs {
		out = append(out, b.GetAgent()+"@"+time.UnixMilli(b.GetTickMs()).In(berlin).Format("01-02 15:04:05 MST"))
	}
	return out
}

// TestTimersOnTheVirtualClock (operators part 1, in the driver): the
// first Advance starts the timers; each later one runs every tick the
// clock passes, in order: a 1 s timer and an hourly cron in Berlin,
// across the night the clocks go forward and the one they go back.
func TestTimersOnTheVirtualClock(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	d := clock(t, testapp.Clock{})
	start := time.Date(2026, 3, 29, 1, 59, 58, 0, berlin)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	if got := beats(t, d); len(got) != 0 {
		t.Fatalf("the first Advance ran ticks: %v", got)
	}
	if err := d.Advance(start.Add(2500 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	// 02:00 CET does not exist that night: 01:59:59 CET, then 03:00:00 CEST.
	if got := fmt.Sprint(beats(t, d)); got != "[Second@03-29 01:59:59 CET Second@03-29 03:00:00 CEST Hourly@03-29 03:00:00 CEST]" {
		t.Errorf("across the spring forward: %s", got)
	}
	// The night the clocks go back, the hourly cron runs each real hour:
	// 02:00 CEST and 02:00 CET.
	d = clock(t, testapp.Clock{})
	start = time.Date(2026, 10, 25, 0, 30, 0, 0, berlin)
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(start.Add(3 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	var hourly []string
	seconds := 0
	for _, b := range beats(t, d) {
		if b[:6] == "Hourly" {
			hourly = append(hourly, b)
		} else {
			seconds++
		}
	}
	// Three real hours from 00:30 CEST end at 02:30 CET.
	if got := fmt.Sprint(hourly); got != "[Hourly@10-25 01:00:00 CEST Hourly@10-25 02:00:00 CEST Hourly@10-25 02:00:00 CET]" {
		t.Errorf("across the fall back: %s", got)
	}
	if seconds != 3*3600 {
		t.Errorf("%d beats of the 1 s timer in 3 hours, want 10800", seconds)
	}
}

// TestFailedTickIsADeadLetter: a tick whose handler fails goes to the
// agent's dead-letter topic as a record holding the tick time, and the
// next tick runs.
func TestFailedTickIsADeadLetter(t *testing.T) {
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	d := clock(t, testapp.Clock{Fail: func(agent string, tick runtime.Tick) error {
		if agent == "Second" && tick.Time.Equal(start.Add(2*time.Second)) {
			return errors.New("no beat at :02")
		}
		return nil
	}})
	if err := d.Advance(start); err != nil {
		t.Fatal(err)
	}
	if err := d.Advance(start.Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := len(beats(t, d)); got != 2 {
		t.Errorf("%d beats, want 2 (:01 and :03)", got)
	}
	dead := d.DeadLetters(testapp.ClockSecondDeadLetterTopicName)
	if len(dead) != 1 || string(dead[0].Value) != "2026-01-01T10:00:02Z" || string(dead[0].Key) != "Second" ||
		streamtest.Header(dead[0], runtime.HeaderError) == "" {
		t.Fatalf("dead letters %v, want the :02 tick with its error", dead)
	}
}
