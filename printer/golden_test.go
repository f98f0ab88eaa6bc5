package printer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

// The default ticket as each profile prints it, decoded back to text. The 80 mm
// profiles agree; the 58 mm one wraps at 32 columns and splits the pairs.
var goldenText = map[string]string{
	"epson-tm-t20": testTicketText,
	"xprinter-80":  testTicketText,
	// No QR on generic: one blank line less before the footer.
	"generic": strings.Replace(testTicketText, "\n\nСтан черги онлайн / Queue status online\n\n\nДякуємо", "\n\nДякуємо", 1),
	// Four empty lines at the end: fed past the tear bar before the cut.
	"xprinter-58": `ЦНАП Подільського району
м. Києва

А023
Державна реєстрація місця
проживання та видача пам’ятки
Residence registration
23.11.2026 09:05

Перед вами: 3 особи
People ahead: 3
Очікування: близько 15 хв
Wait: about 15 min

Стан черги онлайн
Queue status online


Дякуємо! Стежте за табло та
голосовими оголошеннями.



`,
}

// TestTicketGoldenProfiles compares the default ticket of every profile with its
// recording in testdata byte for byte, replays the recording through a printer
// that fails on the first unexpected byte, and decodes it back to the Ukrainian
// text. Run with -update to record again after a deliberate change, and read the
// diff of the decoded text before committing it.
func TestTicketGoldenProfiles(t *testing.T) {
	require.ElementsMatch(t, Profiles(), mapsKeys(goldenText), "every profile has a golden text")
	for _, name := range Profiles() {
		t.Run(name, func(t *testing.T) {
			p := profile(t, name)
			got, err := p.Ticket(testTicket())
			require.NoError(t, err)
			require.Less(t, len(got), 1024, "a ticket without logo stays under 1 KB")

			testkit.Golden(t, "ticket-"+name+".bin", got)
			want := got // equal to the recording

			table := p.CodeTables[p.CodePage]
			prefix := Init(nil)
			if p.CancelKanji {
				// ESC @ may turn Chinese mode on again: off at once.
				prefix = CancelKanji(prefix)
			}
			wire := want
			if p.ASB {
				// ESC @ turns automatic status back off: on again at once.
				prefix = AutoStatus(prefix, ASBAll)
				// And it is turned on when the printer is opened.
				wire = append(AutoStatus(nil, ASBAll), want...)
			}
			prefix = CodeTable(prefix, table)
			require.True(t, bytes.HasPrefix(want, prefix), "init, then ESC t %d", table)

			// Playback: the recording is what reaches the wire.
			pb := newPlayback(t, wire)
			prn, err := Open("tcp://"+pb.addr, &Opts{Timeout: 5 * time.Second, Profile: p})
			require.NoError(t, err)
			require.NoError(t, prn.PrintTicket(context.Background(), testTicket()))
			require.NoError(t, prn.Close())
			require.NoError(t, pb.wait())

			docs := NewDecoder(p).Feed(want)
			require.Len(t, docs, 1)
			require.Equal(t, goldenText[name], docs[0].String())
			if p.QR {
				require.Equal(t, []string{"https://cherga.example/t/А023"}, docs[0].QR)
			}
		})
	}
}

func mapsKeys(m map[string]string) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	return k
}

// playback is a raw TCP printer (port 9100 style) that expects exactly one
// recording and reports the first byte that differs, a missing tail, or bytes
// past its end.
type playback struct {
	addr string
	done chan error
}

func newPlayback(t *testing.T, want []byte) *playback {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	pb := &playback{addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			pb.done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		if err != nil {
			pb.done <- err
			return
		}
		pb.done <- diffBytes(want, got)
	}()
	return pb
}

func (pb *playback) wait() error {
	select {
	case err := <-pb.done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("playback: nothing received")
	}
}

func diffBytes(want, got []byte) error {
	for i := range min(len(want), len(got)) {
		if want[i] != got[i] {
			return fmt.Errorf("playback: byte %d is 0x%02X, want 0x%02X (after % X)", i, got[i], want[i], got[max(0, i-8):i])
		}
	}
	switch {
	case len(got) < len(want):
		return fmt.Errorf("playback: %d bytes missing at the end: % X", len(want)-len(got), want[len(got):])
	case len(got) > len(want):
		return fmt.Errorf("playback: %d unexpected bytes at the end: % X", len(got)-len(want), got[len(want):])
	}
	return nil
}

// TestTicketGoldenCalled records the reprint of a ticket already called:
// it says where to go, in bold and twice as tall, instead of the wait, and leaves out the
// footer that tells the citizen to wait for the call. The ordinary ticket's
// recordings (TestTicketGoldenProfiles) are unchanged by it.
func TestTicketGoldenCalled(t *testing.T) {
	tk := testTicket()
	tk.Duplicate = true
	tk.Ahead, tk.Wait = -1, -1
	tk.Called, tk.CalledEn = "Вас викликано: вікно 10", "You have been called: counter 10"
	for name, want := range map[string]string{
		"epson-tm-t20": `ЦНАП Подільського району м. Києва

А023
ДУБЛІКАТ / DUPLICATE
Державна реєстрація місця проживання та видача
пам’ятки
Residence registration
23.11.2026 09:05

Вас викликано: вікно 10
You have been called: counter 10

Стан черги онлайн / Queue status online
`,
		// 32 columns: the other pairs go on two lines too.
		"xprinter-58": `ЦНАП Подільського району
м. Києва

А023
ДУБЛІКАТ / DUPLICATE
Державна реєстрація місця
проживання та видача пам’ятки
Residence registration
23.11.2026 09:05

Вас викликано: вікно 10
You have been called: counter 10

Стан черги онлайн
Queue status online




`,
	} {
		t.Run(name, func(t *testing.T) {
			p := profile(t, name)
			got, err := p.Ticket(tk)
			require.NoError(t, err)
			testkit.Golden(t, "ticket-called-"+name+".bin", got)
			docs := NewDecoder(p).Feed(got)
			require.Len(t, docs, 1)
			require.Equal(t, want, docs[0].String())
			require.NotContains(t, docs[0].String(), "Дякуємо", "no footer")
			for _, l := range docs[0].Lines {
				if strings.HasPrefix(l.Text, "Вас викликано") || strings.HasPrefix(l.Text, "You have been called") {
					require.True(t, l.Bold, "%q is bold", l.Text)
					require.Equal(t, [2]int{1, 2}, [2]int{l.Width, l.Height}, "%q is twice as tall", l.Text)
				}
			}
		})
	}
}
