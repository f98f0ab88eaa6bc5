package queue_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// damagedStore writes a store of some tickets at a new path and returns
// it and its office, closed.
func damagedStore(t *testing.T) (string, *config.Config) {
	t.Helper()
	cfg := queuetest.Office(t)
	path := filepath.Join(t.TempDir(), "q.db")
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	for range 20 {
		_, err := e.Issue(context.Background(), queue.IssueRequest{Service: "social"})
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())
	return path, cfg
}

// damagePage overwrites the id in the header of page id of the store
// file at path (a dying SD card), through a file of its own: an engine
// that has the store open reads it so too (its memory map is shared).
func damagePage(t *testing.T, path string, id int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], 0x7777)
	_, err = f.WriteAt(b[:], int64(id*os.Getpagesize()))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

// A meta page torn by a power cut during a commit (here: zeroed) leaves a
// sound store: bbolt opens it by its other meta page, and so does Verify,
// whichever of the two is torn. Both torn is damage.
func TestVerifyTornMetaPage(t *testing.T) {
	path, cfg := damagedStore(t)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	size := os.Getpagesize()
	for _, pages := range [][]int{{0}, {1}, {0, 1}} {
		torn := bytes.Clone(good)
		for _, id := range pages {
			clear(torn[id*size : (id+1)*size])
		}
		p := filepath.Join(t.TempDir(), "torn.db")
		require.NoError(t, os.WriteFile(p, torn, 0o600))
		err := queue.Verify(p, cfg)
		if len(pages) == 2 {
			require.ErrorIs(t, err, queue.ErrDamaged, "%v", pages)
			continue
		}
		require.NoError(t, err, "meta page %v torn", pages)
		e, err := queue.Open(p, cfg, &queue.Opts{Logger: quiet})
		require.NoError(t, err)
		tks, err := e.Tickets(context.Background())
		require.NoError(t, err)
		require.Len(t, tks, 20)
		_, err = e.Issue(context.Background(), queue.IssueRequest{Service: "social"})
		require.NoError(t, err)
		require.NoError(t, e.Close())
		require.NoError(t, queue.Verify(p, cfg), "after a commit wrote it again")
	}
}

// A torn meta page does not hide damage in the tree: bbolt's check, which
// stops at the torn page, runs on a copy with it mended. Here two keys of
// a leaf of the tree swapped, which only that check sees.
func TestVerifyTornMetaPageHidesNoDamage(t *testing.T) {
	path, cfg := damagedStore(t)
	good, err := os.ReadFile(path)
	require.NoError(t, err)
	size := os.Getpagesize()
	u16 := func(b []byte, off int) int { return int(binary.NativeEndian.Uint16(b[off:])) }
	u32 := func(b []byte, off int) int { return int(binary.NativeEndian.Uint32(b[off:])) }
	older := 0 // the meta page of the earlier transaction: its txid
	if binary.NativeEndian.Uint64(good[size+64:]) < binary.NativeEndian.Uint64(good[64:]) {
		older = 1
	}
	verify := func(b []byte) error {
		p := filepath.Join(t.TempDir(), "q.db")
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return queue.Verify(p, cfg)
	}
	const outOfOrder = "needs to be >"
	for id := 2; id < len(good)/size; id++ {
		page := good[id*size : (id+1)*size]
		if u16(page, 8) != 0x02 || u16(page, 10) < 2 { // a leaf of two keys or more
			continue
		}
		e0, e1 := 16, 32 // element headers: flags, pos, ksize, vsize
		k0, k1 := e0+u32(page, e0+4), e1+u32(page, e1+4)
		if u32(page, e0+8) != 8 || u32(page, e1+8) != 8 || k1+8 > size {
			continue
		}
		bad := bytes.Clone(good)
		p := bad[id*size:]
		a, b := bytes.Clone(p[k0:k0+8]), bytes.Clone(p[k1:k1+8])
		copy(p[k0:], b)
		copy(p[k1:], a)
		if err := verify(bad); err == nil || !strings.Contains(err.Error(), outOfOrder) {
			continue // a page of no tree: freed
		}
		clear(bad[older*size : (older+1)*size])
		err := verify(bad)
		require.ErrorIs(t, err, queue.ErrDamaged, "page %d", id)
		require.ErrorContains(t, err, outOfOrder)
		return
	}
	t.Fatal("no leaf of 8-byte keys in the tree")
}

// A store with a damaged page header (each page in turn) that Verify
// finds damaged is refused at the start when opening reads the page, as
// one cut short is, else said in the status (OnStore) once its structure
// is checked after the start; either way naming the file and what to do:
// served from in silence, it would fail requests one by one.
func TestDamagedPageRefusedAtStart(t *testing.T) {
	base, err := damageBase()
	require.NoError(t, err)
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	require.NoError(t, err)
	dir := t.TempDir()
	damaged, said := 0, 0
	for id := 2; id < len(base)/os.Getpagesize(); id++ {
		// A file of its own each: bbolt keeps one it panicked on locked.
		path := filepath.Join(dir, fmt.Sprintf("q%d.db", id))
		require.NoError(t, os.WriteFile(path, base, 0o600))
		damagePage(t, path, id)
		if queue.Verify(path, cfg) == nil {
			continue // a free page: nothing reads it
		}
		damaged++
		told := make(chan error, 8)
		opts := &queue.Opts{Logger: quiet, OnStore: func(err error) { told <- err }}
		queue.SetCheckAfter(opts, time.Millisecond)
		e, err := queue.Open(path, cfg, opts)
		if err == nil {
			select {
			case err = <-told:
				require.ErrorContains(t, err, "the store file is damaged", "page %d", id)
				said++
			case <-time.After(20 * time.Second):
				t.Fatalf("page %d: damage not told", id)
			}
			e.Close()
			require.ErrorContains(t, err, path, "page %d", id)
			require.ErrorContains(t, err, "restore a backup", "page %d", id)
			continue
		}
		require.ErrorIs(t, err, queue.ErrDamaged, "page %d", id)
		require.ErrorContains(t, err, path, "page %d", id)
		require.ErrorContains(t, err, "restore a backup", "page %d", id)
	}
	require.NotZero(t, damaged)
	require.NotZero(t, said, "a page opening does not read")
}

// A backup of a store damaged under a running engine is refused, saying
// that the live store needs attention, and the good backup taken before
// at that path is kept: a week of nightly backups must not all copy the
// damage.
func TestBackupRefusesDamagedCopy(t *testing.T) {
	path, cfg := damagedStore(t)
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	defer e.Close()
	dir := t.TempDir()
	backup := filepath.Join(dir, "cherga-Thu.db")
	_, err = e.Backup(backup, false)
	require.NoError(t, err)
	good, err := os.ReadFile(backup)
	require.NoError(t, err)

	damagePage(t, path, 3)
	for _, compact := range []bool{false, true} {
		_, err = e.Backup(backup, compact)
		require.ErrorIs(t, err, queue.ErrDamaged)
		require.ErrorContains(t, err, "the backup there is kept")
		require.ErrorContains(t, err, "cherga -verify -db "+path)
		kept, err := os.ReadFile(backup)
		require.NoError(t, err)
		require.Equal(t, good, kept, "the previous backup is kept")
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary copy is left")
	}
	require.NoError(t, queue.Verify(backup, cfg))
}

// A file of no bytes at the state file's path (a backup installed onto a
// full disk) is no store: Open, StoredConfigs and Verify refuse it, saying
// what to do, and leave it as it is; an office started empty on it would
// hide that its day and history are gone. Only a missing file is a new
// store, and a first start leaves no file of no bytes behind.
func TestNoBytesStateFileRefused(t *testing.T) {
	cfg := queuetest.Office(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	require.NoError(t, os.WriteFile(path, nil, 0o600))
	_, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.ErrorContains(t, err, path+" has no bytes: it is not a store")
	require.ErrorContains(t, err, "remove the file to start an empty office")
	_, err = queue.StoredConfigs(path)
	require.ErrorContains(t, err, "has no bytes")
	err = queue.Verify(path, cfg)
	require.ErrorContains(t, err, "has no bytes")
	require.NotErrorIs(t, err, queue.ErrEmpty, "it is not an empty store")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Zero(t, fi.Size(), "left as it is")

	require.NoError(t, os.Remove(path))
	versions, err := queue.StoredConfigs(path)
	require.NoError(t, err)
	require.Empty(t, versions)
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, queue.Verify(path, cfg))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no file is left beside the new store")
}

// A backup whose meta pages were damaged (bbolt cannot open it) is still a
// bbolt file: the next backup to its path replaces it, and says so. The
// backup unit's path is fixed per weekday; refusing would fail that
// weekday's backup every week. A file that is no bbolt file (random bytes,
// a text file: a mistyped path) is still refused.
func TestBackupReplacesDamagedBackup(t *testing.T) {
	path, cfg := damagedStore(t)
	var log bytes.Buffer
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.NoError(t, err)
	defer e.Close()
	dir := t.TempDir()
	backup := filepath.Join(dir, "cherga-Thu.db")
	_, err = e.Backup(backup, false)
	require.NoError(t, err)

	// Both meta pages fail their checksum: their txid is changed.
	f, err := os.OpenFile(backup, os.O_RDWR, 0)
	require.NoError(t, err)
	for _, page := range []int{0, 1} {
		_, err = f.WriteAt([]byte{0x5A}, int64(page*os.Getpagesize()+64))
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	_, err = bolt.Open(backup, 0o600, &bolt.Options{ReadOnly: true})
	require.Error(t, err, "bbolt cannot open the damaged backup")

	_, err = e.Backup(backup, false)
	require.NoError(t, err)
	require.Contains(t, log.String(), "the earlier backup at the path is damaged; it is replaced")
	require.NoError(t, queue.Verify(backup, cfg))

	// Its root page damaged (a weak sector): bbolt opens it, and panics
	// reading it. Before, that killed the controller at every backup.
	f, err = os.OpenFile(backup, os.O_RDWR, 0)
	require.NoError(t, err)
	ps := os.Getpagesize()
	for _, meta := range []int{0, 1} {
		var root [8]byte
		_, err = f.ReadAt(root[:], int64(meta*ps+32)) // the page header, magic, version, page size, flags
		require.NoError(t, err)
		_, err = f.WriteAt(bytes.Repeat([]byte{0xA5}, ps), int64(binary.LittleEndian.Uint64(root[:]))*int64(ps))
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	log.Reset()
	_, err = e.Backup(backup, false)
	require.NoError(t, err)
	require.Contains(t, log.String(), "the earlier backup at the path is damaged; it is replaced")
	require.Contains(t, log.String(), "a page of it cannot be read")
	require.NotContains(t, log.String(), "restore a backup", "the store's own damage is not what happened")
	require.NoError(t, queue.Verify(backup, cfg))
	// An empty file (nothing to lose) is replaced too.
	require.NoError(t, os.WriteFile(backup, nil, 0o600))
	_, err = e.Backup(backup, false)
	require.NoError(t, err)
	require.NoError(t, queue.Verify(backup, cfg))

	random := make([]byte, 3*os.Getpagesize())
	_, _ = rand.Read(random)
	for name, data := range map[string][]byte{
		"random.db": random,
		"notes.txt": []byte("backups go to /var/backups/cherga\n"),
	} {
		other := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(other, data, 0o600))
		_, err = e.Backup(other, false)
		require.ErrorContains(t, err, "exists and is not a store", name)
		kept, err := os.ReadFile(other)
		require.NoError(t, err)
		require.Equal(t, data, kept, name)
	}
	// A folder, or a folder that is not there: said so, not bbolt's
	// "invalid database" or the name of a temporary file.
	_, err = e.Backup(dir, false)
	require.ErrorContains(t, err, dir+" is a folder: give the path of the backup file in it ("+filepath.Join(dir, filepath.Base(path))+")")
	_, err = e.Backup(filepath.Join(dir, "nodir", "b.db"), false)
	require.EqualError(t, err, "queue: backup: no folder "+filepath.Join(dir, "nodir")+" to put b.db in: create it first")
}

// A file bbolt cannot read as a store (zeros, random bytes), an event or a
// configuration version that does not decode: each is refused saying the
// file, that it is damaged and what to do, as a store cut short is; not
// bbolt's "invalid database" or a JSON error without a path.
func TestDamagedFileSaysWhatToDo(t *testing.T) {
	cfg := queuetest.Office(t)
	dir := t.TempDir()
	says := func(t *testing.T, err error, path string) {
		t.Helper()
		require.ErrorIs(t, err, queue.ErrDamaged)
		require.ErrorContains(t, err, path)
		require.ErrorContains(t, err, "restore a backup that cherga -verify finds sound (README, Backups), or move the file aside")
	}
	random := make([]byte, 64<<10)
	_, _ = rand.Read(random)
	for name, data := range map[string][]byte{
		"zeros.db":  make([]byte, 64<<10),
		"random.db": random,
		"short.db":  random[:5000], // less than two pages: bbolt's "file size too small"
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.WriteFile(path, data, 0o600))
			_, err := queue.StoredConfigs(path)
			says(t, err, path)
			says(t, queue.Verify(path, cfg), path)
			_, err = queue.Open(path, cfg, &queue.Opts{Logger: quiet})
			says(t, err, path)
		})
	}

	base, err := damageBase()
	require.NoError(t, err)
	spoil := func(t *testing.T, bucket string, first bool) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "cur.db")
		require.NoError(t, os.WriteFile(path, base, 0o600))
		db, err := bolt.Open(path, 0o600, nil)
		require.NoError(t, err)
		require.NoError(t, db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			k, _ := b.Cursor().Last()
			if first {
				k, _ = b.Cursor().First()
			}
			return b.Put(k, []byte("x{"))
		}))
		require.NoError(t, db.Close())
		return path
	}
	t.Run("event", func(t *testing.T) {
		path := spoil(t, "events", false) // today's last: the start replays it
		_, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
		says(t, err, path)
	})
	t.Run("configuration", func(t *testing.T) {
		path := spoil(t, "configs", true)
		_, err := queue.StoredConfigs(path)
		says(t, err, path)
	})
}

// A first start that cannot make its store (a full disk; here the name it
// makes it under is taken) says why and leaves nothing at the path, so
// that the next one starts: not a file of no bytes that it would refuse.
func TestFirstStartThatCannotMakeItsStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".q.db.new", "x"), 0o700))
	cfg := queuetest.Office(t)
	_, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.ErrorContains(t, err, "make a new store")
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing at the path")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, ".q.db.new")))
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err, "the next start makes it")
	require.NoError(t, e.Close())
}

// A first start cut off after linking its new store into place, before
// removing the other name, left a second name of the store: the next
// start removes it (a restore installed at the path would leave the old
// store under it for good).
func TestSecondNameOfNewStoreRemoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	cfg := queuetest.Office(t)
	e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, os.Link(path, filepath.Join(dir, ".q.db.new")))
	e, err = queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	_, err = os.Stat(filepath.Join(dir, ".q.db.new"))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(path)
	require.NoError(t, err)
}

// A state file cherga may not open says what to do: a file that exists
// (a root cp made it) wants its owner changed, not another path. (Tests
// run as root, whom no mode stops: the hint is checked as such.)
func TestAccessHint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	denied := &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	require.Contains(t, queue.AccessHint(path, denied), "a file in a directory this user may write") // no file: no owner to change
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o400))
	require.Contains(t, queue.AccessHint(path, denied), "(mode -r--------) is not this user's to read and write: give it to the user cherga runs as (sudo chown cherga: "+path+" && sudo chmod 600 "+path+")")
	require.NoError(t, os.Chmod(path, 0o600))
	require.Contains(t, queue.AccessHint(path, denied), "the file is this user's, mode -rw-------, and still refused: it is marked immutable or append-only (lsattr "+path+" shows i or a; sudo chattr -i -a "+path+")", "chattr +i")
	require.Empty(t, queue.AccessHint(path, errors.New("other")))
	rofs := &fs.PathError{Op: "write", Path: path, Err: syscall.EROFS}
	require.Contains(t, queue.AccessHint(path, fmt.Errorf("commit: %w", rofs)), "the kernel made it so after the SD card failed a write (sudo dmesg says)")
}

// The engine checks its store's structure a minute after its start, while
// the office writes: pages that a write freed or took meanwhile are no
// damage. (bbolt's own check, run so, reads them as such: the test shows
// the writes provoke it.)
func TestStructureCheckWhileWriting(t *testing.T) {
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	require.NoError(t, err)
	e, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), cfg, &queue.Opts{Logger: quiet})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	issue := func(n int) {
		for range n {
			_, err := e.Issue(ctx, queue.IssueRequest{Service: "social"})
			require.NoError(t, err)
		}
	}
	issue(200)
	// One write: the free list of the commit the check began from is
	// still in the file, and compared; twenty: written over.
	for _, n := range []int{1, 20} {
		problems, err := queue.CheckBehind(e, false, func() { issue(n) })
		require.NoError(t, err)
		require.NotEmpty(t, problems, "bbolt's check of the whole store saw no write since it began")
		problems, err = queue.CheckBehind(e, true, func() { issue(n) })
		require.NoError(t, err)
		require.Empty(t, problems, "%d writes", n)
	}
}

// bucketRoot is the root page of the bucket name of the store at path,
// the largest of them for "" (0: inline).
func bucketRoot(t *testing.T, path, name string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	var root uint64
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(n []byte, b *bolt.Bucket) error {
			if name == "" || string(n) == name {
				root = max(root, uint64(b.Root()))
			}
			return nil
		})
	}))
	return root
}

// A free list that names a page in use (one flipped bit of it) is refused
// at the start, before the engine writes: bbolt would give the page out
// again, and the first commit write over what it holds. The file is left
// as it was, for whoever recovers it.
func TestFreePageInUseRefusedBeforeWriting(t *testing.T) {
	path, cfg := damagedStore(t)
	live := bucketRoot(t, path, "")
	require.NotZero(t, live, "a bucket with a page of its own")
	b := freeListNames(t, path, live)
	_, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
	require.ErrorIs(t, err, queue.ErrDamaged)
	require.ErrorContains(t, err, fmt.Sprintf("page %d: in use and free", live))
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, bytes.Equal(b, after), "nothing written into the damaged file")
	require.ErrorContains(t, queue.Verify(path, cfg), "in use and free")
}

// So is one that names a page a value longer than a page takes past its
// leaf (its overflow): a past day's statistics of a few hundred visits.
func TestFreeOverflowPageRefusedBeforeWriting(t *testing.T) {
	// An engine of its own: the office of the other tests verifies its
	// store when the test ends, which here is damaged on purpose.
	cfg, path, clk := queuetest.Office(t), filepath.Join(t.TempDir(), "q.db"), queuetest.NewClock(monday10)
	e, err := queue.Open(path, cfg, &queue.Opts{Now: clk.Now, Logger: quiet})
	require.NoError(t, err)
	ctx := context.Background()
	for range 400 {
		_, err := e.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
		clk.Add(20 * time.Second)
		_, err = e.Counter(ctx, "1", queue.Command{Action: queue.Next})
		require.NoError(t, err)
		clk.Add(40 * time.Second)
	}
	clk.Add(24 * time.Hour)
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"}) // the day before is recorded
	require.NoError(t, err)
	require.NoError(t, e.Close())

	db, err := bolt.Open(path, 0o600, nil) // Tx.Page needs the free list, which a read-only one does not read
	require.NoError(t, err)
	var over uint64
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		for id := 2; id < int(tx.Size())/os.Getpagesize() && over == 0; id++ {
			if p, err := tx.Page(id); err == nil && p != nil && p.Type == "leaf" && p.OverflowCount > 0 {
				over = uint64(id + 1)
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())
	require.NotZero(t, over, "a leaf in use with an overflow page")

	freeListNames(t, path, over)
	_, err = queue.Open(path, cfg, &queue.Opts{Now: clk.Now, Logger: quiet})
	require.ErrorIs(t, err, queue.ErrDamaged)
	require.ErrorContains(t, err, fmt.Sprintf("page %d: in use and free", over))
}

// freeListNames writes id over the first page on the free list of the
// store at path, as one damaged bit may, and returns the file's bytes.
func freeListNames(t *testing.T, path string, id uint64) []byte {
	t.Helper()
	// The free list of the latest commit: its page from the meta page of
	// the higher transaction id, then the first id on it.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	ps := os.Getpagesize()
	meta := func(m int) (txid, freelist uint64) {
		at := m*ps + 16
		return binary.LittleEndian.Uint64(b[at+48:]), binary.LittleEndian.Uint64(b[at+32:])
	}
	tx0, fl := meta(0)
	if tx1, fl1 := meta(1); tx1 > tx0 {
		fl = fl1
	}
	count := binary.LittleEndian.Uint16(b[int(fl)*ps+10:])
	require.NotZero(t, count, "pages free")
	first := int(fl)*ps + 16
	if count == 0xFFFF {
		first += 8
	}
	binary.LittleEndian.PutUint64(b[first:], id)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return b
}

// A loop in a bucket's pages (a child that points back at its parent) is
// damage that Verify and the engine's check report: they walk the pages
// themselves before anything goes through bbolt's cursors, which such a
// loop sends round until the memory runs out.
func TestPageLoopReported(t *testing.T) {
	path, cfg := damagedStore(t)
	root := eventsBranch(t, path, func(page []byte) {
		binary.LittleEndian.PutUint64(page[16+8:], binary.LittleEndian.Uint64(page)) // its first child: itself
	})
	err := within(t, func() error { return queue.Verify(path, cfg) })
	require.ErrorContains(t, err, fmt.Sprintf("page %d: reached twice", root))
}

// A branch page whose count of elements reads 0 (a zeroed byte) is refused
// at the start, before bbolt's cursors look for its last element, which
// they would do until the memory runs out.
func TestBranchWithoutElementsRefused(t *testing.T) {
	path, cfg := damagedStore(t)
	root := eventsBranch(t, path, func(page []byte) { binary.LittleEndian.PutUint16(page[10:], 0) })
	want := fmt.Sprintf("page %d: a branch page without elements", root)
	err := within(t, func() error {
		e, err := queue.Open(path, cfg, &queue.Opts{Logger: quiet})
		if err == nil {
			e.Close()
		}
		return err
	})
	require.ErrorIs(t, err, queue.ErrDamaged)
	require.ErrorContains(t, err, want)
	require.ErrorContains(t, within(t, func() error { return queue.Verify(path, cfg) }), want)
}

// eventsBranch damages the root page of the events bucket of the store at
// path, a branch page, with damage, and returns its id.
func eventsBranch(t *testing.T, path string, damage func(page []byte)) uint64 {
	t.Helper()
	root := bucketRoot(t, path, "events")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := b[int(root)*os.Getpagesize():]
	require.Equal(t, uint16(0x01), binary.LittleEndian.Uint16(page[8:]), "the events' root is a branch page")
	damage(page)
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return root
}

// within runs f, failing the test when it has not returned in a minute (a
// loop).
func within[T any](t *testing.T, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(time.Minute):
		t.Fatal("it goes round a loop of pages")
		panic("unreachable")
	}
}
