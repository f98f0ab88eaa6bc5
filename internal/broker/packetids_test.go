package broker

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// subscribe sends a SUBSCRIBE of filter at QoS 1 with packet id pid.
func subscribe(t *testing.T, c net.Conn, pid uint16, filter string) {
	t.Helper()
	body := binary.BigEndian.AppendUint16(nil, pid)
	body = binary.BigEndian.AppendUint16(body, uint16(len(filter)))
	send(t, c, 0x82, append(append(body, filter...), 1))
}

// readPacket reads one packet: its type (the first byte's high nibble)
// and what follows its fixed header.
func readPacket(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	typ, body, ok := readWithin(t, c, 5*time.Second)
	require.True(t, ok, "no packet within 5s")
	return typ, body
}

// readWithin reads one packet if one begins within d (ok false if none).
func readWithin(t *testing.T, c net.Conn, d time.Duration) (byte, []byte, bool) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(d)))
	var first [1]byte
	if _, err := io.ReadFull(c, first[:]); err != nil {
		return 0, nil, false
	}
	n, shift := 0, 0
	for {
		var b [1]byte
		_, err := io.ReadFull(c, b[:])
		require.NoError(t, err)
		n |= int(b[0]&0x7f) << shift
		if b[0]&0x80 == 0 {
			break
		}
		shift += 7
	}
	body := make([]byte, n)
	_, err := io.ReadFull(c, body)
	require.NoError(t, err)
	return first[0] >> 4, body, true
}

// delivery reads a QoS 1 PUBLISH of MQTT 3.1.1: its topic, packet id and
// payload.
func delivery(t *testing.T, c net.Conn) (string, uint16, string) {
	t.Helper()
	typ, body := readPacket(t, c)
	require.Equal(t, byte(3), typ, "PUBLISH")
	n := int(binary.BigEndian.Uint16(body))
	return string(body[2 : 2+n]), binary.BigEndian.Uint16(body[2+n:]), string(body[4+n:])
}

// send writes one packet: its first byte and what follows the fixed header
// (under 128 bytes).
func send(t *testing.T, c net.Conn, first byte, body []byte) {
	t.Helper()
	_, err := c.Write(append([]byte{first, byte(len(body))}, body...))
	require.NoError(t, err)
}

// settled returns once the broker has done with every packet c sent
// before: a PINGREQ is read after them, and a hook's OnPacketProcessed runs
// after the reply to the packet it follows (SUBACK, UNSUBACK, PUBACK) has
// been written.
func settled(t *testing.T, c net.Conn) {
	t.Helper()
	send(t, c, 0xc0, nil) // PINGREQ
	typ, _ := readPacket(t, c)
	require.Equal(t, byte(13), typ, "PINGRESP")
}

// publish sends a QoS 1 PUBLISH of MQTT 3.1.1 (props: MQTT 5, with an
// empty property list) with packet id pid.
func publish(t *testing.T, c net.Conn, pid uint16, topic, payload string, props bool) {
	t.Helper()
	body := binary.BigEndian.AppendUint16(nil, uint16(len(topic)))
	body = binary.BigEndian.AppendUint16(append(body, topic...), pid)
	if props {
		body = append(body, 0)
	}
	send(t, c, 0x32, append(body, payload...))
}

// TestSubscribeWithIDOfADelivery subscribes with the packet id of a message
// the broker is delivering to the same client, not yet acknowledged: the
// two are of different sides, and the subscription is granted. mochi
// refused it (0x80 to a 3.1.1 client), and a board that subscribed to its
// topics while the retained messages of the first came in missed one.
func TestSubscribeWithIDOfADelivery(t *testing.T) {
	b := startQuiet(t)
	c := connect(t, b.Addr(), "board")
	defer c.Close()

	subscribe(t, c, 7, "qms/a")
	typ, ack := readPacket(t, c)
	require.Equal(t, byte(9), typ, "SUBACK")
	require.Equal(t, []byte{0, 7, 1}, ack)
	require.NoError(t, b.Publish("qms/a", []byte("one"), false))
	topic, pid, payload := delivery(t, c)
	require.Equal(t, "qms/a", topic)
	require.Equal(t, "one", payload)

	// Not acknowledged: the broker holds it under pid while the client
	// uses the same id for its next subscription.
	subscribe(t, c, pid, "qms/b")
	typ, ack = readPacket(t, c)
	require.Equal(t, byte(9), typ, "SUBACK")
	require.Equal(t, []byte{byte(pid >> 8), byte(pid), 1}, ack, "the subscription is granted QoS 1")
	require.NoError(t, b.Publish("qms/b", []byte("two"), false))
	topic, pid2, payload := delivery(t, c)
	require.Equal(t, "qms/b", topic)
	require.Equal(t, "two", payload)
	require.NotEqual(t, pid, pid2)

	// The first delivery is still held for the client: it goes again
	// when the client comes back to its session.
	settled(t, c)
	cl, ok := b.srv.Clients.Get("board")
	require.True(t, ok)
	held, ok := cl.State.Inflight.Get(pid)
	require.True(t, ok, "the delivery set aside is held again")
	require.Equal(t, "one", string(held.Payload))
}

// An UNSUBSCRIBE and a QoS 1 PUBLISH with the packet id of a delivery in
// flight: the unsubscription is made, the publication delivered, and the
// broker still holds its delivery to send again.
func TestClientPacketsWithIDOfADelivery(t *testing.T) {
	// start gives a broker and a client subscribed to qms/a and qms/b that
	// has the delivery "one" on qms/a in flight, and a check that the
	// broker still holds it.
	start := func(t *testing.T) (*Broker, net.Conn, uint16, func()) {
		b, err := Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.NoError(t, err)
		t.Cleanup(func() { b.Close() })
		c := connect(t, b.Addr(), "box")
		t.Cleanup(func() { c.Close() })
		subscribe(t, c, 1, "qms/a")
		readPacket(t, c) // SUBACK
		subscribe(t, c, 2, "qms/b")
		readPacket(t, c)
		require.NoError(t, b.Publish("qms/a", []byte("one"), false))
		_, pid, _ := delivery(t, c)
		return b, c, pid, func() {
			t.Helper()
			settled(t, c)
			cl, ok := b.srv.Clients.Get("box")
			require.True(t, ok)
			out, ok := cl.State.Inflight.Get(pid)
			require.True(t, ok, "the broker forgot its delivery")
			require.Equal(t, "one", string(out.Payload))
		}
	}
	t.Run("publish", func(t *testing.T) {
		b, c, pid, held := start(t)
		watch := connect(t, b.Addr(), "watch")
		defer watch.Close()
		subscribe(t, watch, 1, "qms/cmd")
		readPacket(t, watch)
		publish(t, c, pid, "qms/cmd", "next", false)
		typ, ack := readPacket(t, c)
		require.Equal(t, byte(4), typ, "PUBACK")
		require.Equal(t, []byte{byte(pid >> 8), byte(pid)}, ack)
		topic, _, payload := delivery(t, watch)
		require.Equal(t, "qms/cmd", topic)
		require.Equal(t, "next", payload)
		held()
	})
	t.Run("unsubscribe", func(t *testing.T) {
		b, c, pid, held := start(t)
		body := binary.BigEndian.AppendUint16(nil, pid)
		body = binary.BigEndian.AppendUint16(body, uint16(len("qms/b")))
		send(t, c, 0xa2, append(body, "qms/b"...)) // UNSUBSCRIBE
		typ, _ := readPacket(t, c)
		require.Equal(t, byte(11), typ, "UNSUBACK")
		cl, _ := b.srv.Clients.Get("box")
		_, still := cl.State.Subscriptions.Get("qms/b")
		require.False(t, still, "the unsubscription was not made")
		held()
	})
}

// An MQTT 5 client with a Receive Maximum of 1 publishes with the packet id
// of the delivery it has not yet acknowledged, then acknowledges it: the
// next message reaches it. mochi forgot the delivery and with it the one
// message the client may have in flight: nothing more was sent to it.
func TestReceiveMaximumNotLost(t *testing.T) {
	b := startQuiet(t)
	c := connect5(t, b.Addr(), "box5", 1, false, "qms/a")
	delivery5 := func() (uint16, string) {
		t.Helper()
		typ, body := readPacket(t, c)
		return publish5(t, typ, body)
	}
	require.NoError(t, b.Publish("qms/a", []byte("one"), false))
	pid, payload := delivery5()
	require.Equal(t, "one", payload)
	publish(t, c, pid, "qms/cmd", "next", true)
	typ, _ := readPacket(t, c)
	require.Equal(t, byte(4), typ, "PUBACK of the client's publication")
	send(t, c, 0x40, binary.BigEndian.AppendUint16(nil, pid)) // PUBACK of "one"

	require.NoError(t, b.Publish("qms/a", []byte("two"), false))
	_, payload = delivery5()
	require.Equal(t, "two", payload)
}
