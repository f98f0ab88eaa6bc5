//go:build !linux

package printer

import (
	"errors"

	"go.bug.st/serial"
)

// setFlow is implemented for Linux, where the office box runs.
func setFlow(serial.Port, Flow) error {
	return errors.New("flow control is set on Linux only")
}
