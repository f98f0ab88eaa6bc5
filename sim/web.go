package sim

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

//go:embed web/index.html
var webFiles embed.FS

// Handler serves the simulator's page and its small API:
//
//	GET  /               the page
//	GET  /api/state      State as JSON
//	GET  /ticket/ID.png  printed ticket ID (PrintedTicket.ID: the run and
//	                     N) as a picture of the paper
//	POST /api/press      kiosk=k1&service=social[&long=1] (long: held for a
//	                     priority ticket), or kiosk=k1&button=2 (the
//	                     kiosk's second button: one of a priority category
//	                     beside the service's ordinary one): the kiosk's
//	                     answer
//	POST /api/counter    counter=5&action=next, or
//	                     action=transfer&to=pension[&to_counter=3]: the
//	                     counter's acknowledgement
//	POST /api/alert      on=1 (air-raid alert: the office pauses) or on=0
//	POST /api/printer    kiosk=k1&fault=paper_out (a Fault; normal clears them)
//	POST /api/scan       kiosk=k1&code=K7M2QX9A: a code held up to the
//	                     kiosk's scanner (a booking's, a ticket's QR): the
//	                     kiosk's answer
//
// Another website open in the browser may not use it: a POST from another
// origin is refused (403), and so is a request for a host name other than
// localhost, one of hosts or an IP address (403: a name of the attacker's
// that it points at this machine, DNS rebinding, to read the page).
func (s *Office) Handler(hosts ...string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := webFiles.ReadFile("web/index.html")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	mux.HandleFunc("GET /api/state", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(s.State())
	})
	mux.HandleFunc("GET /ticket/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutSuffix(r.PathValue("id"), ".png")
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := s.TicketPNG(id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(b)
	})
	mux.HandleFunc("POST /api/press", func(w http.ResponseWriter, r *http.Request) {
		kiosk, long := r.FormValue("kiosk"), r.FormValue("long") == "1"
		if b := r.FormValue("button"); b != "" {
			n, err := strconv.Atoi(b)
			if err != nil {
				reply(w, errors.New("sim: button is a number, the button's place on the kiosk from 1"))
				return
			}
			answer(w)(s.PressButtonAnswer(r.Context(), kiosk, n-1, long))
			return
		}
		answer(w)(s.PressAnswer(r.Context(), kiosk, r.FormValue("service"), long))
	})
	mux.HandleFunc("POST /api/counter", func(w http.ResponseWriter, r *http.Request) {
		args := map[string]string{}
		for _, k := range []string{"to", "to_counter", "ticket"} {
			args[k] = r.FormValue(k)
		}
		answer(w)(s.CounterAnswer(r.Context(), r.FormValue("counter"), r.FormValue("action"), args))
	})
	mux.HandleFunc("POST /api/alert", func(w http.ResponseWriter, r *http.Request) {
		// Anything but 1 or 0 (true, false) is refused: taken for 0, a
		// script's on=yes would sound the all-clear.
		on, err := strconv.ParseBool(r.FormValue("on"))
		if err != nil {
			reply(w, fmt.Errorf("sim: on=%q: 1 for an air-raid alert, 0 for the all-clear", r.FormValue("on")))
			return
		}
		reply(w, s.AirRaid(r.Context(), on))
	})
	mux.HandleFunc("POST /api/scan", func(w http.ResponseWriter, r *http.Request) {
		answer(w)(s.ScanAnswer(r.Context(), r.FormValue("kiosk"), strings.TrimSpace(r.FormValue("code"))))
	})
	mux.HandleFunc("POST /api/printer", func(w http.ResponseWriter, r *http.Request) {
		f, err := ParseFault(r.FormValue("fault"))
		if err == nil {
			err = s.SetPrinterFault(r.FormValue("kiosk"), f)
		}
		reply(w, err)
	})
	guard := http.NewCrossOriginProtection()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !pageHost(r.Host, hosts) {
			http.Error(w, fmt.Sprintf("sim: the page answers at localhost or an IP address, not at %q: open http://127.0.0.1:PORT/ (or start cherga-sim with -http NAME:PORT)", r.Host), http.StatusForbidden)
			return
		}
		guard.Handler(mux).ServeHTTP(w, r)
	})
}

// pageHost says whether host (a request's Host, with its port) is one the
// page answers at: an IP address, localhost, or one of names.
func pageHost(host string, names []string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, n := range names {
		if strings.EqualFold(strings.TrimSuffix(n, "."), host) {
			return true
		}
	}
	return false
}

// answer writes the controller's answer to a press or a counter's command
// as it gave it: ok:false when it refused, with its reason and message.
// An answer that did not come is an error (504).
func answer(w http.ResponseWriter) func(json.RawMessage, error) {
	return func(a json.RawMessage, err error) {
		switch {
		case errors.Is(err, errNoAnswer):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusGatewayTimeout)
			json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": err.Error()})
		case err != nil:
			reply(w, err)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write(append(a, '\n'))
		}
	}
}

func reply(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": err.Error()})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"ok": true})
}
