package queue_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// While the broker is away nothing is lost: events it never acknowledged
// outlive office.stats_days, from the first boot on.
func TestPruneKeepsUnpublishedEvents(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	o.issue("social")
	o.clk.Set(monday10.AddDate(0, 0, 3)) // the broker was down meanwhile
	o.issue("social")
	evs, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, uint64(1), evs[0].Seq)

	// Once published, the old days go.
	o.published()
	o.clk.Set(monday10.AddDate(0, 0, 4))
	o.issue("social")
	_, err = o.e.TicketsOf(o.ctx, "2026-11-23")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	require.EqualError(t, err, "queue: no tickets of 2026-11-23: it issued no ticket, or its tickets are older than office.stats_days")
	// An integration asking for what is gone is told so, and from where
	// to ask.
	_, err = o.e.Replay(2, 10)
	var pe *queue.PrunedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, o.events()[0].Seq, pe.First)

	// Nor is one asking past the next event (its store went back) told
	// it is up to date; asking for the next one is.
	evs = o.events()
	last := evs[len(evs)-1].Seq
	evs, err = o.e.Replay(last+1, 10)
	require.NoError(t, err)
	require.Empty(t, evs)
	_, err = o.e.Replay(last+2, 10)
	var ae *queue.AheadError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, queue.AheadError{From: last + 2, Last: last}, *ae)
	_, err = o.e.Replay(math.MaxUint64, 10)
	require.ErrorIs(t, err, queue.ErrAhead)
}

// ReplayBytes stops at the event that takes what it read past the bytes
// given: an answer of a size limit reads no more than it can carry.
func TestReplayBytes(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 20 {
		o.issue("social")
	}
	all, err := o.e.Replay(1, 100)
	require.NoError(t, err)
	require.Len(t, all, 21) // day.started and the tickets
	size := 0
	for _, ev := range all[:5] {
		b, err := json.Marshal(ev)
		require.NoError(t, err)
		size += len(b)
	}
	evs, err := o.e.ReplayBytes(1, 100, size-1)
	require.NoError(t, err)
	require.Equal(t, all[:5], evs, "up to the one that crosses the bytes")
	evs, err = o.e.ReplayBytes(1, 3, size)
	require.NoError(t, err)
	require.Equal(t, all[:3], evs, "max still holds")
}

func TestFirstBootKeepsUnpublishedEvents(t *testing.T) {
	o := newOffice(t, nil, time.Unix(0, 0)) // no clock, no network
	o.do("2", queue.Pause)
	o.clk.Set(monday10) // NTP answers: the first business day starts
	o.issue("social")
	evs, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, queue.EvPaused, evs[0].Type)
}

// One clock reading a year ahead (it is then corrected) does not take the
// kept days with it.
func TestClockAheadOnceKeepsHistory(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.published()
	o.clk.Set(monday10.AddDate(1, 0, 0))
	o.issue("social")
	o.clk.Set(monday10.Add(time.Minute))
	past, err := o.e.TicketsOf(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Len(t, past, 1)
	require.Equal(t, uint64(1), o.events()[0].Seq)
}

// A ticket called while the clock showed 1970 and served after NTP set it
// adds no decades to the service times, live or stored.
func TestServiceTimeAcrossClockSet(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.clk.Set(time.Unix(0, 0)) // a power cut: the Pi boots at 1970
	o.reopen()
	require.Equal(t, "А001", o.next("1"))
	o.clk.Set(monday10.Add(10 * time.Minute))
	o.do("1", queue.Finish)
	o.reopen()
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, st.Total.Served)
	require.Zero(t, st.Total.Service.N, "no service time from a clock that was not set")
	require.Zero(t, st.Total.Wait.N)
	o.clk.Set(monday10.AddDate(0, 0, 1))
	queue.Tick(o.e)
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Zero(t, st.Services["social"].Service.N)
}

// A rating is for the citizen the counter finished last, even when the
// clock was set back in between.
func TestRatingAfterClockSetBack(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(30 * time.Minute)
	require.Equal(t, "А002", o.next("1"))      // А001 done at 10:30
	o.clk.Set(monday10.Add(-45 * time.Minute)) // NTP: the clock was 55 min fast
	o.do("1", queue.Finish)                    // А002 done at 09:15
	tk, err := o.e.Rate(o.ctx, "1", 1)
	require.NoError(t, err)
	require.Equal(t, "А002", tk.Label)
	o.reopen()
	tk, err = o.e.Rate(o.ctx, "1", 2)
	require.NoError(t, err)
	require.Equal(t, "А002", tk.Label, "after a restart too")
}

// A board published again (a restart, a reconnection, a change of
// configuration) keeps the time of its call, so it does not blink again.
func TestBoardKeepsItsCallTime(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	called := o.clk.Now()
	require.Equal(t, "А001", o.next("1"))
	board := func() time.Time {
		t.Helper()
		require.NoError(t, o.e.Republish(o.ctx))
		for _, b := range o.e.TakeRetained().Boards {
			if b.Counter == "1" {
				return b.At
			}
		}
		t.Fatal("no board 1")
		return time.Time{}
	}
	o.clk.Add(5 * time.Minute)
	require.True(t, called.Equal(board()))
	o.do("1", queue.Recall)
	recalled := o.clk.Now()
	o.clk.Add(5 * time.Minute)
	require.True(t, recalled.Equal(board()))
	o.reopen()
	require.True(t, recalled.Equal(board()), "after a restart too")
}

// weekdays opens the test office Monday to Friday, 09:00 to 17:00.
func weekdays(s string) string {
	return nineToFive(strings.Replace(s, `, sat: "00:00-24:00", sun: "00:00-24:00"`, "", 1))
}

// runTo moves the clock hour by hour up to until, the engine's timer
// ticking at each, and serves one citizen at 10:00 of every day the office
// is open.
func (o *office) runTo(until time.Time) {
	o.t.Helper()
	for now := o.clk.Add(time.Hour); !now.After(until); now = o.clk.Add(time.Hour) {
		queue.Tick(o.e)
		if wd := now.Weekday(); now.Hour() == 10 && wd != time.Saturday && wd != time.Sunday {
			o.issue("social")
			o.next("1")
			o.do("1", queue.Finish)
			o.published()
		}
	}
	o.clk.Set(until)
}

// office.stats_days counts business days, the days that issued a ticket:
// the engine's timer starts a day every midnight, the weekend's too, and
// those push no day out, nor are kept.
func TestStatsDaysAreBusinessDays(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, weekdays, withOffice("stats_days: 5")), monday10)
	o.issue("social")
	o.next("1")
	o.do("1", queue.Finish)
	o.published()
	// The next Monday: the five days of last week are kept.
	o.runTo(monday10.AddDate(0, 0, 7))
	for d := range 5 {
		day := monday10.AddDate(0, 0, d).Format("2006-01-02")
		ts, err := o.e.TicketsOf(o.ctx, day)
		require.NoError(t, err, day)
		require.Len(t, ts, 1, day)
	}
	for _, day := range []string{"2026-11-28", "2026-11-29"} {
		_, err := o.e.TicketsOf(o.ctx, day)
		require.ErrorIs(t, err, queue.ErrUnknownDay, "%s: nobody came, nothing is kept", day)
		_, err = o.e.Stats(o.ctx, day)
		require.ErrorIs(t, err, queue.ErrUnknownDay, day)
	}

	// Tuesday: the Monday before goes, but for its figures.
	o.runTo(monday10.AddDate(0, 0, 8))
	_, err := o.e.TicketsOf(o.ctx, "2026-11-23")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, 1, st.Total.Served)
	ts, err := o.e.TicketsOf(o.ctx, "2026-11-24")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	evs := o.events()
	require.Equal(t, queue.EvDayStarted, evs[0].Type)
	require.Equal(t, "2026-11-24", evs[0].Reason, "events from the first kept day on")
	o.reopen()
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
}

// A day that only refused presses (a kiosk pressed on a Saturday the
// office is closed) keeps its figures, of the citizens turned away, but is
// no business day: it pushed Friday's tickets out of office.stats_days.
func TestRefusalsMakeNoBusinessDay(t *testing.T) {
	friday := monday10.AddDate(0, 0, 4)
	o := newOffice(t, queuetest.Office(t, weekdays, withOffice("stats_days: 1")), friday)
	o.issue("social")
	o.next("1")
	o.do("1", queue.Finish)
	o.published()
	o.runTo(friday.AddDate(0, 0, 1)) // Saturday, closed
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.ErrorIs(t, err, queue.ErrClosed)
	require.NoError(t, o.e.Refused(o.ctx, "k1", "social", "closed"))
	o.published()

	// Monday: Friday is the one business day kept before today.
	o.runTo(monday10.AddDate(0, 0, 7))
	o.issue("social")
	o.published()
	ts, err := o.e.TicketsOf(o.ctx, "2026-11-27")
	require.NoError(t, err, "Friday's tickets are kept")
	require.Len(t, ts, 1)
	st, err := o.e.Stats(o.ctx, "2026-11-28")
	require.NoError(t, err, "Saturday's figures are kept")
	require.Equal(t, 1, st.Total.Refused["closed"])

	// Tuesday: Monday is the one kept; Friday goes, and Saturday with it.
	o.runTo(monday10.AddDate(0, 0, 8))
	_, err = o.e.TicketsOf(o.ctx, "2026-11-27")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	ts, err = o.e.TicketsOf(o.ctx, "2026-11-30")
	require.NoError(t, err)
	require.NotEmpty(t, ts)
}

// A store written when every calendar day counted records the days of a
// weekend, with empty figures: they no longer count, and go.
func TestStatsDaysOfAnOlderStore(t *testing.T) {
	friday := monday10.AddDate(0, 0, 4)
	o := newOffice(t, queuetest.Office(t, weekdays, withOffice("stats_days: 1")), friday)
	o.issue("social")
	o.published()
	o.runTo(friday.AddDate(0, 0, 2)) // Sunday
	var saturday uint64
	for _, ev := range o.events() {
		if ev.Type == queue.EvDayStarted && ev.Reason == "2026-11-28" {
			saturday = ev.Seq
		}
	}
	require.NotZero(t, saturday)
	require.NoError(t, o.e.Close())
	db, err := bolt.Open(o.path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		// What the engine kept of Saturday before days were counted.
		if err := tx.Bucket([]byte("days")).Put([]byte("2026-11-28"), binary.BigEndian.AppendUint64(nil, saturday)); err != nil {
			return err
		}
		v, err := json.Marshal(&queue.DayStats{Day: "2026-11-28", Services: map[string]queue.Figure{}, Counters: map[string]queue.Figure{}})
		if err != nil {
			return err
		}
		return tx.Bucket([]byte("stats")).Put([]byte("2026-11-28"), v)
	}))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	_, err = o.e.Stats(o.ctx, "2026-11-28")
	require.NoError(t, err, "the old record is there")

	// Monday: Friday is the one kept day, Saturday and Sunday are gone.
	o.runTo(monday10.AddDate(0, 0, 7))
	ts, err := o.e.TicketsOf(o.ctx, "2026-11-27")
	require.NoError(t, err)
	require.Len(t, ts, 1)
	_, err = o.e.Stats(o.ctx, "2026-11-28")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	_, err = o.e.TicketsOf(o.ctx, "2026-11-28")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
}

// A backup restored knows it is one: its store lists the restore, with the
// backup's last event, after which the seqs are given again; the store it
// was taken from lists none, and a restore of a restored store's backup
// adds one more.
func TestRestoredBackupIsListed(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	backup := filepath.Join(t.TempDir(), "backup.db")
	_, err := o.e.Backup(backup, false)
	require.NoError(t, err)
	seq, err := o.e.LastSeq(o.ctx)
	require.NoError(t, err)
	o.issue("social") // the office goes on
	rs, err := o.e.Restores()
	require.NoError(t, err)
	require.Empty(t, rs)
	require.NoError(t, queue.Verify(backup, o.cfg), "checking a backup is no restore")
	// As a clean stop leaves a store: every event archived, no fence, so
	// that a release before the recent bucket (a rollback) reads it.
	_, recent := queue.EventBuckets(o.e)
	require.Positive(t, recent, "the running store's latest events are in its recent bucket")
	fenced, recent, err := queue.FileEvents(backup)
	require.NoError(t, err)
	require.False(t, fenced)
	require.Zero(t, recent)

	o.clk.Add(time.Hour)
	e := queuetest.OpenPath(t, backup, o.cfg, o.opts())
	rs, err = e.Restores()
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, seq, rs[0].Seq)
	require.True(t, monday10.Equal(rs[0].BackupAt), "%v", rs[0].BackupAt)
	require.Len(t, rs[0].ID, 16)
	iss, err := e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.Equal(t, "А002", iss.Ticket.Label, "the restored store's own А002")
	again := filepath.Join(t.TempDir(), "again.db")
	_, err = e.Backup(again, true)
	require.NoError(t, err)
	require.NoError(t, e.Close())

	e = queuetest.OpenPath(t, backup, o.cfg, o.opts())
	same, err := e.Restores()
	require.NoError(t, err)
	require.Equal(t, rs, same, "a restart is no restore")
	require.NoError(t, e.Close())

	e = queuetest.OpenPath(t, again, o.cfg, o.opts())
	defer e.Close()
	two, err := e.Restores()
	require.NoError(t, err)
	require.Len(t, two, 2)
	require.Equal(t, rs[0], two[0])
	require.Equal(t, seq+1, two[1].Seq)
	require.NotEqual(t, rs[0].ID, two[1].ID)
}

// A compacted backup holds the data alone: after office.stats_days was
// lowered and the days beyond it pruned, it is smaller than the store's
// own copy, which keeps their pages, and holds the same.
func TestCompactedBackup(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 30")), monday10)
	for d := range 5 {
		o.clk.Set(monday10.AddDate(0, 0, d))
		for range 300 {
			o.issue("social")
		}
		o.published()
	}
	o.cfg = queuetest.Office(t, withOffice("stats_days: 1"))
	o.reopen()
	o.clk.Set(monday10.AddDate(0, 0, 5))
	o.issue("social") // all but the last day go
	dir := t.TempDir()
	plain, err := o.e.Backup(filepath.Join(dir, "plain.db"), false)
	require.NoError(t, err)
	compact, err := o.e.Backup(filepath.Join(dir, "compact.db"), true)
	require.NoError(t, err)
	t.Logf("plain %d bytes, compacted %d", plain, compact)
	require.Less(t, compact, plain/2)
	// What the answer says is what the path holds.
	for name, n := range map[string]int64{"plain.db": plain, "compact.db": compact} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, fi.Size(), n, name)
	}
	require.NoError(t, queue.Verify(filepath.Join(dir, "compact.db"), o.cfg))
	want, err := o.e.Tickets(o.ctx)
	require.NoError(t, err)
	e := queuetest.OpenPath(t, filepath.Join(dir, "compact.db"), o.cfg, o.opts())
	defer e.Close()
	got, err := e.Tickets(o.ctx)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].ID, got[i].ID)
		require.Equal(t, want[i].Label, got[i].Label)
		require.True(t, want[i].Issued.Equal(got[i].Issued))
	}
	st, err := e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err, "the figures of a pruned day are in it")
	require.Equal(t, 300, st.Total.Issued)
}
