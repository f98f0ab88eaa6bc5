package office_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/sim"
)

// Inputs from outside, as a careless or hostile client sends them.

func roundTheClock(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	return cfg
}

// unguarded is roundTheClock whose counters take next and recall at once
// after a call (office.next_guard_s: -1), as tests press.
func unguarded(t *testing.T) *config.Config {
	cfg := roundTheClock(t)
	cfg.Office.NextGuardSec = -1
	return cfg
}

// decodeAll decodes the JSON payload of each message.
func decodeAll[T any](t testing.TB, ms []sim.Message) []T {
	t.Helper()
	out := make([]T, 0, len(ms))
	for _, m := range ms {
		var v T
		require.NoError(t, json.Unmarshal(m.Payload, &v), "%s", m.Payload)
		out = append(out, v)
	}
	return out
}

// containing matches a message whose payload contains each of ss.
func containing(ss ...string) func(sim.Message) bool {
	return func(m sim.Message) bool {
		for _, s := range ss {
			if !strings.Contains(string(m.Payload), s) {
				return false
			}
		}
		return true
	}
}

// ownBroker starts a broker of its own, which outlives the controllers a
// test starts and stops on it (as Mosquitto does), and a listener of
// filters on it; db is a state file for those controllers.
func ownBroker(t *testing.T, filters ...string) (ctx context.Context, url, db string, l *sim.Listener) {
	t.Helper()
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	return brokerAt(t, "tcp://"+brk.Addr(), filters...)
}

// keepingBroker is ownBroker on a broker that keeps a retained press or
// command, as Mosquitto does (the embedded one keeps none): a plain
// mochi-mqtt server, without the embedded broker's hooks.
func keepingBroker(t *testing.T, filters ...string) (ctx context.Context, url, db string, l *sim.Listener) {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{Logger: quiet})
	require.NoError(t, srv.AddHook(new(auth.AllowHook), nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, srv.AddListener(listeners.NewNet("tcp", ln)))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return brokerAt(t, "tcp://"+ln.Addr().String(), filters...)
}

// brokerAt is ownBroker's listener on the broker at url, a context and a
// state file's path.
func brokerAt(t *testing.T, url string, filters ...string) (context.Context, string, string, *sim.Listener) {
	t.Helper()
	l, err := sim.Listen(url, filters...)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx, url, filepath.Join(t.TempDir(), "o.db"), l
}

// A new, empty state file on a broker where the site ran before may be a
// state file gone missing: said as an error, naming the file. One that
// ran on the broker before is not.
func TestNewStoreWhereTheSiteRan(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, url, db, l := ownBroker(t, "qms/demo/status")
	start := func(db string) (*office.Office, *testkit.Log) {
		log := &testkit.Log{}
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: slog.New(slog.NewTextHandler(log, nil))})
		require.NoError(t, err)
		_, err = l.Wait(ctx, "qms/demo/status", containing(`"online":true`))
		require.NoError(t, err)
		return o, log
	}
	o, log := start(db)
	require.NoError(t, o.Close())
	require.Zero(t, log.Count("state file is new"), "a broker where the site never ran")

	missing := filepath.Join(t.TempDir(), "o.db")
	o, log = start(missing)
	log.Await(t, ctx, `level=ERROR msg="office: the state file is new and empty, but this site ran on this broker before`, "a state file that may be missing")
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "state file is new") {
			require.Contains(t, line, "path="+missing)
		}
	}
	require.NoError(t, o.Close())

	o, log = start(db)
	require.NoError(t, o.Close())
	require.Zero(t, log.Count("state file is new"), "the office's own state file")
}

// A press or a command left retained on the broker (mosquitto_pub -r) is
// not a new input at every start: it is refused, reported with its id and
// cleared. (The embedded broker keeps none: TestClientLimits.)
func TestRetainedInputRefused(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, url, db, l := keepingBroker(t, "qms/demo/errors", "qms/demo/events")
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"s-40"}`), true))
	require.NoError(t, l.Publish("qms/demo/admin/req", []byte(`{"id":"r1","op":"counter.close","args":{"counter":"2"}}`), true))
	require.NoError(t, l.Publish("qms/demo/counter/3/cmd", []byte(`{"action":"pause","id":"b3-9"}`), true))

	for run := range 2 {
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
		require.NoError(t, err)
		if run == 0 {
			// Named as the input's other errors are, with the id.
			for source, id := range map[string]string{"kiosk/k1": "s-40", "admin": "r1", "counter/3": "b3-9"} {
				_, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"`+source+`","id":"`+id+`"`))
				require.NoError(t, err, source)
			}
		}
		// A press sent now is served; it comes after whatever the
		// subscription brought.
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
		want := fmt.Sprintf(`"label":"А00%d"`, run+1)
		_, err = l.Wait(ctx, "qms/demo/events", containing(want))
		require.NoError(t, err)
		tks, err := o.Engine().Tickets(ctx)
		require.NoError(t, err)
		require.Len(t, tks, run+1, "only the presses sent live")
		res, err := o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Resume})
		require.NoError(t, err)
		require.False(t, res.Paused)
		evs, err := o.Engine().Replay(0, 100)
		require.NoError(t, err)
		for _, ev := range evs {
			require.NotEqual(t, queue.EvPaused, ev.Type, "the retained counter.close was acted on")
		}
		o.Close()
	}
	// Clearing them reached the office as empty messages: no input, no
	// error of their own.
	for _, m := range l.Messages("qms/demo/errors") {
		require.NotContains(t, string(m.Payload), "empty", "%s", m.Payload)
	}
}

// A press published retained while the controller runs reaches it live (a
// broker hands a message to the subscriptions it has without the retain
// flag): it is served. Only the copy the broker keeps, found at the next
// start, is refused, with the press's id, and cleared.
func TestRetainedPressLiveServed(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, url, db, l := keepingBroker(t, "qms/demo/errors", "qms/demo/kiosk/k1/ticket")
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"s-41"}`), true))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"s-41","service":"social","ticket":"А001"`))
	require.NoError(t, err)
	require.Empty(t, l.Messages("qms/demo/errors"), "served live, not refused")
	o.Close()

	o, err = office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`"source":"kiosk/k1","id":"s-41"`))
	require.NoError(t, err)
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 1, "the retained copy gave no second ticket")
	// Cleared: a subscriber that comes now finds nothing kept.
	l2, err := sim.Listen(url, "qms/demo/kiosk/k1/press")
	require.NoError(t, err)
	defer l2.Close()
	require.NoError(t, l2.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"pension","id":"s-42"}`), false))
	m, err := l2.Wait(ctx, "qms/demo/kiosk/k1/press", nil)
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), "s-42", "the first message is the live one: nothing was kept")
}

// A screen whose press was not answered, and whose controller restarted
// meanwhile (a new run), does not send it again: it finds out as
// docs/mqtt.md says, by events.replay from the seq after the status it
// pressed under (or its last ticket's id): a ticket.issued of its own
// kiosk is the press's ticket; another kiosk's is not; a press sent while
// no controller listened gave none.
func TestScreenFindsItsPressAfterRestart(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Kiosks = append(cfg.Kiosks, config.Kiosk{ID: "k2", Printer: "none"})
	// The screen of k1 hears no answer: as if it was lost with its Wi-Fi.
	ctx, url, db, screen := ownBroker(t, "qms/demo/status", "qms/demo/read/res/#")
	online := func(not string) office.Status {
		t.Helper()
		var st office.Status
		_, err := screen.Wait(ctx, "qms/demo/status", func(m sim.Message) bool {
			return json.Unmarshal(m.Payload, &st) == nil && st.Online && st.Run != not
		})
		require.NoError(t, err)
		return st
	}
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	pressed := online("")
	require.NoError(t, screen.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"s-7"}`), false))
	var label string
	require.Eventually(t, func() bool {
		tks, err := o.Engine().Tickets(ctx)
		if err != nil || len(tks) == 0 {
			return false
		}
		label = tks[0].Label
		return true
	}, 10*time.Second, 10*time.Millisecond)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "pension", Kiosk: "k2"})
	require.NoError(t, err)
	o.Close()
	// Sent while no controller listens: the broker keeps nothing for it.
	require.NoError(t, screen.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"s-8"}`), false))

	o, err = office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	online(pressed.Run)
	n := 0
	issuedAt := func(from uint64) (labels []string, ids []uint64) {
		t.Helper()
		n++
		id := fmt.Sprintf("replay-%d", n)
		require.NoError(t, screen.Publish("qms/demo/read/req", fmt.Appendf(nil, `{"id":"%s","op":"events.replay","args":{"from_seq":%d}}`, id, from), false))
		m, err := screen.Wait(ctx, "qms/demo/read/res/"+id, nil)
		require.NoError(t, err)
		var res struct {
			OK     bool
			Result struct {
				Events []queue.Event
				More   bool
			}
		}
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		require.True(t, res.OK, "%s", m.Payload)
		require.False(t, res.Result.More)
		for _, ev := range res.Result.Events {
			if ev.Type == queue.EvIssued && ev.Ticket.Kiosk == "k1" {
				labels, ids = append(labels, ev.Ticket.Label), append(ids, ev.Ticket.ID)
			}
		}
		return labels, ids
	}
	labels, ids := issuedAt(pressed.Seq + 1)
	require.Equal(t, []string{label}, labels, "s-7's ticket, and not k2's")
	labels, _ = issuedAt(ids[0] + 1)
	require.Empty(t, labels, "s-8 gave no ticket")
}

// A device payload is one JSON object: anything after it is refused.
func TestDevicePayloadWithTrailingBytes(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/errors")
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}]`), false))
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}}`), false))
	for _, src := range []string{"kiosk/k1", "counter/1"} {
		_, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"`+src+`"`))
		require.NoError(t, err, src)
	}
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Empty(t, tks)
}

// A request whose id could be read is answered, even when the rest is
// wrong; the id counts characters, not bytes.
func TestAdminAnswersEveryReadableID(t *testing.T) {
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/admin/res/#")
	cyr := strings.Repeat("ж", 40) // 80 bytes
	for id, payload := range map[string]string{
		"w1":  `{"id":"w1","op":5}`,
		"w2":  `{"id":"w2"}`,
		"w3":  `{"id":"w3","op":"stats.get"} {"op":"config.get"}`,
		"big": `{"id":"big","op":"stats.get","args":{"day":"` + strings.Repeat(" ", 260<<10) + `"}}`,
		cyr:   `{"id":"` + cyr + `","op":"stats.get"}` + "\n",
		// Broken JSON after the id: a trailing comma, too deep a nesting.
		"s1":   `{"id":"s1","op":"office.state","args":{"a":1,}}`,
		"s2":   `{"op":"office.state","args":{"a":[1,{"b":2}]},"id":"s2",}`,
		"deep": `{"id":"deep","op":"stats.get","args":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	} {
		require.NoError(t, l.Publish("qms/demo/admin/req", []byte(payload), false))
		m, err := l.Wait(ctx, "qms/demo/admin/res/"+id, nil)
		require.NoError(t, err, id)
		var res office.AdminResponse
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		switch id {
		case cyr:
			require.True(t, res.OK, "%+v", res.Error)
		case "w1", "w2":
			require.False(t, res.OK, id)
			require.Equal(t, "bad_request", res.Error.Code, id)
			require.Equal(t, "op", res.Error.Field, id)
		default:
			require.False(t, res.OK, id)
			require.Equal(t, "bad_request", res.Error.Code, "%s: %+v", id, res.Error)
		}
	}
}

// A request over the size limit is looked into only so far for its id:
// one whose id comes after is reported on {root}/errors, not answered, and
// what the report quotes is short.
func TestAdminHugeRequestReadSoFar(t *testing.T) {
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/errors")
	payload := `{"op":"stats.get","args":{"day":"` + strings.Repeat("x", 270<<10) + `"},"id":"late"}`
	require.NoError(t, l.Publish("qms/demo/admin/req", []byte(payload), false))
	m, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"admin"`))
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), "admin request needs JSON")
	require.Less(t, len(m.Payload), 2000)
}

// A configuration with several faults is refused with each of them, by
// its field, as DESIGN has it: a form marks them all, not the first alone.
func TestConfigSetNamesEveryFault(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	r := o.Admin(ctx, office.AdminRequest{ID: "f", Op: "config.set",
		Args: json.RawMessage(`{"patch":{"office":{"hours":{"sat":"9-25"},"recall_limit":99,"hall_size":99}}}`)})
	require.False(t, r.OK)
	require.Equal(t, office.CodeBadRequest, r.Error.Code)
	var fields []string
	for _, e := range r.Error.Errors {
		fields = append(fields, e.Field)
		require.NotEmpty(t, e.Message)
		require.NotContains(t, e.Message, "config: ", "the message of one field, without the package's prefix")
	}
	require.ElementsMatch(t, []string{"config.office.hours.sat", "config.office.recall_limit", "config.office.hall_size"}, fields)
	require.Equal(t, r.Error.Errors[0].Field, r.Error.Field)
	b, err := json.Marshal(r.Error)
	require.NoError(t, err)
	require.Contains(t, string(b), `"errors":[{"field":"config.`)
}

// A change that puts two counters on one AWTRIX matrix is refused,
// naming the counter; the configuration that runs is kept.
func TestConfigSetSharedMatrix(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	counters := slices.Clone(o.Config().Counters)
	i := slices.IndexFunc(counters, func(c config.Counter) bool { return c.ID == "12" })
	counters[i].Board = o.Config().Counter("13").Board
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"counters": counters}})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "m", Op: "config.set", Args: patch})
	require.False(t, r.OK)
	require.Equal(t, "config.counters[12].board.awtrix.prefix", r.Error.Field)
	require.Contains(t, r.Error.Message, "is already the matrix of counter 12")
}

// {root}/read/req serves the operations that change nothing, answered on
// {root}/read/res/{id}, and refuses the others: a broker's ACL can give
// an analyst the figures without the right to pause the office.
func TestReadRequests(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/read/res/#", "qms/demo/admin/res/#", "qms/demo/errors")
	ask := func(id, payload string) office.AdminResponse {
		t.Helper()
		require.NoError(t, l.Publish("qms/demo/read/req", []byte(payload), false))
		m, err := l.Wait(ctx, "qms/demo/read/res/"+id, nil)
		require.NoError(t, err, id)
		var res office.AdminResponse
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		return res
	}
	for _, op := range []string{"stats.get", "office.state", "config.get", "config.history", "tickets.list", "events.replay"} {
		res := ask("r-"+op, `{"id":"r-`+op+`","op":"`+op+`"}`)
		require.True(t, res.OK, "%s: %+v", op, res.Error)
	}
	res := ask("w", `{"id":"w","op":"office.pause","args":{"reason":"повітряна тривога"}}`)
	require.False(t, res.OK)
	require.Equal(t, "forbidden", res.Error.Code)
	require.Equal(t, "office: office.pause changes the office: it is served on qms/demo/admin/req, not qms/demo/read/req (chergactl: without -read)", res.Error.Message)
	ps, err := o.Engine().Pauses(ctx)
	require.NoError(t, err)
	require.Empty(t, ps, "nothing paused")
	res = ask("bad", `{"id":"bad","op":5}`)
	require.Equal(t, "bad_request", res.Error.Code, "a malformed one is answered where it was asked")
	// An unknown operation is told the ones served here.
	res = ask("u", `{"id":"u","op":"status"}`)
	require.Equal(t, "unknown_op", res.Error.Code)
	require.Contains(t, res.Error.Message, `unknown operation "status"; the operations: appointment.slots, config.get, config.history, events.replay, office.state, stats.get, `)
	require.NotContains(t, res.Error.Message, "office.pause")
	require.Empty(t, l.Messages("qms/demo/admin/res/w"))
	// One without an id is told on the errors topic, as the read door's.
	require.NoError(t, l.Publish("qms/demo/read/req", []byte(`{"op":"office.state"}`), false))
	_, err = l.Wait(ctx, "qms/demo/errors", containing(`"source":"read"`))
	require.NoError(t, err)
}

// The read door has a queue of its own: dashboards catching up on events
// do not hold an administrator's pause for an air-raid alert.
func TestReadsDoNotHoldAdmin(t *testing.T) {
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/read/res/#", "qms/demo/admin/res/#")
	release := office.Hold(t.Name())
	defer release()
	require.NoError(t, l.Publish("qms/demo/read/req", []byte(`{"id":"held","op":"test.hold","args":{"key":"`+t.Name()+`"}}`), false))
	require.NoError(t, l.Publish("qms/demo/read/req", []byte(`{"id":"after","op":"office.state"}`), false))
	require.NoError(t, l.Publish("qms/demo/admin/req", []byte(`{"id":"p","op":"office.pause","args":{"reason":"повітряна тривога"}}`), false))
	m, err := l.Wait(ctx, "qms/demo/admin/res/p", nil)
	require.NoError(t, err, "the pause is not held behind the reads")
	require.Contains(t, string(m.Payload), `"ok":true`)
	require.Empty(t, l.Messages("qms/demo/read/res/after"), "the reads wait their turn")
	release()
	_, err = l.Wait(ctx, "qms/demo/read/res/after", nil)
	require.NoError(t, err)
}

// What an administrator changes, or tries to, is in the log: the journal
// says why the kiosks turned to "paused".
func TestAdminRequestsLogged(t *testing.T) {
	var log testkit.Log
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: slog.New(slog.NewTextHandler(&log, nil))}, "qms/demo/admin/res/#", "qms/demo/read/res/#")
	for _, req := range []string{
		`{"id":"p","op":"office.pause","args":{"reason":"повітряна тривога"}}`,
		`{"id":"s","op":"config.set","args":{"patch":{"office":{"recall_limit":99}},"author":"olena"}}`,
	} {
		require.NoError(t, l.Publish("qms/demo/admin/req", []byte(req), false))
	}
	require.NoError(t, l.Publish("qms/demo/read/req", []byte(`{"id":"r","op":"office.state"}`), false))
	for _, topic := range []string{"qms/demo/admin/res/p", "qms/demo/admin/res/s", "qms/demo/read/res/r"} {
		_, err := l.Wait(ctx, topic, nil)
		require.NoError(t, err)
	}
	log.Await(t, ctx, `level=INFO msg="office: admin request done" op=office.pause id=p args="{\"reason\":\"повітряна тривога\"}" result="{\"paused\":[{\"reason\":\"повітряна тривога\",\"alert\":true`, "the pause")
	log.Await(t, ctx, `level=WARN msg="office: admin request refused" op=config.set id=s`, "the refused change")
	log.Await(t, ctx, `code=bad_request field=config.office.recall_limit`, "with its field")
	require.NotContains(t, log.String(), "office.state", "reads are not logged at info")
}

// A request whose time ran out before the store took it (a disk that
// stalled) is not made, and answered timeout: send it again.
func TestAdminRequestTooLate(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	late, cancel := context.WithCancel(ctx)
	cancel()
	res := o.Admin(late, office.AdminRequest{ID: "p", Op: "office.pause", Args: json.RawMessage(`{"reason":"повітряна тривога"}`)})
	require.False(t, res.OK)
	require.Equal(t, "timeout", res.Error.Code)
	require.Contains(t, res.Error.Message, "nothing was done")
	ps, err := o.Engine().Pauses(ctx)
	require.NoError(t, err)
	require.Empty(t, ps)

	// A read or a configuration too (which one a select picked was chance:
	// some answered, some "refused: context canceled").
	for range 20 {
		for op, args := range map[string]string{"stats.get": `{}`, "config.set": `{"patch":{"office":{"name":"Інший"}}}`} {
			res := o.Admin(late, office.AdminRequest{ID: "r", Op: op, Args: json.RawMessage(args)})
			require.False(t, res.OK, op)
			require.Equal(t, "timeout", res.Error.Code, "%s: %+v", op, res.Error)
		}
	}
}

// Requests are served in the order they were sent: close, open, close…
func TestAdminRequestsInOrder(t *testing.T) {
	ctx, _, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/admin/res/#")
	const n = 40
	for i := range n {
		op := "counter.close"
		if i%2 == 1 {
			op = "counter.open"
		}
		require.NoError(t, l.Publish("qms/demo/admin/req", fmt.Appendf(nil, `{"id":"r%d","op":%q,"args":{"counter":"3"}}`, i, op), false))
	}
	for i := range n {
		m, err := l.Wait(ctx, fmt.Sprintf("qms/demo/admin/res/r%d", i), nil)
		require.NoError(t, err)
		var res struct {
			OK     bool
			Result struct{ Paused bool }
		}
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		require.True(t, res.OK)
		require.Equal(t, i%2 == 0, res.Result.Paused, "request %d was served out of order", i)
	}
}

func TestAdminRefusesBadArguments(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	long, _ := json.Marshal(map[string]string{"ticket": "А001", "reason": strings.Repeat("Ї", 201)})
	for _, tc := range []struct{ op, args, field string }{
		{"config.get", `{"colour":"red"}`, "colour"},
		{"tickets.list", `{"state":"dancing"}`, "state"},
		{"tickets.list", `{"service":""}`, "service"},
		{"tickets.list", `{"service":"no such"}`, "service"},
		{"tickets.list", `{"service":"` + strings.Repeat("x", 33) + `"}`, "service"},
		{"tickets.list", `{"day":"yesterday"}`, "day"},
		{"ticket.void", string(long), "reason"},
		// A reason goes to boards, screens and counter boxes.
		{"office.pause", `{"reason":"нарада\u001b]0;x\u0007"}`, "reason"},
		{"office.pause", `{"reason":"\u202eнарада"}`, "reason"},
		{"ticket.void", `{"TICKET":"А001"}`, "TICKET"}, // names are exact
		{"tickets.list", `[]`, "args"},
		{"ticket.call", `{"ticket":"А001","counter":"1","end":"true"}`, "end"},
		{"events.replay", `{"max":"10"}`, "max"},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "a", Op: tc.op, Args: json.RawMessage(tc.args)})
		require.False(t, r.OK, "%s %s", tc.op, tc.args)
		require.Equal(t, "bad_request", r.Error.Code, "%s %s", tc.op, tc.args)
		require.Equal(t, tc.field, r.Error.Field, "%s %s", tc.op, tc.args)
	}
	// A value of the wrong JSON type is told what it should be.
	r := o.Admin(ctx, office.AdminRequest{ID: "a", Op: "ticket.call", Args: json.RawMessage(`{"ticket":"А001","counter":"1","end":"true"}`)})
	require.Equal(t, "office: args: end is true or false (without quotes), not a JSON string", r.Error.Message)
	r = o.Admin(ctx, office.AdminRequest{ID: "a", Op: "events.replay", Args: json.RawMessage(`{"max":"10"}`)})
	require.Equal(t, "office: args: max is a whole number (without quotes), not a JSON string", r.Error.Message)
	r = o.Admin(ctx, office.AdminRequest{ID: "a", Op: "events.replay", Args: json.RawMessage(`{"from_seq":-1}`)})
	require.Equal(t, "office: args: from_seq is a whole number, 0 or more (without quotes), not a JSON number -1", r.Error.Message)
	tk, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Equal(t, queue.Waiting, tk[0].State)
}

// An administrator's mistake is answered with what to do: the arg that is
// missing, the operations there are, the counter to open.
func TestAdminErrorsSayWhatToDo(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	for _, tc := range []struct{ op, args, code, field, says string }{
		{"counter.close", `{}`, "bad_request", "counter", "required: the counter's id (counter=5)"},
		{"ticket.call", `{"ticket":"А001"}`, "bad_request", "counter", "required: the counter's id"},
		{"store.backup", `{"path":"bk/b.db"}`, "bad_request", "path", `"bk/b.db" is not an absolute path`},
		{"store.backup", `{}`, "bad_request", "path", "required: an absolute path"},
		{"status", `{}`, "unknown_op", "op", `unknown operation "status"; the operations: appointment.book, appointment.cancel, appointment.list, appointment.slots, clock.trust, config.get, `},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "a", Op: tc.op, Args: json.RawMessage(tc.args)})
		require.False(t, r.OK, "%s %s", tc.op, tc.args)
		require.Equal(t, tc.code, r.Error.Code, "%s %s", tc.op, tc.args)
		require.Equal(t, tc.field, r.Error.Field, "%s %s", tc.op, tc.args)
		require.Contains(t, r.Error.Message, tc.says, "%s %s", tc.op, tc.args)
	}
	// Run by systemd, whose unit gives cherga a /tmp of its own, deleted
	// as it stops: a backup there would be lost. (A mountinfo as such a
	// unit's process has it; systemd-run without PrivateTmp has none.)
	mi := filepath.Join(t.TempDir(), "mountinfo")
	require.NoError(t, os.WriteFile(mi, []byte("22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"+
		"30 22 179:2 /tmp/systemd-private-5f0c-cherga.service-Yb2x/tmp /tmp rw,nosuid,nodev shared:2 - ext4 /dev/mmcblk0p2 rw\n"+
		"31 22 179:2 /var/tmp/systemd-private-5f0c-cherga.service-Qq1a/tmp /var/tmp rw,nosuid,nodev shared:2 - ext4 /dev/mmcblk0p2 rw\n"), 0o600))
	t.Cleanup(office.SetMountinfo(mi))
	for _, path := range []string{"/tmp/pre-upgrade.db", "/var/tmp/b.db"} {
		r := o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + path + `"}`)})
		require.False(t, r.OK, path)
		require.Equal(t, "path", r.Error.Field)
		require.Contains(t, r.Error.Message, `"`+path+`" is in `+filepath.Dir(path)+`: run by systemd, cherga has a `+filepath.Dir(path)+` of its own (cherga.service: PrivateTmp=yes)`)
		require.NoFileExists(t, path)
	}
	// A /tmp of the whole machine (no PrivateTmp) takes it.
	require.NoError(t, os.WriteFile(mi, []byte("22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n"+
		"40 22 0:30 / /tmp rw,nosuid,nodev shared:3 - tmpfs tmpfs rw\n"), 0o600))
	shared := filepath.Join(t.TempDir(), "b.db")
	sr := o.Admin(ctx, office.AdminRequest{ID: "b2", Op: "store.backup", Args: json.RawMessage(`{"path":"` + shared + `"}`)})
	require.True(t, sr.OK, "%+v", sr.Error)
	require.FileExists(t, shared)
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "counter.close", Args: json.RawMessage(`{"counter":"1"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	r = o.Admin(ctx, office.AdminRequest{ID: "t", Op: "ticket.call", Args: json.RawMessage(`{"ticket":"А001","counter":"1"}`)})
	require.False(t, r.OK)
	require.Equal(t, "counter", r.Error.Field)
	require.Equal(t, "counter 1 is closed (counter.close, or its specialist's pause): counter.open it first", r.Error.Message)
}

// A label is found as an operator types it: spaces, lower case, Latin
// letters that look like the Cyrillic ones, or as the English text writes
// it (P001 for П001: the ticket's English line, a screen's).
func TestAdminLabelAsTyped(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for range 3 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	for _, svc := range []string{"pension", "employment"} {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: svc, Kiosk: "k1"})
		require.NoError(t, err)
	}
	for _, tc := range []struct{ op, args, label string }{
		{"ticket.void", `{"ticket":" а001 "}`, "А001"},
		{"ticket.call", `{"ticket":" а002 ","counter":"1"}`, "А002"},
		{"ticket.call", `{"ticket":"A3","counter":"2"}`, "А003"}, // Latin A
		{"ticket.call", `{"ticket":"P001","counter":"10"}`, "П001"},
		{"ticket.call", `{"ticket":"ts1","counter":"13"}`, "Ц001"},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "a", Op: tc.op, Args: json.RawMessage(tc.args)})
		require.True(t, r.OK, "%s %s: %+v", tc.op, tc.args, r.Error)
		b, _ := json.Marshal(r.Result)
		require.Contains(t, string(b), tc.label)
	}
}

// An administrator's ticket.call does not end the visit at the counter: it
// is refused while the counter has a ticket (its citizen may be in front of
// the specialist), naming it, unless end says to end it.
func TestAdminCallToABusyCounter(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for range 3 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	_, err := o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err)

	r := o.Admin(ctx, office.AdminRequest{ID: "a", Op: "ticket.call", Args: json.RawMessage(`{"ticket":"А003","counter":"1"}`)})
	require.False(t, r.OK)
	require.Equal(t, "refused", r.Error.Code)
	require.Equal(t, "counter", r.Error.Field)
	require.Contains(t, r.Error.Message, "counter 1 has ticket А001 (serving)")
	require.Contains(t, r.Error.Message, "end=true")
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Equal(t, queue.Serving, tks[0].State, "А001 is still being served")
	require.Equal(t, queue.Waiting, tks[2].State)

	// To a free counter, and with end to a busy one.
	r = o.Admin(ctx, office.AdminRequest{ID: "b", Op: "ticket.call", Args: json.RawMessage(`{"ticket":"А003","counter":"2"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	r = o.Admin(ctx, office.AdminRequest{ID: "c", Op: "ticket.call", Args: json.RawMessage(`{"ticket":"А002","counter":"1","end":true}`)})
	require.True(t, r.OK, "%+v", r.Error)
	tks, err = o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Equal(t, []queue.State{queue.Done, queue.Called, queue.Called}, []queue.State{tks[0].State, tks[1].State, tks[2].State})
}

// A day's events or tickets do not fit in one MQTT message of the size a
// broker takes (300 KiB): the answer carries what fits, says there is
// more, and where to ask from; asked again and again, it gives every one
// once.
func TestAdminListsArePaged(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	// 1,100 tickets, 16 kiosks pressing at once (one fsync for many).
	var wg sync.WaitGroup
	for k := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := k; i < 1100; i += 16 {
				_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: []string{"social", "pension"}[i%2]})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()

	// ask runs op until the answer has no more, checking each answer's
	// size, and gives the items of all of them.
	ask := func(op, items, cursor string, args string) []map[string]any {
		var all []map[string]any
		from := 0.0
		for range 10 {
			r := o.Admin(ctx, office.AdminRequest{ID: "p", Op: op, Args: fmt.Appendf(nil, args, int(from))})
			require.True(t, r.OK, "%+v", r.Error)
			b, err := json.Marshal(r)
			require.NoError(t, err)
			require.Less(t, len(b), 300<<10, "%s: the answer fits in a message", op)
			var page map[string]any
			require.NoError(t, json.Unmarshal(b, &struct{ Result *map[string]any }{&page}))
			for _, it := range page[items].([]any) {
				all = append(all, it.(map[string]any))
			}
			from = page[cursor].(float64)
			if !page["more"].(bool) {
				return all
			}
		}
		t.Fatalf("%s: still more after 10 answers", op)
		return nil
	}
	evs := ask("events.replay", "events", "next_seq", `{"from_seq":%d,"max":10000}`)
	require.Len(t, evs, int(evs[len(evs)-1]["seq"].(float64)), "from seq 1 to the last, none twice")
	for i, ev := range evs {
		require.Equal(t, float64(i+1), ev["seq"])
	}
	tks := ask("tickets.list", "tickets", "next_id", `{"from_id":%d}`)
	require.Len(t, tks, 1100)

	// max still bounds a page, and says there is more.
	r := o.Admin(ctx, office.AdminRequest{ID: "m", Op: "events.replay", Args: json.RawMessage(`{"from_seq":1,"max":2}`)})
	require.True(t, r.OK)
	b, _ := json.Marshal(r.Result)
	require.Contains(t, string(b), `"more":true,"next_seq":3`)

	// Past the last event: not an empty page, which would look up to date.
	last := len(evs)
	r = o.Admin(ctx, office.AdminRequest{ID: "f", Op: "events.replay", Args: fmt.Appendf(nil, `{"from_seq":%d}`, last+1)})
	require.True(t, r.OK)
	r = o.Admin(ctx, office.AdminRequest{ID: "f", Op: "events.replay", Args: fmt.Appendf(nil, `{"from_seq":%d}`, last+5)})
	require.False(t, r.OK)
	require.Equal(t, "not_found", r.Error.Code)
	require.Equal(t, "from_seq", r.Error.Field)
	require.Contains(t, r.Error.Message, fmt.Sprintf("the last is %d", last))
}

// Every time in the office's answers carries the office's UTC offset, as
// the live events do: a replayed event is the same as the live one.
func TestAdminTimesInOfficeZone(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/events", "qms/demo/kiosk/#")
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	live, err := l.Wait(ctx, "qms/demo/events", containing("ticket.issued"))
	require.NoError(t, err)
	var ev struct {
		Seq uint64
		At  time.Time
	}
	require.NoError(t, json.Unmarshal(live.Payload, &ev))
	r := o.Admin(ctx, office.AdminRequest{ID: "z", Op: "events.replay", Args: fmt.Appendf(nil, `{"from_seq":%d,"max":1}`, ev.Seq)})
	require.True(t, r.OK)
	replayed, _ := json.Marshal(r.Result)
	require.JSONEq(t, fmt.Sprintf(`{"events":[%s],"more":false,"next_seq":%d}`, live.Payload, ev.Seq+1), string(replayed))

	_, liveOff := ev.At.Zone()
	_, want := ev.At.In(o.Config().Location()).Zone()
	require.Equal(t, want, liveOff)
	k, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	var kr struct{ At time.Time }
	require.NoError(t, json.Unmarshal(k.Payload, &kr))
	// The first ticket: nobody ahead, and the answer says so.
	require.Contains(t, string(k.Payload), `"ahead":0,"eta_min":0`)
	_, off := kr.At.Zone()
	require.Equal(t, want, off, "kiosk answer %s", k.Payload)
}

// Whether an office pause sends citizens to the shelter: as office.pause's
// alert says; without it, when the reason names an alert, in whatever
// words.
func TestPauseAlert(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for _, tc := range []struct {
		args    string
		shelter bool
	}{
		{`{}`, false},
		{`{"reason":"повітряна тривога"}`, true},
		{`{"reason":"тревога"}`, true},
		{`{"reason":"сирена, всі в укриття"}`, true},
		{`{"reason":"air alert"}`, true},
		{`{"reason":"ПТ","alert":true}`, true},
		{`{"reason":"нарада"}`, false},
		{`{"alert":false}`, false},
		{`{"reason":"тривога","alert":false}`, false},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "p", Op: "office.pause", Args: json.RawMessage(tc.args)})
		require.True(t, r.OK, "%s: %+v", tc.args, r.Error)
		b, err := json.Marshal(r.Result)
		require.NoError(t, err)
		require.Equal(t, tc.shelter, strings.Contains(string(b), `"alert":true`), "%s: %s", tc.args, b)
		res := office.ServeAfter(ctx, o, "k1", "social", 0, 0)
		require.Equal(t, "paused", res.Reason, tc.args)
		require.Equal(t, tc.shelter, strings.Contains(res.Message, "Пройдіть до найближчого укриття"), "%s: %s", tc.args, res.Message)
		require.True(t, o.Admin(ctx, office.AdminRequest{ID: "r", Op: "office.resume"}).OK)
	}
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "service.pause", Args: json.RawMessage(`{"service":"social","alert":true}`)})
	require.False(t, r.OK)
	require.Equal(t, "alert", r.Error.Field)
}

// An air-raid alert over MQTT: the kiosk says to go to the shelter and
// prints nothing, the counters do not call and the boards show closed,
// until the all-clear.
func TestAirRaidPause(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/#")
	admin := func(op, args string) office.AdminResponse {
		t.Helper()
		return o.Admin(ctx, office.AdminRequest{ID: "p", Op: op, Args: json.RawMessage(args)})
	}
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)

	r := admin("office.pause", `{"reason":"повітряна тривога"}`)
	require.True(t, r.OK, "%+v", r.Error)
	var in struct {
		Paused []struct {
			Service, Reason string
			Since           time.Time
		}
	}
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &in))
	require.Len(t, in.Paused, 1)
	require.Empty(t, in.Paused[0].Service, "the whole office")
	require.Equal(t, "повітряна тривога", in.Paused[0].Reason)
	_, off := in.Paused[0].Since.Zone()
	_, want := in.Paused[0].Since.In(o.Config().Location()).Zone()
	require.Equal(t, want, off, "since is in the office's time zone")
	m, err := l.Wait(ctx, "qms/demo/load", containing(`"paused":true,"reason":"повітряна тривога"`))
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"name":"Соціальний захист","name_en":"Social Protection"`, "a bilingual screen names the services")
	require.Contains(t, string(m.Payload), `"refused":"paused"`)
	_, err = l.Wait(ctx, "qms/demo/board/1", containing(`"state":"closed"`))
	require.NoError(t, err)

	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"pension"}`), false))
	m, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"reason":"paused"`)
	require.Contains(t, string(m.Payload), "Пройдіть до найближчого укриття")
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/errors", containing("paused"))
	require.NoError(t, err)

	for _, tc := range []struct{ op, args, field string }{
		{"office.pause", `{"service":"social"}`, "service"},
		{"service.pause", `{"service":"nosuch"}`, "service"},
		{"service.pause", `{"reason":"x"}`, "service"},
	} {
		r := admin(tc.op, tc.args)
		require.False(t, r.OK, "%s %s", tc.op, tc.args)
		require.Equal(t, tc.field, r.Error.Field, "%s %s", tc.op, tc.args)
	}

	r = admin("office.resume", `{"reason":"відбій тривоги"}`)
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/board/1", containing(`"ticket":"А001"`))
	require.NoError(t, err)

	// One service paused: its button refuses, the others issue.
	require.True(t, admin("service.pause", `{"service":"pension","reason":"немає бланків"}`).OK)
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"pension"}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing("немає бланків"))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/queue/pension", containing(`"paused":true`))
	require.NoError(t, err)
	require.True(t, admin("service.resume", `{"service":"pension"}`).OK)
	_, err = l.Wait(ctx, "qms/demo/queue/pension", containing(`"paused":false`))
	require.NoError(t, err)
}

// During an air-raid alert the hall is told to go to the shelter, not
// that the office closed: the boards stay closed for the lamps and boxes
// but say alert (Тривога on a text board, ТРИВОГА on an AWTRIX), the load
// and the queues carry alert, the hall is published again with the
// pause and a bilingual message. A tea break keeps the boards closed for
// the lamps and boxes too, but no board says closed (Зачинено sends
// citizens home): they say Перерва, as the hall says the queue is kept;
// the all-clear takes it all back.
func TestAirRaidAlertTold(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/#", "awtrix_demo_13/#")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/hall", containing(`"ticket":"А001"`))
	require.NoError(t, err)
	admin := func(op, args string) {
		t.Helper()
		r := o.Admin(ctx, office.AdminRequest{ID: "p", Op: op, Args: json.RawMessage(args)})
		require.True(t, r.OK, "%s: %+v", op, r.Error)
	}
	wait := func(topic string, match func(sim.Message) bool) sim.Message {
		t.Helper()
		m, err := l.Wait(ctx, topic, match)
		require.NoError(t, err, topic)
		return m
	}
	text := func(s string) func(sim.Message) bool {
		return func(m sim.Message) bool { return string(m.Payload) == s }
	}

	// A tea break: closed, and the hall says the queue is kept.
	admin("office.pause", `{"reason":"технічна перерва"}`)
	m := wait("qms/demo/hall", containing(`"paused":true`))
	require.NotContains(t, string(m.Payload), `"alert"`)
	require.Contains(t, string(m.Payload), `"message":"Прийом тимчасово призупинено. Ваше місце в черзі збережено. / Service is temporarily suspended. Your place in the queue is kept."`)
	require.Contains(t, string(m.Payload), `"ticket":"А001"`, "the calls stay")
	m = wait("qms/demo/board/2", containing(`"office_paused":true`))
	require.Contains(t, string(m.Payload), `"state":"closed"`, "lamps and boxes key on closed")
	require.NotContains(t, string(m.Payload), `"alert"`)
	wait("qms/demo/board/2/text", text("Перерва"))
	wait("awtrix_demo_13/custom/cherga", containing(`"text":"ПЕРЕРВА","color":"#2060FF"`))
	m = wait("qms/demo/load", containing(`"paused":true,"reason":"технічна перерва"`))
	require.NotContains(t, string(m.Payload), `"alert"`)

	// It turns into an alert, said without a reason that names one.
	admin("office.pause", `{"alert":true}`)
	m = wait("qms/demo/hall", containing(`"alert":true`))
	require.Contains(t, string(m.Payload), `"paused":true,"alert":true,"message":"Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter."`)
	require.Contains(t, string(m.Payload), `"ticket":"А001"`, "the calls stay")
	m = wait("qms/demo/board/2", containing(`"alert":true`))
	require.Contains(t, string(m.Payload), `"state":"closed"`, "lamps and boxes key on closed")
	wait("qms/demo/board/2/text", text("Тривога"))
	wait("awtrix_demo_13/custom/cherga", containing(`"text":"ТРИВОГА","color":"#FF0000"`))
	m = wait("qms/demo/load", containing(`"alert":true`))
	require.Contains(t, string(m.Payload), `"paused":true`)
	require.Contains(t, string(m.Payload), `"languages":["uk","en"]`)
	wait("qms/demo/queue/social", containing(`"alert":true`))

	// office.state carries it too.
	b := officeState(t, ctx, o)
	var st struct {
		Paused   []struct{ Alert bool }
		Counters []struct {
			State string
			Alert bool
		}
		Queues []struct{ Queue struct{ Alert bool } }
	}
	require.NoError(t, json.Unmarshal(b, &st))
	require.True(t, st.Paused[0].Alert)
	for _, c := range st.Counters {
		require.Equal(t, "closed", c.State)
		require.True(t, c.Alert)
	}
	for _, q := range st.Queues {
		require.True(t, q.Queue.Alert)
	}

	// The all-clear: what comes after it.
	resumed := time.Now()
	admin("office.resume", `{"reason":"відбій тривоги"}`)
	after := func(m sim.Message) bool { return !m.At.Before(resumed) }
	m = wait("qms/demo/hall", after)
	require.NotContains(t, string(m.Payload), `"paused"`)
	require.NotContains(t, string(m.Payload), `"message"`)
	require.Contains(t, string(m.Payload), `"ticket":"А001"`)
	require.Equal(t, "2", string(wait("qms/demo/board/2/text", after).Payload))
	m = wait("qms/demo/load", after)
	require.Contains(t, string(m.Payload), `"paused":false`)
	require.NotContains(t, string(m.Payload), `"alert"`)
}

// A specialist's break says ПЕРЕРВА on the AWTRIX board, as Перерва on the
// text board, not the red ЗАЧИНЕНО of a counter outside its hours.
func TestCounterBreakOnAwtrix(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/board/13/#", "awtrix_demo_13/#")
	_, err := o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Pause})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/13/text", func(m sim.Message) bool { return string(m.Payload) == "Перерва" })
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_demo_13/custom/cherga", containing(`"text":"ПЕРЕРВА","color":"#2060FF"`))
	require.NoError(t, err)
}

// A recall is announced as one: «Повторно: талон …».
func TestRecallAnnounced(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: unguarded(t)}, "qms/demo/announce")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"next"}`), false))
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"recall"}`), false))
	m, err := l.Wait(ctx, "qms/demo/announce", containing(`"recall":true`))
	require.NoError(t, err)
	if strings.Contains(string(m.Payload), `"lang":"en"`) {
		m, err = l.Wait(ctx, "qms/demo/announce", containing(`"Повторно: талон А один, вікно один"`))
		require.NoError(t, err)
	}
	require.Contains(t, string(m.Payload), `"Повторно: талон А один, вікно один"`)
	require.Contains(t, string(m.Payload), `"clips":["uk/word/povtorno","uk/word/talon"`)
}

// config.get gives the configuration that runs: the store, the broker and
// the printers the command line chose, and never the broker's password.
func TestConfigGetIsWhatRuns(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Broker.Password = "secret"
	ctx, o, _ := startOffice(t, office.Opts{Config: cfg, Printer: "none"}, "qms/demo/status")
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.get"})
	require.True(t, r.OK, "%+v", r.Error)
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	var got struct {
		Config struct {
			DB     string
			Broker struct{ URL, Listen string }
			Kiosks []struct{ Printer string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, o.Engine().Path(), got.Config.DB)
	require.Equal(t, "embedded", got.Config.Broker.URL)
	require.Equal(t, strings.TrimPrefix(o.BrokerURL(), "tcp://"), got.Config.Broker.Listen)
	require.Equal(t, "none", got.Config.Kiosks[0].Printer)
	require.NotContains(t, string(b), "secret")
}

// A password in the broker's URL is no more given than the password
// field: config.get (the read door too) shows xxxxx, the recorded
// version has none, and the document config.get gives is taken back.
func TestBrokerURLPasswordNotGiven(t *testing.T) {
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	defer brk.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var log testkit.Log
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: filepath.Join(t.TempDir(), "o.db"),
		Broker: "tcp://cherga:s3cret@" + brk.Addr(), Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	defer o.Close()
	got := o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	require.True(t, got.OK, "%+v", got.Error)
	whole, err := json.Marshal(got.Result.(map[string]any)["config"])
	require.NoError(t, err)
	require.NotContains(t, string(whole), "s3cret")
	require.Contains(t, string(whole), `"url":"tcp://cherga:xxxxx@`+brk.Addr()+`"`)
	// Changed, so that it is recorded.
	require.Contains(t, string(whole), `"recall_limit":3,`)
	edited := strings.Replace(string(whole), `"recall_limit":3,`, `"recall_limit":4,`, 1)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"config":` + edited + `}`)})
	require.True(t, r.OK, "what config.get gives is taken back: %+v", r.Error)
	h := o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.history", Args: json.RawMessage(`{"version":2}`)})
	require.True(t, h.OK, "%+v", h.Error)
	b, err := json.Marshal(h.Result)
	require.NoError(t, err)
	require.NotContains(t, string(b), "s3cret")
	require.NotContains(t, log.String(), "s3cret")
}

// config.set says, without refusing, a prefix citizens may misread.
func TestConfigSetWarnsOfPrefixes(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: quiet}, "qms/demo/status")
	got := o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	require.True(t, got.OK)
	whole, err := json.Marshal(got.Result.(map[string]any)["config"])
	require.NoError(t, err)
	var c config.Config // a copy: the answer shares the running one's lists
	require.NoError(t, json.Unmarshal(whole, &c))
	c.Services[2].Prefix = "З"
	whole, err = json.Marshal(c)
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"config":` + string(whole) + `}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Contains(t, r.Result.(map[string]any)["warnings"], `services[2] (id "employment").prefix: З reads as the digit 3 on a ticket and a board (З001 as 3001): a letter unlike a digit is clearer`)
}

// config.set changes the office while it runs: a service and a counter
// come, one counter goes (its board is cleared), the hours change; what is
// wired to hardware is refused, naming the field.
func TestConfigSetLive(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/#")
	admin := func(args string) office.AdminResponse {
		t.Helper()
		return o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(args)})
	}
	// What config.get gives, config.set takes back unchanged.
	got := o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	require.True(t, got.OK)
	require.EqualValues(t, 1, got.Result.(map[string]any)["version"], "the file's, recorded at start")
	whole, err := json.Marshal(got.Result.(map[string]any)["config"])
	require.NoError(t, err)
	r := admin(`{"config":` + string(whole) + `}`)
	require.True(t, r.OK, "%+v", r.Error)
	// Saved before a restart, it names the port the OS chose then.
	listen := got.Result.(map[string]any)["config"].(*config.Config).Broker.Listen
	require.Contains(t, string(whole), `"listen":"`+listen+`"`)
	r = admin(`{"config":` + strings.Replace(string(whole), listen, "127.0.0.1:1", 1) + `}`)
	require.True(t, r.OK, "%+v", r.Error)
	got = o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	require.EqualValues(t, r.Result.(map[string]any)["version"], got.Result.(map[string]any)["version"], "config.get gives the version running")

	// A new service and a counter for it; counter 13 goes, with the
	// citizen it called.
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	counters := o.Config().Counters
	var list []map[string]any
	for _, c := range counters {
		if c.ID == "13" {
			continue
		}
		if c.ID == "12" {
			// The kiosk's employment button needs a counter.
			c.Services = append(slices.Clip(c.Services), "employment")
		}
		b, _ := json.Marshal(c)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		list = append(list, m)
	}
	list = append(list, map[string]any{"id": "14", "services": []string{"idp"}})
	services, _ := json.Marshal(append(o.Config().Services, config.Service{ID: "idp", Name: "Довідки ВПО", Prefix: "В", Width: 3, AvgServiceMin: 5}))
	patch, _ := json.Marshal(map[string]any{"services": json.RawMessage(services), "counters": list})
	r = admin(`{"patch":` + string(patch) + `}`)
	require.False(t, r.OK, "counter 13 left out of the list")
	require.Equal(t, "remove", r.Error.Field)
	require.Contains(t, r.Error.Message, "the patch would leave config.counters without 13")
	r = admin(`{"patch":` + string(patch) + `,"remove":true}`)
	require.False(t, r.OK, "counter 13 has called Ц001")
	require.Equal(t, "refused", r.Error.Code)
	require.Equal(t, "expire", r.Error.Field)
	require.Contains(t, r.Error.Message, "takes away counter 13 while ticket Ц001 is called there")
	require.NotNil(t, o.Config().Counter("13"), "nothing changed")
	r = admin(`{"patch":` + string(patch) + `,"remove":true,"expire":true}`)
	require.True(t, r.OK, "%+v", r.Error)
	require.NotNil(t, o.Config().Service("idp"))
	require.Nil(t, o.Config().Counter("13"))
	answer, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.Contains(t, string(answer), `"tickets":[{"ticket":"Ц001","event":"ticket.moved","reason":"counter 13 is no longer configured: back to the queue"}]`, "the answer says what the change did")

	// No button of kiosk k1 gives idp (buttons come with the file), so a
	// screen's press for it is not served: a ticket of the service
	// added issues all the same.
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"idp"}`), false))
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"reason":"not_offered"`))
	require.NoError(t, err)
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "idp", Kiosk: "k1"})
	require.NoError(t, err)
	require.Equal(t, "В001", iss.Ticket.Label)
	require.NoError(t, l.Publish("qms/demo/counter/14/cmd", []byte(`{"action":"next"}`), false))
	_, err = l.Wait(ctx, "qms/demo/board/14", containing(`"ticket":"В001"`))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/13", func(m sim.Message) bool { return len(m.Payload) == 0 })
	require.NoError(t, err, "the board of a counter that is gone is cleared")

	// Refused, naming the field; the office runs on as it was.
	for _, tc := range []struct{ args, field string }{
		{`{"patch":{"office":{"timezone":"Europe/Warsaw"}}}`, "config.office.timezone"},
		{`{"patch":{"kiosks":[]}}`, "config.kiosks"},
		{`{"patch":{"site":"other"}}`, "config.site"},
		{`{"patch":{"office":{"hours":{"mon":"25:00-26:00"}}}}`, "config.office.hours.mon"},
		{`{"patch":{"services":[{"id":"x","name":"X","prefix":"А","width":3}]}}`, "remove"}, // the others left out: not "unknown service social"
		{`{"patch":[1]}`, "patch"},
		{`{}`, "config"},
		{`{"patch":{"office":{"recall_limit":"five"}}}`, "config.office.recall_limit"},
		{`{"patch":{"office":{"recal_limit":5}}}`, "config.office.recal_limit"},
		{`{"patch":{"counters":[{"id":"1","services":["social"],"colour":"red"}]}}`, "config.counters[0].colour"},
		{`{"patch":{"counters":[{"id":"1","services":"social"}]}}`, "config.counters[0].services"},
	} {
		r := admin(tc.args)
		require.False(t, r.OK, tc.args)
		require.Equal(t, tc.field, r.Error.Field, "%s: %s", tc.args, r.Error.Message)
	}
	require.NotNil(t, o.Config().Service("idp"))
	require.Equal(t, "Europe/Kyiv", o.Config().Office.Timezone)
	// A new id printing the prefix of one left out is a rename: said so.
	r = admin(`{"patch":{"services":[{"id":"x","name":"X","prefix":"А","width":3}]}}`)
	require.Contains(t, r.Error.Message, `is that service renamed (social → x): it takes its tickets and bookings; to rename it, send it again with "remove": true`)

	// An AWTRIX board's durations, as text; config.get gives them back so,
	// and its document goes back through config.set.
	withBoard := func(board string) string {
		t.Helper()
		b, err := json.Marshal(o.Config().Counters)
		require.NoError(t, err)
		var cs []map[string]any
		require.NoError(t, json.Unmarshal(b, &cs))
		for _, c := range cs {
			if c["id"] == "14" {
				c["board"] = json.RawMessage(board)
			}
		}
		b, err = json.Marshal(cs)
		require.NoError(t, err)
		return `{"patch":{"counters":` + string(b) + `}}`
	}
	r = admin(withBoard(`{"mode":"awtrix","awtrix":{"prefix":"awtrix_14","blink":"300ms","notify":"4s"}}`))
	require.True(t, r.OK, "%+v", r.Error)
	require.Equal(t, 300*time.Millisecond, o.Config().Counter("14").Board.Awtrix.Blink)
	got = o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	whole, err = json.Marshal(got.Result.(map[string]any)["config"])
	require.NoError(t, err)
	require.Contains(t, string(whole), `"blink":"300ms","notify":"4s"`)
	r = admin(`{"config":` + string(whole) + `}`)
	require.True(t, r.OK, "%+v", r.Error)
	r = admin(withBoard(`{"mode":"awtrix","awtrix":{"prefix":"awtrix_14","blink":300}}`))
	require.False(t, r.OK)
	require.Contains(t, r.Error.Field, ".board.awtrix.blink")

	// A counter id given as a number is taken, as in the YAML file.
	now, err := json.Marshal(o.Config().Counters)
	require.NoError(t, err)
	r = admin(`{"patch":{"counters":` + strings.Replace(string(now), `"id":"14"`, `"id":14`, 1) + `}}`)
	require.True(t, r.OK, "%+v", r.Error)
	require.NotNil(t, o.Config().Counter("14"))
}

// What an administrator set outlasts a restart, until the file changes;
// config.history lists the versions and config.rollback goes back to one.
func TestConfigVersions(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	start := func(cfg *config.Config) (context.Context, *office.Office) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t.Cleanup(cancel)
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
		require.NoError(t, err)
		return ctx, o
	}
	admin := func(ctx context.Context, o *office.Office, op, args string) map[string]any {
		t.Helper()
		r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: op, Args: json.RawMessage(args)})
		require.True(t, r.OK, "%s %s: %+v", op, args, r.Error)
		b, err := json.Marshal(r.Result)
		require.NoError(t, err)
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			var list []map[string]any
			require.NoError(t, json.Unmarshal(b, &list))
			m = map[string]any{"list": list}
		}
		return m
	}

	ctx, o := start(cfg)
	res := admin(ctx, o, "config.set", `{"patch":{"office":{"recall_limit":7}},"author":"оператор"}`)
	require.EqualValues(t, 2, res["version"], "version 1 is the file")
	require.NoError(t, o.Close())

	// The same file: the administrator's change runs.
	ctx, o = start(roundTheClock(t))
	require.Equal(t, 7, o.Config().Office.RecallLimit)
	hist := admin(ctx, o, "config.history", ``)["list"].([]map[string]any)
	require.Len(t, hist, 2)
	require.EqualValues(t, 2, hist[0]["version"])
	require.Equal(t, "admin", hist[0]["source"])
	require.Equal(t, "оператор", hist[0]["author"])
	require.Equal(t, "file", hist[1]["source"])
	one := admin(ctx, o, "config.history", `{"version":1}`)
	require.NotNil(t, one["config"])
	r0 := o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.history", Args: json.RawMessage(`{"version":0}`)})
	require.Equal(t, "not_found", r0.Error.Code, "version 0 is a version asked for, not the whole list")

	// Back to version 1.
	res = admin(ctx, o, "config.rollback", `{"version":1}`)
	require.EqualValues(t, 3, res["version"])
	require.Equal(t, 3, o.Config().Office.RecallLimit)
	// Again: it runs already, and nothing is recorded.
	res = admin(ctx, o, "config.rollback", `{"version":1}`)
	require.EqualValues(t, 3, res["version"])
	require.Equal(t, true, res["unchanged"])
	require.Len(t, admin(ctx, o, "config.history", ``)["list"], 3)
	r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.rollback", Args: json.RawMessage(`{"version":99}`)})
	require.Equal(t, "not_found", r.Error.Code)
	admin(ctx, o, "config.set", `{"patch":{"office":{"recall_limit":5}}}`)
	require.NoError(t, o.Close())

	// A file edited meanwhile (a printer moved, which only the file
	// says) runs its edits on top of what was set, and both are recorded:
	// the file, to tell its next edit by, and the merge, which runs.
	edited := roundTheClock(t)
	edited.Office.Footer = "Нова адреса"
	edited.Kiosks[0].Printer = "serial:/dev/ttyUSB1"
	ctx, o = start(edited)
	require.Equal(t, 5, o.Config().Office.RecallLimit, "what was set runs on")
	require.Equal(t, "Нова адреса", o.Config().Office.Footer)
	require.Equal(t, "serial:/dev/ttyUSB1", o.Config().Kiosks[0].Printer)
	hist = admin(ctx, o, "config.history", ``)["list"].([]map[string]any)
	require.Len(t, hist, 6)
	require.Equal(t, "merge", hist[0]["source"])
	require.EqualValues(t, 4, hist[0]["merge_of"])
	require.Equal(t, "file", hist[1]["source"])

	// A version from before the printer moved runs again with the printer
	// where it is now: what is wired is the file's.
	res = admin(ctx, o, "config.rollback", `{"version":2}`)
	require.EqualValues(t, 7, res["version"])
	require.Equal(t, 7, o.Config().Office.RecallLimit)
	require.Equal(t, cfg.Office.Footer, o.Config().Office.Footer)
	require.Equal(t, "serial:/dev/ttyUSB1", o.Config().Kiosks[0].Printer)
	require.NoError(t, o.Close())

	// The same file again: the rollback runs on.
	_, o = start(edited)
	require.Equal(t, 7, o.Config().Office.RecallLimit)
	require.NoError(t, o.Close())

	// Where the file and an administrator changed the same setting, the
	// file's edit runs.
	edited2 := roundTheClock(t)
	edited2.Office.Footer = "Нова адреса"
	edited2.Kiosks[0].Printer = "serial:/dev/ttyUSB1"
	edited2.Office.RecallLimit = 2
	ctx, o = start(edited2)
	defer o.Close()
	require.Equal(t, 2, o.Config().Office.RecallLimit)
	require.Equal(t, cfg.Office.Footer, o.Config().Office.Footer, "the file's footer is as it was: the rollback's runs")
	hist = admin(ctx, o, "config.history", ``)["list"].([]map[string]any)
	require.Equal(t, "merge", hist[0]["source"])
}

// A file edited while an administrator's version ran is merged with it by
// the ids of services, counters and kiosks: a service and a counter the
// administrator added stay beside the file's edit of another service. It
// was merged by whole lists: the file's edit of one service's name brought
// the file's services, without the administrator's, which the counter
// added for it then named; that did not validate, and the file ran as it
// was, without all that was set.
func TestFileEditMergesByID(t *testing.T) {
	db := filepath.Join(t.TempDir(), "o.db")
	log := &testkit.Log{}
	start := func(cfg *config.Config) *office.Office {
		t.Helper()
		o, err := office.Start(context.Background(), office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		require.NoError(t, err)
		return o
	}
	o := start(roundTheClock(t))
	doc, err := json.Marshal(o.Config())
	require.NoError(t, err)
	var set map[string]any
	require.NoError(t, json.Unmarshal(doc, &set))
	services := set["services"].([]any)
	services[1].(map[string]any)["name"] = "ПФУ"
	services[1].(map[string]any)["avg_service_min"] = 25
	set["services"] = append(services, map[string]any{"id": "subsidy", "name": "Субсидії", "prefix": "С"})
	set["counters"] = append(set["counters"].([]any), map[string]any{"id": "14", "services": []any{"subsidy", "social"}})
	set["office"].(map[string]any)["holidays"] = []any{"2031-01-01"}
	set["office"].(map[string]any)["recall_limit"] = 5
	doc, err = json.Marshal(map[string]any{"config": set})
	require.NoError(t, err)
	r := o.Admin(context.Background(), office.AdminRequest{ID: "s", Op: "config.set", Args: doc})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, o.Close())

	edited := roundTheClock(t)
	edited.Services[1].Name = "Пенсійний фонд України"
	edited.Counters = slices.DeleteFunc(edited.Counters, func(c config.Counter) bool { return c.ID == "12" })
	edited.Office.Holidays = []string{"2030-12-31"}
	o = start(edited)
	defer o.Close()
	c := o.Config()
	require.NotNil(t, c.Service("subsidy"), "the administrator's service stays")
	require.NotNil(t, c.Counter("14"), "and the counter added for it")
	require.Nil(t, c.Counter("12"), "the counter the file took away goes")
	require.Equal(t, "Пенсійний фонд України", c.Service("pension").Name, "where both changed a field, the file's edit runs")
	require.Equal(t, 25.0, c.Service("pension").AvgServiceMin, "the administrator's other change of the service stays")
	require.Equal(t, 5, c.Office.RecallLimit)
	require.Equal(t, []string{"2030-12-31"}, c.Office.Holidays, "another list is one setting: the file's")
	require.Contains(t, log.String(), "its edits run on top of what administrators set")
	require.Contains(t, log.String(), "counters[12] (taken away)")
	require.Contains(t, log.String(), `(it leaves config.office.holidays without \"2031-01-01\", which ran)`)
	require.NotContains(t, log.String(), "do not go with what administrators set")
}

// A rollback brings back the services of the kiosk buttons while the
// printer runs as -printer replaced it (the README's trial run with
// -printer none, the simulator's pseudo-terminals): the buttons are wired
// the same. It answered "unchanged", the buttons left as they were.
func TestRollbackButtonsUnderAPrinterOverride(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Kiosks[0].Printer = "serial:/dev/ttyUSB0?baud=19200" // as the file has it
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Printer: "none", Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	services := func() []string {
		var out []string
		for _, b := range o.Config().Kiosks[0].Buttons {
			out = append(out, b.Service)
		}
		return out
	}
	require.Equal(t, []string{"social", "pension", "employment"}, services())
	doc, err := json.Marshal(o.Config())
	require.NoError(t, err)
	swapped := strings.Replace(strings.Replace(string(doc), `"service":"social"`, `"service":"tmp"`, 1), `"service":"pension"`, `"service":"social"`, 1)
	swapped = strings.Replace(swapped, `"service":"tmp"`, `"service":"pension"`, 1)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"config":` + swapped + `}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Equal(t, []string{"pension", "social", "employment"}, services())

	r = o.Admin(ctx, office.AdminRequest{ID: "r", Op: "config.rollback", Args: json.RawMessage(`{"version":1}`)})
	require.True(t, r.OK, "%+v", r.Error)
	res, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.NotContains(t, string(res), `"unchanged"`)
	require.Equal(t, []string{"social", "pension", "employment"}, services())
}

// A file edit of a list that an administrator changed too: the counters,
// merged by id, keep the administrator's beside the file's; the holidays,
// one setting, run as the file has them, and the log names what of the
// administrator's goes.
func TestFileEditSaysWhatGoes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "o.db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	counters := append(slices.Clone(o.Config().Counters), config.Counter{ID: "99", Services: []string{"social"}})
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"counters": counters, "office": map[string]any{"holidays": []string{"2030-01-07"}}}})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: patch})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, o.Close())

	edited := roundTheClock(t)
	edited.Counters = append(edited.Counters, config.Counter{ID: "15", Services: []string{"social"}})
	edited.Office.Holidays = []string{"2030-01-01"}
	var log testkit.Log
	o, err = office.Start(ctx, office.Opts{Config: edited, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer o.Close()
	require.NotNil(t, o.Config().Counter("15"))
	require.NotNil(t, o.Config().Counter("99"), "the administrator's counter stays")
	require.Equal(t, []string{"2030-01-01"}, o.Config().Office.Holidays, "the file's list runs")
	require.True(t, log.Count(`it leaves config.office.holidays without \"2030-01-07\", which ran`) > 0, "%s", &log)
}

// A change that is no error but may not be what was meant is said in
// config.set's warnings: hours given for one day close the service on the
// others; a daily_cap today's tickets have reached stops its kiosks now.
func TestConfigSetWarnsOfAChange(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for range 3 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	warnings := func(args string) []string {
		t.Helper()
		r := o.Admin(ctx, office.AdminRequest{ID: "w", Op: "config.set", Args: json.RawMessage(args)})
		require.True(t, r.OK, "%+v", r.Error)
		raw, err := json.Marshal(r.Result)
		require.NoError(t, err)
		var ans struct{ Warnings []string }
		require.NoError(t, json.Unmarshal(raw, &ans))
		return ans.Warnings
	}
	doc, err := json.Marshal(o.Config().Services)
	require.NoError(t, err)
	var svcs []map[string]any
	require.NoError(t, json.Unmarshal(doc, &svcs))
	svcs[2]["hours"] = map[string]string{"sat": "00:00-17:00"}
	svcs[0]["daily_cap"] = 3
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"services": svcs}})
	require.NoError(t, err)
	ws := warnings(string(patch))
	require.Contains(t, ws, "services[2] (id \"employment\").hours: the service is no longer given on mon, tue, wed, thu, fri, sun (a service's hours name every day it is given: a day left out is closed)")
	require.Contains(t, ws, "services[0] (id \"social\").daily_cap: today's tickets of the service reached 3 already: its kiosks issue none more of it today")
	// Sent again as it runs: nothing to warn of.
	require.Empty(t, warnings(string(patch)))
	// The office's hours: said once, of the office. (Not of today, which
	// would send the tickets waiting home.)
	day := config.Weekdays[(int(time.Now().In(o.Config().Location()).Weekday())+6+2)%7]
	ws = warnings(`{"patch":{"office":{"hours":{"` + day + `":"closed"}}}}`)
	require.Equal(t, []string{"config.office.hours: the office is no longer open on " + day + " (its hours name every day it is open: a day left out is closed)"}, ws)
}

// A value of the wrong JSON type is refused saying what was sent: "5"
// for recall_limit is text, and "got 5" would read as if 5 were wrong.
func TestConfigSetSaysWhatWasSent(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for _, tc := range []struct{ office, field, message string }{
		{`{"recall_limit":"5"}`, "recall_limit", `want a whole number, got text "5"`},
		{`{"recall_limit":true}`, "recall_limit", "want a whole number, got true"},
		{`{"recall_limit":[5]}`, "recall_limit", "want a whole number, got a list"},
		{`{"recall_limit":{"n":5}}`, "recall_limit", "want a whole number, got an object"},
		{`{"recall_limit":5.5}`, "recall_limit", "want a whole number, got 5.5"},
		{`{"noshow_grace_min":"2.5"}`, "noshow_grace_min", `want a number, got text "2.5"`},
		{`{"refuse_late":"true"}`, "refuse_late", `want true or false, got text "true"`},
		{`{"refuse_late":1}`, "refuse_late", "want true or false, got 1"},
		{`{"footer":["Дякуємо"]}`, "footer", "want text, got a list"},
		{`{"holidays":"2030-01-01"}`, "holidays", `want a list, got text "2030-01-01"; config.office.holidays is a list, which a patch sets whole: send all its items, changed (config.get shows them; chergactl config.set 'office.holidays=[…]', or -args @FILE)`},
		{`{"hours":false}`, "hours", "want an object, got false"},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "w", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":` + tc.office + `}}`)})
		require.False(t, r.OK, tc.office)
		require.Equal(t, "config.office."+tc.field, r.Error.Field, tc.office)
		require.Equal(t, "office: config.office."+tc.field+": "+tc.message, r.Error.Message, tc.office)
	}
	for _, tc := range []struct{ counters, field, message string }{
		{`"1"`, "config.counters", `want a list, got text "1"; config.counters is a list, which a patch sets whole: send all its items, changed (config.get shows them; chergactl config.set 'counters=[…]', or -args @FILE)`},
		{`[5]`, "config.counters[0]", "want an object, got 5"},
		{`[{"id":"1","services":["social"],"board":{"mode":"awtrix","awtrix":{"prefix":"p","blink":300}}}]`,
			"config.counters[0].board.awtrix.blink", `want a duration such as "500ms", got 300`},
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "w", Op: "config.set", Args: json.RawMessage(`{"patch":{"counters":` + tc.counters + `}}`)})
		require.False(t, r.OK, tc.counters)
		require.Equal(t, tc.field, r.Error.Field, tc.counters)
		require.Equal(t, "office: "+tc.field+": "+tc.message, r.Error.Message, tc.counters)
	}
	// One item of a list, by its index (chergactl config.set
	// services[0].name=…): a list is set whole.
	r := o.Admin(ctx, office.AdminRequest{ID: "w", Op: "config.set", Args: json.RawMessage(`{"patch":{"services[0]":{"name":"x"}}}`)})
	require.False(t, r.OK)
	require.Equal(t, "config.services[0]", r.Error.Field)
	require.Equal(t, "office: config.services[0]: config.services is a list, which a patch sets whole: send all its items, changed (config.get shows them; chergactl config.set 'services=[…]', or -args @FILE)", r.Error.Message)
	require.Equal(t, 3, o.Config().Office.RecallLimit)

	// A whole document with JSON's own escapes (PHP's json_encode writes
	// "Europe\/Kyiv"; a surrogate pair is one character) is JSON.
	doc, err := json.Marshal(o.Config())
	require.NoError(t, err)
	escaped := strings.ReplaceAll(string(doc), "/", `\/`)
	escaped = strings.Replace(escaped, `"recall_limit":3`, `"recall_limit":4`, 1)
	smiling := strings.Replace(escaped, `"footer":"`, `"footer":"\ud83d\ude42 `, 1)
	require.Contains(t, smiling, `\ud83d`)
	r = o.Admin(ctx, office.AdminRequest{ID: "e", Op: "config.set", Args: json.RawMessage(`{"config":` + smiling + `}`)})
	require.False(t, r.OK)
	require.Contains(t, r.Error.Message, "cannot encode '🙂' (U+1F642)", "read, then refused by the printer")
	r = o.Admin(ctx, office.AdminRequest{ID: "e", Op: "config.set", Args: json.RawMessage(`{"config":` + escaped + `}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Equal(t, 4, o.Config().Office.RecallLimit)
	require.Equal(t, "Europe/Kyiv", o.Config().Office.Timezone)
}

// Two administrators: A reads the configuration, B adds a holiday, A sends
// its whole document back with only recall_limit changed. With the version
// A read as base_version, A's stale document is refused (conflict, naming
// both versions) and B's holiday stays; read again and merged, it runs.
// Without base_version a document is taken as before.
func TestConfigSetBaseVersion(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/admin/res/#")
	type answer struct {
		OK     bool
		Result json.RawMessage
		Error  *office.AdminError
	}
	n := 0
	ask := func(op string, args any) answer {
		t.Helper()
		n++
		id := fmt.Sprintf("b%d", n)
		req, err := json.Marshal(map[string]any{"id": id, "op": op, "args": args})
		require.NoError(t, err)
		require.NoError(t, l.Publish("qms/demo/admin/req", req, false))
		m, err := l.Wait(ctx, "qms/demo/admin/res/"+id, nil)
		require.NoError(t, err)
		var a answer
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		return a
	}
	type read struct {
		Config  map[string]any
		Version uint64
	}
	get := func() read {
		t.Helper()
		a := ask("config.get", nil)
		require.True(t, a.OK, "%+v", a.Error)
		var r read
		require.NoError(t, json.Unmarshal(a.Result, &r))
		return r
	}
	withRecallLimit := func(doc map[string]any, n int) map[string]any {
		doc["office"].(map[string]any)["recall_limit"] = n
		return doc
	}

	a := get()
	require.EqualValues(t, 1, a.Version)
	b := ask("config.set", map[string]any{"patch": map[string]any{"office": map[string]any{"holidays": []string{"2030-01-01"}}}, "base_version": 1})
	require.True(t, b.OK, "%+v", b.Error)

	stale := ask("config.set", map[string]any{"config": withRecallLimit(a.Config, 5), "base_version": a.Version})
	require.False(t, stale.OK)
	require.Equal(t, "conflict", stale.Error.Code)
	require.Equal(t, "base_version", stale.Error.Field)
	require.Contains(t, stale.Error.Message, "the configuration is at version 2, not 1: config.get, merge, and send again")
	require.Equal(t, []string{"2030-01-01"}, o.Config().Office.Holidays, "B's holiday stays")
	require.Equal(t, 3, o.Config().Office.RecallLimit, "nothing of A's ran")
	now := get()
	require.EqualValues(t, 2, now.Version, "nor was it recorded")

	merged := ask("config.set", map[string]any{"config": withRecallLimit(now.Config, 5), "base_version": now.Version})
	require.True(t, merged.OK, "%+v", merged.Error)
	require.Contains(t, string(merged.Result), `"version":3`)
	require.Equal(t, 5, o.Config().Office.RecallLimit)
	require.Equal(t, []string{"2030-01-01"}, o.Config().Office.Holidays)

	zero := ask("config.set", map[string]any{"patch": map[string]any{"office": map[string]any{"recall_limit": 4}}, "base_version": 0})
	require.False(t, zero.OK)
	require.Equal(t, "bad_request", zero.Error.Code)
	require.Equal(t, "base_version", zero.Error.Field)

	// Without base_version, the last document sent wins, as before.
	blind := ask("config.set", map[string]any{"config": withRecallLimit(a.Config, 4)})
	require.True(t, blind.OK, "%+v", blind.Error)
	require.Equal(t, 4, o.Config().Office.RecallLimit)
	require.Empty(t, o.Config().Office.Holidays)
}

// What config.get answered, saved to a file and edited, goes back to
// config.set as it is: its "version" is the base_version (a change made
// since is a conflict); both given and different is a bad request. A
// request saved by Notepad, with a byte order mark first, is read.
func TestConfigGetFedBack(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/admin/res/#")
	ask := func(id string, payload []byte) office.AdminResponse {
		t.Helper()
		require.NoError(t, l.Publish("qms/demo/admin/req", payload, false))
		m, err := l.Wait(ctx, "qms/demo/admin/res/"+id, nil)
		require.NoError(t, err)
		var a office.AdminResponse
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		return a
	}
	got := ask("g", []byte(`{"id":"g","op":"config.get"}`))
	require.True(t, got.OK, "%+v", got.Error)
	var saved map[string]any
	b, err := json.Marshal(got.Result)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &saved))
	require.EqualValues(t, 1, saved["version"])
	saved["config"].(map[string]any)["office"].(map[string]any)["recall_limit"] = 5
	edited, err := json.Marshal(saved)
	require.NoError(t, err)

	both := ask("b", []byte(`{"id":"b","op":"config.set","args":{"config":{},"version":1,"base_version":2}}`))
	require.False(t, both.OK)
	require.Equal(t, "bad_request", both.Error.Code)
	require.Equal(t, "version", both.Error.Field)

	set := ask("s", append([]byte("\ufeff"+`{"id":"s","op":"config.set","args":`), append(edited, '}')...))
	require.True(t, set.OK, "%+v", set.Error)
	require.Equal(t, 5, o.Config().Office.RecallLimit)

	saved["config"].(map[string]any)["office"].(map[string]any)["recall_limit"] = 6
	stale, err := json.Marshal(saved)
	require.NoError(t, err)
	again := ask("a", []byte(`{"id":"a","op":"config.set","args":`+string(stale)+`}`))
	require.False(t, again.OK, "made from version 1, which no longer runs")
	require.Equal(t, "conflict", again.Error.Code)
}

// A config.set that changes nothing (3.0 for 3) is answered with the
// version running, marked unchanged: nothing is recorded, and no
// config.changed goes out.
func TestConfigSetUnchanged(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/events")
	changes := func() int {
		t.Helper()
		evs, err := o.Engine().Replay(0, 1<<20)
		require.NoError(t, err)
		n := 0
		for _, ev := range evs {
			if ev.Type == queue.EvConfigChanged {
				n++
			}
		}
		return n
	}
	before := changes()
	r := o.Admin(ctx, office.AdminRequest{ID: "u", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"recall_limit":3.0}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	ans := r.Result.(map[string]any)
	require.EqualValues(t, 1, ans["version"], "the version running")
	require.Equal(t, true, ans["unchanged"])
	require.Equal(t, before, changes(), "no config.changed")
	vs, err := o.Engine().ConfigVersions(ctx)
	require.NoError(t, err)
	require.Len(t, vs, 1, "nothing recorded")

	r = o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"recall_limit":4}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.EqualValues(t, 2, r.Result.(map[string]any)["version"])
	require.Nil(t, r.Result.(map[string]any)["unchanged"])
	require.Equal(t, before+1, changes())
}

// A service renamed by config.set (its id changes, the new one prints the
// same prefix): the ticket already at a counter keeps the old id, and its
// board, live and in office.state, still names its service, now the new
// one's name. Only an idle or closed board leaves "service" out.
func TestConfigSetRenameKeepsBoardService(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/board/13")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	called, err := o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.NotNil(t, called.Ticket)
	label := called.Ticket.Label
	_, err = l.Wait(ctx, "qms/demo/board/13", containing(`"ticket":"`+label+`"`))
	require.NoError(t, err)

	doc := renameEmployment(t, o.Config())
	set := time.Now()
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: doc})
	require.True(t, r.OK, "%+v", r.Error)
	require.NotNil(t, o.Config().Service("jobs"))

	m, err := l.Wait(ctx, "qms/demo/board/13", func(m sim.Message) bool { return !m.At.Before(set) })
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"ticket":"`+label+`"`)
	require.Contains(t, string(m.Payload), `"service":"Служба зайнятості"`)

	b := officeState(t, ctx, o)
	var state struct {
		Counters []struct{ Counter, Ticket, Service string }
	}
	require.NoError(t, json.Unmarshal(b, &state))
	i := slices.IndexFunc(state.Counters, func(c struct{ Counter, Ticket, Service string }) bool { return c.Counter == "13" })
	require.GreaterOrEqual(t, i, 0)
	require.Equal(t, label, state.Counters[i].Ticket)
	require.Equal(t, "Служба зайнятості", state.Counters[i].Service)
}

// renameEmployment is config.set's document of cfg with service
// employment renamed jobs, «Служба зайнятості», the same prefix: its
// counters and kiosk buttons follow.
func renameEmployment(t testing.TB, c *config.Config) json.RawMessage {
	t.Helper()
	cfg := *c
	cfg.Services = slices.Clone(cfg.Services)
	for i := range cfg.Services {
		if cfg.Services[i].ID == "employment" {
			cfg.Services[i].ID, cfg.Services[i].Name = "jobs", "Служба зайнятості"
		}
	}
	rename := func(ids []string) []string {
		ids = slices.Clone(ids)
		for i := range ids {
			if ids[i] == "employment" {
				ids[i] = "jobs"
			}
		}
		return ids
	}
	cfg.Counters = slices.Clone(cfg.Counters)
	for i := range cfg.Counters {
		cfg.Counters[i].Services = rename(cfg.Counters[i].Services)
	}
	cfg.Kiosks = slices.Clone(cfg.Kiosks)
	for i := range cfg.Kiosks {
		cfg.Kiosks[i].Buttons = slices.Clone(cfg.Kiosks[i].Buttons)
		for j := range cfg.Kiosks[i].Buttons {
			if b := &cfg.Kiosks[i].Buttons[j]; b.Service == "employment" {
				b.Service = "jobs"
			}
		}
	}
	doc, err := json.Marshal(map[string]any{"config": &cfg})
	require.NoError(t, err)
	return doc
}

// tickets.list filters by any well-formed service id, not only by one
// configured now: a ticket keeps the id of a service renamed or taken away
// since (at a counter, or on a past day). A service nobody's tickets carry
// lists none.
func TestTicketsListServiceNoLongerConfigured(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for range 2 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
		require.NoError(t, err)
	}
	_, err := o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: renameEmployment(t, o.Config())})
	require.True(t, r.OK, "%+v", r.Error)
	require.Nil(t, o.Config().Service("employment"))

	list := func(args string) []string {
		t.Helper()
		r := o.Admin(ctx, office.AdminRequest{ID: "l", Op: "tickets.list", Args: json.RawMessage(args)})
		require.True(t, r.OK, "%s: %+v", args, r.Error)
		b, err := json.Marshal(r.Result)
		require.NoError(t, err)
		var page struct {
			Tickets []struct{ Label, Service string }
		}
		require.NoError(t, json.Unmarshal(b, &page))
		var labels []string
		for _, tk := range page.Tickets {
			labels = append(labels, tk.Label+" "+tk.Service)
		}
		return labels
	}
	require.Equal(t, []string{"Ц001 employment"}, list(`{"service":"employment"}`), "at the counter, under the old id")
	require.Equal(t, []string{"Ц002 jobs"}, list(`{"service":"jobs"}`), "moved to the service that prints Ц")
	require.Empty(t, list(`{"service":"nosuch"}`))
	require.Len(t, list(`{}`), 2)
}

// A kiosk button is given another service while the office runs: its pin
// now issues tickets of that service. Its pin cannot move without a restart.
func TestConfigSetKioskButton(t *testing.T) {
	cfg := roundTheClock(t)
	h := newHeader()
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open, ButtonClock: h.clock}, "qms/demo/kiosk/#")
	require.Equal(t, "GPIO17", cfg.Kiosks[0].Buttons[0].Pin)
	kiosks := func(edit func(b []config.KioskButton)) string {
		ks := slices.Clone(o.Config().Kiosks)
		ks[0].Buttons = slices.Clone(ks[0].Buttons)
		edit(ks[0].Buttons)
		b, err := json.Marshal(map[string]any{"patch": map[string]any{"kiosks": ks}})
		require.NoError(t, err)
		return string(b)
	}
	r := o.Admin(ctx, office.AdminRequest{ID: "k", Op: "config.set", Args: json.RawMessage(kiosks(func(b []config.KioskButton) { b[0].Service = "employment" }))})
	require.True(t, r.OK, "%+v", r.Error)

	h.shortPress(t, "GPIO17")
	_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"ticket":"Ц001"`))
	require.NoError(t, err)

	r = o.Admin(ctx, office.AdminRequest{ID: "k", Op: "config.set", Args: json.RawMessage(kiosks(func(b []config.KioskButton) { b[0].Pin = "GPIO16" }))})
	require.False(t, r.OK)
	require.Equal(t, "config.kiosks[0].buttons[0].pin", r.Error.Field)
	require.Contains(t, r.Error.Message, `(this gives "GPIO16", and "GPIO17" runs)`)
	// A button made a priority one: named, not taken for its pins.
	r = o.Admin(ctx, office.AdminRequest{ID: "k", Op: "config.set", Args: json.RawMessage(kiosks(func(b []config.KioskButton) { b[1].Priority = true }))})
	require.False(t, r.OK)
	require.Equal(t, "config.kiosks[0].buttons[1].priority", r.Error.Field)
}

// config.set refuses a name the kiosk's printer cannot print (every ticket
// of the service would be voided), naming the field; a counter taken away
// leaves no retained AWTRIX app behind.
func TestConfigSetPrintableAndBoardsCleared(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/#", "awtrix_demo_13/#")
	services := o.Config().Services
	services = append([]config.Service(nil), services...)
	services[1].Name = "Пенсійний фонд ☎"
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"services": services}})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: patch})
	require.False(t, r.OK)
	require.Equal(t, "config.services[1]", r.Error.Field, r.Error.Message)
	require.Contains(t, r.Error.Message, "cannot encode")

	// Nor a footer that would take a ticket over 1 KB.
	patch, err = json.Marshal(map[string]any{"patch": map[string]any{"office": map[string]any{"footer": strings.Repeat("Дякуємо, що чекаєте! ", 40)}}})
	require.NoError(t, err)
	r = o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: patch})
	require.False(t, r.OK)
	require.Equal(t, "config.office", r.Error.Field, r.Error.Message)
	require.Contains(t, r.Error.Message, "shorten the texts")

	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_demo_13/custom/cherga", containing("Ц001"))
	require.NoError(t, err, "counter 13 of the example office has an AWTRIX board")
	var list []config.Counter
	for _, c := range o.Config().Counters {
		if c.ID == "12" {
			c.Services = append(slices.Clip(c.Services), "employment") // for the kiosk's button
		}
		if c.ID != "13" {
			list = append(list, c)
		}
	}
	// Ц001 called to it goes back to the queue: said so with expire.
	patch, err = json.Marshal(map[string]any{"patch": map[string]any{"counters": list}, "remove": true, "expire": true})
	require.NoError(t, err)
	r = o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: patch})
	require.True(t, r.OK, "%+v", r.Error)
	_, err = l.Wait(ctx, "awtrix_demo_13/custom/cherga", func(m sim.Message) bool { return len(m.Payload) == 0 })
	require.NoError(t, err, "the AWTRIX app of the counter that is gone is cleared")
}

// {site} in an AWTRIX prefix is the office's site: two offices on one
// broker with one configuration file's prefix (awtrix_{site}_13) drive a
// matrix each, not each other's.
func TestAwtrixPrefixOfTheSite(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Site = "kyiv-3"
	// The events too, as an announcer would: after a start they are held
	// (the call's notification with them) until someone takes them.
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "awtrix_demo_13/#", "awtrix_kyiv-3_13/#", "qms/kyiv-3/events")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_kyiv-3_13/custom/cherga", containing("Ц001"))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_kyiv-3_13/notify", containing("Ц001"))
	require.NoError(t, err)
	require.Empty(t, l.Messages("awtrix_demo_13/custom/cherga"), "not demo's matrix")
	require.Equal(t, "awtrix_{site}_13", o.Config().Counter("13").Board.Awtrix.Prefix, "config.get gives the file's")
}

// A kiosk button pressed again at once prints one ticket, and the kiosk
// says why the second press gave none.
func TestKioskRepeatPress(t *testing.T) {
	h := newHeader()
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Pin: h.open, ButtonClock: h.clock}, "qms/demo/kiosk/#")
	h.shortPress(t, "GPIO17")
	h.shortPress(t, "GPIO17")
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"reason":"repeat"`))
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), "Талон уже друкується: одне натискання — один талон.")
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 1)

	// During an air-raid alert the press is refused, and so is the one
	// that repeats it: with the way to the shelter, not "your ticket is
	// printing".
	require.True(t, o.Admin(ctx, office.AdminRequest{ID: "a", Op: "office.pause", Args: json.RawMessage(`{"reason":"повітряна тривога"}`)}).OK)
	n := len(l.Messages("qms/demo/kiosk/k1/ticket"))
	h.clock.Advance(5 * time.Second) // past the first presses' interval
	h.shortPress(t, "GPIO17")
	h.shortPress(t, "GPIO17")
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(sim.Message) bool { return len(l.Messages("qms/demo/kiosk/k1/ticket")) >= n+2 })
	require.NoError(t, err)
	for i, m := range l.Messages("qms/demo/kiosk/k1/ticket")[n : n+2] {
		var res office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		require.False(t, res.OK)
		require.Equal(t, []string{"paused", "repeat"}[i], res.Reason)
		require.Contains(t, res.Message, "укриття", "press %d", i)
		require.NotContains(t, res.Message, "друкується")
	}

	// The all-clear, and a press at once, within the interval of the
	// refused one: not "still the alert", but to press again; and a
	// press once the interval is over gives one ticket.
	require.True(t, o.Admin(ctx, office.AdminRequest{ID: "b", Op: "office.resume"}).OK)
	// The n-th answer, once it came (Wait's match is the first message
	// of the topic that passes: any, once there are n).
	answer := func(i int) string {
		t.Helper()
		_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(sim.Message) bool { return len(l.Messages("qms/demo/kiosk/k1/ticket")) > i })
		require.NoError(t, err)
		return string(l.Messages("qms/demo/kiosk/k1/ticket")[i].Payload)
	}
	h.shortPress(t, "GPIO17")
	a := answer(n + 2)
	require.Contains(t, a, `"reason":"repeat"`)
	require.Contains(t, a, "Тепер талон можна отримати: натисніть кнопку ще раз.")
	h.clock.Advance(3 * time.Second)
	h.shortPress(t, "GPIO17")
	require.Contains(t, answer(n+3), `"ticket":"А002"`)
	tks, err = o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 2, "one ticket for the two presses")
}

// A kiosk's mash interval and the office's debounce come from the file:
// one ticket per button per press_interval_ms, the presses within it
// counted in office.state, not printed; a bounce shorter than
// gpio.debounce_ms is no press.
func TestKioskPressIntervalAndDebounce(t *testing.T) {
	h := newHeader()
	cfg := roundTheClock(t)
	cfg.Kiosks[0].PressIntervalMS = 5000
	cfg.GPIO.DebounceMS = 100
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Pin: h.open, ButtonClock: h.clock}, "qms/demo/kiosk/#")
	waitTickets := func(n int) {
		t.Helper()
		_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(sim.Message) bool { return len(l.Messages("qms/demo/kiosk/k1/ticket")) >= n })
		require.NoError(t, err)
	}
	pin := h.pin("GPIO17")
	step := func(d time.Duration) {
		require.NoError(t, pin.WaitIdle(10*time.Second))
		h.clock.Advance(d)
		require.NoError(t, pin.WaitIdle(10*time.Second))
	}
	// press holds the button down for low, then lets it go.
	press := func(low time.Duration) {
		pin.Edge(gpio.Low)
		step(low)
		pin.Edge(gpio.High)
		step(150 * time.Millisecond)
	}
	press(150 * time.Millisecond)
	waitTickets(1)
	h.clock.Advance(3 * time.Second) // past the default 2 s, within 5 s
	press(150 * time.Millisecond)
	waitTickets(2)
	require.Contains(t, string(l.Messages("qms/demo/kiosk/k1/ticket")[1].Payload), `"reason":"repeat"`)
	h.clock.Advance(3 * time.Second)
	press(150 * time.Millisecond)
	waitTickets(3)
	require.Contains(t, string(l.Messages("qms/demo/kiosk/k1/ticket")[2].Payload), `"ok":true`)

	// A 60 ms low: a bounce for a 100 ms debounce (a press for 30 ms).
	// The press after it answers after anything the bounce gave.
	h.clock.Advance(10 * time.Second)
	press(60 * time.Millisecond)
	h.clock.Advance(10 * time.Second)
	press(150 * time.Millisecond)
	waitTickets(4)
	require.Contains(t, string(l.Messages("qms/demo/kiosk/k1/ticket")[3].Payload), `"ticket":"А003"`)
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 3)
	b := officeState(t, ctx, o)
	require.Contains(t, string(b), `{"source":"kiosk/k1 gpio GPIO17","pin":"GPIO17","presses":3,"repeats":1,"stuck":0}`)
}

// shortPress presses and releases a button on the fake header, letting the
// debounce and the button see each edge.
func (h *header) shortPress(t *testing.T, name string) {
	t.Helper()
	pin := h.pin(name)
	step := func(d time.Duration) {
		require.NoError(t, pin.WaitIdle(10*time.Second))
		h.clock.Advance(d)
		require.NoError(t, pin.WaitIdle(10*time.Second))
	}
	pin.Edge(gpio.Low)
	step(30 * time.Millisecond)
	step(100 * time.Millisecond)
	pin.Edge(gpio.High)
	step(30 * time.Millisecond)
}

// One -printer for several kiosks would have them read each other's status
// replies: refused at start.
func TestOnePrinterFlagForTwoKiosks(t *testing.T) {
	cfg := roundTheClock(t)
	k2 := cfg.Kiosks[0]
	k2.ID, k2.Buttons, k2.Buzzer = "k2", nil, ""
	cfg.Kiosks = append(cfg.Kiosks, k2)
	_, err := office.Start(context.Background(), office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Printer: "tcp://127.0.0.1:9100", Logger: slog.New(slog.DiscardHandler)})
	require.ErrorContains(t, err, "each needs its own")
}

// An office that has run its file once and then been changed by its
// administrators more often than the history keeps (200 versions) still
// runs their latest change after a restart: the file's version, which the
// start compares the file with, is kept however old.
func TestConfigVersionsBeyondTheHistory(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	ctx := context.Background()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	for i := range 205 {
		r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.set", Args: json.RawMessage(fmt.Sprintf(`{"patch":{"office":{"recall_limit":%d}}}`, 2+i%8))})
		require.True(t, r.OK, "%+v", r.Error)
	}
	last := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"recall_limit":7,"hall_size":4}}}`)})
	require.True(t, last.OK, "%+v", last.Error)
	require.NoError(t, o.Close())

	o, err = office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	require.Equal(t, 7, o.Config().Office.RecallLimit)
	require.Equal(t, 4, o.Config().Office.HallSize)
	vs, err := o.Engine().ConfigVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, "file", vs[0].Source)
	require.EqualValues(t, 1, vs[0].Version)
	require.Len(t, vs, 201, "the file's version and the 200 newest")
}

// With the only counter of a service closed, the kiosk's answer and the
// queue's figures say the wait is unknown (null), not "under a minute",
// and the answer (as the ticket) says it is a break: wait to be called.
func TestWaitUnknownWithNoCounterOpen(t *testing.T) {
	cfg := roundTheClock(t)
	// At noon: run near midnight, the ticket would also say the office
	// may not serve it before its day ends.
	noon := time.Date(2026, 11, 23, 12, 0, 0, 0, cfg.Location())
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Now: func() time.Time { return noon }}, "qms/demo/kiosk/k1/ticket", "qms/demo/queue/employment")
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "counter.close", Args: json.RawMessage(`{"counter":"13"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"employment"}`), false))
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"ticket":"Ц001"`)
	require.Contains(t, string(m.Payload), `"ahead":0,"eta_min":null`)
	require.Contains(t, string(m.Payload), nbsp(`"message":"Ваш талон: Ц001. Перед вами нікого немає. Зараз перерва в~прийомі: очікуйте виклику. / Your ticket: Ts001. No one is ahead of you. Service is on a break: please wait to be called."`))
	_, err = l.Wait(ctx, "qms/demo/queue/employment", containing(`"waiting":1,"eta_min":null`))
	require.NoError(t, err)
}

// Without office.refuse_late, a ticket that would be called only after
// closing is issued, and the kiosk's answer says so. Every answer of a
// ticket says, for a screen, what the ticket says: the number, the people
// ahead, the wait.
func TestKioskAnswersLate(t *testing.T) {
	cfg := roundTheClock(t)
	for day := range cfg.Office.Hours {
		cfg.Office.Hours[day] = "09:00-17:00"
	}
	cfg.Office.RefuseLate = false
	at := time.Date(2026, 11, 23, 16, 30, 0, 0, cfg.Location())
	ctx, _, l := startOffice(t, office.Opts{Config: cfg, Now: func() time.Time { return at }}, "qms/demo/kiosk/k1/ticket")
	var answers []string
	for i := range 3 {
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", fmt.Appendf(nil, `{"service":"employment","id":"p%d"}`, i), false))
		m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(fmt.Sprintf(`"press":"p%d"`, i)))
		require.NoError(t, err)
		answers = append(answers, string(m.Payload))
	}
	require.NotContains(t, answers[0], `"late"`, "called at once, served by 16:50")
	// The screen shows what the ticket says, in its words.
	require.Contains(t, answers[0], nbsp(`"message":"Ваш талон: Ц001. Перед вами нікого немає. Очікування: менше хвилини. / Your ticket: Ts001. No one is ahead of you. Wait: under a minute."`))
	require.NotContains(t, answers[1], `"late"`, "called at 16:50, before closing")
	require.Contains(t, answers[2], `"late":true`, "called at 17:10")
	require.Contains(t, answers[2], nbsp(`"message":"Ваш талон: Ц003. Перед вами: 2~особи. Очікування: близько 40~хв. Прийом до 17:00: можливо, вас не~встигнуть прийняти сьогодні. / Your ticket: Ts003. People ahead: 2. Wait: about 40~min. Open until 17:00: you may not be served today."`), "as the ticket says, with when the service closes")

	// A press the kiosk cannot read, with an id it can: the screen gets
	// its answer under that id.
	require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"id":"p9","priority":"yes"}`), false))
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"p9"`))
	require.NoError(t, err)
	var res office.Result
	require.NoError(t, json.Unmarshal(m.Payload, &res))
	require.False(t, res.OK)
	require.Equal(t, "bad_request", res.Reason)
	require.NotEmpty(t, res.Message)
}

// Late in a day that runs to midnight, the late ticket says it closes at
// 24:00, not «Прийом до 00:00», which reads as closed already.
func TestKioskAnswersLateBeforeMidnight(t *testing.T) {
	cfg := roundTheClock(t) // 00:00-24:00
	cfg.Office.RefuseLate = false
	at := time.Date(2026, 11, 23, 23, 50, 0, 0, cfg.Location())
	ctx, _, l := startOffice(t, office.Opts{Config: cfg, Now: func() time.Time { return at }}, "qms/demo/kiosk/k1/ticket")
	for i := range 2 {
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", fmt.Appendf(nil, `{"service":"employment","id":"p%d"}`, i), false))
	}
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"p1"`))
	require.NoError(t, err)
	require.Contains(t, string(m.Payload), `"late":true`) // called at 00:10
	require.Contains(t, string(m.Payload), nbsp("Очікування: близько 20~хв. Прийом до 24:00: можливо, вас не~встигнуть прийняти сьогодні. / Your ticket: Ts002."))
}

// The retained status gives the seq of the latest event at start: after a
// backup is restored, an integration that saw later seqs can tell that they
// are not the office's any more.
func TestStatusGivesTheLastSeq(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	backup := filepath.Join(t.TempDir(), "backup.db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	status := func(o *office.Office) office.Status {
		l, err := sim.Listen(o.BrokerURL(), "qms/demo/status")
		require.NoError(t, err)
		defer l.Close()
		m, err := l.Wait(ctx, "qms/demo/status", nil)
		require.NoError(t, err)
		var st office.Status
		require.NoError(t, json.Unmarshal(m.Payload, &st))
		return st
	}
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	first := status(o).Seq
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	// Compacted (the copy a lowered stats_days asks for) restores alike.
	r := o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + backup + `","compact":true}`)})
	require.True(t, r.OK, "%+v", r.Error)
	saved, err := o.Engine().LastSeq(ctx)
	require.NoError(t, err)
	require.Greater(t, saved, first)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	seen, err := o.Engine().LastSeq(ctx)
	require.NoError(t, err)
	require.NoError(t, o.Close())

	// The backup restored.
	b, err := os.ReadFile(backup)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(db, b, 0o600))
	o, err = office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	st := status(o)
	require.Less(t, st.Seq, seen, "an integration that saw seq %d can tell", seen)
	require.GreaterOrEqual(t, st.Seq, saved)
	require.Len(t, st.Restores, 1)
	require.Equal(t, saved, st.Restores[0].Seq)

	// The restored office goes on past the seqs the integration saw, and
	// restarts: the seq no longer tells, the restore still does.
	for range 5 {
		_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social"})
		require.NoError(t, err)
	}
	require.NoError(t, o.Close())
	o, err = office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	again := status(o)
	require.Greater(t, again.Seq, seen)
	require.Equal(t, st.Restores, again.Restores)
	_, off := again.Restores[0].BackupAt.Zone()
	_, want := time.Now().In(cfg.Location()).Zone()
	require.Equal(t, want, off, "in the office's time zone")
	require.Zero(t, again.Restores[0].BackupAt.Nanosecond(), "in whole seconds, as the status's times")
}

// store.backup writes a consistent copy of the store while the office runs;
// the copy verifies and holds the day's tickets.
func TestStoreBackup(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, o, _ := startOffice(t, office.Opts{Config: cfg}, "qms/demo/status")
	for range 3 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	// The temporary file of a backup a power cut stopped goes.
	stale := filepath.Join(filepath.Dir(copyPath), ".backup.db.2718281828")
	require.NoError(t, os.WriteFile(stale, make([]byte, 1<<16), 0o600))
	r := o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + copyPath + `"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoFileExists(t, stale)
	require.NoError(t, queue.Verify(copyPath, cfg))
	// A path is a name, not a pattern: a backup to dir/* removes no file
	// that merely matches it.
	dot := filepath.Join(filepath.Dir(copyPath), ".important.txt")
	require.NoError(t, os.WriteFile(dot, []byte("keep"), 0o600))
	r = o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + filepath.Join(filepath.Dir(copyPath), "*") + `"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.FileExists(t, dot)
	e, err := queue.Open(copyPath, cfg, nil)
	require.NoError(t, err)
	tks, err := e.Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tks, 3)
	require.NoError(t, e.Close())

	live, err := filepath.Abs(o.Engine().Path())
	require.NoError(t, err)
	link := filepath.Join(t.TempDir(), "live.db")
	require.NoError(t, os.Symlink(live, link))
	// Again to the same path: an earlier backup is replaced; a file of
	// another kind is not.
	r = o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + copyPath + `"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	other := filepath.Join(t.TempDir(), "office.yaml")
	require.NoError(t, os.WriteFile(other, []byte("site: demo\n"), 0o600))
	for _, args := range []string{`{"path":"backup.db"}`, `{}`, `{"path":"` + live + `"}`, `{"path":"` + link + `"}`, `{"path":"` + other + `"}`} {
		r := o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(args)})
		require.False(t, r.OK, args)
		require.Equal(t, "path", r.Error.Field, args)
	}
	b, err := os.ReadFile(other)
	require.NoError(t, err)
	require.Equal(t, "site: demo\n", string(b), "left as it was")
}

// A restart with the clock behind the time the office last ran at (a Pi
// without a clock chip after a power cut, before NTP) issues no ticket: the
// kiosk says so (reason clock); an administrator who knows the clock is
// right now trusts it with clock.trust.
func TestClockTrust(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	ran := time.Date(2026, 11, 23, 16, 45, 0, 0, time.UTC)
	start := func(now time.Time) (context.Context, *office.Office, *sim.Listener) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		t.Cleanup(cancel)
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet,
			Now: func() time.Time { return now }})
		require.NoError(t, err)
		t.Cleanup(func() { o.Close() })
		l, err := sim.Listen(o.BrokerURL(), "qms/demo/kiosk/k1/ticket", "qms/demo/status")
		require.NoError(t, err)
		t.Cleanup(l.Close)
		return ctx, o, l
	}
	ctx, o, _ := start(ran)
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	o.Close()

	ctx, o, l := start(ran.Add(-30 * time.Minute))
	press := func(id string) office.Result {
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social","id":"`+id+`"}`), false))
		m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"`+id+`"`))
		require.NoError(t, err)
		var r office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &r))
		return r
	}
	r := press("p1")
	require.False(t, r.OK)
	require.Equal(t, "clock", r.Reason)
	// The status says it, for a dashboard that watches the offices' status.
	_, err = l.Wait(ctx, "qms/demo/status", containing(`"clock_unset":true`))
	require.NoError(t, err)
	unset := len(l.Messages("qms/demo/status"))
	a := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "clock.trust"})
	require.True(t, a.OK, "%+v", a.Error)
	b, err := json.Marshal(a.Result)
	require.NoError(t, err)
	require.Contains(t, string(b), `"last_ran":"2026-11-23T18:45:00+02:00"`, "in the office's time zone")
	r = press("p2")
	require.True(t, r.OK, "%+v", r)
	require.Equal(t, "А002", r.Ticket)
	seen := 0
	_, err = l.Wait(ctx, "qms/demo/status", func(m sim.Message) bool {
		seen++ // Wait goes through the topic's messages in order
		return seen > unset && strings.Contains(string(m.Payload), `"online":true`) && !strings.Contains(string(m.Payload), "clock_unset")
	})
	require.NoError(t, err, "and says it no more once the clock is trusted")
	a = o.Admin(ctx, office.AdminRequest{ID: "c", Op: "clock.trust", Args: json.RawMessage(`{"when":"now"}`)})
	require.False(t, a.OK)
	require.Equal(t, "when", a.Error.Field)
}

// An upgrade is not an edit of the configuration file: a binary that
// writes the same file otherwise (here the recorded file's version lacks a
// field the new one fills in with its default) keeps running what the
// administrators set. The built-in configuration, which changes only with
// the binary, never sets their versions aside; a file that was edited does.
func TestConfigAcrossUpgrade(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "o.db")
	start := func(cfg *config.Config, builtin bool) *office.Office {
		o, err := office.Start(ctx, office.Opts{Config: cfg, Builtin: builtin, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
		require.NoError(t, err)
		return o
	}
	o := start(roundTheClock(t), false)
	r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"hall_size":4}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, o.Close())

	// The file's version as an older binary recorded it: without
	// recall_limit, which this one fills in.
	editConfigs(t, db, func(i int, doc map[string]any) {
		if i == 0 {
			require.Contains(t, doc["office"], "recall_limit")
			delete(doc["office"].(map[string]any), "recall_limit")
		}
	})
	o = start(roundTheClock(t), false)
	require.Equal(t, 4, o.Config().Office.HallSize, "the administrator's version runs")
	require.NoError(t, o.Close())

	// A new built-in configuration: the administrator's version runs, with
	// what is wired as the new one has it.
	builtin := roundTheClock(t)
	builtin.Office.Name = "Прозорий офіс (новий)"
	builtin.Kiosks[0].StatusPollMS = 700
	o = start(builtin, true)
	require.Equal(t, 4, o.Config().Office.HallSize)
	require.Equal(t, 700, o.Config().Kiosks[0].StatusPollMS)
	require.NoError(t, o.Close())

	// An edited file runs its edit on top of what was set.
	edited := roundTheClock(t)
	edited.Office.Name = "Прозорий офіс (новий)"
	o = start(edited, false)
	require.Equal(t, 4, o.Config().Office.HallSize)
	require.Equal(t, "Прозорий офіс (новий)", o.Config().Office.Name)
	require.NoError(t, o.Close())
}

// editConfigs changes the configuration versions a store recorded, the
// i-th from 0, as another binary would have recorded them.
func editConfigs(t *testing.T, db string, edit func(i int, doc map[string]any)) {
	t.Helper()
	bdb, err := bolt.Open(db, 0o600, nil)
	require.NoError(t, err)
	defer bdb.Close()
	require.NoError(t, bdb.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("configs"))
		type kv struct{ k, v []byte }
		var all []kv
		require.NoError(t, b.ForEach(func(k, v []byte) error {
			all = append(all, kv{slices.Clone(k), slices.Clone(v)})
			return nil
		}))
		for i, r := range all {
			var rec map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(r.v, &rec))
			var doc map[string]any
			require.NoError(t, json.Unmarshal(rec["config"], &doc))
			edit(i, doc)
			var err error
			rec["config"], err = json.Marshal(doc)
			require.NoError(t, err)
			v, err := json.Marshal(rec)
			require.NoError(t, err)
			if err := b.Put(r.k, v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// A store whose configuration versions a newer cherga recorded, with
// settings this one does not know (a rollback of the binary): what the
// administrators set keeps running, without those settings, and the log
// names them; config.rollback to such a version works and says so.
func TestConfigRecordedByNewerCherga(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "o.db")
	log := &testkit.Log{}
	start := func() *office.Office {
		o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: "embedded", Listen: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		require.NoError(t, err)
		return o
	}
	o := start()
	r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"recall_limit":5}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.NoError(t, o.Close())

	// Every version as a newer cherga records it: with its new settings.
	editConfigs(t, db, func(_ int, doc map[string]any) {
		doc["office"].(map[string]any)["announce_style"] = "calm"
		doc["kiosks"].([]any)[0].(map[string]any)["paper_saving"] = true
	})

	o = start()
	defer o.Close()
	require.Equal(t, 5, o.Config().Office.RecallLimit, "the administrator's version runs")
	require.Contains(t, log.String(), "recorded by a newer cherga: this one leaves out the settings it does not know (kiosks[0].paper_saving, office.announce_style)")
	require.NotContains(t, log.String(), "do not go with what administrators set")

	r = o.Admin(ctx, office.AdminRequest{ID: "r", Op: "config.rollback", Args: json.RawMessage(`{"version":1}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Equal(t, 3, o.Config().Office.RecallLimit)
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.Contains(t, string(b), `"warnings":["version 1: the configuration was recorded by a newer cherga`)
}

// A backup of a store whose administrator added a counter verifies
// against the configuration it ran with, not the file's, which lacks it.
func TestVerifyBackupWithAddedCounter(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, o, _ := startOffice(t, office.Opts{Config: cfg}, "qms/demo/status")
	counters := append(slices.Clone(o.Config().Counters), config.Counter{ID: "99", Services: []string{"social"}})
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"counters": counters}})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: patch})
	require.True(t, r.OK, "%+v", r.Error)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	res, err := o.Engine().Counter(ctx, "99", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.NotNil(t, res.Ticket)
	copyPath := filepath.Join(t.TempDir(), "backup.db")
	r = o.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + copyPath + `"}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Nil(t, cfg.Counter("99"))
	require.NoError(t, queue.Verify(copyPath, cfg))
}

// A restart with a configuration file that took a counter away, or moved
// an AWTRIX matrix to another prefix, clears their retained boards on the
// broker, as config.set does: a board that reboots shows nothing stale.
func TestRestartClearsGoneBoards(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	cfg := roundTheClock(t)
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	l, err := sim.Listen(url, "qms/demo/board/#", "awtrix_demo_13/#")
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Wait(ctx, "qms/demo/board/2", containing("А001"))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "awtrix_demo_13/custom/cherga", nil)
	require.NoError(t, err)
	require.NoError(t, o.Close())

	edited := roundTheClock(t)
	edited.Counters = slices.DeleteFunc(edited.Counters, func(c config.Counter) bool { return c.ID == "2" })
	for i := range edited.Counters {
		if edited.Counters[i].ID == "13" {
			edited.Counters[i].Board.Awtrix.Prefix = "awtrix_5a3f1c"
		}
	}
	require.NoError(t, edited.Validate())
	o, err = office.Start(ctx, office.Opts{Config: edited, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	for _, topic := range []string{"qms/demo/board/2", "qms/demo/board/2/text", "awtrix_demo_13/custom/cherga"} {
		_, err = l.Wait(ctx, topic, func(m sim.Message) bool { return len(m.Payload) == 0 })
		require.NoError(t, err, topic)
	}
}

// A press or a counter command delivered twice with its id (QoS 1 is at
// least once: a box whose acknowledgement was lost sends it again) acts
// once: the kiosk answers the press again with the same ticket, the
// counter calls one citizen. Without an id, each message is a press.
func TestInputIDsActOnce(t *testing.T) {
	ctx, o, l := startOffice(t, office.Opts{Config: unguarded(t)}, "qms/demo/kiosk/k1/ticket", "qms/demo/events", "qms/demo/errors", "qms/demo/counter/2/ack")
	press := func(payload string) {
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(payload), false))
	}
	for range 2 {
		press(`{"service":"social","id":"p1"}`)
	}
	press(`{"service":"social","id":"p2"}`)
	_, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"p2"`))
	require.NoError(t, err)
	var p1 []string
	for _, r := range decodeAll[office.Result](t, l.Messages("qms/demo/kiosk/k1/ticket")) {
		if r.Press == "p1" {
			p1 = append(p1, r.Ticket)
		}
	}
	// Sent again after its answer, it is answered again; while it still
	// waited, the one answer serves both: one ticket either way.
	require.NotEmpty(t, p1)
	for _, tk := range p1 {
		require.Equal(t, "А001", tk, "answered with the same ticket")
	}
	// Sent again once answered: the answer says it was not served again.
	press(`{"service":"social","id":"p1"}`)
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"p1"`, `"again":true`, `"ticket":"А001"`))
	require.NoError(t, err)
	press(`{"service":"social"}`)
	press(`{"service":"social"}`)
	_, err = l.Wait(ctx, "qms/demo/events", containing(`"label":"А004"`))
	require.NoError(t, err)

	cmd := func(payload string) {
		require.NoError(t, l.Publish("qms/demo/counter/2/cmd", []byte(payload), false))
	}
	cmd(`{"action":"next","id":"b-17"}`)
	cmd(`{"action":"next","id":"b-17"}`)
	cmd(`{"action":"recall","id":"b-18"}`)
	_, err = l.Wait(ctx, "qms/demo/events", containing(`"type":"ticket.recalled"`))
	require.NoError(t, err)
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	states := map[string]queue.State{}
	for _, tk := range tks {
		states[tk.Label] = tk.State
	}
	require.Equal(t, map[string]queue.State{"А001": queue.Called, "А002": queue.Waiting, "А003": queue.Waiting, "А004": queue.Waiting}, states,
		"one next: А001 called, nobody else")
	_, err = l.Wait(ctx, "qms/demo/counter/2/ack", containing(`"id":"b-18"`))
	require.NoError(t, err)
	acks := slices.DeleteFunc(decodeAll[office.CounterAck](t, l.Messages("qms/demo/counter/2/ack")), func(a office.CounterAck) bool { return a.ID != "b-17" })
	require.Len(t, acks, 2)
	require.Equal(t, []bool{false, true}, []bool{acks[0].Again, acks[1].Again}, "the ack sent again says so")
	require.Equal(t, "А001", acks[1].Ticket)

	// Another command under an id already seen is no delivery again: a
	// box that counts its ids afresh after a power cut. It acts.
	cmd(`{"action":"done","id":"b-17"}`)
	_, err = l.Wait(ctx, "qms/demo/events", containing(`"type":"ticket.done"`))
	require.NoError(t, err)
	press(`{"service":"pension","id":"p1"}`)
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"ticket":"П001"`))
	require.NoError(t, err, "another press under p1 issues its own ticket")

	cmd(`{"action":"next","id":"` + strings.Repeat("x", 65) + `"}`)
	_, err = l.Wait(ctx, "qms/demo/errors", containing("at most 64"))
	require.NoError(t, err)

	// A command that cannot be read whole (too long, something after
	// it) is answered by the id it starts with.
	cmd(`{"action":"next","id":"big-1","pad":"` + strings.Repeat("x", 1100) + `"}`)
	_, err = l.Wait(ctx, "qms/demo/counter/2/ack", containing(`"id":"big-1"`, `"reason":"bad_request"`))
	require.NoError(t, err)
	cmd(`{"action":"next","id":"tail-1"}]`)
	_, err = l.Wait(ctx, "qms/demo/counter/2/ack", containing(`"id":"tail-1"`, `"reason":"bad_request"`))
	require.NoError(t, err)
	press(`{"service":"social","id":"p-tail"} x`)
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"p-tail"`, `"reason":"bad_request"`))
	require.NoError(t, err)
	// Not UTF-8: its id is not the one sent either, and it is answered on
	// {root}/errors alone.
	press("{\"service\":\"social\",\"id\":\"a\xff\xfeb\"}")
	_, err = l.Wait(ctx, "qms/demo/errors", containing("not UTF-8"))
	require.NoError(t, err)
	press(`{"service":"social","id":"after-it"}`) // answered after any answer to it
	_, err = l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"after-it"`))
	require.NoError(t, err)
	require.Empty(t, slices.DeleteFunc(l.Messages("qms/demo/kiosk/k1/ticket"), func(m sim.Message) bool { return !strings.Contains(string(m.Payload), "\ufffd") }))
}

// A patch that meant to add a counter replaces the whole list (JSON merge
// patch), leaving out a counter with pins: the refusal says so.
func TestConfigSetCountersPatchReplacesList(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	require.NotEmpty(t, o.Config().Counter("1").Buttons)
	// Counter 1's pins take a restart: that is said first.
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: json.RawMessage(`{"patch":{"counters":[{"id":"20","services":["social","pension","employment"]}]}}`)})
	require.False(t, r.OK)
	require.Equal(t, "config.counters", r.Error.Field)
	// Without it, the counters left out are asked for.
	one, err := json.Marshal(o.Config().Counter("1"))
	require.NoError(t, err)
	r = o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: json.RawMessage(`{"patch":{"counters":[` + string(one) + `,{"id":"20","services":["social","pension","employment"]}]}}`)})
	require.False(t, r.OK)
	require.Equal(t, "remove", r.Error.Field)
	require.Contains(t, r.Error.Message, "the patch would leave config.counters without 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13")
	require.Contains(t, r.Error.Message, "give every one as config.get shows them")
	// A service added as a list of one: the counters and buttons left
	// without theirs fail to validate, but what the patch did is said.
	r = o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"patch":{"services":[{"id":"housing","name":"Житлові субсидії","prefix":"Ж"}]}}`)})
	require.False(t, r.OK)
	require.Equal(t, "remove", r.Error.Field, r.Error.Message)
	require.Contains(t, r.Error.Message, "the patch would leave config.services without social, pension, employment")
	require.Contains(t, r.Error.Message, "To add or change one, give every one")
	// A holiday added as a list of one would take the others away.
	r = o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"holidays":["2030-12-31","2031-01-01"]}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	r = o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"holidays":["2031-01-07"]}}}`)})
	require.False(t, r.OK)
	require.Equal(t, "remove", r.Error.Field)
	require.Contains(t, r.Error.Message, `would leave config.office.holidays without "2030-12-31", "2031-01-01"`)
	// Two lists at once: both are named.
	most, err := json.Marshal(slices.DeleteFunc(slices.Clone(o.Config().Counters), func(c config.Counter) bool { return c.ID == "2" }))
	require.NoError(t, err)
	r = o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.set", Args: json.RawMessage(`{"patch":{"counters":` + string(most) + `,"office":{"holidays":["2031-01-07"]}}}`)})
	require.False(t, r.OK)
	require.Contains(t, r.Error.Message, "would leave config.counters without 2;")
	require.Contains(t, r.Error.Message, `; config.office.holidays without "2030-12-31"`)
	r = o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"holidays":null}},"remove":true}`)})
	require.True(t, r.OK, "%+v", r.Error)
	require.Empty(t, o.Config().Office.Holidays)

	r = o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: json.RawMessage(`{"patch":{"counters":[{"id":"20","services":["social","pension","employment"]}]},"remove":true}`)})
	require.False(t, r.OK)
	require.Equal(t, "config.counters", r.Error.Field)
	require.Contains(t, r.Error.Message, "counter 1 has GPIO pins, wired at start: it is not taken away while the office runs, and nothing changed")
	require.Contains(t, r.Error.Message, "take it out of the configuration file and restart")
	require.Contains(t, r.Error.Message, "give every counter: a patch replaces the whole list")
	require.Equal(t, 1, strings.Count(r.Error.Message, "give every"), "said once")

	// So does a patch meant to change one service's hours.
	r = o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"patch":{"services":[{"id":"pension","hours":{"mon":"09:00-12:00"}}]},"remove":true}`)})
	require.False(t, r.OK)
	require.Contains(t, r.Error.Message, "(a patch replaces a whole list, JSON merge patch: to change one of the services, give every one, as config.get shows them, with the change)")
}

// A counter taken away and added back is not emptied again at the
// reconnections after (before, the emptying of its topics was sent again
// at every reconnection for as long as the controller ran); one that stays
// away is: a broker restarted from an older copy of its retained messages
// (Mosquitto's persistence, saved every 30 minutes) brings its board back.
// Its AWTRIX matrix, outside the office's topics, is emptied once: it may
// be another office's since.
func TestGoneEmptiedAgainOnlyWhileGone(t *testing.T) {
	ctx, o, l, link := officeOverLink(t, 0, "qms/demo/counter/100/state", "qms/demo/counter/101/state", "pz/#")
	set := func(counters []config.Counter) {
		t.Helper()
		setLists(t, ctx, o, map[string]any{"counters": counters})
	}
	const back, away = "qms/demo/counter/100/state", "qms/demo/counter/101/state"
	counters := slices.Clone(o.Config().Counters)
	with := func(ids ...string) []config.Counter {
		cs := slices.Clone(counters)
		for _, id := range ids {
			cs = append(cs, config.Counter{ID: id, Services: []string{"social"}})
		}
		if i := slices.IndexFunc(cs, func(c config.Counter) bool { return c.ID == "101" }); i >= 0 {
			cs[i].Board = o.Config().Counter("13").Board
			cs[i].Board.Awtrix.Prefix = "pz"
		}
		return cs
	}
	const matrix = "pz/custom/cherga"
	full := func(m sim.Message) bool { return len(m.Payload) > 0 }
	empty := func(m sim.Message) bool { return len(m.Payload) == 0 }
	set(with("100", "101"))
	for _, topic := range []string{back, away} {
		_, err := l.Wait(ctx, topic, full)
		require.NoError(t, err)
	}
	mark := l.Mark()
	set(counters)
	for _, topic := range []string{back, away, matrix} {
		_, err := l.WaitAfter(ctx, mark, topic, empty)
		require.NoError(t, err, "emptied when taken away")
	}
	mark = l.Mark()
	set(with("100"))
	_, err := l.WaitAfter(ctx, mark, back, full)
	require.NoError(t, err)
	pending := func() bool {
		evs, err := o.Engine().Pending(0, 100)
		require.NoError(t, err)
		return len(evs) == 0
	}
	for range 2 {
		// Everything acknowledged, the emptying too (it went before).
		require.Eventually(t, pending, 30*time.Second, 20*time.Millisecond)
		// The broker brings 101's state back, as from an old copy; the
		// matrix is another office's now.
		require.NoError(t, l.Publish(away, []byte(`{"counter":"101","services":["social"],"paused":false}`), true))
		require.NoError(t, l.Publish(matrix, []byte(`{"text":"Б012"}`), true))
		mark, n, m := l.Mark(), len(l.Messages(back)), len(l.Messages(matrix))
		link.cut() // the office reconnects, and sends the whole state again
		_, err = l.WaitAfter(ctx, mark, back, full)
		require.NoError(t, err)
		for _, m := range l.Messages(back)[n:] {
			require.NotEmpty(t, m.Payload, "counter 100 runs: emptied again at a reconnection")
		}
		_, err = l.WaitAfter(ctx, mark, away, empty)
		require.NoError(t, err, "counter 101, gone, is emptied again")
		// The emptying of 101's state went in the round before 100's
		// state: the matrix's would have too.
		for _, msg := range l.Messages(matrix)[m:] {
			require.NotEmpty(t, msg.Payload, "another office's matrix emptied at a reconnection")
		}
	}
}

// Two counters that swap their AWTRIX matrices keep both lit: a matrix
// one counter gave up and the other took is never emptied (before, it was,
// after the board the change sent it in 8 of 20 swaps, and stayed dark
// until the next refresh, a minute later).
func TestSwappedMatricesStayLit(t *testing.T) {
	// The broker's acknowledgements come late, as over a busy network:
	// the boards of a round go out before the rest (boardsFirst).
	ctx, o, l, _ := officeOverLink(t, time.Millisecond, "pa/#", "pb/#", "qms/demo/counter/99/state")
	board := func(prefix string) display.BoardOpts {
		b := o.Config().Counter("13").Board
		b.Awtrix.Prefix = prefix
		return b
	}
	counters := slices.Clone(o.Config().Counters)
	at := func(id string) int {
		return slices.IndexFunc(counters, func(c config.Counter) bool { return c.ID == id })
	}
	for i := range 10 {
		counters[at("12")].Board, counters[at("13")].Board = board([]string{"pa", "pb"}[i%2]), board([]string{"pb", "pa"}[i%2])
		setLists(t, ctx, o, map[string]any{"counters": counters})
	}
	// Sent after all the above: once it is here, so is everything of theirs.
	setLists(t, ctx, o, map[string]any{"counters": append(slices.Clone(counters), config.Counter{ID: "99", Services: []string{"social"}})})
	_, err := l.Wait(ctx, "qms/demo/counter/99/state", func(m sim.Message) bool { return len(m.Payload) > 0 })
	require.NoError(t, err)
	for _, topic := range []string{"pa/custom/cherga", "pb/custom/cherga"} {
		msgs := l.Messages(topic)
		require.NotEmpty(t, msgs, topic)
		for i, m := range msgs {
			require.NotEmpty(t, m.Payload, "%s, message %d: a matrix in use emptied", topic, i)
		}
	}
}

// officeOverLink starts an office whose connection to a broker of its own
// goes through a slowLink, its acknowledgements late by delay, and a
// listener of topics on that broker; all closed when the test ends.
func officeOverLink(t *testing.T, delay time.Duration, topics ...string) (context.Context, *office.Office, *sim.Listener, *slowLink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	l, err := sim.Listen("tcp://"+brk.Addr(), topics...)
	require.NoError(t, err)
	t.Cleanup(l.Close)
	link := newSlowLink(t, brk.Addr())
	link.delay.Store(int64(delay))
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: filepath.Join(t.TempDir(), "o.db"), Broker: "tcp://" + link.addr(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { o.Close() })
	return ctx, o, l, link
}

// setLists replaces whole lists of the running configuration (counters,
// services) by config.set, as an administrator's form does.
func setLists(t *testing.T, ctx context.Context, o *office.Office, lists map[string]any) {
	t.Helper()
	patch, err := json.Marshal(map[string]any{"patch": lists, "remove": true})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "c", Op: "config.set", Args: patch})
	require.True(t, r.OK, "%+v", r.Error)
}

// A restart under another site (cherga -site -rename-site) is wiring, not
// an edit of the file: what the administrators set keeps running, and the
// old site's retained topics are cleared.
func TestRestartUnderAnotherSite(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "v", Op: "config.set", Args: json.RawMessage(`{"patch":{"office":{"hall_size":4}}}`)})
	require.True(t, r.OK, "%+v", r.Error)
	l := callAt2(t, ctx, o, url)
	require.NoError(t, o.Close())

	other := roundTheClock(t)
	other.Site = "other"
	var log testkit.Log
	o, err = office.Start(ctx, office.Opts{Config: other, DB: db, Broker: url, Logger: slog.New(slog.NewTextHandler(&log, nil)), RenameSite: true})
	require.NoError(t, err)
	defer o.Close()
	require.Equal(t, 4, o.Config().Office.HallSize, "the administrator's version runs")
	require.Equal(t, "other", o.Config().Site)
	for _, topic := range []string{"qms/demo/board/2", "qms/demo/hall", "qms/demo/queue/social", "qms/demo/load", "qms/demo/status"} {
		_, err = l.Wait(ctx, topic, func(m sim.Message) bool { return len(m.Payload) == 0 })
		require.NoError(t, err, topic)
	}
	log.Await(t, ctx, `msg="office: the retained topics of the site this store last ran as are cleared" store_site=demo`, "the line a rename waits for")
	// -rename-site is given once: the next start runs the renamed office,
	// as an administrator left it.
	require.NoError(t, o.Close())
	o, err = office.Start(ctx, office.Opts{Config: other, DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err, "started once with -rename-site, the store is the renamed office's")
	require.Equal(t, 4, o.Config().Office.HallSize)
	require.Equal(t, "other", o.Config().Site)
	require.NoError(t, o.Close())

	// And with no administrator's version, the file's.
	_, url, db = brokerOfItsOwn(t)
	for _, start := range []struct {
		site   string
		rename bool
	}{{"demo", false}, {"third", true}, {"third", false}} {
		cfg := roundTheClock(t)
		cfg.Site = start.site
		o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: url, Logger: quiet, RenameSite: start.rename})
		require.NoError(t, err, "%+v", start)
		require.NoError(t, o.Close())
	}
}

// A counter taken away while the broker was down (the box came up first
// after a power cut) has its board cleared once the broker answers: no
// dashboard shows a call at a counter that is gone.
func TestGoneClearedWhenBrokerAnswers(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "pension", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "12", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	l, err := sim.Listen(url, "qms/demo/board/12")
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Wait(ctx, "qms/demo/board/12", containing(`"state":"calling"`))
	require.NoError(t, err)
	require.NoError(t, o.Close())

	less := roundTheClock(t)
	less.Counters = slices.DeleteFunc(less.Counters, func(c config.Counter) bool { return c.ID == "12" })
	g := newGate(t) // shut: the broker does not answer
	o, err = office.Start(ctx, office.Opts{Config: less, DB: db, Broker: "tcp://" + g.addr(), Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	g.open(strings.TrimPrefix(url, "tcp://"))
	_, err = l.Wait(ctx, "qms/demo/board/12", func(m sim.Message) bool { return len(m.Payload) == 0 })
	require.NoError(t, err, "cleared once the broker answers")
}

// A store copied from a running office's (a cloned SD card) and started
// under another site leaves that office's topics alone: its status says
// a controller runs it. The log says what to do.
func TestCopiedStoreLeavesLiveSite(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	a, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	defer a.Close()
	l := callAt2(t, ctx, a, url)
	clone := filepath.Join(t.TempDir(), "clone.db")
	r := a.Admin(ctx, office.AdminRequest{ID: "b", Op: "store.backup", Args: json.RawMessage(`{"path":"` + clone + `"}`)})
	require.True(t, r.OK, "%+v", r.Error)

	other := roundTheClock(t)
	other.Site = "other"
	var log testkit.Log
	// Taken for a rename all the same (-rename-site).
	b, err := office.Start(ctx, office.Opts{Config: other, DB: clone, Broker: url, Logger: slog.New(slog.NewTextHandler(&log, nil)), RenameSite: true})
	require.NoError(t, err)
	defer b.Close()
	log.Await(t, ctx, "a controller of that site is online", "no warning that the store is another running office's")
	requireKept(t, l, "the running office's, and stays", "qms/demo/board/2", "qms/demo/status", "qms/demo/hall")
}

// requireKept requires the last message on each topic to hold something
// (why): a retained state nobody cleared.
func requireKept(t *testing.T, l *sim.Listener, why string, topics ...string) {
	t.Helper()
	for _, topic := range topics {
		msgs := l.Messages(topic)
		require.NotEmpty(t, msgs, topic)
		require.NotEmpty(t, msgs[len(msgs)-1].Payload, "%s: %s", topic, why)
	}
}

// A store copied from another office's card (cp B.db F.db) and started
// with F's configuration is refused, naming both sites and what to do,
// even when B's controller is stopped: it would serve B's tickets and clear
// B's boards. The store and B's topics are left as they were.
func TestStoreOfAnotherSiteRefused(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	b, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
	require.NoError(t, err)
	l := callAt2(t, ctx, b, url)
	require.NoError(t, b.Close())
	_, err = l.Wait(ctx, "qms/demo/status", containing(`"online":false`))
	require.NoError(t, err)
	before, err := os.ReadFile(db)
	require.NoError(t, err)

	other := roundTheClock(t)
	other.Site = "other"
	_, err = office.Start(ctx, office.Opts{Config: other, DB: db, Broker: url, Logger: quiet})
	require.ErrorIs(t, err, office.ErrStoreOfAnotherSite)
	for _, s := range []string{`site "demo"`, `site is "other"`, "-rename-site", "Move it aside", db} {
		require.ErrorContains(t, err, s)
	}
	after, err := os.ReadFile(db)
	require.NoError(t, err)
	require.Equal(t, before, after, "the store is not opened")
	requireKept(t, l, "still B's", "qms/demo/board/2", "qms/demo/hall", "qms/demo/load")
}

// An office that kept the built-in site, demo, on a broker of its own
// (one that others may share) is warned of at start; on the embedded
// broker it is the demo it says.
func TestDemoSiteOnSharedBrokerWarned(t *testing.T) {
	ctx, url, db := brokerOfItsOwn(t)
	const warned = "office: the site is demo, the built-in office's, on a broker that is not the embedded one"
	var log testkit.Log
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	require.NoError(t, o.Close())
	require.Contains(t, log.String(), warned)

	var embedded testkit.Log
	o, err = office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: slog.New(slog.NewTextHandler(&embedded, nil))})
	require.NoError(t, err)
	require.NoError(t, o.Close())
	require.NotContains(t, embedded.String(), warned)
}

// Two controllers started for one site (a configuration copied as it
// was) take turns on the broker, each one's connection dropping the
// other's: the first to come back finds the other's status and says so.
func TestTwoControllersForOneSite(t *testing.T) {
	ctx, url, _ := brokerOfItsOwn(t)
	var log testkit.Log
	a, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: filepath.Join(t.TempDir(), "a.db"), Broker: url, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer a.Close()
	// The second starts even when the first takes the broker back while it
	// subscribes (bus: the next connection subscribes). Either may be the
	// one to say it: the embedded broker, taking the client id over as the
	// other connects, may keep a connection that sends but gets nothing.
	b, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: filepath.Join(t.TempDir(), "b.db"), Broker: url, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer b.Close()
	log.Await(t, ctx, "another controller publishes as this site", "the second controller of the site went unnoticed")
}

// callAt2 issues А001 and calls it at counter 2 of o, an office on the
// broker at url, and gives a listener to the office's topics there once
// its board shows it.
func callAt2(t *testing.T, ctx context.Context, o *office.Office, url string) *sim.Listener {
	t.Helper()
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Counter(ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	l, err := sim.Listen(url, "qms/demo/#")
	require.NoError(t, err)
	t.Cleanup(l.Close)
	_, err = l.Wait(ctx, "qms/demo/board/2", containing("А001"))
	require.NoError(t, err)
	return l
}

// brokerOfItsOwn starts a broker that outlives the offices a test starts
// on it, keeping their retained messages across restarts, and gives a
// context for the test and a store file.
func brokerOfItsOwn(t *testing.T) (ctx context.Context, url, db string) {
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx, "tcp://" + brk.Addr(), filepath.Join(t.TempDir(), "o.db")
}

// quiet is the logger of the offices tests start themselves.
var quiet = slog.New(slog.DiscardHandler)

// A config.set that would send waiting citizens home (today made a
// holiday) is refused, naming them, until it says "expire": true; one
// whose width today's numbers outgrew is refused.
func TestConfigSetSendsHomeOnlyWhenAsked(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	today := time.Now().In(o.Config().Location()).Format(time.DateOnly)
	set := func(args string) office.AdminResponse {
		t.Helper()
		return o.Admin(ctx, office.AdminRequest{ID: "h", Op: "config.set", Args: json.RawMessage(args)})
	}
	r := set(`{"patch":{"office":{"holidays":["` + today + `"]}}}`)
	require.False(t, r.OK)
	require.Equal(t, "refused", r.Error.Code)
	require.Equal(t, "expire", r.Error.Field)
	require.Contains(t, r.Error.Message, iss.Ticket.Label)
	require.Contains(t, r.Error.Message, `"expire": true`)
	require.Empty(t, o.Config().Office.Holidays, "nothing changed")

	// A width that today's numbers outgrew: they would repeat today.
	for range 9 {
		_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	services, err := json.Marshal(o.Config().Services)
	require.NoError(t, err)
	r = set(`{"patch":{"services":` + strings.Replace(string(services), `"width":3`, `"width":1`, 1) + `}}`)
	require.False(t, r.OK)
	require.Equal(t, "bad_request", r.Error.Code)
	require.Equal(t, "config.services[0].width", r.Error.Field)
	require.Contains(t, r.Error.Message, "repeat")

	r = set(`{"patch":{"office":{"holidays":["` + today + `"]}},"expire":true}`)
	require.True(t, r.OK, "%+v", r.Error)
	answer, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.Contains(t, string(answer), `{"ticket":"`+iss.Ticket.Label+`","event":"ticket.expired","reason":"the service closed"}`)
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Equal(t, queue.Expired, tks[0].State)
}

// A request's arguments are logged without their passwords.
func TestAdminLogKeepsNoSecret(t *testing.T) {
	for in, want := range map[string]string{
		`{"config":{"broker":{"url":"tcp://a:s3cret@h:1883","password":"p\"w"}}}`: `{"config":{"broker":{"url":"tcp://a:xxxxx@h:1883","password":"xxxxx"}}}`,
		`{"reason":"повітряна тривога"}`:                                          `{"reason":"повітряна тривога"}`,
		`{"patch":{"broker":{"Password" : "x"}}}`:                                 `{"patch":{"broker":{"Password" : "xxxxx"}}}`,
		// Not a string: the number is the password all the same.
		`{"patch":{"broker":{"password":123456789}}}`:     `{"patch":{"broker":{"password":"xxxxx"}}}`,
		`{"patch":{"broker":{"password": 12.5e3,"n":1}}}`: `{"patch":{"broker":{"password": "xxxxx","n":1}}}`,
		// Generated passwords: a / (base64), an @, a space, a quote.
		`{"url":"tcp://cherga:pa/ss@10.0.0.5:1883"}`:          `{"url":"tcp://cherga:xxxxx@10.0.0.5:1883"}`,
		`{"url":"tcp://cherga:Kx9!@#Qz@10.0.0.5:1883","n":1}`: `{"url":"tcp://cherga:xxxxx@10.0.0.5:1883","n":1}`,
		`{"url":"tcp://cherga:a b\"c@h:1883"}`:                `{"url":"tcp://cherga:xxxxx@h:1883"}`,
		`not json: tcp://cherga:s3cret@h:1883 at all`:         `not json: tcp://cherga:xxxxx@h:1883 at all`,
	} {
		require.Equal(t, want, string(office.RedactSecrets([]byte(in))))
	}
}

// A request that sends a long text where an object goes is refused with a
// message that quotes the start of it, not all of it: the answer and the
// log line stay short, however much a client sends.
func TestAdminRefusalQuotesLittle(t *testing.T) {
	log := &testkit.Log{}
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t), Logger: slog.New(slog.NewTextHandler(log, nil))}, "qms/demo/status")
	long := strings.Repeat("ї", 100_000)
	r := o.Admin(ctx, office.AdminRequest{ID: "x", Op: "config.set", Args: json.RawMessage(`{"config":"` + long + `"}`)})
	require.False(t, r.OK)
	require.Contains(t, r.Error.Message, `want an object, got text "їїї`)
	require.Less(t, len(r.Error.Message), 1000, "%.200s", r.Error.Message)
	require.True(t, utf8.ValidString(r.Error.Message), "cut between letters")
	for line := range strings.Lines(log.String()) {
		require.Less(t, len(line), 4000, "a log line: %.200s", line)
	}
}

// A start on a broker of its own sends each event once: the first
// connection is no reconnection, after which what was under way is sent
// again (reviewed: every start sent its first events, and the whole
// retained state, twice).
func TestStartSendsOnce(t *testing.T) {
	for run := range 3 {
		ctx, url, db, l := ownBroker(t, "qms/demo/events", "qms/demo/hall")
		o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
		require.NoError(t, err)
		for range 2 {
			_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
			require.NoError(t, err)
		}
		_, err = l.Wait(ctx, "qms/demo/events", containing(`"label":"А002"`))
		require.NoError(t, err)
		// A press after them: what came twice comes before it.
		_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
		_, err = l.Wait(ctx, "qms/demo/events", containing(`"label":"А003"`))
		require.NoError(t, err)
		require.NoError(t, o.Close())
		seen := map[uint64]int{}
		for _, m := range l.Messages("qms/demo/events") {
			var ev struct{ Seq uint64 }
			require.NoError(t, json.Unmarshal(m.Payload, &ev))
			seen[ev.Seq]++
		}
		for seq, n := range seen {
			require.Equal(t, 1, n, "run %d: event %d came %d times", run, seq, n)
		}
		for seq := range uint64(len(seen)) {
			require.Contains(t, seen, seq+1, "run %d: no gap", run)
		}

		// A restart on the same store commits no event: the retained
		// state it publishes at start comes once (the hall, which
		// nothing changes meanwhile).
		before := len(l.Messages("qms/demo/hall"))
		o, err = office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: db, Broker: url, Logger: quiet})
		require.NoError(t, err)
		_, err = l.Wait(ctx, "qms/demo/hall", func(sim.Message) bool { return len(l.Messages("qms/demo/hall")) > before })
		require.NoError(t, err)
		_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
		_, err = l.Wait(ctx, "qms/demo/events", containing(`"label":"А004"`))
		require.NoError(t, err)
		require.NoError(t, o.Close())
		require.Len(t, l.Messages("qms/demo/hall")[before:], 1, "run %d: the hall once at the restart", run)
	}
}

// A refusal's English half reads a Cyrillic label as the English voice
// says it (Ts017 for Ц017), as the kiosk's answers do, and in English
// that is right: "has already been called".
func TestRefusalEnglishLabel(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&queue.TransitionError{Label: "Ц017", From: queue.Called, To: queue.Called, Counter: "13"}, "Талон Ц017 уже викликано до робочого місця 13 / Ticket Ts017 has already been called to counter 13"},
		{&queue.TransitionError{Label: "Ц017", From: queue.Called, To: queue.Called}, "Талон Ц017 уже викликано / Ticket Ts017 has already been called"},
		{&queue.TransitionError{Label: "Ц017", From: queue.Serving, To: queue.NoShow}, "Громадянин із талоном Ц017 уже біля вас — це не неявка: завершіть прийом кнопкою «Завершено» / The citizen with ticket Ts017 is at the counter, not a no-show: end the visit with Done"},
		{&queue.JustCalledError{Label: "Ц017", Action: queue.Recall, Left: 3 * time.Second}, "Талон Ц017 щойно викликано: повторний виклик — через 3 с / Ticket Ts017 was just called: recall in 3 s"},
		{&queue.JustCalledError{Label: "Ц017", Action: queue.NoShowed, Left: 8 * time.Second}, "Талон Ц017 щойно викликано, громадянин може бути в дорозі: «Не зʼявився» — через 8 с / Ticket Ts017 was just called and the citizen may be on the way: no-show in 8 s"},
		{&queue.JustCalledError{Label: "Ц017", Action: queue.Next, Left: 8 * time.Second}, "Талон Ц017 щойно викликано: наступного — через 8 с; якщо прийом завершено, натисніть «Завершено» / Ticket Ts017 was just called: next in 8 s; if the visit is over, press Done"},
	} {
		_, msg := office.Refusal(c.err)
		require.Equal(t, c.want, msg)
	}
}

// nbsp is s with its ~ no-break spaces: a number stays with its unit, «не»
// with its verb.
func nbsp(s string) string { return strings.ReplaceAll(s, "~", "\u00a0") }

// A counter and a service added by config.set and taken away at once have
// their board, state and figures cleared after what their adding made, not
// before: the publisher may not have sent that yet when the clearing
// starts, and sent after it, it would stay, a phantom open counter or
// service on every board and dashboard.
func TestGoneClearedAfterItsState(t *testing.T) {
	// The broker's acknowledgements come late, as over a busy network:
	// the publisher waits for those of the boards before it sends the
	// rest of a round, the counters' states (boardsFirst).
	ctx, o, l, _ := officeOverLink(t, time.Millisecond, "qms/demo/counter/+/state", "qms/demo/board/+", "qms/demo/queue/+")
	set := func(counters []config.Counter, services []config.Service) {
		t.Helper()
		setLists(t, ctx, o, map[string]any{"counters": counters, "services": services})
	}
	// Each time another counter, with a service of its own.
	counters, services := slices.Clone(o.Config().Counters), slices.Clone(o.Config().Services)
	with := func(id int) ([]config.Counter, []config.Service) {
		svc := config.Service{ID: "s" + strconv.Itoa(id), Name: "Довідки", NameEn: "Certificates", Prefix: "Д", Width: 3}
		return append(slices.Clone(counters), config.Counter{ID: strconv.Itoa(id), Services: []string{"social", svc.ID}}),
			append(slices.Clone(services), svc)
	}
	const first, cycles = 100, 60
	for id := first; id < first+cycles; id++ {
		set(with(id))
		set(counters, services)
	}
	// Sent after all the above: once it is here, so is everything of theirs.
	set(with(99))
	_, err := l.Wait(ctx, "qms/demo/counter/99/state", func(m sim.Message) bool { return len(m.Payload) > 0 })
	require.NoError(t, err)
	for id := first; id < first+cycles; id++ {
		n := strconv.Itoa(id)
		for _, topic := range []string{"qms/demo/counter/" + n + "/state", "qms/demo/board/" + n, "qms/demo/queue/s" + n} {
			if msgs := l.Messages(topic); len(msgs) > 0 {
				require.Empty(t, msgs[len(msgs)-1].Payload, "%s: the last word on a counter taken away", topic)
			}
		}
	}
}
