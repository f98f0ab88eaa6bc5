package journal_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/journal"
)

// Under systemd each line carries its priority, for journalctl -p.
func TestPrefixed(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(journal.Prefixed(&b, &slog.HandlerOptions{Level: slog.LevelDebug})).With("office", "demo")
	log.Error("broker refused")
	log.Warn("paper near end")
	log.Info("ready")
	log.WithGroup("g").Debug("detail")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 4)
	for i, want := range []string{"<3>time=", "<4>time=", "<6>time=", "<7>time="} {
		require.True(t, strings.HasPrefix(lines[i], want), lines[i])
	}
	require.Contains(t, lines[0], `msg="broker refused" office=demo`)
}

// Outside systemd the lines are plain text.
func TestPlain(t *testing.T) {
	t.Setenv("JOURNAL_STREAM", "")
	var b bytes.Buffer
	slog.New(journal.Handler(&b, nil)).Warn("x")
	require.True(t, strings.HasPrefix(b.String(), "time="), b.String())
	t.Setenv("JOURNAL_STREAM", "8:12345")
	b.Reset()
	slog.New(journal.Handler(&b, nil)).Warn("x")
	require.True(t, strings.HasPrefix(b.String(), "<4>time="), b.String())
}

// A program's last words before it exits are an error to the journal,
// each of their lines; without systemd they are as written.
func TestFatal(t *testing.T) {
	var b bytes.Buffer
	t.Setenv("JOURNAL_STREAM", "")
	journal.Fatal(&b, "cherga:", errors.New("config.services[0].prefix: empty\nconfig.counters: none"))
	require.Equal(t, "cherga: config.services[0].prefix: empty\nconfig.counters: none\n", b.String())
	b.Reset()
	t.Setenv("JOURNAL_STREAM", "8:1")
	journal.Fatal(&b, "cherga:", errors.New("config.services[0].prefix: empty\nconfig.counters: none"))
	require.Equal(t, "<3>cherga: config.services[0].prefix: empty\n<3>config.counters: none\n", b.String())
}
