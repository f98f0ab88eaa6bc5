package device

import "errors"

var (
	// ErrNoGPIO is returned by OpenPin when the host has no GPIO at all: no
	// GPIO chip was found (a laptop, a container), or the platform is not Linux.
	// Use the simulator's pins there.
	ErrNoGPIO = errors.New("device: no GPIO on this host")

	// ErrNoSuchPin is returned by OpenPin when the host has GPIO but no pin by
	// that name: a typo in the pin map, or a pin map for another board.
	ErrNoSuchPin = errors.New("device: no such pin")

	// ErrInvalidOpts is returned by NewButton when a duration in ButtonOpts is
	// negative, or Stuck is not longer than LongPress (the stuck report would
	// pre-empt the long press).
	ErrInvalidOpts = errors.New("device: invalid options")

	// ErrClosed is returned by Button.Run after Button.Close, and by Lamp
	// methods after Lamp.Close.
	ErrClosed = errors.New("device: closed")

	// ErrRunning is returned by Button.Run while another Run of the same button
	// is still going: one goroutine owns a pin's edges.
	ErrRunning = errors.New("device: already running")

	// ErrBadPayload is returned (wrapped, with the reason) for a remote press
	// whose MQTT payload cannot be understood.
	ErrBadPayload = errors.New("device: bad payload")
)
