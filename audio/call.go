package audio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Call is one {root}/announce message (docs/mqtt.md): one call of a ticket
// to a counter in one language. The controller sends one message per
// language, sharing ID; a recall has Recall set and an ID of its own.
type Call struct {
	ID      string    `json:"id"`
	Ticket  string    `json:"ticket"`
	Counter string    `json:"counter"`
	Lang    string    `json:"lang"`
	Text    string    `json:"text"`
	Clips   []string  `json:"clips"`
	Recall  bool      `json:"recall,omitempty"`
	At      time.Time `json:"at"`
	// Sent is when the controller sent it (zero: an older controller),
	// by its clock, as At: how long it waited in the controller's outbox.
	Sent time.Time `json:"sent,omitzero"`
}

// Bounds of an announce payload ParseCall accepts: generous for any real
// call ("Щ9999" to "9999" is 16 clips), small enough that a hostile message
// costs nothing.
const (
	maxCallPayload = 8192
	maxCallClips   = 64
	maxCallField   = 64
)

// ParseCall decodes and checks an announce payload: one JSON object of at
// most 8 KiB with an id, a language of Announce, and 1 to 64 clip ids.
// Unknown fields are ignored, so a newer controller works with an older
// announcer. Errors wrap ErrCall.
func ParseCall(b []byte) (Call, error) {
	if len(b) > maxCallPayload {
		return Call{}, fmt.Errorf("%w: %d bytes (at most %d)", ErrCall, len(b), maxCallPayload)
	}
	if !utf8.Valid(b) {
		return Call{}, fmt.Errorf("%w: not valid UTF-8", ErrCall)
	}
	var c Call
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		return Call{}, fmt.Errorf("%w: %w", ErrCall, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Call{}, fmt.Errorf("%w: something follows the JSON object", ErrCall)
	}
	field := func(name, v string, required bool) error {
		if required && v == "" {
			return fmt.Errorf("%w: no %s", ErrCall, name)
		}
		if utf8.RuneCountInString(v) > maxCallField {
			return fmt.Errorf("%w: %s longer than %d characters", ErrCall, name, maxCallField)
		}
		return nil
	}
	for _, f := range []struct {
		name, v  string
		required bool
	}{{"id", c.ID, true}, {"ticket", c.Ticket, true}, {"counter", c.Counter, true}, {"lang", c.Lang, true}} {
		if err := field(f.name, f.v, f.required); err != nil {
			return Call{}, err
		}
	}
	if err := checkLang(c.Lang); err != nil {
		return Call{}, fmt.Errorf("%w: %w", ErrCall, err)
	}
	if len(c.Clips) == 0 || len(c.Clips) > maxCallClips {
		return Call{}, fmt.Errorf("%w: %d clips (want 1..%d)", ErrCall, len(c.Clips), maxCallClips)
	}
	for i, id := range c.Clips {
		if len(id) > maxCallField || !clipIDRe.MatchString(id) {
			return Call{}, fmt.Errorf("%w: clips[%d] %q is not a clip id", ErrCall, i, id)
		}
	}
	return c, nil
}
