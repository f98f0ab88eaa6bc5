package queue

import (
	"container/heap"
	"slices"
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

// component is a set of services joined by the open counters that serve
// more than one of them, all calling now, with those counters, and what
// their projections share: each service's place (index), hours today,
// and each counter's services and weights.
type component struct {
	svcs  []*config.Service
	ctrs  []*counterState
	index map[string]int
	// opens and closes are when each service opens and closes today
	// (zero: no hours today).
	opens, closes []time.Time
	// queues and weights are each counter's services in the component,
	// by their index, and its weights of them.
	queues  [][]int
	weights [][]float64
}

// projScratch is the engine's buffers for the projections, reused (loop
// goroutine only).
type projScratch struct {
	queues   []projQueue
	counters []projCounter
	heap     projHeap
	calls    []time.Duration
}

// compsKey is what the components depend on: the configuration, the
// state, the pauses of counters and of the office (layoutGen), and the
// minute (hours are in minutes).
type compsKey struct {
	cfg    *config.Config
	st     *state
	gen    uint64
	minute int64
}

// components are the components of the services calling now, by
// service: built once for as long as their key holds, the figures of
// every service a press changed asking the same.
func (t *txn) components() map[string]*component {
	key := compsKey{t.e.cfg, t.st, t.e.layoutGen, t.now.Unix() / 60}
	if t.e.comps != nil && t.e.compsKey == key {
		return t.e.comps
	}
	calling := make(map[string]bool, len(t.e.cfg.Services))
	for i := range t.e.cfg.Services {
		calling[t.e.cfg.Services[i].ID] = t.calling(&t.e.cfg.Services[i])
	}
	comps := map[string]*component{}
	counted := map[string]bool{}
	for i := range t.e.cfg.Services {
		svc := &t.e.cfg.Services[i]
		if comps[svc.ID] != nil || !calling[svc.ID] {
			continue
		}
		c := &component{svcs: []*config.Service{svc}, index: map[string]int{svc.ID: 0}}
		comps[svc.ID] = c
		for j := 0; j < len(c.svcs); j++ {
			for _, id := range t.e.servedBy[c.svcs[j].ID] {
				cs := t.st.counters[id]
				if cs == nil || cs.paused || counted[id] {
					continue
				}
				counted[id] = true
				c.ctrs = append(c.ctrs, cs)
				for _, s := range cs.services {
					if sv := t.e.service(s); sv != nil && comps[s] == nil && calling[s] {
						comps[s], c.index[s] = c, len(c.svcs)
						c.svcs = append(c.svcs, sv)
					}
				}
			}
		}
		for _, cs := range c.ctrs {
			cfg := t.e.counter(cs.id)
			var qs []int
			var ws []float64
			for _, s := range cs.services {
				if qi, ok := c.index[s]; ok {
					qs, ws = append(qs, qi), append(ws, cfg.Weight(s))
				}
			}
			c.queues, c.weights = append(c.queues, qs), append(c.weights, ws)
		}
		for _, s := range c.svcs {
			opens, closes, ok := t.e.hours(s, t.now)
			if !ok {
				opens, closes = time.Time{}, time.Time{}
			}
			c.opens, c.closes = append(c.opens, opens), append(c.closes, closes)
		}
	}
	t.e.comps, t.e.compsKey = comps, key
	return comps
}

// project is the wait of tk, a ticket of the service at index target of
// component c, at index at of its queue, or, not yet in it (newcomer), to
// join it there, playing the call policy forward at the component's
// counters. ok is false when that cannot tell in projectSteps calls (its
// service's tickets not called faster than jumpers come): the wait is
// then at least the one returned.
func (t *txn) project(c *component, target int, tk *Ticket, at int, newcomer bool) (time.Duration, bool) {
	qs := slices.Grow(t.e.proj.queues[:0], len(c.svcs))[:len(c.svcs)]
	defer func() { t.e.proj.queues = qs[:0] }()
	index := c.index
	for i, s := range c.svcs {
		// The jumpers to come go after the priority and transferred
		// tickets there are (their order after every id): before the
		// ordinary ones alone, as in roughWait. The ticket's own service
		// is played on past its closing (late judges that).
		qs[i] = projQueue{q: t.st.waiting[s.ID], at: -1, per: t.perTicket(s), rate: t.jumpRateSince(s, c.opens[i])}
		if i != target && c.closes[i].After(t.now) {
			qs[i].closes = c.closes[i].Sub(t.now)
		}
	}
	if newcomer {
		qs[target].in, qs[target].at = tk, at
	}
	ctrs := c.ctrs
	sc := &t.e.proj
	sc.counters = slices.Grow(sc.counters[:0], len(ctrs))[:len(ctrs)]
	h := sc.heap[:0]
	for i, cs := range ctrs {
		pc := &sc.counters[i]
		*pc = projCounter{i: i, held: t.st.held[cs.id], queues: c.queues[i], weights: c.weights[i]}
		if cs.current != nil {
			pc.free = t.remaining(cs.current, t.perOf(cs.current.Service, qs, index))
		}
		h = append(h, pc)
	}
	heap.Init(&h)
	calls := sc.calls[:0] // of the ticket's service, when
	defer func() { sc.heap, sc.calls = h[:0], calls[:0] }()
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
			if bestQ == target {
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
	played, pq := h[0].free, &qs[target]
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
	ahead := t.st.queuedAhead(svc.ID, rank)
	w := t.waitOf(svc, tk, ahead-t.heldBack(svc, ahead), false)
	if t.waits == nil {
		t.waits = map[newcomerKey]time.Duration{}
	}
	t.waits[key] = w
	return w
}
