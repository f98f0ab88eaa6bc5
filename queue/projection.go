package queue

import (
	"container/heap"
	"time"

	"github.com/cherga/cherga/internal/config"
)

// A counter that serves several services gives each of them only the
// time the call policy gives it: counted as a whole counter for each (as
// turn counts the counters of one service), it made the waits of shared
// services far too short (an hour told, more than two waited, on a busy
// day), and office.refuse_late issued tickets that went home at closing.
// Where the counters of a service serve others too, the wait is found by
// playing the policy forward (project): from now, each open counter of
// the services joined by shared counters, as it frees up, calls what pick
// would call then, held tickets, rank, weighted wait and all, each visit
// as long as its service's are expected to be (perTicket), while priority
// and transferred tickets keep coming at today's rate (jumpRate), until
// the ticket's turn comes.
//
// A call is a step. After projectSteps of them the rest of the wait is
// the rest of the queue before the ticket at the pace its service's
// tickets were called so far: the estimate costs the same on a quiet
// morning and with thousands waiting.
const projectSteps = 128

// projQueue is a service's queue as a projection plays it.
type projQueue struct {
	q []*Ticket // in call order
	// in, joining q at index at (at < 0: none), is the ticket not yet
	// issued whose wait is projected (newcomer).
	in     *Ticket
	at     int
	next   int          // the tickets before next are called
	taken  map[int]bool // and those at these indexes after it
	called int          // how many of q, and in, were called
	per    time.Duration
	// closes is when the service closes, from now (0: not before the
	// ticket's own, which the projection plays on through): its tickets
	// go home then, and no more come.
	closes time.Duration
	// Tickets that jump the ordinary ones (priority, transferred) come
	// rate a minute; jumped of them were called.
	rate   float64
	jumped int
}

func (pq *projQueue) len() int {
	if pq.at >= 0 {
		return len(pq.q) + 1
	}
	return len(pq.q)
}

func (pq *projQueue) ticket(i int) *Ticket {
	switch {
	case pq.at < 0 || i < pq.at:
		return pq.q[i]
	case i == pq.at:
		return pq.in
	}
	return pq.q[i-1]
}

// due is the first ticket of the queue that may be called at offset at
// from now, and its index, and, when one is held back past at (a
// no-show's grace), at which offset the first of those may be (wake, 0
// with none).
func (pq *projQueue) due(now time.Time, at time.Duration) (tk *Ticket, i int, wake time.Duration) {
	if pq.closed(at) {
		return nil, -1, 0
	}
	n := pq.len()
	for pq.next < n && pq.taken[pq.next] {
		delete(pq.taken, pq.next)
		pq.next++
	}
	for i = pq.next; i < n; i++ {
		if pq.taken[i] {
			continue
		}
		c := pq.ticket(i)
		if c.NotBefore.IsZero() {
			return c, i, wake
		}
		if nb := c.NotBefore.Sub(now); nb > at {
			if wake == 0 || nb < wake {
				wake = nb
			}
			continue
		}
		return c, i, wake
	}
	return nil, -1, wake
}

func (pq *projQueue) closed(at time.Duration) bool { return pq.closes > 0 && at >= pq.closes }

// jumper reports whether a jumper has come by at, not yet called, and,
// when none has, at which offset the next will (wake, 0: none).
func (pq *projQueue) jumper(at time.Duration) (come bool, wake time.Duration) {
	if pq.rate <= 0 {
		return false, 0
	}
	next := pq.jumperAt(pq.jumped + 1)
	switch {
	case pq.closes > 0 && next >= pq.closes:
		return false, 0
	case next <= at:
		return true, 0
	}
	return false, next
}

// take calls the ticket at index i.
func (pq *projQueue) take(i int) {
	pq.called++
	if i == pq.next {
		pq.next++
		return
	}
	if pq.taken == nil {
		pq.taken = map[int]bool{}
	}
	pq.taken[i] = true
}

// before is how many tickets before index i are still to be called.
func (pq *projQueue) before(i int) int {
	n := i - pq.next
	for j := range pq.taken {
		if j < i {
			n--
		}
	}
	return max(n, 0)
}

// jumperAt is the offset from now at which the k-th jumper (from 1)
// comes.
func (pq *projQueue) jumperAt(k int) time.Duration {
	return time.Duration(float64(k) / pq.rate * float64(time.Minute))
}

// projCounter is a counter as a projection plays it.
type projCounter struct {
	i       int           // its place among the component's counters
	free    time.Duration // from now
	queues  []int         // its services' queues
	weights []float64     // their weights at the counter
	held    []*Ticket
	heldAt  int // held[:heldAt] are called
}

type projHeap []*projCounter

func (h projHeap) Len() int { return len(h) }

// Less: the counter that frees up first; of those that do together (idle
// now), one serving fewer services first, as likely as any other to call
// first and, when it is, leaving the others' queues to the shared ones.
func (h projHeap) Less(i, j int) bool {
	if h[i].free != h[j].free {
		return h[i].free < h[j].free
	}
	if len(h[i].queues) != len(h[j].queues) {
		return len(h[i].queues) < len(h[j].queues)
	}
	return h[i].i < h[j].i
}
func (h projHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *projHeap) Push(x any)   { *h = append(*h, x.(*projCounter)) }
func (h *projHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// shared is the component of svc: the services (svc first) and open
// counters joined by the counters that serve more than one of them, all
// calling now.
func (t *txn) shared(svc *config.Service) (svcs []*config.Service, ctrs []*counterState) {
	svcs = []*config.Service{svc}
	seen := map[string]bool{svc.ID: true}
	counted := map[string]bool{}
	for i := 0; i < len(svcs); i++ {
		for _, id := range t.e.servedBy[svcs[i].ID] {
			c := t.st.counters[id]
			if c == nil || c.paused || counted[id] {
				continue
			}
			counted[id] = true
			ctrs = append(ctrs, c)
			for _, s := range c.services {
				if sv := t.e.service(s); sv != nil && !seen[s] && t.calling(sv) {
					seen[s] = true
					svcs = append(svcs, sv)
				}
			}
		}
	}
	return svcs, ctrs
}

// project is the wait of tk, a ticket of svcs[0] at index at of its
// queue, or, not yet in it (newcomer), to join it there, playing the
// call policy forward at counters ctrs. ok is false when that cannot tell
// in projectSteps calls (its service's tickets not called faster than
// jumpers come): the wait is then at least the one returned.
func (t *txn) project(svcs []*config.Service, ctrs []*counterState, tk *Ticket, at int, newcomer bool) (time.Duration, bool) {
	qs := make([]projQueue, len(svcs))
	index := make(map[string]int, len(svcs))
	for i, s := range svcs {
		index[s.ID] = i
		// The jumpers to come go after the priority and transferred
		// tickets there are (their order after every id): before the
		// ordinary ones alone, as in roughWait.
		qs[i] = projQueue{q: t.st.waiting[s.ID], at: -1, per: t.perTicket(s), rate: t.jumpRate(s)}
		if _, closes, ok := t.e.hours(s, t.now); ok && i > 0 && closes.After(t.now) {
			qs[i].closes = closes.Sub(t.now)
		}
	}
	if newcomer {
		qs[0].in, qs[0].at = tk, at
	}
	h := make(projHeap, 0, len(ctrs))
	for i, c := range ctrs {
		pc := &projCounter{i: i, held: t.st.held[c.id]}
		cfg := t.e.counter(c.id)
		for _, s := range c.services {
			if qi, ok := index[s]; ok {
				pc.queues = append(pc.queues, qi)
				pc.weights = append(pc.weights, cfg.Weight(s))
			}
		}
		if c.current != nil {
			pc.free = t.remaining(c.current, t.perOf(c.current.Service, qs, index))
		}
		h = append(h, pc)
	}
	heap.Init(&h)
	var calls []time.Duration // of the ticket's service, when
	for range projectSteps {
		if h.Len() == 0 {
			return 0, false
		}
		pc := h[0]
		// A ticket held for the counter first.
		var heldWake time.Duration
		if call := t.projectHeld(pc, qs, index, &heldWake); call != nil {
			pc.free += t.perOf(call.Service, qs, index)
			heap.Fix(&h, 0)
			continue
		}
		best, bestQ, bestI, bestJumper := (*Ticket)(nil), -1, 0, false
		bestRank, bestScore, bestOrder := 3, 0.0, uint64(0)
		wake := heldWake
		soonest := func(w time.Duration) {
			if w > 0 && (wake == 0 || w < wake) {
				wake = w
			}
		}
		for k, qi := range pc.queues {
			pq := &qs[qi]
			head, hi, w := pq.due(t.now, pc.free)
			soonest(w)
			come, w := pq.jumper(pc.free)
			soonest(w)
			var cand *Ticket
			jumper := false
			rank, order := 3, uint64(0)
			switch {
			case head != nil && callRank(head) < 2:
				cand, rank, order = head, callRank(head), head.ID
			case come:
				// After the priority and transferred tickets waiting
				// now, by when it came.
				jumper, rank, order = true, 1, 1<<62+uint64(pq.jumperAt(pq.jumped+1))
			case head != nil:
				cand, rank, order = head, 2, head.ID
			}
			if rank == 3 || rank > bestRank {
				continue
			}
			score := 0.0
			if rank == 2 {
				score = max((t.now.Sub(cand.Issued)+pc.free).Seconds(), 0) * pc.weights[k]
			}
			switch {
			case rank < bestRank:
			case rank < 2 && order < bestOrder:
			case rank == 2 && (score > bestScore || score == bestScore && order < bestOrder):
			default:
				continue
			}
			best, bestQ, bestI, bestJumper = cand, qi, hi, jumper
			bestRank, bestScore, bestOrder = rank, score, order
		}
		switch {
		case bestQ < 0 && wake == 0:
			heap.Pop(&h) // nothing more it can call
		case bestQ < 0:
			pc.free = wake
			heap.Fix(&h, 0)
		case best == tk:
			return pc.free, true
		default:
			pq := &qs[bestQ]
			if bestJumper {
				pq.jumped++
			} else {
				pq.take(bestI)
			}
			if bestQ == 0 {
				calls = append(calls, pc.free)
			}
			pc.free += pq.per
			heap.Fix(&h, 0)
		}
	}
	if h.Len() == 0 {
		return 0, false
	}
	// The rest at the pace of the service's calls so far: the visits
	// they began, as far as done in the time played (a round of counters
	// idle at the start begins many, done much later), less the jumpers
	// to come that go before tk.
	played, pq := h[0].free, &qs[0]
	done := 0.0
	for _, c := range calls {
		done += min(float64(played-c)/float64(pq.per), 1)
	}
	if played <= 0 || pq.per <= 0 {
		return played, false
	}
	pace := done / played.Minutes()
	if callRank(tk) == 2 {
		pace -= pq.rate
	}
	if pace <= 0 {
		return played, false
	}
	rest := float64(pq.before(at)+1) / pace
	return played + time.Duration(rest*float64(time.Minute)), true
}

// projectHeld calls the first ticket held for the counter that may be
// called as it frees up, or says (wake) at which offset the first held
// back may. Those of a service closed by then went home.
func (t *txn) projectHeld(pc *projCounter, qs []projQueue, index map[string]int, wake *time.Duration) *Ticket {
	for i := pc.heldAt; i < len(pc.held); i++ {
		tk := pc.held[i]
		if qi, ok := index[tk.Service]; ok && qs[qi].closed(pc.free) {
			continue
		}
		nb := tk.NotBefore.Sub(t.now)
		if tk.NotBefore.IsZero() || nb <= pc.free {
			// Held queues are in call order; those before, held back,
			// stay for later.
			if i == pc.heldAt {
				pc.heldAt++
			} else {
				pc.held = append(pc.held[:i:i], pc.held[i+1:]...)
			}
			return tk
		}
		if *wake == 0 || nb < *wake {
			*wake = nb
		}
	}
	return nil
}

// perOf is the expected visit of a ticket of service: its queue's, or,
// for a service not in the projection (closed now, no longer configured),
// its own, or a minute.
func (t *txn) perOf(service string, qs []projQueue, index map[string]int) time.Duration {
	if i, ok := index[service]; ok {
		return qs[i].per
	}
	if svc := t.e.service(service); svc != nil {
		return t.perTicket(svc)
	}
	return time.Minute
}

// newcomerWait is the wait of a ticket of svc (nil: 0) and rank
// (callRank) issued now, behind the tickets of its rank or before.
func (t *txn) newcomerWait(svc *config.Service, rank int) time.Duration {
	if svc == nil {
		return 0
	}
	key := newcomerKey{svc.ID, rank, t.st.eventSeq}
	if w, ok := t.waits[key]; ok {
		return w
	}
	tk := &Ticket{ID: t.st.eventSeq + 1, Service: svc.ID, Issued: t.now, State: Waiting, Priority: rank == 0}
	if rank == 1 {
		tk.Transfers = 1
	}
	w := t.waitOf(svc, tk, t.st.queuedAhead(svc.ID, rank), false)
	if t.waits == nil {
		t.waits = map[newcomerKey]time.Duration{}
	}
	t.waits[key] = w
	return w
}
