package queue_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// bookingOffice is the default office whose pension fund, on Wednesdays
// 10:00-15:00, takes bookings of half-hour slots, two visits each.
func bookingOffice() *config.Config {
	cfg := firmwareconfig.Default()
	cfg.Services[1].Hours = map[string]string{"wed": "10:00-15:00"}
	cfg.Services[1].Booking = &config.Booking{SlotMin: 30, PerSlot: 2, DaysAhead: 14}
	cfg.Office.Holidays = []string{"2026-12-02"}
	return cfg
}

// bookingEngine opens an engine on bookingOffice, as edit changes it, its
// clock at at.
func bookingEngine(t *testing.T, at time.Time, edit ...func(*config.Config)) (*queue.Engine, *queuetest.Clock) {
	t.Helper()
	cfg := bookingOffice()
	for _, f := range edit {
		f(cfg)
	}
	clk := queuetest.NewClock(at)
	return queuetest.Open(t, cfg, &queue.Opts{Now: clk.Now}), clk
}

// A visit booked ahead: the slots of a day, a slot filled, a booking
// cancelled, and refusals for what cannot be booked.
func TestBookSlots(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 23, 9, 30, 0, 0, kyiv)) // a Monday
	ctx := context.Background()

	slots, err := e.Slots(ctx, "pension", "2026-11-23")
	require.NoError(t, err)
	require.Empty(t, slots, "closed on Mondays")
	slots, err = e.Slots(ctx, "pension", "2026-12-02")
	require.NoError(t, err)
	require.Empty(t, slots, "a holiday")
	slots, err = e.Slots(ctx, "pension", "2026-11-25")
	require.NoError(t, err)
	require.Len(t, slots, 10, "10:00 to 14:30, the last ending at closing")
	require.Equal(t, queue.Slot{Slot: "pension/2026-11-25/10:00", Start: time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), End: time.Date(2026, 11, 25, 10, 30, 0, 0, kyiv), Free: 2, Size: 2}, slots[0])
	require.Equal(t, "pension/2026-11-25/14:30", slots[9].Slot)

	_, err = e.Slots(ctx, "social", "2026-11-25")
	require.ErrorIs(t, err, queue.ErrNotBookable)
	for _, day := range []string{"2026-11-22", "2026-12-08", "25.11.2026"} {
		_, err = e.Slots(ctx, "pension", day)
		require.ErrorIs(t, err, queue.ErrBadSlot, day)
	}
	_, err = e.Slots(ctx, "nope", "2026-11-25")
	require.ErrorIs(t, err, queue.ErrUnknownService)

	a, err := e.Book(ctx, "pension/2026-11-25/10:00", "Олена Петренко", "reception")
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^[A-HJ-NP-Z2-9]{8}$`), a.Code)
	require.Equal(t, queue.Booked, a.State)
	require.Equal(t, "Олена Петренко", a.Name)
	require.True(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv).Equal(a.Start))
	b, err := e.Book(ctx, "pension/2026-11-25/10:00", "Іван", "")
	require.NoError(t, err)
	require.NotEqual(t, a.Code, b.Code)
	require.NotEqual(t, a.ID, b.ID)
	_, err = e.Book(ctx, "pension/2026-11-25/10:00", "Третій", "")
	require.ErrorIs(t, err, queue.ErrSlotFull)
	for _, slot := range []string{"pension/2026-11-25/10:15", "pension/2026-11-25/15:00", "pension/2026-11-23/10:00", "pension/2026-11-25", "social/2026-11-25/10:00"} {
		_, err = e.Book(ctx, slot, "x", "")
		require.Error(t, err, slot)
	}
	slots, err = e.Slots(ctx, "pension", "2026-11-25")
	require.NoError(t, err)
	require.Equal(t, 0, slots[0].Free)
	require.Equal(t, 2, slots[1].Free)

	c, err := e.CancelAppointment(ctx, b.Code, "called to say")
	require.NoError(t, err)
	require.Equal(t, queue.Cancelled, c.State)
	_, err = e.CancelAppointment(ctx, b.Code, "")
	var ae *queue.AppointmentError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "cancelled", ae.Why)
	_, err = e.CancelAppointment(ctx, "NOSUCH23", "")
	require.ErrorIs(t, err, queue.ErrUnknownAppointment)
	slots, err = e.Slots(ctx, "pension", "2026-11-25")
	require.NoError(t, err)
	require.Equal(t, 1, slots[0].Free, "a cancelled booking frees its place")

	list, err := e.Appointments(ctx, "2026-11-25", "")
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, []queue.AppointmentState{queue.Booked, queue.Cancelled}, []queue.AppointmentState{list[0].State, list[1].State})

	// The events say what was booked and cancelled, not for whom nor by
	// what code.
	evs, err := e.Replay(1, 100)
	require.NoError(t, err)
	var types []string
	for _, ev := range evs {
		if ev.Appointment == nil {
			continue // the day's start
		}
		types = append(types, ev.Type)
		raw, err := json.Marshal(ev)
		require.NoError(t, err)
		require.NotContains(t, string(raw), a.Code)
		require.NotContains(t, string(raw), "Олена")
	}
	require.Equal(t, []string{queue.EvBooked, queue.EvBooked, queue.EvBookingCancelled}, types)
	require.Equal(t, a.ID, evs[1].Appointment.ID)
	require.Equal(t, "pension/2026-11-25/10:00", evs[1].Appointment.Slot)
}

// The night daylight saving begins, 03:00 to 04:00 does not happen in
// Kyiv: no slot starts then, and none is two slots at once.
func TestBookSlotsDST(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2027, 3, 26, 12, 0, 0, 0, kyiv), func(cfg *config.Config) {
		cfg.Services[1].Hours = map[string]string{"sun": "00:00-24:00"}
		cfg.Services[1].Booking.SlotMin = 30
	})
	slots, err := e.Slots(context.Background(), "pension", "2027-03-28")
	require.NoError(t, err)
	require.Len(t, slots, 46, "48 half hours, less the two the clocks skip")
	starts := map[time.Time]bool{}
	for _, s := range slots {
		require.NotContains(t, []string{"pension/2027-03-28/03:00", "pension/2027-03-28/03:30"}, s.Slot)
		require.False(t, starts[s.Start], "%s starts when another does", s.Slot)
		starts[s.Start] = true
		require.Equal(t, 30*time.Minute, s.End.Sub(s.Start), s.Slot)
	}
}

// A booked citizen checks in on the day: a priority ticket, called at the
// slot's start and not before, ahead of the queue that came earlier.
func TestCheckIn(t *testing.T) {
	cfg := bookingOffice()
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 9, 30, 0, 0, kyiv))
	path := filepath.Join(t.TempDir(), "cherga.db")
	e := queuetest.OpenPath(t, path, cfg, &queue.Opts{Now: clk.Now})
	ctx := context.Background()
	at10, err := e.Book(ctx, "pension/2026-11-25/10:00", "Олена", "")
	require.NoError(t, err)
	at1030, err := e.Book(ctx, "pension/2026-11-25/10:30", "Іван", "")
	require.NoError(t, err)

	checkIn := func(code string) (queue.Issued, error) {
		return e.Issue(ctx, queue.IssueRequest{Appointment: code, Kiosk: "k1"})
	}
	var ae *queue.AppointmentError
	_, err = checkIn(at10.Code)
	require.ErrorAs(t, err, &ae, "on Monday")
	require.Equal(t, "other_day", ae.Why)
	_, err = checkIn("NOSUCH23")
	require.ErrorIs(t, err, queue.ErrUnknownAppointment)

	clk.Set(time.Date(2026, 11, 25, 9, 50, 0, 0, kyiv))
	_, err = checkIn(at10.Code)
	require.ErrorIs(t, err, queue.ErrServiceClosed, "before the service opens, as a press")

	clk.Set(time.Date(2026, 11, 25, 10, 5, 0, 0, kyiv))
	walkIn, err := e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)
	iss, err := checkIn(at1030.Code)
	require.NoError(t, err)
	tk := iss.Ticket
	require.Equal(t, "pension", tk.Service)
	require.True(t, tk.Priority)
	require.Equal(t, at1030.ID, tk.Appointment)
	require.True(t, time.Date(2026, 11, 25, 10, 30, 0, 0, kyiv).Equal(tk.NotBefore), "%s", tk.NotBefore)
	require.GreaterOrEqual(t, iss.Wait, 25*time.Minute, "not called before its time")
	require.Equal(t, at1030.Code, iss.Appointment.Code)
	_, err = checkIn(at1030.Code)
	require.ErrorAs(t, err, &ae, "checked in once")
	require.Equal(t, "arrived", ae.Why)
	require.Contains(t, err.Error(), tk.Label)

	// 10:10: its time has not come; the walk-in is called.
	clk.Set(time.Date(2026, 11, 25, 10, 10, 0, 0, kyiv))
	res, err := e.Counter(ctx, "10", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, walkIn.Ticket.Label, res.Ticket.Label)
	later, err := e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)
	// 10:30: the booked citizen before the one who came at 10:10.
	clk.Set(time.Date(2026, 11, 25, 10, 30, 0, 0, kyiv))
	res, err = e.Counter(ctx, "11", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, tk.Label, res.Ticket.Label)
	res, err = e.Counter(ctx, "12", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, later.Ticket.Label, res.Ticket.Label)

	// Its slot over, a booking is no longer checked in: a ticket of the
	// queue is.
	clk.Set(time.Date(2026, 11, 25, 10, 31, 0, 0, kyiv))
	_, err = checkIn(at10.Code)
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "late", ae.Why)
	list, err := e.Appointments(ctx, "2026-11-25", "pension")
	require.NoError(t, err)
	require.True(t, list[0].Missed(clk.Now()))
	require.Equal(t, queue.Arrived, list[1].State)
	require.Equal(t, tk.Label, list[1].Ticket)
	_, err = e.CancelAppointment(ctx, at1030.Code, "")
	require.ErrorAs(t, err, &ae, "checked in: not cancelled")

	// Kept across a restart, with the ticket's booking.
	require.NoError(t, e.Close())
	e = queuetest.OpenPath(t, path, cfg, &queue.Opts{Now: clk.Now})
	got, err := e.AppointmentByCode(ctx, at1030.Code)
	require.NoError(t, err)
	require.Equal(t, queue.Arrived, got.State)
	require.Equal(t, tk.ID, got.TicketID)
	again, err := e.TicketByLabel(ctx, tk.Label)
	require.NoError(t, err)
	require.Equal(t, at1030.ID, again.Appointment)
}

// A booked citizen's ticket that did not print is voided, and the booking
// is booked again: the citizen scans the code again.
func TestCheckInVoided(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	a, err := e.Book(ctx, "pension/2026-11-25/11:00", "Олена", "")
	require.NoError(t, err)
	iss, err := e.Issue(ctx, queue.IssueRequest{Appointment: a.Code, Printing: true})
	require.NoError(t, err)
	require.NoError(t, e.Void(ctx, iss.Ticket.ID, "print failed"))
	got, err := e.AppointmentByCode(ctx, a.Code)
	require.NoError(t, err)
	require.Equal(t, queue.Booked, got.State)
	require.Zero(t, got.TicketID)
	again, err := e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
	require.NoError(t, err)
	require.NotEqual(t, iss.Ticket.Label, again.Ticket.Label)
}

// A booked visit checked in early waits, in the day's figures, from its
// time: not the hours before it that the citizen did not queue.
func TestBookedWaitFromItsTime(t *testing.T) {
	e, clk := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	a, err := e.Book(ctx, "pension/2026-11-25/14:00", "Олена", "")
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
	require.NoError(t, err)
	clk.Set(time.Date(2026, 11, 25, 14, 5, 0, 0, kyiv))
	_, err = e.Counter(ctx, "10", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	st, err := e.Stats(ctx, "")
	require.NoError(t, err)
	require.Equal(t, 5*time.Minute, st.Total.Wait.Max, "from 14:00, not from the check-in at 10:00")
	require.Equal(t, []queue.Hour{{Hour: 10, Issued: 1, WaitN: 1, WaitMean: 5 * time.Minute}}, st.Hours,
		"under the hour of its check-in, as the tickets issued then")

	// Checked in for 14:30 and called at 14:10: it waited for nothing, and
	// that wait counts.
	b, err := e.Book(ctx, "pension/2026-11-25/14:30", "Іван", "")
	require.NoError(t, err)
	tb, err := e.Issue(ctx, queue.IssueRequest{Appointment: b.Code})
	require.NoError(t, err)
	clk.Set(time.Date(2026, 11, 25, 14, 10, 0, 0, kyiv))
	_, err = e.CallTicket(ctx, "11", tb.Ticket.Label)
	require.NoError(t, err)
	st, err = e.Stats(ctx, "")
	require.NoError(t, err)
	require.Equal(t, 2, st.Total.Wait.N)
	require.Equal(t, 5*time.Minute/2, st.Total.Wait.Mean, "5 min and 0")
	require.Equal(t, queue.Hour{Hour: 14, Issued: 1, WaitN: 1}, st.Hours[1])
}

// A booking whose time the service's hours no longer hold (changed since
// it was made) is not checked in: its ticket would be sent home at the
// closing, never called.
func TestCheckInOutsideHours(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	a, err := e.Book(ctx, "pension/2026-11-25/14:00", "Олена", "")
	require.NoError(t, err)
	short := bookingOffice()
	short.Services[1].Hours = map[string]string{"wed": "10:00-13:00"}
	_, err = e.SetConfigVersion(ctx, short, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
	var ae *queue.AppointmentError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "hours", ae.Why)
}

// A slot_min changed since a booking cuts the hours otherwise: a slot that
// overlaps a visit booked takes its place, by time, not by name.
func TestSlotsOverlapBookings(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), func(cfg *config.Config) {
		cfg.Services[1].Booking = &config.Booking{SlotMin: 20, PerSlot: 1}
	})
	ctx := context.Background()
	_, err := e.Book(ctx, "pension/2026-11-25/13:00", "Олена", "")
	require.NoError(t, err)
	wide := bookingOffice()
	wide.Services[1].Booking = &config.Booking{SlotMin: 25, PerSlot: 1}
	_, err = e.SetConfigVersion(ctx, wide, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)
	slots, err := e.Slots(ctx, "pension", "2026-11-25")
	require.NoError(t, err)
	for _, s := range slots {
		overlaps := s.Start.Before(time.Date(2026, 11, 25, 13, 20, 0, 0, kyiv)) && time.Date(2026, 11, 25, 13, 0, 0, 0, kyiv).Before(s.End)
		require.Equal(t, overlaps, s.Free == 0, "%s free %d", s.Slot, s.Free)
	}
	_, err = e.Book(ctx, "pension/2026-11-25/12:55", "Іван", "")
	require.ErrorIs(t, err, queue.ErrSlotFull, "12:55-13:20 overlaps 13:00-13:20")
}

// A booked visit is served whatever the service's daily cap: the cap
// stops the walk-ins.
func TestCheckInBeyondCap(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), func(cfg *config.Config) {
		cfg.Services[1].DailyCap = 1
	})
	ctx := context.Background()
	a, err := e.Book(ctx, "pension/2026-11-25/11:00", "Олена", "")
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.ErrorIs(t, err, queue.ErrDailyCap)
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
	require.NoError(t, err)
}

// Booked visits checked in early, held until their time, are not ahead
// of a walk-in who is called before them: its wait and people ahead say
// so.
func TestWalkInAfterEarlyCheckIns(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv), func(cfg *config.Config) {
		cfg.Services[1].Booking.PerSlot = 4
	})
	ctx := context.Background()
	for range 4 {
		a, err := e.Book(ctx, "pension/2026-11-25/14:00", "x", "")
		require.NoError(t, err)
		_, err = e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
		require.NoError(t, err)
	}
	walkIn, err := e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)
	require.Zero(t, walkIn.Ahead, "the booked visits come at 14:00")
	require.Zero(t, walkIn.Wait, "three counters are free")
}

// A booked citizen whose slot an air-raid alert took was in the shelter:
// after the all-clear they may check in for as long as the slot had left,
// and are called first. One who missed the slot before the alert is late.
func TestCheckInAfterAlert(t *testing.T) {
	e, clk := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	in, err := e.Book(ctx, "pension/2026-11-25/11:00", "Олена", "")
	require.NoError(t, err)
	other, err := e.Book(ctx, "pension/2026-11-25/11:00", "Марія", "")
	require.NoError(t, err)
	missed, err := e.Book(ctx, "pension/2026-11-25/10:30", "Іван", "")
	require.NoError(t, err)
	walkIn, err := e.Issue(ctx, queue.IssueRequest{Service: "pension"})
	require.NoError(t, err)

	clk.Set(time.Date(2026, 11, 25, 11, 10, 0, 0, kyiv))
	require.NoError(t, e.SetPause(ctx, "", "повітряна тривога"))
	clk.Set(time.Date(2026, 11, 25, 11, 45, 0, 0, kyiv))
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: in.Code})
	require.ErrorIs(t, err, queue.ErrPaused, "in the shelter still: not late")
	clk.Set(time.Date(2026, 11, 25, 12, 10, 0, 0, kyiv))
	require.NoError(t, e.Resume(ctx, "", ""))

	// 10 minutes of the slot were left at 11:10; the alert took an hour.
	clk.Set(time.Date(2026, 11, 25, 12, 29, 0, 0, kyiv))
	list, err := e.Appointments(ctx, "2026-11-25", "")
	require.NoError(t, err)
	require.Len(t, list, 3)
	require.True(t, list[0].Missed(clk.Now()), "10:30 ended before the alert")
	require.False(t, list[1].Missed(clk.Now()))
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: missed.Code})
	var ae *queue.AppointmentError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "late", ae.Why)
	tk, err := e.Issue(ctx, queue.IssueRequest{Appointment: in.Code})
	require.NoError(t, err)
	res, err := e.Counter(ctx, "10", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.Equal(t, tk.Ticket.Label, res.Ticket.Label, "before %s, a walk-in", walkIn.Ticket.Label)

	// Its slot's other booking: late from 12:30.
	clk.Set(time.Date(2026, 11, 25, 12, 31, 0, 0, kyiv))
	b, err := e.AppointmentByCode(ctx, other.Code)
	require.NoError(t, err)
	require.True(t, b.Missed(clk.Now()))
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: other.Code})
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "late", ae.Why)
}

// A service renamed (a new id, its prefix the same) takes its bookings:
// they are checked in as booked, and its slots count them, those checked
// in already too (else their places would be booked again).
func TestRenamedServiceKeepsBookings(t *testing.T) {
	e, _ := bookingEngine(t, time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	today, err := e.Book(ctx, "pension/2026-11-25/14:00", "Олена", "")
	require.NoError(t, err)
	_, err = e.Book(ctx, "pension/2026-11-25/14:00", "Іван", "")
	require.NoError(t, err)
	arrived, err := e.Book(ctx, "pension/2026-11-25/10:30", "Марія", "")
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: arrived.Code})
	require.NoError(t, err)
	next, err := e.Book(ctx, "pension/2026-12-09/11:00", "Петро", "")
	require.NoError(t, err)

	b, err := json.Marshal(bookingOffice())
	require.NoError(t, err)
	renamed := &config.Config{}
	require.NoError(t, json.Unmarshal([]byte(strings.ReplaceAll(string(b), `"pension"`, `"pfu"`)), renamed))
	require.NoError(t, renamed.Validate())
	_, err = e.SetConfigVersion(ctx, renamed, queue.Change{}, queue.ConfigVersion{Source: "admin"})
	require.NoError(t, err)

	for code, slot := range map[string]string{today.Code: "pfu/2026-11-25/14:00", next.Code: "pfu/2026-12-09/11:00", arrived.Code: "pfu/2026-11-25/10:30"} {
		a, err := e.AppointmentByCode(ctx, code)
		require.NoError(t, err)
		require.Equal(t, slot, a.Slot)
		require.Equal(t, strings.Split(slot, "/")[0], a.Service)
	}
	slots, err := e.Slots(ctx, "pfu", "2026-11-25")
	require.NoError(t, err)
	for _, s := range slots {
		switch s.Slot {
		case "pfu/2026-11-25/14:00":
			require.Zero(t, s.Free, "its two bookings hold it")
		case "pfu/2026-11-25/10:30":
			require.Equal(t, 1, s.Free, "one of two taken by the visit checked in")
		}
	}
	list, err := e.Appointments(ctx, "2026-12-09", "pfu")
	require.NoError(t, err)
	require.Len(t, list, 1)
	tk, err := e.Issue(ctx, queue.IssueRequest{Appointment: today.Code})
	require.NoError(t, err)
	require.Equal(t, "pfu", tk.Ticket.Service)

	// Renamed in the file, and started again on it.
	path := filepath.Join(t.TempDir(), "cherga.db")
	clk := queuetest.NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, kyiv))
	before := queuetest.OpenPath(t, path, bookingOffice(), &queue.Opts{Now: clk.Now})
	booked, err := before.Book(ctx, "pension/2026-12-09/11:00", "Петро", "")
	require.NoError(t, err)
	// The office records the configuration it runs, as it starts.
	require.NoError(t, before.RecordConfigs(ctx, queue.ConfigRecord{Config: bookingOffice(), Version: queue.ConfigVersion{Source: "file"}}))
	require.NoError(t, before.Close())
	after := queuetest.OpenPath(t, path, renamed, &queue.Opts{Now: clk.Now})
	a, err := after.AppointmentByCode(ctx, booked.Code)
	require.NoError(t, err)
	require.Equal(t, "pfu/2026-12-09/11:00", a.Slot)
}

// An alert from the evening before that ended this morning is counted,
// also by an engine started again after it: a booking's check-in, and the
// day's alert figures, from midnight though the day began later.
func TestOvernightAlertAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cherga.db")
	clk := queuetest.NewClock(time.Date(2026, 11, 24, 21, 0, 0, 0, kyiv)) // a Tuesday
	e := queuetest.OpenPath(t, path, bookingOffice(), &queue.Opts{Now: clk.Now})
	a, err := e.Book(ctx, "pension/2026-11-25/10:00", "Олена", "")
	require.NoError(t, err)
	clk.Set(time.Date(2026, 11, 24, 22, 0, 0, 0, kyiv))
	require.NoError(t, e.SetPause(ctx, "", "повітряна тривога"))
	clk.Set(time.Date(2026, 11, 25, 9, 0, 0, 0, kyiv)) // nothing ran overnight
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "social"})
	require.ErrorIs(t, err, queue.ErrPaused)
	clk.Set(time.Date(2026, 11, 25, 10, 20, 0, 0, kyiv))
	require.NoError(t, e.Resume(ctx, "", "відбій"))
	st, err := e.Stats(ctx, "")
	require.NoError(t, err)
	require.Equal(t, queue.Alerts{N: 0, Duration: 10*time.Hour + 20*time.Minute}, st.Alerts)
	require.NoError(t, e.Close())

	// 10:40: the slot's 30 minutes, 20 of them in the shelter.
	clk.Set(time.Date(2026, 11, 25, 10, 40, 0, 0, kyiv))
	e = queuetest.OpenPath(t, path, bookingOffice(), &queue.Opts{Now: clk.Now})
	b, err := e.AppointmentByCode(ctx, a.Code)
	require.NoError(t, err)
	require.False(t, b.Missed(clk.Now()))
	_, err = e.Issue(ctx, queue.IssueRequest{Appointment: a.Code})
	require.NoError(t, err)
}

// A day's bookings, with their citizens' names, go when its tickets and
// events do (office.stats_days business days), at the rollover of a later
// day: also in an office that takes no more bookings.
func TestBookingsPrunedWithTheirDay(t *testing.T) {
	ctx := context.Background()
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 9, 30, 0, 0, kyiv)) // a Monday
	cfg := bookingOffice()
	cfg.Office.StatsDays = 2
	e := queuetest.Open(t, cfg, &queue.Opts{Now: clk.Now})
	a, err := e.Book(ctx, "pension/2026-11-25/10:00", "Олена Петренко", "phone")
	require.NoError(t, err)
	// A business day: a ticket issued, and every event published.
	workDay := func(day int) {
		clk.Set(time.Date(2026, 11, day, 11, 0, 0, 0, kyiv))
		_, err := e.Issue(ctx, queue.IssueRequest{Service: "social"})
		require.NoError(t, err)
		evs, err := e.Pending(0, 1<<20)
		require.NoError(t, err)
		e.Ack(evs[len(evs)-1].Seq)
	}
	for _, day := range []int{23, 24, 25, 26, 27} {
		workDay(day)
	}
	// Friday keeps Wednesday and Thursday, and the booking.
	got, err := e.AppointmentByCode(ctx, a.Code)
	require.NoError(t, err)
	require.Equal(t, "Олена Петренко", got.Name)
	_, err = e.TicketsOf(ctx, "2026-11-25")
	require.NoError(t, err)

	workDay(30) // Monday: Wednesday goes, its booking with it
	_, err = e.TicketsOf(ctx, "2026-11-25")
	require.ErrorIs(t, err, queue.ErrUnknownDay)
	_, err = e.AppointmentByCode(ctx, a.Code)
	require.ErrorIs(t, err, queue.ErrUnknownAppointment)
	list, err := e.Appointments(ctx, "2026-11-25", "")
	require.NoError(t, err)
	require.Empty(t, list)
}
