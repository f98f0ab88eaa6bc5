package queue_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// serveMany issues, calls and ends tickets until the office recorded
// more than RecentEvents and a half of events: some in the archive, the
// latest in the recent bucket.
func serveMany(o *office) {
	o.t.Helper()
	for range queue.RecentEvents/2 + 50 {
		o.issue("social")
		require.NotEmpty(o.t, o.next("1"))
		o.do("1", queue.Finish)
		o.clk.Add(time.Second)
	}
}

// The latest events are kept apart from the earlier ones (eventlog.go):
// they read back whole and in order wherever they are kept, and a clean
// stop leaves them all where a release before the recent bucket reads them.
func TestEventsKeptInTwoBuckets(t *testing.T) {
	o := newOffice(t, nil, monday10)
	serveMany(o)
	archived, recent := queue.EventBuckets(o.e)
	require.GreaterOrEqual(t, archived, queue.RecentEvents, "moved to the archive")
	require.Positive(t, recent)
	require.Less(t, recent, queue.RecentEvents)

	evs := o.events()
	require.Len(t, evs, archived+recent)
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Seq)
	}
	// Across the two buckets, from the archive on and from the recent.
	from := uint64(archived - 2)
	got, err := o.e.Replay(from, 5)
	require.NoError(t, err)
	require.Len(t, got, 5)
	for i, ev := range got {
		require.Equal(t, from+uint64(i), ev.Seq)
	}
	got, err = o.e.Replay(uint64(archived+1), 1<<20)
	require.NoError(t, err)
	require.Len(t, got, recent)

	// As a power cut leaves it: the latest events in the recent bucket,
	// and after those of the archive a record that is no event, on which
	// a release that reads the archive alone fails, rather than start an
	// empty day.
	cut := filepath.Join(t.TempDir(), "cut.db")
	b, err := os.ReadFile(o.path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cut, b, 0o600))
	require.NoError(t, queue.Verify(cut, o.cfg))
	db, err := bolt.Open(cut, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket([]byte("events")).Cursor().Last()
		require.Equal(t, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, k)
		require.False(t, json.Valid(v), "an older release reads it as a damaged event: %s", v)
		return nil
	}))
	require.NoError(t, db.Close())
	e := queuetest.OpenPath(t, cut, o.cfg, o.opts())
	got, err = e.Replay(0, 1<<20)
	require.NoError(t, err)
	sameJSON(t, evs, got)
	require.NoError(t, e.Close())

	require.NoError(t, o.e.Close())
	db, err = bolt.Open(o.path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket([]byte("events")).Cursor().Last()
		require.Equal(t, tx.Bucket([]byte("meta")).Get([]byte("event_seq")), k, "every event in the archive")
		require.Equal(t, len(evs), tx.Bucket([]byte("events")).Stats().KeyN)
		require.Zero(t, tx.Bucket([]byte("events.recent")).Stats().KeyN)
		return nil
	}))
	require.NoError(t, db.Close())

	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	sameJSON(t, evs, o.events())
	iss := o.issue("social")
	require.Equal(t, fmt.Sprintf("А%03d", queue.RecentEvents/2+51), iss.Ticket.Label)
	evs = o.events()
	require.Equal(t, uint64(len(evs)), evs[len(evs)-1].Seq, "the seqs go on")
}

// The days beyond office.stats_days go from the archive as from the
// recent bucket.
func TestPruneFromTheArchive(t *testing.T) {
	o := newOffice(t, queuetest.Office(t, withOffice("stats_days: 1")), monday10)
	serveMany(o)
	archived, _ := queue.EventBuckets(o.e)
	require.Positive(t, archived)
	o.clk.Set(monday10.AddDate(0, 0, 3))
	o.issue("social")
	o.published()
	o.clk.Set(monday10.AddDate(0, 0, 4))
	o.issue("social")
	archived, recent := queue.EventBuckets(o.e)
	require.Zero(t, archived, "the first day's events are gone")
	evs := o.events()
	require.Len(t, evs, recent)
	_, err := o.e.Replay(1, 10)
	var pe *queue.PrunedError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, evs[0].Seq, pe.First)
	require.NoError(t, o.e.Close())
	require.NoError(t, queue.Verify(o.path, o.cfg))
}
