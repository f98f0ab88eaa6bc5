package queue

import (
	"cmp"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/cherga/cherga/display"
)

// State is where a ticket is in its life.
type State string

// The states of a ticket. Done, NoShow, Voided and Expired are terminal.
const (
	Waiting State = "waiting" // issued, in the queue
	Called  State = "called"  // called to a counter (recalls stay here)
	Serving State = "serving" // the citizen came to the counter
	Done    State = "done"
	NoShow  State = "noshow"
	Voided  State = "voided"  // never called: its print failed or an administrator voided it
	Expired State = "expired" // still waiting when the business day ended
)

// transitions lists every legal move. A transfer goes from Called or Serving
// back to Waiting in another service; a citizen who came to the counter
// (Serving) is no no-show.
var transitions = map[State][]State{
	Waiting: {Called, Voided, Expired},
	Called:  {Called, Serving, Done, NoShow, Waiting, Expired},
	Serving: {Done, Waiting, Expired},
}

// KnownState reports whether s is one of the states.
func KnownState(s State) bool {
	switch s {
	case Waiting, Called, Serving, Done, NoShow, Voided, Expired:
		return true
	}
	return false
}

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool { return len(transitions[s]) == 0 }

func canMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Ticket is one citizen's place in a queue. ID is unique for the life of the
// database; Label (А023) is what is printed and said, unique per service and
// business day.
type Ticket struct {
	ID       uint64    `json:"id"`
	Label    string    `json:"label"`
	Service  string    `json:"service"`
	Day      string    `json:"day"`
	Number   int       `json:"number"`
	Kiosk    string    `json:"kiosk,omitempty"`
	Priority bool      `json:"priority,omitempty"`
	Category string    `json:"category,omitempty"`
	State    State     `json:"state"`
	Issued   time.Time `json:"issued"`
	Called   time.Time `json:"called,omitzero"`
	Ended    time.Time `json:"ended,omitzero"`
	Counter  string    `json:"counter,omitempty"`
	Recalls  int       `json:"recalls,omitempty"`
	// From is the service a transferred ticket came from; Origin the
	// service it was issued for (set at its first transfer).
	From      string `json:"from,omitempty"`
	Origin    string `json:"origin,omitempty"`
	Transfers int    `json:"transfers,omitempty"`
	// ForCounter holds a waiting ticket for one counter: it was
	// transferred to that counter, or sent back to it after a no-show.
	// NotBefore is when it may be called again (the no-show grace).
	ForCounter string    `json:"for_counter,omitempty"`
	NotBefore  time.Time `json:"not_before,omitzero"`
	// Returned says the ticket already came back once after a no-show.
	Returned bool `json:"returned,omitempty"`
	// Rating is the citizen's score of the service, 1..5 (0: none).
	Rating int    `json:"rating,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Appointment is the id of the booking whose citizen checked in
	// with it (IssueRequest.Appointment).
	Appointment uint64 `json:"appointment,omitempty"`
}

// OriginService is the service the ticket was issued for.
func (t *Ticket) OriginService() string {
	if t.Origin != "" {
		return t.Origin
	}
	return t.Service
}

func (t *Ticket) move(to State) error {
	if !canMove(t.State, to) {
		return &TransitionError{Label: t.Label, From: t.State, To: to}
	}
	t.State = to
	return nil
}

// typed finds, among tickets, the one a label as someone typed it names
// (" а23 ", "A023" on an English keyboard: spaces and case do not count,
// nor leading zeros, and Latin letters that look like Cyrillic ones are
// taken for them), or nil. A label typed in Latin letters whose
// lookalike prefix no service prints (printed says which do) is taken as
// the English text writes a label (P003 for П003, Ts1 for Ц001:
// display.TransliterateLabel), as a specialist copies it from a ticket's
// or a screen's English line; one that two labels would write alike
// (Y001: И001 and Й001) names neither. After a wrap a label repeats: the
// waiting one is meant, else the latest. (Numbering skips a label still
// waiting or at a counter, so at most one of them is.)
func typed(label string, tickets iter.Seq[*Ticket], printed func(prefix string) bool) *Ticket {
	canon := canonLabel(label)
	latin := ""
	if prefix, _, _ := strings.Cut(canon, "|"); isASCII(label) && (printed == nil || !printed(prefix)) {
		latin = plainLabel(label)
	}
	var tk, tl *Ticket
	ambiguous := false
	for x := range tickets {
		switch {
		case canonLabel(x.Label) == canon:
			tk = meant(tk, x)
		case tk == nil && latin != "" && plainLabel(display.TransliterateLabel(x.Label)) == latin:
			ambiguous = ambiguous || tl != nil && tl.Label != x.Label
			tl = meant(tl, x)
		}
	}
	if tk == nil && ambiguous {
		return nil
	}
	return cmp.Or(tk, tl)
}

// meant is which of two tickets of one label a specialist means: the
// waiting one, else the latest (tk may be nil).
func meant(tk, x *Ticket) *Ticket {
	xw := x.State == Waiting
	if tk == nil || xw && tk.State != Waiting || xw == (tk.State == Waiting) && x.ID > tk.ID {
		return x
	}
	return tk
}

// lookalikes are the Latin capitals printed like Cyrillic ones.
var lookalikes = strings.NewReplacer("A", "А", "B", "В", "C", "С", "E", "Е", "H", "Н", "I", "І", "K", "К", "M", "М", "O", "О", "P", "Р", "T", "Т", "X", "Х")

func canonLabel(s string) string {
	return plainLabel(lookalikes.Replace(strings.ToUpper(s)))
}

// plainLabel is a label in capitals, without spaces, its prefix and its
// number without leading zeros apart.
func plainLabel(s string) string {
	s = strings.Join(strings.Fields(strings.ToUpper(s)), "")
	p := labelPrefix(s)
	return p + "|" + strings.TrimLeft(s[len(p):], "0")
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// FormatLabel builds the printed label of a number: prefix and the number
// zero-padded to width digits (А, 23, 3 → А023).
func FormatLabel(prefix string, n, width int) string {
	return fmt.Sprintf("%s%0*d", prefix, width, n)
}
