package queue

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

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

// twoFlushes times n rounds of what every bbolt commit does to the disk at
// the least: write a page and fdatasync, write another and fdatasync, in a
// file of dir whose blocks are already written (as the engine keeps its
// file's room ahead). nil when that cannot be done.
func twoFlushes(dir string, n int) []time.Duration {
	f, err := os.Create(filepath.Join(dir, "flush.bin"))
	if err != nil {
		return nil
	}
	defer f.Close()
	page := make([]byte, 4096)
	if _, err := f.Write(make([]byte, 64*len(page))); err != nil || f.Sync() != nil {
		return nil
	}
	out := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		for j := range 2 {
			if _, err := f.WriteAt(page, int64((2*i+j)%64*len(page))); err != nil {
				return nil
			}
			if unix.Fdatasync(int(f.Fd())) != nil {
				return nil
			}
		}
		out = append(out, time.Since(start))
	}
	return out
}
