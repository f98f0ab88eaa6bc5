package queue_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// requireBalanced checks the identities of a day's figures, open being the
// day's tickets not yet ended (none once the day is over): every visit at
// a counter ended one way; every ticket that came into a service (issued or
// transferred there) left it one way; and every ticket sent home was either
// at a counter or had its uncalled wait counted (exact when the clock was
// set all day: a wait read from a clock that was not is not counted).
func requireBalanced(t *testing.T, st *queue.DayStats, open []queue.Ticket, clockSet bool) {
	t.Helper()
	openIn, atCounter := map[string]int{}, map[string]int{}
	for _, tk := range open {
		openIn[tk.Service]++
		if tk.State == queue.Called || tk.State == queue.Serving {
			atCounter[tk.Counter]++
		}
	}
	for id, f := range st.Counters {
		require.Equal(t, f.Visits, f.Served+f.NoShows+f.Transfers+f.Expired+atCounter[id], "%s: counter %s: %+v", st.Day, id, f)
		require.Equal(t, f.Expired, f.ExpiredAtCounter, "%s: counter %s", st.Day, id)
	}
	balanced := func(name string, f queue.Figure, open int) {
		t.Helper()
		require.Equal(t, f.Issued+f.TransfersIn, f.Served+f.NoShows+f.Voided+f.Expired+f.Transfers+open, "%s: %s: %+v", st.Day, name, f)
		require.LessOrEqual(t, f.WaitExpired.N, f.Expired-f.ExpiredAtCounter, "%s: %s", st.Day, name)
		if clockSet {
			require.Equal(t, f.Expired-f.ExpiredAtCounter, f.WaitExpired.N, "%s: %s: the sent home were at a counter or waited", st.Day, name)
		}
	}
	for id, f := range st.Services {
		balanced("service "+id, f, openIn[id])
	}
	balanced("total", st.Total, len(open))
	require.Equal(t, st.Total.Transfers, st.Total.TransfersIn, st.Day)
	visits := 0
	for _, f := range st.Counters {
		visits += f.Visits
	}
	require.Equal(t, st.Total.Visits, visits, st.Day)
}

// openTickets are today's tickets not ended yet.
func (o *office) openTickets() []queue.Ticket {
	o.t.Helper()
	var open []queue.Ticket
	for _, tk := range o.tickets() {
		if !tk.State.Terminal() {
			open = append(open, tk)
		}
	}
	return open
}

func (o *office) transfer(counter, to, toCounter string) {
	o.t.Helper()
	_, err := o.e.Counter(o.ctx, counter, queue.Command{Action: queue.Transfer, To: to, ToCounter: toCounter})
	require.NoError(o.t, err)
}

// A citizen at a counter when the day ends is sent home there: the
// counter's visit ended so, and the day tells them from those sent home
// uncalled. No service time is known of them.
func TestStatsExpiredAtCounter(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 3 {
		o.issue("social")
	}
	o.clk.Add(10 * time.Minute)
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "А002", o.next("2"))
	o.do("2", queue.Serve) // the citizen came
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	requireBalanced(t, st, o.openTickets(), true)

	o.clk.Set(time.Date(2026, 11, 24, 0, 1, 0, 0, kyiv))
	o.issue("social")
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	requireBalanced(t, st, nil, true)
	for _, id := range []string{"1", "2"} {
		c := st.Counters[id]
		require.Equal(t, 1, c.Visits, id)
		require.Equal(t, 1, c.Expired, "counter %s: at it when the day ended", id)
		require.Equal(t, 1, c.ExpiredAtCounter, id)
		require.Zero(t, c.Service.N, id)
	}
	require.Equal(t, 3, st.Total.Expired)
	require.Equal(t, 2, st.Total.ExpiredAtCounter)
	require.Equal(t, 2, st.Services["social"].ExpiredAtCounter)
	require.Equal(t, 1, st.Total.WaitExpired.N, "only А003 was sent home uncalled")
	require.Equal(t, 14*time.Hour, st.Total.WaitExpired.Max)
	require.Zero(t, st.Total.Service.N)
	require.Equal(t, 2, st.Total.Visits)
}

// The business day the clocks go back is 25 hours long: a ticket sent
// home uncalled at its end, in an office open round the clock, waited
// more than 24 hours, and that wait is counted.
func TestStatsDayOf25Hours(t *testing.T) {
	o := newOffice(t, nil, time.Date(2026, 10, 25, 0, 10, 0, 0, kyiv))
	o.issue("social")
	o.clk.Set(time.Date(2026, 10, 26, 0, 1, 0, 0, kyiv))
	queue.Tick(o.e)
	st, err := o.e.Stats(o.ctx, "2026-10-25")
	require.NoError(t, err)
	requireBalanced(t, st, nil, true)
	waited := 24*time.Hour + 50*time.Minute
	require.Equal(t, queue.Dist{N: 1, Mean: waited, P50: waited, P90: waited, Max: waited}, st.Total.WaitExpired)
}

// The figures are worked out beside the engine: neither a press waits for
// them nor they for a request the engine is busy with. Today's seq is the
// last event they count.
func TestStatsBesideTheEngine(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	evs := o.events()
	last := evs[len(evs)-1].Seq
	release := queue.HoldEngine(o.e)
	defer release()
	got := make(chan *queue.DayStats, 1)
	go func() {
		st, err := o.e.Stats(o.ctx, "")
		assert.NoError(t, err)
		got <- st
	}()
	select {
	case st := <-got:
		require.Equal(t, 1, st.Total.Issued)
		require.Equal(t, 1, st.Total.Visits)
		require.Equal(t, last, st.Seq)
	case <-time.After(10 * time.Second):
		t.Fatal("the day's figures waited for the engine")
	}
	ranged := make(chan *queue.RangeStats, 1)
	go func() {
		r, err := o.e.StatsRange(o.ctx, "2026-11-01", "2026-11-30")
		assert.NoError(t, err)
		ranged <- r
	}()
	select {
	case r := <-ranged:
		require.Equal(t, 1, r.Total.Issued)
		require.Equal(t, last, r.Seq)
	case <-time.After(10 * time.Second):
		t.Fatal("a month's figures waited for the engine")
	}
	release()

	// Why a day has no figures reads the configuration, which config.set
	// changes meanwhile (-race sees it).
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			cfg := queuetest.Office(t)
			cfg.Office.Name = fmt.Sprint("Офіс ", i)
			assert.NoError(t, o.e.SetConfig(o.ctx, cfg))
		}
	}()
	for range 20 {
		_, err := o.e.Stats(o.ctx, "2026-11-22") // a Sunday before the first record
		require.ErrorIs(t, err, queue.ErrUnknownDay)
	}
	<-done
}

// A no-show sent back to the queue waits there again: sent home uncalled,
// that wait is in wait_expired; called again, it is no new wait (wait is
// each first call in a queue).
func TestStatsNoShowBackThenExpired(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("noshow_grace_min: 5")), monday10)
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, kyiv) }
	o.issue("social")
	o.issue("social")
	o.clk.Set(at(10, 10))
	require.Equal(t, "А001", o.next("1")) // waited 10 min
	o.clk.Set(at(10, 11))
	o.do("1", queue.NoShowed) // back, for counter 1 from 10:16
	require.Equal(t, "А002", o.next("1"))
	o.clk.Set(at(10, 12))
	o.do("1", queue.NoShowed) // back, for counter 1 from 10:17
	o.clk.Set(at(10, 20))
	require.Equal(t, "А001", o.next("1"))
	o.clk.Set(at(10, 30))
	o.do("1", queue.Finish)
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	requireBalanced(t, st, o.openTickets(), true)

	o.clk.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, kyiv))
	queue.Tick(o.e)
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	requireBalanced(t, st, nil, true)
	require.Equal(t, queue.Dist{N: 2, Mean: 10*time.Minute + 30*time.Second, P50: 10 * time.Minute, P90: 11 * time.Minute, Max: 11 * time.Minute}, st.Total.Wait,
		"А001's second call is not a second wait")
	sent := 13*time.Hour + 48*time.Minute // back at 10:12, the day ended at midnight
	require.Equal(t, queue.Dist{N: 1, Mean: sent, P50: sent, P90: sent, Max: sent}, st.Total.WaitExpired)
	require.Equal(t, 1, st.Total.Expired)
	require.Zero(t, st.Total.ExpiredAtCounter)
	c := st.Counters["1"]
	require.Equal(t, []int{3, 1, 2}, []int{c.Visits, c.Served, c.NoShows})
}

// Per service, what came in (issued, transferred in) went out one way or
// is still open: a ticket transferred twice, one to another counter of its
// own service, one to a named counter of another.
func TestStatsTransfersBalance(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 4 {
		o.issue("social")
	}
	o.issue("pension")
	o.issue("employment")
	o.clk.Add(5 * time.Minute)

	require.Equal(t, "А001", o.next("1"))
	o.transfer("1", "pension", "")
	require.Equal(t, "А001", o.next("3"))
	o.transfer("3", "employment", "")
	require.Equal(t, "А001", o.next("4"))
	o.clk.Add(5 * time.Minute)
	o.do("4", queue.Finish)

	require.Equal(t, "А002", o.next("1"))
	o.transfer("1", "social", "2") // another counter of its service
	require.Equal(t, "А002", o.next("2"))
	o.do("2", queue.Finish)

	require.Equal(t, "П001", o.next("3"))
	o.do("3", queue.NoShowed)

	require.Equal(t, "А003", o.next("1"))
	o.transfer("1", "pension", "3") // waits for counter 3
	require.NoError(t, o.e.Void(o.ctx, o.ticket("З001").ID, "printer jam"))
	// А003 and А004 still wait.

	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	requireBalanced(t, st, o.openTickets(), true)
	require.Equal(t, queue.Figure{Issued: 4, TransfersIn: 1, Visits: 4, Served: 1, Transfers: 3}, strip(st.Services["social"]))
	require.Equal(t, queue.Figure{Issued: 1, TransfersIn: 2, Visits: 2, NoShows: 1, Transfers: 1}, strip(st.Services["pension"]))
	require.Equal(t, queue.Figure{Issued: 1, TransfersIn: 1, Visits: 1, Served: 1, Voided: 1}, strip(st.Services["employment"]))
	require.Equal(t, 4, st.Total.TransfersIn)

	o.clk.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, kyiv))
	queue.Tick(o.e)
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	requireBalanced(t, st, nil, true)
	require.Equal(t, 1, st.Services["pension"].Expired, "А003, sent home from pension's queue")
	require.Equal(t, 1, st.Services["social"].Expired, "А004")
}

// strip keeps a figure's counts of tickets and visits.
func strip(f queue.Figure) queue.Figure {
	return queue.Figure{Issued: f.Issued, Priority: f.Priority, TransfersIn: f.TransfersIn, Visits: f.Visits, Served: f.Served,
		NoShows: f.NoShows, Transfers: f.Transfers, Voided: f.Voided, Expired: f.Expired, ExpiredAtCounter: f.ExpiredAtCounter}
}

// The figures of a day kept before visits, transfers_in, expired_at_counter
// and the means were: unknown (null), not 0, once the day's events are
// gone; from the events while they are kept.
func TestStatsKeptBefore(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	o.issue("social")
	o.clk.Add(10 * time.Minute)
	o.next("1")
	o.clk.Add(10 * time.Minute)
	o.do("1", queue.Finish)
	o.published()
	o.clk.Set(monday10.AddDate(0, 0, 1))
	o.issue("social")
	o.published()

	old := `{"day":"2026-11-23","total":{"issued":1,"priority":0,"served":1,"noshows":0,"transfers":0,"voided":0,"expired":0,"ratings":0,"rating_avg":0,` +
		`"wait":{"n":1,"p50_s":600,"p90_s":600,"max_s":600},"service":{"n":1,"p50_s":600,"p90_s":600,"max_s":600},"wait_expired":{"n":0,"p50_s":0,"p90_s":0,"max_s":0}},` +
		`"services":{},"counters":{}}`
	require.NoError(t, o.e.Close())
	db, err := bolt.Open(o.path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("stats")).Put([]byte("2026-11-23"), []byte(old)) }))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())

	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.False(t, st.Total.Older, "its events are kept: they tell")
	require.Equal(t, 1, st.Total.Visits)
	require.Equal(t, 10*time.Minute, st.Total.Wait.Mean)

	o.clk.Set(monday10.AddDate(0, 0, 2))
	o.issue("social")
	o.clk.Set(monday10.AddDate(0, 0, 3))
	o.issue("social") // the 23rd's events are gone, what they told kept
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.False(t, st.Total.Older, "stored again from its events before they went")
	require.Equal(t, 1, st.Total.Visits)

	// A store whose events went before this version kept them.
	require.NoError(t, o.e.Close())
	db, err = bolt.Open(o.path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("stats")).Put([]byte("2026-11-23"), []byte(old)) }))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.True(t, st.Total.Older)
	require.True(t, st.Total.Wait.NoMean)
	b, err := json.Marshal(st)
	require.NoError(t, err)
	var got struct {
		Total map[string]any `json:"total"`
	}
	require.NoError(t, json.Unmarshal(b, &got))
	for _, k := range []string{"visits", "transfers_in", "expired_at_counter"} {
		v, ok := got.Total[k]
		require.True(t, ok, k)
		require.Nil(t, v, "%s is unknown, not 0", k)
	}
	require.Equal(t, 1.0, got.Total["served"])
	require.Nil(t, got.Total["wait"].(map[string]any)["mean_s"])
	require.Equal(t, 0.0, got.Total["wait_expired"].(map[string]any)["mean_s"], "the mean of no waits")
	var back queue.DayStats
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *st, back, "as it is read, so it is written")
}

// A day with no figures says why: one to come, one before the office's
// first record, a holiday, a day the hours close, a day nobody came. The
// figures of a day whose tickets are gone are kept.
func TestStatsUnknownDaySaysWhy(t *testing.T) {
	cfg := queuetest.Office(t, weekdays, withOffice("stats_days: 1\n  holidays: [2026-11-25]"))
	o := newOffice(t, cfg, monday10)
	for _, d := range []int{0, 1, 7} { // Monday, Tuesday, the next Monday
		o.clk.Set(monday10.AddDate(0, 0, d))
		o.issue("social")
		o.published()
	}

	for day, why := range map[string]string{
		"2026-12-01": "no figures of 2026-12-01: it is still to come (today is 2026-11-30)",
		"2026-11-22": "no figures of 2026-11-22: it is before the office's first record (2026-11-23)",
		"2026-11-25": "no figures of 2026-11-25: no ticket was issued: a holiday, as office.holidays has it now",
		"2026-11-29": "no figures of 2026-11-29: no ticket was issued: the office is closed on Sundays, as its hours are now",
		"2026-11-26": "no figures of 2026-11-26: no ticket was issued that day (nobody came, or the office was off)",
	} {
		_, err := o.e.Stats(o.ctx, day)
		require.ErrorIs(t, err, queue.ErrUnknownDay, day)
		require.Equal(t, "queue: "+why, err.Error())
	}
	_, err := o.e.TicketsOf(o.ctx, "2026-11-23")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err, "its tickets are gone, its figures are kept")
	require.Equal(t, 1, st.Total.Issued)
}
