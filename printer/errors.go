package printer

import "errors"

var (
	// ErrUnencodable is wrapped by *EncodeError when a text holds a character the
	// selected code page cannot print, or a control character.
	ErrUnencodable = errors.New("printer: character cannot be encoded")

	// ErrUnknownProfile is returned by LookupProfile for a name that is not built in.
	ErrUnknownProfile = errors.New("printer: unknown profile")

	// ErrUnknownCodePage is returned by LookupCodePage, and by Profile.Validate, for a
	// code page name this package has no table for.
	ErrUnknownCodePage = errors.New("printer: unknown code page")

	// ErrInvalidProfile is returned by Profile.Validate for an inconsistent profile.
	ErrInvalidProfile = errors.New("printer: invalid profile")

	// ErrInvalidArgument is returned by encoders given a value outside the range the
	// Epson reference allows (a QR payload too long, a CODE128 with non-ASCII data).
	ErrInvalidArgument = errors.New("printer: invalid argument")

	// ErrBadSpec is returned by Open for a printer spec it cannot parse.
	ErrBadSpec = errors.New("printer: bad printer spec")

	// ErrBadReply is returned by Status.Update for a status byte whose fixed bits are
	// not the ones the Epson reference defines: it is not a reply to DLE EOT.
	ErrBadReply = errors.New("printer: bad status reply")

	// ErrNoReply is returned by Printer.Status when the printer does not answer a
	// real-time status request within the timeout: it is off, unplugged, or silent.
	ErrNoReply = errors.New("printer: no status reply")

	// ErrTimeout is returned by Printer.Print when a write does not complete within
	// the timeout (flow control held by a printer that is off or jammed).
	ErrTimeout = errors.New("printer: write timed out")

	// ErrUnconfirmed is wrapped by the error of Printer.PrintConfirmed when
	// the printer neither said that it printed the data nor told a state
	// that stops printing in time: the ticket may be on the paper or not.
	ErrUnconfirmed = errors.New("printer: printing not confirmed")

	// ErrCannotConfirm is returned by Printer.PrintConfirmed, which then
	// sent nothing, for a printer that cannot say when it has printed.
	ErrCannotConfirm = errors.New("printer: cannot confirm printing")

	// ErrClosed is returned by the methods of a Printer after Close.
	ErrClosed = errors.New("printer: closed")

	// ErrOffline is wrapped by a *Condition when the printer reports it is offline.
	ErrOffline = errors.New("printer: offline")

	// ErrPaperOut is wrapped by a *Condition when the paper roll is empty.
	ErrPaperOut = errors.New("printer: paper out")

	// ErrCoverOpen is wrapped by a *Condition when the cover is open.
	ErrCoverOpen = errors.New("printer: cover open")

	// ErrCutter is wrapped by a *Condition when the autocutter reports an error.
	ErrCutter = errors.New("printer: autocutter error")

	// ErrUnrecoverable is wrapped by a *Condition when the printer reports an
	// unrecoverable error (it needs a service visit or a power cycle).
	ErrUnrecoverable = errors.New("printer: unrecoverable error")

	// ErrAutoRecoverable is wrapped by a *Condition when the printer reports an
	// automatically recoverable error (for example an overheated head); it prints
	// again by itself.
	ErrAutoRecoverable = errors.New("printer: auto-recoverable error")
)
