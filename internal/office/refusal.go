package office

import (
	"cmp"
	"errors"
	"strconv"

	"github.com/cherga/cherga/device"
	"github.com/cherga/cherga/queue"
)

// errPressAgain ends the error of a command that found its queue full.
var errPressAgain = errors.New("press again")

// errNotConfigured ends the error of an input on the topic of a kiosk or
// counter the configuration does not have.
var errNotConfigured = errors.New("not in the configuration")

// refusal says why an input was refused, for the person who pressed: a
// reason a device can act on, and a message, Ukrainian first, that a
// counter box or the simulator's page shows to the specialist. The error
// itself, for whoever looks into it, stays on {root}/errors beside them.
// An error it does not know gives "".
func refusal(err error) (reason, message string) {
	var pe *queue.PausedError
	var te *queue.TransitionError
	var tp *queue.ToCounterPausedError
	var jc *queue.JustCalledError
	var lc *queue.LostCallError
	var ns *queue.NotServedError
	var sc *queue.ServiceClosedError
	switch {
	case errors.As(err, &jc):
		left, en := strconv.Itoa(jc.Seconds()), englishLabel(jc.Label)
		switch jc.Action {
		case queue.Recall:
			return "just_called", "Талон " + jc.Label + " щойно викликано: повторний виклик — через " + left + " с / Ticket " + en + " was just called: recall in " + left + " s"
		case queue.NoShowed:
			return "just_called", "Талон " + jc.Label + " щойно викликано, громадянин може бути в дорозі: «Не зʼявився» — через " + left + " с / Ticket " + en + " was just called and the citizen may be on the way: no-show in " + left + " s"
		}
		return "just_called", "Талон " + jc.Label + " щойно викликано: наступного — через " + left + " с; якщо прийом завершено, натисніть «Завершено» / Ticket " + en + " was just called: next in " + left + " s; if the visit is over, press Done"
	case errors.As(err, &lc):
		return "lost_call", "Талон " + lc.Label + " викликано перед тривогою: натисніть «Повторити»; якщо прийом завершено — «Завершено» / Ticket " + englishLabel(lc.Label) + " was called before the alert: press Recall; if the visit is over, press Done"
	case errors.As(err, &tp):
		return "to_counter_paused", "Робоче місце " + tp.Counter + " на перерві: передайте талон на інше робоче місце / Counter " + tp.Counter + " is paused: transfer the ticket to another counter"
	case errors.As(err, &pe) && pe.Service == "" && pe.IsAlert():
		return "office_paused", "Повітряна тривога: прийом в офісі призупинено / Air-raid alert: service at the office is suspended"
	case errors.As(err, &pe) && pe.Service == "":
		return "office_paused", withReason("Прийом в офісі призупинено", "Service at the office is suspended", pe.Reason, "")
	case errors.As(err, &pe):
		return "service_paused", withReason("Послугу призупинено", "The service is paused", pe.Reason, "")
	case errors.As(err, &te):
		return transitionRefusal(te)
	case errors.As(err, &ns):
		return "not_served", notServedMessage(ns)
	case errors.As(err, &sc):
		return "closed", serviceClosedMessage(sc)
	}
	for _, r := range refusals {
		if errors.Is(err, r.err) {
			return r.reason, r.message
		}
	}
	return "", ""
}

// msgStale is what a specialist's command that waited too long for the
// store is answered (queue.ErrStale), and msgPressStale a citizen's press.
const (
	msgStale      = "Система не встигла обробити натискання, нічого не змінено: натисніть ще раз / The system could not act on the press in time; nothing was changed: press again"
	msgPressStale = "Талон не видано: система не встигла обробити натискання. Будь ласка, натисніть ще раз. / No ticket was issued: the system did not respond in time. Please press again."
)

const msgBadScore = "Оцінка — від 1 до 5 / The rating must be from 1 to 5"

const msgUnknownCommand = "Пристрій надіслав команду, якої система не розуміє: зверніться до адміністратора / The device sent a command the system does not understand: ask the administrator"

var refusals = []struct {
	err             error
	reason, message string
}{
	{queue.ErrNoTicket, "no_ticket", "Немає поточного талона: спершу викличте наступного / No current ticket: call the next one first"},
	{queue.ErrCounterPaused, "counter_paused", "Робоче місце на перерві: спершу натисніть «Продовжити» / The counter is paused: press Resume first"},
	{queue.ErrRecallLimit, "recall_limit", "Талон уже викликано максимальну кількість разів: якщо громадянин не підійде, натисніть «Не зʼявився» / The ticket has already been called the maximum number of times: if the citizen does not come, press No-show"},
	{queue.ErrNotServed, "not_served", "Це робоче місце не надає цієї послуги / This counter does not serve that service"},
	{queue.ErrNoCounter, "no_counter", "Жодне робоче місце не надає цієї послуги / No counter serves that service"},
	{queue.ErrClosed, "closed", "Ця послуга зараз не надається / This service is not available right now"},
	{queue.ErrUnknownTicket, "unknown_ticket", "Сьогодні талона з таким номером немає / There is no ticket with that number today"},
	{queue.ErrUnknownService, "unknown_service", "Такої послуги немає / There is no such service"},
	{queue.ErrUnknownCounter, "unknown_counter", "Такого робочого місця немає / There is no such counter"},
	{queue.ErrNothingToRate, "nothing_to_rate", "Немає завершеного прийому, який можна оцінити / There is no served visit to rate"},
	{queue.ErrBadScore, "bad_score", msgBadScore},
	{device.ErrBadScore, "bad_score", msgBadScore}, // before ErrBadPayload: these are too
	{device.ErrNoTransferTo, "bad_request", "У команді передачі не вказано послугу: кнопку налаштовано неправильно, зверніться до адміністратора / The transfer command names no service: the button is set up wrong, ask the administrator"},
	{device.ErrNoCallTicket, "bad_request", "Не вказано номер талона: введіть номер і натисніть ще раз / No ticket number given: enter the number and press again"},
	{queue.ErrUnknownAction, "bad_request", msgUnknownCommand},
	{device.ErrBadPayload, "bad_request", msgUnknownCommand},
	{errNotConfigured, "unknown_device", "Пристрій не налаштований у цьому офісі: зверніться до адміністратора / The device is not configured in this office: ask the administrator"},
	{errPressAgain, "busy", "Забагато натискань одночасно: натисніть ще раз / Too many presses at once: press again"},
	{queue.ErrStore, "store", "Не вдалося зберегти: натисніть ще раз / Could not be saved: press again"},
	{queue.ErrStale, "timeout", msgStale},
}

// notServedMessage names what the counter does not serve: the service of
// the ticket called, or the counter a transfer named (the specialist
// reads "this counter" as their own).
func notServedMessage(e *queue.NotServedError) string {
	en := cmp.Or(e.NameEn, e.Name)
	if e.Label != "" {
		return "Талон " + e.Label + " — послуга «" + e.Name + "»: тут її не надають / Ticket " + englishLabel(e.Label) + ": " + en + ", not served at this counter"
	}
	return "Робоче місце " + e.Counter + " не надає послуги «" + e.Name + "»: оберіть інше / Counter " + e.Counter + " does not serve " + en + ": choose another"
}

// serviceClosedMessage names the service a transfer was refused for, and
// when it opens: what the specialist tells the citizen.
func serviceClosedMessage(e *queue.ServiceClosedError) string {
	uk, en := "Послуга «"+e.Name+"» зараз не надається", cmp.Or(e.NameEn, e.Name)+" is not available now"
	if e.Opens.IsZero() {
		return uk + " / " + en
	}
	auk, aen := availableText("Її", "It", e.Opens, e.At)
	return uk + ". " + auk + " / " + en + ". " + aen
}

// transitionRefusal explains a command that the ticket's state does not
// allow: most often a press for a citizen who already came to the counter.
func transitionRefusal(te *queue.TransitionError) (reason, message string) {
	label, en := te.Label, englishLabel(te.Label)
	switch {
	case te.From == queue.Serving && te.To == queue.NoShow:
		return "at_counter", "Громадянин із талоном " + label + " уже біля вас — це не неявка: завершіть прийом кнопкою «Завершено» / The citizen with ticket " + en + " is at the counter, not a no-show: end the visit with Done"
	case te.Rule == queue.RuleSameService:
		return "same_service", "Талон " + label + " уже належить до послуги «" + te.Service + "»: передайте його на іншу послугу або на інше робоче місце / Ticket " + en + " already belongs to " + cmp.Or(te.ServiceEn, te.Service) + ": transfer it to another service or another counter"
	case te.Rule == queue.RuleServedHere:
		return "served_here", "Ваше робоче місце саме надає послугу «" + te.Service + "»: прийміть громадянина тут або передайте на інше робоче місце / Your counter provides " + cmp.Or(te.ServiceEn, te.Service) + " itself: serve the citizen here, or transfer to another counter"
	case te.Rule == queue.RuleOwnTicket && te.From == queue.Serving:
		return "at_counter", "Громадянин із талоном " + label + " уже біля вас: прийом триває, викликати не потрібно / The citizen with ticket " + en + " is already at the counter: no need to call"
	case te.Rule == queue.RuleOwnTicket:
		return "not_waiting", "Талон " + label + " уже викликано до вашого робочого місця: щоб запросити ще раз, натисніть «Повторити» / Ticket " + en + " has already been called to your counter: to call it again, press Recall"
	case te.From == queue.Serving && te.To == queue.Called && te.Rule == "":
		return "at_counter", "Громадянин із талоном " + label + " уже біля вас: повторний виклик не потрібен / The citizen with ticket " + en + " is already at the counter: no need to call again"
	case te.To == queue.Called && (te.From == queue.Called || te.From == queue.Serving) && te.Counter != "":
		return "not_waiting", "Талон " + label + " уже викликано до робочого місця " + te.Counter + " / Ticket " + en + " has already been called to counter " + te.Counter
	case te.To == queue.Called && (te.From == queue.Called || te.From == queue.Serving):
		return "not_waiting", "Талон " + label + " уже викликано / Ticket " + en + " has already been called"
	case te.To == queue.Called:
		return "not_waiting", "Талон " + label + " уже не в черзі (" + stateUK[te.From] + ") / Ticket " + en + " is no longer waiting (" + stateEN[te.From] + ")"
	}
	return "state", "Для талона " + label + " це неможливо (" + stateUK[te.From] + ") / Not possible for ticket " + en + " (" + stateEN[te.From] + ")"
}

// stateUK and stateEN name a ticket's state for a specialist.
var (
	stateUK = map[queue.State]string{
		queue.Waiting: "очікує", queue.Called: "викликаний", queue.Serving: "на прийомі", queue.Done: "прийом завершено",
		queue.NoShow: "неявка", queue.Voided: "скасований", queue.Expired: "термін дії минув",
	}
	stateEN = map[queue.State]string{
		queue.Waiting: "waiting", queue.Called: "called", queue.Serving: "being served", queue.Done: "served",
		queue.NoShow: "no-show", queue.Voided: "cancelled", queue.Expired: "expired",
	}
)
