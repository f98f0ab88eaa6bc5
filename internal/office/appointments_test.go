package office_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
	"github.com/cherga/cherga/sim"
)

// adminOver sends an administrator's request over the rig's broker and
// returns its answer.
func (r *kioskRig) adminOver(topic, id, op string, args any) office.AdminResponse {
	r.t.Helper()
	b, err := json.Marshal(map[string]any{"id": id, "op": op, "args": args})
	require.NoError(r.t, err)
	res := r.root + "/" + topic + "/res/" + id
	n := r.count(res)
	require.NoError(r.t, r.bus.Publish(r.root+"/"+topic+"/req", b, false))
	var ans office.AdminResponse
	require.NoError(r.t, json.Unmarshal(r.after(res, n, func(sim.Message) bool { return true }).Payload, &ans))
	return ans
}

// bookingKiosk is a kiosk with a scanner, of an office whose pension
// fund is booked in 20-minute slots up to a week ahead, its clock at at.
func bookingKiosk(t *testing.T, at time.Time) (*kioskRig, *sim.Scanner, *queuetest.Clock) {
	t.Helper()
	sc := startScanner(t)
	clk := queuetest.NewClock(at)
	r := startKiosk(t, rigOpts{
		now:    clk.Now,
		kiosk:  func(k *config.Kiosk) { k.Scanner = "serial:" + sc.Path() },
		config: func(c *config.Config) { c.Services[1].Booking = &config.Booking{SlotMin: 20, DaysAhead: 7} },
	})
	return r, sc, clk
}

// book books slot for name over MQTT (appointment.book).
func (r *kioskRig) book(slot, name string) queue.Appointment {
	r.t.Helper()
	res := r.adminOver("admin", "b"+strconv.FormatInt(time.Now().UnixNano(), 36), "appointment.book", map[string]string{"slot": slot, "name": name})
	require.True(r.t, res.OK, "%+v", res.Error)
	raw, err := json.Marshal(res.Result)
	require.NoError(r.t, err)
	var a queue.Appointment
	require.NoError(r.t, json.Unmarshal(raw, &a))
	return a
}

// A booking website's account has a door of its own, {root}/book/req: it
// books, cancels by code and reads the free slots, and does nothing else.
func TestBookingDoor(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	r, _, _ := bookingKiosk(t, time.Date(2026, 12, 8, 15, 0, 0, 0, kyiv))
	slots := r.adminOver("book", "s1", "appointment.slots", map[string]string{"service": "pension", "day": "2026-12-09"})
	require.True(t, slots.OK, "%+v", slots.Error)
	book := r.adminOver("book", "b1", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:00", "name": "Олена Петренко", "author": "website"})
	require.True(t, book.OK, "%+v", book.Error)
	again := r.adminOver("book", "b1", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:00", "name": "Олена Петренко", "author": "website"})
	require.True(t, again.Again, "delivered again: answered again")
	var booked queue.Appointment
	raw, err := json.Marshal(book.Result)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &booked))
	cancel := r.adminOver("book", "c1", "appointment.cancel", map[string]string{"code": booked.Code})
	require.True(t, cancel.OK, "%+v", cancel.Error)

	for op, args := range map[string]any{
		"appointment.list": map[string]string{"day": "2026-12-09"}, // names and codes
		"office.pause":     map[string]string{"reason": "x"},
		"config.set":       map[string]any{"patch": map[string]any{}},
		"stats.get":        map[string]string{},
	} {
		ans := r.adminOver("book", "f", op, args)
		require.False(t, ans.OK, op)
		require.Equal(t, "forbidden", ans.Error.Code, op)
		require.Contains(t, ans.Error.Message, "it is served on "+r.root+"/admin/req, not "+r.root+"/book/req (chergactl: without -book)", op)
	}
	unknown := r.adminOver("book", "u", "nope", map[string]string{})
	require.Equal(t, "unknown operation \"nope\"; the operations: appointment.book, appointment.cancel, appointment.slots", unknown.Error.Message)
	require.Equal(t, 2, r.count(r.root+"/book/res/b1"), "answered on its door, twice")
	require.Zero(t, r.count(r.root+"/admin/res/b1"))

	// Another request is made each time it comes, under one id too: an
	// automation pauses the office at every air-raid alert.
	for _, op := range []string{"office.pause", "office.resume", "office.pause"} {
		id := map[string]string{"office.pause": "alert", "office.resume": "clear"}[op]
		ans := r.adminOver("admin", id, op, map[string]string{"reason": "повітряна тривога"})
		require.True(t, ans.OK, "%s: %+v", op, ans.Error)
		require.False(t, ans.Again, op)
	}
	st := r.adminOver("read", "st", "office.state", map[string]string{})
	raw, err = json.Marshal(st.Result)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"reason":"повітряна тривога"`, "paused again")

	// One whose id cannot be answered is reported on {root}/errors, which
	// dashboards read: without the citizen's name.
	n := r.count(r.root + "/errors")
	require.NoError(t, r.bus.Publish(r.root+"/book/req", []byte(`{"id":"a/b","op":"appointment.book","args":{"slot":"pension/2026-12-09/10:20","name":"Олена Петренко"}}`), false))
	report := string(r.after(r.root+"/errors", n, func(sim.Message) bool { return true }).Payload)
	require.Contains(t, report, `"source":"book"`)
	require.Contains(t, report, `name`)
	require.Contains(t, report, `…`)
	require.NotContains(t, report, "Петренко")
}

// A visit booked ahead over MQTT (appointment.slots, .book, .list,
// .cancel), and its citizen's check-in at the kiosk's scanner on the day:
// a printed ticket that says its time, called at that time before the
// queue.
func TestAppointmentCheckIn(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	r, sc, clk := bookingKiosk(t, time.Date(2026, 12, 8, 15, 0, 0, 0, kyiv)) // a Tuesday
	slots := r.adminOver("read", "s1", "appointment.slots", map[string]string{"service": "pension", "day": "2026-12-09"})
	require.True(t, slots.OK, "%+v", slots.Error)
	raw, err := json.Marshal(slots.Result)
	require.NoError(t, err)
	var got struct {
		Slots []queue.Slot `json:"slots"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Len(t, got.Slots, 72, "round the clock, 20 minutes each")
	require.Equal(t, "pension/2026-12-09/10:00", got.Slots[30].Slot)
	require.Contains(t, string(raw), `"start":"2026-12-09T10:00:00+02:00"`, "in the office's time")

	book := r.adminOver("admin", "b1", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:00", "name": "Олена Петренко", "author": "phone line"})
	require.True(t, book.OK, "%+v", book.Error)
	raw, err = json.Marshal(book.Result)
	require.NoError(t, err)
	var booked queue.Appointment
	require.NoError(t, json.Unmarshal(raw, &booked))
	require.Len(t, booked.Code, queue.CodeLen)
	require.Equal(t, "booked", string(booked.State))
	// Delivered again (a website's paho sends it again after a drop):
	// answered again, not booked twice.
	twice := r.adminOver("admin", "b1", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:00", "name": "Олена Петренко", "author": "phone line"})
	require.True(t, twice.OK, "%+v", twice.Error)
	require.True(t, twice.Again)
	raw2, err := json.Marshal(twice.Result)
	require.NoError(t, err)
	require.JSONEq(t, string(raw), string(raw2), "the first answer")

	// Refusals name what is wrong.
	for _, c := range []struct {
		topic, op string
		args      map[string]string
		code      string
		field     string
	}{
		{"admin", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:00", "name": "x"}, "refused", "slot"}, // full: one a slot
		{"admin", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:05", "name": "x"}, "refused", "slot"},
		{"admin", "appointment.book", map[string]string{"slot": "social/2026-12-09/10:00", "name": "x"}, "refused", "slot"},
		{"admin", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:20"}, "bad_request", "name"},
		{"admin", "appointment.book", map[string]string{"slot": "pension/2026-12-09/10:20", "name": "a\u202eb"}, "bad_request", "name"},
		{"admin", "appointment.cancel", map[string]string{"code": "ZZZZ2222"}, "not_found", "code"},
		{"read", "appointment.slots", map[string]string{"service": "pension", "day": "2026-12-20"}, "refused", "day"},
		{"read", "appointment.list", map[string]string{"day": "2026-12-09"}, "forbidden", "op"}, // names and codes
	} {
		ans := r.adminOver(c.topic, "e", c.op, c.args)
		require.False(t, ans.OK, "%v", c)
		require.Equal(t, c.code, ans.Error.Code, "%v: %+v", c, ans.Error)
		require.Equal(t, c.field, ans.Error.Field, "%v: %+v", c, ans.Error)
	}
	// The journal names no citizen, nor a code (the refusals above are
	// logged with their args).
	require.Contains(t, r.log.String(), `\"name\":\"…\"`)
	require.NotContains(t, r.log.String(), `ZZZZ2222`)
	list := r.adminOver("admin", "l1", "appointment.list", map[string]string{"day": "2026-12-09"})
	require.True(t, list.OK)
	raw, _ = json.Marshal(list.Result)
	require.Contains(t, string(raw), `"name":"Олена Петренко"`)
	require.Contains(t, string(raw), booked.Code)
	require.Equal(t, 1, strings.Count(string(raw), `"name":"Олена Петренко"`), "booked once")

	scan := func(code string) office.ScanResult { t.Helper(); return r.scan(sc, code) }
	// The day before: come on the day.
	sr := scan(booked.Code)
	require.Equal(t, "appointment", sr.Kind)
	require.False(t, sr.OK)
	require.Equal(t, "other_day", sr.Reason)
	require.Equal(t, "Ваш запис — на 09.12.2026 о 10:00. Будь ласка, приходьте в цей день. Пояснення надруковано. / Your appointment is on 09.12.2026 at 10:00. Please come on that day. A note saying so has been printed.", sr.Message)
	require.True(t, sr.Printed, "a kiosk without a screen prints why")
	note := strings.Join(strings.Fields(r.notice(r.sp).String()), " ")
	require.Contains(t, note, "ЗАПИС / APPOINTMENT Ваш запис — на 09.12.2026 о 10:00. Будь ласка, приходьте в цей день. Your appointment is on 09.12.2026 at 10:00. Please come on that day. 08.12.2026 15:00")
	require.Empty(t, r.tickets())
	again := scan(booked.Code)
	require.False(t, again.Printed, "once a minute")

	// On the day, early: a ticket, printed, called at 10:00.
	clk.Set(time.Date(2026, 12, 9, 9, 40, 0, 0, kyiv))
	walkIn := r.prints(r.sp) // a walk-in of social, before
	require.True(t, walkIn.OK)
	sr = scan(strings.ToLower(booked.Code[:4] + "-" + booked.Code[4:])) // as a booking site may show it
	require.True(t, sr.OK, "%+v", sr)
	require.True(t, sr.Printed)
	require.Equal(t, "П001", sr.Ticket)
	require.Equal(t, "Ваш талон: П001. Запис на 10:00: вас викличуть у цей час. / Your ticket: P001. Appointment at 10:00: you will be called at that time.", sr.Message)
	require.Equal(t, 20, sr.EtaMin, "called at 10:00")
	doc := r.cut(r.sp, "П001")
	require.Contains(t, strings.ReplaceAll(doc.String(), "\n", " "), "ЗА ЗАПИСОМ НА 10:00 / APPOINTMENT AT 10:00")
	require.NotContains(t, doc.String(), "Олена", "the name is never printed")
	require.NotContains(t, doc.String(), "Перед вами")

	// Its copy (ticket.reprint) says its time too, not «ПОЗАЧЕРГОВИЙ».
	rp := r.adminOver("admin", "r1", "ticket.reprint", map[string]string{"ticket": "П001"})
	require.True(t, rp.OK, "%+v", rp.Error)
	doc = r.cut(r.sp, "П001")
	require.Contains(t, strings.ReplaceAll(doc.String(), "\n", " "), "ЗА ЗАПИСОМ НА 10:00")
	require.NotContains(t, doc.String(), "ПОЗАЧЕРГОВИЙ")

	again = scan(booked.Code)
	require.True(t, again.OK, "held up again at once: the same answer")
	require.False(t, again.Printed)
	require.Equal(t, "П001", again.Ticket)
	clk.Set(time.Date(2026, 12, 9, 9, 42, 0, 0, kyiv))
	again = scan(booked.Code)
	require.False(t, again.OK)
	require.Equal(t, "arrived", again.Reason)
	require.Contains(t, again.Message, "П001")
	require.Len(t, r.tickets(), 2, "one ticket for one booking")

	// The booked ticket is not called before its time, then before the
	// walk-ins of its service.
	_, err = r.o.Engine().Issue(r.ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)
	res, err := r.o.Engine().Counter(r.ctx, "10", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, "П002", res.Ticket.Label)
	clk.Set(time.Date(2026, 12, 9, 10, 0, 0, 0, kyiv))
	res, err = r.o.Engine().Counter(r.ctx, "11", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, "П001", res.Ticket.Label)

	// The events tell a dashboard of the booking, not its code or name.
	evs, err := r.o.Engine().Replay(0, 1000)
	require.NoError(t, err)
	var kinds []string
	for _, ev := range evs {
		b, _ := json.Marshal(ev)
		require.NotContains(t, string(b), booked.Code)
		require.NotContains(t, string(b), "Олена")
		if ev.Ticket != nil && ev.Ticket.Appointment != 0 || ev.Appointment != nil {
			kinds = append(kinds, ev.Type)
		}
	}
	require.Equal(t, []string{queue.EvBooked, queue.EvIssued, queue.EvReprinted, queue.EvCalled}, kinds)

	// Cancelled: its slot is free again; a second cancel is refused.
	b2 := r.book("pension/2026-12-10/11:00", "Іван")
	cancel := r.adminOver("admin", "c1", "appointment.cancel", map[string]string{"code": b2.Code, "reason": "called to say"})
	require.True(t, cancel.OK, "%+v", cancel.Error)
	cancel = r.adminOver("admin", "c2", "appointment.cancel", map[string]string{"code": b2.Code})
	require.False(t, cancel.OK)
	require.Equal(t, "refused", cancel.Error.Code)
	sr = scan(b2.Code)
	require.Equal(t, "cancelled", sr.Reason)
	require.Equal(t, "Цей запис скасовано. Будь ласка, візьміть звичайний талон. Пояснення надруковано. / This appointment was cancelled. Please take a regular ticket. A note saying so has been printed.", sr.Message)

	// Booked for 11:00: «об 11:00».
	b3 := r.book("pension/2026-12-10/11:00", "Іван")
	require.Contains(t, scan(b3.Code).Message, "Ваш запис — на 10.12.2026 об 11:00.")

	// A holiday on a booked day is set, and the answer says whose
	// bookings it breaks.
	set := r.adminOver("admin", "h1", "config.set", map[string]any{"patch": map[string]any{"office": map[string]any{"holidays": []string{"2026-12-10"}}}})
	require.True(t, set.OK, "%+v", set.Error)
	raw, _ = json.Marshal(set.Result)
	require.Contains(t, string(raw), "1 booked visit to come falls outside their service's hours now, or their service is gone: pension 2026-12-10 11:00")
}

// An air-raid alert during a booked visit's slot: its scan in the alert
// says the booking is kept, and after the all-clear the check-in gives
// its ticket, though the slot is over.
func TestAppointmentAlert(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	r, sc, clk := bookingKiosk(t, time.Date(2026, 12, 9, 9, 50, 0, 0, kyiv)) // a Wednesday
	booked := r.book("pension/2026-12-09/10:00", "Олена")

	pause := r.adminOver("admin", "p1", "office.pause", map[string]string{"reason": "повітряна тривога"})
	require.True(t, pause.OK, "%+v", pause.Error)
	clk.Set(time.Date(2026, 12, 9, 10, 30, 0, 0, kyiv))
	sr := r.scan(sc, booked.Code)
	require.False(t, sr.OK)
	require.Equal(t, "paused", sr.Reason)
	require.Contains(t, sr.Message, "Ваш запис збережено: після відбою тривоги відскануйте код ще раз.")
	require.Contains(t, sr.Message, "Your appointment is kept")

	resume := r.adminOver("admin", "p2", "office.resume", map[string]string{"reason": "відбій тривоги"})
	require.True(t, resume.OK, "%+v", resume.Error)
	list := r.adminOver("admin", "l1", "appointment.list", map[string]string{"day": "2026-12-09"})
	require.True(t, list.OK, "%+v", list.Error)
	raw, err := json.Marshal(list.Result)
	require.NoError(t, err)
	require.NotContains(t, string(raw), `"missed"`, "its 20 minutes are after the all-clear now")
	clk.Set(time.Date(2026, 12, 9, 10, 45, 0, 0, kyiv))
	sr = r.scan(sc, booked.Code)
	require.True(t, sr.OK, "%+v", sr)
	require.Equal(t, "П001", sr.Ticket)
}
