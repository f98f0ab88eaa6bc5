//go:build unix

package audio

import (
	"os/exec"
	"syscall"
)

// ownGroup starts the player in a process group of its own: a Ctrl-C
// signals the terminal's foreground group, and systemd's stop signals the
// whole service, and either would cut the call the announcer goes on
// saying while it drains. The announcer ends the player itself (ctx).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
