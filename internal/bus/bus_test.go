package bus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/sim"
)

// TestInline: the controller's client over the broker of its own process
// publishes the retained status at once, its messages reach network
// clients, theirs reach its handlers in order, and Close leaves the
// offline status.
func TestInline(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	defer brk.Close()
	connected := 0
	cl := bus.ConnectInline(bus.Opts{Root: "qms/t", Status: map[string]bool{"online": true}, Logger: quiet, OnConnect: func() { connected++ }}, brk)
	require.Equal(t, 1, connected)
	require.True(t, cl.Connected())

	l, err := sim.Listen(brk.URL(), "qms/t/#")
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := l.Wait(ctx, "qms/t/status", nil)
	require.NoError(t, err)
	require.JSONEq(t, `{"online":true}`, string(m.Payload))
	require.True(t, m.Retained, "the status is retained")

	got := make(chan string, 10)
	require.NoError(t, cl.Subscribe("qms/t/in/+", func(topic string, payload []byte) { got <- topic + " " + string(payload) }))
	for _, p := range []string{"1", "2", "3"} {
		require.NoError(t, l.Publish("qms/t/in/a", []byte(p), false))
	}
	for _, want := range []string{"qms/t/in/a 1", "qms/t/in/a 2", "qms/t/in/a 3"} {
		select {
		case g := <-got:
			require.Equal(t, want, g)
		case <-ctx.Done():
			t.Fatal("no message")
		}
	}

	require.NoError(t, cl.Start("qms/t/out", 1, true, []byte("x")).Wait(time.Second))
	m, err = l.Wait(ctx, "qms/t/out", nil)
	require.NoError(t, err)
	require.Equal(t, "x", string(m.Payload))
	require.Equal(t, byte(1), m.QoS)
	// At the QoS it was published at, as over a connection: {root}/errors
	// is QoS 0, and a subscriber's session keeps none for it.
	require.NoError(t, cl.Publish("qms/t/errors", 0, false, []byte("e")))
	m, err = l.Wait(ctx, "qms/t/errors", nil)
	require.NoError(t, err)
	require.Equal(t, byte(0), m.QoS)

	require.NoError(t, cl.Close())
	_, err = l.Wait(ctx, "qms/t/status", func(m sim.Message) bool { return string(m.Payload) == `{"online":false}` })
	require.NoError(t, err)
}

// A controller that subscribes to its inputs after connecting holds its
// status back (HoldStatus) until Ready, over the network and in its own
// process: a device that presses on seeing online:true must find it
// listening. Its reconnections publish it as before, the inputs first.
func TestStatusHeldUntilReady(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	brk, err := broker.Start("127.0.0.1:0", quiet)
	require.NoError(t, err)
	defer brk.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, inline := range []bool{false, true} {
		opts := bus.Opts{URL: brk.URL(), ClientID: "cherga-held", Root: "qms/held", Status: map[string]bool{"online": true}, HoldStatus: true, Logger: quiet}
		var cl *bus.Client
		if inline {
			cl = bus.ConnectInline(opts, brk)
		} else {
			cl, err = bus.Connect(ctx, opts)
			require.NoError(t, err)
		}
		require.True(t, cl.Connected())
		cl.SetStatus(map[string]any{"online": true, "store_error": "x"}) // kept back too
		b, err := cl.Retained("qms/held/status", 300*time.Millisecond)
		if !inline {
			require.NoError(t, err)
			require.Empty(t, b, "online before it listens")
		}
		l, err := sim.Listen(brk.URL(), "qms/held/status")
		require.NoError(t, err)
		cl.Ready()
		m, err := l.Wait(ctx, "qms/held/status", nil)
		require.NoError(t, err, "inline %v", inline)
		require.JSONEq(t, `{"online":true,"store_error":"x"}`, string(m.Payload), "inline %v", inline)
		l.Close()
		require.NoError(t, cl.Close())
		require.NoError(t, brk.Publish("qms/held/status", nil, true))
	}
}

// A status another client publishes over the controller's (a forged
// "online":false stops every screen and box from sending; a broker's late
// last will of an earlier connection says the same) is replaced by the
// controller's own within a moment, in its own process and over a
// connection, and no longer once it stops.
func TestStatusRestored(t *testing.T) {
	const restoreEvery = 300 * time.Millisecond
	bus.SetRestoreEvery(t, restoreEvery)
	quiet := slog.New(slog.DiscardHandler)
	run := func(t *testing.T, url, root string, connect func(bus.Opts) *bus.Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l, err := sim.Listen(url, root+"/status")
		require.NoError(t, err)
		defer l.Close()
		defer func() { _ = l.Publish(root+"/status", nil, true) }() // a shared broker keeps it
		own := fmt.Sprintf(`{"online":true,"run":"r%d"}`, rand.Uint32())
		var status map[string]any
		require.NoError(t, json.Unmarshal([]byte(own), &status))
		cl := connect(bus.Opts{URL: url, Root: root, ClientID: fmt.Sprintf("cherga-restore-%d", rand.Uint32()), Status: status, Logger: quiet, Timeout: 2 * time.Second})
		_, err = l.Wait(ctx, root+"/status", func(m sim.Message) bool { return string(m.Payload) == own })
		require.NoError(t, err)

		for _, forged := range []string{`{"online":false,"run":"forged","site":"demo"}`, strings.Replace(own, "true", "false", 1), "", "garbage"} {
			mark := l.Mark()
			require.NoError(t, l.Publish(root+"/status", []byte(forged), true))
			_, err = l.WaitAfter(ctx, mark, root+"/status", func(m sim.Message) bool { return string(m.Payload) == own })
			require.NoError(t, err, "%s stays", forged)
			late, err := sim.Listen(url, root+"/status")
			require.NoError(t, err)
			m, err := late.Wait(ctx, root+"/status", nil)
			late.Close()
			require.NoError(t, err)
			require.Equal(t, own, string(m.Payload), "the broker keeps the controller's")
			time.Sleep(restoreEvery) // it restores once in so long
		}
		// Two within restoreEvery: the second is restored when it ends.
		for range 2 {
			mark := l.Mark()
			require.NoError(t, l.Publish(root+"/status", []byte(`{"online":false,"run":"forged"}`), true))
			_, err = l.WaitAfter(ctx, mark, root+"/status", func(m sim.Message) bool { return string(m.Payload) == own })
			require.NoError(t, err, "the second forged status stays")
		}

		require.NoError(t, cl.Close())
		mark := l.Mark()
		require.NoError(t, l.Publish(root+"/status", []byte(`{"online":false,"run":"next"}`), true))
		short, stop := context.WithTimeout(ctx, 3*restoreEvery)
		defer stop()
		_, err = l.WaitAfter(short, mark, root+"/status", func(m sim.Message) bool { return string(m.Payload) == own })
		require.Error(t, err, "a client closed restores nothing")
	}
	eachBroker(t, "qms/restore", run)
}
