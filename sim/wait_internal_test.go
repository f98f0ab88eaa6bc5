package sim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
)

// The page and the console say a queue's wait as the ticket does: from an
// hour on in hours and minutes, not «близько 95 хв»; and with no counter
// open, a room where the service is served in rooms.
func TestWaitWords(t *testing.T) {
	cfg := &config.Config{Counters: []config.Counter{
		{ID: "1", Services: []string{"social", "pension"}},
		{ID: "2", Services: []string{"pension", "subsidy"}, Kind: "cabinet"},
		{ID: "3", Services: []string{"subsidy"}, Kind: "cabinet"},
	}}
	for _, c := range []struct {
		service, queue, want string
	}{
		{"social", `{"waiting":30,"eta_min":95}`, "близько 1\u00a0год 35\u00a0хв / about 1\u00a0h 35\u00a0min"},
		{"social", `{"waiting":1,"eta_min":0}`, "менше хвилини / under a minute"},
		{"social", `{"waiting":3,"eta_min":12}`, "близько 12\u00a0хв / about 12\u00a0min"},
		{"social", `{"waiting":3,"eta_min":null}`, "жодне вікно не відкрите / no counter open"},
		{"pension", `{"waiting":3,"eta_min":null}`, "жодне вікно не відкрите / no counter open"},
		{"subsidy", `{"waiting":3,"eta_min":null}`, "жоден кабінет не відкритий / no room open"},
		{"subsidy", `null`, ""},
	} {
		require.Equal(t, c.want, waitWords(cfg, c.service, json.RawMessage(c.queue)), "%s %s", c.service, c.queue)
	}
}
