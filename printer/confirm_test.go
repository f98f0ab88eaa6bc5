package printer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// openConfirming opens the fake TCP printer f with a profile that has
// process_id, and automatic status back as asb says.
func openConfirming(t *testing.T, f *tcpPrinter, asb bool, confirm time.Duration) *Printer {
	t.Helper()
	prof, err := LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	require.True(t, prof.ProcessID)
	prof.ASB = asb
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: time.Second, ConfirmTimeout: confirm, Profile: prof})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func (f *tcpPrinter) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]byte(nil), f.got...)
}

// sent waits until the printer has recorded the bytes b last: it answers a
// request before it records the bytes that carried it.
func (f *tcpPrinter) sent(t *testing.T, b []byte) {
	t.Helper()
	require.Eventually(t, func() bool { return bytes.HasSuffix(f.received(), b) }, 5*time.Second, time.Millisecond, "% X", b)
}

// PrintConfirmed returns once the printer answered the process ID request
// that follows the data; a printer that stopped first (the roll ended, told
// by automatic status back or asked by DLE EOT) gives its Condition, and its
// answer, sent once paper is loaded, is not taken for the next job's.
func TestPrintConfirmed(t *testing.T) {
	for _, asb := range []bool{true, false} {
		name := map[bool]string{true: "asb", false: "dle_eot"}[asb]
		t.Run(name, func(t *testing.T) {
			f := startTCPPrinter(t)
			f.asb, f.pid = asb, true
			p := openConfirming(t, f, asb, 10*time.Second)
			ctx := context.Background()

			first := p.jobs + 1
			require.NoError(t, p.PrintConfirmed(ctx, []byte("ticket one")))
			f.sent(t, RequestProcessID([]byte("ticket one"), NewProcessID(first)))

			f.push(Status{Online: false, Paper: PaperOut})
			err := p.PrintConfirmed(ctx, []byte("ticket two"))
			var c *Condition
			require.ErrorAs(t, err, &c)
			require.ErrorIs(t, err, ErrPaperOut)

			f.push(Status{Online: true}) // paper loaded: job 2's answer comes late
			if asb {
				require.Eventually(t, func() bool { s, _ := p.AutoStatus(); return s.Err() == nil }, 5*time.Second, time.Millisecond)
			}
			require.Eventually(t, func() bool {
				p.mu.Lock()
				defer p.mu.Unlock()
				return p.printed == first+1
			}, 5*time.Second, time.Millisecond, "job 2's answer arrives")
			f.mu.Lock()
			f.pid = false // job 3 is never answered: job 2's answer must not do
			f.mu.Unlock()
			short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			require.ErrorIs(t, p.PrintConfirmed(short, []byte("ticket three")), ErrUnconfirmed)
			f.mu.Lock()
			f.pid = true
			f.mu.Unlock()
			require.NoError(t, p.PrintConfirmed(ctx, []byte("ticket four")))
			f.sent(t, RequestProcessID([]byte("ticket four"), NewProcessID(first+3)))
		})
	}
}

// A model without GS ( H under a profile that says process_id: the first
// ticket is not confirmed in time, and from then on PrintConfirmed sends
// nothing and says it cannot confirm, so each ticket does not wait again.
func TestPrintConfirmedModelWithout(t *testing.T) {
	f := startTCPPrinter(t)
	f.asb = true
	p := openConfirming(t, f, true, 100*time.Millisecond)
	ctx := context.Background()
	err := p.PrintConfirmed(ctx, []byte("ticket"))
	require.ErrorIs(t, err, ErrUnconfirmed)
	sent := len(f.received())
	require.ErrorIs(t, p.PrintConfirmed(ctx, []byte("next")), ErrCannotConfirm)
	require.Len(t, f.received(), sent, "nothing sent")
	require.NoError(t, p.Print(ctx, []byte("next")))

	// A wait cut short by the caller says nothing of the model: the next
	// ticket is asked for its answer again.
	g := startTCPPrinter(t)
	g.asb = true
	q := openConfirming(t, g, true, time.Minute)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, q.PrintConfirmed(short, []byte("ticket")), ErrUnconfirmed)
	short2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, q.PrintConfirmed(short2, []byte("ticket")), ErrUnconfirmed, "asked again, not ErrCannotConfirm")

	// A profile without process_id, and no printer at all, cannot confirm.
	prof, err := LookupProfile("xprinter-80")
	require.NoError(t, err)
	x, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Profile: prof})
	require.NoError(t, err)
	defer x.Close()
	require.ErrorIs(t, x.PrintConfirmed(ctx, []byte("x")), ErrCannotConfirm)
	none, err := Open("none", nil)
	require.NoError(t, err)
	require.ErrorIs(t, none.PrintConfirmed(ctx, []byte("x")), ErrCannotConfirm)
}

// A printer that goes away while a ticket is awaited (the cable pulled, the
// connection closed) ends the wait at once, unconfirmed: the ticket had
// left, and a USB printer prints what its buffer holds.
func TestPrintConfirmedDeviceGone(t *testing.T) {
	f := startTCPPrinter(t)
	f.asb = true
	p := openConfirming(t, f, true, time.Minute)
	done := make(chan error, 1)
	go func() { done <- p.PrintConfirmed(context.Background(), []byte("ticket")) }()
	require.Eventually(t, func() bool { return bytes.Contains(f.received(), []byte("ticket")) }, 5*time.Second, time.Millisecond)
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrUnconfirmed)
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end with the connection")
	}
}

// A line that echoes what it is sent (wrong wiring, a serial printer at
// the wrong baud rate) hands back four bytes of the ticket that pass for an
// automatic status message: "t/de" of a QR payload reads as cover open,
// cutter and unrecoverable errors, paper end. The real-time request that
// checks them gets no valid answer, so the ticket's fate is unknown, not a
// condition of the printer.
func TestPrintConfirmedEcho(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
			go io.Copy(c, c)
		}
	}()
	prof, err := LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	p, err := Open("tcp://"+ln.Addr().String(), &Opts{Timeout: time.Second, StatusTimeout: 200 * time.Millisecond, ConfirmTimeout: 5 * time.Second, Profile: prof})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })

	err = p.PrintConfirmed(context.Background(), []byte("https://cherga.local/t/demo/2\n"))
	require.ErrorIs(t, err, ErrUnconfirmed)
	var c *Condition
	require.False(t, errors.As(err, &c), "not the printer's word: %v", err)
}

// The request and its answer, byte for byte as Epson's reference gives
// them; a decoder takes the request for what it is and prints nothing.
func TestProcessIDBytes(t *testing.T) {
	id := NewProcessID(12345)
	require.Equal(t, "2345", id.String())
	require.Equal(t, []byte{0x1D, 0x28, 0x48, 0x06, 0x00, 0x30, 0x30, '2', '3', '4', '5'}, RequestProcessID(nil, id))
	r := ProcessIDResponse(id)
	require.Equal(t, [7]byte{0x37, 0x22, '2', '3', '4', '5', 0x00}, r)
	got, ok := ParseProcessIDResponse(r[:])
	require.True(t, ok)
	require.Equal(t, id, got)
	for _, bad := range [][]byte{r[:6], {0x37, 0x25, 0x00}, {0x37, 0x22, 1, '2', '3', '4', 0}, {0x37, 0x22, '1', '2', '3', '4', 1}} {
		_, ok := ParseProcessIDResponse(bad)
		require.False(t, ok, "% X", bad)
	}

	d := NewDecoder(nil)
	doc := CutPaper(RequestProcessID(append(Init(nil), "A1\n"...), id), CutFull, 0)
	docs := d.Feed(doc)
	require.Len(t, docs, 1)
	require.Equal(t, "A1", docs[0].Lines[0].Text)
	require.Len(t, docs[0].Lines, 1)
	require.Equal(t, []ProcessID{id}, d.ProcessIDs())
}
