package audio

import (
	"slices"
	"strconv"
	"time"
)

// playlist is the announcer's queue, without clocks or goroutines: time
// comes in as now. It is not safe for concurrent use.
type playlist struct {
	langs  []string
	maxAge time.Duration
	gather time.Duration
	max    int

	// ageOf is how old a call is when it arrives at now (nil: ageFrom its
	// at, by this box's clock).
	ageOf func(c Call, now time.Time) time.Duration

	items  []*item
	played map[string]bool // key of what was played or merged
	order  []string        // the keys of played, oldest first, to bound it
	// superseded are the items a later call to their counter, or hush,
	// took off the queue, for takeDropped to report.
	superseded []*item
	// latest is each counter's latest call that came (latest): one that
	// comes after a later one to its counter (a broker resends a session's
	// backlog in any order) is superseded as it comes.
	latest map[string]Call
	// saying is the call being said (from next until said), and then the
	// last one said, until echo after its end (saidAt; zero while it is
	// said): a recall of it that comes meanwhile is not said again.
	saying *item
	saidAt time.Time
}

// echo is how long after a call was said a recall of it is taken for one
// pressed while it was said: the citizen has just heard it.
const echo = 2 * time.Second

// maxPlayed is how many (call, language) pairs the playlist remembers to
// drop redelivered messages: hours of calls.
const maxPlayed = 1024

// item is one announcement waiting: a call, with its languages as they
// arrive, and the recalls merged into it.
type item struct {
	ids      []string
	ticket   string
	counter  string
	recall   bool
	phrases  map[string]Call // by language
	seen     map[string]bool // key(id, lang) of every message merged
	at       time.Time       // the latest call time of the merged messages
	received time.Time       // when the first message arrived
	// why it was taken off the queue unsaid: ErrSuperseded (its counter
	// called someone else before its turn came); nil while it waits or
	// once played.
	why error
}

func newPlaylist(langs []string, maxAge, gather time.Duration, max int) *playlist {
	return &playlist{langs: langs, maxAge: maxAge, gather: gather, max: max, played: map[string]bool{}, latest: map[string]Call{}}
}

// Outcome says what add did with a message.
type Outcome string

const (
	// Queued: the message is a new announcement at the end of the queue.
	Queued Outcome = "queued"
	// Merged: the message joined a queued announcement: another language
	// of the same call, or a recall of a ticket still waiting to be called
	// out; or it is a recall of the call being said (or said a moment
	// ago), which is not said again.
	Merged Outcome = "merged"
	// Duplicate: the message was played or queued already (a redelivery).
	Duplicate Outcome = "duplicate"
	// Skipped: the message is in a language the announcer does not play.
	Skipped Outcome = "skipped"
	// Expired: the message is older than MaxAge, or it fell off a full queue.
	Expired Outcome = "expired"
	// Stopped: the announcer has stopped (its Run returned); the message
	// will not be said.
	Stopped Outcome = "stopped"
	// Paused: the office is paused (Announcer.Pause): the message, a call
	// made before, will not be said.
	Paused Outcome = "paused"
	// Superseded: its counter called someone else after it (a later call
	// came first): the message will not be said.
	Superseded Outcome = "superseded"
	// Held: the broker kept the message while the announcer was away, and
	// no live message has told yet how this box's clock stands against the
	// controller's: it is queued or dropped as too old a moment later,
	// once the messages kept with it tell how long it waited.
	Held Outcome = "held"
)

// key identifies one message: a call (its id, with the ticket and counter,
// so that an id a new store counts again from 1 is not taken for an old
// call) in one language.
func key(c Call) string { return c.ID + "\x00" + c.Ticket + "\x00" + c.Counter + "\x00" + c.Lang }

// add puts c in the queue at now, when it arrived.
func (p *playlist) add(c Call, now time.Time) Outcome {
	// Only the delay before the call arrived counts (the controller's
	// outbox while the broker was away): a call waiting behind the
	// announcer's own backlog is still its counter's current one, and an
	// office that opens with every counter calling at once has a backlog
	// longer than MaxAge.
	age := ageFrom(c.At, now)
	if p.ageOf != nil {
		age = p.ageOf(c, now)
	}
	return p.addAged(c, now, age)
}

// addAged puts c, age old when it arrived, in the queue at now.
func (p *playlist) addAged(c Call, now time.Time, age time.Duration) Outcome {
	if !slices.Contains(p.langs, c.Lang) {
		return Skipped
	}
	if p.played[key(c)] {
		return Duplicate
	}
	if age > p.maxAge {
		return Expired
	}
	// Another language of a queued call, or the same ticket called to the
	// same counter again (a recall) while the first call still waits.
	for _, it := range p.items {
		if !slices.Contains(it.ids, c.ID) && (it.ticket != c.Ticket || it.counter != c.Counter) {
			continue
		}
		if it.seen[key(c)] {
			return Duplicate
		}
		it.seen[key(c)] = true
		if !slices.Contains(it.ids, c.ID) {
			it.ids = append(it.ids, c.ID)
		}
		it.recall = it.recall || c.Recall
		if c.At.After(it.at) {
			it.at = c.At
		}
		if _, ok := it.phrases[c.Lang]; !ok {
			it.phrases[c.Lang] = c
		}
		return Merged
	}
	// A recall pressed while its call is still being said (a call takes
	// longer to say than the counter's guard against a double press) or
	// a moment after: the hall has just heard it, and would hear it twice
	// over.
	if s := p.saying; s != nil && s.ticket == c.Ticket && s.counter == c.Counter && (p.saidAt.IsZero() || now.Sub(p.saidAt) <= echo) {
		p.remember(key(c))
		return Merged
	}
	it := &item{
		ids:      []string{c.ID},
		ticket:   c.Ticket,
		counter:  c.Counter,
		recall:   c.Recall,
		phrases:  map[string]Call{c.Lang: c},
		seen:     map[string]bool{key(c): true},
		at:       c.At,
		received: now,
	}
	// Its counter called someone else after it: said now, it would send
	// its citizen to a counter that has moved on, and take the place of
	// the call that came first.
	if l, ok := p.latest[c.Counter]; ok && l.Ticket != c.Ticket && later(l, c) {
		p.supersede(it)
		return Superseded
	}
	if len(p.latest) >= maxPlayed {
		clear(p.latest) // counters by the thousand: someone else's messages
	}
	p.latest[c.Counter] = c
	// The counter called someone else: its earlier call, not yet said,
	// would send that citizen to a counter that has moved on.
	p.items = slices.DeleteFunc(p.items, func(it *item) bool {
		if it.counter == c.Counter && it.ticket != c.Ticket {
			p.supersede(it)
			return true
		}
		return false
	})
	if p.max > 0 && len(p.items) >= p.max {
		return Expired
	}
	p.items = append(p.items, it)
	return Queued
}

// supersede takes it off to be reported unsaid (ErrSuperseded), with its
// languages still to come: they are redeliveries of a call not said.
func (p *playlist) supersede(it *item) {
	it.why = ErrSuperseded
	for _, l := range p.langs {
		it.seen[key(Call{ID: it.ids[0], Ticket: it.ticket, Counter: it.counter, Lang: l})] = true
	}
	for k := range it.seen {
		p.remember(k)
	}
	p.superseded = append(p.superseded, it)
}

// later reports whether call a was made after b: by the controller's call
// time and by id (the event seq), when both are numbers, both saying so. A
// clock set back between two calls, or a store restored from a backup
// (its seqs counted again), makes the two disagree: neither call is taken
// for the earlier one then, and both are said.
func later(a, b Call) bool {
	x, errA := strconv.ParseUint(a.ID, 10, 64)
	y, errB := strconv.ParseUint(b.ID, 10, 64)
	byID := errA == nil && errB == nil
	switch {
	case byID && x <= y, a.At.Before(b.At):
		return false
	case a.At.Equal(b.At):
		return byID
	}
	return true
}

// complete reports whether it has every language the announcer plays.
func (p *playlist) complete(it *item) bool {
	for _, l := range p.langs {
		if _, ok := it.phrases[l]; !ok {
			return false
		}
	}
	return true
}

// next takes the announcement to play at now off the queue, and returns
// in dropped the ones taken off unsaid since: superseded by a later call
// to their counter, or hushed by a pause of the office (item.why). A call
// that waits behind the queue longer than maxAge is still said: it is its
// counter's current one.
// The head waits for its missing languages until gather after its first
// message: it returns nil and how long to wait then.
func (p *playlist) next(now time.Time) (play *item, dropped []*item, wait time.Duration) {
	dropped = p.takeDropped()
	if len(p.items) == 0 {
		return nil, dropped, 0
	}
	it := p.items[0]
	if !p.complete(it) {
		if w := p.gather - now.Sub(it.received); w > 0 {
			return nil, dropped, w
		}
	}
	p.pop()
	for k := range it.seen {
		p.remember(k)
	}
	p.saying, p.saidAt = it, time.Time{}
	return it, dropped, 0
}

// said tells the playlist that it, from next, was said in full at now, or
// not (cut short, failed): only a call the hall heard in full takes in the
// recalls that come just after it.
func (p *playlist) said(it *item, now time.Time, full bool) {
	if p.saying != it {
		return
	}
	if !full {
		p.saying = nil
		return
	}
	p.saidAt = now
}

// takeDropped returns the items taken off the queue unsaid since the last
// call (item.why says why), and forgets them.
func (p *playlist) takeDropped() []*item {
	dropped := p.superseded
	p.superseded = nil
	for _, it := range dropped {
		for k := range it.seen {
			p.remember(k) // a redelivery of it is not new either
		}
	}
	return dropped
}

// hush takes every call off the queue, to be reported by next as not said:
// the office paused.
func (p *playlist) hush() {
	for _, it := range p.items {
		it.why = ErrPaused
		p.superseded = append(p.superseded, it)
	}
	p.items = nil
}

// pop takes the head off the queue.
func (p *playlist) pop() *item {
	it := p.items[0]
	p.items[0] = nil
	p.items = p.items[1:]
	return it
}

func (p *playlist) remember(k string) {
	if p.played[k] {
		return
	}
	p.played[k] = true
	p.order = append(p.order, k)
	if len(p.order) > maxPlayed {
		delete(p.played, p.order[0])
		p.order = p.order[1:]
	}
}

// phrases returns the item's calls in the order of the announcer's
// languages.
func (p *playlist) phrases(it *item) []Call {
	var cs []Call
	for _, l := range p.langs {
		if c, ok := it.phrases[l]; ok {
			cs = append(cs, c)
		}
	}
	return cs
}
