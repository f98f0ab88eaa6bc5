package queue

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// IssueRequest is a kiosk press.
type IssueRequest struct {
	Service  string
	Kiosk    string
	Priority bool
	// Category is the kind of priority (one of office.priority_categories,
	// such as veteran); it implies Priority.
	Category string
	// Printing says the kiosk prints the ticket now: no counter's next
	// calls it until Printed says the print ended (or Void, that it
	// failed), printHold at most. A ticket whose print fails is voided
	// and never called: a call during its print would send a citizen
	// told it was cancelled to a counter.
	Printing bool
	// Appointment is the code of a visit booked ahead (Book), scanned at
	// the kiosk: the ticket is of its service (Service may be empty), a
	// priority one held until the slot starts, beyond the daily cap and
	// office.refuse_late; the booking is then arrived. A code that cannot
	// be checked in now is refused: ErrUnknownAppointment, or an
	// *AppointmentError.
	Appointment string
}

// printHold is how long at most a ticket waits for its print (Printed)
// before counters may call it: a kiosk that never said is no reason to
// keep a citizen from their turn.
const printHold = time.Minute

// Printed says the print of ticket id ended, whole or kept (the printer
// stopped with it and prints it later): counters may call it now.
func (e *Engine) Printed(ctx context.Context, id uint64) error {
	return e.do(ctx, true, func(t *txn) error {
		delete(t.st.printing, id)
		return nil
	})
}

// Issued is a new ticket with what to print on it.
type Issued struct {
	Ticket Ticket
	// Ahead is how many people will be called before this ticket.
	Ahead int
	// Wait is the estimated wait; Unknown when no counter is open for the
	// service.
	Wait time.Duration
	// Late says the ticket is expected to be served only after its service
	// closes (its call after Wait, plus one visit): with office.refuse_late
	// off, the ticket is issued all the same, and says so.
	Late bool
	// Closes is when the service closes today, with Late.
	Closes time.Time
	// Appointment is the booking checked in (IssueRequest.Appointment).
	Appointment *Appointment
}

// Issue allocates the next number of a service. It returns after the ticket
// is on disk. It refuses with ErrClockUnset, ErrClosed, ErrDailyCap or a
// *FullError, and then issues nothing.
func (e *Engine) Issue(ctx context.Context, r IssueRequest) (Issued, error) {
	var res Issued
	err := e.do(ctx, false, func(t *txn) error {
		svc := e.service(r.Service)
		var booked *Appointment
		if r.Appointment != "" {
			var err error
			if booked, svc, err = t.checkIn(r.Appointment); err != nil {
				return err
			}
		}
		if svc == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, r.Service)
		}
		if r.Category != "" && !contains(e.cfg.Office.PriorityCategories, r.Category) {
			return fmt.Errorf("%w %q", ErrUnknownCategory, r.Category)
		}
		priority := r.Priority || r.Category != "" || booked != nil
		if err := t.issuable(svc, priority, booked != nil); err != nil {
			return err
		}
		n, _ := t.nextNumber(svc) // issuable found one
		tk := &Ticket{
			// A ticket's id is the seq of its issued event: unique for
			// the life of the file (ids of files from before were
			// counted apart, and are never above the event seqs).
			ID:       t.st.eventSeq + 1,
			Label:    FormatLabel(svc.Prefix, n, svc.Width),
			Service:  svc.ID,
			Day:      t.st.day,
			Number:   n,
			Kiosk:    r.Kiosk,
			Priority: priority,
			Category: r.Category,
			State:    Waiting,
			Issued:   t.now,
		}
		if booked != nil {
			tk.Appointment = booked.ID
			if booked.Start.After(t.now) {
				tk.NotBefore = booked.Start // called at its time, not before
			}
		}
		key := svc.NumberingKey()
		t.st.numbers[key] = n
		t.st.use(key, n)
		t.st.issued[svc.ID]++
		if priority {
			t.st.jumps[svc.ID]++
		}
		queued := t.st.enqueue(tk)
		t.st.tickets[tk.ID] = tk
		if r.Printing {
			t.st.printing[tk.ID] = t.now.Add(printHold)
		}
		t.event(EvIssued, tk, "", "")
		t.changed(svc.ID)
		res = Issued{Ticket: *tk}
		res.Ahead, res.Wait = t.position(tk)
		if booked != nil {
			t.arrived(booked, tk)
			res.Appointment = booked
			return nil // booked: its time is before the closing
		}
		// Late: called only after closing. One called before it is
		// served, however long the visit (refuse_late asks more).
		res.Late, res.Closes, _ = t.late(svc, res.Wait, queued, false)
		return nil
	})
	return res, err
}

// nextNumber is the number the service issues next: the first after the
// last one that was not issued today, wrapping after the largest of its
// width. Once every number was issued, a number whose ticket is still
// waiting or at a counter is skipped, so that two citizens never hold the
// same live label; ok is false when all are.
func (t *txn) nextNumber(svc *config.Service) (n int, ok bool) {
	top := maxNumber(svc.Width)
	key := svc.NumberingKey()
	last := t.st.numbers[key]
	// A number not issued yet today, after the last one.
	if used := t.st.used[key]; len(used) < top {
		if n, ok := firstAfter(last, top, used); ok {
			return n, true
		}
	}
	// Every number was: the numbering wraps, skipping the numbers of
	// tickets that could still be called.
	live := map[int]bool{}
	for _, tk := range t.st.tickets {
		if tk.State.Terminal() {
			continue
		}
		for _, k := range t.e.numberings(tk) {
			if k == key {
				live[tk.Number] = true
			}
		}
	}
	return firstAfter(last, top, live)
}

// firstAfter is the first number after last, counting 1..top round, that
// is not taken.
func firstAfter(last, top int, taken map[int]bool) (int, bool) {
	n := last
	for range top {
		if n++; n > top {
			n = 1
		}
		if !taken[n] {
			return n, true
		}
	}
	return 0, false
}

// issuable says why a ticket of svc (a priority one if priority) cannot
// be issued now, or nil. A booked visit's (booked) is issued beyond the
// daily cap and office.refuse_late: the visit was promised.
func (t *txn) issuable(svc *config.Service, priority, booked bool) error {
	if !t.e.clockOK(t.now) {
		return ErrClockUnset
	}
	// An air-raid alert first: whoever presses, in hours or not, is sent
	// to the shelter. Another pause of the office is said in its hours;
	// outside them the office is closed (the kiosk says when it opens), a
	// pause left on overnight or not.
	paused, alert := t.officeAlert()
	if alert {
		return t.officePaused()
	}
	if !t.e.isOpen(svc, t.now) {
		if t.e.isOpen(nil, t.now) {
			return ErrServiceClosed
		}
		return ErrClosed
	}
	if paused {
		return t.officePaused()
	}
	if len(t.e.servedBy[svc.ID]) == 0 {
		return fmt.Errorf("%w: %s", ErrNoCounter, svc.ID)
	}
	if p := t.paused(svc.ID); p != nil {
		return p
	}
	if !booked && svc.DailyCap > 0 && t.st.issued[svc.ID] >= svc.DailyCap {
		return fmt.Errorf("%w (%s: %d)", ErrDailyCap, svc.ID, svc.DailyCap)
	}
	if _, ok := t.nextNumber(svc); !ok {
		return fmt.Errorf("%w (%s: every number is in use)", ErrDailyCap, svc.ID)
	}
	if !booked && t.e.cfg.Office.RefuseLate {
		// Served before closing: called, and one visit long. The
		// ticket's place is behind those of its rank (a priority one
		// goes before every ordinary ticket).
		rank := 2
		if priority {
			rank = 0
		}
		w := t.newcomerWait(svc, rank)
		if late, closes, least := t.late(svc, w, t.st.queuedAhead(svc.ID, rank), true); late {
			return &FullError{Service: svc.ID, Waiting: t.waitingCount(svc.ID), Wait: least, Visit: t.perTicket(svc), Closes: closes, Break: w == Unknown}
		}
	}
	return nil
}

// Refusal names why Issue refused, as a kiosk's answer does (the MQTT
// contract's reasons): closed, paused, clock, daily_cap, full; error for
// another error, "" for none.
func Refusal(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrClockUnset):
		return "clock"
	case errors.As(err, new(*PausedError)):
		return "paused"
	case errors.Is(err, ErrClosed): // ErrServiceClosed and ErrNoCounter too
		return "closed"
	case errors.Is(err, ErrDailyCap):
		return "daily_cap"
	case errors.Is(err, ErrFull):
		return "full"
	}
	return "error"
}

// late says whether a ticket of svc called after wait, with ahead before
// it in the service's queue, would be called (visit false), or served
// (visit: its call plus one visit), only after the service closes (when
// it does, with true). With no counter open (Unknown: all on a break) its
// wait is at least the one of all the service's counters open now, idle:
// late when even that is; judged is the wait it judged by.
func (t *txn) late(svc *config.Service, wait time.Duration, ahead int, visit bool) (late bool, closes time.Time, judged time.Duration) {
	_, closes, ok := t.e.hours(svc, t.now)
	if !ok {
		return false, time.Time{}, wait
	}
	if wait == Unknown {
		n := len(t.e.servedBy[svc.ID])
		if n == 0 || !t.calling(svc) {
			return false, time.Time{}, wait
		}
		wait = turn(make([]time.Duration, n), t.perTicket(svc), ahead+t.st.heldCount[svc.ID])
	}
	end := t.now.Add(wait)
	if visit {
		end = end.Add(t.perTicket(svc))
	}
	if end.After(closes) {
		return true, closes, wait
	}
	return false, time.Time{}, wait
}

// Issuable says whether Issue would issue an ordinary ticket of service
// now (nil) or why not, without issuing: the kiosk lights a button's lamp
// from it.
func (e *Engine) Issuable(ctx context.Context, service string) error {
	return e.IssuableAs(ctx, service, false)
}

// IssuableAs is Issuable for a priority ticket when priority is set: near
// closing, with office.refuse_late, a priority ticket is still issued
// after the ordinary ones stop (it goes before them all), and a priority
// button's lamp stays lit.
func (e *Engine) IssuableAs(ctx context.Context, service string, priority bool) error {
	return e.do(ctx, true, func(t *txn) error {
		svc := e.service(service)
		if svc == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		return t.issuable(svc, priority, false)
	})
}

func maxNumber(width int) int {
	m := 1
	for range width {
		m *= 10
	}
	return m - 1
}

// Void takes a ticket out of the queue for good: its print failed, or an
// administrator voided it. Only a waiting ticket can be voided.
func (e *Engine) Void(ctx context.Context, id uint64, reason string) error {
	return e.do(ctx, false, func(t *txn) error { return t.void(id, reason) })
}

func (t *txn) void(id uint64, reason string) error {
	tk := t.st.tickets[id]
	if tk == nil {
		return fmt.Errorf("%w %d", ErrUnknownTicket, id)
	}
	if !canMove(tk.State, Voided) {
		return &TransitionError{Label: tk.Label, From: tk.State, To: Voided, Rule: "only a waiting ticket can be voided (one called or served is ended at its counter: done or no-show)"}
	}
	t.st.dequeue(tk)
	delete(t.st.printing, id)
	t.st.issued[t.e.issuedUnder(tk)]-- // nobody will be served for it: not under the daily cap
	_ = tk.move(Voided)
	tk.Ended = t.now
	tk.Reason = reason
	tk.ForCounter = ""
	t.unarrive(tk) // a booked citizen whose ticket did not print scans again
	t.event(EvVoided, tk, "", reason)
	t.changed(tk.Service)
	return nil
}

// Action is what a counter asks for.
type Action string

// Counter actions.
const (
	Next     Action = "next"
	Recall   Action = "recall"
	Serve    Action = "serve"
	NoShowed Action = "noshow"
	Finish   Action = "done"
	Transfer Action = "transfer"
	Pause    Action = "pause"
	Resume   Action = "resume"
)

// Command is one counter request.
type Command struct {
	Action Action
	// To is the service of a transfer.
	To string
	// ToCounter optionally sends a transferred ticket to one counter
	// (which must serve To); it is called there first.
	ToCounter string
}

// CounterResult is the counter after a command, or after its refusal
// (as it was: a refused command changes nothing). After a failed commit
// (ErrStore) it is not what the store holds.
type CounterResult struct {
	// Ticket is the counter's current ticket after the command (nil: none).
	Ticket *Ticket `json:"ticket,omitempty"`
	// Ended is the ticket the command finished, if any, or sent back to
	// wait: a transfer, a no-show's return, or one called a moment before
	// a call of another took its place (put back, held for the counter
	// unless it no longer calls it).
	Ended  *Ticket `json:"ended,omitempty"`
	Paused bool    `json:"paused"`
	// OffHours: a next that called nobody because none of the counter's
	// services is open now; Opens is when the first of them opens (zero:
	// not within a week).
	OffHours bool      `json:"off_hours,omitempty"`
	Opens    time.Time `json:"opens,omitzero"`
	// Due: a next that called nobody while tickets wait that may not be
	// called yet (a no-show's grace, a booked visit's time): the first
	// of them, and when it may be.
	Due   string    `json:"due,omitempty"`
	DueAt time.Time `json:"due_at,omitzero"`
}

// Counter applies a counter's command. next finishes the current ticket and
// calls the next one (no error when nobody waits: the counter becomes idle).
func (e *Engine) Counter(ctx context.Context, counter string, cmd Command) (CounterResult, error) {
	var res CounterResult
	err := e.do(ctx, false, func(t *txn) error {
		c := t.st.counters[counter]
		if c == nil {
			return fmt.Errorf("%w %q", ErrUnknownCounter, counter)
		}
		var err error
		switch cmd.Action {
		case Next:
			res.Ended, err = t.next(c, nil)
		case Recall:
			err = t.recall(c)
		case Serve:
			err = t.serve(c)
		case NoShowed:
			res.Ended, err = t.noShow(c)
		case Finish:
			res.Ended, err = t.end(c, Done, EvDone)
		case Transfer:
			res.Ended, err = t.transfer(c, cmd.To, cmd.ToCounter)
		case Pause, Resume:
			err = t.pause(c, cmd.Action == Pause)
		default:
			err = fmt.Errorf("%w %q", ErrUnknownAction, cmd.Action)
		}
		res.fill(c) // refused too: the counter as the refusal left it
		if cmd.Action == Next && err == nil && c.current == nil && !t.openNow(c) {
			res.OffHours, res.Opens = true, t.opens(c)
		}
		if cmd.Action == Next && err == nil && c.current == nil && !res.OffHours {
			if tk := t.firstHeldBack(c); tk != nil {
				res.Due, res.DueAt = tk.Label, tk.NotBefore
			}
		}
		return err
	})
	return res, err
}

// openNow reports whether any of the counter's services is in its hours
// now: by the clock, not by what the boards were last told (inHours),
// which a tick brings up to date only after the opening.
func (t *txn) openNow(c *counterState) bool {
	for _, id := range c.services {
		if svc := t.e.cfg.Service(id); svc != nil && t.e.isOpen(svc, t.now) {
			return true
		}
	}
	return false
}

// opens is when the first of the counter's services opens after now
// (zero: none within a week).
func (t *txn) opens(c *counterState) time.Time {
	var first time.Time
	for _, id := range c.services {
		if at, ok := t.e.cfg.NextOpening(t.e.cfg.Service(id), t.now); ok && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

func (r *CounterResult) fill(c *counterState) {
	if c.current != nil {
		cp := *c.current
		r.Ticket = &cp
	}
	r.Paused = c.paused
}

// Reprinted records that ticket id of today was printed again on kiosk.
func (e *Engine) Reprinted(ctx context.Context, id uint64, kiosk string) error {
	return e.do(ctx, false, func(t *txn) error {
		tk := t.st.tickets[id]
		if tk == nil {
			return fmt.Errorf("%w %d", ErrUnknownTicket, id)
		}
		t.record(&Event{Type: EvReprinted, Ticket: tk, Kiosk: kiosk})
		return nil
	})
}

// Appointment records that a citizen scanned a booking's appointment
// code at kiosk (appointment.scanned, with its Kiosk and Code) for the
// integration that books the visits: the queue hands the code on, as the
// appointment flow itself is not the queue's.
func (e *Engine) Appointment(ctx context.Context, kiosk, code string) error {
	return e.do(ctx, false, func(t *txn) error {
		t.record(&Event{Type: EvAppointment, Kiosk: kiosk, Code: code})
		return nil
	})
}

// CallTicket calls one waiting ticket of today by its label (А023, as
// typed: see typed) to a counter, out of the policy's order: a
// specialist calls the citizen in front of them, or an administrator's
// ticket.call with end. The counter's current ticket, if any, is done.
func (e *Engine) CallTicket(ctx context.Context, counter, label string) (CounterResult, error) {
	return e.callTicket(ctx, counter, label, false)
}

// CallTicketFree is CallTicket to a counter without a ticket: one that has
// a ticket refuses it (CounterBusyError), as an administrator's ticket.call
// is, who cannot see whether the citizen in front of the specialist is
// done.
func (e *Engine) CallTicketFree(ctx context.Context, counter, label string) (CounterResult, error) {
	return e.callTicket(ctx, counter, label, true)
}

func (e *Engine) callTicket(ctx context.Context, counter, label string, free bool) (CounterResult, error) {
	var res CounterResult
	err := e.do(ctx, false, func(t *txn) error {
		c := t.st.counters[counter]
		if c == nil {
			return fmt.Errorf("%w %q", ErrUnknownCounter, counter)
		}
		defer res.fill(c) // refused too: the counter as the refusal left it
		tk := typed(label, maps.Values(t.st.tickets), t.e.printsPrefix)
		if tk == nil {
			return fmt.Errorf("%w %q", ErrUnknownTicket, label)
		}
		if tk.State != Waiting {
			te := &TransitionError{Label: tk.Label, From: tk.State, To: Called}
			if tk.Counter != "" && (tk.State == Called || tk.State == Serving) {
				te.Rule, te.Counter = "it is at counter "+tk.Counter, tk.Counter
				if tk.Counter == c.id {
					te.Rule = RuleOwnTicket
				}
			}
			return te
		}
		if !contains(c.services, tk.Service) && tk.ForCounter != c.id {
			// The citizen would come to a specialist who cannot help
			// them: a ticket changes service by a transfer.
			return t.notServed(c.id, tk.Service, tk.Label)
		}
		if free && c.current != nil {
			return &CounterBusyError{Counter: c.id, Label: c.current.Label, State: c.current.State}
		}
		var err error
		res.Ended, err = t.next(c, tk)
		return err
	})
	return res, err
}

// next finishes the counter's ticket and calls the one the policy picks,
// or want when set.
func (t *txn) next(c *counterState, want *Ticket) (*Ticket, error) {
	if c.paused {
		return nil, ErrCounterPaused
	}
	if err := t.officePaused(); err != nil {
		return nil, err
	}
	if err := t.lostCall(c); err != nil {
		return nil, err
	}
	if want == nil {
		if err := t.justCalled(c, Next); err != nil {
			return nil, err
		}
	}
	var ended *Ticket
	switch {
	case want != nil && t.justCalled(c, Next) != nil:
		// Called by mistake a moment ago (the citizen in front of the
		// specialist holds another number): the one called goes back,
		// first for this counter, not done.
		ended = t.putBack(c, want)
	case c.current != nil:
		var err error
		if ended, err = t.end(c, Done, EvDone); err != nil {
			return nil, err
		}
	}
	pick := want
	if pick == nil {
		pick = t.pick(c)
	}
	if pick == nil {
		if ended == nil {
			t.boardChanged(c) // an idle counter pressed next: refresh its board
		}
		return ended, nil
	}
	t.st.dequeue(pick)
	_ = pick.move(Called)
	c.before = holdOf(pick)
	pick.ForCounter = ""
	pick.NotBefore = time.Time{}
	pick.Counter = c.id
	pick.Called = t.now
	c.current = pick
	t.st.lastCalled[pick.Service] = pick.Label
	t.event(EvCalled, pick, c.id, "")
	t.call(c)
	t.changed(pick.Service)
	return ended, nil
}

// putBack sends the counter's ticket, called a moment ago, back to wait:
// held for this counter, whose next calls it first, or as it was held
// before the call, and called afresh (its recalls count anew). instead is
// the ticket called in its place. It returns the ticket as it waits now:
// its citizen heard it called, and the specialist is told.
func (t *txn) putBack(c *counterState, instead *Ticket) *Ticket {
	tk := c.current
	_ = tk.move(Waiting) // called: justCalled says so
	tk.Recalls = 0
	moved := t.adopt(tk)
	tk.ForCounter = t.holdFor(c, tk)
	tk.NotBefore = time.Time{}
	if h := c.before; h.ticket == tk.ID && (h.forCounter != "" || !h.notBefore.IsZero()) {
		// Held before the call (transferred to a counter, or back after a
		// no-show with its grace): held so again, as if never called,
		// while its counter still serves it.
		tk.ForCounter, tk.NotBefore = "", h.notBefore
		if to := t.st.counters[h.forCounter]; to != nil {
			tk.ForCounter = t.holdFor(to, tk)
		}
	}
	tk.Counter = ""
	c.current = nil
	t.st.enqueue(tk)
	reason := "put back: " + instead.Label + " was called at counter " + c.id + " a moment after it"
	if moved != "" {
		reason += "; " + moved
	}
	t.event(EvMoved, tk, c.id, reason)
	t.changed(tk.Service)
	t.backToWait(tk)
	cp := *tk
	return &cp
}

// printsPrefix reports whether a service of the configuration prints
// prefix.
func (e *Engine) printsPrefix(prefix string) bool { return e.byPrefix[prefix] != nil }

// notServed refuses a ticket of service (label, when it is one ticket)
// at a counter that does not serve it, naming both.
func (t *txn) notServed(counter, service, label string) error {
	e := &NotServedError{Counter: counter, Service: service, Label: label, Name: service}
	if svc := t.e.service(service); svc != nil {
		e.Name, e.NameEn = svc.Name, svc.NameEn
	}
	return e
}

// holdFor is the counter a ticket leaving counter c to wait again is held
// for: c, whose next calls it first, unless c is closed (it calls nobody)
// or no longer serves the ticket's service (config.set gave it others):
// then any counter of the service may call it.
func (t *txn) holdFor(c *counterState, tk *Ticket) string {
	if c.paused || !contains(c.services, tk.Service) {
		return ""
	}
	return c.id
}

// justCalled refuses a next that comes within office.next_guard_s of the
// call or recall of the counter's ticket, or a noshow (act) within its
// NoShowGuard, while its citizen has not come (a serve says they have): a
// recalled citizen is on the way again. A clock that went back since the
// call does not hold them for the jump: only a call up to the guard ago
// counts.
func (t *txn) justCalled(c *counterState, act Action) error {
	tk, guard := c.current, t.e.cfg.Office.NextGuard()
	if act == NoShowed {
		guard = t.e.cfg.Office.NoShowGuard()
	}
	if tk == nil || tk.State != Called || guard <= 0 {
		return nil
	}
	since := t.now.Sub(c.calledLast())
	if since < 0 || since >= guard {
		return nil
	}
	return &JustCalledError{Label: tk.Label, Left: guard - since, Action: act}
}

// lostCall refuses to end the counter's ticket unsaid (ErrLostCall: by
// next, call, noshow; done says it was served) while it is called, its
// citizen not come, and an air-raid alert was in force since its latest
// call or recall.
func (t *txn) lostCall(c *counterState) error {
	tk := c.current
	if tk == nil || tk.State != Called {
		return nil
	}
	// An alert in force began after the call: no call is made in one.
	if _, alert := t.officeAlert(); alert || t.st.shelter.during(c.calledLast(), t.now) > 0 {
		return &LostCallError{Label: tk.Label}
	}
	return nil
}

// pick is the call policy: the ticket a counter calls next, or nil. In
// order: a ticket held for this counter (transferred to it, or back after a
// no-show and past its grace); a priority ticket; a transferred ticket
// (both oldest first); then the head ticket whose wait times its service's
// weight at this counter is the largest. The wait grows without bound, so
// a light service ages into a call and never starves. A queue's wait is its
// head's, or, should the clock have stepped back among its tickets, the
// longest by the clock (waitedSince): a head issued by a fast clock must
// not hold its whole queue back.
func (t *txn) pick(c *counterState) *Ticket {
	var best *Ticket
	for _, tk := range t.st.held[c.id] {
		if !tk.NotBefore.After(t.now) {
			best = tk // held queues are in call order
			break
		}
	}
	if best != nil {
		return best
	}
	cfg := t.e.counter(c.id)
	bestRank, bestScore := 3, 0.0
	for _, s := range c.services {
		tk := t.st.firstDue(t.st.waiting[s], t.now)
		if tk == nil {
			continue
		}
		r := callRank(tk)
		if r > bestRank {
			continue
		}
		score := 0.0
		if r == 2 {
			score = max(t.now.Sub(t.st.waitedSince(s, tk, t.now)).Seconds(), 0) * cfg.Weight(s)
		}
		switch {
		case r < bestRank:
		case r < 2 && before(tk, best):
		case r == 2 && (score > bestScore || score == bestScore && before(tk, best)):
		default:
			continue
		}
		best, bestRank, bestScore = tk, r, score
	}
	return best
}

// firstHeldBack is the ticket the counter calls first once its time comes,
// of those held back now (NotBefore: a no-show's grace, a booked visit),
// or nil.
func (t *txn) firstHeldBack(c *counterState) *Ticket {
	var first *Ticket
	later := func(q []*Ticket) {
		for _, tk := range q {
			if tk.NotBefore.After(t.now) && (first == nil || tk.NotBefore.Before(first.NotBefore)) {
				first = tk
			}
		}
	}
	later(t.st.held[c.id])
	for _, s := range c.services {
		later(t.st.waiting[s])
	}
	return first
}

// firstDue is the first ticket of a queue that may be called now: a
// no-show's grace (NotBefore) holds its ticket back, also once it left the
// counter it was held for (closed), and its print a new one (printing).
func (st *state) firstDue(q []*Ticket, now time.Time) *Ticket {
	for _, tk := range q {
		if tk.NotBefore.After(now) {
			continue
		}
		if until, ok := st.printing[tk.ID]; ok {
			if until.After(now) {
				continue
			}
			delete(st.printing, tk.ID)
		}
		return tk
	}
	return nil
}

func (t *txn) recall(c *counterState) error {
	tk := c.current
	if tk == nil {
		return ErrNoTicket
	}
	if !canMove(tk.State, Called) {
		return &TransitionError{Label: tk.Label, From: tk.State, To: Called}
	}
	if err := t.officePaused(); err != nil {
		return err
	}
	// An air-raid alert since the call sent the citizen to the shelter
	// and the announcer dropped what it had to say: each gives the
	// ticket its recalls again.
	if tk.Recalls >= t.e.cfg.Office.RecallLimit*(1+t.st.shelter.alertsSince(tk.Called)) {
		return fmt.Errorf("%w (%s: %d)", ErrRecallLimit, tk.Label, tk.Recalls)
	}
	// A second press while the call is still being said (a double press,
	// a box that bounced) is not a second recall: it would be said again
	// and take one of the ticket's recalls.
	if guard, since := min(t.e.cfg.Office.NextGuard(), recallGuard), t.now.Sub(c.calledAt); since >= 0 && since < guard {
		return &JustCalledError{Label: tk.Label, Left: guard - since, Action: Recall}
	}
	_ = tk.move(Called)
	tk.Recalls++
	t.event(EvRecalled, tk, c.id, "")
	t.call(c)
	return nil
}

// recallGuard is how long after a call or recall of the counter's ticket a
// recall is taken as the same press: about the time the call is said.
const recallGuard = 5 * time.Second

// serve marks that the called citizen came to the counter: the ticket is
// served from now on (the board stops calling), and no longer recalled.
// A second press (a double press) changes nothing and is no error.
func (t *txn) serve(c *counterState) error {
	tk := c.current
	if tk == nil {
		return ErrNoTicket
	}
	if tk.State == Serving {
		return nil
	}
	if err := tk.move(Serving); err != nil {
		return err
	}
	t.event(EvServing, tk, c.id, "")
	t.boardChanged(c)
	return nil
}

// noShow ends the counter's ticket as a no-show or, with a grace period
// configured, sends it back once to this counter's queue.
func (t *txn) noShow(c *counterState) (*Ticket, error) {
	tk := c.current
	grace := t.e.cfg.Office.NoShowGraceMin
	if tk != nil && tk.State == Serving {
		return nil, &TransitionError{Label: tk.Label, From: tk.State, To: NoShow, Rule: "a citizen at the counter is no no-show: end the visit with done"}
	}
	if tk != nil {
		// The citizen may be in the shelter, or told to wait: recall
		// is refused now, and so is ending their turn.
		if err := t.officePaused(); err != nil {
			return nil, err
		}
		if err := t.lostCall(c); err != nil {
			return nil, err
		}
		if err := t.justCalled(c, NoShowed); err != nil {
			return nil, err
		}
	}
	// Not sent back when nobody would call it after the grace: the
	// service closes first (the specialist would be told it comes back).
	back := t.now.Add(time.Duration(grace * float64(time.Minute)))
	if tk == nil || grace <= 0 || tk.Returned {
		return t.end(c, NoShow, EvNoShow)
	}
	if svc := t.serviceNow(tk); svc == "" || t.closedBy(svc, back) {
		return t.end(c, NoShow, EvNoShow)
	}
	if err := tk.move(Waiting); err != nil {
		return nil, err
	}
	tk.Returned = true
	tk.Recalls = 0 // called again later: its calls count afresh
	moved := t.adopt(tk)
	tk.ForCounter = t.holdFor(c, tk)
	tk.NotBefore = back
	tk.Counter = ""
	c.current = nil
	t.st.lastEnded[c.id] = visit{ticket: tk.ID}
	t.st.enqueue(tk)
	t.event(EvNoShow, tk, c.id, "back to the queue after the grace period")
	if moved != "" {
		t.event(EvMoved, tk, "", moved)
	}
	t.boardChanged(c)
	t.changed(tk.Service)
	cp := *tk
	return &cp, nil
}

// closedBy reports whether the service stops calling its tickets by at:
// its closing today comes first, or the business day's end.
func (t *txn) closedBy(service string, at time.Time) bool {
	for _, c := range t.st.closes {
		if c.service == service && !c.at.After(at) {
			return true
		}
	}
	return t.e.businessDay(at) > t.st.day
}

// end finishes the counter's current ticket in a terminal state.
func (t *txn) end(c *counterState, to State, ev string) (*Ticket, error) {
	tk := c.current
	if tk == nil {
		return nil, ErrNoTicket
	}
	if err := tk.move(to); err != nil {
		return nil, err
	}
	tk.Ended = t.now
	c.current = nil
	t.st.lastEnded[c.id] = visit{tk.ID, to == Done}
	if to == Done {
		t.st.served(tk)
		t.changed(tk.Service) // its wait estimate learned
	}
	t.event(ev, tk, c.id, "")
	t.boardChanged(c)
	cp := *tk
	return &cp, nil
}

func (t *txn) transfer(c *counterState, to, toCounter string) (*Ticket, error) {
	tk := c.current
	if tk == nil {
		return nil, ErrNoTicket
	}
	svc := t.e.service(to)
	if svc == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownService, to)
	}
	if to == t.serviceNow(tk) && (toCounter == "" || toCounter == c.id) {
		// Back to the queue it came from, it would be called again at
		// once, ahead of everyone: a slip of the finger.
		return nil, &TransitionError{Label: tk.Label, From: tk.State, To: Waiting, Rule: RuleSameService, Service: svc.Name, ServiceEn: svc.NameEn}
	}
	if (toCounter == "" || toCounter == c.id) && contains(c.services, to) {
		// Held for this counter, likewise (and its recalls counted
		// afresh, past office.recall_limit).
		return nil, &TransitionError{Label: tk.Label, From: tk.State, To: Waiting, Rule: RuleServedHere, Service: svc.Name, ServiceEn: svc.NameEn}
	}
	if len(t.e.servedBy[to]) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoCounter, to) // nobody would call it
	}
	if !t.e.isOpen(svc, t.now) {
		// It would expire at once: the citizen stays at this counter.
		opens, _ := t.e.cfg.NextOpening(svc, t.now)
		return nil, &ServiceClosedError{Service: to, Name: svc.Name, NameEn: svc.NameEn, Opens: opens, At: t.now}
	}
	if toCounter != "" {
		tc := t.st.counters[toCounter]
		if tc == nil {
			return nil, fmt.Errorf("%w %q", ErrUnknownCounter, toCounter)
		}
		if !contains(tc.services, to) {
			return nil, t.notServed(toCounter, to, "")
		}
		if tc.paused {
			// Held for it, the citizen would wait for a counter that
			// calls nobody: the specialist chooses another.
			return nil, &ToCounterPausedError{Counter: toCounter}
		}
	}
	if err := tk.move(Waiting); err != nil {
		return nil, err
	}
	if tk.Origin == "" {
		tk.Origin = tk.Service
	}
	tk.From, tk.Service = tk.Service, to
	tk.Transfers++
	tk.Recalls = 0 // another specialist calls it: the calls count afresh
	tk.Counter = ""
	tk.ForCounter = toCounter
	tk.NotBefore = time.Time{}
	c.current = nil
	t.st.lastEnded[c.id] = visit{ticket: tk.ID}
	t.st.enqueue(tk)
	// A ticket counts as one jump, in the service it is in now, as a
	// reload counts it (state.jumped).
	if tk.Transfers > 1 {
		t.st.jumps[tk.From]--
	}
	t.st.jumps[to]++
	t.event(EvTransferred, tk, c.id, toCounter)
	t.dropFromHall(tk.Label)
	t.boardChanged(c)
	t.changed(tk.From)
	t.changed(to)
	cp := *tk
	return &cp, nil
}

// pause pauses (closes) or resumes a counter. The tickets held for a
// counter that closes (transferred to it, back after a no-show) join their
// service's queue, each with a ticket.moved: a closed counter calls nobody,
// and they must not wait for it all day (a no-show still gets the rest of
// its grace). Its current ticket stays: the specialist may finish it, and a
// no-show of it goes to the service's queue as well.
func (t *txn) pause(c *counterState, paused bool) error {
	if c.paused == paused {
		return nil
	}
	c.paused = paused
	t.e.layoutGen++ // components: a closed counter calls nobody
	t.st.countOpen()
	t.saveCounter(c)
	ev := EvResumed
	if paused {
		ev = EvPaused
	}
	t.event(ev, nil, c.id, "")
	t.boardChanged(c)
	for _, s := range c.services {
		t.changed(s)
	}
	if paused {
		for _, tk := range slices.Clone(t.st.held[c.id]) {
			t.st.dequeue(tk)
			tk.ForCounter = "" // a no-show keeps its grace (NotBefore)
			t.st.enqueue(tk)
			// A no-show's row would send its citizen to the counter
			// closed; any counter of its service calls it now.
			t.dropFromHall(tk.Label)
			t.changed(tk.Service)
			t.event(EvMoved, tk, c.id, fmt.Sprintf("counter %s paused (closed or on a break): back to the service's queue", c.id))
		}
	}
	return nil
}

// Rate records a citizen's score (1..5) of the visit the counter ended last
// today: the rating terminal beside the counter is pressed after the visit.
// A second press replaces the first. A visit that did not end served (a
// no-show, a transfer) takes no rating: it is not the previous citizen's
// to receive (ErrNothingToRate); nor does one while the next citizen's
// visit is under way (serve pressed): the citizen at the pad is that one,
// pressing before their visit is over.
func (e *Engine) Rate(ctx context.Context, counter string, score int) (Ticket, error) {
	var res Ticket
	err := e.do(ctx, false, func(t *txn) error {
		if t.st.counters[counter] == nil {
			return fmt.Errorf("%w %q", ErrUnknownCounter, counter)
		}
		if score < 1 || score > 5 {
			return fmt.Errorf("%w, got %d", ErrBadScore, score)
		}
		v := t.st.lastEnded[counter]
		last := t.st.tickets[v.ticket]
		switch {
		case last == nil:
			return fmt.Errorf("%w: counter %s has ended none today", ErrNothingToRate, counter)
		case !v.served || last.State != Done:
			return fmt.Errorf("%w: the last visit at counter %s (%s) did not end served", ErrNothingToRate, counter, last.Label)
		case t.st.counters[counter].current != nil && t.st.counters[counter].current.State == Serving:
			cur := t.st.counters[counter].current
			return fmt.Errorf("%w: the visit of %s is under way at counter %s; that of %s ended before it", ErrNothingToRate, cur.Label, counter, last.Label)
		}
		res = *last
		if last.Rating == score {
			return nil // a pad that sends its score again (stuck, or pressed twice) changes nothing
		}
		last.Rating = score
		t.event(EvRated, last, counter, strconv.Itoa(score))
		res = *last
		return nil
	})
	return res, err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Republish queues the whole current state (every board, the hall, every
// queue's figures and the load) for publishing, as a retained snapshot for a
// broker that starts empty. It reads the committed state and writes
// nothing: the publisher calls it at every reconnection, and a write would
// be an fsync'd commit of the state file each time. (What a write
// transaction does besides, the day's rollover, the closings, the
// acknowledged events and the clock, the engine's tick does.)
func (e *Engine) Republish(ctx context.Context) error {
	return e.do(ctx, true, func(*txn) error { e.retainAll(); return nil })
}

// retainAll hands the whole retained state to the publisher: every board,
// the hall, every service's figures and the load (loop goroutine only).
func (e *Engine) retainAll() {
	t := newTxn(e, nil)
	t.allChanged()
	t.hall = true
	if e.retain(t) {
		e.signal()
	}
}

// Tickets returns today's tickets in id order.
func (e *Engine) Tickets(ctx context.Context) ([]Ticket, error) { return e.TicketsOf(ctx, "") }

// TicketByLabel returns today's ticket that a label as someone typed it
// names, as a counter's call finds it (a repeated label: the waiting one,
// else the latest); ErrUnknownTicket when there is none.
func (e *Engine) TicketByLabel(ctx context.Context, label string) (Ticket, error) {
	var out Ticket
	err := e.do(ctx, true, func(t *txn) error {
		tk := typed(label, maps.Values(t.st.tickets), t.e.printsPrefix)
		if tk == nil {
			return fmt.Errorf("%w %q", ErrUnknownTicket, label)
		}
		out = *tk
		return nil
	})
	return out, err
}

// TicketsOf returns the tickets of a business day ("2026-11-23"; "" is
// today) in id order, as the day left them: a past day's are read from its
// events, for as long as they are kept (office.stats_days). A day the
// store has no record of gives ErrUnknownDay.
func (e *Engine) TicketsOf(ctx context.Context, day string) ([]Ticket, error) {
	var out []Ticket
	err := e.do(ctx, true, func(t *txn) error {
		if day == "" || day == t.st.day {
			for _, tk := range t.st.tickets {
				out = append(out, *tk)
			}
			return nil
		}
		return e.view(func(tx *bolt.Tx) error {
			ts, ok, err := dayTickets(tx, day)
			if !ok && err == nil {
				return &unknownDay{day: day, what: "tickets", why: "it issued no ticket, or its tickets are older than office.stats_days"}
			}
			for _, tk := range ts {
				out = append(out, *tk)
			}
			return err
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Position is where a waiting ticket of today stands: how many will be
// called before it in its service and the estimated wait.
func (e *Engine) Position(ctx context.Context, id uint64) (ahead int, wait time.Duration, err error) {
	err = e.do(ctx, true, func(t *txn) error {
		tk := t.st.tickets[id]
		if tk == nil {
			return fmt.Errorf("%w %d", ErrUnknownTicket, id)
		}
		if tk.State == Waiting {
			ahead, wait = t.position(tk)
		}
		return nil
	})
	return ahead, wait, err
}

// position is where waiting tk stands. A ticket held for one counter
// (transferred to it, back after a no-show) waits for that counter alone,
// behind the ones held for it before it; any other waits for the first
// counter of its service free, after those before it in its service's
// queue, each counter calling the tickets held for it first (freeAt); all
// those held count as ahead. A no-show's grace holds a ticket back until
// it ends, however free the counters are.
func (t *txn) position(tk *Ticket) (ahead int, wait time.Duration) {
	svc := t.e.service(tk.Service)
	if tk.ForCounter != "" {
		ahead = max(slices.Index(t.st.held[tk.ForCounter], tk), 0)
		wait = t.heldWait(svc, t.st.counters[tk.ForCounter], ahead)
	} else {
		queued := slices.Index(t.st.waiting[tk.Service], tk)
		queued -= t.heldBack(svc, queued) // called after it
		ahead = t.st.heldCount[tk.Service] + queued
		wait = t.waitOf(svc, tk, queued, true)
	}
	if wait >= 0 && tk.NotBefore.After(t.now) {
		wait = max(wait, tk.NotBefore.Sub(t.now))
	}
	return ahead, wait
}

// Day is the current business day.
func (e *Engine) Day(ctx context.Context) (string, error) {
	var day string
	err := e.do(ctx, true, func(t *txn) error { day = t.st.day; return nil })
	return day, err
}
