package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cherga/cherga/internal/config"
)

// The configurations the office ran are kept in the store, one version per
// change: the file it started with (again each time the file changed) and
// each one an administrator set. The office runs the latest at start, unless
// the file changed since it was last recorded: then the file wins.

// ConfigVersion is one configuration the office ran.
type ConfigVersion struct {
	Version uint64    `json:"version"`
	At      time.Time `json:"at"`
	// Source is "file" (the configuration file at start), "admin"
	// (config.set), "rollback" (config.rollback to RollbackOf) or "merge"
	// (the edits of a file edited while an administrator's version ran,
	// MergeOf, on top of it).
	Source     string `json:"source"`
	Author     string `json:"author,omitempty"`
	RollbackOf uint64 `json:"rollback_of,omitempty"`
	MergeOf    uint64 `json:"merge_of,omitempty"`
	// Config is the configuration as JSON (without its secrets).
	Config json.RawMessage `json:"config,omitempty"`
	// Tickets are what the change did to today's tickets: those of a
	// service or counter it took away moved or expired (reconcile).
	Tickets []Rehomed `json:"tickets,omitempty"`
}

// Rehomed is a ticket a change of configuration moved or ended: its
// label, the event (ticket.moved, ticket.expired) and why.
type Rehomed struct {
	Ticket string `json:"ticket"`
	Event  string `json:"event"`
	Reason string `json:"reason"`
}

var bucketConfigs = []byte("configs")

// keptConfigs bounds the history.
const keptConfigs = 200

// Change says how a change of configuration may go (SetConfigVersion).
type Change struct {
	// Base, if not 0, is the recorded version the change was made from:
	// when another is the latest recorded (the one running), nothing
	// changes and the error is a *ConfigChangedError. The check and the
	// change are one step of the engine's goroutine, so two administrators
	// who read the same version cannot both change it.
	Base uint64
	// Expire lets the change send home the tickets it leaves waiting for
	// nothing (hours that end before now, a holiday today, a service taken
	// away whose prefix no other prints, or left with no counter), or at a
	// closing today it brings forward to before they would be called
	// (closingSooner). Without
	// it such a change is refused, an *ExpiresError names them, and
	// nothing changes: a slip in a change cannot be undone for the
	// citizens it sent home.
	Expire bool
}

// SetConfigVersion is SetConfig, as ch allows, that records cfg as version
// v (its Version, At and Config are filled in) in the same transaction.
func (e *Engine) SetConfigVersion(ctx context.Context, cfg *config.Config, ch Change, v ConfigVersion) (ConfigVersion, error) {
	err := e.setConfig(ctx, cfg, ch, func(t *txn) error { return t.recordConfig(cfg, &v) })
	return v, err
}

// RecordConfig records cfg, which the engine runs already, as version v.
func (e *Engine) RecordConfig(ctx context.Context, cfg *config.Config, v ConfigVersion) (ConfigVersion, error) {
	rs := []ConfigRecord{{Config: cfg, Version: v}}
	err := e.RecordConfigs(ctx, rs...)
	return rs[0].Version, err
}

// ConfigRecord is a configuration to record, as Version (its Version, At
// and Config are filled in).
type ConfigRecord struct {
	Config  *config.Config
	Version ConfigVersion
}

// RecordConfigs records each configuration in turn, all in one
// transaction; the engine runs the last already.
func (e *Engine) RecordConfigs(ctx context.Context, rs ...ConfigRecord) error {
	return e.do(ctx, false, func(t *txn) error {
		for i := range rs {
			if err := t.recordConfig(rs[i].Config, &rs[i].Version); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *txn) recordConfig(cfg *config.Config, v *ConfigVersion) error {
	doc, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	b, err := t.tx.CreateBucketIfNotExists(bucketConfigs)
	if err != nil {
		t.fail(err)
		return err
	}
	b.FillPercent = 0.95
	v.Version, v.At, v.Config, v.Tickets = latestConfig(t.tx)+1, t.now.In(t.e.loc), doc, t.rehomed
	rec, err := json.Marshal(v)
	if err != nil {
		return err
	}
	t.fail(b.Put(u64(v.Version), rec))
	t.fail(pruneConfigs(b, v.Version))
	t.record(&Event{Type: EvConfigChanged, Version: v.Version, Reason: strings.TrimSuffix(v.Source+": "+v.Author, ": ")})
	return nil
}

// pruneConfigs keeps the keptConfigs newest versions up to newest, and the
// newest one the file gave, however old: the office compares the file with
// it at start to tell whether the file changed (and, had it gone, would let
// the file overrule what administrators set since).
func pruneConfigs(b *bolt.Bucket, newest uint64) error {
	if newest <= keptConfigs {
		return nil
	}
	var file uint64
	c := b.Cursor()
	for k, val := c.Last(); k != nil; k, val = c.Prev() {
		var cv ConfigVersion
		if json.Unmarshal(val, &cv) == nil && cv.Source == "file" {
			file = beU64(k)
			break
		}
	}
	var old [][]byte
	for k, _ := c.First(); k != nil && beU64(k) <= newest-keptConfigs; k, _ = c.Next() {
		if beU64(k) != file {
			old = append(old, k)
		}
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ConfigVersions returns the recorded configurations, oldest first.
func (e *Engine) ConfigVersions(ctx context.Context) ([]ConfigVersion, error) {
	var out []ConfigVersion
	err := e.do(ctx, true, func(*txn) error {
		return e.view(func(tx *bolt.Tx) error {
			var err error
			out, err = readConfigs(tx)
			return err
		})
	})
	return out, err
}

// StoredConfigs reads the recorded configurations of the store at path
// before an engine opens it (none when there is no file yet), so that the
// office can choose which to run.
func StoredConfigs(path string) (_ []ConfigVersion, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(path, &err)
	if fi, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err == nil && noBytes(fi) {
		return nil, noBytesError(path)
	}
	db, err := openReadOnly(path)
	if errors.Is(err, ErrDamaged) {
		return nil, err // it names the file
	}
	if err != nil {
		return nil, fmt.Errorf("queue: read the configurations of %s: %w%s", absPath(path), err, accessHint(path, err))
	}
	defer db.Close()
	var out []ConfigVersion
	err = db.View(func(tx *bolt.Tx) error {
		out, err = readConfigs(tx)
		return err
	})
	return out, err
}

// noBytesError refuses a file of no bytes at the state file's path. Only
// a missing file is a new store: a file of no bytes is most likely a copy
// of a backup that failed (installed onto a full disk), and starting an
// empty office on it would hide that the office's day and history are
// gone. (A first start cut off leaves none: Open makes a new store aside
// and links it into place, makeStore.)
func noBytesError(path string) error {
	return fmt.Errorf("queue: state file %s has no bytes: it is not a store (a copy of a backup that failed, on a full disk?): put the backup there again and check it (cherga -verify -db), or remove the file to start an empty office", absPath(path))
}

// makeStore makes a new, empty bbolt file at path, made and synced under
// another name and linked into place, so that a first start cut off (a
// power cut, a full disk) leaves no file of no bytes, nor one cut short,
// at path, which Open refuses. When it cannot (a full disk), it says why
// and leaves nothing at path: the next start tries again. A file system
// without hard links gets the file made in place, as bbolt makes it.
func makeStore(path string) error {
	tmp := newStoreName(path)
	os.Remove(tmp) // left by a start cut off
	defer os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil // no directory, no right to it: opening at path says so, making nothing
	}
	if err != nil {
		return fmt.Errorf("queue: make a new store for %s: %w", absPath(path), err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("queue: make a new store for %s: %w", absPath(path), err)
	}
	// A link, not a rename: a file put at path meanwhile is not replaced.
	err = os.Link(tmp, path)
	switch {
	case err == nil:
		syncDir(filepath.Dir(path))
	case errors.Is(err, fs.ErrExist):
	default:
		// No hard links here (a FAT stick): bbolt makes it in place.
	}
	return nil
}

// newStoreName is where makeStore makes a new store for path: a second
// name of the store at path once linked, until makeStore removes it (Open
// removes one a start cut off left).
func newStoreName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new")
}

// accessHint says what to do about err, opening or writing the state file
// at path, when it is a permission refused ("" otherwise): a file that
// exists but this user may not read or write (a root cp made it) wants its
// owner changed; one this user owns and may read and write, an attribute
// removed; a file or directory this user may not reach, another path. A
// write past what a 32-bit build can map is said to be that.
func accessHint(path string, err error) string {
	switch {
	case errors.Is(err, berrors.ErrMaxSizeReached):
		return fmt.Sprintf("; the state file has reached the %d MB this 32-bit build can map: nothing more can be stored until it has room (what it holds is sound): %s", maxMapping>>20, mapAdvice)
	case errors.Is(err, fs.ErrPermission):
		if fi, serr := os.Stat(path); serr == nil && ownedHere(fi) && fi.Mode().Perm()&0o600 == 0o600 {
			// Its owner may read and write it, and is refused all the same.
			return fmt.Sprintf("; the file is this user's, mode %v, and still refused: it is marked immutable or append-only (lsattr %[2]s shows i or a; sudo chattr -i -a %[2]s), or a security module (AppArmor, SELinux) refuses it", fi.Mode().Perm(), absPath(path))
		} else if serr == nil {
			return fmt.Sprintf("; the file (mode %v) is not this user's to read and write: give it to the user cherga runs as (sudo chown cherga: %[2]s && sudo chmod 600 %[2]s), or set db: in the configuration, or -db, to another file", fi.Mode().Perm(), absPath(path))
		}
		fallthrough
	case errors.Is(err, fs.ErrNotExist):
		return "; set db: in the configuration, or -db, to a file in a directory this user may write, such as /var/lib/cherga/cherga.db"
	case errors.Is(err, syscall.EROFS):
		// Mounted so, or made so by the kernel after the card failed a
		// write (ext4's errors=remount-ro).
		return "; the file system is read-only: if it was not mounted so, the kernel made it so after the SD card failed a write (sudo dmesg says), and a card that fails is replaced: put the latest backup on a new one"
	}
	return ""
}

// noBytes reports whether fi is of a file of no bytes.
func noBytes(fi fs.FileInfo) bool { return fi.Mode().IsRegular() && fi.Size() == 0 }

// openReadOnly opens the store at path for reading beside no engine (bbolt
// locks it); a store an engine holds is said to be in use.
func openReadOnly(path string) (*bolt.DB, error) {
	if err := mappable(path, maxMapping, nil); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%s is locked by another process (is another cherga running?)", absPath(path))
	}
	if err != nil {
		return nil, openDamage(path, err)
	}
	if err := checkLength(db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openDamage turns bolt.Open's error for a file it cannot read as a store
// (zeros, random bytes, both meta pages damaged, a copy cut short within
// its first pages) into ErrDamaged, naming the file: the administrator is
// told what to do, not bbolt's "invalid database". Other errors (a
// permission, a lock) are returned as they are.
func openDamage(path string, err error) error {
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) || strings.HasPrefix(err.Error(), "file size too small") {
		return fmt.Errorf("%w: %s: %v", ErrDamaged, absPath(path), err)
	}
	return err
}

// A store file can be damaged under bbolt: a copy torn or cut short while
// it was written, a page of a dying SD card. bbolt panics on a page that
// is not what it should be, and a read past the end of a file cut short
// faults in its memory map, which crashes the process unless the reading
// goroutine asked the runtime to panic instead (debug.SetPanicOnFault).
// Whatever reads a store before the engine runs (Open, Verify,
// StoredConfigs) asks for that and recovers: the store is reported
// damaged, never a crash and never an empty start. So do the engine's own
// transactions (view, update): a page found damaged later (a day's events
// read for tickets.list) fails the request that read it.

// recoverDamaged, deferred, turns a panic while reading the store at path
// into ErrDamaged in *err. A panic that is not the store's damage (a bug)
// goes on.
func recoverDamaged(path string, err *error) {
	if r := recover(); r != nil {
		if !damage(r) {
			panic(r)
		}
		*err = fmt.Errorf("%w: %s: %v", ErrDamaged, path, r)
	}
}

// damage reports whether a panic is a store's damage: bbolt asserts with
// text ("assertion failed: Page expected to be: 9, but self identifies as
// 0"), a fault in its memory map panics with the faulting address, and an
// element whose sizes were damaged sends bbolt's own code out of a slice's
// bounds. A nil pointer or an index of cherga's code is a bug, not damage:
// it goes on. Called from a deferred recover only, recoverDamaged's or
// earlierBackup's (its frames are counted).
func damage(r any) bool {
	switch r.(type) {
	case string, interface{ Addr() uintptr }:
		return true
	case runtime.Error:
		return panickedIn("go.etcd.io/bbolt")
	}
	return false
}

// panickedIn reports whether the panic being recovered was raised in a
// function of the package pkg: the first frame past the runtime's panic
// frames.
func panickedIn(pkg string) bool {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(0, pcs)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, pkg+"/") || strings.HasPrefix(f.Function, pkg+".")
		}
		if !more {
			return false
		}
	}
}

// view and update run the engine's bbolt transactions, damage reported as
// ErrDamaged (recoverDamaged). bbolt rolls a transaction back on a panic.
// A read beside the engine after Close gets ErrEngineClosed.
func (e *Engine) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(e.db.Path(), &err)
	if err = e.db.View(fn); errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrEngineClosed
	}
	return err
}

func (e *Engine) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(e.db.Path(), &err)
	if err = e.db.Update(fn); err == nil {
		e.commits.Add(1)
		if e.landHook != nil {
			err = e.landHook()
		}
	}
	return err
}

// maxMapping is the largest file bbolt can map in this build. On a 32-bit
// Pi it maps the file whole, growing the mapping by doubling up to 1 GiB
// and then by 1 GiB: a file past 1 GiB needs one mapping of 2 GiB, which a
// 32-bit process does not get (its address space is 3 GiB, with the rest
// of the program in it).
var maxMapping = func() int64 {
	if strconv.IntSize == 32 {
		return 1 << 30
	}
	return math.MaxInt64
}()

// initialMapping is the size bbolt maps the store file at from the start,
// past the file's own size. bbolt maps the file again, larger, when it
// outgrows its mapping: that waits for every read transaction to end (an
// administrator's statistics of a year hold one for a fraction of a
// second) while the engine's commit, and every press behind it, waits;
// and afterwards each page the engine reads faults in anew. The mapping is
// only address space, free on 64 bits: a store under 1 GiB is never
// mapped again. On 32 bits, where the whole program has 3 GiB of it (and
// a test binary many engines at once), 64 MiB: a store grows past it in
// about two months (1 MB a business day), and is then mapped again at
// each doubling, as before.
var initialMapping = func() int {
	if strconv.IntSize == 32 {
		return 64 << 20
	}
	return 1 << 30
}()

// mappable refuses a store file larger than limit, saying what to do rather
// than bbolt's "file size too small", and warns on log (when not nil) from
// half the limit on, while there is time to act.
func mappable(path string, limit int64, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return nil // bolt.Open says what is wrong
	}
	switch {
	case fi.Size() > limit:
		return fmt.Errorf("queue: state file %s is %d MB, more than the %d MB this 32-bit build can map: %s", absPath(path), fi.Size()>>20, limit>>20, mapAdvice)
	case fi.Size() > limit/2 && limit < math.MaxInt64 && log != nil:
		log.Warn("queue: the state file is over half of what this 32-bit build can map", "path", absPath(path), "mb", fi.Size()>>20, "max_mb", limit>>20, "advice", mapAdvice)
	}
	return nil
}

// mapAdvice is what to do about a state file near or at what a 32-bit build
// can map.
const mapAdvice = "run the 64-bit build (arm64) on a 64-bit kernel, or keep fewer days (office.stats_days), then stop the controller, compact the state file (cherga -compact NEWFILE) and put the new file in its place (README)"

// checkLength refuses a store file shorter than the pages its meta page
// says it holds: a copy cut short.
func checkLength(db *bolt.DB) error {
	fi, err := os.Stat(db.Path())
	if err != nil {
		return err
	}
	return db.View(func(tx *bolt.Tx) error {
		if tx.Size() > fi.Size() {
			return fmt.Errorf("%w: %s: it holds %d bytes of the %d its pages take (cut short)", ErrDamaged, db.Path(), fi.Size(), tx.Size())
		}
		return nil
	})
}

// latestConfig is the number of the latest recorded version, 0 when none
// is.
func latestConfig(tx *bolt.Tx) uint64 {
	b := tx.Bucket(bucketConfigs)
	if b == nil {
		return 0
	}
	last, _ := b.Cursor().Last()
	return beU64(last)
}

func readConfigs(tx *bolt.Tx) ([]ConfigVersion, error) {
	b := tx.Bucket(bucketConfigs)
	if b == nil {
		return nil, nil
	}
	var out []ConfigVersion
	err := b.ForEach(func(k, v []byte) error {
		var cv ConfigVersion
		if err := json.Unmarshal(v, &cv); err != nil {
			return fmt.Errorf("%w: %s: configuration version %d: %v", ErrDamaged, absPath(tx.DB().Path()), beU64(k), err)
		}
		out = append(out, cv)
		return nil
	})
	return out, err
}

// Backup writes a consistent copy of the store to path while the engine
// runs (a read transaction: nothing waits for it), through a temporary
// file that is synced and renamed, so that path is never a torn copy. It
// returns the size written. A file copied with cp while the engine writes
// can be torn; this one cannot.
//
// Compacted, the copy holds the data alone, in full pages, without the
// free pages of the store (a store whose office.stats_days was lowered
// keeps its size, and writes its long free list at every commit): put
// back as the state file, it is the smaller store. It takes longer, but
// not the store's time: the copy is compacted.
func (e *Engine) Backup(path string, compact bool) (int64, error) {
	if err := e.backupTarget(path); err != nil {
		return 0, err
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return 0, fmt.Errorf("queue: backup: %s is a folder: give the path of the backup file in it (%s)", path, filepath.Join(path, filepath.Base(e.Path())))
	} else if err == nil && !fi.Mode().IsRegular() {
		// A pipe or a device: opening it may block for good (a FIFO
		// waits for a writer), and the administrators' requests wait
		// behind this one.
		return 0, fmt.Errorf("queue: backup: %s is no file but a %s: choose another path", path, fileKind(fi.Mode()))
	} else if err == nil {
		// Replace an earlier backup, not a file of another kind (a
		// mistyped path). An earlier backup that bbolt cannot open (its
		// meta pages damaged) or read (a page damaged) is still a bbolt
		// file, and is replaced, and so is an empty file (nothing to
		// lose): the backup unit's path is fixed per weekday, and
		// refusing it would fail that weekday's backup every week.
		switch err := earlierBackup(path); {
		case err == nil:
		case errors.Is(err, errNotOurs):
			return 0, fmt.Errorf("queue: backup: %s exists and is not a store of cherga (%v): choose another path", path, err)
		case fi.Size() == 0:
		case errors.Is(err, errUnreadable) || !errors.Is(err, berrors.ErrTimeout) && boltFile(path):
			e.log.Warn("queue: backup: the earlier backup at the path is damaged; it is replaced", "path", path, "err", err)
		default:
			return 0, fmt.Errorf("queue: backup: %s exists and is not a store (%v): choose another path, or delete it if it is an earlier backup", path, err)
		}
	}
	// A backup cut off by a crash or a power cut left its temporary file:
	// as big as the store, on a card that has little room.
	// (Matched by name, not as a glob: the path is an administrator's.)
	dir, prefix := filepath.Dir(path), "."+filepath.Base(path)+"."
	if entries, err := os.ReadDir(dir); err == nil {
		for _, de := range entries {
			if rest, ok := strings.CutPrefix(de.Name(), prefix); ok && de.Type().IsRegular() && isDigits(rest) {
				os.Remove(filepath.Join(dir, de.Name()))
			}
		}
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return 0, fmt.Errorf("queue: backup: no folder %s to put %s in: create it first", dir, filepath.Base(path))
	}
	f, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return 0, fmt.Errorf("queue: backup: %w", err)
	}
	tmp := f.Name()
	err = e.view(func(tx *bolt.Tx) error {
		_, err = tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// The copy is the store's pages as they are: a damaged one
		// would replace the good backup at path with a bad one, night
		// after night. Checked before it is compacted, too: bbolt's
		// Compact panics on a damaged page.
		err = checkCopy(tmp, e.db.Path())
	}
	if err == nil {
		// Restored, the copy knows it is one (restore.go); and it is as a
		// clean stop leaves the file. Before it is compacted: that moves
		// events, and leaves free pages behind.
		err = markBackup(tmp, e.opts.Now())
	}
	if err == nil && compact {
		// From the copy, not the store: bbolt's Compact reads its source
		// in one transaction, which would hold up the store's growth
		// (every write that needs room) for as long as it takes.
		var small string
		small, _, err = compactCopy(tmp, dir, prefix)
		os.Remove(tmp)
		tmp = small
	}
	var n int64 // what the path holds
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(tmp); err == nil {
			n = fi.Size()
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if errors.Is(err, ErrDamaged) {
		os.Remove(tmp)
		return 0, fmt.Errorf("queue: backup to %s refused, the backup there is kept: the copy of the live store is damaged, so the live store needs attention (stop the office, run cherga -verify -db %s): %w", path, absPath(e.db.Path()), err)
	}
	if err != nil {
		os.Remove(tmp)
		if unmappable(err) {
			// Not the copy's fault: bbolt maps it whole, beside the
			// store, and a 32-bit build (3 GB of addresses) may find no
			// room for both once the store is past half of what it maps.
			return 0, fmt.Errorf("queue: backup to %s: no room to map the copy beside the running store (%w): take the backup with the controller stopped (copy the state file), or run the 64-bit build (arm64) on a 64-bit kernel", path, err)
		}
		return 0, fmt.Errorf("queue: backup to %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return n, nil
}

// fileKind names what a path that is no regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return m.Type().String()
}

// checkCopy checks the structure of the store copy at path, every key and
// value read, and returns the damage found as ErrDamaged naming the store
// it was copied from: the copy holds that store's pages as they are. A
// copy it cannot open for another reason (no memory to map it) is an
// error of its own, not damage.
func checkCopy(path, store string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(absPath(store), &err)
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	switch {
	case err == nil:
	case errors.Is(openDamage(path, err), ErrDamaged):
		return fmt.Errorf("%w: %s: %v", ErrDamaged, absPath(store), err)
	default:
		return fmt.Errorf("check the copy: %w", err)
	}
	defer db.Close()
	return structureDamage(db, absPath(store), true, false)
}

// unmappable reports whether err is bbolt's failure to map a file for want
// of room in the process's addresses: ENOMEM, which bbolt passes on as
// text when a write grows the file.
func unmappable(err error) bool {
	return errors.Is(err, syscall.ENOMEM) || strings.Contains(err.Error(), syscall.ENOMEM.Error())
}

// errNotOurs is a bbolt file without cherga's buckets, and errUnreadable
// one whose pages bbolt cannot read.
var (
	errNotOurs    = errors.New("a bbolt file of another program")
	errUnreadable = errors.New("a page of it cannot be read")
)

// earlierBackup reads the file at a backup's path: nil for a store of
// cherga's (an earlier backup), errNotOurs for another program's bbolt
// file, errUnreadable for one bbolt opens but cannot read (bbolt panics on
// a damaged page: the request, and the controller, would die of it), or
// bbolt's error opening it.
func earlierBackup(path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // see recoverDamaged
	defer func() {
		if r := recover(); r != nil {
			if !damage(r) {
				panic(r)
			}
			err = fmt.Errorf("%w: %v", errUnreadable, r)
		}
	}()
	old, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 100 * time.Millisecond})
	if err != nil {
		return err
	}
	defer old.Close()
	return old.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return errNotOurs
		}
		return nil
	})
}

// boltFile reports whether the file at path is a bbolt file, however
// damaged: either of its meta pages, the first, or the second at one of
// the page sizes bbolt uses, has its flag and bbolt's magic number. A text
// file or random bytes do not.
func boltFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	const (
		magic    = 0xED0CDAED // bbolt's internal/common.Magic
		metaFlag = 0x04
	)
	b := make([]byte, 64<<10+pageHeader+4)
	n, _ := io.ReadFull(f, b)
	b = b[:n]
	meta := func(off int) bool {
		return off+pageHeader+4 <= len(b) &&
			binary.LittleEndian.Uint16(b[off+8:])&metaFlag != 0 &&
			binary.LittleEndian.Uint32(b[off+pageHeader:]) == magic
	}
	if meta(0) {
		return true
	}
	for ps := 512; ps <= 64<<10; ps *= 2 {
		if meta(ps) {
			return true
		}
	}
	return false
}

// compactCopy writes the data of the store copy at src into a new file in
// dir, named prefix and digits (a backup's temporary name), and returns its
// path and size.
func compactCopy(src, dir, prefix string) (path string, n int64, err error) {
	f, err := os.CreateTemp(dir, prefix+"*")
	if err != nil {
		return "", 0, err
	}
	path = f.Name()
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(path)
		}
	}()
	from, err := bolt.Open(src, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return path, 0, err
	}
	defer from.Close()
	dst, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, Timeout: time.Second})
	if err != nil {
		return path, 0, err
	}
	err = bolt.Compact(dst, from, 16<<20)
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return path, 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return path, 0, err
	}
	return path, fi.Size(), nil
}

// isDigits reports whether s is a run of decimal digits, as the random
// part of os.CreateTemp's names is.
func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// backupTarget refuses a backup over the store's file, and over another
// file at its path (a backup put back there: a restart runs on it). At
// the path of a state file that was deleted while the office runs, the
// backup is what is to be put there, as the log says.
func (e *Engine) backupTarget(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return nil // nothing there
	case e.file != nil && os.SameFile(fi, e.file), e.file == nil && sameFile(path, e.db.Path()):
		return fmt.Errorf("queue: backup: %s is the store itself", path)
	case sameFile(path, e.db.Path()):
		return fmt.Errorf("queue: backup: another file is at the state file's path %s (a backup put back?): restart to run on it, or move it away first", path)
	}
	return nil
}

// sameFile reports whether a and b name the same file (or would).
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(fa, fb)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
