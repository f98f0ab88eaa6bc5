package audio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Presence is what a cherga-announcer says of itself, retained, on
// {root}/announcer/{id} (docs/mqtt.md): online while it runs, with the
// languages it says and its player, and why its player failed the last
// call it tried to say; its last will, and a clean stop, say it is
// offline. The controller lists them in office.state: a hall whose voice
// went quiet is seen there, not only by the citizens who wait for a call
// they never hear.
type Presence struct {
	Online  bool      `json:"online"`
	ID      string    `json:"id"`
	Version string    `json:"version,omitempty"`
	Started time.Time `json:"started"`
	Langs   []string  `json:"langs,omitempty"`
	Player  string    `json:"player,omitempty"`
	// Counters are the counters whose calls it says, as its -counters
	// gives them ("1-9,12": one hall's); absent, every counter's.
	Counters string `json:"counters,omitempty"`
	// Error is why the player could not say the last call it was given
	// (the sound card gone, aplay hung); ErrorAt is when. Absent once a
	// call is said again.
	Error   string     `json:"error,omitempty"`
	ErrorAt *time.Time `json:"error_at,omitempty"`
	// Stopped: the announcer was stopped on purpose (systemctl stop), not
	// lost (its box switched off, its network down: the last will).
	Stopped bool `json:"stopped,omitempty"`
}

// ErrBadPresence is the error of a presence message that cannot be read.
var ErrBadPresence = errors.New("audio: bad announcer presence")

// maxPresence bounds a presence message: one is a few hundred bytes.
const maxPresence = 4096

// ParsePresence decodes a presence message: one JSON object, with its id.
func ParsePresence(b []byte) (Presence, error) {
	var p Presence
	switch {
	case len(b) > maxPresence:
		return Presence{}, fmt.Errorf("%w: %d bytes, at most %d", ErrBadPresence, len(b), maxPresence)
	case !utf8.Valid(b):
		return Presence{}, fmt.Errorf("%w: not valid UTF-8", ErrBadPresence)
	case !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")):
		return Presence{}, fmt.Errorf("%w: not a JSON object", ErrBadPresence)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return Presence{}, fmt.Errorf("%w: %w", ErrBadPresence, err)
	}
	if p.ID == "" {
		return Presence{}, fmt.Errorf("%w: no id", ErrBadPresence)
	}
	return p, nil
}
