// Command mkvoice generates a clip pack with espeak-ng and sox: one WAV file
// per clip id of audio.ClipTexts, and the manifest. scripts/voice.sh (make
// voice) runs it to rebuild the default pack in audio/voice/pack:
//
//	go run ./audio/cmd/mkvoice -out audio/voice/pack
//
// The Ukrainian clips are given to espeak-ng in its phonemes, spelled by
// mkvoice by the rules of Ukrainian pronunciation (uk.go): read as text,
// espeak-ng says them with Russian rules.
//
// espeak-ng writes 22050 Hz; sox resamples to -rate, trims the silence
// espeak-ng leaves around a word, pads every clip with the same short
// silence (so clips played back to back sound like one sentence) and
// normalizes the level. The pack is checked with audio.LoadPack at the end.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/cherga/cherga/audio"
)

func main() {
	var (
		out    = flag.String("out", "audio/voice/pack", "pack `dir` to (re)write")
		rate   = flag.Int("rate", 16000, "sample rate in Hz")
		langs  = flag.String("langs", "uk,en", "languages, comma-separated")
		speed  = flag.Int("speed", 150, "espeak-ng speed in words per minute")
		espeak = flag.String("espeak", "espeak-ng", "espeak-ng `command`")
		sox    = flag.String("sox", "sox", "sox `command`")
	)
	flag.Parse()
	if err := run(context.Background(), *out, *rate, strings.Split(*langs, ","), *speed, *espeak, *sox); err != nil {
		fmt.Fprintln(os.Stderr, "mkvoice:", err)
		os.Exit(1)
	}
}

// voices maps a pack language to its espeak-ng voice.
var voices = map[string]string{"uk": "uk", "en": "en"}

type job struct{ lang, id, text string }

func run(ctx context.Context, out string, rate int, langs []string, speed int, espeak, sox string) error {
	version, err := exec.CommandContext(ctx, espeak, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s: %w (install espeak-ng)", espeak, err)
	}
	if _, err := exec.LookPath(sox); err != nil {
		return fmt.Errorf("%s: %w (install sox)", sox, err)
	}
	// Start from an empty folder, so a clip that was renamed does not linger.
	for _, l := range langs {
		if _, ok := voices[l]; !ok {
			return fmt.Errorf("no espeak-ng voice for %q", l)
		}
		if err := os.RemoveAll(filepath.Join(out, l)); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "mkvoice")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	m := audio.Manifest{
		Name:      "espeak-ng " + strings.Join(langs, "+"),
		Format:    audio.SampleFormat,
		Rate:      rate,
		Channels:  1,
		Langs:     langs,
		Clips:     map[string]string{},
		Generator: fmt.Sprintf("%s, -s %d; sox -R -D -r %d (audio/cmd/mkvoice)", espeakVersion(version), speed, rate),
		Texts:     textsSum(langs),
	}
	var jobs []job
	for _, l := range langs {
		texts := audio.ClipTexts(l)
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			say, err := said(l, texts[id])
			if err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
			jobs = append(jobs, job{l, id, say})
			m.Clips[id] = id + ".wav"
		}
	}

	work := make(chan job)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i := range runtime.NumCPU() {
		wg.Go(func() {
			for j := range work {
				raw := filepath.Join(tmp, fmt.Sprintf("%d-%s.wav", i, strings.ReplaceAll(j.id, "/", "_")))
				dst := filepath.Join(out, filepath.FromSlash(j.id)+".wav")
				if err := synth(ctx, espeak, sox, voices[j.lang], speed, rate, j.text, raw, dst); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s (%q): %w", j.id, j.text, err))
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, audio.ManifestFile), m.JSON(), 0o644); err != nil {
		return err
	}
	p, err := audio.LoadPack(os.DirFS(out))
	if err != nil {
		return err
	}
	fmt.Println("mkvoice:", p)
	return nil
}

// said is what espeak-ng is given to say text of a clip in lang: the
// text, or, in Ukrainian, its phonemes (ukSay).
func said(lang, text string) (string, error) {
	if lang != "uk" {
		return text, nil
	}
	ph, err := ukSay(text)
	if err != nil {
		return "", err
	}
	return "[[" + ph + "]]", nil
}

// textsSum is the SHA-256 of what a pack of langs is made from: each
// clip's id, text and what espeak-ng is given to say, in order. A clip
// that cannot be said is summed without it (mkvoice refuses it).
func textsSum(langs []string) string {
	h := sha256.New()
	for _, l := range langs {
		texts := audio.ClipTexts(l)
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			say, _ := said(l, texts[id])
			fmt.Fprintf(h, "%s\t%s\t%s\n", id, texts[id], say)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// synth says text into raw with espeak-ng, then makes dst from it with sox.
func synth(ctx context.Context, espeak, sox, voice string, speed, rate int, text, raw, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, espeak, "-v", voice, "-s", fmt.Sprint(speed), "-w", raw, "--", text)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("espeak-ng: %w: %s", err, b)
	}
	// -R -D: no random dither, so the same texts give the same files and
	// regenerating the pack changes only what changed.
	cmd = exec.CommandContext(ctx, sox, "-R", "-D", raw, "-r", fmt.Sprint(rate), "-c", "1", "-b", "16", "-e", "signed-integer", dst,
		// Trim leading and trailing silence below 0.1 % of full scale.
		"silence", "1", "0.01", "0.1%", "reverse", "silence", "1", "0.01", "0.1%", "reverse",
		// The same short breath around every clip, and one level for all.
		"pad", "0.03", "0.06", "gain", "-n", "-3")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sox: %w: %s", err, b)
	}
	return nil
}

// espeakVersion returns "eSpeak NG text-to-speech: 1.51" from the output of
// espeak-ng --version, without the host's data path.
func espeakVersion(out []byte) string {
	v, _, _ := strings.Cut(strings.TrimSpace(string(out)), "Data at:")
	return strings.TrimSpace(v)
}
