//go:build !linux

package queue

import "os"

// firstHole is the end of the file here: holes cannot be found, so only
// the room past the end is written.
func firstHole(f *os.File, _ int64) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// diskSpace cannot be told here: the room is written as far as the file
// system takes it, and what a failed write added is cut off again.
func diskSpace(string) (free, total int64, err error) { return -1, -1, nil }
