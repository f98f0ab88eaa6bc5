package bus

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A connection lost again and again (another client connecting as this
// one, twice a second, for good) is logged alone the first three times of
// a minute, then in one line a minute that counts the losses: not a
// warning and a line of the reconnection for each, which would fill the
// journal. Once a minute has passed without a loss, one is logged alone
// again.
func TestLossLog(t *testing.T) {
	var l lossLog
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	type said struct {
		alone bool
		lost  int
	}
	var got []said
	for i := range 8 { // twice a second
		alone, lost := l.note(at.Add(time.Duration(i) * 500 * time.Millisecond))
		got = append(got, said{alone, lost})
	}
	require.Equal(t, []said{{true, 0}, {true, 0}, {true, 0}, {false, 4}, {false, 0}, {false, 0}, {false, 0}, {false, 0}}, got)
	// Going on: a line a minute, with the losses of the last minute.
	at = at.Add(4 * time.Second)
	for s := 0; s < 60; s++ {
		alone, lost := l.note(at.Add(time.Duration(s) * time.Second))
		require.False(t, alone)
		if lost > 0 {
			require.Equal(t, 58, s, "a minute after the last line (at 1.5 s)")
			require.Equal(t, 62, lost, "the losses of the last minute: 2.5 to 3.5 s, and 4 to 62 s")
		}
	}
	// Quiet for a minute: a loss is logged alone again.
	alone, lost := l.note(at.Add(3 * time.Minute))
	require.True(t, alone)
	require.Zero(t, lost)
}
