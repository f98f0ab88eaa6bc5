package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

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
		for _, w := range strings.Fields(ph) {
			require.Equal(t, 1, strings.Count(w, "'"), "%s: %q: one stressed vowel a word", id, w)
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
		{"один", "od'In"},              // и is [ɪ], not і
		{"три", "t@-r'I"},              // and тр as espeak-ng spells it
		{"чотири", "tSot'IrI"},         // hard ч, unstressed о stays [o]
		{"тисяча", "t'Is;AtSa"},        // ся: a soft с, no [j]
		{"двадцять", "dv'Ad;ts;At;"},   // дць: both soft; a soft final т
		{"дев'яносто", "devjan'osto"},  // unstressed е is [e], not і; ʼя is [ja]
		{"вісімдесят", "visimdes;'At"}, // stressed on я, т hard
		{"шість", "S'is;t;"},           // сть: both soft
		{"нуль", "n'ul^"},              // a soft final л
		{"талон", "tal'on"},            // not ТАлон
		{"повторно", "powt'orno"},      // в before a consonant is [u̯]
		{"Прийом відновлено.", "p@-rIj'om vidn'owleno"},
		{"Пройдіть до найближчого укриття.", "p@-rojd'it; d'o najbl'IZtSoho uk@-rIt;t;'A"},
		{"знак м'якшення", "zn'Ak mj'AkSen;n;A"}, // stressed on я; нн soft
		{"бе", "b'E"}, // a stressed е is [ɛ]
		{"и", "'I:"},  // a letter said by a bare и, і or у is long
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
}
