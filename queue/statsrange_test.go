package queue_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// waits issues one social ticket per wait at 10:00 of the clock's day and
// calls them at counter 1 in turn, each after its wait; the last is done
// a minute after its call.
func (o *office) waits(mins ...int) {
	o.t.Helper()
	y, m, d := o.clk.Now().Date()
	ten := time.Date(y, m, d, 10, 0, 0, 0, kyiv)
	o.clk.Set(ten)
	for range mins {
		o.issue("social")
	}
	for _, w := range mins {
		o.clk.Set(ten.Add(time.Duration(w) * time.Minute))
		require.NotEmpty(o.t, o.next("1"))
	}
	o.clk.Add(time.Minute)
	o.do("1", queue.Finish)
	o.published()
}

// dayWait is the Dist of a day's waits.
func dayWait(t *testing.T, o *office, day string) queue.Dist {
	t.Helper()
	st, err := o.e.Stats(o.ctx, day)
	require.NoError(t, err, day)
	return st.Total.Wait
}

// The percentiles of a range are those of every wait in it, not a mean of
// the days' percentiles: a day pruned beyond office.stats_days counts
// exactly, from the durations its record keeps, and today counts live.
func TestStatsRangeExact(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	o.waits(1, 2, 3) // Monday
	o.clk.Set(monday10.AddDate(0, 0, 1))
	o.waits(10, 20) // Tuesday
	o.clk.Set(monday10.AddDate(0, 0, 2))
	o.waits(30) // Wednesday, today
	_, err := o.e.TicketsOf(o.ctx, "2026-11-23")
	require.ErrorIs(t, err, queue.ErrUnknownDay, "Monday's tickets and events are gone")

	var p50s time.Duration
	for _, day := range []string{"2026-11-23", "2026-11-24", "2026-11-25"} {
		p50s += dayWait(t, o, day).P50
	}
	require.Equal(t, 14*time.Minute, p50s/3, "the mean of the days' medians (2, 10, 30)")

	rs, err := o.e.StatsRange(o.ctx, "2026-11-22", "2026-11-30")
	require.NoError(t, err)
	require.True(t, rs.Exact())
	require.Equal(t, 3, rs.Days, "Sunday before the first record and the days to come have no figures")
	// 1 2 3 10 20 30: the median is the 3rd, the 90th percentile the 6th.
	want := queue.Dist{N: 6, Mean: 11 * time.Minute, P50: 3 * time.Minute, P90: 30 * time.Minute, Max: 30 * time.Minute}
	require.Equal(t, want, rs.Total.Wait)
	require.Equal(t, want, rs.Services["social"].Wait)
	require.Equal(t, want, rs.Counters["1"].Wait)
	require.Equal(t, 6, rs.Total.Issued)
	require.Equal(t, 6, rs.Total.Served)
	require.Equal(t, 6, rs.Counters["1"].Visits)
	// Served a visit each: until the next call, the last for a minute.
	require.Equal(t, queue.Dist{N: 6, Mean: 2*time.Minute + 30*time.Second, P50: time.Minute, P90: 10 * time.Minute, Max: 10 * time.Minute}, rs.Total.Service)

	one, err := o.e.StatsRange(o.ctx, "2026-11-24", "2026-11-24")
	require.NoError(t, err)
	require.Equal(t, dayWait(t, o, "2026-11-24"), one.Total.Wait, "a range of one day is that day")
	require.Equal(t, 1, one.Days)

	b, err := json.Marshal(rs)
	require.NoError(t, err)
	require.Regexp(t, `^\{"from":"2026-11-22","to":"2026-11-30","seq":[0-9]+,"days":3,"exact":true,"total":\{"issued":6,.*\},"services":\{"social":.*\},"counters":\{"1":.*\},"hours":\[\{"hour":10,"issued":6,"wait_n":6,"wait_mean_s":660\}\]\}$`, string(b))
	require.Contains(t, string(b), `"wait":{"n":6,"mean_s":660,"p50_s":180,"p90_s":1800,"max_s":1800}`)
	// With today in it, the seq of the last event its figures count, as
	// today's own: a dashboard applies the events after it.
	evs := o.events()
	last := evs[len(evs)-1].Seq
	require.Equal(t, last, rs.Seq)
	today, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, last, today.Seq)
	require.Zero(t, one.Seq, "a range of finished days has none")
	o.issue("social")
	today, err = o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, last+1, today.Seq)
	require.Equal(t, 1, today.Hours[0].Issued-today.Hours[0].WaitN, "the figures count the event of that seq")

	// The day's answer is as it was: no durations.
	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	b, err = json.Marshal(st)
	require.NoError(t, err)
	require.NotContains(t, string(b), "durations")
	require.Regexp(t, `^\{"day":"2026-11-23","total":\{[^{]*"wait":\{"n":3,"mean_s":120,"p50_s":120,"p90_s":180,"max_s":180\}`, string(b))
}

// The hours count the tickets issued in each hour of the day, in the
// office's time, and the mean wait of those called; a range sums them.
func TestStatsHours(t *testing.T) {
	o := newOffice(t, nil, monday10)
	at := func(d, h, m int) { o.clk.Set(time.Date(2026, 11, 23+d, h, m, 0, 0, kyiv)) }
	at(0, 9, 10)
	o.issue("social")
	at(0, 9, 20)
	o.next("1") // waited 10 min
	at(0, 9, 40)
	o.issue("social")
	at(0, 10, 5)
	o.issue("social") // never called
	at(0, 10, 10)
	o.next("1") // waited 30 min, issued at 9
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	want := []queue.Hour{{Hour: 9, Issued: 2, WaitN: 2, WaitMean: 20 * time.Minute}, {Hour: 10, Issued: 1}}
	require.Equal(t, want, st.Hours)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.Contains(t, string(b), `,"hours":[{"hour":9,"issued":2,"wait_n":2,"wait_mean_s":1200},{"hour":10,"issued":1,"wait_n":0,"wait_mean_s":0}]}`)

	at(1, 9, 30)
	o.issue("social")
	at(1, 9, 50)
	o.next("1") // waited 20 min
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, want, st.Hours, "as kept")
	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-24")
	require.NoError(t, err)
	require.Equal(t, []queue.Hour{{Hour: 9, Issued: 3, WaitN: 3, WaitMean: 20 * time.Minute}, {Hour: 10, Issued: 1}}, rs.Hours)
}

// A range that is no range is refused, naming its end at fault.
func TestStatsRangeRefused(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for _, tc := range []struct{ from, to, field, why string }{
		{"2026-11", "2026-11-30", "from", `want a day such as 2026-11-01, got "2026-11"`},
		{"2026-11-01", "", "to", `want a day such as 2026-11-30, got ""`},
		{"2026-11-30", "2026-11-01", "to", "2026-11-01 is before from 2026-11-30"},
		{"2026-01-01", "2027-01-01", "to", "2026-01-01 to 2027-01-01 is 366 days"},
		{"2026-01-01", "2027-01-02", "to", "2026-01-01 to 2027-01-02 is 367 days, more than 366"},
	} {
		_, err := o.e.StatsRange(o.ctx, tc.from, tc.to)
		if tc.why == "2026-01-01 to 2027-01-01 is 366 days" {
			require.NoError(t, err, "a year is at most 366 days")
			continue
		}
		require.ErrorIs(t, err, queue.ErrBadRange, tc.from+".."+tc.to)
		var re *queue.RangeError
		require.ErrorAs(t, err, &re)
		require.Equal(t, tc.field, re.Field)
		require.Contains(t, err.Error(), tc.why)
	}
}

// dropDurations makes the record of day as a cherga before ranges kept it:
// without durations and hours.
func dropDurations(t *testing.T, o *office, day string) {
	t.Helper()
	editRecord(t, o, day, func(rec map[string]json.RawMessage) {
		require.Contains(t, rec, "durations")
		delete(rec, "durations")
		delete(rec, "hours")
	})
}

// editRecord changes the stored record of day's figures, its engine
// closed meanwhile.
func editRecord(t *testing.T, o *office, day string, edit func(map[string]json.RawMessage)) {
	t.Helper()
	require.NoError(t, o.e.Close())
	db, err := bolt.Open(o.path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("stats"))
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(b.Get([]byte(day)), &rec); err != nil {
			return err
		}
		edit(rec)
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put([]byte(day), v)
	}))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
}

// A day kept before the priority tickets were counted by category has
// priority tickets and no categories: while its events are kept they tell
// them, and before they are pruned the day's figures are stored again
// with them, so that a month's veterans served count that day.
func TestStatsCategoriesOfAnOlderRecord(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1\n  priority_categories: [disability, veteran]")), monday10)
	monday := func() {
		for _, c := range []string{"veteran", "veteran", "disability", ""} {
			_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Category: c, Priority: c == ""})
			require.NoError(t, err)
		}
		o.issue("social")
		for range 5 {
			o.clk.Add(time.Minute)
			require.NotEmpty(t, o.next("1"))
		}
		o.clk.Add(time.Minute)
		o.do("1", queue.Finish)
	}
	monday()
	o.clk.Set(monday10.AddDate(0, 0, 1))
	o.waits(10)
	editRecord(t, o, "2026-11-23", func(rec map[string]json.RawMessage) {
		require.Contains(t, rec, "kept")
		delete(rec, "kept")
		var total map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec["total"], &total))
		require.Contains(t, total, "categories")
		delete(total, "categories")
		rec["total"], _ = json.Marshal(total)
		var services map[string]map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec["services"], &services))
		delete(services["social"], "categories")
		rec["services"], _ = json.Marshal(services)
	})
	want := map[string]queue.CategoryFigure{"veteran": {Issued: 2, Served: 2}, "disability": {Issued: 1, Served: 1}}
	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-24")
	require.NoError(t, err)
	require.Equal(t, want, rs.Total.Categories, "Monday's events are kept: they tell its categories")
	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, want, st.Total.Categories, "and the day's figures")
	require.Equal(t, want, st.Services["social"].Categories)

	o.clk.Set(monday10.AddDate(0, 0, 2))
	o.waits(30) // Monday's events go, what they told kept
	rs, err = o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-25")
	require.NoError(t, err)
	require.Equal(t, want, rs.Total.Categories, "stored again with its categories before its events went")
}

// A day kept before ranges has no durations: while its events are kept
// they tell them; once they are gone the range says its percentiles are
// not exact, and which day they leave out.
func TestStatsRangeOfAnOlderRecord(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	o.waits(1, 2, 3)
	o.clk.Set(monday10.AddDate(0, 0, 1))
	o.waits(10, 20)
	dropDurations(t, o, "2026-11-23")

	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-24")
	require.NoError(t, err)
	require.True(t, rs.Exact(), "Monday's events are kept: they tell its waits")
	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, []queue.Hour{{Hour: 10, Issued: 3, WaitN: 3, WaitMean: 2 * time.Minute}}, st.Hours, "and its hours")
	require.Equal(t, queue.Dist{N: 5, Mean: 7*time.Minute + 12*time.Second, P50: 3 * time.Minute, P90: 20 * time.Minute, Max: 20 * time.Minute}, rs.Total.Wait)
	require.Equal(t, []queue.Hour{{Hour: 10, Issued: 5, WaitN: 5, WaitMean: 7*time.Minute + 12*time.Second}}, rs.Hours)

	o.clk.Set(monday10.AddDate(0, 0, 2))
	o.waits(30) // Monday's events go, what they told kept
	rs, err = o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-25")
	require.NoError(t, err)
	require.True(t, rs.Exact(), "Monday's figures were stored again with their durations before its events went")
	require.Equal(t, 3*time.Minute, rs.Total.Wait.P50, "of 1 2 3 10 20 30")

	// A store whose events went before this version kept them.
	dropDurations(t, o, "2026-11-23")
	one, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-23")
	require.NoError(t, err)
	require.True(t, one.Total.Wait.NoPercentiles, "no durations at all: unknown, not 0")
	b, err := json.Marshal(one.Total.Wait)
	require.NoError(t, err)
	require.JSONEq(t, `{"n":3,"mean_s":120,"p50_s":null,"p90_s":null,"max_s":180}`, string(b))
	rs, err = o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-25")
	require.NoError(t, err)
	require.False(t, rs.Exact())
	require.Equal(t, []string{"2026-11-23"}, rs.Inexact)
	require.Equal(t, 3, rs.Days)
	// n, the mean and the longest of all six; the percentiles of 10 20 30.
	require.Equal(t, queue.Dist{N: 6, Mean: 11 * time.Minute, P50: 20 * time.Minute, P90: 30 * time.Minute, Max: 30 * time.Minute}, rs.Total.Wait)
	require.Equal(t, []queue.Hour{{Hour: 10, Issued: 3, WaitN: 3, WaitMean: 20 * time.Minute}}, rs.Hours, "Tuesday's and Wednesday's")
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Nil(t, st.Hours, "unknown")
	b, err = json.Marshal(st)
	require.NoError(t, err)
	require.NotContains(t, string(b), "hours")
	b, err = json.Marshal(rs)
	require.NoError(t, err)
	require.Contains(t, string(b), `"days":3,"exact":false,"inexact_days":["2026-11-23"],"total":`)
	require.Contains(t, string(b), `"total":{"issued":6,"priority":0,"transfers_in":0,"visits":6,`)

	// Kept before visits, transfers_in and expired_at_counter were: those
	// of the range are unknown too.
	editRecord(t, o, "2026-11-23", func(rec map[string]json.RawMessage) {
		var total map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec["total"], &total))
		delete(total, "transfers_in")
		rec["total"], _ = json.Marshal(total)
	})
	rs, err = o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-25")
	require.NoError(t, err)
	b, err = json.Marshal(rs)
	require.NoError(t, err)
	require.Regexp(t, `"total":\{"issued":6,[^{]*"wait":.*"transfers_in":null,"visits":null,"expired_at_counter":null\},"services"`, string(b))
	require.Contains(t, string(b), `"services":{"social":{"issued":6,"priority":0,"transfers_in":0,"visits":6,`, "Monday's services are as they were")
}

// A finished day's record keeps its durations compactly: for the default
// office and a thousand tickets, a few kilobytes per distribution. The test
// logs the size with and without them (go test -v -run RecordSize).
func TestStatsRecordSize(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a busy day")
	}
	cfg := firmwareconfig.Default()
	cfg.Office.RefuseLate = false // every ticket is taken, as the day's thousand
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv))
	rnd := rand.New(rand.NewPCG(1, 2))
	free := map[string]time.Time{} // counter → when its visit ends
	start := o.clk.Now()
	issued := 0
	for now := start; now.Before(start.Add(8 * time.Hour)); now = now.Add(15 * time.Second) {
		o.clk.Set(now)
		if issued < 1000 && now.Sub(start) >= time.Duration(issued)*27*time.Second {
			svc := "social"
			switch r := rnd.IntN(10); {
			case r >= 9:
				svc = "employment"
			case r >= 7:
				svc = "pension"
			}
			o.issue(svc)
			issued++
		}
		for i := range cfg.Counters {
			id := cfg.Counters[i].ID
			if now.Before(free[id]) {
				continue
			}
			if o.next(id) != "" {
				free[id] = now.Add(2*time.Minute + time.Duration(rnd.IntN(480))*time.Second)
			}
		}
	}
	o.published()
	o.clk.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, kyiv))
	o.issue("social") // the day ends
	require.NoError(t, o.e.Close())
	db, err := bolt.Open(o.path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var rec map[string]json.RawMessage
	var size int
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte("stats")).Get([]byte("2026-11-23"))
		size = len(v)
		return json.Unmarshal(v, &rec)
	}))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	var figures struct {
		Total queue.Figure `json:"total"`
	}
	b, _ := json.Marshal(rec)
	require.NoError(t, json.Unmarshal(b, &figures))
	t.Logf("the record of a day of %d tickets (%d waits, %d visits served): %d bytes, %d of them the durations",
		figures.Total.Issued, figures.Total.Wait.N, figures.Total.Service.N, size, len(rec["durations"]))
	require.Equal(t, 1000, figures.Total.Issued)
	require.Less(t, size, 48<<10)
}

// A press a kiosk refused is counted under its service and the day, by
// reason, kept with the day's figures when the day ends (a day that only
// refused presses too, through stats_days) and summed over a range; its
// event goes out with the others.
func TestStatsRefusedPresses(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	require.NoError(t, o.e.Refused(o.ctx, "k1", "social", "daily_cap"))
	require.NoError(t, o.e.Refused(o.ctx, "k1", "social", "daily_cap"))
	require.NoError(t, o.e.Refused(o.ctx, "k2", "pension", "closed"))
	require.ErrorIs(t, o.e.Refused(o.ctx, "k1", "nosuch", "closed"), queue.ErrUnknownService)
	require.ErrorContains(t, o.e.Refused(o.ctx, "k1", "social", "repeat"), `"repeat"`, "a repeat turned nobody away")

	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, map[string]int{"daily_cap": 2, "closed": 1}, st.Total.Refused)
	require.Equal(t, map[string]int{"daily_cap": 2}, st.Services["social"].Refused)
	require.Equal(t, map[string]int{"closed": 1}, st.Services["pension"].Refused)
	require.Zero(t, st.Total.Issued)
	b, err := json.Marshal(st.Services["social"])
	require.NoError(t, err)
	require.Contains(t, string(b), `"refused":{"daily_cap":2}`)

	evs, err := o.e.Pending(0, 1<<20)
	require.NoError(t, err)
	var refused []queue.Event
	for _, ev := range evs {
		if ev.Type == queue.EvRefused {
			refused = append(refused, ev)
		}
	}
	require.Len(t, refused, 3)
	require.Equal(t, "k2", refused[2].Kiosk)
	require.Equal(t, "pension", refused[2].Service)
	require.Equal(t, "closed", refused[2].Reason)
	require.Nil(t, refused[2].Ticket)

	// Tuesday issues, Wednesday is today: Monday, which only refused
	// presses, is past stats_days, its events pruned; its figures stay.
	o.clk.Set(monday10.AddDate(0, 0, 1))
	o.waits(5)
	require.NoError(t, o.e.Refused(o.ctx, "k1", "social", "full"))
	o.clk.Set(monday10.AddDate(0, 0, 2))
	o.issue("social")
	o.published()
	mon, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err, "a day that turned citizens away has figures")
	require.Equal(t, map[string]int{"daily_cap": 2, "closed": 1}, mon.Total.Refused)

	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-25")
	require.NoError(t, err)
	require.Equal(t, 2, rs.Days, "a day that issued no ticket is no day the office worked")
	require.True(t, rs.Exact(), "a day that only refused presses has no hours to miss")
	require.Equal(t, map[string]int{"daily_cap": 2, "closed": 1, "full": 1}, rs.Total.Refused)
	require.Equal(t, map[string]int{"daily_cap": 2, "full": 1}, rs.Services["social"].Refused)
	require.Nil(t, rs.Counters["1"].Refused, "a counter refuses no press")
}

// After a restore from a backup of the morning, an administrator makes a
// service's numbering go on after the last number handed out: the next
// ticket is the one after it, also after a restart, and a numbering never
// goes back.
func TestContinueNumbering(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	require.NoError(t, o.e.ContinueNumbering(o.ctx, "social", 50))
	o.reopen()
	require.Equal(t, "А051", o.issue("social").Ticket.Label, "after a restart too")
	o.reopen()
	require.Equal(t, "А052", o.issue("social").Ticket.Label, "a ticket issued since goes on")
	require.Equal(t, "П001", o.issue("pension").Ticket.Label, "another numbering is its own")

	var ne *queue.NumberingError
	require.ErrorAs(t, o.e.ContinueNumbering(o.ctx, "social", 52), &ne, "not ahead")
	require.Contains(t, ne.Message, "А052")
	require.ErrorAs(t, o.e.ContinueNumbering(o.ctx, "social", 999), &ne, "no number after the largest")
	require.ErrorAs(t, o.e.ContinueNumbering(o.ctx, "social", 0), &ne)
	require.ErrorIs(t, o.e.ContinueNumbering(o.ctx, "nosuch", 5), queue.ErrUnknownService)

	var seen bool
	for _, ev := range o.events() {
		if ev.Type == queue.EvNumbering {
			seen = true
			require.Equal(t, "social", ev.Service)
			require.Equal(t, 50, ev.Number)
		}
	}
	require.True(t, seen, "an event says it")

	// The next day starts from 1.
	o.clk.Set(monday10.AddDate(0, 0, 1))
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
}

// A numbering continued and then renamed (a new id printing the prefix)
// goes on after the number given, live and after a restart.
func TestContinueNumberingThenRenamed(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	require.NoError(t, o.e.ContinueNumbering(o.ctx, "social", 42))
	renamed, err := config.Parse([]byte(strings.ReplaceAll(queuetest.OfficeYAML, "social", "social2")))
	require.NoError(t, err)
	require.NoError(t, o.e.SetConfig(o.ctx, renamed))
	require.Equal(t, "А043", o.issue("social2").Ticket.Label, "live")
	o.cfg = renamed
	o.reopen()
	require.Equal(t, "А044", o.issue("social2").Ticket.Label, "after a restart")
}

// A day's air-raid alerts are in its figures: how many, and how long,
// today's until now, an alert overnight in each day's up to its end and
// from its start; a range sums them.
func TestStatsAlerts(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, kyiv) }
	o := newOffice(t, nil, at(23, 9, 0))
	o.issue("social")
	alert := func(from, to time.Time) {
		o.clk.Set(from)
		require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
		if !to.IsZero() {
			o.clk.Set(to)
			require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
		}
	}
	alert(at(23, 10, 5), at(23, 12, 5))
	alert(at(23, 13, 0), at(23, 13, 40))
	o.clk.Set(at(23, 14, 0))
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада")) // no alert
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 2, Duration: 2*time.Hour + 40*time.Minute}, st.Alerts)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	require.Contains(t, string(b), `"alerts":{"n":2,"s":9600}`)

	alert(at(23, 22, 0), time.Time{}) // overnight
	o.clk.Set(at(23, 23, 0))
	st, err = o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 3, Duration: 3*time.Hour + 40*time.Minute}, st.Alerts, "until now")
	o.clk.Set(at(24, 0, 0))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrPaused, "the new day starts in the alert")
	o.clk.Set(at(24, 0, 30))
	require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
	o.issue("social")
	mon, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 3, Duration: 4*time.Hour + 40*time.Minute}, mon.Alerts, "until midnight")
	tue, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 0, Duration: 30 * time.Minute}, tue.Alerts, "from the day's start; it began the day before")
	b, err = json.Marshal(tue)
	require.NoError(t, err)
	require.Contains(t, string(b), `"alerts":{"n":0,"s":1800}`)
	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-24")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 3, Duration: 5*time.Hour + 10*time.Minute}, rs.Alerts, "the one overnight once")
	b, err = json.Marshal(rs)
	require.NoError(t, err)
	require.Contains(t, string(b), `"alerts":{"n":3,"s":18600}`)
}
