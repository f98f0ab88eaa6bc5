package display

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

type call struct{ ticket, counter string }

func TestHallCall(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		calls []call
		want  []call // newest first
	}{
		{"empty", 0, nil, nil},
		{"newest first", 0, []call{{"А001", "1"}, {"А002", "2"}, {"Б001", "3"}}, []call{{"Б001", "3"}, {"А002", "2"}, {"А001", "1"}}},
		{"recall moves up", 0, []call{{"А001", "1"}, {"А002", "2"}, {"А001", "1"}}, []call{{"А001", "1"}, {"А002", "2"}}},
		{"counter shows its current ticket", 0, []call{{"А001", "1"}, {"А002", "2"}, {"А003", "1"}}, []call{{"А003", "1"}, {"А002", "2"}}},
		{"transfer to another counter", 0, []call{{"А001", "1"}, {"А002", "2"}, {"А001", "3"}}, []call{{"А001", "3"}, {"А002", "2"}}},
		{"both ticket and counter", 0, []call{{"А001", "1"}, {"А002", "2"}, {"А002", "1"}}, []call{{"А002", "1"}}},
		{"size limit", 2, []call{{"А001", "1"}, {"А002", "2"}, {"А003", "3"}}, []call{{"А003", "3"}, {"А002", "2"}}},
		{"size one", 1, []call{{"А001", "1"}, {"А002", "2"}}, []call{{"А002", "2"}}},
		{"negative size is default", -1, calls(10), reverse(calls(10))[:DefaultHallSize]},
		{"default size", 0, calls(10), reverse(calls(10))[:DefaultHallSize]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHall(&HallOpts{Size: tt.size})
			for i, c := range tt.calls {
				h.Call(c.ticket, c.counter, at.Add(time.Duration(i)*time.Minute))
			}
			var got []call
			for _, c := range h.Calls() {
				got = append(got, call{c.Ticket, c.Counter})
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func calls(n int) []call {
	var cs []call
	for i := range n {
		cs = append(cs, call{fmt.Sprintf("А%03d", i+1), fmt.Sprint(i + 1)})
	}
	return cs
}

func reverse(cs []call) []call {
	cs = slices.Clone(cs)
	slices.Reverse(cs)
	return cs
}

func TestHallZeroValue(t *testing.T) {
	var h Hall
	require.Equal(t, DefaultHallSize, h.Size())
	require.Equal(t, `{"calls":[]}`, string(h.Marshal()))
	require.Equal(t, DefaultHallSize, NewHall(nil).Size())
	require.Equal(t, 3, NewHall(&HallOpts{Size: 3}).Size())
}

func TestHallCallsIsACopy(t *testing.T) {
	h := NewHall(nil)
	h.Call("А001", "1", at)
	cs := h.Calls()
	cs[0].Ticket = "changed"
	require.Equal(t, "А001", h.Calls()[0].Ticket)
}

func TestHallMarshal(t *testing.T) {
	h := NewHall(&HallOpts{Size: 3})
	h.Call("А021", "5", at)
	h.Call("Б007", "2", at.Add(time.Minute))
	h.Call("А022", "5", at.Add(2*time.Minute))
	h.Call("В001", "12", at.Add(3*time.Minute).In(time.UTC))
	got := h.Marshal()
	testkit.Golden(t, "hall.json", got)

	std, err := json.Marshal(h)
	require.NoError(t, err)
	require.Equal(t, string(got), string(std))

	var back struct {
		Calls []HallCall `json:"calls"`
	}
	require.NoError(t, json.Unmarshal(got, &back))
	require.Len(t, back.Calls, 3)
	for i, c := range h.Calls() {
		require.Equal(t, c.Ticket, back.Calls[i].Ticket)
		require.Equal(t, c.Counter, back.Calls[i].Counter)
		require.True(t, c.At.Equal(back.Calls[i].At))
	}
}

// While the office is paused the hall says so, in both languages, and
// for an air-raid alert sends everyone to the shelter; the calls stay.
func TestHallPaused(t *testing.T) {
	h := NewHall(nil)
	h.Call("А021", "5", at)
	for _, tt := range []struct {
		name  string
		pause HallPause
	}{
		{"working", HallPause{}},
		{"paused", HallPause{Paused: true}},
		{"alert", HallPause{Paused: true, Alert: true}},
		{"alert without pause", HallPause{Alert: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := HallJSON(h.Calls(), tt.pause)
			testkit.Golden(t, "hall_"+strings.ReplaceAll(tt.name, " ", "_")+".json", got)
			var back struct {
				Calls         []HallCall
				Paused, Alert bool
				Message       string
			}
			require.NoError(t, json.Unmarshal(got, &back))
			require.Len(t, back.Calls, 1)
			require.Equal(t, tt.pause.Paused, back.Paused)
			require.Equal(t, tt.pause.Paused && tt.pause.Alert, back.Alert)
			require.Equal(t, tt.pause.Message(), back.Message)
		})
	}
	require.Equal(t, string(h.Marshal()), string(HallJSON(h.Calls(), HallPause{})))
	require.Equal(t, `{"calls":[],"paused":true,"message":"Прийом тимчасово призупинено. Ваше місце в черзі збережено. / Service is temporarily suspended. Your place in the queue is kept."}`,
		string(HallJSON(nil, HallPause{Paused: true})))
	require.Contains(t, HallPause{Paused: true, Alert: true}.Message(), "Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter.")
}

// TestHallSimulation runs random calls against a simple model (a list rebuilt
// on every call) and checks the invariants of the board: the latest call on
// top, no ticket and no counter twice, never more rows than the size.
func TestHallSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("randomized simulation; skipped under -short")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	for range 200 {
		size := 1 + r.IntN(10)
		h := NewHall(&HallOpts{Size: size})
		var model []call
		for range r.IntN(100) {
			c := call{fmt.Sprintf("А%03d", r.IntN(15)), fmt.Sprint(r.IntN(6))}
			h.Call(c.ticket, c.counter, at)

			next := []call{c}
			for _, old := range model {
				if old.ticket != c.ticket && old.counter != c.counter && len(next) < size {
					next = append(next, old)
				}
			}
			model = next

			var got []call
			tickets, counters := map[string]bool{}, map[string]bool{}
			for _, hc := range h.Calls() {
				require.False(t, tickets[hc.Ticket], "ticket %s twice, seed %d", hc.Ticket, seed)
				require.False(t, counters[hc.Counter], "counter %s twice, seed %d", hc.Counter, seed)
				tickets[hc.Ticket], counters[hc.Counter] = true, true
				got = append(got, call{hc.Ticket, hc.Counter})
			}
			require.LessOrEqual(t, len(got), size)
			require.Equal(t, c, got[0], "the latest call is on top")
			require.Equal(t, model, got, "seed %d", seed)
		}
	}
}
