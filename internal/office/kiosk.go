package office

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
)

// kiosk serves one ticket terminal: its presses, one at a time, and its
// printer. A press is refused (nothing is issued) while the printer cannot
// print; a ticket whose print failed is voided, so it is never called.
type kiosk struct {
	o       *Office
	cfg     config.Kiosk
	spec    string
	profile *printer.Profile
	logo    *printer.Bitmap // kiosks[].logo for this printer; nil for none
	prn     *printer.Printer
	presses chan press
	jobs    chan func(context.Context)
	// relit asks the kiosk's goroutine to light the lamps again: one
	// asking at most waits, so a change while the lamps are being lit is
	// never lost (relight).
	relit chan struct{}
	pace  pace // of the presses over MQTT; the kiosk's goroutine's
	// lastOf is the answer to the last press served of each source (a
	// GPIO button), which its repeats answer to; the kiosk's goroutine's.
	lastOf map[string]Result
	// acted is when a scan last printed a copy of a ticket ("ticket 57")
	// or recorded an appointment code ("code AB12CD34"): a scanner reads a
	// code held up to it again and again; the kiosk's goroutine's.
	acted map[string]time.Time
	// stored is the time the kiosk has waited for the store: a press
	// waits staleAfter of it at most, and its time at a slow printer (its
	// own status round, and that of the polls and the tickets it waited
	// behind) is not the store's, and does not make it stale.
	stored waitClock
	// nearEndAt is when the printer last said its paper is near its end
	// (kiosk goroutine).
	nearEndAt time.Time
	// state is the printer's state as {root}/printer/{kiosk} has it, for
	// office.state (other goroutines); nil until first known.
	state atomic.Pointer[PrinterState]

	status    printer.Status
	statusErr error
	published string // the printer state last published ...
	pubConn   uint64 // ... on this connection to the broker (Office.connects)
	logged    string // the printer state last logged
	said      logBudget

	// A printer that has never answered a status request since cherga
	// started is taken to have no status channel (a write-only USB lp
	// device, a bare pty): it prints without checks, and is probed again
	// now and then. One that answered once and then falls silent is
	// offline, and the kiosk refuses.
	answered bool
	noStatus bool
	probed   time.Time
	// garbledAt is when the printer last answered status with bytes that
	// are no status reply: a line at the wrong baud rate, or a profile
	// not the printer's. It talks back, so silence is no sign of a
	// printer without a status channel.
	garbledAt time.Time

	// lamps light the buttons (by their index in the kiosk's buttons)
	// whose services can issue now; buzzer beeps once for a press that gives
	// a ticket, twice for a priority one, three times for one refused.
	// Either may be missing.
	lamps map[int]*device.Lamp
	lit   map[int]bool
	// dead are the buttons (by index) whose GPIO line cannot be read: not
	// taken at start (busy: another program or an overlay holds it), or
	// lost since (device.EventLineLost). Their lamps stay dark.
	dead   []atomic.Bool
	buzzer *device.Lamp

	scanner *device.Scanner // nil without one
	scans   chan device.Scan

	// answers are the answers to the latest presses that had an id: a
	// press delivered again gets its answer again, not a second ticket
	// (kiosk loop only).
	answers recent[Result]
	// queued are the ids of the presses in presses, with what they ask: a
	// press delivered again meanwhile is answered once, when it is served.
	queuedMu sync.Mutex
	queued   map[string]string
}

// ScanResult is the payload of {root}/kiosk/{kiosk}/scan: what a scanned
// code is, for the kiosk's screen.
type ScanResult struct {
	Kind    string `json:"kind"` // ticket, appointment, unknown, error
	OK      bool   `json:"ok"`
	Ticket  string `json:"ticket,omitempty"`
	State   string `json:"state,omitempty"`
	Service string `json:"service,omitempty"` // its service now (a transfer changes it)
	Counter string `json:"counter,omitempty"` // where a called or served ticket is
	Ahead   int    `json:"ahead,omitempty"`
	EtaMin  int    `json:"eta_min,omitempty"`
	Code    string `json:"code,omitempty"`
	// Printed: the kiosk printed a copy of the ticket scanned
	// (kiosks[].scan_print).
	Printed bool `json:"printed,omitempty"`
	// Reason says why OK is false: not_found (no such ticket today), ended
	// (done, noshow, voided, expired), unreadable (kind error).
	Reason  string    `json:"reason,omitempty"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// MarshalJSON gives ahead and eta_min for a waiting ticket, 0 included,
// and an unknown eta_min as null; a booked visit checked in, its eta_min
// alone (called at its time: the people ahead now say nothing of it).
func (r ScanResult) MarshalJSON() ([]byte, error) {
	type plain ScanResult
	if r.Kind == "appointment" && r.OK {
		return json.Marshal(struct {
			plain
			EtaMin *int `json:"eta_min"`
		}{plain(r), display.ETA(r.EtaMin)})
	}
	if r.Kind != "ticket" || !r.OK || r.State != string(queue.Waiting) {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		Ahead  int  `json:"ahead"`
		EtaMin *int `json:"eta_min"`
	}{plain(r), r.Ahead, display.ETA(r.EtaMin)})
}

// probeEvery is how often a printer without a status channel is asked again.
const probeEvery = 30 * time.Second

type press struct {
	service  string
	priority bool
	category string // of the priority (one of office.priority_categories)
	source   string
	// repeat is a press within the button's mash interval: it issues
	// nothing, and the kiosk says so.
	repeat bool
	// id is the press's own id from a screen kiosk, given back in its
	// answer.
	id string
	// at is when it came (submit), and storedBefore the kiosk's time
	// waiting for the store then.
	at           time.Time
	storedBefore time.Duration
	// appointment is the code of a visit booked ahead, scanned: the
	// ticket is its (checkIn).
	appointment string
}

// asked is what the press asks, to tell a delivery again (the same) from
// another press under a reused id.
func (p press) asked() string { return fmt.Sprintf("%s %t %s", p.service, p.priority, p.category) }

// Result is the payload of {root}/kiosk/{kiosk}/ticket: what a press gave.
type Result struct {
	OK      bool   `json:"ok"`
	Press   string `json:"press,omitempty"` // the id the press carried
	Service string `json:"service"`
	Ticket  string `json:"ticket,omitempty"`
	ID      uint64 `json:"id,omitempty"`
	Ahead   int    `json:"ahead,omitempty"`
	EtaMin  int    `json:"eta_min,omitempty"`
	// Late: the ticket is expected to be served only after its service
	// closes (issued all the same without office.refuse_late).
	Late bool `json:"late,omitempty"`
	// Priority and Category are the issued ticket's (a category makes a
	// priority ticket).
	Priority bool   `json:"priority,omitempty"`
	Category string `json:"category,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message,omitempty"`
	// Again: the answer of a press delivered again with the same id,
	// which was not served again.
	Again bool      `json:"again,omitempty"`
	At    time.Time `json:"at"`
}

// MarshalJSON gives ahead and eta_min for every ticket issued, 0 included,
// and an unknown eta_min as null.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	if !r.OK {
		return json.Marshal(plain(r))
	}
	return json.Marshal(struct {
		plain
		Ahead  int  `json:"ahead"`
		EtaMin *int `json:"eta_min"`
	}{plain(r), r.Ahead, display.ETA(r.EtaMin)})
}

// PrinterState is the retained {root}/printer/{kiosk} payload.
type PrinterState struct {
	Online bool   `json:"online"`
	Paper  string `json:"paper"`
	Cover  string `json:"cover"`
	Error  string `json:"error,omitempty"`
	// Fix is what the staff do about Error (English, for the technician).
	Fix string `json:"fix,omitempty"`
}

func newKiosk(o *Office, cfg config.Kiosk, spec string) (*kiosk, error) {
	p, err := firmwareconfig.PrinterProfile(cfg.Profile, o.conf().PrinterProfiles)
	if err != nil {
		return nil, &FieldError{Field: kioskField(o.conf(), cfg.ID, "profile"), Err: fmt.Errorf("office: kiosk %s: %w", cfg.ID, err)}
	}
	// A spec that can never open is a mistake to say now, not a printer
	// that is not plugged in yet.
	if err := printer.CheckSpec(spec); err != nil {
		return nil, fmt.Errorf("office: kiosk %s: %w", cfg.ID, err)
	}
	k := &kiosk{o: o, cfg: cfg, spec: spec, profile: p, presses: make(chan press, 16), pace: pace{perMinute: cfg.PressesPerMinute}, lastOf: map[string]Result{}, acted: map[string]time.Time{}, jobs: make(chan func(context.Context)), relit: make(chan struct{}, 1), queued: map[string]string{},
		lamps: map[int]*device.Lamp{}, lit: map[int]bool{}, dead: make([]atomic.Bool, len(cfg.Buttons)), scans: make(chan device.Scan, 8)}
	if cfg.Scanner != "" {
		sc, err := device.OpenScanner(cfg.Scanner, &device.ScannerOpts{StatusURL: o.conf().Office.StatusURL, Site: o.conf().Site, Appointment: cfg.AppointmentCodes})
		if err != nil {
			return nil, fmt.Errorf("office: kiosk %s: scanner: %w", cfg.ID, err)
		}
		k.scanner = sc
	}
	if err := printable(o.conf(), cfg.ID, p); err != nil {
		return nil, err
	}
	if err := k.loadLogo(); err != nil {
		return nil, err
	}
	return k, nil
}

// kioskField names a field of kiosk id in cfg: kiosks[0].logo.
func kioskField(cfg *config.Config, id, name string) string {
	for i, kc := range cfg.Kiosks {
		if kc.ID == id {
			return fmt.Sprintf("kiosks[%d].%s", i, name)
		}
	}
	return "kiosks[]." + name
}

// maxLogoWire is the longest a raster logo may take on a kiosk's serial
// line: the citizen waits for it with every ticket, and the ticket must
// reach the paper well within the print's deadline.
const maxLogoWire = 2 * time.Second

// loadLogo reads the kiosk's PNG logo (kiosks[].logo) and makes it the
// bitmap its printer prints, scaled to the paper.
func (k *kiosk) loadLogo() error {
	if k.cfg.Logo == "" {
		return nil
	}
	field := kioskField(k.o.conf(), k.cfg.ID, "logo")
	bad := func(format string, args ...any) error {
		return &FieldError{Field: field, Err: fmt.Errorf("office: kiosk %s: logo %s: "+format, append([]any{k.cfg.ID, k.cfg.Logo}, args...)...)}
	}
	f, err := os.Open(k.cfg.Logo)
	if err != nil {
		return bad("%w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return bad("not a PNG image: %w", err)
	}
	bm, err := printer.NewBitmap(img, k.profile.Dots())
	if err != nil {
		return bad("%w", err)
	}
	// What would void every ticket is said now: laid out once.
	if _, err := k.profile.Ticket(&printer.Ticket{Label: "А1", Logo: bm}); err != nil {
		return bad("%w", err)
	}
	n := 8 + len(bm.Data) // GS v 0 and its six parameters, then the dots
	if wire, _ := printer.WireTime(k.spec, n); wire > maxLogoWire {
		return bad("its %d bytes take %v on %s, more than %v with every ticket: make it smaller, or store it in the printer and set logo_nv", n, wire.Round(100*time.Millisecond), k.spec, maxLogoWire)
	}
	k.logo = bm
	return nil
}

// printable checks that a kiosk's printer can print every ticket of cfg:
// a text its code page cannot print would void every ticket of its
// service, so the configuration is refused, naming the field.
func printable(cfg *config.Config, kiosk string, p *printer.Profile) error {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, cfg.Location())
	check := func(field, what, service, serviceEn, label string) error {
		// The largest figures a ticket can carry, and its priority and
		// late lines: its size is bounded too.
		tk := queue.Ticket{ID: 1<<53 - 1, Label: label, Issued: at, Priority: true}
		pt := ticketOf(cfg, tk, service, serviceEn, 9999, 99*time.Hour)
		pt.Late, pt.Closes = true, "23:59"
		b, err := p.Ticket(pt)
		if err != nil {
			return &FieldError{Field: field, Err: fmt.Errorf("office: kiosk %s cannot print %s on %s: %w", kiosk, what, p.Name, err)}
		}
		if len(b) >= maxTicketBytes {
			return &FieldError{Field: field, Err: fmt.Errorf("office: kiosk %s: a ticket with %s takes %d bytes on %s, at most %d: shorten the texts", kiosk, what, len(b), p.Name, maxTicketBytes-1)}
		}
		return nil
	}
	if err := check("office", "the office's texts", "-", "", "А1"); err != nil {
		return err
	}
	for i, svc := range cfg.Services {
		label := queue.FormatLabel(svc.Prefix, maxLabelNumber(svc.Width), svc.Width)
		if err := check(fmt.Sprintf("services[%d]", i), "the tickets of service "+svc.ID, svc.Name, svc.NameEn, label); err != nil {
			return err
		}
	}
	return nil
}

// maxTicketBytes bounds a ticket without a logo (issue: under 1 KB), so
// that it reaches a 9600-baud printer in about a second.
const maxTicketBytes = 1024

// maxLabelNumber is the widest number of a label width digits wide.
func maxLabelNumber(width int) int {
	n := 9
	for range width - 1 {
		n = n*10 + 9
	}
	return n
}

// FieldError is a configuration that cannot run, and the field at fault.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// submit hands a press to the kiosk's loop. One that finds the loop with a
// full backlog (a burst from a screen kiosk) is answered at once: the
// kiosk's screen says to press again.
func (k *kiosk) submit(p press) {
	p.at = time.Now()
	p.storedBefore = k.stored.read(p.at)
	if !k.enqueue(p) {
		const msg = "Термінал зайнятий. Будь ласка, натисніть кнопку ще раз. / The kiosk is busy. Please press the button again."
		k.o.refusedAs("kiosk/"+k.cfg.ID, p.id, "busy", msg, fmt.Errorf("office: the kiosk's backlog is full (%d presses wait): refused as busy (service %s)", cap(k.presses), p.service))
		k.answer(refuse(Result{Press: p.id, Service: p.service, At: k.o.now()}, "busy", msg))
	}
}

// enqueue hands p to the kiosk's loop, and reports whether it is there: a
// press sent again by a screen that had no answer yet is, already (the one
// in the backlog answers it: "busy" now would contradict it).
func (k *kiosk) enqueue(p press) bool {
	if p.id != "" {
		k.queuedMu.Lock()
		defer k.queuedMu.Unlock()
		if k.queued[p.id] == p.asked() {
			return true
		}
	}
	select {
	case k.presses <- p:
		if p.id != "" {
			k.queued[p.id] = p.asked()
		}
		return true
	default:
		return false
	}
}

// answer publishes what a press gave on the kiosk's topic, for its screen.
// Not awaited: a broker that hangs must not hold the next citizen's ticket,
// and the caller may be the MQTT client's own goroutine.
func (k *kiosk) answer(r Result) { k.o.answerKiosk(k.cfg.ID, r) }

func (o *Office) answerKiosk(kiosk string, r Result) {
	if err := o.bus.Start(bus.KioskTicket(o.conf().Root(), kiosk), 1, false, mustJSON(r)).Err(); err != nil {
		o.log.Debug("office: kiosk result not published", "err", err)
	}
}

// scannedTicket fills the answer to a scan of today's ticket t: where it
// stands while it waits, where to go once called, and that it is no
// longer valid once it has ended (ok false: a screen must not show it as a
// ticket in the queue).
func (k *kiosk) scannedTicket(ctx context.Context, r *ScanResult, t queue.Ticket) {
	r.Ticket, r.State, r.Service, r.Reason = t.Label, string(t.State), t.Service, ""
	cfg, now := k.o.conf(), k.o.clock().In(k.o.loc) // the office's hours, not the machine's zone
	svc := serviceOf(cfg, &t)
	switch {
	case t.State == queue.Expired, t.State == queue.Waiting && svc != nil && !cfg.OpenAt(svc, now):
		// Sent home at the closing (a moment ago, or in a moment: the
		// engine ends them as it comes to it).
		r.Reason = "ended"
		r.Message = endedToday(cfg, svc, t.Label, now)
		return
	}
	switch t.State {
	case queue.Waiting:
		r.OK = true
		uk, en := "Талон "+t.Label+" у черзі.", "Ticket "+englishLabel(t.Label)+" is in the queue."
		var ahead int
		var wait time.Duration
		var err error
		k.waitStore(func() { ahead, wait, err = k.o.eng.Position(ctx, t.ID) })
		if err == nil {
			r.Ahead, r.EtaMin = ahead, queue.Minutes(wait)
			alert := false
			if onBreak(ahead, wait) {
				k.waitStore(func() { alert = k.o.inAlert(ctx) })
			}
			puk, pen := positionText(ahead, wait, alert)
			uk, en = uk+" "+puk, en+" "+pen
		} else {
			r.EtaMin = -1
		}
		r.Message = uk + " / " + en
	case queue.Called, queue.Serving:
		r.OK, r.Counter = true, t.Counter
		uk, en := calledTo(k.o.conf(), t.Counter)
		r.Message = uk + " / " + en
		if t.State == queue.Serving {
			return // at the counter already: nothing to print
		}
	default: // done, noshow, voided, expired
		r.Reason = "ended"
		r.Message = "Талон " + t.Label + " уже недійсний. Якщо вам потрібна послуга, будь ласка, візьміть новий талон. / Ticket " + englishLabel(t.Label) + " is no longer valid. If you need a service, please take a new ticket."
		return
	}
	if k.scanPrints() {
		k.copyOnScan(ctx, r, t)
	}
}

// endedToday says of a ticket sent home at its service's closing that
// today's service is over, and when the service is given again.
func endedToday(cfg *config.Config, svc *config.Service, label string, now time.Time) string {
	auk, aen := givenAgain(cfg, svc, now)
	return "Талон " + label + " уже недійсний: прийом на сьогодні завершено." + auk + " / " +
		"Ticket " + englishLabel(label) + " is no longer valid: today's service has ended." + aen
}

// givenAgain says when svc is given again after now, « Цю послугу
// надаватимуть завтра з 09:00.», after a space; "" when not within a
// week, or no counter serves it.
func givenAgain(cfg *config.Config, svc *config.Service, now time.Time) (uk, en string) {
	if svc == nil || !served(cfg, svc.ID) {
		return "", ""
	}
	opens, ok := cfg.NextOpening(svc, now)
	if !ok {
		return "", ""
	}
	uk, en = availableText("Цю послугу", "This service", opens, now)
	return " " + uk + ".", " " + en + "."
}

// scanPrints reports whether a scan of a ticket prints a copy of it
// (kiosks[].scan_print): by default at a kiosk with a printer.
func (k *kiosk) scanPrints() bool {
	if k.spec == "none" { // -printer none too, whatever the file says
		return false
	}
	return k.cfg.ScanPrint == nil || *k.cfg.ScanPrint
}

// scanActEvery is how often a scan of one code acts (a copy of a ticket,
// an appointment recorded): a scanner reads a code held up to it again and
// again.
const scanActEvery = time.Minute

// scanRetryAfter is how long a scan whose copy failed waits before it is
// tried again.
const scanRetryAfter = 10 * time.Second

// actedOn reports whether a scan of key acted within scanActEvery, and
// forgets the older ones.
func (k *kiosk) actedOn(key string, now time.Time) bool {
	for old, at := range k.acted {
		if now.Sub(at) >= scanActEvery || at.After(now) {
			delete(k.acted, old)
		}
	}
	_, ok := k.acted[key]
	return ok
}

// copyOnScan prints a copy of the scanned ticket t, waiting or called,
// with where its citizen stands now or where to go, as printOnScan allows;
// a copy that cannot be printed (the paper out, the printer known not
// ready) beeps three times, and the answer says nothing of one.
func (k *kiosk) copyOnScan(ctx context.Context, r *ScanResult, t queue.Ticket) {
	printed, err := k.printOnScan("ticket "+strconv.FormatUint(t.ID, 10), func() error { return k.reprint(ctx, t) })
	switch {
	case err != nil:
		k.o.log.Warn("kiosk: no copy of the ticket scanned", "kiosk", k.cfg.ID, "ticket", t.Label, "err", err)
		k.beep(3)
	case printed:
		r.Printed = true
		r.Message = alsoSays(r.Message, "Копію талона надруковано.", "A copy of the ticket has been printed.")
		k.beep(1)
	}
}

// printOnScan prints what a scan of the code key asks for, unless it was
// printed within scanActEvery (a scanner reads a code held up to it again
// and again), or the printer is known not to print; one that failed is
// not tried again for scanRetryAfter: a code held up to a printer gone
// silent would hold the kiosk at each read.
func (k *kiosk) printOnScan(key string, print func() error) (printed bool, err error) {
	now := time.Now()
	if k.actedOn(key, now) {
		return false, nil
	}
	err = k.statusErr // a printer that cannot print: not tried
	if err == nil {
		err = print()
	}
	if err != nil {
		k.acted[key] = now.Add(scanRetryAfter - scanActEvery)
		return false, err
	}
	k.acted[key] = now
	return true, nil
}

// noticeOnScan answers, at a kiosk without a screen, a scan that gave
// nothing: three beeps and, for a booking or a ticket, a slip that says
// why (come on the day, the slot is over, the ticket is no longer valid),
// once a minute per code, as a copy of a ticket is. A code of no kind the
// kiosk knows, or one it could not read, prints nothing: a product's
// barcode held up by mistake wastes no paper. Nor does a code no booking
// has: a booking system of the office's own may know it.
func (k *kiosk) noticeOnScan(ctx context.Context, r *ScanResult) {
	k.beep(3)
	title := map[string]string{"appointment": "ЗАПИС / APPOINTMENT", "ticket": "ТАЛОН / TICKET"}[r.Kind]
	if r.Kind == "appointment" && r.Reason == "not_found" {
		title = ""
	}
	uk, en, _ := strings.Cut(r.Message, " / ")
	if title == "" || uk == "" {
		return
	}
	printed, err := k.printOnScan("notice "+r.Code, func() error {
		cfg := k.o.conf()
		doc, err := k.profile.Notice(&printer.Notice{Header: cfg.Office.Name, HeaderEn: cfg.Office.NameEn, Title: title,
			Text: uk, TextEn: en, At: k.o.clock().In(k.o.loc)})
		if err == nil {
			err = k.ready(ctx)
		}
		if err == nil {
			if err = k.print(ctx, doc, "(a notice)"); err != nil {
				k.printFailed(ctx, err)
			}
		}
		return err
	})
	switch {
	case err != nil:
		k.o.log.Warn("kiosk: no notice of the scan printed", "kiosk", k.cfg.ID, "reason", r.Reason, "err", err)
	case printed:
		r.Printed = true
		r.Message = alsoSays(r.Message, "Пояснення надруковано.", "A note saying so has been printed.")
	}
}

// msgRepeat answers a press of a GPIO button within its press interval
// of the one that gave a ticket: a mash, a bounce, or the next citizen
// a moment after (so not «your ticket»).
const msgRepeat = "Талон уже друкується: одне натискання — один талон. Наступний — через кілька секунд. / A ticket is already printing: one ticket per press. You can take the next one in a few seconds."

// msgRepeatNowIssuable answers a repeat of a refused press once what
// refused it is over: the repeat itself is not served (kiosk.run).
const msgRepeatNowIssuable = "Тепер талон можна отримати: натисніть кнопку ще раз. / A ticket can be issued now: please press the button again."

// alsoSays is a message "uk / en" with a sentence more in each language,
// after a full stop ("Вас викликано: вікно 3" has none).
func alsoSays(msg, uk, en string) string {
	muk, men, _ := strings.Cut(msg, " / ")
	stop := func(s string) string {
		if endsSentence(s) {
			return s
		}
		return s + "."
	}
	return stop(muk) + " " + uk + " / " + stop(men) + " " + en
}

// readScanner runs the scanner until ctx ends, handing each scan to the
// kiosk's loop; a scan that finds the loop busy with eight others is
// dropped (a citizen scans again).
func (k *kiosk) readScanner(ctx context.Context) {
	defer k.o.wg.Done()
	err := k.scanner.Run(ctx, func(s device.Scan) {
		select {
		case k.scans <- s:
		default:
			k.o.log.Warn("office: scan dropped: the kiosk is busy", "kiosk", k.cfg.ID)
		}
	})
	if err != nil && ctx.Err() == nil {
		k.o.log.Error("office: scanner stopped", "kiosk", k.cfg.ID, "err", err)
	}
}

// scanned answers a scanned code on {root}/kiosk/{kiosk}/scan, with a
// message the kiosk's screen shows the citizen who scanned it.
func (k *kiosk) scanned(ctx context.Context, s device.Scan) {
	r := ScanResult{Code: s.Code, At: k.o.now()}
	switch s.Kind {
	case device.ScanError:
		k.o.reportError("kiosk/"+k.cfg.ID+"/scanner", s.Err)
		if errors.Is(s.Err, device.ErrScannerOffline) {
			return // nobody scanned anything: the scanner went away
		}
		// A citizen held something up and is waiting for an answer.
		r.Kind, r.Reason = "error", "unreadable"
		r.Message = "Код не вдалося прочитати. Будь ласка, відскануйте ще раз або візьміть талон. / The code could not be read. Please scan again or take a ticket."
	case device.ScanTicketQR:
		r.Kind, r.Reason = "ticket", "not_found"
		r.Message = "Такого талона сьогодні не видавали. Будь ласка, зверніться до працівника офісу. / No such ticket was issued today. Please ask a member of staff."
		var tickets []queue.Ticket
		var err error
		k.waitStore(func() { tickets, err = k.o.eng.Tickets(ctx) })
		if err != nil {
			k.o.log.Error("office: scan", "err", err)
			return
		}
		for _, t := range tickets {
			if t.ID == s.TicketID {
				k.scannedTicket(ctx, &r, t)
			}
		}
	case device.ScanAppointment:
		r.Kind = "appointment"
		k.checkIn(ctx, &r, s)
	default:
		r.Kind = "unknown"
		r.Message = "Код не розпізнано. Будь ласка, відскануйте талон ще раз. / The code was not recognised. Please scan the ticket again."
	}
	if !r.OK && k.scanPrints() {
		k.noticeOnScan(ctx, &r) // a kiosk of buttons has no screen to say why
	}
	k.o.log.Info("kiosk scan", "kiosk", k.cfg.ID, "kind", r.Kind, "ticket", r.Ticket, "ok", r.OK, "printed", r.Printed)
	if err := k.o.bus.Start(bus.KioskScan(k.o.conf().Root(), k.cfg.ID), 1, false, mustJSON(r)).Err(); err != nil {
		k.o.log.Debug("office: scan result not published", "err", err)
	}
}

func (k *kiosk) close() {
	if k.scanner != nil {
		k.scanner.Close()
	}
	if k.prn != nil {
		k.prn.Close()
	}
}

// statusPoll is how often an idle kiosk asks its printer for its real-time
// status unless kiosks[].status_poll_ms says otherwise. A poll is DLE EOT 1,
// 2 and 4: nine bytes out, three back, and a publication only when something
// changed, so a change reaches {root}/printer/{kiosk} within about half a
// second at a negligible cost on the wire. A printer with automatic status
// back tells its changes within milliseconds by itself (autoStatus); the
// poll then finds one that went silent.
const statusPoll = 500 * time.Millisecond

func (k *kiosk) run(ctx context.Context) {
	defer k.o.wg.Done()
	every := statusPoll
	if k.cfg.StatusPollMS > 0 {
		every = time.Duration(k.cfg.StatusPollMS) * time.Millisecond
	}
	poll := time.NewTicker(every)
	defer poll.Stop()
	k.checkPrinter(ctx)
	k.light(ctx)
	for {
		var changes <-chan printer.Status
		if k.prn != nil {
			changes = k.prn.Changes()
		}
		select {
		case <-ctx.Done():
			return
		case st := <-changes:
			k.autoStatus(st)
			k.light(ctx)
		case <-poll.C:
			k.checkPrinter(ctx)
			k.light(ctx)
		case job := <-k.jobs:
			job(ctx)
		case <-k.relit:
			k.light(ctx)
		case s := <-k.scans:
			k.scanned(ctx, s)
		case p := <-k.presses:
			asked := p.asked()
			if p.id != "" {
				k.queuedMu.Lock()
				if k.queued[p.id] == asked {
					delete(k.queued, p.id)
				}
				k.queuedMu.Unlock()
			}
			r, again, reused := k.answers.get(p.id, asked, time.Now())
			// Whether a press could give a ticket now: asked of the
			// engine only for a kiosk with a buzzer, or a repeat.
			issuable := (k.buzzer != nil || p.repeat) && k.statusErr == nil && k.o.eng.IssuableAs(ctx, p.service, p.priority || p.category != "") == nil
			// One beep at once for a press that will give a ticket (the
			// citizen hears it before the paper comes), two for a
			// priority one (a blind citizen who held the button knows it
			// was taken so); three, after, for one refused (a kiosk
			// without a screen has no other voice: its lamp was dark).
			beeps := 1
			if p.priority || p.category != "" {
				beeps = 2
			}
			beeped := k.buzzer != nil && !p.repeat && !again && issuable && k.beep(beeps)
			if reused {
				k.o.log.Warn("kiosk: a press reuses the id of another one: served as new (does the screen count its ids afresh after a restart?)", "kiosk", k.cfg.ID, "press", p.id)
			}
			switch {
			case again:
				k.o.log.Info("kiosk: a press delivered again is answered again, not served", "kiosk", k.cfg.ID, "press", p.id)
				r.Again = true
			case p.repeat:
				r = refuse(Result{Press: p.id, Service: p.service, At: k.o.now()}, "repeat", msgRepeat)
				if prev, ok := k.lastOf[p.source]; ok && !prev.OK {
					// The press it repeats gave nothing: say again why (an
					// air-raid alert sends the citizen to the shelter, not
					// to wait for a ticket), and beep so; or, what refused
					// it over (the paper put in, the all-clear), to press
					// again. Served, a press within the interval of the
					// refused one would let a second one through at its end.
					r.Message = prev.Message
					if issuable {
						r.Message = msgRepeatNowIssuable
					}
					k.beep(3)
				}
			default:
				r = k.serve(ctx, p)
				k.lastOf[p.source] = r
				// A press that failed, or was refused as busy, may be sent
				// again, and is then served anew: "press again" must not
				// get the same refusal back for the next 10 minutes.
				if r.Reason != "error" && r.Reason != "timeout" && r.Reason != "busy" {
					k.answers.put(p.id, asked, r, time.Now())
				}
				switch {
				case !r.OK:
					k.beep(3)
				case !beeped: // a ticket after all (a priority one when the service is full)
					k.beep(1)
				}
				k.light(ctx)
			}
			if r.Reason != "busy" {
				// A press refused as busy is logged once a minute, with
				// those like it (logRefusal): a stuck touch screen sends
				// several a second.
				k.o.log.Info("kiosk", "kiosk", k.cfg.ID, "service", p.service, "source", p.source, "ok", r.OK, "ticket", r.Ticket, "reason", r.Reason)
			}
			k.answer(r)
			if !again && !p.repeat && !r.OK && slices.Contains(queue.RefusalReasons, r.Reason) {
				k.refused(ctx, p.service, r.Reason)
			}
		}
	}
}

// refusalWait is how long a refused press waits for the store to count it.
const refusalWait = 2 * time.Second

// refused records a press for service that the kiosk refused for reason,
// after its answer: the day's figures count the citizens turned away. A
// store that has not taken it within refusalWait loses the count.
func (k *kiosk) refused(ctx context.Context, service, reason string) {
	if err := k.record(ctx, func(ctx context.Context) error { return k.o.eng.Refused(ctx, k.cfg.ID, service, reason) }); err != nil {
		k.o.log.Warn("kiosk: a refused press is not counted in the figures", "kiosk", k.cfg.ID, "service", service, "reason", reason, "err", err)
	}
}

// record makes a change that only records what the kiosk did (a press
// refused, a copy printed, an appointment code scanned), from the kiosk's
// goroutine: its time waiting for the store is the store's (a press behind
// it that waits too long is stale), and it gives up after refusalWait.
func (k *kiosk) record(ctx context.Context, change func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, refusalWait)
	defer cancel()
	var err error
	k.waitStore(func() { err = change(ctx) })
	return err
}

// waitStore runs f, a call that waits for the store, and counts its time
// as the store's (stored).
func (k *kiosk) waitStore(f func()) {
	k.stored.start(time.Now())
	defer func() { k.stored.stop(time.Now()) }()
	f()
}

// waitClock adds up stretches of time as they pass: read while one runs,
// it counts that one so far. Started and stopped by one goroutine, read by
// any.
type waitClock struct {
	mu    sync.Mutex
	total time.Duration
	since time.Time // the running stretch's start; zero between stretches
}

func (c *waitClock) start(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.since = now
}

func (c *waitClock) stop(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.since.IsZero() {
		c.total += now.Sub(c.since)
		c.since = time.Time{}
	}
}

func (c *waitClock) read(now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.since.IsZero() {
		return c.total
	}
	return c.total + now.Sub(c.since)
}

// beep sounds n beeps on the kiosk's buzzer, if it has one, and reports
// whether it did.
func (k *kiosk) beep(n int) bool {
	if k.buzzer == nil {
		return false
	}
	if err := k.buzzer.Beeps(n, 80*time.Millisecond); err != nil {
		k.o.log.Error("office: kiosk buzzer", "kiosk", k.cfg.ID, "err", err)
		return false
	}
	return true
}

// light sets each button's lamp: lit while its service can issue a ticket
// now (a priority one, for a priority button: open, under its cap, the
// printer ready) and the button's line can be read, dark otherwise, so a
// citizen sees which buttons work before pressing.
func (k *kiosk) light(ctx context.Context) {
	for i, l := range k.lamps {
		service := k.button(i)
		// A priority button's lamp says whether a priority ticket is
		// issued (one still is near closing, when the ordinary ones stop).
		b := k.cfg.Buttons[i]
		on := !k.dead[i].Load() && k.statusErr == nil && k.o.eng.IssuableAs(ctx, service, b.Priority || b.Category != "") == nil
		if lit, known := k.lit[i]; known && lit == on {
			continue
		}
		if err := l.Set(on); err != nil {
			k.o.log.Error("office: kiosk lamp", "kiosk", k.cfg.ID, "service", service, "err", err)
			continue
		}
		k.lit[i] = on
	}
}

// button is the service of the kiosk's button i now: config.set may give
// a button another service.
func (k *kiosk) button(i int) string {
	if kc := k.o.conf().Kiosk(k.cfg.ID); kc != nil && i < len(kc.Buttons) {
		return kc.Buttons[i].Service
	}
	return k.cfg.Buttons[i].Service
}

// checkPrinter opens the printer if needed, reads its status and publishes
// it when it changed.
func (k *kiosk) checkPrinter(ctx context.Context) {
	if k.prn == nil {
		prn, err := printer.Open(k.spec, &printer.Opts{Profile: k.profile, StatusTimeout: time.Duration(k.cfg.StatusTimeoutMS) * time.Millisecond})
		if err != nil {
			k.setStatus(printer.Status{}, err)
			return
		}
		k.prn = prn
	}
	// A printer that cannot answer is asked only now and then, unless it
	// failed: then each poll tries it again, so that one plugged back in
	// prints at once.
	if k.noStatus && k.statusErr == nil && time.Since(k.probed) < probeEvery {
		if k.pubConn != k.o.connects.Load() {
			k.setStatus(k.status, nil) // to a broker that may have restarted empty
		}
		return
	}
	// Time to open the line and for the answer: status_timeout_ms (up to
	// 5 s) after the request.
	sctx, cancel := context.WithTimeout(ctx, max(3*time.Second, time.Duration(k.cfg.StatusTimeoutMS)*time.Millisecond+time.Second))
	defer cancel()
	st, err := k.prn.Status(sctx)
	switch {
	case err != nil && ctx.Err() != nil:
		return // the office stops: the printer is not at fault
	case err == nil:
		if k.noStatus {
			k.o.log.Info("office: the printer answers status requests now", "kiosk", k.cfg.ID, "printer", k.spec)
		}
		k.answered, k.noStatus, k.garbledAt = true, false, time.Time{}
		err = st.Err()
	case errors.Is(err, printer.ErrBadReply),
		errors.Is(err, printer.ErrNoReply) && time.Since(k.garbledAt) < garbledFor:
		// Garbled bytes come and go (those that look like the start of a
		// message the printer sends unasked are taken for one, and the
		// reply is short): one fault, said alike each poll, not the byte
		// that came this time.
		k.answered, k.garbledAt = true, time.Now()
		err = errGarbled
	case errors.Is(err, printer.ErrNoReply) && !k.answered:
		if !k.noStatus {
			k.o.log.Warn("office: the printer does not answer status requests; printing without checks, so paper out or a pulled cable will not be noticed", "kiosk", k.cfg.ID, "printer", k.spec)
		}
		k.noStatus, k.probed = true, time.Now()
		k.setStatus(printer.Status{Online: true}, nil)
		return
	}
	k.setStatus(st, err)
}

// errGarbled is the fault of a printer whose status replies cannot be
// read; garbledFor, how long after the last of them silence counts as the
// same fault.
var errGarbled = fmt.Errorf("%w: its replies to status requests cannot be read", printer.ErrBadReply)

const garbledFor = time.Minute

// autoStatus takes a state the printer told by itself (automatic status
// back): it answered, and it is as it says.
func (k *kiosk) autoStatus(st printer.Status) {
	if k.noStatus {
		k.o.log.Info("office: the printer answers status requests now", "kiosk", k.cfg.ID, "printer", k.spec)
	}
	k.answered, k.noStatus, k.garbledAt = true, false, time.Time{}
	k.setStatus(st, st.Err())
}

func (k *kiosk) setStatus(st printer.Status, err error) {
	k.status, k.statusErr = st, err
	ps := PrinterState{Online: err == nil || st.Online, Paper: st.Paper.String(), Cover: "closed"}
	if st.CoverOpen {
		ps.Cover = "open"
	}
	// The paper and the cover are known only from what the printer said:
	// not from one that does not answer, nor from one that cannot be
	// reached (an error that is not a condition it reported).
	if (k.noStatus && err == nil) || (err != nil && !errors.As(err, new(*printer.Condition))) {
		ps.Paper, ps.Cover = "unknown", "unknown"
	}
	if err != nil {
		ps.Error, ps.Fix = err.Error(), printerFix(err, k.spec)
	}
	k.state.Store(&ps)
	b := string(mustJSON(ps))
	// After changes held back (logStatus), the state that lasts is logged
	// at a poll once a minute has passed, published or not.
	if now := time.Now(); b == k.logged && k.said.due(now) {
		if _, held := k.said.take(now); err != nil {
			k.logPrinter(slog.LevelWarn, msgCannotPrint, ps, err, held)
		} else {
			k.logPrinter(slog.LevelInfo, msgPrinterReady, ps, nil, append([]any{"paper", ps.Paper}, held...))
		}
	}
	conn := k.o.connects.Load()
	if b == k.published && conn == k.pubConn {
		return
	}
	// Logged once per change, whether or not the broker takes it (one
	// that is away would have it logged at every poll).
	if b != k.logged {
		k.logStatus(ps, err)
	}
	k.logged = b
	// Not awaited (a broker that hangs must not hold the presses); one
	// lost on the way is sent again on the next connection.
	if perr := k.o.bus.Start(bus.Printer(k.o.conf().Root(), k.cfg.ID), 1, true, []byte(b)).Err(); perr == nil {
		k.published, k.pubConn = b, conn
	}
}

// logStatus logs a change of the printer's state, logsPerMinute changes a
// minute at most (a loose cable flaps; setStatus logs the state that
// lasts after those held back, once); the paper near its end once in
// nearEndEvery, whatever changed before (a sensor at the roll's end flaps
// too, and the warning is the one the staff act on).
func (k *kiosk) logStatus(ps PrinterState, err error) {
	nearEnd := ps.Paper == printer.PaperNearEnd.String()
	wasNearEnd := strings.Contains(k.logged, `"paper":"near_end"`) && time.Since(k.nearEndAt) < nearEndEvery
	sayNearEnd := err == nil && nearEnd && time.Since(k.nearEndAt) >= nearEndEvery
	if err == nil && nearEnd {
		k.nearEndAt = time.Now()
	}
	var msg string
	level := slog.LevelInfo
	switch {
	case err != nil:
		msg, level = msgCannotPrint, slog.LevelWarn
	case nearEnd && !sayNearEnd:
		return
	case nearEnd:
		msg, level = "office: printer paper near end: change the roll soon", slog.LevelWarn
	case wasNearEnd:
		msg, level = "office: printer paper no longer near end (a sensor that flaps, or a new roll)", slog.LevelDebug
	case k.logged != "":
		msg = msgPrinterReady
	default:
		return
	}
	var held []any
	if !sayNearEnd && level != slog.LevelDebug {
		var ok bool
		if ok, held = k.said.take(time.Now()); !ok {
			return
		}
	}
	k.logPrinter(level, msg, ps, err, held)
}

// The lines of a printer that cannot print and of one ready again.
const (
	msgCannotPrint  = "office: printer cannot print"
	msgPrinterReady = "office: printer ready"
)

// logPrinter logs msg about the kiosk's printer in state ps (err: why it
// cannot print), with more args.
func (k *kiosk) logPrinter(level slog.Level, msg string, ps PrinterState, err error, more []any) {
	args := []any{"kiosk", k.cfg.ID, "printer", k.spec}
	if err != nil {
		args = append(args, "fix", ps.Fix, "err", err)
	}
	k.o.log.Log(context.Background(), level, msg, append(args, more...)...)
}

// nearEndEvery is how often a printer's paper near its end is logged.
const nearEndEvery = 10 * time.Minute

// printerFix is what the staff do about a printer at spec that cannot
// print, for the log and the printer's topic: the printer's own words
// ("paper out, offline": a printer is offline whenever it cannot print)
// do not say it.
func printerFix(err error, spec string) string {
	switch {
	case errors.Is(err, printer.ErrPaperOut):
		return "load a new roll of paper"
	case errors.Is(err, printer.ErrCoverOpen):
		return "close the printer's cover"
	case errors.Is(err, printer.ErrCutter):
		return "open the cover, clear the paper from the cutter, close it"
	case errors.Is(err, printer.ErrUnrecoverable):
		return "switch the printer off and on"
	case errors.As(err, new(*printer.Condition)):
		return "check the printer's panel: its light says why it stopped"
	case errors.Is(err, printer.ErrBadReply):
		return "the printer answers, but not as its profile expects: check the kiosk's profile (the printer's model) and, on a serial line, its baud rate and parity"
	case errors.Is(err, fs.ErrPermission):
		return "the controller's user may not open the printer: add it to the device's group (lp for /dev/usb/lp*, dialout for a serial port), then restart cherga"
	case strings.HasPrefix(spec, "tcp://"):
		return "check that the printer is switched on and on the network, and that the address and port in the kiosk's printer setting (" + spec + ") are its own"
	case strings.HasPrefix(spec, "/dev/usb/lp"):
		return "check that the printer is switched on and its USB cable is in; a printer plugged in again may come back as another /dev/usb/lpN: name it by a udev rule (README, \"USB printer\")"
	}
	return "check that the printer is switched on and its cable is in"
}

// relight has the kiosk set its lamps now, after a change they show (a
// pause), rather than at its next poll.
func (k *kiosk) relight() {
	select {
	case k.relit <- struct{}{}:
	default: // one waits already: it reads the state as it is then
	}
}

// serve turns one press into a printed ticket, or into a refusal that
// issued nothing.
func (k *kiosk) serve(ctx context.Context, p press) Result {
	r := Result{Press: p.id, Service: p.service, At: k.o.now()}
	svc := k.o.conf().Service(p.service)
	if svc == nil {
		return refuse(r, "unknown_service", "Ця послуга зараз недоступна. Будь ласка, зверніться до працівника офісу. / This service is not available right now. Please ask a member of staff.")
	}
	if p.category != "" && !slices.Contains(k.o.conf().Office.PriorityCategories, p.category) {
		return k.badCategory(r, p)
	}
	if p.source == "mqtt" {
		// A screen offers what the kiosk's configuration does, at a
		// citizen's pace: not whatever its account may publish.
		if msg := k.notOffered(p); msg != "" {
			return refuse(r, "not_offered", msg)
		}
		if !k.pace.take(time.Now()) {
			// Once a minute per kiosk, with the presses refused since: a
			// stuck touch screen must not flood the journal.
			k.o.logRefusal("kiosk/"+k.cfg.ID, p.id, "busy", fmt.Errorf("office: a kiosk's presses over MQTT come faster than presses_per_minute (%d): refused as busy (service %s)", cmp.Or(k.cfg.PressesPerMinute, defaultPressesPerMinute), p.service))
			return refuse(r, "busy", "Термінал зайнятий. Будь ласка, зачекайте кілька секунд і натисніть ще раз. / The kiosk is busy. Please wait a few seconds and press again.")
		}
	}
	if err := k.ready(ctx); err != nil {
		uk, en := printerMessage(err)
		return refuse(r, "printer", uk+" / "+en)
	}
	// Stale after staleAfter of waiting for the store since the press
	// came (for the presses before it, and now for its own ticket).
	ictx, cancel := context.WithTimeout(ctx, staleAfter-(k.stored.read(time.Now())-p.storedBefore))
	var iss queue.Issued
	var err error
	k.waitStore(func() {
		iss, err = k.o.eng.Issue(ictx, queue.IssueRequest{Service: p.service, Kiosk: k.cfg.ID, Priority: p.priority, Category: p.category, Printing: k.spec != "none", Appointment: p.appointment})
	})
	cancel()
	// The reason is the queue's (queue.Refusal), which its figures give
	// too ({root}/queue/{service}'s refused): the kiosk says it in words.
	var pe *queue.PausedError
	var ae *queue.AppointmentError
	switch reason := queue.Refusal(err); {
	case errors.As(err, &ae):
		return refuse(r, ae.Why, appointmentRefusal(ae, k.o.clock(), k.o.loc))
	case errors.Is(err, queue.ErrUnknownAppointment):
		return refuse(r, "not_found", msgNoAppointment)
	case errors.Is(err, queue.ErrStale):
		k.o.log.Warn("office: a press waited too long for the store (is the disk stalling?); no ticket issued", "kiosk", k.cfg.ID, "service", p.service, "waited", time.Since(p.at).Round(time.Millisecond))
		return refuse(r, "timeout", msgPressStale)
	case errors.Is(err, queue.ErrUnknownCategory): // a config.set took it away since the check above
		return k.badCategory(r, p)
	case reason == "paused" && errors.As(err, &pe) && p.appointment != "" && pe.Service == "" && pe.IsAlert():
		// The alert's time is added to the booking's: say so.
		return refuse(r, reason, "Повітряна тривога: прийом призупинено. Пройдіть до найближчого укриття. Ваш запис збережено: після відбою тривоги відскануйте код ще раз. / Air-raid alert: service is suspended. Please proceed to the nearest shelter. Your appointment is kept: scan the code again after the all-clear.")
	case reason == "paused" && errors.As(err, &pe):
		return refuse(r, reason, pausedMessage(pe))
	case reason == "closed" && errors.Is(err, queue.ErrNoCounter):
		// No counter serves it: its hours do not say when it will.
		return refuse(r, reason, "Ця послуга зараз не надається. / This service is not available right now.")
	case reason == "closed": // ErrServiceClosed too
		return refuse(r, reason, closedMessage(k.o.conf(), svc, errors.Is(err, queue.ErrServiceClosed), k.o.clock()))
	case reason == "clock":
		return refuse(r, reason, "Видача талонів тимчасово неможлива. Будь ласка, зверніться до працівника офісу. / Tickets cannot be issued right now. Please ask a member of staff.")
	case reason == "full":
		auk, aen := givenAgain(k.o.conf(), svc, k.o.clock())
		return refuse(r, reason, "На сьогодні талони на цю послугу більше не видаються: до кінця робочого дня вас уже не встигнуть прийняти."+auk+" / No more tickets for this service today: you would not be served before closing time."+aen)
	case reason == "daily_cap":
		return refuse(r, reason, "На сьогодні талони на цю послугу закінчилися. Будь ласка, приходьте іншого дня. / No more tickets for this service today. Please come back another day.")
	case errors.Is(err, queue.ErrStore):
		// The store's failure is logged by the engine, and the status
		// says it (store_error): a full disk fails every press, and a
		// line for each would fill what is left of it.
		k.o.logRefusal("kiosk/"+k.cfg.ID, p.id, "store", err)
		return refuse(r, "error", msgNotIssued)
	case err != nil:
		k.o.log.Error("office: kiosk press failed", "kiosk", k.cfg.ID, "service", p.service, "err", err)
		return refuse(r, "error", msgNotIssued)
	}
	tk := iss.Ticket
	pt := k.ticket(tk, svc.Name, svc.NameEn, iss.Ahead, iss.Wait)
	if iss.Appointment != nil {
		// Called at its time: the people ahead now say nothing of it.
		pt.Appointment, pt.Ahead = iss.Appointment.Start.In(k.o.loc).Format("15:04"), -1
	}
	pt.Late = iss.Late
	if iss.Late {
		pt.Closes = queue.ClosingText(iss.Closes.In(k.o.loc))
	}
	doc, err := k.profile.Ticket(pt)
	kept := false
	if err == nil {
		if err = k.print(ctx, doc, tk.Label); err != nil {
			kept = k.printFailed(ctx, err)
		}
	}
	if err != nil && !kept {
		// The ticket did not reach the citizen whole, and nothing more of
		// it will: void it so that it is never called (no counter calls
		// it while it prints: IssueRequest.Printing).
		var verr error
		k.waitStore(func() { verr = k.o.eng.Void(context.WithoutCancel(ctx), tk.ID, "print failed: "+err.Error()) })
		if verr == nil {
			// Named, for the citizen who brings the stub.
			k.o.log.Warn("office: ticket not printed whole: voided, it will not be called", "kiosk", k.cfg.ID, "ticket", tk.Label, "id", tk.ID, "err", err)
			uk, en := printerMessage(err)
			return refuse(r, "printer", fmt.Sprintf("Талон %s не вдалося надрукувати повністю, тому його скасовано: за цим номером вас не викличуть. %s / Ticket %s could not be printed in full and has been cancelled: it will not be called. %s", tk.Label, uk, englishLabel(tk.Label), en))
		}
		// It stays (a specialist called it by its label meanwhile, or
		// the store failed): the citizen is told it is in the queue,
		// not that it was cancelled.
		k.o.log.Error("office: cannot void an unprinted ticket: it stays in the queue", "kiosk", k.cfg.ID, "ticket", tk.Label, "err", verr)
		kept = true
	}
	if k.spec != "none" {
		// Printed whole, or kept: counters may call it now, before the
		// answer says it is issued. Nothing is written, but a read runs
		// after the writes of its batch, and once queued it is waited
		// for: on a stalled disk the answer waits a second at most, and
		// the release comes when the disk does (or the hold ends by
		// itself within a minute).
		released := make(chan error, 1)
		go func() { released <- k.o.eng.Printed(context.WithoutCancel(ctx), tk.ID) }()
		select {
		case err := <-released:
			if err != nil {
				k.o.log.Debug("office: a printed ticket not released for calling (the engine stopped)", "ticket", tk.Label, "err", err)
			}
		case <-time.After(time.Second):
			k.o.log.Warn("office: a printed ticket is not released for calling yet (is the disk stalling?): it is when the store answers", "ticket", tk.Label)
		}
	}
	r.OK, r.Ticket, r.ID, r.Ahead, r.EtaMin, r.Late = true, tk.Label, tk.ID, iss.Ahead, queue.Minutes(iss.Wait), iss.Late
	r.Priority, r.Category = tk.Priority, tk.Category
	r.Message = issuedMessage(tk.Label, iss.Ahead, iss.Wait, pt.Closes)
	if iss.Appointment != nil {
		r.Message = bookedMessage(tk.Label, iss.Appointment.Start.In(k.o.loc), k.o.clock())
	}
	if kept {
		// The ticket stays, and the screen gives its number meanwhile.
		uk, en := printerMessage(err)
		r.Reason = "printer"
		if errors.As(err, new(*printer.Condition)) {
			// The printer stopped with the ticket in its buffer, and
			// prints what it still holds when it is ready again.
			r.Message = fmt.Sprintf("%s Ваш талон %s у черзі: якщо він вийшов не повністю, решту буде надруковано, щойно принтер запрацює. / %s Your ticket %s is in the queue: if it came out incomplete, the rest will be printed as soon as the printer is working again.", uk, tk.Label, en, englishLabel(tk.Label))
		} else {
			// The printer went away (a cable pulled, the network
			// lost, switched off): what had not reached its paper is
			// gone, and only a reprint (ticket.reprint) gives it.
			r.Message = fmt.Sprintf("%s Ваш талон %s у черзі: якщо він вийшов не повністю, попросіть працівника офісу надрукувати його ще раз. / %s Your ticket %s is in the queue: if it did not come out whole, ask a member of staff to reprint it.", uk, tk.Label, en, englishLabel(tk.Label))
		}
	}
	return r
}

// msgNotIssued is a press's answer when its ticket could not be issued for
// a reason the citizen can do nothing about.
const msgNotIssued = "Не вдалося видати талон. Будь ласка, зверніться до працівника офісу. / The ticket could not be issued. Please ask a member of staff."

// badCategory refuses a press for a priority category that
// office.priority_categories does not have: a screen set up with another
// office's categories, or an older list. It is no failure to press again
// (error) but a press that will never give a ticket, and the administrator
// who can mend the screen reads it on {root}/errors.
func (k *kiosk) badCategory(r Result, p press) Result {
	// The citizen reads no configuration's code; {root}/errors and the log
	// name it for the administrator.
	msg := "Такої пільгової категорії в цьому офісі немає: талон не видано. Будь ласка, зверніться до працівника офісу. / There is no such priority category at this office: no ticket was issued. Please ask a member of staff."
	err := fmt.Errorf("office: a press asks for priority category %q, which office.priority_categories (%v) does not have (service %s)", p.category, k.o.conf().Office.PriorityCategories, p.service)
	k.o.refusedAs("kiosk/"+k.cfg.ID, p.id, "bad_request", msg, err)
	return refuse(r, "bad_request", msg)
}

// notOffered says what a press over MQTT is told when the kiosk's
// configuration does not give what it asks, "" when it does, as its
// buttons would: a service of one of its buttons (any service, for a
// kiosk with none); an ordinary ticket only by a plain button of the
// service (a priority button gives priority tickets alone, also on a short
// press); and a priority ticket only by a way it has to ask for one: a
// long press (long_press_ms, any category), or a priority button of the
// service with the press's category.
func (k *kiosk) notOffered(p press) string {
	kc := k.o.conf().Kiosk(k.cfg.ID)
	if kc == nil {
		kc = &k.cfg
	}
	if len(kc.Buttons) == 0 {
		return ""
	}
	service, plain, priority := false, false, false
	for _, b := range kc.Buttons {
		if b.Service != p.service {
			continue
		}
		service = true
		if !b.Priority && b.Category == "" {
			plain = true
		} else {
			priority = priority || b.Category == p.category
		}
	}
	switch {
	case !service:
		return "Талони на цю послугу на цьому терміналі не видаються. Будь ласка, зверніться до працівника офісу. / Tickets for this service are not issued at this kiosk. Please ask a member of staff."
	case p.priority || p.category != "":
		if priority || kc.LongPressMS > 0 {
			return ""
		}
		return "Позачергові талони на цьому терміналі не видаються. Будь ласка, зверніться до працівника офісу. / Priority tickets are not issued at this kiosk. Please ask a member of staff."
	case !plain:
		return "На цьому терміналі на цю послугу видаються лише позачергові талони. Будь ласка, зверніться до працівника офісу. / Only priority tickets for this service are issued at this kiosk. Please ask a member of staff."
	}
	return ""
}

// pace is an allowance of inputs, a token bucket: a kiosk's presses over
// MQTT, a counter's commands, its rating pad's scores.
type pace struct {
	perMinute int
	burst     int // 0: a tenth of a minute's, at least 10
	tokens    float64
	last      time.Time
}

// take reports whether a press at now is within the allowance, and counts
// it if so.
func (p *pace) take(now time.Time) bool {
	perMinute := cmp.Or(p.perMinute, defaultPressesPerMinute)
	burst := float64(cmp.Or(p.burst, max(10, perMinute/10)))
	if p.last.IsZero() {
		p.tokens = burst
	} else {
		p.tokens = min(burst, p.tokens+now.Sub(p.last).Minutes()*float64(perMinute))
	}
	p.last = now
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}

// defaultPressesPerMinute is a kiosk's presses_per_minute when it gives
// none: a citizen every 2 s.
const defaultPressesPerMinute = 30

// served reports whether a counter serves service.
func served(cfg *config.Config, service string) bool {
	for _, c := range cfg.Counters {
		if slices.Contains(c.Services, service) {
			return true
		}
	}
	return false
}

// weekdays are the days of the week, Sunday first as time.Weekday counts
// them, as Ukrainian says "on" one (the accusative: «п'ятницю») and "on"
// one a week on, which is the same weekday as today; whenText puts «в» or
// «у» before them.
var weekdays = [7]struct{ on, next, en string }{
	{"неділю", "наступну неділю", "Sunday"},
	{"понеділок", "наступний понеділок", "Monday"},
	{"вівторок", "наступний вівторок", "Tuesday"},
	{"середу", "наступну середу", "Wednesday"},
	{"четвер", "наступний четвер", "Thursday"},
	{"пʼятницю", "наступну пʼятницю", "Friday"}, // ʼ (U+02BC): read, not said
	{"суботу", "наступну суботу", "Saturday"},
}

// ready checks the printer now, so that a press never issues a number for a
// printer that went wrong since the last poll. A printer with automatic
// status back has told every change already: its last word is current, and
// the press costs no round trip on the line. (That it is still there at all
// only a request tells; one that went silent since the last poll costs the
// ticket printed into the void, which print keeps in the queue, as for a
// printer that stops answering after the ticket: print asks it then, and
// the citizen is told.)
func (k *kiosk) ready(ctx context.Context) error {
	if k.prn != nil {
		if st, ok := k.prn.AutoStatus(); ok {
			k.autoStatus(st)
			return k.statusErr
		}
	}
	k.checkPrinter(ctx)
	return k.statusErr
}

// ticket is what the printer prints for tk, with the kiosk's logo; ahead
// and wait < 0 are unknown (a wait, with ahead known: a break).
func (k *kiosk) ticket(tk queue.Ticket, service, serviceEn string, ahead int, wait time.Duration) *printer.Ticket {
	t := ticketOf(k.o.conf(), tk, service, serviceEn, ahead, wait)
	t.Logo, t.NVLogo = k.logo, byte(k.cfg.LogoNV)
	return t
}

// ticketOf is the ticket of tk that an office of cfg prints.
func ticketOf(cfg *config.Config, tk queue.Ticket, service, serviceEn string, ahead int, wait time.Duration) *printer.Ticket {
	return &printer.Ticket{
		Header:     cfg.Office.Name,
		HeaderEn:   cfg.Office.NameEn,
		Label:      tk.Label,
		LabelLatin: latinLabel(tk.Label),
		Service:    service,
		ServiceEn:  serviceEn,
		Issued:     tk.Issued.In(cfg.Location()),
		Ahead:      ahead,
		Wait:       wait,
		OnBreak:    onBreak(ahead, wait),
		QR:         statusURL(cfg, tk),
		Footer:     cfg.Office.Footer,
		Priority:   tk.Priority,
	}
}

// latinLook are the capitals whose Latin transliteration is the Latin
// letter they look like: a label of them (А001) reads the same to a
// citizen who reads English, and is said so by the English announcement.
const latinLook = "АЕІКМОТ"

// latinLabel is the label as the English announcement says it, for the
// ticket's English readers, when it reads otherwise: Ts001 for Ц001, V012
// for В012 (which looks like B012); "" for А001.
func latinLabel(label string) string {
	for _, r := range label {
		if r >= 0x80 && !strings.ContainsRune(latinLook, r) {
			return display.TransliterateLabel(label)
		}
	}
	return ""
}

// englishLabel is the label as an English reader reads it: Ts001 for
// Ц001, А001 as it is.
func englishLabel(label string) string { return cmp.Or(latinLabel(label), label) }

// printFailed records why a print failed, and says whether the printer
// keeps the rest of the ticket to print when it is ready again: then the
// ticket stays in the queue, for whoever takes it off the next roll must be
// called.
//
// A printer that reported a condition (the roll ran out mid-ticket) keeps
// its connection and says so; what it still holds is cleared if its model
// can (profile clear_buffer), and otherwise kept. A printer that stopped
// only after the ticket had gone to it (stoppedAfter) may have printed it
// whole: nothing is cleared. After an I/O error the device is closed, to be
// reopened by the next poll, and nothing more of the ticket prints.
func (k *kiosk) printFailed(ctx context.Context, err error) (kept bool) {
	if errors.As(err, new(*stoppedAfter)) {
		return true
	}
	var c *printer.Condition
	if errors.As(err, &c) {
		k.setStatus(c.Status, c)
		return !k.clearBuffer(ctx)
	}
	k.prn.Close()
	k.prn = nil
	k.setStatus(printer.Status{}, err)
	return false
}

// clearBuffer drops what the printer still holds of a ticket that failed
// midway (the roll ran out, the cover opened), so that its rest does not
// print on the next roll for a citizen to take, and says whether it did.
// Only a model that has the command (profile clear_buffer) is asked.
func (k *kiosk) clearBuffer(ctx context.Context) bool {
	if !k.profile.ClearBuffer {
		k.o.log.Warn("office: the printer keeps the rest of the ticket and prints it when it is ready again (its profile has no clear_buffer): the ticket stays in the queue", "kiosk", k.cfg.ID, "printer", k.spec)
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := k.prn.ClearBuffer(cctx); err != nil {
		k.o.log.Error("office: cannot clear the printer's buffer after a failed ticket: the ticket stays in the queue", "kiosk", k.cfg.ID, "printer", k.spec, "err", err)
		return false
	}
	k.o.log.Info("office: the rest of the failed ticket was cleared from the printer", "kiosk", k.cfg.ID)
	return true
}

// stoppedAfter is a printer found not ready after a ticket had gone to it
// (the roll ended, the cover opened, it went silent or was unplugged),
// without saying whether it had printed the ticket first: the ticket
// stays, and the citizen is told: that the rest prints when the printer
// is ready again if it reported a condition (it holds the rest), to ask
// for a reprint otherwise (the rest is lost with the connection).
type stoppedAfter struct{ err error }

func (e *stoppedAfter) Error() string {
	return "office: printer stopped during or after the ticket: " + e.err.Error()
}

func (e *stoppedAfter) Unwrap() error { return e.err }

// print sends a laid-out ticket and finds out whether it reached the
// paper. A printer that answers process ID requests (profile process_id)
// says when the ticket is printed and cut, or that it stopped first (the
// roll ended, the cover opened): that is the answer. With another, Print
// returning means the bytes left for the device, not that they were
// printed; the printer answers a real-time request only after it has
// received what came before it, so a roll that ran out or a cover opened
// while the ticket arrived shows in that answer; but not whether the
// ticket's number had reached the paper, nor whether the roll ended right
// after the cut (stoppedAfter: the ticket stays, and what the printer still
// holds of it prints when it is ready again). (A printer that takes the
// whole ticket into its buffer before it prints, over USB or the network,
// cannot tell even that: only the process ID answer is sure.)
//
// When the printer does not say what became of the ticket once its bytes
// left (a busy printer, a loaded box, a cable pulled after the ticket),
// it stays in the queue. Voiding would be the worse guess: a citizen
// holding a ticket that is never called costs far more than a phantom
// number that costs one no-show. A write that fails voids the ticket: it
// did not leave whole. label names the ticket in the log.
func (k *kiosk) print(ctx context.Context, doc []byte, label string) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The office stopping before the printer said: unsure, so the ticket
	// is kept, and a reprint not counted as printed.
	stopping := func() error {
		k.o.log.Warn("office: the office stopped before the printer said whether it printed a ticket; it stays in the queue", "kiosk", k.cfg.ID, "ticket", label)
		return &stoppedAfter{ctx.Err()}
	}
	if !k.noStatus {
		err := k.prn.PrintConfirmed(pctx, doc)
		switch {
		case err == nil:
			_ = k.ready(pctx) // the state it is in now, for the next press
			return nil
		case errors.Is(err, printer.ErrUnconfirmed) && ctx.Err() != nil:
			return stopping()
		case errors.Is(err, printer.ErrUnconfirmed):
			// Asked, not taken from its automatic status: a printer
			// switched off says nothing on the way down, and its last
			// word is still that it is ready.
			k.checkPrinter(pctx)
			if k.statusErr != nil {
				k.o.log.Warn("office: the printer did not confirm a ticket, and cannot print now (unplugged, switched off, a fault: see its status); the ticket stays in the queue", "kiosk", k.cfg.ID, "ticket", label, "err", err, "printer", k.statusErr)
				return &stoppedAfter{k.statusErr} // and the citizen is told
			}
			// It answers, but not GS ( H: a model without it, under a
			// profile that says process_id, is asked no more
			// (ErrCannotConfirm).
			k.o.log.Warn("office: the printer did not confirm a ticket; it stays in the queue (a model without GS ( H needs process_id: false in its profile)", "kiosk", k.cfg.ID, "ticket", label, "err", err)
			return nil
		case !errors.Is(err, printer.ErrCannotConfirm):
			return err
		}
	}
	if err := k.prn.Print(pctx, doc); err != nil {
		return err
	}
	if k.noStatus {
		return nil
	}
	st, err := k.prn.Status(pctx)
	if err != nil {
		// No answer, or the device gone after the ticket left (a USB
		// printer prints what its buffer holds): unsure.
		if ctx.Err() != nil {
			return stopping()
		}
		k.o.log.Warn("office: the printer did not confirm a ticket; it stays in the queue", "kiosk", k.cfg.ID, "ticket", label, "err", err)
		k.setStatus(st, err)
		return &stoppedAfter{err}
	}
	k.setStatus(st, st.Err())
	if err := st.Err(); err != nil {
		return &stoppedAfter{err}
	}
	return nil
}

// Reprint prints a ticket of today again on a kiosk's printer, as the
// administrator's ticket.reprint does for a citizen whose ticket was lost or
// came out unreadable. Only a ticket that can still be called (waiting or
// called) is reprinted; the copy says it is a duplicate, and a called one's
// says where to go instead of the wait and the footer. A failed reprint
// changes nothing in the queue.
func (o *Office) Reprint(ctx context.Context, kiosk string, ticketID uint64) error {
	k := o.kiosks[kiosk]
	if k == nil {
		return fmt.Errorf("office: unknown kiosk %q", kiosk)
	}
	tickets, err := o.eng.Tickets(ctx)
	if err != nil {
		return err
	}
	var tk *queue.Ticket
	for i := range tickets {
		if tickets[i].ID == ticketID {
			tk = &tickets[i]
		}
	}
	if tk == nil {
		return fmt.Errorf("%w %d", queue.ErrUnknownTicket, ticketID)
	}
	if tk.State != queue.Waiting && tk.State != queue.Called {
		return fmt.Errorf("office: ticket %s is %s: only a waiting or called ticket is reprinted", tk.Label, tk.State)
	}
	done := make(chan error, 1)
	job := func(ctx context.Context) { done <- k.reprint(ctx, *tk) }
	select {
	case k.jobs <- job:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// reprint prints a copy of tk at the kiosk, from its goroutine: marked as
// one, with where its citizen stands now (waiting) or where to go instead
// of the wait and the footer (called: the call it would tell them to wait
// for has come, and gone for one who sits down), and records it.
func (k *kiosk) reprint(ctx context.Context, tk queue.Ticket) error {
	o := k.o
	svc := serviceOf(o.conf(), &tk)
	if svc == nil {
		return fmt.Errorf("office: ticket %s: unknown service %q", tk.Label, tk.Service)
	}
	ahead, wait := -1, time.Duration(-1)
	if tk.State == queue.Waiting {
		var err error
		k.waitStore(func() { ahead, wait, err = o.eng.Position(ctx, tk.ID) })
		if err != nil {
			return err
		}
	}
	t := k.ticket(tk, svc.Name, svc.NameEn, ahead, wait)
	t.Duplicate = true
	if tk.Appointment != 0 && tk.State == queue.Waiting {
		// A booked visit's copy says its time, as the ticket did.
		var a queue.Appointment
		var err error
		k.waitStore(func() { a, err = o.eng.AppointmentOf(ctx, tk.Appointment) })
		if err == nil {
			t.Appointment, t.Ahead = a.Start.In(o.loc).Format("15:04"), -1
		}
	}
	if t.OnBreak {
		k.waitStore(func() { t.Alert = o.inAlert(ctx) })
	}
	if tk.State != queue.Waiting {
		t.Called, t.CalledEn = calledTo(o.conf(), tk.Counter)
	}
	doc, err := k.profile.Ticket(t)
	if err != nil {
		return fmt.Errorf("office: reprint %s on kiosk %s: %w", tk.Label, k.cfg.ID, err)
	}
	if err = k.ready(ctx); err == nil {
		if err = k.print(ctx, doc, tk.Label); err != nil {
			k.printFailed(ctx, err)
		}
	}
	if err != nil {
		return &reprintFailed{fmt.Errorf("office: reprint %s on kiosk %s: %w", tk.Label, k.cfg.ID, err), printerFix(err, k.spec)}
	}
	o.log.Info("kiosk: reprinted", "kiosk", k.cfg.ID, "ticket", tk.Label)
	// Every copy handed out is on record, even as the kiosk stops. The
	// copy is out: a store that fails now fails the answer, and the log
	// says so.
	if err := k.record(context.WithoutCancel(ctx), func(ctx context.Context) error { return o.eng.Reprinted(ctx, tk.ID, k.cfg.ID) }); err != nil {
		o.log.Error("kiosk: the reprint is not recorded", "kiosk", k.cfg.ID, "ticket", tk.Label, "err", err)
		return fmt.Errorf("office: %s is reprinted, but not recorded: %w", tk.Label, err)
	}
	return nil
}

// serviceOf is the service a ticket is printed under: its own or, when
// that is no longer configured, the one that now prints its prefix. A
// ticket called to a counter keeps the id of a service renamed since
// (config.set), as the queue's boards show it under the new service.
func serviceOf(cfg *config.Config, tk *queue.Ticket) *config.Service {
	if svc := cfg.Service(tk.Service); svc != nil {
		return svc
	}
	prefix := strings.TrimRightFunc(tk.Label, unicode.IsDigit)
	for i := range cfg.Services {
		if cfg.Services[i].Prefix == prefix {
			return &cfg.Services[i]
		}
	}
	return nil
}

// adminReprint is ticket.reprint {"ticket":"А023","kiosk":"k1"} of the
// admin table: it reprints a ticket, by default on the kiosk that issued
// it. The result is the ticket. (It lives here, beside Reprint.)
func adminReprint(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Ticket string `json:"ticket"`
		Kiosk  string `json:"kiosk"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	t, err := o.findTicket(ctx, a.Ticket)
	if err != nil {
		return nil, err
	}
	kiosk := a.Kiosk
	if kiosk == "" {
		kiosk = t.Kiosk
	}
	switch k := o.kiosks[kiosk]; {
	case k == nil:
		return nil, badArg("kiosk", "no kiosk %q", kiosk)
	case k.spec == "none":
		// A screen kiosk's answer was the ticket: nothing would print.
		return nil, badArg("kiosk", "kiosk %q has no printer (printer: none): name a kiosk that prints", kiosk)
	}
	if err := o.Reprint(ctx, kiosk, t.ID); err != nil {
		if rf := (*reprintFailed)(nil); errors.As(err, &rf) && ctx.Err() == nil {
			again := ", and ask again"
			if errors.As(err, new(*stoppedAfter)) {
				// The copy went to the printer: it may be on its paper.
				again = "; the copy may have printed before it stopped: look at the printer before asking again"
			}
			return nil, &AdminError{Code: CodeRefused, Field: "kiosk", Message: rf.Error() + ": " + rf.fix + again}
		}
		return nil, err
	}
	return t, nil
}

// reprintFailed is a reprint the printer did not make, and what the staff
// do about it (printerFix).
type reprintFailed struct {
	err error
	fix string
}

func (e *reprintFailed) Error() string { return e.err.Error() }
func (e *reprintFailed) Unwrap() error { return e.err }

func refuse(r Result, reason, msg string) Result {
	r.Reason, r.Message = reason, msg
	return r
}

// statusURL fills the office's QR template for a ticket. The label is
// percent-encoded (А023 as %D0%90023): a phone's reader takes a QR code's
// bytes for Latin-1 unless told otherwise, and a scanner that types what it
// reads as a keyboard has no Cyrillic; cherga's scanner decodes it.
func statusURL(cfg *config.Config, tk queue.Ticket) string {
	if cfg.Office.StatusURL == "" {
		return ""
	}
	return strings.NewReplacer("{site}", url.PathEscape(cfg.Site), "{id}", strconv.FormatUint(tk.ID, 10), "{ticket}", url.PathEscape(tk.Label)).Replace(cfg.Office.StatusURL)
}
