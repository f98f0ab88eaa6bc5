package office

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

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
	m  map[string]audio.Presence
}

// maxAnnouncers bounds the announcers listed: an office has one or two,
// and a client that makes up ids must not grow the controller's memory.
const maxAnnouncers = 32

// onAnnouncer hears an announcer's presence. An empty message clears a
// retained one: an administrator removes an announcer taken out of
// service so.
func (o *Office) onAnnouncer(topic string, payload []byte) {
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
	was, known := o.voices.m[id]
	if !known && len(o.voices.m) >= maxAnnouncers {
		o.voices.mu.Unlock()
		o.reportError("announcer/"+id, fmt.Errorf("office: more than %d voice announcers: this one is not listed (clear the retained presence of those taken out of service)", maxAnnouncers))
		return
	}
	if o.voices.m == nil {
		o.voices.m = map[string]audio.Presence{}
	}
	o.voices.m[id] = p
	o.voices.mu.Unlock()

	args := []any{"announcer", p.ID, "started", p.Started}
	switch {
	case !p.Online && p.Stopped && (!known || was.Online):
		o.log.Info("office: a voice announcer stopped: the calls are not said in its hall", args...)
	case !p.Online && !p.Stopped && (!known || was.Online):
		o.log.Warn("office: a voice announcer is gone (its box switched off, its network or a crash): the calls are not said in its hall until it is back", args...)
	case p.Online && p.Error != "" && (!known || was.Error != p.Error):
		o.log.Warn("office: a voice announcer's player failed: the calls may not be heard in its hall", append(args, "player", p.Player, "err", p.Error)...)
	case p.Online && known && (!was.Online || was.Error != ""):
		o.log.Info("office: a voice announcer is back", args...)
	}
}

// list is the announcers by id.
func (a *announcers) list() []audio.Presence {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]audio.Presence, 0, len(a.m))
	for _, p := range a.m {
		out = append(out, p)
	}
	slices.SortFunc(out, func(x, y audio.Presence) int { return cmp.Compare(x.ID, y.ID) })
	return out
}
