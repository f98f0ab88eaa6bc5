package sim

import (
	"fmt"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"
)

// Pins is a fake GPIO header: every name opens a periph gpiotest pin that a
// test or the simulator's web page presses. Buttons are pull-up inputs, so
// idle is High and pressed is Low, as on the real board.
type Pins struct {
	mu   sync.Mutex
	pins map[string]*gpiotest.Pin
}

// NewPins returns an empty header.
func NewPins() *Pins { return &Pins{pins: map[string]*gpiotest.Pin{}} }

// Open returns the pin of that name, creating it idle (High). It has the
// signature of office.Opts.Pin.
func (p *Pins) Open(name string) (gpio.PinIO, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pin, ok := p.pins[name]
	if !ok {
		pin = &gpiotest.Pin{N: name, Num: len(p.pins), L: gpio.High, Clock: clockwork.NewRealClock(), EdgesChan: make(chan gpio.Level, 64)}
		p.pins[name] = pin
	}
	return pin, nil
}

// Press holds the button on pin name down for hold, then releases it: two
// edges, as a finger makes (a real one also bounces; the device package's
// tests cover that).
func (p *Pins) Press(name string, hold time.Duration) error {
	p.mu.Lock()
	pin, ok := p.pins[name]
	p.mu.Unlock()
	if !ok {
		return fmt.Errorf("sim: no button on pin %s", name)
	}
	pin.EdgesChan <- gpio.Low
	time.Sleep(hold)
	pin.EdgesChan <- gpio.High
	return nil
}

// Level reports whether the output on pin name is High (a lamp lit); false
// and not ok if nothing opened the pin.
func (p *Pins) Level(name string) (high, ok bool) {
	p.mu.Lock()
	pin, ok := p.pins[name]
	p.mu.Unlock()
	if !ok {
		return false, false
	}
	return pin.Read() == gpio.High, true
}
