package device

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// debounced is a gpio.PinIn whose Read and WaitForEdge see only levels that
// held steady for the debounce delay.
//
// periph's gpioutil.Debounce (conn v3.7.3) is not used: its debounce argument
// and the edge asked for are ignored, its WaitForEdge sleeps after every raw
// edge on a real clock that cannot be replaced, and it reports an edge as soon
// as the level differs after one sleep, so a bounce longer than the delay
// still reports several edges.
type debounced struct {
	// Immutable.
	gpio.PinIn
	delay time.Duration
	clock Clock

	halted atomic.Bool // Halt for the current or next WaitForEdge

	mu     sync.Mutex
	edge   gpio.Edge  // edges the caller asked for in In
	ready  bool       // In was called: level is meaningful
	level  gpio.Level // last stable level, what Read returns
	change bool       // the raw level differs from level ...
	since  time.Time  // ... since the last raw edge at this time
}

// Debounce returns p seen through a debounce filter: a level counts only
// once the raw pin has been free of edges for delay. Read returns the last
// level that counted, WaitForEdge returns true when a new one counts.
//
// Call In on the returned pin (not on p) before use: it configures p for
// both edges, whatever edge is asked for, because the filter needs to see
// every bounce. A delay of 0 keeps only the edges that change the level.
//
// Halt interrupts WaitForEdge (the pending one, or else the next one, so
// that a Halt racing with the start of a wait is not lost) and halts p.
func Debounce(p gpio.PinIn, delay time.Duration, clock Clock) gpio.PinIn {
	if clock == nil {
		clock = SystemClock{}
	}
	return &debounced{PinIn: p, delay: delay, clock: clock}
}

// String implements conn.Resource.
func (d *debounced) String() string {
	return fmt.Sprintf("%s(debounce %s)", d.PinIn, d.delay)
}

// In implements gpio.PinIn.
func (d *debounced) In(pull gpio.Pull, edge gpio.Edge) error {
	if err := d.PinIn.In(pull, gpio.BothEdges); err != nil {
		return err
	}
	l := d.PinIn.Read()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.edge = edge
	d.ready = true
	d.level = l
	d.change = false
	return nil
}

// Halt implements conn.Resource. It interrupts the pending WaitForEdge, or
// the next one if none is pending, and halts the pin.
func (d *debounced) Halt() error {
	d.halted.Store(true)
	return d.PinIn.Halt()
}

// Read implements gpio.PinIn. It returns the debounced level.
func (d *debounced) Read() gpio.Level {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.ready {
		return d.PinIn.Read()
	}
	return d.level
}

// WaitForEdge implements gpio.PinIn.
//
// A negative timeout waits without limit; 0 only reports a level that has
// become stable by now, without asking the pin (gpioioctl waits forever on
// 0). It returns false early when interrupted by Halt, or when the pin's own
// WaitForEdge returns false early.
func (d *debounced) WaitForEdge(timeout time.Duration) bool {
	start := d.clock.Now()
	now := start
	for {
		if d.halted.Swap(false) {
			return false
		}
		wait, commit := d.settle(now)
		if commit {
			return true
		}
		if timeout >= 0 {
			left := timeout - now.Sub(start)
			if left <= 0 {
				return false
			}
			if wait < 0 || left < wait {
				wait = left
			}
		}
		got := d.PinIn.WaitForEdge(wait)
		then := now
		now = d.clock.Now()
		if got {
			d.sawEdge(d.PinIn.Read(), now)
			continue
		}
		// No edge: either the wait is over, and the loop settles the level
		// or gives up, or the pin was interrupted.
		if wait < 0 || now.Before(then.Add(wait)) {
			d.halted.Store(false)
			_, commit := d.settle(now)
			return commit
		}
	}
}

// settle commits a pending level that has been steady long enough. It
// returns whether the commit is an edge the caller asked for, and otherwise
// how long the pending level still has to hold (-1 when nothing is pending).
func (d *debounced) settle(now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.change {
		return -1, false
	}
	if left := d.since.Add(d.delay).Sub(now); left > 0 {
		return left, false
	}
	d.change = false
	d.level = !d.level
	switch d.edge {
	case gpio.BothEdges:
		return -1, true
	case gpio.RisingEdge:
		return -1, d.level == gpio.High
	case gpio.FallingEdge:
		return -1, d.level == gpio.Low
	}
	return -1, false
}

// sawEdge restarts the steady time: any edge, even one back to the level
// already pending, means the contact is still bouncing.
func (d *debounced) sawEdge(raw gpio.Level, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.ready {
		d.ready = true
		d.level = raw
	}
	d.change = raw != d.level
	d.since = now
}

var _ gpio.PinIn = (*debounced)(nil)
