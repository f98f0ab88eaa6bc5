package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
)

// txn is one batch of requests inside one bbolt write transaction. Request
// functions check everything before they change anything, so a refused
// request leaves no trace; a store failure (fatal) aborts the whole batch and
// the engine reloads its state from disk.
type txn struct {
	e     *Engine
	st    *state
	tx    *bolt.Tx
	now   time.Time
	fatal error
	// refused is a refusal that undoes the whole transaction (refuse):
	// the fatal error, but no failure of the store.
	refused error

	// buf holds the encoded events of the transaction (the engine's,
	// reused once the commit is done).
	buf []byte

	startSeq  uint64
	acked     uint64 // the acknowledged seq this transaction stored
	metaDirty bool
	// What changed for the publisher: the boards of these counters, the
	// hall, the figures of these services and the office load.
	boards      map[string]bool
	hall        bool
	dirtyQueues map[string]bool
	dirtyLoad   bool
	// rehomed are the tickets reconcile moved or ended in it, or a
	// service closing expired.
	rehomed []Rehomed
	// movedFrom is the service each ticket reconcile moved to another
	// waited for before, by ticket id (closingSooner).
	movedFrom map[uint64]string
	// logs are logged once it is committed: what it did, not what a
	// transaction that failed would have done.
	logs []func()
	// was is the configuration that ran before, in a transaction that
	// changes it (reconfigured).
	was *config.Config
	// waits are the waits of newcomers found (newcomerWait): a service's
	// figures and its kiosks' refuse_late ask the same, each a
	// projection. Good while no event changes the state.
	waits map[newcomerKey]time.Duration
}

type newcomerKey struct {
	service string
	rank    int
	seq     uint64
}

// logAfter logs, with f, once the transaction is committed.
func (t *txn) logAfter(f func()) { t.logs = append(t.logs, f) }

func newTxn(e *Engine, tx *bolt.Tx) *txn {
	return &txn{e: e, st: e.st, tx: tx, now: e.opts.Now(), buf: e.buf[:0], startSeq: e.st.eventSeq, boards: map[string]bool{}, dirtyQueues: map[string]bool{}}
}

// refuse undoes the whole transaction, and its request gets err: for a
// request that can only tell what it would do by doing it, run alone in
// its transaction (a change of configuration).
func (t *txn) refuse(err error) error {
	t.fail(err)
	if t.fatal == err {
		t.refused = err
	}
	return err
}

func (t *txn) fail(err error) {
	if t.fatal == nil && err != nil {
		t.fatal = err
	}
}

func (t *txn) put(bucket, key []byte, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		t.fail(err)
		return
	}
	t.fail(t.tx.Bucket(bucket).Put(key, b))
}

// appendOnly returns a bucket whose keys only grow (the events),
// packed full: its pages are never split for an insert in the middle, so
// half-empty pages would only waste the disk.
func (t *txn) appendOnly(name []byte) *bolt.Bucket {
	b := t.tx.Bucket(name)
	b.FillPercent = 0.95
	return b
}

// event records a lifecycle event with the ticket as it is now: the events
// are the record of the tickets (history.go), the outbox of {root}/events
// and of the announcements, and kept for replay. Every change of a ticket
// ends with its event.
func (t *txn) event(typ string, tk *Ticket, counter, reason string) uint64 {
	return t.record(&Event{Type: typ, Ticket: tk, Counter: counter, Reason: reason})
}

// record appends an event, with the next seq and the transaction's time,
// and returns its seq.
func (t *txn) record(ev *Event) uint64 {
	t.st.eventSeq++
	ev.Seq, ev.At = t.st.eventSeq, t.now
	// bbolt keeps the value until the commit: each event gets its own part
	// of the buffer, and a grown buffer leaves the earlier parts where they
	// are.
	start := len(t.buf)
	t.buf = appendEvent(t.buf, ev)
	t.fail(t.putEvent(ev.Seq, t.buf[start:len(t.buf):len(t.buf)]))
	return ev.Seq
}

func (t *txn) saveCounter(c *counterState) {
	t.put(bucketCounters, []byte(c.id), counterRecord{Paused: c.paused})
}

// boardChanged marks a counter's board for publishing after the commit.
func (t *txn) boardChanged(c *counterState) { t.boards[c.id] = true }

// board is the state of one counter's board.
func (t *txn) board(c *counterState) display.Board {
	b := display.Board{Counter: c.id, State: display.Idle, Paused: c.paused, OffHours: !t.inHours(c), At: t.now}
	switch {
	case t.officePaused() != nil:
		// Closed for the lamps and boxes; the flags make the board say
		// the pause (or the alert) rather than closed: the queue is kept.
		b.State = display.Closed
		b.OfficePaused, b.Alert = t.officeAlert()
	case c.current != nil:
		b.State = display.Calling
		if c.current.State == Serving {
			b.State = display.Serving
		}
		if !c.calledAt.IsZero() {
			b.At = c.calledAt // a board published again blinks no longer than the call
		}
		b.Ticket = c.current.Label
		if s := t.e.shownAs(c.current); s != nil {
			b.Service = s.Name
		}
	case c.paused, b.OffHours:
		// Closed by the specialist, or outside the hours of every
		// service of the counter: before opening, after closing, on a
		// holiday.
		b.State = display.Closed
	}
	return b
}

// box is the state of one counter for its button box, with the pauses and
// the hours as its board has them.
func (t *txn) box(c *counterState, board display.Board) BoxState {
	b := BoxState{Counter: c.id, Services: slices.Clone(c.services), Paused: board.Paused, OfficePaused: board.OfficePaused,
		Alert: board.Alert, OffHours: board.OffHours, At: t.now}
	if tk := c.current; tk != nil {
		b.Ticket, b.State, b.Service = tk.Label, tk.State, tk.Service
		b.Recalls = tk.Recalls
		if tk.State == Called { // a citizen at the counter is not recalled
			b.RecallsLeft = max(t.e.cfg.Office.RecallLimit*(1+t.st.shelter.alertsSince(tk.Called))-tk.Recalls, 0)
		}
	}
	return b
}

// wrote reports whether the transaction changed anything in the file:
// bbolt allocates a node for every change (TestBboltCountsANodeForEveryChange).
func (t *txn) wrote() bool {
	st := t.tx.Stats()
	return st.GetNodeCount() > 0
}

// dropFromHall takes a transferred ticket's row off the hall board: it
// waits for another counter now, and its citizen reading the hall would
// go back to the one that sent them on. Its call there puts it back.
func (t *txn) dropFromHall(label string) {
	if t.st.hall.Drop(func(c display.HallCall) bool { return c.Ticket == label }) {
		t.hall = true
	}
}

// call puts the counter's current ticket on top of the hall board; its
// event (called or recalled) is the announcement.
func (t *txn) call(c *counterState) {
	c.calledAt = t.now
	t.st.hall.Call(c.current.Label, c.id, t.now)
	t.hall = true
	t.boardChanged(c)
}

// changed marks a service's queue figures and the office load for
// publishing once at the end of the batch.
func (t *txn) changed(service string) {
	t.dirtyQueues[service] = true
	t.dirtyLoad = true
}

// allChanged marks every counter's board and every service's figures
// (and so the load) for publishing: a change of the whole office.
func (t *txn) allChanged() {
	for _, c := range t.e.cfg.Counters {
		t.boardChanged(t.st.counters[c.ID])
	}
	for _, s := range t.e.cfg.Services {
		t.changed(s.ID)
	}
}

// finish writes what a batch accumulated in the metadata.
func (t *txn) finish() {
	if t.fatal != nil {
		return
	}
	t.archiveEvents(false)
	meta := t.tx.Bucket(bucketMeta)
	if t.st.eventSeq != t.startSeq {
		t.fail(meta.Put(keyEventSeq, u64(t.st.eventSeq)))
	}
	if t.metaDirty {
		t.fail(meta.Put(keyDay, []byte(t.st.day)))
	}
	t.storeClock()
}

// seedVisits is how many visits the configured seed of a service's visit
// (avg_service_min) counts for in the estimate while fewer were measured:
// three quick "just a question" visits in the morning must not tell the
// citizens of the day a wait of minutes for hours. From seedVisits
// measured on, they alone count.
const seedVisits = 10

// perTicket is the expected service time of one ticket of a service: the
// mean of its recent service times, with the configured seed counted as
// the visits short of seedVisits.
func (t *txn) perTicket(svc *config.Service) time.Duration {
	r := t.st.recent[svc.ID]
	seeds := max(seedVisits-len(r), 0)
	sum := time.Duration(seeds) * time.Duration(svc.AvgServiceMin*float64(time.Minute))
	for _, d := range r {
		sum += d
	}
	return sum / time.Duration(seeds+len(r))
}

// freeAt is when each counter open for svc is free for the service's
// queue: now (idle) or when the visit it called ends (remaining), and after
// a visit for each ticket held for it (it calls them first), in order,
// with the expected length of a visit; ok is false with none open (all
// closed or on a break, the office paused, the service outside its hours).
// The list is the engine's buffer: good until the next call.
func (t *txn) freeAt(svc *config.Service) (free []time.Duration, per time.Duration, ok bool) {
	if !t.calling(svc) {
		return nil, 0, false
	}
	per = t.perTicket(svc)
	free = t.e.freeAt[:0]
	for _, id := range t.e.servedBy[svc.ID] {
		c := t.st.counters[id]
		if c == nil || c.paused {
			continue
		}
		free = append(free, t.busyFor(c, per)+time.Duration(len(t.st.held[id]))*per)
	}
	slices.Sort(free)
	t.e.freeAt = free
	return free, per, len(free) > 0
}

// calling reports whether the counters of svc may call now: the office is
// not paused and the service is in its hours.
func (t *txn) calling(svc *config.Service) bool {
	_, paused := t.st.pauses[""]
	return !paused && t.e.isOpen(svc, t.now)
}

// heldWait is the wait of a ticket of svc held for counter c with ahead
// held for it before it: the counter's visit now, then a visit each.
// Unknown while the counter (nil: no longer configured) or the service is
// closed, or the office paused.
func (t *txn) heldWait(svc *config.Service, c *counterState, ahead int) time.Duration {
	if svc == nil {
		return 0
	}
	if c == nil || c.paused || !t.calling(svc) {
		return Unknown
	}
	per := t.perTicket(svc)
	return t.busyFor(c, per) + time.Duration(ahead)*per
}

// busyFor is how much longer counter c is busy with its visit: none while
// idle.
func (t *txn) busyFor(c *counterState, per time.Duration) time.Duration {
	if c.current == nil {
		return 0
	}
	return t.remaining(c.current, per)
}

// turn is the wait of someone with ahead people before them at counters
// free at free (in order): the people ahead take the counters as they free
// up, a visit (per) each, so counter i calls at free[i], free[i]+per, ...,
// and the citizen's turn is the ahead-th of those calls (from 0): with
// counters idle and nobody ahead, at once. When the counters free up
// within one visit of each other, the calls go round them in turn: the
// (ahead mod n)-th counter's, after ahead/n rounds. A counter with tickets
// held for it frees up later (freeAt), and the others call more often in
// the meantime: the turn is then the first moment by which ahead+1 calls
// have come, found by bisection.
func turn(free []time.Duration, per time.Duration, ahead int) time.Duration {
	n, ahead := len(free), max(ahead, 0)
	if per <= 0 || free[n-1]-free[0] < per {
		return free[ahead%n] + time.Duration(ahead/n)*per
	}
	calls := func(by time.Duration) int { // how many calls come by then
		c := 0
		for _, f := range free {
			if f <= by {
				c += int((by-f)/per) + 1
			}
		}
		return c
	}
	// The first counter alone makes ahead+1 calls by hi.
	lo, hi := free[0], free[0]+time.Duration(ahead)*per
	for lo < hi {
		mid := lo + (hi-lo)/2
		if calls(mid) > ahead {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// remaining is how much longer the visit of tk, at a counter now, is
// expected to last: by its service's recent visits that lasted longer than
// this one so far, how much longer they went on (so a visit that already
// runs long is not taken to end at once); past all of them, or before there
// are any, what the mean leaves, and at least a quarter of it. From the
// first call: a recall does not start the visit again. per is the mean to
// use if tk's service is no longer configured.
func (t *txn) remaining(tk *Ticket, per time.Duration) time.Duration {
	if svc := t.e.service(tk.Service); svc != nil {
		per = t.perTicket(svc)
	}
	elapsed := max(t.st.shelter.visit(tk.Called, t.now), 0) // not the shelter's time
	if r := t.st.recent[tk.Service]; len(r) >= seedVisits {
		var sum time.Duration
		n := 0
		for _, d := range r {
			if d > elapsed {
				sum += d - elapsed
				n++
			}
		}
		if n > 0 {
			return sum / time.Duration(n)
		}
	}
	return max(per-elapsed, per/4)
}

// waitOf estimates the wait of tk, a ticket of svc with ahead people
// called before it in the service's queue now (not those held for a
// counter: see freeAt; not those held back past its turn: heldBack): one waiting in the queue (queued), or one that would join it
// now (newcomerWait). It is 0 for a service that is not configured,
// Unknown with no counter open. Where counters of the service serve
// others too, the call policy is played forward (project); else
// roughWait.
func (t *txn) waitOf(svc *config.Service, tk *Ticket, ahead int, queued bool) time.Duration {
	if svc == nil {
		return 0
	}
	rough := t.roughWait(svc, ahead, callRank(tk))
	if rough == Unknown {
		return Unknown
	}
	if c := t.components()[svc.ID]; c != nil && len(c.svcs) > 1 {
		w, ok := t.project(c, c.index[svc.ID], tk, ahead, !queued)
		if ok {
			return w
		}
		return max(rough, w) // not called in the time played, at least
	}
	return rough
}

// roughWait estimates the wait of a ticket of svc with ahead people before
// it in the service's queue now and of call rank rank as if the counters
// open for the service served it alone. Before an ordinary ticket's turn
// comes, priority and transferred tickets arrive and go before it: as many
// as arrived in its wait at today's rate (jumpRate), so the wait is the
// one of ahead plus those, found by a few rounds of the estimate.
func (t *txn) roughWait(svc *config.Service, ahead, rank int) time.Duration {
	free, per, ok := t.freeAt(svc)
	if !ok {
		return Unknown
	}
	w := turn(free, per, ahead)
	if rank < 2 {
		return w
	}
	rate := t.jumpRate(svc)
	if rate == 0 {
		return w
	}
	for range 8 {
		jumpers := int(math.Round(rate * w.Minutes()))
		next := turn(free, per, ahead+jumpers)
		if next == w {
			break
		}
		w = next
	}
	return w
}

// jumpRate is how many tickets a minute went before the ordinary ones of
// svc today (jumps), over the time the service has been open today; 0
// until it has been open for half an hour, too short for a rate.
func (t *txn) jumpRate(svc *config.Service) float64 {
	if t.st.jumps[svc.ID] <= 0 {
		return 0
	}
	opened, _, ok := t.e.hours(svc, t.now)
	if !ok {
		return 0
	}
	return t.jumpRateSince(svc, opened)
}

// jumpRateSince is jumpRate for a service that opened today at opened
// (zero: it does not open today).
func (t *txn) jumpRateSince(svc *config.Service, opened time.Time) float64 {
	n := t.st.jumps[svc.ID]
	if n <= 0 || opened.IsZero() {
		return 0
	}
	open := t.now.Sub(opened)
	if open < 30*time.Minute {
		return 0
	}
	return float64(n) / open.Minutes()
}

// heldBack is how many of the first n tickets of svc's queue are held
// back (a booked visit's time, a no-show's grace) past the time the others
// take to be called: a ticket behind them is called before them. None for
// a service no longer configured.
func (t *txn) heldBack(svc *config.Service, n int) int {
	if svc == nil {
		return 0
	}
	q := t.st.waiting[svc.ID]
	q = q[:min(n, len(q))]
	held := 0
	for _, tk := range q {
		if tk.NotBefore.After(t.now) {
			held++
		}
	}
	if held == 0 {
		return 0
	}
	free, per, ok := t.freeAt(svc)
	if !ok {
		return 0
	}
	by := t.now.Add(turn(free, per, n-held))
	back := 0
	for _, tk := range q {
		if tk.NotBefore.After(by) {
			back++
		}
	}
	return back
}

// queuedAhead is how many in the queue of service would be called before a
// new ticket of rank (callRank): the waiting ones of its rank or before.
// The tickets held for a counter come before it too, at their counters
// (freeAt).
func (st *state) queuedAhead(service string, rank int) int {
	q := st.waiting[service]
	return sort.Search(len(q), func(i int) bool { return callRank(q[i]) > rank })
}

// waitingCount is how many wait for a service, held tickets included.
func (t *txn) waitingCount(service string) int {
	return len(t.st.waiting[service]) + t.st.heldCount[service]
}

// Unknown is the wait when no counter is open for the service (all closed
// or on a break, the office paused, the service outside its hours): it
// cannot be estimated. It is below 0.
const Unknown time.Duration = -1

// Minutes is a wait in whole minutes as every figure of cherga gives it:
// to the nearest minute, so that the kiosk's answer and the queue's
// figures agree (the ticket says it in words: to 5 minutes from an hour
// on, printer.WaitText); -1 for Unknown.
func Minutes(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return int((d + 30*time.Second) / time.Minute)
}

func (t *txn) figures(service string) display.Queue {
	svc := t.e.service(service)
	q := display.Queue{
		Waiting:    t.waitingCount(service),
		ETAMin:     Minutes(t.newcomerWait(svc, 2)),
		LastCalled: t.st.lastCalled[service],
	}
	if p := t.paused(service); p != nil {
		q.Paused, q.Reason = true, p.Reason
		q.Alert = p.Service == "" && p.IsAlert()
	}
	if svc != nil {
		err := t.issuable(svc, false, false)
		q.Refused = Refusal(err)
		if (errors.Is(err, ErrClosed) || errors.Is(err, ErrServiceClosed)) && len(t.e.servedBy[svc.ID]) > 0 {
			if at, ok := t.e.cfg.NextOpening(svc, t.now); ok {
				q.Opens = at
			}
		}
	}
	return q
}

func beU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func sortByID(ts []*Ticket) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
}
