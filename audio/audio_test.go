package audio

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

func TestAnnounce(t *testing.T) {
	tests := []struct {
		lang, label, counter string
		kind                 CounterKind
		text                 string
	}{
		{"uk", "А023", "5", Window, "Талон А двадцять три, вікно пʼять"},
		{"en", "А023", "5", Window, "Ticket A twenty-three, counter five"},
		{"uk", "Б9", "12", Cabinet, "Талон Б девʼять, кабінет дванадцять"},
		{"en", "Б9", "12", Cabinet, "Ticket B nine, room twelve"},
		{"uk", "а023", "05", Window, "Талон А двадцять три, вікно пʼять"},
		{"uk", "15", "1", Window, "Талон пʼятнадцять, вікно один"},
		{"en", "15", "1", Window, "Ticket fifteen, counter one"},
		{"uk", "АБ007", "2", Window, "Талон АБ сім, вікно два"},
		{"en", "ЖА007", "2", Window, "Ticket Zh A seven, counter two"},
		{"uk", "Ї000", "3", Window, "Талон Ї нуль, вікно три"},
		{"uk", "Ґ2000", "21", Cabinet, "Талон Ґ дві тисячі, кабінет двадцять один"},
		{"uk", "Щ1001", "9999", Window, "Талон Щ тисяча один, вікно девʼять тисяч девʼятсот девʼяносто девʼять"},
		{"en", "Щ1001", "9999", Window, "Ticket Shch one thousand and one, counter nine thousand nine hundred and ninety-nine"},
		{"uk", "Ь5", "5", Window, "Талон Ь пʼять, вікно пʼять"},
		{"en", "Ь5", "5", Window, "Ticket soft sign five, counter five"},
	}
	var out strings.Builder
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.label+"/"+tt.counter, func(t *testing.T) {
			p, err := Announce(tt.lang, tt.label, tt.counter, tt.kind)
			require.NoError(t, err)
			require.Equal(t, tt.lang, p.Lang)
			require.Equal(t, tt.text, p.Text)
			checkPhrase(t, p)
			fmt.Fprintf(&out, "%s %q %q %s\n\t%s\n\t%s\n", tt.lang, tt.label, tt.counter, tt.kind,
				p.Text, strings.Join(p.Clips, " "))
		})
	}
	testkit.Golden(t, "announce.golden", []byte(out.String()))
}

func TestAnnounceClips(t *testing.T) {
	p, err := Announce("uk", "А023", "5", Window)
	require.NoError(t, err)
	require.Equal(t, []string{"uk/word/talon", "uk/letter/a", "uk/num/20", "uk/num/3", "uk/word/vikno", "uk/num/5"}, p.Clips)

	p, err = Announce("en", "ЖА2023", "12", Cabinet)
	require.NoError(t, err)
	require.Equal(t, []string{"en/word/ticket", "en/letter/zh", "en/letter/a", "en/num/2", "en/word/thousand",
		"en/word/and", "en/num/20", "en/num/3", "en/word/room", "en/num/12"}, p.Clips)
}

// A recall says so first, in both languages.
func TestAnnounceRecall(t *testing.T) {
	p, err := AnnounceRecall("uk", "А023", "5", Window)
	require.NoError(t, err)
	require.Equal(t, "Повторно: талон А двадцять три, вікно пʼять", p.Text)
	require.Equal(t, []string{"uk/word/povtorno", "uk/word/talon", "uk/letter/a", "uk/num/20", "uk/num/3", "uk/word/vikno", "uk/num/5"}, p.Clips)
	checkPhrase(t, p)
	p, err = AnnounceRecall("en", "А023", "5", Window)
	require.NoError(t, err)
	require.Equal(t, "Calling again: ticket A twenty-three, counter five", p.Text)
	require.Equal(t, "en/word/again", p.Clips[0])
	checkPhrase(t, p)
	_, err = AnnounceRecall("uk", "А023", "x", Window)
	require.ErrorIs(t, err, ErrCounter)
}

func TestAnnounceErrors(t *testing.T) {
	tests := []struct {
		name, lang, label, counter string
		kind                       CounterKind
		want                       error
		msg                        string
	}{
		{"latin A", "uk", "A023", "5", Window, ErrLabel, `audio: bad ticket label "A023": 'A' (U+0041) is not a Ukrainian letter`},
		{"russian Ы", "uk", "Ы1", "5", Window, ErrLabel, `audio: bad ticket label "Ы1": 'Ы' (U+042B) is not a Ukrainian letter`},
		{"russian Ё", "en", "Ё1", "5", Window, ErrLabel, `audio: bad ticket label "Ё1": 'Ё' (U+0401) is not a Ukrainian letter`},
		{"three letters", "uk", "АБВ1", "5", Window, ErrLabel, `audio: bad ticket label "АБВ1": more than 2 letters`},
		{"letters only", "uk", "А", "5", Window, ErrLabel, `audio: bad ticket label "А": no digits`},
		{"empty", "uk", "", "5", Window, ErrLabel, `audio: bad ticket label "": no digits`},
		{"space", "uk", "А 23", "5", Window, ErrLabel, `audio: bad ticket label "А 23": unexpected ' ' (U+0020)`},
		{"letter after digits", "uk", "А23Б", "5", Window, ErrLabel, `audio: bad ticket label "А23Б": 'Б' (U+0411) is not a digit`},
		{"too big", "uk", "А10000", "5", Window, ErrLabel, `audio: bad ticket label "А10000": number above 9999`},
		{"too long", "uk", strings.Repeat("0", 17), "5", Window, ErrLabel, `audio: bad ticket label: longer than 16 characters`},
		{"bad utf-8", "uk", "А\xff1", "5", Window, ErrLabel, `audio: bad ticket label: not valid UTF-8`},
		{"counter name", "uk", "А1", "reception", Window, ErrCounter, `audio: bad counter "reception": 'r' (U+0072) is not a digit`},
		{"counter letter", "uk", "А1", "5а", Window, ErrCounter, `audio: bad counter "5а": 'а' (U+0430) is not a digit`},
		{"counter empty", "uk", "А1", "", Window, ErrCounter, `audio: bad counter "": no digits`},
		{"counter negative", "uk", "А1", "-1", Window, ErrCounter, `audio: bad counter "-1": '-' (U+002D) is not a digit`},
		{"counter too big", "en", "А1", "10000", Window, ErrCounter, `audio: bad counter "10000": number above 9999`},
		{"kind", "uk", "А1", "5", CounterKind(7), ErrCounterKind, `audio: unknown counter kind 7`},
		{"lang", "ua", "А1", "5", Window, ErrLang, `audio: unsupported language "ua" (want one of uk, en)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Announce(tt.lang, tt.label, tt.counter, tt.kind)
			require.ErrorIs(t, err, tt.want)
			require.EqualError(t, err, tt.msg)
			require.Zero(t, p)
		})
	}
}

// TestAnnounceEveryLabel says every label with a one-letter prefix А..Я and a
// number 0..9999, in both languages, and checks that each clip is in the pack
// and that the clips say exactly the text.
func TestAnnounceEveryLabel(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 97
	}
	for _, lang := range Langs {
		t.Run(lang, func(t *testing.T) {
			texts := ClipTexts(lang)
			for _, l := range letters {
				for n := 0; n <= MaxNumber; n += step {
					label := fmt.Sprintf("%c%03d", l.r, n)
					p, err := Announce(lang, label, "5", Window)
					if err != nil {
						t.Fatal(err)
					}
					checkPhraseWith(t, p, texts)
				}
			}
			// Counters and the prefixes without letters or with two letters.
			for n := 0; n <= MaxNumber; n += step {
				p, err := Announce(lang, fmt.Sprint(n), fmt.Sprint(n), Cabinet)
				require.NoError(t, err, n)
				checkPhraseWith(t, p, texts)
			}
			for _, a := range letters {
				for _, b := range letters {
					p, err := Announce(lang, string([]rune{a.r, b.r, '1'}), "1", Window)
					require.NoError(t, err)
					checkPhraseWith(t, p, texts)
				}
			}
		})
	}
}

// punctuation is what the text has and the clips do not say.
var punctuation = strings.NewReplacer(",", "", ":", "", "-", " ", "ʼ", "'") // the clips were made from the ASCII apostrophe

// letterByID indexes letters by their clip id.
var letterByID = func() map[string]letter {
	m := map[string]letter{}
	for _, l := range letters {
		m[l.id] = l
	}
	return m
}()

func checkPhrase(t *testing.T, p Phrase) {
	t.Helper()
	checkPhraseWith(t, p, ClipTexts(p.Lang))
}

// checkPhraseWith rebuilds the text from the clips and compares it with
// p.Text, ignoring case, commas and hyphens. A letter clip stands for the
// letter as written (А, Zh), its ClipTexts entry for the letter as said.
func checkPhraseWith(t *testing.T, p Phrase, texts map[string]string) {
	t.Helper()
	var words []string
	prevLetter := false
	for _, clip := range p.Clips {
		text, ok := texts[clip]
		if !ok {
			t.Fatalf("clip %s of %q is missing from ClipTexts", clip, p.Text)
		}
		id, isLetter := strings.CutPrefix(clip, p.Lang+"/letter/")
		if !isLetter {
			words = append(words, text)
			prevLetter = false
			continue
		}
		l := letterByID[id]
		written := l.en
		if p.Lang == "uk" {
			written = string(l.r)
		}
		if prevLetter && p.Lang == "uk" {
			words[len(words)-1] += written
		} else {
			words = append(words, written)
		}
		prevLetter = true
	}
	norm := punctuation.Replace(p.Text)
	if got := strings.Join(words, " "); !strings.EqualFold(got, norm) {
		require.Equal(t, norm, got, "clips do not say the text")
	}
}

func TestClipTexts(t *testing.T) {
	uk := ClipTexts("uk")
	require.Equal(t, "бе", uk["uk/letter/b"])
	require.Equal(t, "йот", uk["uk/letter/j"])
	require.Equal(t, "знак м'якшення", uk["uk/letter/soft"])
	require.Equal(t, "дев'яносто", uk["uk/num/90"])
	require.Equal(t, "дві", uk["uk/num/2f"])
	en := ClipTexts("en")
	require.Equal(t, "S H C H", en["en/letter/shch"])
	require.Nil(t, ClipTexts("ua"))

	uk["uk/num/5"] = "changed"
	require.Equal(t, "п'ять", ClipTexts("uk")["uk/num/5"], "ClipTexts returns a copy")

	var out strings.Builder
	for _, lang := range Langs {
		texts := ClipTexts(lang)
		for _, id := range slices.Sorted(maps.Keys(texts)) {
			require.Regexp(t, `^[a-z]+/(word|letter|num|phrase)/[a-z0-9_]+$`, id)
			require.True(t, strings.HasPrefix(id, lang+"/"), id)
			require.NotContains(t, texts[id], "’", "%s: use the ASCII apostrophe", id)
			fmt.Fprintf(&out, "%s\t%s\n", id, texts[id])
		}
	}
	testkit.Golden(t, "clips.golden", []byte(out.String()))
}

func TestCounterKind(t *testing.T) {
	tests := []struct {
		in   string
		want CounterKind
		err  error
	}{
		{"window", Window, nil},
		{"cabinet", Cabinet, nil},
		{"Window", 0, ErrCounterKind},
		{"desk", 0, ErrCounterKind},
		{"", 0, ErrCounterKind},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			k, err := ParseCounterKind(tt.in)
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.ErrorContains(t, err, "audio: ")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, k)
			require.Equal(t, tt.in, k.String())
		})
	}

	var cfg struct {
		Kind CounterKind `json:"kind"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"kind":"cabinet"}`), &cfg))
	require.Equal(t, Cabinet, cfg.Kind)
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.JSONEq(t, `{"kind":"cabinet"}`, string(b))
	require.ErrorIs(t, json.Unmarshal([]byte(`{"kind":"desk"}`), &cfg), ErrCounterKind)
	_, err = CounterKind(9).MarshalText()
	require.ErrorIs(t, err, ErrCounterKind)
	require.Equal(t, "CounterKind(9)", CounterKind(9).String())

	// Its word, as the announcement says it.
	require.Equal(t, "вікно", Window.Word("uk"))
	require.Equal(t, "counter", Window.Word("en"))
	require.Equal(t, "кабінет", Cabinet.Word("uk"))
	require.Equal(t, "room", Cabinet.Word("en"))
	require.Empty(t, Window.Word("de"))
	require.Empty(t, CounterKind(9).Word("uk"))
}

func TestPhraseJSON(t *testing.T) {
	p, err := Announce("uk", "А023", "5", Window)
	require.NoError(t, err)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	require.JSONEq(t, `{"lang":"uk","text":"Талон А двадцять три, вікно пʼять",
		"clips":["uk/word/talon","uk/letter/a","uk/num/20","uk/num/3","uk/word/vikno","uk/num/5"]}`, string(b))
}

// FuzzAnnounce feeds labels and counters as they could arrive in an MQTT
// payload: any input gives a phrase whose clips are all in the pack, or a
// sentinel error.
func FuzzAnnounce(f *testing.F) {
	for _, s := range [][2]string{{"А023", "5"}, {"A023", "5"}, {"ЩЬ9999", "0009"}, {"", ""}, {"Ґ\xff", "1"}} {
		f.Add(s[0], s[1])
	}
	texts := map[string]map[string]string{}
	for _, lang := range Langs {
		texts[lang] = ClipTexts(lang)
	}
	f.Fuzz(func(t *testing.T, label, counter string) {
		for _, lang := range Langs {
			p, err := Announce(lang, label, counter, Cabinet)
			if err != nil {
				require.True(t, strings.HasPrefix(err.Error(), "audio: "), err.Error())
				require.True(t, errorsIsAny(err, ErrLabel, ErrCounter), err.Error())
				continue
			}
			checkPhraseWith(t, p, texts[lang])
		}
	})
}

func errorsIsAny(err error, targets ...error) bool {
	return slices.ContainsFunc(targets, func(target error) bool { return errors.Is(err, target) })
}

// The notices of an air-raid alert, as said and as written: a clip a
// sentence, the text the sentences joined.
func TestAnnounceNotice(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		n     Notice
		text  string
		clips []string
	}{
		{"uk", AlertNotice, "Увага! Повітряна тривога. Пройдіть до найближчого укриття.", []string{"uk/phrase/attention", "uk/phrase/air_raid_alert", "uk/phrase/go_to_shelter"}},
		{"en", AlertNotice, "Attention! Air-raid alert. Please proceed to the nearest shelter.", []string{"en/phrase/attention", "en/phrase/air_raid_alert", "en/phrase/go_to_shelter"}},
		{"uk", AllClearNotice, "Відбій тривоги. Прийом відновлено.", []string{"uk/phrase/all_clear", "uk/phrase/service_resumes"}},
		{"en", AllClearNotice, "All clear. Service has resumed.", []string{"en/phrase/all_clear", "en/phrase/service_resumes"}},
	} {
		p, err := AnnounceNotice(tc.lang, tc.n)
		require.NoError(t, err)
		require.Equal(t, Phrase{Lang: tc.lang, Text: tc.text, Clips: tc.clips}, p)
		for _, id := range p.Clips {
			require.NotEmpty(t, ClipTexts(tc.lang)[id], "%s: a pack is made from ClipTexts", id)
		}
	}
	require.Equal(t, "alert", AlertNotice.String())
	require.Equal(t, "all_clear", AllClearNotice.String())
	_, err := AnnounceNotice("de", AlertNotice)
	require.ErrorIs(t, err, ErrLang)
	_, err = AnnounceNotice("uk", Notice(0))
	require.ErrorIs(t, err, ErrNotice)
}

// Every language of Langs has every table a call and a notice are made of:
// a language added to Langs alone would otherwise say another's words, or
// none, and every other test pass.
func TestEveryLanguageSpeaks(t *testing.T) {
	require.Equal(t, "uk", Langs[0], "calls are announced in Ukrainian first")
	for _, lang := range Langs {
		texts := ClipTexts(lang)
		require.NotEmpty(t, texts, "%s: no clipTexts", lang)
		kinds, ok := kindClips[lang]
		require.True(t, ok, "%s: no kindClips", lang)
		for _, id := range kinds {
			require.NotEmpty(t, texts[id], "%s: kindClips' %s says nothing", lang, id)
		}
		for n, ids := range noticeClips {
			p, err := AnnounceNotice(lang, n)
			require.NoError(t, err)
			require.Len(t, p.Clips, len(ids))
			for _, id := range ids {
				require.NotEmpty(t, noticeTexts[lang][id], "%s: noticeTexts has no %s", lang, id)
			}
		}
		for _, say := range []func(string, string, string, CounterKind) (Phrase, error){Announce, AnnounceRecall} {
			for _, label := range []string{"А023", "ЩЬ1001", "Ї2002", "7"} {
				p, err := say(lang, label, "12", Cabinet)
				require.NoError(t, err)
				require.NotEmpty(t, p.Text)
				for _, c := range p.Clips {
					require.True(t, strings.HasPrefix(c, lang+"/"), "%s: %s says %s, another language's clip", lang, label, c)
					require.NotEmpty(t, texts[c], "%s: %s says %s, which ClipTexts has not", lang, label, c)
				}
			}
		}
	}
}
