package audio

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CounterKind is what a counter is called in an announcement. The zero value
// is Window, the usual counter of a social-services office.
type CounterKind int

const (
	// Window is a service window: "вікно", "window".
	Window CounterKind = iota
	// Cabinet is a specialist's room: "кабінет", "room".
	Cabinet
)

// ParseCounterKind parses the configuration spelling of a kind: "window" or
// "cabinet".
func ParseCounterKind(s string) (CounterKind, error) {
	switch s {
	case "window":
		return Window, nil
	case "cabinet":
		return Cabinet, nil
	}
	return 0, fmt.Errorf("%w %q (want \"window\" or \"cabinet\")", ErrCounterKind, s)
}

// String returns the configuration spelling, "window" or "cabinet".
func (k CounterKind) String() string {
	switch k {
	case Window:
		return "window"
	case Cabinet:
		return "cabinet"
	}
	return fmt.Sprintf("CounterKind(%d)", int(k))
}

// Word is what language lang ("uk" or "en") calls a counter of kind k, as
// the announcement says it: "вікно" and "counter", "кабінет" and "room";
// "" for another language or kind.
func (k CounterKind) Word(lang string) string {
	if k != Window && k != Cabinet {
		return ""
	}
	return clipTexts[lang][kindClips[lang][k]]
}

// MarshalText writes the configuration spelling, so a CounterKind can be a
// field of the YAML or JSON configuration.
func (k CounterKind) MarshalText() ([]byte, error) {
	if k != Window && k != Cabinet {
		return nil, fmt.Errorf("%w %d", ErrCounterKind, int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses the configuration spelling with ParseCounterKind.
func (k *CounterKind) UnmarshalText(b []byte) error {
	v, err := ParseCounterKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Phrase is one announcement in one language.
type Phrase struct {
	// Lang is "uk" or "en".
	Lang string `json:"lang"`
	// Text is the announcement as written: "Талон А двадцять три, вікно пʼять".
	Text string `json:"text"`
	// Clips are the clip ids to play in order; ClipTexts lists them all.
	Clips []string `json:"clips"`
}

// kindClips maps a language to the clip ids of Window and Cabinet.
var kindClips = map[string][2]string{
	"uk": {"uk/word/vikno", "uk/word/kabinet"},
	"en": {"en/word/window", "en/word/room"},
}

// maxLabel bounds the length of a label or counter in runes, so a hostile
// payload cannot make a huge error message.
const maxLabel = 16

// Announce builds the call of ticket label to counter in language lang ("uk"
// or "en"). The label is zero to two Ukrainian letters and then digits
// ("А023"); the counter is digits ("5"). Both numbers are at most MaxNumber,
// leading zeros are not spoken. The errors are ErrLang, ErrLabel, ErrCounter
// and ErrCounterKind, wrapped with the offending input.
func Announce(lang, label, counter string, kind CounterKind) (Phrase, error) {
	return announce(lang, label, counter, kind, false)
}

// AnnounceRecall is Announce for a ticket called again: it begins with
// «Повторно» / "Calling again", so that a citizen who missed the first call
// knows it is still theirs.
func AnnounceRecall(lang, label, counter string, kind CounterKind) (Phrase, error) {
	return announce(lang, label, counter, kind, true)
}

func announce(lang, label, counter string, kind CounterKind, recall bool) (Phrase, error) {
	if err := checkLang(lang); err != nil {
		return Phrase{}, err
	}
	prefix, n, err := parseLabel(label)
	if err != nil {
		return Phrase{}, err
	}
	c, err := parseCounter(counter)
	if err != nil {
		return Phrase{}, err
	}
	if kind != Window && kind != Cabinet {
		return Phrase{}, fmt.Errorf("%w %d", ErrCounterKind, int(kind))
	}
	// Both numbers are in range after parsing, so numberParts cannot fail.
	ticketNum, _ := numberParts(n, lang)
	counterNum, _ := numberParts(c, lang)

	p := Phrase{
		Lang:  lang,
		Clips: make([]string, 0, 3+len(prefix)+len(ticketNum)+len(counterNum)),
	}
	var text strings.Builder
	text.Grow(128)
	switch {
	case lang == "uk" && recall:
		text.WriteString("Повторно: талон")
		p.Clips = append(p.Clips, "uk/word/povtorno", "uk/word/talon")
	case lang == "uk":
		text.WriteString("Талон")
		p.Clips = append(p.Clips, "uk/word/talon")
	case recall:
		text.WriteString("Calling again: ticket")
		p.Clips = append(p.Clips, "en/word/again", "en/word/ticket")
	default:
		text.WriteString("Ticket")
		p.Clips = append(p.Clips, "en/word/ticket")
	}
	for i, l := range prefix {
		// Ukrainian writes the prefix as printed ("АБ"); English spaces the
		// transliterations, or "Zh" and "A" would run together.
		if i == 0 || lang == "en" {
			text.WriteByte(' ')
		}
		if lang == "uk" {
			text.WriteRune(l.r)
		} else {
			text.WriteString(l.en)
		}
		p.Clips = append(p.Clips, lang+"/letter/"+l.id)
	}
	text.WriteByte(' ')
	text.WriteString(numberText(ticketNum, lang))
	p.Clips = appendClips(p.Clips, ticketNum)

	word := kindClips[lang][kind]
	text.WriteString(", ")
	text.WriteString(clipTexts[lang][word])
	text.WriteByte(' ')
	text.WriteString(numberText(counterNum, lang))
	p.Clips = append(p.Clips, word)
	p.Clips = appendClips(p.Clips, counterNum)

	// Read by people (captions, the simulator): the Ukrainian apostrophe,
	// not the ASCII one the clips were made from.
	p.Text = strings.ReplaceAll(text.String(), "'", "ʼ")
	return p, nil
}

func appendClips(clips []string, parts []numPart) []string {
	for _, p := range parts {
		clips = append(clips, p.clip)
	}
	return clips
}

// parseLabel splits a ticket label into its prefix letters and its number.
func parseLabel(label string) ([]*letter, int, error) {
	bad := func(why string, args ...any) ([]*letter, int, error) {
		return nil, 0, fmt.Errorf("%w %q: %s", ErrLabel, label, fmt.Sprintf(why, args...))
	}
	if !utf8.ValidString(label) {
		return nil, 0, fmt.Errorf("%w: not valid UTF-8", ErrLabel)
	}
	if utf8.RuneCountInString(label) > maxLabel {
		return nil, 0, fmt.Errorf("%w: longer than %d characters", ErrLabel, maxLabel)
	}
	var prefix []*letter
	rest := label
	for rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		if r >= '0' && r <= '9' {
			break
		}
		l, ok := letterByRune[unicode.ToUpper(r)]
		if !ok {
			if unicode.IsLetter(r) {
				return bad("%q (U+%04X) is not a Ukrainian letter", r, r)
			}
			return bad("unexpected %q (U+%04X)", r, r)
		}
		if len(prefix) == 2 {
			return bad("more than 2 letters")
		}
		prefix = append(prefix, l)
		rest = rest[size:]
	}
	n, why := parseNumber(rest)
	if why != "" {
		return bad("%s", why)
	}
	return prefix, n, nil
}

// parseCounter reads a counter id as a number.
func parseCounter(counter string) (int, error) {
	if !utf8.ValidString(counter) {
		return 0, fmt.Errorf("%w: not valid UTF-8", ErrCounter)
	}
	if utf8.RuneCountInString(counter) > maxLabel {
		return 0, fmt.Errorf("%w: longer than %d characters", ErrCounter, maxLabel)
	}
	n, why := parseNumber(counter)
	if why != "" {
		return 0, fmt.Errorf("%w %q: %s", ErrCounter, counter, why)
	}
	return n, nil
}

// parseNumber parses ASCII digits, leading zeros allowed, up to MaxNumber. It
// returns why s is not such a number, or "".
func parseNumber(s string) (int, string) {
	if s == "" {
		return 0, "no digits"
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Sprintf("%q (U+%04X) is not a digit", r, r)
		}
		n = n*10 + int(r-'0')
		if n > MaxNumber {
			return 0, fmt.Sprintf("number above %d", MaxNumber)
		}
	}
	return n, ""
}
