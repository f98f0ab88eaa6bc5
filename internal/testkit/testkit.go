// Package testkit holds the helpers that the tests of several packages
// share. Only tests import it.
package testkit

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
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
	again := fmt.Sprintf("go test -run '^%s$' -args -update (in the package's folder)", strings.Split(t.Name(), "/")[0])
	want, err := os.ReadFile(path)
	require.NoError(t, err, "create %s with: %s", path, again)
	if bytes.Equal(want, got) {
		return
	}
	if utf8.Valid(want) && utf8.Valid(got) {
		t.Fatalf("%s changed:\n%s\nAfter a deliberate change, record it again with: %s, and read its diff before committing it.", path, lineDiff(string(want), string(got)), again)
	}
	require.Equal(t, want, got, "%s changed; after a deliberate change, record it again with: %s", path, again)
}

// lineDiff shows where want and got differ: the lines between their
// common beginning and end, each side, with two lines around. A line
// holding a character one cannot see (a no-break space, a control) is
// quoted, so that a golden text can be copied from it.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	head := 0
	for head < len(w) && head < len(g) && w[head] == g[head] {
		head++
	}
	tail := 0
	for tail < len(w)-head && tail < len(g)-head && w[len(w)-1-tail] == g[len(g)-1-tail] {
		tail++
	}
	const around, most = 2, 20
	var b strings.Builder
	show := func(mark string, lines []string, from, to int) {
		for i := max(from-around, 0); i < min(to+around, len(lines)); i++ {
			if i-from >= most && i < to {
				fmt.Fprintf(&b, "%s … %d lines more\n", mark, to-i)
				i = to - 1
				continue
			}
			m := " "
			if i >= from && i < to {
				m = mark
			}
			fmt.Fprintf(&b, "%s %4d  %s\n", m, i+1, visible(lines[i]))
		}
	}
	span := func(to, n int) string {
		if to <= head {
			return fmt.Sprintf("no line, after line %d of %d", head, n)
		}
		return fmt.Sprintf("lines %d to %d of %d", head+1, to, n)
	}
	fmt.Fprintf(&b, "--- the golden file (%s)\n", span(len(w)-tail, len(w)))
	show("-", w, head, len(w)-tail)
	fmt.Fprintf(&b, "+++ the test's (%s)\n", span(len(g)-tail, len(g)))
	show("+", g, head, len(g)-tail)
	return b.String()
}

// visible is l, quoted when it has a character one cannot see.
func visible(l string) string {
	for _, r := range l {
		if r != ' ' && (unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
			return strconv.Quote(l)
		}
	}
	return l
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
