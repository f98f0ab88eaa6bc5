package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Compact writes the store at path, which no engine holds (the controller
// stopped), into a new file at dst without its free pages, and returns
// the new file's size. A store whose old days were pruned (office.stats_days
// lowered) keeps its file's size, and a long free list that every change
// writes again: the compacted one, put in its place, is the smaller store.
//
// It is store.backup's compact=true for a controller that is stopped: it
// maps only the store and the new file, where the running controller maps
// a copy beside its store and the new file, which a 32-bit Pi has no room
// for once the store is past half of what it maps. The store is checked
// first, every key and value read: a damaged one is ErrDamaged (bbolt's
// compaction would panic on it), and nothing is written. dst must not
// exist: it is not a backup to replace.
func Compact(path, dst string) (int64, error) {
	if sameFile(dst, path) {
		return 0, fmt.Errorf("queue: compact: %s is the store itself: give a new file", dst)
	}
	if _, err := os.Lstat(dst); err == nil {
		return 0, fmt.Errorf("queue: compact: %s exists: give a new file", dst)
	}
	if fi, err := os.Stat(path); err == nil && noBytes(fi) {
		return 0, noBytesError(path)
	}
	db, err := openReadOnly(path)
	if errors.Is(err, ErrDamaged) {
		return 0, err // it names the file
	}
	if err != nil {
		return 0, fmt.Errorf("queue: compact %s: %w%s", absPath(path), err, accessHint(path, err))
	}
	err = structureDamage(db, absPath(path), true, false)
	db.Close()
	if err != nil {
		return 0, err
	}
	tmp, n, err := compactCopy(path, filepath.Dir(dst), "."+filepath.Base(dst)+".")
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		if unmappable(err) {
			return 0, fmt.Errorf("queue: compact %s into %s: no room to map the store and the new file at once (%w): compact a copy of the file on a 64-bit machine (cherga -compact there) and bring the new file back", absPath(path), dst, err)
		}
		return 0, fmt.Errorf("queue: compact %s into %s: %w", absPath(path), dst, err)
	}
	syncDir(filepath.Dir(dst))
	return n, nil
}

// syncDir makes the names in dir (a file renamed or linked into it)
// outlast a power cut, as far as it can.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
