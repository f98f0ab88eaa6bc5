package display

import (
	"fmt"
	"regexp"
	"strings"
)

// Mode is what hangs over a counter, the `mode` of its board in the
// configuration. The contract topics {root}/board/{counter} and its /text
// are published for every counter whatever the mode; the mode only adds
// payloads for boards that cannot read them.
type Mode string

const (
	// ModeJSON is a board that reads {root}/board/{counter}; the default.
	ModeJSON Mode = "json"
	// ModeText is a one-line board that reads {root}/board/{counter}/text.
	ModeText Mode = "text"
	// ModeAwtrix is an AWTRIX 3 LED matrix (Ulanzi TC001 and the like):
	// it gets its own custom app and notifications, see AwtrixOpts.
	ModeAwtrix Mode = "awtrix"
)

// ParseMode parses the configuration spelling; "" is ModeJSON.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeJSON:
		return ModeJSON, nil
	case ModeText, ModeAwtrix:
		return Mode(s), nil
	}
	return "", fmt.Errorf("%w: mode %q (want json, text or awtrix)", ErrBoardOpts, s)
}

// BoardOpts configures the board of one counter: the `board` field the lead
// adds to a counter of firmware-config, for example
//
//	counters:
//	  - id: "5"
//	    services: [social]
//	    board: {mode: awtrix, awtrix: {prefix: awtrix_5a3f1c}}
type BoardOpts struct {
	// Mode is what the board over the counter is: json (the contract's
	// JSON topic, the default), text (a plain-text board), or awtrix (an
	// AWTRIX 3 matrix, through its custom app).
	Mode Mode `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Awtrix is the AWTRIX 3 matrix of mode awtrix: its MQTT prefix, the
	// colours and blinking of the calls.
	Awtrix AwtrixOpts `yaml:"awtrix,omitempty" json:"awtrix,omitzero"`
	// Text is the encoding of the plain-text topic, in any mode.
	Text TextOpts `yaml:"text,omitempty" json:"text,omitzero"`
}

// maxPrefix is the longest AWTRIX prefix: its topics ({prefix}/custom/…,
// {prefix}/stats/…) stay within the embedded broker's 256 bytes a topic.
const maxPrefix = 200

// prefixRe is an MQTT topic prefix without wildcards, as AWTRIX accepts it.
var prefixRe = regexp.MustCompile(`^[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*$`)

var (
	colorRe = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	appRe   = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)
)

// Validate returns the first problem as a *FieldError, or nil.
func (o *BoardOpts) Validate() error {
	if _, err := ParseMode(string(o.Mode)); err != nil {
		return &FieldError{"mode", fmt.Sprintf("must be json, text or awtrix, got %q", o.Mode)}
	}
	if err := o.Text.validate(); err != nil {
		return err
	}
	if o.Mode != ModeAwtrix {
		return nil
	}
	a := o.Awtrix
	// {site} stands for the site, letters, digits, _ and - as the prefix's
	// (config.Config.Board).
	if len(strings.ReplaceAll(a.Prefix, "{site}", strings.Repeat("s", 32))) > maxPrefix {
		return &FieldError{"awtrix.prefix", fmt.Sprintf("longer than %d bytes (with {site} as a site of 32): the embedded broker refuses the matrix's topics under it", maxPrefix)}
	}
	if !prefixRe.MatchString(strings.ReplaceAll(a.Prefix, "{site}", "site")) {
		return &FieldError{"awtrix.prefix", fmt.Sprintf("must be the MQTT prefix set on the AWTRIX (awtrix_5a3f1c; {site} stands for the site), without + or #, got %q", a.Prefix)}
	}
	if a.App != "" && !appRe.MatchString(a.App) {
		return &FieldError{"awtrix.app", fmt.Sprintf("must be 1-32 letters, digits or _, got %q", a.App)}
	}
	if a.Blink < 0 {
		return &FieldError{"awtrix.blink", fmt.Sprintf("must not be negative, got %s", a.Blink)}
	}
	for _, c := range []struct{ field, v string }{
		{"calling_color", a.CallingColor}, {"serving_color", a.ServingColor},
		{"idle_color", a.IdleColor}, {"closed_color", a.ClosedColor},
		{"paused_color", a.PausedColor}, {"alert_color", a.AlertColor},
	} {
		if c.v != "" && !colorRe.MatchString(c.v) {
			return &FieldError{"awtrix." + c.field, fmt.Sprintf("must be #RRGGBB, got %q", c.v)}
		}
	}
	return nil
}

// Messages returns what the board needs published besides the contract
// topics whenever its state changes: the AWTRIX custom app in ModeAwtrix,
// nothing in the other modes. The publisher sends them with the board's
// {root}/board/{counter} messages.
func (o *BoardOpts) Messages(b Board) []Message {
	if o == nil || o.Mode != ModeAwtrix {
		return nil
	}
	return []Message{o.Awtrix.CustomApp(b)}
}

// CallMessages returns what a new call of ticket to this board's counter
// publishes besides the announcement: the AWTRIX notification in ModeAwtrix
// (unless turned off), nothing in the other modes.
func (o *BoardOpts) CallMessages(ticket string) []Message {
	if o == nil || o.Mode != ModeAwtrix {
		return nil
	}
	if m, ok := o.Awtrix.Notification(ticket); ok {
		return []Message{m}
	}
	return nil
}

// Message is one MQTT publication to a device with its own topics.
type Message struct {
	Topic   string
	Retain  bool
	Payload []byte
}
