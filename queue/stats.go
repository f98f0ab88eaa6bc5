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

// Dist summarises durations: how many, the median, the 90th percentile and
// the longest. In JSON the durations are seconds, to the millisecond:
// {"n":12,"p50_s":312.5,"p90_s":901,"max_s":1204.25}.
type Dist struct {
	N   int
	P50 time.Duration
	P90 time.Duration
	Max time.Duration
}

type distJSON struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_s"`
	P90 float64 `json:"p90_s"`
	Max float64 `json:"max_s"`
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
	return json.Marshal(distJSON{N: d.N, P50: seconds(d.P50), P90: seconds(d.P90), Max: seconds(d.Max)})
}

// UnmarshalJSON reads the durations in seconds, or the nanoseconds of
// statistics stored before.
func (d *Dist) UnmarshalJSON(b []byte) error {
	var j distJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*d = Dist{N: j.N, P50: fromSeconds(j.P50), P90: fromSeconds(j.P90), Max: fromSeconds(j.Max)}
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
	return Dist{N: len(ds), P50: rank(50), P90: rank(90), Max: ds[len(ds)-1]}
}

// Figure is what happened to the tickets of a service or at a counter.
// Issued and Transfers count under the service a ticket was issued for;
// the others under the service and counter that ended it.
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
	// Wait is from issue to (last) call; Service from call to done.
	Wait    Dist `json:"wait"`
	Service Dist `json:"service"`
}

// DayStats are the statistics of one business day.
type DayStats struct {
	Day      string            `json:"day"`
	Total    Figure            `json:"total"`
	Services map[string]Figure `json:"services"`
	Counters map[string]Figure `json:"counters"`
}

type figureAcc struct {
	f             Figure
	wait, service []time.Duration
	ratingSum     int
}

// computeStats summarises the tickets of a day.
func computeStats(day string, tickets []*Ticket) *DayStats {
	total := &figureAcc{}
	svcs := map[string]*figureAcc{}
	ctrs := map[string]*figureAcc{}
	get := func(m map[string]*figureAcc, k string) *figureAcc {
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
	for _, tk := range tickets {
		origin := get(svcs, tk.OriginService())
		origin.f.Issued++
		total.f.Issued++
		if tk.Priority {
			origin.f.Priority++
			total.f.Priority++
		}
		if tk.Transfers > 0 {
			origin.f.Transfers += tk.Transfers
			total.f.Transfers += tk.Transfers
		}
		svc := get(svcs, tk.Service)
		ctr := get(ctrs, tk.Counter)
		accs := []*figureAcc{total, svc, ctr}
		for _, a := range accs {
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
			if d, ok := span(tk.Issued, tk.Called); ok {
				a.wait = append(a.wait, d)
			}
			if tk.Rating > 0 {
				a.f.Ratings++
				a.ratingSum += tk.Rating
			}
			if tk.State == Done {
				if d, ok := span(tk.Called, tk.Ended); ok {
					a.service = append(a.service, d)
				}
			}
		}
	}
	finish := func(a *figureAcc) Figure {
		a.f.Wait, a.f.Service = dist(a.wait), dist(a.service)
		if a.f.Ratings > 0 {
			a.f.RatingAvg = float64(a.ratingSum) / float64(a.f.Ratings)
		}
		return a.f
	}
	st := &DayStats{Day: day, Total: finish(total), Services: map[string]Figure{}, Counters: map[string]Figure{}}
	for k, a := range svcs {
		st.Services[k] = finish(a)
	}
	for k, a := range ctrs {
		st.Counters[k] = finish(a)
	}
	return st
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

// keepStats stores the statistics of a finished day; they outlive its
// tickets.
func (t *txn) keepStats(day string, tickets []*Ticket) {
	t.put(bucketStats, []byte(day), computeStats(day, tickets))
}

// Stats returns the statistics of a business day ("2026-11-23"; "" is
// today): live for today, stored for a finished day. A day with no record
// gives ErrUnknownDay.
func (e *Engine) Stats(ctx context.Context, day string) (*DayStats, error) {
	var res *DayStats
	err := e.do(ctx, true, func(t *txn) error {
		if day == "" || day == t.st.day {
			ts := make([]*Ticket, 0, len(t.st.tickets))
			for _, tk := range t.st.tickets {
				ts = append(ts, tk)
			}
			res = computeStats(t.st.day, ts)
			return nil
		}
		return e.view(func(tx *bolt.Tx) error {
			if v := tx.Bucket(bucketStats).Get([]byte(day)); v != nil {
				res = &DayStats{}
				return json.Unmarshal(v, res)
			}
			byID, ok, err := dayTickets(tx, day)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w %q", ErrUnknownDay, day)
			}
			ts := make([]*Ticket, 0, len(byID))
			for _, tk := range byID {
				ts = append(ts, tk)
			}
			res = computeStats(day, ts)
			return nil
		})
	})
	return res, err
}
