package office

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
)

// The administrator's requests: {root}/admin/req carries
// {"id":"…","op":"…","args":{…}}; the answer goes to {root}/admin/res/{id}
// (docs/mqtt.md). chergactl is a client of exactly this.

// AdminRequest is one administrator's request.
type AdminRequest struct {
	ID   string          `json:"id"`
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
	// door is the topic it came on, {root}/{door}/req, and is answered on,
	// {root}/{door}/res/{id}: doorAdmin (every operation), doorRead
	// (readOps) or doorBook (bookOps).
	door string
	at   time.Time // when it came: it runs within adminStale of that
}

// onceOps are the requests that, delivered again, would be made twice,
// and are answered again instead (serveAdmin): a second booking of a
// citizen's visit, or a cancellation refused as cancelled already.
var onceOps = map[string]bool{"appointment.book": true, "appointment.cancel": true}

// The doors of the requests, {root}/{door}/req: a broker's ACL gives each
// account its own.
const (
	doorAdmin = "admin"
	doorRead  = "read"
	doorBook  = "book"
)

var doors = []string{doorAdmin, doorRead, doorBook}

// readOps are the operations that change nothing: {root}/read/req serves
// them, so that a broker's ACL can let an analyst or a dashboard read the
// figures without the right to pause the office.
var readOps = map[string]bool{
	"config.get": true, "config.history": true, "office.state": true,
	"tickets.list": true, "stats.get": true, "events.replay": true,
	// The free slots, for a website's booking form; the bookings, with
	// their names and codes, are not read here (appointment.list).
	"appointment.slots": true,
}

// bookOps are the operations of a booking website, on {root}/book/req:
// its account books visits and cancels them by their codes, and neither
// pauses the office nor changes its configuration, nor lists the bookings
// (their names and codes).
var bookOps = map[string]bool{
	"appointment.slots": true, "appointment.book": true, "appointment.cancel": true,
}

// doorServes reports whether door serves op.
func doorServes(door, op string) bool {
	switch door {
	case doorRead:
		return readOps[op]
	case doorBook:
		return bookOps[op]
	}
	return true
}

// adminOnly says why an operation that changes nothing is not served to
// readers all the same.
var adminOnly = map[string]string{
	"appointment.list": "shows citizens' names and their bookings' codes",
}

// AdminResponse is the answer to one request.
type AdminResponse struct {
	ID     string      `json:"id"`
	OK     bool        `json:"ok"`
	Result any         `json:"result,omitempty"`
	Error  *AdminError `json:"error,omitempty"`
	// Again: the answer of a request delivered again with the same id,
	// which was not made again (serveAdmin).
	Again bool `json:"again,omitempty"`
}

// AdminError says why a request was refused; Field names the argument at
// fault, when one is. A configuration with several faults has each in
// Errors (Field is the first's), so that a form can mark them all.
type AdminError struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
	Errors  []FieldProblem `json:"errors,omitempty"`
}

// A FieldProblem is one fault of a configuration: its field
// (config.services[2].prefix) and what is wrong with it.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *AdminError) Error() string { return e.Message }

func badArg(field, format string, args ...any) *AdminError {
	return &AdminError{Code: CodeBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
}

// privateTmp is the directory, /tmp or /var/tmp, path is in when it is
// the controller's own: a systemd unit with PrivateTmp=yes (cherga.service)
// mounts a directory of its own there, deleted when it stops, which
// mountinfo (the process's /proc/self/mountinfo) shows as a mount of a
// systemd-private-… directory on it; "" else.
func privateTmp(path string) string {
	path = filepath.Clean(path)
	for _, d := range []string{"/tmp", "/var/tmp"} {
		if (path == d || strings.HasPrefix(path, d+"/")) && privateMount(d) {
			return d
		}
	}
	return ""
}

// mountinfo is the file privateMount reads; tests give another.
var mountinfo = "/proc/self/mountinfo"

// privateMount reports whether dir is a mount of a systemd-private-…
// directory (PrivateTmp=yes): mountinfo's fourth field, the root of the
// mount within its file system, for the mount point dir, its fifth.
func privateMount(dir string) bool {
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		return false
	}
	private := false
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			private = strings.Contains(f[3], "/systemd-private-") // the last mount on dir wins
		}
	}
	return private
}

// noService refuses a service the office does not have, naming the ones
// it has.
func (o *Office) noService(id string) *AdminError {
	return badArg("service", "no service %q (the office's: %s)", id, strings.Join(o.conf().ServiceIDs(), ", "))
}

// Ops are the names of the administrator's operations, in order.
func Ops() []string { return slices.Sorted(maps.Keys(adminOps)) }

// adminOps are the operations, each decoding its own arguments.
var adminOps = map[string]func(o *Office, ctx context.Context, args json.RawMessage) (any, error){
	"config.get":      adminConfigGet,
	"config.set":      adminConfigSet,
	"config.history":  adminConfigHistory,
	"config.rollback": adminConfigRollback,

	"office.state":   adminOfficeState,
	"office.pause":   pauseOp(false, true),
	"office.resume":  pauseOp(false, false),
	"service.pause":  pauseOp(true, true),
	"service.resume": pauseOp(true, false),
	"counter.close":  counterOp(queue.Pause),
	"counter.open":   counterOp(queue.Resume),
	"counter.pause":  counterOp(queue.Pause),
	"counter.resume": counterOp(queue.Resume),

	"tickets.list":       adminTicketsList,
	"ticket.void":        adminTicketVoid,
	"ticket.call":        adminTicketCall,
	"ticket.reprint":     adminReprint, // kiosk.go
	"numbering.continue": adminNumberingContinue,

	"appointment.slots":  adminAppointmentSlots, // appointments.go
	"appointment.book":   adminAppointmentBook,
	"appointment.cancel": adminAppointmentCancel,
	"appointment.list":   adminAppointmentList,

	"stats.get":     adminStats, // stats.go
	"events.replay": adminEventsReplay,
	"store.backup":  adminStoreBackup,
	"clock.trust":   adminClockTrust,
}

// adminConfigGet is config.get: the running configuration and its version.
func adminConfigGet(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	// Every configuration the office runs is recorded as it starts to:
	// the latest version is the one running.
	vs, err := o.eng.ConfigVersions(ctx)
	if err != nil {
		return nil, err
	}
	var version uint64
	if len(vs) > 0 {
		version = vs[len(vs)-1].Version
	}
	return map[string]any{"config": o.running(), "version": version}, nil
}

// adminConfigSet is config.set: a new configuration, whole or as a patch,
// checked and recorded, then run without a restart.
func adminConfigSet(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Config json.RawMessage `json:"config"`
		Patch  json.RawMessage `json:"patch"`
		Author string          `json:"author"`
		// BaseVersion, when given, is the version the change was
		// made from (config.get's): with another running, it is
		// refused rather than undo the change that came between.
		BaseVersion *uint64 `json:"base_version"`
		// Version is config.get's, left in a document saved from it
		// (chergactl config.get > c.json): base_version, when that
		// is not given.
		Version *uint64 `json:"version"`
		// Expire lets the change send home tickets it leaves
		// waiting for nothing (queue.Change).
		Expire bool `json:"expire"`
		// Remove lets a patch take items out of a list (shortened).
		Remove bool `json:"remove"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := checkText("author", a.Author); err != nil {
		return nil, err
	}
	ch := queue.Change{Expire: a.Expire} // Base 0: whichever runs
	switch {
	case a.Version == nil:
	case a.BaseVersion != nil && *a.BaseVersion != *a.Version:
		return nil, badArg("version", "version %d and base_version %d differ: give the version config.get answered, as either", *a.Version, *a.BaseVersion)
	case *a.Version == 0:
		// config.get of a store with nothing recorded: no base.
	default:
		a.BaseVersion = a.Version
	}
	if a.BaseVersion != nil {
		if *a.BaseVersion == 0 {
			return nil, badArg("base_version", "versions start at 1: give the version config.get answered, or leave base_version out")
		}
		ch.Base = *a.BaseVersion
	}
	doc, err := o.configDoc(a.Config, a.Patch)
	if err != nil {
		return nil, err
	}
	var guard func() error
	if len(a.Patch) > 0 && !a.Remove {
		guard = func() error { return o.shortened(a.Patch) }
	}
	before := o.conf()
	v, err := o.setConfig(ctx, doc, ch, queue.ConfigVersion{Source: "admin", Author: a.Author}, guard, true)
	unchanged := errors.Is(err, errUnchanged)
	if unchanged {
		err = nil
	}
	var ae *AdminError
	if errors.As(err, &ae) && ae.Code == CodeBadRequest && len(a.Patch) > 0 && !strings.Contains(ae.Message, "give every") {
		// A patch that adds an item to a list without the others (a
		// counter) fails for what the items left out did: "no counter
		// serves social". That is what it is told.
		if hint := o.patchHint(a.Patch); hint != "" {
			ae.Message += hint
		} else if se := o.shortened(a.Patch); se != nil && !a.Remove && o.addsItems(a.Patch) {
			err = se
		}
	}
	if err != nil {
		return nil, err
	}
	ans := setAnswer(v)
	if unchanged {
		ans["tickets"], ans["unchanged"] = []queue.Rehomed{}, true
	}
	ws := o.conf().PrefixWarnings() // said, not refused: an office may have printed them for years
	ws = append(ws, o.changeWarnings(ctx, before)...)
	if ws = append(ws, o.bookingWarnings(ctx)...); len(ws) > 0 {
		ans["warnings"] = ws
	}
	return ans, nil
}

// adminConfigHistory is config.history: the configurations recorded, newest
// first, without their documents; or the one version asked, with its.
func adminConfigHistory(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Version *uint64 `json:"version"` // nil: every version
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	vs, err := o.eng.ConfigVersions(ctx)
	if err != nil {
		return nil, err
	}
	if a.Version != nil {
		v, err := configVersion(vs, *a.Version)
		if err != nil {
			return nil, err
		}
		// A version recorded by a release that kept a URL's password
		// gives it no more than config.get does.
		v.Config = redactSecrets(v.Config)
		return v, nil
	}
	out := []queue.ConfigVersion{}
	for _, v := range slices.Backward(vs) {
		v.Config = nil // ask for one version to see it
		out = append(out, v)
	}
	return out, nil
}

// adminConfigRollback is config.rollback: a recorded configuration run again,
// as a new version.
func adminConfigRollback(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Version uint64 `json:"version"`
		Author  string `json:"author"`
		Expire  bool   `json:"expire"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := checkText("author", a.Author); err != nil {
		return nil, err
	}
	if a.Version == 0 {
		return nil, badArg("version", "required: the version to run again (config.history lists them)")
	}
	vs, err := o.eng.ConfigVersions(ctx)
	if err != nil {
		return nil, err
	}
	old, err := configVersion(vs, a.Version)
	if err != nil {
		return nil, err
	}
	// What is wired stays as it runs: the version may be from before
	// the file moved a printer or a pin.
	doc, unknown, err := config.ParseRecorded(old.Config)
	if err != nil {
		return nil, fmt.Errorf("office: version %d: %w", old.Version, err)
	}
	wire(doc, o.running())
	if old.Config, err = json.Marshal(doc); err != nil {
		return nil, err
	}
	// A rollback to what runs records nothing, as config.set does.
	before := o.conf()
	v, err := o.setConfig(ctx, old.Config, queue.Change{Expire: a.Expire}, queue.ConfigVersion{Source: "rollback", Author: a.Author, RollbackOf: old.Version}, nil, true)
	unchanged := errors.Is(err, errUnchanged)
	if err != nil && !unchanged {
		return nil, err
	}
	ans := setAnswer(v)
	if unchanged {
		ans["tickets"], ans["unchanged"] = []queue.Rehomed{}, true
	}
	var ws []string
	if len(unknown) > 0 {
		ws = append(ws, fmt.Sprintf("version %d: %s", old.Version, newerSettings(unknown)))
	}
	ws = append(ws, o.changeWarnings(ctx, before)...)
	if ws = append(ws, o.bookingWarnings(ctx)...); len(ws) > 0 {
		ans["warnings"] = ws
	}
	return ans, nil
}

// adminOfficeState is office.state: everything the office shows now: boards,
// counters, pauses, printers, announcers.
func adminOfficeState(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	snap, err := o.eng.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	now := o.now()
	for i, b := range snap.Boards {
		b.At = b.At.In(o.loc)
		snap.Boards[i] = display.Settle(b, now, o.blink()) // as the boards' topics say it
	}
	for i := range snap.Boxes {
		snap.Boxes[i].At = snap.Boxes[i].At.In(o.loc)
	}
	ps := snap.Pauses
	o.statusMu.Lock()
	storeErr := o.status.StoreError
	o.statusMu.Unlock()
	// The printers as {root}/printer/{kiosk} has them: a paper out is
	// why a kiosk gives nothing.
	printers := []kioskPrinter{}
	for _, kc := range o.conf().Kiosks {
		if k := o.kiosks[kc.ID]; k != nil {
			if st := k.state.Load(); st != nil {
				printers = append(printers, kioskPrinter{kc.ID, *st})
			}
		}
	}
	return struct {
		queue.Snapshot
		Paused     []pauseJSON      `json:"paused"`
		Printers   []kioskPrinter   `json:"printers"`
		Buttons    []ButtonCount    `json:"buttons"`
		Announcers []audio.Presence `json:"announcers"`
		StoreError string           `json:"store_error,omitempty"`
	}{snap, pausesJSON(ps, o.loc), printers, o.buttonCounts(), o.voices.list(o.loc), storeErr}, nil
}

// adminNumberingContinue is numbering.continue: today's numbering of a
// service continued from a given number.
func adminNumberingContinue(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	// After a restore from a backup of the morning: the numbers
	// handed out after it are not given out again today.
	var a struct {
		Service string `json:"service"`
		After   *int   `json:"after"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	svc := o.conf().Service(a.Service)
	if svc == nil {
		return nil, o.noService(a.Service)
	}
	if a.After == nil {
		return nil, badArg("after", "required: the highest number of %s handed out (42 for %s)", svc.ID, queue.FormatLabel(svc.Prefix, 42, svc.Width))
	}
	err := o.eng.ContinueNumbering(ctx, svc.ID, *a.After)
	var ne *queue.NumberingError
	if errors.As(err, &ne) {
		return nil, badArg("after", "%s", ne.Message)
	}
	if err != nil {
		return nil, err
	}
	return struct {
		Service string `json:"service"`
		Next    string `json:"next"`
	}{svc.ID, queue.FormatLabel(svc.Prefix, *a.After+1, svc.Width)}, nil
}

// adminTicketsList is tickets.list: a day's tickets, a page at a time.
func adminTicketsList(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		// Service is a pointer: given empty is refused, not taken
		// for no filter.
		Service *string `json:"service"`
		State   string  `json:"state"`
		Day     string  `json:"day"`
		FromID  uint64  `json:"from_id"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := checkDay(a.Day); err != nil {
		return nil, err
	}
	// Any well-formed id, not only a service configured now: the
	// tickets of a past day, or today's at a counter, carry the id of
	// a service renamed or taken away since.
	if a.Service != nil && !config.ValidID(*a.Service) {
		return nil, badArg("service", "want a service id (1-32 letters, digits, _ or -), got %q", *a.Service)
	}
	if a.State != "" && !queue.KnownState(queue.State(a.State)) {
		return nil, badArg("state", "no ticket state %q (waiting, called, serving, done, noshow, voided, expired)", a.State)
	}
	all, err := o.eng.TicketsOf(ctx, a.Day)
	if errors.Is(err, queue.ErrUnknownDay) {
		return nil, &AdminError{Code: CodeNotFound, Message: err.Error(), Field: "day"}
	}
	if err != nil {
		return nil, err
	}
	out := []queue.Ticket{}
	for _, t := range all {
		if t.ID >= a.FromID && (a.Service == nil || t.Service == *a.Service) && (a.State == "" || string(t.State) == a.State) {
			out = append(out, t)
		}
	}
	// Paged as they are sent: in the office's time zone.
	out, more, err := page(o.localResult(out).([]queue.Ticket))
	res := ticketPage{Tickets: out, More: more, NextID: a.FromID}
	if len(out) > 0 {
		res.NextID = out[len(out)-1].ID + 1
	}
	return res, err
}

// adminTicketVoid is ticket.void: a waiting ticket taken out of the
// queue.
func adminTicketVoid(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Ticket string `json:"ticket"`
		Reason string `json:"reason"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if err := checkText("reason", a.Reason); err != nil {
		return nil, err
	}
	t, err := o.findTicket(ctx, a.Ticket)
	if err != nil {
		return nil, err
	}
	reason := a.Reason
	if reason == "" {
		reason = "voided by an administrator"
	}
	if err := o.eng.Void(ctx, t.ID, reason); err != nil {
		return nil, err
	}
	rctx, cancel := afterWrite(ctx)
	defer cancel()
	return o.findTicket(rctx, a.Ticket)
}

// adminStoreBackup is store.backup: a consistent copy of the state file,
// written while the office runs.
func adminStoreBackup(o *Office, _ context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Path    string `json:"path"`
		Compact bool   `json:"compact"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	switch tmp := privateTmp(a.Path); {
	case a.Path == "":
		return nil, badArg("path", "required: an absolute path on the controller's machine (/var/backups/cherga/cherga.db)")
	case !filepath.IsAbs(a.Path):
		return nil, badArg("path", "%q is not an absolute path: give one on the controller's machine (/var/backups/cherga/cherga.db)", a.Path)
	case tmp != "":
		return nil, badArg("path", "%q is in %s: run by systemd, cherga has a %[2]s of its own (cherga.service: PrivateTmp=yes), which nobody else sees and which is deleted when cherga stops; give another directory (/var/backups/cherga/cherga.db)", a.Path, tmp)
	}
	n, err := o.eng.Backup(a.Path, a.Compact)
	if err != nil {
		return nil, &AdminError{Code: CodeRefused, Field: "path", Message: err.Error()}
	}
	return map[string]any{"path": a.Path, "bytes": n, "at": o.now()}, nil
}

// adminClockTrust is clock.trust: the system clock taken as right,
// though it is behind the time the office last ran at.
func adminClockTrust(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	if err := decodeArgs(args, &struct{}{}); err != nil {
		return nil, err
	}
	last, err := o.eng.TrustClock(ctx)
	if err != nil {
		return nil, &AdminError{Code: CodeRefused, Message: err.Error()}
	}
	return map[string]any{"now": o.now(), "last_ran": o.local(last)}, nil
}

// adminTicketCall is ticket.call: a ticket called by its label to a counter.
func adminTicketCall(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Ticket  string `json:"ticket"`
		Counter flexID `json:"counter"`
		End     bool   `json:"end"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Ticket == "" {
		return nil, badArg("ticket", "the ticket label is required (А023)")
	}
	if err := o.counterArg(a.Counter); err != nil {
		return nil, err
	}
	call := o.eng.CallTicketFree
	if a.End {
		call = o.eng.CallTicket
	}
	res, err := call(ctx, string(a.Counter), a.Ticket)
	if errors.Is(err, queue.ErrUnknownTicket) {
		return nil, &AdminError{Code: CodeNotFound, Field: "ticket", Message: err.Error()}
	}
	if errors.Is(err, queue.ErrCounterPaused) {
		return nil, &AdminError{Code: CodeRefused, Field: "counter", Message: fmt.Sprintf("counter %s is closed (counter.close, or its specialist's pause): counter.open it first", a.Counter)}
	}
	if be := (*queue.CounterBusyError)(nil); errors.As(err, &be) {
		return nil, &AdminError{Code: CodeRefused, Field: "counter", Message: fmt.Sprintf("%v, or send end=true to end it as done and call %s", be, a.Ticket)}
	}
	return res, err
}

// adminEventsReplay is events.replay: the events from a seq on, a page at a
// time.
func adminEventsReplay(o *Office, _ context.Context, args json.RawMessage) (any, error) {
	a := struct {
		FromSeq uint64 `json:"from_seq"`
		Max     int    `json:"max"`
	}{Max: 1000}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Max < 1 || a.Max > 10000 {
		return nil, badArg("max", "max must be 1..10000, got %d", a.Max)
	}
	// The stored JSON is no longer than the answer's (its times in UTC):
	// what fills the stored budget fills the answer's, and page cuts it.
	evs, err := o.eng.ReplayBytes(a.FromSeq, a.Max+1, answerBudget)
	var pe *queue.PrunedError
	if errors.As(err, &pe) {
		return nil, &AdminError{Code: CodeNotFound, Field: "from_seq", Message: fmt.Sprintf("%v: replay from_seq %d on", err, pe.First)}
	}
	if errors.Is(err, queue.ErrAhead) {
		return nil, &AdminError{Code: CodeNotFound, Field: "from_seq", Message: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	more := len(evs) > a.Max
	evs = o.localResult(evs[:min(len(evs), a.Max)]).([]queue.Event)
	evs, cut, err := page(evs)
	res := eventPage{Events: evs, More: more || cut, NextSeq: a.FromSeq}
	if len(evs) > 0 {
		res.NextSeq = evs[len(evs)-1].Seq + 1
	}
	return res, err
}

// kioskPrinter is one kiosk's printer in office.state.
type kioskPrinter struct {
	Kiosk string `json:"kiosk"`
	PrinterState
}

// eventPage is the answer of events.replay, and ticketPage of
// tickets.list: the items that fit in one answer, whether more follow, and
// where the next answer starts (from_seq, from_id).
type eventPage struct {
	Events  []queue.Event `json:"events"`
	More    bool          `json:"more"`
	NextSeq uint64        `json:"next_seq"`
}

type ticketPage struct {
	Tickets []queue.Ticket `json:"tickets"`
	More    bool           `json:"more"`
	NextID  uint64         `json:"next_id"`
}

// answerBudget is the most bytes of items one admin answer carries: with
// its envelope it stays under the embedded broker's packet limit and the
// message_size_limit docs/mqtt.md asks of Mosquitto (300 KiB), which drop
// a larger message without a word.
const answerBudget = 256 << 10

// page keeps the first items whose JSON fits in answerBudget (one at
// least), and says whether it left some out: the caller asks again from
// the next one.
func page[T any](items []T) (kept []T, more bool, err error) {
	size := 0
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, false, err
		}
		if size += len(b) + 1; size > answerBudget && i > 0 {
			return items[:i], true, nil
		}
	}
	return items, false, nil
}

// configVersion finds version n among the recorded ones.
func configVersion(vs []queue.ConfigVersion, n uint64) (queue.ConfigVersion, error) {
	for _, v := range vs {
		if v.Version == n {
			return v, nil
		}
	}
	return queue.ConfigVersion{}, &AdminError{Code: CodeNotFound, Field: "version", Message: fmt.Sprintf("no configuration version %d (config.history lists them)", n)}
}

// running is the configuration as it runs: the file's, with what the
// command line changed (the store, the broker, the printers).
func (o *Office) running() *config.Config {
	c := *o.conf()
	c.DB = o.eng.Path()
	c.Broker.URL = o.url
	c.Broker.CAFile, c.Broker.CertFile, c.Broker.KeyFile = o.tls.CA, o.tls.Cert, o.tls.Key
	if o.brk != nil {
		c.Broker.URL, c.Broker.Listen = "embedded", o.brk.Addr()
	}
	c.Kiosks = slices.Clone(c.Kiosks)
	for i := range c.Kiosks {
		if k := o.kiosks[c.Kiosks[i].ID]; k != nil {
			c.Kiosks[i].Printer = k.spec
		}
	}
	return &c
}

// setAnswer is the answer to config.set and config.rollback: the version
// recorded, and what the change did to today's tickets.
func setAnswer(v queue.ConfigVersion) map[string]any {
	tickets := v.Tickets
	if tickets == nil {
		tickets = []queue.Rehomed{}
	}
	return map[string]any{"version": v.Version, "at": v.At, "tickets": tickets}
}

// pauseOp pauses or resumes the office or one service (queue.Paused), and
// answers with the pauses in force.
func pauseOp(ofService, pause bool) func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	return func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Service string `json:"service"`
			Reason  string `json:"reason"`
			Alert   *bool  `json:"alert"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		switch {
		case a.Alert != nil && (ofService || !pause):
			return nil, badArg("alert", "only office.pause says whether it is an air-raid alert")
		case ofService && a.Service == "":
			return nil, badArg("service", "required: the id of the service")
		case ofService && o.conf().Service(a.Service) == nil:
			return nil, o.noService(a.Service)
		case !ofService && a.Service != "":
			return nil, badArg("service", "the office is paused as a whole: use service.pause for one service")
		}
		if err := checkText("reason", a.Reason); err != nil {
			return nil, err
		}
		var err error
		if pause {
			with := queue.Paused{Reason: a.Reason}
			if a.Alert != nil {
				with.Alert, with.AlertSaid = *a.Alert, true
			}
			err = o.eng.Pause(ctx, a.Service, with)
		} else {
			err = o.eng.Resume(ctx, a.Service, a.Reason)
		}
		if err != nil {
			return nil, err
		}
		rctx, cancel := afterWrite(ctx)
		defer cancel()
		ps, err := o.eng.Pauses(rctx)
		if err != nil {
			return nil, err
		}
		return map[string]any{"paused": pausesJSON(ps, o.loc)}, nil
	}
}

// afterWrite is the context of what an op reads to answer a write it made:
// the write is done, and a deadline it nearly used up must not make its
// answer an error.
func afterWrite(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// pauseJSON is one pause in force, as an answer lists it.
type pauseJSON struct {
	Service string    `json:"service,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Alert   bool      `json:"alert,omitempty"` // the office's: an air-raid alert
	Since   time.Time `json:"since"`
}

// pausesJSON lists the pauses in force, the office's first, then by service.
func pausesJSON(ps map[string]queue.Paused, loc *time.Location) []pauseJSON {
	out := []pauseJSON{}
	for s, p := range ps {
		out = append(out, pauseJSON{Service: s, Reason: p.Reason, Alert: s == "" && p.IsAlert(), Since: p.Since.In(loc)})
	}
	slices.SortFunc(out, func(a, b pauseJSON) int { return strings.Compare(a.Service, b.Service) })
	return out
}

func counterOp(action queue.Action) func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	return func(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct {
			Counter flexID `json:"counter"`
		}
		if err := decodeArgs(args, &a); err != nil {
			return nil, err
		}
		if err := o.counterArg(a.Counter); err != nil {
			return nil, err
		}
		return o.eng.Counter(ctx, string(a.Counter), queue.Command{Action: action})
	}
}

// checkDay refuses a day argument that is not a date.
func checkDay(day string) error {
	if _, err := time.Parse("2006-01-02", day); day != "" && err != nil {
		return badArg("day", "want a day such as 2026-11-23, got %q", day)
	}
	return nil
}

// maxText is the longest free text an argument may carry (a reason): it is
// stored with the ticket and sent with its event.
const maxText = 200

func checkText(field, s string) error {
	if n := utf8.RuneCountInString(s); n > maxText {
		return badArg(field, "at most %d characters, got %d", maxText, n)
	}
	if r := config.Unseen(s, false); r >= 0 {
		// It goes to boards, screens and counter boxes.
		return badArg(field, "holds %U, a character one cannot see or that steers a device (a control or format character, such as a newline, an escape or a bidi override): write the text alone", r)
	}
	return nil
}

// flexID is an id that may arrive as a JSON string or number (counter 5).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*f = flexID(n.String())
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*f = flexID(s)
	return nil
}

func decodeArgs(args json.RawMessage, v any) error {
	if len(bytes.TrimSpace(args)) == 0 || string(args) == "null" {
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(args, &obj); err != nil {
		msg := "office: args must be a JSON object: " + err.Error()
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			msg = "office: args must be a JSON object, not " + te.Value
		}
		return &AdminError{Code: CodeBadRequest, Field: "args", Message: msg}
	}
	// encoding/json matches names regardless of case: "SERVICE" is an
	// unknown field here, not the service.
	names := device.JSONNames(v)
	for name := range obj {
		if !slices.Contains(names, name) {
			known := "known: " + strings.Join(names, ", ")
			if len(names) == 0 {
				known = "this operation takes none"
			}
			return &AdminError{Code: CodeBadRequest, Field: name, Message: fmt.Sprintf("office: args: unknown field %q (%s)", name, known)}
		}
	}
	if err := json.Unmarshal(args, v); err != nil {
		field, msg := "", "office: args: "+err.Error()
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field = te.Field
			msg = fmt.Sprintf("office: args: %s is %s, not a JSON %s", te.Field, argKind(te.Type), te.Value)
		}
		return &AdminError{Code: CodeBadRequest, Field: field, Message: msg}
	}
	return nil
}

// argKind names what an arg of type t is, for a request that sent another.
func argKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false (without quotes)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number (without quotes)"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number, 0 or more (without quotes)"
	case reflect.Float32, reflect.Float64:
		return "a number (without quotes)"
	case reflect.String:
		return "text (in quotes)"
	}
	return "a " + t.Kind().String()
}

// counterArg refuses a counter arg that is missing or names no counter.
func (o *Office) counterArg(id flexID) error {
	switch {
	case id == "":
		return badArg("counter", "required: the counter's id (counter=5)")
	case o.conf().Counter(string(id)) == nil:
		return badArg("counter", "no counter %q", id)
	}
	return nil
}

// findTicket finds one of today's tickets by its label.
func (o *Office) findTicket(ctx context.Context, label string) (queue.Ticket, error) {
	if label == "" {
		return queue.Ticket{}, badArg("ticket", "the ticket label is required (А023)")
	}
	tk, err := o.eng.TicketByLabel(ctx, label)
	if errors.Is(err, queue.ErrUnknownTicket) {
		return tk, &AdminError{Code: CodeNotFound, Field: "ticket", Message: fmt.Sprintf("no ticket %q today", label)}
	}
	return tk, err
}

// Admin serves one request; it is what {root}/admin/req does (and
// {root}/read/req, for the operations that change nothing).
func (o *Office) Admin(ctx context.Context, req AdminRequest) AdminResponse {
	res := AdminResponse{ID: req.ID}
	if req.Op == "" {
		res.Error = &AdminError{Code: CodeBadRequest, Field: "op", Message: `office: admin request without an "op"`}
		return res
	}
	op := adminOps[req.Op]
	switch {
	case op == nil:
		var ops []string // the others are forbidden at a door that serves some
		for op := range adminOps {
			if doorServes(req.door, op) {
				ops = append(ops, op)
			}
		}
		slices.Sort(ops)
		res.Error = &AdminError{Code: CodeUnknownOp, Field: "op", Message: fmt.Sprintf("unknown operation %q; the operations: %s", req.Op, strings.Join(ops, ", "))}
		return res
	case !doorServes(req.door, req.Op):
		why := "changes the office"
		if req.door == doorBook {
			why = "is not a booking's"
		}
		why = cmp.Or(adminOnly[req.Op], why)
		res.Error = &AdminError{Code: CodeForbidden, Field: "op", Message: fmt.Sprintf("office: %s %s: it is served on %s/admin/req, not %[3]s/%s/req (chergactl: without -%[4]s)", req.Op, why, o.conf().Root(), req.door)}
		return res
	}
	result, err := op(o, ctx, req.Args)
	if err != nil {
		var ae *AdminError
		switch {
		case errors.As(err, &ae):
		case errors.Is(err, queue.ErrStale):
			ae = &AdminError{Code: CodeTimeout, Message: err.Error() + " (the store held it more than 10 s: a disk that stalled)"}
		default:
			ae = &AdminError{Code: CodeRefused, Message: err.Error()}
		}
		res.Error = ae
		return res
	}
	res.OK, res.Result = true, o.localResult(result)
	return res
}

// localResult shows the times of a result in the office's time zone, as
// the events and the kiosk's answers show them.
func (o *Office) localResult(v any) any {
	switch r := v.(type) {
	case queue.Ticket:
		return o.localTicket(r)
	case []queue.Ticket:
		out := make([]queue.Ticket, len(r))
		for i, tk := range r {
			out[i] = o.localTicket(tk)
		}
		return out
	case []queue.Event:
		out := make([]queue.Event, len(r))
		for i, ev := range r {
			out[i] = o.localEvent(ev)
		}
		return out
	case queue.CounterResult:
		for _, p := range []**queue.Ticket{&r.Ticket, &r.Ended} {
			if *p != nil {
				tk := o.localTicket(**p)
				*p = &tk
			}
		}
		return r
	}
	return v
}

// The limits of an administrator's request: its size, and how many may wait
// to be served.
const (
	adminMaxBytes = 256 << 10 // a whole configuration fits
	adminBacklog  = 256
)

func adminIDOK(id string) bool {
	return id != "" && utf8.ValidString(id) && utf8.RuneCountInString(id) <= 64 && !strings.ContainsAny(id, "/+#\x00")
}

// idBefore is the "id" member of a JSON object read as far as it is JSON
// (a trailing comma in its args further on), or "".
func idBefore(payload []byte) string {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	depth, key, expectKey := 1, "", true
	for {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
			if depth == 0 {
				return ""
			}
			expectKey = expectKey || depth == 1 // a member's value ended
			continue
		}
		switch {
		case depth != 1:
		case expectKey:
			key, _ = t.(string)
			expectKey = false
		case key == "id":
			id, _ := t.(string)
			return id
		default:
			expectKey = true
		}
	}
}

func (o *Office) onAdmin(topic string, payload []byte) {
	// The first JSON value is the request: with its id read, whatever is
	// wrong with the rest is said in the answer.
	var req AdminRequest
	door := path.Base(path.Dir(topic))           // {root}/{door}/req, as subscribed
	payload = bytes.TrimPrefix(payload, utf8BOM) // a file saved by Notepad
	var err error
	if len(payload) > adminMaxBytes {
		// Refused before it is decoded (a broker may pass on hundreds of
		// MB, and this is the client's goroutine): the id is looked for
		// in its first adminMaxBytes only, to answer it.
		err = fmt.Errorf("%d bytes, more than the %d a request may have", len(payload), adminMaxBytes)
	} else {
		dec := json.NewDecoder(bytes.NewReader(payload))
		err = dec.Decode(&req)
		if err == nil && dec.InputOffset() < int64(len(bytes.TrimRight(payload, " \t\r\n"))) {
			err = errors.New("more after the request's JSON object")
		}
	}
	if err != nil && req.ID == "" {
		// A syntax error reads nothing: the id before it still tells
		// whom to answer.
		req.ID = idBefore(payload[:min(len(payload), adminMaxBytes)])
	}
	req.door, req.at = door, time.Now()
	if !adminIDOK(req.ID) {
		// Said of its door (a dashboard's, a website's, an
		// administrator's), quoted without passwords, nor a citizen's
		// name or code: the dashboards read {root}/errors.
		o.reportError(door, fmt.Errorf("office: admin request needs JSON {\"id\":\"…\",\"op\":\"…\",\"args\":{…}} with an id of 1-64 characters without / + #: %q", truncate(redactPersonal(payload[:min(len(payload), 4<<10)]), 200)))
		return
	}
	if err != nil {
		// The id was read: the answer says what is wrong.
		ae := &AdminError{Code: CodeBadRequest, Message: "office: admin request: " + err.Error()}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			ae.Field = te.Field
		}
		o.respond(AdminResponse{ID: req.ID, Error: ae}, door)
		return
	}
	// Served off the client's goroutine (a request may read the store),
	// one at a time and in order: "close" then "open" leaves it open. The
	// read door and the booking door have a queue each: dashboards
	// catching up on events, a website busy booking, must not hold an
	// administrator's pause for an air-raid alert.
	to := o.admin
	switch door {
	case doorRead:
		to = o.reads
	case doorBook:
		to = o.books
	}
	select {
	case to <- req:
	default:
		o.respond(AdminResponse{ID: req.ID, Error: &AdminError{Code: CodeBusy, Message: fmt.Sprintf("office: %d admin requests are waiting; send it again later", adminBacklog)}}, door)
	}
}

// utf8BOM is the byte order mark some Windows editors put first in a file
// saved as UTF-8; JSON has none.
var utf8BOM = []byte("\xef\xbb\xbf")

// serveAdmin serves the requests of reqs until ctx ends. With rest (the
// read door's), it rests after each request as long as the request took,
// up to a second: a dashboard that asks for today's figures in a loop
// gets at most half of the engine, whose goroutine issues the tickets.
//
// A booking or a cancellation (onceOps) delivered again with its id (QoS 1
// is at least once: a booking website whose connection dropped has paho
// send its appointment.book again) is answered again, not made again: one
// of the latest recentKeep, within recentFor, that asked the same. One
// answered busy or timeout was not made, and is served anew. Not every
// request: an automation that pauses the office at each air-raid alert
// may send one id every time, and each must pause it.
func (o *Office) serveAdmin(ctx context.Context, reqs <-chan AdminRequest, rest bool) {
	defer o.wg.Done()
	var done recent[AdminResponse]
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-reqs:
			once := onceOps[req.Op]
			var asked string // what a booking or a cancellation asks
			if once {
				asked = req.Op + " " + string(req.Args)
				res, again, reused := done.get(req.ID, asked, time.Now())
				if again {
					o.log.Info("office: an admin request delivered again is answered again, not made again", "op", req.Op, "id", req.ID)
					res.Again = true
					o.respond(res, req.door)
					continue
				}
				if reused {
					o.log.Warn("office: a booking request reuses the id of another one within 10 minutes: made as new (give each booking an id of its own)", "op", req.Op, "id", req.ID)
				}
			}
			// From its arrival: one held behind a stalled store is not made
			// after chergactl gave up on it (queue.ErrStale).
			began := time.Now()
			rctx, cancel := context.WithDeadline(ctx, req.at.Add(adminStale))
			res := o.Admin(rctx, req)
			cancel()
			o.logAdmin(req, res)
			o.respond(res, req.door)
			if once && (res.OK || res.Error.Code != CodeBusy && res.Error.Code != CodeTimeout) {
				done.put(req.ID, asked, res, time.Now())
			}
			if rest {
				select {
				case <-ctx.Done():
				case <-time.After(min(time.Since(began), time.Second)):
				}
			}
		}
	}
}

// logAdmin logs what an administrator changed, or tried to: the journal
// says why the kiosks turned to "paused" at 8:50, or which tickets a
// change of the hours sent home. A read is logged at debug.
func (o *Office) logAdmin(req AdminRequest, res AdminResponse) {
	hide := redactSecrets
	if strings.HasPrefix(req.Op, "appointment.") {
		hide = redactPersonal
	}
	args := []any{"op", req.Op, "id", req.ID, "args", truncate(hide(req.Args), 300)}
	switch {
	case readOps[req.Op]:
		o.log.Debug("office: admin read", append(args, "ok", res.OK)...)
	case res.OK:
		o.log.Info("office: admin request done", append(args, "result", truncate(hide(mustJSON(res.Result)), 300))...)
	default:
		o.log.Warn("office: admin request refused", append(args, "code", res.Error.Code, "field", res.Error.Field, "err", truncate([]byte(res.Error.Message), 1000))...)
	}
}

// secretJSON and secretURL find what a request may carry that the log
// must not: a "password" member (a document written by hand; config.set
// refuses it, and the refusal is logged), a password in a URL: in a JSON
// string, whatever the password holds (config.RedactURL), else up to an
// @ (a request that is not JSON).
var (
	secretJSON = regexp.MustCompile(`("` + config.SecretKeys + `"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[^,}\]\s]+)`)
	jsonString = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	secretURL  = regexp.MustCompile(`(://[^:/@"\s]*:)[^@/"\s]*@`)
)

// personal finds the members of a booking's request and answer that name a
// citizen, or let one check in or cancel: the journal keeps them out, as
// the events do.
var personal = regexp.MustCompile(`("(?:name|code)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// redactPersonal is b without its passwords (redactSecrets), nor a
// citizen's name or a booking's code (personal).
func redactPersonal(b []byte) []byte {
	return personal.ReplaceAll(redactSecrets(b), []byte(`$1"…"`))
}

// redactSecrets is b with its passwords replaced by xxxxx.
func redactSecrets(b []byte) []byte {
	b = secretJSON.ReplaceAll(b, []byte(`$1"xxxxx"`))
	b = jsonString.ReplaceAllFunc(b, func(s []byte) []byte {
		if !bytes.Contains(s, []byte("://")) {
			return s
		}
		return []byte(`"` + config.RedactURL(string(s[1:len(s)-1])) + `"`)
	})
	return secretURL.ReplaceAll(b, []byte(`${1}xxxxx@`))
}

// respond publishes the answer to a request on {root}/{door}/res/{id}; from
// the client's goroutine it is not awaited.
func (o *Office) respond(res AdminResponse, door string) {
	if res.Error != nil && len(res.Error.Message) > maxErrorMessage {
		// One that quotes what was sent, which may be as long as a request.
		e := *res.Error
		e.Message = truncate([]byte(e.Message), maxErrorMessage)
		res.Error = &e
	}
	topic := o.conf().Root() + "/" + door + "/res/" + res.ID
	s := o.bus.Start(topic, 1, false, mustJSON(res))
	go func() {
		if err := s.Wait(o.bus.Timeout()); err != nil {
			o.log.Warn("office: admin response not published", "id", res.ID, "err", err)
		}
	}()
}

// maxErrorMessage bounds the message of a refusal an answer carries.
const maxErrorMessage = 8192

// truncate is b cut to at most n bytes, and "…" when it was cut.
func truncate(b []byte, n int) string {
	if len(b) > n {
		for n > 0 && !utf8.RuneStart(b[n]) {
			n-- // not in the middle of a letter
		}
		return string(b[:n]) + "…"
	}
	return string(b)
}
