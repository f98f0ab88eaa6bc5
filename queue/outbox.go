package queue

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/display"
)

// Out is one outgoing message as the engine committed it; exactly one field
// is set. The publisher turns it into MQTT topics and payloads, so the queue
// knows nothing of topics.
type Out struct {
	Seq   uint64         `json:"-"`
	Board *display.Board `json:"board,omitempty"`
	Hall  *Hall          `json:"hall,omitempty"`
	Queue *Figures       `json:"queue,omitempty"`
	Load  *display.Load  `json:"load,omitempty"`
	Call  *Call          `json:"call,omitempty"`
	Event *Event         `json:"event,omitempty"`
}

// Hall is the hall board: the latest calls, newest first.
type Hall struct {
	Calls []display.HallCall `json:"calls"`
}

// Figures are the published figures of one service's queue.
type Figures struct {
	Service string        `json:"service"`
	Queue   display.Queue `json:"queue"`
}

// Call is one announcement: a ticket called (or recalled) to a counter.
type Call struct {
	// ID is unique per call; a recall has its own.
	ID      string    `json:"id"`
	Ticket  string    `json:"ticket"`
	Service string    `json:"service"`
	Counter string    `json:"counter"`
	Kind    string    `json:"kind"` // window or cabinet
	Recall  bool      `json:"recall,omitempty"`
	At      time.Time `json:"at"`
}

// Event is one ticket lifecycle event of the {root}/events stream. Seq has
// no gaps: an integration that missed some asks for a replay from a seq.
type Event struct {
	Seq     uint64    `json:"seq"`
	Type    string    `json:"type"`
	At      time.Time `json:"at"`
	Ticket  *Ticket   `json:"ticket,omitempty"`
	Counter string    `json:"counter,omitempty"`
	Reason  string    `json:"reason,omitempty"`
}

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
	EvPaused      = "counter.paused"
	EvResumed     = "counter.resumed"
	EvDayStarted  = "day.started"
)

// Notify receives a value whenever the outbox may hold new messages.
func (e *Engine) Notify() <-chan struct{} { return e.notify }

// Pending returns up to max messages of the outbox that come after seq
// after, oldest first.
func (e *Engine) Pending(after uint64, max int) ([]Out, error) {
	after = maxU64(after, e.acked.Load())
	var outs []Out
	err := e.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(outs) < max; k, v = c.Next() {
			var o Out
			if err := json.Unmarshal(v, &o); err != nil {
				return fmt.Errorf("outbox %x: %w", k, err)
			}
			o.Seq = binary.BigEndian.Uint64(k)
			outs = append(outs, o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: outbox: %w", err)
	}
	return outs, nil
}

// Ack marks the messages up to and including seq as taken by the broker:
// Pending no longer returns them. Their deletion rides on the engine's next
// write transaction (or its timer within 20 seconds, or Close), so that
// acknowledging costs no fsync of its own; after a power cut in between,
// they are sent again, which receivers tell by the event seq and call id.
func (e *Engine) Ack(seq uint64) {
	for {
		old := e.acked.Load()
		if seq <= old || e.acked.CompareAndSwap(old, seq) {
			return
		}
	}
}

// dropAcked deletes the acknowledged messages from the outbox.
func (t *txn) dropAcked() {
	upto := t.e.acked.Load()
	if upto <= t.e.dropped {
		return
	}
	c := t.tx.Bucket(bucketOutbox).Cursor()
	end := u64(upto)
	for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			t.fail(err)
			return
		}
	}
	t.dropped = upto // the engine's once committed
}

// Replay returns the events from seq on (at most max), for an integration
// that was offline.
func (e *Engine) Replay(from uint64, max int) ([]Event, error) {
	var evs []Event
	err := e.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && len(evs) < max; k, v = c.Next() {
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

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
