package main

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/sim"
)

// A refused counter command is told at the terminal as its specialist
// reads it (the message, Ukrainian first), not as the error for whoever
// looks into it; an input refused with no message for a person shows the
// error.
func TestTellRefusal(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	said := func(payload string) string {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		stdout := os.Stdout
		os.Stdout = w
		tell(cfg, sim.Message{Topic: cfg.Root() + "/errors", Payload: []byte(payload)})
		os.Stdout = stdout
		require.NoError(t, w.Close())
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		return string(b)
	}
	require.Equal(t, "  refused: counter/1: Талон А001 щойно викликано / Ticket А001 was just called\n",
		said(`{"source":"counter/1","error":"queue: ticket А001 was just called","reason":"just_called","message":"Талон А001 щойно викликано / Ticket А001 was just called"}`))
	require.Equal(t, "  refused: admin: office: a retained message was refused\n",
		said(`{"source":"admin","error":"office: a retained message was refused"}`))
}
