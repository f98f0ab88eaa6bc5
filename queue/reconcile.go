package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cherga/cherga/internal/config"
)

// The configuration may change during the day (a restart with an edited
// file): a service or counter that today's tickets refer to may be gone.
// reconcile brings those tickets back within reach, each change with its
// event, so that every ticket can still be called or ends with a reason:
//
//   - a waiting ticket of a service no longer configured goes to the service
//     that now prints that service's prefix (the service was renamed), else
//     to the one that prints its label's (a ticket transferred to a
//     service taken away goes back to where it was issued); with none, it
//     expires, for nobody could call it;
//   - a ticket called to a counter no longer configured goes back to its
//     queue, in its place by arrival (or expires, as above, when its
//     service is gone too); a change made while the office runs does
//     that only with Change.Expire (atGoneCounters);
//   - a ticket held for a counter no longer configured, closed, or no
//     longer serving its service (transferred to it, or back after a
//     no-show), joins its service's queue.
//
// A ticket at a counter that still exists stays there whatever its service:
// the specialist ends it.

// stray reports whether today's tickets need reconcile (before the loop
// starts: it reads the state).
func (e *Engine) stray() bool {
	for _, tk := range e.st.tickets {
		if e.strayTicket(tk) {
			return true
		}
	}
	return e.strayBookings()
}

func (e *Engine) strayTicket(tk *Ticket) bool {
	switch tk.State {
	case Waiting:
		return e.service(tk.Service) == nil || tk.ForCounter != "" && (e.counter(tk.ForCounter) == nil || e.heldByClosed(tk) || e.heldElsewhere(tk))
	case Called, Serving:
		return e.counter(tk.Counter) == nil
	}
	return false
}

// heldElsewhere reports whether tk waits for a counter that no longer
// serves its service: it would call it all the same.
func (e *Engine) heldElsewhere(tk *Ticket) bool {
	c := e.counter(tk.ForCounter)
	return c != nil && !slices.Contains(c.Services, tk.Service)
}

// heldByClosed reports whether tk waits for a counter that is closed (a
// store written before a closing counter released its tickets).
func (e *Engine) heldByClosed(tk *Ticket) bool {
	c := e.st.counters[tk.ForCounter]
	return c != nil && c.paused
}

func (e *Engine) reconcile(ctx context.Context) error {
	return e.do(ctx, false, func(t *txn) error {
		t.rehomeStrays()
		t.rehomeBookings()
		return nil
	})
}

// rehomeStrays rehomes every stray ticket, in id order.
func (t *txn) rehomeStrays() {
	var ts []*Ticket
	for _, tk := range t.st.tickets {
		if t.e.strayTicket(tk) {
			ts = append(ts, tk)
		}
	}
	sortByID(ts)
	for _, tk := range ts {
		t.rehome(tk)
	}
}

// rehome moves one stray ticket (see reconcile).
func (t *txn) rehome(tk *Ticket) {
	e := t.e
	var why []string
	if tk.State == Waiting {
		t.st.dequeue(tk)
	}
	if (tk.State == Called || tk.State == Serving) && e.counter(tk.Counter) == nil {
		why = append(why, fmt.Sprintf("counter %s is no longer configured: back to the queue", tk.Counter))
		_ = tk.move(Waiting)
		tk.Counter = ""
	}
	switch {
	case tk.ForCounter != "" && e.counter(tk.ForCounter) == nil:
		why = append(why, fmt.Sprintf("counter %s is no longer configured: back to the service's queue", tk.ForCounter))
		tk.ForCounter = "" // a no-show keeps its grace (NotBefore)
	case tk.ForCounter != "" && e.heldByClosed(tk):
		why = append(why, fmt.Sprintf("counter %s paused (closed or on a break): back to the service's queue", tk.ForCounter))
		tk.ForCounter = ""
	case tk.ForCounter != "" && e.heldElsewhere(tk):
		why = append(why, fmt.Sprintf("counter %s no longer serves %s: back to the service's queue", tk.ForCounter, tk.Service))
		tk.ForCounter = ""
	}
	if tk.State == Waiting && e.service(tk.Service) == nil {
		// The service that prints its service's prefix now (renamed);
		// else, for a ticket transferred to it, the one that prints its
		// label's, where it was issued.
		svc, whose := t.successor(tk)
		if svc == nil {
			_ = tk.move(Expired)
			tk.Ended = t.now
			tk.ForCounter, tk.NotBefore = "", time.Time{}
			t.rehome1(tk, EvExpired, fmt.Sprintf("service %s is no longer configured", tk.Service))
			return
		}
		why = append(why, fmt.Sprintf("service %s is no longer configured: %s prints %s", tk.Service, svc.ID, whose))
		if t.movedFrom == nil {
			t.movedFrom = map[uint64]string{}
		}
		t.movedFrom[tk.ID] = tk.Service
		t.succeed(tk, svc.ID)
	}
	if tk.State == Waiting {
		t.st.enqueue(tk)
		t.changed(tk.Service)
	}
	t.rehome1(tk, EvMoved, strings.Join(why, "; "))
}

// successor is the service that takes the tickets of tk's service, no
// longer configured: the one that prints that service's prefix now (it
// was renamed), else, for a ticket transferred to it, the one that prints
// its label's, where it was issued; nil with none. whose says which.
func (t *txn) successor(tk *Ticket) (svc *config.Service, whose string) {
	if svc = t.e.byPrefix[t.formerPrefix(tk.Service)]; svc != nil {
		return svc, "its prefix"
	}
	if svc = t.e.byPrefix[labelPrefix(tk.Label)]; svc != nil {
		return svc, "its label's prefix"
	}
	return nil, ""
}

// serviceNow is the configured service tk belongs to: its own, or, for a
// ticket at a counter while its service was renamed or taken away (it
// stays there: the specialist ends it), its successor's; "" with none.
func (t *txn) serviceNow(tk *Ticket) string {
	if t.e.service(tk.Service) != nil {
		return tk.Service
	}
	if svc, _ := t.successor(tk); svc != nil {
		return svc.ID
	}
	return ""
}

// adopt gives a ticket going back to wait from a counter (a no-show's
// second chance, put back) the successor of its service when that is no
// longer configured (renamed while the ticket was at the counter): in the
// old service's queue nobody would call it. It says why for the
// ticket.moved event, "" when nothing changed (or no service succeeds:
// backToWait then ends it).
func (t *txn) adopt(tk *Ticket) (reason string) {
	if t.e.service(tk.Service) != nil {
		return ""
	}
	svc, whose := t.successor(tk)
	if svc == nil {
		return ""
	}
	reason = fmt.Sprintf("service %s is no longer configured: %s prints %s", tk.Service, svc.ID, whose)
	t.succeed(tk, svc.ID)
	return reason
}

// succeed moves tk from its service, no longer configured, to the one
// that succeeds it: its origin kept, and its jump, where a transferred
// ticket counts (state.jumped), with it: a transfer on from there takes
// one off there.
func (t *txn) succeed(tk *Ticket, to string) {
	if tk.Origin == "" {
		tk.Origin = tk.Service
	}
	if tk.Transfers > 0 {
		t.st.jumps[tk.Service]--
		t.st.jumps[to]++
	}
	tk.Service = to
}

// backToWait rehomes (expires) a ticket gone back to wait whose service
// is no longer configured and has no successor: nobody would call it.
func (t *txn) backToWait(tk *Ticket) {
	if tk.State == Waiting && t.e.service(tk.Service) == nil {
		t.rehome(tk)
	}
}

// formerPrefix is the prefix of a service no longer configured: as the
// configuration that ran before this change had it, else as the latest
// recorded version that had it (a restart on an edited file); "" when
// none did.
func (t *txn) formerPrefix(id string) string {
	if t.was != nil {
		if s := t.was.Service(id); s != nil {
			return s.Prefix
		}
	}
	b := t.tx.Bucket(bucketConfigs)
	if b == nil {
		return ""
	}
	c := b.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var cv struct {
			Config struct {
				Services []struct{ ID, Prefix string }
			}
		}
		if json.Unmarshal(v, &cv) != nil {
			continue
		}
		for _, s := range cv.Config.Services {
			if s.ID == id {
				return s.Prefix
			}
		}
	}
	return ""
}

// rehome1 records what rehome did to tk.
func (t *txn) rehome1(tk *Ticket, ev, reason string) {
	t.event(ev, tk, "", reason)
	t.rehomed = append(t.rehomed, Rehomed{Ticket: tk.Label, Event: ev, Reason: reason})
}
