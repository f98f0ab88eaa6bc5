package audio

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParsePresence(t *testing.T) {
	at := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	p := Presence{Online: true, ID: "cherga-announcer-demo-hall", Version: "v1", Started: at, Langs: []string{"uk", "en"}, Player: "aplay", Error: "aplay: exit status 1", ErrorAt: &at}
	b, err := json.Marshal(p)
	require.NoError(t, err)
	got, err := ParsePresence(b)
	require.NoError(t, err)
	require.Equal(t, p, got)

	for _, tt := range []struct{ in, msg string }{
		{`null`, "audio: bad announcer presence: not a JSON object"},
		{`[1]`, "audio: bad announcer presence: not a JSON object"},
		{`{"online":true}`, "audio: bad announcer presence: no id"},
		{`{"online":"yes","id":"a"}`, "audio: bad announcer presence: json: cannot unmarshal string into Go struct field Presence.online of type bool"},
		{`{"id":"a"} {}`, "audio: bad announcer presence: invalid character '{' after top-level value"},
		{"{\"id\":\"\xff\"}", "audio: bad announcer presence: not valid UTF-8"},
		{`{"id":"` + strings.Repeat("a", maxPresence) + `"}`, "audio: bad announcer presence: 4105 bytes, at most 4096"},
	} {
		_, err := ParsePresence([]byte(tt.in))
		require.ErrorIs(t, err, ErrBadPresence, tt.in)
		require.EqualError(t, err, tt.msg)
	}
}

// FuzzParsePresence: any payload gives a presence with an id, or
// ErrBadPresence.
func FuzzParsePresence(f *testing.F) {
	f.Add([]byte(`{"online":true,"id":"cherga-announcer-demo-hall","started":"2026-12-04T09:00:00Z","langs":["uk","en"]}`))
	f.Add([]byte(`{"online":false,"id":"a","stopped":true}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePresence(b)
		if err != nil {
			require.ErrorIs(t, err, ErrBadPresence)
			return
		}
		require.NotEmpty(t, p.ID)
	})
}
