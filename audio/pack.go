package audio

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ManifestFile is the name of the manifest at the root of a clip pack.
const ManifestFile = "manifest.json"

// SampleFormat is the only Manifest.Format: linear PCM, 16-bit signed,
// little-endian.
const SampleFormat = "pcm_s16le"

// ChimeClip is the optional clip id of a pack's own chime; without it the
// pack plays the synthesized Chime.
const ChimeClip = "chime"

// Pauses of an announcement, see Pack.Render.
const (
	// ChimePause separates the chime from the first phrase.
	ChimePause = 300 * time.Millisecond
	// LangPause separates the phrases of one call in two languages.
	LangPause = 700 * time.Millisecond
	// CounterPause comes before the counter word, where the text has its
	// comma («Талон А двадцять три, вікно п'ять»): the clips alone are
	// joined with only the silence at their ends, and in a hall that
	// echoes the ticket's number would run into the counter's.
	CounterPause = 250 * time.Millisecond
	// LetterPause follows the letters of a ticket's number, before its
	// digits: a letter is a fifth of a second of sound, and joined with
	// only the silence at the clips' ends «Талон А один» is heard as
	// «талона один» (and А is also a word), Б as П.
	LetterPause = 150 * time.Millisecond
)

// IsLetter reports whether clip id is a letter of a ticket's number
// ("uk/letter/a").
func IsLetter(id string) bool { return strings.Contains(id, "/letter/") }

// counterWords are the clip ids CounterPause comes before.
var counterWords = func() map[string]bool {
	m := map[string]bool{}
	for _, ids := range kindClips {
		for _, id := range ids {
			m[id] = true
		}
	}
	return m
}()

// Manifest is manifest.json, the index of a clip pack:
//
//	{
//	  "name": "espeak-ng uk+en",
//	  "format": "pcm_s16le", "rate": 16000, "channels": 1,
//	  "langs": ["uk", "en"],
//	  "clips": {"uk/word/talon": "uk/word/talon.wav", ...}
//	}
type Manifest struct {
	// Name says where the voice comes from, for logs.
	Name string `json:"name"`
	// Format is SampleFormat.
	Format string `json:"format"`
	// Rate is the sample rate of every clip, in Hz.
	Rate int `json:"rate"`
	// Channels is 1.
	Channels int `json:"channels"`
	// Langs are the languages the pack speaks: every clip ClipTexts lists for
	// them must be in Clips.
	Langs []string `json:"langs"`
	// Clips maps a clip id to its WAV file, a slash-separated path relative
	// to the manifest. Clips may hold more than ClipTexts lists (ChimeClip,
	// a recorded voice's variants).
	Clips map[string]string `json:"clips"`
	// Generator records how the pack was made, for the curious.
	Generator string `json:"generator,omitempty"`
	// Texts is the SHA-256 of the clip texts a generated pack was made
	// from (audio/cmd/mkvoice): the default pack's test fails when a text
	// changed since without make voice. Empty for a recorded pack.
	Texts string `json:"texts,omitempty"`
}

// JSON returns the manifest as indented JSON with sorted keys.
func (m Manifest) JSON() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic("audio: " + err.Error()) // strings, ints and maps of strings always encode
	}
	return append(b, '\n')
}

// Pack is a loaded clip pack: every clip in memory, in one format.
// A Pack is immutable and safe for concurrent use.
type Pack struct {
	manifest Manifest
	format   Format
	clips    map[string]Clip
}

// clipIDRe is the shape of clip ids (see the package doc); ChimeClip and
// other ids without a language are allowed too.
var clipIDRe = regexp.MustCompile(`^[a-z0-9_]+(/[a-z0-9_]+)*$`)

// maxPackErrors bounds the problems LoadPack reports: a pack in the wrong
// format would otherwise list every clip.
const maxPackErrors = 20

// LoadPack reads the clip pack at the root of fsys (os.DirFS(dir), or an
// embedded pack) and checks it whole: the manifest is valid, every file
// exists and is a 16-bit mono PCM WAV at the manifest's rate with at least
// one sample, and every clip that Announce can emit for the manifest's
// languages is present. langs, when given, must be a subset of the
// manifest's languages (the ones the announcer will play). The error joins
// every problem found, each wrapping ErrPack.
func LoadPack(fsys fs.FS, langs ...string) (*Pack, error) {
	b, err := fs.ReadFile(fsys, ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPack, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrPack, ManifestFile, err)
	}
	var errs []error
	bad := func(format string, args ...any) {
		if len(errs) < maxPackErrors {
			errs = append(errs, fmt.Errorf("%w: %s", ErrPack, fmt.Sprintf(format, args...)))
		}
	}
	f := Format{Rate: m.Rate, Channels: m.Channels, Bits: 16}
	if m.Format != SampleFormat {
		bad("%s: format %q (want %q)", ManifestFile, m.Format, SampleFormat)
	}
	if err := f.check(); err != nil {
		bad("%s: %v", ManifestFile, err)
	}
	if len(m.Langs) == 0 {
		bad("%s: no langs", ManifestFile)
	}
	for _, l := range m.Langs {
		if err := checkLang(l); err != nil {
			bad("%s: %v", ManifestFile, err)
		}
	}
	for _, l := range langs {
		if !slices.Contains(m.Langs, l) {
			bad("the pack does not speak %q (it has %s)", l, strings.Join(m.Langs, ", "))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	p := &Pack{manifest: m, format: f, clips: make(map[string]Clip, len(m.Clips))}
	for _, id := range slices.Sorted(maps.Keys(m.Clips)) {
		file := m.Clips[id]
		if !clipIDRe.MatchString(id) {
			bad("clip id %q: want lowercase ASCII words separated by /", id)
			continue
		}
		if !fs.ValidPath(file) || path.Ext(file) != ".wav" {
			bad("clip %s: file %q: want a relative slash-separated path to a .wav inside the pack", id, file)
			continue
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			bad("clip %s: %v", id, err)
			continue
		}
		c, err := ParseWAV(b)
		if err != nil {
			bad("clip %s: %s: %v", id, file, err)
			continue
		}
		if c.Format != f {
			bad("clip %s: %s is %s, the manifest says %s", id, file, c.Format, f)
			continue
		}
		if c.Duration() == 0 {
			// A word said as nothing: the call would skip it unheard.
			bad("clip %s: %s has no samples", id, file)
			continue
		}
		p.clips[id] = c
	}
	for _, l := range m.Langs {
		for _, id := range slices.Sorted(maps.Keys(clipTexts[l])) {
			if _, ok := m.Clips[id]; !ok && !optionalClips[id] {
				bad("clip %s (%q) is missing", id, clipTexts[l][id])
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// Manifest returns a copy of the pack's manifest.
func (p *Pack) Manifest() Manifest {
	m := p.manifest
	m.Langs = slices.Clone(m.Langs)
	m.Clips = maps.Clone(m.Clips)
	return m
}

// Format is the sample format of every clip of the pack.
func (p *Pack) Format() Format { return p.format }

// Langs are the languages the pack speaks.
func (p *Pack) Langs() []string { return slices.Clone(p.manifest.Langs) }

// Clip returns the clip with that id.
func (p *Pack) Clip(id string) (Clip, bool) {
	c, ok := p.clips[id]
	return c, ok
}

// Chime returns the pack's ChimeClip, or the synthesized Chime at the
// pack's rate.
func (p *Pack) Chime() Clip {
	if c, ok := p.clips[ChimeClip]; ok {
		return c
	}
	return Chime(p.format)
}

// Say returns the clips back to back, with LetterPause after the letters of
// the ticket's number and CounterPause before the word of the counter
// (вікно, кабінет, counter, room) unless it comes first, or ErrNoClip naming
// the first id the pack lacks.
func (p *Pack) Say(clips []string) (Clip, error) {
	cs := make([]Clip, 0, len(clips))
	prev := ""
	for _, id := range clips {
		c, ok := p.clips[id]
		switch {
		case !ok && optionalClips[id]:
			continue // a pack recorded before the clip existed
		case !ok:
			return Clip{}, fmt.Errorf("%w: %q", ErrNoClip, id)
		}
		switch {
		case counterWords[id] && len(cs) > 0:
			cs = append(cs, Silence(p.format, CounterPause))
		case IsLetter(prev) && !IsLetter(id):
			cs = append(cs, Silence(p.format, LetterPause))
		}
		cs = append(cs, c)
		prev = id
	}
	if len(cs) == 0 {
		return Clip{Format: p.format}, nil
	}
	return Concat(cs...)
}

// optionalClips were added after packs were first recorded: a pack without
// them still loads, and a phrase is said without them («Повторно» before a
// recall, "and" in "one hundred and one"); a notice of the alert without its
// clips is the chime alone (Announcer logs it).
var optionalClips = func() map[string]bool {
	m := map[string]bool{"uk/word/povtorno": true, "en/word/again": true, "en/word/and": true}
	for lang, texts := range noticeTexts {
		for id := range texts {
			m[lang+"/"+id] = true
		}
	}
	return m
}()

// Render returns one announcement: the chime, ChimePause of silence, then
// each phrase (a list of clip ids, one per language, said as Say says it,
// with LetterPause after the letters, CounterPause at its comma) with
// LangPause between them. It returns ErrNoClip for a clip the pack lacks.
func (p *Pack) Render(phrases ...[]string) (Clip, error) {
	parts := []Clip{p.Chime(), Silence(p.format, ChimePause)}
	for i, ph := range phrases {
		if i > 0 {
			parts = append(parts, Silence(p.format, LangPause))
		}
		c, err := p.Say(ph)
		if err != nil {
			return Clip{}, err
		}
		parts = append(parts, c)
	}
	return Concat(parts...)
}

// String returns the pack's name and format.
func (p *Pack) String() string {
	return fmt.Sprintf("clip pack %q (%s, %s, %d clips)", p.manifest.Name,
		strings.Join(p.manifest.Langs, "+"), p.format, len(p.clips))
}
