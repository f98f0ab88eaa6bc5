//go:build linux

package queue_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// room is how many bytes after the used pages of the file at path are
// written blocks, up to the first hole or the end.
func room(t *testing.T, path string) int64 {
	t.Helper()
	used, end := written(t, path)
	return end - used
}

// written is where the used pages of the file at path end, and where its
// written blocks after them do: its first hole, or its end.
func written(t *testing.T, path string) (used, end int64) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	require.NoError(t, db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil }))
	require.NoError(t, db.Close())
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	end, err = f.Seek(used, unix.SEEK_HOLE)
	require.NoError(t, err)
	return used, end
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

	// bbolt grows a file by truncating it: a hole, here in the middle of
	// the room.
	_, end := written(t, o.path)
	require.NoError(t, os.Truncate(o.path, end-queue.Slack/2))
	require.NoError(t, os.Truncate(o.path, end+64<<20))
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

// disk is a file system of total bytes on which other files take others
// bytes and the store's file its blocks: its free space is what they
// leave.
type disk struct {
	t      *testing.T
	path   string
	total  int64
	others atomic.Int64
}

func (d *disk) space(string) (free, total int64, err error) {
	return d.total - d.others.Load() - allocated(d.t, d.path), d.total, nil
}

func (d *disk) free() int64 { free, _, _ := d.space(""); return free }

// allocated is how many bytes of blocks the file at path takes.
func allocated(t *testing.T, path string) int64 {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Errorf("stat %s: %v", path, err)
		return 0
	}
	return st.Blocks * 512
}

// On a nearly full disk the office opens and issues tickets: the room is
// written only from what the disk can spare beyond the reserve, the
// shortfall is logged once, with the free space, for as long as it lasts,
// and the room is written again once there is space.
func TestPreallocateFullDisk(t *testing.T) {
	d := &disk{t: t, path: filepath.Join(t.TempDir(), "q.db"), total: 64 << 20}
	reserve := queue.Reserve(d.total)
	require.Equal(t, int64(16<<20), reserve, "the smallest reserve")
	d.others.Store(d.total - reserve) // full: the file's blocks take the disk below the reserve
	var log testkit.Log
	opts := &queue.Opts{Now: queuetest.NewClock(monday10).Now, Logger: slog.New(slog.NewTextHandler(&log, nil))}
	queue.SetDiskSpace(opts, d.space)
	cfg := queuetest.Office(t)
	issue := func(e *queue.Engine, want string) {
		t.Helper()
		iss, err := e.Issue(t.Context(), queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
		require.Equal(t, want, iss.Ticket.Label)
	}
	const full = "the disk is nearly full"

	e := queuetest.OpenPath(t, d.path, cfg, opts)
	require.Equal(t, 1, log.Count(full), log.String())
	require.Equal(t, 1, log.Count("MB free, 16.0 MB kept free for others"), "the warning names the free space")
	issue(e, "А001")
	for range 3 {
		queue.Tick(e)
	}
	require.Equal(t, 1, log.Count(full), "told once while the disk stays full")
	require.NoError(t, e.Close())
	require.Zero(t, room(t, d.path), "no zeros written")

	// Reopened with 1 MB to spare beyond the reserve, it writes 1 MB.
	d.others.Store(d.total - reserve - 1<<20 - allocated(t, d.path))
	e = queuetest.OpenPath(t, d.path, cfg, opts)
	require.GreaterOrEqual(t, d.free(), reserve, "the reserve is left")
	require.Equal(t, 2, log.Count(full), "told again by the new run")
	require.NoError(t, e.Close())
	require.LessOrEqual(t, room(t, d.path), int64(1<<20))
	require.GreaterOrEqual(t, room(t, d.path), int64(1<<20-64<<10), "1 MB written, less what a commit took")

	// Space returns while it runs: the timer writes the room a step at a
	// time, and says so once; when the disk fills again, that is told
	// again.
	d.others.Store(d.total - reserve)
	e = queuetest.OpenPath(t, d.path, cfg, opts)
	require.Equal(t, 3, log.Count(full))
	d.others.Store(0)
	queue.Tick(e)
	queue.Tick(e)
	const again = "gets its room written ahead again"
	require.Equal(t, 1, log.Count(again))
	d.others.Store(d.total - reserve)
	queue.Tick(e)
	queue.Tick(e)
	require.Equal(t, 4, log.Count(full))
	issue(e, "А002")
	require.NoError(t, e.Close())
	require.LessOrEqual(t, room(t, d.path), int64(3<<20))
	require.GreaterOrEqual(t, room(t, d.path), int64(3<<20-64<<10), "two steps written, less what the ticket took")
}

const envFsizeDB = "CHERGA_FSIZE_DB"

// fsizeLimit is the largest file the helper may write: bbolt's file of a
// few tickets stays far below it, the room would not.
const fsizeLimit = 1 << 20

// TestPreallocateWriteFailsHelper opens a store in a process that may
// write no file past fsizeLimit (RLIMIT_FSIZE: a write past it fails with
// EFBIG, as one on a full disk does with ENOSPC, although the file system
// has space), and issues a ticket.
func TestPreallocateWriteFailsHelper(t *testing.T) {
	path := os.Getenv(envFsizeDB)
	if path == "" {
		t.Skip("the subprocess of TestPreallocateWriteFails; runs only under it")
	}
	var lim unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_FSIZE, &lim))
	lim.Cur = fsizeLimit
	require.NoError(t, unix.Setrlimit(unix.RLIMIT_FSIZE, &lim))
	before, err := os.Stat(path)
	require.NoError(t, err)
	e, err := queue.Open(path, queuetest.Office(t), &queue.Opts{Now: queuetest.NewClock(monday10).Now, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	require.NoError(t, err)
	after, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, before.Size(), after.Size(), "the zeros past the end are cut off again")
	iss, err := e.Issue(t.Context(), queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	fmt.Println(iss.Ticket.Label)
	require.NoError(t, e.Close())
}

// A store opens although writing its room fails (the statfs said there
// was space; a write fails anyway): the office starts, the file is as
// long as before, and it is sound.
func TestPreallocateWriteFails(t *testing.T) {
	if testing.Short() {
		// As the crash test: a test binary run by an emulator
		// (make test's armv6 pass, under qemu-arm) cannot start itself.
		t.Skip("runs a subprocess of the test binary; skipped under -short")
	}
	path := filepath.Join(t.TempDir(), "q.db")
	cfg := queuetest.Office(t)
	opts := &queue.Opts{Now: queuetest.NewClock(monday10).Now, Logger: quiet}
	// A store with no room yet, so that the helper has some to write.
	queue.SetDiskSpace(opts, func(string) (int64, int64, error) { return 0, 1 << 30, nil })
	e, err := queue.Open(path, cfg, opts)
	require.NoError(t, err)
	require.NoError(t, e.Close())
	used, _ := written(t, path)
	require.Less(t, used, int64(fsizeLimit), "the used pages are written below the limit, the room past it")
	require.Greater(t, used+queue.Slack, int64(fsizeLimit))

	cmd := exec.Command(os.Args[0], "-test.run=^TestPreallocateWriteFailsHelper$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), envFsizeDB+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s\n%s", out, stderr.String())
	require.Contains(t, string(out), "А001")
	require.Contains(t, stderr.String(), "cannot write room ahead in the database file")
	require.Contains(t, stderr.String(), "file too large")

	require.NoError(t, queue.Verify(path, cfg))
	e = queuetest.OpenPath(t, path, cfg, &queue.Opts{Now: queuetest.NewClock(monday10).Now, Logger: quiet})
	iss, err := e.Issue(t.Context(), queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.Equal(t, "А002", iss.Ticket.Label)
}

// A state file deleted while the office runs (its directory removed by
// mistake) or replaced is said when it is found, and every 10 minutes
// while it lasts: a restart would open what is at the path. The backup
// the log asks for can be written to the path. Nothing is written into a
// file at the path that is not the store's. A store made afresh says so
// too.
func TestStateFileGone(t *testing.T) {
	var log testkit.Log
	path := filepath.Join(t.TempDir(), "q.db")
	clk := queuetest.NewClock(monday10)
	e := queuetest.OpenPath(t, path, queuetest.Office(t), &queue.Opts{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.Equal(t, 1, log.Count("a new, empty store"))
	const gone, replaced = "the state file was deleted", "another file is at the state file's path"
	queue.Tick(e)
	require.Zero(t, log.Count(gone))

	require.NoError(t, os.Remove(path))
	queue.Tick(e)
	queue.Tick(e)
	require.Equal(t, 1, log.Count(gone), "once, not at every tick")
	clk.Add(10 * time.Minute)
	queue.Tick(e)
	require.Equal(t, 2, log.Count(gone), "and every 10 minutes while it lasts")
	_, err := e.Issue(t.Context(), queue.IssueRequest{Service: "social"})
	require.NoError(t, err, "it runs on")

	// The backup it asks for goes to the path; not over another file there.
	_, err = e.Backup(path, false)
	require.NoError(t, err)
	queue.Tick(e)
	require.Equal(t, 1, log.Count(replaced), "restart now, it says")
	_, err = e.Backup(path, false)
	require.ErrorContains(t, err, "another file is at the state file's path")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	queue.Tick(e)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Zero(t, fi.Size(), "no room written into another file")

	// The stop says what this run stored is not at the path.
	require.ErrorContains(t, e.Close(), "deleted or replaced while this run stored into it")
	// A store at the path again, for the checks of the test's end.
	require.NoError(t, os.Remove(path))
	e, err = queue.Open(path, queuetest.Office(t), &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, e.Close())
}
