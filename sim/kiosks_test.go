package sim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	firmwareconfig "github.com/cherga/cherga/firmware-config"
	"github.com/cherga/cherga/internal/config"
	"github.com/cherga/cherga/printer"
	"github.com/cherga/cherga/sim"
)

// threeKiosks starts the round-the-clock office with two more kiosks, as
// an integrator's office has them: k2 a second printer kiosk (remote
// buttons, over MQTT), k3 a touch screen without a printer. Its page and
// API are served on 127.0.0.1 at an OS-chosen port.
func threeKiosks(t *testing.T) (context.Context, *sim.Office, string) {
	t.Helper()
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks = append(cfg.Kiosks,
		config.Kiosk{ID: "k2", Printer: "serial:/dev/ttyUSB1", Profile: "epson-tm-t20", Buttons: []config.KioskButton{{Service: "social"}, {Service: "pension"}}},
		config.Kiosk{ID: "k3", Printer: "none", Profile: "generic", Buttons: []config.KioskButton{{Service: "social"}, {Service: "employment"}}})
	require.NoError(t, cfg.Validate())
	ctx, s := startOffice(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return ctx, s, srv.URL
}

// post sends a form to the page's API and returns the status code and
// the error the API gave.
func post(t *testing.T, url string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(url, form)
	require.NoError(t, err)
	defer res.Body.Close()
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
	return res.StatusCode, r.Error
}

// ask posts form to the page's API, and returns the status and the body:
// the controller's answer.
func ask(t *testing.T, url string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(url, form)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

// pageState reads /api/state as the page does, by kiosk id.
func pageState(t *testing.T, base string) map[string]sim.KioskState {
	t.Helper()
	res, err := http.Get(base + "/api/state")
	require.NoError(t, err)
	defer res.Body.Close()
	var st sim.State
	require.NoError(t, json.NewDecoder(res.Body).Decode(&st))
	ks := map[string]sim.KioskState{}
	for _, k := range st.Kiosks {
		ks[k.ID] = k
	}
	return ks
}

// answer waits for the answer to a press at kiosk that match says is the
// one awaited.
func answer(ctx context.Context, t *testing.T, s *sim.Office, kiosk string, match func(string) bool) string {
	t.Helper()
	m, err := s.Bus.Wait(ctx, "qms/demo/kiosk/"+kiosk+"/ticket", func(m sim.Message) bool { return match(string(m.Payload)) })
	require.NoError(t, err)
	return string(m.Payload)
}

func hasOK(p string) bool { return strings.Contains(p, `"ok":true`) }

// A kiosk with printer: none stays without one in the simulator: its
// press prints nothing, and its answer (the number) is the page's screen
// of that kiosk. It has no printer to put a fault in.
func TestScreenKioskHasNoPrinter(t *testing.T) {
	ctx, s, base := threeKiosks(t)
	require.Contains(t, s.Printers, "k1")
	require.Contains(t, s.Printers, "k2")
	require.NotContains(t, s.Printers, "k3")

	code, msg := post(t, base+"/api/press", url.Values{"kiosk": {"k3"}, "service": {"employment"}})
	require.Equal(t, http.StatusOK, code, msg)
	got := answer(ctx, t, s, "k3", hasOK)
	require.Contains(t, got, `"ticket":"Ц001"`)

	ks := pageState(t, base)
	require.True(t, ks["k3"].Screen)
	require.Nil(t, ks["k3"].Faults)
	require.Contains(t, string(ks["k3"].Answer), `"ticket":"Ц001"`)
	require.Equal(t, []*bool{nil, nil}, ks["k3"].Lamps, "k3's buttons have no lamps")
	require.False(t, ks["k1"].Screen)
	require.Empty(t, ks["k1"].Faults)
	require.Equal(t, "null", string(ks["k1"].Answer), "k1 was not pressed")
	require.Empty(t, s.State().Tickets, "nothing printed")

	code, msg = post(t, base+"/api/printer", url.Values{"kiosk": {"k3"}, "fault": {"paper_out"}})
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, msg, "no printer")
}

// A screen kiosk without buttons offers every service (as the controller
// takes a press of any at it): the page and the number keys have one
// button a service, none with a lamp, and a press of one gets its ticket.
func TestKioskWithoutButtons(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks = append(cfg.Kiosks, config.Kiosk{ID: "k4", Printer: "none", Profile: "generic"})
	require.NoError(t, cfg.Validate())
	ctx, s := startOffice(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	var ids []string
	for _, svc := range cfg.Services {
		ids = append(ids, svc.ID)
	}
	k4 := pageState(t, srv.URL)["k4"]
	require.Equal(t, ids, k4.Services)
	require.Len(t, k4.Lamps, len(ids))
	require.Nil(t, k4.Lamps[0])

	last := len(ids) - 1
	require.NoError(t, s.PressButton("k4", last, false))
	got := answer(ctx, t, s, "k4", hasOK)
	require.Contains(t, got, `"ticket":"`+cfg.Services[last].Prefix+`001"`)
	require.Error(t, s.PressButton("k4", last+1, false))
}

// The page's printer fault buttons change the simulated printer: the
// kiosk refuses with reason printer, its lamps go dark, its printer's
// topic says why, and another kiosk goes on printing. Normal brings it
// back.
func TestPrinterFaultFromPage(t *testing.T) {
	ctx, s, base := threeKiosks(t)
	printed := make(chan string, 8)
	s.OnPrint(func(kiosk string, _ printer.Doc) { printed <- kiosk })
	lamps := func(kiosk string) []bool {
		var out []bool
		for _, l := range pageState(t, base)[kiosk].Lamps {
			require.NotNil(t, l)
			out = append(out, *l)
		}
		return out
	}
	require.Eventually(t, func() bool { return !slicesContain(lamps("k1"), false) }, 10*time.Second, 50*time.Millisecond, "k1's lamps lit at the start")

	code, msg := post(t, base+"/api/printer", url.Values{"kiosk": {"k1"}, "fault": {"paper_out"}})
	require.Equal(t, http.StatusOK, code, msg)
	require.Equal(t, printer.PaperOut, s.Printers["k1"].Status().Paper)
	require.Equal(t, []sim.Fault{sim.FaultPaperOut}, pageState(t, base)["k1"].Faults)
	_, err := s.Bus.Wait(ctx, "qms/demo/printer/k1", func(m sim.Message) bool { return strings.Contains(string(m.Payload), `"paper":"out"`) })
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !slicesContain(lamps("k1"), true) }, 10*time.Second, 50*time.Millisecond, "k1's lamps dark")

	code, msg = post(t, base+"/api/press", url.Values{"kiosk": {"k1"}, "service": {"social"}})
	require.Equal(t, http.StatusOK, code, msg)
	got := answer(ctx, t, s, "k1", func(string) bool { return true })
	require.Contains(t, got, `"ok":false`)
	require.Contains(t, got, `"reason":"printer"`)
	require.Contains(t, string(pageState(t, base)["k1"].Answer), "закінчився папір")

	// An alert is on=1 or 0: a script's on=yes is refused, not taken for
	// the all-clear.
	code, msg = post(t, base+"/api/alert", url.Values{"on": {"yes"}})
	require.Equal(t, http.StatusBadRequest, code, msg)
	require.Contains(t, msg, "1 for an air-raid alert, 0 for the all-clear")

	code, msg = post(t, base+"/api/press", url.Values{"kiosk": {"k2"}, "service": {"social"}})
	require.Equal(t, http.StatusOK, code, msg)
	require.Contains(t, answer(ctx, t, s, "k2", hasOK), `"ticket":"А001"`)
	select {
	case k := <-printed:
		require.Equal(t, "k2", k)
	case <-ctx.Done():
		t.Fatal("k2 printed nothing")
	}

	since := time.Now()
	code, msg = post(t, base+"/api/printer", url.Values{"kiosk": {"k1"}, "fault": {"normal"}})
	require.Equal(t, http.StatusOK, code, msg)
	require.Empty(t, s.Printers["k1"].Faults())
	_, err = s.Bus.Wait(ctx, "qms/demo/printer/k1", func(m sim.Message) bool {
		return m.At.After(since) && !strings.Contains(string(m.Payload), `"error"`)
	})
	require.NoError(t, err)
	// Another button: the first one's mash interval would take a press
	// this soon for the same citizen pressing again.
	require.NoError(t, s.Press("k1", "pension"))
	require.Contains(t, answer(ctx, t, s, "k1", hasOK), `"ticket":"П001"`)

	code, msg = post(t, base+"/api/printer", url.Values{"kiosk": {"k1"}, "fault": {"on_fire"}})
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, msg, "paper_out")
	code, _ = post(t, base+"/api/printer", url.Values{"kiosk": {"k9"}, "fault": {"normal"}})
	require.Equal(t, http.StatusBadRequest, code)
}

func slicesContain(s []bool, v bool) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// The page has each kiosk's figures, printer line and answer in its own
// block (ids carry the kiosk's id, the queue figures a class-like data
// attribute, as one service is on several kiosks), and a button for every
// fault the simulated printer takes.
func TestPagePerKiosk(t *testing.T) {
	page := getPage(t)
	require.NotContains(t, page, `id="q-`, "one id for a service on several kiosks")
	for _, s := range []string{`data-q="${esc(s)}"`, `id="a:${esc(k.id)}"`, `id="p:${esc(k.id)}"`, "k.answer", "принтер ${esc(k.id)} / printer ${esc(k.id)}", `"/api/printer"`} {
		require.Contains(t, page, s)
	}
	for _, f := range sim.Faults {
		require.Contains(t, page, `["`+string(f)+`", "`, "a button for %s", f)
	}
}

// The page is usable without sight of colour or motion: each counter is
// a named group whose buttons say their counter, the board's state is in
// words and stops blinking for who asks for less motion, what changes by
// itself is a live region (the alert banner an alert), fault buttons say
// whether they are pressed, lamps say in text whether they are lit, and
// the English halves are marked English.
func TestPageAccessible(t *testing.T) {
	page := getPage(t)
	for _, s := range []string{
		`role="group" aria-label="${uk} / ${en}"`,
		`<span class="vh">${uk}: </span>${lu} / <span lang="en"><span class="vh">${en}: </span>${le}</span></button>`,
		`kind === "cabinet" ? "Кабінет" : "Вікно"`,
		`'виклик / <span lang="en">calling</span>'`,
		`'прийом / <span lang="en">serving</span>'`,
		"@media (prefers-reduced-motion: reduce) { .board.calling { animation: none; } }",
		`<section class="hall">`,
		`<section class="voice">`,
		`<div class="vh" id="called" role="status" aria-atomic="true"></div>`,
		`if (told === undefined) { told = id; return; }`,
		`id="a:${esc(k.id)}" aria-live="polite"`,
		`<div class="alert" id="alert" role="alert">`,
		`if (document.activeElement === off) on.focus();
  off.disabled = true;`,
		`function setAlert(on) { alertButtons(!!on);`,
		`<div class="offline" id="offline" role="status"></div>`,
		`put($("offline"), 'Немає звʼязку з симулятором`,
		`.offline:empty { padding: 0; }`,
		"bi(esc(airRaid ? told : withReason(told, st.load.reason)))",
		`${q.reason && !q.alert ? ": " + esc(q.reason) : ""}`,
		`<span class=err title="${esc(p.error)}">${printerWords(k, p)}</span>`,
		`$("office").innerHTML = esc(st.office) + ' — симулятор / <span lang="en">simulator</span>';`,
		"<h3>${bi(`Термінал ${esc(k.id)} / Kiosk ${esc(k.id)}`)}",
		`${bi("чекають / waiting")}: ${esc(q.waiting)}`,
		`${bi(q.alert ? "повітряна тривога / air-raid alert" : "призупинено / paused")}`,
		`kr.ok ? ` + "`${hhmm} ${bi(\"талон / ticket\")} ${esc(kr.ticket)}`",
		"<span class=err>${bi(esc(kr.message))}</span>",
		"${bi(`принтер ${esc(k.id)} / printer ${esc(k.id)}`)}",
		`put($("alert"), paused ? bi(esc(airRaid`,
		`aria-pressed="false"`,
		`b.setAttribute("aria-pressed"`,
		`'лампа світиться / <span lang="en">lamp lit</span>.'`,
		`<span class="vh" id="lt:${d}" aria-hidden="true"></span>`,
		`aria-describedby="${lamp ? ` + "`lt:${d} `" + ` : ""}q:${d}"`,
		`<b>${esc(names[s].prefix)}</b><span class="vh"> — </span>${esc(names[s].name)}`,
		// Pressed by its place; one of a priority says so.
		"<button onclick=\"press('${esc(k.id)}',${i})\"",
		`{kiosk, button, long: "1"}`,
		"(pr ? ` <small>· ${bi(pr === \"priority\" ? \"позачергово / priority\" : `позачергово: ${esc(pr)} / priority: ${esc(pr)}`)}</small>` : \"\")",
		"k.services, k.priority,", // a category changed rebuilds the buttons
		"` (${bi(`робочі місця ${esc(a.counters)} / counters ${esc(a.counters)}`)})`",
		`<span class="qs" id="q:${d}" data-q="${esc(s)}" aria-hidden="true"></span></button>`,
		`Надруковано / <span lang="en">Printed</span>`,
	} {
		require.Contains(t, page, s)
	}
	// The lists rebuilt at every call are read no more as a whole: only
	// #called is live for the calls.
	for _, s := range []string{
		`<section class="hall" aria-live`,
		`<section class="voice" aria-live`,
		`aria-label="${uk}: ${lu}`,
		"<div class=\"qs\" data-q",
		`el.textContent = !q ? "" : q.paused`,
		`$("office").textContent`,
	} {
		require.NotContains(t, page, s)
	}
}

// The page holds a kiosk button down for a priority ticket, on its GPIO
// pin (k1) or over MQTT (k2, remote buttons), and transfers a counter's
// ticket to another service's counter: what the terminal's l and t do.
func TestPriorityAndTransferFromThePage(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks = append(cfg.Kiosks, config.Kiosk{ID: "k2", Printer: "serial:/dev/ttyUSB1", Profile: "epson-tm-t20", LongPressMS: 2000,
		Buttons: []config.KioskButton{{Service: "social"}, {Service: "pension"}}})
	require.NoError(t, cfg.Validate())
	ctx, s := startOffice(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	// The API answers with the kiosk's answer: over MQTT (k2) the one to
	// its press's id, from a GPIO button (k1) the next.
	press := func(kiosk, service string, long bool) string {
		t.Helper()
		form := url.Values{"kiosk": {kiosk}, "service": {service}}
		if long {
			form.Set("long", "1")
		}
		code, got := ask(t, srv.URL+"/api/press", form)
		require.Equal(t, http.StatusOK, code, got)
		return got
	}
	got := press("k1", "pension", false)
	require.Contains(t, got, `"ticket":"П001"`)
	require.NotContains(t, got, `"priority"`)
	got = press("k1", "pension", true)
	require.Contains(t, got, `"ticket":"П002"`)
	require.Contains(t, got, `"priority":true`, "its pin held for long_press_ms")
	got = press("k2", "social", true)
	require.Contains(t, got, `"ticket":"А001"`)
	require.Contains(t, got, `"priority":true`, "its press sent with priority")

	code, msg := post(t, srv.URL+"/api/press", url.Values{"kiosk": {"k2"}, "service": {"nosuch"}})
	require.Equal(t, http.StatusBadRequest, code, msg)
	require.Equal(t, `sim: no service "nosuch" (the office's: social, pension, employment)`, msg)

	// And with the counter's acknowledgement: a refusal says why.
	code, got = ask(t, srv.URL+"/api/counter", url.Values{"counter": {"10"}, "action": {"bogus"}})
	require.Equal(t, http.StatusOK, code, got)
	require.Contains(t, got, `"ok":false`)
	require.Contains(t, got, `"reason":"bad_request"`)
	code, got = ask(t, srv.URL+"/api/counter", url.Values{"counter": {"10"}, "action": {"next"}})
	require.Equal(t, http.StatusOK, code, got)
	require.Contains(t, got, `"ok":true`)
	require.Contains(t, got, `"ticket":"П002"`, "the priority ticket first")
	code, got = ask(t, srv.URL+"/api/counter", url.Values{"counter": {"10"}, "action": {"transfer"}, "to": {"pension"}, "to_counter": {"11"}})
	require.Equal(t, http.StatusOK, code, got)
	require.Contains(t, got, `"ok":true`)
	_, err = s.Bus.Wait(ctx, "qms/demo/events", func(m sim.Message) bool {
		p := string(m.Payload)
		return strings.Contains(p, `"ticket.transferred"`) && strings.Contains(p, `П002`)
	})
	require.NoError(t, err)
	tks, err := s.Engine().Tickets(ctx)
	require.NoError(t, err)
	for _, tk := range tks {
		if tk.Label == "П002" {
			require.Equal(t, "11", tk.ForCounter, "held for counter 11")
		}
	}
	// A call by label: the page passes the ticket on.
	code, got = ask(t, srv.URL+"/api/counter", url.Values{"counter": {"11"}, "action": {"call"}, "ticket": {"П001"}})
	require.Equal(t, http.StatusOK, code, got)
	require.Contains(t, got, `"ok":true`)
	require.Contains(t, got, `"ticket":"П001"`)
}

// A kiosk's button is pressed by its place too: one of a priority category
// beside the service's ordinary one gives its category's ticket, on the
// page as in the terminal (the state says what each button gives).
func TestCategoryButtonFromThePage(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks = append(cfg.Kiosks, config.Kiosk{ID: "k2", Printer: "serial:/dev/ttyUSB1", Profile: "epson-tm-t20",
		Buttons: []config.KioskButton{{Service: "social"}, {Service: "social", Category: "disability"}, {Service: "social", Priority: true}}})
	require.NoError(t, cfg.Validate())
	_, s := startOffice(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	var k2 sim.KioskState
	for _, k := range s.State().Kiosks {
		if k.ID == "k2" {
			k2 = k
		}
	}
	require.Equal(t, []string{"social", "social", "social"}, k2.Services)
	require.Equal(t, []string{"", "disability", "priority"}, k2.Priority)

	press := func(kiosk, button string) string {
		t.Helper()
		code, got := ask(t, srv.URL+"/api/press", url.Values{"kiosk": {kiosk}, "button": {button}})
		require.Equal(t, http.StatusOK, code, got)
		return got
	}
	got := press("k2", "2")
	require.Contains(t, got, `"ticket":"А001"`)
	require.Contains(t, got, `"category":"disability"`)
	got = press("k2", "1")
	require.Contains(t, got, `"ticket":"А002"`)
	require.NotContains(t, got, `"priority"`)
	got = press("k2", "3")
	require.Contains(t, got, `"priority":true`)
	require.NotContains(t, got, `"category"`)
	got = press("k1", "2") // a GPIO button: the second, pension's
	require.Contains(t, got, `"ticket":"П001"`)

	for form, want := range map[string]string{"4": "sim: kiosk k2 has no button 4", "x": "sim: button is a number, the button's place on the kiosk from 1"} {
		code, msg := post(t, srv.URL+"/api/press", url.Values{"kiosk": {"k2"}, "button": {form}})
		require.Equal(t, http.StatusBadRequest, code, msg)
		require.Equal(t, want, msg)
	}
}

// A long press on a GPIO button of a kiosk without long_press_ms would
// print an ordinary ticket: the simulator says so and presses nothing.
func TestLongPressWithoutLongPressMS(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	cfg.Kiosks[0].LongPressMS = 0
	require.NoError(t, cfg.Validate())
	ctx, s := startOffice(t, cfg)
	require.ErrorContains(t, s.LongPress("k1", "pension"), "sim: kiosk k1 gives no priority ticket by a long press (no long_press_ms)")
	tks, err := s.Engine().Tickets(ctx)
	require.NoError(t, err)
	require.Empty(t, tks)
}

// Buttons of one kiosk pressed at once from the page are each answered
// with their own ticket: a GPIO press carries no id, and is matched by its
// service.
func TestPagePressesAtOnce(t *testing.T) {
	cfg, err := firmwareconfig.Example("round-the-clock")
	require.NoError(t, err)
	_, s := startOffice(t, cfg)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	services := []string{"social", "pension", "employment"}
	got := make([]string, len(services))
	var wg sync.WaitGroup
	for i, svc := range services {
		wg.Go(func() {
			res, err := http.PostForm(srv.URL+"/api/press", url.Values{"kiosk": {"k1"}, "service": {svc}})
			if err != nil {
				got[i] = err.Error()
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			got[i] = string(b)
		})
	}
	wg.Wait()
	for i, svc := range services {
		require.Contains(t, got[i], `"service":"`+svc+`"`, got[i])
		require.Contains(t, got[i], `"ok":true`, got[i])
	}
}
