package firmwareconfig

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cherga/cherga/printer"
)

//go:embed printers.yaml
var printers []byte

// PrinterProfiles returns printers.yaml, the printer models an office may name
// in a kiosk's profile besides the ones built into package printer, for
// printer.ParseProfiles.
func PrinterProfiles() []byte { return printers }

// PrinterProfile returns the profile a kiosk names: of the office's own
// (its configuration's printer_profiles, own), else from printers.yaml,
// else built into package printer (printer.LookupProfile); "" is
// printer.DefaultProfile. The caller may change the copy it gets.
func PrinterProfile(name string, own []*printer.Profile) (*printer.Profile, error) {
	if name == "" {
		name = printer.DefaultProfile
	}
	ps, err := printer.ParseProfiles(printers)
	if err != nil {
		return nil, err // the embedded file is tested; it cannot be invalid
	}
	known := printer.Profiles()
	for _, p := range slices.Concat(own, ps) {
		if p == nil {
			continue
		}
		if strings.EqualFold(p.Name, name) {
			c := *p
			c.CodeTables = maps.Clone(p.CodeTables)
			return &c, nil
		}
		known = append(known, p.Name)
	}
	p, err := printer.LookupProfile(name)
	if errors.Is(err, printer.ErrUnknownProfile) {
		slices.Sort(known)
		known = slices.Compact(known)
		return nil, fmt.Errorf("%w %q (known: %s; another model: printer_profiles in the office's configuration, with the fields of firmware-config/printers.yaml)", printer.ErrUnknownProfile, name, strings.Join(known, ", "))
	}
	return p, err
}
