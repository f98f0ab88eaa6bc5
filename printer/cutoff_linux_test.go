package printer

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A ticket cut off inside its logo (the line stalled: the write timed
// out) leaves the printer awaiting the rest of the logo's rows: it would
// take the next ticket, ESC @ and all, for them. The next call first sends
// the NUL bytes it still wants, and the next ticket prints whole.
func TestPrintCutOffInsideACommand(t *testing.T) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	conns := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()

	prof, err := LookupProfile("generic")
	require.NoError(t, err)
	p, err := Open("tcp://"+ln.Addr().String(), &Opts{Profile: prof, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	rows := bytes.Repeat([]byte{0x55}, 2048*4000)
	first, err := Raster(Init(nil), 2048, 4000, rows)
	require.NoError(t, err)
	first = append(first, "TICKET-1\n"...)
	// The printer reads nothing: the write stalls inside the rows.
	require.ErrorIs(t, p.Print(ctx, first), ErrTimeout)
	one := <-conns
	got, err := io.ReadAll(one) // what the kernel took, as the printer gets it
	require.NoError(t, err)
	require.Less(t, len(got), len(first), "cut off")

	second := Feed(append(Init(nil), "TICKET-2\n"...), 1)
	second = CutPaper(second, CutPartial, 0)
	printed := make(chan []byte, 1)
	go func() {
		two := <-conns
		b, _ := io.ReadAll(two)
		printed <- b
	}()
	require.NoError(t, p.Print(ctx, second))
	require.NoError(t, p.Close())
	d := NewDecoder(prof)
	docs := d.Feed(append(got, <-printed...))
	require.Len(t, docs, 1)
	text := docs[0].String()
	require.Contains(t, text, "TICKET-2")
	require.False(t, strings.Contains(text, "TICKET-1"), "the rest of the first never came")
}
