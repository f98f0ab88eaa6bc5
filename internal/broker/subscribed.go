package broker

import (
	"strings"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Subscribed returns a channel closed once a network client has subscribed
// to a filter that matches topic: a subscriber is there to take what is
// published on it. The controller waits for one before it sends what it
// committed before a restart, which the broker, new and without sessions,
// would otherwise hand to nobody.
func (b *Broker) Subscribed(topic string) <-chan struct{} {
	return b.watch.wait(topic)
}

// The filters subscribers keeps: at most maxFilters, of at most
// maxFilterLen bytes.
const (
	maxFilters   = 4096
	maxFilterLen = 512
)

// subscribers is the hook that watches the network clients' subscriptions.
type subscribers struct {
	mqtt.HookBase
	mu      sync.Mutex
	filters map[string]bool // the filters clients subscribed to (bounded)
	waiting map[string]chan struct{}
}

func (h *subscribers) ID() string { return "cherga-subscribers" }

func (h *subscribers) Provides(b byte) bool { return b == mqtt.OnSubscribed }

func (h *subscribers) OnSubscribed(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if cl.Net.Inline {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.filters == nil {
		h.filters = map[string]bool{}
	}
	for _, f := range pk.Filters {
		// Kept for a wait yet to come (at the controller's start), so
		// bounded: a client subscribing to ever new filters must not take
		// the memory, and no filter that long matches a topic of ours.
		if len(f.Filter) <= maxFilterLen && len(h.filters) < maxFilters {
			h.filters[f.Filter] = true
		}
		for topic, ch := range h.waiting {
			if matches(f.Filter, topic) {
				close(ch)
				delete(h.waiting, topic)
			}
		}
	}
}

func (h *subscribers) wait(topic string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := make(chan struct{})
	for f := range h.filters {
		if matches(f, topic) {
			close(ch)
			return ch
		}
	}
	if old, ok := h.waiting[topic]; ok {
		return old
	}
	if h.waiting == nil {
		h.waiting = map[string]chan struct{}{}
	}
	h.waiting[topic] = ch
	return ch
}

// matches reports whether the MQTT filter (with + and #) matches topic.
func matches(filter, topic string) bool {
	if strings.HasPrefix(filter, "$share/") {
		if _, rest, ok := strings.Cut(strings.TrimPrefix(filter, "$share/"), "/"); ok {
			filter = rest
		}
	}
	fs, ts := strings.Split(filter, "/"), strings.Split(topic, "/")
	for i, f := range fs {
		switch {
		case f == "#":
			return true
		case i >= len(ts):
			return false
		case f != "+" && f != ts[i]:
			return false
		}
	}
	return len(fs) == len(ts)
}
