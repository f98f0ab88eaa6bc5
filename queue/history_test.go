package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	// An integration asking for what is gone is told so, and from where
	// to ask.
	_, err = o.e.Replay(2, 10)
	var pe *queue.PrunedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, o.events()[0].Seq, pe.First)
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
