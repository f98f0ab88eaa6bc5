// Package office wires one office together: the queue engine and its bbolt
// file, the MQTT broker (embedded or external) and client, the kiosks with
// their printers and buttons, and the counters' buttons. cmd/cherga and the
// simulator both run an Office; cmd holds only flags and signals.
package office

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
)

// StoreSite is the site the state file at path last ran as: "" for a
// file that has none recorded (a new store). Start refuses a file of
// another site (ErrStoreOfAnotherSite); cherga -verify says so too.
func StoreSite(path string) (string, error) {
	versions, err := queue.StoredConfigs(path)
	if err != nil {
		return "", err
	}
	if prev := lastRan(versions); prev != nil {
		return prev.Site, nil
	}
	return "", nil
}

// Opts says how to run an office. The fields other than Config override the
// configuration, as cherga's flags do.
type Opts struct {
	Config *config.Config
	// Builtin says Config is the built-in one, not a file an administrator
	// edits: a new binary's is no edit (chooseConfig).
	Builtin bool
	// DB is the bbolt file; "" means Config.DB.
	DB string
	// Broker is "embedded", tcp://host:port or ssl://host:port; "" means Config.Broker.URL.
	Broker string
	// TLS are the files of a broker over TLS; each one not given is
	// Config.Broker's (ca_file, cert_file, key_file).
	TLS bus.TLSFiles
	// Listen is the embedded broker's address; "" means Config.Broker.Listen.
	Listen string
	// Printer replaces the printer of every kiosk ("" keeps the configured ones).
	Printer string
	// Printers replaces the printers of some kiosks, by kiosk id (the
	// simulator's pseudo-terminals); Printer overrides it.
	Printers map[string]string
	// Scanners replaces the barcode scanners of some kiosks, by kiosk id
	// (the simulator's pseudo-terminals): serial:PATH.
	Scanners map[string]string
	// RenameSite lets a state file that last ran as another site start
	// under the configuration's (cherga -rename-site): the office was
	// renamed. Without it such a file is refused (ErrStoreOfAnotherSite):
	// it may be a copy of another office's.
	RenameSite bool
	Version    string
	// Pin opens a GPIO pin by name; nil means device.OpenPin (the host's
	// GPIO chip). The simulator passes fake pins.
	Pin func(name string) (gpio.PinIO, error) `yaml:"-"`
	// Now is the wall clock of the queue; nil means time.Now.
	Now func() time.Time `yaml:"-"`
	// ButtonClock times the buttons (debounce, long press); nil means the
	// system clock. Tests pass devicetest's.
	ButtonClock device.Clock `yaml:"-"`
	Logger      *slog.Logger `yaml:"-"`
	// AwtrixRefresh is how often the AWTRIX apps are sent again, so that
	// a matrix whose app outlived its lifetime shows the state again; 0
	// means display.AwtrixRefresh. Tests shorten it.
	AwtrixRefresh time.Duration `yaml:"-"`
	// LoadRefresh is how often {root}/load is sent again, unchanged but
	// for its sent; 0 means 30 s. Tests shorten it.
	LoadRefresh time.Duration `yaml:"-"`
}

// Office is a running office.
type Office struct {
	// cfg is the running configuration (conf); config.set replaces it.
	cfg     atomic.Pointer[config.Config]
	log     *slog.Logger
	eng     *queue.Engine
	brk     *broker.Broker
	bus     *bus.Client
	url     string
	tls     bus.TLSFiles // the broker's TLS files, flags over the file
	listen  string       // the embedded broker's address as asked for (port 0: any)
	started time.Time

	kiosks      map[string]*kiosk
	counters    chan counterReq
	counterLoad counterLoad // each counter's share of counters
	buttons     []*gpioButton
	voices      announcers // the voice announcers' presence
	// watchers run the buttons, each on its goroutine, once the office
	// runs.
	watchers []func(context.Context)
	lamps    []*device.Lamp
	// counterLamps are the counters' busy lamps, set by the publisher.
	counterLamps map[string]*device.Lamp
	pin          func(name string) (gpio.PinIO, error)
	noGPIO       []string // pins this host does not have
	// gpioErr is the first pin that could not be opened because the GPIO
	// chip is out of reach (device.ErrGPIOAccess): Start fails with it.
	gpioErr     error
	buttonClock device.Clock

	// Owned by the publisher goroutine: each counter's latest board, not yet
	// settled (boards), and as an AWTRIX board shows it (shown).
	boards map[string]display.Board
	shown  map[string]display.Board
	// refusing is why each service refuses a ticket, as its queue topic
	// last said ("" issuing): a change relights every kiosk's buttons.
	refusing map[string]string
	// awtrixRefresh is how often the AWTRIX apps are sent again
	// (Opts.AwtrixRefresh).
	awtrixRefresh time.Duration
	// loadRefresh is how often the load is sent again (Opts.LoadRefresh),
	// and lastLoad the one sent last (the publisher's goroutine's): its
	// fresh sent tells an announcer just restarted, which has no live
	// message yet to compare clocks by, how long the calls the broker
	// kept for it waited there.
	loadRefresh time.Duration
	lastLoad    *display.Load
	loc         *time.Location
	// clock is the queue's wall clock (Opts.Now): what a refusal says of
	// the hours is said at the time the queue refused by.
	clock func() time.Time
	// reconnected tells the publisher that the broker was (re)connected,
	// and may have lost the retained state; ready is closed once the
	// publisher has sent the whole state for the first time.
	reconnected chan struct{}
	// gone are the retained topics of what the configuration took away
	// since the start (and uses no more), which the publisher empties
	// (clearGone), and again after each loss of the broker; goneDue those
	// to empty at its next round, goneWake wakes it for them.
	goneMu   sync.Mutex
	gone     map[string]bool
	goneDue  map[string]bool
	goneWake chan struct{}
	// connects counts the connections to the broker, so that a kiosk
	// publishes its printer's retained state again after each (the broker
	// may have restarted empty).
	connects  atomic.Uint64
	ready     chan struct{}
	readyOnce sync.Once
	// admin holds the administrators' requests, served one at a time in
	// the order they came; reads those of the read door and books those
	// of the booking door, likewise.
	admin, reads, books chan AdminRequest

	// faults are the wrong inputs logged lately (logRefusal), by source
	// and kind.
	faultsMu sync.Mutex
	faults   map[string]*fault

	// status is the retained status (statusMu, with bus while Start sets
	// it: the engine's onStore may run meanwhile).
	statusMu sync.Mutex
	status   Status
	// runCtx ends, with cancel, when the office closes.
	runCtx context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// counterReq is one counter input: a command, a call of a given ticket
// (ticket set), or a rating (score set).
type counterReq struct {
	counter string
	cmd     queue.Command
	ticket  string
	score   int
	source  string
	id      string    // the box's id of the command, if it gave one
	at      time.Time // when it came (submitCounter)
	button  bool      // it came from a GPIO button, whose counter has no screen
	// counted: it counts among its counter's commands waiting
	// (counterLoad): it is no resend of one waiting.
	counted bool
}

// staleAfter is how long a kiosk press may wait for the store (one that
// stalls: a failing SD card) and still be done; later, the citizen has
// left or pressed again: it is refused (timeout), nothing done.
// counterStale is the same for a counter command, and adminStale for an
// administrator's request (chergactl waits 10 s): a counter's commands
// are saved one at a time, so at rush hour on a slow card they wait their
// turn a while before a specialist gives up on one.
const (
	staleAfter   = 10 * time.Second
	counterStale = 30 * time.Second
	adminStale   = 10 * time.Second
)

// loadRefresh is how often {root}/load is sent again (Opts.LoadRefresh).
const loadRefresh = 30 * time.Second

// asked is what the command asks, to tell a delivery again (the same) from
// another command under a reused id.
func (r counterReq) asked() string {
	return fmt.Sprintf("%s %s %s %s %d", r.cmd.Action, r.cmd.To, r.cmd.ToCounter, r.ticket, r.score)
}

// Offline is the retained {root}/status payload while the controller is
// away (its last will, or a clean stop): which run went away (its id and
// when it started), and its site.
type Offline struct {
	Online  bool      `json:"online"` // false
	Run     string    `json:"run"`
	Started time.Time `json:"started"`
	Site    string    `json:"site"`
	// Stopped: the run stopped cleanly (bus.Client.SetStopped), not its
	// last will.
	Stopped bool `json:"stopped,omitempty"`
}

// Status is the retained {root}/status payload.
type Status struct {
	Online  bool   `json:"online"`
	Version string `json:"version"`
	// Run is this run's own id (random): another run of the site, a
	// second box with the same site, has another.
	Run     string    `json:"run"`
	Started time.Time `json:"started"`
	Site    string    `json:"site"`
	// Seq is the seq of the latest event when the controller started. An
	// integration that saw a later one knows the store went back (a
	// backup was restored): the events it holds after Seq are not the
	// office's, and it replays from Seq+1.
	Seq uint64 `json:"seq"`
	// Restores are the times the store was restored from a backup, oldest
	// first: when they differ from those an integration saw, the events it
	// holds after the first restore it did not see are not the office's
	// (docs/mqtt.md).
	Restores []queue.Restore `json:"restores,omitempty"`
	// StoreError says, while it lasts, why the store does not work: its
	// writes fail (a full disk, a file system gone read-only) or hang, or
	// its file was deleted or replaced (docs/mqtt.md).
	StoreError string `json:"store_error,omitempty"`
	// ClockUnset: no ticket is issued because the clock is unset, or
	// behind the time the office last ran at, or stepped ahead (the
	// load's clock_unset; clock.trust): a dashboard of a region's offices
	// that watches their status alone sees it.
	ClockUnset bool `json:"clock_unset,omitempty"`
}

// setStatus makes st the status, with what the engine said of its store
// meanwhile, and returns it.
func (o *Office) setStatus(st Status) Status {
	o.statusMu.Lock()
	defer o.statusMu.Unlock()
	// Both sides are read before either is set: in one assignment, the
	// status would be st as it came, without the error.
	st.StoreError, st.ClockUnset = o.status.StoreError, o.status.ClockUnset
	o.status = st
	return st
}

// onClock says in the status whether tickets wait for the clock, as the
// load the publisher sends says it.
func (o *Office) onClock(unset bool) {
	o.statusMu.Lock()
	defer o.statusMu.Unlock()
	if o.status.ClockUnset == unset {
		return
	}
	o.status.ClockUnset = unset
	o.statusChanged()
}

// statusChanged publishes the status as it is now, once there is a
// client (statusMu held).
func (o *Office) statusChanged() {
	if o.bus != nil {
		o.bus.SetStatus(o.status)
	}
}

// setBus makes b the office's client (onStore and onClock publish through
// it).
func (o *Office) setBus(b *bus.Client) {
	o.statusMu.Lock()
	defer o.statusMu.Unlock()
	o.bus = b
}

// onStore hears from the engine that its store went wrong (err) or works
// again (nil), and says it in the status.
func (o *Office) onStore(err error) {
	o.statusMu.Lock()
	defer o.statusMu.Unlock()
	if err != nil {
		o.status.StoreError = err.Error()
		o.log.Error("office: the store is in trouble; the status says so (store_error)", "err", err)
	} else {
		o.status.StoreError = ""
		o.log.Info("office: the store saves changes again")
	}
	o.statusChanged()
}

// Start opens the store, connects to (or starts) the broker and starts every
// kiosk and counter. On error nothing is left running.
func Start(ctx context.Context, opts Opts) (_ *Office, err error) {
	cfg := opts.Config
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	o := &Office{
		log:           log,
		started:       time.Now().In(cfg.Location()),
		kiosks:        map[string]*kiosk{},
		counters:      make(chan counterReq, 64),
		boards:        map[string]display.Board{},
		shown:         map[string]display.Board{},
		refusing:      map[string]string{},
		reconnected:   make(chan struct{}, 1),
		goneWake:      make(chan struct{}, 1),
		ready:         make(chan struct{}),
		pin:           opts.Pin,
		buttonClock:   opts.ButtonClock,
		counterLamps:  map[string]*device.Lamp{},
		loc:           cfg.Location(),
		clock:         opts.Now,
		awtrixRefresh: display.AwtrixRefresh,
		loadRefresh:   cmp.Or(opts.LoadRefresh, loadRefresh),
	}
	if o.clock == nil {
		o.clock = time.Now
	}
	if opts.AwtrixRefresh > 0 {
		o.awtrixRefresh = opts.AwtrixRefresh
	}
	o.cfg.Store(cfg)
	defer func() {
		if err != nil {
			o.Close()
		}
	}()
	dbPath := first(opts.DB, cfg.DB)
	versions, err := queue.StoredConfigs(dbPath)
	if err != nil {
		return nil, err
	}
	prev := lastRan(versions)
	if prev != nil && prev.Site != cfg.Site {
		// Refused before the store opens: opening it runs today's
		// tickets by this configuration, and the start would clear the
		// other site's retained topics.
		if !opts.RenameSite {
			return nil, fmt.Errorf("%w: the state file %s belongs to site %q, but this office's site is %q. Renamed? Start cherga once by hand with -rename-site (README, -rename-site). Copied from another office's card? Move it aside and put this office's own file, or its latest backup, in its place",
				ErrStoreOfAnotherSite, dbPath, prev.Site, cfg.Site)
		}
		log.Warn("office: the site is renamed (-rename-site): this state file last ran as another site, whose retained topics are cleared",
			"store_site", prev.Site, "site", cfg.Site)
	}
	file := cfg
	cfg, record := chooseConfig(versions, file, opts.Builtin, log)
	if prev != nil && prev.Site != cfg.Site && record == recordNone {
		// Renamed: what runs is recorded under the new site, which the
		// next start (without -rename-site) then finds. (chooseConfig
		// takes a file that differs by its site alone for the same.)
		record = recordFile
		if cfg != file {
			record = recordMerge // an administrator's version runs, as before
		}
	}
	o.cfg.Store(cfg)
	if err := cfg.SharedMatrix(); err != nil {
		log.Warn("office: two counters drive one AWTRIX matrix, which shows both counters' calls; give each its own prefix", "err", err)
	}
	for _, w := range cfg.PrefixWarnings() {
		log.Warn("office: a ticket prefix citizens may misread or mishear", "warning", w)
	}
	// What can fail for want of a port, a file or a pin is taken before the
	// store opens: opening it runs today's tickets by this configuration (a
	// service gone expires its tickets), which a start that then fails must
	// not have done.
	if err := o.prepare(opts, cfg); err != nil {
		return nil, err
	}
	if o.eng, err = queue.Open(dbPath, cfg, &queue.Opts{Now: opts.Now, Logger: log, OnStore: o.onStore}); err != nil {
		return nil, err
	}
	switch record {
	case recordFile:
		err = o.eng.RecordConfigs(ctx, queue.ConfigRecord{Config: cfg, Version: queue.ConfigVersion{Source: "file"}})
	case recordMerge:
		// The file, to tell its next edit by, and what runs.
		err = o.eng.RecordConfigs(ctx, queue.ConfigRecord{Config: file, Version: queue.ConfigVersion{Source: "file"}},
			queue.ConfigRecord{Config: cfg, Version: queue.ConfigVersion{Source: "merge", MergeOf: versions[len(versions)-1].Version}})
	}
	if err != nil {
		return nil, err
	}
	root := cfg.Root()
	seq, err := o.eng.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	restores, err := o.eng.Restores()
	if err != nil {
		return nil, err
	}
	for i := range restores {
		// In whole seconds, as the status's other times (docs/mqtt.md).
		restores[i].BackupAt = o.local(restores[i].BackupAt).Truncate(time.Second)
	}
	runID := make([]byte, 8)
	_, _ = rand.Read(runID)
	run := hex.EncodeToString(runID)
	bo := bus.Opts{
		URL:      o.url,
		ClientID: "cherga-" + cfg.Site,
		Username: cfg.Broker.Username,
		Password: cfg.Broker.Password,
		TLS:      o.tls,
		Root:     root,
		// Run tells this run from another controller's of the site (bus:
		// onStatus).
		Status:  o.setStatus(Status{Online: true, Version: opts.Version, Run: run, Started: o.started.Truncate(time.Second), Site: cfg.Site, Seq: seq, Restores: restores}),
		Offline: Offline{Run: run, Started: o.started.Truncate(time.Second), Site: cfg.Site},
		// Online once it listens to its inputs (Ready, below): a device
		// that presses on seeing online:true would be lost before.
		HoldStatus: true,
		Logger:     log,
		OnConnect: func() {
			o.connects.Add(1)
			select {
			case o.reconnected <- struct{}{}:
			default:
			}
		},
		OnRetained: o.onRetained,
	}
	if o.eng.Made() {
		// A new, empty store, on a broker where the site ran before: its
		// state file may be missing (deleted, a card or a path changed),
		// and numbering starts again at 1 while citizens hold the day's
		// numbers. Only a person can tell.
		bo.OnEarlierRun = func(started string) {
			log.Error("office: the state file is new and empty, but this site ran on this broker before: if the office ran here, its state file is missing, and the numbers start again at 1 while citizens may hold today's. Stop cherga, and put the file, or its latest backup, at the path (README: restoring a backup); a new installation on a broker another one used: nothing to do",
				"path", o.eng.Path(), "earlier_run_started", started)
		}
	}
	if o.brk == nil && cfg.Site == "demo" {
		// demo is the built-in office's site: a second office that kept
		// it shares the first one's topics and client id.
		log.Warn("office: "+config.DemoSiteShared, "broker", config.RedactURL(o.url))
	}
	if o.brk != nil {
		// The broker is ours: talk to it in the process, not over TCP.
		o.setBus(bus.ConnectInline(bo, o.brk))
	} else {
		var b *bus.Client
		b, err = bus.Connect(ctx, bo)
		o.setBus(b)
	}
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	o.runCtx, o.cancel = runCtx, cancel
	if prev != nil {
		// A restart runs today's tickets as config.set does, and clears
		// the boards and figures of what is gone, as config.set does.
		o.clearGone(runCtx, prev, cfg)
	}
	o.wg.Add(2)
	go o.publish(runCtx)
	go o.serveCounters(runCtx)
	// Start returns with the boards, the hall and the figures published
	// (or on their way to a remote broker), so that whoever connects next
	// finds the office's state.
	// (Started without its broker, as bus.Connect logged, the state goes
	// when the broker answers: the kiosks need not wait for it.)
	if o.bus.Connected() {
		select {
		case <-o.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.bus.Timeout()):
			log.Warn("office: the state was not published within the broker timeout; it will be when the broker takes it")
		}
	}
	for _, k := range o.kiosks {
		o.wg.Add(1)
		go k.run(runCtx)
		if k.scanner != nil {
			o.wg.Add(1)
			go k.readScanner(runCtx)
		}
	}
	if err := o.bus.Subscribe(root+"/kiosk/+/press", o.onKioskPress); err != nil {
		return nil, err
	}
	if err := o.bus.Subscribe(root+"/counter/+/cmd", o.onCounterCmd); err != nil {
		return nil, err
	}
	if err := o.bus.Subscribe(root+"/counter/+/rating", o.onRating); err != nil {
		return nil, err
	}
	if err := o.bus.Follow(root+"/announcer/+", o.onAnnouncer); err != nil {
		return nil, err
	}
	o.admin, o.reads, o.books = make(chan AdminRequest, adminBacklog), make(chan AdminRequest, adminBacklog), make(chan AdminRequest, adminBacklog)
	o.wg.Add(3)
	go o.serveAdmin(runCtx, o.admin, false)
	go o.serveAdmin(runCtx, o.reads, true)
	go o.serveAdmin(runCtx, o.books, true)
	for _, d := range doors {
		if err := o.bus.Subscribe(root+"/"+d+"/req", o.onAdmin); err != nil {
			return nil, err
		}
	}
	for _, run := range o.watchers {
		o.wg.Add(1)
		go run(runCtx)
	}
	if len(o.noGPIO) > 0 {
		o.log.Warn("office: this host has no GPIO; these buttons and lamps are inactive (MQTT inputs still work)", "pins", strings.Join(o.noGPIO, ","))
	}
	for _, b := range o.buttons {
		if b.dead != nil {
			o.reportError(b.source, b.dead) // now that there is a broker to tell
		}
	}
	// From now on a stop is a clean one (bus: SetStopped).
	o.bus.SetStopped(Offline{Run: run, Started: o.started.Truncate(time.Second), Site: cfg.Site, Stopped: true})
	o.bus.Ready()
	return o, nil
}

// prepare takes what the office needs from outside the store: the broker
// (the embedded one listening, or the TLS files of a remote one), the
// kiosks' printer profiles and logos, the lamps and buttons on the pins.
// Nothing runs yet.
func (o *Office) prepare(opts Opts, cfg *config.Config) error {
	o.url = first(opts.Broker, cfg.Broker.URL)
	o.tls = opts.TLS.Or(bus.TLSFiles{CA: cfg.Broker.CAFile, Cert: cfg.Broker.CertFile, Key: cfg.Broker.KeyFile})
	if o.url == "embedded" && o.tls.Any() {
		return errors.New("office: the embedded broker does not speak TLS: a CA file, client certificate or key is for a broker at ssl://host:port")
	}
	if o.url != "embedded" && o.tls.Any() && !config.IsTLS(o.url) {
		return fmt.Errorf("office: a CA file, client certificate or key is used only over TLS: the broker's URL must be ssl://host:port (or mqtts://), not %s", config.RedactURL(o.url))
	}
	if _, err := o.tls.Config(); err != nil {
		return err
	}
	if o.url == "embedded" {
		// mochi logs every client at info: keep its warnings only.
		o.listen = first(opts.Listen, cfg.Broker.Listen)
		brk, err := broker.Start(o.listen, warnOnly(o.log))
		if err != nil {
			return err
		}
		o.brk, o.url = brk, brk.URL()
	}
	if opts.Printer != "" && opts.Printer != "none" && len(cfg.Kiosks) > 1 {
		return fmt.Errorf("office: -printer %s would be the printer of all %d kiosks; each needs its own: set kiosks[].printer in the configuration", opts.Printer, len(cfg.Kiosks))
	}
	if o.pin == nil {
		o.pin = device.OpenPin
	}
	for _, c := range cfg.Counters {
		if l := o.lamp(c.Lamp, "counter "+c.ID+" lamp"); l != nil {
			o.counterLamps[c.ID] = l
		}
	}
	for _, kc := range cfg.Kiosks {
		spec := kc.Printer
		if p, ok := opts.Printers[kc.ID]; ok {
			spec = p
		}
		if sc, ok := opts.Scanners[kc.ID]; ok {
			kc.Scanner = sc
		}
		if opts.Printer != "" {
			spec = opts.Printer
		}
		k, err := newKiosk(o, kc, spec)
		if err != nil {
			return err
		}
		o.kiosks[kc.ID] = k // Close closes it
		for i, b := range kc.Buttons {
			if l := o.lamp(b.Lamp, "kiosk "+kc.ID+" "+b.Service+" lamp"); l != nil {
				k.lamps[i] = l
			}
		}
		k.buzzer = o.lamp(kc.Buzzer, "kiosk "+kc.ID+" buzzer")
	}
	o.openButtons()
	return o.gpioErr
}

// Broken is closed when the office's store stops saving for good (a write
// failed and its state could not be read back): a daemon stops then, so
// that its restart reads the file afresh (queue.Engine.Broken).
func (o *Office) Broken() <-chan struct{} { return o.eng.Broken() }

// BrokerURL is the broker the office talks to (the embedded one's real port).
func (o *Office) BrokerURL() string { return o.url }

// Engine is the office's queue.
func (o *Office) Engine() *queue.Engine { return o.eng }

// Config is the running configuration.
func (o *Office) Config() *config.Config { return o.conf() }

// conf is the running configuration. A caller that needs several things
// from it takes it once: config.set may replace it in between.
func (o *Office) conf() *config.Config { return o.cfg.Load() }

// inAlert reports whether the office is paused for an air-raid alert
// now; false when the store cannot say.
func (o *Office) inAlert(ctx context.Context) bool {
	ps, err := o.eng.Pauses(ctx)
	p, ok := ps[""]
	return err == nil && ok && p.IsAlert()
}

func (o *Office) String() string { return "office(" + o.conf().Site + ")" }

// Close stops everything in order: inputs, workers, the MQTT client (which
// publishes the offline status), the broker, the store. It is idempotent.
func (o *Office) Close() error {
	var err error
	o.once.Do(func() {
		o.voices.closing.Store(true)
		for _, b := range o.buttons {
			if b.b != nil {
				b.b.Close()
			}
		}
		defer func() {
			for _, l := range o.lamps {
				l.Halt()
			}
		}()
		if o.cancel != nil {
			o.cancel()
		}
		for _, k := range o.kiosks {
			if k.scanner != nil {
				k.scanner.Close() // wakes a read in progress
			}
		}
		o.wg.Wait()
		for _, k := range o.kiosks {
			k.close()
		}
		if o.bus != nil {
			o.bus.Close()
		}
		if o.brk != nil {
			// The embedded broker goes down with us: give it a moment to
			// hand the offline status to the boards and integrations that
			// are subscribed before their connections close.
			time.Sleep(300 * time.Millisecond)
			o.brk.Close()
		}
		if o.eng != nil {
			err = o.eng.Close() // a last write that failed: the exit says so
		}
	})
	return err
}

// reportError tells the office's error topic about an input that could not
// be served and has no id: a retained message, a stuck button.
func (o *Office) reportError(source string, err error) { o.refused(source, "", err) }

// readID is the id of a refused input, as its decoder read it or, when it
// read none (a payload too long, something after its JSON object), as it
// stands before whatever could not be read, in a payload of UTF-8: one too
// long to be an id is none.
func readID(id string, payload []byte) string {
	if id == "" && utf8.Valid(payload) { // else its id is not the one sent either
		id = idBefore(payload)
	}
	if device.CheckID(id) != nil {
		return ""
	}
	return id
}

// refused reports on {root}/errors that the input id (if it had one) of
// source was refused, and why, for the device and the person who pressed
// (refusal).
func (o *Office) refused(source, id string, err error) {
	reason, message := refusal(err)
	o.refusedAs(source, id, reason, message, err)
}

// refusedAs is refused with the reason and message given: those that name
// what the input asked for (refusal knows only the error).
func (o *Office) refusedAs(source, id, reason, message string, err error) {
	o.logRefusal(source, id, reason, err)
	payload := mustJSON(struct {
		Source  string    `json:"source"`
		ID      string    `json:"id,omitempty"`
		Error   string    `json:"error"`
		Reason  string    `json:"reason,omitempty"`
		Message string    `json:"message,omitempty"`
		At      time.Time `json:"at"`
	}{source, id, err.Error(), reason, message, o.now()})
	if perr := o.bus.Publish(bus.Errors(o.conf().Root()), 0, false, payload); perr != nil {
		o.log.Debug("office: error not published", "err", perr)
	}
}

// fault is a wrong input logged: when, and how many like it were passed
// over since.
type fault struct {
	at     time.Time
	logged int // since at
	passed int
}

// faultEvery is how often a wrong input of one source and kind is logged,
// and maxFaults how many sources and kinds are followed at once. A
// person's refusals of one source and kind are logged up to personBurst
// in faultEvery.
const (
	faultEvery  = time.Minute
	maxFaults   = 1000
	personBurst = 10
)

// logRefusal logs a refused input. One a person can act on (done pressed
// with nobody at the counter, next during an alert) is part of a day's
// work: info, up to personBurst a minute per source and kind (a box stuck
// on done sends it ten a second). One that is wrong (a box that sends
// garbage, a topic of no device) is a warning, logged once a minute per
// source and kind. Past those, how many were passed over is said with the
// next line: a broken box must not bury the journal.
func (o *Office) logRefusal(source, id, reason string, err error) {
	level, burst := slog.LevelWarn, 1
	switch reason {
	case "", "bad_request", "unknown_device", "busy", "store", "timeout":
	default:
		level, burst = slog.LevelInfo, personBurst
	}
	// By source and kind, not by what was sent: garbage that differs at
	// every message is one fault.
	logged, passed := o.admitLog(source+" "+reason, burst, level == slog.LevelInfo, time.Now())
	if !logged {
		return
	}
	args := []any{"source", source, "id", id, "reason", reason, "err", err}
	if passed > 0 {
		args = append(args, "like_it_since", passed)
	}
	o.log.Log(context.Background(), level, "office: input refused", args...)
}

// admitLog says whether a refusal of key (a source and kind) is logged
// now, burst being how many are in faultEvery, and how many of it were
// passed over since the last one logged. device is a refusal of one of the
// office's devices, logged even when more wrong sources than maxFaults
// are followed.
func (o *Office) admitLog(key string, burst int, device bool, now time.Time) (bool, int) {
	o.faultsMu.Lock()
	defer o.faultsMu.Unlock()
	if o.faults == nil {
		o.faults = map[string]*fault{}
	}
	if len(o.faults) >= maxFaults { // topics of no device may be endless
		for k, f := range o.faults {
			if now.Sub(f.at) >= faultEvery {
				delete(o.faults, k)
			}
		}
	}
	f, known := o.faults[key]
	switch {
	case !known && len(o.faults) >= maxFaults:
		// More wrong sources in a minute than anyone reads: their errors
		// topic says them. A device of the office's is not drowned by them.
		return device, 0
	case known && now.Sub(f.at) < faultEvery && f.logged >= burst:
		f.passed++
		return false, 0
	case known && now.Sub(f.at) < faultEvery:
		f.logged++
		return true, 0
	}
	passed := 0
	if known {
		passed = f.passed
	}
	o.faults[key] = &fault{at: now, logged: 1}
	return true, passed
}

// onRetained refuses a retained message on an input topic (published with
// mosquitto_pub -r, or by a misconfigured button box): acted on, it would
// issue a ticket or repeat a command at every start and reconnect. The
// broker's copy is cleared so that it is refused once. (The message was
// acted on when it was sent: a broker hands a message to the
// subscriptions it has without the retain flag.)
func (o *Office) onRetained(topic string, payload []byte) {
	// The source as the input's other errors name it: kiosk/k1,
	// counter/5, counter/5/rating, admin.
	source := strings.TrimPrefix(topic, o.conf().Root()+"/")
	for _, input := range []string{"/press", "/cmd", "/req"} {
		source = strings.TrimSuffix(source, input)
	}
	// Its id, when it can be read, tells the device which of its presses
	// or commands this was.
	id := readID("", payload)
	// Cleared first: the refusal, sent after it on the same connection,
	// says it is gone. Not awaited: this is the client's goroutine.
	o.bus.Start(topic, 1, true, nil)
	o.refused(source, id, fmt.Errorf("office: a retained message on %s was refused and cleared: inputs are acted on when they are sent; publish them without the retain flag", topic))
}

// withPayload adds the start of a payload that could not be read to its
// error, for whoever looks for the device that sent it.
func withPayload(err error, payload []byte) error {
	return fmt.Errorf("%w (payload %q)", err, truncate(payload, 100))
}

func (o *Office) onKioskPress(topic string, payload []byte) {
	id := bus.Segment(o.conf().Root(), topic, 1)
	src := "kiosk/" + id
	k := o.kiosks[id]
	p, err := device.DecodeKioskPress(payload)
	if k == nil {
		err := fmt.Errorf("office: unknown kiosk %q: %w", id, errNotConfigured)
		o.refused(src, readID(p.ID, payload), err)
		if pid := readID(p.ID, payload); pid != "" {
			// A screen not (or no longer) in the configuration waits on
			// its own topic: it is told there too.
			reason, msg := refusal(err)
			o.answerKiosk(id, refuse(Result{Press: pid, Service: p.Service, At: o.now()}, reason, msg))
		}
		return
	}
	if err != nil {
		id := readID(p.ID, payload)
		o.refused(src, id, withPayload(err, payload))
		if id != "" {
			// A screen waits for the answer to its press on the kiosk's
			// topic: it gets one.
			_, msg := refusal(err)
			k.answer(refuse(Result{Press: id, Service: p.Service, At: o.now()}, "bad_request", msg))
		}
		return
	}
	k.submit(press{service: p.Service, priority: p.Priority, category: p.Category, source: "mqtt", id: p.ID})
}

func (o *Office) onCounterCmd(topic string, payload []byte) {
	id := bus.Segment(o.conf().Root(), topic, 1)
	src := "counter/" + id
	// The command's id, as far as it can be read, goes with a refusal: the
	// box matches the refusal to its press by it.
	c, err := device.DecodeCounterCmd(payload)
	if o.conf().Counter(id) == nil {
		err = fmt.Errorf("office: unknown counter %q: %w", id, errNotConfigured)
	} else if err != nil {
		err = withPayload(err, payload)
	}
	if err != nil {
		cid := readID(c.ID, payload)
		o.refused(src, cid, err)
		if cid != "" {
			// The box waits for the answer to its command on the
			// counter's topic: it gets one, and shows why.
			a := CounterAck{ID: cid, Action: c.Action, At: o.now()}
			a.Reason, a.Message = refusal(err)
			o.ack(counterReq{counter: id}, &a)
		}
		return
	}
	o.submitCounter(counterReq{counter: id, cmd: queue.Command{Action: queue.Action(c.Action), To: c.To, ToCounter: c.ToCounter}, ticket: c.Ticket, source: src, id: c.ID})
}

func (o *Office) onRating(topic string, payload []byte) {
	id := bus.Segment(o.conf().Root(), topic, 1)
	src := "counter/" + id + "/rating"
	if o.conf().Counter(id) == nil {
		o.reportError(src, fmt.Errorf("office: unknown counter %q: %w", id, errNotConfigured))
		return
	}
	r, err := device.DecodeRating(payload)
	if err != nil {
		o.reportError(src, withPayload(err, payload))
		return
	}
	o.submitCounter(counterReq{counter: id, score: r.Score, source: src})
}

func (o *Office) submitCounter(r counterReq) {
	r.at = time.Now()
	if err := o.counterLoad.admit(&r); err != nil {
		// One counter's flood (a box stuck in a loop, a pad pressed in
		// anger) takes no other counter's turn, nor fills the events.
		o.counterRefused(r, err)
		o.ack(r, o.counterAck(r, queue.CounterResult{}, err))
		return
	}
	select {
	case o.counters <- r:
	default:
		o.counterLoad.taken(r)
		err := fmt.Errorf("office: too many counter commands at once; %w", errPressAgain)
		o.counterRefused(r, err)
		o.ack(r, o.counterAck(r, queue.CounterResult{}, err))
	}
}

// Each counter's share of the commands waiting to be served (the queue of
// all holds 64), and the pace they are served at: its commands, and apart
// from them its rating pad's. A specialist presses a button every few
// seconds, and a citizen rates once a visit.
const (
	counterWaiting   = 4
	counterPerMinute = 120
	counterBurst     = 30
	ratingPerMinute  = 30
	ratingBurst      = 10
)

// counterLoad is what each counter has waiting to be served, and the pace
// of its commands: a token bucket each.
type counterLoad struct {
	mu      sync.Mutex
	waiting map[string]int
	ids     map[string]int // the ids of the commands waiting, by loadKey and id
	paces   map[string]*pace
	// unpaced lets every command through as fast as it comes: a
	// benchmark's counter presses next hundreds of times a second.
	unpaced bool
}

// loadKey is what r counts under: its counter's commands, or apart from
// them its rating pad's scores.
func (r counterReq) loadKey() string {
	if r.score != 0 {
		return r.counter + "/rating"
	}
	return r.counter
}

// resendsWaiting is how many resends of one command (its id) may wait
// beside it, counted neither among the counter's commands waiting nor its
// pace: a box sends a command again after 3 s without an ack, up to 8 s
// (docs/mqtt.md), and the resends are answered by the command's own ack.
const resendsWaiting = 2

// admit counts r among its counter's commands waiting, or says why it
// is refused: too many waiting, or coming too fast. A resend of a
// command waiting is let through (resendsWaiting): refused as busy, it
// would tell the specialist to press again a command that runs all the
// same. (Only configured counters come here: the maps hold a few entries
// each.)
func (l *counterLoad) admit(r *counterReq) error {
	key, what, perMinute, burst := r.loadKey(), "commands", counterPerMinute, counterBurst
	if r.score != 0 {
		what, perMinute, burst = "ratings", ratingPerMinute, ratingBurst
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting == nil {
		l.waiting, l.ids, l.paces = map[string]int{}, map[string]int{}, map[string]*pace{}
	}
	idKey := key + "\x00" + r.id
	if n := l.ids[idKey]; r.id != "" && n > 0 && n <= resendsWaiting {
		l.ids[idKey]++
		return nil
	}
	if l.waiting[key] >= counterWaiting {
		return fmt.Errorf("office: counter %s has %d %s waiting already; %w", r.counter, counterWaiting, what, errPressAgain)
	}
	p := l.paces[key]
	if p == nil {
		p = &pace{perMinute: perMinute, burst: burst}
		l.paces[key] = p
	}
	if !l.unpaced && !p.take(r.at) {
		return fmt.Errorf("office: counter %s sends %s faster than %d a minute; %w", r.counter, what, perMinute, errPressAgain)
	}
	l.waiting[key]++
	r.counted = true
	if r.id != "" {
		l.ids[idKey]++
	}
	return nil
}

// taken says r left the queue (served, or never in it).
func (l *counterLoad) taken(r counterReq) {
	key := r.loadKey()
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.id != "" {
		decrement(l.ids, key+"\x00"+r.id)
	}
	if r.counted {
		decrement(l.waiting, key)
	}
}

// decrement takes one from m[k], and the entry away at 0.
func decrement(m map[string]int, k string) {
	if m[k] > 1 {
		m[k]--
	} else {
		delete(m, k)
	}
}

// counterRefused reports a counter command refused, and flashes the busy
// lamp of a counter whose GPIO button sent it: it has no screen to say
// the press did nothing. So for one that could not be saved (the store,
// or it waited too long for it): pressed again, it runs afresh.
func (o *Office) counterRefused(r counterReq, err error) {
	o.refused(r.source, r.id, err)
	if r.button {
		o.flashRefusal(r.counter)
	}
}

// serveCounters applies counter commands one at a time, in arrival order.
func (o *Office) serveCounters(ctx context.Context) {
	defer o.wg.Done()
	done := map[string]*recent[*CounterAck]{} // each counter's latest commands and their acks
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-o.counters:
			o.counterLoad.taken(r)
			seen := done[r.counter]
			if seen == nil {
				seen = &recent[*CounterAck]{}
				done[r.counter] = seen
			}
			asked := r.asked()
			ack, again, reused := seen.get(r.id, asked, time.Now())
			if again {
				o.log.Info("counter: a command delivered again is not repeated; its ack is sent again", "counter", r.counter, "action", r.cmd.Action, "id", r.id)
				o.ack(r, sentAgain(ack))
				continue
			}
			if reused {
				o.log.Warn("counter: a command reuses the id of another one: served as new (does the box count its ids afresh after a restart?)", "counter", r.counter, "action", r.cmd.Action, "id", r.id)
			}
			res, err := o.serveCounter(ctx, r)
			ack = o.counterAck(r, res, err)
			if !unsaved(err) {
				seen.put(r.id, asked, ack, time.Now()) // it ran: done or refused
			}
			switch {
			case err != nil:
				o.counterRefused(r, err)
			case r.score != 0:
				o.log.Info("counter", "counter", r.counter, "rating", r.score)
			default:
				label := "-"
				if res.Ticket != nil {
					label = res.Ticket.Label
				}
				o.log.Info("counter", "counter", r.counter, "action", r.cmd.Action, "ticket", label)
			}
			o.ack(r, ack)
		}
	}
}

// unsaved reports whether a command failed because nothing could be
// saved (the store, or the engine closing): sent again, it runs afresh.
func unsaved(err error) bool {
	return errors.Is(err, queue.ErrStore) || errors.Is(err, queue.ErrEngineClosed) || errors.Is(err, queue.ErrStale)
}

// ran reports whether a command came to the queue, done or refused, so
// that the counter's state after it is known: not when too many came at
// once, nor when nothing could be saved.
func ran(err error) bool { return !unsaved(err) && !errors.Is(err, errPressAgain) }

// CounterAck is the payload of {root}/counter/{counter}/ack: what became
// of a counter command, for the box that sent it.
type CounterAck struct {
	ID     string `json:"id,omitempty"`
	Action string `json:"action"`
	OK     bool   `json:"ok"`
	// Ticket, State and Paused: the counter after the command (its
	// ticket, if any), or after its refusal; absent when the command did
	// not run (busy, store: send it again).
	Ticket string `json:"ticket,omitempty"`
	State  string `json:"state,omitempty"`
	Paused *bool  `json:"paused,omitempty"`
	// Reason and Message: why it was refused, as on {root}/errors.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Back: a no-show that goes back to the queue (office.noshow_grace_min),
	// and from when it may be called again.
	Back *Back `json:"back,omitempty"`
	// Ended is the ticket the command finished: done (done, or next after
	// a visit), noshow, or waiting (a transfer: in Service, held for
	// ForCounter; a no-show sent back, as Back says), for the box to
	// show what it did.
	Ended *Ended `json:"ended,omitempty"`
	// OffHours: a next that called nobody because none of the counter's
	// services is open now; Message then says when they open.
	OffHours bool `json:"off_hours,omitempty"`
	// Due: a next that called nobody while a ticket waits that may not be
	// called yet (a no-show's grace, a booked visit's time): Message says
	// which, and when.
	Due *Back `json:"due,omitempty"`
	// Again: the ack of a command delivered again with the same id, which
	// was not done again. A box that sent it once learns that an id it
	// shares with another box (or with its own commands before a reset)
	// stood for this one.
	Again bool      `json:"again,omitempty"`
	At    time.Time `json:"at"`
}

// sentAgain is a stored ack, for a command delivered again: it says so.
func sentAgain(ack *CounterAck) *CounterAck {
	a := *ack
	a.Again = true
	return &a
}

// Ended is a ticket a counter's command finished.
type Ended struct {
	Ticket     string `json:"ticket"`
	State      string `json:"state"`
	Service    string `json:"service"`
	ForCounter string `json:"for_counter,omitempty"`
}

// Back is a no-show's ticket sent back to the queue after its grace.
type Back struct {
	Ticket string    `json:"ticket"`
	After  time.Time `json:"after"`
}

// counterAck is the ack of the command r, which gave res or err.
func (o *Office) counterAck(r counterReq, res queue.CounterResult, err error) *CounterAck {
	now := o.now()
	if r.score != 0 {
		return nil // a rating terminal waits for nothing
	}
	a := CounterAck{ID: r.id, Action: string(r.cmd.Action), OK: err == nil, At: now}
	if err != nil {
		a.Reason, a.Message = refusal(err)
	}
	if !ran(err) {
		return &a // the counter is as the store holds it, not as res says
	}
	a.Paused = &res.Paused
	if res.Ticket != nil {
		a.Ticket, a.State = res.Ticket.Label, string(res.Ticket.State)
	}
	if e := res.Ended; err == nil && e != nil {
		a.Ended = &Ended{Ticket: e.Label, State: string(e.State), Service: e.Service, ForCounter: e.ForCounter}
		switch {
		case r.ticket != "" && e.State == queue.Waiting:
			a.Message = putBackMessage(e.Label, e.ForCounter, r.counter, e.NotBefore.In(now.Location()), now)
		case r.cmd.Action != queue.NoShowed:
		case e.State == queue.Waiting:
			a.Back = &Back{Ticket: e.Label, After: e.NotBefore.In(now.Location())}
		case o.conf().Office.NoShowGraceMin > 0:
			// Not sent back: the specialist is told why, not left to
			// wonder where the grace went.
			a.Message = noShowEndedMessage(e.Label, e.Returned)
		}
	}
	if res.OffHours {
		a.OffHours, a.Message = true, offHoursMessage(res.Opens, now)
	}
	if res.Due != "" {
		at := res.DueAt.In(now.Location())
		a.Due, a.Message = &Back{Ticket: res.Due, After: at}, dueMessage(res.Due, at)
	}
	if r.cmd.Action == queue.Next && err == nil && res.Ticket == nil && a.Message == "" {
		a.Message = msgNobodyWaiting // a box shows it, rather than nothing
	}
	return &a
}

// ack publishes a counter command's ack, if it has one.
func (o *Office) ack(r counterReq, ack *CounterAck) {
	if ack == nil {
		return
	}
	// Not awaited: a broker that hangs must not hold the next command.
	if err := o.bus.Start(bus.CounterAck(o.conf().Root(), r.counter), 1, false, mustJSON(ack)).Err(); err != nil {
		o.log.Debug("office: counter ack not published", "err", err)
	}
}

// serveCounter applies one counter command or rating.
func (o *Office) serveCounter(ctx context.Context, r counterReq) (res queue.CounterResult, err error) {
	ctx, cancel := context.WithDeadline(ctx, r.at.Add(counterStale))
	defer cancel()
	defer func() {
		if errors.Is(err, queue.ErrStale) {
			o.log.Warn("office: a counter command waited too long for the store (is the disk stalling?); not done", "counter", r.counter, "action", r.cmd.Action, "waited", time.Since(r.at).Round(time.Millisecond))
		}
	}()
	switch {
	case r.score != 0:
		_, err = o.eng.Rate(ctx, r.counter, r.score)
		return res, err
	case r.ticket != "":
		return o.eng.CallTicket(ctx, r.counter, r.ticket)
	default:
		return o.eng.Counter(ctx, r.counter, r.cmd)
	}
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// warnOnly keeps a logger's warnings and errors only.
func warnOnly(l *slog.Logger) *slog.Logger {
	return slog.New(levelHandler{slog.LevelWarn, l.Handler()})
}

type levelHandler struct {
	min slog.Level
	slog.Handler
}

func (h levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{h.min, h.Handler.WithAttrs(a)}
}

func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{h.min, h.Handler.WithGroup(name)}
}
