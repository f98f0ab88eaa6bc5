package device

import "time"

// Clock is the time seam of the package. Buttons read Now to time debounce,
// long press, mash protection and stuck detection; lamps wait on After to
// blink and beep.
//
// devicetest.Clock is a manual implementation for tests.
type Clock interface {
	// Now returns the current time. Durations are computed with Sub, so the
	// system clock's monotonic reading makes them immune to wall-clock jumps
	// (a Pi without RTC setting its time from NTP).
	Now() time.Time
	// After returns a channel that receives the time once d has elapsed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the Clock of the host: time.Now and time.After.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

var _ Clock = SystemClock{}
