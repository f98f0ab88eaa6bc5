package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/queue"
)

// TestCrossCompiled builds the static Raspberry Pi binaries (arm64, armv7,
// armv6) and runs each under qemu-user, as `make cross` makes them.
func TestCrossCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles three binaries; skipped under -short")
	}
	// The armv6 binary runs on the CPU of the Pi Zero and 1 (ARM1176):
	// qemu-arm's default CPU would take ARMv7 instructions too.
	targets := []struct {
		name, goarch, goarm, qemu string
		cpu                       []string
	}{
		{"arm64", "arm64", "", "qemu-aarch64", nil},
		{"armv7", "arm", "7", "qemu-arm", nil},
		{"armv6", "arm", "6", "qemu-arm", []string{"-cpu", "arm1176"}},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "cherga-"+tg.name)
			build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=cross-test", "-o", bin, ".")
			build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+tg.goarch, "GOARM="+tg.goarm)
			out, err := build.CombinedOutput()
			require.NoError(t, err, "%s", out)
			file, err := exec.Command("file", bin).Output()
			if err == nil {
				require.Contains(t, string(file), "statically linked", "a Pi binary has no shared library to miss")
			}
			qemu, err := exec.LookPath(tg.qemu)
			if err != nil {
				t.Skipf("%s is not installed (apt-get install qemu-user; .ci/run does): the %s binary is built but not run", tg.qemu, tg.name)
			}
			out, err = exec.Command(qemu, append(tg.cpu, bin, "-version")...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Equal(t, fmt.Sprintf("cherga cross-test (store format %d)", queue.StoreFormat), strings.TrimSpace(string(out)))
		})
	}
}

// $CHERGA_SITE that names another site than the office's, or
// $CHERGA_BROKER another broker than the one it uses, is warned of: the
// backups, the announcer and chergactl would ask a site nobody runs, or a
// broker it is not on.
func TestEnvMismatch(t *testing.T) {
	require.Empty(t, siteEnvMismatch("", "kyiv-3"))
	require.Empty(t, siteEnvMismatch("kyiv-3", "kyiv-3"))
	require.Contains(t, siteEnvMismatch("kyiv-4", "kyiv-3"), "CHERGA_SITE (kyiv-4, from the environment: under systemd, /etc/default/cherga) is not this office's site (kyiv-3)")

	for _, same := range [][2]string{
		{"", "ssl://mqtt.example.gov.ua:8883"},
		{"tcp://127.0.0.1:1883", "tcp://127.0.0.1:1883"},
		{"mqtt://localhost", "tcp://127.0.0.1:1883"},
		{"mqtts://MQTT.example.gov.ua", "ssl://mqtt.example.gov.ua:8883"},
		{"tcp://127.0.0.1:1883", "tcp://[::]:1883"}, // the embedded broker on every address (listen: 0.0.0.0:1883)
		{"tcp://localhost:1883", "tcp://0.0.0.0:1883"},
	} {
		require.Empty(t, brokerEnvMismatch(same[0], same[1]), same)
	}
	msg := brokerEnvMismatch("tcp://127.0.0.1:1883", "ssl://u:secret@mqtt.example.gov.ua:8883")
	require.Contains(t, msg, "CHERGA_BROKER (tcp://127.0.0.1:1883, from the environment: under systemd, /etc/default/cherga) is not the broker this controller uses (ssl://u:")
	require.NotContains(t, msg, "secret")
}
