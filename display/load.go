package display

import "time"

// Queue is the retained figures of one service, the payload of
// {root}/queue/{service}.
type Queue struct {
	// Waiting is how many tickets of the service wait to be called.
	Waiting int `json:"waiting"`
	// ETAMin is the estimated wait of an ordinary ticket taken now, to the
	// nearest minute, as the queue package estimates it (queue.Minutes);
	// below 0 it is unknown, as when no counter is open for the service,
	// and the payload says null.
	ETAMin int `json:"eta_min"`
	// LastCalled is the last ticket of the service called, "" before the
	// first call of the day. It is always in the payload, so the shape of
	// the payload never changes.
	LastCalled string `json:"last_called"`
	// Paused says an administrator paused the service or the whole office:
	// no ticket is issued now; Reason is theirs ("air-raid alert").
	Paused bool   `json:"paused"`
	Reason string `json:"reason,omitempty"`
	// Alert: the office's pause is an air-raid alert (queue.Paused.IsAlert).
	Alert bool `json:"alert,omitempty"`
	// Refused is why a kiosk refuses an ordinary ticket of the service
	// now, as its answer's reason (closed, paused, clock, daily_cap,
	// full); "" while it issues.
	Refused string `json:"refused,omitempty"`
	// Opens is, while Refused is "closed", when the service opens next by
	// the office's and its own hours (a screen greys the button out "until
	// Wednesday 11:00"); zero when nobody can say (no counter serves it, no
	// opening within the hours), and while it is not closed.
	Opens time.Time `json:"-"`
}

// JSON returns the payload of {root}/queue/{service}.
func (q Queue) JSON() []byte {
	return marshal(struct {
		Waiting    int    `json:"waiting"`
		ETAMin     *int   `json:"eta_min"`
		LastCalled string `json:"last_called"`
		Paused     bool   `json:"paused"`
		Reason     string `json:"reason,omitempty"`
		Alert      bool   `json:"alert,omitempty"`
		Refused    string `json:"refused,omitempty"`
		Opens      string `json:"opens,omitempty"`
	}{q.Waiting, ETA(q.ETAMin), q.LastCalled, q.Paused, q.Reason, q.Alert, q.Refused, formatTime(q.Opens)})
}

// ETA is an estimate in minutes as every payload carries it: null when
// unknown (below 0: no counter is open for the service).
func ETA(m int) *int {
	if m < 0 {
		return nil
	}
	return &m
}

// MarshalJSON makes json.Marshal write the same value as JSON.
func (q Queue) MarshalJSON() ([]byte, error) { return q.JSON(), nil }

// Load is the office totals for the website, the payload of {root}/load.
type Load struct {
	// Waiting is how many tickets wait in the whole office.
	Waiting int `json:"waiting"`
	// OpenCounters is how many distinct counters are open. It is not the sum
	// over Services: one counter may serve several services.
	OpenCounters int           `json:"open_counters"`
	Services     []LoadService `json:"services"`
	// Paused says an administrator paused the whole office (an air-raid
	// alert), with their Reason; Alert, that the pause is an air-raid
	// alert (queue.Paused.IsAlert), which a reason alone may not say.
	Paused bool
	Reason string
	Alert  bool
	// ClockUnset: no ticket is issued because the clock is not set, or
	// behind the time the office last ran at (a kiosk's reason clock).
	ClockUnset bool
	// Languages are the office's languages of the announcements, in order
	// (office.languages): an announcer says the alert in these.
	Languages []string  `json:"languages,omitempty"`
	At        time.Time `json:"at"`
	// Sent is when the controller sent it, by the same clock as At: a
	// separate box ages it by the two, not by its own clock (zero: not
	// written).
	Sent time.Time `json:"sent,omitzero"`
	// Seq is the seq of the latest event sent before it, or that the
	// broker acknowledged, of this run or the one before (0: none): a
	// follower of the events whose latest is older lost those between,
	// which a quiet office would not show until its next event.
	Seq uint64 `json:"seq,omitempty"`
}

// LoadService is the figures of one service in Load.
type LoadService struct {
	// Service is the service id of the configuration ("social").
	Service string `json:"service"`
	// Name is the service name as the kiosk shows it ("Соціальний захист");
	// NameEn its English name, if the configuration gives one.
	Name    string `json:"name"`
	NameEn  string `json:"name_en,omitempty"`
	Waiting int    `json:"waiting"`
	// ETAMin is as in Queue: below 0 unknown, null in the payload.
	ETAMin       int `json:"eta_min"`
	OpenCounters int `json:"open_counters"`
	// Paused: the service issues no ticket now (it or the office is
	// paused), Reason the administrator's, as in Queue: a page that reads
	// only the load can say why.
	Paused bool   `json:"paused"`
	Reason string `json:"reason,omitempty"`
	// Refused is as in Queue.
	Refused string `json:"refused,omitempty"`
}

// MarshalJSON writes an unknown ETAMin as null.
func (s LoadService) MarshalJSON() ([]byte, error) {
	return marshal(struct {
		Service      string `json:"service"`
		Name         string `json:"name"`
		NameEn       string `json:"name_en,omitempty"`
		Waiting      int    `json:"waiting"`
		ETAMin       *int   `json:"eta_min"`
		OpenCounters int    `json:"open_counters"`
		Paused       bool   `json:"paused"`
		Reason       string `json:"reason,omitempty"`
		Refused      string `json:"refused,omitempty"`
	}{s.Service, s.Name, s.NameEn, s.Waiting, ETA(s.ETAMin), s.OpenCounters, s.Paused, s.Reason, s.Refused}), nil
}

// loadJSON is Load on the wire: the time formatted by formatTime.
type loadJSON struct {
	Waiting      int           `json:"waiting"`
	OpenCounters int           `json:"open_counters"`
	Services     []LoadService `json:"services"`
	Paused       bool          `json:"paused"`
	Reason       string        `json:"reason,omitempty"`
	Alert        bool          `json:"alert,omitempty"`
	ClockUnset   bool          `json:"clock_unset,omitempty"`
	Languages    []string      `json:"languages,omitempty"`
	At           string        `json:"at,omitempty"`
	Sent         string        `json:"sent,omitempty"`
	Seq          uint64        `json:"seq,omitempty"`
}

// JSON returns the payload of {root}/load, with an empty services list rather
// than null.
func (l Load) JSON() []byte {
	services := l.Services
	if services == nil {
		services = []LoadService{}
	}
	return marshal(loadJSON{
		Waiting:      l.Waiting,
		OpenCounters: l.OpenCounters,
		Services:     services,
		Paused:       l.Paused,
		Reason:       l.Reason,
		Alert:        l.Alert,
		ClockUnset:   l.ClockUnset,
		Languages:    l.Languages,
		At:           formatTime(l.At),
		Sent:         formatTime(l.Sent),
		Seq:          l.Seq,
	})
}

// MarshalJSON makes json.Marshal write the same value as JSON (json.Marshal
// escapes &, < and > on top).
func (l Load) MarshalJSON() ([]byte, error) { return l.JSON(), nil }
