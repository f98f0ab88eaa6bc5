package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// -csv stats.get of a range: a row per day (those with figures) for the
// total, every service and every counter, zeros where nothing happened,
// and the range's rows, whose percentiles are of every wait in it.
func TestStatsCSV(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].Printer = "none"
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, kyiv))
	ctx := context.Background()
	o, err := office.Start(ctx, office.Opts{Config: cfg, DB: filepath.Join(t.TempDir(), "o.db"), Broker: "embedded", Listen: "127.0.0.1:0", Now: clk.Now})
	require.NoError(t, err)
	defer o.Close()
	e := o.Engine()
	// Monday: waits of 1, 2 and 3 minutes at counter 1; Tuesday nobody
	// came; Wednesday (today): 10 minutes at counter 10.
	for _, w := range []struct {
		day, counter, service string
		mins                  []int
	}{{"23", "1", "social", []int{1, 2, 3}}, {"25", "10", "pension", []int{10}}} {
		ten, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-"+w.day+" 10:00", kyiv)
		require.NoError(t, err)
		clk.Set(ten)
		for i := range w.mins {
			req := queue.IssueRequest{Service: w.service, Kiosk: "k1"}
			if w.day == "23" && i == 0 {
				req.Category = "veteran" // called first, served by the next call
			}
			_, err := e.Issue(ctx, req)
			require.NoError(t, err)
		}
		for _, m := range w.mins {
			clk.Set(ten.Add(time.Duration(m) * time.Minute))
			_, err := e.Counter(ctx, w.counter, queue.Command{Action: queue.Next})
			require.NoError(t, err)
		}
	}
	// Wednesday an air-raid alert took half an hour, and the kiosk turned
	// three citizens away.
	clk.Set(time.Date(2026, 11, 25, 10, 20, 0, 0, kyiv))
	require.NoError(t, e.SetPause(ctx, "", "повітряна тривога"))
	clk.Set(time.Date(2026, 11, 25, 10, 50, 0, 0, kyiv))
	require.NoError(t, e.Resume(ctx, "", ""))
	for _, r := range [][2]string{{"social", "daily_cap"}, {"social", "daily_cap"}, {"pension", "closed"}} {
		require.NoError(t, e.Refused(ctx, "k1", r[0], r[1]))
	}

	var stdout, stderr bytes.Buffer
	code := ctl([]string{"-broker", o.BrokerURL(), "-csv", "stats.get", "from=2026-11-23", "to=2026-11-25"}, nil, &stdout, &stderr, func(string) string { return "" })
	require.Equal(t, 0, code, "%s%s", stdout.String(), stderr.String())
	recs, err := csv.NewReader(&stdout).ReadAll()
	require.NoError(t, err)
	head := recs[0]
	require.Equal(t, []string{"site", "day", "kind", "id", "name", "issued", "priority", "transfers_in", "visits", "served", "noshows", "transfers",
		"voided", "expired", "expired_at_counter", "ratings", "rating_avg", "wait_n", "wait_mean_s", "wait_p50_s", "wait_p90_s", "wait_max_s",
		"service_n", "service_mean_s", "service_p50_s", "service_p90_s", "service_max_s",
		"wait_expired_n", "wait_expired_mean_s", "wait_expired_p50_s", "wait_expired_p90_s", "wait_expired_max_s", "exact",
		"refused", "refused_daily_cap", "refused_full", "refused_closed", "refused_paused", "refused_printer", "alerts", "alert_s"}, head)
	perDay := 1 + 3 + 13 + 1 + 2 // the total, 3 services, 13 counters, the hour 10:00, 2 categories
	require.Len(t, recs, 1+3*perDay, "Monday, Wednesday and the range; Tuesday has no figures")
	rows := map[string]map[string]string{}
	var order []string
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, v := range r {
			row[head[i]] = v
		}
		require.Equal(t, "demo", r[0], "the site first")
		k := r[1] + " " + r[2] + " " + r[3]
		rows[k] = row
		order = append(order, k)
	}
	require.Equal(t, []string{"2026-11-23 total ", "2026-11-23 service social", "2026-11-23 service pension", "2026-11-23 service employment",
		"2026-11-23 counter 1", "2026-11-23 counter 2"}, order[:6], "the services in the configuration's order, the counters by number")
	require.Equal(t, "2026-11-23 counter 13", order[perDay-4])
	require.Equal(t, "2026-11-23 hour 10", order[perDay-3])
	require.Equal(t, []string{"2026-11-23 category disability", "2026-11-23 category veteran"}, order[perDay-2:perDay])
	vet := rows["2026-11-23..2026-11-25 category veteran"]
	require.Equal(t, []string{"1", "1", "", ""}, []string{vet["issued"], vet["served"], vet["visits"], vet["wait_n"]})
	require.Equal(t, "0", rows["2026-11-25 category veteran"]["issued"])
	h := rows["2026-11-23..2026-11-25 hour 10"]
	require.Equal(t, []string{"10:00-11:00", "4", "4", "240", "", ""}, []string{h["name"], h["issued"], h["wait_n"], h["wait_mean_s"], h["visits"], h["wait_p50_s"]})
	require.Equal(t, "2026-11-25 total ", order[perDay])
	require.Equal(t, "2026-11-23..2026-11-25 total ", order[2*perDay])

	mon := rows["2026-11-23 total "]
	require.Equal(t, []string{"3", "3", "2", "1", "1", "3", "120", "120", "180", "180"},
		[]string{mon["issued"], mon["visits"], mon["served"], mon["expired"], mon["expired_at_counter"], mon["wait_n"], mon["wait_mean_s"], mon["wait_p50_s"], mon["wait_p90_s"], mon["wait_max_s"]})
	pension := rows["2026-11-23 service pension"]
	require.Equal(t, "Пенсійний фонд", pension["name"])
	require.Equal(t, "0", pension["issued"], "nothing that day: zeros")
	require.Equal(t, []string{"0", "", "", "", ""}, []string{pension["wait_n"], pension["wait_mean_s"], pension["wait_p50_s"], pension["wait_p90_s"], pension["wait_max_s"]},
		"no wait: no mean, percentile or longest of one")
	require.Equal(t, []string{"0", ""}, []string{pension["ratings"], pension["rating_avg"]})
	require.Equal(t, "0", rows["2026-11-23 counter 10"]["visits"])
	require.Equal(t, "1", rows["2026-11-25 counter 10"]["visits"])
	all := rows["2026-11-23..2026-11-25 total "]
	// 1 2 3 10 minutes: the median is the 2nd, the 90th percentile the 4th.
	require.Equal(t, []string{"4", "4", "240", "120", "600", "600", "true"},
		[]string{all["issued"], all["wait_n"], all["wait_mean_s"], all["wait_p50_s"], all["wait_p90_s"], all["wait_max_s"], all["exact"]})
	require.Equal(t, "600", rows["2026-11-23..2026-11-25 service pension"]["wait_p50_s"])
	refused := func(k string) []string {
		r := rows[k]
		return []string{r["refused"], r["refused_daily_cap"], r["refused_closed"], r["refused_full"]}
	}
	require.Equal(t, []string{"3", "2", "1", "0"}, refused("2026-11-25 total "))
	require.Equal(t, []string{"2", "2", "0", "0"}, refused("2026-11-23..2026-11-25 service social"))
	require.Equal(t, []string{"1", "0", "1", "0"}, refused("2026-11-25 service pension"))
	require.Equal(t, []string{"0", "0", "0", "0"}, refused("2026-11-23 total "))
	require.Equal(t, []string{"", "", "", ""}, refused("2026-11-25 counter 10"), "a counter refuses no press")
	alerts := func(k string) []string { return []string{rows[k]["alerts"], rows[k]["alert_s"]} }
	require.Equal(t, []string{"1", "1800"}, alerts("2026-11-25 total "))
	require.Equal(t, []string{"1", "1800"}, alerts("2026-11-23..2026-11-25 total "))
	require.Equal(t, []string{"0", "0"}, alerts("2026-11-23 total "))
	require.Equal(t, []string{"", ""}, alerts("2026-11-25 service pension"), "the day's, on its total's row")

	// One day; -csv is for stats.get only.
	stdout.Reset()
	code = ctl([]string{"-broker", o.BrokerURL(), "-csv", "stats.get", "day=2026-11-23"}, nil, &stdout, &stderr, func(string) string { return "" })
	require.Equal(t, 0, code, "%s%s", stdout.String(), stderr.String())
	recs, err = csv.NewReader(&stdout).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 1+perDay)
	require.Equal(t, 2, ctl([]string{"-broker", o.BrokerURL(), "-csv", "office.state"}, nil, &stdout, &stderr, func(string) string { return "" }))
	stdout.Reset()
	code = ctl([]string{"-broker", o.BrokerURL(), "-csv", "stats.get", "from=2026-11-25", "to=2026-11-23"}, nil, &stdout, &stderr, func(string) string { return "" })
	require.Equal(t, 1, code, "refused as without -csv")
	require.Contains(t, stdout.String(), `"field": "to"`)
}

// A figure the controller does not know (null: a day kept by an older
// version, its events gone) is an empty cell, not a 0; so are the hours of
// a day that has none.
func TestCSVUnknownIsEmpty(t *testing.T) {
	f := figure{"issued": []byte("3"), "visits": []byte("null"), "wait": []byte(`{"n":1,"mean_s":null,"p50_s":60,"p90_s":60,"max_s":60}`)}
	row := csvRow("demo", "2026-11-23", "total", "", "", f, "true")
	cell := map[string]string{}
	for i, k := range csvHeader {
		cell[k] = row[i]
	}
	require.Equal(t, "3", cell["issued"])
	require.Equal(t, "", cell["visits"])
	require.Equal(t, "", cell["transfers_in"], "absent")
	require.Equal(t, "1", cell["wait_n"])
	require.Equal(t, "", cell["wait_mean_s"])
	require.Equal(t, "60", cell["wait_p50_s"])
	require.Equal(t, "0", csvRow("demo", "2026-11-23", "counter", "5", "", nil, "true")[csvLead], "nothing that day")

	hour := hourRow("demo", "2026-11-23", 9, statsResult{}, "false")
	require.Equal(t, []string{"demo", "2026-11-23", "hour", "09", "09:00-10:00"}, hour[:csvLead])
	exactAt := slices.Index(csvHeader, "exact")
	for i, c := range hour[csvLead:] {
		if csvLead+i != exactAt {
			require.Empty(t, c, csvHeader[csvLead+i])
		}
	}
	require.Equal(t, "false", hour[exactAt])
	// Two tickets of 16:00, sent home uncalled: no mean wait, not one of 0.
	late := statsResult{Hours: []figure{{"hour": []byte("16"), "issued": []byte("2"), "wait_n": []byte("0"), "wait_mean_s": []byte("0")}}}
	cell = map[string]string{}
	for i, k := range csvHeader {
		cell[k] = hourRow("demo", "2026-11-23", 16, late, "true")[i]
	}
	require.Equal(t, []string{"2", "0", ""}, []string{cell["issued"], cell["wait_n"], cell["wait_mean_s"]})

	cell = map[string]string{}
	known := statsResult{Hours: []figure{}, Total: figure{"categories": []byte(`{"veteran":{"issued":2,"served":1}}`)}}
	for i, k := range csvHeader {
		cell[k] = categoryRow("demo", "2026-11-23", "veteran", known, "true")[i]
	}
	require.Equal(t, []string{"category", "veteran", "2", "1", ""}, []string{cell["kind"], cell["id"], cell["issued"], cell["served"], cell["visits"]})
	require.Equal(t, "0", categoryRow("demo", "2026-11-23", "disability", known, "true")[csvLead], "none that day")
	for i, c := range categoryRow("demo", "2026-11-23", "veteran", statsResult{}, "true")[csvLead:] {
		if csvHeader[csvLead+i] == "exact" {
			continue
		}
		require.Empty(t, c, "a day kept before categories were")
	}
}

// A service's name that starts as a formula does is written as text: a
// spreadsheet opening the table runs nothing (CSV injection).
func TestCSVNameIsText(t *testing.T) {
	for name, want := range map[string]string{
		"=HYPERLINK(\"http://x\",\"Субсидії\")": "'=HYPERLINK(\"http://x\",\"Субсидії\")",
		"+380": "'+380", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"Соціальний захист, \"пільги\"": "Соціальний захист, \"пільги\"",
		"": "",
	} {
		require.Equal(t, want, csvRow("demo", "2026-11-23", "service", "social", name, nil, "true")[4], name)
	}
	require.Equal(t, "'-A1", csvRow("demo", "2026-11-23", "service", "-A1", "", nil, "true")[3], "an id may start with -")
}

// The CSV has a column for each reason the controller counts: chergactl
// keeps its own list (it does not link the store's package), which must
// not drift from the queue's.
func TestCSVRefusedReasonsAreTheQueues(t *testing.T) {
	require.ElementsMatch(t, queue.RefusalReasons, csvRefused)
}
