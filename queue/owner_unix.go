//go:build unix

package queue

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedHere reports whether fi is of a file this process's user owns.
func ownedHere(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
