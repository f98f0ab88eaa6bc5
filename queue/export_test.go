package queue

import (
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SetFailHook makes every write transaction of e fail with what f returns
// (nil: no failure), to test what a failed commit leaves behind.
func SetFailHook(e *Engine, f func() error) {
	_ = e.do(context.Background(), true, func(*txn) error { e.failHook = f; return nil })
}

// SetLandHook makes every write transaction of e fail after its commit
// with what f returns (nil: no failure), as bbolt does when the sync of
// its meta page fails: the file holds what the callers are told failed.
func SetLandHook(e *Engine, f func() error) {
	_ = e.do(context.Background(), true, func(*txn) error { e.landHook = f; return nil })
}

// SetReloadHook makes the reload after a failed commit fail with what f
// returns (nil: no failure).
func SetReloadHook(e *Engine, f func() error) {
	_ = e.do(context.Background(), true, func(*txn) error { e.reloadHook = f; return nil })
}

// Slack is the written room the engine keeps beyond the used pages.
const Slack = slack

// Preallocate runs the engine's preallocation of a closed file.
func Preallocate(path string, limit int64) error {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return preallocate(db, limit, diskSpace)
}

// SetDiskSpace makes an engine opened with o see free space as space
// reports it rather than as its file system does.
func SetDiskSpace(o *Opts, space func(path string) (free, total int64, err error)) { o.space = space }

// Reserve is the free space the written room leaves on a file system of
// total bytes.
func Reserve(total int64) int64 { return reserve(total) }

// RefreshEstimates runs the engine's periodic refresh of the wait
// estimates now, on its goroutine.
func RefreshEstimates(e *Engine) {
	_ = e.do(context.Background(), true, func(*txn) error { e.refreshEstimates(); return nil })
}

// Tick runs the engine's periodic work now, on its goroutine.
func Tick(e *Engine) {
	_ = e.do(context.Background(), true, func(*txn) error { e.tick(); return nil })
}

// SetAckEvery makes engines opened from now on store the acknowledged seq
// every n events, until the test ends.
func SetAckEvery(t interface{ Cleanup(func()) }, n uint64) {
	old := ackEvery
	ackEvery = n
	t.Cleanup(func() { ackEvery = old })
}

// Queued is how many requests wait for the engine's goroutine.
func Queued(e *Engine) int { return len(e.reqs) }

// WatchStalls starts another watch of e's write transactions, with its own
// times.
func WatchStalls(e *Engine, after, look time.Duration) { go e.watchStalls(after, look) }

// SetCheckAfter sets how long after opening the store's structure is
// checked.
func SetCheckAfter(o *Opts, d time.Duration) { o.checkAfter = d }

// CheckBehind runs the check of the store's structure (live: as the engine
// runs it, a minute after its start) in a read transaction that began
// before between wrote, and returns its problems.
func CheckBehind(e *Engine, live bool, between func()) ([]string, error) {
	tx, err := e.db.Begin(false)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	between()
	var problems []string
	err = checkStructure(tx, e.db.Path(), false, live, func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	})
	return problems, err
}

// AccessHint is what the error of a state file cherga may not open adds.
var AccessHint = accessHint

// RecentEvents is how many events the recent bucket holds before they are
// moved to the archive.
const RecentEvents = recentEvents

// EventBuckets counts the events of e's archive and of its recent bucket.
func EventBuckets(e *Engine) (archived, recent int) {
	_ = e.view(func(tx *bolt.Tx) error {
		archived = tx.Bucket(bucketEvents).Stats().KeyN
		if tx.Bucket(bucketEvents).Get(recentFence) != nil {
			archived--
		}
		recent = tx.Bucket(bucketRecent).Stats().KeyN
		return nil
	})
	return archived, recent
}

// FileEvents says, of the store file at path, whether it has recentFence
// and how many events its recent bucket holds.
func FileEvents(path string) (fenced bool, recent int, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return false, 0, err
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		fenced = tx.Bucket(bucketEvents).Get(recentFence) != nil
		if b := tx.Bucket(bucketRecent); b != nil {
			recent = b.Stats().KeyN
		}
		return nil
	})
	return fenced, recent, err
}

// HoldEngine keeps e's goroutine busy, as a slow commit does, until
// release is called.
func HoldEngine(e *Engine) (release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	go func() {
		_ = e.do(context.Background(), true, func(*txn) error {
			close(held)
			<-done
			return nil
		})
	}()
	<-held
	return sync.OnceFunc(func() { close(done) })
}

// HoldRead opens a read transaction on e's store, as a long statistics
// query does, until release is called.
func HoldRead(e *Engine) (release func()) {
	tx, err := e.db.Begin(false)
	if err != nil {
		panic(err)
	}
	return sync.OnceFunc(func() { _ = tx.Rollback() })
}

// Grow writes n bytes into e's store in one transaction of the engine's
// and frees them in the next: the file's used pages grow by n.
func Grow(e *Engine, n int) error {
	err := e.do(context.Background(), false, func(t *txn) error {
		b, err := t.tx.CreateBucket([]byte("grow"))
		if err != nil {
			return err
		}
		v := make([]byte, 64<<10)
		for i := range n / len(v) {
			if err := b.Put(fmt.Appendf(nil, "%08d", i), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.do(context.Background(), false, func(t *txn) error { return t.tx.DeleteBucket([]byte("grow")) })
}
