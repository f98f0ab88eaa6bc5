package queue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
)

var (
	bucketMeta     = []byte("meta")
	bucketTickets  = []byte("tickets")
	bucketNumbers  = []byte("numbers")
	bucketCounters = []byte("counters")
	bucketOutbox   = []byte("outbox")
	bucketEvents   = []byte("events")

	keyDay      = []byte("day")
	keyEventSeq = []byte("event_seq")
)

func initBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bucketMeta, bucketTickets, bucketNumbers, bucketCounters, bucketOutbox, bucketEvents} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// state is the in-memory image of today's part of the store. It is derived
// from the store on open (reload) and changed only together with the store.
type state struct {
	day      string
	eventSeq uint64
	tickets  map[uint64]*Ticket   // today's tickets
	waiting  map[string][]*Ticket // service → waiting tickets in call order
	numbers  map[string]int       // service → last number issued today
	counters map[string]*counterState
	hall     *display.Hall
	// lastCalled is the label each service called last, for its queue figures.
	lastCalled map[string]string
}

type counterState struct {
	id      string
	paused  bool
	current *Ticket // called or serving at this counter
}

// persisted part of a counter.
type counterRecord struct {
	Paused bool `json:"paused"`
}

type numberRecord struct {
	Day string `json:"day"`
	N   int    `json:"n"`
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// reload rebuilds the state from the store.
func (e *Engine) reload() error {
	st := &state{
		tickets:    map[uint64]*Ticket{},
		waiting:    map[string][]*Ticket{},
		numbers:    map[string]int{},
		counters:   map[string]*counterState{},
		hall:       display.NewHall(&display.HallOpts{Size: e.cfg.Office.HallSize}),
		lastCalled: map[string]string{},
	}
	for _, c := range e.cfg.Counters {
		st.counters[c.ID] = &counterState{id: c.ID}
	}
	err := e.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		st.day = string(meta.Get(keyDay))
		if v := meta.Get(keyEventSeq); len(v) == 8 {
			st.eventSeq = binary.BigEndian.Uint64(v)
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
		err = tx.Bucket(bucketNumbers).ForEach(func(k, v []byte) error {
			var r numberRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("number %s: %w", k, err)
			}
			if r.Day == st.day {
				st.numbers[string(k)] = r.N
			}
			return nil
		})
		if err != nil {
			return err
		}
		day := tx.Bucket(bucketTickets).Bucket([]byte(st.day))
		if day == nil {
			return nil
		}
		return day.ForEach(func(k, v []byte) error {
			t := &Ticket{}
			if err := json.Unmarshal(v, t); err != nil {
				return fmt.Errorf("ticket %x: %w", k, err)
			}
			st.tickets[t.ID] = t
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("queue: load %s: %w", e.db.Path(), err)
	}
	// Derive the queues, the counters' current tickets and the hall.
	var called []*Ticket
	for _, t := range st.tickets {
		switch t.State {
		case Waiting:
			st.waiting[t.Service] = append(st.waiting[t.Service], t)
		case Called, Serving:
			if c := st.counters[t.Counter]; c != nil && (c.current == nil || c.current.Called.Before(t.Called)) {
				c.current = t
			}
		}
		if !t.Called.IsZero() {
			called = append(called, t)
		}
	}
	for _, q := range st.waiting {
		sort.Slice(q, func(i, j int) bool { return before(q[i], q[j]) })
	}
	sort.Slice(called, func(i, j int) bool { return called[i].Called.Before(called[j].Called) })
	for _, t := range called {
		st.hall.Call(t.Label, t.Counter, t.Called)
		st.lastCalled[t.Service] = t.Label
	}
	e.st = st
	return nil
}

// before is the call order within one service: priority tickets first, then
// by arrival (a transferred ticket keeps its original arrival).
func before(a, b *Ticket) bool {
	if a.Priority != b.Priority {
		return a.Priority
	}
	if !a.Issued.Equal(b.Issued) {
		return a.Issued.Before(b.Issued)
	}
	return a.ID < b.ID
}
