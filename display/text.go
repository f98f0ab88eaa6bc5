package display

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/cherga/cherga/printer"
)

// TextOpts configures a counter's plain-text board topic,
// {root}/board/{counter}/text, for a board that cannot take UTF-8.
type TextOpts struct {
	// Charset is what the text is encoded in: utf-8 (the default);
	// cp1251 or cp1125 for an 8-bit board with Cyrillic; ascii for one
	// without, in the Latin transliteration of the Cabinet of Ministers
	// (KMU 2010: Ц001 is Ts001, «Зачинено» Zachyneno).
	Charset string `yaml:"charset,omitempty" json:"charset,omitempty"`
}

// Charsets are the charsets a text board may take.
var Charsets = []string{"utf-8", "cp1251", "cp1125", "ascii"}

func (o TextOpts) validate() error {
	for _, c := range Charsets {
		if o.Charset == "" || strings.EqualFold(o.Charset, c) {
			return nil
		}
	}
	return &FieldError{"text.charset", fmt.Sprintf("must be one of %s, got %q", strings.Join(Charsets, ", "), o.Charset)}
}

// TextPayload is the payload of the counter's {root}/board/{counter}/text:
// Board.Text in the board's charset. An 8-bit charset has no arrow (the
// text says "А023 > 5"); a text it cannot encode (a counter named with a
// character it lacks) is transliterated.
func (o *BoardOpts) TextPayload(b Board) []byte {
	cs := ""
	if o != nil {
		cs = strings.ToLower(o.Text.Charset)
	}
	if cs == "" || cs == "utf-8" {
		return []byte(b.Text())
	}
	text := strings.ReplaceAll(b.Text(), "→", ">")
	if cp, err := printer.LookupCodePage(cs); err == nil {
		if out, err := cp.Encode(nil, text); err == nil {
			return out
		}
	}
	if b.Ticket != "" {
		text = strings.Replace(text, b.Ticket, TransliterateLabel(b.Ticket), 1)
	}
	return []byte(Transliterate(text))
}

// TransliterateLabel writes a ticket label in Latin letters as the English
// announcement says it: each letter of its prefix on its own, in its
// word-initial form with a capital (ЦЯ001 is TsYa001, ЗГ5 is ZH5, not the
// word forms TsIa and ZGh), the digits as they are.
func TransliterateLabel(label string) string {
	var b strings.Builder
	for _, r := range label {
		if t, ok := translit[unicode.ToLower(r)]; ok {
			if t != "" {
				b.WriteString(strings.ToUpper(t[:1]) + t[1:])
			}
			continue
		}
		b.WriteString(Transliterate(string(r)))
	}
	return b.String()
}

// Transliterate writes Ukrainian text in Latin letters by the official
// transliteration (KMU 2010, resolution 55): Є, Ї, Й, Ю, Я are Ye, Yi, Y,
// Yu, Ya at the start of a word and ie, i, i, iu, ia inside it; зг is zgh
// (not zh, which is ж); Ь and the apostrophe are left out. A capital is
// written with a capital, and all in capitals within a word in capitals
// (Щастя is Shchastia, ЩАСТЯ SHCHASTIA). Typographic punctuation is
// written plain (printer.PlainPunct: — is -); what else has no
// transliteration and is not ASCII becomes "?".
func Transliterate(s string) string {
	var b strings.Builder
	start := true // at the start of a word
	prev := rune(0)
	rs := []rune(s)
	for i, r := range rs {
		lower := unicode.ToLower(r)
		t, ok := translit[lower]
		if ok && !start {
			if inner, ok := translitInner[lower]; ok {
				t = inner
			}
		}
		if lower == 'г' && prev == 'з' {
			t = "gh"
		}
		prev = lower
		switch {
		case ok:
			switch {
			case r == lower || t == "":
			case inCapitals(rs, i):
				t = strings.ToUpper(t)
			default:
				t = strings.ToUpper(t[:1]) + t[1:]
			}
			b.WriteString(t)
		case r == '\'' || r == 'ʼ' || r == '’':
		case r < 0x80:
			b.WriteRune(r)
		default:
			if p, ok := printer.PlainPunct(r); ok {
				b.WriteString(p) // the idle board's «—»
			} else {
				b.WriteByte('?')
			}
		}
		start = !unicode.IsLetter(r) && r != '\'' && r != 'ʼ' && r != '’'
	}
	return b.String()
}

// inCapitals reports whether the capital rs[i] is in a word written in
// capitals: the letter after it is a capital too, or, at the end of the
// word, the letter before it; a word of one letter is as the text around
// it («ВХІД Є» is VKHID YE, «Вікно Ж» Vikno Zh).
func inCapitals(rs []rune, i int) bool {
	if i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
		return unicode.IsUpper(rs[i+1])
	}
	for j := i - 1; j >= 0; j-- {
		if unicode.IsLetter(rs[j]) {
			return unicode.IsUpper(rs[j])
		}
	}
	for j := i + 1; j < len(rs); j++ {
		if unicode.IsLetter(rs[j]) {
			return unicode.IsUpper(rs[j]) && (j+1 == len(rs) || !unicode.IsLetter(rs[j+1]) || unicode.IsUpper(rs[j+1]))
		}
	}
	return false
}

var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'е': "e", 'є': "ye",
	'ж': "zh", 'з': "z", 'и': "y", 'і': "i", 'ї': "yi", 'й': "y", 'к': "k", 'л': "l",
	'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u",
	'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ь': "", 'ю': "yu",
	'я': "ya",
}

// translitInner are the letters written otherwise inside a word.
var translitInner = map[rune]string{'є': "ie", 'ї': "i", 'й': "i", 'ю': "iu", 'я': "ia"}
