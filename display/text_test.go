package display_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/display"
)

func TestTransliterate(t *testing.T) {
	for in, want := range map[string]string{
		"А023 → 5":     "A023 ? 5", // the arrow has none
		"Ц001 > 5":     "Ts001 > 5",
		"Зачинено":     "Zachyneno",
		"Тривога":      "Tryvoha",
		"Є001":         "Ye001",
		"Ю12 > 3":      "Yu12 > 3",
		"Щ7":           "Shch7",
		"Знам'янка":    "Znamianka",
		"Їжакевич":     "Yizhakevych",
		"Йосипівка":    "Yosypivka",
		"Ь01":          "01",
		"Kiosk 2":      "Kiosk 2",
		"Згурівка":     "Zghurivka",
		"ЗГ1":          "ZGH1",
		"ЗАЧИНЕНО":     "ZACHYNENO", // a word in capitals, all in capitals
		"ЩАСТЯ":        "SHCHASTIA",
		"Щастя ЖИТТЯ":  "Shchastia ZHYTTIA",
		"Ц":            "Ts",
		"ВХІД Є":       "VKHID YE", // a word of one letter, as the text around it
		"Вікно Ж":      "Vikno Zh",
		"Щ-ЩАСТЯ":      "SHCH-SHCHASTIA",
		"Ж Київ":       "Zh Kyiv",
		"Марїна Ґудзь": "Marina Gudz",
		"«Вхід» — №2":  `"Vkhid" - No2`, // punctuation plain, as a printer's page without it
	} {
		require.Equal(t, want, display.Transliterate(in), in)
	}
	// A label letter by letter, as the English voice says it.
	for in, want := range map[string]string{
		"Ц001": "Ts001", "ЦЯ001": "TsYa001", "АЯ1": "AYa1", "ЄЇ1": "YeYi1",
		"ЗГ005": "ZH005", "ЩЬ4": "Shch4", "А023": "A023", "ЮЙ12": "YuY12",
	} {
		require.Equal(t, want, display.TransliterateLabel(in), in)
	}
}

// The text topic of a board that cannot take UTF-8: in its 8-bit
// charset, the arrow as ">", or transliterated.
func TestTextPayloadCharsets(t *testing.T) {
	calling := display.Board{Counter: "5", Ticket: "А023", State: display.Calling}
	closed := display.Board{Counter: "5", State: display.Closed}
	alert := display.Board{Counter: "5", State: display.Closed, Alert: true}
	pause := display.Board{Counter: "5", State: display.Closed, OfficePaused: true}
	ts := display.Board{Counter: "12", Ticket: "Ц001", State: display.Serving}
	two := display.Board{Counter: "3", Ticket: "ЦЯ007", State: display.Calling}
	for _, c := range []struct {
		charset string
		board   display.Board
		want    []byte
	}{
		{"", calling, []byte("А023 → 5")},
		{"utf-8", closed, []byte("Зачинено")},
		{"cp1251", calling, []byte{0xC0, '0', '2', '3', ' ', '>', ' ', '5'}},
		{"CP1251", closed, []byte{0xC7, 0xE0, 0xF7, 0xE8, 0xED, 0xE5, 0xED, 0xEE}},
		{"cp1125", calling, []byte{0x80, '0', '2', '3', ' ', '>', ' ', '5'}},
		{"ascii", ts, []byte("Ts001 > 12")},
		{"ascii", two, []byte("TsYa007 > 3")},
		{"ascii", closed, []byte("Zachyneno")},
		{"utf-8", alert, []byte("Тривога")},
		{"cp1251", alert, []byte{0xD2, 0xF0, 0xE8, 0xE2, 0xEE, 0xE3, 0xE0}},
		{"cp1125", alert, []byte{0x92, 0xE0, 0xA8, 0xA2, 0xAE, 0xA3, 0xA0}},
		{"ascii", alert, []byte("Tryvoha")},
		{"utf-8", pause, []byte("Перерва")},
		{"ascii", pause, []byte("Pererva")},
		{"ascii", display.Board{State: display.Idle}, []byte("-")}, // no counter: «—», not "?"
		{"cp1125", display.Board{State: display.Idle}, []byte("-")},
	} {
		o := &display.BoardOpts{Text: display.TextOpts{Charset: c.charset}}
		require.NoError(t, o.Validate(), c.charset)
		require.Equal(t, c.want, o.TextPayload(c.board), "%s %+v", c.charset, c.board)
	}
	var none *display.BoardOpts
	require.Equal(t, []byte("А023 → 5"), none.TextPayload(calling))

	bad := &display.BoardOpts{Text: display.TextOpts{Charset: "koi8-u"}}
	require.ErrorContains(t, bad.Validate(), "board.text.charset: must be one of utf-8, cp1251, cp1125, ascii")
}

// A counter's board options left at their defaults stay out of the JSON
// the office records of its configuration (config.history): an older
// release reading it back knows nothing of an option it did not have.
func TestBoardOptsDefaultsLeftOut(t *testing.T) {
	b, err := json.Marshal(display.BoardOpts{})
	require.NoError(t, err)
	require.JSONEq(t, `{}`, string(b))
}
