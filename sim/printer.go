package sim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cherga/cherga/printer"
)

// PrinterOpts configures StartPrinter. nil and the zero value mean a healthy printer:
// online, paper present, cover closed, answering status.
type PrinterOpts struct {
	// Profile gives the ESC t numbers used to decode text; nil means the union of
	// the built-in profiles.
	Profile *printer.Profile
	// Paper, CoverOpen, Offline, Silent and Garbled are the initial state
	// (see the setters).
	Paper     printer.Paper
	CoverOpen bool
	Offline   bool
	Silent    bool
	Garbled   bool
	// Printed is the capacity of the Printed channel; 0 means 64.
	Printed int
	// Link, if set, is a symbolic link made to the pty and removed by Close, as
	// udev's /dev/serial/by-id names are: a printer started later with the same
	// Link is the same printer plugged in again, at the path the controller
	// already has.
	Link string
	// Baud, if set, makes the printer take bytes no faster than a serial line
	// at that rate (10 bits a byte), as a real one does; 0 is as fast as the
	// pty goes.
	Baud int
	// NoProcessID makes it a model without GS ( H: it prints the request's
	// bytes as nothing and never answers it.
	NoProcessID bool
	// PrintRate, if set, makes it print as a real one does, at that many
	// bytes of print data a second, from a buffer that takes what arrives
	// at once (a printer on USB or the network): a status request is
	// answered when it arrives, before the ticket sent ahead of it is
	// printed. 0 prints each byte as it arrives.
	PrintRate int
}

// Printer is an ESC/POS ticket printer on a real pseudo-terminal: the controller
// opens Path as a serial port exactly as it opens /dev/ttyUSB0.
//
// It answers the real-time requests DLE EOT 1, 2, 3 and 4 with the bytes an Epson
// printer sends for its state, and prints everything else. A process ID
// request (GS ( H fn=48) in the print data is answered once the data before
// it is printed, so not while that data is held. Once the print data
// turns automatic status back on (GS a n, until the next ESC @), it sends its
// state at once and then at every change, as an Epson does. Like a real printer it
// keeps receiving while it cannot print (offline, cover open, paper out): the bytes
// are recorded by Bytes at once and buffered, and the tickets they hold are printed
// (Docs, Printed) when the printer can print again.
//
// Faults are set while it runs: SetPaper, SetCoverOpen, SetOffline, SetSilent (a
// printer that never answers status), RunOutAfter (the roll ends in the middle
// of a ticket), UnplugAfter (the cable is pulled in the middle of one);
// PrinterOpts.Baud makes it as slow as a serial line, and Close
// followed by a new printer with the same PrinterOpts.Link is a cable pulled and
// plugged in again. RenderPNG draws a printed ticket as a picture of the paper.
type Printer struct {
	master, slave *os.File
	path          string
	link          string
	baud          int
	columns       int           // paper width in characters, for RenderPNG
	done          chan struct{} // closed when the reader has returned

	mu      sync.Mutex
	bytes   []byte // all bytes received, but status requests
	held    []byte // received while not ready, not yet printed
	cleared int    // buffer clears received (DLE DC4 fn=8)
	asked   int    // status requests received (DLE EOT n)
	dec     *printer.Decoder
	docs    []printer.Doc
	printed chan printer.Doc
	state   printer.Status
	silent  bool
	garbled int // 0: answers as it should; else the count of garbled replies, plus one
	closed  bool
	runOut  int  // bytes left before the paper runs out or the cable is pulled; < 0: plenty
	endRoll bool // the paper runs out right after the next ticket
	pull    bool // at runOut the cable is pulled, rather than the paper running out
	pulled  bool // the cable is pulled: nothing more is read or answered
	// The automatic status back sent so far: the last message, and the GS a
	// commands answered (the decoder counts them).
	asbSent []byte
	asbSets int
	// The process ID requests answered so far, unless noPID.
	pidSent int
	noPID   bool
	// With a PrintRate: the bytes received and not printed yet, and the
	// mechanism's wake-up and stop.
	rate   int
	queued []byte
	wake   chan struct{}
	stop   chan struct{}
	mech   sync.WaitGroup

	wmu sync.Mutex // one write to the pty at a time; taken before mu

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
		garbled: btoi(o.Garbled),
		runOut:  -1,
		baud:    o.Baud,
		noPID:   o.NoProcessID,
		rate:    o.PrintRate,
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		columns: 48,
	}
	if o.Profile != nil {
		p.columns = o.Profile.Columns
	}
	if o.Link != "" {
		if err := p.plugIn(o.Link); err != nil {
			master.Close()
			slave.Close()
			return nil, fmt.Errorf("sim: printer link: %w", err)
		}
	}
	go p.serve()
	if p.rate > 0 {
		p.mech.Add(1)
		go p.mechanism()
	}
	return p, nil
}

// links records which printer owns each Link, so that a printer closing late
// does not remove the link of the one plugged in after it, which may even
// have the same pty number.
var links = struct {
	sync.Mutex
	owner map[string]*Printer
}{owner: map[string]*Printer{}}

func (p *Printer) plugIn(link string) error {
	links.Lock()
	defer links.Unlock()
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Symlink(p.path, link); err != nil {
		return err
	}
	p.link = link
	links.owner[link] = p
	return nil
}

// unplug removes the link, unless another printer took it since.
func (p *Printer) unplug() {
	if p.link == "" {
		return
	}
	links.Lock()
	defer links.Unlock()
	if links.owner[p.link] == p {
		delete(links.owner, p.link)
		os.Remove(p.link)
	}
}

// Path is the device for the controller's -printer serial:PATH: the Link when
// there is one, else the pty slave.
func (p *Printer) Path() string {
	if p.link != "" {
		return p.link
	}
	return p.path
}

func (p *Printer) String() string { return "sim printer " + p.Path() }

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

// SetGarbled makes the printer answer each status request with a byte that
// is no status reply, as a printer on a serial line at another baud rate
// than its own: some bytes look like the start of an automatic status
// message, so that a reply may also seem missing.
func (p *Printer) SetGarbled(garbled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.garbled = btoi(garbled)
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

// garbage are the bytes a garbled printer answers with, in turn: 0x30
// looks like the start of an automatic status message, the others have
// the fixed bits of a status reply wrong.
var garbage = []byte{0x9A, 0x30, 0xFF, 0x05}

// RunOutAfter makes the roll run out after n more bytes of print data: they
// are printed, the paper is out at once, and what follows is held, as by a
// real printer, until paper is loaded (SetPaper).
func (p *Printer) RunOutAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runOut, p.pull = max(n, 0), false
}

// RunOutAfterTicket makes the roll end just as the next ticket is cut: the
// paper is out from then on. A process ID request (GS ( H) that came right
// after the cut, in the same write, is answered (the ticket is printed)
// before the printer tells that the paper is out; what follows is held
// until paper is loaded.
func (p *Printer) RunOutAfterTicket() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.endRoll = true
}

// pidRequest is the start of a process ID request, GS ( H fn=48.
var pidRequest = printer.RequestProcessID(nil, printer.ProcessID{})[:7]

// UnplugAfter pulls the cable after n more bytes of print data, in the middle
// of the ticket they belong to: the rest is lost, no status request is
// answered, and the printer closes as by Close (one with a PrintRate stops
// printing what its buffer held: the sim ends with the cable).
func (p *Printer) UnplugAfter(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runOut, p.pull = max(n, 0), true
}

func (p *Printer) isPulled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pulled
}

func (p *Printer) set(f func(*printer.Status)) {
	p.mu.Lock()
	f(&p.state)
	if p.state.Err() == nil && len(p.held) > 0 {
		held := p.held
		p.held = nil
		if p.rate > 0 {
			p.queued = append(held, p.queued...)
			select {
			case p.wake <- struct{}{}:
			default:
			}
		} else {
			p.print(held)
		}
	}
	p.mu.Unlock()
	_ = p.send(nil) // a closed printer sends nothing
}

// asbDue returns the automatic status message the printer owes, if any: one
// for each GS a that turned it on, and one for each change of its state
// while it is on. p.mu is held.
func (p *Printer) asbDue() []byte {
	items, sets := p.dec.AutoStatus()
	if items == 0 || p.silent || p.pulled || p.garbled > 0 {
		p.asbSets, p.asbSent = sets, nil
		return nil
	}
	msg := p.state.ASB()
	if sets == p.asbSets && bytes.Equal(msg[:], p.asbSent) {
		return nil
	}
	p.asbSets, p.asbSent = sets, msg[:]
	return p.asbSent
}

// pidsDue returns the answers to the process ID requests printed since the
// last call. p.mu is held.
func (p *Printer) pidsDue() []byte {
	ids := p.dec.ProcessIDs()
	if p.noPID || p.silent || p.pulled || p.garbled > 0 {
		p.pidSent = len(ids)
		return nil
	}
	var b []byte
	for _, id := range ids[p.pidSent:] {
		r := printer.ProcessIDResponse(id)
		b = append(b, r[:]...)
	}
	p.pidSent = len(ids)
	return b
}

// send writes replies to the controller, then the answers to the process
// ID requests printed, then the automatic status message due, if any.
// Messages are computed and written under one lock, so they leave in the
// order of the states they tell.
func (p *Printer) send(replies []byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.mu.Lock()
	replies = append(replies, p.pidsDue()...)
	replies = append(replies, p.asbDue()...)
	p.mu.Unlock()
	if len(replies) == 0 {
		return nil
	}
	_, err := p.master.Write(replies)
	return err
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
		close(p.stop)
		p.closeErr = p.master.Close()
		<-p.done
		p.mech.Wait()
		if err := p.slave.Close(); p.closeErr == nil {
			p.closeErr = err
		}
		p.unplug()
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
		rt  []byte // a real-time command split across reads
	)
	for {
		n, err := p.master.Read(buf[:])
		if n > 0 {
			if p.baud > 0 {
				// The wire time of what was just read: a sim, not a wait.
				time.Sleep(time.Duration(n) * 10 * time.Second / time.Duration(p.baud))
			}
			if p.isPulled() {
				continue // unplugged: the bytes go nowhere until Close ends the read
			}
			var replies []byte
			rt = split(buf[:n], rt, p.receive, func(cmd []byte) {
				if cmd[1] == printer.DC4 {
					if p.clear() {
						replies = append(replies, printer.ClearResponse[:]...)
					}
					return
				}
				if r, ok := p.reply(cmd[2]); ok {
					replies = append(replies, r)
				}
			})
			if p.isPulled() {
				go p.Close() // Close waits for this goroutine
				continue
			}
			if err := p.send(replies); err != nil && !errors.Is(err, os.ErrClosed) {
				return
			}
		}
		if err != nil {
			return // closed (or the pty failed): nothing more will come
		}
	}
}

// clearBuffer is DLE DC4 fn=8: clear the buffers.
var clearBuffer = printer.ClearBuffer(nil)

// split separates the real-time commands (DLE EOT n, n = 1..4: a status
// request; DLE DC4 fn=8: clear the buffers) from the bytes to print, in
// stream order: data gets the bytes before a command before rt gets the
// command, so a reply tells the state after them. Like a real printer, it
// interprets them anywhere in the stream, even inside the data of another
// command. It returns the start of a command cut by the end of b, to be
// passed back with the next read.
func split(b, pend []byte, data func([]byte), rt func(cmd []byte)) []byte {
	var rec []byte
	flush := func() {
		if len(rec) > 0 {
			data(rec)
			rec = nil
		}
	}
	for _, c := range b {
		if len(pend) == 0 {
			if c == printer.DLE {
				pend = append(pend, c)
			} else {
				rec = append(rec, c)
			}
			continue
		}
		pend = append(pend, c)
		switch {
		case len(pend) == 2 && (c == printer.EOT || c == printer.DC4):
			continue
		case len(pend) == 3 && pend[1] == printer.EOT && c >= 1 && c <= 4,
			len(pend) == len(clearBuffer) && bytes.Equal(pend, clearBuffer):
			flush()
			rt(pend)
			pend = nil
			continue
		case pend[1] == printer.DC4 && bytes.HasPrefix(clearBuffer, pend):
			continue
		}
		// Not a real-time command: print it. A DLE that starts over is
		// held again.
		last := pend[len(pend)-1]
		rec = append(rec, pend[:len(pend)-1]...)
		pend = pend[:0]
		if last == printer.DLE {
			pend = append(pend, last)
		} else {
			rec = append(rec, last)
		}
	}
	flush()
	return pend
}

// Cleared is how many times the controller cleared the buffers (DLE DC4
// fn=8).
func (p *Printer) Cleared() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cleared
}

// clear empties the buffers (DLE DC4 fn=8): what was held and not printed
// is dropped, and so is the unfinished ticket on the paper, which went with
// the old roll. It reports whether the printer answers.
func (p *Printer) clear() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held, p.queued = nil, nil
	p.cleared++
	p.dec.Discard()
	return !p.silent && !p.pulled
}

// HoldLine holds the host back as a printer whose buffer is full does on a
// line with software flow control: XOFF (DC3) while held, XON (DC1) when
// released. A host without flow control takes the bytes for data.
func (p *Printer) HoldLine(hold bool) error {
	c := byte(0x11) // XON
	if hold {
		c = 0x13 // XOFF
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err := p.master.Write([]byte{c})
	return err
}

// Requests is how many status requests (DLE EOT n) the printer received.
func (p *Printer) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asked
}

// reply is the answer to DLE EOT n, if the printer answers at all.
func (p *Printer) reply(n byte) (byte, bool) {
	p.mu.Lock()
	p.asked++
	state, silent := p.state, p.silent || p.pulled
	if p.garbled > 0 && !silent {
		g := garbage[(p.garbled-1)%len(garbage)]
		p.garbled++
		p.mu.Unlock()
		return g, true
	}
	p.mu.Unlock()
	r, err := state.Reply(n)
	return r, err == nil && !silent
}

func (p *Printer) receive(b []byte) {
	if len(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pulled {
		return
	}
	if p.pull && p.runOut >= 0 {
		if len(b) >= p.runOut {
			// The cable is pulled after runOut bytes: the rest is lost.
			b = b[:p.runOut]
			p.runOut, p.pulled = -1, true
		} else {
			p.runOut -= len(b)
		}
	}
	p.bytes = append(p.bytes, b...)
	if p.rate > 0 {
		// Into the buffer: the mechanism prints it at its pace.
		p.queued = append(p.queued, b...)
		select {
		case p.wake <- struct{}{}:
		default:
		}
		return
	}
	p.feed(b)
}

// feed prints b, or holds it while the printer cannot print; the roll may
// end in the middle (RunOutAfter, RunOutAfterTicket). p.mu is held.
func (p *Printer) feed(b []byte) {
	if p.state.Err() != nil || len(p.held) > 0 {
		p.held = append(p.held, b...)
		return
	}
	if p.endRoll {
		// Byte by byte, to stop right after the cut.
		for i := range b {
			n := len(p.docs)
			p.print(b[i : i+1])
			if len(p.docs) == n {
				continue
			}
			p.endRoll = false
			p.state.Paper = printer.PaperOut
			rest := b[i+1:]
			// The request may wait in the buffer behind this step of the
			// mechanism: it came with the ticket all the same.
			n = len(pidRequest) + 4
			if ahead := append(rest[:len(rest):len(rest)], p.queued...); len(ahead) >= n && bytes.HasPrefix(ahead, pidRequest) {
				p.print(ahead[:n])
				if k := n - len(rest); k > 0 {
					rest, p.queued = nil, p.queued[k:]
				} else {
					rest = rest[n:]
				}
			}
			p.held = append(p.held, rest...)
			return
		}
		return
	}
	if !p.pull && p.runOut >= 0 {
		if len(b) >= p.runOut {
			k := p.runOut
			p.runOut = -1
			p.print(b[:k])
			p.state.Paper = printer.PaperOut
			p.held = append(p.held, b[k:]...)
			return
		}
		p.runOut -= len(b)
	}
	p.print(b)
}

// mechanism prints what the buffer holds at PrinterOpts.PrintRate, in
// steps of printStep, until Close.
func (p *Printer) mechanism() {
	defer p.mech.Done()
	per := max(1, p.rate*int(printStep/time.Millisecond)/1000)
	for {
		select {
		case <-p.wake:
		case <-p.stop:
			return
		}
		for {
			p.mu.Lock()
			if len(p.queued) == 0 || p.pulled {
				p.mu.Unlock()
				break
			}
			n := min(per, len(p.queued))
			step := p.queued[:n]
			p.queued = p.queued[n:]
			p.feed(step)
			p.mu.Unlock()
			if err := p.send(nil); err != nil {
				return
			}
			select {
			case <-p.stop:
				return
			case <-time.After(printStep):
			}
		}
	}
}

// printStep is how often the mechanism of a printer with a PrintRate prints
// the next bytes.
const printStep = 10 * time.Millisecond
