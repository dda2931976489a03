// Package web serves Warden's HTTP interface: the status page, the user
// pages, the JSON API, Prometheus metrics, and liveness and readiness
// probes.
//
// A Server holds the service interfaces it shows and registers its routes
// per resource (status.go, user.go, probe.go, metrics.go). Every failure
// goes through one mapping from Warden's error kinds to HTTP status codes
// and safe messages (error.go). Until the dashboard adds access control,
// every route but the probes refuses clients beyond loopback unless
// RemoteReads is set, and answers only to Host names of this server.
package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wardenhq/warden"
)

// Readiness says whether the server's data is complete enough to serve
// traffic: the monitor is ready once it has swept every org. Ready must
// answer at once (no I/O, no lock held across I/O).
type Readiness interface {
	Ready() bool
}

// Server is Warden's HTTP interface. Set its fields before serving and
// leave them alone afterwards; every service must be set.
type Server struct {
	// StatusService is the read model of users' current health.
	StatusService warden.StatusService
	// UserService, HealthService and DependentService are the inventory
	// and history the user pages show.
	UserService      warden.UserService
	HealthService    warden.HealthService
	DependentService warden.DependentService
	// Readiness answers /readyz.
	Readiness Readiness
	// Gatherer serves /metrics (default: the default registry).
	Gatherer prometheus.Gatherer

	// Authenticate wraps every route but the probes. Nil lets every
	// request through: the dashboard's access control sets it.
	Authenticate func(http.Handler) http.Handler
	// RemoteReads lets clients beyond loopback read every route without
	// authentication. Without it, only the probes answer them; everything
	// else, which names orgs and users, is refused with 403.
	RemoteReads bool
	// Hosts are the host names (or IP addresses) that requests may name
	// in their Host header besides loopback ones: the public URL's host,
	// and the listen address's host. Any other name is refused with 421,
	// so that a web page cannot reach the server through a rebound DNS
	// name. Probes answer whatever the Host.
	Hosts []string

	// Logger receives the details of internal errors (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	router *http.ServeMux
}

// NewServer returns a Server with its routes registered and defaults set;
// set its services before serving.
func NewServer() *Server {
	s := &Server{
		Gatherer: prometheus.DefaultGatherer,
		Logger:   slog.New(slog.DiscardHandler),
		Now:      time.Now,
		router:   http.NewServeMux(),
	}
	s.registerProbeRoutes()
	s.registerStatusRoutes()
	s.registerUserRoutes()
	s.registerMetricsRoutes()
	// Anything else is not found, in the shape of its part of the site.
	// Every route only reads, so another method is not allowed.
	s.router.Handle("/api/", s.api(notRouted(s.writeJSONError)))
	s.router.Handle("/", s.page(notRouted(s.writePageError)))
	return s
}

// notRouted answers a request no route takes with render: 405 for a
// method other than GET, 404 otherwise.
func notRouted(render errorRenderer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			render(w, r, http.StatusMethodNotAllowed, warden.Errorf(warden.EINVALID, "%s %s: this server only reads; use GET", r.Method, r.URL.Path))
			return
		}
		err := warden.Errorf(warden.ENOTFOUND, "there is nothing at %s", r.URL.Path)
		render(w, r, errorStatus(err), err)
	}
}

// ServeHTTP sets the security headers and routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	s.router.ServeHTTP(w, r)
}

// page returns the chain of an HTML route: Host check, authentication,
// the loopback guard, then h; failures render as an HTML page.
func (s *Server) page(h http.HandlerFunc) http.Handler { return s.guard(h, s.writePageError) }

// api returns the chain of a JSON route; failures render as JSON.
func (s *Server) api(h http.HandlerFunc) http.Handler { return s.guard(h, s.writeJSONError) }

// guard wraps h in the checks every route but the probes passes; render
// shows their failures.
func (s *Server) guard(h http.Handler, render errorRenderer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkHost(r); err != nil {
			status := http.StatusMisdirectedRequest
			if r.Host == "" {
				status = http.StatusBadRequest
			}
			render(w, r, status, err)
			return
		}
		next := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !s.RemoteReads && !loopbackClient(r) {
				err := warden.Errorf(warden.EFORBIDDEN, "this Warden server shows orgs and users only to clients on its own host "+
					"until it has authentication; \"warden serve --allow-remote-reads\" shows them to every client that can reach it")
				render(w, r, errorStatus(err), err)
				return
			}
			w.Header().Set("Cache-Control", "no-store")
			h.ServeHTTP(w, r)
		}))
		if s.Authenticate != nil {
			next = s.Authenticate(next)
		}
		next.ServeHTTP(w, r)
	})
}

// checkHost accepts a Host header that names loopback (localhost, a
// *.localhost name, a loopback address) or one of s.Hosts.
func (s *Server) checkHost(r *http.Request) error {
	if r.Host == "" {
		return warden.Errorf(warden.EINVALID, "the request has no Host header")
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	for _, h := range s.Hosts {
		if strings.EqualFold(strings.Trim(h, "[]"), host) {
			return nil
		}
	}
	return warden.Errorf(warden.EINVALID, "this Warden server does not answer to the host name %q; "+
		"set server.publicUrl to the URL people use to reach it", r.Host)
}

// loopbackClient reports whether r comes from this host.
func loopbackClient(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	encodeJSON(w, v)
}

// encodeJSON writes v as indented JSON: the one encoding of every JSON
// document Warden serves or prints.
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
