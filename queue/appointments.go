package queue

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// Appointment is a visit booked ahead (Book) for a slot of a service's
// hours on a day: a citizen told its Code (by phone, on the web, at the
// reception) scans it at a kiosk on the day and gets a ticket that is
// called at the slot's start, before the queue (IssueRequest.Appointment).
type Appointment struct {
	// ID is the seq of its appointment.booked event: unique for the life
	// of the file, as a ticket's id. The events name it by its ID alone.
	ID uint64 `json:"id"`
	// Code is what the citizen scans or tells: never in the events, which
	// dashboards read (whoever has it may check in or cancel).
	Code    string `json:"code,omitempty"`
	Service string `json:"service"`
	// Slot names it for Book: "social/2026-12-09/10:00".
	Slot  string    `json:"slot"`
	Day   string    `json:"day"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Name is whom it is for, as they gave it: never in the events, nor
	// on the ticket or the boards.
	Name   string           `json:"name,omitempty"`
	State  AppointmentState `json:"state"`
	Booked time.Time        `json:"booked"`
	// By is who booked it (an administrator's author, the booking site).
	By string `json:"by,omitempty"`
	// Ticket and TicketID are the ticket its citizen got by checking in.
	Ticket   string    `json:"ticket,omitempty"`
	TicketID uint64    `json:"ticket_id,omitempty"`
	Arrived  time.Time `json:"arrived,omitzero"`
	// Cancelled is when it was cancelled, and Reason why.
	Cancelled time.Time `json:"cancelled,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	// until is when its check-in closes, as the engine read it (zero:
	// End); never stored.
	until time.Time
}

// AppointmentState is where a booked visit is.
type AppointmentState string

// The states of an appointment. A booked one whose check-in time passed
// stays booked: its citizen did not come (Missed says so).
const (
	Booked    AppointmentState = "booked"
	Arrived   AppointmentState = "arrived" // checked in: its ticket was issued
	Cancelled AppointmentState = "cancelled"
)

// Missed reports whether a booked visit's citizen did not check in while
// they could: until the end of their slot, later by the air-raid alerts
// since its start (checkInEnd), as the engine read it.
func (a *Appointment) Missed(now time.Time) bool {
	end := a.End
	if !a.until.IsZero() {
		end = a.until
	}
	return a.State == Booked && now.After(end)
}

// public is a as the events carry it: without its code and name.
func (a Appointment) public() *Appointment {
	a.Code, a.Name = "", ""
	return &a
}

// Slot is one bookable time of a service on a day.
type Slot struct {
	Slot  string    `json:"slot"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Free is how many visits it still takes, of Size.
	Free int `json:"free"`
	Size int `json:"size"`
}

// The appointments bucket holds three kinds of keys, all for one booking:
//
//   - c/{code}: the Appointment as JSON;
//   - s/{day}/{service}/{hh:mm}/{code}: empty, the slot's bookings, in day
//     order (Slots, Appointments, the pruning of old days);
//   - i/{id}: its code, for the ticket that names it by its id.
//
// It is made by the first booking: a store that never booked has none,
// and releases from before appointments leave it alone.
var bucketAppointments = []byte("appointments")

func codeKey(code string) []byte   { return []byte("c/" + code) }
func idKey(id uint64) []byte       { return []byte("i/" + strconv.FormatUint(id, 10)) }
func slotPrefix(day string) []byte { return []byte("s/" + day + "/") }

// slotCode is the code a slot's key ends with.
func slotCode(k []byte) string { return string(k[strings.LastIndexByte(string(k), '/')+1:]) }

func slotKey(a *Appointment) []byte {
	_, _, hhmm, _ := ParseSlot(a.Slot)
	return []byte("s/" + a.Day + "/" + a.Service + "/" + hhmm + "/" + a.Code)
}

// codeAlphabet has no 0, O, 1, I: a code read out over the phone is not
// misheard or mistyped. Eight of them are 40 bits: not guessed.
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// CodeLen is the length of an appointment's code.
const CodeLen = 8

// newCode is a random code with a letter in it: one of digits alone may
// read as a product's barcode at a kiosk's scanner.
func newCode() string {
	for {
		b := make([]byte, CodeLen)
		rand.Read(b)
		letter := false
		for i, x := range b {
			b[i] = codeAlphabet[int(x)%len(codeAlphabet)]
			letter = letter || b[i] >= 'A'
		}
		if letter {
			return string(b)
		}
	}
}

// ParseSlot reads a slot's name ("social/2026-12-09/10:00").
func ParseSlot(s string) (service, day, hhmm string, err error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("%w: %q is no slot (service/day/hh:mm, as appointment.slots gives them)", ErrBadSlot, s)
	}
	return parts[0], parts[1], parts[2], nil
}

// slotsOf are a service's slots on day, without their bookings: its hours
// that day cut into booking.slot_min, the last ending by its closing;
// none on a holiday or a day it is closed.
func (e *Engine) slotsOf(svc *config.Service, day string) ([]Slot, error) {
	if svc.Booking == nil {
		return nil, fmt.Errorf("%w (%s)", ErrNotBookable, svc.ID)
	}
	d, err := time.ParseInLocation(dayLayout, day, e.loc)
	if err != nil {
		return nil, fmt.Errorf("%w: %q is no day (2026-12-09)", ErrBadSlot, day)
	}
	from, to, ok := e.cfg.DayHours(svc, d)
	if !ok {
		return nil, nil
	}
	step := svc.Booking.SlotMin
	var out []Slot
	for m := from; step > 0 && m+step <= to; m += step {
		start := time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, e.loc)
		if start.Hour() != m/60 || start.Minute() != m%60 {
			continue // a time the clocks skip (daylight saving begins)
		}
		out = append(out, Slot{
			Slot:  svc.ID + "/" + day + "/" + fmt.Sprintf("%02d:%02d", m/60, m%60),
			Start: start,
			End:   start.Add(time.Duration(step) * time.Minute),
			Free:  svc.Booking.Slots(),
			Size:  svc.Booking.Slots(),
		})
	}
	return out, nil
}

// bookable checks that day is one a visit of svc may be booked for now:
// today to booking.days_ahead days on.
func (t *txn) bookable(svc *config.Service, day string) error {
	if svc.Booking == nil {
		return fmt.Errorf("%w (%s)", ErrNotBookable, svc.ID)
	}
	if !t.e.clockOK(t.now) {
		return ErrClockUnset
	}
	last := addDays(t.st.day, svc.Booking.Ahead())
	if day < t.st.day || day > last {
		return fmt.Errorf("%w: %s is not a day one may book %s for now: from %s to %s (booking.days_ahead)", ErrBadSlot, day, svc.ID, t.st.day, last)
	}
	return nil
}

// addDays is day n calendar days later.
func addDays(day string, n int) string {
	d, err := time.Parse(dayLayout, day)
	if err != nil {
		return day
	}
	return d.AddDate(0, 0, n).Format(dayLayout)
}

// getAppointment reads the booking with code from tx (nil: none).
func getAppointment(tx *bolt.Tx, code string) (*Appointment, error) {
	b := tx.Bucket(bucketAppointments)
	if b == nil {
		return nil, nil
	}
	v := b.Get(codeKey(code))
	if v == nil {
		return nil, nil
	}
	var a Appointment
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, fmt.Errorf("queue: appointment %s: %w", code, err)
	}
	return &a, nil
}

// dayAppointments reads the bookings of day (all services, or service's),
// in slot order.
func dayAppointments(tx *bolt.Tx, day, service string) ([]Appointment, error) {
	b := tx.Bucket(bucketAppointments)
	if b == nil {
		return nil, nil
	}
	prefix := slotPrefix(day)
	if service != "" {
		prefix = append(prefix, service+"/"...)
	}
	var out []Appointment
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
		code := slotCode(k)
		a, err := getAppointment(tx, code)
		if err != nil {
			return nil, err
		}
		if a != nil {
			out = append(out, *a)
		}
	}
	// In a slot, in the order they were booked (the keys: by code).
	slices.SortStableFunc(out, func(a, b Appointment) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// appointmentByID reads the booking with the id from tx (nil: none).
func appointmentByID(tx *bolt.Tx, id uint64) (*Appointment, error) {
	b := tx.Bucket(bucketAppointments)
	if b == nil {
		return nil, nil
	}
	code := b.Get(idKey(id))
	if code == nil {
		return nil, nil
	}
	return getAppointment(tx, string(code))
}

// putAppointment writes a; fresh (booked now), with its slot's and id's
// keys, which a change of its state leaves as they are.
func (t *txn) putAppointment(a *Appointment, fresh bool) {
	b, err := t.tx.CreateBucketIfNotExists(bucketAppointments)
	if err != nil {
		t.fail(err)
		return
	}
	v, err := json.Marshal(a)
	if err != nil {
		t.fail(err)
		return
	}
	t.fail(b.Put(codeKey(a.Code), v))
	if fresh {
		t.fail(b.Put(slotKey(a), nil))
		t.fail(b.Put(idKey(a.ID), []byte(a.Code)))
	}
}

// strayBookings reports whether a booking still to come is of a service
// no longer configured (rehomeBookings: before the loop starts).
func (e *Engine) strayBookings() bool {
	stray := false
	_ = e.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAppointments)
		if b == nil {
			return nil
		}
		e.strayKeys(b, e.st.day, func([]byte, string) bool {
			stray = true
			return false
		})
		return nil
	})
	return stray
}

// strayKeys calls f with the slot key and code of each booking in b of
// day and after whose service is no longer configured, until f returns
// false.
func (e *Engine) strayKeys(b *bolt.Bucket, day string, f func(key []byte, code string) bool) {
	c := b.Cursor()
	for k, _ := c.Seek(slotPrefix(day)); k != nil && strings.HasPrefix(string(k), "s/"); k, _ = c.Next() {
		parts := strings.Split(string(k), "/") // s, day, service, hh:mm, code
		if len(parts) == 5 && e.service(parts[2]) == nil && !f(k, parts[4]) {
			return
		}
	}
}

// rehomeBookings gives the bookings of today and after of a service no
// longer configured to the service that prints its prefix now (it was
// renamed), as rehome does its tickets: their citizens check in as
// booked, and the renamed service's slots count them, those checked in
// already too. Those of a service taken away stay as they are: their
// check-in is refused, and config.set's answer names them.
func (t *txn) rehomeBookings() {
	b := t.tx.Bucket(bucketAppointments)
	if b == nil {
		return
	}
	type move struct {
		a  *Appointment
		to string
	}
	var moves []move
	t.e.strayKeys(b, t.st.day, func(k []byte, code string) bool {
		a, err := getAppointment(t.tx, code)
		if err != nil {
			// One booking's damage keeps no office from opening: its
			// check-in says it.
			key := string(k) // bbolt's bytes are the transaction's
			t.logAfter(func() {
				t.e.log.Error("queue: a booking of a service renamed or taken away cannot be read", "key", key, "err", err)
			})
			return true
		}
		if a == nil {
			return true
		}
		if svc := t.e.byPrefix[t.formerPrefix(a.Service)]; svc != nil {
			moves = append(moves, move{a, svc.ID})
		}
		return true
	})
	for _, m := range moves {
		a, to := m.a, m.to
		t.fail(b.Delete(slotKey(a)))
		from := a.Service
		_, day, hhmm, _ := ParseSlot(a.Slot)
		a.Service, a.Slot = to, to+"/"+day+"/"+hhmm
		t.putAppointment(a, false)
		t.fail(b.Put(slotKey(a), nil))
		t.logAfter(func() {
			t.e.log.Info("queue: a booking of a service renamed goes to the service that prints its prefix now", "appointment", a.ID, "from", from, "to", to, "slot", a.Slot)
		})
	}
}

// pruneAppointments drops the bookings, with their citizens' names, of the
// days before day, the first whose tickets and events are kept (prune).
func (t *txn) pruneAppointments(day string) {
	b := t.tx.Bucket(bucketAppointments)
	if b == nil {
		return
	}
	first := slotPrefix(day)
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.Seek([]byte("s/")); k != nil && strings.HasPrefix(string(k), "s/") && string(k) < string(first); k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		code := slotCode(k)
		if a, err := getAppointment(t.tx, code); err == nil && a != nil {
			t.fail(b.Delete(idKey(a.ID)))
		}
		t.fail(b.Delete(codeKey(code)))
		t.fail(b.Delete(k))
	}
}

// daySlots are the slots of service on day as a booking made now sees
// them: checked bookable, each with what tx holds of its bookings.
func (t *txn) daySlots(tx *bolt.Tx, service, day string) ([]Slot, error) {
	svc := t.e.service(service)
	if svc == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownService, service)
	}
	if err := t.bookable(svc, day); err != nil {
		return nil, err
	}
	slots, err := t.e.slotsOf(svc, day)
	if err != nil {
		return nil, err
	}
	booked, err := dayAppointments(tx, day, service)
	if err != nil {
		return nil, err
	}
	for _, a := range booked {
		for i := range slots {
			// By time, not by name: a slot_min changed since cuts the
			// hours otherwise.
			if a.State != Cancelled && a.Start.Before(slots[i].End) && slots[i].Start.Before(a.End) {
				slots[i].Free--
			}
		}
	}
	return slots, nil
}

// Slots are the times a visit of service may be booked on day, with how
// many visits each still takes: none on a holiday or a day the service is
// closed. It refuses a service that takes no bookings (ErrNotBookable) and
// a day one may not book for now (ErrBadSlot).
func (e *Engine) Slots(ctx context.Context, service, day string) ([]Slot, error) {
	var out []Slot
	err := e.do(ctx, true, func(t *txn) error {
		return e.view(func(tx *bolt.Tx) error {
			slots, err := t.daySlots(tx, service, day)
			for _, s := range slots {
				if s.Start.After(t.now) {
					s.Free = max(s.Free, 0)
					out = append(out, s)
				}
			}
			return err
		})
	})
	return out, err
}

// Book books a visit for slot (as Slots names it) for name, by whom, and
// returns it with its code. It refuses a slot that is full (ErrSlotFull),
// begun, or none of the service's (ErrBadSlot), and a service that takes no
// bookings (ErrNotBookable).
func (e *Engine) Book(ctx context.Context, slot, name, by string) (Appointment, error) {
	var res Appointment
	err := e.do(ctx, false, func(t *txn) error {
		service, day, _, err := ParseSlot(slot)
		if err != nil {
			return err
		}
		slots, err := t.daySlots(t.tx, service, day)
		if err != nil {
			return err
		}
		var s *Slot
		for i := range slots {
			if slots[i].Slot == slot {
				s = &slots[i]
			}
		}
		switch {
		case s == nil:
			return fmt.Errorf("%w: %s is not a time %s may be booked for on %s (appointment.slots lists them)", ErrBadSlot, slot, service, day)
		case !s.Start.After(t.now):
			return fmt.Errorf("%w: %s has begun", ErrBadSlot, slot)
		case s.Free <= 0:
			return fmt.Errorf("%w: %s (%d of %d)", ErrSlotFull, slot, s.Size-s.Free, s.Size)
		}
		code := newCode()
		for {
			a, err := getAppointment(t.tx, code)
			if err != nil {
				return err
			}
			if a == nil {
				break
			}
			code = newCode()
		}
		// Its id is the seq of its event, as a ticket's.
		a := &Appointment{ID: t.st.eventSeq + 1, Code: code, Service: service, Slot: slot, Day: day, Start: s.Start, End: s.End, Name: name, State: Booked, Booked: t.now, By: by}
		t.record(&Event{Type: EvBooked, Appointment: a.public()})
		t.putAppointment(a, true)
		res = *a
		return nil
	})
	return res, err
}

// CancelAppointment cancels the booking with code, for reason: its slot
// takes another visit. Only a booked one may be (*AppointmentError for one
// arrived or cancelled).
func (e *Engine) CancelAppointment(ctx context.Context, code, reason string) (Appointment, error) {
	var res Appointment
	err := e.do(ctx, false, func(t *txn) error {
		a, err := getAppointment(t.tx, code)
		if err != nil {
			return err
		}
		if a == nil {
			return ErrUnknownAppointment
		}
		if a.State != Booked {
			return &AppointmentError{Appointment: *a, Why: string(a.State)}
		}
		a.State, a.Cancelled, a.Reason = Cancelled, t.now, reason
		t.putAppointment(a, false)
		t.record(&Event{Type: EvBookingCancelled, Appointment: a.public(), Reason: reason})
		res = *a
		return nil
	})
	return res, err
}

// AppointmentByCode is the booking with code.
func (e *Engine) AppointmentByCode(ctx context.Context, code string) (Appointment, error) {
	return e.appointment(ctx, func(tx *bolt.Tx) (*Appointment, error) { return getAppointment(tx, code) })
}

// AppointmentOf is the booking with the id (Ticket.Appointment).
func (e *Engine) AppointmentOf(ctx context.Context, id uint64) (Appointment, error) {
	return e.appointment(ctx, func(tx *bolt.Tx) (*Appointment, error) { return appointmentByID(tx, id) })
}

// appointment reads the booking find finds.
func (e *Engine) appointment(ctx context.Context, find func(*bolt.Tx) (*Appointment, error)) (Appointment, error) {
	var res Appointment
	err := e.do(ctx, true, func(t *txn) error {
		return e.view(func(tx *bolt.Tx) error {
			a, err := find(tx)
			if err == nil && a == nil {
				err = ErrUnknownAppointment
			}
			if a != nil {
				res = t.read(*a)
			}
			return err
		})
	})
	return res, err
}

// Upcoming are the bookings still to come: booked, of today and the days
// after, in day order.
func (e *Engine) Upcoming(ctx context.Context) ([]Appointment, error) {
	var out []Appointment
	err := e.do(ctx, true, func(t *txn) error {
		return e.view(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketAppointments)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			for k, _ := c.Seek(slotPrefix(t.st.day)); k != nil && strings.HasPrefix(string(k), "s/"); k, _ = c.Next() {
				a, err := getAppointment(tx, slotCode(k))
				if err != nil {
					return err
				}
				if a == nil {
					continue
				}
				if r := t.read(*a); r.State == Booked && !r.Missed(t.now) {
					out = append(out, r)
				}
			}
			return nil
		})
	})
	return out, err
}

// Appointments are the bookings of day (all services, or service's), in
// slot order, cancelled ones too. A day before those kept (office.stats_days)
// has none.
func (e *Engine) Appointments(ctx context.Context, day, service string) ([]Appointment, error) {
	var out []Appointment
	err := e.do(ctx, true, func(t *txn) error {
		if _, err := time.Parse(dayLayout, day); err != nil {
			return fmt.Errorf("%w: %q is no day (2026-12-09)", ErrBadSlot, day)
		}
		if service != "" && e.service(service) == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		return e.view(func(tx *bolt.Tx) error {
			var err error
			out, err = dayAppointments(tx, day, service)
			for i := range out {
				out[i] = t.read(out[i])
			}
			return err
		})
	})
	return out, err
}

// checkIn is the booking with code, checked for a ticket now: booked, for
// today, and its slot not over.
func (t *txn) checkIn(code string) (*Appointment, *config.Service, error) {
	a, err := getAppointment(t.tx, code)
	if err != nil {
		return nil, nil, err
	}
	if a == nil {
		return nil, nil, ErrUnknownAppointment
	}
	switch {
	case a.State != Booked:
		return nil, nil, &AppointmentError{Appointment: *a, Why: string(a.State)}
	case a.Day != t.st.day:
		return nil, nil, &AppointmentError{Appointment: *a, Why: "other_day"}
	case t.now.After(t.checkInEnd(a)):
		return nil, nil, &AppointmentError{Appointment: *a, Why: "late"}
	}
	svc := t.e.service(a.Service)
	if svc == nil {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownService, a.Service)
	}
	// Its time within the service's hours today, as they are now (a
	// change since the booking, a holiday): else its ticket would be sent
	// home at the closing, never called.
	if !t.e.isOpen(svc, a.Start) {
		return nil, nil, &AppointmentError{Appointment: *a, Why: "hours"}
	}
	return a, svc, nil
}

// checkInEnd is when the check-in of a booking of today closes: the end of
// its slot, later by the time of the air-raid alerts since its start. Its
// citizen was in the shelter then, and may come once the all-clear is
// given, for as long as the slot had left: a slot's length of the
// office's time. Its ticket is called at once, before the walk-ins.
func (t *txn) checkInEnd(a *Appointment) time.Time {
	if a.State != Booked || a.Day != t.st.day {
		return a.End
	}
	return a.End.Add(t.st.shelter.during(a.Start, t.now))
}

// read is a booking as a reader gets it: when its check-in closes too.
func (t *txn) read(a Appointment) Appointment {
	a.until = t.checkInEnd(&a)
	return a
}

// arrived records that the booking's citizen got ticket tk.
func (t *txn) arrived(a *Appointment, tk *Ticket) {
	a.State, a.Arrived, a.Ticket, a.TicketID = Arrived, t.now, tk.Label, tk.ID
	t.putAppointment(a, false)
}

// cancelUnsaid cancels the booking with the id, still booked, of a commit
// reported failed that the file holds (landed): nobody was given its code,
// and it would keep its place in the slot.
func (t *txn) cancelUnsaid(id uint64) error {
	a, err := appointmentByID(t.tx, id)
	if err != nil || a == nil || a.State != Booked {
		return err
	}
	a.State, a.Cancelled, a.Reason = Cancelled, t.now, "not booked: the store failed to save it, and its code was given to nobody"
	t.putAppointment(a, false)
	t.record(&Event{Type: EvBookingCancelled, Appointment: a.public(), Reason: a.Reason})
	return nil
}

// unarrive puts the booking of a ticket voided (its print failed) back as
// booked: its citizen scans the code again.
func (t *txn) unarrive(tk *Ticket) {
	if tk.Appointment == 0 {
		return
	}
	a, err := appointmentByID(t.tx, tk.Appointment)
	if err != nil || a == nil || a.TicketID != tk.ID {
		t.fail(err)
		return
	}
	a.State, a.Arrived, a.Ticket, a.TicketID = Booked, time.Time{}, "", 0
	t.putAppointment(a, false)
}

var (
	// ErrNotBookable is returned for a service whose visits are not
	// booked ahead (no services[].booking).
	ErrNotBookable = errors.New("queue: the service takes no bookings (services[].booking)")
	// ErrBadSlot is returned by Slots and Book for a slot or a day that
	// cannot be booked: no such time of the service, begun, or a day
	// out of reach.
	ErrBadSlot = errors.New("queue: no slot to book")
	// ErrSlotFull is returned by Book for a slot booked booking.per_slot
	// times already.
	ErrSlotFull = errors.New("queue: the slot is fully booked")
	// ErrUnknownAppointment is returned for a code no booking has (or one
	// of a day no longer kept). It does not quote the code: errors are
	// logged.
	ErrUnknownAppointment = errors.New("queue: no appointment has that code")
)

// AppointmentError is a booking that cannot be checked in or cancelled:
// Why is "arrived", "cancelled", "other_day" (for a day not today), "late"
// (its slot is over) or "hours" (its time is outside the service's hours
// as they are now).
type AppointmentError struct {
	Appointment Appointment
	Why         string
}

// Error names the booking by its id, not its code: errors are logged.
func (e *AppointmentError) Error() string {
	a := e.Appointment
	switch e.Why {
	case "arrived":
		return fmt.Sprintf("queue: appointment %d was checked in already: ticket %s", a.ID, a.Ticket)
	case "cancelled":
		return fmt.Sprintf("queue: appointment %d was cancelled", a.ID)
	case "other_day":
		return fmt.Sprintf("queue: appointment %d is for %s", a.ID, a.Day)
	case "hours":
		return fmt.Sprintf("queue: appointment %d at %s is outside the service's hours now", a.ID, a.Start.Format("15:04"))
	}
	return fmt.Sprintf("queue: appointment %d was for %s, which is over", a.ID, a.Start.Format("15:04"))
}
