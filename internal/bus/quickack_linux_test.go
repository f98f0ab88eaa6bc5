package bus

import (
	"net"
	"net/url"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestQuickAck: a connection from quickAckDialer is in quick-ack mode after
// every read, so the broker's packets are acknowledged at once.
func TestQuickAck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		in := make([]byte, 4)
		for range 3 {
			if _, err := c.Read(in); err != nil { // a publish
				return
			}
			if _, err := c.Write([]byte{0x40, 0x02, 0, 1}); err != nil { // its PUBACK
				return
			}
		}
	}()
	c, err := quickAckDialer()(&url.URL{Scheme: "tcp", Host: ln.Addr().String()}, *paho.NewClientOptions())
	require.NoError(t, err)
	defer c.Close()
	q, ok := c.(*quickAckConn)
	require.True(t, ok)
	buf := make([]byte, 4)
	for range 3 {
		// Sending and then receiving is what puts Linux in its delayed
		// (ping-pong) acknowledgement mode.
		_, err := q.Write([]byte{0x30, 0x02, 0, 1})
		require.NoError(t, err)
		_, err = q.Read(buf)
		require.NoError(t, err)
		var mode int
		require.NoError(t, q.raw.Control(func(fd uintptr) {
			mode, err = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK)
		}))
		require.NoError(t, err)
		require.Equal(t, 1, mode, "quick-ack mode after a read")
	}
}
