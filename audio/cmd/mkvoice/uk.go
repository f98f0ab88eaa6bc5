package main

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// espeak-ng 1.51 reads Ukrainian with Russian rules: и as і (тісяча, трі,
// одін), an unstressed е as і (дівʼяносто), я after a consonant as йа
// (десйать), a soft л or н as a hard one (нул), ч soft, о unstressed as
// а, and its stress is often wrong (ТАлон, ВІкно). A call said so has the
// accent of a Russian speaker. So mkvoice does not let it read Ukrainian:
// ukSay spells each Ukrainian clip in espeak-ng's phonemes itself, by the
// rules of Ukrainian pronunciation (spell, render), from the text with its
// stress (stressed), and espeak-ng only voices them.

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

// unstressed are the words said without a stress of their own, leaning on
// the next word or the one before: prepositions, conjunctions, particles
// («Пройдіть до укриття»: not ДО). A clip of one such word alone is
// stressed: the letter А.
var unstressed = map[string]bool{}

func init() {
	for _, w := range strings.Fields("а але б би в від до ж же з за зі із й і на над не ні о об по під при про та у через чи") {
		unstressed[w] = true
	}
}

// ukSay is text (a clip's Ukrainian words) in espeak-ng phonemes, each
// word's stress from stressed (a word of one vowel is stressed on it, but
// for the unstressed ones).
func ukSay(text string) (string, error) {
	var words []string
	// A hyphen joins words said each with its own stress, or none (з-під).
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return unicode.IsSpace(r) || r == '-' }) {
		if w = strings.Trim(w, ".,!?:;…«»\"—–"); w != "" {
			if strings.Trim(w, "'ʼ’") == "" {
				return "", fmt.Errorf("%q has a word of no letter", text)
			}
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return "", fmt.Errorf("%q has no word to say", text)
	}
	if len(words) == 1 && utf8.RuneCountInString(words[0]) == 1 && strings.Contains(longVowels, words[0]) {
		return "'" + ukVowels[[]rune(words[0])[0]] + ":", nil
	}
	spelled := make([][]sound, len(words))
	for i, w := range words {
		s, ok := stressed[plain(w)]
		switch {
		case ok:
		case len(words) > 1 && unstressed[w]:
			s = w
		case vowelCount(w) > 1:
			return "", fmt.Errorf("%q (in %q) has %d vowels and no stress in mkvoice's stressed list: add it there", w, text, vowelCount(w))
		default:
			s = oneVowelStressed(w)
		}
		ss, err := spell(s)
		if err != nil {
			return "", fmt.Errorf("%q: %w", text, err)
		}
		spelled[i] = ss
	}
	return render(spelled), nil
}

// ukVowels are the espeak-ng phonemes of the Ukrainian vowels: и is [ɪ],
// not і; е is [e] (stressed [ɛ]: render).
var ukVowels = map[rune]string{'а': "a", 'е': "e", 'и': "I", 'і': "i", 'о': "o", 'у': "u"}

// iotated are the vowels that say [j] before them at the start of a word,
// after a vowel or an apostrophe, and soften the consonant before them
// otherwise (ї always says [j]).
var iotated = map[rune]rune{'я': 'а', 'ю': 'у', 'є': 'е', 'ї': 'і'}

// ukConsonants are the espeak-ng phonemes of the Ukrainian consonants
// (дж and дз: spell). ч is hard in Ukrainian; г is [ɦ], which the table
// has not: its [h] is nearer than the Russian [ɣ].
var ukConsonants = map[rune]string{
	'б': "b", 'в': "v", 'г': "h", 'ґ': "g", 'д': "d", 'ж': "Z", 'з': "z",
	'й': "j", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'ф': "f", 'х': "x", 'ц': "ts", 'ч': "tS", 'ш': "S",
	'щ': "StS",
}

var (
	// dentals soften before a soft dental (сть, дць, ттю: шість,
	// двадцять, укриття).
	dentals = set("t d s z ts dz n l")
	// softBeforeI are the consonants soft (the labials half soft) before
	// і: сім, двісті, вікно, кабінет; not ж, ч, ш, щ, nor к, г, х.
	softBeforeI = set("t d s z ts dz n l r b p v m f")
	// voicedOf are the voiceless consonants said voiced before a voiced
	// one (п'ятдесят: [dd]); voicing are the voiced ones that do it.
	voicedOf = map[string]string{"t": "d", "s": "z", "k": "g", "p": "b", "S": "Z", "tS": "dZ", "ts": "dz"}
	voicing  = set("b d g z Z dz dZ")
	// keepVoiced are the voiced consonants espeak-ng says voiceless before
	// a voiceless one, as Russian does and Ukrainian does not
	// (найближчого: not [ʃtʃ]); a short pause (_) between keeps them.
	keepVoiced = set("b v z Z g")
	voiceless  = set("p t k f x s S ts tS StS")
)

func set(list string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(list) {
		m[w] = true
	}
	return m
}

// isVowel reports whether r is a vowel letter, iotated ones too.
func isVowel(r rune) bool {
	_, plain := ukVowels[r]
	_, iot := iotated[r]
	return plain || iot
}

func vowelCount(w string) int {
	n := 0
	for _, r := range w {
		if isVowel(r) {
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
		if isVowel(r) {
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
	soft     bool // a consonant softened (ь, я, ю, є, і after it, or a soft dental)
	long     bool // a consonant said long (тс: [ц:])
	stressed bool
}

// spell is one Ukrainian word, its stressed vowel marked with an acute
// accent, in sounds, as Ukrainian says its letters: a consonant softened
// by ь, я, ю, є or і after it, a dental by a soft dental after it; т
// silent between с and н, л, д or с (шістнадцять, шістдесят, шістсот),
// тс one long ц (пʼятсот), a voiceless consonant voiced before a voiced
// one (пʼятдесят), and nothing voiced said voiceless: that is Russian.
func spell(word string) ([]sound, error) {
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
				return nil, fmt.Errorf("an accent not after a vowel in %q", word)
			}
			p.stressed = true
		case r == 'ь':
			p := last()
			if p == nil || p.vowel {
				return nil, fmt.Errorf("ь not after a consonant in %q", word)
			}
			p.soft = true
		case ukVowels[r] != "":
			if p := last(); r == 'і' && p != nil && !p.vowel && softBeforeI[p.ph] && !apostrophe {
				p.soft = true
			}
			ss = append(ss, sound{ph: ukVowels[r], vowel: true})
		case iot:
			p := last()
			glide := r == 'ї' || p == nil || p.vowel || apostrophe
			if !glide {
				p.soft = true
			}
			ss = append(ss, sound{ph: ukVowels[v], vowel: true, glide: glide})
		case r == 'д' && i+1 < len(rs) && (rs[i+1] == 'ж' || rs[i+1] == 'з'):
			// One sound, as in джерело; but two across a prefix (віджати),
			// which no clip has yet.
			ss = append(ss, sound{ph: map[rune]string{'ж': "dZ", 'з': "dz"}[rs[i+1]]})
			i++
		case ukConsonants[r] != "":
			ss = append(ss, sound{ph: ukConsonants[r]})
		default:
			return nil, fmt.Errorf("%q has %q, which mkvoice cannot spell", word, r)
		}
		apostrophe = false
	}
	consonant := func(i int, phs map[string]bool) bool {
		return i >= 0 && i < len(ss) && !ss[i].vowel && phs[ss[i].ph]
	}
	for i := 0; i < len(ss); i++ {
		switch s := ss[i]; {
		case s.ph == "t" && !s.soft && consonant(i-1, set("s")) && consonant(i+1, set("n l d s")):
			ss = slices.Delete(ss, i, i+1)
			i--
		case s.ph == "t" && !s.soft && consonant(i+1, set("s")) && !ss[i+1].soft:
			ss[i] = sound{ph: "ts", long: true}
			ss = slices.Delete(ss, i+1, i+2)
		}
	}
	for i := len(ss) - 2; i >= 0; i-- {
		if v, ok := voicedOf[ss[i].ph]; ok && !ss[i].vowel && consonant(i+1, voicing) {
			ss[i].ph = v
		}
		if n := ss[i+1]; consonant(i, dentals) && consonant(i+1, dentals) && n.soft {
			ss[i].soft = true
		}
	}
	return ss, nil
}

// render is the words spelled in espeak-ng phonemes (' before the stressed
// vowel, ; after a soft consonant): одина́дцять is odIn'Ad;ts;At;.
func render(words [][]sound) string {
	var b strings.Builder
	for w, ss := range words {
		if w > 0 {
			b.WriteByte(' ')
		}
		for i, s := range ss {
			prev, next := sound{}, sound{}
			if i > 0 {
				prev = ss[i-1]
			}
			if i+1 < len(ss) {
				next = ss[i+1]
			} else if w+1 < len(words) && len(words[w+1]) > 0 {
				next = words[w+1][0] // for the voicing only
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
					// A, not a: espeak-ng says a after a soft consonant
					// as [ja], and a stressed [a] short.
					b.WriteString("A")
				case s.ph == "e" && s.stressed:
					b.WriteString("E")
				default:
					b.WriteString(s.ph)
				}
				continue
			}
			inWord := i+1 < len(ss)
			switch {
			case s.ph == "v" && (i == 0 || prev.vowel) && !(inWord && next.vowel):
				// в before a consonant or at the end, after a vowel or at
				// the start, is [u̯]: повторно, відновлено.
				b.WriteString("w")
				continue
			case s.ph == "r" && i > 0 && !prev.vowel && prev.ph != "j":
				b.WriteString("@-r") // as espeak-ng spells пр, тр, кр
			default:
				b.WriteString(s.ph)
			}
			switch {
			case s.soft && (s.ph == "l" || s.ph == "n") && !(inWord && next.vowel):
				// espeak-ng drops a ; after л and н there: ɲ, ʎ.
				b.WriteString("^")
			case s.soft:
				b.WriteString(";")
			}
			if s.long {
				b.WriteString(":")
			}
			if keepVoiced[s.ph] && !next.vowel && voiceless[next.ph] {
				b.WriteString("_")
			}
		}
	}
	return b.String()
}
