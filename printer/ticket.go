package printer

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Ticket is what the citizen takes from the kiosk.
type Ticket struct {
	Header    string        // office name: top, centred, bold
	HeaderEn  string        // optional English office name, under it
	Label     string        // ticket number such as "А023": printed large
	Service   string        // Ukrainian service name, word-wrapped
	ServiceEn string        // optional English name, printed second
	Issued    time.Time     // printed as 02.01.2006 15:04 in the time's own location; zero = not printed
	Ahead     int           // people ahead in the queue; < 0 = unknown, not printed
	Wait      time.Duration // estimated wait; < 0 = unknown, not printed
	QR        string        // optional QR payload (a status URL); "" = none
	Footer    string        // optional, centred, word-wrapped
	Duplicate bool          // a reprint: "ДУБЛІКАТ / DUPLICATE" under the number
	// Called and CalledEn say where a citizen already called goes
	// ("Вас викликано: вікно 10", "You have been called: counter 10"): the
	// reprint of a called ticket prints them, in bold, in place of the
	// wait, and leaves out the footer, which tells a waiting citizen to
	// watch for a call that has come.
	Called, CalledEn string
	// LabelLatin is the label as the English announcement says it
	// ("Ts001" for Ц001), printed under the number as "Ticket Ts001" for
	// a citizen who reads English; empty for none.
	LabelLatin string
	// Priority is a ticket served out of turn: "ПОЗАЧЕРГОВИЙ / PRIORITY"
	// under the number, so the citizen sees that the long press worked and
	// the specialist that the priority was given. Never the category: it
	// may tell a disability.
	Priority bool
	// Appointment is the time of a visit booked ahead ("10:30"), printed
	// under the number in place of Priority's line: the citizen sees when
	// they will be called, the specialist why the ticket came first.
	Appointment string
	// Late says the citizen is expected to be served only after the service
	// closes: a line under the wait says so, rather than let them wait all
	// day for nothing.
	Late bool
	// Closes is when the service closes today ("17:00"), said on the late
	// line: a short wait and "you may not be served" side by side need it.
	Closes string
	// OnBreak says no counter of the service is open now (all on a
	// break, the wait unknown: Wait below 0): a line where the wait
	// would be says so, so that the citizen waits rather than leave.
	OnBreak bool
	// Alert says, with OnBreak, that the counters stopped for an air-raid
	// alert: the line sends the citizen to the shelter, keeping the
	// place, rather than telling them to wait in the hall.
	Alert bool
	// NVLogo is the key (1..255) of a logo stored in the printer's flash with the
	// vendor's utility, printed centred at the top with FS p; 0 = none. It costs
	// four bytes on the wire, whatever the size of the logo.
	NVLogo byte
	// Logo is a raster logo (NewBitmap), printed centred at the top with
	// GS v 0 when there is no NVLogo; nil = none. Its bytes go on the wire
	// with every ticket: WidthBytes×Rows of them, a few KB.
	Logo *Bitmap
}

// qrCapacityM is how many bytes a QR code of level M holds in byte mode,
// by version from 1 (ISO/IEC 18004, table 7); a version is 17+4v modules a
// side.
var qrCapacityM = []int{14, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331, 362, 412, 450, 504, 560, 624, 666}

// fontADots is the width of a character of font A in dots: a line of
// Columns of them is the width of the paper.
const fontADots = 12

// qrFit is the largest module size up to mod at which a QR code of n bytes
// (level M) fits in dots: a printer leaves out a code wider than its paper.
func qrFit(mod, n, dots int) int {
	v := 1
	for v <= len(qrCapacityM) && qrCapacityM[v-1] < n {
		v++
	}
	return max(1, min(mod, dots/(17+4*v)))
}

// cutFeed is the n of GS V 66 n: a little paper under the last line before the cut.
const cutFeed = 24

// tearFeed is the lines fed at the end of a ticket that is torn off: the tear
// bar of a thermal printer is 10 to 15 mm past the head, 3 to 4 lines.
const tearFeed = 4

// Ticket lays t out for p and returns the ESC/POS bytes, from ESC @ to the partial
// cut. Every text is encoded in the profile's code page; one that cannot be encoded
// is an error wrapping the *EncodeError and naming the field, and nothing is printed.
// On a profile without QR support the QR code is left out; the rest of the ticket
// still tells the citizen everything.
func (p *Profile) Ticket(t *Ticket) ([]byte, error) {
	if t == nil || strings.TrimSpace(t.Label) == "" {
		return nil, fmt.Errorf("%w: ticket without a label", ErrInvalidArgument)
	}
	w, err := p.begin()
	if err != nil {
		return nil, err
	}
	switch {
	case t.NVLogo != 0:
		w.b = NVLogo(w.b, t.NVLogo, 0)
	case t.Logo != nil:
		if 8*t.Logo.WidthBytes > p.Dots() {
			return nil, fmt.Errorf("%w: logo %d dots wide on %s, at most %d", ErrInvalidArgument, 8*t.Logo.WidthBytes, p.Name, p.Dots())
		}
		if w.b, err = Raster(w.b, t.Logo.WidthBytes, t.Logo.Rows, t.Logo.Data); err != nil {
			return nil, fmt.Errorf("printer: ticket field logo: %w", err)
		}
	}
	w.header(t.Header, t.HeaderEn)

	scale := p.LabelScale
	if scale == 0 {
		scale = 3
	}
	label := strings.TrimSpace(t.Label)
	scale = max(1, min(scale, p.Columns/runeLen(label)))
	w.b = Size(w.b, scale, scale)
	w.b = Emphasize(w.b, true)
	w.text("label", label, scale)
	w.b = Emphasize(w.b, false)
	w.b = Size(w.b, 1, 1)
	switch {
	case t.Appointment != "":
		w.bold("appointment", "ЗА ЗАПИСОМ НА "+t.Appointment+" / APPOINTMENT AT "+t.Appointment)
	case t.Priority:
		w.bold("priority", "ПОЗАЧЕРГОВИЙ / PRIORITY")
	}
	if t.Duplicate {
		w.bold("duplicate", "ДУБЛІКАТ / DUPLICATE")
	}

	w.text("service", t.Service, 1)
	w.text("service_en", t.ServiceEn, 1)
	// The number in Latin letters, for a reader of the English, after
	// the Ukrainian: "Ticket Ts021".
	if t.LabelLatin != "" {
		w.text("label_latin", "Ticket "+t.LabelLatin, 1)
	}
	if !t.Issued.IsZero() {
		w.text("issued", t.Issued.Format("02.01.2006 15:04"), 1)
	}

	if t.Called != "" {
		// Where to go is what the citizen holding a copy looks for: in
		// bold, twice as tall as the lines around it (as wide, so that
		// it wraps as they do).
		w.b = append(w.b, LF)
		w.b = Emphasize(w.b, true)
		w.b = Size(w.b, 1, 2)
		if t.CalledEn == "" {
			w.text("called", t.Called, 1)
		} else {
			w.pair("called", t.Called, t.CalledEn)
		}
		w.b = Size(w.b, 1, 1)
		w.b = Emphasize(w.b, false)
	}
	if t.Ahead >= 0 || t.Wait >= 0 {
		w.b = append(w.b, LF)
	}
	if t.Ahead >= 0 {
		uk, en := AheadText(t.Ahead)
		w.pair("ahead", uk, en)
	}
	if t.Wait >= 0 {
		uk, en := WaitText(t.Wait)
		w.pair("wait", "Очікування: "+uk, "Wait: "+en)
	} else if t.OnBreak && t.Alert {
		w.pair("alert", alertUK, alertEN)
	} else if t.OnBreak {
		w.pair("on_break", onBreakUK, onBreakEN)
	}
	if t.Late {
		uk, en := LateText(t.Closes)
		w.pair("late", uk, en)
	}

	if t.QR != "" && p.QR {
		w.b = append(w.b, LF)
		w.pair("qr", "Стан черги онлайн", "Queue status online")
		// A line of paper above the code, as below it: a scanner finds
		// its edge by the blank around it (the quiet zone).
		w.b = append(w.b, LF)
		mod := p.QRModule
		if mod == 0 {
			mod = 6
		}
		mod = qrFit(mod, len(t.QR), p.Columns*fontADots)
		if w.err == nil {
			if w.b, err = QR(w.b, t.QR, mod, QRLevelM); err != nil {
				w.err = fmt.Errorf("printer: ticket field qr: %w", err)
			}
		}
	}
	if t.Footer != "" && t.Called == "" {
		w.b = append(w.b, LF)
		w.text("footer", t.Footer, 1)
	}
	return p.end(w)
}

// Notice is a slip a kiosk without a screen prints in place of a ticket,
// for the citizen to read why they got none: a booking for another day,
// a ticket no longer valid.
type Notice struct {
	Header, HeaderEn string // the office's name, as a ticket's
	// Title is printed in bold under the header: «ЗАПИС / APPOINTMENT».
	Title string
	// Text is the message in Ukrainian, TextEn in English under it; both
	// word-wrapped.
	Text, TextEn string
	At           time.Time // printed as 02.01.2006 15:04; zero = not printed
}

// Notice encodes a notice slip; it has no number and no QR code, so that
// nobody takes it for a ticket.
func (p *Profile) Notice(n *Notice) ([]byte, error) {
	if n == nil || strings.TrimSpace(n.Text) == "" {
		return nil, fmt.Errorf("%w: notice without a text", ErrInvalidArgument)
	}
	w, err := p.begin()
	if err != nil {
		return nil, err
	}
	w.header(n.Header, n.HeaderEn)
	if n.Title != "" {
		w.bold("title", n.Title)
		w.b = append(w.b, LF)
	}
	w.text("text", n.Text, 1)
	if n.TextEn != "" {
		w.b = append(w.b, LF)
		w.text("text_en", n.TextEn, 1)
	}
	if !n.At.IsZero() {
		w.b = append(w.b, LF)
		w.text("at", n.At.Format("02.01.2006 15:04"), 1)
	}
	return p.end(w)
}

// begin starts a document: the printer reset, in the profile's code
// page, centred.
func (p *Profile) begin() (*ticketWriter, error) {
	cp, table, err := p.codePage()
	if err != nil {
		return nil, err
	}
	w := &ticketWriter{b: make([]byte, 0, 512), cp: cp, cols: p.Columns}
	w.b = Init(w.b)
	if p.CancelKanji {
		w.b = CancelKanji(w.b) // ESC @ may have turned it on
	}
	if p.ASB {
		w.b = AutoStatus(w.b, ASBAll) // ESC @ turned it off
	}
	w.b = CodeTable(w.b, table)
	w.b = SetAlign(w.b, AlignCenter)
	return w, nil
}

// end cuts the paper, or feeds it to the tear bar, and gives the document
// or its first error.
func (p *Profile) end(w *ticketWriter) ([]byte, error) {
	if p.Cut {
		if p.FeedBeforeCut > 0 {
			w.b = Feed(w.b, byte(p.FeedBeforeCut))
		}
		w.b = CutPaper(w.b, CutPartial, cutFeed)
	} else {
		w.b = Feed(w.b, tearFeed)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.b, nil
}

// header writes the office's name in bold, and its English one under it.
func (w *ticketWriter) header(uk, en string) {
	if uk == "" {
		return
	}
	w.b = Emphasize(w.b, true)
	w.text("header", uk, 1)
	w.b = Emphasize(w.b, false)
	if en != "" {
		w.text("header_en", en, 1)
	}
	w.b = append(w.b, LF)
}

// ticketWriter accumulates a ticket and its first error.
type ticketWriter struct {
	b    []byte
	cp   *CodePage
	cols int
	err  error
}

// text writes s word-wrapped for characters scale cells wide, one LF per
// line. It wraps what the page prints: a … the page lacks takes three
// columns as "...".
func (w *ticketWriter) text(field, s string, scale int) {
	for _, line := range wrap(w.cp.plain(bindShortWords(s)), w.cols/scale) {
		w.line(field, line)
	}
}

// bold writes s word-wrapped in emphasized characters.
func (w *ticketWriter) bold(field, s string) {
	w.b = Emphasize(w.b, true)
	w.text(field, s, 1)
	w.b = Emphasize(w.b, false)
}

func (w *ticketWriter) line(field, s string) {
	if w.err != nil {
		return
	}
	b, err := w.cp.Encode(w.b, s)
	if err != nil {
		w.err = fmt.Errorf("printer: ticket field %s: %w", field, err)
		return
	}
	w.b = append(b, LF)
}

// pair writes "uk / en" on one line when it fits, else the two on their own lines.
func (w *ticketWriter) pair(field, uk, en string) {
	if both := uk + " / " + en; runeLen(w.cp.plain(both)) <= w.cols {
		w.line(field, both)
		return
	}
	w.text(field, uk, 1)
	w.text(field, en, 1)
}

// The line of a ticket issued while every counter of its service is on a
// break (Ticket.OnBreak), Ukrainian and English.
const (
	onBreakUK = "Зараз перерва в\u00a0прийомі: очікуйте виклику"
	onBreakEN = "Service is on a break: please wait to be called"
)

// OnBreakText is the line of Ticket.OnBreak, Ukrainian and English, for a
// screen that says what the ticket does.
func OnBreakText() (uk, en string) { return onBreakUK, onBreakEN }

// The line of a ticket printed while the office is paused for an air-raid
// alert (Ticket.Alert), Ukrainian and English.
const (
	alertUK = "Повітряна тривога: пройдіть до\u00a0укриття. Ваше місце в\u00a0черзі збережено"
	alertEN = "Air-raid alert: please go to the shelter. Your place in the queue is kept"
)

// AlertText is the line of Ticket.Alert, Ukrainian and English, for a
// screen that says what the ticket does.
func AlertText() (uk, en string) { return alertUK, alertEN }

// LateText is the line of Ticket.Late, Ukrainian and English, with when
// the service closes ("17:00") when it is known: for the ticket and a
// screen that says what it does.
func LateText(closes string) (uk, en string) {
	if closes == "" {
		return "Можливо, вас не\u00a0встигнуть прийняти сьогодні", "You may not be served today"
	}
	return "Прийом до " + closes + ": можливо, вас не\u00a0встигнуть прийняти сьогодні", "Open until " + closes + ": you may not be served today"
}

// abbreviations are the short words of addresses and numbers that
// Ukrainian typesetting keeps on one line with the word after them: an
// office's name «ЦНАП Подільського району м. Києва» never ends a line
// with «м.».
var abbreviations = map[string]bool{
	"м.": true, "с.": true, "смт": true, "сел.": true, "вул.": true, "просп.": true, "пр.": true,
	"бульв.": true, "пл.": true, "пров.": true, "буд.": true, "б.": true, "р-н": true, "обл.": true,
	"каб.": true, "№": true, "no.": true,
}

// oneLetter are the words of one letter, prepositions and conjunctions,
// that Ukrainian typesetting never leaves at the end of a line either:
// «о 10:00», «в цей день».
const oneLetter = "авзійоу"

// bindsNext reports whether word is one of abbreviations or oneLetter, in
// any case and after an opening bracket or quote: «(м.», «Вул.», «В».
func bindsNext(word string) bool {
	word = word[strings.LastIndexAny(word, "\n\t")+1:]
	word = strings.ToLower(strings.TrimLeft(word, "(«\"'"))
	return abbreviations[word] || utf8.RuneCountInString(word) == 1 && strings.Contains(oneLetter, word)
}

// bindShortWords joins each of abbreviations and oneLetter to the word
// after it with a no-break space, which wrap does not break.
func bindShortWords(s string) string {
	if !strings.ContainsRune(s, ' ') {
		return s
	}
	words := strings.Split(s, " ")
	var b strings.Builder
	for i, word := range words {
		if i > 0 {
			if bindsNext(words[i-1]) && word != "" {
				b.WriteRune('\u00A0')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(word)
	}
	return b.String()
}

// wrap splits s into lines of at most cols runes, breaking at spaces. A
// word longer than a line is the only thing ever split: at its no-break
// spaces if it has them (bindShortWords), else where the line ends. A
// dash standing as a word («Київ — столиця») never starts a line, as
// Ukrainian typesetting wants: the word before it comes along to the next
// line, unless that word fills a line by itself. "\n" in s starts a new
// line.
func wrap(s string, cols int) []string {
	cols = max(cols, 1)
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var cur []rune
		last := 0 // where the last word of cur starts
		// A no-break space (м.\u00A0Київ, №\u00A05) keeps its words
		// together: only plain spaces break a line.
		var words []string
		for _, word := range strings.FieldsFunc(para, func(r rune) bool { return r == ' ' || r == '\t' }) {
			if runeLen(word) > cols && strings.ContainsAny(word, "\u00A0\u202F") {
				// Bound words that do not fit a line together break
				// where they were bound, not in the middle of one.
				words = append(words, strings.FieldsFunc(word, func(r rune) bool { return r == '\u00A0' || r == '\u202F' })...)
				continue
			}
			words = append(words, word)
		}
		for _, word := range words {
			rw := []rune(word)
			if len(cur) > 0 && len(cur)+1+len(rw) <= cols {
				last = len(cur) + 1
				cur = append(append(cur, ' '), rw...)
				continue
			}
			if len(cur) > 0 && last > 0 && isDash(word) && len(cur)-last+1+len(rw) <= cols {
				lines = append(lines, string(cur[:last-1]))
				cur = append(append(append([]rune(nil), cur[last:]...), ' '), rw...)
				last = 0
				continue
			}
			if len(cur) > 0 {
				lines = append(lines, string(cur))
				cur = nil
			}
			for len(rw) > cols {
				lines = append(lines, string(rw[:cols]))
				rw = rw[cols:]
			}
			cur, last = rw, 0
		}
		if len(cur) > 0 {
			lines = append(lines, string(cur))
		}
	}
	return lines
}

// isDash tells a word that is a dash alone: an em or en dash, or the hyphen a
// page without dashes prints for them.
func isDash(word string) bool { return word == "—" || word == "–" || word == "-" }

// plural picks the Ukrainian form for n: one (1, 21, 101), few (2-4, 22-24) or many
// (0, 5-20, 25-30, 111-114).
func plural(n int, one, few, many string) string {
	if n < 0 {
		n = -n
	}
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		return one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		return few
	}
	return many
}

// nbsp keeps a number on the line of its unit.
const nbsp = "\u00a0"

// AheadText says how many people are ahead, in Ukrainian and English, as
// the ticket does ("Перед вами: 3 особи", "People ahead: 3"): a kiosk's
// screen says it in the same words.
func AheadText(n int) (uk, en string) {
	if n == 0 {
		return "Перед вами нікого немає", "No one is ahead of you"
	}
	return fmt.Sprintf("Перед вами: %d%s%s", n, nbsp, plural(n, "особа", "особи", "осіб")),
		fmt.Sprintf("People ahead: %d", n)
}

// WaitText renders a wait estimate in Ukrainian and English (the ticket's,
// and a kiosk screen's in the same words), rounded to the
// minute, and beyond an hour to 5 minutes: an estimate that long is not
// good to the minute ("близько 1 год 1 хв" would claim it is). "хв" and
// "год" are abbreviations, which Ukrainian does not inflect.
func WaitText(d time.Duration) (uk, en string) {
	m := int((d + 30*time.Second) / time.Minute)
	if m >= 60 {
		m = int((d + 150*time.Second) / (5 * time.Minute) * 5)
	}
	switch {
	case m < 1:
		return "менше хвилини", "under a minute"
	case m < 60:
		return fmt.Sprintf("близько %d%sхв", m, nbsp), fmt.Sprintf("about %d%smin", m, nbsp)
	case m%60 == 0:
		return fmt.Sprintf("близько %d%sгод", m/60, nbsp), fmt.Sprintf("about %d%sh", m/60, nbsp)
	}
	return fmt.Sprintf("близько %d%sгод %d%sхв", m/60, nbsp, m%60, nbsp), fmt.Sprintf("about %d%sh %d%smin", m/60, nbsp, m%60, nbsp)
}
