package audio_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cherga/cherga/audio"
)

func ExampleAnnounce() {
	for _, lang := range []string{"uk", "en"} {
		p, err := audio.Announce(lang, "А023", "5", audio.Window)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(p.Text)
		fmt.Println(strings.Join(p.Clips, " "))
	}
	// Output:
	// Талон А двадцять три, вікно пʼять
	// uk/word/talon uk/letter/a uk/num/20 uk/num/3 uk/word/vikno uk/num/5
	// Ticket A twenty-three, counter five
	// en/word/ticket en/letter/a en/num/20 en/num/3 en/word/window en/num/5
}

func ExampleAnnounce_latinLetter() {
	// The prefix was typed with a Latin "A" that looks like the Cyrillic "А".
	_, err := audio.Announce("uk", "A023", "5", audio.Window)
	fmt.Println(err)
	fmt.Println(errors.Is(err, audio.ErrLabel))
	// Output:
	// audio: bad ticket label "A023": 'A' (U+0041) is not a Ukrainian letter
	// true
}

func ExampleNumberWords() {
	for _, n := range []int{1000, 2001, 5023} {
		uk, _ := audio.NumberWords(n, "uk")
		en, _ := audio.NumberText(n, "en")
		fmt.Printf("%d: %q / %s\n", n, uk, en)
	}
	// Output:
	// 1000: ["тисяча"] / one thousand
	// 2001: ["дві" "тисячі" "один"] / two thousand and one
	// 5023: ["п'ять" "тисяч" "двадцять" "три"] / five thousand and twenty-three
}

func ExampleClipTexts() {
	texts := audio.ClipTexts("uk")
	for _, id := range []string{"uk/letter/b", "uk/letter/soft", "uk/num/2f", "uk/word/tysiach"} {
		fmt.Printf("%s\t%s\n", id, texts[id])
	}
	// Output:
	// uk/letter/b	бе
	// uk/letter/soft	знак м'якшення
	// uk/num/2f	дві
	// uk/word/tysiach	тисяч
}

func ExampleParseCounterKind() {
	k, err := audio.ParseCounterKind("cabinet")
	fmt.Println(k, err)
	_, err = audio.ParseCounterKind("desk")
	fmt.Println(err)
	// Output:
	// cabinet <nil>
	// audio: unknown counter kind "desk" (want "window" or "cabinet")
}

func ExampleConcat() {
	f := audio.Format{Rate: 16000, Channels: 1, Bits: 16}
	talon := audio.Silence(f, 400*time.Millisecond) // stand-ins for two clips of a pack
	a := audio.Silence(f, 250*time.Millisecond)
	c, err := audio.Concat(talon, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	wav := c.WAV()
	fmt.Println(c.Format, c.Duration(), len(wav), "bytes:", 44+len(talon.Data)+len(a.Data))
	// Output:
	// 16000 Hz, 16-bit, mono 650ms 20844 bytes: 20844
}

func ExampleParseCall() {
	c, err := audio.ParseCall([]byte(`{"id":"17","ticket":"А023","counter":"5","lang":"uk",
		"text":"Талон А двадцять три, вікно пʼять",
		"clips":["uk/word/talon","uk/letter/a","uk/num/20","uk/num/3","uk/word/vikno","uk/num/5"],
		"at":"2026-11-24T10:15:00+02:00"}`))
	fmt.Println(c.ID, c.Ticket, c.Counter, c.Lang, len(c.Clips), err)
	_, err = audio.ParseCall([]byte(`{"id":"18","lang":"uk"}`))
	fmt.Println(err)
	// Output:
	// 17 А023 5 uk 6 <nil>
	// audio: bad announce message: no ticket
}
