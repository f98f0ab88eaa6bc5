package queue

import (
	"bytes"
	"math"

	bolt "go.etcd.io/bbolt"
)

// The events are kept in two buckets: the latest, up to recentEvents of
// them, in bucketRecent, and all before them in bucketEvents. Every write
// of bbolt reads the pages on the path to the key it writes into memory,
// each with all its keys: an event appended to a bucket of a year's events
// read in branch pages of over a hundred keys each time, some 13 KB for
// every call at a counter, which the garbage collector then had to
// collect. Appended to a bucket of a few hundred, it reads a few. The
// transaction that brings bucketRecent to recentEvents moves them to
// bucketEvents, a few hundred in one go.
//
// The engine moves them also when it stops, so that the store of a clean
// stop has every event in bucketEvents, as releases before bucketRecent
// read it: one rolled back to runs on it. After a crash they find the
// latest events missing and refuse the store as damaged; this release
// opens it.
var bucketRecent = []byte("events.recent")

// recentEvents is how many events bucketRecent holds before they are moved.
const recentEvents = 512

// recentFence is the key of a record in bucketEvents after every event's,
// kept from Open to a clean stop, which moves the recent events to
// bucketEvents and takes it away. The releases from before bucketRecent and
// the store format (2026-12-01 and 02) read bucketEvents alone: on a store
// a crash left with its latest events in bucketRecent they started an empty
// day, numbering from 1. They fail on this record, which is no event, and
// refuse the store. The readers here pass over it.
var recentFence = u64(math.MaxUint64)

// recentFenceValue is what a person reading the file finds in it.
var recentFenceValue = []byte("not an event: the latest events are in events.recent, which the cherga that wrote this file reads; run it or a later release")

// isFence says whether k is recentFence's key.
func isFence(k []byte) bool { return bytes.Equal(k, recentFence) }

// eventCursor walks the events in seq order: bucketEvents', then those
// of bucketRecent (whose seqs all follow them). The recent bucket is
// missing in a store an older release wrote, until the next open makes it.
type eventCursor struct {
	old, recent *bolt.Cursor
	inRecent    bool
}

func eventsCursor(tx *bolt.Tx) *eventCursor {
	c := &eventCursor{old: tx.Bucket(bucketEvents).Cursor()}
	if b := tx.Bucket(bucketRecent); b != nil {
		c.recent = b.Cursor()
	}
	return c
}

// toRecent moves the cursor on to the recent events: their first at or
// after seek (nil: the first).
func (c *eventCursor) toRecent(seek []byte) (k, v []byte) {
	c.inRecent = true
	switch {
	case c.recent == nil:
		return nil, nil
	case seek == nil:
		return c.recent.First()
	default:
		return c.recent.Seek(seek)
	}
}

func (c *eventCursor) First() (k, v []byte) {
	c.inRecent = false
	if k, v = c.old.First(); k != nil && !isFence(k) {
		return k, v
	}
	return c.toRecent(nil)
}

// Seek moves to the first event at or after seq key.
func (c *eventCursor) Seek(key []byte) (k, v []byte) {
	c.inRecent = false
	if k, v = c.old.Seek(key); k != nil && !isFence(k) {
		return k, v
	}
	return c.toRecent(key)
}

func (c *eventCursor) Next() (k, v []byte) {
	if c.inRecent {
		if c.recent == nil {
			return nil, nil
		}
		return c.recent.Next()
	}
	if k, v = c.old.Next(); k != nil && !isFence(k) {
		return k, v
	}
	return c.toRecent(nil)
}

// lastEvent is the latest event.
func lastEvent(tx *bolt.Tx) (k, v []byte) {
	if b := tx.Bucket(bucketRecent); b != nil {
		if k, v = b.Cursor().Last(); k != nil {
			return k, v
		}
	}
	c := tx.Bucket(bucketEvents).Cursor()
	if k, v = c.Last(); isFence(k) {
		return c.Prev()
	}
	return k, v
}

// putFence keeps recentFence in bucketEvents.
func putFence(tx *bolt.Tx) error {
	return tx.Bucket(bucketEvents).Put(recentFence, recentFenceValue)
}

// putEvent appends the event of seq.
func (t *txn) putEvent(seq uint64, v []byte) error {
	return t.appendOnly(bucketRecent).Put(u64(seq), v)
}

// archiveEvents moves the recent events to bucketEvents once they are
// recentEvents (all, with all true). The values stay where they are until
// the commit: bbolt's pages of the bucket deleted, or the transaction's
// buffer.
func (t *txn) archiveEvents(all bool) {
	if t.fatal != nil {
		return
	}
	if all {
		// A clean stop: every event is in bucketEvents after it.
		t.fail(asStopped(t.tx))
		return
	}
	k, _ := t.tx.Bucket(bucketRecent).Cursor().First()
	if k == nil || t.st.eventSeq-beU64(k)+1 < recentEvents {
		return
	}
	t.fail(moveRecent(t.tx))
}

// asStopped leaves the store as a clean stop does: every event in
// bucketEvents, recentFence away, as a release before bucketRecent reads
// it. A backup is made so too (Backup): a copy of a running store is one
// a rollback may start on.
func asStopped(tx *bolt.Tx) error {
	if err := tx.Bucket(bucketEvents).Delete(recentFence); err != nil {
		return err
	}
	return moveRecent(tx)
}

// moveRecent moves the events of bucketRecent to bucketEvents.
func moveRecent(tx *bolt.Tx) error {
	old := tx.Bucket(bucketEvents)
	old.FillPercent = 0.95 // appended to: see txn.appendOnly
	c := tx.Bucket(bucketRecent).Cursor()
	k, v := c.First()
	if k == nil {
		return nil
	}
	for ; k != nil; k, v = c.Next() {
		if err := old.Put(k, v); err != nil {
			return err
		}
	}
	if err := tx.DeleteBucket(bucketRecent); err != nil {
		return err
	}
	_, err := tx.CreateBucket(bucketRecent)
	return err
}

// deleteEventsBefore deletes the events before seq first.
func deleteEventsBefore(tx *bolt.Tx, first uint64) error {
	// By key, the seqs counted up: a cursor's First after each Delete
	// walks every leaf emptied so far (bbolt rebalances at the commit),
	// which made a prune of a quarter million events (stats_days lowered)
	// hold the store for over a minute.
	for _, name := range [][]byte{bucketEvents, bucketRecent} {
		b := tx.Bucket(name)
		if b == nil {
			continue
		}
		k, _ := b.Cursor().First()
		for seq := beU64(k); k != nil && seq < first; seq++ {
			if err := b.Delete(u64(seq)); err != nil {
				return err
			}
		}
	}
	return nil
}
