package queue

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
)

// swapRequest is a change of configuration for the engine's goroutine.
type swapRequest struct {
	cfg *config.Config
	ch  Change
	// record, if set, runs in the transaction that brings the tickets in
	// line with cfg (its store failure fails the swap).
	record func(t *txn) error
	err    chan error
}

// SetConfig runs cfg from now on, without a restart: services, counters,
// hours, holidays and every other office setting. Today's tickets are
// brought in line with it as at a restart (reconcile: a ticket of a service
// or counter that is gone moves, with its event), and every board, queue
// figure and the load are published again. The time zone cannot change
// while the engine runs. cfg must be valid (config.Validate); on error the
// engine goes on with the configuration it had. Tickets that it leaves
// waiting for nothing expire, as at a restart (see Change.Expire).
func (e *Engine) SetConfig(ctx context.Context, cfg *config.Config) error {
	return e.setConfig(ctx, cfg, Change{Expire: true}, nil)
}

func (e *Engine) setConfig(ctx context.Context, cfg *config.Config, ch Change, record func(t *txn) error) error {
	sw := &swapRequest{cfg: cfg, ch: ch, record: record, err: make(chan error, 1)}
	err := submit(e, ctx, e.swaps, sw, sw.err)
	if err != nil && err == ctx.Err() {
		return stale(ctx)
	}
	return err
}

// swap applies a change of configuration on the engine's goroutine.
func (e *Engine) swap(sw *swapRequest) error {
	if sw.cfg.Location().String() != e.loc.String() {
		return fmt.Errorf("queue: the time zone (%s) changes with a restart, not while the office runs", sw.cfg.Office.Timezone)
	}
	if err := e.checkBase(sw.ch.Base); err != nil {
		return err
	}
	// What is due under the configuration that ran (a day's end, a
	// service's closing the timer has not reached yet) is done first:
	// it is not this change's doing.
	e.catchUp()
	old := e.cfg
	undo := func(err error) error {
		e.useConfig(old)
		if rerr := e.reload(); rerr != nil {
			e.log.Error("queue: reload after a failed change of configuration", "err", rerr)
		}
		// The figures not yet taken of a service the change would have
		// taken away were dropped with it: all of it goes out again.
		e.retainAll()
		return err
	}
	e.useConfig(sw.cfg)
	if err := e.reload(); err != nil {
		return undo(err)
	}
	if err := e.numbersFit(old); err != nil {
		return undo(err)
	}
	r := &request{err: make(chan error, 1), fn: func(t *txn) error { return t.reconfigured(old, sw) }}
	e.run([]*request{r})
	if err := <-r.err; err != nil {
		return undo(err)
	}
	return nil
}

// checkBase refuses a change made from a version (base, 0: any) that is
// no longer the latest recorded. Versions are recorded on the engine's
// goroutine only: none can come between this look and the change.
func (e *Engine) checkBase(base uint64) error {
	if base == 0 {
		return nil
	}
	var running uint64
	if err := e.view(func(tx *bolt.Tx) error { running = latestConfig(tx); return nil }); err != nil {
		return err
	}
	if running != base {
		return &ConfigChangedError{Running: running, Base: base}
	}
	return nil
}

// reconfigured brings today's tickets and the published state in line with
// the configuration the engine has just taken instead of old, as sw
// allows.
func (t *txn) reconfigured(old *config.Config, sw *swapRequest) error {
	t.was = old
	atGone := t.atGoneCounters()
	t.rehomeStrays()
	t.rehomeBookings()
	t.keepRenamedPauses(old)
	t.openAdded(old)
	t.e.keepRenamedLastCalled(t.st)
	t.allChanged()
	t.hall = true
	if !sw.ch.Expire {
		var sent []string
		for _, r := range t.rehomed {
			if r.Event == EvExpired {
				sent = append(sent, r.Ticket)
			}
		}
		soon := t.closingSooner(old)
		if len(sent) > 0 || len(soon) > 0 || len(atGone) > 0 {
			return t.refuse(&ExpiresError{Tickets: sent, Closing: soon, AtCounter: atGone})
		}
	}
	if sw.record != nil {
		return sw.record(t)
	}
	return nil
}

// keepRenamedPauses ends the pauses of the services old had and the
// configuration has no longer; one renamed (a new service prints its
// prefix) stays paused under its new id.
func (t *txn) keepRenamedPauses(old *config.Config) {
	e := t.e
	for _, s := range slices.Sorted(maps.Keys(t.st.pauses)) {
		if s == "" || e.service(s) != nil {
			continue
		}
		p := t.st.pauses[s]
		delete(t.st.pauses, s)
		t.pausesChanged(s, false, "the service is no longer configured")
		if was := old.Service(s); was != nil {
			if now := e.byPrefix[was.Prefix]; now != nil && old.Service(now.ID) == nil {
				if _, paused := t.st.pauses[now.ID]; !paused {
					t.st.pauses[now.ID] = p
					t.pausesChanged(now.ID, true, p.Reason)
				}
			}
		}
	}
}

// openAdded opens the counters the change adds: one taken away closed and
// added again (an edit undone, a rollback) starts open like any new
// counter, not closed by what its state record kept.
func (t *txn) openAdded(old *config.Config) {
	for _, c := range t.e.cfg.Counters {
		if cs := t.st.counters[c.ID]; cs != nil && cs.paused && old.Counter(c.ID) == nil {
			cs.paused = false
			t.saveCounter(cs)
		}
	}
	t.st.countOpen()
}

// keepRenamedLastCalled gives a service the label last called under a
// service no longer configured whose label's prefix it prints now
// (renamed): its figures' last_called, which would be "" until its next
// call, as before the day's first. Before the day's first call of its
// own only; the others' go.
func (e *Engine) keepRenamedLastCalled(st *state) {
	for _, id := range slices.Sorted(maps.Keys(st.lastCalled)) {
		if e.service(id) != nil {
			continue
		}
		label := st.lastCalled[id]
		delete(st.lastCalled, id)
		if s := e.byPrefix[labelPrefix(label)]; s != nil && st.lastCalled[s.ID] == "" {
			st.lastCalled[s.ID] = label
		}
	}
}

// numbersFit refuses a configuration that narrows a service's width below
// the numbers its tickets already reached today: the next ticket would wrap
// at once and today's labels repeat (А1 after А011). A restart on such a
// file wraps (nextNumber), and a later change that leaves that width alone
// is no narrowing; a live change can wait for the day's end.
func (e *Engine) numbersFit(old *config.Config) error {
	for i := range e.cfg.Services {
		svc := &e.cfg.Services[i]
		if was := old.Service(svc.ID); was != nil && was.Width <= svc.Width {
			continue
		}
		hi := 0
		for n := range e.st.used[svc.NumberingKey()] {
			hi = max(hi, n)
		}
		if hi > maxNumber(svc.Width) {
			return &WidthError{Index: i, Service: svc.ID, Width: svc.Width, Reached: hi}
		}
	}
	return nil
}

// useConfig makes cfg the engine's configuration and its lookups.
func (e *Engine) useConfig(cfg *config.Config) {
	svcs := make(map[string]*config.Service, len(cfg.Services))
	idx := make(map[string]int, len(cfg.Services))
	byPrefix := make(map[string]*config.Service, len(cfg.Services))
	for i := range cfg.Services {
		s := &cfg.Services[i]
		svcs[s.ID], idx[s.ID], byPrefix[s.Prefix] = s, i, s
	}
	ctrs := make(map[string]*config.Counter, len(cfg.Counters))
	servedBy := make(map[string][]string, len(cfg.Services))
	for i := range cfg.Counters {
		c := &cfg.Counters[i]
		ctrs[c.ID] = c
		for _, s := range c.Services {
			servedBy[s] = append(servedBy[s], c.ID)
		}
	}
	e.servedBy = servedBy // the loop's own: it runs there, or before it starts
	e.inHoursNow = openHours{}
	// TakeRetained reads the counters of the configuration under pubMu.
	e.pubMu.Lock()
	e.cfg, e.svcs, e.svcIdx, e.byPrefix, e.ctrs = cfg, svcs, idx, byPrefix, ctrs
	e.load = display.Load{} // its rows follow the services
	// Figures not yet taken of a service that is gone are not for anyone.
	for s := range e.pub.queues {
		if svcs[s] == nil {
			delete(e.pub.queues, s)
		}
	}
	e.pubMu.Unlock()
}

// atGoneCounters are the tickets called to or served at a counter the
// change takes away, which it would send back to their queue: a citizen
// on the way to the counter, or sitting at it, would be called again later
// (reconcile).
func (t *txn) atGoneCounters() []AtCounter {
	var ts []*Ticket
	for _, tk := range t.st.tickets {
		if (tk.State == Called || tk.State == Serving) && t.e.counter(tk.Counter) == nil {
			ts = append(ts, tk)
		}
	}
	sortByID(ts)
	var out []AtCounter
	for _, tk := range ts {
		out = append(out, AtCounter{Counter: tk.Counter, Ticket: tk.Label, State: tk.State})
	}
	return out
}

// soonWithin is how near a closing the change brings forward may come
// before all the tickets waiting for the service count as sent home: the
// estimate of a wait is rough, and an hour leaves the counters no room to
// call them all.
const soonWithin = time.Hour

// closingSooner names, for each service, the tickets waiting for it that
// the change gives less of today than they had, and that would go home at
// its closing before they are called: the closing brought forward (still
// to come: one already past expires its tickets at once), or the opening,
// still to come, put later. A ticket the change moved to the service (its
// own renamed or taken away) is held against the hours of the service it
// waited for. Late are all of them when the time left from the opening
// (or now) is within soonWithin, or when no counter can be counted on to
// tell; else those whose estimated call and visit (refuse_late's
// estimate; before the opening, from its counters idle then) end after it.
func (t *txn) closingSooner(old *config.Config) []Closing {
	e := t.e
	local := t.now.In(e.loc)
	day := local.Format(dayLayout)
	if e.cfg.Holiday(day) || old.Holiday(day) {
		return nil // closed all day: its closing is now, and counted so
	}
	wd := config.Weekday(local)
	minute := local.Hour()*60 + local.Minute()
	var out []Closing
	for i := range e.cfg.Services {
		svc := &e.cfg.Services[i]
		if t.waitingCount(svc.ID) == 0 {
			continue
		}
		from, to := e.cfg.HoursOf(svc, wd)
		opens, closes, ok := e.hours(svc, t.now)
		if from == to || !ok || !t.now.Before(closes) {
			continue
		}
		// shortened reports whether a ticket that waited for the service
		// former has less of today now, and that service's closing then.
		shortened := func(former string) (wasTo int, yes bool) {
			was := old.Service(former)
			if was == nil {
				return 0, false
			}
			ofrom, oto := old.HoursOf(was, wd)
			if ofrom == oto {
				return 0, false
			}
			return oto, to < oto || from > minute && from > ofrom
		}
		later := t.now.Before(opens)
		start := t.now
		if later {
			start = opens
		}
		all := closes.Sub(start) <= soonWithin
		per := t.perTicket(svc)
		// wait is the estimated wait of a ticket with ahead before it
		// (for one held for a counter, before it there).
		wait := func(tk *Ticket, ahead int) time.Duration {
			if !later {
				_, w := t.position(tk)
				return w
			}
			// Not open yet: its counters, idle at the opening, call.
			if _, paused := t.st.pauses[""]; paused {
				return Unknown
			}
			if tk.ForCounter != "" {
				return opens.Sub(t.now) + time.Duration(ahead)*per
			}
			n := t.st.open[svc.ID] // its counters not closed
			if n == 0 {
				return Unknown
			}
			return opens.Sub(t.now) + time.Duration(ahead/n)*per
		}
		var late []string
		wasTo := 0
		check := func(tk *Ticket, ahead int) {
			former := tk.Service
			if f, moved := t.movedFrom[tk.ID]; moved {
				former = f
			}
			oto, shorter := shortened(former)
			if !shorter {
				return
			}
			if w := wait(tk, ahead); all || w == Unknown || t.now.Add(w+per).After(closes) {
				late = append(late, tk.Label)
				wasTo = max(wasTo, oto)
			}
		}
		for _, c := range slices.Sorted(maps.Keys(t.st.held)) {
			for j, tk := range t.st.held[c] {
				if tk.Service == svc.ID {
					check(tk, j)
				}
			}
		}
		for j, tk := range t.st.waiting[svc.ID] {
			check(tk, t.st.heldCount[svc.ID]+j)
		}
		if len(late) > 0 {
			c := Closing{Service: svc.ID, At: closes, Was: fmt.Sprintf("%02d:%02d", wasTo/60, wasTo%60), Tickets: late}
			if later {
				c.Opens = opens
			}
			out = append(out, c)
		}
	}
	return out
}
