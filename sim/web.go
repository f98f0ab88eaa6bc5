package sim

import (
	"embed"
	"encoding/json"
	"net/http"
)

//go:embed web/index.html
var webFiles embed.FS

// Handler serves the simulator's page and its small API:
//
//	GET  /               the page
//	GET  /api/state      State as JSON
//	POST /api/press      kiosk=k1&service=social
//	POST /api/counter    counter=5&action=next[&to=pension]
func (s *Office) Handler() http.Handler {
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
	mux.HandleFunc("POST /api/press", func(w http.ResponseWriter, r *http.Request) {
		reply(w, s.Press(r.FormValue("kiosk"), r.FormValue("service")))
	})
	mux.HandleFunc("POST /api/counter", func(w http.ResponseWriter, r *http.Request) {
		reply(w, s.Counter(r.FormValue("counter"), r.FormValue("action"), r.FormValue("to")))
	})
	return mux
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
