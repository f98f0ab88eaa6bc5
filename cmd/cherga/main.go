// Command cherga is the queue controller of one office: kiosks, printers,
// counter buttons, boards and voice over MQTT, state in one bbolt file.
//
// With no flags it runs the default office (firmware-config/default.yaml,
// built in) with an embedded MQTT broker on 127.0.0.1:1883. Every flag
// overrides the configuration file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // the office time zone must load on a box without tzdata

	"github.com/cherga/cherga/device"
	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/journal"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	var (
		cfgPath = flag.String("config", "", "office configuration `file` (default: the built-in default office)")
		db      = flag.String("db", "", "bbolt state `file` (default: the config's db)")
		brk     = flag.String("broker", "", "MQTT broker: embedded, tcp://host:port, or over TLS ssl://host:port (or mqtts://) (default: the config's, embedded)")
		caFile  = flag.String("cafile", "", "PEM `file` of the CA that signed the broker's certificate, over TLS (default: the config's broker.ca_file, else the system's CAs or $SSL_CERT_FILE)")
		cert    = flag.String("cert", "", "PEM `file` of the client certificate, for a broker that asks for one (default: the config's broker.cert_file); with -key")
		key     = flag.String("key", "", "PEM `file` of the client certificate's key (default: the config's broker.key_file)")
		listen  = flag.String("listen", "", "`address` of the embedded broker (default: the config's, 127.0.0.1:1883; port 0 picks a free one)")
		prn     = flag.String("printer", "", "ticket printer of every kiosk: serial:/dev/ttyUSB0?baud=19200, /dev/usb/lp0, tcp://host:9100 or none")
		site    = flag.String("site", "", "site id; MQTT topics live under qms/{site}")
		rename  = flag.Bool("rename-site", false, "start on a state file that last ran as another site: the office was renamed (without it such a file is refused, as a copy of another office's may be); give it once")
		showVer = flag.Bool("version", false, "print the version and exit")
		check   = flag.Bool("check", false, "check the configuration file (-config, or the built-in office) and exit: 0 and ok, or 2 and its errors; it opens neither the state file nor the broker, so it runs beside a controller that runs")
		verify  = flag.Bool("verify", false, "check the state file (-db, or the config's) and exit: 0 sound, 1 not (run it on a copy from store.backup, or with the controller stopped)")
		compact = flag.String("compact", "", "write the state file (-db, or the config's), with the controller stopped, into the new `file` without its free pages, checked first, and exit: 0 written, 1 not; put the file in the state file's place (README)")
		verbose = flag.Bool("v", false, "log debug messages")
	)
	// A wrong flag (in CHERGA_ARGS, say) is why cherga does not start:
	// said as its other last words are, as an error to the journal.
	flag.CommandLine.Init(os.Args[0], flag.ContinueOnError)
	if err := flag.CommandLine.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		journal.Fatal(os.Stderr, "cherga:", err)
		os.Exit(2)
	}
	if *showVer {
		fmt.Printf("cherga %s (store format %d)\n", version, queue.StoreFormat)
		return
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(journal.Handler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// A pin taken that is worth a word (the serial port's): said by -check
	// as its other warnings are, logged at a start.
	pinWarn := func(e *device.PinError) { log.Warn("cherga: " + e.Error()) }
	if *check {
		pinWarn = func(e *device.PinError) { fmt.Println("cherga: warning:", e) }
	}
	cfg, err := loadConfig(*cfgPath, pinWarn)
	if err != nil {
		if *check {
			os.Exit(checkFailed(os.Stderr, *cfgPath, err))
		}
		journal.Fatal(os.Stderr, "cherga:", err)
		os.Exit(2)
	}
	if *site != "" {
		cfg.Site = *site
		if err := cfg.Validate(); err != nil {
			journal.Fatal(os.Stderr, "cherga: -site:", err)
			os.Exit(2)
		}
	}
	if msg := siteEnvMismatch(os.Getenv("CHERGA_SITE"), cfg.Site); msg != "" {
		log.Warn(msg, "CHERGA_SITE", os.Getenv("CHERGA_SITE"), "site", cfg.Site)
	}
	if *check {
		if err := checkProfiles(cfg); err != nil {
			os.Exit(checkFailed(os.Stderr, *cfgPath, err))
		}
		name := *cfgPath
		if name == "" {
			name = "the built-in office"
		}
		checked(os.Stdout, name, cfg, *cfgPath == "")
		return
	}

	storePath := cfg.DB
	if *db != "" {
		storePath = *db
	}
	if *compact != "" {
		before, _ := os.Stat(storePath)
		n, err := queue.Compact(storePath, *compact)
		if err != nil {
			journal.Fatal(os.Stderr, "cherga:", err)
			os.Exit(1)
		}
		was := ""
		if before != nil {
			was = fmt.Sprintf(" (the state file: %.1f MB)", float64(before.Size())/(1<<20))
		}
		fmt.Printf("cherga: %s compacted into %s: %.1f MB%s\n", storePath, *compact, float64(n)/(1<<20), was)
		return
	}
	if *verify {
		if err := queue.Verify(storePath, cfg); errors.Is(err, queue.ErrEmpty) {
			journal.Fatal(os.Stderr, fmt.Sprintf("cherga: %v; no damage: cherga starts a new, empty office on it, but as a backup it holds nothing", err))
			os.Exit(1)
		} else if err != nil {
			journal.Fatal(os.Stderr, "cherga:", err)
			os.Exit(1)
		}
		if site, err := office.StoreSite(storePath); err == nil && site != "" && site != cfg.Site {
			// Sound, and refused at start all the same.
			journal.Fatal(os.Stderr, fmt.Sprintf("cherga: %s is sound, but it is the state file of site %q, not this office's %q: cherga refuses to start on it (a renamed office: start once with -rename-site, README; another office's file: put this office's own, or its latest backup, there)", storePath, site, cfg.Site))
			os.Exit(1)
		}
		fmt.Println("cherga:", storePath, "is sound")
		return
	}

	tlsFiles := bus.TLSFiles{CA: *caFile, Cert: *cert, Key: *key}
	if *brk != "" && *brk != "embedded" {
		if err := config.CheckBrokerURL(*brk); err != nil {
			journal.Fatal(os.Stderr, "cherga: -broker:", err)
			os.Exit(2)
		}
	}
	if tlsFiles.Any() {
		// Said now, as a file's error would be: the flags win over it.
		if _, err := tlsFiles.Or(bus.TLSFiles{CA: cfg.Broker.CAFile, Cert: cfg.Broker.CertFile, Key: cfg.Broker.KeyFile}).Config(); err != nil {
			journal.Fatal(os.Stderr, "cherga: -cafile, -cert, -key:", err)
			os.Exit(2)
		}
	}

	if *prn != "" {
		if err := printer.CheckSpec(*prn); err != nil {
			journal.Fatal(os.Stderr, "cherga: -printer:", err)
			os.Exit(2)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o, err := office.Start(ctx, office.Opts{
		Config:     cfg,
		Builtin:    *cfgPath == "",
		DB:         *db,
		Broker:     *brk,
		TLS:        tlsFiles,
		Listen:     *listen,
		Printer:    *prn,
		RenameSite: *rename,
		Version:    version,
		Logger:     log,
	})
	if err != nil {
		journal.Fatal(os.Stderr, "cherga:", err)
		os.Exit(1)
	}
	if warn := exampleStatusURL(cfg); warn != "" && *cfgPath != "" {
		log.Warn("cherga: " + warn)
	}
	if msg := brokerEnvMismatch(os.Getenv("CHERGA_BROKER"), o.BrokerURL()); msg != "" {
		log.Warn(msg, "CHERGA_BROKER", config.RedactURL(os.Getenv("CHERGA_BROKER")), "broker", config.RedactURL(o.BrokerURL()))
	}
	log.Info("cherga ready", "site", cfg.Site, "broker", config.RedactURL(o.BrokerURL()), "root", cfg.Root(), "db", o.Engine().Path(), "version", version)
	select {
	case <-ctx.Done():
	case <-o.Broken():
		// systemd (Restart=always) starts it again in 2 s, and the new
		// run reads the file as it is.
		log.Error("cherga: the store cannot be trusted after a failed write: stopping, so that a restart reads the state file afresh")
	}
	log.Info("cherga stopping")
	if err := o.Close(); err != nil {
		journal.Fatal(os.Stderr, "cherga:", err)
		os.Exit(1)
	}
}

// checkFailed says, one a line, what is wrong with the configuration file
// (for -check), each line naming the file (none: the built-in office), and
// gives the exit status: 2.
func checkFailed(w io.Writer, file string, err error) int {
	var errs config.Errors
	if errors.As(err, &errs) {
		prefix := "cherga:"
		if file != "" {
			prefix += " " + file + ":"
		}
		for _, fe := range errs {
			fmt.Fprintln(w, prefix, fe)
		}
	} else {
		fmt.Fprintln(w, "cherga:", err)
	}
	return 2
}

// checked says that the configuration file is sound (for -check), with
// what a config.set would refuse or warn of but a start takes: a prefix
// citizens may misread, two counters on one AWTRIX matrix; and, of a file
// (not the built-in office, the simulator's), default.yaml's example QR
// address.
func checked(w io.Writer, name string, cfg *config.Config, builtin bool) {
	for _, warn := range cfg.PrefixWarnings() {
		fmt.Fprintln(w, "cherga: warning:", warn)
	}
	if err := cfg.SharedMatrix(); err != nil {
		fmt.Fprintln(w, "cherga: warning:", err)
	}
	if warn := exampleStatusURL(cfg); warn != "" && !builtin {
		fmt.Fprintln(w, "cherga: warning:", warn)
	}
	if cfg.Site == "demo" && cfg.Broker.URL != "" && cfg.Broker.URL != "embedded" {
		fmt.Fprintln(w, "cherga: warning:", config.DemoSiteShared)
	}
	fmt.Fprintln(w, "cherga:", name, "ok")
}

// exampleHost is the host of the status_url default.yaml ships: an
// example for the simulator, which no citizen's phone reaches.
const exampleHost = "cherga.local"

// exampleStatusURL warns of an office that prints the example QR code
// (default.yaml's, left as it was at the installation), "" otherwise.
func exampleStatusURL(cfg *config.Config) string {
	u, err := url.Parse(cfg.Office.StatusURL)
	if err != nil || !strings.EqualFold(u.Hostname(), exampleHost) {
		return ""
	}
	return fmt.Sprintf("office.status_url %q is the example address of default.yaml: every ticket prints a QR code that citizens' phones cannot open; make it the address of the office website's ticket page, or \"\" to print none", cfg.Office.StatusURL)
}

// loadConfig reads the office (the built-in one without a path) and checks
// its GPIO assignment against the Raspberry Pi header, naming the pin and
// the line of the file when a button takes a pin it must not; warn (if
// set) is given a pin taken that is worth a word.
func loadConfig(path string, warn func(*device.PinError)) (*config.Config, error) {
	var raw []byte
	var cfg *config.Config
	var err error
	name := path
	if path == "" {
		name = "firmware-config/default.yaml"
		cfg = firmwareconfig.Default()
		raw, err = firmwareconfig.Raw("default.yaml")
	} else {
		if cfg, err = config.Load(path); err != nil {
			return nil, err
		}
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	return cfg, checkPins(cfg, name, raw, warn)
}

// checkProfiles refuses a kiosk whose printer's profile names no model
// (not built in, not in printers.yaml, not in the file's
// printer_profiles), as the start does: for -check.
func checkProfiles(cfg *config.Config) error {
	var errs config.Errors
	for i, k := range cfg.Kiosks {
		if _, err := firmwareconfig.PrinterProfile(k.Profile, cfg.PrinterProfiles); err != nil {
			f := fmt.Sprintf("kiosks[%d].profile", i)
			errs = append(errs, &config.FieldError{Field: f, Message: err.Error(), Where: cfg.Where(f)})
		}
	}
	if errs != nil {
		return errs
	}
	return nil
}

func checkPins(cfg *config.Config, name string, raw []byte, warn func(*device.PinError)) error {
	mapYAML, err := firmwareconfig.PinMap(cfg.GPIO.Board)
	if err != nil {
		return fmt.Errorf("%s: gpio.board: no pin map %q (have %s)", name, cfg.GPIO.Board, strings.Join(firmwareconfig.PinMaps(), ", "))
	}
	pm, err := device.ParsePinMap(cfg.GPIO.Board+".yaml", mapYAML)
	if err != nil {
		return err
	}
	uses, err := device.PinUses(raw)
	if err != nil {
		return err
	}
	if err := pm.Check(name, uses, &device.PinCheckOpts{Allow: cfg.GPIO.Allow, Warn: warn}); err != nil {
		return err
	}
	// The check takes P1_11, BCM17 or gpio17 for GPIO17; the GPIO driver
	// knows only GPIO17: open every pin by that name.
	canon := func(p *string) {
		if hp, ok := pm.Lookup(*p); ok && *p != "" {
			*p = hp.Name
		}
	}
	for i := range cfg.Kiosks {
		k := &cfg.Kiosks[i]
		canon(&k.Buzzer)
		for j := range k.Buttons {
			canon(&k.Buttons[j].Pin)
			canon(&k.Buttons[j].Lamp)
		}
	}
	for i := range cfg.Counters {
		c := &cfg.Counters[i]
		canon(&c.Lamp)
		for a, p := range c.Buttons {
			canon(&p)
			c.Buttons[a] = p
		}
	}
	return nil
}

// brokerEnvMismatch is the warning when $CHERGA_BROKER names another
// broker than the one the controller uses (a central broker set in
// office.yaml, /etc/default/cherga left as installed): the backup timer,
// the announcer and chergactl would find no controller there. "" when
// alike (mqtt:// as tcp://, localhost as 127.0.0.1) or unset.
func brokerEnvMismatch(env, used string) string {
	if env == "" || sameBroker(env, used) {
		return ""
	}
	return fmt.Sprintf("cherga: CHERGA_BROKER (%s, from the environment: under systemd, /etc/default/cherga) is not the broker this controller uses (%s): the backup timer, the announcer and chergactl read it and would find no controller there; make the two alike",
		config.RedactURL(env), config.RedactURL(used))
}

// sameBroker reports whether two broker URLs reach one broker: the same
// scheme (mqtt:// is tcp://; mqtts://, tls://, tcps:// are ssl://), host
// (localhost, and an embedded broker's listening on every address, 0.0.0.0
// or ::, are 127.0.0.1) and port (1883, or 8883 over TLS, when none).
func sameBroker(a, b string) bool {
	norm := func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return s
		}
		scheme := map[string]string{"mqtt": "tcp", "mqtts": "ssl", "tls": "ssl", "tcps": "ssl"}[u.Scheme]
		if scheme == "" {
			scheme = u.Scheme
		}
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if host == "localhost" || host == "::1" || host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			host = "127.0.0.1"
		}
		if port == "" {
			port = map[string]string{"tcp": "1883", "ssl": "8883"}[scheme]
		}
		return scheme + "://" + net.JoinHostPort(host, port)
	}
	return norm(a) == norm(b)
}

// siteEnvMismatch is the warning when $CHERGA_SITE (/etc/default/cherga,
// which the unit reads) names another site than the office's: the backup
// timer, the announcer and chergactl read it, and would ask a site nobody
// runs (the backups fail every night, unseen). "" when alike or unset.
func siteEnvMismatch(env, site string) string {
	if env == "" || env == site {
		return ""
	}
	return fmt.Sprintf("cherga: CHERGA_SITE (%s, from the environment: under systemd, /etc/default/cherga) is not this office's site (%s): the backup timer, the announcer and chergactl read it and would ask a site nobody runs; make the two alike (a renamed office: README, -rename-site)", env, site)
}
