// Package display builds the payloads of the office boards: the board above
// each counter, the hall board, the per-service queue figures and the office
// load for the website. It makes bytes, and the topics of the boards that
// read their own (BoardOpts.Messages); publishing belongs to the MQTT
// plumbing. Every payload is published retained, so a board that reconnects
// shows the current state at once, except an AWTRIX matrix's pop-up of a new
// call, which is news only then.
//
// The payloads implement the external contract v1 (docs/mqtt.md, "MQTT
// topics"):
//
//	{root}/board/{counter}       Board.JSON   {"counter":"5","ticket":"А023","service":"...","state":"calling","at":"..."}
//	{root}/board/{counter}/text  Board.Text   А023 → 5
//	{root}/hall                  HallJSON     {"calls":[{"ticket":"А023","counter":"5","at":"..."}]}, newest first
//	{root}/queue/{service}       Queue.JSON   {"waiting":12,"eta_min":18,"last_called":"А011"}
//	{root}/load                  Load.JSON    {"waiting":N,"open_counters":N,"services":[...],"at":"..."}
//
// Times are RFC 3339 with a numeric offset, in the time's own location, to the
// second: "2026-11-24T10:15:00+02:00". UTC is written "+00:00", not "Z", so
// the field always has the same 25 characters; the small parsers in LED board
// firmware cut it by position. A zero time is left out.
//
// The plain-text payload is for the simplest one-line boards, which have room
// for one language, so it is Ukrainian: "А023 → 5" while a ticket is called or
// served, the counter id alone ("5") when the counter is idle, and "Зачинено"
// when it is closed; on its specialist's break, or while the office is
// paused for something else than an alert (Board.OfficePaused), the board is
// closed and says "Перерва", and during an air-raid alert (Board.Alert)
// "Тривога", since "closed" would send home citizens whose queue is kept.
// It is never empty, because an empty retained MQTT message deletes the
// retained state instead of showing a blank board.
//
// # AWTRIX 3 boards and blinking
//
// A counter whose BoardOpts.Mode is ModeAwtrix has an AWTRIX 3 LED matrix
// (https://blueforcer.github.io/awtrix3/#/api) over it, which reads its own
// topics under the prefix set on the device: AwtrixOpts.CustomApp is the
// retained custom app {prefix}/custom/cherga (the ticket, amber and blinking
// while calling, green while serving, the counter id when idle, ЗАЧИНЕНО when
// closed, ПЕРЕРВА in blue on a break or an office pause, ТРИВОГА in red
// during an air-raid alert), and AwtrixOpts.Notification the pop-up
// {prefix}/notify of a new call. The contract topics are published for these counters too.
//
// A board blinks while its state is "calling". Settle turns a call older
// than the configured blink time into "serving", and SettleAt says when, so
// the publisher republishes the board then and a board stops blinking
// without the queue having to know about it.
//
// While the office is paused, the hall board (HallJSON with a HallPause)
// keeps its calls and says so in both languages: for an air-raid alert,
// go to the shelter; otherwise, your place in the queue is kept.
//
// The types are plain values; Hall keeps a short history and, like the rest of
// the controller state, is owned by one goroutine.
package display
