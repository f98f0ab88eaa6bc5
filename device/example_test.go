package device_test

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
)

func ExampleButton() {
	// On the Pi: pin, err := device.OpenPin("GPIO17"), and no Clock.
	clock := devicetest.NewClock(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	pin := devicetest.NewPin("GPIO17", clock)

	opts := device.DefaultButtonOpts
	opts.LongPress = 3 * time.Second // hold to print a priority ticket
	opts.Clock = clock
	b, err := device.NewButton("social", pin, &opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	events := make(chan device.Event, 8)
	done := make(chan error)
	go func() { done <- b.Run(context.Background(), func(e device.Event) { events <- e }) }()

	// Before each step, wait until Run has taken every edge and is blocked:
	// only then is its next timer on the clock. A clock advanced before that
	// would leave Run waiting for a time that never comes. limit (10 s) is
	// the real-time guard of every wait: a loaded machine can take seconds
	// to schedule Run.
	step := func(do func()) bool {
		if err := pin.WaitIdle(limit); err != nil {
			fmt.Println(err)
			return false
		}
		do()
		return true
	}
	// A citizen holds the button down; the contact bounces first.
	if !step(func() { pin.Bounce(5, gpio.Low) }) ||
		!step(func() { clock.Advance(opts.Debounce) }) || // settled: pressed
		!step(func() { clock.Advance(opts.LongPress) }) {
		return
	}
	select {
	case e := <-events:
		fmt.Println(e, e.At.Format("15:04:05.000"))
	case <-time.After(limit):
		fmt.Println("no event after", limit)
		return
	}

	_ = b.Close()
	fmt.Println(<-done, b.Stats())
	// Output:
	// long press social 09:00:03.030
	// <nil> {1 0 0}
}

func ExampleLamp_Beep() {
	clock := devicetest.NewClock(time.Time{})
	pin := devicetest.NewPin("GPIO27", clock) // on the Pi: device.OpenPin("GPIO27")
	buzzer := device.NewLamp("buzzer", pin)
	buzzer.Clock = clock

	if err := buzzer.Beep(200 * time.Millisecond); err != nil {
		fmt.Println(err)
		return
	}
	if err := clock.WaitTimers(1, limit); err != nil { // Beep's timer is armed
		fmt.Println(err)
		return
	}
	clock.Advance(200 * time.Millisecond)
	if err := pin.WaitLevel(gpio.Low, limit); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(buzzer, pin.Outs())
	// Output:
	// Lamp(buzzer, GPIO27) [High Low]
}
