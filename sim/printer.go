package sim

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cherga/cherga/printer"
)

// PrinterOpts configures StartPrinter. nil and the zero value mean a healthy printer:
// online, paper present, cover closed, answering status.
type PrinterOpts struct {
	// Profile gives the ESC t numbers used to decode text; nil means the union of
	// the built-in profiles.
	Profile *printer.Profile
	// Paper, CoverOpen, Offline and Silent are the initial state (see the setters).
	Paper     printer.Paper
	CoverOpen bool
	Offline   bool
	Silent    bool
	// Printed is the capacity of the Printed channel; 0 means 64.
	Printed int
}

// Printer is an ESC/POS ticket printer on a real pseudo-terminal: the controller
// opens Path as a serial port exactly as it opens /dev/ttyUSB0.
//
// It answers the real-time requests DLE EOT 1, 2, 3 and 4 with the bytes an Epson
// printer sends for its state, and prints everything else. Like a real printer it
// keeps receiving while it cannot print (offline, cover open, paper out): the bytes
// are recorded by Bytes at once and buffered, and the tickets they hold are printed
// (Docs, Printed) when the printer can print again.
type Printer struct {
	master, slave *os.File
	path          string
	done          chan struct{} // closed when the reader has returned

	mu      sync.Mutex
	bytes   []byte // all bytes received, but status requests
	held    []byte // received while not ready, not yet printed
	dec     *printer.Decoder
	docs    []printer.Doc
	printed chan printer.Doc
	state   printer.Status
	silent  bool
	closed  bool

	closeOnce sync.Once
	closeErr  error
}

// StartPrinter opens the pseudo-terminal, puts it in raw mode, and starts serving it.
// The slave stays open until Close so Path stays valid across client reopenings.
func StartPrinter(opts *PrinterOpts) (*Printer, error) {
	var o PrinterOpts
	if opts != nil {
		o = *opts
	}
	if o.Printed <= 0 {
		o.Printed = 64
	}
	master, slave, err := openPty()
	if err != nil {
		return nil, fmt.Errorf("sim: printer pty: %w", err)
	}
	p := &Printer{
		master:  master,
		slave:   slave,
		path:    slave.Name(),
		done:    make(chan struct{}),
		dec:     printer.NewDecoder(o.Profile),
		printed: make(chan printer.Doc, o.Printed),
		state:   printer.Status{Online: !o.Offline, Paper: o.Paper, CoverOpen: o.CoverOpen},
		silent:  o.Silent,
	}
	go p.serve()
	return p, nil
}

// Path is the slave device, for the controller's -printer serial:PATH.
func (p *Printer) Path() string { return p.path }

func (p *Printer) String() string { return "sim printer " + p.path }

// Bytes returns a copy of every byte received so far, without the status requests.
func (p *Printer) Bytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.bytes...)
}

// Docs returns every ticket printed (cut) so far.
func (p *Printer) Docs() []printer.Doc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]printer.Doc(nil), p.docs...)
}

// Printed delivers each ticket as it is cut. The channel is buffered
// (PrinterOpts.Printed); when it is full a new ticket is not sent on it (it is still
// in Docs), so a test that does not read never stalls the printer. It is closed by
// Close.
func (p *Printer) Printed() <-chan printer.Doc { return p.printed }

// Status returns the current state of the simulated printer.
func (p *Printer) Status() printer.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// SetPaper sets the paper sensors. PaperOut stops printing.
func (p *Printer) SetPaper(paper printer.Paper) { p.set(func(s *printer.Status) { s.Paper = paper }) }

// SetCoverOpen opens or closes the cover. An open cover stops printing.
func (p *Printer) SetCoverOpen(open bool) { p.set(func(s *printer.Status) { s.CoverOpen = open }) }

// SetOffline takes the printer offline (as its feed button or an error does) or back.
func (p *Printer) SetOffline(off bool) { p.set(func(s *printer.Status) { s.Online = !off }) }

// SetSilent makes the printer ignore status requests, as a printer without a return
// channel (or a cut RX wire) does; the controller then times out.
func (p *Printer) SetSilent(silent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.silent = silent
}

func (p *Printer) set(f func(*printer.Status)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.state)
	if p.state.Err() == nil && len(p.held) > 0 {
		held := p.held
		p.held = nil
		p.print(held)
	}
}

// print decodes b into tickets; p.mu is held.
func (p *Printer) print(b []byte) {
	for _, d := range p.dec.Feed(b) {
		p.docs = append(p.docs, d)
		if !p.closed {
			select {
			case p.printed <- d:
			default: // full: the ticket is in Docs only
			}
		}
	}
}

// Close stops the printer and waits for its goroutine. It is idempotent.
func (p *Printer) Close() error {
	p.closeOnce.Do(func() {
		p.closeErr = p.master.Close()
		<-p.done
		if err := p.slave.Close(); p.closeErr == nil {
			p.closeErr = err
		}
		p.mu.Lock()
		p.closed = true
		close(p.printed)
		p.mu.Unlock()
	})
	return p.closeErr
}

// serve reads what the controller writes until Close.
func (p *Printer) serve() {
	defer close(p.done)
	var (
		buf [4096]byte
		rt  []byte // a real-time request split across reads: DLE or DLE EOT
	)
	for {
		n, err := p.master.Read(buf[:])
		if n > 0 {
			var rec, replies []byte
			rec, rt, replies = p.split(buf[:n], rt)
			if len(replies) > 0 {
				if _, err := p.master.Write(replies); err != nil && !errors.Is(err, os.ErrClosed) {
					return
				}
			}
			p.receive(rec)
		}
		if err != nil {
			return // closed (or the pty failed): nothing more will come
		}
	}
}

// split separates the real-time status requests DLE EOT n (n = 1..4) from the bytes
// to print and computes their replies. Like a real printer, it interprets them
// anywhere in the stream, even inside the data of another command.
func (p *Printer) split(b, rt []byte) (rec, rtOut, replies []byte) {
	p.mu.Lock()
	state, silent := p.state, p.silent
	p.mu.Unlock()
	for _, c := range b {
		switch {
		case len(rt) == 0 && c == printer.DLE,
			len(rt) == 1 && c == printer.EOT:
			rt = append(rt, c)
		case len(rt) == 2 && c >= 1 && c <= 4:
			rt = rt[:0]
			if r, err := state.Reply(c); err == nil && !silent {
				replies = append(replies, r)
			}
		case len(rt) > 0:
			// Not a status request: print it. A DLE that starts over is held again.
			rec = append(rec, rt...)
			rt = rt[:0]
			if c == printer.DLE {
				rt = append(rt, c)
			} else {
				rec = append(rec, c)
			}
		default:
			rec = append(rec, c)
		}
	}
	return rec, rt, replies
}

func (p *Printer) receive(b []byte) {
	if len(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes = append(p.bytes, b...)
	if p.state.Err() != nil || len(p.held) > 0 {
		p.held = append(p.held, b...)
		return
	}
	p.print(b)
}
