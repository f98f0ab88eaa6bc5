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

// diskSpace is the free space of the file system holding path that an
// unprivileged user may take (the blocks kept for root are not), and its
// size (statfs, whose block counts are in fragments).
func diskSpace(path string) (free, total int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, err
	}
	unit := int64(st.Frsize)
	if unit == 0 {
		unit = int64(st.Bsize)
	}
	return int64(st.Bavail) * unit, int64(st.Blocks) * unit, nil
}
