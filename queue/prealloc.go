package queue

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// slack is how much room, in written blocks, the bbolt file keeps beyond
// the pages in use.
//
// bbolt grows its file by truncating it to a larger size: the new room is a
// hole, and every commit that first writes into it makes the file system
// allocate blocks, so that commit's fdatasync also has to commit the file
// system's journal (on an SD card, a second flush). Room written once with
// zeros is allocated for good: a commit into it flushes only its own pages.
// bbolt never shrinks the file, so this is paid once per slack's worth of
// growth: at open, and then by the engine's timer, at most step at a time
// so that the loop never stalls long on a slow SD card.
const (
	slack = 4 << 20
	step  = 1 << 20
)

// preallocate makes sure the file has slack bytes of written room beyond
// what the database uses, writing at most limit bytes of zeros where they
// are missing, and syncs what it wrote. Only the engine's goroutine calls
// it, between its write transactions, so no page beyond the used ones is
// being written meanwhile.
func preallocate(db *bolt.DB, limit int64) error {
	var used int64
	if err := db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		return err
	}
	f, err := os.OpenFile(db.Path(), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	want := used + slack
	// The room starts at the first hole after the used pages: the end of
	// the file, or where bbolt grew it.
	from, err := firstHole(f, used)
	if err != nil {
		return err
	}
	if from >= want {
		return nil
	}
	want = min(want, from+limit)
	zero := make([]byte, 1<<20)
	for off := from; off < want; off += int64(len(zero)) {
		n := min(int64(len(zero)), want-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			return fmt.Errorf("queue: preallocate %s: %w", db.Path(), err)
		}
	}
	return f.Sync()
}
