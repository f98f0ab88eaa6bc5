package bus

import (
	"net"
	"net/url"
	"syscall"

	paho "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/sys/unix"
)

// quickAckDialer connects over plain TCP and acknowledges every segment
// from the broker at once (TCP_QUICKACK, which Linux forgets, so it is set
// again after each read).
//
// Why: a broker that leaves Nagle's algorithm on (Mosquitto's default,
// without set_tcp_nodelay) holds each small packet back until the previous
// one is acknowledged, and a client with nothing to send acknowledges late,
// after up to 40 ms. A call makes the controller publish a dozen QoS 1
// messages; the broker's PUBACKs to them go out one per acknowledgement, and
// a counter command that arrives meanwhile (the next call, 10 ms later)
// waits behind them: 43 ms instead of under one.
func quickAckDialer() paho.OpenConnectionFunc {
	return func(u *url.URL, o paho.ClientOptions) (net.Conn, error) {
		c, err := net.DialTimeout("tcp", u.Host, o.ConnectTimeout)
		if err != nil {
			return nil, err
		}
		tc, ok := c.(*net.TCPConn)
		if !ok {
			return c, nil
		}
		raw, err := tc.SyscallConn()
		if err != nil {
			return c, nil
		}
		q := &quickAckConn{TCPConn: tc, raw: raw}
		q.quickAck()
		return q, nil
	}
}

// quickAckConn is a TCP connection that acknowledges what it reads at once.
type quickAckConn struct {
	*net.TCPConn
	raw syscall.RawConn
}

func (c *quickAckConn) Read(b []byte) (int, error) {
	n, err := c.TCPConn.Read(b)
	c.quickAck()
	return n, err
}

func (c *quickAckConn) quickAck() {
	_ = c.raw.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
}
