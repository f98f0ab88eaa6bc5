package firmwareconfig_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/printer"
)

// Every profile of printers.yaml is valid and prints the Ukrainian alphabet.
func TestPrinterProfiles(t *testing.T) {
	ps, err := printer.ParseProfiles(firmwareconfig.PrinterProfiles())
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		_, err := p.Ticket(&printer.Ticket{
			Label:   "А001",
			Service: "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ абвгґдеєжзиіїйклмнопрстуфхцчшщьюя м’ята",
			Ahead:   -1, Wait: -1,
		})
		require.NoError(t, err, p.Name)
	}
}

func TestPrinterProfile(t *testing.T) {
	p, err := firmwareconfig.PrinterProfile("epson-tm-t88")
	require.NoError(t, err, "from printers.yaml")
	require.Equal(t, byte(46), p.CodeTables["cp1251"])
	p, err = firmwareconfig.PrinterProfile("xprinter-58")
	require.NoError(t, err, "built in")
	require.Equal(t, 32, p.Columns)
	p, err = firmwareconfig.PrinterProfile("")
	require.NoError(t, err)
	require.Equal(t, printer.DefaultProfile, p.Name)
	_, err = firmwareconfig.PrinterProfile("star-tsp100")
	require.ErrorIs(t, err, printer.ErrUnknownProfile)
	require.ErrorContains(t, err, "known: epson-cp1125, epson-tm-t20, epson-tm-t88, generic, xprinter-58, xprinter-80;", "the models of printers.yaml too")
}

// The bundled offices' footers print whole phrases on every paper: on 58 mm
// (32 columns) "Please watch the board. Thank you!" broke as «Thank» |
// «you!».
func TestFootersWrapByPhrase(t *testing.T) {
	for _, name := range []string{"default", "round-the-clock"} {
		cfg, err := firmwareconfig.Example(name)
		require.NoError(t, err)
		for _, model := range []string{"xprinter-58", "epson-tm-t20"} {
			p, err := firmwareconfig.PrinterProfile(model)
			require.NoError(t, err)
			b, err := p.Ticket(&printer.Ticket{Label: "А001", Service: "Соціальний захист", Ahead: -1, Wait: -1, Footer: cfg.Office.Footer})
			require.NoError(t, err)
			docs := printer.NewDecoder(p).Feed(b)
			require.Len(t, docs, 1)
			text := docs[0].String()
			require.Contains(t, text, "Thank\u00a0you!", "%s on %s", name, model)
			for _, l := range docs[0].Lines {
				require.NotRegexp(t, `(Thank|вас|не)$`, l.Text, "%s on %s", name, model)
			}
		}
	}
}
