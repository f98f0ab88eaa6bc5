package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// crashOffice has a two-digit service so that numbering wraps during the
// crash test.
func crashOffice(t testing.TB) *config.Config {
	return queuetest.Office(t, func(s string) string {
		return strings.Replace(s, `prefix: "П", width: 3`, `prefix: "П", width: 2`, 1)
	})
}

const (
	envCrashDB   = "CHERGA_CRASH_DB"
	envCrashBase = "CHERGA_CRASH_BASE"
)

// TestCrashHelper is the process the crash test kills: with CHERGA_CRASH_DB
// set it issues and calls at full speed through the real store and prints
// the id of every ticket whose issue was acknowledged, until it is killed.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(envCrashDB)
	if path == "" {
		t.Skip("the crash test's subprocess; runs only under TestCrash")
	}
	base, err := time.Parse(time.RFC3339Nano, os.Getenv(envCrashBase))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Now()
	cfg := crashOffice(t)
	e, err := queue.Open(path, cfg, &queue.Opts{Now: func() time.Time { return base.Add(time.Since(start)) }, Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	ack := func(id uint64) {
		mu.Lock()
		fmt.Fprintf(out, "%d\n", id)
		out.Flush() // unbuffered in effect: a line on the pipe is an acknowledgement
		mu.Unlock()
	}
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash helper:", err)
		os.Exit(3)
	}
	var wg sync.WaitGroup
	services := []string{"social", "pension", "employment"}
	for k := range 4 { // kiosks pressing at once share commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				iss, err := e.Issue(ctx, queue.IssueRequest{Service: services[(i+k)%3], Priority: i%7 == 0})
				if errors.Is(err, queue.ErrDailyCap) {
					continue // every two-digit label is waiting: refused, nothing issued
				}
				if err != nil {
					fail(err)
				}
				ack(iss.Ticket.ID)
			}
		}()
	}
	for _, c := range []string{"1", "2", "3", "4"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				a := []queue.Action{queue.Next, queue.Next, queue.Recall, queue.NoShowed, queue.Finish}[i%5]
				_, err := e.Counter(ctx, c, queue.Command{Action: a})
				if err != nil && !isBenign(err) {
					fail(err)
				}
			}
		}()
	}
	wg.Wait()
}

func isBenign(err error) bool {
	for _, want := range []error{queue.ErrNoTicket, queue.ErrRecallLimit} {
		if strings.Contains(err.Error(), want.Error()) {
			return true
		}
	}
	return false
}

// TestCrash kills a process issuing and calling tickets with SIGKILL at
// random moments; after every kill the file opens, its invariants hold,
// every acknowledged ticket is there and numbering goes on without repeats.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test kills 50 processes; skipped under -short")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cfg := crashOffice(t)
	base := time.Date(2026, 11, 23, 9, 0, 0, 0, kyiv)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acked := map[uint64]bool{}
	const runs = 50
	for run := range runs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCrashDB+"="+path, envCrashBase+"="+base.Format(time.RFC3339Nano))
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		started := time.Now()
		require.NoError(t, cmd.Start())
		ids := make(chan uint64, 1024)
		go func() {
			defer close(ids)
			lines := bufio.NewScanner(stdout)
			for lines.Scan() {
				id, err := strconv.ParseUint(lines.Text(), 10, 64)
				if err != nil {
					t.Errorf("helper said %q", lines.Text())
					continue
				}
				ids <- id
			}
			_, _ = io.Copy(io.Discard, stdout)
		}()
		// Kill at a random moment: one run in eight while it opens the
		// file, the others while it issues and calls, 0-200 ms after its
		// first acknowledgement (however slow the machine is to start it).
		after := time.Duration(rng.IntN(200)) * time.Millisecond
		var kill <-chan time.Time
		if rng.IntN(8) == 0 {
			kill = time.After(after / 10)
		}
	wait:
		for {
			select {
			case id, ok := <-ids:
				if !ok {
					break wait
				}
				if kill == nil {
					kill = time.After(after)
				}
				acked[id] = true
			case <-kill:
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				break wait
			}
		}
		for id := range ids { // what it printed before dying was acknowledged
			acked[id] = true
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("run %d: helper ended by itself: %v\n%s", run, err, stderr.String())
		}
		base = base.Add(time.Since(started) + time.Millisecond)

		if _, err := os.Stat(path); os.IsNotExist(err) {
			require.Empty(t, acked, "run %d: killed before the file existed", run)
		} else {
			// Killed while it made the file (empty): no damage.
			if err := queue.Verify(path, cfg); !errors.Is(err, queue.ErrEmpty) {
				require.NoError(t, err, "run %d", run)
			}
		}
		e, err := queue.Open(path, cfg, &queue.Opts{Now: func() time.Time { return base }, Logger: quiet})
		require.NoError(t, err, "run %d", run)
		ts, err := e.Tickets(context.Background())
		require.NoError(t, err)
		have := map[uint64]bool{}
		for _, tk := range ts {
			have[tk.ID] = true
		}
		for id := range acked {
			require.True(t, have[id], "run %d: acknowledged ticket %d is gone", run, id)
		}
		require.NoError(t, e.Check(context.Background()), "run %d", run)
		require.NoError(t, e.Close())
	}
	t.Logf("%d runs, %d tickets acknowledged", runs, len(acked))
	require.NoError(t, queue.Verify(path, cfg))
}

// A store torn or overwritten (a copy taken with cp while the engine
// wrote) is refused with an error that says what to do, whatever bbolt
// finds in it: never a crash of the controller.
func TestDamagedStoreRefused(t *testing.T) {
	cfg := queuetest.Office(t)
	path := filepath.Join(t.TempDir(), "q.db")
	e, err := queue.Open(path, cfg, nil)
	require.NoError(t, err)
	for range 20 {
		_, err := e.Issue(context.Background(), queue.IssueRequest{Service: "social"})
		require.NoError(t, err)
	}
	require.NoError(t, e.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := os.Getpagesize()
	for i := 2 * page; i < min(len(b), 12*page); i++ {
		b[i] = 0xA5 // the pages after the two metas: buckets, freelist
	}
	require.NoError(t, os.WriteFile(path, b, 0o600))
	require.ErrorIs(t, queue.Verify(path, cfg), queue.ErrDamaged)
	// (bbolt keeps the file it panicked on open and locked: Open comes
	// last, as in the controller, which stops there.)
	_, err = queue.Open(path, cfg, nil)
	require.ErrorIs(t, err, queue.ErrDamaged)
}

// A state file that cannot be created is named by its absolute path: a
// relative db (the default cherga.db) says nothing about the directory a
// service was started in.
func TestStateFileErrorIsAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// Tests run as root, so an unwritable directory is a missing one here;
	// a user without the right to write dir gets the same message.
	var log bytes.Buffer
	_, err := queue.Open(filepath.Join("no-such-dir", "cherga.db"), queuetest.Office(t), &queue.Opts{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "state file "+filepath.Join(dir, "no-such-dir", "cherga.db")+":")
	require.ErrorContains(t, err, "-db")
	require.NotContains(t, log.String(), "a new, empty store", "none was made")
}

// Each page of a store zeroed in turn (a dying SD card, a torn copy), and
// the store cut short: Verify never calls sound a file the engine cannot
// open, and neither crashes the process; an engine that opens such a
// store fails the requests that read a damaged page (an earlier day's
// tickets, the event replay) rather than crashing.
func TestDamagedPagesVerify(t *testing.T) {
	cfg := queuetest.Office(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "q.db")
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	opts := &queue.Opts{Now: clk.Now, Logger: quiet}
	ctx := context.Background()
	e, err := queue.Open(path, cfg, opts)
	require.NoError(t, err)
	_, err = e.RecordConfig(ctx, cfg, queue.ConfigVersion{Source: "file"})
	require.NoError(t, err)
	for day := range 2 {
		for i := range 60 {
			_, err := e.Issue(ctx, queue.IssueRequest{Service: []string{"social", "pension"}[i%2]})
			require.NoError(t, err)
			if i%3 == 0 {
				_, err = e.Counter(ctx, "2", queue.Command{Action: queue.Next})
				require.NoError(t, err)
			}
		}
		clk.Add(time.Duration(day+1) * 24 * time.Hour) // the next day keeps the statistics
	}
	_, err = e.Issue(ctx, queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	require.NoError(t, queue.Verify(path, cfg))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	page := os.Getpagesize()
	// The pages in use; the file is longer, preallocated with zeros.
	pages := len(b) / page
	for pages > 0 && !slices.ContainsFunc(b[(pages-1)*page:pages*page], func(c byte) bool { return c != 0 }) {
		pages--
	}
	try := func(name string, data []byte) (verr, oerr error) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		verr = queue.Verify(p, cfg)
		e, oerr := queue.Open(p, cfg, opts)
		if oerr == nil {
			_, _ = e.TicketsOf(ctx, "2026-11-23")
			_, _ = e.Replay(1, 100000)
			_, _ = e.Stats(ctx, "2026-11-23")
			require.NoError(t, e.Close())
			_, oerr = queue.StoredConfigs(p)
		}
		return verr, oerr
	}
	for i := range pages {
		data := bytes.Clone(b)
		clear(data[i*page : (i+1)*page])
		verr, oerr := try(fmt.Sprintf("zero%d.db", i), data)
		if oerr != nil {
			require.Error(t, verr, "page %d zeroed: verify says sound, the engine says %v", i, oerr)
		}
	}
	for _, n := range []int{3, 4, 6, pages - 1} {
		verr, oerr := try(fmt.Sprintf("cut%d.db", n), b[:n*page])
		require.Error(t, verr, "cut to %d pages", n)
		require.Error(t, oerr, "cut to %d pages", n)
	}
}

// damageBase is a real store to damage: the configuration recorded, two
// days of 30 tickets, some called, the statistics of the first; built once.
var damageBase = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "damage")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "q.db")
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	if err != nil {
		return nil, err
	}
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	ctx := context.Background()
	e, err := queue.Open(path, cfg, &queue.Opts{Now: clk.Now, Logger: quiet})
	if err != nil {
		return nil, err
	}
	if _, err := e.RecordConfig(ctx, cfg, queue.ConfigVersion{Source: "file"}); err != nil {
		return nil, err
	}
	for day := range 2 {
		for i := range 30 {
			if _, err := e.Issue(ctx, queue.IssueRequest{Service: []string{"social", "pension"}[i%2]}); err != nil {
				return nil, err
			}
			if i%3 == 0 {
				_, _ = e.Counter(ctx, "2", queue.Command{Action: queue.Next})
			}
		}
		clk.Add(time.Duration(day+1) * 24 * time.Hour)
	}
	if _, err := e.Issue(ctx, queue.IssueRequest{Service: "social"}); err != nil {
		return nil, err
	}
	if err := e.Close(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	page := os.Getpagesize()
	for len(b) >= page && !slices.ContainsFunc(b[len(b)-page:], func(c byte) bool { return c != 0 }) {
		b = b[:len(b)-page] // the preallocated zeros
	}
	return b, err
})

// FuzzStoreDamage damages a real store (a byte flipped, eight bytes, or the
// file cut short at off) and does what the controller does with it: check
// it, read its configurations, open it, answer, issue and call. Nothing
// may crash or hang the process (a damaged element once sent bbolt out of
// a slice's bounds, a damaged page span hung its check); what verify calls
// sound, the running engine's check must too.
func FuzzStoreDamage(f *testing.F) {
	f.Add(uint32(5000), byte(0x01), uint8(0))
	f.Add(uint32(9000), byte(0x80), uint8(1))
	f.Add(uint32(100), byte(0xff), uint8(2))
	f.Fuzz(damageOne)
}

// damageOne is one case of FuzzStoreDamage.
func damageOne(t *testing.T, off uint32, x byte, mode uint8) {
	base, err := damageBase()
	require.NoError(t, err)
	data := bytes.Clone(base)
	switch mode % 3 {
	case 0:
		data[int(off)%len(data)] ^= max(x, 1)
	case 1:
		o := int(off) % (len(data) - 8)
		for i := range 8 {
			data[o+i] ^= x | 1
		}
	case 2:
		data = data[:int(off)%len(data)]
	}
	p := filepath.Join(t.TempDir(), "d.db")
	require.NoError(t, os.WriteFile(p, data, 0o600))
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	require.NoError(t, err)
	verr := queue.Verify(p, cfg)
	_, _ = queue.StoredConfigs(p)
	clk := queuetest.NewClock(time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC))
	e, err := queue.Open(p, cfg, &queue.Opts{Now: clk.Now, Logger: quiet})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = e.TicketsOf(ctx, "2026-11-23")
	_, _ = e.TicketsOf(ctx, "")
	_, _ = e.Replay(1, 100000)
	_, _ = e.Stats(ctx, "2026-11-23")
	_, _ = e.Issue(ctx, queue.IssueRequest{Service: "social"})
	_, _ = e.Counter(ctx, "2", queue.Command{Action: queue.Next})
	_, _ = e.ConfigVersions(ctx)
	cerr := e.Check(ctx)
	require.NoError(t, e.Close())
	if verr == nil {
		require.NoError(t, cerr, "verify called it sound")
	}
}

// A damaged page of the events, of the buckets, can read as fewer events,
// or none: the office would start with its day gone, and say nothing. It
// is refused as damaged.
func TestDamagedEventsRefused(t *testing.T) {
	base, err := damageBase()
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "d.db")
	require.NoError(t, os.WriteFile(p, base, 0o600))
	db, err := bolt.Open(p, 0o600, &bolt.Options{ReadOnly: true})
	require.NoError(t, err)
	var pages []int // the root's, and the last leaf in use (the latest events)
	require.NoError(t, db.View(func(tx *bolt.Tx) error {
		pages = append(pages, int(tx.Cursor().Bucket().Root()))
		for id := int(tx.Size()/int64(os.Getpagesize())) - 1; id > 1; id-- {
			if info, err := tx.Page(id); err == nil && info != nil && info.Type == "leaf" && info.Count > 0 {
				pages = append(pages, id)
				break
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())
	cfg, err := config.Parse([]byte(queuetest.OfficeYAML))
	require.NoError(t, err)
	for _, page := range pages {
		data := bytes.Clone(base)
		data[page*os.Getpagesize()+10] = 0 // its count of elements: none
		data[page*os.Getpagesize()+11] = 0
		require.NoError(t, os.WriteFile(p, data, 0o600))
		_, err = queue.Open(p, cfg, &queue.Opts{Logger: quiet})
		require.ErrorIs(t, err, queue.ErrDamaged, "page %d", page)
	}
}
