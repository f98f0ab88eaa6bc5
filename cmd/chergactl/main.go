// Command chergactl is the administrator's command line: it sends one
// request to {root}/admin/req over MQTT and prints the answer.
//
//	chergactl -broker tcp://127.0.0.1:1883 tickets.list
//	chergactl counter.close counter=5
//	chergactl events.replay from_seq=100
//	chergactl -args '{"ticket":"А023"}' ticket.void
//	chergactl -args '{"patch":{"office":{"hours":{"fri":"09:00-15:00"}}}}' config.set
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

var version = "dev"

const usage = `usage: chergactl [flags] OP [key=value ...]

OPs (docs/mqtt.md):
  config.get
  config.set -args '{"patch":{"office":{"recall_limit":5}},"author":"me"}'   (or {"config":{…whole…}})
  config.history [version=N]                   config.rollback version=N [author=…]
  office.pause [reason="повітряна тривога"]   office.resume
  service.pause service=pension [reason=…]     service.resume service=pension
  counter.close counter=5                      counter.open counter=5
  tickets.list [service=social] [state=waiting] [day=2026-11-23]
  ticket.call ticket=А023 counter=5
  ticket.void ticket=А023 [reason=…]
  ticket.reprint ticket=А023 [kiosk=k1]
  stats.get [day=2026-11-23]                   store.backup path=/var/backups/cherga.db
  events.replay from_seq=N [max=N]             clock.trust

flags:
`

func main() {
	var (
		broker  = flag.String("broker", "tcp://127.0.0.1:1883", "MQTT broker `URL`")
		site    = flag.String("site", "demo", "site id (topics under qms/{site})")
		rawArgs = flag.String("args", "", "the request's args as a JSON object (instead of key=value words)")
		timeout = flag.Duration("timeout", 10*time.Second, "how long to wait for the answer")
		showVer = flag.Bool("version", false, "print the version and exit")
	)
	flag.Usage = func() {
		fmt.Fprint(os.Stderr, usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *showVer {
		fmt.Println("chergactl", version)
		return
	}
	if flag.NArg() < 1 {
		flag.Usage()
		os.Exit(2)
	}
	op := flag.Arg(0)
	// Flags may also follow the OP (chergactl config.set -args '{…}').
	if err := flag.CommandLine.Parse(flag.Args()[1:]); err != nil {
		os.Exit(2)
	}
	args, err := buildArgs(*rawArgs, flag.Args())
	if err != nil {
		fail(2, err)
	}
	code, err := run(os.Stdout, *broker, "qms/"+*site, op, args, *timeout)
	if err != nil {
		fail(1, err)
	}
	os.Exit(code)
}

// numericArgs are the args that are numbers (docs/mqtt.md); every other
// value is text, even when it looks like a number: ticket=006, reason=1,
// counter=5 (a counter id is text that the office also takes as a number).
var numericArgs = map[string]bool{"version": true, "from_seq": true, "max": true}

// buildArgs makes the args object from -args JSON or key=value words: the
// values of numericArgs become JSON numbers, the others strings.
func buildArgs(raw string, words []string) (json.RawMessage, error) {
	if raw != "" {
		if len(words) > 0 {
			return nil, fmt.Errorf("give either -args or key=value words, not both")
		}
		if !json.Valid([]byte(raw)) {
			return nil, fmt.Errorf("-args is not valid JSON")
		}
		return json.RawMessage(raw), nil
	}
	m := map[string]any{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", w)
		}
		if strings.HasPrefix(k, "-") {
			return nil, fmt.Errorf("%q: flags go before the key=value words", w)
		}
		if !numericArgs[k] {
			m[k] = v
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %s is a number", w, k)
		}
		m[k] = n
	}
	return json.Marshal(m)
}

func run(w io.Writer, broker, root, op string, args json.RawMessage, timeout time.Duration) (int, error) {
	idb := make([]byte, 8)
	rand.Read(idb)
	id := hex.EncodeToString(idb)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("chergactl-" + id).SetConnectTimeout(timeout))
	if err := await(c.Connect(), timeout); err != nil {
		return 0, fmt.Errorf("cannot connect to %s: %v", broker, err)
	}
	defer c.Disconnect(100)
	answer := make(chan []byte, 1)
	tok := c.Subscribe(root+"/admin/res/"+id, 1, func(_ paho.Client, m paho.Message) {
		select {
		case answer <- m.Payload():
		default:
		}
	})
	if err := await(tok, timeout); err != nil {
		return 0, fmt.Errorf("subscribe: %v", err)
	}
	req, _ := json.Marshal(map[string]any{"id": id, "op": op, "args": args})
	if err := await(c.Publish(root+"/admin/req", 1, false, req), timeout); err != nil {
		return 0, fmt.Errorf("publish: %v", err)
	}
	select {
	case b := <-answer:
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
		var pretty any
		if json.Unmarshal(out, &pretty) == nil {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			enc.Encode(pretty)
		}
		if !res.OK {
			return 1, nil
		}
		return 0, nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("no answer from cherga on %s within %s (is it running, with site %q?)", root, timeout, strings.TrimPrefix(root, "qms/"))
	}
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "chergactl:", err)
	os.Exit(code)
}

// await waits for a broker's answer: its error, or that none came in time.
func await(tok paho.Token, timeout time.Duration) error {
	if !tok.WaitTimeout(timeout) {
		return fmt.Errorf("the broker did not answer within %s", timeout)
	}
	return tok.Error()
}
