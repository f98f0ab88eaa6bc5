package queue

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// Verify finds a label issued twice: a store where А001 was issued again
// while the first А001 still waits.
func TestVerifyFindsRepeatedLabel(t *testing.T) {
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "q.db")
	clk := newBenchClock()
	e, err := Open(path, cfg, &Opts{Now: clk.Now})
	require.NoError(t, err)
	first, err := e.Issue(context.Background(), IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, Verify(path, cfg))

	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		seq := beU64(meta.Get(keyEventSeq)) + 1
		tk := first.Ticket
		tk.ID, tk.Issued = seq, tk.Issued.Add(time.Second)
		v, err := json.Marshal(&Event{Seq: seq, Type: EvIssued, At: tk.Issued, Ticket: &tk})
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketEvents).Put(u64(seq), v); err != nil {
			return err
		}
		return meta.Put(keyEventSeq, u64(seq))
	}))
	require.NoError(t, db.Close())
	err = Verify(path, cfg)
	require.ErrorContains(t, err, "А0001 issued twice")
	require.ErrorContains(t, err, "label А0001 is live twice")
}
