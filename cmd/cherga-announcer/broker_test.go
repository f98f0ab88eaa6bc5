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
// log; loadWait shortened.
func startOn(t *testing.T, url string, log *testkit.Log, extra ...string) (*announcer, error) {
	t.Helper()
	o, err := parseFlags(append([]string{"-broker", url, "-site", "demo", "-lang", "uk", "-id", "announcer-t"}, extra...), io.Discard)
	require.NoError(t, err)
	o.loadWait = 300 * time.Millisecond
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
