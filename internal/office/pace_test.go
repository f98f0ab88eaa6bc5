package office

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A kiosk's presses over MQTT: a burst of a tenth of a minute's (at least
// 10), then as many a minute as configured.
func TestPaceTake(t *testing.T) {
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	p := &pace{} // 30 a minute
	for i := range 10 {
		require.True(t, p.take(at), "press %d of the burst", i)
	}
	require.False(t, p.take(at))
	require.False(t, p.take(at.Add(time.Second)), "half a press earned")
	require.True(t, p.take(at.Add(2*time.Second)), "one a 2 s")
	require.False(t, p.take(at.Add(2*time.Second)))
	require.True(t, p.take(at.Add(time.Hour)))
	n := 1
	for p.take(at.Add(time.Hour)) {
		n++
	}
	require.Equal(t, 10, n, "a pause earns a burst, no more")

	p = &pace{perMinute: 6000}
	n = 0
	for p.take(at) {
		n++
	}
	require.Equal(t, 600, n)
}
