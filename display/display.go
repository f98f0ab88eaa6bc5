package display

import (
	"bytes"
	"encoding/json"
	"time"
)

// State is what a counter board shows.
type State string

const (
	// Calling: a ticket has been called to the counter and the citizen is on
	// the way; boards blink.
	Calling State = "calling"
	// Serving: the citizen called is at the counter.
	Serving State = "serving"
	// Idle: the counter is open and nobody is called.
	Idle State = "idle"
	// Closed: the counter is not calling: outside the hours of its
	// services, paused (its specialist's break; the administrator's
	// counter.close is the same pause), or the office is paused. The flags
	// Paused, OfficePaused and Alert tell which to a citizen.
	Closed State = "closed"
)

// closedText is the plain-text board of a closed counter, in Ukrainian: a
// one-line board has room for one language and the citizens read Ukrainian.
// A citizen reads "closed" as closed for the day and goes home, so a board
// whose queue is kept says otherwise: breakText while its specialist is on
// a break or the office is paused for something else than an alert (a
// meeting, a technical break: the hall board says the queue is kept), and
// alertText while the office is paused for an air-raid alert (the queue is
// kept for the all-clear). Each fits a board sized for "А023 → 5".
const (
	closedText = "Зачинено"
	breakText  = "Перерва"
	alertText  = "Тривога"
)

// Board is the state of the board above one counter, the retained payload of
// {root}/board/{counter}.
type Board struct {
	Counter string `json:"counter"`
	// Ticket and Service are left out of the payload when State is Idle or
	// Closed, whatever they hold, so a board never shows a stale ticket.
	Ticket  string `json:"ticket,omitempty"`
	Service string `json:"service,omitempty"`
	State   State  `json:"state"`
	// Paused: the counter's specialist paused it (a break); it shows
	// Closed once its ticket, if any, is finished. For its button box.
	Paused bool `json:"paused,omitempty"`
	// OfficePaused: an administrator paused the whole office (any pause,
	// an alert too). The board is Closed and says «Перерва», not
	// «Зачинено»: the queue is kept.
	OfficePaused bool `json:"office_paused,omitempty"`
	// Alert: the office is paused for an air-raid alert. The board is
	// Closed (lamps and boxes key on the state) and says «Тривога».
	Alert bool `json:"alert,omitempty"`
	// OffHours: outside the hours of every service of the counter (before
	// opening, after closing, a holiday). The board says «Зачинено»
	// whatever the pauses: a break or a pause left on overnight keeps no
	// queue for anyone.
	OffHours bool      `json:"off_hours,omitempty"`
	At       time.Time `json:"at"`
}

// onBreak reports whether the board is closed for a pause that keeps the
// queue (the specialist's break, an office pause that is no alert) and
// says «Перерва».
func (b Board) onBreak() bool {
	return b.State == Closed && !b.Alert && !b.OffHours && (b.Paused || b.OfficePaused)
}

// boardFields are Board's fields without its methods (MarshalJSON).
type boardFields Board

// boardJSON is Board on the wire: its fields, the time formatted by
// formatTime (the shallower At wins over Board's).
type boardJSON struct {
	boardFields
	At string `json:"at,omitempty"`
}

// JSON returns the payload of {root}/board/{counter}.
func (b Board) JSON() []byte {
	w := boardJSON{boardFields: boardFields(b), At: formatTime(b.At)}
	if b.State == Idle || b.State == Closed {
		w.Ticket, w.Service = "", ""
	}
	return marshal(w)
}

// MarshalJSON makes json.Marshal write the same value as JSON (json.Marshal
// escapes &, < and > on top).
func (b Board) MarshalJSON() ([]byte, error) { return b.JSON(), nil }

// Text returns the payload of {root}/board/{counter}/text: "А023 → 5" while a
// ticket is called or served, the counter id when idle, "Зачинено" when closed,
// "Перерва" when closed for the counter's own pause or an office pause that is
// not an alert (a citizen would read "closed" as for the day), "Тривога" when
// closed for an air-raid alert. It is never empty: an empty retained message
// would delete the board's state.
func (b Board) Text() string {
	switch b.State {
	case Closed:
		switch {
		case b.Alert:
			return alertText
		case b.onBreak():
			return breakText
		}
		return closedText
	case Calling, Serving:
		if b.Ticket != "" {
			return b.Ticket + " → " + b.Counter
		}
	}
	if b.Counter == "" {
		return "—"
	}
	return b.Counter
}

// timeLayout is RFC 3339 to the second with a numeric offset even for UTC, so
// every timestamp has the same length.
const timeLayout = "2006-01-02T15:04:05-07:00"

// formatTime writes t in its own location, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(timeLayout)
}

// marshal encodes v without HTML escaping: "&" in a service name stays "&" for
// the small parsers of the boards, instead of becoming "\u0026".
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// The payload types hold only strings, numbers and slices of them,
		// which always encode.
		panic("display: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
