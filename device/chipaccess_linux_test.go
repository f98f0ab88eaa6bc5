package device

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A host whose GPIO chip exists but cannot be opened is not a host without
// GPIO: the error says which file and how to grant access. The chips are
// files in a temporary directory and opening them is faked (tests run as
// root here, and no test needs real GPIO).
func TestChipAccess(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"gpiochip0", "gpiochip4"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o600))
	}
	chips := filepath.Join(dir, "gpiochip*")
	chip0 := filepath.Join(dir, "gpiochip0")
	failWith := func(err error) func(string) error {
		return func(path string) error { return &fs.PathError{Op: "open", Path: path, Err: err} }
	}
	tests := []struct {
		name    string
		pattern string
		open    func(string) error
		want    []string // in the message; none: no error
	}{
		{"no chip on this host", filepath.Join(dir, "nochip*"), failWith(syscall.EACCES), nil},
		{"chips open", chips, func(string) error { return nil }, nil},
		{"a dangling link", chips, failWith(syscall.ENOENT), nil},
		{"permission denied", chips, failWith(syscall.EACCES), []string{chip0, "permission denied", "group gpio", "usermod -aG gpio", "udev rule", `KERNEL=="gpiochip*"`}},
		{"not permitted", chips, failWith(syscall.EPERM), []string{chip0, "group gpio"}},
		{"busy", chips, failWith(syscall.EBUSY), []string{chip0, "device or resource busy", "another program"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := chipAccess(tc.pattern, tc.open)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrGPIOAccess)
			require.False(t, errors.Is(err, ErrNoGPIO), "a chip out of reach must not pass for no GPIO: %v", err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			t.Log(err)
		})
	}
}
