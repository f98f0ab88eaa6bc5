package audio

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

// testPack returns a complete pack for langs in memory: every clip is a
// short ramp, different for each clip.
func testPack(t *testing.T, f Format, langs ...string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	m := Manifest{Name: "test", Format: SampleFormat, Rate: f.Rate, Channels: 1, Langs: langs, Clips: map[string]string{}}
	n := 0
	for _, l := range langs {
		for id := range ClipTexts(l) {
			n++
			m.Clips[id] = id + ".wav"
			fsys[id+".wav"] = &fstest.MapFile{Data: ramp(f, n*100, 10+n).WAV()}
		}
	}
	fsys[ManifestFile] = &fstest.MapFile{Data: m.JSON()}
	return fsys
}

// edit changes the manifest of fsys.
func edit(t *testing.T, fsys fstest.MapFS, change func(m *Manifest)) {
	t.Helper()
	var m Manifest
	require.NoError(t, json.Unmarshal(fsys[ManifestFile].Data, &m))
	change(&m)
	fsys[ManifestFile] = &fstest.MapFile{Data: m.JSON()}
}

func TestLoadPack(t *testing.T) {
	p, err := LoadPack(testPack(t, mono16k, "uk", "en"), "en")
	require.NoError(t, err)
	require.Equal(t, mono16k, p.Format())
	require.Equal(t, []string{"uk", "en"}, p.Langs())
	require.Equal(t, `clip pack "test" (uk+en, 16000 Hz, 16-bit, mono, 156 clips)`, p.String())

	ph, err := Announce("uk", "А023", "5", Window)
	require.NoError(t, err)
	got, err := p.Say(ph.Clips)
	require.NoError(t, err)
	var want []byte
	for i, id := range ph.Clips {
		c, ok := p.Clip(id)
		require.True(t, ok)
		if id == "uk/word/vikno" {
			want = append(want, Silence(mono16k, CounterPause).Data...)
		}
		if i == 2 { // talon, a: the letter, then the number
			want = append(want, Silence(mono16k, LetterPause).Data...)
		}
		want = append(want, c.Data...)
	}
	require.Equal(t, want, got.Data)

	_, err = p.Say([]string{"uk/word/talon", "uk/word/nope"})
	require.ErrorIs(t, err, ErrNoClip)
	require.EqualError(t, err, `audio: no such clip in the pack: "uk/word/nope"`)
}

func TestLoadPackErrors(t *testing.T) {
	tests := []struct {
		name    string
		langs   []string // asked of LoadPack
		breakIt func(t *testing.T, fsys fstest.MapFS)
		msgs    []string
	}{
		{"no manifest", nil, func(t *testing.T, fsys fstest.MapFS) { delete(fsys, ManifestFile) },
			[]string{"audio: bad clip pack: open manifest.json: file does not exist"}},
		{"bad json", nil, func(t *testing.T, fsys fstest.MapFS) { fsys[ManifestFile].Data = []byte("{") },
			[]string{"audio: bad clip pack: manifest.json: unexpected end of JSON input"}},
		{"format", nil, func(t *testing.T, fsys fstest.MapFS) {
			edit(t, fsys, func(m *Manifest) { m.Format, m.Channels = "mp3", 2 })
		}, []string{
			`audio: bad clip pack: manifest.json: format "mp3" (want "pcm_s16le")`,
			"audio: bad clip pack: manifest.json: audio: unsupported sample format: 16000 Hz, 16-bit, 2 channels (want 16-bit mono PCM)",
		}},
		{"language not in the pack", []string{"en"}, func(t *testing.T, fsys fstest.MapFS) {
			edit(t, fsys, func(m *Manifest) { m.Langs = []string{"uk", "ua"} })
		}, []string{
			`audio: bad clip pack: manifest.json: audio: unsupported language "ua" (want one of uk, en)`,
			`audio: bad clip pack: the pack does not speak "en" (it has uk, ua)`,
		}},
		{"missing clip and file", nil, func(t *testing.T, fsys fstest.MapFS) {
			edit(t, fsys, func(m *Manifest) { delete(m.Clips, "uk/num/90") })
			delete(fsys, "en/letter/zh.wav")
		}, []string{
			"audio: bad clip pack: clip en/letter/zh: open en/letter/zh.wav: file does not exist",
			`audio: bad clip pack: clip uk/num/90 ("дев'яносто") is missing`,
		}},
		{"escaping path", nil, func(t *testing.T, fsys fstest.MapFS) {
			edit(t, fsys, func(m *Manifest) { m.Clips["uk/num/5"] = "../../etc/passwd.wav"; m.Clips["Bad Id"] = "x.wav" })
		}, []string{
			`audio: bad clip pack: clip id "Bad Id": want lowercase ASCII words separated by /`,
			`audio: bad clip pack: clip uk/num/5: file "../../etc/passwd.wav": want a relative slash-separated path to a .wav inside the pack`,
		}},
		{"mixed rates", nil, func(t *testing.T, fsys fstest.MapFS) {
			fsys["uk/num/7.wav"].Data = ramp(Format{Rate: 22050, Channels: 1, Bits: 16}, 0, 10).WAV()
		}, []string{"audio: bad clip pack: clip uk/num/7: uk/num/7.wav is 22050 Hz, 16-bit, mono, the manifest says 16000 Hz, 16-bit, mono"}},
		{"no samples", nil, func(t *testing.T, fsys fstest.MapFS) {
			fsys["uk/num/7.wav"].Data = Clip{Format: mono16k}.WAV() // the 44-byte header alone
		}, []string{"audio: bad clip pack: clip uk/num/7: uk/num/7.wav has no samples"}},
		{"not a wav", nil, func(t *testing.T, fsys fstest.MapFS) {
			fsys["en/word/room.wav"].Data = []byte("ID3 mp3 data")
		}, []string{"audio: bad clip pack: clip en/word/room: en/word/room.wav: audio: bad WAV file: no RIFF WAVE header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := testPack(t, mono16k, "uk", "en")
			tt.breakIt(t, fsys)
			p, err := LoadPack(fsys, tt.langs...)
			require.Nil(t, p)
			require.ErrorIs(t, err, ErrPack)
			require.Equal(t, strings.Join(tt.msgs, "\n"), err.Error())
		})
	}
}

func TestLoadPackOneLanguage(t *testing.T) {
	// An English-only pack is complete without any uk clip, and refuses uk.
	fsys := testPack(t, mono16k, "en")
	_, err := LoadPack(fsys)
	require.NoError(t, err)
	_, err = LoadPack(fsys, "uk")
	require.ErrorIs(t, err, ErrPack)
}

// TestRender checks the layout of an announcement: the chime, a pause, the
// phrases with a pause between them.
func TestRender(t *testing.T) {
	p, err := LoadPack(testPack(t, mono16k, "uk", "en"))
	require.NoError(t, err)
	uk, _ := Announce("uk", "Б7", "2", Window)
	en, _ := Announce("en", "Б7", "2", Window)
	got, err := p.Render(uk.Clips, en.Clips)
	require.NoError(t, err)

	parts := []Clip{Chime(mono16k), Silence(mono16k, ChimePause)}
	for i, ph := range [][]string{uk.Clips, en.Clips} {
		if i > 0 {
			parts = append(parts, Silence(mono16k, LangPause))
		}
		for j, id := range ph {
			c, _ := p.Clip(id)
			if id == "uk/word/vikno" || id == "en/word/window" {
				parts = append(parts, Silence(mono16k, CounterPause))
			}
			if j == 2 { // Б, then 7
				parts = append(parts, Silence(mono16k, LetterPause))
			}
			parts = append(parts, c)
		}
	}
	want, err := Concat(parts...)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// A call pauses after the letters of the ticket's number, before its
// digits, in each language: «Талон А один» is not «талона один».
func TestSayPausesAfterTheLetters(t *testing.T) {
	p, err := LoadPack(testPack(t, mono16k, "uk", "en"))
	require.NoError(t, err)
	clip := func(id string) []byte { c, _ := p.Clip(id); return c.Data }
	gap := Silence(mono16k, LetterPause).Data
	require.Len(t, gap, 2400*2, "150 ms at 16 kHz")
	for _, lang := range []string{"uk", "en"} {
		ph, err := Announce(lang, "МП1", "5", Window)
		require.NoError(t, err)
		got, err := p.Say(ph.Clips[:4]) // ticket, М, П, 1
		require.NoError(t, err)
		require.Equal(t, slices.Concat(clip(ph.Clips[0]), clip(lang+"/letter/m"), clip(lang+"/letter/p"), gap, clip(ph.Clips[3])), got.Data, lang)
	}
}

// A call pauses at its comma, before the word of the counter, in each
// language and for both kinds; the text is the same.
func TestSayPausesAtTheComma(t *testing.T) {
	p, err := LoadPack(testPack(t, mono16k, "uk", "en"))
	require.NoError(t, err)
	for _, lang := range []string{"uk", "en"} {
		for _, kind := range []CounterKind{Window, Cabinet} {
			ph, err := Announce(lang, "А023", "5", kind)
			require.NoError(t, err)
			require.Equal(t, 1, strings.Count(ph.Text, ", "), "the text keeps its one comma: %s", ph.Text)
			got, err := p.Say(ph.Clips)
			require.NoError(t, err)
			var before, after []byte // the clips up to the number of the ticket, from the counter word on
			word := kindClips[lang][kind]
			at := slices.Index(ph.Clips, word)
			require.Positive(t, at, "%s %s", lang, kind)
			for i, id := range ph.Clips {
				c, _ := p.Clip(id)
				if i == 2 { // the letter's pause
					before = append(before, Silence(mono16k, LetterPause).Data...)
				}
				if i < at {
					before = append(before, c.Data...)
				} else {
					after = append(after, c.Data...)
				}
			}
			gap := Silence(mono16k, CounterPause).Data
			require.Len(t, gap, 4000*2, "250 ms at 16 kHz")
			require.Equal(t, slices.Concat(before, gap, after), got.Data, "%s %s", lang, kind)
		}
	}
	// A phrase that starts with the word has no pause before it.
	got, err := p.Say([]string{"uk/word/vikno"})
	require.NoError(t, err)
	c, _ := p.Clip("uk/word/vikno")
	require.Equal(t, c.Data, got.Data)
}
