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
