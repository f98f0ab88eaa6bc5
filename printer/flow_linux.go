package printer

import (
	"errors"
	"reflect"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// setFlow turns on the flow control f of an open serial line.
//
// go.bug.st/serial opens every line without flow control and its Port has no
// way to set one (bugst/go-serial issue #54, pull request #201), so it is set
// in the line's termios through the port's descriptor, the unexported handle
// of its Linux port; the library sets termios only when it opens the line, so
// the setting stays. TestFlowControl fails should the library change.
func setFlow(p serial.Port, f Flow) error {
	fd, err := portFD(p)
	if err != nil {
		return err
	}
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Cflag &^= unix.CRTSCTS
	t.Iflag &^= unix.IXON | unix.IXOFF
	switch f {
	case FlowRTSCTS:
		t.Cflag |= unix.CRTSCTS
	case FlowXONXOFF:
		t.Iflag |= unix.IXON | unix.IXOFF
	}
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// portFD is the file descriptor of a port go.bug.st/serial opened.
func portFD(p serial.Port) (int, error) {
	v := reflect.ValueOf(p)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if h := v.FieldByName("handle"); h.IsValid() && h.CanInt() {
			return int(h.Int()), nil
		}
	}
	return 0, errors.New("go.bug.st/serial does not show its descriptor here")
}
