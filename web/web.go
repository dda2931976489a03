// Package web serves Warden's HTTP interface: the status page, the JSON
// API, Prometheus metrics, and liveness and readiness probes.
package web

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wardenhq/warden/monitor"
)

//go:embed templates/*.html
var templates embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"since": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05Z")
	},
}).ParseFS(templates, "templates/*.html"))

// Source is what the web interface shows: the monitor.
type Source interface {
	Statuses() []monitor.Status
	Ready() bool
}

// Options configure the handler.
type Options struct {
	Source Source
	// Gatherer serves /metrics; nil serves the default registry.
	Gatherer prometheus.Gatherer
	Now      func() time.Time
}

// New returns Warden's HTTP handler.
func New(opts Options) http.Handler {
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/status", http.StatusFound)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		st := opts.Source.Statuses()
		counts := map[string]int{}
		for _, s := range st {
			counts[string(s.State)]++
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := pages.ExecuteTemplate(w, "status.html", map[string]any{"Statuses": st, "Counts": counts, "Now": opts.Now()}); err != nil {
			http.Error(w, "rendering failed", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, opts.Source.Statuses())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !opts.Source.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting: not every org has been swept yet"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return secure(mux)
}

// secure sets headers that keep the pages from being framed or from
// loading anything but themselves.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
