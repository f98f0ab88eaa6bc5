package queue

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/testkit"
)

// fillerBucket is the bucket of addFiller's pages, of no use to the office.
var fillerBucket = []byte("test-filler")

// addFiller adds n values of 8000 bytes (two pages each) to the store at
// path, in fillerBucket.
func addFiller(t *testing.T, path string, n int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(fillerBucket)
		if err != nil {
			return err
		}
		b.FillPercent = 1
		for i := range n {
			if err := b.Put(u64(uint64(i)), make([]byte, 8000)); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())
}

// filledStore makes a store of the bench office at a new path, with n of
// addFiller's values in it, for a build that maps at most mapping bytes
// (0: as this one does) until the test ends.
func filledStore(t *testing.T, mapping int64, n int) (path string, cfg *config.Config, clk *benchClock) {
	t.Helper()
	if mapping > 0 {
		old := maxMapping
		maxMapping = mapping
		t.Cleanup(func() { maxMapping = old })
	}
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "q.db")
	clk = newBenchClock()
	e, err := Open(path, cfg, &Opts{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	addFiller(t, path, n)
	return path, cfg, clk
}

// A store that reaches what a 32-bit build can map (here made 32 MB; a Pi
// maps 1 GiB) refuses writes with what it is and what to do, never as
// damage: bbolt unmapped the file to map it again larger, which on a Pi
// fails, and every read after faulted. What it holds stays sound and
// opens again; a change that fits its free pages does not say it saves
// again, and room made (pages freed) does.
func TestStoreFullAtMapping(t *testing.T) {
	path, cfg, clk := filledStore(t, 32<<20, 1900) // most of it taken already

	var told []string
	opts := &Opts{Now: clk.Now, Logger: slog.New(slog.DiscardHandler), OnStore: func(err error) { told = append(told, fmt.Sprint(err)) }}
	e, err := Open(path, cfg, opts)
	require.NoError(t, err)
	ctx := context.Background()
	issued := 0
	for ; issued < 20000; issued++ {
		if _, err = e.Issue(ctx, IssueRequest{Service: "social"}); err != nil {
			break
		}
	}
	require.Error(t, err, "the store never filled")
	require.Greater(t, issued, 0)
	require.ErrorIs(t, err, ErrStore)
	require.ErrorIs(t, err, berrors.ErrMaxSizeReached)
	require.NotErrorIs(t, err, ErrDamaged)
	require.ErrorContains(t, err, "the state file has reached the 32 MB this 32-bit build can map")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.LessOrEqual(t, fi.Size(), maxMapping, "the file grew past what the build maps")
	tickets, err := e.Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tickets, issued, "every ticket issued is still there")
	require.Len(t, told, 1, "%q", told)

	// A little room made (a few pages freed): a change saves, and says
	// nothing: the next tickets would soon fill it again.
	require.NoError(t, e.do(ctx, false, func(t *txn) error {
		for i := range 25 {
			if err := t.tx.Bucket(fillerBucket).Delete(u64(uint64(i))); err != nil {
				return err
			}
		}
		return nil
	}))
	_, err = e.Counter(ctx, "1", Command{Action: Pause})
	require.NoError(t, err)
	_, _ = e.Tickets(ctx) // after its telling
	require.Len(t, told, 1, "still full: %q", told)
	// Room made: the next change saves, and says so.
	require.NoError(t, e.do(ctx, false, func(t *txn) error { return t.tx.DeleteBucket(fillerBucket) }))
	_, err = e.Issue(ctx, IssueRequest{Service: "social"})
	require.NoError(t, err)
	issued++
	_, _ = e.Tickets(ctx)
	require.Equal(t, "<nil>", told[len(told)-1], "%q", told)
	require.NoError(t, e.Close())

	require.NoError(t, Verify(path, cfg))
	e, err = Open(path, cfg, &Opts{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer e.Close()
	tickets, err = e.Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tickets, issued)
}

// The room written ahead stops at what the build can map: bbolt maps the
// file's whole length, and a file past it would not open again.
func TestRoomAheadWithinMapping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	defer db.Close()
	var used int64
	require.NoError(t, db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }))
	old := maxMapping
	maxMapping = used + slack/2
	t.Cleanup(func() { maxMapping = old })
	require.NoError(t, preallocate(db, slack, diskSpace))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, maxMapping, fi.Size())
}

// envBackupAS names the store TestBackupNoRoomToMapHelper backs up.
const envBackupAS = "CHERGA_TEST_BACKUP_AS_DB"

// TestBackupNoRoomToMapHelper backs up a store in a process left little
// more address space than it has taken (RLIMIT_AS), as a 32-bit Pi has
// beside a store past 512 MB: the copy cannot be mapped to be checked.
func TestBackupNoRoomToMapHelper(t *testing.T) {
	path := os.Getenv(envBackupAS)
	if path == "" {
		t.Skip("the subprocess of TestBackupNoRoomToMap; runs only under it")
	}
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	e, err := Open(path, cfg, &Opts{Now: newBenchClock().Now, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer e.Close()
	// Heap the runtime has taken and freed again, reused after the limit:
	// a block the backup needs on a heap grown to its end would want a
	// new arena, refused, and the runtime dies of it (fatal, no error).
	room := make([]byte, 32<<20)
	runtime.KeepAlive(room)
	room = nil
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	var kb uint64
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			_, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			require.NoError(t, err)
		}
	}
	require.NotZero(t, kb)
	lim := unix.Rlimit{Cur: kb<<10 + 24<<20, Max: unix.RLIM_INFINITY}
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_AS, &lim))
	_, err = e.Backup(filepath.Join(filepath.Dir(path), "backup.db"), false)
	fmt.Println("backup:", err)
}

// A backup whose copy cannot be mapped to be checked (no room in the
// process's addresses: a 32-bit Pi with a store past 512 MB) fails saying
// so and what to do, not that the live store is damaged; it leaves
// nothing behind.
func TestBackupNoRoomToMap(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a subprocess of the test binary; skipped under -short")
	}
	path, _, _ := filledStore(t, 0, 6000) // 48 MB of pages, which the copy has too: mapped, 64 MB
	dir := filepath.Dir(path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestBackupNoRoomToMapHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envBackupAS+"="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "backup: queue: backup to "+filepath.Join(dir, "backup.db")+": no room to map the copy beside the running store (")
	require.Contains(t, string(out), "cannot allocate memory")
	require.Contains(t, string(out), "take the backup with the controller stopped")
	require.NotContains(t, string(out), "damaged")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the store is left: %v", entries)
}

// Compact writes a stopped controller's store without its free pages: the
// new file is sound, far smaller, and holds the office as it was (its
// tickets, its numbering). It writes nothing from a damaged store, over
// a file, or from a store an engine holds.
func TestCompact(t *testing.T) {
	cfg, err := config.Parse([]byte(benchOfficeYAML))
	require.NoError(t, err)
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	clk := newBenchClock()
	quiet := &Opts{Now: clk.Now, Logger: slog.New(slog.DiscardHandler)}
	e, err := Open(path, cfg, quiet)
	require.NoError(t, err)
	ctx := context.Background()
	for range 3 {
		_, err := e.Issue(ctx, IssueRequest{Service: "social"})
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())
	// 16 MB of pages, then freed: the file keeps its size.
	addFiller(t, path, 2000)
	db, err := bolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(fillerBucket) }))
	require.NoError(t, db.Close())
	before, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, before.Size(), int64(16<<20))

	e, err = Open(path, cfg, quiet)
	require.NoError(t, err)
	_, err = Compact(path, filepath.Join(dir, "small.db"))
	require.ErrorContains(t, err, "is locked by another process")
	require.NoError(t, e.Close())

	small := filepath.Join(dir, "small.db")
	n, err := Compact(path, small)
	require.NoError(t, err)
	after, err := os.Stat(small)
	require.NoError(t, err)
	require.Equal(t, n, after.Size())
	require.Less(t, n, int64(1<<20))
	require.NoError(t, Verify(small, cfg))
	_, err = Compact(path, small)
	require.ErrorContains(t, err, "small.db exists: give a new file")
	_, err = Compact(path, path)
	require.ErrorContains(t, err, "is the store itself")

	e, err = Open(small, cfg, quiet)
	require.NoError(t, err)
	tickets, err := e.Tickets(ctx)
	require.NoError(t, err)
	require.Len(t, tickets, 3)
	iss, err := e.Issue(ctx, IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.Equal(t, "А0004", iss.Ticket.Label)
	require.NoError(t, e.Close())

	// A page of the store overwritten: nothing is written.
	b, err := os.ReadFile(small)
	require.NoError(t, err)
	for i := 2 * os.Getpagesize(); i < min(len(b), 10*os.Getpagesize()); i++ {
		b[i] = 0xA5
	}
	require.NoError(t, os.WriteFile(small, b, 0o600))
	_, err = Compact(small, filepath.Join(dir, "from-damaged.db"))
	require.ErrorIs(t, err, ErrDamaged)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range entries {
		names = append(names, de.Name())
	}
	require.ElementsMatch(t, []string{"q.db", "small.db"}, names)
}

// A store over half of what the build maps is warned about at start, and
// again a day later: not at start and again at the first tick.
func TestHalfMappingWarnedOnce(t *testing.T) {
	// 17 MB of pages, and bbolt grows the file 16 MB more.
	path, cfg, clk := filledStore(t, 64<<20, 2200)
	var log testkit.Log
	e, err := Open(path, cfg, &Opts{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer e.Close()
	require.NoError(t, e.do(context.Background(), true, func(*txn) error { e.tick(); return nil }))
	require.Equal(t, 1, log.Count("over half of what this 32-bit build can map"))
}
