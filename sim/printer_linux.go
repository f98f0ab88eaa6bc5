//go:build linux

package sim

import (
	"errors"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal whose slave is in raw mode and whose master is
// non-blocking, so that closing it wakes a goroutine blocked reading it.
func openPty() (master, slave *os.File, err error) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	// Raw mode at once: without it the line discipline would echo every byte of a
	// ticket back to the client and turn LF into CR LF.
	if err := makeRaw(int(tty.Fd())); err != nil {
		ptmx.Close()
		tty.Close()
		return nil, nil, err
	}
	// pty.Open calls Fd on the master, which leaves it in blocking mode: a blocked
	// Read would then survive Close. A non-blocking duplicate joins the poller.
	fd, err := unix.Dup(int(ptmx.Fd()))
	ptmx.Close()
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		tty.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), tty, nil
}

// makeRaw is cfmakeraw(3).
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

// Flow is the flow control the host set on its end of the line: RTS/CTS
// (which a pty ignores) and XON/XOFF (which it honours).
func (p *Printer) Flow() (rtscts, xonxoff bool, err error) {
	// On the master, TCGETS reads the slave's termios. (Not through Fd,
	// which would make the master blocking, and Close unable to wake serve.)
	raw, err := p.master.SyscallConn()
	if err != nil {
		return false, false, err
	}
	var t *unix.Termios
	cerr := raw.Control(func(fd uintptr) { t, err = unix.IoctlGetTermios(int(fd), unix.TCGETS) })
	if err = errors.Join(cerr, err); err != nil {
		return false, false, err
	}
	return t.Cflag&unix.CRTSCTS != 0, t.Iflag&unix.IXON != 0, nil
}
