//go:build !linux

package sim

import (
	"errors"
	"os"
)

// openPty is implemented for Linux only, where the office box runs.
func openPty() (master, slave *os.File, err error) {
	return nil, nil, errors.ErrUnsupported
}

// Flow is known on Linux only.
func (p *Printer) Flow() (rtscts, xonxoff bool, err error) {
	return false, false, errors.ErrUnsupported
}
