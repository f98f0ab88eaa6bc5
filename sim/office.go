package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/printer"
)

// OfficeOpts configures StartOffice.
type OfficeOpts struct {
	Config *config.Config
	// DB is the bbolt file of the simulated office.
	DB string
	// Listen is the embedded broker's address; "" picks a free port.
	Listen  string
	Version string
	Logger  *slog.Logger `yaml:"-"`
	// PrintRate is the pace of the virtual printers (PrinterOpts.PrintRate);
	// 0 prints each ticket the moment it arrives.
	PrintRate int
	// RenameSite starts on a state file that last ran as another site
	// (office.Opts.RenameSite).
	RenameSite bool
}

// Office is the whole office with virtual hardware: the real controller on
// an embedded broker, a pty printer per kiosk that has a printer, fake GPIO
// pins for every button and lamp, and a listener standing in for the
// boards, the kiosks' screens and the announcer.
type Office struct {
	*office.Office
	Pins *Pins
	// Printers are the kiosks' printers, by kiosk id: none for a screen
	// kiosk (printer: none).
	Printers map[string]*Printer
	// Scanners are the barcode scanners of the kiosks that print, by
	// kiosk id (Scan): a citizen holds up a ticket or a booking's code.
	// None where pseudo-terminals are not supported.
	Scanners map[string]*Scanner
	Bus      *Listener

	// run tells this run of the simulator from the others: a ticket's ID
	// carries it, so a page left open across a restart, whose N count
	// again from 1, shows the new run's tickets.
	run string

	mu      sync.Mutex
	tickets []PrintedTicket // newest first
	printed int
	onPrint []func(kiosk string, d printer.Doc)
	wg      sync.WaitGroup
}

// PrintedTicket is one ticket the virtual printers cut.
type PrintedTicket struct {
	// N numbers the tickets printed since the simulator started: it starts
	// again at 1 after a restart.
	N int `json:"n"`
	// ID is the simulator's run and N ("3f9c0a1b-1"), one ticket's own
	// across restarts; the page keys its picture on it, and shows it at
	// /ticket/ID.png, a URL no earlier run's ticket had.
	ID    string      `json:"id"`
	doc   printer.Doc // what was printed
	Kiosk string      `json:"kiosk"`
	Text  string      `json:"text"`
	Label string      `json:"label"`
	At    time.Time   `json:"at"`
}

// StartOffice starts the simulated office.
func StartOffice(ctx context.Context, opts OfficeOpts) (*Office, error) {
	cfg := opts.Config
	s := &Office{Pins: NewPins(), Printers: map[string]*Printer{}, Scanners: map[string]*Scanner{}, run: newRun()}
	specs, scanners := map[string]string{}, map[string]string{}
	for _, k := range cfg.Kiosks {
		if Screen(k) {
			continue // its presses are answered on its screen ({root}/kiosk/{id}/ticket)
		}
		prof, err := firmwareconfig.PrinterProfile(k.Profile, opts.Config.PrinterProfiles)
		if err != nil {
			s.closePrinters()
			return nil, err
		}
		p, err := StartPrinter(&PrinterOpts{Profile: prof, PrintRate: opts.PrintRate})
		if err != nil {
			s.closePrinters()
			return nil, err
		}
		s.Printers[k.ID] = p
		specs[k.ID] = "serial:" + p.Path()
		sc, err := StartScanner(nil)
		switch {
		case errors.Is(err, errors.ErrUnsupported):
		case err != nil:
			s.closePrinters()
			return nil, err
		default:
			s.Scanners[k.ID] = sc
			scanners[k.ID] = "serial:" + sc.Path()
		}
	}
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	o, err := office.Start(ctx, office.Opts{
		Config:     cfg,
		Printers:   specs,
		Scanners:   scanners,
		DB:         opts.DB,
		Broker:     "embedded",
		Listen:     listen,
		Version:    opts.Version,
		Pin:        s.Pins.Open,
		Logger:     opts.Logger,
		RenameSite: opts.RenameSite,
	})
	if err != nil {
		s.closePrinters()
		return nil, err
	}
	s.Office = o
	if s.Bus, err = Listen(o.BrokerURL(), cfg.Root()+"/#"); err != nil {
		s.Close()
		return nil, err
	}
	for id, p := range s.Printers {
		s.wg.Add(1)
		go s.collect(id, p)
	}
	return s, nil
}

// Screen reports whether k is a screen kiosk, with no printer (printer:
// none, the default): it shows the number it issues on its screen.
func Screen(k config.Kiosk) bool {
	p := strings.TrimSpace(k.Printer)
	return p == "" || p == "none"
}

// Buttons are the buttons the simulator offers at kiosk k: its own, or,
// for a kiosk without any (a screen that offers every service, pressed
// over MQTT), one for each service, without a pin.
func Buttons(cfg *config.Config, k config.Kiosk) []config.KioskButton {
	if len(k.Buttons) > 0 {
		return k.Buttons
	}
	bs := make([]config.KioskButton, len(cfg.Services))
	for i, svc := range cfg.Services {
		bs[i].Service = svc.ID
	}
	return bs
}

// ButtonPriority is what ticket b gives at a short press: "" an ordinary
// one, "priority" a priority one, or the priority category it gives.
func ButtonPriority(b config.KioskButton) string {
	switch {
	case b.Category != "":
		return b.Category
	case b.Priority:
		return "priority"
	}
	return ""
}

// SetPrinterFault causes a fault at a kiosk's printer, or clears its
// faults (FaultNone), as a person at the printer would.
func (s *Office) SetPrinterFault(kiosk string, f Fault) error {
	p, ok := s.Printers[kiosk]
	switch {
	case ok:
		p.SetFault(f)
		return nil
	case s.Config().Kiosk(kiosk) != nil:
		return fmt.Errorf("sim: kiosk %s has no printer (a screen kiosk)", kiosk)
	}
	return fmt.Errorf("sim: no kiosk %q", kiosk)
}

// OnPrint calls f for every ticket a virtual printer cuts from now on.
func (s *Office) OnPrint(f func(kiosk string, d printer.Doc)) {
	s.mu.Lock()
	s.onPrint = append(s.onPrint, f)
	s.mu.Unlock()
}

func (s *Office) collect(kiosk string, p *Printer) {
	defer s.wg.Done()
	for d := range p.Printed() {
		s.mu.Lock()
		s.printed++
		t := PrintedTicket{N: s.printed, ID: s.run + "-" + strconv.Itoa(s.printed), doc: d, Kiosk: kiosk, Text: d.String(), Label: bigLine(d), At: time.Now()}
		s.tickets = append([]PrintedTicket{t}, s.tickets...)
		if len(s.tickets) > 20 {
			s.tickets = s.tickets[:20]
		}
		hooks := append([]func(string, printer.Doc){}, s.onPrint...)
		s.mu.Unlock()
		for _, f := range hooks {
			f(kiosk, d)
		}
	}
}

// bigLine is the ticket number: the line printed larger than the rest.
func bigLine(d printer.Doc) string {
	for _, l := range d.Lines {
		if l.Width >= 2 && strings.TrimSpace(l.Text) != "" {
			return strings.TrimSpace(l.Text)
		}
	}
	return ""
}

// Press presses a kiosk's button for a service: its GPIO pin when it has
// one, else the kiosk's MQTT topic, as a remote kiosk would.
func (s *Office) Press(kiosk, service string) error { return s.pressService(kiosk, service, false) }

// LongPress holds a kiosk's button for a service down for a priority
// ticket: as Press, its pin held for the kiosk's long_press_ms, or its
// press sent with "priority":true. The kiosk refuses it when it gives no
// priority tickets (no long_press_ms, no priority button).
func (s *Office) LongPress(kiosk, service string) error { return s.pressService(kiosk, service, true) }

func (s *Office) pressService(kiosk, service string, long bool) error {
	k, b, err := s.serviceButton(kiosk, service)
	if err != nil {
		return err
	}
	return s.push(k, b, long, "")
}

// serviceButton is the button a press for service at kiosk presses: the
// first GPIO button of the service, else one over MQTT.
func (s *Office) serviceButton(kiosk, service string) (*config.Kiosk, config.KioskButton, error) {
	k := s.Config().Kiosk(kiosk)
	if k == nil {
		return nil, config.KioskButton{}, fmt.Errorf("sim: no kiosk %q", kiosk)
	}
	for _, b := range k.Buttons {
		if b.Service == service && b.Pin != "" {
			return k, b, nil
		}
	}
	if s.Config().Service(service) == nil {
		return nil, config.KioskButton{}, fmt.Errorf("sim: no service %q (the office's: %s)", service, strings.Join(s.Config().ServiceIDs(), ", "))
	}
	return k, config.KioskButton{Service: service}, nil
}

// kioskButton is button i of kiosk (counting from 0), with the service
// it has now (config.set may have changed it).
func (s *Office) kioskButton(kiosk string, i int) (*config.Kiosk, config.KioskButton, error) {
	k := s.Config().Kiosk(kiosk)
	if k == nil {
		return nil, config.KioskButton{}, fmt.Errorf("sim: no kiosk %q", kiosk)
	}
	bs := Buttons(s.Config(), *k)
	if i < 0 || i >= len(bs) {
		return nil, config.KioskButton{}, fmt.Errorf("sim: kiosk %s has no button %d", kiosk, i+1)
	}
	return k, bs[i], nil
}

// answerWait is how long PressAnswer and CounterAnswer wait for the
// controller's answer.
const answerWait = 5 * time.Second

// askSeq numbers the presses and commands that wait for their answer.
var askSeq atomic.Int64

// askID is the id of a press or command that waits for its answer: this
// process's own, as another simulator on the broker may count too.
func askID() string { return fmt.Sprintf("sim-%d-%d", os.Getpid(), askSeq.Add(1)) }

// PressAnswer presses a kiosk's button for service, as Press (long: as
// LongPress), and returns the kiosk's answer ({root}/kiosk/{k}/ticket):
// the ticket, or why none was given. A press over MQTT is matched by its
// id; a GPIO button's carries none, and the kiosk's next answer for its
// service is taken (two presses of one button at once may swap answers).
func (s *Office) PressAnswer(ctx context.Context, kiosk, service string, long bool) (json.RawMessage, error) {
	k, b, err := s.serviceButton(kiosk, service)
	if err != nil {
		return nil, err
	}
	return s.pressAnswer(ctx, k, b, long)
}

// PressButtonAnswer presses button i of a kiosk (counting from 0), as
// PressButton, and returns the kiosk's answer, as PressAnswer: a button
// of a priority category, say, beside the service's ordinary one.
func (s *Office) PressButtonAnswer(ctx context.Context, kiosk string, i int, long bool) (json.RawMessage, error) {
	k, b, err := s.kioskButton(kiosk, i)
	if err != nil {
		return nil, err
	}
	return s.pressAnswer(ctx, k, b, long)
}

// pressAnswer pushes button b of kiosk k and waits for the answer: by the
// id a press over MQTT carries, or, of a GPIO button's press, which
// carries none, the kiosk's next answer for its service.
func (s *Office) pressAnswer(ctx context.Context, k *config.Kiosk, b config.KioskButton, long bool) (json.RawMessage, error) {
	id := askID()
	topic := bus.KioskTicket(s.Config().Root(), k.ID)
	mark := s.Bus.Mark()
	if err := s.push(k, b, long, id); err != nil {
		return nil, err
	}
	return s.answer(ctx, mark, topic, func(a map[string]any) bool {
		press, ok := a["press"].(string)
		return press == id || b.Pin != "" && !ok && a["service"] == b.Service
	})
}

// CounterAnswer presses a counter's button, as Counter, and returns the
// controller's acknowledgement ({root}/counter/{c}/ack). args are the
// command's other members: "to" and "to_counter" of a transfer, "ticket"
// of a call by label.
func (s *Office) CounterAnswer(ctx context.Context, counter, action string, args map[string]string) (json.RawMessage, error) {
	id := askID()
	topic := bus.CounterAck(s.Config().Root(), counter)
	mark := s.Bus.Mark()
	cmd := maps.Clone(args)
	if cmd == nil {
		cmd = map[string]string{}
	}
	cmd["action"], cmd["id"] = action, id
	if err := s.counterCmd(counter, cmd); err != nil {
		return nil, err
	}
	return s.answer(ctx, mark, topic, func(a map[string]any) bool { return a["id"] == id })
}

// ScanAnswer holds code up to kiosk's scanner (a ticket's QR code, a
// booking's code) and returns the kiosk's answer ({root}/kiosk/{id}/scan).
func (s *Office) ScanAnswer(ctx context.Context, kiosk, code string) (json.RawMessage, error) {
	sc := s.Scanners[kiosk]
	if sc == nil {
		return nil, fmt.Errorf("sim: kiosk %q has no scanner (a screen kiosk, or no pseudo-terminals here)", kiosk)
	}
	if code == "" || strings.ContainsAny(code, "\r\n") {
		return nil, fmt.Errorf("sim: a code is one line of text, got %q", code)
	}
	topic := bus.KioskScan(s.Config().Root(), kiosk)
	mark := s.Bus.Mark()
	if err := sc.Scan(code); err != nil {
		return nil, err
	}
	// As the kiosk read it: trimmed, a booking's code in capitals
	// without its dashes.
	read := map[any]bool{strings.TrimSpace(code): true, device.CanonCode(code): true}
	return s.answer(ctx, mark, topic, func(a map[string]any) bool { return read[a["code"]] })
}

// answer waits for the message on topic, received after mark, that match
// takes.
func (s *Office) answer(ctx context.Context, mark int, topic string, match func(map[string]any) bool) (json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, answerWait)
	defer cancel()
	m, err := s.Bus.WaitAfter(ctx, mark, topic, func(m Message) bool {
		var a map[string]any
		return json.Unmarshal(m.Payload, &a) == nil && match(a)
	})
	if err != nil {
		return nil, fmt.Errorf("%w within %v on %s", errNoAnswer, answerWait, topic)
	}
	return m.Payload, nil
}

// errNoAnswer is a press or command the controller did not answer.
var errNoAnswer = errors.New("sim: the controller did not answer")

// PressButton presses button i of a kiosk (counting from 0): its GPIO pin
// when it has one, else the kiosk's MQTT topic with the service the button
// has now (config.set may have changed it). long holds it down for a
// priority ticket, as LongPress.
func (s *Office) PressButton(kiosk string, i int, long bool) error {
	k, b, err := s.kioskButton(kiosk, i)
	if err != nil {
		return err
	}
	return s.push(k, b, long, "")
}

// push presses button b of kiosk k, long or short: a finger on its pin,
// held for the kiosk's long_press_ms and a little more for a long press
// (the press returns once it is released), or its press over MQTT.
func (s *Office) push(k *config.Kiosk, b config.KioskButton, long bool, id string) error {
	if b.Pin != "" {
		hold := 60 * time.Millisecond
		switch {
		case long && k.LongPressMS > 0:
			hold = time.Duration(k.LongPressMS)*time.Millisecond + 200*time.Millisecond
		case long && !b.Priority && b.Category == "":
			// Held down all the same, it gives an ordinary ticket.
			return fmt.Errorf("sim: kiosk %s gives no priority ticket by a long press (no long_press_ms)", k.ID)
		}
		return s.Pins.Press(b.Pin, hold)
	}
	// A priority button asks for a priority ticket however it is pressed.
	press := map[string]any{"service": b.Service}
	if long || b.Priority || b.Category != "" {
		press["priority"] = true
	}
	if b.Category != "" {
		press["category"] = b.Category
	}
	if id != "" {
		press["id"] = id
	}
	return s.Bus.Publish(bus.KioskPress(s.Config().Root(), k.ID), mustJSON(press), false)
}

// Counter presses a counter's button (over MQTT, as its button box does);
// to is the service of a transfer.
func (s *Office) Counter(counter, action, to string) error {
	return s.counterCmd(counter, map[string]string{"action": action, "to": to})
}

// Transfer sends a counter's ticket to service to, held for counter
// toCounter when it is not "".
func (s *Office) Transfer(counter, to, toCounter string) error {
	return s.counterCmd(counter, map[string]string{"action": "transfer", "to": to, "to_counter": toCounter})
}

// counterCmd publishes cmd, without its empty members, on the counter's
// command topic.
func (s *Office) counterCmd(counter string, cmd map[string]string) error {
	if s.Config().Counter(counter) == nil {
		return fmt.Errorf("sim: no counter %q", counter)
	}
	maps.DeleteFunc(cmd, func(_, v string) bool { return v == "" })
	return s.Bus.Publish(bus.CounterCmd(s.Config().Root(), counter), mustJSON(cmd), false)
}

// AirRaid pauses the whole office for an air-raid alert (on) or resumes it,
// as an administrator does with office.pause and office.resume.
func (s *Office) AirRaid(ctx context.Context, on bool) error {
	req := office.AdminRequest{ID: "sim", Op: "office.resume"}
	if on {
		req.Op, req.Args = "office.pause", json.RawMessage(`{"reason":"повітряна тривога","alert":true}`)
	}
	if res := s.Admin(ctx, req); res.Error != nil {
		return res.Error
	}
	return nil
}

// ToggleAlert ends an air-raid alert, or begins one: in an office at
// work, or paused for something else (a meeting's pause becomes the
// alert).
func (s *Office) ToggleAlert(ctx context.Context) error {
	ps, err := s.Engine().Pauses(ctx)
	if err != nil {
		return err
	}
	p, paused := ps[""]
	return s.AirRaid(ctx, !paused || !p.IsAlert())
}

// State is what the simulator's page shows.
type State struct {
	Site     string            `json:"site"`
	Office   string            `json:"office"`
	Broker   string            `json:"broker"`
	Services []ServiceState    `json:"services"`
	Counters []json.RawMessage `json:"counters"`
	Hall     json.RawMessage   `json:"hall"`
	Kiosks   []KioskState      `json:"kiosks"`
	Announce []json.RawMessage `json:"announce"` // newest first
	// Announcers are the voice announcers' presence
	// ({root}/announcer/{id}, audio.Presence), by topic: a
	// cherga-announcer run on this office says it runs, or why it does
	// not say the calls.
	Announcers []json.RawMessage `json:"announcers"`
	Tickets    []PrintedTicket   `json:"tickets"` // newest first
	Errors     []json.RawMessage `json:"errors"`  // newest first
	// Load is the office's {root}/load: its totals, and whether an
	// administrator paused it.
	Load json.RawMessage `json:"load"`
	// KioskResults are what the latest presses gave ({root}/kiosk/+/ticket),
	// newest first: a refusal says why no ticket came.
	KioskResults []json.RawMessage `json:"kiosk_results"`
	// Kinds are the counters' kinds ("window", "cabinet"), in their order.
	Kinds []string `json:"kinds"`
	// BoardTexts are what each counter's plain-text board shows
	// (display.Board.Text), in their order: a closed board's word
	// («Зачинено», «Перерва», «Тривога») is the controller's to choose.
	BoardTexts []string `json:"board_texts"`
	// CounterStates are the counters as their button boxes see them
	// ({root}/counter/{counter}/state), in their order: the ticket at
	// each, which a board closed for a pause does not show.
	CounterStates []json.RawMessage `json:"counter_states"`
}

// ServiceState is one service with its published queue figures.
type ServiceState struct {
	ID     string          `json:"id"`
	Name   string          `json:"name"`
	Prefix string          `json:"prefix"`
	Queue  json.RawMessage `json:"queue"`
	// Wait is the queue's estimated wait in words, Ukrainian / English,
	// as the ticket says it (printer.WaitText), or that no counter is open
	// to tell it.
	Wait string `json:"wait"`
}

// KioskState is one kiosk: its buttons, their lamps, its printer's
// published status, and what its last press gave.
type KioskState struct {
	ID       string   `json:"id"`
	Services []string `json:"services"`
	// Lamps are the buttons' lamps, in the order of Services: lit or
	// dark, null for a button without one.
	Lamps []*bool `json:"lamps"`
	// Priority says, in the order of Services, what ticket a button gives
	// at a short press: "" an ordinary one, "priority" a priority one, or
	// the priority category it gives.
	Priority []string        `json:"priority"`
	Printer  json.RawMessage `json:"printer"`
	// Screen: the kiosk has no printer and shows what a press gave on its
	// screen (Answer).
	Screen bool `json:"screen,omitempty"`
	// Faults are those set at its simulated printer (SetPrinterFault);
	// empty for a healthy one, null for a screen kiosk.
	Faults []Fault `json:"faults"`
	// Answer is the kiosk's last answer to a press
	// ({root}/kiosk/{id}/ticket): the ticket, or why none came.
	Answer json.RawMessage `json:"answer"`
	// Scanner: the kiosk has a barcode scanner (ScanAnswer); Scan is its
	// last answer to a code held up ({root}/kiosk/{id}/scan).
	Scanner bool            `json:"scanner,omitempty"`
	Scan    json.RawMessage `json:"scan"`
}

// State reads the office as its boards see it: from the retained topics.
func (s *Office) State() State {
	root := s.Config().Root()
	raw := func(topic string) json.RawMessage {
		if m, ok := s.Bus.Last(topic); ok && json.Valid(m.Payload) {
			return m.Payload
		}
		return json.RawMessage("null")
	}
	st := State{Site: s.Config().Site, Office: s.Config().Office.Name, Broker: s.BrokerURL(), Hall: raw(bus.Hall(root))}
	for _, svc := range s.Config().Services {
		q := raw(bus.Queue(root, svc.ID))
		st.Services = append(st.Services, ServiceState{ID: svc.ID, Name: svc.Name, Prefix: svc.Prefix, Queue: q, Wait: waitWords(s.Config(), svc.ID, q)})
	}
	for _, c := range s.Config().Counters {
		board := raw(bus.Board(root, c.ID))
		var b display.Board
		text := ""
		if json.Unmarshal(board, &b) == nil && b.State != "" {
			text = b.Text()
		}
		st.Counters = append(st.Counters, board)
		st.Kinds = append(st.Kinds, c.Kind)
		st.BoardTexts = append(st.BoardTexts, text)
		st.CounterStates = append(st.CounterStates, raw(bus.BoxState(root, c.ID)))
	}
	for _, k := range s.Config().Kiosks {
		ks := KioskState{ID: k.ID, Services: []string{}, Lamps: []*bool{}, Priority: []string{}, Printer: raw(bus.Printer(root, k.ID)), Screen: Screen(k), Answer: raw(bus.KioskTicket(root, k.ID)),
			Scanner: s.Scanners[k.ID] != nil, Scan: raw(bus.KioskScan(root, k.ID))}
		for _, b := range Buttons(s.Config(), k) {
			ks.Services = append(ks.Services, b.Service)
			var lit *bool
			if on, ok := s.Pins.Level(b.Lamp); b.Lamp != "" && ok {
				lit = &on
			}
			ks.Lamps = append(ks.Lamps, lit)
			ks.Priority = append(ks.Priority, ButtonPriority(b))
		}
		if p, ok := s.Printers[k.ID]; ok {
			ks.Faults = p.Faults()
		}
		st.Kiosks = append(st.Kiosks, ks)
	}
	st.Announce = newestCalls(s.Bus.Messages(bus.Announce(root)), 12)
	latest := map[string]json.RawMessage{} // an empty message clears one
	for _, m := range s.Bus.Messages(bus.Announcer(root, "")) {
		latest[m.Topic] = m.Payload
	}
	st.Announcers = []json.RawMessage{}
	for _, topic := range slices.Sorted(maps.Keys(latest)) {
		if p := latest[topic]; json.Valid(p) {
			st.Announcers = append(st.Announcers, p)
		}
	}
	st.Errors = newest(s.Bus.Messages(bus.Errors(root)), 5)
	st.Load = raw(bus.Load(root))
	st.KioskResults = newest(s.Bus.Messages(root+"/kiosk/"), 40)
	st.KioskResults = slices.DeleteFunc(st.KioskResults, func(m json.RawMessage) bool { return !json.Valid(m) || !strings.Contains(string(m), `"ok":`) })
	if len(st.KioskResults) > 3 {
		st.KioskResults = st.KioskResults[:3]
	}
	s.mu.Lock()
	st.Tickets = append([]PrintedTicket{}, s.tickets...)
	s.mu.Unlock()
	return st
}

// waitWords is the estimated wait of the service's figures (queue) in
// words, as its ticket says it; with no counter open to tell it, that no
// window is open, or no room where all of the service's counters are
// cabinets.
func waitWords(cfg *config.Config, service string, queue json.RawMessage) string {
	var q *struct {
		ETAMin *int `json:"eta_min"`
	}
	if json.Unmarshal(queue, &q) != nil || q == nil {
		return "" // no figures yet
	}
	if q.ETAMin != nil {
		uk, en := printer.WaitText(time.Duration(*q.ETAMin) * time.Minute)
		return uk + " / " + en
	}
	rooms := false
	for _, c := range cfg.Counters {
		if slices.Contains(c.Services, service) {
			if c.Kind != "cabinet" {
				return "жодне вікно не відкрите / no counter open"
			}
			rooms = true
		}
	}
	if rooms {
		return "жоден кабінет не відкритий / no room open"
	}
	return "жодне вікно не відкрите / no counter open"
}

func newest(msgs []Message, n int) []json.RawMessage {
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].At.After(msgs[j].At) })
	return firstValid(msgs, n)
}

// newestCalls is the last n announcements, the newest call first and each
// call's languages in the order the controller sent them (Ukrainian first):
// they arrive a moment apart, and newest first would put English on top.
func newestCalls(msgs []Message, n int) []json.RawMessage {
	type keyed struct {
		first int // the order of its call's first announcement
		m     Message
	}
	firsts := map[string]int{} // a call's id → the order of its first announcement
	ks := make([]keyed, len(msgs))
	for i, m := range msgs {
		var a struct{ ID string }
		_ = json.Unmarshal(m.Payload, &a)
		if _, ok := firsts[a.ID]; !ok || a.ID == "" {
			firsts[a.ID] = i
		}
		ks[i] = keyed{firsts[a.ID], m}
	}
	// Newest call first; within a call, as sent.
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].first > ks[j].first })
	for i := range ks {
		msgs[i] = ks[i].m
	}
	return firstValid(msgs, n)
}

// firstValid is the payloads of the first n messages that are JSON.
func firstValid(msgs []Message, n int) []json.RawMessage {
	out := []json.RawMessage{}
	for _, m := range msgs {
		if len(out) == n {
			break
		}
		if json.Valid(m.Payload) {
			out = append(out, m.Payload)
		}
	}
	return out
}

// TicketPNG is the picture of printed ticket id (PrintedTicket.ID; a bare
// N is this run's ticket N), as its printer's paper. A ticket of another
// run is not found.
func (s *Office) TicketPNG(id string) ([]byte, error) {
	s.mu.Lock()
	var t *PrintedTicket
	for i := range s.tickets {
		if s.tickets[i].ID == id || strconv.Itoa(s.tickets[i].N) == id {
			t = &s.tickets[i]
		}
	}
	s.mu.Unlock()
	if t == nil {
		return nil, fmt.Errorf("sim: no printed ticket %s in this run (the latest 20 are kept)", id)
	}
	return s.Printers[t.Kiosk].RenderPNG(t.doc)
}

// newRun is a run id: 8 random hex digits.
func newRun() string {
	var b [4]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Close stops the office and the virtual hardware.
func (s *Office) Close() error {
	var errs []error
	if s.Bus != nil {
		s.Bus.Close()
	}
	if s.Office != nil {
		errs = append(errs, s.Office.Close())
	}
	s.closePrinters()
	s.wg.Wait()
	return errors.Join(errs...)
}

func (s *Office) closePrinters() {
	for _, p := range s.Printers {
		p.Close()
	}
	for _, sc := range s.Scanners {
		sc.Close()
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
