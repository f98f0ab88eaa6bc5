package audio

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommandPlayer(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to stand in for aplay")
	}
	out := filepath.Join(t.TempDir(), "played.wav")
	a := &Announcement{Audio: ramp(mono16k, 0, 100)}
	p := &CommandPlayer{Command: []string{"sh", "-c", `cat > "$0"`, out}}
	require.NoError(t, p.Play(context.Background(), a))
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, a.Audio.WAV(), b)

	p = &CommandPlayer{Command: []string{"sh", "-c", "echo no such card >&2; exit 1"}}
	require.EqualError(t, p.Play(context.Background(), a), "audio: sh -c echo no such card >&2; exit 1: exit status 1: no such card")
	p = &CommandPlayer{Command: []string{"sh", "-c", "exit 1"}}
	require.EqualError(t, p.Play(context.Background(), a), "audio: sh -c exit 1: exit status 1", "no empty stderr after it")
	require.Equal(t, "aplay -q", (&CommandPlayer{}).String())
}

func TestDirPlayer(t *testing.T) {
	dir := t.TempDir()
	p := &DirPlayer{Dir: dir}
	a := &Announcement{IDs: []string{"17/../x"}, Audio: ramp(mono16k, 0, 10)}
	require.NoError(t, p.Play(context.Background(), a))
	require.NoError(t, p.Play(context.Background(), &Announcement{Audio: a.Audio}))
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "0001-17____x.wav"), filepath.Join(dir, "0002-call.wav")}, names)
}
