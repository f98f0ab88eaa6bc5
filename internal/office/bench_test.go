package office_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/queue"
)

// BenchmarkCallToBoard measures how long a counter's next takes from its
// arrival over MQTT to the board message at a subscriber, against what that
// path cannot be faster than: one QoS 1 publish→subscribe round trip
// through the same broker plus one fsync'd bbolt Update on the same disk.
// It prints call_to_board_vs_rtt (goal ≤ 1.5) for the embedded broker and,
// when CHERGA_TEST_BROKER is set, for that broker too.
//
// The next arrives at the controller and at a watching subscriber in the
// same delivery of the broker; the watcher's clock is the arrival. The
// watcher is a process of its own, as a board is a device of its own, and
// the call, the round trip and the Update are measured in turns. The whole
// way from the button box's publish, one broker trip longer, is printed
// beside it (call_from_press_vs_rtt).
func BenchmarkCallToBoard(b *testing.B) {
	// In this order: the issue's line (embedded) comes last but for the
	// external broker's, which carries its name.
	brokers := [][2]string{{"embedded", ""}}
	if u := os.Getenv("CHERGA_TEST_BROKER"); u != "" {
		brokers = append(brokers, [2]string{"external", u})
	}
	for _, br := range brokers {
		name, url := br[0], br[1]
		b.Run(name, func(b *testing.B) {
			// One measured run of its own, whatever b.N the runner asks
			// for; the figures are printed once.
			if b.N > 1 {
				b.Skip("measured once, at b.N == 1")
			}
			r := callToBoard(b, url, 300)
			suffix := ""
			if name != "embedded" {
				suffix = "_" + name
			}
			base := float64(r.rtt + r.fsync)
			fmt.Printf("call_to_board_p50_ms%s: %.3f ms\n", suffix, ms(r.call))
			fmt.Printf("call_from_press_p50_ms%s: %.3f ms\n", suffix, ms(r.press))
			fmt.Printf("mqtt_rtt_p50_ms%s: %.3f ms\n", suffix, ms(r.rtt))
			fmt.Printf("fsync_update_p50_ms%s: %.3f ms\n", suffix, ms(r.fsync))
			fmt.Printf("call_from_press_vs_rtt%s: %.2f\n", suffix, float64(r.press)/base)
			fmt.Printf("call_to_board_vs_rtt%s: %.2f\n", suffix, float64(r.call)/base)
			b.ReportMetric(float64(r.call)/base, "ratio")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func p50(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

// callTimes are the p50 figures of one callToBoard run: a call from the
// next's arrival and from the box's publish, the round trip, the Update.
type callTimes struct{ call, press, rtt, fsync time.Duration }

func callToBoard(b *testing.B, brokerURL string, n int) callTimes {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(b, err)
	cfg.Site = fmt.Sprintf("bench%d", time.Now().UnixNano()%1e6)
	// Each next calls the next citizen at once, as fast as the benchmark
	// runs: the double-press guard would refuse it.
	cfg.Office.NextGuardSec = -1
	for i := range cfg.Kiosks {
		cfg.Kiosks[i].Printer = "none"
	}
	dir := b.TempDir()
	opts := office.Opts{Config: cfg, DB: filepath.Join(dir, "office.db"), Broker: brokerURL, Listen: "127.0.0.1:0"}
	if brokerURL == "" {
		opts.Broker = "embedded"
	}
	ctx := context.Background()
	o, err := office.Start(ctx, opts)
	require.NoError(b, err)
	defer o.Close()
	office.Unpaced(o) // a specialist presses every few seconds, not 500 times a second
	root := cfg.Root()

	w := startWatcher(b, o.BrokerURL(), root, cfg.Site)
	brokerAt := o.BrokerURL()
	defer func() {
		// The retained state of the run stays off a shared broker: the
		// office first stops (it would publish its status again over
		// the cleared one, and its stop status after).
		o.Close()
		if brokerURL == "" {
			return // the embedded broker went with it
		}
		// Every topic of the run that the broker keeps (the boards and
		// box states of all the counters, the figures, the status).
		var mu sync.Mutex
		kept := map[string]bool{}
		cl := paho.NewClient(paho.NewClientOptions().AddBroker(brokerAt).SetClientID("bench-clean-" + cfg.Site))
		if cl.Connect().WaitTimeout(5 * time.Second) {
			cl.Subscribe(root+"/#", 1, func(_ paho.Client, m paho.Message) {
				if m.Retained() && len(m.Payload()) > 0 {
					mu.Lock()
					kept[m.Topic()] = true
					mu.Unlock()
				}
			}).WaitTimeout(5 * time.Second)
			time.Sleep(time.Second) // the broker hands them over at once
			mu.Lock()
			defer mu.Unlock()
			for t := range kept {
				cl.Publish(t, 1, true, []byte{}).WaitTimeout(time.Second)
			}
			cl.Disconnect(100)
		}
	}()

	// The counter's button box is a device of its own, as in an office:
	// with a broker that leaves Nagle's algorithm on, one client that both
	// commands and watches the board gets the board held back behind the
	// broker's acknowledgement of its own command (40 ms).
	box := paho.NewClient(paho.NewClientOptions().AddBroker(o.BrokerURL()).SetClientID("bench-box-" + cfg.Site))
	require.True(b, box.Connect().WaitTimeout(5*time.Second))
	defer box.Disconnect(100)

	// The citizens are waiting before the counter starts calling, so that
	// a call is measured on its own, not beside the publication of a
	// ticket issued the moment before.
	labels := make([]string, 0, n)
	for range n {
		iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(b, err)
		labels = append(labels, iss.Ticket.Label)
	}
	// The three are measured in turns, a call, a round trip and an Update
	// in a random order each round, so that each meets the disk and the
	// machine as the others do: a virtual disk's fsync can be three times
	// slower after a pause of 10 ms than right after another (seen here),
	// and a baseline measured back to back would favour itself.
	update := bareUpdate(b)
	calls := make([]time.Duration, 0, n)
	presses := make([]time.Duration, 0, n)
	rtts := make([]time.Duration, 0, n)
	fsyncs := make([]time.Duration, 0, n)
	call := func(label string) {
		w.forget()
		start := time.Now()
		box.Publish(root+"/counter/1/cmd", 1, false, []byte(`{"action":"next"}`))
		arrived := w.wait(b, "next", "")
		board := w.wait(b, "board", label)
		// The embedded broker hands the next to the controller, in its
		// process, before it sends it to the watcher: a watcher slower
		// to be sent it than the controller to call sees the board first.
		calls = append(calls, max(0, board.Sub(arrived)))
		presses = append(presses, board.Sub(start))
		// The call's event is its last publication: what comes next is
		// measured once the office has sent all of the call.
		w.wait(b, "called", label)
	}
	roundTrip := func() {
		start := time.Now()
		box.Publish(root+"/bench/echo", 1, false, []byte("x"))
		rtts = append(rtts, w.wait(b, "echo", "").Sub(start))
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for i, label := range labels {
		for _, k := range rnd.Perm(3) {
			switch k {
			case 0:
				call(label)
			case 1:
				roundTrip()
			case 2:
				fsyncs = append(fsyncs, update(i))
			}
		}
	}
	return callTimes{call: p50(calls), press: p50(presses), rtt: p50(rtts), fsync: p50(fsyncs)}
}

// envWatcher, set, makes TestBenchWatcher the board of BenchmarkCallToBoard:
// broker URL, topic root and client id, separated by spaces.
const envWatcher = "CHERGA_BENCH_WATCHER"

// watcher is the subscriber of BenchmarkCallToBoard: a process of its own,
// as a board is a device of its own. In this process its goroutines would
// wait for the office's, which a board never does.
type watcher struct {
	seen  chan watched
	early []watched // what came before it was waited for
}

// watched is one arrival at the watcher: a counter's next, a board showing
// a ticket, an echo, or the event of a ticket's call.
type watched struct {
	kind, ticket string
	at           time.Time
}

func startWatcher(b *testing.B, brokerURL, root, site string) *watcher {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchWatcher$", "-test.bench=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), envWatcher+"="+brokerURL+" "+root+" bench-watch-"+site)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	b.Cleanup(func() {
		stdin.Close() // the watcher's signal to end
		_ = cmd.Wait()
	})
	w := &watcher{seen: make(chan watched, 64)}
	ready := make(chan struct{})
	go func() {
		defer close(w.seen)
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) < 2 {
				continue // the test runner's own lines
			}
			ns, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				continue
			}
			if f[0] == "ready" {
				close(ready)
				continue
			}
			v := watched{kind: f[0], at: time.Unix(0, ns)}
			if len(f) > 2 {
				v.ticket = f[2]
			}
			w.seen <- v
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		b.Fatal("the watcher did not subscribe")
	}
	return w
}

// wait returns when the watcher saw kind (for ticket, when set), since it
// last forgot: what came before, or meanwhile, may be waited for next.
func (w *watcher) wait(b *testing.B, kind, ticket string) time.Time {
	b.Helper()
	is := func(v watched) bool { return v.kind == kind && (ticket == "" || v.ticket == ticket) }
	for i, v := range w.early {
		if is(v) {
			w.early = append(w.early[:i], w.early[i+1:]...)
			return v.at
		}
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case v, ok := <-w.seen:
			if !ok {
				b.Fatalf("the watcher ended before %s %s", kind, ticket)
			}
			if is(v) {
				return v.at
			}
			w.early = append(w.early, v)
		case <-timeout:
			b.Fatalf("the watcher saw no %s %s", kind, ticket)
		}
	}
}

// forget passes over what the watcher saw and was not waited for.
func (w *watcher) forget() {
	w.early = w.early[:0]
	for {
		select {
		case _, ok := <-w.seen:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// TestBenchWatcher is the watcher's process: it prints what arrives as
// "kind unix-nanoseconds [ticket]" until its standard input closes.
func TestBenchWatcher(t *testing.T) {
	env := strings.Fields(os.Getenv(envWatcher))
	if len(env) != 3 {
		t.Skip("the subscriber of BenchmarkCallToBoard; runs only under it")
	}
	url, root := env[0], env[1]
	var mu sync.Mutex
	say := func(kind, ticket string) {
		at := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf("%s %d %s\n", kind, at, ticket)
	}
	cl := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(env[2]))
	require.True(t, cl.Connect().WaitTimeout(5*time.Second))
	defer cl.Disconnect(100)
	subs := map[string]paho.MessageHandler{
		root + "/board/1": func(_ paho.Client, m paho.Message) {
			var v struct{ Ticket string }
			if json.Unmarshal(m.Payload(), &v) == nil && v.Ticket != "" {
				say("board", v.Ticket)
			}
		},
		root + "/counter/1/cmd": func(paho.Client, paho.Message) { say("next", "") },
		root + "/bench/echo":    func(paho.Client, paho.Message) { say("echo", "") },
		root + "/events": func(_ paho.Client, m paho.Message) {
			var ev queue.Event
			if json.Unmarshal(m.Payload(), &ev) == nil && ev.Type == queue.EvCalled && ev.Ticket != nil {
				say("called", ev.Ticket.Label)
			}
		},
	}
	for topic, h := range subs {
		tok := cl.Subscribe(topic, 1, h)
		require.True(t, tok.WaitTimeout(5*time.Second))
		require.NoError(t, tok.Error())
		// A refusal is a code in the SUBACK, not an error of paho's.
		require.Equal(t, byte(1), tok.(*paho.SubscribeToken).Result()[topic], "the broker granted %s", topic)
	}
	say("ready", "")
	_, _ = io.Copy(io.Discard, os.Stdin)
}
