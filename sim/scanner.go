package sim

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// ScannerOpts configures StartScanner. nil and the zero value mean a
// scanner that ends every code with CR LF, at the pty's own path.
type ScannerOpts struct {
	// Link, if set, is a symbolic link made to the pty and removed by
	// Close, as udev's /dev/serial/by-id names are: a scanner started later
	// with the same Link is the same scanner plugged in again.
	Link string
	// Suffix ends every code sent by Scan; "" means CR LF. Scanners can be
	// set to CR, LF or CR LF.
	Suffix string
}

// Scanner is a barcode and QR scanner in keyboard-wedge mode on a real
// pseudo-terminal: the controller opens Path as it opens /dev/ttyACM0
// (device.OpenScanner), and Scan sends it a code as a scanner does when a
// citizen holds up a ticket. Close followed by a new scanner with the same
// ScannerOpts.Link is a cable pulled and plugged in again.
type Scanner struct {
	master, slave *os.File
	path, link    string
	suffix        string

	mu        sync.Mutex // serialises writes, so codes never interleave
	closeOnce sync.Once
	closeErr  error
}

// StartScanner opens the pseudo-terminal and puts it in raw mode. The slave
// stays open until Close, so what is sent before the controller opens Path
// waits for it, as in a real UART's buffer.
func StartScanner(opts *ScannerOpts) (*Scanner, error) {
	var o ScannerOpts
	if opts != nil {
		o = *opts
	}
	if o.Suffix == "" {
		o.Suffix = "\r\n"
	}
	master, slave, err := openPty()
	if err != nil {
		return nil, fmt.Errorf("sim: scanner pty: %w", err)
	}
	s := &Scanner{master: master, slave: slave, path: slave.Name(), suffix: o.Suffix}
	if o.Link != "" {
		if err := s.plugIn(o.Link); err != nil {
			master.Close()
			slave.Close()
			return nil, fmt.Errorf("sim: scanner link: %w", err)
		}
	}
	return s, nil
}

// scannerLinks records which scanner owns each Link, so that a scanner
// closing late does not remove the link of the one plugged in after it.
var scannerLinks = struct {
	sync.Mutex
	owner map[string]*Scanner
}{owner: map[string]*Scanner{}}

func (s *Scanner) plugIn(link string) error {
	scannerLinks.Lock()
	defer scannerLinks.Unlock()
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Symlink(s.path, link); err != nil {
		return err
	}
	s.link = link
	scannerLinks.owner[link] = s
	return nil
}

func (s *Scanner) unplug() {
	if s.link == "" {
		return
	}
	scannerLinks.Lock()
	defer scannerLinks.Unlock()
	if scannerLinks.owner[s.link] == s {
		delete(scannerLinks.owner, s.link)
		os.Remove(s.link)
	}
}

// Path is the device for the controller's scanner spec serial:PATH: the
// Link when there is one, else the pty slave.
func (s *Scanner) Path() string {
	if s.link != "" {
		return s.link
	}
	return s.path
}

func (s *Scanner) String() string { return "sim scanner " + s.Path() }

// Scan sends code followed by the suffix, in one write, as a scanner sends a
// decoded code.
func (s *Scanner) Scan(code string) error { return s.Write([]byte(code + s.suffix)) }

// Write sends raw bytes: a code in pieces, line noise, a code without its
// suffix.
func (s *Scanner) Write(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.master.Write(b); err != nil {
		return fmt.Errorf("sim: %s: %w", s, err)
	}
	return nil
}

// Close hangs the line up, as pulling the cable does: the controller's read
// fails and the Link is removed. It is idempotent.
func (s *Scanner) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.master.Close()
		if err := s.slave.Close(); s.closeErr == nil {
			s.closeErr = err
		}
		s.unplug()
	})
	return s.closeErr
}
