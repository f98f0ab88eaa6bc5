package device

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"go.bug.st/serial"
)

// The kiosk's barcode and QR scanner, in keyboard-wedge mode over a serial
// line (a USB scanner in CDC-ACM mode is /dev/ttyACM0): every code arrives
// as its text followed by CR, LF or CR LF. The citizen holds up a printed
// ticket (its QR is the office's status URL) or an appointment code, and
// Run turns each line into a Scan.
//
// What comes down the line is outside input: lines are bounded
// (MaxLine), must be UTF-8 text, and a half line left by noise or an
// unplugged cable is dropped after LineTimeout instead of being glued to
// the next code.

// ScanKind says what a scanned code is.
type ScanKind int

const (
	// ScanUnknown is a readable code that is neither a ticket nor an
	// appointment: still reported, so the kiosk can say so.
	ScanUnknown ScanKind = iota
	// ScanTicketQR is the QR of one of this office's tickets: a URL matching
	// ScannerOpts.StatusURL for ScannerOpts.Site. Scan.TicketID is its id.
	ScanTicketQR
	// ScanAppointment is a code matching ScannerOpts.Appointment.
	ScanAppointment
	// ScanError is a failure: Scan.Err says which.
	ScanError
)

func (k ScanKind) String() string {
	switch k {
	case ScanUnknown:
		return "unknown"
	case ScanTicketQR:
		return "ticket"
	case ScanAppointment:
		return "appointment"
	case ScanError:
		return "error"
	}
	return "ScanKind(" + strconv.Itoa(int(k)) + ")"
}

// Scan is one line from the scanner, or a failure.
type Scan struct {
	Kind ScanKind
	// Code is the scanned text without the line end and surrounding
	// spaces: the URL of a ticket, the appointment code (as CanonCode
	// gives it, when only that form matches the pattern). Empty for
	// ScanError.
	Code string
	// TicketID is the {id} of a ScanTicketQR.
	TicketID uint64
	// Label is the {ticket} of a ScanTicketQR whose template has one (А023).
	Label string
	// Raw is the line as received, without its CR or LF; it may hold
	// invalid UTF-8 for ScanError. Empty for a port failure.
	Raw string
	// Err is set for ScanError only.
	Err error
}

func (s Scan) String() string {
	switch s.Kind {
	case ScanError:
		return fmt.Sprintf("scan error: %v", s.Err)
	case ScanTicketQR:
		return fmt.Sprintf("scan ticket %d %q", s.TicketID, s.Code)
	}
	return fmt.Sprintf("scan %s %q", s.Kind, s.Code)
}

// ScannerOpts configures OpenScanner. nil means DefaultScannerOpts; a zero
// field means its default.
type ScannerOpts struct {
	// StatusURL is the template of the ticket QR, the office's status_url:
	// {site}, {id} and {ticket} stand for the site, the ticket id and its
	// label. It must hold {id}. Empty: no code is a ticket. It and Site are
	// filled from the office's configuration, not the scanner's.
	StatusURL string `yaml:"-"`
	// Site is this office's site: a ticket of another site is ScanUnknown.
	Site string `yaml:"-"`
	// Appointment is the regular expression (RE2) an appointment code
	// matches as a whole; "" means DefaultAppointment.
	Appointment string `yaml:"appointment"`
	// MaxLine is the longest line kept, in bytes; 0 means 512.
	MaxLine int `yaml:"max_line"`
	// LineTimeout is how long a line may pause between bytes before what
	// came is dropped as ErrScanIncomplete; 0 means 2s. A scanner sends a
	// code in one burst.
	LineTimeout time.Duration `yaml:"line_timeout"`
	// Backoff is the first wait before reopening a lost port; it doubles
	// up to MaxBackoff. 0 means 250ms and 5s.
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// Clock times the backoff; nil means SystemClock.
	Clock Clock `yaml:"-"`
}

// DefaultAppointment matches the codes of the booking site.
const DefaultAppointment = `^[A-Z0-9]{6,12}$`

// DefaultScannerOpts are the options OpenScanner uses for nil.
var DefaultScannerOpts = ScannerOpts{
	Appointment: DefaultAppointment,
	MaxLine:     512,
	LineTimeout: 2 * time.Second,
	Backoff:     250 * time.Millisecond,
	MaxBackoff:  5 * time.Second,
}

// defaultBaud is what scanners ship set to.
const defaultBaud = 9600

// Scanner is a barcode and QR scanner on a serial port. Run reads it; Close
// stops it for good.
type Scanner struct {
	// Immutable.
	spec string // normalised
	path string
	mode serial.Mode
	opts ScannerOpts

	parse atomic.Pointer[classifier] // SetStatusURL replaces it

	mu      sync.Mutex
	closed  bool
	running *run
	port    serial.Port // open during Run, nil between
	err     error       // why the port is not open; nil while it is
}

// OpenScanner returns the scanner named by spec:
//
//	serial:/dev/ttyACM0?baud=9600
//
// baud is optional (9600); the line is 8N1. OpenScanner fails only for a
// bad spec (ErrBadSpec) or options (ErrInvalidOpts): the port is opened by
// Run and reopened when lost, so the kiosk starts before the scanner is
// plugged in.
func OpenScanner(spec string, opts *ScannerOpts) (*Scanner, error) {
	path, baud, err := parseScannerSpec(spec)
	if err != nil {
		return nil, err
	}
	o := DefaultScannerOpts
	if opts != nil {
		o = *opts
	}
	if err := o.fill(); err != nil {
		return nil, fmt.Errorf("device: scanner %s: %w", spec, err)
	}
	c, err := newClassifier(o)
	if err != nil {
		return nil, fmt.Errorf("device: scanner %s: %w", spec, err)
	}
	s := &Scanner{
		spec: fmt.Sprintf("serial:%s?baud=%d", path, baud),
		path: path,
		mode: serial.Mode{BaudRate: baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit},
		opts: o,
	}
	s.parse.Store(c)
	s.err = fmt.Errorf("%w: %s: not opened yet", ErrScannerOffline, s)
	return s, nil
}

// SetStatusURL makes the scanner tell tickets by statusURL (see
// ScannerOpts.StatusURL) from the next line it reads: the office's
// template changed. A template it cannot use (no {id}) is an error, and the
// scanner goes on with the one it had.
func (s *Scanner) SetStatusURL(statusURL string) error {
	o := s.opts
	o.StatusURL = statusURL
	c, err := newClassifier(o)
	if err != nil {
		return fmt.Errorf("device: scanner %s: %w", s.spec, err)
	}
	s.parse.Store(c)
	return nil
}

func (o *ScannerOpts) fill() error {
	d := DefaultScannerOpts
	for _, f := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{{"line_timeout", &o.LineTimeout, d.LineTimeout}, {"backoff", &o.Backoff, d.Backoff}, {"max_backoff", &o.MaxBackoff, d.MaxBackoff}} {
		if *f.v < 0 {
			return fmt.Errorf("%w: %s is negative (%s)", ErrInvalidOpts, f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if o.MaxBackoff < o.Backoff {
		return fmt.Errorf("%w: max_backoff (%s) is shorter than backoff (%s)", ErrInvalidOpts, o.MaxBackoff, o.Backoff)
	}
	if o.MaxLine < 0 {
		return fmt.Errorf("%w: max_line is negative (%d)", ErrInvalidOpts, o.MaxLine)
	}
	if o.MaxLine == 0 {
		o.MaxLine = d.MaxLine
	}
	if o.Appointment == "" {
		o.Appointment = d.Appointment
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	return nil
}

func parseScannerSpec(spec string) (path string, baud int, err error) {
	bad := func(format string, a ...any) (string, int, error) {
		return "", 0, fmt.Errorf("%w %q: %s", ErrBadSpec, spec, fmt.Sprintf(format, a...))
	}
	rest, ok := strings.CutPrefix(spec, "serial:")
	if !ok {
		return bad("want serial:/dev/ttyACM0?baud=9600")
	}
	path, query, _ := strings.Cut(rest, "?")
	if !strings.HasPrefix(path, "/") {
		return bad("serial device %q is not an absolute path", path)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return bad("query: %v", err)
	}
	baud = defaultBaud
	for key, vals := range q {
		v := vals[len(vals)-1]
		switch key {
		case "baud":
			n, err := strconv.Atoi(v)
			if err != nil || n < 50 || n > 4000000 {
				return bad("parameter baud: %q is not a baud rate (50..4000000, usually 9600)", v)
			}
			baud = n
		default:
			return bad("unknown parameter %q (only baud)", key)
		}
	}
	return path, baud, nil
}

// String returns the normalised spec: Scanner(serial:/dev/ttyACM0?baud=9600).
func (s *Scanner) String() string { return "Scanner(" + s.spec + ")" }

// Err returns nil while the port is open, else why it is not (wrapping
// ErrScannerOffline), for a health page. Before the first Run it says the
// port was not opened yet.
func (s *Scanner) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Run opens the port and calls out, from the calling goroutine, for each
// line and each failure, until ctx is done (it returns ctx.Err()) or Close
// is called (it returns nil). A port that cannot be opened or fails is
// reported once as ScanError wrapping ErrScannerOffline and reopened after
// a backoff, until it works again. out must return quickly, and must not
// call Close, which waits for Run. Only one Run at a time: a second returns
// ErrRunning; after Close, Run returns ErrClosed.
func (s *Scanner) Run(ctx context.Context, out func(Scan)) error {
	r, err := s.begin()
	if err != nil {
		return err
	}
	defer s.end(r)
	defer context.AfterFunc(ctx, func() { s.halt(r) })()
	if out == nil {
		out = func(Scan) {}
	}

	backoff := s.opts.Backoff
	outage := false // the current outage was reported
	for {
		port, err := s.open(r)
		if r.stopped() {
			return ctx.Err()
		}
		if err == nil {
			outage = false
			var got bool
			got, err = s.read(port, out)
			s.drop(port)
			if r.stopped() {
				return ctx.Err()
			}
			if got {
				backoff = s.opts.Backoff
			}
			err = fmt.Errorf("%w: %s: %v", ErrScannerOffline, s, err)
		} else {
			err = fmt.Errorf("%w: %s: cannot open: %v", ErrScannerOffline, s, err)
		}
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		if !outage {
			out(Scan{Kind: ScanError, Err: err})
			outage = true
		}
		select {
		case <-s.opts.Clock.After(backoff):
		case <-r.stop:
			return ctx.Err()
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
}

// open opens the port and makes it the one halt closes.
func (s *Scanner) open(r *run) (serial.Port, error) {
	mode := s.mode
	p, err := serial.Open(s.path, &mode)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.stopped() {
		// halt has been and gone: it cannot see this port.
		_ = p.Close()
		return nil, ErrClosed
	}
	s.port, s.err = p, nil
	return p, nil
}

// drop closes p, unless halt took it first.
func (s *Scanner) drop(p serial.Port) {
	s.mu.Lock()
	if s.port == p {
		s.port = nil
	}
	s.mu.Unlock()
	_ = p.Close() // closing twice is harmless in go.bug.st/serial
}

// read reads lines from p until it fails. got reports whether any byte
// came, which makes the port worth a fresh backoff.
func (s *Scanner) read(p serial.Port, out func(Scan)) (got bool, err error) {
	l := liner{max: s.opts.MaxLine}
	emit := func(line []byte, err error) {
		if err != nil {
			out(Scan{Kind: ScanError, Raw: string(line), Err: err})
			return
		}
		if sc := s.parse.Load().parse(line); sc.Kind == ScanError || sc.Code != "" {
			out(sc) // a line of spaces is nothing
		}
	}
	buf := make([]byte, 256)
	timeout := serial.NoTimeout
	for {
		// Wait without limit between lines, LineTimeout within one.
		want := serial.NoTimeout
		if l.pending() {
			want = s.opts.LineTimeout
		}
		if want != timeout {
			if err := p.SetReadTimeout(want); err != nil {
				return got, err
			}
			timeout = want
		}
		n, err := p.Read(buf)
		if n > 0 {
			got = true
			l.feed(buf[:n], emit)
		}
		if err != nil {
			return got, err
		}
		if n == 0 {
			// go.bug.st/serial reports its read timeout as 0 bytes and no
			// error: the line stalled.
			l.stall(s.opts.LineTimeout, emit)
		}
	}
}

func (s *Scanner) begin() (*run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("device: %s: %w", s, ErrClosed)
	}
	if s.running != nil {
		return nil, fmt.Errorf("device: %s: %w", s, ErrRunning)
	}
	s.running = &run{stop: make(chan struct{}), done: make(chan struct{})}
	return s.running, nil
}

func (s *Scanner) end(r *run) {
	s.mu.Lock()
	s.running = nil
	if s.closed {
		s.err = fmt.Errorf("device: %s: %w", s, ErrClosed)
	}
	s.mu.Unlock()
	close(r.done)
}

// halt stops r and closes the port, which wakes a Read blocked on it.
func (s *Scanner) halt(r *run) {
	r.halt()
	s.mu.Lock()
	p := s.port
	s.port = nil
	s.mu.Unlock()
	if p != nil {
		_ = p.Close()
	}
}

// Close stops Run, closing the port, and returns once Run has returned. It
// is idempotent; Run cannot be called afterwards.
func (s *Scanner) Close() error {
	s.mu.Lock()
	s.closed = true
	r := s.running
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	s.halt(r)
	<-r.done
	return nil
}

func (r *run) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// liner cuts a byte stream into lines at CR and LF. It keeps at most max
// bytes: the rest of a longer line is dropped up to its end.
type liner struct {
	max      int
	buf      []byte
	dropping bool // the line outgrew max and was reported
}

// pending reports whether a line has started and not ended.
func (l *liner) pending() bool { return len(l.buf) > 0 || l.dropping }

// feed calls emit for each line ended in b, or with an error for a line too
// long. Empty lines (the LF of CR LF) are skipped.
func (l *liner) feed(b []byte, emit func(line []byte, err error)) {
	for _, c := range b {
		switch {
		case c == '\r' || c == '\n':
			if len(l.buf) > 0 {
				emit(l.buf, nil)
			}
			l.buf, l.dropping = l.buf[:0], false
		case l.dropping:
		case len(l.buf) == l.max:
			emit(l.buf, fmt.Errorf("%w: more than %d bytes without CR or LF; dropped", ErrScanTooLong, l.max))
			l.buf, l.dropping = l.buf[:0], true
		default:
			l.buf = append(l.buf, c)
		}
	}
}

// stall drops a line that stopped arriving. The rest of a line too long
// was reported already.
func (l *liner) stall(after time.Duration, emit func(line []byte, err error)) {
	if len(l.buf) > 0 {
		emit(l.buf, fmt.Errorf("%w: %d bytes, then nothing for %s; dropped", ErrScanIncomplete, len(l.buf), after))
	}
	l.buf, l.dropping = l.buf[:0], false
}

// classifier tells tickets, appointments and the rest apart. It is pure.
type classifier struct {
	ticket      *regexp.Regexp // nil: no status URL
	idGroups    []int          // submatch indexes of {id}
	labelGroups []int          // of {ticket}
	appointment *regexp.Regexp
	// products: the default appointment pattern also matches the digits
	// of a product's barcode (EAN-8, UPC-A) that a citizen may hold up:
	// one with a right check digit is no appointment. An office's own
	// pattern says what its codes are.
	products bool
}

// placeholders of the status URL, as the office fills them.
var placeholder = regexp.MustCompile(`\{(site|id|ticket)\}`)

func newClassifier(o ScannerOpts) (*classifier, error) {
	app, err := regexp.Compile(`^(?:` + o.Appointment + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%w: appointment pattern: %v", ErrInvalidOpts, err)
	}
	c := &classifier{appointment: app, products: o.Appointment == DefaultAppointment}
	if o.StatusURL == "" {
		return c, nil
	}
	var (
		re    strings.Builder
		last  int
		group int
	)
	// In any case, the site too: a scanner in its upper-case mode reads a
	// whole URL so (sites that differ only in case, on one broker, would
	// read each other's tickets: name them apart).
	re.WriteString(`(?i)^`)
	for _, m := range placeholder.FindAllStringSubmatchIndex(o.StatusURL, -1) {
		re.WriteString(regexp.QuoteMeta(o.StatusURL[last:m[0]]))
		last = m[1]
		switch o.StatusURL[m[2]:m[3]] {
		case "site":
			re.WriteString(regexp.QuoteMeta(o.Site))
		case "id":
			group++
			c.idGroups = append(c.idGroups, group)
			// Canonical decimal only, as strconv.FormatUint writes it.
			re.WriteString(`(0|[1-9][0-9]{0,19})`)
		case "ticket":
			group++
			c.labelGroups = append(c.labelGroups, group)
			re.WriteString(`([^/?#&\s]+)`)
		}
	}
	re.WriteString(regexp.QuoteMeta(o.StatusURL[last:]))
	re.WriteString(`$`)
	if len(c.idGroups) == 0 {
		return nil, fmt.Errorf("%w: status_url %q has no {id}: a scanned ticket could not be told", ErrInvalidOpts, o.StatusURL)
	}
	if c.ticket, err = regexp.Compile(re.String()); err != nil {
		return nil, fmt.Errorf("%w: status_url %q: %v", ErrInvalidOpts, o.StatusURL, err)
	}
	return c, nil
}

// parse classifies one line, without its CR or LF.
func (c *classifier) parse(line []byte) Scan {
	s := Scan{Raw: string(line)}
	if err := checkText(line); err != nil {
		s.Kind, s.Err = ScanError, err
		return s
	}
	s.Code = strings.TrimSpace(s.Raw)
	switch {
	case c.ticketOf(&s):
		s.Kind = ScanTicketQR
	case c.appointmentOf(&s):
		s.Kind = ScanAppointment
	default:
		s.Kind = ScanUnknown
	}
	return s
}

// appointmentOf reports whether s is an appointment code, as scanned or
// as CanonCode gives it (a code shown as k7m2-qx9a on a phone, a scanner
// in its lower-case mode), and then sets its Code to the form that
// matched. Text with spaces is read as scanned: words are no code.
func (c *classifier) appointmentOf(s *Scan) bool {
	forms := []string{s.Code}
	if !strings.ContainsRune(s.Code, ' ') {
		forms = append(forms, CanonCode(s.Code))
	}
	for _, code := range forms {
		if c.appointment.MatchString(code) && !(c.products && productCode(code)) {
			s.Code = code
			return true
		}
	}
	return false
}

// CanonCode is an appointment code as it is issued, from one as a person
// may type it or a booking site show it: in lower case, with spaces or
// dashes (k7m2 qx9a, K7M2-QX9A).
func CanonCode(s string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s)))
}

// productCode reports whether code is a product's barcode: 8 or 12
// digits (EAN-8, UPC-A) whose last is the GS1 check digit of the others.
func productCode(code string) bool {
	if len(code) != 8 && len(code) != 12 {
		return false
	}
	sum := 0
	for i := len(code) - 2; i >= 0; i-- {
		d := int(code[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if (len(code)-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	last := int(code[len(code)-1] - '0')
	return last >= 0 && last <= 9 && (10-sum%10)%10 == last
}

// ticketOf fills in the id and label of a ticket URL.
func (c *classifier) ticketOf(s *Scan) bool {
	if c.ticket == nil {
		return false
	}
	m := c.ticket.FindStringSubmatch(s.Code)
	if m == nil {
		return false
	}
	var id uint64
	for i, g := range c.idGroups {
		n, err := strconv.ParseUint(m[g], 10, 64)
		if err != nil || (i > 0 && n != id) {
			return false // out of range, or two different ids
		}
		id = n
	}
	var label string
	for i, g := range c.labelGroups {
		l := m[g]
		if u, err := url.PathUnescape(l); err == nil && utf8.ValidString(u) {
			l = u
		}
		if i > 0 && l != label {
			return false
		}
		label = l
	}
	s.TicketID, s.Label = id, label
	return true
}

// checkText accepts UTF-8 text without control characters but spaces.
func checkText(b []byte) error {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Errorf("%w: not UTF-8 at byte %d", ErrScanGarbage, i)
		}
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return fmt.Errorf("%w: control character %U at byte %d", ErrScanGarbage, r, i)
		}
		i += n
	}
	return nil
}
