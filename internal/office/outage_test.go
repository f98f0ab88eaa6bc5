package office_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/sim"
)

// TestBrokerOutage: the broker goes away and comes back empty (a Mosquitto
// restarted without persistence). Meanwhile the controller writes nothing
// to its store but what the office does. What the office did (calls from
// its GPIO buttons, here the engine, and more events than the publisher
// reads at once) reaches the new broker: the retained board and hall show
// the latest call, and the event stream has every seq with no gap, the
// calls announced.
func TestBrokerOutage(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Office.BoardBlinkSec = 3600 // no board settles (and is republished so) during the test
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	// The office reaches its broker through a gate, so that the test
	// subscribes to a broker that comes back before the office gets to it:
	// the events it sends at once would otherwise reach nobody.
	g := newGate(t)
	g.open(brk.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stillAway, log := logged(office.MsgStillAway)
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "tcp://" + g.addr(), Logger: log})
	require.NoError(t, err)
	defer o.Close()
	eng := o.Engine()

	l, err := sim.Listen("tcp://"+brk.Addr(), "qms/demo/#")
	require.NoError(t, err)
	_, err = eng.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = eng.Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/1", ticketIs("А001"))
	require.NoError(t, err)
	l.Close()
	g.shut()
	require.NoError(t, brk.Close())

	// The broker is away: the counters go on.
	for range 3 {
		_, err = eng.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	for _, c := range []string{"1", "2", "1"} {
		if c == "1" { // done first: next at once after a call is refused
			_, err = eng.Counter(ctx, c, queue.Command{Action: queue.Finish})
			require.NoError(t, err)
		}
		_, err = eng.Counter(ctx, c, queue.Command{Action: queue.Next})
		require.NoError(t, err)
	}
	for range 150 { // 300 events
		require.NoError(t, eng.SetPause(ctx, "pension", "test"))
		require.NoError(t, eng.Resume(ctx, "pension", "test"))
	}
	evs, err := eng.Replay(1, 1000)
	require.NoError(t, err)
	last := evs[len(evs)-1].Seq
	require.Greater(t, last, uint64(300))

	// Waiting for the broker, however long, commits nothing: no write of
	// the state file (two fdatasyncs of the SD card each). Here over a
	// retry of the publisher after the snapshot (the retries logged while
	// the events above were committed are passed over).
	waitFor := func(ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatal("the publisher did not retry")
		}
	}
	waitFor(stillAway)
	for len(stillAway) > 0 {
		<-stillAway
	}
	commits := eng.Commits()
	waitFor(stillAway)
	require.Equal(t, commits, eng.Commits(), "the store was written while nothing happened")

	// It comes back, empty, where the office looks for it.
	brk, l = g.comeBack(t)
	_, err = l.Wait(ctx, "qms/demo/board/1", ticketIs("А004"))
	require.NoError(t, err, "the board shows the call made while the broker was away")
	_, err = l.Wait(ctx, "qms/demo/board/2", ticketIs("А003"))
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/hall", func(m sim.Message) bool {
		var h queue.Hall
		return json.Unmarshal(m.Payload, &h) == nil && len(h.Calls) >= 2 && h.Calls[0].Ticket == "А004" && h.Calls[1].Ticket == "А003"
	})
	require.NoError(t, err)

	// Every event not delivered before the outage, in order, without a gap.
	_, err = l.Wait(ctx, "qms/demo/events", func(m sim.Message) bool {
		var ev queue.Event
		return json.Unmarshal(m.Payload, &ev) == nil && ev.Seq == last
	})
	require.NoError(t, err)
	var seqs []uint64
	for _, ev := range decodeAll[queue.Event](t, l.Messages("qms/demo/events")) {
		seqs = append(seqs, ev.Seq)
	}
	for i := 1; i < len(seqs); i++ {
		require.LessOrEqual(t, seqs[i], seqs[i-1]+1, "no gap: %v", seqs)
	}
	require.LessOrEqual(t, seqs[0], uint64(6), "the events from the outage on: %v", seqs)
	// The calls, each at least once (one in flight at the outage may come
	// again), in the order they were made.
	var calls []string
	_, err = l.Wait(ctx, "qms/demo/announce", func(m sim.Message) bool {
		var c struct{ Ticket, Lang string }
		if json.Unmarshal(m.Payload, &c) == nil && c.Lang == "uk" && !slices.Contains(calls, c.Ticket) {
			calls = append(calls, c.Ticket)
		}
		return slices.Contains(calls, "А004")
	})
	require.NoError(t, err, "the calls made while the broker was away are announced: %v", calls)
	calls = slices.DeleteFunc(calls, func(s string) bool { return s == "А001" })
	require.Equal(t, []string{"А003", "А004"}, calls, "but not А002: its visit at counter 1 is over, А004 is called there now")

	// A broker that restarts empty while nothing happens gets the retained
	// state again when the office reconnects.
	l.Close()
	g.shut()
	require.NoError(t, brk.Close())
	_, l = g.comeBack(t)
	_, err = l.Wait(ctx, "qms/demo/board/1", ticketIs("А004"))
	require.NoError(t, err, "republished after the reconnection")
	_, err = l.Wait(ctx, "qms/demo/printer/k1", nil)
	require.NoError(t, err, "the printer's state too")
}

// gate is a TCP proxy in front of a broker. Open, it forwards each new
// connection to the broker given; shut, it cuts those it carries and
// drops new ones at once, as a broker that is away does.
type gate struct {
	ln    net.Listener
	mu    sync.Mutex
	to    string // "" while shut
	conns []net.Conn
}

func newGate(t *testing.T) *gate {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := &gate{ln: ln}
	t.Cleanup(func() { ln.Close(); g.shut() })
	go proxy(ln, func() string {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.to
	}, func(c, b net.Conn) {
		g.mu.Lock()
		g.conns = append(g.conns, c, b)
		g.mu.Unlock()
		go func() { _, _ = io.Copy(c, b); c.Close() }()
	})
	return g
}

// proxy joins each connection accepted on ln to a new one to the address
// to gives ("": refused, closed at once), copies what the client sends,
// and hands both ends to back, which carries the broker's side.
func proxy(ln net.Listener, to func() string, back func(c, b net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		addr := to()
		if addr == "" {
			c.Close()
			continue
		}
		b, err := net.Dial("tcp", addr)
		if err != nil {
			c.Close()
			continue
		}
		go func() { _, _ = io.Copy(b, c); b.Close() }()
		back(c, b)
	}
}

func (g *gate) addr() string { return g.ln.Addr().String() }

// comeBack starts an empty broker, subscribes a listener to the office's
// topics there, and only then opens the gate to it: the office's first
// messages reach the listener.
func (g *gate) comeBack(t *testing.T) (*broker.Broker, *sim.Listener) {
	t.Helper()
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	l, err := sim.Listen("tcp://"+brk.Addr(), "qms/demo/#")
	require.NoError(t, err)
	t.Cleanup(l.Close)
	g.open(brk.Addr())
	return brk, l
}

func (g *gate) open(to string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.to = to
}

func (g *gate) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.to = ""
	for _, c := range g.conns {
		c.Close()
	}
	g.conns = nil
}

// TestStartsWithoutBroker: the controller starts while its broker does not
// answer (Mosquitto on another machine, not up yet after the same power
// cut). The office works meanwhile: a ticket is issued and called. When the
// broker comes, the office connects, publishes its status and state, and
// takes commands.
func TestStartsWithoutBroker(t *testing.T) {
	cfg := roundTheClock(t)
	g := newGate(t) // shut: nobody answers there now
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var log testkit.Log
	h := newHeader()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "tcp://" + g.addr(), Pin: h.open, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err, "the office starts without its broker")
	defer o.Close()
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	office.ButtonCommand(o, "1", queue.Next) // its GPIO button
	require.NoError(t, h.pin("GPIO26").WaitLevel(gpio.High, 10*time.Second), "counter 1's busy lamp says the call")

	_, l := g.comeBack(t)
	_, err = l.Wait(ctx, "qms/demo/status", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"online":true`) })
	require.NoError(t, err)
	_, err = l.Wait(ctx, "qms/demo/board/1", ticketIs("А001"))
	require.NoError(t, err, "the call made before the broker came is on its board")
	_, err = l.Wait(ctx, "qms/demo/printer/k1", nil)
	require.NoError(t, err, "and the printer's state")
	_, err = l.Wait(ctx, "qms/demo/events", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"type":"ticket.called"`) })
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/demo/counter/1/cmd", []byte(`{"action":"done","id":"late-1"}`), false))
	_, err = l.Wait(ctx, "qms/demo/counter/1/ack", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"id":"late-1","action":"done","ok":true`)
	})
	require.NoError(t, err, "its inputs are subscribed once the broker answers")
	log.Await(t, ctx, `msg="bus: connected to the broker again"`, "the error at start is not the last word")
}

// TestPrinterStateAcrossBroker: a printer's state is logged once per
// change, also while the broker is away (it would otherwise be logged at
// every poll, each publication failing), and reaches a broker that
// answers later, or restarts empty: also that of a printer without status
// (asked only every 30 s).
func TestPrinterStateAcrossBroker(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opts  sim.PrinterOpts
		paper string
	}{
		{"near end", sim.PrinterOpts{}, "near_end"},
		{"no status", sim.PrinterOpts{Silent: true}, "unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Link = filepath.Join(t.TempDir(), "ttyUSB-printer")
			sp := startPrinter(t, &tt.opts)
			sp.SetPaper(printer.PaperNearEnd)
			cfg := roundTheClock(t)
			cfg.Kiosks[0].Printer = "serial:" + tt.opts.Link
			cfg.Kiosks[0].Profile = "xprinter-80" // no automatic status: every poll asks
			warned, log := logged("office: printer paper near end: change the roll soon")
			g := newGate(t) // shut
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "tcp://" + g.addr(), Logger: log})
			require.NoError(t, err)
			defer o.Close()
			if !tt.opts.Silent {
				asked := sp.Requests()
				require.Eventually(t, func() bool { return sp.Requests() >= asked+6 }, 20*time.Second, 10*time.Millisecond, "the kiosk polls its printer")
				require.Len(t, warned, 1, "logged once")
			}

			state := func(l *sim.Listener) {
				t.Helper()
				_, err := l.Wait(ctx, "qms/demo/printer/k1", func(m sim.Message) bool {
					var s office.PrinterState
					return json.Unmarshal(m.Payload, &s) == nil && s.Paper == tt.paper
				})
				require.NoError(t, err)
			}
			for range 2 { // the broker answers; then it restarts empty
				_, l := g.comeBack(t)
				state(l)
				g.shut()
			}
		})
	}
}

// TestBrokerRefusesController: a broker that refuses the controller (a
// wrong password in the central broker's password file) does not stop the
// office: its kiosks and buttons work, the log says why, loudly, and the
// controller gets through once the broker takes its password.
func TestBrokerRefusesController(t *testing.T) {
	ledger := &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "controller-secret", Allow: true}, {Username: "dash", Password: "pw", Allow: true}}}
	srv := bustest.Broker(t, bustest.Opts{Ledger: ledger})
	cfg := roundTheClock(t)
	cfg.Broker.Username, cfg.Broker.Password = "cherga", "guess"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var log testkit.Log
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: srv.URL, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err, "the office starts without its broker")
	defer o.Close()
	require.Contains(t, log.String(), `level=ERROR msg="bus: the broker refused the controller (refused`)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err, "the kiosks work meanwhile")

	l, err := sim.Listen(strings.Replace(srv.URL, "tcp://", "tcp://dash:pw@", 1), "qms/demo/status")
	require.NoError(t, err)
	defer l.Close()
	srv.SetLedger(t, &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "guess", Allow: true}, {Username: "dash", Password: "pw", Allow: true}}})
	_, err = l.Wait(ctx, "qms/demo/status", containing(`"online":true`))
	require.NoError(t, err, "connected once the broker takes the password")
}

// TestBrokerOverTLS: the controller reaches a broker over mutual TLS with
// the files of its configuration, a flag (Opts.TLS) over each; config.get
// shows the paths, and config.set refuses to change them (a restart does).
func TestBrokerOverTLS(t *testing.T) {
	ca := bustest.NewCA(t, "office")
	srv := bustest.Broker(t, bustest.Opts{CA: ca, ClientCA: ca})
	client := ca.Issue(t, "cherga", false, time.Time{})
	cfg := roundTheClock(t)
	cfg.Broker.URL = "mqtts://" + strings.TrimPrefix(srv.URL, "ssl://")
	cfg.Broker.CAFile, cfg.Broker.CertFile, cfg.Broker.KeyFile = "/nonexistent/ca.pem", client.CertFile, client.KeyFile
	require.NoError(t, cfg.Validate())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var log testkit.Log
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), TLS: bus.TLSFiles{CA: ca.File}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer o.Close()
	require.NotContains(t, log.String(), "level=ERROR")

	other := ca.Issue(t, "dashboard", false, time.Time{})
	dash, err := bus.Connect(ctx, bus.Opts{URL: srv.URL, ClientID: "dashboard", Root: "qms/demo", TLS: bus.TLSFiles{CA: ca.File, Cert: other.CertFile, Key: other.KeyFile}, Logger: quiet})
	require.NoError(t, err)
	defer dash.Close()
	// On a loaded machine the controller's first handshake may miss its
	// deadline: it runs locally and connects at its next try.
	require.Eventually(t, func() bool {
		status, _ := dash.Retained("qms/demo/status", time.Second)
		return strings.Contains(string(status), `"online":true`)
	}, 25*time.Second, 100*time.Millisecond, "the controller is on the broker over TLS")

	got := o.Admin(ctx, office.AdminRequest{ID: "g", Op: "config.get"})
	require.True(t, got.OK)
	whole, err := json.Marshal(got.Result.(map[string]any)["config"])
	require.NoError(t, err)
	require.Contains(t, string(whole), `"ca_file":"`+ca.File+`"`, "the flag's file runs")
	require.Contains(t, string(whole), `"key_file":"`+client.KeyFile+`"`, "a path, not a secret")
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: json.RawMessage(`{"config":` + string(whole) + `}`)})
	require.True(t, r.OK, "what config.get gives is no change: %+v", r.Error)
	r = o.Admin(ctx, office.AdminRequest{ID: "s2", Op: "config.set", Args: json.RawMessage(`{"patch":{"broker":{"ca_file":"/etc/cherga/other-ca.pem"}}}`)})
	require.False(t, r.OK)
	require.Equal(t, "config.broker", r.Error.Field)
	require.Contains(t, r.Error.Message, "takes effect with a restart")
}

// logged returns a logger, and a channel that gets a value for each record
// with the message msg, at any level (one not taken at once is dropped).
func logged(msg string) (<-chan struct{}, *slog.Logger) {
	ch := make(chan struct{}, 16)
	return ch, slog.New(signalHandler{msg, ch})
}

type signalHandler struct {
	msg string
	ch  chan<- struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h signalHandler) WithGroup(string) slog.Handler            { return h }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func ticketIs(label string) func(sim.Message) bool {
	return func(m sim.Message) bool {
		var b struct{ Ticket string }
		return json.Unmarshal(m.Payload, &b) == nil && b.Ticket == label
	}
}

// TestCrashCallAnnouncedAfterRestart: the power goes right after a call is
// committed, before it is sent. The office comes back with the embedded
// broker, new and without sessions; the announcer reconnects a moment
// later. The call committed before the cut is still announced to it: the
// office holds the events of before the restart until a client subscribes.
func TestCrashCallAnnouncedAfterRestart(t *testing.T) {
	cfg := roundTheClock(t)
	db := filepath.Join(t.TempDir(), "o.db")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := queue.Open(db, cfg, nil)
	require.NoError(t, err)
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	res, err := e.Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.NoError(t, e.Close()) // committed, never published: as at a power cut

	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: db, Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	require.NoError(t, err)
	defer o.Close()
	announcedLater(ctx, t, o, res.Ticket.Label, "the call committed before the restart is announced")
}

// announcedLater checks that an announcer connecting a moment after a
// call to label is announced it.
func announcedLater(ctx context.Context, t *testing.T, o *office.Office, label, why string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond) // the announcer is not back yet
	root := o.Config().Root()
	l, err := sim.Listen(o.BrokerURL(), root+"/announce")
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Wait(ctx, root+"/announce", containing(`"ticket":"`+label+`"`))
	require.NoError(t, err, why)
}

// A call made in the seconds after a start, before the announcer has
// reconnected to the new embedded broker, is announced to it too: the
// office holds its events until a client subscribes to them.
func TestCallAfterStartAnnouncedToLateAnnouncer(t *testing.T) {
	cfg := roundTheClock(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet}
	o, err := office.Start(ctx, opts)
	require.NoError(t, err)
	first, err := sim.Listen(o.BrokerURL(), cfg.Root()+"/events") // takes the start's events at once
	require.NoError(t, err)
	defer first.Close()
	require.Eventually(t, func() bool {
		evs, err := o.Engine().Pending(0, 1)
		return err == nil && len(evs) == 0
	}, 20*time.Second, 10*time.Millisecond, "the first start's events are sent")
	require.NoError(t, o.Close())
	o, err = office.Start(ctx, opts) // restarted with nothing left to send
	require.NoError(t, err)
	defer o.Close()
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	res, err := o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	announcedLater(ctx, t, o, res.Ticket.Label, "the call made before the announcer came is announced")
}

// TestSlowLink: office Wi-Fi whose answers take seconds (bufferbloat) is
// slow, not down: the broker's acknowledgements, 6 s late, still count,
// and the events are acknowledged rather than sent again and again.
func TestSlowLink(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for answers 6 s late")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o, link, pending := slowLinkOffice(ctx, t)

	link.delay.Store(int64(6 * time.Second))
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.Equal(t, 1, pending())
	require.Eventually(t, func() bool { return pending() == 0 }, 40*time.Second, 50*time.Millisecond, "acknowledged 6 s late, not failed and sent again")
}

// slowLinkOffice starts an office whose connection to a broker of its own
// goes through a slowLink, and returns once the start's events are
// acknowledged: the office (closed when the test ends), the link, and
// pending, the count of events not acknowledged.
func slowLinkOffice(ctx context.Context, t *testing.T) (*office.Office, *slowLink, func() int) {
	t.Helper()
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	link := newSlowLink(t, brk.Addr())
	o, err := office.Start(ctx, office.Opts{Config: roundTheClock(t), DB: filepath.Join(t.TempDir(), "o.db"), Broker: "tcp://" + link.addr(), Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { o.Close() })
	pending := func() int {
		evs, err := o.Engine().Pending(0, 100)
		require.NoError(t, err)
		return len(evs)
	}
	require.Eventually(t, func() bool { return pending() == 0 }, 30*time.Second, 50*time.Millisecond, "the start's events are acknowledged")
	return o, link, pending
}

// An office closed while the broker has stopped answering (a link that
// died without closing) stops at once, without waiting for the
// acknowledgements it will not get: under systemd, TimeoutStopSec would
// kill it before it published its stopped status and closed its store.
func TestCloseWhileBrokerSilent(t *testing.T) {
	ackWait := bus.AckWait
	bus.AckWait = 10 * time.Minute // were Close to wait for it, the test would see it
	defer func() { bus.AckWait = ackWait }()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o, link, _ := slowLinkOffice(ctx, t)

	link.delay.Store(int64(time.Hour)) // the broker's answers stop coming
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // sent, and waiting for its acknowledgement
	closed := make(chan error, 1)
	go func() { closed <- o.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(2 * time.Minute):
		t.Fatal("Close waits for an acknowledgement the broker will not send")
	}
}

// TestInFlightAtReconnect: what was in flight when the connection dropped
// (its acknowledgement lost with it) is sent again at the reconnection,
// not once its acknowledgement is given up on (bus.AckWait, 30 s): the
// events are all acknowledged well before then.
func TestInFlightAtReconnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o, link, pending := slowLinkOffice(ctx, t)

	link.delay.Store(-1) // the broker's answers are lost
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond) // sent, its acknowledgement lost
	require.Equal(t, 1, pending())
	link.delay.Store(0)
	link.cut() // the connection drops; the office reconnects at once
	require.Eventually(t, func() bool { return pending() == 0 }, bus.AckWait*2/3, 50*time.Millisecond, "sent again at the reconnection")
}

// slowLink is a TCP proxy to a broker whose answers come late by delay,
// in order, or, with a delay below 0, are lost.
type slowLink struct {
	ln    net.Listener
	delay atomic.Int64 // a time.Duration
	mu    sync.Mutex
	conns []net.Conn
}

// cut drops the connections it carries, as a broker that restarts does.
func (s *slowLink) cut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

func newSlowLink(t *testing.T, to string) *slowLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &slowLink{ln: ln}
	t.Cleanup(func() {
		ln.Close()
		s.cut()
	})
	go proxy(ln, func() string { return to }, func(c, b net.Conn) {
		s.mu.Lock()
		s.conns = append(s.conns, c, b)
		s.mu.Unlock()
		type chunk struct {
			at   time.Time
			data []byte
		}
		late := make(chan chunk, 4096)
		go func() {
			defer c.Close()
			for ch := range late {
				time.Sleep(time.Until(ch.at))
				if _, err := c.Write(ch.data); err != nil {
					return
				}
			}
		}()
		go func() {
			defer close(late)
			buf := make([]byte, 32<<10)
			for {
				n, err := b.Read(buf)
				if d := time.Duration(s.delay.Load()); n > 0 && d >= 0 {
					late <- chunk{time.Now().Add(d), append([]byte(nil), buf[:n]...)}
				}
				if err != nil {
					return
				}
			}
		}()
	})
	return s
}

func (s *slowLink) addr() string { return s.ln.Addr().String() }

// A call is overtaken only by a later change of its counter: a board of
// before the call (committed between a round's boards and its events)
// says nothing of it, and the call is said.
func TestOvertaken(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	call := queue.Event{Type: queue.EvCalled, At: t0, Counter: "1", Ticket: &queue.Ticket{Label: "А008"}}
	for _, c := range []struct {
		why   string
		board display.Board
		want  bool
	}{
		{"its own ticket", display.Board{Counter: "1", Ticket: "А008", State: display.Calling, At: t0}, false},
		{"a later call", display.Board{Counter: "1", Ticket: "А010", State: display.Calling, At: t0.Add(time.Minute)}, true},
		{"idle since after it", display.Board{Counter: "1", State: display.Idle, At: t0.Add(time.Minute)}, true},
		{"idle since before it", display.Board{Counter: "1", State: display.Idle, At: t0.Add(-time.Second)}, false},
		{"the ticket before it", display.Board{Counter: "1", Ticket: "А007", State: display.Serving, At: t0.Add(-time.Minute)}, false},
	} {
		require.Equal(t, c.want, office.Overtaken(c.board, call), c.why)
	}
}
