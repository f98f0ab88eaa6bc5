package firmwareconfig

import (
	_ "embed"
	"errors"
	"fmt"
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

// PrinterProfile returns the profile a kiosk names: from printers.yaml, else
// built into package printer (printer.LookupProfile); "" is
// printer.DefaultProfile. The caller may change the copy it gets.
func PrinterProfile(name string) (*printer.Profile, error) {
	if name == "" {
		name = printer.DefaultProfile
	}
	ps, err := printer.ParseProfiles(printers)
	if err != nil {
		return nil, err // the embedded file is tested; it cannot be invalid
	}
	known := printer.Profiles()
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
		known = append(known, p.Name)
	}
	p, err := printer.LookupProfile(name)
	if errors.Is(err, printer.ErrUnknownProfile) {
		slices.Sort(known)
		return nil, fmt.Errorf("%w %q (known: %s; firmware-config/printers.yaml says how to add a model)", printer.ErrUnknownProfile, name, strings.Join(known, ", "))
	}
	return p, err
}
