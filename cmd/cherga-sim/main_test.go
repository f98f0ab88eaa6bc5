package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/sim"
)

// A refused counter command is told at the terminal as its specialist
// reads it (the message, Ukrainian first), not as the error for whoever
// looks into it; an input refused with no message for a person shows the
// error.
func TestTellRefusal(t *testing.T) {
	said := told(t, "errors")
	require.Equal(t, "  refused: counter/1: Талон А001 щойно викликано / Ticket А001 was just called\n",
		said(`{"source":"counter/1","error":"queue: ticket А001 was just called","reason":"just_called","message":"Талон А001 щойно викликано / Ticket А001 was just called"}`))
	require.Equal(t, "  refused: admin: office: a retained message was refused\n",
		said(`{"source":"admin","error":"office: a retained message was refused"}`))
}

// The number keys' list says what each button gives: a category's
// button beside its service's ordinary one is not a second of the same.
func TestListButtons(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	k := config.Kiosk{ID: "k2", Buttons: []config.KioskButton{{Service: "social"}, {Service: "social", Category: "disability"}, {Service: "pension", Priority: true}}}
	var b strings.Builder
	listButtons(&b, cfg, k)
	require.Equal(t, "  1  Соціальний захист (А)\n  2  Соціальний захист (А), priority: disability\n  3  Пенсійний фонд (П), priority\n", b.String())
}

// The office's pause and its end are told in words, Ukrainian first,
// with the reason when there is one, each half of it in its language's: a
// reason in Ukrainian alone is not put into the English.
func TestTellPause(t *testing.T) {
	said := told(t, "events")
	require.Equal(t, "  ⚠ прийом призупинено: повітряна тривога / the office is paused\n",
		said(`{"seq":7,"type":"office.paused","at":"2026-12-04T10:00:00+02:00","reason":"повітряна тривога","alert":true}`))
	require.Equal(t, "  ⚠ прийом призупинено: нарада / the office is paused: staff meeting\n",
		said(`{"seq":9,"type":"office.paused","at":"2026-12-04T11:00:00+02:00","reason":"нарада / staff meeting"}`))
	require.Equal(t, "  прийом відновлено / the office resumed\n", said(`{"seq":8,"type":"office.resumed","at":"2026-12-04T10:30:00+02:00"}`))
}

// A counter command that was done says what the counter has now: a key
// that seemed to do nothing would be pressed again. A call says itself
// aloud instead.
func TestTellAck(t *testing.T) {
	said := told(t, "counter/1/ack")
	require.Equal(t, "  вікно 1 / counter 1: прийом А001 / serving А001\n", said(`{"action":"serve","ok":true,"ticket":"А001","state":"serving","paused":false}`))
	require.Equal(t, "  вікно 1 / counter 1: вільно / free\n", said(`{"action":"done","ok":true,"paused":false}`))
	require.Equal(t, "  вікно 1 / counter 1: Зараз немає кого викликати. / Nobody to call now.\n", said(`{"action":"next","ok":true,"paused":false,"message":"Зараз немає кого викликати. / Nobody to call now."}`))
	// A ticket put back by a call of another is named.
	require.Equal(t, "  вікно 1 / counter 1: виклик А005 / calling А005\n    Талон А004 повернуто в чергу. / Ticket А004 is back in the queue.\n",
		said(`{"action":"call","ok":true,"ticket":"А005","state":"called","ended":{"ticket":"А004","state":"waiting","service":"social","for_counter":"1"},"message":"Талон А004 повернуто в чергу. / Ticket А004 is back in the queue."}`))
	require.Equal(t, "  вікно 1 / counter 1: перерва / paused\n", said(`{"action":"pause","ok":true,"paused":true}`))
	require.Equal(t, "  вікно 1 / counter 1: прийом А001, далі перерва / serving А001, then a break\n", said(`{"action":"pause","ok":true,"ticket":"А001","state":"serving","paused":true}`))
	require.Empty(t, said(`{"action":"next","ok":true,"ticket":"А002","state":"called"}`), "said aloud")
	require.Empty(t, said(`{"action":"next","ok":false,"reason":"counter_paused"}`), "refusals are told from errors")
	require.Equal(t, "  вікно 4 / counter 4: вільно / free\n", told(t, "counter/4/ack")(`{"action":"done","ok":true}`), "a window: the round-the-clock office has no cabinet")
	require.Equal(t, "кабінет 4 / room 4", counterName(&config.Config{Counters: []config.Counter{{ID: "4", Kind: "cabinet"}}}, "4"))
	// A next that called nobody says why, when the ack does.
	require.Equal(t, "  вікно 1 / counter 1: Зараз нікого викликати: талон А003 можна буде викликати о 10:16. / Nobody to call now: ticket A003 may be called at 10:16.\n",
		said(`{"action":"next","ok":true,"paused":false,"due":{"ticket":"А003","after":"…"},"message":"Зараз нікого викликати: талон А003 можна буде викликати о 10:16. / Nobody to call now: ticket A003 may be called at 10:16."}`))
	// A scan's answer is said: the kiosk of a printer has no screen.
	require.Equal(t, "  сканер термінала k1 / kiosk k1 scanner: Запис за цим кодом не знайдено. / No appointment was found for this code.\n",
		told(t, "kiosk/k1/scan")(`{"kind":"appointment","ok":false,"reason":"not_found","message":"Запис за цим кодом не знайдено. / No appointment was found for this code."}`))
}

// told returns what the terminal says of a payload on the round-the-clock
// office's topic ("errors": qms/demo/errors).
func told(t *testing.T, topic string) func(payload string) string {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	return func(payload string) string {
		return stdout(t, func() { tell(cfg, sim.Message{Topic: cfg.Root() + "/" + topic, Payload: []byte(payload)}) })
	}
}

// stdout returns what f prints.
func stdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	out := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); out <- b }()
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	f()
	require.NoError(t, w.Close())
	return string(<-out)
}

// The terminal's state says why a counter is closed as its board does,
// and why a service gives no tickets, in the page's words.
func TestPrintState(t *testing.T) {
	st := sim.State{
		Services: []sim.ServiceState{
			{ID: "social", Name: "Соціальний захист", Prefix: "А", Queue: []byte(`{"waiting":2,"eta_min":12,"last_called":"А003","paused":false}`), Wait: "близько 12\u00a0хв / about 12\u00a0min"},
			{ID: "pension", Name: "Пенсійний фонд", Prefix: "П", Queue: []byte(`{"waiting":0,"eta_min":null,"last_called":"","paused":false,"refused":"closed","opens":"2026-12-09T11:00:00+02:00"}`), Wait: "жодне вікно не відкрите / no counter open"},
			{ID: "employment", Name: "Центр зайнятості", Prefix: "Ц", Queue: []byte(`{"waiting":40,"eta_min":300,"last_called":"Ц010","paused":false,"refused":"daily_cap"}`), Wait: "близько 5\u00a0год / about 5\u00a0h"},
			{ID: "subsidy", Name: "Субсидії", Prefix: "С", Queue: []byte(`{"waiting":1,"eta_min":5,"last_called":"","paused":true,"reason":"немає світла","refused":"paused"}`), Wait: "близько 5\u00a0хв / about 5\u00a0min"},
		},
		Counters: []json.RawMessage{
			[]byte(`{"counter":"1","ticket":"А003","service":"Соціальний захист","state":"calling"}`),
			[]byte(`{"counter":"2","state":"closed","paused":true}`),
			[]byte(`{"counter":"3","state":"closed","office_paused":true,"alert":true}`),
			[]byte(`{"counter":"4","state":"closed","off_hours":true}`),
			[]byte(`{"counter":"5","state":"idle"}`),
			[]byte(`{"counter":"6","ticket":"А004","service":"Соціальний захист","state":"serving"}`),
		},
		Kinds: []string{"window", "window", "window", "cabinet", "window", "window"},
		// The citizen at counter 3 when the alert came: its board is
		// closed, its box still has the ticket.
		// The board of counter 6 settled to serving after its blink; its
		// citizen has not come.
		CounterStates: []json.RawMessage{nil, nil, []byte(`{"counter":"3","ticket":"А002","state":"serving","paused":false}`), []byte(`null`), nil,
			[]byte(`{"counter":"6","ticket":"А004","state":"called","paused":false}`)},
	}
	out := stdout(t, func() { printState(st) })
	for _, line := range []string{
		"  А  Соціальний захист        чекають / waiting 2, близько 12\u00a0хв / about 12\u00a0min, останній / last А003\n",
		"  П  Пенсійний фонд           чекають / waiting 0, жодне вікно не відкрите / no counter open, останній / last —  (талони не видаються / no tickets: зачинено до 09.12 11:00 / closed until 09.12 11:00)\n",
		"  Ц  Центр зайнятості         чекають / waiting 40, близько 5\u00a0год / about 5\u00a0h, останній / last Ц010  (талони не видаються / no tickets: ліміт на день / daily cap)\n",
		"  вікно 1   виклик    А003\n",
		"  вікно 2   перерва   \n",
		"  вікно 3   тривога   А002 (прийом)\n",
		"  кабінет 4   зачинено  \n",
		"  вікно 5   вільно    \n",
		"  вікно 6   виклик    А004\n",
		"  С  Субсидії                 чекають / waiting 1, близько 5\u00a0хв / about 5\u00a0min, останній / last —  (призупинено: немає світла / paused)\n",
	} {
		require.Contains(t, out, line)
	}
}

// At the terminal, l N holds kiosk button N down for a priority ticket,
// t COUNTER SERVICE [TO_COUNTER] transfers the counter's ticket, and
// b CODE scans a booking's code.
func TestTerminalPriorityAndTransfer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pty printer needs Linux")
	}
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: filepath.Join(t.TempDir(), "sim.db"), Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer s.Close()
	in, keys := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		stdout(t, func() { commands(ctx, s, in, "", func() {}) })
	}()
	typed := func(line string) {
		t.Helper()
		_, err := io.WriteString(keys, line+"\n")
		require.NoError(t, err)
	}
	event := func(name, label string) {
		t.Helper()
		_, err := s.Bus.Wait(ctx, cfg.Root()+"/events", func(m sim.Message) bool {
			p := string(m.Payload)
			return strings.Contains(p, `"`+name+`"`) && strings.Contains(p, `"`+label+`"`)
		})
		require.NoError(t, err, "%s %s", name, label)
	}
	typed("2") // k1's second button: pension
	event("ticket.issued", "П001")
	typed("l 2")
	event("ticket.issued", "П002")
	typed("n 10")
	event("ticket.called", "П002")
	typed("t 10 pension 11")
	event("ticket.transferred", "П002")
	// b CODE holds a booking's code up to the kiosk's scanner.
	day := time.Now().In(cfg.Location()).Format("2006-01-02")
	slots, err := s.Engine().Slots(ctx, "pension", day)
	require.NoError(t, err)
	if len(slots) > 0 { // none left after 23:40
		a, err := s.Engine().Book(ctx, slots[0].Slot, "Олена", "test")
		require.NoError(t, err)
		typed("b " + a.Code)
		event("ticket.issued", "П003")
	}
	typed("q")
	<-done

	tks, err := s.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(tks), 2)
	require.False(t, tks[0].Priority)
	require.True(t, tks[1].Priority, "l 2 held the button down")
	require.Equal(t, "11", tks[1].ForCounter)
}

// The embedded broker takes the first of its addresses that is free: the
// same one each time the simulator starts, while nothing else takes it.
func TestFreeAddr(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	freeAt := free.Addr().String()
	free.Close()
	require.Equal(t, freeAt, freeAddr(taken.Addr().String(), freeAt))
	require.Equal(t, "127.0.0.1:0", freeAddr(taken.Addr().String()))
}

// A file's broker is not the simulator's, and it says so.
func TestBrokerNote(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	require.Empty(t, brokerNote(cfg))
	cfg.Broker.URL = "ssl://u:secret@mqtt.example.gov.ua:8883"
	note := brokerNote(cfg)
	require.Contains(t, note, "the file's broker.url (ssl://u:")
	require.NotContains(t, note, "secret")
}
