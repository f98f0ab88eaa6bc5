// Command cherga-announcer runs on the announcer box: it subscribes to the
// calls of one office ({root}/announce, docs/mqtt.md) and says them through
// the speakers, a chime and then the clips of each language, one call at a
// time. It follows {root}/load too: while the office is paused it says no
// call, and it says an air-raid alert once when it begins («Увага!
// Повітряна тривога. Пройдіть до найближчого укриття.», then in English) and once
// when it ends («Відбій тривоги. Прийом відновлено.»), in the office's
// languages that -lang has; the log has the text.
//
//	cherga-announcer -broker tcp://cherga.local:1883 -site demo
//	cherga-announcer -broker tcp://127.0.0.1:1883 -out /tmp/calls   # WAV files instead of sound
//
// Its MQTT client id, -id, must be unique on the broker: by default
// cherga-announcer-{site}-{hostname}. Two announcers of one office on one
// broker (two halls) need an -id each.
//
// A subscription the broker refuses (an ACL, or the broker's own state) is
// tried again, the load in the background; a connection lost and made
// again is logged both ways.
//
// The voice is the built-in espeak-ng pack (audio/voice) unless -pack names
// a folder with a manifest.json (see package audio). The queue, merging and
// age rules are audio.Announcer's.
//
// SIGINT or SIGTERM stops taking calls and says the call being said to its
// end, then the ones already queued, for at most
// -drain; a call left then is logged by ticket and counter. The broker has
// them as delivered, so nothing else would say them. A second signal stops
// at once, with the same log.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/audio/voice"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/journal"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

// options are the command line.
type options struct {
	broker   string
	site     string
	pack     string
	out      string
	player   string
	device   string // the ALSA device of aplay (-D)
	maxAge   time.Duration
	gather   time.Duration
	drain    time.Duration
	langs    []string
	clientID string
	user     string
	password string // from -password-file, or $CHERGA_MQTT_PASSWORD
	tls      bus.TLSFiles
	verbose  bool
	// loadWait is how long after subscribing a retained {root}/load is
	// awaited before the log says the account may not read it.
	loadWait time.Duration
	// retry is the first wait before a refused subscription is tried
	// again; the waits double from there.
	retry   time.Duration
	version bool
	// counters are the -counters the announcer says the calls to, as
	// given ("1-9,12"); hears is them read (nil: every counter).
	counters string
	hears    func(counter string) bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("cherga-announcer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.broker, "broker", cmp.Or(os.Getenv("CHERGA_BROKER"), "tcp://127.0.0.1:1883"), "MQTT broker `URL` (tcp://host:port, or over TLS ssl://host:port or mqtts://); $CHERGA_BROKER sets the default")
	fs.StringVar(&o.tls.CA, "cafile", "", "PEM `file` of the CA that signed the broker's certificate, over TLS (default: the system's CAs, or $SSL_CERT_FILE)")
	fs.StringVar(&o.tls.Cert, "cert", "", "PEM `file` of the client certificate, for a broker that asks for one; with -key")
	fs.StringVar(&o.tls.Key, "key", "", "PEM `file` of the client certificate's key")
	fs.StringVar(&o.site, "site", cmp.Or(os.Getenv("CHERGA_SITE"), "demo"), "site id, as site: in the office's file; calls come on qms/{site}/announce; $CHERGA_SITE sets the default")
	fs.StringVar(&o.pack, "pack", "", "clip pack `dir` with a manifest.json (default: the built-in espeak-ng pack)")
	fs.StringVar(&o.out, "out", "", "write each announcement as a WAV file into `dir` instead of playing it")
	fs.StringVar(&o.player, "player", "aplay", "`command` that plays a WAV file given on its standard input")
	fs.StringVar(&o.device, "device", "", "ALSA `device` aplay plays on (aplay -D), such as plughw:1,0 (aplay -l lists the cards); default: ALSA's default, which $ALSA_CARD (a card's number or name) sets too")
	fs.DurationVar(&o.maxAge, "max-age", time.Minute, "drop a call older than this when it arrives (it waited in the controller while the broker was away); a later call to the same counter supersedes a queued one")
	fs.DurationVar(&o.gather, "gather", 500*time.Millisecond, "how long a call waits for its other languages")
	fs.DurationVar(&o.drain, "drain", 30*time.Second, "on SIGINT or SIGTERM, how long to go on saying the calls already queued; the ones left then are logged")
	langs := fs.String("lang", strings.Join(audio.Langs, ","), "languages to say, in order, comma-separated")
	fs.StringVar(&o.counters, "counters", "", "say only the calls to these counters, numbers and ranges such as 1-9,12: the loudspeaker of one hall of an office of several (default: every counter); the air-raid alert is said all the same")
	fs.StringVar(&o.clientID, "id", "", "MQTT client `id`, unique on the broker (two announcers with one id throw each other off and share one session) and stable (the broker keeps its session) (default cherga-announcer-SITE-HOSTNAME)")
	fs.StringVar(&o.user, "user", "", "MQTT user `name`; the password comes from -password-file or $CHERGA_MQTT_PASSWORD, never the command line")
	passFile := fs.String("password-file", "", "`file` whose first line is the MQTT password of -user, readable by its owner only (mode 600) (default: $CHERGA_MQTT_PASSWORD)")
	fs.BoolVar(&o.verbose, "v", false, "log every message")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := config.CheckBrokerURL(o.broker); err != nil {
		return o, fmt.Errorf("-broker: %w", err)
	}
	if o.tls.Any() {
		if !config.IsTLS(o.broker) {
			return o, fmt.Errorf("-cafile, -cert, -key are used only over TLS: -broker must be ssl://host:port (or mqtts://), not %s", config.RedactURL(o.broker))
		}
		if _, err := o.tls.Config(); err != nil {
			return o, fmt.Errorf("-cafile, -cert, -key: %w", err)
		}
	}
	o.password = os.Getenv("CHERGA_MQTT_PASSWORD")
	if *passFile != "" {
		if o.user == "" {
			return o, errors.New("-password-file: give the -user it is the password of")
		}
		pass, err := bus.ReadPasswordFile(*passFile)
		if err != nil {
			return o, fmt.Errorf("-password-file: %w", err)
		}
		o.password = pass
	}
	o.loadWait = loadWait
	o.retry = retryFirst
	if o.clientID == "" {
		// Every Pi is raspberrypi: the site keeps the announcers of
		// offices on one central broker apart.
		o.clientID = strings.TrimSuffix("cherga-announcer-"+o.site+"-"+host, "-")
	}
	for _, l := range strings.Split(*langs, ",") {
		if l = strings.TrimSpace(l); l != "" {
			if !slices.Contains(audio.Langs, l) {
				return o, fmt.Errorf("-lang: the voice does not speak %q (it speaks %s)", l, strings.Join(audio.Langs, ", "))
			}
			o.langs = append(o.langs, l)
		}
	}
	if len(o.langs) == 0 {
		return o, errors.New("-lang: no language")
	}
	if err := config.CheckSite(o.site); err != nil {
		return o, err
	}
	if o.counters != "" {
		hears, err := counterSet(o.counters)
		if err != nil {
			return o, err
		}
		o.hears = hears
		o.counters = strings.ReplaceAll(o.counters, " ", "") // as its presence says them
	}
	if o.maxAge <= 0 || o.gather <= 0 || o.drain <= 0 {
		return o, errors.New("-max-age, -gather and -drain must be positive")
	}
	if len(strings.Fields(o.player)) == 0 && o.out == "" {
		return o, errors.New("-player: no command")
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		journal.Fatal(os.Stderr, "cherga-announcer:", err)
		os.Exit(2)
	}
	if o.version {
		fmt.Println("cherga-announcer", version)
		return
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(journal.Handler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	player, err := newPlayer(o)
	if err != nil {
		journal.Fatal(os.Stderr, "cherga-announcer:", err)
		os.Exit(1)
	}
	a, err := start(o, player, log, nil)
	if err != nil {
		journal.Fatal(os.Stderr, "cherga-announcer:", err)
		os.Exit(1)
	}
	log.Info("cherga-announcer ready", "broker", config.RedactURL(o.broker), "topic", a.topic, "pack", a.pack.String(), "player", player, "version", version)
	<-ctx.Done()
	stop()
	log.Info("cherga-announcer stopping: saying the calls already queued; a second signal stops at once", "drain", o.drain)
	again, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	a.Stop(again)
}

// counterSet reads -counters: counter numbers and ranges of them,
// comma-separated ("1-9,12"), as a test of a call's counter.
func counterSet(s string) (func(counter string) bool, error) {
	type span struct{ lo, hi int }
	var spans []span
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || a < 1 || b < a || b > 9999 {
			return nil, fmt.Errorf("-counters: %q is no counter number (1..9999) nor a range of them (10-19)", part)
		}
		spans = append(spans, span{a, b})
	}
	return func(counter string) bool {
		n, err := strconv.Atoi(counter)
		return err == nil && slices.ContainsFunc(spans, func(s span) bool { return s.lo <= n && n <= s.hi })
	}, nil
}

// loadWait is how long after subscribing a retained {root}/load is
// awaited: the controller always keeps one, so none by then is an
// account the broker does not let read it.
const loadWait = 10 * time.Second

// announcer is the running program: an MQTT subscription feeding an
// audio.Announcer, whose Run is the one loop.
type announcer struct {
	topic string
	pack  *audio.Pack
	ann   *audio.Announcer
	mqtt  paho.Client
	// presence is what the announcer says of itself on
	// {root}/announcer/{id}.
	presence *presence
	quit     chan struct{} // closed by Stop: subscriptions are no longer retried
	drain    time.Duration
	cancel   context.CancelFunc
	done     chan struct{}

	stopOnce sync.Once
}

// newPlayer is the -player command, or the -out folder.
func newPlayer(o options) (audio.Player, error) {
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			return nil, err
		}
		return &audio.DirPlayer{Dir: o.out}, nil
	}
	cmd := strings.Fields(o.player)
	// Say it now, not at the first call.
	if _, err := exec.LookPath(cmd[0]); err != nil {
		return nil, fmt.Errorf("-player: %w (install alsa-utils for aplay, or give -player or -out)", err)
	}
	if o.device != "" {
		if filepath.Base(cmd[0]) != "aplay" {
			return nil, fmt.Errorf("-device is aplay's (-D): give %s its device in -player", cmd[0])
		}
		cmd = append(cmd, "-D", o.device)
	}
	return &audio.CommandPlayer{Command: cmd}, nil
}

// start loads the pack, connects and subscribes; played, when set, sees
// every announcement played or dropped (tests).
func start(o options, player audio.Player, log *slog.Logger, played func(*audio.Announcement, error)) (*announcer, error) {
	loadPack := voice.Load
	if o.pack != "" {
		loadPack = func(langs ...string) (*audio.Pack, error) { return audio.LoadPack(os.DirFS(o.pack), langs...) }
	}
	pack, err := loadPack(o.langs...)
	if err != nil {
		if whole, werr := loadPack(); werr == nil {
			// The pack is whole but lacks a language of -lang (a recorded
			// voice in Ukrainian alone): say what -lang it can take.
			var has []string
			for _, l := range o.langs {
				if slices.Contains(whole.Langs(), l) {
					has = append(has, l)
				}
			}
			if len(has) == 0 {
				has = whole.Langs()
			}
			return nil, fmt.Errorf("pack: %w; give -lang %s to say the languages it has", err, strings.Join(has, ","))
		}
		return nil, fmt.Errorf("pack: %w", err)
	}
	root := "qms/" + o.site
	self := audio.Presence{Online: true, ID: o.clientID, Version: version, Started: time.Now().UTC().Truncate(time.Second), Langs: o.langs, Counters: o.counters}
	if s, ok := player.(fmt.Stringer); ok {
		self.Player = s.String()
	}
	pres := newPresence(root, self)
	ann, err := audio.NewAnnouncer(pack, player, &audio.AnnouncerOpts{
		Langs: o.langs, MaxAge: o.maxAge, Gather: o.gather, Logger: log,
		Played: func(an *audio.Announcement, err error) {
			pres.played(err)
			if played != nil {
				played(an, err)
			}
		},
	})
	if err != nil {
		return nil, err
	}

	topic, load := bus.Announce(root), bus.Load(root)
	// The office paused: nobody is sent to a counter; an air-raid alert,
	// its start and its end, is said. The retained load says so, and says
	// it again at every connect (the announcer says each change once).
	var loads atomic.Int64 // the load messages received
	onLoad := func(_ paho.Client, m paho.Message) {
		loads.Add(1)
		var l struct {
			Paused, Alert bool
			OpenCounters  int `json:"open_counters"`
			Languages     []string
			At, Sent      time.Time
		}
		if len(m.Payload()) == 0 || json.Unmarshal(m.Payload(), &l) != nil {
			return
		}
		ann.Office(audio.OfficeState{Paused: l.Paused, Alert: l.Alert, Open: l.OpenCounters > 0, Langs: l.Languages, At: l.At, Sent: l.Sent, Retained: m.Retained()})
	}
	handle := func(_ paho.Client, m paho.Message) {
		c, err := audio.ParseCall(m.Payload())
		if err != nil {
			log.Warn("cherga-announcer: message ignored", "topic", m.Topic(), "err", err)
			return
		}
		if o.hears != nil && !o.hears(c.Counter) {
			log.Debug("cherga-announcer: a call to a counter of another hall", "id", c.ID, "ticket", c.Ticket, "counter", c.Counter, "counters", o.counters)
			return
		}
		out := ann.Offer(c)
		level := slog.LevelDebug
		if out == audio.Expired || out == audio.Stopped || out == audio.Paused {
			level = slog.LevelWarn // a call nobody will hear
		}
		log.Log(context.Background(), level, "cherga-announcer: call", "id", c.ID, "ticket", c.Ticket, "counter", c.Counter, "lang", c.Lang, "recall", c.Recall, "at", c.At, "outcome", out)
	}
	// A persistent session (stable id, no clean session) keeps the calls
	// made during a short network loss; MaxAge drops the ones that waited
	// too long. Subscribing on every connect covers a broker that restarted
	// empty (the controller's embedded one).
	subscribed := make(chan struct{}, 1)
	var lastErr atomic.Pointer[error] // why the calls are not subscribed, for start
	var conns atomic.Int64            // the connections made: a retry of an older one stops
	quit := make(chan struct{})       // closed when the announcer stops: no more retries
	shown := config.RedactURL(o.broker)
	failures := &bus.Failures{Log: log, Prefix: "cherga-announcer", Broker: shown}
	var started atomic.Bool // the first connection is made: log the failures
	// lost is when the connection was lost, until it is back: the journal
	// of a broker restart then ends with the reconnection, not the warning.
	var lost atomic.Pointer[time.Time]
	tlsc, err := o.tls.Config()
	if err != nil {
		return nil, err
	}
	opts := paho.NewClientOptions().
		AddBroker(bus.PahoURL(o.broker)).
		SetClientID(o.clientID).
		SetUsername(o.user).
		SetPassword(o.password).
		SetProtocolVersion(4). // no fallback to 3.1: it would turn a refused password into "unacceptable protocol version"
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetConnectRetry(false).
		SetMaxReconnectInterval(2*time.Second). // back soon after a restart of the controller and its embedded broker
		SetConnectTimeout(5*time.Second).
		SetKeepAlive(15*time.Second).
		SetWriteTimeout(5*time.Second). // a publish (the presence) waits no longer for a dead link
		SetOrderMatters(true).
		SetBinaryWill(pres.topic, pres.will(), 1, true).
		SetOnConnectHandler(func(c paho.Client) {
			ann.Connected(time.Now()) // what comes in the next moments may be what the broker kept
			pres.connected(c)
			go func() {
				tok := c.Subscribe(pres.topic, 0, nil)
				if !tok.WaitTimeout(10 * time.Second) {
					return // the connection went: the next one subscribes
				}
				err := tok.Error()
				if err == nil {
					err = bus.CheckGrant(tok, pres.topic)
				}
				if err != nil {
					log.Warn("cherga-announcer: cannot follow its own presence (the broker's ACL must let this account read it as well as publish it): a last will the broker publishes after this connection said it is online stays, and the office sees this announcer offline", "topic", pres.topic, "user", o.user, "err", err)
				}
			}()
			started.Store(true)
			failures.Reset()
			if at := lost.Swap(nil); at != nil {
				log.Info("cherga-announcer: connected to the broker", "broker", shown, "away", time.Since(*at).Round(100*time.Millisecond))
			}
			gen := conns.Add(1)
			current := func() bool { return conns.Load() == gen && c.IsConnectionOpen() }
			// The load first: its retained message says whether the office
			// is paused before the calls' subscription brings any. (Calls
			// the broker kept for the session come at once, through the
			// routes; a pause made meanwhile comes before them, kept too.)
			// A subscription refused is tried again, in the background for
			// the load: an ACL may change, and the broker's own state
			// passes.
			before := loads.Load()
			checkLoad := func() {
				time.AfterFunc(o.loadWait, func() {
					if loads.Load() == before && current() {
						log.Warn("cherga-announcer: no retained "+load+" within "+o.loadWait.String()+" of subscribing, and the controller always keeps one: this account may not read it (the broker's ACL must let it read "+load+" as well as "+topic+"), or no controller runs with this -site; meanwhile the announcer will not hear an air-raid alert nor a pause", "topic", load, "user", o.user)
					}
				})
			}
			loadFailed := func(err error, attempts int) {
				if errors.Is(err, bus.ErrSubscriptionRefused) {
					log.Error("cherga-announcer: the broker refused the subscription to the office's load: an ACL (this account may not read it: the broker's ACL must let it read "+load+" as well as "+topic+"), or the broker's own state; trying again; meanwhile the announcer will not hear an air-raid alert nor a pause", "topic", load, "user", o.user, "attempts", attempts)
					return
				}
				log.Error("cherga-announcer: cannot subscribe to the office's load; trying again; meanwhile the announcer will not hear an air-raid alert nor a pause", "topic", load, "err", err, "attempts", attempts)
			}
			if err := subscribeOnce(c, load, onLoad); err == nil {
				checkLoad()
			} else {
				loadFailed(err, 1)
				go func() {
					if keepSubscribing(c, load, onLoad, 1, o.retry, current, quit, log, loadFailed) {
						checkLoad()
					}
				}()
			}
			ok := keepSubscribing(c, topic, handle, 0, o.retry, current, quit, log, func(err error, attempts int) {
				lastErr.Store(&err)
				log.Error("cherga-announcer: cannot subscribe to the calls; trying again", "topic", topic, "err", err, "user", o.user, "attempts", attempts)
			})
			if ok {
				select {
				case subscribed <- struct{}{}:
				default:
				}
			}
		}).
		SetConnectionNotificationHandler(func(_ paho.Client, n paho.ConnectionNotification) {
			// After a loss paho says why it cannot reconnect only at debug level.
			if f, ok := n.(paho.ConnectionNotificationFailed); ok && started.Load() {
				failures.Failed(f.Reason)
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			ann.Disconnected()
			now := time.Now()
			lost.CompareAndSwap(nil, &now)
			log.Warn("cherga-announcer: connection lost; reconnecting", "broker", shown, "err", err)
		})
	if tlsc != nil {
		opts.SetTLSConfig(tlsc)
	}
	client := paho.NewClient(opts)
	// The routes before Connect: right after CONNACK the broker resends
	// what it kept for the session (the calls made while the announcer was
	// down), before the handler of OnConnect has subscribed, and paho
	// neither delivers nor acknowledges a message without a route.
	client.AddRoute(load, onLoad)
	client.AddRoute(topic, handle)
	client.AddRoute(pres.topic, func(_ paho.Client, m paho.Message) { pres.heard(m.Payload()) })
	if tok := client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		close(quit)
		client.Disconnect(0)
		err := tok.Error()
		if err == nil {
			return nil, fmt.Errorf("connect to %s: no answer within 10s (network): %s", shown, bus.Network.Hint())
		}
		why := bus.Classify(err)
		return nil, fmt.Errorf("connect to %s: %v (%s): %s", shown, err, why, why.Hint())
	}
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		close(quit)
		pres.offline(false, time.Second) // it said it runs as it connected
		client.Disconnect(0)
		var err error
		if e := lastErr.Load(); e != nil {
			err = *e
		}
		return nil, subscribeError(topic, err)
	}

	// Not the signal's context: a signal drains the queue (Stop), it does
	// not cut the call being said.
	runCtx, cancel := context.WithCancel(context.Background())
	a := &announcer{topic: topic, pack: pack, ann: ann, mqtt: client, presence: pres, quit: quit, drain: o.drain, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		ann.Run(runCtx) // nil once drained, or the context's error: the stop either way
	}()
	return a, nil
}

// Stop takes no more calls and says the one being said and those already
// queued, for at most -drain or until ctx ends; then it cuts the call being
// said, and the announcer logs every call left by ticket and counter. It
// returns once the player is done.
func (a *announcer) Stop(ctx context.Context) {
	// Calls that come now stay with the broker for our session: the next
	// start gets them, if they are still fresh.
	a.stopOnce.Do(func() { close(a.quit) })
	a.presence.offline(true, time.Second)
	a.mqtt.Disconnect(250)
	a.ann.Drain()
	ctx, cancel := context.WithTimeout(ctx, a.drain)
	defer cancel()
	select {
	case <-a.done:
	case <-ctx.Done():
	}
	a.cancel()
	<-a.done
}

// Close is Stop within -drain.
func (a *announcer) Close() { a.Stop(context.Background()) }
