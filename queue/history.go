package queue

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The events are the record of the tickets: every change of a ticket is an
// event carrying the whole ticket as it is after the change, so a ticket is
// its latest event. A day's tickets are read from its events, from its
// day.started on (days bucket) to the next day's.

// dayTickets returns the tickets of a business day as its events left
// them, by id; ok is false when the store has no such day.
func dayTickets(tx *bolt.Tx, day string) (ts map[uint64]*Ticket, ok bool, err error) {
	return dayEvents(tx, day, nil)
}

// dayEvents is dayTickets that also hands each of the day's events to f,
// in order: its tickets' and those of no ticket (the pauses).
func dayEvents(tx *bolt.Tx, day string, f func(*eventRecord)) (ts map[uint64]*Ticket, ok bool, err error) {
	start := beU64(tx.Bucket(bucketDays).Get([]byte(day)))
	if start == 0 {
		return nil, false, nil
	}
	ts = map[uint64]*Ticket{}
	err = eachEvent(tx, start, func(ev *eventRecord) bool {
		if ev.Seq > start && ev.Type == EvDayStarted {
			return false
		}
		switch {
		case ev.Ticket != nil && ev.Ticket.Day == day:
			ts[ev.Ticket.ID] = ev.Ticket
		case ev.Ticket != nil:
			return true
		}
		if f != nil {
			f(ev)
		}
		return true
	})
	return ts, true, err
}

// eventRecord is an event as stored; only what reading the tickets needs
// is decoded.
type eventRecord struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Counter string    `json:"counter,omitempty"`
	Ticket  *Ticket   `json:"ticket,omitempty"`
	Alert   bool      `json:"alert,omitempty"`   // of office.paused
	Service string    `json:"service,omitempty"` // of press.refused, numbering.continued
	Reason  string    `json:"reason,omitempty"`
	Number  int       `json:"number,omitempty"` // of numbering.continued
}

// eachEvent calls f for the events from seq from on, in order, until f
// returns false.
func eachEvent(tx *bolt.Tx, from uint64, f func(*eventRecord) bool) error {
	c := eventsCursor(tx)
	for k, v := c.Seek(u64(from)); k != nil; k, v = c.Next() {
		ev := &eventRecord{}
		if err := json.Unmarshal(v, ev); err != nil {
			return fmt.Errorf("event %d: %w", beU64(k), err)
		}
		if !f(ev) {
			return nil
		}
	}
	return nil
}
