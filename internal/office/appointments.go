package office

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/queue"
)

// The administrator's operations on visits booked ahead: a booking site,
// the phone line's operator or the reception books a slot
// (appointment.slots, appointment.book) and tells the citizen its code;
// the citizen scans it at a kiosk on the day (kiosk.go, checkIn).

// adminAppointmentSlots is appointment.slots: the times of a day a visit of
// a service may be booked for, with how many visits each still takes.
func adminAppointmentSlots(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Service string `json:"service"`
		Day     string `json:"day"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Service == "" {
		return nil, badArg("service", "service is required: the service whose slots to list")
	}
	if a.Day == "" {
		return nil, badArg("day", "day is required: the day whose slots to list (2026-12-09)")
	}
	if err := checkDay(a.Day); err != nil {
		return nil, err
	}
	slots, err := o.eng.Slots(ctx, a.Service, a.Day)
	if err != nil {
		err = appointmentError(err)
		if ae := (*AdminError)(nil); errors.As(err, &ae) && ae.Field == "slot" {
			ae.Field = "day" // the slots of a day one may not book
		}
		return nil, err
	}
	for i := range slots {
		slots[i].Start, slots[i].End = o.local(slots[i].Start), o.local(slots[i].End)
	}
	return map[string]any{"service": a.Service, "day": a.Day, "slots": nonNil(slots)}, nil
}

// maxNameLen bounds a booking's name: a person's name, not a document.
const maxNameLen = 100

// adminAppointmentBook is appointment.book: a visit booked for a slot, and
// the code its citizen scans on the day.
func adminAppointmentBook(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Slot   string `json:"slot"`
		Name   string `json:"name"`
		Author string `json:"author"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Slot == "" {
		return nil, badArg("slot", "slot is required: one of appointment.slots' (pension/2026-12-09/10:00)")
	}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		return nil, badArg("name", "name is required: whom the visit is for, as the reception will ask it")
	}
	if utf8.RuneCountInString(a.Name) > maxNameLen {
		return nil, badArg("name", "name is at most %d characters", maxNameLen)
	}
	for field, s := range map[string]string{"name": a.Name, "author": a.Author} {
		if err := checkText(field, s); err != nil {
			return nil, err
		}
	}
	booked, err := o.eng.Book(ctx, a.Slot, a.Name, a.Author)
	if err != nil {
		err = appointmentError(err)
		if ae := (*AdminError)(nil); errors.As(err, &ae) && ae.Field == "service" {
			ae.Field = "slot" // the service is the slot's
		}
		return nil, err
	}
	return o.localAppointment(booked), nil
}

// adminAppointmentCancel is appointment.cancel: a booking cancelled by its
// code; its place in the slot is free again.
func adminAppointmentCancel(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Code == "" {
		return nil, badArg("code", "code is required: the booking's code, as appointment.book gave it")
	}
	if err := checkText("reason", a.Reason); err != nil {
		return nil, err
	}
	c, err := o.eng.CancelAppointment(ctx, device.CanonCode(a.Code), a.Reason)
	if err != nil {
		return nil, appointmentError(err)
	}
	return o.localAppointment(c), nil
}

// adminAppointmentList is appointment.list: a day's bookings, with their
// codes and names (so it is no read operation: {root}/read/req does not
// serve it to a dashboard).
func adminAppointmentList(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var a struct {
		Day     string `json:"day"`
		Service string `json:"service"`
		Code    string `json:"code"`
	}
	if err := decodeArgs(args, &a); err != nil {
		return nil, err
	}
	if a.Code != "" {
		if a.Day != "" || a.Service != "" {
			return nil, badArg("code", "give code alone, or day with an optional service")
		}
		b, err := o.eng.AppointmentByCode(ctx, device.CanonCode(a.Code))
		if err != nil {
			return nil, appointmentError(err)
		}
		return map[string]any{"appointments": []appointmentView{o.localAppointment(b)}}, nil
	}
	if a.Day == "" {
		return nil, badArg("day", "day is required (2026-12-09), or a code")
	}
	if err := checkDay(a.Day); err != nil {
		return nil, err
	}
	list, err := o.eng.Appointments(ctx, a.Day, a.Service)
	if err != nil {
		return nil, appointmentError(err)
	}
	out := make([]appointmentView, len(list))
	for i, b := range list {
		out[i] = o.localAppointment(b)
	}
	return map[string]any{"appointments": out}, nil
}

// appointmentView is a booking as the administrator reads it: Missed says
// its citizen did not check in while they could.
type appointmentView struct {
	queue.Appointment
	Missed bool `json:"missed,omitempty"`
}

// localAppointment is a as the administrator reads it, its times in the
// office's time zone.
func (o *Office) localAppointment(a queue.Appointment) appointmentView {
	return appointmentView{Appointment: o.localTimes(a), Missed: a.Missed(o.clock())}
}

// localTimes is a with its times in the office's time zone.
func (o *Office) localTimes(a queue.Appointment) queue.Appointment {
	a.Start, a.End, a.Booked = o.local(a.Start), o.local(a.End), o.local(a.Booked)
	a.Arrived, a.Cancelled = o.local(a.Arrived), o.local(a.Cancelled)
	return a
}

// appointmentError is the administrator's error for a queue's refusal of
// a booking.
func appointmentError(err error) error {
	var ae *queue.AppointmentError
	switch {
	case errors.Is(err, queue.ErrUnknownService):
		return &AdminError{Code: CodeNotFound, Field: "service", Message: err.Error()}
	case errors.Is(err, queue.ErrNotBookable):
		return &AdminError{Code: CodeRefused, Field: "service", Message: err.Error()}
	case errors.Is(err, queue.ErrBadSlot):
		return &AdminError{Code: CodeRefused, Field: "slot", Message: err.Error()}
	case errors.Is(err, queue.ErrSlotFull):
		return &AdminError{Code: CodeRefused, Field: "slot", Message: err.Error() + ": appointment.slots lists those with room"}
	case errors.Is(err, queue.ErrUnknownAppointment):
		return &AdminError{Code: CodeNotFound, Field: "code", Message: err.Error()}
	case errors.As(err, &ae):
		return &AdminError{Code: CodeRefused, Field: "code", Message: err.Error()}
	}
	return err
}

// bookingWarnings says which bookings still to come the configuration
// running leaves outside their service's hours (a change of hours, a
// holiday) or without their service: their citizens would be refused at
// the kiosk. Said in config.set's answer, not refused: the administrator
// tells them, or cancels the bookings.
func (o *Office) bookingWarnings(ctx context.Context) []string {
	ups, err := o.eng.Upcoming(ctx)
	if err != nil {
		return nil
	}
	cfg := o.conf()
	var broken []string
	for _, a := range ups {
		start := a.Start.In(o.loc)
		if svc := cfg.Service(a.Service); svc != nil && cfg.OpenAt(svc, start) {
			continue
		}
		broken = append(broken, a.Service+" "+start.Format("2006-01-02 15:04"))
	}
	if len(broken) == 0 {
		return nil
	}
	what := fmt.Sprintf("%d booked visits to come fall", len(broken))
	if len(broken) == 1 {
		what = "1 booked visit to come falls"
	}
	return []string{fmt.Sprintf("%s outside their service's hours now, or their service is gone: %s; their citizens would be refused at the kiosk: tell them, or cancel the bookings (appointment.list day=…, appointment.cancel)",
		what, strings.Join(broken[:min(len(broken), 10)], ", "))}
}

// nonNil is s, or an empty slice for nil: JSON [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// checkIn gives the citizen who scanned a booking's code the ticket of
// their visit, printed as a press of its service prints one (serve), or
// says why not. A code no booking has goes to the events
// (appointment.scanned) for a booking system outside the office that may
// know it.
func (k *kiosk) checkIn(ctx context.Context, r *ScanResult, s device.Scan) {
	code := device.CanonCode(s.Code)
	var a queue.Appointment
	var err error
	k.waitStore(func() { a, err = k.o.eng.AppointmentByCode(ctx, code) })
	switch {
	case errors.Is(err, queue.ErrUnknownAppointment):
		k.unknownCode(ctx, s.Code)
		r.Reason, r.Message = "not_found", msgNoAppointment
		return
	case err != nil:
		k.o.log.Error("office: an appointment code scanned could not be looked up", "kiosk", k.cfg.ID, "err", err)
		r.Reason, r.Message = "error", "Не вдалося перевірити запис. Будь ласка, відскануйте код ще раз або зверніться до працівника офісу. / The appointment could not be checked. Please scan the code again or ask a member of staff."
		return
	}
	if a.State == queue.Arrived && k.o.clock().Sub(a.Arrived) < scanActEvery {
		// Held up again a moment after its check-in (a scanner reads a
		// code again and again): the same answer, and nothing more.
		r.OK, r.Ticket, r.Service, r.EtaMin = true, a.Ticket, a.Service, -1
		r.Message = bookedMessage(a.Ticket, a.Start.In(k.o.loc), k.o.clock())
		return
	}
	now := time.Now()
	res := k.serve(ctx, press{service: a.Service, source: "scanner", at: now, storedBefore: k.stored.read(now), appointment: code})
	r.OK, r.Ticket, r.Service, r.Reason, r.Message = res.OK, res.Ticket, a.Service, res.Reason, res.Message
	k.o.log.Info("kiosk: a booking's code scanned", "kiosk", k.cfg.ID, "appointment", a.ID, "ok", res.OK, "ticket", res.Ticket, "reason", res.Reason)
	if res.OK {
		r.State, r.EtaMin, r.Printed = string(queue.Waiting), res.EtaMin, k.spec != "none" && res.Reason == ""
		k.beep(1)
		k.light(ctx)
	}
}

// unknownCode records a code that no booking of the office has in the
// events (appointment.scanned), once a minute per code: a scanner reads a
// code held up to it again and again.
func (k *kiosk) unknownCode(ctx context.Context, code string) {
	now, key := time.Now(), "code "+code
	if k.actedOn(key, now) {
		return
	}
	if err := k.record(context.WithoutCancel(ctx), func(ctx context.Context) error { return k.o.eng.Appointment(ctx, k.cfg.ID, code) }); err != nil {
		k.o.log.Error("office: an appointment code scanned is not recorded", "kiosk", k.cfg.ID, "err", err)
		return
	}
	k.acted[key] = now
}

const msgNoAppointment = "Запис за цим кодом не знайдено. Будь ласка, візьміть талон або зверніться до працівника офісу. / No appointment was found for this code. Please take a ticket or ask a member of staff."

// bookedMessage is the kiosk's answer to a booked citizen's check-in.
func bookedMessage(label string, start, now time.Time) string {
	at := start.Format("15:04")
	if start.After(now) {
		return "Ваш талон: " + label + ". Запис на " + at + ": вас викличуть у цей час. / Your ticket: " + englishLabel(label) + ". Appointment at " + at + ": you will be called at that time."
	}
	return "Ваш талон: " + label + ". Запис на " + at + ": вас викличуть найближчим часом. / Your ticket: " + englishLabel(label) + ". Appointment at " + at + ": you will be called shortly."
}

// appointmentRefusal says why a booking's code gives no ticket now.
func appointmentRefusal(e *queue.AppointmentError, now time.Time, loc *time.Location) string {
	a := e.Appointment
	when := a.Start.In(loc).Format("02.01.2006 ") + at(a.Start.In(loc)) + a.Start.In(loc).Format(" 15:04")
	whenEN := a.Start.In(loc).Format("02.01.2006 at 15:04")
	switch e.Why {
	case "arrived":
		return "За цим записом талон уже видано: " + a.Ticket + ". / A ticket has already been issued for this appointment: " + englishLabel(a.Ticket) + "."
	case "cancelled":
		return "Цей запис скасовано. Будь ласка, візьміть звичайний талон. / This appointment was cancelled. Please take a regular ticket."
	case "hours":
		return "Час вашого запису (" + a.Start.In(loc).Format("15:04") + ") тепер поза годинами прийому цієї послуги. Будь ласка, зверніться до працівника офісу. / Your appointment time (" + a.Start.In(loc).Format("15:04") + ") is now outside this service's hours. Please ask a member of staff."
	case "other_day":
		if a.Start.After(now) {
			return "Ваш запис — на " + when + ". Будь ласка, приходьте в цей день. / Your appointment is on " + whenEN + ". Please come on that day."
		}
		return "Ваш запис був на " + when + ". Будь ласка, візьміть звичайний талон. / Your appointment was on " + whenEN + ". Please take a regular ticket."
	}
	span := a.Start.In(loc).Format("15:04") + "–" + a.End.In(loc).Format("15:04")
	return "Час вашого запису (" + span + ") минув. Будь ласка, візьміть звичайний талон. / Your appointment time (" + span + ") has passed. Please take a regular ticket."
}
