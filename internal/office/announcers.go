package office

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cherga/cherga/audio"
	"github.com/cherga/cherga/internal/bus"
)

// announcers are the voice announcers as they say themselves on
// {root}/announcer/{id} (audio.Presence), by the topic's id: office.state
// lists them, and the log says when one goes away or its player fails,
// for a hall whose voice went quiet is otherwise told only by citizens who
// miss their call.
type announcers struct {
	mu sync.Mutex
	m  map[string]*voice
	// closing: the office stops, and the embedded broker, closing,
	// publishes every announcer's last will: none went away.
	closing atomic.Bool
}

// voice is what the office knows of one announcer.
type voice struct {
	p audio.Presence
	// last and before are the last two start times it said it runs with:
	// a start time that comes back (A, B, A) is two announcers that share
	// an id, each one's connection dropping the other's.
	last, before time.Time
	twinSaid     bool
	// said bounds its changes logged: one that comes and goes is logged
	// logsPerMinute times a minute.
	said logBudget
}

// logsPerMinute bounds the changes of one thing logged in a minute: an
// announcer, a kiosk's printer.
const logsPerMinute = 4

// logBudget lets logsPerMinute lines about one thing a minute through,
// and counts those it holds back, for the next line to say: one that
// comes and goes (an announcer's flaky Wi-Fi, a printer's loose cable)
// does not fill the journal.
type logBudget struct {
	window        time.Time // when the minute of its latest lines began
	logged, quiet int       // the lines logged in it; those held back since
}

// due reports whether lines were held back and a new minute began at now:
// the state that lasts after them may be logged (a printer that flapped
// and then stayed broken).
func (b *logBudget) due(now time.Time) bool {
	return b.quiet > 0 && now.Sub(b.window) >= time.Minute
}

// take says whether a line may be logged at now, and, when it may, the
// args that count the lines held back before it (changes_not_logged).
func (b *logBudget) take(now time.Time) (ok bool, args []any) {
	if now.Sub(b.window) >= time.Minute {
		b.window, b.logged = now, 0
	}
	if b.logged++; b.logged > logsPerMinute {
		b.quiet++
		return false, nil
	}
	if b.quiet > 0 {
		args = []any{"changes_not_logged", b.quiet}
		b.quiet = 0
	}
	return true, args
}

// maxAnnouncers bounds the announcers listed: an office has one or two,
// and a client that makes up ids must not grow the controller's memory.
const maxAnnouncers = 32

// onAnnouncer hears an announcer's presence. An empty message clears a
// retained one: an administrator removes an announcer taken out of
// service so.
func (o *Office) onAnnouncer(topic string, payload []byte) {
	if o.voices.closing.Load() {
		return
	}
	id := bus.Segment(o.conf().Root(), topic, 1)
	if len(payload) == 0 {
		o.voices.mu.Lock()
		delete(o.voices.m, id)
		o.voices.mu.Unlock()
		return
	}
	p, err := audio.ParsePresence(payload)
	if err != nil {
		o.reportError("announcer/"+id, withPayload(err, payload))
		return
	}
	o.voices.mu.Lock()
	v := o.voices.m[id]
	if v == nil && len(o.voices.m) >= maxAnnouncers {
		o.voices.mu.Unlock()
		o.reportError("announcer/"+id, fmt.Errorf("office: more than %d voice announcers: this one is not listed (clear the retained presence of those taken out of service)", maxAnnouncers))
		return
	}
	if o.voices.m == nil {
		o.voices.m = map[string]*voice{}
	}
	known := v != nil
	if !known {
		v = &voice{}
		o.voices.m[id] = v
	}
	was := v.p
	v.p = p
	twin := false
	if p.Online && !p.Started.Equal(v.last) {
		twin = !v.twinSaid && !v.before.IsZero() && p.Started.Equal(v.before)
		v.twinSaid = v.twinSaid || twin
		v.before, v.last = v.last, p.Started
	}
	msg, level := "", slog.LevelInfo
	switch {
	case !p.Online && p.Stopped && (!known || was.Online):
		msg = "office: a voice announcer stopped: the calls are not said in its hall"
	case !p.Online && !p.Stopped && (!known || was.Online):
		msg, level = "office: a voice announcer is gone (its box switched off, its network or a crash): the calls are not said in its hall until it is back", slog.LevelWarn
	case p.Online && p.Error != "" && (!known || was.Error != p.Error):
		msg, level = "office: a voice announcer's player failed: the calls may not be heard in its hall", slog.LevelWarn
	case p.Online && known && (!was.Online || was.Error != ""):
		msg = "office: a voice announcer is back"
	}
	args := []any{"announcer", p.ID}
	if !p.Started.IsZero() {
		args = append(args, "started", p.Started)
	}
	if p.Error != "" {
		args = append(args, "player", p.Player, "err", p.Error)
	}
	if msg != "" {
		ok, held := v.said.take(time.Now())
		if !ok {
			msg = ""
		}
		args = append(args, held...)
	}
	o.voices.mu.Unlock()
	if twin {
		o.log.Error("office: two voice announcers run with one id: each one's connection to the broker drops the other's, and the office sees them come and go; give each its own -id", "announcer", p.ID, "topic", topic)
	}
	if msg != "" {
		o.log.Log(context.Background(), level, msg, args...)
	}
}

// list is the announcers by id, their times in loc (an announcer's box
// does not know the office's time zone: it says them in UTC).
func (a *announcers) list(loc *time.Location) []audio.Presence {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]audio.Presence, 0, len(a.m))
	for _, v := range a.m {
		p := v.p
		if !p.Started.IsZero() {
			p.Started = p.Started.In(loc)
		}
		if p.ErrorAt != nil {
			at := p.ErrorAt.In(loc)
			p.ErrorAt = &at
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y audio.Presence) int { return cmp.Compare(x.ID, y.ID) })
	return out
}
