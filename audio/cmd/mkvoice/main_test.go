package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
)

// TestStressFixesMatch fails when a phrase text changes under a stress fix,
// so the fix is updated with it (and make voice run again).
func TestStressFixesMatch(t *testing.T) {
	for id, fix := range stress {
		lang, _, _ := strings.Cut(id, "/")
		require.Equal(t, fix.text, audio.ClipTexts(lang)[id], id)
		require.Equal(t, len(strings.Fields(fix.phonemes)), strings.Count(fix.phonemes, "'"), "%s: one stressed vowel a word", id)
	}
}

// The letters said by a bare short vowel are said long, and м'якшення
// (Ь, "знак м'якшення") is stressed on я, not on е as espeak-ng has it.
func TestLetterFixes(t *testing.T) {
	for _, id := range []string{"uk/letter/i", "uk/letter/y", "uk/letter/u"} {
		require.True(t, strings.HasSuffix(stress[id].phonemes, ":"), "%s: %q is not said long", id, stress[id].phonemes)
	}
	require.Equal(t, "zn'Ak mj'akSEnnja", stress["uk/letter/soft"].phonemes)
}

func TestEspeakVersion(t *testing.T) {
	require.Equal(t, "eSpeak NG text-to-speech: 1.51", espeakVersion([]byte("eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data\n")))
}

func TestUkPhonemes(t *testing.T) {
	for _, tc := range []struct{ text, espeak, want string }{
		{"п'ять", "p'jat", "p'jat;"}, // soft final т
		{"двадцять", "dv'Adtsjat", "dv'Adtsjat;"},
		{"вісімдесят", "visimd'esjat", "visimd'esjat"}, // a hard т stays
		{"чотири", "tS;Vt'irI", "tSot'irI"},            // hard ч, no akanye
		{"талон", "t'AlVn", "t'Alon"},
	} {
		require.Equal(t, tc.want, ukPhonemes(tc.text, tc.espeak), tc.text)
	}
}

// The committed pack was made from the clip texts as they are: a phrase
// changed without make voice would be said in its old words.
func TestPackMatchesTexts(t *testing.T) {
	b, err := os.ReadFile("../../voice/pack/manifest.json")
	require.NoError(t, err)
	var m audio.Manifest
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, textsSum(m.Langs), m.Texts, "a clip's text changed since audio/voice/pack was made: run make voice, and commit the pack")
}
