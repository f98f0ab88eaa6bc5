package printer

import (
	"fmt"
	"strings"
)

// Paper is the state of the roll paper sensors.
type Paper int

// Paper states. The zero value is PaperOK.
const (
	PaperOK      Paper = iota // roll present and adequate
	PaperNearEnd              // near-end sensor: change the roll soon; printing continues
	PaperOut                  // roll end: printing has stopped
)

func (p Paper) String() string {
	switch p {
	case PaperOK:
		return "ok"
	case PaperNearEnd:
		return "near_end"
	case PaperOut:
		return "out"
	}
	return fmt.Sprintf("Paper(%d)", int(p))
}

// Status is the state of the printer, as its real-time status replies tell it.
type Status struct {
	Online          bool
	Paper           Paper
	CoverOpen       bool
	CutterError     bool // autocutter error (DLE EOT 3 bit 3)
	Unrecoverable   bool // unrecoverable error (DLE EOT 3 bit 5)
	AutoRecoverable bool // automatically recoverable error, e.g. head too hot (DLE EOT 3 bit 6)
}

// Real-time status requests, the n of DLE EOT n.
const (
	StatusPrinter = 1 // printer status: online/offline
	StatusOffline = 2 // offline cause: cover, paper end stop, error
	StatusError   = 3 // error cause: cutter, unrecoverable, auto-recoverable
	StatusPaper   = 4 // roll paper sensors: near end, end
)

// Every reply to DLE EOT n has bit 1 and bit 4 set and bits 0 and 7 clear ("fixed"
// in the Epson reference); this is how a reply is told apart from other bytes.
const (
	fixedMask = 0x93
	fixedBits = 0x12
)

// Bits of the replies, per the Epson reference of DLE EOT.
const (
	bitOffline     = 1 << 3 // n=1: offline
	bitCoverOpen   = 1 << 2 // n=2: cover open
	bitFeedButton  = 1 << 3 // n=2: paper being fed by the feed button
	bitPaperStop   = 1 << 5 // n=2: printing stopped by paper end
	bitErrorOccur  = 1 << 6 // n=2: an error occurred
	bitCutter      = 1 << 3 // n=3: autocutter error
	bitUnrecover   = 1 << 5 // n=3: unrecoverable error
	bitAutoRecover = 1 << 6 // n=3: auto-recoverable error
	bitsNearEnd    = 3 << 2 // n=4: roll near-end sensor (both bits set by Epson)
	bitsPaperEnd   = 3 << 5 // n=4: roll end sensor (both bits set by Epson)
)

// Update folds the reply to DLE EOT n into s; DLE EOT 2 is asked before 4, whose
// sensors do not undo a stop at the paper end that 2 told. It returns ErrBadReply, leaving s
// unchanged, when the reply does not have the fixed bits of a status byte or n is not
// 1..4. Bits not represented in Status (drawer pin, feed button) are ignored. Some
// clones set only one of the two bits of a sensor pair: either counts.
func (s *Status) Update(n, reply byte) error {
	if reply&fixedMask != fixedBits {
		return fmt.Errorf("%w: 0x%02X to DLE EOT %d", ErrBadReply, reply, n)
	}
	switch n {
	case StatusPrinter:
		s.Online = reply&bitOffline == 0
	case StatusOffline:
		s.CoverOpen = reply&bitCoverOpen != 0
		if reply&bitPaperStop != 0 {
			s.Paper = PaperOut
		} else if s.Paper == PaperOut {
			s.Paper = PaperOK
		}
		if reply&bitErrorOccur == 0 {
			s.CutterError, s.Unrecoverable, s.AutoRecoverable = false, false, false
		}
	case StatusError:
		s.CutterError = reply&bitCutter != 0
		s.Unrecoverable = reply&bitUnrecover != 0
		s.AutoRecoverable = reply&bitAutoRecover != 0
	case StatusPaper:
		switch {
		case reply&bitsPaperEnd != 0:
			s.Paper = PaperOut
		case s.Paper == PaperOut:
			// DLE EOT 2 (asked first) said printing stopped at the paper
			// end: an Epson set to stop at its near-end sensor, or a clone
			// that tells the end there alone. Out of paper, whatever the
			// sensors say.
		case reply&bitsNearEnd != 0:
			s.Paper = PaperNearEnd
		default:
			s.Paper = PaperOK
		}
	default:
		return fmt.Errorf("%w: DLE EOT %d is not a status request", ErrBadReply, n)
	}
	return nil
}

// Reply returns the byte an Epson printer in state s sends for DLE EOT n, with the
// fixed bits set as the reference says. The simulator answers with it. A printer
// whose cover is open, whose paper is out or which has an error is offline whatever
// s.Online says, as on the real thing.
func (s Status) Reply(n byte) (byte, error) {
	r := byte(fixedBits)
	hasErr := s.CutterError || s.Unrecoverable || s.AutoRecoverable
	switch n {
	case StatusPrinter:
		if !s.Online || s.CoverOpen || s.Paper == PaperOut || hasErr {
			r |= bitOffline
		}
	case StatusOffline:
		if s.CoverOpen {
			r |= bitCoverOpen
		}
		if s.Paper == PaperOut {
			r |= bitPaperStop
		}
		if hasErr {
			r |= bitErrorOccur
		}
	case StatusError:
		if s.CutterError {
			r |= bitCutter
		}
		if s.Unrecoverable {
			r |= bitUnrecover
		}
		if s.AutoRecoverable {
			r |= bitAutoRecover
		}
	case StatusPaper:
		switch s.Paper {
		case PaperOut:
			r |= bitsPaperEnd | bitsNearEnd // an empty roll is also past the near-end mark
		case PaperNearEnd:
			r |= bitsNearEnd
		}
	default:
		return 0, fmt.Errorf("%w: DLE EOT %d is not a status request", ErrBadReply, n)
	}
	return r, nil
}

// The four bytes of automatic status back (GS a), per the Epson reference: the
// first has bits 0, 1 and 7 clear and bit 4 set (a reply to DLE EOT has bit 1
// set, so the two are told apart), the others have bits 4 and 7 clear.
const (
	asbFirstMask = 0x93
	asbFirstBits = 0x10
	asbRestMask  = 0x90

	asbOffline     = 1 << 3 // first byte: offline
	asbCoverOpen   = 1 << 5 // first byte: cover open
	asbCutter      = 1 << 3 // second byte: autocutter error
	asbUnrecover   = 1 << 5 // second byte: unrecoverable error
	asbAutoRecover = 1 << 6 // second byte: auto-recoverable error
	asbNearEnd     = 3 << 0 // third byte: roll near-end sensor (both bits)
	asbPaperEnd    = 3 << 2 // third byte: roll end sensor (both bits)
)

// ASBLen is the length of an automatic status message.
const ASBLen = 4

// IsASBStart reports whether c can be the first byte of an automatic status
// message: a byte a printer sends unasked. No reply to DLE EOT and no byte
// of the buffer clear's response is one.
func IsASBStart(c byte) bool { return c&asbFirstMask == asbFirstBits }

// isASBRest reports whether c can be the second, third or fourth byte of an
// automatic status message.
func isASBRest(c byte) bool { return c&asbRestMask == 0 }

// UpdateASB sets s to the state an automatic status message tells. Each message
// is the whole state, so nothing of s before is kept. It returns ErrBadReply,
// leaving s unchanged, when b is not four bytes with the fixed bits of one.
// Bits not represented in Status (drawer pin, feed button, waiting for online
// recovery) are ignored; as with Update, either bit of a sensor pair counts.
func (s *Status) UpdateASB(b []byte) error {
	if len(b) != ASBLen || !IsASBStart(b[0]) || !isASBRest(b[1]) || !isASBRest(b[2]) || !isASBRest(b[3]) {
		return fmt.Errorf("%w: % X is not an automatic status message", ErrBadReply, b)
	}
	*s = Status{
		Online:          b[0]&asbOffline == 0,
		CoverOpen:       b[0]&asbCoverOpen != 0,
		CutterError:     b[1]&asbCutter != 0,
		Unrecoverable:   b[1]&asbUnrecover != 0,
		AutoRecoverable: b[1]&asbAutoRecover != 0,
	}
	switch {
	case b[2]&asbPaperEnd != 0:
		s.Paper = PaperOut
	case b[2]&asbNearEnd != 0:
		s.Paper = PaperNearEnd
	}
	return nil
}

// ASB returns the automatic status message an Epson printer in state s sends,
// offline whenever it cannot print, as Reply says. The simulator sends it.
func (s Status) ASB() [ASBLen]byte {
	b := [ASBLen]byte{asbFirstBits, 0, 0, 0}
	if s.Err() != nil {
		b[0] |= asbOffline
	}
	if s.CoverOpen {
		b[0] |= asbCoverOpen
	}
	if s.CutterError {
		b[1] |= asbCutter
	}
	if s.Unrecoverable {
		b[1] |= asbUnrecover
	}
	if s.AutoRecoverable {
		b[1] |= asbAutoRecover
	}
	switch s.Paper {
	case PaperOut:
		b[2] |= asbPaperEnd | asbNearEnd
	case PaperNearEnd:
		b[2] |= asbNearEnd
	}
	return b
}

// Err returns nil when the printer can print, and otherwise a *Condition listing
// why not. Paper near its end is not an error.
func (s Status) Err() error {
	var causes []error
	if s.Paper == PaperOut {
		causes = append(causes, ErrPaperOut)
	}
	if s.CoverOpen {
		causes = append(causes, ErrCoverOpen)
	}
	if s.CutterError {
		causes = append(causes, ErrCutter)
	}
	if s.Unrecoverable {
		causes = append(causes, ErrUnrecoverable)
	}
	if s.AutoRecoverable {
		causes = append(causes, ErrAutoRecoverable)
	}
	if !s.Online {
		causes = append(causes, ErrOffline)
	}
	if len(causes) == 0 {
		return nil
	}
	return &Condition{Status: s, causes: causes}
}

// Condition is the error of a printer that cannot print. Status holds the full state
// to switch on; errors.Is(err, ErrPaperOut) (ErrCoverOpen, ErrOffline, ErrCutter,
// ErrUnrecoverable, ErrAutoRecoverable) tells each cause.
type Condition struct {
	Status Status
	causes []error
}

func (c *Condition) Error() string {
	parts := make([]string, len(c.causes))
	for i, e := range c.causes {
		parts[i] = strings.TrimPrefix(e.Error(), "printer: ")
	}
	return "printer: cannot print: " + strings.Join(parts, ", ")
}

// Unwrap returns the sentinels of every cause, most specific first.
func (c *Condition) Unwrap() []error { return c.causes }
