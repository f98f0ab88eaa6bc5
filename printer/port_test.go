package printer

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
	"go.bug.st/serial"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in   string
		want spec
		str  string
		err  string // part of the message; "" = no error
	}{
		{in: "none", want: spec{kind: kindNone}, str: "none"},
		{in: "serial:/dev/ttyUSB0", want: spec{kind: kindSerial, path: "/dev/ttyUSB0", mode: serial.Mode{BaudRate: 19200, DataBits: 8}}, str: "serial:/dev/ttyUSB0?baud=19200"},
		{
			in:   "serial:/dev/ttyS1?baud=9600&parity=even&databits=7&stopbits=2",
			want: spec{kind: kindSerial, path: "/dev/ttyS1", mode: serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.TwoStopBits}},
			str:  "serial:/dev/ttyS1?baud=9600&parity=even&databits=7&stopbits=2",
		},
		{
			in:   "serial:/dev/ttyS0?flow=XONXOFF",
			want: spec{kind: kindSerial, path: "/dev/ttyS0", mode: serial.Mode{BaudRate: 19200, DataBits: 8}, flow: FlowXONXOFF},
			str:  "serial:/dev/ttyS0?baud=19200&flow=xonxoff",
		},
		{
			in:   "serial:/dev/ttyS0?baud=38400&flow=rtscts",
			want: spec{kind: kindSerial, path: "/dev/ttyS0", mode: serial.Mode{BaudRate: 38400, DataBits: 8}, flow: FlowRTSCTS},
			str:  "serial:/dev/ttyS0?baud=38400&flow=rtscts",
		},
		{in: "serial:/dev/ttyS0?flow=none", want: spec{kind: kindSerial, path: "/dev/ttyS0", mode: serial.Mode{BaudRate: 19200, DataBits: 8}}, str: "serial:/dev/ttyS0?baud=19200"},
		{in: "serial:/dev/ttyUSB0?flow=dtrdsr", err: `flow "dtrdsr" (none, rtscts, xonxoff)`},
		{in: "serial:/dev/ttyS1?parity=none&stopbits=1.5", want: spec{kind: kindSerial, path: "/dev/ttyS1", mode: serial.Mode{BaudRate: 19200, DataBits: 8, StopBits: serial.OnePointFiveStopBits}}, str: "serial:/dev/ttyS1?baud=19200&stopbits=1.5"},
		{in: "/dev/usb/lp0", want: spec{kind: kindFile, path: "/dev/usb/lp0"}, str: "/dev/usb/lp0"},
		{in: "tcp://192.168.1.50:9100", want: spec{kind: kindTCP, path: "192.168.1.50:9100"}, str: "tcp://192.168.1.50:9100"},
		{in: "tcp://printer.local", want: spec{kind: kindTCP, path: "printer.local:9100"}, str: "tcp://printer.local:9100"},
		{in: "tcp://[::1]:9101", want: spec{kind: kindTCP, path: "[::1]:9101"}, str: "tcp://[::1]:9101"},
		{in: "serial:/dev/ttyUSB0?baud=fast", err: `baud "fast"`},
		{in: "serial:/dev/ttyUSB0?baud=0", err: `baud "0"`},
		{in: "serial:/dev/ttyUSB0?parity=maybe", err: `parity "maybe"`},
		{in: "serial:/dev/ttyUSB0?databits=9", err: `databits "9"`},
		{in: "serial:/dev/ttyUSB0?stopbits=3", err: `stopbits "3"`},
		{in: "serial:/dev/ttyUSB0?speed=9600", err: `unknown parameter "speed"`},
		{in: "serial:/dev/ttyUSB0?baud=%zz", err: "query"},
		{in: "serial:ttyUSB0", err: "not a path"},
		{in: "tcp://:9100", err: "want tcp://host:port"},
		{in: "tcp://host:99999", err: `port "99999"`},
		{in: "tcp://host:9100/x", err: "want tcp://host:port"},
		{in: "usb:0x04b8", err: "want serial:"},
		{in: "", err: "want serial:"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSpec(tt.in)
			if tt.err != "" {
				require.ErrorIs(t, err, ErrBadSpec)
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.str, got.String())
		})
	}
}

func TestOpenNone(t *testing.T) {
	p, err := Open("none", nil)
	require.NoError(t, err)
	require.Equal(t, "none", p.String())
	require.Equal(t, DefaultProfile, p.Profile().Name)
	require.NoError(t, p.PrintTicket(context.Background(), testTicket()))
	s, err := p.Status(context.Background())
	require.NoError(t, err)
	require.NoError(t, s.Err())
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	require.ErrorIs(t, p.Print(context.Background(), []byte("x")), ErrClosed)
	_, err = p.Status(context.Background())
	require.ErrorIs(t, err, ErrClosed)
}

func TestOpenBadProfile(t *testing.T) {
	_, err := Open("none", &Opts{Profile: &Profile{Name: "x", Columns: 48, CodePage: "cp1251"}})
	require.ErrorIs(t, err, ErrInvalidProfile)
	_, err = Open("lpt1", nil)
	require.ErrorIs(t, err, ErrBadSpec)
}

// TestOpenFile prints into a plain file, as into /dev/usb/lp0; a file never answers
// status.
func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	// No call here waits out its timeout: a long one costs nothing, and a
	// loaded machine may take long to schedule the write's goroutine.
	p, err := Open(path, &Opts{Timeout: testkit.Wait})
	require.NoError(t, err)
	defer p.Close()
	tk, err := p.Profile().Ticket(testTicket())
	require.NoError(t, err)
	require.NoError(t, p.Print(context.Background(), tk))
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, tk, got)

	_, err = p.Status(context.Background())
	require.ErrorIs(t, err, ErrNoReply)
}

// refusingFile is a device file that takes every write and fails every
// read with err, as Linux usblp does for a printer without a
// bidirectional interface (EINVAL).
type refusingFile struct {
	*os.File
	err error
}

// SetReadDeadline succeeds, as for usblp, which the runtime poller takes.
func (f refusingFile) SetReadDeadline(time.Time) error { return nil }

func (f refusingFile) Read([]byte) (int, error) {
	return 0, &os.PathError{Op: "read", Path: f.Name(), Err: f.err}
}

// A USB printer class device that opens for reading and then refuses to
// read (EINVAL), or fails the read (EIO), gives no status reply, as a
// printer that does not answer: the kiosk prints without checks. Any
// other read error still fails the request.
func TestFileDeviceRefusesReads(t *testing.T) {
	for _, tt := range []struct {
		err     error
		noReply bool
	}{
		{syscall.EINVAL, true},
		{syscall.EIO, true},
		{syscall.ENODEV, false},
	} {
		t.Run(tt.err.Error(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lp0")
			require.NoError(t, os.WriteFile(path, nil, 0o644))
			p, err := Open(path, &Opts{Timeout: testkit.Wait, Profile: profile(t, "xprinter-80")})
			require.NoError(t, err)
			defer p.Close()
			p.mu.Lock()
			c := p.conn.(*fileConn)
			c.f, c.readable = refusingFile{c.f.(*os.File), tt.err}, true
			p.mu.Unlock()

			_, err = p.Status(context.Background())
			if tt.noReply {
				require.ErrorIs(t, err, ErrNoReply)
			} else {
				require.ErrorIs(t, err, tt.err)
				require.NotErrorIs(t, err, ErrNoReply)
			}
		})
	}
}

func TestOpenMissingDeviceIsRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lp0")
	p, err := Open(path, nil)
	require.NoError(t, err, "a device absent at start is not fatal")
	defer p.Close()
	require.ErrorIs(t, p.Print(context.Background(), []byte("x")), os.ErrNotExist)
	require.NoError(t, os.WriteFile(path, nil, 0o644)) // plugged in
	require.NoError(t, p.Print(context.Background(), []byte("x")))
}

// tcpPrinter is a fake printer on a TCP port: it records what it receives and answers
// DLE EOT with the replies of state.
type tcpPrinter struct {
	ln       net.Listener
	mu       sync.Mutex
	got      []byte
	state    Status
	silent   bool
	requests chan byte // n of each status request received
	conns    []net.Conn
	// asb makes it a printer with automatic status back; asbOn holds the
	// connections that turned it on.
	asb   bool
	asbOn map[net.Conn]bool
	// pid makes it answer process ID requests, once it can print; held
	// keeps the answers owed meanwhile.
	pid  bool
	held map[net.Conn][]ProcessID
	// garbled is how many of the next replies to DLE EOT are 0xFF, not a
	// status reply.
	garbled int
	// unanswered is a DLE EOT n it never answers (0: none), as a model
	// without that request.
	unanswered byte
	// inOrder makes it a clone that answers DLE EOT only when it reaches
	// it in its buffer: this long after the print data before it.
	inOrder time.Duration
}

func startTCPPrinter(t *testing.T) *tcpPrinter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &tcpPrinter{ln: ln, state: Status{Online: true}, requests: make(chan byte, 100), asbOn: map[net.Conn]bool{}, held: map[net.Conn][]ProcessID{}}
	t.Cleanup(func() {
		ln.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			go f.serve(c)
		}
	}()
	return f
}

func (f *tcpPrinter) serve(c net.Conn) {
	var pend, scan []byte
	var lastData time.Time
	buf := make([]byte, 1024)
	req := RequestProcessID(nil, ProcessID{})[:7]
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		pend = append(pend, buf[:n]...)
		for scan = append(scan, buf[:n]...); ; {
			i := bytes.Index(scan, req)
			if i < 0 || i+len(req)+4 > len(scan) {
				scan = scan[max(0, len(scan)-len(req)-4):]
				break
			}
			f.answer(c, ProcessID(scan[i+len(req):i+len(req)+4]))
			scan = scan[i+len(req)+4:]
		}
		if i := bytes.Index(pend, []byte{GS, 'a'}); i >= 0 && i+2 < len(pend) {
			f.mu.Lock()
			on := f.asb && pend[i+2] != 0
			f.asbOn[c] = on
			msg := f.state.ASB()
			f.mu.Unlock()
			if on {
				c.Write(msg[:])
			}
		}
		for {
			i := bytes.Index(pend, []byte{DLE, EOT})
			if i < 0 || i+2 >= len(pend) {
				break
			}
			req := pend[i+2]
			if i > 0 {
				lastData = time.Now()
			}
			f.mu.Lock()
			f.got = append(f.got, pend[:i]...)
			r, _ := f.state.Reply(req)
			if f.garbled > 0 {
				f.garbled--
				r = 0xFF
			}
			silent, inOrder := f.silent || req == f.unanswered, f.inOrder
			msg, asb := f.state.ASB(), f.asbOn[c]
			f.mu.Unlock()
			pend = pend[i+3:]
			f.requests <- req
			time.Sleep(time.Until(lastData.Add(inOrder)))
			if !silent {
				c.Write([]byte{r})
				if asb {
					c.Write(msg[:2])
					c.Write(msg[2:])
				}
			}
		}
		if !bytes.Contains(pend, []byte{DLE}) {
			if len(pend) > 0 {
				lastData = time.Now()
			}
			f.mu.Lock()
			f.got = append(f.got, pend...)
			f.mu.Unlock()
			pend = nil
		}
	}
}

func (f *tcpPrinter) set(s Status, silent bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state, f.silent = s, silent
}

// answer answers a process ID request on c, or holds the answer while the
// printer cannot print.
func (f *tcpPrinter) answer(c net.Conn, id ProcessID) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.pid:
	case f.state.Err() != nil:
		f.held[c] = append(f.held[c], id)
	default:
		r := ProcessIDResponse(id)
		c.Write(r[:])
	}
}

// push changes the state and tells it to the connections with automatic
// status back on; a printer that can print again answers the process ID
// requests it held.
func (f *tcpPrinter) push(s Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = s
	if s.Err() == nil {
		for c, ids := range f.held {
			for _, id := range ids {
				r := ProcessIDResponse(id)
				c.Write(r[:])
			}
			delete(f.held, c)
		}
	}
	msg := s.ASB()
	for c, on := range f.asbOn {
		if on {
			c.Write(msg[:])
		}
	}
}

// dropConnections cuts every open connection, as a printer that is power-cycled.
func (f *tcpPrinter) dropConnections() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
	clear(f.asbOn)
}

func TestTCP(t *testing.T) {
	f := startTCPPrinter(t)
	ctx := context.Background()
	// Long timeouts for the calls that must succeed (a loaded machine is
	// slow to answer); the one that must time out has its own.
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: testkit.Wait, StatusTimeout: testkit.Wait})
	require.NoError(t, err)
	defer p.Close()

	s, err := p.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Online: true}, s)

	f.set(Status{Paper: PaperOut, CoverOpen: true}, false)
	s, err = p.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Paper: PaperOut, CoverOpen: true}, s)
	require.ErrorIs(t, s.Err(), ErrCoverOpen)

	f.set(Status{Online: true, CutterError: true}, false)
	for len(f.requests) > 0 {
		<-f.requests
	}
	s, err = p.Status(ctx)
	require.NoError(t, err)
	require.True(t, s.CutterError, "DLE EOT 3 asked because DLE EOT 2 reported an error")
	require.Equal(t, []byte{1, 2, 4, 3}, drain(f.requests), "1, 2 and 4 in one write; 3 after them")

	f.set(Status{Online: true}, true)
	silent, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	_, err = p.Status(silent)
	require.ErrorIs(t, err, ErrNoReply)
	f.set(Status{Online: true}, false)
	_, err = p.Status(ctx)
	require.NoError(t, err, "a fresh connection after a timeout")
}

// A printer on the network sends bytes unasked (an XON, an automatic
// status message) before a status request, or garbles one reply: the
// bytes are dropped before the request, the garbled reply is asked again,
// and neither is a fault. A printer whose replies are never status replies
// is.
func TestTCPStrayBytes(t *testing.T) {
	f := startTCPPrinter(t)
	ctx := context.Background()
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: testkit.Wait, StatusTimeout: testkit.Wait, Profile: profile(t, "xprinter-80")})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Status(ctx)
	require.NoError(t, err)

	for _, tt := range []struct {
		name  string
		fault func() error // called with f.mu held
		err   error        // nil: the printer is ready
	}{
		{"bytes sent unasked", func() error {
			for _, c := range f.conns {
				if _, err := c.Write([]byte{0x14, 0x00, 0x0C, 0x00}); err != nil {
					return err
				}
			}
			return nil
		}, nil},
		{"one garbled reply", func() error { f.garbled = 1; return nil }, nil},
		{"every reply garbled", func() error { f.garbled = 100; return nil }, ErrBadReply},
	} {
		f.mu.Lock()
		err := tt.fault()
		f.mu.Unlock()
		require.NoError(t, err)
		s, err := p.Status(ctx)
		if tt.err != nil {
			require.ErrorIs(t, err, tt.err, tt.name)
			continue
		}
		require.NoError(t, err, tt.name)
		require.Equal(t, Status{Online: true}, s, tt.name)
	}
}

// A model that answers some of the status requests and not the others
// gives no status (the kiosk prints without checks), as one that answers
// none; replies cut short of which one is no status are a bad reply (a
// line at another baud rate, whose lost bytes were taken for the start of
// a message the printer sends unasked).
func TestTCPStatusCutShort(t *testing.T) {
	f := startTCPPrinter(t)
	f.mu.Lock()
	f.unanswered = StatusPaper
	f.mu.Unlock()
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: testkit.Wait, StatusTimeout: 200 * time.Millisecond, Profile: profile(t, "xprinter-80")})
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Status(context.Background())
	require.ErrorIs(t, err, ErrNoReply)
	require.NotErrorIs(t, err, ErrBadReply)

	f.mu.Lock()
	f.garbled = 1
	f.mu.Unlock()
	_, err = p.Status(context.Background())
	require.ErrorIs(t, err, ErrBadReply, "a garbled reply, then silence again")
}

// A device file's input is drained before a status request, as a serial
// port's is flushed, up to drainMax bytes: a printer that sends without
// end still gets its request.
func TestFileDrainsInput(t *testing.T) {
	for _, tt := range []struct {
		name  string
		stale int
		left  int
	}{
		{"a few bytes", 4, 0},
		{"more than drainMax", drainMax + 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			require.NoError(t, err)
			defer w.Close()
			c := &fileConn{f: r, readable: true}
			defer c.Close()
			_, err = w.Write(bytes.Repeat([]byte{0x14}, tt.stale))
			require.NoError(t, err)
			c.discardInput()
			_, err = w.Write([]byte{0x12}) // the reply
			require.NoError(t, err)
			var got []byte
			buf := make([]byte, 16)
			for len(got) < tt.left+1 {
				n, err := c.read(buf, time.Now().Add(testkit.Wait))
				require.NoError(t, err)
				got = append(got, buf[:n]...)
			}
			require.Equal(t, append(bytes.Repeat([]byte{0x14}, tt.left), 0x12), got)
		})
	}
}

// A clone that answers a status request only once it has printed the
// ticket sent before it, over the network where the ticket arrives at
// once: the request waits for the ticket's print time, not only for the
// status timeout.
func TestTCPStatusAfterTicket(t *testing.T) {
	f := startTCPPrinter(t)
	f.inOrder = 700 * time.Millisecond // more than the default status timeout
	prof := profile(t, "xprinter-80")
	tk, err := prof.Ticket(testTicket())
	require.NoError(t, err)
	require.Greater(t, printTime(prof, tk), f.inOrder, "a slow printer takes longer")
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: testkit.Wait, Profile: prof})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	require.NoError(t, p.Print(ctx, tk))
	s, err := p.Status(ctx)
	require.NoError(t, err)
	require.Equal(t, Status{Online: true}, s)
}

func drain(c chan byte) []byte {
	var out []byte
	for len(c) > 0 {
		out = append(out, <-c)
	}
	return out
}

func TestTCPReconnects(t *testing.T) {
	f := startTCPPrinter(t)
	ctx := context.Background()
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: time.Second})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.Print(ctx, []byte("one\n")))
	_, err = p.Status(ctx) // a round trip: "one" has arrived
	require.NoError(t, err)

	f.dropConnections()
	// The loss shows on a write or read of the next call, or of the one after.
	var errs int
	for i := range 3 {
		if _, err := p.Status(ctx); err != nil {
			errs++
			require.NotErrorIs(t, err, ErrClosed, "call %d", i)
		}
	}
	require.LessOrEqual(t, errs, 2)
	require.NoError(t, p.Print(ctx, []byte("two\n")))
	_, err = p.Status(ctx)
	require.NoError(t, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Contains(t, string(f.got), "two\n")
}

func TestCloseWakesStatus(t *testing.T) {
	f := startTCPPrinter(t)
	f.set(Status{Online: true}, true)
	p, err := Open("tcp://"+f.ln.Addr().String(), &Opts{Timeout: time.Hour})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := p.Status(context.Background())
		done <- err
	}()
	select {
	case <-f.requests: // Status is now waiting for the reply
	case <-time.After(10 * time.Second):
		t.Fatal("no status request")
	}
	require.NoError(t, p.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, ErrClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake Status")
	}
}

func TestPrintHonoursContext(t *testing.T) {
	p, err := Open(filepath.Join(t.TempDir(), "x"), nil)
	require.NoError(t, err)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, p.Print(ctx, []byte("x")), context.Canceled)
}

func TestWireTime(t *testing.T) {
	for spec, want := range map[string]time.Duration{
		"serial:/dev/ttyUSB0":                                1000 * 10 * time.Second / 19200,
		"serial:/dev/ttyUSB0?baud=115200":                    1000 * 10 * time.Second / 115200,
		"serial:/dev/ttyS0?baud=9600&parity=even&stopbits=2": 1000 * 12 * time.Second / 9600,
		"tcp://127.0.0.1:9100":                               0,
		"/dev/usb/lp0":                                       0,
	} {
		s, err := parseSpec(spec)
		require.NoError(t, err)
		require.Equal(t, want, s.wireTime(1000), spec)
	}
}

// drainingPort is a serial port whose close waits, as Linux's does for
// output that flow control holds, until drained is closed.
type drainingPort struct {
	serial.Port
	drained chan struct{}
	closed  chan struct{}
}

func (p *drainingPort) Close() error {
	<-p.drained
	close(p.closed)
	return nil
}

// A serial port whose close waits for output the printer does not take
// does not hold the kiosk: Close returns, and the port closes when it can.
func TestSerialCloseDoesNotWaitForTheDrain(t *testing.T) {
	p := &drainingPort{drained: make(chan struct{}), closed: make(chan struct{})}
	path := "/dev/ttyUSB-drain-" + t.Name()
	returned := make(chan error, 1)
	go func() { returned <- (&serialConn{port: p, path: path}).Close() }()
	select {
	case err := <-returned:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Close waits for the port to drain")
	}
	select {
	case <-p.closed:
		t.Fatal("closed before the drain")
	default:
	}
	// Not opened again while it closes: the kernel would shut the port
	// down under the new handle.
	s := spec{kind: kindSerial, path: path, mode: serial.Mode{BaudRate: 19200}}
	_, err := s.open(context.Background(), time.Second)
	require.ErrorContains(t, err, "is still closing")
	closing, ok := closingPorts.Load(path)
	require.True(t, ok)
	close(p.drained)
	<-closing.(chan struct{})
	_, err = s.open(context.Background(), time.Second)
	require.Error(t, err, "no such device here")
	require.NotContains(t, err.Error(), "still closing")
}
