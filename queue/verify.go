package queue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// Verify opens the bbolt file at path read-only and checks the invariants
// the engine promises, returning every violation found (nil: none):
//
//   - numbering: within a business day no number of a prefix is issued
//     twice until its numbering wrapped after the largest number of its
//     width, and no two tickets that are not finished share a prefix and
//     number;
//   - every ticket is in exactly one known state, under its own day, with a
//     unique id; tickets of past days are all finished;
//   - at most one ticket is called or serving at each counter;
//   - the event seqs run without a gap up to meta's event_seq, and what
//     was published does not pass it.
//
// The counters and prefixes are those of the configuration the file last
// ran with (its latest recorded version: an administrator may have added a
// counter since the file was read), or cfg's for a file that records none.
// The engine must not have the file open (bbolt locks it).
func Verify(path string, cfg *config.Config) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(path, &err)
	if fi, err := os.Stat(path); err == nil && noBytes(fi) {
		return noBytesError(path)
	}
	db, err := openReadOnly(path)
	if errors.Is(err, ErrDamaged) {
		return err // it names the file
	}
	if errors.Is(err, fs.ErrNotExist) {
		// A backup's name mistyped, or one not taken: where the live
		// store's hint (another db:) would mislead.
		return fmt.Errorf("queue: verify %s: there is no such file: check its name (ls %s)", path, filepath.Dir(absPath(path)))
	}
	if err != nil {
		return fmt.Errorf("queue: verify %s: %w%s", path, err, accessHint(path, err))
	}
	defer db.Close()
	var errs []error
	bad := func(format string, args ...any) {
		if len(errs) < 50 {
			errs = append(errs, fmt.Errorf("queue: verify: "+format, args...))
		}
	}
	err = db.View(func(tx *bolt.Tx) error {
		damaged := false
		if err := checkStructure(tx, path, true, false, func(format string, args ...any) {
			damaged = true
			bad("store structure: "+format, args...)
		}); err != nil {
			return err
		}
		if damaged {
			// Not read through bbolt: a loop of pages would never end.
			return fmt.Errorf("%w: %s", ErrDamaged, path)
		}
		vs, err := readConfigs(tx)
		if err != nil {
			bad("configurations: %v", err)
		} else if len(vs) > 0 {
			if ran, _, err := config.ParseRecorded(vs[len(vs)-1].Config); err == nil {
				cfg = ran
			}
		}
		if st := tx.Bucket(bucketStats); st != nil {
			_ = st.ForEach(func(k, v []byte) error {
				if !json.Valid(v) {
					bad("statistics of %s are not JSON", k)
				} else if err := checkDayRecord(v); err != nil {
					bad("statistics of %s: %v", k, err)
				}
				return nil
			})
		}
		if unwritten(tx) {
			// A new store, stopped before its first commit (Open makes it).
			return fmt.Errorf("%w: %s was made and never written", ErrEmpty, path)
		}
		for _, b := range [][]byte{bucketMeta, bucketCounters, bucketEvents, bucketDays} {
			if tx.Bucket(b) == nil {
				bad("bucket %s missing", b)
				return nil
			}
		}
		meta := tx.Bucket(bucketMeta)
		today := string(meta.Get(keyDay))
		seq := beU64(meta.Get(keyEventSeq))
		// Day by day: a day's tickets are done with when the next day
		// starts, so a year of history is never in memory at once.
		days := func(tickets map[uint64]*Ticket) { verifyTickets(tickets, cfg, today, bad) }
		verifyEvents(tx, seq, bad, days)
		if pub := beU64(meta.Get(keyPublished)); pub > seq {
			bad("published up to event %d, beyond the last event %d", pub, seq)
		}
		// The buckets of an older release's file are no damage: the
		// next open migrates them.
		if err := checkFormat(tx); err != nil {
			bad("%v", err)
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// verifyEvents checks the event log and hands the tickets it records, each
// as its latest event left it, to days: those of the days before at each
// day.started (a day's tickets all end before the next day starts, and
// none of their events comes after it), then those of the last day.
func verifyEvents(tx *bolt.Tx, seq uint64, bad func(string, ...any), days func(map[uint64]*Ticket)) {
	c := eventsCursor(tx)
	tickets := map[uint64]*Ticket{}
	var prev uint64
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n := beU64(k)
		if prev != 0 && n != prev+1 {
			bad("event seq %d follows %d", n, prev)
		}
		prev = n
		var ev Event
		if err := json.Unmarshal(v, &ev); err != nil {
			bad("event %d: %v", n, err)
			continue
		}
		if ev.Seq != n {
			bad("event under %d has seq %d", n, ev.Seq)
		}
		if ev.Type == EvDayStarted && len(tickets) > 0 {
			days(tickets)
			tickets = map[uint64]*Ticket{}
		}
		tk := ev.Ticket
		if tk == nil {
			continue
		}
		old := tickets[tk.ID]
		switch {
		case old == nil && ev.Type != EvIssued:
			bad("event %d (%s) is the first of ticket %d (%s), which was never issued", n, ev.Type, tk.ID, tk.Label)
		case old != nil && ev.Type == EvIssued:
			bad("event %d issues ticket %d (%s) again", n, tk.ID, tk.Label)
		case old != nil && (old.Day != tk.Day || old.Label != tk.Label):
			bad("ticket %d was %s of %s, event %d makes it %s of %s", tk.ID, old.Label, old.Day, n, tk.Label, tk.Day)
		case old != nil && old.State.Terminal():
			if !afterEnd[ev.Type] {
				bad("event %d (%s) changes ticket %d (%s), which had ended %s", n, ev.Type, tk.ID, tk.Label, old.State)
			}
		}
		tickets[tk.ID] = tk
	}
	if prev != seq {
		bad("the last event is %d, meta event_seq is %d", prev, seq)
	}
	days(tickets)
}

func verifyTickets(tickets map[uint64]*Ticket, cfg *config.Config, today string, bad func(string, ...any)) {
	byDay := map[string][]*Ticket{}
	for _, tk := range tickets {
		byDay[tk.Day] = append(byDay[tk.Day], tk)
	}
	var todays []*Ticket
	for day, ts := range byDay {
		if today != "" && day > today {
			bad("tickets of %s, after the business day %s", day, today)
		}
		for _, tk := range ts {
			if !KnownState(tk.State) {
				bad("ticket %d (%s) in unknown state %q", tk.ID, tk.Label, tk.State)
			}
			if day != today && !tk.State.Terminal() {
				bad("ticket %d (%s) of past day %s is still %s", tk.ID, tk.Label, day, tk.State)
			}
			if tk.State.Terminal() && tk.Ended.IsZero() {
				bad("ticket %d (%s) is %s with no end time", tk.ID, tk.Label, tk.State)
			}
			if (tk.State == Done || tk.State == NoShow || tk.State == Called || tk.State == Serving) && (tk.Called.IsZero() || tk.Counter == "") {
				bad("ticket %d (%s) is %s but was never called to a counter", tk.ID, tk.Label, tk.State)
			}
			if tk.State == Waiting && tk.Counter != "" {
				bad("waiting ticket %d (%s) is at counter %s", tk.ID, tk.Label, tk.Counter)
			}
		}
		verifyNumbering(cfg, day, ts, bad)
		if day == today {
			todays = ts
		}
	}
	// Today: one current ticket per counter.
	at := map[string]string{}
	for _, tk := range todays {
		if tk.State == Called || tk.State == Serving {
			if other, dup := at[tk.Counter]; dup {
				bad("counter %s has %s and %s at once", tk.Counter, other, tk.Label)
			}
			at[tk.Counter] = tk.Label
			if cfg != nil && cfg.Counter(tk.Counter) == nil {
				bad("ticket %s is at unknown counter %s", tk.Label, tk.Counter)
			}
		}
	}
}

func labelPrefix(label string) string {
	return strings.TrimRightFunc(label, unicode.IsDigit)
}

func verifyNumbering(cfg *config.Config, day string, ts []*Ticket, bad func(string, ...any)) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].ID < ts[j].ID })
	// Group by numbering: a service's own, or a sequence shared by several,
	// by the prefix the label has.
	byKey := map[string][]*Ticket{}
	for _, tk := range ts {
		p := labelPrefix(tk.Label)
		k := "prefix " + p
		if cfg != nil {
			for i := range cfg.Services {
				if cfg.Services[i].Prefix == p {
					k = cfg.Services[i].NumberingKey()
				}
			}
		}
		byKey[k] = append(byKey[k], tk)
	}
	type label struct {
		prefix string
		n      int
	}
	for _, list := range byKey {
		live := map[label]*Ticket{}
		first := map[label]bool{}
		wrapped := false
		for i, tk := range list {
			p := labelPrefix(tk.Label)
			digits := tk.Label[len(p):]
			if n, err := strconv.Atoi(digits); err != nil || n != tk.Number {
				bad("%s: ticket %d is labelled %s but numbered %d", day, tk.ID, tk.Label, tk.Number)
			}
			// Until the numbering first wraps after the largest number
			// of its width, no number is issued twice; after that, the
			// numbers still live are skipped.
			if i > 0 && !wrapped {
				// A width changed (by the configuration) is a wrap too.
				prev := list[i-1]
				prevWidth := len(prev.Label) - len(labelPrefix(prev.Label))
				wrapped = tk.Number <= prev.Number && prev.Number == maxNumber(prevWidth) || len(digits) != prevWidth
			}
			l := label{p, tk.Number}
			if !wrapped && first[l] {
				bad("%s: %s issued twice before its numbering wrapped", day, tk.Label)
			}
			first[l] = true
			// Two tickets that could still be called never share a
			// number (А3 and А003 are both said «А три»).
			if !tk.State.Terminal() {
				if other := live[l]; other != nil {
					bad("%s: label %s is live twice (tickets %d and %d)", day, tk.Label, other.ID, tk.ID)
				}
				live[l] = tk
			}
		}
	}
}

// Check verifies the engine's in-memory state against itself and against
// the store: the waiting queues hold exactly the waiting tickets in call
// order, every called ticket is its counter's current one, and today's
// tickets read back from the file equal the ones in memory. It runs on the
// engine's goroutine, between transactions.
func (e *Engine) Check(ctx context.Context) error {
	var errs []error
	err := e.do(ctx, true, func(t *txn) error {
		bad := func(format string, args ...any) {
			if len(errs) < 50 {
				errs = append(errs, fmt.Errorf("queue: check: "+format, args...))
			}
		}
		st := t.st
		seen := map[*Ticket]bool{}
		checkQueue := func(name string, q []*Ticket, held string) {
			for i, tk := range q {
				if seen[tk] {
					bad("%s: ticket %s queued twice", name, tk.Label)
				}
				seen[tk] = true
				if st.tickets[tk.ID] != tk {
					bad("%s: ticket %s is not one of today's", name, tk.Label)
				}
				if tk.State != Waiting || tk.ForCounter != held {
					bad("%s: ticket %s is %s, held for %q", name, tk.Label, tk.State, tk.ForCounter)
				}
				if held == "" && tk.Service != name {
					bad("%s: ticket %s is of service %s", name, tk.Label, tk.Service)
				}
				if i > 0 && !before(q[i-1], tk) {
					bad("%s: %s is queued after %s", name, tk.Label, q[i-1].Label)
				}
			}
		}
		for s, q := range st.waiting {
			checkQueue(s, q, "")
		}
		heldCount := map[string]int{}
		for c, q := range st.held {
			checkQueue(c, q, c)
			if cs := st.counters[c]; cs != nil && cs.paused && len(q) > 0 {
				bad("counter %s is closed and holds %s, whom no counter calls", c, q[0].Label)
			}
			for _, tk := range q {
				heldCount[tk.Service]++
			}
		}
		for s, n := range st.heldCount {
			if heldCount[s] != n {
				bad("held count of %s is %d, the queues hold %d", s, n, heldCount[s])
			}
		}
		current := map[*Ticket]string{}
		for id, c := range st.counters {
			if c.current == nil {
				continue
			}
			current[c.current] = id
			if st.tickets[c.current.ID] != c.current || c.current.Counter != id || (c.current.State != Called && c.current.State != Serving) {
				bad("counter %s: current %s is %s at %q", id, c.current.Label, c.current.State, c.current.Counter)
			}
		}
		for _, tk := range st.tickets {
			if tk.Day != st.day {
				bad("ticket %s of day %s in day %s", tk.Label, tk.Day, st.day)
			}
			switch tk.State {
			case Waiting:
				if !seen[tk] {
					bad("waiting ticket %s is in no queue", tk.Label)
				}
				if e.service(tk.Service) == nil {
					bad("waiting ticket %s is of service %s, no longer configured: nobody calls it", tk.Label, tk.Service)
				}
			case Called, Serving:
				if _, ok := current[tk]; !ok {
					bad("%s ticket %s is no counter's current", tk.State, tk.Label)
				}
			}
		}
		open := map[string]int{}
		for _, c := range st.counters {
			if !c.paused {
				for _, s := range c.services {
					open[s]++
				}
			}
		}
		for s := range e.svcs {
			if open[s] != st.open[s] {
				bad("open counters of %s: %d, counted %d", s, st.open[s], open[s])
			}
		}
		// The store holds exactly today's tickets as memory has them.
		return e.view(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if d := string(meta.Get(keyDay)); d != st.day {
				bad("store day %q, memory %q", d, st.day)
			}
			if s := beU64(meta.Get(keyEventSeq)); s != st.eventSeq {
				bad("store event seq %d, memory %d", s, st.eventSeq)
			}
			stored, _, err := dayTickets(tx, st.day)
			if err != nil {
				return err
			}
			n := len(stored)
			for id, disk := range stored {
				tk := st.tickets[id]
				if tk == nil {
					bad("stored ticket %d is not in memory", id)
					continue
				}
				mem, _ := json.Marshal(tk)
				dsk, _ := json.Marshal(disk)
				if string(mem) != string(dsk) {
					bad("ticket %s differs:\nmemory %s\nstore  %s", tk.Label, mem, dsk)
				}
			}
			if n != len(st.tickets) {
				bad("store has %d tickets of %s, memory %d", n, st.day, len(st.tickets))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

// checkStructure checks the structure of the store tx reads, from the file
// at path: every key and value readable, every page's elements inside it,
// none reached twice, and, unless live, bbolt's own check (every page
// reachable once, of the right kind, none both used and free); every key
// and value is read only with
// readEvery (Verify, a backup's copy: the engine's start leaves it out, as
// it takes as long again, and the engine's own reads report a damaged
// value as they come to it). It tells bad each problem found, and returns
// an error when the file could not be read at all. The caller recovers
// from a panic (recoverDamaged): bbolt panics on a page that is not what
// it should be.
//
// live says the store is written meanwhile (the engine's own check): bbolt
// checks the pages against the free list of the database as it is now,
// not as tx sees it, so every page a write freed or took since tx began
// reads as damage ("reachable freed", "unreachable unfreed"), and it reads
// that list while the writer changes it (bbolt: not safe with writers at
// the same time). The rest holds.
func checkStructure(tx *bolt.Tx, path string, readEvery, live bool, bad func(format string, args ...any)) error {
	// bbolt's check runs in a goroutine of its own, where a page that
	// points past the file faults beyond any recovery (SetPanicOnFault is
	// per goroutine), and it marks each page a page spans: a damaged span
	// would have it count for ever. checkPages refuses those first, in
	// this goroutine.
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	free, err := freelistPage(tx, f)
	if err != nil {
		return err
	}
	reached, err := checkPages(tx, f)
	if err == nil {
		err = checkFreelist(tx, f, free, reached, nil)
	}
	if err != nil {
		bad("%v", err)
		return nil
	}
	// Only pages found sound are read through bbolt: a loop of pages
	// would send its cursors round for ever.
	if readEvery {
		if err := readAll(tx); err != nil {
			return err
		}
	}
	if n, hwm := pagesUsed(tx); n < 0 || n > hwm {
		bad("the pages in use span %d pages, past the file's %d", n, hwm)
	} else if !live {
		if torn := tornMeta(tx, f); torn >= 0 {
			return checkMended(tx, f, torn, bad)
		}
		for err := range tx.Check() {
			bad("%v", err)
		}
	}
	return nil
}

// metaPageFlag is bbolt's page flag of a meta page.
const metaPageFlag = 0x04

// tornMeta is the meta page, 0 or 1, that is not one (a power cut during a
// commit tore it, or a sector of the card was lost), when the other is: -1
// otherwise. bbolt keeps two for this, and opens the file by the valid one
// of the later transaction: a torn page's content fails its checksum, and
// the other's tree is whole. bbolt's check takes such a page for damage,
// and stops there, checking nothing of the tree (checkMended).
func tornMeta(tx *bolt.Tx, f *os.File) int {
	size := int64(tx.DB().Info().PageSize)
	torn := -1
	for id := range 2 {
		var hdr [16]byte // id, flags, count, overflow
		if _, err := f.ReadAt(hdr[:], int64(id)*size); err != nil {
			return -1
		}
		if binary.NativeEndian.Uint16(hdr[8:10]) != metaPageFlag {
			if torn >= 0 {
				return -1 // both: damage, which the check says
			}
			torn = id
		}
	}
	return torn
}

// checkMended runs bbolt's check on a copy of the file whose torn meta page
// (tornMeta) has the header of a meta page again, as bbolt's next commit
// writes it: the check then goes through the tree bbolt opens the file by.
// The file is sound when that is (the controller runs on it), and
// restoring last night's backup for a page torn by a power cut would lose
// the day.
func checkMended(tx *bolt.Tx, f *os.File, torn int, bad func(format string, args ...any)) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "cherga-verify-*.db")
	if err != nil {
		return fmt.Errorf("queue: verify: a copy to check past its torn meta page %d: %w", torn, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	var hdr [10]byte // id, flags
	binary.NativeEndian.PutUint64(hdr[:8], uint64(torn))
	binary.NativeEndian.PutUint16(hdr[8:], metaPageFlag)
	_, err = io.Copy(tmp, io.NewSectionReader(f, 0, fi.Size()))
	if err == nil {
		_, err = tmp.WriteAt(hdr[:], int64(torn)*int64(tx.DB().Info().PageSize))
	}
	if err == nil {
		err = tmp.Close()
	}
	if err != nil {
		return fmt.Errorf("queue: verify: a copy to check past its torn meta page %d: %w", torn, err)
	}
	db, err := bolt.Open(tmp.Name(), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		bad("meta page %d torn, and the file does not open without it: %v", torn, err)
		return nil
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			bad("%v", err)
		}
		return nil
	})
}

// structureDamage runs checkStructure on the store db and returns its
// problems (readEvery, live: see there) as one ErrDamaged that names the
// file as name (nil: none). A page so damaged that bbolt panics on it is
// reported so too.
func structureDamage(db *bolt.DB, name string, readEvery, live bool) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer recoverDamaged(name, &err)
	var problems []string
	err = db.View(func(tx *bolt.Tx) error {
		return checkStructure(tx, db.Path(), readEvery, live, func(format string, args ...any) {
			if len(problems) < 5 {
				problems = append(problems, fmt.Sprintf(format, args...))
			}
		})
	})
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrDamaged, name, err)
	case len(problems) > 0:
		return fmt.Errorf("%w: %s: %s", ErrDamaged, name, strings.Join(problems, "; "))
	}
	return nil
}

// readAll reads every byte of every key and value of every bucket, nested
// ones too.
func readAll(tx *bolt.Tx) error {
	var sum byte
	touch := func(b []byte) {
		for _, c := range b {
			sum ^= c
		}
	}
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			touch(k)
			touch(v)
			if v == nil {
				if nb := b.Bucket(k); nb != nil {
					return walk(nb)
				}
			}
			return nil
		})
	}
	err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walk(b) })
	runtime.KeepAlive(sum) // keeps the reads from being optimised away
	return err
}

// pagesUsed is how many pages the store's buckets span, as their pages say,
// and how many the file has.
func pagesUsed(tx *bolt.Tx) (n, hwm int) {
	st := tx.Cursor().Bucket().Stats()
	for _, c := range []int{st.BranchPageN, st.BranchOverflowN, st.LeafPageN, st.LeafOverflowN} {
		if c < 0 || n+c < n {
			return -1, 0
		}
		n += c
	}
	return n, int(filePages(tx))
}
