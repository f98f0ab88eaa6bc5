package queue

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A store restored from a backup goes back: it ends at the backup's last
// event, and the events it records next get the seqs the store it replaced
// had already given to others. An integration holding those must be told.
// So a backup is marked as one (keyBackup), and a store opened with the
// mark is a restored one: it drops the mark and adds a Restore to the list
// it keeps (keyRestores), which the office publishes in its status.
var (
	// keyBackup marks a copy written by Backup: {"at":…} (JSON).
	keyBackup = []byte("backup")
	// keyRestores is the list of the store's restores, oldest first (JSON).
	keyRestores = []byte("restores")
)

// maxRestores bounds the list; the oldest go first.
const maxRestores = 64

// Restore is one time the store was restored from a backup.
type Restore struct {
	// ID tells this restore from any other, of any office.
	ID string `json:"id"`
	// Seq is the backup's last event: the events after it are the
	// restored store's own, whatever an integration received under those
	// seqs before.
	Seq uint64 `json:"seq"`
	// BackupAt is when the backup was taken.
	BackupAt time.Time `json:"backup_at"`
}

// markBackup marks the store at path as a backup taken at at, and leaves
// it as a clean stop does (asStopped).
func markBackup(path string, at time.Time) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	mark, err := json.Marshal(struct {
		At time.Time `json:"at"`
	}{at})
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error {
			if err := asStopped(tx); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(keyBackup, mark)
		})
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// takeBackupMark finds out, in the transaction that opens the store,
// whether it is a restored backup: if so it records the restore and
// returns it.
func takeBackupMark(tx *bolt.Tx) (*Restore, error) {
	meta := tx.Bucket(bucketMeta)
	v := meta.Get(keyBackup)
	if v == nil {
		return nil, nil
	}
	var mark struct{ At time.Time }
	if err := json.Unmarshal(v, &mark); err != nil {
		return nil, fmt.Errorf("backup mark: %w", err)
	}
	id := make([]byte, 8)
	_, _ = rand.Read(id) // never fails (crypto/rand)
	r := Restore{ID: fmt.Sprintf("%x", id), Seq: beU64(meta.Get(keyEventSeq)), BackupAt: mark.At}
	rs, err := readRestores(tx)
	if err != nil {
		return nil, err
	}
	rs = append(rs, r)
	rs = rs[max(0, len(rs)-maxRestores):]
	b, err := json.Marshal(rs)
	if err != nil {
		return nil, err
	}
	if err := meta.Put(keyRestores, b); err != nil {
		return nil, err
	}
	return &r, meta.Delete(keyBackup)
}

func readRestores(tx *bolt.Tx) ([]Restore, error) {
	var rs []Restore
	if v := tx.Bucket(bucketMeta).Get(keyRestores); v != nil {
		if err := json.Unmarshal(v, &rs); err != nil {
			return nil, fmt.Errorf("restores: %w", err)
		}
	}
	return rs, nil
}

// Restores lists the times the store was restored from a backup, oldest
// first (at most the last 64).
func (e *Engine) Restores() ([]Restore, error) {
	var rs []Restore
	err := e.view(func(tx *bolt.Tx) error {
		var err error
		rs, err = readRestores(tx)
		return err
	})
	return rs, err
}
