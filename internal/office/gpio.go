package office

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/queue"
)

// The office's GPIO: the kiosks' and counters' buttons, their lamps and
// buzzers.

// flashRefusal says a refused press at a counter whose buttons are GPIO
// ones (no screen to show the refusal): its busy lamp goes dark, or
// lights, three times, and stays as its board has it (lit while calling
// or serving; dark during a pause, though the counter keeps its ticket).
func (o *Office) flashRefusal(counter string) {
	l := o.counterLamps[counter]
	if l == nil {
		return
	}
	if err := l.Wink(3, 150*time.Millisecond); err != nil {
		o.log.Error("office: counter lamp", "counter", counter, "err", err)
	}
}

// openButtons opens the GPIO buttons of the configuration, watched once
// the office runs (watchers). A host with no GPIO chip (a laptop) runs
// without them: MQTT inputs still work. A chip that is there but out of
// reach sets gpioErr instead: the installation is wrong, and running with
// dead buttons would hide it.
func (o *Office) openButtons() {
	// source names the button's inputs on {root}/errors; onRepeat, if
	// set, hears the presses within a button's mash interval; onLine, if
	// set, whether the button's line can be read (false: it is dead).
	// bo are the button's options: debounce, long press, mash interval.
	watch := func(pinName, what, source string, bo device.ButtonOpts, onPress, onRepeat func(device.Press), onLine func(ok bool)) {
		pinName = strings.TrimSpace(pinName)
		dead := func(err error) {
			o.log.Error("office: button not available: its presses are lost until it is fixed (is the line taken by another program or a device-tree overlay? gpioinfo lists the lines and who holds them)", "button", what, "pin", pinName, "err", err)
			err = fmt.Errorf("office: button %s on %s is not available, and its presses are lost: %w", what, pinName, err)
			o.buttons = append(o.buttons, &gpioButton{source: source, pin: pinName, dead: err})
			if onLine != nil {
				onLine(false)
			}
		}
		pin, err := o.pin(pinName)
		if err != nil {
			if errors.Is(err, device.ErrNoGPIO) {
				o.noGPIO = append(o.noGPIO, pinName)
				return
			}
			if o.unreachable(err, what, pinName) {
				return
			}
			dead(err)
			return
		}
		bo.Clock = o.buttonClock
		b, err := device.NewButton(what, pin, &bo)
		if err != nil {
			dead(err)
			return
		}
		gb := &gpioButton{source: source, pin: pinName, b: b}
		o.buttons = append(o.buttons, gb)
		o.watchers = append(o.watchers, func(ctx context.Context) {
			defer o.wg.Done()
			err := b.Run(ctx, func(ev device.Event) {
				switch ev.Kind {
				case device.EventPress:
					onPress(ev.Press)
				case device.EventRepeat:
					if onRepeat != nil {
						onRepeat(ev.Press)
					}
				case device.EventStuck:
					o.reportError(source, fmt.Errorf("office: button %s on %s is stuck (held down); its presses are ignored until it is released", what, pinName))
				case device.EventRecovered:
					o.log.Info("office: button released", "button", what, "pin", pinName)
				case device.EventLineLost:
					// The lamp goes dark first: whoever hears of the
					// loss finds it dark.
					if onLine != nil {
						onLine(false)
					}
					err := fmt.Errorf("office: button %s on %s: its GPIO line gives no edges any more (the chip unbound, an overlay reloaded, a GPIO expander unplugged?): its presses are lost until it comes back", what, pinName)
					gb.lost.Store(&err)
					o.log.Error(err.Error(), "button", what, "pin", pinName)
					o.reportError(source, err)
				case device.EventLineBack:
					gb.lost.Store(nil)
					o.log.Info("office: button's GPIO line is back", "button", what, "pin", pinName)
					if onLine != nil {
						onLine(true)
					}
				}
			})
			if err != nil && ctx.Err() == nil {
				o.log.Error("office: button stopped", "button", what, "pin", pinName, "err", err)
			}
		})
	}
	cfg := o.conf()
	opts := device.DefaultButtonOpts
	if cfg.GPIO.DebounceMS > 0 {
		opts.Debounce = time.Duration(cfg.GPIO.DebounceMS) * time.Millisecond
	}
	for _, kc := range cfg.Kiosks {
		k := o.kiosks[kc.ID]
		kopts := opts
		kopts.LongPress = time.Duration(kc.LongPressMS) * time.Millisecond
		if kc.PressIntervalMS > 0 {
			kopts.MinInterval = time.Duration(kc.PressIntervalMS) * time.Millisecond
		}
		for i, btn := range kc.Buttons {
			if btn.Pin == "" {
				continue
			}
			// A priority button's category is wired: it changes with a
			// restart (config.set refuses it), the service live. A repeat
			// within the interval is the same press again.
			pressed := func(p device.Press, repeat bool) press {
				return press{service: k.button(i), priority: p.Long || btn.Priority || btn.Category != "", category: btn.Category, source: "gpio " + btn.Pin, repeat: repeat}
			}
			watch(btn.Pin, "kiosk "+kc.ID+" "+btn.Service, "kiosk/"+kc.ID+" gpio "+strings.TrimSpace(btn.Pin), kopts, func(p device.Press) {
				k.submit(pressed(p, false))
			}, func(p device.Press) {
				k.submit(pressed(p, true))
			}, func(ok bool) {
				k.dead[i].Store(!ok)
				k.relight()
			})
		}
	}
	for _, cc := range cfg.Counters {
		for _, action := range slices.Sorted(maps.Keys(cc.Buttons)) { // office.state lists them so
			pinName := cc.Buttons[action]
			counter, act := cc.ID, queue.Action(action)
			watch(pinName, "counter "+counter+" "+action, "counter/"+counter+" gpio "+strings.TrimSpace(pinName), opts, func(device.Press) {
				o.submitCounter(counterReq{counter: counter, cmd: queue.Command{Action: act}, source: "counter/" + counter + " gpio " + pinName, button: true})
			}, nil, nil)
		}
	}
}

// gpioButton is a GPIO button of the configuration: source names its
// inputs on {root}/errors (kiosk/k1 gpio GPIO17). One that could not be
// opened has no b, and dead says why; lost is why the line of one that
// runs gives nothing now, nil while it works.
type gpioButton struct {
	source, pin string
	b           *device.Button
	dead        error
	lost        atomic.Pointer[error]
}

// ButtonCount is one GPIO button's presses since the controller started,
// in office.state: those acted on, those within its mash interval
// (answered as a repeat, not printed), and the times it was held down
// until reported stuck.
type ButtonCount struct {
	Source  string `json:"source"`
	Pin     string `json:"pin"`
	Presses uint64 `json:"presses"`
	Repeats uint64 `json:"repeats"`
	Stuck   uint64 `json:"stuck"`
	// Error says why the button gives nothing: it could not be opened at
	// start, or its line gives no edges now. Absent while it works.
	Error string `json:"error,omitempty"`
}

// buttonCounts are the GPIO buttons' counts, in the configuration's order.
func (o *Office) buttonCounts() []ButtonCount {
	out := make([]ButtonCount, 0, len(o.buttons))
	for _, b := range o.buttons {
		c := ButtonCount{Source: b.source, Pin: b.pin}
		if b.dead != nil {
			c.Error = b.dead.Error()
			out = append(out, c)
			continue
		}
		st := b.b.Stats()
		c.Presses, c.Repeats, c.Stuck = st.Presses, st.Suppressed, st.Stuck
		if err := b.lost.Load(); err != nil {
			c.Error = (*err).Error()
		}
		out = append(out, c)
	}
	return out
}

// unreachable reports whether err says the GPIO chip is there but cannot be
// opened, and keeps the first such error for Start.
func (o *Office) unreachable(err error, what, pinName string) bool {
	if !errors.Is(err, device.ErrGPIOAccess) {
		return false
	}
	if o.gpioErr == nil {
		o.gpioErr = fmt.Errorf("office: %s on %s: %w", what, pinName, err)
	}
	return true
}

// lamp opens an output pin as a lamp (or buzzer); nil when the
// configuration names none or the host cannot give it.
func (o *Office) lamp(pinName, what string) *device.Lamp {
	pinName = strings.TrimSpace(pinName)
	if pinName == "" {
		return nil
	}
	pin, err := o.pin(pinName)
	if err != nil {
		switch {
		case errors.Is(err, device.ErrNoGPIO):
			o.noGPIO = append(o.noGPIO, pinName)
		case o.unreachable(err, what, pinName):
		default:
			o.log.Error("office: lamp not available", "lamp", what, "pin", pinName, "err", err)
		}
		return nil
	}
	l := device.NewLamp(what, pin)
	if err := l.Set(false); err != nil {
		o.log.Error("office: lamp not available", "lamp", what, "pin", pinName, "err", err)
		return nil
	}
	o.lamps = append(o.lamps, l)
	return l
}
