package queue_test

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// The simulation drives an engine and a reference model, written as plainly
// as possible (lists scanned from end to end), with the same random presses,
// calls, recalls, arrivals (serve), no-shows, transfers, pauses, voids, clock jumps, day
// changes and restarts, and after every step requires the same tickets in
// the same states and the engine's invariants.

type mTicket struct {
	id                uint64
	label, service    string
	number            int
	priority          bool
	transfers         int
	issued            time.Time
	state             queue.State
	counter, held     string
	notBefore         time.Time
	returned          bool
	recalls           int
	origin            string
	originOfNumbering string
}

type model struct {
	cfg     *config.Config
	loc     *time.Location
	day     string
	tickets []*mTicket // today's, in id order
	numbers map[string]int
	issued  map[string]int
	voided  map[string]int // of issued: a voided ticket is not under the daily cap
	current map[string]*mTicket
	paused  map[string]bool
}

func newModel(cfg *config.Config) *model {
	return &model{cfg: cfg, loc: cfg.Location(), numbers: map[string]int{}, issued: map[string]int{}, voided: map[string]int{}, current: map[string]*mTicket{}, paused: map[string]bool{}}
}

func (m *model) rollover(now time.Time) {
	if now.Before(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return
	}
	day := now.In(m.loc).Format("2006-01-02")
	if day <= m.day {
		return
	}
	m.day = day
	m.tickets = nil
	m.numbers = map[string]int{}
	m.issued, m.voided = map[string]int{}, map[string]int{}
	m.current = map[string]*mTicket{}
}

// hours are the opening minutes of a service on any day of the simulation.
func (m *model) hours(svc *config.Service) (from, to int) {
	return m.cfg.HoursOf(svc, "mon")
}

func (m *model) open(svc *config.Service, now time.Time) bool {
	from, to := m.hours(svc)
	l := now.In(m.loc)
	min := l.Hour()*60 + l.Minute()
	return min >= from && min < to
}

// closeServices expires what waits for a service that has closed (on the
// business day's date).
func (m *model) closeServices(now time.Time) {
	if m.day == "" {
		return
	}
	d, _ := time.ParseInLocation("2006-01-02", m.day, m.loc)
	for i := range m.cfg.Services {
		svc := &m.cfg.Services[i]
		_, to := m.hours(svc)
		at := time.Date(d.Year(), d.Month(), d.Day(), to/60, to%60, 0, 0, m.loc)
		if to >= 24*60 || now.Before(at) {
			continue
		}
		for _, tk := range m.tickets {
			if tk.service == svc.ID && tk.state == queue.Waiting {
				tk.state, tk.held = queue.Expired, ""
			}
		}
	}
}

// closedBy reports whether service stops calling its tickets by at: it
// closes first, or the business day ends.
func (m *model) closedBy(service string, at time.Time) bool {
	d, _ := time.ParseInLocation("2006-01-02", m.day, m.loc)
	_, to := m.hours(m.cfg.Service(service))
	closing := time.Date(d.Year(), d.Month(), d.Day(), to/60, to%60, 0, 0, m.loc)
	return to < 24*60 && !closing.After(at) || at.In(m.loc).Format("2006-01-02") > m.day
}

func (m *model) live(tk *mTicket) bool {
	return tk.state == queue.Waiting || tk.state == queue.Called || tk.state == queue.Serving
}

func (m *model) issue(svc *config.Service) (label string, err error) {
	if svc.DailyCap > 0 && m.issued[svc.ID]-m.voided[svc.ID] >= svc.DailyCap {
		return "", queue.ErrDailyCap
	}
	top := 1
	for range svc.Width {
		top *= 10
	}
	top--
	n := m.numbers[svc.ID] + 1
	if m.issued[svc.ID] >= top {
		n = 0
		for k := 1; k <= top; k++ {
			c := (m.numbers[svc.ID]+k-1)%top + 1
			used := false
			for _, tk := range m.tickets {
				if tk.originOfNumbering == svc.ID && tk.number == c && m.live(tk) {
					used = true
				}
			}
			if !used {
				n = c
				break
			}
		}
		if n == 0 {
			return "", queue.ErrDailyCap
		}
	}
	m.numbers[svc.ID] = n
	m.issued[svc.ID]++
	return queue.FormatLabel(svc.Prefix, n, svc.Width), nil
}

func rank(t *mTicket) int {
	switch {
	case t.priority:
		return 0
	case t.transfers > 0:
		return 1
	}
	return 2
}

func mBefore(a, b *mTicket) bool {
	if rank(a) != rank(b) {
		return rank(a) < rank(b)
	}
	return a.id < b.id
}

func (m *model) pick(c *config.Counter, now time.Time) *mTicket {
	var best *mTicket
	for _, tk := range m.tickets {
		if tk.state == queue.Waiting && tk.held == c.ID && !tk.notBefore.After(now) && (best == nil || mBefore(tk, best)) {
			best = tk
		}
	}
	if best != nil {
		return best
	}
	// The head of each service's queue: its first ticket in call order
	// that may be called now.
	heads := map[string]*mTicket{}
	for _, tk := range m.tickets {
		if tk.state != queue.Waiting || tk.held != "" || !slicesContains(c.Services, tk.service) || tk.notBefore.After(now) {
			continue
		}
		if h := heads[tk.service]; h == nil || mBefore(tk, h) {
			heads[tk.service] = tk
		}
	}
	bestScore := 0.0
	for _, tk := range m.tickets {
		if heads[tk.service] != tk {
			continue
		}
		score := 0.0
		if rank(tk) == 2 {
			// The queue's longest wait by the clock: its head's, or an
			// older issue time among those after it (the clock stepped back).
			since := tk.issued
			for _, x := range m.tickets {
				if x.state == queue.Waiting && x.held == "" && x.service == tk.service && rank(x) == 2 && !x.notBefore.After(now) && x.issued.Before(since) {
					since = x.issued
				}
			}
			score = max(now.Sub(since).Seconds(), 0) * c.Weight(tk.service)
		}
		switch {
		case best == nil, rank(tk) < rank(best):
		case rank(tk) > rank(best):
			continue
		case rank(tk) < 2 && mBefore(tk, best):
		case rank(tk) == 2 && (score > bestScore || score == bestScore && mBefore(tk, best)):
		default:
			continue
		}
		best, bestScore = tk, score
	}
	return best
}

func slicesContains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func (m *model) next(c *config.Counter, want *mTicket, now time.Time) error {
	if m.paused[c.ID] {
		return queue.ErrCounterPaused
	}
	if cur := m.current[c.ID]; cur != nil {
		cur.state = queue.Done
		delete(m.current, c.ID)
	}
	pick := want
	if pick == nil {
		pick = m.pick(c, now)
	}
	if pick == nil {
		return nil
	}
	pick.state, pick.counter, pick.held, pick.notBefore = queue.Called, c.ID, "", time.Time{}
	m.current[c.ID] = pick
	return nil
}

// errKind names an error for comparing the engine with the model.
func errKind(err error) string {
	var te *queue.TransitionError
	var tp *queue.ToCounterPausedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te):
		return "transition"
	case errors.As(err, &tp):
		return "to counter paused"
	}
	for _, s := range []error{queue.ErrClosed, queue.ErrDailyCap, queue.ErrCounterPaused, queue.ErrNoTicket, queue.ErrRecallLimit, queue.ErrNotServed, queue.ErrUnknownTicket} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return "other: " + err.Error()
}

func TestSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("the randomized simulation is skipped under -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHERGA_SIM_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with CHERGA_SIM_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	steps := 2000

	cfg := queuetest.Office(t,
		withOffice("noshow_grace_min: 3\n  recall_limit: 2"),
		func(s string) string {
			// Social closes mid-morning, the others late in the evening.
			s = strings.ReplaceAll(s, "00:00-24:00", "07:30-23:00")
			s = strings.Replace(s, `avg_service_min: 10}`, `avg_service_min: 10, hours: {mon: "08:00-11:30", tue: "08:00-11:30", wed: "08:00-11:30", thu: "08:00-11:30", fri: "08:00-11:30", sat: "08:00-11:30", sun: "08:00-11:30"}}`, 1)
			s = strings.Replace(s, `prefix: "П", width: 3`, `prefix: "П", width: 1`, 1)
			s = strings.Replace(s, `avg_service_min: 20}`, `avg_service_min: 20, daily_cap: 25}`, 1)
			return strings.Replace(s, `{id: "2", services: [social, pension]}`, `{id: "2", services: [social, pension], weights: {pension: 2.5}}`, 1)
		})
	o := newOffice(t, cfg, time.Date(2026, 11, 23, 8, 0, 0, 0, kyiv))
	m := newModel(cfg)
	var ended []string // the days the simulation finished
	// steppedBack are the days whose clock NTP set back: a wait can end
	// before it began by the clock, and is not counted (requireBalanced).
	steppedBack := map[string]bool{}
	defer func() {
		for _, day := range ended { // and those of the days it finished
			st, err := o.e.Stats(o.ctx, day)
			if errors.Is(err, queue.ErrUnknownDay) {
				continue // it issued no ticket
			}
			require.NoError(t, err, day)
			requireBalanced(t, st, nil, !steppedBack[day])
		}
	}()
	services := []string{"social", "social", "social", "pension", "pension", "employment"}
	counters := []string{"1", "2", "3", "4"}
	byID := map[uint64]*mTicket{}
	tally := map[string]int{}
	defer func() { t.Logf("ops: %v; day %s", tally, m.day) }()

	for step := range steps {
		now := o.clk.Now()
		switch r := rng.IntN(1000); {
		case r < 3: // the next morning
			l := now.In(kyiv)
			o.clk.Set(time.Date(l.Year(), l.Month(), l.Day()+1, 8, rng.IntN(120), 0, 0, kyiv))
		case r < 6: // NTP corrects a clock that ran ahead
			o.clk.Add(-time.Duration(rng.IntN(120)) * time.Minute)
			steppedBack[m.day] = true
		default:
			o.clk.Add(time.Duration(rng.IntN(90)) * time.Second)
		}
		now = o.clk.Now()
		if m.day != "" && now.In(kyiv).Format("2006-01-02") > m.day {
			ended = append(ended, m.day)
		}
		m.rollover(now)
		m.closeServices(now)

		var op string
		var got, want error
		c := cfg.Counter(counters[rng.IntN(len(counters))])
		switch r := rng.IntN(100); {
		case r < 35:
			svc := cfg.Service(services[rng.IntN(len(services))])
			prio := rng.IntN(10) == 0
			op = fmt.Sprintf("issue %s prio=%v", svc.ID, prio)
			var label string
			var merr error
			if m.open(svc, now) {
				label, merr = m.issue(svc)
			} else {
				merr = queue.ErrClosed
			}
			iss, err := o.e.Issue(o.ctx, queue.IssueRequest{Service: svc.ID, Priority: prio})
			got, want = err, merr
			if err == nil && merr == nil {
				require.Equal(t, label, iss.Ticket.Label, "step %d: %s", step, op)
				tk := &mTicket{id: iss.Ticket.ID, label: label, service: svc.ID, number: iss.Ticket.Number, priority: prio,
					issued: now, state: queue.Waiting, originOfNumbering: svc.ID}
				m.tickets = append(m.tickets, tk)
				byID[tk.id] = tk
			}
		case r < 60:
			op = "next " + c.ID
			want = m.next(c, nil, now)
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.Next})
		case r < 68:
			op = "done " + c.ID
			if cur := m.current[c.ID]; cur == nil {
				want = queue.ErrNoTicket
			} else {
				cur.state = queue.Done
				delete(m.current, c.ID)
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.Finish})
		case r < 71:
			op = "recall " + c.ID
			if cur := m.current[c.ID]; cur == nil {
				want = queue.ErrNoTicket
			} else if cur.state == queue.Serving {
				want = &queue.TransitionError{}
			} else if cur.recalls >= cfg.Office.RecallLimit {
				want = queue.ErrRecallLimit
			} else {
				cur.recalls++
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.Recall})
		case r < 74:
			op = "serve " + c.ID
			if cur := m.current[c.ID]; cur == nil {
				want = queue.ErrNoTicket
			} else {
				cur.state = queue.Serving // again: nothing changes
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.Serve})
		case r < 81:
			op = "noshow " + c.ID
			if cur := m.current[c.ID]; cur == nil {
				want = queue.ErrNoTicket
			} else if cur.state == queue.Serving {
				want = &queue.TransitionError{} // the citizen came
			} else if !cur.returned && !m.closedBy(cur.service, now.Add(3*time.Minute)) {
				cur.state, cur.returned, cur.held, cur.counter, cur.recalls = queue.Waiting, true, c.ID, "", 0
				if m.paused[c.ID] {
					cur.held = "" // a closed counter holds nobody
				}
				cur.notBefore = now.Add(3 * time.Minute)
				delete(m.current, c.ID)
			} else {
				cur.state = queue.NoShow
				delete(m.current, c.ID)
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.NoShowed})
		case r < 87:
			to := services[rng.IntN(len(services))]
			toCounter := ""
			if rng.IntN(3) == 0 {
				toCounter = counters[rng.IntN(len(counters))]
			}
			op = fmt.Sprintf("transfer %s → %s @%s", c.ID, to, toCounter)
			cur := m.current[c.ID]
			switch {
			case cur == nil:
				want = queue.ErrNoTicket
			case to == cur.service && (toCounter == "" || toCounter == c.ID):
				want = &queue.TransitionError{} // back where it was
			case (toCounter == "" || toCounter == c.ID) && slicesContains(c.Services, to):
				want = &queue.TransitionError{} // this counter would call it back
			case !m.open(cfg.Service(to), now):
				want = queue.ErrClosed // it would expire at once
			case toCounter != "" && !slicesContains(cfg.Counter(toCounter).Services, to):
				want = queue.ErrNotServed
			case toCounter != "" && m.paused[toCounter]:
				want = &queue.ToCounterPausedError{}
			default:
				if cur.origin == "" {
					cur.origin = cur.service
				}
				cur.state, cur.service, cur.counter, cur.held, cur.notBefore = queue.Waiting, to, "", toCounter, time.Time{}
				cur.transfers++
				cur.recalls = 0
				delete(m.current, c.ID)
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: queue.Transfer, To: to, ToCounter: toCounter})
		case r < 89:
			a := queue.Pause
			if m.paused[c.ID] {
				a = queue.Resume
			}
			op = string(a) + " " + c.ID
			m.paused[c.ID] = a == queue.Pause
			if a == queue.Pause {
				// Those held for a closed counter join their queue.
				for _, tk := range m.tickets {
					if tk.state == queue.Waiting && tk.held == c.ID {
						tk.held = "" // keeps its grace
					}
				}
			}
			_, got = o.e.Counter(o.ctx, c.ID, queue.Command{Action: a})
		case r < 95:
			if len(m.tickets) == 0 {
				continue
			}
			tk := m.tickets[rng.IntN(len(m.tickets))]
			op = "void " + tk.label
			if tk.state != queue.Waiting {
				want = &queue.TransitionError{}
			} else {
				tk.state, tk.held = queue.Voided, ""
				m.voided[cmp.Or(tk.origin, tk.service)]++
			}
			got = o.e.Void(o.ctx, tk.id, "sim")
		default:
			if len(m.tickets) == 0 {
				continue
			}
			label := m.tickets[rng.IntN(len(m.tickets))].label
			op = "call " + label + " to " + c.ID
			var tk *mTicket
			for _, x := range m.tickets {
				if x.label == label && (tk == nil || (x.state == queue.Waiting) != (tk.state == queue.Waiting) && x.state == queue.Waiting ||
					(x.state == queue.Waiting) == (tk.state == queue.Waiting) && x.id > tk.id) {
					tk = x
				}
			}
			switch {
			case tk.state != queue.Waiting:
				want = &queue.TransitionError{}
			case !slicesContains(c.Services, tk.service) && tk.held != c.ID:
				want = queue.ErrNotServed
			default:
				want = m.next(c, tk, now)
			}
			_, got = o.e.CallTicket(o.ctx, c.ID, label)
		}
		require.Equal(t, errKind(want), errKind(got), "step %d: %s", step, op)
		tally[strings.Fields(op)[0]+" "+errKind(got)]++

		// Same tickets in the same states.
		ts := o.tickets()
		require.Len(t, ts, len(m.tickets), "step %d: %s", step, op)
		sort.Slice(m.tickets, func(i, j int) bool { return m.tickets[i].id < m.tickets[j].id })
		for i, tk := range ts {
			mt := m.tickets[i]
			require.Equal(t,
				fmt.Sprint(mt.id, mt.label, mt.service, mt.state, mt.counter, mt.held, mt.recalls, mt.transfers),
				fmt.Sprint(tk.ID, tk.Label, tk.Service, tk.State, tk.Counter, tk.ForCounter, tk.Recalls, tk.Transfers),
				"step %d: %s", step, op)
		}
		require.NoError(t, o.e.Check(o.ctx), "step %d: %s", step, op)

		if step%20 == 0 { // a publisher takes what is pending
			evs, err := o.e.Pending(0, 1<<20)
			require.NoError(t, err)
			if len(evs) > 0 {
				o.e.Ack(evs[len(evs)-1].Seq)
			}
			o.e.TakeRetained()
		}
		if step%50 == 0 || step == steps-1 { // the day's figures add up
			st, err := o.e.Stats(o.ctx, "")
			require.NoError(t, err, "step %d", step)
			requireBalanced(t, st, o.openTickets(), !steppedBack[st.Day])
		}
		if rng.IntN(150) == 0 { // a restart
			require.NoError(t, o.e.Close())
			require.NoError(t, queue.Verify(o.path, cfg), "step %d", step)
			o.e = queuetest.OpenPath(t, o.path, cfg, o.opts())
		}
	}
}
