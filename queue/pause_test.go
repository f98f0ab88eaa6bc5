package queue_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// An air-raid alert: the office is paused; nobody gets a ticket, nobody is
// called, the boards show closed, and the queue waits for the all-clear,
// across a restart and midnight.
func TestOfficePause(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.e.TakeRetained()

	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "pension"})
	var pe *queue.PausedError
	require.ErrorAs(t, err, &pe)
	require.ErrorIs(t, err, queue.ErrPaused)
	require.Empty(t, pe.Service)
	require.Equal(t, "повітряна тривога", pe.Reason)
	require.ErrorIs(t, o.e.Issuable(o.ctx, "social"), queue.ErrPaused)
	_, err = o.e.Counter(o.ctx, "2", queue.Command{Action: queue.Next})
	require.ErrorIs(t, err, queue.ErrPaused)
	_, err = o.e.Counter(o.ctx, "1", queue.Command{Action: queue.Recall})
	require.ErrorIs(t, err, queue.ErrPaused)
	_, err = o.e.CallTicket(o.ctx, "2", "А002")
	require.ErrorIs(t, err, queue.ErrPaused)
	// The citizen at counter 1 may still be finished.
	require.Equal(t, "А001", o.do("1", queue.Finish).Ended.Label)

	r := o.e.TakeRetained()
	require.Len(t, r.Boards, 4, "every board changes")
	for _, b := range r.Boards {
		require.Equal(t, display.Closed, b.State, b.Counter)
		require.Empty(t, b.Ticket, b.Counter)
	}
	require.True(t, r.Load.Paused)
	require.Equal(t, "повітряна тривога", r.Load.Reason)
	require.Zero(t, r.Load.OpenCounters, "no counter calls while the office is paused")
	for _, s := range r.Load.Services {
		require.Zero(t, s.OpenCounters, s.Service)
	}
	for _, q := range r.Queues {
		require.True(t, q.Queue.Paused, q.Service)
	}
	evs := o.events()
	paused := evs[len(evs)-2]
	require.Equal(t, queue.EvOfficePaused, paused.Type)
	require.Equal(t, "повітряна тривога", paused.Reason)

	// The same pause again changes nothing, nor one without a reason (the
	// kiosks still send people to the shelter); a restart and midnight
	// keep it.
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	require.NoError(t, o.e.SetPause(o.ctx, "", ""))
	require.Len(t, o.events(), len(evs))
	o.reopen()
	o.clk.Set(time.Date(2026, 11, 24, 0, 30, 0, 0, kyiv))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrPaused)
	ps, err := o.e.Pauses(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "повітряна тривога", ps[""].Reason)

	// Another reason keeps the time the alert began.
	since := ps[""].Since
	o.clk.Add(10 * time.Minute)
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога, друга хвиля"))
	ps, err = o.e.Pauses(o.ctx)
	require.NoError(t, err)
	require.Equal(t, "повітряна тривога, друга хвиля", ps[""].Reason)
	require.True(t, since.Equal(ps[""].Since), "%v, want %v", ps[""].Since, since)

	require.NoError(t, o.e.Resume(o.ctx, "", "відбій тривоги"))
	resumed := o.events()[len(o.events())-1]
	require.Equal(t, queue.EvOfficeResumed, resumed.Type)
	require.Equal(t, "відбій тривоги", resumed.Reason)
	require.Equal(t, "А001", o.issue("social").Ticket.Label, "a new day")
	require.Equal(t, "А001", o.next("2"))
	require.NoError(t, o.e.Resume(o.ctx, "", ""), "resuming what runs is no error")
}

// A paused service issues nothing, and the citizens already waiting for it
// are still called.
func TestServicePause(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("pension")
	o.e.TakeRetained()
	require.NoError(t, o.e.SetPause(o.ctx, "pension", "немає бланків"))
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "pension"})
	var pe *queue.PausedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "pension", pe.Service)
	o.issue("social")
	require.Equal(t, "П001", o.next("3"))

	r := o.e.TakeRetained()
	for _, q := range r.Queues {
		require.Equal(t, q.Service == "pension", q.Queue.Paused, q.Service)
	}
	require.False(t, r.Load.Paused)
	ev := o.events()[2]
	require.Equal(t, queue.EvServicePaused, ev.Type)
	require.Equal(t, "pension", ev.Service)

	require.ErrorIs(t, o.e.SetPause(o.ctx, "nosuch", ""), queue.ErrUnknownService)
	require.NoError(t, o.e.Resume(o.ctx, "pension", ""))
	require.Equal(t, "П002", o.issue("pension").Ticket.Label)
	require.False(t, errors.Is(o.e.Issuable(o.ctx, "pension"), queue.ErrPaused))
}

// During an air-raid alert a press outside the hours too is told of the
// alert (the kiosk sends people to the shelter), not that the office is
// closed; a service's own pause does not outrank its hours.
func TestOfficePauseOutsideHours(t *testing.T) {
	cfg := queuetest.Office(t, func(s string) string { return strings.ReplaceAll(s, "00:00-24:00", "09:00-17:00") })
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 16, 30, 0, 0, kyiv))
	require.NoError(t, o.e.SetPause(o.ctx, "pension", "нарада"))
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	o.clk.Set(time.Date(2026, 11, 23, 18, 0, 0, 0, kyiv))
	_, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrPaused)
	require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "pension"})
	require.ErrorIs(t, err, queue.ErrClosed)

	// Another pause of the office, left on overnight: outside the hours
	// the office is closed (the kiosk says when it opens); in them, the
	// pause.
	require.NoError(t, o.e.SetPause(o.ctx, "", "технічна перерва"))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrClosed)
	o.clk.Set(time.Date(2026, 11, 24, 9, 30, 0, 0, kyiv))
	_, err = o.e.Issue(o.ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrPaused)
}

// Whether an office pause is an air-raid alert, as an administrator said
// it, holds across a restart and a change of reason; unsaid, the reason
// tells.
func TestPauseAlertKept(t *testing.T) {
	o := newOffice(t, nil, monday10)
	// office is the office's pause in force.
	office := func() queue.Paused {
		t.Helper()
		ps, err := o.e.Pauses(o.ctx)
		require.NoError(t, err)
		return ps[""]
	}
	require.NoError(t, o.e.Pause(o.ctx, "", queue.Paused{Reason: "тривога", AlertSaid: true}))
	o.reopen()
	require.False(t, office().IsAlert(), "said: not an alert, whatever the reason")
	require.NoError(t, o.e.SetPause(o.ctx, "", ""))
	require.False(t, office().IsAlert(), "paused again without a reason: what was said holds")
	// Another reason is judged by its words, whatever was said before: a
	// meeting said to be no alert, then the air raid, sends people to the
	// shelter.
	require.NoError(t, o.e.Pause(o.ctx, "", queue.Paused{Reason: "нарада", AlertSaid: true}))
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	require.True(t, office().IsAlert())
	// But an alert, paused again for a meeting, stays one (the
	// announcer would tell the shelter the all-clear while the siren may
	// still be on); it ends by the all-clear's words, or said.
	for _, alert := range []queue.Paused{{Reason: "тривога", Alert: true, AlertSaid: true}, {Reason: "повітряна тривога"}} {
		require.NoError(t, o.e.Pause(o.ctx, "", alert))
		require.NoError(t, o.e.SetPause(o.ctx, "", "технічна перерва"))
		require.True(t, office().IsAlert(), "%+v, then a technical break", alert)
		require.Equal(t, "технічна перерва", office().Reason)
		o.reopen()
		require.True(t, office().IsAlert(), "after a restart")
		require.NoError(t, o.e.SetPause(o.ctx, "", "нарада до відбою"))
		require.True(t, office().IsAlert(), "%+v, then a meeting until the all-clear", alert)
		require.NoError(t, o.e.SetPause(o.ctx, "", "відбій тривоги, прибирання"))
		require.False(t, office().IsAlert(), "the all-clear")
		require.NoError(t, o.e.Resume(o.ctx, "", ""))
	}
	require.NoError(t, o.e.Pause(o.ctx, "", queue.Paused{Reason: "повітряна тривога"}))
	require.NoError(t, o.e.Pause(o.ctx, "", queue.Paused{Reason: "технічна перерва", AlertSaid: true}))
	require.False(t, office().IsAlert(), "said: no longer an alert")

	require.False(t, queue.Paused{}.IsAlert(), "an office pause with no reason")
	require.True(t, queue.Paused{Reason: "Повітряна ТРИВОГА"}.IsAlert())
	require.False(t, queue.Paused{Reason: "нарада"}.IsAlert())
	require.False(t, queue.Paused{Reason: "прибирання після відбою тривоги"}.IsAlert())
	require.False(t, queue.Paused{Reason: "відбій тривоги: прибирання"}.IsAlert(), "the alert's end names it")
	// Another emergency sends people out of the building, not down.
	require.False(t, queue.Paused{Reason: "пожежна тривога, евакуація на вулицю"}.IsAlert())
	require.False(t, queue.Paused{Reason: "fire alert"}.IsAlert())
	require.False(t, queue.Paused{Reason: "повідомлення про мінування"}.IsAlert())
	require.True(t, queue.Paused{Reason: "повітряна тривога, евакуація до укриття"}.IsAlert(), "the air raid's own words win")
	require.True(t, queue.Paused{Reason: "загроза ракетного удару"}.IsAlert())
	// The usual wordings of an official alert.
	for _, r := range []string{"загроза БпЛА", "Загроза ударних БПЛА", "обстріл", "загроза обстрілу", "UAV threat", "shelling"} {
		require.True(t, queue.Paused{Reason: r}.IsAlert(), r)
	}
	require.False(t, queue.Paused{Reason: "прийом у кабінеті 3"}.IsAlert())
	// A pause until the all-clear is the alert itself.
	for _, r := range []string{"Повітряна тривога до відбою", "Тривога! Усі в укриття до відбою", "air-raid alert until the all clear", "тривога, чекаємо відбою", "загроза КАБів", "Загроза КАБ", "вибухи в місті",
		"Прийом призупинено до відбою", "До відбою", "closed until the all clear", "КАБи!"} {
		require.True(t, queue.Paused{Reason: r}.IsAlert(), r)
	}
	// «каб.» is a room, «кабінет» written short.
	for _, r := range []string{"Нарада в каб. 5", "каб.12 зачинено", "прийом у кабінеті 3", "пожежна тривога, евакуація до відбою"} {
		require.False(t, queue.Paused{Reason: r}.IsAlert(), r)
	}
}

// The retained state tells an air-raid alert from another pause: every
// board, queue and the load carry alert, and the hall, which changes with
// the pause's start and end, says it in both languages while keeping its
// calls. A pause that turns into an alert (a new reason) says so too.
func TestOfficePauseRetainedAlert(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	o.e.TakeRetained()

	check := func(paused, alert bool) queue.Retained {
		t.Helper()
		r := o.e.TakeRetained()
		require.NotNil(t, r.Hall, "the hall is told of the pause's start and end")
		require.Equal(t, display.HallPause{Paused: paused, Alert: alert}, r.Hall.Pause)
		require.Len(t, r.Hall.Calls, 1, "the calls stay")
		require.Len(t, r.Boards, 4, "every board changes")
		for _, b := range r.Boards {
			require.Equal(t, alert, b.Alert, b.Counter)
			if paused {
				require.Equal(t, display.Closed, b.State, b.Counter)
			}
		}
		require.NotEmpty(t, r.Queues)
		for _, q := range r.Queues {
			require.Equal(t, alert, q.Queue.Alert, q.Service)
		}
		require.Equal(t, paused, r.Load.Paused)
		require.Equal(t, alert, r.Load.Alert)
		return r
	}
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада"))
	check(true, false)
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	check(true, true)
	require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))
	check(false, false)
	// An alert said without a reason: only the flag tells it.
	require.NoError(t, o.e.Pause(o.ctx, "", queue.Paused{Alert: true, AlertSaid: true}))
	r := check(true, true)
	b, err := json.Marshal(r.Hall)
	require.NoError(t, err)
	require.Contains(t, string(b), `"paused":true,"alert":true,"message":"Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter."`)

	// A service's pause is none of the hall's, nor an alert.
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	o.e.TakeRetained()
	require.NoError(t, o.e.SetPause(o.ctx, "pension", "тривога"))
	r = o.e.TakeRetained()
	require.Nil(t, r.Hall)
	for _, q := range r.Queues {
		require.False(t, q.Queue.Alert, q.Service)
	}
}

// The events an integration needs to follow the office, not only its
// tickets: office.paused says whether it is an air-raid alert, and a
// configuration version recorded is config.changed (read it again).
func TestEventsOfAlertAndConfig(t *testing.T) {
	o := newOffice(t, nil, monday10)
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	require.NoError(t, o.e.SetPause(o.ctx, "pension", "нарада"))
	v, err := o.e.SetConfigVersion(o.ctx, o.cfg, queue.Change{}, queue.ConfigVersion{Source: "admin", Author: "olena"})
	require.NoError(t, err)
	evs := o.events()
	var paused, service, changed *queue.Event
	for i, ev := range evs {
		switch ev.Type {
		case queue.EvOfficePaused:
			paused = &evs[i]
		case queue.EvServicePaused:
			service = &evs[i]
		case queue.EvConfigChanged:
			changed = &evs[i]
		}
	}
	require.NotNil(t, paused)
	require.True(t, paused.Alert)
	require.False(t, service.Alert, "a service's pause is no alert")
	require.NotNil(t, changed)
	require.Equal(t, v.Version, changed.Version)
	require.Equal(t, "admin: olena", changed.Reason)
	b, err := json.Marshal(changed)
	require.NoError(t, err)
	require.Contains(t, string(b), `"type":"config.changed","at":`)
	require.Contains(t, string(b), fmt.Sprintf(`"reason":"admin: olena","version":%d}`, v.Version))
}

// A citizen called just before an air-raid alert was in the shelter, and
// the announcer dropped their call: their turn is not ended unheard by
// next, call or noshow after the all-clear, until a recall calls them
// again or serve says they came; done says they were served (a box
// without a serve button ends a visit so).
func TestLostCall(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	o.issue("social")
	o.issue("social")
	require.Equal(t, "А001", o.next("1"))
	require.Equal(t, "А002", o.next("2"))
	o.clk.Add(time.Minute)
	require.NoError(t, o.e.SetPause(o.ctx, "", "повітряна тривога"))
	o.clk.Add(40 * time.Minute)
	require.NoError(t, o.e.Resume(o.ctx, "", "відбій"))

	var lc *queue.LostCallError
	for _, a := range []queue.Action{queue.Next, queue.NoShowed} {
		_, err := o.e.Counter(o.ctx, "1", queue.Command{Action: a})
		require.ErrorAs(t, err, &lc, a)
		require.Equal(t, "А001", lc.Label)
	}
	_, err := o.e.CallTicket(o.ctx, "1", "А003")
	require.ErrorIs(t, err, queue.ErrLostCall)
	require.Equal(t, queue.Called, o.ticket("А001").State, "nothing changed")

	// Recalled after the all-clear: their turn may end as before.
	o.do("1", queue.Recall)
	o.clk.Add(time.Minute)
	require.Equal(t, queue.NoShow, o.do("1", queue.NoShowed).Ended.State)
	// At the counter through the alert: done says it was served.
	require.Equal(t, "А002", o.do("2", queue.Finish).Ended.Label)

	// Another pause (a meeting) takes no call.
	require.Equal(t, "А003", o.next("1"))
	require.NoError(t, o.e.SetPause(o.ctx, "", "нарада"))
	o.clk.Add(10 * time.Minute)
	require.NoError(t, o.e.Resume(o.ctx, "", ""))
	require.Equal(t, "А003", o.do("1", queue.NoShowed).Ended.Label)
}
