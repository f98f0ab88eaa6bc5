package printer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Profile is what the ticket layout needs to know about a printer model. The fields
// come from firmware-config (yaml) or from a built-in profile (LookupProfile).
type Profile struct {
	// Name identifies the profile, as in the config ("epson-tm-t20").
	Name string `yaml:"name" json:"name"`
	// PaperMM is the paper width in millimetres (80 or 58); informational.
	PaperMM int `yaml:"paper_mm" json:"paper_mm"`
	// Columns is the number of characters of font A at normal size on one line.
	Columns int `yaml:"columns" json:"columns"`
	// CodePage is the name of the page tickets are encoded in ("cp1251", "cp1125",
	// "cp866"); it must have an entry in CodeTables.
	CodePage string `yaml:"code_page" json:"code_page"`
	// CodeTables maps code page names to the n of ESC t n on this model. The numbers
	// differ between vendors: CP1251 is 46 on Epson and 73 on Xprinter clones.
	CodeTables map[string]byte `yaml:"code_tables" json:"code_tables"`
	// CancelKanji tells that the model may start in Chinese (Kanji, GBK)
	// character mode, as many Xprinter and POS-58/POS-80 clones do: each
	// ticket turns it off (FS .) right after its ESC @, which turns it on
	// again on those models, or every Cyrillic letter prints as a Chinese
	// character.
	CancelKanji bool `yaml:"cancel_kanji" json:"cancel_kanji"`
	// QR tells that the model prints QR codes with GS ( k.
	QR bool `yaml:"qr" json:"qr"`
	// QRModule is the QR module size in dots (1..16); 0 means 6.
	QRModule int `yaml:"qr_module" json:"qr_module"`
	// Cut tells that the model has an autocutter (GS V). Without one the ticket ends
	// with a feed so it can be torn off.
	Cut bool `yaml:"cut" json:"cut"`
	// FeedBeforeCut is how many lines (ESC d, 0..255) are fed before the cut,
	// for a model that may have no cutter after all (the clones sold both
	// ways): one without ignores GS V, so the feed alone brings the last line
	// past the tear bar. A model with a cutter leaves that much more blank
	// paper under the last line. 0 feeds nothing: GS V feeds to the blade.
	FeedBeforeCut int `yaml:"feed_before_cut" json:"feed_before_cut"`
	// LabelScale is the magnification (GS !, 2..8) of the ticket number; it is reduced
	// further when the number would not fit the line. 0 means 3.
	LabelScale int `yaml:"label_scale" json:"label_scale"`
	// ClearBuffer tells that the model clears its buffers on DLE DC4 fn=8
	// (Printer.ClearBuffer), so the rest of a ticket cut short by the end of
	// the roll is dropped instead of printed on the next roll.
	ClearBuffer bool `yaml:"clear_buffer" json:"clear_buffer"`
	// ASB tells that the model sends automatic status back (GS a): its state
	// comes to the kiosk as it changes, and a press needs no status round
	// trip before the ticket (Printer.AutoStatus). Tickets then turn it on
	// again after their ESC @.
	ASB bool `yaml:"asb" json:"asb"`
	// ProcessID tells that the model answers a process ID request (GS ( H
	// function 48) once the data before it is printed. A kiosk then counts
	// a ticket as printed when the printer says so, not when its bytes
	// left: a roll that ends in the middle of a ticket voids it even on a
	// fast link, and one that ends right after the cut keeps it.
	ProcessID bool `yaml:"process_id" json:"process_id"`
}

var builtinProfiles = map[string]Profile{
	// Epson TM-T20 (and TM-T20II/III), 80 mm, 576 dots, font A 12×24: 48 columns.
	// ESC t: 17 PC866, 44 PC1125, 46 WPC1251.
	"epson-tm-t20": {
		Name: "epson-tm-t20", PaperMM: 80, Columns: 48, CodePage: "cp1251",
		CodeTables: map[string]byte{"cp866": 17, "cp1125": 44, "cp1251": 46},
		QR:         true, QRModule: 6, Cut: true, LabelScale: 4, ClearBuffer: true, ASB: true,
		ProcessID: true,
	},
	// Xprinter XP-80 and the "POS-80" clones: 80 mm, 48 columns, cutter.
	// Their ESC t table puts WPC1251 at 73. Many start in Chinese mode.
	"xprinter-80": {
		Name: "xprinter-80", PaperMM: 80, Columns: 48, CodePage: "cp1251",
		CodeTables: map[string]byte{"cp866": 17, "cp1251": 73}, CancelKanji: true,
		QR: true, QRModule: 6, Cut: true, LabelScale: 4,
	},
	// Xprinter XP-58 and the "POS-58" clones: 58 mm, 384 dots, 32 columns. Many
	// have no cutter; GS V is ignored by those, so it is sent anyway after a feed
	// that brings the last line past the tear bar.
	"xprinter-58": {
		Name: "xprinter-58", PaperMM: 58, Columns: 32, CodePage: "cp1251",
		CodeTables: map[string]byte{"cp866": 17, "cp1251": 73}, CancelKanji: true,
		QR: true, QRModule: 4, Cut: true, FeedBeforeCut: tearFeed, LabelScale: 3,
	},
	// generic is an unknown 80 mm ESC/POS printer. PC866 (17) is the Cyrillic page
	// most clones share, but it lacks І і, so generic uses the Epson number of
	// WPC1251 (46); if a model prints garbage, write a profile with its own table.
	// No QR: many old models ignore GS ( k and print its payload as text.
	"generic": {
		Name: "generic", PaperMM: 80, Columns: 48, CodePage: "cp1251",
		CodeTables: map[string]byte{"cp866": 17, "cp1251": 46},
		QR:         false, Cut: true, LabelScale: 3,
	},
}

// DefaultProfile is the name of the profile used when none is configured:
// a kiosk of the office file without a profile, a port opened without one.
// An unknown model gets no Automatic Status Back, no QR code and the
// Epson table numbers, what most ESC/POS printers take.
const DefaultProfile = "generic"

// LookupProfile returns a copy of the built-in profile called name, which the caller
// may change.
func LookupProfile(name string) (*Profile, error) {
	p, ok := builtinProfiles[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(Profiles(), ", "))
	}
	p.CodeTables = maps.Clone(p.CodeTables)
	return &p, nil
}

// ParseProfiles reads a list of profiles from YAML, as in firmware-config's
// printers.yaml: a document with a `profiles` list. Unknown fields, duplicate
// names and invalid profiles are errors naming the profile.
func ParseProfiles(data []byte) ([]*Profile, error) {
	var doc struct {
		Profiles []*Profile `yaml:"profiles"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProfile, err)
	}
	seen := map[string]bool{}
	for i, p := range doc.Profiles {
		if p == nil || p.Name == "" {
			return nil, fmt.Errorf("%w: profiles[%d]: no name", ErrInvalidProfile, i)
		}
		p.Name = strings.ToLower(p.Name)
		if seen[p.Name] {
			return nil, fmt.Errorf("%w: profiles[%d]: %q twice", ErrInvalidProfile, i, p.Name)
		}
		seen[p.Name] = true
		p.CodePage = strings.ToLower(p.CodePage)
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("profiles[%d]: %w", i, err)
		}
	}
	return doc.Profiles, nil
}

// Profiles lists the names of the built-in profiles, sorted.
func Profiles() []string {
	return slices.Sorted(maps.Keys(builtinProfiles))
}

// Validate reports the first inconsistency of p, naming the yaml field.
func (p *Profile) Validate() error {
	if p.Columns < 16 || p.Columns > 96 {
		return fmt.Errorf("%w %q: columns %d (16..96)", ErrInvalidProfile, p.Name, p.Columns)
	}
	if _, err := LookupCodePage(p.CodePage); err != nil {
		return fmt.Errorf("%w %q: code_page: %w", ErrInvalidProfile, p.Name, err)
	}
	if _, ok := p.CodeTables[strings.ToLower(p.CodePage)]; !ok {
		return fmt.Errorf("%w %q: code_tables has no ESC t number for %q", ErrInvalidProfile, p.Name, p.CodePage)
	}
	for name := range p.CodeTables {
		if _, err := LookupCodePage(name); err != nil {
			return fmt.Errorf("%w %q: code_tables: %w", ErrInvalidProfile, p.Name, err)
		}
	}
	if p.QRModule < 0 || p.QRModule > 16 {
		return fmt.Errorf("%w %q: qr_module %d (1..16)", ErrInvalidProfile, p.Name, p.QRModule)
	}
	if p.FeedBeforeCut < 0 || p.FeedBeforeCut > 255 {
		return fmt.Errorf("%w %q: feed_before_cut %d (0..255)", ErrInvalidProfile, p.Name, p.FeedBeforeCut)
	}
	if p.LabelScale != 0 && (p.LabelScale < 2 || p.LabelScale > 8) {
		return fmt.Errorf("%w %q: label_scale %d (2..8)", ErrInvalidProfile, p.Name, p.LabelScale)
	}
	return nil
}

// codePage returns the page of p and its ESC t number.
func (p *Profile) codePage() (*CodePage, byte, error) {
	if err := p.Validate(); err != nil {
		return nil, 0, err
	}
	cp, _ := LookupCodePage(p.CodePage)
	return cp, p.CodeTables[cp.Name()], nil
}

// pagesByTable inverts CodeTables for the decoder.
func (p *Profile) pagesByTable() map[byte]*CodePage {
	m := make(map[byte]*CodePage, len(p.CodeTables))
	for name, n := range p.CodeTables {
		if cp, err := LookupCodePage(name); err == nil {
			m[n] = cp
		}
	}
	return m
}
