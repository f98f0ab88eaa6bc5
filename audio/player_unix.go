//go:build unix

package audio

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownGroup starts the player in a process group of its own: a Ctrl-C
// signals the terminal's foreground group, and systemd's stop signals the
// whole service, and either would cut the call the announcer goes on
// saying while it drains. The announcer ends the player itself (ctx), and
// then the whole group: the children of a player that is a script too.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The group's id is the player's pid (Setpgid with Pgid 0).
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return err
		}
		return os.ErrProcessDone // Wait reports how the player ended, not the kill
	}
}
