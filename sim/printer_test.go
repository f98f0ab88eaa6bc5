package sim

import (
	"context"
	"errors"
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

	want, err := prof.Ticket(ticket())
	require.NoError(t, err)
	require.NoError(t, p.PrintTicket(ctx, ticket()))
	doc := waitDoc(t, sp)
	require.True(t, doc.Cut)
	require.Equal(t, `ЦНАП Подільського району м. Києва

А023
Реєстрація місця проживання
Residence registration
23.11.2026 09:05

Перед вами: 21 особа / Ahead: 21
Очікування: ~1 год 35 хв / Wait: ~1 h 35 min


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
	p := &Printer{state: printer.Status{Online: true, Paper: printer.PaperNearEnd}}
	const dle, eot = printer.DLE, printer.EOT
	tests := []struct {
		name    string
		reads   [][]byte
		rec     []byte
		replies []byte
	}{
		{"plain", [][]byte{[]byte("ab")}, []byte("ab"), nil},
		{"request", [][]byte{{'a', dle, eot, 1, 'b'}}, []byte("ab"), []byte{0x12}},
		{"all four", [][]byte{{dle, eot, 1, dle, eot, 2, dle, eot, 3, dle, eot, 4}}, nil, []byte{0x12, 0x12, 0x12, 0x1E}},
		{"split across reads", [][]byte{{'a', dle}, {eot}, {4, 'b'}}, []byte("ab"), []byte{0x1E}},
		{"DLE DLE EOT", [][]byte{{dle, dle, eot, 1}}, []byte{dle}, []byte{0x12}},
		{"other n", [][]byte{{dle, eot, 7, 1}}, []byte{dle, eot, 7, 1}, nil},
		{"DLE then text", [][]byte{{dle, 'x'}}, []byte{dle, 'x'}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec, replies, rt []byte
			for _, r := range tt.reads {
				var got, rep []byte
				got, rt, rep = p.split(r, rt)
				rec = append(rec, got...)
				replies = append(replies, rep...)
			}
			require.Equal(t, tt.rec, rec)
			require.Equal(t, tt.replies, replies)
			require.Empty(t, rt)
		})
	}
}
