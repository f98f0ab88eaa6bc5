package queue

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// firstHole is the offset of the first hole at or after off: the end of the
// file where it has none (or the file system cannot tell), or off itself
// when the file ends there or before (SEEK_HOLE says ENXIO: a file as long
// as its pages, such as a backup).
func firstHole(f *os.File, off int64) (int64, error) {
	n, err := f.Seek(off, unix.SEEK_HOLE)
	if errors.Is(err, unix.ENXIO) {
		return off, nil
	}
	return n, err
}
