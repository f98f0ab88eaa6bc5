package printer

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/testkit"
)

// testTicket is the default ticket of the golden test.
func testTicket() *Ticket {
	kyiv := time.FixedZone("EET", 2*60*60)
	return &Ticket{
		Header:    "ЦНАП Подільського району м. Києва",
		Label:     "А023",
		Service:   "Державна реєстрація місця проживання та видача пам’ятки",
		ServiceEn: "Residence registration",
		Issued:    time.Date(2026, 11, 23, 9, 5, 0, 0, kyiv),
		Ahead:     3,
		Wait:      15 * time.Minute,
		QR:        "https://cherga.example/t/А023",
		Footer:    "Дякуємо! Стежте за табло та голосовими оголошеннями.",
	}
}

const testTicketText = `ЦНАП Подільського району м. Києва

А023
Державна реєстрація місця проживання та видача
пам’ятки
Residence registration
23.11.2026 09:05

Перед вами: 3 особи / People ahead: 3
Очікування: близько 15 хв / Wait: about 15 min

Стан черги онлайн / Queue status online


Дякуємо! Стежте за табло та голосовими
оголошеннями.`

func profile(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := LookupProfile(name)
	require.NoError(t, err)
	return p
}

// printed is tk laid out by p and read back by the decoder: the one
// ticket it prints.
func printed(t *testing.T, p *Profile, tk *Ticket) Doc {
	t.Helper()
	b, err := p.Ticket(tk)
	require.NoError(t, err)
	docs := NewDecoder(p).Feed(b)
	require.Len(t, docs, 1)
	return docs[0]
}

func TestTicketGolden(t *testing.T) {
	got, err := profile(t, "epson-tm-t20").Ticket(testTicket())
	require.NoError(t, err)
	require.Less(t, len(got), 1024, "a ticket without logo stays under 1 KB")

	testkit.Golden(t, "ticket-epson-tm-t20.bin", got)

	require.True(t, bytes.HasPrefix(got, []byte{ESC, '@', GS, 'a', ASBAll, ESC, 't', 46}), "init, automatic status back on again, then CP1251 = ESC t 46")
	require.True(t, bytes.HasSuffix(got, []byte{GS, 'V', 66, cutFeed}), "ends with feed and partial cut")
}

// A QR code of a profile's module size that would be wider than the paper
// (a printer leaves it out) is printed with the largest module that fits.
func TestTicketQRFitsPaper(t *testing.T) {
	p := *profile(t, "xprinter-58") // 384 dots
	p.QRModule = 12
	tk := testTicket()
	tk.QR = "https://cnap.inhulets-rada.gov.ua/cherga/t/demo/1042" // 52 bytes: version 4, 33 modules
	b, err := p.Ticket(tk)
	require.NoError(t, err)
	docs := NewDecoder(&p).Feed(b)
	require.Len(t, docs, 1)
	require.Equal(t, []int{384 / 33}, docs[0].QRModule)
	for n, want := range map[int]int{14: 21, 15: 25, 62: 33, 63: 37, 666: 97} {
		require.Equal(t, 200/want, qrFit(16, n, 200), "%d bytes: %d modules", n, want)
	}
	require.Equal(t, 6, qrFit(6, 52, 576), "it fits as the profile asks")
}

func TestTicketDecodeRoundTrip(t *testing.T) {
	for _, name := range Profiles() {
		t.Run(name, func(t *testing.T) {
			p := profile(t, name)
			b, err := p.Ticket(testTicket())
			require.NoError(t, err)
			docs, rest := decodeWith(p, b)
			require.Empty(t, rest)
			require.Len(t, docs, 1)
			doc := docs[0]
			require.True(t, doc.Cut)
			if p.QR {
				require.Equal(t, []string{"https://cherga.example/t/А023"}, doc.QR)
				require.Equal(t, []int{p.QRModule}, doc.QRModule, "the module size it was printed with")
				require.Empty(t, doc.Lines[doc.QRAt[0]-1].Text, "a blank line above the code (its quiet zone)")
			} else {
				require.Empty(t, doc.QR)
			}
			for _, l := range doc.Lines {
				require.LessOrEqual(t, len([]rune(l.Text))*l.Width, p.Columns, "line %q wider than the paper", l.Text)
			}
			label := findLine(t, doc, "А023")
			require.GreaterOrEqual(t, label.Width, 2)
			require.Equal(t, label.Width, label.Height)
			require.True(t, label.Bold)
			require.Equal(t, AlignCenter, label.Align)
			require.True(t, doc.Lines[0].Bold, "header is bold")
			require.False(t, findLine(t, doc, "Residence registration").Bold)
			if name == "epson-tm-t20" {
				require.Equal(t, testTicketText, doc.String())
				require.Equal(t, 4, label.Width)
				require.Equal(t, AlignCenter, findLine(t, doc, "Перед вами: 3 особи / People ahead: 3").Align, "the whole ticket is centred")
			}
		})
	}
}

func findLine(t *testing.T, d Doc, text string) Line {
	t.Helper()
	for _, l := range d.Lines {
		if l.Text == text {
			return l
		}
	}
	require.Failf(t, "line not found", "%q in\n%s", text, d)
	return Line{}
}

// decodeWith decodes b with the ESC t tables of p.
func decodeWith(p *Profile, b []byte) ([]Doc, []byte) {
	d := NewDecoder(p)
	docs := d.Feed(b)
	if len(docs) > 0 {
		return docs, nil
	}
	return docs, b
}

func TestTicketNarrowPaper(t *testing.T) {
	p := profile(t, "xprinter-58")
	tk := testTicket()
	tk.Label = "ПРІОР-12345" // 11 runes: 3×3 would be 33 > 32 columns
	b, err := p.Ticket(tk)
	require.NoError(t, err)
	docs := NewDecoder(p).Feed(b)
	require.Len(t, docs, 1)
	label := findLine(t, docs[0], tk.Label)
	require.Equal(t, 2, label.Width)
	require.Contains(t, docs[0].String(), "Перед вами: 3\u00a0особи\nPeople ahead: 3", "37 runes do not fit 32 columns")
	require.Contains(t, docs[0].String(), "Очікування: близько 15\u00a0хв\nWait: about 15\u00a0min")
}

// A clone that may start in Chinese mode has it turned off right after
// the ESC @ that may have turned it on, before ESC t; an Epson is not sent
// FS . at all.
func TestTicketCancelKanji(t *testing.T) {
	for _, name := range Profiles() {
		b, err := profile(t, name).Ticket(testTicket())
		require.NoError(t, err)
		kanji := strings.HasPrefix(name, "xprinter-")
		require.Equal(t, kanji, bytes.HasPrefix(b, []byte{ESC, '@', FS, '.', ESC, 't', 73}), name)
		require.Equal(t, kanji, bytes.Count(b, []byte{FS, '.'}) == 1, name)
	}
}

// A profile that may lack a cutter feeds the last line past the tear bar
// before GS V, which such a unit ignores; one sure of its cutter lets GS V
// feed to the blade.
func TestTicketFeedBeforeCut(t *testing.T) {
	b, err := profile(t, "xprinter-58").Ticket(testTicket())
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(b, []byte{'.', LF, ESC, 'd', tearFeed, GS, 'V', 66, cutFeed}), "% X", b[len(b)-9:])
	b, err = profile(t, "epson-tm-t20").Ticket(testTicket())
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(b, []byte{'.', LF, GS, 'V', 66, cutFeed}), "% X", b[len(b)-6:])

	p := profile(t, "xprinter-58")
	p.FeedBeforeCut = 256
	require.ErrorIs(t, p.Validate(), ErrInvalidProfile)
	require.ErrorContains(t, p.Validate(), "feed_before_cut")
}

// A priority ticket says so in bold under its number, above the duplicate
// line of its reprint; an ordinary one does not.
func TestTicketPriority(t *testing.T) {
	for _, name := range Profiles() {
		p := profile(t, name)
		tk := testTicket()
		require.NotContains(t, printed(t, p, tk).String(), "ПОЗАЧЕРГОВИЙ")

		tk.Priority, tk.Duplicate = true, true
		lines := printed(t, p, tk).Lines
		i := slices.IndexFunc(lines, func(l Line) bool { return l.Text == "А023" })
		require.Positive(t, i, name)
		require.Equal(t, Line{Text: "ПОЗАЧЕРГОВИЙ / PRIORITY", Width: 1, Height: 1, Bold: true, Align: AlignCenter}, lines[i+1], name)
		require.Equal(t, "ДУБЛІКАТ / DUPLICATE", lines[i+2].Text, name)
		require.False(t, lines[i+3].Bold, name)
	}
}

// A booked visit's ticket says its time in bold under its number, in
// place of the priority line it would have, on every paper width.
func TestTicketAppointment(t *testing.T) {
	for _, name := range Profiles() {
		p := profile(t, name)
		tk := testTicket()
		tk.Priority, tk.Appointment = true, "10:30"
		doc := printed(t, p, tk)
		require.NotContains(t, doc.String(), "ПОЗАЧЕРГОВИЙ", name)
		require.Contains(t, strings.ReplaceAll(doc.String(), "\n", " "), "ЗА ЗАПИСОМ НА 10:30 / APPOINTMENT AT 10:30", name)
		i := slices.IndexFunc(doc.Lines, func(l Line) bool { return l.Text == "А023" })
		require.True(t, doc.Lines[i+1].Bold, name)
		require.True(t, strings.HasPrefix(doc.Lines[i+1].Text, "ЗА ЗАПИСОМ НА 10:30"), "%s: %q", name, doc.Lines[i+1].Text)
	}
}

// A ticket expected to be served only after closing says so under its
// wait, on every paper width.
func TestTicketLate(t *testing.T) {
	for _, name := range Profiles() {
		p := profile(t, name)
		tk := testTicket()
		require.NotContains(t, printed(t, p, tk).String(), "встигнуть", name)
		tk.Late = true
		text := printed(t, p, tk).String()
		wait := strings.Index(text, "Очікування")
		late := strings.Index(text, "Можливо, вас не\u00a0встигнуть")
		require.Positive(t, wait, name)
		require.Greater(t, late, wait, "%s: under the wait", name)
		require.Contains(t, strings.ReplaceAll(text, "\n", " "), "You may not be served today", name)
		// With when the service closes: a short wait beside "you may not
		// be served" needs it.
		tk.Closes = "17:00"
		text = strings.ReplaceAll(printed(t, p, tk).String(), "\n", " ")
		require.Contains(t, text, "Прийом до 17:00: можливо, вас не\u00a0встигнуть", name)
		require.Contains(t, text, "Open until 17:00: you may not be served today", name)
		// «не» never ends a line, away from the verb it denies (32
		// columns broke «…можливо, вас не» | «встигнуть…»).
		for _, l := range printed(t, p, tk).Lines {
			require.False(t, strings.HasSuffix(l.Text, " не") || strings.HasSuffix(l.Text, " в"), "%s: %q", name, l.Text)
		}
	}
}

// A label that reads otherwise in English (Ц001 is said "Ts one") has its
// Latin form after the service's English name, on every paper width: the
// Ukrainian comes first.
func TestTicketLabelLatin(t *testing.T) {
	for _, name := range Profiles() {
		p := profile(t, name)
		tk := testTicket()
		require.NotContains(t, printed(t, p, tk).String(), "Ticket ", name)
		tk.Label, tk.LabelLatin = "Ц001", "Ts001"
		text := printed(t, p, tk).String()
		require.Contains(t, text, "Ticket Ts001", name)
		require.Less(t, strings.Index(text, "Ц001"), strings.Index(text, "Ticket Ts001"), "%s: under the number", name)
		require.Less(t, strings.Index(text, tk.ServiceEn), strings.Index(text, "Ticket Ts001"), "%s: after the English name", name)
	}
}

func TestTicketOptionalFields(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	doc := printed(t, p, &Ticket{Label: "Б7", Service: "Пенсії", Ahead: -1, Wait: -1})
	require.Equal(t, "Б7\nПенсії", doc.String())
	require.Empty(t, doc.QR)

	require.Equal(t, "Б8\n\nПеред вами нікого немає / No one is ahead of you\nОчікування: менше хвилини / Wait: under a minute", printed(t, p, &Ticket{Label: "Б8", Ahead: 0, Wait: 0}).String())
}

func TestTicketNVLogo(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	tk := testTicket()
	tk.NVLogo = 1
	b, err := p.Ticket(tk)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte{ESC, '@', GS, 'a', ASBAll, ESC, 't', 46, ESC, 'a', 1, FS, 'p', 1, 0}), "% X", b[:15])
	docs := NewDecoder(p).Feed(b)
	require.Len(t, docs, 1)
	require.Equal(t, 1, docs[0].Images)
	require.Equal(t, []int{0}, docs[0].ImagesAt, "at the top")
	require.Equal(t, testTicketText, docs[0].String())
}

func TestTicketErrors(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	p.CodePage = "cp866"
	tk := testTicket()
	_, err := p.Ticket(tk)
	var ee *EncodeError
	require.ErrorAs(t, err, &ee, "CP866 cannot print the і of «Подільського»")
	require.Equal(t, 'і', ee.Rune)
	require.ErrorIs(t, err, ErrUnencodable)
	require.Contains(t, err.Error(), "header")

	p.CodePage = "cp1125"
	_, err = p.Ticket(tk)
	require.NoError(t, err)

	tk.Service = "Реєстрація\x1b@"
	_, err = p.Ticket(tk)
	require.ErrorIs(t, err, ErrUnencodable, "an ESC in a config text must not reach the printer")
	require.Contains(t, err.Error(), "service")

	_, err = p.Ticket(&Ticket{})
	require.ErrorIs(t, err, ErrInvalidArgument)
	_, err = p.Ticket(nil)
	require.ErrorIs(t, err, ErrInvalidArgument)

	p.CodePage = "koi8-u"
	_, err = p.Ticket(testTicket())
	require.ErrorIs(t, err, ErrInvalidProfile)
}

// The short words of addresses and numbers, and the one-letter ones, stay
// with the word after them, as Ukrainian typesetting has it: «м.» or «о»
// never ends a line.
func TestBindShortWords(t *testing.T) {
	for in, want := range map[string]string{
		"ЦНАП Подільського району м. Києва": "ЦНАП Подільського району м.\u00A0Києва",
		"вул. Шевченка, буд. 5, каб. 12":    "вул.\u00A0Шевченка, буд.\u00A05, каб.\u00A012",
		"офіс № 2, смт Козин":               "офіс №\u00A02, смт\u00A0Козин",
		"Please watch the board":            "Please watch the board",
		"ЦНАП (м. Київ), Вул. Хрещатик":     "ЦНАП (м.\u00A0Київ), Вул.\u00A0Хрещатик",
		"м.":            "м.",
		"пам. м.\nКиїв": "пам. м.\nКиїв",
		"Ваш запис — на 09.12.2026 о 10:00. Будь ласка, приходьте в цей день.": "Ваш запис — на 09.12.2026 о\u00A010:00. Будь ласка, приходьте в\u00A0цей день.",
		"В укритті (й у залі) і «а також» a b":                                 "В\u00A0укритті (й\u00A0у\u00A0залі) і\u00A0«а\u00A0також» a b",
		"о": "о",
	} {
		require.Equal(t, want, bindShortWords(in), in)
	}
	p := profile(t, "xprinter-58")
	d := printed(t, p, &Ticket{Header: "ЦНАП Подільського району м. Києва", Label: "А001", Ahead: -1, Wait: -1})
	require.Contains(t, d.String(), "м.\u00a0Києва", "the header's «м.» went to the next line with «Києва»")
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in   string
		cols int
		want []string
	}{
		{"", 10, nil},
		{"   ", 10, nil},
		{"Пенсії", 10, []string{"Пенсії"}},
		{"Соціальна допомога", 10, []string{"Соціальна", "допомога"}},
		{"Соціальна допомога", 18, []string{"Соціальна допомога"}},
		{"Соціальна допомога", 17, []string{"Соціальна", "допомога"}},
		{"а б в г д", 3, []string{"а б", "в г", "д"}},
		{"Реєстраціяпроживання", 8, []string{"Реєстрац", "іяпрожив", "ання"}},
		{"x Реєстраціяпроживання y", 10, []string{"x", "Реєстрація", "проживання", "y"}},
		{"перший\nдругий рядок", 20, []string{"перший", "другий рядок"}},
		{"  багато   пробілів\tі табуляцій ", 40, []string{"багато пробілів і табуляцій"}},
		{"вул. Шевченка, м.\u00A0Київ", 20, []string{"вул. Шевченка,", "м.\u00A0Київ"}}, // a no-break space holds
		{"вул. Шевченка, м.\u202FКиїв", 20, []string{"вул. Шевченка,", "м.\u202FКиїв"}}, // a narrow one too
		// Bound words wider than a line break where they were bound.
		{"Прийом за адресою просп.\u00A0Берестейський, 5", 20, []string{"Прийом за адресою", "просп.", "Берестейський, 5"}},
		// A dash never starts a line: the word before it comes along.
		{"офіс №2 — відділ", 8, []string{"офіс", "№2 —", "відділ"}},
		{"Рогу «Прозорий офіс» — відділ", 20, []string{"Рогу «Прозорий", "офіс» — відділ"}},
		{"з 9:00 – до 18:00", 6, []string{"з", "9:00 –", "до", "18:00"}},
		{"в Києві - столиці", 8, []string{"в", "Києві -", "столиці"}}, // a page without dashes
		{"аааааааа — б", 8, []string{"аааааааа", "— б"}},              // a word that fills a line cannot come along
		{"а — б", 10, []string{"а — б"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := wrap(tt.in, tt.cols)
			require.Equal(t, tt.want, got)
			for _, l := range got {
				require.LessOrEqual(t, len([]rune(l)), tt.cols)
			}
			// No word is lost or cut unless it is longer than a line.
			require.Equal(t, strings.Join(strings.Fields(tt.in), ""), strings.Join(strings.Fields(strings.Join(got, " ")), ""))
		})
	}
}

// A ticket issued while every counter of its service is on a break says
// so where the wait would be: the citizen waits rather than leave.
func TestTicketOnBreak(t *testing.T) {
	p := profile(t, "epson-tm-t20")
	d := printed(t, p, &Ticket{Label: "Ц001", Ahead: 2, Wait: -1, OnBreak: true})
	require.Equal(t, "Ц001\n\nПеред вами: 2\u00a0особи / People ahead: 2\nЗараз перерва в\u00a0прийомі: очікуйте виклику\nService is on a break: please wait to be called", d.String())
	d = printed(t, p, &Ticket{Label: "Ц001", Ahead: 2, Wait: 5 * time.Minute, OnBreak: true})
	require.NotContains(t, d.String(), "перерва", "a wait known is said instead")

	// In an air-raid alert the line sends the citizen to the shelter.
	d = printed(t, p, &Ticket{Label: "Ц001", Ahead: 2, Wait: -1, OnBreak: true, Alert: true})
	require.Equal(t, "Ц001\n\nПеред вами: 2\u00a0особи / People ahead: 2\nПовітряна тривога: пройдіть до\u00a0укриття. Ваше\nмісце в\u00a0черзі збережено\nAir-raid alert: please go to the shelter. Your\nplace in the queue is kept", d.String())
}

// Text in decomposed form (й as и + U+0306, ї as і + U+0308: pasted from
// a Mac or a web page) is laid out as the letters it prints: a word of a
// whole line stays whole, and the ticket is the one of the composed text.
func TestTicketDecomposedText(t *testing.T) {
	p := profile(t, "xprinter-58") // 32 columns
	composed := strings.Repeat("а", 31) + "й Київ"
	decomposed := strings.Repeat("а", 31) + "и\u0306 Ки\u0456\u0308в"
	want, err := p.Ticket(&Ticket{Label: "А001", Service: composed, Ahead: -1, Wait: -1})
	require.NoError(t, err)
	got, err := p.Ticket(&Ticket{Label: "А001", Service: decomposed, Ahead: -1, Wait: -1})
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// A narrow no-break space prints as the page's no-break space and keeps
// its words on one line, as a no-break space does.
func TestTicketNarrowNoBreakSpace(t *testing.T) {
	for _, page := range []string{"cp1251", "cp1125"} {
		p := profile(t, "epson-tm-t20")
		p.CodePage = page
		footer := strings.Repeat("а", 44) + " м.\u202FКиїв"
		b, err := p.Ticket(&Ticket{Label: "А001", Footer: footer, Ahead: -1, Wait: -1})
		require.NoError(t, err)
		docs, _ := decodeWith(p, b)
		require.Len(t, docs, 1)
		require.Equal(t, "А001\n\n"+strings.Repeat("а", 44)+"\nм.\u00A0Київ", docs[0].String(), page)
	}
}

func TestPlural(t *testing.T) {
	tests := map[int]string{
		0: "осіб", 1: "особа", 2: "особи", 3: "особи", 4: "особи", 5: "осіб", 10: "осіб",
		11: "осіб", 12: "осіб", 13: "осіб", 14: "осіб", 15: "осіб", 20: "осіб",
		21: "особа", 22: "особи", 24: "особи", 25: "осіб", 101: "особа", 111: "осіб",
		112: "осіб", 122: "особи", 1001: "особа", -1: "особа",
	}
	for n, want := range tests {
		require.Equal(t, want, plural(n, "особа", "особи", "осіб"), "n=%d", n)
	}
}

func TestWaitText(t *testing.T) {
	tests := []struct {
		d      time.Duration
		uk, en string
	}{
		{0, "менше хвилини", "under a minute"},
		{29 * time.Second, "менше хвилини", "under a minute"},
		{30 * time.Second, "близько 1\u00a0хв", "about 1\u00a0min"},
		{15 * time.Minute, "близько 15\u00a0хв", "about 15\u00a0min"},
		{60 * time.Minute, "близько 1\u00a0год", "about 1\u00a0h"},
		{95 * time.Minute, "близько 1\u00a0год 35\u00a0хв", "about 1\u00a0h 35\u00a0min"},
		{61 * time.Minute, "близько 1\u00a0год", "about 1\u00a0h"},
		{63 * time.Minute, "близько 1\u00a0год 5\u00a0хв", "about 1\u00a0h 5\u00a0min"},
		// eta_min 62, and 63 (docs/mqtt.md, {root}/queue/{service}).
		{62*time.Minute + 29*time.Second, "близько 1\u00a0год", "about 1\u00a0h"},
		{62*time.Minute + 30*time.Second, "близько 1\u00a0год 5\u00a0хв", "about 1\u00a0h 5\u00a0min"},
		{119 * time.Minute, "близько 2\u00a0год", "about 2\u00a0h"},
	}
	for _, tt := range tests {
		uk, en := WaitText(tt.d)
		require.Equal(t, tt.uk, uk, tt.d)
		require.Equal(t, tt.en, en, tt.d)
	}
}

func TestProfiles(t *testing.T) {
	require.Equal(t, []string{"epson-tm-t20", "generic", "xprinter-58", "xprinter-80"}, Profiles())
	for _, name := range Profiles() {
		p := profile(t, name)
		require.NoError(t, p.Validate(), name)
		require.Equal(t, name, p.Name)
		require.Equal(t, "cp1251", p.CodePage, "CP866 lacks І")
	}
	p := profile(t, "epson-tm-t20")
	require.Equal(t, map[string]byte{"cp866": 17, "cp1125": 44, "cp1251": 46}, p.CodeTables)
	require.Equal(t, byte(73), profile(t, "xprinter-80").CodeTables["cp1251"])
	require.Equal(t, 32, profile(t, "xprinter-58").Columns)

	// A copy: changing it does not change the built-in.
	p.CodeTables["cp1251"] = 99
	require.Equal(t, byte(46), profile(t, "epson-tm-t20").CodeTables["cp1251"])

	_, err := LookupProfile("star-tsp100")
	require.ErrorIs(t, err, ErrUnknownProfile)
	require.True(t, errors.Is(err, ErrUnknownProfile))
}

func TestParseProfiles(t *testing.T) {
	ps, err := ParseProfiles([]byte(`
profiles:
  - name: Acme-80
    paper_mm: 80
    columns: 42
    code_page: CP1125
    code_tables: {cp1125: 9}
    cut: true
`))
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, &Profile{Name: "acme-80", PaperMM: 80, Columns: 42, CodePage: "cp1125", CodeTables: map[string]byte{"cp1125": 9}, Cut: true}, ps[0])
	b, err := ps[0].Ticket(testTicket())
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte{ESC, '@', ESC, 't', 9}))

	ps, err = ParseProfiles(nil)
	require.NoError(t, err)
	require.Empty(t, ps)

	for name, doc := range map[string]string{
		"unknown field": "profiles:\n  - {name: a, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}, colour: red}",
		"no tables":     "profiles:\n  - {name: a, columns: 48, code_page: cp1251}",
		"unknown page":  "profiles:\n  - {name: a, columns: 48, code_page: koi8-u, code_tables: {koi8-u: 1}}",
		"duplicate":     "profiles:\n  - {name: a, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}\n  - {name: A, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}",
		"no name":       "profiles:\n  - {columns: 48, code_page: cp1251, code_tables: {cp1251: 46}}",
		"narrow":        "profiles:\n  - {name: a, columns: 8, code_page: cp1251, code_tables: {cp1251: 46}}",
		"not yaml":      "profiles: [",
	} {
		_, err := ParseProfiles([]byte(doc))
		require.ErrorIs(t, err, ErrInvalidProfile, name)
	}
}

func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte("profiles:\n  - {name: a, columns: 48, code_page: cp1251, code_tables: {cp1251: 46}, qr: true}"))
	f.Add([]byte("profiles: [{name: b, columns: 32, code_page: cp1125, code_tables: {cp1125: 44, cp866: 17}}]"))
	f.Add([]byte("profiles:\n  - name: &a x\n    columns: *a"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := ParseProfiles(b)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidProfile)
			return
		}
		for _, p := range ps {
			// A profile that parsed lays out the test ticket or says why not.
			if _, err := p.Ticket(testTicket()); err != nil {
				require.ErrorIs(t, err, ErrUnencodable)
			}
		}
	})
}

// A line wraps on what the page prints: "…" where the page has no ellipsis
// takes three columns, and still no line is wider than the paper.
func TestWrapCountsPlainForms(t *testing.T) {
	footer := "Тел. … довідки … № 5 … запис … № 6 … кінець … № 7 … № 8"
	base, err := LookupProfile("epson-tm-t20")
	require.NoError(t, err)
	p := *base
	p.CodePage = "cp1125"
	b, err := p.Ticket(&Ticket{Label: "А001", Service: "Соціальний захист", Footer: footer})
	require.NoError(t, err)
	docs, _ := Decode(b)
	require.Len(t, docs, 1)
	text := docs[0].String()
	for _, line := range strings.Split(text, "\n") {
		require.LessOrEqual(t, runeLen(line), p.Columns, "%q", line)
	}
	require.Contains(t, text, "...")
}

// The office's English name, when it has one, is under its name, in
// plain type, above the number: a foreigner reads where they are.
func TestTicketHeaderEn(t *testing.T) {
	for _, name := range Profiles() {
		p := profile(t, name)
		tk := testTicket()
		require.NotContains(t, printed(t, p, tk).String(), "Centre", name)
		tk.HeaderEn = "Administrative Services Centre"
		lines := printed(t, p, tk).Lines
		en := slices.IndexFunc(lines, func(l Line) bool { return l.Text == "Administrative Services Centre" })
		label := slices.IndexFunc(lines, func(l Line) bool { return l.Text == "А023" })
		require.Positive(t, en, name)
		require.Less(t, en, label, name)
		require.True(t, lines[en-1].Bold, "%s: under the name", name)
		require.False(t, lines[en].Bold, name)
	}
}

// A notice slip says, in both languages, why no ticket was given, on
// every profile: no number, no QR code, nothing taken for a ticket.
func TestNotice(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	n := &Notice{Header: "Прозорий офіс", HeaderEn: "Transparent Office", Title: "ЗАПИС / APPOINTMENT",
		Text: "Ваш запис — на 09.12.2026 о 10:00. Будь ласка, приходьте в цей день.", TextEn: "Your appointment is on 09.12.2026 at 10:00. Please come on that day.",
		At: time.Date(2026, 12, 8, 15, 4, 0, 0, kyiv)}
	for _, name := range Profiles() {
		p := profile(t, name)
		b, err := p.Notice(n)
		require.NoError(t, err, name)
		docs := NewDecoder(p).Feed(b)
		require.Len(t, docs, 1, name)
		doc := docs[0]
		require.True(t, doc.Cut || !p.Cut, name)
		require.Empty(t, doc.QR, name)
		text := strings.Join(strings.Fields(doc.String()), " ")
		require.Contains(t, text, "Прозорий офіс Transparent Office ЗАПИС / APPOINTMENT Ваш запис — на 09.12.2026 о 10:00. Будь ласка, приходьте в цей день. Your appointment is on 09.12.2026 at 10:00. Please come on that day. 08.12.2026 15:04", name)
		for _, l := range doc.Lines {
			require.Equal(t, 1, l.Width, "%s: %q: no large type", name, l.Text)
			require.Equal(t, strings.HasPrefix(l.Text, "ЗАПИС") || strings.HasPrefix(l.Text, "Прозорий"), l.Bold, "%s: %q", name, l.Text)
		}
	}
	_, err = profile(t, "generic").Notice(&Notice{Title: "x"})
	require.ErrorIs(t, err, ErrInvalidArgument)
}
