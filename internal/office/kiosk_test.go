package office_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"periph.io/x/conn/v3/gpio"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
	"github.com/cherga/cherga/sim"
)

// The kiosk tests run a whole office (embedded broker, bbolt file in a temp
// dir) with its kiosk printer on a pty emulator, and watch MQTT as a kiosk
// screen and the website would.

// wait bounds every wait for something that should happen at once: the
// status poll is half a second, a silent printer times out in two.
const wait = 15 * time.Second

type kioskRig struct {
	t      testing.TB
	o      *office.Office
	bus    *sim.Listener
	link   string // the printer's stable name, as /dev/serial/by-id
	sp     *sim.Printer
	pins   *sim.Pins
	root   string
	ctx    context.Context
	issued int          // tickets the rig expects in the queue
	log    *testkit.Log // what the office logged, from warnings on
}

func startPrinter(t testing.TB, opts *sim.PrinterOpts) *sim.Printer {
	t.Helper()
	sp, err := sim.StartPrinter(opts)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty printer needs Linux")
	}
	require.NoError(t, err)
	t.Cleanup(func() { sp.Close() })
	return sp
}

// startScanner starts a pty scanner, closed on cleanup.
func startScanner(t testing.TB) *sim.Scanner {
	t.Helper()
	sc, err := sim.StartScanner(nil)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty scanner needs Linux")
	}
	require.NoError(t, err)
	t.Cleanup(func() { sc.Close() })
	return sc
}

// rigOpts changes the rig of startKiosk.
type rigOpts struct {
	subs    []string         // topics below the root to listen to; nil: all
	profile string           // k1's printer profile; "": the example's
	printer *sim.PrinterOpts // the pty printer's options (Link is set)
	poll    time.Duration    // k1's status poll; 0: the default
	kiosk   func(*config.Kiosk)
	config  func(*config.Config) // the rest of the configuration
	unready bool                 // not waiting for k1's printer to be ready
	now     func() time.Time     // the queue's clock; nil: the system's
	info    bool                 // log from information on, not warnings
}

// startKiosk runs the round-the-clock office with kiosk k1's printer on a pty.
func startKiosk(t testing.TB, opts rigOpts) *kioskRig {
	t.Helper()
	r := &kioskRig{t: t, link: filepath.Join(t.TempDir(), "ttyUSB-printer"), ctx: context.Background(), pins: sim.NewPins(), log: &testkit.Log{}}
	var po sim.PrinterOpts
	if opts.printer != nil {
		po = *opts.printer
	}
	po.Link = r.link
	r.sp = startPrinter(t, &po)
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	require.Equal(t, "k1", cfg.Kiosks[0].ID)
	cfg.Kiosks[0].Printer = "serial:" + r.link
	if opts.profile != "" {
		cfg.Kiosks[0].Profile = opts.profile
	}
	cfg.Kiosks[0].StatusPollMS = int(opts.poll.Milliseconds())
	// The tests press faster than citizens; TestKioskPace has the limit.
	cfg.Kiosks[0].PressesPerMinute = 6000
	if opts.kiosk != nil {
		opts.kiosk(&cfg.Kiosks[0])
	}
	if opts.config != nil {
		opts.config(cfg)
	}
	r.root = cfg.Root()
	level := slog.LevelWarn
	if opts.info {
		level = slog.LevelInfo
	}
	r.o, err = office.Start(r.ctx, office.Opts{
		Config: cfg,
		DB:     filepath.Join(t.TempDir(), "cherga.db"),
		Broker: "embedded",
		Listen: "127.0.0.1:0",
		Pin:    r.pins.Open,
		Now:    opts.now,
		Logger: slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), r.log), &slog.HandlerOptions{Level: level})),
	})
	require.NoError(t, err)
	t.Cleanup(func() { r.o.Close() })
	subs := []string{r.root + "/#"}
	if opts.subs != nil {
		subs = nil
		for _, s := range opts.subs {
			subs = append(subs, r.root+"/"+s)
		}
	}
	r.bus, err = sim.Listen(r.o.BrokerURL(), subs...)
	require.NoError(t, err)
	t.Cleanup(r.bus.Close)
	if !opts.unready {
		r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
	}
	return r
}

// scan has sc read code at k1's scanner, and returns the kiosk's answer.
func (r *kioskRig) scan(sc *sim.Scanner, code string) office.ScanResult {
	r.t.Helper()
	topic := r.root + "/kiosk/k1/scan"
	n := r.count(topic)
	require.NoError(r.t, sc.Scan(code))
	var sr office.ScanResult
	require.NoError(r.t, json.Unmarshal(r.after(topic, n, func(sim.Message) bool { return true }).Payload, &sr))
	return sr
}

// lit says whether the lamp on pin name is lit.
func (r *kioskRig) lit(name string) bool {
	p, err := r.pins.Open(name)
	require.NoError(r.t, err)
	return p.Read() == gpio.High
}

// after waits for a message on topic that arrives after the first n there
// and matches.
func (r *kioskRig) after(topic string, n int, match func(sim.Message) bool) sim.Message {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.ctx, wait)
	defer cancel()
	i := 0
	m, err := r.bus.Wait(ctx, topic, func(m sim.Message) bool {
		i++
		return i > n && match(m)
	})
	require.NoError(r.t, err)
	return m
}

func (r *kioskRig) count(topic string) int {
	n := 0
	for _, m := range r.bus.Messages(topic) {
		if m.Topic == topic {
			n++
		}
	}
	return n
}

// printerState waits until the retained printer status matches.
func (r *kioskRig) printerState(match func(office.PrinterState) bool) office.PrinterState {
	r.t.Helper()
	var s office.PrinterState
	r.after(r.root+"/printer/k1", 0, func(m sim.Message) bool {
		// Only the latest state counts: an old one may have matched.
		last, _ := r.bus.Last(m.Topic)
		if last.At.After(m.At) {
			return false
		}
		s = office.PrinterState{}
		return json.Unmarshal(m.Payload, &s) == nil && match(s)
	})
	return s
}

// retained checks what a board or website that connects now is told: the
// retained printer status.
func (r *kioskRig) retained(match func(office.PrinterState) bool) {
	r.t.Helper()
	l, err := sim.Listen(r.o.BrokerURL(), r.root+"/printer/k1")
	require.NoError(r.t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(r.ctx, wait)
	defer cancel()
	m, err := l.Wait(ctx, r.root+"/printer/k1", nil)
	require.NoError(r.t, err)
	require.True(r.t, m.Retained)
	var s office.PrinterState
	require.NoError(r.t, json.Unmarshal(m.Payload, &s))
	require.True(r.t, match(s), "retained %s", m.Payload)
}

// press presses a service button of k1 over MQTT and returns what the kiosk
// answered.
func (r *kioskRig) press(service string) office.Result {
	r.t.Helper()
	topic := r.root + "/kiosk/k1/ticket"
	n := r.count(topic)
	require.NoError(r.t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"`+service+`"}`), false))
	var res office.Result
	m := r.after(topic, n, func(sim.Message) bool { return true })
	require.NoError(r.t, json.Unmarshal(m.Payload, &res), "%s", m.Payload)
	return res
}

func (r *kioskRig) tickets() []queue.Ticket {
	r.t.Helper()
	tks, err := r.o.Engine().Tickets(r.ctx)
	require.NoError(r.t, err)
	return tks
}

// refused presses and checks that nothing entered the queue.
func (r *kioskRig) refused(why string) office.Result {
	r.t.Helper()
	res := r.press("social")
	require.False(r.t, res.OK, "%s: a press while the printer cannot print issues nothing", why)
	require.Equal(r.t, "printer", res.Reason)
	require.Empty(r.t, res.Ticket)
	require.Len(r.t, r.tickets(), r.issued, "%s: no ticket entered the queue", why)
	return res
}

// prints presses and checks that the ticket came out of the printer sp.
func (r *kioskRig) prints(sp *sim.Printer) office.Result {
	r.t.Helper()
	res := r.press("social")
	require.True(r.t, res.OK, "%+v", res)
	r.issued++
	require.Len(r.t, r.tickets(), r.issued)
	r.cut(sp, res.Ticket)
	return res
}

// notice waits for a notice slip (a scan's refusal) to be cut by sp.
func (r *kioskRig) notice(sp *sim.Printer) printer.Doc {
	r.t.Helper()
	return r.waitDoc(sp, "a notice", func(l printer.Line) bool {
		return l.Bold && strings.Contains(l.Text, " / ") && strings.ToUpper(l.Text) == l.Text
	})
}

// cut waits for a ticket with that label to be cut by sp.
func (r *kioskRig) cut(sp *sim.Printer, label string) printer.Doc {
	r.t.Helper()
	return r.waitDoc(sp, label, func(l printer.Line) bool { return l.Text == label && l.Width > 1 }) // the number, large
}

// waitDoc waits for a document with a line that matches to be cut by sp.
func (r *kioskRig) waitDoc(sp *sim.Printer, what string, match func(printer.Line) bool) printer.Doc {
	r.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case d, ok := <-sp.Printed():
			require.True(r.t, ok, "printer closed")
			if slices.ContainsFunc(d.Lines, match) {
				return d
			}
		case <-timeout:
			r.t.Fatalf("%s never printed %s; docs: %v", sp, what, sp.Docs())
		}
	}
}

// A service that stops issuing for what happens elsewhere (a screen kiosk
// took the last ticket under its cap) darkens the button at once, not at
// the printer's next poll (an hour away: the Epson tells its own state),
// and one that issues again lights it.
func TestKioskLampsFollowTheQueue(t *testing.T) {
	r := startKiosk(t, rigOpts{poll: time.Hour, config: func(c *config.Config) {
		c.Service("social").DailyCap = 1
	}})
	lamp := "GPIO23" // social's
	require.Eventually(t, func() bool { return r.lit(lamp) }, wait, time.Millisecond)
	_, err := r.o.Engine().Issue(r.ctx, queue.IssueRequest{Service: "social", Kiosk: "screen"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !r.lit(lamp) }, wait, time.Millisecond, "the lamp goes dark")

	// A pause straight through the engine, not an administrator's request.
	require.NoError(t, r.o.Engine().SetPause(r.ctx, "pension", "нарада"))
	require.Eventually(t, func() bool { return !r.lit("GPIO24") }, wait, time.Millisecond, "pension's lamp goes dark")
	require.NoError(t, r.o.Engine().Resume(r.ctx, "pension", ""))
	require.Eventually(t, func() bool { return r.lit("GPIO24") }, wait, time.Millisecond, "pension's lamp lights again")
}

// A screen that sends a press again while it waits in a full backlog gets
// one answer, its ticket: not "busy" first (press again) and the ticket
// after. A press to a kiosk not in the configuration is answered on its
// topic.
func TestKioskPressSentAgainWhileQueued(t *testing.T) {
	r := startKiosk(t, rigOpts{subs: []string{"kiosk/+/ticket", "printer/k1", "errors"}, printer: &sim.PrinterOpts{PrintRate: 5000}})
	topic := r.root + "/kiosk/k1/ticket"
	send := func(id string) {
		require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"social","id":"`+id+`"}`), false))
	}
	answered := func(id string) func(sim.Message) bool {
		return func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"press":"`+id+`"`) }
	}
	// p0 first, taken by the kiosk (issued, printing slowly), so that the
	// 16 presses after it fill the backlog and the 17th is busy.
	send("p0")
	require.Eventually(t, func() bool {
		ts, err := r.o.Engine().Tickets(r.ctx)
		return err == nil && len(ts) == 1
	}, 10*time.Second, time.Millisecond, "p0 not taken")
	for i := 1; i < 18; i++ {
		send("p" + strconv.Itoa(i))
	}
	send("p16")
	r.after(topic, 0, func(m sim.Message) bool {
		return answered("p16")(m) && strings.Contains(string(m.Payload), `"ok":true`)
	})
	send("last")
	r.after(topic, 0, answered("last"))
	var p16 []string
	for _, m := range r.bus.Messages(topic) {
		if answered("p16")(m) {
			p16 = append(p16, string(m.Payload))
		}
	}
	require.Len(t, p16, 1, "one answer")
	// The one refused busy is said on the errors topic with its id, as
	// every refusal is.
	m := r.after(r.root+"/errors", 0, func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"id":"p17"`) })
	require.Contains(t, string(m.Payload), `"reason":"busy"`)
	require.Contains(t, string(m.Payload), `"error":"office: the kiosk's backlog is full (16 presses wait): refused as busy (service social)"`)

	require.NoError(t, r.bus.Publish(r.root+"/kiosk/k9/press", []byte(`{"service":"social","id":"s1"}`), false))
	m = r.after(r.root+"/kiosk/k9/ticket", 0, answered("s1"))
	require.Contains(t, string(m.Payload), `"reason":"unknown_device"`)
}

// A printer that flaps (a loose cable) is logged 4 changes a minute; the
// state it stays in after is logged once the minute has passed, with the
// changes held back, while the broker takes its status. The paper near
// its end, found while the cover was open, is warned of once it closes.
func TestPrinterFlapsLogged(t *testing.T) {
	r := startKiosk(t, rigOpts{poll: 20 * time.Millisecond})
	for range 4 {
		r.sp.SetCoverOpen(true)
		r.printerState(func(s office.PrinterState) bool { return s.Cover == "open" })
		r.sp.SetCoverOpen(false)
		r.printerState(func(s office.PrinterState) bool { return s.Cover == "closed" && s.Error == "" })
	}
	r.sp.SetCoverOpen(true)
	r.printerState(func(s office.PrinterState) bool { return s.Cover == "open" })
	require.Equal(t, 2, r.log.Count("printer cannot print"), "4 changes logged: open, closed, open, closed")
	office.AgePrinterLogs(r.o, "k1", 2*time.Minute)
	r.log.Await(t, r.ctx, `msg="office: printer cannot print" kiosk=k1`+" printer="+"serial:"+r.link+" fix=", "the state it stays in")
	require.Eventually(t, func() bool { return r.log.Count("changes_not_logged=5") == 1 }, wait, time.Millisecond, "with the changes held back")

	r.sp.SetPaper(printer.PaperNearEnd)
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "near_end" && s.Cover == "open" })
	office.AgePrinterLogs(r.o, "k1", 2*time.Minute)
	r.sp.SetCoverOpen(false)
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "near_end" && s.Error == "" })
	require.Eventually(t, func() bool { return r.log.Count("printer paper near end") == 1 }, wait, time.Millisecond, "warned once the cover closed")
}

// TestKioskAutoStatus: the Epson of the example tells its state by itself
// (automatic status back). With the poll an hour away, every change still
// reaches {root}/printer/k1 and the button lamps, and a press asks the
// printer for no status at all: the ticket ends with a process ID request,
// which the printer answers once the ticket is printed and cut.
func TestKioskAutoStatus(t *testing.T) {
	r := startKiosk(t, rigOpts{poll: time.Hour})
	lamp := "GPIO23" // social's

	r.sp.SetCoverOpen(true)
	r.printerState(func(s office.PrinterState) bool { return s.Cover == "open" && strings.Contains(s.Error, "cover open") })
	require.Eventually(t, func() bool { return !r.lit(lamp) }, wait, time.Millisecond, "the lamp goes dark")
	asked := r.sp.Requests()
	r.refused("cover open")
	require.Equal(t, asked, r.sp.Requests(), "refused from what the printer told")

	r.sp.SetCoverOpen(false)
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Cover == "closed" && s.Error == "" })
	require.Eventually(t, func() bool { return r.lit(lamp) }, wait, time.Millisecond, "the lamp lights again")
	asked = r.sp.Requests()
	sent := len(r.sp.Bytes())
	r.prints(r.sp)
	require.Equal(t, asked, r.sp.Requests(), "no status request before or after the ticket")
	require.Contains(t, string(r.sp.Bytes()[sent:]), string(printer.RequestProcessID(nil, printer.ProcessID{})[:7]), "the ticket ends with a process ID request")

	// The roll runs out in the middle of the next ticket: the printer says
	// so at once, the ticket is voided, and presses are refused.
	r.sp.RunOutAfter(60)
	res := r.press("social")
	require.False(t, res.OK)
	r.issued++ // voided, but it was issued
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
	r.refused("paper out")
	r.sp.SetPaper(printer.PaperOK)
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Paper == "ok" })
	r.prints(r.sp)
}

// TestKioskRollEndsRightAfterTicket: the roll ends just as a ticket is
// cut. The printer confirmed the ticket before it told that the paper is
// out, so the ticket is the citizen's and stays in the queue (a status
// request after it would say paper out, and void a ticket in a citizen's
// hand); the next press is refused until paper is loaded.
func TestKioskRollEndsRightAfterTicket(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.sp.RunOutAfterTicket()
	res := r.prints(r.sp)
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
	r.refused("paper out")
	var state queue.State
	for _, tk := range r.tickets() {
		if tk.Label == res.Ticket {
			state = tk.State
		}
	}
	require.Equal(t, queue.Waiting, state, "the printed ticket stays in the queue")
	r.sp.SetPaper(printer.PaperOK)
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Paper == "ok" })
	r.prints(r.sp)
}

// TestKioskSwitchedOffBetweenPolls: the Epson of the example is switched
// off between two polls. It tells nothing on the way down (automatic status
// back), so its last word is still that it is ready, and the press prints
// into the void. It never says the ticket is printed; asked then, it does
// not answer: the ticket stays in the queue (it may have come out), and the
// citizen is told that the printer is not ready, with the number.
// A controller stopped while its printer has not yet said whether it
// printed a ticket keeps the ticket, and its log names the ticket, not a
// profile to mend.
func TestKioskStoppedBeforeConfirm(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.prints(r.sp)
	r.sp.SetSilent(true) // it confirms nothing
	require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	r.after(r.root+"/events", 0, func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"ticket.issued"`) && strings.Contains(string(m.Payload), `"А002"`)
	})
	require.NoError(t, r.o.Close())
	require.Contains(t, r.log.String(), `msg="office: the office stopped before the printer said whether it printed a ticket; it stays in the queue" kiosk=k1 ticket=А002`)
	require.NotContains(t, r.log.String(), "process_id: false")
}

func TestKioskSwitchedOffBetweenPolls(t *testing.T) {
	r := startKiosk(t, rigOpts{poll: time.Hour})
	r.prints(r.sp)

	r.sp.SetSilent(true)
	res := r.press("social")
	require.True(t, res.OK, "%+v", res)
	require.Equal(t, "printer", res.Reason, "the screen says the printer is not ready")
	require.Contains(t, res.Message, "Принтер не готовий до друку")
	require.Contains(t, res.Message, "Ваш талон "+res.Ticket+" у черзі")
	require.Contains(t, res.Message, "ask a member of staff to reprint it", "a printer switched off lost what it held")
	r.issued++
	r.printerState(func(s office.PrinterState) bool { return !s.Online && strings.Contains(s.Error, "no status reply") })
	r.refused("silent")
}

// TestKioskBufferedPrinterRollEnds: a printer on USB or the network takes a
// whole ticket into its buffer at once and prints it over the next moments,
// so a status request right after the ticket is answered before the ticket
// is printed. The roll ends in the middle of it. An Epson (process_id) never
// says the ticket is printed but that the paper is out: the ticket is voided
// and the rest of it cleared from the buffer. A model without process ID
// requests cannot tell: the ticket stays in the queue (a phantom that costs
// one no-show, never a citizen holding a number that is never called), and
// the next press is refused once the poll finds the paper out.
func TestKioskBufferedPrinterRollEnds(t *testing.T) {
	for _, tt := range []struct {
		profile string
		voided  bool
	}{{"", true}, {"xprinter-80", false}} {
		t.Run(cmp.Or(tt.profile, "epson"), func(t *testing.T) {
			// 500 bytes a second: the roll ends half a second after the
			// ticket arrived, long after the status request behind it.
			r := startKiosk(t, rigOpts{profile: tt.profile, printer: &sim.PrinterOpts{PrintRate: 500}})
			r.prints(r.sp)

			r.sp.RunOutAfter(250)
			res := r.press("social")
			require.Equal(t, !tt.voided, res.OK, "%+v", res)
			r.issued++
			r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
			r.refused("paper out")
			var voided []string
			for _, tk := range r.tickets() {
				if tk.State == queue.Voided {
					voided = append(voided, tk.Label)
				}
			}
			if tt.voided {
				require.Len(t, voided, 1)
				require.Equal(t, 1, r.sp.Cleared(), "the rest of the ticket is cleared")
			} else {
				require.Empty(t, voided)
			}
		})
	}
}

func TestKioskRefusesWhilePrinterCannotPrint(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.prints(r.sp)

	tests := []struct {
		name  string
		set   func(sp *sim.Printer)
		clear func(sp *sim.Printer)
		says  func(office.PrinterState) bool
		// message is what the kiosk tells the citizen.
		message string
	}{
		{
			"paper out",
			func(sp *sim.Printer) { sp.SetPaper(printer.PaperOut) },
			func(sp *sim.Printer) { sp.SetPaper(printer.PaperOK) },
			func(s office.PrinterState) bool { return s.Paper == "out" && strings.Contains(s.Error, "paper out") },
			"У принтері закінчився папір. Будь ласка, зверніться до працівника офісу. / The printer is out of paper.",
		},
		{
			"cover open",
			func(sp *sim.Printer) { sp.SetCoverOpen(true) },
			func(sp *sim.Printer) { sp.SetCoverOpen(false) },
			func(s office.PrinterState) bool { return s.Cover == "open" && strings.Contains(s.Error, "cover open") },
			"Кришку принтера відкрито.",
		},
		{
			"offline",
			func(sp *sim.Printer) { sp.SetOffline(true) },
			func(sp *sim.Printer) { sp.SetOffline(false) },
			func(s office.PrinterState) bool { return !s.Online && strings.Contains(s.Error, "offline") },
			"Принтер не готовий до друку.",
		},
		{
			"silent",
			func(sp *sim.Printer) { sp.SetSilent(true) },
			func(sp *sim.Printer) { sp.SetSilent(false) },
			func(s office.PrinterState) bool { return !s.Online && strings.Contains(s.Error, "no status reply") },
			"Принтер не готовий до друку.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.t = t
			tt.set(r.sp)
			s := r.printerState(tt.says)
			require.NotEmpty(t, s.Error)
			r.retained(tt.says)
			res := r.refused(tt.name)
			require.Contains(t, res.Message, tt.message)
			require.NotContains(t, res.Message, "printer:", "the printer's own words are not for citizens")

			tt.clear(r.sp)
			r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
			r.prints(r.sp)
		})
	}

	t.Run("paper near end still prints", func(t *testing.T) {
		r.t = t
		r.sp.SetPaper(printer.PaperNearEnd)
		s := r.printerState(func(s office.PrinterState) bool { return s.Paper == "near_end" })
		require.True(t, s.Online)
		require.Empty(t, s.Error)
		r.prints(r.sp)
		// The sensor at the roll's end flaps: the warning is logged once.
		for range 3 {
			r.sp.SetPaper(printer.PaperOK)
			r.printerState(func(s office.PrinterState) bool { return s.Paper == "ok" })
			r.sp.SetPaper(printer.PaperNearEnd)
			r.printerState(func(s office.PrinterState) bool { return s.Paper == "near_end" })
		}
		require.Equal(t, 1, r.log.Count("printer paper near end"), "once, not at every flap")
		r.sp.SetPaper(printer.PaperOK)
		r.printerState(func(s office.PrinterState) bool { return s.Paper == "ok" })
	})

	t.Run("unplugged and back", func(t *testing.T) {
		r.t = t
		require.NoError(t, r.sp.Close())
		s := r.printerState(func(s office.PrinterState) bool { return !s.Online && s.Error != "" })
		t.Logf("unplugged: %s", s.Error)
		require.Equal(t, "unknown", s.Paper, "a printer that cannot be reached tells nothing of its paper")
		require.Equal(t, "unknown", s.Cover)
		r.refused("unplugged")

		r.sp = startPrinter(t, &sim.PrinterOpts{Link: r.link})
		r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
		r.prints(r.sp)
	})

	// Every ticket issued was announced on the event stream, and nothing else.
	r.t = t
	r.after(r.root+"/events", 0, func(m sim.Message) bool {
		return countEvents(r.bus.Messages(r.root+"/events"), queue.EvIssued) >= r.issued
	})
	require.Equal(t, r.issued, countEvents(r.bus.Messages(r.root+"/events"), queue.EvIssued))
	require.Zero(t, countEvents(r.bus.Messages(r.root+"/events"), queue.EvVoided))
}

func countEvents(msgs []sim.Message, typ string) int {
	n := 0
	for _, m := range msgs {
		var ev queue.Event
		if json.Unmarshal(m.Payload, &ev) == nil && ev.Type == typ {
			n++
		}
	}
	return n
}

// TestKioskVoidsTicketCutShort: the roll runs out in the middle of a ticket.
// Its number is voided (an event says so) and is never called.
func TestKioskVoidsTicketCutShort(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	first := r.prints(r.sp)

	r.sp.RunOutAfter(60) // past the number, before the end of the ticket
	res := r.press("social")
	require.False(t, res.OK)
	require.Equal(t, "printer", res.Reason)
	require.Contains(t, res.Message, "could not be printed in full and has been cancelled")
	r.issued++ // it was issued, then voided

	var voided queue.Ticket
	r.after(r.root+"/events", 0, func(m sim.Message) bool {
		var ev queue.Event
		if json.Unmarshal(m.Payload, &ev) != nil || ev.Type != queue.EvVoided || ev.Ticket == nil {
			return false
		}
		voided = *ev.Ticket
		return true
	})
	require.Equal(t, queue.Voided, voided.State)
	require.Contains(t, voided.Reason, "paper out")
	require.Contains(t, res.Message, "Талон "+voided.Label+" не вдалося надрукувати повністю", "the screen names the number on the stub")
	require.Contains(t, r.log.String(), `msg="office: ticket not printed whole: voided, it will not be called" kiosk=k1 ticket=`+voided.Label, "and the log, for the citizen who brings it")
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
	r.log.Await(t, r.ctx, `msg="office: printer cannot print" kiosk=k1`, "logged")
	require.Contains(t, r.log.String(), `fix="load a new roll of paper"`, "the log says what to do")
	b := officeState(t, r.ctx, r.o)
	require.Contains(t, string(b), `"printers":[{"kiosk":"k1","online":false,"paper":"out","cover":"closed","error":"printer: cannot print: paper out`, "and office.state, for chergactl")

	require.Equal(t, 1, r.sp.Cleared(), "the rest of the voided ticket is cleared from the printer")

	// A new roll: nothing of the voided ticket comes out, and the next
	// press gets a good ticket.
	r.sp.SetPaper(printer.PaperOK)
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
	second := r.prints(r.sp)
	for _, d := range r.sp.Docs() {
		require.NotContains(t, d.String(), voided.Label, "the voided ticket never prints")
	}

	var called []string
	for range 3 {
		// done first: next at once after a call is a double press, refused
		if _, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Finish}); err != nil {
			require.ErrorIs(t, err, queue.ErrNoTicket)
		}
		c, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
		require.NoError(t, err)
		if c.Ticket != nil && (len(called) == 0 || called[len(called)-1] != c.Ticket.Label) {
			called = append(called, c.Ticket.Label)
		}
	}
	require.Equal(t, []string{first.Ticket, second.Ticket}, called, "the voided %s is never called", voided.Label)
	for _, tk := range r.tickets() {
		if tk.ID == voided.ID {
			require.Equal(t, queue.Voided, tk.State)
		}
	}
}

// A ticket is not called while its kiosk prints it: a print that failed
// midway voids it, and the citizen, told it was cancelled, must not be
// sent to a counter meanwhile (a specialist pressed next as it printed).
// Printed whole, it is called.
func TestKioskTicketNotCalledWhilePrinting(t *testing.T) {
	r := startKiosk(t, rigOpts{printer: &sim.PrinterOpts{PrintRate: 100}}) // about 4 s a ticket
	topic := r.root + "/kiosk/k1/ticket"
	for _, runOut := range []bool{false, true} {
		if runOut {
			r.sp.RunOutAfter(300)
		}
		n := r.count(topic)
		before := len(r.tickets())
		require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"social"}`), false))
		require.Eventually(t, func() bool { return len(r.tickets()) > before }, wait, time.Millisecond, "issued")
		printing := r.tickets()[before]
		if _, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Finish}); err != nil {
			require.ErrorIs(t, err, queue.ErrNoTicket)
		}
		c, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
		require.NoError(t, err)
		require.Nil(t, c.Ticket, "%s is called while it prints", printing.Label)
		require.Equal(t, n, r.count(topic), "the print is still under way")

		var res office.Result
		m := r.after(topic, n, func(sim.Message) bool { return true })
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		if runOut {
			require.False(t, res.OK)
			require.Contains(t, res.Message, "has been cancelled: it will not be called")
			require.Equal(t, queue.Voided, r.tickets()[before].State)
			c, err = r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
			require.NoError(t, err)
			require.Nil(t, c.Ticket, "the voided ticket is never called")
			continue
		}
		require.True(t, res.OK)
		require.Eventually(t, func() bool {
			c, err = r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
			return err == nil && c.Ticket != nil
		}, wait, 10*time.Millisecond, "printed, it is called")
		require.Equal(t, printing.Label, c.Ticket.Label)
	}
}

// TestKioskKeepsTicketPrinterCannotClear: on a model that can neither clear
// its buffer nor say when a ticket is printed (xprinter-80), the roll ends
// in the middle of a ticket, or right after its cut. Either way the printer
// holds whatever it has not printed of it, and prints that on the next roll:
// the ticket stays in the queue (voided, it would come out whole for
// somebody to wait on a number never called), the kiosk gives its number
// and says so, and once paper is loaded the ticket is whole on the paper.
func TestKioskKeepsTicketPrinterCannotClear(t *testing.T) {
	for _, tt := range []struct {
		name   string
		runOut func(sp *sim.Printer)
	}{
		{"midway", func(sp *sim.Printer) { sp.RunOutAfter(60) }},
		{"after the cut", func(sp *sim.Printer) { sp.RunOutAfterTicket() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := startKiosk(t, rigOpts{profile: "xprinter-80"})
			r.prints(r.sp)

			tt.runOut(r.sp)
			res := r.press("social")
			require.True(t, res.OK, "%+v", res)
			require.Equal(t, "printer", res.Reason)
			require.Contains(t, res.Message, "Ваш талон "+res.Ticket+" у черзі")
			require.Contains(t, res.Message, "Your ticket "+res.Ticket+" is in the queue")
			require.Contains(t, res.Message, "the rest will be printed as soon as the printer is working again", "it holds the rest")
			r.issued++
			r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
			r.refused("paper out")
			require.Zero(t, r.sp.Cleared())

			r.sp.SetPaper(printer.PaperOK)
			d := r.cut(r.sp, res.Ticket)
			require.Contains(t, d.String(), "People ahead", "the ticket is whole on the paper")
			for _, tk := range r.tickets() {
				require.Equal(t, queue.Waiting, tk.State, tk.Label)
			}
			_, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
			require.NoError(t, err)
			_, err = r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Finish})
			require.NoError(t, err)
			c, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
			require.NoError(t, err)
			require.Equal(t, res.Ticket, c.Ticket.Label, "the ticket is called")
		})
	}
}

// TestKioskKeepsTicketUnpluggedMidway: the cable is pulled while the ticket
// goes out. The bytes had left for the device, and nothing tells how many
// reached the paper: a USB printer prints what its buffer holds. Unsure,
// the kiosk keeps the number in the queue (a phantom costs one no-show; a
// citizen holding a number that is never called costs far more), says the
// printer is gone, and prints again once it is plugged back in. What had
// not reached the printer is lost with the cable: the citizen is told to
// ask for a reprint, not that the rest will print.
func TestKioskKeepsTicketUnpluggedMidway(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.prints(r.sp)

	r.sp.UnplugAfter(60)
	res := r.press("social")
	require.True(t, res.OK, "%+v", res)
	require.Equal(t, "printer", res.Reason, "the screen says the printer is not ready")
	require.Contains(t, res.Message, "Ваш талон "+res.Ticket+" у черзі")
	require.Contains(t, res.Message, "попросіть працівника офісу надрукувати його ще раз")
	require.Contains(t, res.Message, "ask a member of staff to reprint it")
	require.NotContains(t, res.Message, "the rest will be printed")
	require.Equal(t, 1, r.log.Count("the printer did not confirm a ticket, and cannot print now"), r.log.String())
	require.Zero(t, r.log.Count("needs process_id: false"), "a profile is not what is wrong")
	r.issued++
	r.printerState(func(s office.PrinterState) bool { return !s.Online && s.Error != "" })
	require.NoError(t, r.sp.Close(), "waits for the unplugging to finish")
	r.refused("unplugged")

	r.sp = startPrinter(t, &sim.PrinterOpts{Link: r.link})
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
	r.prints(r.sp)
	for _, tk := range r.tickets() {
		require.Equal(t, queue.Waiting, tk.State, tk.Label)
	}
}

// TestKioskLPDeviceUnplugged: an Epson (automatic status back, so its
// device is read all the time) on a USB printer class device, here the pty
// at a path as /dev/usb/lp0, is unplugged: from then on its reads fail as
// those of a printer without a back channel do, which is no reply, not an
// error. The kiosk finds it gone all the same, and closing the device it
// dropped does not hang: the kiosk prints again once the printer is
// plugged back in, and the office closes.
func TestKioskLPDeviceUnplugged(t *testing.T) {
	var link string
	r := startKiosk(t, rigOpts{kiosk: func(k *config.Kiosk) {
		link = strings.TrimPrefix(k.Printer, "serial:")
		k.Printer = link
	}})
	r.prints(r.sp)

	require.NoError(t, r.sp.Close())
	r.printerState(func(s office.PrinterState) bool { return !s.Online && s.Error != "" })
	r.refused("unplugged")

	r.sp = startPrinter(t, &sim.PrinterOpts{Link: link})
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
	r.prints(r.sp)
	require.NoError(t, r.sp.Close())
	r.printerState(func(s office.PrinterState) bool { return !s.Online && s.Error != "" })

	closed := make(chan error, 1)
	go func() { closed <- r.o.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(wait):
		t.Fatal("the office does not close: its kiosk still waits for the printer")
	}
}

// slowTCPPrinter is a ready printer on a raw TCP port that answers the
// status requests of each write only after delay, however long ago it
// printed: slower than a kiosk waits by default. It returns its spec.
func slowTCPPrinter(t *testing.T, delay time.Duration) string {
	return tcpPrinter(t, delay, readyReply)
}

// readyReply is a ready printer's reply to DLE EOT n.
func readyReply(n byte) byte {
	r, _ := printer.Status{Online: true}.Reply(n)
	return r
}

// tcpPrinter is a raw port 9100 printer that answers each DLE EOT n with
// reply(n), delay after the request came.
func tcpPrinter(t *testing.T, delay time.Duration, reply func(n byte) byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	serve := func(c net.Conn) {
		var pend []byte
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			var replies []byte
			for pend = append(pend, buf[:n]...); ; {
				i := bytes.Index(pend, []byte{printer.DLE, printer.EOT})
				if i < 0 || i+2 >= len(pend) {
					break
				}
				replies, pend = append(replies, reply(pend[i+2])), pend[i+3:]
			}
			if i := bytes.LastIndexByte(pend, printer.DLE); i < 0 {
				pend = pend[:0]
			} else {
				pend = pend[i:]
			}
			if len(replies) > 0 {
				time.Sleep(delay)
				c.Write(replies)
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go serve(c)
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// A printer that answers, but not as its profile expects (another
// model's protocol, a wrong baud rate), is not sent to its cable: the log
// says to check the profile and the line.
func TestKioskPrinterBadReplies(t *testing.T) {
	var garbled atomic.Bool
	spec := tcpPrinter(t, 0, func(n byte) byte {
		if garbled.Load() {
			return 0xFF
		}
		return readyReply(n)
	})
	r := startKiosk(t, rigOpts{profile: "xprinter-80", poll: 50 * time.Millisecond, kiosk: func(k *config.Kiosk) { k.Printer = spec }})
	garbled.Store(true)
	r.log.Await(t, r.ctx, `msg="office: printer cannot print" kiosk=k1`, "not logged")
	require.Contains(t, r.log.String(), `fix="the printer answers, but not as its profile expects`)
}

// A printer slower to answer a status request than a kiosk waits by
// default is given kiosks[].status_timeout_ms, up to 5 s, the poll too:
// its answers are taken (not a printer without status, whose paper is
// unknown), and it prints. The
// time a press spends on the printer's answers is not the store's: it
// does not make the press stale.
func TestKioskStatusTimeout(t *testing.T) {
	spec := slowTCPPrinter(t, 3500*time.Millisecond)
	r := startKiosk(t, rigOpts{profile: "xprinter-80", kiosk: func(k *config.Kiosk) {
		k.Printer, k.StatusTimeoutMS = spec, 5000
	}})
	s := r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" })
	require.Equal(t, "ok", s.Paper, "it answered")
	// Waited 7 s for the store, then 3.5 s for the printer's answer: 10.5
	// s in all, stale were the printer's time counted. The 3 s left is the
	// store's, for the ticket: a busy machine's fsync may take a second.
	res := office.ServeAfter(r.ctx, r.o, "k1", "social", office.StaleAfter-3*time.Second, 0)
	require.True(t, res.OK, "%+v", res)
	require.Empty(t, res.Reason, "printed")
}

// TestKioskProfiles prints through a profile of firmware-config's
// printers.yaml (CP1125, ESC t 44) and on a printer as slow as a 9600 baud
// line, where the status read after the ticket waits for its bytes.
func TestKioskProfiles(t *testing.T) {
	for _, tt := range []struct {
		name    string
		profile string
		printer *sim.PrinterOpts
	}{
		{"cp1125 from printers.yaml", "epson-cp1125", nil},
		{"9600 baud", "", &sim.PrinterOpts{Baud: 9600}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := startKiosk(t, rigOpts{profile: tt.profile, printer: tt.printer})
			res := r.prints(r.sp)
			b := r.sp.Bytes()
			if tt.profile == "epson-cp1125" {
				// Opened: automatic status back on; then the ticket: init,
				// ASB on again, CP1125.
				require.Equal(t, []byte{0x1D, 'a', printer.ASBAll, 0x1B, '@', 0x1D, 'a', printer.ASBAll, 0x1B, 't', 44}, b[:11])
			}
			d, err := r.sp.RenderPNG(printer.Doc{Lines: []printer.Line{{Text: res.Ticket, Width: 1, Height: 1}}})
			require.NoError(t, err)
			require.NotEmpty(t, d)
			require.Contains(t, printer.NewDecoder(nil).Feed(b)[0].String(), "Соціальний захист")
		})
	}
}

// A printer model of the office's own (printer_profiles) prints as its
// fields say: its code page, by that page's n of ESC t, on its columns.
// It is wired: config.set does not change it.
func TestKioskOwnPrinterModel(t *testing.T) {
	r := startKiosk(t, rigOpts{profile: "Rongta-RP80", config: func(c *config.Config) {
		c.PrinterProfiles = []*printer.Profile{{Name: "rongta-rp80", Columns: 42, CodePage: "cp1125", CodeTables: map[string]byte{"cp1125": 44}, Cut: true}}
	}})
	res := r.prints(r.sp)
	b := r.sp.Bytes()
	require.True(t, bytes.Contains(b, []byte{0x1B, 't', 44}), "ESC t 44: CP1125")
	d := printer.NewDecoder(nil).Feed(b)[0]
	require.Contains(t, d.String(), "Соціальний захист")
	require.Contains(t, d.String(), res.Ticket)
	wide := 0
	for _, l := range d.Lines {
		if l.Width <= 1 {
			wide = max(wide, len([]rune(l.Text)))
		}
	}
	require.LessOrEqual(t, wide, 42, "its 42 columns, no more (the wait line has 48 characters)")
	require.Greater(t, wide, 32, "more than a 58 mm printer's 32 columns")

	ar := r.o.Admin(r.ctx, office.AdminRequest{ID: "p", Op: "config.set", Args: json.RawMessage(`{"patch":{"printer_profiles":[{"name":"rongta-rp80","columns":48,"code_page":"cp1125","code_tables":{"cp1125":44}}]}}`)})
	require.False(t, ar.OK)
	require.Equal(t, "config.printer_profiles", ar.Error.Field)
	require.Contains(t, ar.Error.Message, "takes effect with a restart")

	// A kiosk given with its buttons alone, to change their services:
	// the refusal names what else it changes, and how to give it.
	ar = r.o.Admin(r.ctx, office.AdminRequest{ID: "b", Op: "config.set", Args: json.RawMessage(`{"patch":{"kiosks":[{"id":"k1","buttons":[{"service":"pension"}]}]}}`)})
	require.False(t, ar.OK)
	require.Equal(t, "config.kiosks[0].buttons", ar.Error.Field)
	require.Contains(t, ar.Error.Message, `office: kiosks[0].buttons takes effect with a restart: change it in the configuration file (this gives 1 item, and 3 items run)`)
	require.Contains(t, ar.Error.Message, "give the kiosks whole, as config.get shows them")
}

// A kiosk prints its logo (kiosks[].logo, a PNG) at the top of every
// ticket and of a reprint, scaled to its paper.
func TestKioskPrintsItsLogo(t *testing.T) {
	logo := filepath.Join(t.TempDir(), "logo.png")
	writeLogo(t, logo, 800, 40) // wider than 80 mm paper: scaled to 576 dots
	r := startKiosk(t, rigOpts{kiosk: func(k *config.Kiosk) { k.Logo = logo }})
	res := r.press("social")
	require.True(t, res.OK, "%+v", res)
	d := r.cut(r.sp, res.Ticket)
	require.Equal(t, 1, d.Images)
	require.Equal(t, 0, d.ImagesAt[0], "at the top")
	require.Equal(t, 576/8, d.Bitmaps[0].WidthBytes)
	require.Equal(t, 40*576/800, d.Bitmaps[0].Rows)
	require.True(t, d.Bitmaps[0].Black(10, 10))
	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	require.Equal(t, 1, r.cut(r.sp, res.Ticket).Images)
}

// A logo that cannot print, or a printer model nobody described, is
// refused at start, naming the field.
func TestKioskLogoRefused(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	writeLogo(t, big, 576, 255) // 18 KB: 9.6 s at 19200 baud with every ticket
	text := filepath.Join(dir, "logo.txt")
	require.NoError(t, os.WriteFile(text, []byte("Прозорий офіс"), 0o600))
	for file, want := range map[string]string{
		filepath.Join(dir, "none.png"): "no such file",
		text:                           "not a PNG image",
		big:                            "make it smaller, or store it in the printer and set logo_nv",
	} {
		cfg := roundTheClock(t)
		cfg.Kiosks[0].Printer = "serial:" + filepath.Join(dir, "ttyUSB0") + "?baud=19200"
		cfg.Kiosks[0].Logo = file
		_, err := office.Start(context.Background(), office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
		var fe *office.FieldError
		require.ErrorAs(t, err, &fe, file)
		require.Equal(t, "kiosks[0].logo", fe.Field)
		require.ErrorContains(t, err, want)
	}
	// So is a printer model nobody described, with the ones there are.
	cfg := roundTheClock(t)
	cfg.Kiosks[0].Profile = "rongta-rp80"
	_, err := office.Start(context.Background(), office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Logger: quiet})
	var fe *office.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "kiosks[0].profile", fe.Field)
	require.ErrorContains(t, err, "epson-tm-t88")
}

// writeLogo writes a PNG of w×h dots: black on white, with a white
// border of 4 dots.
func writeLogo(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			if x < 4 || y < 4 || x >= w-4 || y >= h-4 {
				img.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

func TestKioskReprint(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.prints(r.sp)
	res := r.prints(r.sp)

	// The copy of a waiting ticket says where it stands now, as the first
	// did.
	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	d := r.cut(r.sp, res.Ticket)
	require.Contains(t, d.String(), "ДУБЛІКАТ")
	require.Contains(t, d.String(), "Перед вами: 1")
	require.Contains(t, d.String(), "People ahead: 1")
	require.Equal(t, "Transparent Office of Social Services", d.Lines[1].Text, "office.name_en, under its name")
	require.Len(t, r.tickets(), 2, "a reprint issues nothing")
	_, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	require.Contains(t, r.cut(r.sp, res.Ticket).String(), "Перед вами нікого немає")

	require.ErrorIs(t, r.o.Reprint(r.ctx, "k1", 999), queue.ErrUnknownTicket)
	require.Error(t, r.o.Reprint(r.ctx, "nope", res.ID))

	// The administrator's ticket.reprint, by label, on the kiosk that issued it.
	ar := r.o.Admin(r.ctx, office.AdminRequest{ID: "r1", Op: "ticket.reprint", Args: json.RawMessage(`{"ticket":"` + res.Ticket + `"}`)})
	require.True(t, ar.OK, "%+v", ar.Error)
	require.Contains(t, r.cut(r.sp, res.Ticket).String(), "ДУБЛІКАТ")
	ar = r.o.Admin(r.ctx, office.AdminRequest{ID: "r2", Op: "ticket.reprint", Args: json.RawMessage(`{"ticket":"` + res.Ticket + `","kiosk":"k9"}`)})
	require.False(t, ar.OK)
	require.Equal(t, "kiosk", ar.Error.Field)

	r.sp.SetCoverOpen(true)
	require.ErrorIs(t, r.o.Reprint(r.ctx, "k1", res.ID), printer.ErrCoverOpen)
	// The administrator is told what to do about it.
	ar = r.o.Admin(r.ctx, office.AdminRequest{ID: "r3", Op: "ticket.reprint", Args: json.RawMessage(`{"ticket":"` + res.Ticket + `"}`)})
	require.False(t, ar.OK)
	require.Equal(t, "refused", ar.Error.Code)
	require.Equal(t, "kiosk", ar.Error.Field)
	require.Contains(t, ar.Error.Message, "office: reprint "+res.Ticket+" on kiosk k1: ")
	require.True(t, strings.HasSuffix(ar.Error.Message, ": close the printer's cover, and ask again"), ar.Error.Message)
	r.sp.SetCoverOpen(false)

	require.NoError(t, r.o.Engine().Void(r.ctx, res.ID, "test"))
	require.Error(t, r.o.Reprint(r.ctx, "k1", res.ID), "a voided ticket is not reprinted")

	// Every copy that came out is on record, none that did not.
	evs, err := r.o.Engine().Replay(0, 1000)
	require.NoError(t, err)
	var copies []string
	for _, ev := range evs {
		if ev.Type == queue.EvReprinted {
			require.Equal(t, res.Ticket, ev.Ticket.Label)
			copies = append(copies, ev.Kiosk+" "+string(ev.Ticket.State))
		}
	}
	require.Equal(t, []string{"k1 waiting", "k1 waiting", "k1 waiting"}, copies)
}

// A kiosk of buttons and a printer has no screen to answer a scan: a scan
// of a ticket in the queue prints a copy of it, with where its citizen
// stands now, at most once a minute (a scanner reads a code held up to it
// again and again); one of a ticket at a counter already, or ended, prints
// nothing. An appointment code, of the booking site's pattern, goes to the
// queue's events.
func TestKioskScanPrintsACopy(t *testing.T) {
	sc := startScanner(t)
	r := startKiosk(t, rigOpts{kiosk: func(k *config.Kiosk) {
		k.Scanner = "serial:" + sc.Path()
		k.AppointmentCodes = `BK-[0-9]{4}`
	}})
	r.prints(r.sp)
	res := r.prints(r.sp)
	scan := func(code string) office.ScanResult { t.Helper(); return r.scan(sc, code) }
	url := fmt.Sprintf("https://cherga.local/t/demo/%d", res.ID)
	sr := scan(url)
	require.True(t, sr.OK)
	require.True(t, sr.Printed)
	require.Regexp(t, `^Талон А002 у черзі\. Перед вами: 1\x{a0}особа\. .+ Копію талона надруковано\. / Ticket А002 is in the queue\. People ahead: 1\. .+ A copy of the ticket has been printed\.$`, sr.Message)
	d := r.cut(r.sp, res.Ticket)
	require.Contains(t, d.String(), "ДУБЛІКАТ")
	require.Contains(t, d.String(), "Перед вами: 1")

	// Scanned again at once: the answer, no second copy.
	sr = scan(url)
	require.True(t, sr.OK)
	require.False(t, sr.Printed)
	require.NotContains(t, sr.Message, "Копію")

	// At the counter already: nothing to print.
	_, err := r.o.Engine().CallTicket(r.ctx, "1", res.Ticket)
	require.NoError(t, err)
	_, err = r.o.Engine().Counter(r.ctx, "1", queue.Command{Action: queue.Serve})
	require.NoError(t, err)
	require.False(t, scan(url).Printed)
	// Ended: a note says it is no longer valid.
	_, err = r.o.Engine().Counter(r.ctx, "1", queue.Command{Action: queue.Finish})
	require.NoError(t, err)
	sr = scan(url)
	require.Equal(t, "ended", sr.Reason)
	require.True(t, sr.Printed)
	note := strings.Join(strings.Fields(r.notice(r.sp).String()), " ")
	require.Contains(t, note, "ТАЛОН / TICKET Талон "+res.Ticket+" уже недійсний.")
	require.NotContains(t, note, "ДУБЛІКАТ")

	code := scan("BK-0042")
	require.Equal(t, "appointment", code.Kind)
	require.False(t, code.Printed)
	require.Equal(t, "appointment", scan("BK-0042").Kind, "read again at once: answered, recorded once")
	require.Equal(t, "unknown", scan("AB12CD34").Kind, "the default pattern's code, not this office's")

	evs, err := r.o.Engine().Replay(0, 1000)
	require.NoError(t, err)
	var copies, codes []string
	for _, ev := range evs {
		switch ev.Type {
		case queue.EvReprinted:
			copies = append(copies, ev.Kiosk+" "+ev.Ticket.Label)
		case queue.EvAppointment:
			codes = append(codes, ev.Kiosk+" "+ev.Code)
		}
	}
	require.Equal(t, []string{"k1 А002"}, copies, "one copy printed, one recorded")
	require.Equal(t, []string{"k1 BK-0042"}, codes)
	require.Len(t, r.tickets(), 2, "a copy issues nothing")

	// A printer that cannot print is not tried, and a copy that failed is
	// not tried again at the next read of the code held up to the
	// scanner, even once the printer is back (for 10 s).
	first := fmt.Sprintf("https://cherga.local/t/demo/%d", r.tickets()[0].ID)
	r.sp.SetCoverOpen(true)
	r.printerState(func(s office.PrinterState) bool { return s.Cover == "open" })
	sr = scan(first)
	require.True(t, sr.OK)
	require.False(t, sr.Printed)
	r.sp.SetCoverOpen(false)
	r.printerState(func(s office.PrinterState) bool { return s.Cover == "closed" })
	require.False(t, scan(first).Printed)
}

// A kiosk started with -printer none prints no copy of a scanned ticket,
// whatever its file's scan_print says: it would answer that one printed,
// and record it.
func TestKioskScanWithoutPrinter(t *testing.T) {
	sc := startScanner(t)
	cfg := roundTheClock(t)
	yes := true
	cfg.Kiosks[0].ScanPrint, cfg.Kiosks[0].Scanner = &yes, "serial:"+sc.Path()
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Printer: "none"}, "qms/demo/kiosk/k1/scan")
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.NoError(t, sc.Scan(fmt.Sprintf("https://cherga.local/t/demo/%d", iss.Ticket.ID)))
	m, err := l.Wait(ctx, "qms/demo/kiosk/k1/scan", nil)
	require.NoError(t, err)
	var sr office.ScanResult
	require.NoError(t, json.Unmarshal(m.Payload, &sr))
	require.True(t, sr.OK)
	require.False(t, sr.Printed, "%s", m.Payload)
	evs, err := o.Engine().Replay(0, 100)
	require.NoError(t, err)
	for _, ev := range evs {
		require.NotEqual(t, queue.EvReprinted, ev.Type)
	}
}

// The copy of a waiting ticket whose counters are all on a break says so
// instead of a wait, as the ticket did.
func TestKioskReprintOnBreak(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	res := r.press("employment") // counter 13's alone
	require.True(t, res.OK, "%+v", res)
	require.Contains(t, r.cut(r.sp, res.Ticket).String(), "Очікування:")
	_, err := r.o.Engine().Counter(r.ctx, "13", queue.Command{Action: queue.Pause})
	require.NoError(t, err)
	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	d := r.cut(r.sp, res.Ticket).String()
	require.Contains(t, d, "ДУБЛІКАТ")
	require.Contains(t, d, "Зараз перерва в\u00a0прийомі")
	require.NotContains(t, d, "Очікування:")

	// In an air-raid alert the copy sends its citizen to the shelter: a
	// break would keep them in the hall.
	a := r.o.Admin(r.ctx, office.AdminRequest{ID: "a", Op: "office.pause", Args: json.RawMessage(`{"alert":true}`)})
	require.True(t, a.OK, "%+v", a.Error)
	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	d = r.cut(r.sp, res.Ticket).String()
	require.Contains(t, d, "Повітряна тривога: пройдіть до\u00a0укриття")
	require.NotContains(t, d, "перерва")
}

// The copy of a ticket already called says where to go, as the
// announcement names the counter, and nothing of a wait nor the footer's
// "watch the board": its citizen, told to wait, would sit down and be
// marked a no-show.
func TestKioskReprintCalled(t *testing.T) {
	r := startKiosk(t, rigOpts{config: func(cfg *config.Config) { cfg.Counter("3").Kind = "cabinet" }})
	first := r.prints(r.sp)
	second := r.prints(r.sp)
	_, err := r.o.Engine().Counter(r.ctx, "2", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	_, err = r.o.Engine().Counter(r.ctx, "3", queue.Command{Action: queue.Next})
	require.NoError(t, err)

	require.NoError(t, r.o.Reprint(r.ctx, "k1", first.ID))
	d := r.cut(r.sp, first.Ticket)
	require.Contains(t, d.String(), "ДУБЛІКАТ / DUPLICATE\n")
	require.Contains(t, d.String(), "\nВас викликано: вікно\u00a02\nYou have been called: counter\u00a02\n")
	require.NotContains(t, d.String(), "Перед вами")
	require.NotContains(t, d.String(), "Очікування")
	require.NotContains(t, d.String(), "Очікуйте виклику", "no footer")
	require.NotContains(t, d.String(), "watch the board")

	// By the administrator's ticket.reprint: a cabinet is a room.
	ar := r.o.Admin(r.ctx, office.AdminRequest{ID: "r1", Op: "ticket.reprint", Args: json.RawMessage(`{"ticket":"` + second.Ticket + `"}`)})
	require.True(t, ar.OK, "%+v", ar.Error)
	d = r.cut(r.sp, second.Ticket)
	require.Contains(t, d.String(), "\nВас викликано: кабінет\u00a03\nYou have been called: room\u00a03\n")
	require.NotContains(t, d.String(), "Очікуйте виклику")
}

// A ticket called to a counter before its service was renamed (config.set)
// keeps the old id; its reprint prints it under the service that now
// prints its prefix, rather than failing for an unknown service.
func TestKioskReprintAfterRename(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	res, err := r.o.Engine().Issue(r.ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = r.o.Engine().Counter(r.ctx, "13", queue.Command{Action: queue.Next})
	require.NoError(t, err)
	ar := r.o.Admin(r.ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: renameEmployment(t, r.o.Config())})
	require.True(t, ar.OK, "%+v", ar.Error)

	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.Ticket.ID))
	d := r.cut(r.sp, res.Ticket.Label)
	require.Contains(t, d.String(), "ДУБЛІКАТ")
	require.Contains(t, d.String(), "Служба зайнятості")
}

// A priority press (a long press, or "priority" from a screen kiosk)
// prints a ticket that says so, and so does its reprint; an ordinary one
// does not.
func TestKioskPriorityTicket(t *testing.T) {
	r := startKiosk(t, rigOpts{})
	r.prints(r.sp)
	require.NotContains(t, r.sp.Docs()[0].String(), "ПОЗАЧЕРГОВИЙ")

	topic := r.root + "/kiosk/k1/ticket"
	n := r.count(topic)
	require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"social","priority":true}`), false))
	var res office.Result
	require.NoError(t, json.Unmarshal(r.after(topic, n, func(sim.Message) bool { return true }).Payload, &res))
	require.True(t, res.OK, "%+v", res)
	require.True(t, res.Priority, "the answer says what was issued")
	require.Contains(t, r.cut(r.sp, res.Ticket).String(), res.Ticket+"\nПОЗАЧЕРГОВИЙ / PRIORITY\n")

	require.NoError(t, r.o.Reprint(r.ctx, "k1", res.ID))
	require.Contains(t, r.cut(r.sp, res.Ticket).String(), "ПОЗАЧЕРГОВИЙ / PRIORITY\nДУБЛІКАТ / DUPLICATE\n")

	// A category alone makes a priority ticket: the answer says so.
	n = r.count(topic)
	require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(`{"service":"social","category":"veteran"}`), false))
	require.NoError(t, json.Unmarshal(r.after(topic, n, func(sim.Message) bool { return true }).Payload, &res))
	require.True(t, res.OK, "%+v", res)
	require.True(t, res.Priority)
	require.Equal(t, "veteran", res.Category)
	r.cut(r.sp, res.Ticket)
}

// BenchmarkPressToPaper measures a kiosk press over MQTT until the last byte
// of the ticket (its cut) reaches the pty printer: the status check, the
// fsync'd Issue, the layout and the write, and the status read after it. It
// prints press_to_last_byte_p99_ms and press_to_paper_vs_fsync, the p99
// divided by the p50 of a bare fsync'd bbolt Update on the same disk in the
// same run (goal ≤ 3). Presses and Updates take turns, in a random order
// each round, so that both meet the disk alike (a virtual disk's fsync is
// slower after a pause than right after another). The pty takes bytes at
// memory speed; serial_ms_19200 (package printer) is the wire time to add
// for a real serial printer.
func BenchmarkPressToPaper(b *testing.B) {
	// One measured run of its own, whatever b.N the runner asks for: the
	// presses of several rounds would run out of the day's 999 numbers.
	if b.N > 1 {
		b.Skip("measured once, at b.N == 1")
	}
	// Only what a kiosk screen hears: the whole stream would load the broker.
	r := startKiosk(b, rigOpts{subs: []string{"kiosk/k1/ticket", "printer/k1"}})
	pressed := []byte(`{"service":"social"}`)
	topic := r.root + "/kiosk/k1/ticket"
	press := func() time.Duration {
		n := r.count(topic)
		start := time.Now()
		require.NoError(b, r.bus.Publish(r.root+"/kiosk/k1/press", pressed, false))
		var took time.Duration
		select {
		case d := <-r.sp.Printed():
			took = time.Since(start)
			require.True(b, d.Cut)
		case <-time.After(wait):
			b.Fatal("no ticket printed")
		}
		// The kiosk answers after its post-print status check: wait for it so
		// presses do not overlap.
		r.after(topic, n, func(sim.Message) bool { return true })
		return took
	}
	update := bareUpdate(b)
	var lat, fsyncs []time.Duration
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		if rnd.IntN(2) == 0 {
			lat = append(lat, press())
			fsyncs = append(fsyncs, update(i))
		} else {
			fsyncs = append(fsyncs, update(i))
			lat = append(lat, press())
		}
	}
	fsync := quantile(fsyncs, 0.5)
	p50, p99 := quantile(lat, 0.50), quantile(lat, 0.99)
	ratio := float64(p99) / float64(fsync)
	b.ReportMetric(float64(p99)/1e6, "p99_ms")
	b.ReportMetric(ratio, "vs_fsync")
	fmt.Printf("press_to_last_byte_p50_ms: %.3f ms\n", float64(p50)/1e6)
	fmt.Printf("press_to_last_byte_p99_ms: %.3f ms\n", float64(p99)/1e6)
	fmt.Printf("press_fsync_update_p50_ms: %.3f ms\n", float64(fsync)/1e6)
	fmt.Printf("press_to_paper_vs_fsync: %.2f\n", ratio)
}

// bareUpdate opens a bare bbolt file and returns a function that times one
// fsync'd Update of one small key, the i-th, in it.
func bareUpdate(b *testing.B) func(i int) time.Duration {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, nil)
	require.NoError(b, err)
	b.Cleanup(func() { db.Close() })
	return func(i int) time.Duration {
		start := time.Now()
		require.NoError(b, db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("tickets"))
			if err != nil {
				return err
			}
			return bk.Put([]byte(strconv.Itoa(i)), []byte("А023"))
		}))
		return time.Since(start)
	}
}

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// TestKioskRefusesUnprintableConfig: a service name the printer's code page
// cannot print stops the office at start, naming it, rather than voiding every
// ticket of the service later.
func TestKioskRefusesUnprintableConfig(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Services[1].Name = "Пенсійний фонд ☎"
	_, err = office.Start(context.Background(), office.Opts{
		Config: cfg,
		DB:     filepath.Join(t.TempDir(), "cherga.db"),
		Broker: "embedded",
		Listen: "127.0.0.1:0",
		Pin:    sim.NewPins().Open,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	require.ErrorIs(t, err, printer.ErrUnencodable)
	require.Contains(t, err.Error(), "pension")
	require.Contains(t, err.Error(), "'☎'")
}

// A printer that never answers a status request (a write-only USB lp
// device, a bare pty) still prints: the kiosk says its state is unknown.
// One that answered and then fell silent is refused (the "silent" case of
// TestKioskRefusesWhilePrinterCannotPrint).
func TestKioskPrinterWithoutStatus(t *testing.T) {
	r := startKiosk(t, rigOpts{printer: &sim.PrinterOpts{Silent: true}})
	s := r.printerState(func(s office.PrinterState) bool { return s.Paper == "unknown" })
	require.True(t, s.Online)
	require.Equal(t, "unknown", s.Cover)
	res := r.prints(r.sp)
	require.True(t, res.OK)
}

// A printer whose replies come garbled from the start (a serial line at
// another baud rate than the printer's) talks back: it is not taken for
// one without a status channel, which prints without checks, but refused
// for as long as it lasts, its status saying what to check, alike at every
// poll; set right, it prints.
func TestKioskGarbledPrinter(t *testing.T) {
	r := startKiosk(t, rigOpts{printer: &sim.PrinterOpts{Garbled: true}, unready: true})
	s := r.printerState(func(s office.PrinterState) bool { return s.Error != "" })
	require.False(t, s.Online)
	require.Contains(t, s.Error, "cannot be read")
	require.Contains(t, s.Fix, "baud rate")
	// Past the polls after which a printer that never answers is taken
	// for one without status.
	require.Eventually(t, func() bool { return r.sp.Requests() >= 40 }, 3*wait, 10*time.Millisecond)
	r.refused("garbled")
	said := map[string]bool{}
	for _, m := range r.bus.Messages(r.root + "/printer/k1") {
		said[string(m.Payload)] = true
	}
	require.Len(t, said, 1, "%v", said)

	r.sp.SetGarbled(false)
	r.printerState(func(s office.PrinterState) bool { return s.Online && s.Error == "" && s.Fix == "" })
	r.prints(r.sp)
}

// A printer that cannot answer status requests (a write-only device),
// unplugged and plugged back in, prints the very next ticket: a failure is
// not left standing until the next periodic probe.
func TestKioskNoStatusPrinterBackAtOnce(t *testing.T) {
	r := startKiosk(t, rigOpts{printer: &sim.PrinterOpts{Silent: true}})
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "unknown" })
	r.prints(r.sp)

	require.NoError(t, r.sp.Close()) // unplugged: the next ticket fails and is voided
	res := r.press("social")
	require.False(t, res.OK)
	r.issued++
	r.printerState(func(s office.PrinterState) bool { return s.Error != "" })

	r.sp = startPrinter(t, &sim.PrinterOpts{Silent: true, Link: r.link})
	r.prints(r.sp)
}

// TestKioskBufferedRollEndsRightAfterTicket: as TestKioskRollEndsRightAfterTicket,
// on a printer that prints from its buffer at a real pace, where the request
// behind the cut is still in the buffer when the mechanism reaches the cut.
func TestKioskBufferedRollEndsRightAfterTicket(t *testing.T) {
	// Five bytes a step of the mechanism: the request is never in the step
	// that holds the cut.
	r := startKiosk(t, rigOpts{printer: &sim.PrinterOpts{PrintRate: 500}})
	r.sp.RunOutAfterTicket()
	res := r.prints(r.sp)
	r.printerState(func(s office.PrinterState) bool { return s.Paper == "out" })
	for _, tk := range r.tickets() {
		if tk.Label == res.Ticket {
			require.Equal(t, queue.Waiting, tk.State, "the printed ticket stays in the queue")
		}
	}
}

// TestKioskAnswersEveryPress: a burst of presses over MQTT, more than the
// kiosk holds at once. Every press gets its answer on kiosk/k1/ticket: a
// ticket, or "busy" (press again); and only the answered tickets exist.
func TestKioskAnswersEveryPress(t *testing.T) {
	r := startKiosk(t, rigOpts{subs: []string{"kiosk/k1/ticket", "printer/k1"}})
	topic := r.root + "/kiosk/k1/ticket"
	const n = 60
	for i := range n {
		require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", fmt.Appendf(nil, `{"service":"social","id":"p%d"}`, i), false))
	}
	require.Eventually(t, func() bool { return r.count(topic) >= n }, 3*wait, 10*time.Millisecond)
	ok := 0
	answered := map[string]bool{}
	for _, m := range r.bus.Messages(topic) {
		var res office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		require.False(t, answered[res.Press], "%s answered twice", res.Press)
		answered[res.Press] = true
		if res.OK {
			ok++
		} else {
			require.Equal(t, "busy", res.Reason)
		}
	}
	require.Len(t, answered, n, "each press answered, by its id")
	require.Len(t, r.tickets(), ok)
}

// A ticket whose label reads otherwise in English gives its Latin form, as
// the English announcement says it; one that reads the same gives none.
func TestLatinLabel(t *testing.T) {
	for label, want := range map[string]string{
		"А001": "", "Т012": "", "КО99": "",
		"Ц001": "Ts001", "В012": "V012", "Н001": "N001", "Р001": "R001", "С001": "S001",
		"Х001": "Kh001", "Й001": "Y001", "Щ001": "Shch001", "П001": "P001",
	} {
		require.Equal(t, want, office.LatinLabel(label), label)
	}
}

// A press over MQTT (a screen's) gets what the kiosk's configuration
// offers: a service of its buttons, and a priority ticket only by a
// priority button of that category or a long press; at most
// presses_per_minute, past a burst of 10. The refused ones issue nothing.
func TestKioskOffersWhatItsButtonsDo(t *testing.T) {
	r := startKiosk(t, rigOpts{subs: []string{"kiosk/k1/ticket", "printer/k1"}, kiosk: func(k *config.Kiosk) {
		k.LongPressMS = 0
		k.Buttons = []config.KioskButton{{Service: "social"}, {Service: "social", Category: "veteran"}, {Service: "pension"}}
		k.PressesPerMinute = 1
	}, info: true})
	topic := r.root + "/kiosk/k1/ticket"
	press := func(payload string) office.Result {
		n := r.count(topic)
		require.NoError(t, r.bus.Publish(r.root+"/kiosk/k1/press", []byte(payload), false))
		var res office.Result
		require.NoError(t, json.Unmarshal(r.after(topic, n, func(sim.Message) bool { return true }).Payload, &res))
		return res
	}
	for _, p := range []string{`{"service":"employment"}`, `{"service":"social","priority":true}`,
		`{"service":"social","category":"disability"}`, `{"service":"pension","category":"veteran"}`} {
		res := press(p)
		require.False(t, res.OK, p)
		require.Equal(t, "not_offered", res.Reason, p)
	}
	require.Empty(t, r.tickets())
	res := press(`{"service":"social","category":"veteran"}`)
	require.True(t, res.OK, "%+v", res)
	require.True(t, res.Priority)
	r.cut(r.sp, res.Ticket)

	ok := 1
	for range 12 {
		res := press(`{"service":"pension"}`)
		if res.OK {
			ok++
			r.cut(r.sp, res.Ticket)
			continue
		}
		require.Equal(t, "busy", res.Reason)
	}
	require.Equal(t, 10, ok, "a burst of 10, then one a minute")
	require.Len(t, r.tickets(), 10)
	// Three refused in a row: one line, as a stuck screen's thousands would be.
	require.Equal(t, 1, r.log.Count("presses_per_minute"), r.log.String())
	require.Zero(t, r.log.Count(`ok=false ticket="" reason=busy`), "and no line of its own for each")
	require.NotZero(t, r.log.Count(`ok=false ticket="" reason=not_offered`), "as another refusal has")
}

// An ordinary press for a service whose only buttons on the kiosk are
// priority ones is not offered: such a button gives a priority ticket
// alone, short press or long. With long_press_ms, a plain button gives
// both: an ordinary ticket, and a priority one of any category.
func TestKioskPriorityOnlyButtons(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Kiosks = append(cfg.Kiosks,
		config.Kiosk{ID: "k2", Printer: "none", Buttons: []config.KioskButton{
			{Service: "social"}, {Service: "social", Category: "veteran"},
			{Service: "pension", Category: "veteran"}, {Service: "employment", Priority: true},
		}},
		config.Kiosk{ID: "k3", Printer: "none", LongPressMS: 2000, Buttons: []config.KioskButton{
			{Service: "social"}, {Service: "pension", Category: "veteran"},
		}})
	ctx, _, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/kiosk/+/ticket")
	n := 0
	for _, tt := range []struct {
		kiosk, press, reason string // reason "": a ticket
	}{
		{"k2", `"service":"social"`, ""},
		{"k2", `"service":"social","category":"veteran"`, ""},
		{"k2", `"service":"pension"`, "not_offered"},
		{"k2", `"service":"pension","category":"veteran"`, ""},
		{"k2", `"service":"pension","priority":true`, "not_offered"},
		{"k2", `"service":"employment"`, "not_offered"},
		{"k2", `"service":"employment","priority":true`, ""},
		{"k3", `"service":"social"`, ""},
		{"k3", `"service":"social","category":"disability"`, ""},
		{"k3", `"service":"pension"`, "not_offered"},
		{"k3", `"service":"pension","priority":true`, ""},
	} {
		n++
		id := fmt.Sprintf("p%d", n)
		require.NoError(t, l.Publish("qms/demo/kiosk/"+tt.kiosk+"/press", []byte(`{`+tt.press+`,"id":"`+id+`"}`), false))
		m, err := l.Wait(ctx, "qms/demo/kiosk/"+tt.kiosk+"/ticket", containing(`"press":"`+id+`"`))
		require.NoError(t, err)
		var res office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		require.Equal(t, tt.reason == "", res.OK, "%s %s: %+v", tt.kiosk, tt.press, res)
		require.Equal(t, tt.reason, res.Reason, "%s %s", tt.kiosk, tt.press)
		if tt.reason != "" && !strings.Contains(tt.press, "priority") {
			require.Contains(t, res.Message, "лише позачергові", "%s %s", tt.kiosk, tt.press)
		}
	}
}

// A press refused as busy by presses_per_minute is not remembered with its
// id: the screen that sends it again, as the answer asks, has it served
// anew, not the same refusal with its old time.
func TestKioskBusyPressServedAgain(t *testing.T) {
	cfg := roundTheClock(t)
	cfg.Kiosks = append(cfg.Kiosks, config.Kiosk{ID: "k2", Printer: "none", PressesPerMinute: 1})
	ctx, _, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/kiosk/k2/ticket")
	press := func(id string) office.Result {
		t.Helper()
		n := len(l.Messages("qms/demo/kiosk/k2/ticket"))
		require.NoError(t, l.Publish("qms/demo/kiosk/k2/press", []byte(`{"service":"social","id":"`+id+`"}`), false))
		seen := 0
		m, err := l.Wait(ctx, "qms/demo/kiosk/k2/ticket", func(m sim.Message) bool {
			seen++
			return seen > n && strings.Contains(string(m.Payload), `"press":"`+id+`"`)
		})
		require.NoError(t, err)
		var res office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &res))
		return res
	}
	for i := range 10 { // the burst
		require.True(t, press(fmt.Sprint("p", i)).OK)
	}
	first := press("b1")
	require.Equal(t, "busy", first.Reason)
	again := press("b1")
	require.Equal(t, "busy", again.Reason, "still faster than a press a minute")
	require.True(t, again.At.After(first.At), "served anew, not the first answer again: %v, then %v", first.At, again.At)
}

// A press for a priority category the office does not have is a
// bad_request that names it, whatever the kiosk offers (a button of the
// service or not, a long press or not): not "error", which says to press
// again. The administrator reads it on {root}/errors, with the press's id.
func TestKioskUnknownCategory(t *testing.T) {
	cfg := roundTheClock(t) // k1: buttons and long_press_ms
	cfg.Kiosks = append(cfg.Kiosks,
		config.Kiosk{ID: "k2", Printer: "none", Buttons: []config.KioskButton{{Service: "social"}}},
		config.Kiosk{ID: "k3", Printer: "none"})
	ctx, o, l := startOffice(t, office.Opts{Config: cfg}, "qms/demo/kiosk/+/ticket", "qms/demo/errors")
	for _, k := range []string{"k1", "k2", "k3"} {
		for id, payload := range map[string]string{
			"q5": `{"service":"social","category":"bogus","id":"q5"}`,
			"q6": `{"service":"social","priority":true,"category":"bogus","id":"q6"}`,
		} {
			require.NoError(t, l.Publish("qms/demo/kiosk/"+k+"/press", []byte(payload), false))
			m, err := l.Wait(ctx, "qms/demo/kiosk/"+k+"/ticket", containing(`"press":"`+id+`"`))
			require.NoError(t, err, k)
			var res office.Result
			require.NoError(t, json.Unmarshal(m.Payload, &res))
			require.False(t, res.OK, "%s: %+v", k, res)
			require.Equal(t, "bad_request", res.Reason, "%s: %s", k, payload)
			require.Equal(t, `Такої пільгової категорії в цьому офісі немає: талон не видано. Будь ласка, зверніться до працівника офісу. / There is no such priority category at this office: no ticket was issued. Please ask a member of staff.`, res.Message)
		}
		m, err := l.Wait(ctx, "qms/demo/errors", containing(`"source":"kiosk/`+k+`","id":"q5"`))
		require.NoError(t, err, k)
		require.Contains(t, string(m.Payload), `"reason":"bad_request"`)
	}
	tks, err := o.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Empty(t, tks)
}

// Ukrainian says «у» rather than «в» after a consonant and before в or
// ф, on every weekday, this week's and next week's.
func TestWhenTextEuphony(t *testing.T) {
	monday := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	opens := []string{"в понеділок", "у вівторок", "в середу", "в четвер", "в пʼятницю", "в суботу", "в неділю"}
	available := []string{"у понеділок", "у вівторок", "у середу", "у четвер", "у пʼятницю", "у суботу", "у неділю"}
	next := []string{"в наступний понеділок", "в наступний вівторок", "в наступну середу", "в наступний четвер", "в наступну пʼятницю", "в наступну суботу", "в наступну неділю"}
	nextAvailable := []string{"у наступний понеділок", "у наступний вівторок", "у наступну середу", "у наступний четвер", "у наступну пʼятницю", "у наступну суботу", "у наступну неділю"}
	for i := range 7 {
		// This week's seen two days before, next week's from the day.
		at := monday.AddDate(0, 0, i)
		now, later := at.AddDate(0, 0, -2), at.AddDate(0, 0, 7)
		for _, tt := range []struct {
			at, now time.Time
			before  string
			want    string
		}{
			{at, now, "Відчиняємося", opens[i]},
			{at, now, "надаватимуть", available[i]},
			{later, at, "Відчиняємося", next[i]},
			{later, at, "надаватимуть", nextAvailable[i]},
		} {
			uk, _, _ := office.WhenText(tt.at, tt.now, tt.before)
			require.Equal(t, tt.want, uk, "%s %s (%s)", tt.before, tt.at.Weekday(), tt.now.Weekday())
		}
	}
}

// A press refused outside the hours says when to come back: the office's
// next opening, today's, tomorrow's or a weekday's, past holidays and
// across midnight, or the service's own when it keeps other hours; nothing
// when it never opens.
func TestKioskClosedSaysWhenItOpens(t *testing.T) {
	cfg := firmwareconfig.Default() // mon-thu 09:00-17:00, fri 09:00-16:00
	cfg.Kiosks[0].Printer = "none"
	cfg.Kiosks[0].PressesPerMinute = 6000
	cfg.Office.Holidays = []string{"2026-11-24"} // a Tuesday
	cfg.Service("pension").Hours = map[string]string{"wed": "11:00-14:00"}
	cfg.Service("employment").Hours = map[string]string{}
	kyiv := cfg.Location()
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 7, 30, 0, 0, kyiv)) // a Monday
	ctx, o, l := startOffice(t, office.Opts{Config: cfg, Now: clk.Now}, "qms/demo/kiosk/k1/ticket", "qms/demo/counter/+/ack")
	n := 0
	press := func(at time.Time, service string) office.Result {
		t.Helper()
		clk.Set(at)
		n++
		id := fmt.Sprintf("p%d", n)
		require.NoError(t, l.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"`+service+`","id":"`+id+`"}`), false))
		m, err := l.Wait(ctx, "qms/demo/kiosk/k1/ticket", containing(`"press":"`+id+`"`))
		require.NoError(t, err)
		var r office.Result
		require.NoError(t, json.Unmarshal(m.Payload, &r))
		require.False(t, r.OK, "%+v", r)
		require.Equal(t, "closed", r.Reason)
		return r
	}
	at := func(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, kyiv) }
	for _, tt := range []struct {
		at      time.Time
		service string
		want    string
	}{
		{at(23, 7, 30, 0), "social", "Офіс зараз зачинено. Відчиняємося сьогодні о 09:00. / The office is now closed. We open today at 09:00."},
		{at(23, 10, 0, 0), "pension", "Ця послуга зараз не надається. Її надаватимуть у середу з 11:00. / This service is not available right now. It will be available on Wednesday from 11:00."},
		{at(23, 10, 0, 0), "employment", "Ця послуга зараз не надається. / This service is not available right now."},
		{at(23, 17, 30, 0), "social", "Офіс зараз зачинено. Відчиняємося в середу о 09:00. / The office is now closed. We open on Wednesday at 09:00."},
		{at(25, 14, 30, 0), "pension", "Ця послуга зараз не надається. Її надаватимуть у наступну середу з 11:00. / This service is not available right now. It will be available next Wednesday from 11:00."},
		{at(26, 23, 59, 30), "social", "Офіс зараз зачинено. Відчиняємося завтра о 09:00. / The office is now closed. We open tomorrow at 09:00."},
		{at(27, 0, 0, 30), "social", "Офіс зараз зачинено. Відчиняємося сьогодні о 09:00. / The office is now closed. We open today at 09:00."},
		{at(28, 10, 0, 0), "social", "Офіс зараз зачинено. Відчиняємося в понеділок о 09:00. / The office is now closed. We open on Monday at 09:00."},
		{at(28, 10, 0, 0), "pension", "Офіс зараз зачинено. Цю послугу надаватимуть у середу з 11:00. / The office is now closed. This service will be available on Wednesday from 11:00."},
	} {
		require.Equal(t, tt.want, press(tt.at, tt.service).Message, "%s at %s", tt.service, tt.at.Format("Mon 02.01 15:04:05"))
	}

	// A counter whose services are all closed: its next calls nobody, and
	// says so, and when they open, rather than as if nobody waited.
	cmd := func(at time.Time, counter, cmd string) office.CounterAck {
		t.Helper()
		clk.Set(at)
		n++
		id := fmt.Sprintf("c%d", n)
		require.NoError(t, l.Publish("qms/demo/counter/"+counter+"/cmd", []byte(`{`+cmd+`,"id":"`+id+`"}`), false))
		m, err := l.Wait(ctx, "qms/demo/counter/"+counter+"/ack", containing(`"id":"`+id+`"`))
		require.NoError(t, err)
		var a office.CounterAck
		require.NoError(t, json.Unmarshal(m.Payload, &a))
		return a
	}
	a := cmd(at(30, 10, 0, 0), "10", `"action":"next"`) // pension only: Wednesday
	require.True(t, a.OK && a.OffHours, "%+v", a)
	require.Equal(t, "Послуги цього робочого місця зараз не надаються. Їх надаватимуть у середу з 11:00. / The services of this counter are not available now. They will be available on Wednesday from 11:00.", a.Message)
	a = cmd(at(30, 10, 0, 0), "2", `"action":"next"`) // open, nobody waits
	require.True(t, a.OK && !a.OffHours, "%+v", a)
	require.Equal(t, "Зараз немає кого викликати. / Nobody to call now.", a.Message, "a box shows it, rather than nothing")

	// A transfer to a closed service names it, and when it opens.
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.Equal(t, "А001", cmd(at(30, 10, 1, 0), "2", `"action":"next"`).Ticket)
	a = cmd(at(30, 10, 2, 0), "2", `"action":"transfer","to":"pension"`)
	require.Equal(t, "closed", a.Reason)
	require.Equal(t, "Послуга «Пенсійний фонд» зараз не надається. Її надаватимуть у середу з 11:00 / Pension Fund is not available now. It will be available on Wednesday from 11:00", a.Message)
}

// A ticket scanned once its service closed (sent home at the closing, or
// about to be) says that today's service is over and when it is given
// again, and prints no copy that tells its citizen to wait.
func TestKioskScanAfterClosing(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	// A machine on UTC (a fresh Raspberry Pi OS is on London's): the
	// office's hours are Kyiv's all the same.
	clk := queuetest.NewClock(time.Date(2026, 12, 9, 14, 50, 0, 0, kyiv).UTC()) // a Wednesday
	sc := startScanner(t)
	r := startKiosk(t, rigOpts{
		now:   clk.Now,
		kiosk: func(k *config.Kiosk) { k.Scanner = "serial:" + sc.Path() },
		config: func(c *config.Config) {
			for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
				c.Office.Hours[d] = "closed"
			}
			c.Office.Hours["wed"], c.Office.Hours["thu"] = "09:00-15:00", "09:00-15:00"
		},
	})
	res := r.prints(r.sp)
	url := fmt.Sprintf("https://cherga.local/t/demo/%d", res.ID)
	uk := "Талон " + res.Ticket + " уже недійсний: прийом на сьогодні завершено. Цю послугу надаватимуть завтра з 09:00."
	en := "Ticket " + res.Ticket + " is no longer valid: today's service has ended. This service will be available tomorrow from 09:00."
	clk.Set(time.Date(2026, 12, 9, 15, 0, 1, 0, kyiv).UTC())
	// Before the engine sends it home: a kiosk of buttons prints why.
	sr := r.scan(sc, url)
	require.False(t, sr.OK)
	require.Equal(t, "ended", sr.Reason)
	require.Equal(t, uk+" Пояснення надруковано. / "+en+" A note saying so has been printed.", sr.Message)
	require.NotContains(t, r.notice(r.sp).String(), "Очікування")
	// Sent home, as the engine writes next.
	require.NoError(t, r.o.Engine().Refused(r.ctx, "k1", "social", "closed"))
	require.Equal(t, queue.Expired, r.tickets()[0].State)
	sr = r.scan(sc, url)
	require.Equal(t, "ended", sr.Reason)
	require.Equal(t, uk+" / "+en, sr.Message, "the note was printed a moment ago")
}
