package device

import (
	"fmt"
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

// OpenPin returns the host's GPIO pin by its periph name ("GPIO17") or alias.
// It returns an error wrapping ErrNoGPIO on a host without GPIO, and
// ErrNoSuchPin when the host has GPIO but no pin by that name.
func OpenPin(name string) (gpio.PinIO, error) {
	if err := hostInit(); err != nil {
		return nil, fmt.Errorf("%w: periph host init: %w", ErrNoGPIO, err)
	}
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	if len(gpioreg.All()) == 0 {
		return nil, fmt.Errorf("%w: no GPIO chip found, so no pin %q", ErrNoGPIO, name)
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchPin, name)
}
