package queue_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// A backup is not written over what is no file, nor over another
// program's bbolt file: a named pipe would hold the administrators'
// requests for good (opening it waits for a writer), and a store of
// something else is no earlier backup.
func TestBackupRefusesWhatIsNoBackup(t *testing.T) {
	o := newOffice(t, nil, monday10)
	o.issue("social")
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	_, err := o.e.Backup(fifo, false)
	require.ErrorContains(t, err, "is no file but a named pipe")

	other := filepath.Join(t.TempDir(), "other.db")
	db, err := bolt.Open(other, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err }))
	require.NoError(t, db.Close())
	_, err = o.e.Backup(other, false)
	require.ErrorContains(t, err, "is not a store of cherga")

	ok := filepath.Join(t.TempDir(), "b.db")
	_, err = o.e.Backup(ok, false)
	require.NoError(t, err)
	_, err = o.e.Backup(ok, false)
	require.NoError(t, err, "an earlier backup is replaced")
}
