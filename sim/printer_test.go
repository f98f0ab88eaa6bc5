package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/printer"
)

func startPrinter(t *testing.T, opts *PrinterOpts) *Printer {
	t.Helper()
	p, err := StartPrinter(opts)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty printer needs Linux")
	}
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

func ticket() *printer.Ticket {
	return &printer.Ticket{
		Header:    "ЦНАП Подільського району м. Києва",
		Label:     "А023",
		Service:   "Реєстрація місця проживання",
		ServiceEn: "Residence registration",
		Issued:    time.Date(2026, 11, 23, 9, 5, 0, 0, time.FixedZone("EET", 2*3600)),
		Ahead:     21,
		Wait:      95 * time.Minute,
		QR:        "https://cherga.example/t/A023",
		Footer:    "Дякуємо за м’яке терпіння!",
	}
}

func waitDoc(t *testing.T, p *Printer) printer.Doc {
	t.Helper()
	select {
	case d := <-p.Printed():
		return d
	case <-time.After(10 * time.Second):
		t.Fatalf("%s printed nothing; received %q", p, p.Bytes())
	}
	return printer.Doc{}
}

func TestPrinterOverSerial(t *testing.T) {
	sp := startPrinter(t, nil)
	require.True(t, strings.HasPrefix(sp.Path(), "/dev/"), sp.Path())
	require.Contains(t, sp.String(), sp.Path())

	prof, err := printer.LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second, Profile: prof})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()

	tk, err := prof.Ticket(ticket())
	require.NoError(t, err)
	// The profile has automatic status back: opening turns it on.
	want := append(printer.AutoStatus(nil, printer.ASBAll), tk...)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	doc := waitDoc(t, sp)
	require.True(t, doc.Cut)
	require.Equal(t, `ЦНАП Подільського району м. Києва

А023
Реєстрація місця проживання
Residence registration
23.11.2026 09:05

Перед вами: 21 особа / People ahead: 21
Очікування: близько 1 год 35 хв
Wait: about 1 h 35 min

Стан черги онлайн / Queue status online


Дякуємо за м’яке терпіння!`, doc.String())
	require.Equal(t, []string{"https://cherga.example/t/A023"}, doc.QR)
	require.Equal(t, 4, doc.Lines[2].Width)
	require.Equal(t, want, sp.Bytes(), "every byte arrives unchanged (raw mode)")
	require.Len(t, sp.Docs(), 1)

	tests := []struct {
		name   string
		set    func()
		want   printer.Status
		reason error
	}{
		{"ready", func() {}, printer.Status{Online: true}, nil},
		{"paper near end", func() { sp.SetPaper(printer.PaperNearEnd) }, printer.Status{Online: true, Paper: printer.PaperNearEnd}, nil},
		{"paper out", func() { sp.SetPaper(printer.PaperOut) }, printer.Status{Paper: printer.PaperOut}, printer.ErrPaperOut},
		{"cover open", func() { sp.SetPaper(printer.PaperOK); sp.SetCoverOpen(true) }, printer.Status{CoverOpen: true}, printer.ErrCoverOpen},
		{"offline", func() { sp.SetCoverOpen(false); sp.SetOffline(true) }, printer.Status{}, printer.ErrOffline},
		{"back online", func() { sp.SetOffline(false) }, printer.Status{Online: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.set()
			s, err := p.Status(ctx)
			require.NoError(t, err)
			require.Equal(t, tt.want, s)
			// The printer told the change by itself too.
			require.Eventually(t, func() bool {
				a, ok := p.AutoStatus()
				return ok && a == tt.want
			}, 5*time.Second, time.Millisecond)
			if tt.reason == nil {
				require.NoError(t, s.Err())
			} else {
				var c *printer.Condition
				require.ErrorAs(t, s.Err(), &c)
				require.ErrorIs(t, s.Err(), tt.reason)
			}
		})
	}

	t.Run("silent", func(t *testing.T) {
		sp.SetSilent(true)
		_, err := p.Status(ctx)
		require.ErrorIs(t, err, printer.ErrNoReply)
		sp.SetSilent(false)
		s, err := p.Status(ctx)
		require.NoError(t, err, "the port is reopened and answers again")
		require.Equal(t, printer.Status{Online: true}, s)
	})
	// The reopened port turned automatic status back on again.
	want = printer.AutoStatus(want, printer.ASBAll)
	require.Equal(t, want, sp.Bytes(), "status requests are not recorded")
}

// TestPrinterHoldsWhileOut prints while the paper is out: the printer takes the bytes
// and prints the ticket once a roll is loaded.
func TestPrinterHoldsWhileOut(t *testing.T) {
	sp := startPrinter(t, &PrinterOpts{Paper: printer.PaperOut, Printed: 1})
	p, err := printer.Open("serial:"+sp.Path()+"?baud=115200", &printer.Opts{Timeout: time.Second})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()

	s, err := p.Status(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, s.Err(), printer.ErrPaperOut)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	// The status round trip orders it after the tickets: they have arrived.
	_, err = p.Status(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, sp.Bytes())
	require.Empty(t, sp.Docs(), "nothing prints without paper")

	sp.SetPaper(printer.PaperOK)
	require.Len(t, sp.Docs(), 2)
	require.Equal(t, "А023", waitDoc(t, sp).Lines[2].Text)
	select {
	case d := <-sp.Printed():
		t.Fatalf("the channel holds 1; the second ticket is in Docs only, got %v", d)
	default:
	}
}

func TestPrinterReopen(t *testing.T) {
	sp := startPrinter(t, nil)
	for i := range 2 {
		p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second})
		require.NoError(t, err)
		require.NoError(t, p.PrintTicket(context.Background(), ticket()))
		require.Equal(t, "А023", waitDoc(t, sp).Lines[2].Text, "client %d", i)
		require.NoError(t, p.Close())
	}
	require.Len(t, sp.Docs(), 2)
}

func TestPrinterClose(t *testing.T) {
	sp, err := StartPrinter(nil)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty printer needs Linux")
	}
	require.NoError(t, err)
	require.NoError(t, sp.Close())
	require.NoError(t, sp.Close())
	_, open := <-sp.Printed()
	require.False(t, open)
	sp.SetPaper(printer.PaperOut) // harmless after Close
}

func TestSplit(t *testing.T) {
	const dle, eot = printer.DLE, printer.EOT
	tests := []struct {
		name  string
		reads [][]byte
		want  []string // data segments as "d:..." and requests as "r:N", in order
	}{
		{"plain", [][]byte{[]byte("ab")}, []string{"d:ab"}},
		{"request", [][]byte{{'a', dle, eot, 1, 'b'}}, []string{"d:a", "r:1", "d:b"}},
		{"all four", [][]byte{{dle, eot, 1, dle, eot, 2, dle, eot, 3, dle, eot, 4}}, []string{"r:1", "r:2", "r:3", "r:4"}},
		{"split across reads", [][]byte{{'a', dle}, {eot}, {4, 'b'}}, []string{"d:a", "r:4", "d:b"}},
		{"DLE DLE EOT", [][]byte{{dle, dle, eot, 1}}, []string{"d:\x10", "r:1"}},
		{"other n", [][]byte{{dle, eot, 7, 1}}, []string{"d:\x10\x04\a\x01"}},
		{"DLE then text", [][]byte{{dle, 'x'}}, []string{"d:\x10x"}},
		{"clear", [][]byte{printer.ClearBuffer([]byte("ab"))}, []string{"d:ab", "clear"}},
		{"clear across reads", [][]byte{{'a', dle, 0x14, 8, 1}, {3, 20, 1, 6, 2, 8, 'b'}}, []string{"d:a", "clear", "d:b"}},
		{"not quite clear", [][]byte{{dle, 0x14, 8, 1, 3, 20, 1, 6, 2, 9}}, []string{"d:\x10\x14\b\x01\x03\x14\x01\x06\x02\t"}},
		{"DC4 pulse", [][]byte{{dle, 0x14, 1, 0, 1}}, []string{"d:\x10\x14\x01\x00\x01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var rt []byte
			for _, r := range tt.reads {
				rt = split(r, rt,
					func(b []byte) { got = append(got, "d:"+string(b)) },
					func(cmd []byte) {
						if cmd[1] == printer.DC4 {
							got = append(got, "clear")
							return
						}
						got = append(got, fmt.Sprintf("r:%d", cmd[2]))
					})
			}
			// Adjacent data segments of different reads are one stream.
			var merged []string
			for _, g := range got {
				if k := len(merged) - 1; k >= 0 && strings.HasPrefix(g, "d:") && strings.HasPrefix(merged[k], "d:") {
					merged[k] += g[2:]
					continue
				}
				merged = append(merged, g)
			}
			require.Equal(t, tt.want, merged)
			require.Empty(t, rt)
		})
	}
}

// TestRunOutMidTicket: the roll ends inside a ticket; a status request after
// it tells so, and the rest prints once paper is loaded.
func TestRunOutMidTicket(t *testing.T) {
	sp := startPrinter(t, nil)
	p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()

	sp.RunOutAfter(40)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	s, err := p.Status(ctx)
	require.NoError(t, err)
	require.ErrorIs(t, s.Err(), printer.ErrPaperOut)
	require.Empty(t, sp.Docs())
	sp.SetPaper(printer.PaperOK)
	require.Equal(t, "А023", waitDoc(t, sp).Lines[2].Text)
}

// openEpson opens sp as an Epson TM-T20: automatic status back and
// process ID requests.
func openEpson(t *testing.T, sp *Printer) *printer.Printer {
	t.Helper()
	epson, err := printer.LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second, Profile: epson})
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// TestPrinterAutoStatus: a ticket of a profile with automatic status back
// turns it on again after its ESC @, and the printer then tells every change
// by itself, the roll running out in the middle of a ticket included; a
// ticket without (ESC @ alone) turns it off.
func TestPrinterAutoStatus(t *testing.T) {
	sp := startPrinter(t, nil)
	p := openEpson(t, sp)
	ctx := context.Background()
	next := func() printer.Status {
		t.Helper()
		select {
		case s := <-p.Changes():
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no automatic status")
			return printer.Status{}
		}
	}
	// none says that nothing came: a status round trip orders it after any
	// message sent before, and the watcher hands those over before replies.
	none := func() {
		t.Helper()
		_, err := p.Status(ctx)
		require.NoError(t, err)
		select {
		case s := <-p.Changes():
			t.Fatalf("an automatic status while it is off: %+v", s)
		default:
		}
	}
	require.Equal(t, printer.Status{Online: true}, next(), "opening turned it on")

	sp.SetCoverOpen(true)
	require.Equal(t, printer.Status{CoverOpen: true}, next())
	sp.SetCoverOpen(false)
	require.Equal(t, printer.Status{Online: true}, next())

	// The ticket's GS a sends the state at once, then the roll runs out: a
	// reader of Changes gets the newest, and may get the first one too.
	sp.RunOutAfter(60)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	if s := next(); s.Paper != printer.PaperOut {
		require.Equal(t, printer.Status{Online: true}, s, "the ticket's GS a after its ESC @")
		require.Equal(t, printer.Status{Paper: printer.PaperOut}, next(), "told mid-ticket, unasked")
	}
	sp.SetPaper(printer.PaperOK)
	require.Equal(t, printer.Status{Online: true}, next())
	waitDoc(t, sp)

	// A ticket laid out for a profile without ASB: its ESC @ turns it off.
	plain, err := printer.LookupProfile("xprinter-80")
	require.NoError(t, err)
	b, err := plain.Ticket(ticket())
	require.NoError(t, err)
	require.NoError(t, p.Print(ctx, b))
	waitDoc(t, sp)
	none()
	sp.SetPaper(printer.PaperNearEnd)
	none()
	s, ok := p.AutoStatus()
	require.True(t, ok)
	require.Equal(t, printer.Status{Online: true, Paper: printer.PaperNearEnd}, s, "as it answered the last request")
}

// TestPrintConfirmedRunsOut: the roll ends in the middle of a ticket of a
// profile with automatic status back; the printer tells so unasked, a
// real-time request confirms it, and PrintConfirmed gives the condition,
// so the kiosk voids the ticket.
func TestPrintConfirmedRunsOut(t *testing.T) {
	sp := startPrinter(t, nil)
	p := openEpson(t, sp)
	b, err := p.Profile().Ticket(ticket())
	require.NoError(t, err)

	sp.RunOutAfter(60)
	asked := sp.Requests()
	err = p.PrintConfirmed(context.Background(), b)
	var c *printer.Condition
	require.ErrorAs(t, err, &c)
	require.ErrorIs(t, err, printer.ErrPaperOut)
	require.Greater(t, sp.Requests(), asked, "confirmed by a real-time request")
}

// TestFlowControl: the flow control of a printer spec reaches the line. With
// XON/XOFF a printer that sends XOFF holds everything back, its status
// requests too, until its XON.
func TestFlowControl(t *testing.T) {
	for _, tt := range []struct {
		flow            string
		rtscts, xonxoff bool
	}{
		{"none", false, false},
		{"rtscts", true, false},
		{"xonxoff", false, true},
	} {
		t.Run(tt.flow, func(t *testing.T) {
			sp := startPrinter(t, nil)
			p, err := printer.Open("serial:"+sp.Path()+"?flow="+tt.flow, &printer.Opts{Timeout: time.Second, StatusTimeout: 200 * time.Millisecond})
			require.NoError(t, err)
			defer p.Close()
			rtscts, xonxoff, err := sp.Flow()
			require.NoError(t, err)
			require.Equal(t, tt.rtscts, rtscts, "RTS/CTS")
			require.Equal(t, tt.xonxoff, xonxoff, "XON/XOFF")
		})
	}

	sp := startPrinter(t, nil)
	p, err := printer.Open("serial:"+sp.Path()+"?flow=xonxoff", &printer.Opts{Timeout: time.Second, StatusTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	_, err = p.Status(ctx)
	require.NoError(t, err)

	// Once the XOFF has reached the line, nothing leaves: a status request
	// cannot be written (a pty has no transmit buffer to take it, as a
	// UART's would). The printer says XOFF again while it holds the line,
	// as one whose buffer stays full does: on a pty the first one can be
	// lost (a quarter of the runs here answered every request after it;
	// the cause is in the pty's line discipline, not found).
	var last error
	answered := 0
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if answered%50 == 0 {
			require.NoError(t, sp.HoldLine(true))
		}
		if _, last = p.Status(ctx); errors.Is(last, printer.ErrTimeout) {
			break
		}
		answered++
	}
	require.ErrorIs(t, last, printer.ErrTimeout, "held back by XOFF (%d status requests answered)", answered)
	require.Empty(t, sp.Docs())

	// Released, the requests held back reach the printer. (Only then is
	// the port opened again: its line has no flow control for a moment
	// while it opens, and an XON then would be read as a reply.)
	asked := sp.Requests()
	require.NoError(t, sp.HoldLine(false))
	require.Eventually(t, func() bool { return sp.Requests() > asked }, 10*time.Second, time.Millisecond)
	_, err = p.Status(ctx)
	require.NoError(t, err, "released")
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	require.Equal(t, "А023", waitDoc(t, sp).Lines[2].Text)
}

// TestClearBuffer: after the roll runs out mid-ticket, DLE DC4 fn=8 drops
// what the printer held and the unfinished ticket; the next roll gets only
// what is sent after. A silent printer's clear is ErrNoReply.
func TestClearBuffer(t *testing.T) {
	sp := startPrinter(t, nil)
	p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second, StatusTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()

	sp.RunOutAfter(40)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	require.NoError(t, p.ClearBuffer(ctx))
	require.Equal(t, 1, sp.Cleared())
	sp.SetPaper(printer.PaperOK)
	second := ticket()
	second.Label = "А024"
	require.NoError(t, p.PrintTicket(ctx, second))
	d := waitDoc(t, sp)
	require.Equal(t, "А024", d.Lines[2].Text, "the new roll starts with the next ticket: %s", d)
	require.NotContains(t, d.String(), "А023")
	require.Len(t, sp.Docs(), 1)

	sp.SetSilent(true)
	require.ErrorIs(t, p.ClearBuffer(ctx), printer.ErrNoReply)
}

// TestPrinterLink: a printer plugged in again under the same link is found by
// a client that kept the path.
func TestPrinterLink(t *testing.T) {
	link := filepath.Join(t.TempDir(), "printer")
	sp1, err := StartPrinter(&PrinterOpts{Link: link})
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty printer needs Linux")
	}
	require.NoError(t, err)
	require.Equal(t, link, sp1.Path())
	p, err := printer.Open("serial:"+link, &printer.Opts{Timeout: time.Second})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	_, err = p.Status(ctx)
	require.NoError(t, err)

	require.NoError(t, sp1.Close())
	_, err = os.Lstat(link)
	require.ErrorIs(t, err, os.ErrNotExist, "unplugged: the name is gone")
	_, err = p.Status(ctx)
	require.Error(t, err)

	sp2 := startPrinter(t, &PrinterOpts{Link: link})
	s, err := p.Status(ctx)
	require.NoError(t, err, "plugged in again: reopened under the same name")
	require.True(t, s.Online)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	require.Equal(t, "А023", waitDoc(t, sp2).Lines[2].Text)
}

// BenchmarkStatus is one real-time status read (DLE EOT 1, 2, 4) over the pty.
func BenchmarkStatus(b *testing.B) {
	sp, err := StartPrinter(nil)
	if errors.Is(err, errors.ErrUnsupported) {
		b.Skip("the pty printer needs Linux")
	}
	require.NoError(b, err)
	defer sp.Close()
	p, err := printer.Open("serial:"+sp.Path(), &printer.Opts{Timeout: time.Second})
	require.NoError(b, err)
	defer p.Close()
	ctx := context.Background()
	for b.Loop() {
		if _, err := p.Status(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzSplit: whatever the controller sends, the printer neither loses nor
// invents a byte: the data and the requests put back together are the stream.
func FuzzSplit(f *testing.F) {
	const dle, eot = printer.DLE, printer.EOT
	f.Add([]byte{'a', dle, eot, 1, 'b'}, 1)
	f.Add([]byte{dle, dle, eot, 4, dle}, 2)
	f.Add([]byte{dle, eot, 7, dle, eot}, 4)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		if len(b) > 0 {
			cut = ((cut % len(b)) + len(b)) % len(b)
		} else {
			cut = 0
		}
		var out []byte
		data := func(p []byte) { out = append(out, p...) }
		request := func(cmd []byte) {
			require.True(t, len(cmd) == 3 && cmd[2] >= 1 && cmd[2] <= 4 || bytes.Equal(cmd, printer.ClearBuffer(nil)), "% X", cmd)
			out = append(out, cmd...)
		}
		rt := split(b[:cut], nil, data, request)
		rt = split(b[cut:], rt, data, request)
		out = append(out, rt...)
		require.Equal(t, fmt.Sprintf("% X", b), fmt.Sprintf("% X", out))
	})
}

// TestStatusAfterSlowTicket: on a slow line the status request after a ticket
// waits behind its bytes; the reply deadline counts from when they have crossed
// the line, so a healthy printer is not taken for a silent one.
func TestStatusAfterSlowTicket(t *testing.T) {
	sp := startPrinter(t, &PrinterOpts{Baud: 4800})
	p, err := printer.Open("serial:"+sp.Path()+"?baud=4800", &printer.Opts{StatusTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	b, err := p.Profile().Ticket(ticket())
	require.NoError(t, err)
	require.Greater(t, len(b)*10*1000/4800, 300, "the ticket takes longer on the wire than the status timeout")

	require.NoError(t, p.Print(ctx, b))
	s, err := p.Status(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Err())
	require.Equal(t, "А023", waitDoc(t, sp).Lines[2].Text)
}
