package device

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// Lamp is an on/off output: a lamp, an LED or a buzzer, on when its pin is
// High (drive it through a transistor or a relay module with a High input).
//
// Blink and Beep run in the background, in a goroutine that the next call to
// any method stops and waits for.
type Lamp struct {
	// Clock times Blink and Beep; nil means SystemClock. Set it before the
	// first Blink or Beep.
	Clock Clock

	name string
	pin  gpio.PinOut

	mu   sync.Mutex    // serialises the methods
	stop chan struct{} // of the running Blink or Beep, nil when none
	done chan struct{}
	err  error // of the Blink or Beep that stopped: the next call returns it
	// steady is the state Set or Flash last left the lamp in.
	steady bool
}

// NewLamp returns the lamp name on pin. It does not touch the pin.
func NewLamp(name string, pin gpio.PinOut) *Lamp {
	return &Lamp{name: name, pin: pin}
}

// String implements conn.Resource.
func (l *Lamp) String() string {
	return fmt.Sprintf("Lamp(%s, %s)", l.name, l.pin.Name())
}

// Set turns the lamp steadily on or off, ending a Blink or Beep.
func (l *Lamp) Set(on bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.stopLocked()
	l.steady = on
	return errors.Join(err, l.out(on))
}

// Blink turns the lamp on for half of period and off for the other half,
// until the next call.
func (l *Lamp) Blink(period time.Duration) error {
	if period <= 0 {
		return fmt.Errorf("device: %s: %w: blink period %s", l, ErrInvalidOpts, period)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := errors.Join(l.stopLocked(), l.out(true)); err != nil {
		return err
	}
	clock := l.clock()
	l.start(func(stop <-chan struct{}) error {
		on := true
		for {
			select {
			case <-stop:
				return nil
			case <-clock.After(period / 2):
			}
			on = !on
			if err := l.out(on); err != nil {
				return err
			}
		}
	})
	return nil
}

// Beep turns a buzzer on for d and returns at once; the buzzer goes quiet
// after d, or at the next call.
func (l *Lamp) Beep(d time.Duration) error { return l.Beeps(1, d) }

// Beeps sounds n beeps of d each, d apart, and returns at once: a kiosk
// says a refused press with three, unlike the one of a press that gives a
// ticket. The next call ends them.
func (l *Lamp) Beeps(n int, d time.Duration) error { return l.Flash(n, d, false) }

// Flash blinks the lamp n times, d each way, and leaves it at then (a lit
// lamp goes dark n times: a counter's busy lamp says a refused press), and
// returns at once. The next call ends it.
func (l *Lamp) Flash(n int, d time.Duration, then bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flashLocked(n, d, then)
}

// Wink is Flash back to the state Set last left the lamp in: a counter's
// busy lamp says a refused press and goes on saying what its board says.
func (l *Lamp) Wink(n int, d time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flashLocked(n, d, l.steady)
}

func (l *Lamp) flashLocked(n int, d time.Duration, then bool) error {
	l.steady = then
	if n <= 0 || d <= 0 {
		return errors.Join(l.stopLocked(), l.out(then))
	}
	if err := errors.Join(l.stopLocked(), l.out(!then)); err != nil {
		return err
	}
	clock := l.clock()
	l.start(func(stop <-chan struct{}) error {
		for i := range 2*n - 1 { // then after the first, not then after the second…
			select {
			case <-stop:
				return nil
			case <-clock.After(d):
			}
			if err := l.out(then == (i%2 == 0)); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

// Halt turns the lamp off, ending a Blink or Beep. The lamp can be used
// again.
func (l *Lamp) Halt() error {
	return l.Set(false)
}

func (l *Lamp) clock() Clock {
	if l.Clock == nil {
		return SystemClock{}
	}
	return l.Clock
}

func (l *Lamp) out(on bool) error {
	if err := l.pin.Out(gpio.Level(on)); err != nil {
		return fmt.Errorf("device: %s: %w", l, err)
	}
	return nil
}

// start runs f in the background until stopLocked. l.mu is held.
func (l *Lamp) start(f func(stop <-chan struct{}) error) {
	stop, done := make(chan struct{}), make(chan struct{})
	l.stop, l.done = stop, done
	go func() {
		defer close(done)
		if err := f(stop); err != nil {
			// Only the worker writes err while it runs; stopLocked reads it
			// after done.
			l.err = err
		}
	}()
}

// stopLocked stops the background Blink or Beep and returns its error. l.mu
// is held.
func (l *Lamp) stopLocked() error {
	if l.stop != nil {
		close(l.stop)
		<-l.done
		l.stop, l.done = nil, nil
	}
	err := l.err
	l.err = nil
	return err
}
