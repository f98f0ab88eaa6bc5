package queue

import (
	"time"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
)

const dayLayout = "2006-01-02"

// businessDay is the calendar day of now in the office time zone.
func (e *Engine) businessDay(now time.Time) string {
	return now.In(e.loc).Format(dayLayout)
}

// clockValid reports whether the wall clock can be believed.
func clockValid(now time.Time) bool { return !now.Before(minValidClock) }

// isOpen reports whether now falls in the office hours of its weekday.
func (e *Engine) isOpen(now time.Time) bool {
	local := now.In(e.loc)
	day := config.Weekdays[(int(local.Weekday())+6)%7]
	from, to, err := config.ParseHours(e.cfg.Office.Hours[day])
	if err != nil || from == to {
		return false
	}
	m := local.Hour()*60 + local.Minute()
	return m >= from && m < to
}

// rollover starts a new business day when the clock has passed into one:
// tickets still in the queue expire, numbering restarts, boards go idle.
// The day never goes backwards: a clock that jumps back (a Pi without RTC
// before NTP) keeps the day it had.
func (t *txn) rollover() {
	if !clockValid(t.now) {
		return
	}
	day := t.e.businessDay(t.now)
	if day <= t.st.day {
		return
	}
	for _, tk := range t.st.tickets {
		if tk.State.Terminal() {
			continue
		}
		if err := tk.move(Expired); err != nil {
			t.fail(err)
			return
		}
		tk.Ended = t.now
		t.saveTicket(tk)
		t.event(EvExpired, tk, tk.Counter, "the business day ended")
	}
	t.st.day = day
	t.st.tickets = map[uint64]*Ticket{}
	t.st.waiting = map[string][]*Ticket{}
	t.st.numbers = map[string]int{}
	t.st.lastCalled = map[string]string{}
	t.st.hall = display.NewHall(&display.HallOpts{Size: t.e.cfg.Office.HallSize})
	t.out(Out{Hall: &Hall{Calls: t.st.hall.Calls()}})
	t.event(EvDayStarted, nil, "", day)
	for _, c := range t.e.cfg.Counters {
		cs := t.st.counters[c.ID]
		cs.current = nil
		t.board(cs)
	}
	for _, s := range t.e.cfg.Services {
		t.changed(s.ID)
	}
}
