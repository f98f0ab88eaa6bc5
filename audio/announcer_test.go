package audio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/device/devicetest"
	"github.com/cherga/cherga/internal/testkit"
)

// gatePlayer records what it plays; each Play waits for release when gate
// is set, so a test holds the announcer mid-call.
type gatePlayer struct {
	started chan *Announcement
	release chan struct{}
	playing atomic.Int32
	overlap atomic.Bool
}

func newGatePlayer() *gatePlayer {
	return &gatePlayer{started: make(chan *Announcement, 16), release: make(chan struct{})}
}

func (p *gatePlayer) Play(ctx context.Context, a *Announcement) error {
	if p.playing.Add(1) > 1 {
		p.overlap.Store(true)
	}
	defer p.playing.Add(-1)
	p.started <- a
	select {
	case <-p.release:
		return nil
	case <-ctx.Done():
		return ctx.Err() // cut, as aplay killed
	}
}

type result struct {
	a   *Announcement
	err error
}

// newAnnouncer returns an announcer over an in-memory uk+en pack with a
// manual clock, not yet running, and the channel of Played.
func newAnnouncer(t *testing.T, player Player, clock *devicetest.Clock, opts AnnouncerOpts) (*Announcer, *Pack, chan result) {
	t.Helper()
	pack, err := LoadPack(testPack(t, mono16k, "uk", "en"))
	require.NoError(t, err)
	played := make(chan result, 16)
	opts.Clock = clock
	opts.Played = func(a *Announcement, err error) { played <- result{a, err} }
	a, err := NewAnnouncer(pack, player, &opts)
	require.NoError(t, err)
	return a, pack, played
}

// startAnnouncer is newAnnouncer running until the test ends.
func startAnnouncer(t *testing.T, player Player, clock *devicetest.Clock, opts AnnouncerOpts) (*Announcer, *Pack, chan result) {
	t.Helper()
	a, pack, played := newAnnouncer(t, player, clock, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	})
	return a, pack, played
}

func phraseCall(t *testing.T, id, ticket, counter, lang string, at time.Time) Call {
	t.Helper()
	p, err := Announce(lang, ticket, counter, Window)
	require.NoError(t, err)
	return Call{ID: id, Ticket: ticket, Counter: counter, Lang: lang, Text: p.Text, Clips: p.Clips, At: at}
}

func TestAnnouncerGathersLanguages(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	close(player.release)
	a, pack, played := startAnnouncer(t, player, clock, AnnouncerOpts{})

	// English first; the announcer waits for the Ukrainian and plays it first.
	en := phraseCall(t, "17", "А023", "5", "en", t0)
	uk := phraseCall(t, "17", "А023", "5", "uk", t0)
	require.Equal(t, Queued, a.Offer(en))
	require.NoError(t, clock.WaitTimers(1, 10*time.Second), "the announcer waits for the other language")
	require.Equal(t, Merged, a.Offer(uk))
	r := testkit.Receive(t, played)
	require.NoError(t, r.err)
	require.Equal(t, []string{"17"}, r.a.IDs)
	require.Equal(t, []Call{uk, en}, r.a.Calls)
	want, err := pack.Render(uk.Clips, en.Clips)
	require.NoError(t, err)
	require.Equal(t, want, r.a.Audio)

	// Redelivered: dropped.
	require.Equal(t, Duplicate, a.Offer(uk))

	// Only Ukrainian comes: after Gather it plays alone.
	timers := clock.Timers()
	require.Equal(t, Queued, a.Offer(phraseCall(t, "18", "А024", "6", "uk", t0)))
	require.NoError(t, clock.WaitTimers(timers+1, 10*time.Second))
	clock.Advance(DefaultAnnouncerOpts.Gather)
	r = testkit.Receive(t, played)
	require.Len(t, r.a.Calls, 1)
	require.Equal(t, "uk", r.a.Calls[0].Lang)
	require.False(t, player.overlap.Load())
}

// A recall pressed while its call is still being said (a call of 7 s
// and more outlasts the counter's 5 s guard) is not said right after it:
// the hall has just heard the call. The next call is.
func TestAnnouncerRecallWhileSaid(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{})
	for _, l := range []string{"uk", "en"} {
		require.Equal(t, map[string]Outcome{"uk": Queued, "en": Merged}[l], a.Offer(phraseCall(t, "17", "А023", "5", l, t0)))
	}
	testkit.Receive(t, player.started)
	clock.Advance(6 * time.Second)
	for _, l := range []string{"uk", "en"} {
		re := phraseCall(t, "18", "А023", "5", l, clock.Now())
		re.Recall = true
		require.Equal(t, Merged, a.Offer(re), l)
	}
	a.Offer(phraseCall(t, "19", "Б004", "6", "uk", clock.Now()))
	a.Offer(phraseCall(t, "19", "Б004", "6", "en", clock.Now()))
	player.release <- struct{}{}
	require.Equal(t, "А023", testkit.Receive(t, played).a.Ticket)
	next := testkit.Receive(t, player.started)
	require.Equal(t, "Б004", next.Ticket, "not the recall of А023")
	player.release <- struct{}{}
	testkit.Receive(t, played)
}

func TestAnnouncerNeverOverlaps(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	// А001 plays while the clock moves 70 s: no limit cuts it.
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}, PlayMargin: time.Hour})

	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	first := testkit.Receive(t, player.started)
	require.Equal(t, "А001", first.Ticket)

	// While А001 plays: А002 comes, then А003 and a recall of А003, which
	// merges; then the clock moves past MaxAge for А002, which is still
	// said: it was fresh when it came.
	require.Equal(t, Queued, a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0)))
	require.Equal(t, Queued, a.Offer(phraseCall(t, "3", "А003", "3", "uk", t0)))
	clock.Advance(50 * time.Second)
	re := phraseCall(t, "4", "А003", "3", "uk", clock.Now())
	re.Recall = true
	require.Equal(t, Merged, a.Offer(re))
	clock.Advance(20 * time.Second)

	player.release <- struct{}{}
	r := testkit.Receive(t, played)
	require.NoError(t, r.err)
	require.Equal(t, "А001", r.a.Ticket)

	second := testkit.Receive(t, player.started)
	require.Equal(t, "А002", second.Ticket)
	player.release <- struct{}{}
	testkit.Receive(t, played)

	third := testkit.Receive(t, player.started)
	require.Equal(t, "А003", third.Ticket)
	require.Equal(t, []string{"3", "4"}, third.IDs)
	require.True(t, third.Recall)
	player.release <- struct{}{}
	testkit.Receive(t, played)
	require.False(t, player.overlap.Load(), "two calls played at once")
}

func TestNewAnnouncerLangs(t *testing.T) {
	pack, err := LoadPack(testPack(t, mono16k, "en"))
	require.NoError(t, err)
	_, err = NewAnnouncer(pack, &DirPlayer{Dir: t.TempDir()}, nil)
	require.ErrorIs(t, err, ErrPack)
	require.EqualError(t, err, `audio: bad clip pack: the pack does not speak "uk"`)
	_, err = NewAnnouncer(pack, &DirPlayer{Dir: t.TempDir()}, &AnnouncerOpts{Langs: []string{"en"}})
	require.NoError(t, err)
}

// A language whose clips the pack lacks is left out; the others are said.
func TestAnnouncerLeavesOutABadLanguage(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk", "en"}})
	uk := phraseCall(t, "1", "А001", "1", "uk", t0)
	uk.Clips = append(uk.Clips, "uk/letter/w") // no such letter
	a.Offer(uk)
	a.Offer(phraseCall(t, "1", "А001", "1", "en", t0))
	got := testkit.Receive(t, player.started)
	require.Equal(t, "А001", got.Ticket)
	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)
}

// A pack recorded before the recall's first words and the English "and"
// existed still loads, and says a recall and a number without them.
func TestPackWithoutOptionalClips(t *testing.T) {
	fsys := testPack(t, mono16k, "uk", "en")
	m := fsys["manifest.json"]
	var man Manifest
	require.NoError(t, json.Unmarshal(m.Data, &man))
	for id := range optionalClips {
		delete(man.Clips, id)
	}
	m.Data = man.JSON()
	pack, err := LoadPack(fsys)
	require.NoError(t, err)
	for _, lang := range []string{"uk", "en"} {
		p, err := AnnounceRecall(lang, "А101", "1", Window)
		require.NoError(t, err)
		_, err = pack.Render(p.Clips)
		require.NoError(t, err)
	}
}

// A clean stop says the call being said to its end, then the calls still
// queued (one missing a language at once, one too old by then dropped),
// and then Run returns; a call offered after that is refused.
func TestAnnouncerDrain(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	// А001 plays while the clock moves 20 s: no limit cuts it.
	a, _, played := newAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk", "en"}, PlayMargin: time.Hour})
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()

	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	a.Offer(phraseCall(t, "1", "А001", "1", "en", t0))
	require.Equal(t, "А001", testkit.Receive(t, player.started).Ticket)
	a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0)) // its English never comes
	a.Offer(phraseCall(t, "3", "А003", "3", "uk", t0))
	a.Offer(phraseCall(t, "3", "А003", "3", "en", t0))
	a.Offer(phraseCall(t, "4", "А004", "4", "uk", t0.Add(-50*time.Second)))
	a.Offer(phraseCall(t, "4", "А004", "4", "en", t0.Add(-50*time.Second)))
	a.Drain()
	clock.Advance(20 * time.Second) // А004 is 70 s old when its turn comes: still said

	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)
	got := testkit.Receive(t, player.started)
	require.Equal(t, "А002", got.Ticket)
	require.Len(t, got.Calls, 1, "said without waiting for its English")
	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)
	require.Equal(t, "А003", testkit.Receive(t, player.started).Ticket)
	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)
	require.Equal(t, "А004", testkit.Receive(t, player.started).Ticket)
	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)

	require.NoError(t, testkit.Receive(t, done))
	require.Equal(t, Stopped, a.Offer(phraseCall(t, "5", "А005", "5", "uk", clock.Now())))
	require.False(t, player.overlap.Load())
}

// Drain on an idle announcer: Run returns at once.
func TestAnnouncerDrainIdle(t *testing.T) {
	a, _, _ := newAnnouncer(t, newGatePlayer(), devicetest.NewClock(t0), AnnouncerOpts{})
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	a.Drain()
	require.NoError(t, testkit.Receive(t, done))
}

// A hard stop (Run's context ends) cuts the call being said; it and every
// call still queued are logged by ticket and counter and passed to Played
// with ErrStopped: none is lost silently.
func TestAnnouncerStopReportsEveryCall(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	var logs bytes.Buffer
	a, _, played := newAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	require.Equal(t, "А001", testkit.Receive(t, player.started).Ticket)
	a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0))
	a.Offer(phraseCall(t, "3", "Б003", "3", "uk", t0))
	cancel()
	require.ErrorIs(t, testkit.Receive(t, done), context.Canceled)

	require.Equal(t, []string{
		"audio: announcer stopped mid-call: ticket А001 to 1: context canceled",
		"audio: announcer stopped: ticket А002 to 2",
		"audio: announcer stopped: ticket Б003 to 3",
	}, notSaid(t, played, 3, ErrStopped))
	for _, want := range []string{"ticket=А001 counter=1", "ticket=А002 counter=2", "ticket=Б003 counter=3"} {
		require.Contains(t, logs.String(), want)
	}
	require.Equal(t, Stopped, a.Offer(phraseCall(t, "4", "А004", "4", "uk", t0)))
}

// notSaid receives n calls reported not said, each for why, and returns
// their errors' texts.
func notSaid(t *testing.T, played <-chan result, n int, why error) []string {
	t.Helper()
	var errs []string
	for range n {
		r := testkit.Receive(t, played)
		require.ErrorIs(t, r.err, why)
		errs = append(errs, r.err.Error())
	}
	return errs
}

// The office pauses (an air-raid alert): the call being said is cut, those
// queued are not said, and none is taken while it lasts; after it, calls
// are said again, and a redelivery of a dropped one is no new call.
func TestAnnouncerPause(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}})
	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	require.Equal(t, "А001", testkit.Receive(t, player.started).Ticket)
	a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0))

	a.Pause(true)
	require.ElementsMatch(t, []string{
		"audio: the office paused mid-call: ticket А001 to 1: context canceled",
		"audio: the office paused: ticket А002 to 2",
	}, notSaid(t, played, 2, ErrPaused))
	require.Equal(t, Paused, a.Offer(phraseCall(t, "3", "А003", "3", "uk", t0)))

	a.Pause(false)
	require.Equal(t, Duplicate, a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0)), "said before the alert, or not at all")
	require.Equal(t, Queued, a.Offer(phraseCall(t, "4", "А004", "4", "uk", t0)))
	require.Equal(t, "А004", testkit.Receive(t, player.started).Ticket)
	player.release <- struct{}{}
	require.NoError(t, testkit.Receive(t, played).err)
}

// An air-raid alert, as {root}/load tells it, is said once when it begins
// (after the call it cuts), in the announcer's languages the office speaks,
// Ukrainian first, before any call; told again (a retained message at a
// reconnection) it says nothing; its end with the office open is said once
// too. A pause that is no alert says nothing, nor does its end.
func TestAnnouncerOffice(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := newGatePlayer()
	a, pack, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk", "en"}})
	say := func(want Notice, langs ...string) {
		t.Helper()
		an := testkit.Receive(t, player.started)
		require.Equal(t, want, an.Notice)
		require.Equal(t, []string{want.String()}, an.IDs)
		require.Empty(t, an.Ticket)
		var got []string
		var phrases [][]string
		for _, c := range an.Calls {
			p, err := AnnounceNotice(c.Lang, want)
			require.NoError(t, err)
			require.Equal(t, p.Text, c.Text)
			got = append(got, c.Lang)
			phrases = append(phrases, p.Clips)
		}
		require.Equal(t, langs, got)
		clip, err := pack.Render(phrases...)
		require.NoError(t, err)
		require.Equal(t, clip, an.Audio, "the chime and the notice's clips")
		player.release <- struct{}{}
		r := testkit.Receive(t, played)
		require.NoError(t, r.err)
		require.Equal(t, an, r.a)
	}
	quiet := func() {
		t.Helper()
		select {
		case an := <-player.started:
			t.Fatalf("said %v %v", an.Notice, an.IDs)
		case <-time.After(50 * time.Millisecond):
		}
	}

	a.Office(office(false, false, "uk", "en"))
	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	a.Offer(phraseCall(t, "1", "А001", "1", "en", t0))
	require.Equal(t, "А001", testkit.Receive(t, player.started).Ticket)
	a.Office(office(true, true, "uk", "en"))
	require.ErrorIs(t, testkit.Receive(t, played).err, ErrPaused, "the call is cut")
	say(AlertNotice, "uk", "en")
	for range 3 {
		a.Office(office(true, true, "uk", "en")) // the retained load again
	}
	quiet()
	require.Equal(t, Paused, a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0)))
	a.Office(office(false, false, "uk", "en"))
	say(AllClearNotice, "uk", "en")
	a.Office(office(false, false, "uk", "en"))
	quiet()

	// A tea break and its end: silence. An office that speaks Ukrainian
	// only hears the alert in Ukrainian only.
	a.Office(office(true, false, "uk"))
	a.Office(office(false, false, "uk"))
	quiet()
	a.Office(office(true, true, "uk"))
	say(AlertNotice, "uk")
	// The alert turned into another pause: its end is said, not that the
	// office works; nor at the resume.
	a.Office(office(true, false, "uk"))
	say(AlertEndedNotice, "uk")
	a.Office(office(false, false, "uk"))
	quiet()
	// An alert that ends outside the hours: its end, not "service resumes".
	a.Office(office(true, true, "uk"))
	say(AlertNotice, "uk")
	a.Office(OfficeState{Langs: []string{"uk"}})
	say(AlertEndedNotice, "uk")
	// A load older than MaxAge (the backlog of a session, after a restart)
	// is taken, not said: neither an alert long begun, nor its end.
	old := t0.Add(-2 * time.Minute)
	a.Office(OfficeState{Paused: true, Alert: true, Open: true, At: old})
	quiet()
	require.Equal(t, Paused, a.Offer(phraseCall(t, "3", "А003", "2", "uk", t0)), "the alert holds all the same")
	a.Office(OfficeState{Open: true, At: old})
	quiet()
	require.False(t, player.overlap.Load())
}

// office is the state of an office with a counter open, in langs (none:
// the announcer's).
func office(paused, alert bool, langs ...string) OfficeState {
	return OfficeState{Paused: paused, Alert: alert, Open: true, Langs: langs}
}

// An announcer started during an alert says it once, at the first state
// it is told; one started in an office that works says nothing.
func TestAnnouncerOfficeAtStart(t *testing.T) {
	for _, alert := range []bool{true, false} {
		clock := devicetest.NewClock(t0)
		player := newGatePlayer()
		a, _, played := newAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk", "en"}})
		a.Office(office(alert, alert)) // before Run: the load comes with the subscription
		a.Office(office(alert, alert))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		if alert {
			an := testkit.Receive(t, player.started)
			require.Equal(t, AlertNotice, an.Notice)
			require.Len(t, an.Calls, 2, "every language the announcer speaks, with no languages from the office")
			player.release <- struct{}{}
			require.NoError(t, testkit.Receive(t, played).err)
		}
		select {
		case an := <-player.started:
			t.Fatalf("said %v", an.IDs)
		case <-time.After(50 * time.Millisecond):
		}
		cancel()
		require.ErrorIs(t, <-done, context.Canceled)
	}
}

// hungPlayer plays nothing and returns only when ctx ends: aplay on a
// sound server that stopped answering.
type hungPlayer struct{ started chan *Announcement }

func (p hungPlayer) Play(ctx context.Context, a *Announcement) error {
	p.started <- a
	<-ctx.Done()
	return ctx.Err()
}

func (hungPlayer) String() string { return "sleep 600" }

// A player that hangs costs one call: at the audio's length and 5 s it is
// cut, an error names the call and the player, and the next call is
// played. A call superseded meanwhile is reported at once, not when the
// player is cut.
func TestAnnouncerPlayerHangs(t *testing.T) {
	clock := devicetest.NewClock(t0)
	player := hungPlayer{started: make(chan *Announcement, 16)}
	var logs testkit.Log
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	timers := clock.Timers()
	a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0))
	first := testkit.Receive(t, player.started)
	require.Equal(t, "А001", first.Ticket)
	require.NoError(t, clock.WaitTimers(timers+1, testkit.Wait), "the call's limit is armed")

	// While А001 hangs: А002 to counter 2, then Б003 to counter 2, which
	// supersedes it: reported now.
	require.Equal(t, Queued, a.Offer(phraseCall(t, "2", "А002", "2", "uk", t0)))
	require.Equal(t, Queued, a.Offer(phraseCall(t, "3", "Б003", "2", "uk", t0)))
	r := testkit.Receive(t, played)
	require.ErrorIs(t, r.err, ErrSuperseded)
	require.Equal(t, "А002", r.a.Ticket)

	clock.Advance(first.Audio.Duration() + DefaultAnnouncerOpts.PlayMargin)
	r = testkit.Receive(t, played)
	require.Equal(t, "А001", r.a.Ticket)
	require.ErrorIs(t, r.err, ErrPlayerHung)
	require.NotErrorIs(t, r.err, ErrStopped)
	require.Contains(t, r.err.Error(), "sleep 600")
	require.Contains(t, logs.String(), `level=ERROR msg="audio: announce" ticket=А001 counter=1`)
	require.Contains(t, logs.String(), `player="sleep 600"`)

	require.Equal(t, "Б003", testkit.Receive(t, player.started).Ticket, "the next call is played")
}

// A recorded pack may leave out the clips of the air-raid notices: the
// announcer says so once, at its start, and says each notice without them.
func TestAnnouncerPackWithoutNotices(t *testing.T) {
	fsys := testPack(t, mono16k, "uk")
	edit(t, fsys, func(m *Manifest) {
		for id := range m.Clips {
			if strings.Contains(id, "/phrase/") {
				delete(m.Clips, id)
			}
		}
	})
	pack, err := LoadPack(fsys)
	require.NoError(t, err)
	log := &testkit.Log{}
	player := newGatePlayer()
	close(player.release)
	played := make(chan result, 4)
	a, err := NewAnnouncer(pack, player, &AnnouncerOpts{Langs: []string{"uk"}, Clock: devicetest.NewClock(t0), Logger: slog.New(slog.NewTextHandler(log, nil)),
		Played: func(an *Announcement, err error) { played <- result{an, err} }})
	require.NoError(t, err)
	require.Equal(t, 1, log.Count("lacks clips of the air-raid notices"), "%s", log)
	require.Contains(t, log.String(), "uk/phrase/air_raid_alert")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	for range 3 {
		a.Office(OfficeState{Paused: true, Alert: true, At: t0, Sent: t0})
		require.Equal(t, AlertNotice, testkit.Receive(t, played).a.Notice)
		a.Office(OfficeState{Open: true, At: t0, Sent: t0})
		require.Equal(t, AllClearNotice, testkit.Receive(t, played).a.Notice)
	}
	require.Equal(t, 6, log.Count("notice said"))
	require.Equal(t, 0, log.Count("level=ERROR"), "%s", log)
}

// failOncePlayer fails its first Play, as aplay on a device another program
// holds a moment, then plays.
type failOncePlayer struct {
	plays atomic.Int32
}

func (p *failOncePlayer) Play(context.Context, *Announcement) error {
	if p.plays.Add(1) == 1 {
		return errors.New("aplay: main:831: audio open error: Device or resource busy")
	}
	return nil
}

// A player that fails at once is tried once more a second later: the call
// is said, and the log says why it was late.
func TestAnnouncerPlaysAgainAfterFailure(t *testing.T) {
	clock := devicetest.NewClock(t0)
	log := &testkit.Log{}
	player := &failOncePlayer{}
	a, _, played := startAnnouncer(t, player, clock, AnnouncerOpts{Langs: []string{"uk"}, Logger: slog.New(slog.NewTextHandler(log, nil))})
	timers := clock.Timers()
	require.Equal(t, Queued, a.Offer(phraseCall(t, "1", "А001", "1", "uk", t0)))
	require.NoError(t, clock.WaitTimers(timers+2, 10*time.Second), "the play's limit, then the wait before playing again")
	clock.Advance(time.Second)
	r := testkit.Receive(t, played)
	require.NoError(t, r.err)
	require.Equal(t, "А001", r.a.Ticket)
	require.Equal(t, int32(2), player.plays.Load())
	require.Contains(t, log.String(), "trying once more in a second")
	require.Contains(t, log.String(), "Device or resource busy")
}
