package office

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A thing that comes and goes (an announcer's flaky Wi-Fi, a printer's
// loose cable) gets logsPerMinute lines a minute; the first line of the
// next minute counts those held back.
func TestLogBudget(t *testing.T) {
	var b logBudget
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for i := range logsPerMinute {
		ok, args := b.take(at.Add(time.Duration(i) * time.Second))
		require.True(t, ok, "line %d", i)
		require.Empty(t, args)
	}
	for i := range 6 {
		ok, _ := b.take(at.Add(time.Duration(10+i) * time.Second))
		require.False(t, ok, "held back %d", i)
	}
	require.False(t, b.due(at.Add(30*time.Second)), "within the minute")
	require.True(t, b.due(at.Add(time.Minute)), "the lasting state may be logged")
	ok, args := b.take(at.Add(time.Minute))
	require.True(t, ok)
	require.Equal(t, []any{"changes_not_logged", 6}, args)
	ok, args = b.take(at.Add(time.Minute + time.Second))
	require.True(t, ok)
	require.Empty(t, args, "counted once")
	require.False(t, b.due(at.Add(3*time.Minute)), "nothing held back")
}
