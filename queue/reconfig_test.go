package queue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// The configuration may change during the day: an administrator edits the
// file and restarts. Whatever changed, no label is said twice and every
// ticket can still be called or ends with a reason.

// reconfigure restarts the engine on the same file with an edited office.
func (o *office) reconfigure(edit func(string) string) {
	o.t.Helper()
	o.cfg = queuetest.Office(o.t, edit)
	o.reopen()
}

// withoutEmployment takes the employment service and its counter 4 out
// of the test office.
func withoutEmployment(s string) string {
	s = strings.Replace(s, "  - {id: employment, name: \"Центр зайнятості\", prefix: \"З\", width: 3, avg_service_min: 20}\n", "", 1)
	return strings.Replace(s, "  - {id: \"4\", services: [employment], kind: cabinet}\n", "", 1)
}

// requireLiveOnce checks that no two tickets that could still be called
// share a prefix and number.
func requireLiveOnce(t *testing.T, ts []queue.Ticket) {
	t.Helper()
	seen := map[string]string{}
	for _, tk := range ts {
		if tk.State.Terminal() {
			continue
		}
		key := strings.TrimRight(tk.Label, "0123456789") + " " + strings.TrimLeft(tk.Label[len(strings.TrimRight(tk.Label, "0123456789")):], "0")
		require.Empty(t, seen[key], "%s and %s are both live", seen[key], tk.Label)
		seen[key] = tk.Label
	}
}

func TestSequenceJoinedMidDay(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
	require.Equal(t, "П001", o.issue("pension").Ticket.Label)

	o.reconfigure(func(s string) string {
		s = strings.Replace(s, `prefix: "А", width: 3,`, `prefix: "А", width: 3, sequence: front,`, 1)
		return strings.Replace(s, `prefix: "П", width: 3,`, `prefix: "П", width: 3, sequence: front,`, 1)
	})
	// The shared numbering goes on after every number either issued.
	require.Equal(t, "А003", o.issue("social").Ticket.Label)
	require.Equal(t, "П004", o.issue("pension").Ticket.Label)
	requireLiveOnce(t, o.tickets())
}

func TestServiceRenamedMidDay(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
	require.Equal(t, "А001", o.next("1"))

	o.reconfigure(func(s string) string {
		s = strings.Replace(s, `{id: social,`, `{id: social2,`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	})
	// The service that prints А now takes its waiting ticket, with an
	// event, and numbers on; the ticket at counter 1 stays there.
	moved := o.ticket("А002")
	require.Equal(t, queue.Waiting, moved.State)
	require.Equal(t, "social2", moved.Service)
	require.Equal(t, "social", moved.Origin)
	require.Equal(t, queue.Called, o.ticket("А001").State)
	require.Equal(t, "А003", o.issue("social2").Ticket.Label)
	require.Equal(t, "А001", o.do("1", queue.Finish).Ended.Label)
	require.Equal(t, "А002", o.next("1"))
	var types []string
	for _, ev := range o.events() {
		if ev.Ticket != nil && ev.Ticket.Label == "А002" {
			types = append(types, ev.Type)
		}
	}
	require.Equal(t, []string{queue.EvIssued, queue.EvMoved, queue.EvCalled}, types)
}

// The ticket at a counter keeps the id of a service renamed since, and its
// board, live and in the snapshot (office.state), still names the service:
// the one that now prints its prefix. The contract leaves "service" out
// only of an idle or closed board.
func TestServiceRenamedBoardKeepsItsName(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
	require.Equal(t, "А001", o.next("1"))
	o.e.TakeRetained()

	cfg := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, `{id: social, name: "Соціальний захист",`, `{id: social2, name: "Соцзахист",`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	})
	require.NoError(t, o.e.SetConfig(o.ctx, cfg))
	o.cfg = cfg // for the checks at cleanup
	require.Equal(t, "social", o.ticket("А001").Service, "a ticket at a counter stays as it is")

	board := func(bs []display.Board) display.Board { return boardOf(t, bs, "1") }
	b := board(o.e.TakeRetained().Boards)
	require.Equal(t, "А001", b.Ticket)
	require.Equal(t, "Соцзахист", b.Service)
	require.Contains(t, string(b.JSON()), `"service":"Соцзахист"`)
	snap, err := o.e.Snapshot(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "Соцзахист", board(snap.Boards).Service)

	// Served, it still shows the name.
	o.do("1", queue.Serve)
	require.Equal(t, "Соцзахист", board(o.e.TakeRetained().Boards).Service)
}

// A ticket at a counter while its service is renamed keeps the old id
// there; sent back to wait (a no-show's second chance, put back by a call
// a moment later), it joins the service that took its queue and is
// called, not left in a queue nobody reads. Transferred by the counter to
// that service, it would come back to its own queue first: refused.
func TestServiceRenamedTicketSentBack(t *testing.T) {
	renamed := func(s string) string {
		s = strings.Replace(s, `{id: social,`, `{id: social2,`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	}
	grace := withOffice("noshow_grace_min: 1")
	guard := func(s string) string { return strings.Replace(s, "next_guard_s: -1", "next_guard_s: 10", 1) }
	live := func(o *office, edits ...func(string) string) {
		o.cfg = queuetest.Office(t, append(edits, renamed)...)
		require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
		require.Equal(t, "social", o.ticket("А001").Service, "at the counter, as it was")
	}

	t.Run("no-show", func(t *testing.T) {
		o := newOffice(t, queuetest.Office(t, grace), monday10)
		o.issue("social")
		require.Equal(t, "А001", o.next("1"))
		live(o, grace)
		o.do("1", queue.NoShowed)
		tk := o.ticket("А001")
		require.Equal(t, []any{queue.Waiting, "social2", "1"}, []any{tk.State, tk.Service, tk.ForCounter})
		evs := o.events()
		require.Equal(t, queue.EvMoved, evs[len(evs)-1].Type)
		require.Contains(t, evs[len(evs)-1].Reason, "service social is no longer configured: social2 prints")
		o.clk.Add(2 * time.Minute)
		require.Equal(t, "А001", o.next("2")+o.next("1"), "called after its grace")
	})
	t.Run("put back", func(t *testing.T) {
		o := newOffice(t, queuetest.Office(t, guard), monday10)
		o.issue("social")
		o.issue("social")
		require.Equal(t, "А001", o.next("1"))
		live(o, guard)
		_, err := o.e.CallTicket(o.ctx, "1", "А002")
		require.NoError(t, err)
		tk := o.ticket("А001")
		require.Equal(t, []any{queue.Waiting, "social2", "1"}, []any{tk.State, tk.Service, tk.ForCounter})
		o.clk.Add(time.Minute)
		require.Equal(t, "А001", o.next("1"), "held for the counter, called first")
	})
	t.Run("transfer", func(t *testing.T) {
		o := newOffice(t, nil, monday10)
		o.issue("social")
		require.Equal(t, "А001", o.next("1"))
		live(o)
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "social2"})
		var te *queue.TransitionError
		require.ErrorAs(t, err, &te)
		require.Equal(t, queue.RuleSameService, te.Rule)
	})
}

// A counter closed, taken away and added again (an edit undone) starts
// open, as a new counter does, not closed by the record it left; one
// closed and kept stays closed.
func TestCounterAddedAgainStartsOpen(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.do("3", queue.Pause)
	o.do("2", queue.Pause)
	o.cfg = queuetest.Office(t, func(s string) string {
		return strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "", 1)
	})
	require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
	o.cfg = queuetest.Office(t)
	require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"), "counter 3 is open")
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, queue.ErrCounterPaused, "counter 2, kept, is still closed")
}

// The figures of a service renamed keep the label it called last, live
// and after a restart: not "" as before the day's first call.
func TestServiceRenamedKeepsLastCalled(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.reconfigure(func(s string) string {
		s = strings.Replace(s, `{id: social,`, `{id: social2,`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	})
	lastCalled := func() string {
		t.Helper()
		snap, err := o.e.Snapshot(o.ctx)
		require.NoError(t, err)
		for _, q := range snap.Queues {
			if q.Service == "social2" {
				return q.Queue.LastCalled
			}
		}
		t.Fatal("no figures of social2")
		return ""
	}
	require.Equal(t, "А001", lastCalled())
	o.reopen()
	require.Equal(t, "А001", lastCalled(), "after a restart")
	o.issue("social2")
	require.Equal(t, "А002", o.next("2"))
	require.Equal(t, "А002", lastCalled())
}

// A service renamed keeps its daily cap: the tickets issued under the old
// id count against the service that prints their prefix now.
func TestServiceRenamedKeepsItsCap(t *testing.T) {
	capped := func(s string) string {
		return strings.Replace(s, `prefix: "А", width: 3, avg_service_min: 10}`, `prefix: "А", width: 3, avg_service_min: 10, daily_cap: 2}`, 1)
	}
	o := newOffice(t, queuetest.Office(t, capped), monday10)
	o.issue("social")
	o.issue("social")
	o.reconfigure(func(s string) string {
		s = strings.Replace(capped(s), `{id: social,`, `{id: social2,`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	})
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social2"})
	require.ErrorIs(t, err, queue.ErrDailyCap)
}

// A paused service renamed while the office runs stays paused under its
// new id, with its reason.
func TestServiceRenamedStaysPaused(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.SetPause(o.ctx, "social", "збій системи"))
	o.cfg = queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, `{id: social,`, `{id: social2,`, 1)
		return strings.ReplaceAll(s, `services: [social`, `services: [social2`)
	})
	require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social2"})
	var pe *queue.PausedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "збій системи", pe.Reason)
}

func TestServiceRemovedMidDay(t *testing.T) {
	o := newOffice(t, nil, monday10)
	waiting := o.issue("employment")
	o.reconfigure(withoutEmployment)
	// Nobody could call it: it ends, with the reason.
	tk := o.ticket(waiting.Ticket.Label)
	require.Equal(t, queue.Expired, tk.State)
	evs := o.events()
	last := evs[len(evs)-1]
	require.Equal(t, queue.EvExpired, last.Type)
	require.Contains(t, last.Reason, "employment is no longer configured")
	_, _, err := o.e.Position(o.ctx, waiting.Ticket.ID)
	require.NoError(t, err)
}

func TestCounterRemovedMidDay(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.issue("pension")
	o.clk.Add(time.Minute)
	require.Equal(t, "П001", o.next("3"))
	o.clk.Add(time.Minute)
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "3"})
	require.NoError(t, err) // П002 held for counter 3

	o.reconfigure(func(s string) string {
		return strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "", 1)
	})
	// The ticket called to counter 3 is back in its queue, in its place by
	// arrival; the one held for counter 3 is in the service's queue.
	require.NoError(t, o.e.Check(o.ctx))
	for _, l := range []string{"П001", "П002"} {
		tk := o.ticket(l)
		require.Equal(t, queue.Waiting, tk.State, l)
		require.Empty(t, tk.Counter, l)
		require.Empty(t, tk.ForCounter, l)
	}
	require.Equal(t, "П002", o.next("2"), "a transferred ticket first")
	require.Equal(t, "П001", o.next("2"))
}

// A no-show back after its grace, held for a counter taken away, joins its
// service's queue still after its grace, as for a counter paused: not
// called by another counter a moment after it was called.
func TestCounterRemovedKeepsGrace(t *testing.T) {
	grace := withOffice("noshow_grace_min: 5")
	o := newOffice(t, queuetest.Office(t, grace), monday10)
	o.issue("pension")
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"))
	back := o.do("3", queue.NoShowed).Ended
	require.Equal(t, "3", back.ForCounter)
	require.False(t, back.NotBefore.IsZero())

	o.reconfigure(func(s string) string {
		return strings.Replace(grace(s), "  - {id: \"3\", services: [pension]}\n", "", 1)
	})
	require.NoError(t, o.e.Check(o.ctx))
	tk := o.ticket("П001")
	require.Empty(t, tk.ForCounter)
	require.True(t, back.NotBefore.Equal(tk.NotBefore), "its grace: %s", tk.NotBefore)
	require.Equal(t, "П002", o.next("2"), "П001's grace has not ended")
	o.clk.Add(5 * time.Minute)
	o.do("2", queue.Finish)
	require.Equal(t, "П001", o.next("2"))
}

// A ticket held for a counter that no longer serves its service joins the
// service's queue: the counter would call it all the same.
func TestHeldForCounterThatNoLongerServes(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.clk.Add(time.Minute)
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "3"})
	require.NoError(t, err) // П001 held for counter 3

	o.reconfigure(func(s string) string {
		return strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "  - {id: \"3\", services: [social]}\n", 1)
	})
	require.NoError(t, o.e.Check(o.ctx))
	tk := o.ticket("П001")
	require.Equal(t, queue.Waiting, tk.State)
	require.Empty(t, tk.ForCounter)
	require.Empty(t, o.next("3"), "counter 3 serves social only now")
}

func TestWidthChangedAfterWrap(t *testing.T) {
	cfg := queuetest.Office(t, narrowSocial)
	o := newOffice(t, cfg, monday10)
	for range 9 {
		o.issue("social")
	}
	o.next("1")
	o.next("1")
	o.next("1") // А1 and А2 done, А3 called
	require.Equal(t, "А1", o.issue("social").Ticket.Label)
	require.Equal(t, "А2", o.issue("social").Ticket.Label)

	o.reconfigure(nil) // width 3 again
	// А3…А9 are still live and were issued: the first number not issued
	// today.
	require.Equal(t, "А010", o.issue("social").Ticket.Label)
	requireLiveOnce(t, o.tickets())
}

func TestTransferToClosedService(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-09:30"}}`, 1)
	})
	o := newOffice(t, cfg, monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
	require.ErrorIs(t, err, queue.ErrClosed)
	queue.Tick(o.e) // a later transaction
	tk := o.ticket("А001")
	require.Equal(t, queue.Called, tk.State)
	require.Equal(t, "1", tk.Counter)
}

// The hall and the last label called per service are the same after a
// restart: recalls keep their place on the hall board, and a transferred
// ticket's row is gone, as it went with the transfer: it waits for another
// counter, and its citizen would go back to the one that sent them on.
func TestHallAfterReopen(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	o.clk.Add(time.Minute)
	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(time.Minute)
	require.Equal(t, "А002", o.next("2"))
	o.clk.Add(time.Minute)
	o.do("1", queue.Recall) // А001 back on top
	o.clk.Add(time.Minute)
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "3"})
	require.NoError(t, err)
	require.NoError(t, o.e.Republish(o.ctx))
	before := o.e.TakeRetained()
	require.Len(t, before.Hall.Calls, 1, "А002, transferred, left the hall")
	require.Equal(t, "А001", before.Hall.Calls[0].Ticket)

	o.reopen()
	require.NoError(t, o.e.Republish(o.ctx))
	after := o.e.TakeRetained()
	sameJSON(t, before.Hall, after.Hall)
	sameJSON(t, before.Queues, after.Queues)

	// Called at the counter it was transferred to, it is on the hall again.
	require.Equal(t, "А002", o.next("3"))
	require.Equal(t, "А002", o.e.TakeRetained().Hall.Calls[0].Ticket)
}

// A no-show back after its grace keeps its row on the hall (its citizen,
// back late, finds where to go) until its counter closes: then any counter
// of its service calls it, and the row would send them to the closed one.
func TestHallNoShowOfAClosedCounter(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("noshow_grace_min: 5")), monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(time.Minute)
	require.Equal(t, "А002", o.next("2"))
	o.clk.Add(time.Minute)
	require.Equal(t, "1", o.do("1", queue.NoShowed).Ended.ForCounter)
	o.e.TakeRetained()
	require.NoError(t, o.e.Republish(o.ctx))
	calls := o.e.TakeRetained().Hall.Calls
	require.Len(t, calls, 2)
	require.Equal(t, "А001", calls[1].Ticket, "back after its grace at counter 1: still on the hall")

	o.do("1", queue.Pause)
	hall := o.e.TakeRetained().Hall
	require.NotNil(t, hall, "the hall changed")
	calls = hall.Calls
	require.Len(t, calls, 1, "counter 1 closed: А001 waits for any counter")
	require.Equal(t, "А002", calls[0].Ticket)
	o.reopen()
	require.NoError(t, o.e.Republish(o.ctx))
	sameJSON(t, calls, o.e.TakeRetained().Hall.Calls)
}

// The same changes without a restart: SetConfig.
func TestSetConfigLive(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.Equal(t, "А001", o.issue("social").Ticket.Label)
	require.Equal(t, "А002", o.issue("social").Ticket.Label)
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"))
	o.e.TakeRetained()

	require.NoError(t, o.e.SetPause(o.ctx, "employment", "немає спеціаліста"))
	// social is renamed, counter 3 goes, a service and a counter come;
	// employment goes, and its pause with it.
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, `{id: social,`, `{id: social2,`, 1)
		s = strings.ReplaceAll(s, `services: [social`, `services: [social2`)
		s = strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "", 1)
		s = strings.Replace(s, "counters:\n", "  - {id: idp, name: \"Довідки ВПО\", prefix: \"В\", width: 3, avg_service_min: 5}\ncounters:\n  - {id: \"5\", services: [idp]}\n", 1)
		return withoutEmployment(s)
	})
	require.NoError(t, o.e.SetConfig(o.ctx, cfg))
	ps, err := o.e.Pauses(o.ctx)
	require.NoError(t, err)
	require.Empty(t, ps, "the pause of a service that is gone")
	o.cfg = cfg // for the checks at cleanup
	require.NoError(t, o.e.Check(o.ctx))

	require.Equal(t, "social2", o.ticket("А002").Service)
	require.Equal(t, queue.Waiting, o.ticket("П001").State, "back from the counter that is gone")
	require.Equal(t, "А003", o.issue("social2").Ticket.Label)
	require.Equal(t, "В001", o.issue("idp").Ticket.Label)
	require.Equal(t, "В001", o.next("5"))
	o.do("5", queue.Finish) // the first engine's cleanup verifies the file against the old counters
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrUnknownService)

	r := o.e.TakeRetained()
	var boards []string
	for _, b := range r.Boards {
		boards = append(boards, b.Counter)
	}
	require.Equal(t, []string{"5", "1", "2"}, boards, "every board of the new configuration, in its order, none of the old")
	var hall []string
	for _, c := range r.Hall.Calls {
		hall = append(hall, c.Ticket+"@"+c.Counter)
	}
	require.Equal(t, []string{"В001@5"}, hall, "П001's call to counter 3, which is gone, left the hall")
	var rows []string
	for _, s := range r.Load.Services {
		rows = append(rows, s.Service)
	}
	require.Equal(t, []string{"social2", "pension", "idp"}, rows)

	// A restart keeps what the change did.
	o.reopen()
	require.Equal(t, "А004", o.issue("social2").Ticket.Label)

	// The time zone waits for a restart; a refused change changes nothing.
	tz := queuetest.Office(t, func(s string) string { return strings.Replace(s, "Europe/Kyiv", "Europe/Warsaw", 1) })
	require.ErrorContains(t, o.e.SetConfig(o.ctx, tz), "time zone")
	require.Equal(t, "А005", o.issue("social2").Ticket.Label)
}

// After SetConfig the office load counts each waiting citizen once, and
// no figures of a service that is gone are handed out.
func TestSetConfigFigures(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.NoError(t, o.e.Republish(o.ctx))
	o.e.TakeRetained()
	o.issue("employment") // its figures wait for the publisher
	cfg := queuetest.Office(t, withoutEmployment)
	require.NoError(t, o.e.SetConfig(o.ctx, cfg))
	o.cfg = cfg
	r := o.e.TakeRetained()
	require.Equal(t, 2, r.Load.Waiting, "the З ticket expired with its service; the two А ones wait")
	for _, f := range r.Queues {
		require.NotEqual(t, "employment", f.Service)
	}
	require.NoError(t, o.e.SetConfig(o.ctx, cfg))
	require.Equal(t, 2, o.e.TakeRetained().Load.Waiting, "the same again")
}

// A width shrunk below the day's numbers is refused while the office runs:
// today's labels would repeat (А1 after А001). Changed in the file, with
// a restart, it wraps: no live label is said twice.
func TestSetConfigWidthShrunk(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 12 {
		o.issue("social")
	}
	for range 9 {
		o.next("1")
	}
	o.do("1", queue.Finish) // А001…А009 done, А010…А012 waiting
	cfg := queuetest.Office(t, narrowSocial)
	err := o.e.SetConfig(o.ctx, cfg)
	var we *queue.WidthError
	require.ErrorAs(t, err, &we)
	require.Equal(t, queue.WidthError{Index: 0, Service: "social", Width: 1, Reached: 12}, *we)
	require.Equal(t, "А013", o.issue("social").Ticket.Label, "the old width runs on")

	o.reconfigure(narrowSocial)
	require.Equal(t, "А1", o.issue("social").Ticket.Label)
	requireLiveOnce(t, o.tickets())
	// A later change that leaves the width alone narrows nothing.
	cfg = queuetest.Office(t, func(s string) string {
		return strings.Replace(narrowSocial(s), "timezone: Europe/Kyiv", "timezone: Europe/Kyiv\n  holidays: [\"2027-01-01\"]", 1)
	})
	require.NoError(t, o.e.SetConfig(o.ctx, cfg))
}

// A refused change leaves the publisher what it had to publish: the
// figures of a service the change would have taken away too.
func TestRefusedChangeKeepsWhatIsToPublish(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.e.TakeRetained()
	o.issue("employment") // its figures wait for the publisher
	_, err := o.e.SetConfigVersion(o.ctx, queuetest.Office(t, withoutEmployment), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.ErrorIs(t, err, queue.ErrExpires)
	var services []string
	for _, f := range o.e.TakeRetained().Queues {
		services = append(services, f.Service)
	}
	require.Contains(t, services, "employment")
}

// A service's closing that is due under the configuration that ran, which
// the engine's timer has not reached yet, is not the doing of a change
// made then: the change is not refused for its tickets, nor lists them.
func TestSetConfigAfterAClosingDue(t *testing.T) {
	short := func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-10:30"}}`, 1)
	}
	o := newOffice(t, queuetest.Office(t, short), monday10)
	o.issue("pension")
	o.clk.Add(31 * time.Minute) // 10:31: pension closed a minute ago
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(short(s), "timezone: Europe/Kyiv", "timezone: Europe/Kyiv\n  holidays: [\"2027-01-01\"]", 1)
	})
	v, err := o.e.SetConfigVersion(o.ctx, cfg, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	require.Empty(t, v.Tickets)
	require.Equal(t, queue.Expired, o.ticket("П001").State, "expired by its closing")
}

// A change of hours to a closing already past sends the tickets waiting
// home when it is made, not at the closing, nor at the clock the store
// last recorded (which lags by up to clockEvery in a running office): the
// day's figures count how long they waited. (It failed before: 10:02.)
func TestExpiredByChangeEndsWhenMade(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.clk.Add(4*time.Minute - time.Second) // nothing written since 10:00
	queue.Tick(o.e)                        // the running engine's tick
	o.clk.Add(time.Second)                 // 10:04
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-10:02"}}`, 1)
	})
	_, err := o.e.SetConfigVersion(o.ctx, cfg, queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	tk := o.ticket("П001")
	require.Equal(t, queue.Expired, tk.State)
	require.WithinDuration(t, o.clk.Now(), tk.Ended, time.Second, "ended when the change was made, a tick ago")
}

// A change that takes away a service's last counter leaves its waiting
// tickets to nobody: they go home (so the change needs expire), and
// nothing is transferred to it any more.
func TestLastCounterTakenAway(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("employment")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `{id: "4", services: [employment], kind: cabinet}`, `{id: "4", services: [social], kind: cabinet}`, 1)
	})
	_, err := o.e.SetConfigVersion(o.ctx, cfg, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, []string{"З001"}, ee.Tickets)
	v, err := o.e.SetConfigVersion(o.ctx, cfg, queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	o.cfg = cfg
	require.Equal(t, []queue.Rehomed{{Ticket: "З001", Event: queue.EvExpired, Reason: "no counter serves the service"}}, v.Tickets)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "employment"})
	require.ErrorIs(t, err, queue.ErrNoCounter)
	require.Equal(t, queue.Called, o.ticket("А001").State)
}

// A change of hours that closes a service at once expires its waiting
// tickets in the same transaction; the recorded version lists them, as it
// lists the tickets a service or counter taken away moved.
func TestSetConfigListsExpired(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-09:30"}}`, 1)
	})
	v, err := o.e.SetConfigVersion(o.ctx, cfg, queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	o.cfg = cfg
	require.Equal(t, []queue.Rehomed{{Ticket: "П001", Event: queue.EvExpired, Reason: "the service closed"}}, v.Tickets)
	require.Equal(t, queue.Expired, o.ticket("П001").State)
}

// A change that would send waiting citizens home is refused unless it says
// so (Change.Expire): nothing changes, nothing is recorded, and the
// refusal names them. A holiday made of today closes every service as
// the day began: with Expire, its waiting tickets go home with an event,
// not wait all day for nobody.
func TestSetConfigExpiresOnlyWhenAsked(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.issue("social")
	closes := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-09:30"}}`, 1)
	})
	_, err := o.e.SetConfigVersion(o.ctx, closes, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.ErrorIs(t, err, queue.ErrExpires)
	require.NotErrorIs(t, err, queue.ErrStore)
	require.Equal(t, []string{"П001"}, ee.Tickets)
	require.Equal(t, queue.Waiting, o.ticket("П001").State)
	vs, err := o.e.ConfigVersions(o.ctx)
	require.NoError(t, err)
	require.Empty(t, vs, "nothing recorded")
	require.Equal(t, "П002", o.issue("pension").Ticket.Label, "the old hours run on")

	holiday := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, "timezone: Europe/Kyiv", "timezone: Europe/Kyiv\n  holidays: [\"2026-11-23\"]", 1)
	})
	_, err = o.e.SetConfigVersion(o.ctx, holiday, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.ErrorAs(t, err, &ee)
	require.Equal(t, []string{"А002", "П001", "П002"}, ee.Tickets)
	v, err := o.e.SetConfigVersion(o.ctx, holiday, queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	o.cfg = holiday
	require.Len(t, v.Tickets, 3)
	for _, l := range []string{"П001", "А002", "П002"} {
		require.Equal(t, queue.Expired, o.ticket(l).State, l)
	}
	require.Equal(t, queue.Called, o.ticket("А001").State, "the citizen at the counter stays")
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClosed)
}

// A restart on a file that made today a holiday sends the waiting tickets
// home at once, as the day's end would.
func TestHolidayTodayAtRestart(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.reconfigure(func(s string) string {
		return strings.Replace(s, "timezone: Europe/Kyiv", "timezone: Europe/Kyiv\n  holidays: [\"2026-11-23\"]", 1)
	})
	queue.Tick(o.e)
	require.Equal(t, queue.Expired, o.ticket("А001").State)
}

// A change made from a version that is no longer the latest is refused,
// naming both, and changes nothing: another administrator's change came
// in between. Made from the latest, it runs.
func TestSetConfigVersionFromAStaleBase(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	file, err := o.e.RecordConfig(o.ctx, o.cfg, queue.ConfigVersion{Source: "file"})
	require.NoError(t, err)
	other, err := o.e.SetConfigVersion(o.ctx, o.cfg, queue.Change{Base: file.Version}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)

	closes := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
			`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "09:00-09:30"}}`, 1)
	})
	_, err = o.e.SetConfigVersion(o.ctx, closes, queue.Change{Base: file.Version}, queue.ConfigVersion{Source: "admin"})
	var ce *queue.ConfigChangedError
	require.ErrorAs(t, err, &ce)
	require.ErrorIs(t, err, queue.ErrConfigChanged)
	require.Equal(t, queue.ConfigChangedError{Running: other.Version, Base: file.Version}, *ce)
	require.Equal(t, queue.Waiting, o.ticket("П001").State, "the stale change did not run")
	vs, err := o.e.ConfigVersions(o.ctx)
	require.NoError(t, err)
	require.Len(t, vs, 2, "nor was it recorded")

	v, err := o.e.SetConfigVersion(o.ctx, closes, queue.Change{Base: other.Version, Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	require.Equal(t, other.Version+1, v.Version)
	require.Equal(t, queue.Expired, o.ticket("П001").State)
}

// A change that brings a service's closing today forward to a moment soon
// to come would send its waiting citizens home at it, before they are
// called: as one that closes it at once, it is refused unless it says so
// (Change.Expire), naming them. A closing brought forward with time to
// call everyone is no such change.
func TestSetConfigClosingSoonNeedsExpire(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 3 {
		o.issue("pension")
	}
	pensionUntil := func(close string) *config.Config {
		return queuetest.Office(t, func(s string) string {
			return strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15}`,
				`prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "00:00-`+close+`"}}`, 1)
		})
	}
	_, err := o.e.SetConfigVersion(o.ctx, pensionUntil("10:02"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.ErrorIs(t, err, queue.ErrExpires)
	require.Empty(t, ee.Tickets, "none goes home at once")
	require.Len(t, ee.Closing, 1)
	require.Equal(t, "pension", ee.Closing[0].Service)
	require.Equal(t, "24:00", ee.Closing[0].Was)
	require.Equal(t, "10:02", ee.Closing[0].At.In(kyiv).Format("15:04"))
	require.Equal(t, []string{"П001", "П002", "П003"}, ee.Closing[0].Tickets)
	require.Contains(t, err.Error(), "closes pension at 10:02 instead of 24:00, and 3 tickets waiting for it (П001, П002, П003) would go home then")
	vs, err := o.e.ConfigVersions(o.ctx)
	require.NoError(t, err)
	require.Empty(t, vs, "nothing recorded")

	// Three people, two counters, 15 min a visit: all are called by 18:00.
	_, err = o.e.SetConfigVersion(o.ctx, pensionUntil("18:00"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	// Ten more: by the estimate the last ones would still wait at 11:20.
	for range 10 {
		o.issue("pension")
	}
	_, err = o.e.SetConfigVersion(o.ctx, pensionUntil("11:20"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.ErrorAs(t, err, &ee)
	require.Equal(t, "18:00", ee.Closing[0].Was)
	require.NotContains(t, ee.Closing[0].Tickets, "П001", "called in time by the estimate")
	require.Contains(t, ee.Closing[0].Tickets, "П013")

	// Said so: nobody goes home yet, and all those waiting go at 10:02.
	v, err := o.e.SetConfigVersion(o.ctx, pensionUntil("10:02"), queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	require.Empty(t, v.Tickets)
	require.Equal(t, queue.Waiting, o.ticket("П001").State)
	o.clk.Add(3 * time.Minute)
	o.issue("social")
	require.Equal(t, queue.Expired, o.ticket("П001").State)
}

// Tickets a change moves to a service (their own renamed, or taken away and
// its prefix given to another) are held against the hours of the service
// they waited for: a closing that comes sooner for them is asked for as
// one brought forward. The check looked at a service's own former hours
// only, and a renamed one had none.
func TestSetConfigClosingSoonAfterAMove(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 3 {
		o.issue("pension")
	}
	const pension = `{id: pension, name: "Пенсійний фонд", prefix: "П", width: 3, avg_service_min: 15}`
	renamed := func(hours string) *config.Config {
		return queuetest.Office(t, func(s string) string {
			s = strings.Replace(s, pension, `{id: pension2, name: "Пенсійний фонд", prefix: "П", width: 3, avg_service_min: 15`+hours+`}`, 1)
			s = strings.Replace(s, "[social, pension]", "[social, pension2]", 1)
			return strings.Replace(s, "[pension]", "[pension2]", 1)
		})
	}
	_, err := o.e.SetConfigVersion(o.ctx, renamed(`, hours: {mon: "00:00-10:02"}`), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.Len(t, ee.Closing, 1)
	require.Equal(t, "pension2", ee.Closing[0].Service)
	require.Equal(t, "24:00", ee.Closing[0].Was)
	require.Equal(t, []string{"П001", "П002", "П003"}, ee.Closing[0].Tickets)
	require.Equal(t, "pension", o.ticket("П001").Service, "nothing changed")
	_, err = o.e.SetConfigVersion(o.ctx, renamed(""), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err, "renamed, its hours kept")
	require.Equal(t, "pension2", o.ticket("П001").Service)

	// Employment taken away, its prefix given to a service that closes
	// at 10:02: its tickets would move there, and go home at 10:02.
	o = newOffice(t, nil, monday10)
	o.issue("employment")
	o.issue("employment")
	const employment = `{id: employment, name: "Центр зайнятості", prefix: "З", width: 3, avg_service_min: 20}`
	pensionUntil := func(s string) string {
		return strings.Replace(s, pension, `{id: pension, name: "Пенсійний фонд", prefix: "П", width: 3, avg_service_min: 15, hours: {mon: "00:00-10:02"}}`, 1)
	}
	_, err = o.e.SetConfigVersion(o.ctx, queuetest.Office(t, pensionUntil), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err, "nobody waits for pension")
	merged := queuetest.Office(t, pensionUntil, func(s string) string {
		s = strings.Replace(s, "  - "+employment+"\n", "", 1)
		s = strings.Replace(s, `prefix: "П", width: 3, avg_service_min: 15, hours`, `prefix: "З", width: 3, avg_service_min: 15, hours`, 1)
		return strings.Replace(s, "[employment]", "[pension]", 1)
	})
	_, err = o.e.SetConfigVersion(o.ctx, merged, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.ErrorAs(t, err, &ee)
	require.Len(t, ee.Closing, 1)
	require.Equal(t, "pension", ee.Closing[0].Service)
	require.Equal(t, []string{"З001", "З002"}, ee.Closing[0].Tickets)
	require.Contains(t, err.Error(), "closes pension at 10:02 instead of 24:00, and 2 tickets waiting for it (З001, З002) would go home then")
	require.Equal(t, "employment", o.ticket("З001").Service, "nothing changed")
}

// A change that puts a service's opening today later, to a moment still to
// come, while tickets wait for it, is asked for as a closing brought
// forward: refused when they could not all be called between the new
// opening and the closing, accepted with time enough. It was never
// looked at: the closing had not moved.
func TestSetConfigOpeningLaterNeedsExpire(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 3 {
		o.issue("social")
	}
	socialHours := func(h string) *config.Config {
		return queuetest.Office(t, func(s string) string {
			return strings.Replace(s, `prefix: "А", width: 3, avg_service_min: 10}`, `prefix: "А", width: 3, avg_service_min: 10, hours: {mon: "`+h+`"}}`, 1)
		})
	}
	_, err := o.e.SetConfigVersion(o.ctx, socialHours("00:00-17:00"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err, "time enough before 17:00")
	_, err = o.e.SetConfigVersion(o.ctx, socialHours("16:40-17:00"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.Len(t, ee.Closing, 1)
	require.Equal(t, "social", ee.Closing[0].Service)
	require.Equal(t, "16:40", ee.Closing[0].Opens.In(kyiv).Format("15:04"))
	require.Equal(t, "17:00", ee.Closing[0].At.In(kyiv).Format("15:04"))
	require.Equal(t, []string{"А001", "А002", "А003"}, ee.Closing[0].Tickets)
	require.Equal(t, "17:00", ee.Closing[0].Was)
	require.Contains(t, err.Error(), "opens social only at 16:40, and closes it at 17:00, and 3 tickets waiting for it (А001, А002, А003) would go home at its closing, before they are called")

	// Three people, two counters, 10 min a visit: all called by 11:20.
	_, err = o.e.SetConfigVersion(o.ctx, socialHours("11:00-18:00"), queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	require.Equal(t, queue.Waiting, o.ticket("А001").State)
}

// A change that takes away a counter with a citizen called to it or at it
// would send that citizen back to the queue, to be called again: it is
// refused unless it says so (Change.Expire), naming the counter and the
// ticket. A counter with nobody at it goes without asking.
func TestCounterTakenAwayWithItsTicketNeedsExpire(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"))
	without3 := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "", 1)
	})
	_, err := o.e.SetConfigVersion(o.ctx, without3, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	var ee *queue.ExpiresError
	require.ErrorAs(t, err, &ee)
	require.ErrorIs(t, err, queue.ErrExpires)
	require.Equal(t, []queue.AtCounter{{Counter: "3", Ticket: "П001", State: queue.Called}}, ee.AtCounter)
	require.Contains(t, err.Error(), "takes away counter 3 while ticket П001 is called there")
	require.Contains(t, err.Error(), "done, noshow or transfer")
	require.Equal(t, queue.Called, o.ticket("П001").State, "nothing changed")

	o.do("3", queue.Serve)
	_, err = o.e.SetConfigVersion(o.ctx, without3, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.ErrorAs(t, err, &ee)
	require.Equal(t, queue.Serving, ee.AtCounter[0].State)

	v, err := o.e.SetConfigVersion(o.ctx, without3, queue.Change{Expire: true}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	require.Equal(t, queue.EvMoved, v.Tickets[0].Event)
	require.Equal(t, queue.Waiting, o.ticket("П001").State)

	// Counter 4 has nobody: it goes without asking.
	without4 := queuetest.Office(t, func(s string) string {
		s = strings.Replace(s, "  - {id: \"3\", services: [pension]}\n", "", 1)
		return strings.Replace(s, "  - {id: \"4\", services: [employment], kind: cabinet}\n", "  - {id: \"5\", services: [employment], kind: cabinet}\n", 1)
	})
	_, err = o.e.SetConfigVersion(o.ctx, without4, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
}

// The refusal counts one ticket in the singular.
func TestExpiresErrorCounts(t *testing.T) {
	e := &queue.ExpiresError{Tickets: []string{"А001"}, Closing: []queue.Closing{{Service: "pension", At: monday10, Was: "17:00", Tickets: []string{"П002"}}}}
	require.Contains(t, e.Error(), "send home 1 ticket (А001)")
	require.Contains(t, e.Error(), "and 1 ticket waiting for it (П002)")
	e.Closing[0].Opens = monday10.Add(-time.Hour)
	require.Contains(t, e.Error(), "opens pension only at 09:00, and closes it at 10:00 (it closed at 17:00), and 1 ticket waiting for it (П002) would go home at its closing")
	e.Closing[0].Opens = time.Time{}
	e.Tickets = []string{"А001", "А002"}
	require.Contains(t, e.Error(), "send home 2 tickets (А001, А002)")
}

// A ticket transferred to a service that is then renamed goes to the
// service under its new id, not back to where it was issued (its label's
// prefix), live and at a restart on an edited file; one transferred to a
// service taken away goes back there.
func TestTransferredToRenamedService(t *testing.T) {
	renamed := func(s string) string {
		s = strings.Replace(s, `{id: employment,`, `{id: jobs,`, 1)
		return strings.ReplaceAll(s, `services: [employment]`, `services: [jobs]`)
	}
	transferred := func(o *office) string {
		o.issue("social")
		require.Equal(t, "А001", o.next("1"))
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "employment"})
		require.NoError(t, err)
		return "А001"
	}

	o := newOffice(t, nil, monday10)
	label := transferred(o)
	o.cfg = queuetest.Office(t, renamed)
	require.NoError(t, o.e.SetConfig(o.ctx, o.cfg))
	require.Equal(t, "jobs", o.ticket(label).Service, "live")
	evs := o.events()
	require.Contains(t, evs[len(evs)-1].Reason, "jobs prints its prefix")

	// The configuration that ran is recorded (as the office records the
	// file at start).
	o = newOffice(t, nil, monday10)
	_, err := o.e.RecordConfig(o.ctx, o.cfg, queue.ConfigVersion{Source: "file"})
	require.NoError(t, err)
	label = transferred(o)
	o.reconfigure(renamed)
	require.Equal(t, "jobs", o.ticket(label).Service, "at a restart")

	o = newOffice(t, nil, monday10)
	label = transferred(o)
	o.reconfigure(withoutEmployment)
	tk := o.ticket(label)
	require.Equal(t, []any{"social", queue.Waiting}, []any{tk.Service, tk.State}, "employment taken away: back to social")
	evs = o.events()
	require.Contains(t, evs[len(evs)-1].Reason, "social prints its label's prefix")
}
