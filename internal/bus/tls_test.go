package bus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/sim"
)

// connect connects to url as the controller would, logging into log, and
// gives a channel told of each connection.
func connect(t *testing.T, url string, tlsf bus.TLSFiles, user, pass string, log *testkit.Log) (*bus.Client, <-chan struct{}) {
	t.Helper()
	return connectWith(t, bus.Opts{URL: url, Username: user, Password: pass, TLS: tlsf}, log)
}

// runOpts gives o the status and the last will of a controller's run.
func runOpts(o bus.Opts, run string) bus.Opts {
	o.Status = map[string]any{"online": true, "run": run}
	o.Offline = map[string]any{"online": false, "run": run}
	return o
}

// connectWith connects with o as the controller would, as client id
// cherga-t under the root qms/t, logging into log (nil: nowhere), and
// gives a channel told of each connection.
func connectWith(t *testing.T, o bus.Opts, log *testkit.Log) (*bus.Client, <-chan struct{}) {
	t.Helper()
	connected := make(chan struct{}, 16)
	o.ClientID, o.Root, o.Timeout = "cherga-t", "qms/t", 2*time.Second
	o.Logger = slog.New(slog.DiscardHandler)
	if log != nil {
		o.Logger = slog.New(slog.NewTextHandler(log, nil))
	}
	o.OnConnect = func() { connected <- struct{}{} }
	cl, err := bus.Connect(context.Background(), o)
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl, connected
}

func await(t *testing.T, ch <-chan struct{}, why string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(15 * time.Second):
		t.Fatal(why)
	}
}

// Over mutual TLS the controller trusts the CA of its ca_file, shows its
// client certificate, and publishes; a wrong CA, or no client
// certificate, fails with an error that says it is the certificate.
func TestMutualTLS(t *testing.T) {
	ca, other := bustest.NewCA(t, "office"), bustest.NewCA(t, "other")
	srv := bustest.Broker(t, bustest.Opts{CA: ca, ClientCA: ca})
	client := ca.Issue(t, "cherga", false, time.Time{})

	var log testkit.Log
	cl, connected := connect(t, srv.URL, bus.TLSFiles{CA: ca.File, Cert: client.CertFile, Key: client.KeyFile}, "", "", &log)
	await(t, connected, "no connection over TLS")
	require.NoError(t, cl.Publish("qms/t/x", 1, false, []byte("hi")))
	require.Zero(t, log.Count("level=ERROR"), log.String())

	for _, tc := range []struct {
		name string
		tlsf bus.TLSFiles
		err  string
	}{
		{"wrong CA", bus.TLSFiles{CA: other.File, Cert: client.CertFile, Key: client.KeyFile}, "certificate signed by unknown authority"},
		{"no client certificate", bus.TLSFiles{CA: ca.File}, "tls: "},
		{"expired client certificate", func() bus.TLSFiles {
			old := ca.Issue(t, "old", false, time.Now().Add(-time.Hour))
			return bus.TLSFiles{CA: ca.File, Cert: old.CertFile, Key: old.KeyFile}
		}(), "tls: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var log testkit.Log
			cl, connected := connect(t, srv.URL, tc.tlsf, "", "", &log)
			require.False(t, cl.Connected())
			select {
			case <-connected:
				t.Fatal("connected")
			default:
			}
			s := log.String()
			require.Contains(t, s, `level=ERROR msg="bus: the TLS connection to the broker failed (certificate); the office starts without it`)
			require.Contains(t, s, "why=certificate")
			require.Contains(t, s, tc.err)
		})
	}
}

// A TLS file that cannot be read is an error at once, naming it.
func TestTLSFilesUnreadable(t *testing.T) {
	ca := bustest.NewCA(t, "office")
	client := ca.Issue(t, "cherga", false, time.Time{})
	junk := filepath.Join(t.TempDir(), "junk.pem")
	require.NoError(t, os.WriteFile(junk, []byte("not a certificate"), 0o644))
	for _, tc := range []struct {
		f   bus.TLSFiles
		err string
	}{
		{bus.TLSFiles{CA: "/nonexistent/ca.pem"}, "CA file: open /nonexistent/ca.pem: no such file"},
		{bus.TLSFiles{CA: junk}, "CA file " + junk + ": no PEM certificate in it"},
		{bus.TLSFiles{Cert: client.CertFile}, "a client certificate needs its key file too"},
		{bus.TLSFiles{Cert: client.CertFile, Key: ca.File}, "client certificate " + client.CertFile + " and key " + ca.File},
	} {
		_, err := tc.f.Config()
		require.ErrorContains(t, err, tc.err)
	}
	_, err := bus.Connect(context.Background(), bus.Opts{URL: "ssl://127.0.0.1:1", TLS: bus.TLSFiles{CA: junk}, Logger: slog.New(slog.DiscardHandler)})
	require.ErrorContains(t, err, "no PEM certificate")
}

// A broker that refuses the controller's password at start does not stop
// it: it starts without the broker, says why loudly, and gets through
// once the broker's password file is put right.
func TestRefusedAtStartKeepsTrying(t *testing.T) {
	ledger := &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "new", Allow: true}}}
	srv := bustest.Broker(t, bustest.Opts{Ledger: ledger})
	var log testkit.Log
	cl, connected := connect(t, srv.URL, bus.TLSFiles{}, "cherga", "old", &log)
	require.False(t, cl.Connected())
	require.Contains(t, log.String(), `level=ERROR msg="bus: the broker refused the controller (refused: its account or client id); the office starts without it`)
	require.Contains(t, log.String(), `err="not Authorized"`)
	srv.SetLedger(t, &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "old", Allow: true}}})
	await(t, connected, "not connected once the broker takes the password")
}

// After a loss, the attempts that fail are logged, each reason once (paho
// says them only at debug level): a password changed on the broker meanwhile.
func TestFailuresAfterLossLogged(t *testing.T) {
	ledger := &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "pw", Allow: true}}}
	srv := bustest.Broker(t, bustest.Opts{Ledger: ledger})
	var log testkit.Log
	_, connected := connect(t, srv.URL, bus.TLSFiles{}, "cherga", "pw", &log)
	await(t, connected, "no connection")
	srv.SetLedger(t, &auth.Ledger{Auth: auth.AuthRules{{Username: "cherga", Password: "changed", Allow: true}}})
	srv.Kick(t, "cherga-t")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log.Await(t, ctx, `level=ERROR msg="bus: cannot connect to the broker; trying again"`, "the refusal after the loss is not logged")
	require.Contains(t, log.String(), "why=refused")
	require.Contains(t, log.String(), `err="not Authorized"`)
	// Once a minute, not at every attempt: TestFailuresRateLimited, on
	// a clock of its own.
}

// Failures logs each reason when it comes, then once a minute with the
// attempts since; a network failure is a warning, the others errors.
func TestFailuresRateLimited(t *testing.T) {
	var log testkit.Log
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := &bus.Failures{Log: slog.New(slog.NewTextHandler(&log, nil)), Prefix: "bus", Broker: "tcp://b:1883", Now: func() time.Time { return now }}
	netErr := errors.New("network Error : dial tcp 10.0.0.5:1883: connect: connection refused")
	f.Seen(netErr) // logged by the caller
	for range 11 {
		now = now.Add(5 * time.Second)
		f.Failed(netErr)
	}
	require.Zero(t, log.Count("msg="), log.String())
	now = now.Add(5 * time.Second) // a minute after the first
	f.Failed(netErr)
	require.Equal(t, 1, log.Count(`level=WARN msg="bus: still cannot connect to the broker; trying again"`), log.String())
	require.Contains(t, log.String(), "attempts=12")
	require.Contains(t, log.String(), "why=network")
	f.Failed(bus.ErrNotConnected) // another reason: at once
	require.Equal(t, 2, log.Count("msg="), log.String())
	f.Reset()
	f.Failed(netErr)
	require.Equal(t, 1, log.Count(`msg="bus: cannot connect to the broker; trying again" broker=tcp://b:1883 why=network err="network Error`), "afresh after a connection: %s", log.String())
}

// An error that names the local port of each attempt (a connection reset)
// is one reason, not one per attempt.
func TestFailuresIgnoreLocalPort(t *testing.T) {
	var log testkit.Log
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f := &bus.Failures{Log: slog.New(slog.NewTextHandler(&log, nil)), Prefix: "bus", Broker: "tcp://b:8883", Now: func() time.Time { return now }}
	for port := range 12 {
		now = now.Add(5 * time.Second)
		f.Failed(fmt.Errorf("network Error : read tcp 127.0.0.1:%d->10.0.0.5:8883: read: connection reset by peer", 40000+port))
	}
	require.Equal(t, 1, log.Count("msg="), log.String())
}

// A client key anybody on the machine may read is refused.
func TestClientKeyReadableByAllRefused(t *testing.T) {
	ca := bustest.NewCA(t, "office CA")
	client := ca.Issue(t, "cherga", false, time.Now().Add(time.Hour))
	require.NoError(t, os.Chmod(client.KeyFile, 0o644))
	_, err := bus.TLSFiles{CA: ca.File, Cert: client.CertFile, Key: client.KeyFile}.Config()
	require.ErrorContains(t, err, "may be read by every user of this machine")
	require.NoError(t, os.Chmod(client.KeyFile, 0o640))
	_, err = bus.TLSFiles{CA: ca.File, Cert: client.CertFile, Key: client.KeyFile}.Config()
	require.NoError(t, err, "its group (the service's) may")
}

// A broker whose ACL does not let the controller's account publish on its
// site's root drops what it sends, and tells the client nothing (Mosquitto
// acknowledges a QoS 1 publication it denies): the controller reads its
// own status back after each connection and, when it does not come, says
// so as an error, at the next connection too. Given the root, it says
// nothing.
func TestOwnStatusNotHandedBack(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	deny := &denyPublish{prefix: "qms/t/"}
	deny.on.Store(true)
	require.NoError(t, srv.MQTT.AddHook(deny, nil))
	var log testkit.Log
	_, connected := connectWith(t, bus.Opts{URL: srv.URL, Status: map[string]any{"online": true, "run": "r1"}, StatusWait: 200 * time.Millisecond}, &log)
	await(t, connected, "not connected")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	const said = `level=ERROR msg="bus: the broker does not hand back this controller's own status: the account may not publish or subscribe to qms/t/# (check the broker's ACL for this site's root)`
	log.Await(t, ctx, said, "the dropped status went unsaid")

	srv.Kick(t, "cherga-t")
	await(t, connected, "not connected again")
	require.Eventually(t, func() bool { return log.Count(said) == 2 }, 10*time.Second, 20*time.Millisecond, "said again at the next connection: %s", log.String())

	deny.on.Store(false)
	srv.Kick(t, "cherga-t")
	await(t, connected, "not connected with the root given")
	require.Never(t, func() bool { return log.Count(said) > 2 }, time.Second, 50*time.Millisecond, "said though the status came back: %s", log.String())
}

// A subscription the broker's ACL refuses is an error of Subscribe, and is
// logged when a reconnection subscribes it again: paho reports the
// refusal (SUBACK 0x80) as success, and the controller's inputs would be
// silently deaf.
func TestSubscriptionRefused(t *testing.T) {
	ledger := &auth.Ledger{
		Auth: auth.AuthRules{{Username: "cherga", Password: "pw", Allow: true}},
		ACL: auth.ACLRules{{Username: "cherga", Filters: auth.Filters{
			"qms/t/#": auth.WriteOnly, "qms/t/status": auth.ReadOnly, "qms/t/counter/+/cmd": auth.ReadOnly,
		}}},
	}
	srv := bustest.Broker(t, bustest.Opts{Ledger: ledger})
	var log testkit.Log
	cl, connected := connect(t, srv.URL, bus.TLSFiles{}, "cherga", "pw", &log)
	await(t, connected, "no connection")
	input := func(string, []byte) {}
	require.NoError(t, cl.Subscribe("qms/t/counter/+/cmd", input))
	err := cl.Subscribe("qms/t/kiosk/+/press", input)
	require.ErrorIs(t, err, bus.ErrSubscriptionRefused)
	require.ErrorContains(t, err, "qms/t/kiosk/+/press")

	srv.Kick(t, "cherga-t")
	await(t, connected, "not connected again")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	log.Await(t, ctx, `level=ERROR msg="bus: subscribe: what is published there does not reach the controller" topic=qms/t/kiosk/+/press`, "the refusal at the reconnection went unsaid")
	require.NotContains(t, log.String(), "topic=qms/t/counter/+/cmd", "the granted one")
}

// denyPublish drops, while on, what clients publish under prefix, and
// acknowledges it all the same, as Mosquitto does with a publication its
// ACL denies (mochi would drop the client's connection instead).
type denyPublish struct {
	mqtt.HookBase
	prefix string
	client string // only this client's; "" all
	on     atomic.Bool
}

func (h *denyPublish) ID() string { return "deny-publish" }

func (h *denyPublish) Provides(b byte) bool { return b == mqtt.OnPublish }

func (h *denyPublish) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if h.on.Load() && strings.HasPrefix(pk.TopicName, h.prefix) && (h.client == "" || cl.ID == h.client) {
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

// A controller that finds, reconnecting, the status of another run of its
// site that stopped cleanly ("stopped":true) finds no twin running: the
// other box was stopped (a card swapped, a site put right). The last will
// of a run is no such word: the broker publishes it for a twin that the
// reconnection has just thrown off.
func TestTwinStoppedIsNoTwin(t *testing.T) {
	allow := func(users ...string) *auth.Ledger {
		l := &auth.Ledger{}
		for _, u := range users {
			l.Auth = append(l.Auth, auth.AuthRule{Username: auth.RString(u), Password: "pw", Allow: true})
		}
		return l
	}
	srv := bustest.Broker(t, bustest.Opts{Ledger: allow("a", "b")})
	var log testkit.Log
	open := func(user, run string, l *testkit.Log) (*bus.Client, <-chan struct{}) {
		return connectWith(t, runOpts(bus.Opts{URL: srv.URL, Username: user, Password: "pw"}, run), l)
	}
	_, aConnected := open("a", "run-a", &log)
	await(t, aConnected, "a not connected")
	// b takes the client id; a may not come back until b has stopped.
	srv.SetLedger(t, allow("b"))
	b, bConnected := open("b", "run-b", nil)
	await(t, bConnected, "b not connected")
	b.SetStopped(map[string]any{"online": false, "run": "run-b", "stopped": true})
	require.NoError(t, b.Close())
	srv.SetLedger(t, allow("a", "b"))
	await(t, aConnected, "a not connected again")
	require.Never(t, func() bool { return log.Count("another controller publishes as this site") > 0 }, time.Second, 50*time.Millisecond, "b stopped cleanly: %s", log.String())
}

// A controller of the site that comes online while this one stays
// connected (a broker that keeps two connections of one client id, or a
// twin given another client id) is said at once, not at a reconnection
// that may never come. What the first connection finds retained is no
// twin's: it is what this box's previous run left.
func TestTwinOnlineWhileConnected(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	// The broker's own publication is retained and handed out before
	// Publish returns: a network client's QoS 1 one may reach a
	// subscription made after its PUBACK live as well (mochi).
	require.NoError(t, srv.MQTT.Publish("qms/t/status", []byte(`{"online":true,"run":"before"}`), true, 1))
	var log testkit.Log
	_, connected := connectWith(t, runOpts(bus.Opts{URL: srv.URL}, "r1"), &log)
	await(t, connected, "not connected")
	const said = "another controller publishes as this site"
	require.Never(t, func() bool { return log.Count(said) > 0 }, 500*time.Millisecond, 50*time.Millisecond, "the previous run's status is no twin's")

	l, err := sim.Listen(srv.URL, "qms/t/nothing")
	require.NoError(t, err)
	defer l.Close()

	require.NoError(t, l.Publish("qms/t/status", []byte(`{"online":true,"run":"r2","started":"2026-12-03T09:00:00+02:00"}`), true))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log.Await(t, ctx, said, "the twin online went unsaid")
	require.Contains(t, log.String(), "its_started=2026-12-03T09:00:00+02:00")
	require.NoError(t, l.Publish("qms/t/status", []byte(`{"online":true,"run":"r2","seq":5}`), true))
	require.Never(t, func() bool { return log.Count(said) > 1 }, 500*time.Millisecond, 50*time.Millisecond, "said once per connection: %s", log.String())
}

// A status of another run, online, that comes instead of the controller's
// own is a twin's (onStatus says so), not a broker that drops what the
// controller sends: no word of the ACL.
func TestOwnStatusOverwrittenByTwin(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	deny := &denyPublish{prefix: "qms/t/", client: "cherga-t"}
	deny.on.Store(true)
	require.NoError(t, srv.MQTT.AddHook(deny, nil))
	twin, err := sim.Listen(srv.URL, "qms/t/nothing")
	require.NoError(t, err)
	defer twin.Close()
	require.NoError(t, twin.Publish("qms/t/status", []byte(`{"online":true,"run":"r2"}`), true))
	var log testkit.Log
	_, connected := connectWith(t, bus.Opts{URL: srv.URL, Status: map[string]any{"online": true, "run": "r1"}, StatusWait: 100 * time.Millisecond}, &log)
	await(t, connected, "not connected")
	require.Never(t, func() bool { return log.Count("does not hand back") > 0 }, time.Second, 50*time.Millisecond, "%s", log.String())
}

// dropOnSubscribe drops the connection of the client that subscribes to
// filter, the first time only, before the broker answers: as a twin of the
// site taking the client id does while a controller starts.
type dropOnSubscribe struct {
	mqtt.HookBase
	srv     *bustest.Server
	filter  string
	dropped atomic.Bool
}

func (h *dropOnSubscribe) ID() string { return "drop-on-subscribe" }

func (h *dropOnSubscribe) Provides(b byte) bool { return b == mqtt.OnSubscribe }

func (h *dropOnSubscribe) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	for _, f := range pk.Filters {
		if f.Filter == h.filter && h.dropped.CompareAndSwap(false, true) {
			// Its reconnection waits for the broker to let it go: mochi's
			// cleanup, racing one within microseconds, would delete the
			// new connection from its table (an accepted limit of the
			// embedded broker, not what this test is about).
			h.srv.Drop(cl, errors.New("dropped while subscribing"))
		}
	}
	return pk
}

// A subscription whose connection drops before the broker answers is no
// failure: the next connection subscribes it, and its messages come. (A
// controller whose start failed on it would leave the office; a twin of
// the site, throwing the connection off as it starts, would go unseen.)
func TestSubscribeAcrossLostConnection(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	require.NoError(t, srv.MQTT.AddHook(&dropOnSubscribe{srv: srv, filter: "qms/t/in"}, nil))
	var log testkit.Log
	cl, connected := connect(t, srv.URL, bus.TLSFiles{}, "", "", &log)
	await(t, connected, "not connected")
	got := make(chan string, 4)
	require.NoError(t, cl.Subscribe("qms/t/in", func(_ string, p []byte) { got <- string(p) }))
	await(t, connected, "not connected again")
	l, err := sim.Listen(srv.URL, "qms/t/nothing")
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Publish("qms/t/in", []byte("x"), false))
	select {
	case p := <-got:
		require.Equal(t, "x", p)
	case <-time.After(15 * time.Second):
		t.Fatal("the subscription was not made again")
	}
	require.NotContains(t, log.String(), "bus: subscribe", "a subscription the next connection makes is no error")
}

// The run's own last will, which a broker publishes as it stops, is
// covered by the run's status again, and said so in passing: no warning
// of another publisher.
func TestOwnWillRestoredQuietly(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	var log testkit.Log
	_, connected := connectWith(t, bus.Opts{URL: srv.URL, Status: map[string]any{"online": true, "run": "r1"},
		Offline: map[string]any{"online": false, "run": "r1"}}, &log)
	await(t, connected, "not connected")
	l, err := sim.Listen(srv.URL, "qms/t/status")
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Wait(context.Background(), "qms/t/status", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"online":true`) })
	require.NoError(t, err)
	require.NoError(t, l.Publish("qms/t/status", []byte(`{"online":false,"run":"r1"}`), true))
	require.Eventually(t, func() bool { return log.Count("the broker published this controller's last will") == 1 }, 10*time.Second, 20*time.Millisecond, "%s", log.String())
	_, err = l.Wait(context.Background(), "qms/t/status", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"online":true`) && m.Retained == false
	})
	require.NoError(t, err)
	require.Zero(t, log.Count("another publisher overwrote"), "%s", log.String())
}

// A twin found by its last will (the broker published it when this one
// took the client id) is said with what that status is: it runs, though
// its status says offline.
func TestTwinsLastWillSaidSo(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	var log testkit.Log
	_, connected := connectWith(t, runOpts(bus.Opts{URL: srv.URL}, "r1"), &log)
	await(t, connected, "not connected")
	l, err := sim.Listen(srv.URL, "qms/t/nothing")
	require.NoError(t, err)
	defer l.Close()
	// The twin took the client id; this one took it back, and the broker
	// publishes the twin's will.
	cl, ok := srv.MQTT.Clients.Get("cherga-t")
	require.True(t, ok)
	srv.Drop(cl, errors.New("taken over"))
	await(t, connected, "not connected again")
	require.NoError(t, l.Publish("qms/t/status", []byte(`{"online":false,"run":"r2"}`), true))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	log.Await(t, ctx, "another controller publishes as this site", "the twin went unsaid")
	require.Contains(t, log.String(), "its online=false is its last will")
}
