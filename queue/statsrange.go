package queue

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MaxRangeDays is the longest range of days StatsRange sums: a year, leap
// or not.
const MaxRangeDays = 366

// msList is durations in milliseconds, sorted: what a Dist summarises, as
// a finished day's record keeps it. In JSON it is a base64 string of
// varints: the first value, then each one's difference from the one before
// (sorted, small). About two bytes a duration: 1000 waits of up to a few
// hours fill some 3 KB.
type msList []int64

func toMS(ds []time.Duration) msList {
	l := make(msList, len(ds))
	for i, d := range ds {
		l[i] = int64(d.Round(time.Millisecond) / time.Millisecond)
	}
	slices.Sort(l)
	return l
}

// MarshalJSON writes the list as base64 of varints.
func (l msList) MarshalJSON() ([]byte, error) {
	var b []byte
	for i, v := range l {
		if i == 0 {
			b = binary.AppendVarint(b, v)
			continue
		}
		b = binary.AppendUvarint(b, uint64(v-l[i-1]))
	}
	return json.Marshal(base64.RawStdEncoding.EncodeToString(b))
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (l *msList) UnmarshalJSON(j []byte) error {
	var s string
	if err := json.Unmarshal(j, &s); err != nil {
		return err
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("queue: durations: %w", err)
	}
	*l = (*l)[:0]
	for len(b) > 0 {
		var v int64
		var n int
		if len(*l) == 0 {
			v, n = binary.Varint(b)
		} else {
			var d uint64
			d, n = binary.Uvarint(b)
			v = (*l)[len(*l)-1] + int64(d)
		}
		if n <= 0 {
			return fmt.Errorf("queue: durations: a bad varint after %d of them", len(*l))
		}
		*l = append(*l, v)
		b = b[n:]
	}
	return nil
}

// figureDurations are the durations of a Figure's three Dists.
type figureDurations struct {
	Wait        msList `json:"wait,omitempty"`
	Service     msList `json:"service,omitempty"`
	WaitExpired msList `json:"wait_expired,omitempty"`
}

// dayDurations are the durations behind a day's figures: those of the day,
// of each service and of each counter. Kept with the figures of a finished
// day, they let days combine: a month's median is not a mean of medians.
type dayDurations struct {
	Total    figureDurations            `json:"total"`
	Services map[string]figureDurations `json:"services,omitempty"`
	Counters map[string]figureDurations `json:"counters,omitempty"`
}

// durations are the day's durations, in milliseconds.
func (d *dayAcc) durations() *dayDurations {
	of := func(a *figureAcc) figureDurations {
		return figureDurations{Wait: toMS(a.wait), Service: toMS(a.service), WaitExpired: toMS(a.expired)}
	}
	dd := &dayDurations{Total: of(&d.total), Services: map[string]figureDurations{}, Counters: map[string]figureDurations{}}
	for k, a := range d.svcs {
		dd.Services[k] = of(a)
	}
	for k, a := range d.ctrs {
		dd.Counters[k] = of(a)
	}
	return dd
}

// dayRecord is a finished day's record in the stats bucket: its figures as
// DayStats and, under "durations", the durations behind them, which
// stats.get of one day does not show. A record kept before ranges has no
// durations (dur nil).
type dayRecord struct {
	st  *DayStats
	dur *dayDurations
	// kept is what the cherga that kept the record counted ("kept" in
	// the stored JSON): recordKept, or less of a record kept before.
	kept int
}

// recordKept is what a day's record counts, to tell one kept by an older
// version: 1, the priority tickets by category (a record without it and
// with priority tickets was kept before categories were counted).
const recordKept = 1

// older reports whether the record was kept by an older version, without
// the durations, hours or figures its day's events tell.
func (r dayRecord) older() bool {
	return r.dur == nil || r.st.Hours == nil || r.st.Total.Older || r.uncategorised()
}

// uncategorised reports whether the record was kept before the priority
// tickets were counted by category, and had some.
func (r dayRecord) uncategorised() bool { return r.kept < 1 && r.st.Total.Priority > 0 }

// MarshalJSON writes the figures, as the day's stats.get has them, with
// the durations, kept by this version (computeDay's).
func (r dayRecord) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(r.st)
	if err != nil {
		return nil, err
	}
	d, err := json.Marshal(r.dur)
	if err != nil {
		return nil, err
	}
	b = append(bytes.TrimSuffix(b, []byte("}")), `,"durations":`...)
	return fmt.Appendf(append(b, d...), `,"kept":%d}`, recordKept), nil
}

// readDayRecord reads a stored record; withDurations decodes the durations
// too (the figures of one day do not need them).
func readDayRecord(v []byte, withDurations bool) (dayRecord, error) {
	r := dayRecord{st: &DayStats{}}
	// One pass: the figures, what kept them, and the durations if asked.
	if !withDurations {
		j := struct {
			*DayStats
			Kept int `json:"kept"`
		}{DayStats: r.st}
		err := json.Unmarshal(v, &j)
		r.kept = j.Kept
		return r, err
	}
	j := struct {
		*DayStats
		Durations *dayDurations `json:"durations"`
		Kept      int           `json:"kept"`
	}{DayStats: r.st}
	err := json.Unmarshal(v, &j)
	r.dur, r.kept = j.Durations, j.Kept
	return r, err
}

// checkDayRecord says what is wrong with a stored record: durations that
// cannot be read, or not as many as the figures count (a range would get
// its percentiles wrong).
func checkDayRecord(v []byte) error {
	r, err := readDayRecord(v, true)
	if err != nil || r.dur == nil {
		return err
	}
	check := func(name string, f Figure, d figureDurations) error {
		for _, c := range []struct {
			dist string
			n    int
			ms   msList
		}{{"wait", f.Wait.N, d.Wait}, {"service", f.Service.N, d.Service}, {"wait_expired", f.WaitExpired.N, d.WaitExpired}} {
			if c.n != len(c.ms) {
				return fmt.Errorf("%s: %s counts %d, its durations are %d", name, c.dist, c.n, len(c.ms))
			}
		}
		return nil
	}
	errs := []error{check("total", r.st.Total, r.dur.Total)}
	for k, f := range r.st.Services {
		errs = append(errs, check("service "+k, f, r.dur.Services[k]))
	}
	for k, f := range r.st.Counters {
		errs = append(errs, check("counter "+k, f, r.dur.Counters[k]))
	}
	return errors.Join(errs...)
}

// RangeStats are the statistics of the business days From to To, both
// included: the figures of those days summed, the means weighed by their
// n, the ratings' mean by the ratings, and the percentiles those of every
// duration of the range (not a mean of the days' percentiles, which would
// be wrong). Days counts the days that issued a ticket, the days the
// office worked: a weekend whose kiosk refused presses adds its Refused,
// not a day. Today's figures are live.
type RangeStats struct {
	From string
	To   string
	// Seq is, of a range that holds today, the seq of the last event its
	// live figures count (DayStats.Seq); 0 otherwise.
	Seq      uint64
	Days     int
	Total    Figure
	Services map[string]Figure
	Counters map[string]Figure
	// Hours sum the days' hours: the tickets issued in each hour of the
	// day, and their mean wait weighed by WaitN.
	Hours []Hour
	// Alerts sum the days' air-raid alerts.
	Alerts Alerts
	// Inexact lists the days whose durations are gone: kept by a cherga
	// before ranges, and their events pruned since (office.stats_days).
	// Their waits count in each Dist's N, Mean and Max, not in its P50 and
	// P90, which are those of the other days' durations; nor in Hours.
	Inexact []string
}

// Exact says the percentiles are those of every duration of the range.
func (r *RangeStats) Exact() bool { return len(r.Inexact) == 0 }

// MarshalJSON writes the range's figures in the shape of a day's, with
// "exact" and, when false, "inexact_days".
func (r RangeStats) MarshalJSON() ([]byte, error) {
	figures, err := json.Marshal(DayStats{Total: r.Total, Services: r.Services, Counters: r.Counters, Hours: r.Hours, Alerts: r.Alerts})
	if err != nil {
		return nil, err
	}
	figures = figures[bytes.IndexByte(figures, ',')+1:] // without "day"
	head, _ := json.Marshal(struct {
		From    string   `json:"from"`
		To      string   `json:"to"`
		Seq     uint64   `json:"seq,omitempty"`
		Days    int      `json:"days"`
		Exact   bool     `json:"exact"`
		Inexact []string `json:"inexact_days,omitempty"`
	}{r.From, r.To, r.Seq, r.Days, r.Exact(), r.Inexact})
	return append(append(bytes.TrimSuffix(head, []byte("}")), ','), figures...), nil
}

// distSum sums the Dists of several days.
type distSum struct {
	n       int
	meanSum float64 // Σ mean·n, in seconds, of the days with a mean
	meanN   int
	max     time.Duration
	ms      []int64 // the durations of the days that kept them
}

func (s *distSum) add(d Dist, ms msList) {
	s.n += d.N
	if !d.NoMean {
		s.meanSum += d.Mean.Seconds() * float64(d.N)
		s.meanN += d.N
	}
	s.max = max(s.max, d.Max)
	s.ms = append(s.ms, ms...)
}

func (s *distSum) dist() Dist {
	d := Dist{N: s.n, Max: s.max, NoMean: s.meanN == 0 && s.n > 0, NoPercentiles: len(s.ms) == 0 && s.n > 0}
	if s.meanN > 0 {
		d.Mean = fromSeconds(s.meanSum / float64(s.meanN))
	}
	if len(s.ms) > 0 {
		slices.Sort(s.ms)
		d.P50 = time.Duration(s.ms[nearestRank(50, len(s.ms))]) * time.Millisecond
		d.P90 = time.Duration(s.ms[nearestRank(90, len(s.ms))]) * time.Millisecond
	}
	return d
}

// figureSum sums the Figures of several days.
type figureSum struct {
	f                         Figure
	ratingSum                 float64
	wait, service, waitExpire distSum
}

func (s *figureSum) add(f Figure, dur figureDurations) {
	c := &s.f
	c.Issued += f.Issued
	c.Priority += f.Priority
	c.TransfersIn += f.TransfersIn
	c.Visits += f.Visits
	c.Served += f.Served
	c.NoShows += f.NoShows
	c.Transfers += f.Transfers
	c.Voided += f.Voided
	c.Expired += f.Expired
	c.ExpiredAtCounter += f.ExpiredAtCounter
	c.Ratings += f.Ratings
	c.Older = c.Older || f.Older
	for k, cf := range f.Categories {
		c.category(k, cf.Issued, cf.Served)
	}
	for reason, n := range f.Refused {
		c.refused(reason, n)
	}
	s.ratingSum += f.RatingAvg * float64(f.Ratings)
	s.wait.add(f.Wait, dur.Wait)
	s.service.add(f.Service, dur.Service)
	s.waitExpire.add(f.WaitExpired, dur.WaitExpired)
}

func (s *figureSum) figure() Figure {
	f := s.f
	if f.Ratings > 0 {
		f.RatingAvg = s.ratingSum / float64(f.Ratings)
	}
	f.Wait, f.Service, f.WaitExpired = s.wait.dist(), s.service.dist(), s.waitExpire.dist()
	return f
}

// rangeAcc sums the days of a range.
type rangeAcc struct {
	days       int
	inexact    []string
	total      figureSum
	svcs, ctrs map[string]*figureSum
	hours      [24]struct {
		issued, waitN int
		waitSum       float64 // Σ mean·n, in seconds
	}
	alerts Alerts
}

func (r *rangeAcc) add(st *DayStats, dur *dayDurations) {
	if st.Total.Issued == 0 && len(st.Total.Refused) == 0 {
		return // no figures: an empty record an older store kept of a weekend
	}
	if st.Total.Issued > 0 {
		r.days++ // not a closed day whose kiosk refused presses
	}
	r.alerts.N += st.Alerts.N
	r.alerts.Duration += st.Alerts.Duration
	// A day that only refused presses has no hours.
	if t := st.Total; dur == nil && t.Wait.N+t.Service.N+t.WaitExpired.N > 0 || st.Hours == nil && t.Issued > 0 {
		r.inexact = append(r.inexact, st.Day)
	}
	if dur == nil {
		dur = &dayDurations{}
	}
	for _, h := range st.Hours {
		if h.Hour < 0 || h.Hour >= len(r.hours) {
			continue
		}
		a := &r.hours[h.Hour]
		a.issued += h.Issued
		a.waitN += h.WaitN
		a.waitSum += h.WaitMean.Seconds() * float64(h.WaitN)
	}
	r.total.add(st.Total, dur.Total)
	for _, m := range []struct {
		sums map[string]*figureSum
		figs map[string]Figure
		durs map[string]figureDurations
	}{{r.svcs, st.Services, dur.Services}, {r.ctrs, st.Counters, dur.Counters}} {
		for k, f := range m.figs {
			s := m.sums[k]
			if s == nil {
				s = &figureSum{}
				m.sums[k] = s
			}
			s.add(f, m.durs[k])
		}
	}
}

func (r *rangeAcc) stats(from, to string) *RangeStats {
	rs := &RangeStats{From: from, To: to, Days: r.days, Total: r.total.figure(), Inexact: r.inexact, Alerts: r.alerts,
		Services: map[string]Figure{}, Counters: map[string]Figure{}}
	for k, s := range r.svcs {
		rs.Services[k] = s.figure()
	}
	for k, s := range r.ctrs {
		rs.Counters[k] = s.figure()
	}
	for i, h := range r.hours {
		if h.issued > 0 {
			hr := Hour{Hour: i, Issued: h.issued, WaitN: h.waitN}
			if h.waitN > 0 {
				hr.WaitMean = fromSeconds(h.waitSum / float64(h.waitN))
			}
			rs.Hours = append(rs.Hours, hr)
		}
	}
	return rs
}

// checkRange refuses a range StatsRange cannot sum.
func checkRange(from, to string) error {
	a, err := time.Parse(dayLayout, from)
	if err != nil {
		return &RangeError{Field: "from", Why: fmt.Sprintf("want a day such as 2026-11-01, got %q", from)}
	}
	b, err := time.Parse(dayLayout, to)
	if err != nil {
		return &RangeError{Field: "to", Why: fmt.Sprintf("want a day such as 2026-11-30, got %q", to)}
	}
	if b.Before(a) {
		return &RangeError{Field: "to", Why: fmt.Sprintf("%s is before from %s", to, from)}
	}
	if n := int(b.Sub(a).Hours()/24) + 1; n > MaxRangeDays {
		return &RangeError{Field: "to", Why: fmt.Sprintf("%s to %s is %d days, more than %d: ask a year at most at a time", from, to, n, MaxRangeDays)}
	}
	return nil
}

// StatsRange returns the statistics of the business days from to to, both
// included ("2026-11-01", "2026-11-30"): today's live, the finished days'
// as kept (beyond office.stats_days too). A range that is not one, or
// longer than MaxRangeDays, gives a *RangeError (ErrBadRange).
func (e *Engine) StatsRange(ctx context.Context, from, to string) (*RangeStats, error) {
	if err := checkRange(from, to); err != nil {
		return nil, err
	}
	acc := &rangeAcc{svcs: map[string]*figureSum{}, ctrs: map[string]*figureSum{}}
	today := ""
	var live *DayStats
	var liveDur *dayDurations
	var seq uint64
	if ctx.Err() != nil {
		return nil, stale(ctx) // as a request that ended before it ran
	}
	// Today's, from its events: in a read transaction beside the engine
	// (Stats), which sees the business day, its events and their seq as
	// one commit left them.
	err := e.view(func(tx *bolt.Tx) (err error) {
		meta := tx.Bucket(bucketMeta)
		today = string(meta.Get(keyDay))
		if today == "" || today < from || today > to {
			return nil
		}
		seq = beU64(meta.Get(keyEventSeq))
		live, liveDur, _, err = computeDay(tx, today, e.loc, e.opts.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	// The finished days are read outside the engine's goroutine, one
	// short read each (a long one would hold up bbolt growing the file):
	// only the days before the today it saw, which a new day meanwhile
	// does not change.
	var kept []string
	err = e.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketStats).Cursor()
		for k, _ := c.Seek([]byte(from)); k != nil && string(k) <= to && (today == "" || string(k) < today); k, _ = c.Next() {
			kept = append(kept, string(k))
		}
		return nil
	})
	for _, day := range kept {
		if err != nil {
			break
		}
		err = e.view(func(tx *bolt.Tx) error {
			v := tx.Bucket(bucketStats).Get([]byte(day))
			if v == nil {
				return nil // an empty day's, pruned meanwhile
			}
			r, err := readDayRecord(v, true)
			if err != nil {
				return fmt.Errorf("queue: the figures of %s: %w", day, err)
			}
			if r.older() {
				// Kept before the durations, the hours or the
				// categories were: while its events are kept, they
				// tell them.
				st, dur, ok, err := computeDay(tx, day, e.loc, e.opts.Now())
				if err != nil {
					return err
				}
				if ok {
					r = dayRecord{st: st, dur: dur, kept: recordKept}
				}
			}
			acc.add(r.st, r.dur)
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	if live != nil {
		acc.add(live, liveDur)
	}
	rs := acc.stats(from, to)
	rs.Seq = seq
	return rs, nil
}
