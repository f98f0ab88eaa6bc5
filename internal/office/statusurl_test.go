package office

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
)

// The QR code carries the label percent-encoded: ASCII for any phone's
// reader and a scanner that types it as a keyboard (device's scanner
// decodes it back: TestParseScanLabel).
func TestStatusURLEscapesTheLabel(t *testing.T) {
	cfg := &config.Config{Site: "demo"}
	cfg.Office.StatusURL = "https://q.example/t/{site}/{ticket}?id={id}"
	require.Equal(t, "https://q.example/t/demo/%D0%A6%D0%AF007?id=57", statusURL(cfg, queue.Ticket{ID: 57, Label: "ЦЯ007"}))
	cfg.Office.StatusURL = ""
	require.Empty(t, statusURL(cfg, queue.Ticket{ID: 57, Label: "ЦЯ007"}))
}
