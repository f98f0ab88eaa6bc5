package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/internal/office"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/queue"
	"github.com/cherga/cherga/sim"
)

// startSim starts the simulated round-the-clock office for a test.
func startSim(t *testing.T) (context.Context, *sim.Office) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the pty printer needs Linux")
	}
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	return startOffice(t, cfg)
}

// startOffice starts the simulated office of cfg for a test.
func startOffice(t *testing.T, cfg *config.Config) (context.Context, *sim.Office) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the pty printer needs Linux")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: filepath.Join(t.TempDir(), "sim.db")})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return ctx, s
}

// TestOfficeGPIOPath presses the kiosk's GPIO button (a periph gpiotest pin
// behind the real debounced device.Button) and the counter's GPIO next
// button, and checks the paper and the board.
func TestOfficeGPIOPath(t *testing.T) {
	ctx, s := startSim(t)

	printed := make(chan string, 4)
	s.OnPrint(func(kiosk string, _ printer.Doc) { printed <- kiosk })
	require.NoError(t, s.Press("k1", "pension")) // GPIO27 in the config
	select {
	case <-time.After(15 * time.Second):
		t.Fatal("no ticket printed")
	case k := <-printed:
		require.Equal(t, "k1", k)
	}
	st := s.State()
	require.Len(t, st.Tickets, 1)
	require.Equal(t, "П001", st.Tickets[0].Label)
	require.Contains(t, st.Tickets[0].Text, "Пенсійний фонд")
	// Called once the kiosk knows it printed it, as its answer says.
	m, err := s.Bus.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"ticket":"П001"`) })
	require.NoError(t, err)

	// Counter 10 serves pension; its buttons are remote (MQTT).
	require.NoError(t, s.Counter("10", "next", ""))
	m, err = s.Bus.Wait(ctx, "qms/demo/board/10", func(m sim.Message) bool {
		var b map[string]any
		return json.Unmarshal(m.Payload, &b) == nil && b["ticket"] == "П001"
	})
	require.NoError(t, err, "board 10 shows П001")
	require.Contains(t, string(m.Payload), `"state":"calling"`)

	// Counter 1 has GPIO buttons: next with nobody waiting for social
	// leaves it idle and says so on its board.
	require.NoError(t, s.Pins.Press("GPIO5", 60*time.Millisecond))
	_, err = s.Bus.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool { return !m.Retained })
	require.NoError(t, err, "the GPIO next button of counter 1 reached the queue")

	require.Error(t, s.Press("k1", "nope"))
	require.Error(t, s.Counter("99", "next", ""))
}

// The page's air-raid button pauses the office: the state says so, a press
// gives the kiosk's refusal, and the all-clear lets tickets out again. A
// fresh office shows no ticket as an empty list, not null.
func TestOfficeAirRaid(t *testing.T) {
	ctx, s := startSim(t)
	b, err := json.Marshal(s.State())
	require.NoError(t, err)
	require.Contains(t, string(b), `"tickets":[]`)

	require.NoError(t, s.AirRaid(ctx, true))
	_, err = s.Bus.Wait(ctx, "qms/demo/load", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"paused":true`) })
	require.NoError(t, err)
	require.NoError(t, s.Counter("1", "next", ""))
	require.NoError(t, s.Bus.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	_, err = s.Bus.Wait(ctx, "qms/demo/kiosk/k1/ticket", nil)
	require.NoError(t, err)
	_, err = s.Bus.Wait(ctx, "qms/demo/hall", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"alert":true`) })
	require.NoError(t, err)
	st := s.State()
	require.Contains(t, string(st.Load), `"reason":"повітряна тривога","alert":true`)
	require.Len(t, st.KioskResults, 1)
	require.Contains(t, string(st.KioskResults[0]), "Повітряна тривога")
	// The page's banner is the hall's message: to the shelter, in both
	// languages.
	require.Contains(t, string(st.Hall), `"message":"Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter."`)
	// The boards go out beside the hall, not necessarily before it.
	require.Eventually(t, func() bool {
		for _, c := range s.State().Counters {
			if !strings.Contains(string(c), `"state":"closed","office_paused":true,"alert":true`) {
				return false
			}
		}
		return true
	}, 5*time.Second, 10*time.Millisecond, "every board shows the alert: %s", st.Counters)

	require.NoError(t, s.AirRaid(ctx, false))
	require.NoError(t, s.Bus.Publish("qms/demo/kiosk/k1/press", []byte(`{"service":"social"}`), false))
	_, err = s.Bus.Wait(ctx, "qms/demo/kiosk/k1/ticket", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"ok":true`) })
	require.NoError(t, err)
}

// The page stands in for a hall display: its banner during a pause is the
// hall board's message, bilingual, sending everyone to the shelter during
// an air-raid alert (the shelter is said in English too), and a closed
// board says what the controller's plain-text board says (TestPageBoardWords).
func TestPageBanner(t *testing.T) {
	page := getPage(t)
	require.NotContains(t, page, "Service suspended")
	for _, s := range []string{
		"st.hall.message",
		"st.load.alert",
		"Повітряна тривога! Пройдіть до найближчого укриття. / Air-raid alert! Please proceed to the nearest shelter.",
		"Прийом тимчасово призупинено. Ваше місце в черзі збережено. / Service is temporarily suspended. Your place in the queue is kept.",
		`b.state === "closed" ? st.board_texts[i]`,
	} {
		require.Contains(t, page, s)
	}
}

// A closed board on the page says what the plain-text board above the
// counter says: Тривога during an alert, Перерва for a break, and Зачинено
// outside the hours, also for a break left on overnight (the page said
// Перерва then: a citizen would wait for a counter closed for the day).
func TestPageBoardWords(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	loc, err := time.LoadLocation(cfg.Office.Timezone)
	require.NoError(t, err)
	now := time.Now().In(loc) // today and tomorrow: the test may run at midnight
	cfg.Office.Holidays = []string{now.Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)}
	ctx, s := startOffice(t, cfg)
	require.NoError(t, s.Counter("1", "pause", ""))
	_, err = s.Bus.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool {
		return strings.Contains(string(m.Payload), `"paused":true`) && strings.Contains(string(m.Payload), `"off_hours":true`)
	})
	require.NoError(t, err)
	st := s.State()
	require.Equal(t, "Зачинено", st.BoardTexts[0], "%s", st.Counters[0])

	ctx, s = startSim(t)
	require.NoError(t, s.Counter("1", "pause", ""))
	_, err = s.Bus.Wait(ctx, "qms/demo/board/1", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"paused":true`) })
	require.NoError(t, err)
	require.Equal(t, "Перерва", s.State().BoardTexts[0])
	require.NoError(t, s.AirRaid(ctx, true))
	require.Eventually(t, func() bool { return s.State().BoardTexts[1] == "Тривога" }, 5*time.Second, 10*time.Millisecond)
}

// getPage is the simulator's page, as a browser gets it.
func getPage(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer((&sim.Office{}).Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// A kiosk button given another service live prints that service's tickets
// when the simulator presses it.
func TestPressButtonAfterConfigSet(t *testing.T) {
	ctx, s := startSim(t)
	ks := s.Config().Kiosks
	ks = append([]config.Kiosk(nil), ks...)
	ks[0].Buttons = append([]config.KioskButton(nil), ks[0].Buttons...)
	ks[0].Buttons[0].Service = "employment"
	patch, err := json.Marshal(map[string]any{"patch": map[string]any{"kiosks": ks}})
	require.NoError(t, err)
	r := s.Admin(ctx, office.AdminRequest{ID: "k", Op: "config.set", Args: patch})
	require.True(t, r.OK, "%+v", r.Error)

	printed := make(chan string, 4)
	s.OnPrint(func(_ string, d printer.Doc) { printed <- d.String() })
	require.NoError(t, s.PressButton("k1", 0, false))
	select {
	case <-ctx.Done():
		t.Fatal("no ticket printed")
	case text := <-printed:
		require.Contains(t, text, "Центр зайнятості")
	}
	require.ErrorContains(t, s.PressButton("k1", 9, false), "no button 10")
}

// The page's voice list shows the newest call first, and each call in
// Ukrainian first, then English, as the controller sends them.
func TestVoiceListUkrainianFirst(t *testing.T) {
	ctx, s := startSim(t)
	for range 2 {
		_, err := s.Engine().Issue(ctx, queue.IssueRequest{Service: "social", Kiosk: "k1"})
		require.NoError(t, err)
	}
	for i, label := range []string{"А001", "А002"} {
		if i > 0 { // next at once after a call is a double press: refused
			require.NoError(t, s.Counter("1", "done", ""))
		}
		require.NoError(t, s.Counter("1", "next", ""))
		_, err := s.Bus.Wait(ctx, "qms/demo/announce", func(m sim.Message) bool {
			return strings.Contains(string(m.Payload), `"ticket":"`+label+`"`) && strings.Contains(string(m.Payload), `"lang":"en"`)
		})
		require.NoError(t, err)
	}
	var got []string
	for _, a := range s.State().Announce {
		var v struct{ Ticket, Lang string }
		require.NoError(t, json.Unmarshal(a, &v))
		got = append(got, v.Ticket+" "+v.Lang)
	}
	require.Equal(t, []string{"А002 uk", "А002 en", "А001 uk", "А001 en"}, got)
}

// The page shows each voice announcer run on the office as it says itself
// ({root}/announcer/{id}), by topic; one whose retained message was
// cleared is gone from it.
func TestPageAnnouncers(t *testing.T) {
	ctx, s := startSim(t)
	require.Empty(t, s.State().Announcers)
	l, err := sim.Listen(s.BrokerURL(), "qms/demo/nothing")
	require.NoError(t, err)
	t.Cleanup(l.Close)
	hall := `{"online":true,"id":"hall","started":"2026-12-04T08:00:00Z"}`
	for _, m := range []struct{ topic, payload string }{
		{"qms/demo/announcer/yard", `{"online":false,"id":"yard","started":"2026-12-04T08:00:00Z"}`},
		{"qms/demo/announcer/hall", hall},
		{"qms/demo/announcer/yard", ``},
	} {
		require.NoError(t, l.Publish(m.topic, []byte(m.payload), true))
		_, err := s.Bus.Wait(ctx, m.topic, func(got sim.Message) bool { return string(got.Payload) == m.payload })
		require.NoError(t, err)
	}
	var got []string
	for _, a := range s.State().Announcers {
		got = append(got, string(a))
	}
	require.Equal(t, []string{hall}, got)
	require.Contains(t, getPage(t), `bi("немає звʼязку / offline")`)
}

// The simulator's `a` ends an alert, or begins one: also from a pause
// for something else, which becomes the alert.
func TestToggleAlert(t *testing.T) {
	ctx, s := startSim(t)
	alert := func() (paused, isAlert bool) {
		t.Helper()
		ps, err := s.Engine().Pauses(ctx)
		require.NoError(t, err)
		p, ok := ps[""]
		return ok, ok && p.IsAlert()
	}
	require.NoError(t, s.ToggleAlert(ctx))
	paused, isAlert := alert()
	require.True(t, paused && isAlert)
	require.NoError(t, s.ToggleAlert(ctx))
	paused, _ = alert()
	require.False(t, paused, "the all-clear")
	require.NoError(t, s.Engine().SetPause(ctx, "", "нарада"))
	require.NoError(t, s.ToggleAlert(ctx))
	paused, isAlert = alert()
	require.True(t, paused && isAlert, "the meeting's pause became the alert")
}

// A simulator restarted on the same db counts its printed tickets again
// from 1: the id the page keys the picture on, and its URL, differ from
// the last run's, so a page left open shows the new ticket, not the
// browser's cached picture of the old one; the old URL is not found.
func TestTicketIDAcrossRestarts(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the pty printer needs Linux")
	}
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "sim.db")
	run := func() (sim.PrintedTicket, *httptest.Server, func()) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: db})
		require.NoError(t, err)
		srv := httptest.NewServer(s.Handler())
		stop := func() { srv.Close(); s.Close(); cancel() }
		printed := make(chan struct{}, 1)
		s.OnPrint(func(string, printer.Doc) { printed <- struct{}{} })
		require.NoError(t, s.Press("k1", "social"))
		select {
		case <-printed:
		case <-ctx.Done():
			stop()
			t.Fatal("no ticket printed")
		}
		res, err := http.Get(srv.URL + "/api/state")
		require.NoError(t, err)
		defer res.Body.Close()
		var st sim.State
		require.NoError(t, json.NewDecoder(res.Body).Decode(&st))
		require.Len(t, st.Tickets, 1)
		return st.Tickets[0], srv, stop
	}
	picture := func(srv *httptest.Server, id string) int {
		res, err := http.Get(srv.URL + "/ticket/" + id + ".png")
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}

	first, srv, stop := run()
	require.Equal(t, http.StatusOK, picture(srv, first.ID))
	stop()
	second, srv, stop := run()
	defer stop()
	require.Equal(t, 1, first.N)
	require.Equal(t, 1, second.N, "N starts again at 1")
	require.NotEqual(t, first.ID, second.ID, "the page's key of the picture")
	require.Equal(t, http.StatusOK, picture(srv, second.ID))
	require.Equal(t, http.StatusNotFound, picture(srv, first.ID), "the last run's ticket")

	page := getPage(t)
	require.Contains(t, page, `$("tickets").dataset.id != id`, "the page redraws on the id")
	require.Contains(t, page, "/ticket/${encodeURIComponent(first.id)}.png")
	require.NotContains(t, page, "dataset.n")
}

// The simulator's state file of the built-in office's site, started with
// an office's own file of another site: refused, naming both sites, and
// taken with RenameSite (cherga-sim -rename-site), which the message
// names.
func TestSimulatorRenameSite(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "sim.db")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := sim.StartOffice(ctx, sim.OfficeOpts{Config: cfg, DB: db})
	require.NoError(t, err)
	s.Close()
	other, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	other.Site = "kyiv-3"
	_, err = sim.StartOffice(ctx, sim.OfficeOpts{Config: other, DB: db})
	require.ErrorContains(t, err, `belongs to site "demo", but this office's site is "kyiv-3"`)
	require.ErrorContains(t, err, "-rename-site")
	s, err = sim.StartOffice(ctx, sim.OfficeOpts{Config: other, DB: db, RenameSite: true})
	require.NoError(t, err)
	s.Close()
}

// Another website open in the demo's browser cannot press the office's
// buttons (CSRF: a form's POST needs no permission) nor read its page
// under a name of its own pointed at this machine (DNS rebinding); the
// page itself, curl and scripts without an Origin can.
func TestPageRefusesOtherSites(t *testing.T) {
	ctx, s := startSim(t)
	srv := httptest.NewServer(s.Handler("office-demo.lan"))
	defer srv.Close()
	post := func(host, origin, site string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/api/alert", strings.NewReader("on=0"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusOK, post("", "", ""), "a script")
	require.Equal(t, http.StatusOK, post("", srv.URL, "same-origin"), "the page itself")
	require.Equal(t, http.StatusForbidden, post("", "http://evil.example", "cross-site"))
	require.Equal(t, http.StatusForbidden, post("", "http://evil.example", ""), "an older browser: its Origin alone")
	require.Equal(t, http.StatusForbidden, post("evil.example:80", "http://evil.example", "same-origin"), "DNS rebinding")
	require.Equal(t, http.StatusOK, post("localhost:8080", "http://localhost:8080", "same-origin"))
	require.Equal(t, http.StatusOK, post("Office-Demo.lan:8080", "", ""), "a name given with -http")

	get := func(host string) int {
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/state", nil)
		require.NoError(t, err)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusForbidden, get("evil.example"))
	require.Equal(t, http.StatusOK, get("[::1]:8080"))
	require.Equal(t, http.StatusOK, get("192.168.1.20:8080"))
}

// A booking's code held up to the simulated kiosk's scanner, from the
// page: the kiosk prints the booked visit's ticket, and the page's state
// has the kiosk's answer.
func TestPageScansABooking(t *testing.T) {
	ctx, s := startSim(t)
	require.NotNil(t, s.Scanners["k1"], "the printing kiosk has a scanner")
	day := time.Now().In(s.Config().Location()).Format("2006-01-02")
	slots, err := s.Engine().Slots(ctx, "pension", day)
	require.NoError(t, err)
	if len(slots) == 0 { // 23:40 or later: no slot is left today
		t.Skip("no slot left today")
	}
	a, err := s.Engine().Book(ctx, slots[0].Slot, "Олена", "test")
	require.NoError(t, err)
	printed := make(chan printer.Doc, 1)
	s.OnPrint(func(_ string, d printer.Doc) { printed <- d })

	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	typed := strings.ToLower(a.Code[:4] + "-" + a.Code[4:]) // as a booking site may show it
	res, err := http.PostForm(srv.URL+"/api/scan", map[string][]string{"kiosk": {"k1"}, "code": {typed}})
	require.NoError(t, err)
	defer res.Body.Close()
	var sr office.ScanResult
	require.NoError(t, json.NewDecoder(res.Body).Decode(&sr))
	require.True(t, sr.OK, "%+v", sr)
	require.Equal(t, "appointment", sr.Kind)
	require.Equal(t, "П001", sr.Ticket)
	select {
	case d := <-printed:
		require.Contains(t, strings.ReplaceAll(d.String(), "\n", " "), "ЗА ЗАПИСОМ НА "+slots[0].Start.Format("15:04"))
	case <-ctx.Done():
		t.Fatal("no ticket printed")
	}
	st := s.State()
	require.True(t, st.Kiosks[0].Scanner)
	require.Contains(t, string(st.Kiosks[0].Scan), `"ticket":"П001"`)

	_, err = s.ScanAnswer(ctx, "k2", "X")
	require.ErrorContains(t, err, "has no scanner")
}
