// Package bus is cherga's MQTT client: the topics of the external contract
// (docs/mqtt.md), the connection with its retained status and last will, and
// subscriptions that survive reconnects.
package bus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/cherga/cherga/internal/config"
)

// AckWait is how long the broker's acknowledgement of a publication is
// awaited: a slow link (office Wi-Fi whose round trip takes seconds) is
// not a lost one, and taken for one it would have everything sent again
// and again. A dead connection is found by the keepalive (15 s, and 10 s
// for the answer); paho, reconnecting, does not fail what was in flight:
// whoever sent it sends it again at the reconnection (OnConnect), rather
// than wait this long for it.
var AckWait = 30 * time.Second // a var for the tests

// ErrNoAnswer is returned (wrapped) by Sending.Wait when the broker did
// not acknowledge the publication in the time given.
var ErrNoAnswer = errors.New("no answer")

// DefaultStatusWait is how long a connection waits, by default, to read
// its own status back from the broker: a loaded broker hands it back
// within a second; one that never does drops what the controller sends.
const DefaultStatusWait = 10 * time.Second

// ErrNotConnected is returned by Publish while the broker is unreachable.
var ErrNotConnected = errors.New("bus: not connected to the broker")

// Opts configures a Client.
type Opts struct {
	// URL is tcp://host:port, or ssl://host:port over TLS (the schemes
	// of config.PlainSchemes and config.TLSSchemes).
	URL      string
	ClientID string
	Username string
	Password string
	// Root is the topic root, qms/{site}.
	Root string
	// Status is the retained {root}/status payload published on every
	// connect; the last will, and Close, replace it with Offline
	// ({"online":false} when nil), or Close with SetStopped's.
	Status  any
	Offline any
	// HoldStatus keeps Status back until Ready: a controller that
	// subscribes to its inputs after connecting says it is online only
	// once it listens (a press sent on seeing online:true would be lost).
	HoldStatus bool
	// TLS are the files of a connection over TLS (an ssl:// URL).
	TLS TLSFiles
	// Timeout bounds connecting and each publish.
	Timeout time.Duration
	// StatusWait is how long each connection waits to read its own
	// status back from the broker (checkOwnStatus); 0 means
	// DefaultStatusWait. Tests shorten it.
	StatusWait time.Duration `yaml:"-"`
	// OnConnect, if set, is called after every connection to the broker
	// (the first and each reconnection), once the subscriptions are back.
	// It runs on the client's goroutine: it must not block.
	OnConnect func() `yaml:"-"`
	// OnRetained, if set, is told of a retained message that a
	// subscription brought instead of its handler: Subscribe is for
	// inputs (a press, a command), which happen when they are sent, not
	// again at every connect. The payload is for what the refusal can
	// name (its id). It runs on the client's goroutine.
	OnRetained func(topic string, payload []byte) `yaml:"-"`
	// OnEarlierRun, if set, is told once of the status, kept by the broker
	// (retained), of another run of the site that the first connection
	// finds: the site ran on this broker before. It runs on the client's
	// goroutine.
	OnEarlierRun func(started string) `yaml:"-"`
	Logger       *slog.Logger         `yaml:"-"`
}

// Client is a connection to the broker that reconnects by itself, or the
// controller's own handle on the broker embedded in its process (Inline).
type Client struct {
	opts   Opts
	log    *slog.Logger
	c      paho.Client
	inline Inline // set: no network connection

	mu   sync.Mutex
	subs map[string]paho.MessageHandler
	// connects counts the connections made (onConnect).
	connects int
	// away is when the broker was lost, or first failed to answer: zero
	// while connected, and before the first connection of a start that
	// found the broker.
	away time.Time

	failures *Failures
	retrying atomic.Bool // the first attempt is over: log the failures
	// losses are the connections lost lately; quiet, that the last one
	// was not logged alone, nor is its reconnection.
	losses lossLog
	quiet  atomic.Bool

	// run is the "run" of Opts.Status: what tells this run's statuses
	// from another controller's of the site (onStatus).
	run string
	// own is closed when the status this connection published comes back
	// (onStatus, checkOwnStatus); twinSeen and twinSaid are the last
	// connections on which another run's status came online, and on
	// which a twin was said. Under mu.
	own                singleClose
	twinSeen, twinSaid int
	// earlierSaid is whether OnEarlierRun was called. Under mu.
	earlierSaid bool

	// checks are the checkOwnStatus goroutines, stopped by closing done
	// (Close, which sets closed under mu).
	checks sync.WaitGroup
	done   chan struct{}
	closed bool
	// reconnecting: a reconnect runs (under mu); lostAgain: the
	// connection it made was lost before it ended.
	reconnecting, lostAgain bool
	// stopped is what Close publishes, when set (SetStopped); under mu.
	stopped any
	// statusSubbed is the connection (connects) whose subscription to the
	// site's status has returned: only then does Ready publish this run's,
	// else a retained status of an earlier run, which that subscription
	// is to hear (OnEarlierRun), would be replaced before it is heard;
	// under mu.
	statusSubbed int
	// held: the status waits for Ready (Opts.HoldStatus); under mu.
	held bool
	// restored is when the status was last published again because
	// another publisher had overwritten it (restoreStatus), and
	// restoredSaid when that was last logged; restoreDue, that another
	// came within restoreEvery and a restore waits for its turn; under mu.
	restored, restoredSaid time.Time
	restoreDue             bool
	// statusOrder is held from reading the status to handing it to the
	// broker, by restoreStatus and by those that change it (SetStatus,
	// Close): a restore never puts back a status changed meanwhile, nor
	// an online one after the stop.
	statusOrder sync.Mutex
}

// Inline is a broker in this process (internal/broker): the controller
// publishes into it and subscribes to it directly, with no MQTT connection
// of its own to itself. Publish returns once the broker has the message, as
// a QoS 1 acknowledgement would; Subscribe's handler runs on the goroutine
// of the client that published, in its order, and must neither block nor
// publish a retained message itself (internal/broker's retainOrder).
type Inline interface {
	PublishQoS(topic string, qos byte, payload []byte, retain bool) error
	Subscribe(filter string, h func(topic string, payload []byte)) error
}

// ConnectInline returns a Client over an in-process broker. It is connected
// for as long as the process runs: the status is published and OnConnect
// called once, now. With the broker in the process there is no last will:
// when the process dies, so does the broker, and its clients see it go.
func ConnectInline(opts Opts, b Inline) *Client {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cl := &Client{opts: opts, log: opts.Logger, inline: b, held: opts.HoldStatus}
	if opts.Status != nil && !cl.held {
		st, _ := json.Marshal(opts.Status)
		if err := b.PublishQoS(opts.Root+"/status", 1, st, true); err != nil {
			cl.log.Error("bus: status", "err", err)
		}
	}
	if opts.Status != nil {
		// The handler may not publish a retained message itself.
		err := b.Subscribe(opts.Root+"/status", func(_ string, payload []byte) {
			if cl.overwritten(payload) {
				go cl.restoreStatus(false)
			}
		})
		if err != nil {
			cl.log.Error("bus: subscribe", "topic", opts.Root+"/status", "err", err)
		}
	}
	if opts.OnConnect != nil {
		opts.OnConnect()
	}
	return cl
}

// Connect connects to the broker and keeps reconnecting after a loss.
//
// A broker that does not answer yet (down, or not up after the same power
// cut), one that refuses the controller (its account, its client id) and
// one whose certificate fails (or that refuses the controller's) are alike
// at start: Connect logs why, as an error, and returns the client, which
// keeps trying every 5 s and calls OnConnect when it gets through, so that
// the office's own buttons, kiosks and printers work meanwhile. Every
// failed attempt after that, at start or after a loss, is logged too
// (Failures: each reason at most once a minute). Only a TLS configuration
// that cannot be read is an error.
func Connect(ctx context.Context, opts Opts) (*Client, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	tlsc, err := opts.TLS.Config()
	if err != nil {
		return nil, err
	}
	if opts.StatusWait == 0 {
		opts.StatusWait = DefaultStatusWait
	}
	cl := &Client{opts: opts, log: opts.Logger, subs: map[string]paho.MessageHandler{}, done: make(chan struct{}), held: opts.HoldStatus}
	if b, err := json.Marshal(opts.Status); err == nil {
		var st siteStatus
		_ = json.Unmarshal(b, &st)
		cl.run = st.Run
	}
	url := PahoURL(opts.URL)
	shown := config.RedactURL(opts.URL) // for the log: without its password
	cl.failures = &Failures{Log: opts.Logger, Prefix: "bus", Broker: shown}
	o := paho.NewClientOptions().
		AddBroker(url).
		SetClientID(opts.ClientID).
		SetUsername(opts.Username).
		SetPassword(opts.Password).
		SetProtocolVersion(4). // no fallback to 3.1: it would turn a refused password into "unacceptable protocol version"
		SetCleanSession(true).
		SetAutoReconnect(false). // reconnect does it, freeing the message ids
		SetConnectRetry(false).
		SetConnectTimeout(opts.Timeout).
		SetWriteTimeout(opts.Timeout).
		SetKeepAlive(15*time.Second).
		SetOrderMatters(true).
		SetStore(NoStore{}).
		SetBinaryWill(opts.Root+"/status", cl.offline(), 1, true).
		SetOnConnectHandler(cl.onConnect).
		SetConnectionNotificationHandler(func(_ paho.Client, n paho.ConnectionNotification) {
			// Every attempt that failed, but the first: Connect says that one.
			if f, ok := n.(paho.ConnectionNotificationFailed); ok && cl.retrying.Load() {
				cl.failures.Failed(f.Reason)
			}
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			args := []any{"broker", shown, "err", err}
			if errors.Is(err, io.EOF) {
				// A broker drops a client when another one connects with
				// its id: two controllers for one site take turns.
				args = append(args, "hint", "the connection was closed from the other end: the broker restarted, the network dropped it, or another client connected as "+opts.ClientID+" (a second controller for this site? then this repeats every few seconds)")
			}
			alone, lost := cl.losses.note(time.Now())
			switch {
			case alone:
				cl.log.Warn("bus: connection lost; reconnecting", args...)
			case lost > 0:
				cl.log.Error("bus: the connection to the broker is lost again and again: another client connects as "+opts.ClientID+" (a second controller for this site, a tool on the controller's account) or the network keeps dropping it; from now on a line a minute counts the losses", append(args, "losses_last_minute", lost)...)
			}
			cl.quiet.Store(!alone)
			cl.reconnect()
		})
	if tlsc != nil {
		o.SetTLSConfig(tlsc)
	}
	if strings.HasPrefix(url, "tcp://") {
		if dial := quickAckDialer(); dial != nil {
			o.SetCustomOpenConnectionFn(dial)
		}
	}
	cl.c = paho.NewClient(o)
	tok := cl.c.Connect()
	select {
	case <-tok.Done():
		err = tok.Error()
	case <-ctx.Done():
		cl.c.Disconnect(0)
		return nil, ctx.Err()
	case <-time.After(opts.Timeout + time.Second):
		cl.c.Disconnect(0)
		err = fmt.Errorf("no answer within %s", opts.Timeout)
	}
	cl.retrying.Store(true) // from now on, the notifications say the failures
	if err == nil {
		return cl, nil
	}
	why := Classify(err)
	msg := map[Why]string{
		Network:     "bus: the broker does not answer (network)",
		Refused:     "bus: the broker refused the controller (refused: its account or client id)",
		Certificate: "bus: the TLS connection to the broker failed (certificate)",
	}[why]
	cl.log.Error(msg+"; the office starts without it and tries again every 5 s (boards, voice and integrations get its state when it answers)",
		"broker", shown, "why", string(why), "err", err, "hint", why.Hint())
	cl.failures.Seen(err)
	cl.mu.Lock()
	cl.away = time.Now()
	cl.mu.Unlock()
	o.SetConnectRetry(true).SetConnectRetryInterval(5 * time.Second)
	cl.c = paho.NewClient(o)
	cl.c.Connect() // done when the broker answers; onConnect takes it from there
	return cl, nil
}

// reconnectMax is the longest wait between two attempts to connect again.
const reconnectMax = 5 * time.Second

// reconnect connects again after the connection was lost: at once, then
// after 1, 2, 4 and every 5 s, until it is, or the client closes. Not
// paho's automatic reconnection: that keeps the message id of every QoS 1
// publication the broker had not acknowledged when the connection went
// (NoStore never sends them again), and once all 65,535 are taken no
// publication goes out at all, while the connection looks fine: a few
// hundred a drop, on office Wi-Fi for months. A connection lost without
// it, paho frees them.
//
// A connection lost again while the reconnect that made it is still on
// its way out (paho tells of the loss on a goroutine of its own; a broker
// that drops a client at once, a twin with the client's id) makes it go
// on: else nothing would connect again, for good.
func (cl *Client) reconnect() {
	cl.mu.Lock()
	if cl.closed {
		cl.mu.Unlock()
		return
	}
	if cl.reconnecting {
		cl.lostAgain = true
		cl.mu.Unlock()
		return
	}
	cl.reconnecting, cl.lostAgain = true, false
	if cl.away.IsZero() {
		cl.away = time.Now()
	}
	cl.mu.Unlock()
	go func() {
		wait := time.Duration(0)
		for {
			select {
			case <-cl.done:
				cl.endReconnect()
				return
			case <-time.After(wait):
			}
			// A loss told before this attempt was of a connection before
			// it.
			cl.mu.Lock()
			cl.lostAgain = false
			cl.mu.Unlock()
			tok := cl.c.Connect() // onConnect takes it from there
			select {
			case <-cl.done:
				cl.endReconnect()
				return
			case <-tok.Done():
			}
			wait = min(max(2*wait, time.Second), reconnectMax)
			if tok.Error() != nil {
				continue
			}
			if f := connectedAgain.Load(); f != nil {
				(*f)()
			}
			if cl.endReconnect() {
				return
			}
		}
	}()
}

// endReconnect ends a reconnect, unless the connection it made was lost
// meanwhile: then it reports false, and the reconnect goes on.
func (cl *Client) endReconnect() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.lostAgain && !cl.closed {
		cl.lostAgain = false
		return false
	}
	cl.reconnecting, cl.lostAgain = false, false
	return true
}

// connectedAgain, when set (by a test), runs when a reconnect has
// connected, before it ends. Atomic: a reconnect of a client still
// closing reads it while the test that set it takes it away.
var connectedAgain atomic.Pointer[func()]

// PahoURL is a broker URL as paho takes it: mqtt:// is tcp://.
func PahoURL(url string) string {
	if rest, ok := strings.CutPrefix(url, "mqtt://"); ok {
		return "tcp://" + rest
	}
	return url
}

func (cl *Client) onConnect(c paho.Client) {
	// The inputs first: nothing sent to them from now on is missed.
	cl.mu.Lock()
	for filter, h := range cl.subs {
		// A connection lost meanwhile is no error: the next one subscribes.
		tok := c.Subscribe(filter, 1, h)
		if !tok.WaitTimeout(cl.opts.Timeout) {
			continue
		}
		err := tok.Error()
		if err == nil {
			err = CheckGrant(tok, filter)
		}
		if badFilter(err) || errors.Is(err, ErrSubscriptionRefused) {
			cl.log.Error("bus: subscribe: what is published there does not reach the controller", "topic", filter, "err", err)
		}
	}
	cl.connects++
	connect := cl.connects
	cl.own = newSingleClose()
	if cl.failures != nil {
		cl.failures.Reset()
	}
	away := cl.away
	cl.away = time.Time{}
	cl.mu.Unlock()
	if !away.IsZero() && !cl.quiet.Load() {
		// The warning or error that the broker went away is not the last word.
		cl.log.Info("bus: connected to the broker again", "broker", config.RedactURL(cl.opts.URL), "away", time.Since(away).Round(time.Second))
	}
	// The site's status, for as long as the connection lasts, before this
	// run's goes out: what the broker retains is what was there before.
	c.Subscribe(cl.opts.Root+"/status", 1, cl.onStatus).WaitTimeout(cl.opts.Timeout)
	cl.mu.Lock()
	cl.statusSubbed = connect
	status := cl.opts.Status
	if cl.held {
		status = nil // Ready publishes it
	}
	cl.mu.Unlock()
	if status != nil {
		// The status as it is now, not as it was read above: a SetStatus
		// meanwhile goes out after this one.
		cl.statusOrder.Lock()
		cl.mu.Lock()
		b, _ := json.Marshal(cl.opts.Status)
		cl.mu.Unlock()
		c.Publish(cl.opts.Root+"/status", 1, true, b)
		cl.statusOrder.Unlock()
		cl.mu.Lock()
		if !cl.closed {
			cl.checks.Add(1)
			go cl.checkOwnStatus(connect)
		}
		cl.mu.Unlock()
	}
	cl.log.Debug("bus: connected", "broker", config.RedactURL(cl.opts.URL))
	if cl.opts.OnConnect != nil {
		cl.opts.OnConnect()
	}
}

// onStatus hears every status of the site while connected: this run's own
// (the one just published, coming back: checkOwnStatus waits for it), or
// another controller's. Two controllers for one site share a client id:
// each one's connection drops the other's (and the broker publishes the
// dropped one's last will), in turns, or a broker may even keep both; and
// both give out tickets. That is said loudly, once per connection: only a
// person can tell which box is the office's.
//
// Another run's status is a twin's when it says online as it comes (not
// retained), or comes on a connection after the first at all: the first
// finds what this box's previous run left (its status, or the last will
// the broker publishes as this connection takes the client id over from
// a connection of that run it has not seen die). A run that stopped
// cleanly ("stopped":true) runs no more.
func (cl *Client) onStatus(_ paho.Client, m paho.Message) {
	// The status cleared (an empty retained message), or garbage, reads
	// as a status of no run: another than this run's, and no twin's.
	var st siteStatus
	if json.Unmarshal(m.Payload(), &st) != nil {
		st = siteStatus{}
	}
	cl.mu.Lock()
	connect := cl.connects
	mine := st.Run == cl.run
	if cl.run == "" {
		// A status without a run (a test's): this one's is the same bytes.
		b, _ := json.Marshal(cl.opts.Status)
		mine = bytes.Equal(m.Payload(), b)
	}
	other := !mine && cl.run != "" && st.Run != ""
	say := other && !st.Stopped && (connect > 1 || st.Online && !m.Retained()) && cl.twinSaid != connect
	if other && st.Online {
		// The broker does hand statuses back (checkOwnStatus).
		cl.twinSeen = connect
	}
	if say {
		cl.twinSaid = connect
	}
	earlier := other && m.Retained() && connect == 1 && !cl.earlierSaid && cl.opts.OnEarlierRun != nil
	cl.earlierSaid = cl.earlierSaid || earlier
	own := cl.own
	cl.mu.Unlock()
	if earlier {
		cl.opts.OnEarlierRun(st.Started)
	}
	back := own.closed()
	if mine {
		own.close()
	}
	if back && (!mine || !st.Online) && cl.overwritten(m.Payload()) {
		// After this connection's status came back, another is
		// retained now (an earlier one of this run's, online, is no
		// other: this run's latest follows it): this run's goes out
		// again. Not awaited here: the handler holds the messages
		// after it, the acknowledgement among them.
		go cl.restoreStatus(mine)
	}
	if say {
		args := []any{"site_status", cl.opts.Root + "/status", "its_started", st.Started, "its_version", st.Version, "its_online", st.Online, "client_id", cl.opts.ClientID}
		if !st.Online {
			// Its last will: it runs all the same.
			args = append(args, "hint", "its online=false is its last will, which the broker published when this one connected with the same client id and dropped it: it runs, and connects again")
		}
		cl.log.Error("bus: another controller publishes as this site while this one runs: two controllers for one site take turns on the broker, and both give out tickets. Stop one; give each office its own site", args...)
	}
}

// restoreEvery is how often at most the status is published again over
// another publisher's (restoreStatus): a twin controller's status and this
// one's take turns that slowly.
var restoreEvery = 10 * time.Second

// overwritten says whether payload, a status of the site that came after
// this run's own, is another than this run's, which must then be published
// again (restoreStatus): a client publishing on the status topic (a forged
// "online":false keeps the screens and boxes from sending), or a last will
// the broker publishes late, of a connection of this run it has not seen
// die. Not while this run's status is held (HoldStatus), nor once the
// client closes (its stop status goes out), and at most once in
// restoreEvery.
func (cl *Client) overwritten(payload []byte) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.closed || cl.held || cl.opts.Status == nil {
		return false
	}
	b, err := json.Marshal(cl.opts.Status)
	if err != nil || bytes.Equal(payload, b) {
		return false
	}
	if wait := restoreEvery - time.Since(cl.restored); wait > 0 {
		// Within restoreEvery of the last: restored when it ends, not
		// left as it is.
		if !cl.restoreDue {
			cl.restoreDue = true
			time.AfterFunc(wait, func() {
				cl.mu.Lock()
				cl.restoreDue, cl.restored = false, time.Now()
				cl.mu.Unlock()
				cl.restoreStatus(false)
			})
		}
		return false
	}
	cl.restored = time.Now()
	return true
}

// restoreStatus publishes this run's status again, over another publisher's,
// or over its own last will (ownWill), which a broker publishes when it
// stops or sees a connection of the run drop late: that is no warning.
func (cl *Client) restoreStatus(ownWill bool) {
	cl.statusOrder.Lock()
	defer cl.statusOrder.Unlock()
	cl.mu.Lock()
	b, err := json.Marshal(cl.opts.Status)
	closed := cl.closed
	say := time.Since(cl.restoredSaid) >= time.Minute // a twin's take turns
	if say {
		cl.restoredSaid = time.Now()
	}
	cl.mu.Unlock()
	if err != nil || closed {
		return
	}
	switch {
	case ownWill:
		cl.log.Info("bus: the broker published this controller's last will (it restarted, or saw a connection of this run drop late): the status is published again", "topic", cl.opts.Root+"/status")
	case say:
		cl.log.Warn("bus: another publisher overwrote this controller's status: published again (a client with write access to the status topic, a late last will, or a second controller of the site)", "topic", cl.opts.Root+"/status")
	}
	// Handed over in order, not awaited: paho sends a client's
	// publications in the order they were made.
	if err := cl.Start(cl.opts.Root+"/status", 1, true, b).Err(); err != nil {
		cl.log.Debug("bus: status not published", "err", err)
	}
}

// siteStatus is what onStatus reads of a status: the office's Status or
// Offline, whatever their other members.
type siteStatus struct {
	Online  bool   `json:"online"`
	Run     string `json:"run"`
	Started string `json:"started"`
	Version string `json:"version"`
	Stopped bool   `json:"stopped"`
}

// singleClose is a channel closed at most once.
type singleClose struct {
	ch   chan struct{}
	once *sync.Once
}

func newSingleClose() singleClose { return singleClose{make(chan struct{}), new(sync.Once)} }

func (c singleClose) close() {
	if c.once != nil {
		c.once.Do(func() { close(c.ch) })
	}
}

// closed reports whether close was called.
func (c singleClose) closed() bool {
	if c.ch == nil {
		return false
	}
	select {
	case <-c.ch:
		return true
	default:
		return false
	}
}

// checkOwnStatus waits, once per connection (connect), for the status it
// published to come back (onStatus): the broker hands it back at once. A
// broker whose ACL does not give the account the site's root drops its
// publications, and the subscriptions bring nothing, without a word to the
// client (MQTT 3.1.1; a refused subscription, SUBACK 0x80, reads as
// success): the office would run for nobody, its log silent. Said as an
// error, at every connection until the broker hands the status back. A
// twin's status instead is a broker that does hand statuses back (onStatus
// says so). A check overtaken by the next connection says nothing: that
// one's check takes over.
func (cl *Client) checkOwnStatus(connect int) {
	defer cl.checks.Done()
	cl.mu.Lock()
	own := cl.own
	cl.mu.Unlock()
	timer := time.NewTimer(cl.opts.StatusWait)
	defer timer.Stop()
	select {
	case <-own.ch:
		return
	case <-cl.done:
		return // closing: nothing to say
	case <-timer.C:
	}
	cl.mu.Lock()
	twin := cl.twinSeen == connect
	cl.mu.Unlock()
	if twin || cl.lostSince(connect) {
		return
	}
	topic := cl.opts.Root + "/status"
	cl.log.Error("bus: the broker does not hand back this controller's own status: the account may not publish or subscribe to "+cl.opts.Root+"/# (check the broker's ACL for this site's root), or another connection holds its client id "+cl.opts.ClientID+" and gets what is sent to it (a second controller of this site); boards, voice and integrations get nothing from this controller, and its inputs do not reach it",
		"topic", topic, "waited", cl.opts.StatusWait, "username", cl.opts.Username, "client_id", cl.opts.ClientID)
}

// Subscribe calls h for every message sent on filter from now on, across
// reconnects. A retained message (one the broker keeps and hands to every
// new subscription) is not a new input: it goes to Opts.OnRetained instead.
// Nor is an empty message, which is how a retained one is cleared (the
// office clears those it refuses): h never sees one. h runs on the
// client's goroutine, in order: it must not block.
func (cl *Client) Subscribe(filter string, h func(topic string, payload []byte)) error {
	input := func(topic string, payload []byte) {
		if len(payload) > 0 {
			h(topic, payload)
		}
	}
	if cl.inline != nil {
		// The embedded broker is this process's, started empty, and the
		// controller subscribes to its inputs as it starts: a retained
		// one that the broker hands the new subscription (as mochi does)
		// could only come from a device that connected in those moments.
		return cl.inline.Subscribe(filter, input)
	}
	return cl.subscribe(filter, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			if cl.opts.OnRetained != nil {
				cl.opts.OnRetained(m.Topic(), m.Payload())
			}
			return
		}
		input(m.Topic(), m.Payload())
	})
}

// Follow calls h for every message on filter, a state that others keep
// there (the voice announcers' presence): retained ones, and empty ones (a
// retained message cleared), as well. h runs on the client's goroutine, in
// order: it must not block.
func (cl *Client) Follow(filter string, h func(topic string, payload []byte)) error {
	if cl.inline != nil {
		// The broker hands an inline subscription the retained
		// messages first, as a connection's.
		return cl.inline.Subscribe(filter, h)
	}
	return cl.subscribe(filter, func(_ paho.Client, m paho.Message) { h(m.Topic(), m.Payload()) })
}

// subscribe subscribes mh to filter, now and at every connection.
func (cl *Client) subscribe(filter string, mh paho.MessageHandler) error {
	cl.mu.Lock()
	cl.subs[filter] = mh
	connect := cl.connects
	cl.mu.Unlock()
	if !cl.c.IsConnectionOpen() {
		return nil // onConnect subscribes once the broker answers
	}
	tok := cl.c.Subscribe(filter, 1, mh)
	answered := tok.WaitTimeout(cl.opts.Timeout)
	err := tok.Error()
	switch {
	case answered && err == nil:
		if err := CheckGrant(tok, filter); err != nil {
			return fmt.Errorf("bus: subscribe %s: %w", filter, err)
		}
		return nil
	case badFilter(err):
		return fmt.Errorf("bus: subscribe %s: %w", filter, err)
	case err != nil || cl.lostSince(connect):
		// The connection dropped before the broker answered (a twin of the
		// site taking the client id, a broker restarting), though paho may
		// not have seen the loss yet: the next connection subscribes it,
		// as every input.
		cl.log.Debug("bus: subscription left to the next connection", "topic", filter, "err", err)
		return nil
	}
	return fmt.Errorf("bus: subscribe %s: no answer within %s", filter, cl.opts.Timeout)
}

// ErrSubscriptionRefused is a subscription the broker answered with a
// failure code (0x80 and above): paho gives no error for it.
var ErrSubscriptionRefused = errors.New("the broker refused the subscription: its ACL does not let this account read it, or its own state")

// CheckGrant returns ErrSubscriptionRefused when tok, a subscription the
// broker answered, has a failure code for filter, and nil otherwise.
func CheckGrant(tok paho.Token, filter string) error {
	st, ok := tok.(*paho.SubscribeToken)
	if !ok {
		return nil
	}
	if code, ok := st.Result()[filter]; ok && code >= 0x80 {
		return ErrSubscriptionRefused
	}
	return nil
}

// badFilter tells whether err, of a subscription, is paho's word on the
// filter. Every other error paho gives is the connection's: a refusal is
// none (see CheckGrant).
func badFilter(err error) bool {
	return errors.Is(err, paho.ErrInvalidTopicEmptyString) || errors.Is(err, paho.ErrInvalidTopicMultilevel) || errors.Is(err, paho.ErrInvalidQos)
}

// lostSince tells whether connection number connect is gone: lost, or
// another made since.
func (cl *Client) lostSince(connect int) bool {
	cl.mu.Lock()
	gone := cl.connects != connect || !cl.away.IsZero()
	cl.mu.Unlock()
	return gone || !cl.c.IsConnectionOpen()
}

// Publish sends one message and, for QoS 1, waits until the broker has it.
func (cl *Client) Publish(topic string, qos byte, retain bool, payload []byte) error {
	return cl.Start(topic, qos, retain, payload).Wait(cl.opts.Timeout)
}

// Sending is a publication under way.
type Sending struct {
	topic string
	tok   paho.Token
	err   error
}

// Start sends one message without waiting: messages started one after the
// other are sent, and delivered, in that order. Wait for each with Wait.
func (cl *Client) Start(topic string, qos byte, retain bool, payload []byte) *Sending {
	if cl.inline != nil {
		return &Sending{topic: topic, err: cl.inline.PublishQoS(topic, qos, payload, retain)}
	}
	if !cl.c.IsConnectionOpen() {
		return &Sending{topic: topic, err: ErrNotConnected}
	}
	return &Sending{topic: topic, tok: cl.c.Publish(topic, qos, retain, payload)}
}

// Err is, without waiting, the error of a publication that failed at once:
// the broker is unreachable (ErrNotConnected), or the embedded one refused
// it. nil for one under way, whatever becomes of it.
func (s *Sending) Err() error { return s.err }

// Wait returns once the broker has the message (QoS 1) or it was written
// (QoS 0), or after the client's timeout.
func (s *Sending) Wait(timeout time.Duration) error {
	if s.err != nil || s.tok == nil {
		return s.err
	}
	if !s.tok.WaitTimeout(timeout) {
		return fmt.Errorf("bus: publish %s: %w within %s", s.topic, ErrNoAnswer, timeout)
	}
	if err := s.tok.Error(); err != nil {
		return fmt.Errorf("bus: publish %s: %w", s.topic, err)
	}
	return nil
}

// Retained reads the message the broker retains on topic, waiting up to
// wait for it: nil when there is none (a broker sends a retained message
// at once on subscribing; none came by then). The embedded broker is this
// process's, and nobody else's publishes there: nil. The topic is not
// one of the client's subscriptions: its messages go nowhere else.
func (cl *Client) Retained(topic string, wait time.Duration) ([]byte, error) {
	if cl.inline != nil {
		return nil, nil
	}
	if !cl.c.IsConnectionOpen() {
		return nil, ErrNotConnected
	}
	got := make(chan []byte, 1)
	tok := cl.c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			select {
			case got <- m.Payload():
			default:
			}
		}
	})
	if !tok.WaitTimeout(cl.opts.Timeout) {
		return nil, fmt.Errorf("bus: subscribe %s: no answer within %s", topic, cl.opts.Timeout)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("bus: subscribe %s: %w", topic, err)
	}
	defer cl.c.Unsubscribe(topic)
	select {
	case p := <-got:
		return p, nil
	case <-time.After(wait):
		return nil, nil
	}
}

// Timeout is the client's bound on connecting and on each publish.
func (cl *Client) Timeout() time.Duration { return cl.opts.Timeout }

// Connected reports whether the broker is reachable now.
func (cl *Client) Connected() bool { return cl.inline != nil || cl.c.IsConnectionOpen() }

// Root is the topic root.
func (cl *Client) Root() string { return cl.opts.Root }

func (cl *Client) String() string {
	if cl.inline != nil {
		return "bus(embedded " + cl.opts.Root + ")"
	}
	return "bus(" + cl.opts.URL + " " + cl.opts.Root + ")"
}

// lossLog counts the connections lost lately, to tell a link that drops
// now and then from one lost again and again (another client taking this
// one's client id over, twice a second), which would fill the journal.
type lossLog struct {
	mu     sync.Mutex
	recent []time.Time // the losses of the last lossWindow
	said   time.Time   // when the last line of a run of losses was logged
}

const (
	lossWindow = time.Minute
	lossAlone  = 3 // the losses of a window logged one by one
)

// note records a loss at now, and says how to log it: alone (the first
// lossAlone of a window), or, beyond them, once a window in a line with
// the count of the window's losses (lost above 0), else not.
func (l *lossLog) note(now time.Time) (alone bool, lost int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent = append(slices.DeleteFunc(l.recent, func(t time.Time) bool { return now.Sub(t) >= lossWindow }), now)
	switch {
	case len(l.recent) <= lossAlone:
		return true, 0
	case now.Sub(l.said) < lossWindow:
		return false, 0
	}
	l.said = now
	return false, len(l.recent)
}

// SetStatus replaces the retained status published on every connect, and
// publishes it now, not awaited.
func (cl *Client) SetStatus(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	cl.statusOrder.Lock()
	defer cl.statusOrder.Unlock()
	cl.mu.Lock()
	cl.opts.Status = v
	held := cl.held
	cl.mu.Unlock()
	if !held {
		cl.Start(cl.opts.Root+"/status", 1, true, b)
	}
}

// Ready publishes the status held back (Opts.HoldStatus), now if
// connected, else at the connection, as on every connection after.
func (cl *Client) Ready() {
	cl.statusOrder.Lock() // a SetStatus meanwhile goes out after this one
	defer cl.statusOrder.Unlock()
	cl.mu.Lock()
	if !cl.held {
		cl.mu.Unlock()
		return
	}
	cl.held = false
	status, connect := cl.opts.Status, cl.connects
	b, err := json.Marshal(status)
	if status == nil || err != nil || cl.inline == nil && (connect == 0 || cl.statusSubbed != connect) {
		// Not connected yet, or the connection has not heard the
		// status the broker retains: onConnect publishes it then.
		cl.mu.Unlock()
		return
	}
	check := connect > 0 && cl.inline == nil && !cl.closed
	if check {
		cl.checks.Add(1)
	}
	cl.mu.Unlock()
	if err := cl.Start(cl.opts.Root+"/status", 1, true, b).Err(); err != nil {
		cl.log.Debug("bus: status not published", "err", err)
	}
	if check {
		go cl.checkOwnStatus(connect)
	}
}

// SetStopped sets the status that Close publishes: one that says
// "stopped":true, which another controller of the site that finds it
// takes for a run that ended (onStatus), where the last will may be a
// twin's that this one's connection threw off, running still. Set once
// the controller runs: a start that fails is no clean stop (a second box
// of the site whose start fails, again and again under systemd, is a
// twin all the same). Until then Close publishes Offline.
func (cl *Client) SetStopped(v any) {
	cl.mu.Lock()
	cl.stopped = v
	cl.mu.Unlock()
}

// stoppedStatus is what Close publishes: SetStopped's, or Offline.
func (cl *Client) stoppedStatus() []byte {
	cl.mu.Lock()
	v := cl.stopped
	cl.mu.Unlock()
	if v == nil {
		return cl.offline()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return cl.offline()
	}
	return b
}

// offline is the status while the controller is away.
func (cl *Client) offline() []byte {
	if cl.opts.Offline == nil {
		return []byte(`{"online":false}`)
	}
	b, err := json.Marshal(cl.opts.Offline)
	if err != nil {
		return []byte(`{"online":false}`)
	}
	return b
}

// Close publishes the offline status (the last will covers a crash) and
// disconnects.
func (cl *Client) Close() error {
	if cl.inline != nil {
		cl.mu.Lock()
		cl.closed = true // its stop status is no other publisher's
		cl.mu.Unlock()
		cl.statusOrder.Lock() // after a restore under way
		defer cl.statusOrder.Unlock()
		return cl.inline.PublishQoS(cl.opts.Root+"/status", 1, cl.stoppedStatus(), true)
	}
	cl.mu.Lock()
	if !cl.closed {
		cl.closed = true
		close(cl.done)
	}
	cl.mu.Unlock()
	cl.checks.Wait()
	cl.statusOrder.Lock() // after a restore under way
	if cl.c.IsConnectionOpen() {
		cl.c.Publish(cl.opts.Root+"/status", 1, true, cl.stoppedStatus()).WaitTimeout(cl.opts.Timeout)
	}
	cl.statusOrder.Unlock()
	cl.c.Disconnect(250)
	return nil
}

// NoStore is paho's message store, keeping nothing. paho resends the QoS 1
// publications it has in flight when it reconnects; the controller does not
// need that (what the broker did not acknowledge is sent again by the
// office's publisher, from the engine's durable events and state), and
// paho v1.5.1's resend races with publications started while it runs: it
// marks as duplicates, and writes again, messages the new connection is
// already sending. A device must not have it either (docs/mqtt.md, Sent
// late): a press resent when the link comes back acts late.
type NoStore struct{}

func (NoStore) Open()                             {}
func (NoStore) Put(string, packets.ControlPacket) {}
func (NoStore) Get(string) packets.ControlPacket  { return nil }
func (NoStore) All() []string                     { return nil }
func (NoStore) Del(string)                        {}
func (NoStore) Close()                            {}
func (NoStore) Reset()                            {}

var _ paho.Store = NoStore{}
