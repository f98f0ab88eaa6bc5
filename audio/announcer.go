package audio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Clock is the time seam of the Announcer.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the host's clock: time.Now and time.After.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Announcement is what the Announcer plays at once: one call in each of its
// languages, with the recalls merged into it.
type Announcement struct {
	// IDs are the call ids merged: the call's, then its recalls'.
	IDs     []string
	Ticket  string
	Counter string
	// Recall is set when any merged message was a recall.
	Recall bool
	// Calls are the messages, one per language, in the announcer's order.
	Calls []Call
	// Notice is set for what the announcer says of the office by itself
	// (Announcer.Office): no ticket nor counter then, and IDs is the
	// notice's name ("alert").
	Notice Notice
	// Audio is the chime and the phrases, as Pack.Render makes it.
	Audio Clip
}

// Player plays an announcement to its end. Play must return when ctx ends.
// The Announcer calls it from one goroutine, one announcement at a time,
// and ends ctx when Play has not returned by the audio's length and
// AnnouncerOpts.PlayMargin (ErrPlayerHung).
type Player interface {
	Play(ctx context.Context, a *Announcement) error
}

// AnnouncerOpts configures an Announcer. nil means DefaultAnnouncerOpts; in
// a non-nil one a zero field takes its default.
type AnnouncerOpts struct {
	// Langs are the languages played, in order; messages in others are
	// skipped. Each must be in the pack.
	Langs []string `yaml:"langs"`
	// MaxAge drops a call older than this when it arrives (it waited in
	// the controller's outbox while the broker was away; see the package
	// doc for how age is counted). A call waiting behind the announcer's
	// own queue is its counter's current one and is said, however late:
	// a later call to the same counter supersedes it instead.
	MaxAge time.Duration `yaml:"max_age"`
	// Gather is how long a call waits for its other languages before it is
	// played without them. The controller sends them back to back.
	Gather time.Duration `yaml:"gather"`
	// Queue is the most announcements waiting; more are dropped as Expired.
	Queue int `yaml:"queue"`
	// PlayMargin is how long the Player gets beyond the length of an
	// announcement's audio before it is cut (ErrPlayerHung).
	PlayMargin time.Duration `yaml:"play_margin"`

	Clock  Clock        `yaml:"-"`
	Logger *slog.Logger `yaml:"-"`
	// Played, when set, is called after each announcement was played (err
	// is the Player's) or dropped (err wraps ErrSuperseded, ErrPaused or
	// ErrStopped), from Run; for a call superseded or hushed, from the
	// Offer or Pause that took it off the queue. A call too old when it arrives is not queued: Offer says
	// Expired.
	Played func(a *Announcement, err error) `yaml:"-"`
}

// DefaultAnnouncerOpts: Ukrainian then English, calls older than a minute
// are dropped, 500 ms to gather the languages, 64 calls queued at most, a
// player cut 5 s after its audio's length.
//
// aplay, paplay and sox's play write in real time once the device is open,
// so a working player ends within the audio's length and the time it takes
// to open the device and drain its buffer: under a second for ALSA, a
// second or two to wake a PulseAudio/PipeWire sink or an HDMI one. 5 s
// covers that with room, and keeps a hung sink (a sound server that
// stopped answering, an HDMI sink switched off: aplay blocks for good)
// from holding the hall for more than a call's length and 5 s each time. A
// multiple of the length would add nothing: a slow start does not grow
// with the call.
var DefaultAnnouncerOpts = AnnouncerOpts{
	Langs:      slices.Clone(Langs),
	MaxAge:     time.Minute,
	Gather:     500 * time.Millisecond,
	Queue:      64,
	PlayMargin: 5 * time.Second,
}

// ErrSuperseded is passed to AnnouncerOpts.Played for a call dropped
// because its counter called someone else before its turn came.
var ErrSuperseded = errors.New("audio: call superseded by a later call to its counter")

// ErrPaused is passed to AnnouncerOpts.Played for a call cut short or
// never said because the office paused (Pause): an air-raid alert sends
// everyone to the shelter, not to a counter.
var ErrPaused = errors.New("audio: the office paused")

// ErrStopped is passed to AnnouncerOpts.Played for a call cut short or
// never said because Run's context ended.
var ErrStopped = errors.New("audio: announcer stopped")

// ErrPlayerHung is passed to AnnouncerOpts.Played, wrapping the Player's
// error, for an announcement the Player had not finished by its limit
// (AnnouncerOpts.PlayMargin): the announcer cut it (CommandPlayer kills the player) and
// went on with the next call.
var ErrPlayerHung = errors.New("audio: the player did not finish in time")

// Announcer plays calls one after another: it never overlaps two, merges
// the languages of one call and the recalls of a waiting call, drops
// redelivered messages and calls too old to matter. Offer feeds it from the
// MQTT handler; Run plays.
type Announcer struct {
	pack   *Pack
	player Player
	opts   AnnouncerOpts
	wake   chan struct{}

	mu       sync.Mutex
	list     *playlist
	draining bool // Drain was called: Run returns once the list is empty
	stopped  bool // Run returned: Offer takes no more calls
	paused   bool // the office is paused: Offer takes no calls
	// office is how the office stood at the last Office (0: not told yet).
	office officeState
	// notice is the notice to say before any call (nil: none).
	notice *Announcement
	// cut cuts the call being said (nil: none).
	cut context.CancelFunc
	// liveFrom is when the messages of the connection begin to come live
	// (Connected; zero: not connected), and clocks the difference between
	// this box's clock and the controller's that they tell (age).
	liveFrom time.Time
	clocks   skew
	// kept is the least (arrival − sent) of the messages the broker kept
	// (keptAny: one came), before a live one told the clocks' difference.
	kept    time.Duration
	keptAny bool
	// held are the calls the broker kept, until judgeAt: by then the
	// messages kept with them, the freshest last, have come (Held).
	held    []heldCall
	judgeAt time.Time
}

// heldCall is a call the broker kept, and when it arrived.
type heldCall struct {
	c       Call
	arrival time.Time
}

// officeState is how the office stands, as Office is told.
type officeState int

const (
	officeOpen officeState = iota + 1
	officePaused
	officeAlert
)

// NewAnnouncer returns an announcer playing pack through player. It fails
// when the pack lacks one of opts.Langs.
func NewAnnouncer(pack *Pack, player Player, opts *AnnouncerOpts) (*Announcer, error) {
	o := DefaultAnnouncerOpts
	if opts != nil {
		o = *opts
		d := DefaultAnnouncerOpts
		if len(o.Langs) == 0 {
			o.Langs = d.Langs
		}
		if o.MaxAge <= 0 {
			o.MaxAge = d.MaxAge
		}
		if o.Gather <= 0 {
			o.Gather = d.Gather
		}
		if o.Queue <= 0 {
			o.Queue = d.Queue
		}
		if o.PlayMargin <= 0 {
			o.PlayMargin = d.PlayMargin
		}
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for _, l := range o.Langs {
		if err := checkLang(l); err != nil {
			return nil, err
		}
		if !slices.Contains(pack.Langs(), l) {
			return nil, fmt.Errorf("%w: the pack does not speak %q", ErrPack, l)
		}
	}
	o.Langs = slices.Clone(o.Langs)
	// A recorded pack may leave the notices' clips out: said once, now,
	// not at every alert.
	for _, l := range o.Langs {
		var missing []string
		for n := AlertNotice; n <= AlertEndedNotice; n++ {
			p, err := AnnounceNotice(l, n)
			if err != nil {
				continue
			}
			for _, id := range p.Clips {
				if _, ok := pack.Clip(id); !ok && !slices.Contains(missing, id) {
					missing = append(missing, id)
				}
			}
		}
		if len(missing) > 0 {
			o.Logger.Warn("audio: the pack lacks clips of the air-raid notices: they are said without them (as the chime alone when it has none)", "lang", l, "clips", missing)
		}
	}
	a := &Announcer{
		pack:   pack,
		player: player,
		opts:   o,
		wake:   make(chan struct{}, 1),
		list:   newPlaylist(o.Langs, o.MaxAge, o.Gather, o.Queue),
	}
	a.list.ageOf = func(c Call, now time.Time) time.Duration { return a.age(c.At, c.Sent, now, false) } // under a.mu, as Offer calls add
	return a, nil
}

// Offer queues a call and returns at once with what became of it:
// Stopped once Run has returned.
func (a *Announcer) Offer(c Call) Outcome {
	a.mu.Lock()
	out := Stopped
	switch {
	case a.paused:
		out = Paused
	case !a.stopped:
		now := a.opts.Clock.Now()
		if _, told := a.clocks.estimate(); told || c.Sent.IsZero() || a.live(now, false) {
			out = a.list.add(c, now)
			break
		}
		// Kept by the broker, and how long it waited there is told only
		// by the freshest message kept with it, which comes last.
		a.keptSince(now.Sub(c.Sent))
		a.held = append(a.held, heldCall{c, now})
		if a.judgeAt.IsZero() {
			a.judgeAt = now.Add(settle)
			if a.liveFrom.After(now) {
				a.judgeAt = a.liveFrom
			}
		}
		out = Held
	}
	dropped := a.list.takeDropped()
	a.mu.Unlock()
	// A call this one superseded is reported now, not when Run gets to the
	// queue again: a player that hangs until its limit, or a long backlog,
	// would keep it out of the log meanwhile.
	for _, d := range dropped {
		a.notSaid(d, d.why)
	}
	if out == Queued || out == Merged || out == Held {
		a.poke()
	}
	return out
}

// judge queues the held calls, or drops those too old, at now: by
// judgeAt, or at once while draining. The caller holds a.mu.
func (a *Announcer) judge(now time.Time) {
	if len(a.held) == 0 || now.Before(a.judgeAt) && !a.draining {
		return
	}
	for _, h := range a.held {
		age := a.age(h.c.At, h.c.Sent, h.arrival, true)
		out := Paused
		if !a.paused {
			out = a.list.addAged(h.c, now, age)
		}
		level := slog.LevelDebug
		if out == Expired || out == Paused {
			level = slog.LevelWarn // a call nobody will hear
		}
		a.opts.Logger.Log(context.Background(), level, "audio: a call the broker kept", "id", h.c.ID, "ticket", h.c.Ticket, "counter", h.c.Counter, "lang", h.c.Lang, "age", age.Round(time.Second), "outcome", out)
	}
	a.held, a.judgeAt = nil, time.Time{}
}

// Drain makes Run return nil once every call queued is said or dropped
// (superseded), instead of waiting for more. A call missing a language is
// said at once without it. Drain is for a clean stop, after the calls
// stopped coming; Run's context still cuts it short.
func (a *Announcer) Drain() {
	a.mu.Lock()
	a.draining = true
	a.list.gather = 0
	a.mu.Unlock()
	a.poke()
}

// Pause tells the announcer that the office paused (on) or resumed: while
// it is paused (an air-raid alert) no call is said: the one being said is
// cut, those queued are dropped (Played gets ErrPaused), and Offer takes
// none. After it, the specialists call again.
func (a *Announcer) Pause(on bool) {
	a.mu.Lock()
	if on && !a.paused {
		a.list.hush()
		if a.cut != nil {
			a.cut()
		}
	}
	a.paused = on
	dropped := a.list.takeDropped()
	a.mu.Unlock()
	for _, d := range dropped {
		a.notSaid(d, d.why)
	}
	a.poke()
}

// OfficeState is how the office stands, as {root}/load says it.
type OfficeState struct {
	// Paused: the office is paused; Alert: for an air-raid alert.
	Paused, Alert bool
	// Open: a counter is open (the load's open_counters): when an alert
	// ends, the office works again, or not yet (outside its hours).
	Open bool
	// Langs are the office's languages (office.languages): nil is all
	// the announcer's.
	Langs []string
	// At is when the load was made (zero: unknown), Sent when the
	// controller sent it (zero: an older controller's), both by the
	// controller's clock. A state older than AnnouncerOpts.MaxAge when it
	// comes (a persistent session's backlog after a restart, a retained
	// one from before) is taken, not said: see the package doc for how age
	// is counted.
	At, Sent time.Time
	// Retained: the broker's retained copy, delivered as a subscription
	// began (however late that is), not a change sent now.
	Retained bool
}

// Office tells the announcer how the office stands. It pauses the
// announcer as Pause does, and says a notice once at a change:
// AlertNotice when an alert begins (or when the first state it is told,
// new, is an alert: an announcer started as one began); when an alert ends,
// AllClearNotice if the office works again, else AlertEndedNotice (it
// stays paused, or it is outside its hours). A state told again (a
// retained message delivered again at a reconnection) says nothing, nor
// does one older than MaxAge: an announcer restarted during an alert does
// not say it again, nor one that comes back to the backlog of an alert
// and its end. The notice is said before any call, in the announcer's
// languages that the office speaks.
func (a *Announcer) Office(st OfficeState) {
	now := officeOpen
	switch {
	case st.Paused && st.Alert:
		now = officeAlert
	case st.Paused:
		now = officePaused
	}
	var n Notice
	a.mu.Lock()
	stale := a.age(st.At, st.Sent, a.opts.Clock.Now(), st.Retained) > a.opts.MaxAge
	switch {
	case stale:
	case now == officeAlert && a.office != officeAlert:
		n = AlertNotice
	case now == officeOpen && a.office == officeAlert && st.Open:
		n = AllClearNotice
	case now != officeAlert && a.office == officeAlert:
		n = AlertEndedNotice
	}
	a.office = now
	a.mu.Unlock()
	a.Pause(st.Paused)
	if n == 0 {
		return
	}
	an := a.noticeOf(n, st.Langs)
	a.mu.Lock()
	a.notice = an // a newer notice replaces one not yet said: the office's latest state is what counts
	a.mu.Unlock()
	a.poke()
}

// noticeOf is the announcement of n in the announcer's languages that are
// in langs (all of them for nil).
func (a *Announcer) noticeOf(n Notice, langs []string) *Announcement {
	an := &Announcement{IDs: []string{n.String()}, Notice: n}
	for _, l := range a.opts.Langs {
		if langs != nil && !slices.Contains(langs, l) {
			continue
		}
		p, err := AnnounceNotice(l, n)
		if err != nil {
			continue // a language of none of Langs (each has every notice)
		}
		an.Calls = append(an.Calls, Call{ID: n.String(), Lang: l, Text: p.Text, Clips: p.Clips, At: a.opts.Clock.Now()})
	}
	return an
}

func (a *Announcer) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run plays the queued calls until ctx ends, then returns ctx.Err(); or,
// after Drain, until the queue is empty, then returns nil. When ctx ends
// the call being said is cut, and it and every call still queued are
// logged and passed to Played with ErrStopped: the controller will not
// send them again. A Player error is logged and the next call played: a
// speaker unplugged for one call must not silence the office.
func (a *Announcer) Run(ctx context.Context) error {
	for {
		a.mu.Lock()
		if an := a.notice; an != nil {
			a.notice = nil
			callCtx, cut := context.WithCancel(ctx)
			a.cut = cut
			a.mu.Unlock()
			err := a.playNotice(callCtx, an)
			a.mu.Lock()
			a.cut = nil
			a.mu.Unlock()
			switch {
			case ctx.Err() != nil && err != nil:
				err = fmt.Errorf("%w mid-notice %s: %w", ErrStopped, an.Notice, err)
			case callCtx.Err() != nil && err != nil:
				err = fmt.Errorf("%w mid-notice %s: %w", ErrPaused, an.Notice, err)
			}
			cut()
			a.report(an, err)
			if ctx.Err() != nil {
				return a.stop(ctx)
			}
			continue
		}
		now := a.opts.Clock.Now()
		a.judge(now)
		it, dropped, wait := a.list.next(now)
		if len(a.held) > 0 && (wait <= 0 || a.judgeAt.Sub(now) < wait) {
			wait = a.judgeAt.Sub(now)
		}
		var calls []Call
		// The call is said under a context of its own, which Pause cuts.
		callCtx, cut := ctx, context.CancelFunc(func() {})
		if it != nil {
			calls = a.list.phrases(it)
			callCtx, cut = context.WithCancel(ctx)
			a.cut = cut
		}
		drained := it == nil && a.draining && len(a.list.items) == 0 && a.notice == nil
		if drained {
			a.stopped = true // under the lock Offer takes: no call slips in
		}
		a.mu.Unlock()
		for _, d := range dropped {
			a.notSaid(d, d.why)
		}
		if it != nil {
			an := a.announcement(it, calls)
			err := a.play(callCtx, an)
			a.mu.Lock()
			a.cut = nil
			a.list.said(it, a.opts.Clock.Now(), err == nil)
			a.mu.Unlock()
			switch {
			case ctx.Err() != nil && err != nil:
				err = fmt.Errorf("%w mid-call: ticket %s to %s: %w", ErrStopped, an.Ticket, an.Counter, err)
			case callCtx.Err() != nil && err != nil:
				err = fmt.Errorf("%w mid-call: ticket %s to %s: %w", ErrPaused, an.Ticket, an.Counter, err)
			}
			cut()
			a.report(an, err)
			if ctx.Err() != nil {
				return a.stop(ctx)
			}
			continue
		}
		if drained {
			return nil
		}
		var timer <-chan time.Time
		if wait > 0 {
			timer = a.opts.Clock.After(wait)
		}
		select {
		case <-ctx.Done():
			return a.stop(ctx)
		case <-a.wake:
		case <-timer:
		}
	}
}

// stop takes every call off the queue, reports each as not said, and
// returns ctx.Err().
func (a *Announcer) stop(ctx context.Context) error {
	a.mu.Lock()
	a.stopped = true
	left, superseded := a.list.items, a.list.superseded
	a.list.items, a.list.superseded = nil, nil
	for _, h := range a.held {
		left = append(left, &item{ids: []string{h.c.ID}, ticket: h.c.Ticket, counter: h.c.Counter, recall: h.c.Recall, phrases: map[string]Call{h.c.Lang: h.c}})
	}
	a.held = nil
	a.mu.Unlock()
	for _, it := range superseded {
		a.notSaid(it, it.why)
	}
	for _, it := range left {
		a.notSaid(it, ErrStopped)
	}
	return ctx.Err()
}

// notSaid reports a call taken off the queue unsaid, and why. The item is
// off the list: nothing else touches it, and phrases reads only the
// immutable languages besides it.
func (a *Announcer) notSaid(it *item, why error) {
	a.report(a.announcement(it, a.list.phrases(it)), fmt.Errorf("%w: ticket %s to %s", why, it.ticket, it.counter))
}

// logged is how the log names an: its ticket, counter and ids, or its
// notice and text.
func logged(an *Announcement) []any {
	if an.Notice != 0 {
		return []any{"notice", an.Notice.String(), "text", noticeText(an)}
	}
	return []any{"ticket", an.Ticket, "counter", an.Counter, "ids", an.IDs}
}

// report passes an announcement played or dropped to Played, and logs it
// when it was not said in full.
func (a *Announcer) report(an *Announcement, err error) {
	args := append(logged(an), "err", err)
	switch {
	case err == nil && an.Notice != 0:
		a.opts.Logger.Info("audio: notice said", logged(an)...) // the log a hall without speakers is read from
	case err == nil:
		// Whoever checks a silent hall tells "said" from "never came".
		a.opts.Logger.Info("audio: call said", logged(an)...)
	case errors.Is(err, ErrSuperseded), errors.Is(err, ErrPaused):
		a.opts.Logger.Info("audio: call not announced", args...) // its counter moved on, or the office paused
	case errors.Is(err, ErrStopped):
		a.opts.Logger.Warn("audio: call not announced", args...) // a citizen the voice did not call
	default:
		a.opts.Logger.Error("audio: announce", append(args, "player", a.playerName())...)
	}
	if a.opts.Played != nil {
		a.opts.Played(an, err)
	}
}

func (a *Announcer) announcement(it *item, calls []Call) *Announcement {
	return &Announcement{
		IDs:     slices.Clone(it.ids),
		Ticket:  it.ticket,
		Counter: it.counter,
		Recall:  it.recall,
		Calls:   calls,
	}
}

// playNotice says a notice: the chime and its phrases. A pause that begins
// meanwhile cuts it (an all-clear cut by a new alert, whose notice
// follows), and so does the end of Run's context.
func (a *Announcer) playNotice(ctx context.Context, an *Announcement) error {
	var phrases [][]string
	for _, c := range an.Calls {
		phrases = append(phrases, c.Clips)
	}
	clip, err := a.pack.Render(phrases...)
	if err != nil {
		return fmt.Errorf("audio: notice %s: %w", an.Notice, err)
	}
	an.Audio = clip
	return a.playLimited(ctx, an)
}

// noticeText is the notice's text in its languages, "Увага! … / Attention! …".
func noticeText(an *Announcement) string {
	texts := make([]string, 0, len(an.Calls))
	for _, c := range an.Calls {
		texts = append(texts, c.Text)
	}
	return strings.Join(texts, " / ")
}

func (a *Announcer) play(ctx context.Context, an *Announcement) error {
	// A language whose clips the pack lacks is left out; the others are
	// still said.
	var phrases [][]string
	var errs []error
	for _, c := range an.Calls {
		if _, err := a.pack.Render(c.Clips); err != nil {
			errs = append(errs, err)
			continue
		}
		phrases = append(phrases, c.Clips)
	}
	if len(phrases) == 0 {
		return fmt.Errorf("audio: ticket %s to %s: %w", an.Ticket, an.Counter, errors.Join(errs...))
	}
	if len(errs) > 0 {
		a.opts.Logger.Error("audio: a language left out of the call", "ticket", an.Ticket, "counter", an.Counter, "err", errors.Join(errs...))
	}
	clip, err := a.pack.Render(phrases...)
	if err != nil {
		return fmt.Errorf("audio: ticket %s to %s: %w", an.Ticket, an.Counter, err)
	}
	an.Audio = clip
	return a.playLimited(ctx, an)
}

// playAgain is how long after a player failed the announcement is played
// once more.
const playAgain = time.Second

// playLimited plays an through the player (playOnce), and once more a
// second later when the player failed at once: a sound device busy a
// moment (another program playing on it), a sound server restarting.
// Not after a player cut for hanging: that took its time already.
func (a *Announcer) playLimited(ctx context.Context, an *Announcement) error {
	err := a.playOnce(ctx, an)
	if err == nil || ctx.Err() != nil || errors.Is(err, ErrPlayerHung) {
		return err
	}
	a.opts.Logger.Warn("audio: the player failed: trying once more in a second", append(logged(an), "player", a.playerName(), "err", err)...)
	select {
	case <-ctx.Done():
		return err
	case <-a.opts.Clock.After(playAgain):
	}
	return a.playOnce(ctx, an)
}

// playOnce plays an through the player, cut PlayMargin after the length
// of its audio (timed on the announcer's Clock): a player that hangs costs one call, not
// the hall's voice.
func (a *Announcer) playOnce(ctx context.Context, an *Announcement) error {
	limit := an.Audio.Duration() + a.opts.PlayMargin
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hung := fmt.Errorf("%w: %s was cut after %s, for %s of audio", ErrPlayerHung, a.playerName(), limit, an.Audio.Duration())
	done := make(chan struct{})
	defer close(done)
	timeout := a.opts.Clock.After(limit)
	go func() {
		select {
		case <-timeout:
			cancel(hung)
		case <-done:
		}
	}()
	err := a.player.Play(ctx, an)
	if err != nil && errors.Is(context.Cause(ctx), ErrPlayerHung) {
		return fmt.Errorf("%w: %w", hung, err)
	}
	return err
}

// playerName is the player as the log names it: its command for a
// CommandPlayer.
func (a *Announcer) playerName() string {
	if s, ok := a.player.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", a.player)
}
