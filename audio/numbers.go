package audio

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// MaxNumber is the largest number NumberWords can say, and so the largest
// ticket or counter number Announce accepts.
const MaxNumber = 9999

// numPart is one clip of a spoken number; hyphen joins it to the previous part
// in the written form ("twenty-three").
type numPart struct {
	clip   string
	hyphen bool
}

// NumberWords returns the cardinal number n (0..MaxNumber) in language lang
// ("uk" or "en") as words, one word per clip: 23 is ["двадцять", "три"] and
// ["twenty", "three"], 2000 is ["дві", "тисячі"], 101 is ["one", "hundred",
// "and", "one"]. Join them with NumberText.
func NumberWords(n int, lang string) ([]string, error) {
	parts, err := numberParts(n, lang)
	if err != nil {
		return nil, err
	}
	words := make([]string, len(parts))
	for i, p := range parts {
		words[i] = clipTexts[lang][p.clip]
	}
	return words, nil
}

// NumberText returns the cardinal number n (0..MaxNumber) in language lang as
// it is written: "двадцять три", "twenty-three", "дві тисячі один", "two
// thousand and one".
func NumberText(n int, lang string) (string, error) {
	parts, err := numberParts(n, lang)
	if err != nil {
		return "", err
	}
	return numberText(parts, lang), nil
}

func numberText(parts []numPart, lang string) string {
	var b strings.Builder
	for i, p := range parts {
		switch {
		case i == 0:
		case p.hyphen:
			b.WriteByte('-')
		default:
			b.WriteByte(' ')
		}
		b.WriteString(clipTexts[lang][p.clip])
	}
	return b.String()
}

// Langs are the languages the voice speaks, Ukrainian first: what
// office.languages and an announcer's -lang may name. A language added
// here needs its words in clipTexts, kindClips and noticeTexts, its
// numbers in numberParts, its letters in letters, its phrasing in
// announce, and a voice in mkvoice: TestEveryLanguageSpeaks names what is
// missing.
var Langs = []string{"uk", "en"}

func checkLang(lang string) error {
	if slices.Contains(Langs, lang) {
		return nil
	}
	return fmt.Errorf("%w %q (want one of %s)", ErrLang, lang, strings.Join(Langs, ", "))
}

// numberParts composes n from the bounded clip set described in the package
// documentation.
func numberParts(n int, lang string) ([]numPart, error) {
	if err := checkLang(lang); err != nil {
		return nil, err
	}
	if n < 0 || n > MaxNumber {
		return nil, fmt.Errorf("%w: %d", ErrRange, n)
	}
	num := func(v int) numPart { return numPart{clip: lang + "/num/" + strconv.Itoa(v)} }
	if n == 0 {
		return []numPart{num(0)}, nil
	}
	var parts []numPart
	if th := n / 1000; th > 0 {
		switch {
		case lang == "en":
			parts = append(parts, num(th), numPart{clip: "en/word/thousand"})
		case th == 1:
			// "тисяча", not "одна тисяча": the spoken form of a label.
			parts = append(parts, numPart{clip: "uk/word/tysiacha"})
		case th == 2:
			// тисяча is feminine: "дві тисячі", not "два".
			parts = append(parts, numPart{clip: "uk/num/2f"}, numPart{clip: "uk/word/tysiachi"})
		case th <= 4:
			parts = append(parts, num(th), numPart{clip: "uk/word/tysiachi"})
		default:
			parts = append(parts, num(th), numPart{clip: "uk/word/tysiach"})
		}
	}
	if h := n / 100 % 10; h > 0 {
		if lang == "en" {
			parts = append(parts, num(h), numPart{clip: "en/word/hundred"})
		} else {
			parts = append(parts, num(h*100))
		}
	}
	rest := n % 100
	if lang == "en" && rest > 0 && n >= 100 {
		// British, as the espeak-ng voice is: "one hundred and one", "two
		// thousand and twenty-three".
		parts = append(parts, numPart{clip: "en/word/and"})
	}
	if rest >= 20 {
		parts = append(parts, num(rest/10*10))
		if u := rest % 10; u > 0 {
			p := num(u)
			p.hyphen = lang == "en"
			parts = append(parts, p)
		}
	} else if rest > 0 {
		parts = append(parts, num(rest))
	}
	return parts, nil
}
