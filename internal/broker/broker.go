// Package broker runs the embedded MQTT broker (mochi-mqtt) of the default
// setup, so that one box is a whole office with no other software.
package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Broker is a running embedded broker.
type Broker struct {
	srv  *mqtt.Server
	ln   *listeners.Net
	gl   *guardedListener
	once sync.Once
	err  error
	subs atomic.Int32 // subscription identifiers of Subscribe
	// scan is held across Subscribe (retainOrder's lock under the race
	// detector, else none).
	scan  sync.Locker
	watch *subscribers
	log   *slog.Logger

	sess        *sessions     // the hook bounding the sessions away
	stop, swept chan struct{} // sweep's
	sweepMu     sync.Mutex
	full        map[string]bool // the clients whose queue was full at the last sweep
	fullSaid    oncePerMinute   // when a full queue was last logged, and how many since
}

// The embedded broker's limits: what an office's devices need, many times
// over, and no more, so that a broken or hostile client on the network
// cannot take the controller's memory or its attention.
const (
	// MaxPacket is the largest packet a client may send: an admin request
	// is at most 256 KiB. (Without it, mochi allocates what a packet's
	// header claims, up to 256 MiB, before it reads a byte of it.)
	MaxPacket = 300 << 10
	// MaxClients is how many clients may be connected at once.
	MaxClients = 256
	// maxWritesPending is how many messages wait for one client that
	// reads slowly before more are dropped for it, and how many QoS 1 and
	// 2 messages a client may leave unacknowledged (one that is away:
	// MaxQueued).
	maxWritesPending = 1024
)

// writeTimeout is how long a write to a client may block: one that stopped
// reading its socket is dropped, and holds nothing up longer. (A variable:
// tests shorten it.)
var writeTimeout = 5 * time.Second

// Start listens on addr ("127.0.0.1:1883"; port 0 picks a free one) and
// serves MQTT 3.1.1 and 5 clients. Every client may publish and subscribe
// anything, the office's administration included: the broker has no
// accounts, so it listens where only the office's own devices reach it.
func Start(addr string, log *slog.Logger) (*Broker, error) {
	if log == nil {
		log = slog.Default()
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize, caps.MaximumClients, caps.MaximumClientWritesPending = MaxPacket, MaxClients, maxWritesPending
	caps.MaximumInflight, caps.MaximumSessionExpiryInterval = maxWritesPending, uint32(sessionExpiry/time.Second)
	// mochi's default age limit of 24 h would also drop retained
	// messages: the status, a board or a service's figures unchanged for
	// a day (the pension fund's, from Wednesday to Wednesday) would be gone
	// for a device that subscribes then. What is queued for a client gone
	// has its own bound (sessions).
	caps.MaximumMessageExpiryInterval = 0
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Capabilities: caps, Logger: slog.New(mochiLog{log.Handler(), newQuotaLog()}).With("component", "broker")})
	if err := srv.AddHook(new(auth.AllowHook), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	sess := &sessions{srv: srv, log: log}
	if err := srv.AddHook(sess, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(new(packetIDs), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := srv.AddHook(new(receiveMaximum), nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	scan, err := addRaceHooks(srv)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	// After retainOrder, which goes by the retain flag as the client sent it.
	if err := srv.AddHook(&clientLimits{srv: srv, log: log}, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	watch := new(subscribers)
	if err := srv.AddHook(watch, nil); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("broker: cannot listen on %s for the embedded MQTT broker: the port is taken (another broker?); choose another with -listen 127.0.0.1:PORT, or use that broker with -broker tcp://%s", addr, addr)
		}
		return nil, fmt.Errorf("broker: listen on %s: %w (change it with -listen)", addr, err)
	}
	gl := &guardedListener{Listener: ln, log: log, timeout: writeTimeout}
	nl := listeners.NewNet("tcp", gl)
	if err := srv.AddListener(nl); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	go func() {
		if err := srv.Serve(); err != nil {
			log.Error("broker: serve", "err", err)
		}
	}()
	b := &Broker{srv: srv, ln: nl, gl: gl, scan: scan, watch: watch, log: log, sess: sess, stop: make(chan struct{}), swept: make(chan struct{})}
	go b.sweep(b.stop, b.swept)
	return b, nil
}

// mochiLog is the broker's logger as mochi-mqtt writes to it. Its listener
// logs a client connection that ended before or during its first packet
// as a warning without a message: one that just closed (a port check, a
// client stopping) is the normal end of a connection, said at debug level;
// another error gets a message that says what it is. A client that does
// not acknowledge its messages (a hung board's firmware) is warned of once
// a minute, with how many it missed meanwhile, not at every message.
type mochiLog struct {
	slog.Handler
	quota *quotaLog
}

// quotaLog is when each client's full store was last logged, and how many
// messages it missed since.
type quotaLog struct {
	mu     sync.Mutex
	last   map[string]time.Time
	missed map[string]int
}

func newQuotaLog() *quotaLog {
	return &quotaLog{last: map[string]time.Time{}, missed: map[string]int{}}
}

// quotaEvery is how often a client's full store is logged.
const quotaEvery = time.Minute

// due counts a message client missed and says whether to log it now, with
// how many it missed since it was last logged.
func (q *quotaLog) due(client string, now time.Time) (bool, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.missed[client]++
	if now.Sub(q.last[client]) < quotaEvery {
		return false, 0
	}
	if len(q.last) >= 1000 { // clients come and go: start over
		clear(q.last)
		clear(q.missed)
		q.missed[client] = 1
	}
	n := q.missed[client]
	q.last[client] = now
	delete(q.missed, client)
	return true, n
}

func (h mochiLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "client store quota reached" && h.quota != nil {
		client := ""
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "client" {
				client = a.Value.String()
			}
			return client == ""
		})
		log, missed := h.quota.due(client, r.Time)
		if !log {
			return nil
		}
		rec := slog.NewRecord(r.Time, r.Level, "broker: a client does not acknowledge its messages (its store is full): they are dropped; logged once a minute", r.PC)
		r.Attrs(func(a slog.Attr) bool { rec.AddAttrs(a); return true })
		rec.AddAttrs(slog.Int("missed", missed))
		return h.Handler.Handle(ctx, rec)
	}
	if r.Message != "" {
		return h.Handler.Handle(ctx, r)
	}
	var err error
	r.Attrs(func(a slog.Attr) bool {
		if e, ok := a.Value.Any().(error); ok {
			err = e
		}
		return err == nil
	})
	rec := slog.NewRecord(r.Time, r.Level, "broker: a client's connection failed", r.PC)
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		rec = slog.NewRecord(r.Time, slog.LevelDebug, "broker: a client's connection ended", r.PC)
	}
	r.Attrs(func(a slog.Attr) bool { rec.AddAttrs(a); return true })
	return h.Handler.Handle(ctx, rec)
}

func (h mochiLog) WithAttrs(a []slog.Attr) slog.Handler {
	return mochiLog{h.Handler.WithAttrs(a), h.quota}
}
func (h mochiLog) WithGroup(name string) slog.Handler {
	return mochiLog{h.Handler.WithGroup(name), h.quota}
}

// guardedListener is the broker's TCP listener: each connection's writes
// time out (writeTimeout), and running out of file descriptors (a flood of
// connections) pauses accepting rather than ending it for good, as an
// error from Accept would.
type guardedListener struct {
	net.Listener
	log     *slog.Logger
	timeout time.Duration // writeTimeout when the broker started
	closed  atomic.Bool
	// slow is when a client dropped for reading too slowly was last
	// logged, and how many were since; under mu.
	slow oncePerMinute
	// starting counts the connections accepted that mochi has not used
	// yet: it serves each from a goroutine of its own (settle). idle is
	// closed when it comes back to 0. (Not a WaitGroup: a connection
	// accepted as settle begins would Add during its Wait.)
	mu       sync.Mutex
	starting int
	idle     chan struct{}
}

// accepted counts a connection in until its first use.
func (l *guardedListener) accepted() (used func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.starting == 0 {
		l.idle = make(chan struct{})
	}
	l.starting++
	return sync.OnceFunc(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.starting--; l.starting == 0 {
			close(l.idle)
		}
	})
}

// settle waits, at most max, until mochi has begun serving every
// connection accepted (one it drops unserved, accepted as the listener
// closed, is what max is for).
func (l *guardedListener) settle(max time.Duration) {
	l.mu.Lock()
	idle := l.idle
	if l.starting == 0 {
		idle = nil
	}
	l.mu.Unlock()
	if idle == nil {
		return
	}
	select {
	case <-idle:
	case <-time.After(max):
	}
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err == nil {
			cc := newClientConn(c, l.timeout, l.accepted())
			cc.dropped = l.droppedSlow
			return cc, nil
		}
		if l.closed.Load() || !(errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) {
			return nil, err
		}
		l.log.Warn("broker: out of file descriptors: not accepting clients for a moment", "err", err)
		time.Sleep(100 * time.Millisecond)
	}
}

// droppedSlow logs a client dropped for reading slower than it is written
// to, once a minute at most: a dashboard on weak Wi-Fi subscribed to #
// comes back, and is dropped again, at every large message.
func (l *guardedListener) droppedSlow(remote string) {
	l.mu.Lock()
	say, passed := l.slow.due(time.Now())
	l.mu.Unlock()
	if !say {
		return
	}
	l.log.Warn("broker: a client read slower than the office wrote to it, and was dropped (what it missed: events.replay; a client subscribed to # on a weak link gets every message of the office)",
		"remote", remote, "unsent_max", maxUnsent, "others_since", passed)
}

// oncePerMinute lets a log line that may repeat fast through once a minute
// at most, and counts those it passed over since. Its user's lock guards
// it.
type oncePerMinute struct {
	said   time.Time
	passed int
}

// due says whether to log now, and how many were passed over since the
// line was last logged.
func (o *oncePerMinute) due(now time.Time) (bool, int) {
	if now.Sub(o.said) < time.Minute {
		o.passed++
		return false, 0
	}
	passed := o.passed
	o.said, o.passed = now, 0
	return true, passed
}

func (l *guardedListener) Close() error {
	l.closed.Store(true)
	return l.Listener.Close()
}

// clientConn is a client's connection whose writes never block mochi, and
// which closes when the client does not read what is written to it.
//
// mochi v2.7.9 holds a client's lock while it writes to the client's
// connection, and every publication to the client takes that lock for its
// packet id, on the goroutine of the client that published: one client
// slow to read (a dashboard on weak Wi-Fi subscribed to #, a page of
// events.replay on its way to it) held every kiosk answer, counter ack and
// board of the office for as long as its write blocked. So a write only
// appends to the connection's own buffer, and a goroutine of the
// connection's writes that out, each write with a deadline of the broker's
// writeTimeout. A client that stops reading for that long, or lets more
// than maxUnsent bytes wait for it, is dropped: its connection closed (its
// reader ends too, and mochi drops the client). (mochi ignores a failed
// write: its WriteLoop logs it and takes the next.)
type clientConn struct {
	net.Conn
	timeout time.Duration
	started func()              // called at the connection's first use, once
	dropped func(remote string) // called when the client reads too slowly

	// writing is held by whoever takes bytes from unsent to write them,
	// until they are written: the writer, or Close for the rest; so the
	// bytes go out in the order Write took them.
	writing sync.Mutex
	mu      sync.Mutex
	unsent  []byte // what Write took and the writer has not taken yet
	spare   []byte // the writer's last buffer, for unsent to reuse
	err     error  // set, the connection is done: closed, or a write failed
	wake    chan struct{}
}

// maxUnsent is how many bytes may wait for a client that reads slower than
// they come: a few of the largest messages (an events.replay page). More,
// and it is dropped as one that stopped reading.
const maxUnsent = 1 << 20

// maxSpare is the largest buffer a connection keeps for its next writes:
// a client idle after a burst (a page of events) holds no megabyte.
const maxSpare = 64 << 10

// errTooSlow is the error of a write to a client that lets too much wait.
var errTooSlow = errors.New("broker: the client reads slower than it is written to: dropped")

func newClientConn(c net.Conn, timeout time.Duration, started func()) *clientConn {
	cc := &clientConn{Conn: c, timeout: timeout, started: started, wake: make(chan struct{}, 1)}
	go cc.writeOut()
	return cc
}

func (c *clientConn) Read(b []byte) (int, error) {
	c.started()
	return c.Conn.Read(b)
}

// Write takes b to be written: at once, whatever the client reads.
func (c *clientConn) Write(b []byte) (int, error) {
	c.started()
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if len(c.unsent) > 0 && len(c.unsent)+len(b) > maxUnsent {
		c.fail(errTooSlow)
		c.mu.Unlock()
		c.Conn.Close()
		if c.dropped != nil {
			c.dropped(c.RemoteAddr().String())
		}
		return 0, errTooSlow
	}
	c.unsent = append(c.unsent, b...)
	select {
	case c.wake <- struct{}{}:
	default: // the writer is woken already
	}
	c.mu.Unlock()
	return len(b), nil
}

// fail ends the connection with err, the first time (c.mu held): the
// writer ends, and Write returns err from now on.
func (c *clientConn) fail(err error) {
	if c.err == nil {
		c.err = err
		close(c.wake)
	}
}

// writeOut writes what Write took, in order, until the connection is done.
func (c *clientConn) writeOut() {
	for range c.wake {
		if !c.writeSome() {
			return
		}
	}
}

// writeSome writes what is unsent now, and says whether to go on.
func (c *clientConn) writeSome() bool {
	c.writing.Lock()
	defer c.writing.Unlock()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return false // Close writes the rest
	}
	out := c.unsent
	c.unsent, c.spare = c.spare[:0], nil
	// Set under mu, so that Close's shorter deadline, set under mu too,
	// is never put off by it.
	err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	c.mu.Unlock()
	if len(out) == 0 {
		return true
	}
	if err == nil {
		_, err = c.Conn.Write(out)
	}
	if err != nil {
		c.mu.Lock()
		c.fail(err)
		c.mu.Unlock()
		c.Conn.Close()
		return false
	}
	c.mu.Lock()
	if c.spare == nil && cap(out) <= maxSpare {
		c.spare = out
	}
	c.mu.Unlock()
	return true
}

// closeFlush is how long Close waits to write what is still unsent (a
// DISCONNECT with its reason) before it closes.
const closeFlush = 200 * time.Millisecond

// Close writes what is still unsent (after the write under way, which it
// cuts short), closeFlush at most, and closes.
func (c *clientConn) Close() error {
	c.started()
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return c.Conn.Close()
	}
	c.fail(net.ErrClosed) // the writer ends after the write under way
	_ = c.Conn.SetWriteDeadline(time.Now().Add(closeFlush))
	c.mu.Unlock()
	c.writing.Lock()
	c.mu.Lock()
	rest := c.unsent
	c.unsent = nil
	c.mu.Unlock()
	if len(rest) > 0 {
		_, _ = c.Conn.Write(rest)
	}
	c.writing.Unlock()
	return c.Conn.Close()
}

// SetDeadline is mochi's keepalive, which is about reading: with a
// keepalive of 0 it clears the deadline at every packet read, the write
// deadline of a write under way included.
func (c *clientConn) SetDeadline(t time.Time) error {
	c.started()
	return c.Conn.SetReadDeadline(t)
}

// Addr is the address the broker listens on, with the real port.
func (b *Broker) Addr() string { return b.ln.Address() }

// URL is the address as a client URL.
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

func (b *Broker) String() string { return "broker(" + b.Addr() + ")" }

// Publish hands a message to the broker from inside the process, as a
// client's QoS 1 publish that the broker has acknowledged: subscribers get
// it as if it came over the network (bus.Inline).
func (b *Broker) Publish(topic string, payload []byte, retain bool) error {
	return b.PublishQoS(topic, 1, payload, retain)
}

// PublishQoS is Publish at a QoS of the caller's: a subscriber gets the
// message at the lower of it and its subscription's, as from a client.
func (b *Broker) PublishQoS(topic string, qos byte, payload []byte, retain bool) error {
	if err := b.srv.Publish(topic, payload, retain, qos); err != nil {
		return fmt.Errorf("broker: publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe calls h for every message published on filter, from inside the
// process (bus.Inline): first, before it returns, for each retained one
// the broker holds (mochi's), then as each comes. h runs on the goroutine
// of the client that published, in that client's order: it must not
// block.
func (b *Broker) Subscribe(filter string, h func(topic string, payload []byte)) error {
	b.scan.Lock()
	defer b.scan.Unlock()
	err := b.srv.Subscribe(filter, int(b.subs.Add(1)), func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		h(pk.TopicName, bytes.Clone(pk.Payload))
	})
	if err != nil {
		return fmt.Errorf("broker: subscribe %s: %w", filter, err)
	}
	return nil
}

// Close disconnects every client and stops listening. Close is idempotent
// (mochi's own Close panics the second time).
func (b *Broker) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.swept
		// The listener first, with clients disconnected by closeClients:
		// mochi v2.7.9's own (Clients.GetByListener) takes the read lock
		// of the client list and then again inside (Clients.Len), so a
		// client leaving in between (Clients.Delete waiting for the write
		// lock) blocks both for good. The listener closes once: mochi's
		// Close below finds it closed.
		b.ln.Close(b.closeClients)
		// mochi's Close waits for the clients it serves, each of which
		// counts itself in as it starts (ClientsWg.Add in attachClient):
		// one accepted just before must have done so first, or the Add
		// races the Wait. It has when it first uses its connection.
		b.gl.settle(time.Second)
		b.err = b.srv.Close()
	})
	return b.err
}

// closeClients disconnects the clients of a listener that is closing.
func (b *Broker) closeClients(listener string) {
	for _, cl := range b.srv.Clients.GetAll() { // one read lock
		if cl.Net.Listener == listener && !cl.Closed() {
			_ = b.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}
