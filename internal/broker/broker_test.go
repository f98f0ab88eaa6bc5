package broker

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// connect opens an MQTT 3.1.1 session of client id over TCP and returns
// once the broker has accepted it (CONNACK).
func connect(t *testing.T, addr, id string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	pk := append([]byte{0x10, byte(12 + len(id)), 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 30, 0, byte(len(id))}, id...)
	_, err = c.Write(pk)
	require.NoError(t, err)
	ack := make([]byte, 4)
	_, err = io.ReadFull(c, ack)
	require.NoError(t, err)
	require.Equal(t, byte(0x20), ack[0], "CONNACK")
	return c
}

// TestCloseWhileClientsLeave closes the broker while clients go away.
// mochi v2.7.9's own shutdown takes the read lock of its client list twice
// over (Clients.GetByListener calls Len): a client leaving in between
// (Clients.Delete, waiting for the write lock) blocked both for good, and
// the controller never stopped (seen in TestBrokerOutage under -race).
func TestCloseWhileClientsLeave(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 100 {
		b, err := Start("127.0.0.1:0", quiet)
		require.NoError(t, err)
		var conns []net.Conn
		for i := range 8 {
			conns = append(conns, connect(t, b.Addr(), string(rune('a'+i))))
		}
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Close()
			}()
		}
		closed := make(chan error, 1)
		go func() { closed <- b.Close() }()
		select {
		case err := <-closed:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Fatal("Close hangs")
		}
		wg.Wait()
	}
}
