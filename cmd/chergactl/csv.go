package main

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The CSV of stats.get (-csv): a table a spreadsheet opens, one row per
// day and per the day's total, each service and each counter, and for a
// range also the range's own rows (its day column "from..to"), whose
// percentiles are those of every duration of the range. Every service of
// the configuration (in its order) and every counter (in number order) has
// a row every day, zeros when it had nothing, so that the rows line up day
// by day. So has every hour of the day (the office's time) that issued a
// ticket in any of the days: kind "hour", with issued, wait_n (the tickets
// called) and wait_mean_s (their mean wait for the first call); and every
// priority category (office.priority_categories): kind "category", with the
// day's issued and served of that category. A figure the controller does
// not know (a day kept by an older version, its events gone) is an empty
// cell; so is a mean, percentile or longest of nothing (rating_avg with no
// ratings, wait_mean_s of an hour none of whose tickets was called): a
// spreadsheet's average passes over it, where a 0 would read as a wait of
// none.

// csvFigures are the columns of a figure, as stats.get names them; the
// Dists' columns follow, each as csvDists × csvDistFields.
var (
	csvFigures = []string{"issued", "priority", "transfers_in", "visits", "served", "noshows", "transfers",
		"voided", "expired", "expired_at_counter", "ratings", "rating_avg"}
	csvDists      = []string{"wait", "service", "wait_expired"}
	csvDistFields = []string{"n", "mean_s", "p50_s", "p90_s", "max_s"}
	// csvRefused are the reasons of refused presses (queue.RefusalReasons,
	// which TestCSVRefusedReasonsAreTheQueues holds them to), with a column
	// each, after "refused", their sum: the citizens a kiosk turned away.
	// A counter's are empty: kiosks refuse presses.
	csvRefused = []string{"daily_cap", "full", "closed", "paused", "printer"}
)

// csvLead is how many columns come before the figures: site, day, kind,
// id, name.
const csvLead = 5

// csvHeader is the header row.
var csvHeader = func() []string {
	// The site first: offices' tables put together stay apart.
	head := []string{"site", "day", "kind", "id", "name"}
	head = append(head, csvFigures...)
	for _, d := range csvDists {
		for _, f := range csvDistFields {
			head = append(head, d+"_"+f)
		}
	}
	// The refused presses after exact, which they came after: a
	// spreadsheet that reads the columns by their place reads them on.
	head = append(head, "exact", "refused")
	for _, r := range csvRefused {
		head = append(head, "refused_"+r)
	}
	// The day's air-raid alerts, on its total's row: how many, and for
	// how long.
	head = append(head, "alerts", "alert_s")
	return head
}()

// figure is one F of stats.get, its values as the controller wrote them.
type figure map[string]json.RawMessage

// statsResult is the result of stats.get, of a day or of a range.
type statsResult struct {
	Day      string            `json:"day"`
	From     string            `json:"from"`
	To       string            `json:"to"`
	Exact    *bool             `json:"exact"`
	Inexact  []string          `json:"inexact_days"`
	Total    figure            `json:"total"`
	Services map[string]figure `json:"services"`
	Counters map[string]figure `json:"counters"`
	Hours    []figure          `json:"hours"`
	Names    map[string]string `json:"names"`
	Alerts   struct {
		N int             `json:"n"`
		S json.RawMessage `json:"s"`
	} `json:"alerts"`
}

// answer is the controller's answer to one request.
type answer struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result"`
	Error  struct {
		Code string `json:"code"`
	} `json:"error"`
}

// runCSV asks stats.get with args and prints its CSV to w: for a range,
// the range's figures and those of each of its days, asked one by one
// (a day without figures, not_found, has no rows). A refusal is printed
// as run prints it.
func runCSV(to tell, w, stderr io.Writer, broker string, acct account, root string, args json.RawMessage, timeout time.Duration) (int, error) {
	c, err := dial(to, broker, acct, root, timeout)
	if err != nil {
		return 0, err
	}
	defer c.close()
	// ask returns the result of op, or the answer of a refusal.
	ask := func(op string, args json.RawMessage, v any) (refused []byte, code string, err error) {
		b, err := c.ask(op, args)
		if err != nil {
			return nil, "", err
		}
		var a answer
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, "", fmt.Errorf("bad answer %q: %v", b, err)
		}
		if !a.OK {
			return b, a.Error.Code, nil
		}
		if err := json.Unmarshal(a.Result, v); err != nil {
			return nil, "", fmt.Errorf("bad answer to %s: %v", op, err)
		}
		return nil, "", nil
	}
	var cfg struct {
		Config struct {
			Office struct {
				Categories []string `json:"priority_categories"`
			}
			Services []struct{ ID, Name string }
			Counters []struct{ ID string }
		}
	}
	if refused, _, err := ask("config.get", nil, &cfg); err != nil || refused != nil {
		return refusal(w, refused, err)
	}
	var first statsResult
	if refused, _, err := ask("stats.get", args, &first); err != nil || refused != nil {
		return refusal(w, refused, err)
	}
	days := []statsResult{first}
	if first.From != "" {
		days = days[:0]
		from, err1 := time.Parse(time.DateOnly, first.From)
		to, err2 := time.Parse(time.DateOnly, first.To)
		if err := cmp.Or(err1, err2); err != nil {
			return 0, fmt.Errorf("bad answer to stats.get: %v", err)
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			var st statsResult
			dayArgs, _ := json.Marshal(map[string]string{"day": d.Format(time.DateOnly)})
			refused, code, err := ask("stats.get", dayArgs, &st)
			if code == "not_found" {
				continue // a weekend, a holiday, a day to come
			}
			if err != nil || refused != nil {
				return refusal(w, refused, err)
			}
			days = append(days, st)
		}
	}

	// Every service and counter of the configuration, and any other the
	// figures have (taken out of it since).
	names := map[string]string{}
	var services, counters []string
	for _, s := range cfg.Config.Services {
		services = append(services, s.ID)
		names[s.ID] = s.Name
	}
	for _, k := range cfg.Config.Counters {
		counters = append(counters, k.ID)
	}
	var extraSvcs []string
	var hours []int
	categories := slices.Clone(cfg.Config.Office.Categories)
	for _, st := range append(slices.Clone(days), first) {
		var cats map[string]figure
		json.Unmarshal(st.Total["categories"], &cats)
		for c := range cats {
			if !slices.Contains(categories, c) {
				categories = append(categories, c)
			}
		}
		for _, h := range st.Hours {
			if n, err := strconv.Atoi(string(h["hour"])); err == nil && !slices.Contains(hours, n) {
				hours = append(hours, n)
			}
		}
		for id := range st.Services {
			if !slices.Contains(services, id) && !slices.Contains(extraSvcs, id) {
				extraSvcs = append(extraSvcs, id)
			}
		}
		for id := range st.Counters {
			if !slices.Contains(counters, id) {
				counters = append(counters, id)
			}
		}
		for id, n := range st.Names {
			names[id] = cmp.Or(names[id], n)
		}
	}
	slices.Sort(extraSvcs)
	slices.Sort(hours)
	services = append(services, extraSvcs...)
	slices.SortStableFunc(counters, byNumber)

	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	site := strings.TrimPrefix(root, "qms/")
	rows := func(day string, st statsResult) {
		exact := "true"
		if st.Exact != nil && !*st.Exact {
			exact = "false"
		}
		total := csvRow(site, day, "total", "", "", st.Total, exact)
		total[len(total)-2], total[len(total)-1] = strconv.Itoa(st.Alerts.N), cmp.Or(string(st.Alerts.S), "0")
		cw.Write(total)
		for _, id := range services {
			cw.Write(csvRow(site, day, "service", id, names[id], st.Services[id], exact))
		}
		for _, id := range counters {
			cw.Write(csvRow(site, day, "counter", id, "", st.Counters[id], exact))
		}
		for _, h := range hours {
			cw.Write(hourRow(site, day, h, st, exact))
		}
		for _, c := range categories {
			cw.Write(categoryRow(site, day, c, st, exact))
		}
	}
	for _, st := range days {
		rows(st.Day, st)
	}
	if first.From != "" {
		rows(first.From+".."+first.To, first)
		if len(first.Inexact) > 0 {
			fmt.Fprintf(stderr, "chergactl: the range's p50 and p90 leave out the durations of %s (kept by an older cherga, their events gone): exact is false\n", strings.Join(first.Inexact, ", "))
		}
	}
	cw.Flush()
	return 0, cw.Error()
}

// refusal prints a refused answer as run does, or gives err.
func refusal(w io.Writer, refused []byte, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return printAnswer(w, refused)
}

// textCell is a text of the office that an administrator typed (a
// service's name or id, a category) as a cell a spreadsheet shows as
// text: one that starts as a formula does (=, +, -, @) gets an apostrophe
// first, so that opening the table runs nothing (CSV injection, OWASP).
func textCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvRow is one row: a figure's values as the controller wrote them; of a
// figure it does not have (nothing that day), zeros.
func csvRow(site, day, kind, id, name string, f figure, exact string) []string {
	row := []string{site, day, kind, textCell(id), textCell(name)}
	cell := func(v json.RawMessage) string {
		switch s := string(v); {
		case f == nil:
			return "0"
		case s == "" || s == "null":
			return "" // unknown
		default:
			return s
		}
	}
	for _, k := range csvFigures {
		row = append(row, cell(f[k]))
	}
	for _, d := range csvDists {
		var dist figure
		json.Unmarshal(f[d], &dist)
		for _, k := range csvDistFields {
			row = append(row, cell(dist[k]))
		}
	}
	row = append(row, exact)
	var refused map[string]int
	json.Unmarshal(f["refused"], &refused)
	sum := 0
	for _, n := range refused {
		sum += n
	}
	for _, n := range append([]int{sum}, mapped(csvRefused, refused)...) {
		if kind == "counter" {
			row = append(row, "")
		} else {
			row = append(row, strconv.Itoa(n))
		}
	}
	return ofNoneEmpty(append(row, "", "")) // the alerts: the total's alone
}

// csvOfCount are the columns that say something of the items a count
// column counts: empty when it is 0.
var csvOfCount = func() map[string][]string {
	m := map[string][]string{"ratings": {"rating_avg"}}
	for _, d := range csvDists {
		for _, f := range csvDistFields[1:] {
			m[d+"_n"] = append(m[d+"_n"], d+"_"+f)
		}
	}
	return m
}()

// ofNoneEmpty empties the cells of row that say something of none: a mean,
// a percentile or a longest whose count is 0.
func ofNoneEmpty(row []string) []string {
	for count, of := range csvOfCount {
		if row[slices.Index(csvHeader, count)] != "0" {
			continue
		}
		for _, k := range of {
			row[slices.Index(csvHeader, k)] = ""
		}
	}
	return row
}

// mapped is m's value of each key, in order.
func mapped(keys []string, m map[string]int) []int {
	out := make([]int, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// hourRow is the row of hour h of a day or range: issued, wait_n and
// wait_mean_s, zeros for an hour that issued nothing (the mean empty with
// none called); the other cells are empty, and all are of a day whose
// hours are unknown.
func hourRow(site, day string, h int, st statsResult, exact string) []string {
	hour := figure{}
	for _, f := range st.Hours {
		if string(f["hour"]) == strconv.Itoa(h) {
			hour = f
		}
	}
	row := csvRow(site, day, "hour", fmt.Sprintf("%02d", h), fmt.Sprintf("%02d:00-%02d:00", h, h+1), nil, exact)
	if st.Hours == nil {
		return partRow(row, nil)
	}
	return ofNoneEmpty(partRow(row, hour, "issued", "wait_n", "wait_mean_s"))
}

// categoryRow is the row of priority category c of a day or range: its
// issued and served, zeros for none; all empty of a day kept before
// categories were, its events gone (its hours are unknown too).
func categoryRow(site, day, c string, st statsResult, exact string) []string {
	row := csvRow(site, day, "category", c, "", nil, exact)
	if st.Hours == nil && st.From == "" {
		return partRow(row, nil)
	}
	var cats map[string]figure
	json.Unmarshal(st.Total["categories"], &cats)
	return partRow(row, cats[c], "issued", "served")
}

// partRow fills row's columns named by keys from f (0 where f has none),
// and leaves its other figure cells empty; with no keys, all of them.
func partRow(row []string, f figure, keys ...string) []string {
	for i := csvLead; i < len(row); i++ {
		if csvHeader[i] == "exact" {
			continue
		}
		row[i] = ""
		if k := csvHeader[i]; slices.Contains(keys, k) {
			row[i] = cmp.Or(string(f[k]), "0")
		}
	}
	return row
}

// byNumber orders counter ids by their numbers (the others as text after).
func byNumber(a, b string) int {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	switch {
	case err1 == nil && err2 == nil:
		return cmp.Compare(x, y)
	case err1 == nil:
		return -1
	case err2 == nil:
		return 1
	}
	return strings.Compare(a, b)
}
