package office

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/queue"
)

// «з» or «із» before the time a service opens, by the sounds around it.
func TestAvailableTextFrom(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	now := time.Date(2026, 11, 25, 18, 0, 0, 0, kyiv) // a Wednesday
	at := func(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, kyiv) }
	for _, tc := range []struct {
		opens  time.Time
		uk, en string
	}{
		{at(30, 9), "Її надаватимуть у понеділок із 09:00", "It will be available on Monday from 09:00"},
		{at(30, 11), "Її надаватимуть у понеділок з 11:00", "It will be available on Monday from 11:00"},
		{at(27, 8), "Її надаватимуть у пʼятницю з 08:00", "It will be available on Friday from 08:00"},
		{at(26, 9), "Її надаватимуть завтра з 09:00", "It will be available tomorrow from 09:00"},
		{at(26, 9).AddDate(0, 0, 7), "Її надаватимуть у наступний четвер із 09:00", "It will be available next Thursday from 09:00"},
	} {
		uk, en := availableText("Її", "It", tc.opens, now)
		require.Equal(t, tc.uk, uk)
		require.Equal(t, tc.en, en)
	}
}

// A pause's reason typed in both languages gives each half of the kiosk's
// message its own; one in Ukrainian alone stays out of the English.
func TestPausedMessage(t *testing.T) {
	for _, tc := range []struct {
		service, reason string
		alert           bool
		want            string
	}{
		{"", "нарада", false, "Прийом тимчасово призупинено: нарада. / Service is temporarily suspended."},
		{"", "нарада / staff meeting", false, "Прийом тимчасово призупинено: нарада. / Service is temporarily suspended: staff meeting."},
		{"", "", false, "Прийом тимчасово призупинено. / Service is temporarily suspended."},
		{"", "Нарада / Staff meeting", false, "Прийом тимчасово призупинено: нарада. / Service is temporarily suspended: staff meeting."},
		{"", "ЦНАП зачинено / CNAP is closed", false, "Прийом тимчасово призупинено: ЦНАП зачинено. / Service is temporarily suspended: CNAP is closed."},
		{"", "Я", false, "Прийом тимчасово призупинено: Я. / Service is temporarily suspended."},
		{"", "нарада до 12:00! / staff meeting until 12:00.", false, "Прийом тимчасово призупинено: нарада до 12:00! / Service is temporarily suspended: staff meeting until 12:00."},
		{"social", "закінчилися бланки / the forms ran out", false, "Талони на цю послугу тимчасово не видаються: закінчилися бланки. / Tickets for this service are temporarily unavailable: the forms ran out."},
		{"social", " / the forms ran out", false, "Талони на цю послугу тимчасово не видаються. / Tickets for this service are temporarily unavailable: the forms ran out."},
		{"", "повітряна тривога / air-raid alert", true, "Повітряна тривога: прийом призупинено. Пройдіть до найближчого укриття. / Air-raid alert: service is suspended. Please proceed to the nearest shelter."},
	} {
		pe := &queue.PausedError{Service: tc.service, Paused: queue.Paused{Reason: tc.reason}}
		require.Equal(t, tc.alert, pe.IsAlert(), tc.reason)
		require.Equal(t, tc.want, pausedMessage(pe), tc.reason)
	}
}

// A sentence added to a message comes after a full stop in each language.
func TestAlsoSays(t *testing.T) {
	require.Equal(t, "Вас викликано: вікно\u00a011. Копію талона надруковано. / You have been called: counter\u00a011. A copy of the ticket has been printed.",
		alsoSays("Вас викликано: вікно\u00a011 / You have been called: counter\u00a011", "Копію талона надруковано.", "A copy of the ticket has been printed."))
	require.Equal(t, "Талон А001 у черзі. Копію. / Ticket А001 is in the queue. A copy.",
		alsoSays("Талон А001 у черзі. / Ticket А001 is in the queue.", "Копію.", "A copy."))
}

// The message of a ticket a call put back says who calls it, and when: its
// citizen heard it called, and the specialist may be asked.
func TestPutBackMessage(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		forCounter string
		after      time.Time
		want       string
	}{
		{"3", time.Time{}, "Талон П004 повернуто в чергу: його щойно викликали до вас, тож «Наступний» викличе його першим. / Ticket P004 is back in the queue: it was just called to you, so Next calls it first."},
		{"3", now.Add(-time.Minute), "Талон П004 повернуто в чергу: його щойно викликали до вас, тож «Наступний» викличе його першим. / Ticket P004 is back in the queue: it was just called to you, so Next calls it first."},
		// Back after a no-show, its grace not over: called first after it.
		{"3", now.Add(4 * time.Minute), "Талон П004 повернуто в чергу: його щойно викликали до вас, тож «Наступний» викличе його першим після 10:04. / Ticket P004 is back in the queue: it was just called to you, so Next calls it first after 10:04."},
		{"7", time.Time{}, "Талон П004 повернуто в чергу: його щойно викликали до вас; першим його викличе робоче місце 7. / Ticket P004 is back in the queue: it was just called to you; counter 7 calls it first."},
		{"", time.Time{}, "Талон П004 повернуто в чергу: його щойно викликали до вас; він чекає в черзі своєї послуги. / Ticket P004 is back in the queue: it was just called to you; it waits in its service's queue."},
		{"", now.Add(4 * time.Minute), "Талон П004 повернуто в чергу: його щойно викликали до вас; він чекає в черзі своєї послуги, і його можна буде викликати після 10:04. / Ticket P004 is back in the queue: it was just called to you; it waits in its service's queue, and may be called after 10:04."},
	} {
		require.Equal(t, tc.want, putBackMessage("П004", tc.forCounter, "3", tc.after, now), "%+v", tc)
	}
}
