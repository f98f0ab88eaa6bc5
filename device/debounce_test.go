package device_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
)

// waiter runs p.WaitForEdge(time.Hour) in the background and waits until it
// blocks on raw.
func waiter(t *testing.T, p gpio.PinIn, raw *devicetest.Pin) <-chan bool {
	t.Helper()
	got := make(chan bool, 1)
	go func() { got <- p.WaitForEdge(time.Hour) }()
	require.NoError(t, raw.WaitIdle(limit))
	return got
}

// returned says whether WaitForEdge has returned, and what.
func returned(got <-chan bool) (ret, ok bool) {
	select {
	case v := <-got:
		return v, true
	default:
		return false, false
	}
}

func TestDebounce(t *testing.T) {
	for _, tc := range []struct {
		edge           gpio.Edge
		press, release bool // WaitForEdge reports them
	}{
		{gpio.BothEdges, true, true},
		{gpio.FallingEdge, true, false},
		{gpio.RisingEdge, false, true},
		{gpio.NoEdge, false, false},
	} {
		t.Run(tc.edge.String(), func(t *testing.T) {
			clock := devicetest.NewClock(t0)
			raw := devicetest.NewPin("GPIO5", clock)
			p := device.Debounce(raw, 30*time.Millisecond, clock)
			require.Equal(t, "GPIO5(debounce 30ms)", p.String())
			require.NoError(t, p.In(gpio.PullUp, tc.edge))
			require.Equal(t, gpio.High, p.Read())

			for _, step := range []struct {
				l      gpio.Level
				report bool
			}{{gpio.Low, tc.press}, {gpio.High, tc.release}} {
				got := waiter(t, p, raw)
				raw.Bounce(7, step.l)
				require.NoError(t, raw.WaitIdle(limit))
				clock.Advance(29 * time.Millisecond)
				require.NoError(t, raw.WaitIdle(limit))
				_, ok := returned(got)
				require.False(t, ok, "not steady for 30 ms yet")
				require.Equal(t, !step.l, p.Read(), "Read is the settled level")

				clock.Advance(time.Millisecond)
				if step.report {
					require.True(t, <-got)
				} else {
					// Settled, but not an edge asked for: still waiting.
					require.NoError(t, raw.WaitIdle(limit))
					require.NoError(t, p.Halt())
					require.False(t, <-got)
				}
				require.Equal(t, step.l, p.Read())
			}
		})
	}
}

func TestDebounceGlitch(t *testing.T) {
	clock := devicetest.NewClock(t0)
	raw := devicetest.NewPin("GPIO5", clock)
	p := device.Debounce(raw, 30*time.Millisecond, clock)
	require.NoError(t, p.In(gpio.PullUp, gpio.BothEdges))

	// Low for 20 ms then back: too short to count.
	got := waiter(t, p, raw)
	raw.Edge(gpio.Low)
	require.NoError(t, raw.WaitIdle(limit))
	clock.Advance(20 * time.Millisecond)
	raw.Edge(gpio.High)
	require.NoError(t, raw.WaitIdle(limit))
	clock.Advance(time.Hour)
	require.False(t, <-got, "timed out: the glitch is no edge")
	require.Equal(t, gpio.High, p.Read())
}

func TestDebounceTimeout(t *testing.T) {
	clock := devicetest.NewClock(t0)
	raw := devicetest.NewPin("GPIO5", clock)
	p := device.Debounce(raw, 30*time.Millisecond, clock)
	require.NoError(t, p.In(gpio.PullUp, gpio.BothEdges))
	require.False(t, p.WaitForEdge(0), "0 does not wait")

	got := make(chan bool)
	go func() { got <- p.WaitForEdge(time.Second) }()
	require.NoError(t, raw.WaitIdle(limit))
	clock.Advance(time.Second)
	require.False(t, <-got, "nothing within the timeout")

	go func() { got <- p.WaitForEdge(time.Second) }()
	require.NoError(t, raw.WaitIdle(limit))
	require.NoError(t, p.Halt())
	require.False(t, <-got, "Halt interrupts")
}
