package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
)

// Hall is the hall board: the latest calls, newest first, and the
// office's pause, which the hall tells the citizens.
type Hall struct {
	Calls []display.HallCall `json:"calls"`
	Pause display.HallPause  `json:"-"`
}

// MarshalJSON writes the payload of {root}/hall (display.HallJSON).
func (h Hall) MarshalJSON() ([]byte, error) { return display.HallJSON(h.Calls, h.Pause), nil }

// Figures are the published figures of one service's queue.
type Figures struct {
	Service string        `json:"service"`
	Queue   display.Queue `json:"queue"`
}

// Event is one ticket lifecycle event of the {root}/events stream. Seq has
// no gaps: an integration that missed some asks for a replay from a seq.
type Event struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Ticket  *Ticket   `json:"ticket,omitempty"`
	Counter string    `json:"counter,omitempty"`
	// Service is the service of a service.paused or service.resumed, or
	// of a press.refused.
	Service string `json:"service,omitempty"`
	// Kiosk is the kiosk of a press.refused, a ticket.reprinted or an
	// appointment.scanned.
	Kiosk string `json:"kiosk,omitempty"`
	// Code is the code of an appointment.scanned, as its scanner read it.
	Code string `json:"code,omitempty"`
	// Number is the last number of a numbering.continued: the service's
	// next ticket today is the one after it.
	Number int    `json:"number,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Alert: an office.paused for an air-raid alert (Paused.IsAlert).
	Alert bool `json:"alert,omitempty"`
	// Version is the configuration version of a config.changed, whose
	// Reason is its source ("admin", "file", "rollback", "merge") and
	// author.
	Version uint64 `json:"version,omitempty"`
	// Appointment is the booking of an appointment.booked or
	// appointment.cancelled, without its code and name.
	Appointment *Appointment `json:"appointment,omitempty"`
}

// afterEnd are the event types that a ticket may have after it ended: a
// citizen rates the visit once it is over. Verify finds any other event of
// an ended ticket a fault in the store; a new event type that may come
// after the end goes here.
var afterEnd = map[string]bool{EvRated: true, EvReprinted: true}

// Event types.
const (
	EvIssued      = "ticket.issued"
	EvCalled      = "ticket.called"
	EvRecalled    = "ticket.recalled"
	EvServing     = "ticket.serving"
	EvDone        = "ticket.done"
	EvNoShow      = "ticket.noshow"
	EvTransferred = "ticket.transferred"
	EvVoided      = "ticket.voided"
	EvExpired     = "ticket.expired"
	EvRated       = "ticket.rated"
	EvMoved       = "ticket.moved"
	EvPaused      = "counter.paused"
	EvResumed     = "counter.resumed"
	EvDayStarted  = "day.started"
	// The administrator's pauses (Paused): of the office, of a service.
	EvOfficePaused   = "office.paused"
	EvOfficeResumed  = "office.resumed"
	EvServicePaused  = "service.paused"
	EvServiceResumed = "service.resumed"
	// EvConfigChanged: a configuration version was recorded and runs (an
	// integration reads it again: config.get).
	EvConfigChanged = "config.changed"
	// EvRefused: a kiosk press that gave no ticket (Refused): its Kiosk,
	// Service and Reason; the citizen was turned away.
	EvRefused = "press.refused"
	// EvNumbering: an administrator made a service's numbering go on
	// after Number today (ContinueNumbering).
	EvNumbering = "numbering.continued"
	// EvReprinted: a ticket was printed again (ticket.reprint) on Kiosk,
	// the ticket as it is then: a record of every copy handed out. (Its
	// ticket may have ended while it printed.)
	EvReprinted = "ticket.reprinted"
	// EvAppointment: a citizen scanned a booking's appointment code at
	// Kiosk (Appointment): its Code, for the integration that books the
	// visits.
	EvAppointment = "appointment.scanned"
	// EvBooked: a visit booked ahead (Book), and EvBookingCancelled its
	// cancellation; its check-in is the ticket.issued of its ticket
	// (Ticket.Appointment).
	EvBooked           = "appointment.booked"
	EvBookingCancelled = "appointment.cancelled"
)

// IsCall reports whether the event calls its ticket to a counter (a call or
// a recall): it is announced, and its seq is the call's id.
func (ev *Event) IsCall() bool {
	return (ev.Type == EvCalled || ev.Type == EvRecalled) && ev.Ticket != nil
}

// Retained is the retained state that committed transactions changed: the
// boards of the counters, the hall board, the figures of the services'
// queues and the office load. Unlike events it is not kept on disk: it is
// derived from the state, which is, and a publisher that lost it (a
// restart, a broker that forgot its retained messages) asks for all of it
// again (Engine.Republish).
type Retained struct {
	Boards []display.Board // in the order of the configured counters
	Boxes  []BoxState      // likewise, of the counters whose boards changed
	Hall   *Hall
	Queues []Figures // in service id order
	Load   *display.Load
}

// Empty reports whether nothing changed.
func (r *Retained) Empty() bool {
	return len(r.Boards) == 0 && len(r.Boxes) == 0 && r.Hall == nil && len(r.Queues) == 0 && r.Load == nil
}

// BoxState is a counter as its button box shows it, after a reboot too
// ({root}/counter/{counter}/state): its ticket as the queue holds it (its
// board shows serving once its blink is over, and no ticket while the
// office is paused), the recalls it has left, and what it serves.
type BoxState struct {
	Counter string `json:"counter"`
	// Ticket is the ticket called to the counter or served at it, State
	// its state (called, serving) and Service its service; absent when it
	// has none.
	Ticket  string `json:"ticket,omitempty"`
	State   State  `json:"state,omitempty"`
	Service string `json:"service,omitempty"`
	// Recalls is how often the ticket was recalled, RecallsLeft how often
	// it may be still (office.recall_limit, again after an air-raid alert).
	Recalls     int `json:"recalls"`
	RecallsLeft int `json:"recalls_left"`
	// Services are the services the counter serves, in its order.
	Services []string `json:"services"`
	// Paused: the counter is paused (its specialist's break);
	// OfficePaused and Alert: the office is, for an air-raid alert;
	// OffHours: outside the hours of every service of the counter.
	Paused       bool      `json:"paused"`
	OfficePaused bool      `json:"office_paused,omitempty"`
	Alert        bool      `json:"alert,omitempty"`
	OffHours     bool      `json:"off_hours,omitempty"`
	At           time.Time `json:"at"`
}

// retained accumulates what changed since the publisher last took it; a
// newer value of a board or a queue replaces the older one. The load is
// assembled when taken, from Engine.load.
type retained struct {
	boards map[string]display.Board
	boxes  map[string]BoxState
	hall   *Hall
	queues map[string]Figures
	load   bool
}

// Notify receives a value whenever a commit produced events or changed
// retained state for the publisher.
func (e *Engine) Notify() <-chan struct{} { return e.notify }

// LastSeq is the seq of the latest event committed.
func (e *Engine) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := e.do(ctx, true, func(t *txn) error { seq = t.st.eventSeq; return nil })
	return seq, err
}

// TakeRetained returns the retained state changed by the transactions
// committed since the last call, and forgets it: the caller publishes it,
// and when the broker did not take it all, asks for the whole state again
// (Republish). It holds only the counters and services of the
// configuration the engine runs as it is taken: the office clears the
// topics of those a change took away before it takes the next.
func (e *Engine) TakeRetained() Retained {
	e.pubMu.Lock()
	p := e.pub
	e.pub = retained{}
	var r Retained
	if p.load {
		l := e.load
		l.Services = slices.Clone(l.Services) // the rows change in place
		r.Load = &l
	}
	cfg := e.cfg // SetConfig changes it under pubMu
	e.pubMu.Unlock()
	for _, c := range cfg.Counters {
		if b, ok := p.boards[c.ID]; ok {
			r.Boards = append(r.Boards, b)
			r.Boxes = append(r.Boxes, p.boxes[c.ID])
		}
	}
	for _, f := range p.queues {
		r.Queues = append(r.Queues, f)
	}
	sort.Slice(r.Queues, func(i, j int) bool { return r.Queues[i].Service < r.Queues[j].Service })
	r.Hall = p.hall
	return r
}

// retain hands what a committed transaction changed to the publisher.
func (e *Engine) retain(t *txn) bool {
	t.syncHours()
	e.pubMu.Lock()
	if e.load.ClockUnset != e.clockUnset(t.now) {
		t.dirtyLoad = true // the clock was set, or went wrong
	}
	e.pubMu.Unlock()
	if len(t.boards) == 0 && !t.hall && len(t.dirtyQueues) == 0 && !t.dirtyLoad {
		return false
	}
	boards := make([]display.Board, 0, len(t.boards))
	boxes := make([]BoxState, 0, len(t.boards))
	for id := range t.boards {
		if c := t.st.counters[id]; c != nil {
			b := t.board(c)
			boards, boxes = append(boards, b), append(boxes, t.box(c, b))
		}
	}
	var hall *Hall
	if t.hall {
		hall = &Hall{Calls: t.st.hall.Calls()}
		hall.Pause.Paused, hall.Pause.Alert = t.officeAlert()
	}
	queues := make([]Figures, 0, len(t.dirtyQueues))
	for s := range t.dirtyQueues {
		if e.service(s) != nil {
			queues = append(queues, Figures{Service: s, Queue: t.figures(s)})
		}
	}
	if t.dirtyLoad {
		e.loadRows(t, queues)
	}
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	p := &e.pub
	if p.boards == nil {
		p.boards, p.boxes, p.queues = map[string]display.Board{}, map[string]BoxState{}, map[string]Figures{}
	}
	for i, b := range boards {
		p.boards[b.Counter], p.boxes[b.Counter] = b, boxes[i]
	}
	for _, f := range queues {
		p.queues[f.Service] = f
	}
	if hall != nil {
		p.hall = hall
	}
	p.load = p.load || t.dirtyLoad
	return true
}

// refreshEstimates publishes again the queue figures whose wait estimate
// the clock has moved: it counts when the busy counters free up, which
// changes with time, not only with the queue. Only the engine's goroutine
// calls it, between transactions.
func (e *Engine) refreshEstimates() {
	t := &txn{e: e, st: e.st, now: e.opts.Now(), boards: map[string]bool{}, dirtyQueues: map[string]bool{}}
	if !e.clockOK(t.now) {
		return
	}
	for _, s := range e.cfg.Services {
		q := t.figures(s.ID)
		e.pubMu.Lock()
		i, ok := e.svcIdx[s.ID]
		stale := ok && i < len(e.load.Services) && (e.load.Services[i].ETAMin != q.ETAMin || e.load.Services[i].Refused != q.Refused)
		e.pubMu.Unlock()
		if stale {
			t.dirtyQueues[s.ID], t.dirtyLoad = true, true
		}
	}
	if e.retain(t) {
		e.signal()
	}
}

// loadRows brings the office load up to date with the state of t: the rows
// of the services in queues (nil: of every service) and the totals. Only
// the engine's goroutine calls it.
func (e *Engine) loadRows(t *txn, queues []Figures) {
	if queues == nil {
		for _, s := range e.cfg.Services {
			queues = append(queues, Figures{Service: s.ID, Queue: t.figures(s.ID)})
		}
	}
	// While the office is paused no counter calls: none is open; nor is
	// one outside the hours of its services.
	_, officePaused := t.st.pauses[""]
	open := 0
	for _, c := range t.st.counters {
		if !c.paused && !officePaused && t.inHours(c) {
			open++
		}
	}
	e.pubMu.Lock()
	defer e.pubMu.Unlock()
	l := &e.load
	if len(l.Services) != len(e.cfg.Services) {
		l.Services = make([]display.LoadService, len(e.cfg.Services))
		for i, s := range e.cfg.Services {
			l.Services[i] = display.LoadService{Service: s.ID, Name: s.Name, NameEn: s.NameEn}
		}
	}
	for _, f := range queues {
		r := &l.Services[e.svcIdx[f.Service]]
		l.Waiting += f.Queue.Waiting - r.Waiting
		r.Waiting, r.ETAMin, r.OpenCounters = f.Queue.Waiting, f.Queue.ETAMin, t.st.open[f.Service]
		if officePaused || !e.inHoursNow.open[f.Service] {
			r.OpenCounters = 0
		}
		r.Paused, r.Reason, r.Refused = f.Queue.Paused, f.Queue.Reason, f.Queue.Refused
	}
	l.OpenCounters, l.At = open, t.now
	p, paused := t.st.pauses[""]
	l.Paused, l.Reason, l.Alert = paused, p.Reason, paused && p.IsAlert()
	l.ClockUnset = e.clockUnset(t.now)
}

// clockUnset reports whether the engine issues no ticket for its clock now,
// without believing it meanwhile (clockOK). Only the engine's goroutine
// calls it.
func (e *Engine) clockUnset(now time.Time) bool {
	return !clockValid(now) || !e.distrust.IsZero()
}

// Pending returns up to max committed events after seq after (and after
// what was acknowledged), oldest first: the publisher sends them to
// {root}/events, and announces the calls among them.
func (e *Engine) Pending(after uint64, max int) ([]Event, error) {
	evs, err := e.Replay(maxU64(after, e.acked.Load())+1, max)
	if err != nil {
		return nil, fmt.Errorf("queue: pending events: %w", err)
	}
	return evs, nil
}

// Ack marks the events up to and including seq as taken by the broker:
// Pending no longer returns them. The mark rides on the engine's next write
// transaction (or its timer within 20 seconds, or Close), so that
// acknowledging costs no fsync of its own; after a power cut in between a
// few events are sent again, which receivers tell by their seq.
func (e *Engine) Ack(seq uint64) {
	for {
		old := e.acked.Load()
		if seq <= old || e.acked.CompareAndSwap(old, seq) {
			break
		}
	}
	if n := e.ackNudged.Load(); seq >= n+ackEvery && e.ackNudged.CompareAndSwap(n, seq) {
		select {
		case e.ackDue <- struct{}{}:
		default:
		}
	}
}

// Acked is the seq of the latest event the broker acknowledged: of this
// run, or as the store kept it from the one before.
func (e *Engine) Acked() uint64 { return e.acked.Load() }

// ackEvery is how many acknowledged events may go unstored when nothing
// else is written: sent again after a crash, they cost an integration a
// few duplicates (it drops what it has seen), and storing them costs a
// commit each time. (A var for the tests.)
var ackEvery uint64 = 2048

// storeAck writes the acknowledged seq, if it moved.
func (t *txn) storeAck() {
	if upto := t.e.acked.Load(); upto > t.e.ackStored {
		t.fail(t.tx.Bucket(bucketMeta).Put(keyPublished, u64(upto)))
		t.acked = upto // the engine's once committed
	}
}

// Replay returns the events from seq on (at most max), for an integration
// that was offline.
func (e *Engine) Replay(from uint64, max int) ([]Event, error) {
	return e.ReplayBytes(from, max, 0)
}

// ReplayBytes is Replay that stops reading, when bytes is above 0, at the
// first event that brings what it read to more than bytes of stored JSON:
// an answer of a size limit does not decode thousands it cannot carry.
func (e *Engine) ReplayBytes(from uint64, max, bytes int) ([]Event, error) {
	var evs []Event
	read := 0
	err := e.view(func(tx *bolt.Tx) error {
		c := eventsCursor(tx)
		// An integration that asks for events that are gone is told so,
		// rather than handed the later ones as if none were missing.
		if k, _ := c.First(); from > 0 && k != nil && from < beU64(k) {
			return &PrunedError{First: beU64(k)}
		}
		// Nor is one asking past the next event told it is up to date.
		// Only what a commit that returned holds is given: the meta page
		// of the one under way may not be synced yet.
		last := min(beU64(tx.Bucket(bucketMeta).Get(keyEventSeq)), e.durable.Load())
		if from > last+1 {
			return &AheadError{From: from, Last: last}
		}
		for k, v := c.Seek(u64(from)); k != nil && beU64(k) <= last && len(evs) < max && (bytes <= 0 || read <= bytes); k, v = c.Next() {
			read += len(v)
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return fmt.Errorf("event %x: %w", k, err)
			}
			evs = append(evs, ev)
		}
		return nil
	})
	return evs, err
}

// migrateOutbox drops the outbox bucket of a file written before events
// became the outbox: what it still held unpublished is published again
// from the events.
func migrateOutbox(tx *bolt.Tx) error {
	b := tx.Bucket(bucketOldOutbox)
	if b == nil {
		return nil
	}
	if k, _ := b.Cursor().First(); k == nil {
		if n := tx.Bucket(bucketOldNumbers); n != nil && fenced(n) {
			// Made by a release the fence turned away (migrateTickets),
			// before it read the fence: it says nothing of what was
			// published.
			return tx.DeleteBucket(bucketOldOutbox)
		}
	}
	meta := tx.Bucket(bucketMeta)
	published := beU64(meta.Get(keyEventSeq))
	err := b.ForEach(func(k, v []byte) error {
		var o struct {
			Event *struct {
				Seq uint64 `json:"seq"`
			} `json:"event"`
		}
		if json.Unmarshal(v, &o) == nil && o.Event != nil && o.Event.Seq > 0 {
			published = min(published, o.Event.Seq-1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := meta.Put(keyPublished, u64(published)); err != nil {
		return err
	}
	return tx.DeleteBucket(bucketOldOutbox)
}

// migrateTickets drops the tickets and numbers buckets of a file written
// before the events became the record of the tickets: the events hold every
// state of every ticket, and the numbering follows from today's tickets.
// It leaves the fence in their place (fenceKey), in every store: one
// migrated before there was a fence, one a later release migrated again
// (they drop it), and a new one, which those releases would misread as
// much.
func migrateTickets(tx *bolt.Tx) error {
	if tx.Bucket(bucketOldTickets) != nil {
		// An older release's, or the empty one a release the fence
		// turned away made before it read the fence.
		if err := tx.DeleteBucket(bucketOldTickets); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketOldNumbers); b != nil && !fenced(b) {
		if err := tx.DeleteBucket(bucketOldNumbers); err != nil {
			return err
		}
	}
	b, err := tx.CreateBucketIfNotExists(bucketOldNumbers)
	if err != nil || fenced(b) {
		return err
	}
	return b.Put(fenceKey, fenceValue)
}

// fenced reports whether b holds the fence and nothing else.
func fenced(b *bolt.Bucket) bool {
	c := b.Cursor()
	k, v := c.First()
	if !bytes.Equal(k, fenceKey) || !bytes.Equal(v, fenceValue) {
		return false
	}
	k, _ = c.Next()
	return k == nil
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Snapshot is the office as it stands: what the retained topics say now.
type Snapshot struct {
	Day string `json:"day"`
	// Seq is the seq of the last event the snapshot holds: an integration
	// applies the events after it, and none before.
	Seq    uint64          `json:"seq"`
	Boards []display.Board `json:"counters"` // in the configuration's order
	// Boxes are the counters as their button boxes see them
	// ({root}/counter/{c}/state): the ticket at each and its state, which
	// the boards do not tell (a call settles to serving on the board, and
	// the office's pause shows no ticket).
	Boxes  []BoxState `json:"counter_states"` // likewise
	Queues []Figures  `json:"queues"`         // likewise
	// Pauses are the pauses in force (Engine.Pauses), read with the rest.
	Pauses map[string]Paused `json:"-"`
}

// Snapshot reads the office as it stands, for an administrator who asks
// (office.state) rather than follows the retained topics.
func (e *Engine) Snapshot(ctx context.Context) (Snapshot, error) {
	var s Snapshot
	err := e.do(ctx, true, func(t *txn) error {
		s.Day, s.Seq, s.Pauses = t.st.day, t.st.eventSeq, maps.Clone(t.st.pauses)
		for _, c := range e.cfg.Counters {
			if cs := t.st.counters[c.ID]; cs != nil {
				b := t.board(cs)
				s.Boards, s.Boxes = append(s.Boards, b), append(s.Boxes, t.box(cs, b))
			}
		}
		for _, svc := range e.cfg.Services {
			s.Queues = append(s.Queues, Figures{Service: svc.ID, Queue: t.figures(svc.ID)})
		}
		return nil
	})
	return s, err
}
