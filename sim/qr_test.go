package sim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/printer"
)

// The worked example of ISO/IEC 18004 (annex I): "01234567" as version 1-M.
func TestReedSolomon(t *testing.T) {
	data := []byte{0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11}
	require.Equal(t, []byte{0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55}, rsRemainder(data, 10))
}

func TestQRStructure(t *testing.T) {
	for _, tt := range []struct {
		n, size int
	}{{1, 21}, {14, 21}, {15, 25}, {29, 29}, {122, 45}, {123, 49}, {213, 57}} {
		sym, err := encodeQR([]byte(strings.Repeat("я", tt.n)[:tt.n]))
		require.NoError(t, err, tt.n)
		require.Len(t, sym, tt.size, "%d bytes", tt.n)
		n := len(sym)
		// The three finder patterns: a dark ring, a light ring, a dark 3×3 core.
		for _, c := range [][2]int{{0, 0}, {n - 7, 0}, {0, n - 7}} {
			for i := range 7 {
				require.True(t, sym[c[1]][c[0]+i] && sym[c[1]+6][c[0]+i], "finder at %v", c)
			}
			require.False(t, sym[c[1]+1][c[0]+1])
			require.True(t, sym[c[1]+3][c[0]+3])
		}
		require.True(t, sym[n-8][8], "the dark module")
	}
	_, err := encodeQR(make([]byte, 214))
	require.Error(t, err)
}

// TestQRScans reads the rendered ticket's QR code back with zbarimg (Debian's
// zbar-tools; CI installs it): a code alone, and the code of the ticket each
// profile prints, as it prints it, with no more blank paper around it than
// the ticket leaves.
func TestQRScans(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Skip("zbarimg not installed (apt-get install zbar-tools): the QR codes are not scanned")
	}
	scans := func(doc printer.Doc, columns int, payload string) {
		t.Helper()
		out, err := RenderPNG(doc, columns)
		require.NoError(t, err)
		f := filepath.Join(t.TempDir(), "qr.png")
		require.NoError(t, os.WriteFile(f, out, 0o644))
		got, err := exec.Command(zbar, "-q", "--raw", f).Output()
		require.NoError(t, err, "%d columns: %q", columns, payload)
		require.Equal(t, payload, strings.TrimSpace(string(got)))
	}
	for _, payload := range []string{"https://cherga.local/t/demo/1", "https://cherga.local/t/demo/" + strings.Repeat("9", 150)} {
		scans(printer.Doc{QR: []string{payload}, QRAt: []int{0}}, 48, payload)
	}
	const url = "https://cnap.inhulets-rada.gov.ua/cherga/t/demo/1042"
	for _, name := range []string{"epson-tm-t20", "xprinter-80", "xprinter-58"} {
		p, err := printer.LookupProfile(name)
		require.NoError(t, err)
		b, err := p.Ticket(&printer.Ticket{Header: "ЦНАП", Label: "А042", Service: "Соціальний захист",
			Ahead: 3, Wait: -1, QR: url, Footer: "Дякуємо!"})
		require.NoError(t, err)
		docs := printer.NewDecoder(p).Feed(b)
		require.Len(t, docs, 1)
		scans(docs[0], p.Columns, url)
	}
}
