package device_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
)

// arm runs f, which starts a background Blink or Beep, and waits until its
// goroutine has armed its timer.
func arm(t *testing.T, clock *devicetest.Clock, f func() error) {
	t.Helper()
	n := clock.Timers()
	require.NoError(t, f())
	require.NoError(t, clock.WaitTimers(n+1, limit))
}

func TestLamp(t *testing.T) {
	clock := devicetest.NewClock(t0)
	pin := devicetest.NewPin("GPIO22", clock)
	l := device.NewLamp("counter-5", pin)
	l.Clock = clock
	require.Equal(t, "Lamp(counter-5, GPIO22)", l.String())

	require.NoError(t, l.Set(true))
	require.NoError(t, l.Set(false))
	require.Equal(t, []gpio.Level{gpio.High, gpio.Low}, pin.Outs())

	t.Run("blink", func(t *testing.T) {
		arm(t, clock, func() error { return l.Blink(time.Second) })
		require.Equal(t, gpio.High, pin.Read())
		for _, want := range []gpio.Level{gpio.Low, gpio.High, gpio.Low} {
			n := clock.Timers()
			clock.Advance(500 * time.Millisecond)
			require.NoError(t, pin.WaitLevel(want, limit))
			require.NoError(t, clock.WaitTimers(n, limit)) // the next half period
		}
		require.NoError(t, l.Halt())
		require.Equal(t, gpio.Low, pin.Read())
		outs := len(pin.Outs())
		clock.Advance(time.Minute)
		require.Len(t, pin.Outs(), outs, "Halt stopped the blinking")
		require.ErrorIs(t, l.Blink(0), device.ErrInvalidOpts)
	})

	t.Run("beep", func(t *testing.T) {
		arm(t, clock, func() error { return l.Beep(200 * time.Millisecond) })
		require.Equal(t, gpio.High, pin.Read())
		clock.Advance(199 * time.Millisecond)
		require.Equal(t, gpio.High, pin.Read())
		clock.Advance(time.Millisecond)
		require.NoError(t, pin.WaitLevel(gpio.Low, limit))

		require.NoError(t, l.Beep(time.Hour))
		require.NoError(t, l.Halt(), "Halt silences a beep")
		require.Equal(t, gpio.Low, pin.Read())
	})

	t.Run("beeps", func(t *testing.T) {
		outs := len(pin.Outs())
		arm(t, clock, func() error { return l.Beeps(3, 100*time.Millisecond) })
		levels := []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low}
		for i, want := range levels {
			n := clock.Timers()
			clock.Advance(100 * time.Millisecond)
			require.NoError(t, pin.WaitLevel(want, limit))
			if i < len(levels)-1 {
				require.NoError(t, clock.WaitTimers(n, limit)) // the next step
			}
		}
		clock.Advance(time.Minute)
		require.Equal(t, []gpio.Level{gpio.High, gpio.Low, gpio.High, gpio.Low, gpio.High, gpio.Low}, pin.Outs()[outs:], "three beeps, then quiet")
		require.NoError(t, l.Beeps(0, time.Second))
		require.Equal(t, gpio.Low, pin.Read())
		require.NoError(t, l.Beeps(2, time.Hour))
		require.NoError(t, l.Halt(), "Halt silences beeps")
		require.Equal(t, gpio.Low, pin.Read())
	})

	t.Run("flash a lit lamp", func(t *testing.T) {
		require.NoError(t, l.Set(true))
		outs := len(pin.Outs())
		arm(t, clock, func() error { return l.Flash(2, 100*time.Millisecond, true) })
		for i := range 3 {
			n := clock.Timers()
			clock.Advance(100 * time.Millisecond)
			if i < 2 {
				require.NoError(t, clock.WaitTimers(n, limit))
			}
		}
		require.NoError(t, pin.WaitLevel(gpio.High, limit))
		clock.Advance(time.Minute)
		require.Equal(t, []gpio.Level{gpio.Low, gpio.High, gpio.Low, gpio.High}, pin.Outs()[outs:], "dark twice, lit again")
		require.NoError(t, l.Set(false))
		require.Equal(t, gpio.Low, pin.Read())
	})

	// Wink goes back to what Set said last, whatever it was.
	for _, steady := range []gpio.Level{gpio.Low, gpio.High} {
		t.Run("wink "+steady.String(), func(t *testing.T) {
			require.NoError(t, l.Set(steady == gpio.High))
			outs := len(pin.Outs())
			arm(t, clock, func() error { return l.Wink(2, 100*time.Millisecond) })
			for i := range 3 {
				n := clock.Timers()
				clock.Advance(100 * time.Millisecond)
				if i < 2 {
					require.NoError(t, clock.WaitTimers(n, limit))
				}
			}
			require.NoError(t, pin.WaitLevel(steady, limit))
			clock.Advance(time.Minute)
			require.Equal(t, []gpio.Level{!steady, steady, !steady, steady}, pin.Outs()[outs:], "twice the other way, then as it was")
		})
	}
}

// brokenPin is an output whose driver fails, like a line taken by another
// process.
type brokenPin struct{ *devicetest.Pin }

var errBusy = errors.New("line busy")

func (brokenPin) Out(gpio.Level) error { return errBusy }

func TestLampError(t *testing.T) {
	l := device.NewLamp("hall", brokenPin{devicetest.NewPin("GPIO23", devicetest.NewClock(t0))})
	err := l.Set(true)
	require.ErrorIs(t, err, errBusy)
	require.ErrorContains(t, err, "device: Lamp(hall, GPIO23)")
	require.ErrorIs(t, l.Beep(time.Second), errBusy)
	require.ErrorIs(t, l.Halt(), errBusy)
}
