package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cherga/cherga/internal/config"
)

// Dist summarises durations: how many, their mean, the median, the 90th
// percentile and the longest. The percentiles are by nearest rank: p50 is
// the shortest of the durations that at least half of them do not exceed.
// The mean lets the days be combined (a month's mean is Σ mean·n / Σ n);
// percentiles cannot be. In JSON the durations are seconds, to the
// millisecond: {"n":12,"mean_s":402.5,"p50_s":312.5,"p90_s":901,"max_s":1204.25}.
type Dist struct {
	N    int
	Mean time.Duration
	P50  time.Duration
	P90  time.Duration
	Max  time.Duration
	// NoMean says the mean is unknown: the figures of a day kept before
	// the mean was. In JSON mean_s is null.
	NoMean bool
	// NoPercentiles says P50 and P90 are unknown: a range of days whose
	// durations were not kept. In JSON p50_s and p90_s are null.
	NoPercentiles bool
}

type distJSON struct {
	N    int      `json:"n"`
	Mean *float64 `json:"mean_s"`
	P50  *float64 `json:"p50_s"`
	P90  *float64 `json:"p90_s"`
	Max  float64  `json:"max_s"`
	// Statistics stored before the seconds held nanoseconds here.
	OldP50 *time.Duration `json:"p50,omitempty"`
	OldP90 *time.Duration `json:"p90,omitempty"`
	OldMax *time.Duration `json:"max,omitempty"`
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func fromSeconds(s float64) time.Duration {
	return time.Duration(math.Round(s*1000)) * time.Millisecond
}

// MarshalJSON writes the durations in seconds.
func (d Dist) MarshalJSON() ([]byte, error) {
	j := distJSON{N: d.N, Max: seconds(d.Max)}
	if !d.NoMean {
		m := seconds(d.Mean)
		j.Mean = &m
	}
	if !d.NoPercentiles {
		p50, p90 := seconds(d.P50), seconds(d.P90)
		j.P50, j.P90 = &p50, &p90
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the durations in seconds, or the nanoseconds of
// statistics stored before. Those stored before the mean have none, but
// of no durations (n 0): that one is 0.
func (d *Dist) UnmarshalJSON(b []byte) error {
	var j distJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Dist{N: j.N, Max: fromSeconds(j.Max)}
	if j.P50 != nil && j.P90 != nil {
		d.P50, d.P90 = fromSeconds(*j.P50), fromSeconds(*j.P90)
	} else {
		d.NoPercentiles = d.N > 0 && j.OldP50 == nil
	}
	if j.Mean != nil {
		d.Mean = fromSeconds(*j.Mean)
	} else {
		d.NoMean = d.N > 0
	}
	for _, old := range []struct {
		from *time.Duration
		to   *time.Duration
	}{{j.OldP50, &d.P50}, {j.OldP90, &d.P90}, {j.OldMax, &d.Max}} {
		if old.from != nil {
			*old.to = *old.from
		}
	}
	return nil
}

func dist(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Dist{N: len(ds), Mean: sum / time.Duration(len(ds)), P50: ds[nearestRank(50, len(ds))], P90: ds[nearestRank(90, len(ds))], Max: ds[len(ds)-1]}
}

// nearestRank is the index of the p-th percentile of n sorted values (n >
// 0): the first that at least p% of them do not exceed.
func nearestRank(p, n int) int { return max((p*n+99)/100-1, 0) }

// Figure is what happened to the tickets of a service or at a counter.
// Issued and Priority count under the service a ticket was issued for,
// TransfersIn under the service a transfer sent it to (for the day it
// equals Transfers). Transfers count the tickets a service or counter sent
// on, one per transfer. Visits count each call at a counter (a recall is
// the same visit), under the counter, and the service the ticket was of
// then. Served and NoShows count at a counter each visit that ended so, and
// for a service or the day how its tickets ended, with Voided and Expired:
// a ticket sent back after a no-show and then served is a no-show at the
// counter and served for its service. At a counter Expired counts the
// tickets at it when the day ended; of a service's or the day's Expired,
// ExpiredAtCounter counts those (the rest were sent home uncalled). So a
// counter balances, but for the ticket at it now,
//
//	visits = served + noshows + transfers + expired
//
// and a service and the day, but for their tickets still open today,
//
//	issued + transfers_in = served + noshows + voided + expired + transfers
type Figure struct {
	Issued           int `json:"issued"`
	Priority         int `json:"priority"`
	TransfersIn      int `json:"transfers_in"`
	Visits           int `json:"visits"`
	Served           int `json:"served"`
	NoShows          int `json:"noshows"`
	Transfers        int `json:"transfers"`
	Voided           int `json:"voided"`
	Expired          int `json:"expired"`
	ExpiredAtCounter int `json:"expired_at_counter"`
	// Ratings is how many citizens rated, RatingAvg their mean score.
	Ratings   int     `json:"ratings"`
	RatingAvg float64 `json:"rating_avg"`
	// Wait is each wait in a service's queue, from joining it (issued or
	// transferred) to the first call there, under that service and the
	// counter that called: it counts waits, not tickets, and not the wait
	// of a no-show sent back to the queue, whose call there was not the
	// first. Service is each served visit, from its call to done.
	// WaitExpired is each wait that ended uncalled, when the service closed
	// or the day ended (from joining the queue, or from the return after a
	// no-show): how long those sent home had waited. Its N is Expired −
	// ExpiredAtCounter, but for waits read from a clock that was not set.
	Wait        Dist `json:"wait"`
	Service     Dist `json:"service"`
	WaitExpired Dist `json:"wait_expired"`
	// Refused counts the presses of a service that gave no ticket, by the
	// reason the kiosk gave (RefusalReasons: "daily_cap", "full",
	// "closed", …): the citizens turned away. None of a counter, and none
	// of a day kept before they were counted.
	Refused map[string]int `json:"refused,omitempty"`
	// Categories are the priority tickets by their category
	// (office.priority_categories: veterans, people with disabilities),
	// counted as Issued and Served are; none of a counter, and none of a
	// day with no categorised ticket (or kept before they were counted).
	Categories map[string]CategoryFigure `json:"categories,omitempty"`
	// Older says the figures were kept before TransfersIn, Visits and
	// ExpiredAtCounter were, and the day's events are gone: those are
	// unknown (null in JSON), and a counter's Expired is 0.
	Older bool `json:"-"`
}

// CategoryFigure is what became of the priority tickets of one category.
type CategoryFigure struct {
	Issued int `json:"issued"`
	Served int `json:"served"`
}

// category counts one ticket of category c: issued, or served.
func (f *Figure) category(c string, issued, served int) {
	if f.Categories == nil {
		f.Categories = map[string]CategoryFigure{}
	}
	cf := f.Categories[c]
	cf.Issued += issued
	cf.Served += served
	f.Categories[c] = cf
}

// refused counts n presses refused for reason.
func (f *Figure) refused(reason string, n int) {
	if f.Refused == nil {
		f.Refused = map[string]int{}
	}
	f.Refused[reason] += n
}

// figureFields is a Figure without its JSON methods.
type figureFields Figure

// MarshalJSON writes the figures unknown in older ones as null.
func (f Figure) MarshalJSON() ([]byte, error) {
	if !f.Older {
		return json.Marshal(figureFields(f))
	}
	return json.Marshal(struct {
		figureFields
		TransfersIn      *int `json:"transfers_in"`
		Visits           *int `json:"visits"`
		ExpiredAtCounter *int `json:"expired_at_counter"`
	}{figureFields: figureFields(f)})
}

// UnmarshalJSON tells the figures kept before TransfersIn, Visits and
// ExpiredAtCounter (Older).
func (f *Figure) UnmarshalJSON(b []byte) error {
	var j struct {
		figureFields
		TransfersIn *int `json:"transfers_in"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Figure(j.figureFields)
	if j.TransfersIn == nil {
		f.Older = true
	} else {
		f.TransfersIn = *j.TransfersIn
	}
	return nil
}

// DayStats are the statistics of one business day.
type DayStats struct {
	Day string `json:"day"`
	// Seq is, of today's live figures, the seq of the last event they
	// count: a dashboard applies the events after it ({root}/events), as
	// after office.state's. 0 (absent) for a finished day.
	Seq      uint64            `json:"seq,omitempty"`
	Total    Figure            `json:"total"`
	Services map[string]Figure `json:"services"`
	Counters map[string]Figure `json:"counters"`
	// Hours are the hours of the day that issued a ticket, in order; none
	// in the figures of a day kept before they were, its events gone.
	Hours []Hour `json:"hours"`
	// Alerts are the day's air-raid alerts; none in the figures of a day
	// kept before they were.
	Alerts Alerts `json:"alerts"`
}

// Alerts are the air-raid alerts of a day (office pauses that were one):
// how many began in it, and for how long of it one was in force (today's
// until now; one carried over from the day before, from midnight).
// Everyone was in the shelter: a wait counts that time, as the citizen
// waited it, a service does not.
type Alerts struct {
	N        int
	Duration time.Duration
}

type alertsJSON struct {
	N int     `json:"n"`
	S float64 `json:"s"`
}

// MarshalJSON writes the duration in seconds: {"n":2,"s":9600}.
func (a Alerts) MarshalJSON() ([]byte, error) {
	return json.Marshal(alertsJSON{a.N, seconds(a.Duration)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (a *Alerts) UnmarshalJSON(b []byte) error {
	var j alertsJSON
	err := json.Unmarshal(b, &j)
	*a = Alerts{j.N, fromSeconds(j.S)}
	return err
}

// Hour is what became of the tickets issued in one hour of the day (the
// office's time): how many, and how long those called waited for their
// first call (WaitN of them, WaitMean on average; the others were voided,
// sent home uncalled, or read from a clock that was not set).
type Hour struct {
	Hour     int
	Issued   int
	WaitN    int
	WaitMean time.Duration
}

type hourJSON struct {
	Hour     int     `json:"hour"`
	Issued   int     `json:"issued"`
	WaitN    int     `json:"wait_n"`
	WaitMean float64 `json:"wait_mean_s"`
}

// MarshalJSON writes the mean wait in seconds, to the millisecond:
// {"hour":9,"issued":120,"wait_n":118,"wait_mean_s":754.2}.
func (h Hour) MarshalJSON() ([]byte, error) {
	return json.Marshal(hourJSON{h.Hour, h.Issued, h.WaitN, seconds(h.WaitMean)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (h *Hour) UnmarshalJSON(b []byte) error {
	var j hourJSON
	err := json.Unmarshal(b, &j)
	*h = Hour{j.Hour, j.Issued, j.WaitN, fromSeconds(j.WaitMean)}
	return err
}

// MarshalJSON writes the counters in their numbers' order ("2" before
// "10", as a person reads them) and the services by id; encoding/json
// would sort the counters as text.
func (s DayStats) MarshalJSON() ([]byte, error) {
	day, _ := json.Marshal(s.Day)
	total, err := json.Marshal(s.Total)
	if err != nil {
		return nil, err
	}
	services, err := figuresJSON(s.Services, strings.Compare)
	if err != nil {
		return nil, err
	}
	counters, err := figuresJSON(s.Counters, byNumber)
	if err != nil {
		return nil, err
	}
	b := fmt.Appendf(nil, `{"day":%s`, day)
	if s.Seq != 0 {
		b = fmt.Appendf(b, `,"seq":%d`, s.Seq) // today's live figures: the events after it apply
	}
	b = fmt.Appendf(b, `,"total":%s,"services":%s,"counters":%s`, total, services, counters)
	if len(s.Hours) > 0 {
		hours, err := json.Marshal(s.Hours)
		if err != nil {
			return nil, err
		}
		b = fmt.Appendf(b, `,"hours":%s`, hours)
	}
	if s.Alerts != (Alerts{}) {
		alerts, _ := json.Marshal(s.Alerts)
		b = fmt.Appendf(b, `,"alerts":%s`, alerts)
	}
	return append(b, '}'), nil
}

// figuresJSON is m as a JSON object, its keys in order's order.
func figuresJSON(m map[string]Figure, order func(a, b string) int) ([]byte, error) {
	b := []byte{'{'}
	for i, k := range slices.SortedFunc(maps.Keys(m), order) {
		if i > 0 {
			b = append(b, ',')
		}
		key, _ := json.Marshal(k)
		v, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), v...)
	}
	return append(b, '}'), nil
}

// byNumber orders counter ids by their numbers (the others as text).
func byNumber(a, b string) int {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 == nil && err2 == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

type figureAcc struct {
	f                      Figure
	wait, service, expired []time.Duration
	ratingSum              int
}

// queuedSince is when a ticket joined its service's queue; again says it
// was called there before (a no-show sent back): its next call is no
// first call there.
type queuedSince struct {
	at    time.Time
	again bool
	// slot: at is a booked visit's time, not when it joined: called
	// before it, it waited for nothing.
	slot bool
}

// waited is the wait of q up to a call at call.
func (q queuedSince) waited(call time.Time) (time.Duration, bool) {
	if q.slot && call.Before(q.at) {
		return 0, true
	}
	return span(q.at, call)
}

// issuedAt is a ticket not called yet: its hour of issue, and its first
// wait.
type issuedAt struct {
	hour int
	q    queuedSince
}

// dayAcc sums up a day: its tickets as they ended (ticket), and its events
// visit by visit (event), which tell what a ticket's last state does not:
// every counter it was at and every queue it waited in.
type dayAcc struct {
	total      figureAcc
	svcs, ctrs map[string]*figureAcc
	loc        *time.Location         // the office's: its hours
	hours      [24]hourAcc            // by the hour a ticket was issued
	issued     map[uint64]issuedAt    // ticket → when issued, until its first call
	queued     map[uint64]queuedSince // ticket → in its service's queue, until called there
	called     map[uint64]time.Time   // ticket → when its visit at a counter began, until it ended
	shelter    sheltered              // when the office was paused for an alert
	until      time.Time              // the figures' time: the end of an alert in force
	start      time.Time              // the day's: an alert carried over began then for it
	carried    bool                   // an alert was in force as the day began
}

// hourAcc sums up the tickets issued in one hour.
type hourAcc struct {
	issued, waitN int
	waitSum       time.Duration
}

func newDayAcc(loc *time.Location) *dayAcc {
	return &dayAcc{svcs: map[string]*figureAcc{}, ctrs: map[string]*figureAcc{}, loc: loc,
		queued: map[uint64]queuedSince{}, called: map[uint64]time.Time{}, issued: map[uint64]issuedAt{}}
}

func (d *dayAcc) get(m map[string]*figureAcc, k string) *figureAcc {
	if k == "" {
		return &figureAcc{}
	}
	a := m[k]
	if a == nil {
		a = &figureAcc{}
		m[k] = a
	}
	return a
}

// ticket counts how tk ended, for the day and its service.
func (d *dayAcc) ticket(tk *Ticket) {
	origin := d.get(d.svcs, tk.OriginService())
	for _, a := range []*figureAcc{&d.total, origin} {
		a.f.Issued++
		if tk.Priority {
			a.f.Priority++
		}
		if tk.Category != "" {
			a.f.category(tk.Category, 1, 0)
		}
	}
	for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service)} {
		switch tk.State {
		case Done:
			a.f.Served++
			if tk.Category != "" {
				a.f.category(tk.Category, 0, 1)
			}
		case NoShow:
			a.f.NoShows++
		case Voided:
			a.f.Voided++
		case Expired:
			a.f.Expired++
		}
	}
	if tk.Rating > 0 {
		// The rating is of its last visit, the one served.
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), d.get(d.ctrs, tk.Counter)} {
			a.f.Ratings++
			a.ratingSum += tk.Rating
		}
	}
}

// event counts a visit's part that ev tells: a wait that ended in a call,
// and at the counter the visit served, the no-show, the transfer or the
// day's end.
func (d *dayAcc) event(ev *eventRecord) {
	tk := ev.Ticket
	switch ev.Type {
	case EvIssued:
		q := queuedSince{at: ev.At}
		if tk.Appointment != 0 && tk.NotBefore.After(ev.At) {
			q = queuedSince{at: tk.NotBefore, slot: true} // a booked visit checked in early waits from its time
		}
		d.queued[tk.ID] = q
		hour := ev.At.In(d.loc).Hour()
		d.issued[tk.ID] = issuedAt{hour: hour, q: q}
		d.hours[hour].issued++
	case EvCalled:
		d.called[tk.ID] = ev.At
		if is, ok := d.issued[tk.ID]; ok {
			delete(d.issued, tk.ID) // its first call
			if w, ok := is.q.waited(ev.At); ok {
				h := &d.hours[is.hour]
				h.waitN++
				h.waitSum += w
			}
		}
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), d.get(d.ctrs, ev.Counter)} {
			a.f.Visits++
		}
		q, ok := d.queued[tk.ID]
		delete(d.queued, tk.ID)
		if !ok || q.again {
			return // called again after a no-show: its first wait was counted
		}
		if w, ok := q.waited(ev.At); ok {
			for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), d.get(d.ctrs, ev.Counter)} {
				a.wait = append(a.wait, w)
			}
		}
	case EvDone:
		ctr := d.get(d.ctrs, ev.Counter)
		ctr.f.Served++
		called := d.called[tk.ID]
		delete(d.called, tk.ID)
		if s, ok := span(called, ev.At); ok {
			// Without the time in the shelter (an air-raid alert).
			s -= d.shelter.during(called, ev.At)
			for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), ctr} {
				a.service = append(a.service, s)
			}
		}
	case EvRefused:
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, ev.Service)} {
			a.f.refused(ev.Reason, 1)
		}
	case EvDayStarted:
		if ev.Alert { // in force since the day before
			d.carried = true
			d.shelter.pause(cmp.Or(d.start, ev.At))
		}
	case EvOfficePaused:
		d.shelter.paused(ev.At, ev.Alert)
	case EvOfficeResumed:
		d.shelter.resume(ev.At)
	case EvNoShow:
		d.get(d.ctrs, ev.Counter).f.NoShows++
		d.back(tk, ev.At)
	case EvMoved:
		// Its counter was taken out of the configuration: back in the
		// queue, a visit that never ended.
		d.back(tk, ev.At)
	case EvExpired:
		if q, ok := d.queued[tk.ID]; ok {
			delete(d.queued, tk.ID)
			// Until the ticket ended (the closing), not until the event
			// (the office recorded it on its return after a power cut).
			if w, ok := span(q.at, tk.Ended); ok {
				for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service)} {
					a.expired = append(a.expired, w)
				}
			}
			return
		}
		// At a counter when the day ended: its visit ended so, and no
		// service time is known.
		delete(d.called, tk.ID)
		ctr := d.get(d.ctrs, cmp.Or(ev.Counter, tk.Counter))
		ctr.f.Expired++
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), ctr} {
			a.f.ExpiredAtCounter++
		}
	case EvTransferred:
		d.queued[tk.ID] = queuedSince{at: ev.At}
		delete(d.called, tk.ID)
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.From), d.get(d.ctrs, ev.Counter)} {
			a.f.Transfers++
		}
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service)} {
			a.f.TransfersIn++
		}
	}
}

// back puts a ticket that went from a counter back to its queue (a no-show
// given the grace period, or its counter taken away) in the queue from at:
// a wait that may end uncalled.
func (d *dayAcc) back(tk *Ticket, at time.Time) {
	if tk.State != Waiting {
		return
	}
	delete(d.called, tk.ID)
	if _, ok := d.queued[tk.ID]; !ok {
		d.queued[tk.ID] = queuedSince{at: at, again: true}
	}
}

func (d *dayAcc) stats(day string) *DayStats {
	finish := func(a *figureAcc) Figure {
		a.f.Wait, a.f.Service, a.f.WaitExpired = dist(a.wait), dist(a.service), dist(a.expired)
		if a.f.Ratings > 0 {
			a.f.RatingAvg = float64(a.ratingSum) / float64(a.f.Ratings)
		}
		return a.f
	}
	st := &DayStats{Day: day, Total: finish(&d.total), Services: map[string]Figure{}, Counters: map[string]Figure{}}
	for k, a := range d.svcs {
		st.Services[k] = finish(a)
	}
	for k, a := range d.ctrs {
		st.Counters[k] = finish(a)
	}
	for i, h := range d.hours {
		if h.issued > 0 {
			hr := Hour{Hour: i, Issued: h.issued, WaitN: h.waitN}
			if h.waitN > 0 {
				hr.WaitMean = h.waitSum / time.Duration(h.waitN)
			}
			st.Hours = append(st.Hours, hr)
		}
	}
	st.Alerts = d.shelter.alerts(d.until)
	if d.carried {
		st.Alerts.N-- // the day before's: a range counts it once
	}
	return st
}

// computeStats summarises a business day from the store: its tickets as
// they ended and its events visit by visit.
func computeStats(tx *bolt.Tx, day string, loc *time.Location, now time.Time) (*DayStats, bool, error) {
	st, _, ok, err := computeDay(tx, day, loc, now)
	return st, ok, err
}

// computeDay is computeStats with the durations behind the figures.
// An alert in force counts until now, or the day's end before it.
func computeDay(tx *bolt.Tx, day string, loc *time.Location, now time.Time) (*DayStats, *dayDurations, bool, error) {
	d := newDayAcc(loc)
	d.until = now
	if start, err := time.ParseInLocation(dayLayout, day, loc); err == nil {
		d.start = start
		if end := start.AddDate(0, 0, 1); end.Before(now) {
			d.until = end
		}
	}
	ts, ok, err := dayEvents(tx, day, d.event)
	if err != nil || !ok {
		return nil, nil, ok, err
	}
	for _, tk := range ts {
		d.ticket(tk)
	}
	return d.stats(day), d.durations(), true, nil
}

// span is the duration from a to b for the statistics, when both were
// read from a clock that was set and it is a business day's length at
// most (25 hours, the day the clocks go back): a Pi that booted at 1970
// and was set by NTP meanwhile must not add decades.
func span(a, b time.Time) (time.Duration, bool) {
	if a.IsZero() || b.IsZero() || !clockValid(a) || !clockValid(b) {
		return 0, false
	}
	d := b.Sub(a)
	return d, d >= 0 && d <= 25*time.Hour
}

// keepWhatEventsTell stores again, from its events, the figures of a day
// about to lose them (prune) that were kept by an older version, without
// the durations and hours its events tell: a range's percentiles of it
// stay exact.
func (t *txn) keepWhatEventsTell(day string) {
	v := t.tx.Bucket(bucketStats).Get([]byte(day))
	if v == nil {
		return
	}
	r, err := readDayRecord(v, true)
	if err == nil && !r.older() {
		return
	}
	t.keepStats(day)
}

// keepStats stores the statistics of a finished day, from the store as
// this transaction leaves it; they outlive its tickets.
func (t *txn) keepStats(day string) {
	st, dur, _, err := computeDay(t.tx, day, t.e.loc, t.now)
	if err != nil {
		t.fail(err)
		return
	}
	if st == nil {
		st, dur = newDayAcc(t.e.loc).stats(day), &dayDurations{}
	}
	t.put(bucketStats, []byte(day), dayRecord{st: st, dur: dur, kept: recordKept})
}

// Stats returns the statistics of a business day ("2026-11-23"; "" is
// today): live for today, stored for a finished day. A day with no record
// gives ErrUnknownDay, saying why it has none.
//
// It is worked out in a read transaction beside the engine, not on its
// goroutine: a busy day's thousands of events take tens of milliseconds,
// which no press or call waits for. The transaction sees the business day,
// the events and their seq as one commit left them.
func (e *Engine) Stats(ctx context.Context, day string) (*DayStats, error) {
	if ctx.Err() != nil {
		return nil, stale(ctx) // as a request that ended before it ran
	}
	var res *DayStats
	err := e.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		today := string(meta.Get(keyDay))
		if day == "" {
			day = today
		}
		defer func() {
			if res != nil && day == today {
				res.Seq = beU64(meta.Get(keyEventSeq)) // the figures' last event
			}
		}()
		if v := tx.Bucket(bucketStats).Get([]byte(day)); v != nil {
			r, err := readDayRecord(v, false)
			if res = r.st; err != nil || !res.Total.Older && (res.Hours != nil || res.Total.Issued == 0) && !r.uncategorised() {
				return err
			}
			// Kept before the figures added since (the hours, the
			// categories): while its events are kept, they tell those
			// too.
			if st, ok, err := computeStats(tx, day, e.loc, e.opts.Now()); err != nil || ok {
				res = st
				return err
			}
			return nil
		}
		st, ok, err := computeStats(tx, day, e.loc, e.opts.Now())
		switch {
		case err == nil && !ok && day == today:
			st = newDayAcc(e.loc).stats(day) // no business day yet: the clock is not set
		case err == nil && !ok:
			err = e.noFigures(tx, today, day)
		}
		res = st
		return err
	})
	return res, err
}

// unknownDay is ErrUnknownDay saying why a day has no figures (or, with
// what "tickets", no tickets). The figures of every day that issued a
// ticket are kept, beyond office.stats_days.
type unknownDay struct{ day, why, what string }

func (u *unknownDay) Error() string {
	return fmt.Sprintf("queue: no %s of %s: %s", cmp.Or(u.what, "figures"), u.day, u.why)
}

func (u *unknownDay) Is(target error) bool { return target == ErrUnknownDay }

// noFigures says why the store has no figures of day, today being today:
// it is still to come, it is before the office's first record, or it
// issued no ticket: a holiday, a day the hours close every service (as
// configured now), or a day nobody took one, or the office was off.
func (e *Engine) noFigures(tx *bolt.Tx, today, day string) error {
	e.pubMu.Lock()
	cfg := e.cfg // read beside the engine: SetConfig changes it under pubMu
	e.pubMu.Unlock()
	u := &unknownDay{day: day}
	first := ""
	for _, b := range [][]byte{bucketDays, bucketStats} {
		if k, _ := tx.Bucket(b).Cursor().First(); k != nil && (first == "" || string(k) < first) {
			first = string(k)
		}
	}
	d, err := time.ParseInLocation(dayLayout, day, e.loc)
	closed := err == nil
	if closed {
		wd := config.Weekday(d)
		for i := range cfg.Services {
			if from, to := cfg.HoursOf(&cfg.Services[i], wd); from != to {
				closed = false
			}
		}
	}
	switch {
	case today != "" && day > today:
		u.why = fmt.Sprintf("it is still to come (today is %s)", today)
	case first == "" || day < first:
		u.why = "it is before the office's first record"
		if first != "" {
			u.why += " (" + first + ")"
		}
	case cfg.Holiday(day):
		u.why = "no ticket was issued: a holiday, as office.holidays has it now"
	case closed:
		u.why = fmt.Sprintf("no ticket was issued: the office is closed on %ss, as its hours are now", d.Weekday())
	default:
		u.why = "no ticket was issued that day (nobody came, or the office was off)"
	}
	return u
}
