package office

import "time"

// Inputs repeated with their id are acted on once: MQTT's QoS 1 is at
// least once, so a box whose acknowledgement was lost in a Wi-Fi hiccup
// sends its press again, and a second next would end the visit of a
// citizen who never came and call the one after.
const (
	// recentKeep is how many ids of one source are remembered.
	recentKeep = 64
	// recentFor is how long an id is remembered: a redelivery comes
	// within seconds, a box's own retry within a minute.
	recentFor = 10 * time.Minute
)

// recent remembers the ids of one source's latest inputs (a kiosk's, a
// counter's, the administrators' requests) with what each asked and what
// it gave. Only one goroutine
// uses it.
type recent[V any] struct {
	seen  map[string]seen[V]
	order []string // oldest first
}

type seen[V any] struct {
	asked string
	v     V
	at    time.Time
}

// get returns what the input with id gave, if it came within recentFor
// asking the same (asked): a delivery again. An id that came asking
// something else is no delivery again but a box that reuses its ids (its
// count started afresh after a power cut): reused says so, and the input
// is to be served as new.
func (r *recent[V]) get(id, asked string, now time.Time) (v V, again, reused bool) {
	s, ok := r.seen[id]
	if !ok || id == "" || now.Sub(s.at) > recentFor || now.Before(s.at) {
		return v, false, false
	}
	if s.asked != asked {
		return v, false, true
	}
	return s.v, true, false
}

// put remembers what the input with id asked and gave (an empty id is not
// kept).
func (r *recent[V]) put(id, asked string, v V, now time.Time) {
	if id == "" {
		return
	}
	if r.seen == nil {
		r.seen = map[string]seen[V]{}
	}
	if _, ok := r.seen[id]; !ok {
		r.order = append(r.order, id)
	}
	r.seen[id] = seen[V]{asked, v, now}
	for len(r.order) > recentKeep {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
}
