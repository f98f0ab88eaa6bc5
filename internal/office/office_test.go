package office_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
	"github.com/cherga/cherga/sim"
)

// TestBoardsSettleAndAwtrix calls a ticket to the counter with an AWTRIX
// matrix: the contract's board shows it calling, in the office's time zone,
// then serving once the blink time has passed; the matrix gets its custom
// app and a notification.
func TestBoardsSettleAndAwtrix(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	// Long enough that a slow machine still publishes the call before it
	// settles (a call published late is published settled).
	cfg.Office.BoardBlinkSec = 3
	require.Equal(t, "awtrix", string(cfg.Counter("13").Board.Mode))
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/#", "awtrix_demo_13/#")

	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)

	state := func(want string) func(sim.Message) bool {
		return func(m sim.Message) bool {
			var b map[string]any
			return json.Unmarshal(m.Payload, &b) == nil && b["ticket"] == "Ц001" && b["state"] == want
		}
	}
	calling, err := l.Wait(ctx, "qms/demo/board/13", state("calling"))
	require.NoError(t, err)
	var b struct{ At time.Time }
	require.NoError(t, json.Unmarshal(calling.Payload, &b))
	_, offset := b.At.Zone()
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	_, want := b.At.In(kyiv).Zone()
	require.Equal(t, want, offset, "board times are in the office's time zone: %s", calling.Payload)

	_, err = l.Wait(ctx, "qms/demo/board/13", state("serving"))
	require.NoError(t, err, "the call settles to serving after board_blink_s")

	app, err := l.Wait(ctx, "awtrix_demo_13/custom/cherga", func(m sim.Message) bool { return strings.Contains(string(m.Payload), "Ц001") })
	require.NoError(t, err)
	require.True(t, json.Valid(app.Payload))
	_, err = l.Wait(ctx, "awtrix_demo_13/notify", nil)
	require.NoError(t, err)
}

// TestCounterInputs drives a counter over MQTT as its button box does: a
// call of a given ticket, done, a rating, and garbage.
func TestCounterInputs(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/#")
	for range 3 {
		_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(`{"action":"call","ticket":"А003"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", event(queue.EvCalled, "А003"))
	require.NoError(t, err, "a specialist calls the citizen in front of them")
	require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(`{"action":"done"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", event(queue.EvDone, "А003"))
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/counter/2/rating", []byte(`{"score":4}`), false))
	rated, err := l.Wait(ctx, "qms/demo/events", event(queue.EvRated, "А003"))
	require.NoError(t, err)
	require.Contains(t, string(rated.Payload), `"rating":4`)

	require.NoError(t, l.Publish("qms/demo/counter/2/rating", []byte(`{"score":9}`), false))
	m, err := l.Wait(ctx, "qms/demo/errors", func(m sim.Message) bool { return strings.Contains(string(m.Payload), "score") })
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"reason":"bad_score","message":"Оцінка — від 1 до 5 / The rating must be from 1 to 5"`, "a score chosen wrong is no broken device")
	require.NoError(t, l.Publish("qms/demo/counter/77/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/errors", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `unknown counter \"77\"`) })
	require.NoError(t, err)
}

// A box that sends garbage is logged once a minute, not at every message,
// with what it sent; a specialist's ordinary refusal (done with nobody
// called) is information, not a warning.
func TestWrongInputsLoggedOnce(t *testing.T) {
	var log testkit.Log
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: slog.New(slog.NewTextHandler(&log, nil))}, "qms/demo/errors")
	for i := range 5 {
		require.NoError(t, l.Publish("qms/demo/counter/5/cmd", fmt.Appendf(nil, "garbage %d", i), false))
	}
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"done"}`), false))
	_, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"counter/1"`))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`garbage 4`))
	require.NoError(t, err, "each is refused on the errors topic")
	require.Equal(t, 1, log.Count(`level=WARN msg="office: input refused" source=counter/5`), log.String())
	require.Equal(t, 1, log.Count(`garbage 0`), "with what it sent")
	require.Zero(t, log.Count(`garbage 1`))
	require.Equal(t, 1, log.Count(`level=INFO msg="office: input refused" source=counter/1 id="" reason=no_ticket`))

	// A box stuck on done: ten of one kind are logged in a minute, no more.
	// (One after the other: at once, the counter's fifth waiting command
	// would be refused as busy, TestCounterFloodKeepsOthersServed.)
	for i := range 15 {
		require.NoError(t, l.Publish("qms/demo/counter/1/cmd", fmt.Appendf(nil, `{"action":"done","id":"d%d"}`, i), false))
		_, err = l.Wait(ctx, "qms/demo/errors", containing(fmt.Sprintf(`"id":"d%d"`, i)))
		require.NoError(t, err, "each is refused on the errors topic")
	}
	require.Equal(t, 10, log.Count(`level=INFO msg="office: input refused" source=counter/1`), log.String())
}

// event matches an event of type typ of ticket label.
func event(typ, label string) func(sim.Message) bool {
	return func(m sim.Message) bool {
		var ev queue.Event
		return json.Unmarshal(m.Payload, &ev) == nil && ev.Type == typ && ev.Ticket != nil && ev.Ticket.Label == label
	}
}

// A refused counter command says why, for the specialist who pressed (a
// counter box shows it, as the simulator's page does): a reason, and a
// message, Ukrainian first, beside the error for whoever looks into it.
func TestCounterRefusalsSayWhy(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/errors", "qms/demo/events")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	n := 0
	// refused sends cmd with an id of its own, and returns the refusal
	// that names it.
	refused := func(counter, cmd string) (reason, message string) {
		t.Helper()
		n++
		id := fmt.Sprintf("r%d", n)
		cmd = strings.Replace(cmd, "{", `{"id":"`+id+`",`, 1)
		require.NoError(t, l.Publish("qms/demo/counter/"+counter+"/cmd", []byte(cmd), false))
		m, err := l.Wait(ctx, "qms/demo/errors", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"id":"`+id+`"`) })
		require.NoError(t, err)
		var e struct{ Source, Error, Reason, Message string }
		require.NoError(t, json.Unmarshal(m.Payload, &e))
		require.Equal(t, "counter/"+counter, e.Source)
		require.NotEmpty(t, e.Error)
		return e.Reason, e.Message
	}
	reason, msg := refused("1", `{"action":"done"}`)
	require.Equal(t, "no_ticket", reason)
	require.Equal(t, "Немає поточного талона: спершу викличте наступного / No current ticket: call the next one first", msg)
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", event(queue.EvCalled, "А001"))
	require.NoError(t, err)
	// A second next at once (a double press) would end the visit the
	// first began before the citizen came.
	reason, msg = refused("1", `{"action":"next"}`)
	require.Equal(t, "just_called", reason)
	require.Contains(t, msg, "Талон А001 щойно викликано: наступного — через ")
	require.Contains(t, msg, " с; якщо прийом завершено, натисніть «Завершено» / Ticket А001 was just called: next in ")
	require.LessOrEqual(t, utf8.RuneCountInString(msg), 200, "a counter box's display scrolls about 200 characters")
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"serve"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", event(queue.EvServing, "А001"))
	require.NoError(t, err)
	for _, c := range []struct{ cmd, reason, says string }{
		{`{"action":"recall"}`, "at_counter", "Громадянин із талоном А001 уже біля вас: повторний виклик не потрібен"},
		{`{"action":"noshow"}`, "at_counter", "кнопкою «Завершено»"},
		{`{"action":"call","ticket":"А001"}`, "at_counter", "Громадянин із талоном А001 уже біля вас: прийом триває"}, // the counter's own
		{`{"action":"call","ticket":"Б999"}`, "unknown_ticket", "Сьогодні талона з таким номером немає"},
	} {
		reason, msg := refused("1", c.cmd)
		require.Equal(t, c.reason, reason, c.cmd)
		require.Contains(t, msg, c.says, c.cmd)
		require.Contains(t, msg, " / ", "%s: Ukrainian, then English", c.cmd)
	}
	require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(`{"action":"pause"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", func(m sim.Message) bool { return strings.Contains(string(m.Payload), queue.EvPaused) })
	require.NoError(t, err)
	reason, _ = refused("2", `{"action":"next"}`)
	require.Equal(t, "counter_paused", reason)
	// A transfer to the paused counter says which counter is paused: not
	// the one that asked.
	reason, msg = refused("1", `{"action":"transfer","to":"social","to_counter":"2"}`)
	require.Equal(t, "to_counter_paused", reason)
	require.Equal(t, "Робоче місце 2 на перерві: передайте талон на інше робоче місце / Counter 2 is paused: transfer the ticket to another counter", msg)
	// A call of a ticket another counter has says which one.
	reason, msg = refused("3", `{"action":"call","ticket":"А001"}`)
	require.Equal(t, "not_waiting", reason)
	require.Equal(t, "Талон А001 уже викликано до робочого місця 1 / Ticket А001 has already been called to counter 1", msg)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().CallTicket(ctx, "3", "А002")
	require.NoError(t, err)
	require.NoError(t, o.Engine().SetPause(ctx, "", "повітряна тривога"))
	reason, msg = refused("3", `{"action":"next"}`)
	require.Equal(t, "office_paused", reason)
	require.Equal(t, "Повітряна тривога: прийом в офісі призупинено / Air-raid alert: service at the office is suspended", msg)
	// А002, called before the alert, is not ended unheard.
	require.NoError(t, o.Engine().Resume(ctx, "", ""))
	reason, msg = refused("3", `{"action":"noshow"}`)
	require.Equal(t, "lost_call", reason)
	require.Equal(t, "Талон А002 викликано перед тривогою: натисніть «Повторити»; якщо прийом завершено — «Завершено» / Ticket А002 was called before the alert: press Recall; if the visit is over, press Done", msg)
	require.LessOrEqual(t, utf8.RuneCountInString(msg), 200, "a counter box's display scrolls about 200 characters")
	// Another pause: a reason in both languages, each half in its own.
	require.NoError(t, o.Engine().Resume(ctx, "", ""))
	require.NoError(t, o.Engine().SetPause(ctx, "", "нарада / staff meeting"))
	reason, msg = refused("3", `{"action":"next"}`)
	require.Equal(t, "office_paused", reason)
	require.Equal(t, "Прийом в офісі призупинено: нарада / Service at the office is suspended: staff meeting", msg)
	// A command the controller cannot act on, or from a counter the office
	// does not have, is refused under its id all the same.
	for _, c := range []struct{ counter, cmd, reason string }{
		{"1", `{"action":"dance"}`, "bad_request"},
		{"1", `{"action":"NEXT"}`, "bad_request"},
		{"1", `{"action":"transfer"}`, "bad_request"},
		{"1", `{"action":"next","ticket":"А001"}`, "bad_request"},
		{"77", `{"action":"next"}`, "unknown_device"},
	} {
		reason, msg := refused(c.counter, c.cmd)
		require.Equal(t, c.reason, reason, c.cmd)
		require.NotEmpty(t, msg, c.cmd)
	}
	// One too long to be an id names none.
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next","id":"`+strings.Repeat("x", 65)+`"}`), false))
	m, err := l.Wait(ctx, "qms/demo/errors", func(m sim.Message) bool { return strings.Contains(string(m.Payload), "65 characters") })
	require.NoError(t, err)
	require.NotContains(t, string(m.Payload), `"id"`)
}

// TestStalePressRefused: a press and a counter command that waited longer
// than office.StaleAfter for the store (a failing SD card stalled it) are
// refused, timeout, and nothing is done: the citizen has left or pressed
// again. (queue's TestStaleRequestNotMade stalls a real commit.)
func TestStalePressRefused(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/kiosk/k1/ticket")
	// Waited behind the kiosk's printing of other tickets: not stale.
	r := office.ServeAfter(ctx, o, "k1", "social", office.StaleAfter+time.Second, 5*time.Second)
	require.True(t, r.OK, "%+v", r)
	require.Equal(t, "А001", r.Ticket)
	// Waited for the store: stale.
	r = office.ServeAfter(ctx, o, "k1", "social", office.StaleAfter+time.Second, 0)
	require.False(t, r.OK)
	require.Equal(t, "timeout", r.Reason)
	// A citizen reads it: what became of the ticket, and politely.
	require.Equal(t, "Талон не видано: система не встигла обробити натискання. Будь ласка, натисніть ще раз. / No ticket was issued: the system did not respond in time. Please press again.", r.Message)
	figs, err := o.Engine().Stats(ctx, "")
	require.NoError(t, err)
	require.Equal(t, 1, figs.Total.Issued, "nothing issued for the stale press")
	r = office.ServeAfter(ctx, o, "k1", "social", 0, 0)
	require.True(t, r.OK, "%+v", r)
	require.Equal(t, "А002", r.Ticket)
	// A press that had waited for the store nearly long enough to be
	// stale, then behind the kiosk's printer (a poll of a printer slow to
	// answer, a reprint): the printer's time is not the store's.
	release := office.HoldKiosk(o, "k1")
	office.PressWaited(o, "k1", "social", "p1", office.StaleAfter-time.Second)
	time.Sleep(2 * time.Second) // the printer's time: past the press's 10 s
	release()
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"press":"p1"`) })
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"ticket":"А003"`)

	// An administrator's request past its time (chergactl gave up on
	// it) is not made either.
	late, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	res := o.Admin(late, office.AdminRequest{ID: "c", Op: "counter.close", Args: json.RawMessage(`{"counter":"2"}`)})
	require.False(t, res.OK)
	require.Contains(t, res.Error.Message, "nothing was done")

	a := office.CounterAt(ctx, o, "2", queue.Next, time.Now().Add(-office.CounterStale-time.Second))
	require.Equal(t, "timeout", a.Reason)
	require.Empty(t, a.State, "the command did not run: the counter is as the store holds it")
	a = office.CounterAt(ctx, o, "2", queue.Next, time.Now())
	require.True(t, a.OK)
	require.Equal(t, "А001", a.Ticket)
}

// office.state tells an administrator how the office stands without
// changing anything: pauses (an alert still on after a shift change),
// each counter's board, each queue.
func TestOfficeState(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/status")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "3", queue.Command{Action: queue.Pause})
	require.NoError(t, err)
	require.True(t, o.Admin(ctx, office.AdminRequest{ID: "p", Op: "office.pause", Args: json.RawMessage(`{"reason":"повітряна тривога"}`)}).OK)

	b := officeState(t, ctx, o)
	var st struct {
		Day    string
		Paused []struct {
			Reason string
			Alert  bool
		}
		Counters []struct {
			Counter, Ticket, State string
			Paused                 bool
			At                     time.Time
		}
		CounterStates []struct {
			Counter, Ticket, State string
			RecallsLeft            int  `json:"recalls_left"`
			OfficePaused           bool `json:"office_paused"`
			At                     time.Time
		} `json:"counter_states"`
		Queues []struct {
			Service string
			Queue   struct{ Waiting int }
		}
	}
	require.NoError(t, json.Unmarshal(b, &st))
	// Who is at each counter, which the paused office's boards do not say.
	require.Len(t, st.CounterStates, len(o.Config().Counters))
	cs := st.CounterStates[1]
	require.Equal(t, []any{"2", "А001", "called", 3, true}, []any{cs.Counter, cs.Ticket, cs.State, cs.RecallsLeft, cs.OfficePaused})
	_, off := cs.At.Zone()
	_, want := cs.At.In(o.Config().Location()).Zone()
	require.Equal(t, want, off, "in the office's time zone")
	require.NotEmpty(t, st.Day)
	require.Len(t, st.Paused, 1)
	require.True(t, st.Paused[0].Alert)
	require.Len(t, st.Counters, len(o.Config().Counters))
	require.Equal(t, "2", st.Counters[1].Counter)
	require.Equal(t, "closed", st.Counters[1].State, "the office is paused: every board is closed")
	require.True(t, st.Counters[2].Paused)
	_, off = st.Counters[1].At.Zone()
	_, want = st.Counters[1].At.In(o.Config().Location()).Zone()
	require.Equal(t, want, off, "in the office's time zone, as the board's topic says it")
	require.Equal(t, "social", st.Queues[0].Service)
	require.Equal(t, 1, st.Queues[0].Queue.Waiting)

	r := o.Admin(ctx, office.AdminRequest{ID: "x", Op: "office.state", Args: json.RawMessage(`{"counter":"1"}`)})
	require.False(t, r.OK, "it takes no args")
}

// A board published again after its blink time (the office resumes after
// an alert) goes out once, settled: an AWTRIX matrix would otherwise wake
// twice.
func TestResumedBoardOnce(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Office.BoardBlinkSec = 1
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Logger: quiet}, "qms/demo/board/1", "qms/demo/board/2")
	for range 2 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	_, err := o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	serving := func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"state":"serving"`) }
	_, err = l.Wait(ctx, "qms/demo/board/1", serving)
	require.NoError(t, err)
	require.NoError(t, o.Engine().SetPause(ctx, "", "нарада"))
	_, err = l.Wait(ctx, "qms/demo/board/1", containing(`"state":"closed"`))
	require.NoError(t, err)
	before := len(l.Messages("qms/demo/board/1"))
	require.NoError(t, o.Engine().Resume(ctx, "", ""))
	_, err = l.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool {
		return serving(m) && len(l.Messages("qms/demo/board/1")) > before
	})
	require.NoError(t, err)
	// A later message on another board: the publisher has gone on since.
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/2", containing(`"state":"calling"`))
	require.NoError(t, err)
	require.Len(t, l.Messages("qms/demo/board/1"), before+1, "board 1 once, settled")
}

// office.state gives the boards as their topics have them (a call settles
// to serving after board_blink_s), and the seq of its last event: a
// dashboard applies the events after it, none twice, none missed.
func TestOfficeStateAsTopics(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Office.BoardBlinkSec = 1
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Logger: quiet}, "qms/demo/board/1")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	m, err := l.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"state":"serving"`) })
	require.NoError(t, err)
	var board struct{ State, At string }
	require.NoError(t, json.Unmarshal(m.Payload, &board))

	b := officeState(t, ctx, o)
	var st struct {
		Seq      uint64
		Counters []struct{ State, At string }
	}
	require.NoError(t, json.Unmarshal(b, &st))
	require.Equal(t, board, st.Counters[0], "as board/1 says it")
	evs, err := o.Engine().Replay(1, 100)
	require.NoError(t, err)
	require.Equal(t, evs[len(evs)-1].Seq, st.Seq)
}

// The status says, while it lasts, that the store does not work (a full
// disk): an operator sees it beside the logs.
func TestStatusSaysStoreError(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/status")
	office.OnStore(o, errors.New("write q.db: no space left on device"))
	m, err := l.Wait(ctx, "qms/demo/status", containing(`"store_error":"write q.db: no space left on device"`))
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"online":true`)
	// A status set again (as a start does, after the store told of its
	// trouble while opening) keeps the error, and office.state says it.
	office.SetStatus(o, office.Status{Online: true, Site: "demo"})
	b := officeState(t, ctx, o)
	require.Contains(t, string(b), `"store_error":"write q.db: no space left on device"`)
	office.OnStore(o, nil)
	_, err = l.Wait(ctx, "qms/demo/status", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"online":true`) && !strings.Contains(string(m.Payload), "store_error")
	})
	require.NoError(t, err)
}

// A button box that reboots reads its counter's state, retained on
// {root}/counter/{counter}/state: the ticket as the queue holds it (called
// until serve, whatever the board shows after its blink; kept through an
// office pause, when the board shows none), the recalls left, the
// services, the pauses.
func TestCounterBoxState(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: unguarded(t), Logger: quiet}, "qms/demo/counter/2/state")
	const topic = "qms/demo/counter/2/state"
	state := func(why string, match ...string) queue.BoxState {
		t.Helper()
		m, err := l.Wait(ctx, topic, containing(match...))
		require.NoError(t, err, why)
		require.True(t, m.Retained || len(l.Messages(topic)) > 0)
		var b queue.BoxState
		require.NoError(t, json.Unmarshal(m.Payload, &b))
		return b
	}
	b := state("published at the start", `"counter":"2"`)
	require.Equal(t, queue.BoxState{Counter: "2", Services: []string{"social"}, At: b.At}, b)

	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Recall})
	require.NoError(t, err)
	b = state("called, recalled", `"recalls":1`)
	require.Equal(t, queue.BoxState{Counter: "2", Ticket: "А001", State: queue.Called, Service: "social", Recalls: 1, RecallsLeft: 2, Services: []string{"social"}, At: b.At}, b)

	r := o.Admin(ctx, office.AdminRequest{ID: "p", Op: "office.pause", Args: json.RawMessage(`{"reason":"тривога","alert":true}`)})
	require.True(t, r.OK, "%+v", r.Error)
	b = state("the office paused", `"office_paused":true`)
	require.Equal(t, "А001", b.Ticket, "the ticket stays at the counter")
	require.True(t, b.Alert)

	// A box that reboots now gets it retained.
	again, err := sim.Listen(o.BrokerURL(), topic)
	require.NoError(t, err)
	defer again.Close()
	m, err := again.Wait(ctx, topic, nil)
	require.NoError(t, err)
	require.True(t, m.Retained)
	require.Contains(t, string(m.Payload), `"ticket":"А001","state":"called"`)
	require.Contains(t, string(m.Payload), `"office_paused":true`)

	r = o.Admin(ctx, office.AdminRequest{ID: "r", Op: "office.resume"})
	require.True(t, r.OK, "%+v", r.Error)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Serve})
	require.NoError(t, err)
	b = state("serving", `"state":"serving"`)
	require.False(t, b.OfficePaused)
	require.Zero(t, b.RecallsLeft, "a citizen at the counter is not recalled")
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Finish})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Pause})
	require.NoError(t, err)
	b = state("done, then paused", `"paused":true`)
	require.Equal(t, queue.BoxState{Counter: "2", Services: []string{"social"}, Paused: true, At: b.At}, b)
}

// TestCounterAck: every counter command is answered on the counter's ack
// topic under its id, with what the counter has now, or why it was refused;
// a command delivered again is answered again and not repeated. The board
// says when the counter is paused, also while it still has a ticket.
func TestCounterAck(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/counter/+/ack", "qms/demo/board/2", "qms/demo/events")
	for range 2 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	const topic = "qms/demo/counter/2/ack"
	yes, no := true, false
	ack := func(cmd string) office.CounterAck {
		t.Helper()
		var id struct{ ID string }
		require.NoError(t, json.Unmarshal([]byte(cmd), &id))
		n, seen := len(l.Messages(topic)), 0
		require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(cmd), false))
		m, err := l.Wait(ctx, topic, func(m sim.Message) bool {
			seen++ // Wait goes through the topic's messages in order
			return seen > n && strings.Contains(string(m.Payload), `"id":"`+id.ID+`"`)
		})
		require.NoError(t, err)
		var a office.CounterAck
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		return a
	}
	a := ack(`{"action":"next","id":"b2-1"}`)
	require.Equal(t, office.CounterAck{ID: "b2-1", Action: "next", OK: true, Ticket: "А001", State: "called", Paused: &no, At: a.At}, a)

	a = ack(`{"action":"pause","id":"b2-2"}`)
	require.Equal(t, office.CounterAck{ID: "b2-2", Action: "pause", OK: true, Ticket: "А001", State: "called", Paused: &yes, At: a.At}, a)
	_, err := l.Wait(ctx, "qms/demo/board/2", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"ticket":"А001"`) && strings.Contains(string(m.Payload), `"paused":true`)
	})
	require.NoError(t, err, "the board says the counter is paused while its ticket is still at it")

	// A refusal says what the counter has all the same: paused, with А001.
	a = ack(`{"action":"next","id":"b2-3"}`)
	require.Equal(t, office.CounterAck{ID: "b2-3", Action: "next", Ticket: "А001", State: "called", Paused: &yes,
		Reason: "counter_paused", Message: a.Message, At: a.At}, a)
	require.Contains(t, a.Message, "«Продовжити»")

	// b2-1 again (a PUBACK lost, the box sent it again): the same ack,
	// saying it was sent again, and nothing called.
	n := len(l.Messages(topic))
	again := ack(`{"action":"next","id":"b2-1"}`)
	require.Len(t, l.Messages(topic), n+1)
	require.Equal(t, office.CounterAck{ID: "b2-1", Action: "next", OK: true, Ticket: "А001", State: "called", Paused: &no, Again: true, At: again.At}, again)
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Equal(t, queue.Waiting, tks[1].State, "А002 is not called")

	a = ack(`{"action":"resume","id":"b2-4"}`)
	require.Equal(t, office.CounterAck{ID: "b2-4", Action: "resume", OK: true, Ticket: "А001", State: "called", Paused: &no, At: a.At}, a)
	a = ack(`{"action":"done","id":"b2-5"}`)
	require.Equal(t, office.CounterAck{ID: "b2-5", Action: "done", OK: true, Paused: &no, Ended: &office.Ended{Ticket: "А001", State: "done", Service: "social"}, At: a.At}, a)
	_, err = l.Wait(ctx, "qms/demo/board/2", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"state":"idle"`) })
	require.NoError(t, err)
	require.NotContains(t, string(l.Messages("qms/demo/board/2")[len(l.Messages("qms/demo/board/2"))-1].Payload), "paused")

	// A command that cannot be read but under its id is answered too (the
	// box shows why), without the counter's state: it did not run.
	refused := func(cmd, reason, says string) {
		t.Helper()
		a := ack(cmd)
		require.Equal(t, office.CounterAck{ID: a.ID, Action: a.Action, Reason: reason, Message: a.Message, At: a.At}, a, cmd)
		require.Contains(t, a.Message, says, cmd)
	}
	refused(`{"action":"transfer","id":"b2-6"}`, "bad_request", "не вказано послугу")
	refused(`{"action":"call","id":"b2-7"}`, "bad_request", "Не вказано номер талона")
	refused(`{"action":"jump","id":"b2-8"}`, "bad_request", "якої система не розуміє")
	// Refusals that name what is wrong.
	a = ack(`{"action":"next","id":"b2-9"}`)
	require.Equal(t, "А002", a.Ticket)
	a = ack(`{"action":"transfer","to":"social","id":"b2-10"}`)
	require.Equal(t, "same_service", a.Reason)
	require.Contains(t, a.Message, "Талон А002 уже належить до послуги «Соціальний захист»")
	a = ack(`{"action":"call","ticket":"А002","id":"b2-11"}`)
	require.Equal(t, "not_waiting", a.Reason)
	require.Contains(t, a.Message, "уже викликано до вашого робочого місця")
	a = ack(`{"action":"transfer","to":"social","to_counter":"10","id":"b2-12"}`)
	require.Equal(t, "not_served", a.Reason)
	require.Contains(t, a.Message, "Робоче місце 10 не надає послуги «Соціальний захист»: оберіть інше / Counter 10 does not serve Social Protection")
	a = ack(`{"action":"done","id":"b2-13"}`)
	require.True(t, a.OK)
	require.Equal(t, &office.Ended{Ticket: "А002", State: "done", Service: "social"}, a.Ended, "the ack names the ticket it ended")
	a = ack(`{"action":"next","id":"b2-14"}`)
	require.Equal(t, office.CounterAck{ID: "b2-14", Action: "next", OK: true, Paused: &no, Message: "Зараз немає кого викликати. / Nobody to call now.", At: a.At}, a)
	// A call of another ticket a moment after a call puts the first back,
	// and says so: its citizen heard it called, and may come.
	for range 2 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	require.Equal(t, "А003", ack(`{"action":"next","id":"b2-15"}`).Ticket)
	a = ack(`{"action":"call","ticket":"А004","id":"b2-16"}`)
	require.Equal(t, office.CounterAck{ID: "b2-16", Action: "call", OK: true, Ticket: "А004", State: "called", Paused: &no,
		Ended:   &office.Ended{Ticket: "А003", State: "waiting", Service: "social", ForCounter: "2"},
		Message: "Талон А003 повернуто в чергу: його щойно викликали до вас, тож «Наступний» викличе його першим. / Ticket А003 is back in the queue: it was just called to you, so Next calls it first.", At: a.At}, a)
	require.True(t, ack(`{"action":"done","id":"b2-17"}`).OK)

	// A burst beyond what the controller holds at once: every command is
	// answered, served (here refused: nobody is called) or busy, which
	// says nothing of the counter.
	n = len(l.Messages(topic))
	const burst = 400
	for i := range burst {
		require.NoError(t, l.Publish("qms/demo/counter/2/cmd", fmt.Appendf(nil, `{"action":"recall","id":"r%d"}`, i), false))
	}
	seen := 0
	_, err = l.Wait(ctx, topic, func(sim.Message) bool { seen++; return seen >= n+burst })
	require.NoError(t, err, "every command is answered")
	busy := 0
	for _, m := range l.Messages(topic)[n:] {
		var a office.CounterAck
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		require.Contains(t, []string{"no_ticket", "busy"}, a.Reason)
		if a.Reason == "busy" {
			require.Nil(t, a.Paused, "%s", m.Payload)
			busy++
		}
	}
	t.Logf("%d of %d busy", busy, burst)
}

// A counter's flood (a box stuck in a loop) takes no other counter's turn:
// before, counter 2's commands filled the queue all counters share, and
// counter 1's were refused as busy. The flood itself runs at a
// specialist's pace at most, so it cannot fill the store with events.
func TestCounterFloodKeepsOthersServed(t *testing.T) {
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/counter/+/ack")
	start := time.Now()
	const rounds, flood = 10, 100
	for i := range rounds {
		for j := range flood {
			action := []string{"pause", "resume"}[j%2]
			require.NoError(t, l.Publish("qms/demo/counter/2/cmd", fmt.Appendf(nil, `{"action":%q,"id":"f%d-%d"}`, action, i, j), false))
		}
		require.NoError(t, l.Publish("qms/demo/counter/1/cmd", fmt.Appendf(nil, `{"action":"recall","id":"c%d"}`, i), false))
	}
	for len(l.Messages("qms/demo/counter/1/ack")) < rounds || len(l.Messages("qms/demo/counter/2/ack")) < rounds*flood {
		select {
		case <-ctx.Done():
			t.Fatalf("not every command is answered: %d of counter 1's, %d of counter 2's", len(l.Messages("qms/demo/counter/1/ack")), len(l.Messages("qms/demo/counter/2/ack")))
		case <-time.After(10 * time.Millisecond):
		}
	}
	elapsed := time.Since(start)
	ran := 0
	for _, m := range l.Messages("qms/demo/counter/1/ack") {
		var a office.CounterAck
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		require.Equal(t, "no_ticket", a.Reason, "counter 1's command ran: %s", m.Payload)
	}
	for _, m := range l.Messages("qms/demo/counter/2/ack") {
		var a office.CounterAck
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		if a.OK {
			ran++
		} else {
			require.Equal(t, "busy", a.Reason, "%s", m.Payload)
		}
	}
	// A burst of 30, then 2 a second, however long the test took.
	require.LessOrEqual(t, ran, 30+int(elapsed.Seconds()*2)+1, "counter 2's commands that ran in %v", elapsed)
	require.Positive(t, ran)
}

// A no-show sent back to the queue after a grace says so in its ack: the
// box can show that the ticket comes back, and when.
func TestNoShowAckSaysBack(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Office.NoShowGraceMin = 2
	cfg.Office.NextGuardSec = -1 // a no-show at once after the call
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Logger: quiet}, "qms/demo/counter/2/ack")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	for _, cmd := range []string{`{"action":"next","id":"n1"}`, `{"action":"noshow","id":"n2"}`} {
		require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(cmd), false))
	}
	m, err := l.Wait(ctx, "qms/demo/counter/2/ack", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"n2"`) })
	require.NoError(t, err)
	var a office.CounterAck
	require.NoError(t, json.Unmarshal(m.Payload, &a))
	require.True(t, a.OK)
	require.NotNil(t, a.Back, "%s", m.Payload)
	require.Equal(t, "А001", a.Back.Ticket)
	require.WithinRange(t, a.Back.After, a.At.Add(time.Minute), a.At.Add(2*time.Minute))
	require.Equal(t, &office.Ended{Ticket: "А001", State: "waiting", Service: "social", ForCounter: "2"}, a.Ended)

	// A next meanwhile calls nobody, and says when А001 may be called.
	require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(`{"action":"next","id":"n3"}`), false))
	m, err = l.Wait(ctx, "qms/demo/counter/2/ack", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"n3"`) })
	require.NoError(t, err)
	var idle office.CounterAck
	require.NoError(t, json.Unmarshal(m.Payload, &idle))
	require.True(t, idle.OK)
	require.Empty(t, idle.Ticket)
	require.NotNil(t, idle.Due, "%s", m.Payload)
	require.Equal(t, "А001", idle.Due.Ticket)
	require.True(t, a.Back.After.Equal(idle.Due.After))
	at := map[bool]string{true: "об", false: "о"}[a.Back.After.Hour() == 11]
	require.Equal(t, "Зараз немає кого викликати: талон А001 можна буде викликати "+at+" "+a.Back.After.Format("15:04")+". / Nobody to call now: ticket А001 may be called at "+a.Back.After.Format("15:04")+".", idle.Message)

	// Called by its label, and a no-show again: it ends, and the ack
	// says why it did not go back.
	for _, cmd := range []string{`{"action":"call","ticket":"А001","id":"n4"}`, `{"action":"noshow","id":"n5"}`} {
		require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(cmd), false))
	}
	m, err = l.Wait(ctx, "qms/demo/counter/2/ack", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"n5"`) })
	require.NoError(t, err)
	var ended office.CounterAck
	require.NoError(t, json.Unmarshal(m.Payload, &ended))
	require.True(t, ended.OK, "%s", m.Payload)
	require.Nil(t, ended.Back)
	require.Equal(t, "noshow", ended.Ended.State)
	require.Equal(t, "Талон А001 завершено як неявку: його вже повертали в чергу після неявки. / Ticket А001 ended as a no-show: it had already been sent back once.", ended.Message)
}

// TestLampsAndBuzzer lights a kiosk button's lamp while its service can
// issue, beeps the buzzer for a press (once, twice for a priority ticket,
// three times for one refused), and lights a counter's busy lamp while it
// has a ticket.
func TestLampsAndBuzzer(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	// The office's own pins: social's lamp GPIO23, the buzzer GPIO18,
	// counter 1's busy lamp GPIO26.
	require.Equal(t, "GPIO23", cfg.Kiosks[0].Buttons[0].Lamp)
	require.Equal(t, "GPIO18", cfg.Kiosks[0].Buzzer)
	require.Equal(t, "GPIO26", cfg.Counters[0].Lamp)
	cfg.Services[0].DailyCap = 1
	require.NoError(t, cfg.Validate())

	h := newHeader()
	pin := h.pin
	ctx, _, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open}, "qms/demo/#")

	require.NoError(t, pin("GPIO23").WaitLevel(gpio.High, 10*time.Second), "social can issue: its lamp is lit")
	require.NoError(t, pin("GPIO26").WaitLevel(gpio.Low, 10*time.Second), "counter 1 is idle")

	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	highs := func() int { return countLevel(pin("GPIO18").Outs(), gpio.High) }
	require.Equal(t, 1, highs(), "the buzzer beeped once: a ticket")
	require.NoError(t, pin("GPIO23").WaitLevel(gpio.Low, 10*time.Second), "the daily cap of one is reached: the lamp goes dark")
	// A priority ticket beeps twice: a blind citizen who held the
	// button knows it was taken so.
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"pension","priority":true}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"ticket":"П001"`) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return highs() == 3 }, 10*time.Second, 10*time.Millisecond, "two beeps more")
	// A refused press beeps three times: a kiosk without a screen has no
	// other way to say it gives nothing.
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"daily_cap"`) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return highs() == 6 }, 10*time.Second, 10*time.Millisecond, "three beeps more")
	require.NoError(t, pin("GPIO18").WaitLevel(gpio.Low, 10*time.Second), "then quiet")

	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	require.NoError(t, pin("GPIO26").WaitLevel(gpio.High, 10*time.Second), "counter 1 called a ticket: busy")
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"done"}`), false))
	require.NoError(t, pin("GPIO26").WaitLevel(gpio.Low, 10*time.Second), "done: idle again")
}

// A press the kiosk refused is counted in the day's figures, by reason,
// and goes out as a press.refused event; its delivery again is answered
// again, not counted again.
func TestRefusedPressCounted(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Services[0].DailyCap = 1
	require.NoError(t, cfg.Validate())
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: newHeader().open}, "qms/demo/kiosk/k1/ticket", "qms/demo/events", "qms/demo/load")

	for i, id := range []string{"a", "b", "b"} {
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"`+id+`"}`), false))
		n := 0
		_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(sim.Message) bool { n++; return n > i })
		require.NoError(t, err)
	}
	// A press refused for another reason after them: its count comes
	// after any of theirs.
	require.True(t, o.Admin(ctx, office.AdminRequest{ID: "p", Op: "service.pause", Args: json.RawMessage(`{"service":"social","reason":"нарада"}`)}).OK)
	// The load's row says why, for a page that reads only the load.
	_, err = l.Wait(ctx, "qms/demo/load", containing(`"paused":true,"reason":"нарада","refused":"paused"`))
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"c"}`), false))
	_, err = l.Wait(ctx, "qms/demo/events", containing(`"reason":"paused"`))
	require.NoError(t, err)
	refused := slices.DeleteFunc(decodeAll[queue.Event](t, l.Messages("qms/demo/events")), func(e queue.Event) bool { return e.Type != queue.EvRefused })
	require.Len(t, refused, 2, "one refused for the cap, the other paused")
	require.Equal(t, "k1", refused[0].Kiosk)
	require.Equal(t, "social", refused[0].Service)
	require.Equal(t, "daily_cap", refused[0].Reason)

	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "stats.get"})
	require.True(t, r.OK, "%+v", r.Error)
	var st struct {
		Total    map[string]json.RawMessage            `json:"total"`
		Services map[string]map[string]json.RawMessage `json:"services"`
	}
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &st))
	require.JSONEq(t, `{"daily_cap":1,"paused":1}`, string(st.Services["social"]["refused"]), "%s", b)
	require.JSONEq(t, `{"daily_cap":1,"paused":1}`, string(st.Total["refused"]))
	require.JSONEq(t, `1`, string(st.Total["issued"]))
}

// A counter with GPIO buttons has no screen: a refused press flashes its
// busy lamp, which then stays as it was.
func TestCounterLampSaysRefusal(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	require.Equal(t, "GPIO26", cfg.Counters[0].Lamp)
	h := newHeader()
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open}, "qms/demo/errors")
	for range 2 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	office.ButtonCommand(o, "1", queue.Next)
	lamp := h.pin("GPIO26")
	require.NoError(t, lamp.WaitLevel(gpio.High, 10*time.Second), "busy")
	lows := countLevel(lamp.Outs(), gpio.Low)
	office.ButtonCommand(o, "1", queue.Next) // at once: a double press
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`"reason":"just_called"`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countLevel(lamp.Outs(), gpio.Low) >= lows+3 }, 10*time.Second, 10*time.Millisecond, "dark three times")
	require.NoError(t, lamp.WaitLevel(gpio.High, 10*time.Second), "and busy again")

	// During an air-raid alert the board is closed and the lamp dark,
	// though the counter keeps its ticket: a refused press leaves it dark.
	require.True(t, o.Admin(ctx, office.AdminRequest{ID: "a", Op: "office.pause", Args: json.RawMessage(`{"reason":"повітряна тривога"}`)}).OK)
	require.NoError(t, lamp.WaitLevel(gpio.Low, 10*time.Second), "closed")
	highs := countLevel(lamp.Outs(), gpio.High)
	office.ButtonCommand(o, "1", queue.Next)
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`"reason":"office_paused"`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countLevel(lamp.Outs(), gpio.High) >= highs+3 }, 10*time.Second, 10*time.Millisecond, "lit three times")
	require.NoError(t, lamp.WaitLevel(gpio.Low, 10*time.Second), "and dark again")
	require.Equal(t, gpio.Low, lamp.Outs()[len(lamp.Outs())-1])

	// A press that could not be saved (it waited too long for a stalled
	// store) did nothing either: pressed again, it runs afresh.
	highs = countLevel(lamp.Outs(), gpio.High)
	office.ButtonCommandStale(o, "1", queue.Next)
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`"reason":"timeout"`))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return countLevel(lamp.Outs(), gpio.High) >= highs+3 }, 10*time.Second, 10*time.Millisecond, "lit three times")
}

// TestKioskScanner scans a ticket's QR code, an appointment code and
// something else at the kiosk's serial scanner (a real pty).
func TestKioskScanner(t *testing.T) {
	sc := startScanner(t)
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Kiosks[0].Scanner = "serial:" + sc.Path()
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/#")
	var second queue.Issued
	for range 2 {
		second, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}

	const topic = "qms/demo/kiosk/k1/scan"
	scan := func(code string) office.ScanResult {
		n := len(l.Messages(topic))
		require.NoError(t, sc.Scan(code))
		_, err := l.Wait(ctx, topic, func(sim.Message) bool { return len(l.Messages(topic)) > n })
		require.NoError(t, err)
		var r office.ScanResult
		require.NoError(t, json.Unmarshal(l.Messages(topic)[n].Payload, &r))
		return r
	}
	r := scan(fmt.Sprintf("https://cherga.local/t/demo/%d", second.Ticket.ID))
	require.Equal(t, "ticket", r.Kind)
	require.True(t, r.OK)
	require.Equal(t, "А002", r.Ticket)
	require.Equal(t, "waiting", r.State)
	require.Equal(t, "social", r.Service)
	require.Equal(t, 1, r.Ahead)
	require.Regexp(t, `^Талон А002 у черзі\. Перед вами: 1\x{a0}особа\. Очікування: (менше хвилини|близько \d+\x{a0}хв)\. / Ticket А002 is in the queue\. People ahead: 1\. Wait: (under a minute|about \d+\x{a0}min)\.$`, r.Message)

	// Called, it says where to go, and nothing of a wait.
	_, err = o.Engine().CallTicket(ctx, "5", "А002")
	require.NoError(t, err)
	n := len(l.Messages(topic))
	require.NoError(t, sc.Scan(fmt.Sprintf("https://cherga.local/t/demo/%d", second.Ticket.ID)))
	m, err := l.Wait(ctx, topic, func(sim.Message) bool { return len(l.Messages(topic)) > n })
	require.NoError(t, err)
	m = l.Messages(topic)[n]
	require.NoError(t, json.Unmarshal(m.Payload, &r))
	require.Equal(t, "called", r.State)
	require.Equal(t, "5", r.Counter)
	require.True(t, r.OK)
	require.Equal(t, "Вас викликано: вікно\u00a05 / You have been called: counter\u00a05", r.Message)
	require.NotContains(t, string(m.Payload), "ahead")
	require.NotContains(t, string(m.Payload), "eta_min")

	// Ended, it is no longer valid: the citizen takes a new one.
	_, err = o.Engine().Counter(ctx, "5", queue.Command{Action: queue.Finish})
	require.NoError(t, err)
	r = scan(fmt.Sprintf("https://cherga.local/t/demo/%d", second.Ticket.ID))
	require.Equal(t, "ticket", r.Kind)
	require.False(t, r.OK)
	require.Equal(t, "done", r.State)
	require.Equal(t, "ended", r.Reason)
	require.Equal(t, "Талон А002 уже недійсний. Якщо вам потрібна послуга, будь ласка, візьміть новий талон. / Ticket А002 is no longer valid. If you need a service, please take a new ticket.", r.Message)

	r = scan("https://cherga.local/t/demo/9999")
	require.Equal(t, "ticket", r.Kind)
	require.False(t, r.OK)
	require.Equal(t, "not_found", r.Reason)

	// What cannot be read is answered too, not only reported on errors.
	n = len(l.Messages(topic))
	require.NoError(t, sc.Write([]byte("\x01\xff\xfe\r\n")))
	_, err = l.Wait(ctx, topic, func(sim.Message) bool { return len(l.Messages(topic)) > n })
	require.NoError(t, err)
	var bad office.ScanResult
	require.NoError(t, json.Unmarshal(l.Messages(topic)[n].Payload, &bad))
	require.Equal(t, office.ScanResult{Kind: "error", Reason: "unreadable", At: bad.At,
		Message: "Код не вдалося прочитати. Будь ласка, відскануйте ще раз або візьміть талон. / The code could not be read. Please scan again or take a ticket."}, bad)
	_, err = l.Wait(ctx, "qms/demo/errors", containing("scanner"))
	require.NoError(t, err)

	r = scan("AB12CD34")
	require.Equal(t, "appointment", r.Kind)
	require.False(t, r.OK)
	require.Equal(t, "not_found", r.Reason, "no booking has it")
	require.Contains(t, r.Message, "Запис за цим кодом не знайдено")

	r = scan("hello world")
	require.Equal(t, "unknown", r.Kind)

	// The English half reads a Cyrillic label as the English voice says
	// it, as the ticket prints it.
	ts, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	r = scan(fmt.Sprintf("https://cherga.local/t/demo/%d", ts.Ticket.ID))
	require.Contains(t, r.Message, "Талон Ц001 у черзі.")
	require.Contains(t, r.Message, "Ticket Ts001 is in the queue.")
	// Its only counter on a break: the wait is unknown, and it says why,
	// as the ticket did.
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Pause})
	require.NoError(t, err)
	r = scan(fmt.Sprintf("https://cherga.local/t/demo/%d", ts.Ticket.ID))
	require.Equal(t, "Талон Ц001 у черзі. Перед вами нікого немає. Зараз перерва в\u00a0прийомі: очікуйте виклику. / Ticket Ts001 is in the queue. No one is ahead of you. Service is on a break: please wait to be called.", r.Message)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Resume})
	require.NoError(t, err)
	// In an air-raid alert it sends the citizen to the shelter.
	require.NoError(t, o.Engine().Pause(ctx, "", queue.Paused{Alert: true, AlertSaid: true}))
	r = scan(fmt.Sprintf("https://cherga.local/t/demo/%d", ts.Ticket.ID))
	require.Equal(t, "Талон Ц001 у черзі. Перед вами нікого немає. Повітряна тривога: пройдіть до\u00a0укриття. Ваше місце в\u00a0черзі збережено. / Ticket Ts001 is in the queue. No one is ahead of you. Air-raid alert: please go to the shelter. Your place in the queue is kept.", r.Message)
	require.NoError(t, o.Engine().Resume(ctx, "", ""))

	// The administrator moves the status pages: the scanner reads the
	// tickets by the new URL at once. One without {id}, which it could not
	// read by, is refused (the controller could not start again with it).
	set := func(url string) office.AdminResponse {
		return o.Admin(ctx, office.AdminRequest{ID: url, Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"status_url":"` + url + `"}}}`)})
	}
	ar := set("https://q.example.gov.ua/s/{ticket}")
	require.False(t, ar.OK)
	require.Equal(t, "config.office.status_url", ar.Error.Field)
	require.True(t, set("https://q.example.gov.ua/s/{site}/{id}").OK)
	r = scan(fmt.Sprintf("https://q.example.gov.ua/s/demo/%d", second.Ticket.ID))
	require.Equal(t, "ticket", r.Kind)
	require.Equal(t, "А002", r.Ticket)
}

// startOffice runs an office (opts with Config set, and any seams) on the
// embedded broker with a fresh bbolt file, and a listener on filters; both
// stop at the end of the test.
func startOffice(t *testing.T, opts office.Opts, filters ...string) (context.Context, *office.Office, *sim.Listener) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	opts.DB, opts.Broker, opts.Listen = filepath.Join(t.TempDir(), "o.db"), "embedded", "127.0.0.1:0"
	o, err := office.Start(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { o.Close() })
	l, err := sim.Listen(o.BrokerURL(), filters...)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	return ctx, o, l
}

// header is a fake GPIO header: devicetest pins on one fake clock, opened
// by the office through office.Opts.Pin.
type header struct {
	clock *devicetest.Clock
	mu    sync.Mutex
	pins  map[string]*devicetest.Pin
	busy  map[string]bool // lines another program holds: In fails
}

// busyPin is a line another program or an overlay holds: it cannot be
// taken as an input.
type busyPin struct{ *devicetest.Pin }

func (busyPin) In(gpio.Pull, gpio.Edge) error {
	return errors.New("line_request ioctl: device or resource busy")
}

// countLevel counts the times a pin was set to level.
func countLevel(outs []gpio.Level, level gpio.Level) int {
	n := 0
	for _, l := range outs {
		if l == level {
			n++
		}
	}
	return n
}

func newHeader() *header {
	return &header{clock: devicetest.NewClock(time.Now()), pins: map[string]*devicetest.Pin{}}
}

func (h *header) open(name string) (gpio.PinIO, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := devicetest.NewPin(name, h.clock)
	h.pins[name] = p
	if h.busy[name] {
		return busyPin{p}, nil
	}
	return p, nil
}

func (h *header) pin(name string) *devicetest.Pin {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pins[name]
}

// A kiosk button whose line cannot be taken at start (another program or
// an overlay holds it), or whose line is lost since, is reported on
// {root}/errors, naming its pin, and its lamp stays dark while the others
// are lit: a citizen does not press a lit button that gives nothing. A
// line that comes back lights its lamp again. A priority button's lamp
// stays lit near closing, after the ordinary buttons' go dark (office.
// refuse_late: a priority ticket is still served).
func TestKioskButtonLamps(t *testing.T) {
	cfg := roundTheClock(t)
	for day := range cfg.Office.Hours {
		cfg.Office.Hours[day] = "09:00-17:00"
	}
	cfg.Office.RefuseLate = true
	cfg.Kiosks[0].Buttons = append(cfg.Kiosks[0].Buttons, config.KioskButton{Service: "employment", Pin: "GPIO16", Lamp: "GPIO20", Category: "veteran"})
	require.NoError(t, cfg.Validate())
	at := time.Date(2026, 11, 23, 16, 30, 0, 0, cfg.Location())
	h := newHeader()
	h.busy = map[string]bool{"GPIO17": true} // social's button
	log := &testkit.Log{}
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open, ButtonClock: h.clock, Now: func() time.Time { return at }, Logger: slog.New(slog.NewTextHandler(log, nil))}, "qms/demo/kiosk/k1/ticket", "qms/demo/errors")
	lit := func(name string) bool { return h.pin(name).Read() == gpio.High }
	// errs are the errors of office.state's buttons, by pin.
	errs := func() map[string]string {
		t.Helper()
		b := officeState(t, ctx, o)
		var st struct{ Buttons []office.ButtonCount }
		require.NoError(t, json.Unmarshal(b, &st))
		out := map[string]string{}
		for _, b := range st.Buttons {
			out[b.Pin] = b.Error
		}
		return out
	}
	// A press answered: the lamps were lit after it was served.
	n := 0
	press := func(body string) string {
		t.Helper()
		n++
		id := fmt.Sprintf(`"press":"p%d"`, n)
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", fmt.Appendf(nil, `{%s,"id":"p%d"}`, body, n), false))
		m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(id))
		require.NoError(t, err)
		return string(m.Payload)
	}
	// Reported on {root}/errors too, as Start ends: to a dashboard
	// subscribed before.
	log.Await(t, ctx, `level=ERROR msg="office: button not available: its presses are lost until it is fixed (is the line taken by another program or a device-tree overlay? gpioinfo lists the lines and who holds them)" button="kiosk k1 social" pin=GPIO17 err="device: button \"kiosk k1 social\" on GPIO17: line_request ioctl: device or resource busy"`, "the dead button")
	require.Contains(t, press(`"service":"pension"`), `"ok":true`)
	require.False(t, lit("GPIO23"), "social's button is dead")
	require.True(t, lit("GPIO24"))
	// office.state lists it with why: an administrator asks why a lamp is
	// dark.
	require.Equal(t, map[string]string{
		"GPIO17": `office: button kiosk k1 social on GPIO17 is not available, and its presses are lost: device: button "kiosk k1 social" on GPIO17: line_request ioctl: device or resource busy`,
		"GPIO27": "", "GPIO22": "", "GPIO16": "", // the other kiosk buttons
		"GPIO5": "", "GPIO6": "", "GPIO13": "", "GPIO19": "", // counter 1's
	}, errs())

	// Pension's line lost, then back.
	pension := h.pin("GPIO27")
	pension.SetGone(true)
	for len(l.Messages("qms/demo/errors")) == 0 {
		require.NoError(t, h.clock.WaitTimers(1, 10*time.Second))
		h.clock.Advance(200 * time.Millisecond)
	}
	_, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"kiosk/k1 gpio GPIO27","error":"office: button kiosk k1 pension on GPIO27: its GPIO line gives no edges any more`))
	require.NoError(t, err)
	require.Contains(t, press(`"service":"pension"`), `"ok":true`)
	require.False(t, lit("GPIO24"), "pension's line is lost")
	require.Contains(t, errs()["GPIO27"], "its GPIO line gives no edges any more")
	pension.SetGone(false)
	for !lit("GPIO24") {
		require.NoError(t, h.clock.WaitTimers(1, 10*time.Second))
		h.clock.Advance(200 * time.Millisecond)
		// A press the kiosk answers after lighting its lamps, that issues
		// nothing: pension's tickets would fill its last half hour.
		press(`"service":"nope"`)
	}
	require.Empty(t, errs()["GPIO27"], "its line is back")

	// Near closing: the first employment ticket takes the last visit.
	require.True(t, lit("GPIO25"))
	require.True(t, lit("GPIO20"))
	require.Contains(t, press(`"service":"employment"`), `"ok":true`)
	full := press(`"service":"employment"`)
	require.Contains(t, full, `"reason":"full"`)
	require.Regexp(t, `вас уже не встигнуть прийняти\. Цю послугу надаватимуть [^"]+ з \d\d:\d\d\. / No more tickets .+ This service will be available .+ from \d\d:\d\d\."`, full, "when to come back")
	require.False(t, lit("GPIO25"), "an ordinary ticket would be late")
	require.True(t, lit("GPIO20"), "a veteran's is not")
	require.Contains(t, press(`"service":"employment","category":"veteran"`), `"ok":true`)
}

// TestKioskLongPressPriority: holding a kiosk button for long_press_ms
// gives a priority ticket, a short press an ordinary one; a priority
// button, or a press over MQTT with a category, gives one of its category.
func TestKioskLongPressPriority(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Kiosks[0].LongPressMS = 1000
	cfg.Kiosks[0].Buttons = append(cfg.Kiosks[0].Buttons, config.KioskButton{Service: "social", Pin: "GPIO16", Category: "disability"})
	require.NoError(t, cfg.Validate())
	h := newHeader()
	clock := h.clock
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open, ButtonClock: clock}, "qms/demo/kiosk/#")
	social := h.pin("GPIO17")
	step := func(d time.Duration) {
		require.NoError(t, social.WaitIdle(10*time.Second))
		clock.Advance(d)
		require.NoError(t, social.WaitIdle(10*time.Second))
	}
	issued := func(label string) queue.Ticket {
		_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), label) })
		require.NoError(t, err)
		tickets, err := o.Engine().Tickets(ctx)
		require.NoError(t, err)
		return tickets[len(tickets)-1]
	}

	social.Edge(gpio.Low) // a short press, reported on release
	step(30 * time.Millisecond)
	step(200 * time.Millisecond)
	social.Edge(gpio.High)
	step(30 * time.Millisecond)
	require.False(t, issued("А001").Priority)

	step(3 * time.Second) // past the mash interval
	social.Edge(gpio.Low) // held for the long press
	step(30 * time.Millisecond)
	step(time.Second)
	require.True(t, issued("А002").Priority, "held for long_press_ms: a priority ticket")
	social.Edge(gpio.High)
	step(30 * time.Millisecond)

	button := h.pin("GPIO16")
	stepButton := func(d time.Duration) {
		require.NoError(t, button.WaitIdle(10*time.Second))
		clock.Advance(d)
		require.NoError(t, button.WaitIdle(10*time.Second))
	}
	stepButton(3 * time.Second)
	button.Edge(gpio.Low) // a short press of the priority button
	stepButton(30 * time.Millisecond)
	stepButton(200 * time.Millisecond)
	button.Edge(gpio.High)
	stepButton(30 * time.Millisecond)
	tk := issued("А003")
	require.True(t, tk.Priority)
	require.Equal(t, "disability", tk.Category)

	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","category":"veteran"}`), false))
	tk = issued("А004")
	require.True(t, tk.Priority)
	require.Equal(t, "veteran", tk.Category)
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","category":"astronaut","id":"x"}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"press":"x"`) && strings.Contains(string(m.Payload), `"ok":false`)
	})
	require.NoError(t, err)
}

// TestServeShowsServing: a counter's serve (the citizen came) shows the
// board as serving at once, long before the call would settle by itself.
func TestServeShowsServing(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Office.BoardBlinkSec = 3600
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/#")
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	state := func(want string) func(sim.Message) bool {
		return func(m sim.Message) bool {
			var b struct{ Ticket, State string }
			return json.Unmarshal(m.Payload, &b) == nil && b.Ticket == "А001" && b.State == want
		}
	}
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/board/1", state("calling"))
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"serve"}`), false))
	_, err = l.Wait(ctx, "qms/demo/board/1", state("serving"))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/events", func(m sim.Message) bool {
		var ev queue.Event
		return json.Unmarshal(m.Payload, &ev) == nil && ev.Type == queue.EvServing && ev.Ticket.State == queue.Serving
	})
	require.NoError(t, err)
}

// TestGPIOOutOfReachStopsStart: a host with no GPIO chip runs without its
// GPIO buttons and lamps (a laptop, the simulator), but a chip the service
// user may not open is a wrong installation: Start fails with the device
// file and the fix, rather than running with dead buttons.
func TestGPIOOutOfReachStopsStart(t *testing.T) {
	denied := func(string) (gpio.PinIO, error) {
		return nil, fmt.Errorf("%w /dev/gpiochip0 (permission denied): user cherga may not use GPIO; add it to the group gpio", device.ErrGPIOAccess)
	}
	noChip := func(name string) (gpio.PinIO, error) {
		return nil, fmt.Errorf("%w: no GPIO chip found, so no pin %q", device.ErrNoGPIO, name)
	}
	noLamps := func(cfg *config.Config) {
		for i := range cfg.Counters {
			cfg.Counters[i].Lamp = ""
		}
		for i := range cfg.Kiosks {
			cfg.Kiosks[i].Buzzer = ""
			for j := range cfg.Kiosks[i].Buttons {
				cfg.Kiosks[i].Buttons[j].Lamp = ""
			}
		}
	}
	tests := []struct {
		name   string
		pin    func(string) (gpio.PinIO, error)
		edit   func(*config.Config)
		failed bool
	}{
		{"no chip", noChip, func(*config.Config) {}, false},
		{"lamps out of reach", denied, func(*config.Config) {}, true},
		{"buttons out of reach", denied, noLamps, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := firmwareconfig.Example("round-the-clock")
			require.NoError(t, err)
			cfg.Kiosks[0].Printer = "none"
			tc.edit(cfg)
			require.NoError(t, cfg.Validate())
			o, err := office.Start(context.Background(), office.Opts{Config: cfg, Pin: tc.pin,
				DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0"})
			if !tc.failed {
				require.NoError(t, err)
				require.NoError(t, o.Close())
				return
			}
			require.ErrorIs(t, err, device.ErrGPIOAccess)
			require.ErrorContains(t, err, "/dev/gpiochip0")
			require.ErrorContains(t, err, "group gpio")
			require.Nil(t, o)
		})
	}
}

// A counter whose board takes CP1251 gets its text topic in CP1251.
func TestTextBoardCharset(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Counters[0].Board.Text.Charset = "cp1251"
	require.NoError(t, cfg.Validate())
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/board/1/text")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/1/text", func(m sim.Message) bool {
		return string(m.Payload) == "\xc0001 > 1"
	})
	require.NoError(t, err)
}

// An AWTRIX board frames its app in red as stale when nothing updates it
// for its lifetime: the controller sends every AWTRIX app again, as the
// board shows it, well within it, whether or not anything changed.
// The load is sent again now and then, unchanged but for its sent: an
// announcer just restarted tells from the freshest of what the broker
// kept for it how long the calls kept with it waited there. Its seq, the
// latest event sent before it, tells a follower of the events in a quiet
// office that it lost the last ones.
func TestLoadSentAgain(t *testing.T) {
	// A follower of the events: the office sends them (holdEvents).
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), LoadRefresh: 50 * time.Millisecond}, "qms/demo/load", "qms/demo/events")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	seq, err := o.Engine().LastSeq(ctx)
	require.NoError(t, err)
	type load struct {
		Waiting  int
		At, Sent time.Time
		Seq      uint64
	}
	var first load
	_, err = l.Wait(ctx, "qms/demo/load", func(m sim.Message) bool {
		require.NoError(t, json.Unmarshal(m.Payload, &first))
		return first.Waiting == 1
	})
	require.NoError(t, err)
	m, err := l.Wait(ctx, "qms/demo/load", func(m sim.Message) bool {
		var again load
		require.NoError(t, json.Unmarshal(m.Payload, &again))
		return again.Sent.After(first.Sent.Add(100 * time.Millisecond))
	})
	require.NoError(t, err)
	var again load
	require.NoError(t, json.Unmarshal(m.Payload, &again))
	require.Equal(t, 1, again.Waiting)
	require.True(t, again.At.Equal(first.At), "unchanged: %v, %v", first.At, again.At)
	require.Equal(t, seq, again.Seq, "the ticket's event was sent before it")
}

// After a restart, before any event is sent again, the load's seq is
// the latest the broker acknowledged before it: a follower that lost the
// last events of the run before can tell in a quiet office too.
func TestLoadSeqAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	start := func() (*office.Office, *sim.Listener) {
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
		require.NoError(t, err)
		l, err := sim.Listen(o.BrokerURL(), "qms/demo/load", "qms/demo/events")
		require.NoError(t, err)
		return o, l
	}
	o, l := start()
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	seq, err := o.Engine().LastSeq(ctx)
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/events", containing(fmt.Sprintf(`"seq":%d,`, seq)))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return o.Engine().Acked() == seq }, 10*time.Second, 10*time.Millisecond)
	l.Close()
	require.NoError(t, o.Close())

	o, l = start()
	defer o.Close()
	defer l.Close()
	m, err := l.Wait(ctx, "qms/demo/load", nil)
	require.NoError(t, err)
	var load struct{ Seq uint64 }
	require.NoError(t, json.Unmarshal(m.Payload, &load))
	require.Equal(t, seq, load.Seq)
}

func TestAwtrixAppSentAgain(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, AwtrixRefresh: 50 * time.Millisecond}, "awtrix_demo_13/#")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_demo_13/custom/cherga", func(m sim.Message) bool { return strings.Contains(string(m.Payload), "Ц001") })
	require.NoError(t, err)
	apps := func() int {
		n := 0
		for _, m := range l.Messages("awtrix_demo_13/custom/cherga") {
			var app struct {
				Text         string
				Lifetime     int
				LifetimeMode int
			}
			require.NoError(t, json.Unmarshal(m.Payload, &app))
			require.Equal(t, 300, app.Lifetime, "%s", m.Payload)
			require.Equal(t, 1, app.LifetimeMode, "marked stale, not removed")
			if app.Text == "Ц001" {
				n++
			}
		}
		return n
	}
	before := apps()
	for apps() < before+3 {
		select {
		case <-ctx.Done():
			t.Fatal("the app was not sent again")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// A kiosk without a printer (a screen that shows the number) cannot
// reprint: the administrator is told so, not answered as if it printed.
func TestReprintOnScreenKiosk(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	ctx, o, _ := startOffice(t, office.Opts{Config: cfg}, "qms/demo/status")
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	ar := o.Admin(ctx, office.AdminRequest{ID: "r", Op: "ticket.reprint", Args: json.RawMessage(`{"ticket":"` + iss.Ticket.Label + `"}`)})
	require.False(t, ar.OK)
	require.Equal(t, "kiosk", ar.Error.Field)
	require.Contains(t, ar.Error.Message, "no printer")
}

// A start that fails (its broker's port taken, a pin out of reach) has
// changed nothing: the file that dropped a service did not expire its
// waiting tickets, which the start would have done had it run.
func TestFailedStartChangesNothing(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	ctx := context.Background()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	require.NoError(t, o.Close())

	less := roundTheClock(t)
	less.Services = slices.DeleteFunc(less.Services, func(s config.Service) bool { return s.ID == "employment" })
	less.Counters = slices.DeleteFunc(less.Counters, func(c config.Counter) bool { return slices.Contains(c.Services, "employment") })
	less.Kiosks[0].Buttons = slices.DeleteFunc(less.Kiosks[0].Buttons, func(b config.KioskButton) bool { return b.Service == "employment" })
	require.NoError(t, less.Validate())
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	_, err = office.Start(ctx, office.Opts{Config: less, DB: db, Broker: "embedded", Listen: taken.Addr().String()})
	require.Error(t, err, "the port is taken")
	noAccess := func(string) (gpio.PinIO, error) { return nil, fmt.Errorf("gpiochip0: %w", device.ErrGPIOAccess) }
	_, err = office.Start(ctx, office.Opts{Config: less, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Pin: noAccess})
	require.ErrorIs(t, err, device.ErrGPIOAccess)

	e, err := queue.Open(db, cfg, nil)
	require.NoError(t, err)
	defer e.Close()
	tks, err := e.Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 1)
	require.Equal(t, iss.Ticket.Label, tks[0].Label)
	require.Equal(t, queue.Waiting, tks[0].State, "still waiting")
}

// A board says "off_hours":true outside the hours of every service of its
// counter, also while a citizen is still at it after closing, and not
// within them: docs/mqtt.md's {root}/board/{counter}.
func TestBoardSaysOffHours(t *testing.T) {
	cfg := firmwareconfig.Default() // mon-thu 09:00-17:00
	cfg.Kiosks[0].Printer = "none"
	cfg.Office.RefuseLate = false
	kyiv := cfg.Location()
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 7, 30, 0, 0, kyiv)) // a Monday
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Now: clk.Now}, "qms/demo/board/1", "qms/demo/events")
	// A call on the fake clock, long past for the real one, shows settled
	// as serving at once: the state tells the ticket's visit, not more.
	board := func(ticket bool, offHours bool) {
		t.Helper()
		_, err := l.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool {
			var b struct {
				Ticket   string
				OffHours bool `json:"off_hours"`
			}
			return json.Unmarshal(m.Payload, &b) == nil && (b.Ticket != "") == ticket && b.OffHours == offHours
		})
		require.NoError(t, err, "a ticket %t, off_hours %t", ticket, offHours)
	}
	board(false, true)
	clk.Set(time.Date(2026, 11, 23, 16, 50, 0, 0, kyiv))
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	board(true, false)
	clk.Set(time.Date(2026, 11, 23, 17, 5, 0, 0, kyiv))
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err)
	board(true, true)
}

// officeState is office.state's answer, as chergactl gets it: JSON.
func officeState(t testing.TB, ctx context.Context, o *office.Office) []byte {
	t.Helper()
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "office.state"})
	require.True(t, r.OK, "%+v", r.Error)
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	return b
}
