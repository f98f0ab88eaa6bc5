package display

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

func TestAwtrixCustomApp(t *testing.T) {
	o := AwtrixOpts{Prefix: "awtrix_5a3f1c"}
	tests := []struct {
		name  string
		board Board
		text  string
	}{
		{"calling", Board{Counter: "5", Ticket: "А023", Service: "Соціальний захист", State: Calling, At: at}, "А023"},
		{"serving", Board{Counter: "5", Ticket: "А023", State: Serving, At: at}, "А023"},
		{"idle", Board{Counter: "5", Ticket: "А023", State: Idle, At: at}, "5"},
		{"closed", Board{Counter: "5", Ticket: "А023", State: Closed, At: at}, "ЗАЧИНЕНО"},
		{"alert", Board{Counter: "5", State: Closed, Alert: true, At: at}, "ТРИВОГА"},
		// The queue is kept: not the red ЗАЧИНЕНО that sends citizens home.
		{"on a break", Board{Counter: "5", State: Closed, Paused: true, At: at}, "ПЕРЕРВА"},
		{"office paused", Board{Counter: "5", State: Closed, OfficePaused: true, At: at}, "ПЕРЕРВА"},
		{"office paused for an alert", Board{Counter: "5", State: Closed, Paused: true, OfficePaused: true, Alert: true, At: at}, "ТРИВОГА"},
		// After the counter's hours a break keeps no queue: closed, red.
		{"on a break after hours", Board{Counter: "5", State: Closed, Paused: true, OffHours: true, At: at}, "ЗАЧИНЕНО"},
		{"calling without ticket", Board{Counter: "12", State: Calling, At: at}, "12"},
		{"no counter", Board{State: Idle}, "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := o.CustomApp(tt.board)
			require.Equal(t, "awtrix_5a3f1c/custom/cherga", m.Topic)
			require.True(t, m.Retain, "a rebooted board gets its state back")
			require.NotEmpty(t, m.Payload, "an empty payload deletes the app")
			require.True(t, json.Valid(m.Payload))
			require.Equal(t, tt.text, AwtrixText(tt.board))
			testkit.Golden(t, "awtrix_"+strings.ReplaceAll(tt.name, " ", "_")+".json", m.Payload)
		})
	}
}

func TestAwtrixOptions(t *testing.T) {
	o := AwtrixOpts{Prefix: "office/awtrix/7", App: "counter7", Blink: time.Second, CallingColor: "#FF0000"}
	m := o.CustomApp(Board{Counter: "7", Ticket: "Ґ100", State: Calling, At: at})
	require.Equal(t, "office/awtrix/7/custom/counter7", m.Topic)
	require.JSONEq(t, `{"text":"Ґ100","color":"#FF0000","blinkText":1000,"center":true,"textCase":2,"noScroll":true,"lifetime":300,"lifetimeMode":1}`, string(m.Payload))
}

// An alert is red whatever colour closed is: a board set to show closed
// in grey still says ТРИВОГА in red.
func TestAwtrixAlertColor(t *testing.T) {
	o := AwtrixOpts{Prefix: "a", ClosedColor: "#404040"}
	alert := Board{Counter: "5", State: Closed, Alert: true, At: at}
	require.JSONEq(t, `{"text":"ТРИВОГА","color":"#FF0000","center":true,"textCase":2,"noScroll":true,"lifetime":300,"lifetimeMode":1}`, string(o.CustomApp(alert).Payload))
	require.Contains(t, string(o.CustomApp(Board{Counter: "5", State: Closed}).Payload), `"color":"#404040"`)
	require.Contains(t, string(o.CustomApp(Board{Counter: "5", State: Closed, Paused: true}).Payload), `"color":"#2060FF"`, "a break is not red")
	o.PausedColor = "#00FFFF"
	require.Contains(t, string(o.CustomApp(Board{Counter: "5", State: Closed, OfficePaused: true}).Payload), `"color":"#00FFFF"`)
	o.AlertColor = "#FF2000"
	require.Contains(t, string(o.CustomApp(alert).Payload), `"color":"#FF2000"`)
	bad := BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "a", AlertColor: "red"}}
	require.ErrorContains(t, bad.Validate(), "awtrix.alert_color")
}

func TestAwtrixNotification(t *testing.T) {
	o := AwtrixOpts{Prefix: "awtrix_5a3f1c"}
	m, ok := o.Notification("А023")
	require.True(t, ok)
	require.Equal(t, "awtrix_5a3f1c/notify", m.Topic)
	require.False(t, m.Retain, "a notification must not pop up again on reconnect")
	testkit.Golden(t, "awtrix_notify.json", m.Payload)

	o.Sound = "chime"
	m, _ = o.Notification("А023")
	require.Contains(t, string(m.Payload), `"sound":"chime"`)
	o.Sound = "ding:d=8,o=6,b=180:e,c"
	m, _ = o.Notification("А023")
	require.Contains(t, string(m.Payload), `"rtttl":"ding:d=8,o=6,b=180:e,c"`)

	o.Notify = -1
	_, ok = o.Notification("А023")
	require.False(t, ok)
	_, ok = AwtrixOpts{Prefix: "a"}.Notification("")
	require.False(t, ok)
}

func TestBoardOptsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts BoardOpts
		msg  string
	}{
		{"default", BoardOpts{}, ""},
		{"text", BoardOpts{Mode: ModeText}, ""},
		{"awtrix", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "awtrix_5a3f1c"}}, ""},
		{"text ignores awtrix", BoardOpts{Mode: ModeText, Awtrix: AwtrixOpts{Prefix: "#"}}, ""},
		{"mode", BoardOpts{Mode: "led"}, `display: board.mode: must be json, text or awtrix, got "led"`},
		{"no prefix", BoardOpts{Mode: ModeAwtrix}, `display: board.awtrix.prefix: must be the MQTT prefix set on the AWTRIX (awtrix_5a3f1c; {site} stands for the site), without + or #, got ""`},
		{"wildcard prefix", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "awtrix/+"}}, `display: board.awtrix.prefix: must be the MQTT prefix set on the AWTRIX (awtrix_5a3f1c; {site} stands for the site), without + or #, got "awtrix/+"`},
		{"long prefix", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "awtrix_{site}_" + strings.Repeat("x", 170)}}, `display: board.awtrix.prefix: longer than 200 bytes (with {site} as a site of 32): the embedded broker refuses the matrix's topics under it`},
		{"app", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "a", App: "my app"}}, `display: board.awtrix.app: must be 1-32 letters, digits or _, got "my app"`},
		{"color", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "a", ServingColor: "green"}}, `display: board.awtrix.serving_color: must be #RRGGBB, got "green"`},
		{"blink", BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "a", Blink: -time.Second}}, `display: board.awtrix.blink: must not be negative, got -1s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.msg == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.msg)
			require.ErrorIs(t, err, ErrBoardOpts)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
		})
	}
	m, err := ParseMode("")
	require.NoError(t, err)
	require.Equal(t, ModeJSON, m)
	_, err = ParseMode("awtrix3")
	require.ErrorIs(t, err, ErrBoardOpts)
}

func TestSettle(t *testing.T) {
	blink := 30 * time.Second
	calling := Board{Counter: "5", Ticket: "А023", State: Calling, At: at}

	require.Equal(t, calling, Settle(calling, at, blink))
	require.Equal(t, calling, Settle(calling, at.Add(blink-time.Nanosecond), blink))
	settled := Settle(calling, at.Add(blink), blink)
	require.Equal(t, Board{Counter: "5", Ticket: "А023", State: Serving, At: at.Add(blink)}, settled)
	require.Equal(t, settled, Settle(calling, at.Add(time.Hour), blink), "late: settled at call + blink")
	require.Equal(t, settled, Settle(settled, at.Add(time.Hour), blink), "idempotent")

	when, ok := SettleAt(calling, blink)
	require.True(t, ok)
	require.Equal(t, at.Add(blink), when)

	for _, b := range []Board{
		{Counter: "5", State: Idle, At: at},
		{Counter: "5", State: Closed, At: at},
		{Counter: "5", Ticket: "А023", State: Calling}, // no time
	} {
		require.Equal(t, b, Settle(b, at.Add(time.Hour), blink))
		_, ok := SettleAt(b, blink)
		require.False(t, ok)
	}
	require.Equal(t, calling, Settle(calling, at.Add(time.Hour), 0), "blink 0 never settles")
}

func TestBoardOptsMessages(t *testing.T) {
	b := Board{Counter: "5", Ticket: "А023", State: Calling, At: at}
	var none *BoardOpts
	require.Nil(t, none.Messages(b), "nil options: a JSON board")
	require.Nil(t, none.CallMessages("А023"))
	require.Nil(t, (&BoardOpts{Mode: ModeText}).Messages(b))
	require.Nil(t, (&BoardOpts{Mode: ModeJSON}).CallMessages("А023"))

	o := &BoardOpts{Mode: ModeAwtrix, Awtrix: AwtrixOpts{Prefix: "awtrix_5"}}
	require.Equal(t, []Message{o.Awtrix.CustomApp(b)}, o.Messages(b))
	n, _ := o.Awtrix.Notification("А023")
	require.Equal(t, []Message{n}, o.CallMessages("А023"))
	o.Awtrix.Notify = -1
	require.Nil(t, o.CallMessages("А023"))
}
