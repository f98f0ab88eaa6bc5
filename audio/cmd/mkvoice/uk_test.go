package main

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
)

// Every Ukrainian clip can be said: each word of more than one syllable
// has its stress in stressed, and every letter is spelled.
func TestEveryUkrainianClipIsSaid(t *testing.T) {
	texts := audio.ClipTexts("uk")
	for _, id := range slices.Sorted(maps.Keys(texts)) {
		ph, err := ukSay(texts[id])
		require.NoError(t, err, id)
		words := strings.Fields(ph)
		said := strings.FieldsFunc(strings.ToLower(texts[id]), func(r rune) bool { return unicode.IsSpace(r) || r == '-' })
		require.Len(t, said, len(words), id)
		for i, w := range words {
			n := strings.Count(w, "'")
			if len(words) > 1 && unstressed[strings.Trim(said[i], ".,!?:;…«»\"—–")] {
				require.Zero(t, n, "%s: %q is not stressed", id, w)
				continue
			}
			require.Equal(t, 1, n, "%s: %q: one stressed vowel a word", id, w)
		}
	}
	for plainWord, w := range stressed {
		require.Equal(t, 1, strings.Count(w, string(acute)), "%s: one accent", w)
		require.Equal(t, plainWord, plain(w))
	}
}

// What espeak-ng 1.51 says wrongly in Ukrainian is spelled right.
func TestUkSay(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"один", "od'In"},                 // и is [ɪ], not і
		{"три", "t@-r'I"},                 // and тр as espeak-ng spells it
		{"чотири", "tSot'IrI"},            // hard ч, unstressed о stays [o]
		{"тисяча", "t'Is;AtSa"},           // ся: a soft с, no [j]
		{"двадцять", "dv'Ad;ts;At;"},      // дць: both soft; a soft final т
		{"дев'яносто", "devjan'osto"},     // unstressed е is [e], not і; ʼя is [ja]
		{"вісімдесят", "v;is;imdes;'At"},  // soft before і; stressed on я, т hard
		{"двісті", "dv;'is;t;i"},          // стi: both soft
		{"шість", "S'is;t;"},              // сть: both soft; ш hard before і
		{"шістнадцять", "Sisn'Ad;ts;At;"}, // стн: т silent
		{"шістсот", "Siss'ot"},
		{"п'ятсот", "pjats:'ot"},     // тс: a long ц
		{"п'ятдесят", "pjaddes;'At"}, // тд: [dd]
		{"нуль", "n'ul^"},            // a soft final л
		{"талон", "tal'on"},          // not ТАлон
		{"повторно", "powt'orno"},    // в before a consonant is [u̯]
		{"Прийом відновлено.", "p@-rIj'om v;idn'owleno"},
		// до unstressed; жч voiced, not [ʃtʃ]
		{"Пройдіть до найближчого укриття.", "p@-rojd;'it; do najbl'IZ_tSoho uk@-rIt;t;'A"},
		{"знак м'якшення", "zn'Ak mj'AkSen^n;A"}, // stressed on я; нн soft
		{"бе", "b'E"}, // a stressed е is [ɛ]
		{"и", "'I:"},  // a letter said by a bare и, і or у is long
		{"а", "'A"},   // a letter, not the conjunction
		{"Пройдіть у кабінет", "p@-rojd;'it; u kab;in'Et"},
		{"з-під укриття", "z_ p;id uk@-rIt;t;'A"}, // a hyphen joins words; з stays voiced
		{"є", "j'E"},
	} {
		got, err := ukSay(tc.text)
		require.NoError(t, err, tc.text)
		require.Equal(t, tc.want, got, tc.text)
	}
}

// A word mkvoice cannot stress or spell is refused, naming it.
func TestUkSayRefuses(t *testing.T) {
	_, err := ukSay("Талон на завтра")
	require.ErrorContains(t, err, `"завтра"`)
	require.ErrorContains(t, err, "add it there")
	_, err = ukSay("вікно 5")
	require.ErrorContains(t, err, `'5'`)
	_, err = ukSay("« ' »")
	require.ErrorContains(t, err, "a word of no letter")
	_, err = ukSay("…")
	require.ErrorContains(t, err, "has no word to say")
}
