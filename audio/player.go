package audio

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// CommandPlayer plays through a command that reads a WAV file on its
// standard input: aplay (ALSA; the default), paplay, or "play -" of sox.
type CommandPlayer struct {
	// Command is the program and its arguments; nil means aplay -q.
	Command []string
}

// Play runs the command with the announcement as a WAV file on stdin and
// waits for it; ctx ends kill it. On Unix the command runs in a process
// group of its own, so that a signal to the announcer's group (Ctrl-C,
// systemd stopping the service) leaves it to finish the call; ctx ends
// kill the whole group, so a player that is a script (sh -c "… | aplay")
// leaves nothing behind holding the device.
func (p *CommandPlayer) Play(ctx context.Context, a *Announcement) error {
	argv := p.Command
	if len(argv) == 0 {
		argv = []string{"aplay", "-q"}
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	ownGroup(cmd)
	// A process that escaped the group and holds stderr must not keep Play
	// waiting once the player is killed.
	cmd.WaitDelay = time.Second
	cmd.Stdin = bytes.NewReader(a.Audio.WAV())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("audio: %s: %w: %s", strings.Join(argv, " "), err, msg)
		}
		return fmt.Errorf("audio: %s: %w", strings.Join(argv, " "), err) // killed, or silent
	}
	return nil
}

func (p *CommandPlayer) String() string {
	if len(p.Command) == 0 {
		return "aplay -q"
	}
	return strings.Join(p.Command, " ")
}

// DirPlayer "plays" by writing each announcement as a WAV file into Dir,
// for the simulator and tests: 0001-17.wav, 0002-18.wav, ... numbered in
// playing order and named by the first call id (characters other than
// letters, digits, - and _ become _).
type DirPlayer struct {
	Dir string

	mu sync.Mutex
	n  int
}

// Play writes the file; it is complete when Play returns (written to a
// temporary name, then renamed).
func (p *DirPlayer) Play(_ context.Context, a *Announcement) error {
	p.mu.Lock()
	if p.n == 0 {
		p.n = lastNumber(p.Dir) // files sort in playing order across restarts
	}
	p.n++
	n := p.n
	p.mu.Unlock()
	id := "call"
	if len(a.IDs) > 0 {
		id = safeName(a.IDs[0])
	}
	name := filepath.Join(p.Dir, fmt.Sprintf("%04d-%s.wav", n, id))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, a.Audio.WAV(), 0o644); err != nil {
		return fmt.Errorf("audio: %w", err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("audio: %w", err)
	}
	return nil
}

func (p *DirPlayer) String() string { return "dir " + p.Dir }

// lastNumber is the highest NNNN of the NNNN-id.wav files in dir (0: none).
func lastNumber(dir string) int {
	ents, _ := os.ReadDir(dir)
	last := 0
	for _, e := range ents {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%d-", &n); err == nil && strings.HasSuffix(e.Name(), ".wav") {
			last = max(last, n)
		}
	}
	return last
}

func safeName(s string) string {
	if len(s) > 32 {
		s = s[:32]
	}
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

var (
	_ Player = (*CommandPlayer)(nil)
	_ Player = (*DirPlayer)(nil)
)
