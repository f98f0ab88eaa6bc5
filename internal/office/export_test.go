package office

import "time"

// SetAwtrixRefresh makes the offices started after it send their AWTRIX
// apps again every d, until the returned func restores the interval.
func SetAwtrixRefresh(d time.Duration) (restore func()) {
	old := awtrixRefresh
	awtrixRefresh = d
	return func() { awtrixRefresh = old }
}
