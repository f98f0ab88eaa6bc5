//go:build linux

package device_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
)

// scanLimit is a real-time guard against a hung test, never a wait for
// something to happen.
const scanLimit = 10 * time.Second

// ptyScanner is the scanner's end of the cable: a pseudo-terminal whose
// slave is reached through a symbolic link, as udev's /dev/serial/by-id
// names are, so that a new pty at the same link is the scanner plugged in
// again.
type ptyScanner struct {
	t             *testing.T
	master, slave *os.File
	link          string
}

func plugScanner(t *testing.T, link string) *ptyScanner {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	// Raw at once, as sim/printer_linux.go does: the line discipline must
	// not turn CR into LF or swallow bytes before the scanner opens it.
	require.NoError(t, makeRaw(int(slave.Fd())))
	require.NoError(t, os.Remove(link)) // the previous one is unplugged
	require.NoError(t, os.Symlink(slave.Name(), link))
	p := &ptyScanner{t: t, master: master, slave: slave, link: link}
	t.Cleanup(func() { p.master.Close(); p.slave.Close() })
	return p
}

func (p *ptyScanner) send(s string) {
	p.t.Helper()
	_, err := p.master.Write([]byte(s))
	require.NoError(p.t, err)
}

// unplug hangs the line up: the scanner's read fails and the path is gone.
func (p *ptyScanner) unplug() {
	p.t.Helper()
	require.NoError(p.t, p.master.Close())
	require.NoError(p.t, p.slave.Close())
	require.NoError(p.t, os.Remove(p.link))
	require.NoError(p.t, os.Symlink("/nonexistent", p.link)) // dangling until the next plug
}

func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// running is a Scanner under Run, with its scans on a channel.
type running struct {
	*device.Scanner
	scans  chan device.Scan
	done   chan error
	cancel context.CancelFunc
}

func startScanner(t *testing.T, link string, opts *device.ScannerOpts) *running {
	t.Helper()
	o := device.ScannerOpts{StatusURL: "https://cherga.local/t/{site}/{id}", Site: "demo"}
	if opts != nil {
		o = *opts
	}
	s, err := device.OpenScanner("serial:"+link+"?baud=9600", &o)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Scanner: s, scans: make(chan device.Scan, 64), done: make(chan error, 1), cancel: cancel}
	go func() { r.done <- s.Run(ctx, func(sc device.Scan) { r.scans <- sc }) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, s.Close())
		r.wait(t)
	})
	return r
}

func (r *running) next(t *testing.T) device.Scan {
	t.Helper()
	select {
	case s := <-r.scans:
		return s
	case <-time.After(scanLimit):
		t.Fatalf("no scan within %s", scanLimit)
	}
	return device.Scan{}
}

func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the next wait
		return err
	case <-time.After(scanLimit):
		t.Fatalf("Run did not return within %s", scanLimit)
	}
	return nil
}

func (r *running) expect(t *testing.T, kind device.ScanKind, code string) device.Scan {
	t.Helper()
	s := r.next(t)
	require.Equal(t, kind, s.Kind, "%v", s)
	require.Equal(t, code, s.Code)
	return s
}

func (r *running) expectErr(t *testing.T, target error) device.Scan {
	t.Helper()
	s := r.next(t)
	require.Equal(t, device.ScanError, s.Kind, "%v", s)
	require.ErrorIs(t, s.Err, target)
	return s
}

func link(t *testing.T) string { return filepath.Join(t.TempDir(), "scanner") }

func placeholder(t *testing.T, l string) {
	require.NoError(t, os.Symlink("/nonexistent", l))
}

func TestScannerLines(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	p := plugScanner(t, l)
	r := startScanner(t, l, nil)

	p.send("AAA111\rBBB222\nCCC333\r\n")
	r.expect(t, device.ScanAppointment, "AAA111")
	r.expect(t, device.ScanAppointment, "BBB222")
	r.expect(t, device.ScanAppointment, "CCC333")

	// One code in pieces, as a USB scanner may hand it over.
	p.send("https://cherga.")
	p.send("local/t/demo/4")
	p.send("2\r")
	p.send("\n")
	s := r.expect(t, device.ScanTicketQR, "https://cherga.local/t/demo/42")
	require.Equal(t, uint64(42), s.TicketID)

	p.send("hello, world\n\r\n")
	r.expect(t, device.ScanUnknown, "hello, world")

	// Too long, then a good one: the rest of the long one is dropped.
	p.send(strings.Repeat("X", 700) + "\r\nDDD444\r\n")
	s = r.expectErr(t, device.ErrScanTooLong)
	require.Len(t, s.Raw, 512)
	r.expect(t, device.ScanAppointment, "DDD444")

	// Garbage, then a good one.
	p.send("\xff\xfe\x00\x01\r\nEEE555\r\n")
	s = r.expectErr(t, device.ErrScanGarbage)
	require.Equal(t, "\xff\xfe\x00\x01", s.Raw)
	r.expect(t, device.ScanAppointment, "EEE555")
	require.NoError(t, r.Err())

	// Nothing else came: the CR LF pairs made no empty scans.
	select {
	case s := <-r.scans:
		t.Fatalf("unexpected %v", s)
	default:
	}
}

func TestScannerIncompleteLine(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	p := plugScanner(t, l)
	r := startScanner(t, l, &device.ScannerOpts{LineTimeout: 20 * time.Millisecond})

	p.send("AAA")
	s := r.expectErr(t, device.ErrScanIncomplete)
	require.Equal(t, "AAA", s.Raw)
	p.send("FFF666\r")
	r.expect(t, device.ScanAppointment, "FFF666")
}

func TestScannerReopens(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	clock := devicetest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	opts := &device.ScannerOpts{
		StatusURL: "https://cherga.local/t/{site}/{id}", Site: "demo",
		Backoff: time.Second, MaxBackoff: 4 * time.Second, Clock: clock,
	}
	p := plugScanner(t, l)
	r := startScanner(t, l, opts)
	p.send("AAA111\r")
	r.expect(t, device.ScanAppointment, "AAA111")

	// Unplugged and plugged in again: a new pty behind the same link. What
	// the scanner sends before the port is reopened waits in the pty.
	p.unplug()
	r.expectErr(t, device.ErrScannerOffline)
	require.ErrorIs(t, r.Err(), device.ErrScannerOffline)
	p = plugScanner(t, l)
	p.send("https://cherga.local/t/demo/7\r\n")
	require.NoError(t, clock.WaitTimers(1, scanLimit))
	clock.Advance(time.Second)
	s := r.expect(t, device.ScanTicketQR, "https://cherga.local/t/demo/7")
	require.Equal(t, uint64(7), s.TicketID)
	require.NoError(t, r.Err())

	// Unplugged for longer: the failed reopenings are not reported again,
	// and the backoff grows.
	p.unplug()
	r.expectErr(t, device.ErrScannerOffline)
	require.NoError(t, clock.WaitTimers(1, scanLimit))
	clock.Advance(time.Second) // first reopening: no such device
	require.NoError(t, clock.WaitTimers(1, scanLimit))
	clock.Advance(time.Second)
	require.Equal(t, 1, clock.Timers(), "the second backoff is 2s")
	require.ErrorIs(t, r.Err(), device.ErrScannerOffline)
	p = plugScanner(t, l)
	clock.Advance(time.Second)
	p.send("BBB222\n")
	r.expect(t, device.ScanAppointment, "BBB222")

	select {
	case s := <-r.scans:
		t.Fatalf("unexpected %v", s)
	default:
	}
}

func TestScannerCloseWakesRun(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	p := plugScanner(t, l)
	r := startScanner(t, l, nil)
	p.send("AAA111\r")
	r.expect(t, device.ScanAppointment, "AAA111") // Run is reading

	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(scanLimit):
		t.Fatalf("Close did not return within %s", scanLimit)
	}
	require.NoError(t, r.wait(t), "Run after Close")
	require.NoError(t, r.Close(), "Close again")
	err := r.Run(context.Background(), nil)
	require.ErrorIs(t, err, device.ErrClosed)
}

func TestScannerCancel(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	p := plugScanner(t, l)
	r := startScanner(t, l, nil)
	p.send("AAA111\r")
	r.expect(t, device.ScanAppointment, "AAA111")

	err := r.Run(context.Background(), nil)
	require.ErrorIs(t, err, device.ErrRunning)

	r.cancel()
	require.True(t, errors.Is(r.wait(t), context.Canceled))
}

// A scanner never plugged in: Run reports it once and keeps trying until
// Close, which wakes the backoff.
func TestScannerNeverPlugged(t *testing.T) {
	l := link(t)
	placeholder(t, l)
	clock := devicetest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	r := startScanner(t, l, &device.ScannerOpts{Clock: clock})
	r.expectErr(t, device.ErrScannerOffline)
	require.NoError(t, clock.WaitTimers(1, scanLimit))
	require.NoError(t, r.Close())
	require.NoError(t, r.wait(t))
}
