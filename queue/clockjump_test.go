package queue_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// runningOffice is the nine-to-five office, its engine an hour into its
// run at Monday 10:00, with two social tickets waiting; up is its uptime,
// which the test moves with the clock.
func runningOffice(t *testing.T) (*office, *queue.Engine, *time.Duration) {
	t.Helper()
	o := newOffice(t, queuetest.Office(t, nineToFive), monday10)
	require.NoError(t, o.e.Close())
	up := time.Hour
	opts := o.opts()
	opts.Uptime = func() time.Duration { return up }
	o.e = queuetest.OpenPath(t, o.path, o.cfg, opts)
	o.issue("social")
	o.issue("social")
	return o, o.e, &up
}

// A running office's clock stepped a year ahead (a bad time server) and,
// a minute on, put right: no day started meanwhile, nobody was sent home,
// nothing was issued under the day to come, and the day and its numbering
// go on.
func TestClockStepAheadHeld(t *testing.T) {
	o, e, up := runningOffice(t)
	o.clk.Set(time.Date(2027, 11, 24, 10, 0, 0, 0, kyiv))
	*up += 20 * time.Second
	queue.Tick(e)
	_, err := e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClockUnset, "no ticket under a day that may be wrong")
	require.ErrorIs(t, e.Issuable(o.ctx, "social"), queue.ErrClockUnset, "the lamps are off")
	require.Equal(t, "А001", o.next("1"), "counters keep working")

	o.clk.Set(monday10.Add(time.Minute))
	*up += 40 * time.Second
	queue.Tick(e)
	day, err := e.Day(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "2026-11-23", day)
	require.Equal(t, queue.Waiting, o.ticket("А002").State)
	iss := o.issue("social")
	require.Equal(t, []string{"А003", "2026-11-23"}, []string{iss.Ticket.Label, iss.Ticket.Day})
}

// A step past a service's closing, held, closes nothing; one that lasts
// 5 minutes is the time, and the closing comes.
func TestClockStepAheadConfirmed(t *testing.T) {
	o, e, up := runningOffice(t)
	o.clk.Set(time.Date(2026, 11, 23, 17, 30, 0, 0, kyiv))
	*up += time.Second
	queue.Tick(e)
	require.Equal(t, queue.Waiting, o.ticket("А001").State, "held: no closing")
	o.clk.Add(4 * time.Minute)
	*up += 4 * time.Minute
	queue.Tick(e)
	require.Equal(t, queue.Waiting, o.ticket("А001").State, "still held")
	o.clk.Add(2 * time.Minute)
	*up += 2 * time.Minute
	queue.Tick(e)
	require.Equal(t, queue.Expired, o.ticket("А001").State, "kept 5 minutes: believed, and social closed at 17:00")
	ended := o.ticket("А001").Ended
	require.True(t, time.Date(2026, 11, 23, 17, 0, 0, 0, kyiv).Equal(ended), "sent home at the closing the clock stepped over, not when the step was believed: %s", ended)
}

// An administrator who knows the step is right (clock.trust) takes it at
// once; in the first minutes of a run (NTP setting a clock restored from
// the evening before) a step is taken at once too.
func TestClockStepAheadTrusted(t *testing.T) {
	o, e, up := runningOffice(t)
	tuesday := time.Date(2026, 11, 24, 9, 30, 0, 0, kyiv)
	o.clk.Set(tuesday)
	*up += time.Second
	queue.Tick(e)
	require.Equal(t, queue.Waiting, o.ticket("А001").State)
	_, err := e.TrustClock(o.ctx)
	require.NoError(t, err)
	iss := o.issue("social")
	require.Equal(t, []string{"А001", "2026-11-24"}, []string{iss.Ticket.Label, iss.Ticket.Day})

	// Booted a minute ago at Monday's evening: NTP answers with Tuesday.
	o = newOffice(t, queuetest.Office(t, nineToFive), time.Date(2026, 11, 23, 16, 0, 0, 0, kyiv))
	o.issue("social")
	o.clk.Set(tuesday)
	iss = o.issue("social")
	require.Equal(t, []string{"А001", "2026-11-24"}, []string{iss.Ticket.Label, iss.Ticket.Day})
}
