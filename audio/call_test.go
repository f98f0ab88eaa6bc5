package audio

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseCall(t *testing.T) {
	c, err := ParseCall([]byte(`{"id":"17","ticket":"А023","counter":"5","lang":"uk","text":"Талон А двадцять три, вікно п'ять",
		"clips":["uk/word/talon","uk/letter/a","uk/num/20","uk/num/3","uk/word/vikno","uk/num/5"],"at":"2026-11-24T10:15:00+02:00","new":1}`))
	require.NoError(t, err)
	require.Equal(t, "17", c.ID)
	require.Equal(t, "uk", c.Lang)
	require.Len(t, c.Clips, 6)
	require.False(t, c.Recall)
	require.True(t, c.At.Equal(time.Date(2026, 11, 24, 8, 15, 0, 0, time.UTC)))

	long := `"` + strings.Repeat("x", 65) + `"`
	tests := []struct{ name, in, msg string }{
		{"not json", `call А023`, "audio: bad announce message: invalid character 'c' looking for beginning of value"},
		{"array", `[]`, "audio: bad announce message: json: cannot unmarshal array into Go value of type audio.Call"},
		{"two values", `{"id":"1"} {}`, "audio: bad announce message: something follows the JSON object"},
		{"a stray bracket", `{"id":"1","ticket":"А1","counter":"5","lang":"uk","clips":["uk/num/1"]}]`, "audio: bad announce message: something follows the JSON object"},
		{"no id", `{"ticket":"А1","counter":"5","lang":"uk","clips":["uk/num/1"]}`, "audio: bad announce message: no id"},
		{"no counter", `{"id":"1","ticket":"А1","lang":"uk","clips":["uk/num/1"]}`, "audio: bad announce message: no counter"},
		{"long ticket", `{"id":"1","ticket":` + long + `,"counter":"5","lang":"uk","clips":["uk/num/1"]}`, "audio: bad announce message: ticket longer than 64 characters"},
		{"lang", `{"id":"1","ticket":"А1","counter":"5","lang":"ru","clips":["uk/num/1"]}`, `audio: bad announce message: audio: unsupported language "ru" (want one of uk, en)`},
		{"no clips", `{"id":"1","ticket":"А1","counter":"5","lang":"uk","clips":[]}`, "audio: bad announce message: 0 clips (want 1..64)"},
		{"bad clip", `{"id":"1","ticket":"А1","counter":"5","lang":"uk","clips":["../x"]}`, `audio: bad announce message: clips[0] "../x" is not a clip id`},
		{"bad time", `{"id":"1","ticket":"А1","counter":"5","lang":"uk","clips":["uk/num/1"],"at":"yesterday"}`, `audio: bad announce message: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"`},
		{"bad utf-8", "{\"id\":\"\xff\"}", "audio: bad announce message: not valid UTF-8"},
		{"huge", `{"id":"` + strings.Repeat("1", 9000) + `"}`, "audio: bad announce message: 9009 bytes (at most 8192)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCall([]byte(tt.in))
			require.ErrorIs(t, err, ErrCall)
			require.EqualError(t, err, tt.msg)
		})
	}
}

// FuzzParseCall: any payload gives a call the playlist can take, or ErrCall.
func FuzzParseCall(f *testing.F) {
	f.Add([]byte(`{"id":"17","ticket":"А023","counter":"5","lang":"uk","clips":["uk/word/talon"],"at":"2026-11-24T10:15:00+02:00"}`))
	f.Add([]byte(`{"id":"1","recall":true,"clips":null}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCall(b)
		if err != nil {
			require.ErrorIs(t, err, ErrCall)
			return
		}
		require.NotEmpty(t, c.ID)
		require.NotEmpty(t, c.Clips)
		p := newPlaylist([]string{"uk", "en"}, time.Minute, time.Second, 4)
		p.add(c, t0)
		p.next(t0.Add(time.Hour))
	})
}
