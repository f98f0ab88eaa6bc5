package device_test

import (
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// periphPin is periph's gpiotest.Pin, the fake the tests name,
// with its waits on a clockwork fake clock, so that a test can tell when
// the button under test waits again (what makes it deterministic): a
// gpiotest pin cannot say so itself, and its Halt does not interrupt a
// wait (Button bounds each wait by 200 ms instead).
type periphPin struct {
	*gpiotest.Pin
	clock *pinClock
	mark  int // the pin's waits when the test last acted on it
}

// pinClock is the fake clock of a periphPin's waits: each After is one
// WaitForEdge of the pin, which pinClock counts with its deadline.
type pinClock struct {
	*clockwork.FakeClock
	pin *periphPin

	mu       sync.Mutex
	waits    int
	deadline time.Time     // of the latest wait
	waited   chan struct{} // a wait began (cap 1)
}

func newPeriphPin(name string, start time.Time) *periphPin {
	c := &pinClock{FakeClock: clockwork.NewFakeClockAt(start), waited: make(chan struct{}, 1)}
	p := &periphPin{Pin: &gpiotest.Pin{N: name, L: gpio.High, Clock: c, EdgesChan: make(chan gpio.Level, 64)}, clock: c}
	c.pin = p
	return p
}

// After implements clockwork.Clock for gpiotest.Pin's WaitForEdge.
func (c *pinClock) After(d time.Duration) <-chan time.Time {
	now := c.FakeClock.Now()
	ch := c.FakeClock.After(d)
	c.mu.Lock()
	c.waits++
	c.deadline = now.Add(d)
	c.mu.Unlock()
	select {
	case c.waited <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves the clock by d, waiting at each deadline of the pin's
// wait that it passes until the button waits again.
func (c *pinClock) Advance(d time.Duration) {
	target := c.Now().Add(d)
	for {
		c.mu.Lock()
		dl, waits := c.deadline, c.waits
		c.mu.Unlock()
		if dl.After(target) {
			c.FakeClock.Advance(target.Sub(c.Now()))
			return
		}
		c.pin.mark = waits
		c.FakeClock.Advance(dl.Sub(c.Now()))
		if err := c.pin.WaitIdle(limit); err != nil {
			panic(err) // a hung button: the test cannot go on
		}
	}
}

// Edge is a contact change, taken by the button's pending wait.
func (p *periphPin) Edge(l gpio.Level) {
	p.clock.mu.Lock()
	p.mark = p.clock.waits
	p.clock.mu.Unlock()
	p.EdgesChan <- l
}

// Bounce is n edges of alternating level at one instant, the last one at
// level last; each is taken before the next comes.
func (p *periphPin) Bounce(n int, last gpio.Level) {
	for i := range n {
		p.Edge(last == gpio.Level((n-1-i)%2 == 0))
		if err := p.WaitIdle(limit); err != nil {
			panic(err)
		}
	}
}

// WaitIdle waits until the button has taken every edge and waits again,
// up to limit of real time.
func (p *periphPin) WaitIdle(limit time.Duration) error {
	guard := time.After(limit)
	for {
		p.clock.mu.Lock()
		idle := p.clock.waits > p.mark && len(p.EdgesChan) == 0 && p.clock.deadline.After(p.clock.Now())
		p.clock.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-p.clock.waited:
		case <-time.After(time.Millisecond): // an edge taken: the channel empties
		case <-guard:
			return fmt.Errorf("periphPin %s: the button did not wait again within %s", p.N, limit)
		}
	}
}

// wakeUntil ends the pin's waits until stop is closed: its Halt does not.
func (p *periphPin) wakeUntil(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(time.Millisecond):
			p.clock.FakeClock.Advance(time.Second)
		}
	}
}
