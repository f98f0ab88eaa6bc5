package device

import (
	"context"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/gpio"
)

// ButtonOpts tunes how a Button turns levels into presses.
//
// A nil *ButtonOpts means DefaultButtonOpts. A non-nil one is taken as it is,
// so a zero duration disables its feature: start from a copy of
// DefaultButtonOpts and change what the office needs.
type ButtonOpts struct {
	// Debounce is how long a level must hold, with no edge at all, before it
	// counts. Mechanical buttons bounce for 1 to 20 ms.
	Debounce time.Duration `yaml:"debounce"`
	// LongPress, when not 0, makes a hold of that length one Press with Long
	// set, reported when the hold reaches it; releasing afterwards reports
	// nothing. Shorter holds are then reported on release, not on press.
	LongPress time.Duration `yaml:"long_press"`
	// MinInterval is the mash protection: at most one press is reported per
	// interval, counted from the last reported press. The others are only
	// counted in ButtonStats.Suppressed.
	MinInterval time.Duration `yaml:"min_interval"`
	// Stuck is how long a hold lasts before the button is reported stuck,
	// once; its release is reported as recovered, not as a press. It must be
	// longer than LongPress, so the hold has already been reported as a press
	// (on press, or as a long press) unless it began before Run.
	Stuck time.Duration `yaml:"stuck"`

	// Clock times everything above; nil means SystemClock.
	Clock Clock `yaml:"-"`
}

// DefaultButtonOpts suits a kiosk or counter push button: 30 ms debounce, no
// long press, one press per 2 s, stuck after a minute.
var DefaultButtonOpts = ButtonOpts{
	Debounce:    30 * time.Millisecond,
	LongPress:   0,
	MinInterval: 2 * time.Second,
	Stuck:       time.Minute,
}

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventPress is a press the caller should act on (a ticket, a call).
	EventPress EventKind = iota + 1
	// EventStuck is a button held for ButtonOpts.Stuck: jammed, taped down,
	// or a shorted wire. Reported once per hold.
	EventStuck
	// EventRecovered is the release of a button reported stuck.
	EventRecovered
	// EventRepeat is a press within ButtonOpts.MinInterval of the last
	// one: counted in ButtonStats.Suppressed and not to be acted on, but a
	// kiosk can say why nothing more came.
	EventRepeat
	// EventLineLost: the pin's line gives no edges any more (waiting for
	// one fails at once: periph's gpioioctl when reading the line fails,
	// as when the chip is unbound, an overlay reloaded or a USB GPIO
	// expander unplugged). The button is dead until EventLineBack.
	EventLineLost
	// EventLineBack: a line reported lost waits for edges again.
	EventLineBack
)

// String implements fmt.Stringer.
func (k EventKind) String() string {
	switch k {
	case EventPress:
		return "press"
	case EventStuck:
		return "stuck"
	case EventRecovered:
		return "recovered"
	case EventRepeat:
		return "repeat"
	case EventLineLost:
		return "line lost"
	case EventLineBack:
		return "line back"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Press is a button press.
type Press struct {
	// Button is the name given to NewButton.
	Button string
	// Long is set for a hold of ButtonOpts.LongPress.
	Long bool
	// At is when the press was recognised: after debounce on press, or at
	// release, or when the hold reached LongPress.
	At time.Time
}

// Event is what Button.Run reports. Button and At are set for every kind;
// Long only for EventPress.
type Event struct {
	Kind EventKind
	Press
}

// String implements fmt.Stringer.
func (e Event) String() string {
	if e.Kind == EventPress && e.Long {
		return "long press " + e.Button
	}
	return e.Kind.String() + " " + e.Button
}

// ButtonStats counts what a Button saw since NewButton.
type ButtonStats struct {
	// Presses is the number of EventPress reported.
	Presses uint64
	// Suppressed is the number of presses swallowed by MinInterval.
	Suppressed uint64
	// Stuck is the number of EventStuck reported.
	Stuck uint64
}

// maxWait bounds every WaitForEdge of Run, as a guard: not every pin's Halt
// interrupts a pending WaitForEdge (periph's gpiotest does not), and it keeps
// clear of the pins' special timeouts (gpioioctl waits forever on 0, periph's
// convention is -1).
const maxWait = 200 * time.Millisecond

// Button is a push button on a pull-up input, active low.
//
// Run watches it; Halt stops Run, Close stops it for good.
type Button struct {
	// Immutable.
	name  string
	raw   gpio.PinIn
	pin   gpio.PinIn // raw, debounced
	clock Clock

	mu      sync.Mutex
	closed  bool
	running *run
	t       tracker // owned by Run; mu guards it for Stats
}

// run is one call of Run: its stop channel and the channel Run closes when it
// is gone.
type run struct {
	once sync.Once
	stop chan struct{}
	done chan struct{}
}

func (r *run) halt() { r.once.Do(func() { close(r.stop) }) }

// NewButton returns the button name on pin, configured as a pull-up input
// with edge detection on both edges.
func NewButton(name string, pin gpio.PinIn, opts *ButtonOpts) (*Button, error) {
	if pin == nil {
		return nil, fmt.Errorf("device: button %q: no pin", name)
	}
	o := DefaultButtonOpts
	if opts != nil {
		o = *opts
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("device: button %q: %w", name, err)
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	d := Debounce(pin, o.Debounce, o.Clock)
	if err := d.In(gpio.PullUp, gpio.BothEdges); err != nil {
		return nil, fmt.Errorf("device: button %q on %s: %w", name, pin.Name(), err)
	}
	return &Button{
		name:  name,
		raw:   pin,
		pin:   d,
		clock: o.Clock,
		t:     tracker{name: name, opts: o},
	}, nil
}

func (o *ButtonOpts) validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"debounce", o.Debounce}, {"long_press", o.LongPress}, {"min_interval", o.MinInterval}, {"stuck", o.Stuck}} {
		if f.d < 0 {
			return fmt.Errorf("%w: %s is negative (%s)", ErrInvalidOpts, f.name, f.d)
		}
	}
	if o.Stuck > 0 && o.LongPress > 0 && o.Stuck <= o.LongPress {
		return fmt.Errorf("%w: stuck (%s) must be longer than long_press (%s)", ErrInvalidOpts, o.Stuck, o.LongPress)
	}
	return nil
}

// String implements conn.Resource.
func (b *Button) String() string {
	return fmt.Sprintf("Button(%s, %s)", b.name, b.raw.Name())
}

// Stats returns the counters so far. It is safe to call at any time.
func (b *Button) Stats() ButtonStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.t.stats
}

// Run watches the button and calls out, from the calling goroutine, for each
// Event until ctx is done (it returns ctx.Err()) or Halt or Close is called
// (it returns nil). out must return quickly: edges wait meanwhile. A nil out
// only counts.
//
// A button already held when Run starts is never a press, but it can be
// reported stuck. Only one Run at a time: a second returns ErrRunning.
func (b *Button) Run(ctx context.Context, out func(Event)) error {
	r, err := b.begin()
	if err != nil {
		return err
	}
	defer b.end(r)
	// Halt the pin too: it interrupts a pending WaitForEdge.
	defer context.AfterFunc(ctx, func() { r.halt(); _ = b.pin.Halt() })()

	b.mu.Lock()
	b.t.start(b.pin.Read() == gpio.Low, b.clock.Now())
	b.mu.Unlock()
	var evs []Event
	failed := 0 // waits in a row that came back at once without an edge
	backs := 0  // once lost, waits in a row that waited as a line does
	for {
		select {
		case <-r.stop:
			return ctx.Err()
		default:
		}
		b.mu.Lock()
		wait, ok := b.t.next(b.clock.Now())
		b.mu.Unlock()
		if !ok || wait > maxWait {
			wait = maxWait
		} else if wait <= 0 {
			wait = time.Millisecond
		}
		began := b.clock.Now()
		got := b.pin.WaitForEdge(wait)
		select {
		case <-r.stop:
			return ctx.Err()
		default:
		}
		if took := b.clock.Now().Sub(began); !got && wait >= lineCheck && took < wait/2 {
			// Back at once without an edge, and not stopped: the line
			// gives none. The rest of the wait is waited out here: asked
			// again at once, it would spin a core.
			backs = 0
			if failed++; failed == lineLostAfter && out != nil {
				out(Event{Kind: EventLineLost, Press: Press{Button: b.name, At: b.clock.Now()}})
			}
			select {
			case <-b.clock.After(wait - took):
			case <-r.stop:
				return ctx.Err()
			}
			continue
		}
		switch {
		case failed < lineLostAfter:
			failed = 0
		case got || backs+1 >= lineLostAfter:
			// Back: an edge, or as many full waits in a row as it took to
			// be lost. One wait that only seemed full (the goroutine not
			// run for half of it, on a loaded machine) is no line back.
			if out != nil {
				out(Event{Kind: EventLineBack, Press: Press{Button: b.name, At: b.clock.Now()}})
			}
			failed, backs = 0, 0
		default:
			backs++
		}
		// Look at the level after any return: Read is the debounced level,
		// which only changes inside WaitForEdge, one change per return.
		pressed := b.pin.Read() == gpio.Low
		b.mu.Lock()
		evs = b.t.level(pressed, b.clock.Now(), evs[:0])
		b.mu.Unlock()
		if out != nil {
			for _, e := range evs {
				out(e)
			}
		}
	}
}

// A wait of at least lineCheck that comes back in less than half its time
// without an edge failed; lineLostAfter such in a row are EventLineLost.
const (
	lineCheck     = 10 * time.Millisecond
	lineLostAfter = 3
)

func (b *Button) begin() (*run, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("device: %s: %w", b, ErrClosed)
	}
	if b.running != nil {
		return nil, fmt.Errorf("device: %s: %w", b, ErrRunning)
	}
	b.running = &run{stop: make(chan struct{}), done: make(chan struct{})}
	return b.running, nil
}

func (b *Button) end(r *run) {
	b.mu.Lock()
	b.running = nil
	b.mu.Unlock()
	close(r.done)
}

// Halt stops Run and returns once it has returned. Run may be called again.
// The pin stays a pull-up input: a button has nothing to switch off.
func (b *Button) Halt() error {
	b.mu.Lock()
	r := b.running
	b.mu.Unlock()
	if r == nil {
		return nil
	}
	r.halt()
	err := b.pin.Halt()
	<-r.done
	if err != nil {
		return fmt.Errorf("device: %s: %w", b, err)
	}
	return nil
}

// Close stops Run for good, like Halt. It is idempotent.
func (b *Button) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.Halt()
}

// tracker turns debounced levels into events. It is pure: time comes in as
// now, events go out as a slice.
type tracker struct {
	name  string
	opts  ButtonOpts
	stats ButtonStats

	pressed bool
	since   time.Time // start of the current hold
	ignore  bool      // the hold started before Run: never a press
	long    bool      // the long press of this hold is reported (or suppressed)
	stuck   bool      // this hold is reported stuck

	pressedOnce bool
	last        time.Time // last reported press
}

func (t *tracker) start(pressed bool, now time.Time) {
	t.pressed, t.since, t.ignore, t.long, t.stuck = pressed, now, pressed, false, false
}

// level feeds the debounced level at now, and fires the timers due by now.
func (t *tracker) level(pressed bool, now time.Time, evs []Event) []Event {
	evs = t.tick(now, evs)
	if pressed == t.pressed {
		return evs
	}
	if pressed {
		t.pressed, t.since, t.ignore, t.long, t.stuck = true, now, false, false, false
		if t.opts.LongPress == 0 {
			evs = t.press(false, now, evs)
		}
		return evs
	}
	t.pressed = false
	switch {
	case t.stuck:
		evs = append(evs, Event{Kind: EventRecovered, Press: Press{Button: t.name, At: now}})
	case t.ignore || t.long || t.opts.LongPress == 0:
	default:
		evs = t.press(false, now, evs)
	}
	return evs
}

// tick fires the long press and stuck timers due by now.
func (t *tracker) tick(now time.Time, evs []Event) []Event {
	if !t.pressed {
		return evs
	}
	held := now.Sub(t.since)
	if lp := t.opts.LongPress; lp > 0 && !t.long && !t.ignore && !t.stuck && held >= lp {
		t.long = true
		evs = t.press(true, now, evs)
	}
	if s := t.opts.Stuck; s > 0 && !t.stuck && held >= s {
		t.stuck = true
		t.stats.Stuck++
		evs = append(evs, Event{Kind: EventStuck, Press: Press{Button: t.name, At: now}})
	}
	return evs
}

// next returns how long until the next timer is due, if any.
func (t *tracker) next(now time.Time) (time.Duration, bool) {
	if !t.pressed {
		return 0, false
	}
	var d time.Duration
	ok := false
	at := func(after time.Duration) {
		if left := after - now.Sub(t.since); !ok || left < d {
			d, ok = left, true
		}
	}
	if lp := t.opts.LongPress; lp > 0 && !t.long && !t.ignore && !t.stuck {
		at(lp)
	}
	if s := t.opts.Stuck; s > 0 && !t.stuck {
		at(s)
	}
	return d, ok
}

// press reports a press unless one was reported less than MinInterval ago.
func (t *tracker) press(long bool, now time.Time, evs []Event) []Event {
	if mi := t.opts.MinInterval; mi > 0 && t.pressedOnce && now.Sub(t.last) < mi {
		t.stats.Suppressed++
		return append(evs, Event{Kind: EventRepeat, Press: Press{Button: t.name, Long: long, At: now}})
	}
	t.pressedOnce, t.last = true, now
	t.stats.Presses++
	return append(evs, Event{Kind: EventPress, Press: Press{Button: t.name, Long: long, At: now}})
}
