package audio

import (
	"slices"
	"time"
)

// How old a message of the controller's is. An announcer on a box of its
// own keeps its own clock, and one in an office without internet drifts
// from the controller's by minutes: were a call's age this box's clock
// against the controller's "at", a box a minute ahead would drop every
// call, and every air-raid notice, as too old. So a message's age is told
// by the controller's clock (from its "at" to its "sent", the delay in the
// controller's outbox), and this box's clock counts only the time a
// message the broker kept while the announcer was away waited there,
// corrected by the difference between the two clocks that the live
// messages tell. Before any live message has told it (the announcer just
// started), the messages the broker kept for it tell it within the age of
// the freshest of them: the controller sends its load again every 30 s,
// so after an announcer's restart, kept calls are held a moment (Held)
// and judged against the freshest message kept with them.

// settle is how long after a connection begins a message may be one the
// broker kept for the session: it is not live.
const settle = 2 * time.Second

// skewSamples is how many live messages tell the difference between the
// clocks.
const skewSamples = 31

// skew is how far this box's clock runs ahead of the controller's: the
// median of (arrival − sent) over the latest live messages, each the
// difference and a moment in flight.
type skew struct {
	samples []time.Duration // the latest, oldest first
	warned  time.Time       // when a large difference was last logged
}

func (s *skew) add(d time.Duration) {
	if len(s.samples) == skewSamples {
		s.samples = s.samples[1:]
	}
	s.samples = append(s.samples, d)
}

// estimate is the difference, and whether a live message told it yet.
func (s *skew) estimate() (time.Duration, bool) {
	if len(s.samples) == 0 {
		return 0, false
	}
	sorted := slices.Clone(s.samples)
	slices.Sort(sorted)
	return sorted[len(sorted)/2], true
}

// Connected tells the announcer that its connection to the broker began at
// now: the messages that come in the next moments may be the ones the
// broker kept for it while it was away.
func (a *Announcer) Connected(now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.liveFrom = now.Add(settle)
}

// Disconnected tells the announcer that its connection was lost: what comes
// before the next Connected is what the broker kept.
func (a *Announcer) Disconnected() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.liveFrom = time.Time{}
}

// age is how old a message with times at and sent (the controller's) is
// when it arrives (this box's clock); retained, it is the broker's copy of
// one sent before, however long ago, never a live one. One without sent
// (an older controller) ages by this box's clock from at, and one without
// at, or with at ahead of arrival, from its arrival. The caller holds
// a.mu.
func (a *Announcer) age(at, sent, arrival time.Time, retained bool) time.Duration {
	if sent.IsZero() {
		return ageFrom(at, arrival)
	}
	var age time.Duration // in the controller's outbox
	if !at.IsZero() && sent.After(at) {
		age = sent.Sub(at)
	}
	since := arrival.Sub(sent) // the clocks' difference, and the time since it was sent
	if a.live(arrival, retained) {
		a.clocks.add(since)
		a.warnSkew(arrival)
		return age // live: it was sent a moment ago
	}
	// Kept by the broker while the announcer was away: since it was sent,
	// as far as the clocks' difference tells. Before any live message
	// told it (this announcer just started), the least since of the
	// messages kept is taken for it (the freshest of them was sent at
	// most a moment before it arrived), up to unknownSkew either way: a
	// box a minute ahead still says the calls the broker kept through its
	// restart, and one that was off for hours does not say the last
	// evening's.
	d, ok := a.clocks.estimate()
	if !ok {
		a.keptSince(since)
		d = min(max(a.kept, -a.opts.MaxAge*unknownSkew), a.opts.MaxAge*unknownSkew)
	}
	return age + max(since-d, 0)
}

// live reports whether a message arriving at arrival came live: not the
// broker's retained copy, nor one it kept for the session while the
// announcer was away. The caller holds a.mu.
func (a *Announcer) live(arrival time.Time, retained bool) bool {
	return !retained && !a.liveFrom.IsZero() && arrival.After(a.liveFrom)
}

// keptSince takes in the since (arrival − sent) of a message the broker
// kept: the least tells the clocks' difference, and at most how long
// the freshest kept message waited. The caller holds a.mu.
func (a *Announcer) keptSince(since time.Duration) {
	if !a.keptAny || since < a.kept {
		a.kept, a.keptAny = since, true
	}
}

// unknownSkew is how many MaxAge of difference between the clocks a
// message the broker kept may hide before a live message tells it.
const unknownSkew = 2

// ageFrom is the age at arrival of a message from at, by this box's clock:
// from its arrival when at is unknown or ahead of it.
func ageFrom(at, arrival time.Time) time.Duration {
	if at.IsZero() || at.After(arrival) {
		return 0
	}
	return arrival.Sub(at)
}

// warnSkew logs, at most once an hour, a difference between the clocks
// large enough to matter: the controller's and this box's must both be
// set by NTP (or an RTC), or the hall board's and the journal's times
// disagree with the announcer's. The caller holds a.mu.
func (a *Announcer) warnSkew(now time.Time) {
	d, ok := a.clocks.estimate()
	if !ok || len(a.clocks.samples) < 3 || (d < a.opts.MaxAge/2 && d > -a.opts.MaxAge/2) {
		return
	}
	if !a.clocks.warned.IsZero() && now.Sub(a.clocks.warned) < time.Hour {
		return
	}
	a.clocks.warned = now
	ahead := "ahead of"
	if d < 0 {
		ahead, d = "behind", -d
	}
	a.opts.Logger.Warn("audio: this box's clock is "+d.Round(time.Second).String()+" "+ahead+" the controller's, as their messages tell: calls are still aged by the controller's clock, but set both clocks by NTP (or an RTC)", "difference", d.Round(time.Second))
}
