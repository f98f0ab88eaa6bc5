package device_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/device"
)

// On a laptop or in CI there is no GPIO chip: OpenPin must say so, not panic.
// On a Pi, GPIO17 exists.
func TestOpenPin(t *testing.T) {
	p, err := device.OpenPin("GPIO17")
	if err == nil {
		require.NotNil(t, p)
		t.Logf("this host has GPIO: %s", p.Name())
	} else {
		require.True(t, errors.Is(err, device.ErrNoGPIO) || errors.Is(err, device.ErrNoSuchPin), "%v", err)
		require.ErrorContains(t, err, "device: ")
	}

	_, err = device.OpenPin("NO_SUCH_PIN")
	require.Error(t, err)
	require.True(t, errors.Is(err, device.ErrNoGPIO) || errors.Is(err, device.ErrNoSuchPin), "%v", err)
	require.ErrorContains(t, err, `"NO_SUCH_PIN"`)
}
