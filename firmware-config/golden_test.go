package firmwareconfig_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/printer"
)

// The default office's ticket as each model of printers.yaml prints it:
// the bytes, and their decoding back to text, which a reviewer reads (a
// model of 42 columns wraps otherwise than one of 48). The built-in
// profiles have theirs in package printer. Run with -update to record
// again after a deliberate change, and read the diff of the .txt first.
func TestPrinterProfilesGolden(t *testing.T) {
	cfg, err := firmwareconfig.Example("default")
	require.NoError(t, err)
	ps, err := printer.ParseProfiles(firmwareconfig.PrinterProfiles())
	require.NoError(t, err)
	for _, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			tk := &printer.Ticket{
				Header: cfg.Office.Name, HeaderEn: cfg.Office.NameEn,
				Label:   "А023",
				Service: "Державна реєстрація місця проживання та видача пам’ятки", ServiceEn: "Residence registration",
				Issued: time.Date(2026, 11, 23, 9, 5, 0, 0, cfg.Location()),
				Ahead:  3, Wait: 15 * time.Minute,
				QR:     "https://cherga.example/t/demo/57",
				Footer: cfg.Office.Footer,
			}
			b, err := p.Ticket(tk)
			require.NoError(t, err)
			require.Less(t, len(b), 1024, "a ticket without logo stays under 1 KB")
			testkit.Golden(t, "ticket-"+p.Name+".bin", b)
			docs := printer.NewDecoder(p).Feed(b)
			require.Len(t, docs, 1)
			text := docs[0].String()
			for _, l := range strings.Split(text, "\n") {
				require.LessOrEqual(t, len([]rune(l)), p.Columns, "a line wider than the paper: %q", l)
			}
			testkit.Golden(t, "ticket-"+p.Name+".txt", []byte(text))
		})
	}
}
