// Package queuetest holds what tests of the queue and of its users need: an
// engine on a real bbolt file whose cleanup checks the engine's invariants,
// a settable clock and a small office.
package queuetest

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
)

// Open opens an engine on a new bbolt file in t.TempDir(). Its cleanup
// checks the in-memory state against the store (Engine.Check), closes the
// engine, reopens the file read-only and verifies its invariants
// (queue.Verify): no label issued twice in a service-day, every ticket in
// exactly one state, a gap-free event seq, increasing outbox seqs.
func Open(t testing.TB, cfg *config.Config, opts *queue.Opts) *queue.Engine {
	t.Helper()
	return OpenPath(t, filepath.Join(t.TempDir(), "cherga.db"), cfg, opts)
}

// OpenPath is Open on a given file, to reopen one after Close.
func OpenPath(t testing.TB, path string, cfg *config.Config, opts *queue.Opts) *queue.Engine {
	t.Helper()
	e, err := queue.Open(path, cfg, opts)
	if err != nil {
		t.Fatalf("queuetest: open: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Check(context.Background()); err != nil && !errors.Is(err, queue.ErrEngineClosed) {
			t.Errorf("queuetest: invariants of the engine: %v", err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("queuetest: close: %v", err)
		}
		if err := queue.Verify(path, cfg); err != nil {
			t.Errorf("queuetest: invariants of %s: %v", path, err)
		}
	})
	return e
}

// Clock is a wall clock a test sets; its Now fits queue.Opts.Now. Safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the time the clock shows.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t, backwards or forwards.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock by d and returns the new time.
func (c *Clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// OfficeYAML is a small office open round the clock in Europe/Kyiv: three
// services and four counters, one of them serving two services. Its
// counters take next at once after a call (next_guard_s: -1): the tests
// press as fast as they run, and the guard has its own.
const OfficeYAML = `
site: test
office:
  name: "Тестовий офіс"
  timezone: Europe/Kyiv
  next_guard_s: -1
  hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}
services:
  - {id: social, name: "Соціальний захист", prefix: "А", width: 3, avg_service_min: 10}
  - {id: pension, name: "Пенсійний фонд", prefix: "П", width: 3, avg_service_min: 15}
  - {id: employment, name: "Центр зайнятості", prefix: "З", width: 3, avg_service_min: 20}
counters:
  - {id: "1", services: [social]}
  - {id: "2", services: [social, pension]}
  - {id: "3", services: [pension]}
  - {id: "4", services: [employment], kind: cabinet}
`

// Office returns a fresh copy of OfficeYAML, or the document edit returns
// from it, parsed and validated. An edit that changes nothing (a pattern
// not in the document: a test that would run on the unedited office) fails
// the test; a nil edit is none.
func Office(t testing.TB, edit ...func(string) string) *config.Config {
	t.Helper()
	doc := OfficeYAML
	for i, f := range edit {
		if f == nil {
			continue
		}
		next := f(doc)
		if next == doc {
			t.Fatalf("queuetest: office: edit %d changes nothing: is what it replaces in queuetest.OfficeYAML as written?", i)
		}
		doc = next
	}
	c, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("queuetest: office: %v", err)
	}
	return c
}
