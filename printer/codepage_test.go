package printer

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

const ukrainianAlphabet = "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯабвгґдеєжзиіїйклмнопрстуфхцчшщьюя"

func TestUkrainianRoundTrip(t *testing.T) {
	require.Equal(t, 66, utf8.RuneCountInString(ukrainianAlphabet))
	for _, cp := range []*CodePage{CP1251, CP1125} {
		t.Run(cp.Name(), func(t *testing.T) {
			for _, r := range ukrainianAlphabet {
				b, err := cp.Encode(nil, string(r))
				require.NoError(t, err, "%c", r)
				require.Len(t, b, 1, "%c", r)
				require.GreaterOrEqual(t, b[0], byte(0x80), "%c", r)
				require.Equal(t, string(r), cp.Decode(b))
			}
			b, err := cp.Encode(nil, "Ґанок, їжак, єнот, інжир, м'ята №5")
			require.NoError(t, err)
			require.Equal(t, "Ґанок, їжак, єнот, інжир, м'ята №5", cp.Decode(b))
		})
	}
}

func TestCP1125Table(t *testing.T) {
	// CP1125 differs from CP866 exactly at 0xF2..0xF9.
	want := map[byte]rune{0xF2: 'Ґ', 0xF3: 'ґ', 0xF4: 'Є', 0xF5: 'є', 0xF6: 'І', 0xF7: 'і', 0xF8: 'Ї', 0xF9: 'ї'}
	for i := range 256 {
		b := byte(i)
		if r, ok := want[b]; ok {
			require.Equal(t, r, CP1125.decodeByte(b), "0x%02X", b)
			continue
		}
		require.Equal(t, CP866.decodeByte(b), CP1125.decodeByte(b), "0x%02X", b)
	}
	require.Equal(t, "Ё", CP1125.Decode([]byte{0xF0}))
	require.Equal(t, "·√№¤■", CP1125.Decode([]byte{0xFA, 0xFB, 0xFC, 0xFD, 0xFE}))
}

func TestCP866RefusesI(t *testing.T) {
	for _, s := range []string{"Рівне", "Реєстрація місця"} {
		dst := []byte("kept")
		out, err := CP866.Encode(dst, s)
		var ee *EncodeError
		require.ErrorAs(t, err, &ee)
		require.ErrorIs(t, err, ErrUnencodable)
		require.Equal(t, "cp866", ee.CodePage)
		require.Equal(t, 'і', ee.Rune)
		require.Equal(t, strings.IndexRune(s, 'і'), len(string([]rune(s)[:ee.Pos])), "position counts runes")
		require.Equal(t, 'і', []rune(s)[ee.Pos])
		require.Equal(t, []byte("kept"), out, "nothing appended on error")
		require.Contains(t, err.Error(), "'і' (U+0456)")
	}
	_, err := CP866.Encode(nil, "Ґ")
	require.ErrorIs(t, err, ErrUnencodable)
	// What CP866 has.
	b, err := CP866.Encode(nil, "Київ, Єє Її")
	require.NoError(t, err)
	require.Equal(t, "Київ, Єє Її", CP866.Decode(b))
}

func TestApostrophes(t *testing.T) {
	for _, a := range []string{"'", "\u2019", "\u02BC"} {
		s := "м" + a + "ята"
		b, err := CP1251.Encode(nil, s)
		require.NoError(t, err)
		if a == "'" {
			require.Equal(t, "м'ята", CP1251.Decode(b))
		} else {
			require.Equal(t, "м’ята", CP1251.Decode(b))
			require.Equal(t, byte(0x92), b[1])
		}
		for _, cp := range []*CodePage{CP866, CP1125} {
			b, err := cp.Encode(nil, s)
			require.NoError(t, err)
			require.Equal(t, "м'ята", cp.Decode(b), cp.Name())
		}
	}
}

// Ukrainian typography prints on every page: as itself where the page has
// it (CP1251), else as its plain form, never as «?» nor refused.
func TestTypography(t *testing.T) {
	const s = "«Прозорий офіс» — м.\u00A0Київ, №\u00A05…"
	b, err := CP1251.Encode(nil, s)
	require.NoError(t, err)
	require.Equal(t, "«Прозорий офіс» — м.\u00A0Київ, №\u00A05…", CP1251.Decode(b))
	plain := func(cp *CodePage, s string) string {
		b, err := cp.Encode(nil, s)
		require.NoError(t, err, cp.Name())
		return strings.ReplaceAll(cp.Decode(b), "\u00A0", " ")
	}
	require.Equal(t, `"Прозорий офіс" - м. Київ, № 5...`, plain(CP1125, s))
	require.Equal(t, `"Черга" - № 5...`, plain(CP866, "«Черга» — №\u00A05…")) // CP866 has no і
}

func TestEncodeRefusesControls(t *testing.T) {
	for _, s := range []string{"a\x1b@", "line\n", "tab\t", "\x7f", "\u0085", "\x00"} {
		_, err := CP1251.Encode(nil, s)
		var ee *EncodeError
		require.ErrorAs(t, err, &ee, "%q", s)
		require.Contains(t, err.Error(), "control character")
	}
	// A byte the page maps to a control is not a way round it either.
	_, err := CP1251.Encode(nil, "\uFFFD")
	require.ErrorIs(t, err, ErrUnencodable)
}

func TestEncodeNFC(t *testing.T) {
	decomposed := "і\u0308жак" // і + combining diaeresis = ї
	b, err := CP1251.Encode(nil, decomposed)
	require.NoError(t, err)
	require.Equal(t, "їжак", CP1251.Decode(b))
}

func TestLookupCodePage(t *testing.T) {
	cp, err := LookupCodePage("CP1125")
	require.NoError(t, err)
	require.Same(t, CP1125, cp)
	_, err = LookupCodePage("koi8-u")
	require.ErrorIs(t, err, ErrUnknownCodePage)
	require.Equal(t, []string{"cp1125", "cp1251", "cp437", "cp866"}, CodePages())
}

func FuzzEncodeText(f *testing.F) {
	for _, s := range []string{ukrainianAlphabet, "м’ята", "a\x1b@", "", "і\u0308", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cp := range []*CodePage{CP866, CP1125, CP1251, CP437} {
			b, err := cp.Encode(nil, s)
			if err != nil {
				var ee *EncodeError
				require.ErrorAs(t, err, &ee)
				require.Empty(t, b)
				continue
			}
			for _, c := range b {
				require.GreaterOrEqual(t, c, byte(0x20), "no control byte escapes into the stream")
				require.NotEqual(t, byte(0x7F), c)
			}
			want := strings.NewReplacer("\u2019", "'", "\u02BC", "'").Replace(norm.NFC.String(s))
			got := strings.ReplaceAll(cp.Decode(b), "\u2019", "'")
			require.Equal(t, strings.ReplaceAll(want, "\u2019", "'"), got)
		}
	})
}
