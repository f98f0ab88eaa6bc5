package queue

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// IssueRequest is a kiosk press.
type IssueRequest struct {
	Service  string
	Kiosk    string
	Priority bool
}

// Issued is a new ticket with what to print on it.
type Issued struct {
	Ticket Ticket
	// Ahead is how many people will be called before this ticket.
	Ahead int
	// Wait is the estimated wait.
	Wait time.Duration
}

// Issue allocates the next number of a service. It returns after the ticket
// is on disk.
func (e *Engine) Issue(ctx context.Context, r IssueRequest) (Issued, error) {
	var res Issued
	err := e.do(ctx, false, func(t *txn) error {
		svc := e.cfg.Service(r.Service)
		if svc == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, r.Service)
		}
		if !clockValid(t.now) {
			return ErrClockUnset
		}
		if !e.isOpen(t.now) {
			return ErrClosed
		}
		id, err := t.tx.Bucket(bucketTickets).NextSequence()
		if err != nil {
			t.fail(err)
			return err
		}
		n := t.st.numbers[svc.ID] + 1
		if n > maxNumber(svc.Width) {
			n = 1
		}
		tk := &Ticket{
			ID:       id,
			Label:    FormatLabel(svc.Prefix, n, svc.Width),
			Service:  svc.ID,
			Day:      t.st.day,
			Number:   n,
			Kiosk:    r.Kiosk,
			Priority: r.Priority,
			State:    Waiting,
			Issued:   t.now,
		}
		t.st.numbers[svc.ID] = n
		t.put(bucketNumbers, []byte(svc.ID), numberRecord{Day: t.st.day, N: n})
		ahead := t.st.enqueue(tk)
		t.st.tickets[tk.ID] = tk
		t.saveTicket(tk)
		t.event(EvIssued, tk, "", "")
		t.changed(svc.ID)
		res = Issued{Ticket: *tk, Ahead: ahead, Wait: t.wait(svc, ahead)}
		return nil
	})
	return res, err
}

func maxNumber(width int) int {
	m := 1
	for range width {
		m *= 10
	}
	return m - 1
}

// enqueue puts a ticket in its service's queue in call order and returns how
// many are before it.
func (st *state) enqueue(tk *Ticket) int {
	q := st.waiting[tk.Service]
	i := sort.Search(len(q), func(i int) bool { return before(tk, q[i]) })
	q = append(q, nil)
	copy(q[i+1:], q[i:])
	q[i] = tk
	st.waiting[tk.Service] = q
	return i
}

func (st *state) dequeue(tk *Ticket) {
	q := st.waiting[tk.Service]
	for i, x := range q {
		if x == tk {
			st.waiting[tk.Service] = append(q[:i:i], q[i+1:]...)
			return
		}
	}
}

// Void takes a ticket out of the queue for good: its print failed, or an
// administrator voided it. Only a waiting ticket can be voided.
func (e *Engine) Void(ctx context.Context, id uint64, reason string) error {
	return e.do(ctx, false, func(t *txn) error {
		tk := t.st.tickets[id]
		if tk == nil {
			return fmt.Errorf("%w %d", ErrUnknownTicket, id)
		}
		if err := tk.move(Voided); err != nil {
			return err
		}
		t.st.dequeue(tk)
		tk.Ended = t.now
		tk.Reason = reason
		t.saveTicket(tk)
		t.event(EvVoided, tk, "", reason)
		t.changed(tk.Service)
		return nil
	})
}

// Action is what a counter asks for.
type Action string

// Counter actions.
const (
	Next     Action = "next"
	Recall   Action = "recall"
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
}

// CounterResult is the counter after a command.
type CounterResult struct {
	// Ticket is the counter's current ticket after the command (nil: none).
	Ticket *Ticket
	// Ended is the ticket the command finished, if any.
	Ended  *Ticket
	Paused bool
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
			res.Ended, err = t.next(c)
		case Recall:
			err = t.recall(c)
		case NoShowed:
			res.Ended, err = t.end(c, NoShow, EvNoShow)
		case Finish:
			res.Ended, err = t.end(c, Done, EvDone)
		case Transfer:
			res.Ended, err = t.transfer(c, cmd.To)
		case Pause, Resume:
			err = t.pause(c, cmd.Action == Pause)
		default:
			return fmt.Errorf("%w %q", ErrUnknownAction, cmd.Action)
		}
		if err != nil {
			return err
		}
		if c.current != nil {
			cp := *c.current
			res.Ticket = &cp
		}
		res.Paused = c.paused
		return nil
	})
	return res, err
}

func (t *txn) next(c *counterState) (*Ticket, error) {
	if c.paused {
		return nil, ErrCounterPaused
	}
	var ended *Ticket
	if c.current != nil {
		var err error
		if ended, err = t.end(c, Done, EvDone); err != nil {
			return nil, err
		}
	}
	var pick *Ticket
	for _, s := range t.e.cfg.Counter(c.id).Services {
		if q := t.st.waiting[s]; len(q) > 0 && (pick == nil || before(q[0], pick)) {
			pick = q[0]
		}
	}
	if pick == nil {
		if ended == nil {
			t.board(c) // an idle counter pressed next: refresh its board
		}
		return ended, nil
	}
	if err := pick.move(Called); err != nil {
		return ended, err
	}
	t.st.dequeue(pick)
	pick.Counter = c.id
	pick.Called = t.now
	c.current = pick
	t.st.lastCalled[pick.Service] = pick.Label
	t.saveTicket(pick)
	seq := t.event(EvCalled, pick, c.id, "")
	t.board(c)
	t.call(c, false, seq)
	t.changed(pick.Service)
	return ended, nil
}

func (t *txn) recall(c *counterState) error {
	tk := c.current
	if tk == nil {
		return ErrNoTicket
	}
	if err := tk.move(Called); err != nil {
		return err
	}
	tk.Recalls++
	t.saveTicket(tk)
	seq := t.event(EvRecalled, tk, c.id, "")
	t.board(c)
	t.call(c, true, seq)
	return nil
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
	t.saveTicket(tk)
	t.event(ev, tk, c.id, "")
	t.board(c)
	cp := *tk
	return &cp, nil
}

func (t *txn) transfer(c *counterState, to string) (*Ticket, error) {
	tk := c.current
	if tk == nil {
		return nil, ErrNoTicket
	}
	if t.e.cfg.Service(to) == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownService, to)
	}
	if err := tk.move(Waiting); err != nil {
		return nil, err
	}
	tk.From, tk.Service = tk.Service, to
	tk.Counter = ""
	c.current = nil
	t.st.enqueue(tk)
	t.saveTicket(tk)
	t.event(EvTransferred, tk, c.id, "")
	t.board(c)
	t.changed(to)
	cp := *tk
	return &cp, nil
}

func (t *txn) pause(c *counterState, paused bool) error {
	if c.paused == paused {
		return nil
	}
	c.paused = paused
	t.saveCounter(c)
	ev := EvResumed
	if paused {
		ev = EvPaused
	}
	t.event(ev, nil, c.id, "")
	t.board(c)
	for _, s := range t.e.cfg.Counter(c.id).Services {
		t.changed(s)
	}
	return nil
}

// Republish queues the whole current state (every board, the hall, every
// queue's figures and the load) for publishing, as a retained snapshot for a
// broker that starts empty.
func (e *Engine) Republish(ctx context.Context) error {
	return e.do(ctx, false, func(t *txn) error {
		for _, c := range e.cfg.Counters {
			t.board(t.st.counters[c.ID])
		}
		t.out(Out{Hall: &Hall{Calls: t.st.hall.Calls()}})
		for _, s := range e.cfg.Services {
			t.changed(s.ID)
		}
		return nil
	})
}

// Tickets returns today's tickets in id order.
func (e *Engine) Tickets(ctx context.Context) ([]Ticket, error) {
	var out []Ticket
	err := e.do(ctx, true, func(t *txn) error {
		for _, tk := range t.st.tickets {
			out = append(out, *tk)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Day is the current business day.
func (e *Engine) Day(ctx context.Context) (string, error) {
	var day string
	err := e.do(ctx, true, func(t *txn) error { day = t.st.day; return nil })
	return day, err
}
