package bus_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/sim"
)

// Follow hears a state that others keep on a topic: the retained message
// there before it subscribed, every one after, and an empty one (the
// retained message cleared), which Subscribe, for inputs, refuses or
// passes over. In the controller's own process (the embedded broker) and
// over a connection, to the embedded broker and to Mosquitto when
// CHERGA_TEST_BROKER is set.
func TestFollow(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	run := func(t *testing.T, url, root string, connect func(bus.Opts) *bus.Client) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		l, err := sim.Listen(url, root+"/nothing")
		require.NoError(t, err)
		defer l.Close()
		require.NoError(t, l.Publish(root+"/announcer/a", []byte("before"), true))
		defer func() { _ = l.Publish(root+"/announcer/a", nil, true) }() // a shared broker keeps it

		cl := connect(bus.Opts{URL: url, Root: root, ClientID: fmt.Sprintf("cherga-follow-%d", rand.Uint32()), Logger: quiet, Timeout: 2 * time.Second})
		t.Cleanup(func() {
			cl.Close()
			// Its offline status stays off a shared broker.
			if c, err := sim.Listen(url, root+"/nothing"); err == nil {
				_ = c.Publish(root+"/status", nil, true)
				c.Close()
			}
		})
		got := make(chan string, 10)
		require.NoError(t, cl.Follow(root+"/announcer/+", func(topic string, payload []byte) { got <- topic + " " + string(payload) }))
		// A retained message may come twice (paho subscribes again as the
		// connection is made), and the second time after another topic's
		// news: a topic's state, heard again, is the same.
		var heard []string
		state := map[string]string{}
		hear := func(n int) {
			t.Helper()
			for len(heard) < n {
				select {
				case g := <-got:
					topic, _, _ := strings.Cut(g, " ")
					if was, ok := state[topic]; !ok || was != g {
						state[topic] = g
						heard = append(heard, g)
					}
				case <-ctx.Done():
					t.Fatalf("heard %q", heard)
				}
			}
		}
		// The state kept before: once it is heard, the subscription is
		// in place (Follow may leave it to the connection being made).
		hear(1)
		require.NoError(t, l.Publish(root+"/announcer/b", []byte("after"), true))
		require.NoError(t, l.Publish(root+"/announcer/b", nil, true))
		hear(3)
		require.Equal(t, []string{root + "/announcer/a before", root + "/announcer/b after", root + "/announcer/b "}, heard)
	}
	eachBroker(t, "qms/follow", run)
}

// eachBroker runs a test of the controller's client in its own process
// (inline), over a connection to the embedded broker, and to Mosquitto when
// CHERGA_TEST_BROKER is set (under a root of its own: a shared broker keeps
// sessions and retained messages), each under a root that begins with
// root.
func eachBroker(t *testing.T, root string, run func(t *testing.T, url, root string, connect func(bus.Opts) *bus.Client)) {
	brk, err := broker.Start("127.0.0.1:0", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { brk.Close() })
	t.Run("inline", func(t *testing.T) {
		run(t, brk.URL(), root+"i", func(o bus.Opts) *bus.Client { return bus.ConnectInline(o, brk) })
	})
	over := func(o bus.Opts) *bus.Client {
		cl, err := bus.Connect(context.Background(), o)
		require.NoError(t, err)
		return cl
	}
	t.Run("embedded", func(t *testing.T) { run(t, brk.URL(), root+"e", over) })
	if url := os.Getenv("CHERGA_TEST_BROKER"); url != "" {
		t.Run("external", func(t *testing.T) { run(t, url, fmt.Sprintf("%s%d", root, rand.Uint32()), over) })
	}
}
