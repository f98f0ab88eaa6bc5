package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/audio/voice"
	"github.com/cherga/cherga/internal/broker"
	"github.com/cherga/cherga/internal/testkit"
	"github.com/cherga/cherga/sim"
)

// packClip reads one clip of the committed pack straight from its file, not
// through audio.Pack, so the test checks the announcer against the files.
func packClip(t *testing.T, id string) audio.Clip {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "audio", "voice", "pack", filepath.FromSlash(id)+".wav"))
	require.NoError(t, err)
	defer f.Close()
	c, err := audio.ReadWAV(f)
	require.NoError(t, err)
	return c
}

// counterWords are the clips a phrase pauses before (audio.CounterPause).
var counterWords = map[string]bool{"uk/word/vikno": true, "uk/word/kabinet": true, "en/word/window": true, "en/word/room": true}

// expected is the announcement of phrases as the layout of Pack.Render
// says: chime, pause, phrase, pause, phrase; a phrase pauses after the
// letters of the ticket's number, and at its comma, before the counter word.
func expected(t *testing.T, phrases ...audio.Phrase) []byte {
	t.Helper()
	f := packClip(t, "uk/word/talon").Format
	data := append([]byte(nil), audio.Chime(f).Data...)
	data = append(data, audio.Silence(f, audio.ChimePause).Data...)
	for i, p := range phrases {
		if i > 0 {
			data = append(data, audio.Silence(f, audio.LangPause).Data...)
		}
		for j, id := range p.Clips {
			if counterWords[id] && j > 0 {
				data = append(data, audio.Silence(f, audio.CounterPause).Data...)
			}
			if j > 0 && strings.Contains(p.Clips[j-1], "/letter/") && !strings.Contains(id, "/letter/") {
				data = append(data, audio.Silence(f, audio.LetterPause).Data...)
			}
			data = append(data, packClip(t, id).Data...)
		}
	}
	return data
}

func announce(t *testing.T, id, ticket, counter, lang string, recall bool, at time.Time) ([]byte, audio.Phrase) {
	t.Helper()
	p, err := audio.Announce(lang, ticket, counter, audio.Window)
	require.NoError(t, err)
	b, err := json.Marshal(audio.Call{ID: id, Ticket: ticket, Counter: counter, Lang: lang, Text: p.Text, Clips: p.Clips, Recall: recall, At: at})
	require.NoError(t, err)
	return b, p
}

// startWriting starts an announcer on args (its -out among them), and
// gives what it played, an error or nil, as it plays each call.
func startWriting(t *testing.T, args ...string) <-chan error {
	t.Helper()
	o, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	played := make(chan error, 8)
	player, err := newPlayer(o)
	require.NoError(t, err)
	a, err := start(o, player, slog.New(slog.NewTextHandler(io.Discard, nil)), func(_ *audio.Announcement, err error) { played <- err })
	require.NoError(t, err)
	t.Cleanup(a.Close)
	return played
}

// requirePlayed waits for an announcement played without an error.
func requirePlayed(t *testing.T, played <-chan error) {
	t.Helper()
	select {
	case err := <-played:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("no announcement within 20 s")
	}
}

// TestAnnouncerEndToEnd publishes announce messages through a real broker,
// as the controller does, and checks the WAV files the announcer writes:
// one per call, both languages Ukrainian first, the clips in order.
func TestAnnouncerEndToEnd(t *testing.T) {
	b := startBroker(t)
	out := t.TempDir()
	played := startWriting(t, "-broker", b.URL(), "-site", "e2e", "-out", out, "-gather", "10s", "-id", "announcer-"+t.Name())

	pub, err := sim.Listen(b.URL(), "qms/e2e/nothing")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	topic := "qms/e2e/announce"
	now := time.Now()

	// Garbage and a call from ten minutes ago come first: both ignored.
	require.NoError(t, pub.Publish(topic, []byte(`{"id":`), false))
	old, _ := announce(t, "1", "А001", "1", "uk", false, now.Add(-10*time.Minute))
	require.NoError(t, pub.Publish(topic, old, false))

	// Call 17 in English first, then Ukrainian; call 18; call 17 again (a
	// redelivery).
	en17, pen17 := announce(t, "17", "А023", "5", "en", false, now)
	uk17, puk17 := announce(t, "17", "А023", "5", "uk", false, now)
	uk18, puk18 := announce(t, "18", "Б7", "12", "uk", false, now)
	en18, pen18 := announce(t, "18", "Б7", "12", "en", false, now)
	for _, m := range [][]byte{en17, uk17, uk18, en18, uk17} {
		require.NoError(t, pub.Publish(topic, m, false))
	}
	for range 2 {
		requirePlayed(t, played)
	}

	files, err := filepath.Glob(filepath.Join(out, "*.wav"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(out, "0001-17.wav"), filepath.Join(out, "0002-18.wav")}, files)
	for i, want := range [][]byte{expected(t, puk17, pen17), expected(t, puk18, pen18)} {
		f, err := os.Open(files[i])
		require.NoError(t, err)
		c, err := audio.ReadWAV(f)
		f.Close()
		require.NoError(t, err)
		require.Equal(t, audio.Format{Rate: 16000, Channels: 1, Bits: 16}, c.Format)
		require.Equal(t, len(want), len(c.Data), files[i])
		require.True(t, string(want) == string(c.Data), "%s: the samples differ from chime + clips", files[i])
	}
	select {
	case err := <-played:
		t.Fatalf("a third announcement: %v", err)
	default:
	}
}

// An announcer given -counters says the calls to those counters alone: the
// loudspeaker of one hall of an office of several. Its presence says which.
func TestAnnouncerCountersOfOneHall(t *testing.T) {
	b := startBroker(t)
	out := t.TempDir()
	played := startWriting(t, "-broker", b.URL(), "-site", "e2e", "-out", out, "-gather", "10s", "-id", "hall-1", "-counters", "1-9")

	pub, err := sim.Listen(b.URL(), "qms/e2e/announcer/hall-1")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := pub.Wait(ctx, "qms/e2e/announcer/hall-1", func(sim.Message) bool { return true })
	require.NoError(t, err)
	p, err := audio.ParsePresence(m.Payload)
	require.NoError(t, err)
	require.Equal(t, "1-9", p.Counters)

	// Counter 12's call comes first: were it said, it would be the first file.
	now := time.Now()
	for _, c := range []struct{ id, ticket, counter string }{{"18", "П7", "12"}, {"17", "А023", "5"}} {
		for _, lang := range []string{"uk", "en"} {
			m, _ := announce(t, c.id, c.ticket, c.counter, lang, false, now)
			require.NoError(t, pub.Publish("qms/e2e/announce", m, false))
		}
	}
	requirePlayed(t, played)
	files, err := filepath.Glob(filepath.Join(out, "*.wav"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(out, "0001-17.wav")}, files, "counter 5's call alone")
}

func TestFlags(t *testing.T) {
	t.Setenv("CHERGA_SITE", "")
	t.Setenv("CHERGA_BROKER", "")
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, []string{"uk", "en"}, o.langs)
	require.Equal(t, time.Minute, o.maxAge)
	host, _ := os.Hostname()
	require.Equal(t, "cherga-announcer-demo-"+host, o.clientID)
	// Two offices' Pis, both raspberrypi, on one central broker.
	o, err = parseFlags([]string{"-site", "kyiv-3"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "cherga-announcer-kyiv-3-"+host, o.clientID)
	o, err = parseFlags([]string{"-site", "kyiv-3", "-id", "hall-2"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "hall-2", o.clientID)
	_, err = parseFlags([]string{"-lang", " , "}, io.Discard)
	require.EqualError(t, err, "-lang: no language")
	_, err = parseFlags([]string{"-max-age", "0s"}, io.Discard)
	require.Error(t, err)
	_, err = parseFlags([]string{"-drain", "0s"}, io.Discard)
	require.EqualError(t, err, "-max-age, -gather and -drain must be positive")
	_, err = parseFlags([]string{"extra"}, io.Discard)
	require.Error(t, err)

	// -counters: numbers and ranges.
	o, err = parseFlags([]string{"-counters", "1-9, 12"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "1-9,12", o.counters)
	for c, want := range map[string]bool{"1": true, "9": true, "10": false, "12": true, "13": false, "x": false, "": false} {
		require.Equal(t, want, o.hears(c), c)
	}
	o, err = parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Nil(t, o.hears, "every counter")
	for _, bad := range []string{"0", "9-1", "a", "1-", "10000", "1,,2"} {
		_, err = parseFlags([]string{"-counters", bad}, io.Discard)
		require.ErrorContains(t, err, "is no counter number (1..9999) nor a range of them (10-19)", bad)
	}

	// A language the voice does not speak is refused with the flags.
	_, err = parseFlags([]string{"-lang", "uk,de", "-broker", "tcp://127.0.0.1:1"}, io.Discard)
	require.EqualError(t, err, `-lang: the voice does not speak "de" (it speaks uk, en)`)

	// A recorded pack in Ukrainian alone, and the default -lang uk,en.
	dir := t.TempDir()
	uk, err := voice.Load("uk")
	require.NoError(t, err)
	m := uk.Manifest()
	m.Langs = []string{"uk"}
	for id, file := range m.Clips {
		if strings.HasPrefix(id, "en/") {
			delete(m.Clips, id)
			continue
		}
		c, _ := uk.Clip(id)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(file)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, file), c.WAV(), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, audio.ManifestFile), m.JSON(), 0o644))
	o, err = parseFlags([]string{"-pack", dir, "-broker", "tcp://127.0.0.1:1"}, io.Discard)
	require.NoError(t, err)
	_, err = start(o, &audio.DirPlayer{Dir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	require.ErrorIs(t, err, audio.ErrPack)
	require.EqualError(t, err, `pack: audio: bad clip pack: the pack does not speak "en" (it has uk); give -lang uk to say the languages it has`)

	// A player that is not installed is said at start, not at the first call.
	o, err = parseFlags([]string{"-player", "no-such-player-here -q", "-broker", "tcp://127.0.0.1:1"}, io.Discard)
	require.NoError(t, err)
	_, err = newPlayer(o)
	require.ErrorContains(t, err, `-player: exec: "no-such-player-here"`)

	// A site no office can have is refused, not listened on for good.
	for _, site := range []string{"a/b", "a+", "", "київ"} {
		_, err = parseFlags([]string{"-site", site, "-broker", "tcp://127.0.0.1:1"}, io.Discard)
		require.ErrorContains(t, err, "-site", site)
	}

	// -device is aplay's -D: one flag, where CHERGA_ANNOUNCER_ARGS takes
	// no quotes for a -player with arguments.
	bin := t.TempDir()
	for _, name := range []string{"aplay", "paplay"} {
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), 0o755))
	}
	t.Setenv("PATH", bin)
	o, err = parseFlags([]string{"-device", "plughw:1,0", "-broker", "tcp://127.0.0.1:1"}, io.Discard)
	require.NoError(t, err)
	p, err := newPlayer(o)
	require.NoError(t, err)
	require.Equal(t, []string{"aplay", "-D", "plughw:1,0"}, p.(*audio.CommandPlayer).Command)
	o, err = parseFlags([]string{"-device", "plughw:1,0", "-player", "paplay", "-broker", "tcp://127.0.0.1:1"}, io.Discard)
	require.NoError(t, err)
	_, err = newPlayer(o)
	require.EqualError(t, err, "-device is aplay's (-D): give paplay its device in -player")
}

func startBroker(t *testing.T) *broker.Broker {
	t.Helper()
	b, err := broker.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// gatePlayer holds each call until the test releases it, as a speaker
// takes seconds to say one.
type gatePlayer struct {
	started chan string // tickets
	release chan struct{}
}

func (p *gatePlayer) Play(ctx context.Context, a *audio.Announcement) error {
	p.started <- a.Ticket
	select {
	case <-p.release:
		return nil
	case <-ctx.Done():
		return ctx.Err() // cut, as aplay killed
	}
}

// lines sends each log line to a channel, or drops it when the channel
// is full.
type lines chan string

func (l lines) Write(b []byte) (int, error) {
	select {
	case l <- string(b):
	default:
	}
	return len(b), nil
}

// startGated runs the announcer with a gatePlayer, publishes calls А001,
// А002 and А003 to counters 1, 2 and 3, and returns once А001 is being
// said and the other two wait in the announcer's queue.
func startGated(t *testing.T, extra ...string) (*announcer, *gatePlayer, chan error) {
	t.Helper()
	b := startBroker(t)
	site := strings.NewReplacer("/", "-").Replace(strings.ToLower(t.Name()))
	site = site[max(0, len(site)-32):] // a site is at most 32 characters
	o, err := parseFlags(append([]string{"-broker", b.URL(), "-site", site, "-lang", "uk", "-id", "announcer-" + t.Name()}, extra...), io.Discard)
	require.NoError(t, err)
	player := &gatePlayer{started: make(chan string, 8), release: make(chan struct{})}
	logs := make(lines, 64)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	played := make(chan error, 8)
	a, err := start(o, player, log, func(_ *audio.Announcement, err error) { played <- err })
	require.NoError(t, err)

	pub, err := sim.Listen(b.URL(), "qms/"+site+"/nothing")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	for i, ticket := range []string{"А001", "А002", "А003"} {
		m, _ := announce(t, fmt.Sprint(i+1), ticket, fmt.Sprint(i+1), "uk", false, time.Now())
		require.NoError(t, pub.Publish("qms/"+site+"/announce", m, false))
	}
	require.Equal(t, "А001", testkit.Receive(t, player.started))
	for queued := 0; queued < 3; {
		if strings.Contains(testkit.Receive(t, (<-chan string)(logs)), "outcome=queued") {
			queued++
		}
	}
	return a, player, played
}

// A clean stop (SIGINT, SIGTERM) says the call being said to its end, and
// then the calls already queued: the broker has them as delivered, so
// nothing else would say them.
func TestAnnouncerStopSaysTheQueue(t *testing.T) {
	a, player, played := startGated(t)
	stopped := make(chan struct{})
	go func() {
		a.Close()
		close(stopped)
	}()
	release := func() {
		select {
		case player.release <- struct{}{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the call was cut")
		}
	}
	release()
	require.Equal(t, "А002", testkit.Receive(t, player.started))
	release()
	require.Equal(t, "А003", testkit.Receive(t, player.started))
	release()
	testkit.Receive(t, stopped)
	for range 3 {
		require.NoError(t, testkit.Receive(t, played))
	}
}

// A second signal, or the end of -drain, cuts the call being said; it and
// the calls left are reported, not lost silently.
func TestAnnouncerStopCut(t *testing.T) {
	for _, tt := range []struct {
		name  string
		drain string
		ctx   func() context.Context
	}{
		{"second signal", "30s", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
		{"drain ends", "1ns", context.Background},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, _, played := startGated(t, "-drain", tt.drain)
			a.Stop(tt.ctx())
			var errs []string
			for range 3 {
				err := testkit.Receive(t, played)
				require.ErrorIs(t, err, audio.ErrStopped)
				errs = append(errs, err.Error())
			}
			require.Equal(t, []string{
				"audio: announcer stopped mid-call: ticket А001 to 1: context canceled",
				"audio: announcer stopped: ticket А002 to 2",
				"audio: announcer stopped: ticket А003 to 3",
			}, errs)
		})
	}
}

// While the retained load says the office is paused (an air-raid alert),
// no call is said; after the all-clear they are again.
func TestAnnouncerQuietWhileOfficePaused(t *testing.T) {
	b := startBroker(t)
	out := t.TempDir()
	pub, err := sim.Listen(b.URL(), "qms/e2e/nothing")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	require.NoError(t, pub.Publish("qms/e2e/load", []byte(`{"waiting":3,"paused":true,"reason":"повітряна тривога"}`), true))

	o, err := parseFlags([]string{"-broker", b.URL(), "-site", "e2e", "-out", out, "-lang", "uk", "-id", "announcer-" + t.Name()}, io.Discard)
	require.NoError(t, err)
	player, err := newPlayer(o)
	require.NoError(t, err)
	played := make(chan string, 8)
	a, err := start(o, player, slog.New(slog.DiscardHandler), func(an *audio.Announcement, _ error) { played <- an.Ticket })
	require.NoError(t, err)
	t.Cleanup(a.Close)

	// A probe of a language without a pack is never said: Paused while the
	// announcer keeps quiet, Skipped once it takes calls again.
	probe := func() audio.Outcome {
		return a.ann.Offer(audio.Call{ID: "probe", Ticket: "Б1", Counter: "9", Lang: "xx"})
	}
	require.Eventually(t, func() bool { return probe() == audio.Paused }, 5*time.Second, 10*time.Millisecond, "paused")
	early, _ := announce(t, "7", "А007", "1", "uk", false, time.Now())
	require.NoError(t, pub.Publish("qms/e2e/announce", early, false))
	require.NoError(t, pub.Publish("qms/e2e/load", []byte(`{"waiting":3,"paused":false}`), true))
	late, _ := announce(t, "8", "А008", "1", "uk", false, time.Now())
	require.Eventually(t, func() bool { return probe() == audio.Skipped }, 5*time.Second, 10*time.Millisecond, "resumed")
	require.NoError(t, pub.Publish("qms/e2e/announce", late, false))
	require.Equal(t, "А008", testkit.Receive(t, played))
	files, err := filepath.Glob(filepath.Join(out, "*.wav"))
	require.NoError(t, err)
	require.Len(t, files, 1, "А007 was not said")
}

// An announcer started during an air-raid alert says it once, from the
// retained load, in the office's languages; the load delivered again
// says nothing more; the all-clear is said once, then calls again. The
// log has what was said, for a box whose speakers nobody checks.
func TestAnnouncerSaysAlert(t *testing.T) {
	b := startBroker(t)
	out := t.TempDir()
	pub, err := sim.Listen(b.URL(), "qms/e2e/nothing")
	require.NoError(t, err)
	t.Cleanup(pub.Close)
	alert := []byte(`{"waiting":3,"paused":true,"alert":true,"languages":["uk","en"]}`)
	require.NoError(t, pub.Publish("qms/e2e/load", alert, true))

	o, err := parseFlags([]string{"-broker", b.URL(), "-site", "e2e", "-out", out, "-id", "announcer-" + t.Name()}, io.Discard)
	require.NoError(t, err)
	player, err := newPlayer(o)
	require.NoError(t, err)
	played := make(chan *audio.Announcement, 8)
	logs := make(lines, 64)
	a, err := start(o, player, slog.New(slog.NewTextHandler(logs, nil)), func(an *audio.Announcement, err error) {
		if err != nil {
			t.Errorf("%v: %v", an.IDs, err) // not FailNow: this is the announcer's goroutine
		}
		played <- an
	})
	require.NoError(t, err)
	t.Cleanup(a.Close)

	notice := func(n audio.Notice, langs ...string) []byte {
		t.Helper()
		var phrases []audio.Phrase
		for _, l := range langs {
			p, err := audio.AnnounceNotice(l, n)
			require.NoError(t, err)
			phrases = append(phrases, p)
		}
		return expected(t, phrases...)
	}
	require.Equal(t, audio.AlertNotice, testkit.Receive(t, played).Notice)
	for {
		if l := testkit.Receive(t, (<-chan string)(logs)); strings.Contains(l, "notice said") {
			require.Contains(t, l, `text="Увага! Повітряна тривога. Пройдіть до найближчого укриття. / Attention! Air-raid alert. Please proceed to the nearest shelter."`)
			break
		}
	}
	require.NoError(t, pub.Publish("qms/e2e/load", alert, true)) // the figures change, the alert goes on
	require.NoError(t, pub.Publish("qms/e2e/load", []byte(`{"waiting":2,"open_counters":2,"paused":false,"languages":["uk"]}`), true))
	require.Equal(t, audio.AllClearNotice, testkit.Receive(t, played).Notice)
	call, _ := announce(t, "8", "А008", "1", "uk", false, time.Now())
	require.NoError(t, pub.Publish("qms/e2e/announce", call, false))
	require.Equal(t, "А008", testkit.Receive(t, played).Ticket)

	files, err := filepath.Glob(filepath.Join(out, "*.wav"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(out, "0001-alert.wav"), filepath.Join(out, "0002-all_clear.wav"), filepath.Join(out, "0003-8.wav")}, files, "each said once")
	for i, want := range [][]byte{notice(audio.AlertNotice, "uk", "en"), notice(audio.AllClearNotice, "uk")} {
		f, err := os.Open(files[i])
		require.NoError(t, err)
		c, err := audio.ReadWAV(f)
		f.Close()
		require.NoError(t, err)
		require.Equal(t, len(want), len(c.Data), files[i])
		require.True(t, string(want) == string(c.Data), "%s: the samples differ from chime + clips", files[i])
	}
}

// The committed systemd unit runs the announcer with flags it has, more
// from $CHERGA_ANNOUNCER_ARGS (unbraced: split at spaces, none when
// unset), and stops the announcer alone, so that it finishes the call
// being said (aplay runs in a group of its own for Ctrl-C).
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("../../firmware-config/systemd/cherga-announcer.service")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/cherga-announcer (.*)$`).FindSubmatch(unit)
	require.NotNil(t, m, "no ExecStart of /usr/local/bin/cherga-announcer")
	args := strings.Fields(string(m[1]))
	require.Equal(t, "$CHERGA_ANNOUNCER_ARGS", args[len(args)-1])
	env := strings.NewReplacer("${CHERGA_BROKER}", "tcp://127.0.0.1:1883", "${CHERGA_SITE}", "demo")
	for _, extra := range []string{"", "-pack /usr/local/share/cherga/voice -lang uk"} {
		var argv []string
		for _, a := range args[:len(args)-1] {
			argv = append(argv, env.Replace(a))
		}
		_, err := parseFlags(append(argv, strings.Fields(extra)...), io.Discard)
		require.NoError(t, err, "ExecStart with CHERGA_ANNOUNCER_ARGS=%s", extra)
	}
	require.Contains(t, string(unit), "\nKillMode=mixed\n")
	require.Contains(t, string(unit), "\nEnvironmentFile=-/etc/cherga/announcer.env\n")
}

// The site and the broker come from $CHERGA_SITE and $CHERGA_BROKER, as
// /etc/default/cherga sets them, when no flag gives them; a flag wins.
func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("CHERGA_SITE", "kyiv-3")
	t.Setenv("CHERGA_BROKER", "tcp://10.0.0.5:1883")
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "kyiv-3", o.site)
	require.Equal(t, "tcp://10.0.0.5:1883", o.broker)
	host, _ := os.Hostname()
	require.Equal(t, "cherga-announcer-kyiv-3-"+host, o.clientID)
	o, err = parseFlags([]string{"-site", "lviv-1", "-broker", "tcp://127.0.0.1:1884"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "lviv-1", o.site)
	require.Equal(t, "tcp://127.0.0.1:1884", o.broker)
}
