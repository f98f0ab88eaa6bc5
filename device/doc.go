// Package device turns the office's hardware into events and outputs:
// kiosk and counter push buttons into presses, lamps and buzzers into
// Set, Blink and Beep. It drives GPIO through periph.io
// (https://periph.io/x/conn/v3/gpio); devicetest holds the fakes.
//
// # Wiring
//
// Every button is a normally open push button between a GPIO pin and ground.
// NewButton configures the pin as an input with the internal pull-up and
// edge detection on both edges: released reads gpio.High, pressed reads
// gpio.Low (active low). No resistor is needed, and a cut wire reads as
// released rather than pressed. Lamps and buzzers are on when their pin is
// High, through a transistor or a relay module with a High input.
//
// # From edges to presses
//
// Debounce wraps the pin in a decorator that is itself a gpio.PinIn: a level
// counts only once the contact has produced no edge for the debounce time,
// and then Read and WaitForEdge report it. It is a decorator rather than
// code inside Button because the filter is about the pin alone, not about
// presses: it can be tested alone against a fake pin, reused for any input
// (a door contact, a cover switch), and Button then only ever sees clean
// levels. periph's own gpioutil.Debounce is incomplete (see debounce.go).
//
// Button turns clean levels into Events, in one goroutine, Run:
//
//   - EventPress on press, or, when LongPress is set, on release for a short
//     hold and with Long set once a hold reaches LongPress (then nothing on
//     release);
//   - at most one press per MinInterval: a child mashing the kiosk button
//     gets one ticket, the rest are counted in ButtonStats.Suppressed and
//     reported as EventRepeat, which the kiosk answers without a ticket;
//   - EventStuck once when a hold lasts Stuck, EventRecovered on its release.
//
// Run waits in WaitForEdge with a timeout that ends at the next long press or
// stuck deadline (at most maxWait), so one goroutine serves both edges and
// timers. Halt and Close interrupt the wait and return once Run is gone.
//
// # Time
//
// All timing goes through a Clock (SystemClock by default), so tests drive
// debounce, long press, mash protection and stuck detection with
// devicetest.Clock and never sleep. Durations come from time.Time.Sub, so the
// monotonic clock makes them immune to a Pi without RTC setting its time.
//
// # Remote inputs and the scanner
//
// Kiosks and counters too far from the controller's header send their
// presses over MQTT; DecodeKioskPress, DecodeCounterCmd and DecodeRating
// check those payloads strictly (remote.go, docs/mqtt.md). A barcode/QR
// scanner at the kiosk is a serial line of text codes: Scanner reads it
// line by line with bounded lines, reopens it when it is unplugged, and
// classifies each code as one of cherga's own ticket QR codes (by the
// office's status URL template), an appointment code, or unknown.
//
// # Platforms
//
// OpenPin opens a pin by name through periph's host drivers on Linux (the
// GPIO character device, /dev/gpiochip*). On a host without GPIO, such as a
// laptop, and on other systems, it returns an error wrapping ErrNoGPIO, so
// `go test ./...` and the simulator run anywhere. A chip that exists but
// cannot be opened (the service user is not in the group gpio) is no such
// host: OpenPin returns ErrGPIOAccess, naming the device file and the fix.
package device
