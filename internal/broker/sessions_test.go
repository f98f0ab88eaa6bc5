package broker

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"
)

// persistent connects a client with a persistent session (clean_session
// false), as the announcer does; got, if not nil, receives what it is sent.
func persistent(t *testing.T, b *Broker, id string, got chan<- string) paho.Client {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetCleanSession(false).SetAutoReconnect(false)
	if got != nil {
		opts.SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- string(m.Payload()) })
	}
	c := paho.NewClient(opts)
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	return c
}

// away disconnects c and waits until the broker holds its session as that
// of a client gone.
func away(t *testing.T, b *Broker, c paho.Client, id string) {
	t.Helper()
	c.Disconnect(0)
	require.Eventually(t, func() bool {
		cl, ok := b.srv.Clients.Get(id)
		return ok && cl.StopTime() != 0
	}, 5*time.Second, time.Millisecond)
}

// startWarning starts a broker whose warnings go to logs, stopped when the
// test ends.
func startWarning(t *testing.T) (*Broker, *bytes.Buffer) {
	t.Helper()
	logs := new(bytes.Buffer)
	return startLogging(t, slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})), logs
}

// startQuiet starts a broker that logs nothing, stopped when the test ends.
func startQuiet(t *testing.T) *Broker { return startLogging(t, slog.DiscardHandler) }

// startLogging starts a broker on a port the OS picks, logging to h,
// stopped when the test ends.
func startLogging(t *testing.T, h slog.Handler) *Broker {
	t.Helper()
	b, err := Start("127.0.0.1:0", slog.New(h))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// subscribedAway connects a client with a persistent session, subscribes it
// to filter and takes it away: a session the broker keeps messages for.
func subscribedAway(t *testing.T, b *Broker, id, filter string) {
	t.Helper()
	c := persistent(t, b, id, nil)
	tok := c.Subscribe(filter, 1, nil)
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	away(t, b, c, id)
}

// queued is how many messages the broker holds for client id.
func queued(t *testing.T, b *Broker, id string) int {
	t.Helper()
	cl, ok := b.srv.Clients.Get(id)
	require.True(t, ok, "no session for %s", id)
	return cl.State.Inflight.Len()
}

// A client with a persistent session that went away gets at most MaxQueued
// messages kept for it, the oldest, for at most QueuedAge; back in time, it
// gets them. A connected one gets all. (Not in order: mochi v2.7.9 sends a session's queue again in
// order of the second each message was queued in, and those of one second
// in any order.)
func TestQueueOfAbsentClientBounded(t *testing.T) {
	b, logs := startWarning(t)
	const id, topic = "cherga-announcer-box", "qms/test/announce"

	subscribedAway(t, b, id, topic)

	for i := range 3 * MaxQueued {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	require.Equal(t, MaxQueued, queued(t, b, id))
	require.Empty(t, logs.String(), "no warning for every message not kept")
	b.expire(time.Now())
	b.expire(time.Now())
	require.Equal(t, MaxQueued, queued(t, b, id), "none is old enough to go")
	require.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("queue is full")), "warned once: %s", logs.String())
	require.Contains(t, logs.String(), "client="+id)

	// Back within QueuedAge: it gets what was kept (in any order, above).
	got := make(chan string, 3*MaxQueued)
	c := persistent(t, b, id, got)
	kept := map[string]bool{}
	for i := range MaxQueued {
		kept[strconv.Itoa(i)] = true
	}
	for range MaxQueued {
		select {
		case m := <-got:
			require.True(t, kept[m], "message %s was not kept", m)
			delete(kept, m)
		case <-time.After(10 * time.Second):
			t.Fatalf("%d messages kept did not come", len(kept))
		}
	}
	require.Eventually(t, func() bool { return queued(t, b, id) == 0 }, 5*time.Second, time.Millisecond, "acknowledged")

	// Connected, it gets many more at once (the controller catching up
	// after an outage of its broker).
	for i := range 3 * MaxQueued {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	for i := range 3 * MaxQueued {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d", i, 3*MaxQueued)
		}
	}
	// The last acknowledgement may still be on its way when the handler
	// has run: wait for it, or the message counts as kept below.
	require.Eventually(t, func() bool { return queued(t, b, id) == 0 }, 5*time.Second, time.Millisecond, "acknowledged")
	away(t, b, c, id)

	// Away longer than QueuedAge: nothing is kept.
	for i := range 10 {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	require.Equal(t, 10, queued(t, b, id))
	b.expire(time.Now().Add(QueuedAge + 2*time.Second))
	require.Equal(t, 0, queued(t, b, id))
}

// A client away gets at most MaxQueuedBytes of messages kept, the oldest:
// a dashboard subscribed to everything, off the Wi-Fi while another pages
// through events.replay (answers of up to 256 KiB), must not take the
// controller's memory. Once the old ones expire, there is room again.
func TestQueueOfAbsentClientBytesBounded(t *testing.T) {
	b, logs := startWarning(t)
	const id, topic = "dashboard", "qms/test/read/res/x"
	subscribedAway(t, b, id, "qms/test/#")

	big := bytes.Repeat([]byte("x"), 100<<10)
	for range 20 {
		require.NoError(t, b.Publish(topic, big, false))
	}
	fit := MaxQueuedBytes / (len(big) + len(topic))
	require.Equal(t, 5, fit)
	require.Equal(t, fit, queued(t, b, id), "the oldest that fit")
	b.expire(time.Now())
	require.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("queue is full")), "warned: %s", logs.String())
	// A small one fits in what is left; another big one does not.
	require.NoError(t, b.Publish(topic, []byte("small"), false))
	require.NoError(t, b.Publish(topic, big, false))
	require.Equal(t, fit+1, queued(t, b, id))
	// Still full, sweep after sweep, one of them with nothing refused:
	// warned once, not again minutes on.
	b.expire(time.Now())
	b.expire(time.Now().Add(time.Minute))
	require.NoError(t, b.Publish(topic, big, false))
	b.expire(time.Now().Add(3 * time.Minute))
	require.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("queue is full")), "warned once: %s", logs.String())
	b.expire(time.Now().Add(QueuedAge + 2*time.Second))
	require.Equal(t, 0, queued(t, b, id))
	for range 3 {
		require.NoError(t, b.Publish(topic, []byte("small"), false))
	}
	require.Equal(t, 3, queued(t, b, id), "room again")

	// Back, it gets them.
	got := make(chan string, 8)
	persistent(t, b, id, got)
	for range 3 {
		select {
		case m := <-got:
			require.Equal(t, "small", m)
		case <-time.After(10 * time.Second):
			t.Fatal("a message kept did not come")
		}
	}
}

// The session of a client gone for sessionExpiry ends, with its
// subscriptions and its queue: a box that reconnects under a new random id
// each time leaves nothing behind for good.
func TestAbsentSessionExpires(t *testing.T) {
	defer func(d time.Duration) { sessionExpiry = d }(sessionExpiry)
	sessionExpiry = time.Second
	b := startQuiet(t)

	for i := range 3 {
		id := fmt.Sprintf("ghost-%d", i)
		subscribedAway(t, b, id, "qms/test/#")
	}
	live := persistent(t, b, "live", nil) // connected: kept however long
	defer live.Disconnect(0)
	for i := range 5 {
		require.NoError(t, b.Publish("qms/test/events", []byte(strconv.Itoa(i)), false))
	}
	require.Equal(t, int64(15), atomic.LoadInt64(&b.srv.Info.Inflight))

	// mochi's own housekeeping expires sessions, once a second.
	require.Eventually(t, func() bool {
		for i := range 3 {
			if _, ok := b.srv.Clients.Get(fmt.Sprintf("ghost-%d", i)); ok {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
	_, ok := b.srv.Clients.Get("live")
	require.True(t, ok)
	require.Empty(t, b.srv.Topics.Subscribers("qms/test/events").Subscriptions, "the subscriptions went with the sessions")
	require.Zero(t, atomic.LoadInt64(&b.srv.Info.Inflight))
}

// A retained message stays however old: a board that subscribes after a
// weekend gets the state its topic has had since Friday. (One that its
// publisher gave an MQTT 5 expiry still expires: that is how the test
// knows mochi's housekeeping ran.)
func TestRetainedMessagesDoNotAge(t *testing.T) {
	b := startQuiet(t)
	long := time.Now().Add(-72 * time.Hour).Unix()
	b.srv.Topics.RetainMessage(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true, Qos: 1},
		TopicName: "qms/test/status", Payload: []byte(`{"online":true}`), Created: long, ProtocolVersion: 4})
	b.srv.Topics.RetainMessage(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Retain: true, Qos: 1},
		TopicName: "qms/test/gone", Payload: []byte("x"), Created: long, Expiry: long + 1, ProtocolVersion: 5})
	require.Eventually(t, func() bool {
		_, kept := b.srv.Topics.Retained.GetAll()["qms/test/gone"]
		return !kept
	}, 10*time.Second, 10*time.Millisecond, "mochi's housekeeping ran")
	_, kept := b.srv.Topics.Retained.GetAll()["qms/test/status"]
	require.True(t, kept, "a retained message three days old is still there")
}

// A client with a persistent session that stops acknowledging while
// connected has up to maxWritesPending messages queued; once it is away,
// MaxQueued are kept of them, the oldest, as of messages that come while it
// is away (the soak found 1,024 kept).
func TestQueueCutWhenClientGoes(t *testing.T) {
	b := startQuiet(t)
	const id, topic = "deaf", "qms/test/events"
	c := connectSession(t, b.Addr(), id, 0, false)
	subscribe(t, c, 1, topic)
	typ, _ := readPacket(t, c)
	require.Equal(t, byte(9), typ, "SUBACK") // and it acknowledges nothing
	for i := range 3 * MaxQueued {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	require.Greater(t, queued(t, b, id), MaxQueued, "connected, it gets them all")
	first, _ := b.srv.Clients.Get(id)
	oldest := first.State.Inflight.GetAll(false)
	c.Close()
	require.Eventually(t, func() bool {
		cl, ok := b.srv.Clients.Get(id)
		return ok && cl.StopTime() != 0 && queued(t, b, id) == MaxQueued
	}, 5*time.Second, time.Millisecond)
	cl, _ := b.srv.Clients.Get(id)
	for _, pk := range cl.State.Inflight.GetAll(false) {
		n, err := strconv.Atoi(string(pk.Payload))
		require.NoError(t, err)
		require.Less(t, n, MaxQueued, "the oldest are kept")
	}
	require.NotEmpty(t, oldest)
}

// Sessions of clients that come and go under new ids are kept MaxAway at
// most: the one away longest goes first, and a client connected is never
// taken for one away.
func TestSessionsAwayBounded(t *testing.T) {
	b := startQuiet(t)
	here := persistent(t, b, "here", nil)
	defer here.Disconnect(0)
	for i := range MaxAway + 5 {
		id := fmt.Sprintf("flow-%d", i)
		subscribedAway(t, b, id, "qms/test/#")
	}
	// The last one's eviction runs in its disconnect hook, once it is
	// away (StopTime): a moment after away returns.
	awayNow := func() int {
		n := 0
		for _, cl := range b.srv.Clients.GetAll() {
			if cl.StopTime() > 0 {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return awayNow() == MaxAway }, 5*time.Second, time.Millisecond, "away: %d", awayNow())
	for i := range 5 {
		_, ok := b.srv.Clients.Get(fmt.Sprintf("flow-%d", i))
		require.False(t, ok, "flow-%d, away longest, went", i)
	}
	_, ok := b.srv.Clients.Get(fmt.Sprintf("flow-%d", MaxAway+4))
	require.True(t, ok)
	_, ok = b.srv.Clients.Get("here")
	require.True(t, ok, "connected")
	// What went took its subscriptions along.
	require.Len(t, b.srv.Topics.Subscribers("qms/test/x").Subscriptions, MaxAway)
}

// Queues that fill together are said once a minute at most, the next line
// counting the others: clients that come and go under new ids fill one
// each.
func TestFullQueuesLoggedOnceAMinute(t *testing.T) {
	b, logs := startWarning(t)
	const topic = "qms/test/announce"
	for i := range 3 {
		id := fmt.Sprintf("flow-%d", i)
		subscribedAway(t, b, id, topic)
	}
	for i := range MaxQueued + 1 {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	now := time.Now()
	b.expire(now)
	require.Equal(t, 1, bytes.Count(logs.Bytes(), []byte("queue is full")), logs.String())
	// A fourth, a minute on: said, with the two passed over.
	subscribedAway(t, b, "flow-3", topic)
	for i := range MaxQueued + 1 {
		require.NoError(t, b.Publish(topic, []byte(strconv.Itoa(i)), false))
	}
	b.expire(now.Add(time.Minute))
	require.Equal(t, 2, bytes.Count(logs.Bytes(), []byte("queue is full")), logs.String())
	require.Contains(t, logs.String(), "client=flow-3")
	require.Contains(t, logs.String(), "others_since=2")
}
