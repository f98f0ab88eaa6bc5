package audio_test

import (
	"errors"
	"fmt"
	"strings"

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
	// Талон А двадцять три, вікно п'ять
	// uk/word/talon uk/letter/a uk/num/20 uk/num/3 uk/word/vikno uk/num/5
	// Ticket A twenty-three, window five
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
	// 2001: ["дві" "тисячі" "один"] / two thousand one
	// 5023: ["п'ять" "тисяч" "двадцять" "три"] / five thousand twenty-three
}

func ExampleClipTexts() {
	texts := audio.ClipTexts("uk")
	for _, id := range []string{"uk/letter/b", "uk/letter/soft", "uk/num/2f", "uk/word/tysiach"} {
		fmt.Printf("%s\t%s\n", id, texts[id])
	}
	// Output:
	// uk/letter/b	бе
	// uk/letter/soft	м'який знак
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
