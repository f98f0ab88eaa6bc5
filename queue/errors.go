package queue

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrUnknownService is returned when a request names a service the
	// configuration does not have.
	ErrUnknownService = errors.New("queue: unknown service")
	// ErrUnknownCounter is returned when a request names a counter the
	// configuration does not have.
	ErrUnknownCounter = errors.New("queue: unknown counter")
	// ErrUnknownTicket is returned when no ticket of today has that id or label.
	ErrUnknownTicket = errors.New("queue: unknown ticket")
	// ErrUnknownAction is returned for a counter action that does not exist.
	ErrUnknownAction = errors.New("queue: unknown counter action")
	// ErrClosed is returned by Issue outside the office hours.
	ErrClosed = errors.New("queue: the office is closed now")
	// ErrServiceClosed is returned by Issue outside the hours of a service
	// while the office is open (the pension fund comes on Wednesdays). It
	// is also ErrClosed.
	ErrServiceClosed error = serviceClosed{}
	// ErrNoCounter is returned by Issue for a service that no counter of
	// the configuration serves: its tickets would never be called. It is
	// also ErrServiceClosed.
	ErrNoCounter error = noCounter{}
	// ErrClockUnset is returned by Issue while the wall clock is obviously
	// wrong (before 2024: a Raspberry Pi without RTC that has not synced yet).
	ErrClockUnset = errors.New("queue: the clock is not set")
	// ErrNoTicket is returned by recall, noshow, done and transfer when the
	// counter has no called ticket.
	ErrNoTicket = errors.New("queue: the counter has no current ticket")
	// ErrCounterPaused is returned by next while the counter is paused.
	ErrCounterPaused = errors.New("queue: the counter is paused")
	// ErrEngineClosed is returned by requests after Close.
	ErrEngineClosed = errors.New("queue: engine closed")
	// ErrStore wraps the error of a write transaction that failed: the
	// request changed nothing, and may be sent again.
	ErrStore = errors.New("queue: store")
	// ErrEmpty is returned by Verify for a file that holds no store yet
	// (made by bbolt and never written: a first start stopped by a power
	// cut or a full disk). No damage: Open makes a new, empty store in
	// it; but as a backup it holds nothing. A file of no bytes is refused
	// (noBytesError): it is no store, not even an empty one.
	ErrEmpty = errors.New("queue: the file holds no store (empty)")
	// ErrStale is returned for a change whose context ended before the
	// engine came to it (a storage that stalled held it): it changed
	// nothing. The caller's deadline says how old a press may be and still
	// be done: a citizen who left the kiosk, or a specialist who pressed
	// again, is not served by a change made a minute late.
	ErrStale = errors.New("queue: the request waited too long to run; nothing was done")
	// ErrRecallLimit is returned by recall when the ticket was already
	// called as often as office.recall_limit allows.
	ErrRecallLimit = errors.New("queue: the recall limit is reached")
	// ErrDailyCap is returned by Issue when the service issued its
	// daily_cap tickets today.
	ErrDailyCap = errors.New("queue: the service issued all its tickets for today")
	// ErrFull is returned (as a *FullError) by Issue when office.refuse_late
	// is set and a ticket taken now could not be served before the service
	// closes: its call, after those before it, plus one visit.
	ErrFull = errors.New("queue: a ticket taken now could not be served before closing")
	// ErrUnknownCategory is returned by Issue for a priority category the
	// office does not have.
	ErrUnknownCategory = errors.New("queue: unknown priority category")
	// ErrDamaged is returned by Open and Verify for a store file bbolt
	// cannot read: restore a backup (one Engine.Backup took), or move the
	// file aside to start an empty one.
	ErrDamaged = errors.New("queue: the store file is damaged; restore a backup that cherga -verify finds sound (README, Backups), or move the file aside, keeping it, to start an empty one")

	// ErrNothingToRate is returned by Rate when the counter's last visit
	// did not end served, or it ended none today, or the next citizen's
	// visit is under way there (the one at the pad is not the previous).
	ErrNothingToRate = errors.New("queue: no served visit to rate")

	// ErrBadScore is returned by Rate for a score outside 1..5.
	ErrBadScore = errors.New("queue: a rating is 1 to 5")
	// ErrUnknownDay is returned by Stats and TicketsOf for a day with no
	// record: one that issued no ticket (a weekend, a holiday), or, for
	// its tickets, one older than the kept days.
	ErrUnknownDay = errors.New("queue: no record of that day (it issued no ticket, or its tickets are older than office.stats_days)")
	// ErrNotServed is returned by a transfer to a counter that does not
	// serve the target service, and by a call of a ticket of a service
	// the counter does not serve.
	ErrNotServed = errors.New("queue: the counter does not serve that service")
)

type serviceClosed struct{}

func (serviceClosed) Error() string        { return "queue: the service is not open now" }
func (serviceClosed) Is(target error) bool { return target == ErrClosed }

type noCounter struct{}

func (noCounter) Error() string { return "queue: no counter serves the service" }
func (noCounter) Is(target error) bool {
	return target == ErrServiceClosed || target == ErrClosed
}

// ErrPruned is returned (as a *PrunedError) by Replay for events older
// than the store keeps (office.stats_days).
var ErrPruned = errors.New("queue: those events are no longer kept")

// PrunedError says which is the first event still kept.
type PrunedError struct{ First uint64 }

func (e *PrunedError) Error() string {
	return fmt.Sprintf("queue: events before seq %d are no longer kept (office.stats_days)", e.First)
}

func (e *PrunedError) Unwrap() error { return ErrPruned }

// ErrAhead is returned (as an *AheadError) by Replay from a seq past the
// one the next event will get: the asker holds events this store never
// had (it was restored from a backup), or the seq is not this office's.
var ErrAhead = errors.New("queue: no such event yet")

// AheadError says which is the last event.
type AheadError struct{ From, Last uint64 }

func (e *AheadError) Error() string {
	return fmt.Sprintf("queue: there is no event %d yet: the last is %d (a store restored from a backup, or a seq of another office?)", e.From, e.Last)
}

func (e *AheadError) Unwrap() error { return ErrAhead }

// ErrConfigChanged is returned (as a *ConfigChangedError) by
// SetConfigVersion when the change was made from another version than the
// one running: another administrator's change came in between, and would
// be lost. Nothing changes.
var ErrConfigChanged = errors.New("queue: the configuration changed since the version the change was made from")

// ConfigChangedError names the version running and the one the change was
// made from.
type ConfigChangedError struct{ Running, Base uint64 }

func (e *ConfigChangedError) Error() string {
	return fmt.Sprintf("queue: the configuration is at version %d, not %d", e.Running, e.Base)
}

func (e *ConfigChangedError) Unwrap() error { return ErrConfigChanged }

// ErrExpires is returned (as an *ExpiresError) by SetConfigVersion for a
// change that would send home waiting tickets without Change.Expire.
var ErrExpires = errors.New("queue: the change would send home tickets still waiting")

// ExpiresError names the tickets a change would have sent home: at once
// (Tickets), or at a closing it brings forward to before they would be
// called (Closing); and those it would take from a counter it takes away,
// back to their queue (AtCounter).
type ExpiresError struct {
	Tickets   []string
	Closing   []Closing
	AtCounter []AtCounter
}

// AtCounter is a ticket called to or served at a counter a change takes
// away.
type AtCounter struct {
	Counter string
	Ticket  string
	State   State
}

// Closing is a service whose hours today a change shortens for the tickets
// waiting for it: its closing At, which was Was (15:00) for them, and its
// opening, Opens when the change puts it later and it is still to come;
// and the tickets that would not be called by At.
type Closing struct {
	Service string
	At      time.Time
	Was     string
	Opens   time.Time
	Tickets []string
}

func (e *ExpiresError) Error() string {
	var parts []string
	if len(e.Tickets) > 0 {
		parts = append(parts, fmt.Sprintf("the change would send home %s (%s), whom nobody could call or serve today", count(len(e.Tickets), "ticket"), someOf(e.Tickets)))
	}
	for _, c := range e.Closing {
		what, when := fmt.Sprintf("closes %s at %s instead of %s", c.Service, ClosingText(c.At), c.Was), "then"
		if !c.Opens.IsZero() {
			what, when = fmt.Sprintf("opens %s only at %s, and closes it at %s", c.Service, c.Opens.Format("15:04"), ClosingText(c.At)), "at its closing"
			if c.Was != ClosingText(c.At) {
				what += fmt.Sprintf(" (it closed at %s)", c.Was)
			}
		}
		parts = append(parts, fmt.Sprintf("the change %s, and %s waiting for it (%s) would go home %s, before they are called",
			what, count(len(c.Tickets), "ticket"), someOf(c.Tickets), when))
	}
	for _, a := range e.AtCounter {
		// counter.close does not end the ticket: its citizen is still
		// served, and the counter calls nobody after.
		parts = append(parts, fmt.Sprintf("the change takes away counter %s while ticket %s is %s there: it would go back to its queue and be called again; "+
			"let the counter end it (done, noshow or transfer) and close it (counter.close) first",
			a.Counter, a.Ticket, a.State))
	}
	return "queue: " + strings.Join(parts, "; ")
}

// count is n of what, in the plural unless one: "1 ticket", "3 tickets".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// someOf lists up to 10 labels, and says how many more.
func someOf(labels []string) string {
	if len(labels) > 10 {
		return strings.Join(labels[:10], ", ") + fmt.Sprintf(" and %d more", len(labels)-10)
	}
	return strings.Join(labels, ", ")
}

func (e *ExpiresError) Unwrap() error { return ErrExpires }

// WidthError is returned by SetConfig for a service whose width cannot
// hold the number its tickets reached today: its labels would repeat
// today. The width can shrink once the day is over.
type WidthError struct {
	Index   int // in the configuration's services
	Service string
	Width   int
	Reached int
}

func (e *WidthError) Error() string {
	return fmt.Sprintf("queue: today's tickets of %s reached number %d; a width of %d numbers up to %d, so today's labels would repeat: change it after the day ends, when numbering starts afresh",
		e.Service, e.Reached, e.Width, maxNumber(e.Width))
}

// FullError says why a kiosk refused a ticket that would not be served
// before closing: Waiting is how many wait, Wait the ticket's estimated
// wait, Visit a visit's expected length, Closes when the service closes.
type FullError struct {
	Service string
	Waiting int
	Wait    time.Duration
	Visit   time.Duration
	Closes  time.Time
	// Break: every counter of the service is on a break, and Wait is the
	// least it can be, were they all to open now.
	Break bool
}

func (e *FullError) Error() string {
	about := "about"
	if e.Break {
		about = "at least (every counter of it is on a break)"
	}
	return fmt.Sprintf("queue: %s: a ticket taken now would be called in %s %d min (%d waiting) and served in about %d min more, after closing at %s",
		e.Service, about, Minutes(e.Wait), e.Waiting, Minutes(e.Visit), ClosingText(e.Closes))
}

// ClosingText is a closing time as the hours give it: "17:00", and "24:00"
// for the midnight that ends the day (not the "00:00" that starts one: «Прийом
// до 00:00» reads as closed already).
func ClosingText(t time.Time) string {
	if t.Hour() == 0 && t.Minute() == 0 {
		return "24:00"
	}
	return t.Format("15:04")
}

func (e *FullError) Unwrap() error { return ErrFull }

// TransitionError is returned when a ticket cannot move from its state to
// the requested one; nothing changes.
type TransitionError struct {
	Label    string
	From, To State
	// Counter is the counter a called or served ticket is at, when that is
	// why (a call of a ticket another counter called).
	Counter string
	// Rule, if set, says which rule forbids it, for the person who asked
	// ("only a waiting ticket can be voided").
	Rule string
	// Service and ServiceEn name the service a transfer asked for
	// (RuleSameService, RuleServedHere).
	Service, ServiceEn string
}

func (e *TransitionError) Error() string {
	if e.Rule != "" {
		return "queue: " + e.Rule + "; ticket " + e.Label + " is " + string(e.From)
	}
	return "queue: ticket " + e.Label + " cannot go from " + string(e.From) + " to " + string(e.To)
}

// The rules of a TransitionError that a device is told apart.
const (
	// RuleSameService refuses a transfer to the ticket's own service at
	// the same counter.
	RuleSameService = "a transfer goes to another service, or to another counter of this one (to_counter)"
	// RuleServedHere refuses a transfer, to no counter in particular or
	// to this one, to a service the counter serves itself: its next would
	// call the ticket back at once, ahead of everyone.
	RuleServedHere = "this counter serves that service itself: serve the citizen here, or transfer to another counter (to_counter)"
	// RuleOwnTicket refuses a call of the ticket the counter has called
	// already: a recall says it again (its citizen may be at the counter:
	// then there is nothing to call).
	RuleOwnTicket = "it is this counter's ticket already (a recall calls it again, while its citizen has not come)"
)

// NotServedError refuses a ticket at a counter that does not serve its
// service: a call of a ticket of another service (Label is the ticket),
// a transfer to a counter of other services (Label is "").
type NotServedError struct {
	Counter, Service, Label string
	// Name and NameEn are the service's names for the person who asked.
	Name, NameEn string
}

func (e *NotServedError) Error() string {
	if e.Label != "" {
		return fmt.Sprintf("%v: counter %s, ticket %s of %s", ErrNotServed, e.Counter, e.Label, e.Service)
	}
	return fmt.Sprintf("%v: counter %s, service %s", ErrNotServed, e.Counter, e.Service)
}

func (e *NotServedError) Unwrap() error { return ErrNotServed }

// ServiceClosedError refuses a transfer to a service outside its hours
// (the citizen would go home at once): it names the service, and when it
// opens after At, the moment of the refusal (Opens zero: not within a
// week). It is ErrServiceClosed.
type ServiceClosedError struct {
	Service string
	// Name and NameEn are the service's names for the person who asked.
	Name, NameEn string
	Opens, At    time.Time
}

func (e *ServiceClosedError) Error() string {
	return fmt.Sprintf("%v (%s)", ErrServiceClosed, e.Service)
}

func (e *ServiceClosedError) Unwrap() error { return ErrServiceClosed }

// ToCounterPausedError refuses a transfer to a counter that is paused: held
// for it, the citizen would wait for a counter that calls nobody. (The
// counter that asked is not paused: ErrCounterPaused is for that.)
type ToCounterPausedError struct {
	Counter string
}

func (e *ToCounterPausedError) Error() string {
	return "queue: counter " + e.Counter + " is paused: transfer to another one"
}

// ErrJustCalled is returned (as a *JustCalledError) by next while the
// counter's ticket was called less than office.next_guard_s ago and its
// citizen has not come yet: a second press of next (a double press, a
// button box that bounced, a specialist who thought the first press was
// lost) would end the visit the first one began, and the citizen walking
// to the counter would find their ticket done. And by noshow, within the
// office's NoShowGuard (30 s at least): a no-show then ends the turn of a
// citizen who has not yet heard the call (it takes 9 to 21 s to say), nor
// had the time to walk.
var ErrJustCalled = errors.New("queue: the counter's ticket was just called")

// JustCalledError says which ticket was just called, and in how long its
// Action (Next, NoShowed or Recall) is taken. A recall is held for a few
// seconds after a call or recall of the ticket, as long as its call takes
// to say.
type JustCalledError struct {
	Label  string
	Left   time.Duration
	Action Action
}

func (e *JustCalledError) Error() string {
	act, why := cmp.Or(e.Action, Next), "a double press is not a second call"
	if act == NoShowed {
		why = "the citizen has not had the time to hear the call and come"
	}
	return fmt.Sprintf("queue: ticket %s was just called: %s is taken in %d s (%s)", e.Label, act, e.Seconds(), why)
}

// Seconds is Left in whole seconds, rounded up: a press after that many is
// taken.
func (e *JustCalledError) Seconds() int { return int((e.Left + time.Second - 1) / time.Second) }

func (e *JustCalledError) Unwrap() error { return ErrJustCalled }

// ErrLostCall is returned (as a *LostCallError) by next, call and noshow
// while the counter's ticket was called before an air-raid alert and its
// citizen has not come since: the announcer dropped the call and everyone
// went to the shelter, so ending their turn now (next ends it as done,
// noshow as a no-show) would end it unheard. A recall after the
// all-clear calls them again; serve says they came, and done that they
// were served (a counter box without a serve button).
var ErrLostCall = errors.New("queue: the counter's ticket was called before an air-raid alert")

// LostCallError names the ticket whose call an alert interrupted.
type LostCallError struct {
	Label string
}

func (e *LostCallError) Error() string {
	return "queue: ticket " + e.Label + " was called before an air-raid alert, and its citizen has not come since: recall it after the all-clear, serve it if they are at the counter, or end the visit with done"
}

func (e *LostCallError) Unwrap() error { return ErrLostCall }

// ErrCounterBusy is returned (as a *CounterBusyError) by CallTicketFree
// while the counter has a ticket: an administrator calling a citizen to a
// counter from elsewhere does not know whether its specialist is still
// serving the one in front of them.
var ErrCounterBusy = errors.New("queue: the counter has a ticket")

// CounterBusyError names the counter's ticket and its state.
type CounterBusyError struct {
	Counter, Label string
	State          State
}

func (e *CounterBusyError) Error() string {
	how := "done or no-show"
	if e.State == Serving {
		how = "done: the citizen is at the counter"
	}
	return fmt.Sprintf("queue: counter %s has ticket %s (%s): its specialist ends it first (%s)", e.Counter, e.Label, e.State, how)
}

func (e *CounterBusyError) Unwrap() error { return ErrCounterBusy }

// FormatError refuses a store written by a newer release of cherga, in a
// format this one does not know (a rollback to an older binary).
type FormatError struct{ Got uint64 }

func (e *FormatError) Error() string {
	return fmt.Sprintf("queue: the store was written by a newer cherga (store format %d; this one knows up to %d): run that release or a newer one, or put back the backup taken before the upgrade", e.Got, storeFormat)
}

// ErrBadRange is returned (as a *RangeError) by StatsRange for a range of
// days it cannot sum: an end that is no day, to before from, or more days
// than MaxRangeDays.
var ErrBadRange = errors.New("queue: not a range of days")

// RangeError names the end of the range at fault ("from" or "to") and why.
type RangeError struct{ Field, Why string }

func (e *RangeError) Error() string { return "queue: range of days: " + e.Field + ": " + e.Why }

func (e *RangeError) Unwrap() error { return ErrBadRange }

// errUnchanged is returned by run's transaction, to roll it back, when it
// wrote nothing: a batch of refusals, whose commit would only sync.
var errUnchanged = errors.New("queue: nothing to commit")
