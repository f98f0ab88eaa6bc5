package display

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

// kyiv is the office's winter offset; a fixed zone keeps the tests free of
// the host's tzdata.
var kyiv = time.FixedZone("EET", 2*60*60)

var at = time.Date(2026, 11, 24, 10, 15, 0, 0, kyiv)

func TestBoard(t *testing.T) {
	tests := []struct {
		name  string
		board Board
		text  string
	}{
		{"calling", Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Calling, At: at}, "А023 → 5"},
		{"serving", Board{Counter: "12", Ticket: "Б101", Service: "Пенсії & субсидії", State: Serving, At: at.Add(90 * time.Second)}, "Б101 → 12"},
		{"idle", Board{Counter: "5", State: Idle, At: at}, "5"},
		{"idle keeps no stale ticket", Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Idle, At: at}, "5"},
		{"closed", Board{Counter: "5", Ticket: "А023", State: Closed, At: at}, "Зачинено"},
		// Its specialist's break: «closed» would read as for the day.
		{"on a break", Board{Counter: "5", State: Closed, Paused: true, At: at}, "Перерва"},
		// Closed for the lamps and boxes, but not «closed» to the hall:
		// the queue is kept for the all-clear.
		{"air-raid alert", Board{Counter: "5", State: Closed, Alert: true, At: at}, "Тривога"},
		{"paused in an alert", Board{Counter: "5", State: Closed, Paused: true, Alert: true, At: at}, "Тривога"},
		// An office pause that is no alert (a meeting, a technical break):
		// the hall says the queue is kept, and no board says closed.
		{"office paused", Board{Counter: "5", State: Closed, OfficePaused: true, At: at}, "Перерва"},
		{"office paused for an alert", Board{Counter: "5", State: Closed, OfficePaused: true, Alert: true, At: at}, "Тривога"},
		// Outside the counter's hours no pause keeps a queue: a break left
		// on after closing, a counter closed for the day, a pause overnight.
		{"paused after hours", Board{Counter: "5", State: Closed, Paused: true, OffHours: true, At: at}, "Зачинено"},
		{"office paused after hours", Board{Counter: "5", State: Closed, OfficePaused: true, OffHours: true, At: at}, "Зачинено"},
		{"alert after hours", Board{Counter: "5", State: Closed, OfficePaused: true, Alert: true, OffHours: true, At: at}, "Тривога"},
		{"utc and fraction", Board{Counter: "7", Ticket: "В7", State: Calling, At: time.Date(2026, 11, 24, 8, 15, 0, 999_000_000, time.UTC)}, "В7 → 7"},
		{"summer offset", Board{Counter: "7", Ticket: "В7", State: Calling, At: time.Date(2026, 6, 1, 9, 0, 0, 0, time.FixedZone("EEST", 3*60*60))}, "В7 → 7"},
		{"no time", Board{Counter: "3", State: Idle}, "3"},
		{"calling without ticket", Board{Counter: "3", State: Calling, At: at}, "3"},
		{"no counter", Board{State: Idle, At: at}, "—"},
	}
	var texts strings.Builder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.board.JSON()
			testkit.Golden(t, "board_"+strings.ReplaceAll(tt.name, " ", "_")+".json", got)
			require.True(t, json.Valid(got))

			// json.Marshal HTML-escapes what MarshalJSON returns; the value is
			// the same.
			std, err := json.Marshal(tt.board)
			require.NoError(t, err)
			require.JSONEq(t, string(got), string(std), "json.Marshal and JSON agree")

			require.Equal(t, tt.text, tt.board.Text())
			require.NotEmpty(t, tt.board.Text(), "an empty retained payload deletes the topic")
			texts.WriteString(tt.name + "\t" + tt.board.Text() + "\n")
		})
	}
	testkit.Golden(t, "board_text.golden", []byte(texts.String()))
}

func TestBoardDecodes(t *testing.T) {
	tests := []struct {
		name       string
		board, out Board
	}{
		{
			"calling",
			Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Calling, At: at},
			Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Calling, At: at},
		},
		{
			"closed drops the ticket",
			Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Closed, At: at},
			Board{Counter: "5", State: Closed, At: at},
		},
		{
			"seconds only",
			Board{Counter: "5", State: Idle, At: at.Add(123 * time.Millisecond)},
			Board{Counter: "5", State: Idle, At: at},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Board
			require.NoError(t, json.Unmarshal(tt.board.JSON(), &got))
			require.True(t, tt.out.At.Equal(got.At), "%s != %s", tt.out.At, got.At)
			_, offset := got.At.Zone()
			require.Equal(t, 2*60*60, offset, "the time keeps its own offset")
			got.At, tt.out.At = time.Time{}, time.Time{}
			require.Equal(t, tt.out, got)
		})
	}
}

func TestQueue(t *testing.T) {
	tests := []struct {
		name  string
		queue Queue
	}{
		{"busy", Queue{Waiting: 12, ETAMin: 18, LastCalled: "А011"}},
		{"morning", Queue{}},
		{"paused", Queue{Waiting: 4, ETAMin: 10, LastCalled: "П003", Paused: true, Reason: "повітряна тривога", Alert: true}},
		{"break", Queue{Waiting: 4, ETAMin: 10, LastCalled: "П003", Paused: true, Reason: "нарада"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.queue.JSON()
			testkit.Golden(t, "queue_"+tt.name+".json", got)
			var back Queue
			require.NoError(t, json.Unmarshal(got, &back))
			require.Equal(t, tt.queue, back)
			std, err := json.Marshal(tt.queue)
			require.NoError(t, err)
			require.Equal(t, string(got), string(std))
		})
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name string
		load Load
	}{
		{"office", Load{
			Waiting:      17,
			OpenCounters: 4,
			Services: []LoadService{
				{Service: "social", Name: "Соціальний захист", Waiting: 12, ETAMin: 18, OpenCounters: 3},
				{Service: "pension", Name: "Пенсії & субсидії", Waiting: 5, ETAMin: 25, OpenCounters: 2},
			},
			At: at,
		}},
		{"closed office", Load{At: at}},
		{"air-raid alert", Load{
			Waiting:      5,
			OpenCounters: 2,
			Services:     []LoadService{{Service: "pension", Name: "Пенсійний фонд", Waiting: 5, ETAMin: 25, OpenCounters: 2, Paused: true}},
			Paused:       true,
			Reason:       "повітряна тривога",
			Alert:        true,
			Languages:    []string{"uk", "en"},
			At:           at,
		}},
		// An alert the administrator said without a reason: only the
		// flag tells it from a tea break.
		{"alert without reason", Load{Paused: true, Alert: true, At: at}},
		{"tea break", Load{Paused: true, Reason: "нарада", At: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.load.JSON()
			testkit.Golden(t, "load_"+strings.ReplaceAll(tt.name, " ", "_")+".json", got)
			require.NotContains(t, string(got), "null")

			var back Load
			require.NoError(t, json.Unmarshal(got, &back))
			require.True(t, tt.load.At.Equal(back.At))
			require.Equal(t, len(tt.load.Services), len(back.Services))
			if len(tt.load.Services) > 0 {
				require.Equal(t, tt.load.Services, back.Services)
			}
			require.Equal(t, tt.load.Waiting, back.Waiting)
			require.Equal(t, tt.load.OpenCounters, back.OpenCounters)
			require.Equal(t, tt.load.Alert, back.Alert)
			require.Equal(t, tt.load.Languages, back.Languages)

			std, err := json.Marshal(tt.load)
			require.NoError(t, err)
			require.JSONEq(t, string(got), string(std))
		})
	}
}
