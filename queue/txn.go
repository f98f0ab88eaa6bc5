package queue

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
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
	outs  int

	dirtyQueues map[string]bool
	dirtyLoad   bool
}

func newTxn(e *Engine, tx *bolt.Tx) *txn {
	return &txn{e: e, st: e.st, tx: tx, now: e.opts.Now(), dirtyQueues: map[string]bool{}}
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

// out appends a message to the outbox.
func (t *txn) out(o Out) {
	b := t.tx.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		t.fail(err)
		return
	}
	t.put(bucketOutbox, u64(seq), o)
	t.outs++
}

// event records a lifecycle event and queues it for {root}/events.
func (t *txn) event(typ string, tk *Ticket, counter, reason string) uint64 {
	t.st.eventSeq++
	ev := &Event{Seq: t.st.eventSeq, Type: typ, At: t.now, Counter: counter, Reason: reason}
	if tk != nil {
		cp := *tk
		ev.Ticket = &cp
	}
	t.put(bucketEvents, u64(ev.Seq), ev)
	t.out(Out{Event: ev})
	return ev.Seq
}

// saveTicket writes a ticket under its day.
func (t *txn) saveTicket(tk *Ticket) {
	day, err := t.tx.Bucket(bucketTickets).CreateBucketIfNotExists([]byte(tk.Day))
	if err != nil {
		t.fail(err)
		return
	}
	b, err := json.Marshal(tk)
	if err != nil {
		t.fail(err)
		return
	}
	t.fail(day.Put(u64(tk.ID), b))
}

func (t *txn) saveCounter(c *counterState) {
	t.put(bucketCounters, []byte(c.id), counterRecord{Paused: c.paused})
}

// board publishes the state of one counter's board.
func (t *txn) board(c *counterState) {
	b := &display.Board{Counter: c.id, State: display.Idle, At: t.now}
	switch {
	case c.current != nil:
		b.State = display.Calling
		if c.current.State == Serving {
			b.State = display.Serving
		}
		b.Ticket = c.current.Label
		b.Service = t.e.cfg.Service(c.current.Service).Name
	case c.paused:
		b.State = display.Closed
	}
	t.out(Out{Board: b})
}

// call announces the counter's current ticket and puts it on the hall board.
func (t *txn) call(c *counterState, recall bool, id uint64) {
	tk := c.current
	t.st.hall.Call(tk.Label, c.id, t.now)
	t.out(Out{Hall: &Hall{Calls: t.st.hall.Calls()}})
	t.out(Out{Call: &Call{
		ID:      strconv.FormatUint(id, 10),
		Ticket:  tk.Label,
		Service: tk.Service,
		Counter: c.id,
		Kind:    t.e.cfg.Counter(c.id).Kind,
		Recall:  recall,
		At:      t.now,
	}})
}

// changed marks a service's queue figures and the office load for
// publishing once at the end of the batch.
func (t *txn) changed(service string) {
	t.dirtyQueues[service] = true
	t.dirtyLoad = true
}

// finish writes what a batch accumulated: metadata and coalesced figures.
func (t *txn) finish() {
	if t.fatal != nil {
		return
	}
	services := make([]string, 0, len(t.dirtyQueues))
	for s := range t.dirtyQueues {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		q := t.figures(s)
		t.out(Out{Queue: &Figures{Service: s, Queue: q}})
	}
	if t.dirtyLoad {
		t.out(Out{Load: t.load()})
	}
	meta := t.tx.Bucket(bucketMeta)
	t.fail(meta.Put(keyEventSeq, u64(t.st.eventSeq)))
	t.fail(meta.Put(keyDay, []byte(t.st.day)))
}

// openCounters counts the counters that serve a service and are not paused.
func (t *txn) openCounters(service string) int {
	n := 0
	for _, c := range t.e.cfg.Counters {
		if t.st.counters[c.ID].paused {
			continue
		}
		for _, s := range c.Services {
			if s == service {
				n++
				break
			}
		}
	}
	return n
}

// wait estimates the wait of someone with ahead people before them.
func (t *txn) wait(svc *config.Service, ahead int) time.Duration {
	open := t.openCounters(svc.ID)
	if open == 0 {
		open = 1
	}
	per := time.Duration(svc.AvgServiceMin * float64(time.Minute))
	return time.Duration(math.Ceil(float64(ahead)/float64(open))) * per
}

func (t *txn) figures(service string) display.Queue {
	svc := t.e.cfg.Service(service)
	n := len(t.st.waiting[service])
	return display.Queue{
		Waiting:    n,
		ETAMin:     int(math.Ceil(t.wait(svc, n).Minutes())),
		LastCalled: t.st.lastCalled[service],
	}
}

func (t *txn) load() *display.Load {
	l := &display.Load{At: t.now}
	for _, svc := range t.e.cfg.Services {
		q := t.figures(svc.ID)
		open := t.openCounters(svc.ID)
		l.Waiting += q.Waiting
		l.Services = append(l.Services, display.LoadService{
			Service: svc.ID, Name: svc.Name, Waiting: q.Waiting, ETAMin: q.ETAMin, OpenCounters: open,
		})
	}
	for _, c := range t.e.cfg.Counters {
		if !t.st.counters[c.ID].paused {
			l.OpenCounters++
		}
	}
	return l
}
