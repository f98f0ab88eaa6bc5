package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/testkit"
)

// verifyStore opens an engine of the bench office on a new store, on a
// clock a test may move.
func verifyStore(t *testing.T) (path string, cfg *config.Config, clk *benchClock, e *Engine) {
	t.Helper()
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "q.db")
	clk = newBenchClock()
	e, err = Open(path, cfg, &Opts{Now: clk.Now})
	require.NoError(t, err)
	return path, cfg, clk, e
}

// edit changes a closed store behind the engine's back, as damage would.
func edit(path string, fn func(*bolt.Tx) error) error {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	return errors.Join(db.Update(fn), db.Close())
}

// Verify finds a label issued twice: a store where А001 was issued again
// while the first А001 still waits.
func TestVerifyFindsRepeatedLabel(t *testing.T) {
	path, cfg, _, e := verifyStore(t)
	first, err := e.Issue(context.Background(), IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, Verify(path, cfg))

	require.NoError(t, edit(path, func(tx *bolt.Tx) error {
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
	err = Verify(path, cfg)
	require.ErrorContains(t, err, "А0001 issued twice")
	require.ErrorContains(t, err, "label А0001 is live twice")
}

// TestVerifyUnwrittenStore: the controller stopped (a power cut) while it
// opened a new store: bbolt had made the file, and nothing was committed
// to it. That is no damage: Verify says it is empty (ErrEmpty: as a
// backup it holds nothing), and Open makes the store.
func TestVerifyUnwrittenStore(t *testing.T) {
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	fresh := func() string {
		path := filepath.Join(t.TempDir(), "q.db")
		db, err := bolt.Open(path, 0o600, nil)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		return path
	}
	path := fresh()
	require.ErrorIs(t, Verify(path, cfg), ErrEmpty)
	e, err := Open(path, cfg, nil)
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, Verify(path, cfg))

	// One with a bucket that is not the office's is no new store.
	path = fresh()
	require.NoError(t, edit(path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }))
	require.ErrorContains(t, Verify(path, cfg), "bucket meta missing")
}

// TestStoreFormat: a store records its format. One written by a newer
// release (a rollback to an older binary) is refused at Open and by
// Verify, saying what to do; one written before the format was recorded
// (an older release's) opens and gets it.
func TestStoreFormat(t *testing.T) {
	path, cfg, _, e := verifyStore(t)
	_, err := e.Issue(context.Background(), IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	format := func() (f uint64) {
		require.NoError(t, edit(path, func(tx *bolt.Tx) error { f = beU64(tx.Bucket(bucketMeta).Get(keyFormat)); return nil }))
		return f
	}
	require.Equal(t, uint64(storeFormat), format())

	require.NoError(t, edit(path, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyFormat, u64(storeFormat+1)) }))
	_, err = Open(path, cfg, nil)
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	require.ErrorContains(t, err, "written by a newer cherga")
	require.ErrorContains(t, err, "put back the backup taken before the upgrade")
	require.ErrorContains(t, Verify(path, cfg), "written by a newer cherga")
	require.Equal(t, uint64(storeFormat+1), format(), "a refused store is left as it was")
	// One that keeps its latest events where this one does not look is
	// refused for its format, not as damaged.
	require.NoError(t, edit(path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyEventSeq, u64(beU64(tx.Bucket(bucketMeta).Get(keyEventSeq))+5))
	}))
	_, err = Open(path, cfg, nil)
	require.ErrorAs(t, err, &fe)
	require.NotErrorIs(t, err, ErrDamaged)
	require.NoError(t, edit(path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyEventSeq, u64(beU64(tx.Bucket(bucketMeta).Get(keyEventSeq))-5))
	}))

	for _, older := range []func(tx *bolt.Tx) error{
		func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyFormat, u64(1)) }, // a release of format 1
		func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyFormat) },      // before the format was recorded
	} {
		require.NoError(t, edit(path, older))
		require.NoError(t, Verify(path, cfg))
		var log testkit.Log
		e, err = Open(path, cfg, &Opts{Logger: slog.New(slog.NewTextHandler(&log, nil))})
		require.NoError(t, err)
		require.NoError(t, e.Close())
		require.Equal(t, uint64(storeFormat), format())
		// Said, for the administrator: the change is one way.
		require.Contains(t, log.String(), `msg="queue: the state file was brought to this release's store format: older releases refuse it from now on`)
		require.Contains(t, log.String(), "from_format=1 format=2")
		var again testkit.Log
		e, err = Open(path, cfg, &Opts{Logger: slog.New(slog.NewTextHandler(&again, nil))})
		require.NoError(t, err)
		require.NoError(t, e.Close())
		require.NotContains(t, again.String(), "store format", "once")
	}
	require.Greater(t, storeFormat, 1, "format 1 releases skip numbering.continued events")
}

// Verify checks history a day at a time: a label issued twice on a past
// day is found, with later days after it.
func TestVerifyFindsRepeatedLabelOfAPastDay(t *testing.T) {
	path, cfg, clk, e := verifyStore(t)
	ctx := context.Background()
	_, err := e.Issue(ctx, IssueRequest{Service: "social"})
	require.NoError(t, err)
	second, err := e.Issue(ctx, IssueRequest{Service: "social"})
	require.NoError(t, err)
	clk.mu.Lock()
	clk.t = clk.t.Add(24 * time.Hour)
	clk.mu.Unlock()
	_, err = e.Issue(ctx, IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, Verify(path, cfg))

	// Every event of the first day's second ticket made to say А0001.
	require.NoError(t, edit(path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		return b.ForEach(func(k, v []byte) error {
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			if ev.Ticket == nil || ev.Ticket.ID != second.Ticket.ID {
				return nil
			}
			ev.Ticket.Label, ev.Ticket.Number = "А0001", 1
			v, err := json.Marshal(&ev)
			if err != nil {
				return err
			}
			return b.Put(k, v)
		})
	}))
	require.ErrorContains(t, Verify(path, cfg), "А0001 issued twice")
}

// A state file larger than the build can map is refused with what to do,
// and one over half of it is warned about while there is time to act.
func TestMappable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 3<<20))
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	err := mappable(path, 2<<20, logger)
	require.ErrorContains(t, err, "is 3 MB, more than the 2 MB this 32-bit build can map: run the 64-bit build (arm64)")
	require.NoError(t, mappable(path, 5<<20, logger))
	require.Contains(t, log.String(), "over half of what this 32-bit build can map")
	log.Reset()
	require.NoError(t, mappable(path, 8<<20, logger))
	require.Empty(t, log.String())
}

// On a 32-bit build (the armv6 run of make test), a file of over 1 GiB is
// refused at Open and by Verify with that advice, not with bbolt's "cannot
// allocate memory" (its mapping would be 2 GiB). The file is sparse: it
// takes no room on the disk.
func TestMappable32(t *testing.T) {
	if strconv.IntSize == 64 {
		t.Skip("a 64-bit build maps any file")
	}
	path := filepath.Join(t.TempDir(), "big.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	require.NoError(t, os.Truncate(path, 1100<<20))
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	_, err = Open(path, cfg, nil)
	require.ErrorContains(t, err, "this 32-bit build can map")
	require.ErrorContains(t, Verify(path, cfg), "this 32-bit build can map")
}

// Verify reads the durations a finished day's record keeps: as many as the
// figures count, and readable.
func TestVerifyDayRecordDurations(t *testing.T) {
	path, cfg, _, e := verifyStore(t)
	_, err := e.Issue(context.Background(), IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	record := func(durations string) []byte {
		return []byte(`{"day":"2026-11-20","total":{"issued":2,"priority":0,"transfers_in":0,"visits":2,"served":2,"noshows":0,"transfers":0,"voided":0,"expired":0,"expired_at_counter":0,"ratings":0,"rating_avg":0,` +
			`"wait":{"n":2,"mean_s":1,"p50_s":1,"p90_s":1,"max_s":1},"service":{"n":0,"mean_s":0,"p50_s":0,"p90_s":0,"max_s":0},"wait_expired":{"n":0,"mean_s":0,"p50_s":0,"p90_s":0,"max_s":0}},` +
			`"services":{},"counters":{}` + durations + `}`)
	}
	for durations, want := range map[string]string{
		``:                                       "", // kept before ranges
		`,"durations":{"total":{"wait":"0A8A"}}`: "", // 1000 ms, twice
		`,"durations":{"total":{"wait":"0A8"}}`:  "statistics of 2026-11-20: total: wait counts 2, its durations are 1",
		`,"durations":{"total":{"wait":"!!"}}`:   "statistics of 2026-11-20: queue: durations: illegal base64",
	} {
		require.NoError(t, edit(path, func(tx *bolt.Tx) error { return tx.Bucket(bucketStats).Put([]byte("2026-11-20"), record(durations)) }))
		err := Verify(path, cfg)
		if want == "" {
			require.NoError(t, err, durations)
			continue
		}
		require.ErrorContains(t, err, want, durations)
	}
}
