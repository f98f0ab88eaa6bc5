package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// espeak-ng 1.51 reads Ukrainian with Russian rules: и as і (тісяча, трі,
// одін), an unstressed е as і (дівʼяносто), я after a consonant as йа
// (десйать), a soft л or н as a hard one (нул), ч soft, о unstressed as
// а, and its stress is often wrong (ТАлон, ВІкно). A call said so has the
// accent of a Russian speaker. So mkvoice does not let it read Ukrainian:
// ukPhonemes spells each Ukrainian clip in espeak-ng's phonemes itself,
// by the rules of Ukrainian pronunciation, from the text with its stress
// (stressed), and espeak-ng only voices them.

// stressed is every Ukrainian clip word of more than one syllable, with
// an acute accent (U+0301) after its stressed vowel. mkvoice refuses a
// clip with a word missing here: add it.
var stressed = wordSet(`
	тало́н повто́рно вікно́ кабіне́т ти́сяча ти́сячі ти́сяч
	оди́н чоти́ри ві́сім де́вʼять де́сять одина́дцять двана́дцять
	трина́дцять чотирна́дцять пʼятна́дцять шістна́дцять сімна́дцять
	вісімна́дцять девʼятна́дцять два́дцять три́дцять со́рок пʼятдеся́т
	шістдеся́т сімдеся́т вісімдеся́т девʼяно́сто дві́сті три́ста
	чоти́риста пʼятсо́т шістсо́т сімсо́т вісімсо́т девʼятсо́т
	мʼя́кшення ува́га пові́тряна триво́га триво́ги пройді́ть
	найбли́жчого укриття́ відбі́й прийо́м відно́влено`)

const acute = '\u0301'

// wordSet maps each word of list, as a clip's text spells it (without
// the accent, with the ASCII apostrophe), to its stressed form.
func wordSet(list string) map[string]string {
	m := map[string]string{}
	for _, w := range strings.Fields(list) {
		m[plain(w)] = w
	}
	return m
}

// plain is a word without its accent, with the ASCII apostrophe the clip
// texts use.
func plain(w string) string {
	return strings.NewReplacer(string(acute), "", "ʼ", "'", "’", "'").Replace(w)
}

// longVowels are the letters said by a bare vowel that espeak-ng says
// too short to be heard in a hall (45 to 100 ms of sound): said alone, as
// the name of a letter, they are said long, as long as А, Е and О.
const longVowels = "іиу"

// ukSay is text (a clip's Ukrainian words) in espeak-ng phonemes, each
// word's stress from stressed (a word of one vowel is stressed on it).
func ukSay(text string) (string, error) {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		w = strings.TrimRight(w, ".,!?:;")
		if utf8.RuneCountInString(w) == 1 && strings.Contains(longVowels, w) {
			out = append(out, "'"+ukVowels[[]rune(w)[0]]+":")
			continue
		}
		s, ok := stressed[plain(w)]
		if !ok {
			if n := vowelCount(w); n > 1 {
				return "", fmt.Errorf("%q (in %q) has %d vowels and no stress in mkvoice's stressed list: add it there", w, text, n)
			}
			s = oneVowelStressed(w)
		}
		ph, err := ukPhonemes(s)
		if err != nil {
			return "", fmt.Errorf("%q: %w", text, err)
		}
		out = append(out, ph)
	}
	return strings.Join(out, " "), nil
}

// ukVowels are the espeak-ng phonemes of the Ukrainian vowels: и is [ɪ],
// not і; е is [e] (stressed [ɛ]: ukPhonemes).
var ukVowels = map[rune]string{'а': "a", 'е': "e", 'и': "I", 'і': "i", 'о': "o", 'у': "u"}

// iotated are the vowels that say [j] before them at the start of a word,
// after a vowel or an apostrophe, and soften the consonant before them
// otherwise (ї always says [j]).
var iotated = map[rune]rune{'я': 'а', 'ю': 'у', 'є': 'е', 'ї': 'і'}

// ukConsonants are the espeak-ng phonemes of the Ukrainian consonants
// (дж and дз: ukPhonemes). ч is hard in Ukrainian, г is [ɦ].
var ukConsonants = map[rune]string{
	'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'ж': "Z", 'з': "z",
	'й': "j", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'ф': "f", 'х': "x", 'ц': "ts", 'ч': "tS", 'ш': "S",
	'щ': "StS",
}

// dentals soften before a soft dental (сть, дць, ттю: шість, двадцять,
// укриття).
var dentals = map[string]bool{"t": true, "d": true, "s": true, "z": true, "ts": true, "dz": true, "n": true, "l": true}

func vowelCount(w string) int {
	n := 0
	for _, r := range w {
		if _, ok := ukVowels[r]; ok {
			n++
		} else if _, ok := iotated[r]; ok {
			n++
		}
	}
	return n
}

// oneVowelStressed puts the accent after the one vowel of w.
func oneVowelStressed(w string) string {
	var b strings.Builder
	for _, r := range w {
		b.WriteRune(r)
		if _, ok := ukVowels[r]; ok {
			b.WriteRune(acute)
		} else if _, ok := iotated[r]; ok {
			b.WriteRune(acute)
		}
	}
	return b.String()
}

// sound is one sound of a word being spelled.
type sound struct {
	ph       string // a consonant's phoneme, or a vowel's
	vowel    bool
	glide    bool // a vowel said with [j] before it (я, ю, є, ї)
	soft     bool // a consonant softened (ь, я, ю, є after it, or a soft dental)
	stressed bool
}

// ukPhonemes spells one Ukrainian word, its stressed vowel marked with an
// acute accent, in espeak-ng phonemes (' before the stressed vowel, ; after
// a soft consonant): одина́дцять is odIn'Ad;ts;At;.
func ukPhonemes(word string) (string, error) {
	rs := []rune(word)
	var ss []sound
	apostrophe := false
	last := func() *sound {
		if len(ss) == 0 {
			return nil
		}
		return &ss[len(ss)-1]
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch v, iot := iotated[r]; {
		case r == '\'' || r == 'ʼ' || r == '’':
			apostrophe = true
			continue
		case r == acute:
			p := last()
			if p == nil || !p.vowel {
				return "", fmt.Errorf("an accent not after a vowel in %q", word)
			}
			p.stressed = true
		case r == 'ь':
			p := last()
			if p == nil || p.vowel {
				return "", fmt.Errorf("ь not after a consonant in %q", word)
			}
			p.soft = true
		case ukVowels[r] != "":
			ss = append(ss, sound{ph: ukVowels[r], vowel: true})
		case iot:
			p := last()
			glide := r == 'ї' || p == nil || p.vowel || apostrophe
			if !glide {
				p.soft = true
			}
			ss = append(ss, sound{ph: ukVowels[v], vowel: true, glide: glide})
		case r == 'д' && i+1 < len(rs) && (rs[i+1] == 'ж' || rs[i+1] == 'з'):
			ss = append(ss, sound{ph: map[rune]string{'ж': "dZ", 'з': "dz"}[rs[i+1]]})
			i++
		case ukConsonants[r] != "":
			ss = append(ss, sound{ph: ukConsonants[r]})
		default:
			return "", fmt.Errorf("%q has %q, which mkvoice cannot spell", word, r)
		}
		apostrophe = false
	}
	// A dental before a soft dental is soft too, from the end of the word.
	for i := len(ss) - 2; i >= 0; i-- {
		if n := ss[i+1]; !ss[i].vowel && dentals[ss[i].ph] && !n.vowel && n.soft && dentals[n.ph] {
			ss[i].soft = true
		}
	}
	var b strings.Builder
	for i, s := range ss {
		prev, next := sound{}, sound{}
		if i > 0 {
			prev = ss[i-1]
		}
		if i+1 < len(ss) {
			next = ss[i+1]
		}
		if s.vowel {
			if s.glide {
				b.WriteString("j")
			}
			if s.stressed {
				b.WriteString("'")
			}
			switch {
			case s.ph == "a" && (s.stressed || prev.soft):
				// A, not a: espeak-ng says a after a soft consonant as
				// [ja], and a stressed [a] short.
				b.WriteString("A")
			case s.ph == "e" && s.stressed:
				b.WriteString("E")
			default:
				b.WriteString(s.ph)
			}
			continue
		}
		switch {
		case s.ph == "v" && (i == 0 || prev.vowel) && !next.vowel:
			// в before a consonant or at the end, after a vowel or at the
			// start, is [u̯]: повторно, відновлено.
			b.WriteString("w")
		case s.ph == "r" && i > 0 && !prev.vowel && prev.ph != "j":
			b.WriteString("@-r") // as espeak-ng spells пр, тр, кр
		default:
			b.WriteString(s.ph)
		}
		if s.soft {
			if s.ph == "l" && !next.vowel {
				b.WriteString("^") // espeak-ng drops a ; after l there
			} else {
				b.WriteString(";")
			}
		}
	}
	return b.String(), nil
}
