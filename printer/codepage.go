package printer

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// CodePage is a single-byte character set a printer selects with ESC t. It encodes
// UTF-8 text into the bytes the printer prints and decodes them back.
type CodePage struct {
	name  string
	table [256]rune
	enc   map[rune]byte
	// apostrophe is the byte printed for the typographic apostrophes ’ (U+2019) and
	// ʼ (U+02BC), which Ukrainian uses in words like «м’ята», «комп’ютер».
	apostrophe byte
}

// The code pages that print Ukrainian, and CP437, the power-on default of most
// printers (used only to decode streams that never sent ESC t).
var (
	// CP866 is DOS Cyrillic. It has Є є Ї ї but lacks І і Ґ ґ: Ukrainian text
	// with І fails to encode.
	CP866 = newCodePage("cp866", charmap.CodePage866, '\'', nil)
	// CP1125 (RUSCII, "PC1125 Ukrainian") is CP866 with 0xF2..0xF9 replaced by
	// Ґ ґ Є є І і Ї ї. golang.org/x/text has no table for it; the differences were
	// checked against Python's cp1125 codec.
	CP1125 = newCodePage("cp1125", charmap.CodePage866, '\'', map[byte]rune{
		0xF2: 'Ґ', 0xF3: 'ґ', 0xF4: 'Є', 0xF5: 'є', 0xF6: 'І', 0xF7: 'і', 0xF8: 'Ї', 0xF9: 'ї',
	})
	// CP1251 is Windows Cyrillic: all Ukrainian letters and the apostrophe ’ (0x92).
	CP1251 = newCodePage("cp1251", charmap.Windows1251, 0x92, nil)
	// CP437 is the original IBM PC page.
	CP437 = newCodePage("cp437", charmap.CodePage437, '\'', nil)
)

var codePages = map[string]*CodePage{"cp866": CP866, "cp1125": CP1125, "cp1251": CP1251, "cp437": CP437}

// LookupCodePage returns the code page called name ("cp1251", "cp1125", "cp866",
// "cp437"; case-insensitive).
func LookupCodePage(name string) (*CodePage, error) {
	if c, ok := codePages[strings.ToLower(name)]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownCodePage, name, strings.Join(CodePages(), ", "))
}

// CodePages lists the names LookupCodePage knows, sorted.
func CodePages() []string {
	names := make([]string, 0, len(codePages))
	for n := range codePages {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func newCodePage(name string, cm *charmap.Charmap, apostrophe byte, override map[byte]rune) *CodePage {
	c := &CodePage{name: name, enc: make(map[rune]byte, 256), apostrophe: apostrophe}
	for i := range 256 {
		r := cm.DecodeByte(byte(i))
		if o, ok := override[byte(i)]; ok {
			r = o
		}
		c.table[i] = r
	}
	// Walk backwards so that, should a rune appear twice, its lowest byte wins.
	for i := 255; i >= 0; i-- {
		if r := c.table[i]; r != utf8.RuneError {
			c.enc[r] = byte(i)
		}
	}
	return c
}

// Name is the lower-case name of the page, as in a profile ("cp1251").
func (c *CodePage) Name() string { return c.name }

func (c *CodePage) String() string { return c.name }

// EncodeError reports a character of a text that cannot be printed: one the code page
// lacks (І in CP866) or a control character, which could smuggle ESC/POS commands from
// a configuration into the printer.
type EncodeError struct {
	CodePage string // name of the page, "cp866"
	Rune     rune
	Pos      int // index of the rune, counted in runes from 0, in the NFC form of the text
}

func (e *EncodeError) Error() string {
	if isControl(e.Rune) {
		return fmt.Sprintf("printer: control character %U at position %d cannot be printed", e.Rune, e.Pos)
	}
	return fmt.Sprintf("printer: %s cannot encode %q (%U) at position %d", e.CodePage, e.Rune, e.Rune, e.Pos)
}

// Unwrap returns ErrUnencodable.
func (e *EncodeError) Unwrap() error { return ErrUnencodable }

// typoFallback is the plain ASCII form of the typographic punctuation a
// Ukrainian text uses, for a page that lacks it (CP866 and CP1125 have no
// quotes, dashes or ellipsis; CP1251 has them all).
var typoFallback = map[rune]string{
	'«': `"`, '»': `"`, '„': `"`, '“': `"`, '”': `"`, '‘': "'",
	'—': "-", '–': "-", '‑': "-", '…': "...",
	'\u00A0': " ", '\u202F': " ", // no-break spaces, on a page without one: they only keep words together
	'№': "No", '€': "EUR",
}

// PlainPunct is the plain ASCII form of typographic punctuation a
// Ukrainian text uses («», dashes, №), for a device whose characters are
// ASCII alone, as a printer's page without it prints it.
func PlainPunct(r rune) (string, bool) {
	t, ok := typoFallback[r]
	return t, ok
}

// plain is s with the punctuation the page lacks in its plain forms
// (typoFallback), as Encode prints it: what a line's width is counted on.
// A narrow no-break space becomes the page's no-break space, which wrap
// does not break either. It is in NFC form, as Encode prints it: a ї typed
// as і + combining diaeresis is one letter wide.
func (c *CodePage) plain(s string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(s) {
		r = c.narrowNBSP(r)
		if _, ok := c.enc[r]; !ok {
			if f, ok := typoFallback[r]; ok {
				b.WriteString(f)
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// narrowNBSP is r, but a narrow no-break space (U+202F, which no page has)
// is the page's no-break space: as wide as a space, and as unbreakable.
func (c *CodePage) narrowNBSP(r rune) rune {
	if _, ok := c.enc['\u00A0']; ok && r == '\u202F' {
		return '\u00A0'
	}
	return r
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7F && r < 0xA0) }

// Encode appends the bytes of s to dst. The text is first put in Unicode NFC form, so
// a ї typed as і + combining diaeresis prints as one letter. The apostrophes ’ (U+2019)
// and ʼ (U+02BC) print as the page's apostrophe: ’ in CP1251, ASCII ' in CP866 and
// CP1125, which have no typographic one. Punctuation of Ukrainian typography that a
// page lacks prints as its plain form (typoFallback: «» as ", — as -, … as ...), and a
// narrow no-break space as the page's no-break space. Any
// other character the page lacks, and every control character (including LF: lay
// lines out with the encoders), is an *EncodeError; dst is then returned unchanged.
func (c *CodePage) Encode(dst []byte, s string) ([]byte, error) {
	n := len(dst)
	pos := 0
	for _, r := range norm.NFC.String(s) {
		switch {
		case isControl(r):
			return dst[:n], &EncodeError{CodePage: c.name, Rune: r, Pos: pos}
		case r < 0x80:
			dst = append(dst, byte(r))
		case r == '\u2019' || r == '\u02BC':
			dst = append(dst, c.apostrophe)
		default:
			b, ok := c.enc[c.narrowNBSP(r)]
			if ok && b >= 0x20 {
				dst = append(dst, b)
				break
			}
			plain, ok := typoFallback[r]
			if !ok {
				return dst[:n], &EncodeError{CodePage: c.name, Rune: r, Pos: pos}
			}
			dst = append(dst, plain...)
		}
		pos++
	}
	return dst, nil
}

// Decode returns the UTF-8 text of b. Control bytes decode to the characters the page
// shows for them, so callers strip commands first (see Decoder).
func (c *CodePage) Decode(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 2)
	for _, x := range b {
		sb.WriteRune(c.decodeByte(x))
	}
	return sb.String()
}

func (c *CodePage) decodeByte(x byte) rune {
	if x < 0x80 {
		return rune(x)
	}
	return c.table[x]
}
