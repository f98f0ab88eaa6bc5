package device

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sync"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// hostInit loads periph's host drivers once per process; a host without a
// GPIO chip is not an error for periph, only an empty registry.
var hostInit = sync.OnceValue(func() error {
	_, err := host.Init()
	return err
})

// chipGlob matches the GPIO character devices periph opens.
const chipGlob = "/dev/gpiochip*"

// OpenPin returns the host's GPIO pin by its periph name ("GPIO17") or alias.
// It returns an error wrapping ErrNoGPIO on a host without GPIO,
// ErrGPIOAccess when the host has a GPIO chip this process cannot open, and
// ErrNoSuchPin when the host has GPIO but no pin by that name.
func OpenPin(name string) (gpio.PinIO, error) {
	if err := hostInit(); err != nil {
		return nil, fmt.Errorf("%w: periph host init: %w", ErrNoGPIO, err)
	}
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	if len(gpioreg.All()) == 0 {
		// periph skips a chip it cannot open (it only logs it), so an
		// empty registry is either no chip or a chip out of reach.
		if err := chipAccess(chipGlob, openChip); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: no GPIO chip found, so no pin %q", ErrNoGPIO, name)
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchPin, name)
}

// openChip opens a GPIO chip as periph does, and closes it again.
func openChip(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// chipAccess tells a host with no GPIO chip (nil) from one whose chips
// (files matching pattern) exist but cannot be opened: then an error
// wrapping ErrGPIOAccess that names the file and how to grant access.
func chipAccess(pattern string, open func(path string) error) error {
	chips, _ := filepath.Glob(pattern) // the pattern is constant and valid
	for _, c := range chips {
		err := open(c)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			continue // a dangling link, or a chip periph found nothing on
		}
		cause := err
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			cause = pe.Err // the path is in the message already
		}
		if !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%w %s (%w): is another program holding it?", ErrGPIOAccess, c, cause)
		}
		who, name := "the service user", "USER"
		if u, uerr := user.Current(); uerr == nil {
			who, name = "user "+u.Username, u.Username
		}
		return fmt.Errorf("%w %s (%w): %s may not use GPIO; add it to the group gpio (usermod -aG gpio %s, then restart cherga), or give the chips to a group it is in with a udev rule: SUBSYSTEM==\"gpio\", KERNEL==\"gpiochip*\", GROUP=\"gpio\", MODE=\"0660\"",
			ErrGPIOAccess, c, cause, who, name)
	}
	return nil
}
