package audio

import (
	"maps"
	"strconv"
)

// letter is one Ukrainian prefix letter: its clip id, its spoken Ukrainian
// name, its KMU 2010 transliteration as written in English text, and what an
// English voice says for it.
type letter struct {
	r       rune
	id      string
	uk      string
	en      string
	enSpeak string
}

// letters is the Ukrainian alphabet in order. Й and И both transliterate to
// "Y" at the start of a word (KMU 2010); English cannot tell them apart, the
// Ukrainian announcement and the printed ticket can.
var letters = []letter{
	{'А', "a", "а", "A", "A"},
	{'Б', "b", "бе", "B", "B"},
	{'В', "v", "ве", "V", "V"},
	{'Г', "h", "ге", "H", "H"},
	{'Ґ', "g", "ґе", "G", "G"},
	{'Д', "d", "де", "D", "D"},
	{'Е', "e", "е", "E", "E"},
	{'Є', "ye", "є", "Ye", "Y E"},
	{'Ж', "zh", "же", "Zh", "Z H"},
	{'З', "z", "зе", "Z", "Z"},
	{'И', "y", "и", "Y", "Y"},
	{'І', "i", "і", "I", "I"},
	{'Ї', "yi", "ї", "Yi", "Y I"},
	{'Й', "j", "йот", "Y", "Y"},
	{'К', "k", "ка", "K", "K"},
	{'Л', "l", "ел", "L", "L"},
	{'М', "m", "ем", "M", "M"},
	{'Н', "n", "ен", "N", "N"},
	{'О', "o", "о", "O", "O"},
	{'П', "p", "пе", "P", "P"},
	{'Р', "r", "ер", "R", "R"},
	{'С', "s", "ес", "S", "S"},
	{'Т', "t", "те", "T", "T"},
	{'У', "u", "у", "U", "U"},
	{'Ф', "f", "еф", "F", "F"},
	{'Х', "kh", "ха", "Kh", "K H"},
	{'Ц', "ts", "це", "Ts", "T S"},
	{'Ч', "ch", "че", "Ch", "C H"},
	{'Ш', "sh", "ша", "Sh", "S H"},
	{'Щ', "shch", "ща", "Shch", "S H C H"},
	{'Ь', "soft", "знак м'якшення", "soft sign", "soft sign"},
	{'Ю', "yu", "ю", "Yu", "Y U"},
	{'Я', "ya", "я", "Ya", "Y A"},
}

// letterByRune indexes letters by their capital.
var letterByRune = func() map[rune]*letter {
	m := make(map[rune]*letter, len(letters))
	for i := range letters {
		m[letters[i].r] = &letters[i]
	}
	return m
}()

// clipTexts maps, per language, every clip id Announce and AnnounceNotice
// can emit to the text a voice says for it.
var clipTexts = func() map[string]map[string]string {
	uk := map[string]string{
		"uk/word/talon":    "талон",
		"uk/word/povtorno": "повторно",
		"uk/word/vikno":    "вікно",
		"uk/word/kabinet":  "кабінет",
		"uk/word/tysiacha": "тисяча",
		"uk/word/tysiachi": "тисячі",
		"uk/word/tysiach":  "тисяч",
		"uk/num/2f":        "дві",
	}
	ukNum := []string{
		0: "нуль", 1: "один", 2: "два", 3: "три", 4: "чотири",
		5: "п'ять", 6: "шість", 7: "сім", 8: "вісім", 9: "дев'ять",
		10: "десять", 11: "одинадцять", 12: "дванадцять", 13: "тринадцять",
		14: "чотирнадцять", 15: "п'ятнадцять", 16: "шістнадцять",
		17: "сімнадцять", 18: "вісімнадцять", 19: "дев'ятнадцять",
	}
	ukTens := []string{"", "", "двадцять", "тридцять", "сорок", "п'ятдесят",
		"шістдесят", "сімдесят", "вісімдесят", "дев'яносто"}
	ukHundreds := []string{"", "сто", "двісті", "триста", "чотириста", "п'ятсот",
		"шістсот", "сімсот", "вісімсот", "дев'ятсот"}

	en := map[string]string{
		"en/word/ticket":   "ticket",
		"en/word/again":    "calling again", // the id is older than the words
		"en/word/window":   "counter",       // the id is older than the word: ids never change
		"en/word/room":     "room",
		"en/word/hundred":  "hundred",
		"en/word/thousand": "thousand",
		"en/word/and":      "and",
	}
	enNum := []string{
		"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
		"nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
		"sixteen", "seventeen", "eighteen", "nineteen",
	}
	enTens := []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty",
		"seventy", "eighty", "ninety"}

	for i := range 20 {
		uk["uk/num/"+strconv.Itoa(i)] = ukNum[i]
		en["en/num/"+strconv.Itoa(i)] = enNum[i]
	}
	for i := 2; i <= 9; i++ {
		uk["uk/num/"+strconv.Itoa(i*10)] = ukTens[i]
		en["en/num/"+strconv.Itoa(i*10)] = enTens[i]
	}
	for i := 1; i <= 9; i++ {
		uk["uk/num/"+strconv.Itoa(i*100)] = ukHundreds[i]
	}
	for _, l := range letters {
		uk["uk/letter/"+l.id] = l.uk
		en["en/letter/"+l.id] = l.enSpeak
	}
	for id, text := range noticeTexts["uk"] {
		uk["uk/"+id] = text
	}
	for id, text := range noticeTexts["en"] {
		en["en/"+id] = text
	}
	return map[string]map[string]string{"uk": uk, "en": en}
}()

// ClipTexts returns, for language lang ("uk" or "en"), every clip id Announce,
// AnnounceNotice and NumberWords can emit, mapped to the text to synthesize for that clip when
// a voice pack is generated. Letter clips map to the letter as said ("бе",
// "Z H"), not as written. The map is a fresh copy; it is nil for any other
// language.
func ClipTexts(lang string) map[string]string {
	m, ok := clipTexts[lang]
	if !ok {
		return nil
	}
	return maps.Clone(m)
}
