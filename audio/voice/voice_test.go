package voice_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/audio/voice"
)

// TestDefaultPack checks that the committed pack is complete for both
// languages (LoadPack checks every clip Announce can emit), so a phrase
// change without make voice fails here.
func TestDefaultPack(t *testing.T) {
	p, err := voice.Load("uk", "en")
	require.NoError(t, err)
	require.Equal(t, audio.Format{Rate: 16000, Channels: 1, Bits: 16}, p.Format())
	// The clips a recorded pack may lack (LoadPack lets it) are here too.
	for _, lang := range []string{"uk", "en"} {
		for id := range audio.ClipTexts(lang) {
			_, ok := p.Clip(id)
			require.True(t, ok, "%s is missing: run make voice", id)
		}
	}
	for _, lang := range []string{"uk", "en"} {
		ph, err := audio.Announce(lang, "А023", "5", audio.Window)
		require.NoError(t, err)
		c, err := p.Say(ph.Clips)
		require.NoError(t, err)
		require.Greater(t, c.Duration().Seconds(), 1.0)
		require.Less(t, c.Duration().Seconds(), 6.0)
	}
}
