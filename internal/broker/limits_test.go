package broker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
)

// pahoClient connects a network client to b that sends each message it
// gets on got, by topic.
func pahoClient(t *testing.T, b *Broker, id string, got chan<- string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetCleanSession(true).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { got <- m.Topic() }))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// A network client's megabytes are not the broker's to hold: larger than
// the office's devices send, a publication goes nowhere but to an
// administration door, and a retained one is delivered and not kept. Nor
// is a retained press, command or request: an input of the controller
// happens when it is sent, and kept, it would be handed to every client
// that subscribes.
func TestClientLimits(t *testing.T) {
	b := startQuiet(t)
	got := make(chan string, 16)
	sub := pahoClient(t, b, "sub", got)
	tok := sub.Subscribe("#", 1, nil)
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	pub := pahoClient(t, b, "pub", make(chan string, 1))
	publish := func(topic string, size int, retained bool) {
		t.Helper()
		tok := pub.Publish(topic, 1, retained, bytes.Repeat([]byte("x"), size))
		require.True(t, tok.WaitTimeout(10*time.Second), "acknowledged, whatever became of it")
		require.NoError(t, tok.Error())
	}
	publish("junk/big", 20<<10, false)
	publish("qms/demo/admin/req", 200<<10, false)
	publish("junk/kept-big", 20<<10, true)
	publish("qms/demo/read/req", 20<<10, true) // a door's: delivered, not kept
	publish("junk/kept", 100, true)
	publish("qms/demo/kiosk/k1/press", 100, true)
	publish("qms/demo/counter/5/cmd", 100, true)
	publish("qms/demo/book/req", 100, true)
	publish("home/lamp/cmd", 100, true) // not the office's: kept
	var topics []string
	for range 7 {
		select {
		case tp := <-got:
			topics = append(topics, tp)
		case <-time.After(10 * time.Second):
			t.Fatalf("delivered: %v", topics)
		}
	}
	require.Equal(t, []string{"qms/demo/admin/req", "qms/demo/read/req", "junk/kept",
		"qms/demo/kiosk/k1/press", "qms/demo/counter/5/cmd", "qms/demo/book/req", "home/lamp/cmd"}, topics, "the big ones to no door are dropped")

	// A device that subscribes now gets the small retained ones alone.
	late := make(chan string, 4)
	c := pahoClient(t, b, "late", late)
	tok = c.Subscribe("#", 1, nil)
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.ElementsMatch(t, []string{"junk/kept", "home/lamp/cmd"}, []string{<-late, <-late})
	select {
	case tp := <-late:
		t.Fatalf("%s was kept", tp)
	case <-time.After(200 * time.Millisecond):
	}

	// The controller's own are kept, however large.
	require.NoError(t, b.Publish("qms/demo/load", bytes.Repeat([]byte("y"), 100<<10), true))
	tok = c.Subscribe("qms/demo/load", 1, nil)
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.Equal(t, "qms/demo/load", <-late)
}

// Beyond maxRetained topics, a network client's retained publication on a
// new topic is delivered and not kept; on a topic that holds one it
// replaces it.
func TestClientRetainedBounded(t *testing.T) {
	b := startQuiet(t)
	// mochi acknowledges a publication before it hands it to the
	// subscribers: a subscription made between the two would get it twice,
	// retained and live. One that got it tells it has been handed out.
	handed := make(chan string, 8)
	sync := pahoClient(t, b, "sync", make(chan string, 8))
	sync.AddRoute("junk/#", func(_ paho.Client, m paho.Message) { handed <- m.Topic() + " " + string(m.Payload()) })
	require.True(t, sync.Subscribe("junk/#", 1, nil).WaitTimeout(10*time.Second))
	pub := pahoClient(t, b, "pub", make(chan string, 1))
	require.True(t, pub.Publish("junk/old", 1, true, "1").WaitTimeout(10*time.Second))
	for i := range maxRetained {
		require.NoError(t, b.Publish(fmt.Sprintf("qms/demo/board/%d", i), []byte("{}"), true))
	}
	require.True(t, pub.Publish("junk/new", 1, true, "2").WaitTimeout(10*time.Second))
	require.True(t, pub.Publish("junk/old", 1, true, "3").WaitTimeout(10*time.Second))
	for m := ""; m != "junk/old 3"; {
		select {
		case m = <-handed: // sync's own subscription races the first alike
		case <-time.After(10 * time.Second):
			t.Fatal("junk/old 3 was not handed out")
		}
	}
	late := make(chan string, 4)
	c := pahoClient(t, b, "late", late)
	c.AddRoute("junk/#", func(_ paho.Client, m paho.Message) { late <- m.Topic() + " " + string(m.Payload()) })
	require.True(t, c.Subscribe("junk/#", 1, nil).WaitTimeout(10*time.Second))
	require.Equal(t, "junk/old 3", <-late)
	select {
	case m := <-late:
		t.Fatalf("%s was kept", m)
	case <-time.After(200 * time.Millisecond):
	}
}

// A client's retained last will is bounded as its retained publications
// are: mochi retains a will without the publication hooks. One larger than
// the office's devices send, or on a new topic beyond maxRetained, is
// delivered and not kept; a small one is kept.
func TestClientWillsBounded(t *testing.T) {
	b := startQuiet(t)
	got := make(chan string, 16)
	sub := pahoClient(t, b, "sub", got)
	require.True(t, sub.Subscribe("will/#", 1, nil).WaitTimeout(10*time.Second))
	// gone connects a client with a retained will on topic and drops its
	// connection; the will is delivered.
	gone := func(id, topic string, size int) {
		t.Helper()
		c := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID(id).SetAutoReconnect(false).
			SetBinaryWill(topic, bytes.Repeat([]byte("w"), size), 1, true))
		require.True(t, c.Connect().WaitTimeout(10*time.Second))
		cl, ok := b.srv.Clients.Get(id)
		require.True(t, ok)
		require.NoError(t, cl.Net.Conn.Close()) // not a clean disconnect: the will goes
		select {
		case tp := <-got:
			require.Equal(t, topic, tp)
		case <-time.After(10 * time.Second):
			t.Fatalf("the will on %s was not delivered", topic)
		}
		c.Disconnect(0)
	}
	gone("big", "will/big", 60<<10)
	gone("small", "will/small", 100)
	for i := range maxRetained {
		require.NoError(t, b.Publish(fmt.Sprintf("qms/demo/board/%d", i), []byte("{}"), true))
	}
	gone("new", "will/new", 100)
	_, kept := b.srv.Topics.Retained.Get("will/big")
	require.False(t, kept, "a will of 60 KiB is kept")
	_, kept = b.srv.Topics.Retained.Get("will/new")
	require.False(t, kept, "a will on a new topic beyond maxRetained is kept")
	_, kept = b.srv.Topics.Retained.Get("will/small")
	require.True(t, kept, "a small will is not kept")
}

// A network client's topic names and filters are bounded as its payloads
// are: the office's are under a hundred bytes, and MQTT's own limit of
// 64 KiB let one client keep a gigabyte of retained topic names or
// subscriptions. A publication to a longer topic is dropped; a longer
// filter, and one beyond maxSubscriptions, gets a failure code.
func TestClientTopicsBounded(t *testing.T) {
	b := startQuiet(t)
	got := make(chan string, 16)
	sub := pahoClient(t, b, "sub", got)
	require.True(t, sub.Subscribe("#", 1, nil).WaitTimeout(10*time.Second))
	pub := pahoClient(t, b, "pub", make(chan string, 1))
	long := "junk/" + strings.Repeat("x", maxTopic)
	for _, topic := range []string{long, "junk/short"} {
		tok := pub.Publish(topic, 1, true, "1")
		require.True(t, tok.WaitTimeout(10*time.Second))
		require.NoError(t, tok.Error())
	}
	require.Equal(t, "junk/short", <-got, "the long one was dropped")
	_, kept := b.srv.Topics.Retained.Get(long)
	require.False(t, kept)

	filters := map[string]byte{long: 1}
	for i := range maxSubscriptions - 1 { // "#" is the first
		filters[fmt.Sprintf("f/%d", i)] = 1
	}
	tok := sub.SubscribeMultiple(filters, nil)
	require.True(t, tok.WaitTimeout(10*time.Second))
	codes := tok.(*paho.SubscribeToken).Result()
	require.Equal(t, byte(0x80), codes[long])
	for f, code := range codes {
		if f != long {
			require.Equal(t, byte(1), code, f)
		}
	}
	tok = sub.SubscribeMultiple(map[string]byte{"f/one-more": 1, "#": 1}, nil)
	require.True(t, tok.WaitTimeout(10*time.Second))
	codes = tok.(*paho.SubscribeToken).Result()
	require.Equal(t, byte(0x80), codes["f/one-more"], "beyond maxSubscriptions")
	require.Equal(t, byte(1), codes["#"], "one it has: subscribed again")
}
