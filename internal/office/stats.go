package office

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cherga/cherga/queue"
)

// adminStats is stats.get: the figures of a day (day, default today), or of
// a range of days (from and to, or month), with the services' names.
func adminStats(o *Office, ctx context.Context, args json.RawMessage) (any, error) {
	var given struct {
		Day   string  `json:"day"`
		From  *string `json:"from"`
		To    *string `json:"to"`
		Month *string `json:"month"`
	}
	if err := decodeArgs(args, &given); err != nil {
		return nil, err
	}
	if err := checkDay(given.Day); err != nil {
		return nil, err
	}
	// A range given empty (a script's month=$M with M unset) is a mistake
	// to say, not today's figures.
	a := struct{ Day, From, To, Month string }{Day: given.Day}
	for _, f := range []struct {
		name string
		v    *string
		to   *string
	}{{"month", given.Month, &a.Month}, {"from", given.From, &a.From}, {"to", given.To, &a.To}} {
		if f.v != nil && *f.v == "" {
			return nil, badArg(f.name, "is empty: give a month such as 2026-11, or days such as 2026-11-01")
		}
		if f.v != nil {
			*f.to = *f.v
		}
	}
	ranged := a.From != "" || a.To != ""
	switch {
	case a.Month != "" && (a.Day != "" || ranged):
		return nil, badArg("month", "give a month, or a day, or from and to: one of them")
	case a.Day != "" && ranged:
		return nil, badArg("day", "give a day, or from and to (a range): not both")
	case ranged && a.From == "":
		return nil, badArg("from", "a range needs both from and to (2026-11-01, 2026-11-30)")
	case ranged && a.To == "":
		return nil, badArg("to", "a range needs both from and to (2026-11-01, 2026-11-30)")
	case a.Month != "":
		m, err := time.Parse("2006-01", a.Month)
		if err != nil {
			return nil, badArg("month", "want a month such as 2026-11, got %q", a.Month)
		}
		a.From, a.To = m.Format("2006-01-02"), m.AddDate(0, 1, -1).Format("2006-01-02")
		ranged = true
	}
	if ranged {
		rs, err := o.eng.StatsRange(ctx, a.From, a.To)
		var re *queue.RangeError
		if errors.As(err, &re) {
			return nil, badArg(re.Field, "%s", err.Error())
		}
		if err != nil {
			return nil, err
		}
		return o.named(ctx, rs, slices.Collect(maps.Keys(rs.Services))), nil
	}
	st, err := o.eng.Stats(ctx, a.Day)
	if errors.Is(err, queue.ErrUnknownDay) {
		return nil, &AdminError{Code: CodeNotFound, Field: "day", Message: err.Error()}
	}
	if err != nil {
		return nil, err
	}
	return o.named(ctx, st, slices.Collect(maps.Keys(st.Services))), nil
}

// namedStats are the figures of stats.get (a *queue.DayStats or a
// *queue.RangeStats) with "names": each service's name, as the
// configuration running has it, in its order, then those of the services
// the figures have that it has not (renamed or taken away since), as the
// last configuration that had them named them.
type namedStats struct {
	figures any
	names   [][2]string // id, name
}

func (o *Office) named(ctx context.Context, figures any, ids []string) namedStats {
	n := namedStats{figures: figures}
	known := map[string]bool{}
	for _, s := range o.conf().Services {
		n.names = append(n.names, [2]string{s.ID, s.Name})
		known[s.ID] = true
	}
	missing := map[string]bool{}
	for _, id := range ids {
		if !known[id] {
			missing[id] = true
		}
	}
	if len(missing) == 0 {
		return n
	}
	vs, err := o.eng.ConfigVersions(ctx)
	if err != nil {
		o.log.Warn("office: stats.get names no service the configuration has not: its history cannot be read", "err", err)
		return n
	}
	var former [][2]string
	for i := len(vs) - 1; i >= 0 && len(missing) > 0; i-- {
		var c struct{ Services []struct{ ID, Name string } }
		if json.Unmarshal(vs[i].Config, &c) != nil {
			continue
		}
		for _, s := range c.Services {
			if missing[s.ID] {
				former = append(former, [2]string{s.ID, s.Name})
				delete(missing, s.ID)
			}
		}
	}
	slices.SortFunc(former, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	n.names = append(n.names, former...)
	return n
}

// MarshalJSON writes the figures as they are, then "names".
func (n namedStats) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(n.figures)
	if err != nil {
		return nil, err
	}
	b = append(bytes.TrimSuffix(b, []byte("}")), `,"names":{`...)
	for i, s := range n.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, "%s:%s", quote(s[0]), quote(s[1]))
	}
	return append(b, "}}"...), nil
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
