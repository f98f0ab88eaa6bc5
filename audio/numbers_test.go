package audio

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNumberWords(t *testing.T) {
	tests := []struct {
		n      int
		uk, en string // NumberText; the words are these split at spaces and hyphens
	}{
		{0, "нуль", "zero"},
		{1, "один", "one"},
		{2, "два", "two"},
		{5, "п'ять", "five"},
		{9, "дев'ять", "nine"},
		{10, "десять", "ten"},
		{3, "три", "three"},
		{4, "чотири", "four"},
		{6, "шість", "six"},
		{7, "сім", "seven"},
		{8, "вісім", "eight"},
		{11, "одинадцять", "eleven"},
		{12, "дванадцять", "twelve"},
		{13, "тринадцять", "thirteen"},
		{14, "чотирнадцять", "fourteen"},
		{15, "п'ятнадцять", "fifteen"},
		{16, "шістнадцять", "sixteen"},
		{17, "сімнадцять", "seventeen"},
		{18, "вісімнадцять", "eighteen"},
		{19, "дев'ятнадцять", "nineteen"},
		{20, "двадцять", "twenty"},
		{21, "двадцять один", "twenty-one"},
		{22, "двадцять два", "twenty-two"},
		{23, "двадцять три", "twenty-three"},
		{30, "тридцять", "thirty"},
		{40, "сорок", "forty"},
		{50, "п'ятдесят", "fifty"},
		{59, "п'ятдесят дев'ять", "fifty-nine"},
		{60, "шістдесят", "sixty"},
		{70, "сімдесят", "seventy"},
		{80, "вісімдесят", "eighty"},
		{90, "дев'яносто", "ninety"},
		{99, "дев'яносто дев'ять", "ninety-nine"},
		{100, "сто", "one hundred"},
		{101, "сто один", "one hundred and one"},
		{111, "сто одинадцять", "one hundred and eleven"},
		{112, "сто дванадцять", "one hundred and twelve"},
		{200, "двісті", "two hundred"},
		{300, "триста", "three hundred"},
		{345, "триста сорок п'ять", "three hundred and forty-five"},
		{400, "чотириста", "four hundred"},
		{500, "п'ятсот", "five hundred"},
		{509, "п'ятсот дев'ять", "five hundred and nine"},
		{600, "шістсот", "six hundred"},
		{700, "сімсот", "seven hundred"},
		{800, "вісімсот", "eight hundred"},
		{900, "дев'ятсот", "nine hundred"},
		{990, "дев'ятсот дев'яносто", "nine hundred and ninety"},
		{999, "дев'ятсот дев'яносто дев'ять", "nine hundred and ninety-nine"},
		{1000, "тисяча", "one thousand"},
		{1001, "тисяча один", "one thousand and one"},
		{1002, "тисяча два", "one thousand and two"},
		{1010, "тисяча десять", "one thousand and ten"},
		{1011, "тисяча одинадцять", "one thousand and eleven"},
		{1040, "тисяча сорок", "one thousand and forty"},
		{1100, "тисяча сто", "one thousand one hundred"},
		{1101, "тисяча сто один", "one thousand one hundred and one"},
		{1999, "тисяча дев'ятсот дев'яносто дев'ять", "one thousand nine hundred and ninety-nine"},
		{2000, "дві тисячі", "two thousand"},
		{2001, "дві тисячі один", "two thousand and one"},
		{2023, "дві тисячі двадцять три", "two thousand and twenty-three"},
		{2222, "дві тисячі двісті двадцять два", "two thousand two hundred and twenty-two"},
		{3000, "три тисячі", "three thousand"},
		{4000, "чотири тисячі", "four thousand"},
		{4321, "чотири тисячі триста двадцять один", "four thousand three hundred and twenty-one"},
		{5000, "п'ять тисяч", "five thousand"},
		{5555, "п'ять тисяч п'ятсот п'ятдесят п'ять", "five thousand five hundred and fifty-five"},
		{6011, "шість тисяч одинадцять", "six thousand and eleven"},
		{7000, "сім тисяч", "seven thousand"},
		{8090, "вісім тисяч дев'яносто", "eight thousand and ninety"},
		{9000, "дев'ять тисяч", "nine thousand"},
		{9900, "дев'ять тисяч дев'ятсот", "nine thousand nine hundred"},
		{9999, "дев'ять тисяч дев'ятсот дев'яносто дев'ять", "nine thousand nine hundred and ninety-nine"},
	}
	for _, tt := range tests {
		for lang, want := range map[string]string{"uk": tt.uk, "en": tt.en} {
			t.Run(lang+"/"+want, func(t *testing.T) {
				text, err := NumberText(tt.n, lang)
				require.NoError(t, err)
				require.Equal(t, want, text)

				words, err := NumberWords(tt.n, lang)
				require.NoError(t, err)
				require.Equal(t, strings.Fields(strings.ReplaceAll(want, "-", " ")), words)
			})
		}
	}
}

func TestNumberWordsErrors(t *testing.T) {
	tests := []struct {
		name string
		n    int
		lang string
		want error
		msg  string
	}{
		{"negative", -1, "uk", ErrRange, "audio: number out of range 0..9999: -1"},
		{"too big", 10000, "en", ErrRange, "audio: number out of range 0..9999: 10000"},
		{"country code", 5, "ua", ErrLang, `audio: unsupported language "ua" (want one of uk, en)`},
		{"empty lang", 5, "", ErrLang, `audio: unsupported language "" (want one of uk, en)`},
		{"upper case", 5, "UK", ErrLang, `audio: unsupported language "UK" (want one of uk, en)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			words, err := NumberWords(tt.n, tt.lang)
			require.ErrorIs(t, err, tt.want)
			require.EqualError(t, err, tt.msg)
			require.Nil(t, words)
			_, err = NumberText(tt.n, tt.lang)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// TestNumberGrammar checks rules over every number rather than samples: the
// feminine тисяча never gets "два" or "одна", and each word is one clip.
func TestNumberGrammar(t *testing.T) {
	for n := 0; n <= MaxNumber; n++ {
		uk, err := NumberText(n, "uk")
		require.NoError(t, err)
		require.NotContains(t, uk, "два тисяч", n)
		require.NotContains(t, uk, "одна", n)
		if n != 0 {
			require.NotContains(t, uk, "нуль", n)
		}
		th := n / 1000
		switch {
		case th == 0:
			require.NotContains(t, uk, "тисяч", n)
		case th == 1:
			require.True(t, strings.HasPrefix(uk, "тисяча"), "%d: %s", n, uk)
		case th <= 4:
			require.Contains(t, uk, " тисячі", n)
		default:
			require.Contains(t, uk, " тисяч", n)
			require.NotContains(t, uk, "тисячі", n)
		}
		for _, lang := range []string{"uk", "en"} {
			parts, err := numberParts(n, lang)
			require.NoError(t, err)
			words, err := NumberWords(n, lang)
			require.NoError(t, err)
			require.Len(t, words, len(parts), n)
			// A clip per decimal place, the thousand word, and in English
			// the hundred word and "and".
			require.LessOrEqual(t, len(parts), map[string]int{"uk": 5, "en": 7}[lang], "%d has more clips than decimal places allow", n)
		}
	}
}

func TestClipSetBounded(t *testing.T) {
	for lang, want := range map[string]int{"uk": 41, "en": 31} {
		t.Run(lang, func(t *testing.T) {
			used := map[string]bool{}
			for n := 0; n <= MaxNumber; n++ {
				parts, err := numberParts(n, lang)
				require.NoError(t, err)
				for _, p := range parts {
					used[p.clip] = true
				}
			}
			require.Len(t, used, want, "every number 0..9999 composes from this many clips")
			texts := ClipTexts(lang)
			for clip := range used {
				require.Contains(t, texts, clip)
			}
		})
	}
}
