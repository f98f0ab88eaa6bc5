package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/sim"
)

// The end-to-end test runs the real binary as a user would: a pty printer,
// a fresh bbolt file, and nothing but MQTT to talk to it.

var binOnce struct {
	sync.Once
	path string
	err  error
}

// buildCherga builds cmd/cherga once per test binary.
func buildCherga(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cherga-e2e-")
		if err != nil {
			binOnce.err = err
			return
		}
		binOnce.path = filepath.Join(dir, "cherga")
		out, err := exec.Command("go", "build", "-o", binOnce.path, ".").CombinedOutput()
		if err != nil {
			binOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binOnce.err)
	return binOnce.path
}

type proc struct {
	cmd    *exec.Cmd
	broker string
	mu     sync.Mutex
	logs   bytes.Buffer
	exited chan struct{}
	err    error
}

func (p *proc) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

var readyRe = regexp.MustCompile(`msg="cherga ready".* broker=(\S+)`)

// startCherga runs the binary and waits for its ready line.
func startCherga(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs.WriteString(line + "\n")
			p.mu.Unlock()
			if m := readyRe.FindStringSubmatch(line); m != nil {
				ready <- m[1]
			}
		}
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("cherga %s logs:\n%s", strings.Join(args, " "), p.Logs())
		}
	})
	select {
	case p.broker = <-ready:
	case <-p.exited:
		t.Fatalf("cherga exited before it was ready: %v\n%s", p.err, p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("cherga not ready after 30 s:\n%s", p.Logs())
	}
	return p
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// nextDoc waits for the next ticket the printer cuts.
func nextDoc(t *testing.T, prn *sim.Printer) printer.Doc {
	t.Helper()
	select {
	case d := <-prn.Printed():
		return d
	case <-time.After(15 * time.Second):
		t.Fatalf("no ticket printed; the printer got %d bytes", len(prn.Bytes()))
	}
	return printer.Doc{}
}

func jsonField(t *testing.T, m sim.Message) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(m.Payload, &v), "payload %q", m.Payload)
	return v
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	bin := buildCherga(t)
	t.Run("embedded", func(t *testing.T) { endToEnd(t, bin, "") })
	ext := os.Getenv("CHERGA_TEST_BROKER")
	if ext == "" {
		t.Log("CHERGA_TEST_BROKER is not set: the run against an external broker (Mosquitto) is skipped")
		return
	}
	t.Run("external", func(t *testing.T) { endToEnd(t, bin, ext) })
}

func endToEnd(t *testing.T, bin, brokerURL string) {
	prn, err := sim.StartPrinter(nil)
	require.NoError(t, err)
	t.Cleanup(func() { prn.Close() })

	site := "demo"
	if brokerURL != "" {
		// A shared broker keeps retained messages: a site of our own.
		site = fmt.Sprintf("e2e%d", rand.Uint32())
	}
	root := "qms/" + site
	db := filepath.Join(t.TempDir(), "office.db")
	args := []string{
		"-config", "../../firmware-config/examples/round-the-clock.yaml",
		"-printer", "serial:" + prn.Path(),
		"-db", db,
		"-site", site,
	}
	if brokerURL == "" {
		args = append(args, "-broker", "embedded", "-listen", "127.0.0.1:0")
	} else {
		args = append(args, "-broker", brokerURL)
	}

	p := startCherga(t, bin, args...)
	l, err := sim.Listen(p.broker, root+"/#")
	require.NoError(t, err)
	t.Cleanup(func() {
		if brokerURL != "" {
			l.ClearRetained()
		}
		l.Close()
	})
	ctx := waitCtx(t)

	_, err = l.Wait(ctx, root+"/status", func(m sim.Message) bool { return jsonField(t, m)["online"] == true })
	require.NoError(t, err)

	// A kiosk press prints a ticket in CP1251 with the number large.
	require.NoError(t, l.Publish(root+"/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	doc := nextDoc(t, prn)
	text := doc.String()
	require.Contains(t, text, "Соціальний захист")
	require.Contains(t, text, "Прозорий офіс соціальних послуг")
	require.True(t, bytes.Contains(prn.Bytes(), []byte{0x1b, 't', 46}), "ESC t 46 (CP1251) selects the code page")
	requireBig(t, doc, "А001")
	require.True(t, doc.Cut)
	res, err := l.Wait(ctx, root+"/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	require.Equal(t, true, jsonField(t, res)["ok"])
	require.Equal(t, "А001", jsonField(t, res)["ticket"])

	// The counter calls it: board, text board, hall, voice, queue figures.
	require.NoError(t, l.Publish(root+"/counter/1/cmd", []byte(`{"action":"next"}`), false))
	board, err := l.Wait(ctx, root+"/board/1", func(m sim.Message) bool { return jsonField(t, m)["ticket"] == "А001" })
	require.NoError(t, err)
	b := jsonField(t, board)
	require.Equal(t, "calling", b["state"])
	require.Equal(t, "1", b["counter"])
	require.Equal(t, "Соціальний захист", b["service"])
	_, err = l.Wait(ctx, root+"/board/1/text", func(m sim.Message) bool { return string(m.Payload) == "А001 → 1" })
	require.NoError(t, err)
	_, err = l.Wait(ctx, root+"/hall", func(m sim.Message) bool { return bytes.Contains(m.Payload, []byte(`"ticket":"А001"`)) })
	require.NoError(t, err)
	ann, err := l.Wait(ctx, root+"/announce", func(m sim.Message) bool { return jsonField(t, m)["lang"] == "uk" })
	require.NoError(t, err)
	require.Equal(t, "Талон А один, вікно один", jsonField(t, ann)["text"])
	require.NotEmpty(t, jsonField(t, ann)["clips"])
	_, err = l.Wait(ctx, root+"/announce", func(m sim.Message) bool { return jsonField(t, m)["lang"] == "en" })
	require.NoError(t, err)
	_, err = l.Wait(ctx, root+"/queue/social", func(m sim.Message) bool {
		q := jsonField(t, m)
		return q["last_called"] == "А001" && q["waiting"] == float64(0)
	})
	require.NoError(t, err)

	// A garbled command gets an error message, and the controller lives on.
	require.NoError(t, l.Publish(root+"/counter/1/cmd", []byte(`{"action":"dance"}`), false))
	errMsg, err := l.Wait(ctx, root+"/errors", nil)
	require.NoError(t, err)
	require.Contains(t, string(errMsg.Payload), "dance")

	// kill -9 and restart: the next number follows, and the call survived.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGKILL))
	<-p.exited
	p2 := startCherga(t, bin, args...)
	l2, err := sim.Listen(p2.broker, root+"/#")
	require.NoError(t, err)
	t.Cleanup(l2.Close)
	_, err = l2.Wait(ctx, root+"/board/1", func(m sim.Message) bool { return jsonField(t, m)["ticket"] == "А001" })
	require.NoError(t, err, "the call survives a restart")
	require.NoError(t, l2.Publish(root+"/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	requireBig(t, nextDoc(t, prn), "А002")

	// The events seen are gap-free across the restart (a replayed event
	// comes with the same seq again, never a new one). The first ones,
	// config.changed (the file recorded) and day.started, may have gone
	// out before the listener subscribed.
	_, err = l2.Wait(ctx, root+"/events", func(m sim.Message) bool {
		ev := jsonField(t, m)
		return ev["type"] == "ticket.issued" && ev["ticket"].(map[string]any)["label"] == "А002"
	})
	require.NoError(t, err)
	events := map[int]string{}
	lo, hi := 1<<30, 0
	for _, m := range append(l.Messages(root+"/events"), l2.Messages(root+"/events")...) {
		ev := jsonField(t, m)
		seq := int(ev["seq"].(float64))
		events[seq] = ev["type"].(string)
		lo, hi = min(lo, seq), max(hi, seq)
	}
	require.LessOrEqual(t, lo, 3, "events from the start: %v", events)
	for seq := lo; seq <= hi; seq++ {
		require.Contains(t, events, seq, "event seq %d missing from %v", seq, events)
	}
	require.Equal(t, "ticket.issued", events[hi])

	// SIGTERM: a clean stop that says so.
	require.NoError(t, p2.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p2.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("cherga did not stop on SIGTERM")
	}
	require.NoError(t, p2.err, "exit status after SIGTERM")
	_, err = l2.Wait(ctx, root+"/status", func(m sim.Message) bool { return jsonField(t, m)["online"] == false })
	require.NoError(t, err)
}

// requireBig checks that the ticket shows label at double size or larger.
func requireBig(t *testing.T, doc printer.Doc, label string) {
	t.Helper()
	for _, line := range doc.Lines {
		if strings.TrimSpace(line.Text) == label {
			require.GreaterOrEqual(t, line.Width, 2, "label width")
			require.GreaterOrEqual(t, line.Height, 2, "label height")
			return
		}
	}
	t.Fatalf("no line %q on the ticket:\n%s", label, doc.String())
}

func TestTakenPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	bin := buildCherga(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	addr := ln.Addr().String()
	cmd := exec.Command(bin, "-config", "../../firmware-config/examples/round-the-clock.yaml",
		"-listen", addr, "-printer", "none", "-db", filepath.Join(t.TempDir(), "x.db"))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "cherga must fail: %v\n%s", err, out)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	require.Contains(t, last, addr)
	require.Contains(t, last, "-listen")
}

func TestPinCheckRefusesI2CPin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	bin := buildCherga(t)
	raw, err := os.ReadFile("../../firmware-config/examples/round-the-clock.yaml")
	require.NoError(t, err)
	bad := filepath.Join(t.TempDir(), "office.yaml")
	require.NoError(t, os.WriteFile(bad, bytes.Replace(raw, []byte("pin: GPIO27"), []byte("pin: GPIO2"), 1), 0o644))
	out, err := exec.Command(bin, "-config", bad, "-printer", "none", "-listen", "127.0.0.1:0",
		"-db", filepath.Join(t.TempDir(), "x.db")).CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "cherga must refuse: %v\n%s", err, out)
	require.Contains(t, string(out), "GPIO2 (pin 3)")
	require.Contains(t, string(out), "kiosks[0].buttons[1].pin")
	require.Regexp(t, `office\.yaml:\d+:`, string(out))

	// Allowed on purpose, it starts.
	allowed := append(bytes.Replace(raw, []byte("pin: GPIO27"), []byte("pin: GPIO2"), 1), []byte("\ngpio:\n  allow: [GPIO2]\n")...)
	require.NoError(t, os.WriteFile(bad, allowed, 0o644))
	p := startCherga(t, bin, "-config", bad, "-printer", "none", "-listen", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "y.db"))
	require.NotEmpty(t, p.broker)
}

// exampleWith writes the round-the-clock example with old replaced by new
// (the first time; "" changes nothing) to a temporary office.yaml, and
// returns its path and text.
func exampleWith(t *testing.T, old, new string) (string, []byte) {
	t.Helper()
	raw, err := os.ReadFile("../../firmware-config/examples/round-the-clock.yaml")
	require.NoError(t, err)
	doc := raw
	if old != "" {
		doc = bytes.Replace(raw, []byte(old), []byte(new), 1)
		require.NotEqual(t, raw, doc, "no %q in the example", old)
	}
	path := filepath.Join(t.TempDir(), "office.yaml")
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	return path, doc
}

// The refusal of an I2C pin says how to allow it in words that work when
// pasted into the file as they are; the allow: alone is refused.
func TestPinCheckSaysHowToAllow(t *testing.T) {
	path, doc := exampleWith(t, "pin: GPIO27", "pin: GPIO2")
	_, err := loadConfig(path, nil)
	require.Error(t, err)
	fixes := regexp.MustCompile(`gpio: \{allow: \[[a-zA-Z0-9_]+\]\}`).FindAllString(err.Error(), -1)
	require.Equal(t, []string{"gpio: {allow: [i2c]}", "gpio: {allow: [GPIO2]}"}, fixes, "%v", err)
	for _, fix := range fixes {
		require.NoError(t, os.WriteFile(path, append(doc, "\n"+fix+"\n"...), 0o644))
		_, err := loadConfig(path, nil)
		require.NoError(t, err, fix)
	}
	require.NoError(t, os.WriteFile(path, append(doc, "\nallow: [i2c]\n"...), 0o644))
	_, err = loadConfig(path, nil)
	require.ErrorContains(t, err, `unknown setting "allow" (it is a setting in gpio: is it indented under the wrong key?)`)
}

// A -printer that can never open is refused at once, before anything is
// created; a printer that is only not there yet is not.
func TestBadPrinterFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	bin := buildCherga(t)
	db := filepath.Join(t.TempDir(), "x.db")
	out, err := exec.Command(bin, "-printer", "serial:/dev/ttyUSB0?baud=abc", "-listen", "127.0.0.1:0", "-db", db).CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "cherga must refuse: %v\n%s", err, out)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), `-printer: printer: bad printer spec "serial:/dev/ttyUSB0?baud=abc": baud "abc" is not a baud rate`)
	require.NoFileExists(t, db)
}

// A flag cherga does not know (a typo in CHERGA_ARGS) stops it with exit
// status 2, and under systemd the journal files why as an error.
func TestUnknownFlagJournaled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	cmd := exec.Command(buildCherga(t), "-lsiten", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "JOURNAL_STREAM=8:1234")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "cherga must refuse: %v\n%s", err, out)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, string(out), "\n<3>cherga: flag provided but not defined: -lsiten\n")
}

// A pin the check takes in another spelling (P1_11, BCM17) is opened by the
// name the GPIO driver knows (GPIO17).
func TestPinsOpenedByTheirGPIOName(t *testing.T) {
	path, raw := exampleWith(t, "", "")
	doc := bytes.Replace(raw, []byte("pin: GPIO17, lamp: GPIO23"), []byte("pin: P1_11, lamp: bcm23"), 1)
	require.NotEqual(t, raw, doc)
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	cfg, err := loadConfig(path, nil)
	require.NoError(t, err)
	require.Equal(t, "GPIO17", cfg.Kiosks[0].Buttons[0].Pin)
	require.Equal(t, "GPIO23", cfg.Kiosks[0].Buttons[0].Lamp)

	// A pin merged in with <<: is checked like any other.
	doc = bytes.Replace(raw, []byte(`{id: "2", services: [social]}`), []byte(`{id: "2", services: [social], <<: {lamp: GPIO3}}`), 1)
	require.NotEqual(t, raw, doc)
	require.NoError(t, os.WriteFile(path, doc, 0o644))
	_, err = loadConfig(path, nil)
	require.ErrorContains(t, err, "counters[1].lamp: GPIO3")
}

// cherga -compact writes a stopped controller's state file into a new one,
// which -verify finds sound, and says by its exit status when it cannot
// (the file exists).
func TestCompactFlag(t *testing.T) {
	bin := buildCherga(t)
	cfgPath := "../../firmware-config/examples/round-the-clock.yaml"
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	dir := t.TempDir()
	db, small := filepath.Join(dir, "c.db"), filepath.Join(dir, "small.db")
	e, err := queue.Open(db, cfg, nil)
	require.NoError(t, err)
	_, err = e.Issue(context.Background(), queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	out, err := exec.Command(bin, "-compact", small, "-config", cfgPath, "-db", db).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "cherga: "+db+" compacted into "+small+": ")
	out, err = exec.Command(bin, "-verify", "-config", cfgPath, "-db", small).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "is sound")

	out, err = exec.Command(bin, "-compact", small, "-config", cfgPath, "-db", db).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "small.db exists: give a new file")
}

// cherga -verify checks a state file and says so by its exit status: a
// sound one, one whose pages are overwritten, and an empty one.
func TestVerifyFlag(t *testing.T) {
	bin := buildCherga(t)
	cfgPath := "../../firmware-config/examples/round-the-clock.yaml"
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "c.db")
	e, err := queue.Open(db, cfg, nil)
	require.NoError(t, err)
	_, err = e.Issue(context.Background(), queue.IssueRequest{Service: "social"})
	require.NoError(t, err)
	require.NoError(t, e.Close())
	out, err := exec.Command(bin, "-verify", "-config", cfgPath, "-db", db).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "is sound")

	// Sound, but another site's: start refuses it, and so does -verify.
	other := filepath.Join(t.TempDir(), "other.db")
	oc, err := config.Load(cfgPath)
	require.NoError(t, err)
	oc.Site = "kyiv-4"
	e, err = queue.Open(other, oc, nil)
	require.NoError(t, err)
	require.NoError(t, e.RecordConfigs(context.Background(), queue.ConfigRecord{Config: oc, Version: queue.ConfigVersion{Source: "file"}}))
	require.NoError(t, e.Close())
	out, err = exec.Command(bin, "-verify", "-config", cfgPath, "-db", other).CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), `is sound, but it is the state file of site "kyiv-4", not this office's "demo"`)

	b, err := os.ReadFile(db)
	require.NoError(t, err)
	for i := 2 * os.Getpagesize(); i < min(len(b), 10*os.Getpagesize()); i++ {
		b[i] = 0xA5
	}
	require.NoError(t, os.WriteFile(db, b, 0o600))
	out, err = exec.Command(bin, "-verify", "-config", cfgPath, "-db", db).CombinedOutput()
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "damaged")

	// A backup's name mistyped: no such file, not another db: to set.
	out, err = exec.Command(bin, "-verify", "-config", cfgPath, "-db", filepath.Join(t.TempDir(), "cherga-Mon.db")).CombinedOutput()
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "there is no such file: check its name (ls ")
	require.NotContains(t, string(out), "set db:")

	// An empty file (a copy that failed) is no backup.
	empty := filepath.Join(t.TempDir(), "empty.db")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	out, err = exec.Command(bin, "-verify", "-config", cfgPath, "-db", empty).CombinedOutput()
	require.ErrorAs(t, err, &ee, "%s", out)
	require.Equal(t, 1, ee.ExitCode())
	require.Contains(t, string(out), "has no bytes: it is not a store")
}

// cherga -check checks a configuration file alone, beside a controller
// that holds the state file: 0 and ok, or 2 with each error on its line.
// It opens no state file (none is made where the file's db points).
func TestCheckFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	bin := buildCherga(t)
	run := func(path string) (string, int) {
		t.Helper()
		dir := t.TempDir()
		cmd := exec.Command(bin, "-check", "-config", path)
		cmd.Dir = dir // db: cherga.db, relative
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err, "%s", out)
		}
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Empty(t, left, "no state file made")
		return string(out), code
	}
	good, _ := exampleWith(t, "", "")
	out, code := run(good)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, good+" ok")
	// Its QR code is default.yaml's example: sound, and said.
	require.Contains(t, out, `warning: office.status_url "https://cherga.local/t/{site}/{id}" is the example address`)
	own, _ := exampleWith(t, "https://cherga.local/t/", "https://cnap.example.gov.ua/t/")
	out, code = run(own)
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "warning")
	// The built-in office's site on a shared broker: sound, and said.
	shared, _ := exampleWith(t, "url: embedded", "url: tcp://broker.example:1883")
	out, code = run(shared)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "warning: the site is demo, the built-in office's, on a broker that is not the embedded one")

	bad, _ := exampleWith(t, `{id: "12", services: [pension]`, `{id: "12", services: [pensoin]`)
	out, code = run(bad)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "cherga: "+bad+": config: line ")
	require.Contains(t, out, `unknown service "pensoin"`)
	require.NotContains(t, out, " ok")

	pins, _ := exampleWith(t, "pin: GPIO27", "pin: GPIO2")
	out, code = run(pins)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, "GPIO2 (pin 3)")
	// The serial port's pin is taken, with a word.
	uart, _ := exampleWith(t, "pin: GPIO27", "pin: GPIO14")
	out, code = run(uart)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "cherga: warning: device: "+uart+":")
	require.Contains(t, out, "GPIO14 (pin 8) is the serial port's TXD0: taken from the serial console if that is on")
	require.Contains(t, out, uart+" ok")

	// A printer model none of the profiles is, and then one of the file's.
	model, _ := exampleWith(t, "profile: epson-tm-t20", "profile: rongta-rp80")
	out, code = run(model)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, `kiosks[0] (id "k1").profile: printer: unknown profile "rongta-rp80"`)
	require.Contains(t, out, "another model: printer_profiles in the office's configuration")
	// A screen kiosk's too: the start looks it up all the same.
	screen, _ := exampleWith(t, "printer: \"serial:/dev/ttyUSB0?baud=19200\"\n    profile: epson-tm-t20", "printer: none\n    profile: rongta-rp80")
	out, code = run(screen)
	require.Equal(t, 2, code, out)
	require.Contains(t, out, `unknown profile "rongta-rp80"`)
	own, _ = exampleWith(t, "profile: epson-tm-t20", "profile: rongta-rp80")
	b, err := os.ReadFile(own)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(own, append(b, "printer_profiles:\n  - {name: rongta-rp80, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}, cut: true}\n"...), 0o600))
	out, code = run(own)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, own+" ok")
}

// The committed systemd unit runs cherga with flags it has.
func TestSystemdUnitFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped under -short")
	}
	unit, err := os.ReadFile("../../firmware-config/systemd/cherga.service")
	require.NoError(t, err)
	start := regexp.MustCompile(`(?m)^ExecStart=/usr/local/bin/cherga (.*)$`).FindSubmatch(unit)
	require.NotNil(t, start, "no ExecStart of /usr/local/bin/cherga")
	help, _ := exec.Command(buildCherga(t), "-h").CombinedOutput()
	flags := regexp.MustCompile(`(?:^| )(-[a-z]+)`).FindAllSubmatch(start[1], -1)
	require.NotEmpty(t, flags)
	for _, f := range flags {
		require.Regexp(t, `(?m)^  `+string(f[1])+`[ \t]`, string(help), "cherga has no flag %s", f[1])
	}
	for _, want := range []string{"Restart=always", "StartLimitIntervalSec=0", "StateDirectory=cherga", "After=network-online.target time-sync.target"} {
		require.Contains(t, string(unit), want)
	}
}

// Every service unit reads /etc/default/cherga (the site, the broker,
// SSL_CERT_FILE), and does not fail without it.
func TestSystemdUnitsReadDefaults(t *testing.T) {
	units, err := filepath.Glob("../../firmware-config/systemd/*.service")
	require.NoError(t, err)
	require.Len(t, units, 3)
	for _, u := range units {
		b, err := os.ReadFile(u)
		require.NoError(t, err)
		require.Contains(t, string(b), "\nEnvironmentFile=-/etc/default/cherga\n", u)
	}
}

// The backup unit's command, as systemd hands it to the shell, gives
// chergactl the broker, the site and CHERGA_BACKUP_ARGS of
// /etc/default/cherga (none without it), and a copy a weekday. The line
// the unit's comment gives for that file is read by the shell too (the
// README's cron line sources it).
func TestBackupUnitCommand(t *testing.T) {
	unit, err := os.ReadFile("../../firmware-config/systemd/cherga-backup.service")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^ExecStart=/bin/sh -c '(.*)'$`).FindSubmatch(unit)
	require.NotNil(t, m, "no ExecStart of /bin/sh -c")
	script := strings.NewReplacer("$$", "$", "%%", "%").Replace(string(m[1])) // systemd's escapes
	fake := filepath.Join(t.TempDir(), "chergactl")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\nfor a; do printf '%s\\n' \"$a\"; done\n"), 0o755))
	require.Contains(t, script, "/usr/local/bin/chergactl ")
	script = strings.Replace(script, "/usr/local/bin/chergactl", fake, 1)
	run := func(env ...string) []string {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = append([]string{"PATH=/usr/bin:/bin", "CHERGA_BROKER=tcp://127.0.0.1:1883", "CHERGA_SITE=kyiv-3"}, env...)
		out, err := cmd.Output()
		require.NoError(t, err)
		return strings.Split(strings.TrimSpace(string(out)), "\n")
	}
	args := run("CHERGA_BACKUP_ARGS=-user backup-kyiv-3 -password-file /etc/cherga/backup.pass")
	require.Len(t, args, 10, "%q", args)
	require.Equal(t, []string{"-broker", "tcp://127.0.0.1:1883", "-site", "kyiv-3", "-user", "backup-kyiv-3", "-password-file", "/etc/cherga/backup.pass", "store.backup"}, args[:9])
	require.Regexp(t, `^path=/var/backups/cherga/cherga-(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.db$`, args[9])
	args = run()
	require.Equal(t, []string{"-broker", "tcp://127.0.0.1:1883", "-site", "kyiv-3", "store.backup"}, args[:5])
	require.Len(t, args, 6, "%q", args)

	line := regexp.MustCompile(`(?m)^#   (CHERGA_BACKUP_ARGS=.*)$`).FindSubmatch(unit)
	require.NotNil(t, line)
	defaults := filepath.Join(t.TempDir(), "cherga")
	require.NoError(t, os.WriteFile(defaults, append(line[1], '\n'), 0o600))
	out, err := exec.Command("/bin/sh", "-c", `set -a && . "$0" && printf '%s' "$CHERGA_BACKUP_ARGS"`, defaults).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Equal(t, "-user backup-kyiv-3 -password-file /etc/cherga/backup.pass", string(out))
}
