//go:build linux

package queue_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// room is how many bytes after the used pages of the file at path are
// written blocks, up to the first hole or the end.
func room(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var used int64
	require.NoError(t, db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }))
	require.NoError(t, db.Close())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	hole, err := f.Seek(used, unix.SEEK_HOLE)
	require.NoError(t, err)
	return hole - used
}

// TestPreallocate: the engine keeps written room beyond its pages, so that
// a commit does not allocate blocks; a file bbolt grew into a hole gets its
// hole written, step by step.
func TestPreallocate(t *testing.T) {
	o := newOffice(t, nil, monday10)
	for range 20 {
		o.issue("social")
	}
	require.NoError(t, o.e.Close())
	require.GreaterOrEqual(t, room(t, o.path), int64(queue.Slack-64<<10), "room written at open, less what the tickets took")

	// bbolt grows a file by truncating it: a hole.
	fi, err := os.Stat(o.path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(o.path, fi.Size()+64<<20))
	require.NoError(t, os.Truncate(o.path, fi.Size()-queue.Slack/2))
	require.NoError(t, os.Truncate(o.path, fi.Size()+64<<20))
	before := room(t, o.path)
	require.Less(t, before, int64(queue.Slack))
	require.NoError(t, queue.Preallocate(o.path, 1<<20))
	require.Equal(t, before+1<<20, room(t, o.path), "one step written")
	require.NoError(t, queue.Preallocate(o.path, queue.Slack))
	require.Equal(t, int64(queue.Slack), room(t, o.path))
	require.NoError(t, queue.Preallocate(o.path, queue.Slack))
	require.Equal(t, int64(queue.Slack), room(t, o.path), "nothing more to write")

	o.e = queuetest.OpenPath(t, o.path, o.cfg, o.opts())
	require.Equal(t, "А021", o.issue("social").Ticket.Label)
}
