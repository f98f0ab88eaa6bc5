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
	body = append(append(body, filter...), 1)
	_, err := c.Write(append([]byte{0x82, byte(len(body))}, body...))
	require.NoError(t, err)
}

// readPacket reads one packet: its type (the first byte's high nibble)
// and what follows its fixed header.
func readPacket(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	var first [1]byte
	_, err := io.ReadFull(c, first[:])
	require.NoError(t, err)
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
	_, err = io.ReadFull(c, body)
	require.NoError(t, err)
	return first[0] >> 4, body
}

// delivery reads a QoS 1 PUBLISH: its topic, packet id and payload.
func delivery(t *testing.T, c net.Conn) (string, uint16, string) {
	t.Helper()
	typ, body := readPacket(t, c)
	require.Equal(t, byte(3), typ, "PUBLISH")
	n := int(binary.BigEndian.Uint16(body))
	return string(body[2 : 2+n]), binary.BigEndian.Uint16(body[2+n:]), string(body[4+n:])
}

// TestSubscribeWithIDOfADelivery subscribes with the packet id of a message
// the broker is delivering to the same client, not yet acknowledged: the
// two are of different sides, and the subscription is granted. mochi
// refused it (0x80 to a 3.1.1 client), and a board that subscribed to its
// topics while the retained messages of the first came in missed one.
func TestSubscribeWithIDOfADelivery(t *testing.T) {
	b, err := Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer b.Close()
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
	cl, ok := b.srv.Clients.Get("board")
	require.True(t, ok)
	held, ok := cl.State.Inflight.Get(pid)
	require.True(t, ok, "the delivery set aside is held again")
	require.Equal(t, "one", string(held.Payload))
}
