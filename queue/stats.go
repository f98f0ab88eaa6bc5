package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
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
}

type distJSON struct {
	N    int      `json:"n"`
	Mean *float64 `json:"mean_s"`
	P50  float64  `json:"p50_s"`
	P90  float64  `json:"p90_s"`
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
	j := distJSON{N: d.N, P50: seconds(d.P50), P90: seconds(d.P90), Max: seconds(d.Max)}
	if !d.NoMean {
		m := seconds(d.Mean)
		j.Mean = &m
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
	*d = Dist{N: j.N, P50: fromSeconds(j.P50), P90: fromSeconds(j.P90), Max: fromSeconds(j.Max)}
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
	rank := func(p int) time.Duration { // nearest rank
		i := (p*len(ds)+99)/100 - 1
		return ds[max(i, 0)]
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Dist{N: len(ds), Mean: sum / time.Duration(len(ds)), P50: rank(50), P90: rank(90), Max: ds[len(ds)-1]}
}

// Figure is what happened to the tickets of a service or at a counter.
// Issued and Priority count under the service a ticket was issued for.
// Transfers count the tickets a service or counter sent on, one per
// transfer. Served and NoShows count at a counter each visit that ended so,
// and for a service or the day how its tickets ended, with Voided and
// Expired: a ticket sent back after a no-show and then served is a no-show
// at the counter and served for its service.
type Figure struct {
	Issued    int `json:"issued"`
	Priority  int `json:"priority"`
	Served    int `json:"served"`
	NoShows   int `json:"noshows"`
	Transfers int `json:"transfers"`
	Voided    int `json:"voided"`
	Expired   int `json:"expired"`
	// Ratings is how many citizens rated, RatingAvg their mean score.
	Ratings   int     `json:"ratings"`
	RatingAvg float64 `json:"rating_avg"`
	// Wait is each wait in a service's queue, from joining it (issued or
	// transferred) to the first call there, under that service and the
	// counter that called; Service is each served visit, from its call to
	// done. WaitExpired is each wait that ended uncalled, when the service
	// closed or the day ended: how long those sent home had waited.
	Wait        Dist `json:"wait"`
	Service     Dist `json:"service"`
	WaitExpired Dist `json:"wait_expired"`
}

// DayStats are the statistics of one business day.
type DayStats struct {
	Day      string            `json:"day"`
	Total    Figure            `json:"total"`
	Services map[string]Figure `json:"services"`
	Counters map[string]Figure `json:"counters"`
}

type figureAcc struct {
	f                      Figure
	wait, service, expired []time.Duration
	ratingSum              int
}

// dayAcc sums up a day: its tickets as they ended (ticket), and its events
// visit by visit (event), which tell what a ticket's last state does not:
// every counter it was at and every queue it waited in.
type dayAcc struct {
	total      figureAcc
	svcs, ctrs map[string]*figureAcc
	queued     map[uint64]time.Time // ticket → when it joined its service's queue, until called there
	called     map[uint64]time.Time // ticket → when its visit at a counter began
	shelter    sheltered            // when the office was paused
}

func newDayAcc() *dayAcc {
	return &dayAcc{svcs: map[string]*figureAcc{}, ctrs: map[string]*figureAcc{},
		queued: map[uint64]time.Time{}, called: map[uint64]time.Time{}}
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
	}
	for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service)} {
		switch tk.State {
		case Done:
			a.f.Served++
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
// and at the counter the visit served, the no-show or the transfer.
func (d *dayAcc) event(ev *eventRecord) {
	tk := ev.Ticket
	switch ev.Type {
	case EvIssued:
		d.queued[tk.ID] = ev.At
	case EvCalled:
		d.called[tk.ID] = ev.At
		since, ok := d.queued[tk.ID]
		if !ok {
			return // called again after a no-show: its wait was counted
		}
		delete(d.queued, tk.ID)
		if w, ok := span(since, ev.At); ok {
			for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), d.get(d.ctrs, ev.Counter)} {
				a.wait = append(a.wait, w)
			}
		}
	case EvDone:
		ctr := d.get(d.ctrs, ev.Counter)
		ctr.f.Served++
		if s, ok := span(d.called[tk.ID], ev.At); ok {
			// Without the time in the shelter (an air-raid alert).
			s -= d.shelter.during(d.called[tk.ID], ev.At)
			for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service), ctr} {
				a.service = append(a.service, s)
			}
		}
	case EvOfficePaused:
		d.shelter.pause(ev.At)
	case EvOfficeResumed:
		d.shelter.resume(ev.At)
	case EvNoShow:
		d.get(d.ctrs, ev.Counter).f.NoShows++
	case EvExpired:
		since, ok := d.queued[tk.ID]
		if !ok {
			return // at a counter when the day ended: it was called
		}
		delete(d.queued, tk.ID)
		// Until the ticket ended (the closing), not until the event (the
		// office recorded it on its return after a power cut).
		if w, ok := span(since, tk.Ended); ok {
			for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.Service)} {
				a.expired = append(a.expired, w)
			}
		}
	case EvTransferred:
		d.queued[tk.ID] = ev.At
		for _, a := range []*figureAcc{&d.total, d.get(d.svcs, tk.From), d.get(d.ctrs, ev.Counter)} {
			a.f.Transfers++
		}
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
	return st
}

// computeStats summarises a business day from the store: its tickets as
// they ended and its events visit by visit.
func computeStats(tx *bolt.Tx, day string) (*DayStats, bool, error) {
	d := newDayAcc()
	ts, ok, err := dayEvents(tx, day, d.event)
	if err != nil || !ok {
		return nil, ok, err
	}
	for _, tk := range ts {
		d.ticket(tk)
	}
	return d.stats(day), true, nil
}

// span is the duration from a to b for the statistics, when both were
// read from a clock that was set and it is a day's length at most: a Pi
// that booted at 1970 and was set by NTP meanwhile must not add decades.
func span(a, b time.Time) (time.Duration, bool) {
	if a.IsZero() || b.IsZero() || !clockValid(a) || !clockValid(b) {
		return 0, false
	}
	d := b.Sub(a)
	return d, d >= 0 && d <= 24*time.Hour
}

// keepStats stores the statistics of a finished day, from the store as
// this transaction leaves it; they outlive its tickets.
func (t *txn) keepStats(day string) {
	st, _, err := computeStats(t.tx, day)
	if err != nil {
		t.fail(err)
		return
	}
	if st == nil {
		st = &DayStats{Day: day, Services: map[string]Figure{}, Counters: map[string]Figure{}}
	}
	t.put(bucketStats, []byte(day), st)
}

// Stats returns the statistics of a business day ("2026-11-23"; "" is
// today): live for today, stored for a finished day. A day with no record
// gives ErrUnknownDay.
func (e *Engine) Stats(ctx context.Context, day string) (*DayStats, error) {
	var res *DayStats
	err := e.do(ctx, true, func(t *txn) error {
		if day == "" {
			day = t.st.day
		}
		return e.view(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucketStats).Get([]byte(day)); v != nil {
				res = &DayStats{}
				return json.Unmarshal(v, res)
			}
			st, ok, err := computeStats(tx, day)
			switch {
			case err == nil && !ok && day == t.st.day:
				st = newDayAcc().stats(day) // no business day yet: the clock is not set
			case err == nil && !ok:
				err = fmt.Errorf("%w %q", ErrUnknownDay, day)
			}
			res = st
			return err
		})
	})
	return res, err
}
