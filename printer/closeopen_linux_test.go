package printer

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stalledListener is a TCP port whose accept queue is full: a connection
// to it waits for an answer that does not come, as to a network printer
// switched off behind a switch that drops what is sent to it.
func stalledListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	require.NoError(t, err)
	t.Cleanup(func() { syscall.Close(fd) })
	require.NoError(t, syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}))
	require.NoError(t, syscall.Listen(fd, 0))
	sa, err := syscall.Getsockname(fd)
	require.NoError(t, err)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	for range 4 { // never accepted: the queue fills
		d := net.Dialer{Timeout: 200 * time.Millisecond}
		if c, err := d.Dial("tcp", addr); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return addr
}

// Close gives up an open under way: the dial to a network printer that
// does not answer held Close, and so the kiosk's stop, for the whole
// timeout, the lock held all along.
func TestCloseDuringOpen(t *testing.T) {
	p, err := Open("tcp://"+stalledListener(t), &Opts{Timeout: time.Minute})
	require.NoError(t, err, "the attempt of Open itself is bounded")
	status := make(chan error, 1)
	go func() {
		_, err := p.Status(context.Background())
		status <- err
	}()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		opening := p.opening != nil
		p.mu.Unlock()
		if opening {
			break
		}
		require.True(t, time.Now().Before(deadline), "Status does not open the device")
	}
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close waits for the open to time out")
	}
	select {
	case err := <-status:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(20 * time.Second):
		t.Fatal("Status still opens the device")
	}
}
