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

	// A citizen holds the button down; the contact bounces first.
	_ = pin.WaitIdle(time.Second)
	pin.Bounce(5, gpio.Low)
	_ = pin.WaitIdle(time.Second)
	clock.Advance(opts.Debounce) // settled: pressed
	_ = pin.WaitIdle(time.Second)
	clock.Advance(opts.LongPress)
	e := <-events
	fmt.Println(e, e.At.Format("15:04:05.000"))

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
	_ = clock.WaitTimers(1, time.Second)
	clock.Advance(200 * time.Millisecond)
	_ = pin.WaitLevel(gpio.Low, time.Second)
	fmt.Println(buzzer, pin.Outs())
	// Output:
	// Lamp(buzzer, GPIO27) [High Low]
}
