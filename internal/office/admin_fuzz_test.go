package office

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// FuzzAdminDecode: what an administrator's or a dashboard's request
// carries, however broken, is read without a panic. The request's id is
// found before anything that follows it at the top level and never in a
// nested object, so that an answer reaches whoever asked; args that are not
// what an operation takes give a bad_request naming the field.
func FuzzAdminDecode(f *testing.F) {
	f.Add("r1", []byte(`"op":"status"}`))
	f.Add("чергa", []byte(`"args":{"service":"social","counter":5}}`))
	f.Add("x", []byte(`,,,`))
	f.Add("", []byte(`{"service":"a","SERVICE":"b"}`))
	f.Add("id", []byte(`"args":[1,{"id":"no"}],"id":"late"}`))
	f.Fuzz(func(t *testing.T, id string, rest []byte) {
		_ = idBefore(rest)
		if utf8.ValidString(id) {
			quoted, err := json.Marshal(id)
			require.NoError(t, err)
			first := append(append([]byte(`{"id":`), quoted...), ',')
			require.Equal(t, id, idBefore(append(first, rest...)), "an id before whatever follows")
			nested := append(append([]byte(`{"args":{"id":"no","a":[{"id":"no"}]},"id":`), quoted...), ',')
			require.Equal(t, id, idBefore(append(nested, rest...)), "an id after a member holding ids of its own")
		}

		var args struct {
			Service string `json:"service"`
			Counter flexID `json:"counter"`
			Ticket  string `json:"ticket"`
		}
		err := decodeArgs(rest, &args)
		if err == nil {
			return
		}
		var ae *AdminError
		require.True(t, errors.As(err, &ae), "%T %v", err, err)
		require.Equal(t, "bad_request", ae.Code)
		require.NotEmpty(t, ae.Message)
	})
}
