package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
)

func TestEspeakVersion(t *testing.T) {
	require.Equal(t, "eSpeak NG text-to-speech: 1.51", espeakVersion([]byte("eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data\n")))
}

// Every language the voice speaks has an espeak-ng voice to make its pack.
func TestEveryLanguageHasAVoice(t *testing.T) {
	for _, l := range audio.Langs {
		require.NotEmpty(t, voices[l], "no espeak-ng voice for %s", l)
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
