package device

import (
	"errors"
	"fmt"
)

var (
	// ErrNoGPIO is returned by OpenPin when the host has no GPIO at all: no
	// GPIO chip was found (a laptop, a container), or the platform is not Linux.
	// Use the simulator's pins there.
	ErrNoGPIO = errors.New("device: no GPIO on this host")

	// ErrGPIOAccess is returned by OpenPin when the host has a GPIO chip that
	// this process cannot open: the user is not allowed to (not in the group
	// gpio, no udev rule), or the chip is busy. The message names the device
	// file and the fix. Unlike ErrNoGPIO it is a mistake of the installation,
	// not a host without GPIO.
	ErrGPIOAccess = errors.New("device: cannot open the GPIO chip")

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
	// ErrBadScore is returned (wrapped) for a rating outside 1..5: a
	// payload that was read, whose score a person chose wrong. It is also
	// ErrBadPayload.
	ErrBadScore = fmt.Errorf("%w: \"score\" must be 1..5", ErrBadPayload)
	// ErrNoTransferTo is returned for a transfer without "to", and
	// ErrNoCallTicket for a call without "ticket": a box whose button is
	// set up without them. Both are ErrBadPayload.
	ErrNoTransferTo = fmt.Errorf("%w: transfer needs \"to\": the service to transfer to", ErrBadPayload)
	ErrNoCallTicket = fmt.Errorf("%w: call needs \"ticket\": the label of the ticket to call", ErrBadPayload)
)

// Pin map errors.
var (
	// ErrPinMap is wrapped by ParsePinMap's errors: the pin map file itself
	// is wrong (a pin twice, an unknown kind, a YAML error).
	ErrPinMap = errors.New("device: bad pin map")

	// ErrPinAssignment is wrapped by PinMap.Check's errors: the office
	// configuration takes a pin it must not (unknown, used twice, power,
	// ground, or I2C and ID EEPROM pins that were not allowed).
	ErrPinAssignment = errors.New("device: bad pin assignment")
)

// Scanner errors. A scan that fails arrives as a Scan of kind ScanError
// whose Err wraps one of ErrScanTooLong, ErrScanGarbage, ErrScanIncomplete
// or ErrScannerOffline; Run itself returns only when it stops.
var (
	// ErrBadSpec is returned by OpenScanner for a device spec it cannot
	// parse; the message names the parameter at fault.
	ErrBadSpec = errors.New("device: bad spec")

	// ErrScanTooLong is reported when a line grows past ScannerOpts.MaxLine
	// without a CR or LF: its bytes are dropped up to the next CR or LF.
	ErrScanTooLong = errors.New("device: scan too long")

	// ErrScanGarbage is reported for a line that is not UTF-8 or holds
	// control characters: line noise, a wrong baud rate, or a scanner in a
	// mode that sends binary.
	ErrScanGarbage = errors.New("device: scan is not text")

	// ErrScanIncomplete is reported when bytes stop arriving for
	// ScannerOpts.LineTimeout before a CR or LF: the bytes are dropped, so
	// that they do not stick to the front of the next scan. A scanner that
	// reports it for every scan is set up without a CR or LF suffix.
	ErrScanIncomplete = errors.New("device: scan without CR or LF")

	// ErrScannerOffline is reported, once per outage, when the scanner's
	// port cannot be opened or fails (unplugged); Run reopens it with
	// backoff. Scanner.Err returns it, wrapped, until the port is open.
	ErrScannerOffline = errors.New("device: scanner offline")
)
