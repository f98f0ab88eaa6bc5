package bus

import (
	"context"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/bus/bustest"
)

// lossyLink carries a client's connection to a broker; while deaf, it
// drops what the broker answers (a link that fails one way: the
// acknowledgements lost), and cut closes the connections.
type lossyLink struct {
	ln   net.Listener
	deaf atomic.Bool
	mu   sync.Mutex
	cs   []net.Conn
}

func startLossyLink(t *testing.T, broker string) *lossyLink {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := &lossyLink{ln: ln}
	t.Cleanup(func() { ln.Close(); l.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", broker)
			if err != nil {
				c.Close()
				continue
			}
			l.mu.Lock()
			l.cs = append(l.cs, c, u)
			l.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() {
				b := make([]byte, 32<<10)
				for {
					n, err := u.Read(b)
					if n > 0 && !l.deaf.Load() {
						_, _ = c.Write(b[:n])
					}
					if err != nil {
						c.Close()
						return
					}
				}
			}()
		}
	}()
	return l
}

// cut closes the connections; the next one is not deaf.
func (l *lossyLink) cut() {
	l.deaf.Store(false)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.cs {
		c.Close()
	}
	l.cs = nil
}

// connectOverLink connects a client with id, root qms/{id}, to a broker
// of its own through a lossyLink; conns counts its connections.
func connectOverLink(t *testing.T, id string) (*Client, *lossyLink, *atomic.Int32) {
	t.Helper()
	srv := bustest.Broker(t, bustest.Opts{})
	link := startLossyLink(t, strings.TrimPrefix(srv.URL, "tcp://"))
	conns := new(atomic.Int32)
	cl, err := Connect(context.Background(), Opts{URL: "tcp://" + link.ln.Addr().String(), ClientID: id, Root: "qms/" + id,
		Logger: slog.New(slog.DiscardHandler), OnConnect: func() { conns.Add(1) }})
	require.NoError(t, err)
	t.Cleanup(func() { cl.Close() })
	return cl, link, conns
}

// idsInUse is how many MQTT message ids the client's paho holds, read
// under paho's own lock of them.
func idsInUse(t *testing.T, cl *Client) int {
	t.Helper()
	v := reflect.ValueOf(cl.c).Elem().FieldByName("messageIds")
	require.True(t, v.IsValid(), "paho's client has no messageIds any more: check how it frees the ids of a connection lost")
	mu, idx := v.FieldByName("mu"), v.FieldByName("index")
	require.True(t, mu.IsValid() && idx.IsValid(), "paho's messageIds has no mu or index any more")
	lock := (*sync.RWMutex)(unsafe.Pointer(mu.UnsafeAddr()))
	lock.RLock()
	defer lock.RUnlock()
	return idx.Len()
}

// The message ids of the QoS 1 publications a lost connection left
// unacknowledged are free on the next one. paho's own reconnection kept
// them (NoStore never sends them again): a few hundred a drop, and once
// all 65,535 were taken no publication went out at all, the connection
// looking fine.
func TestReconnectFreesMessageIDs(t *testing.T) {
	cl, link, conns := connectOverLink(t, "ids")
	connected := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for conns.Load() < n {
			require.True(t, time.Now().Before(deadline), "no connection %d", n)
			time.Sleep(20 * time.Millisecond)
		}
	}
	connected(1)
	for range 3 {
		link.deaf.Store(true)
		for range 2000 {
			require.NoError(t, cl.Start("qms/ids/events", 1, false, []byte("x")).Err())
		}
		require.Greater(t, idsInUse(t, cl), 1000, "unacknowledged")
		before := conns.Load()
		link.cut()
		connected(before + 1)
		require.NoError(t, cl.Start("qms/ids/events", 1, false, []byte("y")).Wait(5*time.Second))
		require.Less(t, idsInUse(t, cl), 10, "the ids of the lost connection are free")
	}
}

// A connection the broker drops at once, while the reconnect that made it
// is still on its way out, is made again: the client does not stay
// offline for good (a twin with its client id did that).
func TestLostWhileReconnecting(t *testing.T) {
	cl, link, conns := connectOverLink(t, "again")
	// The first reconnect's connection is lost before it ends.
	var once sync.Once
	again := func() {
		once.Do(func() {
			link.cut()
			time.Sleep(300 * time.Millisecond) // paho tells of the loss meanwhile
		})
	}
	connectedAgain.Store(&again)
	t.Cleanup(func() { connectedAgain.Store(nil) })
	link.cut()
	deadline := time.Now().Add(20 * time.Second)
	for conns.Load() < 3 || !cl.c.IsConnectionOpen() {
		require.True(t, time.Now().Before(deadline), "not connected again: %d connections", conns.Load())
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, cl.Start("qms/again/events", 1, false, []byte("y")).Wait(5*time.Second))
}
