package devicetest

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/physic"
)

// Pin is a fake gpio.PinIO driven by a test: Edge sets the level the way a
// contact does and queues an edge for WaitForEdge, whose timeouts run on the
// Clock. WaitIdle tells when the code under test has taken every edge and is
// blocked waiting for the next one or for the clock.
//
// As an output it records every level written (Outs).
type Pin struct {
	name  string
	clock *Clock

	mu       sync.Mutex
	level    gpio.Level
	pull     gpio.Pull
	edge     gpio.Edge
	driven   bool          // Edge set the level: the pull no longer does
	pending  int           // edges queued for WaitForEdge
	halted   bool          // Halt for the pending WaitForEdge
	gone     bool          // SetGone: WaitForEdge returns false at once
	waits    int           // WaitForEdge calls
	waiting  bool          // a WaitForEdge is blocked ...
	deadline time.Time     // ... until then (zero: no timeout)
	wake     chan struct{} // buffered 1: an edge or a Halt for the waiter
	changed  chan struct{} // closed and replaced on every change
	outs     []gpio.Level
}

// NewPin returns a Pin named name, Low, whose timeouts run on clock.
func NewPin(name string, clock *Clock) *Pin {
	return &Pin{name: name, clock: clock, wake: make(chan struct{}, 1), changed: make(chan struct{})}
}

// String implements conn.Resource.
func (p *Pin) String() string { return p.name }

// Name implements pin.Pin.
func (p *Pin) Name() string { return p.name }

// Number implements pin.Pin.
func (p *Pin) Number() int { return -1 }

// Function implements pin.Pin.
func (p *Pin) Function() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.edge != gpio.NoEdge || p.pull != gpio.PullNoChange {
		return "In/" + p.level.String()
	}
	return "Out/" + p.level.String()
}

// SetGone makes WaitForEdge return false at once, as periph's gpioioctl
// does when reading its line fails (the chip unbound, an overlay
// reloaded, a USB GPIO expander unplugged), until SetGone(false).
func (p *Pin) SetGone(gone bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gone = gone
	p.notify()
}

// Waits returns how many times WaitForEdge was called.
func (p *Pin) Waits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waits
}

// Halt implements conn.Resource: like periph's gpioioctl, it interrupts the
// pending WaitForEdge, if any; a later one waits as usual.
func (p *Pin) Halt() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiting {
		p.halted = true
		p.poke()
		p.notify()
	}
	return nil
}

// In implements gpio.PinIn. Like a real input, PullUp reads High and
// PullDown Low, unless Edge has driven the pin (a button held closed before
// the program starts); queued edges are dropped.
func (p *Pin) In(pull gpio.Pull, edge gpio.Edge) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pull, p.edge = pull, edge
	switch {
	case p.driven:
	case pull == gpio.PullUp:
		p.level = gpio.High
	case pull == gpio.PullDown:
		p.level = gpio.Low
	}
	p.pending = 0
	p.notify()
	return nil
}

// Read implements gpio.PinIn.
func (p *Pin) Read() gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.level
}

// WaitForEdge implements gpio.PinIn. A negative timeout waits without limit,
// 0 does not wait.
func (p *Pin) WaitForEdge(timeout time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits++
	if p.gone {
		return false
	}
	if p.take() {
		return true
	}
	if timeout == 0 {
		return false
	}
	var t *timer
	var expired <-chan time.Time
	if timeout > 0 {
		t = p.clock.newTimer(timeout)
		expired = t.c
		p.deadline = t.at
		defer p.clock.stopTimer(t)
	}
	p.waiting = true
	p.notify()
	p.mu.Unlock()
	select {
	case <-p.wake:
	case <-expired:
	}
	p.mu.Lock()
	p.waiting, p.deadline = false, time.Time{}
	p.notify()
	return p.take()
}

// take consumes a queued edge (true) or a Halt (false). p.mu is held.
func (p *Pin) take() bool {
	select {
	case <-p.wake:
	default:
	}
	if p.halted {
		p.halted = false
		return false
	}
	if p.pending > 0 {
		p.pending--
		return true
	}
	return false
}

// Pull implements gpio.PinIn.
func (p *Pin) Pull() gpio.Pull {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pull
}

// DefaultPull implements gpio.PinIn.
func (p *Pin) DefaultPull() gpio.Pull { return gpio.PullNoChange }

// Out implements gpio.PinOut.
func (p *Pin) Out(l gpio.Level) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level = l
	p.outs = append(p.outs, l)
	p.notify()
	return nil
}

// PWM implements gpio.PinOut; the fake does not do PWM.
func (p *Pin) PWM(gpio.Duty, physic.Frequency) error {
	return errors.New("devicetest: PWM not supported")
}

// Edge sets the level and queues one edge for WaitForEdge, as a contact
// closing, opening or bouncing does.
func (p *Pin) Edge(l gpio.Level) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.level = l
	p.driven = true
	p.pending++
	p.poke()
	p.notify()
}

// Bounce queues n edges of alternating level within no time at all, the last
// one at level last.
func (p *Pin) Bounce(n int, last gpio.Level) {
	for i := range n {
		p.Edge(last == gpio.Level((n-1-i)%2 == 0))
	}
}

// Outs returns the levels written by Out, in order.
func (p *Pin) Outs() []gpio.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]gpio.Level(nil), p.outs...)
}

// WaitIdle waits until every edge is taken and a WaitForEdge is blocked with
// a timeout the clock has not reached yet (or none). It gives up after
// limit, a real-time guard against a hung test.
func (p *Pin) WaitIdle(limit time.Duration) error {
	return p.waitFor(limit, "idle", func() bool {
		return p.waiting && p.pending == 0 && !p.halted &&
			(p.deadline.IsZero() || p.deadline.After(p.clock.Now()))
	})
}

// WaitLevel waits until the pin reads l, as written by Out or Edge. It gives
// up after limit, a real-time guard against a hung test.
func (p *Pin) WaitLevel(l gpio.Level, limit time.Duration) error {
	return p.waitFor(limit, "level "+l.String(), func() bool { return p.level == l })
}

func (p *Pin) waitFor(limit time.Duration, what string, cond func() bool) error {
	guard := time.NewTimer(limit)
	defer guard.Stop()
	for {
		p.mu.Lock()
		ok, changed := cond(), p.changed
		p.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-guard.C:
			return fmt.Errorf("devicetest: %s: not %s after %s", p.name, what, limit)
		}
	}
}

// poke wakes the blocked WaitForEdge, if any. p.mu is held.
func (p *Pin) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// notify wakes WaitIdle and WaitLevel. p.mu is held.
func (p *Pin) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

var _ gpio.PinIO = (*Pin)(nil)
