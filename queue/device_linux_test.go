package queue

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// deviceBytes is how many bytes the block device holding dir has written
// since boot (from /sys/dev/block), or -1 when that cannot be read. It
// counts every process and the file system's journal.
func deviceBytes(dir string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/sys/dev/block/%d:%d/stat", unix.Major(st.Dev), unix.Minor(st.Dev)))
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 7 {
		return -1
	}
	n, err := strconv.ParseInt(f[6], 10, 64) // sectors written, of 512 bytes
	if err != nil {
		return -1
	}
	return n * 512
}

// syncDisks writes every dirty page of the machine out.
func syncDisks() { syscall.Sync() }
