package queue

import "errors"

var (
	// ErrUnknownService is returned when a request names a service the
	// configuration does not have.
	ErrUnknownService = errors.New("queue: unknown service")
	// ErrUnknownCounter is returned when a request names a counter the
	// configuration does not have.
	ErrUnknownCounter = errors.New("queue: unknown counter")
	// ErrUnknownTicket is returned when no ticket of today has that id or label.
	ErrUnknownTicket = errors.New("queue: unknown ticket")
	// ErrUnknownAction is returned for a counter action that does not exist.
	ErrUnknownAction = errors.New("queue: unknown counter action")
	// ErrClosed is returned by Issue outside the office hours.
	ErrClosed = errors.New("queue: the office is closed now")
	// ErrClockUnset is returned by Issue while the wall clock is obviously
	// wrong (before 2024: a Raspberry Pi without RTC that has not synced yet).
	ErrClockUnset = errors.New("queue: the clock is not set")
	// ErrNoTicket is returned by recall, noshow, done and transfer when the
	// counter has no called ticket.
	ErrNoTicket = errors.New("queue: the counter has no current ticket")
	// ErrEmpty is returned by next when nobody waits for the counter's services.
	ErrEmpty = errors.New("queue: nobody is waiting")
	// ErrCounterPaused is returned by next while the counter is paused.
	ErrCounterPaused = errors.New("queue: the counter is paused")
	// ErrEngineClosed is returned by requests after Close.
	ErrEngineClosed = errors.New("queue: engine closed")
)

// TransitionError is returned when a ticket cannot move from its state to
// the requested one; nothing changes.
type TransitionError struct {
	Label    string
	From, To State
}

func (e *TransitionError) Error() string {
	return "queue: ticket " + e.Label + " cannot go from " + string(e.From) + " to " + string(e.To)
}
