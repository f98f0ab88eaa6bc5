// Command mkvoice generates a clip pack with espeak-ng and sox: one WAV file
// per clip id of audio.ClipTexts, and the manifest. scripts/voice.sh (make
// voice) runs it to rebuild the default pack in audio/voice/pack:
//
//	go run ./audio/cmd/mkvoice -out audio/voice/pack
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

// stress corrects the words espeak-ng 1.51 says wrongly in Ukrainian (it
// says ТАлон, ВІКно, тиСЯчі, деВ'Яносто, поФторно, м'Який знак as the
// Russian мЯгкий, the letter Щ as the Russian one, И as І): clip id → the
// text it fixes and the espeak-ng phonemes to say instead, [[...]] input
// with ' before the stressed vowel of each word. The letters І, И and У,
// a bare vowel each, it says too short to be heard in a hall (45 to 100
// ms of sound): they are said long (: after the vowel), as long as А, Е
// and О at least. ukPhonemes corrects these too. A fix whose text no
// longer matches ClipTexts is not used, and mkvoice says so.
var stress = map[string]struct{ text, phonemes string }{
	"uk/word/talon":    {"талон", "tal'on"},
	"uk/word/vikno":    {"вікно", "vikn'o"},
	"uk/word/povtorno": {"повторно", "powt'orno"},
	"uk/word/tysiacha": {"тисяча", "t'isjatSa"},
	"uk/word/tysiachi": {"тисячі", "t'isjatSi"},
	"uk/word/tysiach":  {"тисяч", "t'isjatS"},
	"uk/num/1":         {"один", "od'in"},
	"uk/num/40":        {"сорок", "s'orok"},
	"uk/num/80":        {"вісімдесят", "visimdis'jat"},
	"uk/num/90":        {"дев'яносто", "divjan'osto"},
	"uk/letter/shch":   {"ща", "StS'A"},
	"uk/letter/y":      {"и", "'I:"},
	"uk/letter/i":      {"і", "'i:"},
	"uk/letter/u":      {"у", "'u:"},
	"uk/letter/soft":   {"знак м'якшення", "zn'Ak mj'akSEnnja"}, // м'Якшення, not м'якшЕння
	// The alert's sentences: пройдІть, найблИжчого, укриттЯ, відбІй, прийОм, and
	// відновлЕно with its е (espeak-ng says и, and о for the last).
	"uk/phrase/go_to_shelter":   {"Пройдіть до найближчого укриття.", "p@-rojd'it; d'o najbl'IStSoho uk@-ritt'ja"},
	"uk/phrase/all_clear":       {"Відбій тривоги.", "vidb'ij t@-riv'ohi"},
	"uk/phrase/service_resumes": {"Прийом відновлено.", "p@-rij'om vidn'ovleno"},
}

// ukPhonemes corrects what espeak-ng 1.51 makes of Ukrainian as Russian,
// in its phonemes ph of text: an unstressed о stays [o] (V is Russian
// akanye), ч is hard (tS, not tS;), and a final ть is soft (t;: п'ять, not
// п'ят). Hard ч and soft т are what tell Ukrainian from Russian by ear.
func ukPhonemes(text, ph string) string {
	ph = strings.ReplaceAll(ph, "V", "o")
	ph = strings.ReplaceAll(ph, "tS;", "tS")
	if strings.HasSuffix(text, "ть") && strings.HasSuffix(ph, "t") {
		ph += ";"
	}
	return ph
}

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
			say := texts[id]
			if l == "uk" {
				ph, err := phonemes(ctx, espeak, voices[l], say)
				if err != nil {
					return err
				}
				if fix, ok := stress[id]; ok {
					if fix.text == say {
						ph = fix.phonemes
					} else {
						fmt.Fprintf(os.Stderr, "mkvoice: %s is now %q, not %q: its stress fix is not used\n", id, say, fix.text)
					}
				}
				say = "[[" + ukPhonemes(texts[id], ph) + "]]"
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

// textsSum is the SHA-256 of what a pack of langs is made from: each
// clip's id and text, with the stress fix said for it, in order.
func textsSum(langs []string) string {
	h := sha256.New()
	for _, l := range langs {
		texts := audio.ClipTexts(l)
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			fmt.Fprintf(h, "%s\t%s\t%s\n", id, texts[id], stress[id].phonemes)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// phonemes is what espeak-ng would say for text, in its phoneme mnemonics.
func phonemes(ctx context.Context, espeak, voice, text string) (string, error) {
	b, err := exec.CommandContext(ctx, espeak, "-v", voice, "-q", "-x", "--", text).Output()
	if err != nil {
		return "", fmt.Errorf("espeak-ng -x %q: %w", text, err)
	}
	return strings.TrimSpace(string(b)), nil
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
