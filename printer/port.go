package printer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// Opts configures Open. The zero value and nil mean DefaultOpts.
type Opts struct {
	// Timeout bounds every write; 0 means 2s.
	Timeout time.Duration `yaml:"timeout"`
	// ConfirmTimeout bounds the wait for a printer to print what
	// PrintConfirmed sent, counted like StatusTimeout; 0 means 5s, ample for
	// one ticket on a thermal printer.
	ConfirmTimeout time.Duration `yaml:"confirm_timeout"`
	// StatusTimeout bounds the wait for the replies to a status request, counted
	// from when the bytes sent before the request have crossed a serial line at
	// its baud rate, or could have been printed by a slow printer (printTime),
	// whichever is later (a printer answers when it reaches the request); 0
	// means 500ms. It is how long a silent printer takes to be noticed.
	StatusTimeout time.Duration `yaml:"status_timeout"`
	// Profile is the model, used by PrintTicket; nil means DefaultProfile.
	Profile *Profile `yaml:"-"`
}

// DefaultOpts are the options Open uses for nil.
var DefaultOpts = Opts{Timeout: 2 * time.Second, StatusTimeout: 500 * time.Millisecond, ConfirmTimeout: 5 * time.Second}

// chunk is the most bytes given to one write: a write that blocks on a printer out of
// flow control holds at most this much.
const chunk = 512

// Printer is a ticket printer behind one of the transports of Open. Its methods are
// for one goroutine at a time, except Close, which may be called from another
// goroutine to abort a blocked Print or Status.
type Printer struct {
	spec           spec
	timeout        time.Duration
	statusTimeout  time.Duration
	confirmTimeout time.Duration
	profile        *Profile
	// lineFree is when the bytes written so far have left a serial line at its
	// baud rate (the kernel buffers them); a status reply cannot come before.
	lineFree time.Time

	mu     sync.Mutex // guards conn, closed, asb, owed and opening, never held during I/O
	conn   conn
	closed bool
	// asb is the state the printer last told on conn by automatic status
	// back (asbOK), or last answered to Status after that; asbSeq counts
	// the messages. changes hands each message to Changes.
	asb     Status
	asbOK   bool
	asbSeq  uint64
	changes chan Status
	// jobs counts the process ID requests sent (from a random start);
	// printed is the last one the printer answered on conn, confirms
	// whether it ever answered one, and noPID that it let one go
	// unanswered while it could print before it ever answered: it has no
	// GS ( H. heard wakes a PrintConfirmed at each answer and automatic
	// status.
	jobs     uint64
	printed  uint64
	confirms bool
	noPID    bool
	heard    chan struct{}
	// owed is how many bytes the printer awaits of a command a failed
	// Print cut off (Print): sent as NULs before anything else.
	owed int
	// opening is closed when the device a call opens (get) is open, or
	// could not be; nil while none does. stop is done once Close is
	// called (closing).
	opening chan struct{}
	stop    context.Context
	closing context.CancelFunc
}

// conn is one open transport. Read returns errReadTimeout at the deadline,
// and another error once Close was called: a watcher reads until then.
type conn interface {
	write(p []byte, deadline time.Time) (int, error)
	read(p []byte, deadline time.Time) (int, error)
	discardInput()
	// watchable tells that read honours its deadline and that Close wakes
	// it, so a goroutine may read all the time (watch).
	watchable() bool
	Close() error
}

var errReadTimeout = errors.New("printer: read timed out")

// Open returns the printer named by spec:
//
//	serial:/dev/ttyUSB0?baud=19200&parity=none&databits=8&stopbits=1&flow=none
//	/dev/usb/lp0            Linux USB printer class device (any absolute path)
//	tcp://192.168.1.50:9100 raw TCP ("JetDirect"); the port defaults to 9100
//	none                    no printer: Print discards, Status reports online
//
// The serial defaults are 19200 baud, no parity, 8 data bits, 1 stop bit (8N1),
// no flow control; flow is none, rtscts or xonxoff, as the printer's DIP
// switches say (Epson's serial models hold the host with DTR/DSR, which
// their cables wire to RTS/CTS, or with XON/XOFF).
// Open fails only for a bad spec or profile: a device that cannot be opened now is
// opened again by the next Print or Status, so the kiosk starts before the printer is
// powered and survives a pulled cable.
func Open(spec string, opts *Opts) (*Printer, error) {
	s, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	o := DefaultOpts
	if opts != nil {
		o = *opts
		if o.Timeout <= 0 {
			o.Timeout = DefaultOpts.Timeout
		}
		if o.StatusTimeout <= 0 {
			o.StatusTimeout = DefaultOpts.StatusTimeout
		}
		if o.ConfirmTimeout <= 0 {
			o.ConfirmTimeout = DefaultOpts.ConfirmTimeout
		}
	}
	if o.Profile == nil {
		o.Profile, _ = LookupProfile(DefaultProfile)
	}
	if err := o.Profile.Validate(); err != nil {
		return nil, err
	}
	p := &Printer{
		spec: s, timeout: o.Timeout, statusTimeout: o.StatusTimeout, confirmTimeout: o.ConfirmTimeout,
		profile: o.Profile, changes: make(chan Status, 1), heard: make(chan struct{}, 1),
	}
	// Jobs are numbered from a random start, so that an answer a printer
	// still owes a Printer closed before (reopened after a failure) is not
	// taken for one of this one's first jobs.
	p.jobs = rand.Uint64N(10000)
	p.printed = p.jobs
	p.stop, p.closing = context.WithCancel(context.Background())
	if s.kind != kindNone {
		ctx, cancel := context.WithTimeout(context.Background(), min(o.Timeout, eagerOpen))
		defer cancel()
		_, _ = p.get(ctx) // best effort; see above
	}
	return p, nil
}

// eagerOpen bounds Open's attempt to open the device at once: a network
// printer that does not answer holds the kiosk's start no longer.
const eagerOpen = 2 * time.Second

// CheckSpec says what is wrong with a printer spec (an ErrBadSpec), or nil:
// Open would take it. It touches no device.
func CheckSpec(spec string) error {
	_, err := parseSpec(spec)
	return err
}

// WireTime is how long n bytes take on the line of a printer spec: on a
// serial line, at its baud rate; 0 on the others, which are fast enough
// not to count.
func WireTime(spec string, n int) (time.Duration, error) {
	s, err := parseSpec(spec)
	if err != nil {
		return 0, err
	}
	return s.wireTime(n), nil
}

// String returns the spec, normalised ("serial:/dev/ttyUSB0?baud=19200").
func (p *Printer) String() string { return p.spec.String() }

// Profile returns the profile the printer was opened with.
func (p *Printer) Profile() *Profile { return p.profile }

// PrintTicket lays t out with the profile and prints it.
func (p *Printer) PrintTicket(ctx context.Context, t *Ticket) error {
	b, err := p.profile.Ticket(t)
	if err != nil {
		return err
	}
	return p.Print(ctx, b)
}

// Print sends data to the printer. Each write of up to 512 bytes must complete
// within the timeout and before the deadline of ctx. On a write error or timeout the
// device is closed, to be reopened by the next call. The printer may then hold a
// partial ticket cut off inside a command whose data it still awaits (a logo's
// rows, a QR code's data): it would take the next ticket's first bytes, its ESC @
// too, for that data, and print the rest as text. So the next call first sends it
// as many NUL bytes as that command still wants (owed), and the next ticket's
// ESC @ is read as one; a printer switched off meanwhile ignores them.
func (p *Printer) Print(ctx context.Context, data []byte) error {
	if p.spec.kind == kindNone {
		return p.checkOpen()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	printed := later(p.lineFree, time.Now()).Add(printTime(p.profile, data))
	all := data
	for len(data) > 0 {
		if err := ctx.Err(); err != nil {
			p.owe(all[:len(all)-len(data)])
			return err
		}
		k := min(len(data), chunk)
		n, err := c.write(data[:k], p.deadline(ctx))
		if err != nil {
			p.owe(all[:len(all)-len(data)+max(n, 0)])
			return p.fail(c, "write", err)
		}
		p.lineFree = later(p.lineFree, time.Now()).Add(p.spec.wireTime(n))
		data = data[n:]
	}
	// Many clones answer a real-time request only when they reach it in
	// their buffer, after printing what came before it: over USB or the
	// network, where the data is all there at once, that is the wait.
	p.lineFree = later(p.lineFree, printed)
	return nil
}

// A slow printer (a clone at 90 mm/s) prints a line of font A, 24 dots
// and its spacing (lineDots), in about linePrint. An NV logo, whose height
// the bytes do not tell, counts nvLogoDots; a QR code qrModules modules of
// the profile's size (version 4); a cut the feed before it, cutDots.
const (
	linePrint  = 40 * time.Millisecond
	lineDots   = 30
	nvLogoDots = 8 * lineDots
	qrModules  = 33
	cutDots    = 4 * lineDots
)

// printTime is about how long a slow printer takes to print data: a
// bound for when it answers a request sent after it, not a promise.
func printTime(prof *Profile, data []byte) time.Duration {
	d := NewDecoder(prof)
	dots := 0
	for _, doc := range append(d.Feed(data), d.Pending()) {
		for _, l := range doc.Lines {
			dots += lineDots * max(l.Height, 1)
		}
		for _, b := range doc.Bitmaps {
			if b == nil {
				dots += nvLogoDots
			} else {
				dots += b.Rows
			}
		}
		dots += len(doc.QR)*qrModules*max(prof.QRModule, 1) + len(doc.Barcodes)*3*lineDots
		if doc.Cut {
			dots += cutDots
		}
	}
	return time.Duration(dots) * linePrint / lineDots
}

// PrintConfirmed sends data followed by a process ID request (GS ( H) and
// waits until the printer has printed it all. It returns nil once the
// printer answered the request: the ticket is printed and cut, whatever
// happens to the printer next. It returns the printer's *Condition when
// the printer told a state that stops printing first (the roll ended, the
// cover opened): the data was not all printed, and what is left waits in
// the printer's buffer (ClearBuffer). A state that came by automatic
// status back only is confirmed by a real-time status request first: four
// bytes of an echoed ticket can pass for an automatic status message, and
// a request that gets no valid answer leaves the ticket's fate unknown
// (ErrUnconfirmed), as does one that finds the printer well, unless it
// then says the ticket is printed. It returns an error wrapping
// ErrUnconfirmed when neither came within Opts.ConfirmTimeout of the line
// being free: the ticket may be on the paper or not.
//
// It returns ErrCannotConfirm, having sent nothing, when the printer
// cannot tell: its profile has no process_id, its transport cannot be read
// (a write-only lp device), or it once let a request go unanswered while
// it could print, before it ever answered one (a model without GS ( H
// under a profile that says otherwise). Print and Status are then the way.
func (p *Printer) PrintConfirmed(ctx context.Context, data []byte) error {
	if !p.profile.ProcessID || p.spec.kind == kindNone {
		return ErrCannotConfirm
	}
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	p.mu.Lock()
	_, watched := c.(*watcher)
	if !watched || p.noPID {
		p.mu.Unlock()
		return ErrCannotConfirm
	}
	p.jobs++
	job := p.jobs
	p.mu.Unlock()
	if err := p.Print(ctx, RequestProcessID(data[:len(data):len(data)], NewProcessID(job))); err != nil {
		return err
	}
	return p.awaitPrinted(ctx, c, job)
}

// confirmPoll is how often PrintConfirmed asks a printer without automatic
// status back whether it can still print.
const confirmPoll = 250 * time.Millisecond

// printedOn says whether the printer said job was printed, on connection
// c (p.mu held): an answer on an earlier connection is no answer.
func (p *Printer) printedOn(job uint64, c conn) bool { return p.printed == job && p.conn == c }

// awaitPrinted waits for the answer to the process ID request of job on c,
// or for a state that stops printing, whichever the printer tells first.
// Anything else that ends the wait once the ticket has left (the device
// gone, a status request that fails, the deadline) says nothing of the
// paper: ErrUnconfirmed.
func (p *Printer) awaitPrinted(ctx context.Context, c conn, job uint64) error {
	dl := later(p.lineFree, time.Now()).Add(p.confirmTimeout)
	ours := true // the deadline is the printer's, not the caller's
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl, ours = d, false
	}
	timeout := time.NewTimer(time.Until(dl))
	defer timeout.Stop()
	poll := time.NewTicker(confirmPoll)
	defer poll.Stop()
	unconfirmed := func(err error) error { return fmt.Errorf("%w: %w", ErrUnconfirmed, err) }
	var asked *Status // the state a status request told last
	// well is one more than the count of automatic status messages when a
	// real-time request last found the printer well; 0 before.
	var well uint64
	w := c.(*watcher)
	gone := w.done // the device went away (a pulled cable)
	for {
		// The reader takes an answer before any byte that came after it,
		// so a state read here together with the answer is never one the
		// printer told after it.
		p.mu.Lock()
		done := p.printedOn(job, c)
		st, auto, seq := p.asb, p.asbOK && p.conn == c, p.asbSeq
		p.mu.Unlock()
		if !auto && asked != nil {
			st = *asked
		}
		switch {
		case done:
			return nil
		case auto && st.Err() != nil && well != seq+1:
			// Told unasked, it may be no status at all: a line that echoes
			// the ticket back, a serial line at the wrong baud rate. Only
			// a real-time answer makes it the printer's word.
			now, err := p.Status(ctx)
			if err != nil {
				return unconfirmed(err)
			}
			if err := now.Err(); err != nil {
				return err
			}
			// Well now: the printer may still print the ticket and say so.
			// The message is not asked about again, only a newer one.
			well = seq + 1
			continue
		case asked != nil && st.Err() != nil:
			return st.Err()
		}
		select {
		case <-p.heard:
		case <-gone:
			gone = nil // one more look: the reader took all it read
			p.mu.Lock()
			done := p.printedOn(job, c)
			p.mu.Unlock()
			if !done {
				return unconfirmed(p.fail(c, "read", cmp.Or(w.err, io.EOF)))
			}
		case <-poll.C:
			if auto || ctx.Err() != nil {
				continue
			}
			st, err := p.Status(ctx)
			if err != nil {
				return unconfirmed(err)
			}
			asked = &st
		case <-timeout.C:
			p.mu.Lock()
			defer p.mu.Unlock()
			if p.printedOn(job, c) {
				return nil
			}
			// A printer that could print all along and never answered one
			// has no GS ( H: it is asked no more (until it answers one).
			if !p.confirms && ours && (auto || asked != nil) && st.Err() == nil {
				p.noPID = true
			}
			return fmt.Errorf("%w: %s did not say within %v that job %s was printed", ErrUnconfirmed, p, p.confirmTimeout, NewProcessID(job))
		case <-ctx.Done():
			return unconfirmed(ctx.Err())
		}
	}
}

// Status asks the printer for its real-time status: DLE EOT 1, 2 and 4 sent
// together, then DLE EOT 3 when the printer reports an error. A printer answers
// real-time requests in the order it receives them, so one round trip serves the
// three; the replies must arrive within Opts.StatusTimeout of the line being free
// of what was printed before. A printer that does not answer gives ErrNoReply (it
// is off, unplugged or does not support status); a condition such as paper out is
// not an error here: see Status.Err. What the printer sent unasked before the
// request is dropped; a reply that is not a status reply (ErrBadReply: a line
// at another baud rate, a profile not the printer's), even one of replies cut
// short, is asked again once, on a fresh connection.
func (p *Printer) Status(ctx context.Context) (Status, error) {
	if p.spec.kind == kindNone {
		return Status{Online: true}, p.checkOpen()
	}
	s, err := p.status(ctx)
	if errors.Is(err, ErrBadReply) {
		// One stray byte (sent unasked after the input was drained) is
		// not yet a fault: asked again, on a fresh connection. Silence
		// then does not undo the bad reply: the line talks back.
		s2, err2 := p.status(ctx)
		if !errors.Is(err2, ErrNoReply) {
			s, err = s2, err2
		}
	}
	return s, err
}

// status is one round of Status.
func (p *Printer) status(ctx context.Context) (Status, error) {
	c, err := p.get(ctx)
	if err != nil {
		return Status{}, err
	}
	c.discardInput()
	seq := p.autoSeq()
	asked := []byte{StatusPrinter, StatusOffline, StatusPaper}
	var req []byte
	for _, n := range asked {
		req = StatusRequest(req, n)
	}
	// Replies cut short (ErrNoReply, with those that came) are silence,
	// from a model that does not answer every request, unless one that
	// came is no status: a line at another baud rate, whose lost bytes
	// were taken for the start of a message the printer sends unasked.
	replies, err := p.query(ctx, c, req, len(asked))
	var s Status
	for i, r := range replies {
		if uerr := s.Update(asked[i], r); uerr != nil {
			// Out of step with the printer (a late reply, an ASB message): start over
			// on a fresh connection next time (query dropped one that timed out).
			if err == nil {
				p.drop(c)
			}
			return Status{}, fmt.Errorf("printer: status of %s: %w", p, uerr)
		}
	}
	if err != nil {
		return Status{}, err
	}
	if replies[1]&bitErrorOccur != 0 {
		r, err := p.query(ctx, c, StatusRequest(nil, StatusError), 1)
		if err != nil {
			return Status{}, err
		}
		if err := s.Update(StatusError, r[0]); err != nil {
			p.drop(c)
			return Status{}, fmt.Errorf("printer: status of %s: %w", p, err)
		}
	}
	p.answered(c, s, seq)
	return s, nil
}

// ClearBuffer makes the printer discard what it received and has not
// printed (ClearBuffer in escpos.go), and returns once it confirmed. A
// kiosk sends it after a ticket failed midway, so that the rest of a voided
// ticket never prints when the roll is changed. Only for a profile with
// ClearBuffer: other models print the command's bytes or ignore them.
func (p *Printer) ClearBuffer(ctx context.Context) error {
	if p.spec.kind == kindNone {
		return p.checkOpen()
	}
	c, err := p.get(ctx)
	if err != nil {
		return err
	}
	c.discardInput()
	r, err := p.query(ctx, c, ClearBuffer(nil), len(ClearResponse))
	if err != nil {
		return err
	}
	if [3]byte(r) != ClearResponse {
		p.drop(c)
		return fmt.Errorf("printer: %s answered the buffer clear with % X, want % X", p, r, ClearResponse[:])
	}
	return nil
}

// query writes the real-time requests req and reads n one-byte replies.
// Replies that stop short are ErrNoReply, returned with those that came.
func (p *Printer) query(ctx context.Context, c conn, req []byte, n int) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dl := later(p.lineFree, time.Now()).Add(p.statusTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if _, err := c.write(req, dl); err != nil {
		return nil, p.fail(c, "write", err)
	}
	buf := make([]byte, n)
	for got := 0; got < n; {
		k, err := c.read(buf[got:], dl)
		got += k
		if err != nil && got < n {
			if errors.Is(err, errReadTimeout) {
				// A late reply would be read as the answer to the next request.
				p.drop(c)
				if p.isClosed() {
					return nil, ErrClosed
				}
				return buf[:got], fmt.Errorf("%w to % X from %s within %v (%d of %d)", ErrNoReply, req, p, p.statusTimeout, got, n)
			}
			return nil, p.fail(c, "read", err)
		}
	}
	return buf, nil
}

// Close closes the device and wakes a Print or Status blocked on it. It is
// idempotent; the Printer cannot be used afterwards.
func (p *Printer) Close() error {
	p.mu.Lock()
	c := p.conn
	p.conn, p.closed = nil, true
	p.mu.Unlock()
	p.closing() // an open under way gives up
	if c != nil {
		return c.Close()
	}
	return nil
}

func (p *Printer) checkOpen() error {
	if p.isClosed() {
		return ErrClosed
	}
	return nil
}

func (p *Printer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// get returns the open connection, opening the device if needed. A profile
// with automatic status back has its connections read all the time (watch)
// and asks the printer for it as soon as one is open.
func (p *Printer) get(ctx context.Context) (conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if p.conn != nil {
		c := p.conn
		p.mu.Unlock()
		if err := p.pay(ctx, c); err != nil {
			return nil, err
		}
		return c, nil
	}
	if ch := p.opening; ch != nil {
		// Another call opens it: its connection, or its error, is this
		// one's too.
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return p.get(ctx)
	}
	// Opened without the lock (a dial to a network printer that does not
	// answer takes the whole timeout), and given up when Close is called.
	ch := make(chan struct{})
	p.opening = ch
	p.mu.Unlock()
	octx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(p.stop, cancel)
	c, err := p.spec.open(octx, p.timeout)
	stop()
	cancel()
	p.mu.Lock()
	p.opening = nil
	close(ch)
	if p.closed {
		p.mu.Unlock()
		if err == nil {
			c.Close()
		}
		return nil, ErrClosed
	}
	if err != nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("printer: %s: %w", p, err)
	}
	watch := c.watchable()
	asb := p.profile.ASB && watch
	if (asb || p.profile.ProcessID) && watch {
		w := &watcher{conn: c}
		w.start(func(s Status) { p.gotASB(w, s) }, func(id ProcessID) { p.gotProcessID(w, id) })
		c = w
	}
	p.conn = c
	p.mu.Unlock()
	if err := p.pay(ctx, c); err != nil {
		return nil, err
	}
	if asb {
		if _, err := c.write(AutoStatus(nil, ASBAll), p.deadline(ctx)); err != nil {
			return nil, p.fail(c, "write", err)
		}
	}
	return c, nil
}

// owe notes what the printer still awaits of a ticket cut off after sent:
// the next call gives it (pay).
func (p *Printer) owe(sent []byte) {
	n := unfinished(p.profile, sent)
	p.mu.Lock()
	p.owed = n
	p.mu.Unlock()
}

// pay sends the NUL bytes owed on c, if any, before anything else.
func (p *Printer) pay(ctx context.Context, c conn) error {
	p.mu.Lock()
	n := p.owed
	p.mu.Unlock()
	if n == 0 {
		return nil
	}
	for zeros := make([]byte, min(n, chunk)); n > 0; {
		k, err := c.write(zeros[:min(n, len(zeros))], p.deadline(ctx))
		if err != nil {
			return p.fail(c, "write", err)
		}
		n -= k
		p.mu.Lock()
		p.owed = n
		p.mu.Unlock()
	}
	return nil
}

// drop forgets c, if it is still the current connection, and closes it.
func (p *Printer) drop(c conn) {
	p.mu.Lock()
	if p.conn == c {
		p.conn, p.asbOK = nil, false
	}
	p.mu.Unlock()
	_ = c.Close()
}

// autoSeq is the count of automatic status messages taken so far.
func (p *Printer) autoSeq() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asbSeq
}

// answered takes the state c answered to a status request made when seq
// messages had come: it is the newest word of a printer with automatic
// status back unless a message came meanwhile, and it mends a message the
// line lost.
func (p *Printer) answered(c conn, s Status, seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == c && p.asbOK && p.asbSeq == seq {
		p.asb = s
	}
}

// gotASB takes an automatic status message read on the connection w.
func (p *Printer) gotASB(w conn, s Status) {
	p.mu.Lock()
	current := p.conn == w
	if current {
		p.asb, p.asbOK = s, true
		p.asbSeq++
	}
	p.mu.Unlock()
	if !current {
		return
	}
	p.hear()
	// The newest state replaces one not taken yet: a reader of Changes
	// wants the printer as it is, not its history.
	select {
	case p.changes <- s:
		return
	default:
	}
	select {
	case <-p.changes:
	default:
	}
	select {
	case p.changes <- s:
	default:
	}
}

// gotProcessID takes the answer to a process ID request read on the
// connection w: the job it names is printed.
func (p *Printer) gotProcessID(w conn, id ProcessID) {
	p.mu.Lock()
	if p.conn == w {
		for job := p.jobs; job > p.printed && job+10000 > p.jobs; job-- {
			if NewProcessID(job) == id {
				p.printed, p.confirms, p.noPID = job, true, false
				break
			}
		}
	}
	p.mu.Unlock()
	p.hear()
}

// hear wakes a PrintConfirmed waiting for the printer.
func (p *Printer) hear() {
	select {
	case p.heard <- struct{}{}:
	default:
	}
}

// AutoStatus returns the printer's state as it last told it on its current
// connection, by automatic status back (GS a) or, after that, in answer to
// Status. ok is false when it has sent no automatic status since it was
// opened: a profile without ASB, a transport that cannot be read (a
// write-only lp device), a printer that does not answer, one unplugged since.
// A printer with ASB tells every change of the state at once, so a state
// that is ok here is current for as long as the printer is alive; that it
// still is, only a status request (Status) or a write can tell.
func (p *Printer) AutoStatus() (s Status, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.asb, p.asbOK
}

// Changes delivers the states the printer sends by automatic status back, as
// they come: at once when its connection is opened, then at every change of
// paper, cover, errors or online. A state not received yet is replaced by a
// newer one. The channel is never closed.
func (p *Printer) Changes() <-chan Status { return p.changes }

// fail drops the connection after an I/O error so the next call reopens the device
// (a USB printer that was unplugged comes back under the same path).
func (p *Printer) fail(c conn, op string, err error) error {
	p.drop(c)
	if p.isClosed() {
		return ErrClosed
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, errReadTimeout) {
		err = ErrTimeout
	}
	return fmt.Errorf("printer: %s %s: %w", op, p, err)
}

func (p *Printer) deadline(ctx context.Context) time.Time {
	dl := time.Now().Add(p.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	return dl
}

// ---- specs

type kind int

const (
	kindNone kind = iota
	kindSerial
	kindFile
	kindTCP
)

type spec struct {
	kind kind
	path string // device path or host:port
	mode serial.Mode
	flow Flow
}

// Flow is the flow control of a serial line: how a printer whose buffer is
// full holds the host back.
type Flow int

// Flow controls of a serial line (the flow parameter of a serial spec).
const (
	FlowNone    Flow = iota // none: the printer must keep up (a pty, USB-serial printers)
	FlowRTSCTS              // hardware, RTS/CTS (a printer's DTR/DSR wired to them)
	FlowXONXOFF             // software, XON/XOFF
)

var flowNames = map[Flow]string{FlowNone: "none", FlowRTSCTS: "rtscts", FlowXONXOFF: "xonxoff"}

func (f Flow) String() string {
	if n, ok := flowNames[f]; ok {
		return n
	}
	return fmt.Sprintf("Flow(%d)", int(f))
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// wireTime is how long n bytes take on the line: a start bit, the data bits,
// the parity bit and the stop bits each, at the baud rate. Only a serial line
// is slow enough to count.
func (s spec) wireTime(n int) time.Duration {
	if s.kind != kindSerial || s.mode.BaudRate <= 0 {
		return 0
	}
	bits := 1 + s.mode.DataBits + 1 // start, data, one stop bit
	if s.mode.Parity != serial.NoParity {
		bits++
	}
	if s.mode.StopBits != serial.OneStopBit {
		bits++
	}
	return time.Duration(n*bits) * time.Second / time.Duration(s.mode.BaudRate)
}

func (s spec) String() string {
	switch s.kind {
	case kindSerial:
		q := fmt.Sprintf("serial:%s?baud=%d", s.path, s.mode.BaudRate)
		if s.mode.Parity != serial.NoParity {
			q += "&parity=" + parityNames[s.mode.Parity]
		}
		if s.mode.DataBits != 8 {
			q += "&databits=" + strconv.Itoa(s.mode.DataBits)
		}
		if s.mode.StopBits != serial.OneStopBit {
			q += "&stopbits=" + stopBitsNames[s.mode.StopBits]
		}
		if s.flow != FlowNone {
			q += "&flow=" + s.flow.String()
		}
		return q
	case kindFile:
		return s.path
	case kindTCP:
		return "tcp://" + s.path
	}
	return "none"
}

var parityNames = map[serial.Parity]string{
	serial.NoParity: "none", serial.OddParity: "odd", serial.EvenParity: "even",
	serial.MarkParity: "mark", serial.SpaceParity: "space",
}

var stopBitsNames = map[serial.StopBits]string{
	serial.OneStopBit: "1", serial.OnePointFiveStopBits: "1.5", serial.TwoStopBits: "2",
}

// named is the value that names calls v, in any case.
func named[T comparable](names map[T]string, v string) (T, bool) {
	for t, name := range names {
		if strings.EqualFold(v, name) {
			return t, true
		}
	}
	var zero T
	return zero, false
}

func parseSpec(str string) (spec, error) {
	bad := func(format string, a ...any) (spec, error) {
		return spec{}, fmt.Errorf("%w %q: %s", ErrBadSpec, str, fmt.Sprintf(format, a...))
	}
	switch {
	case str == "none":
		return spec{kind: kindNone}, nil
	case strings.HasPrefix(str, "serial:"):
		path, query, _ := strings.Cut(strings.TrimPrefix(str, "serial:"), "?")
		if !strings.HasPrefix(path, "/") && !strings.HasPrefix(strings.ToUpper(path), "COM") {
			return bad("serial device %q is not a path", path)
		}
		s := spec{kind: kindSerial, path: path, mode: serial.Mode{BaudRate: 19200, DataBits: 8}}
		q, err := url.ParseQuery(query)
		if err != nil {
			return bad("query: %v", err)
		}
		for key, vals := range q {
			v := vals[len(vals)-1]
			switch key {
			case "baud":
				n, err := strconv.Atoi(v)
				if err != nil || n < 50 || n > 4000000 {
					return bad("baud %q is not a baud rate", v)
				}
				s.mode.BaudRate = n
			case "parity":
				var ok bool
				if s.mode.Parity, ok = named(parityNames, v); !ok {
					return bad("parity %q (none, odd, even, mark, space)", v)
				}
			case "databits":
				n, err := strconv.Atoi(v)
				if err != nil || n < 5 || n > 8 {
					return bad("databits %q (5..8)", v)
				}
				s.mode.DataBits = n
			case "stopbits":
				var ok bool
				if s.mode.StopBits, ok = named(stopBitsNames, v); !ok {
					return bad("stopbits %q (1, 1.5, 2)", v)
				}
			case "flow":
				var ok bool
				if s.flow, ok = named(flowNames, v); !ok {
					return bad("flow %q (none, rtscts, xonxoff)", v)
				}
			default:
				return bad("unknown parameter %q (baud, parity, databits, stopbits, flow)", key)
			}
		}
		return s, nil
	case strings.HasPrefix(str, "tcp://"):
		u, err := url.Parse(str)
		if err != nil {
			return bad("%v", err)
		}
		if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return bad("want tcp://host:port")
		}
		port := u.Port()
		if port == "" {
			port = "9100"
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("port %q", port)
		}
		return spec{kind: kindTCP, path: net.JoinHostPort(u.Hostname(), port)}, nil
	case strings.HasPrefix(str, "/"):
		return spec{kind: kindFile, path: str}, nil
	}
	return bad("want serial:/dev/ttyX?baud=N, /dev/usb/lpN, tcp://host:port or none")
}

func (s spec) open(ctx context.Context, timeout time.Duration) (conn, error) {
	switch s.kind {
	case kindSerial:
		if ch, ok := closingPorts.Load(s.path); ok {
			select {
			case <-ch.(chan struct{}):
			default:
				return nil, fmt.Errorf("%s is still closing: the tty waits for the printer to take what was written to it", s.path)
			}
		}
		mode := s.mode
		port, err := serial.Open(s.path, &mode)
		if err != nil {
			return nil, err
		}
		if s.flow != FlowNone {
			if err := setFlow(port, s.flow); err != nil {
				port.Close()
				return nil, fmt.Errorf("flow control %s: %w", s.flow, err)
			}
		}
		return &serialConn{port: port, path: s.path}, nil
	case kindFile:
		f, err := os.OpenFile(s.path, os.O_RDWR, 0)
		if err != nil {
			// Some printer devices are write-only; status then gets no reply,
			// as it does from one that opens for reading and then refuses
			// to read (fileConn.read).
			var err2 error
			if f, err2 = os.OpenFile(s.path, os.O_WRONLY, 0); err2 != nil {
				return nil, err
			}
			return &fileConn{f: f}, nil
		}
		return &fileConn{f: f, readable: true}, nil
	case kindTCP:
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, "tcp", s.path)
		if err != nil {
			return nil, err
		}
		return &netConn{c: c}, nil
	}
	return nil, fmt.Errorf("%w: nothing to open", ErrBadSpec)
}

// ---- transports

// serialConn is a serial port. go.bug.st/serial has read timeouts but no write
// deadline, so writes run under a timer (writeTimed).
type serialConn struct {
	port serial.Port
	path string
}

func (c *serialConn) write(p []byte, dl time.Time) (int, error) {
	return writeTimed(c.port, p, dl)
}

func (c *serialConn) read(p []byte, dl time.Time) (int, error) {
	if err := c.port.SetReadTimeout(max(time.Until(dl), time.Millisecond)); err != nil {
		return 0, err
	}
	n, err := c.port.Read(p)
	if n == 0 && err == nil {
		// go.bug.st/serial reports its read timeout as 0 bytes and no error.
		return 0, errReadTimeout
	}
	return n, err
}

func (c *serialConn) discardInput() { _ = c.port.ResetInputBuffer() }

// serialCloseWait bounds how long Close waits for a serial port. Closing
// a tty with output the printer has not taken (RTS/CTS flow control holds
// it: an Epson reports busy while its cover is open or its paper out, and
// then the status requests wait too) waits in the kernel for it to drain,
// up to its closing_wait, 30 s by default: the kiosk must not stop that
// long. The close goes on in the background, and what the printer had not
// taken is not thrown away (it may be the end of a ticket). Until it ends,
// the device is not opened again (closingPorts).
const serialCloseWait = time.Second

// closingPorts are the serial devices (path → a channel closed when done)
// whose close may still wait for the tty to drain. Opened again meanwhile,
// the kernel would shut the port down under the new handle when the old
// close ends; such an open fails instead, as a printer not there does,
// and the next poll tries again.
var closingPorts sync.Map

func (c *serialConn) Close() error {
	done := make(chan struct{})
	var err error
	closingPorts.Store(c.path, done)
	go func() {
		err = c.port.Close()
		close(done)
		closingPorts.CompareAndDelete(c.path, done)
	}()
	select {
	case <-done:
		return err
	case <-time.After(serialCloseWait):
		return nil
	}
}

// fileConn is a printer device file such as /dev/usb/lp0. Linux usblp supports poll,
// so the runtime poller gives it deadlines; a file without them falls back to timed
// writes and gets no status.
type fileConn struct {
	f        deviceFile
	readable bool // opened for reading too
	// closed is set by Close: a read then fails for good, where the
	// device's own error after a close (a failed SetReadDeadline) would
	// pass for a printer that does not answer, and keep a watcher
	// reading a closed device forever.
	closed atomic.Bool
}

// deviceFile is what fileConn uses of an *os.File.
type deviceFile interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

func (c *fileConn) write(p []byte, dl time.Time) (int, error) {
	if err := c.f.SetWriteDeadline(dl); err != nil {
		return writeTimed(c.f, p, dl)
	}
	return c.f.Write(p)
}

func (c *fileConn) read(p []byte, dl time.Time) (int, error) {
	if c.closed.Load() {
		return 0, os.ErrClosed
	}
	if err := c.f.SetReadDeadline(dl); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return 0, err
		}
		return 0, errReadTimeout // cannot wait safely: treat as no reply
	}
	n, err := c.f.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) || (n == 0 && (err == nil || err == io.EOF)) {
		return 0, errReadTimeout
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.EIO) {
		// Linux usblp opens a printer without a bidirectional
		// interface for reading, then refuses every read (EINVAL), and
		// fails one whose transfer failed (EIO): such a printer cannot
		// answer, like one that does not, so the kiosk prints without
		// status checks rather than refusing every press.
		return 0, errReadTimeout
	}
	return n, err
}

func (c *fileConn) discardInput() {
	if c.readable {
		drainInput(c)
	}
}

func (c *fileConn) Close() error {
	c.closed.Store(true)
	return c.f.Close()
}

// netConn is a raw TCP connection to port 9100.
type netConn struct{ c net.Conn }

func (c *netConn) write(p []byte, dl time.Time) (int, error) {
	if err := c.c.SetWriteDeadline(dl); err != nil {
		return 0, err
	}
	return c.c.Write(p)
}

func (c *netConn) read(p []byte, dl time.Time) (int, error) {
	if err := c.c.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	n, err := c.c.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, errReadTimeout
	}
	return n, err
}

func (c *netConn) discardInput() { drainInput(c) }

// Bounds of drainInput: how long each read waits for more, and how many
// bytes it drops at most.
const (
	drainWait = time.Millisecond
	drainMax  = 4096
)

// drainInput drops what c has received and nobody read, as a serial
// port's input buffer is flushed: bytes a printer sent unasked (an XON, an
// automatic status message), which the next real-time request would take
// for its reply and report a printer out of step. It stops at drainMax
// bytes, so that a printer that sends without end still gets its request.
// A read error is left for that request to meet: the next read fails
// alike.
func drainInput(c conn) {
	buf := make([]byte, 64)
	for dropped := 0; dropped < drainMax; {
		n, err := c.read(buf, time.Now().Add(drainWait))
		if err != nil || n == 0 {
			return
		}
		dropped += n
	}
}

func (c *netConn) Close() error { return c.c.Close() }

func (c *serialConn) watchable() bool { return true }

func (c *netConn) watchable() bool { return true }

// A device file can be watched when it was opened for reading and the
// runtime poller takes it (usblp): a file without read deadlines would block
// a reader that Close cannot wake.
func (c *fileConn) watchable() bool {
	return c.readable && c.f.SetReadDeadline(time.Time{}) == nil
}

// ---- automatic status back

// watchPoll bounds each read of the watcher: how soon it notices a
// connection that went away without an error (a closed serial port whose
// read only times out).
const watchPoll = 250 * time.Millisecond

// watchBuffer is how many replies nobody has read the watcher keeps; more
// are dropped (a printer answers what it is asked, a few bytes at a time).
const watchBuffer = 256

// watcher reads a connection on a goroutine of its own, so that the
// automatic status messages of a printer with ASB are taken as they come,
// unasked, and hands every other byte (the replies to real-time requests,
// in order) to read. It is the connection of a Printer whose profile has
// ASB; writes and Close go straight through.
type watcher struct {
	conn
	in   chan byte
	stop chan struct{} // closed by Close: the reader ends at its next read
	halt sync.Once
	done chan struct{}
	err  error // why the reader stopped; set before done is closed
}

var _ conn = (*watcher)(nil)

func (w *watcher) start(asb func(Status), pid func(ProcessID)) {
	w.in = make(chan byte, watchBuffer)
	w.stop = make(chan struct{})
	w.done = make(chan struct{})
	go w.run(asb, pid)
}

// run reads until the connection fails or is closed. A byte that can start
// an automatic status message begins one; the next three complete it, unless
// one of them cannot belong to it (the message was cut: the bytes are out of
// step, and reading starts over at that byte). A byte 37H begins a block
// that runs to a NUL: the answer to a process ID request goes to pid, any
// other block (the answer to a buffer clear) is handed on like a reply.
func (w *watcher) run(asb func(Status), pid func(ProcessID)) {
	defer close(w.done)
	buf := make([]byte, 64)
	msg := make([]byte, 0, ASBLen)
	blk := make([]byte, 0, maxBlock)
	for {
		dl := time.Now().Add(watchPoll)
		n, err := w.conn.read(buf, dl)
		if n == 0 && errors.Is(err, errReadTimeout) {
			// A device at its end of file "times out" at once: wait out
			// the poll rather than spin.
			t := time.NewTimer(time.Until(dl))
			select {
			case <-t.C:
			case <-w.stop:
			}
			t.Stop()
		}
		for _, c := range buf[:n] {
			if len(blk) > 0 {
				if c == 0 || c >= 32 && c <= 126 && len(blk) < maxBlock-1 {
					if blk = append(blk, c); c == 0 {
						if id, ok := ParseProcessIDResponse(blk); ok {
							pid(id)
						} else {
							w.pass(blk)
						}
						blk = blk[:0]
					}
					continue
				}
				w.pass(blk) // not a block: its bytes are replies
				blk = blk[:0]
			}
			if len(msg) > 0 && !isASBRest(c) {
				msg = msg[:0]
			}
			if len(msg) == 0 && c == blockHeader {
				blk = append(blk, c)
				continue
			}
			if len(msg) > 0 || IsASBStart(c) {
				if msg = append(msg, c); len(msg) == ASBLen {
					var s Status
					if s.UpdateASB(msg) == nil {
						asb(s)
					}
					msg = msg[:0]
				}
				continue
			}
			w.pass([]byte{c})
		}
		if err != nil && !errors.Is(err, errReadTimeout) {
			w.err = err
			return
		}
		// Closed, whatever the connection's reads say: one that cannot
		// answer (a usblp printer without a back channel) times out
		// after its Close as before it.
		select {
		case <-w.stop:
			return
		default:
		}
	}
}

// Blocks a printer sends (header to NUL) begin with blockHeader; maxBlock
// bounds the ones the watcher takes apart.
const (
	blockHeader = 0x37
	maxBlock    = 16
)

// pass hands bytes that are not automatic status to read.
func (w *watcher) pass(b []byte) {
	for _, c := range b {
		select {
		case w.in <- c:
		default: // watchBuffer replies nobody read: the oldest are kept
		}
	}
}

// read returns the next bytes that are not automatic status messages, at
// least one, or errReadTimeout at the deadline, or the error that stopped
// the reader.
func (w *watcher) read(p []byte, dl time.Time) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case p[0] = <-w.in:
	case <-w.done:
		select {
		case p[0] = <-w.in:
		default:
			if w.err == nil {
				return 0, io.EOF
			}
			return 0, w.err
		}
	case <-t.C:
		return 0, errReadTimeout
	}
	n := 1
	for ; n < len(p); n++ {
		select {
		case p[n] = <-w.in:
		default:
			return n, nil
		}
	}
	return n, nil
}

// discardInput drops the replies nobody read. The device's input buffer is
// the reader's: flushing it could cut an automatic status message.
func (w *watcher) discardInput() {
	for {
		select {
		case <-w.in:
		default:
			return
		}
	}
}

// closeWait bounds how long Close waits for the reader: the closed
// connection wakes it, or its next poll at the latest.
const closeWait = 4 * watchPoll

// Close closes the connection and waits for the reader, for closeWait at
// most: a read that the closed connection does not wake (a driver that
// does not) leaves the reader to end when it returns, rather than hold
// the kiosk, and with it the office's Close, for good.
func (w *watcher) Close() error {
	w.halt.Do(func() { close(w.stop) })
	err := w.conn.Close()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
	}
	return err
}

// writeTimed writes p in a goroutine and gives up at the deadline. The caller then
// closes the device; the goroutine ends when the blocked write fails or completes.
func writeTimed(w io.Writer, p []byte, dl time.Time) (int, error) {
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	buf := append([]byte(nil), p...) // the caller may reuse p after a timeout
	go func() {
		n, err := w.Write(buf)
		done <- result{n, err}
	}()
	t := time.NewTimer(time.Until(dl))
	defer t.Stop()
	select {
	case r := <-done:
		if r.err == nil && r.n < len(p) {
			r.err = io.ErrShortWrite
		}
		return r.n, r.err
	case <-t.C:
		return 0, ErrTimeout
	}
}

var (
	_ conn = (*serialConn)(nil)
	_ conn = (*fileConn)(nil)
	_ conn = (*netConn)(nil)
)
