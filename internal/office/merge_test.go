package office

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// merge3 takes the file's edits (base → file) onto what an administrator
// made of base (cur): services, counters and kiosks item by item, any
// other setting whole, the file's edit running where both changed one,
// and what of the administrator's a file's list (or a setting it took
// away) drops is named.
func TestMerge3(t *testing.T) {
	for _, tc := range []struct {
		name            string
		base, file, cur string
		want            string
		edits           []string
		lost            string
	}{{
		name: "an item each side added stays",
		base: `{"services":[{"id":"a"}]}`,
		file: `{"services":[{"id":"a"},{"id":"f"}]}`,
		cur:  `{"services":[{"id":"a"},{"id":"c"}]}`,
		want: `{"services":[{"id":"a"},{"id":"c"},{"id":"f"}]}`, edits: []string{"services[f]"},
	}, {
		name: "fields of one item: both edits, the file's where both changed one",
		base: `{"services":[{"id":"a","name":"A","min":1}]}`,
		file: `{"services":[{"id":"a","name":"File","min":1}]}`,
		cur:  `{"services":[{"id":"a","name":"Admin","min":2}]}`,
		want: `{"services":[{"id":"a","name":"File","min":2}]}`, edits: []string{"services[a].name"},
	}, {
		name: "an item the file took away goes",
		base: `{"counters":[{"id":"1"},{"id":"2"}]}`,
		file: `{"counters":[{"id":"1"}]}`,
		cur:  `{"counters":[{"id":"1"},{"id":"2","kind":"cabinet"}]}`,
		want: `{"counters":[{"id":"1"}]}`, edits: []string{"counters[2] (taken away)"},
	}, {
		name: "an item the file edited comes back though an administrator took it away",
		base: `{"counters":[{"id":"1"},{"id":"2"}]}`,
		file: `{"counters":[{"id":"1"},{"id":"2","kind":"cabinet"}]}`,
		cur:  `{"counters":[{"id":"1"}]}`,
		want: `{"counters":[{"id":"1"},{"id":"2","kind":"cabinet"}]}`, edits: []string{"counters[2]"},
	}, {
		name: "an item both added: the file's",
		base: `{"counters":[]}`,
		file: `{"counters":[{"id":"9","kind":"cabinet"}]}`,
		cur:  `{"counters":[{"id":"9"}]}`,
		want: `{"counters":[{"id":"9","kind":"cabinet"}]}`, edits: []string{"counters[9]"},
	}, {
		name: "another list is one setting, and the administrator's items it drops are named",
		base: `{"office":{"holidays":["2030-01-01"]}}`,
		file: `{"office":{"holidays":["2030-12-31"]}}`,
		cur:  `{"office":{"holidays":["2030-01-01","2030-01-07"]}}`,
		want: `{"office":{"holidays":["2030-12-31"]}}`, edits: []string{"office.holidays"},
		lost: `config.office.holidays without "2030-01-07"`,
	}, {
		name: "a list the file took away: the administrator's items go, named",
		base: `{"office":{"name":"O","holidays":["2030-01-01"]}}`,
		file: `{"office":{"name":"O"}}`,
		cur:  `{"office":{"name":"O","holidays":["2030-01-01","2030-01-07"]}}`,
		want: `{"office":{"name":"O"}}`, edits: []string{"office.holidays"},
		lost: `config.office.holidays without "2030-01-07"`,
	}, {
		name: "a setting only an administrator changed stays",
		base: `{"office":{"name":"O","recall_limit":3},"site":"s"}`,
		file: `{"office":{"name":"New","recall_limit":3},"site":"s"}`,
		cur:  `{"office":{"name":"O","recall_limit":5},"site":"s"}`,
		want: `{"office":{"name":"New","recall_limit":5},"site":"s"}`, edits: []string{"office.name"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var base, file, cur any
			require.NoError(t, json.Unmarshal([]byte(tc.base), &base))
			require.NoError(t, json.Unmarshal([]byte(tc.file), &file))
			require.NoError(t, json.Unmarshal([]byte(tc.cur), &cur))
			var edits []string
			var lost losses
			got, err := json.Marshal(merge3(base, file, cur, "", &edits, &lost))
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
			require.Equal(t, tc.edits, edits)
			if tc.lost == "" {
				require.Empty(t, lost)
			} else {
				require.Equal(t, tc.lost, lost.String())
			}
		})
	}
}
