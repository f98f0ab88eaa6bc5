package office

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/queue"
)

// SetMountinfo makes the controller read path as its mountinfo.
func SetMountinfo(path string) (restore func()) {
	was := mountinfo
	mountinfo = path
	return func() { mountinfo = was }
}

// Unpaced lets a counter's commands through as fast as they come, for a
// benchmark that presses next hundreds of times a second.
func Unpaced(o *Office) {
	o.counterLoad.mu.Lock()
	o.counterLoad.unpaced = true
	o.counterLoad.mu.Unlock()
}

// MsgStillAway is what the publisher logs, at debug level, at each retry
// that finds the broker still unreachable.
const MsgStillAway = msgStillAway

// StaleAfter and CounterStale are how long a press and a counter command
// may wait for the store.
const StaleAfter, CounterStale = staleAfter, counterStale

// ServeAfter serves a press of service at kiosk as if it had come waited
// ago, and the kiosk had spent own of that serving other presses (at its
// printer), the rest waiting for the store.
func ServeAfter(ctx context.Context, o *Office, kiosk, service string, waited, own time.Duration) Result {
	k := o.kiosks[kiosk]
	res := make(chan Result, 1)
	k.jobs <- func(ctx context.Context) { // on the kiosk's goroutine, which owns it
		now := time.Now()
		p := press{service: service, source: "test", at: now.Add(-waited), storedBefore: k.stored.read(now) - (waited - own)}
		res <- k.serve(ctx, p)
	}
	return <-res
}

// AgePrinterLogs moves the minute of the kiosk's printer log lines d into
// the past, on its goroutine, as if that long had passed.
func AgePrinterLogs(o *Office, kiosk string, d time.Duration) {
	k := o.kiosks[kiosk]
	done := make(chan struct{})
	k.jobs <- func(context.Context) {
		k.said.window = k.said.window.Add(-d)
		close(done)
	}
	<-done
}

// HoldKiosk keeps the kiosk's goroutine busy, as a slow printer does,
// until release is called.
func HoldKiosk(o *Office, kiosk string) (release func()) {
	k := o.kiosks[kiosk]
	held, done := make(chan struct{}), make(chan struct{})
	k.jobs <- func(context.Context) {
		close(held)
		<-done
	}
	<-held
	return func() { close(done) }
}

// PressWaited hands the kiosk a press of service under id, as one that
// has waited stored for the store already; its answer comes on the
// kiosk's topic.
func PressWaited(o *Office, kiosk, service, id string, stored time.Duration) {
	k := o.kiosks[kiosk]
	now := time.Now()
	if !k.enqueue(press{service: service, source: "test", id: id, at: now.Add(-stored), storedBefore: k.stored.read(now) - stored}) {
		panic("office: the kiosk's backlog is full")
	}
}

// CounterAt serves a counter command as if it had come at at, and gives
// its ack.
func CounterAt(ctx context.Context, o *Office, counter string, action queue.Action, at time.Time) CounterAck {
	r := counterReq{counter: counter, cmd: queue.Command{Action: action}, source: "test", at: at}
	res, err := o.serveCounter(ctx, r)
	return *o.counterAck(r, res, err)
}

// OnStore is what the engine tells the office of its store.
func OnStore(o *Office, err error) { o.onStore(err) }

// SetStatus sets the status as a start does.
func SetStatus(o *Office, st Status) Status { return o.setStatus(st) }

// holds are the gates of the test.hold operations, by key.
var holds sync.Map

func init() {
	// test.hold, a read: {"key":"…"} waits until Hold's release of key.
	adminOps["test.hold"] = func(_ *Office, ctx context.Context, args json.RawMessage) (any, error) {
		var a struct{ Key string }
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		gate, _ := holds.LoadOrStore(a.Key, make(chan struct{}))
		select {
		case <-gate.(chan struct{}):
		case <-ctx.Done():
		}
		return "released", nil
	}
	readOps["test.hold"] = true
}

// Hold makes a test.hold request of key wait until release (which may be
// called again).
func Hold(key string) (release func()) {
	// A gate of its own: one a run before (-count) left closed releases
	// nothing.
	gate := make(chan struct{})
	holds.Store(key, gate)
	var once sync.Once
	return func() { once.Do(func() { close(gate) }) }
}

// WhenText says when a closed kiosk's service opens, after the word before.
var WhenText = whenText

// LatinLabel is what a ticket prints of its label for English readers.
var LatinLabel = latinLabel

// Overtaken says whether the call ev is no longer its counter's, with
// board the counter's board rendered last.
func Overtaken(board display.Board, ev queue.Event) bool {
	o := &Office{boards: map[string]display.Board{board.Counter: board}}
	return o.overtaken(ev)
}

// RedactSecrets is what the log keeps of a request's arguments.
var RedactSecrets = redactSecrets

// ButtonCommand submits a counter's command as its GPIO button does.
func ButtonCommand(o *Office, counter string, action queue.Action) {
	o.submitCounter(counterReq{counter: counter, cmd: queue.Command{Action: action}, source: "counter/" + counter + " gpio test", button: true})
}

// ButtonCommandStale is ButtonCommand of a press that came longer than
// CounterStale ago: the store held it too long.
func ButtonCommandStale(o *Office, counter string, action queue.Action) {
	o.counters <- counterReq{counter: counter, cmd: queue.Command{Action: action}, source: "counter/" + counter + " gpio test", button: true, at: time.Now().Add(-counterStale - time.Second)}
}

// Refusal is the reason and message of a refused input's error.
var Refusal = refusal
