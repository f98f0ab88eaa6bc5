package testkit

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A golden file's failure shows the lines that differ and a few around,
// not the two files whole (a schema is 60 KB), and quotes a line with a
// no-break space, which looks like any space.
func TestLineDiff(t *testing.T) {
	want := "a\nb\nc\nd\ne\nf\ng\n"
	got := "a\nb\nc\nD\u00a0x\ne\nf\ng\n"
	require.Equal(t, `--- the golden file (lines 4 to 4 of 8)
     2  b
     3  c
-    4  d
     5  e
     6  f
+++ the test's (lines 4 to 4 of 8)
     2  b
     3  c
+    4  "D\u00a0x"
     5  e
     6  f
`, lineDiff(want, got))

	// Lines added at the end: none on the golden side.
	d := lineDiff("a\nb\n", "a\nb\nc\n")
	require.Contains(t, d, "--- the golden file (no line, after line 2 of 3)\n     1  a\n     2  b\n     3  \n+++ the test's (lines 3 to 3 of 4)")
	require.Contains(t, d, "+    3  c\n")

	// A long change is cut short.
	long := ""
	for range 100 {
		long += "x\n"
	}
	d = lineDiff("", long)
	require.Contains(t, d, "+   20  x\n+ … 80 lines more\n   101  \n")
}
