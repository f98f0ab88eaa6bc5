package sim_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/sim"
)

// TestOfficeGPIOPath presses the kiosk's GPIO button (a periph gpiotest pin
// behind the real debounced device.Button) and the counter's GPIO next
// button, and checks the paper and the board.
func TestOfficeGPIOPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pty printer needs Linux")
	}
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: filepath.Join(t.TempDir(), "sim.db")})
	require.NoError(t, err)
	defer s.Close()

	printed := make(chan string, 4)
	s.OnPrint(func(kiosk string, _ printer.Doc) { printed <- kiosk })
	require.NoError(t, s.Press("k1", "pension")) // GPIO27 in the config
	select {
	case <-time.After(15 * time.Second):
		t.Fatal("no ticket printed")
	case k := <-printed:
		require.Equal(t, "k1", k)
	}
	st := s.State()
	require.Len(t, st.Tickets, 1)
	require.Equal(t, "П001", st.Tickets[0].Label)
	require.Contains(t, st.Tickets[0].Text, "Пенсійний фонд")

	// Counter 10 serves pension; its buttons are remote (MQTT).
	require.NoError(t, s.Counter("10", "next", ""))
	m, err := s.Bus.Wait(ctx, "qms/demo/board/10", func(m sim.Message) bool {
		var b map[string]any
		return json.Unmarshal(m.Payload, &b) == nil && b["ticket"] == "П001"
	})
	require.NoError(t, err, "board 10 shows П001")
	require.Contains(t, string(m.Payload), `"state":"calling"`)

	// Counter 1 has GPIO buttons: next with nobody waiting for social
	// leaves it idle and says so on its board.
	require.NoError(t, s.Pins.Press("GPIO5", 60*time.Millisecond))
	_, err = s.Bus.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool { return !m.Retained })
	require.NoError(t, err, "the GPIO next button of counter 1 reached the queue")

	require.Error(t, s.Press("k1", "nope"))
	require.Error(t, s.Counter("99", "next", ""))
}
