package office_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/queue/queuetest"
)

// stats.get says in its not_found why a day has no figures.
func TestStatsGetSaysWhyNotFound(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for day, why := range map[string]string{
		"2999-01-01": "no figures of 2999-01-01: it is still to come",
		"2000-01-03": "no figures of 2000-01-03: it is before the office's first record",
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "stats.get", Args: []byte(`{"day":"` + day + `"}`)})
		require.False(t, r.OK, day)
		require.Equal(t, "not_found", r.Error.Code, day)
		require.Equal(t, "day", r.Error.Field, day)
		require.Contains(t, r.Error.Message, why)
	}
}

// statsDays serves, on the clock's day and the next, citizens who waited
// 1, 2, 3 and then 10, 20 minutes at counter 1.
func statsDays(t *testing.T, ctx context.Context, o *office.Office, clk *queuetest.Clock) {
	t.Helper()
	for d, waits := range [][]int{{1, 2, 3}, {10, 20}} {
		ten := time.Date(2026, 11, 23+d, 10, 0, 0, 0, clk.Now().Location())
		clk.Set(ten)
		for range waits {
			_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
			require.NoError(t, err)
		}
		for _, w := range waits {
			clk.Set(ten.Add(time.Duration(w) * time.Minute))
			_, err := o.Engine().Counter(ctx, "1", queue.Command{Action: queue.Next})
			require.NoError(t, err)
		}
	}
}

// stats.get sums a range of days (from and to, or a month), with its
// percentiles over every wait of the range, and names the services.
func TestStatsGetRange(t *testing.T) {
	kyiv, err := time.LoadLocation("Europe/Kyiv")
	require.NoError(t, err)
	clk := queuetest.NewClock(time.Date(2026, 11, 23, 10, 0, 0, 0, kyiv))
	ctx, o, l := startOffice(t, office.Opts{Config: roundTheClock(t), Now: clk.Now}, "qms/demo/read/res/#")
	statsDays(t, ctx, o, clk)
	get := func(args string) map[string]any {
		t.Helper()
		r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "stats.get", Args: []byte(args)})
		require.True(t, r.OK, "%s: %+v", args, r.Error)
		b, err := json.Marshal(r.Result)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	wait := map[string]any{"n": 5.0, "mean_s": 432.0, "p50_s": 180.0, "p90_s": 1200.0, "max_s": 1200.0}
	rs := get(`{"from":"2026-11-23","to":"2026-11-24"}`)
	require.Equal(t, "2026-11-23", rs["from"])
	require.Equal(t, 2.0, rs["days"])
	require.Equal(t, true, rs["exact"])
	require.Equal(t, wait, rs["total"].(map[string]any)["wait"])
	require.Equal(t, "Соціальний захист", rs["names"].(map[string]any)["social"])
	require.Equal(t, []any{map[string]any{"hour": 10.0, "issued": 5.0, "wait_n": 5.0, "wait_mean_s": 432.0}}, rs["hours"])
	month := get(`{"month":"2026-11"}`)
	require.Equal(t, "2026-11-01", month["from"])
	require.Equal(t, "2026-11-30", month["to"])
	require.Equal(t, rs["total"], month["total"])
	day := get(`{"day":"2026-11-23"}`)
	require.Equal(t, "Соціальний захист", day["names"].(map[string]any)["social"])
	require.Equal(t, 180.0, day["total"].(map[string]any)["wait"].(map[string]any)["max_s"])

	// The same on the read door.
	require.NoError(t, l.Publish("qms/demo/read/req", []byte(`{"id":"m","op":"stats.get","args":{"month":"2026-11"}}`), false))
	m, err := l.Wait(ctx, "qms/demo/read/res/m", nil)
	require.NoError(t, err)
	var res struct {
		OK     bool `json:"ok"`
		Result struct {
			Days  int `json:"days"`
			Total struct {
				Wait map[string]any `json:"wait"`
			} `json:"total"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(m.Payload, &res))
	require.True(t, res.OK, "%s", m.Payload)
	require.Equal(t, 2, res.Result.Days)
	require.Equal(t, wait, res.Result.Total.Wait)
}

// A range is both from and to, or a month, never with a day; a refusal
// names the argument at fault.
func TestStatsGetRangeRefused(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	for args, field := range map[string]string{
		`{"from":"2026-11-01"}`: "to",
		`{"to":"2026-11-30"}`:   "from",
		`{"day":"2026-11-02","from":"2026-11-01","to":"2026-11-30"}`: "day",
		`{"month":"2026-11","from":"2026-11-01"}`:                    "month",
		`{"month":"2026-11","day":"2026-11-02"}`:                     "month",
		`{"month":"листопад"}`:                                       "month",
		`{"from":"2026-11-30","to":"2026-11-01"}`:                    "to",
		`{"from":"2025-01-01","to":"2026-11-01"}`:                    "to",
		`{"from":"1 листопада","to":"2026-11-01"}`:                   "from",
		// Empty (a script's variable unset): not today's figures.
		`{"month":""}`:                 "month",
		`{"from":"","to":""}`:          "from",
		`{"to":"","day":"2026-11-02"}`: "to",
	} {
		r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "stats.get", Args: []byte(args)})
		require.False(t, r.OK, args)
		require.Equal(t, "bad_request", r.Error.Code, args)
		require.Equal(t, field, r.Error.Field, "%s: %s", args, r.Error.Message)
	}
}

// A service renamed (its id changed) keeps its name in the figures of the
// days it had: stats.get names it as the last configuration that had it.
func TestStatsNameServicesGoneSince(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	_, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "employment", Kiosk: "k1"})
	require.NoError(t, err)
	cfg := *o.Config()
	cfg.Services = slices.Clone(cfg.Services)
	old := cfg.Service("employment").Name
	for i := range cfg.Services {
		if cfg.Services[i].ID == "employment" {
			cfg.Services[i].ID, cfg.Services[i].Name = "jobs", "Центр зайнятості (нова назва)"
		}
	}
	cfg.Counters = slices.Clone(cfg.Counters)
	for i := range cfg.Counters {
		cfg.Counters[i].Services = slices.Clone(cfg.Counters[i].Services)
		for j, s := range cfg.Counters[i].Services {
			if s == "employment" {
				cfg.Counters[i].Services[j] = "jobs"
			}
		}
	}
	cfg.Kiosks = slices.Clone(cfg.Kiosks)
	cfg.Kiosks[0].Buttons = slices.Clone(cfg.Kiosks[0].Buttons)
	for j, b := range cfg.Kiosks[0].Buttons {
		if b.Service == "employment" {
			cfg.Kiosks[0].Buttons[j].Service = "jobs"
		}
	}
	doc, err := json.Marshal(map[string]any{"config": cfg, "expire": true})
	require.NoError(t, err)
	r := o.Admin(ctx, office.AdminRequest{ID: "s", Op: "config.set", Args: doc})
	require.True(t, r.OK, "%+v", r.Error)

	r = o.Admin(ctx, office.AdminRequest{ID: "g", Op: "stats.get"})
	require.True(t, r.OK, "%+v", r.Error)
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	var st struct {
		Services map[string]json.RawMessage `json:"services"`
		Names    map[string]string          `json:"names"`
	}
	require.NoError(t, json.Unmarshal(b, &st))
	require.Contains(t, st.Services, "employment", "%s", b)
	require.Equal(t, old, st.Names["employment"], "%s", b)
	require.Equal(t, "Центр зайнятості (нова назва)", st.Names["jobs"])
}

// numbering.continue: after a restore, the next ticket of a service is the
// one after the last handed out; a number not ahead is refused, naming
// the field.
func TestAdminNumberingContinue(t *testing.T) {
	ctx, o, _ := startOffice(t, office.Opts{Config: roundTheClock(t)}, "qms/demo/status")
	r := o.Admin(ctx, office.AdminRequest{ID: "n", Op: "numbering.continue", Args: json.RawMessage(`{"service":"social","after":50}`)})
	require.True(t, r.OK, "%+v", r.Error)
	b, err := json.Marshal(r.Result)
	require.NoError(t, err)
	require.JSONEq(t, `{"service":"social","next":"А051"}`, string(b))
	iss, err := o.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
	require.NoError(t, err)
	require.Equal(t, "А051", iss.Ticket.Label)
	for _, tc := range []struct{ args, field, says string }{
		{`{"service":"social","after":20}`, "after", "the numbering of social is at А051 today, its next ticket А052: it only goes forward"},
		{`{"service":"social","after":50,"extra":1}`, "extra", `unknown field "extra" (known: service, after)`},
		{`{"service":"nosuch","after":20}`, "service", `no service "nosuch" (the office's: social, pension, employment)`},
		{`{"service":"social"}`, "after", "required: the highest number of social handed out (42 for А042)"},
		{`{"service":"social","after":0}`, "after", "1 or more (42 for А042)"},
	} {
		r = o.Admin(ctx, office.AdminRequest{ID: "n", Op: "numbering.continue", Args: json.RawMessage(tc.args)})
		require.False(t, r.OK, tc.args)
		require.Equal(t, "bad_request", r.Error.Code)
		require.Equal(t, tc.field, r.Error.Field)
		require.Contains(t, r.Error.Message, tc.says)
	}
	// An operation without arguments says it takes none.
	r = o.Admin(ctx, office.AdminRequest{ID: "n", Op: "office.state", Args: json.RawMessage(`{"extra":1}`)})
	require.False(t, r.OK)
	require.Equal(t, "extra", r.Error.Field)
	require.Contains(t, r.Error.Message, `unknown field "extra" (this operation takes none)`)
}
