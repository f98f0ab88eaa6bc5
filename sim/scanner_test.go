package sim_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/device/devicetest"
	"github.com/cherga/cherga/sim"
)

func startScanner(t *testing.T, opts *sim.ScannerOpts) *sim.Scanner {
	t.Helper()
	s, err := sim.StartScanner(opts)
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("the pty scanner needs Linux")
	}
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// TestScannerToDevice: device.Scanner reads the sim scanner, and finds it
// again when it is plugged in again under the same link.
func TestScannerToDevice(t *testing.T) {
	link := filepath.Join(t.TempDir(), "scanner")
	clock := devicetest.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	s1 := startScanner(t, &sim.ScannerOpts{Link: link, Suffix: "\r"})
	require.Equal(t, link, s1.Path())

	ds, err := device.OpenScanner("serial:"+s1.Path(), &device.ScannerOpts{
		StatusURL: "https://cherga.local/t/{site}/{id}", Site: "demo", Clock: clock,
	})
	require.NoError(t, err)
	scans := make(chan device.Scan, 16)
	done := make(chan error, 1)
	go func() { done <- ds.Run(context.Background(), func(s device.Scan) { scans <- s }) }()
	next := func() device.Scan {
		t.Helper()
		select {
		case s := <-scans:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("no scan within 10s")
		}
		return device.Scan{}
	}

	require.NoError(t, s1.Scan("https://cherga.local/t/demo/12"))
	s := next()
	require.Equal(t, device.ScanTicketQR, s.Kind, "%v", s)
	require.Equal(t, uint64(12), s.TicketID)

	require.NoError(t, s1.Close())
	require.NoError(t, s1.Close())
	s = next()
	require.ErrorIs(t, s.Err, device.ErrScannerOffline)

	s2 := startScanner(t, &sim.ScannerOpts{Link: link})
	require.NoError(t, s2.Scan("AB12CD"))
	require.NoError(t, clock.WaitTimers(1, 10*time.Second))
	clock.Advance(time.Second)
	s = next()
	require.Equal(t, device.ScanAppointment, s.Kind, "%v", s)
	require.Equal(t, "AB12CD", s.Code)

	require.NoError(t, ds.Close())
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s")
	}
}
