package bus

import (
	"testing"
	"time"
)

// SetRestoreEvery sets how often at most the status is restored, for the
// test.
func SetRestoreEvery(t *testing.T, d time.Duration) {
	was := restoreEvery
	restoreEvery = d
	t.Cleanup(func() { restoreEvery = was })
}
