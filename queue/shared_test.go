package queue_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// The estimates where a counter serves several services. The test office:
// counter 1 serves social (10 min a visit), 3 pension (15 min), and 2
// both.

// play runs the counters from now until end, each pressing next as it
// frees up, every visit exactly as long as its service's avg_service_min
// (the estimate's own model, made true), in the order the estimate takes
// counters that free up together, and returns when each ticket was first
// called.
func play(o *office, counters []string, end time.Time) map[string]time.Time {
	o.t.Helper()
	visit := map[string]time.Duration{}
	for _, s := range o.cfg.Services {
		visit[s.ID] = time.Duration(s.AvgServiceMin * float64(time.Minute))
	}
	called := map[string]time.Time{}
	busy := map[string]time.Time{}
	for now := o.clk.Now(); now.Before(end); now = now.Add(30 * time.Second) {
		o.clk.Set(now)
		for _, c := range counters {
			if now.Before(busy[c]) {
				continue
			}
			res := o.do(c, queue.Next)
			if res.Ticket == nil {
				continue
			}
			if _, ok := called[res.Ticket.Label]; !ok {
				called[res.Ticket.Label] = now
			}
			busy[c] = now.Add(visit[res.Ticket.Service])
		}
	}
	return called
}

// A counter shared by two services is not a whole counter for each: the
// wait told is the one that comes, for both services.
func TestEstimateSharedCounter(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 8 {
		o.issue("pension")
		o.clk.Add(10 * time.Second)
	}
	for range 8 {
		o.issue("social")
		o.clk.Add(10 * time.Second)
	}
	a, p := o.issue("social"), o.issue("pension")
	require.Equal(t, []string{"А009", "П009"}, []string{a.Ticket.Label, p.Ticket.Label})
	_, aWait, err := o.e.Position(o.ctx, a.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, a.Wait, aWait, "told at the kiosk and asked later alike")
	start := o.clk.Now()
	called := play(o, []string{"1", "3", "2"}, start.Add(4*time.Hour))
	// Counted as a whole counter for each, А009 was told 40 min.
	require.Equal(t, 70*time.Minute, called["А009"].Sub(start))
	require.Equal(t, called["А009"].Sub(start), a.Wait)
	require.Equal(t, called["П009"].Sub(start), p.Wait)
}

// Near closing, with office.refuse_late, a kiosk stops issuing the tickets
// a shared counter cannot serve in time: nobody it gives one goes home at
// closing.
func TestRefuseLateSharedCounter(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive, withOffice("refuse_late: true"))
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 15, 40, 0, 0, kyiv))
	for range 6 {
		o.issue("pension")
		o.clk.Add(5 * time.Second)
	}
	var issued []queue.Issued
	for {
		iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		if errors.Is(err, queue.ErrFull) {
			break
		}
		require.NoError(t, err)
		require.False(t, iss.Late, iss.Ticket.Label)
		issued = append(issued, iss)
		o.clk.Add(5 * time.Second)
	}
	require.NotEmpty(t, issued)
	closing := time.Date(2026, 11, 23, 17, 0, 0, 0, kyiv)
	called := play(o, []string{"1", "3", "2"}, closing.Add(time.Hour))
	for _, iss := range issued {
		at, ok := called[iss.Ticket.Label]
		require.True(t, ok, "%s was sent home at closing", iss.Ticket.Label)
		require.False(t, at.Add(10*time.Minute).After(closing), "%s served after closing", iss.Ticket.Label)
	}
}

// With every counter of a service on a break near closing, a kiosk does
// not issue the tickets that could not be served in time even were the
// break to end now: unknown as the wait is, it is at least that.
func TestRefuseLateOnBreak(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive, withOffice("refuse_late: true"))
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 15, 30, 0, 0, kyiv))
	for range 3 {
		o.issue("employment") // counter 4 alone, 20 min a visit
	}
	o.do("4", queue.Pause)
	// 3 ahead, 20 min each, and its own visit: 16:50, in time.
	iss := o.issue("employment")
	require.Equal(t, queue.Unknown, iss.Wait)
	require.False(t, iss.Late)
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	var full *queue.FullError
	require.ErrorAs(t, err, &full, "4 ahead: 17:10 at the earliest")
	require.True(t, full.Break)
	require.Equal(t, 80*time.Minute, full.Wait)
	require.Contains(t, err.Error(), "at least (every counter of it is on a break) 80 min")
	require.ErrorIs(t, o.e.Issuable(o.ctx, "employment"), queue.ErrFull, "its lamp goes dark")
}

// Past what a projection plays call by call, the rest of the wait goes at
// the pace of the service's calls so far: with hundreds waiting, the wait
// told still comes within a few minutes.
func TestEstimateSharedCounterLongQueue(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, "avg_service_min: 10", "avg_service_min: 1", 1)
		return strings.Replace(s, "avg_service_min: 15", "avg_service_min: 2", 1)
	})
	o := newOffice(t, cfg, monday10)
	for i := range 300 {
		o.issue([]string{"social", "pension"}[i%2])
	}
	a := o.issue("social")
	start := o.clk.Now()
	called := play(o, []string{"1", "3", "2"}, start.Add(3*time.Hour))
	got := called[a.Ticket.Label].Sub(start)
	t.Logf("%s: told %v, called after %v", a.Ticket.Label, a.Wait, got)
	require.InDelta(t, got.Minutes(), a.Wait.Minutes(), 0.05*got.Minutes())
}

// sharedOffice is the test office (open round the clock; social 10 min a
// visit, pension 15) with nA counters of social alone, nP of pension alone
// and nS of both, extra in each shared counter's item, and one of
// employment.
func sharedOffice(t *testing.T, nA, nP, nS int, extra string) (*config.Config, []string) {
	t.Helper()
	var ids []string
	cfg := queuetest.Office(t, func(s string) string {
		var b strings.Builder
		b.WriteString(s[:strings.Index(s, "counters:")] + "counters:\n")
		items := slices.Concat(slices.Repeat([]string{"[social]"}, nA), slices.Repeat([]string{"[pension]"}, nP), slices.Repeat([]string{"[social, pension]" + extra}, nS))
		for i, item := range items {
			fmt.Fprintf(&b, "  - {id: \"%d\", services: %s}\n", i+1, item)
			ids = append(ids, fmt.Sprint(i+1))
		}
		b.WriteString("  - {id: \"9999\", services: [employment]}\n")
		return b.String()
	})
	return cfg, ids
}

// With many counters idle at the start, the first round of calls is no
// pace: the rest of a long queue goes at the pace of the visits done.
func TestEstimateManyCountersLongQueue(t *testing.T) {
	cfg, ids := sharedOffice(t, 8, 8, 8, "")
	o := newOffice(t, cfg, monday10)
	for i := range 320 {
		o.issue([]string{"social", "pension"}[i%2])
	}
	a := o.issue("social")
	start := o.clk.Now()
	called := play(o, ids, start.Add(6*time.Hour))
	got := called[a.Ticket.Label].Sub(start)
	t.Logf("%s: told %v, called after %v", a.Ticket.Label, a.Wait, got)
	require.InDelta(t, got.Minutes(), a.Wait.Minutes(), 0.05*got.Minutes())
}

// A service its shared counter all but never calls (pension weighs 100
// there, and its own counters are busy with a long queue): the projection
// sees no call of it in the calls it plays, and the wait is at least
// those, not the wait of a counter of its own.
func TestEstimateStarvedService(t *testing.T) {
	cfg, ids := sharedOffice(t, 0, 3, 1, ", weights: {pension: 100}")
	o := newOffice(t, cfg, monday10)
	for range 140 {
		o.issue("pension")
		o.clk.Add(10 * time.Second)
	}
	a := o.issue("social")
	start := o.clk.Now()
	called := play(o, ids, start.Add(15*time.Hour))
	got := called[a.Ticket.Label].Sub(start)
	t.Logf("%s: told %v, called after %v", a.Ticket.Label, a.Wait, got)
	require.Greater(t, a.Wait, got*3/4)
}

// Another service of the shared counter closes before the ticket's turn:
// its tickets go home then, and the counter calls this one's.
func TestEstimateOtherServiceCloses(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive, func(s string) string {
		s = strings.Replace(s, `avg_service_min: 15}`, `avg_service_min: 15, hours: {mon: "09:00-12:00"}}`, 1)
		return strings.Replace(s, `  - {id: "3", services: [pension]}`+"\n", "", 1)
	})
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 11, 0, 0, 0, kyiv))
	o.do("1", queue.Pause) // counter 2 alone: social and pension
	for range 6 {
		o.issue("pension")
		o.clk.Add(5 * time.Second)
	}
	var social []queue.Issued
	for range 3 {
		social = append(social, o.issue("social"))
		o.clk.Add(5 * time.Second)
	}
	start := o.clk.Now()
	called := play(o, []string{"2"}, start.Add(4*time.Hour))
	// Pension's 6 take 90 min, to 12:30, but it closes at 12:00: four are
	// called by then, two go home, and social's are called from 12:00.
	for _, iss := range social {
		got := called[iss.Ticket.Label].Sub(iss.Ticket.Issued)
		require.InDelta(t, got.Seconds(), iss.Wait.Seconds(), 30, "%s: told %v, called after %v (a play step is 30 s)", iss.Ticket.Label, iss.Wait, got)
	}
}

// A transferred ticket counts as a jump in the service it waits in: the
// service renamed, its jump goes with it to the new id, as a reload
// counts it, and the estimates before and after a restart agree. Sent on
// from there, it takes its jump away: the count never goes below none (an
// estimate indexed by it crashed the engine).
func TestJumpsFollowARenamedService(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, nineToFive), monday10)
	for range 3 {
		o.issue("social")
	}
	for range 3 {
		o.next("1")
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
		require.NoError(t, err)
	}
	o.cfg = queuetest.Office(t, nineToFive, func(s string) string {
		s = strings.Replace(s, "{id: pension,", "{id: pension2,", 1)
		return strings.ReplaceAll(s, "pension]", "pension2]")
	})
	require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
	o.clk.Add(10 * time.Minute)
	var last uint64
	wait := func() time.Duration {
		t.Helper()
		last = o.issue("pension2").Ticket.ID
		_, w, err := o.e.Position(o.ctx, last)
		require.NoError(t, err)
		return w
	}
	for range 6 {
		wait()
	}
	live := wait()
	o.reopen()
	_, w, err := o.e.Position(o.ctx, last)
	require.NoError(t, err)
	require.Equal(t, live, w, "the jumps of pension2 live and as a reload counts them")

	for range 3 {
		require.NotNil(t, o.do("3", queue.Next).Ticket)
		_, err := o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "employment"})
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, wait(), time.Duration(0))
}
