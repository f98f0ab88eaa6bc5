// Package devicetest holds fakes for testing code that uses package device:
// a manual Clock and a Pin whose edges a test pushes.
//
// The button's behaviours (bounce storm, long press, mash, stuck) are
// tested on periph's gpiotest.Pin too, its waits on a clockwork fake clock
// (device's periphpin_test.go). This Pin does what gpiotest's cannot: it
// says when the code under test is blocked waiting (what makes a test
// deterministic) without counting its clock's timers, its Halt interrupts
// a pending WaitForEdge, and it fakes a line that is gone (SetGone).
//
// This package must not import package device, whose own tests use it; its
// Clock satisfies device.Clock by its method set.
package devicetest

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Clock is a manual clock: its time moves only by Advance. It satisfies
// device.Clock.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*timer
	changed chan struct{} // closed and replaced when a timer is armed
}

type timer struct {
	at time.Time
	c  chan time.Time // buffered 1: Advance never blocks
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the time once Advance has moved the
// clock by d; at once if d <= 0.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	return c.newTimer(d).c
}

// Timers returns how many After channels are waiting for Advance: a test
// waits for the code under test to arm its timer before advancing.
func (c *Clock) Timers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// WaitTimers waits until at least n After channels are waiting for Advance.
// It gives up after limit, a real-time guard against a hung test.
//
// Timers that nobody reads any more count until they fire, so wait for one
// more than before the call that arms a timer.
func (c *Clock) WaitTimers(n int, limit time.Duration) error {
	guard := time.NewTimer(limit)
	defer guard.Stop()
	for {
		c.mu.Lock()
		got, changed := len(c.timers), c.changed
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-guard.C:
			return fmt.Errorf("devicetest: %d timers after %s, want %d", got, limit, n)
		}
	}
}

// Advance moves the clock by d and fires, in order, the timers due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			keep = append(keep, t)
			continue
		}
		t.c <- c.now
	}
	clear(c.timers[len(keep):])
	c.timers = keep
}

func (c *Clock) newTimer(d time.Duration) *timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		t.c <- c.now
		return t
	}
	i := sort.Search(len(c.timers), func(i int) bool { return c.timers[i].at.After(t.at) })
	c.timers = append(c.timers, nil)
	copy(c.timers[i+1:], c.timers[i:])
	c.timers[i] = t
	close(c.changed)
	c.changed = make(chan struct{})
	return t
}

// stopTimer forgets t, so that Timers counts only live waiters.
func (c *Clock) stopTimer(t *timer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return
		}
	}
}
