// Command cherga-sim runs the whole office on one machine with no hardware:
// the real controller on an embedded MQTT broker (on a free port), a virtual
// ticket printer on a pseudo-terminal for each kiosk with a printer (a
// screen kiosk, printer: none, has none), virtual buttons and lamps, and a
// web page that shows each kiosk, the counter boards, the hall board and
// the voice, and sets printer faults.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/display"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/sim"
)

var version = "dev"

func main() {
	var (
		httpAddr = flag.String("http", "127.0.0.1:8080", "`address` of the web page (a taken port falls back to a free one)")
		cfgPath  = flag.String("config", "", "office configuration `file` (default: the built-in office, open round the clock)")
		db       = flag.String("db", "cherga-sim.db", "bbolt state `file`")
		listen   = flag.String("listen", "", "`address` of the embedded MQTT broker (port 0: a free one; default: 127.0.0.1:1883, or 127.0.0.1:11883 when that is taken, or a free one)")
		verbose  = flag.Bool("v", false, "log debug messages")
		rename   = flag.Bool("rename-site", false, "start on a state file that last ran as another site (the built-in office's demo, say): without it such a file is refused")
		rate     = flag.Int("print-rate", 0, "`bytes` a second the virtual printers print, from a buffer as a USB printer does (700: a ticket in about half a second, as an Epson TM-T20); 0: at once")
		showVer  = flag.Bool("version", false, "print the version and exit")
	)
	flag.Parse()
	if *showVer {
		fmt.Println("cherga-sim", version)
		return
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	if !*verbose {
		handler = quieter{handler} // the terminal says it already (tell)
	}
	log := slog.New(handler)

	var cfg *config.Config
	var err error
	if *cfgPath == "" {
		cfg, err = firmwareconfig.Example("round-the-clock")
	} else {
		cfg, err = config.Load(*cfgPath)
	}
	if err != nil {
		fail(err)
	}
	if note := brokerNote(cfg); note != "" {
		fmt.Println(note)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *listen == "" {
		*listen = freeAddr(brokerAddrs...)
	}
	s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: *db, Listen: *listen, Version: version, Logger: log, PrintRate: *rate, RenameSite: *rename})
	if err != nil {
		fail(err)
	}
	defer s.Close()
	s.OnPrint(func(kiosk string, d printer.Doc) { fmt.Print(ticketBox(kiosk, d)) })
	s.Bus.OnMessage(func(m sim.Message) { tell(s.Config(), m) })

	ln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			fail(err)
		}
		fmt.Printf("cherga-sim: %s is taken; the page is on a free port instead\n", *httpAddr)
	}
	// A host name in -http is one the page answers at, as localhost is.
	host, _, _ := net.SplitHostPort(*httpAddr)
	srv := &http.Server{Handler: s.Handler(host), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	page := "http://" + ln.Addr().String()
	printIntro(s, page, firstKiosk(cfg))
	go commands(ctx, s, os.Stdin, page, stop)
	<-ctx.Done()
	fmt.Println("\ncherga-sim: stopping")
}

// brokerNote says that the file's broker is not used: the simulated
// office runs its own embedded broker. "" for a file without one.
func brokerNote(cfg *config.Config) string {
	if u := cfg.Broker.URL; u != "" && u != "embedded" {
		return "cherga-sim: the simulated office runs its own embedded broker; the file's broker.url (" + config.RedactURL(u) + ") is not used (cherga runs an office on it)"
	}
	return ""
}

// brokerAddrs are where the embedded broker listens unless -listen says:
// the first one free of MQTT's own port (where chergactl and the devices
// look by default) and one of the simulator's own for when another broker
// has that (a Mosquitto), so that the export line the banner prints stays
// good when the simulator is started again; else a free port.
var brokerAddrs = []string{"127.0.0.1:1883", "127.0.0.1:11883"}

// freeAddr is the first of addrs that can be listened on now, else
// 127.0.0.1:0 (a free port).
func freeAddr(addrs ...string) string {
	for _, a := range addrs {
		if ln, err := net.Listen("tcp", a); err == nil {
			ln.Close()
			return a
		}
	}
	return "127.0.0.1:0"
}

// printIntro says where everything is and what to type; the number keys
// press the buttons of kiosk.
func printIntro(s *sim.Office, page, kiosk string) {
	cfg := s.Config()
	root := cfg.Root()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(s.BrokerURL(), "tcp://"))
	fmt.Printf("\ncherga-sim: the simulated office «%s» is running\n\n", cfg.Office.Name)
	fmt.Printf("  web page     %s\n", page)
	fmt.Printf("  MQTT broker  %s   (topics under %s/)\n", s.BrokerURL(), root)
	for _, k := range cfg.Kiosks {
		if p, ok := s.Printers[k.ID]; ok {
			fmt.Printf("  printer %-4s %s   (simulated %s)\n", k.ID, p.Path(), k.Profile)
		} else {
			fmt.Printf("  printer %-4s none   (a screen kiosk: the number it gives is shown below and on the page)\n", k.ID)
		}
	}
	fmt.Printf("  state        %s\n\n", s.Engine().Path())
	if k := cfg.Kiosk(kiosk); k != nil {
		got := "the ticket is printed below"
		if sim.Screen(*k) {
			got = "its screen's answer is shown below"
		}
		if len(cfg.Kiosks) == 1 {
			fmt.Printf("Press a kiosk button: type its number and Enter; %s.\n", got)
		} else {
			fmt.Printf("Press a button of kiosk %s: type its number and Enter; %s. Another kiosk: k ID (%s).\n", k.ID, got, kioskIDs(cfg))
		}
		listButtons(os.Stdout, cfg, *k)
	}
	if k := cfg.Kiosk(kiosk); k != nil && len(k.Buttons) > 0 && k.LongPressMS > 0 {
		fmt.Println("Hold a button down for a priority ticket: l NUMBER (l 1).")
	}
	fmt.Println("Call the next citizen at a counter: n COUNTER (n 1).  Also: r (recall), c (came: serving), x (no-show), d (done), p/u (pause/resume) COUNTER;")
	fmt.Println("t COUNTER SERVICE [TO_COUNTER] (transfer the counter's ticket: t 1 pension);")
	fmt.Println("a (air-raid alert: pause the office; a again: all clear); s (state); h (help); q (quit).")
	if len(s.Printers) > 0 {
		fmt.Printf("A printer fault: f FAULT [KIOSK] (%s; normal clears them).\n", faultNames())
		fmt.Printf("A code held up to the kiosk's scanner: b CODE [KIOSK] (a booking's: chergactl appointment.book).\n")
	}
	fmt.Printf("From another terminal:\n  mosquitto_pub -h %s -p %s -t %s/kiosk/k1/press -m '{\"service\":\"social\"}'\n", host, port, root)
	fmt.Printf("  mosquitto_sub -h %s -p %s -t '%s/#' -v\n", host, port, root)
	// chergactl and the announcer default to 1883, which is not this
	// broker (nor, maybe, this office's).
	fmt.Printf("The administrator's tool and the voice announcer, on this office:\n  export CHERGA_BROKER=%s CHERGA_SITE=%s\n", s.BrokerURL(), cfg.Site)
	fmt.Printf("  ./bin/chergactl office.state\n  ./bin/cherga-announcer -out /tmp/cherga-calls   (each call a WAV file; without -out, aloud through aplay)\n\n")
	if ps, err := s.Engine().Pauses(context.Background()); err == nil {
		if p, ok := ps[""]; ok {
			since := p.Since.In(cfg.Location()).Format("02.01 15:04")
			fmt.Printf("⚠ %s (a: all clear)\n\n", office.WithReason("Прийом призупинено з "+since, "The office has been paused since "+since, p.Reason))
		}
	}
}

// firstKiosk is the kiosk whose buttons the number keys press at the
// start: the first one.
func firstKiosk(cfg *config.Config) string {
	if len(cfg.Kiosks) == 0 {
		return ""
	}
	return cfg.Kiosks[0].ID
}

func kioskIDs(cfg *config.Config) string {
	ids := make([]string, len(cfg.Kiosks))
	for i, k := range cfg.Kiosks {
		ids[i] = k.ID
	}
	return strings.Join(ids, ", ")
}

// faultNames are the faults f causes, but normal.
func faultNames() string {
	var names []string
	for _, f := range sim.Faults {
		if f != sim.FaultNone {
			names = append(names, string(f))
		}
	}
	return strings.Join(names, ", ")
}

// printState shows the queues and the counters' boards.
func printState(st sim.State) {
	for _, svc := range st.Services {
		var q struct {
			Waiting    int       `json:"waiting"`
			LastCalled string    `json:"last_called"`
			Paused     bool      `json:"paused"`
			Reason     string    `json:"reason"`
			Refused    string    `json:"refused"`
			Opens      time.Time `json:"opens"`
		}
		_ = json.Unmarshal(svc.Queue, &q)
		fmt.Printf("  %-2s %-24s чекають / waiting %d, %s, останній / last %s%s\n", svc.Prefix, svc.Name, q.Waiting, svc.Wait, or(q.LastCalled, "—"), refusedText(q.Refused, q.Paused, q.Reason, q.Opens))
	}
	for i, raw := range st.Counters {
		var b display.Board
		if json.Unmarshal(raw, &b) != nil || b.Counter == "" {
			continue
		}
		kind := "вікно"
		if i < len(st.Kinds) && st.Kinds[i] == "cabinet" {
			kind = "кабінет"
		}
		state, ticket := stateText[b.State], b.Ticket
		// The counter's box has who is at it: a call the board shows as
		// served once its blink is over, a citizen at a closed counter.
		var box struct{ Ticket, State string }
		atBox := i < len(st.CounterStates) && json.Unmarshal(st.CounterStates[i], &box) == nil && box.Ticket != ""
		boxState := map[string]string{"called": "виклик", "serving": "прийом"}[box.State]
		switch {
		case b.State == display.Closed:
			state = strings.ToLower(b.Text()) // зачинено, перерва or тривога, as the board says
			if atBox {
				ticket = box.Ticket + " (" + boxState + ")"
			}
		case atBox && boxState != "":
			state = boxState
		}
		fmt.Printf("  %s %-3s %-9s %s\n", kind, b.Counter, state, ticket)
	}
}

// refusedText says why the kiosks give no ticket of a service now (its
// figures' paused, with the administrator's reason, and refused), in the
// web page's words, "" while they do.
func refusedText(refused string, paused bool, reason string, opens time.Time) string {
	if paused {
		return "  (" + office.WithReason("призупинено", "paused", reason) + ")"
	}
	if refused == "" {
		return ""
	}
	why := map[string]string{
		"closed":    "зачинено / closed",
		"clock":     "годинник не налаштовано / clock not set",
		"daily_cap": "ліміт на день / daily cap",
		"full":      "не встигнуть прийняти / would not be served today",
	}[refused]
	if why == "" {
		why = refused
	}
	if refused == "closed" && !opens.IsZero() {
		why = fmt.Sprintf("зачинено до %s / closed until %[1]s", opens.Format("02.01 15:04"))
	}
	return "  (талони не видаються / no tickets: " + why + ")"
}

// stateText is how the terminal shows a board's state, in Ukrainian; a
// closed one says why, as its board does.
var stateText = map[display.State]string{display.Idle: "вільно", display.Calling: "виклик", display.Serving: "прийом"}

func or(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// quieter drops the log records the terminal shows in its own words.
type quieter struct{ slog.Handler }

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "office: input refused" {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler { return quieter{q.Handler.WithAttrs(as)} }
func (q quieter) WithGroup(n string) slog.Handler       { return quieter{q.Handler.WithGroup(n)} }

// commands reads the terminal (in): the keyboard is the office's buttons.
func commands(ctx context.Context, s *sim.Office, in io.Reader, page string, stop func()) {
	sc := bufio.NewScanner(in)
	actions := map[string]string{"n": "next", "r": "recall", "c": "serve", "x": "noshow", "d": "done", "p": "pause", "u": "resume"}
	kiosk := firstKiosk(s.Config()) // the one whose buttons the number keys press
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var err error
		switch {
		case f[0] == "q":
			stop()
			return
		case f[0] == "h":
			printIntro(s, page, kiosk)
		case f[0] == "k" && len(f) <= 2:
			if len(f) == 2 && s.Config().Kiosk(f[1]) == nil {
				err = fmt.Errorf("no kiosk %q (%s)", f[1], kioskIDs(s.Config()))
				break
			}
			if len(f) == 2 {
				kiosk = f[1]
			}
			printButtons(s.Config(), kiosk)
			fmt.Printf("Another kiosk: k ID (%s).\n", kioskIDs(s.Config()))
		case f[0] == "f" && (len(f) == 2 || len(f) == 3):
			at := kiosk
			if len(f) == 3 {
				at = f[2]
			}
			var fault sim.Fault
			if fault, err = sim.ParseFault(f[1]); err == nil {
				err = s.SetPrinterFault(at, fault)
			}
		case f[0] == "a":
			err = s.ToggleAlert(ctx)
		case f[0] == "s":
			printState(s.State())
		case actions[f[0]] != "" && len(f) == 2:
			err = s.Counter(f[1], actions[f[0]], "")
		case f[0] == "t" && (len(f) == 3 || len(f) == 4):
			toCounter := ""
			if len(f) == 4 {
				toCounter = f[3]
			}
			err = s.Transfer(f[1], f[2], toCounter)
		case f[0] == "b" && (len(f) == 2 || len(f) == 3):
			at := kiosk
			if len(f) == 3 {
				at = f[2]
			}
			_, err = s.ScanAnswer(ctx, at, f[1]) // tell prints the answer
		case f[0] == "l" && len(f) == 2:
			if err = pressButton(s, kiosk, f[1], true); err == nil {
				fmt.Println("  (held down: a priority ticket)")
			}
		case len(f) == 1:
			err = pressButton(s, kiosk, f[0], false)
		default:
			err = errUnknownCommand
		}
		if err != nil {
			fmt.Println("cherga-sim:", err)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

var errUnknownCommand = errors.New("unknown command; h for help")

// pressButton presses the kiosk's button numbered n (from 1), long for a
// priority ticket.
func pressButton(s *sim.Office, kiosk, n string, long bool) error {
	k := s.Config().Kiosk(kiosk) // config.set may have given a button another service
	i, err := strconv.Atoi(n)
	if err != nil || k == nil || i < 1 || i > len(sim.Buttons(s.Config(), *k)) {
		return errUnknownCommand
	}
	return s.PressButton(kiosk, i-1, long)
}

// printButtons lists the buttons of the kiosk the number keys press now.
func printButtons(cfg *config.Config, kiosk string) {
	k := cfg.Kiosk(kiosk)
	if k == nil { // config.set took it away
		fmt.Printf("The number keys press no kiosk: %s is no more.\n", kiosk)
		return
	}
	fmt.Printf("The number keys press the buttons of kiosk %s:\n", kiosk)
	listButtons(os.Stdout, cfg, *k)
}

// listButtons lists the kiosk's buttons by the number that presses them:
// the service, its letter, and the priority a button gives at a short
// press («6  Соціальний захист (А), priority: disability»).
func listButtons(w io.Writer, cfg *config.Config, k config.Kiosk) {
	for i, b := range sim.Buttons(cfg, k) {
		svc := cfg.Service(b.Service)
		if svc == nil {
			continue
		}
		line := fmt.Sprintf("  %d  %s (%s)", i+1, svc.Name, svc.Prefix)
		switch p := sim.ButtonPriority(b); p {
		case "":
		case "priority":
			line += ", priority"
		default:
			line += ", priority: " + p
		}
		fmt.Fprintln(w, line)
	}
}

// tell prints what the office says that a person at the terminal would
// otherwise miss: a kiosk that issued nothing and why, the number a
// screen kiosk shows, a call as the announcer says it, an input refused,
// a pause.
func tell(cfg *config.Config, m sim.Message) {
	root := cfg.Root()
	var v struct {
		OK      *bool  `json:"ok"`
		Ticket  string `json:"ticket"`
		Message string `json:"message"`
		Lang    string `json:"lang"`
		Text    string `json:"text"`
		Source  string `json:"source"`
		Error   string `json:"error"`
		Type    string `json:"type"`
		Reason  string `json:"reason"`
		Action  string `json:"action"`
		State   string `json:"state"`
		Paused  bool   `json:"paused"`
	}
	if json.Unmarshal(m.Payload, &v) != nil {
		return
	}
	switch {
	case strings.HasPrefix(m.Topic, root+"/kiosk/") && strings.HasSuffix(m.Topic, "/ticket") && v.OK != nil:
		id := bus.Segment(root, m.Topic, 1)
		k := cfg.Kiosk(id)
		switch {
		case !*v.OK && len(cfg.Kiosks) == 1:
			fmt.Printf("  термінал / kiosk: %s\n", v.Message)
		case !*v.OK:
			fmt.Printf("  термінал %s / kiosk %s: %s\n", id, id, v.Message)
		case k != nil && sim.Screen(*k):
			// No paper: the screen is all the citizen gets.
			fmt.Printf("  екран термінала %s / kiosk %s screen: %s\n", id, id, strings.TrimSpace("талон / ticket "+v.Ticket+" "+v.Message))
		}
	case strings.HasPrefix(m.Topic, root+"/kiosk/") && strings.HasSuffix(m.Topic, "/scan") && v.Message != "":
		id := bus.Segment(root, m.Topic, 1)
		fmt.Printf("  сканер термінала %s / kiosk %s scanner: %s\n", id, id, v.Message)
	case strings.HasPrefix(m.Topic, root+"/counter/") && strings.HasSuffix(m.Topic, "/ack") && v.OK != nil && *v.OK && v.Action == "next" && v.Ticket == "" && v.Message != "":
		// Nobody called: the message says why (nobody waits, its hours,
		// a ticket not due yet).
		id := bus.Segment(root, m.Topic, 1)
		fmt.Printf("  %s: %s\n", counterName(cfg, id), v.Message)
	case strings.HasPrefix(m.Topic, root+"/counter/") && strings.HasSuffix(m.Topic, "/ack") && v.OK != nil && *v.OK:
		// What a command did (a call says itself aloud): a key that
		// seems to do nothing would be pressed again.
		if v.Action == "next" && v.Ticket != "" || v.Action == "recall" {
			return
		}
		id := bus.Segment(root, m.Topic, 1)
		fmt.Printf("  %s: %s\n", counterName(cfg, id), ackText(v.Ticket, v.State, v.Paused))
		if v.Message != "" {
			fmt.Printf("    %s\n", v.Message) // a ticket put back, a no-show not sent back
		}
	case m.Topic == root+"/announce" && v.Lang == "uk":
		fmt.Printf("  🔊 %s\n", v.Text)
	case m.Topic == root+"/errors":
		fmt.Printf("  refused: %s: %s\n", v.Source, cmp.Or(v.Message, v.Error)) // the specialist reads the message
	case m.Topic == root+"/events" && v.Type == queue.EvOfficePaused:
		fmt.Printf("  ⚠ %s\n", office.WithReason("прийом призупинено", "the office is paused", v.Reason))
	case m.Topic == root+"/events" && v.Type == queue.EvOfficeResumed:
		fmt.Printf("  %s\n", office.WithReason("прийом відновлено", "the office resumed", v.Reason))
	}
}

// counterName is a counter as a citizen reads it, and the voice says it:
// «вікно 1 / counter 1», «кабінет 4 / room 4».
func counterName(cfg *config.Config, id string) string {
	var kind audio.CounterKind // a window unless the counter says otherwise
	if c := cfg.Counter(id); c != nil {
		kind, _ = audio.ParseCounterKind(c.Kind)
	}
	return kind.Word("uk") + " " + id + " / " + kind.Word("en") + " " + id
}

// ackText is what a counter has after a command that its ack says was
// done.
func ackText(ticket, state string, paused bool) string {
	var uk, en string
	switch {
	case ticket != "" && state == "serving":
		uk, en = "прийом "+ticket, "serving "+ticket
	case ticket != "":
		uk, en = "виклик "+ticket, "calling "+ticket
	case paused:
		uk, en = "перерва", "paused"
	default:
		uk, en = "вільно", "free"
	}
	if paused && ticket != "" {
		uk, en = uk+", далі перерва", en+", then a break"
	}
	return uk + " / " + en
}

// ticketBox draws a printed ticket on the terminal.
func ticketBox(kiosk string, d printer.Doc) string {
	const w = 50
	var b strings.Builder
	fmt.Fprintf(&b, "\n┌─ ticket from kiosk %s %s┐\n", kiosk, strings.Repeat("─", max(0, w-22-len(kiosk))))
	for _, l := range d.Lines {
		text := l.Text
		if l.Width >= 2 {
			text = strings.Join(strings.Split(text, ""), " ") // wide print
		}
		pad := max(0, w-len([]rune(text)))
		fmt.Fprintf(&b, "│%s%s%s│\n", strings.Repeat(" ", pad/2), text, strings.Repeat(" ", pad-pad/2))
	}
	for _, q := range d.QR {
		fmt.Fprintf(&b, "│%-*s│\n", w, " [QR] "+q)
	}
	fmt.Fprintf(&b, "└%s┘\n", strings.Repeat("─", w))
	return b.String()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "cherga-sim:", err)
	os.Exit(1)
}
