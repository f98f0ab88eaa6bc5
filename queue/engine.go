package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/config"
)

// Opts configures an Engine. The zero value and nil mean DefaultOpts.
type Opts struct {
	// MaxBatch bounds how many requests share one transaction (group commit).
	MaxBatch int `yaml:"max_batch"`
	// Now is the wall clock; nil means time.Now.
	// Uptime is a monotonic clock (what it counts from does not matter);
	// nil means the process's. Tests that move Now as a clock that runs
	// (rather than one set) move it too.
	Uptime func() time.Duration `yaml:"-"`
	Now    func() time.Time     `yaml:"-"`
	// Logger receives what the engine has to say; nil means slog.Default().
	Logger *slog.Logger `yaml:"-"`
	// OnStore, if set, hears when the store goes wrong (its writes fail:
	// a full disk, a file system gone read-only; a write hangs: a card
	// that stopped answering; its file was deleted or replaced; its pages
	// are damaged, found a minute after opening) and, with
	// nil, when a change is saved again: an operator should see it beside
	// the logs. Calls come one at a time, from the engine's goroutines.
	OnStore func(err error) `yaml:"-"`
	// space is the free space of the file's file system; nil means
	// diskSpace (tests give a disk of their own, SetDiskSpace).
	space spaceFunc
	// checkAfter is how long after opening the store's structure is
	// checked; 0 means structureCheckAfter (tests, SetCheckAfter).
	checkAfter time.Duration
}

// structureCheckAfter is how long after opening the engine checks the
// store's structure: once the office has started, not on its way up.
const structureCheckAfter = time.Minute

// DefaultOpts are the options used for a nil *Opts.
var DefaultOpts = Opts{MaxBatch: 128}

// minValidClock is the earliest wall clock the engine believes: a Raspberry
// Pi without RTC boots at 1970 or at its last shutdown until NTP answers.
var minValidClock = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Engine owns the queue state of one office. All its methods are safe for
// concurrent use; they are served one at a time by the engine's goroutine.
type Engine struct {
	db   *bolt.DB
	cfg  *config.Config
	loc  *time.Location
	opts Opts
	log  *slog.Logger

	reqs   chan *request
	swaps  chan *swapRequest
	notify chan struct{}
	quit   chan struct{}
	done   chan struct{}
	once   sync.Once
	// checking is the structure check (checkStructure), which reads the
	// file: Close waits for it before it closes the file.
	checking sync.WaitGroup
	// made is whether Open made the state file (Made).
	made bool
	// file is the state file as opened (checkFile).
	file fs.FileInfo
	// troubleSaid is the trouble with the file the log last told of, at
	// troubleAt (loop goroutine only).
	troubleSaid string
	troubleAt   time.Time
	// mapChecked is when the file's size was last held against what this
	// build can map (loop goroutine only).
	mapChecked time.Time
	// failLogged is when a failed write was last logged, failedAs the
	// texts of the errors logged since the store last saved a change, and
	// unlogged how many have failed since (the engine's goroutine): a full
	// disk fails every press and tick, and the journal would fill the rest
	// of it.
	failLogged time.Time
	failedAs   map[string]bool
	unlogged   int
	// commitErr is the first failure of the write transactions since one
	// that saved a request committed, fileErr checkFile's (the engine's
	// goroutine); damage checkStructure's (the engine's goroutine); told is
	// what OnStore heard last (toldMu).
	commitErr, fileErr, damage error
	toldMu                     sync.Mutex
	told                       string
	// broken stops every write after a failed commit whose state could
	// not be read back: this run's memory holds what the file may not,
	// and a restart reads the file afresh (loop goroutine only);
	// brokenCh is closed then (Broken).
	broken   error
	brokenCh chan struct{}
	// unsaid are the tickets of a batch whose commit failed but whose
	// changes the file holds (bbolt wrote its meta page, then could not
	// sync it): their kiosks were told no ticket was issued, and the next
	// write transaction voids them (loop goroutine only); unbooked, the
	// visits such a batch booked, whose codes nobody was given: cancelled.
	unsaid, unbooked []uint64
	// durable is the seq of the last event of a commit that returned:
	// what may be published. A read transaction sees a commit before its
	// meta page is synced, and a power cut then would take it back.
	durable atomic.Uint64
	// writing is when the write transaction under way began (UnixNano),
	// 0 for none: watchStalls tells a disk that stopped answering.
	writing atomic.Int64

	st *state // owned by the loop goroutine

	svcs map[string]*config.Service
	ctrs map[string]*config.Counter
	// byPrefix is the service that prints each prefix.
	byPrefix map[string]*config.Service
	// servedBy are the counters that serve each service (loop goroutine
	// only).
	servedBy map[string][]string
	// acked is the event seq the publisher acknowledged (Ack); ackStored
	// the one the store holds (loop goroutine only).
	acked     atomic.Uint64
	ackStored uint64
	// ackDue asks the loop to store the acknowledged seq now: a long
	// backlog (sent after a broker outage) is stored every ackEvery
	// events, so that a crash during it sends again only those.
	ackDue    chan struct{}
	ackNudged atomic.Uint64 // the seq of the last ask
	// commits counts the write transactions committed (Commits).
	commits atomic.Uint64
	// pub is the retained state committed but not yet taken by the
	// publisher (TakeRetained); load the rows of the office load, one per
	// service in configuration order, kept current with every commit.
	pubMu sync.Mutex
	pub   retained
	load  display.Load
	// svcIdx is the index of each service in cfg.Services.
	svcIdx map[string]int
	// buf is the events buffer of the write transactions (loop goroutine
	// only).
	buf []byte
	// freeAt and proj are the scratch space of the wait estimate (loop
	// goroutine only).
	freeAt []time.Duration
	proj   projScratch
	// comps are the components of the services for the estimates, good
	// while compsKey holds; layoutGen counts the changes of pauses that
	// make them (loop goroutine only).
	comps     map[string]*component
	compsKey  compsKey
	layoutGen uint64
	// distrust is the clock the office last ran at, while a restarted
	// engine's clock is behind it and has not been set since (clockOK):
	// distrustNow and distrustUp are the wall clock and the uptime when
	// the engine started (or its clock, unset then, became valid).
	// clockStored is the clock the store holds (loop goroutine only).
	distrust, distrustNow, clockStored time.Time
	distrustUp                         time.Duration
	// seen is the latest clock the engine ran at: its last tick or write,
	// or, until its first, the clock the store held (endedAt). Loop
	// goroutine only.
	seen time.Time
	// unset: the clock was found unset (before 2024), and the log told;
	// believed: a clock was believed in this run (loop goroutine only).
	unset, believed bool
	// seenWall and seenUp are the believed clock and the uptime read last;
	// jump is a step of the clock ahead they do not explain, held until it
	// has lasted clockJumpConfirm (holdJump; loop goroutine only).
	seenWall time.Time
	seenUp   time.Duration
	jump     *clockJump
	// behindSaid is the business day the log told the clock is behind
	// (loop goroutine only).
	behindSaid string
	// inHoursNow is which services are in their opening hours (loop
	// goroutine only).
	inHoursNow openHours
	// roomWarned is the kind of shortfall of the file's written room the
	// log was last told of ("" none): a disk that stays full is told
	// once, not at every tick (loop goroutine only).
	roomWarned string
	// failHook, set by tests, makes a write transaction fail.
	failHook func() error
	// landHook, set by tests, fails a write transaction after its commit
	// (as bbolt does when the meta page's sync fails); reloadHook makes
	// the reload after a failed commit fail.
	landHook, reloadHook func() error
}

func (e *Engine) service(id string) *config.Service { return e.svcs[id] }
func (e *Engine) counter(id string) *config.Counter { return e.ctrs[id] }

// shownAs is the service whose name a ticket shows under: its own or, when
// that is no longer configured, the one that now prints its prefix. A ticket
// at a counter keeps the id of a service renamed since (see reconcile), and
// its board must still name the service. nil when neither is configured.
func (e *Engine) shownAs(tk *Ticket) *config.Service {
	if s := e.service(tk.Service); s != nil {
		return s
	}
	return e.byPrefix[labelPrefix(tk.Label)]
}

type request struct {
	ctx      context.Context // a change whose ctx ended is not made (ErrStale)
	internal bool            // the engine's own (commitEmpty), no caller's change
	fn       func(t *txn) error
	readOnly bool
	err      chan error
}

// Open opens (or creates) the bbolt file at path and starts the engine. A
// file too damaged for bbolt to read (a copy torn while it was written)
// gives ErrDamaged, not a crash.
func Open(path string, cfg *config.Config, opts *Opts) (e *Engine, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // see recoverDamaged
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("%w: %s: %v", ErrDamaged, absPath(path), r)
		}
	}()
	return open(path, cfg, opts)
}

func open(path string, cfg *config.Config, opts *Opts) (*Engine, error) {
	o := DefaultOpts
	if opts != nil {
		o = *opts
		if o.MaxBatch <= 0 {
			o.MaxBatch = DefaultOpts.MaxBatch
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Uptime == nil {
		start := time.Now()
		o.Uptime = func() time.Duration { return time.Since(start) }
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.space == nil {
		o.space = diskSpace
	}
	if err := mappable(path, maxMapping, o.Logger); err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	made := errors.Is(err, fs.ErrNotExist)
	if err == nil && noBytes(fi) {
		return nil, noBytesError(path)
	} else if made {
		if err := makeStore(path); err != nil {
			return nil, err
		}
	}
	bo := &bolt.Options{Timeout: 2 * time.Second, InitialMmapSize: initialMapping}
	if maxMapping < math.MaxInt64 {
		// Past it a write fails with ErrMaxSizeReached, the file not grown:
		// bbolt would otherwise unmap the file to map it again larger, and
		// on a 32-bit Pi fail to, leaving no store to read (accessHint).
		bo.MaxSize = int(maxMapping)
	}
	db, err := bolt.Open(path, 0o600, bo)
	if err == nil && made {
		// Said once it is made: not for a directory cherga may not write to.
		o.Logger.Info("queue: no state file yet: a new, empty store (if this office ran here before, its file is not at the path: stop, and put it, or its latest backup, there)", "path", absPath(path))
	}
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("queue: %s is locked by another process (is another cherga running?)", absPath(path))
		}
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
			return nil, fmt.Errorf("queue: state file %s: %w%s", absPath(path), err, accessHint(path, err))
		}
		if err := openDamage(path, err); errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("queue: open %s: %w", absPath(path), err)
	}
	if err := checkLength(db); err != nil {
		db.Close()
		return nil, err
	}
	if err := freeInUse(db); err != nil {
		db.Close()
		return nil, err
	}
	// A first start cut off between linking its new store into place and
	// removing the other name left a second name of this store (a restore
	// installed at the path later would leave the old store there, taking
	// the card's room). Nobody makes a store here while this one is locked.
	_ = os.Remove(newStoreName(path))
	defer func() {
		if r := recover(); r != nil {
			// Its file lock too: Open reports the damage. (A panic in
			// bolt.Open itself leaves the file mapped and locked until
			// the process ends, as the controller then does.)
			db.Close()
			panic(r)
		}
	}()
	file, _ := os.Stat(path) // what checkFile compares the path with
	e := &Engine{
		db:       db,
		file:     file,
		made:     made,
		loc:      cfg.Location(),
		opts:     o,
		log:      o.Logger,
		reqs:     make(chan *request, o.MaxBatch),
		swaps:    make(chan *swapRequest),
		notify:   make(chan struct{}, 1),
		quit:     make(chan struct{}),
		brokenCh: make(chan struct{}),
		ackDue:   make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	e.mapChecked = time.Now() // mappable, above
	e.useConfig(cfg)
	var restored *Restore
	var upgraded uint64 // the format of an older release's store, brought to storeFormat (0: none)
	if err := db.Update(func(tx *bolt.Tx) error {
		// The format first: a newer release may keep its events where
		// this one does not look, and the store is not damaged.
		if err := checkFormat(tx); err != nil {
			return err
		}
		if meta := tx.Bucket(bucketMeta); meta != nil {
			if f := beU64(meta.Get(keyFormat)); f < storeFormat {
				upgraded = max(f, 1) // before the format was recorded: 1
			}
		}
		if err := notEmptied(tx); err != nil {
			return err
		}
		if err := initBuckets(tx); err != nil {
			return err
		}
		if err := putFence(tx); err != nil {
			return err
		}
		if err := migrateOutbox(tx); err != nil {
			return err
		}
		if err := migrateTickets(tx); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMeta).Put(keyFormat, u64(storeFormat)); err != nil {
			return err
		}
		restored, err = takeBackupMark(tx)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("queue: init %s: %w", path, err)
	}
	if upgraded != 0 {
		// The change is one way: the administrator who reads the log
		// knows which releases may run on it now.
		e.log.Info("queue: the state file was brought to this release's store format: older releases refuse it from now on (keep the backup taken before the upgrade to roll back)", "from_format", upgraded, "format", storeFormat)
	}
	if restored != nil {
		// In the office's time, as the rest of its log and status: the
		// person restoring compares it with the time the box died.
		e.log.Warn("queue: the store is a backup, restored: what happened after the backup is not in it, the configuration versions and pauses set since too (office.state, config.history). The tickets issued after it are in no queue, and on the day it was taken their numbers are given out again: make each service's numbering go on after the highest number handed out (chergactl numbering.continue service=… after=N), or tell the staff and the hall. Its events end at the backup's last, and those it records from now on take the seqs after it again; the office's status lists the restore, for integrations",
			"backup_at", restored.BackupAt.In(e.loc).Format(time.RFC3339), "seq", restored.Seq, "restore", restored.ID)
	}
	// Best effort, as at every tick: a nearly full disk must not keep
	// the office from opening (systemd would start it again and again).
	e.preallocate(slack)
	if err := e.reload(); err != nil {
		db.Close()
		return nil, err
	}
	e.durable.Store(e.st.eventSeq) // in the file when it opened
	_ = db.View(func(tx *bolt.Tx) error { e.clockStored = lastClock(tx); return nil })
	e.seen = e.clockStored
	if now := o.Now(); clockValid(now) {
		e.distrustBehind(now)
	}
	stray := e.stray() // before the loop owns the state
	// The day, or a service's hours, may have ended while the office was
	// off: from the start, the boards and the answers show it so, not
	// from the first tick or press.
	e.catchUp()
	go e.loop()
	go e.watchStalls(10*time.Second, 5*time.Second)
	e.checking.Add(1)
	go func() {
		defer e.checking.Done()
		e.checkStructure(cmp.Or(o.checkAfter, structureCheckAfter))
	}()
	if stray {
		if err := e.reconcile(context.Background()); err != nil {
			e.Close()
			return nil, fmt.Errorf("queue: reconcile %s with the configuration: %w", path, err)
		}
	}
	// Events not yet published before a restart are still to be sent.
	e.signal()
	return e, nil
}

// Close stops the engine and closes the database. Requests in flight get
// ErrEngineClosed. Close is idempotent.
func (e *Engine) Close() error {
	var err error
	e.once.Do(func() {
		close(e.quit)
		<-e.done
		e.checking.Wait() // a check under way reads the file to its end
		err = e.db.Close()
		switch {
		case e.commitErr != nil:
			// The last write failed: what it held is not on disk.
			err = errors.Join(fmt.Errorf("queue: the last write to the store failed: %w", e.commitErr), err)
		case e.fileErr != nil:
			err = errors.Join(fmt.Errorf("queue: the state file was deleted or replaced while this run stored into it: %w", e.fileErr), err)
		}
	})
	return err
}

// Path is the bbolt file.
func (e *Engine) Path() string { return e.db.Path() }

// Commits is how many write transactions the engine has committed since it
// opened: each is a write of the state file, synced to the disk (two
// fdatasyncs). Nothing but a request, a new day, a closing, an
// acknowledged event or the clock (every few minutes) makes one.
func (e *Engine) Commits() uint64 { return e.commits.Load() }

// absPath is path made absolute for a message: "cherga.db" does not say
// which directory a service was started in.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

func (e *Engine) String() string { return "queue.Engine(" + e.db.Path() + ")" }

// slowWrite is how long a write transaction may take before it is logged:
// a healthy SD card commits in milliseconds.
const slowWrite = 2 * time.Second

// watchStalls logs, every look, a write transaction that has run longer
// than after: the disk stopped answering, nothing is issued or called
// meanwhile, and presses that wait longer than their deadline are refused
// once it answers (ErrStale).
func (e *Engine) watchStalls(after, look time.Duration) {
	tick := time.NewTicker(look)
	defer tick.Stop()
	for {
		select {
		case <-e.done:
			return
		case <-tick.C:
			if began := e.writing.Load(); began != 0 {
				if d := time.Since(time.Unix(0, began)); d > after {
					e.log.Error("queue: a write to the store has not finished: the disk (SD card) does not answer; nothing is issued or called until it does", "for", d.Round(time.Second))
					e.tellStall(fmt.Sprintf("a write to the store has not finished for over %s: the disk does not answer", after), began)
				}
			}
		}
	}
}

func (e *Engine) loop() {
	defer close(e.done)
	// The business day may end while nobody presses anything.
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	batch := make([]*request, 0, e.opts.MaxBatch)
	for {
		select {
		case r := <-e.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < e.opts.MaxBatch {
				select {
				case r := <-e.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			e.run(batch)
		case sw := <-e.swaps:
			sw.err <- e.swap(sw)
		case <-tick.C:
			e.tick()
		case <-e.ackDue:
			if e.acked.Load() > e.ackStored {
				e.commitEmpty()
			}
		case <-e.quit:
			// All the events into bucketEvents, as a release before
			// bucketRecent reads them, recentFence away, and the events
			// acknowledged and the clock recorded.
			e.commitInternal(func(t *txn) error { t.archiveEvents(true); return nil })
			return
		}
	}
}

// tick is the engine's periodic work while nobody presses anything: the
// business day's end, a service's closing, the acknowledged events and the
// clock to record, the wait estimates to refresh.
func (e *Engine) tick() {
	defer e.tellStore()
	e.fileErr = e.checkFile()
	if msg := fileTrouble(e.fileErr); msg != "" {
		// Said when it begins or changes, and every 10 minutes while it
		// lasts: not at every tick.
		now := e.opts.Now()
		if since := now.Sub(e.troubleAt); msg != e.troubleSaid || since < 0 || since >= 10*time.Minute {
			e.log.Error("queue: "+msg, "path", absPath(e.db.Path()), "err", e.fileErr)
			e.troubleSaid, e.troubleAt = msg, now
		}
	} else {
		e.troubleSaid = ""
		// A 32-bit build warns of a file over half what it can map once a
		// day, not only at start: a Pi may run for months.
		if maxMapping < math.MaxInt64 && time.Since(e.mapChecked) >= 24*time.Hour {
			e.mapChecked = time.Now()
			_ = mappable(e.db.Path(), maxMapping, e.log)
		}
		// Writing the room ahead is a write too: the stall watch sees it.
		e.writing.Store(time.Now().UnixNano())
		e.preallocate(step)
		e.writing.Store(0)
	}
	e.catchUp()
	e.clockBehindDay()
	e.refreshEstimates()
	e.ranAt(e.opts.Now())
}

// ranAt records that the engine ran at now (seen), unless now is behind
// (a clock set back), or not believed yet: a step ahead held (it may be
// taken back), a clock unset or behind the last run's.
func (e *Engine) ranAt(now time.Time) {
	if now.After(e.seen) && e.jump == nil && e.clockOK(now) {
		e.seen = now
	}
}

// clockBehindDay tells the log, once a business day, of a clock that
// stepped back into an earlier day than the office's: it was ahead when
// that day began (a wrong clock at boot that NTP set right later). The day
// never goes back, so the office goes on under the later day, its hours
// and its numbering, until the clock reaches it: an administrator knows.
func (e *Engine) clockBehindDay() {
	now := e.opts.Now()
	if !clockValid(now) || e.st.day == "" || e.st.day == e.behindSaid {
		return
	}
	if day := e.businessDay(now); day < e.st.day {
		e.behindSaid = e.st.day
		e.log.Error("queue: the clock went back to a day before the office's business day, which began while the clock was ahead: the office goes on under that day (its hours, its numbering, its figures) until the clock reaches it",
			"business_day", e.st.day, "clock_day", day, "now", now)
	}
}

// roomBack reports whether a store whose writes failed for want of room
// (ENOSPC, or the most a 32-bit build maps) has room again: a small change
// (a counter closed) fits the file's free pages on a disk still full, and
// the store said to work again would fail at the next press that needs a
// page more. Only a file system with a megabyte free again counts, or, at
// the mapping's limit, a megabyte of free pages.
func (e *Engine) roomBack() bool {
	switch {
	case errors.Is(e.commitErr, syscall.ENOSPC):
		free, _, err := e.opts.space(e.db.Path())
		return err != nil || free < 0 || free >= 1<<20
	case errors.Is(e.commitErr, berrors.ErrMaxSizeReached):
		// The file may not grow: only its free pages (old days pruned,
		// office.stats_days lowered) make room.
		return int64(e.db.Stats().FreePageN)*int64(e.db.Info().PageSize) >= 1<<20
	}
	return true
}

// savedRequest reports whether batch holds a caller's change that was
// made (errs: not refused, not stale).
func savedRequest(batch []*request, errs []error) bool {
	for i, r := range batch {
		if !r.readOnly && !r.internal && errs[i] == nil {
			return true
		}
	}
	return false
}

// tellStore tells OnStore what became of the store (engine's goroutine).
func (e *Engine) tellStore() {
	msg := fileTrouble(e.fileErr)
	if msg == "" && e.commitErr != nil {
		msg = e.commitErr.Error()
	}
	if msg == "" && e.damage != nil {
		msg = e.damage.Error()
	}
	e.tell(msg)
}

// checkStructure checks the store's pages after wait, once, in a read
// transaction of its own, and says damage loudly: in the log and, until
// the office stops, in its status (OnStore). A damaged page served from
// fails requests one by one, and the nightly backups would copy it (Backup
// refuses to). It is not done before serving: on a year of history it
// takes half a second here, more on a Pi's card, where opening takes
// milliseconds (open_ms_year). Not every key and value is read (Verify
// reads them), nor the free list checked: the office writes meanwhile
// (checkStructure's live).
func (e *Engine) checkStructure(wait time.Duration) {
	select {
	case <-time.After(wait):
	case <-e.quit:
		return
	}
	err := structureDamage(e.db, absPath(e.db.Path()), false, true)
	if err == nil {
		return
	}
	e.log.Error("queue: the store is damaged: restore the latest good backup after closing (cherga -verify -db FILE says whether a copy is sound), or move the file aside to start an empty one", "err", err)
	_ = e.do(context.Background(), true, func(*txn) error {
		e.damage = err
		e.tellStore()
		return nil
	})
}

// fileTrouble says what checkFile's err means and what to do ("" for no
// trouble), for the log and the status.
func fileTrouble(err error) string {
	switch {
	case errors.Is(err, errReplaced):
		return "another file is at the state file's path (a backup put back?): restart now to run on it; what this run stores meanwhile goes into the file it opened, and is lost at the restart"
	case err != nil:
		return "the state file was deleted while the office runs: it runs on from the file it opened, but a restart would open what is at the path (an empty store gives out today's numbers again). Take a backup now (chergactl store.backup path=…), put it at the path, and restart"
	}
	return ""
}

// tell gives OnStore msg ("": the store works), when it is news.
func (e *Engine) tell(msg string) {
	e.toldMu.Lock()
	defer e.toldMu.Unlock()
	e.toldLocked(msg)
}

// tellStall tells OnStore of a write that began at began (UnixNano) and
// hangs, only while it is still under way: not after the engine said it
// ended.
func (e *Engine) tellStall(msg string, began int64) {
	e.toldMu.Lock()
	defer e.toldMu.Unlock()
	if e.writing.Load() == began {
		e.toldLocked(msg)
	}
}

func (e *Engine) toldLocked(msg string) {
	if msg == e.told || e.opts.OnStore == nil {
		return
	}
	e.told = msg
	if msg == "" {
		e.opts.OnStore(nil)
	} else {
		e.opts.OnStore(errors.New(msg))
	}
}

// errReplaced is the state file's path naming another file than the one
// the engine opened.
var errReplaced = errors.New("another file is at the path")

// checkFile says whether the file at the store's path is still the one
// the engine opened (file): deleted (a directory removed by mistake), or
// replaced, the engine writes into a file nobody will open again.
func (e *Engine) checkFile() error {
	fi, err := os.Stat(e.db.Path())
	switch {
	case err != nil:
		return err
	case e.file != nil && !os.SameFile(fi, e.file):
		return errReplaced
	}
	return nil
}

// catchUp commits what is due with no request: a new business day, a
// closing, the acknowledged events, the clock.
func (e *Engine) catchUp() {
	now := e.opts.Now()
	if e.dayChange(now, e.st.day) || e.jump == nil && e.st.closeDue(now) || e.acked.Load() > e.ackStored ||
		e.clockOK(now) && e.clockDue(now) {
		e.commitEmpty()
	}
}

// preallocate keeps the file's written room (see slack), writing at most
// limit bytes, and tells the log of a shortfall once for as long as it
// lasts, and when it ends. Only the engine's goroutine calls it (or open,
// before the loop starts).
func (e *Engine) preallocate(limit int64) {
	err := preallocate(e.db, limit, e.opts.space)
	kind := ""
	var room *roomError
	switch {
	case err == nil:
	case !errors.As(err, &room):
		kind = "error"
	case room.err != nil:
		kind = "write"
	default:
		kind = "full"
	}
	if kind == e.roomWarned {
		return
	}
	switch {
	case kind == "full":
		e.log.Warn("queue: the disk is nearly full: the database file gets no more room written ahead (it works on; its commits may flush the file system's journal too)", "err", err)
	case kind != "":
		e.log.Warn("queue: cannot write room ahead in the database file (it works on; its commits may flush the file system's journal too)", "err", err)
	default:
		e.log.Info("queue: the database file gets its room written ahead again")
	}
	e.roomWarned = kind
}

// commitEmpty commits a transaction of no request: what every one does
// (the day, the closings, the acknowledged events, the clock) and nothing
// else.
func (e *Engine) commitEmpty() { e.commitInternal(func(*txn) error { return nil }) }

// commitInternal commits fn, the engine's own request, with what commitEmpty
// commits.
func (e *Engine) commitInternal(fn func(*txn) error) {
	e.run([]*request{{fn: fn, internal: true, err: make(chan error, 1)}})
}

// run applies a batch of requests in one transaction and answers each after
// the commit (none when it wrote nothing).
func (e *Engine) run(batch []*request) {
	defer e.tellStore()
	errs := make([]error, len(batch))
	writes, publish := false, false
	for _, r := range batch {
		writes = writes || !r.readOnly
	}
	if writes && e.broken != nil {
		for i, r := range batch {
			if !r.readOnly {
				errs[i] = e.broken
			}
		}
		writes = false
	}
	if writes {
		var t *txn
		began := time.Now()
		e.writing.Store(began.UnixNano())
		err := e.update(func(tx *bolt.Tx) error {
			t = newTxn(e, tx)
			t.storeAck() // first: a new day prunes only what was published
			t.voidUnsaid()
			// The closings before the day's end: after a power cut over
			// closing time, those waiting were sent home when their
			// service closed.
			t.closeServices()
			t.rollover()
			for i, r := range batch {
				if t.fatal != nil {
					break
				}
				switch {
				case r.readOnly:
				case r.ctx != nil && r.ctx.Err() != nil:
					errs[i] = stale(r.ctx)
				default:
					errs[i] = r.fn(t)
				}
			}
			t.finish()
			if e.failHook != nil {
				t.fail(e.failHook())
			}
			if t.fatal == nil && !t.wrote() {
				// Its commit would sync the file all the same
				// (twice), for refusals alone: a box stuck on done, a
				// looping flow, must not wear the SD card.
				return errUnchanged
			}
			return t.fatal
		})
		committed := err == nil
		if errors.Is(err, errUnchanged) {
			err = nil
		}
		e.writing.Store(0)
		if took := time.Since(began); took > slowWrite {
			e.log.Warn("queue: a write to the store was slow (a failing disk or SD card?)", "took", took.Round(time.Millisecond), "requests", len(batch))
		}
		if t != nil && cap(t.buf) <= 1<<20 {
			e.buf = t.buf[:0] // bbolt copied the values into its pages
		}
		if err != nil {
			refused := t != nil && t.refused != nil && err == t.refused
			if !refused {
				e.logFailed(err)
				err = fmt.Errorf("%w: %w%s", ErrStore, err, accessHint(e.db.Path(), err))
			}
			for i, r := range batch {
				if !r.readOnly {
					errs[i] = err
				}
			}
			if !refused && e.commitErr == nil {
				e.commitErr = err // the first: later ones may only follow from it (the file unmapped)
			}
			if rerr := e.reloadAfter(); rerr != nil {
				e.broken = fmt.Errorf("%w: the store could not be read back after a failed write (%w): this run may hold changes the file does not, so nothing more is saved until cherga is restarted (it stops; systemd starts it again, or sudo systemctl restart cherga), which reads the file afresh", ErrStore, rerr)
				e.commitErr = e.broken
				e.log.Error("queue: "+e.broken.Error(), "path", absPath(e.db.Path()))
				close(e.brokenCh)
			} else if t != nil && e.st.eventSeq > t.startSeq {
				tickets, bookings := e.landed(t.startSeq)
				e.unsaid, e.unbooked = append(e.unsaid, tickets...), append(e.unbooked, bookings...)
			}
		} else {
			e.durable.Store(t.st.eventSeq)
			e.unsaid, e.unbooked = nil, nil
			e.ranAt(t.now)
			if committed && savedRequest(batch, errs) && e.roomBack() {
				// A caller's change was saved: not only an empty commit
				// that fits the free pages of a full disk.
				e.commitErr, e.unlogged = nil, 0
			}
			e.ackStored = max(e.ackStored, t.acked)
			publish = e.retain(t) || t.st.eventSeq != t.startSeq
			for _, f := range t.logs {
				f()
			}
		}
	}
	// Reads run after the writes of their batch are committed, so that
	// what they read in memory and in the store agree.
	t := &txn{e: e, st: e.st, now: e.opts.Now()}
	for i, r := range batch {
		if r.readOnly {
			errs[i] = r.fn(t)
		}
	}
	for i, r := range batch {
		r.err <- errs[i]
	}
	// The publisher is woken last, so that the scheduler runs it next:
	// the boards of a call go out before the caller's own follow-up.
	if publish {
		e.signal()
	}
}

// failedEvery bounds how often a write that fails as one logged before
// did is logged.
const failedEvery = time.Minute

// logFailed logs a failed write: the first since the store last saved a
// change, one that fails otherwise than those logged since, and then once
// every failedEvery, with the count of those not logged.
func (e *Engine) logFailed(err error) {
	now := e.opts.Now()
	if e.commitErr == nil || e.failedAs == nil {
		e.failedAs = map[string]bool{} // the first of a trouble
	}
	// Of a failure whose text changes every time, the first 16 are logged.
	seen := e.failedAs[err.Error()] || len(e.failedAs) >= 16
	if seen && now.Sub(e.failLogged) < failedEvery && !now.Before(e.failLogged) {
		e.unlogged++
		return
	}
	args := []any{"err", err}
	if e.unlogged > 0 {
		args = append(args, "failed_since_not_logged", e.unlogged)
	}
	e.log.Error("queue: transaction failed; state reloaded from disk", args...)
	e.failLogged, e.unlogged = now, 0
	if len(e.failedAs) < 16 {
		e.failedAs[err.Error()] = true
	}
}

// Made reports whether Open made the state file: there was none at its
// path, and the store starts empty (a first start, or a file missing).
func (e *Engine) Made() bool { return e.made }

// Broken is closed when the engine stops saving for good: a write failed
// and its state could not be read back, so this run may hold what the
// file does not. A daemon exits then (Close says why), and its restart
// reads the file afresh.
func (e *Engine) Broken() <-chan struct{} { return e.brokenCh }

// reloadAfter reloads the state after a failed commit.
func (e *Engine) reloadAfter() error {
	if e.reloadHook != nil {
		if err := e.reloadHook(); err != nil {
			return err
		}
	}
	return e.reload()
}

// landed are the tickets issued, and the visits booked, by the events
// after seq after, which the file holds though their commit failed (bbolt
// wrote its meta page, then its sync failed): the requests were told they
// failed; no kiosk printed those tickets, and nobody was given those
// bookings' codes.
func (e *Engine) landed(after uint64) (tickets, bookings []uint64) {
	_ = e.view(func(tx *bolt.Tx) error {
		c := eventsCursor(tx)
		for k, v := c.Seek(u64(after + 1)); k != nil; k, v = c.Next() {
			var ev Event
			switch {
			case json.Unmarshal(v, &ev) != nil:
			case ev.Type == EvIssued && ev.Ticket != nil:
				tickets = append(tickets, ev.Ticket.ID)
			case ev.Type == EvBooked && ev.Appointment != nil:
				bookings = append(bookings, ev.Appointment.ID)
			}
		}
		return nil
	})
	e.log.Error("queue: a write reported failed is in the file all the same (its last sync failed: a failing disk or SD card?); its requests were told it failed, and the tickets it issued, which no kiosk printed, are voided at the next write, the visits it booked cancelled", "tickets", tickets, "bookings", bookings)
	return tickets, bookings
}

// voidUnsaid voids the tickets of a failed commit that the file holds
// (Engine.unsaid) and that still wait: their kiosks printed nothing.
func (t *txn) voidUnsaid() {
	for _, id := range t.e.unsaid {
		if tk := t.st.tickets[id]; tk != nil && tk.State == Waiting {
			t.fail(t.void(id, "not issued: the store failed to save it, and its kiosk printed nothing"))
		}
	}
	for _, id := range t.e.unbooked {
		t.fail(t.cancelUnsaid(id))
	}
}

func (e *Engine) signal() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// do runs fn on the engine goroutine inside a write transaction and returns
// after the commit.
func (e *Engine) do(ctx context.Context, readOnly bool, fn func(t *txn) error) error {
	r := &request{fn: fn, readOnly: readOnly, err: make(chan error, 1)}
	if !readOnly {
		// A read changes nothing: one queued runs, however late (the
		// answer to a write that was made, read after it).
		r.ctx = ctx // ended when the engine comes to it: not made (run)
	}
	err := submit(e, ctx, e.reqs, r, r.err)
	if err != nil && err == ctx.Err() {
		return stale(ctx) // it ended before the request was queued
	}
	return err
}

// stale is the error of a request whose ctx ended before it ran.
func stale(ctx context.Context) error { return fmt.Errorf("%w (%w)", ErrStale, context.Cause(ctx)) }

// submit hands v to the engine's goroutine on ch and returns what it
// answers on errc.
func submit[T any](e *Engine, ctx context.Context, ch chan<- T, v T, errc <-chan error) error {
	if err := ctx.Err(); err != nil {
		return err // ended already: never queued, whatever select would pick
	}
	select {
	case ch <- v:
	case <-e.quit:
		return ErrEngineClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the request is answered: wait for it even if ctx ends,
	// so that a caller never mistakes a committed ticket for a failed one
	// (one whose ctx ended before it ran is not made: ErrStale).
	select {
	case err := <-errc:
		return err
	case <-e.done:
		select {
		case err := <-errc:
			return err
		default:
			return ErrEngineClosed
		}
	}
}
