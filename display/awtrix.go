package display

import (
	"encoding/json"
	"strings"
	"time"
)

// AwtrixOpts drives an AWTRIX 3 board (https://blueforcer.github.io/awtrix3/#/api).
// A zero field takes its value from DefaultAwtrixOpts.
//
// The board shows one custom app, {prefix}/custom/{app}, published
// retained so a board that reboots shows the state at once; a new call
// also pops up as a notification, {prefix}/notify, not retained. Turn the
// built-in apps (time, date, temperature, humidity, battery) off in the
// AWTRIX settings so the loop shows only the counter.
type AwtrixOpts struct {
	// Prefix is the MQTT prefix set in the AWTRIX web interface.
	Prefix string `yaml:"prefix" json:"prefix"`
	// App is the custom app's name; default "cherga".
	App string `yaml:"app,omitempty" json:"app,omitempty"`
	// Blink is the text's blink interval while calling; default 500 ms.
	Blink time.Duration `yaml:"blink,omitempty" json:"blink,omitempty"`
	// Notify is how long the notification of a new call shows; default
	// 5 s. A negative value sends no notifications.
	Notify time.Duration `yaml:"notify,omitempty" json:"notify,omitempty"`
	// Sound is played with the notification: a melody file on the board or
	// an RTTTL string (starting with a name and a colon). Empty is silent:
	// the announcer speaks.
	Sound string `yaml:"sound,omitempty" json:"sound,omitempty"`
	// CallingColor is the colour of the text while a ticket is called,
	// #RRGGBB.
	CallingColor string `yaml:"calling_color,omitempty" json:"calling_color,omitempty"`
	// ServingColor is the colour of the text while the ticket is served,
	// #RRGGBB.
	ServingColor string `yaml:"serving_color,omitempty" json:"serving_color,omitempty"`
	// IdleColor is the colour of the text while nobody is called,
	// #RRGGBB.
	IdleColor string `yaml:"idle_color,omitempty" json:"idle_color,omitempty"`
	// ClosedColor is the colour of the text while the counter is closed,
	// #RRGGBB.
	ClosedColor string `yaml:"closed_color,omitempty" json:"closed_color,omitempty"`
	// PausedColor is «ПЕРЕРВА», shown on the specialist's break and
	// while the office is paused for something else than an alert.
	PausedColor string `yaml:"paused_color,omitempty" json:"paused_color,omitempty"`
	// AlertColor is «ТРИВОГА», shown while the office is paused for an
	// air-raid alert.
	AlertColor string `yaml:"alert_color,omitempty" json:"alert_color,omitempty"`
}

// MarshalJSON gives the durations as text ("500ms"), as the YAML file has
// them: the configuration config.get shows goes back through config.set,
// which reads documents as YAML (nanoseconds would not do).
func (a AwtrixOpts) MarshalJSON() ([]byte, error) {
	type plain AwtrixOpts
	text := func(d time.Duration) string {
		if d == 0 {
			return ""
		}
		return d.String()
	}
	return json.Marshal(struct {
		plain
		Blink  string `json:"blink,omitempty"`
		Notify string `json:"notify,omitempty"`
	}{plain(a), text(a.Blink), text(a.Notify)})
}

// DefaultAwtrixOpts: amber blinking while calling, green while serving,
// dim grey when idle, red when closed, blue on a break (the queue is kept:
// not the red of closed), bright red during an air-raid alert.
var DefaultAwtrixOpts = AwtrixOpts{
	App:          "cherga",
	Blink:        500 * time.Millisecond,
	Notify:       5 * time.Second,
	CallingColor: "#FFB000",
	ServingColor: "#00D060",
	IdleColor:    "#505050",
	ClosedColor:  "#D00000",
	PausedColor:  "#2060FF",
	AlertColor:   "#FF0000",
}

func (o AwtrixOpts) withDefaults() AwtrixOpts {
	d := DefaultAwtrixOpts
	set := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	set(&o.App, d.App)
	set(&o.CallingColor, d.CallingColor)
	set(&o.ServingColor, d.ServingColor)
	set(&o.IdleColor, d.IdleColor)
	set(&o.ClosedColor, d.ClosedColor)
	set(&o.PausedColor, d.PausedColor)
	set(&o.AlertColor, d.AlertColor)
	if o.Blink == 0 {
		o.Blink = d.Blink
	}
	if o.Notify == 0 {
		o.Notify = d.Notify
	}
	return o
}

// awtrixApp is the subset of the AWTRIX 3 custom app and notification
// payloads cherga uses.
type awtrixApp struct {
	Text      string `json:"text"`
	Color     string `json:"color"`
	BlinkText int    `json:"blinkText,omitempty"` // ms
	Center    bool   `json:"center"`
	// TextCase 2 shows the text as sent: the board's uppercase setting
	// would otherwise change "Зачинено".
	TextCase int  `json:"textCase"`
	NoScroll bool `json:"noScroll"`
	// Custom app only: with no update for Lifetime seconds the board
	// marks the app stale (LifetimeMode 1: a red frame): the controller
	// that kept it up to date has stopped.
	Lifetime     int `json:"lifetime,omitempty"`
	LifetimeMode int `json:"lifetimeMode,omitempty"`
	// Notification only.
	Duration int    `json:"duration,omitempty"` // s
	Stack    *bool  `json:"stack,omitempty"`
	Wakeup   bool   `json:"wakeup,omitempty"`
	Sound    string `json:"sound,omitempty"`
	RTTTL    string `json:"rtttl,omitempty"`
}

// AwtrixText is what an AWTRIX board shows for b: the ticket alone while
// calling or serving (the board hangs over its counter, and a 32x8 matrix
// has room for about 8 characters), the counter id when idle, ЗАЧИНЕНО when
// closed, ПЕРЕРВА when closed for the specialist's break or an office pause
// that is not an alert (as the text board: "closed" sends citizens home),
// ТРИВОГА when closed for an air-raid alert. The AWTRIX font has had
// Cyrillic capitals, Є І Ї included, since early 2024 (awtrix3 pull request
// 481); check Ґ on the firmware in use.
func AwtrixText(b Board) string {
	switch b.State {
	case Closed:
		switch {
		case b.Alert:
			return "ТРИВОГА"
		case b.onBreak():
			return "ПЕРЕРВА"
		}
		return "ЗАЧИНЕНО"
	case Calling, Serving:
		if b.Ticket != "" {
			return b.Ticket
		}
	}
	if b.Counter == "" {
		return "-"
	}
	return b.Counter
}

// AwtrixLifetime is how long an AWTRIX board shows its custom app without
// an update before it frames it in red as stale; the controller sends the
// app again every AwtrixRefresh, so only a controller that stopped (or
// lost the broker) leaves a board showing a call that is long over.
const (
	AwtrixLifetime = 5 * time.Minute
	AwtrixRefresh  = time.Minute
)

// CustomApp returns the retained custom app of the board: {prefix}/custom/{app}
// with the text of AwtrixText, blinking in CallingColor while calling,
// marked stale by the board after AwtrixLifetime without an update. It is
// never empty: an empty payload would delete the app.
func (o AwtrixOpts) CustomApp(b Board) Message {
	o = o.withDefaults()
	app := awtrixApp{Text: AwtrixText(b), Center: true, TextCase: 2, NoScroll: true,
		Lifetime: int(AwtrixLifetime / time.Second), LifetimeMode: 1}
	switch {
	case b.State == Closed && b.Alert:
		app.Color = o.AlertColor
	case b.onBreak():
		app.Color = o.PausedColor
	case b.State == Closed:
		app.Color = o.ClosedColor
	case b.State == Calling && b.Ticket != "":
		app.Color = o.CallingColor
		app.BlinkText = int(o.Blink / time.Millisecond)
	case b.State == Serving && b.Ticket != "":
		app.Color = o.ServingColor
	default:
		app.Color = o.IdleColor
	}
	return Message{Topic: o.Prefix + "/custom/" + o.App, Retain: true, Payload: marshal(app)}
}

// Notification returns the notification of a new call of ticket on the
// board, {prefix}/notify, not retained: it replaces any notification shown
// (no stack), wakes a dimmed board, blinks fast in CallingColor for Notify.
// ok is false when Notify is negative or the ticket is empty.
func (o AwtrixOpts) Notification(ticket string) (m Message, ok bool) {
	o = o.withDefaults()
	if o.Notify < 0 || ticket == "" {
		return Message{}, false
	}
	stack := false
	n := awtrixApp{
		Text: ticket, Color: o.CallingColor, BlinkText: 250, Center: true, TextCase: 2, NoScroll: true,
		Duration: max(1, int(o.Notify/time.Second)), Stack: &stack, Wakeup: true,
	}
	if name, _, isRTTTL := strings.Cut(o.Sound, ":"); isRTTTL && name != "" {
		n.RTTTL = o.Sound
	} else {
		n.Sound = o.Sound
	}
	return Message{Topic: o.Prefix + "/notify", Payload: marshal(n)}, true
}

// Settle returns the board as it should show at now: a Calling board whose
// call is blink or more old becomes Serving, with At when it settled, so the
// board stops blinking. Other boards, a Calling board without a time, and
// any board when blink <= 0 are returned as they are.
//
// The publisher applies it to every board it renders (so a call published
// late, after the broker was down, shows settled) and, at the time SettleAt
// gives, republishes the board settled. The queue's own state is not
// changed: "serving" on the board means "called a while ago".
func Settle(b Board, now time.Time, blink time.Duration) Board {
	at, ok := SettleAt(b, blink)
	if !ok || now.Before(at) {
		return b
	}
	b.State, b.At = Serving, at
	return b
}

// SettleAt returns when Settle turns b from Calling to Serving, and false
// when it never will.
func SettleAt(b Board, blink time.Duration) (time.Time, bool) {
	if b.State != Calling || blink <= 0 || b.At.IsZero() {
		return time.Time{}, false
	}
	return b.At.Add(blink), true
}
