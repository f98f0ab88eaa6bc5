package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Paused is an administrator's pause: of the whole office (an air-raid
// alert: citizens and specialists go to the shelter) or of one service (its
// specialist is away, its forms ran out). A pause holds until it is
// resumed, across restarts and business days.
//
// While the office is paused no ticket is issued and no counter calls
// (next, call, recall); a counter may still finish the ticket it has, and
// every board shows closed. While a service is paused its tickets are not
// issued; those already waiting are still called, so the queue drains.
type Paused struct {
	Reason string `json:"reason,omitempty"`
	// Alert says an office pause is an air-raid alert (the kiosks send
	// citizens to the shelter); AlertSaid that an administrator said
	// whether it is (unsaid: a reason that names an alert is one).
	Alert     bool      `json:"alert,omitempty"`
	AlertSaid bool      `json:"alert_said,omitempty"`
	Since     time.Time `json:"since"`
}

// The words by which IsAlert tells an air-raid alert from a reason, in
// order: a pause until the all-clear, «до відбою», is one, unless it
// names another emergency (untilAllClear, left out of what is read
// after); the all-clear is none; words of the air raid itself are one
// (airRaidTokens, whole words); another emergency sends people out of the
// building, not to the shelter (a fire alarm is «пожежна тривога»); and
// then any alarm is one.
var (
	untilAllClear = []string{"до відбою", "чекаємо відбою", "очікуємо відбою", "очікування відбою", "until the all", "until all", "till the all", "till all", "waiting for the all", "awaiting the all"}
	allClearWords = []string{"відбій", "відбою", "all clear", "all-clear"}
	airRaidWords  = []string{"повітрян", "укрит", "ракет", "шахед", "дрон", "бпла", "обстріл", "балістик", "вибухи", "air-raid", "air raid", "shelter", "missile", "drone", "uav", "shelling", "explosions"}
	// КАБ, guided aerial bombs, as a word of its own: not «кабінет», nor
	// its short form «каб.».
	airRaidTokens  = regexp.MustCompile(`(^|[^\p{L}])(каб|каби|кабів|кабами)([^\p{L}.]|$)`)
	otherEmergency = []string{"пожеж", "евакуац", "мінуван", "вибухівк", "газу", "fire", "evacuat", "bomb", "gas leak"}
	alarmWords     = []string{"тривог", "тревог", "сирен", "alert", "siren"}
)

// IsAlert reports whether an office pause is an air-raid alert: as an
// administrator said, or else when its reason names one. A pause without
// a reason is none: sending citizens to the shelter on a technical stop
// would do more harm than the siren's own warning left unrepeated.
func (p Paused) IsAlert() bool {
	if p.AlertSaid {
		return p.Alert
	}
	r := p.words()
	switch {
	case says(strings.ToLower(p.Reason), untilAllClear) && !says(r, otherEmergency):
		return true // «до відбою»: the alert itself
	case says(r, allClearWords):
		return false
	case says(r, airRaidWords) || airRaidTokens.MatchString(r):
		return true
	case says(r, otherEmergency):
		return false
	}
	return says(r, alarmWords)
}

// words is the reason in lower case, without the words of untilAllClear.
func (p Paused) words() string {
	r := strings.ToLower(p.Reason)
	for _, w := range untilAllClear {
		r = strings.ReplaceAll(r, w, " ")
	}
	return r
}

// says reports whether reason has one of words in it.
func says(reason string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(reason, w) })
}

// ErrPaused is returned (as a *PausedError) while the office or the
// service is paused.
var ErrPaused = errors.New("queue: paused by an administrator")

// PausedError says what is paused, since when and why.
type PausedError struct {
	// Service is the paused service; "" is the whole office.
	Service string
	Paused
}

func (e *PausedError) Error() string {
	what := "the office"
	if e.Service != "" {
		what = "service " + e.Service
	}
	s := fmt.Sprintf("queue: %s is paused since %s", what, e.Since.Format("15:04"))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func (e *PausedError) Unwrap() error { return ErrPaused }

// keyPauses holds the pauses in force, by service ("" the office).
var keyPauses = []byte("pauses")

// SetPause pauses the office (service "") or one service, with a reason.
// A pause in force keeps the time it began: it gets the new reason, or
// keeps its own when reason is "" (an air-raid pause stays one). Resume
// ends it.
func (e *Engine) SetPause(ctx context.Context, service, reason string) error {
	return e.Pause(ctx, service, Paused{Reason: reason})
}

// Pause is SetPause with whether an office pause is an air-raid alert,
// when with.AlertSaid. Else a pause in force keeps what was said of it,
// unless with gives another reason: that is judged by its words (a
// meeting said to be no alert, paused again for «повітряна тривога», is
// one), except that an alert ends only by the all-clear's words
// («відбій тривоги») or alert false: an alert paused again for «нарада»
// stays one, since the announcer would tell the shelter the all-clear
// while the siren may still be on.
func (e *Engine) Pause(ctx context.Context, service string, with Paused) error {
	return e.do(ctx, false, func(t *txn) error {
		if service != "" && e.service(service) == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		p, ok := t.st.pauses[service]
		reason := cmp.Or(with.Reason, p.Reason)
		said, alert := p.AlertSaid, p.Alert
		switch {
		case with.AlertSaid:
			said, alert = true, with.Alert
		case with.Reason != "" && with.Reason != p.Reason:
			said, alert = false, false // the new reason says it
			if ok && p.IsAlert() && !says(with.words(), allClearWords) {
				said, alert = true, true // but not the all-clear
			}
		}
		if ok && p.Reason == reason && p.AlertSaid == said && p.Alert == alert {
			return nil
		}
		if !ok {
			p.Since = t.now.In(e.loc)
		}
		p.Reason, p.AlertSaid, p.Alert = reason, said, alert
		t.st.pauses[service] = p
		if service == "" {
			t.st.shelter.paused(t.now, p.IsAlert())
		}
		t.pausesChanged(service, true, with.Reason)
		return nil
	})
}

// Resume ends the pause of the office (service "") or of one service, with
// a reason for the event ("відбій тривоги"), which may be ""; one not
// paused is left as it is.
func (e *Engine) Resume(ctx context.Context, service, reason string) error {
	return e.do(ctx, false, func(t *txn) error {
		if service != "" && e.service(service) == nil {
			return fmt.Errorf("%w %q", ErrUnknownService, service)
		}
		if _, ok := t.st.pauses[service]; !ok {
			return nil
		}
		delete(t.st.pauses, service)
		if service == "" {
			t.st.shelter.resume(t.now)
		}
		t.pausesChanged(service, false, reason)
		return nil
	})
}

// Pauses returns the pauses in force, by service ("" the office).
func (e *Engine) Pauses(ctx context.Context) (map[string]Paused, error) {
	var out map[string]Paused
	err := e.do(ctx, true, func(t *txn) error {
		out = maps.Clone(t.st.pauses)
		return nil
	})
	return out, err
}

// pausesChanged stores the pauses, records the event and marks what the
// publisher shows differently now.
func (t *txn) pausesChanged(service string, paused bool, reason string) {
	t.e.layoutGen++ // components: an office pause stops its calls
	b, err := json.Marshal(t.st.pauses)
	t.fail(err)
	t.fail(t.tx.Bucket(bucketMeta).Put(keyPauses, b))
	typ := EvServicePaused
	switch {
	case service == "" && paused:
		typ = EvOfficePaused
	case service == "":
		typ = EvOfficeResumed
	case !paused:
		typ = EvServiceResumed
	}
	ev := &Event{Type: typ, Service: service, Reason: reason}
	if p, ok := t.st.pauses[""]; ok && typ == EvOfficePaused {
		ev.Alert = p.IsAlert()
	}
	t.record(ev)
	if service != "" {
		t.changed(service)
		return
	}
	t.allChanged()
	t.hall = true // it tells the hall of the pause, and whether to go to the shelter
}

// paused is the pause that stops a service issuing now (nil: none).
func (t *txn) paused(service string) *PausedError {
	if p, ok := t.st.pauses[""]; ok {
		return &PausedError{Paused: p}
	}
	if p, ok := t.st.pauses[service]; ok {
		return &PausedError{Service: service, Paused: p}
	}
	return nil
}

// officePaused is the office's pause, which stops the counters calling
// (nil: none).
func (t *txn) officePaused() error {
	if p, ok := t.st.pauses[""]; ok {
		return &PausedError{Paused: p}
	}
	return nil
}

// officeAlert reports whether the office is paused, and whether for an
// air-raid alert.
func (t *txn) officeAlert() (paused, alert bool) {
	p, ok := t.st.pauses[""]
	return ok, ok && p.IsAlert()
}

// sheltered is when the office was paused in a day for an air-raid alert
// (everyone in the shelter): the alerts that ended and the one in force. A
// visit that spans one is not that long: the estimates and the day's
// service times count it without the alert. Another pause (a meeting, a
// power cut) is not taken off: a counter may finish its ticket then.
type sheltered struct {
	spans [][2]time.Time // [began, ended]
	since time.Time      // the alert in force began then (zero: none)
}

// pause notes that an alert began at at; resume, that it ended (the
// office resumed, or its pause is no alert any more), if one was in force.
func (s *sheltered) pause(at time.Time) {
	if s.since.IsZero() {
		s.since = at
	}
}

func (s *sheltered) resume(at time.Time) {
	if s.since.IsZero() {
		return
	}
	s.spans = append(s.spans, [2]time.Time{s.since, at})
	s.since = time.Time{}
}

// paused notes an office pause, or a change of its reason, at at: whether
// it is an alert now.
func (s *sheltered) paused(at time.Time, alert bool) {
	if alert {
		s.pause(at)
	} else {
		s.resume(at)
	}
}

// alertsSince is how many alerts that began at at or later have ended.
func (s *sheltered) alertsSince(at time.Time) int {
	n := 0
	for _, sp := range s.spans {
		if !sp[0].Before(at) {
			n++
		}
	}
	return n
}

// during is how much of [from, to] the office was paused.
func (s *sheltered) during(from, to time.Time) time.Duration {
	var d time.Duration
	overlap := func(a, b time.Time) {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			d += b.Sub(a)
		}
	}
	for _, sp := range s.spans {
		overlap(sp[0], sp[1])
	}
	if !s.since.IsZero() {
		overlap(s.since, to)
	}
	return d
}

// alerts are the alerts that ended, and the one in force until until.
func (s *sheltered) alerts(until time.Time) Alerts {
	var a Alerts
	for _, sp := range s.spans {
		a.N++
		a.Duration += sp[1].Sub(sp[0])
	}
	if !s.since.IsZero() {
		a.N++
		a.Duration += max(until.Sub(s.since), 0)
	}
	return a
}

// visit is the time of a visit from its call to its end, without the
// office's pauses meanwhile.
func (s *sheltered) visit(called, ended time.Time) time.Duration {
	return ended.Sub(called) - s.during(called, ended)
}
