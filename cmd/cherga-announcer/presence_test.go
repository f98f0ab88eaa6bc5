package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/sim"
)

// failingPlayer fails every call while fail is set, as aplay does with its
// sound card gone.
type failingPlayer struct{ fail atomic.Bool }

func (p *failingPlayer) Play(context.Context, *audio.Announcement) error {
	if p.fail.Load() {
		return errors.New("audio: aplay -q: exit status 1: aplay: main:831: audio open error: No such file or directory")
	}
	return nil
}

func (p *failingPlayer) String() string { return "aplay -q" }

// The announcer says on {root}/announcer/{id}, retained, that it runs, and
// why its player failed the last call until one is said again; a clean
// stop says it stopped: the office sees a hall whose voice went quiet
// (office.state's announcers). TestAnnouncerLastWill: one killed.
func TestAnnouncerPresence(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := startBroker(t)
	// A client id with a slash: the topic level has it as _.
	o, err := parseFlags([]string{"-broker", b.URL(), "-site", "pr", "-lang", "uk", "-id", "hall/1"}, io.Discard)
	require.NoError(t, err)
	l, err := sim.Listen(b.URL(), "qms/pr/announcer/+")
	require.NoError(t, err)
	t.Cleanup(l.Close)
	const topic = "qms/pr/announcer/hall_1"
	next := presences(ctx, t, l, topic)
	online := func(p audio.Presence) bool { return p.Online }

	player := &failingPlayer{}
	played := make(chan error, 8)
	a, err := start(o, player, slog.New(slog.DiscardHandler), func(_ *audio.Announcement, err error) { played <- err })
	require.NoError(t, err)
	t.Cleanup(a.Close)
	p := next(online)
	require.Equal(t, "hall/1", p.ID)
	require.Equal(t, []string{"uk"}, p.Langs)
	require.Equal(t, "aplay -q", p.Player)
	require.Empty(t, p.Error)
	require.False(t, p.Started.IsZero())

	// A call the player fails (tried twice) is published with why; the
	// next one said clears it.
	say := func(id string) error {
		t.Helper()
		m, _ := announce(t, id, "А00"+id, "1", "uk", false, time.Now())
		require.NoError(t, l.Publish("qms/pr/announce", m, false))
		return <-played
	}
	player.fail.Store(true)
	require.Error(t, say("1"))
	p = next(func(p audio.Presence) bool { return p.Error != "" })
	require.True(t, p.Online)
	require.Contains(t, p.Error, "audio open error")
	require.NotNil(t, p.ErrorAt)
	player.fail.Store(false)
	require.NoError(t, say("2"))
	p = next(func(p audio.Presence) bool { return p.Error == "" })
	require.True(t, p.Online)
	require.Nil(t, p.ErrorAt)

	// Its last will published after it reconnected (as mochi may, the
	// embedded broker, when the new connection takes the client id over
	// from one it has not seen die), or the retained message cleared: it
	// says it is online again.
	for _, late := range []string{`{"online":false,"id":"hall/1"}`, ``} {
		require.NoError(t, l.Publish(topic, []byte(late), true))
		p = next(func(p audio.Presence) bool { return p.Online })
		require.Equal(t, "hall/1", p.ID)
	}

	a.Close()
	p = next(func(p audio.Presence) bool { return !p.Online })
	require.True(t, p.Stopped, "a clean stop says so")
}

// presences returns next, which waits for the next presence on topic, after
// those next returned before, that match accepts. Messages that are not
// presences (a retained one cleared) are passed over.
func presences(ctx context.Context, t *testing.T, l *sim.Listener, topic string) (next func(match func(audio.Presence) bool) audio.Presence) {
	seen := 0
	return func(match func(audio.Presence) bool) audio.Presence {
		t.Helper()
		var p audio.Presence
		_, err := l.Wait(ctx, topic, func(sim.Message) bool {
			ms := l.Messages(topic)
			for ; seen < len(ms); seen++ {
				var err error
				if p, err = audio.ParsePresence(ms[seen].Payload); err == nil && match(p) {
					seen++
					return true
				}
			}
			return false
		})
		require.NoError(t, err)
		return p
	}
}

// TestMain runs the announcer's main instead of the tests when
// TestAnnouncerLastWill starts the test binary as an announcer.
func TestMain(m *testing.M) {
	if os.Getenv("CHERGA_TEST_RUN_ANNOUNCER") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// An announcer killed (its box switched off, a crash) is said offline by
// its last will, not stopped; one stopped by systemd says it stopped.
func TestAnnouncerLastWill(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b := startBroker(t)
	l, err := sim.Listen(b.URL(), "qms/lw/announcer/+")
	require.NoError(t, err)
	t.Cleanup(l.Close)
	const topic = "qms/lw/announcer/hall"
	next := presences(ctx, t, l, topic)
	run := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-broker", b.URL(), "-site", "lw", "-id", "hall", "-lang", "uk", "-out", t.TempDir())
		cmd.Env = append(os.Environ(), "CHERGA_TEST_RUN_ANNOUNCER=1")
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		p := next(func(p audio.Presence) bool { return p.Online })
		require.Equal(t, "hall", p.ID)
		return cmd
	}
	cmd := run()
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	p := next(func(p audio.Presence) bool { return !p.Online })
	require.False(t, p.Stopped, "killed: the last will")
	require.Equal(t, "hall", p.ID)

	cmd = run()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	p = next(func(p audio.Presence) bool { return !p.Online })
	require.True(t, p.Stopped, "stopped by a signal")
	require.NoError(t, cmd.Wait())
}
