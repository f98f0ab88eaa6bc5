//go:build !linux

package device

import (
	"fmt"
	"runtime"

	"periph.io/x/conn/v3/gpio"
)

// OpenPin returns an error wrapping ErrNoGPIO: GPIO is driven through the
// Linux GPIO character device only. Use the simulator's pins elsewhere.
func OpenPin(name string) (gpio.PinIO, error) {
	return nil, fmt.Errorf("%w: %s, so no pin %q", ErrNoGPIO, runtime.GOOS, name)
}
