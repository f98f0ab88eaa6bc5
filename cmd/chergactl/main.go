// Command chergactl is the administrator's command line: it sends one
// request to {root}/admin/req over MQTT and prints the answer.
//
//	chergactl -broker tcp://127.0.0.1:1883 tickets.list
//	chergactl counter.close counter=5
//	chergactl events.replay from_seq=100
//	chergactl -args '{"ticket":"А023"}' ticket.void
//	chergactl -args '{"patch":{"office":{"hours":{"fri":"09:00-15:00"}}}}' config.set
//	chergactl -args '{"config":{…as config.get gave it, edited…},"base_version":24}' config.set
//	chergactl -args @office.json config.set       # the JSON from a file; -args - from standard input
//	chergactl -user admin -password-file /etc/cherga/mqtt-admin.pass stats.get
package main

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/config"
)

var version = "dev"

// ops are the ops of docs/mqtt.md, each with its usage for -h and for
// chergactl help OP.
var ops = []struct{ name, usage string }{
	{"config.get", "config.get: the running configuration (secrets removed) and its version"},
	{"config.set", `config.set office.recall_limit=5 office.hours.sat=closed [expire=true] …: settings by their paths
             in the file, a value that reads as JSON (5, true, a ["list"]) taken as such, any other as text
             (quote digits meant as text: office.footer='"0 800 123 456"');
             the same as -args '{"patch":{"office":{"recall_limit":5}},"author":"me"}'   (or {"config":{…whole…}})
             add "base_version":N, the version config.get gave with what you edited:
             if another administrator changed it since, it is refused (conflict), not undone;
             a change that would send waiting citizens home is refused unless "expire":true;
             a patch replaces a whole list: one that leaves out items (counters, holidays)
             is refused unless "remove":true;
             without "author", $SUDO_USER, else $USER, else the account is sent as the author`},
	{"config.history", "config.history [version=N]: the recorded versions of the configuration, newest first;\n             with version=N, that one whole (to compare, or to roll back to)"},
	{"config.rollback", "config.rollback version=N [author=…] [expire=true]   (author: $SUDO_USER, else $USER, else the account, by default)"},
	{"office.state", "office.state: the pauses, each counter's board and each queue, as they stand"},
	{"office.pause", `office.pause [reason="повітряна тривога"] [alert=true|false]: alert (without it: a reason that names an alert) sends citizens to the shelter;
             an alert in force ends only with office.resume, alert=false or a reason of the all-clear
             ("відбій тривоги"): paused again with another reason, it stays an alert;
             a reason in both languages, reason="нарада / staff meeting", gives the kiosks each half in its language`},
	{"office.resume", "office.resume: ends the office's pause (an air-raid alert's too): the kiosks issue and the counters call again"},
	{"service.pause", `service.pause service=pension [reason="закінчилися бланки / the forms ran out"]: the kiosks issue no ticket of it;
             those already waiting are still called`},
	{"service.resume", "service.resume service=pension: the kiosks issue its tickets again"},
	{"counter.close", "counter.close counter=5: the counter calls no one; its board says «Перерва» once its current\n             ticket is ended (done, no-show); the tickets held for it go back to the queue"},
	{"counter.open", "counter.open counter=5: the counter calls again"},
	{"counter.pause", "counter.pause counter=5: as counter.close"},
	{"counter.resume", "counter.resume counter=5: as counter.open"},
	{"tickets.list", "tickets.list [service=social] [state=waiting] [day=2026-11-23] [from_id=N]: a day's tickets in id order,\n             a page at a time (from_id=next_id for the next)"},
	{"numbering.continue", `numbering.continue service=social after=42: today's next ticket of the service is А043
             (after restoring a backup taken earlier in the day: the numbers handed out
             since are not given out again); a numbering only goes forward`},
	{"ticket.call", `ticket.call ticket=А023 counter=5 [end=true]: calls a waiting ticket to a counter out of order;
             refused while the counter has a ticket (its specialist may be serving it),
             unless end=true, which ends that ticket as done (one called less than
             office.next_guard_s ago goes back to wait, first for that counter)`},
	{"ticket.void", "ticket.void ticket=А023 [reason=…]: ends a waiting ticket, which is then never called (its citizen\n             left); a called one is ended at its counter"},
	{"ticket.reprint", "ticket.reprint ticket=А023 [kiosk=k1]: prints a waiting or called ticket again, marked «ДУБЛІКАТ»,\n             on its own kiosk's printer by default"},
	{"appointment.slots", "appointment.slots service=pension day=2026-12-09: the times a visit may be booked for that day,\n             with how many visits each still takes (services[].booking)"},
	{"appointment.book", `appointment.book slot=pension/2026-12-09/10:00 name="Олена Петренко" [author=…]: books a visit;
             the answer's code is what the citizen scans at a kiosk on the day (or tells the reception)`},
	{"appointment.cancel", "appointment.cancel code=K7M2QX9A [reason=…]: cancels a booking; its place in the slot is free again"},
	{"appointment.list", "appointment.list day=2026-12-09 [service=pension], or code=K7M2QX9A: the bookings, with names and codes"},
	{"stats.get", `stats.get [day=2026-11-23]: one day's figures (default today)
             stats.get from=2026-11-01 to=2026-11-30, or month=2026-11: the range's,
             its p50/p90 over every wait in it (never average the days' p50/p90);
             rating_avg is 0 with no ratings: weigh it by ratings
             -csv stats.get month=2026-11 > nov.csv: a table for a spreadsheet, a row
             per day and per total, service, counter, hour, and the range's rows;
             a mean, percentile or longest of nothing (no ratings, no wait) is empty`},
	{"store.backup", "store.backup path=/var/backups/cherga/cherga.db [compact=true]: a consistent copy of the state file,\n             taken while the office runs, on the controller's machine"},
	{"events.replay", "events.replay from_seq=N [max=N]: the events from that seq on (an integration that was\n             offline catches up); while more is true, ask again from next_seq"},
	{"clock.trust", "clock.trust: believe the clock as it is now, when it is right and the controller holds\n             back (no ticket issued, reason clock) for a clock it saw behind or jumping ahead"},
}

const usageHead = `usage: chergactl [flags] OP [key=value ...]
       chergactl help [OP]

OPs (docs/mqtt.md):
`

const usageTail = `
A broker with accounts: -user NAME, and the password in the first line of
-password-file FILE (mode 600: one that others may read is refused) or in
$CHERGA_MQTT_PASSWORD, never on the command line, where every user of the
machine sees it (ps). A broker over TLS: -broker ssl://host:8883, with
-cafile (the CA of the broker's certificate) and, for a broker that asks
for one, -cert and -key.

Exit status: 0 done (the result on standard output); 1 the controller
refused the request or found nothing (its error, as JSON, on standard
output), or no answer came (why, on standard error); 2 a wrong command line.

flags:
`

// help prints the usage of op, or the whole usage for op "", and gives the
// exit status: 2 for an op it does not know.
func help(fs *flag.FlagSet, op string, stdout, stderr io.Writer) int {
	for _, o := range ops {
		if o.name == op {
			fmt.Fprintln(stdout, "usage: chergactl [flags]", o.usage)
			return 0
		}
	}
	w, status := stdout, 0
	if op != "" {
		w, status = stderr, 2
		fmt.Fprintf(w, "chergactl: help: no op %q\n", op)
	}
	fmt.Fprint(w, usageHead)
	for _, o := range ops {
		fmt.Fprintln(w, "  "+o.usage)
	}
	fmt.Fprint(w, usageTail)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	return status
}

func main() {
	os.Exit(ctl(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// ctl runs chergactl with the command line args and returns its exit
// status: 0 done, 1 refused or failed, 2 a wrong command line.
func ctl(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("chergactl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		broker   = fs.String("broker", cmp.Or(getenv("CHERGA_BROKER"), "tcp://127.0.0.1:1883"), "MQTT broker `URL`: tcp://host:port, or over TLS ssl://host:port (or mqtts://); $CHERGA_BROKER sets the default")
		caFile   = fs.String("cafile", "", "PEM `file` of the CA that signed the broker's certificate, over TLS (default: the system's CAs, or $SSL_CERT_FILE)")
		certFile = fs.String("cert", "", "PEM `file` of the client certificate, for a broker that asks for one; with -key")
		keyFile  = fs.String("key", "", "PEM `file` of the client certificate's key")
		site     = fs.String("site", cmp.Or(getenv("CHERGA_SITE"), "demo"), "site id, as site: in the office's file; topics under qms/{site}; $CHERGA_SITE sets the default")
		user     = fs.String("user", "", "MQTT user `name`, for a broker with accounts")
		passFile = fs.String("password-file", "", "`file` whose first line is the MQTT password of -user (default: $CHERGA_MQTT_PASSWORD)")
		rawArgs  = fs.String("args", "", "the request's args as a `JSON` object, instead of key=value words; @FILE reads it from FILE, - from standard input")
		timeout  = fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
		showVer  = fs.Bool("version", false, "print the version and exit")
		csvOut   = fs.Bool("csv", false, "stats.get only: print a CSV table for a spreadsheet (UTF-8, a header row): one row per day for the total, each service, each counter and each hour; a range (from=, to=, or month=) asks day by day and adds the range's rows")
		readOnly = fs.Bool("read", false, "send on {root}/read/req, for an account the broker lets only read: office.state, stats.get, tickets.list, events.replay, config.get, config.history")
		booking  = fs.Bool("book", false, "send on {root}/book/req, for a booking website's account: appointment.slots, appointment.book, appointment.cancel")
	)
	fs.Usage = func() { help(fs, "", stderr, stderr) }
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "chergactl:", err)
		return code
	}
	parse := func(args []string) (status int, ok bool) {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return 0, false
		} else if err != nil {
			return 2, false
		}
		return 0, true
	}
	if status, ok := parse(args); !ok {
		return status
	}
	if *showVer {
		fmt.Fprintln(stdout, "chergactl", version)
		return 0
	}
	if fs.NArg() < 1 {
		fs.Usage()
		return 2
	}
	op := fs.Arg(0)
	if op == "help" {
		return help(fs, fs.Arg(1), stdout, stderr)
	}
	// Flags may also follow the OP (chergactl config.set -args '{…}'),
	// -h too: the OP's usage.
	fs.Usage = func() { help(fs, op, stderr, stderr) }
	if status, ok := parse(fs.Args()[1:]); !ok {
		return status
	}
	if err := config.CheckSite(*site); err != nil {
		return fail(2, err)
	}
	if err := config.CheckBrokerURL(*broker); err != nil {
		return fail(2, fmt.Errorf("-broker: %w", err))
	}
	acct, err := login(*user, *passFile, getenv)
	if err != nil {
		return fail(2, err)
	}
	tlsFiles := bus.TLSFiles{CA: *caFile, Cert: *certFile, Key: *keyFile}
	if tlsFiles.Any() && !config.IsTLS(*broker) {
		return fail(2, fmt.Errorf("-cafile, -cert, -key are used only over TLS: -broker must be ssl://host:port (or mqtts://), not %s", config.RedactURL(*broker)))
	}
	if acct.tls, err = tlsFiles.Config(); err != nil {
		return fail(2, fmt.Errorf("-cafile, -cert, -key: %w", err))
	}
	if *readOnly && *booking {
		return fail(2, errors.New("-read and -book are two doors: give one"))
	}
	acct.read, acct.book = *readOnly, *booking
	reqArgs, err := buildArgs(op, *rawArgs, fs.Args(), stdin)
	if err != nil {
		return fail(2, err)
	}
	if authored[op] {
		reqArgs = withAuthor(reqArgs, getenv)
	}
	// Neither -site nor $CHERGA_SITE: the default site, which may not be
	// the office's. The site that answers is said on standard error.
	to := tell{w: stderr, unnamed: getenv("CHERGA_SITE") == ""}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "site" {
			to.unnamed = false
		}
	})
	do := run
	if *csvOut {
		if op != "stats.get" {
			return fail(2, fmt.Errorf("-csv is for stats.get, not %s", op))
		}
		do = func(to tell, w io.Writer, broker string, acct account, root, _ string, args json.RawMessage, timeout time.Duration) (int, error) {
			return runCSV(to, w, stderr, broker, acct, root, args, timeout)
		}
	}
	code, err := do(to, stdout, *broker, acct, "qms/"+*site, op, reqArgs, *timeout)
	if err != nil {
		return fail(1, err)
	}
	return code
}

// jsonObject says what is wrong with the JSON object b, and where: the
// line and column of the character at fault (or just past the end), as an
// editor counts them, and the text of its line up to it.
func jsonObject(b []byte) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errors.New("empty: want a JSON object {…}")
	}
	var v any
	err := json.Unmarshal(b, &v)
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		// Offset is just past the byte at fault, or the length at an
		// unexpected end.
		at := int(syn.Offset)
		msg := syn.Error()
		if at > 0 && at <= len(b) && strings.HasPrefix(msg, "invalid character ") {
			at--
			// encoding/json names the first byte of a multi-byte
			// character: 'Ð' for 'А'.
			if r, _ := utf8.DecodeRune(b[at:]); r >= utf8.RuneSelf {
				msg = strings.Replace(msg, "'"+string(rune(b[at]))+"'", strconv.QuoteRune(r), 1)
			}
		}
		at = min(at, len(b))
		start := bytes.LastIndexByte(b[:at], '\n') + 1
		_, size := utf8.DecodeRune(b[at:])
		near := []rune(string(b[start : at+size]))
		if len(near) > 24 {
			near = append([]rune("…"), near[len(near)-24:]...)
		}
		if len(near) > 0 {
			msg += " (the line up to there: " + string(near) + ")"
		}
		return fmt.Errorf("line %d, column %d: %s", bytes.Count(b[:at], []byte("\n"))+1, utf8.RuneCount(b[start:at])+1, msg)
	}
	if err != nil {
		return err
	}
	if _, ok := v.(map[string]any); !ok {
		return fmt.Errorf("want a JSON object {…}, not %s", bytes.TrimSpace(b))
	}
	return nil
}

// account is who chergactl is on the broker; the zero account is anonymous.
type account struct {
	user, password string
	tls            *tls.Config // nil: plain, or the system's CAs
	// read: the account may only read (office.state, stats.get, …): its
	// requests go on {root}/read/req, answered on {root}/read/res/{id};
	// book: a booking website's, on {root}/book/req.
	read, book bool
}

// door is the topic under the root that the account's requests go through.
func (a account) door() string {
	switch {
	case a.read:
		return "read"
	case a.book:
		return "book"
	}
	return "admin"
}

// login makes the account of -user: its password is the first line of
// passFile, or else $CHERGA_MQTT_PASSWORD.
func login(user, passFile string, getenv func(string) string) (account, error) {
	if passFile == "" {
		if user == "" {
			return account{}, nil
		}
		return account{user: user, password: getenv("CHERGA_MQTT_PASSWORD")}, nil
	}
	if user == "" {
		return account{}, errors.New("-password-file: give the -user it is the password of")
	}
	pass, err := bus.ReadPasswordFile(passFile)
	if err != nil {
		return account{}, fmt.Errorf("-password-file: %w", err)
	}
	return account{user: user, password: pass}, nil
}

// numericArgs are the args that are numbers (docs/mqtt.md); every other
// value is text, even when it looks like a number: ticket=006, reason=1,
// counter=5 (a counter id is text that the office also takes as a number).
var numericArgs = map[string]bool{"version": true, "base_version": true, "from_seq": true, "from_id": true, "max": true, "after": true}

// boolArgs are the args that are true or false. Both lists are the
// office's (TestArgKindsAreTheOffice).
var boolArgs = map[string]bool{"expire": true, "alert": true, "remove": true, "compact": true, "end": true}

// buildArgs makes the args object of op from -args or key=value words.
// raw is -args as given: a JSON object, or @FILE, or - for standard input.
// Of the words, the values of numericArgs become JSON numbers, of boolArgs
// true or false, the others strings; for config.set, a word whose key is
// a setting's path (office.hours.sat=closed) goes into its merge patch.
func buildArgs(op, raw string, words []string, stdin io.Reader) (json.RawMessage, error) {
	if raw != "" {
		if len(words) > 0 {
			return nil, fmt.Errorf("give either -args or key=value words, not both")
		}
		name, b := "-args", []byte(raw)
		var err error
		switch {
		case raw == "-":
			name = "-args - (standard input)"
			b, err = io.ReadAll(stdin)
		case strings.HasPrefix(raw, "@"):
			name = "-args " + raw
			b, err = os.ReadFile(raw[1:])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// Notepad saves UTF-8 with a byte order mark first, which JSON
		// does not have.
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		if err := jsonObject(b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return json.RawMessage(b), nil
	}
	m := map[string]any{}
	var paths []string // config.set's settings by their paths
	whole := ""        // or its patch, or config, as a word
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", w)
		}
		if strings.HasPrefix(k, "-") {
			return nil, fmt.Errorf("%q: flags go before the key=value words", w)
		}
		if op == "config.set" && strings.Contains(k, ".") {
			for _, g := range paths {
				if g == k || strings.HasPrefix(k, g+".") || strings.HasPrefix(g, k+".") {
					return nil, fmt.Errorf("%q: %s is given twice, or with settings inside it (%s)", w, k, g)
				}
			}
			if err := setPath(m, k, v); err != nil {
				return nil, fmt.Errorf("%q: %w", w, err)
			}
			paths = append(paths, k)
			continue
		}
		if op == "config.set" && (k == "patch" || k == "config") {
			whole = k
			// A document, not a text: patch='{"office":{"recall_limit":4}}'.
			if err := jsonObject([]byte(v)); err != nil {
				return nil, fmt.Errorf("%q: %s is a JSON object (%v); or give each setting by its path: office.recall_limit=4", w, k, err)
			}
			m[k] = json.RawMessage(v)
			continue
		}
		if boolArgs[k] {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%q: %s is true or false", w, k)
			}
			m[k] = b
			continue
		}
		if !numericArgs[k] {
			m[k] = v
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %s is a whole number, 0 or more", w, k)
		}
		m[k] = n
	}
	if len(paths) > 0 && whole != "" {
		return nil, fmt.Errorf("give the settings by their paths (%s=…) or as %s, not both: %s would replace them", paths[0], whole, whole)
	}
	return json.Marshal(m)
}

// setPath puts a setting given by its path in the configuration
// (office.hours.sat) into the merge patch of args: the value as the JSON
// it reads as (5, true, ["2026-12-25"], "0441234567" in quotes for digits
// meant as text, null, which takes the setting away), else as text
// (closed, 09:00-14:00, Дякуємо).
func setPath(args map[string]any, path, value string) error {
	var v any
	if json.Unmarshal([]byte(value), &v) != nil {
		if strings.Contains(value, `\n`) {
			// As default.yaml writes the footer's line break: as text it
			// would print a backslash and an n on every ticket.
			return fmt.Errorf("%s: \\n in text is a backslash and an n, not a line break: give the text as JSON, %s='\"first line\\nsecond line\"'", path, path)
		}
		v = value
	}
	patch, _ := args["patch"].(map[string]any)
	if patch == nil {
		patch = map[string]any{}
		args["patch"] = patch
	}
	steps := strings.Split(path, ".")
	if slices.Contains(steps, "") {
		return fmt.Errorf("%s: a setting's path is its keys joined by dots, such as office.hours.sat", path)
	}
	for _, step := range steps[:len(steps)-1] {
		next, ok := patch[step].(map[string]any)
		if !ok { // none yet: buildArgs refuses a path inside another's value
			next = map[string]any{}
			patch[step] = next
		}
		patch = next
	}
	patch[steps[len(steps)-1]] = v
	return nil
}

// osAccount is the name of the system account chergactl runs as ("" unknown).
var osAccount = func() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}

// authored are the ops whose args take an author, which config.history
// lists with the version.
var authored = map[string]bool{"config.set": true, "config.rollback": true}

// withAuthor gives args, a JSON object, the author of the change when it
// has none: the user who ran sudo, else the user ($USER, else the account
// the process runs as: cron and systemd set no $USER). The other members
// stay as they are.
func withAuthor(args json.RawMessage, getenv func(string) string) json.RawMessage {
	who := cmp.Or(getenv("SUDO_USER"), getenv("USER"), osAccount())
	var m map[string]json.RawMessage
	if who == "" || json.Unmarshal(args, &m) != nil {
		return args
	}
	if a, ok := m["author"]; ok && string(a) != `""` {
		return args
	}
	m["author"], _ = json.Marshal(who)
	b, err := json.Marshal(m)
	if err != nil {
		return args
	}
	return b
}

// statusGrace is how long after subscribing chergactl waits for the
// retained {root}/status: a broker sends it right after the subscription's
// acknowledgement, so none by then means none is kept.
const statusGrace = time.Second

// status is the controller's retained {root}/status (docs/mqtt.md).
type status struct {
	Online  bool   `json:"online"`
	Version string `json:"version"`
	Started string `json:"started"`
	Run     string `json:"run"`
	// Stopped: the controller stopped cleanly; online:false without it is
	// its last will: stopped, or its link to the broker lost.
	Stopped bool `json:"stopped"`
}

// shown is s as a terminal may print it: quoted when it holds a control
// or format character (an escape code, a bidi override).
func shown(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
		return strconv.QuoteToGraphic(s)
	}
	return s
}

// tell is what chergactl says on standard error besides an answer: the
// site that answered (the first line), and that the site was the default.
type tell struct {
	w io.Writer // standard error; nil: nothing is said
	// unnamed: neither -site nor $CHERGA_SITE named the site; it is the
	// default, demo, which may not be the office's.
	unnamed bool
}

func run(to tell, w io.Writer, broker string, acct account, root, op string, args json.RawMessage, timeout time.Duration) (int, error) {
	c, err := dial(to, broker, acct, root, timeout)
	if err != nil {
		return 0, err
	}
	defer c.close()
	b, err := c.ask(op, args)
	if err != nil {
		return 0, err
	}
	return printAnswer(w, b)
}

// conn is chergactl's connection to the broker, which asks the controller
// one request after another.
type conn struct {
	c       paho.Client
	broker  string
	acct    account
	root    string
	timeout time.Duration
	// statuses are the controller's {root}/status as they come: they say
	// at once when nobody will answer.
	statuses chan status
	granted  bool    // the broker let the account read the status
	running  *status // the last status that came, online
	missing  bool    // none came within statusGrace
	tell     tell
	told     bool // the site that answered was said
}

func dial(to tell, broker string, acct account, root string, timeout time.Duration) (*conn, error) {
	idb := make([]byte, 8)
	rand.Read(idb)
	id := hex.EncodeToString(idb)
	// 3.1.1 only: a fallback to 3.1 would turn a refused password into
	// "unacceptable protocol version".
	opts := paho.NewClientOptions().AddBroker(bus.PahoURL(broker)).SetClientID("chergactl-" + id).SetConnectTimeout(timeout).SetProtocolVersion(4)
	if acct.user != "" {
		opts.SetUsername(acct.user).SetPassword(acct.password)
	}
	if acct.tls != nil {
		opts.SetTLSConfig(acct.tls)
	}
	c := &conn{c: paho.NewClient(opts), broker: broker, acct: acct, root: root, timeout: timeout, tell: to}
	if err := await(c.c.Connect(), timeout); err != nil {
		// paho's own deadline for the broker's answer, as long, may end
		// first: the same silence, said alike.
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("the broker did not answer within %s", timeout)
		}
		why := bus.Classify(err)
		return nil, fmt.Errorf("cannot connect to %s: %v (%s): %s", config.RedactURL(broker), err, why, why.Hint())
	}
	// Room for the retained status and a few changes while a request
	// waits.
	c.statuses = make(chan status, 8)
	stok := c.c.Subscribe(root+"/status", 1, func(_ paho.Client, m paho.Message) {
		var st status
		if len(m.Payload()) == 0 || json.Unmarshal(m.Payload(), &st) != nil {
			return // cleared, or not the controller's
		}
		// Said on the terminal: whoever may publish there must not set
		// its title or clear it with escape codes.
		st.Version, st.Started, st.Run = shown(st.Version), shown(st.Started), shown(st.Run)
		select {
		case c.statuses <- st:
		default:
		}
	})
	// An account the broker's ACL lets read only {root}/admin/# is refused
	// the status (0x80): then only the answer tells.
	c.granted = await(stok, timeout) == nil && bus.CheckGrant(stok, root+"/status") == nil
	return c, nil
}

func (c *conn) close() { c.c.Disconnect(100) }

// ask sends one request and returns the controller's answer.
func (c *conn) ask(op string, args json.RawMessage) ([]byte, error) {
	root, broker, timeout, door := c.root, c.broker, c.timeout, c.acct.door()
	site := strings.TrimPrefix(root, "qms/")
	idb := make([]byte, 8)
	rand.Read(idb)
	id := hex.EncodeToString(idb)
	answer := make(chan []byte, 1)
	tok := c.c.Subscribe(root+"/"+door+"/res/"+id, 1, func(_ paho.Client, m paho.Message) {
		select {
		case answer <- m.Payload():
		default:
		}
	})
	if err := await(tok, timeout); err != nil {
		return nil, fmt.Errorf("subscribe: %v", err)
	}
	defer c.c.Unsubscribe(root + "/" + door + "/res/" + id)
	// The status says at once when nobody will answer: the controller
	// stopped (its last will); none at all is only a hint, given if no
	// answer comes either (an ACL may hide the status).
	var noStatus <-chan time.Time
	if c.granted && c.running == nil && !c.missing {
		noStatus = time.After(min(statusGrace, timeout))
	}
	req, _ := json.Marshal(map[string]any{"id": id, "op": op, "args": args})
	if err := await(c.c.Publish(root+"/"+door+"/req", 1, false, req), timeout); err != nil {
		return nil, fmt.Errorf("publish: %v", err)
	}
	deadline := time.After(timeout)
	for {
		select {
		case b := <-answer:
			c.sayWho()
			return b, nil
		case st := <-c.statuses:
			if !st.Online {
				since := ""
				if st.Started != "" {
					since = " (its run that started " + st.Started + " is gone from the broker)"
				}
				if st.Stopped {
					run := ""
					if st.Started != "" {
						run = ", its run that started " + st.Started
					}
					return nil, fmt.Errorf("the controller of site %q has stopped (cleanly%s, says its status on %s): start it, sudo systemctl start cherga%s", site, run, broker, c.unnamedHint())
				}
				return nil, fmt.Errorf("the controller of site %q is not connected to the broker (stopped, or its link to the broker lost): its status on %s says online:false%s%s", site, broker, since, c.unnamedHint())
			}
			c.running, noStatus = &st, nil
		case <-noStatus:
			// Only a hint: a broker may take the subscription and keep
			// the status from an account all the same, and the request
			// may be running. The answer is awaited.
			c.missing, noStatus = true, nil
		case <-deadline:
			if c.running == nil && c.missing {
				typo := " (a typo in -site?)"
				if c.tell.unnamed {
					typo = ""
				}
				return nil, fmt.Errorf("no answer from cherga on %s within %s, and no %s/status: no controller has run with site %q on %s%s, or the account may not read the status (nor, then, perhaps the answers on %s/%s/res/#: the request may have been done; check with office.state before repeating it)%s", root, timeout, root, site, config.RedactURL(broker), typo, root, door, c.unnamedHint())
			}
			if c.running == nil {
				return nil, fmt.Errorf("no answer from cherga on %s within %s (is it running, with site %q? or may the account not read the answers on %s/%s/res/#? then the request may have been done: check with office.state before repeating it)%s", root, timeout, site, root, door, c.unnamedHint())
			}
			older := ""
			switch door {
			case "read":
				older = "; or the controller is older than the read door (an earlier release answers on admin/req alone: leave -read out)"
			case "book":
				older = "; or the controller is older than the booking door (releases before 2026-12-05 answer on admin/req alone: leave -book out)"
			}
			return nil, fmt.Errorf("the controller of site %q is running (%s) but no answer came within %s. The request was sent, and may have been done: the account may be allowed to publish on %s/%s/req but not to read %s/%s/res/# (the broker's ACL), or the controller is busy; or it may not be allowed to publish on %s/%s/req%s. Before repeating an operation that changes the office, check whether it was done: chergactl office.state, or config.history for a config.set", site, c.running.since(), timeout, root, door, root, door, root, door, older)
		}
	}
}

// unnamedHint is what to add to the error of a request that no controller
// answered when no site was given: "" when one was.
func (c *conn) unnamedHint() string {
	if !c.tell.unnamed {
		return ""
	}
	return fmt.Sprintf(". No -site was given (nor $CHERGA_SITE): chergactl asked the default site %q; give -site with the site: of /etc/cherga/office.yaml, or export CHERGA_SITE (as in /etc/default/cherga)", strings.TrimPrefix(c.root, "qms/"))
}

// sayWho says, once, on standard error, which site answered: the answer
// itself does not name it, and several offices may share a broker.
func (c *conn) sayWho() {
	if c.tell.w == nil || c.told {
		return
	}
	c.told = true
	// The status that came with the answer, not read yet.
drain:
	for c.running == nil {
		select {
		case st := <-c.statuses:
			if st.Online {
				c.running = &st
			}
		default:
			break drain
		}
	}
	line := "chergactl: site " + strings.TrimPrefix(c.root, "qms/")
	if st := c.running; st != nil {
		run := st.Run
		if run == "" {
			run = "unknown"
		}
		line += " (controller run " + run + ", " + st.since() + ")"
	}
	if c.tell.unnamed {
		line += ": the default site; no -site was given, nor $CHERGA_SITE"
	}
	fmt.Fprintln(c.tell.w, line)
}

// since says when the controller started, and which one, as far as its
// status tells.
func (st *status) since() string {
	s := "started " + st.Started
	if st.Started == "" {
		s = "start time unknown"
	}
	if st.Version != "" {
		s += ", version " + st.Version
	}
	return s
}

// printAnswer prints the result, or the refusal, of an answer to w, and
// gives the exit status: 0 done, 1 refused.
func printAnswer(w io.Writer, b []byte) (int, error) {
	var res struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, fmt.Errorf("bad answer %q: %v", b, err)
	}
	out := res.Result
	if !res.OK {
		out = res.Error
	}
	// Indented as it came, in the controller's order (a map would sort
	// the keys: counters 1, 10, 11, 2).
	var pretty bytes.Buffer
	if len(out) > 0 && json.Indent(&pretty, out, "", "  ") == nil {
		pretty.WriteByte('\n')
		w.Write(unescapeHTML(pretty.Bytes()))
	}
	if !res.OK {
		return 1, nil
	}
	return 0, nil
}

// unescapeHTML gives back the <, > and & that encoding/json writes as
// \u003c, \u003e and \u0026 for web pages: a reason typed with an & reads
// as typed. An escaped backslash before a u stays as it is.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if c, ok := htmlEscapes[string(b[i:min(i+6, len(b))])]; ok {
			out = append(out, c)
			i += 5
			continue
		}
		out = append(out, b[i], b[i+1]) // \\ or \" or another escape, whole
		i++
	}
	return out
}

var htmlEscapes = map[string]byte{`\u003c`: '<', `\u003e`: '>', `\u0026`: '&'}

// await waits for a broker's answer: its error, or that none came in time.
func await(tok paho.Token, timeout time.Duration) error {
	if !tok.WaitTimeout(timeout) {
		return fmt.Errorf("the broker did not answer within %s", timeout)
	}
	return tok.Error()
}
