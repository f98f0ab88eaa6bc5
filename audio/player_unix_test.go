//go:build unix

package audio

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// The player runs in a process group of its own, which a signal to the
// announcer's group (Ctrl-C, systemd's stop) does not reach: it finishes
// the call being said.
func TestCommandPlayerOwnGroup(t *testing.T) {
	if _, err := exec.LookPath("ps"); err != nil {
		t.Skip("no ps to read the player's process group")
	}
	out := filepath.Join(t.TempDir(), "ids")
	p := &CommandPlayer{Command: []string{"sh", "-c", `cat >/dev/null; echo $$ $(ps -o pgid= -p $$) > "$0"`, out}}
	require.NoError(t, p.Play(context.Background(), &Announcement{Audio: ramp(mono16k, 0, 100)}))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	ids := strings.Fields(string(b))
	require.Len(t, ids, 2, "%q", b)
	pid, err := strconv.Atoi(ids[0])
	require.NoError(t, err)
	pgid, err := strconv.Atoi(ids[1])
	require.NoError(t, err)
	require.Equal(t, pid, pgid, "the player leads a group of its own")
	require.NotEqual(t, syscall.Getpgrp(), pgid, "the player is in the announcer's group")
}
