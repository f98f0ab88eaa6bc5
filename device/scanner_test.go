package device

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

const testStatusURL = "https://cherga.local/t/{site}/{id}"

func testClassifier(t testing.TB, statusURL string) *classifier {
	t.Helper()
	o := ScannerOpts{StatusURL: statusURL, Site: "demo"}
	require.NoError(t, o.fill())
	c, err := newClassifier(o)
	require.NoError(t, err)
	return c
}

func TestParseScan(t *testing.T) {
	c := testClassifier(t, testStatusURL)
	for _, tt := range []struct {
		line string
		want Scan
	}{
		{"https://cherga.local/t/demo/42", Scan{Kind: ScanTicketQR, Code: "https://cherga.local/t/demo/42", TicketID: 42}},
		{" HTTPS://CHERGA.LOCAL/t/demo/0\t", Scan{Kind: ScanTicketQR, Code: "HTTPS://CHERGA.LOCAL/t/demo/0", TicketID: 0}},
		{"https://cherga.local/t/demo/18446744073709551615", Scan{Kind: ScanTicketQR, Code: "https://cherga.local/t/demo/18446744073709551615", TicketID: 18446744073709551615}},
		// Another office, an id out of range or not canonical, a longer path.
		{"https://cherga.local/t/kyiv/42", Scan{Kind: ScanUnknown, Code: "https://cherga.local/t/kyiv/42"}},
		{"https://cherga.local/t/demo/18446744073709551616", Scan{Kind: ScanUnknown, Code: "https://cherga.local/t/demo/18446744073709551616"}},
		{"https://cherga.local/t/demo/042", Scan{Kind: ScanUnknown, Code: "https://cherga.local/t/demo/042"}},
		{"https://cherga.local/t/demo/42/x", Scan{Kind: ScanUnknown, Code: "https://cherga.local/t/demo/42/x"}},
		{"https://cherga.localXt/demo/42", Scan{Kind: ScanUnknown, Code: "https://cherga.localXt/demo/42"}},
		// A scanner in its upper-case mode reads the whole URL so.
		{"HTTPS://CHERGA.LOCAL/T/DEMO/42", Scan{Kind: ScanTicketQR, Code: "HTTPS://CHERGA.LOCAL/T/DEMO/42", TicketID: 42}},
		{"AB12CD", Scan{Kind: ScanAppointment, Code: "AB12CD"}},
		{"AB12CD34EF56", Scan{Kind: ScanAppointment, Code: "AB12CD34EF56"}},
		{"AB12C", Scan{Kind: ScanUnknown, Code: "AB12C"}},
		// As a phone shows it, or a scanner in its lower-case mode reads it.
		{"ab12cd", Scan{Kind: ScanAppointment, Code: "AB12CD"}},
		{"k7m2-qx9a", Scan{Kind: ScanAppointment, Code: "K7M2QX9A"}},
		{"K7M2 QX9A", Scan{Kind: ScanUnknown, Code: "K7M2 QX9A"}},
		{"hello world", Scan{Kind: ScanUnknown, Code: "hello world"}},
		{"ab-12", Scan{Kind: ScanUnknown, Code: "ab-12"}},
		{"7351-3537", Scan{Kind: ScanUnknown, Code: "7351-3537"}},
		{"4820000000017", Scan{Kind: ScanUnknown, Code: "4820000000017"}}, // an EAN-13: 13 digits
		// A product's barcode, EAN-8 and UPC-A, is no appointment; the
		// same digits with a wrong check digit may be one.
		{"73513537", Scan{Kind: ScanUnknown, Code: "73513537"}},
		{"036000291452", Scan{Kind: ScanUnknown, Code: "036000291452"}},
		{"036000291453", Scan{Kind: ScanAppointment, Code: "036000291453"}},
		{"73513538", Scan{Kind: ScanAppointment, Code: "73513538"}},
		{"Привіт", Scan{Kind: ScanUnknown, Code: "Привіт"}},
	} {
		t.Run(tt.line, func(t *testing.T) {
			tt.want.Raw = tt.line
			require.Equal(t, tt.want, c.parse([]byte(tt.line)))
		})
	}
	for _, bad := range []string{"\xff\xfeAB", "AB\x00CD", "\x1b[A", "AB\aCD"} {
		s := c.parse([]byte(bad))
		require.Equal(t, ScanError, s.Kind, "%q", bad)
		require.ErrorIs(t, s.Err, ErrScanGarbage)
		require.Equal(t, bad, s.Raw)
		require.Empty(t, s.Code)
	}
}

func TestParseScanLabel(t *testing.T) {
	c := testClassifier(t, "https://q.example/{site}?id={id}&t={ticket}&again={id}")
	s := c.parse([]byte("https://q.example/demo?id=7&t=А023&again=7"))
	require.Equal(t, ScanTicketQR, s.Kind)
	require.Equal(t, uint64(7), s.TicketID)
	require.Equal(t, "А023", s.Label)
	s = c.parse([]byte("https://q.example/demo?id=7&t=%D0%90023&again=7"))
	require.Equal(t, "А023", s.Label)
	s = c.parse([]byte("https://q.example/demo?id=7&t=А023&again=8"))
	require.Equal(t, ScanUnknown, s.Kind, "two different ids")
}

func TestNoStatusURL(t *testing.T) {
	c := testClassifier(t, "")
	require.Equal(t, ScanUnknown, c.parse([]byte("https://cherga.local/t/demo/42")).Kind)
	require.Equal(t, ScanAppointment, c.parse([]byte("AB12CD")).Kind)
}

func TestScannerOptsInvalid(t *testing.T) {
	for _, o := range []ScannerOpts{
		{StatusURL: "https://cherga.local/t/{site}/{ticket}"},
		{Appointment: "[A-Z"},
		{MaxLine: -1},
		{LineTimeout: -1},
		{Backoff: 10e9, MaxBackoff: 1e9},
	} {
		_, err := OpenScanner("serial:/dev/ttyACM0", &o)
		require.ErrorIs(t, err, ErrInvalidOpts, "%+v", o)
	}
}

func TestParseScannerSpec(t *testing.T) {
	for _, tt := range []struct {
		spec, path string
		baud       int
		bad        string // in the error
	}{
		{spec: "serial:/dev/ttyACM0?baud=9600", path: "/dev/ttyACM0", baud: 9600},
		{spec: "serial:/dev/ttyACM0", path: "/dev/ttyACM0", baud: 9600},
		{spec: "serial:/dev/serial/by-id/usb-Honeywell?baud=115200", path: "/dev/serial/by-id/usb-Honeywell", baud: 115200},
		{spec: "serial:/dev/ttyACM0?baud=fast", bad: `parameter baud: "fast"`},
		{spec: "serial:/dev/ttyACM0?baud=0", bad: `parameter baud: "0"`},
		{spec: "serial:/dev/ttyACM0?baud=9600&parity=even", bad: `unknown parameter "parity"`},
		{spec: "serial:ttyACM0", bad: "not an absolute path"},
		{spec: "/dev/ttyACM0", bad: "want serial:"},
		{spec: "serial:/dev/ttyACM0?baud=%zz", bad: "query"},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			path, baud, err := parseScannerSpec(tt.spec)
			if tt.bad != "" {
				require.ErrorIs(t, err, ErrBadSpec)
				require.ErrorContains(t, err, tt.bad)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.path, path)
			require.Equal(t, tt.baud, baud)
		})
	}
	s, err := OpenScanner("serial:/dev/ttyACM0", nil)
	require.NoError(t, err)
	require.Equal(t, "Scanner(serial:/dev/ttyACM0?baud=9600)", s.String())
	require.ErrorIs(t, s.Err(), ErrScannerOffline)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
}

func TestLiner(t *testing.T) {
	type got struct {
		line string
		err  error
	}
	run := func(max int, chunks ...string) (out []got, l *liner) {
		l = &liner{max: max}
		for _, c := range chunks {
			l.feed([]byte(c), func(line []byte, err error) { out = append(out, got{string(line), err}) })
		}
		return out, l
	}
	out, l := run(4, "ab", "c", "d\r\n", "\n\r", "e\nf\r", "g")
	require.Equal(t, []got{{"abcd", nil}, {"e", nil}, {"f", nil}}, out)
	require.True(t, l.pending())

	out, l = run(4, "abcde", "fgh\r\nok\r")
	require.Len(t, out, 2)
	require.Equal(t, "abcd", out[0].line)
	require.ErrorIs(t, out[0].err, ErrScanTooLong)
	require.Equal(t, got{"ok", nil}, out[1])
	require.False(t, l.pending())

	// Too long and still coming: pending, so a stall ends the drop silently.
	out, l = run(4, "abcdefgh")
	require.Len(t, out, 1)
	require.True(t, l.pending())
	l.stall(0, func([]byte, error) { t.Fatal("reported twice") })
	require.False(t, l.pending())

	out, l = run(4, "ab")
	require.Empty(t, out)
	l.stall(0, func(line []byte, err error) { out = append(out, got{string(line), err}) })
	require.Len(t, out, 1)
	require.Equal(t, "ab", out[0].line)
	require.ErrorIs(t, out[0].err, ErrScanIncomplete)
	require.False(t, l.pending())
}

// FuzzParseScan checks the classifier on any line: it never panics, its
// kinds are consistent, and a ticket's URL is the template filled with the
// id it reports.
func FuzzParseScan(f *testing.F) {
	for _, s := range []string{
		"https://cherga.local/t/demo/42", "https://cherga.local/t/demo/", "https://cherga.local/t/demo/99999999999999999999",
		"AB12CD", "ab12-cd", "\xff", "A\x00", " ", "https://q.example/demo?id=7&t=%D0%90023", "https://q.example/demo?id=7&t=%zz",
	} {
		f.Add(s)
	}
	cs := []*classifier{testClassifier(f, testStatusURL), testClassifier(f, "https://q.example/{site}?id={id}&t={ticket}")}
	f.Fuzz(func(t *testing.T, line string) {
		for i, c := range cs {
			s := c.parse([]byte(line))
			require.Equal(t, line, s.Raw)
			require.Equal(t, s.Kind == ScanError, s.Err != nil)
			if s.Kind == ScanError {
				require.True(t, errors.Is(s.Err, ErrScanGarbage))
				continue
			}
			require.True(t, utf8.ValidString(s.Code))
			if s.Kind == ScanAppointment && s.Code != strings.TrimSpace(line) {
				require.Equal(t, CanonCode(line), s.Code)
			} else {
				require.Equal(t, strings.TrimSpace(line), s.Code)
			}
			switch s.Kind {
			case ScanTicketQR:
				if i == 0 {
					require.True(t, strings.EqualFold("https://cherga.local/t/demo/"+strconv.FormatUint(s.TicketID, 10), s.Code), s.Code)
				}
			case ScanAppointment:
				require.True(t, c.appointment.MatchString(s.Code))
			case ScanUnknown:
			default:
				t.Fatalf("kind %v", s.Kind)
			}
			if s.Kind != ScanTicketQR {
				require.Zero(t, s.TicketID)
				require.Empty(t, s.Label)
			}
		}
	})
}

func ExampleOpenScanner() {
	_, err := OpenScanner("serial:/dev/ttyACM0?baud=fast", nil)
	fmt.Println(err)
	// Output:
	// device: bad spec "serial:/dev/ttyACM0?baud=fast": parameter baud: "fast" is not a baud rate (50..4000000, usually 9600)
}

// A site in the host is read as the rest; a template changed while the
// scanner runs is the one it reads by.
func TestScanSiteInHostAndNewTemplate(t *testing.T) {
	c := testClassifier(t, "https://{site}.cherga.gov.ua/s/{id}")
	require.Equal(t, ScanTicketQR, c.parse([]byte("HTTPS://DEMO.CHERGA.GOV.UA/S/7")).Kind)
	require.Equal(t, ScanUnknown, c.parse([]byte("https://kyiv.cherga.gov.ua/s/7")).Kind)

	s, err := OpenScanner("serial:/dev/null", &ScannerOpts{StatusURL: testStatusURL, Site: "demo"})
	require.NoError(t, err)
	require.Equal(t, ScanTicketQR, s.parse.Load().parse([]byte("https://cherga.local/t/demo/5")).Kind)
	require.NoError(t, s.SetStatusURL("https://q.example.gov.ua/s/{site}/{id}"))
	require.Equal(t, ScanUnknown, s.parse.Load().parse([]byte("https://cherga.local/t/demo/5")).Kind, "the old template is gone")
	require.Equal(t, ScanTicketQR, s.parse.Load().parse([]byte("https://q.example.gov.ua/s/demo/5")).Kind)
	require.ErrorIs(t, s.SetStatusURL("https://q.example.gov.ua/s/{ticket}"), ErrInvalidOpts)
	require.Equal(t, ScanTicketQR, s.parse.Load().parse([]byte("https://q.example.gov.ua/s/demo/5")).Kind, "a template without {id} changes nothing")
}

// An office whose booking codes are digits says so in its pattern: then a
// code that happens to carry a product's check digit is an appointment.
func TestOwnPatternTakesProductDigits(t *testing.T) {
	c, err := newClassifier(ScannerOpts{Appointment: `[0-9]{12}`})
	require.NoError(t, err)
	require.Equal(t, ScanAppointment, c.parse([]byte("036000291452")).Kind)
}
