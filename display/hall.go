package display

import (
	"slices"
	"time"
)

// DefaultHallSize is how many calls the hall board shows when HallOpts.Size is
// not set: the rows of a common hall LED panel.
const DefaultHallSize = 8

// HallOpts configures a Hall.
type HallOpts struct {
	// Size is the most calls the hall board shows; 0 or less means
	// DefaultHallSize.
	Size int `yaml:"size"`
}

// DefaultHallOpts are the options NewHall uses for nil.
var DefaultHallOpts = HallOpts{Size: DefaultHallSize}

// HallCall is one row of the hall board.
type HallCall struct {
	Ticket  string    `json:"ticket"`
	Counter string    `json:"counter"`
	At      time.Time `json:"at"`
}

// hallCallJSON is HallCall on the wire: the time formatted by formatTime.
type hallCallJSON struct {
	Ticket  string `json:"ticket"`
	Counter string `json:"counter"`
	At      string `json:"at,omitempty"`
}

// MarshalJSON writes the time as RFC 3339 with a numeric offset.
func (c HallCall) MarshalJSON() ([]byte, error) {
	return marshal(hallCallJSON{Ticket: c.Ticket, Counter: c.Counter, At: formatTime(c.At)}), nil
}

// Hall is the hall board: the latest calls, newest first, each ticket and each
// counter at most once. The zero value is an empty hall of DefaultHallSize.
// A Hall is not safe for concurrent use.
type Hall struct {
	size  int
	calls []HallCall
}

// NewHall returns an empty hall board; nil opts means DefaultHallOpts.
func NewHall(opts *HallOpts) *Hall {
	if opts == nil {
		opts = &DefaultHallOpts
	}
	return &Hall{size: opts.Size}
}

// Call puts a call of ticket to counter on top. An older row of the same
// ticket goes, so a recall moves the ticket up instead of showing it twice,
// and so does an older row of the same counter, which now serves someone
// else. The oldest rows beyond the size drop off.
func (h *Hall) Call(ticket, counter string, at time.Time) {
	h.calls = slices.DeleteFunc(h.calls, func(c HallCall) bool {
		return c.Ticket == ticket || c.Counter == counter
	})
	h.calls = slices.Insert(h.calls, 0, HallCall{Ticket: ticket, Counter: counter, At: at})
	if n := h.Size(); len(h.calls) > n {
		clear(h.calls[n:])
		h.calls = h.calls[:n]
	}
}

// Drop takes away the rows drop picks, such as a ticket's transferred
// elsewhere, which is no longer called to its counter. It reports
// whether any went.
func (h *Hall) Drop(drop func(HallCall) bool) bool {
	n := len(h.calls)
	h.calls = slices.DeleteFunc(h.calls, drop)
	return len(h.calls) < n
}

// Size returns the most calls the hall shows.
func (h *Hall) Size() int {
	if h.size <= 0 {
		return DefaultHallSize
	}
	return h.size
}

// Calls returns a copy of the rows, newest first.
func (h *Hall) Calls() []HallCall {
	return slices.Clone(h.calls)
}

// HallPause is what the hall board says of the office's pause: the zero
// value while the office works.
type HallPause struct {
	// Paused: an administrator paused the office; Alert: for an air-raid
	// alert (queue.Paused.IsAlert).
	Paused, Alert bool
}

// The hall's message while the office is paused, Ukrainian / English: an
// alert sends everyone to the shelter, any other pause keeps them waiting.
const (
	hallAlertMessage = "Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter."
	hallPauseMessage = "Прийом тимчасово призупинено. Ваше місце в черзі збережено. / Service is temporarily suspended. Your place in the queue is kept."
)

// Message is the hall's bilingual message for the pause, "" while the
// office works.
func (p HallPause) Message() string {
	switch {
	case p.Paused && p.Alert:
		return hallAlertMessage
	case p.Paused:
		return hallPauseMessage
	}
	return ""
}

// hallJSON is the payload of {root}/hall.
type hallJSON struct {
	Calls   []HallCall `json:"calls"`
	Paused  bool       `json:"paused,omitempty"`
	Alert   bool       `json:"alert,omitempty"`
	Message string     `json:"message,omitempty"`
}

// HallJSON returns the payload of {root}/hall: {"calls":[...]}, newest
// first, with an empty list rather than null when nobody has been called;
// while the office is paused, also "paused":true, "alert":true for an
// air-raid alert, and the message for the hall. The calls stay: the
// citizens called before the pause are still the counters' ones.
func HallJSON(calls []HallCall, p HallPause) []byte {
	if calls == nil {
		calls = []HallCall{}
	}
	return marshal(hallJSON{Calls: calls, Paused: p.Paused, Alert: p.Paused && p.Alert, Message: p.Message()})
}

// Marshal returns the payload of {root}/hall of an office that works:
// HallJSON of the calls.
func (h *Hall) Marshal() []byte { return HallJSON(h.calls, HallPause{}) }

// MarshalJSON makes json.Marshal write the same value as Marshal (json.Marshal
// escapes &, < and > on top).
func (h *Hall) MarshalJSON() ([]byte, error) { return h.Marshal(), nil }
