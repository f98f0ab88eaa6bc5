package queue_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

var kyiv = mustLoc("Europe/Kyiv")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// monday10 is a Monday morning in Kyiv.
var monday10 = time.Date(2026, 11, 23, 10, 0, 0, 0, kyiv)

type office struct {
	t    *testing.T
	cfg  *config.Config
	clk  *queuetest.Clock
	path string
	e    *queue.Engine
	ctx  context.Context
}

func newOffice(t *testing.T, cfg *config.Config, at time.Time) *office {
	t.Helper()
	if cfg == nil {
		cfg = queuetest.Office(t)
	}
	o := &office{t: t, cfg: cfg, clk: queuetest.NewClock(at), path: filepath.Join(t.TempDir(), "q.db"), ctx: context.Background()}
	o.e = queuetest.OpenPath(t, o.path, cfg, o.opts())
	return o
}

var quiet = slog.New(slog.DiscardHandler)

func (o *office) opts() *queue.Opts { return &queue.Opts{Now: o.clk.Now, Logger: quiet} }

func (o *office) reopen() {
	o.t.Helper()
	require.NoError(o.t, o.e.Close())
	o.e = queuetest.OpenPath(o.t, o.path, o.cfg, o.opts())
}

func (o *office) issue(service string) queue.Issued {
	o.t.Helper()
	iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: service, Kiosk: "k1"})
	require.NoError(o.t, err)
	return iss
}

func (o *office) priority(service string) queue.Issued {
	o.t.Helper()
	iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: service, Kiosk: "k1", Priority: true})
	require.NoError(o.t, err)
	return iss
}

func (o *office) do(counter string, a queue.Action) queue.CounterResult {
	o.t.Helper()
	res, err := o.e.Counter(o.ctx, counter, queue.Command{Action: a})
	require.NoError(o.t, err)
	return res
}

// next presses next and returns the label called ("" for none).
func (o *office) next(counter string) string {
	o.t.Helper()
	res := o.do(counter, queue.Next)
	if res.Ticket == nil {
		return ""
	}
	return res.Ticket.Label
}

func (o *office) tickets() []queue.Ticket {
	o.t.Helper()
	ts, err := o.e.Tickets(o.ctx)
	require.NoError(o.t, err)
	return ts
}

func (o *office) ticket(label string) queue.Ticket {
	o.t.Helper()
	for _, tk := range o.tickets() {
		if tk.Label == label {
			return tk
		}
	}
	o.t.Fatalf("no ticket %s", label)
	return queue.Ticket{}
}

func (o *office) events() []queue.Event {
	o.t.Helper()
	evs, err := o.e.Replay(0, 1<<20)
	require.NoError(o.t, err)
	return evs
}

// published acknowledges every event so far, as the office's publisher
// does once the broker took them.
func (o *office) published() {
	o.t.Helper()
	evs, err := o.e.Pending(0, 1<<20)
	require.NoError(o.t, err)
	if len(evs) > 0 {
		o.e.Ack(evs[len(evs)-1].Seq)
	}
}

// sameJSON compares values as they are stored and published: times read
// back from the store have no monotonic reading and a fixed zone.
func sameJSON(t *testing.T, want, got any) {
	t.Helper()
	w, err := json.Marshal(want)
	require.NoError(t, err)
	g, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(w), string(g))
}

func TestNumbering(t *testing.T) {
	o := newOffice(t, nil, monday10)
	a1 := o.issue("social")
	require.Equal(t, "А001", a1.Ticket.Label)
	require.Equal(t, 0, a1.Ahead)
	require.Equal(t, "2026-11-23", a1.Ticket.Day)
	require.Equal(t, "П001", o.issue("pension").Ticket.Label)
	a2 := o.issue("social")
	require.Equal(t, "А002", a2.Ticket.Label)
	require.Equal(t, 1, a2.Ahead)
	require.NotEqual(t, a1.Ticket.ID, a2.Ticket.ID)

	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "nope"})
	require.ErrorIs(t, err, queue.ErrUnknownService)
	require.Len(t, o.tickets(), 3)
}

func TestNumberingWraps(t *testing.T) {
	cfg := queuetest.Office(t, narrowSocial)
	o := newOffice(t, cfg, monday10)
	var labels []string
	for range 11 {
		iss := o.issue("social")
		labels = append(labels, iss.Ticket.Label)
		o.next("1")
	}
	require.Equal(t, []string{"А1", "А2", "А3", "А4", "А5", "А6", "А7", "А8", "А9", "А1", "А2"}, labels)
}

func TestNumberingRestartsEachDayAndExpires(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	o.issue("pension")
	require.Equal(t, "А001", o.next("1"))

	o.clk.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, kyiv))
	iss := o.issue("social")
	require.Equal(t, "А001", iss.Ticket.Label)
	require.Equal(t, "2026-11-24", iss.Ticket.Day)
	require.Len(t, o.tickets(), 1)

	var expired []string
	for _, ev := range o.events() {
		if ev.Type == queue.EvExpired {
			expired = append(expired, ev.Ticket.Label)
		}
	}
	require.ElementsMatch(t, []string{"А001", "А002", "П001"}, expired)

	st, err := o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	require.Equal(t, 3, st.Total.Issued)
	require.Equal(t, 3, st.Total.Expired)
	require.Equal(t, 2, st.Services["social"].Issued)

	// The day also ends with nobody pressing anything: the engine's timer
	// runs an empty transaction.
	o.clk.Set(time.Date(2026, 11, 25, 0, 0, 1, 0, kyiv))
	day, err := o.e.Day(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "2026-11-24", day, "reads do not start a day")
	require.NoError(t, o.e.Republish(o.ctx))
	day, _ = o.e.Day(o.ctx)
	require.Equal(t, "2026-11-24", day, "nor does publishing the state again")
	queue.Tick(o.e)
	day, _ = o.e.Day(o.ctx)
	require.Equal(t, "2026-11-25", day)
}

func TestCounterLifecycle(t *testing.T) {
	o := newOffice(t, nil, monday10)
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	require.ErrorIs(t, err, queue.ErrNoTicket)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Finish})
	require.ErrorIs(t, err, queue.ErrNoTicket)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Serve})
	require.ErrorIs(t, err, queue.ErrNoTicket)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: "dance"})
	require.ErrorIs(t, err, queue.ErrUnknownAction)
	_, err = o.e.Counter(o.ctx, "99", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, queue.ErrUnknownCounter)
	require.Equal(t, "", o.next("1"), "nobody waits: the counter stays idle")

	o.issue("social")
	o.issue("social")
	o.issue("social")
	o.clk.Add(time.Minute)
	require.Equal(t, "А001", o.next("1"))
	res := o.do("1", queue.Recall)
	require.Equal(t, 1, res.Ticket.Recalls)
	require.Equal(t, queue.Called, res.Ticket.State)
	// The citizen comes: serving, and no longer recalled.
	res = o.do("1", queue.Serve)
	require.Equal(t, queue.Serving, res.Ticket.State)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	var te *queue.TransitionError
	require.ErrorAs(t, err, &te)
	res = o.do("1", queue.Serve) // a double press: nothing changes
	require.Equal(t, queue.Serving, res.Ticket.State)
	o.clk.Add(5 * time.Minute)
	res = o.do("1", queue.Finish)
	require.Equal(t, queue.Done, res.Ended.State)
	require.Nil(t, res.Ticket)

	require.Equal(t, "А002", o.next("1"))
	res = o.do("1", queue.NoShowed)
	require.Equal(t, queue.NoShow, res.Ended.State)

	require.Equal(t, "А003", o.next("1"))
	// next while serving finishes the current ticket.
	o.issue("social")
	res = o.do("1", queue.Next)
	require.Equal(t, "А003", res.Ended.Label)
	require.Equal(t, queue.Done, res.Ended.State)
	require.Equal(t, "А004", res.Ticket.Label)

	states := map[string]queue.State{}
	for _, tk := range o.tickets() {
		states[tk.Label] = tk.State
	}
	require.Equal(t, map[string]queue.State{"А001": queue.Done, "А002": queue.NoShow, "А003": queue.Done, "А004": queue.Called}, states)

	var types []string
	for _, ev := range o.events() {
		types = append(types, ev.Type)
	}
	require.Equal(t, []string{
		queue.EvDayStarted,
		queue.EvIssued, queue.EvIssued, queue.EvIssued,
		queue.EvCalled, queue.EvRecalled, queue.EvServing, queue.EvDone,
		queue.EvCalled, queue.EvNoShow,
		queue.EvCalled, queue.EvIssued, queue.EvDone, queue.EvCalled,
	}, types)
}

func TestIllegalTransitionsChangeNothing(t *testing.T) {
	o := newOffice(t, nil, monday10)
	a1 := o.issue("social")
	o.next("1")
	o.do("1", queue.Finish)
	before := o.tickets()
	seq := len(o.events())

	var te *queue.TransitionError
	err := o.e.Void(o.ctx, a1.Ticket.ID, "late")
	require.ErrorAs(t, err, &te)
	require.Equal(t, queue.Done, te.From)
	require.Equal(t, queue.Voided, te.To)

	_, err = o.e.CallTicket(o.ctx, "1", "А001")
	require.ErrorAs(t, err, &te)
	require.Equal(t, queue.Called, te.To)

	require.ErrorIs(t, o.e.Void(o.ctx, 12345, ""), queue.ErrUnknownTicket)
	sameJSON(t, before, o.tickets())
	require.Len(t, o.events(), seq)
}

func TestVoid(t *testing.T) {
	o := newOffice(t, nil, monday10)
	a1 := o.issue("social")
	o.issue("social")
	require.NoError(t, o.e.Void(o.ctx, a1.Ticket.ID, "print failed"))
	tk := o.ticket("А001")
	require.Equal(t, queue.Voided, tk.State)
	require.Equal(t, "print failed", tk.Reason)
	require.Equal(t, "А002", o.next("1"), "a voided ticket is never called")
	require.Equal(t, "А003", o.issue("social").Ticket.Label, "its number is not reused")
}

// A transfer to a service the counter serves itself would come back to
// it at its next, ahead of everyone: refused, unless to a given counter.
func TestTransferServedHere(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("pension")
	require.Equal(t, "А001", o.next("2")) // counter 2 serves social and pension
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension"})
	var te *queue.TransitionError
	require.ErrorAs(t, err, &te)
	require.Equal(t, queue.RuleServedHere, te.Rule)
	require.Equal(t, "Пенсійний фонд", te.Service)
	require.Equal(t, queue.Called, o.ticket("А001").State)
	// Nor to this counter by name: its recalls would count afresh.
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "2"})
	require.ErrorAs(t, err, &te)
	require.Equal(t, queue.RuleServedHere, te.Rule)
	require.Equal(t, queue.Called, o.ticket("А001").State)
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "3"})
	require.NoError(t, err)
	require.Equal(t, "П001", o.next("2"), "А001 waits for counter 3")
	require.Equal(t, "А001", o.next("3"))
}

func TestTransfer(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.clk.Add(time.Minute)
	o.issue("pension")
	o.clk.Add(time.Minute)
	require.Equal(t, "А001", o.next("1"))

	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "nope"})
	require.ErrorIs(t, err, queue.ErrUnknownService)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "4"})
	require.ErrorIs(t, err, queue.ErrNotServed)
	// Back to its own queue it would be called again at once, ahead of
	// everyone: refused, as to this very counter.
	for _, to := range []string{"", "1"} {
		_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "social", ToCounter: to})
		var te *queue.TransitionError
		require.ErrorAs(t, err, &te, "to_counter %q", to)
		require.Equal(t, queue.Called, o.ticket("А001").State)
	}

	res, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
	require.NoError(t, err)
	require.Equal(t, queue.Waiting, res.Ended.State)
	require.Equal(t, "pension", res.Ended.Service)
	require.Equal(t, "social", res.Ended.From)
	require.True(t, monday10.Equal(res.Ended.Issued), "keeps its arrival")

	// The transferred ticket goes before П001, which came later.
	require.Equal(t, "А001", o.next("3"))
	require.Equal(t, "П001", o.next("3"))

	// Transfer to a given counter: only that counter calls it first.
	o.issue("pension")
	o.clk.Add(time.Minute)
	_, err = o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "2"})
	require.NoError(t, err)
	require.Equal(t, "П002", o.next("3"), "П001 is held for counter 2")
	require.Equal(t, "П001", o.next("2"))

	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, st.Services["social"].Transfers)
	require.Equal(t, 1, st.Services["pension"].Transfers)
}

func TestPauseResume(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	res := o.do("1", queue.Pause)
	require.True(t, res.Paused)
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, queue.ErrCounterPaused)
	o.reopen()
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, queue.ErrCounterPaused, "the pause survives a restart")
	res = o.do("1", queue.Resume)
	require.False(t, res.Paused)
	require.Equal(t, "А001", o.next("1"))
}

// A counter that closes does not keep the citizens held for it (transferred
// to it, back after a no-show): they join their service's queue, each with
// a ticket.moved, and another counter calls them. A transfer to a closed
// counter is refused.
func TestClosedCounterReleasesHeld(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"))
	_, err := o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "2"})
	require.NoError(t, err)
	require.Equal(t, "2", o.ticket("П001").ForCounter)

	o.do("2", queue.Pause)
	tk := o.ticket("П001")
	require.Equal(t, queue.Waiting, tk.State)
	require.Empty(t, tk.ForCounter)
	evs, err := o.e.Replay(1, 100)
	require.NoError(t, err)
	last := evs[len(evs)-1]
	require.Equal(t, queue.EvMoved, last.Type)
	require.Equal(t, "П001", last.Ticket.Label)
	require.Contains(t, last.Reason, "counter 2 paused")
	require.Equal(t, "П001", o.next("3"), "another counter calls it, before П002 (it came first)")

	_, err = o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "2"})
	var tp *queue.ToCounterPausedError
	require.ErrorAs(t, err, &tp)
	require.Equal(t, "2", tp.Counter)
	require.NotErrorIs(t, err, queue.ErrCounterPaused, "counter 3, which asked, is not paused")
	require.Equal(t, queue.Called, o.ticket("П001").State, "a refused transfer leaves the ticket at its counter")
}

// A no-show's grace outlasts its counter closing, and a no-show at a
// counter already closed waits for the other counters of the service.
func TestClosedCounterNoShowGrace(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("noshow_grace_min: 5")), monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.do("1", queue.NoShowed) // held for counter 1 until 10:05
	o.clk.Add(time.Minute)
	o.do("1", queue.Pause)
	require.Empty(t, o.ticket("А001").ForCounter)
	require.Equal(t, "А002", o.next("2"), "А001 is still within its grace")
	require.Empty(t, o.next("2"), "nobody else waits, and А001 not yet")
	o.clk.Add(4 * time.Minute)
	require.Equal(t, "А001", o.next("2"), "its grace is over: another counter calls it")

	// Counter 1, closed, still has a ticket: its no-show is any counter's.
	o.do("1", queue.Resume)
	o.issue("social")
	require.Equal(t, "А003", o.next("1"))
	o.do("1", queue.Pause)
	o.do("1", queue.NoShowed)
	require.Empty(t, o.ticket("А003").ForCounter)
	o.clk.Add(5 * time.Minute)
	require.NoError(t, o.e.Check(o.ctx))
	require.Equal(t, "А003", o.next("2"))
}

func TestHours(t *testing.T) {
	cfg := firmwareconfig.Default()
	cfg.Services[1].Hours = map[string]string{"wed": "10:00-15:00"} // pension only on Wednesdays
	cfg.Office.Holidays = []string{"2026-12-25"}
	cfg.Office.RefuseLate = false // the hours alone: a minute before closing issues
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 8, 59, 0, 0, kyiv))
	e := queuetest.Open(t, cfg, &queue.Opts{Now: clk.Now})
	ctx := context.Background()
	issue := func(svc string) error {
		_, err := e.Issue(ctx, queue.IssueRequest{Service: svc})
		return err
	}
	for _, c := range []struct {
		at      time.Time
		service string
		want    error
	}{
		{time.Date(2026, 11, 23, 8, 59, 0, 0, kyiv), "social", queue.ErrClosed},
		{time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv), "social", nil},
		{time.Date(2026, 11, 23, 16, 59, 0, 0, kyiv), "social", nil},
		{time.Date(2026, 11, 23, 17, 0, 0, 0, kyiv), "social", queue.ErrClosed},
		{time.Date(2026, 11, 23, 12, 0, 0, 0, kyiv), "pension", queue.ErrServiceClosed}, // the office is open
		{time.Date(2026, 11, 25, 9, 30, 0, 0, kyiv), "pension", queue.ErrServiceClosed},
		{time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), "pension", nil},
		{time.Date(2026, 11, 27, 16, 0, 0, 0, kyiv), "social", queue.ErrClosed}, // Friday till 16:00
		{time.Date(2026, 11, 28, 12, 0, 0, 0, kyiv), "social", queue.ErrClosed}, // Saturday
		{time.Date(2026, 12, 24, 12, 0, 0, 0, kyiv), "social", nil},
		{time.Date(2026, 12, 25, 12, 0, 0, 0, kyiv), "social", queue.ErrClosed}, // holiday
	} {
		clk.Set(c.at)
		err := issue(c.service)
		if c.want == nil {
			require.NoError(t, err, "%s %s", c.service, c.at)
		} else {
			require.ErrorIs(t, err, c.want, "%s %s", c.service, c.at)
			require.ErrorIs(t, err, queue.ErrClosed, "%s %s", c.service, c.at)
			require.Equal(t, c.want == queue.ErrServiceClosed, errors.Is(err, queue.ErrServiceClosed), "%s %s", c.service, c.at)
		}
	}
}

func TestClockUnset(t *testing.T) {
	o := newOffice(t, nil, time.Unix(0, 0)) // a Pi without RTC boots in 1970
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClockUnset)
	queue.Tick(o.e)
	day, err := o.e.Day(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "", day, "no business day before the clock is set")
	require.Empty(t, o.tickets())

	o.clk.Set(monday10) // NTP answered
	require.Equal(t, "А001", o.issue("social").Ticket.Label)

	// The Pi reboots and its clock is back at 1970: what was issued stays,
	// issuing waits for the clock.
	o.clk.Set(time.Unix(0, 0))
	o.reopen()
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClockUnset)
	require.Equal(t, "А001", o.next("1"), "counters still work")
	day, _ = o.e.Day(o.ctx)
	require.Equal(t, "2026-11-23", day)
}

// The log says when the clock is found unset and when it is set, once
// each, and when a business day ends, with what expired: the on-call
// person reading the journal sees why kiosks refused, and why numbering
// started again.
func TestClockAndDayLogged(t *testing.T) {
	o := newOffice(t, nil, time.Unix(0, 0))
	require.NoError(t, o.e.Close())
	var log testkit.Log
	o.e = queuetest.OpenPath(t, o.path, o.cfg, &queue.Opts{Now: o.clk.Now, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	for range 2 {
		_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
		require.ErrorIs(t, err, queue.ErrClockUnset)
	}
	require.Equal(t, 1, log.Count(`level=WARN msg="queue: the clock is not set: no ticket is issued until it is`))
	o.clk.Set(monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, 1, log.Count(`level=INFO msg="queue: the clock is set: tickets are issued again"`))
	require.Zero(t, log.Count("a new business day"), "the first day is no change")
	o.clk.Add(24 * time.Hour)
	o.issue("social")
	require.Equal(t, 1, log.Count(`level=INFO msg="queue: a new business day; numbering starts again" day=2026-11-24 was=2026-11-23 expired=2`), log.String())

	// NTP sets right a clock that was a day ahead when this day began: the
	// day stays, and the log says so once.
	o.clk.Add(-24*time.Hour + 5*time.Minute)
	queue.Tick(o.e)
	queue.Tick(o.e)
	require.Equal(t, 1, log.Count(`level=ERROR msg="queue: the clock went back to a day before the office's business day`), log.String())
	require.Equal(t, 1, log.Count(`business_day=2026-11-24 clock_day=2026-11-23`))
}

func TestDayNeverGoesBackwards(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.clk.Set(monday10.Add(-50 * time.Hour)) // the clock jumps back two days
	iss := o.issue("social")
	require.Equal(t, "А002", iss.Ticket.Label)
	require.Equal(t, "2026-11-23", iss.Ticket.Day)
	o.clk.Set(monday10.Add(-3 * time.Hour))
	require.Equal(t, "А003", o.issue("social").Ticket.Label)
	o.reopen() // at the clock it last ran at, although that went back
	require.Equal(t, "А004", o.issue("social").Ticket.Label)
	o.clk.Set(monday10.Add(26 * time.Hour)) // forward into tomorrow
	iss = o.issue("social")
	require.Equal(t, "А001", iss.Ticket.Label)
	require.Equal(t, "2026-11-24", iss.Ticket.Day)
	o.clk.Set(monday10) // and back to yesterday
	iss = o.issue("social")
	require.Equal(t, "А002", iss.Ticket.Label)
	require.Equal(t, "2026-11-24", iss.Ticket.Day)
}

// A clock stepped back (NTP correcting a fast one) does not put the
// citizens who come after it before those waiting, nor after a restart.
func TestClockBackKeepsTheOrder(t *testing.T) {
	o := newOffice(t, nil, time.Date(2026, 11, 23, 11, 30, 0, 0, kyiv))
	o.issue("social")
	o.issue("social")
	o.clk.Add(-2 * time.Hour)
	require.Equal(t, 2, o.issue("social").Ahead)
	o.priority("social")
	o.reopen()
	for _, want := range []string{"А004", "А001", "А002", "А003"} {
		require.Equal(t, want, o.next("1"))
		o.clk.Add(time.Minute)
	}
}

// A head issued by a clock that was fast, at a counter of two services,
// does not hold its whole queue back while the clock catches up: its queue
// waits as long as the oldest of it by the clock. After a restart too,
// when the issue times carry no monotonic reading.
func TestClockBackDoesNotHoldAQueue(t *testing.T) {
	o := newOffice(t, nil, time.Date(2026, 11, 23, 12, 0, 0, 0, kyiv)) // 2 h fast
	o.issue("social")
	o.do("1", queue.Pause) // counter 2 serves social and pension
	o.clk.Add(-2 * time.Hour)
	for range 3 {
		o.issue("social")
		o.issue("pension")
		o.clk.Add(10 * time.Minute)
	}
	o.reopen()
	var calls []string
	for range 6 {
		calls = append(calls, o.next("2"))
		o.clk.Add(time.Minute)
	}
	require.Equal(t, []string{"А001", "А002", "П001", "А003", "П002", "А004"}, calls)
}

func TestDaylightSavingKyiv(t *testing.T) {
	// Spring: 2026-03-29 03:00 EET becomes 04:00 EEST.
	o := newOffice(t, nil, time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)) // 02:30 EET
	require.Equal(t, "2026-03-29", o.issue("social").Ticket.Day)
	o.clk.Set(time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)) // 04:30 EEST
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
	o.clk.Set(time.Date(2026, 3, 29, 20, 59, 0, 0, time.UTC)) // 23:59 EEST
	require.Equal(t, "2026-03-29", o.issue("social").Ticket.Day)
	o.clk.Set(time.Date(2026, 3, 29, 21, 0, 0, 0, time.UTC)) // midnight EEST
	iss := o.issue("social")
	require.Equal(t, "2026-03-30", iss.Ticket.Day)
	require.Equal(t, "А001", iss.Ticket.Label)

	// Autumn: 2026-10-25 04:00 EEST becomes 03:00 EET; the day is 25 hours.
	o.clk.Set(time.Date(2026, 10, 24, 21, 0, 0, 0, time.UTC)) // 00:00 EEST
	require.Equal(t, "2026-10-25", o.issue("social").Ticket.Day)
	o.clk.Set(time.Date(2026, 10, 25, 21, 59, 0, 0, time.UTC)) // 23:59 EET
	require.Equal(t, "2026-10-25", o.issue("social").Ticket.Day)
	o.clk.Set(time.Date(2026, 10, 25, 22, 0, 0, 0, time.UTC))
	require.Equal(t, "2026-10-26", o.issue("social").Ticket.Day)

	// Hours follow the local clock on the day of the change.
	cfg := queuetest.Office(t, func(s string) string { return strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00") })
	h := newOffice(t, cfg, time.Date(2026, 3, 29, 5, 59, 0, 0, time.UTC)) // 08:59 EEST
	_, err := h.e.Issue(h.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClosed)
	h.clk.Set(time.Date(2026, 3, 29, 6, 0, 0, 0, time.UTC)) // 09:00 EEST
	h.issue("social")
}

func TestMidnightDuringACall(t *testing.T) {
	o := newOffice(t, nil, time.Date(2026, 11, 23, 23, 58, 0, 0, kyiv))
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.clk.Set(time.Date(2026, 11, 24, 0, 1, 0, 0, kyiv))
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Finish})
	require.ErrorIs(t, err, queue.ErrNoTicket, "the call expired with its day")
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
}

// TestAckStoredDuringBacklog: a publisher sending a long backlog (after a
// broker outage) while nothing else happens gets its acknowledged seq
// stored every so many events, not only with the next write or the
// 20-second tick, so that a crash during the backlog sends again only those.
func TestAckStoredDuringBacklog(t *testing.T) {
	queue.SetAckEvery(t, 4)
	o := newOffice(t, nil, monday10)
	for range 10 {
		o.issue("social")
	}
	evs, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Greater(t, len(evs), 8)
	before := o.e.Commits()
	for _, ev := range evs {
		o.e.Ack(ev.Seq)
	}
	require.Eventually(t, func() bool { return o.e.Commits() > before }, 10*time.Second, time.Millisecond,
		"the acknowledged seq is committed without waiting for a write")
}

func TestOutbox(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.e.TakeRetained() // the day's start and the issue
	o.next("1")
	select {
	case <-o.e.Notify():
	default:
		t.Fatal("no notification after a commit")
	}

	// The retained state after the commits: the board, the hall, the
	// figures; a second take has nothing new.
	r := o.e.TakeRetained()
	require.Len(t, r.Boards, 1)
	require.Equal(t, "1", r.Boards[0].Counter)
	require.Equal(t, "А001", r.Boards[0].Ticket)
	require.Equal(t, display.Calling, r.Boards[0].State)
	require.NotNil(t, r.Hall)
	require.Equal(t, "А001", r.Hall.Calls[0].Ticket)
	require.NotEmpty(t, r.Queues)
	require.Equal(t, "social", r.Queues[0].Service)
	require.Equal(t, 0, r.Queues[0].Queue.Waiting)
	require.Equal(t, "А001", r.Queues[0].Queue.LastCalled)
	require.NotNil(t, r.Load)
	empty := o.e.TakeRetained()
	require.True(t, empty.Empty(), "taken once")

	// The events are the outbox.
	evs, err := o.e.Pending(0, 1000)
	require.NoError(t, err)
	var seqs []uint64
	for _, ev := range evs {
		seqs = append(seqs, ev.Seq)
	}
	require.Equal(t, []uint64{1, 2, 3}, seqs)
	require.Equal(t, queue.EvCalled, evs[2].Type)
	require.True(t, evs[2].IsCall())
	require.False(t, evs[1].IsCall())

	// A publisher that took the first two.
	o.e.Ack(evs[1].Seq)
	rest, err := o.e.Pending(0, 1000)
	require.NoError(t, err)
	sameJSON(t, evs[2:], rest)
	_, _ = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Pause}) // the ack is committed with the next write

	// A restart keeps what was not acknowledged; the retained state is
	// asked for again.
	o.reopen()
	rest2, err := o.e.Pending(0, 1000)
	require.NoError(t, err)
	require.Len(t, rest2, 2)
	require.Equal(t, uint64(3), rest2[0].Seq)
	require.Equal(t, queue.EvPaused, rest2[1].Type)
	o.e.Ack(rest2[len(rest2)-1].Seq)
	require.NoError(t, o.e.Republish(o.ctx))
	none, err := o.e.Pending(0, 1000)
	require.NoError(t, err)
	require.Empty(t, none)
	all := o.e.TakeRetained()
	require.Len(t, all.Boards, len(o.cfg.Counters), "every board")
	require.Equal(t, display.Closed, all.Boards[1].State, "counter 2 is paused")

	// The events stay for replay after they were published.
	evs, err = o.e.Replay(2, 100)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	require.Equal(t, uint64(2), evs[0].Seq)
	require.Equal(t, queue.EvCalled, evs[1].Type)

	// The office load follows every change, a row per service.
	o.issue("social")
	o.issue("social")
	o.issue("pension")
	o.e.TakeRetained()
	require.NoError(t, o.e.Republish(o.ctx)) // every row, as after a restart
	l := o.e.TakeRetained().Load
	require.NotNil(t, l)
	require.Equal(t, 3, l.Waiting)
	require.Len(t, l.Services, len(o.cfg.Services))
	rows := map[string]int{}
	for _, s := range l.Services {
		rows[s.Service] = s.Waiting
	}
	require.Equal(t, 2, rows["social"])
	require.Equal(t, 1, rows["pension"])
	require.Equal(t, len(o.cfg.Counters)-1, l.OpenCounters, "counter 2 is paused")
	o.next("1")
	require.Equal(t, 2, o.e.TakeRetained().Load.Waiting, "a call updates it")
	o.reopen()
	require.NoError(t, o.e.Republish(o.ctx))
	require.Equal(t, 2, o.e.TakeRetained().Load.Waiting, "and a restart rebuilds it")
}

// TestOutboxMigration: a file written when the outbox, the tickets and the
// numbering had buckets of their own opens with its unpublished events
// still pending, its tickets and numbering as they were, and those buckets
// gone (numbers holds the fence alone).
func TestOutboxMigration(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.NoError(t, o.e.Close())
	db, err := bolt.Open(o.path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("outbox"))
		if err != nil {
			return err
		}
		// The day's start was published and deleted; the issues were not.
		if err := b.Put([]byte{0, 0, 0, 0, 0, 0, 0, 7}, []byte(`{"event":{"seq":2,"type":"ticket.issued"}}`)); err != nil {
			return err
		}
		// The tickets and their numbering had buckets of their own.
		for _, name := range []string{"tickets", "numbers"} {
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("x"), []byte("{}")); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	evs, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Len(t, evs, 2, "the day's start was published; both issues were not")
	require.Equal(t, uint64(2), evs[0].Seq)
	require.Len(t, o.tickets(), 2, "the tickets come from the events")
	require.Equal(t, "А003", o.issue("social").Ticket.Label, "and so does the numbering")
	// What is left in their place: TestOldLayoutRefusesTheStore.
}

// openAsOldLayout opens path as the releases from before the events became
// the record of the tickets did (they had no store format to check): make
// the buckets that are missing, then read the numbering, each record as
// JSON of a {day, n, count}, and fail on one that is not.
func openAsOldLayout(t *testing.T, path string) error {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		for _, b := range []string{"meta", "tickets", "numbers", "counters", "outbox", "events", "stats", "days"} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	}))
	return db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("numbers")).ForEach(func(k, v []byte) error {
			var r struct {
				Day   string `json:"day"`
				N     int    `json:"n"`
				Count int    `json:"count,omitempty"`
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("number %s: %w", k, err)
			}
			return nil
		})
	})
}

// TestOldLayoutRefusesTheStore: a release from before the events became
// the record of the tickets has no format to refuse a newer store by; it
// read one without its tickets and numbers buckets as an empty day, and
// gave out А001 and ticket id 1 again. Every store this release opens
// keeps a numbers bucket such a release fails to read, saying why: one it
// migrates, one migrated before, a new one, and one such a release
// already turned away (it made its buckets first).
func TestOldLayoutRefusesTheStore(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(tx *bolt.Tx) error
	}{
		{"new", nil},
		{"old layout", func(tx *bolt.Tx) error {
			tb, err := tx.CreateBucket([]byte("tickets"))
			if err != nil {
				return err
			}
			day, err := tb.CreateBucket([]byte("2026-11-23"))
			if err != nil {
				return err
			}
			if err := day.Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte(`{"id":1,"label":"А001"}`)); err != nil {
				return err
			}
			nb, err := tx.CreateBucketIfNotExists([]byte("numbers"))
			if err != nil {
				return err
			}
			return nb.Put([]byte("social"), []byte(`{"day":"2026-11-23","n":2,"count":2}`))
		}},
		{"migrated before the fence", func(tx *bolt.Tx) error {
			for _, b := range []string{"tickets", "numbers"} {
				if tx.Bucket([]byte(b)) != nil {
					if err := tx.DeleteBucket([]byte(b)); err != nil {
						return err
					}
				}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOffice(t, nil, monday10)
			o.issue("social")
			o.issue("social")
			if tc.before != nil {
				require.NoError(t, o.e.Close())
				db, err := bolt.Open(o.path, 0o600, nil)
				require.NoError(t, err)
				require.NoError(t, db.Update(tc.before))
				require.NoError(t, db.Close())
				o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
			}
			require.NoError(t, o.e.Close())
			for range 2 { // and again, after it turned one away
				err := openAsOldLayout(t, o.path)
				require.ErrorContains(t, err, "number (this store was upgraded by a newer cherga: run that one, or put back the backup taken before the upgrade): json: cannot unmarshal string")
				o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
				require.Len(t, o.tickets(), 2, "the store is as it was")
				require.NoError(t, o.e.Close())
			}
			db, err := bolt.Open(o.path, 0o600, &bolt.Options{ReadOnly: true})
			require.NoError(t, err)
			require.NoError(t, db.View(func(tx *bolt.Tx) error {
				require.Nil(t, tx.Bucket([]byte("tickets")), "the one the old release made is dropped")
				var keys []string
				require.NoError(t, tx.Bucket([]byte("numbers")).ForEach(func(k, v []byte) error {
					keys = append(keys, string(k))
					require.Contains(t, string(v), "upgraded by a newer cherga")
					return nil
				}))
				require.Len(t, keys, 1, "the fence alone")
				return nil
			}))
			require.NoError(t, db.Close())
			o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
			require.Equal(t, "А003", o.issue("social").Ticket.Label)
		})
	}
}

// TestOldLayoutRefusalKeepsPending: a release the fence turns away made its
// outbox bucket first, empty. An empty outbox of an older release's file
// means all was published; here it means nothing, and the events not yet
// published are still to be sent.
func TestOldLayoutRefusalKeepsPending(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	before, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	require.NoError(t, o.e.Close())
	require.Error(t, openAsOldLayout(t, o.path))
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	after, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	sameJSON(t, before, after)
}

func TestReopenGivesTheSameState(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, "hours:", "noshow_grace_min: 5\n  hours:", 1)
	})
	o := newOffice(t, cfg, monday10)
	for range 5 {
		o.issue("social")
		o.issue("pension")
		o.clk.Add(time.Minute)
	}
	o.priority("social")
	o.next("1")
	o.next("2")
	o.next("3")
	o.do("1", queue.NoShowed) // held for counter 1
	_, err := o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "social"})
	require.NoError(t, err)
	o.do("2", queue.Pause)
	before := o.tickets()
	figs, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)

	o.reopen()
	sameJSON(t, before, o.tickets())
	figs2, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	sameJSON(t, figs, figs2)
	require.Equal(t, "А007", o.issue("social").Ticket.Label)
	require.Equal(t, "П006", o.issue("pension").Ticket.Label)
}

func TestFailedTransactionReloads(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	before := o.tickets()
	evs := o.events()

	boom := errors.New("disk on fire")
	queue.SetFailHook(o.e, func() error { return boom })
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, boom)
	require.ErrorIs(t, err, queue.ErrStore, "a request that changed nothing, and may be sent again")
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, boom)
	require.NoError(t, o.e.Check(o.ctx))
	sameJSON(t, before, o.tickets())
	sameJSON(t, evs, o.events())

	queue.SetFailHook(o.e, nil)
	o.e.TakeRetained()
	require.Equal(t, "А002", o.issue("social").Ticket.Label, "the failed number was never issued")
	// The load the reload rebuilt is of this moment: no service refuses
	// (as for a clock not set, at the zero time).
	load := o.e.TakeRetained().Load
	require.NotNil(t, load)
	for _, s := range load.Services {
		require.Empty(t, s.Refused, s.Service)
	}
	require.Equal(t, "А001", o.next("1"))
	require.Len(t, o.events(), len(evs)+2)
}

// An event is published once the commit that holds it has returned: a
// read transaction sees a commit before its meta page is synced, and a
// power cut then takes it back (its seq would go to another event).
func TestPendingOnlyWhatIsDurable(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	evs := o.events()
	last := evs[len(evs)-1].Seq
	release, issued := issueHeld(t, o, queue.SetLandHook) // committed, not yet returned
	pending, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, last, pending[len(pending)-1].Seq, "the commit under way is not published")
	more, err := o.e.Replay(last+1, 100)
	require.NoError(t, err)
	require.Empty(t, more, "nor replayed")
	release()
	require.NoError(t, <-issued)
	pending, err = o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, "А002", pending[len(pending)-1].Ticket.Label)
}

// A commit reported failed whose changes the file holds all the same (its
// meta page written, its sync failed: a dying card) told the kiosk that no
// ticket was issued, and nothing was printed: the next write voids that
// ticket, and it is never called. Its events go out with the void's.
func TestFailedCommitThatLanded(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	boom := errors.New("fdatasync: input/output error")
	queue.SetLandHook(o.e, func() error { return boom })
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrStore)
	queue.SetLandHook(o.e, nil)
	pending, err := o.e.Pending(0, 100)
	require.NoError(t, err)
	require.Equal(t, "А001", pending[len(pending)-1].Ticket.Label, "not published: not known to be on disk")

	require.Equal(t, "А003", o.issue("social").Ticket.Label, "А002 is in the file: its number is used")
	require.Equal(t, queue.Voided, o.ticket("А002").State)
	require.Contains(t, o.ticket("А002").Reason, "its kiosk printed nothing")
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "А003", o.next("1"), "А002 is never called")
	require.NoError(t, o.e.Check(o.ctx))
	var types []string
	pending, err = o.e.Pending(0, 100)
	require.NoError(t, err)
	for _, ev := range pending {
		if ev.Ticket != nil && ev.Ticket.Label == "А002" {
			types = append(types, ev.Type)
		}
	}
	require.Equal(t, []string{queue.EvIssued, queue.EvVoided}, types)
}

// A booking whose commit was reported failed but is in the file: nobody
// was given its code, so it is cancelled at the next write, and its place
// in the slot is free again.
func TestFailedBookingThatLanded(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), func(cfg *config.Config) {
		cfg.Services[1].Booking.PerSlot = 1
	})
	ctx := context.Background()
	boom := errors.New("fdatasync: input/output error")
	queue.SetLandHook(e, func() error { return boom })
	_, err := e.Book(ctx, "pension/2026-11-25/11:00", "Олена", "")
	require.ErrorIs(t, err, queue.ErrStore)
	queue.SetLandHook(e, nil)
	_, err = e.Book(ctx, "pension/2026-11-25/11:00", "Олена", "")
	require.NoError(t, err, "the slot's place the failed booking held is free")
	list, err := e.Appointments(ctx, "2026-11-25", "")
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, queue.Cancelled, list[0].State)
	require.Contains(t, list[0].Reason, "given to nobody")
	require.Equal(t, queue.Booked, list[1].State)
}

// A request refused writes nothing, and so commits nothing: a button box
// stuck on done, or a flow that loops, does not keep the SD card syncing.
func TestRefusalCommitsNothing(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	before := o.e.Commits()
	for range 5 {
		o.clk.Add(time.Second) // a clock that moves is not worth a commit
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Finish})
		require.ErrorIs(t, err, queue.ErrNoTicket)
	}
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "nosuch", Kiosk: "k1"})
	require.ErrorIs(t, err, queue.ErrUnknownService)
	require.Equal(t, before, o.e.Commits(), "refusals commit nothing")
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, before+1, o.e.Commits(), "a change is committed")
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err, "a second serve changes nothing, and is no error")
	require.Equal(t, before+2, o.e.Commits(), "nor is it committed")
	// Once due, the clock is recorded all the same.
	o.clk.Add(5 * time.Minute)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err)
	require.Equal(t, before+3, o.e.Commits(), "the clock recorded")
}

// A failed commit whose state cannot be read back leaves this run's
// memory holding what the file may not: nothing more is saved, each write
// says to restart, and a restart reads the file afresh.
func TestFailedReloadStopsWrites(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	queue.SetFailHook(o.e, func() error { return errors.New("disk on fire") })
	queue.SetReloadHook(o.e, func() error { return errors.New("read error") })
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrStore)
	queue.SetFailHook(o.e, nil)
	commits := o.e.Commits()
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrStore)
	require.ErrorContains(t, err, "until cherga is restarted")
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.ErrorContains(t, err, "until cherga is restarted")
	require.Equal(t, commits, o.e.Commits(), "nothing more is written")
	select {
	case <-o.e.Broken(): // the daemon exits, and systemd starts it again
	default:
		t.Fatal("Broken is not closed")
	}

	require.ErrorContains(t, o.e.Close(), "the last write to the store failed", "Close says it too")
	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
}

// TestStaleRequestNotMade: a change whose context ended while it waited
// behind a commit that stalled (a failing SD card) is not made once the
// disk answers: the citizen left the kiosk, the specialist pressed again.
func TestStaleRequestNotMade(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.Close())
	var log testkit.Log
	told := make(chan error, 10)
	o.e = queuetest.OpenPath(t, o.path, o.cfg, &queue.Opts{Now: o.clk.Now, Logger: slog.New(slog.NewTextHandler(&log, nil)), OnStore: func(err error) { told <- err }})
	queue.WatchStalls(o.e, time.Millisecond, time.Millisecond)
	release, first := issueHeld(t, o, queue.SetFailHook) // its commit hangs
	ctx, cancel := context.WithCancel(o.ctx)
	late := make(chan error, 1)
	go func() {
		_, err := o.e.Issue(ctx, queue.IssueRequest{Service: "social"})
		late <- err
	}()
	for queue.Queued(o.e) == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	// The stall is logged while it lasts, and told (for the status).
	for log.Count("a write to the store has not finished") == 0 {
		time.Sleep(time.Millisecond)
	}
	require.ErrorContains(t, <-told, "a write to the store has not finished")
	release()
	require.NoError(t, <-first)
	require.ErrorIs(t, <-late, queue.ErrStale)
	require.NoError(t, <-told, "the store works again")
	queue.SetFailHook(o.e, nil)
	require.Len(t, o.tickets(), 1, "the late press issued nothing")
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
}

// issueHeld starts an Issue of social whose write transaction waits in the
// hook set installs (queue.SetFailHook: before its commit;
// queue.SetLandHook: after it) until release, and returns once it waits
// there; the Issue's error comes on issued. The test's end releases it,
// should a failure come first.
func issueHeld(t *testing.T, o *office, set func(*queue.Engine, func() error)) (release func(), issued <-chan error) {
	entered, hold := make(chan struct{}), make(chan struct{})
	release = sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	var once sync.Once
	set(o.e, func() error {
		once.Do(func() { close(entered); <-hold })
		return nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
		done <- err
	}()
	<-entered
	return release, done
}

// narrowSocial gives social labels one digit wide (А1…А9): its numbering
// wraps after nine tickets.
func narrowSocial(s string) string {
	return strings.Replace(s, `prefix: "А", width: 3`, `prefix: "А", width: 1`, 1)
}

func parse(doc string) (*config.Config, error) { return config.Parse([]byte(doc)) }

// requireField checks that err, of Parse, refuses field (its path, as a
// program reads it: the message also names the item's id).
func requireField(t *testing.T, err error, field string, msgAndArgs ...any) {
	t.Helper()
	var errs config.Errors
	require.ErrorAs(t, err, &errs, msgAndArgs...)
	var fields []string
	for _, fe := range errs {
		fields = append(fields, fe.Field)
	}
	require.Contains(t, fields, field, msgAndArgs...)
}

func TestWrapSkipsLiveLabels(t *testing.T) {
	cfg := queuetest.Office(t, narrowSocial)
	o := newOffice(t, cfg, monday10)
	for range 9 {
		o.issue("social")
	}
	o.next("1")
	o.next("1") // А1 done, А2 called
	require.Equal(t, "А1", o.issue("social").Ticket.Label)
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrDailyCap, "every label is in use")
	require.Equal(t, "daily_cap", figuresOf(t, o.e, "social").Refused, "the queue's figures say it, for a screen and the button lamps")
	o.next("1") // А2 done, А3 called
	require.Empty(t, figuresOf(t, o.e, "social").Refused)
	require.Equal(t, "А2", o.issue("social").Ticket.Label)
}

func TestSharedSequence(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, `prefix: "А", width: 3,`, `prefix: "А", width: 3, sequence: front,`, 1)
		return strings.Replace(s, `prefix: "П", width: 3,`, `prefix: "П", width: 3, sequence: front,`, 1)
	})
	o := newOffice(t, cfg, monday10)
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
	require.Equal(t, "П002", o.issue("pension").Ticket.Label)
	require.Equal(t, "З001", o.issue("employment").Ticket.Label)
	o.reopen()
	require.Equal(t, "А003", o.issue("social").Ticket.Label)
	o.clk.Add(24 * time.Hour)
	require.Equal(t, "П001", o.issue("pension").Ticket.Label)

	_, err := parse(strings.Replace(queuetest.OfficeYAML, `prefix: "П", width: 3,`, `prefix: "П", width: 2, sequence: social,`, 1) + "\n")
	requireField(t, err, "services[1].sequence", "a sequence is not named as another service")
	bad := strings.Replace(queuetest.OfficeYAML, `prefix: "А", width: 3,`, `prefix: "А", width: 3, sequence: front,`, 1)
	bad = strings.Replace(bad, `prefix: "П", width: 3,`, `prefix: "П", width: 2, sequence: front,`, 1)
	_, err = parse(bad)
	requireField(t, err, "services[1].sequence")
}

// TestBoardsClosedOutsideHours: before opening, after closing and on a
// holiday an idle counter's board shows closed and the office load counts
// no counter open; the boards change as the hours begin and end, on the
// engine's periodic refresh, and a counter still with a citizen keeps
// showing the ticket.
func TestBoardsClosedOutsideHours(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, `mon: "00:00-24:00"`, `mon: "09:00-17:00"`, 1)
		return strings.Replace(s, `avg_service_min: 20}`, `avg_service_min: 20, hours: {mon: "11:00-12:00"}}`, 1)
	})
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 8, 30, 0, 0, kyiv))
	boards := func() map[string]display.State {
		got := map[string]display.State{}
		for _, b := range o.e.TakeRetained().Boards {
			got[b.Counter] = b.State
		}
		return got
	}
	require.NoError(t, o.e.Republish(o.ctx))
	r := o.e.TakeRetained()
	require.Len(t, r.Boards, 4)
	for _, b := range r.Boards {
		require.Equal(t, display.Closed, b.State, "counter %s before opening", b.Counter)
	}
	require.Equal(t, 0, r.Load.OpenCounters, "no counter is open before opening")

	o.clk.Set(time.Date(2026, 11, 23, 9, 0, 10, 0, kyiv))
	queue.RefreshEstimates(o.e)
	r = o.e.TakeRetained()
	got := map[string]display.State{}
	for _, b := range r.Boards {
		got[b.Counter] = b.State
	}
	require.Equal(t, map[string]display.State{"1": display.Idle, "2": display.Idle, "3": display.Idle}, got,
		"the office opened; employment (counter 4) opens at 11")
	require.NotNil(t, r.Load)
	require.Equal(t, 3, r.Load.OpenCounters)
	for _, s := range r.Load.Services {
		want := map[string]int{"social": 2, "pension": 2, "employment": 0}[s.Service]
		require.Equal(t, want, s.OpenCounters, "open counters of %s", s.Service)
	}

	o.clk.Set(time.Date(2026, 11, 23, 11, 0, 0, 0, kyiv))
	queue.RefreshEstimates(o.e)
	require.Equal(t, map[string]display.State{"4": display.Idle}, boards(), "employment opened")
	o.clk.Set(time.Date(2026, 11, 23, 12, 0, 0, 0, kyiv))
	queue.RefreshEstimates(o.e)
	require.Equal(t, map[string]display.State{"4": display.Closed}, boards(), "and closed")

	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	boards()
	o.clk.Set(time.Date(2026, 11, 23, 17, 0, 30, 0, kyiv))
	queue.RefreshEstimates(o.e)
	require.Equal(t, map[string]display.State{"1": display.Calling, "2": display.Closed, "3": display.Closed}, boards(),
		"after closing, the counter with a citizen shows the ticket")
	o.do("1", queue.Finish)
	require.Equal(t, map[string]display.State{"1": display.Closed}, boards(), "and closed once done")

	// A holiday is closed all day.
	o.cfg.Office.Holidays = []string{"2026-11-24"}
	o.clk.Set(time.Date(2026, 11, 24, 10, 0, 0, 0, kyiv))
	o.reopen()
	require.NoError(t, o.e.Republish(o.ctx))
	holiday := boards()
	require.Len(t, holiday, 4)
	for c, s := range holiday {
		require.Equal(t, display.Closed, s, "counter %s on a holiday", c)
	}
}

// boardOf is the board of counter in bs.
func boardOf(t *testing.T, bs []display.Board, counter string) display.Board {
	t.Helper()
	for _, b := range bs {
		if b.Counter == counter {
			return b
		}
	}
	t.Fatalf("no board of counter %s", counter)
	return display.Board{}
}

// A counter paused (a break, counter.close) shows «Перерва» in its hours,
// and «Зачинено» after them: no queue is kept for anyone overnight.
func TestBoardAfterHoursIsClosed(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, nineToFive), monday10)
	o.do("1", queue.Pause)
	snap, err := o.e.Snapshot(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "Перерва", boardOf(t, snap.Boards, "1").Text())
	o.clk.Set(monday10.Add(7*time.Hour + 30*time.Minute)) // 17:30
	queue.RefreshEstimates(o.e)                           // the engine follows the hours
	snap, err = o.e.Snapshot(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "Зачинено", boardOf(t, snap.Boards, "1").Text())
	require.True(t, boardOf(t, snap.Boards, "1").Paused, "still paused, for its button box")
}

// TestRestartClockBehind: a Raspberry Pi without a clock chip that loses
// power boots at the time fake-hwclock saved last, a plausible time on the
// day before. The restarted engine issues no ticket while its clock is
// behind the latest it ran at (which it records while idle too), counters
// still work, and issuing resumes once NTP sets the clock: today's citizens
// get today's numbers. An administrator may trust a clock that was wrong
// ahead before.
func TestRestartClockBehind(t *testing.T) {
	monday16 := time.Date(2026, 11, 23, 16, 10, 0, 0, kyiv)
	o := newOffice(t, nil, monday16)
	o.issue("social")
	o.issue("social")
	// Nothing happens until the power cut at 16:45; the engine records
	// its clock while idle.
	o.clk.Set(monday16.Add(35 * time.Minute))
	queue.Tick(o.e)
	cut := filepath.Join(t.TempDir(), "cut.db")
	b, err := os.ReadFile(o.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cut, b, 0o600))

	// Tuesday 09:05, the clock restored to Monday 16:17; it runs on.
	o.clk.Set(monday16.Add(7 * time.Minute))
	var up time.Duration // the uptime, which runs with it
	opts := o.opts()
	opts.Uptime = func() time.Duration { return up }
	e := queuetest.OpenPath(t, cut, o.cfg, opts)
	_, err = e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClockUnset)
	require.ErrorIs(t, e.Issuable(o.ctx, "social"), queue.ErrClockUnset, "the kiosk's lamps are off")
	require.NoError(t, e.Republish(o.ctx))
	require.True(t, e.TakeRetained().Load.ClockUnset, "the office load says so, for the website and the boards")
	res, err := e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err, "counters still work")
	require.Equal(t, "А001", res.Ticket.Label)
	// An hour on, the restored clock is past the time the office last ran
	// at, and still a day wrong: nobody set it.
	o.clk.Add(time.Hour)
	up += time.Hour
	require.ErrorIs(t, e.Issuable(o.ctx, "social"), queue.ErrClockUnset, "a clock that ran on by itself")

	// NTP answers: Tuesday's first citizen gets Tuesday's А001.
	o.clk.Set(time.Date(2026, 11, 24, 10, 6, 0, 0, kyiv))
	up += time.Second
	iss, err := e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.Equal(t, "А001", iss.Ticket.Label)
	require.Equal(t, "2026-11-24", iss.Ticket.Day)
	load := e.TakeRetained().Load
	require.NotNil(t, load)
	require.False(t, load.ClockUnset, "the clock is set")

	// Once believed, a clock NTP steps back is believed too, and so after
	// a restart: the fast clock is not taken for the time it last ran at.
	o.clk.Add(-10 * time.Minute)
	_, err = e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	e = queuetest.OpenPath(t, cut, o.cfg, o.opts())
	require.NoError(t, e.Issuable(o.ctx, "social"), "restarted at the clock corrected back")
	require.NoError(t, e.Close())

	// A clock that was wrong ahead when the office last ran: an
	// administrator trusts the right one.
	o.clk.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	e = queuetest.OpenPath(t, cut, o.cfg, o.opts())
	_, err = e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	o.clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, kyiv))
	e = queuetest.OpenPath(t, cut, o.cfg, o.opts())
	require.ErrorIs(t, e.Issuable(o.ctx, "social"), queue.ErrClockUnset)
	last, err := e.TrustClock(o.ctx)
	require.NoError(t, err)
	require.True(t, last.Equal(time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv)), "last ran at %v", last)
	require.NoError(t, e.Issuable(o.ctx, "social"))
	require.NoError(t, e.Close())
	e = queuetest.OpenPath(t, cut, o.cfg, o.opts())
	require.NoError(t, e.Issuable(o.ctx, "social"), "trusted for good: the trusted clock is recorded")
}

// A controller that starts at 1970, before fake-hwclock (or an RTC read
// late) restores a clock behind the time the office last ran at, does not
// believe that clock either: today's citizens would get yesterday's day.
func TestClock1970ThenRestoredBehind(t *testing.T) {
	monday16 := time.Date(2026, 11, 23, 16, 10, 0, 0, kyiv)
	o := newOffice(t, nil, monday16)
	o.issue("social")
	o.clk.Set(monday16.Add(30 * time.Minute))
	queue.Tick(o.e) // the clock it last ran at: 16:40
	require.NoError(t, o.e.Close())

	o.clk.Set(time.Unix(0, 0))
	var up time.Duration
	opts := o.opts()
	opts.Uptime = func() time.Duration { return up }
	o.e = queuetest.OpenPath(t, o.path, o.cfg, opts)
	require.ErrorIs(t, o.e.Issuable(o.ctx, "social"), queue.ErrClockUnset)
	o.clk.Set(monday16.Add(-70 * time.Minute)) // fake-hwclock: 15:00
	up += 10 * time.Second
	require.ErrorIs(t, o.e.Issuable(o.ctx, "social"), queue.ErrClockUnset, "restored behind the time it last ran at")
	o.clk.Set(time.Date(2026, 11, 24, 9, 5, 0, 0, kyiv)) // NTP
	up += time.Second
	iss := o.issue("social")
	require.Equal(t, "А001", iss.Ticket.Label)
	require.Equal(t, "2026-11-24", iss.Ticket.Day)
}

// tellsStore has opts.OnStore keep what it is told: "ok", or the error.
// The engine calls it on its goroutine; read it after a request returned.
func tellsStore(opts *queue.Opts) *[]string {
	told := &[]string{}
	opts.OnStore = func(err error) {
		if err == nil {
			*told = append(*told, "ok")
		} else {
			*told = append(*told, err.Error())
		}
	}
	return told
}

// The engine tells OnStore when its writes start failing and when they
// work again, once each; a Close whose last write failed says so.
func TestOnStore(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.Close())
	opts := o.opts()
	told := tellsStore(opts)
	o.e = queuetest.OpenPath(t, o.path, o.cfg, opts)
	o.issue("social")
	boom := errors.New("no space left on device")
	queue.SetFailHook(o.e, func() error { return boom })
	for range 2 {
		_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
		require.ErrorIs(t, err, boom)
	}
	queue.SetFailHook(o.e, nil)
	// A request refused commits nothing of its own: no sign of a store
	// that saves again (its empty commit may fit a full disk's free pages).
	require.ErrorIs(t, o.e.Void(o.ctx, 9999, "x"), queue.ErrUnknownTicket)
	_, _ = o.e.Tickets(o.ctx) // after the Void's commit and its telling
	require.Len(t, *told, 1, "%q", *told)
	o.issue("social")
	queue.SetFailHook(o.e, func() error { return boom })
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, o.e.Close(), "the last write to the store failed")
	require.Len(t, *told, 3, "%q", *told)
	require.Contains(t, (*told)[0], "no space left on device")
	require.Equal(t, "ok", (*told)[1])
	require.Contains(t, (*told)[2], "no space left on device")
}

// A disk still full is not a store that saves again: a small change fits
// the file's free pages, and the next press that needs a page more fails.
// Only a file system with room again clears it.
func TestOnStoreDiskStillFull(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.Close())
	var free atomic.Int64
	opts := o.opts()
	queue.SetDiskSpace(opts, func(string) (int64, int64, error) { return free.Load(), 1 << 30, nil })
	told := tellsStore(opts)
	o.e = queuetest.OpenPath(t, o.path, o.cfg, opts)
	o.issue("social")
	full := &os.PathError{Op: "write", Path: o.path, Err: syscall.ENOSPC}
	queue.SetFailHook(o.e, func() error { return full })
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, syscall.ENOSPC)
	queue.SetFailHook(o.e, nil)
	o.do("3", queue.Pause) // fits the free pages
	_, _ = o.e.Tickets(o.ctx)
	require.Len(t, *told, 1, "still full: %q", *told)
	free.Store(1 << 30) // room made
	o.do("3", queue.Resume)
	_, _ = o.e.Tickets(o.ctx)
	require.Equal(t, "ok", (*told)[len(*told)-1], "%q", *told)
	require.Len(t, *told, 2)
}

// A disk that stays full fails every press and tick: the failure is
// logged at the first, then once a minute with the count of those not
// logged, not at every one, which would fill the journal, and what is left
// of the disk.
func TestFailedWritesLoggedOnceAMinute(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.Close())
	var log testkit.Log
	opts := o.opts()
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	o.e = queuetest.OpenPath(t, o.path, o.cfg, opts)
	full := &os.PathError{Op: "write", Path: o.path, Err: syscall.ENOSPC}
	queue.SetFailHook(o.e, func() error { return full })
	const failed = "transaction failed; state reloaded from disk"
	for range 5 {
		_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
		require.ErrorIs(t, err, syscall.ENOSPC)
	}
	require.Equal(t, 1, log.Count(failed), "the first failure")
	o.clk.Add(time.Minute)
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.Equal(t, 2, log.Count(failed), "a minute later")
	require.Equal(t, 1, log.Count("failed_since_not_logged=4"), "with the count of those not logged")
	// A failure of another kind is logged at once; then the two, taking
	// turns (a full disk failing at a write, then at a sync), are held
	// back alike.
	eio := &os.PathError{Op: "sync", Path: o.path, Err: syscall.EIO}
	queue.SetFailHook(o.e, func() error { return eio })
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, syscall.EIO)
	require.Equal(t, 3, log.Count(failed), "another failure")
	for i := range 6 {
		queue.SetFailHook(o.e, func() error { return []error{full, eio}[i%2] })
		_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
		require.Error(t, err)
	}
	require.Equal(t, 3, log.Count(failed), "those logged before: held back")
	// Saved again, the next failure is logged at once.
	queue.SetFailHook(o.e, nil)
	o.issue("social")
	queue.SetFailHook(o.e, func() error { return full })
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, syscall.ENOSPC)
	require.Equal(t, 4, log.Count(failed))
	require.Equal(t, 1, log.Count("failed_since_not_logged"), "the one held back before the store saved is not counted after")
	queue.SetFailHook(o.e, nil)
	o.issue("social") // and the office closes cleanly
}

// While the store file grows, a press does not wait for a long read (an
// administrator's statistics of a year): bbolt maps the file once, larger
// than years make it, rather than again whenever it outgrows the mapping,
// which waits until every reader has ended.
func TestGrowingStoreDoesNotWaitForReaders(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	release := queue.HoldRead(o.e)
	var late atomic.Bool
	timer := time.AfterFunc(time.Minute, func() { late.Store(true); release() })
	require.NoError(t, queue.Grow(o.e, 32<<20))
	o.issue("social")
	timer.Stop()
	release()
	require.False(t, late.Load(), "a write waited for the reader while the store grew")
}

// The engine commits a batch only when bbolt allocated a node for it
// (run: errUnchanged): every change bbolt makes goes through a node. This
// pins that on the bbolt the module uses; a bbolt that changed it would
// have the engine roll its writes back.
func TestBboltCountsANodeForEveryChange(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "b.db"), 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}))
	nodes := func(fn func(b *bolt.Bucket) error) int64 {
		var n int64
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			err := fn(tx.Bucket([]byte("b")))
			st := tx.Stats()
			n = st.GetNodeCount()
			return err
		}))
		return n
	}
	require.Zero(t, nodes(func(b *bolt.Bucket) error { b.Get([]byte("k")); return nil }), "a read")
	require.Positive(t, nodes(func(b *bolt.Bucket) error { return b.Put([]byte("k"), []byte("v")) }), "a put")
	require.Positive(t, nodes(func(b *bolt.Bucket) error { return b.Delete([]byte("k")) }), "a delete")
	require.Positive(t, nodes(func(b *bolt.Bucket) error { _, err := b.NextSequence(); return err }), "a sequence")
	require.Positive(t, nodes(func(b *bolt.Bucket) error { _, err := b.CreateBucket([]byte("n")); return err }), "a bucket")
}

// A ticket its kiosk is printing (IssueRequest.Printing) is passed over by
// next until Printed says the print ended, or a minute passed; one whose
// print failed is voided. The tickets behind it are called meanwhile, and
// a restart (a crash mid-print) forgets the hold: it may be on the paper.
func TestPrintingTicketNotCalled(t *testing.T) {
	o := newOffice(t, nil, monday10)
	printing := func() queue.Issued {
		iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Kiosk: "k1", Printing: true})
		require.NoError(t, err)
		return iss
	}
	a := printing()
	require.Empty(t, o.next("1"), "%s prints", a.Ticket.Label)
	b := o.issue("social") // a screen kiosk's: nothing to print
	require.Equal(t, b.Ticket.Label, o.next("1"), "the ticket behind is called")
	o.do("1", queue.Finish)
	require.NoError(t, o.e.Printed(o.ctx, a.Ticket.ID))
	require.Equal(t, a.Ticket.Label, o.next("1"), "printed, it is called")
	o.do("1", queue.Finish)

	c := printing()
	require.NoError(t, o.e.Void(o.ctx, c.Ticket.ID, "print failed"))
	require.Empty(t, o.next("1"), "voided, never called")

	d := printing()
	require.Empty(t, o.next("1"))
	o.clk.Add(time.Minute + time.Second)
	require.Equal(t, d.Ticket.Label, o.next("1"), "a kiosk that never said holds it a minute at most")
	o.do("1", queue.Finish)

	e := printing()
	o.reopen()
	require.Equal(t, e.Ticket.Label, o.next("1"), "after a crash, a ticket that may be on the paper is called")
}
