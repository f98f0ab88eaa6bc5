package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
)

var (
	bucketMeta     = []byte("meta")
	bucketCounters = []byte("counters")
	bucketEvents   = []byte("events")
	bucketStats    = []byte("stats")
	bucketDays     = []byte("days")
	// bucketOldOutbox is the outbox of files written before the events
	// became the outbox (migrateOutbox).
	bucketOldOutbox = []byte("outbox")
	// bucketOldTickets and bucketOldNumbers held the tickets and the
	// numbering before the events did (migrateTickets).
	bucketOldTickets = []byte("tickets")
	bucketOldNumbers = []byte("numbers")
	// fenceKey and fenceValue are the one record of the numbers bucket a
	// store keeps after migrateTickets: releases from before the events
	// became the record of the tickets read that bucket at start, and fail
	// on it with its key in their error, rather than read a store without
	// their tickets as an empty day and give out its numbers and ids
	// again. They have no format to refuse (checkFormat came later).
	fenceKey   = []byte("(this store was upgraded by a newer cherga: run that one, or put back the backup taken before the upgrade)")
	fenceValue = []byte(`"this store was upgraded by a newer cherga; this older release would read it as an empty day and give out its numbers again: run the newer cherga, or put back the backup taken before the upgrade"`)

	keyDay       = []byte("day")
	keyEventSeq  = []byte("event_seq")
	keyPublished = []byte("published")
	// keyClock is the latest wall clock the engine ran at (Unix
	// nanoseconds): a restarted one distrusts a clock behind it.
	keyClock = []byte("clock")
	// keyFormat is the store's format (storeFormat when this cherga
	// wrote it last).
	keyFormat = []byte("format")
)

// storeFormat is the format of the stores this cherga writes. A cherga
// refuses a store of a later format than its own: one written by a newer
// release, which an older one would misread (a rollback). Files written
// before the format was recorded are older ones, migrated on open
// (migrateOutbox, migrateTickets). Raise it with any change to the store
// that an older release would misread: a new event type that changes what
// the day's events make of the queue, a new ticket field the queue obeys.
//
//   - 1: the format recorded.
//   - 2: numbering.continued events (a release of format 1 skips them and
//     hands the continued numbers out again), press.refused and
//     config.changed events.
//
// The recent events' bucket (eventlog.go) did not raise it: a clean stop
// leaves every event where releases before it read them.
const storeFormat = 2

// StoreFormat is the format of the stores this cherga writes (storeFormat),
// for cherga -version: a release refuses the file of a later format.
const StoreFormat = storeFormat

// checkFormat refuses a store of a later format than storeFormat (one
// without the meta bucket has none).
func checkFormat(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return nil
	}
	if f := beU64(meta.Get(keyFormat)); f > storeFormat {
		return &FormatError{Got: f}
	}
	return nil
}

// notEmptied refuses a store that lost some of the office's buckets or its
// latest events, or holds data but none of the buckets: a damaged page
// (bbolt reads it as holding less, or nothing), or a file not cherga's.
// Creating them afresh would start the office with its day gone, and say
// nothing.
func notEmptied(tx *bolt.Tx) error {
	var missing []string
	for _, b := range [][]byte{bucketMeta, bucketCounters, bucketEvents, bucketStats, bucketDays} {
		if tx.Bucket(b) == nil {
			missing = append(missing, string(b))
		}
	}
	pages := filePages(tx)
	switch {
	case len(missing) == 0:
		// The events end where the store says: a damaged page of them
		// reads as fewer, or none.
		seq := beU64(tx.Bucket(bucketMeta).Get(keyEventSeq))
		if k, _ := lastEvent(tx); beU64(k) != seq {
			return fmt.Errorf("%w: its last event is %d, and it counted %d", ErrDamaged, beU64(k), seq)
		}
		return nil
	case len(missing) < 5:
		return fmt.Errorf("%w: its buckets %v are missing", ErrDamaged, missing)
	case pages > newFilePages:
		return fmt.Errorf("%w: it holds %d pages of data but none of the office's", ErrDamaged, pages)
	}
	return nil
}

// unwritten reports whether tx is of a new file that nothing was ever
// committed to: as bbolt creates it, and no bucket (the controller
// stopped while it opened a new store).
func unwritten(tx *bolt.Tx) bool {
	k, _ := tx.Cursor().First()
	return k == nil && filePages(tx) <= newFilePages
}

// newFilePages is the size of a new bbolt file, in pages: the two metas,
// the freelist and the empty root.
const newFilePages = 4

// filePages is the size of tx's file, in pages.
func filePages(tx *bolt.Tx) int64 { return tx.Size() / int64(tx.DB().Info().PageSize) }

func initBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketMeta, bucketCounters, bucketEvents, bucketRecent, bucketStats, bucketDays} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// recentSamples is how many recent service times feed the wait estimate.
const recentSamples = 20

// state is the in-memory image of today's part of the store. It is derived
// from the store on open (reload) and changed only together with the store.
type state struct {
	day      string
	eventSeq uint64
	tickets  map[uint64]*Ticket   // today's tickets
	waiting  map[string][]*Ticket // service → waiting tickets in call order (not held)
	// held are waiting tickets kept for one counter (ForCounter), per
	// counter; heldCount counts them per service for the figures.
	held      map[string][]*Ticket
	heldCount map[string]int
	// stepped are the services whose queue has a ticket issued before
	// another by the clock that comes after it by id: the clock stepped
	// back between them (NTP correcting a fast clock; after a restart the
	// issue times carry no monotonic reading). Their wait in the call
	// policy is then the longest by the clock among them (waitedSince).
	stepped map[string]bool
	numbers map[string]int          // numbering (service or sequence) → last number issued today
	used    map[string]map[int]bool // numbering → the numbers issued today
	issued  map[string]int          // service → tickets issued today and not voided (its daily cap)
	open    map[string]int          // service → counters open for it
	recent  map[string][]time.Duration
	// jumps counts per service the tickets that entered its queue ahead
	// of the ordinary ones today: priority tickets issued for it and
	// tickets transferred to it. Their rate feeds the wait estimate.
	jumps    map[string]int
	counters map[string]*counterState
	// closes are today's closing instants of the services, in order.
	closes []closing
	hall   *display.Hall
	// lastCalled is the label each service called last, for its queue figures.
	lastCalled map[string]string
	// pauses are the administrator's pauses in force, by service ("" the
	// office); they outlast the day.
	pauses map[string]Paused
	// shelter is when the office was paused today for an air-raid alert.
	shelter sheltered
	// lastEnded is the visit each counter ended last today (by the order
	// of the events, not the wall clock): a rating is for it, if it ended
	// served.
	lastEnded map[string]visit
	// printing are the tickets a kiosk is printing (IssueRequest.Printing),
	// until when at most: no counter calls them before the print ends
	// (Printed, or Void of one that failed). In memory only: after a
	// crash, a ticket that may have reached the paper is called (and
	// after a reload of the state, a failed write's: the hold is short).
	printing map[uint64]time.Time
}

// visit is a ticket's turn at a counter, and whether it ended served.
type visit struct {
	ticket uint64
	served bool
}

type closing struct {
	at      time.Time
	service string
	reason  string // of the expiries: the service closed, or has no counter
}

type counterState struct {
	id       string
	services []string
	paused   bool
	current  *Ticket // called or serving at this counter
	// calledAt is when current was last called or recalled: its board
	// blinks from then, however often the board is published again.
	calledAt time.Time
	// before is the hold current had when this counter called it: a call
	// put back a moment later (putBack) gives it back.
	before hold
}

// hold is what holds a waiting ticket back from the service's queue: the
// counter it waits for (Ticket.ForCounter) and its no-show grace
// (Ticket.NotBefore), of the ticket with the id.
type hold struct {
	ticket     uint64
	forCounter string
	notBefore  time.Time
}

func holdOf(tk *Ticket) hold { return hold{tk.ID, tk.ForCounter, tk.NotBefore} }

// calledLast is when the counter's current ticket was called, or
// recalled since.
func (c *counterState) calledLast() time.Time {
	if c.calledAt.After(c.current.Called) {
		return c.calledAt
	}
	return c.current.Called
}

// persisted part of a counter.
type counterRecord struct {
	Paused bool `json:"paused"`
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func (e *Engine) newState(day string) *state {
	st := &state{
		day:        day,
		tickets:    map[uint64]*Ticket{},
		printing:   map[uint64]time.Time{},
		waiting:    map[string][]*Ticket{},
		held:       map[string][]*Ticket{},
		heldCount:  map[string]int{},
		stepped:    map[string]bool{},
		numbers:    map[string]int{},
		issued:     map[string]int{},
		used:       map[string]map[int]bool{},
		open:       map[string]int{},
		recent:     map[string][]time.Duration{},
		jumps:      map[string]int{},
		counters:   map[string]*counterState{},
		hall:       display.NewHall(&display.HallOpts{Size: e.cfg.Office.HallSize}),
		lastCalled: map[string]string{},
		pauses:     map[string]Paused{},
		lastEnded:  map[string]visit{},
	}
	for _, c := range e.cfg.Counters {
		st.counters[c.ID] = &counterState{id: c.ID, services: c.Services}
	}
	st.closes = e.closings(day)
	return st
}

// countOpen recounts the open counters of every service.
func (st *state) countOpen() {
	clear(st.open)
	for _, c := range st.counters {
		if c.paused {
			continue
		}
		for _, s := range c.services {
			st.open[s]++
		}
	}
}

// reload rebuilds the state from the store.
func (e *Engine) reload() error {
	st := e.newState("")
	var published uint64
	var continued []eventRecord // today's numbering.continued
	err := e.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		st.day = string(meta.Get(keyDay))
		if v := meta.Get(keyEventSeq); len(v) == 8 {
			st.eventSeq = binary.BigEndian.Uint64(v)
		}
		published = beU64(meta.Get(keyPublished))
		if v := meta.Get(keyPauses); v != nil {
			if err := json.Unmarshal(v, &st.pauses); err != nil {
				return fmt.Errorf("pauses: %w", err)
			}
		}
		err := tx.Bucket(bucketCounters).ForEach(func(k, v []byte) error {
			var r counterRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("counter %s: %w", k, err)
			}
			if c := st.counters[string(k)]; c != nil {
				c.paused = r.Paused
			}
			return nil
		})
		if err != nil {
			return err
		}
		if st.day == "" {
			return nil
		}
		// The hall and the last label called per service are the day's
		// calls and recalls, replayed in order; the hall leaves out the
		// counters no longer configured, whose boards are gone too.
		// The holds the day's tickets had, and so had when they were
		// called (counterState.before).
		holds := map[uint64]hold{}
		ts, _, err := dayEvents(tx, st.day, func(ev *eventRecord) {
			if ev.Ticket != nil {
				defer func() {
					if h := holdOf(ev.Ticket); h.forCounter != "" || !h.notBefore.IsZero() {
						holds[h.ticket] = h
					} else {
						delete(holds, h.ticket)
					}
				}()
			}
			switch ev.Type {
			case EvCalled:
				st.lastCalled[ev.Ticket.Service] = ev.Ticket.Label
				if c := st.counters[ev.Counter]; c != nil {
					st.hall.Call(ev.Ticket.Label, ev.Counter, ev.At)
					c.calledAt = ev.At
					c.before = holds[ev.Ticket.ID]
				}
			case EvRecalled:
				if c := st.counters[ev.Counter]; c != nil {
					st.hall.Call(ev.Ticket.Label, ev.Counter, ev.At)
					c.calledAt = ev.At
				}
			case EvDone, EvNoShow, EvTransferred:
				st.lastEnded[ev.Counter] = visit{ev.Ticket.ID, ev.Type == EvDone}
				if ev.Type == EvTransferred { // as txn.dropFromHall
					st.hall.Drop(func(c display.HallCall) bool { return c.Ticket == ev.Ticket.Label })
				}
			case EvMoved:
				if ev.Counter != "" && ev.Ticket.State == Waiting && ev.Ticket.ForCounter != ev.Counter {
					// Held for a counter that closed (txn.pause), or put
					// back by another call there, whose row took its place.
					st.hall.Drop(func(c display.HallCall) bool { return c.Ticket == ev.Ticket.Label })
				}
			case EvDayStarted:
				if ev.Alert { // in force since the day before: ended today, or not
					st.shelter.pause(ev.At)
				}
			case EvOfficePaused:
				st.shelter.paused(ev.At, ev.Alert)
			case EvOfficeResumed:
				st.shelter.resume(ev.At)
			case EvNumbering:
				continued = append(continued, *ev)
			}
		})
		st.tickets = ts
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrDamaged) {
			// What is read here are the store's own records: one that
			// does not decode is damage, and the administrator is told
			// what to do about it.
			err = fmt.Errorf("%w: %s: %v", ErrDamaged, absPath(e.db.Path()), err)
		}
		return fmt.Errorf("queue: load: %w", err)
	}
	if st.tickets == nil {
		st.tickets = map[uint64]*Ticket{}
	}
	if p, ok := st.pauses[""]; ok && p.IsAlert() {
		st.shelter.pause(p.Since) // since an earlier day
	}
	st.closes = e.closings(st.day)
	st.countOpen()
	// Derive the queues, the counters' current tickets and the recent
	// service times.
	var done []*Ticket
	// The numbering continues after the latest ticket of each numbering.
	lastID := map[string]uint64{}
	for _, t := range st.tickets {
		if t.State != Voided { // a voided ticket gives its place under the cap back
			st.issued[e.issuedUnder(t)]++
		}
		st.jumped(t)
		for _, key := range e.numberings(t) {
			st.use(key, t.Number)
			if t.ID > lastID[key] {
				lastID[key], st.numbers[key] = t.ID, t.Number
			}
		}
		switch t.State {
		case Waiting:
			if t.ForCounter != "" {
				st.held[t.ForCounter] = append(st.held[t.ForCounter], t)
				st.heldCount[t.Service]++
			} else {
				st.waiting[t.Service] = append(st.waiting[t.Service], t)
			}
		case Called, Serving:
			if c := st.counters[t.Counter]; c != nil && (c.current == nil || c.current.Called.Before(t.Called)) {
				c.current = t
			}
		case Done:
			done = append(done, t)
		}
	}
	// A numbering an administrator moved on goes on after the number they
	// gave, unless a ticket was issued in it since.
	for _, ev := range continued {
		svc := e.service(ev.Service)
		if svc == nil {
			svc = e.byPrefix[ev.Reason] // renamed since: the service of its prefix now
		}
		if svc != nil {
			key := svc.NumberingKey()
			last := st.numbers[key]
			st.continueAfter(key, ev.Number)
			if lastID[key] > ev.Seq {
				st.numbers[key] = last
			}
		}
	}
	for svc, q := range st.waiting {
		sort.Slice(q, func(i, j int) bool { return before(q[i], q[j]) })
		for i := 1; i < len(q); i++ {
			if inverted(q[i-1], q[i]) {
				st.stepped[svc] = true
			}
		}
	}
	for _, q := range st.held {
		sort.Slice(q, func(i, j int) bool { return before(q[i], q[j]) })
	}
	sort.Slice(done, func(i, j int) bool { return done[i].Ended.Before(done[j].Ended) })
	for _, t := range done {
		st.served(t)
	}
	e.keepRenamedLastCalled(st) // a restart on a file that renamed one
	e.st = st
	e.loadRows(&txn{e: e, st: st, now: e.opts.Now()}, nil)
	e.ackStored = published
	e.Ack(published)
	return nil
}

// numberings are the numberings whose numbers a ticket takes: its service's
// (or the service it was issued for), and the one of the service that now
// prints its prefix. They differ only after the configuration changed in
// the day (a service renamed, a prefix moved, a sequence joined); a number
// of either is not issued again while the ticket could still be called,
// so no label is ever said twice.
func (e *Engine) numberings(t *Ticket) []string {
	var keys []string
	if svc := e.service(t.OriginService()); svc != nil {
		keys = append(keys, svc.NumberingKey())
	}
	if svc := e.byPrefix[labelPrefix(t.Label)]; svc != nil && (len(keys) == 0 || keys[0] != svc.NumberingKey()) {
		keys = append(keys, svc.NumberingKey())
	}
	return keys
}

// issuedUnder is the service whose daily cap t counts against: the one it
// was issued for or, when that is no longer configured (renamed), the one
// that prints its prefix now, so that a new id is no new cap.
func (e *Engine) issuedUnder(t *Ticket) string {
	if e.service(t.OriginService()) == nil {
		if svc := e.byPrefix[labelPrefix(t.Label)]; svc != nil {
			return svc.ID
		}
	}
	return t.OriginService()
}

// use records that a numbering issued number n today.
// continueAfter makes numbering key go on after number: the numbers up
// to it count as issued (someone may hold any of them).
func (st *state) continueAfter(key string, number int) {
	st.numbers[key] = number
	for n := 1; n <= number; n++ {
		st.use(key, n)
	}
}

func (st *state) use(key string, n int) {
	u := st.used[key]
	if u == nil {
		u = map[int]bool{}
		st.used[key] = u
	}
	u[n] = true
}

// served records the service time of a finished ticket for the estimate.
func (st *state) served(t *Ticket) {
	if t.Called.IsZero() || t.Ended.IsZero() {
		return
	}
	// Sub uses the monotonic readings when both times come from this run
	// of the process, so a wall clock that jumped in between does not
	// distort the estimate. The time in the shelter is no visit's.
	d := st.shelter.visit(t.Called, t.Ended)
	if d <= 0 || d > 8*time.Hour {
		return
	}
	r := append(st.recent[t.Service], d)
	if len(r) > recentSamples {
		r = r[len(r)-recentSamples:]
	}
	st.recent[t.Service] = r
}

// jumped counts t among the jumps of today as a reload finds it: a priority
// ticket in the service it was issued for, a transferred one in the
// service it is in now (a ticket transferred twice counts once).
func (st *state) jumped(t *Ticket) {
	if t.Priority {
		st.jumps[t.OriginService()]++
	}
	if t.Transfers > 0 {
		st.jumps[t.Service]++
	}
}

// callRank is the class of a waiting ticket in the call policy: priority
// tickets first, then transferred ones, then everyone else.
func callRank(t *Ticket) int {
	switch {
	case t.Priority:
		return 0
	case t.Transfers > 0:
		return 1
	}
	return 2
}

// before is the call order within one service: priority tickets first, then
// transferred ones, then by arrival (a transferred ticket keeps its original
// arrival): the order of their ids, given as they were issued. Not of the
// issue times: a clock stepped back (NTP correcting a fast one) would put
// the citizens who come after it before those waiting.
func before(a, b *Ticket) bool {
	if ra, rb := callRank(a), callRank(b); ra != rb {
		return ra < rb
	}
	return a.ID < b.ID
}

// enqueue puts a waiting ticket in its queue (its service's, or its
// counter's when held) in call order and returns how many are before it.
func (st *state) enqueue(tk *Ticket) int {
	if tk.ForCounter != "" {
		st.held[tk.ForCounter] = insert(st.held[tk.ForCounter], tk)
		st.heldCount[tk.Service]++
		return 0
	}
	q := insert(st.waiting[tk.Service], tk)
	st.waiting[tk.Service] = q
	for i := len(q) - 1; i >= 0; i-- {
		if q[i] == tk {
			if i > 0 && inverted(q[i-1], tk) || i+1 < len(q) && inverted(tk, q[i+1]) {
				st.stepped[tk.Service] = true
			}
			return i
		}
	}
	return 0
}

// inverted reports whether a, before b in call order and both ordinary,
// has the later issue time: the clock stepped back between them.
func inverted(a, b *Ticket) bool {
	return callRank(a) == 2 && callRank(b) == 2 && b.Issued.Before(a.Issued)
}

// waitedSince is when the longest wait among the ordinary tickets of a
// service's queue that may be called now began, by the clock: its head's
// issue time, unless the clock stepped back among them (stepped), when
// the head's may be later than those issued after it.
func (st *state) waitedSince(service string, head *Ticket, now time.Time) time.Time {
	since := head.Issued
	if !st.stepped[service] {
		return since
	}
	for _, tk := range st.waiting[service] {
		if callRank(tk) == 2 && !tk.NotBefore.After(now) && tk.Issued.Before(since) {
			since = tk.Issued
		}
	}
	return since
}

func insert(q []*Ticket, tk *Ticket) []*Ticket {
	i := sort.Search(len(q), func(i int) bool { return before(tk, q[i]) })
	if i == len(q) {
		return append(q, tk)
	}
	q = append(q, nil)
	copy(q[i+1:], q[i:])
	q[i] = tk
	return q
}

// dequeue takes a waiting ticket out of its queue.
func (st *state) dequeue(tk *Ticket) {
	if tk.ForCounter != "" {
		st.held[tk.ForCounter] = remove(st.held[tk.ForCounter], tk)
		st.heldCount[tk.Service]--
		return
	}
	st.waiting[tk.Service] = remove(st.waiting[tk.Service], tk)
	if len(st.waiting[tk.Service]) == 0 {
		delete(st.stepped, tk.Service)
	}
}

func remove(q []*Ticket, tk *Ticket) []*Ticket {
	if len(q) > 0 && q[0] == tk {
		q[0] = nil
		return q[1:]
	}
	// Find it by call order (binary search), then by identity.
	i := sort.Search(len(q), func(i int) bool { return !before(q[i], tk) })
	for ; i < len(q); i++ {
		if q[i] == tk {
			copy(q[i:], q[i+1:])
			q[len(q)-1] = nil
			return q[:len(q)-1]
		}
	}
	for i := range q { // not where its order says: fall back to a scan
		if q[i] == tk {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}
