package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/hooks/auth"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/bus/bustest"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/queue"
)

func TestAdminOverMQTT(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	ctx := context.Background()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0"})
	require.NoError(t, err)
	defer o.Close()
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "pension", Kiosk: "k1"})
	require.NoError(t, err)

	ctl := func(op string, words ...string) (int, []byte) {
		args, err := buildArgs(op, "", words, nil)
		require.NoError(t, err)
		var out bytes.Buffer
		code, err := run(tell{}, &out, o.BrokerURL(), account{}, "qms/demo", op, args, 10*time.Second)
		require.NoError(t, err)
		return code, out.Bytes()
	}

	code, out := ctl("service.pause", "service=pension", "reason=1") // text, though it looks like a number
	require.Equal(t, 0, code, "%s", out)
	code, out = ctl("service.resume", "service=pension")
	require.Equal(t, 0, code, "%s", out)

	code, out = ctl("tickets.list", "service=pension")
	require.Equal(t, 0, code, "%s", out)
	var list struct{ Tickets []queue.Ticket }
	require.NoError(t, json.Unmarshal(out, &list))
	require.Len(t, list.Tickets, 1)
	require.Equal(t, "П001", list.Tickets[0].Label)

	code, out = ctl("ticket.void", "ticket=А001")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"state": "voided"`)

	code, out = ctl("counter.close", "counter=99")
	require.Equal(t, 1, code)
	require.Contains(t, string(out), `"field": "counter"`)
	require.Contains(t, string(out), `no counter \"99\"`)

	code, out = ctl("counter.close", "counter=5")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"paused": true`)

	code, out = ctl("tickets.list", "colour=red")
	require.Equal(t, 1, code)
	require.Contains(t, string(out), `"field": "colour"`)

	code, out = ctl("no.such.op")
	require.Equal(t, 1, code)
	require.Contains(t, string(out), "unknown_op")

	// -read: through {root}/read/req, what changes nothing.
	var st bytes.Buffer
	code, err = run(tell{}, &st, o.BrokerURL(), account{read: true}, "qms/demo", "office.state", nil, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "%s", st.String())
	require.Contains(t, st.String(), `"counters"`)
	st.Reset()
	code, err = run(tell{}, &st, o.BrokerURL(), account{read: true}, "qms/demo", "office.pause", nil, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, code)
	require.Contains(t, st.String(), "forbidden")
	// -book: through {root}/book/req, a booking website's operations.
	st.Reset()
	code, err = run(tell{}, &st, o.BrokerURL(), account{book: true}, "qms/demo", "office.pause", nil, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, code)
	require.Contains(t, st.String(), "forbidden")
	require.Contains(t, st.String(), "qms/demo/book/req (chergactl: without -book)")

	code, out = ctl("ticket.call", "ticket=П001", "counter=10")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"label": "П001"`)
	require.Contains(t, string(out), `"state": "called"`)

	code, out = ctl("stats.get")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), "pension")
	require.Regexp(t, `(?s)^\{\n  "day": .*\n  "total": .*\n  "services": .*\n  "counters": `, string(out), "in the controller's order")

	code, out = ctl("stats.get", "day=yesterday")
	require.Equal(t, 1, code)
	require.Contains(t, string(out), `"field": "day"`)
	code, out = ctl("tickets.list", "day=2020-01-01")
	require.Equal(t, 1, code, "a day the store does not have")
	require.Contains(t, string(out), `"field": "day"`)

	code, out = ctl("office.pause", "reason=повітряна тривога")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"reason": "повітряна тривога"`)
	_, err = o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.ErrorIs(t, err, queue.ErrPaused)
	code, out = ctl("office.resume")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"paused": []`)

	args, err := buildArgs("", `{"patch":{"office":{"recall_limit":5}},"author":"ctl"}`, nil, nil)
	require.NoError(t, err)
	var set bytes.Buffer
	code, err = run(tell{}, &set, o.BrokerURL(), account{}, "qms/demo", "config.set", args, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "%s", set.String())
	require.Contains(t, set.String(), `"version": 2`)
	require.Equal(t, 5, o.Config().Office.RecallLimit)
	// Made from version 1, which another change has replaced: refused.
	args, err = buildArgs("", `{"patch":{"office":{"recall_limit":4}},"base_version":1}`, nil, nil)
	require.NoError(t, err)
	set.Reset()
	code, err = run(tell{}, &set, o.BrokerURL(), account{}, "qms/demo", "config.set", args, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, code, "%s", set.String())
	require.Contains(t, set.String(), `"code": "conflict"`)
	require.Contains(t, set.String(), "at version 2, not 1")
	require.Equal(t, 5, o.Config().Office.RecallLimit)
	code, out = ctl("config.history")
	require.Equal(t, 0, code, "%s", out)
	require.Contains(t, string(out), `"author": "ctl"`)
	// Settings by their paths.
	code, out = ctl("config.set", "office.recall_limit=4", "office.footer=Дякуємо!", "office.hours.sat=closed")
	require.Equal(t, 0, code, "%s", out)
	require.Equal(t, 4, o.Config().Office.RecallLimit)
	require.Equal(t, "Дякуємо!", o.Config().Office.Footer)
	code, out = ctl("config.set", "office.recall_limit=99", "office.hall_size=99")
	require.Equal(t, 1, code, "%s", out)
	require.Contains(t, string(out), `"field": "config.office.hall_size"`, "each fault named")
	require.Contains(t, string(out), `"field": "config.office.recall_limit"`)

	code, out = ctl("events.replay", "from_seq=1", "max=2")
	require.Equal(t, 0, code, "%s", out)
	var page struct {
		Events  []queue.Event
		More    bool
		NextSeq uint64 `json:"next_seq"`
	}
	require.NoError(t, json.Unmarshal(out, &page))
	require.Len(t, page.Events, 2)
	require.Equal(t, uint64(1), page.Events[0].Seq)
	require.Equal(t, uint64(2), page.Events[1].Seq)
	require.True(t, page.More)
	require.Equal(t, uint64(3), page.NextSeq)
}

func TestBuildArgs(t *testing.T) {
	b, err := buildArgs("", "", []string{"counter=5", "max=10", "ticket=006", "reason=1", "base_version=3", "expire=true"}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"counter":"5","max":10,"ticket":"006","reason":"1","base_version":3,"expire":true}`, string(b), "only the numeric args are numbers, expire true or false")
	b, err = buildArgs("", "", []string{"path=/var/backups/c.db", "compact=true"}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"path":"/var/backups/c.db","compact":true}`, string(b))
	_, err = buildArgs("", "", []string{"expire=yes"}, nil)
	require.ErrorContains(t, err, "expire is true or false")
	_, err = buildArgs("", "", []string{"version=last"}, nil)
	require.ErrorContains(t, err, "version is a whole number, 0 or more")
	_, err = buildArgs("", "", []string{"nokey"}, nil)
	require.Error(t, err)
	_, err = buildArgs("", "{", nil, nil)
	require.Error(t, err)
	_, err = buildArgs("", "", []string{"ticket=А1", "-timeout=1s"}, nil)
	require.ErrorContains(t, err, "flags go before the key=value words")

	// config.set takes settings by their paths, into its merge patch.
	b, err = buildArgs("config.set", "", []string{"office.recall_limit=5", "office.hours.sat=closed", "office.hours.fri=09:00-15:00",
		"office.refuse_late=false", `office.holidays=["2026-12-25"]`, "office.footer=Дякуємо!", "office.name_en=null", "expire=true", "base_version=3"}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":5,"hours":{"sat":"closed","fri":"09:00-15:00"},"refuse_late":false,
		"holidays":["2026-12-25"],"footer":"Дякуємо!","name_en":null}},"expire":true,"base_version":3}`, string(b))
	_, err = buildArgs("config.set", "", []string{"office.hours=null", "office.hours.sat=closed"}, nil)
	require.ErrorContains(t, err, "office.hours.sat is given twice, or with settings inside it (office.hours)")
	_, err = buildArgs("config.set", "", []string{"office.hours.fri=09:00-15:00", `office.hours={"sat":"closed"}`}, nil)
	require.ErrorContains(t, err, "office.hours is given twice, or with settings inside it (office.hours.fri)")
	_, err = buildArgs("config.set", "", []string{"office.recall_limit=4", "office.recall_limit=5"}, nil)
	require.ErrorContains(t, err, "office.recall_limit is given twice")
	for _, words := range [][]string{{"office.recall_limit=4", "patch={}"}, {"patch={}", "office.recall_limit=4"}} {
		_, err = buildArgs("config.set", "", words, nil)
		require.ErrorContains(t, err, "give the settings by their paths (office.recall_limit=…) or as patch, not both", words)
	}
	// A whole patch or document as a word is the JSON it holds, not a text.
	b, err = buildArgs("config.set", "", []string{`patch={"office":{"recall_limit":4}}`, "author=ops"}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":4}},"author":"ops"}`, string(b))
	_, err = buildArgs("config.set", "", []string{"patch=recall_limit:4"}, nil)
	require.ErrorContains(t, err, "patch is a JSON object")
	require.ErrorContains(t, err, "give each setting by its path: office.recall_limit=4")
	_, err = buildArgs("config.set", "", []string{"office..name=x"}, nil)
	require.ErrorContains(t, err, "a setting's path is its keys joined by dots")
	// \n typed as in default.yaml is no line break as text: refused, with
	// the JSON that gives one.
	_, err = buildArgs("config.set", "", []string{`office.footer=Дякуємо!\nThank you!`}, nil)
	require.ErrorContains(t, err, `office.footer: \n in text is a backslash and an n, not a line break: give the text as JSON, office.footer='"first line\nsecond line"'`)
	b, err = buildArgs("config.set", "", []string{`office.footer="Дякуємо!\nThank you!"`}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"patch":{"office":{"footer":"Дякуємо!\nThank you!"}}}`, string(b))
	b, err = buildArgs("ticket.void", "", []string{"reason=a.b"}, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"reason":"a.b"}`, string(b), "a dot in a value is no path")
}

// The answer is printed in the controller's order, a refusal too (and
// exit status 1), both on standard output.
func TestPrintAnswer(t *testing.T) {
	var out bytes.Buffer
	code, err := printAnswer(&out, []byte(`{"id":"1","ok":true,"result":{"day":"2026-11-23","counters":{"2":{"served":1},"10":{"served":3},"1":{"served":2}},"note":"\u003ca\u0026b\u003e \\u0026"}}`))
	require.NoError(t, err)
	require.Equal(t, 0, code)
	require.Equal(t, `{
  "day": "2026-11-23",
  "counters": {
    "2": {
      "served": 1
    },
    "10": {
      "served": 3
    },
    "1": {
      "served": 2
    }
  },
  "note": "<a&b> \\u0026"
}
`, out.String())

	out.Reset()
	code, err = printAnswer(&out, []byte(`{"id":"1","ok":false,"error":{"code":"not_found","message":"немає талона / no ticket","field":"ticket"}}`))
	require.NoError(t, err)
	require.Equal(t, 1, code)
	require.Equal(t, "{\n  \"code\": \"not_found\",\n  \"message\": \"немає талона / no ticket\",\n  \"field\": \"ticket\"\n}\n", out.String())
}

// A wrong -args says where it is wrong, as an editor counts: line and
// column, in characters.
func TestArgsJSONErrors(t *testing.T) {
	tests := []struct{ raw, err string }{
		{`{"ticket":"А023",}`, `-args: line 1, column 18: invalid character '}' looking for beginning of object key string (the line up to there: {"ticket":"А023",})`},
		{"{\n  \"patch\": {\n    \"office\": {\"recall_limit\": 5\n  }\n", `-args: line 5, column 1: unexpected end of JSON input`},
		{`{"patch":{"office":{"hours":{"fri":"09:00-15:00"}}}`, `-args: line 1, column 52: unexpected end of JSON input (the line up to there: …:{"fri":"09:00-15:00"}}})`},
		{`{ticket:"А023"}`, `-args: line 1, column 2: invalid character 't' looking for beginning of object key string (the line up to there: {t)`},
		{`{"a":1} {"b":2}`, `-args: line 1, column 9: invalid character '{' after top-level value (the line up to there: {"a":1} {)`},
		{`["А023"]`, `-args: want a JSON object {…}, not ["А023"]`},
	}
	for _, tc := range tests {
		_, err := buildArgs("", tc.raw, nil, nil)
		require.EqualError(t, err, tc.err, tc.raw)
	}
}

// -args @FILE and -args - read the JSON from a file and from standard input.
func TestArgsFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "patch.json")
	require.NoError(t, os.WriteFile(path, []byte("{\"patch\": {\"office\": {\"recall_limit\": 5}}}\n"), 0o600))
	b, err := buildArgs("", "@"+path, nil, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":5}}}`, string(b))
	b, err = buildArgs("", "-", nil, strings.NewReader(`{"ticket":"А023"}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"ticket":"А023"}`, string(b))

	// Notepad saves UTF-8 with a byte order mark first.
	require.NoError(t, os.WriteFile(path, []byte("\ufeff{\"ticket\": \"А023\"}\r\n"), 0o600))
	b, err = buildArgs("", "@"+path, nil, nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"ticket":"А023"}`, string(b))
	require.True(t, json.Valid(b))

	require.NoError(t, os.WriteFile(path, []byte("{\n\"ticket\": А023\n}"), 0o600))
	_, err = buildArgs("", "@"+path, nil, nil)
	require.EqualError(t, err, "-args @"+path+`: line 2, column 11: invalid character 'А' looking for beginning of value (the line up to there: "ticket": А)`)
	_, err = buildArgs("", "-", nil, strings.NewReader(" \n"))
	require.EqualError(t, err, "-args - (standard input): empty: want a JSON object {…}")
	_, err = buildArgs("", "@"+filepath.Join(t.TempDir(), "none.json"), nil, nil)
	require.ErrorIs(t, err, os.ErrNotExist)

	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, ctl([]string{"-args", "-", "ticket.void"}, strings.NewReader("{"), &stdout, &stderr, func(string) string { return "" }))
	require.Contains(t, stderr.String(), "-args - (standard input): line 1, column 2")
}

// A broker that takes the connection and never answers is named as such.
func TestSilentBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	_, err = run(tell{}, io.Discard, "tcp://"+ln.Addr().String(), account{}, "qms/demo", "stats.get", nil, 300*time.Millisecond)
	require.ErrorContains(t, err, "did not answer within 300ms")
}

// On a broker with accounts chergactl logs in with -user and the password
// from -password-file or $CHERGA_MQTT_PASSWORD, never from its command line.
func TestBrokerAccount(t *testing.T) {
	url := ledgerBroker(t, &auth.Ledger{Auth: auth.AuthRules{
		{Username: "cherga", Password: "controller-secret", Allow: true},
		{Username: "admin", Password: "s3cret pass", Allow: true},
	}})

	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	cfg.Broker.Username, cfg.Broker.Password = "cherga", "controller-secret"
	o, err := office.Start(context.Background(), office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: url})
	require.NoError(t, err)
	t.Cleanup(func() { o.Close() })

	dir := t.TempDir()
	file := func(name, text string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
		return path
	}
	good, wrong, empty := file("good", "s3cret pass\r\nsecond line\n"), file("wrong", "guess\n"), file("empty", "\n")
	open := file("open", "s3cret pass\n")
	require.NoError(t, os.Chmod(open, 0o640))
	env := func(pass string) func(string) string {
		return func(k string) string {
			if k == "CHERGA_MQTT_PASSWORD" {
				return pass
			}
			return ""
		}
	}
	tests := []struct {
		name   string
		flags  []string
		env    string
		status int
		out    string // in stdout, or else stderr
	}{
		{"password file", []string{"-user", "admin", "-password-file", good}, "", 0, `"day"`},
		{"password in the environment", []string{"-user", "admin"}, "s3cret pass", 0, `"day"`},
		{"the file before the environment", []string{"-user", "admin", "-password-file", good}, "guess", 0, `"day"`},
		{"wrong password", []string{"-user", "admin", "-password-file", wrong}, "", 1, "cannot connect to " + url},
		{"no account", nil, "s3cret pass", 1, "cannot connect to " + url},
		{"a file without a user", []string{"-password-file", good}, "", 2, "give the -user"},
		{"an empty file", []string{"-user", "admin", "-password-file", empty}, "", 2, "the first line is empty"},
		{"no such file", []string{"-user", "admin", "-password-file", filepath.Join(dir, "none")}, "", 2, "no such file"},
		{"a file others may read", []string{"-user", "admin", "-password-file", open}, "", 2, "its mode is 0640, so other users may read it: chmod 600"},
		{"wrong password says why", []string{"-user", "admin", "-password-file", wrong}, "", 1, "not Authorized (refused): the broker refused this client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"-broker", url, "-timeout", "5s"}, tc.flags...)
			status := ctl(append(args, "stats.get"), nil, &stdout, &stderr, env(tc.env))
			require.Equal(t, tc.status, status, "stdout: %s\nstderr: %s", &stdout, &stderr)
			if tc.status == 0 {
				require.Contains(t, stdout.String(), tc.out)
			} else {
				require.Contains(t, stderr.String(), tc.out)
			}
		})
	}
}

// Over mutual TLS chergactl trusts -cafile and shows -cert and -key; a
// wrong CA says it is the certificate; TLS files over tcp:// are refused.
func TestBrokerOverTLS(t *testing.T) {
	ca, other := bustest.NewCA(t, "office"), bustest.NewCA(t, "other")
	srv := bustest.Broker(t, bustest.Opts{CA: ca, ClientCA: ca})
	c := ca.Issue(t, "admin", false, time.Time{})
	require.NoError(t, srv.MQTT.Subscribe("qms/demo/admin/req", 1, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		var req struct{ ID string }
		if json.Unmarshal(pk.Payload, &req) == nil {
			_ = srv.MQTT.Publish("qms/demo/admin/res/"+req.ID, []byte(`{"id":"`+req.ID+`","ok":true,"result":{"day":"2026-11-23"}}`), false, 1)
		}
	}))
	url := strings.Replace(srv.URL, "ssl://", "mqtts://", 1)
	for _, tc := range []struct {
		name   string
		flags  []string
		status int
		out    string
	}{
		{"mutual TLS", []string{"-broker", url, "-cafile", ca.File, "-cert", c.CertFile, "-key", c.KeyFile}, 0, `"day"`},
		{"wrong CA", []string{"-broker", url, "-cafile", other.File, "-cert", c.CertFile, "-key", c.KeyFile}, 1, "certificate signed by unknown authority (certificate)"},
		{"no client certificate", []string{"-broker", url, "-cafile", ca.File}, 1, "(certificate): the TLS handshake failed"},
		{"TLS files over plain TCP", []string{"-broker", "tcp://127.0.0.1:1", "-cafile", ca.File}, 2, "used only over TLS"},
		{"a key without its certificate", []string{"-broker", url, "-key", c.KeyFile}, 2, "a client key needs its certificate file too"},
		{"an unknown scheme", []string{"-broker", "http://127.0.0.1:1"}, 2, "-broker: must be embedded, tcp://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := ctl(append(append(tc.flags, "-timeout", "5s"), "stats.get"), nil, &stdout, &stderr, func(string) string { return "" })
			require.Equal(t, tc.status, status, "stdout: %s\nstderr: %s", &stdout, &stderr)
			if tc.status == 0 {
				require.Contains(t, stdout.String(), tc.out)
			} else {
				require.Contains(t, stderr.String(), tc.out)
			}
		})
	}
}

// ledgerBroker starts a broker with the accounts and ACL of ledger and
// gives its URL.
func ledgerBroker(t *testing.T, ledger *auth.Ledger) string {
	t.Helper()
	srv := mqtt.New(&mqtt.Options{InlineClient: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, srv.AddHook(new(auth.Hook), &auth.Options{Ledger: ledger}))
	tcp := listeners.NewTCP(listeners.Config{ID: "tcp", Address: "127.0.0.1:0"})
	require.NoError(t, srv.AddListener(tcp))
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return "tcp://" + tcp.Address()
}

// A controller whose status this account cannot read, slower to answer
// than the status takes to come: its answer is awaited and printed, not
// taken for no controller at all.
func TestSlowAnswerWithoutStatus(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	require.NoError(t, b.Subscribe("qms/demo/admin/req", func(_ string, payload []byte) {
		var req struct{ ID string }
		if json.Unmarshal(payload, &req) != nil {
			return
		}
		time.AfterFunc(statusGrace+500*time.Millisecond, func() {
			_ = b.Publish("qms/demo/admin/res/"+req.ID, []byte(`{"id":"`+req.ID+`","ok":true,"result":{"paused":[]}}`), false)
		})
	}))
	var out strings.Builder
	_, err = run(tell{}, &out, b.URL(), account{}, "qms/demo", "office.resume", nil, 10*time.Second)
	require.NoError(t, err)
	require.Contains(t, out.String(), `"paused"`)
}

// Without a controller, the retained status says why nobody answers: at
// once when it says so, after -timeout only when it says one is running.
func TestNoController(t *testing.T) {
	tests := []struct {
		name    string
		status  string // retained on qms/demo/status; "" none
		timeout time.Duration
		err     string
	}{
		{"stopped", `{"online":false}`, time.Minute, `the controller of site "demo" is not connected to the broker (stopped, or its link to the broker lost)`},
		{"stopped, saying when it ran", `{"online":false,"started":"2026-11-23T08:00:00.123+02:00","site":"demo"}`, time.Minute,
			`says online:false (its run that started 2026-11-23T08:00:00.123+02:00 is gone from the broker)`},
		{"stopped cleanly", `{"online":false,"started":"2026-11-23T08:00:00+02:00","site":"demo","stopped":true}`, time.Minute,
			`the controller of site "demo" has stopped (cleanly, its run that started 2026-11-23T08:00:00+02:00, says its status on tcp://`},
		{"never ran", "", 1500 * time.Millisecond, `and no qms/demo/status: no controller has run with site "demo"`},
		{"status cleared", "\x00", 1500 * time.Millisecond, `and no qms/demo/status: no controller has run with site "demo"`},
		{"running but silent", `{"online":true,"version":"1.4","started":"2026-11-23T08:00:00Z","site":"demo"}`, 300 * time.Millisecond,
			`the controller of site "demo" is running (started 2026-11-23T08:00:00Z, version 1.4) but no answer came within 300ms. The request was sent, and may have been done: the account may be allowed to publish on qms/demo/admin/req but not to read qms/demo/admin/res/#`},
		{"a status with escape codes", `{"online":false,"started":"x\u001b]0;PWNED\u0007\u001b[2J","site":"demo","stopped":true}`, time.Minute,
			`has stopped (cleanly, its run that started "x\x1b]0;PWNED\a\x1b[2J", says`},
		{"running but silent to -read", `{"online":true,"version":"1.4","started":"2026-11-23T08:00:00Z","site":"demo"}`, 300 * time.Millisecond,
			`or the controller is older than the read door (an earlier release answers on admin/req alone: leave -read out)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := broker.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			t.Cleanup(func() { b.Close() })
			switch tc.status {
			case "":
			case "\x00": // set, then cleared by an empty retained message
				require.NoError(t, b.Publish("qms/demo/status", []byte(`{"online":false}`), true))
				require.NoError(t, b.Publish("qms/demo/status", nil, true))
			default:
				require.NoError(t, b.Publish("qms/demo/status", []byte(tc.status), true))
			}
			start := time.Now()
			read := strings.HasSuffix(tc.name, "-read") // asked on the read door
			_, err = run(tell{}, io.Discard, b.URL(), account{read: read}, "qms/demo", "stats.get", nil, tc.timeout)
			require.ErrorContains(t, err, tc.err)
			require.Less(t, time.Since(start), 20*time.Second, "not the whole -timeout")
		})
	}
}

// An account that may not read the status (an ACL of {root}/admin/# only)
// is told after -timeout, as before the status was read.
func TestStatusNotReadable(t *testing.T) {
	url := ledgerBroker(t, &auth.Ledger{
		Auth: auth.AuthRules{{Username: "admin", Password: "pass", Allow: true}},
		ACL:  auth.ACLRules{{Username: "admin", Filters: auth.Filters{"qms/demo/status": auth.Deny}}},
	})
	_, err := run(tell{}, io.Discard, url, account{user: "admin", password: "pass"}, "qms/demo", "stats.get", nil, 1500*time.Millisecond)
	require.ErrorContains(t, err, `no answer from cherga on qms/demo within 1.5s (is it running, with site "demo"? or may the account not read the answers on qms/demo/admin/res/#? then the request may have been done`)
}

func TestSiteChecked(t *testing.T) {
	for _, site := range []string{"", "#", "de+mo", "demo/x"} {
		var stdout, stderr bytes.Buffer
		// No broker listens there: the command line is refused before.
		require.Equal(t, 2, ctl([]string{"-broker", "tcp://127.0.0.1:1", "-site", site, "stats.get"}, nil, &stdout, &stderr, func(string) string { return "" }), site)
		require.Contains(t, stderr.String(), "-site", site)
	}
}

// chergactl help is the usage, sent nowhere: no broker listens on port 1.
func TestHelp(t *testing.T) {
	tests := []struct {
		args           []string
		status         int
		stdout, stderr string
	}{
		{[]string{"help"}, 0, "  ticket.reprint ticket=А023 [kiosk=k1]: prints", ""},
		{[]string{"help", "config.set"}, 0, "usage: chergactl [flags] config.set office.recall_limit=5 office.hours.sat=closed", ""},
		{[]string{"help", "ticket.call"}, 0, "usage: chergactl [flags] ticket.call ticket=А023 counter=5 [end=true]", ""},
		{[]string{"help", "ticket.cal"}, 2, "", `chergactl: help: no op "ticket.cal"`},
		{[]string{"ticket.call", "-h"}, 0, "", "usage: chergactl [flags] ticket.call ticket=А023 counter=5 [end=true]"},
	}
	for _, op := range office.Ops() {
		tests = append(tests, struct {
			args           []string
			status         int
			stdout, stderr string
		}{[]string{"help", op}, 0, "usage: chergactl [flags] " + op, ""})
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		status := ctl(append([]string{"-broker", "tcp://127.0.0.1:1"}, tc.args...), nil, &stdout, &stderr, func(string) string { return "" })
		require.Equal(t, tc.status, status, "%q: %s", tc.args, &stderr)
		require.Contains(t, stdout.String(), tc.stdout, tc.args)
		require.Contains(t, stderr.String(), tc.stderr, tc.args)
	}
}

func TestUsageNamesThePasswordFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 2, ctl(nil, nil, &stdout, &stderr, func(string) string { return "" }))
	for _, w := range []string{"-user", "-password-file", "CHERGA_MQTT_PASSWORD", "Exit status: 0 done", "1 the controller\nrefused"} {
		require.Contains(t, stderr.String(), w)
	}
	require.Equal(t, 0, ctl([]string{"-h"}, nil, &stdout, &stderr, func(string) string { return "" }))
}

// config.set and config.rollback without an author are signed by whoever
// runs chergactl: the user who ran sudo, else the user, else the account.
// One given stays.
func TestAuthorFromTheUser(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	patch := json.RawMessage(`{"patch":{"office":{"recall_limit":5}}}`)
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":5}},"author":"olena"}`,
		string(withAuthor(patch, env(map[string]string{"USER": "olena"}))))
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":5}},"author":"olena"}`,
		string(withAuthor(patch, env(map[string]string{"USER": "root", "SUDO_USER": "olena"}))))
	require.JSONEq(t, `{"version":3,"author":"petro"}`,
		string(withAuthor(json.RawMessage(`{"version":3,"author":"petro"}`), env(map[string]string{"USER": "olena"}))))
	require.JSONEq(t, `{"version":3,"author":"olena"}`,
		string(withAuthor(json.RawMessage(`{"version":3,"author":""}`), env(map[string]string{"USER": "olena"}))))
	defer func(f func() string) { osAccount = f }(osAccount)
	osAccount = func() string { return "cherga-backup" }
	require.JSONEq(t, `{"patch":{"office":{"recall_limit":5}},"author":"cherga-backup"}`,
		string(withAuthor(patch, env(nil))), "no $USER (cron, systemd): the account")
	osAccount = func() string { return "" }
	require.Equal(t, string(patch), string(withAuthor(patch, env(nil))), "nobody to name")
}

// answering makes a controller of site on b that answers every request,
// with its retained status saying run r1.
func answering(t *testing.T, b *broker.Broker, site string) {
	t.Helper()
	require.NoError(t, b.Publish("qms/"+site+"/status", []byte(`{"online":true,"run":"r1","started":"2026-11-23T08:00:00+02:00","version":"1.4","site":"`+site+`"}`), true))
	require.NoError(t, b.Subscribe("qms/"+site+"/admin/req", func(_ string, payload []byte) {
		var req struct{ ID string }
		if json.Unmarshal(payload, &req) != nil {
			return
		}
		go b.Publish("qms/"+site+"/admin/res/"+req.ID, []byte(`{"id":"`+req.ID+`","ok":true,"result":{"paused":[]}}`), false)
	}))
}

// The site and the broker come from $CHERGA_SITE and $CHERGA_BROKER (as
// /etc/default/cherga sets them) when no flag gives them, and the first
// line on standard error says which office answered: the answer does not
// name it. Standard output is the answer alone.
func TestSiteFromEnvironment(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	answering(t, b, "kyiv-3")
	answering(t, b, "demo")
	env := map[string]string{"CHERGA_SITE": "kyiv-3", "CHERGA_BROKER": b.URL()}
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, ctl([]string{"office.resume"}, nil, &stdout, &stderr, func(k string) string { return env[k] }), "%s", &stderr)
	require.Equal(t, "chergactl: site kyiv-3 (controller run r1, started 2026-11-23T08:00:00+02:00, version 1.4)\n", stderr.String())
	require.JSONEq(t, `{"paused":[]}`, stdout.String())

	// -site wins over the environment.
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, ctl([]string{"-site", "demo", "office.resume"}, nil, &stdout, &stderr, func(k string) string { return env[k] }), "%s", &stderr)
	require.True(t, strings.HasPrefix(stderr.String(), "chergactl: site demo (controller run r1"), stderr.String())
	require.NotContains(t, stderr.String(), "default")

	// Neither: the default site answers, and says it is the default.
	stdout.Reset()
	stderr.Reset()
	require.Equal(t, 0, ctl([]string{"-broker", b.URL(), "office.resume"}, nil, &stdout, &stderr, func(string) string { return "" }), "%s", &stderr)
	require.Contains(t, stderr.String(), "chergactl: site demo (controller run r1")
	require.Contains(t, stderr.String(), "the default site; no -site was given, nor $CHERGA_SITE")
}

// With no site given and no controller of the default site, the error
// says that no -site was given, not a typo in it.
func TestNoSiteGiven(t *testing.T) {
	b, err := broker.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, ctl([]string{"-broker", b.URL(), "-timeout", "1500ms", "stats.get"}, nil, &stdout, &stderr, func(string) string { return "" }))
	require.Contains(t, stderr.String(), `No -site was given (nor $CHERGA_SITE): chergactl asked the default site "demo"; give -site`)
	require.NotContains(t, stderr.String(), "typo")

	stderr.Reset()
	require.Equal(t, 1, ctl([]string{"-broker", b.URL(), "-timeout", "1500ms", "-site", "demo", "stats.get"}, nil, &stdout, &stderr, func(string) string { return "" }))
	require.Contains(t, stderr.String(), "a typo in -site?")
	require.NotContains(t, stderr.String(), "No -site was given")
}
