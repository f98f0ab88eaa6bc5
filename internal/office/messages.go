package office

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
)

// The messages people read of the queue: a kiosk's screen and a press's
// answer, the printed ticket, a counter's acknowledgement (refusal.go has
// the refusals). Ukrainian first, then " / " and English.

// printerMessage is what a kiosk says when its printer cannot print: the
// cause a citizen can tell a member of staff, not the printer's own words
// (those are on {root}/printer/{kiosk} and in the log).
func printerMessage(err error) (uk, en string) {
	switch {
	case errors.Is(err, printer.ErrPaperOut):
		return "У принтері закінчився папір. Будь ласка, зверніться до працівника офісу.", "The printer is out of paper. Please ask a member of staff."
	case errors.Is(err, printer.ErrCoverOpen):
		return "Кришку принтера відкрито. Будь ласка, зверніться до працівника офісу.", "The printer cover is open. Please ask a member of staff."
	}
	return "Принтер не готовий до друку. Будь ласка, зверніться до працівника офісу.", "The ticket printer is not ready. Please ask a member of staff."
}

// pausedMessage is what a kiosk says while an administrator has paused the
// office or the service; an air-raid alert sends people to the shelter.
// A reason typed in both languages, «нарада / staff meeting», gives each
// half its own; one in Ukrainian alone is left out of the English.
func pausedMessage(pe *queue.PausedError) string {
	uk, en := "Талони на цю послугу тимчасово не видаються", "Tickets for this service are temporarily unavailable"
	switch {
	case pe.Service == "" && pe.IsAlert():
		return "Повітряна тривога: прийом призупинено. Пройдіть до найближчого укриття. / Air-raid alert: service is suspended. Please proceed to the nearest shelter."
	case pe.Service == "":
		uk, en = "Прийом тимчасово призупинено", "Service is temporarily suspended"
	}
	return withReason(uk, en, pe.Reason, ".") // as a kiosk's sentences end
}

// WithReason is «uk: reason / en: reason», as the office words a pause
// with its administrator's reason (withReason), for the simulator's
// terminal.
func WithReason(uk, en, reason string) string { return withReason(uk, en, reason, "") }

// withReason is "uk: reason / en: reason" of a pause: a reason typed in
// both languages, «нарада / staff meeting», gives each half its own, and
// one in Ukrainian alone is left out of the English. Each half ends with
// end, unless it ends a sentence already (a reason typed with its full
// stop). After the colon a reason typed as a sentence, «Нарада», starts
// in lower case, as both languages write it there; a word in capitals,
// «ЦНАП», stays as it is.
func withReason(uk, en, reason, end string) string {
	ruk, ren, _ := strings.Cut(reason, " / ")
	if ruk = strings.TrimSpace(ruk); ruk != "" {
		uk += ": " + afterColon(ruk)
	}
	if ren = strings.TrimSpace(ren); ren != "" {
		en += ": " + afterColon(ren)
	}
	finish := func(s string) string {
		if endsSentence(s) {
			return s
		}
		return s + end
	}
	return finish(uk) + " / " + finish(en)
}

// endsSentence reports whether s ends with a sentence's own punctuation
// (a reason typed with its full stop, a message that has one).
func endsSentence(s string) bool { return strings.TrimRight(s, ".!?…") != s }

// afterColon is s with its first letter in lower case when the letter
// after it is in lower case too: a sentence's start, not a word in
// capitals.
func afterColon(s string) string {
	first, n := utf8.DecodeRuneInString(s)
	second, _ := utf8.DecodeRuneInString(s[n:])
	if !unicode.IsUpper(first) || !unicode.IsLower(second) {
		return s
	}
	return string(unicode.ToLower(first)) + s[n:]
}

// issuedMessage is what the kiosk's answer of an issued ticket says, in
// the ticket's words, for a screen to show: the number, the people ahead,
// the wait when it can be estimated (wait ≥ 0) or else the break, and, for
// a late ticket (closes, "15:04", set), when the service closes: a wait
// "under a minute" beside "you may not be served today" needs it.
func issuedMessage(label string, ahead int, wait time.Duration, closes string) string {
	puk, pen := positionText(ahead, wait, false) // no ticket is issued in an alert
	uk, en := "Ваш талон: "+label+". "+puk, "Your ticket: "+englishLabel(label)+". "+pen
	if closes != "" {
		lateUK, lateEN := printer.LateText(closes)
		uk, en = uk+" "+lateUK+".", en+" "+lateEN+"."
	}
	return uk + " / " + en
}

// positionText says where a waiting ticket stands, as the ticket does:
// the people ahead and, when it can be estimated (wait ≥ 0), the wait;
// else that it is a break (onBreak), or, in an air-raid alert, to go to
// the shelter.
func positionText(ahead int, wait time.Duration, alert bool) (uk, en string) {
	uk, en = printer.AheadText(ahead)
	uk, en = uk+".", en+"."
	switch {
	case wait >= 0:
		wuk, wen := printer.WaitText(wait)
		uk, en = uk+" Очікування: "+wuk+".", en+" Wait: "+wen+"."
	case onBreak(ahead, wait) && alert:
		auk, aen := printer.AlertText()
		uk, en = uk+" "+auk+".", en+" "+aen+"."
	case onBreak(ahead, wait):
		buk, ben := printer.OnBreakText()
		uk, en = uk+" "+buk+".", en+" "+ben+"."
	}
	return uk, en
}

// onBreak says whether a waiting ticket whose position is ahead and wait
// waits for counters that are all on a break: its service is open (it
// was issued, and has not expired), but no counter that may call it is,
// so the wait cannot be estimated.
func onBreak(ahead int, wait time.Duration) bool { return ahead >= 0 && wait < 0 }

// closedMessage is what a kiosk says to a press for svc refused outside
// its hours (serviceClosed: the office is open) at now, with when to come
// back: the office's next opening («Відчиняємося завтра о 09:00»), or the
// service's, when the service keeps hours of its own. Nothing is said of
// an opening more than a week away.
func closedMessage(cfg *config.Config, svc *config.Service, serviceClosed bool, now time.Time) string {
	uk, en := "Офіс зараз зачинено", "The office is now closed"
	if serviceClosed {
		uk, en = "Ця послуга зараз не надається", "This service is not available right now"
	}
	opens, ok := cfg.NextOpening(svc, now)
	if !ok || svc != nil && !served(cfg, svc.ID) {
		// No counter serves it: nobody can say when it will be given.
		return uk + ". / " + en + "."
	}
	local := now.In(opens.Location())
	if office, _ := cfg.NextOpening(nil, now); serviceClosed || !office.Equal(opens) {
		// The service's opening; with the office closed, by the service's
		// own hours (the office opening would not give it).
		what, whatEn := "Її", "It"
		if !serviceClosed {
			what, whatEn = "Цю послугу", "This service"
		}
		auk, aen := availableText(what, whatEn, opens, local)
		return uk + ". " + auk + ". / " + en + ". " + aen + "."
	}
	day, dayEn, clock := whenText(opens, local, "Відчиняємося")
	return fmt.Sprintf("%s. Відчиняємося %s %s %s. / %s. We open %s at %s.", uk, day, at(opens), clock, en, dayEn, clock)
}

// offHoursMessage is what a counter's next that called nobody says when
// none of the counter's services is open at now: when they open (zero:
// not within a week).
func offHoursMessage(opens, now time.Time) string {
	uk, en := "Послуги цього робочого місця зараз не надаються", "The services of this counter are not available now"
	if opens.IsZero() {
		return uk + ". / " + en + "."
	}
	auk, aen := availableText("Їх", "They", opens, now)
	return uk + ". " + auk + ". / " + en + ". " + aen + "."
}

// dueMessage says why a next called nobody while a ticket waits that may
// not be called yet (a no-show's grace, a booked visit), and when it may.
func dueMessage(label string, when time.Time) string {
	clock := when.Format("15:04")
	return "Зараз немає кого викликати: талон " + label + " можна буде викликати " + at(when) + " " + clock + ". / Nobody to call now: ticket " + englishLabel(label) + " may be called at " + clock + "."
}

// noShowEndedMessage is the ack's message of a no-show that ended its
// ticket though office.noshow_grace_min sends one back: it had come back
// once already (returned), or its service closes before the grace ends.
func noShowEndedMessage(label string, returned bool) string {
	if returned {
		return "Талон " + label + " завершено як неявку: його вже повертали в чергу після неявки. / Ticket " + englishLabel(label) + " ended as a no-show: it had already been sent back once."
	}
	return "Талон " + label + " завершено як неявку: прийом послуги закінчиться раніше, ніж мине час очікування. / Ticket " + englishLabel(label) + " ended as a no-show: the service closes before its grace would end."
}

// putBackMessage is the ack's message of a call of a given ticket that put
// back the counter's ticket, called a moment before (queue: the call
// holds it for its counter, or as it was held before it): its citizen
// heard it called, and may come. after is when it may be called again (a
// no-show's grace; zero: now), now the ack's time.
func putBackMessage(label, forCounter, counter string, after, now time.Time) string {
	en := englishLabel(label)
	uk, eng := "Талон "+label+" повернуто в чергу: його щойно викликали до вас", "Ticket "+en+" is back in the queue: it was just called to you"
	when, whenEn := "", ""
	if after.After(now) {
		when, whenEn = " після "+after.Format("15:04"), " after "+after.Format("15:04")
	}
	switch forCounter {
	case counter:
		return uk + ", тож «Наступний» викличе його першим" + when + ". / " + eng + ", so Next calls it first" + whenEn + "."
	case "":
		if when != "" {
			return uk + "; він чекає в черзі своєї послуги, і його можна буде викликати" + when + ". / " + eng + "; it waits in its service's queue, and may be called" + whenEn + "."
		}
		return uk + "; він чекає в черзі своєї послуги. / " + eng + "; it waits in its service's queue."
	}
	return uk + "; першим його викличе робоче місце " + forCounter + when + ". / " + eng + "; counter " + forCounter + " calls it first" + whenEn + "."
}

// msgNobodyWaiting is the ack's message of a next that called nobody, and
// no more is to say: no ticket waits for the counter (none, or those that
// wait are held for other counters).
const msgNobodyWaiting = "Зараз немає кого викликати. / Nobody to call now."

// at is the preposition before a time of t's hour: «об 11:00», «о 09:00».
func at(t time.Time) string {
	if t.Hour() == 11 {
		return "об"
	}
	return "о"
}

// availableText says from when what (whatEn: the same, in English) is
// given at opens, a moment within a week of now: «Її надаватимуть у
// середу з 11:00», "It will be available on Wednesday from 11:00".
func availableText(what, whatEn string, opens, now time.Time) (uk, en string) {
	day, dayEn, clock := whenText(opens, now.In(opens.Location()), "надаватимуть")
	return what + " надаватимуть " + day + " " + fromClock(day, opens) + " " + clock, whatEn + " will be available " + dayEn + " from " + clock
}

// fromClock is «з» or «із» ("from") before the time at, said after day,
// as Ukrainian euphony has it: «із» between consonants («у понеділок із
// 09:00», із девʼятої), «з» after a vowel or before one («у середу з
// 09:00», «у понеділок з 11:00», з одинадцятої).
func fromClock(day string, at time.Time) string {
	last, _ := utf8.DecodeLastRuneInString(day)
	if at.Hour() != 11 && !strings.ContainsRune(vowels, last) {
		return "із"
	}
	return "з"
}

// vowels are the Ukrainian vowel letters.
const vowels = "аеєиіїоуюя"

// whenText says when at (within a week of now, in the same time zone) is,
// as a citizen at the kiosk hears it after the word before: «сьогодні о
// 13:00», «завтра о 09:00», «в понеділок о 09:00» ("today at 13:00",
// "tomorrow at 09:00", "on Monday at 09:00"). Ukrainian says «об» before
// 11 (одинадцятій).
func whenText(at, now time.Time, before string) (uk, en, clock string) {
	date := func(t time.Time) time.Time { y, m, d := t.Date(); return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	days := int(date(at).Sub(date(now)) / (24 * time.Hour))
	clock = at.Format("15:04")
	wd := weekdays[at.Weekday()]
	switch {
	case days == 0:
		uk, en = "сьогодні", "today"
	case days == 1:
		uk, en = "завтра", "tomorrow"
	case days >= 7:
		uk, en = inOn(before, wd.next)+" "+wd.next, "next "+wd.en
	default:
		uk, en = inOn(before, wd.on)+" "+wd.on, "on "+wd.en
	}
	return uk, en, clock
}

// inOn is the preposition «в» or «у» ("on") before word, after the word
// before it, as Ukrainian euphony has it: «у» after a consonant («Її
// надаватимуть у середу»: ь ends a consonant) and before в or ф («у
// вівторок»); «в» after a vowel before another consonant («Відчиняємося в
// понеділок», «в наступний вівторок»).
func inOn(before, word string) string {
	last, _ := utf8.DecodeLastRuneInString(strings.ToLower(before))
	first, _ := utf8.DecodeRuneInString(strings.ToLower(word))
	if strings.ContainsRune("вф", first) || !strings.ContainsRune(vowels, last) {
		return "у"
	}
	return "в"
}

// calledTo is where the citizen of a ticket called to counter goes, the
// counter named as its announcement names it: "Вас викликано: вікно 3",
// "You have been called: counter 3" (кабінет and room for a cabinet).
func calledTo(cfg *config.Config, counter string) (uk, en string) {
	var kind audio.CounterKind // a window unless the counter says otherwise
	if c := cfg.Counter(counter); c != nil {
		kind, _ = audio.ParseCounterKind(c.Kind)
	}
	// A no-break space: the number stays on the line of its word, on a
	// 58 mm ticket too.
	return "Вас викликано: " + kind.Word("uk") + "\u00a0" + counter, "You have been called: " + kind.Word("en") + "\u00a0" + counter
}
