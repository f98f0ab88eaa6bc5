package broker

import (
	"encoding/binary"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// connect5 opens an MQTT 5 session of client id with a Receive Maximum of
// rm; persistent, the session is kept 600 s after the connection ends and
// resumed if there is one. It subscribes to filter at QoS 1.
func connect5(t *testing.T, addr, id string, rm uint16, persistent bool, filter string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	flags, props := byte(2), []byte{3, 0x21, byte(rm >> 8), byte(rm)}
	if persistent {
		flags, props = 0, []byte{8, 0x11, 0, 0, 2, 0x58, 0x21, byte(rm >> 8), byte(rm)}
	}
	body := append([]byte{0, 4, 'M', 'Q', 'T', 'T', 5, flags, 0, 30}, props...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(id)))
	send(t, c, 0x10, append(body, id...))
	typ, _ := readPacket(t, c)
	require.Equal(t, byte(2), typ, "CONNACK")
	if filter != "" {
		sub := binary.BigEndian.AppendUint16([]byte{0, 1, 0}, uint16(len(filter)))
		send(t, c, 0x82, append(append(sub, filter...), 1))
		typ, _ = readPacket(t, c)
		require.Equal(t, byte(9), typ, "SUBACK")
	}
	return c
}

// publish5 reads a QoS 1 PUBLISH of MQTT 5 read as typ and body: its
// packet id and payload.
func publish5(t *testing.T, typ byte, body []byte) (uint16, string) {
	t.Helper()
	require.Equal(t, byte(3), typ, "PUBLISH")
	k := int(binary.BigEndian.Uint16(body))
	props := int(body[4+k]) // under 128 bytes
	return binary.BigEndian.Uint16(body[2+k:]), string(body[5+k+props:])
}

// take reads the QoS 1 PUBLISHes of MQTT 5 that come within a second of
// each other, acknowledging each, and returns their payloads.
func take(t *testing.T, c net.Conn) []string {
	t.Helper()
	var got []string
	for {
		typ, body, ok := readWithin(t, c, time.Second)
		if !ok {
			return got
		}
		pid, payload := publish5(t, typ, body)
		got = append(got, payload)
		send(t, c, 0x40, binary.BigEndian.AppendUint16(nil, pid)) // PUBACK
	}
}

// An MQTT 5 client with a Receive Maximum of 2 gets a burst of 6 and, after
// it, 3 more. mochi sent 4 of the 6 and nothing after: each message it
// held and then sent took a unit of the client's allowance for good.
func TestReceiveMaximumBurst(t *testing.T) {
	b := startQuiet(t)
	c := connect5(t, b.Addr(), "board5", 2, false, "qms/a")
	publish := func(from, to int) []string {
		var want []string
		for i := from; i <= to; i++ {
			want = append(want, fmt.Sprint(i))
			require.NoError(t, b.Publish("qms/a", []byte(fmt.Sprint(i)), false))
		}
		return want
	}
	// Those held come in no set order (mochi's hold is ordered by the
	// second a message came).
	want := publish(1, 6)
	require.ElementsMatch(t, want, take(t, c))
	want = publish(7, 9)
	require.ElementsMatch(t, want, take(t, c))
}

// A client back to its persistent session gets what it missed once: mochi
// sent the messages it held at once, and then again, one per
// acknowledgement.
func TestReceiveMaximumSessionOnce(t *testing.T) {
	b := startQuiet(t)
	c := connect5(t, b.Addr(), "ha5", 2, true, "qms/a")
	send(t, c, 0xe0, []byte{0, 0}) // DISCONNECT, the session kept
	c.Close()
	require.Eventually(t, func() bool {
		cl, ok := b.srv.Clients.Get("ha5")
		return ok && cl.Closed()
	}, 5*time.Second, 10*time.Millisecond)
	var want []string
	for i := 1; i <= 6; i++ {
		want = append(want, fmt.Sprint(i))
		require.NoError(t, b.Publish("qms/a", []byte(fmt.Sprint(i)), false))
	}
	c = connect5(t, b.Addr(), "ha5", 2, true, "")
	require.ElementsMatch(t, want, take(t, c))
}
