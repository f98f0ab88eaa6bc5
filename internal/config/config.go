// Package config holds the office configuration: the YAML document of
// firmware-config, its validation and the derived lookups the controller uses.
//
// A configuration is a plain value. Load and Parse return either a valid
// *Config or an error that names the exact field (services[2].prefix) and,
// for syntax errors, the line of the file, so that an administrator can fix
// it; a bad document never replaces a good one.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/printer"
)

// Config is one office.
type Config struct {
	// Site is the office id; MQTT topics live under qms/{site}.
	Site string `yaml:"site" json:"site"`
	// Office is what the whole office shares: its name, hours, texts.
	Office Office `yaml:"office" json:"office"`
	// Services are the queues, each with its own ticket numbering.
	Services []Service `yaml:"services" json:"services"`
	// Counters are the specialists' workplaces (windows, cabinets).
	Counters []Counter `yaml:"counters" json:"counters"`
	// Kiosks are the ticket terminals: buttons and a printer.
	Kiosks []Kiosk `yaml:"kiosks" json:"kiosks"`
	// Broker is where the MQTT broker is.
	Broker Broker `yaml:"broker" json:"broker"`
	// GPIO says which header the office's pins are on.
	GPIO GPIO `yaml:"gpio,omitempty" json:"gpio,omitempty"`
	// PrinterProfiles are printer models of the office's own, for its
	// kiosks' profile: a model firmware-config/printers.yaml and the
	// built-in profiles do not have, or one of theirs by its name, set
	// otherwise (its fields as printers.yaml has them).
	PrinterProfiles []*printer.Profile `yaml:"printer_profiles,omitempty" json:"printer_profiles,omitempty"`
	// DB is the bbolt file holding all state.
	DB string `yaml:"db" json:"db"`
}

// Office is what the whole office shares.
type Office struct {
	// Name is the office's name in Ukrainian: it heads every ticket.
	Name string `yaml:"name" json:"name"`
	// NameEn is its name in English, printed under the Ukrainian one.
	NameEn string `yaml:"name_en,omitempty" json:"name_en,omitempty"`
	// Timezone is an IANA zone; it defines the business day and the hours.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Hours per weekday (mon..sun): "09:00-17:00", "00:00-24:00" or "closed".
	// A missing day is closed.
	Hours map[string]string `yaml:"hours" json:"hours"`
	// Languages of the announcements, in the order they are played.
	Languages []string `yaml:"languages,omitempty" json:"languages,omitempty"`
	// StatusURL is the template of the QR code printed on a ticket;
	// {site}, {id} and {ticket} are replaced. Empty prints no QR code.
	StatusURL string `yaml:"status_url,omitempty" json:"status_url,omitempty"`
	// Footer is printed at the bottom of every ticket.
	Footer string `yaml:"footer,omitempty" json:"footer,omitempty"`
	// HallSize is how many calls the hall board shows.
	HallSize int `yaml:"hall_size,omitempty" json:"hall_size,omitempty"`
	// BoardBlinkSec is how long a counter board shows a new call as
	// "calling" (blinking) before it becomes "serving"; 0 keeps it calling.
	BoardBlinkSec int `yaml:"board_blink_s,omitempty" json:"board_blink_s,omitempty"`
	// Holidays are the days ("2026-01-01") the office is closed whatever
	// its hours say.
	Holidays []string `yaml:"holidays,omitempty" json:"holidays,omitempty"`
	// RecallLimit is how many times a specialist may repeat a call (the
	// recall button) before the ticket must be ended; 0 means 3.
	RecallLimit int `yaml:"recall_limit,omitempty" json:"recall_limit,omitempty"`
	// NoShowGraceMin, when above 0, sends a ticket that did not come when
	// called back to its counter's queue once, callable again after this
	// many minutes; 0 ends it at the first no-show.
	NoShowGraceMin float64 `yaml:"noshow_grace_min,omitempty" json:"noshow_grace_min,omitempty"`
	// NextGuardSec is how long after a call next is refused while the
	// citizen has not come (serve says they have): a double press of next
	// would end the visit the first press began. noshow is refused so too,
	// for at least 30 s (MinNoShowGuard): it would end the turn of a
	// citizen who has not yet heard the call. 0 means 10; -1 turns both
	// guards off.
	NextGuardSec int `yaml:"next_guard_s,omitempty" json:"next_guard_s,omitempty"`
	// RefuseLate stops a kiosk issuing a ticket that would not be served
	// before its service closes: its expected call (after those before
	// it: a priority ticket goes before the ordinary ones) plus one visit.
	RefuseLate bool `yaml:"refuse_late,omitempty" json:"refuse_late,omitempty"`
	// PriorityCategories are the kinds of priority a kiosk may give a
	// ticket (people with disabilities, veterans…); a priority ticket is
	// called before the others of its service. Empty allows only a plain
	// priority (the kiosk's priority button or long press).
	PriorityCategories []string `yaml:"priority_categories,omitempty" json:"priority_categories,omitempty"`
	// StatsDays is how many business days of tickets are kept, besides
	// today: the last days that issued a ticket (weekends, holidays and
	// other days nobody got one do not count); older days keep only
	// their statistics (their events go, and their bookings, with the
	// citizens' names). 0 means 90.
	StatsDays int `yaml:"stats_days,omitempty" json:"stats_days,omitempty"`
}

// Service is one queue with its own numbering.
type Service struct {
	// ID is the service's id (1-32 Latin letters, digits, _ or -): in
	// topics, events, kiosk buttons and counters' services.
	ID string `yaml:"id" json:"id"`
	// Name is the service's name in Ukrainian, printed on the ticket and
	// shown on the boards.
	Name string `yaml:"name" json:"name"`
	// NameEn is the service's name in English, printed under the
	// Ukrainian one.
	NameEn string `yaml:"name_en,omitempty" json:"name_en,omitempty"`
	// Prefix is the letter of the ticket label (А in А023).
	Prefix string `yaml:"prefix" json:"prefix"`
	// Width is the number of digits of the label (3: А001).
	Width int `yaml:"width,omitempty" json:"width,omitempty"`
	// AvgServiceMin seeds the wait estimate: it counts for the visits
	// short of 10 measured today (the estimate's mean is of the last 20).
	AvgServiceMin float64 `yaml:"avg_service_min,omitempty" json:"avg_service_min,omitempty"`
	// Hours, when set, replace the office hours for this service, per
	// weekday as in office.hours; a missing day is closed (the Pension Fund
	// specialists come only on Wednesdays); empty ({}), closed every day,
	// which JSON keeps (omitzero): unset is the office hours.
	Hours map[string]string `yaml:"hours,omitempty" json:"hours,omitzero"`
	// Sequence, when set, names a numbering shared by every service with
	// the same sequence: А001, П002, А003… (each keeps its prefix). They
	// must have the same width.
	Sequence string `yaml:"sequence,omitempty" json:"sequence,omitempty"`
	// DailyCap is the most tickets issued per business day, not counting
	// the voided ones (a failed print): nobody is served for those; 0 is no
	// cap.
	DailyCap int `yaml:"daily_cap,omitempty" json:"daily_cap,omitempty"`
	// Booking, when set, lets citizens book a visit of this service ahead,
	// at a time of its hours (appointment.book: by phone, on the web, at
	// the reception): the code they are given, scanned at a kiosk, gives
	// them a ticket called at their time, before the queue.
	Booking *Booking `yaml:"booking,omitempty" json:"booking,omitempty"`
}

// Booking is how a service's visits are booked ahead: its hours cut into
// slots of SlotMin minutes, each taking PerSlot visits.
type Booking struct {
	// SlotMin is the length of a slot in minutes, 5..240: the first
	// starts when the service opens, the last ends by its closing.
	SlotMin int `yaml:"slot_min" json:"slot_min"`
	// PerSlot is how many visits a slot takes, 1..50 (0: 1): as many as
	// counters keep free for booked visits at a time.
	PerSlot int `yaml:"per_slot,omitempty" json:"per_slot,omitempty"`
	// DaysAhead is how many days ahead a visit may be booked, 1..366
	// (0: 30); today's later slots too.
	DaysAhead int `yaml:"days_ahead,omitempty" json:"days_ahead,omitempty"`
}

// Slots is how many visits a slot takes (PerSlot, 1 when unset).
func (b *Booking) Slots() int { return max(b.PerSlot, 1) }

// Ahead is how many days ahead a visit may be booked (DaysAhead, 30 when
// unset).
func (b *Booking) Ahead() int {
	if b.DaysAhead == 0 {
		return 30
	}
	return b.DaysAhead
}

// Counter is one specialist's workplace.
type Counter struct {
	// ID is the counter's number, 1..9999, which the voice says («вікно
	// п'ять»).
	ID string `yaml:"id" json:"id"`
	// Services this counter calls from, in order.
	Services []string `yaml:"services" json:"services"`
	// Kind is "window" (вікно) or "cabinet" (кабінет); it is what the voice says.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Buttons maps an action (next, recall, noshow, done) to a GPIO pin name.
	Buttons map[string]string `yaml:"buttons,omitempty" json:"buttons,omitempty"`
	// Lamp is the pin of the counter's busy lamp: lit while a ticket is
	// called or served there; it flashes three times when a press of the
	// counter's GPIO buttons is refused (a next a moment after a call).
	Lamp string `yaml:"lamp,omitempty" json:"lamp,omitempty"`
	// Weights of the counter's services in the call policy (service id →
	// weight, default 1): next calls the ticket whose wait times its
	// service's weight is the largest, so a heavier service is called
	// sooner and a light one still ages into a call.
	Weights map[string]float64 `yaml:"weights,omitempty" json:"weights,omitempty"`
	// Board is what hangs over the counter: the contract's JSON and text
	// topics always, and an AWTRIX 3 matrix when board.mode is awtrix.
	Board display.BoardOpts `yaml:"board,omitempty" json:"board,omitempty"`
}

// Kiosk is one ticket terminal: buttons and a printer.
type Kiosk struct {
	// ID is the kiosk's id (1-32 Latin letters, digits, _ or -): in
	// topics and events.
	ID string `yaml:"id" json:"id"`
	// Printer is the transport spec (serial:/dev/ttyUSB0?baud=19200,
	// /dev/usb/lp0, tcp://host:9100, none).
	Printer string `yaml:"printer" json:"printer"`
	// Profile names the printer profile: a model of
	// firmware-config/printers.yaml or one built into package printer
	// (firmwareconfig.PrinterProfile); empty is generic.
	Profile string `yaml:"profile" json:"profile"`
	// Buttons are the kiosk's service buttons; a screen kiosk, which
	// presses over MQTT, may have none.
	Buttons []KioskButton `yaml:"buttons,omitempty" json:"buttons,omitempty"`
	// Scanner is the barcode/QR scanner at the kiosk
	// (serial:/dev/ttyACM0?baud=9600); empty for none. A citizen scans a
	// ticket's QR code to see where it stands.
	Scanner string `yaml:"scanner,omitempty" json:"scanner,omitempty"`
	// ScanPrint: a scan of a ticket still in the queue prints a copy of
	// it at the kiosk's printer, with where its citizen stands now (or
	// where to go, once called), at most once a minute per ticket: a
	// kiosk of buttons has no screen to say it; a booking or a ticket
	// that gives nothing prints a note saying why. Unset means true; set it
	// false for a kiosk with a screen beside its printer. Never without a
	// printer (printer: none, or cherga -printer none).
	ScanPrint *bool `yaml:"scan_print,omitempty" json:"scan_print,omitempty"`
	// AppointmentCodes is the pattern (RE2, matched whole) of the
	// appointment codes its scanner recognises: a booking's (appointment.book,
	// eight capital Latin letters and digits) is checked in, another goes
	// to the events (appointment.scanned) for a booking system of its own.
	// "" means device.DefaultAppointment, 6 to 12 capital Latin letters and
	// digits (but a product's barcode: EAN-8, UPC-A); a pattern of one's
	// own must take the office's codes too. A code without spaces that
	// does not match as scanned is tried in capitals without its dashes
	// (k7m2-qx9a is K7M2QX9A).
	AppointmentCodes string `yaml:"appointment_codes,omitempty" json:"appointment_codes,omitempty"`
	// LongPressMS is how long a citizen holds a service button for a
	// priority ticket (people with disabilities, veterans); 0 turns it off.
	LongPressMS int `yaml:"long_press_ms,omitempty" json:"long_press_ms,omitempty"`
	// PressIntervalMS is the mash protection of its GPIO buttons: one
	// ticket per button per interval, counted from the press that gave
	// one; the presses within it are counted (office.state's buttons) and
	// answered as a repeat, not printed. 0 means 2000.
	PressIntervalMS int `yaml:"press_interval_ms,omitempty" json:"press_interval_ms,omitempty"`
	// Buzzer is the pin of a buzzer that beeps once for a press that gives
	// a ticket, twice for a priority ticket, three times for one refused.
	Buzzer string `yaml:"buzzer,omitempty" json:"buzzer,omitempty"`
	// StatusPollMS is how often the kiosk asks its printer for its status
	// when idle; 0 means 500. A printer with automatic status back (its
	// profile's asb) tells every change at once by itself, and the poll
	// only finds one that went silent.
	StatusPollMS int `yaml:"status_poll_ms,omitempty" json:"status_poll_ms,omitempty"`
	// StatusTimeoutMS is how long the kiosk waits for its printer's
	// answer to a status request, beyond the time the printer may take to
	// print what was sent before it; 0 means 500. A printer that answers
	// later is taken for one switched off.
	StatusTimeoutMS int `yaml:"status_timeout_ms,omitempty" json:"status_timeout_ms,omitempty"`
	// Logo is a PNG image printed at the top of every ticket (an absolute
	// path, such as /etc/cherga/logo.png): scaled down to the paper if
	// wider, in black and white. Its bytes go with every ticket, so on a
	// serial line it must stay small; LogoNV costs four bytes.
	Logo string `yaml:"logo,omitempty" json:"logo,omitempty"`
	// LogoNV is the key (1..255) of a logo stored in the printer with its
	// maker's utility (FS p), printed at the top instead of Logo.
	LogoNV int `yaml:"logo_nv,omitempty" json:"logo_nv,omitempty"`
	// PressesPerMinute is how many presses over MQTT (a screen kiosk's)
	// the kiosk serves a minute, in bursts of up to a tenth of a minute's
	// (at least 10): one account that may press cannot take all the day's
	// numbers. 0 means 30, a citizen every 2 s.
	PressesPerMinute int `yaml:"presses_per_minute,omitempty" json:"presses_per_minute,omitempty"`
}

// KioskButton is one service button of a kiosk.
type KioskButton struct {
	// Service is the id of the service whose tickets the button issues.
	Service string `yaml:"service" json:"service"`
	// Pin is the GPIO pin name (GPIO17); empty for MQTT-only kiosks.
	Pin string `yaml:"pin,omitempty" json:"pin,omitempty"`
	// Lamp is the pin of the lamp in the button: lit while the service can
	// issue a ticket (open, printer ready).
	Lamp string `yaml:"lamp,omitempty" json:"lamp,omitempty"`
	// Priority makes it a priority button: each press issues a priority
	// ticket (for those who cannot hold a button down for long_press_ms).
	Priority bool `yaml:"priority,omitempty" json:"priority,omitempty"`
	// Category gives the button's tickets a category, one of
	// office.priority_categories, and makes it a priority button too.
	Category string `yaml:"category,omitempty" json:"category,omitempty"`
}

// GPIO says which header the office's pins are on.
type GPIO struct {
	// Board names the pin map of firmware-config/pinmaps (rpi-40pin).
	Board string `yaml:"board,omitempty" json:"board,omitempty"`
	// Allow lets buttons take pins that are normally kept free: a pin name
	// (GPIO2) or a kind (i2c, id_eeprom; uart: the serial port's, taken
	// without it too, with a warning).
	Allow []string `yaml:"allow,omitempty" json:"allow,omitempty"`
	// DebounceMS is how long a button's level must hold, without an edge,
	// before it counts: mechanical buttons bounce for 1 to 20 ms, a worn
	// one or a long cable longer. 0 means 30.
	DebounceMS int `yaml:"debounce_ms,omitempty" json:"debounce_ms,omitempty"`
}

// Broker says where the MQTT broker is.
type Broker struct {
	// URL is "embedded" (start one in-process), tcp://host:port (or
	// mqtt://), or over TLS ssl://host:port (or tls://, mqtts://, tcps://).
	URL string `yaml:"url" json:"url"`
	// Listen is the address of the embedded broker.
	Listen string `yaml:"listen,omitempty" json:"listen,omitempty"`
	// Username is the controller's account on a broker with accounts
	// (not the embedded one).
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	// Password is the password of that account. The file holding it must
	// be readable by the controller alone.
	Password string `yaml:"password,omitempty" json:"-"`
	// CAFile is the PEM file of the CA that signed the broker's
	// certificate, over TLS; without it, the system's CAs (or the file
	// $SSL_CERT_FILE names). It, CertFile and KeyFile are paths, not
	// secrets: config.get shows them.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// CertFile is the PEM file of this client's certificate, for a
	// broker that asks for one (mutual TLS): with KeyFile, or neither.
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	// KeyFile is the PEM file of the private key of CertFile.
	KeyFile string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
}

// PlainSchemes and TLSSchemes are the schemes of a broker URL, as the MQTT
// client (paho) takes them: plain TCP, and TLS.
var (
	PlainSchemes = []string{"tcp", "mqtt"}
	TLSSchemes   = []string{"ssl", "tls", "mqtts", "tcps"}
)

// CheckBrokerURL says what is wrong with a broker URL other than
// "embedded": a scheme the client does not take, or no host.
func CheckBrokerURL(s string) error {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || (!contains(PlainSchemes, scheme) && !contains(TLSSchemes, scheme)) {
		return fmt.Errorf("must be embedded, tcp://host:port (or mqtt://), or over TLS ssl://host:port (or tls://, mqtts://, tcps://), got %q", RedactURL(s))
	}
	if u, err := url.Parse(s); err != nil || u.Host == "" || strings.Trim(rest, "/") == "" {
		return fmt.Errorf("has no host: want %s://host:port, got %q", scheme, RedactURL(s))
	}
	return nil
}

// IsTLS reports whether a broker URL connects over TLS.
func IsTLS(url string) bool {
	scheme, _, _ := strings.Cut(url, "://")
	return contains(TLSSchemes, scheme)
}

// TLSFiles reports whether any of the TLS files is given.
func (b Broker) TLSFiles() bool { return b.CAFile != "" || b.CertFile != "" || b.KeyFile != "" }

// checkFiles says which of the TLS files cannot be read, by its field.
func (b Broker) checkFiles() Errors {
	var errs Errors
	for _, f := range []struct{ field, path string }{{"broker.ca_file", b.CAFile}, {"broker.cert_file", b.CertFile}, {"broker.key_file", b.KeyFile}} {
		if f.path == "" {
			continue
		}
		fh, err := os.Open(f.path)
		if err != nil {
			errs = append(errs, &FieldError{Field: f.field, Message: fmt.Sprintf("cannot be read: %v (the controller's user, cherga, must be able to read it)", err)})
			continue
		}
		fh.Close()
	}
	return errs
}

// MarshalJSON leaves the secrets out, as the password's tag does: a
// password in the URL (tcp://user:secret@host:1883) reads xxxxx, so
// that config.get, the read door and the recorded versions do not give it.
func (b Broker) MarshalJSON() ([]byte, error) {
	type plain Broker
	p := plain(b)
	p.URL = RedactURL(p.URL)
	return json.Marshal(p)
}

// RedactURL is a broker URL as it may be shown: its password, if it has
// one, replaced by xxxxx, as url.URL.Redacted does.
func RedactURL(s string) string {
	// By hand, not by url.Parse: a password with a / # ? or space in it
	// (generated ones have them) does not parse, or parses cut short.
	scheme, rest, ok := strings.Cut(s, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// CounterActions are the actions a counter button may be mapped to.
var CounterActions = []string{"next", "recall", "serve", "noshow", "done"}

// Weekdays are the keys of Office.Hours, Monday first.
var Weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// Weekday is the key of Office.Hours for the day of t ("wed").
func Weekday(t time.Time) string { return Weekdays[(int(t.Weekday())+6)%7] }

// FieldError is a validation error of one field.
type FieldError struct {
	Field   string // services[2].prefix
	Message string
	// Where is Field as a person finds it in the file, with the id of
	// the item counted from 0 (counters[11] (id "12").services[0]); ""
	// for Field itself. Field stays what a program reads.
	Where string
	// Line is the line of the field in the file (Load), or of the
	// nearest item around it that the file has (a field left to its
	// default); 0 for a document that is no file (config.set).
	Line int
}

func (e *FieldError) Error() string {
	where := e.Where
	if where == "" {
		where = e.Field
	}
	if e.Line > 0 {
		return "config: line " + strconv.Itoa(e.Line) + ": " + where + ": " + e.Message
	}
	return "config: " + where + ": " + e.Message
}

// fieldRe is one step of a field path: a key, and the index of an item
// of its list (buttons[1]).
var fieldRe = regexp.MustCompile(`^([^\[\]]*)((?:\[[0-9]+\])*)$`)

// lineOf is the line in doc of the field path (kiosks[0].buttons[1].pin),
// or of the deepest step of it doc has; 0 when doc has none.
func lineOf(doc *yaml.Node, field string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line := 0
	for step := range strings.SplitSeq(field, ".") {
		m := fieldRe.FindStringSubmatch(step)
		if m == nil || n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == m[1] {
				next = n.Content[i+1]
				line = n.Content[i].Line
				break
			}
		}
		if next == nil {
			return line
		}
		n = next
		for idx := range strings.SplitSeq(strings.Trim(m[2], "[]"), "][") {
			if idx == "" {
				break
			}
			i, _ := strconv.Atoi(idx)
			if n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
		}
	}
	return line
}

// itemRe is a field path into a list of items with ids.
var itemRe = regexp.MustCompile(`^(services|counters|kiosks)\[([0-9]+)\](.*)$`)

// Where is a field path (counters[11].services[0]) with the id of the
// item it names, as a person looks for it: counters[11] (id "12").services[0].
// A path to the id itself, or to an item without one, is as it is.
func (c *Config) Where(field string) string {
	m := itemRe.FindStringSubmatch(field)
	if m == nil || m[3] == ".id" {
		return field
	}
	i, err := strconv.Atoi(m[2])
	if err != nil {
		return field
	}
	var id string
	switch m[1] {
	case "services":
		if i < len(c.Services) {
			id = c.Services[i].ID
		}
	case "counters":
		if i < len(c.Counters) {
			id = c.Counters[i].ID
		}
	case "kiosks":
		if i < len(c.Kiosks) {
			id = c.Kiosks[i].ID
		}
	}
	if id == "" {
		return field
	}
	return fmt.Sprintf("%s[%s] (id %q)%s", m[1], m[2], id, m[3])
}

// Errors is every problem found in a document.
type Errors []*FieldError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return strings.Join(msgs, "; ")
}

// ErrInvalid is returned (wrapped in Errors) when a document parses but is
// not a valid office.
var ErrInvalid = errors.New("config: invalid")

func (e Errors) Unwrap() error { return ErrInvalid }

// SyntaxError is a document that is not YAML, with the line of the mistake
// and its text.
type SyntaxError struct {
	Line    int    // from 1
	Text    string // the line as written, shortened
	Message string // go-yaml's
	Hint    string // what such a message usually means; may be ""
}

func (e *SyntaxError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "config: line %d: %s", e.Line, e.Message)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	if e.Text != "" {
		fmt.Fprintf(&b, ": %q", e.Text)
	}
	return b.String()
}

// SecretKeys is the pattern of the names of the members whose values are
// secrets (broker.password), which logs and errors leave out: here, of a
// YAML line; in the office's log of admin requests, of JSON.
const SecretKeys = `(?i:password|pass|secret|token)`

// secretLine is a line of a secret's value.
var secretLine = regexp.MustCompile(`(\b` + SecretKeys + `"?\s*:).*$`)

// quotedRe is a quoted part of go-yaml's message, which may quote the
// secret (an anchor: *pass).
var quotedRe = regexp.MustCompile(`'[^']*'|"[^"]*"`)

// yamlLineRe is how go-yaml words a syntax error (with no line on the
// first).
var yamlLineRe = regexp.MustCompile(`^yaml: (?:line ([0-9]+): )?(.+)$`)

// syntaxError turns a decoding error of doc into a SyntaxError at the line
// of the mistake; a key the configuration does not have it words as the
// person editing the file reads it (unknownKeys); other errors (wrong
// types: go-yaml has their lines right) it only prefixes.
func syntaxError(doc []byte, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fmt.Errorf("config: %w", unknownKeys(te))
	}
	m := yamlLineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("config: %w", err)
	}
	reported := 1 // go-yaml leaves out "line 1: "
	if m[1] != "" {
		reported, _ = strconv.Atoi(m[1])
	}
	lines := strings.SplitAfter(string(doc), "\n")
	e := &SyntaxError{Line: problemLine(lines, reported, m[2]), Message: m[2]}
	if e.Line < 1 || e.Line > len(lines) {
		return e
	}
	// A quote left open ends where the next quote of the file happens to
	// be, lines below (in a comment, an apostrophe): the mistake is where
	// it opened.
	opened, quote := openQuote(lines, e.Line)
	if opened > 0 {
		e.Line = opened
	}
	text := strings.TrimRight(lines[e.Line-1], " \t\r\n")
	// A password is what breaks YAML most (a colon, a quote, a #): the
	// error goes to the journal and into support tickets without it, in
	// the line and in go-yaml's message (which quotes an anchor: *pass).
	if secretLine.MatchString(text) {
		text = secretLine.ReplaceAllString(text, "$1 xxxxx")
		e.Message = quotedRe.ReplaceAllString(e.Message, "'xxxxx'")
	}
	e.Text = text
	if r := []rune(text); len(r) > 80 {
		e.Text = string(r[:79]) + "…"
	}
	prev := "" // the content line above, for a missing colon
	for i := e.Line - 2; i >= 0 && prev == ""; i-- {
		if t := strings.TrimSpace(lines[i]); !strings.HasPrefix(t, "#") {
			prev = t
		}
	}
	switch {
	case strings.HasPrefix(strings.TrimLeft(text, " "), "\t"):
		e.Hint = "a tab: indent with spaces"
	case e.Message == "mapping values are not allowed in this context" && prev != "" && !hasKey(prev):
		e.Hint = fmt.Sprintf("is a colon missing on line %d above?", e.Line-1)
	case e.Message == "could not find expected ':'":
		e.Hint = "a key wants a colon after it"
	case strings.HasPrefix(e.Message, "did not find expected key"),
		strings.HasPrefix(e.Message, "did not find expected '-' indicator"),
		e.Message == "mapping values are not allowed in this context":
		e.Hint = "check its indentation against the lines above"
	}
	switch {
	case opened > 0 && quote == '\'':
		e.Hint = "a quote opened here is not closed on this line: an apostrophe inside '…' ends it; write the value in \"…\", or use ’"
	case opened == 0 && apostropheEnds.MatchString(text):
		e.Hint = "an apostrophe inside '…' ends the value: write it in \"…\", or use ’"
	case opened > 0:
		e.Hint = "a quote opened here is not closed on this line"
	}
	return e
}

// apostropheEnds is a value in '…' that an apostrophe ended inside a word:
// name: 'Зв'язок'.
var apostropheEnds = regexp.MustCompile(`:\s*'[^']*'\pL`)

// openQuote says whether line (from 1) of a YAML document is inside a
// quoted value opened on an earlier line, and which line and quote: a
// quote opens only where a value begins (after a colon, a dash, a bracket
// or a comma), so an apostrophe inside a word or a comment is none.
func openQuote(lines []string, line int) (opened int, quote rune) {
	for i := 0; i < line-1 && i < len(lines); i++ {
		r := []rune(lines[i])
		last := ' ' // the last character before, not a space
		if quote == 0 {
			last = 0 // the start of a line is where a value may begin
		}
		for j := 0; j < len(r); j++ {
			c := r[j]
			switch {
			case quote == '"' && c == '\\':
				j++
			case quote == '"' && c == '"', quote == '\'' && c == '\'' && (j+1 >= len(r) || r[j+1] != '\''):
				quote, opened = 0, 0
			case quote == '\'' && c == '\'':
				j++ // '' is a quote inside '…'
			case quote != 0:
			case c == '#' && (j == 0 || r[j-1] == ' ' || r[j-1] == '\t'):
				j = len(r) // a comment
			case (c == '"' || c == '\'') && (last == 0 || strings.ContainsRune(":-[{,", last)):
				quote, opened = c, i+1
			case c != ' ' && c != '\t':
				last = c
			}
		}
	}
	if quote == 0 {
		return 0, 0
	}
	return opened, quote
}

// hasKey reports whether a line of YAML has a key: a colon that ends the
// line or is followed by a space, outside quotes ("mon "09:00-17:00"" has
// none).
func hasKey(line string) bool {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' '):
			return false
		case r == ':' && (i+1 == len(line) || line[i+1] == ' '):
			return true
		}
	}
	return false
}

// problemLine is the line of a syntax error that go-yaml reported at
// reported with msg. For a mistake inside a block go-yaml names the line
// where the block starts (yaml/v3 decode.go, parser.fail, prefers the
// context mark to the problem mark): "line 4" for a key dedented on line
// 95. The mistake is on the first line at which the document, cut after
// it, fails with the same message: cut before it, the document parses, or
// fails for being cut (inside a flow collection or a quoted string), with
// another message. A binary search finds it in a few parses; reported,
// never after the mistake, is kept when no cut fails that way.
func problemLine(lines []string, reported int, msg string) int {
	if reported > len(lines) {
		return reported
	}
	var cut strings.Builder
	failsAt := func(k int) bool {
		cut.Reset()
		for _, l := range lines[:k] {
			cut.WriteString(l)
		}
		var n yaml.Node
		err := yaml.Unmarshal([]byte(cut.String()), &n)
		if err == nil {
			return false
		}
		m := yamlLineRe.FindStringSubmatch(err.Error())
		return m != nil && m[2] == msg
	}
	lo, hi := max(reported-2, 0), len(lines) // go-yaml counts some marks from 0
	if !failsAt(hi) {
		return reported
	}
	for hi-lo > 1 {
		if mid := (lo + hi) / 2; failsAt(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// Load reads and validates a YAML file, and checks that the files it names
// for the controller to read (the broker's TLS files) can be read.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, withLines(err, b))
	}
	// The files the running controller reads: said now, naming the
	// field, rather than at the first connection.
	if errs := c.Broker.checkFiles(); len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", path, withLines(errs, b))
	}
	return c, nil
}

// withLines gives each wrong field of err its line in the file b, to find
// it by in an editor.
func withLines(err error, b []byte) error {
	var errs Errors
	var doc yaml.Node
	if errors.As(err, &errs) && yaml.Unmarshal(b, &doc) == nil {
		for _, fe := range errs {
			fe.Line = lineOf(&doc, fe.Field)
		}
	}
	return err
}

// Parse decodes and validates a YAML (or JSON) document. Unknown fields are
// errors: a typo must not silently fall back to a default.
func Parse(b []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	c := &Config{}
	if err := dec.Decode(c); err != nil {
		return nil, syntaxError(b, err)
	}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseRecorded decodes a configuration a store recorded, which a newer
// cherga may have written (run again after a rollback): the settings this
// one does not know are left out, and named ("kiosks[0].status_timeout_ms"
// in unknown), rather than the whole version refused. Anything else wrong
// with it is an error, as in Parse.
func ParseRecorded(b []byte) (c *Config, unknown []string, err error) {
	c, err = Parse(b)
	if err == nil {
		return c, nil, nil
	}
	var doc any
	if yaml.Unmarshal(b, &doc) != nil {
		return nil, nil, err
	}
	if unknown = dropUnknown(doc, reflect.TypeFor[Config](), ""); len(unknown) == 0 {
		return nil, nil, err
	}
	known, merr := json.Marshal(doc)
	if merr != nil {
		return nil, nil, err
	}
	slices.Sort(unknown)
	c, err = Parse(known)
	return c, unknown, err
}

// dropUnknown deletes from a decoded document the members that type t
// has no field for, and returns their paths under path.
func dropUnknown(doc any, t reflect.Type, path string) (unknown []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	at := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	switch t.Kind() {
	case reflect.Struct:
		m, _ := doc.(map[string]any)
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		for k, v := range m {
			ft, ok := fields[k]
			if !ok {
				unknown = append(unknown, at(k))
				delete(m, k)
				continue
			}
			unknown = append(unknown, dropUnknown(v, ft, at(k))...)
		}
	case reflect.Slice, reflect.Array:
		s, _ := doc.([]any)
		for i, v := range s {
			unknown = append(unknown, dropUnknown(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Map:
		m, _ := doc.(map[string]any)
		for k, v := range m {
			unknown = append(unknown, dropUnknown(v, t.Elem(), at(k))...)
		}
	}
	return unknown
}

func (c *Config) applyDefaults() {
	if c.Broker.URL == "" {
		c.Broker.URL = "embedded"
	}
	if c.Broker.Listen == "" {
		c.Broker.Listen = "127.0.0.1:1883"
	}
	if c.DB == "" {
		c.DB = "cherga.db"
	}
	if len(c.Office.Languages) == 0 {
		c.Office.Languages = slices.Clone(audio.Langs)
	}
	if c.GPIO.Board == "" {
		c.GPIO.Board = "rpi-40pin"
	}
	if c.Office.HallSize == 0 {
		c.Office.HallSize = 8
	}
	if c.Office.RecallLimit == 0 {
		c.Office.RecallLimit = 3
	}
	if c.Office.StatsDays == 0 {
		c.Office.StatsDays = 90
	}
	if c.Office.NextGuardSec == 0 {
		c.Office.NextGuardSec = 10
	}
	for i := range c.Services {
		s := &c.Services[i]
		if s.Width == 0 {
			s.Width = 3
		}
		if s.AvgServiceMin == 0 {
			s.AvgServiceMin = 10
		}
	}
	for i := range c.Counters {
		if c.Counters[i].Kind == "" {
			c.Counters[i].Kind = "window"
		}
	}
	for _, p := range c.PrinterProfiles {
		if p != nil { // as printers.yaml's: kiosks name them in any case
			p.Name, p.CodePage = strings.ToLower(p.Name), strings.ToLower(p.CodePage)
		}
	}
	for i := range c.Kiosks {
		k := &c.Kiosks[i]
		if k.Printer == "" {
			k.Printer = "none"
		}
		if k.Profile == "" {
			k.Profile = printer.DefaultProfile
		}
	}
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidID reports whether s is spelled as the configuration's ids are (a
// site, a service, a sequence, a kiosk): 1 to 32 letters, digits, _ or -.
// A service id that is well formed may still be one no longer configured,
// which the tickets of a past day (or today's, renamed since) carry.
func ValidID(s string) bool { return idRe.MatchString(s) }

// CheckSite checks a site given on a command line (-site, $CHERGA_SITE) as
// the configuration's site: is checked: one that could not be an office's
// would send to, or listen on, topics no controller uses.
func CheckSite(site string) error {
	if site == "" {
		return errors.New("-site is empty: give the site: of the office's file")
	}
	if !ValidID(site) {
		return fmt.Errorf("-site %q: a site is 1-32 Latin letters (a-z, A-Z), digits, _ or -, as the site: of the office's file (it is one level of the topics qms/{site}/…)", site)
	}
	return nil
}

// counterRe is a counter id: the number the voice calls it by.
var counterRe = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)

// ukCapitals are the letters a ticket prefix is made of: the voice has a
// clip for each.
const ukCapitals = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"

// latinLookalikes are the Latin capitals printed like Ukrainian ones: typed
// on an English keyboard layout, a prefix looks right and the voice has no
// clip for it.
var latinLookalikes = map[rune]rune{'A': 'А', 'B': 'В', 'C': 'С', 'E': 'Е', 'H': 'Н', 'I': 'І', 'K': 'К', 'M': 'М', 'O': 'О', 'P': 'Р', 'T': 'Т', 'X': 'Х'}

// notCapital says why r, a character of a prefix, is none of ukCapitals,
// so that the hint fits what was typed: a lower-case letter is not blamed
// on the keyboard layout, nor a Latin look-alike on case.
func notCapital(r rune) string {
	up := unicode.ToUpper(r)
	switch {
	case strings.ContainsRune(ukCapitals, up):
		return fmt.Sprintf("%q is lower case: write %q", string(r), string(up))
	case latinLookalikes[up] != 0:
		uk := latinLookalikes[up]
		looks := uk
		if unicode.IsLower(r) {
			looks = unicode.ToLower(uk)
		}
		return fmt.Sprintf("%q (%U) is a Latin letter that looks like the Ukrainian %q: type %q with the Ukrainian keyboard layout", string(r), r, string(looks), string(uk))
	case unicode.Is(unicode.Latin, r):
		return fmt.Sprintf("%q is a Latin letter", string(r))
	case unicode.Is(unicode.Cyrillic, r):
		return fmt.Sprintf("%q (%U) is not a letter of the Ukrainian alphabet", string(r), r)
	case unicode.IsLetter(r):
		return fmt.Sprintf("%q (%U) is not a Ukrainian letter", string(r), r)
	}
	return fmt.Sprintf("%q is not a letter", string(r))
}

// Validate checks the whole document and returns every problem found.
// Unseen is the first character of s that a person cannot see or that
// steers a terminal, a board or a printer: a control character (a newline
// too, unless lines), a format character (a bidi override, a zero-width
// space), a line or paragraph separator, or one of private use (no font
// has it); -1 for none. A no-break space is seen: it is a space.
func Unseen(s string, lines bool) rune {
	for _, r := range s {
		if (unicode.IsControl(r) && !(lines && r == '\n')) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co) {
			return r
		}
	}
	return -1
}

// Validate checks the whole configuration and returns every problem it
// finds (Errors), each naming its field and, for a loaded file, its line.
func (c *Config) Validate() error {
	v := &validation{c: c, pins: map[string]string{}, serials: map[string]string{}}
	v.office()
	services := v.services()
	served := v.counters(services)
	v.printerProfiles()
	v.kiosks(services, served)
	v.broker()
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}

// validation is one run of Validate: the problems found so far, and what
// parts of the office claim that must not be claimed twice.
type validation struct {
	c    *Config
	errs Errors
	// pins is the GPIO pins used: pin → the field that uses it.
	pins map[string]string
	// A serial device opens for one user alone: a scanner set on a
	// printer's port shuts the printer out, or the other way round.
	serials map[string]string // path → whose it is
}

func (v *validation) bad(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...), Where: v.c.Where(field)})
}

// texts refuses what a person cannot see in texts shown or printed: f
// and f_en for ss[0] and ss[1]; lines lets the first have newlines.
func (v *validation) texts(f string, lines bool, ss ...string) {
	for i, s := range ss {
		if r := Unseen(s, lines && i == 0); r >= 0 {
			v.bad(f+[]string{"", "_en"}[min(i, 1)], "holds %U, a character one cannot see or that steers a device (a control or format character, such as an escape or a bidi override): write the text alone, got %q", r, s)
		}
	}
}

func (v *validation) usePin(field, pin string) {
	if other, dup := claim(v.pins, pin, field); dup {
		v.bad(field, "pin %s is already used by %s", pin, other)
	}
}

func (v *validation) useSerial(field, spec, whose string) {
	path := serialPath(spec)
	if other, dup := claim(v.serials, path, whose); dup {
		v.bad(field, "%s is already %s: a serial device has one user, and the first to open it shuts the other out", path, other)
	}
}

// office checks the office's own settings.
func (v *validation) office() {
	c := v.c
	if !idRe.MatchString(c.Site) {
		v.bad("site", "must be 1-32 Latin letters (a-z, A-Z), digits, _ or - (it is part of MQTT topics), got %q", c.Site)
	}
	if c.Office.Name == "" {
		v.bad("office.name", "is required (it heads every ticket)")
	}
	v.texts("office.name", false, c.Office.Name, c.Office.NameEn)
	v.texts("office.footer", true, c.Office.Footer)
	if u := c.Office.StatusURL; u != "" {
		if p, err := url.Parse(strings.NewReplacer("{site}", "s", "{id}", "1", "{ticket}", "A1").Replace(u)); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Hostname() == "" {
			v.bad("office.status_url", "must be a web address, https://… or http://…, which a citizen's phone opens from the QR code; got %q", u)
		}
	}
	if c.GPIO.DebounceMS != 0 && (c.GPIO.DebounceMS < 5 || c.GPIO.DebounceMS > 200) {
		v.bad("gpio.debounce_ms", "must be 0 (30 ms) or 5..200 ms, got %d", c.GPIO.DebounceMS)
	}
	if _, err := time.LoadLocation(c.Office.Timezone); err != nil || c.Office.Timezone == "" {
		v.bad("office.timezone", "must be an IANA time zone such as Europe/Kyiv, got %q", c.Office.Timezone)
	}
	for day, h := range c.Office.Hours {
		if !contains(Weekdays, day) {
			v.bad("office.hours."+day, "unknown weekday; use one of %s", strings.Join(Weekdays, ", "))
			continue
		}
		if _, _, err := ParseHours(h); err != nil {
			v.bad("office.hours."+day, "%v", err)
		}
	}
	// A citizen hears Ukrainian first, English second, if at all.
	for i, l := range c.Office.Languages {
		switch {
		case !slices.Contains(audio.Langs, l):
			v.bad(fmt.Sprintf("office.languages[%d]", i), "must be one of %s, got %q", strings.Join(audio.Langs, ", "), l)
		case i == 0 && l != audio.Langs[0]:
			v.bad("office.languages[0]", "must be %s: calls are announced in Ukrainian first, got %q", audio.Langs[0], l)
		case slices.Index(c.Office.Languages, l) < i:
			v.bad(fmt.Sprintf("office.languages[%d]", i), "%q is already announced", l)
		}
	}
	if c.Office.BoardBlinkSec < 0 || c.Office.BoardBlinkSec > 600 {
		v.bad("office.board_blink_s", "must be 0..600 seconds, got %d", c.Office.BoardBlinkSec)
	}
	if c.Office.HallSize < 1 || c.Office.HallSize > 50 {
		v.bad("office.hall_size", "must be 1..50, got %d", c.Office.HallSize)
	}
	for i, d := range c.Office.Holidays {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			v.bad(fmt.Sprintf("office.holidays[%d]", i), "must be a date such as 2026-01-01, got %q", d)
		}
	}
	if c.Office.RecallLimit < 1 || c.Office.RecallLimit > 20 {
		v.bad("office.recall_limit", "must be 1..20, got %d", c.Office.RecallLimit)
	}
	if c.Office.NextGuardSec < -1 || c.Office.NextGuardSec > 120 {
		v.bad("office.next_guard_s", "must be 0 (10 s), 1..120 seconds, or -1 for no guard, got %d", c.Office.NextGuardSec)
	}
	if c.Office.NoShowGraceMin < 0 || c.Office.NoShowGraceMin > 240 {
		v.bad("office.noshow_grace_min", "must be 0..240 minutes, got %v", c.Office.NoShowGraceMin)
	}
	for i, pc := range c.Office.PriorityCategories {
		if !idRe.MatchString(pc) {
			v.bad(fmt.Sprintf("office.priority_categories[%d]", i), "must be 1-32 Latin letters, digits, _ or - (it goes into events and statistics), got %q", pc)
		}
	}
	if c.Office.StatsDays < 1 || c.Office.StatsDays > 3660 {
		v.bad("office.stats_days", "must be 1..3660 days, got %d", c.Office.StatsDays)
	}
}

// services checks the services and returns their ids.
func (v *validation) services() map[string]bool {
	c := v.c
	services := map[string]bool{}
	prefixes := map[string]string{}
	seqWidth := map[string]int{}
	if len(c.Services) == 0 {
		v.bad("services", "at least one service is required")
	}
	for i, s := range c.Services {
		f := fmt.Sprintf("services[%d]", i)
		if !idRe.MatchString(s.ID) {
			v.bad(f+".id", "must be 1-32 Latin letters (a-z, A-Z), digits, _ or -, got %q", s.ID)
		} else if services[s.ID] {
			v.bad(f+".id", "%q is used twice", s.ID)
		}
		services[s.ID] = true
		if s.Name == "" {
			v.bad(f+".name", "is required (it is printed on the ticket)")
		}
		v.texts(f+".name", false, s.Name, s.NameEn)
		if n := utf8.RuneCountInString(s.Prefix); n < 1 || n > 2 {
			v.bad(f+".prefix", "must be 1 or 2 letters, got %q", s.Prefix)
		} else if rest := strings.TrimLeft(s.Prefix, ukCapitals); rest != "" {
			r, _ := utf8.DecodeRuneInString(rest)
			v.bad(f+".prefix", "must be Ukrainian capital letters (А, Б, … Я), which the voice says; got %q: %s", s.Prefix, notCapital(r))
		} else if other, dup := prefixes[s.Prefix]; dup {
			v.bad(f+".prefix", "%q is already the prefix of %q: two services would print the same labels", s.Prefix, other)
		} else {
			prefixes[s.Prefix] = s.ID
		}
		if s.Width < 1 || s.Width > 4 {
			v.bad(f+".width", "must be 1..4 digits, got %d", s.Width)
		}
		if s.AvgServiceMin < 0 || s.AvgServiceMin > 480 {
			v.bad(f+".avg_service_min", "must be 0..480 minutes, got %v", s.AvgServiceMin)
		}
		for day, h := range s.Hours {
			if !contains(Weekdays, day) {
				v.bad(f+".hours."+day, "unknown weekday; use one of %s", strings.Join(Weekdays, ", "))
				continue
			}
			if _, _, err := ParseHours(h); err != nil {
				v.bad(f+".hours."+day, "%v", err)
			}
		}
		if s.Sequence != "" {
			if !idRe.MatchString(s.Sequence) {
				v.bad(f+".sequence", "must be 1-32 Latin letters (a-z, A-Z), digits, _ or -, got %q", s.Sequence)
			} else if w, seen := seqWidth[s.Sequence]; seen && w != s.Width {
				v.bad(f+".sequence", "services of sequence %q must have the same width (%d and %d)", s.Sequence, w, s.Width)
			} else {
				seqWidth[s.Sequence] = s.Width
			}
		}
		if s.DailyCap < 0 {
			v.bad(f+".daily_cap", "must be 0 (no cap) or more, got %d", s.DailyCap)
		}
		if b := s.Booking; b != nil {
			if b.SlotMin < 5 || b.SlotMin > 240 {
				v.bad(f+".booking.slot_min", "must be 5..240 minutes, got %d", b.SlotMin)
			}
			if b.PerSlot < 0 || b.PerSlot > 50 {
				v.bad(f+".booking.per_slot", "must be 0 (1) or 1..50 visits, got %d", b.PerSlot)
			}
			if b.DaysAhead < 0 || b.DaysAhead > 366 {
				v.bad(f+".booking.days_ahead", "must be 0 (30) or 1..366 days, got %d", b.DaysAhead)
			}
		}
	}
	for i, s := range c.Services {
		if s.Sequence != "" && s.Sequence != s.ID && services[s.Sequence] {
			v.bad(fmt.Sprintf("services[%d].sequence", i), "%q is the id of another service; name the shared sequence apart", s.Sequence)
		}
	}
	return services
}

// counters checks the counters and returns the services they serve.
func (v *validation) counters(services map[string]bool) map[string]bool {
	c := v.c
	counters := map[string]bool{}
	for i, ct := range c.Counters {
		f := fmt.Sprintf("counters[%d]", i)
		if !counterRe.MatchString(ct.ID) {
			v.bad(f+".id", "must be a number 1..9999, which the voice says («вікно п'ять»), got %q", ct.ID)
		} else if counters[ct.ID] {
			v.bad(f+".id", "%q is used twice", ct.ID)
		}
		counters[ct.ID] = true
		if len(ct.Services) == 0 {
			v.bad(f+".services", "a counter must serve at least one service")
		}
		for j, s := range ct.Services {
			if !services[s] {
				v.bad(fmt.Sprintf("%s.services[%d]", f, j), "unknown service %q", s)
			}
		}
		for s, w := range ct.Weights {
			if !contains(ct.Services, s) {
				v.bad(f+".weights."+s, "the counter does not serve %q", s)
			} else if w <= 0 || w > 100 {
				v.bad(f+".weights."+s, "must be above 0 and at most 100, got %v", w)
			}
		}
		if ct.Kind != "window" && ct.Kind != "cabinet" {
			v.bad(f+".kind", "must be window or cabinet, got %q", ct.Kind)
		}
		if err := ct.Board.Validate(); err != nil {
			var fe *display.FieldError
			if errors.As(err, &fe) {
				v.bad(f+".board."+fe.Field, "%s", fe.Message)
			} else {
				v.bad(f+".board", "%v", err)
			}
		} else if p := c.Board(&ct).Awtrix.Prefix; ct.Board.Mode == display.ModeAwtrix && (p == c.Root() || strings.HasPrefix(p, c.Root()+"/")) {
			v.bad(f+".board.awtrix.prefix", "%q is inside the office's own topics (%s/…), where the controller would read what it sends the matrix as inputs: give the prefix set on the AWTRIX (awtrix_5a3f1c)", p, c.Root())
		}
		for _, action := range slices.Sorted(maps.Keys(ct.Buttons)) { // an error names the same pin every time
			pin := ct.Buttons[action]
			if !contains(CounterActions, action) {
				v.bad(f+".buttons."+action, "unknown action; use one of %s", strings.Join(CounterActions, ", "))
			}
			v.usePin(f+".buttons."+action, pin)
		}
		v.usePin(f+".lamp", ct.Lamp)
	}
	if len(c.Counters) == 0 {
		// A restart on it would send every waiting citizen home, and a
		// citizen at a counter back to the queue: no counter calls anyone.
		v.bad("counters", "at least one counter is required: with none, nobody is called, and every ticket waiting today would expire")
	}
	// A service no counter serves may stay (reached by no button: kept
	// for a counter to come back, or transfers, which refuse it until
	// then); a kiosk's button for one is refused (kiosks), as its tickets
	// would never be called.
	served := map[string]bool{}
	for _, ct := range c.Counters {
		for _, s := range ct.Services {
			served[s] = true
		}
	}
	return served
}

// printerProfiles checks the office's own printer profiles.
func (v *validation) printerProfiles() {
	c := v.c
	profiles := map[string]bool{}
	for i, p := range c.PrinterProfiles {
		f := fmt.Sprintf("printer_profiles[%d]", i)
		switch {
		case p == nil || p.Name == "":
			v.bad(f+".name", "is required: the name kiosks give in their profile")
			continue
		case profiles[p.Name]:
			v.bad(f+".name", "%q is used twice", p.Name)
		}
		profiles[p.Name] = true
		if err := p.Validate(); err != nil {
			v.bad(f, "%v", err)
		}
	}
}

// kiosks checks the kiosks, their buttons and their devices.
func (v *validation) kiosks(services, served map[string]bool) {
	c := v.c
	kiosks := map[string]bool{}
	printers := map[string]string{}
	var scanners []string
	for i, k := range c.Kiosks {
		f := fmt.Sprintf("kiosks[%d]", i)
		if !idRe.MatchString(k.ID) {
			v.bad(f+".id", "must be 1-32 Latin letters (a-z, A-Z), digits, _ or -, got %q", k.ID)
		} else if kiosks[k.ID] {
			v.bad(f+".id", "%q is used twice", k.ID)
		}
		kiosks[k.ID] = true
		if k.Scanner != "" {
			scanners = append(scanners, k.ID)
		}
		// Two kiosks on one printer would read each other's status replies.
		if p := strings.TrimSpace(k.Printer); p != "" && p != "none" {
			if other, dup := printers[p]; dup {
				v.bad(f+".printer", "%s is already the printer of kiosk %s: each kiosk needs its own", p, other)
			} else {
				v.useSerial(f+".printer", p, "the printer of kiosk "+k.ID)
			}
			printers[p] = k.ID
		}
		v.useSerial(f+".scanner", strings.TrimSpace(k.Scanner), "the scanner of kiosk "+k.ID)
		for j, b := range k.Buttons {
			bf := fmt.Sprintf("%s.buttons[%d]", f, j)
			switch {
			case !services[b.Service]:
				v.bad(bf+".service", "unknown service %q", b.Service)
			case !served[b.Service]:
				// Its tickets would never be called.
				v.bad(bf+".service", "no counter serves %q: give it a counter, or take its button away", b.Service)
			}
			if b.Category != "" && !contains(c.Office.PriorityCategories, b.Category) {
				v.bad(bf+".category", "unknown priority category %q; office.priority_categories has %v", b.Category, c.Office.PriorityCategories)
			}
			v.usePin(bf+".pin", b.Pin)
			v.usePin(bf+".lamp", b.Lamp)
		}
		v.usePin(f+".buzzer", k.Buzzer)
		if k.LongPressMS != 0 && (k.LongPressMS < 500 || k.LongPressMS > 10000) {
			v.bad(f+".long_press_ms", "must be 0 (off) or 500..10000 ms, got %d", k.LongPressMS)
		}
		if k.AppointmentCodes != "" {
			if _, err := regexp.Compile(k.AppointmentCodes); err != nil {
				v.bad(f+".appointment_codes", "is not a regular expression (RE2): %v", err)
			}
		}
		if k.ScanPrint != nil && *k.ScanPrint && (k.Scanner == "" || strings.TrimSpace(k.Printer) == "" || strings.TrimSpace(k.Printer) == "none") {
			v.bad(f+".scan_print", "needs a scanner and a printer at the kiosk")
		}
		if k.PressIntervalMS != 0 && (k.PressIntervalMS < 500 || k.PressIntervalMS > 60000) {
			v.bad(f+".press_interval_ms", "must be 0 (2000 ms) or 500..60000 ms, got %d", k.PressIntervalMS)
		}
		if k.PressesPerMinute != 0 && (k.PressesPerMinute < 1 || k.PressesPerMinute > 6000) {
			v.bad(f+".presses_per_minute", "must be 0 (30) or 1..6000, got %d", k.PressesPerMinute)
		}
		if k.StatusPollMS != 0 && (k.StatusPollMS < 100 || k.StatusPollMS > 3600000) {
			v.bad(f+".status_poll_ms", "must be 0 (500 ms) or 100..3600000 ms, got %d", k.StatusPollMS)
		}
		// Beyond 5 s a press waits for a printer switched off longer than
		// a citizen waits for a ticket.
		if k.StatusTimeoutMS != 0 && (k.StatusTimeoutMS < 100 || k.StatusTimeoutMS > 5000) {
			v.bad(f+".status_timeout_ms", "must be 0 (500 ms) or 100..5000 ms, got %d", k.StatusTimeoutMS)
		}
		switch {
		case k.LogoNV < 0 || k.LogoNV > 255:
			v.bad(f+".logo_nv", "must be 0 (none) or the key 1..255 of a logo stored in the printer, got %d", k.LogoNV)
		case k.Logo != "" && k.LogoNV != 0:
			v.bad(f+".logo", "give either logo (a PNG file) or logo_nv (a logo stored in the printer), not both")
		case k.Logo != "" && !filepath.IsAbs(k.Logo):
			v.bad(f+".logo", "must be an absolute path, such as /etc/cherga/logo.png, got %q", k.Logo)
		}
	}
	// A scanner tells a ticket's QR code by its {id}: without it, the
	// kiosk could not start.
	if len(scanners) > 0 && c.Office.StatusURL != "" && !strings.Contains(c.Office.StatusURL, "{id}") {
		v.bad("office.status_url", "has no {id}, which the scanner of kiosk %s needs to tell a scanned ticket: %q", strings.Join(scanners, ", "), c.Office.StatusURL)
	}
}

// broker checks how the office reaches its broker.
func (v *validation) broker() {
	c := v.c
	u := c.Broker.URL
	if u != "embedded" {
		if err := CheckBrokerURL(u); err != nil {
			v.bad("broker.url", "%v", err)
		}
	}
	if u == "embedded" && (c.Broker.Username != "" || c.Broker.Password != "") {
		v.bad("broker.username", "the embedded broker has no accounts: a username and password would protect nothing (use Mosquitto with accounts for that, broker.url tcp://…)")
	}
	c.Broker.validateTLS(v.bad)
}

// validateTLS checks the TLS files without reading them (Load does: a
// recorded version is parsed on a machine that may not have them).
func (b Broker) validateTLS(bad func(field, format string, args ...any)) {
	for _, f := range []struct{ field, path string }{{"broker.ca_file", b.CAFile}, {"broker.cert_file", b.CertFile}, {"broker.key_file", b.KeyFile}} {
		if f.path != "" && !filepath.IsAbs(f.path) {
			bad(f.field, "must be an absolute path, such as /etc/cherga/ca.pem, got %q", f.path)
		}
	}
	switch {
	case b.CertFile != "" && b.KeyFile == "":
		bad("broker.key_file", "is required with broker.cert_file: the client certificate's private key")
	case b.KeyFile != "" && b.CertFile == "":
		bad("broker.cert_file", "is required with broker.key_file: the client certificate of that key")
	}
	if !b.TLSFiles() {
		return
	}
	field := "broker.ca_file"
	if b.CAFile == "" {
		field = "broker.cert_file"
	}
	switch {
	case b.URL == "embedded":
		bad(field, "the embedded broker does not speak TLS: ca_file, cert_file and key_file are for a broker at ssl://host:port")
	case !IsTLS(b.URL) && CheckBrokerURL(b.URL) == nil:
		bad(field, "is used only over TLS: broker.url must be ssl://host:port (or mqtts://, tls://, tcps://), got %q", RedactURL(b.URL))
	}
}

// ParseHours parses "09:00-17:00" into minutes from midnight; "closed" (or
// "") gives 0, 0. "24:00" is the end of the day.
func ParseHours(s string) (from, to int, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "closed" {
		return 0, 0, nil
	}
	if strings.ContainsAny(s, "‐‑‒–—−") {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM with a hyphen (-), got %q: its dash is another character", s)
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM or closed, got %q", s)
	}
	if strings.Contains(b, "-") || strings.ContainsAny(s, ",;") {
		return 0, 0, fmt.Errorf("want one range HH:MM-HH:MM a day, got %q (a lunch break is no closing: the counters pause for it)", s)
	}
	if from, err = parseClock(a); err != nil {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM, such as 09:00-18:00, or closed, got %q: %w", s, err)
	}
	if to, err = parseClock(b); err != nil {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM, such as 09:00-18:00, or closed, got %q: %w", s, err)
	}
	if to <= from {
		return 0, 0, fmt.Errorf("closing %s is not after opening %s", b, a)
	}
	return from, to, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, herr := strconv.Atoi(hh)
	m, merr := strconv.Atoi(mm)
	if !ok || herr != nil || merr != nil || len(hh) > 2 || len(mm) != 2 || hh[0] == '+' || hh[0] == '-' || mm[0] == '+' || mm[0] == '-' {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	if h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("no such time of day %q", s)
	}
	return h*60 + m, nil
}

// Service returns the service with that id, or nil.
func (c *Config) Service(id string) *Service {
	for i := range c.Services {
		if c.Services[i].ID == id {
			return &c.Services[i]
		}
	}
	return nil
}

// DemoSiteShared is the warning of an office that keeps the built-in
// office's site, demo, on a broker that is not the embedded one: a second
// such office shares its topics and its client id.
const DemoSiteShared = "the site is demo, the built-in office's, on a broker that is not the embedded one: give each office on a shared broker its own site (site: in the office's file, and CHERGA_SITE in /etc/default/cherga), or offices take each other's topics"

// ServiceIDs are the ids of the services, in order: what an unknown one
// is refused with.
func (c *Config) ServiceIDs() []string {
	ids := make([]string, len(c.Services))
	for i, s := range c.Services {
		ids[i] = s.ID
	}
	return ids
}

// Counter returns the counter with that id, or nil.
func (c *Config) Counter(id string) *Counter {
	for i := range c.Counters {
		if c.Counters[i].ID == id {
			return &c.Counters[i]
		}
	}
	return nil
}

// Kiosk returns the kiosk with that id, or nil.
func (c *Config) Kiosk(id string) *Kiosk {
	for i := range c.Kiosks {
		if c.Kiosks[i].ID == id {
			return &c.Kiosks[i]
		}
	}
	return nil
}

// NumberingKey is the numbering a service draws from: its sequence, or its
// own id.
func (s *Service) NumberingKey() string {
	if s.Sequence != "" {
		return s.Sequence
	}
	return s.ID
}

// Weight is the call-policy weight of a service at this counter.
func (c *Counter) Weight(service string) float64 {
	if w, ok := c.Weights[service]; ok && w > 0 {
		return w
	}
	return 1
}

// HoursOf returns the opening hours of a service on a weekday (mon..sun) in
// minutes from midnight; from == to means closed.
func (c *Config) HoursOf(s *Service, weekday string) (from, to int) {
	h := c.Office.Hours[weekday]
	if s != nil && s.Hours != nil {
		h = s.Hours[weekday]
	}
	from, to, err := ParseHours(h)
	if err != nil {
		return 0, 0
	}
	return from, to
}

// DayHours are the hours of a service (nil: the office) on the day of t,
// given in the office's time zone, in minutes from midnight; ok is false
// on a holiday or a day it does not work.
func (c *Config) DayHours(s *Service, t time.Time) (from, to int, ok bool) {
	if c.Holiday(t.Format("2006-01-02")) {
		return 0, 0, false
	}
	from, to = c.HoursOf(s, Weekday(t))
	return from, to, from != to
}

// OpenAt reports whether t, given in the office's time zone, falls in the
// hours of a service (nil: the office).
func (c *Config) OpenAt(s *Service, t time.Time) bool {
	from, to, ok := c.DayHours(s, t)
	m := t.Hour()*60 + t.Minute()
	return ok && m >= from && m < to
}

// NextGuard is office.next_guard_s as a duration: 0 for no guard (-1),
// 10 s when unset.
func (o *Office) NextGuard() time.Duration {
	switch {
	case o.NextGuardSec < 0:
		return 0
	case o.NextGuardSec == 0:
		return 10 * time.Second
	}
	return time.Duration(o.NextGuardSec) * time.Second
}

// MinNoShowGuard is the shortest time after a call or recall in which a
// no-show is refused, while the guard is on: a call takes 9 to 21 s to
// say in both languages (А023 to window 5, ЩЖ9777 to 9777), and then the
// citizen has to walk.
const MinNoShowGuard = 30 * time.Second

// NoShowGuard is how long after a call or recall a no-show is refused
// while the citizen has not come: office.next_guard_s, at least
// MinNoShowGuard; 0 with the guard off (-1).
func (o *Office) NoShowGuard() time.Duration {
	if g := o.NextGuard(); g > 0 {
		return max(g, MinNoShowGuard)
	}
	return 0
}

// NextOpening is when a service (nil: the office) opens next after now: the
// start of its hours on the first day, today included, in the office's time
// zone, that is not a holiday and whose hours begin after now. ok is false
// when it opens more than a week from now, or never (no hours): a
// kiosk then says nothing of when to come back.
func (c *Config) NextOpening(s *Service, now time.Time) (at time.Time, ok bool) {
	loc := c.Location()
	y, m, d := now.In(loc).Date()
	for i := range 8 {
		// Noon: no daylight-saving change falls on it.
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		from, _, open := c.DayHours(s, day)
		if !open {
			continue
		}
		at = time.Date(day.Year(), day.Month(), day.Day(), from/60, from%60, 0, 0, loc)
		switch {
		case !at.After(now):
			continue // today's hours began already
		case at.Sub(now) > 7*24*time.Hour:
			return time.Time{}, false
		}
		return at, true
	}
	return time.Time{}, false
}

// Holiday reports whether day ("2026-01-01") is one of the office's holidays.
func (c *Config) Holiday(day string) bool { return contains(c.Office.Holidays, day) }

// Location is the office time zone; Validate guarantees it loads.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Office.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Root is the MQTT topic root, qms/{site}.
func (c *Config) Root() string { return "qms/" + c.Site }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lookalikeDigits are the prefixes a citizen reads as a digit on a ticket
// or a board: З003 as 3003, О010 as 0010, Б060 as 6060, Ч040 as 4040 (on
// a board of few dots).
var lookalikeDigits = map[string]string{"З": "3", "О": "0", "Б": "6", "Ч": "4"}

// soundAlike folds the letters whose names a hall's loudspeaker blurs
// into one: «ге» and «ґе», «ша» and «ща», «е» and «є», «і» and «ї».
var soundAlike = strings.NewReplacer("Ґ", "Г", "Щ", "Ш", "Є", "Е", "Ї", "І")

// PrefixWarnings says which service prefixes a citizen may misread or
// mishear: one that reads as a digit; Ь, which has no sound of its own
// (the English voice says "soft sign", a board in ASCII drops it); two
// prefixes that are one letter in English and on ASCII boards (И and Й
// are both Y); two prefixes whose letters' names sound alike over a
// loudspeaker (Г and Ґ, Ш and Щ). Not Validate errors: an office may have
// printed them for years; the log and config.set's answer say them.
func (c *Config) PrefixWarnings() []string {
	var out []string
	latin := map[string]string{} // transliteration → prefix
	heard := map[string]string{} // soundAlike → prefix
	for i, s := range c.Services {
		f := c.Where(fmt.Sprintf("services[%d].prefix", i))
		if d, ok := lookalikeDigits[s.Prefix]; ok {
			out = append(out, fmt.Sprintf("%s: %s reads as the digit %s on a ticket and a board (%s001 as %s001): a letter unlike a digit is clearer", f, s.Prefix, d, s.Prefix, d))
		}
		if strings.Contains(s.Prefix, "Ь") {
			out = append(out, f+": Ь has no sound of its own: the English voice says \"soft sign\", and a board in ASCII leaves it out")
			continue
		}
		// Whatever its case: the English voice spells Zh (Ж) and ZH
		// (ЗГ) alike, and a board's capitals show them alike.
		l := strings.ToUpper(display.TransliterateLabel(s.Prefix))
		if other, ok := latin[l]; ok && other != s.Prefix {
			out = append(out, fmt.Sprintf("%s: %s and %s are both %q in the English announcement and on a board in ASCII: the citizens of one would go at the other's call", f, other, s.Prefix, l))
		}
		latin[l] = s.Prefix
		h := soundAlike.Replace(s.Prefix)
		if other, ok := heard[h]; ok && other != s.Prefix {
			out = append(out, fmt.Sprintf("%s: %s and %s sound alike over the hall's loudspeaker: the citizens of one would go at the other's call; a letter that sounds unlike the others is clearer", f, other, s.Prefix))
		}
		heard[h] = s.Prefix
	}
	return out
}

// Board is counter ct's board as this office drives it: {site} in its
// AWTRIX prefix is the site, so that offices on one broker that share a
// configuration file's prefix (awtrix_{site}_13) drive matrices of their
// own.
func (c *Config) Board(ct *Counter) *display.BoardOpts {
	b := ct.Board
	b.Awtrix.Prefix = strings.ReplaceAll(b.Awtrix.Prefix, "{site}", c.Site)
	return &b
}

// SharedMatrix names the first counter whose AWTRIX matrix prefix another
// counter has already: one matrix would show both counters' calls. Not a
// Validate error: a configuration recorded before it was checked must
// still start (an administrator's version that no longer validated would
// give way to the file, and send citizens home); a change is refused.
func (c *Config) SharedMatrix() error {
	matrices := map[string]string{} // prefix → counter
	for i, ct := range c.Counters {
		if ct.Board.Mode != display.ModeAwtrix {
			continue
		}
		p := c.Board(&ct).Awtrix.Prefix
		if other, dup := matrices[p]; dup {
			f := fmt.Sprintf("counters[%d].board.awtrix.prefix", i)
			return &FieldError{Field: f, Where: c.Where(f),
				Message: fmt.Sprintf("%q is already the matrix of counter %s: give each counter's matrix its own prefix", p, other)}
		}
		matrices[p] = ct.ID
	}
	return nil
}

// serialPath is the device of a serial:PATH?… spec (a printer's or a
// scanner's), "" for another kind.
func serialPath(spec string) string {
	rest, ok := strings.CutPrefix(spec, "serial:")
	if !ok {
		return ""
	}
	path, _, _ := strings.Cut(rest, "?")
	return path
}

// claim gives key ("" is none) to whose in used, unless another has it:
// then it says who (dup).
func claim(used map[string]string, key, whose string) (other string, dup bool) {
	if key == "" {
		return "", false
	}
	if other, dup = used[key]; !dup {
		used[key] = whose
	}
	return other, dup
}
