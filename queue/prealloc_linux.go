package queue

import (
	"os"

	"golang.org/x/sys/unix"
)

// firstHole is the offset of the first hole at or after off: the end of the
// file where it has none (or the file system cannot tell).
func firstHole(f *os.File, off int64) (int64, error) {
	return f.Seek(off, unix.SEEK_HOLE)
}
