package audio

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/device/devicetest"
	"github.com/cherga/cherga/internal/testkit"
)

// An announcer box whose clock runs 90 s ahead of the controller's (an
// office without NTP) still says the live calls and the air-raid notices,
// and logs the difference; what waited in the controller's outbox, or at
// the broker while the announcer was away, longer than MaxAge is dropped,
// as the controller's clock tells.
func TestAnnouncerClockAheadOfController(t *testing.T) {
	clock := devicetest.NewClock(t0)
	log := &testkit.Log{}
	player := newGatePlayer()
	close(player.release)
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}, Logger: slog.New(slog.NewTextHandler(log, nil))})
	ctl := func() time.Time { return clock.Now().Add(-90 * time.Second) } // the controller's clock
	call := func(id, ticket string, at, sent time.Time) Call {
		c := phraseCall(t, id, ticket, id, "uk", at)
		c.Sent = sent
		return c
	}

	// Just started, nothing live heard yet: what the broker kept through
	// the restart is held a moment, then said, for a moment's wait and any
	// difference between the clocks up to 2 minutes; what it kept for
	// hours is not.
	a.Connected(clock.Now())
	require.Equal(t, Held, a.Offer(call("92", "К002", ctl().Add(-3*time.Hour), ctl().Add(-3*time.Hour))), "kept 3 hours")
	require.Equal(t, Held, a.Offer(call("91", "К001", ctl().Add(-5*time.Second), ctl().Add(-5*time.Second))), "kept 5 s")
	clock.Advance(settle)
	require.Equal(t, "К001", testkit.Receive(t, played).a.Ticket)
	log.Await(t, context.Background(), "outcome=expired", "the call kept for hours is dropped")
	require.Contains(t, log.String(), `msg="audio: a call the broker kept" id=92 ticket=К002`)

	// An older controller's call, without sent, ages by this box's clock.
	a.Connected(clock.Now().Add(-time.Minute))
	require.Equal(t, Expired, a.Offer(call("1", "А001", ctl(), time.Time{})))

	// Live: as old as it waited in the controller's outbox.
	for i, id := range []string{"2", "3", "4"} {
		clock.Advance(time.Duration(i) * time.Second)
		require.Equal(t, Queued, a.Offer(call(id, "А00"+id, ctl(), ctl())), "live call %s", id)
		require.Equal(t, "А00"+id, testkit.Receive(t, played).a.Ticket)
	}
	require.Equal(t, Expired, a.Offer(call("5", "А005", ctl().Add(-5*time.Minute), ctl())), "5 minutes in the outbox")
	require.Contains(t, log.String(), "this box's clock is 1m30s ahead of the controller's")
	require.Equal(t, 1, log.Count("ahead of the controller's"), "once an hour")
	require.Equal(t, 4, log.Count("audio: call said"), "each call said is logged")

	// An air-raid alert that comes live is said.
	a.Office(OfficeState{Paused: true, Alert: true, Open: true, At: ctl(), Sent: ctl()})
	r := testkit.Receive(t, played)
	require.Equal(t, AlertNotice, r.a.Notice)
	a.Office(OfficeState{Open: true, At: ctl(), Sent: ctl()})
	require.Equal(t, AllClearNotice, testkit.Receive(t, played).a.Notice)
	// The retained copy of an alert sent 40 minutes ago, delivered late
	// (a subscription refused at first, then made again), is no new
	// alert: it pauses, and says nothing.
	old := ctl().Add(-40 * time.Minute)
	a.Office(OfficeState{Paused: true, Alert: true, At: old, Sent: old, Retained: true})
	select {
	case r := <-played:
		t.Fatalf("said %v", r.a.Notice)
	case <-time.After(100 * time.Millisecond):
	}
	a.Office(OfficeState{Open: true, At: ctl(), Sent: ctl()})
	require.Equal(t, AllClearNotice, testkit.Receive(t, played).a.Notice, "its end, live, is said")

	// Away, then back: what the broker kept comes as the connection
	// begins, aged by the time it waited there.
	a.Disconnected()
	sentAway := ctl()
	clock.Advance(30 * time.Second)
	a.Connected(clock.Now())
	require.Equal(t, Queued, a.Offer(call("6", "А006", sentAway, sentAway)), "30 s at the broker")
	require.Equal(t, "А006", testkit.Receive(t, played).a.Ticket)
	a.Disconnected()
	sentAway = ctl()
	clock.Advance(3 * time.Minute)
	a.Connected(clock.Now())
	require.Equal(t, Expired, a.Offer(call("7", "А007", sentAway, sentAway)), "3 minutes at the broker")
}

// An announcer restarted with the controller's clock (on the same Pi):
// the broker kept, for its session, a call made 110 s ago and one made
// 20 s ago, and gives the load the controller sends again every 30 s. The
// freshest message kept tells the clocks' difference within its age: the
// call older than MaxAge is not said (it was, with up to twice MaxAge of
// its age taken for a difference of the clocks), the recent one is. An
// air-raid alert that began 110 s ago is not said again; one that began
// 20 s ago is.
func TestAnnouncerRestartedJudgesWhatTheBrokerKept(t *testing.T) {
	clock := devicetest.NewClock(t0)
	log := &testkit.Log{}
	player := newGatePlayer()
	close(player.release)
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}, Logger: slog.New(slog.NewTextHandler(log, nil))})
	ago := func(d time.Duration) time.Time { return clock.Now().Add(-d) }
	kept := func(id, ticket, counter string, age time.Duration) Call {
		c := phraseCall(t, id, ticket, counter, "uk", ago(age))
		c.Sent = ago(age)
		return c
	}
	a.Connected(clock.Now())
	require.Equal(t, Held, a.Offer(kept("7", "А007", "1", 110*time.Second)))
	require.Equal(t, Held, a.Offer(kept("8", "Б008", "2", 20*time.Second)))
	a.Office(OfficeState{Open: true, At: ago(10 * time.Minute), Sent: ago(12 * time.Second), Retained: true})
	clock.Advance(settle)
	require.Equal(t, "Б008", testkit.Receive(t, played).a.Ticket)
	log.Await(t, context.Background(), "outcome=expired", "the call made 110 s ago is dropped")
	require.Contains(t, log.String(), "id=7 ticket=А007")
	select {
	case r := <-played:
		t.Fatalf("said %s", r.a.Ticket)
	case <-time.After(100 * time.Millisecond):
	}

	// The alert's load, sent again since: its age is the controller's
	// own reckoning, from at to sent.
	for began, said := range map[time.Duration]bool{110 * time.Second: false, 20 * time.Second: true} {
		b, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}})
		b.Connected(clock.Now())
		b.Office(OfficeState{Paused: true, Alert: true, At: ago(began), Sent: ago(5 * time.Second), Retained: true})
		if said {
			require.Equal(t, AlertNotice, testkit.Receive(t, played).a.Notice, "began %s ago", began)
			continue
		}
		select {
		case r := <-played:
			t.Fatalf("began %s ago: said %v", began, r.a.Notice)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
