package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// Remote inputs: a kiosk or a counter button box that is not wired to the
// controller's own pins sends its presses over MQTT (docs/mqtt.md). The
// payloads come from devices cherga does not control, so they are checked
// strictly and every refusal says exactly why.

// MaxPayload is the largest remote press accepted; a button box has no
// reason to send more.
const MaxPayload = 1024

// KioskPress is the payload of {root}/kiosk/{kiosk}/press.
type KioskPress struct {
	Service  string `json:"service"`
	Priority bool   `json:"priority,omitempty"`
	// Category is the kind of priority (one of office.priority_categories):
	// the ticket is a priority one of that category.
	Category string `json:"category,omitempty"`
	// ID, from a screen kiosk, comes back in the press's answer so that
	// the kiosk knows which press it answers (1..64 characters).
	ID string `json:"id,omitempty"`
}

// CounterCmd is the payload of {root}/counter/{counter}/cmd.
type CounterCmd struct {
	Action string `json:"action"`
	// To is the service of a transfer.
	To string `json:"to,omitempty"`
	// ToCounter optionally sends a transfer to one counter.
	ToCounter string `json:"to_counter,omitempty"`
	// Ticket is the label of the ticket a call action calls (А023).
	Ticket string `json:"ticket,omitempty"`
	// ID, when the box gives one (1..64 characters), makes the command
	// act once however often it is delivered.
	ID string `json:"id,omitempty"`
}

// Rating is the payload of {root}/counter/{counter}/rating: the citizen's
// score of the visit that just ended.
type Rating struct {
	Score int `json:"score"`
}

// CounterActions are the actions a counter command may carry.
var CounterActions = []string{"next", "recall", "serve", "noshow", "done", "transfer", "call", "pause", "resume"}

// DecodeKioskPress decodes and checks a kiosk press.
func DecodeKioskPress(b []byte) (KioskPress, error) {
	var p KioskPress
	if err := decodeObject(b, &p); err != nil {
		return p, err
	}
	if p.Service == "" {
		return p, fmt.Errorf("%w: \"service\" is missing", ErrBadPayload)
	}
	return p, CheckID(p.ID)
}

// CheckID checks the id of an input.
func CheckID(id string) error {
	if n := utf8.RuneCountInString(id); n > 64 {
		return fmt.Errorf("%w: \"id\" is %d characters, at most 64", ErrBadPayload, n)
	}
	return nil
}

// DecodeCounterCmd decodes and checks a counter command.
func DecodeCounterCmd(b []byte) (CounterCmd, error) {
	var c CounterCmd
	if err := decodeObject(b, &c); err != nil {
		return c, err
	}
	known := false
	for _, a := range CounterActions {
		known = known || a == c.Action
	}
	switch {
	case c.Action == "":
		return c, fmt.Errorf("%w: \"action\" is missing", ErrBadPayload)
	case !known:
		return c, fmt.Errorf("%w: unknown action %q (want one of next, recall, serve, noshow, done, transfer, call, pause, resume)", ErrBadPayload, c.Action)
	case c.Action == "transfer" && c.To == "":
		return c, ErrNoTransferTo
	case c.Action != "transfer" && (c.To != "" || c.ToCounter != ""):
		return c, fmt.Errorf("%w: \"to\" and \"to_counter\" are only for transfer", ErrBadPayload)
	case c.Action == "call" && c.Ticket == "":
		return c, ErrNoCallTicket
	case c.Action != "call" && c.Ticket != "":
		return c, fmt.Errorf("%w: \"ticket\" is only for call", ErrBadPayload)
	}
	return c, CheckID(c.ID)
}

// DecodeRating decodes and checks a rating.
func DecodeRating(b []byte) (Rating, error) {
	var in struct {
		Score *int `json:"score"` // nil: missing, or null
	}
	if err := decodeObject(b, &in); err != nil {
		return Rating{}, err
	}
	switch {
	case in.Score == nil:
		return Rating{}, fmt.Errorf("%w, and it is missing", ErrBadScore)
	case *in.Score < 1 || *in.Score > 5:
		return Rating{}, fmt.Errorf("%w, got %d", ErrBadScore, *in.Score)
	}
	return Rating{Score: *in.Score}, nil
}

func decodeObject(b []byte, v any) error {
	if len(b) > MaxPayload {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadPayload, len(b), MaxPayload)
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: not UTF-8", ErrBadPayload)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return fmt.Errorf("%w: empty, want a JSON object", ErrBadPayload)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: a JSON object is wanted, not %s", ErrBadPayload, te.Value)
		}
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if obj == nil {
		return fmt.Errorf("%w: null, want a JSON object", ErrBadPayload)
	}
	// Nothing may follow the object, not even a stray ] or }.
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: something follows the JSON object", ErrBadPayload)
	}
	// encoding/json matches member names regardless of case: an unknown
	// "ACTION" would stand in for "action". Only the exact names are read.
	names := JSONNames(v)
	for name := range obj {
		if !slices.Contains(names, name) {
			delete(obj, name)
		}
	}
	exact, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if err := json.Unmarshal(exact, v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	return nil
}

// JSONNames are the JSON member names of the fields of the struct v points
// to, in order: the only names a strict decoder reads, since encoding/json
// matches names regardless of case.
func JSONNames(v any) []string {
	var names []string
	for name := range JSONFields(reflect.TypeOf(v).Elem()) {
		names = append(names, name)
	}
	return names
}

// JSONFields yields the JSON member name and type of each field of struct
// type t that JSON reads, in order.
func JSONFields(t reflect.Type) iter.Seq2[string, reflect.Type] {
	return func(yield func(string, reflect.Type) bool) {
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				if !yield(name, f.Type) {
					return
				}
			}
		}
	}
}
