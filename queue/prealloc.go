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
//
// The room only saves flushes: the engine works without it (a commit into
// a hole is one journal commit slower, no less safe). So it is written
// only from the space the file system can spare beyond reserve, never at
// the cost of a start or of anyone else's writes.
const (
	slack = 4 << 20
	step  = 1 << 20
)

// reserve is the free space the room leaves on a file system of total
// bytes: 5% of it, at least 16 MB. Free space counts only what the
// engine's user may take (ext4 keeps its own 5% for root apart), and
// journald stops filling its share at 15% free, so a disk this full is
// already one an administrator has to look at: the zeros must not be what
// takes its last blocks from the log, the evening's backup copy or the
// database's own growth (about 1 MB a business day: 16 MB is two weeks of
// it on the smallest file system).
func reserve(total int64) int64 { return max(16<<20, total/20) }

// spaceFunc reports the free space of the file system holding path (what
// an unprivileged user may take) and its size, in bytes; a negative free
// means that it cannot be told.
type spaceFunc func(path string) (free, total int64, err error)

// roomError is why preallocate left less written room than it was to:
// the file system is too full to spare it (err nil), or writing the zeros
// failed (err) and what the call added to the file was cut off again.
type roomError struct {
	path    string
	free    int64 // the file system's free space before the call; -1 unknown
	reserve int64 // the free space the room leaves
	err     error
}

func (e *roomError) Error() string {
	free := "unknown"
	if e.free >= 0 {
		free = mb(e.free)
	}
	if e.err != nil {
		return fmt.Sprintf("queue: preallocate %s (%s free): %v", e.path, free, e.err)
	}
	return fmt.Sprintf("queue: preallocate %s: %s free, %s kept free for others", e.path, free, mb(e.reserve))
}

func (e *roomError) Unwrap() error { return e.err }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// preallocate makes sure the file has slack bytes of written room beyond
// what the database uses, writing at most limit bytes of zeros where they
// are missing, and no more than the file system can spare beyond reserve,
// and syncs what it wrote. A shortfall is a *roomError, and the database
// is as usable as before: when writing fails (on a full disk the sync may
// be what fails), the file is cut back to its length before the call, and
// never below it: bbolt maps that length and uses pages up to used. Only
// the engine's goroutine calls it, between its write transactions, so no
// page beyond the used ones is being written meanwhile.
func preallocate(db *bolt.DB, limit int64, space spaceFunc) error {
	var used int64
	if err := db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }); err != nil {
		return err
	}
	f, err := os.OpenFile(db.Path(), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// Never past what the build can map: bbolt would map the file's whole
	// length, and a 32-bit build cannot map more (maxMapping).
	want := min(used+slack, maxMapping)
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
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	free, total, err := space(db.Path())
	if err != nil {
		return err
	}
	room := &roomError{path: db.Path(), free: free, reserve: reserve(total)}
	short := false
	// A hole inside the file takes blocks when written just as the space
	// past its end does.
	if spare := max(free-room.reserve, 0); free >= 0 && want-from > spare {
		want, short = from+spare, true
	}
	if want > from {
		if err := writeZeros(f, from, want); err != nil {
			room.err = err
			if terr := f.Truncate(fi.Size()); terr != nil {
				room.err = fmt.Errorf("%w; cutting the file back to %d bytes: %w", err, fi.Size(), terr)
			}
			return room
		}
	}
	if short {
		return room
	}
	return nil
}

// writeZeros writes zeros into f from offset from up to want and syncs
// them.
func writeZeros(f *os.File, from, want int64) error {
	zero := make([]byte, 1<<20)
	for off := from; off < want; off += int64(len(zero)) {
		n := min(int64(len(zero)), want-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			return err
		}
	}
	return f.Sync()
}
