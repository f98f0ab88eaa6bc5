package firmwareconfig_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
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
	p, err := firmwareconfig.PrinterProfile("epson-tm-t88", nil)
	require.NoError(t, err, "from printers.yaml")
	require.Equal(t, byte(46), p.CodeTables["cp1251"])
	p, err = firmwareconfig.PrinterProfile("xprinter-58", nil)
	require.NoError(t, err, "built in")
	require.Equal(t, 32, p.Columns)
	p, err = firmwareconfig.PrinterProfile("", nil)
	require.NoError(t, err)
	require.Equal(t, printer.DefaultProfile, p.Name)
	_, err = firmwareconfig.PrinterProfile("star-tsp100", nil)
	require.ErrorIs(t, err, printer.ErrUnknownProfile)
	require.ErrorContains(t, err, "known: "+strings.Join(models(t), ", ")+";", "the models of printers.yaml too")
	require.ErrorContains(t, err, "another model: printer_profiles in the office's configuration")

	// The office's own models come first: a new one, and one of
	// printers.yaml's set otherwise. The caller's copy is its own.
	own := []*printer.Profile{
		{Name: "star-tsp100", Columns: 48, CodePage: "cp1251", CodeTables: map[string]byte{"cp1251": 46}, Cut: true},
		{Name: "epson-tm-t88", Columns: 42, CodePage: "cp1251", CodeTables: map[string]byte{"cp1251": 46}},
	}
	p, err = firmwareconfig.PrinterProfile("STAR-TSP100", own)
	require.NoError(t, err)
	require.Equal(t, 48, p.Columns)
	p.CodeTables["cp1251"] = 1
	require.Equal(t, byte(46), own[0].CodeTables["cp1251"])
	p, err = firmwareconfig.PrinterProfile("epson-tm-t88", own)
	require.NoError(t, err)
	require.Equal(t, 42, p.Columns)
	_, err = firmwareconfig.PrinterProfile("star-tsp143", own)
	require.ErrorContains(t, err, "known: "+strings.Join(slices.Sorted(slices.Values(append(models(t), "star-tsp100"))), ", ")+";")
}

// models are the names of the built-in profiles and those of printers.yaml,
// sorted.
func models(t *testing.T) []string {
	ps, err := printer.ParseProfiles(firmwareconfig.PrinterProfiles())
	require.NoError(t, err)
	names := printer.Profiles()
	for _, p := range ps {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

// An administrator picks a model from the lists of the README and of
// default.yaml's comment: each names every model.
func TestModelsListed(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	office, err := os.ReadFile("default.yaml")
	require.NoError(t, err)
	for _, m := range models(t) {
		require.Contains(t, string(readme), "`"+m+"`", "the README's printer models (its install section) do not name %s", m)
		require.Regexp(t, `#.*\b`+regexp.QuoteMeta(m)+`\b`, string(office), "default.yaml's comment over a kiosk's profile does not name %s", m)
	}
}

// The bundled offices' footers print whole phrases on every paper: on 58 mm
// (32 columns) "Please watch the board. Thank you!" broke as «Thank» |
// «you!».
func TestFootersWrapByPhrase(t *testing.T) {
	for _, name := range []string{"default", "round-the-clock"} {
		cfg, err := firmwareconfig.Example(name)
		require.NoError(t, err)
		for _, model := range []string{"xprinter-58", "epson-tm-t20"} {
			p, err := firmwareconfig.PrinterProfile(model, nil)
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
