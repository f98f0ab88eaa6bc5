// Package testkit holds the helpers that the tests of several packages
// share. Only tests import it.
package testkit

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden compares got with the golden file testdata/name of the package
// under test, or rewrites the file when the tests run with -update: after
// a deliberate change, record again and read the diff before committing
// it. Text is compared as text, so that a failure shows the lines that
// differ.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	GoldenFile(t, filepath.Join("testdata", name), got)
}

// GoldenFile is Golden for a file kept elsewhere than testdata/, such as
// one the product ships (firmware-config/cherga.schema.json); path is
// from the package under test.
func GoldenFile(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	if utf8.Valid(want) && utf8.Valid(got) {
		require.Equal(t, string(want), string(got), "%s changed", path)
		return
	}
	require.Equal(t, want, got, "%s changed", path)
}

// Wait is how long Receive waits: long enough for a loaded CI machine, and
// a failure rather than a hung test when nothing is coming.
const Wait = 10 * time.Second

// Receive is the next value from ch; the test fails when none comes
// within Wait.
func Receive[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Wait):
		t.Fatalf("nothing came within %v", Wait)
	}
	panic("unreachable")
}

// Log is a log a test reads while the code under test writes it: the
// io.Writer of a slog handler. Safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Count is how many times s is in the log.
func (l *Log) Count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Await waits until the log has s, failing with why (and the log) when ctx
// ends first.
func (l *Log) Await(t testing.TB, ctx context.Context, s, why string) {
	t.Helper()
	for l.Count(s) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %s", why, l)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
