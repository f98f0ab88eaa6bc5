package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/internal/testkit"
)

// startOn starts the announcer on url with the flags extra, logging into
// log; loadWait and the retries of a subscription shortened.
func startOn(t *testing.T, url string, log *testkit.Log, extra ...string) (*announcer, error) {
	t.Helper()
	o, err := parseFlags(append([]string{"-broker", url, "-site", "demo", "-lang", "uk", "-id", "announcer-t"}, extra...), io.Discard)
	require.NoError(t, err)
	o.loadWait = 300 * time.Millisecond
	o.retry = 20 * time.Millisecond
	a, err := start(o, &audio.DirPlayer{Dir: t.TempDir()}, slog.New(slog.NewTextHandler(log, nil)), nil)
	if err == nil {
		t.Cleanup(a.Close)
	}
	return a, err
}

// The announcer needs {root}/load as well as {root}/announce (the air-raid
// alert comes through it): an account that may not read it, or a load
// that never comes, is said in the log; a load that comes is not.
func TestAnnouncerSaysLoadUnreadable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	t.Run("refused by the ACL", func(t *testing.T) {
		srv := bustest.Broker(t, bustest.Opts{Ledger: &auth.Ledger{
			Auth: auth.AuthRules{{Username: "announcer", Password: "pw", Allow: true}},
			ACL:  auth.ACLRules{{Username: "announcer", Filters: auth.Filters{"qms/demo/announce": auth.ReadOnly, "qms/demo/load": auth.Deny}}},
		}})
		var log testkit.Log
		_, err := startOn(t, srv.URL, &log, "-user", "announcer", "-password-file", passwordFile(t, "pw", 0o600))
		require.NoError(t, err)
		log.Await(t, ctx, "this account may not read it", "the refused load is not said")
		require.Contains(t, log.String(), "qms/demo/load")
		require.Contains(t, log.String(), "or the broker's own state; trying again")
	})
	t.Run("no retained load", func(t *testing.T) {
		srv := bustest.Broker(t, bustest.Opts{})
		var log testkit.Log
		_, err := startOn(t, srv.URL, &log)
		require.NoError(t, err)
		log.Await(t, ctx, `level=WARN msg="cherga-announcer: no retained qms/demo/load within 300ms of subscribing`, "a missing load is not said")
	})
	t.Run("a load", func(t *testing.T) {
		srv := bustest.Broker(t, bustest.Opts{})
		require.NoError(t, srv.MQTT.Publish("qms/demo/load", []byte(`{"paused":false}`), true, 1))
		var log testkit.Log
		_, err := startOn(t, srv.URL, &log)
		require.NoError(t, err)
		time.Sleep(600 * time.Millisecond) // past loadWait: nothing is to come
		require.NotContains(t, log.String(), "may not read it")
	})
}

// A subscription the broker refused is tried again, not taken as final:
// the broker's own state passes (a mochi broker of its own refuses a
// SUBSCRIBE whose packet id is that of a message inflight for the
// session), and an ACL may be fixed. The load is tried in the background;
// the calls at start, within its deadline.
func TestAnnouncerRetriesRefusedSubscription(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	deny := func(denied, allowed string) *auth.Ledger {
		return &auth.Ledger{
			Auth: auth.AuthRules{{Username: "announcer", Password: "pw", Allow: true}},
			ACL:  auth.ACLRules{{Username: "announcer", Filters: auth.Filters{auth.RString(allowed): auth.ReadOnly, auth.RString(denied): auth.Deny}}},
		}
	}
	allow := &auth.Ledger{Auth: auth.AuthRules{{Username: "announcer", Password: "pw", Allow: true}}}
	pass := passwordFile(t, "pw", 0o600)

	t.Run("load", func(t *testing.T) {
		srv := bustest.Broker(t, bustest.Opts{Ledger: deny("qms/demo/load", "qms/demo/announce")})
		var log testkit.Log
		a, err := startOn(t, srv.URL, &log, "-user", "announcer", "-password-file", pass)
		require.NoError(t, err)
		log.Await(t, ctx, "the broker refused the subscription to the office's load", "the refusal is not said")
		time.Sleep(200 * time.Millisecond) // a few retries: said once
		require.Equal(t, 1, log.Count("refused the subscription"), log.String())
		srv.SetLedger(t, allow)
		log.Await(t, ctx, `msg="cherga-announcer: subscribed after the broker did not take it" topic=qms/demo/load`, "the load is not tried again")
		require.NoError(t, srv.MQTT.Publish("qms/demo/load", []byte(`{"paused":true}`), true, 1))
		probe := func() audio.Outcome {
			return a.ann.Offer(audio.Call{ID: "probe", Ticket: "Б1", Counter: "9", Lang: "xx"})
		}
		require.Eventually(t, func() bool { return probe() == audio.Paused }, 5*time.Second, 10*time.Millisecond, "the load is not heard")
	})
	t.Run("calls", func(t *testing.T) {
		srv := bustest.Broker(t, bustest.Opts{Ledger: deny("qms/demo/announce", "qms/demo/load")})
		var log testkit.Log
		o, err := parseFlags([]string{"-broker", srv.URL, "-site", "demo", "-lang", "uk", "-id", "announcer-t", "-user", "announcer", "-password-file", pass}, io.Discard)
		require.NoError(t, err)
		o.retry = 20 * time.Millisecond
		started := make(chan error, 1)
		go func() {
			a, err := start(o, &audio.DirPlayer{Dir: t.TempDir()}, slog.New(slog.NewTextHandler(&log, nil)), nil)
			if err == nil {
				t.Cleanup(a.Close)
			}
			started <- err
		}()
		log.Await(t, ctx, `msg="cherga-announcer: cannot subscribe to the calls; trying again" topic=qms/demo/announce err="the broker refused the subscription: its ACL does not let this account read it, or its own state"`, "the refusal is not said")
		srv.SetLedger(t, allow)
		require.NoError(t, testkit.Receive(t, started))
		require.Contains(t, log.String(), `msg="cherga-announcer: subscribed after the broker did not take it" topic=qms/demo/announce`)
	})
}

// A refused password at start is an error that says so; a loss later,
// with the password changed on the broker meanwhile, is logged while the
// announcer keeps trying (paho says it only at debug level).
func TestAnnouncerRefused(t *testing.T) {
	ledger := &auth.Ledger{Auth: auth.AuthRules{{Username: "announcer", Password: "pw", Allow: true}}}
	srv := bustest.Broker(t, bustest.Opts{Ledger: ledger})
	var log testkit.Log
	_, err := startOn(t, srv.URL, &log, "-user", "announcer", "-password-file", passwordFile(t, "guess", 0o600))
	require.ErrorContains(t, err, "not Authorized (refused): the broker refused this client")

	_, err = startOn(t, srv.URL, &log, "-user", "announcer", "-password-file", passwordFile(t, "pw", 0o600))
	require.NoError(t, err)
	srv.SetLedger(t, &auth.Ledger{Auth: auth.AuthRules{{Username: "announcer", Password: "changed", Allow: true}}})
	srv.Kick(t, "announcer-t")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log.Await(t, ctx, `level=ERROR msg="cherga-announcer: cannot connect to the broker; trying again"`, "the refusal after the loss is not logged")
	require.Contains(t, log.String(), "why=refused")
}

// A connection lost and made again is said both ways: the journal of a
// broker restart ends with the announcer connected, not with the warning.
func TestAnnouncerSaysReconnected(t *testing.T) {
	srv := bustest.Broker(t, bustest.Opts{})
	var log testkit.Log
	_, err := startOn(t, srv.URL, &log)
	require.NoError(t, err)
	require.NotContains(t, log.String(), "connected to the broker")
	srv.Kick(t, "announcer-t")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	log.Await(t, ctx, `level=WARN msg="cherga-announcer: connection lost; reconnecting"`, "the loss is not logged")
	log.Await(t, ctx, `level=INFO msg="cherga-announcer: connected to the broker" broker=`+srv.URL+` away=`, "the reconnection is not logged")
	require.Equal(t, 1, log.Count("connected to the broker"))
}

// Over mutual TLS the announcer trusts -cafile and shows -cert and -key;
// with another CA it fails at start saying it is the certificate.
func TestAnnouncerTLS(t *testing.T) {
	ca, other := bustest.NewCA(t, "office"), bustest.NewCA(t, "other")
	srv := bustest.Broker(t, bustest.Opts{CA: ca, ClientCA: ca})
	require.NoError(t, srv.MQTT.Publish("qms/demo/load", []byte(`{"paused":false}`), true, 1))
	c := ca.Issue(t, "announcer", false, time.Time{})
	var log testkit.Log
	_, err := startOn(t, strings.Replace(srv.URL, "ssl://", "mqtts://", 1), &log, "-cafile", ca.File, "-cert", c.CertFile, "-key", c.KeyFile)
	require.NoError(t, err)
	_, err = startOn(t, srv.URL, &log, "-cafile", other.File, "-cert", c.CertFile, "-key", c.KeyFile)
	require.ErrorContains(t, err, "(certificate)")
	require.ErrorContains(t, err, "certificate signed by unknown authority")

	_, err = parseFlags([]string{"-broker", "tcp://127.0.0.1:1883", "-cafile", ca.File}, io.Discard)
	require.ErrorContains(t, err, "used only over TLS")
	_, err = parseFlags([]string{"-broker", srv.URL, "-cert", c.CertFile}, io.Discard)
	require.ErrorContains(t, err, "needs its key file too")
}

// A password file others may read is refused, as ssh refuses such a key.
func TestAnnouncerPasswordFileMode(t *testing.T) {
	_, err := parseFlags([]string{"-user", "a", "-password-file", passwordFile(t, "pw", 0o644)}, io.Discard)
	require.ErrorContains(t, err, "other users may read it: chmod 600")
	o, err := parseFlags([]string{"-user", "a", "-password-file", passwordFile(t, "pw\n", 0o400)}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "pw", o.password)
}

func passwordFile(t *testing.T, pass string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pass")
	require.NoError(t, os.WriteFile(path, []byte(pass), mode))
	require.NoError(t, os.Chmod(path, mode))
	return path
}
