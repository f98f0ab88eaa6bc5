package device_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
)

// limit guards every wait against a hung test; a passing test never gets
// near it.
const limit = 10 * time.Second

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// rig is a Button on a fake pin and clock, running in the background, whose
// events are recorded.
type rig struct {
	t     *testing.T
	clock testClock
	pin   testPin
	// dclock and dpin are clock and pin as devicetest's, for the tests of
	// what only they can do (a pin gone, the timers armed); nil on
	// periph's gpiotest pin.
	dclock *devicetest.Clock
	dpin   *devicetest.Pin
	opts   device.ButtonOpts
	b      *device.Button
	ran    chan error

	mu  sync.Mutex
	evs []device.Event
}

// testClock is a fake clock a test moves; testPin a fake pin whose edges a
// test pushes, and which tells when the button waits again.
type (
	testClock interface {
		device.Clock
		Advance(time.Duration)
	}
	testPin interface {
		gpio.PinIn
		Edge(gpio.Level)
		Bounce(n int, last gpio.Level)
		WaitIdle(limit time.Duration) error
	}
)

// newRig starts a button on a devicetest pin with DefaultButtonOpts
// changed by tune, and stops it on cleanup, checking that Run ended
// cleanly.
func newRig(t *testing.T, tune func(*device.ButtonOpts)) *rig {
	return newRigOn(t, false, tune)
}

// onPins runs test on a devicetest pin, and on periph's gpiotest pin.
func onPins(t *testing.T, test func(t *testing.T, periph bool)) {
	for _, periph := range []bool{false, true} {
		t.Run(map[bool]string{false: "devicetest", true: "gpiotest"}[periph], func(t *testing.T) { test(t, periph) })
	}
}

// newRigOn is newRig on periph's gpiotest pin when periph is set.
func newRigOn(t *testing.T, periph bool, tune func(*device.ButtonOpts)) *rig {
	t.Helper()
	r := &rig{t: t, ran: make(chan error, 1), opts: device.DefaultButtonOpts}
	if periph {
		p := newPeriphPin("GPIO17", t0)
		r.pin, r.clock = p, p.clock
		r.opts.Clock = p.clock.FakeClock // the button's own reads are no waits of the pin
	} else {
		r.dclock = devicetest.NewClock(t0)
		r.dpin = devicetest.NewPin("GPIO17", r.dclock)
		r.pin, r.clock, r.opts.Clock = r.dpin, r.dclock, r.dclock
	}
	if tune != nil {
		tune(&r.opts)
	}
	b, err := device.NewButton("social", r.pin, &r.opts)
	require.NoError(t, err)
	r.b = b
	go func() { r.ran <- b.Run(context.Background(), r.record) }()
	t.Cleanup(func() {
		if p, ok := r.pin.(*periphPin); ok {
			// Close waits for Run, whose wait ends only as its clock moves.
			stop := make(chan struct{})
			defer close(stop)
			go p.wakeUntil(stop)
		}
		require.NoError(t, b.Close())
		select {
		case err := <-r.ran:
			require.NoError(t, err)
		case <-time.After(limit):
			t.Fatal("Run still running after Close")
		}
	})
	r.idle()
	return r
}

func (r *rig) record(e device.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

// events returns and forgets the events so far.
func (r *rig) events() []device.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	evs := r.evs
	r.evs = nil
	return evs
}

// idle waits until the button has handled everything and waits again.
func (r *rig) idle() {
	r.t.Helper()
	require.NoError(r.t, r.pin.WaitIdle(limit))
}

// advance moves the clock and waits until the button has caught up.
func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	r.clock.Advance(d)
	r.idle()
}

// set is a clean contact change that holds for the debounce time.
func (r *rig) set(l gpio.Level) {
	r.t.Helper()
	r.pin.Edge(l)
	r.idle()
	r.advance(r.opts.Debounce)
}

func (r *rig) press()   { r.t.Helper(); r.set(gpio.Low) }
func (r *rig) release() { r.t.Helper(); r.set(gpio.High) }

func press(long bool, at time.Time) device.Event {
	return device.Event{Kind: device.EventPress, Press: device.Press{Button: "social", Long: long, At: at}}
}

func TestButtonPress(t *testing.T) {
	r := newRig(t, nil)
	r.press()
	require.Equal(t, []device.Event{press(false, t0.Add(30*time.Millisecond))}, r.events())
	r.release()
	require.Empty(t, r.events())
	require.Equal(t, device.ButtonStats{Presses: 1}, r.b.Stats())
}

func TestButtonBounceStorm(t *testing.T) {
	onPins(t, func(t *testing.T, periph bool) {
		r := newRigOn(t, periph, nil)
		// 20 edges 1 ms apart: the contact never holds for 30 ms.
		for i := range 20 {
			r.pin.Edge(gpio.Level(i%2 == 1))
			r.idle()
			r.advance(time.Millisecond)
		}
		require.Empty(t, r.events())
		require.Equal(t, gpio.High, r.pin.Read(), "20 edges end where they started")

		// The same storm settling pressed, then released with a storm too.
		r.pin.Bounce(20, gpio.Low)
		r.idle()
		r.advance(29 * time.Millisecond)
		require.Empty(t, r.events(), "not steady for the debounce time yet")
		r.advance(time.Millisecond)
		evs := r.events()
		require.Len(t, evs, 1)
		require.Equal(t, device.EventPress, evs[0].Kind)
		require.False(t, evs[0].Long)

		r.pin.Bounce(20, gpio.High)
		r.idle()
		r.advance(30 * time.Millisecond)
		require.Empty(t, r.events())
		require.Equal(t, device.ButtonStats{Presses: 1}, r.b.Stats())
	})
}

func TestButtonLongPress(t *testing.T) {
	onPins(t, func(t *testing.T, periph bool) {
		r := newRigOn(t, periph, func(o *device.ButtonOpts) {
			o.LongPress = time.Second
			o.MinInterval = 0
		})

		t.Run("short", func(t *testing.T) {
			r.press()
			r.advance(500 * time.Millisecond)
			require.Empty(t, r.events(), "a short press is reported on release")
			r.release()
			evs := r.events()
			require.Len(t, evs, 1)
			require.False(t, evs[0].Long)
		})

		t.Run("long", func(t *testing.T) {
			r.press()
			start := r.clock.Now()
			r.advance(999 * time.Millisecond)
			require.Empty(t, r.events())
			r.advance(time.Millisecond)
			require.Equal(t, []device.Event{press(true, start.Add(time.Second))}, r.events())
			r.advance(10 * time.Second)
			require.Empty(t, r.events(), "reported once")
			r.release()
			require.Empty(t, r.events(), "no short press after a long one")
		})

		require.Equal(t, device.ButtonStats{Presses: 2}, r.b.Stats())
	})
}

func TestButtonMash(t *testing.T) {
	onPins(t, func(t *testing.T, periph bool) {
		r := newRigOn(t, periph, nil)
		for range 10 {
			r.press()
			r.release()
		}
		// 10 × 60 ms: all within MinInterval of the first. The other nine are
		// reported as repeats, not presses.
		evs := r.events()
		require.Len(t, evs, 10)
		require.Equal(t, device.EventPress, evs[0].Kind)
		for _, ev := range evs[1:] {
			require.Equal(t, device.EventRepeat, ev.Kind)
		}
		require.Equal(t, device.ButtonStats{Presses: 1, Suppressed: 9}, r.b.Stats())

		r.advance(r.opts.MinInterval)
		r.press()
		require.Len(t, r.events(), 1, "one press per interval, not none")
		require.Equal(t, device.ButtonStats{Presses: 2, Suppressed: 9}, r.b.Stats())
	})
}

func TestButtonStuck(t *testing.T) {
	onPins(t, func(t *testing.T, periph bool) {
		r := newRigOn(t, periph, nil)
		r.press()
		require.Len(t, r.events(), 1)
		pressed := r.clock.Now()
		r.advance(59 * time.Second)
		require.Empty(t, r.events())
		r.advance(time.Second)
		stuck := device.Event{Kind: device.EventStuck, Press: device.Press{Button: "social", At: pressed.Add(time.Minute)}}
		require.Equal(t, []device.Event{stuck}, r.events())
		for range 10 {
			r.advance(time.Minute)
		}
		require.Empty(t, r.events(), "reported once")
		r.release()
		evs := r.events()
		require.Len(t, evs, 1)
		require.Equal(t, device.EventRecovered, evs[0].Kind)
		require.Equal(t, r.clock.Now(), evs[0].At)
		require.Equal(t, device.ButtonStats{Presses: 1, Stuck: 1}, r.b.Stats())

		// A new hold can be stuck again.
		r.advance(time.Hour)
		r.press()
		r.advance(time.Minute)
		require.Equal(t, []device.EventKind{device.EventPress, device.EventStuck}, kinds(r.events()))
		require.Equal(t, uint64(2), r.b.Stats().Stuck)
	})
}

func TestButtonHeldAtStart(t *testing.T) {
	clock := devicetest.NewClock(t0)
	pin := devicetest.NewPin("GPIO17", clock)
	opts := device.DefaultButtonOpts
	opts.Clock = clock
	pin.Edge(gpio.Low) // taped down before the controller started
	b, err := device.NewButton("social", pin, &opts)
	require.NoError(t, err)

	var mu sync.Mutex
	var got []device.EventKind
	ran := make(chan error, 1)
	go func() {
		ran <- b.Run(context.Background(), func(e device.Event) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, e.Kind)
		})
	}()
	require.NoError(t, pin.WaitIdle(limit))
	clock.Advance(time.Minute)
	require.NoError(t, pin.WaitIdle(limit))
	pin.Edge(gpio.High)
	require.NoError(t, pin.WaitIdle(limit))
	clock.Advance(opts.Debounce)
	require.NoError(t, pin.WaitIdle(limit))
	require.NoError(t, b.Close())
	require.NoError(t, <-ran)
	require.Equal(t, []device.EventKind{device.EventStuck, device.EventRecovered}, got, "never a press")
}

func TestButtonCloseWhileBlocked(t *testing.T) {
	r := newRig(t, nil)
	r.press() // blocked with a stuck timer pending, a minute away on the clock

	closed := make(chan error)
	go func() { closed <- r.b.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(limit):
		t.Fatal("Close did not return")
	}
	select {
	case err := <-r.ran:
		require.NoError(t, err)
		r.ran <- nil // for the cleanup
	case <-time.After(limit):
		t.Fatal("Run did not return")
	}
	require.NoError(t, r.b.Close(), "Close is idempotent")
	require.ErrorIs(t, r.b.Run(context.Background(), nil), device.ErrClosed)
}

func TestButtonHaltAndRunAgain(t *testing.T) {
	r := newRig(t, nil)
	require.ErrorIs(t, r.b.Run(context.Background(), nil), device.ErrRunning)
	require.NoError(t, r.b.Halt())
	require.NoError(t, <-r.ran)
	require.NoError(t, r.b.Halt(), "Halt of a stopped button")

	go func() { r.ran <- r.b.Run(context.Background(), r.record) }()
	r.idle()
	r.press()
	require.Len(t, r.events(), 1)
}

func TestButtonContext(t *testing.T) {
	r := newRig(t, nil)
	require.NoError(t, r.b.Halt())
	require.NoError(t, <-r.ran)

	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.ran <- r.b.Run(ctx, nil) }()
	r.idle()
	cancel()
	select {
	case err := <-r.ran:
		require.ErrorIs(t, err, context.Canceled)
		r.ran <- nil
	case <-time.After(limit):
		t.Fatal("Run did not return on cancel")
	}
}

func TestNewButton(t *testing.T) {
	clock := devicetest.NewClock(t0)
	for _, tc := range []struct {
		name string
		tune func(*device.ButtonOpts)
		err  error
	}{
		{"defaults", func(*device.ButtonOpts) {}, nil},
		{"all off", func(o *device.ButtonOpts) { *o = device.ButtonOpts{} }, nil},
		{"negative debounce", func(o *device.ButtonOpts) { o.Debounce = -time.Millisecond }, device.ErrInvalidOpts},
		{"negative interval", func(o *device.ButtonOpts) { o.MinInterval = -time.Second }, device.ErrInvalidOpts},
		{"stuck before long", func(o *device.ButtonOpts) { o.LongPress, o.Stuck = 2*time.Second, time.Second }, device.ErrInvalidOpts},
		{"long without stuck", func(o *device.ButtonOpts) { o.LongPress, o.Stuck = time.Hour, 0 }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pin := devicetest.NewPin("GPIO4", clock)
			o := device.DefaultButtonOpts
			tc.tune(&o)
			b, err := device.NewButton("kiosk", pin, &o)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, b)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "Button(kiosk, GPIO4)", b.String())
			require.Equal(t, gpio.PullUp, pin.Pull(), "buttons are wired to ground")
			require.Equal(t, gpio.High, pin.Read())
		})
	}

	_, err := device.NewButton("kiosk", nil, nil)
	require.Error(t, err)
	b, err := device.NewButton("kiosk", devicetest.NewPin("GPIO4", clock), nil)
	require.NoError(t, err)
	require.NoError(t, b.Close(), "Close without Run")
}

func TestEventString(t *testing.T) {
	require.Equal(t, "press social", press(false, t0).String())
	require.Equal(t, "long press social", press(true, t0).String())
	require.Equal(t, "stuck social", device.Event{Kind: device.EventStuck, Press: device.Press{Button: "social"}}.String())
	require.Equal(t, "EventKind(9)", device.EventKind(9).String())
}

func kinds(evs []device.Event) []device.EventKind {
	var k []device.EventKind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

// A line that stops giving edges (periph's gpioioctl fails every wait at
// once when the chip is unbound or an overlay reloaded) is reported once,
// and waited on at the pace of a healthy one, not asked again at once,
// which would spin a core; back, it is reported so and its presses count.
func TestButtonLineLost(t *testing.T) {
	r := newRig(t, nil)
	r.dpin.SetGone(true)
	r.clock.Advance(200 * time.Millisecond) // the wait under way ends; those after it fail
	var lost []device.Event
	for len(lost) == 0 {
		require.NoError(t, r.dclock.WaitTimers(1, limit), "a failed wait is waited out, not asked again at once")
		require.Less(t, r.dpin.Waits(), 10)
		r.clock.Advance(200 * time.Millisecond)
		lost = r.events()
	}
	require.Equal(t, []device.Event{{Kind: device.EventLineLost, Press: device.Press{Button: "social", At: lost[0].At}}}, lost)
	for range 5 {
		require.NoError(t, r.dclock.WaitTimers(1, limit))
		r.clock.Advance(200 * time.Millisecond)
	}
	require.Empty(t, r.events(), "reported once")
	require.Less(t, r.dpin.Waits(), 20)

	r.dpin.SetGone(false)
	require.NoError(t, r.dclock.WaitTimers(1, limit))
	// Waits that wait: the line is back once three did in a row (one
	// that only seemed full, its goroutine not run for half of it on a
	// loaded machine, is no line back).
	var back []device.Event
	n := 0
	for ; len(back) == 0 && n < 6; n++ {
		r.advance(200 * time.Millisecond)
		back = r.events()
	}
	require.Equal(t, []device.EventKind{device.EventLineBack}, kinds(back))
	require.GreaterOrEqual(t, n, 3, "back after one full wait")
	r.press()
	require.Equal(t, []device.EventKind{device.EventPress}, kinds(r.events()))
}
