package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// The benchmarks print their headline figures once as "name: value unit";
// make bench collects them. Each measures its own baseline in the same run.

const benchOfficeYAML = `
site: bench
office:
  name: "Bench"
  timezone: Europe/Kyiv
  stats_days: 400
  hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}
services:
  - {id: social, name: "Соціальний захист", prefix: "А", width: 4}
  - {id: pension, name: "Пенсійний фонд", prefix: "П", width: 4}
counters:
  - {id: "1", services: [social]}
  - {id: "2", services: [social, pension]}
`

func benchConfig(b *testing.B, doc string) *config.Config {
	b.Helper()
	c, err := config.Parse([]byte(doc))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// benchClock advances a millisecond a reading, from a fixed working day.
type benchClock struct {
	mu sync.Mutex
	t  time.Time
}

func newBenchClock() *benchClock {
	return &benchClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

func (c *benchClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func openBench(b *testing.B, dir string, cfg *config.Config) *Engine {
	b.Helper()
	e, err := Open(filepath.Join(dir, "q.db"), cfg, &Opts{Now: newBenchClock().Now})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// publisher takes what the engine publishes as the office's publisher does, until stop.
func publisher(e *Engine, stop chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var sent uint64
		for {
			select {
			case <-stop:
				return
			case <-e.Notify():
			}
			e.TakeRetained()
			evs, err := e.Pending(sent, 1024)
			if err == nil && len(evs) > 0 {
				sent = evs[len(evs)-1].Seq
				e.Ack(sent)
			}
		}
	}()
	return &wg
}

// bareUpdates times n serial fsync'd bbolt updates of one small record, the
// floor any durable ticket pays.
func bareUpdates(b *testing.B, dir string, n int) []time.Duration {
	b.Helper()
	db, err := bolt.Open(filepath.Join(dir, "bare.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 300)
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			bk, err := tx.CreateBucketIfNotExists([]byte("t"))
			if err != nil {
				return err
			}
			id, _ := bk.NextSequence()
			return bk.Put(u64(id), val)
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	return lat
}

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s))/100)) - 1
	return s[max(i, 0)]
}

var printed sync.Map

// once prints a headline figure the first time a benchmark runs.
func once(name string, f func()) {
	if _, dup := printed.LoadOrStore(name, true); !dup {
		f()
	}
}

// BenchmarkIssue: the p99 of issuing one ticket through the engine (a
// publisher draining the outbox meanwhile) over the p50 of a bare fsync'd
// bbolt Update on the same disk. Goal ≤ 1.5.
func BenchmarkIssue(b *testing.B) {
	cfg := benchConfig(b, benchOfficeYAML)
	once("issue", func() {
		dir := b.TempDir()
		const n = 400
		bare := bareUpdates(b, dir, n)
		e := openBench(b, dir, cfg)
		stop := make(chan struct{})
		wg := publisher(e, stop)
		ctx := context.Background()
		lat := make([]time.Duration, 0, n)
		for i := range n {
			start := time.Now()
			if _, err := e.Issue(ctx, IssueRequest{Service: []string{"social", "pension"}[i%2]}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		close(stop)
		wg.Wait()
		fmt.Printf("fsync_update_p50_us: %d us\n", pct(bare, 50).Microseconds())
		fmt.Printf("fsync_update_p99_us: %d us\n", pct(bare, 99).Microseconds())
		fmt.Printf("issue_p50_us: %d us\n", pct(lat, 50).Microseconds())
		fmt.Printf("issue_p99_us: %d us\n", pct(lat, 99).Microseconds())
		fmt.Printf("issue_p99_vs_fsync: %.2f\n", float64(pct(lat, 99))/float64(pct(bare, 50)))
		// The disk's own tail, for reading the figure above: p99 against p99.
		fmt.Printf("issue_p99_vs_fsync_p99: %.2f\n", float64(pct(lat, 99))/float64(pct(bare, 99)))
		// And the floor under both: two bare page writes and fdatasyncs,
		// no bbolt, p99 over p50.
		if fl := twoFlushes(dir, n); fl != nil {
			fmt.Printf("two_fdatasync_p99_vs_p50: %.2f\n", float64(pct(fl, 99))/float64(pct(fl, 50)))
		}
	})
	loop, services := loopOffice(b)
	e := openBench(b, b.TempDir(), loop)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.Issue(ctx, IssueRequest{Service: services[i%len(services)]}); err != nil {
			b.Fatal(err)
		}
	}
}

// loopOffice is an office whose services, together, have numbers for the
// b.N tickets of a timed loop on a fast disk (a service has 9,999 a day:
// a burst of group commits issued 32,000 a second), and their ids.
func loopOffice(b *testing.B) (*config.Config, []string) {
	var sb strings.Builder
	sb.WriteString(strings.SplitAfter(benchOfficeYAML, "services:\n")[0])
	var ids []string
	for i, p := range []rune("АБВГДЕЖИКЛМНОПРСТУФ") {
		ids = append(ids, fmt.Sprintf("s%d", i))
		fmt.Fprintf(&sb, "  - {id: s%d, name: \"Послуга %d\", prefix: %q, width: 4}\n", i, i, string(p))
	}
	fmt.Fprintf(&sb, "counters:\n  - {id: \"1\", services: [%s]}\n", strings.Join(ids, ", "))
	return benchConfig(b, sb.String()), ids
}

// BenchmarkBurstIssue: tickets per second with 16 kiosks pressing at once,
// each answered only once durable, over the rate of bare serial fsync'd
// updates. Goal ≥ 2 (group commit).
func BenchmarkBurstIssue(b *testing.B) {
	cfg := benchConfig(b, benchOfficeYAML)
	once("burst", func() {
		dir := b.TempDir()
		bare := bareUpdates(b, dir, 200)
		var sum time.Duration
		for _, d := range bare {
			sum += d
		}
		serialRate := float64(len(bare)) / sum.Seconds()
		e := openBench(b, dir, cfg)
		stop := make(chan struct{})
		pwg := publisher(e, stop)
		const kiosks, each = 16, 100
		ctx := context.Background()
		var wg sync.WaitGroup
		start := time.Now()
		for k := range kiosks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if _, err := e.Issue(ctx, IssueRequest{Service: []string{"social", "pension"}[(i+k)%2], Kiosk: strconv.Itoa(k)}); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		rate := kiosks * each / time.Since(start).Seconds()
		close(stop)
		pwg.Wait()
		fmt.Printf("serial_fsync_per_s: %.0f /s\n", serialRate)
		fmt.Printf("burst_issue_per_s: %.0f /s\n", rate)
		fmt.Printf("burst_issue_vs_serial_fsync: %.2f\n", rate/serialRate)
	})
	loop, services := loopOffice(b)
	e := openBench(b, b.TempDir(), loop)
	ctx := context.Background()
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.Issue(ctx, IssueRequest{Service: services[n.Add(1)%int64(len(services))]}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// bigOffice has 400 services and 320 counters, each serving 8 services.
func bigOffice(b *testing.B) *config.Config {
	var sb strings.Builder
	sb.WriteString(`site: big
office:
  name: "Big"
  timezone: Europe/Kyiv
  stats_days: 400
  hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}
services:
`)
	letters := []rune("АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ")
	for i := range 400 {
		fmt.Fprintf(&sb, "  - {id: s%d, name: \"Послуга %d\", prefix: \"%c%c\", width: 4}\n", i, i, letters[i/len(letters)%len(letters)], letters[i%len(letters)])
	}
	sb.WriteString("counters:\n")
	for i := range 320 {
		var svcs []string
		for k := range 8 {
			svcs = append(svcs, fmt.Sprintf("s%d", (i*5+k*51)%400))
		}
		slices.Sort(svcs)
		svcs = slices.Compact(svcs)
		fmt.Fprintf(&sb, "  - {id: \"%d\", services: [%s]}\n", i+1, strings.Join(svcs, ", "))
	}
	return benchConfig(b, sb.String())
}

// seed writes a day of waiting tickets straight into a store (their issued
// events, as the engine would have), without an fsync per ticket.
func seed(b *testing.B, path string, cfg *config.Config, day string, waiting int, at time.Time) {
	b.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		if err := initBuckets(tx); err != nil {
			return err
		}
		evB := tx.Bucket(bucketEvents)
		evB.FillPercent = 0.95
		put := func(ev *Event) error {
			v, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			return evB.Put(u64(ev.Seq), v)
		}
		seq := uint64(1)
		if err := put(&Event{Seq: seq, Type: EvDayStarted, At: at, Reason: day}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDays).Put([]byte(day), u64(seq)); err != nil {
			return err
		}
		nums := map[string]int{}
		for i := range waiting {
			svc := &cfg.Services[(i*7)%len(cfg.Services)]
			nums[svc.ID]++
			seq++
			tk := &Ticket{ID: seq, Label: FormatLabel(svc.Prefix, nums[svc.ID], svc.Width), Service: svc.ID, Day: day,
				Number: nums[svc.ID], State: Waiting, Issued: at.Add(time.Duration(i) * time.Millisecond), Priority: i%50 == 0}
			if err := put(&Event{Seq: seq, Type: EvIssued, At: tk.Issued, Ticket: tk}); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketMeta).Put(keyEventSeq, u64(seq)); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keyDay, []byte(day))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCallNext: the time the engine spends on one call-next press
// (finish the counter's ticket, the policy's pick, the ticket, event, board,
// hall and announcement written into the transaction) with 320 counters
// and 400 services, at 10,000 and 100,000 waiting tickets. The commit's
// fsync and the per-batch queue figures are not in it. Goal < 50 µs, flat.
func BenchmarkCallNext(b *testing.B) {
	cfg := bigOffice(b)
	for _, waiting := range []int{10_000, 100_000} {
		b.Run(strconv.Itoa(waiting), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "q.db")
			at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
			seed(b, path, cfg, "2026-11-23", waiting, at)
			clk := &benchClock{t: at.Add(2 * time.Hour)}
			e, err := Open(path, cfg, &Opts{Now: clk.Now})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			ctx := context.Background()
			// press returns the time of the policy's pick alone, timed
			// apart, and of the whole press inside the transaction.
			//
			// A counter presses next every 320 presses, 16 s after its last
			// call: past office.next_guard_s, so that its called ticket
			// ends as done (a press within the guard would put it back).
			press := func(i int) (pick, whole time.Duration) {
				c := e.cfg.Counters[i%len(e.cfg.Counters)].ID
				clk.mu.Lock()
				clk.t = clk.t.Add(50 * time.Millisecond)
				clk.mu.Unlock()
				err := e.do(ctx, false, func(t *txn) error {
					cs := t.st.counters[c]
					had := cs.current != nil
					start := time.Now()
					t.pick(cs)
					pick = time.Since(start)
					start = time.Now()
					ended, err := t.next(cs, nil) // a press of next: its own pick
					// and the end of its transaction: the events moved to
					// the archive every recentEvents (eventlog.go).
					t.finish()
					whole = time.Since(start)
					if err == nil && had && (ended == nil || ended.State != Done) {
						err = fmt.Errorf("counter %s: next did not end its ticket as done", c)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				return pick, whole
			}
			once("callnext"+strconv.Itoa(waiting), func() {
				var picks, wholes []time.Duration
				for i := range 5000 {
					p, w := press(i)
					picks, wholes = append(picks, p), append(wholes, w)
				}
				us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
				k := waiting / 1000
				fmt.Printf("call_next_pick_p50_us_%dk: %.2f us\n", k, us(pct(picks, 50)))
				fmt.Printf("call_next_pick_p99_us_%dk: %.2f us\n", k, us(pct(picks, 99)))
				fmt.Printf("call_next_p50_us_%dk: %.1f us\n", k, us(pct(wholes, 50)))
				fmt.Printf("call_next_p99_us_%dk: %.1f us\n", k, us(pct(wholes, 99)))
				fmt.Printf("call_next_p999_us_%dk: %.1f us\n", k, us(pct(wholes, 99.9)))
				// The machine's own tail, for reading the p99: the same
				// number of runs of a fixed computation as long as the
				// press's p50, timed alike on the engine's goroutine.
				fixed := machineTail(e, pct(wholes, 50), len(wholes))
				fmt.Printf("call_next_fixed_work_p99_us_%dk: %.1f us\n", k, us(pct(fixed, 99)))
			})
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				press(i)
			}
		})
	}
}

var spinSink uint64

// spin computes for n steps.
func spin(n int) {
	x := spinSink | 1
	for range n {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink = x
}

// machineTail times runs of a computation that takes about d, each as one
// request on the engine's goroutine like a press: what the machine's
// interruptions alone make of a task that long.
func machineTail(e *Engine, d time.Duration, runs int) []time.Duration {
	// Calibrate: n steps take about d. Each trial is the median of a few
	// runs, so that one interruption cannot make the task tiny.
	trial := func(n int) time.Duration {
		var els [5]time.Duration
		for i := range els {
			start := time.Now()
			spin(n)
			els[i] = time.Since(start)
		}
		return pct(els[:], 50)
	}
	n := 1000
	for {
		if el := trial(n); el >= d/4 {
			n = max(1, int(float64(n)*float64(d)/float64(el)))
			break
		}
		n *= 2
	}
	out := make([]time.Duration, 0, runs)
	for range runs {
		var took time.Duration
		_ = e.do(context.Background(), true, func(*txn) error {
			start := time.Now()
			spin(n)
			took = time.Since(start)
			return nil
		})
		out = append(out, took)
	}
	return out
}

// buildYear writes a store holding a year of history: 365 business days of
// 1,000 tickets, each issued, called and done (three events), the days'
// statistics, and today's 1,000 tickets.
func buildYear(b *testing.B, cfg *config.Config) string {
	yearPath := filepath.Join(b.TempDir(), "year.db")
	{
		db, err := bolt.Open(yearPath, 0o600, &bolt.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(initBuckets); err != nil {
			b.Fatal(err)
		}
		first := time.Date(2025, 11, 23, 9, 0, 0, 0, time.UTC)
		var seq uint64
		for d := range 366 {
			at := first.AddDate(0, 0, d)
			day := at.Format(dayLayout)
			err := db.Update(func(tx *bolt.Tx) error {
				evB := tx.Bucket(bucketEvents)
				evB.FillPercent = 0.95
				seq++
				v, _ := json.Marshal(&Event{Seq: seq, Type: EvDayStarted, At: at, Reason: day})
				if err := evB.Put(u64(seq), v); err != nil {
					return err
				}
				if err := tx.Bucket(bucketDays).Put([]byte(day), u64(seq)); err != nil {
					return err
				}
				for i := range 1000 {
					svc := &cfg.Services[i%2]
					tk := &Ticket{ID: seq + 1, Label: FormatLabel(svc.Prefix, i/2+1, svc.Width), Service: svc.ID, Day: day, Number: i/2 + 1,
						State: Waiting, Issued: at.Add(time.Duration(i) * 25 * time.Second)}
					if d < 365 {
						tk.State, tk.Counter = Done, "1"
						tk.Called = tk.Issued.Add(10 * time.Minute)
						tk.Ended = tk.Called.Add(8 * time.Minute)
					}
					for _, typ := range []string{EvIssued, EvCalled, EvDone}[:1+2*btoi(d < 365)] {
						seq++
						v, _ := json.Marshal(&Event{Seq: seq, Type: typ, At: tk.Issued, Ticket: tk, Counter: tk.Counter})
						if err := evB.Put(u64(seq), v); err != nil {
							return err
						}
					}
				}
				if d < 365 {
					st, dur, _, err := computeDay(tx, day, time.UTC, time.Now())
					if err != nil {
						return err
					}
					v, _ := json.Marshal(dayRecord{st: st, dur: dur, kept: recordKept})
					if err := tx.Bucket(bucketStats).Put([]byte(day), v); err != nil {
						return err
					}
				}
				meta := tx.Bucket(bucketMeta)
				if err := meta.Put(keyDay, []byte(day)); err != nil {
					return err
				}
				return meta.Put(keyEventSeq, u64(seq))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	return yearPath
}

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}

// BenchmarkStatsRangeYear: the figures of a year of 1,000 tickets a day,
// with exact percentiles. Goal < 1 s (the administrator waits; the engine
// does not: only today is read on its goroutine).
func BenchmarkStatsRangeYear(b *testing.B) {
	cfg := benchConfig(b, benchOfficeYAML)
	path := buildYear(b, cfg)
	b.Run("365x1000", func(b *testing.B) {
		e, err := Open(path, cfg, &Opts{Now: func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }})
		if err != nil {
			b.Fatal(err)
		}
		defer e.Close()
		var took []time.Duration
		for b.Loop() {
			start := time.Now()
			rs, err := e.StatsRange(context.Background(), "2025-11-23", "2026-11-22")
			if err != nil || rs.Days != 365 || !rs.Exact() {
				b.Fatalf("%v: %d days", err, rs.Days)
			}
			took = append(took, time.Since(start))
		}
		once("statsrangeyear", func() {
			fmt.Printf("stats_range_year_ms: %.1f ms\n", float64(pct(took, 50).Microseconds())/1000)
		})
	})
}

// BenchmarkOpenYear: opening (and closing) a store holding a year of
// history; the file is built once. Goal < 300 ms.
func BenchmarkOpenYear(b *testing.B) {
	cfg := benchConfig(b, benchOfficeYAML)
	// Built once: the parent runs once, its sub-benchmark as often as the
	// timing needs, and the parent's TempDir goes after both.
	path := buildYear(b, cfg)
	b.Run("365x1000", func(b *testing.B) { benchOpenYear(b, cfg, path) })
}

func benchOpenYear(b *testing.B, cfg *config.Config, path string) {
	clk := func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	open := func() time.Duration {
		start := time.Now()
		e, err := Open(path, cfg, &Opts{Now: clk})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(start)
		e.Close()
		return d
	}
	once("openyear", func() {
		fi, _ := os.Stat(path)
		var ds []time.Duration
		for range 5 {
			ds = append(ds, open())
		}
		fmt.Printf("year_db_mb: %d MB\n", fi.Size()>>20)
		fmt.Printf("open_ms_year: %.1f ms\n", float64(pct(ds, 50).Microseconds())/1000)
	})
	b.ResetTimer()
	for b.Loop() {
		open()
	}
}

func writeBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// BenchmarkDiskBytes: bytes written to the disk per ticket for issue, call
// and done, each its own transaction, with a publisher draining the outbox,
// so the SD card's wear is known. disk_bytes_per_ticket is this process's
// write_bytes of /proc/self/io, which counts pages as they are dirtied and
// so overcounts overwrites of the file's written room;
// disk_device_bytes_per_ticket is what the block device wrote meanwhile
// (journal included; any other process's writes too, so read it on a quiet
// machine).
func BenchmarkDiskBytes(b *testing.B) {
	if runtime.GOOS != "linux" || writeBytes() < 0 {
		b.Skip("needs /proc/self/io")
	}
	cfg := benchConfig(b, benchOfficeYAML)
	run := func(n int) (proc, device float64) {
		dir := b.TempDir()
		e := openBench(b, dir, cfg)
		stop := make(chan struct{})
		wg := publisher(e, stop)
		ctx := context.Background()
		syncDisks()
		before, devBefore := writeBytes(), deviceBytes(dir)
		for range n {
			if _, err := e.Issue(ctx, IssueRequest{Service: "social"}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Counter(ctx, "1", Command{Action: Next}); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Counter(ctx, "1", Command{Action: Finish}); err != nil {
				b.Fatal(err)
			}
		}
		syncDisks()
		after, devAfter := writeBytes(), deviceBytes(dir)
		close(stop)
		wg.Wait()
		return float64(after-before) / float64(n), float64(devAfter-devBefore) / float64(n)
	}
	once("diskbytes", func() {
		proc, device := run(300)
		fmt.Printf("disk_bytes_per_ticket: %.0f B\n", proc)
		if device >= 0 {
			fmt.Printf("disk_device_bytes_per_ticket: %.0f B\n", device)
		}
	})
	b.ResetTimer()
	for b.Loop() {
		run(1)
	}
}
