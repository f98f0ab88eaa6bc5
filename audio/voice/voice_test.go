package voice_test

import (
	"strings"
	"testing"
	"time"

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
	// Every letter is long enough to be heard in a hall: 200 ms with the
	// 90 ms of silence mkvoice puts around every clip. І, И and У, a bare
	// short vowel each, were 133 to 190 ms before mkvoice said them long.
	for _, lang := range []string{"uk", "en"} {
		for id := range audio.ClipTexts(lang) {
			if c, _ := p.Clip(id); strings.Contains(id, "/letter/") {
				require.GreaterOrEqual(t, c.Duration(), 200*time.Millisecond, id)
			}
		}
	}
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
		// The air-raid alert and its end are said whole, not the chime
		// alone of a pack without them.
		for _, n := range []audio.Notice{audio.AlertNotice, audio.AllClearNotice} {
			ph, err := audio.AnnounceNotice(lang, n)
			require.NoError(t, err)
			for _, id := range ph.Clips {
				_, ok := p.Clip(id)
				require.True(t, ok, "%s is missing: run make voice", id)
			}
			c, err := p.Say(ph.Clips)
			require.NoError(t, err)
			require.Greater(t, c.Duration().Seconds(), 1.5, "%s %s", lang, n)
		}
	}
}
