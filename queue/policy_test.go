package queue_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// withOffice edits the office section of queuetest.OfficeYAML.
func withOffice(lines string) func(string) string {
	return func(s string) string { return strings.Replace(s, "  hours:", "  "+lines+"\n  hours:", 1) }
}

// nineToFive opens the test office from 09:00 to 17:00 every day.
func nineToFive(s string) string { return strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00") }

func TestPriorityFirst(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.clk.Add(time.Minute)
	o.issue("pension")
	o.clk.Add(time.Minute)
	o.priority("pension")
	o.clk.Add(time.Minute)
	o.priority("social")
	// Counter 2 serves both: priority tickets first, oldest first, whatever
	// the service; then the others.
	require.Equal(t, "П002", o.next("2"))
	require.Equal(t, "А002", o.next("2"))
	require.Equal(t, "А001", o.next("2"))
	require.Equal(t, "П001", o.next("2"))
}

func TestPriorityCategories(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("priority_categories: [disability, veteran]")), monday10)
	o.issue("social")
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Category: "vip"})
	require.ErrorIs(t, err, queue.ErrUnknownCategory)
	iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Category: "veteran"})
	require.NoError(t, err)
	require.True(t, iss.Ticket.Priority)
	require.Equal(t, "veteran", iss.Ticket.Category)
	require.Equal(t, 0, iss.Ahead)
	require.Equal(t, "А002", o.next("1"))
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, st.Total.Priority)

	// The figures count them by category, the day's and a range's: a
	// council asks how many veterans were served.
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Category: "disability"})
	require.NoError(t, err)
	o.next("1") // the veteran's visit done; the next called
	want := map[string]queue.CategoryFigure{"veteran": {Issued: 1, Served: 1}, "disability": {Issued: 1}}
	st, err = o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, want, st.Total.Categories)
	require.Equal(t, want, st.Services["social"].Categories)
	require.Empty(t, st.Counters["1"].Categories)
	o.clk.Set(monday10.AddDate(0, 0, 1))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social", Category: "veteran"})
	require.NoError(t, err)
	rs, err := o.e.StatsRange(o.ctx, "2026-11-23", "2026-11-24")
	require.NoError(t, err)
	require.Equal(t, map[string]queue.CategoryFigure{"veteran": {Issued: 2, Served: 1}, "disability": {Issued: 1}}, rs.Total.Categories)
}

func TestWeightsAndAging(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `{id: "2", services: [social, pension]}`, `{id: "2", services: [social, pension], weights: {pension: 3}}`, 1)
	})
	o := newOffice(t, cfg, monday10)
	o.issue("social")
	o.clk.Add(2 * time.Minute)
	o.issue("pension")
	o.clk.Add(2 * time.Minute)
	// social waited 4 min × 1, pension 2 min × 3: pension.
	require.Equal(t, "П001", o.next("2"))
	require.Equal(t, "А001", o.next("2"))
	o.do("2", queue.Finish)

	// Aging: pension keeps coming, a social ticket is still called once it
	// has waited three times as long as the pension head.
	o.issue("social") // А002 at T
	calls := 0
	for {
		o.clk.Add(time.Minute)
		o.issue("pension")
		calls++
		if o.next("2") == "А002" {
			break
		}
		require.Less(t, calls, 100, "social starves")
	}
	require.Less(t, calls, 10)

	// Validation refuses a weight for a service the counter does not serve.
	bad := strings.Replace(queuetest.OfficeYAML, `{id: "1", services: [social]}`, `{id: "1", services: [social], weights: {pension: 2}}`, 1)
	_, err := parse(bad)
	requireField(t, err, "counters[0].weights.pension")
}

func TestNoShowGraceReturnsOnce(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("noshow_grace_min: 5")), monday10)
	o.issue("social")
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	res := o.do("1", queue.NoShowed)
	require.Equal(t, queue.Waiting, res.Ended.State)
	require.Equal(t, "1", res.Ended.ForCounter)
	require.Equal(t, "А002", o.next("1"), "within the grace the next one is called")
	require.Equal(t, "А003", o.next("2"), "other counters do not call a held ticket")
	o.clk.Add(5 * time.Minute)
	require.Equal(t, "А001", o.next("1"), "back to its counter first after the grace")
	res = o.do("1", queue.NoShowed)
	require.Equal(t, queue.NoShow, res.Ended.State, "only once")
}

// A ticket back after a no-show waits for its counter, behind that
// counter's visit and its grace, however idle the other counters are: its
// reprint and its scan say so, not "nobody ahead, at once".
func TestPositionOfAHeldTicket(t *testing.T) {
	grace := queuetest.Office(t, withOffice("noshow_grace_min: 5"))
	o := newOffice(t, grace, monday10) // social: counters 1, 2; 10 min a visit
	for range 4 {
		o.issue("social")
	}
	position := func(label string) (int, time.Duration) {
		t.Helper()
		ahead, wait, err := o.e.Position(o.ctx, o.ticket(label).ID)
		require.NoError(t, err)
		return ahead, wait
	}
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "1", o.do("1", queue.NoShowed).Ended.ForCounter)
	ahead, wait := position("А001")
	require.Equal(t, 0, ahead)
	require.Equal(t, 5*time.Minute, wait, "counter 1 is idle: the grace")

	require.Equal(t, "А002", o.next("1"))
	ahead, wait = position("А001")
	require.Equal(t, 0, ahead)
	require.Equal(t, 10*time.Minute, wait, "after А002's visit at counter 1; counter 2 does not call it")
	o.clk.Add(6 * time.Minute)
	_, wait = position("А001")
	require.Equal(t, 4*time.Minute, wait, "what the visit has left")

	// A ticket transferred to counter 1 goes before it there.
	require.Equal(t, "А003", o.next("2"))
	_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "social", ToCounter: "1"})
	require.NoError(t, err)
	ahead, wait = position("А003")
	require.Equal(t, 0, ahead)
	require.Equal(t, 4*time.Minute, wait)
	ahead, wait = position("А001")
	require.Equal(t, 1, ahead, "А003 is called first at counter 1")
	require.Equal(t, 14*time.Minute, wait)

	// A no-show whose counter closed waits for any counter of its
	// service, and still for its grace.
	o = newOffice(t, grace, monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("2"))
	o.do("2", queue.NoShowed)
	o.do("2", queue.Pause)
	ahead, wait = position("А001")
	require.Equal(t, 0, ahead)
	require.Equal(t, 5*time.Minute, wait, "counter 1 is idle: the grace")
}

// issueTold issues a ticket of service and checks what it was told, people
// ahead and wait, and that its position says the same.
func (o *office) issueTold(t *testing.T, service string, ahead int, wait time.Duration, why string) {
	t.Helper()
	iss := o.issue(service)
	require.Equal(t, ahead, iss.Ahead, why)
	require.Equal(t, wait, iss.Wait, why)
	a, w, err := o.e.Position(o.ctx, iss.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, ahead, a, "position: "+why)
	require.Equal(t, wait, w, "position: "+why)
}

// Tickets held for one counter keep that counter busy, not the others:
// a new ticket waits for the first counter free for the queue.
func TestEstimateWithTicketsHeldForACounter(t *testing.T) {
	o := newOffice(t, nil, monday10) // social: counters 1, 2; 10 min a visit
	o.issue("social")
	o.issue("social")
	for _, label := range []string{"А001", "А002"} {
		require.Equal(t, label, o.next("2"))
		_, err := o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "social", ToCounter: "1"})
		require.NoError(t, err)
	}
	iss := o.issue("social")
	require.Equal(t, 2, iss.Ahead, "the two held for counter 1 are called before it")
	require.Equal(t, 0*time.Minute, iss.Wait, "counter 2 is idle")
	o.issueTold(t, "social", 3, 10*time.Minute, "counter 2, after А003; counter 1 is busy for 20 minutes")
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "А003", o.next("2"))
}

// A no-show is sent back only when it can be called after its grace:
// not when the service closes first, nor the business day ends.
func TestNoShowGraceNotPastClosing(t *testing.T) {
	grace := withOffice("noshow_grace_min: 5")
	closes := func(s string) string { return strings.Replace(grace(s), `mon: "00:00-24:00"`, `mon: "09:00-18:00"`, 1) }
	o := newOffice(t, queuetest.Office(t, closes), time.Date(2026, 11, 23, 17, 50, 0, 0, kyiv))
	for range 3 {
		o.issue("social")
	}
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, queue.Waiting, o.do("1", queue.NoShowed).Ended.State, "back at 17:55, before the closing")
	o.clk.Add(6 * time.Minute)
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "А002", o.next("1"))
	res := o.do("1", queue.NoShowed)
	require.Equal(t, queue.NoShow, res.Ended.State, "at 17:56 the grace runs past 18:00")
	require.True(t, res.Ended.NotBefore.IsZero())

	// Open until midnight: the day's end comes first.
	o = newOffice(t, queuetest.Office(t, grace), time.Date(2026, 11, 23, 23, 57, 0, 0, kyiv))
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, queue.NoShow, o.do("1", queue.NoShowed).Ended.State)
}

// A next that calls nobody at a counter whose services are all closed
// says so, and when the first opens; from the opening on, by the clock, it
// is a next at which nobody waits.
func TestNextOffHours(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, nineToFive), time.Date(2026, 11, 23, 8, 59, 50, 0, kyiv))
	res := o.do("1", queue.Next)
	require.True(t, res.OffHours)
	require.True(t, res.Opens.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv)), "%v", res.Opens)
	o.clk.Add(15 * time.Second) // 09:00:05, before the engine's tick
	res = o.do("1", queue.Next)
	require.False(t, res.OffHours, "open since 09:00")
	require.True(t, res.Opens.IsZero())
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
}

// A no-show sent back at a counter that config.set gave other services
// waits for any counter of its service: held for the counter, it would be
// called there ahead of that counter's own queue, by a specialist who
// cannot help.
func TestNoShowGraceAtCounterNoLongerServing(t *testing.T) {
	grace := withOffice("noshow_grace_min: 5")
	o := newOffice(t, queuetest.Office(t, grace), monday10)
	o.issue("pension")
	require.Equal(t, "П001", o.next("2"))
	require.NoError(t, o.e.SetConfig(o.ctx, queuetest.Office(t, func(s string) string {
		return strings.Replace(grace(s), `{id: "2", services: [social, pension]}`, `{id: "2", services: [social]}`, 1)
	})))
	res := o.do("2", queue.NoShowed)
	require.Equal(t, queue.Waiting, res.Ended.State)
	require.Empty(t, res.Ended.ForCounter)
	o.issue("social")
	o.clk.Add(5 * time.Minute)
	require.Equal(t, "А001", o.next("2"))
	require.Equal(t, "П001", o.next("3"))
}

// While the office is paused a called citizen may be in the shelter, or
// told to wait: recall is refused, and so is no-show. An air-raid alert
// since the call gives the ticket its recalls again (the announcer
// dropped its calls); another pause does not.
func TestNoShowAndRecallAroundAlert(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("recall_limit: 2")), monday10)
	o.issue("social")
	o.next("1")
	o.do("1", queue.Recall)
	o.do("1", queue.Recall)
	recall := func() error {
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
		return err
	}
	require.ErrorIs(t, recall(), queue.ErrRecallLimit)

	var pe *queue.PausedError
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада"))
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	require.ErrorAs(t, err, &pe)
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	require.ErrorIs(t, recall(), queue.ErrRecallLimit, "a meeting gives no recalls")

	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	require.ErrorAs(t, err, &pe)
	require.Equal(t, queue.Called, o.ticket("А001").State)
	o.clk.Add(time.Hour)
	require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
	require.NoError(t, recall())
	require.NoError(t, recall())
	require.ErrorIs(t, recall(), queue.ErrRecallLimit)
	res := o.do("1", queue.NoShowed)
	require.Equal(t, queue.NoShow, res.Ended.State)
}

func TestRecallLimit(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("recall_limit: 2")), monday10)
	o.issue("social")
	o.next("1")
	o.do("1", queue.Recall)
	o.do("1", queue.Recall)
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	require.ErrorIs(t, err, queue.ErrRecallLimit)
	require.Equal(t, 2, o.ticket("А001").Recalls)

	// Transferred, the ticket is another specialist's call: its recalls
	// count afresh.
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "social", ToCounter: "2"})
	require.NoError(t, err)
	require.Equal(t, "А001", o.next("2"))
	o.do("2", queue.Recall)
	require.Equal(t, 1, o.ticket("А001").Recalls)
}

// guarded is the test office with the counters' double-press guard as
// office.next_guard_s says (the line left out: the default).
func guarded(line string) func(string) string {
	const off = "  next_guard_s: -1\n" // the test office's
	if line == off {
		return nil // as it is
	}
	return func(s string) string { return strings.Replace(s, off, line, 1) }
}

// A second next within office.next_guard_s of a call, before the citizen
// came, is a double press: refused, nothing changes, and the refusal says
// how long is left. serve lifts it; a recall starts it again: the
// recalled citizen is on the way.
func TestNextGuard(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, guarded("")), monday10)
	for range 3 {
		o.issue("social")
	}
	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(3 * time.Second)
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	var jc *queue.JustCalledError
	require.ErrorAs(t, err, &jc)
	require.ErrorIs(t, err, queue.ErrJustCalled)
	require.Equal(t, queue.JustCalledError{Label: "А001", Left: 7 * time.Second, Action: queue.Next}, *jc)
	require.Equal(t, queue.Called, o.ticket("А001").State, "the visit goes on")
	// A part of a second left counts as one: the error says, as the
	// specialist's message does, the seconds after which a press is taken.
	jc.Left = 7*time.Second + 200*time.Millisecond
	require.Equal(t, 8, jc.Seconds())
	require.Contains(t, jc.Error(), "next is taken in 8 s")
	require.Equal(t, queue.Waiting, o.ticket("А002").State)

	// A recall is held likewise while the call is said: it would be said
	// again and take one of the ticket's recalls.
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	require.ErrorAs(t, err, &jc)
	require.Equal(t, queue.JustCalledError{Label: "А001", Left: 2 * time.Second, Action: queue.Recall}, *jc)
	o.clk.Add(2 * time.Second)
	o.do("1", queue.Recall)
	o.clk.Add(time.Second)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	require.ErrorAs(t, err, &jc, "nor right after a recall")
	require.Equal(t, 1, o.ticket("А001").Recalls)
	o.clk.Add(4 * time.Second)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
	require.ErrorAs(t, err, &jc, "5 s after the recall")
	require.Equal(t, queue.JustCalledError{Label: "А001", Left: 5 * time.Second, Action: queue.Next}, *jc)
	o.clk.Add(5 * time.Second)
	require.Equal(t, "А002", o.next("1"), "10 s after the recall")
	require.Equal(t, queue.Done, o.ticket("А001").State)

	o.do("1", queue.Serve) // the citizen came: next ends the visit at once
	served := len(o.events())
	o.do("1", queue.Serve) // a double press: nothing more
	require.Len(t, o.events(), served)
	require.Equal(t, "А003", o.next("1"))

	// Calling a ticket by its label is no double press: the citizen in
	// front of the specialist holds another number. The one called a
	// moment ago goes back, first for this counter, not done.
	o.issue("social")
	res, err := o.e.CallTicket(o.ctx, "1", "А004")
	require.NoError(t, err)
	require.Equal(t, "А004", res.Ticket.Label)
	back := o.ticket("А003")
	require.Equal(t, queue.Waiting, back.State)
	require.Equal(t, "1", back.ForCounter)
	require.Equal(t, &back, res.Ended, "not ended but put back, as it waits now")
	require.Equal(t, queue.EvMoved, o.events()[len(o.events())-2].Type)
	o.do("1", queue.Serve)
	require.Equal(t, "А003", o.next("1"), "called first at its counter")
	o.clk.Add(time.Minute)
	res, err = o.e.CallTicket(o.ctx, "1", "А005")
	require.ErrorIs(t, err, queue.ErrUnknownTicket)
	o.issue("social")
	res, err = o.e.CallTicket(o.ctx, "1", "А005")
	require.NoError(t, err)
	require.Equal(t, queue.Done, res.Ended.State, "called a minute ago: the visit is over")

	// A clock set back since the call does not hold next for the jump.
	o.clk.Add(-time.Hour)
	o.issue("social")
	require.Equal(t, "А006", o.next("1"))
}

// A no-show within 30 s of the call or recall (office.next_guard_s when
// longer) ends the turn of a citizen who has not yet heard it said (a call
// takes 9 to 21 s to say) nor had the time to walk: refused, nothing
// changes. A recall starts the guard again; -1 turns it off.
func TestNoShowGuard(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, guarded("")), monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(3 * time.Second)
	events := len(o.events())
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	var jc *queue.JustCalledError
	require.ErrorAs(t, err, &jc)
	require.Equal(t, queue.JustCalledError{Label: "А001", Left: 27 * time.Second, Action: queue.NoShowed}, *jc)
	require.Contains(t, jc.Error(), "noshow is taken in 27 s")
	require.Equal(t, queue.Called, o.ticket("А001").State, "the call goes on")
	require.Len(t, o.events(), events, "nothing recorded")

	o.clk.Add(27 * time.Second)
	o.do("1", queue.Recall)
	o.clk.Add(29 * time.Second)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	require.ErrorAs(t, err, &jc, "29 s after the recall")
	require.Equal(t, time.Second, jc.Left)
	o.clk.Add(time.Second)
	require.Equal(t, queue.NoShow, o.do("1", queue.NoShowed).Ended.State, "30 s after the recall")

	// A longer next_guard_s holds it as long.
	o = newOffice(t, queuetest.Office(t, guarded("  next_guard_s: 45\n")), monday10)
	o.issue("social")
	o.next("1")
	o.clk.Add(40 * time.Second)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	require.ErrorAs(t, err, &jc)
	require.Equal(t, 5*time.Second, jc.Left)

	// Off with the guard.
	o = newOffice(t, queuetest.Office(t, guarded("  next_guard_s: -1\n")), monday10)
	o.issue("social")
	o.next("1")
	require.Equal(t, queue.NoShow, o.do("1", queue.NoShowed).Ended.State)
	require.Contains(t, (&queue.JustCalledError{Label: "А001", Left: time.Second}).Error(), ": next is taken in 1 s", "next, unless said")
}

// A ticket called by mistake and put back keeps the hold it had before the
// call: a citizen sent to counter 3, or back to their counter after a
// no-show with its grace, is still awaited there, not at the counter that
// pressed the wrong label, also after a restart in between.
func TestPutBackKeepsHold(t *testing.T) {
	for _, restart := range []bool{false, true} {
		o := newOffice(t, queuetest.Office(t, guarded("  noshow_grace_min: 5\n")), monday10)
		o.issue("social")
		o.issue("pension")
		require.Equal(t, "А001", o.next("1"))
		o.transfer("1", "pension", "3")
		require.Equal(t, "3", o.ticket("А001").ForCounter)

		_, err := o.e.CallTicket(o.ctx, "2", "А001") // meant П001
		require.NoError(t, err)
		if restart {
			o.reopen()
		}
		o.clk.Add(2 * time.Second)
		_, err = o.e.CallTicket(o.ctx, "2", "П001")
		require.NoError(t, err)
		back := o.ticket("А001")
		require.Equal(t, queue.Waiting, back.State)
		require.Equal(t, "3", back.ForCounter, "restart %t", restart)
		require.Equal(t, "А001", o.next("3"), "awaited at counter 3")

		// A no-show sent back to counter 3 with its grace.
		o.clk.Add(time.Minute)
		require.Equal(t, queue.Waiting, o.do("3", queue.NoShowed).Ended.State)
		graced := o.ticket("А001")
		require.Equal(t, "3", graced.ForCounter)
		o.clk.Add(time.Minute)
		o.do("2", queue.Finish)
		_, err = o.e.CallTicket(o.ctx, "2", "А001")
		require.NoError(t, err)
		if restart {
			o.reopen()
		}
		o.issue("pension")
		_, err = o.e.CallTicket(o.ctx, "2", "П002")
		require.NoError(t, err)
		back = o.ticket("А001")
		require.Equal(t, "3", back.ForCounter, "restart %t", restart)
		require.False(t, back.NotBefore.IsZero())
		require.True(t, graced.NotBefore.Equal(back.NotBefore), "the grace still runs: %v, %v", graced.NotBefore, back.NotBefore)
		require.True(t, back.Returned, "it came back once: a second no-show ends it")
	}
}

func TestNextGuardSetOrOff(t *testing.T) {
	for _, c := range []struct {
		line    string
		refused bool
	}{
		{"  next_guard_s: 5\n", true},
		{"  next_guard_s: 2\n", false},
		{"", true},
		{"  next_guard_s: -1\n", false},
	} {
		o := newOffice(t, queuetest.Office(t, guarded(c.line)), monday10)
		o.issue("social")
		o.issue("social")
		o.next("1")
		o.clk.Add(3 * time.Second)
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Next})
		if c.refused {
			require.ErrorIs(t, err, queue.ErrJustCalled, c.line)
		} else {
			require.NoError(t, err, c.line)
		}
	}
}

// A citizen who came to the counter (serving) is no no-show: the specialist
// finishes the visit (done) or transfers it.
func TestNoShowWhileServingRefused(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("noshow_grace_min: 5")), monday10)
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.do("1", queue.Serve)
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.NoShowed})
	var te *queue.TransitionError
	require.ErrorAs(t, err, &te)
	require.ErrorContains(t, err, "a citizen at the counter is no no-show")
	require.Equal(t, queue.Serving, o.ticket("А001").State)
	err = o.e.Void(o.ctx, o.ticket("А001").ID, "")
	require.ErrorAs(t, err, &te)
	require.EqualError(t, err, "queue: only a waiting ticket can be voided (one called or served is ended at its counter: done or no-show); ticket А001 is serving")
	require.Equal(t, queue.Done, o.do("1", queue.Finish).Ended.State)
}

// An administrator's call to a counter that has a ticket is refused,
// saying how its specialist ends it: a citizen at the counter is no
// no-show.
func TestCallTicketFreeBusy(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	_, err := o.e.CallTicketFree(o.ctx, "1", "А002")
	var be *queue.CounterBusyError
	require.ErrorAs(t, err, &be)
	require.Contains(t, be.Error(), "(done or no-show)")
	o.do("1", queue.Serve)
	_, err = o.e.CallTicketFree(o.ctx, "1", "А002")
	require.ErrorAs(t, err, &be)
	require.Contains(t, be.Error(), "ticket А001 (serving): its specialist ends it first (done: the citizen is at the counter)")
	require.Equal(t, queue.Waiting, o.ticket("А002").State)
}

func TestCallTicket(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	o.issue("social")
	res, err := o.e.CallTicket(o.ctx, "1", "А003")
	require.NoError(t, err)
	require.Equal(t, "А003", res.Ticket.Label)
	require.Equal(t, queue.Called, res.Ticket.State)
	_, err = o.e.CallTicket(o.ctx, "1", "Я999")
	require.ErrorIs(t, err, queue.ErrUnknownTicket)
	_, err = o.e.CallTicket(o.ctx, "9", "А001")
	require.ErrorIs(t, err, queue.ErrUnknownCounter)
	res, err = o.e.CallTicket(o.ctx, "2", "А001")
	require.NoError(t, err)
	require.Equal(t, "1", o.ticket("А003").Counter)
	require.Equal(t, "А002", o.next("1"))
	require.Equal(t, queue.Done, o.ticket("А003").State)

	// Called elsewhere: the refusal says where the citizen is.
	_, err = o.e.CallTicket(o.ctx, "2", "А002")
	var te *queue.TransitionError
	require.ErrorAs(t, err, &te)
	require.Contains(t, err.Error(), "at counter 1")
	// A ticket of a service the counter does not serve: the citizen would
	// come to a specialist who cannot help them.
	o.issue("pension")
	_, err = o.e.CallTicket(o.ctx, "1", "П001")
	require.ErrorIs(t, err, queue.ErrNotServed)
	var ns *queue.NotServedError
	require.ErrorAs(t, err, &ns)
	require.Equal(t, queue.NotServedError{Counter: "1", Service: "pension", Label: "П001", Name: "Пенсійний фонд"}, *ns)
	// The counter's own ticket: a recall says it again.
	_, err = o.e.CallTicket(o.ctx, "1", "А002")
	require.ErrorAs(t, err, &te)
	require.Equal(t, queue.RuleOwnTicket, te.Rule)
	require.Equal(t, queue.Waiting, o.ticket("П001").State)
	require.Equal(t, "А002", o.ticket("А002").Label)
	require.Equal(t, queue.Called, o.ticket("А002").State, "counter 1 keeps its citizen")
	res, err = o.e.CallTicket(o.ctx, "3", "П001")
	require.NoError(t, err)
	require.Equal(t, "П001", res.Ticket.Label)
}

// A service that no counter serves issues nothing: its tickets would
// never be called. The kiosk says the service is not available.
func TestNoCounterNoTicket(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `{id: "4", services: [employment], kind: cabinet}`, `{id: "4", services: [social], kind: cabinet}`, 1)
	})
	o := newOffice(t, cfg, monday10)
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment"})
	require.ErrorIs(t, err, queue.ErrNoCounter)
	require.ErrorIs(t, err, queue.ErrServiceClosed)
	require.ErrorIs(t, o.e.Issuable(o.ctx, "employment"), queue.ErrNoCounter, "its lamp is dark")
	require.Empty(t, o.tickets())
	o.issue("social")
}

func TestDailyCap(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `avg_service_min: 20}`, `avg_service_min: 20, daily_cap: 2}`, 1)
	})
	o := newOffice(t, cfg, monday10)
	o.issue("employment")
	require.Empty(t, figuresOf(t, o.e, "employment").Refused)
	o.issue("employment")
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment"})
	require.ErrorIs(t, err, queue.ErrDailyCap)
	require.Equal(t, "daily_cap", figuresOf(t, o.e, "employment").Refused, "the queue's figures say it, for a screen")
	o.reopen()
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment"})
	require.ErrorIs(t, err, queue.ErrDailyCap)
	o.issue("social")
	// A voided ticket (its print failed) serves nobody: its place under
	// the cap is given back, also after a restart.
	require.NoError(t, o.e.Void(o.ctx, o.ticket("З002").ID, "print failed"))
	o.reopen()
	require.Equal(t, "З003", o.issue("employment").Ticket.Label)
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment"})
	require.ErrorIs(t, err, queue.ErrDailyCap)
	o.clk.Add(24 * time.Hour)
	o.issue("employment")
}

// figuresOf is the service's figures in what e has for the publisher now
// (each change is taken once: call it right after the change).
func figuresOf(t *testing.T, e *queue.Engine, service string) display.Queue {
	t.Helper()
	for _, f := range e.TakeRetained().Queues {
		if f.Service == service {
			return f.Queue
		}
	}
	t.Fatalf("no figures of %s", service)
	return display.Queue{}
}

func TestRefuseLate(t *testing.T) {
	cfg := queuetest.Office(t, withOffice("refuse_late: true"), nineToFive)
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 16, 30, 0, 0, kyiv))
	// One cabinet serves employment, 20 minutes a ticket.
	o.issue("employment") // called at once, served by 16:50
	// The next would be called at 16:50 and served at 17:10: not before
	// closing.
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "employment"})
	var full *queue.FullError
	require.ErrorAs(t, err, &full)
	require.ErrorIs(t, err, queue.ErrFull)
	require.Equal(t, "full", figuresOf(t, o.e, "employment").Refused)
	require.Equal(t, 1, full.Waiting)
	require.Equal(t, 20*time.Minute, full.Wait)
	require.True(t, full.Closes.Equal(time.Date(2026, 11, 23, 17, 0, 0, 0, kyiv)))
	require.ErrorIs(t, o.e.Issuable(o.ctx, "employment"), queue.ErrFull, "the lamp of an ordinary press")
	// A priority ticket goes before the one waiting: it is served in time.
	pr := o.priority("employment")
	require.Equal(t, 0, pr.Ahead)
	o.issue("social") // two counters, nobody waits
}

// Without refuse_late a ticket that would be called only after closing is
// issued, and says so (Late), as the printed ticket then does. One called
// before closing is served, however long its visit: it is not told it may
// not be (a priority ticket with no wait was).
func TestLateTicket(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive)
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 16, 30, 0, 0, kyiv))
	require.False(t, o.issue("employment").Late, "called at once, served by 16:50")
	second := o.issue("employment")
	require.False(t, second.Late, "called at 16:50, before closing; served by 17:10")
	require.Equal(t, 20*time.Minute, second.Wait)
	late := o.issue("employment")
	require.True(t, late.Late, "called at 17:10")
	require.Equal(t, 40*time.Minute, late.Wait)
	require.False(t, o.issue("social").Late)

	o = newOffice(t, cfg, time.Date(2026, 11, 23, 16, 45, 0, 0, kyiv))
	pr := o.priority("employment")
	require.Zero(t, pr.Wait)
	require.False(t, pr.Late, "called at once, before closing: served")
}

// A visit that runs longer than the usual one is not taken to end at once:
// by the recent visits that went on longer, or a quarter of the mean.
func TestEstimateOfAVisitRunningLong(t *testing.T) {
	o := newOffice(t, nil, monday10) // counter 4 serves employment, 20 min a ticket
	o.issue("employment")
	require.Equal(t, "З001", o.next("4"))
	waits := func(id uint64) time.Duration {
		t.Helper()
		_, d, err := o.e.Position(o.ctx, id)
		require.NoError(t, err)
		return d
	}
	next := o.issue("employment").Ticket.ID
	require.Equal(t, 20*time.Minute, waits(next))
	o.clk.Add(10 * time.Minute)
	require.Equal(t, 10*time.Minute, waits(next))
	o.clk.Add(9 * time.Minute)
	require.Equal(t, 5*time.Minute, waits(next), "near the mean's end: still a quarter of it")
	o.clk.Add(30 * time.Minute)
	require.Equal(t, 5*time.Minute, waits(next), "running long: a quarter of the mean")

	// Visits of 49 minutes and nine of 10 measured: one at 15 minutes is
	// expected to go on as the 49-minute one did.
	o.do("4", queue.Finish)
	require.Equal(t, "З002", o.next("4"))
	for range 9 {
		o.clk.Add(10 * time.Minute)
		o.do("4", queue.Finish)
		o.issue("employment")
		o.next("4")
	}
	next = o.issue("employment").Ticket.ID
	o.clk.Add(15 * time.Minute)
	require.Equal(t, 34*time.Minute, waits(next))
}

// With no counter open for a service (its only one on a break) nobody can
// tell the wait: it is Unknown, not "at once", and refuse_late lets the
// ticket through (the counter may open again).
func TestEstimateWithNoCounterOpen(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("refuse_late: true")), monday10) // counter 4 alone serves employment
	o.do("4", queue.Pause)
	o.e.TakeRetained()
	iss := o.issue("employment")
	require.Equal(t, 0, iss.Ahead)
	require.Equal(t, queue.Unknown, iss.Wait)
	require.Equal(t, -1, queue.Minutes(iss.Wait))
	r := o.e.TakeRetained()
	require.Len(t, r.Queues, 1)
	require.Equal(t, -1, r.Queues[0].Queue.ETAMin)
	require.Contains(t, string(r.Queues[0].Queue.JSON()), `"eta_min":null`)
	_, wait, err := o.e.Position(o.ctx, iss.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, queue.Unknown, wait)
	o.do("4", queue.Resume)
	require.Equal(t, 20*time.Minute, o.issue("employment").Wait, "open again: one ahead, called at once, then 20 min")

	// Nor while the office is paused (no counter calls).
	err = o.e.SetPause(o.ctx, "", "повітряна тривога")
	require.NoError(t, err)
	_, wait, err = o.e.Position(o.ctx, iss.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, queue.Unknown, wait, "the office paused")
	r = o.e.TakeRetained()
	for _, q := range r.Queues {
		require.Equal(t, -1, q.Queue.ETAMin, q.Service)
	}
}

// Outside a service's hours no counter calls for it: its wait is unknown.
func TestEstimateOutsideHours(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive)
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 16, 50, 0, 0, kyiv))
	iss := o.issue("social")
	require.Zero(t, iss.Wait)
	o.clk.Set(time.Date(2026, 11, 23, 17, 10, 0, 0, kyiv))
	queue.RefreshEstimates(o.e)
	r := o.e.TakeRetained()
	require.NotEmpty(t, r.Queues)
	for _, q := range r.Queues {
		require.Equal(t, -1, q.Queue.ETAMin, q.Service)
	}
}

// Priority and transferred tickets that come while an ordinary ticket
// waits go before it: its estimate counts them in at today's rate.
func TestEstimateCountsLaterPriorityTickets(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive)
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv))
	for range 4 {
		o.issue("employment")
	}
	require.Equal(t, 80*time.Minute, o.issue("employment").Wait, "4 ahead, 20 min each: no priority ticket yet today")
	// One priority ticket an hour since opening.
	o.clk.Add(59 * time.Minute)
	o.priority("employment")
	o.clk.Add(time.Minute)
	// 6 ahead make 120 minutes, in which 2 more priority tickets come:
	// 8 ahead, 160 minutes, and 3 more; 9 ahead, 180 minutes.
	iss := o.issue("employment")
	require.Equal(t, 6, iss.Ahead, "the people ahead are the ones waiting now")
	require.Equal(t, 180*time.Minute, iss.Wait)
	ahead, wait, err := o.e.Position(o.ctx, iss.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, 6, ahead)
	require.Equal(t, 180*time.Minute, wait, "the same for a waiting ticket")
	require.Equal(t, 0*time.Minute, o.priority("employment").Wait-20*time.Minute, "a priority ticket waits only for the one before it")
	o.reopen()
	// 8 ahead at 2 priority tickets an hour: 23 ahead by the time the
	// turn comes.
	require.Equal(t, 23*20*time.Minute, o.issue("employment").Wait, "the rate survives a restart")
}

// A ticket transferred on and back counts once, in the service it is in,
// whether the engine saw the transfers or a restart found them.
func TestEstimateAfterTransfersAndRestart(t *testing.T) {
	cfg := queuetest.Office(t, nineToFive)
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv)) // counter 1: social; 3: pension
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
	require.NoError(t, err)
	require.Equal(t, "А001", o.next("3"))
	_, err = o.e.Counter(o.ctx, "3", queue.Command{Action: queue.Transfer, To: "social"})
	require.NoError(t, err)
	o.clk.Add(time.Hour)
	var last queue.Issued
	for range 8 {
		last = o.issue("pension")
	}
	_, before, err := o.e.Position(o.ctx, last.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, 3*15*time.Minute, before, "7 ahead on two idle counters, and no pension jumper: А001 is back in social")
	o.reopen()
	_, after, err := o.e.Position(o.ctx, last.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestEstimateFromRecentServiceTimes(t *testing.T) {
	o := newOffice(t, nil, monday10)
	// Counters 1 and 2 serve social; its seed is 10 minutes.
	for range 4 {
		o.issue("social")
	}
	require.Equal(t, 20*time.Minute, o.issue("social").Wait, "4 ahead, 2 counters, 10 min")
	for range 3 {
		o.next("1")
		o.clk.Add(4 * time.Minute)
		o.do("1", queue.Finish)
	}
	// Three quick visits do not set the day's estimate: the seed counts
	// as the 7 visits short of 10.
	require.Equal(t, (7*10+3*4)*time.Minute/10, o.issue("social").Wait, "2 ahead, 2 counters, 8.2 min a visit")
	for range 7 {
		o.issue("social")
		o.next("1")
		o.clk.Add(4 * time.Minute)
		o.do("1", queue.Finish)
	}
	o.issueTold(t, "social", 3, 4*time.Minute, "3 ahead, 2 counters, 10 visits of 4 min measured")
	o.reopen()
	require.Equal(t, 8*time.Minute, o.issue("social").Wait, "4 ahead on 2 idle counters: 2 now, 2 after a visit, then this one; the samples survive a restart")
}

// The published estimate follows the clock: a counter's visit nears its end
// while nobody presses anything, and the engine publishes the figure again.
func TestEstimateRefreshedWithTime(t *testing.T) {
	o := newOffice(t, nil, monday10) // counter 3 serves pension, 15 min each
	o.issue("pension")
	o.issue("pension")
	require.Equal(t, "П001", o.next("3"))
	o.e.TakeRetained()
	queue.RefreshEstimates(o.e)
	require.Empty(t, o.e.TakeRetained().Queues, "nothing moved")
	o.clk.Add(10 * time.Minute)
	queue.RefreshEstimates(o.e)
	r := o.e.TakeRetained()
	require.Len(t, r.Queues, 1)
	require.Equal(t, "pension", r.Queues[0].Service)
	require.Equal(t, 5, r.Queues[0].Queue.ETAMin, "П002 waits for the 5 minutes left of П001's visit")
	require.Equal(t, 5, r.Load.Services[1].ETAMin)
}

// The estimate counts the counters that are free now and when the busy ones
// will be: a citizen with counters idle is not told to wait a service time.
func TestEstimateCountsFreeCounters(t *testing.T) {
	o := newOffice(t, nil, monday10) // counters 1 and 2 serve social, 10 min each
	o.issue("social")
	iss := o.issue("social")
	require.Equal(t, 1, iss.Ahead)
	require.Zero(t, iss.Wait, "one ahead, two idle counters: both are called at once")

	require.Equal(t, "А001", o.next("1"))
	o.clk.Add(4 * time.Minute)
	require.Equal(t, "А002", o.next("2"))
	iss = o.issue("social")
	require.Zero(t, iss.Ahead)
	require.Equal(t, 6*time.Minute, iss.Wait, "nobody ahead: counter 1 frees first, 10 min after its call 4 min ago")
	iss = o.issue("social")
	require.Equal(t, 10*time.Minute, iss.Wait, "one ahead: counter 2 frees next")
	iss = o.issue("social")
	require.Equal(t, 16*time.Minute, iss.Wait, "two ahead: counter 1 again, a visit later")

	o.do("1", queue.Recall) // the same visit, called again: not a new one
	_, wait, err := o.e.Position(o.ctx, iss.Ticket.ID)
	require.NoError(t, err)
	require.Equal(t, 16*time.Minute, wait, "a recall does not start counter 1's visit again")
}

func TestStats(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 4 {
		o.issue("social")
	}
	o.clk.Add(10 * time.Minute)
	o.next("1") // А001 waited 10
	o.clk.Add(5 * time.Minute)
	o.next("1") // А001 served 5, А002 waited 15
	o.clk.Add(1 * time.Minute)
	o.do("1", queue.NoShowed)
	o.next("1") // А003 waited 16
	_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
	require.NoError(t, err)
	o.next("3") // А003 again, at counter 3, waited 0 in the pension queue
	o.clk.Add(20 * time.Minute)
	o.do("3", queue.Finish)
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, "2026-11-23", st.Day)
	require.Equal(t, 4, st.Total.Issued)
	require.Equal(t, 2, st.Total.Served)
	require.Equal(t, 1, st.Total.NoShows)
	require.Equal(t, 1, st.Total.Transfers)
	require.Equal(t, 4, st.Services["social"].Issued)
	require.Equal(t, 1, st.Services["pension"].Served)
	require.Equal(t, queue.Dist{N: 2, Mean: 12*time.Minute + 30*time.Second, P50: 5 * time.Minute, P90: 20 * time.Minute, Max: 20 * time.Minute}, st.Total.Service)
	// Each wait in a queue: А003 waited in social's, then in pension's.
	require.Equal(t, queue.Dist{N: 4, Mean: 10*time.Minute + 15*time.Second, P50: 10 * time.Minute, P90: 16 * time.Minute, Max: 16 * time.Minute}, st.Total.Wait)
	require.Equal(t, queue.Dist{N: 3, Mean: 13*time.Minute + 40*time.Second, P50: 15 * time.Minute, P90: 16 * time.Minute, Max: 16 * time.Minute}, st.Services["social"].Wait)
	require.Equal(t, queue.Dist{N: 1}, st.Services["pension"].Wait, "the 16 min in social's queue are not pension's")
	require.Equal(t, 1, st.Services["social"].Transfers, "sent on by social")
	// Every visit at counter 1: one served, one no-show, one sent on,
	// though the ticket it sent on ended at counter 3.
	require.Equal(t, 1, st.Counters["1"].Served)
	require.Equal(t, 1, st.Counters["1"].NoShows)
	require.Equal(t, 1, st.Counters["1"].Transfers)
	require.Equal(t, 3, st.Counters["1"].Wait.N)
	require.Equal(t, 1, st.Counters["3"].Served)
	require.Equal(t, queue.Dist{N: 1, Mean: 20 * time.Minute, P50: 20 * time.Minute, P90: 20 * time.Minute, Max: 20 * time.Minute}, st.Counters["3"].Service)

	// A counter whose only visit was sent on is in the figures too.
	o.issue("social")
	o.next("2")
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Transfer, To: "pension", ToCounter: "3"})
	require.NoError(t, err)
	st, err = o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, st.Counters["2"].Transfers)
	require.Equal(t, 2, st.Total.Transfers)
	// The stored figures of the finished day are the same; the day's end
	// sent home А005 (in social's queue since 10:36) and А004 (in
	// pension's since its transfer at 10:36), and their waits are told
	// apart.
	live := st
	// Today's live figures say the seq of the last event they count: a
	// dashboard applies the events after it.
	require.NotZero(t, live.Seq)
	b, err := json.Marshal(live)
	require.NoError(t, err)
	require.Contains(t, string(b), fmt.Sprintf(`{"day":"2026-11-23","seq":%d,"total":`, live.Seq))
	o.clk.Set(time.Date(2026, 11, 24, 0, 1, 0, 0, kyiv))
	o.issue("social")
	st, err = o.e.Stats(o.ctx, "2026-11-23")
	require.NoError(t, err)
	b, err = json.Marshal(st)
	require.NoError(t, err)
	require.NotContains(t, string(b), `"seq"`, "a finished day's have none")
	require.Equal(t, live.Counters, st.Counters)
	require.Equal(t, live.Total.Issued, st.Total.Issued)
	require.Equal(t, live.Total.Wait, st.Total.Wait, "an expired wait is not a wait that ended in a call")
	require.Equal(t, 2, st.Total.Expired)
	sent := 13*time.Hour + 24*time.Minute // 10:36 to the day's end, though noticed at 00:01
	require.Equal(t, queue.Dist{N: 1, Mean: sent, P50: sent, P90: sent, Max: sent}, st.Services["social"].WaitExpired)
	require.Equal(t, 2, st.Total.WaitExpired.N)
	require.Equal(t, 1, st.Services["pension"].WaitExpired.N)

	_, err = o.e.Stats(o.ctx, "2020-01-01")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
}

func TestOldDaysKeepOnlyStatistics(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 2")), monday10)
	for d := range 5 {
		o.clk.Set(monday10.AddDate(0, 0, d))
		o.issue("social")
		o.issue("social")
		o.next("1")
		o.published() // what the broker has not taken is kept, however old
	}
	for d := range 4 {
		day := monday10.AddDate(0, 0, d).Format("2006-01-02")
		st, err := o.e.Stats(o.ctx, day)
		require.NoError(t, err, day)
		require.Equal(t, 2, st.Total.Issued, day)
		require.Equal(t, 2, st.Total.Expired, day)
	}
	evs := o.events()
	require.Equal(t, queue.EvDayStarted, evs[0].Type)
	require.Equal(t, "2026-11-25", evs[0].Reason, "events older than the kept days are gone")
	// The tickets of a kept day are read from its events; an older day's
	// are gone with them.
	past, err := o.e.TicketsOf(o.ctx, "2026-11-26")
	require.NoError(t, err)
	require.Len(t, past, 2)
	require.Equal(t, "А001", past[0].Label)
	require.Equal(t, queue.Expired, past[0].State, "it was at the counter when the day ended")
	require.Equal(t, "А002", past[1].Label)
	_, err = o.e.TicketsOf(o.ctx, "2026-11-23")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	today, err := o.e.TicketsOf(o.ctx, "")
	require.NoError(t, err)
	require.Len(t, today, 2)
	require.Equal(t, "2026-11-27", today[0].Day)
	o.reopen()
	require.Equal(t, "А003", o.issue("social").Ticket.Label)
}

func TestWaitingTicketsExpireAtClosing(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00")
		return strings.Replace(s, `avg_service_min: 15}`, `avg_service_min: 15, hours: {mon: "09:00-13:00"}}`, 1)
	})
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 12, 0, 0, 0, kyiv))
	o.issue("pension")
	o.issue("pension")
	o.issue("social")
	require.Equal(t, "П001", o.next("3"))
	o.clk.Set(time.Date(2026, 11, 23, 13, 0, 0, 0, kyiv))
	queue.Tick(o.e) // the engine's timer
	require.Equal(t, queue.Expired, o.ticket("П002").State)
	require.Equal(t, queue.Called, o.ticket("П001").State, "the one at the counter is served")
	require.Equal(t, queue.Waiting, o.ticket("А001").State)
	o.do("3", queue.Finish)

	o.reopen()
	o.clk.Set(time.Date(2026, 11, 23, 17, 30, 0, 0, kyiv))
	queue.Tick(o.e)
	require.Equal(t, queue.Expired, o.ticket("А001").State)
	var reasons []string
	for _, ev := range o.events() {
		if ev.Type == queue.EvExpired {
			reasons = append(reasons, ev.Ticket.Label+": "+ev.Reason)
		}
	}
	require.Equal(t, []string{"П002: the service closed", "А001: the service closed"}, reasons)
}

// A service closed now says in its figures when it opens (a screen greys
// its button out "until Wednesday 11:00"): by its own hours, or the
// office's; nothing while it issues, nor when no counter serves it.
func TestFiguresSayWhenClosedServiceOpens(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string {
		s = strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00")
		s = strings.Replace(s, `avg_service_min: 15}`, `avg_service_min: 15, hours: {wed: "11:00-17:00"}}`, 1)
		return strings.Replace(s, `{id: "4", services: [employment], kind: cabinet}`, `{id: "4", services: [social], kind: cabinet}`, 1)
	})
	o := newOffice(t, cfg, monday10)
	figures := map[string]display.Queue{}
	for _, f := range o.e.TakeRetained().Queues {
		figures[f.Service] = f.Queue
	}
	pension := figures["pension"]
	require.Equal(t, "closed", pension.Refused)
	require.Equal(t, time.Date(2026, 11, 25, 11, 0, 0, 0, kyiv), pension.Opens, "Wednesday, by its own hours")
	require.Contains(t, string(pension.JSON()), `"opens":"2026-11-25T11:00:00+02:00"`)
	social := figures["social"]
	require.Empty(t, social.Refused)
	require.True(t, social.Opens.IsZero(), "open now")
	require.NotContains(t, string(social.JSON()), `"opens"`)
	employment := figures["employment"]
	require.Equal(t, "closed", employment.Refused, "no counter serves it")
	require.True(t, employment.Opens.IsZero(), "nobody can say when")

	o.clk.Set(time.Date(2026, 11, 23, 18, 0, 0, 0, kyiv))
	queue.Tick(o.e)
	require.Equal(t, time.Date(2026, 11, 24, 9, 0, 0, 0, kyiv), figuresOf(t, o.e, "social").Opens, "after closing: tomorrow's opening")
}

// A power cut over closing time: the citizens still waiting were sent home
// when the service closed, not when the controller came back the next
// morning, or days later; the one at a counter, when the day ended. The
// day's figures say how long they had waited. The events are stamped when
// the office recorded them.
func TestPowerCutOverClosing(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string { return strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00") })
	closed := time.Date(2026, 11, 23, 17, 0, 0, 0, kyiv)
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, kyiv)
	for _, back := range []time.Time{time.Date(2026, 11, 24, 8, 30, 0, 0, kyiv), time.Date(2026, 11, 27, 8, 30, 0, 0, kyiv)} {
		t.Run(back.Format("Mon"), func(t *testing.T) {
			o := newOffice(t, cfg, time.Date(2026, 11, 23, 16, 0, 0, 0, kyiv))
			o.issue("social")
			o.issue("social")
			o.issue("social")
			o.clk.Set(time.Date(2026, 11, 23, 16, 10, 0, 0, kyiv))
			require.Equal(t, "А001", o.next("1"))
			o.clk.Set(time.Date(2026, 11, 23, 16, 30, 0, 0, kyiv))
			queue.Tick(o.e)                             // the clock the engine records while idle
			cut := filepath.Join(t.TempDir(), "cut.db") // the file as the power cut left it
			b, err := os.ReadFile(o.path)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(cut, b, 0o600))

			o.clk.Set(back)
			e := queuetest.OpenPath(t, cut, o.cfg, o.opts())
			defer e.Close()
			// Before any press or tick, the day is done.
			evs, err := e.Replay(0, 100)
			require.NoError(t, err)
			ended := map[string]time.Time{}
			for _, ev := range evs {
				if ev.Type == queue.EvExpired {
					require.Equal(t, back, ev.At.In(kyiv), "recorded when the office came back")
					ended[ev.Ticket.Label+": "+ev.Reason] = ev.Ticket.Ended.In(kyiv)
				}
			}
			require.Equal(t, map[string]time.Time{
				"А001: the business day ended": midnight,
				"А002: the service closed":     closed,
				"А003: the service closed":     closed,
			}, ended)
			st, err := e.Stats(o.ctx, "2026-11-23")
			require.NoError(t, err)
			require.Equal(t, 2, st.Total.WaitExpired.N)
			require.Equal(t, time.Hour, st.Total.WaitExpired.Max)
		})
	}
}

// An air-raid alert during a visit: the specialist and the citizen were in
// the shelter, not at the counter. The visit counts without the pause, in
// the estimates (after a restart too) and in the day's service times: the
// citizens after the all-clear get the estimate of a day without the alert.
func TestVisitDuringAlertCountsWithoutIt(t *testing.T) {
	type result struct {
		resumed, wait, again time.Duration
		service              queue.Dist
	}
	day := func(alert bool) result {
		at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, kyiv) }
		o := newOffice(t, nil, at(9, 0))
		for range 6 {
			o.issue("employment")
		}
		for i := range 4 { // З001..З003 served in 20 min each; З004 called at 10:00
			o.clk.Set(at(9, 20*i))
			o.next("4")
		}
		end := at(10, 20)
		o.clk.Set(at(10, 5))
		if alert {
			require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
			o.clk.Set(at(12, 5))
			require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
			end = at(12, 20) // 20 min at the counter
		}
		// 5 min into З004's visit: 15 to go.
		r := result{resumed: o.issue("employment").Wait}
		o.clk.Set(end)
		o.do("4", queue.Finish)
		r.wait = o.issue("employment").Wait
		o.reopen()
		r.again = o.issue("employment").Wait
		st, err := o.e.Stats(o.ctx, "")
		require.NoError(t, err)
		r.service = st.Services["employment"].Service
		return r
	}
	calm, alert := day(false), day(true)
	require.Equal(t, calm, alert)
	require.Equal(t, queue.Dist{N: 4, Mean: 20 * time.Minute, P50: 20 * time.Minute, P90: 20 * time.Minute, Max: 20 * time.Minute}, alert.service)
}

// Another pause of the office (a meeting) lets a counter finish its
// ticket: the visit counts whole. One that becomes an alert counts
// without the alert's part, also after a restart.
func TestVisitDuringMeetingCountsWhole(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, kyiv) }
	o := newOffice(t, nil, at(9, 0))
	for range 3 {
		o.issue("employment")
	}
	o.next("4") // З001 from 9:00
	o.clk.Set(at(9, 10))
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада"))
	o.clk.Set(at(9, 40))
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	o.clk.Set(at(10, 0))
	o.next("4") // З001 served in 1 h; З002 from 10:00
	o.clk.Set(at(10, 10))
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада"))
	o.clk.Set(at(10, 20))
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	o.clk.Set(at(10, 50))
	require.NoError(t, o.e.SetPause(o.ctx, "", "відбій тривоги: технічна перерва")) // the alert is over
	o.reopen()
	o.clk.Set(at(11, 0))
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	o.clk.Set(at(11, 30))
	o.do("4", queue.Finish) // 1.5 h at the counter, 30 min of it in the shelter
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, queue.Dist{N: 2, Mean: time.Hour, P50: time.Hour, P90: time.Hour, Max: time.Hour}, st.Services["employment"].Service)
}

func TestRate(t *testing.T) {
	o := newOffice(t, nil, monday10)
	_, err := o.e.Rate(o.ctx, "1", 5)
	require.ErrorIs(t, err, queue.ErrNothingToRate)
	o.issue("social")
	o.issue("social")
	o.next("1")
	o.next("1") // А001 done, А002 called
	_, err = o.e.Rate(o.ctx, "1", 6)
	require.ErrorIs(t, err, queue.ErrBadScore)
	tk, err := o.e.Rate(o.ctx, "1", 4)
	require.NoError(t, err)
	require.Equal(t, "А001", tk.Label, "the next one called, not come yet: А001's citizen rates")
	// А002's citizen comes: who presses the pad now is they, before their
	// visit is over, not А001's.
	o.do("1", queue.Serve)
	_, err = o.e.Rate(o.ctx, "1", 1)
	require.ErrorIs(t, err, queue.ErrNothingToRate)
	require.ErrorContains(t, err, "the visit of А002 is under way at counter 1; that of А001 ended before it")
	o.do("1", queue.Finish)
	_, err = o.e.Rate(o.ctx, "1", 2)
	require.NoError(t, err)
	// The same score again (a stuck pad, a flood) records nothing more.
	n := len(o.events())
	for range 20 {
		tk, err = o.e.Rate(o.ctx, "1", 2)
		require.NoError(t, err)
		require.Equal(t, "А002", tk.Label)
	}
	require.Len(t, o.events(), n, "no event for a score it has")
	st, err := o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 2, st.Counters["1"].Ratings)
	require.InDelta(t, 3.0, st.Services["social"].RatingAvg, 1e-9)

	// The next citizen does not come, or is sent to another service: the
	// rating is not the previous citizen's to receive, before a restart
	// or after.
	o.issue("social")
	o.issue("social")
	o.next("1")
	o.do("1", queue.NoShowed)
	_, err = o.e.Rate(o.ctx, "1", 1)
	require.ErrorIs(t, err, queue.ErrNothingToRate)
	o.next("1")
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Transfer, To: "pension"})
	require.NoError(t, err)
	_, err = o.e.Rate(o.ctx, "1", 1)
	require.ErrorIs(t, err, queue.ErrNothingToRate)
	o.reopen()
	_, err = o.e.Rate(o.ctx, "1", 1)
	require.ErrorIs(t, err, queue.ErrNothingToRate)
	st, err = o.e.Stats(o.ctx, "")
	require.NoError(t, err)
	require.Equal(t, 2, st.Counters["1"].Ratings)
}

func TestConfigValidatesQueueFields(t *testing.T) {
	for _, c := range []struct{ from, to, field string }{
		{`{id: "1", services: [social]}`, `{id: "1", services: [social], weights: {social: 0}}`, "counters[0].weights.social"},
		{`avg_service_min: 20}`, `avg_service_min: 20, daily_cap: -1}`, "services[2].daily_cap"},
		{`avg_service_min: 20}`, `avg_service_min: 20, hours: {wed: "17:00-09:00"}}`, "services[2].hours.wed"},
		{"  hours:", "  holidays: [2026-13-01]\n  hours:", "office.holidays[0]"},
		{"  hours:", "  recall_limit: 99\n  hours:", "office.recall_limit"},
		{"  hours:", "  noshow_grace_min: -1\n  hours:", "office.noshow_grace_min"},
		{"next_guard_s: -1", "next_guard_s: -2", "office.next_guard_s"},
		{"next_guard_s: -1", "next_guard_s: 121", "office.next_guard_s"},
	} {
		doc := strings.Replace(queuetest.OfficeYAML, c.from, c.to, 1)
		require.NotEqual(t, queuetest.OfficeYAML, doc)
		_, err := parse(doc)
		requireField(t, err, c.field)
	}
}
