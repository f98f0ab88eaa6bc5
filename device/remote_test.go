package device

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeKioskPress(t *testing.T) {
	p, err := DecodeKioskPress([]byte(`{"service":"social","priority":true,"box":"esp32-7","id":"screen-41"}`))
	require.NoError(t, err)
	require.Equal(t, KioskPress{Service: "social", Priority: true, ID: "screen-41"}, p)
	_, err = DecodeKioskPress([]byte(`{"service":"social","id":"` + strings.Repeat("x", 65) + `"}`))
	require.ErrorIs(t, err, ErrBadPayload)
	p, err = DecodeKioskPress([]byte(`{"service":"social","id":null}`))
	require.NoError(t, err, "null is no id, as \"\" is (docs/mqtt.md)")
	require.Empty(t, p.ID)

	for _, bad := range []string{``, `{}`, `[]`, `{"service":1}`, `{"service":"a"}{"service":"b"}`, `{"service":"social"}]`, `{"service":"social"}}`, " \n ", "\xff\xfe", `{"service":"social"`} {
		_, err := DecodeKioskPress([]byte(bad))
		require.True(t, errors.Is(err, ErrBadPayload), "%q: %v", bad, err)
	}
	big := make([]byte, MaxPayload+1)
	_, err = DecodeKioskPress(big)
	require.ErrorIs(t, err, ErrBadPayload)
}

func TestDecodeCounterCmd(t *testing.T) {
	for _, a := range CounterActions {
		payload := `{"action":"` + a + `"}`
		switch a {
		case "transfer":
			payload = `{"action":"transfer","to":"pension","to_counter":"10"}`
		case "call":
			payload = `{"action":"call","ticket":"А023"}`
		}
		c, err := DecodeCounterCmd([]byte(payload))
		require.NoError(t, err, payload)
		require.Equal(t, a, c.Action)
	}
	tests := map[string]string{
		`{"action":"dance"}`:               `unknown action "dance"`,
		`{}`:                               `"action" is missing`,
		`{"action":"transfer"}`:            `transfer needs "to"`,
		`{"action":"next","to":"pension"}`: `"to" and "to_counter" are only for transfer`,
		`{"action":"call"}`:                `call needs "ticket"`,
		`{"action":"next","ticket":"А1"}`:  `"ticket" is only for call`,
		`next`:                             `invalid character`,
		`{"action":"next"}}`:               `something follows the JSON object`,
		``:                                 `empty, want a JSON object`,
		`{"Action":"done"}`:                `"action" is missing`,
		`null`:                             `null, want a JSON object`,
		`["next"]`:                         `a JSON object is wanted, not array`,
	}
	for payload, want := range tests {
		_, err := DecodeCounterCmd([]byte(payload))
		require.ErrorIs(t, err, ErrBadPayload, payload)
		require.Contains(t, err.Error(), want, payload)
	}
}

// Member names are matched exactly: encoding/json alone would take an
// unknown "ACTION" for "action", and a box's stray field would change what
// the counter does.
func TestDecodeExactNames(t *testing.T) {
	c, err := DecodeCounterCmd([]byte(`{"action":"recall","ACTION":"noshow"}`))
	require.NoError(t, err)
	require.Equal(t, "recall", c.Action)
	c, err = DecodeCounterCmd([]byte(`{"ACTION":"noshow","action":"recall","To":"x"}`))
	require.NoError(t, err)
	require.Equal(t, CounterCmd{Action: "recall"}, c)
	_, err = DecodeRating([]byte(`{"SCORE":5}`))
	require.ErrorContains(t, err, `"score" must be 1..5, and it is missing`)
	p, err := DecodeKioskPress([]byte(`{"service":"social","Priority":true}`))
	require.NoError(t, err)
	require.False(t, p.Priority)
}

func TestDecodeRating(t *testing.T) {
	r, err := DecodeRating([]byte(`{"score":5}`))
	require.NoError(t, err)
	require.Equal(t, 5, r.Score)
	for _, bad := range []string{`{"score":0}`, `{"score":6}`, `{}`, `{"score":"5"}`, `5`} {
		_, err := DecodeRating([]byte(bad))
		require.ErrorIs(t, err, ErrBadPayload, bad)
	}
	for bad, says := range map[string]string{
		`{"score":0}`:    "got 0",
		`{"score":null}`: "it is missing", // not "got 0": none was given
		`{}`:             "it is missing",
	} {
		_, err := DecodeRating([]byte(bad))
		require.ErrorIs(t, err, ErrBadScore, bad)
		require.ErrorContains(t, err, says, bad)
	}
}

func FuzzDecodeRemote(f *testing.F) {
	f.Add([]byte(`{"action":"next"}`))
	f.Add([]byte(`{"service":"social","priority":true}`))
	f.Add([]byte(`{"action":"transfer","to":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := DecodeCounterCmd(b); err == nil {
			require.Contains(t, CounterActions, c.Action)
		} else {
			require.ErrorIs(t, err, ErrBadPayload)
		}
		if r, err := DecodeRating(b); err == nil {
			require.True(t, r.Score >= 1 && r.Score <= 5)
		} else {
			require.ErrorIs(t, err, ErrBadPayload)
		}
		if p, err := DecodeKioskPress(b); err == nil {
			require.NotEmpty(t, p.Service)
		} else {
			require.ErrorIs(t, err, ErrBadPayload)
		}
	})
}
