package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

const dayLayout = "2006-01-02"

// businessDay is the calendar day of now in the office time zone.
func (e *Engine) businessDay(now time.Time) string {
	return now.In(e.loc).Format(dayLayout)
}

// clockValid reports whether the wall clock can be believed at all.
func clockValid(now time.Time) bool { return !now.Before(minValidClock) }

// clockSlack is how far behind the clock it last ran at a restarted engine
// still believes the clock: NTP steps it by seconds.
const clockSlack = time.Minute

// clockEvery is how often a running engine records its clock when nothing
// else is written.
const clockEvery = 5 * time.Minute

// clockDue reports whether the clock is to be recorded even with nothing
// else to write: clockEvery since it last was, or set back past the slack.
func (e *Engine) clockDue(now time.Time) bool {
	return now.Sub(e.clockStored) >= clockEvery || e.clockStored.Sub(now) > clockSlack
}

// clockOK reports whether the wall clock can be believed now. A Raspberry
// Pi without a clock chip boots at 1970, or, with fake-hwclock (Raspberry
// Pi OS), at the time it saved last: up to an hour before a power cut that
// may have lasted all night. Until NTP answers (in a blackout the internet
// may be down too) its clock is a plausible time on an earlier day: today's
// tickets would be filed under that day and expire when the clock is set.
// So a restarted engine believes no clock behind the one it last ran at
// (distrust, from the store) until the clock is set (it moves ahead of
// the uptime: NTP, or by hand) to at least that time. Running on by
// itself, a restored clock reaches that time too, still wrong: that does
// not count. So for a clock that was unset at the start (1970) and is then
// restored behind that time (fake-hwclock or an RTC read after the
// controller started). Once believed, the clock is believed for the rest of
// the run: a later step back is NTP correcting a fast clock. Only the
// engine's goroutine calls it.
func (e *Engine) clockOK(now time.Time) bool {
	if !clockValid(now) {
		if !e.unset {
			e.unset = true
			e.log.Warn("queue: the clock is not set: no ticket is issued until it is (NTP, an RTC module, or set it by hand: date -s)", "now", now)
		}
		return false
	}
	if e.unset {
		e.unset = false
		if !e.believed && e.distrust.IsZero() {
			e.distrustBehind(now)
		}
		if e.distrust.IsZero() {
			e.log.Info("queue: the clock is set: tickets are issued again", "now", now)
		}
	}
	if e.distrust.IsZero() {
		e.believed = true
		return !e.holdJump(now)
	}
	// The wall clocks, not the monotonic readings that times from
	// time.Now carry: those never see a step, which is what is looked for.
	set := now.Round(0).Sub(e.distrustNow.Round(0))-(e.opts.Uptime()-e.distrustUp) > clockSlack
	if !set || now.Before(e.distrust.Add(-clockSlack)) {
		return false
	}
	e.log.Info("queue: the clock was set past the time this office last ran at: tickets are issued again", "now", now, "last_ran", e.distrust)
	e.distrust, e.believed = time.Time{}, true
	e.seenWall, e.seenUp = now.Round(0), e.opts.Uptime() // the step that set it is no step to hold
	return true
}

// A believed clock that steps far ahead while the controller runs may be
// wrong: a bad time server, an RTC read garbled, a date -s mistyped. Taken
// at once, a step across midnight starts the next business day, which
// never goes back: today's waiting tickets go home, and, once the clock is
// put right, the office runs on under a day to come, numbering on, its
// closings never reached, until the calendar catches up. A step past a
// service's closing sends its citizens home. So a step ahead of more than
// clockJumpSlack beyond what the uptime explains is held: no ticket is
// issued, no service closes and no day starts, until the clock has kept
// the time it stepped to for clockJumpConfirm, or comes back (NTP
// correcting it), or an administrator trusts it (clock.trust). Not in the
// first clockBootGrace of the run: that is NTP setting a Pi's clock,
// restored at boot from the evening before, to the morning.
const (
	clockJumpSlack   = 10 * time.Minute
	clockJumpConfirm = 5 * time.Minute
	clockBootGrace   = 15 * time.Minute
)

// clockJump is a step of the clock ahead held: the clock read and the
// uptime then.
type clockJump struct {
	wall time.Time
	up   time.Duration
}

// holdJump reports whether the believed clock now is a step ahead held
// (see clockJumpSlack), and notes the reading.
func (e *Engine) holdJump(now time.Time) bool {
	wall, up := now.Round(0), e.opts.Uptime()
	if j := e.jump; j != nil {
		switch moved := wall.Sub(j.wall) - (up - j.up); {
		case moved < -clockJumpSlack || moved > clockJumpSlack:
			// It stepped again: back to where it ran before the step, or
			// elsewhere, judged afresh from there.
			e.jump = nil
			e.log.Info("queue: the clock stepped again after a step ahead was held", "now", now, "held", j.wall)
		case up-j.up >= clockJumpConfirm:
			e.jump = nil
			e.log.Warn("queue: the clock kept the time it stepped ahead to: believed, tickets are issued again", "now", now)
			e.seenWall, e.seenUp = wall, up
			return false
		default:
			return true
		}
	}
	if !e.seenWall.IsZero() && up >= clockBootGrace {
		if ahead := wall.Sub(e.seenWall) - (up - e.seenUp); ahead > clockJumpSlack {
			e.jump = &clockJump{wall: wall, up: up}
			e.log.Warn("queue: the clock stepped ahead while the office runs: no ticket is issued, no service closes and no day starts until it has kept that time for 5 minutes (or chergactl clock.trust)",
				"now", now, "was", e.seenWall.Add(up-e.seenUp), "ahead", ahead.Round(time.Second))
			return true
		}
	}
	e.seenWall, e.seenUp = wall, up
	return false
}

// distrustBehind distrusts a clock (valid) behind the one the office last
// ran at: restored, not set (clockOK).
func (e *Engine) distrustBehind(now time.Time) {
	if !now.Before(e.clockStored.Add(-clockSlack)) {
		return
	}
	e.distrust, e.distrustNow, e.distrustUp = e.clockStored, now, e.opts.Uptime()
	e.log.Warn("queue: the clock is behind the time this office last ran at: no ticket is issued until it catches up (NTP, an RTC module, or set it by hand; chergactl clock.trust if it was wrong then)",
		"now", now, "last_ran", e.clockStored)
}

// storeClock records the transaction's clock once it is believed: ahead of
// the one recorded, or behind it (NTP corrected a fast clock: a restart
// must not take the fast one for the time it last ran at).
func (t *txn) storeClock() {
	if !clockValid(t.now) || !t.e.distrust.IsZero() || t.e.jump != nil || t.now.Equal(t.e.clockStored) {
		return
	}
	if !t.wrote() && !t.e.clockDue(t.now) {
		// Nothing else is written (refusals alone: run does not commit
		// then), and the clock is not due: its own commit would cost two
		// syncs for a time the next write records anyway.
		return
	}
	t.fail(t.tx.Bucket(bucketMeta).Put(keyClock, u64(uint64(t.now.UnixNano()))))
	t.e.clockStored = t.now.Round(0) // as stored: compared by its wall clock
}

// lastClock is the latest clock the engine recorded; in a file written
// before it recorded one, the time of the last event.
func lastClock(tx *bolt.Tx) time.Time {
	if v := tx.Bucket(bucketMeta).Get(keyClock); len(v) == 8 {
		return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
	}
	_, v := lastEvent(tx)
	var ev struct{ At time.Time }
	if v == nil || json.Unmarshal(v, &ev) != nil {
		return time.Time{}
	}
	return ev.At
}

// TrustClock makes the engine believe the clock as it is now, although it
// is behind the time the office last ran at: an administrator knows that
// the clock was wrongly ahead then (set by hand, a bad time server) and is
// right now. It returns the time the office last ran at.
func (e *Engine) TrustClock(ctx context.Context) (lastRan time.Time, err error) {
	err = e.do(ctx, false, func(t *txn) error {
		lastRan = e.clockStored
		if !clockValid(t.now) {
			return ErrClockUnset
		}
		if !e.distrust.IsZero() {
			e.log.Warn("queue: an administrator trusts the clock behind the time this office last ran at", "now", t.now, "last_ran", e.distrust)
		}
		if e.jump != nil {
			e.log.Warn("queue: an administrator trusts the clock stepped ahead", "now", t.now)
		}
		e.distrust, e.clockStored, e.jump = time.Time{}, time.Time{}, nil
		e.seenWall, e.seenUp = t.now.Round(0), e.opts.Uptime()
		t.dirtyLoad = true
		return nil
	})
	return lastRan, err
}

// hours returns the opening and closing instants of a service (nil: the
// office) on the local day of now; ok is false on a closed day. The instants
// come from the local wall time, so a daylight-saving change is handled.
func (e *Engine) hours(svc *config.Service, now time.Time) (open, close time.Time, ok bool) {
	local := now.In(e.loc)
	from, to, ok := e.cfg.DayHours(svc, local)
	if !ok {
		return open, close, false
	}
	y, m, d := local.Date()
	open = time.Date(y, m, d, from/60, from%60, 0, 0, e.loc)
	close = time.Date(y, m, d, to/60, to%60, 0, 0, e.loc)
	return open, close, true
}

// isOpen reports whether now falls in the hours of a service (nil: the
// office), by wall-clock minutes: "24:00" is the day's end, not the next
// day's start.
func (e *Engine) isOpen(svc *config.Service, now time.Time) bool {
	return e.cfg.OpenAt(svc, now.In(e.loc))
}

// closings are the closing instants of the services on a business day, in
// order. A service open until midnight closes with the day instead; one
// closed all day (a holiday, a weekday it does not work, no counter serves
// it) closes as the day starts, so that the tickets of a day made a
// holiday after they were issued go home with an event, not wait for
// nothing.
func (e *Engine) closings(day string) []closing {
	d, err := time.ParseInLocation(dayLayout, day, e.loc)
	if err != nil {
		return nil
	}
	var cs []closing
	for i := range e.cfg.Services {
		svc := &e.cfg.Services[i]
		_, to, open := e.cfg.DayHours(svc, d)
		reason := "the service closed"
		switch {
		case len(e.servedBy[svc.ID]) == 0:
			// Nobody could call its tickets (its last counter was
			// taken away).
			to, reason = 0, "no counter serves the service"
		case !open:
			to = 0
		case to >= 24*60:
			continue
		}
		cs = append(cs, closing{at: time.Date(d.Year(), d.Month(), d.Day(), to/60, to%60, 0, 0, e.loc), service: svc.ID, reason: reason})
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].at.Before(cs[j].at) })
	return cs
}

// closeDue reports whether a service that has closed still has tickets
// waiting.
func (st *state) closeDue(now time.Time) bool {
	for _, c := range st.closes {
		if now.Before(c.at) {
			return false
		}
		if len(st.waiting[c.service])+st.heldCount[c.service] > 0 {
			return true
		}
	}
	return false
}

// closeServices expires the tickets waiting for the services that have
// closed: nobody will call them today. It holds whatever brought them
// there (a transfer, a no-show's return, a clock set back before the
// closing and forward again, a restart). Tickets at a counter stay until
// the specialist ends them.
func (t *txn) closeServices() {
	if t.e.jump != nil {
		return // the clock may be wrong (holdJump)
	}
	for _, c := range t.st.closes {
		if t.now.Before(c.at) {
			return
		}
		svc := c.service
		if len(t.st.waiting[svc])+t.st.heldCount[svc] == 0 {
			continue
		}
		ts := append([]*Ticket(nil), t.st.waiting[svc]...)
		for _, q := range t.st.held {
			for _, tk := range q {
				if tk.Service == svc {
					ts = append(ts, tk)
				}
			}
		}
		sortByID(ts)
		for _, tk := range ts {
			t.st.dequeue(tk)
			_ = tk.move(Expired)
			tk.Ended = t.endedAt(c.at)
			tk.ForCounter = ""
			t.event(EvExpired, tk, "", c.reason)
			// A change of the service's hours may close it at once: its
			// answer lists these.
			t.rehomed = append(t.rehomed, Rehomed{Ticket: tk.Label, Event: EvExpired, Reason: c.reason})
		}
		t.changed(svc)
	}
}

// endedAt is when a ticket that a closing due at due let go ended: then,
// if the engine did not run since (a power cut over closing time, a
// night, a clock that jumped), so that the day's figures say how long
// those sent home had waited; else when it last ran, a tick ago (hours
// changed to a closing already past: they waited until the change). The
// event that ends it is stamped now, when the office recorded it.
func (t *txn) endedAt(due time.Time) time.Time {
	at := due
	if t.e.seen.After(at) {
		at = t.e.seen // the engine ran after it
	}
	if t.now.Before(at) {
		return t.now
	}
	return at
}

// dayChange reports whether a write transaction now would start a new
// business day.
func (e *Engine) dayChange(now time.Time, cur string) bool {
	return e.clockOK(now) && e.businessDay(now) > cur
}

// rollover starts a new business day when the clock has passed into one:
// tickets still in the queue expire, the day's statistics are kept,
// numbering restarts, boards go idle. The day never goes backwards: a clock
// that jumps back (a Pi without RTC before NTP) keeps the day it had.
func (t *txn) rollover() {
	if !t.e.dayChange(t.now, t.st.day) {
		return
	}
	day := t.e.businessDay(t.now)
	dayEnd := time.Time{}
	if d, err := time.ParseInLocation(dayLayout, t.st.day, t.e.loc); err == nil {
		dayEnd = d.AddDate(0, 0, 1)
	}
	var ended []*Ticket
	for _, tk := range t.st.tickets {
		ended = append(ended, tk)
	}
	sortByID(ended)
	expired := 0
	for _, tk := range ended {
		if tk.State.Terminal() {
			continue
		}
		if err := tk.move(Expired); err != nil {
			t.fail(err)
			return
		}
		tk.Ended = t.endedAt(dayEnd)
		tk.ForCounter = ""
		t.event(EvExpired, tk, tk.Counter, "the business day ended")
		expired++
	}
	if t.st.day != "" {
		was := t.st.day
		t.logAfter(func() {
			// A day that ends by a clock step shows here: the log's own
			// times are the clock's.
			t.e.log.Info("queue: a new business day; numbering starts again", "day", day, "was", was, "expired", expired)
		})
	}
	// A day that issued no ticket and refused no press leaves no
	// figures: prune drops it.
	if t.st.day != "" && (len(t.st.tickets) > 0 || t.refusedToday()) {
		t.keepStats(t.st.day)
	}
	old := t.st
	t.st = t.e.newState(day)
	t.e.st = t.st
	t.st.eventSeq = old.eventSeq
	for id, c := range old.counters {
		t.st.counters[id].paused = c.paused
	}
	t.st.pauses = old.pauses
	if p, ok := old.pauses[""]; ok && p.IsAlert() {
		t.st.shelter.pause(p.Since)
	}
	t.st.countOpen()
	t.hall = true
	_, alert := t.officeAlert()
	seq := t.record(&Event{Type: EvDayStarted, Reason: day, Alert: alert})
	t.fail(t.tx.Bucket(bucketDays).Put([]byte(day), u64(seq)))
	t.prune()
	t.metaDirty = true
	t.allChanged()
}

// prune drops the events, and so the tickets, of the days before the last
// office.stats_days business days, and the record of every past day that
// issued no ticket and refused no press (one that refused presses keeps
// its figures, of the citizens turned away, but is no business day:
// presses at a kiosk on a Saturday the office is closed must not push
// out Friday's tickets). A business day is one that issued a ticket: the
// engine's timer starts a day at every midnight, weekends and holidays
// too, and those must not push out the days they are kept for. It is
// read from the store, not from the hours (which the configuration may
// have changed since, or an air-raid alert may have kept shut), and
// counted in recorded days, so that a clock that once jumped ahead cannot
// wipe them. The statistics of the days with tickets stay; the bookings of
// the days pruned go with them (pruneAppointments). Events not yet
// acknowledged by the broker are kept whatever their age: while the broker
// is away nothing is lost.
func (t *txn) prune() {
	type rec struct {
		day    []byte
		start  uint64
		issued bool // a business day
	}
	var days []rec
	dc := t.tx.Bucket(bucketDays).Cursor()
	for k, v := dc.First(); k != nil; k, v = dc.Next() {
		days = append(days, rec{day: append([]byte(nil), k...), start: beU64(v)})
	}
	// Today (the last) is kept, tickets or not yet. A past day that
	// issued no ticket and refused no press has nothing to keep (a store
	// written before days were counted so may still record such days, and
	// empty figures of them).
	kept := days[:0]
	for i, d := range days {
		if i < len(days)-1 {
			issued, refused, err := hadPresses(t.tx, string(d.day), d.start)
			if err != nil {
				t.fail(err)
				return
			}
			if !issued && !refused {
				t.fail(t.tx.Bucket(bucketDays).Delete(d.day))
				t.fail(t.tx.Bucket(bucketStats).Delete(d.day))
				continue
			}
			d.issued = issued
		}
		kept = append(kept, d)
	}
	days = kept
	published := beU64(t.tx.Bucket(bucketMeta).Get(keyPublished))
	// The first kept day: today and the stats_days business days before
	// it, with the days between them that only refused presses.
	keep := len(days) - 1
	for n := 0; keep > 0 && n < t.e.cfg.Office.StatsDays; {
		if keep--; days[keep].issued {
			n++
		}
	}
	for keep > 0 {
		// A day with an event not yet published stays, with the days after.
		if end := days[keep].start; end > published+1 {
			keep--
			continue
		}
		break
	}
	if keep == 0 {
		return
	}
	first := days[keep].start // every event before it was published
	for _, d := range days[:keep] {
		t.keepWhatEventsTell(string(d.day))
		t.fail(t.tx.Bucket(bucketDays).Delete(d.day))
	}
	t.fail(deleteEventsBefore(t.tx, first))
	// The bookings of the days pruned go with their tickets, as the
	// figures' own events did: each day's rollover prunes them, whether
	// or not anyone books any more.
	t.pruneAppointments(string(days[keep].day))
}

// refusedToday reports whether the business day running refused a press
// (it issued no ticket: those are in t.st.tickets).
func (t *txn) refusedToday() bool {
	start := beU64(t.tx.Bucket(bucketDays).Get([]byte(t.st.day)))
	if start == 0 {
		return false
	}
	issued, refused, err := hadPresses(t.tx, t.st.day, start)
	t.fail(err)
	return issued || refused
}

// hadPresses reports whether the business day whose day.started event is
// start issued a ticket, and whether it refused a press (its figures count
// the citizens turned away): whether one of its events, up to the next
// day's start, is of a ticket of that day, or a press.refused. It reads
// the events up to the first ticket.
func hadPresses(tx *bolt.Tx, day string, start uint64) (issued, refused bool, err error) {
	err = eachEvent(tx, start, func(ev *eventRecord) bool {
		if ev.Seq > start && ev.Type == EvDayStarted {
			return false
		}
		issued = ev.Ticket != nil && ev.Ticket.Day == day
		refused = refused || ev.Type == EvRefused
		return !issued
	})
	return issued, refused, err
}

// openHours is which services are in their opening hours, as of one minute
// of the clock (hours are in minutes): outside them an idle counter's board
// shows closed and the office load counts no counter open.
type openHours struct {
	minute int64           // the clock's minute it holds, in Unix minutes
	open   map[string]bool // nil: not worked out since the configuration
}

// syncHours brings the open services up to the minute of t.now; a service
// that opened or closed since gets its figures, and its counters' boards,
// published again. Only the engine's goroutine calls it, first thing when
// a transaction hands its changes to the publisher.
func (t *txn) syncHours() {
	h := &t.e.inHoursNow
	m := t.now.Unix() / 60
	if h.open != nil && h.minute == m {
		return
	}
	first := h.open == nil
	if first {
		h.open = make(map[string]bool, len(t.e.cfg.Services))
	}
	h.minute = m
	for i := range t.e.cfg.Services {
		s := &t.e.cfg.Services[i]
		open := t.e.isOpen(s, t.now)
		if open == h.open[s.ID] && !first {
			continue
		}
		h.open[s.ID] = open
		t.changed(s.ID)
		for _, c := range t.e.servedBy[s.ID] {
			if cs := t.st.counters[c]; cs != nil {
				t.boardChanged(cs)
			}
		}
	}
}

// inHours reports whether any of a counter's services is in its hours (as
// of the last syncHours).
func (t *txn) inHours(c *counterState) bool {
	for _, s := range c.services {
		if t.e.inHoursNow.open[s] {
			return true
		}
	}
	return false
}
