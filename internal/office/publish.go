package office

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/display"
	"github.com/cherga/cherga/internal/bus"
	"github.com/cherga/cherga/queue"
)

// message is one MQTT publication.
type message struct {
	topic   string
	retain  bool
	payload []byte
}

// renderRetained turns retained state the engine committed into its MQTT
// publications, with every time in the office's time zone. A board shows a
// call as calling for office.board_blink_s, then as serving
// (display.Settle). The load carries seq, the latest event sent before it
// (or acknowledged).
func (o *Office) renderRetained(r queue.Retained, now time.Time, seq uint64) []message {
	root := o.conf().Root()
	o.lights(r)
	var msgs []message
	for _, b := range r.Boards {
		b.At = o.local(b.At)
		// Kept as shown: one shown settled already (published again after
		// its blink time, a resume) is not settled, and sent, once more.
		b = display.Settle(b, now, o.blink())
		o.boards[b.Counter] = b
		msgs = append(msgs, o.renderBoard(b)...)
	}
	for _, box := range r.Boxes {
		box.At = o.local(box.At)
		msgs = append(msgs, message{bus.BoxState(root, box.Counter), true, mustJSON(box)})
	}
	if r.Hall != nil {
		h := *r.Hall
		h.Calls = append([]display.HallCall{}, h.Calls...)
		for i := range h.Calls {
			h.Calls[i].At = o.local(h.Calls[i].At)
		}
		msgs = append(msgs, message{bus.Hall(root), true, mustJSON(h)})
	}
	for _, q := range r.Queues {
		msgs = append(msgs, message{bus.Queue(root, q.Service), true, q.Queue.JSON()})
	}
	if r.Load != nil {
		l := *r.Load
		o.lastLoad = r.Load
		// After a start or a reconnection, before an event is sent
		// again: those the broker acknowledged before.
		l.At, l.Sent, l.Seq = o.local(l.At), o.local(o.clock()), max(seq, o.eng.Acked())
		l.Languages = o.conf().Office.Languages
		msgs = append(msgs, message{bus.Load(root), true, l.JSON()})
		o.onClock(l.ClockUnset)
	}
	return msgs
}

// lights sets the lamps by what the engine changed, whether the broker is
// there or not: each counter's busy lamp by its board, and the kiosks'
// buttons when a service began or stopped issuing (another kiosk took the
// last ticket under its cap, its hours ended, a pause), now rather than at
// their printer's next poll.
func (o *Office) lights(r queue.Retained) {
	for _, b := range r.Boards {
		if l := o.counterLamps[b.Counter]; l != nil {
			if err := l.Set(b.State == display.Calling || b.State == display.Serving); err != nil {
				o.log.Error("office: counter lamp", "counter", b.Counter, "err", err)
			}
		}
	}
	relight := false
	for _, q := range r.Queues {
		if was, ok := o.refusing[q.Service]; !ok || was != q.Queue.Refused {
			o.refusing[q.Service], relight = q.Queue.Refused, true
		}
	}
	if relight {
		for _, k := range o.kiosks {
			k.relight()
		}
	}
}

// renderEvent turns one committed event into its publications: the event
// on {root}/events and, for a call or a recall, its announcement, unless
// the counter's board, rendered before it, no longer has its ticket.
func (o *Office) renderEvent(ev queue.Event) []message {
	msgs := make([]message, 0, 3)
	if ev.IsCall() && !o.overtaken(ev) {
		msgs = append(msgs, o.renderCall(ev)...)
	}
	return append(msgs, message{bus.Events(o.conf().Root()), false, mustJSON(o.localEvent(ev))})
}

// overtaken reports whether the call ev is no longer its counter's: the
// board rendered last is of a later change (a later call, the visit's
// end) and has another ticket, or none. After a broker outage the calls
// made meanwhile go out at once: said, the first would send a citizen
// whose visit is over to the counter, before the one it calls now. A
// board of before the call (a change committed between a round's boards
// and its events) says nothing of it: the call is said.
func (o *Office) overtaken(ev queue.Event) bool {
	b, ok := o.boards[ev.Counter]
	return ok && ev.Ticket != nil && b.Ticket != ev.Ticket.Label && b.At.After(ev.At)
}

func (o *Office) renderBoard(b display.Board) []message {
	root := o.conf().Root()
	c := o.conf().Counter(b.Counter)
	var opts *display.BoardOpts
	if c != nil {
		opts = o.conf().Board(c)
	}
	msgs := []message{
		{bus.Board(root, b.Counter), true, b.JSON()},
		{bus.BoardText(root, b.Counter), true, opts.TextPayload(b)},
	}
	if c != nil {
		for _, m := range opts.Messages(b) {
			msgs = append(msgs, message{m.Topic, m.Retain, m.Payload})
		}
		if c.Board.Mode == display.ModeAwtrix {
			o.shown[b.Counter] = b
		}
	}
	return msgs
}

// awtrixAgain is the custom app of every AWTRIX board as it shows now, sent
// again every display.AwtrixRefresh: a board marks an app it has not heard
// of for display.AwtrixLifetime as stale.
func (o *Office) awtrixAgain() []message {
	var msgs []message
	for counter, b := range o.shown {
		c := o.conf().Counter(counter)
		if c == nil || c.Board.Mode != display.ModeAwtrix {
			delete(o.shown, counter) // config.set took it away
			continue
		}
		for _, m := range o.conf().Board(c).Messages(b) {
			msgs = append(msgs, message{m.Topic, m.Retain, m.Payload})
		}
	}
	return msgs
}

// renderCall announces a call event: its seq is the call's id, so a
// repeated delivery is told from a recall.
func (o *Office) renderCall(ev queue.Event) []message {
	var msgs []message
	label := ev.Ticket.Label
	c := o.conf().Counter(ev.Counter)
	var kind audio.CounterKind
	if c != nil {
		kind, _ = audio.ParseCounterKind(c.Kind)
	}
	for _, lang := range o.conf().Office.Languages {
		announce := audio.Announce
		if ev.Type == queue.EvRecalled {
			announce = audio.AnnounceRecall
		}
		p, err := announce(lang, label, ev.Counter, kind)
		if err != nil {
			o.log.Error("office: cannot phrase the call", "ticket", label, "counter", ev.Counter, "lang", lang, "err", err)
			continue
		}
		msgs = append(msgs, message{bus.Announce(o.conf().Root()), false, mustJSON(audio.Call{
			ID: strconv.FormatUint(ev.Seq, 10), Ticket: label, Counter: ev.Counter, Lang: lang,
			Text: p.Text, Clips: p.Clips, Recall: ev.Type == queue.EvRecalled, At: o.local(ev.At), Sent: o.local(o.clock()),
		})})
	}
	if c != nil {
		for _, m := range o.conf().Board(c).CallMessages(label) {
			msgs = append(msgs, message{m.Topic, m.Retain, m.Payload})
		}
	}
	return msgs
}

// blink is how long a board shows a new call as calling.
func (o *Office) blink() time.Duration {
	return time.Duration(o.conf().Office.BoardBlinkSec) * time.Second
}

// now is the time in the office's time zone: every time the office
// publishes carries its UTC offset (docs/mqtt.md).
func (o *Office) now() time.Time { return time.Now().In(o.loc) }

// localTicket is tk with its times in the office's time zone.
func (o *Office) localTicket(tk queue.Ticket) queue.Ticket {
	tk.Issued, tk.Called, tk.Ended, tk.NotBefore = o.local(tk.Issued), o.local(tk.Called), o.local(tk.Ended), o.local(tk.NotBefore)
	return tk
}

// localEvent is ev with its times in the office's time zone.
func (o *Office) localEvent(ev queue.Event) queue.Event {
	ev.At = o.local(ev.At)
	if ev.Ticket != nil {
		tk := o.localTicket(*ev.Ticket)
		ev.Ticket = &tk
	}
	if ev.Appointment != nil {
		a := o.localTimes(*ev.Appointment)
		ev.Appointment = &a
	}
	return ev
}

// local shows t in the office's time zone; the zero time stays zero.
func (o *Office) local(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(o.loc)
}

// settle renders, settled, the boards whose blink time has passed, and
// returns when the next one is due (zero: none).
func (o *Office) settle(now time.Time) (msgs []message, next time.Time) {
	for counter, b := range o.boards {
		if o.conf().Counter(counter) == nil {
			delete(o.boards, counter) // config.set took it away
			continue
		}
		at, ok := display.SettleAt(b, o.blink())
		if !ok {
			continue
		}
		if now.Before(at) {
			if next.IsZero() || at.Before(next) {
				next = at
			}
			continue
		}
		b = display.Settle(b, now, o.blink())
		o.boards[counter] = b // as shown: settled, it is not due again
		msgs = append(msgs, o.renderBoard(b)...)
	}
	return msgs, next
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own plain structs are marshalled here
	}
	return b
}

// sending is one run of publications under way, handed from the
// publisher to the acknowledger: seq is the event they publish (0: retained
// state only), gen the publisher's generation when they were started.
type sending struct {
	gen   uint64
	seq   uint64
	sends []*bus.Sending
}

// The publisher's retries after a failed publication: the first after
// retryFirst, each next one twice as late, up to retryMax. While the
// broker is unreachable it is the reconnection (bus OnConnect) that starts
// the next round; the retries are for a broker that takes the connection
// but not the publications, and make sure of the reconnection.
const (
	retryFirst = time.Second
	retryMax   = 30 * time.Second
)

// msgStillAway is logged, at debug level, at each retry that finds the
// broker still unreachable.
const msgStillAway = "office: the broker is still unreachable; publishing when it is back"

// failures is how acknowledge tells the publisher that a generation of
// publications failed. (A channel of generations could hold an old one the
// publisher has gone past, and drop the newer one.)
type failures struct {
	gen  atomic.Uint64 // the latest generation that failed
	took atomic.Uint64 // the latest generation of which the broker took a publication
	wake chan struct{} // a failure since the publisher last looked
	// current is the publisher's generation: the runs of one before it are
	// sent again already, and not waited for.
	current atomic.Uint64
}

// publish sends what the engine committed to the broker: the retained state
// it changed (boards first, so a call shows at once) and the events after
// the last acknowledged one, with their announcements. It does not wait for
// the broker's acknowledgements: those are awaited, in order, by
// acknowledge, so a slow acknowledgement (Nagle's algorithm on a broker's
// socket) never holds back the next call. While the broker is away nothing
// is lost: once a publication fails, the publisher stops, and when the
// broker is back sends again every event not acknowledged and the whole
// retained state. Meanwhile it reads and writes nothing: an outage of a day
// costs the SD card nothing, and the round that ends it no more than one
// that had all the events to send once. Delivery is at least once (events
// carry their seq, calls their id, so receivers can tell).
func (o *Office) publish(ctx context.Context) {
	defer o.wg.Done()
	runs := make(chan sending, 1024)
	failed := &failures{wake: make(chan struct{}, 1)}
	o.wg.Add(1)
	go o.acknowledge(ctx, runs, failed)
	defer close(runs)

	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	settle := time.NewTimer(time.Hour)
	defer settle.Stop()
	refresh := time.NewTicker(o.awtrixRefresh)
	defer refresh.Stop()
	loads := time.NewTicker(o.loadRefresh)
	defer loads.Stop()
	gen := uint64(1)
	var sent uint64    // the last event started in this generation
	down := false      // a publication failed: wait for the broker or the retry
	wait := retryFirst // until the next retry
	// The whole retained state is to be sent again: at the start too,
	// before any backlog of events, whatever wakes the publisher first.
	again := true
	whole := false // it was asked for: this round sends it
	held := o.holdEvents(ctx)
	// fail ends the generation: what it started may not all arrive. Every
	// stop of the publisher is one: the acknowledger, told of a failed
	// run meanwhile, acknowledges nothing more of the generation, which
	// would otherwise go on unacknowledged and never sent again.
	// backoff sets the retry after wait, and the one after it twice as late.
	backoff := func() {
		retry.Reset(wait)
		wait = min(2*wait, retryMax)
	}
	// A new generation sends the whole retained state again, and empties
	// again every topic taken away (dueGone): the broker may have lost
	// those emptyings, or brought the topics back.
	newGen := func() {
		gen++
		failed.current.Store(gen)
		sent = 0
		o.dueGone()
	}
	fail := func() {
		newGen()
		down, again = true, true
		backoff()
	}
	// start sends msgs as one run. At the first that cannot be started (the
	// broker is unreachable) it fails the generation and returns false: the
	// round stops there, rather than read and render every event pending
	// for nothing.
	startRun := func(msgs []message, seq uint64) (sending, bool) {
		r := sending{gen: gen, seq: seq, sends: make([]*bus.Sending, 0, len(msgs))}
		for _, m := range msgs {
			s := o.bus.Start(m.topic, 1, m.retain, m.payload)
			if err := s.Err(); err != nil {
				o.log.Debug("office: publish deferred", "err", err)
				fail()
				return r, false
			}
			r.sends = append(r.sends, s)
		}
		runs <- r
		return r, true
	}
	start := func(msgs []message, seq uint64) bool {
		_, ok := startRun(msgs, seq)
		return ok
	}
	// retained sends the retained state the engine changed since it was
	// last taken, and says whether it could. The topics of what a change
	// took away (clearGone) are emptied first: the state taken now has
	// none of theirs (queue.Engine.TakeRetained), and what was taken
	// before went out before.
	retained := func(now time.Time) bool {
		if gone := o.takeGone(); len(gone) > 0 {
			msgs := make([]message, len(gone))
			for i, t := range gone {
				msgs[i] = message{topic: t, retain: true}
			}
			if !start(msgs, 0) {
				o.dueGone(gone...) // the generation failed: all again
				return false
			}
		}
		r := o.eng.TakeRetained()
		if len(r.Boards) > 0 {
			// The boards first, and then a yield: sending them readied
			// the goroutines that carry them to the boards, and they
			// would otherwise wait behind the rest of this round.
			boards, ok := startRun(o.renderRetained(queue.Retained{Boards: r.Boards}, now, sent), 0)
			if !ok {
				return false
			}
			r.Boards = nil
			runtime.Gosched()
			// The rest (the hall, the figures, the events and the
			// announcements: ten messages for a call) would compete with
			// the boards on their way, for the connection and for the
			// broker's CPU, which on a Pi is this one's too: it waits
			// until the broker has the boards (its acknowledgement, a
			// tenth of a millisecond on the same machine), 2 ms at most
			// (a broker slow to acknowledge: Nagle's algorithm).
			deadline := time.Now().Add(boardsFirst)
			for _, s := range boards.sends {
				if s.Wait(time.Until(deadline)) != nil {
					break
				}
			}
		}
		return r.Empty() || start(o.renderRetained(r, now, sent), 0)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.eng.Notify():
		case <-o.reconnected:
			if !down && o.connects.Load() == 1 {
				// The first connection: what was started before it waited
				// in the client and goes out on it. Nothing was lost; sent
				// again, every event and the whole retained state of the
				// start would come twice.
				continue
			}
			again = true // the broker may have lost its retained messages
			if wait = retryFirst; down {
				down = false
				retry.Stop()
			}
			// What was in flight when the connection dropped is lost (a
			// clean session), and paho, reconnecting, does not fail it:
			// a new generation sends it again now, not once its
			// acknowledgement is given up on (bus.AckWait).
			newGen()
		case <-failed.wake:
			if failed.gen.Load() == gen && !down {
				if failed.took.Load() == gen {
					wait = retryFirst // the broker took some: not a broker that takes none
				}
				fail()
			}
			continue
		case <-retry.C:
			if !o.bus.Connected() {
				o.log.Debug(msgStillAway, "next_check", wait)
				backoff() // the reconnection will say
				continue
			}
			down = false
		case <-settle.C:
		case <-refresh.C:
			if !down {
				if msgs := o.awtrixAgain(); len(msgs) > 0 {
					start(msgs, 0)
				}
			}
			continue
		case <-loads.C:
			if !down && o.lastLoad != nil {
				start(o.renderRetained(queue.Retained{Load: o.lastLoad}, time.Now(), sent), 0)
			}
			continue
		case <-held:
			held = nil
		case <-o.goneWake:
		}
		if down {
			// What changed is all sent again when the broker is back
			// (again): the lamps show it now.
			o.lights(o.eng.TakeRetained())
			continue
		}
		if again {
			if err := o.eng.Republish(ctx); err != nil {
				o.log.Error("office: republish", "err", err)
				fail()
				continue
			}
			again, whole = false, true
		}
		now := time.Now()
		if !retained(now) {
			continue // again is set: the next round sends them all
		}
		if whole {
			o.readyOnce.Do(func() { close(o.ready) }) // the whole state is under way
			whole = false
		}
		ok := true
		for ok && ctx.Err() == nil && !holding(held) {
			evs, err := o.eng.Pending(sent, 256)
			if err != nil {
				o.log.Error("office: read events", "err", err)
				fail() // a run of this generation may have failed meanwhile
				ok = false
				break
			}
			for _, ev := range evs {
				if ok = start(o.renderEvent(ev), ev.Seq); !ok {
					break
				}
				sent = ev.Seq
			}
			if !ok || len(evs) < 256 {
				break
			}
			// A long backlog (kept through a broker outage) goes a page
			// at a time, with the boards and figures of what the office
			// does meanwhile in between: a call made now reaches its
			// board without waiting for the whole backlog. (Its event and
			// announcement come in order, after the backlog.)
			ok = retained(time.Now())
		}
		if !ok {
			continue
		}
		msgs, next := o.settle(now)
		if len(msgs) > 0 && !start(msgs, 0) {
			continue
		}
		if !next.IsZero() {
			// next is a wall-clock time, the timer monotonic: a clock
			// set meanwhile (NTP after a boot without a clock chip) is
			// seen at the next look, within settleLook.
			settle.Reset(min(time.Until(next), settleLook))
		}
	}
}

// boardsFirst bounds how long the rest of a round waits for the broker to
// take its boards.
const boardsFirst = 2 * time.Millisecond

// settleLook bounds the wait for a board to settle from calling to
// serving, so that a clock step is seen.
const settleLook = 5 * time.Second

// eventsWait bounds how long a restarted office holds back its events,
// waiting for a subscriber to come back.
const eventsWait = 10 * time.Second

// holdEvents returns a channel that stays open while the events are held
// back, or nil when they are not: with the embedded broker, a start (a
// restart, after a crash or a power cut too) starts a broker with no
// sessions, and a call committed before it but not yet sent, or made in
// the seconds after it, would be handed to nobody: the announcer,
// reconnecting a few seconds later, would never say it. They wait until a
// client subscribes to the announcements or the events, or for eventsWait;
// the retained state (the boards) goes out at once.
func (o *Office) holdEvents(ctx context.Context) <-chan struct{} {
	if o.brk == nil {
		return nil
	}
	evs, err := o.eng.Pending(0, 1)
	before := err == nil && len(evs) > 0 // committed before this start
	root := o.conf().Root()
	held := make(chan struct{})
	go func() {
		defer close(held)
		t := time.NewTimer(eventsWait)
		defer t.Stop()
		select {
		case <-o.brk.Subscribed(bus.Announce(root)):
		case <-o.brk.Subscribed(bus.Events(root)):
		case <-t.C:
			if before {
				o.log.Warn("office: no announcer or other subscriber of the events connected within 10 s to take those committed before this start; sent all the same (events.replay has them)")
			}
		case <-ctx.Done():
		}
	}()
	return held
}

// holding reports whether held (from holdEvents) still holds the events.
func holding(held <-chan struct{}) bool {
	if held == nil {
		return false
	}
	select {
	case <-held:
		return false
	default:
		return true
	}
}

// await waits for the broker to take s, up to bus.AckWait, and no longer
// than gen is the publisher's generation: a publication in flight when
// the connection dropped is sent again at once by the next one, and its
// own acknowledgement, which paho neither gives nor fails, must not hold
// those of the new one. Once ctx ends (the office closes) it waits
// closingAckWait more at most, and then gives up as superseded: nothing
// is acknowledged, and the next start sends it again; a broker that
// stopped answering must not hold the stop until systemd kills it.
func await(ctx context.Context, s *bus.Sending, gen uint64, failed *failures) (superseded bool, err error) {
	deadline := time.Now().Add(bus.AckWait)
	closing := false
	for {
		err = s.Wait(min(time.Until(deadline), 250*time.Millisecond))
		switch {
		case !errors.Is(err, bus.ErrNoAnswer):
			return false, err
		case gen < failed.current.Load():
			return true, nil
		case closing && !time.Now().Before(deadline):
			return true, nil
		case !time.Now().Before(deadline):
			return false, err
		case ctx.Err() != nil && !closing:
			closing = true
			if d := time.Now().Add(closingAckWait); d.Before(deadline) {
				deadline = d
			}
		}
	}
}

// closingAckWait is how long a closing office still waits for the broker
// to take what it sent last.
const closingAckWait = time.Second

// acknowledge waits for the broker to take each run of publications, in
// order, and acknowledges their events to the engine. At the first failure
// it tells the publisher, and acknowledges nothing more of that generation:
// an event after a lost one must not be marked as delivered.
func (o *Office) acknowledge(ctx context.Context, runs <-chan sending, failed *failures) {
	defer o.wg.Done()
	var bad uint64 // the generation that failed
	for r := range runs {
		if r.gen <= bad || r.gen < failed.current.Load() {
			continue // sent again by the next generation
		}
		var err error
		superseded := false
		for _, s := range r.sends {
			if superseded, err = await(ctx, s, r.gen, failed); err != nil || superseded {
				break
			}
			failed.took.Store(r.gen)
		}
		switch {
		case superseded:
		case err != nil:
			bad = r.gen
			o.log.Debug("office: publish deferred", "err", err)
			failed.gen.Store(r.gen) // runs come in generation order: it only grows
			select {
			case failed.wake <- struct{}{}:
			default:
			}
		case r.seq > 0:
			o.eng.Ack(r.seq)
		}
	}
}
