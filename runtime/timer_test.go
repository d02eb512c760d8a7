package runtime

import (
	"fmt"
	"testing"
	"time"
)

func mustParse(t *testing.T, d *TimerDesc) *TimerDesc {
	t.Helper()
	if err := d.parse(); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestTimerNext: an interval's ticks are the multiples of it since the
// Unix epoch; a cron's follow its time zone across daylight saving time.
func TestTimerNext(t *testing.T) {
	seven := mustParse(t, &TimerDesc{Every: 7 * time.Second})
	at := time.Unix(100, 5).UTC()
	if got := seven.Next(at); !got.Equal(time.Unix(105, 0)) {
		t.Errorf("every 7s after %v: %v, want 105 s after the epoch", at, got)
	}
	if got := seven.Next(time.Unix(105, 0)); !got.Equal(time.Unix(112, 0)) {
		t.Errorf("every 7s after a tick: %v, want the next one", got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	daily := mustParse(t, &TimerDesc{Cron: "30 2 * * *", TimeZone: "Europe/Berlin"})
	// 2026-03-29: clocks go from 02:00 to 03:00 in Berlin; 02:30 does not
	// exist that day.
	for _, c := range []struct{ after, want time.Time }{
		{time.Date(2026, 3, 27, 12, 0, 0, 0, berlin), time.Date(2026, 3, 28, 2, 30, 0, 0, berlin)},
		// 02:30 does not exist on 2026-03-29: it runs when the gap ends.
		{time.Date(2026, 3, 28, 12, 0, 0, 0, berlin), time.Date(2026, 3, 29, 3, 0, 0, 0, berlin)},
		{time.Date(2026, 3, 29, 3, 0, 0, 0, berlin), time.Date(2026, 3, 30, 2, 30, 0, 0, berlin)},
		// 2026-10-25: clocks go from 03:00 back to 02:00; 02:30 comes twice
		// and runs once, the first time.
		{time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), time.Date(2026, 10, 26, 2, 30, 0, 0, berlin)},
	} {
		if got := daily.Next(c.after); !got.Equal(c.want) {
			t.Errorf("30 2 * * * Berlin after %v: %v, want %v", c.after, got, c.want)
		}
	}
	// An hourly schedule runs every real hour: both 02:00s of the night
	// the clocks fall back, and no made-up tick in spring.
	every := mustParse(t, &TimerDesc{Cron: "0 * * * *", TimeZone: "Europe/Berlin"})
	var got []string
	for at, i := time.Date(2026, 10, 25, 0, 30, 0, 0, berlin), 0; i < 4; i++ {
		at = every.Next(at)
		got = append(got, at.UTC().Format("15:04"))
	}
	if fmt.Sprint(got) != "[23:00 00:00 01:00 02:00]" {
		t.Errorf("hourly in Berlin across the fall back: %v (UTC), want every real hour", got)
	}
	got = nil
	for at, i := time.Date(2026, 3, 29, 0, 30, 0, 0, berlin), 0; i < 3; i++ {
		at = every.Next(at)
		got = append(got, at.In(berlin).Format("15:04"))
	}
	if fmt.Sprint(got) != "[01:00 03:00 04:00]" {
		t.Errorf("hourly in Berlin across the spring forward: %v (local), want no made-up 02:00", got)
	}
	// Two minutes in the hour that comes twice: each runs once.
	ny, _ := time.LoadLocation("America/New_York")
	twice := mustParse(t, &TimerDesc{Cron: "0,30 1 * * *", TimeZone: "America/New_York"})
	got = nil
	for at, i := time.Date(2024, 11, 2, 12, 0, 0, 0, ny), 0; i < 3; i++ {
		at = twice.Next(at)
		got = append(got, at.In(ny).Format("01-02 15:04 MST"))
	}
	if fmt.Sprint(got) != "[11-03 01:00 EDT 11-03 01:30 EDT 11-04 01:00 EST]" {
		t.Errorf("0,30 1 * * * in New York across the fall back: %v, want each local time once", got)
	}
	// A zone whose offset is not whole hours (Newfoundland, -3:30): on
	// 2024-03-10 the clocks go from 02:00 to 03:00; 02:30 runs when the gap
	// ends, 03:15 (which exists) once, at 03:15.
	nf, _ := time.LoadLocation("America/St_Johns")
	early := mustParse(t, &TimerDesc{Cron: "30 2 * * *", TimeZone: "America/St_Johns"})
	got = nil
	for at, i := time.Date(2024, 3, 9, 12, 0, 0, 0, nf), 0; i < 2; i++ {
		at = early.Next(at)
		got = append(got, at.In(nf).Format("01-02 15:04 MST"))
	}
	if fmt.Sprint(got) != "[03-10 03:00 NDT 03-11 02:30 NDT]" {
		t.Errorf("30 2 * * * in St. John's across the spring forward: %v", got)
	}
	late := mustParse(t, &TimerDesc{Cron: "15 3 * * *", TimeZone: "America/St_Johns"})
	if at := late.Next(time.Date(2024, 3, 9, 12, 0, 0, 0, nf)); at.In(nf).Format("01-02 15:04") != "03-10 03:15" {
		t.Errorf("15 3 * * * in St. John's: %v, want 03-10 03:15", at.In(nf))
	}
	if err := (&TimerDesc{Every: 1500 * time.Microsecond}).parse(); err == nil {
		t.Error("an interval that is not whole milliseconds was accepted")
	}
	hourly := mustParse(t, &TimerDesc{Cron: "@hourly", TimeZone: "Asia/Kolkata"})
	if got := hourly.Next(time.Date(2026, 1, 1, 10, 10, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC)) {
		t.Errorf("@hourly in Kolkata (UTC+5:30) after 10:10 UTC: %v, want 10:30 UTC", got)
	}
	if err := (&TimerDesc{Cron: "CRON_TZ=UTC 0 * * * *"}).parse(); err == nil {
		t.Error("a time zone inside the schedule was accepted")
	}
}

// TestTimerDue: the latest due tick runs once, standing for the missed
// ones; under SkipMissed a tick runs only when it is on time.
func TestTimerDue(t *testing.T) {
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	run := mustParse(t, &TimerDesc{Every: time.Minute})
	if _, ok, _ := run.Due(base, base.Add(59*time.Second)); ok {
		t.Error("a tick before it is due")
	}
	if tick, ok, _ := run.Due(base, base.Add(61*time.Second)); !ok || !tick.Time.Equal(base.Add(time.Minute)) || tick.Missed != 0 {
		t.Errorf("due at 10:01: %+v, %v", tick, ok)
	}
	if tick, ok, _ := run.Due(base, base.Add(10*time.Minute+time.Second)); !ok || !tick.Time.Equal(base.Add(10*time.Minute)) || tick.Missed != 9 {
		t.Errorf("ten minutes down, run once: %+v, %v; want 10:10 standing for 9", tick, ok)
	}
	if _, ok, _ := run.Due(time.Time{}, base); ok {
		t.Error("a tick with nothing recorded: the first one is the next after now")
	}
	skip := mustParse(t, &TimerDesc{Every: time.Hour, SkipMissed: true})
	if tick, ok, _ := skip.Due(base, base.Add(time.Hour+30*time.Second)); !ok || !tick.Time.Equal(base.Add(time.Hour)) {
		t.Errorf("skip, on time: %+v, %v", tick, ok)
	}
	if _, ok, skipped := skip.Due(base, base.Add(time.Hour+2*time.Minute)); ok || skipped != 1 {
		t.Errorf("skip, two minutes late: ran %v, skipped %d; want skipped 1", ok, skipped)
	}
	if _, ok, skipped := skip.Due(base, base.Add(3*time.Hour)); ok || skipped != 3 {
		t.Errorf("skip, three ticks passed: ran %v, skipped %d; want 3 skipped", ok, skipped)
	}
}

// TestTickMetadata: the last ticks round trip through offset metadata.
func TestTickMetadata(t *testing.T) {
	a := &App{}
	ags := []*Agent{{Desc: &AgentDesc{Name: "Hourly"}, app: a}, {Desc: &AgentDesc{Name: "Beat"}, app: a}}
	last := map[string]time.Time{"Hourly": time.UnixMilli(1767261600000).UTC(), "Beat": time.UnixMilli(1767261630000).UTC()}
	md := TickMetadata(last, ags)
	if md != "Hourly=1767261600000;Beat=1767261630000" {
		t.Errorf("metadata %q", md)
	}
	got := ParseTickMetadata(md + ";junk;X=y")
	if len(got) != 2 || !got["Hourly"].Equal(last["Hourly"]) || !got["Beat"].Equal(last["Beat"]) {
		t.Errorf("parsed %v, want %v", got, last)
	}
}
