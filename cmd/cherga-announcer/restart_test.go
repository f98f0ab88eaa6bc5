package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/sim"
)

// brokers are the brokers a test runs against: the embedded one, and
// the one of CHERGA_TEST_BROKER (Mosquitto) when it is set.
func brokers(t *testing.T, run func(t *testing.T, url, site string)) {
	t.Run("embedded", func(t *testing.T) { run(t, startBroker(t).URL(), "e2e") })
	ext := os.Getenv("CHERGA_TEST_BROKER")
	if ext == "" {
		t.Log("CHERGA_TEST_BROKER is not set: the run against an external broker (Mosquitto) is skipped")
		return
	}
	// A shared broker keeps sessions and retained messages: a site and an
	// id of our own, and what it retains of the site is cleared after
	// (the announcer's presence, its stop status).
	t.Run("external", func(t *testing.T) {
		site := fmt.Sprintf("e2e%d", rand.Uint32())
		t.Cleanup(func() { // after the test's own: the announcer stopped
			if l, err := sim.Listen(ext, "qms/"+site+"/#"); err == nil {
				time.Sleep(500 * time.Millisecond) // the broker hands them over at once
				l.ClearRetained()
				l.Close()
			}
		})
		run(t, ext, site)
	})
}

// A call made while the announcer is down (restarting) stays with the
// broker for its session, which resends it right after the next connect,
// before the announcer has subscribed again: it is said.
func TestAnnouncerSaysCallMadeWhileDown(t *testing.T) {
	brokers(t, func(t *testing.T, url, site string) {
		out := t.TempDir()
		run, pub := restartable(t, url, site, out)
		// Two calls, to two counters: the broker holds them inflight as
		// packet ids 1 and 2, the ids a fresh client subscribes with
		// (mochi refuses a SUBSCRIBE whose id is inflight: they must be
		// taken and acknowledged).
		for _, c := range []struct{ id, ticket, counter string }{{"41", "А041", "4"}, {"42", "А042", "5"}} {
			call, _ := announce(t, c.id, c.ticket, c.counter, "uk", false, time.Now())
			require.NoError(t, pub.Publish("qms/"+site+"/announce", call, false))
		}

		played := make(chan string, 8)
		a := run(func(an *audio.Announcement, err error) {
			if err != nil {
				t.Errorf("%v: %v", an.IDs, err)
			}
			played <- an.Ticket
		})
		t.Cleanup(a.Close) // again, after a failure below
		// In either order: mochi resends what it holds for a session
		// sorted by the second it came in, not stably.
		said := []string{testkit.Receive(t, played), testkit.Receive(t, played)}
		require.ElementsMatch(t, []string{"А041", "А042"}, said, "the calls made while the announcer was down")
		files, err := filepath.Glob(filepath.Join(out, "*.wav"))
		require.NoError(t, err)
		require.Len(t, files, 2)
		for i, f := range files {
			require.Equal(t, fmt.Sprintf("%04d-%s.wav", i+1, map[string]string{"А041": "41", "А042": "42"}[said[i]]), filepath.Base(f))
		}

		// Started again, it has nothing more to say, and subscribes at once.
		a.Close()
		a = run(nil)
		t.Cleanup(a.Close)
	})
}

// A restarted announcer is given, for its session, a call made 110 s ago
// and one made 20 s ago, and the office's load as the controller sent it
// again a moment ago: the older call is not said (its citizen was called
// long before the announcer came back), the recent one is.
func TestAnnouncerRestartedDropsOldKeptCalls(t *testing.T) {
	brokers(t, func(t *testing.T, url, site string) {
		out := t.TempDir()
		run, pub := restartable(t, url, site, out)
		now := time.Now()
		for _, c := range []struct {
			id, ticket, counter string
			ago                 time.Duration
		}{{"51", "А051", "4", 110 * time.Second}, {"52", "А052", "5", 20 * time.Second}} {
			p, err := audio.Announce("uk", c.ticket, c.counter, audio.Window)
			require.NoError(t, err)
			at := now.Add(-c.ago)
			b, err := json.Marshal(audio.Call{ID: c.id, Ticket: c.ticket, Counter: c.counter, Lang: "uk", Text: p.Text, Clips: p.Clips, At: at, Sent: at})
			require.NoError(t, err)
			require.NoError(t, pub.Publish("qms/"+site+"/announce", b, false))
		}
		load := fmt.Sprintf(`{"waiting":3,"paused":false,"open_counters":2,"at":%q,"sent":%q}`, now.Add(-10*time.Minute).Format(time.RFC3339Nano), now.Add(-time.Second).Format(time.RFC3339Nano))
		require.NoError(t, pub.Publish("qms/"+site+"/load", []byte(load), true))
		t.Cleanup(func() { _ = pub.Publish("qms/"+site+"/load", nil, true) })

		played := make(chan string, 8)
		a := run(func(an *audio.Announcement, err error) {
			if err != nil {
				t.Errorf("%v: %v", an.IDs, err)
			}
			played <- an.Ticket
		})
		t.Cleanup(a.Close)
		require.Equal(t, "А052", testkit.Receive(t, played))
		select {
		case ticket := <-played:
			t.Fatalf("said %s", ticket)
		case <-time.After(3 * time.Second):
		}
	})
}

// restartable returns run, which starts an announcer of site at url,
// writing into out, under one client id: each start finds the persistent
// session of the one before. It has run and closed one already, which made
// the session with its subscriptions; pub publishes on the broker.
func restartable(t *testing.T, url, site, out string) (run func(played func(*audio.Announcement, error)) *announcer, pub *sim.Listener) {
	id := fmt.Sprintf("announcer-%s-%d", site, rand.Uint32())
	t.Cleanup(func() { endSession(t, url, id) })
	run = func(played func(*audio.Announcement, error)) *announcer {
		t.Helper()
		o, err := parseFlags([]string{"-broker", url, "-site", site, "-out", out, "-lang", "uk", "-id", id}, io.Discard)
		require.NoError(t, err)
		player, err := newPlayer(o)
		require.NoError(t, err)
		a, err := start(o, player, slog.New(slog.DiscardHandler), played)
		require.NoError(t, err)
		return a
	}
	run(nil).Close()
	pub, err := sim.Listen(url, "qms/"+site+"/nothing")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	return run, pub
}

// endSession removes the persistent session of id from the broker at url
// (a shared one keeps it otherwise): a connect with a clean session.
func endSession(t *testing.T, url, id string) {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).SetConnectTimeout(5 * time.Second))
	if tok := c.Connect(); tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
		c.Disconnect(100)
		return
	}
	t.Logf("the session of %s is left on %s", id, url)
}
