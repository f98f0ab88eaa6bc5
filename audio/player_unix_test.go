//go:build unix

package audio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
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

// Cut (the announcer's limit, or its stop), the player is killed with its
// whole group: a script's children too, which would otherwise play on, and
// hold its stderr so that Play never returned.
func TestCommandPlayerCutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	p := &CommandPlayer{Command: []string{"sh", "-c", `sleep 600 & echo $! > "$0"; wait`, pidFile}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Play(ctx, &Announcement{Audio: ramp(mono16k, 0, 100)}) }()
	var child int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		child, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	}, testkit.Wait, 10*time.Millisecond, "the player script starts its child")
	t.Cleanup(func() { _ = syscall.Kill(child, syscall.SIGKILL) })
	cancel()
	require.Error(t, testkit.Receive(t, done), "Play returns once cut")
	require.Eventually(t, func() bool { return !running(child) }, testkit.Wait, 10*time.Millisecond,
		"the player's child is killed with it")
}

// running reports whether process pid runs (a zombie does not).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}
